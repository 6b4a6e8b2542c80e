/* engine/index.c — range scans over the DUPSORT|DUPFIXED indexes (layouts in store.h).
 *
 * Every index maps a key (ip[16], or a u32 id / time bucket) to 12-byte values (ts:7 | seq:5),
 * so under one key the values are in (ts, seq) order. A scan walks keys in [klo, khi] and, under
 * each key, the values in [pack(from, 0), pack(to, max)], forwards or backwards, jumping with
 * MDB_GET_BOTH_RANGE instead of reading values outside the time window.
 */
#include "engine/err.h"
#include "engine/store_int.h"

#include <stdlib.h>
#include <string.h>

struct ipl_ixcur {
    ipl_rtxn  *t;
    MDB_cursor *cur;
    ipl_index  ix;
    size_t     klen;
    uint8_t    klo[16], khi[16];
    int        has_lo, has_hi;
    uint8_t    vlo[IPL_IXVAL], vhi[IPL_IXVAL];
    int        reverse;
    int        state;           /* 0 = not positioned, 1 = on an entry to return, 2 = done */
    MDB_val    k, v;
};

static const char *const ix_names[IPL_IX__COUNT] = {"ip", "mac", "host", "user", "time"};

const char *ipl_index_name(ipl_index ix)
{
    return ix < IPL_IX__COUNT ? ix_names[ix] : "?";
}

static int key_in_range(const ipl_ixcur *c, const MDB_val *k, int *past)
{
    *past = 0;
    if (k->mv_size != c->klen)
        return 0;
    if (c->has_lo && memcmp(k->mv_data, c->klo, c->klen) < 0) {
        *past = c->reverse;
        return 0;
    }
    if (c->has_hi && memcmp(k->mv_data, c->khi, c->klen) > 0) {
        *past = !c->reverse;
        return 0;
    }
    return 1;
}

/* Positions on the first value >= vlo under the current key (forward). 0 if found. */
static int seek_first(ipl_ixcur *c)
{
    MDB_val k = c->k, v = {IPL_IXVAL, c->vlo};
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_BOTH_RANGE);
    if (rc)
        return rc;
    if (memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0)
        return MDB_NOTFOUND;
    c->k = k;
    c->v = v;
    return 0;
}

/* Positions on the last value <= vhi under the current key (reverse). 0 if found. */
static int seek_last(ipl_ixcur *c)
{
    MDB_val k = c->k, v = {IPL_IXVAL, c->vhi};
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_BOTH_RANGE);
    if (rc == 0) {
        if (memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0)
            rc = mdb_cursor_get(c->cur, &k, &v, MDB_PREV_DUP);
    } else if (rc == MDB_NOTFOUND) {
        k = c->k;
        rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET);
        if (rc == 0)
            rc = mdb_cursor_get(c->cur, &k, &v, MDB_LAST_DUP);
    }
    if (rc)
        return rc;
    if (memcmp(v.mv_data, c->vlo, IPL_IXVAL) < 0)
        return MDB_NOTFOUND;
    c->k = k;
    c->v = v;
    return 0;
}

/* From the cursor's current key (c->k), find the first key (in scan order) with a value in the
 * window. Sets state 1 or 2. */
static int settle(ipl_ixcur *c, int rc, ipl_diag *d)
{
    MDB_val v;
    while (rc == 0) {
        int past;
        if (!key_in_range(c, &c->k, &past)) {
            if (past || c->k.mv_size != c->klen) {
                c->state = 2;
                return IPL_OK;
            }
        } else {
            int r = c->reverse ? seek_last(c) : seek_first(c);
            if (r == 0) {
                c->state = 1;
                return IPL_OK;
            }
            if (r != MDB_NOTFOUND)
                return ipl_store_mdb_err(d, r, "scan an index", c->t->st->dir);
            /* re-anchor the cursor on the key before moving to the next one */
            MDB_val k = c->k;
            if ((r = mdb_cursor_get(c->cur, &k, &v, MDB_SET)))
                return ipl_store_mdb_err(d, r, "scan an index", c->t->st->dir);
        }
        rc = mdb_cursor_get(c->cur, &c->k, &v, c->reverse ? MDB_PREV_NODUP : MDB_NEXT_NODUP);
    }
    if (rc != MDB_NOTFOUND)
        return ipl_store_mdb_err(d, rc, "scan an index", c->t->st->dir);
    c->state = 2;
    return IPL_OK;
}

int ipl_ixcur_open(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                   int64_t to, int reverse, ipl_ixcur **out, ipl_diag *d)
{
    *out = NULL;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    ipl_ixcur *c = calloc(1, sizeof *c);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    c->t = t;
    c->ix = ix;
    c->klen = ix == IPL_IX_IP ? 16 : 4;
    c->reverse = reverse;
    if (from < 0)
        from = 0;
    if (to > IPL_TS_MAX)
        to = IPL_TS_MAX;
    if (to < from) {            /* an empty window (also to < 0, which would pack as a huge ts) */
        from = to = 0;
        c->state = 2;
    }
    ipl_ixval_pack(c->vlo, from, 0);
    ipl_ixval_pack(c->vhi, to, IPL_SEQ_MAX);
    if (ix == IPL_IX_TIME) {
        ipl_be32(c->klo, (uint32_t)((uint64_t)from >> 32));
        ipl_be32(c->khi, (uint32_t)((uint64_t)to >> 32));
        c->has_lo = c->has_hi = 1;
    } else {
        if (klo) {
            memcpy(c->klo, klo, c->klen);
            c->has_lo = 1;
        }
        if (khi) {
            memcpy(c->khi, khi, c->klen);
            c->has_hi = 1;
        }
    }
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_IX_IP + ix], &c->cur);
    if (rc) {
        free(c);
        return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
    }
    *out = c;
    return IPL_OK;
}

static int position(ipl_ixcur *c, ipl_diag *d)
{
    MDB_val v;
    int rc;
    if (!c->reverse) {
        if (c->has_lo) {
            c->k.mv_size = c->klen;
            c->k.mv_data = c->klo;
            rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_SET_RANGE);
        } else {
            rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_FIRST);
        }
    } else {
        if (c->has_hi) {
            c->k.mv_size = c->klen;
            c->k.mv_data = c->khi;
            rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_SET_RANGE);
            if (rc == MDB_NOTFOUND)
                rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_LAST);
            else if (rc == 0 && memcmp(c->k.mv_data, c->khi, c->klen) > 0)
                rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_PREV_NODUP);
        } else {
            rc = mdb_cursor_get(c->cur, &c->k, &v, MDB_LAST);
        }
    }
    return settle(c, rc, d);
}

int ipl_ixcur_next(ipl_ixcur *c, ipl_ixent *e, ipl_diag *d)
{
    int err;
    if (c->state == 0 && (err = position(c, d)))
        return err;
    if (c->state == 2)
        return IPL_ENOTFOUND;
    if (c->v.mv_size != IPL_IXVAL)
        return ipl_diag_set(d, IPL_ECORRUPT, "index '%s' holds a value of %zu bytes",
                            ix_names[c->ix], c->v.mv_size);
    ipl_ixval_unpack(c->v.mv_data, &e->ts, &e->seq);
    e->keylen = c->klen;
    memcpy(e->key, c->k.mv_data, c->klen);
    /* advance for the next call */
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, c->reverse ? MDB_PREV_DUP : MDB_NEXT_DUP);
    if (rc == 0) {
        int out = c->reverse ? memcmp(v.mv_data, c->vlo, IPL_IXVAL) < 0
                             : memcmp(v.mv_data, c->vhi, IPL_IXVAL) > 0;
        if (!out) {
            c->v = v;
            return IPL_OK;
        }
    } else if (rc != MDB_NOTFOUND) {
        return ipl_store_mdb_err(d, rc, "scan an index", c->t->st->dir);
    }
    /* leave this key */
    k = c->k;
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET);
    if (rc == 0)
        rc = mdb_cursor_get(c->cur, &c->k, &v, c->reverse ? MDB_PREV_NODUP : MDB_NEXT_NODUP);
    if ((err = settle(c, rc, d)))
        return err;
    return IPL_OK;
}

void ipl_ixcur_close(ipl_ixcur *c)
{
    if (!c)
        return;
    if (c->cur)
        mdb_cursor_close(c->cur);
    free(c);
}

int ipl_index_count(ipl_rtxn *t, ipl_index ix, const void *key, uint64_t *n, ipl_diag *d)
{
    MDB_cursor *cur;
    MDB_val k = {ix == IPL_IX_IP ? 16 : 4, (void *)key}, v;
    *n = 0;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_IX_IP + ix], &cur);
    if (rc)
        return ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (rc == 0) {
        size_t cnt;
        if (mdb_cursor_count(cur, &cnt) == 0)
            *n = cnt;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? IPL_OK : ipl_store_mdb_err(d, rc, "count", t->st->dir);
}
