/* queries/lookup.h — the first answers: index-backed event lookups and `who` (lease holder at T).
 *
 * Selectors name one index and a key range: --ip A (or a CIDR: a key range), --mac M (any common
 * notation; also matches IPv6 events whose DUID embeds M, and DUIDs given as hex), --host H and
 * --user U (case-insensitive). A value never seen by the store selects nothing (not an error).
 */
#ifndef IPL_LOOKUP_H
#define IPL_LOOKUP_H

#include <stdint.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/event.h"
#include "engine/store.h"
#include "queries/output.h"

typedef struct ipl_selector {
    ipl_index ix;
    uint8_t   klo[16], khi[16];
    int       empty;            /* the value is unknown to the store: nothing matches */
} ipl_selector;

/* ix is IPL_IX_IP/MAC/HOST/USER; an invalid IP, prefix or MAC is an error naming the value. */
int ipl_selector_make(ipl_rtxn *t, ipl_index ix, const char *value, ipl_selector *sel, ipl_diag *d);

typedef int (*ipl_event_fn)(void *ctx, const ipl_event *ev);
/* Every event of the selector with from <= ts <= to; time-ordered under one key (a CIDR gives
 * address order, then time). Streams: memory stays constant whatever the result size. */
int ipl_events_scan(ipl_rtxn *t, const ipl_selector *sel, int64_t from, int64_t to,
                    ipl_event_fn fn, void *ctx, ipl_diag *d);

/* An event as one output row (columns ipl_event_cols). Strings go into `a`. JSON formats get the
 * attributes as an object, the others as "key=value" pairs. */
extern const ipl_col ipl_event_cols[];
extern const size_t ipl_event_ncols;
int ipl_event_row(const ipl_event *ev, int json, ipl_arena *a, const char **vals);

/* who: the lease holder of `ip` at instant `at`.
 * Rules (documented in docs/design/forensics.md): an assign (or BOOTP, v6 request/confirm) opens a
 * holding, a renew by the same client extends it, a release/expire/delete closes it, an open by
 * another client closes the previous holder. Other events (DNS, NACK, conflict, offers) do not
 * change the holder. Holdings are half-open [start, end): at the closing instant nobody holds. */
#define IPL_WHO_EVIDENCE 8
typedef struct ipl_who {
    int         held;                 /* 1: a holder; 0: nobody */
    const char *mac, *duid, *host, *server;
    int64_t     start;                /* held: first open of the holding; nobody: the close that
                                         freed the address (0: never leased before) */
    int64_t     end;                  /* closing instant, 0 if still open in the log */
    const char *end_reason;           /* held: how it ends ("released", "expired", "deleted",
                                         "reassigned"), NULL if open; nobody: how it was freed */
    const char *note;                 /* for nobody: why ("never leased", "released at ...") */
    uint64_t    evidence[IPL_WHO_EVIDENCE];   /* seqs: the opening, the last renew <= at, the close */
    int         nevidence;
} ipl_who;
/* Strings borrow from the transaction or `a`. Walks at most IPL_WHO_WALK lease events each way. */
#define IPL_WHO_WALK 100000
int ipl_who_at(ipl_rtxn *t, const uint8_t ip[16], int64_t at, ipl_arena *a, ipl_who *w,
               ipl_diag *d);

#endif
