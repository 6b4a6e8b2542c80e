/* tests/fuzz/fuzz_sshd.c — libFuzzer target for parsers/sshd.c. The input is split on '\n'; every
 * line goes to
 *   - the parser "sshd" (envelope + PCRE2 matcher) and the router "syslog" (envelope + the sub's
 *     hand-written matcher): for sshd/sshd-session lines both must give the same code, reason and
 *     events;
 *   - as a raw message, to the sub (hand-written matcher) and, wrapped in a fixed envelope, to the
 *     parser (PCRE2): the two matchers must agree on every input, except when PCRE2 reports a
 *     resource limit (an error the scanners cannot have).
 * Lines are malloc'd copies of exactly their bytes; events are read field by field; every error
 * must carry its reason. The PCRE2 state is compiled once per process (the parser compiles it
 * lazily into the state it is given) and released at exit.
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_sshd;
extern const ipl_parser ipl_parser_syslog;
extern const ipl_syslog_sub ipl_syslog_sub_sshd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIG_MAX 64

typedef struct digs {
    size_t   n;
    uint64_t d[DIG_MAX];
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
        abort();
    return mix(h, s, n);
}

static int on_event(void *c, const ipl_event *ev)
{
    digs *g = c;
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT || ev->nattr > IPL_ATTR_MAX)
        abort();
    char ip[IPL_IP_TEXT];
    uint64_t h = UINT64_C(14695981039346656037);
    h = mix(h, &ev->ts, sizeof ev->ts);
    h = mix(h, &ev->kind, sizeof ev->kind);
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
    if (g->n < DIG_MAX)
        g->d[g->n] = h;
    g->n++;
    return IPL_OK;
}

static void check_rc(int rc, const ipl_diag *d)
{
    if (rc != IPL_OK && (d->code != rc || d->msg[0] == '\0'))
        abort();
}

static int same(int r1, const ipl_diag *d1, const digs *a, int r2, const ipl_diag *d2, const digs *b)
{
    if (r1 != r2 || a->n != b->n || (r1 != IPL_OK && strcmp(d1->msg, d2->msg) != 0))
        return 0;
    for (size_t i = 0; i < a->n && i < DIG_MAX; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static void *state;

static void release_state(void)
{
    if (state) {
        ipl_parser_sshd.release(state);
        free(state);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int sc = ipl_parser_sshd.probe(s, size);
    if (sc < 0 || sc > 100)
        abort();
    if (!state) {
        state = calloc(1, ipl_parser_sshd.state_size);
        if (!state)
            return 0;
        atexit(release_state);
    }
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 22);
    ipl_parse_ctx c1, c2;
    memset(&c1, 0, sizeof c1);
    c1.tz = ipl_tz_utc();
    c1.server = "fuzz";
    c1.arena = &arena;
    c1.now = INT64_C(1714564800) * 1000000;
    c1.year_hint = 2024;
    static digs a, b;
    static char wrapped[4200];
    static const char pre[] = "May  1 08:16:02 web01 sshd[4242]: ";
    ipl_diag d1, d2;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);

        /* the whole line: parser (PCRE2) and router (scanners) */
        c1.last_ts = 0;
        c2 = c1;
        a.n = b.n = 0;
        ipl_diag_clear(&d1);
        ipl_diag_clear(&d2);
        int r1 = ipl_parser_sshd.line(state, &c1, line, n, on_event, &a, &d1);
        check_rc(r1, &d1);
        ipl_arena_clear(&arena);
        int r2 = ipl_parser_syslog.line(NULL, &c2, line, n, on_event, &b, &d2);
        check_rc(r2, &d2);
        ipl_arena_clear(&arena);
        ipl_syslog env;
        ipl_parse_ctx ce = c1;
        ce.last_ts = 0;
        if (ipl_syslog_parse(&ce, line, n, &env, NULL) == IPL_OK &&
            ((env.tag_len == 4 && memcmp(env.tag, "sshd", 4) == 0) ||
             (env.tag_len == 12 && memcmp(env.tag, "sshd-session", 12) == 0)) &&
            !(r1 == IPL_ELIMIT) && !same(r1, &d1, &a, r2, &d2, &b))
            abort();

        /* the raw line as a message: sub (scanners) vs parser (PCRE2) in a fixed envelope */
        if (n + sizeof pre < sizeof wrapped) {
            memcpy(wrapped, pre, sizeof pre - 1);
            memcpy(wrapped + sizeof pre - 1, line, n);
            size_t wn = sizeof pre - 1 + n;
            char *w = malloc(wn);
            if (w) {
                memcpy(w, wrapped, wn);
                c1.last_ts = 0;
                a.n = b.n = 0;
                ipl_diag_clear(&d1);
                ipl_diag_clear(&d2);
                r1 = ipl_parser_sshd.line(state, &c1, w, wn, on_event, &a, &d1);
                check_rc(r1, &d1);
                ipl_arena_clear(&arena);
                ce.last_ts = 0;
                if (ipl_syslog_parse(&ce, w, wn, &env, NULL) == IPL_OK) {
                    /* the parser unwraps "message repeated"; the sub alone does not */
                    int rep = env.msg_len >= 17 && memcmp(env.msg, "message repeated ", 17) == 0;
                    r2 = ipl_syslog_sub_sshd.message(&ce, &env, on_event, &b, &d2);
                    check_rc(r2, &d2);
                    if (!rep && r1 != IPL_ELIMIT && !same(r1, &d1, &a, r2, &d2, &b)) {
                        fprintf(stderr, "matchers differ: %d/%d '%s' '%s' %zu/%zu\n", r1, r2,
                                d1.msg, d2.msg, a.n, b.n);
                        abort();
                    }
                }
                ipl_arena_clear(&arena);
                free(w);
            }
        }
        free(line);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_arena_release(&arena);
    return 0;
}
