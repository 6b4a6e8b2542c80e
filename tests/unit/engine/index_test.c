/* tests/unit/engine/index_test.c — index scans (engine/index.c): one key forwards and backwards,
 * key ranges (a CIDR), time windows inclusive at both ends, empty windows, the time index's
 * (ts, seq) order across its ~71.6-minute buckets, ipl_index_count; and a model check: every
 * combination of key bounds, time bounds and direction from a set of edge values is compared with
 * the answer computed by brute force over the events the test wrote. A third of the events lie
 * in the six weeks around T0 (the per-key indexes are keyed week first: a key's history is split
 * by week and a scan must still return it in (key, ts, seq) order), with bounds on week edges;
 * the page scanner (ipl_ixscan) and the planner's range statistics are checked against the same
 * model.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714551332) * 1000000)   /* 2024-05-01T08:15:32Z */
#define SEC INT64_C(1000000)
#define MIN (60 * SEC)
#define TS_MAX ((INT64_C(1) << 56) - 1)
#define WEEK (INT64_C(604800) * SEC)
#define WEEK0 (T0 / WEEK * WEEK)                 /* start of T0's week (a Thursday) */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the data set and its model ------------------------------------------------------------ */

static const char *const IPS[] = {
    "10.0.0.1", "10.0.0.3", "10.0.0.0", "10.0.0.255", "10.0.1.1", "9.255.255.255", "11.0.0.1",
    "2001:db8::1", "::1",
};
#define NIPS (sizeof IPS / sizeof IPS[0])
static const char *const MACS[] = {"aabbccddee01", "aabbccddee02", "aabbccddee03"};

typedef struct mev {
    uint64_t seq;
    int64_t ts;
    int has_ip;
    uint8_t ip[16];
    int mac;                  /* index into MACS or -1 */
    unsigned kind;            /* varied, so index entries carry every lease class */
} mev;

#define NEV 360
static mev model[NEV];
static int nmodel;
static char store_dir[64];
static ipl_store *st;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void parse_ip(const char *s, uint8_t ip[16])
{
    if (ipl_ip_parse(s, strlen(s), ip) != IPL_OK) {
        fprintf(stderr, "bad test ip %s\n", s);
        exit(2);
    }
}

/* A handful of hand-placed events on 10.0.0.1 (seqs 1-6, not in time order) and 10.0.0.3,
 * then pseudo-random ones spread over ~10 hours (many time buckets), committed in 3 batches. */
static int build_store(void)
{
    snprintf(store_dir, sizeof store_dir, "/tmp/ipl-index-test-XXXXXX");
    if (!mkdtemp(store_dir))
        return -1;
    ipl_diag d = {0};
    if (ipl_store_open(&st, store_dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "open: %s\n", d.msg);
        return -1;
    }
    ipl_batch *b = NULL;
    if (ipl_batch_new(&b))
        return -1;
    static const struct { int ip; int64_t ts; } fixed[] = {
        {0, T0 + 20 * SEC}, {0, T0}, {0, T0 + 10 * SEC}, {0, T0 + 10 * SEC},
        {0, T0 + 180 * MIN}, {1, T0 + 5 * SEC},
    };
    int batches = 0;
    for (int i = 0; i < NEV; i++) {
        mev *m = &model[nmodel];
        int ipi, mac;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            ipi = fixed[i].ip;
            m->ts = fixed[i].ts;
            mac = 0;
        } else {
            ipi = (int)(rnd() % (NIPS + 1)) - 1;          /* -1: no IP */
            m->ts = T0 - 60 * MIN + (int64_t)(rnd() % 600) * MIN + (int64_t)(rnd() % 3) * SEC;
            if (rnd() % 3 == 0)    /* another week: -3 .. +2 weeks around T0, some on its edges */
                m->ts = rnd() % 4 == 0 ? WEEK0 + ((int64_t)(rnd() % 6) - 3) * WEEK - (int64_t)(rnd() % 2)
                                       : T0 + ((int64_t)(rnd() % 36) - 21) * 24 * 60 * MIN +
                                             (int64_t)(rnd() % 1440) * MIN;
            mac = (int)(rnd() % 4) - 1;
        }
        m->seq = (uint64_t)nmodel + 1;
        m->has_ip = ipi >= 0;
        memset(m->ip, 0, 16);
        if (m->has_ip)
            parse_ip(IPS[ipi], m->ip);
        m->mac = mac;
        ipl_event ev;
        ipl_event_reset(&ev);
        ev.ts = m->ts;
        static const unsigned kinds[] = {IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW, IPL_K_LEASE_RELEASE,
                                         IPL_K_LOGON, IPL_K_LEASE_OFFER, IPL_K_DNS_UPDATE,
                                         IPL_K_CONFIG_CHANGE, IPL_K_LEASE_EXPIRE};
        m->kind = kinds[m->seq % 8];
        ev.kind = (uint16_t)m->kind;
        ev.has_ip = (uint8_t)m->has_ip;
        memcpy(ev.ip, m->ip, 16);
        ev.mac = mac >= 0 ? MACS[mac] : NULL;
        ev.source = "src";
        ev.line = m->seq;
        if (ipl_batch_add(b, &ev, &d)) {
            fprintf(stderr, "add: %s\n", d.msg);
            return -1;
        }
        nmodel++;
        if (i == 5 || i == 180 || i == NEV - 1) {
            ipl_commit_info ci;
            if (ipl_store_commit(st, b, &ci, &d)) {
                fprintf(stderr, "commit: %s\n", d.msg);
                return -1;
            }
            if (ci.last_seq != (uint64_t)nmodel)
                return -1;
            ipl_batch_clear(b);
            batches++;
        }
    }
    ipl_batch_free(b);
    return batches == 3 ? 0 : -1;
}

/* ---- scanning helpers ---------------------------------------------------------------------- */

typedef struct res {
    int n;
    uint64_t seq[NEV + 1];
    int64_t ts[NEV + 1];
    uint8_t key[NEV + 1][16];
    unsigned cls[NEV + 1];
    int err;
} res;

static void scan(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                 int64_t to, int reverse, res *r)
{
    ipl_ixcur *c = NULL;
    ipl_diag d = {0};
    ipl_ixent e;
    memset(r, 0, sizeof *r);
    r->err = ipl_ixcur_open(t, ix, klo, khi, from, to, reverse, &c, &d);
    if (r->err)
        return;
    int rc;
    while ((rc = ipl_ixcur_next(c, &e, &d)) == IPL_OK) {
        if (r->n > NEV) {            /* a runaway cursor */
            rc = IPL_ELIMIT;
            break;
        }
        r->seq[r->n] = e.seq;
        r->ts[r->n] = e.ts;
        r->cls[r->n] = e.cls;
        memcpy(r->key[r->n], e.key, e.keylen <= 16 ? e.keylen : 16);
        r->n++;
    }
    r->err = rc == IPL_ENOTFOUND ? IPL_OK : rc;
    /* at the end it stays at the end */
    if (rc == IPL_ENOTFOUND && ipl_ixcur_next(c, &e, &d) != IPL_ENOTFOUND)
        r->err = IPL_ECORRUPT;
    ipl_ixcur_close(c);
}

static int cmp_ipts(const void *a, const void *b)
{
    const mev *x = *(const mev *const *)a, *y = *(const mev *const *)b;
    int c = memcmp(x->ip, y->ip, 16);
    if (c)
        return c;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_ts(const void *a, const void *b)
{
    const mev *x = *(const mev *const *)a, *y = *(const mev *const *)b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The expected scan, by brute force. */
static void expect(ipl_index ix, const uint8_t *klo, const uint8_t *khi, int64_t from, int64_t to,
                   int reverse, res *r)
{
    const mev *sel[NEV];
    int n = 0;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < nmodel; i++) {
        const mev *m = &model[i];
        if (m->ts < from || m->ts > to)
            continue;
        if (ix == IPL_IX_IP) {
            if (!m->has_ip || (klo && memcmp(m->ip, klo, 16) < 0) || (khi && memcmp(m->ip, khi, 16) > 0))
                continue;
        }
        sel[n++] = m;
    }
    qsort(sel, (size_t)n, sizeof sel[0], ix == IPL_IX_IP ? cmp_ipts : cmp_ts);
    for (int i = 0; i < n; i++) {
        const mev *m = sel[reverse ? n - 1 - i : i];
        r->seq[i] = m->seq;
        r->ts[i] = m->ts;
        memcpy(r->key[i], m->ip, 16);
    }
    r->n = n;
}

/* ipl_ixscan in chunks of `step`: seqs and times (the scanner returns no keys). */
static void pscan(ipl_rtxn *t, ipl_index ix, const void *klo, const void *khi, int64_t from,
                  int64_t to, size_t step, res *r)
{
    ipl_ixscan *s = NULL;
    ipl_diag d = {0};
    memset(r, 0, sizeof *r);
    r->err = ipl_ixscan_open(t, ix, klo, khi, from, to, &s, &d);
    while (!r->err) {
        size_t got = 0;
        if (r->n + step > NEV + 1) {
            r->err = IPL_ELIMIT;
            break;
        }
        r->err = ipl_ixscan_fill(s, r->seq + r->n, r->ts + r->n, step, &got, &d);
        r->n += (int)got;
        if (got < step)
            break;
    }
    ipl_ixscan_close(s);
}

#define IPL_TIME_ONLY IPL_IX_TIME   /* compare seqs and times only */

static int same(ipl_index ix, const res *a, const res *b)
{
    if (a->err || b->err || a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->seq[i] != b->seq[i] || a->ts[i] != b->ts[i] ||
            (ix == IPL_IX_IP && memcmp(a->key[i], b->key[i], 16) != 0))
            return 0;
    return 1;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_one_key(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    uint8_t ip[16];
    res r;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    parse_ip("10.0.0.1", ip);
    /* the fixed events: seq 1 @+20s, 2 @+0, 3 @+10s, 4 @+10s, 5 @+3h; random ones may add more,
     * so look at the window that only the fixed ones can fill exactly: [T0, T0+20s] */
    scan(t, IPL_IX_IP, ip, ip, T0, T0 + 20 * SEC, 0, &r);
    CHECK_INT(r.err, IPL_OK);
    int k = 0;
    uint64_t want[4] = {2, 3, 4, 1};
    for (int i = 0; i < r.n; i++)   /* skip random events that fell in the window */
        if (r.seq[i] <= 6 && k < 4 && r.seq[i] == want[k])
            k++;
    CHECK_INT(k, 4);
    for (int i = 1; i < r.n; i++)   /* (ts, seq) order */
        CHECK(r.ts[i - 1] < r.ts[i] || (r.ts[i - 1] == r.ts[i] && r.seq[i - 1] < r.seq[i]));
    CHECK(memcmp(r.key[0], ip, 16) == 0);

    /* backwards: the same entries reversed */
    res rv;
    scan(t, IPL_IX_IP, ip, ip, T0, T0 + 20 * SEC, 1, &rv);
    CHECK_INT(rv.n, r.n);
    int rev_ok = rv.n == r.n;
    for (int i = 0; i < r.n && rev_ok; i++)
        rev_ok = rv.seq[i] == r.seq[r.n - 1 - i];
    CHECK(rev_ok);

    /* inclusive at both ends: [T0+10s, T0+20s] holds seqs 3, 4, 1 (and not 2 @T0) */
    scan(t, IPL_IX_IP, ip, ip, T0 + 10 * SEC, T0 + 20 * SEC, 0, &r);
    int has[7] = {0};
    for (int i = 0; i < r.n; i++)
        if (r.seq[i] <= 6)
            has[r.seq[i]] = 1;
    CHECK(has[3] && has[4] && has[1] && !has[2] && !has[5]);
    /* a one-microsecond window on an event's instant */
    scan(t, IPL_IX_IP, ip, ip, T0 + 10 * SEC, T0 + 10 * SEC, 0, &r);
    memset(has, 0, sizeof has);
    for (int i = 0; i < r.n; i++)
        if (r.seq[i] <= 6)
            has[r.seq[i]] = 1;
    CHECK(has[3] && has[4] && !has[1] && !has[2]);
    /* empty windows: between two events; reversed bounds; before time began */
    scan(t, IPL_IX_IP, ip, ip, T0 + 10 * SEC + 1, T0 + 10 * SEC + 2, 0, &r);
    CHECK_INT(r.err, IPL_OK);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_IP, ip, ip, T0 + 20 * SEC, T0, 0, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_IP, ip, ip, T0 + 20 * SEC, T0, 1, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_IP, ip, ip, INT64_MIN, -1, 0, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_IP, ip, ip, INT64_MIN, -1, 1, &r);
    CHECK_INT(r.n, 0);
    /* an address with no events */
    parse_ip("10.0.0.2", ip);
    scan(t, IPL_IX_IP, ip, ip, 0, INT64_MAX, 0, &r);
    CHECK_INT(r.err, IPL_OK);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_IP, ip, ip, 0, INT64_MAX, 1, &r);
    CHECK_INT(r.n, 0);
    ipl_rtxn_end(t);
}

static void test_cidr(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_prefix p;
    res r, want;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_prefix_parse("10.0.0.0/24", 11, 0, &p), IPL_OK);
    for (int rev = 0; rev < 2; rev++) {
        scan(t, IPL_IX_IP, p.lo, p.hi, 0, INT64_MAX, rev, &r);
        expect(IPL_IX_IP, p.lo, p.hi, 0, TS_MAX, rev, &want);
        CHECK(same(IPL_IX_IP, &r, &want));
        CHECK(r.n > 5);
        /* the edges of the range are in it, the neighbours are not */
        int in0 = 0, in255 = 0, out = 0;
        for (int i = 0; i < r.n; i++) {
            CHECK(ipl_prefix_contains(&p, r.key[i]));
            char tx[IPL_IP_TEXT];
            ipl_ip_format(r.key[i], tx, sizeof tx);
            in0 += strcmp(tx, "10.0.0.0") == 0;
            in255 += strcmp(tx, "10.0.0.255") == 0;
            out += strcmp(tx, "10.0.1.1") == 0 || strcmp(tx, "9.255.255.255") == 0;
        }
        CHECK(in0 > 0 && in255 > 0);
        CHECK_INT(out, 0);
        /* address order first, then time */
        for (int i = 1; i < r.n; i++) {
            int c = memcmp(r.key[i - 1], r.key[i], 16);
            CHECK(rev ? c >= 0 : c <= 0);
        }
    }
    /* a CIDR with a time window that leaves some of its keys without entries */
    scan(t, IPL_IX_IP, p.lo, p.hi, T0 + 60 * MIN, T0 + 120 * MIN, 1, &r);
    expect(IPL_IX_IP, p.lo, p.hi, T0 + 60 * MIN, T0 + 120 * MIN, 1, &want);
    CHECK(same(IPL_IX_IP, &r, &want));
    ipl_rtxn_end(t);
}

static void test_time_index(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    res r, want;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    /* everything, in (ts, seq) order across buckets, though seqs were written out of time order */
    scan(t, IPL_IX_TIME, NULL, NULL, 0, INT64_MAX, 0, &r);
    expect(IPL_IX_TIME, NULL, NULL, 0, TS_MAX, 0, &want);
    CHECK_INT(r.n, nmodel);
    CHECK(same(IPL_IX_TIME, &r, &want));
    int64_t span = r.ts[r.n - 1] - r.ts[0];
    CHECK(span > 5 * 72 * MIN);                       /* the data covers several buckets */
    int buckets = 1;
    for (int i = 1; i < r.n; i++)
        if ((r.ts[i] >> 32) != (r.ts[i - 1] >> 32))
            buckets++;
    CHECK(buckets >= 5);
    scan(t, IPL_IX_TIME, NULL, NULL, 0, INT64_MAX, 1, &r);
    expect(IPL_IX_TIME, NULL, NULL, 0, TS_MAX, 1, &want);
    CHECK(same(IPL_IX_TIME, &r, &want));

    /* a window crossing a bucket boundary, with its bounds on event instants */
    int64_t from = model[1].ts, to = model[4].ts;      /* T0 .. T0+3h */
    CHECK(from >> 32 != to >> 32);
    for (int rev = 0; rev < 2; rev++) {
        scan(t, IPL_IX_TIME, NULL, NULL, from, to, rev, &r);
        expect(IPL_IX_TIME, NULL, NULL, from, to, rev, &want);
        CHECK(same(IPL_IX_TIME, &r, &want));
        int has_from = 0, has_to = 0;
        for (int i = 0; i < r.n; i++) {
            has_from |= r.seq[i] == 2;
            has_to |= r.seq[i] == 5;
        }
        CHECK(has_from && has_to);
    }
    /* a window exactly on a bucket boundary */
    int64_t edge = ((T0 >> 32) + 1) << 32;
    scan(t, IPL_IX_TIME, NULL, NULL, edge - 1, edge, 0, &r);
    expect(IPL_IX_TIME, NULL, NULL, edge - 1, edge, 0, &want);
    CHECK(same(IPL_IX_TIME, &r, &want));
    /* empty: before, after, reversed */
    scan(t, IPL_IX_TIME, NULL, NULL, 0, T0 - 6 * WEEK, 0, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_TIME, NULL, NULL, T0 + 6 * WEEK, INT64_MAX, 1, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_TIME, NULL, NULL, to, from, 0, &r);
    CHECK_INT(r.n, 0);
    scan(t, IPL_IX_TIME, NULL, NULL, -10, -1, 1, &r);
    CHECK_INT(r.n, 0);
    ipl_rtxn_end(t);
}

static void test_mac_index(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    res r;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    for (int m = 0; m < 3; m++) {
        uint32_t id = 0;
        CHECK_INT(ipl_dict_find(t, MACS[m], 12, &id), IPL_OK);
        uint8_t key[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
        scan(t, IPL_IX_MAC, key, key, 0, INT64_MAX, 0, &r);
        int want = 0;
        for (int i = 0; i < nmodel; i++)
            want += model[i].mac == m;
        CHECK_INT(r.n, want);
        int ok = 1;
        for (int i = 0; i < r.n; i++) {
            ok &= model[r.seq[i] - 1].mac == m && model[r.seq[i] - 1].ts == r.ts[i];
            ok &= memcmp(r.key[i], key, 4) == 0;
            if (i)
                ok &= r.ts[i - 1] < r.ts[i] || (r.ts[i - 1] == r.ts[i] && r.seq[i - 1] < r.seq[i]);
        }
        CHECK(ok);
        uint64_t n = 0;
        CHECK_INT(ipl_index_count(t, IPL_IX_MAC, key, &n, &d), IPL_OK);
        CHECK_INT(n, want);
    }
    ipl_rtxn_end(t);
}

static void test_count(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    uint64_t total = 0;
    for (size_t k = 0; k < NIPS; k++) {
        uint8_t ip[16];
        parse_ip(IPS[k], ip);
        uint64_t want = 0, n = 99;
        for (int i = 0; i < nmodel; i++)
            want += model[i].has_ip && memcmp(model[i].ip, ip, 16) == 0;
        CHECK_INT(ipl_index_count(t, IPL_IX_IP, ip, &n, &d), IPL_OK);
        CHECK_INT(n, want);
        total += n;
    }
    uint8_t none[16];
    parse_ip("192.0.2.1", none);
    uint64_t n = 99;
    CHECK_INT(ipl_index_count(t, IPL_IX_IP, none, &n, &d), IPL_OK);
    CHECK_INT(n, 0);
    CHECK_INT(ipl_index_count(t, IPL_IX__COUNT, none, &n, &d), IPL_EINVAL);
    ipl_store_stats s;
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.index_entries[IPL_IX_IP], total);
    CHECK_STR(ipl_index_name(IPL_IX_IP), "ip");
    CHECK_STR(ipl_index_name(IPL_IX_TIME), "time");
    ipl_ixcur *c = (ipl_ixcur *)&c;
    CHECK_INT(ipl_ixcur_open(t, IPL_IX__COUNT, NULL, NULL, 0, 1, 0, &c, &d), IPL_EINVAL);
    CHECK(c == NULL);
    ipl_rtxn_end(t);
}

/* Every combination of edge-valued bounds, both directions, against the brute-force answer. */
static void test_model(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    static const char *const keys[] = {
        NULL, "::", "::1", "9.255.255.255", "10.0.0.0", "10.0.0.2", "10.0.0.255", "10.0.1.0",
        "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    };
    enum { NK = sizeof keys / sizeof keys[0] };
    uint8_t kb[NK][16];
    for (int i = 0; i < NK; i++)
        if (keys[i])
            parse_ip(keys[i], kb[i]);
    const int64_t times[] = {
        INT64_MIN, -1, 0, model[1].ts, model[2].ts, model[2].ts + 1, model[4].ts,
        ((T0 >> 32) + 1) << 32, T0 + 600 * MIN, WEEK0 - 2 * WEEK - 1, WEEK0 - 1, WEEK0,
        WEEK0 + WEEK, T0 + 2 * WEEK, TS_MAX, INT64_MAX,
    };
    enum { NT = sizeof times / sizeof times[0] };
    int scans = 0, bad = 0;
    res r, want;
    for (int a = 0; a < NK; a++)
        for (int b = 0; b < NK; b++)
            for (int f = 0; f < NT; f++)
                for (int g = 0; g < NT; g++)
                    for (int rev = 0; rev < 2; rev++) {
                        const uint8_t *lo = keys[a] ? kb[a] : NULL, *hi = keys[b] ? kb[b] : NULL;
                        scan(t, IPL_IX_IP, lo, hi, times[f], times[g], rev, &r);
                        expect(IPL_IX_IP, lo, hi, times[f], times[g], rev, &want);
                        scans++;
                        if (!same(IPL_IX_IP, &r, &want)) {
                            if (bad++ < 5)
                                fprintf(stderr, "  ip scan [%s, %s] [%lld, %lld] rev %d: %d entries "
                                        "(err %d), expected %d\n",
                                        keys[a] ? keys[a] : "-", keys[b] ? keys[b] : "-",
                                        (long long)times[f], (long long)times[g], rev, r.n, r.err,
                                        want.n);
                        }
                    }
    for (int f = 0; f < NT; f++)
        for (int g = 0; g < NT; g++)
            for (int rev = 0; rev < 2; rev++) {
                scan(t, IPL_IX_TIME, NULL, NULL, times[f], times[g], rev, &r);
                expect(IPL_IX_TIME, NULL, NULL, times[f], times[g], rev, &want);
                scans++;
                if (!same(IPL_IX_TIME, &r, &want) && bad++ < 10)
                    fprintf(stderr, "  time scan [%lld, %lld] rev %d: %d entries, expected %d\n",
                            (long long)times[f], (long long)times[g], rev, r.n, want.n);
            }
    CHECK_INT(bad, 0);
    CHECK(scans > 20000);
    /* the page scanner, forwards only, and the range statistics against the same model */
    int pscans = 0, pbad = 0, sbad = 0;
    for (int a = 0; a < NK; a++)
        for (int b = 0; b < NK; b++) {
            const uint8_t *lo = keys[a] ? kb[a] : NULL, *hi = keys[b] ? kb[b] : NULL;
            for (int f = 0; f < NT; f++)
                for (int g = 0; g < NT; g++) {
                    pscan(t, IPL_IX_IP, lo, hi, times[f], times[g], 1 + (f + g) % 7, &r);
                    expect(IPL_IX_IP, lo, hi, times[f], times[g], 0, &want);
                    pscans++;
                    if (!same(IPL_TIME_ONLY, &r, &want) && pbad++ < 5)
                        fprintf(stderr, "  ip page scan [%s, %s] [%lld, %lld]: %d entries, "
                                "expected %d\n", keys[a] ? keys[a] : "-", keys[b] ? keys[b] : "-",
                                (long long)times[f], (long long)times[g], r.n, want.n);
                }
            /* entries and distinct keys of the range, all times */
            expect(IPL_IX_IP, lo, hi, INT64_MIN, INT64_MAX, 0, &want);
            uint64_t keys_want = 0;
            for (int i = 0; i < want.n; i++)
                keys_want += i == 0 || memcmp(want.key[i], want.key[i - 1], 16) != 0;
            ipl_ixstat s;
            if (ipl_index_range_stat(t, IPL_IX_IP, lo, hi, UINT64_MAX, &s, &d) != IPL_OK ||
                s.entries != (uint64_t)want.n || s.keys != keys_want || !s.complete ||
                (want.n && memcmp(s.last_key, want.key[want.n - 1], 16) != 0)) {
                if (sbad++ < 5)
                    fprintf(stderr, "  range stat [%s, %s]: %llu entries %llu keys, expected %d "
                            "and %llu\n", keys[a] ? keys[a] : "-", keys[b] ? keys[b] : "-",
                            (unsigned long long)s.entries, (unsigned long long)s.keys, want.n,
                            (unsigned long long)keys_want);
            }
            /* stopped after 2 keys: the first two keys' entries, not complete if there are more */
            if (ipl_index_range_stat(t, IPL_IX_IP, lo, hi, 2, &s, &d) == IPL_OK) {
                uint64_t e2 = 0, k2 = 0;
                for (int i = 0; i < want.n; i++) {
                    k2 += i == 0 || memcmp(want.key[i], want.key[i - 1], 16) != 0;
                    if (k2 > 2)
                        break;
                    e2++;
                }
                if (s.entries != e2 || s.complete != (keys_want <= 2)) {
                    if (sbad++ < 5)
                        fprintf(stderr, "  range stat [%s, %s] max 2 keys: %llu entries, "
                                "expected %llu\n", keys[a] ? keys[a] : "-",
                                keys[b] ? keys[b] : "-", (unsigned long long)s.entries,
                                (unsigned long long)e2);
                }
            } else {
                sbad++;
            }
        }
    CHECK_INT(pbad, 0);
    CHECK_INT(sbad, 0);
    CHECK(pscans > 10000);
    ipl_rtxn_end(t);
}

/* The data really spans weeks, and one key's history crosses week edges in order. */
static void test_weeks(void)
{
    int weeks[8] = {0};
    for (int i = 0; i < nmodel; i++) {
        int64_t w = model[i].ts / WEEK - T0 / WEEK + 3;
        if (w >= 0 && w < 8)
            weeks[w]++;
    }
    int nweeks = 0;
    for (int w = 0; w < 8; w++)
        nweeks += weeks[w] > 0;
    CHECK(nweeks >= 5);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    res r, want;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    for (size_t k = 0; k < NIPS; k++) {
        uint8_t ip[16];
        parse_ip(IPS[k], ip);
        for (int rev = 0; rev < 2; rev++) {
            scan(t, IPL_IX_IP, ip, ip, 0, INT64_MAX, rev, &r);
            expect(IPL_IX_IP, ip, ip, 0, INT64_MAX, rev, &want);
            CHECK(same(IPL_IX_IP, &r, &want));
        }
        /* `who` at each week edge: the latest entry <= T, found walking back over the weeks */
        for (int w = -3; w <= 3; w++) {
            int64_t at = WEEK0 + w * WEEK - 1;
            scan(t, IPL_IX_IP, ip, ip, 0, at, 1, &r);
            expect(IPL_IX_IP, ip, ip, 0, at, 1, &want);
            CHECK(r.n == want.n && (!r.n || (r.seq[0] == want.seq[0] && r.ts[0] == want.ts[0])));
        }
    }
    ipl_rtxn_end(t);
}

/* every entry of every index carries its event's lease class (ipl_ix_class of the kind) */
static void test_classes(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    res r;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    static const ipl_index ixs[] = {IPL_IX_IP, IPL_IX_MAC, IPL_IX_TIME};
    int checked = 0, bad = 0, seen[4] = {0};
    for (size_t k = 0; k < sizeof ixs / sizeof ixs[0]; k++) {
        scan(t, ixs[k], NULL, NULL, INT64_MIN, INT64_MAX, k == 1, &r);
        CHECK_INT(r.err, IPL_OK);
        for (int i = 0; i < r.n; i++) {
            unsigned want = ipl_ix_class(model[r.seq[i] - 1].kind);
            bad += r.cls[i] != want;
            seen[r.cls[i] & 3]++;
            checked++;
        }
    }
    CHECK(checked > NEV);
    CHECK_INT(bad, 0);
    CHECK(seen[IPL_IXC_LEASE] && seen[IPL_IXC_OPEN] && seen[IPL_IXC_CLOSE] && seen[IPL_IXC_REST]);
    ipl_rtxn_end(t);
}

int main(void)
{
    if (build_store() != 0) {
        fprintf(stderr, "cannot build the test store\n");
        CHECK(0);
        if (store_dir[0])
            rm_rf(store_dir);
        return check_summary();
    }
    RUN(test_one_key);
    RUN(test_cidr);
    RUN(test_time_index);
    RUN(test_mac_index);
    RUN(test_count);
    RUN(test_model);
    RUN(test_weeks);
    RUN(test_classes);
    ipl_store_close(st);
    rm_rf(store_dir);
    return check_summary();
}
