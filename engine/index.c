/* engine/index.c — range scans over the indexes (layouts in store.h and store_int.h; the chunks
 * of format 4 are read through ipl_ixc, which walks them as format 3's DUPSORT duplicates).
 *
 * Every index maps a stored key to 12-byte values (ts:7 | seq:5), so under one key the values are
 * in (ts, seq) order. The per-key indexes (ip, mac, host, user) store week | key: a key's history
 * is split by week, and the weeks partition time. A scan promises (key, ts, seq) order (or its
 * reverse), so it is built from "subs", each the scan of one week's key range:
 *
 *   - one key (klo == khi) or ix.time: a single sub walks the weeks of the window one after the
 *     other (forward from the first week, backward from the last: `who` at T looks at T's week
 *     first and goes back only while it finds nothing), seeking only the weeks it needs;
 *   - a key range: one sub per week of the window, merged by key (ties: the earlier week first,
 *     reversed when the scan is); a sub keeps the turn while its key does not change, so the
 *     merge costs O(weeks) per (week, key) node, not per entry.
 *
 * The weeks of the window are cut to the index's first and last week (cached per read snapshot),
 * so an open window over a young store costs no seeks into empty weeks. Within a sub the code is
 * the format-1 scan: keys in [klo, khi], under each key the values in [pack(from, 0), pack(to,
 * max)], forwards or backwards, jumping with MDB_GET_BOTH_RANGE instead of reading values
 * outside the time window.
 */
#include "engine/err.h"
#include "engine/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct sub {
    ipl_ixc *cur;
    uint8_t     klo[IPL_IXKEY_MAX], khi[IPL_IXKEY_MAX];   /* stored keys, week included */
    int         state;          /* 0 = not positioned, 1 = on an entry to return, 2 = done */
    MDB_val     k, v;
} sub;

struct ipl_ixcur {
    ipl_rtxn  *t;
    ipl_index  ix;
    size_t     klen, ulen, pre;  /* stored key, caller's key, week prefix (4 or 0) */
    uint8_t    ulo[16], uhi[16];
    int        has_lo, has_hi;
    uint8_t    vlo[IPL_IXVAL], vhi[IPL_IXVAL];
    int        reverse;
    int        merge;           /* a key range over several weeks: one sub per week */
    int        state;           /* 0 = not started, 1 = running, 2 = done */
    uint32_t   wlo, whi, wcur;  /* weeks of the window (serial: the current one) */
    size_t     nsub;
    sub       *subs;
    sub       *at;              /* the sub whose entry is returned next */
};

static const char *const ix_names[IPL_IX__COUNT] = {"ip", "mac", "host", "user", "time"};

const char *ipl_index_name(ipl_index ix)
{
    return ix < IPL_IX__COUNT ? ix_names[ix] : "?";
}

int ipl_ix_week_bounds(ipl_rtxn *t, ipl_index ix, uint32_t *first, uint32_t *last, ipl_diag *d)
{
    *first = *last = 0;
    if (ix >= IPL_IX__COUNT || !ipl_ix_weekly(ix))
        return ipl_diag_set(d, IPL_EINVAL, "index '%s' has no weeks", ipl_index_name(ix));
    if (t->wk_state[ix] == 0) {
        MDB_cursor *c;
        MDB_val k, v;
        int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_IX_IP + ix], &c);
        if (rc)
            return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
        rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
        if (rc == 0 && k.mv_size >= 4) {
            t->wk_first[ix] = ipl_get_be32(k.mv_data);
            rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
            if (rc == 0 && k.mv_size >= 4)
                t->wk_last[ix] = ipl_get_be32(k.mv_data);
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) {
            t->wk_state[ix] = 2;
        } else if (rc) {
            return ipl_store_mdb_err(d, rc, "read an index", t->st->dir);
        } else if (k.mv_size < 4) {
            return ipl_diag_set(d, IPL_ECORRUPT, "index '%s' holds a key of %zu bytes",
                                ipl_index_name(ix), k.mv_size);
        } else {
            t->wk_state[ix] = 1;
        }
    }
    if (t->wk_state[ix] == 2)
        return IPL_ENOTFOUND;
    *first = t->wk_first[ix];
    *last = t->wk_last[ix];
    return IPL_OK;
}

/* ---- one sub: the scan of one week's key range --------------------------------------------- */

static int key_in_range(const ipl_ixcur *c, const sub *s, const MDB_val *k, int *past)
{
    *past = 0;
    if (k->mv_size != c->klen)
        return 0;
    if (memcmp(k->mv_data, s->klo, c->klen) < 0) {
        *past = c->reverse;
        return 0;
    }
    if (memcmp(k->mv_data, s->khi, c->klen) > 0) {
        *past = !c->reverse;
        return 0;
    }
    return 1;
}

/* Positions on the first value >= vlo under the current key (forward). 0 if found. */
static int seek_first(ipl_ixcur *c, sub *s)
{
    MDB_val k = s->k, v = {IPL_IXVAL, c->vlo};
    int rc = ipl_ixc_get(s->cur, &k, &v, MDB_GET_BOTH_RANGE);
    if (rc)
        return rc;
    if (memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0)
        return MDB_NOTFOUND;
    s->k = k;
    s->v = v;
    return 0;
}

/* Positions on the last value <= vhi under the current key (reverse). 0 if found. */
static int seek_last(ipl_ixcur *c, sub *s)
{
    MDB_val k = s->k, v = {IPL_IXVAL, c->vhi};
    int rc = ipl_ixc_get(s->cur, &k, &v, MDB_GET_BOTH_RANGE);
    if (rc == 0) {
        if (memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0)
            rc = ipl_ixc_get(s->cur, &k, &v, MDB_PREV_DUP);
    } else if (rc == MDB_NOTFOUND) {
        /* every value is <= vhi: the key's last one (from the chunk the cursor is on, when it
         * still is on the key; else from the key) */
        rc = ipl_ixc_get(s->cur, &k, &v, MDB_LAST_DUP);
        if (rc == EINVAL) {
            k = s->k;
            rc = ipl_ixc_get(s->cur, &k, &v, MDB_SET);
            if (rc == 0)
                rc = ipl_ixc_get(s->cur, &k, &v, MDB_LAST_DUP);
        }
    }
    if (rc)
        return rc;
    if (memcmp(v.mv_data, c->vlo, IPL_IXVAL) < 0)
        return MDB_NOTFOUND;
    s->k = k;
    s->v = v;
    return 0;
}

/* From the sub's current key (s->k), find the first key (in scan order) with a value in the
 * window. Sets state 1 or 2. */
static int settle(ipl_ixcur *c, sub *s, int rc, ipl_diag *d)
{
    MDB_val v;
    while (rc == 0) {
        int past;
        if (!key_in_range(c, s, &s->k, &past)) {
            if (past || s->k.mv_size != c->klen) {
                s->state = 2;
                return IPL_OK;
            }
        } else {
            int r = c->reverse ? seek_last(c, s) : seek_first(c, s);
            if (r == 0) {
                s->state = 1;
                return IPL_OK;
            }
            if (r != MDB_NOTFOUND)
                return ipl_store_mdb_err(d, r, "scan an index", c->t->st->dir);
            /* re-anchor the cursor on the key before moving to the next one */
            MDB_val k = s->k;
            if ((r = ipl_ixc_get(s->cur, &k, &v, MDB_SET)))
                return ipl_store_mdb_err(d, r, "scan an index", c->t->st->dir);
        }
        rc = ipl_ixc_get(s->cur, &s->k, &v, c->reverse ? MDB_PREV_NODUP : MDB_NEXT_NODUP);
    }
    if (rc != MDB_NOTFOUND)
        return ipl_store_mdb_err(d, rc, "scan an index", c->t->st->dir);
    s->state = 2;
    return IPL_OK;
}

/* Aims sub s at week w (no prefix for ix.time) and the cursor's key bounds, not positioned. */
static void aim(ipl_ixcur *c, sub *s, uint32_t w)
{
    if (c->pre) {
        ipl_be32(s->klo, w);
        ipl_be32(s->khi, w);
    }
    if (c->has_lo)
        memcpy(s->klo + c->pre, c->ulo, c->ulen);
    else
        memset(s->klo + c->pre, 0, c->ulen);
    if (c->has_hi)
        memcpy(s->khi + c->pre, c->uhi, c->ulen);
    else
        memset(s->khi + c->pre, 0xff, c->ulen);
    s->state = 0;
}

static int position(ipl_ixcur *c, sub *s, ipl_diag *d)
{
    MDB_val v;
    int rc;
    s->k.mv_size = c->klen;
    if (!c->reverse) {
        s->k.mv_data = s->klo;
        rc = ipl_ixc_get(s->cur, &s->k, &v, MDB_SET_RANGE);
    } else {
        s->k.mv_data = s->khi;
        rc = ipl_ixc_get(s->cur, &s->k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND)
            rc = ipl_ixc_get(s->cur, &s->k, &v, MDB_LAST);
        else if (rc == 0 && memcmp(s->k.mv_data, s->khi, c->klen) > 0)
            rc = ipl_ixc_get(s->cur, &s->k, &v, MDB_PREV_NODUP);
    }
    return settle(c, s, rc, d);
}

/* Moves sub s past the entry it is on (state 1 -> 1 or 2). */
static int advance(ipl_ixcur *c, sub *s, ipl_diag *d)
{
    MDB_val k, v;
    int rc = ipl_ixc_get(s->cur, &k, &v, c->reverse ? MDB_PREV_DUP : MDB_NEXT_DUP);
    if (rc == 0) {
        int out = c->reverse ? memcmp(v.mv_data, c->vlo, IPL_IXVAL) < 0
                             : memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0;
        if (!out) {
            s->v = v;
            return IPL_OK;
        }
    } else if (rc != MDB_NOTFOUND) {
        return ipl_store_mdb_err(d, rc, "scan an index", c->t->st->dir);
    }
    /* leave this key (ipl_ixc leaves it from any of its entries, without a seek) */
    rc = ipl_ixc_get(s->cur, &s->k, &v, c->reverse ? MDB_PREV_NODUP : MDB_NEXT_NODUP);
    return settle(c, s, rc, d);
}

/* ---- the cursor ------------------------------------------------------------------------------ */

int ipl_ixcur_open(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                   int64_t to, int reverse, ipl_ixcur **out, ipl_diag *d)
{
    *out = NULL;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    ipl_ixcur *c = calloc(1, sizeof *c);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err = IPL_OK;
    c->t = t;
    c->ix = ix;
    c->ulen = ipl_ix_ulen(ix);
    c->klen = ipl_ix_klen(ix);
    c->pre = c->klen - c->ulen;
    c->reverse = reverse;
    if (from < 0)
        from = 0;
    if (to > IPL_TS_MAX)
        to = IPL_TS_MAX;
    if (to < from) {            /* an empty window (also to < 0, which would pack as a huge ts) */
        from = to = 0;
        c->state = 2;
    }
    ipl_ixval_pack(c->vlo, from, 0, 0);
    ipl_ixval_pack(c->vhi, to, IPL_SEQ_MAX, 3);
    if (ix == IPL_IX_TIME) {
        ipl_be32(c->ulo, (uint32_t)((uint64_t)from >> 32));
        ipl_be32(c->uhi, (uint32_t)((uint64_t)to >> 32));
        c->has_lo = c->has_hi = 1;
    } else {
        if (klo) {
            memcpy(c->ulo, klo, c->ulen);
            c->has_lo = 1;
        }
        if (khi) {
            memcpy(c->uhi, khi, c->ulen);
            c->has_hi = 1;
        }
        if (c->has_lo && c->has_hi && memcmp(c->ulo, c->uhi, c->ulen) > 0)
            c->state = 2;
    }
    size_t nsub = 1;
    if (c->pre && c->state != 2) {
        uint32_t first, last;
        err = ipl_ix_week_bounds(t, ix, &first, &last, d);
        if (err == IPL_ENOTFOUND) {
            err = IPL_OK;
            c->state = 2;
        } else if (err) {
            goto fail;
        } else {
            uint32_t a = ipl_ix_week(from), b = ipl_ix_week(to);
            c->wlo = a > first ? a : first;
            c->whi = b < last ? b : last;
            if (c->wlo > c->whi)
                c->state = 2;
            else if (!(c->has_lo && c->has_hi && memcmp(c->ulo, c->uhi, c->ulen) == 0) &&
                     c->whi > c->wlo)
                c->merge = 1, nsub = (size_t)(c->whi - c->wlo) + 1;
        }
    }
    c->subs = calloc(nsub, sizeof *c->subs);
    if (!c->subs) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto fail;
    }
    c->nsub = nsub;
    for (size_t i = 0; i < nsub; i++) {
        int rc = ipl_ixc_open(t->txn, t->st->dbi[DB_IX_IP + ix], ipl_ix_klen(ix), &c->subs[i].cur);
        if (rc) {
            err = ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
            goto fail;
        }
    }
    *out = c;
    return IPL_OK;
fail:
    ipl_ixcur_close(c);
    return err;
}

/* The caller's key of a sub's current entry. */
static const uint8_t *ukey(const ipl_ixcur *c, const sub *s)
{
    return (const uint8_t *)s->k.mv_data + c->pre;
}

/* Merge: the sub with the smallest key (largest when reversed); on a tie, the earliest week
 * (latest when reversed). NULL when every sub is done. */
static sub *pick(ipl_ixcur *c)
{
    sub *best = NULL;
    for (size_t j = 0; j < c->nsub; j++) {
        sub *s = &c->subs[c->reverse ? c->nsub - 1 - j : j];
        if (s->state != 1)
            continue;
        if (!best) {
            best = s;
            continue;
        }
        int cmp = memcmp(ukey(c, s), ukey(c, best), c->ulen);
        if (c->reverse ? cmp > 0 : cmp < 0)
            best = s;
    }
    return best;
}

/* Serial: from the current sub (done with its week), the next week that has an entry. */
static int next_week(ipl_ixcur *c, ipl_diag *d)
{
    sub *s = &c->subs[0];
    while (s->state == 2) {
        if (!c->pre || (c->reverse ? c->wcur <= c->wlo : c->wcur >= c->whi)) {
            c->at = NULL;
            return IPL_OK;
        }
        c->wcur = c->reverse ? c->wcur - 1 : c->wcur + 1;
        aim(c, s, c->wcur);
        int err = position(c, s, d);
        if (err)
            return err;
    }
    c->at = s;
    return IPL_OK;
}

static int start(ipl_ixcur *c, ipl_diag *d)
{
    int err;
    c->state = 1;
    if (c->merge) {
        for (size_t i = 0; i < c->nsub; i++) {
            aim(c, &c->subs[i], c->wlo + (uint32_t)i);
            if ((err = position(c, &c->subs[i], d)))
                return err;
        }
        c->at = pick(c);
        return IPL_OK;
    }
    c->wcur = c->reverse ? c->whi : c->wlo;
    aim(c, &c->subs[0], c->wcur);
    if ((err = position(c, &c->subs[0], d)))
        return err;
    return next_week(c, d);
}

int ipl_ixcur_next(ipl_ixcur *c, ipl_ixent *e, ipl_diag *d)
{
    int err;
    if (c->state == 0 && (err = start(c, d)))
        return err;
    if (c->state == 2 || !c->at) {
        c->state = 2;
        return IPL_ENOTFOUND;
    }
    sub *s = c->at;
    if (s->v.mv_size != IPL_IXVAL)
        return ipl_diag_set(d, IPL_ECORRUPT, "index '%s' holds a value of %zu bytes",
                            ix_names[c->ix], s->v.mv_size);
    ipl_ixval_unpack(s->v.mv_data, &e->ts, &e->seq);
    e->cls = ipl_ixval_class(s->v.mv_data);
    e->keylen = c->ulen;
    memcpy(e->key, ukey(c, s), c->ulen);
    if ((err = advance(c, s, d)))
        return err;
    if (c->merge) {
        /* the sub keeps the turn while it stays on the key: the other weeks' entries of this key
         * are later (earlier when reversed) and their other keys come after it */
        if (s->state != 1 || memcmp(ukey(c, s), e->key, c->ulen) != 0)
            c->at = pick(c);
        return IPL_OK;
    }
    return next_week(c, d);
}

void ipl_ixcur_close(ipl_ixcur *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsub; i++)
        if (c->subs[i].cur)
            ipl_ixc_close(c->subs[i].cur);
    free(c->subs);
    free(c);
}

int ipl_index_count(ipl_rtxn *t, ipl_index ix, const void *key, uint64_t *n, ipl_diag *d)
{
    ipl_ixc *cur;
    uint8_t kb[IPL_IXKEY_MAX];
    size_t ulen, klen, pre;
    uint32_t first = 0, last = 0;
    *n = 0;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    ulen = ipl_ix_ulen(ix);
    klen = ipl_ix_klen(ix);
    pre = klen - ulen;
    if (pre) {
        int err = ipl_ix_week_bounds(t, ix, &first, &last, d);
        if (err)
            return err == IPL_ENOTFOUND ? IPL_OK : err;
    }
    memcpy(kb + pre, key, ulen);
    int rc = ipl_ixc_open(t->txn, t->st->dbi[DB_IX_IP + ix], ipl_ix_klen(ix), &cur);
    if (rc)
        return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
    for (uint64_t w = first; w <= last; w++) {
        MDB_val k = {klen, kb}, v;
        if (pre)
            ipl_be32(kb, (uint32_t)w);
        rc = ipl_ixc_get(cur, &k, &v, MDB_SET);
        if (rc == 0) {
            size_t cnt;
            if ((rc = ipl_ixc_count(cur, &cnt)))
                break;
            *n += cnt;
        } else if (rc != MDB_NOTFOUND) {
            break;
        }
        rc = 0;
    }
    ipl_ixc_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? IPL_OK : ipl_store_mdb_err(d, rc, "count", t->st->dir);
}

/* ---- lease state bitmap (ipl_ix_held_bits) ----------------------------------------------------
 * Per week of [first week, week(at)] ∩ the index's weeks: MDB_SET_RANGE on week|lo, then MDB_NEXT
 * over every chunk up to week|hi, each decoded into timestamps and classes only. Under a key the
 * chunks and their entries are in (ts, seq) order, so applying each opening (set) and closing
 * (clear) as it comes leaves the latest decision; entries after `at` (only in at's week) end the
 * chunk, and a chunk whose suffix (a lower bound) is after `at` is skipped undecoded. The offset
 * of a key is the difference of the low 64 bits, exact because n <= 2^20 and the key lies in
 * [lo, lo + n - 1]. */
int ipl_ix_held_bits(ipl_rtxn *t, const uint8_t lo[16], uint32_t n, int64_t at, uint64_t *held,
                     ipl_diag *d)
{
    uint8_t klo[IPL_IXKEY_MAX + IPL_IXVAL], khi[IPL_IXKEY_MAX];
    const size_t klen = 4 + 16;
    uint32_t first, last;
    MDB_cursor *c = NULL;
    int err = IPL_OK, rc;
    if (n == 0 || n > IPL_IX_HELD_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "held bits: %u addresses (1-%u)", (unsigned)n,
                            (unsigned)IPL_IX_HELD_MAX);
    memset(held, 0, ((size_t)n + 63) / 64 * sizeof *held);
    if (at < 0)
        return IPL_OK;
    if (at > IPL_TS_MAX)
        at = IPL_TS_MAX;
    /* khi = lo + n - 1 */
    memcpy(khi + 4, lo, 16);
    uint64_t add = n - 1;
    for (int i = 15; i >= 0 && add; i--) {
        unsigned s = khi[4 + i] + (unsigned)(add & 0xff);
        khi[4 + i] = (uint8_t)s;
        add = (add >> 8) + (s >> 8);
    }
    if (add || memcmp(khi + 4, lo, 16) < 0)
        return ipl_diag_set(d, IPL_EINVAL, "held bits: the addresses wrap past the last one");
    memcpy(klo + 4, lo, 16);
    memset(klo + klen, 0, IPL_IXVAL);
    uint64_t lo64 = ipl_get_be64(lo + 8);
    uint64_t hi_h = ipl_get_be64(khi + 4), hi_l = ipl_get_be64(khi + 12);
    if (t->st->has_ipnow) {
        /* ix.ipnow (ipnow.c): each address's latest decision; when none in [lo, hi] is after
         * `at`, it is the decision at `at` too, and an address without a key has none */
        MDB_val k = {16, (void *)lo}, v;
        int late = 0;
        if ((rc = mdb_cursor_open(t->txn, t->st->dbi[DB_IPNOW], &c)))
            return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
        for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const uint8_t *kb = k.mv_data, *vb = v.mv_data;
            if (k.mv_size != 16 || v.mv_size != IPL_IXVAL) {
                rc = MDB_CORRUPTED;
                break;
            }
            uint64_t kh = ipl_get_be64(kb), kl = ipl_get_be64(kb + 8);
            if (kh > hi_h || (kh == hi_h && kl > hi_l))
                break;
            if ((int64_t)(ipl_get_be64(vb) >> 8) > at) {
                late = 1;
                break;
            }
            if ((vb[IPL_IXVAL - 1] & 3) == IPL_IXC_OPEN) {
                uint64_t off = kl - lo64;
                held[off >> 6] |= UINT64_C(1) << (off & 63);
            }
        }
        mdb_cursor_close(c);
        c = NULL;
        if (rc && rc != MDB_NOTFOUND)
            return ipl_store_mdb_err(d, rc, "scan the current lease state", t->st->dir);
        if (!late)
            return IPL_OK;
        memset(held, 0, ((size_t)n + 63) / 64 * sizeof *held);   /* the history, week by week */
    }
    uint32_t wat = ipl_ix_week(at);
    err = ipl_ix_week_bounds(t, IPL_IX_IP, &first, &last, d);
    if (err)
        return err == IPL_ENOTFOUND ? IPL_OK : err;
    if (wat < last)
        last = wat;
    if ((rc = mdb_cursor_open(t->txn, t->st->dbi[DB_IX_IP], &c)))
        return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
    for (uint32_t w = first; w <= last && !err; w++) {
        MDB_val k = {klen + IPL_IXVAL, klo}, v;
        ipl_be32(klo, w);
        int chk = w == wat;     /* only at's week holds entries after `at` */
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            /* inline compares (no memcmp call per chunk): week, high and low halves of the ip */
            const uint8_t *kb = k.mv_data;
            if (k.mv_size != klen + IPL_IXVAL || ipl_get_be32(kb) != w)
                break;
            uint64_t kh = ipl_get_be64(kb + 4), kl = ipl_get_be64(kb + 12);
            if (kh > hi_h || (kh == hi_h && kl > hi_l))
                break;
            if (chk && (int64_t)(ipl_get_be64(kb + klen) >> 8) > at)
                continue;       /* the whole chunk is after `at` */
            /* the chunk decoded in place (codec in ixchunk.c): ts in full, the class as the low
             * two bits of seq << 2 | class, which the deltas carry modulo 4 */
            const uint8_t *p = v.mv_data, *end = p + v.mv_size;
            uint64_t cnt, tsv = ipl_get_be64(kb + klen) >> 8, dt, zz;
            unsigned f = kb[klen + 11] & 3, st = 2;       /* 2: no decision in this chunk */
            int bad = ipl_ixc_varint(&p, end, &cnt) || cnt == 0 || cnt > IPL_IXCHUNK_ENT;
            for (uint64_t i = 0; i < cnt && !bad; i++) {
                if ((bad = ipl_ixc_varint(&p, end, &dt) || ipl_ixc_varint(&p, end, &zz)))
                    break;
                tsv += dt;
                if (chk && (int64_t)tsv > at)
                    break;
                f = (f + (unsigned)((zz >> 1) ^ -(zz & 1))) & 3;
                if (f == IPL_IXC_OPEN)
                    st = 1;
                else if (f == IPL_IXC_CLOSE)
                    st = 0;
            }
            if (bad) {
                err = ipl_diag_set(d, IPL_ECORRUPT, "index 'ip' holds a chunk that does not "
                                   "decode: run 'ipledger verify'");
                break;
            }
            if (st != 2) {
                uint64_t off = kl - lo64;
                uint64_t bit = UINT64_C(1) << (off & 63);
                if (st)
                    held[off >> 6] |= bit;
                else
                    held[off >> 6] &= ~bit;
            }
        }
        if (!err && rc && rc != MDB_NOTFOUND)
            err = ipl_store_mdb_err(d, rc, "scan an index", t->st->dir);
        if (w == UINT32_MAX)
            break;
    }
    mdb_cursor_close(c);
    return err;
}
