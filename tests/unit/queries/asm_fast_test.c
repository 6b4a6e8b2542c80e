/* tests/unit/queries/asm_fast_test.c — the fast paths of the address space (ipl_ix_held_bits, the
 * utilization cursor's shared windows, the free search's bitmap windows) against an oracle that
 * knows every event written, and against the per-address answers of ipl_asm_held (one key, the
 * serial week walk), on a randomized store:
 *   - IPv4 ranges side by side and with gaps (so windows are shared), an exclusion, address
 *     objects that use or do not use their address, some of them leased too, and a provider
 *     space whose ranges cover the same addresses with objects of its own;
 *   - an IPv6 range that crosses a 64-bit boundary (…:ffff:ffff:ffff:ff00 to …:2::ff) and a /64
 *     (too large for a window: the merged-scan fallback);
 *   - leases that opened weeks before the instant and are still held, releases, expiries,
 *     declines, events that neither open nor close (logons, DNS, offers), equal timestamps, and
 *     batches committed out of time order (late events);
 *   - instants before everything, on week boundaries (± 1 µs), on event timestamps, and after;
 *   - a range larger than one free-search window whose first window is excluded.
 * Held bits, utilization (one call and the cursor) and the next free addresses must be identical. */
#include "../check.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0   (INT64_C(1714953600) * 1000000)
#define HOUR (INT64_C(3600) * 1000000)
#define WEEK (INT64_C(604800) * 1000000)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

/* ---- the oracle: every lease-deciding event written, by address ---- */
typedef struct oev { int64_t ts; uint64_t seq; unsigned kind; } oev;
typedef struct oaddr { uint8_t ip[16]; oev ev[16]; size_t n; } oaddr;
static oaddr addrs[2048];
static size_t naddrs;
static uint64_t seqctr;

static int ipcmp(const void *a, const void *b)
{
    return memcmp(((const oaddr *)a)->ip, ((const oaddr *)b)->ip, 16);
}

static oaddr *ofind(const uint8_t ip[16])
{
    oaddr key;
    memcpy(key.ip, ip, 16);
    return bsearch(&key, addrs, naddrs, sizeof *addrs, ipcmp);
}

static int oheld(const uint8_t ip[16], int64_t at)
{
    const oaddr *a = ofind(ip);
    int64_t bts = -1;
    uint64_t bseq = 0;
    int held = 0;
    for (size_t i = 0; a && i < a->n; i++) {
        const oev *e = &a->ev[i];
        if (e->ts > at || !(ipl_kind_opens_lease(e->kind) || ipl_kind_closes_lease(e->kind)))
            continue;
        if (e->ts > bts || (e->ts == bts && e->seq > bseq)) {
            bts = e->ts;
            bseq = e->seq;
            held = ipl_kind_opens_lease(e->kind);
        }
    }
    return held;
}

/* events to write, shuffled into batches */
typedef struct pend { uint8_t ip[16]; int64_t ts; unsigned kind; } pend;
static pend pends[8192];
static size_t npend;

static void plan(const uint8_t ip[16], int64_t ts, unsigned kind)
{
    if (npend < sizeof pends / sizeof pends[0]) {
        memcpy(pends[npend].ip, ip, 16);
        pends[npend].ts = ts;
        pends[npend].kind = kind;
        npend++;
    }
}

static void add_ip(uint8_t out[16], const uint8_t base[16], uint64_t off)
{
    unsigned carry = 0;
    for (int i = 15; i >= 0; i--) {
        unsigned s = base[i] + (unsigned)(off & 0xff) + carry;
        out[i] = (uint8_t)s;
        carry = s >> 8;
        off >>= 8;
    }
}

static void parse(const char *s, uint8_t ip[16])
{
    if (ipl_ip_parse(s, strlen(s), ip) != IPL_OK)
        CHECK(!"an address of the test does not parse");
}

static const unsigned kinds[] = {
    IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW,   IPL_K_LEASE_RELEASE, IPL_K_LEASE_EXPIRE,
    IPL_K_LEASE_DECLINE, IPL_K_LOGON,        IPL_K_DNS_UPDATE,    IPL_K_LEASE_OFFER,
    IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW};

/* a random story for address base+off, its times in [T0 - 5 weeks, T0 + 1 week] */
static void story(const uint8_t base[16], uint64_t off)
{
    uint8_t ip[16];
    add_ip(ip, base, off);
    unsigned n = 1 + rnd(6);
    int64_t t = T0 - 5 * WEEK + (int64_t)rnd(5 * 7 * 24) * HOUR + rnd(3600);
    for (unsigned i = 0; i < n; i++) {
        plan(ip, t, kinds[rnd(sizeof kinds / sizeof kinds[0])]);
        if (rnd(5) == 0)
            continue;                              /* the same timestamp again: seq decides */
        t += (int64_t)rnd(10 * 24) * HOUR + 1;
    }
}

static void write_all(ipl_store *st)
{
    /* shuffle, then commit in batches of random size: seq order is not time order */
    for (size_t i = npend; i > 1; i--) {
        size_t j = rnd((uint32_t)i);
        pend x = pends[i - 1];
        pends[i - 1] = pends[j];
        pends[j] = x;
    }
    ipl_diag d = {0};
    size_t i = 0;
    while (i < npend) {
        ipl_batch *b;
        CHECK_INT(ipl_batch_new(&b), IPL_OK);
        size_t end = i + 1 + rnd(400);
        for (; i < npend && i < end; i++) {
            ipl_event e;
            ipl_event_reset(&e);
            e.ts = pends[i].ts;
            e.kind = (uint16_t)pends[i].kind;
            e.has_ip = 1;
            memcpy(e.ip, pends[i].ip, 16);
            e.mac = e.kind == IPL_K_LOGON ? NULL : "aabbccddeeff";
            e.user = e.kind == IPL_K_LOGON ? "CONTOSO\\ann" : NULL;
            e.server = "dhcp1";
            e.source = "test";
            CHECK_INT(ipl_batch_add(b, &e, &d), IPL_OK);
            /* the oracle */
            oaddr *a = NULL;
            for (size_t k = 0; k < naddrs; k++)
                if (memcmp(addrs[k].ip, e.ip, 16) == 0)
                    a = &addrs[k];
            if (!a && naddrs < sizeof addrs / sizeof addrs[0]) {
                a = &addrs[naddrs++];
                memcpy(a->ip, e.ip, 16);
                a->n = 0;
            }
            if (a && a->n < 16)
                a->ev[a->n++] = (oev){e.ts, ++seqctr, e.kind};
        }
        CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
        ipl_batch_free(b);
    }
    qsort(addrs, naddrs, sizeof *addrs, ipcmp);
}

/* ---- reference answers from the oracle ---- */
static int obj_uses(const ipl_asm_obj *o)
{
    const char *s = ipl_asm_obj_str(o, "state"), *as = ipl_asm_obj_str(o, "assignment");
    if (s && strcmp(s, "inactive") == 0)
        return 0;
    if (s)
        return 1;
    return as && strcmp(as, "dynamic") != 0;
}

static int obj_used_at(const ipl_asm_view *v, const char *space, const uint8_t ip[16])
{
    size_t n = ipl_asm_count(v, IPL_ASM_ADDRESS);
    for (size_t i = 0; i < n; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, IPL_ASM_ADDRESS, i);
        uint8_t lo[16], hi[16];
        ipl_asm_obj_bounds(o, lo, hi);
        if (strcmp(ipl_asm_obj_space(o), space) == 0 && memcmp(lo, ip, 16) == 0)
            return obj_uses(o);
    }
    return 0;
}

/* used and leased of a range: addresses with events (the only ones that can be held) plus the
 * address objects of the range */
static void ref_range(const ipl_asm_view *v, const ipl_asm_obj *r, int64_t at, double *used,
                      uint64_t *leased)
{
    uint8_t lo[16], hi[16];
    ipl_asm_obj_bounds(r, lo, hi);
    *used = 0;
    *leased = 0;
    for (size_t i = 0; i < naddrs; i++)
        if (memcmp(addrs[i].ip, lo, 16) >= 0 && memcmp(addrs[i].ip, hi, 16) <= 0 &&
            oheld(addrs[i].ip, at)) {
            (*leased)++;
            if (!obj_used_at(v, ipl_asm_obj_space(r), addrs[i].ip))
                *used += 1;
        }
    size_t n = ipl_asm_count(v, IPL_ASM_ADDRESS);
    for (size_t i = 0; i < n; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, IPL_ASM_ADDRESS, i);
        uint8_t a[16], b[16];
        ipl_asm_obj_bounds(o, a, b);
        if (strcmp(ipl_asm_obj_space(o), ipl_asm_obj_space(r)) == 0 && memcmp(a, lo, 16) >= 0 &&
            memcmp(a, hi, 16) <= 0 && obj_uses(o))
            *used += 1;
    }
}

/* the exclusions written below, by range */
static const char *const exclusions[][3] = {
    {"10.50.0.1-10.50.0.200", "10.50.0.20", "10.50.0.40"},
    {"10.60.0.1-10.61.255.254", "10.60.0.1", "10.60.255.200"}};

static int excluded(const ipl_asm_obj *r, const uint8_t ip[16])
{
    for (size_t k = 0; k < sizeof exclusions / sizeof exclusions[0]; k++) {
        uint8_t lo[16], hi[16];
        if (strcmp(ipl_asm_obj_id(r), exclusions[k][0]) != 0)
            continue;
        parse(exclusions[k][1], lo);
        parse(exclusions[k][2], hi);
        if (memcmp(ip, lo, 16) >= 0 && memcmp(ip, hi, 16) <= 0)
            return 1;
    }
    return 0;
}

/* the first n free addresses by walking the range one address at a time */
static size_t ref_free(const ipl_asm_view *v, const ipl_asm_obj *r, int64_t at, size_t n,
                       uint8_t (*out)[16])
{
    uint8_t c[16], lo[16], hi[16];
    size_t found = 0;
    ipl_asm_obj_bounds(r, lo, hi);
    memcpy(c, lo, 16);
    for (uint64_t steps = 0; found < n && steps < 300000; steps++) {
        if (!excluded(r, c) && !oheld(c, at) && !obj_used_at(v, ipl_asm_obj_space(r), c))
            memcpy(out[found++], c, 16);
        if (memcmp(c, hi, 16) == 0)
            break;
        add_ip(c, c, 1);
    }
    return found;
}

static void compare_at(ipl_store *st, int64_t at)
{
    ipl_rtxn *t;
    ipl_asm_view *v;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);

    /* held bits of two chunks against the oracle and the per-address scan */
    static const char *const chunk[] = {"10.50.0.0", "2001:db8:0:1:ffff:ffff:ffff:ff00"};
    static const uint32_t csize[] = {1024, 512};
    static uint64_t bits[1024 / 64];
    for (int k = 0; k < 2; k++) {
        uint8_t base[16], ip[16];
        int bad = 0;
        parse(chunk[k], base);
        CHECK_INT(ipl_ix_held_bits(t, base, csize[k], at, bits, &d), IPL_OK);
        for (uint32_t i = 0; i < csize[k]; i++) {
            uint64_t one = 9;
            add_ip(ip, base, i);
            int fast = (int)(bits[i / 64] >> (i % 64) & 1);
            CHECK_INT(ipl_asm_held(t, ip, ip, at, NULL, NULL, &one, &d), IPL_OK);
            if (fast != oheld(ip, at) || (uint64_t)fast != one)
                bad++;
        }
        CHECK_INT(bad, 0);
    }

    /* utilization: one call, and the cursor in view order, of every range, subnet and block */
    ipl_asm_utilcur *uc;
    CHECK_INT(ipl_asm_utilcur_open(t, v, at, &uc, &d), IPL_OK);
    static const ipl_asm_type types[] = {IPL_ASM_RANGE, IPL_ASM_SUBNET, IPL_ASM_BLOCK};
    for (int k = 0; k < 3; k++) {
        size_t n = ipl_asm_count(v, types[k]);
        for (size_t i = 0; i < n; i++) {
            const ipl_asm_obj *o = ipl_asm_at(v, types[k], i);
            ipl_asm_util u1, u2;
            CHECK_INT(ipl_asm_utilization(t, v, o, at, &u1, &d), IPL_OK);
            CHECK_INT(ipl_asm_utilcur_get(uc, o, &u2, &d), IPL_OK);
            CHECK(u1.used == u2.used && u1.leased == u2.leased && u1.size == u2.size);
            if (types[k] == IPL_ASM_RANGE) {
                double used;
                uint64_t leased;
                ref_range(v, o, at, &used, &leased);
                CHECK_INT(u1.leased, leased);
                CHECK(u1.used == used);
                /* the old merged scan of the whole range */
                uint8_t lo[16], hi[16];
                uint64_t held = 0;
                ipl_asm_obj_bounds(o, lo, hi);
                CHECK_INT(ipl_asm_held(t, lo, hi, at, NULL, NULL, &held, &d), IPL_OK);
                CHECK_INT(held, leased);
            }
        }
    }
    ipl_asm_utilcur_close(uc);

    /* next free addresses of every range */
    static const size_t counts[] = {1, 7, 300};
    size_t nr = ipl_asm_count(v, IPL_ASM_RANGE);
    for (size_t i = 0; i < nr; i++) {
        const ipl_asm_obj *r = ipl_asm_at(v, IPL_ASM_RANGE, i);
        for (int k = 0; k < 3; k++) {
            static uint8_t want[300][16];
            uint8_t (*got)[16] = NULL;
            size_t found = 0, nw = ref_free(v, r, at, counts[k], want);
            CHECK_INT(ipl_asm_free_addresses(t, v, r, at, counts[k], &got, &found, &d), IPL_OK);
            CHECK_INT(found, nw);
            int same = found == nw;
            for (size_t j = 0; same && j < found; j++)
                same = memcmp(got[j], want[j], 16) == 0;
            if (!same)
                fprintf(stderr, "free addresses of range '%s' at %lld differ (n = %zu)\n",
                        ipl_asm_obj_id(r), (long long)at, counts[k]);
            CHECK(same);
            free(got);
        }
    }
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
}

int main(void)
{
    char dir[] = "/tmp/ipl-asmfast-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ipl_store *st;
    ipl_diag d = {0};
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_OK);

    uint8_t b4[16], b6[16], ip[16];
    parse("10.50.0.0", b4);
    parse("2001:db8:0:1:ffff:ffff:ffff:ff00", b6);
    for (uint32_t i = 0; i < 1024; i++)
        if (rnd(10) < 3)
            story(b4, i);
    for (uint32_t i = 0; i < 512; i++)
        if (rnd(10) < 3)
            story(b6, i);
    /* leased weeks before T0 and still held; address objects that are also leased */
    static const char *const longheld[] = {"10.50.0.5", "10.50.0.9", "10.50.3.200",
                                           "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:2::10"};
    for (size_t i = 0; i < sizeof longheld / sizeof longheld[0]; i++) {
        parse(longheld[i], ip);
        plan(ip, T0 - 4 * WEEK - 3 * HOUR, IPL_K_LEASE_ASSIGN);
    }
    /* a few leases in the /64 */
    parse("2001:db8:0:5::", b6);
    for (uint32_t i = 0; i < 20; i++)
        story(b6, (uint64_t)rnd(40) << 8);
    /* the big range: its first window excluded, then 10.60.255.201 - 10.61.0.10 held */
    parse("10.60.255.201", b4);
    for (uint32_t i = 0; i < 66; i++) {
        add_ip(ip, b4, i);
        plan(ip, T0 - 2 * WEEK + i, IPL_K_LEASE_ASSIGN);
    }
    write_all(st);

    ipl_asm_actor a;
    ipl_asm_actor_default(&a);
    const char *ex1[] = {"exclude=10.50.0.20-10.50.0.40"};
    const char *ex2[] = {"exclude=10.60.0.1-10.60.255.200"};
    const char *stat[] = {"assignment=static"}, *resv[] = {"state=reserved"};
    const char *inact[] = {"state=inactive"}, *dyn[] = {"assignment=dynamic"};
    const char *prov[] = {"kind=provider"};
    ipl_asm_change ch[] = {
        {IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "10.0.0.0/8", NULL, 0, 0},
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.50.0.0/22", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.50.0.1-10.50.0.200", ex1, 1, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.50.0.210-10.50.1.100", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.50.1.101-10.50.3.254", NULL, 0, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.0.1", stat, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.0.5", stat, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.0.7", resv, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.0.9", inact, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.0.30", stat, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.50.2.9", dyn, 1, 0},
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.60.0.0/15", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.60.0.1-10.61.255.254", ex2, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.61.0.11", stat, 1, 0},
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "2001:db8::/32", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL,
         "2001:db8:0:1:ffff:ffff:ffff:ff00-2001:db8:0:2::ff", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "2001:db8:0:5::-2001:db8:0:5:ffff:ffff:ffff:ffff",
         NULL, 0, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "2001:db8:0:2::10", stat, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "2001:db8:0:1:ffff:ffff:ffff:ff00", resv, 1, 0},
        /* a provider space over the same addresses: its own objects, the same lease stream */
        {IPL_ASM_SPACE, IPL_ASM_CREATE, NULL, "prov", prov, 1, 0},
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, "prov", "10.50.0.0/23", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, "prov", "10.50.0.100-10.50.1.50", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, "prov", "10.50.1.60-10.50.1.250", NULL, 0, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, "prov", "10.50.0.150", stat, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, "prov", "10.50.0.5", stat, 1, 0},    /* outside */
    };
    int aerr = ipl_asm_apply(st, &a, ch, sizeof ch / sizeof ch[0], NULL, &d);
    if (aerr)
        fprintf(stderr, "apply: %s\n", d.msg);
    CHECK_INT(aerr, IPL_OK);

    /* instants: before everything, week boundaries +-1, event times, random, after everything */
    int64_t ats[40];
    size_t nat = 0;
    ats[nat++] = T0 - 6 * WEEK;
    for (int64_t w = (T0 - 5 * WEEK) / WEEK; w <= (T0 + 2 * WEEK) / WEEK && nat + 3 < 40; w++) {
        ats[nat++] = w * WEEK - 1;
        ats[nat++] = w * WEEK;
        ats[nat++] = w * WEEK + 1;
    }
    while (nat < 36)
        ats[nat++] = pends[rnd((uint32_t)npend)].ts;
    while (nat < 39)
        ats[nat++] = T0 - 5 * WEEK + (int64_t)rnd(6 * 7 * 24) * HOUR;
    ats[nat++] = T0 + 8 * WEEK;
    for (size_t i = 0; i < nat; i++)
        compare_at(st, ats[i]);

    /* the big range at the end: the first window excluded, 66 held, .11 static: .12 is free */
    {
        ipl_rtxn *t;
        ipl_asm_view *v;
        uint8_t (*got)[16] = NULL;
        size_t found = 0;
        char txt[IPL_IP_TEXT];
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
        const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, NULL, "10.60.0.1-10.61.255.254");
        CHECK(r != NULL);
        if (r) {
            CHECK_INT(ipl_asm_free_addresses(t, v, r, T0, 2, &got, &found, &d), IPL_OK);
            CHECK_INT(found, 2);
            if (found == 2) {
                ipl_ip_format(got[0], txt, sizeof txt);
                CHECK_STR(txt, "10.61.0.12");
                ipl_ip_format(got[1], txt, sizeof txt);
                CHECK_STR(txt, "10.61.0.13");
            }
            free(got);
        }
        /* bad input: a window over the top of the address space, an empty or oversized one */
        uint64_t w1[1];
        memset(ip, 0xff, 16);
        CHECK_INT(ipl_ix_held_bits(t, ip, 2, T0, w1, &d), IPL_EINVAL);
        CHECK_INT(ipl_ix_held_bits(t, ip, 0, T0, w1, &d), IPL_EINVAL);
        CHECK_INT(ipl_ix_held_bits(t, b4, IPL_IX_HELD_MAX + 1, T0, w1, &d), IPL_EINVAL);
        ipl_asm_view_free(v);
        ipl_rtxn_end(t);
    }
    ipl_store_close(st);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
