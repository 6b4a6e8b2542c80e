/* tools/cli/cmd_report.c — `ipledger report`: compliance reports (queries/report.h,
 * docs/reports.md) as self-contained HTML, CSV or JSON.
 *
 *   ipledger report list
 *   ipledger report tracking --ip 10.1.2.3 --from 2024-05-01 --to 2024-05-31 --out r.html
 *   ipledger report changes --from -365d --format csv
 *   ipledger report changes --at-seq 81234 --now 2024-06-01T00:00:00Z ...   (regenerate)
 *
 * Exit status: 0 written, 2 an option, parameter or query is wrong, 1 the store, a limit or the
 * output failed. With --out the file appears complete or not at all (written aside, renamed).
 */
#include "tools/cli/cli.h"
#include "engine/err.h"
#include "queries/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int report_list(void)
{
    for (size_t i = 0; i < ipl_report_count(); i++) {
        const ipl_report_def *r = ipl_report_at(i);
        printf("%s — %s\n  %s\n", r->name, r->title, r->about);
        printf("  parameters: $from (default %s), $to (default now)%s%s%s\n", r->default_from,
               r->subjects ? "; exactly one of " : "", r->subjects ? r->subjects : "",
               r->subjects ? " (--ip, --mac, --host, --user)" : "");
        for (size_t j = 0; j < r->nsections; j++) {
            const ipl_report_section *s = &r->sections[j];
            printf("  %2zu. %s [%s%s]%s%s%s\n      %s%s%s\n", j + 1, s->title,
                   ipl_report_view_name(s->view), s->filterable ? ", --where" : "",
                   s->needs ? " (with $" : "",
                   s->needs ? s->needs : "", s->needs ? ")" : "", s->source, *s->stages ? " " : "",
                   s->stages);
        }
        printf("\n");
    }
    return 0;
}

typedef struct fout {
    FILE *f;
} fout;

static int fwrite_fn(void *ctx, const char *buf, size_t n)
{
    fout *o = ctx;
    return fwrite(buf, 1, n, o->f) == n ? (int)n : -1;
}

int cmd_report(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"format", 1, "FMT  html (default), csv or json", NULL, {0}, 0},
        {"out", 1, "FILE  write the report to FILE (complete or not at all) instead of stdout", NULL, {0}, 0},
        {"from", 1, "T  start of the period ($from; default per report, e.g. -30d)", NULL, {0}, 0},
        {"to", 1, "T  end of the period ($to; default now)", NULL, {0}, 0},
        {"ip", 1, "ADDR  subject of the tracking report ($ip)", NULL, {0}, 0},
        {"mac", 1, "MAC  subject of the tracking report ($mac)", NULL, {0}, 0},
        {"host", 1, "NAME  subject of the tracking report ($host)", NULL, {0}, 0},
        {"user", 1, "USER  subject of the tracking report ($user)", NULL, {0}, 0},
        {"where", 1, "FILTER  a query-language filter added to every filterable section", NULL, {0}, 0},
        {"param", 1, "NAME=VALUE  a value for $NAME (repeatable)", NULL, {0}, 0},
        {"now", 1, "T  generated-at, and what relative times count from (default: the clock)", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of times written without an offset (default UTC)", NULL, {0}, 0},
        {"at-seq", 1, "N  refuse unless the store is at event N (regenerating a report)", NULL, {0}, 0},
        {"html-rows", 1, "N  rows of a section shown in HTML (default 200; CSV and JSON have all)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("report",
                      "ipledger report list\n"
                      "       ipledger report NAME [--from T] [--to T] [--ip|--mac|--host|--user X] "
                      "[--where FILTER] [--param NAME=VALUE]... [--format html|csv|json] [--out FILE] "
                      "[--now T] [--tz ZONE] [--at-seq N]\n\n"
                      "  reports: tracking, changes, logons, utilization, retention, quality "
                      "(docs/reports.md)",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos == 1 && strcmp(a.pos[0], "list") == 0)
        return report_list();
    if (a.npos != 1)
        return cli_fail("report", 2, "give one report name (see 'ipledger report list')");
    const ipl_report_def *def = ipl_report_find(a.pos[0]);
    if (!def)
        return cli_fail("report", 2, "unknown report '%s' (see 'ipledger report list')", a.pos[0]);

    ipl_report_format fmt = IPL_RF_HTML;
    ipl_report_opts ro;
    ipl_ql_param params[IPL_QL_MAX_PARAMS + 8];
    char *names[IPL_QL_MAX_PARAMS] = {0};
    size_t np = 0, nnames = 0;
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    ipl_store *st = NULL;
    ipl_rtxn *t = NULL;
    ipl_report *r = NULL;
    FILE *f = NULL;
    char *tmp = NULL;
    const char *out = ipl_arg(&a, "out");
    memset(&ro, 0, sizeof ro);
    if (ipl_arg(&a, "format") && ipl_report_format_parse(ipl_arg(&a, "format"), &fmt)) {
        rc = cli_fail("report", 2, "--format: '%s' is not html, csv or json", ipl_arg(&a, "format"));
        goto out;
    }
    static const char *const direct[] = {"from", "to", "ip", "mac", "host", "user"};
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
        if (ipl_arg(&a, direct[i]))
            params[np++] = (ipl_ql_param){direct[i], ipl_arg(&a, direct[i])};
    const ipl_opt *po = NULL;
    for (size_t i = 0; i < a.nopts; i++)
        if (strcmp(opts[i].name, "param") == 0)
            po = &opts[i];
    if (po->count > IPL_QL_MAX_PARAMS - 6) {
        rc = cli_fail("report", 2, "--param: at most %d parameters", IPL_QL_MAX_PARAMS - 6);
        goto out;
    }
    for (int i = 0; i < po->count; i++) {
        const char *eq = strchr(po->values[i], '=');
        if (!eq || eq == po->values[i]) {
            rc = cli_fail("report", 2, "--param: '%s' is not NAME=VALUE", po->values[i]);
            goto out;
        }
        if (!(names[nnames] = strndup(po->values[i], (size_t)(eq - po->values[i])))) {
            rc = cli_fail("report", 1, "out of memory");
            goto out;
        }
        params[np++] = (ipl_ql_param){names[nnames++], eq + 1};
    }
    const char *tzname = ipl_arg(&a, "tz");
    if (tzname && ipl_tz_load(&tz, tzname, &d)) {
        rc = cli_fail("report", 2, "--tz: %s", d.msg);
        goto out;
    }
    if (ipl_arg(&a, "now")) {
        if ((rc = cli_time("report", "now", ipl_arg(&a, "now"), tz, &ro.now)))
            goto out;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ro.now = (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
    }
    if (ipl_arg(&a, "at-seq")) {
        char *end;
        errno = 0;
        ro.at_seq = strtoull(ipl_arg(&a, "at-seq"), &end, 10);
        if (*end || end == ipl_arg(&a, "at-seq") || errno || ro.at_seq == 0) {
            rc = cli_fail("report", 2, "--at-seq: '%s' is not an event number", ipl_arg(&a, "at-seq"));
            goto out;
        }
    }
    if (ipl_arg(&a, "html-rows")) {
        char *end;
        unsigned long v = strtoul(ipl_arg(&a, "html-rows"), &end, 10);
        if (*end || end == ipl_arg(&a, "html-rows") || v == 0 || v > 1000000) {
            rc = cli_fail("report", 2, "--html-rows: '%s' is not a number from 1 to 1000000",
                          ipl_arg(&a, "html-rows"));
            goto out;
        }
        ro.html_rows = v;
    }
    ro.tz = tz;
    ro.tz_name = tzname;
    ro.params = params;
    ro.nparams = np;
    ro.where = ipl_arg(&a, "where");
    if ((rc = cli_open_store("report", &a, IPL_STORE_RDONLY, &st)))
        goto out;
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_report_run(&r, def, t, &ro, &d);
    ipl_rtxn_end(t);
    t = NULL;
    if (err) {
        rc = cli_fail("report", err == IPL_EINVAL || err == IPL_EPARSE ? 2 : 1, "%s",
                      d.msg[0] ? d.msg : ipl_strerror(err));
        goto out;
    }
    if (out) {
        size_t n = strlen(out) + 32;
        if (!(tmp = malloc(n))) {
            rc = cli_fail("report", 1, "out of memory");
            goto out;
        }
        snprintf(tmp, n, "%s.tmp.%ld", out, (long)getpid());
        if (!(f = fopen(tmp, "wb"))) {
            rc = cli_fail("report", 1, "cannot write '%s': %s", tmp, strerror(errno));
            goto out;
        }
    }
    fout fo = {f ? f : stdout};
    err = ipl_report_render(r, fmt, fwrite_fn, &fo);
    if (!err && fflush(fo.f))
        err = IPL_EIO;
    if (f) {
        if (fclose(f) && !err)
            err = IPL_EIO;
        f = NULL;
        if (!err && rename(tmp, out)) {
            rc = cli_fail("report", 1, "cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
            goto out;
        }
    }
    if (err)
        rc = cli_fail("report", 1, "cannot write the report to %s", out ? out : "standard output");
out:
    if (f)
        fclose(f);
    if (tmp && rc)
        unlink(tmp);
    free(tmp);
    ipl_report_free(r);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    ipl_tz_free(tz);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    return rc;
}
