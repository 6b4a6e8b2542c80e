/* engine/store_int.h — what store.c, dict.c, record.c and index.c share; not a public header. */
#ifndef IPL_STORE_INT_H
#define IPL_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>

#include "engine/arena.h"
#include "engine/sha256.h"
#include "engine/store.h"

/* ---- record codec (record.c) ----
 * A record is the on-disk form of an event. Version 2 (written since store format 4):
 *   u8 head = 0x20 | unit << 2 | flags (1 has_ip, 2 ip is v6) | u8 kind
 *   | varint zigzag(ts / unit)  (unit 0: µs, 1: ms, 2: s — the coarsest that divides ts exactly,
 *                                so a log with whole seconds pays 5 bytes, not 8)
 *   | ip (4 or 16 bytes) | varint mac, duid, host, user, server, source (dict ids, 0 = none)
 *   | varint line | u8 nattr | nattr x (u8 key|0x80 if interned, then varint id or varint len+bytes)
 * Version 1 (read, never written): u8 1 | u8 kind | u8 flags | u64 ts (LE, µs) | the rest as above.
 */
#define IPL_RECORD_VERSION 2
#define IPL_RECORD_MAX (64 + IPL_ATTR_MAX * (IPL_ATTR_VAL_MAX + 8))

/* The head of a record of either version: flags, kind and ts; *p is left on the ip. */
static inline int ipl_record_head(const uint8_t **p, const uint8_t *end, uint8_t *flags,
                                  uint16_t *kind, int64_t *ts)
{
    const uint8_t *q = *p;
    if (end - q < 3)
        return -1;
    if (q[0] == 1) {                           /* version 1 */
        if (end - q < 11)
            return -1;
        uint64_t t = 0;
        for (int i = 0; i < 8; i++)
            t |= (uint64_t)q[3 + i] << (8 * i);
        *flags = q[2];
        *kind = q[1];
        *ts = (int64_t)t;
        *p = q + 11;
        return 0;
    }
    if ((q[0] >> 4) != 2 || ((q[0] >> 2) & 3) == 3)
        return -1;
    static const int64_t unit[3] = {1, 1000, 1000000};
    int64_t mul = unit[(q[0] >> 2) & 3];
    *flags = q[0] & 3;
    *kind = q[1];
    q += 2;
    uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
        if (q >= end || shift > 63)
            return -1;
        uint8_t b = *q++;
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    int64_t v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if (v > INT64_MAX / mul || v < INT64_MIN / mul)
        return -1;
    *ts = v * mul;
    *p = q;
    return 0;
}

typedef struct ipl_rec {
    int64_t  ts;
    uint16_t kind;
    uint8_t  has_ip;
    uint8_t  ip[16];
    uint32_t mac, duid, host, user, server, source;
    uint64_t line;
    uint32_t nattr;
    struct {
        uint8_t key;
        uint8_t interned;
        uint32_t id;           /* when interned */
        uint32_t len;          /* when inline */
        const uint8_t *val;
    } attr[IPL_ATTR_MAX];
} ipl_rec;

size_t ipl_record_encode(const ipl_rec *r, uint8_t *buf, size_t cap);   /* 0 if it does not fit */
int    ipl_record_decode(const void *buf, size_t len, ipl_rec *r);       /* IPL_OK / IPL_ECORRUPT */
uint32_t ipl_rec_max_id(const ipl_rec *r);

/* ---- dictionary cache (dict.c): string -> id, for the writer ---- */
typedef struct ipl_dcache {
    struct dslot { uint64_t hash; const char *s; uint32_t len, id; } *slots;
    size_t cap, count;
    ipl_arena strings;
} ipl_dcache;
int  ipl_dcache_init(ipl_dcache *c, size_t cap);
void ipl_dcache_release(ipl_dcache *c);
void ipl_dcache_clear(ipl_dcache *c);
int  ipl_dcache_get(const ipl_dcache *c, const char *s, size_t len, uint32_t *id);
void ipl_dcache_put(ipl_dcache *c, const char *s, size_t len, uint32_t id);

/* ---- the store handle ---- */
enum { DB_META, DB_EVENTS, DB_DICT_S, DB_DICT_I, DB_IX_IP, DB_IX_MAC, DB_IX_HOST, DB_IX_USER,
       DB_IX_TIME, DB_SOURCES, DB_QUARANTINE, DB_CHAIN, DB_KV, DB_IPNOW, DB__COUNT };

struct ipl_store {
    MDB_env   *env;
    MDB_dbi    dbi[DB__COUNT];
    char      *dir;
    unsigned   flags;
    size_t     map_size;
    ipl_dcache dcache;         /* writer only: under wlock */
    int        has_kv;         /* a read-only open of a store made before `kv` existed: 0 */
    int        has_ipnow;      /* a read-only open of a format-4 store (no ix.ipnow): 0 */
    /* Threads of one process (the server's loop and its writer thread):
     *   wlock: one committing thread at a time (ipl_store_commit, maint.c's writes): it guards
     *          dcache and map_size;
     *   the map gate: every open transaction, read or write, is a user; growing the map
     *          (mdb_env_set_mapsize, which LMDB allows only while no transaction of the process
     *          is open) sets `growing`, so new users wait, and waits until the only users left are
     *          the growing thread's own (counted per thread: a thread never waits for itself). */
    pthread_mutex_t wlock;
    pthread_mutex_t gate_mu;
    pthread_cond_t  gate_cv;
    unsigned        gate_users;
    int             gate_growing;
    unsigned        gate_held_waiting;   /* threads waiting for wlock with transactions open */
};

/* The map gate (store.c): enter before beginning an LMDB transaction, leave after it ended. */
void ipl_gate_enter(ipl_store *st);
void ipl_gate_leave(ipl_store *st);
/* mdb_env_set_mapsize(size) (0: adopt another process's size) once no other thread has a
 * transaction open; updates st->map_size. Returns an LMDB code: EBUSY when another thread is
 * growing the map while this one holds a transaction; with back_off, EAGAIN when a thread that
 * holds transactions waits for wlock (held by the caller): the caller releases wlock, lets it
 * commit, and tries again (ipl_wlock_yield), instead of the two waiting for each other. */
int  ipl_gate_resize(ipl_store *st, size_t size, int back_off);
/* wlock for a committing thread (it may hold read transactions of its own). */
void ipl_wlock_take(ipl_store *st);
void ipl_wlock_yield(ipl_store *st);


struct ipl_rtxn {
    ipl_store *st;
    MDB_txn   *txn;
    /* the first and last week of each per-key index in this snapshot (index.c), found on first
     * use: wk_state 0 unknown, 1 known, 2 the index is empty; cleared by a refresh */
    uint8_t    wk_state[IPL_IX__COUNT];
    uint32_t   wk_first[IPL_IX__COUNT], wk_last[IPL_IX__COUNT];
};

/* Writer-side dictionary: id of s, interning it (and hashing nothing: see chain rule in store.c). */
int ipl_dict_intern(ipl_store *st, MDB_txn *txn, const char *s, size_t len, uint32_t *next_id,
                    uint32_t *id, ipl_diag *d);

/* Index value: ts (7 bytes, µs, big-endian) | seq << 2 | class (5 bytes, big-endian). The class
 * (ipl_ix_class of the event's kind: lease open, lease close, other lease/DNS, the rest) lets a
 * walk skip entries without reading their events; it sits below the seq, so the byte order of
 * the values is still (ts, seq). Range bounds use class 0 (low) and 3 (high). */
#define IPL_IXVAL 12
static inline void ipl_ixval_pack(uint8_t v[IPL_IXVAL], int64_t ts, uint64_t seq, unsigned cls)
{
    uint64_t t = (uint64_t)ts, f = seq << 2 | (cls & 3);
    for (int i = 0; i < 7; i++)
        v[i] = (uint8_t)(t >> (8 * (6 - i)));
    for (int i = 0; i < 5; i++)
        v[7 + i] = (uint8_t)(f >> (8 * (4 - i)));
}
static inline void ipl_ixval_unpack(const uint8_t v[IPL_IXVAL], int64_t *ts, uint64_t *seq)
{
    uint64_t t = 0, s = 0;
    for (int i = 0; i < 7; i++)
        t = t << 8 | v[i];
    for (int i = 0; i < 5; i++)
        s = s << 8 | v[7 + i];
    *ts = (int64_t)t;
    *seq = s >> 2;
}
static inline unsigned ipl_ixval_class(const uint8_t v[IPL_IXVAL])
{
    return v[11] & 3;
}
#define IPL_TS_MAX ((INT64_C(1) << 56) - 1)
#define IPL_SEQ_MAX ((UINT64_C(1) << 38) - 1)

static inline void ipl_be64(uint8_t b[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint64_t ipl_get_be64(const uint8_t b[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}
static inline void ipl_be32(uint8_t b[4], uint32_t v)
{
    b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
}
static inline uint32_t ipl_get_be32(const uint8_t b[4])
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* splitmix64's finaliser: every input bit reaches every output bit (hashes in maint.c, ipnow.c) */
static inline uint64_t ipl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- the chain (store.c; rule in docs/design/store.md) ---- */
#define IPL_CHAIN_STATE 105   /* serialised SHA-256 state: h[8] BE32 | len BE64 | used u8 | buf[64] */
void ipl_chain_save(const ipl_sha256_ctx *s, uint8_t out[IPL_CHAIN_STATE]);
int  ipl_chain_load(ipl_sha256_ctx *s, const uint8_t *in, size_t n);
void ipl_chain_digest(const ipl_sha256_ctx *s, uint8_t out[32]);
/* Feeds dictionary entries (*hashed_upto, max_id] then nothing else. */
int  ipl_chain_dict_upto(ipl_store *st, MDB_txn *txn, ipl_sha256_ctx *chain, uint32_t *hashed_upto,
                         uint32_t max_id, ipl_diag *d);
void ipl_chain_record(ipl_sha256_ctx *chain, uint64_t seq, const uint8_t *rec, size_t n);

/* ---- per-key index keys (store format 2) ----
 * ix.ip, ix.mac, ix.host and ix.user are keyed by the event's week first:
 *
 *   +-----------------+---------------------------+
 *   | week u32 BE     | ip[16]  or  u32 BE id     | suffix ->  posting chunk (ixchunk.c)
 *   +-----------------+---------------------------+
 *   week = ts / IPL_WEEK_US (weeks since the epoch, Thursdays 00:00 UTC)
 *
 * so a commit (hours of one site) touches one contiguous key range per index and the pages of
 * older weeks are never rewritten. A key's history is the concatenation of its weeks, in week
 * order; index.c and scan.c walk the weeks (one key) or merge them (a key range). ix.time keeps
 * its u32 (ts >> 32) bucket key: it is time-ordered already. */
#define IPL_WEEK_US INT64_C(604800000000)
#define IPL_IXKEY_MAX 20                     /* week (4) + ip (16) */
static inline uint32_t ipl_ix_week(int64_t ts)
{
    return ts <= 0 ? 0 : (uint32_t)(ts / IPL_WEEK_US);
}
static inline int ipl_ix_weekly(int ix)
{
    return ix != IPL_IX_TIME;
}
/* Width of the key callers see (ip 16, ids and time buckets 4) and of the key as stored. */
static inline size_t ipl_ix_ulen(int ix)
{
    return ix == IPL_IX_IP ? 16 : 4;
}
static inline size_t ipl_ix_klen(int ix)
{
    return ipl_ix_ulen(ix) + (ipl_ix_weekly(ix) ? 4 : 0);
}
/* ---- index chunks (ixchunk.c; store format 4, layout in its header comment) ----
 * The five indexes are plain databases: key prefix | 12-byte suffix (a lower bound of the
 * chunk's entries) -> varint count | delta-coded entries, at most IPL_IXCHUNK_CAP bytes. */
#ifndef IPL_IXCHUNK_CAP                             /* -D for the chunk-size measurement */
#define IPL_IXCHUNK_CAP 480
#endif
#define IPL_IXCHUNK_ENT (IPL_IXCHUNK_CAP / 2)         /* an entry takes at least 2 bytes */
/* A varint of a chunk's value (ixchunk.c's codec; index.c's held-bits walk decodes in place):
 * 0 with *v and *p advanced, -1 when it runs past end or over 64 bits. One-byte values, most
 * deltas of a walk, take the first branch. */
static inline int ipl_ixc_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    if (q < end && !(*q & 0x80)) {
        *v = *q;
        *p = q + 1;
        return 0;
    }
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && q < end; shift += 7) {
        uint8_t b = *q++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *p = q;
            return 0;
        }
    }
    return -1;
}
int ipl_ixchunk_decode(const void *val, size_t len, const uint8_t suffix[IPL_IXVAL],
                       uint8_t (*out)[IPL_IXVAL], size_t *n);             /* IPL_ECORRUPT */
int ipl_ixchunk_count(const void *val, size_t len, uint64_t *n);
/* Writers: each returns an LMDB code (MDB_CORRUPTED for a chunk that does not decode) and works
 * through `cur`, a cursor on the index (moved). vals: n packed entries, `stride` bytes apart, in
 * increasing order, all under `prefix` (klen bytes). */
int ipl_ixchunk_add(MDB_cursor *cur, size_t klen, const uint8_t *prefix, const uint8_t *vals,
                    size_t stride, size_t n, uint64_t *added);
int ipl_ixchunk_del(MDB_cursor *cur, size_t klen, const uint8_t *prefix, const uint8_t *vals,
                    size_t stride, size_t n, uint64_t *removed);
/* Removes the prefix's entries in [lo, hi] for which keep(ctx, seq) is 0 (keep NULL: all). */
typedef int (*ipl_ixkeep_fn)(void *ctx, uint64_t seq);
int ipl_ixchunk_filter(MDB_cursor *cur, size_t klen, const uint8_t *prefix,
                       const uint8_t lo[IPL_IXVAL], const uint8_t hi[IPL_IXVAL], ipl_ixkeep_fn keep,
                       void *ctx, uint64_t *removed);
/* Removes every chunk whose key starts with lo[0..plen) (a week of a per-key index). */
int ipl_ixchunk_drop_range(MDB_cursor *cur, size_t klen, const uint8_t *lo, size_t plen,
                           uint64_t *removed);
/* Entry counters per index (mdb_stat counts chunks), in meta, changed in the writing txn. */
int ipl_ixcount_get(ipl_store *st, MDB_txn *txn, int ix, uint64_t *n);
int ipl_ixcount_add(ipl_store *st, MDB_txn *txn, int ix, int64_t delta);
/* The reading cursor: an LMDB cursor on a format-3 DUPSORT|DUPFIXED index, emulated (keys are the
 * prefix, values the 12-byte entries, which live until the cursor moves). Ops: FIRST, LAST, NEXT,
 * PREV, SET, SET_KEY, SET_RANGE, GET_BOTH, GET_BOTH_RANGE, GET_CURRENT, FIRST_DUP, LAST_DUP,
 * NEXT_DUP, PREV_DUP, NEXT_NODUP, PREV_NODUP, GET_MULTIPLE (the whole chunk the cursor is on) and
 * NEXT_MULTIPLE (the next chunk of the key). LMDB codes. */
typedef struct ipl_ixc ipl_ixc;
int  ipl_ixc_open(MDB_txn *txn, MDB_dbi dbi, size_t klen, ipl_ixc **out);
void ipl_ixc_close(ipl_ixc *c);
int  ipl_ixc_get(ipl_ixc *c, MDB_val *k, MDB_val *v, MDB_cursor_op op);
int  ipl_ixc_count(ipl_ixc *c, size_t *n);     /* entries under the current key */

/* The first and last week present in a per-key index (0 if the index is empty). */
int ipl_ix_week_bounds(ipl_rtxn *t, ipl_index ix, uint32_t *first, uint32_t *last, ipl_diag *d);

/* The index keys of a stored record, as stored (week prefix included): ip, mac, duid, folded
 * host, folded user (each week | key), time bucket. Folded ids are looked up in dict.s (0 when
 * absent). */
typedef struct ipl_rec_keys {
    int     has[IPL_IX__COUNT + 1];          /* the extra slot: the DUID's entry in ix.mac */
    uint8_t key[IPL_IX__COUNT + 1][IPL_IXKEY_MAX];
    size_t  len[IPL_IX__COUNT + 1];
    int     dbi[IPL_IX__COUNT + 1];          /* DB_IX_* */
} ipl_rec_keys;
int ipl_rec_index_keys(ipl_store *st, MDB_txn *txn, const ipl_rec *r, ipl_rec_keys *k);
/* Sets slot j of k to the per-key entry week(ts) | u32 id (maint.c's memo of folded ids). */
void ipl_rec_keys_set_id(ipl_rec_keys *k, int j, int64_t ts, uint32_t id);

/* ---- the current lease state (ipnow.c; store format 5) ----
 * ix.ipnow: ip[16] -> the index value of the address's latest IPL_IXC_OPEN or IPL_IXC_CLOSE
 * entry in ix.ip. LMDB codes. */
/* Records val (a decision of ip) unless a later one is recorded; sc: a cursor on ix.ipnow. */
int ipl_ipnow_note(MDB_cursor *sc, const uint8_t ip[16], const uint8_t val[IPL_IXVAL]);
/* Recomputing states after a removal: init once ix.ip is final in txn, then recompute each
 * address (its state from what ix.ip holds in weeks from_week and before; none: no key), then
 * done. The first week and the index cursor are found once, not per address. */
typedef struct ipl_ipnow_fixer {
    ipl_store *st;
    MDB_txn   *txn;
    ipl_ixc   *ic;
    uint32_t   first;
    int        state;          /* 0 not yet looked at, 1 ready, 2 ix.ip is empty */
} ipl_ipnow_fixer;
void ipl_ipnow_fixer_init(ipl_ipnow_fixer *f, ipl_store *st, MDB_txn *txn);
int  ipl_ipnow_recompute(ipl_ipnow_fixer *f, const uint8_t ip[16], uint32_t from_week);
void ipl_ipnow_fixer_done(ipl_ipnow_fixer *f);
/* Builds ix.ipnow from ix.ip (a format-4 store opened for writing). */
int ipl_ipnow_rebuild(ipl_store *st, MDB_txn *txn);
/* A set of addresses (the ones a purge step removed decisions of). */
typedef struct ipl_ipset {
    uint8_t (*ip)[16];
    uint8_t  *used;
    size_t    cap, n;
} ipl_ipset;
int  ipl_ipset_add(ipl_ipset *s, const uint8_t ip[16]);     /* IPL_OK / IPL_ENOMEM */
void ipl_ipset_clear(ipl_ipset *s);
void ipl_ipset_free(ipl_ipset *s);
/* After a purge step removed every entry of ix.ip in [lo, hi] but the kept ones (kept NULL:
 * none), all in `week`: recomputes each address of s whose recorded decision was removed. */
int ipl_ipnow_fix_span(ipl_store *st, MDB_txn *txn, const ipl_ipset *s, const uint8_t lo[IPL_IXVAL],
                       const uint8_t hi[IPL_IXVAL], int (*kept)(void *, uint64_t), void *ctx,
                       uint32_t week);
/* verify: fed ix.ip's chunks in order; *_end leaves problem set when bad. */
typedef struct ipl_ipnow_check {
    ipl_store  *st;
    MDB_txn    *txn;
    MDB_cursor *sc;
    uint8_t     cur[20], best[IPL_IXVAL];
    int         have, bad, rc;
    uint64_t    matched;
    char        problem[160];
} ipl_ipnow_check;
int  ipl_ipnow_check_begin(ipl_ipnow_check *x, ipl_store *st, MDB_txn *txn);
void ipl_ipnow_check_chunk(ipl_ipnow_check *x, const uint8_t key[20],
                           const uint8_t (*ents)[IPL_IXVAL], size_t n);
int  ipl_ipnow_check_end(ipl_ipnow_check *x);

/* Maps an LMDB return code to the error space with a message about `what`. */
int ipl_store_mdb_err(ipl_diag *d, int rc, const char *what, const char *dir);

#endif
