/* queries/srv.h — the server inventory and its health (docs/servers.md).
 *
 * Every server named in the event stream (ipl_event.server) is in the inventory with its types
 * (from the kinds it produces and its sources' formats), vendor, first/last event time, counts,
 * rates and the sources that feed it; servers can also be added by hand with managed/unmanaged,
 * owner, description, custom fields, groups and an active probe.
 *
 * kv layout (namespaces):
 *   srv.meta    "summary"  -> u64 seq of the last event folded in, u32 summary layout version
 *   srv.sum     server     -> ipl_srv_sum (binary, zero runs packed, IPL_SRV_SUM_VERSION): one per
 *                             discovered server
 *   srv.src     source     -> ipl_srv_sum of a source (its `feeds` are the servers it feeds)
 *   srv.server  server     -> manual entry JSON (changed only with a config.change event, object
 *                             "server", action add|edit|remove, old/new JSON, user = principal)
 *   srv.state   "server:N" / "source:S" / "probe:N" -> last recorded state JSON
 *                             {"state":..,"since":µs,"detail":..}: a state is raised once and
 *                             cleared once (server.status events on each transition)
 * The summaries are a cache: ipl_srv_update folds the events after the stored seq in (one pass,
 * one batch of its own) and can always be rebuilt from seq 0 (ipl_srv_reset).
 *
 * Pure: no sockets, no files beyond the store. Time is passed in. Ownership: views are owned
 * handles (ipl_srv_view_free); strings returned by the view borrow from it.
 */
#ifndef IPL_SRV_H
#define IPL_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/store.h"

#define IPL_SRV_SOURCE      "ipledger:servers"
#define IPL_SRV_NAME_MAX    128     /* bytes of a manual server name */
#define IPL_SRV_TEXT_MAX    1024    /* owner, description, a field value */
#define IPL_SRV_JSON_MAX    4000    /* one manual entry's JSON (fits an event attribute) */
#define IPL_SRV_FIELDS_MAX  32      /* custom fields, groups of one entry */
#define IPL_SRV_MAX         65536   /* servers + sources in the inventory */
#define IPL_SRV_FEEDS       8       /* sources kept per server (servers per source) */
#define IPL_SRV_FEED_MAX    256     /* bytes of a source/server name kept in a summary */
#define IPL_SRV_SCOPES      32      /* scopes kept per server */
#define IPL_SRV_SCOPE_MAX   64
#define IPL_SRV_HOURS       168     /* hourly counts kept (7 days before the newest event) */
#define IPL_SRV_GAPB        128     /* gap histogram buckets: 4 per octave of seconds */
#define IPL_SRV_DAYS        7       /* daily gap histograms kept (the rhythm's window) */
#define IPL_SRV_SUM_VERSION 2       /* a stored summary of another layout: all are rebuilt */

/* Server types: a bit set. */
enum ipl_srv_type {
    IPL_SRV_DHCP = 1, IPL_SRV_DNS = 2, IPL_SRV_DC = 4, IPL_SRV_RADIUS = 8, IPL_SRV_SSHD = 16,
    IPL_SRV_OTHER = 32,
};
#define IPL_SRV_TYPES_ALL 63u
/* The type an event of `kind` from a source of parser `format` says its server has (0: none,
 * e.g. a server.log.start only says what the format says). */
unsigned ipl_srv_type_of(unsigned kind, const char *format);
/* "dhcp,dns" into buf; "" for 0. */
const char *ipl_srv_types_str(unsigned types, char *buf, size_t n);
/* "dhcp,dc" -> bits; IPL_EINVAL naming the unknown word. */
int ipl_srv_types_parse(const char *s, unsigned *types, ipl_diag *d);
/* Vendor of a parser format ("mswin-dhcp" -> "Microsoft"); "" when unknown. */
const char *ipl_srv_vendor_of(const char *format);

/* ---- rhythm: a histogram of the gaps between consecutive events (pure) ---- */
int      ipl_srv_gap_bucket(int64_t gap_us);         /* 0 for < 1 s, else 1 + 4*log2(s) */
int64_t  ipl_srv_gap_upper(int b);                   /* µs: upper bound of bucket b */
/* The pct-th percentile gap (µs) of the histogram; 0 when it holds fewer than min_n gaps. */
int64_t  ipl_srv_gap_pct(const uint32_t gap[IPL_SRV_GAPB], double pct, uint64_t min_n);

/* One discovered server (or source). */
typedef struct ipl_srv_sum {
    uint32_t version;
    uint32_t types;
    int64_t  first, last;           /* event time span (µs) */
    uint64_t events;
    int64_t  top_hour;              /* hour (ts / 3600 s) of hours[top_hour % IPL_SRV_HOURS] */
    uint32_t hours[IPL_SRV_HOURS];  /* events per hour in (top_hour - HOURS, top_hour] */
    uint64_t ngaps;
    uint32_t gap[IPL_SRV_GAPB];     /* every gap folded in */
    int64_t  top_day;               /* day (ts / 86400 s) of dgap[top_day % IPL_SRV_DAYS] */
    uint32_t dgap[IPL_SRV_DAYS][IPL_SRV_GAPB]; /* gaps per day, by the later event's day */
    uint32_t nfeeds, nscopes;
    uint64_t feeds_more, scopes_more; /* > 0: more names were seen than fit (not a count) */
    char     formats[64];           /* parser formats seen, comma separated */
    char     feeds[IPL_SRV_FEEDS][IPL_SRV_FEED_MAX];   /* sources (of a server) or servers */
    char     scopes[IPL_SRV_SCOPES][IPL_SRV_SCOPE_MAX]; /* scope / subnet_prefix / subnet_id */
} ipl_srv_sum;

/* Folds one event into a summary (pure; the update pass calls it). */
void ipl_srv_sum_add(ipl_srv_sum *s, int64_t ts, unsigned types);
void ipl_srv_sum_feed(ipl_srv_sum *s, const char *name);
void ipl_srv_sum_scope(ipl_srv_sum *s, const char *scope, size_t n);
void ipl_srv_sum_format(ipl_srv_sum *s, const char *format);
/* The rhythm's histogram: the gaps of the `days` days (1..IPL_SRV_DAYS) up to min(at, last
 * event), summed into out; falls back to every gap when that window holds fewer than min_n. */
void ipl_srv_gap_window(const ipl_srv_sum *s, int64_t at, int days, uint64_t min_n,
                        uint32_t out[IPL_SRV_GAPB]);
/* Events in the 24 h up to `at`, per hour (from the hourly counts). */
double ipl_srv_rate_24h(const ipl_srv_sum *s, int64_t at);
double ipl_srv_rate_span(const ipl_srv_sum *s);

/* Folds the events after the last summarised seq into the summaries and commits them in one
 * batch (nothing when the store is read-only: the view is then computed in memory).
 * *folded = events read (may be NULL). */
int ipl_srv_update(ipl_store *st, uint64_t *folded, ipl_diag *d);
/* Drops the summaries (the next update starts at seq 1). */
int ipl_srv_reset(ipl_store *st, ipl_diag *d);

/* ---- the inventory view: discovered + manual, by name ---- */
typedef struct ipl_srv_view ipl_srv_view;
typedef struct ipl_srv {
    const char *name;
    unsigned    types;              /* manual types when given, else discovered */
    const char *vendor;             /* manual, else from the formats; "" */
    const char *formats;
    const char *address;            /* manual: IP or IP:PORT; NULL */
    int         manual;             /* has a manual entry */
    int         managed;            /* -1 unset, 0 unmanaged, 1 managed */
    const char *owner, *description;
    const char *probe, *probe_name; /* "dns", "tcp", "kea", "none" / NULL */
    const char *json;               /* the manual entry's JSON, or NULL */
    const ipl_srv_sum *sum;         /* NULL for a manual server never seen in events */
} ipl_srv;

/* Loads the summaries (after ipl_srv_update) and the manual entries (returns owned). */
int  ipl_srv_view_load(ipl_rtxn *t, ipl_srv_view **out, ipl_diag *d);
void ipl_srv_view_free(ipl_srv_view *v);
size_t ipl_srv_count(const ipl_srv_view *v);
const ipl_srv *ipl_srv_at(const ipl_srv_view *v, size_t i);      /* by name */
const ipl_srv *ipl_srv_find(const ipl_srv_view *v, const char *name);
/* Every source summary, by source name, decoded one at a time (s lives until fn returns); fn
 * returns non-zero to stop (that value is returned). */
typedef int (*ipl_srv_sum_fn)(void *ctx, const char *name, const ipl_srv_sum *s);
int ipl_srv_sources_scan(ipl_rtxn *t, ipl_srv_sum_fn fn, void *ctx, ipl_diag *d);

/* ---- manual entries (srv_model.c) ---- */
typedef struct ipl_srv_actor {
    char    principal[256];         /* "os:alice", "token:ops" */
    int64_t now;                    /* µs */
} ipl_srv_actor;

enum ipl_srv_action { IPL_SRV_ADD, IPL_SRV_EDIT, IPL_SRV_REMOVE };
/* A manual change. Strings NULL = not given (edit keeps the old value; "" clears it). */
typedef struct ipl_srv_change {
    int          action;
    const char  *name;
    const char  *types;             /* "dhcp,dns" */
    const char  *vendor, *address, *owner, *description, *probe, *probe_name;
    int          managed;           /* -1 not given, 0, 1 */
    const char  *const *fields;     /* "k=v" ("k=" removes on edit) */
    size_t       nfields;
    const char  *const *groups;     /* "G" adds, "-G" removes on edit */
    size_t       ngroups;
} ipl_srv_change;

/* Validates and applies one change: the kv object and its config.change event in one batch.
 * Errors (IPL_EINVAL, IPL_EEXIST, IPL_ENOTFOUND) name the server and the field. *seq receives
 * the event's seq (may be NULL); *json the new JSON (owned, free(); may be NULL). */
int ipl_srv_apply(ipl_store *st, const ipl_srv_actor *a, const ipl_srv_change *c, uint64_t *seq,
                  char **json, ipl_diag *d);
/* An address "IP" or "IP:PORT" / "[v6]:PORT": host text and port (dflt when absent). */
int ipl_srv_addr_split(const char *s, char *host, size_t hostcap, int *port, int dflt);

/* ---- health (srv_health.c) ---- */
typedef enum ipl_srv_state {
    IPL_SRV_UNKNOWN, IPL_SRV_RUNNING, IPL_SRV_DEGRADED, IPL_SRV_SILENT, IPL_SRV_UNREACHABLE,
} ipl_srv_state;
const char *ipl_srv_state_name(ipl_srv_state s);     /* "running", "not reachable", ... */
int ipl_srv_state_parse(const char *s, ipl_srv_state *out);

typedef struct ipl_srv_health_opts {
    int64_t  at;                    /* µs: "now" */
    double   factor;                /* silent after factor x rhythm (default 4) */
    int64_t  floor_us;              /* rhythm floor (default 5 min) */
    int64_t  default_us;            /* rhythm with too few gaps (default 1 h) */
    double   pct;                   /* the rhythm's percentile (default 95) */
    int      days;                  /* over the gaps of the last N days active (default 7) */
    int64_t  window_us;             /* quarantine window (default 10 min) */
    uint64_t burst;                 /* quarantined lines in the window = degraded (default 50) */
} ipl_srv_health_opts;
void ipl_srv_health_defaults(ipl_srv_health_opts *o, int64_t at);

typedef struct ipl_srv_health {
    const char   *what;             /* "server" or "source" */
    const char   *name;
    const char   *server;           /* the server (a source: the first it feeds) */
    ipl_srv_state state;
    int64_t       since;            /* µs: start of this state (recorded, else computed) */
    int64_t       last;             /* last event */
    int64_t       rhythm;           /* µs */
    uint64_t      quarantined;      /* in the window (sources) */
    char          detail[256];
    const char   *check;            /* "passive", "quarantine" */
} ipl_srv_health;
typedef int (*ipl_srv_health_fn)(void *ctx, const ipl_srv_health *h);

/* The passive state of one summary at o->at (pure). */
ipl_srv_state ipl_srv_passive(const ipl_srv_sum *s, const ipl_srv_health_opts *o, int64_t *rhythm,
                              char *detail, size_t n);
/* Passive health of every source and server at o->at; with record, each transition against the
 * state recorded in kv is committed as a server.status event (attrs status, previous_status,
 * reason, since, check, watched_source) with the new state, in one batch. fn (may be NULL) gets
 * every row; *changes the events written. */
int ipl_srv_health_check(ipl_store *st, const ipl_srv_health_opts *o, int record,
                         ipl_srv_health_fn fn, void *ctx, uint64_t *changes, ipl_diag *d);

/* Records an active probe's result for a server: when it differs from the recorded probe state,
 * a server.status event (check = dns|tcp|kea) and the new state go into batch b (returns 1),
 * else nothing (0); <0 on error. t reads the recorded state. */
int ipl_srv_probe_record(ipl_rtxn *t, ipl_batch *b, const char *server, const char *address,
                         const char *check, ipl_srv_state state, const char *detail, int64_t now,
                         ipl_diag *d);
/* A recorded state ("server:N", "source:S", "probe:N"): IPL_OK or IPL_ENOTFOUND. */
int ipl_srv_state_get(ipl_rtxn *t, const char *key, ipl_srv_state *state, int64_t *since,
                      char *detail, size_t n);

#endif
