/* tests/unit/retention/purge_test.c — criteria and the purge (retention/criteria.c, purge.c):
 * what is selected (time window, kinds and families, sources, protected retention.purge records,
 * holds); a purge removes exactly that from the events and every index, keeps held events, stays
 * verifiable, records one retention.purge event whose count and digest match a digest recomputed
 * here from the raw records (LMDB read directly, SHA-256 over BE64 seq | BE32 len | record in
 * (ts, seq) order); a purge stopped after one batch, or killed (a forked child with crash_after)
 * and run again ends exactly as an uninterrupted one; a tiny map forces map growth inside the
 * delete transactions without changing the digest; a dry run changes nothing and counts the same.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/sha256.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "retention/hold.h"
#include "retention/purge.h"

#include <ftw.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)      /* 2024-05-01T00:00:00Z */
#define MIN (INT64_C(60) * IPL_US_PER_SEC)
#define N 3000
#define BEFORE (T0 + 1500 * MIN)
#define NOW (T0 + INT64_C(400) * 86400 * IPL_US_PER_SEC)

static char base[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cp_r(const char *from, const char *to)
{
    char cmd[256];
    rm_rf(to);
    snprintf(cmd, sizeof cmd, "cp -r %s %s", from, to);
    CHECK_INT(system(cmd), 0);
}

static int64_t clock_now = NOW;

static int64_t frozen(void)
{
    return clock_now;
}

static ipl_actor actor(void)
{
    ipl_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.principal, sizeof a.principal, "os:tester");
    snprintf(a.host, sizeof a.host, "testhost");
    a.clock = frozen;
    return a;
}

/* Event i: a minute apart; kinds rotate through assign, renew, release, logon; two sources;
 * ip 10.0.(i/200).(i%200+1); every 500th one (i % 500 == 7) is a retention.purge record. */
static void fill(const char *dir)
{
    ipl_store *st;
    ipl_batch *b;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < N; i++) {
        static const unsigned kinds[4] = {IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW,
                                          IPL_K_LEASE_RELEASE, IPL_K_LOGON};
        ipl_event e;
        char ip[32], mac[16], host[32], user[32];
        ipl_event_reset(&e);
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 200, i % 200 + 1);
        snprintf(mac, sizeof mac, "0000000%05x", i % 700);
        snprintf(host, sizeof host, "Host-%d", i % 300);
        snprintf(user, sizeof user, "CORP\\User%d", i % 90);
        e.kind = (uint16_t)(i % 500 == 7 ? IPL_K_RETENTION_PURGE : kinds[i % 4]);
        e.ts = T0 + (int64_t)i * MIN;
        e.has_ip = 1;
        ipl_ip_parse(ip, strlen(ip), e.ip);
        e.mac = mac;
        e.host = host;
        e.user = i % 4 == 3 ? user : NULL;
        e.server = "dhcp1";
        e.source = i % 3 ? "file:/logs/a.log" : "file:/logs/b.log";
        e.line = (uint64_t)i + 1;
        ipl_event_add_attr(&e, IPL_A_CODE, "10", 2);
        CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        if ((i + 1) % 250 == 0) {
            CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
            ipl_batch_clear(b);
        }
    }
    ipl_batch_free(b);
    ipl_store_close(st);
}

static int held_ip(int i)
{
    return i / 200 == 1;     /* 10.0.1.0/24 */
}

/* The digest of the events a purge before BEFORE with a hold on 10.0.1.0/24 must remove,
 * recomputed from the raw records; *n receives their count. */
static void expected_digest(const char *dir, int with_hold, char hex[65], uint64_t *n)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi ev;
    ipl_sha256_ctx s;
    uint8_t dg[32];
    ipl_sha256_init(&s);
    *n = 0;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    CHECK_INT(mdb_env_open(env, dir, MDB_RDONLY, 0664), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "events", 0, &ev), 0);
    /* seq i+1 is event i and ts ascends with seq here, so (ts, seq) order is seq order */
    for (int i = 0; i < N; i++) {
        int64_t ts = T0 + (int64_t)i * MIN;
        if (ts >= BEFORE || i % 500 == 7 || (with_hold && held_ip(i)))
            continue;
        uint8_t k[8], hdr[12];
        uint64_t seq = (uint64_t)i + 1;
        for (int j = 0; j < 8; j++)
            k[j] = (uint8_t)(seq >> (56 - 8 * j));
        MDB_val key = {8, k}, v;
        CHECK_INT(mdb_get(txn, ev, &key, &v), 0);
        memcpy(hdr, k, 8);
        hdr[8] = (uint8_t)(v.mv_size >> 24);
        hdr[9] = (uint8_t)(v.mv_size >> 16);
        hdr[10] = (uint8_t)(v.mv_size >> 8);
        hdr[11] = (uint8_t)v.mv_size;
        ipl_sha256_update(&s, hdr, 12);
        ipl_sha256_update(&s, v.mv_data, v.mv_size);
        (*n)++;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    ipl_sha256_final(&s, dg);
    ipl_hex32(dg, hex);
}

static char *criteria_before(int64_t before, const char *const *kinds, size_t nk,
                             const char *const *sources, size_t ns)
{
    ipl_criteria_args a;
    char *json = NULL;
    memset(&a, 0, sizeof a);
    a.after = INT64_MIN;
    a.before = before;
    a.kinds = kinds;
    a.nkinds = nk;
    a.sources = sources;
    a.nsources = ns;
    a.now = NOW;
    CHECK_INT(ipl_criteria_make(&a, &json, NULL), IPL_OK);
    return json;
}

static void test_criteria(void)
{
    ipl_diag d = {0};
    ipl_criteria_args a;
    char *json = NULL;
    memset(&a, 0, sizeof a);
    a.after = INT64_MIN;
    a.before = INT64_MAX;
    a.now = NOW;
    CHECK_INT(ipl_criteria_make(&a, &json, &d), IPL_EINVAL);      /* no upper bound */
    CHECK(strstr(d.msg, "--before") != NULL);
    const char *bad[] = {"lease.nothing"};
    a.before = BEFORE;
    a.kinds = bad;
    a.nkinds = 1;
    CHECK_INT(ipl_criteria_make(&a, &json, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "lease.nothing") != NULL);
    a.nkinds = 0;
    a.where = "leases | count by host";
    CHECK_INT(ipl_criteria_make(&a, &json, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "must return events") != NULL);
    a.where = "leases where ip in";
    CHECK(ipl_criteria_make(&a, &json, &d) != IPL_OK);
    CHECK(strstr(d.msg, "--where:1:") != NULL);
    a.where = NULL;
    a.after = BEFORE;
    CHECK_INT(ipl_criteria_make(&a, &json, &d), IPL_EINVAL);    /* empty window */

    const char *fam[] = {"lease.*"}, *src[] = {"file:/logs/a*"};
    char *c1 = criteria_before(BEFORE, fam, 1, src, 1), *c2;
    ipl_criteria *c;
    CHECK_INT(ipl_criteria_compile(c1, &c, NULL), IPL_OK);
    ipl_event e;
    ipl_event_reset(&e);
    e.ts = BEFORE - 1;
    e.kind = IPL_K_LEASE_RENEW;
    e.source = "file:/logs/a.log";
    CHECK_INT(ipl_criteria_match(c, &e), 0);
    e.ts = BEFORE;                                    /* --before is exclusive */
    CHECK_INT(ipl_criteria_match(c, &e), -1);
    e.ts = T0;
    e.kind = IPL_K_LOGON;
    CHECK_INT(ipl_criteria_match(c, &e), -1);
    e.kind = IPL_K_LEASE_ASSIGN;
    e.source = "file:/logs/b.log";
    CHECK_INT(ipl_criteria_match(c, &e), -1);
    ipl_criteria_free(c);
    /* retention.purge records: spared unless named exactly, also by "*" or "retention.*" */
    const char *star[] = {"*"}, *fam2[] = {"retention.*"}, *named[] = {"retention.purge"};
    e.kind = IPL_K_RETENTION_PURGE;
    e.source = "ipledger:retention";
    const char *const *sets[3] = {star, fam2, named};
    int want[3] = {-2, -2, 0};
    for (int i = 0; i < 3; i++) {
        c2 = criteria_before(BEFORE, sets[i], 1, NULL, 0);
        CHECK_INT(ipl_criteria_compile(c2, &c, NULL), IPL_OK);
        CHECK_INT(ipl_criteria_match(c, &e), want[i]);
        ipl_criteria_free(c);
        free(c2);
    }
    /* the same selection at another instant is the same purge; another selection is not */
    ipl_criteria_args b;
    memset(&b, 0, sizeof b);
    b.after = INT64_MIN;
    b.before = BEFORE;
    b.kinds = fam;
    b.nkinds = 1;
    b.sources = src;
    b.nsources = 1;
    b.now = NOW + 5;
    CHECK_INT(ipl_criteria_make(&b, &c2, NULL), IPL_OK);
    CHECK(ipl_criteria_same(c1, c2));
    free(c2);
    b.before = BEFORE + 1;
    CHECK_INT(ipl_criteria_make(&b, &c2, NULL), IPL_OK);
    CHECK(!ipl_criteria_same(c1, c2));
    free(c2);
    free(c1);
}

typedef struct attrs {
    char count[32], digest[80], held[256], chain_after[80], criteria[2048];
    int found;
} attrs;

/* The attributes of the last retention.purge event made by a purge (user os:tester). */
static attrs purge_event(ipl_store *st)
{
    attrs r;
    ipl_rtxn *t;
    memset(&r, 0, sizeof r);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    for (uint64_t seq = ipl_store_last_seq(t); seq > 0 && !r.found; seq--) {
        ipl_event e;
        if (ipl_store_get(t, seq, &e, NULL) != IPL_OK || e.kind != IPL_K_RETENTION_PURGE ||
            !e.user || strcmp(e.user, "os:tester") != 0)
            continue;
        size_t n;
        const char *v;
        struct { unsigned key; char *buf; size_t cap; } want[] = {
            {IPL_A_COUNT, r.count, sizeof r.count}, {IPL_A_DIGEST, r.digest, sizeof r.digest},
            {IPL_A_PURGE_HELD, r.held, sizeof r.held},
            {IPL_A_CHAIN_AFTER, r.chain_after, sizeof r.chain_after},
            {IPL_A_CRITERIA, r.criteria, sizeof r.criteria}};
        for (size_t i = 0; i < 5; i++)
            if ((v = ipl_event_attr(&e, want[i].key, &n)))
                snprintf(want[i].buf, want[i].cap, "%.*s", (int)n, v);
        CHECK_STR(e.source, IPL_AUDIT_SOURCE);
        CHECK_STR(e.server, "testhost");
        CHECK_INT(e.ts, NOW);
        r.found = 1;
    }
    ipl_rtxn_end(t);
    return r;
}

static uint64_t index_count(ipl_store *st, const char *ip)
{
    ipl_rtxn *t;
    uint8_t k[16];
    uint64_t n = 0;
    ipl_ip_parse(ip, strlen(ip), k);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    ipl_index_count(t, IPL_IX_IP, k, &n, NULL);
    ipl_rtxn_end(t);
    return n;
}

static void add_hold(ipl_store *st, const char *prefix, int64_t until)
{
    ipl_actor a = actor();
    ipl_hold h;
    memset(&h, 0, sizeof h);
    h.by = IPL_HOLD_IP;
    snprintf(h.value, sizeof h.value, "%s", prefix);
    snprintf(h.reason, sizeof h.reason, "litigation");
    h.until = until;
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, NULL), IPL_OK);
}

static int run(const char *dir, const char *criteria, int dry, size_t batch, volatile sig_atomic_t *stop,
               ipl_purge_report *r)
{
    ipl_store *st;
    ipl_purge_opts o;
    ipl_actor a = actor();
    ipl_diag d = {0};
    memset(&o, 0, sizeof o);
    o.criteria = criteria;
    o.dry_run = dry;
    o.batch = batch;
    o.fixed_batch = batch != 0;
    o.actor = &a;
    o.stop = stop;
    CHECK_INT(ipl_store_open(&st, dir, dry ? IPL_STORE_RDONLY : 0, NULL), IPL_OK);
    int err = ipl_purge_run(st, &o, r, &d);
    if (err)
        fprintf(stderr, "   purge: %s\n", d.msg);
    ipl_store_close(st);
    return err;
}

static ipl_verify_report verify(const char *dir)
{
    ipl_store *st;
    ipl_verify_report r;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_store_verify(st, &r, NULL, NULL, NULL), IPL_OK);
    if (!r.ok)
        fprintf(stderr, "   verify: %s\n", r.problem);
    ipl_store_close(st);
    return r;
}

static void test_purge(void)
{
    char dir[96], ref[96];
    snprintf(dir, sizeof dir, "%s/p", base);
    snprintf(ref, sizeof ref, "%s/ref", base);
    fill(ref);
    cp_r(ref, dir);
    ipl_store *st;
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    add_hold(st, "10.0.1.0/24", 0);
    clock_now = BEFORE + MIN;                   /* added then, expired long before NOW */
    add_hold(st, "10.0.2.0/24", BEFORE + 2 * MIN);
    clock_now = NOW;
    ipl_store_close(st);
    char want[65];
    uint64_t nwant;
    expected_digest(dir, 1, want, &nwant);
    CHECK_INT(nwant, 1500 - 200 - 3);          /* 200 held, 3 purge records (7, 507, 1007) */
    char *crit = criteria_before(BEFORE, NULL, 0, NULL, 0);

    /* a dry run counts the same and changes nothing */
    ipl_purge_report r;
    CHECK_INT(run(dir, crit, 1, 0, NULL, &r), IPL_OK);
    CHECK_INT(r.count, nwant);
    CHECK_INT(r.held_total, 200);
    CHECK_INT(r.nheld, 1);
    CHECK_INT(r.protected_purge_events, 3);
    CHECK_INT(r.per_kind[IPL_K_LOGON], 372 - 50);
    CHECK_INT(r.nsources, 2);
    CHECK(r.bytes > nwant * 20);
    ipl_purge_report_release(&r);
    CHECK_INT(verify(dir).events, N + 2);

    CHECK_INT(run(dir, crit, 0, 100, NULL, &r), IPL_OK);
    CHECK_INT(r.count, nwant);
    CHECK_STR(r.digest, want);
    CHECK_INT(r.batches, (nwant + 99) / 100);
    CHECK_INT(r.held_total, 200);
    CHECK_INT(r.first_ts, T0);
    CHECK_INT(r.last_ts, BEFORE - MIN);
    uint64_t sum = 0;
    for (size_t i = 0; i < r.nsources; i++)
        sum += r.sources[i].n;
    CHECK_INT(sum, nwant);
    ipl_purge_report_release(&r);
    ipl_verify_report v = verify(dir);
    CHECK(v.ok);
    CHECK_INT(v.reseal_pending, 0);
    CHECK_INT(v.events, N + 2 - nwant + 1);

    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    attrs pe = purge_event(st);
    CHECK(pe.found);
    char cnt[32];
    snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)nwant);
    CHECK_STR(pe.count, cnt);
    CHECK_STR(pe.digest, want);
    CHECK(strstr(pe.held, "\"total\":200") != NULL);
    CHECK(strstr(pe.criteria, "\"before_time\":\"2024-05-02T01:00:00Z\"") != NULL);
    /* gone from the events and the ip index; held ones and later ones stay */
    ipl_rtxn *t;
    ipl_event e;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_get(t, 1, &e, NULL), IPL_ENOTFOUND);
    CHECK_INT(ipl_store_get(t, 8, &e, NULL), IPL_OK);          /* a purge record: spared */
    CHECK_INT(ipl_store_get(t, 201, &e, NULL), IPL_OK);        /* held */
    CHECK_INT(ipl_store_get(t, 401, &e, NULL), IPL_ENOTFOUND); /* its hold had expired */
    CHECK_INT(ipl_store_get(t, 1501, &e, NULL), IPL_OK);       /* after --before */
    ipl_rtxn_end(t);
    CHECK_INT(index_count(st, "10.0.0.1"), 0);
    CHECK_INT(index_count(st, "10.0.1.1"), 1);
    CHECK_INT(index_count(st, "10.0.7.101"), 1);               /* event 1500 */
    ipl_store_close(st);

    /* the same purge again removes nothing (and records that) */
    CHECK_INT(run(dir, crit, 0, 0, NULL, &r), IPL_OK);
    CHECK_INT(r.count, 0);
    ipl_purge_report_release(&r);
    CHECK(verify(dir).ok);
    free(crit);
}

/* A purge stopped after one batch leaves a consistent store and the progress record; the next
 * run finishes it with the same digest, count and chain as an uninterrupted purge. */
static void test_resume(void)
{
    char ref[96], a[96], b[96], c[96];
    snprintf(ref, sizeof ref, "%s/ref", base);
    snprintf(a, sizeof a, "%s/ra", base);
    snprintf(b, sizeof b, "%s/rb", base);
    snprintf(c, sizeof c, "%s/rc", base);
    cp_r(ref, a);
    cp_r(ref, b);
    cp_r(ref, c);
    char want[65];
    uint64_t nwant;
    expected_digest(a, 0, want, &nwant);
    char *crit = criteria_before(BEFORE, NULL, 0, NULL, 0);
    ipl_purge_report ra, rb;
    CHECK_INT(run(a, crit, 0, 0, NULL, &ra), IPL_OK);
    CHECK_STR(ra.digest, want);
    CHECK_INT(ra.count, nwant);

    volatile sig_atomic_t stop = 1;
    CHECK_INT(run(b, crit, 0, 250, &stop, &rb), IPL_OK);
    CHECK(rb.stopped);
    CHECK_INT(rb.count, 250);
    ipl_purge_report_release(&rb);
    ipl_verify_report v = verify(b);       /* indexes consistent; the chain awaits its re-seal */
    CHECK(v.ok);
    CHECK(v.reseal_pending > 0);
    ipl_store *st;
    ipl_rtxn *t;
    char *pending;
    uint64_t removed;
    CHECK_INT(ipl_store_open(&st, b, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_purge_pending(t, &pending, &removed, NULL), IPL_OK);
    CHECK_INT(removed, 250);
    CHECK_STR(pending, crit);
    free(pending);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    /* other criteria are refused until it is finished */
    char *other = criteria_before(BEFORE - MIN, NULL, 0, NULL, 0);
    CHECK_INT(run(b, other, 0, 0, NULL, &rb), IPL_EBUSY);
    free(other);
    /* finishing it: criteria NULL (--resume), with another batch size */
    CHECK_INT(run(b, NULL, 0, 77, NULL, &rb), IPL_OK);
    CHECK(rb.resumed);
    CHECK_INT(rb.count, nwant);
    CHECK_STR(rb.digest, want);
    CHECK_STR(rb.chain_after, ra.chain_after);
    CHECK_STR(rb.chain_before, ra.chain_before);
    ipl_purge_report_release(&rb);
    CHECK(verify(b).ok);

    /* killed (SIGKILL between two batches) in a child, then rerun with the same criteria */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ipl_store *cs;
        ipl_purge_opts o;
        ipl_actor act = actor();
        ipl_purge_report r;
        memset(&o, 0, sizeof o);
        o.criteria = crit;
        o.batch = 100;
        o.fixed_batch = 1;
        o.actor = &act;
        o.crash_after = 3;
        if (ipl_store_open(&cs, c, 0, NULL) == IPL_OK)
            ipl_purge_run(cs, &o, &r, NULL);
        _exit(0);
    }
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT(verify(c).events, N - 300);
    CHECK_INT(run(c, crit, 0, 0, NULL, &rb), IPL_OK);
    CHECK(rb.resumed);
    CHECK_INT(rb.count, nwant);
    CHECK_STR(rb.digest, want);
    CHECK_STR(rb.chain_after, ra.chain_after);
    ipl_purge_report_release(&rb);
    CHECK(verify(c).ok);
    ipl_purge_report_release(&ra);
    free(crit);
}

/* ipl_store_delete meeting MDB_MAP_FULL: a compacted copy has no free pages, and opened with a
 * tiny IPLEDGER_MAP_SIZE its map is exactly the data, so the first delete transaction runs out
 * of map; the map grows and the batch is replayed. The digest must count the batch once (with
 * the accumulator not reset between attempts, count and digest come out wrong here). */
static void test_map_growth(void)
{
    char ref[96], dir[96];
    snprintf(ref, sizeof ref, "%s/ref", base);
    snprintf(dir, sizeof dir, "%s/map", base);
    ipl_store *st;
    ipl_rtxn *t;
    ipl_store_stats s0;
    rm_rf(dir);
    CHECK_INT(ipl_store_open(&st, ref, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_store_copy(st, dir, 1, NULL), IPL_OK);
    ipl_store_close(st);
    char want[65];
    uint64_t nwant, seqs[N], n = 0;
    expected_digest(dir, 0, want, &nwant);
    for (int i = 0; i < N; i++)
        if (T0 + (int64_t)i * MIN < BEFORE && i % 500 != 7)
            seqs[n++] = (uint64_t)i + 1;
    CHECK_INT(n, nwant);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s0, NULL), IPL_OK);
    CHECK_INT(s0.events, N);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    setenv("IPLEDGER_MAP_SIZE", "65536", 1);
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    ipl_purge_acc acc;
    ipl_purge_acc_init(&acc);
    CHECK_INT(ipl_store_delete(st, seqs, (size_t)n, &acc, "retention", "test", "x", 1, NULL), IPL_OK);
    ipl_store_close(st);
    unsetenv("IPLEDGER_MAP_SIZE");
    uint8_t dg[32];
    char got[65];
    ipl_sha256_ctx fin = acc.digest;
    ipl_sha256_final(&fin, dg);
    ipl_hex32(dg, got);
    CHECK_INT(acc.count, nwant);
    CHECK_STR(got, want);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    /* the progress record carries the accumulator after the batch */
    const void *v;
    size_t vn;
    ipl_purge_acc back;
    CHECK_INT(ipl_store_kv_get(t, "retention", "test", &v, &vn), IPL_OK);
    CHECK_INT(vn, 1 + IPL_PURGE_ACC_STATE);
    CHECK_INT(ipl_purge_acc_load(&back, (const char *)v + 1, vn - 1), IPL_OK);
    CHECK_INT(back.count, nwant);
    CHECK_INT(back.bytes, acc.bytes);
    CHECK(memcmp(back.digest.h, acc.digest.h, sizeof acc.digest.h) == 0);
    ipl_rtxn_end(t);
    ipl_store_close(st);
}

/* Another process grows the map while a purge has the store open (ingest during a purge): the
 * purge's next delete transaction meets MDB_MAP_RESIZED, adopts the new size and goes on. */
static void test_map_resized(void)
{
    char ref[96], dir[96];
    snprintf(ref, sizeof ref, "%s/ref", base);
    snprintf(dir, sizeof dir, "%s/resized", base);
    ipl_store *st;
    rm_rf(dir);
    CHECK_INT(ipl_store_open(&st, ref, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_store_copy(st, dir, 1, NULL), IPL_OK);        /* no free pages */
    ipl_store_close(st);
    setenv("IPLEDGER_MAP_SIZE", "65536", 1);                     /* the map = the data */
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    unsetenv("IPLEDGER_MAP_SIZE");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {                       /* an ingest that needs a bigger map */
        ipl_store *w;
        ipl_batch *b;
        if (ipl_store_open(&w, dir, 0, NULL) || ipl_batch_new(&b))
            _exit(1);
        for (int i = 0; i < 20000; i++) {
            ipl_event e;
            char host[32];
            ipl_event_reset(&e);
            snprintf(host, sizeof host, "grow-%d", i);
            e.kind = IPL_K_LEASE_ASSIGN;
            e.ts = NOW + i;
            e.host = host;
            e.source = "test:grow";
            if (ipl_batch_add(b, &e, NULL))
                _exit(1);
        }
        _exit(ipl_store_commit(w, b, NULL, NULL) ? 1 : 0);
    }
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uint64_t seqs[10] = {1, 2, 3, 4, 5, 6, 9, 10, 11, 12};
    ipl_purge_acc acc;
    ipl_diag d = {0};
    ipl_purge_acc_init(&acc);
    CHECK_INT(ipl_store_reseal_mark(st, 1, &d), IPL_OK);
    CHECK_INT(ipl_store_delete(st, seqs, 10, &acc, NULL, NULL, NULL, 0, &d), IPL_OK);
    if (d.msg[0])
        fprintf(stderr, "   %s\n", d.msg);
    CHECK_INT(acc.count, 10);
    CHECK_INT(ipl_store_reseal(st, 0, &d), IPL_OK);
    ipl_store_close(st);
    ipl_verify_report v = verify(dir);
    CHECK(v.ok);
    CHECK_INT(v.events, N + 20000 - 10);
}

/* Kinds and sources narrow the purge; naming retention.purge removes purge records too. */
static void test_filters(void)
{
    char ref[96], dir[96];
    snprintf(ref, sizeof ref, "%s/ref", base);
    snprintf(dir, sizeof dir, "%s/f", base);
    cp_r(ref, dir);
    const char *k[] = {"logon"}, *s[] = {"file:/logs/b.log"};
    char *crit = criteria_before(BEFORE, k, 1, s, 1);
    ipl_purge_report r;
    CHECK_INT(run(dir, crit, 0, 0, NULL, &r), IPL_OK);
    /* i < 1500, i % 4 == 3, i % 3 == 0: i = 3, 15, 27, ... (every 12th from 3: 125), less
     * i = 507, a purge record */
    CHECK_INT(r.count, 124);
    CHECK_INT(r.per_kind[IPL_K_LOGON], 124);
    CHECK_INT(r.nsources, 1);
    CHECK_STR(r.sources[0].name, "file:/logs/b.log");
    ipl_purge_report_release(&r);
    free(crit);
    /* --where: the query's events, within the window; its purge records stay protected */
    ipl_criteria_args wa;
    memset(&wa, 0, sizeof wa);
    wa.after = INT64_MIN;
    wa.before = BEFORE;
    wa.where = "events where ip in 10.0.2.0/24";
    wa.now = NOW;
    CHECK_INT(ipl_criteria_make(&wa, &crit, NULL), IPL_OK);
    CHECK_INT(run(dir, crit, 0, 0, NULL, &r), IPL_OK);
    CHECK_INT(r.count, 200 - 1 - 15);         /* less 507 (a purge record) and 15 logons gone */
    CHECK_INT(r.protected_purge_events, 1);
    ipl_purge_report_release(&r);
    free(crit);
    const char *pk[] = {"retention.purge"};
    crit = criteria_before(BEFORE, pk, 1, NULL, 0);
    CHECK_INT(run(dir, crit, 0, 0, NULL, &r), IPL_OK);
    CHECK_INT(r.count, 3);
    CHECK_INT(r.protected_purge_events, 0);
    ipl_purge_report_release(&r);
    free(crit);
    ipl_verify_report v = verify(dir);
    CHECK(v.ok);
    CHECK_INT(v.events, N - 124 - 184 - 3 + 3);   /* + the three purges' own records */
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/ipl-purge-XXXXXX");
    if (!mkdtemp(base))
        return 1;
    RUN(test_criteria);
    RUN(test_purge);
    RUN(test_resume);
    RUN(test_map_growth);
    RUN(test_map_resized);
    RUN(test_filters);
    rm_rf(base);
    return check_summary();
}
