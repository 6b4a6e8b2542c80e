/* retention/where.c — --where for purges, holds and exports: a query of the query language
 * (queries/ql.h) turned into the set of event seqs it selects.
 *
 * The query must return events (its first column is seq: `leases where ...`, `events where ...`,
 * not `... | count by host`). It runs once, in the caller's read transaction; the seqs it returns
 * go into a bitmap over 1..last_seq of that snapshot (an eighth of a byte per event in the store,
 * at most IPL_WHERE_SEQ_MAX events). Relative times in the query count from the caller's `now`
 * (the purge's evaluation instant), so a resumed purge selects as the first run did.
 */
#include "engine/err.h"
#include "queries/ql.h"
#include "retention/retention_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int compile(const char *text, int64_t now, ipl_ql **q, ipl_diag *d)
{
    ipl_ql_opts o;
    size_t ncols = 0;
    memset(&o, 0, sizeof o);
    o.now = now;
    o.name = "--where";
    int err = ipl_ql_compile(q, text, strlen(text), &o, d);
    if (err)
        return err;
    const ipl_col *cols = ipl_ql_cols(*q, &ncols);
    if (!ncols || strcmp(cols[0].name, "seq") != 0) {
        ipl_ql_free(*q);
        *q = NULL;
        return ipl_diag_set(d, IPL_EINVAL, "--where: the query must return events (its first "
                            "column is seq), not '%.200s'", text);
    }
    return IPL_OK;
}

int ipl_where_check(const char *text, int64_t now, ipl_diag *d)
{
    ipl_ql *q = NULL;
    int err = compile(text, now, &q, d);
    ipl_ql_free(q);
    return err;
}

typedef struct wctx {
    ipl_seqset *s;
    ipl_diag *d;
} wctx;

static int row_fn(void *ctx, const char *const *vals)
{
    wctx *w = ctx;
    char *end;
    if (!vals[0])
        return IPL_OK;
    errno = 0;
    unsigned long long seq = strtoull(vals[0], &end, 10);
    if (*end || errno || seq == 0)
        return ipl_diag_set(w->d, IPL_EINVAL, "--where: '%s' is not an event seq", vals[0]);
    if (seq <= w->s->limit && !ipl_seqset_has(w->s, seq)) {   /* a seq returned twice counts once */
        w->s->bits[seq >> 3] |= (uint8_t)(1u << (seq & 7));
        w->s->count++;
    }
    return IPL_OK;
}

int ipl_where_run(ipl_rtxn *t, const char *text, int64_t now, ipl_seqset *s, ipl_diag *d)
{
    ipl_ql *q = NULL;
    int err;
    memset(s, 0, sizeof *s);
    s->limit = ipl_store_last_seq(t);
    if (s->limit > IPL_WHERE_SEQ_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "--where: the store has more than %llu events",
                            (unsigned long long)IPL_WHERE_SEQ_MAX);
    if (!(s->bits = calloc((size_t)(s->limit >> 3) + 1, 1)))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if ((err = compile(text, now, &q, d)))
        goto out;
    wctx w = {s, d};
    err = ipl_ql_run(q, t, 0, row_fn, &w, d);
out:
    ipl_ql_free(q);
    if (err)
        ipl_seqset_release(s);
    return err;
}

void ipl_seqset_release(ipl_seqset *s)
{
    free(s->bits);
    memset(s, 0, sizeof *s);
}
