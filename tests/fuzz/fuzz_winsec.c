/* tests/fuzz/fuzz_winsec.c — libFuzzer target for parsers/winsec.c: the input is split on '\n'
 * and every line goes to both "winsec-xml" (one stream: multi-line records, pending(), finish())
 * and "winsec-json" (UTC, an arena cleared per line); the emit callback reads every field of the
 * event so ASan sees any bad pointer or length; probe sees the whole input.
 */
#include "tests/fuzz/fuzz_stream.h"

extern const ipl_parser ipl_parser_winsec_xml, ipl_parser_winsec_json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(&ipl_parser_winsec_xml, (const char *)data, size);
    run(&ipl_parser_winsec_json, (const char *)data, size);
    return 0;
}
