/* tests/fuzz/fuzz_ipledger_ndjson.c — libFuzzer target for parsers/ipledger_ndjson.c, the reader
 * of `ipledger export --format ndjson` archives that `ipledger import` loads. The input is split on
 * '\n'; every line goes to line() as an exact-size heap copy (a read past its end is caught), probe
 * sees the whole input, --server is given or not by the size's parity. The emit callback reads
 * every field of every event and checks the bounds the store relies on (a MAC is 12 hex digits);
 * every error must carry its reason (fuzz_stream.h).
 */
#include "tests/fuzz/fuzz_stream.h"

extern const ipl_parser ipl_parser_ipledger_ndjson;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_opts o = {(size & 1) ? NULL : "fuzz", 0, 0, 1};
    run_with(&ipl_parser_ipledger_ndjson, (const char *)data, size, &o);
    return 0;
}
