/* tests/fuzz/fuzz_ipledger_ndjson.c — libFuzzer target for parsers/ipledger_ndjson.c, the reader
 * of `ipledger export --format ndjson` archives that `ipledger import` loads. The input is split on
 * '\n'; every line goes to line() as an exact-size heap copy (a read past its end is caught), probe
 * sees the whole input. The emit callback reads every field of every event and checks the bounds
 * the store relies on; every error must carry its reason.
 */
#include "engine/addr.h"
#include "engine/arena.h"
#include "engine/err.h"
#include "engine/parser.h"
#include "engine/tz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_ipledger_ndjson;

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
    const ipl_parser *p = &ipl_parser_ipledger_ndjson;
    const char *s = (const char *)data;
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 22);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = (size & 1) ? NULL : "fuzz";
    ctx.arena = &arena;
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
            abort();                     /* every error carries its reason */
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_arena_release(&arena);
    return 0;
}
