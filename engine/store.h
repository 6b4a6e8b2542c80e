/* engine/store.h — the event store: one LMDB environment in a directory.
 *
 * Layout (named LMDB databases; every multi-byte integer in a key is big-endian so that LMDB's
 * byte order is numeric order; see docs/design/store.md for the drawings):
 *   meta        "format" -> u32 store format; "created" -> i64 µs; "chain" -> 32-byte head hash
 *   events      u64 seq -> record (engine/record.c: compact, versioned), appended with MDB_APPEND
 *   dict.s      string -> u32 id          } strings interned once: MACs, DUIDs, hosts, users,
 *   dict.i      u32 id -> string + NUL    } servers, sources, low-cardinality attribute values
 *   ix.ip       week | ip[16] | suffix       -> chunk   } plain databases of posting chunks
 *   ix.mac      week | u32 mac/duid id | suffix -> chunk } (format 4, engine/ixchunk.c): the
 *   ix.host     week | u32 folded host id | suffix       } 12-byte suffix (ts:7 | seq<<2|cls:5)
 *   ix.user     week | u32 folded user id | suffix       } bounds the chunk's entries from
 *   ix.time     u32 (ts >> 32) bucket | suffix -> chunk  } below; the chunk is a varint count
 *               and delta-coded entries (<= 480 bytes), in (ts, seq) order under each key;
 *               week = u32 BE ts / 7 days, so a week of ingest is one key range; a key's history
 *               is its weeks in order, a CIDR is a key range in each week (≈71.6-minute buckets
 *               in ix.time); meta "ixn.<index>" counts each index's entries
 *   sources     source name -> position record (offset, line, fingerprint, last_ts, counts)
 *   quarantine  u64 qseq -> {ingest time, source id, line, offset, reason, raw bytes ≤ 4 KiB}
 *   chain       u64 last seq of a batch -> the chain's stream state after that batch
 *   kv          "namespace\0key" -> value: settings and views (holds, policies, tokens, ...)
 *
 * LMDB's rules, as this store uses them (its own Caveats section, applied):
 *   - One writer: all writes go through ipl_store_commit, one write transaction per batch. Only
 *     one thread of one process writes at a time (the store's writer lock serialises threads,
 *     LMDB's serialises processes).
 *   - Readers never block and are never blocked (MVCC). Keep read transactions short: a long one
 *     pins old pages and the file grows. The environment is opened with MDB_NOTLS, so a read
 *     transaction may move between threads, but one transaction is used by one thread at a time.
 *   - Values returned by reads (ipl_event strings, dictionary strings) point into the map and live
 *     until the read transaction ends: copy what must outlive it.
 *   - The map grows by itself: a commit that hits MDB_MAP_FULL is aborted, the map doubled, and the
 *     batch replayed; nothing is lost or half-written. A failed commit (disk full, I/O error)
 *     commits nothing. Growing waits until no other thread of the process has a transaction
 *     open (LMDB's rule for mdb_env_set_mapsize; store_int.h, the map gate): a thread must not
 *     wait for another thread's commit while it holds a transaction of its own.
 *   - Long jobs (purges, rebuilds) work in bounded batches, never one transaction for hours.
 */
#ifndef IPL_STORE_H
#define IPL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"

#define IPL_STORE_FORMAT 5          /* the format this build writes (4 is read, and upgraded when
                                      * opened for writing: store.c open_dbs) */
#define IPL_STORE_DEFAULT_DIR "ipledger-store"
#define IPL_QUARANTINE_RAW_MAX 4096 /* bytes of an offending line kept in the quarantine */

typedef struct ipl_store ipl_store;
typedef struct ipl_rtxn  ipl_rtxn;
typedef struct ipl_batch ipl_batch;

enum ipl_store_flags {
    IPL_STORE_RDONLY = 1,   /* open for reading only */
    IPL_STORE_CREATE = 2,   /* create the directory and the store if missing */
};

/* The store directory from --store, else $IPLEDGER_STORE, else IPL_STORE_DEFAULT_DIR. */
const char *ipl_store_default_dir(const char *flag);

/* Opens (returns owned, close with ipl_store_close). Errors: missing store without CREATE,
 * read-only directory, a newer or older format (IPL_EFORMAT), not an ipledger store. */
int  ipl_store_open(ipl_store **out, const char *dir, unsigned flags, ipl_diag *d);
void ipl_store_close(ipl_store *st);
const char *ipl_store_dir(const ipl_store *st);

/* ---- writing: a batch collects events, quarantined lines and source positions; commit writes
 * them in one transaction. The batch copies everything it is given (the caller's buffers may be
 * reused at once). ---- */
typedef struct ipl_source_pos {
    uint64_t offset;          /* bytes of the source consumed (next read starts here) */
    uint64_t line;            /* lines consumed */
    uint64_t size;            /* size of the file when last read */
    uint32_t fp_len;          /* bytes covered by fp (≤ IPL_FP_MAX) */
    uint8_t  fp[32];          /* SHA-256 of the first fp_len bytes: identifies the file's content */
    uint8_t  tail[32];        /* SHA-256 of the (up to IPL_TAIL_MAX) bytes just before offset */
    uint32_t tail_len;
    int64_t  last_ts;         /* parser's DST-resolution hint (ipl_parse_ctx.last_ts) */
    uint64_t generation;      /* how many times this path was seen as a new file (overwrites) */
    uint64_t events;          /* events committed from this source (all generations) */
    uint64_t quarantined;     /* lines quarantined from this source */
    int64_t  updated;         /* µs, wall clock of the last commit */
    char     format[32];      /* parser name */
} ipl_source_pos;
#define IPL_FP_MAX   4096
#define IPL_TAIL_MAX 256

int  ipl_batch_new(ipl_batch **out);
void ipl_batch_free(ipl_batch *b);
void ipl_batch_clear(ipl_batch *b);
size_t ipl_batch_events(const ipl_batch *b);
size_t ipl_batch_bytes(const ipl_batch *b);      /* memory held, for flush decisions */
/* Copies the event; ev->source names the source (required), ev->line its line. */
int  ipl_batch_add(ipl_batch *b, const ipl_event *ev, ipl_diag *d);
int  ipl_batch_quarantine(ipl_batch *b, const char *source, uint64_t line, uint64_t offset,
                          const char *reason, const char *raw, size_t rawlen, ipl_diag *d);
/* The position to record for `source` when this batch commits (the last call wins). */
int  ipl_batch_set_source(ipl_batch *b, const char *source, const ipl_source_pos *pos, ipl_diag *d);
/* A mark of what the batch holds, and a rewind to it (drops what was added after: the events of
 * one file that failed half way, while other files' events stay). */
typedef struct ipl_batch_mark_t { size_t nev, nq, nsrc, nkv; } ipl_batch_mark_t;
void ipl_batch_mark(const ipl_batch *b, ipl_batch_mark_t *m);
void ipl_batch_rewind(ipl_batch *b, const ipl_batch_mark_t *m);

/* The key-value area (`kv`): settings and materialised views (legal holds, retention policy,
 * tokens, address-space objects) written in the same transaction as the events that record
 * their change. Keys are (namespace, key) strings of at most 480 bytes together; values at most
 * 1 MiB. Not part of the chain: every change to them is also an event, which is. */
int  ipl_batch_kv_put(ipl_batch *b, const char *ns, const char *key, const void *val, size_t n,
                      ipl_diag *d);
int  ipl_batch_kv_del(ipl_batch *b, const char *ns, const char *key, ipl_diag *d);

typedef struct ipl_commit_info {
    uint64_t first_seq, last_seq;  /* 0, 0 when the batch had no events */
    uint64_t quarantined;
    uint8_t  chain[32];            /* head of the hash chain after the commit */
} ipl_commit_info;
int ipl_store_commit(ipl_store *st, ipl_batch *b, ipl_commit_info *info, ipl_diag *d);
/* Drops the map's pages from this process's resident set (they stay in the page cache): a bulk
 * writer calls it between commits so its RSS does not grow with the store. */
void ipl_store_release_map(ipl_store *st);

/* ---- reading ---- */
int  ipl_rtxn_begin(ipl_store *st, ipl_rtxn **out, ipl_diag *d);
void ipl_rtxn_end(ipl_rtxn *t);
/* Releases and re-acquires the snapshot (long scans call this every so often). */
int  ipl_rtxn_refresh(ipl_rtxn *t, ipl_diag *d);
/* Transactions (read or write, any store) the calling thread has open. A thread that waits for
 * another thread's commit must hold none: that commit may be waiting for them to end before it
 * grows the map (store_int.h, the map gate). */
unsigned ipl_store_thread_txns(void);

/* Decodes event `seq`; strings borrow from the transaction. IPL_ENOTFOUND if absent (purged). */
int ipl_store_get(ipl_rtxn *t, uint64_t seq, ipl_event *ev, ipl_diag *d);
/* The same for a reader that decodes many events (the server's tail): dictionary strings come
 * from `c` (ids always name the same string, so it stays valid across transactions and commits);
 * they live until the next ipl_store_get_cached with `c` or the transaction's end. One thread
 * per cache. */
typedef struct ipl_strcache ipl_strcache;
int  ipl_strcache_new(ipl_strcache **out);      /* returns owned, free with ipl_strcache_free */
void ipl_strcache_free(ipl_strcache *c);
int  ipl_store_get_cached(ipl_rtxn *t, ipl_strcache *c, uint64_t seq, ipl_event *ev, ipl_diag *d);
uint64_t ipl_store_last_seq(ipl_rtxn *t);
/* Dictionary: id of a string (IPL_ENOTFOUND if never seen); string of an id (NULL if none). */
int ipl_dict_find(ipl_rtxn *t, const char *s, size_t len, uint32_t *id);
const char *ipl_dict_str(ipl_rtxn *t, uint32_t id);
/* The index key for a host or user: the id of its case-folded form. */
int ipl_dict_find_folded(ipl_rtxn *t, const char *s, size_t len, uint32_t *id);

typedef enum ipl_index {
    IPL_IX_IP, IPL_IX_MAC, IPL_IX_HOST, IPL_IX_USER, IPL_IX_TIME, IPL_IX__COUNT
} ipl_index;
const char *ipl_index_name(ipl_index ix);

/* An index scan: every entry whose key is in [klo, khi] (byte strings of the index's key width:
 * 16 for ip, 4 for the others; NULL = unbounded) and whose ts is in [from, to], ordered by
 * (key, ts, seq), or reversed. For IPL_IX_TIME pass NULL keys: the bounds come from from/to and
 * the order is (ts, seq). */
typedef struct ipl_ixcur ipl_ixcur;
typedef struct ipl_ixent {
    uint64_t seq;
    int64_t  ts;
    unsigned cls;                /* IPL_IXC_* of the event's kind (engine/event.h) */
    uint8_t  key[16];
    size_t   keylen;
} ipl_ixent;
int  ipl_ixcur_open(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                    int64_t to, int reverse, ipl_ixcur **out, ipl_diag *d);
/* IPL_OK with *e filled, IPL_ENOTFOUND at the end, or an error. */
int  ipl_ixcur_next(ipl_ixcur *c, ipl_ixent *e, ipl_diag *d);
void ipl_ixcur_close(ipl_ixcur *c);
/* Lease state of n consecutive addresses lo, lo+1, ..., lo+n-1 at `at` (1 <= n <= IPL_IX_HELD_MAX,
 * the addresses not wrapping past ff..ff): bit i of held (word i / 64, bit i % 64; (n + 63) / 64
 * words, overwritten) is set when address lo+i is held by the who rule: its latest IPL_IXC_OPEN or
 * IPL_IXC_CLOSE entry of ix.ip at or before `at`, in (ts, seq) order, is an opening. One forward
 * walk of each week's key range (MDB_NEXT: no seek per key), the weeks in order, so a later
 * week's decision replaces an earlier one. The fast path of queries/asm_util.c and asm_free.c. */
#define IPL_IX_HELD_MAX (UINT32_C(1) << 20)
int  ipl_ix_held_bits(ipl_rtxn *t, const uint8_t lo[16], uint32_t n, int64_t at, uint64_t *held,
                      ipl_diag *d);
/* Number of entries under one key (the chunks' counts, read without decoding them). */
int  ipl_index_count(ipl_rtxn *t, ipl_index ix, const void *key, uint64_t *n, ipl_diag *d);

/* Source positions. IPL_ENOTFOUND if the source was never ingested. */
int ipl_store_source(ipl_rtxn *t, const char *source, ipl_source_pos *pos, ipl_diag *d);
typedef int (*ipl_source_fn)(void *ctx, const char *source, const ipl_source_pos *pos);
int ipl_store_sources(ipl_rtxn *t, ipl_source_fn fn, void *ctx, ipl_diag *d);

/* Quarantine entries, oldest first; `source` NULL for all. */
typedef struct ipl_qentry {
    uint64_t    qseq;
    int64_t     ingested;      /* µs, wall clock */
    const char *source;
    uint64_t    line, offset;
    const char *reason;
    const char *raw;
    size_t      rawlen;
} ipl_qentry;
typedef int (*ipl_quarantine_fn)(void *ctx, const ipl_qentry *q);
int ipl_store_quarantine(ipl_rtxn *t, const char *source, ipl_quarantine_fn fn, void *ctx,
                         ipl_diag *d);

/* kv reads; values borrow from the transaction. */
int ipl_store_kv_get(ipl_rtxn *t, const char *ns, const char *key, const void **val, size_t *n);
typedef int (*ipl_kv_fn)(void *ctx, const char *key, const void *val, size_t n);
int ipl_store_kv_scan(ipl_rtxn *t, const char *ns, ipl_kv_fn fn, void *ctx, ipl_diag *d);

typedef struct ipl_store_stats {
    uint64_t events, last_seq, dict, quarantine, sources;
    uint64_t index_entries[IPL_IX__COUNT];
    uint64_t map_size, used_bytes, file_bytes;   /* file_bytes: blocks on disk (what du says) */
    uint32_t format;
    int64_t  first_ts, last_ts;                  /* event time span (0 when empty) */
    uint8_t  chain[32];
} ipl_store_stats;
int ipl_store_stats_get(ipl_rtxn *t, ipl_store_stats *s, ipl_diag *d);

/* ==== raw reads for the query engine (engine/scan.c) ===========================================
 * Read-only, allocation-light access for scans that touch millions of events: records decoded
 * without resolving dictionary strings (compare ids, resolve only what is shown), a cursor that
 * fetches events by ascending seq cheaply (LMDB stays on the current page), index entries read a
 * page at a time, dictionary prefix ranges and index statistics for the planner. Everything
 * returned borrows from the read transaction and lives until it ends (or is refreshed). */

/* An event as stored: ids instead of strings (host and user as logged, not folded; 0 = none). */
typedef struct ipl_rawev {
    uint64_t seq;
    int64_t  ts;
    uint16_t kind;
    uint8_t  has_ip;
    uint8_t  ip[16];
    uint32_t mac, duid, host, user, server, source;
    uint64_t line;
    uint32_t nattr;
    const uint8_t *attrs, *end;   /* the encoded attributes (ipl_rawev_attr_next decodes them) */
} ipl_rawev;

typedef struct ipl_rawattr {
    uint8_t     key;
    uint8_t     interned;        /* 1: id names a dictionary string; 0: val/len inline */
    uint32_t    id;
    uint32_t    len;
    const char *val;
} ipl_rawattr;

/* Attribute iteration: *pos starts at e->attrs; IPL_OK with *a filled, IPL_ENOTFOUND at the
 * end, IPL_ECORRUPT on a malformed record. */
int ipl_rawev_attr_next(const ipl_rawev *e, const uint8_t **pos, ipl_rawattr *a);
/* The first attribute `key` of the event: IPL_OK, IPL_ENOTFOUND or IPL_ECORRUPT. */
int ipl_rawev_attr(const ipl_rawev *e, unsigned key, ipl_rawattr *a);

/* Events in seq order, or by seq (fast when the seqs asked for ascend). */
typedef struct ipl_evcur ipl_evcur;
int  ipl_evcur_open(ipl_rtxn *t, ipl_evcur **out, ipl_diag *d);
/* The next event after the last one returned (the first of the log at the start);
 * IPL_ENOTFOUND at the end. */
int  ipl_evcur_next(ipl_evcur *c, ipl_rawev *e, ipl_diag *d);
/* Event `seq`; IPL_ENOTFOUND if it does not exist (purged). */
int  ipl_evcur_get(ipl_evcur *c, uint64_t seq, ipl_rawev *e, ipl_diag *d);
void ipl_evcur_close(ipl_evcur *c);

/* Forward index scan read a page of duplicates at a time (same entries and order as
 * ipl_ixcur_open with reverse = 0). fill writes up to cap entries; *n == 0 at the end. */
typedef struct ipl_ixscan ipl_ixscan;
int  ipl_ixscan_open(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                     int64_t to, ipl_ixscan **out, ipl_diag *d);
/* Aims the scan at another key range (same index and window), from its start. */
void ipl_ixscan_reset(ipl_ixscan *s, const void *klo, const void *khi);
int  ipl_ixscan_fill(ipl_ixscan *s, uint64_t *seq, int64_t *ts, size_t cap, size_t *n,
                     ipl_diag *d);
void ipl_ixscan_close(ipl_ixscan *s);

/* Entries and keys of an index in the key range [klo, khi] (NULL = open), walking at most
 * max_keys keys: complete = 0 when it stopped early, last_key is the last key counted. For
 * IPL_IX_TIME the keys are the u32 buckets (ts >> 32) in big-endian. */
typedef struct ipl_ixstat {
    uint64_t entries, keys;
    int      complete;
    uint8_t  last_key[16];
} ipl_ixstat;
int ipl_index_range_stat(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi,
                         uint64_t max_keys, ipl_ixstat *s, ipl_diag *d);

/* Number of events (cheap), the largest dictionary id (0 when empty). */
uint64_t ipl_store_event_count(ipl_rtxn *t);
uint32_t ipl_dict_max_id(ipl_rtxn *t);
/* Every dictionary string that starts with prefix[0..len) (len > 0), in byte order; fn returns
 * non-zero to stop (that value is returned). */
typedef int (*ipl_dict_fn)(void *ctx, const char *s, size_t n, uint32_t id);
int ipl_dict_prefix(ipl_rtxn *t, const char *prefix, size_t len, ipl_dict_fn fn, void *ctx,
                    ipl_diag *d);
/* ==== end of raw reads ========================================================================= */

#endif
