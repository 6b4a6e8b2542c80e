/* queries/track.h — forensic tracking: IP -> lease chunks -> device -> users, and the reverse.
 *
 *   by IP:        the lease holdings ("chunks") of the address in the window, each with its device
 *                 (MAC/DUID, host) and the users whose logons came from that IP or that host
 *                 inside the chunk (DC, RADIUS, sshd), with logon and logoff times; periods where
 *                 nobody held the address are rows too;
 *   by user:      the user's logons -> the address each came from -> the chunk -> the device;
 *   by MAC/host:  its leases -> addresses -> chunks -> users.
 * Dual stack: each chunk lists the device's other addresses seen in a look-back window (14 days
 * by default) through the same MAC (DUIDs embed it) or host name.
 * Every row cites the event sequence numbers that prove it. "nobody" and "unknown user" are
 * explicit answers; several users on one chunk are several rows (overlaps shown, not hidden).
 * At an instant (from == to), the users are those whose session covers it: logged on at or before
 * it, not logged off before it.
 */
#ifndef IPL_TRACK_H
#define IPL_TRACK_H

#include <stdint.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/store.h"
#include "queries/lookup.h"
#include "queries/output.h"

#define IPL_TRACK_LOOKBACK_DEFAULT (INT64_C(14) * 86400 * IPL_US_PER_SEC)
#define IPL_TRACK_MAX_CHUNKS 100000     /* per address and query */
#define IPL_TRACK_MAX_ADDRS  4096       /* addresses per MAC/host query */

typedef struct ipl_track_row {
    uint8_t     ip[16];
    int         held;                  /* 0: nobody held the address in [start, end) */
    const char *mac, *duid, *host, *server;
    int64_t     start, end;            /* the chunk; end 0 = still open in the log */
    const char *user;                  /* NULL: unknown user (no logon seen) */
    int64_t     logon, logoff;         /* logoff 0: not seen */
    const char *via;                   /* kind of the logon event ("logon", "radius.start", ...) */
    const char *logon_server;          /* who logged the logon (DC, NAS, sshd host) */
    const char *other_addrs;           /* dual stack: "2001:db8::5, 10.1.2.4" or NULL */
    uint64_t    evidence[16];
    int         nevidence;
} ipl_track_row;

typedef int (*ipl_track_fn)(void *ctx, const ipl_track_row *row);

typedef struct ipl_track_opts {
    int64_t from, to;                  /* inclusive; from == to: an instant */
    int64_t lookback;                  /* dual-stack look-back; 0 = default */
} ipl_track_opts;

/* sel: a selector from ipl_selector_make (ip: one address; mac; host; user). Rows stream to fn;
 * strings borrow from the transaction or `a`, valid until fn returns (a is cleared per row). */
int ipl_track(ipl_rtxn *t, ipl_index by, const char *value, const ipl_track_opts *o,
              ipl_track_fn fn, void *ctx, ipl_arena *a, ipl_diag *d);

/* Output columns and one row's values (strings into a). */
extern const ipl_col ipl_track_cols[];
extern const size_t ipl_track_ncols;
int ipl_track_row_values(const ipl_track_row *r, ipl_arena *a, const char **vals);

int ipl_kind_is_logon(unsigned kind);
int ipl_kind_is_logoff(unsigned kind);

#endif
