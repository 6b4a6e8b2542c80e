/* engine/maint.c — deleting events, re-sealing the chain, verifying, copying; see maint.h. */
#include "engine/maint.h"
#include "engine/err.h"
#include "engine/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <stdarg.h>
#include <unistd.h>

#define RESEAL_STEP 50000

void ipl_purge_acc_init(ipl_purge_acc *a)
{
    memset(a, 0, sizeof *a);
    ipl_sha256_init(&a->digest);
}

static int meta_u64(MDB_txn *txn, ipl_store *st, const char *key, uint64_t *v)
{
    MDB_val k = {strlen(key), (void *)key}, val;
    int rc = mdb_get(txn, st->dbi[DB_META], &k, &val);
    if (rc == 0 && val.mv_size == 8) {
        *v = ipl_get_be64(val.mv_data);
        return 0;
    }
    *v = 0;
    return rc ? rc : MDB_CORRUPTED;
}

static int meta_put(MDB_txn *txn, ipl_store *st, const char *key, const void *val, size_t n)
{
    MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)val};
    return mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
}

static int meta_del(MDB_txn *txn, ipl_store *st, const char *key)
{
    MDB_val k = {strlen(key), (void *)key};
    int rc = mdb_del(txn, st->dbi[DB_META], &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Runs fn in a write transaction, growing the map and retrying on MDB_MAP_FULL. fn returns an
 * LMDB code (0 ok) and may set an ipl error in *err. */
typedef int (*wfn)(ipl_store *st, MDB_txn *txn, void *ctx, int *err, ipl_diag *d);

/* One attempt: 0 or an LMDB code (MDB_MAP_FULL: grow and retry), *err for ipl errors. */
static int write_once(ipl_store *st, wfn fn, void *ctx, int *err, ipl_diag *d)
{
    MDB_txn *txn;
    ipl_gate_enter(st);
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc == MDB_MAP_RESIZED && (rc = ipl_gate_resize(st, 0, 1)) == 0) /* another writer grew it */
        rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc) {
        *err = ipl_store_mdb_err(d, rc, "begin a write", st->dir);
        goto out;
    }
    rc = fn(st, txn, ctx, err, d);
    if (rc == 0 && *err == IPL_OK)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
out:
    ipl_gate_leave(st);
    return rc;
}

/* Under the store's writer lock (one committing thread: the server's writer thread too). */
static int with_write(ipl_store *st, wfn fn, void *ctx, ipl_diag *d)
{
    int err = IPL_OK;
    ipl_wlock_take(st);
    for (int attempt = 0; attempt < 40; attempt++) {
        err = IPL_OK;
        int rc = write_once(st, fn, ctx, &err, d);
        if (rc == 0 && err == IPL_OK)
            goto out;
        if (rc == EAGAIN) {              /* backed off for a committer holding reads */
            ipl_wlock_yield(st);
            attempt--;
            ipl_diag_clear(d);
            continue;
        }
        if (rc != MDB_MAP_FULL) {
            if (!err)
                err = ipl_store_mdb_err(d, rc, "write", st->dir);
            goto out;
        }
        size_t step = st->map_size < ((size_t)8 << 30) ? st->map_size : ((size_t)8 << 30);
        size_t want = st->map_size + step;
        while ((rc = ipl_gate_resize(st, want, 1)) == EAGAIN) {
            ipl_wlock_yield(st);
            if (st->map_size >= want) {
                rc = 0;
                break;
            }
        }
        if (rc) {
            err = ipl_store_mdb_err(d, rc, "grow the map", st->dir);
            goto out;
        }
    }
    err = ipl_diag_set(d, IPL_ELIMIT, "store '%s': map could not be grown enough", st->dir);
out:
    pthread_mutex_unlock(&st->wlock);
    return err;
}

/* ---- delete ---- */

/* The accumulator as bytes (layout in maint.h): a purge's progress record carries it, so a purge
 * killed between two batches resumes with the exact digest and counts. */
_Static_assert(IPL_PURGE_ACC_STATE == 1 + IPL_CHAIN_STATE + 6 * 8 + 256 * 8, "accumulator layout");

void ipl_purge_acc_save(const ipl_purge_acc *a, uint8_t out[IPL_PURGE_ACC_STATE])
{
    uint8_t *p = out;
    *p++ = 1;
    ipl_chain_save(&a->digest, p);
    p += IPL_CHAIN_STATE;
    const uint64_t v[6] = {a->count, a->bytes, a->first_seq, a->last_seq, (uint64_t)a->first_ts,
                           (uint64_t)a->last_ts};
    for (int i = 0; i < 6; i++, p += 8)
        ipl_be64(p, v[i]);
    for (int i = 0; i < 256; i++, p += 8)
        ipl_be64(p, a->per_kind[i]);
}

int ipl_purge_acc_load(ipl_purge_acc *a, const void *in, size_t n)
{
    const uint8_t *p = in;
    ipl_purge_acc x;
    memset(&x, 0, sizeof x);
    if (n != IPL_PURGE_ACC_STATE || p[0] != 1 || ipl_chain_load(&x.digest, p + 1, IPL_CHAIN_STATE))
        return IPL_ECORRUPT;
    p += 1 + IPL_CHAIN_STATE;
    x.count = ipl_get_be64(p);
    x.bytes = ipl_get_be64(p + 8);
    x.first_seq = ipl_get_be64(p + 16);
    x.last_seq = ipl_get_be64(p + 24);
    x.first_ts = (int64_t)ipl_get_be64(p + 32);
    x.last_ts = (int64_t)ipl_get_be64(p + 40);
    p += 48;
    for (int i = 0; i < 256; i++, p += 8)
        x.per_kind[i] = ipl_get_be64(p);
    *a = x;
    return IPL_OK;
}

typedef struct delctx {
    const uint64_t *seqs;
    size_t n;
    const ipl_purge_acc *base; /* the caller's accumulator before this batch */
    ipl_purge_acc acc;          /* a working copy: committed into the caller's only on success */
    const char *kv_ns, *kv_key;
    const void *kv_val;
    size_t kv_len;
} delctx;

/* One index entry to remove. A batch's entries are sorted by (index, key, value) and removed
 * through one cursor per index: neighbouring removals share pages (LMDB's cursor skips the
 * descent from the root when the key is on its current page) instead of each one descending. */
typedef struct delent {
    uint8_t db, klen;
    uint8_t key[IPL_IXKEY_MAX];
    uint8_t val[IPL_IXVAL];
} delent;

static int delent_cmp(const void *a, const void *b)
{
    const delent *x = a, *y = b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    int c = memcmp(x->key, y->key, x->klen);
    return c ? c : memcmp(x->val, y->val, IPL_IXVAL);
}

/* Writes the caller's progress record (ns/key NULL: none): its bytes, then the accumulator after
 * this batch. An LMDB code; *err for a record that is too long. */
static int put_progress(ipl_store *st, MDB_txn *txn, const char *ns, const char *kk,
                        const void *val, size_t len, const ipl_purge_acc *acc, int *err,
                        ipl_diag *d)
{
    char key[512];
    if (!ns || !kk || !st->has_kv)
        return 0;
    size_t nl = strlen(ns), kl = strlen(kk);
    if (nl + 1 + kl > sizeof key || len > ((size_t)1 << 20)) {
        *err = ipl_diag_set(d, IPL_ELIMIT, "progress record too long");
        return 0;
    }
    memcpy(key, ns, nl);
    key[nl] = '\0';
    memcpy(key + nl + 1, kk, kl);
    MDB_val k = {nl + 1 + kl, key}, v = {len + IPL_PURGE_ACC_STATE, NULL};
    int rc = mdb_put(txn, st->dbi[DB_KV], &k, &v, MDB_RESERVE);
    if (rc)
        return rc;
    if (len)
        memcpy(v.mv_data, val, len);
    ipl_purge_acc_save(acc, (uint8_t *)v.mv_data + len);
    return 0;
}

static int del_fn(ipl_store *st, MDB_txn *txn, void *c, int *err, ipl_diag *d)
{
    delctx *x = c;
    int rc = 0;
    size_t nent = 0;
    MDB_cursor *cur = NULL;
    delent *ents = malloc((x->n ? x->n : 1) * (IPL_IX__COUNT + 1) * sizeof *ents);
    if (!ents) {
        *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        return 0;
    }
    x->acc = *x->base;          /* every attempt (with_write retries on MAP_FULL) starts afresh */
    for (size_t i = 0; i < x->n; i++) {
        uint8_t kb[8];
        ipl_be64(kb, x->seqs[i]);
        MDB_val k = {8, kb}, v;
        rc = mdb_get(txn, st->dbi[DB_EVENTS], &k, &v);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            goto out;
        ipl_rec r;
        ipl_rec_keys keys;
        if (ipl_record_decode(v.mv_data, v.mv_size, &r) ||
            ipl_rec_index_keys(st, txn, &r, &keys)) {
            *err = ipl_diag_set(d, IPL_ECORRUPT, "event %llu in store '%s' is corrupt: run "
                                "'ipledger verify'", (unsigned long long)x->seqs[i], st->dir);
            goto out;
        }
        /* digest and count before the record's page changes */
        uint8_t hdr[12];
        ipl_be64(hdr, x->seqs[i]);
        ipl_be32(hdr + 8, (uint32_t)v.mv_size);
        ipl_sha256_update(&x->acc.digest, hdr, 12);
        ipl_sha256_update(&x->acc.digest, v.mv_data, v.mv_size);
        x->acc.count++;
        x->acc.bytes += v.mv_size;
        x->acc.per_kind[r.kind & 0xff]++;
        if (!x->acc.first_seq || x->seqs[i] < x->acc.first_seq)
            x->acc.first_seq = x->seqs[i];
        if (x->seqs[i] > x->acc.last_seq)
            x->acc.last_seq = x->seqs[i];
        if (!x->acc.first_ts || r.ts < x->acc.first_ts)
            x->acc.first_ts = r.ts;
        if (r.ts > x->acc.last_ts)
            x->acc.last_ts = r.ts;
        for (int j = 0; j <= IPL_IX__COUNT; j++) {
            if (!keys.has[j])
                continue;
            delent *e = &ents[nent++];
            e->db = (uint8_t)keys.dbi[j];
            e->klen = (uint8_t)keys.len[j];
            memcpy(e->key, keys.key[j], keys.len[j]);
            ipl_ixval_pack(e->val, r.ts, x->seqs[i], ipl_ix_class(r.kind));
        }
        if ((rc = mdb_del(txn, st->dbi[DB_EVENTS], &k, NULL)))
            goto out;
    }
    qsort(ents, nent, sizeof *ents, delent_cmp);
    /* per (index, key): its entries out of its chunks (ixchunk.c), one cursor per index */
    uint64_t removed[IPL_IX__COUNT] = {0};
    for (size_t i = 0, j; i < nent; i = j) {
        if (i == 0 || ents[i].db != ents[i - 1].db) {
            if (cur)
                mdb_cursor_close(cur);
            cur = NULL;
            if ((rc = mdb_cursor_open(txn, st->dbi[ents[i].db], &cur)))
                goto out;
        }
        for (j = i + 1; j < nent && ents[j].db == ents[i].db && ents[j].klen == ents[i].klen &&
                        memcmp(ents[j].key, ents[i].key, ents[i].klen) == 0; j++)
            ;
        if ((rc = ipl_ixchunk_del(cur, ents[i].klen, ents[i].key, ents[i].val, sizeof *ents, j - i,
                                  &removed[ents[i].db - DB_IX_IP])))
            goto out;
    }
    for (int ix = 0; ix < IPL_IX__COUNT; ix++)
        if ((rc = ipl_ixcount_add(st, txn, ix, -(int64_t)removed[ix])))
            goto out;
    /* an address whose recorded lease decision was removed: its state from what is left */
    ipl_ipnow_fixer fix;
    ipl_ipnow_fixer_init(&fix, st, txn);
    for (size_t i = 0, j; i < nent && !rc; i = j) {
        for (j = i + 1; j < nent && ents[j].db == ents[i].db && ents[j].klen == ents[i].klen &&
                        memcmp(ents[j].key, ents[i].key, ents[i].klen) == 0; j++)
            ;
        if (ents[i].db != DB_IX_IP)
            continue;
        MDB_val sk = {16, ents[i].key + 4}, sv;
        if ((rc = mdb_get(txn, st->dbi[DB_IPNOW], &sk, &sv)) == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        for (size_t q = i; q < j && !rc; q++)
            if (sv.mv_size == IPL_IXVAL && memcmp(sv.mv_data, ents[q].val, IPL_IXVAL) == 0) {
                rc = ipl_ipnow_recompute(&fix, ents[i].key + 4, ipl_get_be32(ents[i].key));
                break;
            }
    }
    ipl_ipnow_fixer_done(&fix);
    if (rc)
        goto out;
    rc = put_progress(st, txn, x->kv_ns, x->kv_key, x->kv_val, x->kv_len, &x->acc, err, d);
out:
    if (cur)
        mdb_cursor_close(cur);
    free(ents);
    return rc;
}

int ipl_store_delete(ipl_store *st, const uint64_t *seqs, size_t n, ipl_purge_acc *acc,
                     const char *kv_ns, const char *kv_key, const void *kv_val, size_t kv_len,
                     ipl_diag *d)
{
    if (st->flags & IPL_STORE_RDONLY)
        return ipl_diag_set(d, IPL_EACCES, "store '%s' is open read-only", st->dir);
    delctx x = {seqs, n, acc, *acc, kv_ns, kv_key, kv_val, kv_len};
    int err = with_write(st, del_fn, &x, d);
    if (err)
        return err;
    *acc = x.acc;
    return IPL_OK;
}

/* ---- delete a time range, a week at a time ---- */

#define SPAN_SRC_MAX 4096          /* distinct sources counted by id in one step (the rest: other) */

typedef struct spanctx {
    ipl_purge_span *sp;
    const ipl_purge_acc *base;
    ipl_purge_acc acc;
    const char *kv_ns, *kv_key;
    ipl_purge_record_fn fn;
    void *fnctx;
    uint64_t *kept;                /* protected seqs met in the range (sorted: seq order) */
    size_t nkept, capkept;
    size_t capsrc;
    uint32_t src_hint[1024];       /* source id & 1023 -> its index in sp->src + 1 (0: none) */
    ipl_ipset ips;                 /* addresses whose lease decisions this step removed */
    struct timespec called;        /* when ipl_store_purge_span was called */
    int attempts;
    double lock_wait;
} spanctx;

_Static_assert(IPL_PURGE_SEQ_ALL == IPL_SEQ_MAX, "the largest seq");

int64_t ipl_purge_week_start(int64_t ts)
{
    return (int64_t)ipl_ix_week(ts) * IPL_WEEK_US;
}

int64_t ipl_purge_week_end(int64_t ts)
{
    return ((int64_t)ipl_ix_week(ts) + 1) * IPL_WEEK_US - 1;
}

void ipl_purge_span_release(ipl_purge_span *sp)
{
    if (!sp)
        return;
    for (size_t i = 0; i < sp->nsrc; i++)
        free(sp->src[i].name);
    free(sp->src);
    sp->src = NULL;
    sp->nsrc = 0;
}

static void span_reset(ipl_purge_span *sp)
{
    ipl_purge_span_release(sp);
    sp->hi_ts = 0;
    sp->hi_seq = 0;
    sp->done = 0;
    sp->examined = sp->protected_n = sp->removed = sp->min_seq = sp->entries = 0;
    sp->src_other = 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int kept_has(const spanctx *x, uint64_t seq)
{
    return x->nkept && bsearch(&seq, x->kept, x->nkept, sizeof *x->kept, u64_cmp) != NULL;
}

/* Counts one removed event under its source id (name copied from dict.i). */
static int span_source(ipl_store *st, MDB_txn *txn, spanctx *x, uint32_t id)
{
    ipl_purge_span *sp = x->sp;
    uint32_t *hint = &x->src_hint[id & 1023];
    if (*hint && sp->src[*hint - 1].id == id) {
        sp->src[*hint - 1].n++;
        return IPL_OK;
    }
    for (size_t i = sp->nsrc; i-- > 0;)
        if (sp->src[i].id == id) {
            sp->src[i].n++;
            *hint = (uint32_t)i + 1;
            return IPL_OK;
        }
    if (sp->nsrc >= SPAN_SRC_MAX) {
        sp->src_other++;
        return IPL_OK;
    }
    if (sp->nsrc == x->capsrc) {
        size_t cap = x->capsrc ? x->capsrc * 2 : 64;
        ipl_purge_src *p = realloc(sp->src, cap * sizeof *p);
        if (!p)
            return IPL_ENOMEM;
        sp->src = p;
        x->capsrc = cap;
    }
    const char *name = "";
    size_t n = 0;
    if (id) {
        uint8_t idb[4];
        ipl_be32(idb, id);
        MDB_val k = {4, idb}, v;
        if (mdb_get(txn, st->dbi[DB_DICT_I], &k, &v) != 0 || v.mv_size < 1)
            return IPL_ECORRUPT;
        name = v.mv_data;
        n = v.mv_size - 1;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return IPL_ENOMEM;
    memcpy(copy, name, n);
    copy[n] = '\0';
    sp->src[sp->nsrc].id = id;
    sp->src[sp->nsrc].name = copy;
    sp->src[sp->nsrc].n = 1;
    sp->nsrc++;
    *hint = (uint32_t)sp->nsrc;
    return IPL_OK;
}

/* (ts, seq) order of index values */
static int tsseq_cmp(int64_t ats, uint64_t aseq, int64_t bts, uint64_t bseq)
{
    if (ats != bts)
        return ats < bts ? -1 : 1;
    return aseq < bseq ? -1 : aseq > bseq;
}

/* Positions the ix.time cursor on the first entry at or after (ts, seq). */
static int time_seek(ipl_ixc *c, int64_t ts, uint64_t seq, MDB_val *k, MDB_val *v)
{
    uint8_t kb[4], vb[IPL_IXVAL], want[4];
    ipl_be32(kb, (uint32_t)((uint64_t)ts >> 32));
    memcpy(want, kb, 4);
    k->mv_size = 4;
    k->mv_data = kb;
    int rc = ipl_ixc_get(c, k, v, MDB_SET_RANGE);
    if (rc || k->mv_size != 4 || memcmp(k->mv_data, want, 4) != 0)
        return rc;                         /* a later bucket (or none): its first entry */
    ipl_ixval_pack(vb, ts, seq, 0);
    MDB_val kk = {4, want}, vv = {IPL_IXVAL, vb};
    rc = ipl_ixc_get(c, &kk, &vv, MDB_GET_BOTH_RANGE);
    if (rc == 0)
        return ipl_ixc_get(c, k, v, MDB_GET_CURRENT);
    if (rc != MDB_NOTFOUND)
        return rc;
    kk.mv_size = 4;                        /* nothing left in this bucket: the next one */
    kk.mv_data = want;
    if ((rc = ipl_ixc_get(c, &kk, &vv, MDB_SET)))
        return rc;
    return ipl_ixc_get(c, k, v, MDB_NEXT_NODUP);
}

static int keep_fn(void *ctx, uint64_t seq)
{
    return kept_has(ctx, seq);
}

/* Removes week w's entries of one per-key index whose (ts, seq) lies in (lo, hi] and that are not
 * kept; `whole`: every entry of the week goes (each key with all its duplicates at once). The
 * week's keys are one contiguous range, walked in order: each page is touched once. */
static int span_index(ipl_store *st, MDB_txn *txn, int dbi, size_t klen, uint32_t w,
                      spanctx *x, int whole, uint64_t *removed)
{
    const ipl_purge_span *sp = x->sp;
    MDB_cursor *c;
    uint8_t kb[IPL_IXKEY_MAX + IPL_IXVAL], cur[IPL_IXKEY_MAX], lov[IPL_IXVAL], hiv[IPL_IXVAL];
    int rc = mdb_cursor_open(txn, st->dbi[dbi], &c);
    if (rc)
        return rc;
    ipl_be32(kb, w);
    if (whole) {                           /* every chunk of the week */
        rc = ipl_ixchunk_drop_range(c, klen, kb, 4, removed);
        mdb_cursor_close(c);
        return rc;
    }
    ipl_ixval_pack(lov, sp->from, sp->after_seq + 1, 0);     /* entries after (from, after_seq) */
    ipl_ixval_pack(hiv, sp->hi_ts, sp->hi_seq, 3);
    memset(kb + 4, 0, sizeof kb - 4);
    MDB_val k = {klen + IPL_IXVAL, kb}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        if (k.mv_size != klen + IPL_IXVAL || ipl_get_be32(k.mv_data) != w)
            break;
        memcpy(cur, k.mv_data, klen);
        if ((rc = ipl_ixchunk_filter(c, klen, cur, lov, hiv, x->nkept ? keep_fn : NULL, x,
                                     removed)))
            break;
        /* on to the key after cur: past every chunk of it */
        memcpy(kb, cur, klen);
        memset(kb + klen, 0xff, IPL_IXVAL);
        k.mv_size = klen + IPL_IXVAL;
        k.mv_data = kb;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == klen + IPL_IXVAL && memcmp(k.mv_data, kb, klen + IPL_IXVAL) == 0)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int span_fn(ipl_store *st, MDB_txn *txn, void *c, int *err, ipl_diag *d)
{
    spanctx *x = c;
    ipl_purge_span *sp = x->sp;
    ipl_ixc *tc = NULL;
    MDB_cursor *ec = NULL;
    MDB_val k, v;
    char *rec = NULL;
    size_t reclen = 0;
    int rc;
    uint32_t w = ipl_ix_week(sp->from);
    span_reset(sp);
    if (x->attempts++ == 0) {      /* the first attempt began after the writer lock was free */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        x->lock_wait = (double)(now.tv_sec - x->called.tv_sec) +
                       (double)(now.tv_nsec - x->called.tv_nsec) / 1e9;
    }
    sp->lock_wait = x->lock_wait;
    x->acc = *x->base;         /* every attempt (with_write retries on MAP_FULL) starts afresh */
    x->nkept = 0;
    x->capsrc = 0;
    ipl_ipset_clear(&x->ips);
    memset(x->src_hint, 0, sizeof x->src_hint);
    if ((rc = ipl_ixc_open(txn, st->dbi[DB_IX_TIME], 4, &tc)) ||
        (rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ec)))
        goto out;
    /* 1. the time index in (ts, seq) order: the events (digested in that order, as
     *    ipl_store_delete does for a batch selected from it) and their time entries */
    rc = time_seek(tc, sp->from, sp->after_seq + 1, &k, &v);
    sp->hi_ts = sp->from;
    sp->hi_seq = sp->after_seq;
    while (rc == 0) {
        int64_t ts;
        uint64_t seq;
        if (v.mv_size != IPL_IXVAL) {
            rc = MDB_CORRUPTED;
            goto out;
        }
        ipl_ixval_unpack(v.mv_data, &ts, &seq);
        if (ts > sp->to)
            break;
        if (sp->removed >= sp->limit || sp->examined >= 4 * sp->limit)
            goto stopped;
        sp->examined++;
        uint8_t kb[8];
        ipl_be64(kb, seq);
        MDB_val ek = {8, kb}, ev;
        ipl_rec r;
        if ((rc = mdb_cursor_get(ec, &ek, &ev, MDB_SET_KEY)) == MDB_NOTFOUND ||
            (rc == 0 && ipl_record_decode(ev.mv_data, ev.mv_size, &r))) {
            *err = ipl_diag_set(d, IPL_ECORRUPT, "the time index of store '%s' names event %llu, "
                                "which is %s: run 'ipledger verify'", st->dir,
                                (unsigned long long)seq, rc ? "missing" : "corrupt");
            rc = 0;
            goto out;
        }
        if (rc)
            goto out;
        sp->hi_ts = ts;
        sp->hi_seq = seq;
        if (sp->protect_kind && r.kind == sp->protect_kind) {
            if (x->nkept == x->capkept) {
                size_t cap = x->capkept ? x->capkept * 2 : 64;
                uint64_t *p = realloc(x->kept, cap * sizeof *p);
                if (!p) {
                    *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                    goto out;
                }
                x->kept = p;
                x->capkept = cap;
            }
            x->kept[x->nkept++] = seq;
            sp->protected_n++;
            rc = ipl_ixc_get(tc, &k, &v, MDB_NEXT);
            continue;
        }
        uint8_t hdr[12];
        ipl_be64(hdr, seq);
        ipl_be32(hdr + 8, (uint32_t)ev.mv_size);
        ipl_sha256_update(&x->acc.digest, hdr, 12);
        ipl_sha256_update(&x->acc.digest, ev.mv_data, ev.mv_size);
        x->acc.count++;
        x->acc.bytes += ev.mv_size;
        x->acc.per_kind[r.kind & 0xff]++;
        if (!x->acc.first_seq || seq < x->acc.first_seq)
            x->acc.first_seq = seq;
        if (seq > x->acc.last_seq)
            x->acc.last_seq = seq;
        if (!x->acc.first_ts || ts < x->acc.first_ts)
            x->acc.first_ts = ts;
        if (ts > x->acc.last_ts)
            x->acc.last_ts = ts;
        if (!sp->min_seq || seq < sp->min_seq)
            sp->min_seq = seq;
        if ((*err = span_source(st, txn, x, r.source))) {
            ipl_diag_set(d, *err, *err == IPL_ENOMEM ? "out of memory" : "event %llu names a "
                         "source missing from the dictionary: run 'ipledger verify'",
                         (unsigned long long)seq);
            goto out;
        }
        sp->removed++;
        if (r.has_ip) {
            unsigned cls = ipl_ix_class(r.kind);
            if ((cls == IPL_IXC_OPEN || cls == IPL_IXC_CLOSE) && ipl_ipset_add(&x->ips, r.ip)) {
                *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                goto out;
            }
        }
        if ((rc = mdb_cursor_del(ec, 0)))
            goto out;
        /* its time entry goes with the others after the walk (ipl_ixchunk_filter) */
        rc = ipl_ixc_get(tc, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        goto out;
    sp->done = 1;                              /* the whole range: up to (to, any seq) */
    sp->hi_ts = sp->to;
    sp->hi_seq = IPL_SEQ_MAX;
stopped:
    rc = 0;
    if (x->nkept > 1)
        qsort(x->kept, x->nkept, sizeof *x->kept, u64_cmp);
    /* 2. the time entries walked (all but the kept ones), then the per-key indexes: week w's
     *    key range of each */
    {
        uint64_t gone[IPL_IX__COUNT] = {0};
        uint8_t lov[IPL_IXVAL], hiv[IPL_IXVAL], bucket[4];
        MDB_cursor *xc;
        ipl_ixval_pack(lov, sp->from, sp->after_seq + 1, 0);
        ipl_ixval_pack(hiv, sp->hi_ts, sp->hi_seq, 3);
        if (tsseq_cmp(sp->hi_ts, sp->hi_seq, sp->from, sp->after_seq) > 0) {
            if ((rc = mdb_cursor_open(txn, st->dbi[DB_IX_TIME], &xc)))
                goto out;
            for (uint64_t bk = (uint64_t)sp->from >> 32; bk <= (uint64_t)sp->hi_ts >> 32 && !rc; bk++) {
                ipl_be32(bucket, (uint32_t)bk);
                rc = ipl_ixchunk_filter(xc, 4, bucket, lov, hiv, x->nkept ? keep_fn : NULL, x,
                                        &gone[IPL_IX_TIME]);
            }
            mdb_cursor_close(xc);
            if (rc)
                goto out;
        }
        int64_t wlo = (int64_t)w * IPL_WEEK_US, whi = wlo + IPL_WEEK_US - 1;
        int whole = sp->done && !x->nkept && sp->to >= whi &&
                    (sp->from < wlo || (sp->from == wlo && sp->after_seq == 0) || (w == 0 && sp->from <= 0));
        static const int dbs[4] = {DB_IX_IP, DB_IX_MAC, DB_IX_HOST, DB_IX_USER};
        static const int ixs[4] = {IPL_IX_IP, IPL_IX_MAC, IPL_IX_HOST, IPL_IX_USER};
        for (int i = 0; i < 4; i++)
            if ((rc = span_index(st, txn, dbs[i], ipl_ix_klen(ixs[i]), w, x, whole, &gone[ixs[i]])))
                goto out;
        /* the current lease state of the addresses whose latest decision went (ipnow.c) */
        if ((rc = ipl_ipnow_fix_span(st, txn, &x->ips, lov, hiv, x->nkept ? keep_fn : NULL, x, w)))
            goto out;
        for (int i = 0; i < IPL_IX__COUNT; i++) {
            sp->entries += gone[i];
            if ((rc = ipl_ixcount_add(st, txn, i, -(int64_t)gone[i])))
                goto out;
        }
    }
    /* 3. the re-seal mark, the caller's progress record */
    if (sp->min_seq) {
        uint64_t cur = 0;
        if (meta_u64(txn, st, "reseal.from", &cur) != 0 || !cur || cur > sp->min_seq) {
            uint8_t b[8];
            ipl_be64(b, sp->min_seq);
            if ((rc = meta_put(txn, st, "reseal.from", b, 8)))
                goto out;
        }
    }
    if (x->fn && (*err = x->fn(x->fnctx, sp, &rec, &reclen, d)))
        goto out;
    rc = put_progress(st, txn, x->kv_ns, x->kv_key, rec, reclen, &x->acc, err, d);
out:
    ipl_ixc_close(tc);
    if (ec)
        mdb_cursor_close(ec);
    free(rec);
    return rc;
}

int ipl_store_purge_span(ipl_store *st, ipl_purge_span *sp, ipl_purge_acc *acc,
                         const char *kv_ns, const char *kv_key, ipl_purge_record_fn fn, void *ctx,
                         ipl_diag *d)
{
    if (st->flags & IPL_STORE_RDONLY)
        return ipl_diag_set(d, IPL_EACCES, "store '%s' is open read-only", st->dir);
    if (sp->from < 0 || sp->to < sp->from || ipl_ix_week(sp->from) != ipl_ix_week(sp->to) ||
        sp->after_seq >= IPL_SEQ_MAX || sp->limit == 0)
        return ipl_diag_set(d, IPL_EINVAL, "a purge span lies within one week");
    spanctx x;
    memset(&x, 0, sizeof x);
    x.sp = sp;
    x.base = acc;
    x.acc = *acc;
    x.kv_ns = kv_ns;
    x.kv_key = kv_key;
    x.fn = fn;
    x.fnctx = ctx;
    clock_gettime(CLOCK_MONOTONIC, &x.called);
    int err = with_write(st, span_fn, &x, d);
    free(x.kept);
    ipl_ipset_free(&x.ips);
    if (err)
        return err;
    *acc = x.acc;
    return IPL_OK;
}

/* ---- re-seal ---- */

static int mark_fn(ipl_store *st, MDB_txn *txn, void *c, int *err, ipl_diag *d)
{
    uint64_t from = *(uint64_t *)c, cur;
    if (meta_u64(txn, st, "reseal.from", &cur) == 0 && cur && cur <= from)
        return 0;
    uint8_t b[8];
    ipl_be64(b, from);
    return meta_put(txn, st, "reseal.from", b, 8);
}

int ipl_store_reseal_mark(ipl_store *st, uint64_t from, ipl_diag *d)
{
    if (from == 0)
        from = 1;
    return with_write(st, mark_fn, &from, d);
}

uint64_t ipl_store_reseal_pending(ipl_rtxn *t)
{
    uint64_t v;
    return meta_u64(t->txn, t->st, "reseal.from", &v) == 0 ? v : 0;
}

typedef struct rsctx {
    size_t step;
    int done;
} rsctx;

/* Loads the chain state at the last checkpoint before `from` (or the initial state). */
static int state_before(ipl_store *st, MDB_txn *txn, uint64_t from, ipl_sha256_ctx *s,
                        uint32_t *upto, uint64_t *start)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t kb[8];
    ipl_sha256_init(s);
    *upto = 0;
    *start = 1;
    int rc = mdb_cursor_open(txn, st->dbi[DB_CHAIN], &c);
    if (rc)
        return rc;
    ipl_be64(kb, from);
    k.mv_size = 8;
    k.mv_data = kb;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
    if (rc == 0) {
        if (k.mv_size != 8 || v.mv_size != IPL_CHAIN_STATE + 4 ||
            ipl_chain_load(s, v.mv_data, IPL_CHAIN_STATE)) {
            mdb_cursor_close(c);
            return MDB_CORRUPTED;
        }
        *upto = ipl_get_be32((const uint8_t *)v.mv_data + IPL_CHAIN_STATE);
        *start = ipl_get_be64(k.mv_data) + 1;
    } else if (rc != MDB_NOTFOUND) {
        mdb_cursor_close(c);
        return rc;
    }
    mdb_cursor_close(c);
    return 0;
}

static int reseal_fn(ipl_store *st, MDB_txn *txn, void *c, int *err, ipl_diag *d)
{
    rsctx *x = c;
    uint64_t from, start;
    int rc = meta_u64(txn, st, "reseal.from", &from);
    if (rc == MDB_NOTFOUND || !from) {
        x->done = 1;
        return 0;
    }
    if (rc)
        return rc;
    ipl_sha256_ctx s;
    uint32_t upto;
    if ((rc = state_before(st, txn, from, &s, &upto, &start)))
        return rc;
    MDB_cursor *ec = NULL, *cc = NULL;
    MDB_val k, v;
    uint8_t kb[8];
    uint64_t last = 0;
    size_t n = 0;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ec)))
        goto out;
    ipl_be64(kb, start);
    k.mv_size = 8;
    k.mv_data = kb;
    for (rc = mdb_cursor_get(ec, &k, &v, MDB_SET_RANGE); rc == 0 && n < x->step;
         rc = mdb_cursor_get(ec, &k, &v, MDB_NEXT), n++) {
        ipl_rec r;
        last = ipl_get_be64(k.mv_data);
        if (ipl_record_decode(v.mv_data, v.mv_size, &r)) {
            *err = ipl_diag_set(d, IPL_ECORRUPT, "event %llu is corrupt: cannot re-seal",
                                (unsigned long long)last);
            rc = 0;
            goto out;
        }
        if ((*err = ipl_chain_dict_upto(st, txn, &s, &upto, ipl_rec_max_id(&r), d)))
            goto out;
        ipl_chain_record(&s, last, v.mv_data, v.mv_size);
    }
    int at_end = rc == MDB_NOTFOUND;
    if (rc && rc != MDB_NOTFOUND)
        goto out;
    rc = 0;
    /* drop the old checkpoints of the replayed range (and, at the end, every later one) */
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_CHAIN], &cc)))
        goto out;
    ipl_be64(kb, start);
    k.mv_size = 8;
    k.mv_data = kb;
    for (rc = mdb_cursor_get(cc, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cc, &k, &v, MDB_NEXT)) {
        if (!at_end && ipl_get_be64(k.mv_data) > last)
            break;
        if ((rc = mdb_cursor_del(cc, 0)))
            goto out;
    }
    if (rc && rc != MDB_NOTFOUND)
        goto out;
    rc = 0;
    uint8_t state[IPL_CHAIN_STATE + 4], head[32];
    ipl_chain_save(&s, state);
    ipl_be32(state + IPL_CHAIN_STATE, upto);
    if (last) {
        ipl_be64(kb, last);
        MDB_val ck = {8, kb}, cv = {sizeof state, state};
        if ((rc = mdb_put(txn, st->dbi[DB_CHAIN], &ck, &cv, 0)))
            goto out;
    }
    if (at_end) {
        ipl_chain_digest(&s, head);
        if ((rc = meta_put(txn, st, "chain.state", state, IPL_CHAIN_STATE)) ||
            (rc = meta_put(txn, st, "chain.dict", state + IPL_CHAIN_STATE, 4)) ||
            (rc = meta_put(txn, st, "chain", head, 32)) || (rc = meta_del(txn, st, "reseal.from")))
            goto out;
        x->done = 1;
    } else {
        ipl_be64(kb, last + 1);
        rc = meta_put(txn, st, "reseal.from", kb, 8);
    }
out:
    if (ec)
        mdb_cursor_close(ec);
    if (cc)
        mdb_cursor_close(cc);
    return rc;
}

int ipl_store_reseal(ipl_store *st, size_t events_per_txn, ipl_diag *d)
{
    rsctx x = {events_per_txn ? events_per_txn : RESEAL_STEP, 0};
    while (!x.done) {
        int err = with_write(st, reseal_fn, &x, d);
        if (err)
            return err;
    }
    return IPL_OK;
}

/* ---- verify ---- */


/* Two independent 64-bit hashes of an index entry (index number, key of 4 or 16 bytes, value):
 * products of the words with odd constants, combined two different ways, then mixed. */
static void entry_hash(int ix, const void *key, size_t klen, const void *val, uint64_t h[2])
{
    uint64_t w0 = 0, w1 = 0, v0, v1 = 0, wk = 0;
    uint32_t k4;
    if (klen == 20) {            /* week | ip */
        memcpy(&k4, key, 4);
        wk = k4;
        memcpy(&w0, (const uint8_t *)key + 4, 8);
        memcpy(&w1, (const uint8_t *)key + 12, 8);
    } else if (klen == 8) {      /* week | id */
        memcpy(&k4, key, 4);
        wk = k4;
        memcpy(&k4, (const uint8_t *)key + 4, 4);
        w0 = k4;
    } else if (klen == 4) {      /* time bucket */
        memcpy(&k4, key, 4);
        w0 = k4;
    } else {                     /* not an index key of this store: still hashed, never equal */
        memcpy(&w0, key, klen < 8 ? klen : 8);
        w1 = (uint64_t)klen << 32;
    }
    memcpy(&v0, val, 8);
    memcpy(&v1, (const uint8_t *)val + 8, 4);
    uint64_t tag = wk << 16 | (uint64_t)ix << 8 | (uint64_t)klen;
    uint64_t a = (w0 * 0x9e3779b97f4a7c15ULL) ^ (w1 * 0xc2b2ae3d27d4eb4fULL) ^
                 (v0 * 0x165667b19e3779f9ULL) ^ (v1 * 0x27d4eb2f165667c5ULL) ^ (tag * 0xff51afd7ed558ccdULL);
    uint64_t b = (w0 + 0x85ebca77c2b2ae63ULL) * 0xd6e8feb86659fd93ULL + (w1 ^ 0xa0761d6478bd642fULL) *
                 0xe7037ed1a0b428dbULL + (v0 + 0x8ebc6af09c88c6e3ULL) * 0x589965cc75374cc3ULL +
                 (v1 ^ tag) * 0x1d8e4e27c47d124fULL;
    h[0] = ipl_mix64(a);
    h[1] = ipl_mix64(b ^ (b >> 29));
}

/* Folded host and user ids by dictionary id: verify asks for the same few thousand strings
 * millions of times, and each answer otherwise costs two dictionary lookups. */
typedef struct foldmemo {
    uint32_t *f;                /* f[id]: the folded id (ids are never 0), 0: not known yet */
    uint32_t  n;
} foldmemo;

static void memo_init(foldmemo *m, ipl_store *st, MDB_txn *txn)
{
    MDB_cursor *c;
    MDB_val k, v;
    memset(m, 0, sizeof *m);
    if (mdb_cursor_open(txn, st->dbi[DB_DICT_I], &c))
        return;
    if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 4) {
        uint32_t max = ipl_get_be32(k.mv_data);
        if (max < ((uint32_t)1 << 26) && (m->f = calloc((size_t)max + 1, sizeof *m->f)))
            m->n = max + 1;
    }
    mdb_cursor_close(c);
}

static int memo_get(const foldmemo *m, uint32_t id, uint32_t *folded)
{
    if (!id) {
        *folded = 0;
        return 1;
    }
    if (id >= m->n || !m->f[id])
        return 0;
    *folded = m->f[id];
    return 1;
}

/* ipl_rec_index_keys, with the folded ids from the memo when it has them. */
static int rec_keys(ipl_store *st, MDB_txn *txn, ipl_rec *r, ipl_rec_keys *k, foldmemo *m)
{
    uint32_t fh, fu, host = r->host, user = r->user;
    if (memo_get(m, host, &fh) && memo_get(m, user, &fu)) {
        r->host = r->user = 0;
        int rc = ipl_rec_index_keys(st, txn, r, k);
        r->host = host;
        r->user = user;
        if (rc)
            return rc;
        if (fh)
            ipl_rec_keys_set_id(k, IPL_IX_HOST, r->ts, fh);
        if (fu)
            ipl_rec_keys_set_id(k, IPL_IX_USER, r->ts, fu);
        return IPL_OK;
    }
    int rc = ipl_rec_index_keys(st, txn, r, k);
    if (rc == IPL_OK && m->f) {
        if (host && host < m->n && k->has[IPL_IX_HOST])
            m->f[host] = ipl_get_be32(k->key[IPL_IX_HOST] + 4);
        if (user && user < m->n && k->has[IPL_IX_USER])
            m->f[user] = ipl_get_be32(k->key[IPL_IX_USER] + 4);
    }
    return rc;
}

static const int ix_dbs[IPL_IX__COUNT] = {DB_IX_IP, DB_IX_MAC, DB_IX_HOST, DB_IX_USER, DB_IX_TIME};

static void problem(ipl_verify_report *r, const char *fmt, ...) IPL_PRINTF(2, 3);
static void problem(ipl_verify_report *r, const char *fmt, ...)
{
    if (!r->ok)
        return; /* the first problem is the one reported */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
    r->ok = 0;
}

/* Exact pass over one index after its multiset hash disagreed: names the first bad entry. */
static int exact_index(ipl_store *st, MDB_txn *txn, int ix, ipl_verify_report *r)
{
    ipl_ixc *c;
    MDB_val k, v;
    int rc = ipl_ixc_open(txn, st->dbi[ix_dbs[ix]], ipl_ix_klen(ix), &c);
    if (rc)
        return rc;
    for (rc = ipl_ixc_get(c, &k, &v, MDB_FIRST); rc == 0; rc = ipl_ixc_get(c, &k, &v, MDB_NEXT)) {
        int64_t ts;
        uint64_t seq;
        if (v.mv_size != IPL_IXVAL) {
            problem(r, "index '%s' holds a value of %zu bytes", ipl_index_name(ix), v.mv_size);
            break;
        }
        ipl_ixval_unpack(v.mv_data, &ts, &seq);
        uint8_t kb[8];
        ipl_be64(kb, seq);
        MDB_val ek = {8, kb}, ev;
        ipl_rec rec;
        ipl_rec_keys keys;
        if (mdb_get(txn, st->dbi[DB_EVENTS], &ek, &ev) != 0) {
            problem(r, "index '%s' has an entry for event %llu, which does not exist",
                    ipl_index_name(ix), (unsigned long long)seq);
            break;
        }
        if (ipl_record_decode(ev.mv_data, ev.mv_size, &rec) || ipl_rec_index_keys(st, txn, &rec, &keys)) {
            problem(r, "event %llu cannot be decoded", (unsigned long long)seq);
            break;
        }
        int match = rec.ts == ts && ((keys.has[ix] && keys.len[ix] == k.mv_size &&
                                      memcmp(keys.key[ix], k.mv_data, k.mv_size) == 0) ||
                                     (ix == IPL_IX_MAC && keys.has[IPL_IX__COUNT] &&
                                      keys.len[IPL_IX__COUNT] == k.mv_size &&
                                      memcmp(keys.key[IPL_IX__COUNT], k.mv_data, k.mv_size) == 0));
        if (!match) {
            problem(r, "index '%s' has an entry for event %llu that does not match the event",
                    ipl_index_name(ix), (unsigned long long)seq);
            r->first_bad_seq = seq;
            break;
        }
    }
    ipl_ixc_close(c);
    if (rc == MDB_CORRUPTED) {
        problem(r, "index '%s' holds a chunk that does not decode", ipl_index_name(ix));
        return 0;
    }
    if (!r->ok)
        return 0;
    /* every entry is right: then an event lacks one */
    MDB_cursor *ec;
    ipl_ixc *ic;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ec)))
        return rc;
    if ((rc = ipl_ixc_open(txn, st->dbi[ix_dbs[ix]], ipl_ix_klen(ix), &ic))) {
        mdb_cursor_close(ec);
        return rc;
    }
    for (rc = mdb_cursor_get(ec, &k, &v, MDB_FIRST); rc == 0 && r->ok;
         rc = mdb_cursor_get(ec, &k, &v, MDB_NEXT)) {
        ipl_rec rec;
        ipl_rec_keys keys;
        uint64_t seq = ipl_get_be64(k.mv_data);
        if (ipl_record_decode(v.mv_data, v.mv_size, &rec) || ipl_rec_index_keys(st, txn, &rec, &keys))
            continue;
        uint8_t val[IPL_IXVAL];
        ipl_ixval_pack(val, rec.ts, seq, ipl_ix_class(rec.kind));
        for (int j = 0; j <= IPL_IX__COUNT && r->ok; j++) {
            int which = j == IPL_IX__COUNT ? IPL_IX_MAC : j;
            if (!keys.has[j] || which != ix)
                continue;
            MDB_val ik = {keys.len[j], keys.key[j]}, iv = {IPL_IXVAL, val};
            if (ipl_ixc_get(ic, &ik, &iv, MDB_GET_BOTH) != 0) {
                problem(r, "event %llu is missing from index '%s'", (unsigned long long)seq,
                        ipl_index_name(ix));
                r->first_bad_seq = seq;
            }
        }
    }
    ipl_ixc_close(ic);
    mdb_cursor_close(ec);
    if (!r->ok)
        return 0;
    problem(r, "index '%s' and the events disagree (an entry is duplicated or altered)",
            ipl_index_name(ix));
    return 0;
}

typedef struct ixpass {
    ipl_store *st;
    MDB_txn   *txn;
    uint64_t   actual[IPL_IX__COUNT][2];
    uint64_t   entries;
    uint64_t   count[IPL_IX__COUNT];      /* entries found per index */
    uint64_t   counter[IPL_IX__COUNT];    /* the entry counters in meta */
    int        bad[IPL_IX__COUNT];        /* a chunk did not decode, or broke the key order */
    ipl_ipnow_check now;                  /* ix.ipnow against ix.ip's chunks (ipnow.c) */
    int        rc;
} ixpass;

/* The multiset hashes of every index as it is, a chunk at a time; checks each chunk (codec,
 * entries in order, below the next chunk's suffix) and counts the entries. Runs in a second
 * thread on a read transaction of the same snapshot as the events pass, when it can have one. */
static int index_hashes(ixpass *x)
{
    uint8_t (*ents)[IPL_IXVAL] = malloc(IPL_IXCHUNK_ENT * IPL_IXVAL);
    if (!ents)
        return ENOMEM;
    int rc = 0;
    for (int ix = 0; ix < IPL_IX__COUNT && !rc; ix++) {
        MDB_cursor *c;
        MDB_val k, v;
        size_t klen = ipl_ix_klen(ix);
        uint8_t prev[IPL_IXKEY_MAX + IPL_IXVAL], last[IPL_IXVAL];
        int has_prev = 0;
        int now = ix == IPL_IX_IP && x->st->has_ipnow;
        if ((rc = ipl_ixcount_get(x->st, x->txn, ix, &x->counter[ix])) ||
            (rc = mdb_cursor_open(x->txn, x->st->dbi[ix_dbs[ix]], &c)))
            break;
        if (now && (rc = ipl_ipnow_check_begin(&x->now, x->st, x->txn))) {
            mdb_cursor_close(c);
            break;
        }
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            size_t n;
            const uint8_t *kb = k.mv_data;
            if (k.mv_size != klen + IPL_IXVAL ||
                ipl_ixchunk_decode(v.mv_data, v.mv_size, kb + klen, ents, &n)) {
                x->bad[ix] = 1;         /* left out: the sums then disagree too */
                has_prev = 0;
                continue;
            }
            /* the previous chunk of the same key ends below this one's suffix */
            if (has_prev && memcmp(prev, kb, klen) == 0 && memcmp(last, kb + klen, IPL_IXVAL) >= 0)
                x->bad[ix] = 1;
            memcpy(prev, kb, klen);
            memcpy(last, ents[n - 1], IPL_IXVAL);
            has_prev = 1;
            for (size_t i = 0; i < n; i++) {
                uint64_t h[2];
                entry_hash(ix, kb, klen, ents[i], h);
                x->actual[ix][0] += h[0];
                x->actual[ix][1] += h[1];
            }
            x->entries += n;
            x->count[ix] += n;
            if (now)
                ipl_ipnow_check_chunk(&x->now, kb, (const uint8_t (*)[IPL_IXVAL])ents, n);
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        if (now) {
            int rc2 = ipl_ipnow_check_end(&x->now);
            rc = rc ? rc : rc2;
        }
    }
    free(ents);
    return rc;
}

static void *index_thread(void *arg)
{
    ixpass *x = arg;
    x->rc = index_hashes(x);
    return NULL;
}

/* A second read transaction on the snapshot of `txn`; NULL when a commit came between the two
 * (then one thread does both passes). */
static MDB_txn *same_snapshot(ipl_store *st, MDB_txn *txn)
{
    MDB_txn *t2;
    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t2))
        return NULL;
    if (mdb_txn_id(t2) == mdb_txn_id(txn))
        return t2;
    mdb_txn_abort(t2);
    return NULL;
}

int ipl_store_verify(ipl_store *st, ipl_verify_report *r, ipl_verify_progress p, void *pctx,
                     ipl_diag *d)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(r, 0, sizeof *r);
    r->ok = 1;
    MDB_txn *txn;
    MDB_cursor *ec = NULL, *cc = NULL;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn), err = IPL_OK;
    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(st->env, 0);
        rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    }
    if (rc)
        return ipl_store_mdb_err(d, rc, "begin a read", st->dir);
    ixpass ixp;
    pthread_t thr;
    int threaded = 0;
    memset(&ixp, 0, sizeof ixp);
    ixp.st = st;
    if ((ixp.txn = same_snapshot(st, txn))) {
        if (pthread_create(&thr, NULL, index_thread, &ixp) == 0) {
            threaded = 1;
        } else {
            mdb_txn_abort(ixp.txn);
            ixp.txn = NULL;
        }
    }
    uint64_t pending = 0;
    meta_u64(txn, st, "reseal.from", &pending);
    r->reseal_pending = pending;
    MDB_stat ms;
    uint64_t total = mdb_stat(txn, st->dbi[DB_EVENTS], &ms) == 0 ? ms.ms_entries : 0;

    ipl_sha256_ctx s;
    uint32_t upto = 0;
    foldmemo memo;
    memo_init(&memo, st, txn);
    ipl_sha256_init(&s);
    uint64_t expect[IPL_IX__COUNT][2];
    memset(expect, 0, sizeof expect);
    MDB_val k, v, ck, cv;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ec)) ||
        (rc = mdb_cursor_open(txn, st->dbi[DB_CHAIN], &cc)))
        goto mdb_fail;
    int crc = mdb_cursor_get(cc, &ck, &cv, MDB_FIRST);
    uint64_t prev_cp = 0;
    int chain_on = 1;
    for (rc = mdb_cursor_get(ec, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(ec, &k, &v, MDB_NEXT)) {
        uint64_t seq = k.mv_size == 8 ? ipl_get_be64(k.mv_data) : 0;
        ipl_rec rec;
        ipl_rec_keys keys;
        r->events++;
        if (p && (r->events & 0xfffff) == 0)
            p(pctx, r->events, total);
        if (ipl_record_decode(v.mv_data, v.mv_size, &rec)) {
            problem(r, "event %llu cannot be decoded (its bytes were changed)", (unsigned long long)seq);
            r->first_bad_seq = r->first_bad_seq ? r->first_bad_seq : seq;
            chain_on = 0;
            continue;
        }
        if (pending && seq >= pending)
            chain_on = 0;
        if (chain_on) {
            ipl_diag dd;
            if (ipl_chain_dict_upto(st, txn, &s, &upto, ipl_rec_max_id(&rec), &dd)) {
                problem(r, "event %llu refers to a dictionary string that is missing", (unsigned long long)seq);
                r->first_bad_seq = seq;
                chain_on = 0;
            } else {
                ipl_chain_record(&s, seq, v.mv_data, v.mv_size);
            }
            while (chain_on && crc == 0 && ck.mv_size == 8 && ipl_get_be64(ck.mv_data) <= seq) {
                uint64_t cp = ipl_get_be64(ck.mv_data);
                uint8_t state[IPL_CHAIN_STATE];
                ipl_chain_save(&s, state);
                if (cp < seq) {
                    problem(r, "the chain has a checkpoint at event %llu, which does not exist "
                            "(removed outside a purge)", (unsigned long long)cp);
                    r->first_bad_seq = cp;
                    chain_on = 0;
                } else if (cv.mv_size != IPL_CHAIN_STATE + 4 || memcmp(cv.mv_data, state, IPL_CHAIN_STATE) != 0 ||
                           ipl_get_be32((const uint8_t *)cv.mv_data + IPL_CHAIN_STATE) != upto) {
                    problem(r, "the chain breaks between events %llu and %llu: an event or a "
                            "dictionary string there was changed or removed",
                            (unsigned long long)prev_cp + 1, (unsigned long long)cp);
                    r->first_bad_seq = prev_cp + 1;
                    chain_on = 0;
                } else {
                    r->checkpoints++;
                    prev_cp = cp;
                }
                crc = mdb_cursor_get(cc, &ck, &cv, MDB_NEXT);
            }
        }
        if (rec_keys(st, txn, &rec, &keys, &memo)) {
            problem(r, "event %llu names a host or user whose index key is missing", (unsigned long long)seq);
            continue;
        }
        uint8_t val[IPL_IXVAL];
        ipl_ixval_pack(val, rec.ts, seq, ipl_ix_class(rec.kind));
        for (int j = 0; j <= IPL_IX__COUNT; j++) {
            if (!keys.has[j])
                continue;
            int ix = j == IPL_IX__COUNT ? IPL_IX_MAC : j;
            uint64_t h[2];
            entry_hash(ix, keys.key[j], keys.len[j], val, h);
            expect[ix][0] += h[0];
            expect[ix][1] += h[1];
        }
    }
    if (rc != MDB_NOTFOUND)
        goto mdb_fail;
    if (chain_on && crc == 0 && r->ok) {
        problem(r, "the chain has a checkpoint at event %llu, after the last event (events at "
                "the end were removed outside a purge)", (unsigned long long)ipl_get_be64(ck.mv_data));
        r->first_bad_seq = ipl_get_be64(ck.mv_data);
    }
    if (chain_on && !pending && r->ok) {
        uint8_t head[32];
        MDB_val mk = {5, "chain"}, mv;
        ipl_chain_digest(&s, head);
        if (r->events && (mdb_get(txn, st->dbi[DB_META], &mk, &mv) != 0 || mv.mv_size != 32 ||
                          memcmp(mv.mv_data, head, 32) != 0)) {
            problem(r, "the chain head recorded in the store does not match its events (events "
                    "after checkpoint %llu were changed)", (unsigned long long)prev_cp);
            r->first_bad_seq = prev_cp + 1;
        }
    }
    /* the indexes as they are: the second thread's sums (or this thread's, without one) */
    if (threaded) {
        pthread_join(thr, NULL);
        threaded = 0;
    } else {
        ixp.txn = txn;
        ixp.rc = index_hashes(&ixp);
        ixp.txn = NULL;
    }
    if ((rc = ixp.rc))
        goto mdb_fail;
    r->index_entries = ixp.entries;
    for (int ix = 0; ix < IPL_IX__COUNT; ix++) {
        if (ixp.bad[ix])
            problem(r, "index '%s' holds a chunk that does not decode or is out of order",
                    ipl_index_name(ix));
        if ((expect[ix][0] != ixp.actual[ix][0] || expect[ix][1] != ixp.actual[ix][1]) &&
            (rc = exact_index(st, txn, ix, r)))
            goto mdb_fail;
    }
    if (ixp.now.bad)
        problem(r, "the current lease state disagrees with index 'ip': %s", ixp.now.problem);
    for (int ix = 0; ix < IPL_IX__COUNT; ix++)
        if (ixp.count[ix] != ixp.counter[ix])
            problem(r, "index '%s' holds %llu entries but its counter says %llu",
                    ipl_index_name(ix), (unsigned long long)ixp.count[ix],
                    (unsigned long long)ixp.counter[ix]);
    rc = 0;
    goto out;
mdb_fail:
    err = ipl_store_mdb_err(d, rc, "verify", st->dir);
out:
    if (ec)
        mdb_cursor_close(ec);
    if (cc)
        mdb_cursor_close(cc);
    free(memo.f);
    if (threaded)
        pthread_join(thr, NULL);
    if (ixp.txn)
        mdb_txn_abort(ixp.txn);
    mdb_txn_abort(txn);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return err;
}

/* ---- copy ---- */

int ipl_store_copy(ipl_store *st, const char *dest, int compact, ipl_diag *d)
{
    struct stat sb;
    char probe[4200];
    if (mkdir(dest, 0775) != 0 && errno != EEXIST)
        return ipl_diag_set(d, errno == EACCES ? IPL_EACCES : IPL_EIO,
                            "cannot create '%s': %s", dest, strerror(errno));
    snprintf(probe, sizeof probe, "%s/data.mdb", dest);
    if (stat(probe, &sb) == 0)
        return ipl_diag_set(d, IPL_EEXIST, "'%s' already holds a store: choose an empty directory",
                            dest);
    int rc = mdb_env_copy2(st->env, dest, compact ? MDB_CP_COMPACT : 0);
    if (rc) {
        unlink(probe);
        return ipl_store_mdb_err(d, rc, compact ? "compact a copy" : "copy", st->dir);
    }
    return IPL_OK;
}
