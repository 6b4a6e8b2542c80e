/* retention/hold.h — legal holds: events a purge must never remove.
 *
 * A hold names events the way the lookups do (queries/lookup.h): an IP address or prefix, a MAC
 * (or DUID), a host or a user (case-insensitive), or a query (--where: the events it selects
 * when a purge loads the holds; events newer than that snapshot count as held until the next
 * load, so a --where hold never lets through what it might cover), with a reason and an
 * optional expiry (`until`; an expired hold no longer holds, and stays listed as expired). Holds
 * live in the store's kv area (namespace "hold", key = the id as ten digits) and every add and
 * remove commits a config.change event in the same transaction, so the chain records them.
 * Ids come from a counter and are never reused. At most IPL_HOLD_MAX holds exist at a time.
 */
#ifndef IPL_RETENTION_HOLD_H
#define IPL_RETENTION_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"
#include "engine/store.h"
#include "retention/audit.h"

#define IPL_HOLD_MAX        1000
#define IPL_HOLD_VALUE_MAX  1024    /* bytes of the selector value (a query for --where) */
#define IPL_HOLD_REASON_MAX 1024

typedef enum ipl_hold_by { IPL_HOLD_IP, IPL_HOLD_MAC, IPL_HOLD_HOST, IPL_HOLD_USER, IPL_HOLD_WHERE } ipl_hold_by;
const char *ipl_hold_by_name(ipl_hold_by by);          /* "ip", "mac", "host", "user", "where" */

typedef struct ipl_hold {
    uint32_t    id;
    ipl_hold_by by;
    char        value[IPL_HOLD_VALUE_MAX + 1];  /* canonical: prefix text, 12-hex MAC, as given */
    char        reason[IPL_HOLD_REASON_MAX + 1];
    char        principal[256];
    int64_t     created;
    int64_t     until;                          /* 0: until removed */
} ipl_hold;

/* "hold 3 (ip 10.0.0.0/8)" */
void ipl_hold_describe(const ipl_hold *h, char *buf, size_t n);

/* Adds a hold: h->by, h->value, h->reason (required) and h->until (0, or later than now) are
 * read; h->id, created and principal are filled. The value is checked and made canonical. */
int ipl_hold_add(ipl_store *st, const ipl_actor *a, ipl_hold *h, uint64_t *seq, ipl_diag *d);
/* Removes hold `id` (IPL_ENOTFOUND if there is none); the reason may be NULL. */
int ipl_hold_remove(ipl_store *st, const ipl_actor *a, uint32_t id, const char *reason,
                    uint64_t *seq, ipl_diag *d);
/* Every hold (expired ones too), by id. */
typedef int (*ipl_hold_fn)(void *ctx, const ipl_hold *h);
int ipl_hold_list(ipl_rtxn *t, ipl_hold_fn fn, void *ctx, ipl_diag *d);

/* The holds in force at `now`, compiled for matching events. */
typedef struct ipl_holdset ipl_holdset;
int  ipl_holdset_load(ipl_rtxn *t, int64_t now, ipl_holdset **out, ipl_diag *d);  /* owned */
/* Keeps *hs when no hold was added or removed since it was loaded, else (re)loads it. */
int  ipl_holdset_refresh(ipl_rtxn *t, int64_t now, ipl_holdset **hs, ipl_diag *d);
void ipl_holdset_free(ipl_holdset *hs);
size_t ipl_holdset_count(const ipl_holdset *hs);
const ipl_hold *ipl_holdset_hold(const ipl_holdset *hs, size_t i);
/* How many holds hold `ev`; hit[i] (ipl_holdset_count entries, may be NULL) set to 1 for each. */
size_t ipl_holdset_match(const ipl_holdset *hs, const ipl_event *ev, uint8_t *hit);

#endif
