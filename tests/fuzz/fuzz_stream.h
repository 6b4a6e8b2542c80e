/* tests/fuzz/fuzz_stream.h — what the line-stream fuzz targets of parsers/winsec.c and
 * parsers/mswin_dhcp_config.c share: run(parser, input) splits the input on '\n', feeds every line
 * (an exact-size heap copy) to one parser state, asks pending() after each and finish() at the
 * end, and checks the emitted events field by field and every error for its reason. */
#ifndef IPL_FUZZ_STREAM_H
#define IPL_FUZZ_STREAM_H

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch_str(const char *s)
{
    if (s) {
        size_t n = strlen(s);
        if (n >= IPL_STR_MAX)
            abort();                     /* the event's string limit */
        sink += n;
    }
}

static int on_event(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    char ip[IPL_IP_TEXT];
    if (ev->has_ip)
        sink += ipl_ip_format(ev->ip, ip, sizeof ip);
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT)
        abort();
    if (!ev->server)
        abort();
    touch_str(ev->mac);
    touch_str(ev->duid);
    touch_str(ev->host);
    touch_str(ev->user);
    touch_str(ev->server);
    if (ev->nattr > IPL_ATTR_MAX)
        abort();
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const ipl_attr *a = &ev->attr[i];
        if (a->key == 0 || a->key >= IPL_A__COUNT || a->len > IPL_ATTR_VAL_MAX)
            abort();
        for (uint32_t k = 0; k < a->len; k++)
            sink += (unsigned char)a->val[k];
    }
    sink += (size_t)ev->ts;
    return IPL_OK;
}

static void run(const ipl_parser *p, const char *s, size_t size)
{
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 24);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
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
        int rc = p->line(state, &ctx, line, n, on_event, NULL, &d);
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
        int rc = p->finish(state, &ctx, on_event, NULL, &d);
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

#endif
