/* tests/unit/queries/report_test.c — reports (queries/report.h) end to end: the runner on the
 * scripted Contoso store (ql_fixture.h): every report with each subject, section rows, parameters
 * and subjects, the --where stage, limits, position and digest, rendered. The renderers alone:
 * report_render_test.c; the definitions as data: report_defs_test.c. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"
#include "tests/unit/queries/ql_fixture.h"

#include "engine/err.h"
#include "queries/report.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];
static ipl_store *st;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

typedef struct buf {
    char  *p;
    size_t n, cap;
    size_t fail_after;          /* 0: never fail; else fail the write that passes this size */
} buf;

static int bw(void *ctx, const char *s, size_t n)
{
    buf *b = ctx;
    if (b->fail_after && b->n + n > b->fail_after)
        return -1;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return (int)n;
}

static int64_t now_us(void)
{
    int64_t t = 0;
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &t, NULL);
    return t;
}

/* Runs report `name` with params "k=v" (NULL-terminated), where, max_rows; returns the error. */
static int run(ipl_report **r, const char *name, const char *const *kv, const char *where,
               size_t max_rows, uint64_t at_seq, ipl_diag *d)
{
    ipl_ql_param ps[16];
    char names[16][32];
    size_t n = 0;
    for (; kv && kv[n]; n++) {
        const char *eq = strchr(kv[n], '=');
        snprintf(names[n], sizeof names[n], "%.*s", (int)(eq - kv[n]), kv[n]);
        ps[n].name = names[n];
        ps[n].value = eq + 1;
    }
    ipl_report_opts o;
    memset(&o, 0, sizeof o);
    o.now = now_us();
    o.params = ps;
    o.nparams = n;
    o.where = where;
    o.max_rows = max_rows;
    o.at_seq = at_seq;
    o.html_rows = 2;
    ipl_rtxn *t = NULL;
    *r = NULL;
    int err = ipl_rtxn_begin(st, &t, d);
    if (!err)
        err = ipl_report_run(r, ipl_report_find(name), t, &o, d);
    ipl_rtxn_end(t);
    return err;
}

static char *render(const ipl_report *r, ipl_report_format f)
{
    buf b = {0};
    if (ipl_report_render(r, f, bw, &b)) {
        free(b.p);
        return NULL;
    }
    return b.p ? b.p : calloc(1, 1);
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_definitions(void)
{
    CHECK(ipl_report_count() == 6);
    CHECK(ipl_report_find("tracking") && ipl_report_find("changes") && ipl_report_find("logons") &&
          ipl_report_find("utilization") && ipl_report_find("retention") &&
          ipl_report_find("quality"));
    CHECK(ipl_report_find("nope") == NULL);
    ipl_report_format f;
    CHECK_INT(ipl_report_format_parse("csv", &f), IPL_OK);
    CHECK_INT(f, IPL_RF_CSV);
    CHECK_INT(ipl_report_format_parse("pdf", &f), IPL_EINVAL);
    /* every report runs on the fixture (the tracking report with each subject) */
    static const char *const subj[] = {"ip=10.72.144.20", "mac=3c52826a1b2f",
                                       "host=LAPTOP-ALICE.contoso.com", "user=CONTOSO\\alice"};
    for (size_t i = 0; i < ipl_report_count(); i++) {
        const ipl_report_def *def = ipl_report_at(i);
        for (size_t k = 0; k < (def->subjects ? 4u : 1u); k++) {
            const char *kv[] = {subj[k], NULL};
            ipl_report *r;
            ipl_diag d = {0};
            int err = run(&r, def->name, def->subjects ? kv : NULL, NULL, 0, 0, &d);
            if (err)
                fprintf(stderr, "report %s: %s\n", def->name, d.msg);
            CHECK_INT(err, IPL_OK);
            for (ipl_report_format f2 = IPL_RF_HTML; r && f2 <= IPL_RF_JSON; f2++) {
                char *s = render(r, f2);
                CHECK(s && strlen(s) > 100);
                free(s);
            }
            ipl_report_free(r);
        }
    }
}

static void test_changes(void)
{
    ipl_report *r, *r2;
    ipl_diag d = {0};
    const char *kv[] = {"from=2024-05-01", "to=2024-05-31", NULL};
    CHECK_INT(run(&r, "changes", kv, NULL, 0, 0, &d), IPL_OK);
    CHECK_INT(ipl_report_last_seq(r), 33);
    CHECK_STR(ipl_report_value(r, 0, 0, "count"), "2");
    CHECK_STR(ipl_report_value(r, 1, 0, "server"), "dhcp1.contoso.com");
    CHECK_INT(ipl_report_rows(r, 5), 2);
    CHECK_STR(ipl_report_value(r, 5, 0, "user"), "CONTOSO\\adm-carol");
    CHECK_STR(ipl_report_value(r, 5, 0, "option"), "lease duration");
    CHECK_STR(ipl_report_value(r, 5, 1, "new"), "10.72.144.200-10.72.144.250");
    /* the same store, position and parameters: the same digest and the same bytes */
    CHECK_INT(run(&r2, "changes", kv, NULL, 0, 33, &d), IPL_OK);
    CHECK_STR(ipl_report_digest(r), ipl_report_digest(r2));
    for (ipl_report_format f = IPL_RF_HTML; f <= IPL_RF_JSON; f++) {
        char *a = render(r, f), *b = render(r2, f);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
    }
    ipl_report_free(r2);
    /* another period: another digest */
    const char *kv2[] = {"from=2024-05-07T10:01:00Z", "to=2024-05-31", NULL};
    CHECK_INT(run(&r2, "changes", kv2, NULL, 0, 0, &d), IPL_OK);
    CHECK_STR(ipl_report_value(r2, 0, 0, "count"), "1");
    CHECK(strcmp(ipl_report_digest(r), ipl_report_digest(r2)) != 0);
    ipl_report_free(r2);

    char *csv = render(r, IPL_RF_CSV);
    CHECK(csv && strncmp(csv, "section,field,value\r\nreport,name,changes\r\n", 41) == 0);
    CHECK(csv && strstr(csv, "report,last_seq,33\r\n"));
    CHECK(csv && strstr(csv, "\r\nsection,seq,time,server,user,object,action,option,old,new,"
                             "reason,message\r\n6,31,2024-05-07T10:00:00Z,dhcp1.contoso.com,"
                             "CONTOSO\\adm-carol,scope 10.72.144.0,set,lease duration,8h,1d,,\r\n"));
    free(csv);
    char *js = render(r, IPL_RF_JSON);
    CHECK(js && strstr(js, "\"store\":{\"last_seq\":33,\"chain_head\":\""));
    CHECK(js && strstr(js, "\"columns\":[\"count\"],\"row_count\":1,\"rows\":[\n[2]]"));
    CHECK(js && strstr(js, "\"query\":\"changes since $from until $to | count by server\""));
    free(js);
    ipl_report_free(r);
}

static void test_html(void)
{
    ipl_report *r;
    ipl_diag d = {0};
    const char *kv[] = {"user=CONTOSO\\alice", "from=2024-05-01", "to=2024-05-31", NULL};
    /* a filter with markup: escaped wherever it is shown */
    CHECK_INT(run(&r, "tracking", kv, "host != \"<script>x</script>\"", 0, 0, &d), IPL_OK);
    char *h = render(r, IPL_RF_HTML);
    CHECK(h && strstr(h, "<!DOCTYPE html>") && strstr(h, "</html>\n"));
    CHECK(h && !strstr(h, "<script"));
    CHECK(h && strstr(h, "&lt;script&gt;x&lt;/script&gt;"));
    CHECK(h && strstr(h, "@media print"));
    CHECK(h && !strstr(h, "http://") && !strstr(h, "https://") && !strstr(h, " src="));
    /* the evidence (4 events) is capped at html_rows = 2, and says so */
    CHECK(h && strstr(h, "2 more rows not shown here (2 of 4)"));
    /* the per-day chart: one polyline per kind, legend escaped */
    CHECK(h && strstr(h, "aria-label=\"line chart\"") && count_of(h, "<polyline") >= 2);
    CHECK(h && strstr(h, "CONTOSO\\alice"));
    /* the subject's sections only */
    CHECK(h && !strstr(h, "Correlation: address, lease"));
    CHECK(h && strstr(h, "Correlation: user, logons"));
    CHECK(h && strstr(h, "--user &#39;CONTOSO\\alice&#39;"));
    free(h);
    char *js = render(r, IPL_RF_JSON);
    CHECK(js && strstr(js, "| where (host != \\\"<script>x</script>\\\") | timeline 1d by kind"));
    CHECK(js && strstr(js, "\"skipped\":true,\"needs\":\"ip\""));
    free(js);
    /* the user's track rows name the device */
    size_t n = ipl_report_rows(r, 3), found = 0;
    for (size_t j = 0; j < n; j++)
        found += ipl_report_value(r, 3, j, "mac") &&
                 strcmp(ipl_report_value(r, 3, j, "mac"), FX_ALICE_MAC) == 0;
    CHECK(n >= 2 && found >= 2);
    ipl_report_free(r);

    /* bars: one rect per group */
    const char *kv2[] = {"from=2024-05-01", "to=2024-05-31", NULL};
    CHECK_INT(run(&r, "logons", kv2, NULL, 0, 0, &d), IPL_OK);
    h = render(r, IPL_RF_HTML);
    CHECK(h && strstr(h, "aria-label=\"bar chart\""));
    CHECK(h && count_of(h, "<rect") >= 4);
    free(h);
    /* logons from outside the usual networks: the two public addresses of the fixture */
    size_t sec = 7;
    CHECK_INT(ipl_report_rows(r, sec), 2);
    CHECK_STR(ipl_report_value(r, sec, 0, "ip"), "198.51.100.23");
    CHECK_STR(ipl_report_value(r, sec, 1, "ip"), "203.0.113.9");
    CHECK_STR(ipl_report_value(r, sec, 1, "geo.country"), "RU");
    /* a write error is reported, not ignored */
    buf b = {0};
    b.fail_after = 100;
    CHECK_INT(ipl_report_render(r, IPL_RF_HTML, bw, &b), IPL_EIO);
    free(b.p);
    ipl_report_free(r);
}

static void test_errors(void)
{
    ipl_report *r;
    ipl_diag d = {0};
    const char *none[] = {NULL};
    CHECK_INT(run(&r, "tracking", none, NULL, 0, 0, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "needs exactly one of: ip mac host user (none given)") != NULL);
    const char *two[] = {"ip=10.72.144.20", "user=CONTOSO\\alice", NULL};
    CHECK_INT(run(&r, "tracking", two, NULL, 0, 0, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "more than one given") != NULL);
    const char *unused[] = {"ip=10.72.144.20", NULL};
    CHECK_INT(run(&r, "changes", unused, NULL, 0, 0, &d), IPL_EINVAL);
    CHECK_STR(d.msg, "parameter 'ip' is used by no section of report 'changes' (see 'ipledger "
                     "report list')");
    const char *badip[] = {"ip=10.72.144.300", NULL};
    CHECK_INT(run(&r, "tracking", badip, NULL, 0, 0, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "report tracking, section 1:1:10: ") != NULL);
    /* the filter is one expression: no stages, no comments */
    CHECK_INT(run(&r, "changes", NULL, "user = x | count", 0, 0, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "--where: '|' at offset 9") != NULL);
    CHECK_INT(run(&r, "changes", NULL, "user = x # )", 0, 0, &d), IPL_EINVAL);
    CHECK_INT(run(&r, "changes", NULL, "user = \"a|b\"", 0, 0, &d), IPL_OK);
    CHECK_STR(ipl_report_value(r, 0, 0, "count"), "0");
    ipl_report_free(r);
    /* a parameter the filter names is a parameter of the report */
    const char *who[] = {"who=CONTOSO\\adm-carol", "from=2024-05-01", "to=2024-05-31", NULL};
    CHECK_INT(run(&r, "changes", who, "user = $who", 0, 0, &d), IPL_OK);
    CHECK_STR(ipl_report_value(r, 0, 0, "count"), "2");
    ipl_report_free(r);
    CHECK_INT(run(&r, "changes", NULL, "nosuchfield = 1", 0, 0, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "unknown field 'nosuchfield'") != NULL);
    /* no silent truncation: over the row cap is an error naming the section */
    const char *kv[] = {"from=2024-05-01", "to=2024-05-31", NULL};
    CHECK_INT(run(&r, "changes", kv, NULL, 1, 0, &d), IPL_ELIMIT);
    CHECK(strstr(d.msg, "section 'Every change' returns more than 1 rows") != NULL);
    /* regenerating at another position is refused */
    CHECK_INT(run(&r, "changes", kv, NULL, 0, 32, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "the store is at event 33, not at 32") != NULL);
}

/* Gaps: server s1 logs on 1, 3 and 4 May, s2 every day: the quality report's per-server series
 * lists s1's missing 2 May, and nothing for s2. */
static void test_gaps(void)
{
    char gdir[64];
    ipl_store *gs = NULL;
    ipl_batch *b = NULL;
    ipl_rtxn *t = NULL;
    ipl_report *r = NULL;
    ipl_diag d = {0};
    static const char *const ev[][2] = {
        {"s1", "2024-05-01T10:00:00Z"}, {"s1", "2024-05-03T10:00:00Z"}, {"s1", "2024-05-04T10:00:00Z"},
        {"s2", "2024-05-01T11:00:00Z"}, {"s2", "2024-05-02T11:00:00Z"}, {"s2", "2024-05-03T11:00:00Z"},
        {"s2", "2024-05-04T11:00:00Z"},
    };
    snprintf(gdir, sizeof gdir, "/tmp/ipl-report-gaps-XXXXXX");
    CHECK(mkdtemp(gdir) != NULL);
    int err = ipl_store_open(&gs, gdir, IPL_STORE_CREATE, &d);
    if (!err)
        err = ipl_batch_new(&b);
    for (size_t i = 0; !err && i < sizeof ev / sizeof ev[0]; i++) {
        ipl_event e;
        ipl_event_reset(&e);
        e.kind = IPL_K_LEASE_RENEW;
        ipl_time_parse(ev[i][1], strlen(ev[i][1]), NULL, &e.ts, NULL);
        e.server = ev[i][0];
        e.source = "file:/x";
        e.line = i + 1;
        err = ipl_batch_add(b, &e, &d);
    }
    if (!err)
        err = ipl_store_commit(gs, b, NULL, &d);
    CHECK_INT(err, IPL_OK);
    ipl_report_opts o;
    memset(&o, 0, sizeof o);
    o.now = now_us();
    ipl_ql_param ps[] = {{"from", "2024-05-01"}, {"to", "2024-05-05"}};
    o.params = ps;
    o.nparams = 2;
    if (!err)
        err = ipl_rtxn_begin(gs, &t, &d);
    if (!err)
        err = ipl_report_run(&r, ipl_report_find("quality"), t, &o, &d);
    CHECK_INT(err, IPL_OK);
    char *h = r ? render(r, IPL_RF_HTML) : NULL;
    CHECK(h && strstr(h, "Gaps (buckets without rows inside a series):<br>\n"
                         "s1: 2024-05-02T00:00:00Z to 2024-05-03T00:00:00Z (1 bucket)<br>\n</p>"));
    CHECK(h && !strstr(h, "s2: 2024"));
    /* the series: s2 has 4 points, drawn first (largest), s1 with its zero on 2 May */
    CHECK(h && strstr(h, "stroke=\"#3366cc\" points=\"50.0,8.0 283.3,8.0 516.7,8.0 750.0,8.0\""));
    CHECK(h && strstr(h, "stroke=\"#dc3912\" points=\"50.0,8.0 283.3,196.0 516.7,8.0 750.0,8.0\""));
    CHECK(h && count_of(h, "<polyline") == 2);
    /* notes render `code` */
    CHECK(h && strstr(h, "(<code>ipledger quarantine --source S</code> shows them)"));
    free(h);
    ipl_report_free(r);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(gs);
    nftw(gdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-report-XXXXXX");
    if (!mkdtemp(dir) || ql_fixture_build(dir, &d) || ipl_store_open(&st, dir, IPL_STORE_RDONLY, &d)) {
        fprintf(stderr, "fixture: %s\n", d.msg);
        return 1;
    }
    RUN(test_definitions);
    RUN(test_changes);
    RUN(test_html);
    RUN(test_errors);
    RUN(test_gaps);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
