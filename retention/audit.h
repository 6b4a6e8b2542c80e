/* retention/audit.h — the events that record what an administrator did to the store.
 *
 * Every change this layer makes (a purge, a hold added or removed, a restore, a compaction, an
 * import) is also an event in the store, so it is covered by the hash chain and answerable like
 * any other record: kind retention.purge or config.change, user = the acting principal
 * ("os:<login>" for the CLI), server = the host it ran on, source "ipledger:retention".
 * The actor also carries the clock (tests freeze it).
 */
#ifndef IPL_RETENTION_AUDIT_H
#define IPL_RETENTION_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"
#include "engine/store.h"

#define IPL_AUDIT_SOURCE "ipledger:retention"

typedef struct ipl_actor {
    char    principal[256];          /* "os:alice" */
    char    host[256];
    int64_t (*clock)(void);          /* UTC µs; NULL = the wall clock */
} ipl_actor;

/* The effective user's login as "os:<login>", this host's name, the wall clock. */
void    ipl_actor_default(ipl_actor *a);
int64_t ipl_actor_now(const ipl_actor *a);

/* Adds an audit event of `kind` (ts = now, user/server/source from the actor) with the given
 * attributes (borrowed) to `b`, which may already carry kv writes, and commits the batch; *seq
 * receives the event's sequence number (may be NULL). */
int ipl_audit_commit(ipl_store *st, ipl_batch *b, const ipl_actor *a, unsigned kind,
                     const ipl_attr *attrs, size_t nattrs, uint64_t *seq, ipl_diag *d);

/* A config.change event: object ("hold", "store"), action ("add", "remove", "restore",
 * "compact", "import"), reason and message (NULL for none); b may be NULL. */
int ipl_audit_config(ipl_store *st, ipl_batch *b, const ipl_actor *a, const char *object,
                     const char *action, const char *reason, const char *message, uint64_t *seq,
                     ipl_diag *d);

#endif
