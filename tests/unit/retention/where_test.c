/* tests/unit/retention/where_test.c — --where for purges, holds and exports (retention/where.c):
 * a query of the query language becomes the set of event seqs it selects. Checked: the query must
 * return events (first column seq) and says so otherwise; syntax errors point at the line and
 * column; relative times count from the caller's `now`; the set holds exactly the seqs the query
 * returns, each once, bounded by the snapshot's last seq; a failed run leaves nothing allocated.
 */
#include "tests/unit/queries/ql_small.h"

#include "retention/retention_int.h"

static const tev evs[] = {
    {"2024-01-01T10:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.1", NULL, NULL, "a", NULL, NULL},   /* 1 */
    {"2024-01-01T12:00:00Z", IPL_K_LEASE_RENEW, "10.0.0.1", NULL, NULL, "a", NULL, NULL},    /* 2 */
    {"2024-01-02T09:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.1.7", NULL, NULL, "b", NULL, NULL},   /* 3 */
    {"2024-01-02T10:00:00Z", IPL_K_LOGON, "10.0.1.7", NULL, NULL, "b", "D\\u1", NULL},       /* 4 */
    {"2024-01-05T00:00:00Z", IPL_K_LEASE_RELEASE, "10.0.0.1", NULL, NULL, "a", NULL, NULL},  /* 5 */
};

static int64_t at(const char *t)
{
    int64_t v = 0;
    ipl_time_parse(t, strlen(t), NULL, &v, NULL);
    return v;
}

/* The seqs in the set, as "1,2,5" (and the count must agree). */
static const char *seqs_of(const char *text, int64_t now)
{
    ipl_rtxn *t = NULL;
    ipl_seqset s;
    ipl_diag d = {0};
    outlen = 0;
    out[0] = '\0';
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_where_run(t, text, now, &s, &d);
    ipl_rtxn_end(t);
    if (err) {
        CHECK(s.bits == NULL && s.count == 0);
        snprintf(out, sizeof out, "error: %s", d.msg);
        return out;
    }
    CHECK_INT(s.limit, 5);
    uint64_t n = 0;
    for (uint64_t q = 0; q <= s.limit + 8 && q < 64; q++)
        if (ipl_seqset_has(&s, q)) {
            outlen += (size_t)snprintf(out + outlen, sizeof out - outlen, "%s%llu", n ? "," : "",
                                       (unsigned long long)q);
            n++;
        }
    CHECK_INT(n, s.count);
    ipl_seqset_release(&s);
    CHECK(s.bits == NULL);
    return out;
}

static void test_check(void)
{
    ipl_diag d = {0};
    int64_t now = at("2024-01-06T00:00:00Z");
    CHECK_INT(ipl_where_check("events where ip in 10.0.0.0/24", now, &d), IPL_OK);
    CHECK_INT(ipl_where_check("leases where host = \"b\"", now, &d), IPL_OK);
    CHECK_INT(ipl_where_check("events | count by host", now, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "the query must return events (its first column is seq), not "
                        "'events | count by host'") != NULL);
    CHECK(ipl_where_check("events where ip = ", now, &d) != IPL_OK);
    CHECK(strstr(d.msg, "--where") != NULL && strstr(d.msg, "1:") != NULL);
    CHECK(ipl_where_check("events where nosuchfield = 1", now, &d) != IPL_OK);
    CHECK(strstr(d.msg, "nosuchfield") != NULL);
}

static void test_run(void)
{
    int64_t now = at("2024-01-06T00:00:00Z");
    CHECK_STR(seqs_of("events where ip in 10.0.0.0/24", now), "1,2,5");
    CHECK_STR(seqs_of("events where host = \"b\"", now), "3,4");
    CHECK_STR(seqs_of("events where kind = lease.assign or kind = logon", now), "1,3,4");
    CHECK_STR(seqs_of("events where ip = 10.9.9.9", now), "");
    /* relative times count from `now`: the same text selects by the caller's instant */
    CHECK_STR(seqs_of("events since -2d", now), "5");
    CHECK_STR(seqs_of("events since -1d", at("2024-01-03T00:00:00Z")), "3,4,5");
    CHECK_STR(seqs_of("events since -2d", at("2024-01-03T00:00:00Z")), "1,2,3,4,5");
    CHECK_STR(seqs_of("events | count", now), "error: --where: the query must return events (its "
                                              "first column is seq), not 'events | count'");
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-rwhere-XXXXXX");
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d) ||
        commit_events(evs, sizeof evs / sizeof evs[0], &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    RUN(test_check);
    RUN(test_run);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
