/* engine/maint.c — deleting events, re-sealing the chain, verifying, copying; see maint.h. */
#include "engine/maint.h"
#include "engine/err.h"
#include "engine/store_int.h"

#include <errno.h>
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

static int with_write(ipl_store *st, wfn fn, void *ctx, ipl_diag *d)
{
    for (int attempt = 0; attempt < 40; attempt++) {
        MDB_txn *txn;
        int err = IPL_OK, rc = mdb_txn_begin(st->env, NULL, 0, &txn);
        if (rc)
            return ipl_store_mdb_err(d, rc, "begin a write", st->dir);
        rc = fn(st, txn, ctx, &err, d);
        if (rc == 0 && err == IPL_OK) {
            rc = mdb_txn_commit(txn);
            if (rc == 0)
                return IPL_OK;
        } else {
            mdb_txn_abort(txn);
        }
        if (rc != MDB_MAP_FULL)
            return err ? err : ipl_store_mdb_err(d, rc, "write", st->dir);
        size_t step = st->map_size < ((size_t)8 << 30) ? st->map_size : ((size_t)8 << 30);
        if ((rc = mdb_env_set_mapsize(st->env, st->map_size + step)))
            return ipl_store_mdb_err(d, rc, "grow the map", st->dir);
        st->map_size += step;
    }
    return ipl_diag_set(d, IPL_ELIMIT, "store '%s': map could not be grown enough", st->dir);
}

/* ---- delete ---- */

typedef struct delctx {
    const uint64_t *seqs;
    size_t n;
    ipl_purge_acc acc;          /* a working copy: committed into the caller's only on success */
    const char *kv_ns, *kv_key;
    const void *kv_val;
    size_t kv_len;
} delctx;

static int del_fn(ipl_store *st, MDB_txn *txn, void *c, int *err, ipl_diag *d)
{
    delctx *x = c;
    int rc;
    for (size_t i = 0; i < x->n; i++) {
        uint8_t kb[8];
        ipl_be64(kb, x->seqs[i]);
        MDB_val k = {8, kb}, v;
        rc = mdb_get(txn, st->dbi[DB_EVENTS], &k, &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        ipl_rec r;
        ipl_rec_keys keys;
        if (ipl_record_decode(v.mv_data, v.mv_size, &r) ||
            ipl_rec_index_keys(st, txn, &r, &keys)) {
            *err = ipl_diag_set(d, IPL_ECORRUPT, "event %llu in store '%s' is corrupt: run "
                                "'ipledger verify'", (unsigned long long)x->seqs[i], st->dir);
            return 0;
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
        uint8_t val[IPL_IXVAL];
        ipl_ixval_pack(val, r.ts, x->seqs[i]);
        for (int j = 0; j <= IPL_IX__COUNT; j++) {
            if (!keys.has[j])
                continue;
            MDB_val ik = {keys.len[j], keys.key[j]}, iv = {IPL_IXVAL, val};
            rc = mdb_del(txn, st->dbi[keys.dbi[j]], &ik, &iv);
            if (rc && rc != MDB_NOTFOUND)
                return rc;
        }
        if ((rc = mdb_del(txn, st->dbi[DB_EVENTS], &k, NULL)))
            return rc;
    }
    if (x->kv_ns && x->kv_key && st->has_kv) {
        char key[512];
        size_t nl = strlen(x->kv_ns), kl = strlen(x->kv_key);
        if (nl + 1 + kl > sizeof key) {
            *err = ipl_diag_set(d, IPL_ELIMIT, "progress key too long");
            return 0;
        }
        memcpy(key, x->kv_ns, nl);
        key[nl] = '\0';
        memcpy(key + nl + 1, x->kv_key, kl);
        MDB_val k = {nl + 1 + kl, key}, v = {x->kv_len, (void *)x->kv_val};
        if ((rc = mdb_put(txn, st->dbi[DB_KV], &k, &v, 0)))
            return rc;
    }
    return 0;
}

int ipl_store_delete(ipl_store *st, const uint64_t *seqs, size_t n, ipl_purge_acc *acc,
                     const char *kv_ns, const char *kv_key, const void *kv_val, size_t kv_len,
                     ipl_diag *d)
{
    if (st->flags & IPL_STORE_RDONLY)
        return ipl_diag_set(d, IPL_EACCES, "store '%s' is open read-only", st->dir);
    delctx x = {seqs, n, *acc, kv_ns, kv_key, kv_val, kv_len};
    for (;;) {
        x.acc = *acc;
        int err = with_write(st, del_fn, &x, d);
        if (err)
            return err;
        *acc = x.acc;
        return IPL_OK;
    }
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

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Two independent 64-bit hashes of an index entry (index number, key, value). */
static void entry_hash(int ix, const void *key, size_t klen, const void *val, uint64_t h[2])
{
    uint64_t a = 1469598103934665603ULL ^ (uint64_t)ix, b = 0x9e3779b97f4a7c15ULL + (uint64_t)ix;
    const uint8_t *p = key;
    for (size_t i = 0; i < klen; i++) {
        a = (a ^ p[i]) * 1099511628211ULL;
        b = (b + p[i]) * 0xff51afd7ed558ccdULL;
    }
    p = val;
    for (size_t i = 0; i < IPL_IXVAL; i++) {
        a = (a ^ p[i]) * 1099511628211ULL;
        b = (b + p[i]) * 0xff51afd7ed558ccdULL;
    }
    h[0] = mix64(a);
    h[1] = mix64(b ^ (uint64_t)klen);
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
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, st->dbi[ix_dbs[ix]], &c);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
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
                                      memcmp(keys.key[IPL_IX__COUNT], k.mv_data, 4) == 0));
        if (!match) {
            problem(r, "index '%s' has an entry for event %llu that does not match the event",
                    ipl_index_name(ix), (unsigned long long)seq);
            r->first_bad_seq = seq;
            break;
        }
    }
    mdb_cursor_close(c);
    if (!r->ok)
        return 0;
    /* every entry is right: then an event lacks one */
    MDB_cursor *ec, *ic;
    if ((rc = mdb_cursor_open(txn, st->dbi[DB_EVENTS], &ec)))
        return rc;
    if ((rc = mdb_cursor_open(txn, st->dbi[ix_dbs[ix]], &ic))) {
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
        ipl_ixval_pack(val, rec.ts, seq);
        for (int j = 0; j <= IPL_IX__COUNT && r->ok; j++) {
            int which = j == IPL_IX__COUNT ? IPL_IX_MAC : j;
            if (!keys.has[j] || which != ix)
                continue;
            MDB_val ik = {keys.len[j], keys.key[j]}, iv = {IPL_IXVAL, val};
            if (mdb_cursor_get(ic, &ik, &iv, MDB_GET_BOTH) != 0) {
                problem(r, "event %llu is missing from index '%s'", (unsigned long long)seq,
                        ipl_index_name(ix));
                r->first_bad_seq = seq;
            }
        }
    }
    mdb_cursor_close(ic);
    mdb_cursor_close(ec);
    if (!r->ok)
        return 0;
    problem(r, "index '%s' and the events disagree (an entry is duplicated or altered)",
            ipl_index_name(ix));
    return 0;
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
    uint64_t pending = 0;
    meta_u64(txn, st, "reseal.from", &pending);
    r->reseal_pending = pending;
    MDB_stat ms;
    uint64_t total = mdb_stat(txn, st->dbi[DB_EVENTS], &ms) == 0 ? ms.ms_entries : 0;

    ipl_sha256_ctx s;
    uint32_t upto = 0;
    ipl_sha256_init(&s);
    uint64_t expect[IPL_IX__COUNT][2], actual[IPL_IX__COUNT][2];
    memset(expect, 0, sizeof expect);
    memset(actual, 0, sizeof actual);
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
        if (ipl_rec_index_keys(st, txn, &rec, &keys)) {
            problem(r, "event %llu names a host or user whose index key is missing", (unsigned long long)seq);
            continue;
        }
        uint8_t val[IPL_IXVAL];
        ipl_ixval_pack(val, rec.ts, seq);
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
    /* the indexes as they are */
    for (int ix = 0; ix < IPL_IX__COUNT; ix++) {
        MDB_cursor *c;
        if ((rc = mdb_cursor_open(txn, st->dbi[ix_dbs[ix]], &c)))
            goto mdb_fail;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            uint64_t h[2];
            if (v.mv_size != IPL_IXVAL)
                continue; /* counted as a mismatch below */
            entry_hash(ix, k.mv_data, k.mv_size, v.mv_data, h);
            actual[ix][0] += h[0];
            actual[ix][1] += h[1];
            r->index_entries++;
        }
        mdb_cursor_close(c);
        if (rc != MDB_NOTFOUND)
            goto mdb_fail;
        if ((expect[ix][0] != actual[ix][0] || expect[ix][1] != actual[ix][1]) &&
            (rc = exact_index(st, txn, ix, r)))
            goto mdb_fail;
    }
    rc = 0;
    goto out;
mdb_fail:
    err = ipl_store_mdb_err(d, rc, "verify", st->dir);
out:
    if (ec)
        mdb_cursor_close(ec);
    if (cc)
        mdb_cursor_close(cc);
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
