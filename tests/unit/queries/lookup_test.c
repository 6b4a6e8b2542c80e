/* tests/unit/queries/lookup_test.c — lookups and `who` (queries/lookup.c) over a store with a
 * scripted lease history: for 10.1.1.1 assign A, DNS updates, renew A, a conflict, release A,
 * assign B, expire B (no MAC on the row, as Windows writes it), assign C; a renew after a gap;
 * a client change without a close; IPv6 with DUIDs. ipl_who_at is checked at many instants
 * (half-open holdings, evidence, notes); ipl_selector_make for IPs, CIDRs, MACs, DUIDs, hosts;
 * ipl_events_scan time windows; ipl_event_row.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/lookup.h"

#include <cJSON.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714551332) * 1000000)   /* 2024-05-01T08:15:32Z */
#define AT(s) (T0 + (int64_t)(s) * 1000000)

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the script ---------------------------------------------------------------------------- */

#define MAC_A "0000000000aa"
#define MAC_B "0000000000bb"
#define MAC_C "0000000000cc"
#define MAC_E "0000000000ee"
#define MAC_F "0000000000ff"
#define MAC_Q "0000000000dd"
#define DUID_1 "000100012b3c4d5e3c52826a1b2f"
#define DUID_2 "0003000102aabbccddee"

typedef struct step {
    int t;                 /* seconds after T0 */
    unsigned kind;
    const char *ip, *mac, *duid, *host;
} step;

/* seq = index + 1 */
static const step SCRIPT[] = {
    /* 10.1.1.1 */
    {100, IPL_K_LEASE_ASSIGN, "10.1.1.1", MAC_A, NULL, "PC-A.corp"},          /* 1 */
    {200, IPL_K_DNS_UPDATE, "10.1.1.1", NULL, NULL, "pc-a.corp"},             /* 2 */
    {210, IPL_K_DNS_UPDATE, "10.1.1.1", MAC_Q, NULL, "other-name"},           /* 3 */
    {300, IPL_K_LEASE_RENEW, "10.1.1.1", MAC_A, NULL, "PC-A.corp"},           /* 4 */
    {350, IPL_K_LEASE_CONFLICT, "10.1.1.1", MAC_Q, NULL, NULL},               /* 5 */
    {400, IPL_K_LEASE_RELEASE, "10.1.1.1", MAC_A, NULL, "PC-A.corp"},         /* 6 */
    {500, IPL_K_LEASE_ASSIGN, "10.1.1.1", MAC_B, NULL, "pc-b"},               /* 7 */
    {600, IPL_K_LEASE_EXPIRE, "10.1.1.1", NULL, NULL, "pc-b"},                /* 8 */
    {700, IPL_K_LEASE_ASSIGN, "10.1.1.1", MAC_C, NULL, NULL},                 /* 9 */
    {800, IPL_K_DNS_UPDATE, "10.1.1.1", NULL, NULL, "pc-c.corp"},             /* 10 */
    {810, IPL_K_LEASE_CONFLICT, "10.1.1.1", MAC_Q, NULL, NULL},               /* 11 */
    /* 10.1.1.3: a renew after a long gap with no close */
    {100, IPL_K_LEASE_ASSIGN, "10.1.1.3", MAC_E, NULL, "pc-e"},               /* 12 */
    {5000, IPL_K_LEASE_RENEW, "10.1.1.3", MAC_E, NULL, "pc-e"},               /* 13 */
    /* 10.1.1.2: a different client renews without a close in between */
    {100, IPL_K_LEASE_ASSIGN, "10.1.1.2", MAC_E, NULL, NULL},                 /* 14 */
    {300, IPL_K_LEASE_RENEW, "10.1.1.2", MAC_F, NULL, NULL},                  /* 15 */
    /* 10.1.1.4: outside the /30; 10.1.1.0: its network address */
    {50, IPL_K_LEASE_ASSIGN, "10.1.1.4", MAC_A, NULL, NULL},                  /* 16 */
    {60, IPL_K_LEASE_ASSIGN, "10.1.1.0", MAC_B, NULL, NULL},                  /* 17 */
    /* IPv6: DUID 1 (with its MAC), renewed, then DUID 2 takes the address */
    {100, IPL_K_LEASE_ASSIGN, "2001:db8::10", "3c52826a1b2f", DUID_1, "v6-host"}, /* 18 */
    {200, IPL_K_LEASE_RENEW, "2001:db8::10", "3c52826a1b2f", DUID_1, NULL},   /* 19 */
    {300, IPL_K_LEASE_ASSIGN, "2001:db8::10", NULL, DUID_2, NULL},            /* 20 */
    /* an address with DNS events only */
    {100, IPL_K_DNS_UPDATE, "10.1.1.9", NULL, NULL, "dns-only"},              /* 21 */
};
#define NSCRIPT (sizeof SCRIPT / sizeof SCRIPT[0])

static char store_dir[64];
static ipl_store *st;

static int build(void)
{
    ipl_diag d = {0};
    snprintf(store_dir, sizeof store_dir, "/tmp/ipl-lookup-test-XXXXXX");
    if (!mkdtemp(store_dir))
        return -1;
    if (ipl_store_open(&st, store_dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "open: %s\n", d.msg);
        return -1;
    }
    ipl_batch *b = NULL;
    if (ipl_batch_new(&b))
        return -1;
    for (size_t i = 0; i < NSCRIPT; i++) {
        const step *s = &SCRIPT[i];
        ipl_event ev;
        ipl_event_reset(&ev);
        ev.ts = AT(s->t);
        ev.kind = (uint16_t)s->kind;
        if (ipl_ip_parse(s->ip, strlen(s->ip), ev.ip) != IPL_OK)
            return -1;
        ev.has_ip = 1;
        ev.mac = s->mac;
        ev.duid = s->duid;
        ev.host = s->host;
        ev.server = "dhcp01";
        ev.source = "file:/script.log";
        ev.line = i + 1;
        char code[8];
        snprintf(code, sizeof code, "%u", s->kind);
        ipl_event_add_attr(&ev, IPL_A_CODE, code, strlen(code));
        if (ipl_batch_add(b, &ev, &d)) {
            fprintf(stderr, "add: %s\n", d.msg);
            return -1;
        }
    }
    ipl_commit_info ci;
    int rc = ipl_store_commit(st, b, &ci, &d);
    ipl_batch_free(b);
    if (rc || ci.last_seq != NSCRIPT) {
        fprintf(stderr, "commit: %s\n", d.msg);
        return -1;
    }
    return 0;
}

/* ---- who ----------------------------------------------------------------------------------- */

typedef struct who_res {
    int rc, held;
    char mac[32], duid[64], host[64], server[32], note[200], reason[32];
    int64_t start, end;
    int nev;
    uint64_t ev[IPL_WHO_EVIDENCE];
} who_res;

static void cp(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "(null)");
}

static who_res who(const char *ip, int64_t at)
{
    who_res r;
    memset(&r, 0, sizeof r);
    uint8_t a[16];
    if (ipl_ip_parse(ip, strlen(ip), a) != IPL_OK) {
        r.rc = -999;
        return r;
    }
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_arena arena;
    ipl_who w;
    ipl_arena_init(&arena, 0);
    r.rc = ipl_rtxn_begin(st, &t, &d);
    if (!r.rc)
        r.rc = ipl_who_at(t, a, at, &arena, &w, &d);
    if (!r.rc) {
        r.held = w.held;
        cp(r.mac, sizeof r.mac, w.mac);
        cp(r.duid, sizeof r.duid, w.duid);
        cp(r.host, sizeof r.host, w.host);
        cp(r.server, sizeof r.server, w.server);
        cp(r.note, sizeof r.note, w.note);
        cp(r.reason, sizeof r.reason, w.end_reason);
        r.start = w.start;
        r.end = w.end;
        r.nev = w.nevidence;
        memcpy(r.ev, w.evidence, sizeof r.ev);
    }
    ipl_rtxn_end(t);
    ipl_arena_release(&arena);
    return r;
}

static int evidence_is(const who_res *r, const uint64_t *want, int n)
{
    if (r->nev != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (r->ev[i] != want[i])
            return 0;
    return 1;
}

static void test_who_script(void)
{
    who_res r;
    /* before any event */
    r = who("10.1.1.1", AT(50));
    CHECK_INT(r.rc, IPL_OK);
    CHECK_INT(r.held, 0);
    CHECK(strstr(r.note, "no lease") != NULL);
    CHECK_STR(r.mac, "(null)");
    CHECK_STR(r.host, "(null)");
    r = who("10.1.1.1", -1);                      /* before time itself */
    CHECK_INT(r.rc, IPL_OK);
    CHECK_INT(r.held, 0);
    r = who("10.1.1.1", AT(100) - 1);
    CHECK_INT(r.held, 0);

    /* at the assign instant and inside A, before the renew */
    r = who("10.1.1.1", AT(100));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_A);
    CHECK_INT(r.start, AT(100));
    r = who("10.1.1.1", AT(250));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_A);
    CHECK_STR(r.host, "PC-A.corp");
    CHECK_STR(r.server, "dhcp01");
    CHECK_INT(r.start, AT(100));
    CHECK_INT(r.end, AT(400));
    CHECK_STR(r.reason, "released");
    static const uint64_t ev_250[] = {1, 6};
    CHECK(evidence_is(&r, ev_250, 2));

    /* after the renew: the assign, the renew and the release */
    r = who("10.1.1.1", AT(320));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_A);
    CHECK_INT(r.start, AT(100));
    CHECK_INT(r.end, AT(400));
    CHECK_STR(r.reason, "released");
    static const uint64_t ev_320[] = {1, 4, 6};
    CHECK(evidence_is(&r, ev_320, 3));
    /* a conflict (another MAC answering for the address) does not change the holder */
    r = who("10.1.1.1", AT(360));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_A);
    CHECK_INT(r.end, AT(400));
    CHECK(evidence_is(&r, ev_320, 3));
    r = who("10.1.1.1", AT(400) - 1);
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_A);

    /* exactly at the release instant: nobody (half-open) */
    r = who("10.1.1.1", AT(400));
    CHECK_INT(r.rc, IPL_OK);
    CHECK_INT(r.held, 0);
    CHECK(strstr(r.note, "released") != NULL);
    CHECK(strstr(r.note, MAC_A) != NULL);
    CHECK_STR(r.host, "(null)");
    r = who("10.1.1.1", AT(450));
    CHECK_INT(r.held, 0);
    CHECK(strstr(r.note, "released") != NULL);

    /* B: assigned, then expired by a row without a MAC */
    r = who("10.1.1.1", AT(500));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_B);
    r = who("10.1.1.1", AT(550));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_B);
    CHECK_STR(r.host, "pc-b");
    CHECK_INT(r.start, AT(500));
    CHECK_INT(r.end, AT(600));
    CHECK_STR(r.reason, "expired");
    static const uint64_t ev_550[] = {7, 8};
    CHECK(evidence_is(&r, ev_550, 2));
    r = who("10.1.1.1", AT(600));                 /* at B's expiry */
    CHECK_INT(r.held, 0);
    CHECK(strstr(r.note, "expired") != NULL);
    r = who("10.1.1.1", AT(650));
    CHECK_INT(r.held, 0);

    /* C: open-ended; the DNS name after the assign is the host; conflicts change nothing */
    r = who("10.1.1.1", AT(750));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_C);
    CHECK_INT(r.start, AT(700));
    CHECK_INT(r.end, 0);
    CHECK_STR(r.reason, "(null)");
    static const uint64_t ev_750[] = {9};
    CHECK(evidence_is(&r, ev_750, 1));
    r = who("10.1.1.1", AT(900));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_C);
    CHECK_STR(r.host, "pc-c.corp");
    CHECK_INT(r.end, 0);
    r = who("10.1.1.1", AT(1000000));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_C);
    r = who("10.1.1.1", INT64_MAX);               /* the end of time */
    CHECK_INT(r.rc, IPL_OK);
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_C);
    CHECK_INT(r.end, 0);
}

static void test_who_gaps(void)
{
    who_res r;
    /* a renew long after the assign, no close in between: one holding from the assign */
    r = who("10.1.1.3", AT(3000));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_E);
    CHECK_INT(r.start, AT(100));
    CHECK_INT(r.end, 0);
    r = who("10.1.1.3", AT(6000));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_E);
    CHECK_INT(r.start, AT(100));
    static const uint64_t ev[] = {12, 13};
    CHECK(evidence_is(&r, ev, 2));

    /* another client opening the address ends the previous holding: "reassigned" */
    r = who("10.1.1.2", AT(200));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_E);
    CHECK_INT(r.end, AT(300));
    CHECK_STR(r.reason, "reassigned");
    r = who("10.1.1.2", AT(400));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.mac, MAC_F);
    CHECK_INT(r.start, AT(300));                  /* not E's assign */
    CHECK_INT(r.end, 0);

    /* DNS events only: nobody */
    r = who("10.1.1.9", AT(200));
    CHECK_INT(r.held, 0);
    CHECK(strstr(r.note, "no lease") != NULL);
    CHECK_STR(r.host, "(null)");
    /* an address never seen */
    r = who("192.0.2.1", AT(200));
    CHECK_INT(r.rc, IPL_OK);
    CHECK_INT(r.held, 0);
}

static void test_who_v6(void)
{
    who_res r = who("2001:db8::10", AT(250));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.duid, DUID_1);
    CHECK_STR(r.mac, "3c52826a1b2f");
    CHECK_STR(r.host, "v6-host");
    CHECK_INT(r.start, AT(100));
    CHECK_INT(r.end, AT(300));
    CHECK_STR(r.reason, "reassigned");
    static const uint64_t ev[] = {18, 19, 20};
    CHECK(evidence_is(&r, ev, 3));
    r = who("2001:db8::10", AT(300));
    CHECK_INT(r.held, 1);
    CHECK_STR(r.duid, DUID_2);
    CHECK_INT(r.start, AT(300));
    r = who("2001:db8::10", AT(99));
    CHECK_INT(r.held, 0);
}

/* ---- selectors and scans ------------------------------------------------------------------- */

typedef struct seen {
    int n;
    uint64_t seq[64];
    int64_t ts[64];
} seen;

static int on_event(void *ctx, const ipl_event *ev)
{
    seen *s = ctx;
    if (s->n < 64) {
        s->seq[s->n] = ev->seq;
        s->ts[s->n] = ev->ts;
    }
    s->n++;
    return IPL_OK;
}

static seen select_scan(ipl_index ix, const char *value, int64_t from, int64_t to, int *rc)
{
    seen s;
    memset(&s, 0, sizeof s);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_selector sel;
    *rc = ipl_rtxn_begin(st, &t, &d);
    if (!*rc)
        *rc = ipl_selector_make(t, ix, value, &sel, &d);
    if (!*rc)
        *rc = ipl_events_scan(t, &sel, from, to, on_event, &s, &d);
    ipl_rtxn_end(t);
    return s;
}

static int seqs_are(const seen *s, const uint64_t *want, int n)
{
    if (s->n != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (s->seq[i] != want[i])
            return 0;
    return 1;
}

static void test_selector_errors(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_selector sel;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_selector_make(t, IPL_IX_IP, "10.1.1", &sel, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'10.1.1'") != NULL);
    CHECK_INT(ipl_selector_make(t, IPL_IX_IP, "10.1.1.1/33", &sel, &d), IPL_EINVAL);
    CHECK_INT(ipl_selector_make(t, IPL_IX_IP, "", &sel, &d), IPL_EINVAL);
    CHECK_INT(ipl_selector_make(t, IPL_IX_MAC, "zz:zz:zz:zz:zz:zz", &sel, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "zz:zz:zz:zz:zz:zz") != NULL);
    CHECK_INT(ipl_selector_make(t, IPL_IX_MAC, "abc", &sel, &d), IPL_EINVAL);   /* odd hex */
    CHECK_INT(ipl_selector_make(t, IPL_IX_HOST, "", &sel, &d), IPL_EINVAL);
    CHECK_INT(ipl_selector_make(t, IPL_IX_TIME, "x", &sel, &d), IPL_EINVAL);
    /* unknown values: empty selectors, not errors */
    CHECK_INT(ipl_selector_make(t, IPL_IX_MAC, "00:11:22:33:44:55", &sel, &d), IPL_OK);
    CHECK_INT(sel.empty, 1);
    CHECK_INT(ipl_selector_make(t, IPL_IX_HOST, "nobody.example", &sel, &d), IPL_OK);
    CHECK_INT(sel.empty, 1);
    CHECK_INT(ipl_selector_make(t, IPL_IX_USER, "CORP\\nobody", &sel, &d), IPL_OK);
    CHECK_INT(sel.empty, 1);
    seen s;
    memset(&s, 0, sizeof s);
    sel.empty = 1;
    CHECK_INT(ipl_events_scan(t, &sel, 0, INT64_MAX, on_event, &s, &d), IPL_OK);
    CHECK_INT(s.n, 0);
    ipl_rtxn_end(t);
}

static void test_selectors(void)
{
    int rc;
    seen s;
    /* one address, time-ordered */
    s = select_scan(IPL_IX_IP, "10.1.1.1", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    static const uint64_t all1[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    CHECK(seqs_are(&s, all1, 11));
    /* a CIDR: .0 .1 .2 .3 but not .4, in address order then time */
    s = select_scan(IPL_IX_IP, "10.1.1.0/30", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    static const uint64_t cidr[] = {17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 12, 13};
    CHECK(seqs_are(&s, cidr, 16));
    /* host bits set are accepted (lenient) */
    s = select_scan(IPL_IX_IP, "10.1.1.1/30", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    CHECK_INT(s.n, 16);
    s = select_scan(IPL_IX_IP, "2001:db8::/64", 0, INT64_MAX, &rc);
    static const uint64_t v6[] = {18, 19, 20};
    CHECK(seqs_are(&s, v6, 3));

    /* MACs in any notation; the DUID events also carry the embedded MAC */
    s = select_scan(IPL_IX_MAC, "00-00-00-00-00-AA", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    static const uint64_t maca[] = {16, 1, 4, 6};
    CHECK(seqs_are(&s, maca, 4));
    s = select_scan(IPL_IX_MAC, "3c52.826a.1b2f", 0, INT64_MAX, &rc);
    CHECK(seqs_are(&s, v6, 2));
    s = select_scan(IPL_IX_MAC, "00:01:00:01:2B:3C:4D:5E:3C:52:82:6A:1B:2F", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    CHECK(seqs_are(&s, v6, 2));                   /* the DUID itself */
    s = select_scan(IPL_IX_MAC, "00:11:22:33:44:55", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    CHECK_INT(s.n, 0);

    /* hosts, case-insensitively */
    s = select_scan(IPL_IX_HOST, "pc-a.CORP", 0, INT64_MAX, &rc);
    CHECK_INT(rc, IPL_OK);
    static const uint64_t hosta[] = {1, 2, 4, 6};
    CHECK(seqs_are(&s, hosta, 4));

    /* time windows, inclusive at both ends */
    s = select_scan(IPL_IX_IP, "10.1.1.1", AT(300), AT(500), &rc);
    static const uint64_t win[] = {4, 5, 6, 7};
    CHECK(seqs_are(&s, win, 4));
    s = select_scan(IPL_IX_IP, "10.1.1.1", AT(300) + 1, AT(500) - 1, &rc);
    static const uint64_t win2[] = {5, 6};
    CHECK(seqs_are(&s, win2, 2));
    s = select_scan(IPL_IX_IP, "10.1.1.1", AT(401), AT(499), &rc);
    CHECK_INT(rc, IPL_OK);
    CHECK_INT(s.n, 0);
    s = select_scan(IPL_IX_IP, "10.1.1.1", AT(500), AT(300), &rc);
    CHECK_INT(s.n, 0);
    s = select_scan(IPL_IX_IP, "10.1.1.0/30", AT(100), AT(100), &rc);
    static const uint64_t at100[] = {1, 14, 12};
    CHECK(seqs_are(&s, at100, 3));
}

static int stop_after_two(void *ctx, const ipl_event *ev)
{
    int *n = ctx;
    return ++*n >= 2 ? IPL_ELIMIT : IPL_OK;
}

static void test_scan_callback_error(void)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_selector sel;
    int n = 0;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_selector_make(t, IPL_IX_IP, "10.1.1.1", &sel, &d), IPL_OK);
    CHECK_INT(ipl_events_scan(t, &sel, 0, INT64_MAX, stop_after_two, &n, &d), IPL_ELIMIT);
    CHECK_INT(n, 2);
    ipl_rtxn_end(t);
}

static void test_event_row(void)
{
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.seq = 42;
    ev.ts = T0;
    ev.kind = IPL_K_LEASE_ASSIGN;
    ev.has_ip = 1;
    ipl_ip_parse("10.1.1.1", 8, ev.ip);
    ev.mac = MAC_A;
    ev.source = "file:/x.log";
    ev.line = 7;
    ipl_event_add_attr(&ev, IPL_A_CODE, "10", 2);
    ipl_event_add_attr(&ev, IPL_A_DESC, "say \"hi\"\x01", 9);
    ipl_arena a;
    ipl_arena_init(&a, 0);
    const char *vals[16];
    CHECK_INT(ipl_event_ncols, 12);
    CHECK_INT(ipl_event_row(&ev, 1, &a, vals), IPL_OK);
    CHECK_STR(vals[0], "42");
    CHECK_STR(vals[1], "2024-05-01T08:15:32Z");
    CHECK_STR(vals[2], "lease.assign");
    CHECK_STR(vals[3], "10.1.1.1");
    CHECK_STR(vals[4], MAC_A);
    CHECK(vals[5] == NULL && vals[6] == NULL && vals[7] == NULL && vals[8] == NULL);
    CHECK_STR(vals[9], "file:/x.log");
    CHECK_STR(vals[10], "7");
    cJSON *j = cJSON_Parse(vals[11]);
    CHECK(j != NULL && cJSON_IsObject(j));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "code")), "10");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "desc")), "say \"hi\"\x01");
    cJSON_Delete(j);
    CHECK_INT(ipl_event_row(&ev, 0, &a, vals), IPL_OK);
    CHECK_STR(vals[11], "code=10 desc=say \"hi\"?");   /* control bytes shown as '?' */
    ev.nattr = 0;
    ev.has_ip = 0;
    CHECK_INT(ipl_event_row(&ev, 1, &a, vals), IPL_OK);
    CHECK_STR(vals[11], "{}");
    CHECK(vals[3] == NULL);
    CHECK_INT(ipl_event_row(&ev, 0, &a, vals), IPL_OK);
    CHECK_STR(vals[11], "");
    ipl_arena_release(&a);
}

int main(void)
{
    if (build() != 0) {
        fprintf(stderr, "cannot build the test store\n");
        CHECK(0);
        ipl_store_close(st);
        if (store_dir[0])
            rm_rf(store_dir);
        return check_summary();
    }
    RUN(test_who_script);
    RUN(test_who_gaps);
    RUN(test_who_v6);
    RUN(test_selector_errors);
    RUN(test_selectors);
    RUN(test_scan_callback_error);
    RUN(test_event_row);
    ipl_store_close(st);
    rm_rf(store_dir);
    return check_summary();
}
