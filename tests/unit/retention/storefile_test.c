/* tests/unit/retention/storefile_test.c — backup, restore and compaction (retention/storefile.c):
 * a backup is a verified store with the same events and chain; restore refuses a backup that
 * does not verify (leaving the store as it was) and a store that holds events unless told, and
 * records itself; compaction after a purge shrinks the file, keeps every event and the chain,
 * records itself, and leaves no temporary copy behind.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "retention/purge.h"
#include "retention/storefile.h"

#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)
#define N 20000

static char base[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", base, name);
}

static void fill(const char *dir)
{
    ipl_store *st;
    ipl_batch *b;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < N; i++) {
        ipl_event e;
        char ip[32], host[32];
        ipl_event_reset(&e);
        snprintf(ip, sizeof ip, "10.3.%d.%d", i / 250 % 250, i % 250 + 1);
        snprintf(host, sizeof host, "pc-%d.corp", i % 977);
        e.kind = IPL_K_LEASE_ASSIGN;
        e.ts = T0 + (int64_t)i * IPL_US_PER_SEC;
        e.has_ip = 1;
        ipl_ip_parse(ip, strlen(ip), e.ip);
        e.host = host;
        e.source = "test:storefile";
        ipl_event_add_attr(&e, IPL_A_MESSAGE, "a message long enough to take some room in the record", 54);
        CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        if ((i + 1) % 1000 == 0) {
            CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
            ipl_batch_clear(b);
        }
    }
    ipl_batch_free(b);
    ipl_store_close(st);
}

static ipl_store_stats stats(const char *dir)
{
    ipl_store *st;
    ipl_rtxn *t;
    ipl_store_stats s;
    memset(&s, 0, sizeof s);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, NULL), IPL_OK);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return s;
}

static int exists(const char *dir, const char *name)
{
    char p[256];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

static ipl_actor actor(void)
{
    ipl_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.principal, sizeof a.principal, "os:tester");
    return a;
}

static void test_backup_restore(void)
{
    char st_dir[96], bk[96], bad[96], other[96];
    ipl_storefile_report r;
    ipl_diag d = {0};
    ipl_actor a = actor();
    path(st_dir, sizeof st_dir, "st");
    path(bk, sizeof bk, "backup");
    path(bad, sizeof bad, "bad");
    path(other, sizeof other, "other");
    fill(st_dir);
    ipl_store_stats s0 = stats(st_dir);
    ipl_store *st;
    CHECK_INT(ipl_store_open(&st, st_dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_backup(st, bk, 0, 1, &r, &d), IPL_OK);
    CHECK(r.verify.ok);
    CHECK_INT(r.events, N);
    CHECK_INT(ipl_backup(st, bk, 0, 1, &r, &d), IPL_EEXIST);     /* never over a store */
    CHECK_INT(ipl_backup(st, bad, 0, 0, &r, &d), IPL_OK);
    ipl_store_close(st);
    CHECK(!exists(bk, "lock.mdb"));                              /* a clean copy: data.mdb only */
    ipl_store_stats sb = stats(bk);
    CHECK(memcmp(sb.chain, s0.chain, 32) == 0);
    char lk[128];
    snprintf(lk, sizeof lk, "%s/lock.mdb", bk);
    remove(lk);                                                  /* opened by stats() */

    /* a damaged backup is refused and nothing changes */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi ev;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    CHECK_INT(mdb_env_open(env, bad, 0, 0664), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "events", 0, &ev), 0);
    uint8_t k[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x00};
    MDB_val key = {8, k}, v;
    CHECK_INT(mdb_get(txn, ev, &key, &v), 0);
    uint8_t buf[512];
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size - 3] ^= 0x20;
    MDB_val nv = {v.mv_size, buf};
    CHECK_INT(mdb_put(txn, ev, &key, &nv, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    CHECK_INT(ipl_restore(bad, st_dir, 1, &a, NULL, &r, &d), IPL_ECORRUPT);
    CHECK(strstr(d.msg, "does not verify") != NULL);
    CHECK(!r.verify.ok);
    ipl_store_stats s1 = stats(st_dir);
    CHECK_INT(s1.events, N);
    CHECK(memcmp(s1.chain, s0.chain, 32) == 0);

    /* over a store holding events: only when told */
    CHECK_INT(ipl_restore(bk, st_dir, 0, &a, NULL, &r, &d), IPL_EEXIST);
    CHECK(strstr(d.msg, "--yes") != NULL);
    CHECK_INT(ipl_restore(bk, st_dir, 1, &a, "drill", &r, &d), IPL_OK);
    CHECK_INT(r.events, N);
    CHECK_INT(r.event_seq, N + 1);
    CHECK(!exists(st_dir, ".restore-tmp"));
    CHECK(!exists(bk, "lock.mdb"));
    s1 = stats(st_dir);
    CHECK_INT(s1.events, N + 1);                      /* + the restore's own record */
    /* into a directory that does not exist yet */
    CHECK_INT(ipl_restore(bk, other, 0, &a, NULL, &r, &d), IPL_OK);
    CHECK_INT(stats(other).events, N + 1);
    CHECK_INT(ipl_store_open(&st, other, IPL_STORE_RDONLY, NULL), IPL_OK);
    ipl_verify_report vr;
    CHECK_INT(ipl_store_verify(st, &vr, NULL, NULL, NULL), IPL_OK);
    CHECK(vr.ok);
    ipl_rtxn *t;
    ipl_event e;
    size_t n;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_get(t, N + 1, &e, NULL), IPL_OK);
    CHECK_INT(e.kind, IPL_K_CONFIG_CHANGE);
    const char *act = ipl_event_attr(&e, IPL_A_ACTION, &n);
    CHECK(act && n == 7 && memcmp(act, "restore", 7) == 0);
    ipl_rtxn_end(t);
    ipl_store_close(st);
}

static void test_compact(void)
{
    char st_dir[96];
    ipl_storefile_report r;
    ipl_diag d = {0};
    ipl_actor a = actor();
    path(st_dir, sizeof st_dir, "st");
    /* purge half, then compact */
    ipl_criteria_args ca;
    char *crit;
    memset(&ca, 0, sizeof ca);
    ca.after = INT64_MIN;
    ca.before = T0 + (N / 2) * IPL_US_PER_SEC;
    ca.now = T0;
    CHECK_INT(ipl_criteria_make(&ca, &crit, NULL), IPL_OK);
    ipl_store *st;
    ipl_purge_opts o;
    ipl_purge_report pr;
    memset(&o, 0, sizeof o);
    o.criteria = crit;
    o.actor = &a;
    CHECK_INT(ipl_store_open(&st, st_dir, 0, NULL), IPL_OK);
    CHECK_INT(ipl_purge_run(st, &o, &pr, &d), IPL_OK);
    CHECK_INT(pr.count, N / 2);
    ipl_purge_report_release(&pr);
    ipl_store_close(st);
    free(crit);
    ipl_store_stats s0 = stats(st_dir);
    CHECK_INT(ipl_compact(st_dir, &a, &r, &d), IPL_OK);
    if (d.msg[0])
        fprintf(stderr, "   %s\n", d.msg);
    CHECK(r.verify.ok);
    CHECK(r.bytes_after < r.bytes_before);
    CHECK_INT(r.events, s0.events);
    CHECK(!exists(st_dir, ".compact-tmp"));
    ipl_store_stats s1 = stats(st_dir);
    CHECK_INT(s1.events, s0.events + 1);
    CHECK_INT(ipl_store_open(&st, st_dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    ipl_verify_report vr;
    CHECK_INT(ipl_store_verify(st, &vr, NULL, NULL, NULL), IPL_OK);
    CHECK(vr.ok);
    ipl_store_close(st);
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/ipl-storefile-XXXXXX");
    if (!mkdtemp(base))
        return 1;
    RUN(test_backup_restore);
    RUN(test_compact);
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
