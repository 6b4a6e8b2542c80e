/* retention/storefile.h — whole-store operations: hot backup, verified restore, compaction.
 *
 * backup  copies the store from one read snapshot (LMDB's copy) while ingest goes on, then
 *         verifies the copy. The copy is a directory holding data.mdb: a store of its own.
 * restore verifies the backup first, refuses to replace a store that holds events unless told
 *         to, copies the backup next to the store (DIR/.restore-tmp), and swaps data.mdb with one
 *         rename; it then records a config.change event (action "restore") in the restored store.
 * compact copies the store without its free pages into DIR/.compact-tmp, verifies the copy,
 *         checks that nothing changed meanwhile, and swaps data.mdb with one rename; it records
 *         a config.change event (action "compact"). A failure before the rename (a full disk,
 *         a copy that does not verify) leaves the original untouched.
 * restore and compact replace the file other processes would have mapped: they refuse while
 * another process has the store open (LMDB's lock file tells), and they exclude purges and each
 * other with purge.lock.
 */
#ifndef IPL_RETENTION_STOREFILE_H
#define IPL_RETENTION_STOREFILE_H

#include <stdint.h>

#include "engine/diag.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "retention/audit.h"

typedef struct ipl_storefile_report {
    uint64_t events;                   /* in the copy / the restored store */
    uint64_t bytes_before, bytes_after;  /* data.mdb sizes on disk (compact, restore) */
    char     chain[65];                /* chain head of the copy */
    uint64_t event_seq;                /* the recording config.change event (restore, compact) */
    ipl_verify_report verify;          /* of the copy (backup, compact) or the backup (restore) */
} ipl_storefile_report;

/* dest must not hold a store. verify: check the copy (ipl_store_verify). */
int ipl_backup(ipl_store *st, const char *dest, int compact, int verify, ipl_storefile_report *r,
               ipl_diag *d);
/* src: a backup directory; dir: the store to replace (created if missing). overwrite: replace a
 * store that holds events. IPL_EEXIST when it does and overwrite is 0; IPL_ECORRUPT when the
 * backup does not verify (r->verify says why); IPL_EBUSY when the store is in use. */
int ipl_restore(const char *src, const char *dir, int overwrite, const ipl_actor *a,
                const char *reason, ipl_storefile_report *r, ipl_diag *d);
int ipl_compact(const char *dir, const ipl_actor *a, ipl_storefile_report *r, ipl_diag *d);

#endif
