/* tests/fuzz/fuzz_api_ingest.c — libFuzzer target for what `ipledger serve` does with untrusted
 * bytes before the store: a POST /api/v1/ingest body of NDJSON events (split into lines, each
 * parsed by the "ipledger-ndjson" parser as the server does), the same bytes as a TCP syslog
 * stream (RFC 6587 framing, every frame through the "syslog" parser), and as a configuration
 * file (`serve --check`). No crash, no leak, every error with a message, framing always makes
 * progress.
 */
#include "engine/api/api.h"
#include "engine/arena.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static int emit(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    sink += ev->kind + ev->nattr;
    return IPL_OK;
}

static void run_lines(const ipl_parser *p, const char *buf, size_t len, int framed)
{
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx = {ipl_tz_utc(), NULL, NULL, &arena, 0, 2024, INT64_C(1714521600000000)};
    void *state = p->state_size ? calloc(1, p->state_size) : NULL;
    if (p->init)
        p->init(state, &ctx);
    size_t off = 0;
    while (off < len) {
        const char *m;
        size_t n, used;
        if (framed) {
            int rc = ipl_syslog_frame(buf + off, len - off, 4096, &m, &n, &used);
            if (rc)
                break;                         /* need more, or a broken stream: dropped */
            if (used == 0)
                __builtin_trap();              /* framing must make progress */
        } else {
            const char *nl = memchr(buf + off, '\n', len - off);
            m = buf + off;
            n = nl ? (size_t)(nl - m) : len - off;
            used = n + (nl != NULL);
        }
        ipl_diag d = {0};
        if (p->line(state, &ctx, m, n, emit, NULL, &d) < 0 && !d.msg[0] && d.code)
            __builtin_trap();                  /* an error without its reason */
        ipl_arena_clear(&arena);
        off += used;
    }
    if (p->finish) {
        ipl_diag d = {0};
        p->finish(state, &ctx, emit, NULL, &d);
    }
    if (state && p->release)
        p->release(state);
    free(state);
    ipl_arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    const ipl_parser *nd = ipl_parser_find("ipledger-ndjson"), *sl = ipl_parser_find("syslog");
    if (nd)
        run_lines(nd, buf, size, 0);
    if (sl)
        run_lines(sl, buf, size, 1);
    ipl_server_conf c;
    char errs[1024];
    ipl_server_conf_defaults(&c);
    ipl_server_conf_parse(&c, "fuzz.json", buf, size, errs, sizeof errs);
    sink += strlen(errs);
    return 0;
}
