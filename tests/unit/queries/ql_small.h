/* tests/unit/queries/ql_small.h — the harness of the query-language unit tests that build their
 * own small store (ql_expr_test.c, ql_stage_test.c): events written as text (tev), committed as one
 * batch per call (commit_events), and a query run into `out` as comma-joined rows, or
 * "error: MESSAGE" (runo with options, run, runh with the column names first). Static: each test
 * file includes it once, before anything else (it sets _XOPEN_SOURCE for nftw). */
#ifndef IPL_QL_SMALL_H
#define IPL_QL_SMALL_H

#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "queries/ql.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

typedef struct tev {
    const char *t;           /* UTC */
    unsigned    kind;
    const char *ip, *mac, *duid, *host, *user;
    const char *attrs;       /* "key=value|key=value" */
} tev;

static ipl_store *st;
static char dir[64];
static char out[1 << 14];
static size_t outlen;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

/* Commits evs[0..n) as one batch (seqs follow the array order). */
static inline int commit_events(const tev *evs, size_t n, ipl_diag *d)
{
    ipl_batch *b = NULL;
    int err = ipl_batch_new(&b);
    for (size_t i = 0; !err && i < n; i++) {
        const tev *x = &evs[i];
        ipl_event e;
        char attrs[512];
        ipl_event_reset(&e);
        e.kind = (uint16_t)x->kind;
        if ((err = ipl_time_parse(x->t, strlen(x->t), NULL, &e.ts, d)))
            break;
        if (x->ip) {
            e.has_ip = 1;
            if ((err = ipl_ip_parse(x->ip, strlen(x->ip), e.ip)))
                break;
        }
        e.mac = x->mac;
        e.duid = x->duid;
        e.host = x->host;
        e.user = x->user;
        e.server = "srv1.corp";
        e.source = "test:ql";
        e.line = i + 1;
        snprintf(attrs, sizeof attrs, "%s", x->attrs ? x->attrs : "");
        for (char *p = attrs; *p;) {
            char *end = strchr(p, '|'), *eq = strchr(p, '=');
            if (end)
                *end = '\0';
            if (eq) {
                *eq = '\0';
                int k = ipl_attr_parse(p, strlen(p));
                if (k <= 0 || ipl_event_add_attr(&e, (unsigned)k, eq + 1, strlen(eq + 1))) {
                    err = ipl_diag_set(d, IPL_EINVAL, "bad attribute %s", p);
                    break;
                }
            }
            if (!end)
                break;
            p = end + 1;
        }
        if (!err)
            err = ipl_batch_add(b, &e, d);
    }
    if (!err)
        err = ipl_store_commit(st, b, NULL, d);
    ipl_batch_free(b);
    return err;
}

static int collect(void *ctx, const char *const *vals)
{
    size_t n = *(size_t *)ctx;
    for (size_t i = 0; i < n; i++) {
        const char *v = vals[i] ? vals[i] : "-";
        int k = snprintf(out + outlen, sizeof out - outlen, "%s%s", i ? "," : "", v);
        if (k > 0 && outlen + (size_t)k < sizeof out)
            outlen += (size_t)k;
    }
    if (outlen + 1 < sizeof out)
        out[outlen++] = '\n';
    out[outlen] = '\0';
    return IPL_OK;
}

typedef struct qopt {
    size_t   max_memory;
    uint32_t match_limit, depth_limit;
    int      header;
} qopt;

/* Runs text: the rows one per line, values joined by ','; or "error: MESSAGE". */
static inline const char *runo(const char *text, const qopt *x)
{
    ipl_ql_opts o;
    ipl_diag d = {0};
    ipl_ql *q = NULL;
    ipl_rtxn *t = NULL;
    memset(&o, 0, sizeof o);
    ipl_time_parse("2024-01-03T00:00:00Z", 20, NULL, &o.now, NULL);
    o.max_memory = x->max_memory;
    o.regex_match_limit = x->match_limit;
    o.regex_depth_limit = x->depth_limit;
    outlen = 0;
    out[0] = '\0';
    int err = ipl_ql_compile(&q, text, strlen(text), &o, &d);
    if (!err)
        err = ipl_rtxn_begin(st, &t, &d);
    if (!err) {
        size_t n;
        const ipl_col *cols = ipl_ql_cols(q, &n);
        if (x->header) {
            for (size_t i = 0; i < n; i++)
                outlen += (size_t)snprintf(out + outlen, sizeof out - outlen, "%s%s", i ? "," : "",
                                           cols[i].name);
            out[outlen++] = '\n';
            out[outlen] = '\0';
        }
        err = ipl_ql_run(q, t, 0, collect, &n, &d);
    }
    if (err)
        snprintf(out, sizeof out, "error: %s", d.msg);
    ipl_rtxn_end(t);
    ipl_ql_free(q);
    return out;
}

static inline const char *run(const char *text)
{
    qopt x;
    memset(&x, 0, sizeof x);
    return runo(text, &x);
}

static inline const char *runh(const char *text)
{
    qopt x;
    memset(&x, 0, sizeof x);
    x.header = 1;
    return runo(text, &x);
}

#define Q(text, expected) CHECK_STR(run(text), expected)
#define QH(text, expected) CHECK_STR(runh(text), expected)


#endif
