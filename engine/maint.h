/* engine/maint.h — store maintenance primitives for retention/ (purge, verify, backup, compact).
 *
 * Deleting events. ipl_store_delete removes events and every index entry pointing to them in one
 * write transaction; callers pass bounded batches (a few thousand seqs) so no transaction runs
 * long and ingest and queries go on in between. The removed records are digested (SHA-256 over
 * `BE64 seq | BE32 length | record` in the order given) and counted per kind into an accumulator
 * that the caller keeps across batches; the digest goes into the audit event of the purge. The
 * batch's index entries are removed sorted, through one cursor per index.
 *
 * Re-sealing. Deleting events breaks the recorded chain state after them, so a purge ends with
 * ipl_store_reseal(from = first deleted seq): the chain is replayed over the remaining events from
 * the checkpoint before `from` to the end, in bounded transactions, rewriting the checkpoints and
 * the head. Until it finishes, meta "reseal.from" records where to resume (ipl_store_reseal with
 * from = 0 resumes); verify reports a pending re-seal instead of a broken chain. Events ingested
 * meanwhile are simply replayed by the later steps: the last step runs to the end of the log
 * inside one write transaction.
 *
 * Verify. Replays the chain over the whole log and compares it with every checkpoint and the
 * head; checks that every index entry points to a live event with that key and time, and that
 * every event is in every index it belongs to (multiset hashes first, the index side computed by
 * a second thread on a read transaction of the same snapshot, then an exact pass to name the
 * first bad entry when they differ).
 */
#ifndef IPL_MAINT_H
#define IPL_MAINT_H

#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"
#include "engine/sha256.h"
#include "engine/store.h"

typedef struct ipl_purge_acc {
    ipl_sha256_ctx digest;              /* over the removed records, in deletion order */
    uint64_t count, bytes;
    uint64_t per_kind[256];
    uint64_t first_seq, last_seq;       /* smallest and largest removed */
    int64_t  first_ts, last_ts;
} ipl_purge_acc;

void ipl_purge_acc_init(ipl_purge_acc *a);
/* The accumulator as bytes and back (a purge's progress record): version 1 | SHA-256 state (105
 * bytes, as the chain's) | count, bytes, first_seq, last_seq, first_ts, last_ts | per_kind[256],
 * integers BE64. ipl_purge_acc_load returns IPL_ECORRUPT for anything else. */
#define IPL_PURGE_ACC_STATE (1 + 105 + 6 * 8 + 256 * 8)
void ipl_purge_acc_save(const ipl_purge_acc *a, uint8_t out[IPL_PURGE_ACC_STATE]);
int  ipl_purge_acc_load(ipl_purge_acc *a, const void *in, size_t n);
/* Deletes the given events (missing ones are skipped: a rerun after a crash is harmless).
 * Optional kv write in the same transaction (progress of the caller): ns/key NULL for none. The
 * value written is kv_val's kv_len bytes (at most 1 MiB) followed by the accumulator's state
 * after this batch (IPL_PURGE_ACC_STATE bytes): the digest of the removed records cannot be
 * known before the transaction, and a resumed purge needs it exactly. */
int ipl_store_delete(ipl_store *st, const uint64_t *seqs, size_t n, ipl_purge_acc *acc,
                     const char *kv_ns, const char *kv_key, const void *kv_val, size_t kv_len,
                     ipl_diag *d);

/* Deleting a time range a week at a time (a purge without filters). One call is one write
 * transaction over the events whose (ts, seq) lies after (from, after_seq) and at most at `to`,
 * `from` and `to` in the same week (ipl_ix_week), stopping after `limit` removed events (or
 * 4 x limit time-index entries examined):
 *   1. walks ix.time in (ts, seq) order, digesting (as ipl_store_delete does, so the digest of a
 *      purge does not depend on the path) and deleting each event; events of `protect_kind` (0:
 *      none) are kept and counted; then the time entries walked go (the kept ones stay), each
 *      chunk rewritten once;
 *   2. deletes the week's entries of each per-key index (ip, mac, host, user) in the same range:
 *      they are one contiguous key range (week first), walked in order, so each page is touched
 *      once; when the whole week goes, its chunks are dropped whole;
 *   3. marks the re-seal from the smallest removed seq and writes the caller's progress record
 *      (fn builds it from the outcome, inside the transaction; the accumulator follows it as in
 *      ipl_store_delete).
 * The store is consistent after each call: a killed purge resumes from its progress record.
 * Out: hi_ts/hi_seq the last entry covered (done: the range was finished, hi = (to, max)),
 * counts, and the removed events per source id (names owned: ipl_purge_span_release). */
#define IPL_PURGE_SEQ_ALL ((UINT64_C(1) << 38) - 1)   /* after_seq: every seq of `from` done */
/* The first and the last µs of the week (ipl_ix_week) that ts falls in. */
int64_t ipl_purge_week_start(int64_t ts);
int64_t ipl_purge_week_end(int64_t ts);
typedef struct ipl_purge_src {
    uint32_t id;
    char    *name;                      /* "" for none */
    uint64_t n;
} ipl_purge_src;
typedef struct ipl_purge_span {
    int64_t  from, to;                  /* in: µs, inclusive, one week */
    uint64_t after_seq;                 /* in: entries at (from, seq <= after_seq) are done */
    size_t   limit;                     /* in: events removed at most */
    unsigned protect_kind;              /* in: kind never removed (0: none) */
    int64_t  hi_ts;                     /* out */
    uint64_t hi_seq;
    int      done;
    uint64_t examined, protected_n, removed, entries, min_seq;
    ipl_purge_src *src;
    size_t   nsrc;
    uint64_t src_other;                 /* removed beyond the sources counted by id */
    double   lock_wait;                 /* seconds spent waiting for the writer lock (another
                                           writer held it) */
} ipl_purge_span;
/* Builds the caller's progress record for this outcome: *rec owned (malloc), freed by the
 * engine. Called inside the write transaction, maybe more than once (retries): no side effects. */
typedef int (*ipl_purge_record_fn)(void *ctx, const ipl_purge_span *sp, char **rec, size_t *len,
                                   ipl_diag *d);
int  ipl_store_purge_span(ipl_store *st, ipl_purge_span *sp, ipl_purge_acc *acc,
                          const char *kv_ns, const char *kv_key, ipl_purge_record_fn fn,
                          void *ctx, ipl_diag *d);
void ipl_purge_span_release(ipl_purge_span *sp);

/* Marks a re-seal from `from` as due (kept in meta, the smallest pending `from` wins). */
int ipl_store_reseal_mark(ipl_store *st, uint64_t from, ipl_diag *d);
/* Runs (or resumes) the pending re-seal; no-op when none is due. events_per_txn bounds each
 * step (0 = 50,000). */
int ipl_store_reseal(ipl_store *st, size_t events_per_txn, ipl_diag *d);
/* The pending re-seal start, 0 if none. */
uint64_t ipl_store_reseal_pending(ipl_rtxn *t);

typedef struct ipl_verify_report {
    int      ok;                       /* 1 when everything checked out */
    uint64_t events, checkpoints, index_entries;
    uint64_t first_bad_seq;            /* where the chain first disagrees (0 if it does not) */
    uint64_t reseal_pending;           /* a purge's re-seal not finished: chain checked up to it */
    char     problem[IPL_DIAG_MAX];    /* the first problem, in words */
    double   seconds;
} ipl_verify_report;
typedef void (*ipl_verify_progress)(void *ctx, uint64_t done, uint64_t total);
int ipl_store_verify(ipl_store *st, ipl_verify_report *r, ipl_verify_progress p, void *pctx,
                     ipl_diag *d);

/* A consistent hot copy of the store into `dest_dir` (created; must not hold a store), while
 * ingest goes on (LMDB copies from a read snapshot). compact: drop free pages. */
int ipl_store_copy(ipl_store *st, const char *dest_dir, int compact, ipl_diag *d);

#endif
