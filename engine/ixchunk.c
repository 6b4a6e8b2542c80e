/* engine/ixchunk.c — the five indexes as compressed posting chunks (store format 4).
 *
 * An index maps a key (week | ip or id, or the ix.time bucket) to its entries, each a packed
 * ipl_ixval (ts:7 | seq << 2 | class:5), in (ts, seq) order. They are stored in a plain LMDB
 * database (no DUPSORT) as chunks:
 *
 *   key:   prefix (klen bytes: the key above) | suffix (12 bytes: a packed ixval)
 *   value: varint count | count x (varint ts delta | zigzag varint (seq << 2 | class) delta)
 *
 *   +--------------+-----------+     +-------+-----------+-----------+-----
 *   | week | ip    | lower bnd |  -> | count | dts0 dsc0 | dts1 dsc1 | ...
 *   +--------------+-----------+     +-------+-----------+-----------+-----
 *
 * The first entry is a delta from the suffix, each next one from the entry before it. The
 * invariants (checked by the decoder and by verify): every entry of a chunk is >= its suffix and <
 * the suffix of the next chunk of the same prefix; the entries of a chunk are strictly increasing;
 * a chunk holds 1 to IPL_IXCHUNK_ENT entries in at most IPL_IXCHUNK_CAP bytes (a rewrite that
 * makes deltas wider may split it). So a prefix's entries in (ts, seq) order are its chunks in key
 * order, each decoded in order.
 *
 * Readers use ipl_ixc, a cursor with the semantics of an LMDB cursor on the DUPSORT|DUPFIXED
 * databases of format 3 (same ops, keys without the suffix, values the 12-byte packed entries), so
 * index.c, scan.c and maint.c kept their walks. Writers use ipl_ixchunk_add / _del / _filter /
 * _drop_range, each on one prefix (or a range of them), which keep the invariants.
 */
#include "engine/err.h"
#include "engine/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUF IPL_IXVAL
#define RAWKEY_MAX (IPL_IXKEY_MAX + SUF)

/* ---- the codec -------------------------------------------------------------------------------- */

static inline uint64_t v_ts(const uint8_t v[SUF])
{
    uint64_t t = 0;
    for (int i = 0; i < 7; i++)
        t = t << 8 | v[i];
    return t;
}

static inline uint64_t v_f(const uint8_t v[SUF])
{
    uint64_t f = 0;
    for (int i = 7; i < 12; i++)
        f = f << 8 | v[i];
    return f;
}

static inline void v_set(uint8_t v[SUF], uint64_t t, uint64_t f)
{
    for (int i = 0; i < 7; i++)
        v[i] = (uint8_t)(t >> (8 * (6 - i)));
    for (int i = 0; i < 5; i++)
        v[7 + i] = (uint8_t)(f >> (8 * (4 - i)));
}

static inline size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Bytes of the entry `v` encoded after `prev` (prev <= v). */
static inline size_t enc_entry(uint8_t *p, const uint8_t prev[SUF], const uint8_t v[SUF])
{
    uint64_t dt = v_ts(v) - v_ts(prev);
    int64_t df = (int64_t)v_f(v) - (int64_t)v_f(prev);
    uint64_t zz = ((uint64_t)df << 1) ^ (uint64_t)(df >> 63);
    size_t n = put_varint(p, dt);
    return n + put_varint(p + n, zz);
}

/* Walks a chunk's value: the count, and each entry through `each` (may be NULL); *last gets the
 * last entry. 0, or -1 when the value breaks the codec or the invariants. */
static int walk(const uint8_t *val, size_t len, const uint8_t suffix[SUF], uint8_t (*out)[SUF],
                size_t *count, uint8_t last[SUF])
{
    const uint8_t *p = val, *end = val + len;
    uint64_t n, t = v_ts(suffix), f = v_f(suffix);
    if (len > IPL_IXCHUNK_CAP + 16 || ipl_ixc_varint(&p, end, &n) || n == 0 || n > IPL_IXCHUNK_ENT)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t dt, zz;
        if (ipl_ixc_varint(&p, end, &dt) || ipl_ixc_varint(&p, end, &zz))
            return -1;
        int64_t df = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
        uint64_t nf = f + (uint64_t)df;
        if (dt > (uint64_t)IPL_TS_MAX - t || nf >= (UINT64_C(1) << 40))
            return -1;
        if (dt == 0 && (i ? df <= 0 : df < 0))    /* strictly increasing, >= the suffix */
            return -1;
        t += dt;
        f = nf;
        if (out)
            v_set(out[i], t, f);
    }
    if (p != end)
        return -1;
    *count = (size_t)n;
    if (last)
        v_set(last, t, f);
    return 0;
}

int ipl_ixchunk_decode(const void *val, size_t len, const uint8_t suffix[IPL_IXVAL],
                       uint8_t (*out)[IPL_IXVAL], size_t *n)
{
    return walk(val, len, suffix, out, n, NULL) ? IPL_ECORRUPT : IPL_OK;
}

int ipl_ixchunk_count(const void *val, size_t len, uint64_t *n)
{
    const uint8_t *p = val;
    if (ipl_ixc_varint(&p, p + len, n) || *n == 0 || *n > IPL_IXCHUNK_ENT)
        return IPL_ECORRUPT;
    return IPL_OK;
}

/* ---- the chunk writer: entries in order, flushed as chunks <= IPL_IXCHUNK_CAP ------------------ */

typedef struct cenc {
    MDB_cursor *cur;
    size_t   klen;
    uint8_t  key[RAWKEY_MAX];               /* prefix | suffix of the chunk being built */
    uint8_t  body[IPL_IXCHUNK_CAP + 32];
    size_t   blen, n;
    uint8_t  last[SUF];
} cenc;

/* The working space of one key's add, delete or filter (~3.4 KiB, on the stack: a commit calls
 * ipl_ixchunk_add once per key, tens of thousands of times). */
typedef struct cscratch {
    cenc    e;
    uint8_t ents[IPL_IXCHUNK_ENT][SUF];          /* a chunk's entries, decoded */
} cscratch;

static void enc_start(cenc *e, const uint8_t suffix[SUF])
{
    memcpy(e->key + e->klen, suffix, SUF);
    memcpy(e->last, suffix, SUF);
    e->blen = e->n = 0;
}

static int enc_flush(cenc *e)
{
    if (!e->n)
        return 0;
    uint8_t buf[IPL_IXCHUNK_CAP + 48];
    size_t h = put_varint(buf, e->n);
    memcpy(buf + h, e->body, e->blen);
    MDB_val k = {e->klen + SUF, e->key}, v = {h + e->blen, buf};
    e->n = 0;
    e->blen = 0;
    return mdb_cursor_put(e->cur, &k, &v, 0);
}

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80)
        v >>= 7, n++;
    return n;
}

/* Appends v (> the last entry); a full chunk is written and a new one keyed by v begun. */
static int enc_push(cenc *e, const uint8_t v[SUF])
{
    uint8_t tmp[24];
    size_t m = enc_entry(tmp, e->last, v);
    if (e->n && (e->n + 1 > IPL_IXCHUNK_ENT ||
                 varint_len(e->n + 1) + e->blen + m > IPL_IXCHUNK_CAP)) {
        int rc = enc_flush(e);
        if (rc)
            return rc;
        enc_start(e, v);
        m = enc_entry(tmp, e->last, v);
    }
    memcpy(e->body + e->blen, tmp, m);
    e->blen += m;
    e->n++;
    memcpy(e->last, v, SUF);
    return 0;
}

/* ---- finding the chunk of an entry ------------------------------------------------------------ */

static inline int same_prefix(const MDB_val *k, const uint8_t *prefix, size_t klen)
{
    return k->mv_size == klen + SUF && memcmp(k->mv_data, prefix, klen) == 0;
}

/* Positions cur on the last chunk of prefix whose suffix <= v: 0 (k, val set), MDB_NOTFOUND
 * when every chunk of the prefix is above v (or it has none); *next_suf (when non-NULL) gets the
 * suffix of the chunk after it within the prefix, *has_next 0 if none. The cursor is left on the
 * chunk found. */
static int find_chunk(MDB_cursor *cur, size_t klen, const uint8_t *prefix, const uint8_t v[SUF],
                      MDB_val *k, MDB_val *val, uint8_t next_suf[SUF], int *has_next)
{
    uint8_t kb[RAWKEY_MAX];
    memcpy(kb, prefix, klen);
    memcpy(kb + klen, v, SUF);
    *has_next = 0;
    k->mv_size = klen + SUF;
    k->mv_data = kb;
    int rc = mdb_cursor_get(cur, k, val, MDB_SET_RANGE);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0 && same_prefix(k, prefix, klen) &&
        memcmp((const uint8_t *)k->mv_data + klen, v, SUF) == 0) {
        /* exactly v: peek at the next chunk, come back */
        MDB_val k2, v2;
        int r2 = mdb_cursor_get(cur, &k2, &v2, MDB_NEXT);
        if (r2 == 0 && same_prefix(&k2, prefix, klen)) {
            *has_next = 1;
            memcpy(next_suf, (const uint8_t *)k2.mv_data + klen, SUF);
        } else if (r2 && r2 != MDB_NOTFOUND) {
            return r2;
        }
        return mdb_cursor_get(cur, k, val, r2 == 0 ? MDB_PREV : MDB_LAST);
    }
    if (rc == 0 && same_prefix(k, prefix, klen)) {
        *has_next = 1;
        memcpy(next_suf, (const uint8_t *)k->mv_data + klen, SUF);
    }
    rc = mdb_cursor_get(cur, k, val, rc == 0 ? MDB_PREV : MDB_LAST);
    if (rc)
        return rc;
    return same_prefix(k, prefix, klen) ? 0 : MDB_NOTFOUND;
}

/* ---- writers ---------------------------------------------------------------------------------- */

#define VAL(i) (vals + (i) * stride)

int ipl_ixchunk_add(MDB_cursor *cur, size_t klen, const uint8_t *prefix, const uint8_t *vals,
                    size_t stride, size_t n, uint64_t *added)
{
    cscratch sc;
    cenc *e = &sc.e;
    uint8_t (*ents)[SUF] = sc.ents;
    int rc = 0;
    e->cur = cur;
    e->klen = klen;
    memcpy(e->key, prefix, klen);
    size_t j = 0;
    while (j < n) {
        MDB_val k, val;
        uint8_t nsuf[SUF];
        int has_next;
        rc = find_chunk(cur, klen, prefix, VAL(j), &k, &val, nsuf, &has_next);
        if (rc && rc != MDB_NOTFOUND)
            goto out;
        size_t m = j + 1;                      /* the run of new entries below the next chunk */
        if (has_next)
            while (m < n && memcmp(VAL(m), nsuf, SUF) < 0)
                m++;
        else
            m = n;
        if (rc == MDB_NOTFOUND) {              /* below every chunk: chunks of their own */
            rc = 0;
            enc_start(e, VAL(j));
            for (size_t i = j; i < m && !rc; i++)
                if (i == j || memcmp(VAL(i), VAL(i - 1), SUF) != 0)
                    rc = enc_push(e, VAL(i)), (*added)++;
            if (!rc)
                rc = enc_flush(e);
            if (rc)
                goto out;
            j = m;
            continue;
        }
        const uint8_t *suffix = (const uint8_t *)k.mv_data + klen;
        uint8_t last[SUF];
        size_t cn;
        if (walk(val.mv_data, val.mv_size, suffix, NULL, &cn, last)) {
            rc = MDB_CORRUPTED;
            goto out;
        }
        memcpy(e->key + klen, suffix, SUF);
        if (memcmp(VAL(j), last, SUF) > 0) {
            /* the run lies after the chunk's last entry (time moved forward; the run is below the
             * next chunk's suffix): appended to it, without decoding it into entries */
            const uint8_t *p = val.mv_data, *end = p + val.mv_size;
            uint64_t c0;
            ipl_ixc_varint(&p, end, &c0);
            e->blen = (size_t)(end - p);
            memcpy(e->body, p, e->blen);
            e->n = cn;
            memcpy(e->last, last, SUF);
            for (size_t i = j; i < m && !rc; i++)
                if (i == j || memcmp(VAL(i), VAL(i - 1), SUF) != 0)
                    rc = enc_push(e, VAL(i)), (*added)++;
        } else {
            /* merge the chunk's entries with the run, re-encoded from the same suffix */
            if (walk(val.mv_data, val.mv_size, suffix, ents, &cn, NULL)) {
                rc = MDB_CORRUPTED;
                goto out;
            }
            uint8_t sfx[SUF];
            memcpy(sfx, suffix, SUF);
            enc_start(e, sfx);
            size_t a = 0, b = j;
            const uint8_t *prev = NULL;
            while ((a < cn || b < m) && !rc) {
                const uint8_t *x;
                int fresh = 0;
                if (b >= m || (a < cn && memcmp(ents[a], VAL(b), SUF) <= 0))
                    x = ents[a++];
                else
                    x = VAL(b++), fresh = 1;
                if (prev && memcmp(prev, x, SUF) == 0)
                    continue;                  /* already there: not added twice */
                *added += (uint64_t)fresh;
                rc = enc_push(e, x);
                prev = x;
            }
        }
        if (!rc)
            rc = enc_flush(e);
        if (rc)
            goto out;
        j = m;
    }
out:
    return rc;
}

/* Rewrites the chunk at raw key `key` (the cursor's) with ents[0..n): deleted when n is 0. */
static int rewrite(MDB_cursor *cur, size_t klen, const uint8_t *key, uint8_t (*ents)[SUF],
                   size_t n, cenc *e)
{
    if (n == 0) {
        MDB_val k = {klen + SUF, (void *)key}, v;
        int rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
        return rc ? rc : mdb_cursor_del(cur, 0);
    }
    e->cur = cur;
    e->klen = klen;
    memcpy(e->key, key, klen);
    enc_start(e, key + klen);
    for (size_t i = 0; i < n; i++) {
        int rc = enc_push(e, ents[i]);
        if (rc)
            return rc;
    }
    return enc_flush(e);
}

int ipl_ixchunk_del(MDB_cursor *cur, size_t klen, const uint8_t *prefix, const uint8_t *vals,
                    size_t stride, size_t n, uint64_t *removed)
{
    cscratch sc;
    cenc *e = &sc.e;
    uint8_t (*ents)[SUF] = sc.ents;
    int rc = 0;
    size_t j = 0;
    while (j < n) {
        MDB_val k, val;
        uint8_t nsuf[SUF], key[RAWKEY_MAX];
        int has_next;
        size_t cn;
        rc = find_chunk(cur, klen, prefix, VAL(j), &k, &val, nsuf, &has_next);
        if (rc == MDB_NOTFOUND) {              /* not present */
            rc = 0;
            j++;
            continue;
        }
        if (rc)
            goto out;
        memcpy(key, k.mv_data, klen + SUF);
        if (walk(val.mv_data, val.mv_size, key + klen, ents, &cn, NULL)) {
            rc = MDB_CORRUPTED;
            goto out;
        }
        size_t w = 0, a = 0, before = j;
        for (; a < cn; a++) {
            while (j < n && memcmp(VAL(j), ents[a], SUF) < 0)
                j++;                           /* not present */
            if (j < n && memcmp(VAL(j), ents[a], SUF) == 0) {
                j++;
                (*removed)++;
                continue;
            }
            if (w != a)
                memcpy(ents[w], ents[a], SUF);
            w++;
        }
        while (j < n && (!has_next || memcmp(VAL(j), nsuf, SUF) < 0))
            j++;                               /* past the chunk's last entry: not present */
        if (j == before)
            j++;
        if (w != cn && (rc = rewrite(cur, klen, key, ents, w, e)))
            goto out;
    }
out:
    return rc;
}

int ipl_ixchunk_filter(MDB_cursor *cur, size_t klen, const uint8_t *prefix,
                       const uint8_t lo[IPL_IXVAL], const uint8_t hi[IPL_IXVAL], ipl_ixkeep_fn keep,
                       void *ctx, uint64_t *removed)
{
    cscratch sc;
    cenc *e = &sc.e;
    uint8_t (*ents)[SUF] = sc.ents;
    int rc = 0;
    MDB_val k, val;
    uint8_t nsuf[SUF], key[RAWKEY_MAX];
    int has_next;
    rc = find_chunk(cur, klen, prefix, lo, &k, &val, nsuf, &has_next);
    if (rc == MDB_NOTFOUND) {                  /* from the prefix's first chunk */
        memcpy(key, prefix, klen);
        memset(key + klen, 0, SUF);
        k.mv_size = klen + SUF;
        k.mv_data = key;
        rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE);
    }
    while (rc == 0 && same_prefix(&k, prefix, klen) &&
           memcmp((const uint8_t *)k.mv_data + klen, hi, SUF) <= 0) {
        size_t cn, w = 0;
        memcpy(key, k.mv_data, klen + SUF);
        if (walk(val.mv_data, val.mv_size, key + klen, ents, &cn, NULL)) {
            rc = MDB_CORRUPTED;
            goto out;
        }
        for (size_t a = 0; a < cn; a++) {
            if (memcmp(ents[a], lo, SUF) >= 0 && memcmp(ents[a], hi, SUF) <= 0) {
                int64_t ts;
                uint64_t seq;
                ipl_ixval_unpack(ents[a], &ts, &seq);
                if (!keep || !keep(ctx, seq)) {
                    (*removed)++;
                    continue;
                }
            }
            if (w != a)
                memcpy(ents[w], ents[a], SUF);
            w++;
        }
        if (w != cn && (rc = rewrite(cur, klen, key, ents, w, e)))
            goto out;
        /* on to the chunk after `key` (which may be gone, or split) */
        k.mv_size = klen + SUF;
        k.mv_data = key;
        rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == klen + SUF && memcmp(k.mv_data, key, klen + SUF) == 0)
            rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
out:
    return rc;
}

int ipl_ixchunk_drop_range(MDB_cursor *cur, size_t klen, const uint8_t *lo, size_t plen,
                           uint64_t *removed)
{
    uint8_t kb[RAWKEY_MAX];
    memset(kb, 0, sizeof kb);
    memcpy(kb, lo, plen);
    MDB_val k = {klen + SUF, kb}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, lo, plen) == 0) {
        uint64_t n;
        if (ipl_ixchunk_count(v.mv_data, v.mv_size, &n))
            return MDB_CORRUPTED;
        if ((rc = mdb_cursor_del(cur, 0)))
            return rc;
        *removed += n;
        rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
        if (rc == EINVAL)
            rc = MDB_NOTFOUND;
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- entry counters (meta "ixn.<index>": u64 BE) ------------------------------------------------ */

static const char *const cnt_keys[IPL_IX__COUNT] = {"ixn.ip", "ixn.mac", "ixn.host", "ixn.user",
                                                    "ixn.time"};

int ipl_ixcount_get(ipl_store *st, MDB_txn *txn, int ix, uint64_t *n)
{
    MDB_val k = {strlen(cnt_keys[ix]), (void *)cnt_keys[ix]}, v;
    *n = 0;
    int rc = mdb_get(txn, st->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *n = ipl_get_be64(v.mv_data);
    return 0;
}

int ipl_ixcount_add(ipl_store *st, MDB_txn *txn, int ix, int64_t delta)
{
    uint64_t n;
    if (!delta)
        return 0;
    int rc = ipl_ixcount_get(st, txn, ix, &n);
    if (rc)
        return rc;
    n = delta < 0 && (uint64_t)-delta > n ? 0 : n + (uint64_t)delta;
    uint8_t b[8];
    ipl_be64(b, n);
    MDB_val k = {strlen(cnt_keys[ix]), (void *)cnt_keys[ix]}, v = {8, b};
    return mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
}

/* ---- the reading cursor ----------------------------------------------------------------------- */

struct ipl_ixc {
    MDB_cursor *cur;
    size_t      klen;
    MDB_val     rk;                 /* the chunk's raw key (LMDB's memory) */
    size_t      n, i;               /* entries of the chunk, position */
    int         on;
    int         first, last;        /* the chunk is known to be its key's first / last (0: not
                                       known): seeks inside the key then need no LMDB op */
    int         ahead;              /* LMDB's cursor is on the next chunk (1: a NEXT_DUP ran off
                                       the key) or the previous one (-1), not on rk: fixed by the
                                       next relative op, or taken as is by NEXT_NODUP/PREV_NODUP */
    uint8_t     ent[IPL_IXCHUNK_ENT][SUF];
};

int ipl_ixc_open(MDB_txn *txn, MDB_dbi dbi, size_t klen, ipl_ixc **out)
{
    *out = NULL;
    ipl_ixc *c = malloc(sizeof *c);
    if (!c)
        return ENOMEM;
    int rc = mdb_cursor_open(txn, dbi, &c->cur);
    if (rc) {
        free(c);
        return rc;
    }
    c->klen = klen;
    c->n = c->i = 0;
    c->on = 0;
    c->ahead = 0;
    *out = c;
    return 0;
}

void ipl_ixc_close(ipl_ixc *c)
{
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    free(c);
}

/* Decodes the chunk (rk, v) just read; i at the first (or last) entry. */
static int load(ipl_ixc *c, const MDB_val *k, const MDB_val *v, int at_last)
{
    if (k->mv_size != c->klen + SUF ||
        walk(v->mv_data, v->mv_size, (const uint8_t *)k->mv_data + c->klen, c->ent, &c->n, NULL)) {
        c->on = 0;
        return MDB_CORRUPTED;
    }
    c->rk = *k;
    c->i = at_last ? c->n - 1 : 0;
    c->on = 1;
    c->ahead = 0;
    c->first = c->last = 0;
    return 0;
}

/* Puts LMDB's cursor back on the chunk loaded (one step) after a step_dup ran off the key. */
static int fix(ipl_ixc *c)
{
    MDB_val k, v;
    int rc = 0;
    if (c->ahead)
        rc = mdb_cursor_get(c->cur, &k, &v, c->ahead > 0 ? MDB_PREV : MDB_NEXT);
    c->ahead = 0;
    return rc;
}

static int mv(ipl_ixc *c, MDB_cursor_op op, int at_last)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, op);
    if (rc) {
        c->on = 0;
        return rc;
    }
    return load(c, &k, &v, at_last);
}

static inline int same(const ipl_ixc *c, const MDB_val *k)
{
    return k->mv_size == c->klen + SUF && memcmp(k->mv_data, c->rk.mv_data, c->klen) == 0;
}

/* Next (prev) chunk of the same prefix: 0 and loaded, or MDB_NOTFOUND with the cursor back on
 * the chunk it was on (LMDB's NEXT_DUP at the last duplicate). */
static int step_dup(ipl_ixc *c, int back)
{
    MDB_val k, v;
    int rc = fix(c);
    if (rc)
        return rc;
    rc = mdb_cursor_get(c->cur, &k, &v, back ? MDB_PREV : MDB_NEXT);
    if (rc == 0 && same(c, &k))
        return load(c, &k, &v, back);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    /* off the key: LMDB's cursor stays on the neighbour (ahead) until an op needs it back; at
     * either end of the database it did not move */
    if (rc == 0)
        c->ahead = back ? -1 : 1;
    if (back)
        c->first = 1;
    else
        c->last = 1;
    return MDB_NOTFOUND;
}

/* Leaves the current prefix (all its chunks) forward or backward; loads the chunk reached. */
static int step_nodup(ipl_ixc *c, int back)
{
    MDB_val k, v;
    int rc;
    uint8_t pre[IPL_IXKEY_MAX];
    if (c->ahead == (back ? -1 : 1)) {     /* already on the neighbouring key's edge chunk */
        if ((rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_CURRENT)))
            return rc;
    } else {
        if ((rc = fix(c)))
            return rc;
        memcpy(pre, c->rk.mv_data, c->klen);
        while ((rc = mdb_cursor_get(c->cur, &k, &v, back ? MDB_PREV : MDB_NEXT)) == 0)
            if (k.mv_size != c->klen + SUF || memcmp(k.mv_data, pre, c->klen) != 0)
                break;
        if (rc) {
            c->on = 0;
            return rc;
        }
    }
    if ((rc = load(c, &k, &v, back)))
        return rc;
    if (back)
        c->last = 1;
    else
        c->first = 1;
    return 0;
}

/* Raw key prefix|suf into kb from a caller's key (padded with zeros to klen). */
static void rawkey(const ipl_ixc *c, uint8_t *kb, const MDB_val *k, const uint8_t *suf)
{
    size_t n = k->mv_size < c->klen ? k->mv_size : c->klen;
    memset(kb, 0, c->klen);
    memcpy(kb, k->mv_data, n);
    if (suf)
        memcpy(kb + c->klen, suf, SUF);
    else
        memset(kb + c->klen, 0, SUF);
}

/* The last chunk of the prefix in kb whose suffix <= kb's suffix, else the prefix's first chunk
 * (*below set). MDB_NOTFOUND when the prefix has no chunk. */
static int seek_chunk(ipl_ixc *c, uint8_t *kb, int *below)
{
    MDB_val k = {c->klen + SUF, kb}, v;
    *below = 0;
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0 && k.mv_size == c->klen + SUF && memcmp(k.mv_data, kb, c->klen + SUF) == 0)
        return load(c, &k, &v, 0);
    int fwd_same = rc == 0 && k.mv_size == c->klen + SUF && memcmp(k.mv_data, kb, c->klen) == 0;
    MDB_val k2, v2;
    int r2 = mdb_cursor_get(c->cur, &k2, &v2, rc == 0 ? MDB_PREV : MDB_LAST);
    if (r2 == 0 && k2.mv_size == c->klen + SUF && memcmp(k2.mv_data, kb, c->klen) == 0)
        return load(c, &k2, &v2, 0);
    if (r2 && r2 != MDB_NOTFOUND)
        return r2;
    if (!fwd_same) {
        c->on = 0;
        return MDB_NOTFOUND;
    }
    *below = 1;
    k.mv_size = c->klen + SUF;
    k.mv_data = kb;
    if ((rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE))) {
        c->on = 0;
        return rc;
    }
    return load(c, &k, &v, 0);
}

static size_t lower(uint8_t (*ent)[SUF], size_t n, const uint8_t *v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(ent[mid], v, SUF) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ipl_ixc_get(ipl_ixc *c, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
    uint8_t kb[RAWKEY_MAX];
    int rc = 0, below;
    /* seeks inside the key the cursor is on, answered from the decoded chunk when its edges
     * are known (the walks of index.c and scan.c: a key's first entry in the window) */
    if (c->on && (op == MDB_SET || op == MDB_SET_KEY || op == MDB_GET_BOTH ||
                  op == MDB_GET_BOTH_RANGE) && k->mv_size >= c->klen &&
        memcmp(k->mv_data, c->rk.mv_data, c->klen) == 0) {
        if (op == MDB_SET || op == MDB_SET_KEY) {
            if (c->first) {
                c->i = 0;
                goto out;
            }
        } else if (v->mv_size == SUF) {
            const uint8_t *suf = (const uint8_t *)c->rk.mv_data + c->klen;
            int in_from = c->first || memcmp(suf, v->mv_data, SUF) <= 0;
            int cmp_last = memcmp(v->mv_data, c->ent[c->n - 1], SUF);
            if (in_from && cmp_last <= 0) {
                size_t i = lower(c->ent, c->n, v->mv_data);
                if (op == MDB_GET_BOTH && memcmp(c->ent[i], v->mv_data, SUF) != 0)
                    return MDB_NOTFOUND;
                c->i = i;
                goto out;
            }
            if (c->last && cmp_last > 0)
                return MDB_NOTFOUND;        /* past the key's last entry */
        }
    }
    if (c->on && op == MDB_FIRST_DUP && c->first) {
        c->i = 0;
        goto out;
    }
    if (c->on && op == MDB_LAST_DUP && c->last) {
        c->i = c->n - 1;
        goto out;
    }
    if (op == MDB_FIRST || op == MDB_LAST || op == MDB_SET || op == MDB_SET_KEY ||
        op == MDB_SET_RANGE || op == MDB_GET_BOTH || op == MDB_GET_BOTH_RANGE ||
        op == MDB_FIRST_DUP || op == MDB_LAST_DUP)
        c->ahead = 0;                       /* they position LMDB's cursor afresh */
    switch (op) {
    case MDB_FIRST:
        rc = mv(c, MDB_FIRST, 0);
        c->first = rc == 0;
        break;
    case MDB_LAST:
        rc = mv(c, MDB_LAST, 1);
        c->last = rc == 0;
        break;
    case MDB_NEXT:
        if (!c->on)
            return EINVAL;
        if (c->i + 1 < c->n)
            c->i++;
        else if (c->ahead > 0) {            /* LMDB's cursor is on the next chunk already */
            MDB_val nk, nv;
            rc = mdb_cursor_get(c->cur, &nk, &nv, MDB_GET_CURRENT);
            rc = rc ? rc : load(c, &nk, &nv, 0);
        } else if ((rc = fix(c)) == 0)
            rc = mv(c, MDB_NEXT, 0);
        break;
    case MDB_PREV:
        if (!c->on)
            return EINVAL;
        if (c->i > 0)
            c->i--;
        else if ((rc = fix(c)) == 0)
            rc = mv(c, MDB_PREV, 1);
        break;
    case MDB_SET:
    case MDB_SET_KEY:
    case MDB_SET_RANGE: {
        rawkey(c, kb, k, NULL);
        MDB_val rk = {c->klen + SUF, kb}, rv;
        rc = mdb_cursor_get(c->cur, &rk, &rv, MDB_SET_RANGE);
        if (rc == 0 && op != MDB_SET_RANGE &&
            (rk.mv_size != c->klen + SUF || memcmp(rk.mv_data, kb, c->klen) != 0))
            rc = MDB_NOTFOUND;
        rc = rc ? (c->on = 0, rc) : load(c, &rk, &rv, 0);
        c->first = rc == 0;                 /* prefix | 0...0: the key's first chunk */
        break;
    }
    case MDB_GET_BOTH:
    case MDB_GET_BOTH_RANGE: {
        if (v->mv_size != SUF)
            return EINVAL;
        rawkey(c, kb, k, v->mv_data);
        if ((rc = seek_chunk(c, kb, &below)))
            break;
        size_t i = lower(c->ent, c->n, v->mv_data);
        if (op == MDB_GET_BOTH) {
            if (i == c->n || memcmp(c->ent[i], v->mv_data, SUF) != 0) {
                c->on = 0;
                return MDB_NOTFOUND;
            }
            c->i = i;
        } else if (i == c->n) {
            /* the next chunk of the key; none: NOTFOUND, the cursor still on the key's last
             * chunk (a LAST_DUP then needs no seek) */
            if ((rc = step_dup(c, 0))) {
                if (rc != MDB_NOTFOUND)
                    c->on = 0;
                break;
            }
        } else {
            c->i = i;
        }
        break;
    }
    case MDB_GET_CURRENT:
        if (!c->on)
            return EINVAL;
        break;
    case MDB_FIRST_DUP:
    case MDB_LAST_DUP:
        if (!c->on)
            return EINVAL;
        memcpy(kb, c->rk.mv_data, c->klen);
        memset(kb + c->klen, op == MDB_FIRST_DUP ? 0 : 0xff, SUF);
        if ((rc = seek_chunk(c, kb, &below)))
            break;
        if (op == MDB_LAST_DUP)
            c->i = c->n - 1, c->last = 1;
        else
            c->first = 1;
        break;
    case MDB_NEXT_DUP:
        if (!c->on)
            return EINVAL;
        if (c->i + 1 < c->n)
            c->i++;
        else
            rc = step_dup(c, 0);
        break;
    case MDB_PREV_DUP:
        if (!c->on)
            return EINVAL;
        if (c->i > 0)
            c->i--;
        else
            rc = step_dup(c, 1);
        break;
    case MDB_NEXT_NODUP:
    case MDB_PREV_NODUP:
        if (!c->on) {                       /* LMDB: from an unset cursor, FIRST or LAST */
            rc = mv(c, op == MDB_NEXT_NODUP ? MDB_FIRST : MDB_LAST, op == MDB_PREV_NODUP);
            if (rc == 0 && op == MDB_NEXT_NODUP)
                c->first = 1;
            else if (rc == 0)
                c->last = 1;
            break;
        }
        /* LMDB: the next key's first duplicate, the previous key's last */
        rc = step_nodup(c, op == MDB_PREV_NODUP);
        break;
    case MDB_GET_MULTIPLE:
        if (!c->on)
            return EINVAL;
        k->mv_size = c->klen;
        k->mv_data = c->rk.mv_data;
        v->mv_size = c->n * SUF;
        v->mv_data = c->ent;
        c->i = c->n - 1;
        return 0;
    case MDB_NEXT_MULTIPLE:
        if (!c->on)
            return EINVAL;
        if ((rc = step_dup(c, 0)))
            return rc;
        return ipl_ixc_get(c, k, v, MDB_GET_MULTIPLE);
    default:
        return EINVAL;
    }
    if (rc)
        return rc;
out:
    k->mv_size = c->klen;
    k->mv_data = c->rk.mv_data;
    v->mv_size = SUF;
    v->mv_data = c->ent[c->i];
    return 0;
}

int ipl_ixc_count(ipl_ixc *c, size_t *n)
{
    *n = 0;
    if (!c->on)
        return EINVAL;
    uint8_t here[RAWKEY_MAX], kb[RAWKEY_MAX];
    c->ahead = 0;                           /* repositioned below, then back on rk */
    memcpy(here, c->rk.mv_data, c->klen + SUF);
    memcpy(kb, here, c->klen);
    memset(kb + c->klen, 0, SUF);
    MDB_val k = {c->klen + SUF, kb}, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_RANGE);
    for (; rc == 0 && k.mv_size == c->klen + SUF && memcmp(k.mv_data, here, c->klen) == 0;
         rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT)) {
        uint64_t m;
        if (ipl_ixchunk_count(v.mv_data, v.mv_size, &m))
            return MDB_CORRUPTED;
        *n += (size_t)m;
    }
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    k.mv_size = c->klen + SUF;             /* back on the chunk it was on */
    k.mv_data = here;
    rc = mdb_cursor_get(c->cur, &k, &v, MDB_SET_KEY);
    if (rc == 0)
        c->rk = k;
    return rc;
}
