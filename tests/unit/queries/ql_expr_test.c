/* tests/unit/queries/ql_expr_test.c — ql_expr.c on its own: number parsing and comparison, globs,
 * and every comparison of a predicate leaf on a six-event store, on event rows and on value rows:
 * case-insensitive host/user/server, exact source and attributes, MAC notations and DUIDs, CIDR
 * and range membership (v4 and v6), numeric vs text attributes, kinds, times, missing fields
 * under negation, and the PCRE2 limit and compile errors with their exact messages. */
#include "tests/unit/queries/ql_small.h"

#include "queries/ql_int.h"

/* Six events, one batch (seq = array index + 1). */
static const tev evs[] = {
    {"2024-01-01T00:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbcc000001", NULL, "PC-One.corp", NULL, "code=10|lifetime=3600|option=alpha"},
    {"2024-01-01T01:00:00Z", IPL_K_LEASE_RENEW, "10.0.0.2", "aabbcc000002", NULL, "pc-one.corp", NULL, "code=11|lifetime=02|option=Beta"},
    {"2024-01-01T02:00:00Z", IPL_K_LOGON, "10.0.1.5", NULL, NULL, "PC-Two", "DOM\\Ann", "code=4624|lifetime=1.5|logon_type=2"},
    {"2024-01-01T03:00:00Z", IPL_K_LOGON_FAIL, NULL, NULL, NULL, NULL, "dom\\ANN", "code=4625|lifetime=x1|logon_type=10"},
    {"2024-01-02T00:30:00Z", IPL_K_LOGON, "2001:db8::5", NULL, NULL, NULL, "DOM\\bob", "code=4624|status=0xC000006D"},
    {"2024-01-02T05:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.255", "aabbcc000003", "000100012b3c4d5eaabbcc000003", "PC-Three", NULL, "code=10|lifetime=-5"},
};

/* The seqs matching a filter, in seq order, joined by ','. */
static char seqbuf[256];
static const char *W(const char *filter)
{
    char q[512];
    snprintf(q, sizeof q, "events where %s | sort seq | fields seq", filter);
    const char *r = run(q);
    if (strncmp(r, "error: ", 7) == 0)
        return r;
    size_t o = 0;
    for (const char *p = r; *p && o + 2 < sizeof seqbuf; p++)
        seqbuf[o++] = *p == '\n' ? (p[1] ? ',' : '\0') : *p;
    seqbuf[o] = '\0';
    return seqbuf;
}
#define F(filter, expected) CHECK_STR(W(filter), expected)

static void test_num_parse(void)
{
    ql_num a, b;
    CHECK(ql_num_parse("02", 2, &a) && a.isint && a.i == 2);
    CHECK(ql_num_parse("-3", 2, &a) && a.isint && a.i == -3);
    CHECK(ql_num_parse("+7", 2, &a) && a.isint && a.i == 7);
    CHECK(ql_num_parse("0.5", 3, &a) && !a.isint && a.f == 0.5);
    CHECK(!ql_num_parse("1.", 2, &a));
    CHECK(!ql_num_parse(".5", 2, &a));
    CHECK(!ql_num_parse("-", 1, &a));
    CHECK(!ql_num_parse("", 0, &a));
    CHECK(!ql_num_parse("1e3", 3, &a));
    CHECK(!ql_num_parse("0x10", 4, &a));
    CHECK(!ql_num_parse("12 ", 3, &a));
    CHECK(ql_num_parse("9223372036854775807", 19, &a) && a.isint && a.i == INT64_MAX);
    CHECK(ql_num_parse("9223372036854775808", 19, &a) && !a.isint && a.f > 9.2e18);
    CHECK(ql_num_parse("99999999999999999999", 20, &a) && !a.isint && a.f == 1e20);
    CHECK(ql_num_parse("123", 2, &a) && a.i == 12);            /* only n bytes */
    /* int against float compares the values */
    ql_num_parse("2", 1, &a);
    ql_num_parse("2.0", 3, &b);
    CHECK_INT(ql_num_cmp(&a, &b), 0);
    ql_num_parse("1.5", 3, &b);
    CHECK_INT(ql_num_cmp(&a, &b), 1);
    CHECK_INT(ql_num_cmp(&b, &a), -1);
    ql_num_parse("9007199254740993", 16, &a);                  /* 2^53 + 1: exact as ints */
    ql_num_parse("9007199254740992", 16, &b);
    CHECK_INT(ql_num_cmp(&a, &b), 1);
}

static void test_glob(void)
{
    CHECK(ql_glob("a*c", 3, "abc", 3, 0));
    CHECK(ql_glob("a*c", 3, "ac", 2, 0));
    CHECK(!ql_glob("a*c", 3, "ab", 2, 0));
    CHECK(ql_glob("*", 1, "", 0, 0));
    CHECK(!ql_glob("?", 1, "", 0, 0));
    CHECK(ql_glob("", 0, "", 0, 0));
    CHECK(!ql_glob("", 0, "x", 1, 0));
    CHECK(ql_glob("A?C", 3, "abc", 3, 1));
    CHECK(!ql_glob("A?C", 3, "abc", 3, 0));
    CHECK(ql_glob("*a*b", 4, "xaxaxb", 6, 0));
    CHECK(!ql_glob("*a*b", 4, "xaxbx", 5, 0));
    CHECK(ql_glob("a**", 3, "a", 1, 0));
    CHECK(ql_glob("pc-*.corp", 9, "PC-One.corp", 11, 1));
}

static void test_strings_case(void)
{
    /* host, user and server fold case for =, in, <, like and ~ */
    F("user = \"dom\\ann\"", "3,4");
    F("user = \"DOM\\ANN\"", "3,4");
    F("user in (\"DOM\\BOB\", \"nobody\")", "5");
    F("user != \"dom\\ann\"", "1,2,5,6");           /* missing users match the negation */
    F("user exists", "3,4,5");
    F("user not exists", "1,2,6");
    F("user < \"DOM\\b\"", "3,4");
    F("user >= \"dom\\B\"", "5");
    F("user like \"dom\\a*\"", "3,4");
    F("user ~ /^dom.ann$/", "3,4");
    F("host = \"pc-one.CORP\"", "1,2");
    F("host in (\"pc-two\", \"PC-THREE\")", "3,6");
    F("host like \"PC-T*\"", "3,6");
    F("host !~ /one/", "3,4,5,6");
    F("not host like \"*\"", "4,5");
    F("server = \"SRV1.CORP\"", "1,2,3,4,5,6");
    /* source compares exactly */
    F("source = \"test:ql\"", "1,2,3,4,5,6");
    F("source = \"TEST:QL\"", "");
    /* attributes compare exactly; ~ /i folds */
    F("option = \"beta\"", "");
    F("option = \"Beta\"", "2");
    F("option ~ /BETA/i", "2");
    F("option like \"?eta\"", "2");
    F("option >= \"B\"", "1,2");                   /* byte order: 'B' < 'a' */
    F("option >= \"b\"", "");
    F("status = \"0xc000006d\"", "");
    F("status = \"0xC000006D\"", "5");
}

static void test_macs(void)
{
    F("mac = aa:bb:cc:00:00:01", "1");
    F("mac = \"AA-BB-CC-00-00-01\"", "1");
    F("mac = aabb.cc00.0001", "1");
    F("mac = AABBCC000001", "1");
    F("mac in (aabbcc000001, \"aa-bb-cc-00-00-02\")", "1,2");
    F("not mac = aabbcc000001", "2,3,4,5,6");
    F("mac like \"aabbcc00000?\"", "1,2,6");
    F("mac = 02:00:00:00:00:09", "");              /* never seen */
    /* mac = DUID matches the client's DUID; duid compares canonical hex */
    F("mac = \"00:01:00:01:2b:3c:4d:5e:aa:bb:cc:00:00:03\"", "6");
    F("duid = \"000100012B3C4D5EAABBCC000003\"", "6");
    F("duid exists", "6");
    CHECK(strstr(W("mac = \"zz:zz\""), "error: query:1:20: invalid MAC address 'zz:zz'") != NULL);
}

static void test_addresses(void)
{
    F("ip = 10.0.0.1", "1");
    F("ip = \"10.0.0.1\"", "1");
    F("ip in 10.0.0.0/24", "1,2,6");
    F("ip in 10.0.0.0/31", "1");
    F("ip in 10.0.0.1/32", "1");
    F("ip in 10.0.0.2-10.0.1.5", "2,3,6");
    F("ip in (10.0.0.1, 10.0.1.0/24, 2001:db8::/64)", "1,3,5");
    F("ip in 2001:db8::/32", "5");
    F("ip in 2001:db8::5-2001:db8::5", "5");
    F("ip in 0.0.0.0/0", "1,2,3,6");
    F("ip between 10.0.0.2 and 10.0.0.255", "2,6");
    F("ip < 10.0.0.2", "1");
    F("ip >= 2001:db8::", "5");
    F("not ip in 10.0.0.0/8", "4,5");              /* missing ip matches the negation */
    F("ip exists", "1,2,3,5,6");
    F("ip like \"10.0.0.?\"", "1,2");              /* the text form */
    F("ip ~ /::5$/", "5");
    CHECK_STR(W("ip in 10.0.0.1/24"),
              "error: query:1:20: invalid prefix '10.0.0.1/24': host bits are set (the network is "
              "10.0.0.0/24)\n  events where ip in 10.0.0.1/24 | sort seq | fields seq\n"
              "                     ^");
    CHECK(strstr(W("ip in 10.0.0.9-10.0.0.1"), "the range '10.0.0.9-10.0.0.1' ends before it starts") != NULL);
}

static void test_numbers(void)
{
    /* both sides numbers: numeric; else text; a non-number never matches numeric order */
    F("lifetime = 2", "2");                        /* "02" */
    F("lifetime = \"2\"", "2");
    F("lifetime = 1.50", "3");
    F("lifetime > 1", "1,2,3");
    F("lifetime < 0", "6");
    F("lifetime between 1 and 2", "2,3");
    F("not lifetime > 1", "4,5,6");                /* x1 and missing: the complement */
    F("lifetime = x1", "4");
    F("lifetime = \"x1\"", "4");
    F("lifetime like \"3*\"", "1");
    F("code = 4624", "3,5");
    F("code in (10, 4625)", "1,4,6");
    F("code like \"46*\"", "3,4,5");
    F("logon_type >= 3", "4");
    F("seq in (1, 6, 99)", "1,6");
    F("seq >= 5", "5,6");
    F("seq between 2 and 3", "2,3");
    F("line = 4", "4");
    F("seq like \"?\"", "1,2,3,4,5,6");
}

static void test_kinds_and_times(void)
{
    F("kind = logon", "3,5");
    F("kind like \"logon*\"", "3,4,5");
    F("kind in (lease.assign, logon.fail)", "1,4,6");
    F("kind ~ /^lease\\./", "1,2,6");
    F("not kind = lease.assign", "2,3,4,5");
    CHECK(strncmp(W("kind = lease.nope"), "error: query:1:21: ", 19) == 0);
    CHECK(strstr(W("kind = lease.nope"), "lease.nope") != NULL);
    F("time < 2024-01-01T02:00:00Z", "1,2");
    F("time <= 2024-01-01T02:00:00Z", "1,2,3");
    F("time between 2024-01-01T01:00:00Z and 2024-01-01T03:00:00Z", "2,3,4");
    F("time = 2024-01-02T05:00:00Z", "6");
    F("time like \"2024-01-02*\"", "5,6");
    F("time > -1d", "5,6");                        /* relative to now 2024-01-03T00:00Z */
}

static void test_logic(void)
{
    F("user exists and not kind = logon", "4");
    F("kind = logon or kind = lease.renew and code = 11", "2,3,5");   /* and binds tighter */
    F("(kind = logon or kind = lease.renew) and code = 11", "2");
    F("not (user exists or host exists)", "");
    F("not not host = \"pc-two\"", "3");
    F("not (lifetime > 1 and ip in 10.0.0.0/8)", "4,5,6");
}

/* Value rows (after fields / count by): the same semantics on a column. */
static void test_value_rows(void)
{
    Q("events | fields seq, host | where host = \"PC-ONE.corp\" | fields seq", "1\n2\n");
    Q("events | fields seq, host | where host != \"PC-ONE.corp\" | fields seq", "3\n4\n5\n6\n");
    Q("events | fields seq, user as u | where u like \"DOM\\A*\" | fields seq", "3\n4\n");
    Q("events | fields seq, lifetime | where lifetime > 1 | fields seq", "1\n2\n3\n");
    Q("events | fields seq, lifetime | where lifetime = 2 | fields seq", "2\n");
    Q("events | fields seq, ip | where ip in 10.0.0.0/24 | fields seq", "1\n2\n6\n");
    Q("events | fields seq, ip | where not ip in 10.0.0.0/24 | fields seq", "3\n4\n5\n");
    Q("events | fields seq, mac | where mac = \"AA-BB-CC-00-00-02\" | fields seq", "2\n");
    Q("events | fields seq, kind | where kind like \"lease.*\" | fields seq", "1\n2\n6\n");
    Q("events | fields seq, time | where time >= 2024-01-02T00:00:00Z | fields seq", "5\n6\n");
    Q("events | count by code | where count >= 2 | sort code", "10,2\n4624,2\n");
    Q("events | count by code | where code = 4625", "4625,1\n");
}

static void test_regex_limits(void)
{
    qopt x;
    memset(&x, 0, sizeof x);
    x.match_limit = 20;
    CHECK_STR(runo("events where seq = 1 and option ~ /^(\\w+\\w*)+\\W$/ | count", &x),
              "error: query:1:26: the regex /^(\\w+\\w*)+\\W$/ on 'option' exceeded the match limit "
              "(20) on the value 'alpha'; simplify the pattern\n"
              "  events where seq = 1 and option ~ /^(\\w+\\w*)+\\W$/ | count\n"
              "                           ^");
    /* the attribute's name as written, and a long value cut at 40 bytes */
    x.match_limit = 0;
    CHECK_STR(runo("events where host ~ /^(\\w+\\w*)+$/ | count", &x), "0\n");   /* default budget */
    x.depth_limit = 1;
    const char *r = runo("events where seq = 1 and option ~ /^(a|l|p|h)+(x|a)$/ | count", &x);
    CHECK(strstr(r, "exceeded the depth limit (1) on the value 'alpha'") != NULL ||
          strcmp(r, "1\n") == 0);                   /* PCRE2 may not need depth here */
    /* compile errors carry PCRE2's message and point at the regex */
    CHECK_STR(run("events where option ~ /a{2,1}/"),
              "error: query:1:23: invalid regex /a{2,1}/: numbers out of order in {} quantifier at offset 5\n"
              "  events where option ~ /a{2,1}/\n"
              "                        ^");
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-ql-expr-XXXXXX");
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d) ||
        commit_events(evs, sizeof evs / sizeof evs[0], &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    (void)runh;
    RUN(test_num_parse);
    RUN(test_glob);
    RUN(test_strings_case);
    RUN(test_macs);
    RUN(test_addresses);
    RUN(test_numbers);
    RUN(test_kinds_and_times);
    RUN(test_logic);
    RUN(test_value_rows);
    RUN(test_regex_limits);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
