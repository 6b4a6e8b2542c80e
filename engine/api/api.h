/* engine/api/api.h — `ipledger serve`: the HTTP API, the live tail, live ingest and access control.
 *
 * Four files, libevent only in server.c (docs/design/server.md has the drawings):
 *   auth.c     pure: permissions, the built-in roles (modeled on IPAM's), custom roles, the access
 *              scope tree under \Global, bearer tokens (stored hashed in the store's kv area) and
 *              the config.change events that record every write;
 *   config.c   pure: the JSON configuration, checked with the line of each error;
 *   server.c   the event loop: evhttp dispatch, limits, the write queue (a pending batch handed
 *              to the writer thread every commit_ms or batch_events/4), the SSE tail, /metrics,
 *              signals, the syslog UDP/TCP listeners and the file-follow timer;
 *   syslog.c   pure: syslog framing for TCP streams (octet counting and LF).
 *
 * One writer at a time: syslog batches, API ingest, tokens and denials go through the server's
 * pending batch, committed by the writer thread; file follow and the routes that commit through
 * their own code (holds, inventory) flush first and commit on the loop thread while the writer is
 * idle; async routes (IPL_API_ASYNC: purge) run on the third thread, the async worker, and commit
 * through their own transactions, interleaved with the writer's (the store's writer lock orders
 * any two).
 * The engine sees no parser registry and no query code: tools/cli passes the parser table in and
 * registers the query routes (events, who, track, query) through ipl_server_route.
 *
 * Time is never read here except through ipl_server_opts.clock (tests freeze it).
 */
#ifndef IPL_API_H
#define IPL_API_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/addr.h"
#include "engine/diag.h"
#include "engine/event.h"
#include "engine/parser.h"
#include "engine/store.h"

struct event_base;

/* ---- permissions and roles (auth.c) ---------------------------------------------------------- */
#define IPL_PERMS(X)                                                                      \
    X(IPL_PERM_READ,   0, "read",   "stats, sources, quarantine, metrics, config changes") \
    X(IPL_PERM_AUDIT,  1, "audit",  "tracking and user data: events, who, track, query")   \
    X(IPL_PERM_INGEST, 2, "ingest", "write events through the API")                       \
    X(IPL_PERM_PURGE,  3, "purge",  "purge (dry run and apply)")                          \
    X(IPL_PERM_HOLD,   4, "hold",   "legal holds")                                        \
    X(IPL_PERM_ACCESS, 5, "access", "tokens, roles and access scopes")                    \
    X(IPL_PERM_CONFIG, 6, "config", "server configuration")                               \
    X(IPL_PERM_ASM,    7, "asm",    "address space management")                           \
    X(IPL_PERM_MSM,    8, "msm",    "multi-server management")                            \
    X(IPL_PERM_DHCP,   9, "dhcp",   "DHCP server management")

enum ipl_perm {
#define IPL_PERM_ENUM(name, bit, text, help) name = 1u << bit,
    IPL_PERMS(IPL_PERM_ENUM)
#undef IPL_PERM_ENUM
};
#define IPL_PERM_ALL 0x3ffu

const char *ipl_perm_name(unsigned perm);          /* one bit -> "audit"; NULL if not one bit */
/* "read,audit" -> bits; an unknown name is an error naming it. */
int ipl_perm_parse(const char *list, unsigned *perms, ipl_diag *d);
/* Bits of a built-in role ("Administrator", "IP Audit Administrator", "ASM Administrator",
 * "MSM Administrator", "DHCP Administrator", "Reader"); IPL_ENOTFOUND otherwise. */
int ipl_role_builtin(const char *name, unsigned *perms);
/* A role's bits: built-in, else kv "role"/name (a permission list). */
int ipl_role_perms(ipl_rtxn *t, const char *name, unsigned *perms, ipl_diag *d);

/* ---- access scopes: a tree under \Global. kv "scope"/PATH = comma-separated prefixes assigned
 * to that scope. An address belongs to the scope of the longest assigned prefix containing it
 * (it inherits its parent's scope), \Global when none. A principal of scope S sees an address
 * whose scope is S or below S. ---- */
#define IPL_SCOPE_MAX    256     /* bytes of a scope path */
#define IPL_SCOPE_PREFIX 256     /* assigned prefixes kept per principal */
int ipl_scope_valid(const char *path);       /* 1 for "\Global" and "\Global\A\B" */
/* 1 if `path` is `scope` or below it. */
int ipl_scope_within(const char *path, const char *scope);

typedef struct ipl_scope_map {
    size_t n;
    ipl_prefix prefix[IPL_SCOPE_PREFIX];
    char path[IPL_SCOPE_PREFIX][IPL_SCOPE_MAX];
} ipl_scope_map;
/* Loads every assigned prefix (IPL_ELIMIT past IPL_SCOPE_PREFIX). */
int ipl_scope_map_load(ipl_rtxn *t, ipl_scope_map *m, ipl_diag *d);
/* The scope of an address: a path inside m, or "\Global". */
const char *ipl_scope_of(const ipl_scope_map *m, const uint8_t ip[16]);

/* ---- principals and tokens. A token is "ipl_" + 40 hex digits; the store keeps only its
 * SHA-256 (kv "token"/hex) with name, role, scope, expiry and creator. ---- */
typedef struct ipl_principal {
    char     name[128];           /* "token:alice", "cli:root", "syslog", "signal" */
    char     role[128];
    char     scope[IPL_SCOPE_MAX];
    unsigned perms;
    int      global;              /* scope is \Global: no address filtering */
    const ipl_scope_map *map;     /* borrowed: the scope map of the request (NULL when global) */
} ipl_principal;

#define IPL_TOKEN_LEN 44          /* "ipl_" + 40 hex */
#define IPL_TOKEN_NAME_MAX 64

typedef struct ipl_token_info {
    char    name[IPL_TOKEN_NAME_MAX + 1];
    char    role[128];
    char    scope[IPL_SCOPE_MAX];
    char    by[128];
    char    hash_prefix[13];      /* first 12 hex digits of the hash: an id to show */
    int64_t created, expires;     /* µs; expires 0 = never */
} ipl_token_info;

/* Adds a new token to batch b (kv put + a config.change event by `by`) and writes the secret
 * (IPL_TOKEN_LEN + NUL) into secret. Errors: bad name or scope, unknown role, name in use. */
int ipl_token_create(ipl_rtxn *t, ipl_batch *b, const char *name, const char *role,
                     const char *scope, int64_t expires, const ipl_principal *by, int64_t now,
                     char secret[IPL_TOKEN_LEN + 1], ipl_diag *d);
/* Removes the token named `name` (kv del + config.change); IPL_ENOTFOUND if none. */
int ipl_token_revoke(ipl_rtxn *t, ipl_batch *b, const char *name, const ipl_principal *by,
                     int64_t now, ipl_diag *d);
typedef int (*ipl_token_fn)(void *ctx, const ipl_token_info *ti);
int ipl_token_list(ipl_rtxn *t, ipl_token_fn fn, void *ctx, ipl_diag *d);
/* Authenticates a bearer secret: IPL_OK with p filled, IPL_EACCES (unknown, revoked, expired:
 * the diag says which without echoing the secret). */
int ipl_token_auth(ipl_rtxn *t, const char *secret, size_t len, int64_t now, ipl_principal *p,
                   ipl_diag *d);
/* Assigns prefixes (comma list; "" clears) to a scope path, with its config.change event. */
int ipl_scope_set(ipl_rtxn *t, ipl_batch *b, const char *path, const char *prefixes,
                  const ipl_principal *by, int64_t now, ipl_diag *d);
/* Defines a custom role (a permission list) with its config.change event. */
int ipl_role_set(ipl_rtxn *t, ipl_batch *b, const char *name, const char *perms,
                 const ipl_principal *by, int64_t now, ipl_diag *d);

/* 1 if p may see ip (global principals see everything). */
int ipl_principal_sees(const ipl_principal *p, const uint8_t ip[16]);

/* Adds a config.change event to b: object, action, old, new (each may be NULL), the acting
 * principal as subject, source "ipledger:api". */
int ipl_change_event(ipl_batch *b, int64_t now, const ipl_principal *by, const char *object,
                     const char *action, const char *old_v, const char *new_v, const char *message,
                     ipl_diag *d);

/* ---- configuration (config.c) ------------------------------------------------------------- */
#define IPL_FOLLOW_MAX 32
#define IPL_GEOIP_CONF_MAX 16      /* = IPL_GEOIP_DB_MAX (engine/geoip.h) */
typedef struct ipl_server_limits {
    size_t header_bytes;       /* 8192 */
    size_t body_bytes;         /* 16 MiB */
    size_t query_bytes;        /* 4096: request-target length */
    size_t connections;        /* 256 */
    int    request_seconds;    /* 30: read/write timeout of a request; stalled clients dropped */
    size_t stream_buffer;      /* 1 MiB: output queued to one tail client before it is paused */
    int    stalled_seconds;    /* 10: a paused tail client is dropped after this */
    size_t response_bytes;     /* 256 MiB: one synchronous response (query results) */
    size_t syslog_message;     /* 65536 */
    size_t async_jobs;         /* 4: async requests (purge) running or waiting; 503 beyond */
} ipl_server_limits;

typedef struct ipl_follow_conf {
    char path[1024];
    char format[32];           /* "auto" or a parser name */
    char tz[64];
    char server[128];
} ipl_follow_conf;

typedef struct ipl_server_conf {
    char listen[128];          /* "127.0.0.1:8470" */
    char store[1024];          /* "" = the default */
    char tls_cert[1024], tls_key[1024];
    char syslog_udp[128], syslog_tcp[128];   /* "" = off */
    char syslog_tz[64];        /* zone of RFC 3164 timestamps (default UTC) */
    int  syslog_year;
    int  commit_ms;            /* 100 */
    size_t batch_events;       /* 16384 */
    int  follow_ms;            /* 1000 */
    size_t nfollow;
    ipl_follow_conf follow[IPL_FOLLOW_MAX];
    char log[1024];            /* "" = stderr */
    ipl_server_limits limits;
    size_t ngeoip;             /* "geoip_db": ["FILE", ...] (opened by the caller, in order) */
    char geoip_db[IPL_GEOIP_CONF_MAX][1024];
} ipl_server_conf;

void ipl_server_conf_defaults(ipl_server_conf *c);
/* Parses a JSON config over the defaults. Errors are collected, one per line of `errors`:
 * "FILE:LINE: message"; returns IPL_EPARSE when there was any (errors NUL-terminated). */
int ipl_server_conf_parse(ipl_server_conf *c, const char *file, const char *text, size_t len,
                          char *errors, size_t errcap);
int ipl_server_conf_load(ipl_server_conf *c, const char *path, char *errors, size_t errcap);
/* "127.0.0.1:8470", "[::1]:8470" -> host, port. */
int ipl_hostport(const char *s, char *host, size_t hostcap, int *port);

/* ---- syslog framing (syslog.c, pure) ------------------------------------------------------- */
/* One frame from a TCP stream: octet counting ("LEN SP MSG") when the data starts with a digit,
 * else LF-terminated. IPL_OK: msg and mlen the frame, *used bytes consumed; IPL_ENOTFOUND: need more
 * data; IPL_ELIMIT: frame longer than max (the stream cannot be resynchronised: drop it);
 * IPL_EPARSE: bad octet count. */
int ipl_syslog_frame(const char *buf, size_t len, size_t max, const char **msg, size_t *mlen,
                     size_t *used);

/* ---- the server (server.c) ------------------------------------------------------------------ */
typedef struct ipl_server ipl_server;
typedef struct ipl_api_req ipl_api_req;
typedef int64_t (*ipl_clock_fn)(void *ctx);

/* A filter for GET /api/v1/tail?q=QUERY, given by the caller (tools/cli: the query language; the
 * engine sees no query code). compile: *filter owned (release frees it), kinds[k] = 1 for every
 * kind it can pass; an error is answered 400 with d's message. test: *match for one event. */
typedef struct ipl_tail_filter_ops {
    int  (*compile)(const char *q, int64_t now, void **filter, uint8_t kinds[256], ipl_diag *d);
    int  (*test)(void *filter, ipl_rtxn *t, const ipl_rawev *ev, int *match, ipl_diag *d);
    void (*release)(void *filter);
} ipl_tail_filter_ops;

typedef struct ipl_server_opts {
    const ipl_server_conf *conf;                       /* copied */
    const ipl_parser *(*find_parser)(const char *name); /* the registry, from tools/cli */
    const ipl_parser *const *candidates;                /* for format "auto" */
    size_t ncandidates;
    ipl_clock_fn clock;                                 /* NULL = the real clock */
    void *clock_ctx;
    const char *config_path;                            /* reloaded on SIGHUP; may be NULL */
    const ipl_tail_filter_ops *tail_filter;             /* q= of the tail; NULL: kinds only */
    void (*log)(void *ctx, const char *line);           /* one line per event worth logging */
    void *log_ctx;
    struct ipl_geoip *geoip;    /* borrowed; enriches syslog, follow and API ingest (NULL = off) */
} ipl_server_opts;

/* Opens the listeners (borrows st, which must be writable). Returns owned, free with
 * ipl_server_free. */
int  ipl_server_new(ipl_server **out, ipl_store *st, const ipl_server_opts *o, ipl_diag *d);
/* Runs until SIGTERM/SIGINT (the pending batch is committed) or ipl_server_stop. */
int  ipl_server_run(ipl_server *s, ipl_diag *d);
void ipl_server_stop(ipl_server *s);
void ipl_server_free(ipl_server *s);
/* The bound HTTP port (useful with port 0). */
int  ipl_server_port(const ipl_server *s);

/* Routes registered by the caller (query handlers). path is exact ("/api/v1/track"); perm the
 * bits a principal needs. fn answers through the ipl_api_* calls below and returns IPL_OK or an
 * error already answered. */
typedef int (*ipl_api_handler)(void *ctx, ipl_api_req *r);
typedef struct ipl_api_route {
    const char *method;       /* "GET", "POST", "DELETE" */
    const char *path;
    unsigned    perm;
    ipl_api_handler fn;
    void       *ctx;
    unsigned    flags;        /* IPL_API_PUBLIC, IPL_API_ASYNC (0: a synchronous, token route) */
} ipl_api_route;
/* Answered without a token (the console's static files only). */
#define IPL_API_PUBLIC 1u
/* Runs on the server's async worker thread, not on the loop (long jobs: a purge). Its method,
 * path, parameters, body and principal are copied; what it answers through ipl_api_* is captured
 * and sent by the loop when it returns (one response at the end, nothing streamed). One worker;
 * at most limits.async_jobs such requests accepted at once (running or waiting), 503 beyond.
 * Before it starts, the batches the loop had pending when the request arrived are committed.
 * The handler may use the ipl_api_* calls only (never ipl_server_*: they are the loop's); its
 * read transaction (ipl_api_rtxn) is its own, begun and ended on the worker. If the client goes
 * away meanwhile the job still completes and its answer is dropped. */
#define IPL_API_ASYNC  2u
int ipl_server_route(ipl_server *s, const ipl_api_route *rt, ipl_diag *d);

/* For callers that run their own timers on the server's loop (server probes): the libevent base,
 * and a flush of the pending batch before they commit through their own batch (one writer at a
 * time: LMDB orders the commits; the tail picks up every committed event on its timer). */
struct event_base *ipl_server_base(ipl_server *s);
void ipl_server_flush(ipl_server *s);
ipl_store *ipl_server_store(ipl_server *s);
int64_t ipl_server_now(ipl_server *s);

/* ---- inside a handler ---- */
const char *ipl_api_param(ipl_api_req *r, const char *name);    /* decoded query parameter */
/* The request body (at most limits.body_bytes; not NUL-terminated; borrowed until the handler
 * returns); "" with *len 0 when there is none. */
const char *ipl_api_body(ipl_api_req *r, size_t *len);
const ipl_principal *ipl_api_principal(const ipl_api_req *r);
int64_t     ipl_api_now(const ipl_api_req *r);
ipl_rtxn   *ipl_api_rtxn(ipl_api_req *r, ipl_diag *d);           /* begun lazily, ended after */
/* Answers {"error": msg, "field": field} with status; returns IPL_EINVAL (or status-mapped). */
int ipl_api_error(ipl_api_req *r, int status, const char *field, const char *fmt, ...)
    IPL_PRINTF(4, 5);
/* Streamed body: begin (status 200, content type), write (an ipl_write_fn: ctx is the request;
 * -1 past limits.response_bytes or when the client is gone), end. */
int ipl_api_begin(ipl_api_req *r, const char *content_type);
/* Adds a response header; only before the body begins (IPL_EINVAL after, or on CR/LF in it). */
int ipl_api_header(ipl_api_req *r, const char *name, const char *value);
int ipl_api_write(void *req, const char *buf, size_t n);
int ipl_api_end(ipl_api_req *r);
/* Ends the request's read transaction and commits the server's pending batch now, waiting for
 * the writer thread (before a handler writes through another path, e.g. retention's own
 * transactions). A handler must hold no other read transaction when it calls this. */
void ipl_api_flush(ipl_api_req *r);
/* Answers 403 naming what is out of reach (a scope) and records the denial as an auth.fail
 * event, as the dispatcher does for a missing permission. */
int ipl_api_deny(ipl_api_req *r, const char *field, const char *fmt, ...) IPL_PRINTF(3, 4);
/* Ends a begun stream with an error line: {"error": ...} as the last NDJSON line. */
int ipl_api_abort(ipl_api_req *r, const char *msg);
/* For an async handler: a flag the server sets on SIGTERM/SIGINT (stop after the current step:
 * a purge's o->stop); NULL for a synchronous request. */
volatile sig_atomic_t *ipl_api_stop_flag(ipl_api_req *r);

#endif
