/* tools/cli/cmd_ql.c — `ipledger query`: runs a query of the query language (queries/ql.h,
 * docs/query-language.md) and prints its rows as a table, JSON, NDJSON or CSV.
 *
 *   ipledger query 'logons where user like "CONTOSO\adm*" since -30d | count by host'
 *   ipledger query --explain 'leases where ip in 10.72.144.0/22 | count by host'
 *   ipledger query --file report.iql --param ip=10.1.2.3      (or the query on stdin)
 *
 * Exit status: 0 rows written (also none), 2 the query or an option is wrong (the message points
 * at the line and column), 1 the store or a limit failed while running.
 */
#include "tools/cli/cli.h"
#include "engine/err.h"
#include "queries/ql.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct qlout {
    ipl_out *out;
} qlout;

static int ql_row(void *ctx, const char *const *vals)
{
    qlout *o = ctx;
    return ipl_out_row(o->out, vals);
}

static int print_name(void *ctx, const char *name, const char *type)
{
    printf("  %-20s %s\n", name, type);
    (void)ctx;
    return 0;
}

/* Reads a query file (or stdin for "-"), at most one byte past the length limit so that the
 * compiler reports an over-long query with its own message. */
static int read_query(const char *path, char **text, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = IPL_QL_MAX_TEXT + 2, n = 0;
    char *buf = malloc(cap);
    int rc = 0;
    if (!f || !buf) {
        rc = cli_fail("query", 2, "cannot read '%s': %s", path, f ? "out of memory" : "cannot open it");
        goto out;
    }
    while (n < cap - 1) {
        size_t k = fread(buf + n, 1, cap - 1 - n, f);
        if (k == 0)
            break;
        n += k;
    }
    if (ferror(f)) {
        rc = cli_fail("query", 2, "cannot read '%s'", path);
        goto out;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
out:
    if (f && f != stdin)
        fclose(f);
    free(buf);
    return rc;
}

/* "256M", "1G", "65536" (bytes). */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30, end++;
    if (*end == 'i' && mul > 1)
        end++;
    if (*end == 'B')
        end++;
    if (*end || v == 0 || v > (1ULL << 44) / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

static int wout(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? (int)n : -1;
}

static int discard(void *ctx, const char *const *vals)
{
    (void)ctx;
    (void)vals;
    return 0;
}

int cmd_query(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, CLI_FORMAT_OPT,
        {"explain", 0, "run the query and print its plan with estimated and actual rows", NULL, {0}, 0},
        {"file", 1, "FILE  read the query from FILE ('-': standard input)", NULL, {0}, 0},
        {"param", 1, "NAME=VALUE  a value for $NAME in the query (repeatable)", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of times written without an offset (default UTC)", NULL, {0}, 0},
        {"now", 1, "T  the instant relative times count from (default: the clock)", NULL, {0}, 0},
        {"max-memory", 1, "SIZE  memory for sort and grouping stages (default 256M)", NULL, {0}, 0},
        {"fields", 0, "list the fields of events and of track rows, and the sources", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("query",
                      "ipledger query [--format table|json|ndjson|csv] [--explain] [--param NAME=VALUE]... "
                      "[--tz ZONE] [--now T] ('QUERY' | --file FILE | < FILE)\n\n"
                      "  e.g. ipledger query 'logons where user like \"CONTOSO\\adm*\" since -30d | count by host'\n"
                      "  the language: docs/query-language.md",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (ipl_arg_flag(&a, "fields")) {
        printf("sources:\n");
        ipl_ql_sources(print_name, NULL);
        printf("\nfields of events (and every kind family):\n");
        ipl_ql_fields(0, print_name, NULL);
        printf("\nfields of track rows:\n");
        ipl_ql_fields(1, print_name, NULL);
        printf("\nfields of quarantine rows:\n");
        ipl_ql_fields(2, print_name, NULL);
        printf("\nfields of utilization rows:\n");
        ipl_ql_fields(3, print_name, NULL);
        return 0;
    }
    ipl_out_format f;
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    char *text = NULL;
    size_t len = 0;
    ipl_ql_param params[IPL_QL_MAX_PARAMS];
    size_t nparams = 0;
    ipl_ql *q = NULL;
    ipl_store *st = NULL;
    ipl_rtxn *t = NULL;
    qlout o = {0};
    ipl_ql_opts qo;
    memset(&qo, 0, sizeof qo);
    if ((rc = cli_out_format("query", &a, &f)))
        goto out;
    const char *file = ipl_arg(&a, "file");
    if (file && a.npos) {
        rc = cli_fail("query", 2, "give the query as an argument or with --file, not both");
        goto out;
    }
    if (file || (!a.npos && !isatty(0))) {
        if ((rc = read_query(file ? file : "-", &text, &len)))
            goto out;
        qo.name = file && strcmp(file, "-") != 0 ? file : "query";
    } else if (a.npos) {
        size_t cap = 1;
        for (int i = 0; i < a.npos; i++)
            cap += strlen(a.pos[i]) + 1;
        if (!(text = malloc(cap))) {
            rc = cli_fail("query", 1, "out of memory");
            goto out;
        }
        for (int i = 0; i < a.npos; i++) {       /* words of an unquoted query, one space apart */
            size_t n = strlen(a.pos[i]);
            if (i)
                text[len++] = ' ';
            memcpy(text + len, a.pos[i], n);
            len += n;
        }
        text[len] = '\0';
    } else {
        rc = cli_fail("query", 2, "give a query, e.g. ipledger query 'leases since -1d | count by "
                                  "host' (see 'ipledger query -h')");
        goto out;
    }
    const ipl_opt *po = NULL;
    for (size_t i = 0; i < a.nopts; i++)
        if (strcmp(opts[i].name, "param") == 0)
            po = &opts[i];
    if (po && po->count > (int)(sizeof po->values / sizeof po->values[0])) {
        rc = cli_fail("query", 2, "--param: at most %zu parameters",
                      sizeof po->values / sizeof po->values[0]);
        goto out;
    }
    for (int i = 0; po && i < po->count; i++) {
        const char *eq = strchr(po->values[i], '=');
        if (!eq || eq == po->values[i]) {
            rc = cli_fail("query", 2, "--param: '%s' is not NAME=VALUE", po->values[i]);
            goto out;
        }
        char *name = strndup(po->values[i], (size_t)(eq - po->values[i]));
        if (!name) {
            rc = cli_fail("query", 1, "out of memory");
            goto out;
        }
        params[nparams].name = name;
        params[nparams++].value = eq + 1;
    }
    const char *tzname = ipl_arg(&a, "tz");
    if (tzname && ipl_tz_load(&tz, tzname, &d)) {
        rc = cli_fail("query", 2, "--tz: %s", d.msg);
        goto out;
    }
    if (ipl_arg(&a, "now")) {
        if ((rc = cli_time("query", "now", ipl_arg(&a, "now"), tz, &qo.now)))
            goto out;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        qo.now = (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
    }
    if (ipl_arg(&a, "max-memory") && parse_size(ipl_arg(&a, "max-memory"), &qo.max_memory)) {
        rc = cli_fail("query", 2, "--max-memory: '%s' is not a size like 512M or 2G",
                      ipl_arg(&a, "max-memory"));
        goto out;
    }
    qo.tz = tz;
    qo.params = params;
    qo.nparams = nparams;
    if (ipl_ql_compile(&q, text, len, &qo, &d)) {
        rc = cli_fail("query", 2, "%s", d.msg);
        goto out;
    }
    if ((rc = cli_open_store("query", &a, IPL_STORE_RDONLY, &st)))
        goto out;
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_ql_prepare(q, t, &d);
    if (!err && ipl_arg_flag(&a, "explain")) {
        err = ipl_ql_run(q, t, 0, discard, NULL, &d);
        if (!err && ipl_ql_explain(q, wout, NULL))
            err = ipl_diag_set(&d, IPL_EIO, "cannot write the plan");
    } else if (!err) {
        size_t ncols;
        const ipl_col *cols = ipl_ql_cols(q, &ncols);
        if ((err = ipl_out_new(&o.out, f, cols, ncols, cli_write_stdout, NULL)))
            ipl_diag_set(&d, err, "out of memory");
        if (!err)
            err = ipl_ql_run(q, t, f == IPL_OUT_JSON || f == IPL_OUT_NDJSON, ql_row, &o, &d);
        /* a failed query does not end its output as if it were complete (no closing ']') */
        int e2 = !err && o.out ? ipl_out_end(o.out) : IPL_OK;
        if (!err && e2)
            err = ipl_diag_set(&d, e2, "cannot write the results");
    }
    if (err)
        rc = cli_fail("query", err == IPL_EINVAL || err == IPL_EPARSE ? 2 : 1, "%s",
                      d.msg[0] ? d.msg : ipl_strerror(err));
out:
    ipl_out_free(o.out);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    ipl_ql_free(q);
    ipl_tz_free(tz);
    for (size_t i = 0; i < nparams; i++)
        free((char *)params[i].name);
    free(text);
    return rc;
}
