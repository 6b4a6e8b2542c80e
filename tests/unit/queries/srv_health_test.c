/* tests/unit/queries/srv_health_test.c — availability: the passive state against the rhythm
 * (frozen clock), states raised once and cleared once as server.status events, a quarantine
 * burst making a source and its server degraded, probe results recorded on change only.
 * (Manual entries: srv_model_test.c.) */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/store.h"
#include "queries/srv.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define US(s) ((int64_t)(s) * 1000000)
#define T0 US(1714000000)

static char dir[] = "/tmp/ipl-srv-health-test-XXXXXX";
static ipl_store *st;

static void test_passive(void)
{
    ipl_srv_sum *s = calloc(1, sizeof *s);
    ipl_srv_health_opts o;
    int64_t rh;
    char det[256];
    ipl_srv_health_defaults(&o, T0);
    CHECK_INT(ipl_srv_passive(NULL, &o, &rh, det, sizeof det), IPL_SRV_UNKNOWN);
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_UNKNOWN);
    for (int i = 0; i <= 100; i++)                   /* an event every 10 minutes */
        ipl_srv_sum_add(s, T0 + US(600) * i, IPL_SRV_DHCP);
    int64_t last = T0 + US(600) * 100;
    o.at = last + US(1800);                          /* 30 min quiet < 4 x ~10 min */
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_RUNNING);
    CHECK(rh >= US(600) && rh < US(720));
    CHECK(strstr(det, "last event 30m ago") != NULL);
    o.at = last + US(3600);                          /* an hour quiet > 4 x rhythm */
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_SILENT);
    CHECK(strstr(det, "no event for 60m") != NULL);
    o.factor = 10;                                   /* a more patient check */
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_RUNNING);
    o.factor = 4;
    o.floor_us = US(7200);                           /* the floor wins over a fast rhythm */
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_RUNNING);
    CHECK_INT(rh, US(7200));
    o.at = T0 - 1;                                   /* before any event */
    CHECK_INT(ipl_srv_passive(s, &o, &rh, det, sizeof det), IPL_SRV_UNKNOWN);
    free(s);
    ipl_srv_state x;
    CHECK_STR(ipl_srv_state_name(IPL_SRV_UNREACHABLE), "not reachable");
    CHECK_INT(ipl_srv_state_parse("silent", &x), IPL_OK);
    CHECK_INT(x, IPL_SRV_SILENT);
    CHECK_INT(ipl_srv_state_parse("dead", &x), IPL_EINVAL);
}

static void add(int64_t ts, const char *server, const char *source)
{
    ipl_batch *b;
    ipl_event ev;
    ipl_diag d = {0};
    ipl_batch_new(&b);
    ipl_event_reset(&ev);
    ev.kind = IPL_K_LEASE_ASSIGN;
    ev.ts = ts;
    ev.server = server;
    ev.source = source;
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
}

static uint64_t count_kind(unsigned kind, const char *server)
{
    ipl_rtxn *t;
    ipl_event ev;
    ipl_diag d = {0};
    uint64_t n = 0;
    ipl_rtxn_begin(st, &t, &d);
    for (uint64_t s = 1; s <= ipl_store_last_seq(t); s++)
        if (ipl_store_get(t, s, &ev, &d) == IPL_OK && ev.kind == kind &&
            (!server || (ev.server && strcmp(ev.server, server) == 0)))
            n++;
    ipl_rtxn_end(t);
    return n;
}

typedef struct seen {
    ipl_srv_state server_state, source_state;
    char detail[256];
} seen;

static int seen_fn(void *ctx, const ipl_srv_health *h)
{
    seen *s = ctx;
    if (strcmp(h->what, "server") == 0 && strcmp(h->name, "dhcp1") == 0) {
        s->server_state = h->state;
        snprintf(s->detail, sizeof s->detail, "%s", h->detail);
    }
    if (strcmp(h->what, "source") == 0 && strcmp(h->name, "test:a") == 0)
        s->source_state = h->state;
    return 0;
}

static ipl_srv_state check_at(int64_t at, int record, uint64_t *changes, seen *sn)
{
    ipl_srv_health_opts o;
    ipl_diag d = {0};
    memset(sn, 0, sizeof *sn);
    ipl_srv_health_defaults(&o, at);
    CHECK_INT(ipl_srv_health_check(st, &o, record, seen_fn, sn, changes, &d), IPL_OK);
    return sn->server_state;
}

static void test_transitions(void)
{
    ipl_diag d = {0};
    uint64_t ch = 0;
    seen sn;
    for (int i = 0; i < 50; i++)
        add(T0 + US(60) * i, "dhcp1", "test:a");
    int64_t last = T0 + US(60) * 49;
    CHECK_INT(check_at(last + US(60), 1, &ch, &sn), IPL_SRV_RUNNING);
    CHECK_INT(ch, 0);                                  /* the baseline: no event */
    CHECK_INT(count_kind(IPL_K_SERVER_STATUS, NULL), 0);
    CHECK_INT(check_at(last + US(86400), 0, &ch, &sn), IPL_SRV_SILENT);
    CHECK_INT(count_kind(IPL_K_SERVER_STATUS, NULL), 0);   /* not recorded without record */
    CHECK_INT(check_at(last + US(86400), 1, &ch, &sn), IPL_SRV_SILENT);
    CHECK_INT(ch, 1);
    CHECK_INT(check_at(last + US(90000), 1, &ch, &sn), IPL_SRV_SILENT);
    CHECK_INT(ch, 0);                                  /* raised once */
    CHECK_INT(count_kind(IPL_K_SERVER_STATUS, "dhcp1"), 1);
    add(last + US(86400) + US(60), "dhcp1", "test:a"); /* traffic returns */
    CHECK_INT(check_at(last + US(86400) + US(120), 1, &ch, &sn), IPL_SRV_RUNNING);
    CHECK_INT(ch, 1);                                  /* cleared once */
    CHECK_INT(count_kind(IPL_K_SERVER_STATUS, "dhcp1"), 2);
    ipl_rtxn *t;
    ipl_event ev;
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_store_get(t, ipl_store_last_seq(t), &ev, &d), IPL_OK);
    size_t n;
    const char *v = ipl_event_attr(&ev, IPL_A_STATUS, &n);
    CHECK(v && n == 7 && memcmp(v, "running", 7) == 0);
    v = ipl_event_attr(&ev, IPL_A_PREV_STATUS, &n);
    CHECK(v && n == 6 && memcmp(v, "silent", 6) == 0);
    CHECK(ipl_event_attr(&ev, IPL_A_SINCE, &n) != NULL);
    CHECK(ipl_event_attr(&ev, IPL_A_CHECK, &n) != NULL);
    ipl_srv_state ps;
    int64_t since;
    CHECK_INT(ipl_srv_state_get(t, "server:dhcp1", &ps, &since, NULL, 0), IPL_OK);
    CHECK_INT(ps, IPL_SRV_RUNNING);
    ipl_rtxn_end(t);
}

static void test_burst(void)
{
    ipl_diag d = {0};
    ipl_batch *b;
    uint64_t ch = 0;
    seen sn;
    ipl_batch_new(&b);
    for (int i = 0; i < 60; i++)         /* quarantine entries carry the wall clock */
        CHECK_INT(ipl_batch_quarantine(b, "test:a", (uint64_t)i + 100, 0, "bad line", "x", 1, &d),
                  IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
    int64_t now = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + US(1);
    CHECK_INT(check_at(now, 1, &ch, &sn), IPL_SRV_DEGRADED);
    CHECK_INT(sn.source_state, IPL_SRV_DEGRADED);
    CHECK(strstr(sn.detail, "60 lines quarantined") != NULL);
    CHECK_INT(ch, 1);
    CHECK_INT(check_at(now + US(3600), 1, &ch, &sn), IPL_SRV_SILENT);  /* the window passed */
    CHECK_INT(ch, 1);
}

static void test_probe_record(void)
{
    ipl_diag d = {0};
    ipl_rtxn *t;
    ipl_batch *b;
    uint64_t before = count_kind(IPL_K_SERVER_STATUS, "ns1");
    for (int round = 0; round < 4; round++) {
        ipl_srv_state s = round < 2 ? IPL_SRV_RUNNING : IPL_SRV_UNREACHABLE;
        ipl_batch_new(&b);
        ipl_rtxn_begin(st, &t, &d);
        int rc = ipl_srv_probe_record(t, b, "ns1", "127.0.0.1:53", "dns", s, "why", T0 + round,
                                      &d);
        ipl_rtxn_end(t);
        CHECK_INT(rc, round == 0 || round == 2 ? 1 : 0);  /* only changes are recorded */
        if (rc == 1)
            CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
        ipl_batch_free(b);
    }
    CHECK_INT(count_kind(IPL_K_SERVER_STATUS, "ns1") - before, 2);
    ipl_srv_state ps;
    int64_t since;
    char det[64];
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_srv_state_get(t, "probe:ns1", &ps, &since, det, sizeof det), IPL_OK);
    CHECK_INT(ps, IPL_SRV_UNREACHABLE);
    CHECK_INT(since, T0 + 2);                          /* since the change, not the last probe */
    CHECK_STR(det, "why");
    ipl_rtxn_end(t);
}

int main(void)
{
    ipl_diag d = {0};
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_OK);
    RUN(test_passive);
    RUN(test_transitions);
    RUN(test_burst);
    RUN(test_probe_record);
    ipl_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_summary();
}
