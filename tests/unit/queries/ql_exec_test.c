/* tests/unit/queries/ql_exec_test.c — the query language end to end on the scripted Contoso store
 * (ql_fixture.h): every source, filter and stage, case-insensitive hosts and users, MAC
 * notations, IPv6 prefixes, time zones, parameters, track as a source, the JSON attribute bag,
 * and the errors and limits with their exact messages.
 *
 * `test_queries_ql_exec --make-store DIR` only builds the store (tests/scripts/ql_docs.sh runs the
 * examples of docs/query-language.md against it).
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"
#include "tests/unit/queries/ql_fixture.h"

#include "engine/err.h"
#include "queries/ql.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2024-05-08T12:00:00Z"

static ipl_store *st;
static char dir[64];
static char out[1 << 16];
static size_t outlen;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static int collect(void *ctx, const char *const *vals)
{
    size_t n = *(size_t *)ctx;
    for (size_t i = 0; i < n; i++) {
        const char *v = vals[i] ? vals[i] : "-";
        int k = snprintf(out + outlen, sizeof out - outlen, "%s%s", i ? "," : "", v);
        if (k > 0 && outlen + (size_t)k < sizeof out)
            outlen += (size_t)k;
    }
    if (outlen + 1 < sizeof out)
        out[outlen++] = '\n';
    out[outlen] = '\0';
    return IPL_OK;
}

typedef struct qopt {
    const ipl_ql_param *params;
    size_t nparams;
    const char *tz;
    size_t max_memory;
    uint32_t match_limit;
    int json;
    int header;                /* first line: the column names */
} qopt;

/* Runs text; returns the rows, one per line, values joined by ','; or "error: MESSAGE". */
static const char *runo(const char *text, const qopt *x)
{
    ipl_ql_opts o;
    ipl_diag d = {0};
    ipl_ql *q = NULL;
    ipl_rtxn *t = NULL;
    ipl_tz *tz = NULL;
    memset(&o, 0, sizeof o);
    ipl_time_parse(NOW, strlen(NOW), NULL, &o.now, NULL);
    if (x->tz)
        ipl_tz_load(&tz, x->tz, NULL);
    o.tz = tz;
    o.params = x->params;
    o.nparams = x->nparams;
    o.max_memory = x->max_memory;
    o.regex_match_limit = x->match_limit;
    outlen = 0;
    out[0] = '\0';
    int err = ipl_ql_compile(&q, text, strlen(text), &o, &d);
    if (!err)
        err = ipl_rtxn_begin(st, &t, &d);
    if (!err) {
        size_t n;
        const ipl_col *cols = ipl_ql_cols(q, &n);
        if (x->header) {
            for (size_t i = 0; i < n; i++)
                outlen += (size_t)snprintf(out + outlen, sizeof out - outlen, "%s%s", i ? "," : "",
                                           cols[i].name);
            out[outlen++] = '\n';
            out[outlen] = '\0';
        }
        err = ipl_ql_run(q, t, x->json, collect, &n, &d);
    }
    if (err)
        snprintf(out, sizeof out, "error: %s", d.msg);
    ipl_rtxn_end(t);
    ipl_ql_free(q);
    ipl_tz_free(tz);
    return out;
}

static const char *run(const char *text)
{
    qopt x;
    memset(&x, 0, sizeof x);
    return runo(text, &x);
}

static const char *runh(const char *text)
{
    qopt x;
    memset(&x, 0, sizeof x);
    x.header = 1;
    return runo(text, &x);
}

#define Q(text, expected) CHECK_STR(run(text), expected)
#define QH(text, expected) CHECK_STR(runh(text), expected)

static void test_sources(void)
{
    Q("events | count", "33\n");
    Q("leases | count", "17\n");
    Q("logons | count", "8\n");                 /* logon, logon.fail (logon*) */
    Q("logoffs | count", "1\n");
    Q("auth | count", "1\n");
    Q("radius | count", "2\n");
    Q("changes | count", "2\n");
    Q("purges | count", "1\n");
    Q("dns | count", "1\n");
    Q("servers | count", "0\n");
    Q("lease.renew | count", "5\n");            /* a kind name */
    Q("\"lease.v6.*\" | count", "0\n");          /* a quoted kind pattern */
    Q("\"radius.*\" | count", "2\n");
    Q("LEASES | COUNT", "17\n");                 /* keywords in any case */
    QH("purges",
       "seq,time,kind,ip,mac,duid,host,user,server,source,line,attrs\n"
       "33,2024-05-08T02:00:00Z,retention.purge,-,-,-,-,CONTOSO\\adm-carol,ipledger,"
       "ipledger:retention,1,criteria=before 2024-01-01 count=1200\n");
}

static void test_equality_and_sets(void)
{
    Q("events where user in (\"CONTOSO\\alice\", \"CONTOSO\\bob\") | count by user",
      "CONTOSO\\alice,4\nCONTOSO\\bob,1\n");
    Q("events where user = \"CONTOSO\\bob\" | fields seq", "20\n");
    Q("events where user != \"CONTOSO\\bob\" | count", "32\n");   /* the missing ones too */
    Q("events where user not in (\"CONTOSO\\alice\", \"CONTOSO\\bob\") and user exists | count",
      "10\n");
    Q("events where kind = lease.assign | count", "8\n");
    Q("events where kind in (lease.release, lease.expire) | fields seq", "8\n9\n");
    Q("events where kind like \"lease.*\" and not kind = lease.renew | count", "12\n");
    Q("events where kind ~ /^(logon|logoff)$/ | count", "6\n");
    Q("events where server = \"NPS1.contoso.com\" | count", "2\n");    /* server: any case */
    Q("events where source = \"file:/logs/nps1/IN2405.log\" | count", "2\n");
    Q("events where source = \"FILE:/logs/nps1/IN2405.log\" | count", "0\n");
    Q("events where seq in (3, 5, 40) | fields seq", "3\n5\n");
    Q("events where line = 15 | fields seq", "15\n");
}

static void test_case_insensitive(void)
{
    Q("events where user = \"contoso\\ALICE\" | count", "4\n");
    Q("events where host = \"laptop-alice.CONTOSO.com\" | fields seq, host",
      "1,LAPTOP-ALICE.contoso.com\n2,LAPTOP-ALICE.contoso.com\n16,LAPTOP-ALICE.contoso.com\n"
      "6,laptop-alice.contoso.com\n8,LAPTOP-ALICE.contoso.com\n11,LAPTOP-ALICE.contoso.com\n"
      "17,LAPTOP-ALICE.contoso.com\n");
    /* groups fold case: adm-carol is logged once as contoso\ADM-carol */
    Q("events | count by user",
      "-,18\nCONTOSO\\adm-carol,6\nCONTOSO\\alice,4\nCONTOSO\\dave,3\nCONTOSO\\administrator,1\n"
      "CONTOSO\\bob,1\n");
    Q("events where host like \"laptop-*\" | count by host",
      "LAPTOP-ALICE.contoso.com,7\nLAPTOP-BOB.contoso.com,3\nLAPTOP-ALICE,2\nLAPTOP-BOB,1\n");
    Q("events where host ~ /^LAPTOP-(ALICE|BOB)\\./ | count", "10\n");   /* ~ folds case too */
    Q("events where user like \"*\\ADM-*\" | count", "6\n");
    Q("logons | distinct user", "CONTOSO\\alice\nCONTOSO\\bob\nCONTOSO\\adm-carol\nCONTOSO\\dave\n"
                                "CONTOSO\\administrator\n");
    Q("events where desc = \"assign\" | count", "0\n");     /* attributes compare exactly */
    Q("events where desc ~ /assign/i | count", "6\n");
}

static void test_addresses(void)
{
    Q("events where ip = 10.72.144.20 | count", "6\n");
    Q("events where ip = \"10.72.144.20\" | count", "6\n");
    Q("events where ip in 10.72.144.0/22 | count by ip",
      "10.72.144.20,6\n10.72.145.36,5\n10.72.146.7,3\n10.72.144.21,2\n10.72.144.30,1\n"
      "10.72.144.99,1\n");
    Q("events where ip in 2001:db8:48::/48 | fields seq, ip, duid",
      "16,2001:db8:48::20,000100012b3c4d5e3c52826a1b2f\n17,2001:db8:48::20,000100012b3c4d5e3c52826a1b2f\n");
    Q("events where ip in 2001:db8::/32 | count by ip", "2001:db8:49::7,3\n2001:db8:48::20,2\n");
    Q("events where ip in 10.72.144.20-10.72.144.30 | count by ip",
      "10.72.144.20,6\n10.72.144.21,2\n10.72.144.30,1\n");
    Q("events where ip in (10.72.146.7, 198.51.100.0/24, 10.72.144.99-10.72.144.99) | count", "5\n");
    Q("events where ip between 10.72.145.0 and 10.72.146.255 | count", "8\n");
    Q("events where ip < 10.72.145.0 | count", "10\n");
    Q("events where ip >= 2001:db8:: | count", "5\n");
    Q("events where not ip in 10.0.0.0/8 and ip exists | fields ip",
      "2001:db8:48::20\n2001:db8:48::20\n2001:db8:49::7\n2001:db8:49::7\n2001:db8:49::7\n"
      "198.51.100.23\n203.0.113.9\n");
    Q("events where ip like \"10.72.144.2?\" | count", "8\n");        /* the text form */
    Q("events where ip exists | count", "28\n");
}

static void test_macs(void)
{
    static const char *const notations[] = {
        "\"3C-52-82-6A-1B-2F\"", "3c:52:82:6a:1b:2f", "3c52.826a.1b2f", "3C52826A1B2F",
        "\"3c 52 82 6a 1b 2f\"",
    };
    char q[160];
    for (size_t i = 0; i < 4; i++) {
        snprintf(q, sizeof q, "events where mac = %s | count", notations[i]);
        Q(q, "6\n");
    }
    /* the DUID of a v6 lease, or the MAC inside it */
    Q("events where mac = \"00:03:00:01:a4:83:e7:11:22:33\" | fields seq", "18\n");
    Q("events where duid = \"00030001A483E7112233\" | fields seq, mac", "18,a483e7112233\n");
    Q("events where mac in (\"a4-83-e7-11-22-33\", 00155d010203) | count by mac",
      "a483e7112233,5\n00155d010203,2\n");
    Q("events where mac like \"00155d*\" | count", "4\n");
    Q("events where mac = 02:00:00:00:00:01 | count", "0\n");        /* never seen */
}

static void test_text_and_numbers(void)
{
    Q("events where user ~ /adm/ | count by user", "CONTOSO\\adm-carol,6\nCONTOSO\\administrator,1\n");
    Q("events where desc matches \"^DHCPV6\" | fields seq", "16\n17\n18\n");
    Q("events where desc ~ \"^dhcpv6 r\" | count", "0\n");
    Q("events where desc ~ /^dhcpv6 r/i | count", "3\n");
    Q("events where user !~ /alice/ and user exists | count", "11\n");
    Q("events where option ~ /lease duration/x | count", "0\n");    /* x: blanks ignored */
    Q("events where option ~ /lease\\ duration/x | count", "1\n");
    Q("logons where logon_type = 10 | fields user, logon_type",
      "CONTOSO\\adm-carol,10\nCONTOSO\\dave,10\n");
    Q("logons where logon_type >= 3 | count", "3\n");
    Q("logons where logon_type = 02 | count", "2\n");                  /* numbers compare as numbers */
    Q("logons where logon_type = \"02\" | count", "2\n");
    Q("events where code between 4624 and 4634 | count by code", "4624,5\n4625,3\n4634,1\n");
    Q("radius where in_octets > 1000000 | fields user, in_octets", "CONTOSO\\dave,48211923\n");
    Q("events where status = \"0xC000006D\" | count", "3\n");
    Q("events where xid > 10 | count", "0\n");                         /* hex is not a number */
    Q("events where option >= \"f\" | fields option", "lease duration\n");    /* text order */
    Q("events where geo.country in (\"RU\", \"CN\") | fields ip, user, geo.country",
      "203.0.113.9,CONTOSO\\administrator,RU\n");
    Q("events where geo.country exists | count", "2\n");
    Q("events where geo.country not exists | count", "31\n");
    Q("events where new like \"10.72.*\" | fields option", "exclusion\n");
}

static void test_times(void)
{
    Q("events since 2024-05-07T10:00:00+02:00 until 2024-05-07T12:00:00+02:00 | fields seq",
      "11\n17\n26\n12\n18\n29\n13\n31\n");
    Q("events since -6h | fields seq, time", "15,2024-05-08T08:00:00Z\n");
    Q("events between 2024-05-08 and now | count", "2\n");
    Q("events at 2024-05-07T10:00:00Z | fields seq", "31\n");
    Q("events where time >= 2024-05-07T22:00:00Z | fields seq", "28\n33\n15\n");
    Q("events where time between 2024-05-06T17:00:00Z and 2024-05-06T18:00:00Z | fields seq", "25\n8\n");
    Q("events where time like \"2024-05-08*\" | count", "2\n");
    Q("events since @1715212800 | count", "0\n");                      /* epoch seconds */
    Q("events since \"2024-05-07 22:00\" | count", "3\n");            /* no offset: UTC */
    qopt x;
    memset(&x, 0, sizeof x);
    x.tz = "Europe/Berlin";                                            /* CEST, +02:00 */
    CHECK_STR(runo("events since \"2024-05-07 10:00\" until \"2024-05-07 10:05\" | fields seq", &x),
              "11\n17\n26\n12\n");
    CHECK_STR(runo("events since 2024-05-07T10:00:00Z until 2024-05-07T10:05:00Z | fields seq", &x),
              "31\n32\n");
}

static void test_logic(void)
{
    Q("events where not (kind like \"lease.*\" or kind like \"logon*\") | count by kind",
      "config.change,2\nauth.kerberos,1\ndns.update,1\nlogoff,1\nradius.start,1\nradius.stop,1\n"
      "retention.purge,1\n");
    Q("events where host not exists and ip exists | count", "9\n");
    Q("events where (user = \"CONTOSO\\dave\" or mac = a4:83:e7:11:22:33) and not kind = logon "
      "| fields seq", "5\n12\n18\n29\n30\n");
    Q("events where user = \"CONTOSO\\dave\" or user = \"CONTOSO\\bob\" and kind = logon | count",
      "4\n");                                                         /* and binds tighter */
    Q("events where not not user = \"CONTOSO\\bob\" | count", "1\n");
    Q("leases where ip in 10.72.144.0/22 where kind = lease.renew | count", "4\n");   /* two wheres */
    Q("leases | where host exists | where ip in 10.72.145.0/24 | count", "5\n");
}

static void test_stages(void)
{
    QH("changes | fields time, user as who, option, old, new",
       "time,who,option,old,new\n"
       "2024-05-07T10:00:00Z,CONTOSO\\adm-carol,lease duration,8h,1d\n"
       "2024-05-07T10:05:00Z,CONTOSO\\adm-carol,exclusion,-,10.72.144.200-10.72.144.250\n");
    Q("leases | sort host, time desc | limit 4 | fields host, time",
      "DESKTOP-CAROL.contoso.com,2024-05-07T12:15:00Z\nDESKTOP-CAROL.contoso.com,2024-05-06T08:15:00Z\n"
      "DESKTOP-ERIN.contoso.com,2024-05-08T08:00:00Z\nDESKTOP-ERIN.contoso.com,2024-05-07T07:45:00Z\n");
    Q("events | sort time | limit 3 offset 2 | fields seq", "16\n19\n3\n");
    Q("events | sort time desc | limit 2 | fields seq", "15\n33\n");
    Q("events | offset 31 | fields seq", "33\n15\n");
    Q("events | limit 0 | count", "0\n");
    Q("logons | sort logon_type desc, seq | fields seq, logon_type",
      "21,10\n27,10\n20,3\n19,2\n26,2\n22,-\n23,-\n28,-\n");     /* missing values last */
    QH("events | top 2 by kind", "kind,count\nlease.assign,8\nlease.renew,5\n");
    Q("events | count by server | sort count asc, server",
      "ipledger,1\nnps1.contoso.com,2\ndc1.contoso.com,10\ndhcp1.contoso.com,20\n");
    Q("events | count by kind, server | where count >= 5",
      "lease.assign,dhcp1.contoso.com,8\nlease.renew,dhcp1.contoso.com,5\nlogon,dc1.contoso.com,5\n");
    Q("events | distinct server", "dhcp1.contoso.com\ndc1.contoso.com\nnps1.contoso.com\nipledger\n");
    Q("leases | first by mac | fields mac, time, ip",
      "3c52826a1b2f,2024-05-06T07:58:02Z,10.72.144.20\n3c52826a1b30,2024-05-06T08:02:40Z,10.72.145.36\n"
      "00155d010203,2024-05-06T08:15:00Z,10.72.146.7\na483e7112233,2024-05-06T09:30:11Z,10.72.200.15\n"
      "00155d0a0b0c,2024-05-07T07:45:00Z,10.72.145.36\n-,2024-05-07T09:00:00Z,10.72.144.30\n");
    Q("leases where mac exists | last by mac | fields mac, kind, ip",
      "3c52826a1b2f,lease.renew,2001:db8:48::20\n3c52826a1b30,lease.expire,10.72.145.36\n"
      "00155d010203,lease.renew,10.72.146.7\na483e7112233,lease.assign,2001:db8:49::7\n"
      "00155d0a0b0c,lease.renew,10.72.145.36\n");
    Q("events | first | fields seq", "1\n");
    Q("events | last | fields seq", "15\n");
    QH("events | timeline 1d", "time,count\n2024-05-06T00:00:00Z,17\n2024-05-07T00:00:00Z,14\n"
                               "2024-05-08T00:00:00Z,2\n");
    Q("leases | timeline 12h by kind | where count > 2",
      "2024-05-06T00:00:00Z,lease.assign,5\n2024-05-07T00:00:00Z,lease.assign,3\n");
    Q("logons | timeline 1w by user | sort count desc, user | limit 2",
      "2024-05-02T00:00:00Z,CONTOSO\\adm-carol,3\n2024-05-02T00:00:00Z,CONTOSO\\alice,2\n");
    Q("events | fields user as who, kind | count by who | limit 2", "-,18\nCONTOSO\\adm-carol,6\n");
    Q("events | fields time, kind | timeline 1d by kind | where kind = logon",
      "2024-05-06T00:00:00Z,logon,3\n2024-05-07T00:00:00Z,logon,2\n");
    Q("events | count | where count > 40", "");
}

static void test_params(void)
{
    ipl_ql_param p[3] = {{"ip", "10.72.144.20"}, {"user", "contoso\\alice"}, {"net", "10.72.144.0/22"}};
    qopt x;
    memset(&x, 0, sizeof x);
    x.params = p;
    x.nparams = 1;
    CHECK_STR(runo("events where ip = $ip | count", &x), "6\n");
    x.nparams = 2;
    CHECK_STR(runo("events where ip = $ip or user = $user | count", &x), "8\n");
    x.params = p + 2;
    x.nparams = 1;
    CHECK_STR(runo("events where ip in $net | count", &x), "18\n");
    CHECK_STR(runo("track ip in $net at 2024-05-06T12:00:00Z | fields ip, state, user", &x),
              "10.72.144.20,held,CONTOSO\\alice\n10.72.145.36,held,unknown user\n"
              "10.72.146.7,held,CONTOSO\\adm-carol\n");
    /* a value is only ever a value: quotes and keywords in it change nothing */
    ipl_ql_param inj = {"user", "x\" or user exists or user = \"y"};
    x.params = &inj;
    CHECK_STR(runo("events where user = $user | count", &x), "0\n");
    ipl_ql_param bad = {"ip", "10.72.144"};
    x.params = &bad;
    CHECK_STR(runo("events where ip = $ip", &x),
              "error: query:1:19: invalid IP address '10.72.144'\n"
              "  events where ip = $ip\n"
              "                    ^");
    CHECK_STR(runo("events where ip = 10.72.144.20", &x),
              "error: query: parameter $ip was given but the query does not use it");
    x.nparams = 0;
    CHECK_STR(runo("events where ip = $ip", &x),
              "error: query:1:19: no value given for parameter $ip\n"
              "  events where ip = $ip\n"
              "                    ^");
}

static void test_track(void)
{
    QH("track ip 10.72.145.36 where state = \"held\" | fields lease_start, lease_end, mac, host, user",
       "lease_start,lease_end,mac,host,user\n"
       "2024-05-06T08:02:40Z,2024-05-06T20:02:40Z,3c52826a1b30,LAPTOP-BOB.contoso.com,unknown user\n"
       "2024-05-07T07:45:00Z,open,00155d0a0b0c,DESKTOP-ERIN.contoso.com,unknown user\n");
    Q("track user \"CONTOSO\\alice\" | fields ip, lease_start, mac, logon, logoff",
      "10.72.144.20,2024-05-06T07:58:02Z,3c52826a1b2f,2024-05-06T08:00:12Z,2024-05-06T17:30:55Z\n"
      "10.72.144.20,2024-05-06T07:58:02Z,3c52826a1b2f,2024-05-06T12:10:00Z,-\n"
      "10.72.144.21,2024-05-07T08:01:15Z,3c52826a1b2f,2024-05-07T08:02:00Z,-\n");
    Q("track user \"contoso\\ALICE\" where logoff exists | count", "1\n");
    Q("track mac \"3C-52-82-6A-1B-2F\" | count by ip",
      "10.72.144.20,1\n10.72.144.21,1\n2001:db8:48::20,1\n");
    Q("track host \"desktop-carol.contoso.com\" at 2024-05-07T13:00:00Z | fields ip, state, lease_end",
      "10.72.146.7,held,open\n");
    Q("track ip 10.72.145.36 where lease_end > 2024-05-07T00:00:00Z | fields state, mac",
      "nobody,-\nheld,00155d0a0b0c\n");      /* open ends are later than any time */
    Q("track ip in 10.72.144.0/22 between 2024-05-06 and 2024-05-06T23:59:59Z where state = held "
      "| fields ip, mac, user",
      "10.72.144.20,3c52826a1b2f,CONTOSO\\alice\n10.72.145.36,3c52826a1b30,unknown user\n"
      "10.72.146.7,00155d010203,CONTOSO\\adm-carol\n");
    Q("track ip 10.72.145.36 | limit 1 | fields state", "nobody\n");
    Q("track ip 10.9.9.9 | fields state", "nobody\n");
}

static void test_json(void)
{
    qopt x;
    memset(&x, 0, sizeof x);
    x.json = 1;
    CHECK_STR(runo("purges | fields attrs", &x), "{\"criteria\":\"before 2024-01-01\",\"count\":\"1200\"}\n");
    x.json = 0;
    CHECK_STR(runo("purges | fields attrs", &x), "criteria=before 2024-01-01 count=1200\n");
    CHECK_STR(runo("events where seq = 13 | fields attrs, geo.country", &x), "code=13 desc=In Use,-\n");
}

static void test_errors(void)
{
    Q("logons where user in",
      "error: query:1:21: expected a value after 'in'\n"
      "  logons where user in\n"
      "                      ^");
    Q("events where user in (\"a\", | count",
      "error: query:1:28: expected a value after ',', found '|'\n"
      "  events where user in (\"a\", | count\n"
      "                             ^");
    Q("events where usr = \"x\"",
      "error: query:1:14: unknown field 'usr' (did you mean 'user'?); fields: seq, time, kind, ip, "
      "mac, duid, host, user, server, source, line, attrs and the attributes ('ipledger query "
      "--fields')\n"
      "  events where usr = \"x\"\n"
      "               ^");
    Q("events | count by host | where hosts = 1",
      "error: query:1:32: unknown field 'hosts' (did you mean 'host'?); the rows here have: host, "
      "count\n"
      "  events | count by host | where hosts = 1\n"
      "                                 ^");
    Q("events where ip in 10.72.144.1/22",
      "error: query:1:20: invalid prefix '10.72.144.1/22': host bits are set (the network is "
      "10.72.144.0/22)\n"
      "  events where ip in 10.72.144.1/22\n"
      "                     ^");
    Q("events where ip in 2001:db8::/129",
      "error: query:1:20: invalid prefix '2001:db8::/129' (expected e.g. 10.72.144.0/22 or "
      "2001:db8::/48)\n"
      "  events where ip in 2001:db8::/129\n"
      "                     ^");
    Q("events where ip in 10.0.0.9-10.0.0.1",
      "error: query:1:20: the range '10.0.0.9-10.0.0.1' ends before it starts\n"
      "  events where ip in 10.0.0.9-10.0.0.1\n"
      "                     ^");
    Q("events since 2024-13-01",
      "error: query:1:14: invalid time '2024-13-01': no such date or time\n"
      "  events since 2024-13-01\n"
      "               ^");
    Q("events since -7x",
      "error: query:1:14: invalid relative time '-7x': expected now or a signed count and unit s, "
      "m, h, d or w (e.g. -7d)\n"
      "  events since -7x\n"
      "               ^");
    Q("events where host ~ /(unclosed/",
      "error: query:1:21: invalid regex /(unclosed/: missing closing parenthesis at offset 9\n"
      "  events where host ~ /(unclosed/\n"
      "                      ^");
    Q("events where host ~ /x/q",
      "error: query:1:21: unknown regex flag 'q' (flags: i m s x)\n"
      "  events where host ~ /x/q\n"
      "                      ^");
    Q("events where mac = \"zz:zz\"",
      "error: query:1:20: invalid MAC address 'zz:zz' (expected e.g. 3c:52:82:6a:1b:2f, "
      "3C-52-82-6A-1B-2F, 3c52.826a.1b2f, 3c52826a1b2f or a DUID in hex)\n"
      "  events where mac = \"zz:zz\"\n"
      "                     ^");
    Q("events where time in (1, 2)",
      "error: query:1:14: 'in' does not apply to 'time' (type time; compare times with <, >, = or "
      "between ... and ...)\n"
      "  events where time in (1, 2)\n"
      "               ^");
    Q("frobs",
      "error: query:1:1: unknown source 'frobs'; sources: events, leases, logons, logoffs, auth, "
      "radius, changes, purges, dns, servers, conflicts, track, quarantine, utilization, a kind name "
      "(lease.assign) or a quoted kind "
      "pattern (\"lease.v6.*\")\n"
      "  frobs\n"
      "  ^");
    Q("events where host like LAPTOP-*",
      "error: query:1:31: unexpected character '*' (quote wildcard patterns: host like \"LAPTOP-*\")\n"
      "  events where host like LAPTOP-*\n"
      "                                ^");
    Q("events\n| count by host\n| sort cnt",
      "error: query:3:8: unknown field 'cnt' (did you mean 'count'?); the rows here have: host, count\n"
      "  | sort cnt\n"
      "         ^");
    Q("", "error: query:1:1: the query is empty; it starts with a source (events, leases, logons, "
          "changes, purges, track, ...)\n"
          "  \n"
          "  ^");
    Q("events since -1d since -2d",
      "error: query:1:18: the time window is given twice (one of: since T, until T, since T until T, "
      "between T1 and T2, at T)\n"
      "  events since -1d since -2d\n"
      "                   ^");
}

/* A catastrophic pattern against a tiny step budget. */
static void test_limits(void)
{
    char big[IPL_QL_MAX_TEXT + 2];
    memset(big, ' ', sizeof big);
    memcpy(big, "events | count", 14);
    big[sizeof big - 1] = '\0';
    Q(big, "error: query: the query is 16385 bytes long; the limit is 16384 bytes");
    big[IPL_QL_MAX_TEXT] = '\0';
    Q(big, "33\n");                             /* 16384 bytes: fine */
    char deep[256];
    size_t o = (size_t)snprintf(deep, sizeof deep, "events where ");
    for (int i = 0; i < 33; i++)
        deep[o++] = '(';
    snprintf(deep + o, sizeof deep - o, "seq = 1");
    Q(deep, "error: query:1:46: the expression nests deeper than 32 levels of parentheses and 'not'\n"
            "  events where (((((((((((((((((((((((((((((((((seq = 1\n"
            "                                               ^");
    qopt x;
    memset(&x, 0, sizeof x);
    x.match_limit = 20;
    CHECK_STR(runo("events where host ~ /^(\\w+\\w*)+$/ | count", &x),
              "error: query:1:14: the regex /^(\\w+\\w*)+$/ on 'host' exceeded the match limit (20) on "
              "the value 'LAPTOP-ALICE.contoso.com'; simplify the pattern\n"
              "  events where host ~ /^(\\w+\\w*)+$/ | count\n"
              "               ^");
    x.match_limit = 0;
    CHECK_STR(runo("events where host ~ /^(\\w+\\w*)+$/ | count", &x), "0\n");  /* the default budget */
    memset(&x, 0, sizeof x);
    x.max_memory = 1000;
    CHECK_STR(runo("events | count by host", &x),
              "error: query:1:10: count by: the groups need more than 1000 bytes (the query's memory "
              "limit); narrow the query or group by fewer fields\n"
              "  events | count by host\n"
              "           ^");
    CHECK_STR(runo("events | sort host", &x),
              "error: query:1:10: sort: the rows to sort need more than 1000 bytes (the query's "
              "memory limit); narrow the query or sort fewer rows (limit before sort)\n"
              "  events | sort host\n"
              "           ^");
    CHECK_STR(runo("events | timeline 1s by kind, host", &x),
              "error: query:1:10: timeline: the buckets need more than 1000 bytes (the query's "
              "memory limit); use wider buckets or a shorter window\n"
              "  events | timeline 1s by kind, host\n"
              "           ^");
    CHECK_STR(runo("events | distinct ip, host, kind", &x),
              "error: query:1:10: distinct: the values seen need more than 1000 bytes (the query's "
              "memory limit); narrow the query or use fewer fields\n"
              "  events | distinct ip, host, kind\n"
              "           ^");
    /* streaming stages hold nothing: the same limit is no obstacle */
    CHECK_STR(runo("events | where kind = logon | fields seq | limit 2 | count", &x), "2\n");
}

/* The live matcher (serve's tail q=) passes exactly the events the query returns: for each
 * query, `QUERY | count` against the matcher over every event of the store, with the read
 * transaction changing between events (nothing may be kept from one to the next). */
static void test_matcher(void)
{
    static const char *qs[] = {
        "events",
        "leases",
        "logons where user like \"*\\ADM-*\"",
        "events where user in (\"CONTOSO\\alice\", \"CONTOSO\\bob\")",
        "events where kind like \"lease.*\" and not kind = lease.renew",
        "events where host ~ /^LAPTOP-(ALICE|BOB)\\./",
        "events where ip in 10.72.144.0/22",
        "events where ip in 2001:db8:48::/48 or mac = 00-15-5d-aa-01-10",
        "events where desc ~ /assign/i",
        "events where server = \"NPS1.contoso.com\"",
        "changes",
        "leases since 2024-05-07T00:00:00Z",
        "events between 2024-05-06T08:00:00Z and 2024-05-06T18:00:00Z where user exists",
    };
    ipl_ql_opts o;
    memset(&o, 0, sizeof o);
    ipl_time_parse(NOW, strlen(NOW), NULL, &o.now, NULL);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s | count", qs[i]);
        long want = atol(run(text));
        ipl_ql *q = NULL;
        ipl_ql_matcher *m = NULL;
        ipl_diag d = {0};
        CHECK_INT(ipl_ql_compile(&q, qs[i], strlen(qs[i]), &o, &d), IPL_OK);
        CHECK_INT(ipl_ql_matcher_new(q, &m, &d), IPL_OK);
        long got = 0;
        uint64_t last = 0;
        for (;;) {
            ipl_rtxn *t;
            ipl_evcur *c;
            ipl_rawev ev;
            CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
            CHECK_INT(ipl_evcur_open(t, &c, &d), IPL_OK);
            int rc = IPL_ENOTFOUND;
            while ((rc = ipl_evcur_next(c, &ev, &d)) == IPL_OK && ev.seq <= last)
                ;
            if (rc == IPL_OK) {
                int match = 0;
                uint8_t kinds[256];
                ipl_ql_matcher_kinds(m, kinds);
                CHECK_INT(ipl_ql_matcher_test(m, t, &ev, &match, &d), IPL_OK);
                CHECK(!match || kinds[ev.kind]);
                got += match;
                last = ev.seq;
            }
            ipl_evcur_close(c);
            ipl_rtxn_end(t);
            if (rc != IPL_OK)
                break;
        }
        CHECK_INT(got, want);
        if (got != want)
            fprintf(stderr, "   %s: matcher %ld, query %ld\n", qs[i], got, want);
        ipl_ql_matcher_free(m);
        ipl_ql_free(q);
    }
    /* what a live filter cannot be */
    static const struct { const char *q, *why; } bad[] = {
        {"leases | count", "stages ('| ...') are not allowed"},
        {"track ip = 10.72.144.20", "not an event source"},
        {"quarantine", "not an event source"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ipl_ql *q = NULL;
        ipl_ql_matcher *m = NULL;
        ipl_diag d = {0};
        CHECK_INT(ipl_ql_compile(&q, bad[i].q, strlen(bad[i].q), &o, &d), IPL_OK);
        CHECK_INT(ipl_ql_matcher_new(q, &m, &d), IPL_EINVAL);
        CHECK(m == NULL && strstr(d.msg, bad[i].why) != NULL);
        ipl_ql_free(q);
    }
}

int main(int argc, char **argv)
{
    ipl_diag d = {0};
    if (argc == 3 && strcmp(argv[1], "--make-store") == 0) {
        if (ql_fixture_build(argv[2], &d)) {
            fprintf(stderr, "make-store: %s\n", d.msg);
            return 1;
        }
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/ipl-ql-exec-XXXXXX");
    if (!mkdtemp(dir) || ql_fixture_build(dir, &d) || ipl_store_open(&st, dir, IPL_STORE_RDONLY, &d)) {
        fprintf(stderr, "fixture: %s\n", d.msg);
        return 1;
    }
    if (argc == 2) {                   /* ad hoc: print the result of one query */
        printf("%s", runh(argv[1]));
        ipl_store_close(st);
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
    }
    RUN(test_sources);
    RUN(test_equality_and_sets);
    RUN(test_case_insensitive);
    RUN(test_addresses);
    RUN(test_macs);
    RUN(test_text_and_numbers);
    RUN(test_times);
    RUN(test_logic);
    RUN(test_stages);
    RUN(test_params);
    RUN(test_track);
    RUN(test_json);
    RUN(test_errors);
    RUN(test_limits);
    RUN(test_matcher);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
