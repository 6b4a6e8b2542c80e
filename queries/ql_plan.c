/* queries/ql_plan.c — the planner: which index answers the query, in what order rows come, what
 * the filter still has to check, and explain.
 *
 * At compile time (no store) the top-level AND of the source's filter is searched for leaves an
 * index can answer: ip (=, in, ranges, CIDRs: key ranges of ix.ip), mac (=, in), host and user
 * (=, in, and like with a literal prefix: a prefix range of the dictionary), and time leaves,
 * which narrow the window every access path applies. At prepare (with a read transaction) each
 * candidate's keys are looked up and its entries counted in the window; the cheapest of the
 * candidates, the time index over the window and a scan of the whole log (when row order does
 * not matter: ~0.6 of an index-driven fetch per event) is chosen; an index that answers every
 * predicate for stages that need no more than time and seq (count, timeline) reads no event at
 * all and costs ~0.05 per entry. A leaf the chosen index
 * answers exactly is not checked again. A regex or any other predicate no index answers is a
 * filter over the time-bounded scan.
 *
 * Row order: the time index and one key give time order; several keys (a CIDR, a set, a prefix)
 * give key order, then time; the log scan (chosen only when the stages do not depend on order)
 * gives log order. `sort time` right after the source is dropped when the scan already gives
 * time order, and `sort time desc` becomes a reverse scan.
 */
#include "queries/ql_int.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void be32(uint8_t b[4], uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static const char *const node_names[QN__COUNT] = {
#define QL_NODE_NAME(name, text, help) text,
    QL_NODES(QL_NODE_NAME)
#undef QL_NODE_NAME
};

const char *ql_node_name(int n)
{
    return n >= 0 && n < QN__COUNT ? node_names[n] : "?";
}

#define LOG_SCAN_COST 0.6       /* an event of the log scan vs one fetched through an index (the
                                   index's events are read in log order too when order does not
                                   matter; measured on 5M events: ~70 vs ~115 ns) */
#define INDEX_ONLY_COST 0.05    /* an index entry when no event needs to be read */
#define PREFIX_KEYS_MAX 200000  /* dictionary entries a like-prefix may expand to */

/* ---- compile time ---------------------------------------------------------------------------- */

static int add_cand(ipl_ql *q, int ix, ql_leaf *l, int exact)
{
    ql_cand *n = ipl_arena_alloc(&q->arena, (q->ncands + 1) * sizeof *n);
    if (!n)
        return IPL_ENOMEM;
    if (q->ncands)
        memcpy(n, q->cands, q->ncands * sizeof *n);
    memset(&n[q->ncands], 0, sizeof *n);
    n[q->ncands].ix = ix;
    n[q->ncands].leaf = l;
    n[q->ncands].exact = exact;
    q->cands = n;
    q->ncands++;
    return IPL_OK;
}

/* The literal prefix of a like pattern (before the first * or ?). */
static size_t like_prefix(const char *pat)
{
    size_t n = 0;
    while (pat[n] && pat[n] != '*' && pat[n] != '?')
        n++;
    return n;
}

static int collect(ipl_ql *q, ql_expr *e)
{
    int err;
    if (e->kind == QE_AND)
        return (err = collect(q, e->a)) ? err : collect(q, e->b);
    if (e->kind != QE_LEAF)
        return IPL_OK;
    ql_leaf *l = e->leaf;
    switch (l->field) {
    case QF_TIME:
        if (l->nranges == 1 && l->op != QO_LIKE && l->op != QO_MATCH) {
            int64_t lo = l->ranges[0].nlo, hi = l->ranges[0].nhi;
            if (!q->has_window) {
                q->from = 0;
                q->to = QL_TS_MAX;
                q->has_window = 1;
            }
            if (lo > q->from)
                q->from = lo;
            if (hi < q->to)
                q->to = hi;
            l->covered = 1;        /* every access path applies the window */
        }
        return IPL_OK;
    case QF_IP:
        if (l->nranges && l->op != QO_LIKE && l->op != QO_MATCH)
            return add_cand(q, IPL_IX_IP, l, 1);
        return IPL_OK;
    case QF_MAC:
        if (l->op == QO_EQ || l->op == QO_IN)
            return add_cand(q, IPL_IX_MAC, l, 1);
        return IPL_OK;
    case QF_HOST:
    case QF_USER: {
        int ix = l->field == QF_HOST ? IPL_IX_HOST : IPL_IX_USER;
        if (l->op == QO_EQ || l->op == QO_IN)
            return add_cand(q, ix, l, 1);
        if (l->op == QO_LIKE) {
            size_t n = like_prefix(l->pattern);
            if (n > 0)
                return add_cand(q, ix, l, l->pattern[n] == '*' && l->pattern[n + 1] == '\0');
        }
        return IPL_OK;
    }
    default:
        return IPL_OK;
    }
}

/* Does any stage make the result depend on the order rows arrive in? */
static int order_needed(const ipl_ql *q)
{
    for (size_t i = 0; i < q->nstages; i++) {
        switch (q->stages[i].node) {
        case QN_WHERE:
        case QN_FIELDS:
        case QN_DISTINCT:
            continue;
        case QN_COUNT:
        case QN_COUNT_BY:
        case QN_TOP:
        case QN_TIMELINE:
        case QN_FIRST:
        case QN_LAST:
            return 0;
        default:
            return 1;
        }
    }
    return 1;
}

/* Do the stages read anything of the event but its time and seq? */
static int fetch_needed(const ipl_ql *q)
{
    for (size_t i = 0; i < q->nstages; i++) {
        const ql_stage *st = &q->stages[i];
        if (!st->in.events)
            return 0;
        switch (st->node) {
        case QN_COUNT:
            return 0;
        case QN_TIMELINE:
        case QN_COUNT_BY:
        case QN_TOP:
        case QN_DISTINCT:
        case QN_FIELDS:
            for (size_t k = 0; k < st->nkeys; k++)
                if (st->keys[k].col != QF_TIME && st->keys[k].col != QF_SEQ)
                    return 1;
            return 0;
        case QN_LIMIT:
            continue;
        default:
            return 1;
        }
    }
    return 1;            /* event rows are the result */
}

int ql_plan_logical(ipl_ql *q, ipl_diag *d)
{
    int err;
    if (q->track) {
        q->access = QN_TRACK;
        q->ordered = 1;
        return IPL_OK;
    }
    /* `leases | where ...` is `leases where ...`: a leading where stage joins the source's filter
     * (its fields were resolved against the same event schema), so indexes can answer it */
    while (q->nstages && q->stages[0].node == QN_WHERE && q->stages[0].in.events) {
        ql_expr *w = q->stages[0].where;
        if (q->where) {
            ql_expr *a = ipl_arena_alloc(&q->arena, sizeof *a);
            if (!a)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            memset(a, 0, sizeof *a);
            a->kind = QE_AND;
            a->a = q->where;
            a->b = w;
            w = a;
        }
        q->where = w;
        memmove(q->stages, q->stages + 1, (q->nstages - 1) * sizeof *q->stages);
        q->nstages--;
    }
    if (q->where && (err = collect(q, q->where)))
        return ipl_diag_set(d, err, "out of memory");
    if (q->has_window && q->from > q->to) {
        q->from = 1;       /* an empty window */
        q->to = 0;
    }
    if (!q->all_kinds) {   /* the family: a kind test in front of the filter */
        ql_leaf *l = ipl_arena_alloc(&q->arena, sizeof *l);
        ql_lit *lit = ipl_arena_alloc(&q->arena, sizeof *lit);
        ql_expr *e = ipl_arena_alloc(&q->arena, sizeof *e);
        if (!l || !lit || !e)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        memset(l, 0, sizeof *l);
        memset(lit, 0, sizeof *lit);
        memset(e, 0, sizeof *e);
        l->next_leaf = q->leaves;
        q->leaves = l;
        l->field = QF_KIND;
        l->type = QT_KIND;
        l->op = QO_LIKE;
        memcpy(l->kinds, q->kinds, sizeof l->kinds);
        for (size_t i = 0; i < ql_nfamilies; i++)
            if (strcmp(ql_families[i].name, q->source_name) == 0)
                lit->text = ql_families[i].glob;
        if (!lit->text)
            lit->text = q->source_name;
        lit->len = (uint32_t)strlen(lit->text);
        l->lits = lit;
        l->nlits = 1;
        l->fname = "kind";
        e->kind = QE_LEAF;
        e->leaf = l;
        if (q->where) {
            ql_expr *a = ipl_arena_alloc(&q->arena, sizeof *a);
            if (!a)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            memset(a, 0, sizeof *a);
            a->kind = QE_AND;
            a->a = e;
            a->b = q->where;
            e = a;
        }
        q->where = e;
    }
    q->ordered = order_needed(q);
    q->need_fetch = 1;
    q->access = q->has_window ? QN_SCAN_TIME : QN_SCAN_LOG;
    return IPL_OK;
}

/* ---- prepare: the store's view --------------------------------------------------------------- */

static int count_uncovered(const ql_expr *e)
{
    if (!e)
        return 0;
    switch (e->kind) {
    case QE_LEAF:
        return !e->leaf->covered;
    case QE_AND:
        return count_uncovered(e->a) + count_uncovered(e->b);
    case QE_TRUE:
        return 0;
    default:
        return 1;
    }
}

static int add_key(ipl_ql *q, ql_cand *c, const uint8_t *lo, const uint8_t *hi, size_t *cap)
{
    if (c->nkeys == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        uint8_t (*n)[16] = malloc(nc * 2 * sizeof *n);
        if (!n)
            return IPL_ENOMEM;
        if (c->nkeys)
            memcpy(n, c->keys, c->nkeys * 2 * sizeof *n);
        free(c->keys);
        c->keys = n;
        *cap = nc;
    }
    memcpy(c->keys[2 * c->nkeys], lo, 16);
    memcpy(c->keys[2 * c->nkeys + 1], hi, 16);
    c->nkeys++;
    return IPL_OK;
}

typedef struct pfx {
    ipl_ql *q;
    ql_cand *c;
    size_t *cap;
    int err;
} pfx;

static int prefix_key(void *ctx, const char *s, size_t n, uint32_t id)
{
    pfx *p = ctx;
    uint8_t k[16] = {0};
    (void)s;
    (void)n;
    if (p->c->nkeys >= PREFIX_KEYS_MAX)
        return IPL_ELIMIT;
    be32(k, id);
    return add_key(p->q, p->c, k, k, p->cap);
}

static int cmp_key4(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Keys of a candidate and the entries under them (all times). */
static int cand_keys(ipl_ql *q, ipl_rtxn *t, ql_cand *c, uint64_t *entries, ipl_diag *d)
{
    ql_leaf *l = c->leaf;
    size_t cap = 0;
    int err = IPL_OK;
    *entries = 0;
    c->nkeys = 0;
    if (c->ix == IPL_IX_IP) {
        for (size_t i = 0; i < l->nranges; i++) {
            if ((err = add_key(q, c, l->ranges[i].lo, l->ranges[i].hi, &cap)))
                return ipl_diag_set(d, err, "out of memory");
            ipl_ixstat s;
            if ((err = ipl_index_range_stat(t, IPL_IX_IP, l->ranges[i].lo, l->ranges[i].hi, 16384,
                                            &s, d)))
                return err;
            uint64_t e = s.entries;
            if (!s.complete && s.keys) {
                /* extrapolate over the address span not walked (low 64 bits of the range) */
                uint64_t lo = 0, hi = 0, at = 0;
                for (int b = 8; b < 16; b++) {
                    lo = lo << 8 | l->ranges[i].lo[b];
                    hi = hi << 8 | l->ranges[i].hi[b];
                    at = at << 8 | s.last_key[b];
                }
                double frac = hi > lo ? (double)(at - lo + 1) / ((double)(hi - lo) + 1.0) : 1.0;
                if (frac > 0 && frac < 1)
                    e = (uint64_t)((double)s.entries / frac);
            }
            *entries += e;
        }
        c->empty = *entries == 0;
        return IPL_OK;
    }
    if (l->op == QO_LIKE) {
        char folded[IPL_STR_MAX + 1];
        size_t n = like_prefix(l->pattern);
        if (n > IPL_STR_MAX)
            n = IPL_STR_MAX;
        for (size_t i = 0; i < n; i++)
            folded[i] = l->pattern[i] >= 'A' && l->pattern[i] <= 'Z' ? (char)(l->pattern[i] + 32)
                                                                     : l->pattern[i];
        pfx p = {q, c, &cap, 0};
        err = ipl_dict_prefix(t, folded, n, prefix_key, &p, d);
        if (err == IPL_ELIMIT) {      /* too broad to be worth it: not a candidate */
            c->nkeys = 0;
            *entries = UINT64_MAX;
            return IPL_OK;
        }
        if (err)
            return err == IPL_ENOMEM ? ipl_diag_set(d, err, "out of memory") : err;
    } else {
        for (size_t i = 0; i < l->nstrs; i++) {
            uint32_t id;
            uint8_t k[16] = {0};
            int found = c->ix == IPL_IX_MAC
                            ? ipl_dict_find(t, l->strs[i], l->slens[i], &id) == IPL_OK
                            : ipl_dict_find_folded(t, l->strs[i], l->slens[i], &id) == IPL_OK;
            if (!found)
                continue;
            be32(k, id);
            if ((err = add_key(q, c, k, k, &cap)))
                return ipl_diag_set(d, err, "out of memory");
        }
    }
    if (c->nkeys > 1)
        qsort(c->keys, c->nkeys, 32, cmp_key4);
    for (size_t i = 0; i < c->nkeys; i++) {
        uint64_t n;
        if ((err = ipl_index_count(t, (ipl_index)c->ix, c->keys[2 * i], &n, d)))
            return err;
        *entries += n;
    }
    c->empty = *entries == 0;
    return IPL_OK;
}

static int single_key(const ql_cand *c)
{
    return c && c->nkeys == 1 && memcmp(c->keys[0], c->keys[1], 16) == 0;
}

static void stage_estimates(ipl_ql *q)
{
    uint64_t in = q->est_filter;
    for (size_t i = 0; i < q->nstages; i++) {
        ql_stage *st = &q->stages[i];
        st->has_est = 1;
        switch (st->node) {
        case QN_WHERE:
            st->est = (uint64_t)((double)in * ql_selectivity(st->where));
            break;
        case QN_LIMIT:
            st->est = in > (uint64_t)st->offset ? in - (uint64_t)st->offset : 0;
            if (st->est > (uint64_t)st->n)
                st->est = (uint64_t)st->n;
            break;
        case QN_COUNT:
            st->est = 1;
            break;
        case QN_FIRST:
        case QN_LAST:
            if (st->nkeys == 0) {
                st->est = in ? 1 : 0;
                break;
            }
            st->has_est = 0;
            break;
        case QN_TOP:
            st->est = in < (uint64_t)st->n ? in : (uint64_t)st->n;
            st->has_est = 0;
            break;
        case QN_COUNT_BY:
        case QN_DISTINCT:
        case QN_TIMELINE:
            st->has_est = 0;
            break;
        default:
            st->est = in;
        }
        if (!st->has_est)
            return;       /* past an aggregation the planner does not guess */
        in = st->est;
    }
}

int ipl_ql_prepare(ipl_ql *q, ipl_rtxn *t, ipl_diag *d)
{
    int err = IPL_OK;
    if (q->prepared)
        return IPL_OK;
    q->max_id = ipl_dict_max_id(t);
    q->est_total = ipl_store_event_count(t);
    if (q->track) {
        q->est_scan = q->est_filter = 0;
        q->prepared = 1;
        return IPL_OK;
    }
    /* the window's entries in the time index (its buckets; partial ones counted whole) */
    q->est_window = q->est_total;
    if (q->has_window) {
        if (q->from > q->to) {
            q->est_window = 0;
        } else {
            uint8_t lo[16] = {0}, hi[16] = {0};
            int64_t f = q->from < 0 ? 0 : q->from, to = q->to > QL_TS_MAX ? QL_TS_MAX : q->to;
            be32(lo, (uint32_t)((uint64_t)f >> 32));
            be32(hi, (uint32_t)((uint64_t)to >> 32));
            ipl_ixstat s;
            if ((err = ipl_index_range_stat(t, IPL_IX_TIME, lo, hi, UINT64_MAX, &s, d)))
                return err;
            q->est_window = s.entries;
        }
    }
    double frac = q->est_total ? (double)q->est_window / (double)q->est_total : 0.0;
    ql_cand *best = NULL;
    for (size_t i = 0; i < q->ncands; i++) {
        ql_cand *c = &q->cands[i];
        uint64_t entries;
        if ((err = cand_keys(q, t, c, &entries, d)))
            return err;
        if (entries == UINT64_MAX) {
            c->est = UINT64_MAX;
            continue;
        }
        c->est = (uint64_t)((double)entries * frac + 0.5);
        if (entries && !c->est)
            c->est = 1;
        if (c->empty)
            c->est = 0;
    }
    /* the cheapest way; index only when the index answers everything the stages ask */
    int stages_fetch = fetch_needed(q);
    int left = count_uncovered(q->where);
    double cost_time = q->has_window || q->ordered ? (double)q->est_window : 1e300;
    if (cost_time < 1e300 && !stages_fetch && left == 0)
        cost_time *= INDEX_ONLY_COST;
    double cost_log = q->ordered ? 1e300 : (double)q->est_total * LOG_SCAN_COST;
    double cost_cand = 1e300;
    best = NULL;
    for (size_t i = 0; i < q->ncands; i++) {
        ql_cand *c = &q->cands[i];
        if (c->est == UINT64_MAX)
            continue;
        double cost = (double)c->est;
        if (!stages_fetch && c->exact && left == 1)
            cost *= INDEX_ONLY_COST;
        if (!best || cost < cost_cand || (cost == cost_cand && c->est < best->est)) {
            best = c;
            cost_cand = cost;
        }
    }
    if (best && best->empty) {
        q->access = QN_EMPTY;
        q->est_scan = 0;
    } else if (best && cost_cand <= cost_time && cost_cand <= cost_log) {
        static const int nodes[] = {QN_SCAN_IP, QN_SCAN_MAC, QN_SCAN_HOST, QN_SCAN_USER};
        q->access = nodes[best->ix];
        q->est_scan = best->est;
    } else if (cost_time <= cost_log) {
        q->access = QN_SCAN_TIME;
        q->est_scan = q->est_window;
        best = NULL;
    } else {
        q->access = QN_SCAN_LOG;
        q->est_scan = q->est_window;
        best = NULL;
    }
    q->chosen = q->access == QN_EMPTY ? NULL : best;
    if (q->chosen && q->chosen->exact)
        q->chosen->leaf->covered = 1;
    q->leaves_left = count_uncovered(q->where);
    /* order: drop a leading `sort time` the scan already answers */
    int time_order = q->access == QN_SCAN_TIME || (q->chosen && single_key(q->chosen));
    for (size_t i = 0; i < q->nstages; i++) {
        ql_stage *st = &q->stages[i];
        if (st->node == QN_WHERE || st->node == QN_FIELDS)
            continue;
        if (st->node == QN_SORT && st->in.events && st->nkeys == 1 &&
            st->keys[0].col == QF_TIME && time_order) {
            st->elided = 1;
            q->reverse = st->keys[0].desc;
            if (q->reverse && q->access != QN_SCAN_TIME && !single_key(q->chosen))
                st->elided = q->reverse = 0;
        }
        break;
    }
    q->need_fetch = q->leaves_left > 0 || fetch_needed(q);
    q->est_filter = (uint64_t)((double)q->est_scan * (q->where ? ql_selectivity(q->where) : 1.0));
    stage_estimates(q);
    q->prepared = 1;
    return IPL_OK;
}

/* ---- explain --------------------------------------------------------------------------------- */

typedef struct wbuf {
    ipl_write_fn w;
    void *ctx;
    int err;
} wbuf;

static void wr(wbuf *b, const char *fmt, ...) IPL_PRINTF(2, 3);
static void wr(wbuf *b, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (!b->err && b->w(b->ctx, line, len) < 0)
        b->err = IPL_EIO;
}

static const char *num(uint64_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* An ip range as a prefix when it is one, else "a-b". */
static int bit_of(const uint8_t ip[16], int b)
{
    return ip[b / 8] >> (7 - b % 8) & 1;
}

static void range_text(const uint8_t lo[16], const uint8_t hi[16], char *buf, size_t n)
{
    char a[IPL_IP_TEXT], z[IPL_IP_TEXT];
    int bits = 0, prefix = 1;
    while (bits < 128 && bit_of(lo, bits) == bit_of(hi, bits))
        bits++;
    for (int b = bits; b < 128 && prefix; b++)
        if (bit_of(lo, b) != 0 || bit_of(hi, b) != 1)
            prefix = 0;
    ipl_ip_format(lo, a, sizeof a);
    if (bits == 128) {
        snprintf(buf, n, "%s", a);
        return;
    }
    int v4 = ipl_ip_is_v4(lo) && ipl_ip_is_v4(hi);
    if (prefix && (!v4 || bits >= 96)) {
        ipl_prefix p;
        memcpy(p.lo, lo, 16);
        memcpy(p.hi, hi, 16);
        p.bits = bits;
        p.v4 = v4;
        ipl_prefix_format(&p, buf, n);
        return;
    }
    ipl_ip_format(hi, z, sizeof z);
    snprintf(buf, n, "%s-%s", a, z);
}

static void window_text(const ipl_ql *q, char *buf, size_t n)
{
    char a[IPL_TIME_BUF], b[IPL_TIME_BUF];
    if (!q->has_window) {
        snprintf(buf, n, "all time");
        return;
    }
    if (q->from > q->to) {
        snprintf(buf, n, "empty");
        return;
    }
    ipl_time_format(q->from, a, sizeof a);
    ipl_time_format(q->to, b, sizeof b);
    snprintf(buf, n, "%s .. %s", q->from <= 0 ? "-" : a, q->to >= QL_TS_MAX ? "-" : b);
}

static void access_text(const ipl_ql *q, char *buf, size_t n)
{
    size_t o = 0;
    o += (size_t)snprintf(buf, n, "%s", ql_node_name(q->access));
    const ql_cand *c = q->chosen;
    if (q->access == QN_TRACK && q->track_by >= QL_SRC_QUARANTINE) {
        snprintf(buf, n, "scan %s", q->source_name);
        return;
    }
    if (q->access == QN_TRACK) {
        static const char *const by[] = {"ip", "mac", "host", "user"};
        snprintf(buf + o, n - o, " %s %s", by[q->track_by < 4 ? q->track_by : 0], q->track_value);
        return;
    }
    if (!c || o >= n)
        return;
    if (c->ix == IPL_IX_IP) {
        const ql_leaf *l = c->leaf;
        for (size_t i = 0; i < l->nranges && i < 4 && o < n; i++) {
            char r[128];
            range_text(l->ranges[i].lo, l->ranges[i].hi, r, sizeof r);
            o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : " ", r);
        }
        if (l->nranges > 4 && o < n)
            snprintf(buf + o, n - o, ", ... (%zu ranges)", l->nranges);
        return;
    }
    const ql_leaf *l = c->leaf;
    if (l->op == QO_LIKE)
        o += (size_t)snprintf(buf + o, n - o, " like \"%s\"", l->pattern);
    else
        for (size_t i = 0; i < l->nstrs && i < 4 && o < n; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s\"%s\"", i ? ", " : " ", l->strs[i]);
    if (o < n && q->prepared)
        snprintf(buf + o, n - o, " (%zu key%s)", c->nkeys, c->nkeys == 1 ? "" : "s");
}

static void node_line(wbuf *b, int i, const char *what, int has_est, uint64_t est, int ran,
                      uint64_t act)
{
    char e[32], a[32];
    wr(b, "  %d. %-60s  est %12s  rows %12s\n", i, what, has_est ? num(est, e, sizeof e) : "?",
       ran ? num(act, a, sizeof a) : "-");
}

int ipl_ql_explain(const ipl_ql *q, ipl_write_fn w, void *wctx)
{
    wbuf b = {w, wctx, 0};
    char text[1024], tmp[1024], e1[32];
    size_t o = 0;
    /* the query on one line */
    for (size_t i = 0; i < q->len && o + 1 < sizeof text; i++) {
        char c = q->text[i];
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == ' ' && o && text[o - 1] == ' ')
            continue;
        text[o++] = c;
    }
    text[o] = '\0';
    wr(&b, "query:   %s\n", text);
    if (q->track && q->track_by >= QL_SRC_QUARANTINE) {
        wr(&b, "source:  %s\n", q->source_name);
    } else if (q->track) {
        static const char *const by[] = {"ip", "mac", "host", "user"};
        wr(&b, "source:  track %s %s\n", by[q->track_by < 4 ? q->track_by : 0], q->track_value);
    } else {
        const char *glob = q->all_kinds ? "every kind" : NULL;
        for (size_t i = 0; !glob && i < ql_nfamilies; i++)
            if (strcmp(ql_families[i].name, q->source_name) == 0)
                glob = ql_families[i].glob;
        wr(&b, "source:  %s (%s)\n", q->source_name, glob ? glob : q->source_name);
    }
    window_text(q, tmp, sizeof tmp);
    wr(&b, "window:  %s\n", tmp);
    if (!q->track) {
        o = 0;
        tmp[0] = '\0';
        for (size_t i = 0; i < q->ncands; i++) {
            const ql_cand *c = &q->cands[i];
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%s%s", i ? ", " : "",
                                  ipl_index_name((ipl_index)c->ix));
            if (q->prepared && o < sizeof tmp)
                o += (size_t)snprintf(tmp + o, sizeof tmp - o, " %s",
                                      c->est == UINT64_MAX ? "(too many keys)" : num(c->est, e1, sizeof e1));
        }
        if (q->prepared && o < sizeof tmp)
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%stime %s", q->ncands ? ", " : "",
                                  num(q->est_window, e1, sizeof e1));
        if (q->prepared && !q->ordered && o < sizeof tmp)
            snprintf(tmp + o, sizeof tmp - o, ", log %s (x%.2f)", num(q->est_total, e1, sizeof e1),
                     LOG_SCAN_COST);
        wr(&b, "indexes: %s\n", tmp[0] ? tmp : "none (no ip, mac, host or user predicate)");
        const char *order = !q->prepared                   ? "?"
                            : q->access == QN_EMPTY        ? "-"
                            : q->access == QN_SCAN_LOG     ? "log order (seq)"
                            : !q->ordered && q->need_fetch ? "not needed: events read in log order"
                            : q->reverse                   ? "time, newest first"
                            : q->access == QN_SCAN_TIME || single_key(q->chosen) ? "time"
                            : q->access == QN_SCAN_IP      ? "address, then time"
                                                           : "key, then time";
        wr(&b, "order:   %s%s\n", order,
           q->prepared && !q->need_fetch ? " (index only: no event is read)" : "");
    }
    wr(&b, "plan:\n");
    int n = 1;
    access_text(q, tmp, sizeof tmp);
    if (!q->prepared && !q->track)
        snprintf(tmp, sizeof tmp, "scan (chosen at run time)");
    node_line(&b, n++, tmp, q->prepared && !q->track, q->est_scan, q->ran, q->stats.index_entries);
    if (q->where && q->leaves_left + (q->prepared ? 0 : 1) > 0) {
        o = 0;
        o += (size_t)snprintf(tmp, sizeof tmp, "%s ", ql_node_name(QN_FILTER));
        ql_expr_text(q, q->where, &q->src, tmp, sizeof tmp, &o);
        node_line(&b, n++, tmp, q->prepared && !q->track, q->est_filter, q->ran, q->act_filter);
    }
    for (size_t i = 0; i < q->nstages; i++) {
        const ql_stage *st = &q->stages[i];
        o = (size_t)snprintf(tmp, sizeof tmp, "%s", ql_node_name(st->node));
        switch (st->node) {
        case QN_WHERE:
            tmp[o++] = ' ';
            tmp[o] = '\0';
            ql_expr_text(q, st->where, &st->in, tmp, sizeof tmp, &o);
            break;
        case QN_LIMIT:
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, " %lld", (long long)st->n);
            if (st->n == INT64_MAX)
                o = (size_t)snprintf(tmp, sizeof tmp, "offset");
            if (st->offset)
                o += (size_t)snprintf(tmp + o, sizeof tmp - o, " offset %lld", (long long)st->offset);
            break;
        case QN_TOP:
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, " %lld by", (long long)st->n);
            break;
        case QN_TIMELINE: {
            char wb[32];
            int64_t s = st->width / IPL_US_PER_SEC;
            if (s % 604800 == 0) snprintf(wb, sizeof wb, "%lldw", (long long)(s / 604800));
            else if (s % 86400 == 0) snprintf(wb, sizeof wb, "%lldd", (long long)(s / 86400));
            else if (s % 3600 == 0) snprintf(wb, sizeof wb, "%lldh", (long long)(s / 3600));
            else if (s % 60 == 0) snprintf(wb, sizeof wb, "%lldm", (long long)(s / 60));
            else snprintf(wb, sizeof wb, "%llds", (long long)s);
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, " %s%s", wb, st->nkeys ? " by" : "");
            break;
        }
        case QN_FIRST:
        case QN_LAST:
            if (st->nkeys)
                o += (size_t)snprintf(tmp + o, sizeof tmp - o, " by");
            break;
        default:
            break;
        }
        for (size_t k = 0; k < st->nkeys && o < sizeof tmp; k++) {
            const char *name = st->in.events ? ql_field_name(st->keys[k].col)
                                             : st->in.cols[st->keys[k].col].name;
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%s%s%s", k ? ", " : " ", name,
                                  st->node == QN_SORT && st->keys[k].desc ? " desc" : "");
            if (st->node == QN_FIELDS && st->out.cols && o < sizeof tmp &&
                strcmp(st->out.cols[k].name, name) != 0)
                o += (size_t)snprintf(tmp + o, sizeof tmp - o, " as %s", st->out.cols[k].name);
        }
        if (st->elided && o < sizeof tmp)
            snprintf(tmp + o, sizeof tmp - o, " (answered by the scan order)");
        node_line(&b, n++, tmp, q->prepared && st->has_est, st->est, q->ran, st->actual);
    }
    return b.err;
}
