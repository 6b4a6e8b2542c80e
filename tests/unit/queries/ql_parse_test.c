/* tests/unit/queries/ql_parse_test.c — the parser (queries/ql_parse.c) without a store: what
 * compiles, the columns each pipeline produces, operator precedence and negation as the explain
 * text shows them, parameters, multi-line queries with comments, and the syntax errors with
 * their positions. (Semantics on a store: ql_exec_test.c.)
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/tz.h"
#include "queries/ql.h"

#include <stdlib.h>
#include <string.h>

static char buf[8192];
static size_t blen;

static int wtext(void *ctx, const char *b, size_t n)
{
    (void)ctx;
    if (blen + n >= sizeof buf)
        n = sizeof buf - 1 - blen;
    memcpy(buf + blen, b, n);
    blen += n;
    buf[blen] = '\0';
    return (int)n;
}

static ipl_ql *compile_p(const char *q, const ipl_ql_param *p, size_t np, ipl_diag *d)
{
    ipl_ql_opts o;
    ipl_ql *ql = NULL;
    memset(&o, 0, sizeof o);
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &o.now, NULL);
    o.params = p;
    o.nparams = np;
    if (ipl_ql_compile(&ql, q, strlen(q), &o, d))
        return NULL;
    return ql;
}

/* The columns "name:type ..." (type: s, n, j), or "error: ...". */
static const char *cols(const char *q)
{
    ipl_diag d = {0};
    ipl_ql *ql = compile_p(q, NULL, 0, &d);
    blen = 0;
    buf[0] = '\0';
    if (!ql) {
        snprintf(buf, sizeof buf, "error: %s", d.msg);
        return buf;
    }
    size_t n;
    const ipl_col *c = ipl_ql_cols(ql, &n);
    for (size_t i = 0; i < n; i++)
        blen += (size_t)snprintf(buf + blen, sizeof buf - blen, "%s%s:%c", i ? " " : "", c[i].name,
                                 c[i].type == IPL_COL_NUM ? 'n' : c[i].type == IPL_COL_JSON ? 'j' : 's');
    ipl_ql_free(ql);
    return buf;
}

/* The explain line of the filter (or of stage `n` when n > 0). */
static const char *filter(const char *q, int n)
{
    ipl_diag d = {0};
    ipl_ql *ql = compile_p(q, NULL, 0, &d);
    static char out[1024];
    if (!ql) {
        snprintf(out, sizeof out, "error: %s", d.msg);
        return out;
    }
    blen = 0;
    ipl_ql_explain(ql, wtext, NULL);
    ipl_ql_free(ql);
    char key[16];
    snprintf(key, sizeof key, "  %d. ", n ? n : 2);
    const char *l = strstr(buf, key);
    if (!l)
        return "(none)";
    l += strlen(key);
    const char *e = strstr(l, "  est");
    size_t len = e ? (size_t)(e - l) : strlen(l);
    while (len && l[len - 1] == ' ')
        len--;
    snprintf(out, sizeof out, "%.*s", (int)len, l);
    return out;
}

static const char *err_of(const char *q)
{
    ipl_diag d = {0};
    ipl_ql *ql = compile_p(q, NULL, 0, &d);
    if (ql) {
        ipl_ql_free(ql);
        return "(compiled)";
    }
    snprintf(buf, sizeof buf, "%s", d.msg);
    return buf;
}

static void test_columns(void)
{
    CHECK_STR(cols("events"), "seq:n time:s kind:s ip:s mac:s duid:s host:s user:s server:s "
                              "source:s line:n attrs:j");
    CHECK_STR(cols("leases where ip in 10.0.0.0/8 | sort time | limit 5"),
              "seq:n time:s kind:s ip:s mac:s duid:s host:s user:s server:s source:s line:n attrs:j");
    CHECK_STR(cols("logons | fields time, user as who, logon_type, attrs"),
              "time:s who:s logon_type:s attrs:j");
    CHECK_STR(cols("events | count"), "count:n");
    CHECK_STR(cols("events | count by host, kind"), "host:s kind:s count:n");
    CHECK_STR(cols("events | top 5 by user"), "user:s count:n");
    CHECK_STR(cols("events | distinct mac, ip"), "mac:s ip:s");
    CHECK_STR(cols("events | first by mac"), "seq:n time:s kind:s ip:s mac:s duid:s host:s user:s "
                                             "server:s source:s line:n attrs:j");
    CHECK_STR(cols("events | timeline 1h"), "time:s count:n");
    CHECK_STR(cols("events | timeline 15m by kind"), "time:s kind:s count:n");
    CHECK_STR(cols("events | count by host | where count > 3 | sort count desc | fields host as h"),
              "h:s");
    CHECK_STR(cols("events | fields time, ts as t2"), "time:s t2:s");    /* ts is time */
    CHECK_STR(cols("track ip 10.1.2.3"),
              "ip:s state:s lease_start:s lease_end:s mac:s duid:s host:s dhcp_server:s user:s "
              "logon:s logoff:s via:s logon_server:s other_addresses:s evidence:s");
    CHECK_STR(cols("track user \"CONTOSO\\alice\" | count by ip"), "ip:s count:n");
    CHECK_STR(cols("EVENTS WHERE Host = \"x\" | COUNT BY HOST"), "host:s count:n");
}

static void test_precedence(void)
{
    CHECK_STR(filter("events where user = \"a\" or user = \"b\" and kind = logon", 0),
              "filter user = \"a\" or (user = \"b\" and kind = logon)");
    CHECK_STR(filter("events where (user = \"a\" or user = \"b\") and kind = logon", 0),
              "filter (user = \"a\" or user = \"b\") and kind = logon");
    CHECK_STR(filter("events where not user = \"a\" and not (kind = logon or kind = logoff)", 0),
              "filter not user = \"a\" and not (kind = logon or kind = logoff)");
    CHECK_STR(filter("events where user != \"a\" and host not like \"x*\" and ip not in (10.0.0.0/8, "
                     "192.168.0.0/16) and host !~ /y/ and seq not between 1 and 5 and mac not exists", 0),
              "filter not user = \"a\" and not host like \"x*\" and not ip in (10.0.0.0/8, "
              "192.168.0.0/16) and not host ~ /y/ and not seq between 1 and 5 and not mac exists");
    CHECK_STR(filter("events where a.b = 1", 0),
              "error: query:1:14: unknown field 'a.b'; fields: seq, time, kind, ip, mac, duid, host, "
              "user, server, source, line, attrs and the attributes ('ipledger query --fields')\n"
              "  events where a.b = 1\n"
              "               ^");
    CHECK_STR(filter("events where geo.country = NL and logon_type in (2, 10)", 0),
              "filter geo.country = \"NL\" and logon_type in (2, 10)");
    CHECK_STR(filter("leases where ip = 10.1.2.3", 0), "filter kind like \"lease.*\" and ip = 10.1.2.3");
}

static void test_multiline(void)
{
    const char *q = "# the admins' logons last month\n"
                    "logons\n"
                    "  where user like \"CONTOSO\\adm*\"   # admins only\n"
                    "  since -30d\n"
                    "| count by host\n"
                    "| sort count desc\n";
    CHECK_STR(cols(q), "host:s count:n");
    CHECK_STR(filter(q, 4), "sort count desc");
    CHECK_STR(err_of("logons\n  where user like\n| count"),
              "query:3:1: expected a value after 'like', found '|'\n"
              "  | count\n"
              "  ^");
}

static void test_params(void)
{
    ipl_ql_param p[] = {{"ip", "10.1.2.3"}, {"from", "2024-05-01"}, {"who", "CONTOSO\\alice"}};
    ipl_diag d = {0};
    ipl_ql *q = compile_p("events where ip = $ip and user = $who since $from", p, 3, &d);
    CHECK(q != NULL);
    blen = 0;
    if (q)
        ipl_ql_explain(q, wtext, NULL);
    CHECK(strstr(buf, "window:  2024-05-01T00:00:00Z .. -\n") != NULL);
    CHECK(strstr(buf, "ip = 10.1.2.3 and user = \"CONTOSO\\alice\"") != NULL);
    ipl_ql_free(q);
    q = compile_p("track ip $ip | count", p, 1, &d);
    CHECK(q != NULL);
    ipl_ql_free(q);
    ipl_ql_param dup[] = {{"ip", "1.2.3.4"}, {"ip", "1.2.3.5"}};
    CHECK(compile_p("events where ip = $ip", dup, 2, &d) == NULL);
    CHECK_STR(d.msg, "query: parameter $ip is given twice");
    ipl_ql_param bad[] = {{"from", "yesterday"}};
    CHECK(compile_p("events since $from", bad, 1, &d) == NULL);
    CHECK_STR(d.msg, "query:1:14: invalid time 'yesterday': expected YYYY-MM-DD[THH:MM[:SS[.ffffff]]]"
                     "[Z|+HH:MM] or @epoch-seconds\n"
                     "  events since $from\n"
                     "               ^");
}

static void test_errors(void)
{
    CHECK_STR(err_of("events where"),
              "query:1:13: expected a field name, 'not' or '('\n"
              "  events where\n"
              "              ^");
    CHECK_STR(err_of("events where host"),
              "query:1:18: expected an operator after 'host' (=, !=, <, <=, >, >=, in, like, matches, "
              "~, between, exists)\n"
              "  events where host\n"
              "                   ^");
    CHECK_STR(err_of("events where host not = 1"),
              "query:1:23: expected in, like, matches, between or exists after 'not', found '='\n"
              "  events where host not = 1\n"
              "                        ^");
    CHECK_STR(err_of("events where seq between 1 or 2"),
              "query:1:28: expected 'and' in 'between ... and ...', found 'or'\n"
              "  events where seq between 1 or 2\n"
              "                             ^");
    CHECK_STR(err_of("events where seq between 5 and 1"),
              "query:1:32: the range ends before it starts\n"
              "  events where seq between 5 and 1\n"
              "                                 ^");
    CHECK_STR(err_of("events host = 1"),
              "query:1:8: expected where, since, until, between, at, '|' or the end of the query, found "
              "'host'\n"
              "  events host = 1\n"
              "         ^");
    CHECK_STR(err_of("events where host = \"a\" host"),
              "query:1:25: expected 'and', 'or', '|' or the end of the query, found 'host'\n"
              "  events where host = \"a\" host\n"
              "                          ^");
    CHECK_STR(err_of("events | top by host"),
              "query:1:14: expected a whole number >= 0 after 'top', found 'by'\n"
              "  events | top by host\n"
              "               ^");
    CHECK_STR(err_of("events | top 5 host"),
              "query:1:16: expected 'by' after 'top N', found 'host'\n"
              "  events | top 5 host\n"
              "                 ^");
    CHECK_STR(err_of("events | fields host as"),
              "query:1:24: expected a column name after 'as'\n"
              "  events | fields host as\n"
              "                         ^");
    CHECK_STR(err_of("events | fields host as \"a b\""),
              "query:1:25: expected a column name after 'as', found the string \"a b\"\n"
              "  events | fields host as \"a b\"\n"
              "                          ^");
    CHECK_STR(err_of("events | count by host | timeline 1h"),
              "query:1:26: timeline needs rows with a time column\n"
              "  events | count by host | timeline 1h\n"
              "                           ^");
    CHECK_STR(err_of("events |"),
              "query:1:9: expected a stage after '|' (where, fields, sort, limit, offset, count, top, "
              "distinct, first, last, timeline)\n"
              "  events |\n"
              "          ^");
    CHECK_STR(err_of("events between -1d"),
              "query:1:19: expected 'and' in 'between ... and ...'\n"
              "  events between -1d\n"
              "                    ^");
    CHECK_STR(err_of("events since 2024-05-02 until 2024-05-01"),
              "query:1:25: the time window ends before it starts\n"
              "  events since 2024-05-02 until 2024-05-01\n"
              "                          ^");
    CHECK_STR(err_of("track"),
              "query:1:6: expected ip, mac, host or user after 'track'\n"
              "  track\n"
              "       ^");
    CHECK_STR(err_of("track ip 10.1.2"),
              "query:1:10: invalid IP address or prefix '10.1.2'\n"
              "  track ip 10.1.2\n"
              "           ^");
    CHECK_STR(err_of("track ip 10.1.2.3 where time > -1d"),
              "query:1:25: unknown field 'time'; the rows here have: ip, state, lease_start, "
              "lease_end, mac, duid, host, dhcp_server, user, logon, logoff, via, logon_server, "
              "other_addresses, evidence\n"
              "  track ip 10.1.2.3 where time > -1d\n"
              "                          ^");
    CHECK_STR(err_of("\"zz.*\""),
              "query:1:1: no event kind matches \"zz.*\"\n"
              "  \"zz.*\"\n"
              "  ^");
    CHECK_STR(err_of("events where kind like \"zz*\""),
              "query:1:24: no event kind matches 'zz*'\n"
              "  events where kind like \"zz*\"\n"
              "                         ^");
    CHECK_STR(err_of("events where attrs = \"x\""),
              "query:1:14: '=' does not apply to 'attrs' (type attribute bag; compare an attribute by "
              "its name, e.g. logon_type = 10; like and ~ apply to attrs)\n"
              "  events where attrs = \"x\"\n"
              "               ^");
    CHECK_STR(err_of("events where kind < lease.assign"),
              "query:1:14: '<' does not apply to 'kind' (type kind; kinds compare with =, in, like and ~)\n"
              "  events where kind < lease.assign\n"
              "               ^");
    CHECK_STR(err_of("events where seq = 1.5"),
              "query:1:20: expected a whole number, found '1.5'\n"
              "  events where seq = 1.5\n"
              "                     ^");
    CHECK_STR(err_of("events where ip in ()"),
              "query:1:21: expected a value after '(', found ')'\n"
              "  events where ip in ()\n"
              "                      ^");
}

int main(void)
{
    RUN(test_columns);
    RUN(test_precedence);
    RUN(test_multiline);
    RUN(test_params);
    RUN(test_errors);
    return check_summary();
}
