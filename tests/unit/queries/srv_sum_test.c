/* tests/unit/queries/srv_sum_test.c — the discovered inventory: types from kinds and formats,
 * the gap histogram and its percentile, hourly counts and rates, bounded feeds/scopes, and the
 * incremental pass (new events folded in, ipledger's own events skipped, a rebuild agrees). */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/store.h"
#include "queries/srv_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define US(s) ((int64_t)(s) * 1000000)
#define T0 US(1714000000)

static void test_types(void)
{
    char buf[64];
    CHECK_INT(ipl_srv_type_of(IPL_K_LEASE_ASSIGN, "kea-log"), IPL_SRV_DHCP);
    CHECK_INT(ipl_srv_type_of(IPL_K_DNS_UPDATE, "mswin-dhcp"), IPL_SRV_DHCP);   /* DDNS by DHCP */
    CHECK_INT(ipl_srv_type_of(IPL_K_DNS_UPDATE, "ipledger-ndjson"), IPL_SRV_DNS);
    CHECK_INT(ipl_srv_type_of(IPL_K_LOGON, "winsec-xml"), IPL_SRV_DC);
    CHECK_INT(ipl_srv_type_of(IPL_K_LOGON, "sshd"), IPL_SRV_SSHD);
    CHECK_INT(ipl_srv_type_of(IPL_K_AUTH_FAIL, "syslog"), IPL_SRV_SSHD);
    CHECK_INT(ipl_srv_type_of(IPL_K_RADIUS_START, "nps-ias"), IPL_SRV_RADIUS);
    CHECK_INT(ipl_srv_type_of(IPL_K_LOG_START, "mswin-dhcp"), IPL_SRV_DHCP);
    CHECK_INT(ipl_srv_type_of(IPL_K_LOG_START, "ipledger-ndjson"), 0);
    CHECK_STR(ipl_srv_types_str(IPL_SRV_DHCP | IPL_SRV_DNS, buf, sizeof buf), "dhcp,dns");
    CHECK_STR(ipl_srv_types_str(0, buf, sizeof buf), "");
    unsigned t;
    ipl_diag d = {0};
    CHECK_INT(ipl_srv_types_parse("dc,radius", &t, &d), IPL_OK);
    CHECK_INT(t, IPL_SRV_DC | IPL_SRV_RADIUS);
    CHECK_INT(ipl_srv_types_parse("dc,bogus", &t, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'bogus'") != NULL);
    CHECK_INT(ipl_srv_types_parse("", &t, &d), IPL_EINVAL);
    CHECK_STR(ipl_srv_vendor_of("kea-csv"), "ISC Kea");
    CHECK_STR(ipl_srv_vendor_of("freeradius-detail"), "FreeRADIUS");
    CHECK_STR(ipl_srv_vendor_of("nope"), "");
}

static void test_gaps(void)
{
    CHECK_INT(ipl_srv_gap_bucket(500000), 0);
    CHECK_INT(ipl_srv_gap_bucket(US(1)), 1);
    CHECK_INT(ipl_srv_gap_bucket(US(2)), 5);
    CHECK(ipl_srv_gap_upper(ipl_srv_gap_bucket(US(60))) >= US(60));
    CHECK(ipl_srv_gap_upper(ipl_srv_gap_bucket(US(60))) < US(72));      /* within 2^(1/4) */
    CHECK_INT(ipl_srv_gap_bucket(US(1) << 40), IPL_SRV_GAPB - 1);       /* capped */
    uint32_t g[IPL_SRV_GAPB] = {0};
    CHECK_INT(ipl_srv_gap_pct(g, 95, 1), 0);
    g[ipl_srv_gap_bucket(US(60))] = 95;                   /* 95 one-minute gaps, 5 of an hour */
    g[ipl_srv_gap_bucket(US(3600))] = 5;
    int64_t p95 = ipl_srv_gap_pct(g, 95, 5), p99 = ipl_srv_gap_pct(g, 99, 5);
    CHECK(p95 >= US(60) && p95 < US(72));
    CHECK(p99 >= US(3600) && p99 < US(4300));
    CHECK_INT(ipl_srv_gap_pct(g, 95, 1000), 0);           /* too few gaps */
}

static void test_sum(void)
{
    ipl_srv_sum *s = calloc(1, sizeof *s);
    for (int i = 0; i < 48; i++)                          /* one event an hour for two days */
        ipl_srv_sum_add(s, T0 + US(3600) * i, IPL_SRV_DHCP);
    ipl_srv_sum_add(s, T0 + US(10), IPL_SRV_DNS);         /* out of order: no gap, counted */
    CHECK_INT(s->events, 49);
    CHECK_INT(s->first, T0);
    CHECK_INT(s->last, T0 + US(3600) * 47);
    CHECK_INT(s->ngaps, 47);
    CHECK_INT(s->types, IPL_SRV_DHCP | IPL_SRV_DNS);
    double r = ipl_srv_rate_24h(s, T0 + US(3600) * 47);
    CHECK(r > 0.99 && r < 1.01);                          /* 24 events in the last 24 h */
    CHECK(ipl_srv_rate_24h(s, T0 + US(86400) * 30) == 0); /* a month later: none */
    r = ipl_srv_rate_span(s);
    CHECK(r > 1.0 && r < 1.1);                            /* 49 events over 47 h */
    ipl_srv_sum_add(s, T0 + US(86400) * 30, IPL_SRV_DHCP); /* a jump past the ring clears it */
    CHECK(ipl_srv_rate_24h(s, T0 + US(86400) * 30) > 0.04);
    CHECK(ipl_srv_rate_24h(s, T0 + US(3600) * 47) == 0);
    for (int i = 0; i < IPL_SRV_FEEDS + 3; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "file:/f%d", i);
        ipl_srv_sum_feed(s, nm);
        ipl_srv_sum_feed(s, nm);                          /* once each */
    }
    CHECK_INT(s->nfeeds, IPL_SRV_FEEDS);
    CHECK(s->feeds_more > 0);
    ipl_srv_sum_scope(s, "10.1.0.0/24", 11);
    ipl_srv_sum_scope(s, "10.1.0.0/24", 11);
    ipl_srv_sum_scope(s, "", 0);
    CHECK_INT(s->nscopes, 1);
    ipl_srv_sum_format(s, "kea-log");
    ipl_srv_sum_format(s, "kea-csv");
    ipl_srv_sum_format(s, "kea-log");
    CHECK_STR(s->formats, "kea-log,kea-csv");
    free(s);
}

static void test_window(void)
{
    ipl_srv_sum *s = calloc(1, sizeof *s);
    uint32_t w[IPL_SRV_GAPB];
    int64_t day = US(86400);
    for (int i = 0; i < 2 * 1440; i++)                   /* two days, an event a minute */
        ipl_srv_sum_add(s, T0 + US(60) * i, IPL_SRV_DHCP);
    for (int i = 0; i < 72; i++)                         /* later: an event an hour */
        ipl_srv_sum_add(s, T0 + 10 * day + US(3600) * i, IPL_SRV_DHCP);
    int64_t at = T0 + 13 * day;
    int64_t all = ipl_srv_gap_pct(s->gap, 95, 5);
    ipl_srv_gap_window(s, at, 7, 5, w);
    int64_t recent = ipl_srv_gap_pct(w, 95, 5);
    CHECK(all < US(72));                                 /* the old minute rhythm dominates */
    CHECK(recent >= US(3600) && recent < US(4300));      /* the last week's rhythm is hourly */
    ipl_srv_gap_window(s, T0 + day, 7, 5, w);    /* days no longer kept: all gaps (minutes) */
    CHECK(ipl_srv_gap_pct(w, 95, 5) < US(72));
    ipl_srv_gap_window(s, at, 1, 1000, w);               /* too few in the window: all gaps */
    CHECK(memcmp(w, s->gap, sizeof w) == 0);
    free(s);
}

static char dir[] = "/tmp/ipl-srv-sum-test-XXXXXX";
static ipl_store *st;

static void add(unsigned kind, int64_t ts, const char *server, const char *source, const char *scope)
{
    ipl_batch *b;
    ipl_event ev;
    ipl_diag d = {0};
    ipl_batch_new(&b);
    ipl_event_reset(&ev);
    ev.kind = (uint16_t)kind;
    ev.ts = ts;
    ev.server = server;
    ev.source = source;
    if (scope)
        ipl_event_add_attr(&ev, IPL_A_PREFIX, scope, strlen(scope));
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
}

static const ipl_srv *find(ipl_srv_view **v, const char *name)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_srv_view_free(*v);
    *v = NULL;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_srv_view_load(t, v, &d), IPL_OK);
    ipl_rtxn_end(t);
    return *v ? ipl_srv_find(*v, name) : NULL;
}

static int count_src(void *ctx, const char *name, const ipl_srv_sum *s)
{
    (void)name;
    CHECK(s->events > 0);
    ++*(uint64_t *)ctx;
    return 0;
}

static void test_pack(void)
{
    ipl_srv_sum *s = calloc(1, sizeof *s), *u = calloc(1, sizeof *u);
    uint8_t *buf = malloc(IPL_SRV__PACK_MAX);
    s->version = IPL_SRV_SUM_VERSION;
    for (int i = 0; i < 500; i++)
        ipl_srv_sum_add(s, T0 + US(37) * i * i, IPL_SRV_DHCP);
    ipl_srv_sum_feed(s, "file:/var/log/dhcp/DhcpSrvLog-Mon.log");
    size_t n = ipl_srv__pack(s, buf);
    CHECK(n < sizeof *s / 4);                       /* mostly empty: packs small */
    CHECK_INT(ipl_srv__unpack(buf, n, u), IPL_OK);
    CHECK(memcmp(s, u, sizeof *s) == 0);
    CHECK_INT(ipl_srv__unpack(buf, n - 1, u), IPL_ECORRUPT);   /* short */
    buf[n] = 7;
    CHECK_INT(ipl_srv__unpack(buf, n + 1, u), IPL_ECORRUPT);   /* long */
    uint8_t bad[2] = {0, 0};                                     /* a zero-length run */
    CHECK_INT(ipl_srv__unpack(bad, 2, u), IPL_ECORRUPT);
    s->version = 1;                                              /* another layout */
    n = ipl_srv__pack(s, buf);
    CHECK_INT(ipl_srv__unpack(buf, n, u), IPL_ECORRUPT);
    free(s);
    free(u);
    free(buf);
}

static void test_update(void)
{
    ipl_diag d = {0};
    ipl_srv_view *v = NULL;
    uint64_t n = 0;
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_OK);
    for (int i = 0; i < 10; i++)
        add(IPL_K_LEASE_ASSIGN, T0 + US(60) * i, "dhcp1", "test:a", i % 2 ? "10.1.0.0/24" : NULL);
    add(IPL_K_LOGON, T0, "dc1", "test:b", NULL);
    add(IPL_K_CONFIG_CHANGE, T0, "admin-host", "ipledger:asm", NULL);     /* our own: skipped */
    CHECK_INT(ipl_srv_update(st, &n, &d), IPL_OK);
    CHECK_INT(n, 12);
    const ipl_srv *s = find(&v, "dhcp1");
    CHECK(s && s->sum && s->sum->events == 10);
    CHECK(s && s->sum && s->sum->nscopes == 1 && strcmp(s->sum->scopes[0], "10.1.0.0/24") == 0);
    CHECK(s && s->sum && s->sum->nfeeds == 1 && strcmp(s->sum->feeds[0], "test:a") == 0);
    CHECK(find(&v, "admin-host") == NULL);
    CHECK_INT(ipl_srv_count(v), 2);
    ipl_rtxn *t = NULL;
    uint64_t nsrc = 0;
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_srv_sources_scan(t, count_src, &nsrc, &d), IPL_OK);
    ipl_rtxn_end(t);
    CHECK_INT(nsrc, 2);
    /* incremental: only the new events are read */
    add(IPL_K_LEASE_RENEW, T0 + US(3600), "dhcp1", "test:c", NULL);
    CHECK_INT(ipl_srv_update(st, &n, &d), IPL_OK);
    CHECK_INT(n, 1);
    CHECK_INT(ipl_srv_update(st, &n, &d), IPL_OK);
    CHECK_INT(n, 0);
    s = find(&v, "dhcp1");
    CHECK(s && s->sum && s->sum->events == 11 && s->sum->nfeeds == 2);
    CHECK(s && s->sum && s->sum->last == T0 + US(3600));
    ipl_srv_sum keep = *s->sum;
    /* a rebuild from seq 1 gives the same summary byte for byte */
    CHECK_INT(ipl_srv_reset(st, &d), IPL_OK);
    CHECK(find(&v, "dhcp1") == NULL);
    CHECK_INT(ipl_srv_update(st, &n, &d), IPL_OK);
    CHECK_INT(n, 13);
    s = find(&v, "dhcp1");
    CHECK(s && s->sum && memcmp(s->sum, &keep, sizeof keep) == 0);
    /* summaries of another layout are never mixed in: everything is folded again */
    ipl_batch *b;
    char meta[12] = {0};
    uint32_t oldver = 1;
    uint64_t seq = 5;
    memcpy(meta, &seq, 8);
    memcpy(meta + 8, &oldver, 4);
    ipl_batch_new(&b);
    CHECK_INT(ipl_batch_kv_put(b, "srv.meta", "summary", meta, sizeof meta, &d), IPL_OK);
    CHECK_INT(ipl_batch_kv_put(b, "srv.sum", "ghost", "old", 3, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
    CHECK_INT(ipl_srv_update(st, &n, &d), IPL_OK);
    CHECK_INT(n, 13);
    s = find(&v, "dhcp1");
    CHECK(s && s->sum && memcmp(s->sum, &keep, sizeof keep) == 0);
    CHECK(find(&v, "ghost") == NULL);
    ipl_srv_view_free(v);
    ipl_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(test_types);
    RUN(test_gaps);
    RUN(test_sum);
    RUN(test_window);
    RUN(test_pack);
    RUN(test_update);
    return check_summary();
}
