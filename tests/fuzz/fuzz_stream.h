/* tests/fuzz/fuzz_stream.h — what the line-by-line fuzz targets share (winsec, mswin_dhcp_config,
 * mswin_dhcp, ipledger_ndjson, the syslog router): run_with(parser, input, opts) checks probe's
 * score, splits the input on '\n', feeds every line (an exact-size heap copy, so a read past its
 * end is caught) to one parser state, calls finish() at the end and then wants pending() idle,
 * and checks the emitted events field by field and every error for its reason. */
#ifndef IPL_FUZZ_STREAM_H
#define IPL_FUZZ_STREAM_H

#include "tests/fuzz/fuzz_event.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_opts {
    const char *server;          /* ctx.server: the --server given (NULL: none) */
    int64_t     now;             /* ctx.now (0: unset) */
    int         require_server;  /* every event names its server */
    int         mac12;           /* a MAC is 12 hex digits */
} fuzz_opts;

static int on_event(void *ctx, const ipl_event *ev)
{
    const fuzz_opts *o = ctx;
    if (o->require_server && !ev->server)
        abort();
    fuzz_check_event(ev, o->mac12);
    return IPL_OK;
}

static void run_with(const ipl_parser *p, const char *s, size_t size, const fuzz_opts *o)
{
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 24);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = o->server;
    ctx.now = o->now;
    ctx.arena = &arena;
    void *state = calloc(1, p->state_size ? p->state_size : 1);
    if (!state)
        return;
    if (p->init)
        p->init(state, &ctx);
    ipl_diag d;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);     /* exactly the line, so reading past it is caught */
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        int rc = p->line(state, &ctx, line, n, on_event, (void *)o, &d);
        if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
            abort();                        /* every error carries its reason */
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_diag_clear(&d);
    if (p->finish) {
        int rc = p->finish(state, &ctx, on_event, (void *)o, &d);
        if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
            abort();
    }
    if (p->pending && p->pending(state))
        abort();                            /* finish leaves nothing half read */
    if (p->release)
        p->release(state);
    free(state);
    ipl_arena_release(&arena);
}

/* The stream targets whose parser names the server itself (winsec, mswin_dhcp_config). */
static inline void run(const ipl_parser *p, const char *s, size_t size)
{
    const fuzz_opts o = {NULL, 0, 1, 0};
    run_with(p, s, size, &o);
}

#endif
