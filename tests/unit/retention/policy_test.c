/* tests/unit/retention/policy_test.c — retention policies (retention/policy.c): every validation
 * error names the rule (1-based) and the field; the first matching rule decides, then the
 * default, else the event is kept; kind families, sources, servers (case-insensitive), subnets;
 * cutoffs and "forever"; the canonical form; limits (rules, nesting, size); and a policy run as
 * one purge (dry run per rule, then apply) over a store of ten days.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "retention/policy.h"
#include "retention/purge.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY (INT64_C(86400) * IPL_US_PER_SEC)
#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)      /* 2024-05-01T00:00:00Z */

static void expect_error(const char *text, const char *words)
{
    ipl_policy *p = NULL;
    ipl_diag d = {0};
    int err = ipl_policy_parse(text, strlen(text), &p, &d);
    CHECK(err != IPL_OK);
    CHECK(p == NULL);
    CHECK(strstr(d.msg, words) != NULL);
    if (!strstr(d.msg, words))
        fprintf(stderr, "   for %s\n   got: %s\n", text, d.msg);
}

static void test_errors(void)
{
    expect_error("[1,2]", "one JSON object");
    expect_error("{\"rules\": 3}", "\"rules\" must be a list");
    expect_error("{\"rulez\": []}", "unknown field 'rulez'");
    expect_error("{}", "never remove anything");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\"}]}", "rule 1, field 'keep_days': missing");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": 3},"
                 " {\"kinds\": \"logon\", \"keep_days\": 3}]}", "rule 2, field 'kinds': unknown field");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": -1}]}", "rule 1, field 'keep_days'");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": 1.5}]}", "rule 1, field 'keep_days'");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": 36501}]}", "rule 1, field 'keep_days'");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": \"long\"}]}", "rule 1, field 'keep_days'");
    expect_error("{\"rules\": [{\"keep_days\": 3}, {\"kind\": \"x\", \"keep_days\": 3}]}",
                 "rule 1: names none of kind, source, server, subnet");
    expect_error("{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": 3}, {\"kind\": \"bogus.kind\", "
                 "\"keep_days\": 3}]}", "rule 2, field 'kind': 'bogus.kind' names no event kind");
    expect_error("{\"rules\": [{\"subnet\": [\"10.0.0.0/8\", \"10.1.2.3/8\"], \"keep_days\": 3}]}",
                 "rule 1, field 'subnet': not a subnet");
    expect_error("{\"rules\": [{\"subnet\": [], \"keep_days\": 3}]}", "rule 1, field 'subnet': an empty list");
    expect_error("{\"rules\": [{\"server\": 7, \"keep_days\": 3}]}", "rule 1, field 'server': must be a string");
    expect_error("{\"rules\": [{\"server\": [\"a\", 7], \"keep_days\": 3}]}", "rule 1, field 'server': values must be strings");
    expect_error("{\"default\": {\"kind\": \"lease.*\", \"keep_days\": 3}}", "default, field 'kind'");
    expect_error("{\"default\": {}}", "default, field 'keep_days': missing");
    expect_error("{\"rules\": [[[[[[[[[1]]]]]]]]]}", "nested deeper");
    expect_error("{\"rules\": [", "invalid JSON");
    /* 257 rules */
    size_t cap = 300 * 40, n = 0;
    char *big = malloc(cap);
    n += (size_t)snprintf(big + n, cap - n, "{\"rules\":[");
    for (int i = 0; i < 257; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s{\"kind\":\"logon\",\"keep_days\":1}", i ? "," : "");
    snprintf(big + n, cap - n, "]}");
    expect_error(big, "257 rules (at most 256)");
    free(big);
    ipl_policy *p;
    ipl_diag d = {0};
    CHECK_INT(ipl_policy_parse("{}", IPL_POLICY_MAX + 1, &p, &d), IPL_ELIMIT);
}

static const char *POLICY =
    "{\"comment\": \"test\", \"rules\": ["
    " {\"subnet\": \"10.99.0.0/16\", \"kind\": [\"lease.*\"], \"keep_days\": 2, \"comment\": \"guests\"},"
    " {\"kind\": \"lease.*\", \"keep_days\": 5},"
    " {\"server\": \"DC1.corp\", \"keep_days\": \"forever\"},"
    " {\"source\": [\"file:/var/log/radius/*\", \"stdin:x\"], \"keep_days\": 1}"
    "], \"default\": {\"keep_days\": 7}}";

static void test_match(void)
{
    ipl_policy *p;
    ipl_diag d = {0};
    CHECK_INT(ipl_policy_parse(POLICY, strlen(POLICY), &p, &d), IPL_OK);
    CHECK_INT(ipl_policy_nrules(p), 4);
    CHECK(ipl_policy_has_default(p));
    CHECK_STR(ipl_policy_canonical(p),
              "{\"rules\":[{\"kind\":[\"lease.*\"],\"subnet\":[\"10.99.0.0/16\"],\"keep_days\":2},"
              "{\"kind\":[\"lease.*\"],\"keep_days\":5},{\"server\":[\"DC1.corp\"],\"keep_days\":\"forever\"},"
              "{\"source\":[\"file:/var/log/radius/*\",\"stdin:x\"],\"keep_days\":1}],"
              "\"default\":{\"keep_days\":7}}");
    /* the canonical text parses to the same policy */
    ipl_policy *q;
    const char *c = ipl_policy_canonical(p);
    CHECK_INT(ipl_policy_parse(c, strlen(c), &q, NULL), IPL_OK);
    CHECK_STR(ipl_policy_canonical(q), c);
    ipl_policy_free(q);

    ipl_event e;
    ipl_event_reset(&e);
    e.kind = IPL_K_LEASE_ASSIGN;
    e.has_ip = 1;
    ipl_ip_parse("10.99.3.4", 9, e.ip);
    CHECK_INT(ipl_policy_rule(p, &e), 0);
    ipl_ip_parse("10.98.3.4", 9, e.ip);
    CHECK_INT(ipl_policy_rule(p, &e), 1);
    e.kind = IPL_K_LOGON;
    e.server = "dc1.CORP";
    CHECK_INT(ipl_policy_rule(p, &e), 2);
    e.server = "dc2.corp";
    e.source = "file:/var/log/radius/detail-1";
    CHECK_INT(ipl_policy_rule(p, &e), 3);
    e.source = "file:/var/log/other";
    CHECK_INT(ipl_policy_rule(p, &e), 4);                  /* the default */
    e.has_ip = 0;
    e.kind = IPL_K_LEASE_RENEW;
    CHECK_INT(ipl_policy_rule(p, &e), 1);                  /* no address: not the subnet rule */

    int64_t now = T0 + 100 * DAY;
    CHECK_INT(ipl_policy_cutoff(p, 0, now), now - 2 * DAY);
    CHECK_INT(ipl_policy_cutoff(p, 2, now), INT64_MIN);
    CHECK_INT(ipl_policy_cutoff(p, 4, now), now - 7 * DAY);
    CHECK_INT(ipl_policy_max_cutoff(p, now), now - DAY);
    char desc[256];
    ipl_policy_describe(p, 0, desc, sizeof desc);
    CHECK_STR(desc, "rule 1 (kind lease.*, subnet 10.99.0.0/16): keep 2 days");
    ipl_policy_describe(p, 2, desc, sizeof desc);
    CHECK_STR(desc, "rule 3 (server DC1.corp): keep forever");
    ipl_policy_describe(p, 4, desc, sizeof desc);
    CHECK_STR(desc, "default: keep 7 days");
    ipl_policy_free(p);

    /* without a default, what no rule names is kept */
    const char *nodef = "{\"rules\": [{\"kind\": \"logon\", \"keep_days\": 0}]}";
    CHECK_INT(ipl_policy_parse(nodef, strlen(nodef), &p, NULL), IPL_OK);
    e.kind = IPL_K_LOGOFF;
    CHECK_INT(ipl_policy_rule(p, &e), -1);
    CHECK_INT(ipl_policy_cutoff(p, 1, now), INT64_MIN);
    ipl_policy_free(p);
    const char *never = "{\"default\": {\"keep_days\": \"forever\"}}";
    CHECK_INT(ipl_policy_parse(never, strlen(never), &p, NULL), IPL_OK);
    CHECK_INT(ipl_policy_max_cutoff(p, now), INT64_MIN);
    ipl_policy_free(p);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(path);
}

static int64_t now_fn(void)
{
    return T0 + 10 * DAY;
}

/* Ten days, one lease event and one logon an hour; leases kept 3 days, the rest 7. */
static void test_apply(void)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ipl-policy-XXXXXX");
    if (!mkdtemp(dir))
        return;
    ipl_store *st;
    ipl_batch *b;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int h = 0; h < 240; h++)
        for (int k = 0; k < 2; k++) {
            ipl_event e;
            ipl_event_reset(&e);
            e.ts = T0 + (int64_t)h * 3600 * IPL_US_PER_SEC + k;
            e.kind = k ? IPL_K_LOGON : IPL_K_LEASE_ASSIGN;
            e.has_ip = 1;
            ipl_ip_parse("10.0.0.1", 8, e.ip);
            e.source = "test:policy";
            CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        }
    CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
    ipl_batch_free(b);
    const char *text = "{\"rules\": [{\"kind\": \"lease.*\", \"keep_days\": 3}], \"default\": {\"keep_days\": 7}}";
    ipl_policy *p;
    CHECK_INT(ipl_policy_parse(text, strlen(text), &p, NULL), IPL_OK);
    ipl_criteria_args ca;
    char *crit;
    memset(&ca, 0, sizeof ca);
    ca.after = INT64_MIN;
    ca.before = INT64_MAX;
    ca.policy = p;
    ca.policy_sha256 = "00ff";
    ca.now = now_fn();
    CHECK_INT(ipl_criteria_make(&ca, &crit, NULL), IPL_OK);
    CHECK(strstr(crit, "\"policy_sha256\":\"00ff\"") != NULL);
    ipl_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.principal, sizeof a.principal, "os:tester");
    a.clock = now_fn;
    ipl_purge_opts o;
    ipl_purge_report r;
    memset(&o, 0, sizeof o);
    o.criteria = crit;
    o.dry_run = 1;
    o.actor = &a;
    o.action = "retention apply";
    CHECK_INT(ipl_purge_run(st, &o, &r, NULL), IPL_OK);
    CHECK_INT(r.nrules, 2);
    CHECK_INT(r.per_rule[0], 7 * 24);       /* leases of days 0..6 */
    CHECK_INT(r.per_rule[1], 3 * 24);       /* logons of days 0..2 */
    CHECK_INT(r.count, 10 * 24);
    ipl_purge_report_release(&r);
    o.dry_run = 0;
    CHECK_INT(ipl_purge_run(st, &o, &r, NULL), IPL_OK);
    CHECK_INT(r.count, 10 * 24);
    CHECK_STR(r.action, "retention apply");
    ipl_purge_report_release(&r);
    ipl_rtxn *t;
    ipl_store_stats s;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, NULL), IPL_OK);
    CHECK_INT(s.events, 480 - 240 + 1);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    free(crit);
    ipl_policy_free(p);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    RUN(test_errors);
    RUN(test_match);
    RUN(test_apply);
    return check_summary();
}
