/* tests/unit/retention/purge_weeks_test.c — the week-wise purge (engine/maint.c
 * ipl_store_purge_span, retention/purge.c's fast step) against the per-event one on a randomized
 * store: events over six weeks in an order unrelated to their times (so (ts, seq) order is not seq
 * order), a hot address and device whose weekly histories outgrow LMDB's inline duplicates,
 * several events at one microsecond, events on week boundaries, protected retention.purge
 * records, and cuts inside a week (--before and --after). For each case the two paths must leave
 * byte-identical stores (every database: events, indexes, chain, meta, kv), report the same count,
 * bytes, digest, kinds and sources, and verify; the digest must equal one recomputed here from the
 * raw records. Small transactions (a week cut into many parts), a purge killed mid-way and rerun
 * (same count, digest and chain),
 * and purges whose holds and filters take the per-entry path are checked against the model too.
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

#define WEEK  (INT64_C(604800) * IPL_US_PER_SEC)
#define W0    (INT64_C(2832) * WEEK)            /* a week start (2024-04-25, a Thursday) */
#define NEV   6000
#define NOW   (W0 + 80 * WEEK)

static char base[64];

typedef struct mev {
    int64_t  ts;
    unsigned kind;
    int      ip, mac, host, user, src;           /* -1: none */
    uint64_t seq;
} mev;
static mev model[NEV];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void cp_r(const char *from, const char *to)
{
    char cmd[512];
    nftw(to, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    snprintf(cmd, sizeof cmd, "cp -r %s %s", from, to);
    CHECK_INT(system(cmd), 0);
}

static int64_t frozen(void)
{
    return NOW;
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

static void fill(const char *dir)
{
    static const unsigned kinds[6] = {IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW, IPL_K_LEASE_RELEASE,
                                      IPL_K_LOGON, IPL_K_DNS_UPDATE, IPL_K_RETENTION_PURGE};
    for (int i = 0; i < NEV; i++) {
        mev *m = &model[i];
        uint64_t r = rnd();
        switch (r % 10) {
        case 0:  m->ts = W0 + (int64_t)(rnd() % 6) * WEEK; break;           /* a week's first µs */
        case 1:  m->ts = W0 + (int64_t)(1 + rnd() % 5) * WEEK - 1; break;   /* a week's last µs */
        case 2:  m->ts = W0 + 3 * WEEK + 777; break;                        /* one busy µs */
        default: m->ts = W0 + (int64_t)(rnd() % (uint64_t)(6 * WEEK)); break;
        }
        m->kind = kinds[(r >> 8) % 97 == 0 ? 5 : (r >> 16) % 5];
        int hot = (r >> 24) % 3 == 0;      /* a third of the events: one address, one device */
        m->ip = (r >> 28) % 9 == 0 ? -1 : hot ? 0 : (int)((r >> 32) % 120);
        m->mac = (r >> 40) % 7 == 0 ? -1 : hot ? 0 : (int)((r >> 44) % 150);
        m->host = (int)((r >> 52) % 60);
        m->user = m->kind == IPL_K_LOGON ? (int)(rnd() % 25) : -1;
        m->src = (int)(rnd() % 4);
    }
    ipl_store *st;
    ipl_batch *b;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < NEV; i++) {
        const mev *m = &model[i];
        ipl_event e;
        char ip[32], mac[32], host[32], user[32], src[32];
        ipl_event_reset(&e);
        e.kind = (uint16_t)m->kind;
        e.ts = m->ts;
        if (m->ip >= 0) {
            snprintf(ip, sizeof ip, "10.1.%d.%d", m->ip / 100, m->ip % 100 + 1);
            e.has_ip = 1;
            ipl_ip_parse(ip, strlen(ip), e.ip);
        }
        if (m->mac >= 0) {
            snprintf(mac, sizeof mac, "02000000%04x", m->mac);
            e.mac = mac;
        }
        snprintf(host, sizeof host, "Host-%d", m->host);
        e.host = host;
        if (m->user >= 0) {
            snprintf(user, sizeof user, "CORP\\u%d", m->user);
            e.user = user;
        }
        snprintf(src, sizeof src, "file:/logs/%d.log", m->src);
        e.source = src;
        e.server = "dhcp1";
        e.line = (uint64_t)i + 1;
        ipl_event_add_attr(&e, IPL_A_CODE, "10", 2);
        CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        model[i].seq = (uint64_t)i + 1;
        if ((i + 1) % 500 == 0) {
            CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
            ipl_batch_clear(b);
        }
    }
    ipl_batch_free(b);
    ipl_store_close(st);
}

/* ---- the model's answer ---- */

typedef struct sel {
    int64_t after, before;            /* [after, before) */
    unsigned kind;                    /* 0: any (but retention.purge) */
    int held_ip;                      /* -1: no hold */
} sel;

static int removed(const sel *s, const mev *m)
{
    if (m->ts < s->after || m->ts >= s->before || m->kind == IPL_K_RETENTION_PURGE)
        return 0;
    if (s->kind && m->kind != s->kind)
        return 0;
    return !(s->held_ip >= 0 && m->ip == s->held_ip);
}

static int by_ts_seq(const void *a, const void *b)
{
    const mev *x = *(const mev *const *)a, *y = *(const mev *const *)b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static MDB_env *env_open(const char *dir)
{
    MDB_env *env;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    CHECK_INT(mdb_env_open(env, dir, MDB_RDONLY, 0664), 0);
    return env;
}

/* SHA-256 over BE64 seq | BE32 len | record of the removed events in (ts, seq) order, from the
 * store before the purge. */
static uint64_t model_digest(const char *dir, const sel *s, char hex[65])
{
    static const mev *order[NEV];
    size_t n = 0;
    for (int i = 0; i < NEV; i++)
        if (removed(s, &model[i]))
            order[n++] = &model[i];
    qsort(order, n, sizeof *order, by_ts_seq);
    MDB_env *env = env_open(dir);
    MDB_txn *txn;
    MDB_dbi ev;
    ipl_sha256_ctx c;
    uint8_t dg[32];
    CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "events", 0, &ev), 0);
    ipl_sha256_init(&c);
    for (size_t i = 0; i < n; i++) {
        uint8_t k[8], hdr[12];
        for (int j = 0; j < 8; j++)
            k[j] = (uint8_t)(order[i]->seq >> (56 - 8 * j));
        MDB_val key = {8, k}, v;
        CHECK_INT(mdb_get(txn, ev, &key, &v), 0);
        memcpy(hdr, k, 8);
        for (int j = 0; j < 4; j++)
            hdr[8 + j] = (uint8_t)(v.mv_size >> (24 - 8 * j));
        ipl_sha256_update(&c, hdr, 12);
        ipl_sha256_update(&c, v.mv_data, v.mv_size);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    ipl_sha256_final(&c, dg);
    ipl_hex32(dg, hex);
    return n;
}

/* A digest of every key and value of every database, in order. */
static void store_digest(const char *dir, char hex[65])
{
    static const char *const dbs[] = {"meta", "events", "dict.s", "dict.i", "ix.ip", "ix.mac",
                                      "ix.host", "ix.user", "ix.time", "sources", "quarantine",
                                      "chain", "kv"};
    MDB_env *env = env_open(dir);
    MDB_txn *txn;
    ipl_sha256_ctx c;
    uint8_t dg[32];
    ipl_sha256_init(&c);
    CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++) {
        MDB_dbi dbi;
        MDB_cursor *cur;
        MDB_val k, v;
        if (mdb_dbi_open(txn, dbs[i], 0, &dbi) != 0)
            continue;
        ipl_sha256_update(&c, dbs[i], strlen(dbs[i]) + 1);
        CHECK_INT(mdb_cursor_open(txn, dbi, &cur), 0);
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint8_t len[8];
            for (int j = 0; j < 4; j++) {
                len[j] = (uint8_t)(k.mv_size >> (24 - 8 * j));
                len[4 + j] = (uint8_t)(v.mv_size >> (24 - 8 * j));
            }
            ipl_sha256_update(&c, len, 8);
            ipl_sha256_update(&c, k.mv_data, k.mv_size);
            ipl_sha256_update(&c, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    ipl_sha256_final(&c, dg);
    ipl_hex32(dg, hex);
}

static char *criteria(const sel *s)
{
    ipl_criteria_args a;
    char *json = NULL;
    const char *k[1];
    memset(&a, 0, sizeof a);
    a.after = s->after;
    a.before = s->before;
    if (s->kind) {
        k[0] = ipl_kind_name(s->kind);
        a.kinds = k;
        a.nkinds = 1;
    }
    a.now = NOW;
    CHECK_INT(ipl_criteria_make(&a, &json, NULL), IPL_OK);
    return json;
}

static int run(const char *dir, const char *crit, size_t batch, int per_event, long crash,
               ipl_purge_report *r)
{
    ipl_store *st;
    ipl_purge_opts o;
    ipl_actor a = actor();
    ipl_diag d = {0};
    memset(&o, 0, sizeof o);
    o.criteria = crit;
    o.batch = batch;
    o.fixed_batch = batch != 0;
    o.actor = &a;
    o.per_event = per_event;
    o.crash_after = crash;
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    int err = ipl_purge_run(st, &o, r, &d);
    if (err)
        fprintf(stderr, "   purge: %s\n", d.msg);
    ipl_store_close(st);
    return err;
}

static int verify_ok(const char *dir)
{
    ipl_store *st;
    ipl_verify_report r;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_store_verify(st, &r, NULL, NULL, NULL), IPL_OK);
    if (!r.ok)
        fprintf(stderr, "   verify '%s': %s\n", dir, r.problem);
    ipl_store_close(st);
    return r.ok && !r.reseal_pending;
}

static void add_hold(const char *dir, int ip)
{
    ipl_store *st;
    ipl_actor a = actor();
    ipl_hold h;
    memset(&h, 0, sizeof h);
    h.by = IPL_HOLD_IP;
    snprintf(h.value, sizeof h.value, "10.1.%d.%d", ip / 100, ip % 100 + 1);
    snprintf(h.reason, sizeof h.reason, "case 7");
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, NULL), IPL_OK);
    ipl_store_close(st);
}

static void same_report(const ipl_purge_report *a, const ipl_purge_report *b)
{
    CHECK_INT(a->count, b->count);
    CHECK_INT(a->bytes, b->bytes);
    CHECK_INT(a->examined, b->examined);
    CHECK_INT(a->protected_purge_events, b->protected_purge_events);
    CHECK_STR(a->digest, b->digest);
    CHECK_STR(a->chain_after, b->chain_after);
    CHECK_INT(a->first_ts, b->first_ts);
    CHECK_INT(a->last_ts, b->last_ts);
    CHECK_INT(a->event_seq, b->event_seq);
    CHECK(memcmp(a->per_kind, b->per_kind, sizeof a->per_kind) == 0);
    CHECK_INT(a->nsources, b->nsources);
    for (size_t i = 0; i < a->nsources && i < b->nsources; i++) {
        CHECK_STR(a->sources[i].name, b->sources[i].name);
        CHECK_INT(a->sources[i].n, b->sources[i].n);
    }
}

/* One case: the per-event purge and the week-wise one (at two transaction sizes, and killed
 * after two transactions then rerun) from copies of ref; all end byte-identical and match the
 * model. */
static void one_case(const char *name, const char *ref, const sel *s)
{
    char pe[128], wk[128], sm[128], kl[128], want[65], h1[65], h2[65];
    printf("-- case %s\n", name);
    snprintf(pe, sizeof pe, "%s/pe", base);
    snprintf(wk, sizeof wk, "%s/wk", base);
    snprintf(sm, sizeof sm, "%s/sm", base);
    snprintf(kl, sizeof kl, "%s/kl", base);
    cp_r(ref, pe);
    cp_r(ref, wk);
    cp_r(ref, sm);
    cp_r(ref, kl);
    uint64_t n = model_digest(ref, s, want);
    char *crit = criteria(s);
    ipl_purge_report rp, rw, rs, rk;
    CHECK_INT(run(pe, crit, 0, 1, 0, &rp), IPL_OK);
    CHECK_INT(run(wk, crit, 0, 0, 0, &rw), IPL_OK);
    CHECK_INT(run(sm, crit, 37, 0, 0, &rs), IPL_OK);       /* many transactions per week */
    CHECK_INT(rp.count, n);
    CHECK_STR(rp.digest, want);
    same_report(&rp, &rw);
    same_report(&rp, &rs);
    CHECK(rs.batches > rw.batches);
    CHECK(rw.batches <= 7);                                 /* a transaction per week (6 + 1) */
    CHECK(verify_ok(pe));
    CHECK(verify_ok(wk));
    CHECK(verify_ok(sm));
    store_digest(pe, h1);
    store_digest(wk, h2);
    CHECK_STR(h1, h2);
    store_digest(sm, h2);
    CHECK_STR(h1, h2);
    /* killed after two transactions (a forked child), then the same command again */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ipl_purge_report r;
        run(kl, crit, 400, 0, 2, &r);
        _exit(0);
    }
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    if (n > 800) {
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        ipl_store *st;
        ipl_verify_report v;
        CHECK_INT(ipl_store_open(&st, kl, IPL_STORE_RDONLY, NULL), IPL_OK);
        CHECK_INT(ipl_store_verify(st, &v, NULL, NULL, NULL), IPL_OK);
        CHECK(v.ok);                       /* consistent; the chain awaits its re-seal */
        CHECK(v.reseal_pending > 0);
        CHECK(v.events >= NEV - 800 && v.events < NEV);   /* a transaction ends at a week's end */
        ipl_store_close(st);
    }
    CHECK_INT(run(kl, crit, 0, 0, 0, &rk), IPL_OK);
    CHECK(n <= 800 || rk.resumed);
    CHECK_INT(rk.count, n);
    CHECK_STR(rk.digest, want);
    CHECK_STR(rk.chain_after, rp.chain_after);
    CHECK(verify_ok(kl));       /* (its purge record says "resumed": the stores differ there) */
    ipl_purge_report_release(&rp);
    ipl_purge_report_release(&rw);
    ipl_purge_report_release(&rs);
    ipl_purge_report_release(&rk);
    free(crit);
}

/* Holds and filters take the per-entry path: the result is the model's. */
static void filtered_case(const char *name, const char *ref, const sel *s)
{
    char dir[128], want[65];
    printf("-- filtered case %s\n", name);
    snprintf(dir, sizeof dir, "%s/f", base);
    cp_r(ref, dir);
    if (s->held_ip >= 0)
        add_hold(dir, s->held_ip);
    uint64_t n = model_digest(ref, s, want);
    char *crit = criteria(s);
    ipl_purge_report r;
    CHECK_INT(run(dir, crit, 0, 0, 0, &r), IPL_OK);
    CHECK_INT(r.count, n);
    CHECK_STR(r.digest, want);
    CHECK(verify_ok(dir));
    /* what stays: exactly the events the model keeps */
    ipl_store *st;
    ipl_rtxn *t;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    int bad = 0;
    for (int i = 0; i < NEV; i++) {
        ipl_event e;
        int err = ipl_store_get(t, model[i].seq, &e, NULL);
        bad += (err == IPL_OK) == removed(s, &model[i]);
    }
    CHECK_INT(bad, 0);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    ipl_purge_report_release(&r);
    free(crit);
}

int main(void)
{
    char ref[96];
    snprintf(base, sizeof base, "/tmp/ipl-purge-weeks-XXXXXX");
    if (!mkdtemp(base))
        return 1;
    snprintf(ref, sizeof ref, "%s/ref", base);
    fill(ref);
    CHECK(verify_ok(ref));

    /* the cut inside the fourth week: three whole weeks and a part */
    sel a = {INT64_MIN, W0 + 3 * WEEK + 4 * 86400 * IPL_US_PER_SEC + 12345, 0, -1};
    one_case("before, mid-week", ref, &a);
    /* the cut at the busy microsecond, --after inside the first week */
    sel b = {W0 + 2 * 86400 * IPL_US_PER_SEC + 1, W0 + 3 * WEEK + 777, 0, -1};
    one_case("after and before inside weeks", ref, &b);
    sel c = {INT64_MIN, W0 + 3 * WEEK + 778, 0, -1};
    one_case("before, just after the busy microsecond", ref, &c);
    /* whole weeks: the cut on a week boundary (every key dropped at once) */
    sel e = {W0 + WEEK, W0 + 5 * WEEK, 0, -1};
    one_case("whole weeks", ref, &e);
    sel all = {INT64_MIN, W0 + 10 * WEEK, 0, -1};
    one_case("everything", ref, &all);

    sel f = {INT64_MIN, W0 + 3 * WEEK + 4 * 86400 * IPL_US_PER_SEC, 0, 0};
    filtered_case("a hold on the hot address", ref, &f);
    sel g = {INT64_MIN, W0 + 4 * WEEK + 1, IPL_K_LEASE_RENEW, -1};
    filtered_case("--kind lease.renew", ref, &g);

    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
