/* retention/purge.h — purging events: what to remove (criteria), and the purge itself.
 *
 * Criteria. What the user asked for is turned once into a canonical JSON text (ipl_criteria_make)
 * which is what gets recorded: in the progress record, so a killed purge resumes with exactly the
 * same selection, and in the retention.purge audit event. Selection: the time index in
 * [after, before), then the kind patterns, the source patterns, the query (--where: the events it
 * selects when the run starts, relative times counted from the criteria's "now") or a retention
 * policy (each event's rule decides its own cutoff). retention.purge events are never selected
 * unless "retention.purge" itself is named as a kind: a purge's record outlives what it removed.
 *
 * The purge (ipl_purge_run). Under an exclusive lock (purge.lock in the store directory):
 *   1. a progress record is written (kv "retention"/"purge": criteria, position, counts);
 *   2. steps: a short read transaction examines the next time-index entries, drops the events an
 *      active legal hold covers (holds are re-read every step, under a shared hold.lock, so a hold
 *      added meanwhile protects from the next step on), and collects a batch of seqs; the re-seal
 *      is marked from the batch's smallest seq; ipl_store_delete removes the batch and writes the
 *      progress record (with the removal digest state) in the same transaction. The batch size
 *      adapts so that one delete transaction takes about IPL_PURGE_TXN_MS;
 *   3. the chain is re-sealed (bounded steps);
 *   4. one transaction appends the retention.purge event (who, when, criteria, counts per kind,
 *      source and hold, bytes, time span, the SHA-256 digest of the removed records in deletion
 *      order, chain heads) and deletes the progress record.
 * Killed anywhere, the store stays consistent (every transaction is whole) and the next run finds
 * the progress record and continues where the last committed batch left off, with the digest
 * state it had: the end result is the same as an uninterrupted purge's.
 */
#ifndef IPL_RETENTION_PURGE_H
#define IPL_RETENTION_PURGE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"
#include "engine/store.h"
#include "retention/audit.h"
#include "retention/policy.h"

#define IPL_PURGE_BATCH       10000     /* events per delete transaction to start with */
#define IPL_PURGE_BATCH_MAX   100000
#define IPL_PURGE_TXN_MS      100       /* the delete transaction length the batch size aims at */
/* A purge by time alone (no filters, no holds) deletes a week (or a part of one) per transaction
 * (ipl_store_purge_span): each transaction has a fixed cost, the pages of the week's per-key
 * index range it rewrites, so its size is not adapted but fixed at this many events (--batch
 * sets it; docs/retention.md "How a purge deletes"). */
#define IPL_PURGE_SPAN_BATCH  1000000   /* a week of more is cut into equal parts of at most this */
#define IPL_PURGE_SPAN_MAX    2000000
/* When another writer committed between two such transactions, the purge sleeps this share of
 * its transaction's time after it (more with --pause): concurrent ingest keeps about half its
 * rate; alone, the purge never sleeps. */
#define IPL_PURGE_YIELD_PCT   400
#define IPL_PURGE_GRACE_MS    5         /* after a step that did not yield: room for a blocked writer */
#define IPL_PURGE_PATTERNS_MAX 64       /* --kind / --source values */
#define IPL_PURGE_SOURCES_MAX 1024      /* distinct sources counted by name (the rest: "other") */

/* ---- criteria ---- */
typedef struct ipl_criteria_args {
    int64_t after;                       /* INT64_MIN: from the beginning */
    int64_t before;                      /* exclusive; INT64_MAX only with a policy */
    const char *const *kinds;            /* patterns: lease.assign, lease.*, * */
    size_t nkinds;
    const char *const *sources;          /* source names, or prefixes ending in '*' */
    size_t nsources;
    const char *where;                   /* query text, or NULL */
    const ipl_policy *policy;            /* retention apply, or NULL */
    const char *policy_sha256;           /* of the policy file as given */
    int64_t now;                         /* evaluation instant: holds' expiry, policy cutoffs */
} ipl_criteria_args;

/* Checks the arguments and writes the canonical criteria (returns owned: free). */
int ipl_criteria_make(const ipl_criteria_args *a, char **json, ipl_diag *d);
/* 1 when two criteria texts select the same events (they may differ in "now" only). */
int ipl_criteria_same(const char *a, const char *b);

typedef struct ipl_criteria ipl_criteria;
int  ipl_criteria_compile(const char *json, ipl_criteria **out, ipl_diag *d);   /* owned */
void ipl_criteria_free(ipl_criteria *c);
/* Runs the --where query, if any, in t (once): the criteria match nothing before. */
int  ipl_criteria_prepare(ipl_criteria *c, ipl_rtxn *t, ipl_diag *d);
int64_t ipl_criteria_now(const ipl_criteria *c);
const ipl_policy *ipl_criteria_policy(const ipl_criteria *c);      /* NULL without */
/* Whether ev is selected: -1 no; else the policy rule that selected it (0 without a policy).
 * Protected retention.purge events are reported as -2. */
int ipl_criteria_match(const ipl_criteria *c, const ipl_event *ev);

/* 1 when the criteria are a time window only (no kinds, sources, query or policy): every event
 * in [*from, *to] (µs, inclusive) is selected but retention.purge records; 0 otherwise. */
int ipl_criteria_window(const ipl_criteria *c, int64_t *from, int64_t *to);

/* A resumable walk over the criteria's window in the time index. */
typedef struct ipl_scan_pos {
    int     started;                     /* 0: from the start of the window */
    int64_t ts;                          /* the last entry examined */
    uint64_t seq;
} ipl_scan_pos;
/* fn gets every event in the window after *pos with what ipl_criteria_match said (also -1);
 * stops after `limit` entries (then *done = 0) or at the end of the window (*done = 1). Event
 * strings live until fn returns. A non-zero return of fn stops the walk and is returned. */
typedef int (*ipl_scan_fn)(void *ctx, const ipl_event *ev, int match);
int ipl_criteria_scan(ipl_rtxn *t, const ipl_criteria *c, ipl_scan_pos *pos, size_t limit,
                      ipl_scan_fn fn, void *ctx, int *done, ipl_diag *d);
/* Approximate bytes of an event's stored record (for dry runs: the real purge reports exact
 * record bytes). */
uint64_t ipl_record_estimate(const ipl_event *ev);

/* ---- the purge ---- */
typedef struct ipl_purge_held {
    uint32_t id;
    char     desc[300];                  /* "hold 3 (ip 10.0.0.0/8)" */
    uint64_t n;
} ipl_purge_held;

typedef struct ipl_purge_source {
    char    *name;
    uint64_t n;
} ipl_purge_source;

typedef struct ipl_purge_report {
    int      dry_run, resumed, stopped;
    char    *criteria;                   /* owned */
    char     action[32];                 /* "purge", "retention apply" */
    uint64_t examined, count, bytes;     /* bytes: exact record bytes; estimated in a dry run */
    uint64_t protected_purge_events;     /* retention.purge events the criteria spared */
    int64_t  first_ts, last_ts;          /* of what was (would be) removed */
    uint64_t per_kind[256];
    ipl_purge_source *sources;           /* by count, descending */
    size_t   nsources;
    uint64_t sources_other;              /* counted beyond IPL_PURGE_SOURCES_MAX names */
    ipl_purge_held *held;                /* per hold, by id */
    size_t   nheld;
    uint64_t held_total;                 /* distinct events kept by holds */
    uint64_t *per_rule;                  /* policy: per rule, the default last; NULL without */
    size_t   nrules;
    char     digest[65], chain_before[65], chain_after[65];
    uint64_t event_seq;                  /* the retention.purge event */
    uint64_t batches;
    double   seconds;
    double   select_seconds, delete_seconds, reseal_seconds;   /* where the time went */
    double   max_txn_seconds;                                    /* the longest delete transaction */
} ipl_purge_report;
void ipl_purge_report_release(ipl_purge_report *r);

typedef struct ipl_purge_opts {
    const char *criteria;                /* ipl_criteria_make's text; NULL: finish the
                                            interrupted purge (or a pending re-seal) only */
    int dry_run;
    const char *action;                  /* recorded: "purge" (default) or "retention apply" */
    const char *reason;                  /* recorded, may be NULL */
    size_t batch;                        /* first batch size (0: IPL_PURGE_BATCH; a purge by time
                                            alone: IPL_PURGE_SPAN_BATCH) */
    int fixed_batch;                     /* 1: do not adapt the batch size */
    const ipl_actor *actor;
    int pause_pct;                       /* after each delete transaction, pause for this
                                            percentage of its duration (ingest and queries get
                                            the disk and the writer lock meanwhile); 0: none */
    long crash_after;                    /* testing: SIGKILL after this many delete transactions */
    int per_event;                       /* testing: select and delete event by event even for a
                                            purge by time alone (the week-wise path's reference) */
    volatile sig_atomic_t *stop;         /* when set: stop after the current batch */
    void (*progress)(void *ctx, const ipl_purge_report *r);
    void *progress_ctx;
} ipl_purge_opts;

/* Runs (or, dry, evaluates) a purge. IPL_EBUSY: another purge runs on this store, or an
 * interrupted purge with other criteria must be finished first (criteria NULL does that);
 * IPL_ENOTFOUND: criteria NULL and nothing to finish. With o->stop set midway: IPL_OK and
 * r->stopped = 1 (the progress record stays; a rerun finishes). */
int ipl_purge_run(ipl_store *st, const ipl_purge_opts *o, ipl_purge_report *r, ipl_diag *d);

/* The interrupted purge's criteria (returns owned, free) and the events it removed so far;
 * IPL_ENOTFOUND when there is none. */
int ipl_purge_pending(ipl_rtxn *t, char **criteria, uint64_t *removed, ipl_diag *d);

#endif
