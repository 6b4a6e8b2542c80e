/* tests/unit/queries/ql_plan_test.c — the planner (queries/ql_plan.c): which index it picks for
 * which predicates, its estimates, windows from clauses and time predicates, index-only plans,
 * sort elision and reverse scans, the explain text before and after a run, and that a streamed
 * query reads only what its first rows need. On the Contoso fixture and on a store of 20,000
 * scripted lease events.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"
#include "tests/unit/queries/ql_fixture.h"

#include "engine/err.h"
#include "queries/ql.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static ipl_store *fx, *big;
static char dir1[64], dir2[64];
static char text[8192];
static size_t tlen;
static ipl_ql_stats stats;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static int wtext(void *ctx, const char *b, size_t n)
{
    (void)ctx;
    if (tlen + n >= sizeof text)
        n = sizeof text - 1 - tlen;
    memcpy(text + tlen, b, n);
    tlen += n;
    text[tlen] = '\0';
    return (int)n;
}

typedef struct counter {
    int rows, stop_after;
} counter;

static int count_rows(void *ctx, const char *const *vals)
{
    counter *c = ctx;
    (void)vals;
    c->rows++;
    return c->stop_after && c->rows >= c->stop_after ? IPL_EBUSY : IPL_OK;   /* the caller stops */
}

/* Compiles, optionally prepares and runs q on st; returns the explain text. */
static const char *plan(ipl_store *st, const char *q, int run, int stop_after)
{
    ipl_ql_opts o;
    ipl_diag d = {0};
    ipl_ql *ql = NULL;
    ipl_rtxn *t = NULL;
    counter c = {0, stop_after};
    memset(&o, 0, sizeof o);
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &o.now, NULL);
    tlen = 0;
    text[0] = '\0';
    memset(&stats, 0, sizeof stats);
    int err = ipl_ql_compile(&ql, q, strlen(q), &o, &d);
    if (!err && st)
        err = ipl_rtxn_begin(st, &t, &d);
    if (!err && st)
        err = ipl_ql_prepare(ql, t, &d);
    if (!err && st && run) {
        err = ipl_ql_run(ql, t, 0, count_rows, &c, &d);
        if (err == IPL_EBUSY && stop_after)
            err = IPL_OK;
    }
    if (err)
        snprintf(text, sizeof text, "error: %s", d.msg);
    else {
        ipl_ql_explain(ql, wtext, NULL);
        ipl_ql_stats_get(ql, &stats);
    }
    ipl_rtxn_end(t);
    ipl_ql_free(ql);
    return text;
}

/* The explain line that starts with `prefix` (after blanks), trailing blanks squeezed. */
static const char *line(const char *explain, const char *prefix)
{
    static char buf[512];
    for (const char *p = explain; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (*s == ' ' && s < p + n)
            s++;
        if (strncmp(s, prefix, strlen(prefix)) == 0) {
            size_t o = 0;
            for (const char *c = s; c < p + n && o + 1 < sizeof buf; c++)
                if (!(*c == ' ' && o && buf[o - 1] == ' '))
                    buf[o++] = *c;
            buf[o] = '\0';
            return buf;
        }
        p = e ? e + 1 : NULL;
    }
    return "(no such line)";
}

static void test_index_choice(void)
{
    const char *e = plan(fx, "events where ip = 10.72.144.20", 0, 0);
    CHECK_STR(line(e, "indexes:"), "indexes: ip 6, time 33");
    CHECK_STR(line(e, "1."), "1. scan ix.ip 10.72.144.20 est 6 rows -");
    e = plan(fx, "events where ip in 10.72.144.0/22 | count by host", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.ip 10.72.144.0/22 est 18 rows -");
    e = plan(fx, "events where ip in 2001:db8::/32", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.ip 2001:db8::/32 est 5 rows -");
    e = plan(fx, "events where host = \"LAPTOP-ALICE.contoso.com\"", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.host \"LAPTOP-ALICE.contoso.com\" (1 key) est 7 rows -");
    e = plan(fx, "events where mac in (3c:52:82:6a:1b:2f, \"A4-83-E7-11-22-33\")", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.mac \"3c52826a1b2f\", \"a483e7112233\" (2 keys) est 11 rows -");
    /* like with a literal prefix: a dictionary range of the folded prefix */
    e = plan(fx, "events where user like \"contoso\\adm*\"", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.user like \"contoso\\adm*\" (2 keys) est 7 rows -");
    CHECK_STR(line(e, "2."), "(no such line)");                 /* answered exactly: no filter */
    e = plan(fx, "events where user like \"contoso\\adm*l\"", 0, 0);
    CHECK_STR(line(e, "2."), "2. filter user like \"contoso\\adm*l\" est 1 rows -");
    /* the most selective of several */
    e = plan(fx, "events where user like \"contoso\\adm*\" and ip in 10.72.144.0/22", 0, 0);
    CHECK_STR(line(e, "indexes:"), "indexes: user 7, ip 18, time 33");
    CHECK_STR(line(e, "1."), "1. scan ix.user like \"contoso\\adm*\" (2 keys) est 7 rows -");
    CHECK_STR(line(e, "2."), "2. filter ip in 10.72.144.0/22 est 0 rows -");
    /* a value never seen: nothing to read */
    e = plan(fx, "events where user = \"CONTOSO\\nobody\" or user = \"x\"", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.time est 33 rows -");  /* an or: no index */
    e = plan(fx, "events where user in (\"CONTOSO\\nobody\", \"x\")", 0, 0);
    CHECK_STR(line(e, "1."), "1. empty est 0 rows -");
    /* a regex: the time-bounded scan */
    e = plan(fx, "events where host ~ /alice/ since 2024-05-07", 0, 0);
    CHECK_STR(line(e, "window:"), "window: 2024-05-07T00:00:00Z .. -");
    CHECK_STR(line(e, "1."), "1. scan ix.time est 16 rows -");
    CHECK_STR(line(e, "2."), "2. filter host ~ /alice/ est 4 rows -");
    /* the window narrows the estimate of a key */
    e = plan(fx, "events | where ip = 10.72.144.20 | where kind = logon | count", 0, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.ip 10.72.144.20 est 6 rows -");   /* leading wheres join */
    CHECK_STR(line(e, "2."), "2. filter kind = logon est 1 rows -");
    CHECK_STR(line(e, "3."), "3. count est 1 rows -");
    e = plan(fx, "events where ip = 10.72.144.20 since 2024-05-07", 0, 0);
    CHECK_STR(line(e, "indexes:"), "indexes: ip 3, time 16");
}

static void test_windows(void)
{
    const char *e = plan(NULL, "events where time >= 2024-05-07 and time < 2024-05-08 since 2024-05-06T12:00:00Z", 0, 0);
    CHECK_STR(line(e, "window:"), "window: 2024-05-07T00:00:00Z .. 2024-05-07T23:59:59.999999Z");
    e = plan(NULL, "events between 2024-05-07T00:00:00+02:00 and 2024-05-07T23:00:00+02:00", 0, 0);
    CHECK_STR(line(e, "window:"), "window: 2024-05-06T22:00:00Z .. 2024-05-07T21:00:00Z");
    e = plan(NULL, "events since -1d", 0, 0);
    CHECK_STR(line(e, "window:"), "window: 2024-05-07T12:00:00Z .. -");
    e = plan(NULL, "events where time > 2024-05-08 and time < 2024-05-07", 0, 0);
    CHECK_STR(line(e, "window:"), "window: empty");
    e = plan(NULL, "events where not time > 2024-05-08", 0, 0);     /* under a not: a filter */
    CHECK_STR(line(e, "window:"), "window: all time");
    e = plan(fx, "events where time > 2024-05-08 and time < 2024-05-07 | count", 1, 0);
    CHECK_STR(line(e, "1."), "1. scan ix.time est 0 rows 0");
}

static void test_explain(void)
{
    /* without a store: the candidates, no estimates */
    CHECK_STR(plan(NULL, "logons where user like \"CONTOSO\\adm*\" since -30d | count by host", 0, 0),
              "query:   logons where user like \"CONTOSO\\adm*\" since -30d | count by host\n"
              "source:  logons (logon*)\n"
              "window:  2024-04-08T12:00:00Z .. -\n"
              "indexes: user\n"
              "order:   ?\n"
              "plan:\n"
              "  1. scan (chosen at run time)                                     est            ?  rows            -\n"
              "  2. filter kind like \"logon*\" and user like \"CONTOSO\\adm*\"        est            ?  rows            -\n"
              "  3. count by host                                                 est            ?  rows            -\n");
    /* after a run: actual rows */
    CHECK_STR(plan(fx, "logons where user like \"CONTOSO\\adm*\" since -30d | count by host", 1, 0),
              "query:   logons where user like \"CONTOSO\\adm*\" since -30d | count by host\n"
              "source:  logons (logon*)\n"
              "window:  2024-04-08T12:00:00Z .. -\n"
              "indexes: user 7, time 33, log 33 (x0.60)\n"
              "order:   not needed: events read in log order\n"
              "plan:\n"
              "  1. scan ix.user like \"CONTOSO\\adm*\" (2 keys)                     est            7  rows            7\n"
              "  2. filter kind like \"logon*\"                                     est            1  rows            4\n"
              "  3. count by host                                                 est            ?  rows            2\n");
    const char *e = plan(fx, "events where ip = 10.72.145.36 | sort time desc | limit 2", 1, 0);
    CHECK_STR(line(e, "order:"), "order: time, newest first");
    CHECK_STR(line(e, "2."), "2. sort time desc (answered by the scan order) est 5 rows 2");
    CHECK_STR(line(e, "3."), "3. limit 2 est 2 rows 2");
    e = plan(fx, "events where ip in 10.72.144.0/22 | sort time desc | limit 2", 1, 0);
    CHECK_STR(line(e, "order:"), "order: address, then time");
    CHECK_STR(line(e, "2."), "2. sort time desc est 18 rows 2");   /* several keys: a real sort */
    e = plan(fx, "events | fields time, host | sort time", 0, 0);
    CHECK_STR(line(e, "3."), "3. sort time est 33 rows -");
    e = plan(fx, "events where user != \"x\" and kind in (logon, logoff) | where host exists", 1, 0);
    CHECK_STR(line(e, "2."), "2. filter not user = \"x\" and kind in (logon, logoff) and host exists "
                             "est 2 rows 4");
    CHECK_STR(line(e, "3."), "(no such line)");       /* the where stage joined the filter */
    e = plan(fx, "events | count by kind | where count > 4", 1, 0);
    CHECK_STR(line(e, "3."), "3. where count > 4 est ? rows 3");
    e = plan(fx, "track user \"CONTOSO\\alice\" | count", 1, 0);
    CHECK_STR(line(e, "source:"), "source: track user CONTOSO\\alice");
    CHECK_STR(line(e, "1."), "1. track user CONTOSO\\alice est ? rows 3");
}

static void test_index_only(void)
{
    const char *e = plan(fx, "events where ip in 10.72.144.0/22 | count", 1, 0);
    CHECK_STR(line(e, "order:"), "order: address, then time (index only: no event is read)");
    CHECK_INT(stats.index_entries, 18);
    CHECK_INT(stats.events_read, 0);
    e = plan(fx, "events since 2024-05-07 | timeline 1d", 1, 0);
    CHECK_INT(stats.events_read, 0);
    CHECK_INT(stats.rows, 2);
    e = plan(fx, "leases since 2024-05-07 | count", 1, 0);      /* the kind needs the event */
    CHECK_INT(stats.events_read, 16);
}

static void test_streaming(void)
{
    /* the first rows come from the first small chunk, whatever the store's size */
    plan(big, "events | limit 3", 1, 0);
    CHECK_INT(stats.rows, 3);
    CHECK(stats.index_entries <= 256);
    CHECK(stats.events_read <= 256);
    plan(big, "leases where ip in 10.0.0.0/8 | fields ip", 1, 5);    /* the caller stops at 5 */
    CHECK_INT(stats.rows, 5);
    CHECK(stats.events_read <= 256);
    plan(big, "leases where ip in 10.0.0.0/8 | fields ip", 1, 0);
    CHECK_INT(stats.rows, 20000);
    /* the estimate of a /16 is exact while it has few keys */
    const char *e = plan(big, "events where ip in 10.1.0.0/16 | count by host", 1, 0);
    CHECK_STR(line(e, "indexes:"), "indexes: ip 10,000, time 20,000, log 20,000 (x0.60)");
    CHECK_STR(line(e, "1."), "1. scan ix.ip 10.1.0.0/16 est 10,000 rows 10,000");
    CHECK_STR(line(e, "2."), "2. count by host est ? rows 100");
    /* a regex over everything, order not needed: the log */
    e = plan(big, "events where host ~ /-7$/ | count", 1, 0);
    CHECK_STR(line(e, "1."), "1. scan log est 20,000 rows 20,000");
    CHECK_STR(line(e, "2."), "2. filter host ~ /-7$/ est 5,000 rows 100");
}

static int make_big(const char *dir)
{
    ipl_store *st;
    ipl_batch *b;
    ipl_diag d = {0};
    int err = ipl_store_open(&st, dir, IPL_STORE_CREATE, &d);
    if (err || ipl_batch_new(&b))
        return 1;
    int64_t t0;
    ipl_time_parse("2024-05-01", 10, NULL, &t0, NULL);
    for (int i = 0; i < 20000 && !err; i++) {
        ipl_event e;
        char host[32], mac[13];
        ipl_event_reset(&e);
        e.kind = i % 2 ? IPL_K_LEASE_RENEW : IPL_K_LEASE_ASSIGN;
        e.ts = t0 + (int64_t)i * 60 * IPL_US_PER_SEC;
        e.has_ip = 1;
        memcpy(e.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
        e.ip[12] = 10;
        e.ip[13] = (uint8_t)(1 + i % 2);          /* 10.1/16 and 10.2/16 */
        e.ip[14] = (uint8_t)(i / 2 % 50);
        e.ip[15] = (uint8_t)(i / 100 % 200);
        snprintf(host, sizeof host, "HOST-%d", i % 200);
        snprintf(mac, sizeof mac, "0000000%05x", i % 200);
        e.host = host;
        e.mac = mac;
        e.server = "dhcp";
        e.source = i < 10000 ? "file:/a" : "file:/b";
        e.line = (uint64_t)i + 1;
        err = ipl_batch_add(b, &e, &d);
        if (!err && (i + 1) % 5000 == 0) {
            err = ipl_store_commit(st, b, NULL, &d);
            ipl_batch_clear(b);
        }
    }
    ipl_batch_free(b);
    ipl_store_close(st);
    return err;
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir1, sizeof dir1, "/tmp/ipl-ql-plan-XXXXXX");
    snprintf(dir2, sizeof dir2, "/tmp/ipl-ql-plan-XXXXXX");
    if (!mkdtemp(dir1) || !mkdtemp(dir2) || ql_fixture_build(dir1, &d) || make_big(dir2) ||
        ipl_store_open(&fx, dir1, IPL_STORE_RDONLY, &d) || ipl_store_open(&big, dir2, IPL_STORE_RDONLY, &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    RUN(test_index_choice);
    RUN(test_windows);
    RUN(test_explain);
    RUN(test_index_only);
    RUN(test_streaming);
    ipl_store_close(fx);
    ipl_store_close(big);
    nftw(dir1, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(dir2, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
