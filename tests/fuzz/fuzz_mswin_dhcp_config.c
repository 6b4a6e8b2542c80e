/* tests/fuzz/fuzz_mswin_dhcp_config.c — libFuzzer target for parsers/mswin_dhcp_config.c
 * ("mswin-dhcp-events"): the input is split on '\n' and every line goes to one parser state (XML
 * records over many lines, JSON lines, pending(), finish()); the emit callback reads every field
 * of the event so ASan sees any bad pointer or length; probe sees the whole input.
 */
#include "tests/fuzz/fuzz_stream.h"

extern const ipl_parser ipl_parser_mswin_dhcp_events;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(&ipl_parser_mswin_dhcp_events, (const char *)data, size);
    return 0;
}
