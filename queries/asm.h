/* queries/asm.h — address space management (ASM): the address-space view kept from the event log.
 *
 * Objects: spaces (the implicit "default", provider spaces, customer spaces of a provider),
 * and inside a space IPv4/IPv6 blocks -> subnets -> ranges -> addresses. Each object is one JSON
 * value in the store's kv area (namespaces "asm.space", "asm.block", "asm.subnet", "asm.range",
 * "asm.address"; key layout in asm_model.c), and every change is a config.change event written in
 * the SAME batch: object "asm.<type>", action create|edit|delete, old = the JSON before, new = the
 * full JSON after (absent on delete), user = the acting principal, source "ipledger:asm". Replaying
 * those events in seq order into an empty view gives the live view back (ipl_asm_rebuild_check).
 *
 * Rules (docs/design/address-space.md): same-type objects never overlap inside one space (across
 * spaces they may); a subnet lies inside its block (given, or the block containing it; none =
 * unmapped); a range lies inside a subnet of its space; deleting an object with children is refused
 * unless cascade is asked, and a cascade deletes everything below in one transaction. Mutations are
 * serialised by an exclusive lock file in the store directory (asm.lock, flock) held from the
 * validation read to the commit: two ipledger processes never validate against the same snapshot,
 * so overlap checks and allocations never race (LMDB's writer lock then orders the commits).
 *
 * Ownership: functions that return text return owned strings (free with free()); views and results
 * are owned handles freed with their _free. Everything is bounded: IPL_ASM_OBJECTS_MAX objects
 * per type, IPL_ASM_JSON_MAX bytes per object, IPL_ASM_FIELDS_MAX fields per mutation.
 */
#ifndef IPL_ASM_H
#define IPL_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/store.h"

#define IPL_ASM_SOURCE        "ipledger:asm"
#define IPL_ASM_OBJECTS_MAX   2000000      /* objects of one type in the view */
#define IPL_ASM_JSON_MAX      4000         /* bytes of one object's JSON (fits an event attribute) */
#define IPL_ASM_FIELDS_MAX    64           /* key=value fields in one mutation */
#define IPL_ASM_NAME_MAX      64           /* space names */
#define IPL_ASM_FREE_MAX      65536        /* addresses / subnets / ranges one free search returns */
#define IPL_ASM_TREND_STEPS   100000       /* points in one trend */
#define IPL_ASM_DEFAULT_SPACE "default"
#define IPL_ASM_LOW_DEFAULT   20.0         /* utilization thresholds, percent */
#define IPL_ASM_HIGH_DEFAULT  80.0

typedef enum ipl_asm_type {
    IPL_ASM_SPACE, IPL_ASM_BLOCK, IPL_ASM_SUBNET, IPL_ASM_RANGE, IPL_ASM_ADDRESS, IPL_ASM__TYPES
} ipl_asm_type;
const char *ipl_asm_type_name(ipl_asm_type t);           /* "space", ... */
int ipl_asm_type_parse(const char *s, ipl_asm_type *t);   /* IPL_OK / IPL_EINVAL */

/* Who acts: principal "os:<login>", host name, clock (UTC µs; NULL = wall clock; tests freeze it). */
typedef struct ipl_asm_actor {
    char    principal[256];
    char    host[256];
    int64_t (*clock)(void);
} ipl_asm_actor;
void    ipl_asm_actor_default(ipl_asm_actor *a);
int64_t ipl_asm_now(const ipl_asm_actor *a);

/* ---- the view (read side) ---- */
typedef struct ipl_asm_view ipl_asm_view;
typedef struct ipl_asm_obj  ipl_asm_obj;       /* borrowed from its view */

/* Loads every asm object of the read transaction's snapshot (returns owned). */
int  ipl_asm_view_load(ipl_rtxn *t, ipl_asm_view **out, ipl_diag *d);
void ipl_asm_view_free(ipl_asm_view *v);
size_t ipl_asm_count(const ipl_asm_view *v, ipl_asm_type t);
/* Objects of a type in (space, address) order. */
const ipl_asm_obj *ipl_asm_at(const ipl_asm_view *v, ipl_asm_type t, size_t i);
/* An object by its text id: a space name, a prefix, "start-end" or an address. */
const ipl_asm_obj *ipl_asm_find(const ipl_asm_view *v, ipl_asm_type t, const char *space,
                                const char *id);
ipl_asm_type ipl_asm_obj_type(const ipl_asm_obj *o);
const char *ipl_asm_obj_space(const ipl_asm_obj *o);
const char *ipl_asm_obj_id(const ipl_asm_obj *o);            /* "10.1.0.0/16", "a-b", "10.1.2.3" */
void ipl_asm_obj_bounds(const ipl_asm_obj *o, uint8_t lo[16], uint8_t hi[16]);
/* A string field ("description", "managed_by", "state", ...) or NULL. */
const char *ipl_asm_obj_str(const ipl_asm_obj *o, const char *field);
/* The object's JSON (owned, free()). */
char *ipl_asm_obj_json(const ipl_asm_obj *o);
/* The smallest enclosing object of type `parent` in the same space, or NULL. */
const ipl_asm_obj *ipl_asm_parent(const ipl_asm_view *v, const ipl_asm_obj *o,
                                  ipl_asm_type parent);
/* Thresholds in percent for an object (its own, else the defaults). */
void ipl_asm_thresholds(const ipl_asm_obj *o, double *low, double *high);

/* ---- mutations ---- */
enum ipl_asm_action { IPL_ASM_CREATE, IPL_ASM_EDIT, IPL_ASM_DELETE };
typedef struct ipl_asm_change {
    ipl_asm_type type;
    int          action;            /* enum ipl_asm_action */
    const char  *space;             /* NULL = "default" (spaces: unused) */
    const char  *id;                /* space name, prefix, "start-end" or address */
    const char  *const *fields;     /* "key=value" (edit: "key=" removes; custom.X repeats add) */
    size_t       nfields;
    int          cascade;           /* delete: also everything below */
} ipl_asm_change;

/* Applies changes in order, all or nothing, under the lock, in one batch with one config.change
 * event per object touched; *first_seq receives the first event's seq (may be NULL). */
int ipl_asm_apply(ipl_store *st, const ipl_asm_actor *a, const ipl_asm_change *ch, size_t n,
                  uint64_t *first_seq, ipl_diag *d);

/* Replays the asm config.change events into an empty view and compares with the live view:
 * IPL_OK when identical (*objects = objects compared), IPL_ECORRUPT naming the first difference. */
int ipl_asm_rebuild_check(ipl_store *st, uint64_t *objects, uint64_t *events, ipl_diag *d);

/* ---- utilization (asm_util.c) ---- */
typedef struct ipl_asm_util {
    double size;        /* addresses (v6 sizes are large: double) */
    double used;        /* leased at T + static/reserved/in-use address objects */
    uint64_t leased;    /* of which held by a lease at T (who rule) */
    double pct;
} ipl_asm_util;
/* Addresses of [lo, hi] held by a lease at `at` (the who rule: the latest lease open/close event
 * at or before `at` decides): one reverse index scan over the key range. fn gets each held address
 * in descending order (may be NULL); *held receives the count. */
typedef int (*ipl_asm_held_fn)(void *ctx, const uint8_t ip[16]);
int ipl_asm_held(ipl_rtxn *t, const uint8_t lo[16], const uint8_t hi[16], int64_t at,
                 ipl_asm_held_fn fn, void *ctx, uint64_t *held, ipl_diag *d);
/* Utilization of a range, subnet (sum of its ranges) or block (sum of its subnets) at `at`. */
int ipl_asm_utilization(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *o, int64_t at,
                        ipl_asm_util *u, ipl_diag *d);
/* Utilization of many objects at one instant (alerts, the API's lists, reports): the cursor
 * counts the ranges from held-address windows (ipl_ix_held_bits) shared by neighbouring ranges,
 * so objects asked in view order read each index page about once. Borrows t and v, which must
 * outlive it; the answers equal ipl_asm_utilization's. Free with ipl_asm_utilcur_close. */
typedef struct ipl_asm_utilcur ipl_asm_utilcur;
int  ipl_asm_utilcur_open(ipl_rtxn *t, const ipl_asm_view *v, int64_t at, ipl_asm_utilcur **out,
                          ipl_diag *d);
int  ipl_asm_utilcur_get(ipl_asm_utilcur *c, const ipl_asm_obj *o, ipl_asm_util *u, ipl_diag *d);
void ipl_asm_utilcur_close(ipl_asm_utilcur *c);
/* Held-address counts of [lo, hi] at since, since+step, ... <= until (n points, owned array in
 * *counts, free()): one forward index scan, from the event history. */
int ipl_asm_trend(ipl_rtxn *t, const uint8_t lo[16], const uint8_t hi[16], int64_t since,
                  int64_t until, int64_t step, uint64_t **counts, size_t *n, ipl_diag *d);
/* Threshold check of every range/subnet/block at `at`: for each object whose state (low, normal,
 * high) differs from the last alert recorded for it, an alert event (kind alert, object, status
 * "low|normal|high", message) is committed with the new state in kv. *alerts = events written. */
int ipl_asm_alerts(ipl_store *st, const ipl_asm_actor *a, int64_t at, uint64_t *alerts,
                   ipl_diag *d);

/* ---- free search and allocation (asm_free.c) ---- */
/* The next n free addresses of a range at `at` (skipping exclusions, address objects that are
 * static/reserved/VIP or in use/reserved, and addresses leased at `at`); owned array of 16-byte
 * addresses in *ips (free()), *found <= n. */
int ipl_asm_free_addresses(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *range,
                           int64_t at, size_t n, uint8_t (**ips)[16], size_t *found, ipl_diag *d);
/* Free subnets of prefix length `bits` (text length: /24 = 24) in a block; free ranges of `count`
 * addresses in a subnet (not overlapping any range). Owned arrays of [lo, hi] pairs. */
int ipl_asm_free_subnets(const ipl_asm_view *v, const ipl_asm_obj *block, int bits, size_t n,
                         uint8_t (**lohi)[2][16], size_t *found, ipl_diag *d);
int ipl_asm_free_ranges(const ipl_asm_view *v, const ipl_asm_obj *subnet, uint64_t count, size_t n,
                        uint8_t (**lohi)[2][16], size_t *found, ipl_diag *d);
/* Atomic allocation: under the asm lock, finds the next n free addresses of the range in a fresh
 * snapshot and records each as an address object (state reserved, assignment given, fields) in one
 * batch. Two callers never receive the same address. Owned array in *ips. */
int ipl_asm_allocate(ipl_store *st, const ipl_asm_actor *a, const char *space, const char *range,
                     size_t n, const char *const *fields, size_t nfields, uint8_t (**ips)[16],
                     size_t *found, uint64_t *first_seq, ipl_diag *d);

/* Reclaim candidates: address objects of a space (NULL = all) whose address had no event in the
 * ip index for `days` days before `now` and is not leased now. fn gets each (borrowed) object and
 * its last activity (0 = none). */
typedef int (*ipl_asm_obj_fn)(void *ctx, const ipl_asm_obj *o, int64_t last);
int ipl_asm_reclaim_list(ipl_rtxn *t, const ipl_asm_view *v, const char *space, int64_t now,
                         int days, ipl_asm_obj_fn fn, void *ctx, ipl_diag *d);

/* ---- discovery (asm_model.c): ranges from DHCP lease traffic and scope configuration ----
 * Rule: per (server, /24 of IPv4 | /64 of IPv6) seen in lease.assign events between from and
 * to, or named as a scope ("[[10.20.30.0]Office-LAN]") by a config.change event of the server
 * in that window (except a deletion), a range (managed_by = the server, origin "discovered") over the /24 (.1-.254) or the /64, with
 * its subnet when no subnet contains it, unless a range of the default space already overlaps it.
 * *created = ranges created. */
int ipl_asm_discover(ipl_store *st, const ipl_asm_actor *a, int64_t from, int64_t to,
                     uint64_t *created, ipl_diag *d);

/* ---- conflicts (asm_conflict.c) ---- */
typedef struct ipl_asm_conflict {
    const char *type;       /* "range.overlap", "scope.duplicate", "static.leased",
                               "ip.two-macs", "dhcp.conflict" */
    const char *space;
    const char *object;     /* the objects or address involved */
    const char *detail;
    int64_t     ts;         /* when (0 for structural conflicts) */
} ipl_asm_conflict;
typedef int (*ipl_asm_conflict_fn)(void *ctx, const ipl_asm_conflict *c);
/* Every conflict at `at` and in lease history [from, to]; strings live until fn returns. */
int ipl_asm_conflicts(ipl_rtxn *t, const ipl_asm_view *v, int64_t from, int64_t to,
                      ipl_asm_conflict_fn fn, void *ctx, ipl_diag *d);

/* Records conflicts as `asm.conflict` events (the live tail and queries see them): each conflict
 * found now or in [from, to] that was not recorded before raises one event (status "open": object
 * = the conflict type, message = space, objects and detail, ip = the address or range start
 * involved); a structural conflict (range.overlap, found with ts 0) recorded before and no longer
 * found raises one with status "resolved". Lease-history conflicts are facts of the past and never
 * resolve. State: kv "asm.conflict" (key = SHA-256 of type, space, object, ts). Under the asm
 * lock, one batch. *raised / *resolved count the events written. */
int ipl_asm_conflicts_record(ipl_store *st, const ipl_asm_actor *a, int64_t from, int64_t to,
                             uint64_t *raised, uint64_t *resolved, ipl_diag *d);

/* ---- logical groups (asm_group.c) ----
 * A named tree over one object type built from its fields: level k = the values of field k
 * (owner, vlan, managed_by, ... or custom.NAME; multi-valued custom fields put an object under
 * each value; unset = "(none)"). Definitions are kv objects changed with config.change events
 * (object "asm.group"); evaluation gives one row per node with its objects and summed
 * utilization at an instant. */
#define IPL_ASM_GROUP_LEVELS 8
#define IPL_ASM_GROUP_FANOUT 64        /* values of one multi-valued field used per object */
#define IPL_ASM_GROUP_PATH   1024
#define IPL_ASM_GROUP_NODES  100000
typedef struct ipl_asm_group {
    char         name[IPL_ASM_NAME_MAX];
    ipl_asm_type type;
    size_t       nby;
    char         by[IPL_ASM_GROUP_LEVELS][80];
} ipl_asm_group;
int ipl_asm_group_put(ipl_store *st, const ipl_asm_actor *a, const char *name, ipl_asm_type type,
                      const char *const *by, size_t nby, ipl_diag *d);
int ipl_asm_group_delete(ipl_store *st, const ipl_asm_actor *a, const char *name, ipl_diag *d);
typedef int (*ipl_asm_group_fn)(void *ctx, const ipl_asm_group *g);
int ipl_asm_group_list(ipl_rtxn *t, ipl_asm_group_fn fn, void *ctx, ipl_diag *d);
int ipl_asm_group_get(ipl_rtxn *t, const char *name, ipl_asm_group *g, ipl_diag *d);
typedef struct ipl_asm_group_row {
    const char  *path;        /* "EU/ams" */
    int          depth;       /* 1 = the first field's values */
    uint64_t     objects;
    ipl_asm_util u;           /* summed (addresses: size = 1 each, no lease lookup) */
} ipl_asm_group_row;
typedef int (*ipl_asm_group_row_fn)(void *ctx, const ipl_asm_group_row *r);
/* Rows in path order (a parent before its children). */
int ipl_asm_group_eval(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_group *g, int64_t at,
                       ipl_asm_group_row_fn fn, void *ctx, ipl_diag *d);

/* ---- CSV (asm_csv.c) ---- */
#define IPL_ASM_CSV_LINE_MAX 8192
#define IPL_ASM_CSV_ROWS_MAX 1000000
/* Import: a header row with IPAM's column names (Network, Start IP address, End IP address,
 * IP address, Managed by service, Service instance, Assignment type, IP address state, MAC
 * address, Device name, Description, Owner, VLAN ID, Expiry date, ...) or ipledger's own (type,
 * space, id, field names). Each valid row is applied (its own transaction); each invalid row is
 * reported through err(row number, message); *ok / *bad count them. */
typedef int (*ipl_asm_rowerr_fn)(void *ctx, uint64_t row, const char *msg);
int ipl_asm_csv_import(ipl_store *st, const ipl_asm_actor *a, ipl_asm_type type,
                       const char *space, const char *text, size_t len, ipl_asm_rowerr_fn err,
                       void *ctx, uint64_t *ok, uint64_t *bad, ipl_diag *d);
/* Export of one type with IPAM's column names (ipam = 1) or ipledger's; write gets the bytes. */
typedef int (*ipl_asm_write_fn)(void *ctx, const char *buf, size_t n);
int ipl_asm_csv_export(const ipl_asm_view *v, ipl_asm_type type, const char *space, int ipam,
                       ipl_asm_write_fn w, void *ctx, ipl_diag *d);

#endif
