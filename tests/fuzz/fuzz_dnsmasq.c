/* tests/fuzz/fuzz_dnsmasq.c — libFuzzer target for parsers/dnsmasq.c. The input is split on '\n';
 * every line goes to
 *   - the parser "dnsmasq" (envelope + message, with its stream state),
 *   - the router "syslog" (the same line through the stateless sub): same result code, same
 *     reason, same events except the kinds the stream state refines (assign -> inform, renew,
 *     v6.confirm),
 *   - the sub directly, with the raw line as the message (so the grammar is reached without a
 *     valid envelope),
 *   - the parser "dnsmasq-leases".
 * Each line is a malloc'd copy of exactly its bytes, so ASan sees any read past it; the emit
 * callback reads every field; every error must carry its reason; the probes see the whole input.
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_dnsmasq;
extern const ipl_parser ipl_parser_dnsmasq_leases;
extern const ipl_parser ipl_parser_syslog;
extern const ipl_syslog_sub ipl_syslog_sub_dnsmasq;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIG_MAX 64

typedef struct digs {
    size_t   n;
    uint64_t d[DIG_MAX];      /* per event: a hash of everything but the kind */
    int      kind[DIG_MAX];
} digs;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(1099511628211);
    }
    return h * UINT64_C(1099511628211) + n;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    if (!s)
        return mix(h, "\xff", 1);
    size_t n = strlen(s);
    if (n >= IPL_STR_MAX)
        abort();                                   /* the event's string limit */
    return mix(h, s, n);
}

static int on_event(void *c, const ipl_event *ev)
{
    digs *g = c;
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT)
        abort();
    if (ev->mac && strlen(ev->mac) != 12)
        abort();
    if (ev->nattr > IPL_ATTR_MAX)
        abort();
    char ip[IPL_IP_TEXT];
    uint64_t h = UINT64_C(14695981039346656037);
    h = mix(h, &ev->ts, sizeof ev->ts);
    h = mix(h, &ev->has_ip, 1);
    if (ev->has_ip)
        h = mix(h, ip, ipl_ip_format(ev->ip, ip, sizeof ip));
    h = mix_str(h, ev->mac);
    h = mix_str(h, ev->duid);
    h = mix_str(h, ev->host);
    h = mix_str(h, ev->user);
    h = mix_str(h, ev->server);
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const ipl_attr *a = &ev->attr[i];
        if (a->key == 0 || a->key >= IPL_A__COUNT || a->len > IPL_ATTR_VAL_MAX)
            abort();
        h = mix(h, &a->key, 1);
        h = mix(h, a->val, a->len);
    }
    if (g->n < DIG_MAX) {
        g->d[g->n] = h;
        g->kind[g->n] = ev->kind;
    }
    g->n++;
    return IPL_OK;
}

static int refined(int dedicated, int router)
{
    return router == IPL_K_LEASE_ASSIGN &&
           (dedicated == IPL_K_LEASE_INFORM || dedicated == IPL_K_LEASE_RENEW ||
            dedicated == IPL_K_LEASE_V6_CONFIRM);
}

static void check_rc(int rc, const ipl_diag *d)
{
    if (rc != IPL_OK && (d->code != rc || d->msg[0] == '\0'))
        abort();                                   /* every error carries its reason */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int sc = ipl_parser_dnsmasq.probe(s, size);
    int sl = ipl_parser_dnsmasq_leases.probe(s, size);
    if (sc < 0 || sc > 100 || sl < 0 || sl > 100)
        abort();

    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 22);
    ipl_parse_ctx c1, c2, c3;
    memset(&c1, 0, sizeof c1);
    c1.tz = ipl_tz_utc();
    c1.server = "fuzz";
    c1.arena = &arena;
    c1.now = INT64_C(1714564800) * 1000000;
    c2 = c1;
    c3 = c1;
    void *st = calloc(1, ipl_parser_dnsmasq.state_size ? ipl_parser_dnsmasq.state_size : 1);
    if (!st)
        goto out;
    static digs a, b, x;
    ipl_diag d1, d2, d3;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);

        a.n = b.n = x.n = 0;
        ipl_diag_clear(&d1);
        ipl_diag_clear(&d2);
        int r1 = ipl_parser_dnsmasq.line(st, &c1, line, n, on_event, &a, &d1);
        check_rc(r1, &d1);
        ipl_arena_clear(&arena);
        int r2 = ipl_parser_syslog.line(NULL, &c2, line, n, on_event, &b, &d2);
        check_rc(r2, &d2);
        ipl_arena_clear(&arena);
        /* same line, same envelope: the router may only differ in refined kinds, and only
         * when the line is one of ours (the router hands other tags to other subs) */
        ipl_syslog env;
        ipl_parse_ctx ce = c3;
        ce.last_ts = 0;
        if (ipl_syslog_parse(&ce, line, n, &env, NULL) == IPL_OK &&
            ((env.tag_len == 7 && memcmp(env.tag, "dnsmasq", 7) == 0) ||
             (env.tag_len == 12 && memcmp(env.tag, "dnsmasq-dhcp", 12) == 0))) {
            if (r1 != r2 || a.n != b.n || (r1 != IPL_OK && strcmp(d1.msg, d2.msg) != 0))
                abort();
            for (size_t i = 0; i < a.n && i < DIG_MAX; i++)
                if (a.d[i] != b.d[i] || (a.kind[i] != b.kind[i] && !refined(a.kind[i], b.kind[i])))
                    abort();
        }
        ipl_arena_clear(&arena);

        /* the raw line as a message */
        memset(&env, 0, sizeof env);
        env.ts = c3.now;
        env.host = "gw";
        env.host_len = 2;
        env.tag = "dnsmasq-dhcp";
        env.tag_len = 12;
        env.pid = "1";
        env.pid_len = 1;
        env.msg = line;
        env.msg_len = n;
        ipl_diag_clear(&d3);
        check_rc(ipl_syslog_sub_dnsmasq.message(&c3, &env, on_event, &x, &d3), &d3);
        ipl_arena_clear(&arena);

        ipl_diag_clear(&d3);
        check_rc(ipl_parser_dnsmasq_leases.line(NULL, &c3, line, n, on_event, &x, &d3), &d3);
        ipl_arena_clear(&arena);
        free(line);
        if (!nl)
            break;
        pos = end + 1;
    }
    if (ipl_parser_dnsmasq.pending && ipl_parser_dnsmasq.pending(st))
        abort();
out:
    free(st);
    ipl_arena_release(&arena);
    return 0;
}
