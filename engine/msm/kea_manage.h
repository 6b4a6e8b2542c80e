/* engine/msm/kea_manage.h — managing registered Kea servers: registration, the last known
 * configuration, drift, and changes sent through the control channel (docs/kea.md).
 *
 * Store layout (kv):
 *   "kea.server"/NAME -> {"endpoint", "service", "registered_by", "registered_at"}
 *   "kea.config"/NAME -> {"hash", "read_at", "bytes", "parts"}  the last configuration confirmed
 *                        by config-get (never a configuration Kea was not seen to have), its JSON
 *                        in "kea.config.part"/"NAME/000", "NAME/001", ... (900 KiB each)
 * Events (config.change, source "ipledger:kea", server NAME, user and "subject" the principal):
 *   object "kea:NAME" action register|unregister;
 *   object "kea:NAME/subnet4[id=N]" (or "kea:NAME/Dhcp4.KEY" for other settings) with "old"/"new"
 *   the object's JSON (for an edit: only the keys that differ), "result" ok or failed, "error",
 *   "config_hash" the server's config after the change; drift is the same with user "external".
 * A change: config-get -> drift check against the last known -> edit the JSON (validated) ->
 * config-test -> config-set -> config-write -> config-get to confirm -> events + last known, in
 * one batch. Any failure records a failed event and leaves Kea as it was (a config-set followed by
 * a failed config-write is undone by setting the previous config back, and the event says so).
 *
 * JSON ownership: functions taking cJSON * borrow it; those returning cJSON ** return owned
 * trees, free with cJSON_Delete.
 */
#ifndef IPL_KEA_MANAGE_H
#define IPL_KEA_MANAGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine/diag.h"
#include "engine/msm/kea.h"
#include "engine/store.h"

#define IPL_KEA_NAME_MAX   64
#define IPL_KEA_SOURCE     "ipledger:kea"
#define IPL_KEA_EXTERNAL   "external"          /* the principal of drift */
#define IPL_KEA_CONFIG_MAX (64u << 20)         /* bytes of a last-known config kept in kv */
#define IPL_KEA_LIST_MAX   1024                /* subnets named in one --subnets list */

typedef struct ipl_kea_actor {
    const char *principal;      /* "cli:alice", "token:ops" */
    int64_t (*clock)(void);     /* NULL = the wall clock (µs) */
    int timeout_ms;             /* per Kea command; 0 = IPL_KEA_TIMEOUT_MS */
} ipl_kea_actor;

typedef struct ipl_kea_server {
    char    name[IPL_KEA_NAME_MAX + 1];
    char    endpoint[IPL_KEA_ENDPOINT_MAX + 1];
    char    service[8];         /* dhcp4 | dhcp6 */
    char    by[128];
    int64_t at;
} ipl_kea_server;

/* Registers NAME (letters, digits, . _ -) with a config.change event; IPL_EEXIST if taken. Then
 * tries a config-get to keep the first known config: *baseline 1 when it was taken, else 0 and
 * warn gets the reason (the server stays registered). */
int ipl_kea_register(ipl_store *st, const char *name, const char *endpoint, const char *service,
                     const ipl_kea_actor *a, int *baseline, char *warn, size_t wn, ipl_diag *d);
int ipl_kea_unregister(ipl_store *st, const char *name, const ipl_kea_actor *a, ipl_diag *d);
int ipl_kea_server_get(ipl_store *st, const char *name, ipl_kea_server *s, ipl_diag *d);
typedef int (*ipl_kea_server_fn)(void *ctx, const ipl_kea_server *s);
int ipl_kea_server_list(ipl_store *st, ipl_kea_server_fn fn, void *ctx, ipl_diag *d);

/* Reads the server's config (config-get) and compares it with the last known one. record = 1:
 * drift is recorded (one event per differing object, user "external") with the new last known
 * config; record = 0: only counted. *config (may be NULL) gets the {"Dhcp4": ...} object;
 * *ndrift the number of differing objects; report (may be NULL) is called for each of them
 * (see ipl_kea_diff). A failed read with record = 1 is recorded too. */
typedef int (*ipl_kea_diff_fn)(void *ctx, const char *object, const cJSON *old_v,
                               const cJSON *new_v);
int ipl_kea_read(ipl_store *st, const char *name, const ipl_kea_actor *a, int record,
                 cJSON **config, size_t *ndrift, ipl_kea_diff_fn report, void *rctx, ipl_diag *d);

/* One change. */
typedef enum ipl_kea_op {
    IPL_KEA_SUBNET_ADD, IPL_KEA_SUBNET_EDIT, IPL_KEA_SUBNET_DELETE, IPL_KEA_POOL_ADD,
    IPL_KEA_POOL_DELETE, IPL_KEA_OPTIONS, IPL_KEA_RESV_ADD, IPL_KEA_RESV_REMOVE
} ipl_kea_op;
typedef enum ipl_kea_optop {
    IPL_KEA_OPT_ADD,        /* only where the option is absent */
    IPL_KEA_OPT_SET,        /* overwrite, or add */
    IPL_KEA_OPT_REPLACE,    /* find-and-replace inside the option's value */
    IPL_KEA_OPT_DELETE
} ipl_kea_optop;

typedef struct ipl_kea_edit {
    ipl_kea_op op;
    int64_t     subnet_id;              /* 0 for SUBNET_ADD: the next free id */
    const char *prefix;                 /* SUBNET_ADD; SUBNET_EDIT (optional) */
    const char *const *pools;           /* "A-B" or a prefix; POOL_*: pools[0] */
    size_t      npools;                 /* SUBNET_EDIT: when > 0 the pools are replaced */
    const char *const *options;         /* "name=value", SUBNET_ADD/EDIT (set) */
    size_t      noptions;
    const int64_t *subnets;             /* OPTIONS: the subnets; nsubnets 0 = all */
    size_t      nsubnets;
    ipl_kea_optop optop;                /* OPTIONS */
    const char *optname, *optvalue, *optold;   /* value: add/set/replace-new; old: replace */
    const char *ip, *mac, *hostname;    /* RESV_* */
} ipl_kea_edit;

const char *ipl_kea_op_name(ipl_kea_op op);   /* "subnet.add", "options.set", ... */

/* The outcome of ipl_kea_apply. */
typedef struct ipl_kea_result {
    size_t  changed;            /* objects changed (events recorded with result ok) */
    size_t  drift;              /* external changes found and recorded first */
    int64_t subnet_id;          /* SUBNET_ADD: the id given */
    char    hash[65];           /* config hash after */
} ipl_kea_result;

/* Applies e to server NAME (see the top of this file). IPL_OK also when nothing needed to change
 * (res->changed 0, Kea not asked to change). On failure d says what and why, and the failure is
 * recorded (unless the store itself failed). */
int ipl_kea_apply(ipl_store *st, const char *name, const ipl_kea_actor *a, const ipl_kea_edit *e,
                  ipl_kea_result *res, ipl_diag *d);

/* ---- pure pieces (tested without Kea) ---- */
/* Applies e to a config {"Dhcp4": {...}} (or Dhcp6) in place, with validation: unknown subnet
 * id, overlapping prefix, pool outside its subnet or overlapping another, duplicate reservation,
 * malformed values. All or nothing: on an error config is as it was. */
int ipl_kea_edit_config(cJSON *config, const char *service, const ipl_kea_edit *e,
                        int64_t *new_id, ipl_diag *d);
/* Calls fn for every object that differs between two configs: subnets by id (object
 * "subnet4[id=N]"; old NULL when added, new NULL when removed, for an edit only the differing
 * keys), other settings by key ("Dhcp4.KEY"). Borrowed values live during the call. Returns the
 * number of differences, or fn's first non-zero (negative) value. */
int ipl_kea_diff(const cJSON *old_cfg, const cJSON *new_cfg, ipl_kea_diff_fn fn, void *ctx);
/* SHA-256 (hex) of a config's unformatted JSON. */
int ipl_kea_config_hash(const cJSON *config, char out[65]);
/* Parses "1,2,5" (or "all": *n = 0) into ids (at most cap). */
int ipl_kea_parse_ids(const char *s, int64_t *ids, size_t cap, size_t *n, ipl_diag *d);

#endif
