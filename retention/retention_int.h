/* retention/retention_int.h — what the files of retention/ share; not a public header.
 *
 * JSON. Records this layer keeps in the store's kv area (holds, the purge's progress record) and
 * the texts it puts into audit events are written with the small builder below (no cJSON: nothing
 * changes owner) and read back with cJSON, parse -> read -> delete, never adding items (cJSON's
 * ownership rules then never come up). Every JSON input is bounded: size by the caller, depth by
 * ipl_rj_parse.
 *
 * Locks. Two advisory lock files in the store directory (flock; released by the kernel when a
 * process dies, so a killed purge never leaves a stale lock):
 *   purge.lock   exclusive for the run of a purge, retention apply, compact or restore
 *   hold.lock    exclusive while a hold is added or removed; shared while a purge selects and
 *                deletes one batch, so a hold added during a purge protects from the next batch on
 */
#ifndef IPL_RETENTION_INT_H
#define IPL_RETENTION_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/store.h"

/* ---- a bounded string builder ---- */
typedef struct ipl_sb {
    char  *p;
    size_t n, cap, max;        /* max: hard cap on the length (hitting it sets err) */
    int    err;                /* IPL_ENOMEM or IPL_ELIMIT once something did not fit */
} ipl_sb;

void ipl_sb_init(ipl_sb *b, size_t max);
void ipl_sb_release(ipl_sb *b);
void ipl_sb_put(ipl_sb *b, const char *s, size_t n);
void ipl_sb_puts(ipl_sb *b, const char *s);
void ipl_sb_printf(ipl_sb *b, const char *fmt, ...) IPL_PRINTF(2, 3);
void ipl_sb_json_str(ipl_sb *b, const char *s);   /* "escaped", or null for NULL */
void ipl_sb_json_strn(ipl_sb *b, const char *s, size_t n);
/* Takes the text (NUL-terminated, owned by the caller: free()); the builder is left empty. */
char *ipl_sb_take(ipl_sb *b);

/* ---- JSON reading ---- */
#define IPL_RJ_DEPTH 8
/* Parses len bytes; IPL_EPARSE (naming `what` and the offset) for bad JSON, IPL_ELIMIT for
 * nesting deeper than max_depth. Returns owned: cJSON_Delete. */
int ipl_rj_parse(const char *text, size_t len, int max_depth, const char *what, cJSON **out,
                 ipl_diag *d);
const char *ipl_rj_str(const cJSON *obj, const char *name);          /* NULL if absent / not a string */
int ipl_rj_u64(const cJSON *obj, const char *name, uint64_t *v);      /* IPL_OK / IPL_ENOTFOUND / IPL_EINVAL */
int ipl_rj_i64(const cJSON *obj, const char *name, int64_t *v);

/* ---- a string -> counter map (per-source counts), at most `cap` names, the rest counted in
 * `other` ---- */
typedef struct ipl_strcount {
    struct ipl_sc_slot { const char *s; uint64_t n; } *slots;
    size_t nslots, count, cap;
    uint64_t other;            /* counted under no name (the map was full) */
    ipl_arena strings;
} ipl_strcount;
int  ipl_strcount_init(ipl_strcount *m, size_t cap);
void ipl_strcount_release(ipl_strcount *m);
int  ipl_strcount_add(ipl_strcount *m, const char *s, uint64_t n);
/* The entries sorted by count (descending), then name; returns owned (free), *n entries. */
struct ipl_sc_slot *ipl_strcount_sorted(const ipl_strcount *m, size_t *n);

/* ---- kind patterns: "lease.assign", a family "lease.*" (every kind whose name starts with
 * "lease."), or "*" ---- */
typedef struct ipl_kindset {
    uint8_t bits[32];
    int     any;             /* at least one pattern was added */
    int     purge_named;     /* "retention.purge" was named exactly (purge events are protected
                                from every other pattern) */
} ipl_kindset;
/* IPL_EINVAL naming the pattern when it matches no kind. */
int ipl_kindset_add(ipl_kindset *k, const char *pattern, ipl_diag *d);
static inline int ipl_kindset_has(const ipl_kindset *k, unsigned kind)
{
    return kind < 256 && (k->bits[kind >> 3] >> (kind & 7) & 1);
}

/* Source patterns: a source name as `ipledger sources` shows it ("file:/var/log/x.log") matches
 * exactly; a pattern ending in '*' matches every source starting with the rest. */
int ipl_source_match(const char *pattern, const char *source);

/* ---- --where: the events a query selects (where.c) ---- */
#define IPL_WHERE_SEQ_MAX (UINT64_C(1) << 33)
typedef struct ipl_seqset {
    uint8_t *bits;             /* bit s: seq s was selected */
    uint64_t limit;            /* the largest seq the set knows about (last_seq when it ran) */
    uint64_t count;
} ipl_seqset;
/* Compiles the query (no store): errors point at the line and column; IPL_EINVAL when it does
 * not return events. */
int  ipl_where_check(const char *text, int64_t now, ipl_diag *d);
/* Runs it in t and fills s (returns owned: ipl_seqset_release). */
int  ipl_where_run(ipl_rtxn *t, const char *text, int64_t now, ipl_seqset *s, ipl_diag *d);
void ipl_seqset_release(ipl_seqset *s);
static inline int ipl_seqset_has(const ipl_seqset *s, uint64_t seq)
{
    return seq <= s->limit && (s->bits[seq >> 3] >> (seq & 7) & 1);
}

/* ---- locks ---- */
enum { IPL_LOCK_SH = 1, IPL_LOCK_EX = 2, IPL_LOCK_NB = 4 };
/* Opens (creating) DIR/NAME and flocks it; *fd receives the descriptor (close to release).
 * IPL_EBUSY when IPL_LOCK_NB and someone else holds it. */
int  ipl_lock_file(const char *dir, const char *name, int how, int *fd, ipl_diag *d);
void ipl_unlock_file(int fd);
/* 1 when another process has the LMDB environment in DIR open (LMDB holds a shared fcntl lock
 * on byte 0 of lock.mdb for as long as an environment is open); 0 when none; the pid in *pid.
 * Must be called while this process does not have the environment open itself. */
int ipl_store_in_use(const char *dir, long *pid);

/* "os:<login>" of the effective user; the host name. */
void ipl_principal(char *buf, size_t n);
void ipl_hostname(char *buf, size_t n);

#endif
