/* tests/unit/queries/report_render_test.c — the renderers (queries/report_render.c) on a report
 * built here by hand, so every case is exact: CSV is RFC 4180 (header block, one block per
 * section, quoting of commas, quotes, line breaks and leading blanks, skipped sections left out);
 * JSON parses, numbers unquoted only in numeric columns, a missing value is null, skipped sections
 * say what they need; HTML escapes every value, caps tables at html_rows and says how many rows
 * it left out, draws at most IPL_REPORT_CHART_ITEMS bars and IPL_REPORT_CHART_SERIES lines and
 * says so, prints the command that regenerates the report with shell quoting; a failed write
 * stops the rendering with IPL_EIO. The runner and the definitions: report_test.c,
 * report_defs_test.c.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/tz.h"
#include "queries/report_int.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    char  *p;
    size_t n, cap, fail_after;
    int    calls_after_fail;
} buf;

static int bw(void *ctx, const char *s, size_t n)
{
    buf *b = ctx;
    if (b->fail_after && b->n + n > b->fail_after) {
        b->calls_after_fail++;
        return -1;
    }
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

static const ipl_report_section secs[] = {
    {"Table <one>", "events", "| fields host, note, n", IPL_RV_TABLE, NULL, 1, "A note & more"},
    {"Bars", "events", "| count by server", IPL_RV_BARS, NULL, 1, "Bars note"},
    {"Lines", "events", "| timeline 1d by kind", IPL_RV_LINE, NULL, 1, "Lines note"},
    {"Figures", "events", "| count", IPL_RV_FIGURES, NULL, 1, "Figures note"},
    {"Needs a user", "track user $user", "", IPL_RV_TABLE, "user", 0, "Skipped note"},
};
static const ipl_report_def def = {"handmade", "Hand <made> report", "About \"it\"", "user", "-7d",
                                   secs, sizeof secs / sizeof secs[0]};

static ipl_col cols_table[] = {{"host", IPL_COL_STR}, {"note", IPL_COL_STR}, {"n", IPL_COL_NUM}};
static ipl_col cols_bars[] = {{"server", IPL_COL_STR}, {"count", IPL_COL_NUM}};
static ipl_col cols_line[] = {{"time", IPL_COL_STR}, {"kind", IPL_COL_STR}, {"count", IPL_COL_NUM}};
static ipl_col cols_fig[] = {{"count", IPL_COL_NUM}};

static const char *pnames[] = {"from", "where-ish"}, *pvals[] = {"2024-05-01T00:00:00Z", "it's"};
static const char *spn[] = {"from"}, *spv[] = {"2024-05-01T00:00:00Z"};

/* The report: a 5-row table, 25 bars, 10 series over 3 days, one figure, one skipped section. */
static void build(ipl_report *r, rpt_sec *s)
{
    static const char *table[] = {
        "<script>x</script>", "a,b", "1",
        "plain", "say \"hi\"", "2",
        " lead", "two\nlines", "3",
        NULL, "", "4",
        "LAPTOP-1", "&amp;", "not a number",
    };
    static char bars_txt[25][2][24];
    static const char *bars[50];
    for (int i = 0; i < 25; i++) {
        snprintf(bars_txt[i][0], sizeof bars_txt[i][0], "srv%02d.corp", i);
        snprintf(bars_txt[i][1], sizeof bars_txt[i][1], "%d", 100 - i);
        bars[2 * i] = bars_txt[i][0];
        bars[2 * i + 1] = bars_txt[i][1];
    }
    static char line_txt[30][3][24];
    static const char *line[90];
    for (int d = 0; d < 3; d++)
        for (int k = 0; k < 10; k++) {
            int j = d * 10 + k;
            snprintf(line_txt[j][0], sizeof line_txt[j][0], "2024-05-0%dT00:00:00Z", d + 1);
            snprintf(line_txt[j][1], sizeof line_txt[j][1], "kind.%d", k);
            snprintf(line_txt[j][2], sizeof line_txt[j][2], "%d", (k + 1) * 10 + d);
            for (int c = 0; c < 3; c++)
                line[3 * j + c] = line_txt[j][c];
        }
    static const char *fig[] = {"12345"};
    memset(r, 0, sizeof *r);
    memset(s, 0, 5 * sizeof *s);
    r->def = &def;
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &r->now, NULL);
    r->nparams = 2;
    r->pnames = pnames;
    r->pvals = pvals;
    r->where = "host ~ /x/";
    r->tz_name = "Europe/Berlin";
    r->last_seq = 42;
    memset(r->chain, 'c', 64);
    memset(r->digest, 'd', 64);
    r->html_rows = 3;
    r->sec = s;
    const ipl_col *cols[] = {cols_table, cols_bars, cols_line, cols_fig, NULL};
    const size_t ncols[] = {3, 2, 3, 1, 0}, nrows[] = {5, 25, 30, 1, 0};
    const char **cells[] = {table, bars, line, fig, NULL};
    for (int i = 0; i < 5; i++) {
        s[i].def = &secs[i];
        s[i].query = (char *)(i == 0 ? "events | where (host ~ /x/) | fields host, note, n"
                                     : "events | count");
        s[i].nparams = i == 0 ? 1 : 0;
        s[i].pnames = spn;
        s[i].pvals = spv;
        s[i].cols = (ipl_col *)cols[i];
        s[i].ncols = ncols[i];
        s[i].cells = cells[i];
        s[i].nrows = nrows[i];
    }
    s[4].skipped = 1;
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *render(const ipl_report *r, ipl_report_format f)
{
    buf b = {0};
    CHECK_INT(ipl_report_render(r, f, bw, &b), IPL_OK);
    return b.p;
}

static void test_csv(void)
{
    ipl_report r;
    rpt_sec s[5];
    build(&r, s);
    char *c = render(&r, IPL_RF_CSV);
    CHECK(c && strncmp(c, "section,field,value\r\nreport,name,handmade\r\n"
                          "report,title,Hand <made> report\r\n"
                          "report,generated_at,2024-05-08T12:00:00Z\r\nreport,last_seq,42\r\n", 121) == 0);
    CHECK(strstr(c, "report,param.where-ish,it's\r\nreport,where,host ~ /x/\r\n"
                    "report,tz,Europe/Berlin\r\n") != NULL);
    CHECK(strstr(c, "1,title,Table <one>\r\n1,query,\"events | where (host ~ /x/) | fields host, "
                    "note, n\"\r\n1,rows,5\r\n") != NULL);
    CHECK(strstr(c, "\r\nsection,host,note,n\r\n"
                    "1,<script>x</script>,\"a,b\",1\r\n"
                    "1,plain,\"say \"\"hi\"\"\",2\r\n"
                    "1,\" lead\",\"two\nlines\",3\r\n"
                    "1,,,4\r\n"
                    "1,LAPTOP-1,&amp;,not a number\r\n") != NULL);
    CHECK_INT(count_of(c, "\r\n2,srv"), 25);            /* every row, not just the drawn ones */
    CHECK_INT(count_of(c, "\r\n3,2024-05-0"), 30);
    CHECK(strstr(c, "\r\nsection,count\r\n4,12345\r\n") != NULL);
    CHECK(strstr(c, "Needs a user") == NULL && strstr(c, "\r\n5,") == NULL);
    free(c);
}

static void test_json(void)
{
    ipl_report r;
    rpt_sec s[5];
    build(&r, s);
    char *js = render(&r, IPL_RF_JSON);
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    CHECK(j != NULL);
    if (j) {
        CHECK_STR(cJSON_GetObjectItem(j, "report")->valuestring, "handmade");
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "params"), "where-ish")->valuestring,
                  "it's");
        CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "store"), "last_seq")->valuedouble, 42);
        cJSON *secj = cJSON_GetObjectItem(j, "sections");
        CHECK_INT(cJSON_GetArraySize(secj), 5);
        cJSON *t = cJSON_GetArrayItem(secj, 0), *rows = cJSON_GetObjectItem(t, "rows");
        CHECK_INT(cJSON_GetObjectItem(t, "row_count")->valuedouble, 5);
        CHECK_INT(cJSON_GetArraySize(rows), 5);               /* JSON has every row */
        cJSON *r0 = cJSON_GetArrayItem(rows, 0), *r3 = cJSON_GetArrayItem(rows, 3),
              *r4 = cJSON_GetArrayItem(rows, 4);
        CHECK_STR(cJSON_GetArrayItem(r0, 0)->valuestring, "<script>x</script>");
        CHECK(cJSON_IsNumber(cJSON_GetArrayItem(r0, 2)));    /* numeric column: unquoted */
        CHECK(cJSON_IsNull(cJSON_GetArrayItem(r3, 0)));      /* missing: null */
        CHECK(cJSON_IsString(cJSON_GetArrayItem(r3, 1)));    /* empty: "" */
        CHECK(cJSON_IsString(cJSON_GetArrayItem(r4, 2)));    /* not a number: quoted */
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "params"), "from")->valuestring,
                  "2024-05-01T00:00:00Z");
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(secj, 2), "view")->valuestring, "line");
        cJSON *sk = cJSON_GetArrayItem(secj, 4);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(sk, "skipped")));
        CHECK_STR(cJSON_GetObjectItem(sk, "needs")->valuestring, "user");
        CHECK(cJSON_GetObjectItem(sk, "rows") == NULL);
    }
    cJSON_Delete(j);
    free(js);
}

static void test_html(void)
{
    ipl_report r;
    rpt_sec s[5];
    build(&r, s);
    char *h = render(&r, IPL_RF_HTML);
    CHECK(h && strncmp(h, "<!DOCTYPE html>", 15) == 0 && strstr(h, "</html>\n"));
    CHECK(strstr(h, "<title>Hand &lt;made&gt; report</title>") != NULL);
    CHECK(strstr(h, "<script") == NULL);                  /* every value escaped */
    CHECK(strstr(h, "&lt;script&gt;x&lt;/script&gt;") != NULL);
    CHECK(strstr(h, "say &quot;hi&quot;") != NULL);
    CHECK(strstr(h, "LAPTOP-1") == NULL);                  /* row 5 is past html_rows = 3 */
    CHECK(strstr(h, "2 more rows not shown here (3 of 5)") != NULL);
    CHECK(strstr(h, "aria-label=\"bar chart\"") != NULL);
    CHECK(strstr(h, ">srv19.corp<") != NULL && strstr(h, ">srv20.corp<") == NULL);
    CHECK_INT(count_of(h, "<polyline"), IPL_REPORT_CHART_SERIES);
    CHECK(strstr(h, "The chart draws the 8 largest of 10 series.") != NULL);
    /* the legend: the largest series first (kind.9), the two smallest left out */
    CHECK(strstr(h, ">kind.9</text>") != NULL && strstr(h, ">kind.2</text>") != NULL);
    CHECK(strstr(h, ">kind.1</text>") == NULL && strstr(h, ">kind.0</text>") == NULL);
    CHECK(strstr(h, "27 more rows not shown here (3 of 30)") != NULL);
    CHECK(strstr(h, "12345") != NULL);
    CHECK(strstr(h, "Needs a user") == NULL);              /* skipped: not shown */
    /* the command that regenerates it, each value shell-quoted */
    CHECK(strstr(h, "ipledger report handmade --at-seq 42 --now 2024-05-08T12:00:00Z --from "
                    "2024-05-01T00:00:00Z --param ") != NULL);
    CHECK(strstr(h, "--where &#39;host ~ /x/&#39; --tz Europe/Berlin") != NULL);
    CHECK(strstr(h, "http://") == NULL && strstr(h, " src=") == NULL);   /* self-contained */
    free(h);
}

static void test_escaping(void)
{
    buf b = {0};
    CHECK_INT(ipl_report_html_escape("<a href=\"x\">&'</a>", bw, &b), IPL_OK);
    CHECK_STR(b.p, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    b.n = 0;
    ipl_report_html_escape("plain text", bw, &b);
    CHECK_STR(b.p, "plain text");
    struct { const char *in, *out; } c[] = {
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
        {" lead", "\" lead\""},
        {"CONTOSO\\alice", "CONTOSO\\alice"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        b.n = 0;
        if (b.p)
            b.p[0] = '\0';
        CHECK_INT(ipl_report_csv_field(c[i].in, bw, &b), IPL_OK);
        CHECK_STR(b.p ? b.p : "", c[i].out);
    }
    free(b.p);
}

static void test_write_error(void)
{
    ipl_report r;
    rpt_sec s[5];
    build(&r, s);
    for (ipl_report_format f = IPL_RF_HTML; f <= IPL_RF_JSON; f++) {
        buf b = {0};
        b.fail_after = 300;
        CHECK_INT(ipl_report_render(&r, f, bw, &b), IPL_EIO);
        CHECK(b.n <= 300);
        CHECK(b.calls_after_fail <= 1);                    /* stops at the first failed write */
        free(b.p);
    }
}

int main(void)
{
    RUN(test_escaping);
    RUN(test_csv);
    RUN(test_json);
    RUN(test_html);
    RUN(test_write_error);
    return check_summary();
}
