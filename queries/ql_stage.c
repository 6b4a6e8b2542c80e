/* queries/ql_stage.c — the pipeline stages as push operators, and the sink that turns rows into
 * text for the caller.
 *
 * Each operator receives rows (push) and, at the end, finish; it pushes its own rows to the next
 * one. QL_STOP travels back up when a stage wants no more rows (limit, top 0), so the scan stops
 * early. Streaming stages (where, fields, limit, distinct's output, count) hold nothing per row.
 * The holding ones (sort, count by, top, distinct's memory of what it saw, first/last,
 * timeline) account what they hold with ql_mem against the query's memory limit and stop with
 * a message naming the stage when it is exceeded. Rows they keep are deep copies: dictionary
 * ids stay ids, other strings are copied into the stage's arena (a row's own strings live only
 * until its push returns).
 */
#include "queries/ql_int.h"
#include "engine/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ql_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    if (op->done)
        return QL_STOP;
    int rc = op->push(x, op, r);
    if (rc == QL_STOP)
        op->done = 1;
    return rc;
}

static const char *stage_word(int node)
{
    switch (node) {
    case QN_SORT: return "sort: the rows to sort";
    case QN_COUNT_BY: return "count by: the groups";
    case QN_TOP: return "top: the groups";
    case QN_DISTINCT: return "distinct: the values seen";
    case QN_FIRST: return "first: the groups";
    case QN_LAST: return "last: the groups";
    case QN_TIMELINE: return "timeline: the buckets";
    default: return "the rows held";
    }
}

int ql_mem(ql_exec *x, const ql_stage *st, size_t n)
{
    x->mem_used += n;
    if (x->mem_used <= x->mem_max)
        return IPL_OK;
    char lim[48];
    if (x->mem_max >= ((size_t)1 << 20) && x->mem_max % ((size_t)1 << 20) == 0)
        snprintf(lim, sizeof lim, "%zu MiB", x->mem_max >> 20);
    else
        snprintf(lim, sizeof lim, "%zu bytes", x->mem_max);
    const char *hint = st->node == QN_SORT       ? "narrow the query or sort fewer rows (limit before sort)"
                       : st->node == QN_TIMELINE ? "use wider buckets or a shorter window"
                       : st->node == QN_DISTINCT ? "narrow the query or use fewer fields"
                                                 : "narrow the query or group by fewer fields";
    return ql_error_at(x->q, x->d, IPL_ELIMIT, st->line, st->col,
                       "%s need more than %s (the query's memory limit); %s", stage_word(st->node),
                       lim, hint);
}

/* ---- copies of values and rows ---------------------------------------------------------------- */

static int copy_val(ipl_arena *a, ql_val *dst, const ql_val *src, size_t *bytes)
{
    *dst = *src;
    if (!src->null && !src->isid && src->s) {
        char *c = ipl_arena_strndup(a, src->s, src->len);
        if (!c)
            return IPL_ENOMEM;
        dst->s = c;
        *bytes += src->len + 1;
    }
    return IPL_OK;
}

/* The values of cols (of schema s) for row r; with `keep`, strings are copied into a. */
static int row_vals(ql_exec *x, const ql_schema *s, const ql_row *r, const ql_key *keys,
                    size_t nkeys, ql_val *out, ipl_arena *keep, size_t *bytes)
{
    for (size_t i = 0; i < nkeys; i++) {
        ql_val v;
        int err = ql_get(x, s, r, keys[i].col, &v);
        if (err)
            return err;
        if (keep) {
            if (copy_val(keep, &out[i], &v, bytes))
                return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        } else {
            out[i] = v;
        }
    }
    return IPL_OK;
}

/* A kept row of schema s: an event (its record stays in the map for the transaction) or a copy
 * of every value. */
typedef struct kept {
    ipl_rawev ev;
    ql_val   *v;
} kept;

static int keep_row(ql_exec *x, const ql_schema *s, const ql_row *r, ipl_arena *a, kept *k,
                    size_t *bytes)
{
    if (s->events) {
        k->ev = *r->ev;
        k->v = NULL;
        return IPL_OK;
    }
    k->v = ipl_arena_alloc(a, s->ncols * sizeof *k->v);
    if (!k->v)
        return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    *bytes += s->ncols * sizeof *k->v;
    for (size_t i = 0; i < s->ncols; i++)
        if (copy_val(a, &k->v[i], &r->v[i], bytes))
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    return IPL_OK;
}

static ql_row kept_row(const kept *k)
{
    ql_row r = {k->v ? NULL : &k->ev, k->v};
    return r;
}

static int col_type(const ql_schema *s, int col, uint8_t *type, uint8_t *ci)
{
    if (s->events)
        return ql_field_type(col, type, ci);
    *type = s->cols[col].type;
    *ci = s->cols[col].ci;
    return IPL_OK;
}

/* ---- where, fields, limit, count -------------------------------------------------------------- */

static int where_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    int m, err = ql_eval(x, op->st->where, &op->st->in, r, &m);
    if (err || !m)
        return err;
    op->st->actual++;
    return ql_push(x, op->next, r);
}

static int fields_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    ql_val v[64];
    ql_val *vals = op->st->nkeys <= 64 ? v : op->state;
    int err = row_vals(x, &op->st->in, r, op->st->keys, op->st->nkeys, vals, NULL, NULL);
    if (err)
        return err;
    op->st->actual++;
    ql_row out = {NULL, vals};
    return ql_push(x, op->next, &out);
}

typedef struct limit_state {
    int64_t skipped, passed;
} limit_state;

static int limit_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    limit_state *s = op->state;
    if (s->skipped < op->st->offset) {
        s->skipped++;
        return IPL_OK;
    }
    if (s->passed >= op->st->n)
        return QL_STOP;
    s->passed++;
    op->st->actual++;
    int rc = ql_push(x, op->next, r);
    if (rc == IPL_OK && s->passed >= op->st->n)
        return QL_STOP;
    return rc;
}

static int count_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    (void)x;
    (void)r;
    (*(uint64_t *)op->state)++;
    return IPL_OK;
}

static int count_finish(ql_exec *x, ql_op *op)
{
    ql_val v;
    memset(&v, 0, sizeof v);
    v.n = (int64_t)*(uint64_t *)op->state;
    ql_row r = {NULL, &v};
    op->st->actual = 1;
    int rc = ql_push(x, op->next, &r);
    return rc == QL_STOP ? IPL_OK : rc;
}

/* ---- groups: count by, top, distinct, first/last, timeline ------------------------------------ */

typedef struct group {
    uint64_t h;
    uint8_t *key;
    uint32_t klen;
    uint64_t count;
    int64_t  bucket;
    ql_val  *vals;           /* the key values as first seen (copies) */
    kept     row;            /* first/last: the row kept */
    uint64_t ots, oseq;      /* its order: (time, seq) for events, arrival for other rows */
} group;

typedef struct gtab {
    group   *g;
    size_t   n, cap;
    uint64_t *slots;         /* 0 empty, else hash >> 32 << 32 | (group index + 1) */
    size_t   nslots;
    /* count by one dictionary field of events: counts by (folded) id in an array */
    int       byid;          /* the event field, or -1 */
    int       byid_ci;
    uint64_t *idcount;
    size_t    nid;
    uint64_t  nullcount;
    ipl_arena a;
    uint8_t *kb;             /* key scratch */
    size_t   kl, kc;
    int      tcol;           /* timeline: the time column of the input */
    ql_val  *sk;             /* finish: the sort keys of each group (nkeys each) */
} gtab;

static uint64_t hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    return h | 1;
}

static void gtab_release(ql_op *op)
{
    gtab *t = op->state;
    if (!t)
        return;
    free(t->g);
    free(t->slots);
    free(t->kb);
    free(t->idcount);
    free(t->sk);
    ipl_arena_release(&t->a);
    free(t);
    op->state = NULL;
}

static int gtab_grow(ql_exec *x, ql_op *op, gtab *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    int err = ql_mem(x, op->st, (ns - t->nslots) * sizeof *t->slots);
    if (err)
        return err;
    uint64_t *s = calloc(ns, sizeof *s);
    if (!s)
        return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        size_t j = t->g[i].h & (ns - 1);
        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = (t->g[i].h >> 32 << 32) | (uint64_t)(i + 1);
    }
    free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return IPL_OK;
}

/* The group of row r (created when new: *isnew). */
static int gtab_find(ql_exec *x, ql_op *op, gtab *t, const ql_row *r, int64_t bucket,
                     group **out, int *isnew)
{
    ql_stage *st = op->st;
    int err;
    t->kl = 0;
    *isnew = 0;
    if (st->node == QN_TIMELINE) {
        if (ql_key_append_raw(&t->kb, &t->kl, &t->kc, &bucket, sizeof bucket))
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    }
    ql_val vals[64];
    if (st->nkeys > 64)
        return ipl_diag_set(x->d, IPL_ELIMIT, "more than 64 group fields");
    for (size_t i = 0; i < st->nkeys; i++) {
        uint8_t type, ci;
        col_type(&st->in, st->keys[i].col, &type, &ci);
        if ((err = ql_get(x, &st->in, r, st->keys[i].col, &vals[i])))
            return err;
        if (ql_key_append(x, type, ci, &vals[i], &t->kb, &t->kl, &t->kc))
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    }
    uint64_t h = hash(t->kb, t->kl);
    if (t->n + 1 > t->nslots / 2 && (err = gtab_grow(x, op, t)))
        return err;
    size_t j = h & (t->nslots - 1);
    for (; t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
        if ((t->slots[j] >> 32) != (h >> 32))
            continue;
        group *g = &t->g[(uint32_t)t->slots[j] - 1];
        if (g->h == h && g->klen == t->kl && (!t->kl || memcmp(g->key, t->kb, t->kl) == 0)) {
            *out = g;
            return IPL_OK;
        }
    }
    if (t->n == UINT32_MAX - 1)
        return ipl_diag_set(x->d, IPL_ELIMIT, "more than 4 billion groups");
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        if ((err = ql_mem(x, st, (nc - t->cap) * sizeof *t->g)))
            return err;
        group *ng = realloc(t->g, nc * sizeof *ng);
        if (!ng)
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        t->g = ng;
        t->cap = nc;
    }
    group *g = &t->g[t->n];
    memset(g, 0, sizeof *g);
    size_t bytes = t->kl + st->nkeys * sizeof(ql_val);
    g->h = h;
    g->klen = (uint32_t)t->kl;
    g->key = ipl_arena_alloc(&t->a, t->kl ? t->kl : 1);
    g->vals = ipl_arena_alloc(&t->a, (st->nkeys ? st->nkeys : 1) * sizeof *g->vals);
    if (!g->key || !g->vals)
        return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    if (t->kl)
        memcpy(g->key, t->kb, t->kl);
    for (size_t i = 0; i < st->nkeys; i++)
        if (copy_val(&t->a, &g->vals[i], &vals[i], &bytes))
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    g->bucket = bucket;
    if ((err = ql_mem(x, st, bytes)))
        return err;
    t->slots[j] = (h >> 32 << 32) | (uint64_t)(t->n + 1);
    t->n++;
    *out = g;
    *isnew = 1;
    return IPL_OK;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int group_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    gtab *t = op->state;
    ql_stage *st = op->st;
    int64_t bucket = 0;
    group *g;
    int isnew, err;
    if (st->node == QN_TIMELINE) {
        ql_val tv;
        if ((err = ql_get(x, &st->in, r, t->tcol, &tv)))
            return err;
        if (tv.null || tv.n == INT64_MAX)
            return IPL_OK;             /* no time: not on the time line */
        bucket = floor_div(tv.n, st->width) * st->width;
    }
    if (t->byid >= 0) {
        uint32_t id;
        switch (t->byid) {
        case QF_MAC: id = r->ev->mac; break;
        case QF_DUID: id = r->ev->duid; break;
        case QF_HOST: id = r->ev->host; break;
        case QF_USER: id = r->ev->user; break;
        case QF_SERVER: id = r->ev->server; break;
        default: id = r->ev->source; break;
        }
        if (!id) {
            t->nullcount++;
            return IPL_OK;
        }
        if (id >= t->nid) {
            size_t want = (size_t)x->q->max_id + 1 > (size_t)id + 1 ? (size_t)x->q->max_id + 1
                                                                     : (size_t)id + 1;
            size_t had = t->nid;
            if (ql_grow_ids((void **)&t->idcount, &t->nid, want, sizeof *t->idcount))
                return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
            if ((err = ql_mem(x, st, (t->nid - had) * sizeof *t->idcount)))
                return err;
        }
        t->idcount[id]++;
        return IPL_OK;
    }
    if ((err = gtab_find(x, op, t, r, bucket, &g, &isnew)))
        return err;
    g->count++;
    if (st->node == QN_DISTINCT) {
        if (!isnew)
            return IPL_OK;
        st->actual++;
        ql_row out = {NULL, g->vals};
        return ql_push(x, op->next, &out);
    }
    if (st->node == QN_FIRST || st->node == QN_LAST) {
        uint64_t ots, oseq;
        if (st->in.events) {
            ots = (uint64_t)r->ev->ts;
            oseq = r->ev->seq;
        } else {
            ots = 0;
            oseq = ++x->seqno;
        }
        int better = isnew || (st->node == QN_FIRST
                                   ? (ots < g->ots || (ots == g->ots && oseq < g->oseq))
                                   : (ots > g->ots || (ots == g->ots && oseq > g->oseq)));
        if (better) {
            size_t bytes = 0;
            if ((err = keep_row(x, &st->in, r, &t->a, &g->row, &bytes)) ||
                (err = ql_mem(x, st, bytes)))
                return err;
            g->ots = ots;
            g->oseq = oseq;
        }
    }
    return IPL_OK;
}

/* Stable merge sort of group indexes with a context (no qsort_r in C11). */
typedef int (*cmp_fn)(ql_exec *x, ql_op *op, size_t a, size_t b);

static void msort(ql_exec *x, ql_op *op, size_t *v, size_t *tmp, size_t n, cmp_fn cmp)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(x, op, v, tmp, h, cmp);
    msort(x, op, v + h, tmp, n - h, cmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(x, op, v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* Groups ia and ib by their sort keys (t->sk, already resolved and folded). */
static int keys_cmp(ql_exec *x, ql_op *op, size_t ia, size_t ib)
{
    ql_stage *st = op->st;
    gtab *t = op->state;
    for (size_t i = 0; i < st->nkeys; i++) {
        uint8_t type, ci;
        col_type(&st->in, st->keys[i].col, &type, &ci);
        int c = ql_val_cmp(x, type, 0, &t->sk[ia * st->nkeys + i], &t->sk[ib * st->nkeys + i]);
        if (c)
            return c;
    }
    return 0;
}

static int group_cmp(ql_exec *x, ql_op *op, size_t ia, size_t ib)
{
    gtab *t = op->state;
    const group *a = &t->g[ia], *b = &t->g[ib];
    if (op->st->node == QN_TIMELINE) {
        if (a->bucket != b->bucket)
            return a->bucket < b->bucket ? -1 : 1;
        return keys_cmp(x, op, ia, ib);
    }
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;     /* most first */
    return keys_cmp(x, op, ia, ib);
}

/* count by one dictionary field: the counts by id become groups; with case folding, the ids of
 * one name (LAPTOP-A, laptop-a) count together under the spelling with the most rows. */
static int idcount_groups(ql_exec *x, ql_op *op, gtab *t)
{
    ql_stage *st = op->st;
    uint64_t *most = NULL;
    uint32_t *shown = NULL;
    int err = IPL_OK;
    if (t->byid_ci) {
        most = calloc(t->nid ? t->nid : 1, sizeof *most);
        shown = calloc(t->nid ? t->nid : 1, sizeof *shown);
        if (!most || !shown) {
            err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        if ((err = ql_mem(x, st, t->nid * (sizeof *most + sizeof *shown))))
            goto out;
        for (size_t id = 1; id < t->nid; id++) {
            if (!t->idcount[id])
                continue;
            uint32_t canon = ql_fold_id(x, (uint32_t)id);
            if (canon >= t->nid)
                canon = (uint32_t)id;
            if (t->idcount[id] > most[canon]) {
                most[canon] = t->idcount[id];
                shown[canon] = (uint32_t)id;
            }
            if (canon != id) {
                t->idcount[canon] += t->idcount[id];
                t->idcount[id] = 0;
            }
        }
    }
    size_t n = t->nullcount ? 1 : 0;
    for (size_t id = 0; id < t->nid; id++)
        n += t->idcount[id] != 0;
    if ((err = ql_mem(x, st, n * (sizeof *t->g + sizeof(ql_val)))))
        goto out;
    t->g = calloc(n ? n : 1, sizeof *t->g);
    ql_val *vals = ipl_arena_alloc(&t->a, (n ? n : 1) * sizeof *vals);
    if (!t->g || !vals) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    memset(vals, 0, (n ? n : 1) * sizeof *vals);
    t->n = t->cap = n;
    size_t k = 0;
    for (size_t id = 0; id < t->nid; id++)
        if (t->idcount[id]) {
            vals[k].isid = 1;
            vals[k].id = shown && shown[id] ? shown[id] : (uint32_t)id;
            t->g[k].vals = &vals[k];
            t->g[k++].count = t->idcount[id];
        }
    if (t->nullcount) {
        vals[k].null = 1;
        t->g[k].vals = &vals[k];
        t->g[k++].count = t->nullcount;
    }
out:
    free(most);
    free(shown);
    return err;
}

static int group_finish(ql_exec *x, ql_op *op)
{
    gtab *t = op->state;
    ql_stage *st = op->st;
    int err = IPL_OK;
    if (st->node == QN_DISTINCT)
        return IPL_OK;
    if ((st->node == QN_FIRST || st->node == QN_LAST) && st->nkeys == 0 && t->n == 0)
        return IPL_OK;
    if (t->byid >= 0 && (err = idcount_groups(x, op, t)))
        return err;
    size_t *idx = malloc((t->n ? t->n : 1) * sizeof *idx), *tmp = malloc((t->n ? t->n : 1) * sizeof *tmp);
    ql_val *out = calloc(st->out.events ? 1 : st->out.ncols + 1, sizeof *out);
    if (!idx || !tmp || !out) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    t->sk = malloc((t->n ? t->n : 1) * (st->nkeys ? st->nkeys : 1) * sizeof *t->sk);
    if (!t->sk) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        idx[i] = i;
        for (size_t k = 0; k < st->nkeys; k++) {   /* resolved and folded once */
            uint8_t type, ci;
            col_type(&st->in, st->keys[k].col, &type, &ci);
            ql_val *v = &t->sk[i * st->nkeys + k];
            *v = t->g[i].vals[k];
            if (ql_sortkey(x, &t->a, type, ci, v)) {
                err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    if (st->node == QN_COUNT_BY || st->node == QN_TOP || st->node == QN_TIMELINE)
        msort(x, op, idx, tmp, t->n, group_cmp);
    size_t limit = st->node == QN_TOP ? (size_t)(st->n < 0 ? 0 : st->n) : t->n;
    for (size_t i = 0; i < t->n && i < limit; i++) {
        const group *g = &t->g[idx[i]];
        ql_row r;
        if (st->node == QN_FIRST || st->node == QN_LAST) {
            r = kept_row(&g->row);
        } else {
            size_t o = 0;
            if (st->node == QN_TIMELINE) {
                memset(&out[o], 0, sizeof out[o]);
                out[o++].n = g->bucket;
            }
            for (size_t k = 0; k < st->nkeys; k++)
                out[o++] = g->vals[k];
            memset(&out[o], 0, sizeof out[o]);
            out[o++].n = (int64_t)g->count;
            r.ev = NULL;
            r.v = out;
        }
        st->actual++;
        err = ql_push(x, op->next, &r);
        if (err == QL_STOP) {
            err = IPL_OK;
            break;
        }
        if (err)
            break;
    }
out:
    free(idx);
    free(tmp);
    free(out);
    return err;
}

/* ---- sort ------------------------------------------------------------------------------------ */

typedef struct sort_state {
    kept    *rows;
    ql_val  *keys;           /* nkeys per row, strings resolved */
    size_t   n, cap;
    ipl_arena a;
} sort_state;

static void sort_release(ql_op *op)
{
    sort_state *s = op->state;
    if (!s)
        return;
    free(s->rows);
    free(s->keys);
    ipl_arena_release(&s->a);
    free(s);
    op->state = NULL;
}

static int sort_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    sort_state *s = op->state;
    ql_stage *st = op->st;
    int err;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        if ((err = ql_mem(x, st, (nc - s->cap) * (sizeof *s->rows + st->nkeys * sizeof *s->keys))))
            return err;
        kept *nr = realloc(s->rows, nc * sizeof *nr);
        if (nr)
            s->rows = nr;
        ql_val *nk = realloc(s->keys, nc * st->nkeys * sizeof *nk + 1);
        if (nk)
            s->keys = nk;
        if (!nr || !nk)
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        s->cap = nc;
    }
    size_t bytes = 0;
    if ((err = keep_row(x, &st->in, r, &s->a, &s->rows[s->n], &bytes)))
        return err;
    ql_row kr = kept_row(&s->rows[s->n]);
    ql_val *k = &s->keys[s->n * st->nkeys];
    if ((err = row_vals(x, &st->in, &kr, st->keys, st->nkeys, k, &s->a, &bytes)))
        return err;
    for (size_t i = 0; i < st->nkeys; i++) {   /* resolved and folded once */
        uint8_t type, ci;
        col_type(&st->in, st->keys[i].col, &type, &ci);
        if (ql_sortkey(x, &s->a, type, ci, &k[i]))
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        if (ci && !k[i].null)
            bytes += k[i].len;                    /* the folded copy */
    }
    s->n++;
    return ql_mem(x, st, bytes);
}

static int sort_cmp(ql_exec *x, ql_op *op, size_t ia, size_t ib)
{
    sort_state *s = op->state;
    ql_stage *st = op->st;
    const ql_val *a = &s->keys[ia * st->nkeys], *b = &s->keys[ib * st->nkeys];
    for (size_t i = 0; i < st->nkeys; i++) {
        uint8_t type, ci;
        col_type(&st->in, st->keys[i].col, &type, &ci);
        (void)ci;                                 /* folded at push */
        int c = ql_val_cmp(x, type, 0, &a[i], &b[i]);
        if (c)
            return st->keys[i].desc && !a[i].null && !b[i].null ? -c : c;
    }
    return 0;
}

static int sort_finish(ql_exec *x, ql_op *op)
{
    sort_state *s = op->state;
    int err = IPL_OK;
    size_t *idx = malloc((s->n ? s->n : 1) * sizeof *idx), *tmp = malloc((s->n ? s->n : 1) * sizeof *tmp);
    if (!idx || !tmp) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->n; i++)
        idx[i] = i;
    msort(x, op, idx, tmp, s->n, sort_cmp);
    for (size_t i = 0; i < s->n; i++) {
        ql_row r = kept_row(&s->rows[idx[i]]);
        op->st->actual++;
        err = ql_push(x, op->next, &r);
        if (err == QL_STOP) {
            err = IPL_OK;
            break;
        }
        if (err)
            break;
    }
out:
    free(idx);
    free(tmp);
    return err;
}

/* ---- the sink: rows to text ------------------------------------------------------------------ */

static int sink_push(ql_exec *x, ql_op *op, const ql_row *r)
{
    const ipl_ql *q = x->q;
    int err = IPL_OK;
    const ql_schema *s = op->state;
    for (size_t i = 0; i < q->noutcols; i++) {
        ql_val v;
        uint8_t type, ci;
        int col = s->events ? (int)i : (int)i;    /* event rows: the columns are QF_SEQ..QF_ATTRS */
        if ((err = ql_get(x, s, r, col, &v)))
            goto out;
        col_type(s, col, &type, &ci);
        x->vals[i] = type == QT_ATTRS && !v.null ? v.s : ql_text(x, type, &v, x->json);
    }
    x->q->stats.rows++;
    err = x->fn(x->fctx, x->vals);
out:
    ipl_arena_clear(&x->rowa);
    return err;
}

/* ---- the chain ------------------------------------------------------------------------------- */

int ql_finish_all(ql_exec *x)
{
    for (ql_op *op = x->ops; op; op = op->next)
        if (op->finish) {
            int err = op->finish(x, op);
            if (err && err != QL_STOP)
                return err;
        }
    return IPL_OK;
}

int ql_exec_ops(ql_exec *x, ipl_diag *d)
{
    ipl_ql *q = x->q;
    ql_op *prev = NULL;
    memset(&x->sink, 0, sizeof x->sink);
    x->sink.push = sink_push;
    x->ops = &x->sink;
    /* the sink reads the last schema */
    const ql_schema *last = q->nstages ? &q->stages[q->nstages - 1].out : &q->src;
    x->sink.state = (void *)last;
    for (size_t i = 0; i < q->nstages; i++) {
        ql_stage *st = &q->stages[i];
        st->actual = 0;
        ql_op *op = calloc(1, sizeof *op);
        if (!op)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        op->st = st;
        if (prev)
            prev->next = op;
        else
            x->ops = op;
        prev = op;
        op->next = &x->sink;
        if (st->elided) {
            op->push = where_push;        /* a pass-through: where true */
            static ql_expr yes = {QE_TRUE, NULL, NULL, NULL};
            op->state = NULL;
            st->where = &yes;
            continue;
        }
        switch (st->node) {
        case QN_WHERE:
            op->push = where_push;
            break;
        case QN_FIELDS:
            op->push = fields_push;
            if (st->nkeys > 64 && !(op->state = calloc(st->nkeys, sizeof(ql_val))))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            op->release = NULL;
            break;
        case QN_LIMIT:
            op->push = limit_push;
            if (!(op->state = calloc(1, sizeof(limit_state))))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            break;
        case QN_COUNT:
            op->push = count_push;
            op->finish = count_finish;
            if (!(op->state = calloc(1, sizeof(uint64_t))))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            break;
        case QN_SORT: {
            sort_state *s = calloc(1, sizeof *s);
            if (!s)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            ipl_arena_init(&s->a, SIZE_MAX / 2);
            op->state = s;
            op->push = sort_push;
            op->finish = sort_finish;
            op->release = sort_release;
            break;
        }
        default: {      /* count by, top, distinct, first, last, timeline */
            gtab *t = calloc(1, sizeof *t);
            if (!t)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            ipl_arena_init(&t->a, SIZE_MAX / 2);
            t->tcol = QF_TIME;
            t->byid = -1;
            if ((st->node == QN_COUNT_BY || st->node == QN_TOP) && st->in.events &&
                st->nkeys == 1) {
                int f = st->keys[0].col;
                if (f == QF_MAC || f == QF_DUID || f == QF_HOST || f == QF_USER ||
                    f == QF_SERVER || f == QF_SOURCE) {
                    uint8_t type, ci;
                    ql_field_type(f, &type, &ci);
                    t->byid = f;
                    t->byid_ci = ci;
                }
            }
            if (!st->in.events)
                for (size_t c = 0; c < st->in.ncols; c++)
                    if (st->in.cols[c].type == QT_TIME &&
                        (st->in.cols[c].field == QF_TIME || strcmp(st->in.cols[c].name, "time") == 0)) {
                        t->tcol = (int)c;
                        break;
                    }
            op->state = t;
            op->push = group_push;
            op->finish = group_finish;
            op->release = gtab_release;
        }
        }
    }
    return IPL_OK;
}

void ql_exec_ops_release(ql_exec *x)
{
    ql_op *op = x->ops;
    while (op && op != &x->sink) {
        ql_op *n = op->next;
        if (op->release)
            op->release(op);
        else
            free(op->state);
        free(op);
        op = n;
    }
    x->ops = NULL;
}
