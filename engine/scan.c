/* engine/scan.c — raw, read-only access for the query engine's scans (declared in the "raw reads"
 * section of store.h).
 *
 * The query executor reads millions of events per second, so it does not go through
 * ipl_store_get (which resolves every dictionary string with one B-tree lookup each): it decodes
 * the record header in place and compares dictionary ids, resolving strings only for the rows it
 * shows. Three things make that fast:
 *   - ipl_evcur_get on ascending seqs: one LMDB cursor whose MDB_SET_KEY stays on the current leaf
 *     page when the key is on it (no descent from the root), and MDB_NEXT for seq + 1;
 *   - ipl_ixscan: index entries a chunk at a time (MDB_GET_MULTIPLE / MDB_NEXT_MULTIPLE of ipl_ixc on
 *     the chunked indexes), the time window cut by binary search inside the decoded chunk;
 *   - ipl_index_range_stat / ipl_dict_prefix for the planner's estimates and `like "x*"` keys.
 * The record layout is the one of store_int.h (decoded here by the same rules as record.c).
 */
#include "engine/err.h"
#include "engine/store_int.h"

#include <stdlib.h>
#include <string.h>

static int varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (q >= end)
            return IPL_ECORRUPT;
        uint8_t b = *q++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *p = q;
            return IPL_OK;
        }
    }
    return IPL_ECORRUPT;
}

/* A varint; the one-, two- and three-byte forms (dictionary ids) inline. */
static inline int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (end - q >= 3) {
        if (!(q[0] & 0x80)) {
            *v = q[0];
            *p = q + 1;
            return IPL_OK;
        }
        if (!(q[1] & 0x80)) {
            *v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
            *p = q + 2;
            return IPL_OK;
        }
        if (!(q[2] & 0x80)) {
            *v = (uint64_t)(q[0] & 0x7f) | (uint64_t)(q[1] & 0x7f) << 7 | (uint64_t)q[2] << 14;
            *p = q + 3;
            return IPL_OK;
        }
    }
    return varint_slow(p, end, v);
}

/* The header of a record (everything but the attributes, which stay encoded). */
static inline int decode(const void *buf, size_t len, uint64_t seq, ipl_rawev *e)
{
    const uint8_t *p = buf, *end = p + len;
    uint64_t v;
    uint8_t flags;
    if (ipl_record_head(&p, end, &flags, &e->kind, &e->ts))
        return IPL_ECORRUPT;
    e->seq = seq;
    e->has_ip = 0;
    if (flags & 1) {
        size_t n = (flags & 2) ? 16 : 4;
        if ((size_t)(end - p) < n)
            return IPL_ECORRUPT;
        if (n == 4) {
            memcpy(e->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
            memcpy(e->ip + 12, p, 4);
        } else {
            memcpy(e->ip, p, 16);
        }
        e->has_ip = 1;
        p += n;
    } else {
        memset(e->ip, 0, 16);
    }
#define ID(field)                                              \
    do {                                                       \
        if (varint(&p, end, &v) || v > UINT32_MAX)             \
            return IPL_ECORRUPT;                               \
        e->field = (uint32_t)v;                                \
    } while (0)
    ID(mac);
    ID(duid);
    ID(host);
    ID(user);
    ID(server);
    ID(source);
#undef ID
    if (varint(&p, end, &e->line) || p >= end)
        return IPL_ECORRUPT;
    e->nattr = *p++;
    if (e->nattr > IPL_ATTR_MAX)
        return IPL_ECORRUPT;
    e->attrs = p;
    e->end = end;
    return IPL_OK;
}

int ipl_rawev_attr_next(const ipl_rawev *e, const uint8_t **pos, ipl_rawattr *a)
{
    const uint8_t *p = *pos;
    uint64_t v;
    if (p >= e->end)
        return p == e->end ? IPL_ENOTFOUND : IPL_ECORRUPT;
    uint8_t k = *p++;
    a->key = k & 0x7f;
    a->interned = (k & 0x80) != 0;
    if (varint(&p, e->end, &v))
        return IPL_ECORRUPT;
    if (a->interned) {
        if (v > UINT32_MAX)
            return IPL_ECORRUPT;
        a->id = (uint32_t)v;
        a->len = 0;
        a->val = NULL;
    } else {
        if (v > (uint64_t)(e->end - p))
            return IPL_ECORRUPT;
        a->id = 0;
        a->len = (uint32_t)v;
        a->val = (const char *)p;
        p += v;
    }
    *pos = p;
    return IPL_OK;
}

int ipl_rawev_attr(const ipl_rawev *e, unsigned key, ipl_rawattr *a)
{
    const uint8_t *pos = e->attrs;
    for (uint32_t i = 0; i < e->nattr; i++) {
        int err = ipl_rawev_attr_next(e, &pos, a);
        if (err)
            return err == IPL_ENOTFOUND ? IPL_ECORRUPT : err;
        if (a->key == key)
            return IPL_OK;
    }
    return IPL_ENOTFOUND;
}

/* ---- events by seq ------------------------------------------------------------------------ */

struct ipl_evcur {
    ipl_rtxn   *t;
    MDB_cursor *cur;
    uint64_t    seq;          /* the last event returned */
    int         positioned;
};

int ipl_evcur_open(ipl_rtxn *t, ipl_evcur **out, ipl_diag *d)
{
    *out = NULL;
    ipl_evcur *c = calloc(1, sizeof *c);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    c->t = t;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_EVENTS], &c->cur);
    if (rc) {
        free(c);
        return ipl_store_mdb_err(d, rc, "open the event log", t->st->dir);
    }
    *out = c;
    return IPL_OK;
}

static int take(ipl_evcur *c, const MDB_val *k, const MDB_val *v, ipl_rawev *e, ipl_diag *d)
{
    if (k->mv_size != 8)
        return ipl_diag_set(d, IPL_ECORRUPT, "store '%s': event key of %zu bytes", c->t->st->dir,
                            k->mv_size);
    uint64_t seq = ipl_get_be64(k->mv_data);
    if (decode(v->mv_data, v->mv_size, seq, e))
        return ipl_diag_set(d, IPL_ECORRUPT, "event %llu in store '%s' is corrupt",
                            (unsigned long long)seq, c->t->st->dir);
    c->seq = seq;
    c->positioned = 1;
    return IPL_OK;
}

int ipl_evcur_next(ipl_evcur *c, ipl_rawev *e, ipl_diag *d)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, c->positioned ? MDB_NEXT : MDB_FIRST);
    if (rc == MDB_NOTFOUND)
        return IPL_ENOTFOUND;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read the event log", c->t->st->dir);
    return take(c, &k, &v, e, d);
}

int ipl_evcur_get(ipl_evcur *c, uint64_t seq, ipl_rawev *e, ipl_diag *d)
{
    MDB_val k, v;
    int rc;
    uint8_t kb[8];
    if (c->positioned && seq > c->seq && seq - c->seq <= 8) {
        /* a few events ahead: stepping is cheaper than a search */
        for (;;) {
            rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
            if (rc || k.mv_size != 8)
                break;
            uint64_t at = ipl_get_be64(k.mv_data);
            c->seq = at;
            if (at == seq)
                return take(c, &k, &v, e, d);
            if (at > seq) {
                c->positioned = 0;       /* seq is not there (purged) */
                return IPL_ENOTFOUND;
            }
        }
        if (rc && rc != MDB_NOTFOUND)
            return ipl_store_mdb_err(d, rc, "read the event log", c->t->st->dir);
        /* the end of the log or a strange key: search below */
    }
    ipl_be64(kb, seq);
    k.mv_size = 8;
    k.mv_data = kb;
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        c->positioned = 0;
        return IPL_ENOTFOUND;
    }
    if (rc)
        return ipl_store_mdb_err(d, rc, "read the event log", c->t->st->dir);
    return take(c, &k, &v, e, d);
}

void ipl_evcur_close(ipl_evcur *c)
{
    if (!c)
        return;
    if (c->cur)
        mdb_cursor_close(c->cur);
    free(c);
}

/* ---- index pages -------------------------------------------------------------------------
 * The same subs as index.c's cursor (one week's key range each; one sub walking the weeks for a
 * single key or ix.time, one per week merged by key for a key range), each reading a page of
 * duplicates at a time. */

typedef struct pgsub {
    ipl_ixc    *cur;
    uint8_t     klo[IPL_IXKEY_MAX], khi[IPL_IXKEY_MAX];   /* stored keys, week included */
    int         state;        /* 0 start, 1 in a page, 2 next key, 3 done */
    MDB_val     key;          /* the current key */
    const uint8_t *page;      /* the current page of values */
    size_t      i, n;         /* next value, end of the values in the window */
    int         last_page;    /* the window ends inside this page: the key is done after it */
} pgsub;

struct ipl_ixscan {
    ipl_rtxn   *t;
    ipl_index   ix;
    size_t      klen, ulen, pre;
    uint8_t     ulo[16], uhi[16];
    int         has_lo, has_hi;
    uint8_t     vlo[IPL_IXVAL], vhi[IPL_IXVAL];
    int         empty;        /* the window (or the index) is empty */
    uint32_t    wlo, whi, wcur;
    int         state;        /* 0 start, 1 running, 3 done */
    int         merge;
    size_t      nsub, nopen;  /* subs allocated, cursors opened */
    pgsub      *subs;
    pgsub      *at;
};

int ipl_ixscan_open(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                    int64_t to, ipl_ixscan **out, ipl_diag *d)
{
    *out = NULL;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    ipl_ixscan *s = calloc(1, sizeof *s);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err = IPL_OK;
    s->t = t;
    s->ix = ix;
    s->ulen = ipl_ix_ulen(ix);
    s->klen = ipl_ix_klen(ix);
    s->pre = s->klen - s->ulen;
    if (from < 0)
        from = 0;
    if (to > IPL_TS_MAX)
        to = IPL_TS_MAX;
    s->empty = to < from;
    if (s->empty)
        from = to = 0;
    ipl_ixval_pack(s->vlo, from, 0, 0);
    ipl_ixval_pack(s->vhi, to, IPL_SEQ_MAX, 3);
    size_t nsub = 1;
    if (s->pre && !s->empty) {
        uint32_t first, last;
        err = ipl_ix_week_bounds(t, ix, &first, &last, d);
        if (err == IPL_ENOTFOUND) {
            err = IPL_OK;
            s->empty = 1;
        } else if (err) {
            goto fail;
        } else {
            uint32_t a = ipl_ix_week(from), b = ipl_ix_week(to);
            s->wlo = a > first ? a : first;
            s->whi = b < last ? b : last;
            if (s->wlo > s->whi)
                s->empty = 1;
            else
                nsub = (size_t)(s->whi - s->wlo) + 1;
        }
    }
    s->subs = calloc(nsub, sizeof *s->subs);
    if (!s->subs) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto fail;
    }
    s->nsub = nsub;
    if (ix == IPL_IX_TIME) {
        uint8_t lo[4], hi[4];
        ipl_be32(lo, (uint32_t)((uint64_t)from >> 32));
        ipl_be32(hi, (uint32_t)((uint64_t)to >> 32));
        ipl_ixscan_reset(s, lo, hi);
    } else {
        ipl_ixscan_reset(s, klo, khi);
    }
    int rc = ipl_ixc_open(t->txn, t->st->dbi[DB_IX_IP + ix], ipl_ix_klen(ix), &s->subs[0].cur);
    if (rc) {
        err = ipl_store_mdb_err(d, rc, "open an index", t->st->dir);
        goto fail;
    }
    s->nopen = 1;
    *out = s;
    return IPL_OK;
fail:
    ipl_ixscan_close(s);
    return err;
}

void ipl_ixscan_reset(ipl_ixscan *s, const void *klo, const void *khi)
{
    s->has_lo = klo != NULL;
    s->has_hi = khi != NULL;
    if (klo)
        memcpy(s->ulo, klo, s->ulen);
    if (khi)
        memcpy(s->uhi, khi, s->ulen);
    s->state = s->empty || (klo && khi && memcmp(s->ulo, s->uhi, s->ulen) > 0) ? 3 : 0;
    s->merge = s->pre && s->whi > s->wlo && !(klo && khi && memcmp(s->ulo, s->uhi, s->ulen) == 0);
    s->at = NULL;
}

/* Aims sub p at week w (no prefix for ix.time) and the scan's key bounds, from its start. */
static void pg_aim(ipl_ixscan *s, pgsub *p, uint32_t w)
{
    if (s->pre) {
        ipl_be32(p->klo, w);
        ipl_be32(p->khi, w);
    }
    if (s->has_lo)
        memcpy(p->klo + s->pre, s->ulo, s->ulen);
    else
        memset(p->klo + s->pre, 0, s->ulen);
    if (s->has_hi)
        memcpy(p->khi + s->pre, s->uhi, s->ulen);
    else
        memset(p->khi + s->pre, 0xff, s->ulen);
    p->state = 0;
    p->page = NULL;
    p->i = p->n = 0;
}

/* First index in the page (n values) whose value is >= v (lower bound). */
static size_t lower(const uint8_t *page, size_t n, const uint8_t *v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(page + mid * IPL_IXVAL, v, IPL_IXVAL) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index whose value is > v (upper bound). */
static size_t upper(const uint8_t *page, size_t n, const uint8_t *v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(page + mid * IPL_IXVAL, v, IPL_IXVAL) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Takes the page the cursor's duplicate position is on (MDB_GET_MULTIPLE returns the whole page)
 * and cuts it to the window. */
static int load_page(ipl_ixscan *s, pgsub *p, MDB_cursor_op op, int first, MDB_val v)
{
    /* a key with one value has no duplicate page: MDB_GET_MULTIPLE then leaves v as it was (the
     * value under the cursor), which is a page of one */
    MDB_val k;
    int rc = ipl_ixc_get(p->cur, &k, &v, op);
    if (rc)
        return rc;
    if (v.mv_size % IPL_IXVAL)
        return MDB_CORRUPTED;
    size_t n = v.mv_size / IPL_IXVAL;
    p->page = v.mv_data;
    p->i = first ? lower(p->page, n, s->vlo) : 0;
    p->n = upper(p->page, n, s->vhi);
    p->last_page = p->n < n;
    if (p->i > p->n)
        p->i = p->n;
    return 0;
}

static int key_ok(const ipl_ixscan *s, const pgsub *p, const MDB_val *k, int *past)
{
    *past = 0;
    if (k->mv_size != s->klen)
        return 0;
    if (memcmp(k->mv_data, p->klo, s->klen) < 0)
        return 0;
    if (memcmp(k->mv_data, p->khi, s->klen) > 0) {
        *past = 1;
        return 0;
    }
    return 1;
}

/* Moves sub p to its next key in range that has values in the window (state 1), or to its end
 * (3). */
static int next_key(ipl_ixscan *s, pgsub *p, ipl_diag *d)
{
    MDB_val k, v;
    int rc;
    if (p->state == 0) {
        k.mv_size = s->klen;
        k.mv_data = p->klo;
        rc = ipl_ixc_get(p->cur, &k, &v, MDB_SET_RANGE);
    } else {                   /* from any entry of the key (ipl_ixc: without a seek) */
        rc = ipl_ixc_get(p->cur, &k, &v, MDB_NEXT_NODUP);
    }
    for (; rc == 0; rc = ipl_ixc_get(p->cur, &k, &v, MDB_NEXT_NODUP)) {
        int past;
        if (!key_ok(s, p, &k, &past)) {
            if (past)
                break;
            continue;
        }
        p->key = k;
        MDB_val kk = k, vv = {IPL_IXVAL, s->vlo};
        rc = ipl_ixc_get(p->cur, &kk, &vv, MDB_GET_BOTH_RANGE);
        if (rc == MDB_NOTFOUND) {
            /* nothing at or after the window's start under this key: re-anchor on the key */
            kk = k;
            if ((rc = ipl_ixc_get(p->cur, &kk, &vv, MDB_SET)))
                break;
            continue;
        }
        if (rc)
            break;
        if ((rc = load_page(s, p, MDB_GET_MULTIPLE, 1, vv)))
            break;
        if (p->i < p->n) {
            p->state = 1;
            return IPL_OK;
        }
        if (p->last_page) {
            kk = k;
            if ((rc = ipl_ixc_get(p->cur, &kk, &vv, MDB_SET)))
                break;
            continue;
        }
        /* the window starts on the next page of this key */
        rc = load_page(s, p, MDB_NEXT_MULTIPLE, 0, vv);
        if (rc == 0 && p->i < p->n) {
            p->state = 1;
            return IPL_OK;
        }
        if (rc && rc != MDB_NOTFOUND)
            break;
        kk = k;
        if ((rc = ipl_ixc_get(p->cur, &kk, &vv, MDB_SET)))
            break;
    }
    if (rc && rc != MDB_NOTFOUND)
        return ipl_store_mdb_err(d, rc, "scan an index", s->t->st->dir);
    p->state = 3;
    return IPL_OK;
}

/* Merge: the sub on the smallest key; on a tie the earliest week. NULL when all are done. */
static pgsub *pg_pick(ipl_ixscan *s)
{
    pgsub *best = NULL;
    for (size_t j = 0; j < s->nsub; j++) {
        pgsub *p = &s->subs[j];
        if (p->state != 1)
            continue;
        if (!best || memcmp((const uint8_t *)p->key.mv_data + s->pre,
                            (const uint8_t *)best->key.mv_data + s->pre, s->ulen) < 0)
            best = p;
    }
    return best;
}

/* Serial: from sub 0 (done with its week), on to the next week that has an entry. */
static int pg_next_week(ipl_ixscan *s, ipl_diag *d)
{
    pgsub *p = &s->subs[0];
    while (p->state == 3) {
        if (!s->pre || s->wcur >= s->whi) {
            s->at = NULL;
            return IPL_OK;
        }
        pg_aim(s, p, ++s->wcur);
        int err = next_key(s, p, d);
        if (err)
            return err;
    }
    s->at = p;
    return IPL_OK;
}

static int pg_start(ipl_ixscan *s, ipl_diag *d)
{
    int err;
    s->state = 1;
    if (s->merge) {
        for (; s->nopen < s->nsub; s->nopen++) {
            int rc = ipl_ixc_open(s->t->txn, s->t->st->dbi[DB_IX_IP + s->ix], s->klen,
                                     &s->subs[s->nopen].cur);
            if (rc)
                return ipl_store_mdb_err(d, rc, "open an index", s->t->st->dir);
        }
        for (size_t i = 0; i < s->nsub; i++) {
            pg_aim(s, &s->subs[i], s->wlo + (uint32_t)i);
            if ((err = next_key(s, &s->subs[i], d)))
                return err;
        }
        s->at = pg_pick(s);
        return IPL_OK;
    }
    s->wcur = s->wlo;
    pg_aim(s, &s->subs[0], s->wcur);
    if ((err = next_key(s, &s->subs[0], d)))
        return err;
    return pg_next_week(s, d);
}

int ipl_ixscan_fill(ipl_ixscan *s, uint64_t *seq, int64_t *ts, size_t cap, size_t *n,
                    ipl_diag *d)
{
    size_t got = 0;
    int err = IPL_OK;
    if (s->state == 0 && (err = pg_start(s, d)))
        goto out;
    while (got < cap && s->state != 3) {
        pgsub *p = s->at;
        if (!p) {
            s->state = 3;
            break;
        }
        if (p->state == 2) {         /* this key is done: the sub's next key, then whose turn */
            if ((err = next_key(s, p, d)))
                goto out;
            if (s->merge)
                s->at = pg_pick(s);
            else if ((err = pg_next_week(s, d)))
                goto out;
            continue;
        }
        while (p->i < p->n && got < cap) {
            /* value = ts (7 bytes) | seq << 2 | class (5 bytes), big-endian: two 8-byte loads */
            const uint8_t *q = p->page + p->i * IPL_IXVAL;
            uint64_t a = 0, b = 0;
            for (int k = 0; k < 8; k++) {
                a = a << 8 | q[k];
                b = b << 8 | q[4 + k];
            }
            ts[got] = (int64_t)(a >> 8);
            seq[got] = (b & ((UINT64_C(1) << 40) - 1)) >> 2;
            got++;
            p->i++;
        }
        if (p->i < p->n)
            break;
        if (p->last_page) {
            p->state = 2;
            continue;
        }
        MDB_val none = {0, NULL};
        int rc = load_page(s, p, MDB_NEXT_MULTIPLE, 0, none);
        if (rc == MDB_NOTFOUND) {
            p->state = 2;
        } else if (rc) {
            err = ipl_store_mdb_err(d, rc, "scan an index", s->t->st->dir);
            goto out;
        } else if (p->i >= p->n) {
            p->state = 2;
        }
    }
out:
    *n = got;
    return err;
}

void ipl_ixscan_close(ipl_ixscan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nopen; i++)
        if (s->subs[i].cur)
            ipl_ixc_close(s->subs[i].cur);
    free(s->subs);
    free(s);
}

/* ---- statistics and the dictionary --------------------------------------------------------- */

/* Counts the entries and distinct keys in [klo, khi] over every week (a merge of one cursor per
 * week, in key order, so max_keys and last_key mean what they meant with one key per key). */
int ipl_index_range_stat(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi,
                         uint64_t max_keys, ipl_ixstat *s, ipl_diag *d)
{
    memset(s, 0, sizeof *s);
    s->complete = 1;
    if (ix >= IPL_IX__COUNT)
        return ipl_diag_set(d, IPL_EINVAL, "no such index");
    size_t ulen = ipl_ix_ulen(ix), klen = ipl_ix_klen(ix), pre = klen - ulen;
    uint32_t first = 0, last = 0;
    if (pre) {
        int err = ipl_ix_week_bounds(t, ix, &first, &last, d);
        if (err)
            return err == IPL_ENOTFOUND ? IPL_OK : err;
    }
    size_t nw = (size_t)(last - first) + 1;
    struct wk { ipl_ixc *cur; MDB_val k; int on; uint8_t hi[IPL_IXKEY_MAX]; } *w =
        calloc(nw, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < nw && !rc; i++) {
        uint8_t lo[IPL_IXKEY_MAX];
        if (pre) {
            ipl_be32(lo, first + (uint32_t)i);
            ipl_be32(w[i].hi, first + (uint32_t)i);
        }
        if (klo)
            memcpy(lo + pre, klo, ulen);
        else
            memset(lo + pre, 0, ulen);
        if (khi)
            memcpy(w[i].hi + pre, khi, ulen);
        else
            memset(w[i].hi + pre, 0xff, ulen);
        MDB_val v;
        if ((rc = ipl_ixc_open(t->txn, t->st->dbi[DB_IX_IP + ix], ipl_ix_klen(ix), &w[i].cur)))
            break;
        w[i].k.mv_size = klen;
        w[i].k.mv_data = lo;
        rc = ipl_ixc_get(w[i].cur, &w[i].k, &v, MDB_SET_RANGE);
        while (rc == 0 && w[i].k.mv_size != klen)
            rc = ipl_ixc_get(w[i].cur, &w[i].k, &v, MDB_NEXT_NODUP);
        if (rc == 0)
            w[i].on = memcmp(w[i].k.mv_data, w[i].hi, klen) <= 0;
        else if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    while (!rc) {
        const uint8_t *min = NULL;
        for (size_t i = 0; i < nw; i++)
            if (w[i].on && (!min || memcmp((const uint8_t *)w[i].k.mv_data + pre, min, ulen) < 0))
                min = (const uint8_t *)w[i].k.mv_data + pre;
        if (!min)
            break;
        if (s->keys >= max_keys) {
            s->complete = 0;
            break;
        }
        uint8_t key[16];
        memcpy(key, min, ulen);
        for (size_t i = 0; i < nw && !rc; i++) {
            if (!w[i].on || memcmp((const uint8_t *)w[i].k.mv_data + pre, key, ulen) != 0)
                continue;
            size_t cnt = 0;
            if ((rc = ipl_ixc_count(w[i].cur, &cnt)))
                break;
            s->entries += cnt;
            MDB_val v;
            do
                rc = ipl_ixc_get(w[i].cur, &w[i].k, &v, MDB_NEXT_NODUP);
            while (rc == 0 && w[i].k.mv_size != klen);
            if (rc == 0)
                w[i].on = memcmp(w[i].k.mv_data, w[i].hi, klen) <= 0;
            else if (rc == MDB_NOTFOUND)
                w[i].on = 0, rc = 0;
        }
        s->keys++;
        memcpy(s->last_key, key, ulen);
    }
    for (size_t i = 0; i < nw; i++)
        if (w[i].cur)
            ipl_ixc_close(w[i].cur);
    free(w);
    if (rc && rc != MDB_NOTFOUND)
        return ipl_store_mdb_err(d, rc, "read index statistics", t->st->dir);
    return IPL_OK;
}

uint64_t ipl_store_event_count(ipl_rtxn *t)
{
    MDB_stat ms;
    return mdb_stat(t->txn, t->st->dbi[DB_EVENTS], &ms) == 0 ? (uint64_t)ms.ms_entries : 0;
}

uint32_t ipl_dict_max_id(ipl_rtxn *t)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint32_t id = 0;
    if (mdb_cursor_open(t->txn, t->st->dbi[DB_DICT_I], &c))
        return 0;
    if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 4)
        id = ipl_get_be32(k.mv_data);
    mdb_cursor_close(c);
    return id;
}

int ipl_dict_prefix(ipl_rtxn *t, const char *prefix, size_t len, ipl_dict_fn fn, void *ctx,
                    ipl_diag *d)
{
    MDB_cursor *c;
    MDB_val k = {len, (void *)prefix}, v;
    int err = IPL_OK;
    if (len == 0 || len > IPL_STR_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "dictionary prefix of %zu bytes", len);
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_DICT_S], &c);
    if (rc)
        return ipl_store_mdb_err(d, rc, "read the dictionary", t->st->dir);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < len || memcmp(k.mv_data, prefix, len) != 0)
            break;
        if (v.mv_size != 4) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "dictionary entry of %zu bytes", v.mv_size);
            break;
        }
        if ((err = fn(ctx, k.mv_data, k.mv_size, ipl_get_be32(v.mv_data))))
            break;
    }
    mdb_cursor_close(c);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = ipl_store_mdb_err(d, rc, "read the dictionary", t->st->dir);
    return err;
}
