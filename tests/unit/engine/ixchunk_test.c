/* tests/unit/engine/ixchunk_test.c — the chunked indexes of store format 4 (engine/ixchunk.c)
 * against a naive in-memory model.
 *
 * Rounds of random batches (timestamps going back and forth, half of them in a dense two hours
 * across a week boundary so that one key and one ix.time bucket get hundreds of entries and many
 * chunks, equal timestamps with seqs in any order), random ipl_store_delete calls (live and gone
 * seqs) and ipl_store_purge_span runs (a week's slice, in steps of a few events, sometimes with a
 * protected kind). After every round: ipl_ixcur forwards and backwards over one key, a key range
 * and ix.time with random windows [from, to]; ipl_ixscan_fill; ipl_index_count; ipl_ix_held_bits;
 * the per-index entry counts of ipl_store_stats_get; and verify, each compared with what the
 * model says. Then the codec itself: every chunk decodes, within IPL_IXCHUNK_CAP bytes.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "engine/store_int.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC INT64_C(1000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define B (INT64_C(1714521600) * SEC / WEEK * WEEK + WEEK)   /* a week boundary (a Thursday) */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static const char *const IPS[] = {"10.1.2.0", "10.1.2.1", "10.1.2.7", "10.1.2.255", "10.1.3.0",
                                  "2001:db8::5"};
#define NIPS 6
static const char *const MACS[] = {"aabbccddee01", "aabbccddee02", "aabbccddee03"};
static const char *const HOSTS[] = {"alpha", "beta", "gamma"};
static const char *const USERS[] = {"alice", "bob"};
static const unsigned KINDS[] = {IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW, IPL_K_LEASE_RELEASE,
                                 IPL_K_LOGON, IPL_K_DNS_UPDATE, IPL_K_LEASE_EXPIRE};

typedef struct mev {
    uint64_t seq;
    int64_t ts;
    int ip, mac, host, user;   /* index into the tables, -1: none */
    unsigned kind;
    int alive;
} mev;

#define MAXEV 8000
static mev ev[MAXEV + 1];      /* by seq */
static uint64_t nev;
static uint8_t ipb[NIPS][16];
static char dir[64];
static ipl_store *st;

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static int64_t rand_ts(void)
{
    if (rnd() % 2)   /* dense: two hours across the boundary, many equal seconds */
        return B - HOUR + (int64_t)(rnd() % 7200) * SEC + (rnd() % 4 ? 0 : (int64_t)(rnd() % 1000));
    return B - 8 * DAY + (int64_t)(rnd() % (16 * 86400)) * SEC + (int64_t)(rnd() % 1000000);
}

/* The seq of address i's latest live lease decision (0: none): what ix.ipnow records, and what
 * deletes and purges aim at half of the time, so that the state must be recomputed. */
static uint64_t latest_decision(int i)
{
    uint64_t best = 0;
    for (uint64_t s = 1; s <= nev; s++) {
        unsigned cls = ipl_ix_class(ev[s].kind);
        if (!ev[s].alive || ev[s].ip != i || (cls != IPL_IXC_OPEN && cls != IPL_IXC_CLOSE))
            continue;
        if (!best || ev[s].ts > ev[best].ts || (ev[s].ts == ev[best].ts && s > best))
            best = s;
    }
    return best;
}

static void add_batch(int n)
{
    ipl_batch *b;
    ipl_diag d = {0};
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < n && nev < MAXEV; i++) {
        mev *m = &ev[++nev];
        m->seq = nev;
        m->ts = rand_ts();
        m->ip = (int)(rnd() % (NIPS + 1)) - 1;
        m->mac = (int)(rnd() % 4) - 1;
        m->host = (int)(rnd() % 4) - 1;
        m->user = (int)(rnd() % 3) - 1;
        m->kind = KINDS[rnd() % 6];
        m->alive = 1;
        ipl_event e;
        ipl_event_reset(&e);
        e.ts = m->ts;
        e.kind = (uint16_t)m->kind;
        e.has_ip = m->ip >= 0;
        if (m->ip >= 0)
            memcpy(e.ip, ipb[m->ip], 16);
        e.mac = m->mac >= 0 ? MACS[m->mac] : NULL;
        e.host = m->host >= 0 ? HOSTS[m->host] : NULL;
        e.user = m->user >= 0 ? USERS[m->user] : NULL;
        e.source = "model";
        e.line = m->seq;
        CHECK_INT(ipl_batch_add(b, &e, &d), IPL_OK);
    }
    ipl_commit_info ci;
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    if (ci.last_seq)                         /* 0: the model is full, nothing was added */
        CHECK_INT(ci.last_seq, nev);
    ipl_batch_free(b);
}

static void delete_some(int n)
{
    uint64_t seqs[64];
    ipl_purge_acc acc;
    ipl_diag d = {0};
    ipl_purge_acc_init(&acc);
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        uint64_t aim = rnd() % 2 ? latest_decision((int)(rnd() % NIPS)) : 0;
        seqs[i] = aim ? aim : 1 + rnd() % nev;     /* some already gone: skipped */
        ev[seqs[i]].alive = 0;
    }
    CHECK_INT(ipl_store_delete(st, seqs, (size_t)n, &acc, NULL, NULL, NULL, 0, &d), IPL_OK);
    uint64_t lo = seqs[0];
    for (int i = 1; i < n; i++)
        lo = seqs[i] < lo ? seqs[i] : lo;
    CHECK_INT(ipl_store_reseal_mark(st, lo, &d), IPL_OK);   /* as retention/ does after it */
    CHECK_INT(ipl_store_reseal(st, 0, &d), IPL_OK);
}

static void purge_some(void)
{
    uint64_t aim = rnd() % 2 ? latest_decision((int)(rnd() % NIPS)) : 0;
    int64_t from = aim ? ev[aim].ts - (int64_t)(rnd() % 600) * SEC : rand_ts();
    if (from < 0)
        from = 0;
    int64_t to = from + (int64_t)(rnd() % 3) * HOUR + (int64_t)(rnd() % 1800) * SEC;
    if (to > ipl_purge_week_end(from))
        to = ipl_purge_week_end(from);
    unsigned protect = rnd() % 3 == 0 ? IPL_K_LOGON : 0;
    ipl_purge_acc acc;
    ipl_purge_acc_init(&acc);
    ipl_purge_span sp;
    memset(&sp, 0, sizeof sp);
    sp.from = from;
    sp.to = to;
    sp.limit = 1 + rnd() % 40;               /* several steps */
    sp.protect_kind = protect;
    for (int steps = 0; steps < 10000; steps++) {
        ipl_diag d = {0};
        int err = ipl_store_purge_span(st, &sp, &acc, NULL, NULL, NULL, NULL, &d);
        CHECK_INT(err, IPL_OK);
        if (err) {
            fprintf(stderr, "   purge: %s\n", d.msg);
            break;
        }
        int done = sp.done;
        int64_t hts = sp.hi_ts;
        uint64_t hseq = sp.hi_seq;
        ipl_purge_span_release(&sp);
        if (done)
            break;
        sp.from = hts;
        sp.after_seq = hseq;
    }
    for (uint64_t s = 1; s <= nev; s++)
        if (ev[s].ts >= from && ev[s].ts <= to && ev[s].kind != protect)
            ev[s].alive = 0;
    ipl_diag d = {0};
    CHECK_INT(ipl_store_reseal(st, 0, &d), IPL_OK);
}

/* ---- the model's answers ------------------------------------------------------------------- */

static int key_of(const mev *m, int ix, uint8_t key[16])
{
    switch (ix) {
    case IPL_IX_IP:
        if (m->ip < 0)
            return 0;
        memcpy(key, ipb[m->ip], 16);
        return 1;
    case IPL_IX_TIME:
        return 1;
    default:
        return 0;
    }
}

static int cmp_kts(const void *a, const void *b)
{
    const mev *x = *(const mev *const *)a, *y = *(const mev *const *)b;
    uint8_t kx[16] = {0}, ky[16] = {0};
    key_of(x, IPL_IX_IP, kx);
    key_of(y, IPL_IX_IP, ky);
    int c = memcmp(kx, ky, 16);
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

static mev *sel[MAXEV];

/* Live events of ix.ip with key in [lo, hi] (or ix.time: all) in the window, in scan order. */
static size_t expect(int ix, const uint8_t *lo, const uint8_t *hi, int64_t from, int64_t to)
{
    size_t n = 0;
    for (uint64_t s = 1; s <= nev; s++) {
        mev *m = &ev[s];
        uint8_t k[16];
        if (!m->alive || m->ts < from || m->ts > to || !key_of(m, ix, k))
            continue;
        if (ix == IPL_IX_IP && (memcmp(k, lo, 16) < 0 || memcmp(k, hi, 16) > 0))
            continue;
        sel[n++] = m;
    }
    qsort(sel, n, sizeof *sel, ix == IPL_IX_IP ? cmp_kts : cmp_ts);
    return n;
}

static int window_failures;

static void check_cursor(ipl_rtxn *t, int ix, const uint8_t *lo, const uint8_t *hi, int64_t from,
                         int64_t to, int reverse)
{
    size_t n = expect(ix, lo, hi, from, to), got = 0;
    ipl_ixcur *c;
    ipl_ixent e;
    ipl_diag d = {0};
    int bad = 0, rc;
    CHECK_INT(ipl_ixcur_open(t, (ipl_index)ix, lo, hi, from, to, reverse, &c, &d), IPL_OK);
    while ((rc = ipl_ixcur_next(c, &e, &d)) == IPL_OK) {
        if (got >= n) {
            bad = 1;
            break;
        }
        const mev *m = sel[reverse ? n - 1 - got : got];
        if (e.seq != m->seq || e.ts != m->ts || e.cls != ipl_ix_class(m->kind))
            bad = 1;
        got++;
    }
    ipl_ixcur_close(c);
    if (bad || got != n || (rc != IPL_ENOTFOUND && rc != IPL_OK)) {
        if (window_failures++ < 5)
            fprintf(stderr, "   ix %d [%lld, %lld] reverse %d: %zu entries, expected %zu%s\n", ix,
                    (long long)(from - B), (long long)(to - B), reverse, got, n,
                    bad ? " (different)" : "");
        CHECK(0);
    } else {
        CHECK(1);
    }
}

static void check_fill(ipl_rtxn *t, int ix, const uint8_t *lo, const uint8_t *hi, int64_t from,
                       int64_t to)
{
    size_t n = expect(ix, lo, hi, from, to), got = 0, k;
    uint64_t seq[97];
    int64_t ts[97];
    ipl_ixscan *s;
    ipl_diag d = {0};
    int bad = 0;
    CHECK_INT(ipl_ixscan_open(t, (ipl_index)ix, lo, hi, from, to, &s, &d), IPL_OK);
    do {
        CHECK_INT(ipl_ixscan_fill(s, seq, ts, 97, &k, &d), IPL_OK);
        for (size_t i = 0; i < k; i++, got++)
            if (got >= n || sel[got]->seq != seq[i] || sel[got]->ts != ts[i])
                bad = 1;
    } while (k == 97);
    ipl_ixscan_close(s);
    CHECK(!bad && got == n);
    if (bad || got != n)
        fprintf(stderr, "   fill ix %d: %zu entries, expected %zu%s\n", ix, got, n,
                bad ? " (different)" : "");
}

static void check_held(ipl_rtxn *t, int64_t at)
{
    uint64_t held[4];
    ipl_diag d = {0};
    CHECK_INT(ipl_ix_held_bits(t, ipb[0], 256, at, held, &d), IPL_OK);   /* 10.1.2.0/24 */
    for (int i = 0; i < NIPS; i++) {
        uint64_t off = (uint64_t)ipb[i][15] - ipb[0][15];
        if (memcmp(ipb[i], ipb[0], 15) != 0)
            continue;
        const mev *best = NULL;
        for (uint64_t s = 1; s <= nev; s++) {
            const mev *m = &ev[s];
            unsigned cls = ipl_ix_class(m->kind);
            if (!m->alive || m->ip != i || m->ts > at || (cls != IPL_IXC_OPEN && cls != IPL_IXC_CLOSE))
                continue;
            if (!best || m->ts > best->ts || (m->ts == best->ts && m->seq > best->seq))
                best = m;
        }
        int want = best && ipl_ix_class(best->kind) == IPL_IXC_OPEN;
        int got = (int)(held[off >> 6] >> (off & 63) & 1);
        CHECK_INT(got, want);
    }
}

/* ix.ipnow (engine/ipnow.c) holds each address's latest live decision, and nothing else */
static void check_ipnow(ipl_rtxn *t)
{
    MDB_stat ms;
    size_t want_n = 0;
    for (int i = 0; i < NIPS; i++) {
        const mev *best = NULL;
        for (uint64_t s = 1; s <= nev; s++) {
            const mev *m = &ev[s];
            unsigned cls = ipl_ix_class(m->kind);
            if (!m->alive || m->ip != i || (cls != IPL_IXC_OPEN && cls != IPL_IXC_CLOSE))
                continue;
            if (!best || m->ts > best->ts || (m->ts == best->ts && m->seq > best->seq))
                best = m;
        }
        MDB_val k = {16, ipb[i]}, v;
        int rc = mdb_get(t->txn, st->dbi[DB_IPNOW], &k, &v);
        if (!best) {
            CHECK_INT(rc, MDB_NOTFOUND);
            continue;
        }
        want_n++;
        CHECK_INT(rc, 0);
        if (rc)
            continue;
        uint8_t want[IPL_IXVAL];
        ipl_ixval_pack(want, best->ts, best->seq, ipl_ix_class(best->kind));
        CHECK_INT(v.mv_size, IPL_IXVAL);
        CHECK(v.mv_size == IPL_IXVAL && memcmp(v.mv_data, want, IPL_IXVAL) == 0);
    }
    CHECK_INT(mdb_stat(t->txn, st->dbi[DB_IPNOW], &ms), 0);
    CHECK_INT(ms.ms_entries, want_n);
}

/* ix.mac, ix.host, ix.user: their keys are dictionary ids; the whole index in (key, ts, seq)
 * order must hold each live event of a value under one id, one id per value. */
static void check_idindex(ipl_rtxn *t, int ix)
{
    ipl_ixcur *c;
    ipl_ixent e;
    ipl_diag d = {0};
    uint32_t idof[4] = {0};
    uint64_t got = 0, want = 0, cnt[4] = {0};
    int bad = 0, has_prev = 0;
    ipl_ixent prev;
    memset(&prev, 0, sizeof prev);
    CHECK_INT(ipl_ixcur_open(t, (ipl_index)ix, NULL, NULL, 0, INT64_MAX, 0, &c, &d), IPL_OK);
    while (ipl_ixcur_next(c, &e, &d) == IPL_OK) {
        if (e.seq == 0 || e.seq > nev || !ev[e.seq].alive || ev[e.seq].ts != e.ts) {
            bad = 1;
            break;
        }
        const mev *m = &ev[e.seq];
        int v = ix == IPL_IX_MAC ? m->mac : ix == IPL_IX_HOST ? m->host : m->user;
        uint32_t id = ipl_get_be32(e.key);
        if (v < 0 || (idof[v] && idof[v] != id)) {
            bad = 1;
            break;
        }
        idof[v] = id;
        cnt[v]++;
        if (has_prev) {
            int kc = memcmp(prev.key, e.key, 4);
            if (kc > 0 || (kc == 0 && (prev.ts > e.ts || (prev.ts == e.ts && prev.seq >= e.seq))))
                bad = 1;
        }
        prev = e;
        has_prev = 1;
        got++;
    }
    ipl_ixcur_close(c);
    for (uint64_t s = 1; s <= nev; s++) {
        int v = ix == IPL_IX_MAC ? ev[s].mac : ix == IPL_IX_HOST ? ev[s].host : ev[s].user;
        want += ev[s].alive && v >= 0;
    }
    CHECK(!bad);
    CHECK_INT(got, want);
    for (int v = 0; v < 4; v++) {
        if (!idof[v])
            continue;
        uint8_t k[4];
        uint64_t n;
        ipl_be32(k, idof[v]);
        CHECK_INT(ipl_index_count(t, (ipl_index)ix, k, &n, &d), IPL_OK);
        CHECK_INT(n, cnt[v]);
    }
}

static void check_all(void)
{
    ipl_rtxn *t;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    static const int64_t edges[] = {0, B - HOUR, B - 1, B, B + 1, B + HOUR, INT64_MAX};
    for (int r = 0; r < 6; r++) {
        int64_t from = r < 2 ? edges[rnd() % 7] : rand_ts(), to = r < 2 ? edges[rnd() % 7] : rand_ts();
        if (from > to) {
            int64_t x = from;
            from = to;
            to = x;
        }
        if (r == 0)
            from = 0, to = INT64_MAX;
        for (int i = 0; i < NIPS; i++)
            for (int rev = 0; rev < 2; rev++)
                check_cursor(t, IPL_IX_IP, ipb[i], ipb[i], from, to, rev);
        for (int rev = 0; rev < 2; rev++) {
            check_cursor(t, IPL_IX_IP, ipb[0], ipb[3], from, to, rev);
            check_cursor(t, IPL_IX_TIME, NULL, NULL, from, to, rev);
        }
        check_fill(t, IPL_IX_IP, ipb[1], ipb[4], from, to);
        check_fill(t, IPL_IX_TIME, NULL, NULL, from, to);
    }
    uint64_t n_ip = 0, n_mac = 0, n_host = 0, n_user = 0, n_all = 0;
    for (int i = 0; i < NIPS; i++) {
        uint64_t n, want = 0;
        for (uint64_t s = 1; s <= nev; s++)
            want += ev[s].alive && ev[s].ip == i;
        CHECK_INT(ipl_index_count(t, IPL_IX_IP, ipb[i], &n, &d), IPL_OK);
        CHECK_INT(n, want);
    }
    for (uint64_t s = 1; s <= nev; s++) {
        if (!ev[s].alive)
            continue;
        n_all++;
        n_ip += ev[s].ip >= 0;
        n_mac += ev[s].mac >= 0;
        n_host += ev[s].host >= 0;
        n_user += ev[s].user >= 0;
    }
    check_idindex(t, IPL_IX_MAC);
    check_idindex(t, IPL_IX_HOST);
    check_idindex(t, IPL_IX_USER);
    for (int i = 0; i < 4; i++)
        check_held(t, i == 0 ? B : rand_ts());
    /* after every decision (ix.ipnow alone answers), at the last one and just before it */
    int64_t last = -1;
    for (uint64_t s = 1; s <= nev; s++) {
        unsigned cls = ipl_ix_class(ev[s].kind);
        if (ev[s].alive && ev[s].ip >= 0 && (cls == IPL_IXC_OPEN || cls == IPL_IXC_CLOSE) &&
            ev[s].ts > last)
            last = ev[s].ts;
    }
    check_held(t, INT64_MAX);
    check_held(t, last);
    check_held(t, last - 1);
    check_ipnow(t);
    ipl_store_stats s;
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.index_entries[IPL_IX_IP], n_ip);
    CHECK_INT(s.index_entries[IPL_IX_MAC], n_mac);
    CHECK_INT(s.index_entries[IPL_IX_HOST], n_host);
    CHECK_INT(s.index_entries[IPL_IX_USER], n_user);
    CHECK_INT(s.index_entries[IPL_IX_TIME], n_all);
    ipl_rtxn_end(t);
    ipl_verify_report vr;
    CHECK_INT(ipl_store_verify(st, &vr, NULL, NULL, &d), IPL_OK);
    CHECK(vr.ok);
    if (!vr.ok)
        fprintf(stderr, "   verify: %s\n", vr.problem);
    CHECK_INT(vr.index_entries, n_ip + n_mac + n_host + n_user + n_all);
}

static void test_model(void)
{
    for (int i = 0; i < NIPS; i++)
        CHECK_INT(ipl_ip_parse(IPS[i], strlen(IPS[i]), ipb[i]), IPL_OK);
    for (int round = 0; round < 24; round++) {
        add_batch(round == 0 ? 1 : 1 + (int)(rnd() % 700));
        if (round % 2)
            delete_some(1 + (int)(rnd() % 60));
        if (round % 3 == 2)
            purge_some();
        check_all();
    }
}

/* Every chunk decodes, holds 1..IPL_IXCHUNK_ENT entries in at most IPL_IXCHUNK_CAP bytes, and
 * some keys were split into several chunks (the model test did reach the splitting code). */
static void test_chunks(void)
{
    ipl_rtxn *t;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    static const char *const names[] = {"ix.ip", "ix.time"};
    for (int i = 0; i < 2; i++) {
        MDB_cursor *c;
        MDB_val k, v;
        size_t klen = i ? 4 : 20, chunks = 0, multi = 0;
        uint8_t prev[20];
        int has_prev = 0;
        CHECK_INT(mdb_cursor_open(t->txn, st->dbi[i ? DB_IX_TIME : DB_IX_IP], &c), 0);
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            uint8_t ents[IPL_IXCHUNK_ENT][IPL_IXVAL];
            size_t n = 0;
            CHECK_INT(k.mv_size, klen + IPL_IXVAL);
            CHECK(v.mv_size <= IPL_IXCHUNK_CAP);
            CHECK_INT(ipl_ixchunk_decode(v.mv_data, v.mv_size, (const uint8_t *)k.mv_data + klen,
                                         ents, &n), IPL_OK);
            if (has_prev && memcmp(prev, k.mv_data, klen) == 0)
                multi++;
            memcpy(prev, k.mv_data, klen);
            has_prev = 1;
            chunks++;
        }
        mdb_cursor_close(c);
        fprintf(stderr, "   %s: %zu chunks, %zu after another of the same key\n", names[i], chunks,
                multi);
        CHECK(multi >= 3);
    }
    ipl_rtxn_end(t);
    /* the codec refuses what breaks it: a count of 0, entries going down, bytes left over */
    static const uint8_t suffix[IPL_IXVAL] = {0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 8};
    uint8_t ents[4][IPL_IXVAL];
    size_t n;
    static const uint8_t ok[] = {2, 0, 0, 1, 1}, zero[] = {0}, down[] = {2, 0, 0, 0, 1},
                         below[] = {1, 0, 1}, extra[] = {1, 0, 0, 0}, cut[] = {2, 0, 0, 0x81};
    CHECK_INT(ipl_ixchunk_decode(ok, sizeof ok, suffix, ents, &n), IPL_OK);
    CHECK_INT(n, 2);
    CHECK_INT(ents[1][6], 10);                 /* ts 9 + 1 */
    CHECK_INT(ents[1][11], 7);                 /* f 8 - 1 (zigzag 1) */
    CHECK_INT(ipl_ixchunk_decode(zero, sizeof zero, suffix, ents, &n), IPL_ECORRUPT);
    CHECK_INT(ipl_ixchunk_decode(down, sizeof down, suffix, ents, &n), IPL_ECORRUPT);
    CHECK_INT(ipl_ixchunk_decode(below, sizeof below, suffix, ents, &n), IPL_ECORRUPT);
    CHECK_INT(ipl_ixchunk_decode(extra, sizeof extra, suffix, ents, &n), IPL_ECORRUPT);
    CHECK_INT(ipl_ixchunk_decode(cut, sizeof cut, suffix, ents, &n), IPL_ECORRUPT);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipl-ixchunk-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    ipl_diag d = {0};
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "open: %s\n", d.msg);
        return 1;
    }
    RUN(test_model);
    RUN(test_chunks);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
