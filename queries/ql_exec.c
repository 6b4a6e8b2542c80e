/* queries/ql_exec.c — compiling, running and freeing a query: the public API of ql.h and the
 * scans that feed the stages.
 *
 * Scans (the access path chosen by ql_plan.c):
 *   log      every event in seq order through one cursor (sequential pages); the window and the
 *            filter are checked on the raw record.
 *   index    entries of the index's key ranges in the window, read a page at a time, in chunks
 *            (256 entries first, so the first row comes at once, then up to 65,536): a chunk's
 *            seqs are sorted so the events are read in log order (LMDB stays on the page it is
 *            on), the filter is evaluated on each raw record, and the matches are put back in
 *            index order (when the stages need order) before they are pushed. Memory per chunk
 *            is fixed, whatever the result size.
 *   reverse  `sort time desc` on the time index or one key: the same, walking the index back.
 *   index only  when nothing but the time and seq of an entry is needed (a count, a timeline)
 *            and the index answers every predicate, no event is read at all.
 *   track    rows of ipl_track (queries/track.h) as value rows, filtered by the where clause.
 */
#include "queries/ql_int.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "queries/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_FIRST 256
#define CHUNK_MAX   65536            /* positions fit in 16 bits */
#define TRACK_MAX_ADDRS 65536

/* ---- compile and free ------------------------------------------------------------------------ */

void ipl_ql_free(ipl_ql *q)
{
    if (!q)
        return;
    for (ql_leaf *l = q->leaves; l; l = l->next_leaf)
        ql_leaf_release(l);
    for (size_t i = 0; i < q->ncands; i++)
        free(q->cands[i].keys);
    ipl_arena_release(&q->arena);
    free(q);
}

int ipl_ql_compile(ipl_ql **out, const char *text, size_t len, const ipl_ql_opts *o, ipl_diag *d)
{
    *out = NULL;
    const char *name = o && o->name ? o->name : "query";
    if (len > IPL_QL_MAX_TEXT)
        return ipl_diag_set(d, IPL_ELIMIT, "%s: the query is %zu bytes long; the limit is %d bytes",
                            name, len, IPL_QL_MAX_TEXT);
    if (o && o->nparams > IPL_QL_MAX_PARAMS)
        return ipl_diag_set(d, IPL_ELIMIT, "%s: %zu parameters; the limit is %d", name,
                            o->nparams, IPL_QL_MAX_PARAMS);
    if (text && memchr(text, '\0', len))
        return ipl_diag_set(d, IPL_EPARSE, "%s: the query contains a NUL byte", name);
    ipl_ql *q = calloc(1, sizeof *q);
    if (!q)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    ipl_arena_init(&q->arena, (size_t)64 << 20);
    int err = IPL_OK;
    if (o)
        q->o = *o;
    q->name = ipl_arena_strdup(&q->arena, name);
    q->text = ipl_arena_strndup(&q->arena, text ? text : "", len);
    q->len = len;
    q->param_used = ipl_arena_alloc(&q->arena, (q->o.nparams + 1) * sizeof *q->param_used);
    if (!q->name || !q->text || !q->param_used) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    memset(q->param_used, 0, (q->o.nparams + 1) * sizeof *q->param_used);
    q->o.name = q->name;
    if (!q->o.max_memory)
        q->o.max_memory = IPL_QL_MEMORY_DEFAULT;
    if (!q->o.regex_match_limit)
        q->o.regex_match_limit = IPL_QL_REGEX_MATCH;
    if (!q->o.regex_depth_limit)
        q->o.regex_depth_limit = IPL_QL_REGEX_DEPTH;
    if (q->o.nparams) {
        ipl_ql_param *pp = ipl_arena_alloc(&q->arena, q->o.nparams * sizeof *pp);
        if (!pp) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < q->o.nparams; i++) {
            const ipl_ql_param *src = &o->params[i];
            if (!src->name || !src->value) {
                err = ipl_diag_set(d, IPL_EINVAL, "%s: parameter %zu has no name or value", name, i);
                goto out;
            }
            size_t vl = strlen(src->value);
            if (vl > IPL_QL_MAX_TEXT) {
                err = ipl_diag_set(d, IPL_ELIMIT, "%s: parameter $%.40s is %zu bytes; the limit is "
                                                  "%d", name, src->name, vl, IPL_QL_MAX_TEXT);
                goto out;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(pp[j].name, src->name) == 0) {
                    err = ipl_diag_set(d, IPL_EINVAL, "%s: parameter $%.40s is given twice", name,
                                       src->name);
                    goto out;
                }
            pp[i].name = ipl_arena_strdup(&q->arena, src->name);
            pp[i].value = ipl_arena_strdup(&q->arena, src->value);
            if (!pp[i].name || !pp[i].value) {
                err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                goto out;
            }
        }
        q->o.params = pp;
    } else {
        q->o.params = NULL;
    }
    if ((err = ql_parse(q, d)) || (err = ql_plan_logical(q, d)))
        goto out;
    *out = q;
    q = NULL;
out:
    ipl_ql_free(q);
    return err;
}

const ipl_col *ipl_ql_cols(const ipl_ql *q, size_t *ncols)
{
    *ncols = q->noutcols;
    return q->outcols;
}

void ipl_ql_stats_get(const ipl_ql *q, ipl_ql_stats *s)
{
    *s = q->stats;
}

/* ---- scans ----------------------------------------------------------------------------------- */

static int emit_event(ql_exec *x, const ipl_rawev *ev)
{
    ql_row r = {ev, NULL};
    int rc = ql_push(x, x->ops, &r);
    ipl_arena_clear(&x->rowa);
    return rc;
}

static int filter(ql_exec *x, const ipl_rawev *ev, int *m)
{
    ipl_ql *q = x->q;
    if (!q->leaves_left || !q->where) {
        *m = 1;
        return IPL_OK;
    }
    ql_row r = {ev, NULL};
    return ql_eval(x, q->where, &q->src, &r, m);
}

static int scan_log(ql_exec *x)
{
    ipl_ql *q = x->q;
    ipl_evcur *c = NULL;
    ipl_rawev ev;
    int err = ipl_evcur_open(x->t, &c, x->d);
    while (!err && (err = ipl_evcur_next(c, &ev, x->d)) == IPL_OK) {
        q->stats.events_read++;
        q->stats.index_entries++;
        if (q->has_window && (ev.ts < q->from || ev.ts > q->to))
            continue;
        int m;
        if ((err = filter(x, &ev, &m)) || !m)
            continue;
        q->act_filter++;
        err = emit_event(x, &ev);
    }
    ipl_evcur_close(c);
    return err == IPL_ENOTFOUND ? IPL_OK : err;
}

typedef struct chunk {
    uint64_t  *seq;
    int64_t   *ts;
    uint64_t  *order;        /* seq << 16 | position */
    uint64_t  *tmp;
    ipl_rawev *ev;           /* matches, in fetch order */
    uint16_t  *mpos;         /* their positions */
    int32_t   *slot;         /* position -> match + 1 */
} chunk;

static void chunk_free(chunk *c)
{
    free(c->seq);
    free(c->ts);
    free(c->order);
    free(c->tmp);
    free(c->ev);
    free(c->mpos);
    free(c->slot);
}

static int chunk_alloc(chunk *c)
{
    memset(c, 0, sizeof *c);
    c->seq = malloc(CHUNK_MAX * sizeof *c->seq);
    c->ts = malloc(CHUNK_MAX * sizeof *c->ts);
    c->order = malloc(CHUNK_MAX * sizeof *c->order);
    c->tmp = malloc(CHUNK_MAX * sizeof *c->tmp);
    c->ev = malloc(CHUNK_MAX * sizeof *c->ev);
    c->mpos = malloc(CHUNK_MAX * sizeof *c->mpos);
    c->slot = malloc(CHUNK_MAX * sizeof *c->slot);
    return c->seq && c->ts && c->order && c->tmp && c->ev && c->mpos && c->slot ? IPL_OK
                                                                                : IPL_ENOMEM;
}

/* LSD radix sort of n 64-bit keys by their bits from `from` up (bytes equal in every key are
 * skipped). The chunk's keys are seq << 16 | position: seqs are unique, so the position bits
 * need no pass. */
static void radix(uint64_t *v, uint64_t *tmp, size_t n, int from)
{
    uint64_t all_and = ~UINT64_C(0), all_or = 0;
    for (size_t i = 0; i < n; i++) {
        all_and &= v[i];
        all_or |= v[i];
    }
    uint64_t diff = all_and ^ all_or;
    for (int shift = from; shift < 64; shift += 8) {
        if (!((diff >> shift) & 0xff))
            continue;
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[(v[i] >> shift) & 0xff]++;
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(v[i] >> shift) & 0xff]++] = v[i];
        memcpy(v, tmp, n * sizeof *v);
    }
}

/* Reads the n index entries of the chunk's events (in seq order), filters and pushes them. */
static int chunk_run(ql_exec *x, chunk *c, size_t n, ipl_evcur *cur)
{
    ipl_ql *q = x->q;
    int err = IPL_OK;
    q->stats.index_entries += n;
    if (!q->need_fetch) {
        for (size_t i = 0; i < n && !err; i++) {
            ipl_rawev ev;
            memset(&ev, 0, sizeof ev);
            ev.seq = c->seq[i];
            ev.ts = c->ts[i];
            q->act_filter++;
            err = emit_event(x, &ev);
        }
        return err;
    }
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        c->order[i] = c->seq[i] << 16 | (uint64_t)i;
        if (i && c->seq[i] < c->seq[i - 1])
            sorted = 0;
    }
    if (!sorted)
        radix(c->order, c->tmp, n, 16);
    /* in index order already, or order does not matter: push as read, keep nothing */
    int direct = sorted || !q->ordered;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = c->order[i] >> 16;
        ipl_rawev *ev = &c->ev[direct ? 0 : m];
        err = ipl_evcur_get(cur, seq, ev, x->d);
        if (err == IPL_ENOTFOUND) {
            err = IPL_OK;             /* purged under a stale index entry: nothing to show */
            continue;
        }
        if (err)
            return err;
        q->stats.events_read++;
        int match;
        if ((err = filter(x, ev, &match)))
            return err;
        if (!match)
            continue;
        q->act_filter++;
        if (direct) {
            if ((err = emit_event(x, ev)))
                return err;
            continue;
        }
        c->mpos[m++] = (uint16_t)(c->order[i] & 0xffff);
    }
    if (direct)
        return IPL_OK;
    for (size_t i = 0; i < n; i++)
        c->slot[i] = 0;
    for (size_t i = 0; i < m; i++)
        c->slot[c->mpos[i]] = (int32_t)(i + 1);
    for (size_t i = 0; i < n && !err; i++)
        if (c->slot[i])
            err = emit_event(x, &c->ev[c->slot[i] - 1]);
    return err;
}

static int scan_index(ql_exec *x)
{
    ipl_ql *q = x->q;
    static const ipl_index ixs[] = {
        [QN_SCAN_TIME] = IPL_IX_TIME, [QN_SCAN_IP] = IPL_IX_IP, [QN_SCAN_MAC] = IPL_IX_MAC,
        [QN_SCAN_HOST] = IPL_IX_HOST, [QN_SCAN_USER] = IPL_IX_USER};
    ipl_index ix = ixs[q->access];
    int64_t from = q->has_window ? q->from : 0, to = q->has_window ? q->to : QL_TS_MAX;
    ipl_ixscan *s = NULL;
    ipl_ixcur *rc = NULL;
    ipl_evcur *cur = NULL;
    chunk c;
    int err = chunk_alloc(&c);
    size_t want = CHUNK_FIRST, key = 0, nkeys = q->chosen ? q->chosen->nkeys : 1;
    if (err) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_evcur_open(x->t, &cur, x->d)))
        goto out;
    const void *klo = q->chosen ? q->chosen->keys[0] : NULL;
    const void *khi = q->chosen ? q->chosen->keys[1] : NULL;
    if (q->reverse)
        err = ipl_ixcur_open(x->t, ix, klo, khi, from, to, 1, &rc, x->d);
    else
        err = ipl_ixscan_open(x->t, ix, klo, khi, from, to, &s, x->d);
    if (err)
        goto out;
    for (;;) {
        size_t n = 0;
        while (n < want) {
            size_t got = 0;
            if (q->reverse) {
                ipl_ixent e;
                while (n + got < want && (err = ipl_ixcur_next(rc, &e, x->d)) == IPL_OK) {
                    c.seq[n + got] = e.seq;
                    c.ts[n + got] = e.ts;
                    got++;
                }
                if (err == IPL_ENOTFOUND)
                    err = IPL_OK;
                if (err)
                    goto out;
                n += got;
                break;
            }
            if ((err = ipl_ixscan_fill(s, c.seq + n, c.ts + n, want - n, &got, x->d)))
                goto out;
            n += got;
            if (n < want) {            /* this key range is done: the next one */
                if (++key >= nkeys)
                    break;
                ipl_ixscan_reset(s, q->chosen->keys[2 * key], q->chosen->keys[2 * key + 1]);
            }
        }
        if (n == 0)
            break;
        err = chunk_run(x, &c, n, cur);
        if (err)
            goto out;
        if (n < want)
            break;
        if (want < CHUNK_MAX)
            want *= 4;
        if (want > CHUNK_MAX)
            want = CHUNK_MAX;
    }
out:
    ipl_ixscan_close(s);
    ipl_ixcur_close(rc);
    ipl_evcur_close(cur);
    chunk_free(&c);
    return err;
}

/* Unordered consumers (count by, timeline, ...): every entry of the index is marked in a bitmap
 * of seqs, then the events are read in log order, runs of marked seqs with MDB_NEXT. Reading in
 * log order is what makes a CIDR's scattered entries cheap; the bitmap covers at most
 * BITMAP_SEQS seqs at a time (16 MiB), the index is read once per such window. */
#define BITMAP_SEQS ((uint64_t)1 << 27)

static int open_keys(ql_exec *x, ipl_index ix, ipl_ixscan **s)
{
    ipl_ql *q = x->q;
    int64_t from = q->has_window ? q->from : 0, to = q->has_window ? q->to : QL_TS_MAX;
    const void *klo = q->chosen ? q->chosen->keys[0] : NULL;
    const void *khi = q->chosen ? q->chosen->keys[1] : NULL;
    return ipl_ixscan_open(x->t, ix, klo, khi, from, to, s, x->d);
}

static int scan_bitmap(ql_exec *x, ipl_index ix)
{
    ipl_ql *q = x->q;
    uint64_t last = ipl_store_last_seq(x->t);
    uint64_t span = last + 1 < BITMAP_SEQS ? last + 1 : BITMAP_SEQS;
    uint64_t *bits = calloc((size_t)(span + 63) / 64, sizeof *bits);
    uint64_t *seqs = malloc(CHUNK_MAX * sizeof *seqs);
    int64_t *ts = malloc(CHUNK_MAX * sizeof *ts);
    ipl_ixscan *s = NULL;
    ipl_evcur *cur = NULL;
    int err = IPL_OK;
    size_t nkeys = q->chosen ? q->chosen->nkeys : 1;
    if (!bits || !seqs || !ts) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_evcur_open(x->t, &cur, x->d)))
        goto out;
    for (uint64_t base = 0; base <= last; base += span) {
        uint64_t lo = base, hi = base + span;      /* [lo, hi) */
        uint64_t marked = 0;
        if (base)
            memset(bits, 0, (size_t)(span + 63) / 64 * sizeof *bits);
        if ((err = open_keys(x, ix, &s)))
            goto out;
        for (size_t key = 0;;) {
            size_t got;
            if ((err = ipl_ixscan_fill(s, seqs, ts, CHUNK_MAX, &got, x->d)))
                goto out;
            for (size_t i = 0; i < got; i++)
                if (seqs[i] >= lo && seqs[i] < hi) {
                    uint64_t b = seqs[i] - lo;
                    bits[b >> 6] |= UINT64_C(1) << (b & 63);
                    marked++;
                }
            if (base == 0)
                q->stats.index_entries += got;
            if (got < CHUNK_MAX) {
                if (++key >= nkeys)
                    break;
                ipl_ixscan_reset(s, q->chosen->keys[2 * key], q->chosen->keys[2 * key + 1]);
            }
        }
        ipl_ixscan_close(s);
        s = NULL;
        for (uint64_t w = 0; marked && w < (span + 63) / 64; w++) {
            uint64_t word = bits[w];
            while (word) {
                int b = __builtin_ctzll(word);
                word &= word - 1;
                ipl_rawev ev;
                err = ipl_evcur_get(cur, lo + w * 64 + (uint64_t)b, &ev, x->d);
                if (err == IPL_ENOTFOUND) {
                    err = IPL_OK;
                    continue;
                }
                if (err)
                    goto out;
                q->stats.events_read++;
                int m;
                if ((err = filter(x, &ev, &m)))
                    goto out;
                if (!m)
                    continue;
                q->act_filter++;
                if ((err = emit_event(x, &ev)))
                    goto out;
            }
        }
        if (hi > last)
            break;
    }
out:
    ipl_ixscan_close(s);
    ipl_evcur_close(cur);
    free(bits);
    free(seqs);
    free(ts);
    return err;
}

/* ---- track ----------------------------------------------------------------------------------- */

typedef struct trackctx {
    ql_exec *x;
    int      stop;
} trackctx;

static int track_row(void *ctx, const ipl_track_row *tr)
{
    trackctx *tc = ctx;
    ql_exec *x = tc->x;
    ipl_ql *q = x->q;
    ql_val v[15];
    char evb[16 * 21 + 1];
    size_t o = 0;
    int any_ip = 0;
    memset(v, 0, sizeof v);
    for (int i = 0; i < 16; i++)
        any_ip |= tr->ip[i];
#define STR(i, str) do { const char *s_ = (str); v[i].null = !s_; v[i].s = s_; v[i].len = s_ ? (uint32_t)strlen(s_) : 0; } while (0)
#define TIME(i, us) do { v[i].null = !(us); v[i].n = (us); } while (0)
    v[0].null = !any_ip;
    memcpy(v[0].ip, tr->ip, 16);
    STR(1, !any_ip ? "no address" : tr->held ? "held" : "nobody");
    TIME(2, tr->start);
    TIME(3, tr->end);
    if (!tr->end && tr->held) {
        v[3].null = 0;
        v[3].n = INT64_MAX;      /* open */
    }
    STR(4, tr->mac);
    STR(5, tr->duid);
    STR(6, tr->host);
    STR(7, tr->server);
    STR(8, tr->user ? tr->user : (tr->held ? "unknown user" : NULL));
    TIME(9, tr->logon);
    TIME(10, tr->logoff);
    STR(11, tr->via);
    STR(12, tr->logon_server);
    STR(13, tr->other_addrs);
    evb[0] = '\0';
    for (int i = 0; i < tr->nevidence && o < sizeof evb; i++)
        o += (size_t)snprintf(evb + o, sizeof evb - o, "%s%llu", i ? "," : "",
                              (unsigned long long)tr->evidence[i]);
    STR(14, evb);
#undef STR
#undef TIME
    q->stats.index_entries++;
    ql_row r = {NULL, v};
    int m = 1, err = IPL_OK;
    if (q->where && (err = ql_eval(x, q->where, &q->src, &r, &m)))
        return err;
    if (!m)
        return IPL_OK;
    q->act_filter++;
    err = ql_push(x, x->ops, &r);
    ipl_arena_clear(&x->rowa);
    if (err == QL_STOP) {
        tc->stop = 1;
        return QL_STOP;
    }
    return err;
}

static int scan_track(ql_exec *x)
{
    ipl_ql *q = x->q;
    ipl_arena a;
    trackctx tc = {x, 0};
    ipl_track_opts o = {q->has_window ? q->from : 0, q->has_window ? q->to : QL_TS_MAX, 0};
    uint8_t (*ips)[16] = NULL;
    ipl_ixcur *c = NULL;
    int err = IPL_OK;
    if (q->track_by >= QL_SRC_QUARANTINE)
        return ql_scan_vsrc(x);
    ipl_arena_init(&a, (size_t)64 << 20);
    if (!q->track_isrange) {
        err = ipl_track(x->t, (ipl_index)q->track_by, q->track_value, &o, track_row, &tc, &a, x->d);
        goto out;
    }
    /* every address of the range with an event in the window, then each one's track */
    size_t n = 0;
    ipl_ixent e;
    ips = malloc(TRACK_MAX_ADDRS * sizeof *ips);
    if (!ips) {
        err = ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    /* an address held in the window may have been leased before it: look from the start */
    if ((err = ipl_ixcur_open(x->t, IPL_IX_IP, q->track_range.lo, q->track_range.hi, 0, o.to, 0,
                              &c, x->d)))
        goto out;
    while ((err = ipl_ixcur_next(c, &e, x->d)) == IPL_OK) {
        if (n && memcmp(ips[n - 1], e.key, 16) == 0)
            continue;
        if (n == TRACK_MAX_ADDRS) {
            err = ql_error_at(q, x->d, IPL_ELIMIT, q->track_lit.line, q->track_lit.col,
                              "track ip in %.60s: more than %d addresses have events in the "
                              "window; narrow the prefix or the window",
                              q->track_value, TRACK_MAX_ADDRS);
            goto out;
        }
        memcpy(ips[n++], e.key, 16);
    }
    if (err != IPL_ENOTFOUND)
        goto out;
    err = IPL_OK;
    for (size_t i = 0; i < n && !err && !tc.stop; i++) {
        char ipb[IPL_IP_TEXT];
        ipl_ip_format(ips[i], ipb, sizeof ipb);
        err = ipl_track(x->t, IPL_IX_IP, ipb, &o, track_row, &tc, &a, x->d);
        ipl_arena_clear(&a);
    }
out:
    if (err == QL_STOP)
        err = IPL_OK;
    ipl_ixcur_close(c);
    free(ips);
    ipl_arena_release(&a);
    return err;
}

/* ---- run ------------------------------------------------------------------------------------- */

static void reset_counts(ipl_ql *q)
{
    memset(&q->stats, 0, sizeof q->stats);
    q->act_filter = 0;
    for (size_t i = 0; i < q->nstages; i++)
        q->stages[i].actual = 0;
}

int ipl_ql_run(ipl_ql *q, ipl_rtxn *t, int json, ipl_ql_row_fn fn, void *ctx, ipl_diag *d)
{
    ql_exec x;
    int err;
    memset(&x, 0, sizeof x);
    if (!q->prepared && (err = ipl_ql_prepare(q, t, d)))
        return err;
    reset_counts(q);
    x.q = q;
    x.t = t;
    x.d = d;
    x.json = json;
    x.fn = fn;
    x.fctx = ctx;
    x.mem_max = q->o.max_memory;
    ipl_arena_init(&x.rowa, (size_t)64 << 20);
    x.vals = calloc(q->noutcols ? q->noutcols : 1, sizeof *x.vals);
    x.mctx = pcre2_match_context_create(NULL);
    if (!x.vals || !x.mctx) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    pcre2_set_match_limit(x.mctx, q->o.regex_match_limit);
    pcre2_set_depth_limit(x.mctx, q->o.regex_depth_limit);
    if ((err = ql_exec_ops(&x, d)))
        goto out;
    switch (q->access) {
    case QN_EMPTY:
        err = IPL_OK;
        break;
    case QN_TRACK:
        err = scan_track(&x);
        break;
    case QN_SCAN_LOG:
        err = scan_log(&x);
        break;
    default:
        if (!q->ordered && q->need_fetch && !q->reverse) {
            static const ipl_index ixs[] = {
                [QN_SCAN_TIME] = IPL_IX_TIME, [QN_SCAN_IP] = IPL_IX_IP, [QN_SCAN_MAC] = IPL_IX_MAC,
                [QN_SCAN_HOST] = IPL_IX_HOST, [QN_SCAN_USER] = IPL_IX_USER};
            err = scan_bitmap(&x, ixs[q->access]);
        } else {
            err = scan_index(&x);
        }
    }
    if (err == QL_STOP)
        err = IPL_OK;
    if (!err)
        err = ql_finish_all(&x);
    if (err == QL_STOP)
        err = IPL_OK;
    q->ran = 1;
out:
    ql_exec_ops_release(&x);
    if (x.mctx)
        pcre2_match_context_free(x.mctx);
    free(x.vals);
    free(x.fold);
    free(x.dstr);
    ql_foldmap_free(x.foldmap);
    ipl_arena_release(&x.rowa);
    return err;
}

/* ---- live filters ---- */

struct ipl_ql_matcher {
    ipl_ql *q;
    ql_exec x;
};

int ipl_ql_matcher_new(ipl_ql *q, ipl_ql_matcher **out, ipl_diag *d)
{
    *out = NULL;
    if (q->track)
        return ipl_diag_set(d, IPL_EINVAL, "a live filter reads events: '%s' is not an event "
                            "source", q->source_name ? q->source_name : "track");
    if (q->nstages)
        return ipl_diag_set(d, IPL_EINVAL, "a live filter is a source and a where clause: "
                            "stages ('| ...') are not allowed");
    ipl_ql_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    m->q = q;
    m->x.q = q;
    m->x.no_dstr_cache = 1;
    ipl_arena_init(&m->x.rowa, (size_t)16 << 20);
    if (!(m->x.mctx = pcre2_match_context_create(NULL))) {
        ipl_arena_release(&m->x.rowa);
        free(m);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    pcre2_set_match_limit(m->x.mctx, q->o.regex_match_limit);
    pcre2_set_depth_limit(m->x.mctx, q->o.regex_depth_limit);
    *out = m;
    return IPL_OK;
}

void ipl_ql_matcher_kinds(const ipl_ql_matcher *m, uint8_t kinds[256])
{
    for (unsigned k = 0; k < 256; k++)
        kinds[k] = m->q->all_kinds || (m->q->kinds[k >> 3] >> (k & 7) & 1);
}

int ipl_ql_matcher_test(ipl_ql_matcher *m, ipl_rtxn *t, const ipl_rawev *ev, int *match,
                        ipl_diag *d)
{
    ipl_ql *q = m->q;
    *match = 0;
    if (q->has_window && (ev->ts < q->from || ev->ts > q->to))
        return IPL_OK;
    if (!q->where) {
        *match = 1;
        return IPL_OK;
    }
    m->x.t = t;
    m->x.d = d;
    ql_row r = {ev, NULL};
    int err = ql_eval(&m->x, q->where, &q->src, &r, match);
    ipl_arena_clear(&m->x.rowa);
    m->x.t = NULL;
    return err;
}

void ipl_ql_matcher_free(ipl_ql_matcher *m)
{
    if (!m)
        return;
    if (m->x.mctx)
        pcre2_match_context_free(m->x.mctx);
    free(m->x.dstr);
    free(m->x.fold);
    ql_foldmap_free(m->x.foldmap);
    ipl_arena_release(&m->x.rowa);
    free(m);
}
