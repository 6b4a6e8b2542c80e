/* tests/fuzz/fuzz_syslog_router.c — libFuzzer target for parsers/syslog_router.c (the "syslog"
 * format): the input is split on '\n' and every line goes to the router (UTC, an arena cleared
 * per line), which hands known programs to their sub-parsers; the emit callback reads every field
 * of each event so ASan sees any bad pointer or length; probe sees the whole input.
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_syslog;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch_str(const char *s)
{
    if (s) {
        size_t n = strlen(s);
        if (n >= IPL_STR_MAX)
            abort();
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
    if (ev->mac && strlen(ev->mac) != 12)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipl_parser *p = &ipl_parser_syslog;
    const char *s = (const char *)data;
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = size && (data[0] & 1) ? "fuzz" : NULL;
    ctx.arena = &arena;
    ctx.now = INT64_C(1717243200000000);
    ipl_diag d;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        int rc = p->line(NULL, &ctx, line, n, on_event, NULL, &d);
        if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
            abort();
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_arena_release(&arena);
    return 0;
}
