/* retention/storefile.c — backup, restore, compaction; see storefile.h. */
#include "retention/storefile.h"
#include "engine/err.h"
#include "engine/sha256.h"
#include "retention/retention_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP 4200

static int path2(char *buf, const char *dir, const char *name, ipl_diag *d)
{
    if ((size_t)snprintf(buf, PATH_CAP, "%s/%s", dir, name) >= PATH_CAP)
        return ipl_diag_set(d, IPL_ELIMIT, "path '%s' is too long", dir);
    return IPL_OK;
}

static uint64_t file_bytes(const char *dir)
{
    char p[PATH_CAP];
    struct stat sb;
    if ((size_t)snprintf(p, sizeof p, "%s/data.mdb", dir) >= sizeof p)
        return 0;
    return stat(p, &sb) == 0 ? (uint64_t)sb.st_blocks * 512 : 0;
}

static int fsync_path(const char *path, int dir)
{
    int f = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (f < 0)
        return -1;
    int rc = fsync(f);
    close(f);
    return rc;
}

/* Removes a temporary copy directory of ours (data.mdb, lock.mdb, the directory). */
static void remove_copy(const char *dir)
{
    char p[PATH_CAP];
    if ((size_t)snprintf(p, sizeof p, "%s/data.mdb", dir) < sizeof p)
        unlink(p);
    if ((size_t)snprintf(p, sizeof p, "%s/lock.mdb", dir) < sizeof p)
        unlink(p);
    rmdir(dir);
}

typedef struct snap {
    uint64_t events, last_seq, quarantine, sources, dict;
    uint8_t chain[32];
} snap;

static int take_snap(ipl_store *st, snap *s, ipl_diag *d)
{
    ipl_rtxn *t;
    ipl_store_stats x;
    int err = ipl_rtxn_begin(st, &t, d);
    if (!err && !(err = ipl_store_stats_get(t, &x, d))) {
        memset(s, 0, sizeof *s);
        s->events = x.events;
        s->last_seq = x.last_seq;
        s->quarantine = x.quarantine;
        s->sources = x.sources;
        s->dict = x.dict;
        memcpy(s->chain, x.chain, 32);
    }
    ipl_rtxn_end(t);
    return err;
}

/* Opens dir read-only, verifies, and closes it again; the lock file the open made is removed
 * when `clean` (a copy must leave only data.mdb behind). */
static int verify_dir(const char *dir, int clean, ipl_verify_report *vr, snap *s, ipl_diag *d)
{
    ipl_store *st = NULL;
    int err = ipl_store_open(&st, dir, IPL_STORE_RDONLY, d);
    if (!err)
        err = ipl_store_verify(st, vr, NULL, NULL, d);
    if (!err && s)
        err = take_snap(st, s, d);
    ipl_store_close(st);
    if (clean) {
        char p[PATH_CAP];
        if ((size_t)snprintf(p, sizeof p, "%s/lock.mdb", dir) < sizeof p)
            unlink(p);
    }
    return err;
}

int ipl_backup(ipl_store *st, const char *dest, int compact, int verify, ipl_storefile_report *r,
               ipl_diag *d)
{
    snap s;
    int err;
    memset(r, 0, sizeof *r);
    if ((err = ipl_store_copy(st, dest, compact, d)))
        return err;
    if (fsync_path(dest, 1) != 0) {
        /* the copy is there; a directory that cannot be synced is only a durability warning */
    }
    r->bytes_after = file_bytes(dest);
    r->bytes_before = file_bytes(ipl_store_dir(st));
    if (!verify) {
        r->verify.ok = 1;
        return IPL_OK;
    }
    if ((err = verify_dir(dest, 1, &r->verify, &s, d)))
        return err;
    r->events = s.events;
    ipl_hex32(s.chain, r->chain);
    if (!r->verify.ok)
        return ipl_diag_set(d, IPL_ECORRUPT, "the backup in '%s' does not verify: %s", dest,
                            r->verify.problem);
    return IPL_OK;
}

/* The swap: tmp/data.mdb replaces dir/data.mdb in one rename; the old lock file goes (its reader
 * table and transaction id belong to the old file; LMDB makes a fresh one on the next open). */
static int swap_in(const char *tmp, const char *dir, ipl_diag *d)
{
    char from[PATH_CAP], to[PATH_CAP], lock[PATH_CAP];
    int err;
    if ((err = path2(from, tmp, "data.mdb", d)) || (err = path2(to, dir, "data.mdb", d)) ||
        (err = path2(lock, dir, "lock.mdb", d)))
        return err;
    if (fsync_path(from, 0) != 0)
        return ipl_diag_set(d, errno == ENOSPC ? IPL_ENOSPC : IPL_EIO, "cannot sync '%s': %s",
                            from, strerror(errno));
    if (rename(from, to) != 0)
        return ipl_diag_set(d, IPL_EIO, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
    unlink(lock);
    remove_copy(tmp);
    fsync_path(dir, 1);
    return IPL_OK;
}

static int refuse_in_use(const char *dir, const char *what, ipl_diag *d)
{
    long pid;
    if (ipl_store_in_use(dir, &pid))
        return ipl_diag_set(d, IPL_EBUSY, "store '%s' is open in another process (pid %ld): stop "
                            "it before %s (the store file is replaced)", dir, pid, what);
    return IPL_OK;
}

int ipl_restore(const char *src, const char *dir, int overwrite, const ipl_actor *a,
                const char *reason, ipl_storefile_report *r, ipl_diag *d)
{
    ipl_store *from = NULL, *st = NULL;
    char tmp[PATH_CAP], msg[PATH_CAP + 200], ch[65], srclock[PATH_CAP];
    int lockfd = -1, err, had_lock;
    snap bs, cur;
    struct stat sb;
    memset(r, 0, sizeof *r);
    /* 1. the backup must verify (its lock file, made by opening it, goes again afterwards) */
    if ((size_t)snprintf(srclock, sizeof srclock, "%s/lock.mdb", src) >= sizeof srclock)
        return ipl_diag_set(d, IPL_ELIMIT, "path '%s' is too long", src);
    had_lock = stat(srclock, &sb) == 0;
    if ((err = ipl_store_open(&from, src, IPL_STORE_RDONLY, d)))
        return ipl_diag_prefix(d, "backup");
    if ((err = ipl_store_verify(from, &r->verify, NULL, NULL, d)) || (err = take_snap(from, &bs, d)))
        goto out;
    if (!r->verify.ok) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "the backup in '%s' does not verify: %s (nothing was "
                           "changed)", src, r->verify.problem);
        goto out;
    }
    /* 2. the store to replace */
    if (stat(dir, &sb) != 0 && mkdir(dir, 0775) != 0) {
        err = ipl_diag_set(d, IPL_EIO, "cannot create '%s': %s", dir, strerror(errno));
        goto out;
    }
    if ((err = path2(tmp, dir, "data.mdb", d)))
        goto out;
    r->bytes_before = file_bytes(dir);
    if ((err = ipl_lock_file(dir, "purge.lock", IPL_LOCK_EX | IPL_LOCK_NB, &lockfd, d))) {
        if (err == IPL_EBUSY)
            ipl_diag_set(d, IPL_EBUSY, "a purge, compaction or restore is running on '%s'", dir);
        goto out;
    }
    if (stat(tmp, &sb) == 0) {
        if ((err = refuse_in_use(dir, "a restore", d)))
            goto out;
        if ((err = ipl_store_open(&st, dir, IPL_STORE_RDONLY, d)) || (err = take_snap(st, &cur, d)))
            goto out;
        ipl_store_close(st);
        st = NULL;
        if (cur.events && !overwrite) {
            err = ipl_diag_set(d, IPL_EEXIST, "store '%s' holds %llu events: restoring replaces "
                               "them all (confirm with --yes)", dir, (unsigned long long)cur.events);
            goto out;
        }
    }
    if ((err = refuse_in_use(dir, "a restore", d)) || (err = path2(tmp, dir, ".restore-tmp", d)))
        goto out;
    remove_copy(tmp);                       /* a leftover of an interrupted restore */
    if ((err = ipl_store_copy(from, tmp, 0, d))) {
        remove_copy(tmp);
        goto out;
    }
    ipl_store_close(from);
    from = NULL;
    if ((err = refuse_in_use(dir, "a restore", d)) || (err = swap_in(tmp, dir, d))) {
        remove_copy(tmp);
        goto out;
    }
    /* 3. the restored store records its restore */
    if ((err = ipl_store_open(&st, dir, 0, d)))
        goto out;
    ipl_hex32(bs.chain, ch);
    snprintf(msg, sizeof msg, "restored from '%s' (verified: %llu events, chain head %s)", src,
             (unsigned long long)bs.events, ch);
    if ((err = ipl_audit_config(st, NULL, a, "store", "restore", reason, msg, &r->event_seq, d)))
        goto out;
    r->events = bs.events;
    memcpy(r->chain, ch, sizeof ch);
    r->bytes_after = file_bytes(dir);
out:
    ipl_store_close(from);
    if (!had_lock)
        unlink(srclock);
    ipl_store_close(st);
    ipl_unlock_file(lockfd);
    return err;
}

int ipl_compact(const char *dir, const ipl_actor *a, ipl_storefile_report *r, ipl_diag *d)
{
    ipl_store *st = NULL;
    char tmp[PATH_CAP], msg[400];
    int lockfd = -1, err, copied = 0;
    snap before, copy, after;
    memset(r, 0, sizeof *r);
    if ((err = ipl_lock_file(dir, "purge.lock", IPL_LOCK_EX | IPL_LOCK_NB, &lockfd, d))) {
        if (err == IPL_EBUSY)
            ipl_diag_set(d, IPL_EBUSY, "a purge, compaction or restore is running on '%s'", dir);
        return err;
    }
    if ((err = refuse_in_use(dir, "compacting it", d)) || (err = path2(tmp, dir, ".compact-tmp", d)))
        goto out;
    r->bytes_before = file_bytes(dir);
    remove_copy(tmp);                       /* a leftover of an interrupted compaction */
    if ((err = ipl_store_open(&st, dir, IPL_STORE_RDONLY, d)) || (err = take_snap(st, &before, d)))
        goto out;
    copied = 1;                             /* from here on, the copy goes on failure */
    if ((err = ipl_store_copy(st, tmp, 1, d))) {
        ipl_diag_prefix(d, "compaction failed, the store is untouched");
        goto out;
    }
    ipl_store_close(st);
    st = NULL;
    if ((err = verify_dir(tmp, 1, &r->verify, &copy, d)))
        goto out;
    if (!r->verify.ok) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "the compacted copy does not verify (%s): the store is "
                           "untouched; run 'ipledger verify' on it", r->verify.problem);
        goto out;
    }
    /* nothing may have changed since the copy's snapshot, and nobody may have it open now */
    if ((err = refuse_in_use(dir, "compacting it", d)) ||
        (err = ipl_store_open(&st, dir, IPL_STORE_RDONLY, d)) || (err = take_snap(st, &after, d)))
        goto out;
    ipl_store_close(st);
    st = NULL;
    if (memcmp(&before, &after, sizeof before) != 0 || memcmp(&before, &copy, sizeof before) != 0) {
        err = ipl_diag_set(d, IPL_EBUSY, "the store changed during the compaction: the store is "
                           "untouched; run it again when nothing writes to it");
        goto out;
    }
    if ((err = refuse_in_use(dir, "compacting it", d)) || (err = swap_in(tmp, dir, d)))
        goto out;
    copied = 0;                             /* swapped in: nothing left to remove */
    r->bytes_after = file_bytes(dir);
    r->events = copy.events;
    ipl_hex32(copy.chain, r->chain);
    if ((err = ipl_store_open(&st, dir, 0, d)))
        goto out;
    snprintf(msg, sizeof msg, "compacted: %llu bytes on disk before, %llu after (%llu reclaimed)",
             (unsigned long long)r->bytes_before, (unsigned long long)r->bytes_after,
             (unsigned long long)(r->bytes_before > r->bytes_after ? r->bytes_before - r->bytes_after : 0));
    err = ipl_audit_config(st, NULL, a, "store", "compact", NULL, msg, &r->event_seq, d);
out:
    if (copied)
        remove_copy(tmp);
    ipl_store_close(st);
    ipl_unlock_file(lockfd);
    return err;
}
