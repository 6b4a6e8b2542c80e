/* tests/fuzz/fuzz_freeradius.c — libFuzzer target for parsers/freeradius.c (freeradius-detail):
 * probe sees the whole input; the input is split on '\n' and every line goes to the parser with
 * its state kept across lines (a fixed-offset zone, an arena cleared per line), then finish();
 * the emit callback checks the event's invariants and reads every field; pending() must be 0
 * after an empty line and after finish().
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_freeradius_detail;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;
static int per_call;

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
    if (++per_call > 2)
        abort();                         /* one record per call: one event, two if dual stack */
    if (ev->has_ip)
        sink += ipl_ip_format(ev->ip, ip, sizeof ip);
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT)
        abort();
    if (ev->mac && strlen(ev->mac) != 12)
        abort();
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
        for (uint32_t k = 0; k < a->len; k++)
            sink += (unsigned char)a->val[k];
    }
    sink += (size_t)ev->ts;
    return IPL_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ipl_tz *zone;
    if (!zone && ipl_tz_load(&zone, "-05:30", NULL) != IPL_OK)
        abort();
    const ipl_parser *p = &ipl_parser_freeradius_detail;
    const char *s = (const char *)data;
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();

    void *state = malloc(p->state_size);
    if (!state)
        return 0;
    memset(state, 0x5A, p->state_size);  /* init must not rely on zeroed state */
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = zone;
    ctx.arena = &arena;
    p->init(state, &ctx);
    ipl_diag d;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(s + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);  /* exactly the line, so reading past it is caught */
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        per_call = 0;
        int rc = p->line(state, &ctx, line, n, on_event, NULL, &d);
        if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
            abort();                     /* every error carries its reason */
        size_t m = n, b = 0;
        while (m && line[m - 1] == '\r')
            m--;
        while (b < m && (line[b] == ' ' || line[b] == '\t'))
            b++;
        if (b == m && n <= 8192 && p->pending(state))
            abort();                     /* an empty line ends every record */
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_diag_clear(&d);
    per_call = 0;
    int rc = p->finish(state, &ctx, on_event, NULL, &d);
    if (rc != IPL_OK && (d.code != rc || d.msg[0] == '\0'))
        abort();
    if (p->pending(state))
        abort();
    if (p->release)
        p->release(state);
    free(state);
    ipl_arena_release(&arena);
    return 0;
}
