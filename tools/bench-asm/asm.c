/* tools/bench-asm/asm.c — ipledger-bench-asm: the address-space figures of issue 7, with a peer
 * measured in the same run.
 *
 *   ipledger-bench-asm --dir DIR [--ranges N] [--keep]
 *
 * --keep leaves DIR in place with a marker (DIR/built: ranges and events), and a later run with
 * --keep and the same --ranges reuses it instead of writing the data set again (~20 s).
 *
 * Builds, in DIR, a store of synthetic lease events written straight through ipl_batch_add
 * (default 40,000 /24 ranges, IPAM's tested maximum, with 62 addresses each leased, renewed or
 * released over 90 days: ~5M events in all; a /16 with 60,000 addresses held; a /22 churning with
 * 8-hour leases) and the address-space objects (a subnet and a range per /24, the /16 and the
 * /22), then times:
 *   utilization of every range at the end of the history        target <= 1 s
 *     (one ipl_asm_utilcur over the ranges in view order, as `asm util`, alerts and the API do)
 *   next free address in the /16 with 60,000 used                target <= 1 ms
 *   trend of the /22 over 90 days at 1 h steps                   target <= 100 ms
 * The peer is SQLite fed the same events (table (ip, ts, kind) indexed on (ip, ts)) answering the
 * same questions in SQL: the latest lease event per address at T decides; utilization of a
 * sample of ranges (scaled to all), the first free address of the /16 (ordered walk), the trend
 * as one held-count per step. Times are wall-clock, best of 3; figures and ratios go to stdout;
 * the exit status is 0 whether targets are met or not (a benchmark, not a test). */
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DAY  (INT64_C(86400) * 1000000)
#define HOUR (INT64_C(3600) * 1000000)
#define T0   (INT64_C(1714953600) * 1000000)     /* 2024-05-06T00:00:00Z */
#define SPAN (90 * DAY)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void v4(uint8_t ip[16], uint32_t a)
{
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    ip[12] = (uint8_t)(a >> 24);
    ip[13] = (uint8_t)(a >> 16);
    ip[14] = (uint8_t)(a >> 8);
    ip[15] = (uint8_t)a;
}

typedef struct sink {
    ipl_store *st;
    ipl_batch *b;
    sqlite3 *db;
    sqlite3_stmt *ins;
    uint64_t n;
    ipl_diag d;
} sink;

static int flush(sink *k)
{
    if (!ipl_batch_events(k->b))
        return 0;
    if (ipl_store_commit(k->st, k->b, NULL, &k->d)) {
        fprintf(stderr, "commit: %s\n", k->d.msg);
        return -1;
    }
    ipl_batch_clear(k->b);
    sqlite3_exec(k->db, "COMMIT; BEGIN", NULL, NULL, NULL);
    return 0;
}

static int put(sink *k, uint32_t a, int64_t ts, unsigned kind, uint32_t client)
{
    ipl_event ev;
    char mac[13];
    ipl_event_reset(&ev);
    ev.ts = ts;
    ev.kind = (uint16_t)kind;
    ev.has_ip = 1;
    v4(ev.ip, a);
    snprintf(mac, sizeof mac, "02%010x", client);
    ev.mac = mac;
    ev.server = "dhcp1";
    ev.source = "bench:asm";
    ev.line = ++k->n;
    if (ipl_batch_add(k->b, &ev, &k->d)) {
        fprintf(stderr, "add: %s\n", k->d.msg);
        return -1;
    }
    sqlite3_bind_int64(k->ins, 1, a);
    sqlite3_bind_int64(k->ins, 2, ts);
    sqlite3_bind_int(k->ins, 3, (int)kind);
    if (sqlite3_step(k->ins) != SQLITE_DONE)
        return -1;
    sqlite3_reset(k->ins);
    return ipl_batch_events(k->b) >= 65536 ? flush(k) : 0;
}

/* the data set: returns events written */
static int build(sink *k, unsigned nranges)
{
    /* 40,000 /24 under 10.0.0.0/8 + 11.0.0.0/8: 62 addresses each, a lease story per address */
    for (unsigned r = 0; r < nranges; r++) {
        uint32_t net = 0x0a000000u + (r << 8);
        for (unsigned h = 1; h <= 62; h++) {
            /* ~2 events per address: an assignment, half of them renewed, a third released */
            uint32_t a = net + h, client = r * 64 + h;
            int64_t t = T0 + (int64_t)(rnd() % (uint32_t)(SPAN / 1000000 - 8 * 86400)) * 1000000;
            if (put(k, a, t, IPL_K_LEASE_ASSIGN, client))
                return -1;
            if (rnd() % 2 && put(k, a, t + 4 * DAY, IPL_K_LEASE_RENEW, client))
                return -1;
            if (rnd() % 3 == 0 && put(k, a, t + 6 * DAY, IPL_K_LEASE_RELEASE, client))
                return -1;
        }
    }
    /* the /16: 172.16.0.0/16, its first 60,000 addresses held since day 1 */
    for (uint32_t i = 0; i < 60000; i++)
        if (put(k, 0xac100001u + i, T0 + DAY + (int64_t)i * 1000, IPL_K_LEASE_ASSIGN, 5000000 + i))
            return -1;
    /* the /22: 192.168.0.0/22 churning, 8-hour leases released */
    for (int i = 0; i < 20000; i++) {
        uint32_t a = 0xc0a80001u + rnd() % 1022;
        int64_t t = T0 + (int64_t)(rnd() % (uint32_t)(SPAN / 1000000)) * 1000000;
        if (put(k, a, t, IPL_K_LEASE_ASSIGN, 6000000 + (uint32_t)i) ||
            put(k, a, t + 8 * HOUR, IPL_K_LEASE_RELEASE, 6000000 + (uint32_t)i))
            return -1;
    }
    return flush(k);
}

static int objects(ipl_store *st, unsigned nranges)
{
    ipl_asm_actor a;
    ipl_asm_actor_default(&a);
    size_t n = 0, cap = 2 * (size_t)nranges + 8;
    ipl_asm_change *ch = calloc(cap, sizeof *ch);
    char (*ids)[40] = calloc(cap, sizeof *ids);
    ipl_diag d = {0};
    if (!ch || !ids)
        return -1;
    for (unsigned r = 0; r < nranges; r++) {
        uint32_t net = 0x0a000000u + (r << 8);
        snprintf(ids[n], sizeof ids[n], "%u.%u.%u.0/24", net >> 24, (net >> 16) & 255, (net >> 8) & 255);
        ch[n] = (ipl_asm_change){IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, ids[n], NULL, 0, 0};
        n++;
        snprintf(ids[n], sizeof ids[n], "%u.%u.%u.1-%u.%u.%u.254", net >> 24, (net >> 16) & 255,
                 (net >> 8) & 255, net >> 24, (net >> 16) & 255, (net >> 8) & 255);
        ch[n] = (ipl_asm_change){IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, ids[n], NULL, 0, 0};
        n++;
    }
    static const char *const more[][2] = {{"172.16.0.0/16", "172.16.0.1-172.16.255.254"},
                                          {"192.168.0.0/22", "192.168.0.1-192.168.3.254"}};
    for (int i = 0; i < 2; i++) {
        ch[n++] = (ipl_asm_change){IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, more[i][0], NULL, 0, 0};
        ch[n++] = (ipl_asm_change){IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, more[i][1], NULL, 0, 0};
    }
    int rc = ipl_asm_apply(st, &a, ch, n, NULL, &d);
    if (rc)
        fprintf(stderr, "asm objects: %s\n", d.msg);
    free(ch);
    free(ids);
    return rc ? -1 : 0;
}

/* ---- the peer's questions ---- */
static const char held_sql[] =
    "SELECT count(*) FROM (SELECT (SELECT kind FROM ev WHERE ip = a.ip AND ts <= ?3 ORDER BY ts "
    "DESC LIMIT 1) AS k FROM (SELECT DISTINCT ip FROM ev WHERE ip BETWEEN ?1 AND ?2) a) WHERE k IN "
    "(1, 2)";

static int64_t sql_held(sqlite3_stmt *q, uint32_t lo, uint32_t hi, int64_t at)
{
    sqlite3_bind_int64(q, 1, lo);
    sqlite3_bind_int64(q, 2, hi);
    sqlite3_bind_int64(q, 3, at);
    int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_reset(q);
    return n;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned nranges = 40000;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--ranges") == 0 && i + 1 < argc)
            nranges = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: ipledger-bench-asm --dir DIR [--ranges N] [--keep]\n");
            return strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    if (!dir || nranges < 1 || nranges > 60000) {
        fprintf(stderr, "ipledger-bench-asm: --dir DIR is required; --ranges 1..60000\n");
        return 2;
    }
    char path[4096], cmd[4200];
    sink k = {0};
    /* --keep with DIR/built naming the same --ranges: reuse the data set written before */
    unsigned long long built_n = 0;
    unsigned built_r = 0;
    int reuse = 0;
    snprintf(path, sizeof path, "%s/built", dir);
    FILE *mf = keep ? fopen(path, "r") : NULL;
    if (mf) {
        reuse = fscanf(mf, "%u %llu", &built_r, &built_n) == 2 && built_r == nranges;
        fclose(mf);
    }
    if (!reuse) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
        if (system(cmd) != 0)
            return 1;
    }
    snprintf(path, sizeof path, "%s/store", dir);
    if (ipl_store_open(&k.st, path, reuse ? 0 : IPL_STORE_CREATE, &k.d) || ipl_batch_new(&k.b)) {
        fprintf(stderr, "store: %s\n", k.d.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/peer.db", dir);
    if (sqlite3_open(path, &k.db) != SQLITE_OK ||
        sqlite3_exec(k.db, reuse ? "PRAGMA cache_size=-262144"
                                 : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
                                   "cache_size=-262144; CREATE TABLE ev(ip INTEGER, ts INTEGER, "
                                   "kind INTEGER); BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(k.db, "INSERT INTO ev VALUES (?1, ?2, ?3)", -1, &k.ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(k.db));
        return 1;
    }
    if (reuse) {
        k.n = built_n;
        fprintf(stderr, "bench-asm: reusing the %llu events and %u ranges of %s\n", built_n,
                nranges + 2, dir);
    } else {
        double t0 = now_s();
        fprintf(stderr, "bench-asm: writing the events...\n");
        if (build(&k, nranges))
            return 1;
        sqlite3_exec(k.db, "COMMIT; CREATE INDEX ev_ip ON ev(ip, ts)", NULL, NULL, NULL);
        fprintf(stderr, "bench-asm: %llu events in %.1f s; creating %u ranges...\n",
                (unsigned long long)k.n, now_s() - t0, nranges + 2);
        if (objects(k.st, nranges))
            return 1;
        snprintf(path, sizeof path, "%s/built", dir);
        if (keep && (mf = fopen(path, "w"))) {
            fprintf(mf, "%u %llu\n", nranges, (unsigned long long)k.n);
            fclose(mf);
        }
    }

    int64_t at = T0 + SPAN;
    ipl_diag d = {0};
    double best_util = 1e9, best_free = 1e9, best_trend = 1e9, load = 0;
    double used_total = 0;
    for (int rep = 0; rep < 3; rep++) {
        ipl_rtxn *t = NULL;
        ipl_asm_view *v = NULL;
        double a0 = now_s();
        if (ipl_rtxn_begin(k.st, &t, &d) || ipl_asm_view_load(t, &v, &d)) {
            fprintf(stderr, "view: %s\n", d.msg);
            return 1;
        }
        double a1 = now_s();
        load = a1 - a0;
        used_total = 0;
        size_t nr = ipl_asm_count(v, IPL_ASM_RANGE);
        ipl_asm_utilcur *uc = NULL;
        if (ipl_asm_utilcur_open(t, v, at, &uc, &d)) {
            fprintf(stderr, "utilization: %s\n", d.msg);
            return 1;
        }
        for (size_t i = 0; i < nr; i++) {
            ipl_asm_util u;
            if (ipl_asm_utilcur_get(uc, ipl_asm_at(v, IPL_ASM_RANGE, i), &u, &d)) {
                fprintf(stderr, "utilization: %s\n", d.msg);
                return 1;
            }
            used_total += u.used;
        }
        ipl_asm_utilcur_close(uc);
        double a2 = now_s();
        if (a2 - a1 < best_util)
            best_util = a2 - a1;
        const ipl_asm_obj *r16 = ipl_asm_find(v, IPL_ASM_RANGE, NULL, "172.16.0.1-172.16.255.254");
        uint8_t (*ips)[16] = NULL;
        size_t found = 0;
        double f0 = now_s();
        if (!r16 || ipl_asm_free_addresses(t, v, r16, at, 1, &ips, &found, &d)) {
            fprintf(stderr, "free: %s\n", r16 ? d.msg : "no /16 range");
            return 1;
        }
        double f1 = now_s();
        if (f1 - f0 < best_free)
            best_free = f1 - f0;
        char fb[IPL_IP_TEXT] = "-";
        if (found)
            ipl_ip_format(ips[0], fb, sizeof fb);
        if (rep == 0)
            fprintf(stderr, "bench-asm: next free in the /16: %s\n", fb);
        free(ips);
        uint8_t lo[16], hi[16];
        v4(lo, 0xc0a80001u);
        v4(hi, 0xc0a803feu);
        uint64_t *counts = NULL;
        size_t npts = 0;
        double r0 = now_s();
        if (ipl_asm_trend(t, lo, hi, T0, T0 + SPAN, HOUR, &counts, &npts, &d)) {
            fprintf(stderr, "trend: %s\n", d.msg);
            return 1;
        }
        double r1 = now_s();
        if (r1 - r0 < best_trend)
            best_trend = r1 - r0;
        free(counts);
        ipl_asm_view_free(v);
        ipl_rtxn_end(t);
    }

    /* the peer */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(k.db, held_sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(k.db));
        return 1;
    }
    unsigned sample = nranges < 2000 ? nranges : 2000;
    double s0 = now_s();
    for (unsigned r = 0; r < sample; r++) {
        uint32_t net = 0x0a000000u + ((r * (nranges / sample)) << 8);
        if (sql_held(q, net + 1, net + 254, at) < 0)
            return 1;
    }
    double sq_util = (now_s() - s0) * (double)(nranges + 2) / sample;
    /* first free in the /16: walk the addresses in order, the first not held */
    double s1 = now_s();
    uint32_t a = 0xac100001u;
    for (; a <= 0xac10fffeu; a++)
        if (sql_held(q, a, a, at) == 0)
            break;
    double sq_free = now_s() - s1;
    /* the trend: one held count per hour */
    double s2 = now_s();
    for (int64_t t = T0; t <= T0 + SPAN; t += HOUR)
        if (sql_held(q, 0xc0a80001u, 0xc0a803feu, t) < 0)
            return 1;
    double sq_trend = now_s() - s2;
    sqlite3_finalize(q);

    printf("ipledger-bench-asm: %llu lease events over 90 days, %u /24 ranges (62 addresses "
           "each), a /16 with 60,000 held, a /22 churning; %u ranges in the view (loaded in "
           "%.2f s); wall-clock, best of 3; the SQLite peer on the same events, (ip, ts) index\n\n",
           (unsigned long long)k.n, nranges, nranges + 2, load);
    printf("utilization of %u ranges  %8.3f s     target <= 1 s       sqlite %8.3f s (a %u-range "
           "sample, scaled)   ratio %6.1fx  %s\n", nranges + 2, best_util, sq_util, sample,
           sq_util / best_util, best_util <= 1.0 ? "PASS" : "MISS");
    printf("next free in the /16        %8.3f ms    target <= 1 ms      sqlite %8.3f ms   ratio "
           "%6.1fx  %s\n", best_free * 1e3, sq_free * 1e3, sq_free / best_free,
           best_free <= 0.001 ? "PASS" : "MISS");
    printf("trend of the /22, 1h steps  %8.3f ms    target <= 100 ms    sqlite %8.3f ms   ratio "
           "%6.1fx  %s\n", best_trend * 1e3, sq_trend * 1e3, sq_trend / best_trend,
           best_trend <= 0.1 ? "PASS" : "MISS");
    printf("\naddresses used in all ranges at the end: %.0f\n", used_total);
    sqlite3_finalize(k.ins);
    sqlite3_close(k.db);
    ipl_batch_free(k.b);
    ipl_store_close(k.st);
    if (!keep) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return 0;
}
