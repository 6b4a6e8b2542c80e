/* tools/cli/servers.h — what `ipledger servers` (cmd_servers.c) and its API routes
 * (serve_servers.c) share: the rows of `list`, the JSON of `show` and of `health`. */
#ifndef IPL_CLI_SERVERS_H
#define IPL_CLI_SERVERS_H

#include <cJSON.h>

#include "queries/output.h"
#include "queries/srv.h"

extern const ipl_col srv_list_cols[];
extern const size_t srv_list_ncols;
/* One row per inventory server (values at `at` for the 24 h rate); types (0 = all) and group
 * (NULL = all) filter. */
int srv_list_rows(const ipl_srv_view *v, int64_t at, unsigned types, const char *group, ipl_out *o);
/* The server's details, sources and scopes with utilization at `at` (returns owned). */
cJSON *srv_show_json(ipl_rtxn *t, const ipl_srv_view *v, const ipl_srv *s, int64_t at,
                     ipl_diag *d);
/* {"servers":[{"name","type","state","since","detail"}...]} at o->at (the web console's shape;
 * extra adds "check" and "last"): the passive check (recorded when record) merged with the probes'
 * recorded states; with sources, a row per source too (type "source"). Returns owned, NULL with
 * d set. */
cJSON *srv_health_json(ipl_store *st, const ipl_srv_health_opts *o, int record, int sources,
                       int extra, uint64_t *changes, ipl_diag *d);
/* The Kea probe hook (serve_servers.c): set by whoever links the Kea control client; returns 0
 * running, 1 degraded, 2 not reachable, with a reason in detail. NULL = kea probes report nothing. */
extern int (*srv_kea_status)(const char *endpoint, int timeout_ms, char *detail, size_t n);
/* Parses "30s", "5m", "2h", "1d", "500ms" into µs; -1 when invalid. */
int64_t srv_duration(const char *s);

#endif
