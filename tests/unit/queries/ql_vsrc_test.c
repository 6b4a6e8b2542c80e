/* tests/unit/queries/ql_vsrc_test.c — the query language's quarantine and utilization sources
 * (queries/ql_vsrc.c) on the scripted Contoso store (ql_fixture.h) with quarantined lines and an
 * address space added: rows, the where clause, stages, `every`, the window and their errors. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"
#include "tests/unit/queries/ql_fixture.h"

#include "engine/err.h"
#include "queries/asm.h"
#include "queries/ql.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];
static ipl_store *st;
static char out[8192];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static int row(void *ctx, const char *const *vals)
{
    size_t *n = ctx, len = strlen(out);
    for (size_t i = 0; i < *n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "|" : "",
                                vals[i] ? vals[i] : "");
    snprintf(out + len, sizeof out - len, "\n");
    return IPL_OK;
}

/* The rows of query text as "a|b\n" lines, or "error: message". */
static const char *run(const char *text)
{
    ipl_ql *q = NULL;
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_ql_opts o;
    memset(&o, 0, sizeof o);
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &o.now, NULL);
    out[0] = '\0';
    int err = ipl_ql_compile(&q, text, strlen(text), &o, &d);
    size_t n = 0;
    if (!err) {
        ipl_ql_cols(q, &n);
        err = ipl_rtxn_begin(st, &t, &d);
    }
    if (!err)
        err = ipl_ql_run(q, t, 0, row, &n, &d);
    if (err)
        snprintf(out, sizeof out, "error: %s", d.msg);
    ipl_rtxn_end(t);
    ipl_ql_free(q);
    return out;
}

static void test_quarantine(void)
{
    CHECK_STR(run("quarantine | count by source"), "file:/var/log/a.log|2\nfile:/var/log/b.log|1\n");
    CHECK_STR(run("quarantine where line > 1 | fields source, line, offset, reason, raw"),
              "file:/var/log/a.log|7|120|no timestamp|garbage, \"quoted\"\n"
              "file:/var/log/b.log|3|40|too long|xyz\n");
    CHECK_STR(run("quarantine where reason like \"no *\" | count"), "2\n");
    /* the window is the ingest time: everything was ingested after 2024 */
    CHECK_STR(run("quarantine until 2024-01-01 | count"), "0\n");
    CHECK_STR(run("quarantine since 2024-01-01 | count"), "3\n");
    CHECK(strstr(run("quarantine where kind = logon"), "error: query:1:18: unknown field 'kind'") != NULL);
}

static void test_utilization(void)
{
    /* at the end of the window: 10.72.144.21 leased (7 May 08:01) in the range of 50 */
    CHECK_STR(run("utilization until 2024-05-07T12:00:00Z | fields type, object, size, used, leased, pct, state"),
              "block|10.72.0.0/16|50|1|1|2.00|low\n"
              "subnet|10.72.144.0/22|50|1|1|2.00|low\n"
              "range|10.72.144.1-10.72.144.50|50|1|1|2.00|low\n");
    /* every day: 5 May nothing, 6 May noon 10.72.144.20, 7 May noon 10.72.144.21 */
    CHECK_STR(run("utilization every 1d since 2024-05-05T12:00:00Z until 2024-05-07T12:00:00Z "
                  "where type = range | fields time, leased, pct"),
              "2024-05-05T12:00:00Z|0|0.00\n2024-05-06T12:00:00Z|1|2.00\n2024-05-07T12:00:00Z|1|2.00\n");
    /* numeric comparison of the percent, thresholds of the object, stages */
    CHECK_STR(run("utilization until 2024-05-07T12:00:00Z where pct > 1.5 and type != block | count"), "2\n");
    CHECK_STR(run("utilization until 2024-05-07T12:00:00Z where state = low | count by type"),
              "block|1\nrange|1\nsubnet|1\n");
    CHECK_STR(run("utilization every 1d since 2024-05-05T12:00:00Z until 2024-05-07T12:00:00Z | "
                  "timeline 1d | fields time, count"),
              "2024-05-05T00:00:00Z|3\n2024-05-06T00:00:00Z|3\n2024-05-07T00:00:00Z|3\n");
    CHECK(strstr(run("utilization every 1d"), "needs a start: add since T") != NULL);
    CHECK(strstr(run("utilization every 0d since -1d"), "expected a step like 1h, 1d or 1w after 'every'") != NULL);
    CHECK(strstr(run("utilization every 1s since 2024-01-01 until 2024-05-01"), "more than 10000 steps") != NULL);
}

static int name_cat(void *ctx, const char *name, const char *type)
{
    char *b = ctx;
    size_t n = strlen(b);
    snprintf(b + n, 512 - n, "%s%s:%s", n ? " " : "", name, type);
    return 0;
}

static void test_fields(void)
{
    char b[512] = "";
    ipl_ql_fields(2, name_cat, b);
    CHECK_STR(b, "qseq:number time:time source:string line:number offset:number reason:string "
                 "raw:string");
    b[0] = '\0';
    ipl_ql_fields(3, name_cat, b);
    CHECK_STR(b, "time:time type:string space:string object:string size:attribute "
                 "used:attribute leased:number pct:attribute low:attribute high:attribute "
                 "state:string");
    b[0] = '\0';
    ipl_ql_sources(name_cat, b);
    CHECK(strstr(b, "quarantine:") && strstr(b, "utilization:[every STEP]"));
}

static int64_t fixed_clock(void)
{
    int64_t t = 0;
    ipl_time_parse("2024-05-08T00:00:00Z", 20, NULL, &t, NULL);
    return t;
}

int main(void)
{
    ipl_diag d = {0};
    ipl_batch *b = NULL;
    snprintf(dir, sizeof dir, "/tmp/ipl-ql-vsrc-XXXXXX");
    if (!mkdtemp(dir) || ql_fixture_build(dir, &d) || ipl_store_open(&st, dir, 0, &d) ||
        ipl_batch_new(&b) ||
        ipl_batch_quarantine(b, "file:/var/log/a.log", 1, 0, "no timestamp", "x", 1, &d) ||
        ipl_batch_quarantine(b, "file:/var/log/a.log", 7, 120, "no timestamp",
                             "garbage, \"quoted\"", 17, &d) ||
        ipl_batch_quarantine(b, "file:/var/log/b.log", 3, 40, "too long", "xyz", 3, &d) ||
        ipl_store_commit(st, b, NULL, &d)) {
        fprintf(stderr, "fixture: %s\n", d.msg);
        return 1;
    }
    ipl_batch_free(b);
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    actor.clock = fixed_clock;
    ipl_asm_change ch[] = {
        {IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "10.72.0.0/16", NULL, 0, 0},
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.72.144.0/22", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.72.144.1-10.72.144.50", NULL, 0, 0},
    };
    if (ipl_asm_apply(st, &actor, ch, 3, NULL, &d)) {
        fprintf(stderr, "asm: %s\n", d.msg);
        return 1;
    }
    RUN(test_quarantine);
    RUN(test_utilization);
    RUN(test_fields);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
