/* tests/unit/queries/ql_stage_test.c — ql_stage.c on its own: each pipeline stage on a six-event
 * store committed in two batches (log order differs from time order): sort (stability,
 * direction, case folding, missing values last), limit/offset, count, count by and top (most
 * first, ties by key, case-folded groups), distinct, first/last (time then seq; arrival order on
 * value rows), timeline buckets, and the memory-limit error of every holding stage. */
#include "tests/unit/queries/ql_small.h"

/* Two batches, so log order (seq) is not time order. Hosts A/a and b/B differ only in case;
 * seq 1 and 5 share a time. */
static const tev batch1[] = {
    {"2024-01-01T10:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.1", NULL, NULL, "A", NULL, "code=10"},
    {"2024-01-01T12:00:00Z", IPL_K_LEASE_RENEW, "10.0.0.2", NULL, NULL, "b", NULL, "code=11"},
    {"2024-01-02T09:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.3", NULL, NULL, "a", NULL, "code=10"},
};
static const tev batch2[] = {
    {"2024-01-01T08:00:00Z", IPL_K_LOGON, NULL, NULL, NULL, "B", "D\\u1", "code=4624"},
    {"2024-01-01T10:00:00Z", IPL_K_LOGON, NULL, NULL, NULL, "c", "D\\u2", "code=4624"},
    {"2024-01-03T00:00:00Z", IPL_K_LOGON, NULL, NULL, NULL, NULL, "D\\u1", "code=4625"},
};

static void test_sort(void)
{
    Q("events | sort code desc | fields seq, code", "6,4625\n4,4624\n5,4624\n2,11\n1,10\n3,10\n");
    Q("events | sort code | fields seq", "1\n3\n2\n4\n5\n6\n");     /* stable: ties in input order */
    Q("events | sort time | fields seq", "4\n1\n5\n2\n3\n6\n");
    /* host folds case; missing values last in both directions; ties stay in input order */
    Q("events | sort seq | sort host | fields seq, host", "1,A\n3,a\n2,b\n4,B\n5,c\n6,-\n");
    Q("events | sort seq desc | sort host | fields seq", "3\n1\n4\n2\n5\n6\n");
    Q("events | sort seq | sort host desc | fields seq", "5\n2\n4\n1\n3\n6\n");
    Q("events | sort kind, seq desc | fields seq", "3\n1\n2\n6\n5\n4\n");
    Q("events | fields seq, user as u | sort u desc, seq | fields seq", "5\n4\n6\n1\n2\n3\n");
    Q("events where seq > 100 | sort host", "");
}

static void test_limit_offset(void)
{
    Q("events | sort seq | limit 2 offset 1 | fields seq", "2\n3\n");
    Q("events | sort seq | limit 2 | fields seq", "1\n2\n");
    Q("events | sort seq desc | limit 1 | fields seq", "6\n");
    Q("events | sort seq | offset 4 | fields seq", "5\n6\n");
    Q("events | sort seq | offset 10 | fields seq", "");
    Q("events | limit 0 | count", "0\n");
    Q("events | sort seq | limit 3 | limit 1 offset 1 | fields seq", "2\n");
    Q("events | sort seq | limit 100 | count", "6\n");
}

static void test_count_top(void)
{
    QH("events | count", "count\n6\n");
    Q("events where seq > 100 | count", "0\n");
    /* most first, ties by the key; host groups fold case (shown: the first spelling on a tie) */
    {   /* which spelling a tie shows is not specified: compare folded */
        char lc[64];
        snprintf(lc, sizeof lc, "%s", runh("events | count by host"));
        for (char *p = lc; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        CHECK_STR(lc, "host,count\na,2\nb,2\nc,1\n-,1\n");
    }
    Q("events | count by code", "10,2\n4624,2\n11,1\n4625,1\n");
    Q("events | count by kind, code", "lease.assign,10,2\nlogon,4624,2\nlease.renew,11,1\nlogon,4625,1\n");
    Q("events where seq > 100 | count by host", "");
    QH("events | top 1 by code", "code,count\n10,2\n");
    Q("events | top 3 by user", "-,3\nD\\u1,2\nD\\u2,1\n");
    Q("events | top 0 by code", "");
    Q("events | top 10 by kind", "logon,3\nlease.assign,2\nlease.renew,1\n");
    Q("events | count by code | count", "4\n");
}

static void test_distinct(void)
{
    Q("events | sort seq | distinct kind", "lease.assign\nlease.renew\nlogon\n");
    Q("events | sort seq | distinct host", "A\nb\nc\n-\n");     /* case folded, first spelling */
    Q("events | sort seq | distinct kind, code", "lease.assign,10\nlease.renew,11\nlogon,4624\nlogon,4625\n");
    Q("events | sort seq desc | distinct code | limit 2", "4625\n4624\n");
}

static void test_first_last(void)
{
    /* per group: the earliest (latest) row by time, then seq */
    Q("events | first by kind | sort seq | fields kind, seq", "lease.assign,1\nlease.renew,2\nlogon,4\n");
    Q("events | last by kind | sort seq | fields kind, seq", "lease.renew,2\nlease.assign,3\nlogon,6\n");
    Q("events | first | fields seq", "4\n");
    Q("events | last | fields seq", "6\n");
    Q("events where time = 2024-01-01T10:00:00Z | first | fields seq", "1\n");   /* tie: lower seq */
    Q("events where time = 2024-01-01T10:00:00Z | last | fields seq", "5\n");
    Q("events where seq > 100 | first", "");
    /* value rows: arrival order decides */
    Q("events | sort seq desc | fields seq, code | first by code | sort seq | fields seq", "2\n3\n5\n6\n");
    Q("events | sort seq desc | fields seq, code | last by code | sort seq | fields seq", "1\n2\n4\n6\n");
}

static void test_timeline(void)
{
    QH("events | timeline 1d", "time,count\n2024-01-01T00:00:00Z,4\n2024-01-02T00:00:00Z,1\n"
                               "2024-01-03T00:00:00Z,1\n");
    Q("events | timeline 6h", "2024-01-01T06:00:00Z,3\n2024-01-01T12:00:00Z,1\n"
                              "2024-01-02T06:00:00Z,1\n2024-01-03T00:00:00Z,1\n");
    Q("events | timeline 1d by kind",
      "2024-01-01T00:00:00Z,lease.assign,1\n2024-01-01T00:00:00Z,lease.renew,1\n"
      "2024-01-01T00:00:00Z,logon,2\n2024-01-02T00:00:00Z,lease.assign,1\n2024-01-03T00:00:00Z,logon,1\n");
    Q("events | timeline 1w", "2023-12-28T00:00:00Z,6\n");     /* multiples of 1w since 1970 (a Thursday) */
    Q("events where seq > 100 | timeline 1d", "");
}

static void test_memory_limit(void)
{
    qopt x;
    memset(&x, 0, sizeof x);
    x.max_memory = 64;
    CHECK_STR(runo("events | sort host", &x),
              "error: query:1:10: sort: the rows to sort need more than 64 bytes (the query's memory "
              "limit); narrow the query or sort fewer rows (limit before sort)\n"
              "  events | sort host\n"
              "           ^");
    CHECK_STR(runo("events | where seq > 0 | top 1 by code", &x),
              "error: query:1:26: top: the groups need more than 64 bytes (the query's memory "
              "limit); narrow the query or group by fewer fields\n"
              "  events | where seq > 0 | top 1 by code\n"
              "                           ^");
    CHECK(strstr(runo("events | first by code", &x),
                 "first: the groups need more than 64 bytes") != NULL);
    CHECK(strstr(runo("events | last by code", &x), "last: the groups need more than 64 bytes") != NULL);
    CHECK(strstr(runo("events | count by code", &x), "count by: the groups need more than 64 bytes") != NULL);
    CHECK(strstr(runo("events | distinct code", &x), "distinct: the values seen need more than 64 bytes") != NULL);
    CHECK(strstr(runo("events | timeline 1h by code", &x), "timeline: the buckets need more than 64 bytes") != NULL);
    /* streaming stages hold nothing */
    CHECK_STR(runo("events | fields seq | where seq > 1 | limit 2 offset 1 | count", &x), "2\n");
    x.max_memory = 0;                                       /* the default */
    CHECK_STR(runo("events | sort host | count", &x), "6\n");
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-ql-stage-XXXXXX");
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d) ||
        commit_events(batch1, 3, &d) || commit_events(batch2, 3, &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    RUN(test_sort);
    RUN(test_limit_offset);
    RUN(test_count_top);
    RUN(test_distinct);
    RUN(test_first_last);
    RUN(test_timeline);
    RUN(test_memory_limit);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
