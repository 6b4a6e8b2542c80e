/* tests/fuzz/fuzz_nps.c — libFuzzer target for parsers/nps.c (nps-ias, nps-odbc, nps-xml): the
 * three probes see the whole input; the input is split on '\n' and every line goes to the line
 * function (the three entries share it) in a fixed-offset zone, an arena cleared per line; the
 * emit callback checks the event's invariants and reads every field so ASan sees any bad
 * pointer or length.
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_nps_ias, ipl_parser_nps_odbc, ipl_parser_nps_xml;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;
static int per_line;

static void touch_str(const char *s)
{
    if (s) {
        size_t n = strlen(s);
        if (n == 0 || n >= IPL_STR_MAX)
            abort();
        sink += n;
    }
}

static int on_event(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    char ip[IPL_IP_TEXT];
    if (++per_line > 2)
        abort();                         /* one record: one event, two when dual stack */
    if (ev->has_ip)
        sink += ipl_ip_format(ev->ip, ip, sizeof ip);
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT)
        abort();
    if (ev->mac) {
        if (strlen(ev->mac) != 12)
            abort();
        for (int i = 0; i < 12; i++)
            if (!((ev->mac[i] >= '0' && ev->mac[i] <= '9') || (ev->mac[i] >= 'a' && ev->mac[i] <= 'f')))
                abort();
    }
    if (ev->host || ev->duid)
        abort();
    touch_str(ev->mac);
    touch_str(ev->user);
    touch_str(ev->server);
    if (ev->nattr > IPL_ATTR_MAX)
        abort();
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const ipl_attr *a = &ev->attr[i];
        if (a->key == 0 || a->key >= IPL_A__COUNT || a->len > IPL_ATTR_VAL_MAX || a->len == 0)
            abort();
        for (uint32_t j = 0; j < i; j++)
            if (ev->attr[j].key == a->key)
                abort();                 /* each key once */
        for (uint32_t k = 0; k < a->len; k++)
            sink += (unsigned char)a->val[k];
    }
    sink += (size_t)ev->ts;
    return IPL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ipl_tz *zone;
    if (!zone && ipl_tz_load(&zone, "+02:00", NULL) != IPL_OK)
        abort();
    const char *s = (const char *)data;
    const ipl_parser *ps[3] = {&ipl_parser_nps_ias, &ipl_parser_nps_odbc, &ipl_parser_nps_xml};
    int positive = 0;
    for (int i = 0; i < 3; i++) {
        int score = ps[i]->probe(s, size);
        if (score < 0 || score > 100)
            abort();
        positive += score > 0;
    }
    if (positive > 1)
        abort();                         /* the first line decides: at most one scores */

    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = zone;
    ctx.server = size && (data[0] & 1) ? "fuzz" : NULL;
    ctx.arena = &arena;
    ipl_diag d;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);  /* exactly the line, so reading past it is caught */
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        per_line = 0;
        int64_t last = ctx.last_ts;
        int rc = ps[0]->line(NULL, &ctx, line, n, on_event, NULL, &d);
        if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
            abort();                     /* every error carries its reason */
        if (rc != IPL_OK && (per_line || ctx.last_ts != last))
            abort();                     /* a refused record is never partly emitted */
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_arena_release(&arena);
    return 0;
}
