/* tests/fuzz/fuzz_syslog_router.c — libFuzzer target for parsers/syslog_router.c (the "syslog"
 * format): the input is split on '\n' and every line goes to the router (UTC, an arena cleared
 * per line, --server given or not by the first byte), which hands known programs to their
 * sub-parsers; the emit callback reads every field of each event so ASan sees any bad pointer or
 * length; probe sees the whole input (fuzz_stream.h).
 */
#include "tests/fuzz/fuzz_stream.h"

extern const ipl_parser ipl_parser_syslog;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_opts o = {size && (data[0] & 1) ? "fuzz" : NULL, INT64_C(1717243200000000), 0, 0};
    run_with(&ipl_parser_syslog, (const char *)data, size, &o);
    return 0;
}
