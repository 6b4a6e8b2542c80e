/* engine/store.c — opening the LMDB environment, the write path (batch -> one transaction) and
 * the read path (events, sources, quarantine, stats). Layout and LMDB rules: store.h.
 *
 * The chain (tamper evidence): one SHA-256 stream over everything committed, in commit order:
 *   for each event: first every dictionary entry with an id up to the largest id the record
 *   references that is not hashed yet, as 0xD1 | id (BE32) | len (BE32) | bytes; then
 *   0xE1 | seq (BE64) | len (BE32) | record bytes.
 * The stream state (not just its digest) is kept in meta after every batch, so the head digest
 * does not depend on where batches were cut: a run killed and resumed ends with the same head as
 * an uninterrupted one. Each batch also leaves a checkpoint (state after it) in `chain`, keyed by
 * its last seq, so verify can check any suffix and purges can re-seal around removed events.
 */
#include "engine/err.h"
#include "engine/store_int.h"
#include "engine/tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static const char *const db_names[DB__COUNT] = {
    "meta", "events", "dict.s", "dict.i", "ix.ip", "ix.mac", "ix.host", "ix.user", "ix.time",
    "sources", "quarantine", "chain", "kv", "ix.ipnow",
};

#define INITIAL_MAP ((size_t)256 << 20)
#define MAX_MAP_STEP ((size_t)8 << 30)
#define DCACHE_SLOTS ((size_t)1 << 20)

int ipl_store_mdb_err(ipl_diag *d, int rc, const char *what, const char *dir)
{
    int code = IPL_ESTORE;
    if (rc == ENOSPC)
        code = IPL_ENOSPC;
    else if (rc == EACCES || rc == EROFS || rc == EPERM)
        code = IPL_EACCES;
    else if (rc == ENOMEM)
        code = IPL_ENOMEM;
    else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
        code = IPL_ECORRUPT;
    else if (rc == MDB_MAP_FULL)
        code = IPL_ELIMIT;
    else if (rc == EIO) {
        /* LMDB reports a short write (the disk filled up mid-write) as EIO: tell them apart */
        struct statvfs vfs;
        if (dir && statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_bsize < ((uint64_t)4 << 20))
            return ipl_diag_set(d, IPL_ENOSPC,
                                "cannot %s in store '%s': no space left on device (%llu KiB free; "
                                "nothing of this batch was committed)",
                                what, dir, (unsigned long long)vfs.f_bavail * vfs.f_bsize / 1024);
        code = IPL_EIO;
    }
    if (code == IPL_ENOSPC)
        return ipl_diag_set(d, code, "cannot %s in store '%s': no space left on device (nothing of "
                            "this batch was committed)", what, dir);
    return ipl_diag_set(d, code, "cannot %s in store '%s': %s", what, dir, mdb_strerror(rc));
}

const char *ipl_store_default_dir(const char *flag)
{
    if (flag && *flag)
        return flag;
    const char *e = getenv("IPLEDGER_STORE");
    return e && *e ? e : IPL_STORE_DEFAULT_DIR;
}

const char *ipl_store_dir(const ipl_store *st)
{
    return st->dir;
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
}

static int mkdir_p(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0775) != 0 && errno != EEXIST)
                return errno;
            buf[i] = c;
        }
    }
    return 0;
}

void ipl_store_close(ipl_store *st)
{
    if (!st)
        return;
    if (st->env)
        mdb_env_close(st->env);
    ipl_dcache_release(&st->dcache);
    pthread_mutex_destroy(&st->wlock);
    pthread_mutex_destroy(&st->gate_mu);
    pthread_cond_destroy(&st->gate_cv);
    free(st->dir);
    free(st);
}

/* ---- the map gate (store_int.h) ---- */
static _Thread_local unsigned gate_mine;

unsigned ipl_store_thread_txns(void) { return gate_mine; }

void ipl_gate_enter(ipl_store *st)
{
    pthread_mutex_lock(&st->gate_mu);
    while (st->gate_growing && !gate_mine)  /* a thread holding one never waits (the grower waits for it) */
        pthread_cond_wait(&st->gate_cv, &st->gate_mu);
    st->gate_users++;
    gate_mine++;
    pthread_mutex_unlock(&st->gate_mu);
}

void ipl_gate_leave(ipl_store *st)
{
    pthread_mutex_lock(&st->gate_mu);
    st->gate_users--;
    gate_mine--;
    if (st->gate_growing)
        pthread_cond_broadcast(&st->gate_cv);
    pthread_mutex_unlock(&st->gate_mu);
}

void ipl_wlock_take(ipl_store *st)
{
    if (!gate_mine) {
        pthread_mutex_lock(&st->wlock);
        return;
    }
    pthread_mutex_lock(&st->gate_mu);
    st->gate_held_waiting++;
    pthread_cond_broadcast(&st->gate_cv);   /* a grower waiting for this thread backs off */
    pthread_mutex_unlock(&st->gate_mu);
    pthread_mutex_lock(&st->wlock);
    pthread_mutex_lock(&st->gate_mu);
    st->gate_held_waiting--;
    pthread_mutex_unlock(&st->gate_mu);
}

void ipl_wlock_yield(ipl_store *st)
{
    pthread_mutex_unlock(&st->wlock);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    ipl_wlock_take(st);
}

int ipl_gate_resize(ipl_store *st, size_t size, int back_off)
{
    int rc;
    pthread_mutex_lock(&st->gate_mu);
    if (st->gate_growing) {
        /* another thread grows the map: it waits for this thread's transactions, so only a
         * thread without any may wait for it (and then retries with the new size) */
        if (gate_mine) {
            pthread_mutex_unlock(&st->gate_mu);
            return EBUSY;
        }
        while (st->gate_growing)
            pthread_cond_wait(&st->gate_cv, &st->gate_mu);
    }
    st->gate_growing = 1;
    while (st->gate_users > gate_mine) {
        if (back_off && st->gate_held_waiting) {
            st->gate_growing = 0;
            pthread_cond_broadcast(&st->gate_cv);
            pthread_mutex_unlock(&st->gate_mu);
            return EAGAIN;
        }
        pthread_cond_wait(&st->gate_cv, &st->gate_mu);
    }
    rc = mdb_env_set_mapsize(st->env, size);
    if (rc == 0) {
        MDB_envinfo ei;
        if (mdb_env_info(st->env, &ei) == 0 && ei.me_mapsize > st->map_size)
            st->map_size = ei.me_mapsize;
    }
    st->gate_growing = 0;
    pthread_cond_broadcast(&st->gate_cv);
    pthread_mutex_unlock(&st->gate_mu);
    return rc;
}

static int meta_get(MDB_txn *txn, ipl_store *st, const char *key, MDB_val *v)
{
    MDB_val k = {strlen(key), (void *)key};
    return mdb_get(txn, st->dbi[DB_META], &k, v);
}

static int meta_put(MDB_txn *txn, ipl_store *st, const char *key, const void *val, size_t n)
{
    MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)val};
    return mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
}

/* Opens the named databases (creating them in a writable store) and checks or writes meta. */
static int open_dbs(ipl_store *st, ipl_diag *d)
{
    int rdonly = st->flags & IPL_STORE_RDONLY, upgrade = 0;
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, &txn), err = IPL_OK;
    if (rc) {
        err = ipl_store_mdb_err(d, rc, "begin a transaction", st->dir);
        goto out;
    }
    /* meta first: a store of another format is refused before its other databases are opened
     * (format 3's DUPSORT indexes cannot be opened as format 4's plain ones) */
    rc = mdb_dbi_open(txn, db_names[DB_META], rdonly ? 0 : MDB_CREATE, &st->dbi[DB_META]);
    if (rc == MDB_NOTFOUND) {
        err = ipl_diag_set(d, IPL_EFORMAT, "'%s' is not an ipledger store (no metadata)", st->dir);
        goto out;
    }
    if (rc) {
        err = ipl_store_mdb_err(d, rc, "open database", st->dir);
        goto out;
    }
    MDB_val v;
    rc = meta_get(txn, st, "format", &v);
    if (rc == MDB_NOTFOUND && !rdonly) {
        uint8_t f[4], c[8];
        ipl_be32(f, IPL_STORE_FORMAT);
        ipl_be64(c, (uint64_t)wall_us());
        if ((rc = meta_put(txn, st, "format", f, 4)) || (rc = meta_put(txn, st, "created", c, 8))) {
            err = ipl_store_mdb_err(d, rc, "initialise", st->dir);
            goto out;
        }
    } else if (rc) {
        err = rc == MDB_NOTFOUND
                  ? ipl_diag_set(d, IPL_EFORMAT, "'%s' is not an ipledger store (no format)", st->dir)
                  : ipl_store_mdb_err(d, rc, "read metadata", st->dir);
        goto out;
    } else {
        uint32_t fmt = v.mv_size == 4 ? ipl_get_be32(v.mv_data) : 0;
        if (fmt == 0) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "store '%s' has an unreadable format field", st->dir);
            goto out;
        }
        if (fmt > IPL_STORE_FORMAT) {
            err = ipl_diag_set(d, IPL_EFORMAT,
                               "store '%s' has format %u, newer than the format %d this ipledger "
                               "reads: use a newer ipledger (the store was not changed)",
                               st->dir, fmt, IPL_STORE_FORMAT);
            goto out;
        }
        /* 1: no week prefix; 2: no kind class in index values; 3: DUPSORT index values (one
         * 12-byte duplicate per entry) instead of format 4's compressed chunks, and version-1
         * records (format 4 writes version 2; version 1 is still decoded); 4: no ix.ipnow
         * (format 5's current lease state, ipnow.c): read without it, upgraded below when
         * opened for writing */
        if (fmt == 4) {
            upgrade = 1;
        } else if (fmt < IPL_STORE_FORMAT) {
            err = ipl_diag_set(d, IPL_EFORMAT,
                               "store '%s' has format %u, older than the format %d this ipledger "
                               "reads (its indexes are laid out differently): re-ingest its logs "
                               "into a new store, or use the ipledger that wrote it (the store was "
                               "not changed)", st->dir, fmt, IPL_STORE_FORMAT);
            goto out;
        }
    }
    for (int i = 0; i < DB__COUNT; i++) {
        if (i == DB_META)
            continue;
        unsigned fl = rdonly ? 0 : MDB_CREATE;
        rc = mdb_dbi_open(txn, db_names[i], fl, &st->dbi[i]);
        if (rc == MDB_NOTFOUND && (i == DB_KV || i == DB_IPNOW) && rdonly)
            continue;   /* a store from before `kv` (reads of it see nothing) or of format 4 */
        if (i == DB_KV && rc == 0)
            st->has_kv = 1;
        if (i == DB_IPNOW && rc == 0)
            st->has_ipnow = !upgrade;
        if (rc) {
            err = ipl_store_mdb_err(d, rc, "open database", st->dir);
            goto out;
        }
    }
    /* format 4 -> 5: ix.ipnow built from ix.ip, in this transaction with the format's change */
    if (upgrade && !rdonly) {
        uint8_t f[4];
        ipl_be32(f, IPL_STORE_FORMAT);
        if ((rc = ipl_ipnow_rebuild(st, txn)) || (rc = meta_put(txn, st, "format", f, 4))) {
            err = ipl_store_mdb_err(d, rc, "upgrade to format 5 (build the current lease state)",
                                    st->dir);
            goto out;
        }
        st->has_ipnow = 1;
    }
    /* committed even when read-only: database handles opened in an aborted transaction are
     * closed with it */
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        err = ipl_store_mdb_err(d, rc, "initialise", st->dir);
out:
    if (txn)
        mdb_txn_abort(txn);
    return err;
}

int ipl_store_open(ipl_store **out, const char *dir, unsigned flags, ipl_diag *d)
{
    int err = IPL_OK, rc;
    *out = NULL;
    ipl_store *st = calloc(1, sizeof *st);
    if (st) {
        pthread_mutex_init(&st->wlock, NULL);
        pthread_mutex_init(&st->gate_mu, NULL);
        pthread_cond_init(&st->gate_cv, NULL);
    }
    if (!st || !(st->dir = strdup(dir))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "cannot open store '%s': out of memory", dir);
        goto out;
    }
    st->flags = flags;
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || !(flags & IPL_STORE_CREATE)) {
            err = ipl_diag_set(d, errno == ENOENT ? IPL_ENOTFOUND : IPL_EIO,
                               errno == ENOENT ? "store '%s' does not exist (run 'ipledger init' "
                                                 "or ingest something first)"
                                               : "cannot open store '%s': %s",
                               dir, strerror(errno));
            goto out;
        }
        if ((rc = mkdir_p(dir)) != 0) {
            err = ipl_diag_set(d, rc == EACCES || rc == EROFS ? IPL_EACCES : IPL_EIO,
                               "cannot create store directory '%s': %s", dir, strerror(rc));
            goto out;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        err = ipl_diag_set(d, IPL_EINVAL, "store '%s' is not a directory", dir);
        goto out;
    } else if (!(flags & IPL_STORE_CREATE)) {
        /* without CREATE an empty directory is a missing store (LMDB would create one) */
        char data[4200];
        snprintf(data, sizeof data, "%s/data.mdb", dir);
        if (stat(data, &sb) != 0 && errno == ENOENT) {
            err = ipl_diag_set(d, IPL_ENOTFOUND,
                               "'%s' holds no ipledger store (run 'ipledger init' first)", dir);
            goto out;
        }
    }
    if (!(flags & IPL_STORE_RDONLY) && access(dir, W_OK) != 0) {
        err = ipl_diag_set(d, IPL_EACCES, "store directory '%s' is not writable: %s", dir,
                           strerror(errno));
        goto out;
    }
    if ((rc = mdb_env_create(&st->env)) || (rc = mdb_env_set_maxdbs(st->env, DB__COUNT + 4))) {
        err = ipl_store_mdb_err(d, rc, "create the environment", dir);
        goto out;
    }
    if (!(flags & IPL_STORE_RDONLY)) {
        const char *ms = getenv("IPLEDGER_MAP_SIZE"); /* tests force map growth with a tiny map */
        st->map_size = ms ? (size_t)strtoull(ms, NULL, 10) : INITIAL_MAP;
        if (st->map_size < ((size_t)1 << 16))
            st->map_size = (size_t)1 << 16;
        if ((rc = mdb_env_set_mapsize(st->env, st->map_size))) {
            err = ipl_store_mdb_err(d, rc, "size the map", dir);
            goto out;
        }
    }
    rc = mdb_env_open(st->env, dir, MDB_NOTLS | ((flags & IPL_STORE_RDONLY) ? MDB_RDONLY : 0), 0664);
    if (rc) {
        if (rc == ENOENT)
            err = ipl_diag_set(d, IPL_ENOTFOUND,
                               "'%s' holds no ipledger store (run 'ipledger init' first)", dir);
        else
            err = ipl_store_mdb_err(d, rc, "open", dir);
        goto out;
    }
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    if (info.me_mapsize > st->map_size)
        st->map_size = info.me_mapsize;
    if ((err = open_dbs(st, d)))
        goto out;
    if (!(flags & IPL_STORE_RDONLY) && (err = ipl_dcache_init(&st->dcache, DCACHE_SLOTS))) {
        ipl_diag_set(d, err, "cannot open store '%s': out of memory", dir);
        goto out;
    }
    *out = st;
    st = NULL;
out:
    ipl_store_close(st);
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* batches                                                                                    */

typedef struct bquar {
    const char *source, *reason, *raw;
    size_t rawlen;
    uint64_t line, offset;
} bquar;

typedef struct bsrc {
    const char *source;
    ipl_source_pos pos;
} bsrc;

typedef struct bkv {
    const char *key;          /* "ns\0key" */
    size_t keylen;
    const void *val;          /* NULL: delete */
    size_t vallen;
} bkv;

typedef struct ixent {
    uint8_t key[IPL_IXKEY_MAX];
    uint8_t val[IPL_IXVAL];
} ixent;

struct ipl_batch {
    ipl_arena arena;
    ipl_event *ev;
    size_t nev, capev;
    bquar *q;
    size_t nq, capq;
    bsrc *src;
    size_t nsrc, capsrc;
    bkv *kv;
    size_t nkv, capkv;
    ixent *ix[IPL_IX__COUNT];
    size_t nix[IPL_IX__COUNT], capix[IPL_IX__COUNT];
    uint8_t *rec;                   /* IPL_RECORD_MAX scratch */
};

int ipl_batch_new(ipl_batch **out)
{
    ipl_batch *b = calloc(1, sizeof *b);
    if (!b)
        return IPL_ENOMEM;
    ipl_arena_init(&b->arena, (size_t)1 << 30);
    b->rec = malloc(IPL_RECORD_MAX);
    if (!b->rec) {
        free(b);
        return IPL_ENOMEM;
    }
    *out = b;
    return IPL_OK;
}

void ipl_batch_free(ipl_batch *b)
{
    if (!b)
        return;
    ipl_arena_release(&b->arena);
    free(b->ev);
    free(b->q);
    free(b->src);
    free(b->kv);
    for (int i = 0; i < IPL_IX__COUNT; i++)
        free(b->ix[i]);
    free(b->rec);
    free(b);
}

void ipl_batch_clear(ipl_batch *b)
{
    ipl_arena_clear(&b->arena);
    b->nev = b->nq = b->nsrc = b->nkv = 0;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem);

#define KV_KEY_MAX 480
#define KV_VAL_MAX ((size_t)1 << 20)

static int kv_add(ipl_batch *b, const char *ns, const char *key, const void *val, size_t n,
                  ipl_diag *d)
{
    size_t nl = strlen(ns), kl = strlen(key);
    if (!nl || nl + 1 + kl > KV_KEY_MAX || memchr(ns, '\0', nl))
        return ipl_diag_set(d, IPL_ELIMIT, "key '%s/%s' is empty or longer than %d bytes", ns, key,
                            KV_KEY_MAX);
    if (val && n > KV_VAL_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "value of '%s/%s' exceeds %zu bytes", ns, key, KV_VAL_MAX);
    if (grow((void **)&b->kv, &b->capkv, b->nkv + 1, sizeof *b->kv))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    char *k = ipl_arena_alloc(&b->arena, nl + 1 + kl);
    void *v = val ? ipl_arena_alloc(&b->arena, n ? n : 1) : NULL;
    if (!k || (val && !v))
        return ipl_diag_set(d, IPL_ENOMEM, "batch memory exhausted");
    memcpy(k, ns, nl);
    k[nl] = '\0';
    memcpy(k + nl + 1, key, kl);
    if (val && n)
        memcpy(v, val, n);
    b->kv[b->nkv++] = (bkv){k, nl + 1 + kl, v, n};
    return IPL_OK;
}

int ipl_batch_kv_put(ipl_batch *b, const char *ns, const char *key, const void *val, size_t n,
                     ipl_diag *d)
{
    return kv_add(b, ns, key, val ? val : "", val ? n : 0, d);
}

int ipl_batch_kv_del(ipl_batch *b, const char *ns, const char *key, ipl_diag *d)
{
    return kv_add(b, ns, key, NULL, 0, d);
}

void ipl_batch_mark(const ipl_batch *b, ipl_batch_mark_t *m)
{
    m->nev = b->nev;
    m->nq = b->nq;
    m->nsrc = b->nsrc;
    m->nkv = b->nkv;
}

void ipl_batch_rewind(ipl_batch *b, const ipl_batch_mark_t *m)
{
    if (m->nev <= b->nev)
        b->nev = m->nev;
    if (m->nq <= b->nq)
        b->nq = m->nq;
    if (m->nsrc <= b->nsrc)
        b->nsrc = m->nsrc;
    if (m->nkv <= b->nkv)
        b->nkv = m->nkv;
}

size_t ipl_batch_events(const ipl_batch *b)
{
    return b->nev;
}

size_t ipl_batch_bytes(const ipl_batch *b)
{
    return b->arena.used + b->nev * sizeof(ipl_event);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return IPL_OK;
    size_t nc = *cap ? *cap * 2 : 1024;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return IPL_ENOMEM;
    *arr = p;
    *cap = nc;
    return IPL_OK;
}

static const char *bdup(ipl_batch *b, const char *s)
{
    return s ? ipl_arena_strdup(&b->arena, s) : NULL;
}

int ipl_batch_add(ipl_batch *b, const ipl_event *ev, ipl_diag *d)
{
    if (!ev->source)
        return ipl_diag_set(d, IPL_EINVAL, "event without a source");
    if (ev->ts < 0 || ev->ts > IPL_TS_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "event time out of range (before 1970 or after 3000)");
    if (grow((void **)&b->ev, &b->capev, b->nev + 1, sizeof *b->ev))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    const char *const strs[6] = {ev->mac, ev->duid, ev->host, ev->user, ev->server, ev->source};
    for (int i = 0; i < 6; i++)
        if (strs[i] && strlen(strs[i]) > IPL_STR_MAX)
            return ipl_diag_set(d, IPL_ELIMIT, "field of %zu bytes exceeds the limit of %d bytes",
                                strlen(strs[i]), IPL_STR_MAX);
    /* the record codec holds at most IPL_ATTR_MAX values of IPL_ATTR_VAL_MAX bytes: refuse
     * here, not at commit, where it would fail the whole batch */
    if (ev->nattr > IPL_ATTR_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "event with %u attributes (at most %d)",
                            (unsigned)ev->nattr, IPL_ATTR_MAX);
    for (uint32_t i = 0; i < ev->nattr; i++)
        if (ev->attr[i].len > IPL_ATTR_VAL_MAX)
            return ipl_diag_set(d, IPL_ELIMIT, "attribute of %u bytes exceeds the limit of %d bytes",
                                (unsigned)ev->attr[i].len, IPL_ATTR_VAL_MAX);
    ipl_event *c = &b->ev[b->nev];
    *c = *ev;
    c->mac = bdup(b, ev->mac);
    c->duid = bdup(b, ev->duid);
    c->host = ev->host && *ev->host ? bdup(b, ev->host) : NULL;
    c->user = ev->user && *ev->user ? bdup(b, ev->user) : NULL;
    /* a file's events share their source and server: one copy, and the same pointer lets the
     * commit skip interning them again */
    const ipl_event *prev = b->nev ? &b->ev[b->nev - 1] : NULL;
    if (prev && prev->server && ev->server && strcmp(prev->server, ev->server) == 0)
        c->server = prev->server;
    else
        c->server = ev->server && *ev->server ? bdup(b, ev->server) : NULL;
    if (prev && prev->source && strcmp(prev->source, ev->source) == 0)
        c->source = prev->source;
    else
        c->source = bdup(b, ev->source);
    for (uint32_t i = 0; i < ev->nattr; i++) {
        c->attr[i].val = ipl_arena_strndup(&b->arena, ev->attr[i].val, ev->attr[i].len);
        if (!c->attr[i].val)
            return ipl_diag_set(d, IPL_ENOMEM, "batch memory exhausted");
    }
    if ((ev->mac && !c->mac) || (ev->duid && !c->duid) || !c->source)
        return ipl_diag_set(d, IPL_ENOMEM, "batch memory exhausted");
    b->nev++;
    return IPL_OK;
}

int ipl_batch_quarantine(ipl_batch *b, const char *source, uint64_t line, uint64_t offset,
                         const char *reason, const char *raw, size_t rawlen, ipl_diag *d)
{
    if (grow((void **)&b->q, &b->capq, b->nq + 1, sizeof *b->q))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if (rawlen > IPL_QUARANTINE_RAW_MAX)
        rawlen = IPL_QUARANTINE_RAW_MAX;
    if (reason && strlen(reason) >= 0xffff) /* its length is stored in 16 bits, NUL included */
        return ipl_diag_set(d, IPL_ELIMIT, "quarantine reason of %zu bytes is too long",
                            strlen(reason));
    bquar *q = &b->q[b->nq];
    q->source = bdup(b, source);
    q->reason = bdup(b, reason ? reason : "unparseable");
    q->raw = ipl_arena_strndup(&b->arena, raw ? raw : "", raw ? rawlen : 0);
    q->rawlen = raw ? rawlen : 0;
    q->line = line;
    q->offset = offset;
    if (!q->source || !q->reason || !q->raw)
        return ipl_diag_set(d, IPL_ENOMEM, "batch memory exhausted");
    b->nq++;
    return IPL_OK;
}

int ipl_batch_set_source(ipl_batch *b, const char *source, const ipl_source_pos *pos, ipl_diag *d)
{
    for (size_t i = 0; i < b->nsrc; i++)
        if (strcmp(b->src[i].source, source) == 0) {
            b->src[i].pos = *pos;
            return IPL_OK;
        }
    if (grow((void **)&b->src, &b->capsrc, b->nsrc + 1, sizeof *b->src))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    b->src[b->nsrc].source = bdup(b, source);
    if (!b->src[b->nsrc].source)
        return ipl_diag_set(d, IPL_ENOMEM, "batch memory exhausted");
    b->src[b->nsrc].pos = *pos;
    b->nsrc++;
    return IPL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* commit                                                                                     */

#define CHAIN_STATE IPL_CHAIN_STATE

void ipl_chain_save(const ipl_sha256_ctx *s, uint8_t out[CHAIN_STATE])
{
    for (int i = 0; i < 8; i++)
        ipl_be32(out + 4 * i, s->h[i]);
    ipl_be64(out + 32, s->len);
    out[40] = (uint8_t)s->used;
    memcpy(out + 41, s->buf, 64);
}

int ipl_chain_load(ipl_sha256_ctx *s, const uint8_t *in, size_t n)
{
    if (n != CHAIN_STATE || in[40] >= 64)
        return IPL_ECORRUPT;
    for (int i = 0; i < 8; i++)
        s->h[i] = ipl_get_be32(in + 4 * i);
    s->len = ipl_get_be64(in + 32);
    s->used = in[40];
    memcpy(s->buf, in + 41, 64);
    return IPL_OK;
}

void ipl_chain_digest(const ipl_sha256_ctx *s, uint8_t out[32])
{
    ipl_sha256_ctx copy = *s;
    ipl_sha256_final(&copy, out);
}

typedef struct wctx {
    ipl_store *st;
    MDB_txn *txn;
    uint32_t next_id;
    uint32_t hashed_upto;      /* dictionary ids already in the chain */
    ipl_sha256_ctx chain;
    ipl_diag *d;
} wctx;

static int intern(wctx *w, const char *s, uint32_t *id)
{
    if (!s || !*s) {
        *id = 0;
        return IPL_OK;
    }
    return ipl_dict_intern(w->st, w->txn, s, strlen(s), &w->next_id, id, w->d);
}

/* Interns the case-folded form first, then the string as logged (so that the folded id is never
 * above the largest id a record references; see the chain rule). */
static int intern_folded(wctx *w, const char *s, uint32_t *id, uint32_t *folded)
{
    *id = *folded = 0;
    if (!s || !*s)
        return IPL_OK;
    size_t n = strlen(s);
    char buf[IPL_STR_MAX + 1] = {0};
    int differs = 0;
    if (n > IPL_STR_MAX)
        return ipl_diag_set(w->d, IPL_EINVAL, "string of %zu bytes exceeds %d", n, IPL_STR_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
            differs = 1;
        }
        buf[i] = c;
    }
    int err = ipl_dict_intern(w->st, w->txn, buf, n, &w->next_id, folded, w->d);
    if (err || !differs) {
        *id = *folded;
        return err;
    }
    return ipl_dict_intern(w->st, w->txn, s, n, &w->next_id, id, w->d);
}

int ipl_chain_dict_upto(ipl_store *st, MDB_txn *txn, ipl_sha256_ctx *chain, uint32_t *hashed_upto,
                        uint32_t max_id, ipl_diag *d)
{
    while (*hashed_upto < max_id) {
        uint32_t id = *hashed_upto + 1;
        uint8_t hdr[9];
        MDB_val k = {4, hdr + 1}, v;
        ipl_be32(hdr + 1, id);
        int rc = mdb_get(txn, st->dbi[DB_DICT_I], &k, &v);
        if (rc)
            return ipl_store_mdb_err(d, rc, "read dictionary for the chain", st->dir);
        if (v.mv_size == 0)
            return ipl_diag_set(d, IPL_ECORRUPT, "dictionary entry %u is empty", id);
        hdr[0] = 0xD1;
        ipl_be32(hdr + 5, (uint32_t)(v.mv_size - 1));
        ipl_sha256_update(chain, hdr, 9);
        ipl_sha256_update(chain, v.mv_data, v.mv_size - 1);
        *hashed_upto = id;
    }
    return IPL_OK;
}

void ipl_chain_record(ipl_sha256_ctx *chain, uint64_t seq, const uint8_t *rec, size_t n)
{
    uint8_t hdr[13];
    hdr[0] = 0xE1;
    ipl_be64(hdr + 1, seq);
    ipl_be32(hdr + 9, (uint32_t)n);
    ipl_sha256_update(chain, hdr, 13);
    ipl_sha256_update(chain, rec, n);
}

/* (key, value) byte order, compared as four big-endian words instead of a memcmp call: the sort
 * of a commit's index entries makes millions of comparisons. */
static inline uint64_t ixent_word(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static int ixent_cmp(const void *a, const void *b)
{
    _Static_assert(sizeof(ixent) == 32, "ixent is compared as four words");
    const uint8_t *x = a, *y = b;
    for (int i = 0; i < 32; i += 8) {
        uint64_t u = ixent_word(x + i), v = ixent_word(y + i);
        if (u != v)
            return u < v ? -1 : 1;
    }
    return 0;
}

/* The sort of a commit's index entries (hundreds of thousands per commit): an introsort with the
 * comparison inlined, as glibc's qsort calls its comparator through a pointer on copies (the sort
 * was 15% of ingest's CPU). Past 2 log2(n) levels of partitioning it hands the rest to qsort, so
 * no input makes it quadratic. */
static void ixent_swap(ixent *x, ixent *y)
{
    ixent t = *x;
    *x = *y;
    *y = t;
}

static void ixent_sort(ixent *a, size_t n, int depth)
{
    while (n > 16) {
        if (depth-- <= 0) {
            qsort(a, n, sizeof *a, ixent_cmp);
            return;
        }
        size_t m = n / 2;            /* median of three as the pivot value */
        if (ixent_cmp(&a[m], &a[0]) < 0)
            ixent_swap(&a[m], &a[0]);
        if (ixent_cmp(&a[n - 1], &a[m]) < 0) {
            ixent_swap(&a[n - 1], &a[m]);
            if (ixent_cmp(&a[m], &a[0]) < 0)
                ixent_swap(&a[m], &a[0]);
        }
        ixent p = a[m];
        size_t i = 0, j = n - 1;     /* Hoare: [0, j] <= p <= [j + 1, n), 0 <= j < n - 1 */
        for (;;) {
            while (ixent_cmp(&a[i], &p) < 0)
                i++;
            while (ixent_cmp(&a[j], &p) > 0)
                j--;
            if (i >= j)
                break;
            ixent_swap(&a[i], &a[j]);
            i++;
            j--;
        }
        size_t left = j + 1;
        if (left < n - left) {       /* recurse into the smaller side, loop on the larger */
            ixent_sort(a, left, depth);
            a += left;
            n -= left;
        } else {
            ixent_sort(a + left, n - left, depth);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {  /* insertion sort of the short rest */
        ixent t = a[i];
        size_t j = i;
        for (; j > 0 && ixent_cmp(&t, &a[j - 1]) < 0; j--)
            a[j] = a[j - 1];
        a[j] = t;
    }
}

/* Queues an entry of index ix: key is the caller's key (ip or id, or the time bucket); the
 * per-key indexes get the week prefix here (store_int.h). */
static int push_ix(ipl_batch *b, int ix, const uint8_t *key, size_t klen, int64_t ts, uint64_t seq,
                   unsigned cls)
{
    if (grow((void **)&b->ix[ix], &b->capix[ix], b->nix[ix] + 1, sizeof(ixent)))
        return IPL_ENOMEM;
    ixent *e = &b->ix[ix][b->nix[ix]++];
    memset(e->key, 0, sizeof e->key);
    size_t pre = 0;
    if (ipl_ix_weekly(ix)) {
        ipl_be32(e->key, ipl_ix_week(ts));
        pre = 4;
    }
    memcpy(e->key + pre, key, klen);
    ipl_ixval_pack(e->val, ts, seq, cls);
    return IPL_OK;
}

static uint64_t last_key_u64(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint64_t r = 0;
    if (mdb_cursor_open(txn, dbi, &c))
        return 0;
    if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0) {
        if (k.mv_size == 8)
            r = ipl_get_be64(k.mv_data);
        else if (k.mv_size == 4)
            r = ipl_get_be32(k.mv_data);
    }
    mdb_cursor_close(c);
    return r;
}

static void put_source_rec(uint8_t *out, const ipl_source_pos *p)
{
    memcpy(out, p, sizeof *p);
}

/* One attempt at writing the batch; MDB_MAP_FULL is returned as the LMDB code for a retry. */
static int commit_once(ipl_store *st, ipl_batch *b, ipl_commit_info *info, int *mdb_rc,
                       ipl_diag *d)
{
    wctx w = {.st = st, .d = d};
    int err = IPL_OK, rc;
    MDB_cursor *cur = NULL, *scur = NULL;
    *mdb_rc = 0;
    ipl_gate_enter(st);
    rc = mdb_txn_begin(st->env, NULL, 0, &w.txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process (a purge, a second ingest) grew the map: adopt its size */
        if ((rc = ipl_gate_resize(st, 0, 1)) == 0)
            rc = mdb_txn_begin(st->env, NULL, 0, &w.txn);
    }
    if (rc) {
        *mdb_rc = rc;
        err = ipl_store_mdb_err(d, rc, "begin a write", st->dir);
        goto out;
    }
#define MDB_TRY(call, what)                                    \
    do {                                                       \
        if ((rc = (call)) != 0) {                              \
            *mdb_rc = rc;                                      \
            err = ipl_store_mdb_err(d, rc, what, st->dir);     \
            goto out;                                          \
        }                                                      \
    } while (0)

    /* seqs are never reused: after a delete of the newest events the next one still follows
     * the highest ever given ("seq.last", kept since format 5; a format-4 store has none) */
    uint64_t seq = last_key_u64(w.txn, st->dbi[DB_EVENTS]) + 1;
    {
        MDB_val hv;
        if (meta_get(w.txn, st, "seq.last", &hv) == 0 && hv.mv_size == 8 &&
            ipl_get_be64(hv.mv_data) >= seq)
            seq = ipl_get_be64(hv.mv_data) + 1;
    }
    w.next_id = (uint32_t)last_key_u64(w.txn, st->dbi[DB_DICT_I]) + 1;
    uint64_t qseq = last_key_u64(w.txn, st->dbi[DB_QUARANTINE]) + 1;
    MDB_val v;
    ipl_sha256_init(&w.chain);
    if (meta_get(w.txn, st, "chain.state", &v) == 0) {
        if (ipl_chain_load(&w.chain, v.mv_data, v.mv_size) ||
            meta_get(w.txn, st, "chain.dict", &v) != 0 || v.mv_size != 4) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "store '%s': chain state is corrupt", st->dir);
            goto out;
        }
        w.hashed_upto = ipl_get_be32(v.mv_data);
    }
    memset(info, 0, sizeof *info);
    for (int i = 0; i < IPL_IX__COUNT; i++)
        b->nix[i] = 0;

    /* quarantine sources first, so dictionary ids (and the chain) do not depend on where the
     * batches were cut */
    for (size_t i = 0; i < b->nq; i++) {
        uint32_t sid;
        if ((err = intern(&w, b->q[i].source, &sid)))
            goto out_rc;
    }
    const char *last_srv = NULL, *last_src = NULL;   /* the same pointer: the same string */
    uint32_t last_srv_id = 0, last_src_id = 0;
    for (size_t i = 0; i < b->nev; i++, seq++) {
        const ipl_event *ev = &b->ev[i];
        ipl_rec r;
        uint32_t host_f, user_f;
        memset(&r, 0, sizeof r);
        if (seq > IPL_SEQ_MAX) {
            err = ipl_diag_set(d, IPL_ELIMIT, "store '%s' is full (2^38 events)", st->dir);
            goto out;
        }
        r.ts = ev->ts;
        r.kind = ev->kind;
        r.has_ip = ev->has_ip;
        memcpy(r.ip, ev->ip, 16);
        r.line = ev->line;
        if ((err = intern(&w, ev->mac, &r.mac)) || (err = intern(&w, ev->duid, &r.duid)) ||
            (err = intern_folded(&w, ev->host, &r.host, &host_f)) ||
            (err = intern_folded(&w, ev->user, &r.user, &user_f)) ||
            (ev->server != last_srv && (err = intern(&w, ev->server, &last_srv_id))) ||
            (ev->source != last_src && (err = intern(&w, ev->source, &last_src_id))))
            goto out_rc;
        last_srv = ev->server;
        last_src = ev->source;
        r.server = last_srv_id;
        r.source = last_src_id;
        r.nattr = ev->nattr;
        for (uint32_t a = 0; a < ev->nattr; a++) {
            r.attr[a].key = ev->attr[a].key;
            /* dictionary strings are C strings: a value with a NUL byte stays inline */
            if (ipl_attr_interned(ev->attr[a].key) && ev->attr[a].len > 0 &&
                ev->attr[a].len <= IPL_STR_MAX &&
                !memchr(ev->attr[a].val, '\0', ev->attr[a].len)) {
                r.attr[a].interned = 1;
                if ((err = ipl_dict_intern(st, w.txn, ev->attr[a].val, ev->attr[a].len,
                                           &w.next_id, &r.attr[a].id, d)))
                    goto out_rc;
            } else {
                r.attr[a].len = ev->attr[a].len;
                r.attr[a].val = (const uint8_t *)ev->attr[a].val;
            }
        }
        size_t n = ipl_record_encode(&r, b->rec, IPL_RECORD_MAX);
        if (!n) {
            err = ipl_diag_set(d, IPL_ELIMIT, "event record too large");
            goto out;
        }
        uint8_t kb[8];
        ipl_be64(kb, seq);
        MDB_val k = {8, kb}, val = {n, NULL};
        MDB_TRY(mdb_put(w.txn, st->dbi[DB_EVENTS], &k, &val, MDB_APPEND | MDB_RESERVE),
                "append an event");
        memcpy(val.mv_data, b->rec, n);
        /* chain: dictionary entries first, then the record */
        if ((err = ipl_chain_dict_upto(st, w.txn, &w.chain, &w.hashed_upto, ipl_rec_max_id(&r), d)))
            goto out_rc;
        ipl_chain_record(&w.chain, seq, b->rec, n);
        /* index entries, written sorted below */
        uint8_t key[4];
        int e = 0;
        unsigned cls = ipl_ix_class(ev->kind);
        if (ev->has_ip)
            e |= push_ix(b, IPL_IX_IP, ev->ip, 16, ev->ts, seq, cls);
        if (r.mac) {
            ipl_be32(key, r.mac);
            e |= push_ix(b, IPL_IX_MAC, key, 4, ev->ts, seq, cls);
        }
        if (r.duid) {
            ipl_be32(key, r.duid);
            e |= push_ix(b, IPL_IX_MAC, key, 4, ev->ts, seq, cls);
        }
        if (host_f) {
            ipl_be32(key, host_f);
            e |= push_ix(b, IPL_IX_HOST, key, 4, ev->ts, seq, cls);
        }
        if (user_f) {
            ipl_be32(key, user_f);
            e |= push_ix(b, IPL_IX_USER, key, 4, ev->ts, seq, cls);
        }
        ipl_be32(key, (uint32_t)((uint64_t)ev->ts >> 32));
        e |= push_ix(b, IPL_IX_TIME, key, 4, ev->ts, seq, cls);
        if (e) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        if (!info->first_seq)
            info->first_seq = seq;
        info->last_seq = seq;
    }

    for (int ix = 0; ix < IPL_IX__COUNT; ix++) {
        if (!b->nix[ix])
            continue;
        size_t in_order = 1;      /* ix.time's entries usually come in order: no sort then */
        while (in_order < b->nix[ix] && ixent_cmp(&b->ix[ix][in_order - 1], &b->ix[ix][in_order]) <= 0)
            in_order++;
        if (in_order < b->nix[ix]) {
            int depth = 0;
            for (size_t n = b->nix[ix]; n > 1; n >>= 1)
                depth += 2;
            ixent_sort(b->ix[ix], b->nix[ix], depth);
        }
        /* per key: its new entries into its chunks (ixchunk.c) */
        MDB_TRY(mdb_cursor_open(w.txn, st->dbi[DB_IX_IP + ix], &cur), "open an index");
        const size_t klen = ipl_ix_klen(ix);
        const ixent *ie = b->ix[ix];
        uint64_t added = 0;
        if (ix == IPL_IX_IP)
            MDB_TRY(mdb_cursor_open(w.txn, st->dbi[DB_IPNOW], &scur), "open an index");
        for (size_t i = 0, j; i < b->nix[ix]; i = j) {
            for (j = i + 1; j < b->nix[ix] && memcmp(ie[j].key, ie[i].key, klen) == 0; j++)
                ;
            MDB_TRY(ipl_ixchunk_add(cur, klen, ie[i].key, ie[i].val, sizeof *ie, j - i, &added),
                    "write an index");
            /* the key's latest lease decision of this batch into ix.ipnow (ipnow.c); the keys
             * are week | ip, so a later week of an address comes later */
            for (size_t q = j; scur && q-- > i;) {
                unsigned c = ipl_ixval_class(ie[q].val);
                if (c == IPL_IXC_OPEN || c == IPL_IXC_CLOSE) {
                    MDB_TRY(ipl_ipnow_note(scur, ie[q].key + 4, ie[q].val), "write an index");
                    break;
                }
            }
        }
        mdb_cursor_close(cur);
        cur = NULL;
        if (scur)
            mdb_cursor_close(scur);
        scur = NULL;
        MDB_TRY(ipl_ixcount_add(st, w.txn, ix, (int64_t)added), "count index entries");
    }

    for (size_t i = 0; i < b->nq; i++, qseq++) {
        const bquar *q = &b->q[i];
        uint32_t sid;
        if ((err = intern(&w, q->source, &sid))) /* interned before the events: see below */
            goto out_rc;
        size_t rl = strlen(q->reason) + 1, n = 8 + 4 + 8 + 8 + 2 + rl + q->rawlen;
        uint8_t kb[8];
        ipl_be64(kb, qseq);
        MDB_val k = {8, kb}, val = {n, NULL};
        MDB_TRY(mdb_put(w.txn, st->dbi[DB_QUARANTINE], &k, &val, MDB_APPEND | MDB_RESERVE),
                "quarantine a line");
        uint8_t *p = val.mv_data;
        ipl_be64(p, (uint64_t)wall_us());
        ipl_be32(p + 8, sid);
        ipl_be64(p + 12, q->line);
        ipl_be64(p + 20, q->offset);
        p[28] = (uint8_t)(rl >> 8);
        p[29] = (uint8_t)rl;
        memcpy(p + 30, q->reason, rl);
        memcpy(p + 30 + rl, q->raw, q->rawlen);
        info->quarantined++;
    }

    for (size_t i = 0; i < b->nsrc; i++) {
        ipl_source_pos pos = b->src[i].pos;
        pos.updated = wall_us();
        uint8_t rec[1 + sizeof pos];
        rec[0] = 1;
        put_source_rec(rec + 1, &pos);
        MDB_val k = {strlen(b->src[i].source), (void *)b->src[i].source}, val = {sizeof rec, rec};
        MDB_TRY(mdb_put(w.txn, st->dbi[DB_SOURCES], &k, &val, 0), "record a source position");
    }

    for (size_t i = 0; i < b->nkv; i++) {
        MDB_val k = {b->kv[i].keylen, (void *)b->kv[i].key}, val = {b->kv[i].vallen, (void *)b->kv[i].val};
        if (b->kv[i].val) {
            MDB_TRY(mdb_put(w.txn, st->dbi[DB_KV], &k, &val, 0), "write a setting");
        } else if ((rc = mdb_del(w.txn, st->dbi[DB_KV], &k, NULL)) != 0 && rc != MDB_NOTFOUND) {
            *mdb_rc = rc;
            err = ipl_store_mdb_err(d, rc, "delete a setting", st->dir);
            goto out;
        }
    }

    if (b->nev) {
        uint8_t state[CHAIN_STATE], up[4], kb[8];
        ipl_chain_save(&w.chain, state);
        ipl_be32(up, w.hashed_upto);
        ipl_chain_digest(&w.chain, info->chain);
        MDB_TRY(meta_put(w.txn, st, "chain.state", state, CHAIN_STATE), "save the chain");
        MDB_TRY(meta_put(w.txn, st, "chain.dict", up, 4), "save the chain");
        MDB_TRY(meta_put(w.txn, st, "chain", info->chain, 32), "save the chain");
        uint8_t hw[8];
        ipl_be64(hw, info->last_seq);
        MDB_TRY(meta_put(w.txn, st, "seq.last", hw, 8), "save the last seq");
        uint8_t cp[CHAIN_STATE + 4];
        memcpy(cp, state, CHAIN_STATE);
        memcpy(cp + CHAIN_STATE, up, 4);
        ipl_be64(kb, info->last_seq);
        MDB_val k = {8, kb}, val = {sizeof cp, cp};
        MDB_TRY(mdb_put(w.txn, st->dbi[DB_CHAIN], &k, &val, MDB_APPEND), "checkpoint the chain");
    }
    rc = mdb_txn_commit(w.txn);
    w.txn = NULL;
    if (rc) {
        *mdb_rc = rc;
        err = ipl_store_mdb_err(d, rc, "commit", st->dir);
    }
    goto out;
out_rc:
    /* an error from the dictionary may hide MDB_MAP_FULL: report it for a retry */
    if (err == IPL_ELIMIT)
        *mdb_rc = MDB_MAP_FULL;
out:
#undef MDB_TRY
    if (cur)
        mdb_cursor_close(cur);
    if (scur)
        mdb_cursor_close(scur);
    if (w.txn)
        mdb_txn_abort(w.txn);
    ipl_gate_leave(st);
    return err;
}

int ipl_store_commit(ipl_store *st, ipl_batch *b, ipl_commit_info *info, ipl_diag *d)
{
    ipl_commit_info tmp;
    if (!info)
        info = &tmp;
    if (st->flags & IPL_STORE_RDONLY)
        return ipl_diag_set(d, IPL_EACCES, "store '%s' is open read-only", st->dir);
    int err = IPL_OK;
    ipl_wlock_take(st);
    for (int attempt = 0; attempt < 40; attempt++) {
        int mdb_rc;
        if ((err = commit_once(st, b, info, &mdb_rc, d)) == IPL_OK)
            goto out;
        ipl_dcache_clear(&st->dcache); /* ids handed out in the aborted transaction are void */
        if (mdb_rc == EAGAIN) {        /* adopting another process's size: backed off */
            ipl_wlock_yield(st);
            attempt--;
            ipl_diag_clear(d);
            continue;
        }
        if (mdb_rc != MDB_MAP_FULL)
            goto out;
        size_t step = st->map_size < MAX_MAP_STEP ? st->map_size : MAX_MAP_STEP;
        size_t want = st->map_size + step;
        int rc;
        while ((rc = ipl_gate_resize(st, want, 1)) == EAGAIN) {
            ipl_wlock_yield(st);       /* another committer, holding reads, went first */
            if (st->map_size >= want) {
                rc = 0;
                break;
            }
        }
        if (rc) {
            err = ipl_store_mdb_err(d, rc, "grow the map", st->dir);
            goto out;
        }
        ipl_diag_clear(d);
    }
    err = ipl_diag_set(d, IPL_ELIMIT, "store '%s': map could not be grown enough", st->dir);
out:
    pthread_mutex_unlock(&st->wlock);
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* reading                                                                                    */

int ipl_rtxn_begin(ipl_store *st, ipl_rtxn **out, ipl_diag *d)
{
    ipl_rtxn *t = calloc(1, sizeof *t);
    if (!t)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    t->st = st;
    ipl_gate_enter(st);
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t->txn);
    if (rc == MDB_MAP_RESIZED && (rc = ipl_gate_resize(st, 0, 0)) == 0) /* another process grew the map */
        rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t->txn);
    if (rc) {
        ipl_gate_leave(st);
        free(t);
        return ipl_store_mdb_err(d, rc, "begin a read", st->dir);
    }
    *out = t;
    return IPL_OK;
}

void ipl_rtxn_end(ipl_rtxn *t)
{
    if (!t)
        return;
    if (t->txn) {
        mdb_txn_abort(t->txn);
        ipl_gate_leave(t->st);
    }
    free(t);
}

int ipl_rtxn_refresh(ipl_rtxn *t, ipl_diag *d)
{
    memset(t->wk_state, 0, sizeof t->wk_state);
    mdb_txn_reset(t->txn);
    int rc = mdb_txn_renew(t->txn);
    if (rc == MDB_MAP_RESIZED && (rc = ipl_gate_resize(t->st, 0, 0)) == 0)
        rc = mdb_txn_renew(t->txn);
    return rc ? ipl_store_mdb_err(d, rc, "renew a read", t->st->dir) : IPL_OK;
}

uint64_t ipl_store_last_seq(ipl_rtxn *t)
{
    return last_key_u64(t->txn, t->st->dbi[DB_EVENTS]);
}

/* ---- the readers' string cache (store.h) ----
 * Direct-mapped by id. A string handed out for the event being decoded must stay put until that
 * event is done, so a miss never evicts a slot used by the same call (use == the call's number). */
#define SC_SLOTS 4096
#define SC_STR   56
struct ipl_strcache {
    uint64_t call;
    struct scslot { uint32_t id; uint64_t use; char s[SC_STR]; } slot[SC_SLOTS];
};

int ipl_strcache_new(ipl_strcache **out)
{
    return (*out = calloc(1, sizeof **out)) ? IPL_OK : IPL_ENOMEM;
}

void ipl_strcache_free(ipl_strcache *c) { free(c); }

static const char *dstr(ipl_rtxn *t, ipl_strcache *c, uint32_t id)
{
    if (!c || !id)
        return ipl_dict_str(t, id);
    struct scslot *sl = &c->slot[id % SC_SLOTS];
    if (sl->id == id) {
        sl->use = c->call;
        return sl->s;
    }
    const char *s = ipl_dict_str(t, id);
    size_t n = s ? strlen(s) : 0;
    if (s && n < SC_STR && sl->use != c->call) {
        memcpy(sl->s, s, n + 1);
        sl->id = id;
    }
    return s;       /* the map's copy: valid until the transaction ends */
}

static int store_get(ipl_rtxn *t, ipl_strcache *sc, uint64_t seq, ipl_event *ev, ipl_diag *d)
{
    uint8_t kb[8];
    ipl_be64(kb, seq);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(t->txn, t->st->dbi[DB_EVENTS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return IPL_ENOTFOUND;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read an event", t->st->dir);
    ipl_rec r;
    if (ipl_record_decode(v.mv_data, v.mv_size, &r))
        return ipl_diag_set(d, IPL_ECORRUPT, "event %llu in store '%s' is corrupt",
                            (unsigned long long)seq, t->st->dir);
    if (sc)
        sc->call++;
    memset(ev, 0, sizeof *ev);
    ev->seq = seq;
    ev->ts = r.ts;
    ev->kind = r.kind;
    ev->has_ip = r.has_ip;
    memcpy(ev->ip, r.ip, 16);
    ev->mac = dstr(t, sc, r.mac);
    ev->duid = dstr(t, sc, r.duid);
    ev->host = dstr(t, sc, r.host);
    ev->user = dstr(t, sc, r.user);
    ev->server = dstr(t, sc, r.server);
    ev->source = dstr(t, sc, r.source);
    ev->line = r.line;
    ev->nattr = r.nattr;
    for (uint32_t i = 0; i < r.nattr; i++) {
        ev->attr[i].key = r.attr[i].key;
        if (r.attr[i].interned) {
            const char *s = dstr(t, sc, r.attr[i].id);
            ev->attr[i].val = s ? s : "";
            ev->attr[i].len = s ? (uint32_t)strlen(s) : 0;
        } else {
            ev->attr[i].val = (const char *)r.attr[i].val;
            ev->attr[i].len = r.attr[i].len;
        }
    }
    return IPL_OK;
}

int ipl_store_get(ipl_rtxn *t, uint64_t seq, ipl_event *ev, ipl_diag *d)
{
    return store_get(t, NULL, seq, ev, d);
}

int ipl_store_get_cached(ipl_rtxn *t, ipl_strcache *c, uint64_t seq, ipl_event *ev, ipl_diag *d)
{
    return store_get(t, c, seq, ev, d);
}

static int get_source_rec(const MDB_val *v, ipl_source_pos *pos)
{
    if (v->mv_size != 1 + sizeof *pos || ((const uint8_t *)v->mv_data)[0] != 1)
        return IPL_ECORRUPT;
    memcpy(pos, (const uint8_t *)v->mv_data + 1, sizeof *pos);
    return IPL_OK;
}

int ipl_store_source(ipl_rtxn *t, const char *source, ipl_source_pos *pos, ipl_diag *d)
{
    MDB_val k = {strlen(source), (void *)source}, v;
    int rc = mdb_get(t->txn, t->st->dbi[DB_SOURCES], &k, &v);
    if (rc == MDB_NOTFOUND)
        return IPL_ENOTFOUND;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read a source position", t->st->dir);
    if (get_source_rec(&v, pos))
        return ipl_diag_set(d, IPL_ECORRUPT, "source record '%s' is corrupt", source);
    return IPL_OK;
}

int ipl_store_sources(ipl_rtxn *t, ipl_source_fn fn, void *ctx, ipl_diag *d)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_SOURCES], &c), err = IPL_OK;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read sources", t->st->dir);
    char name[IPL_STR_MAX * 2 + 1];
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        ipl_source_pos pos;
        size_t n = k.mv_size < sizeof name - 1 ? k.mv_size : sizeof name - 1;
        memcpy(name, k.mv_data, n);
        name[n] = '\0';
        if (get_source_rec(&v, &pos)) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "source record '%s' is corrupt", name);
            break;
        }
        if ((err = fn(ctx, name, &pos)))
            break;
    }
    mdb_cursor_close(c);
    return err;
}

int ipl_store_quarantine(ipl_rtxn *t, const char *source, ipl_quarantine_fn fn, void *ctx,
                         ipl_diag *d)
{
    uint32_t sid = 0;
    if (source && ipl_dict_find(t, source, strlen(source), &sid))
        return IPL_OK; /* no such source: nothing quarantined from it */
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_QUARANTINE], &c), err = IPL_OK;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read the quarantine", t->st->dir);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size < 31 || k.mv_size != 8) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "quarantine entry is corrupt");
            break;
        }
        ipl_qentry q;
        uint32_t id = ipl_get_be32(p + 8);
        if (source && id != sid)
            continue;
        size_t rl = (size_t)p[28] << 8 | p[29];
        if (30 + rl > v.mv_size || rl == 0 || p[30 + rl - 1] != '\0') {
            err = ipl_diag_set(d, IPL_ECORRUPT, "quarantine entry is corrupt");
            break;
        }
        q.qseq = ipl_get_be64(k.mv_data);
        q.ingested = (int64_t)ipl_get_be64(p);
        q.source = ipl_dict_str(t, id);
        q.line = ipl_get_be64(p + 12);
        q.offset = ipl_get_be64(p + 20);
        q.reason = (const char *)p + 30;
        q.raw = (const char *)p + 30 + rl;
        q.rawlen = v.mv_size - 30 - rl;
        if ((err = fn(ctx, &q)))
            break;
    }
    mdb_cursor_close(c);
    return err;
}

static int ts_edge(ipl_rtxn *t, MDB_cursor_op op, int64_t *ts)
{
    ipl_ixc *c;
    MDB_val k, v;
    *ts = 0;
    if (ipl_ixc_open(t->txn, t->st->dbi[DB_IX_TIME], 4, &c))
        return 0;
    int rc = ipl_ixc_get(c, &k, &v, op);
    if (rc == 0 && v.mv_size == IPL_IXVAL) {
        uint64_t seq;
        ipl_ixval_unpack(v.mv_data, ts, &seq);
    }
    ipl_ixc_close(c);
    return 0;
}

int ipl_store_stats_get(ipl_rtxn *t, ipl_store_stats *s, ipl_diag *d)
{
    MDB_stat ms;
    memset(s, 0, sizeof *s);
    ipl_store *st = t->st;
#define DBCOUNT(db) (mdb_stat(t->txn, st->dbi[db], &ms) == 0 ? (uint64_t)ms.ms_entries : 0)
    s->events = DBCOUNT(DB_EVENTS);
    s->dict = DBCOUNT(DB_DICT_I);
    s->quarantine = DBCOUNT(DB_QUARANTINE);
    s->sources = DBCOUNT(DB_SOURCES);
    for (int i = 0; i < IPL_IX__COUNT; i++)
        ipl_ixcount_get(st, t->txn, i, &s->index_entries[i]);   /* mdb_stat counts chunks */
#undef DBCOUNT
    s->last_seq = ipl_store_last_seq(t);
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    if (mdb_env_stat(st->env, &ms) == 0)
        s->used_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
    s->map_size = info.me_mapsize;
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", st->dir);
    if (stat(path, &sb) == 0)
        s->file_bytes = (uint64_t)sb.st_blocks * 512;
    MDB_val v;
    if (meta_get(t->txn, st, "format", &v) == 0 && v.mv_size == 4)
        s->format = ipl_get_be32(v.mv_data);
    if (meta_get(t->txn, st, "chain", &v) == 0 && v.mv_size == 32)
        memcpy(s->chain, v.mv_data, 32);
    ts_edge(t, MDB_FIRST, &s->first_ts);
    ts_edge(t, MDB_LAST, &s->last_ts);
    return IPL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* index keys of a stored record (delete and verify)                                         */

static uint32_t folded_id(ipl_store *st, MDB_txn *txn, uint32_t id)
{
    if (!id)
        return 0;
    uint8_t idb[4];
    ipl_be32(idb, id);
    MDB_val k = {4, idb}, v;
    if (mdb_get(txn, st->dbi[DB_DICT_I], &k, &v) != 0 || v.mv_size < 2 || v.mv_size - 1 > IPL_STR_MAX)
        return 0;
    char buf[IPL_STR_MAX];
    const char *s = v.mv_data;
    size_t n = v.mv_size - 1;
    int differs = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
            differs = 1;
        }
        buf[i] = c;
    }
    if (!differs)
        return id;
    MDB_val fk = {n, buf}, fv;
    if (mdb_get(txn, st->dbi[DB_DICT_S], &fk, &fv) != 0 || fv.mv_size != 4)
        return 0;
    return ipl_get_be32(fv.mv_data);
}

void ipl_rec_keys_set_id(ipl_rec_keys *k, int j, int64_t ts, uint32_t id)
{
    k->has[j] = 1;
    k->len[j] = 8;
    ipl_be32(k->key[j], ipl_ix_week(ts));
    ipl_be32(k->key[j] + 4, id);
}

int ipl_rec_index_keys(ipl_store *st, MDB_txn *txn, const ipl_rec *r, ipl_rec_keys *k)
{
    memset(k, 0, sizeof *k);
    for (int i = 0; i <= IPL_IX__COUNT; i++)
        k->len[i] = 8;
    k->len[IPL_IX_TIME] = 4;
    k->dbi[IPL_IX_IP] = DB_IX_IP;
    k->dbi[IPL_IX_MAC] = DB_IX_MAC;
    k->dbi[IPL_IX_HOST] = DB_IX_HOST;
    k->dbi[IPL_IX_USER] = DB_IX_USER;
    k->dbi[IPL_IX_TIME] = DB_IX_TIME;
    k->dbi[IPL_IX__COUNT] = DB_IX_MAC;
    if (r->has_ip) {
        k->has[IPL_IX_IP] = 1;
        k->len[IPL_IX_IP] = 20;
        ipl_be32(k->key[IPL_IX_IP], ipl_ix_week(r->ts));
        memcpy(k->key[IPL_IX_IP] + 4, r->ip, 16);
    }
    if (r->mac)
        ipl_rec_keys_set_id(k, IPL_IX_MAC, r->ts, r->mac);
    if (r->duid)
        ipl_rec_keys_set_id(k, IPL_IX__COUNT, r->ts, r->duid);
    uint32_t h = folded_id(st, txn, r->host), u = folded_id(st, txn, r->user);
    if ((r->host && !h) || (r->user && !u))
        return IPL_ECORRUPT;
    if (h)
        ipl_rec_keys_set_id(k, IPL_IX_HOST, r->ts, h);
    if (u)
        ipl_rec_keys_set_id(k, IPL_IX_USER, r->ts, u);
    k->has[IPL_IX_TIME] = 1;
    ipl_be32(k->key[IPL_IX_TIME], (uint32_t)((uint64_t)r->ts >> 32));
    return IPL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* the key-value area                                                                         */

int ipl_store_kv_get(ipl_rtxn *t, const char *ns, const char *key, const void **val, size_t *n)
{
    char kb[KV_KEY_MAX];
    size_t nl = strlen(ns), kl = strlen(key);
    if (!t->st->has_kv || nl + 1 + kl > KV_KEY_MAX)
        return IPL_ENOTFOUND;
    memcpy(kb, ns, nl);
    kb[nl] = '\0';
    memcpy(kb + nl + 1, key, kl);
    MDB_val k = {nl + 1 + kl, kb}, v;
    if (mdb_get(t->txn, t->st->dbi[DB_KV], &k, &v) != 0)
        return IPL_ENOTFOUND;
    *val = v.mv_data;
    *n = v.mv_size;
    return IPL_OK;
}

int ipl_store_kv_scan(ipl_rtxn *t, const char *ns, ipl_kv_fn fn, void *ctx, ipl_diag *d)
{
    if (!t->st->has_kv)
        return IPL_OK;
    size_t nl = strlen(ns);
    if (nl + 1 > KV_KEY_MAX)
        return IPL_OK;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[DB_KV], &c), err = IPL_OK;
    if (rc)
        return ipl_store_mdb_err(d, rc, "read settings", t->st->dir);
    char kb[KV_KEY_MAX + 1];
    memcpy(kb, ns, nl);
    kb[nl] = '\0';
    MDB_val k = {nl + 1, kb}, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < nl + 1 || memcmp(k.mv_data, kb, nl + 1) != 0)
            break;
        size_t kl = k.mv_size - nl - 1;
        char key[KV_KEY_MAX + 1];
        memcpy(key, (const char *)k.mv_data + nl + 1, kl);
        key[kl] = '\0';
        if ((err = fn(ctx, key, v.mv_data, v.mv_size)))
            break;
    }
    mdb_cursor_close(c);
    return err;
}

/* Where data.mdb is mapped in this process. LMDB's mdb_env_info reports me_mapaddr only for
 * MDB_FIXEDMAP environments (it is the meta page's mm_address, 0 otherwise), so the mapping is
 * found in /proc/self/maps by the data file's device and inode. NULL if it cannot be found
 * (another OS, no /proc): the release is then skipped. */
static void *map_base(ipl_store *st, size_t *len)
{
    int fd = -1;
    struct stat sb;
    if (mdb_env_get_fd(st->env, &fd) != 0 || fd < 0 || fstat(fd, &sb) != 0)
        return NULL;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return NULL;
    char line[512];
    void *base = NULL;
    while (!base && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off, ino;
        unsigned maj, min;
        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &min, &ino) != 6)
            continue;
        if (off == 0 && ino == (unsigned long)sb.st_ino && maj == major(sb.st_dev) &&
            min == minor(sb.st_dev)) {
            base = (void *)(uintptr_t)lo;
            *len = (size_t)(hi - lo);
        }
    }
    fclose(f);
    return base;
}

void ipl_store_release_map(ipl_store *st)
{
    MDB_envinfo info;
    size_t len = 0;
    void *base = map_base(st, &len);
    if (!base || mdb_env_info(st->env, &info) != 0)
        return;
    long page = sysconf(_SC_PAGESIZE);
    size_t used = (size_t)(info.me_last_pgno + 1) * (size_t)(page > 0 ? page : 4096);
    if (used > len)
        used = len;
    madvise(base, used, MADV_DONTNEED);
}
