/* tests/fuzz/fuzz_mswin_dhcp.c — libFuzzer target for parsers/mswin_dhcp.c: the input is split on
 * '\n' and every line goes to the parser (UTC, --server "fuzz", an arena cleared per line); the
 * emit callback reads every field of the event so ASan sees any bad pointer or length, and a MAC
 * must be 12 hex digits; probe sees the whole input (fuzz_stream.h).
 */
#include "tests/fuzz/fuzz_stream.h"

extern const ipl_parser ipl_parser_mswin_dhcp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_opts o = {"fuzz", 0, 1, 1};
    run_with(&ipl_parser_mswin_dhcp, (const char *)data, size, &o);
    return 0;
}
