/* tools/cli/cmd_retention.c — keeping and deleting data safely: purge, retention plan/apply,
 * legal holds, verify, backup, restore, compact, export and import (docs/retention.md). */
#include "tools/cli/cli.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/ingest.h"
#include "engine/maint.h"
#include "engine/sha256.h"
#include "parsers/parser.h"
#include "queries/lookup.h"
#include "retention/audit.h"
#include "retention/hold.h"
#include "retention/policy.h"
#include "retention/purge.h"
#include "retention/storefile.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int load_zone(const char *cmd, const ipl_args *a, ipl_tz **tz)
{
    ipl_diag d = {0};
    *tz = NULL;
    const char *name = ipl_arg(a, "tz");
    if (name && ipl_tz_load(tz, name, &d))
        return cli_fail(cmd, 2, "--tz: %s", d.msg);
    return 0;
}

static int text_format(const char *cmd, const ipl_args *a, int *json)
{
    const char *f = ipl_arg(a, "format");
    *json = 0;
    if (!f || strcmp(f, "table") == 0 || strcmp(f, "text") == 0)
        return 0;
    if (strcmp(f, "json") == 0) {
        *json = 1;
        return 0;
    }
    return cli_fail(cmd, 2, "--format: '%s' is not one of text, json", f);
}

/* A --source value as the store names sources: "file:/abs/path" for a file, "file:/abs/dir/ *"
 * (every source below it) for a directory; names with a scheme ("file:", "stdin:") as given. */
static int source_pattern(const char *cmd, const char *s, char *out, size_t n)
{
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
    char real[PATH_MAX];
    struct stat sb;
    if (colon && (!slash || colon < slash)) {
        snprintf(out, n, "%s", s);
        return 0;
    }
    if (realpath(s, real)) {
        if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode))
            snprintf(out, n, "file:%s%s*", real, strcmp(real, "/") ? "/" : "");
        else
            snprintf(out, n, "file:%s", real);
        return 0;
    }
    if (s[0] == '/') {                  /* a file that is gone (rotated away): its name */
        snprintf(out, n, "file:%s", s);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return cli_fail(cmd, 2, "--source: cannot resolve '%s'", s);
    snprintf(out, n, "file:%s/%s", cwd, s);
    return 0;
}

/* --kind, --source, --after, --before into criteria (returns owned text in *json). */
static int build_criteria(const char *cmd, const ipl_args *a, const ipl_policy *pol,
                          const char *pol_sha, int need_before, int64_t to_incl, char **json)
{
    ipl_criteria_args ca;
    ipl_tz *tz;
    ipl_diag d = {0};
    char srcbuf[IPL_PURGE_PATTERNS_MAX][PATH_MAX + 16];
    const char *srcs[IPL_PURGE_PATTERNS_MAX];
    int rc;
    const ipl_opt *ko = NULL, *so = NULL;
    memset(&ca, 0, sizeof ca);
    for (size_t i = 0; i < a->nopts; i++) {
        if (strcmp(a->opts[i].name, "kind") == 0)
            ko = &a->opts[i];
        if (strcmp(a->opts[i].name, "source") == 0)
            so = &a->opts[i];
    }
    if ((ko && ko->count > IPL_PURGE_PATTERNS_MAX) || (so && so->count > IPL_PURGE_PATTERNS_MAX))
        return cli_fail(cmd, 2, "at most %d --kind and %d --source values", IPL_PURGE_PATTERNS_MAX,
                        IPL_PURGE_PATTERNS_MAX);
    ca.after = INT64_MIN;
    ca.before = INT64_MAX;
    ca.now = ipl_actor_now(NULL);
    if ((rc = load_zone(cmd, a, &tz)))
        return rc;
    const char *after = ipl_arg(a, "after"), *before = ipl_arg(a, "before");
    if ((after && (rc = cli_time(cmd, "after", after, tz, &ca.after))) ||
        (before && (rc = cli_time(cmd, "before", before, tz, &ca.before)))) {
        ipl_tz_free(tz);
        return rc;
    }
    ipl_tz_free(tz);
    if (need_before && !before && !pol)
        return cli_fail(cmd, 2, "give --before T: what is older than T goes (see -h)");
    if (!need_before && !before)
        ca.before = to_incl < INT64_MAX - 1 ? to_incl + 1 : INT64_MAX - 1;  /* export */
    if (ko) {
        ca.kinds = ko->values;
        ca.nkinds = (size_t)ko->count;
    }
    for (int i = 0; so && i < so->count; i++) {
        if ((rc = source_pattern(cmd, so->values[i], srcbuf[i], sizeof srcbuf[i])))
            return rc;
        srcs[i] = srcbuf[i];
    }
    ca.sources = srcs;
    ca.nsources = so ? (size_t)so->count : 0;
    ca.where = ipl_arg(a, "where");
    ca.policy = pol;
    ca.policy_sha256 = pol_sha;
    if (ipl_criteria_make(&ca, json, &d))
        return cli_fail(cmd, 2, "%s", d.msg);
    return 0;
}

/* ---- the purge report ---- */

static void print_time_span(FILE *f, int64_t a, int64_t b)
{
    char t1[IPL_TIME_BUF], t2[IPL_TIME_BUF];
    ipl_time_format(a, t1, sizeof t1);
    ipl_time_format(b, t2, sizeof t2);
    fprintf(f, "%s .. %s", t1, t2);
}

static void json_str(const char *s)
{
    char buf[2048];
    size_t n = strlen(s);
    if (ipl_json_escape(s, n, buf, sizeof buf) >= sizeof buf) {
        fputc('"', stdout);
        for (size_t i = 0; i < n; i += 300) {
            size_t k = n - i < 300 ? n - i : 300;
            ipl_json_escape(s + i, k, buf, sizeof buf);
            fputs(buf, stdout);
        }
        fputc('"', stdout);
        return;
    }
    printf("\"%s\"", buf);
}

static void report_json(const ipl_purge_report *r, const ipl_policy *pol)
{
    char t1[IPL_TIME_BUF], t2[IPL_TIME_BUF];
    printf("{\"action\":");
    json_str(r->action);
    printf(",\"dry_run\":%s,\"resumed\":%s,\"stopped\":%s,\"criteria\":%s,",
           r->dry_run ? "true" : "false", r->resumed ? "true" : "false",
           r->stopped ? "true" : "false", r->criteria ? r->criteria : "null");
    printf("\"count\":%llu,\"bytes\":%llu,\"bytes_estimated\":%s,\"examined\":%llu,"
           "\"protected_purge_events\":%llu,",
           (unsigned long long)r->count, (unsigned long long)r->bytes,
           r->dry_run ? "true" : "false", (unsigned long long)r->examined,
           (unsigned long long)r->protected_purge_events);
    if (r->count) {
        ipl_time_format(r->first_ts, t1, sizeof t1);
        ipl_time_format(r->last_ts, t2, sizeof t2);
        printf("\"first\":\"%s\",\"last\":\"%s\",", t1, t2);
    } else {
        printf("\"first\":null,\"last\":null,");
    }
    printf("\"kinds\":{");
    int first = 1;
    for (unsigned k = 0; k < 256; k++)
        if (r->per_kind[k]) {
            printf("%s\"%s\":%llu", first ? "" : ",", ipl_kind_name(k), (unsigned long long)r->per_kind[k]);
            first = 0;
        }
    printf("},\"sources\":{");
    for (size_t i = 0; i < r->nsources; i++) {
        printf("%s", i ? "," : "");
        json_str(r->sources[i].name);
        printf(":%llu", (unsigned long long)r->sources[i].n);
    }
    printf("},\"sources_other\":%llu,\"held_total\":%llu,\"held\":[",
           (unsigned long long)r->sources_other, (unsigned long long)r->held_total);
    for (size_t i = 0; i < r->nheld; i++) {
        printf("%s{\"id\":%u,\"hold\":", i ? "," : "", r->held[i].id);
        json_str(r->held[i].desc);
        printf(",\"count\":%llu}", (unsigned long long)r->held[i].n);
    }
    printf("]");
    if (pol && r->per_rule) {
        printf(",\"rules\":[");
        for (size_t i = 0; i < r->nrules; i++) {
            char desc[1024];
            ipl_policy_describe(pol, i, desc, sizeof desc);
            printf("%s{\"rule\":", i ? "," : "");
            json_str(desc);
            printf(",\"count\":%llu}", (unsigned long long)r->per_rule[i]);
        }
        printf("]");
    }
    if (!r->dry_run)
        printf(",\"digest\":\"%s\",\"chain_before\":\"%s\",\"chain_after\":\"%s\",\"event_seq\":%llu,"
               "\"batches\":%llu", r->digest, r->chain_before, r->chain_after,
               (unsigned long long)r->event_seq, (unsigned long long)r->batches);
    printf(",\"seconds\":%.3f,\"select_seconds\":%.3f,\"delete_seconds\":%.3f,\"reseal_seconds\":%.3f,"
           "\"max_txn_seconds\":%.3f}\n", r->seconds, r->select_seconds, r->delete_seconds,
           r->reseal_seconds, r->max_txn_seconds);
}

static void report_text(const ipl_purge_report *r, const ipl_policy *pol, int64_t now)
{
    char b1[32], b2[32];
    if (r->dry_run)
        printf("%s (dry run, nothing changed): would remove %s events", r->action,
               cli_num(r->count, b1, sizeof b1));
    else
        printf("%s%s: removed %s events", r->action, r->resumed ? " (resumed)" : "",
               cli_num(r->count, b1, sizeof b1));
    if (r->count) {
        printf(" (");
        print_time_span(stdout, r->first_ts, r->last_ts);
        printf(")");
    }
    printf("\n");
    if (r->dry_run)
        printf("  about %s bytes of event records (an estimate; the data file keeps its size: LMDB "
               "reuses the freed pages, 'ipledger compact' gives them back)\n",
               cli_num(r->bytes, b2, sizeof b2));
    else
        printf("  %s bytes of event records in %llu batches, %.2f s (%.0f events/s); the data file "
               "keeps its size: 'ipledger compact' gives the space back\n",
               cli_num(r->bytes, b2, sizeof b2), (unsigned long long)r->batches, r->seconds,
               r->seconds > 0 ? (double)r->count / r->seconds : 0.0);
    if (r->count) {
        printf("by kind:\n");
        for (unsigned k = 0; k < 256; k++)
            if (r->per_kind[k])
                printf("  %-24s %14s\n", ipl_kind_name(k), cli_num(r->per_kind[k], b1, sizeof b1));
        printf("by source:\n");
        for (size_t i = 0; i < r->nsources; i++)
            printf("  %-60s %14s\n", r->sources[i].name, cli_num(r->sources[i].n, b1, sizeof b1));
        if (r->sources_other)
            printf("  %-60s %14s\n", "(other sources)", cli_num(r->sources_other, b1, sizeof b1));
    }
    if (pol && r->per_rule) {
        printf("by policy rule (at %s):\n", (ipl_time_format(now, b2, sizeof b2), b2));
        for (size_t i = 0; i < r->nrules; i++) {
            char desc[1024], cut[IPL_TIME_BUF] = "never";
            int64_t c = ipl_policy_cutoff(pol, i, now);
            ipl_policy_describe(pol, i, desc, sizeof desc);
            if (c != INT64_MIN)
                ipl_time_format(c, cut, sizeof cut);
            printf("  %-60s before %-20s %14s\n", desc, cut, cli_num(r->per_rule[i], b1, sizeof b1));
        }
    }
    printf("kept by legal holds: %s events\n", cli_num(r->held_total, b1, sizeof b1));
    for (size_t i = 0; i < r->nheld; i++)
        printf("  %-60s %14s\n", r->held[i].desc, cli_num(r->held[i].n, b1, sizeof b1));
    if (r->protected_purge_events)
        printf("retention.purge records spared (name --kind retention.purge to remove them): %s\n",
               cli_num(r->protected_purge_events, b1, sizeof b1));
    if (!r->dry_run && !r->stopped) {
        printf("digest (SHA-256 of the removed records): %s\n", r->digest);
        printf("chain head before: %s\nchain head after re-seal: %s\n", r->chain_before, r->chain_after);
        printf("recorded as event %llu (retention.purge)\n", (unsigned long long)r->event_seq);
    }
}

static void purge_progress(void *ctx, const ipl_purge_report *r)
{
    char b1[32], b2[32];
    (void)ctx;
    fprintf(stderr, "\r%s examined, %s %s   ", cli_num(r->examined, b1, sizeof b1),
            cli_num(r->count, b2, sizeof b2), r->dry_run ? "selected" : "removed");
}

static int ask_yes(const char *question)
{
    char line[64];
    fprintf(stderr, "%s [yes/no] ", question);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return strcmp(line, "yes\n") == 0 || strcmp(line, "y\n") == 0 || strcmp(line, "YES\n") == 0;
}

/* The shared body of purge and retention apply. */
static int run_purge(const char *cmd, const ipl_args *a, const char *criteria, const ipl_policy *pol,
                     const char *action)
{
    ipl_store *st = NULL;
    ipl_purge_report r;
    ipl_purge_opts o;
    ipl_actor actor;
    ipl_diag d = {0};
    int json = 0, rc, err;
    int dry = ipl_arg_flag(a, "dry-run"), yes = ipl_arg_flag(a, "yes"),
        resume = ipl_arg_flag(a, "resume"), quiet = ipl_arg_flag(a, "quiet");
    int64_t now = ipl_actor_now(NULL);
    if ((rc = text_format(cmd, a, &json)))
        return rc;
    ipl_actor_default(&actor);
    memset(&o, 0, sizeof o);
    o.actor = &actor;
    o.action = action;
    o.reason = ipl_arg(a, "reason");
    o.stop = &stop_flag;
    if (ipl_arg(a, "batch")) {
        char *e;
        long n = strtol(ipl_arg(a, "batch"), &e, 10);
        if (*e || n < 1 || n > IPL_PURGE_SPAN_MAX)
            return cli_fail(cmd, 2, "--batch: a number from 1 to %d", IPL_PURGE_SPAN_MAX);
        o.batch = (size_t)n;
        o.fixed_batch = 1;
    }
    if (ipl_arg(a, "pause")) {
        char *e;
        long n = strtol(ipl_arg(a, "pause"), &e, 10);
        if (*e || n < 0 || n > 1000)
            return cli_fail(cmd, 2, "--pause: a percentage from 0 to 1000");
        o.pause_pct = (int)n;
    }
    if (ipl_arg(a, "crash-after"))
        o.crash_after = strtol(ipl_arg(a, "crash-after"), NULL, 10);
    if (!quiet && isatty(2) && !json)
        o.progress = purge_progress;
    if (dry) {
        if (!criteria)
            return cli_fail(cmd, 2, "--dry-run needs criteria (--resume continues what was started)");
        if ((rc = cli_open_store(cmd, a, IPL_STORE_RDONLY, &st)))
            return rc;
        o.criteria = criteria;
        o.dry_run = 1;
        err = ipl_purge_run(st, &o, &r, &d);
        if (o.progress)
            fputc('\n', stderr);
        if (!err)
            json ? report_json(&r, pol) : report_text(&r, pol, now);
        ipl_purge_report_release(&r);
        ipl_rtxn *pt;
        char *pc = NULL;
        uint64_t removed = 0;
        if (!err && ipl_rtxn_begin(st, &pt, NULL) == IPL_OK) {
            if (ipl_purge_pending(pt, &pc, &removed, NULL) == IPL_OK)
                fprintf(stderr, "ipledger %s: note: an interrupted purge is pending (%llu events "
                        "removed so far); 'ipledger purge --resume' finishes it\n", cmd,
                        (unsigned long long)removed);
            free(pc);
            ipl_rtxn_end(pt);
        }
        ipl_store_close(st);
        return err ? cli_fail(cmd, 1, "%s", d.msg) : 0;
    }
    if (!yes && !resume) {
        if (!isatty(0))
            return cli_fail(cmd, 2, "refusing to delete without --yes: standard input is not a "
                            "terminal to ask on (see what would go with --dry-run)");
        /* on a terminal: show what would go, then ask */
        if ((rc = cli_open_store(cmd, a, IPL_STORE_RDONLY, &st)))
            return rc;
        o.criteria = criteria;
        o.dry_run = 1;
        err = ipl_purge_run(st, &o, &r, &d);
        ipl_store_close(st);
        st = NULL;
        if (o.progress)
            fputc('\n', stderr);
        if (err)
            return cli_fail(cmd, 1, "%s", d.msg);
        report_text(&r, pol, now);
        char q[128], b1[32];
        snprintf(q, sizeof q, "delete these %s events for good?", cli_num(r.count, b1, sizeof b1));
        ipl_purge_report_release(&r);
        if (!ask_yes(q))
            return cli_fail(cmd, 2, "not confirmed: nothing was deleted");
        o.dry_run = 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if ((rc = cli_open_store(cmd, a, 0, &st)))
        return rc;
    /* an interrupted purge with other criteria is finished first */
    ipl_rtxn *t = NULL;
    char *pending = NULL;
    uint64_t removed = 0;
    if (criteria && ipl_rtxn_begin(st, &t, &d) == IPL_OK) {
        if (ipl_purge_pending(t, &pending, &removed, &d) == IPL_OK && !ipl_criteria_same(pending, criteria)) {
            ipl_rtxn_end(t);
            t = NULL;
            fprintf(stderr, "ipledger %s: an interrupted purge (%llu events removed so far) is "
                    "finished first: %s\n", cmd, (unsigned long long)removed, pending);
            o.criteria = NULL;
            o.dry_run = 0;
            err = ipl_purge_run(st, &o, &r, &d);
            if (o.progress)
                fputc('\n', stderr);
            if (!err && !quiet)
                json ? report_json(&r, NULL) : report_text(&r, NULL, now);
            ipl_purge_report_release(&r);
            if (err || stop_flag) {
                free(pending);
                ipl_store_close(st);
                return err ? cli_fail(cmd, 1, "%s", d.msg) : 130;
            }
        }
        ipl_rtxn_end(t);
    }
    free(pending);
    o.criteria = resume ? NULL : criteria;
    o.dry_run = 0;
    err = ipl_purge_run(st, &o, &r, &d);
    if (o.progress)
        fputc('\n', stderr);
    if (err == IPL_ENOTFOUND && resume) {
        printf("nothing to resume: no interrupted purge, no pending re-seal\n");
        err = 0;
    } else if (!err && resume && !r.criteria) {
        printf("finished the pending chain re-seal; chain head %s\n", r.chain_after);
    } else if (!err && !quiet) {
        if (r.criteria && !pol && strstr(r.criteria, "\"policy\":\"")) {
            /* resumed a retention apply: its policy is in the criteria */
            ipl_criteria *c = NULL;
            if (ipl_criteria_compile(r.criteria, &c, NULL) == IPL_OK)
                json ? report_json(&r, ipl_criteria_policy(c)) : report_text(&r, ipl_criteria_policy(c), ipl_criteria_now(c));
            ipl_criteria_free(c);
        } else {
            json ? report_json(&r, pol) : report_text(&r, pol, now);
        }
    }
    int stopped = r.stopped;
    ipl_purge_report_release(&r);
    ipl_store_close(st);
    if (err)
        return cli_fail(cmd, err == IPL_EINVAL || err == IPL_EPARSE ? 2 : 1, "%s", d.msg);
    if (stopped) {
        fprintf(stderr, "ipledger %s: interrupted: the store is consistent; rerun (or 'ipledger "
                "purge --resume') to finish\n", cmd);
        return 130;
    }
    return 0;
}

#define PURGE_SELECT_OPTS                                                                       \
    {"before", 1, "T  remove events older than T (exclusive; ISO 8601, date, @epoch, -90d)", NULL, {0}, 0}, \
    {"after", 1, "T  only events at or after T", NULL, {0}, 0},                                  \
    {"kind", 1, "K  only this kind or family (lease.*); repeatable", NULL, {0}, 0},             \
    {"source", 1, "S  only this source (as 'ipledger sources' names it, a file or a directory); repeatable", NULL, {0}, 0}, \
    {"where", 1, "QUERY  only events the query selects", NULL, {0}, 0},                        \
    {"tz", 1, "ZONE  zone of times given without an offset (default UTC)", NULL, {0}, 0}

#define PURGE_RUN_OPTS                                                                          \
    {"dry-run", 0, "show what would go (per kind, source, hold), change nothing", NULL, {0}, 0}, \
    {"yes", 0, "do not ask (required when standard input is not a terminal)", NULL, {0}, 0},   \
    {"reason", 1, "R  recorded in the retention.purge event", NULL, {0}, 0},                   \
    {"batch", 1, "N  events per delete transaction (default: adapts to ~100 ms; by time alone: a week, cut into equal parts of at most 1000000)", NULL, {0}, 0}, \
    {"pause", 1, "PCT  after each delete transaction pause PCT% of its time (default 0)", NULL, {0}, 0}, \
    {"format", 1, "FMT  text (default) or json", NULL, {0}, 0},                                \
    {"quiet", 0, "no progress and no report", NULL, {0}, 0},                                   \
    {"crash-after", 1, "N  (testing) kill the process after N delete transactions", NULL, {0}, 0}

int cmd_purge(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, PURGE_SELECT_OPTS, PURGE_RUN_OPTS,
        {"resume", 0, "finish an interrupted purge (or a pending chain re-seal) only", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("purge",
                      "ipledger purge --before T [--after T0] [--kind K]... [--source S]... "
                      "[--where QUERY] [--dry-run] [--yes] [--reason R]\n"
                      "       ipledger purge --resume",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos)
        return cli_fail("purge", 2, "unexpected argument '%s'", a.pos[0]);
    char *criteria = NULL;
    int resume = ipl_arg_flag(&a, "resume");
    if (resume && (ipl_arg(&a, "before") || ipl_arg(&a, "after") || ipl_arg(&a, "kind") ||
                   ipl_arg(&a, "source") || ipl_arg(&a, "where") || ipl_arg_flag(&a, "dry-run")))
        return cli_fail("purge", 2, "--resume takes no criteria: it finishes the recorded ones");
    if (!resume && (rc = build_criteria("purge", &a, NULL, NULL, 1, INT64_MAX, &criteria)))
        return rc;
    rc = run_purge("purge", &a, criteria, NULL, "purge");
    free(criteria);
    return rc;
}

/* ---- retention plan / apply ---- */

static int read_file(const char *cmd, const char *path, size_t max, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return cli_fail(cmd, 2, "cannot read '%s': %s", path, strerror(errno));
    char *buf = malloc(max + 1);
    size_t got = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return cli_fail(cmd, 1, "cannot read '%s'", path);
    }
    if (got > max) {
        free(buf);
        return cli_fail(cmd, 2, "'%s' is larger than %zu bytes", path, max);
    }
    buf[got] = '\0';
    *out = buf;
    *n = got;
    return 0;
}

int cmd_retention(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"policy", 1, "FILE  the retention policy (JSON; see docs/retention.md)", NULL, {0}, 0},
        PURGE_RUN_OPTS,
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    const char *usage = "ipledger retention plan --policy FILE [--format text|json]\n"
                        "       ipledger retention apply --policy FILE [--yes] [--reason R]\n"
                        "plan shows what the policy would remove now, per rule; apply runs it as "
                        "one audited purge";
    int rc = cli_args("retention", usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos != 1 || (strcmp(a.pos[0], "plan") != 0 && strcmp(a.pos[0], "apply") != 0))
        return cli_fail("retention", 2, "say 'plan' or 'apply' (see 'ipledger retention -h')");
    int plan = strcmp(a.pos[0], "plan") == 0;
    const char *path = ipl_arg(&a, "policy");
    if (!path)
        return cli_fail("retention", 2, "give --policy FILE");
    char *text = NULL, *criteria = NULL, hex[65];
    size_t n = 0;
    ipl_policy *pol = NULL;
    ipl_diag d = {0};
    uint8_t sha[32];
    if ((rc = read_file("retention", path, IPL_POLICY_MAX, &text, &n)))
        return rc;
    if (ipl_policy_parse(text, n, &pol, &d)) {
        free(text);
        return cli_fail("retention", 2, "%s: %s", path, d.msg);
    }
    ipl_sha256_once(text, n, sha);
    ipl_hex32(sha, hex);
    free(text);
    if (plan) {
        for (size_t i = 0; i < a.nopts; i++)
            if (strcmp(opts[i].name, "dry-run") == 0)
                opts[i].value = "1";
    }
    if (!(rc = build_criteria("retention", &a, pol, hex, 0, INT64_MAX, &criteria)))
        rc = run_purge("retention", &a, criteria, pol, "retention apply");
    free(criteria);
    ipl_policy_free(pol);
    return rc;
}

/* ---- holds ---- */

typedef struct holdout {
    ipl_out *o;
    int64_t now;
} holdout;

static int hold_row(void *c, const ipl_hold *h)
{
    holdout *x = c;
    char id[16], created[IPL_TIME_BUF], until[IPL_TIME_BUF] = "";
    snprintf(id, sizeof id, "%u", h->id);
    ipl_time_format(h->created, created, sizeof created);
    if (h->until)
        ipl_time_format(h->until, until, sizeof until);
    const char *state = h->until && h->until <= x->now ? "expired" : "active";
    const char *vals[] = {id, ipl_hold_by_name(h->by), h->value, state, until, h->reason,
                          created, h->principal};
    return ipl_out_row(x->o, vals);
}

int cmd_hold(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, CLI_FORMAT_OPT,
        {"ip", 1, "A  hold the events of an address or prefix", NULL, {0}, 0},
        {"mac", 1, "M  hold the events of a MAC (any notation) or DUID", NULL, {0}, 0},
        {"host", 1, "H  hold the events of a host (case-insensitive)", NULL, {0}, 0},
        {"user", 1, "U  hold the events of a user (case-insensitive)", NULL, {0}, 0},
        {"where", 1, "QUERY  hold the events a query selects", NULL, {0}, 0},
        {"reason", 1, "R  why (required for add; recorded)", NULL, {0}, 0},
        {"until", 1, "T  the hold expires at T (default: until removed)", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of --until without an offset (default UTC)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    const char *usage = "ipledger hold add --ip A|--mac M|--host H|--user U|--where QUERY --reason R [--until T]\n"
                        "       ipledger hold list [--format table|json|ndjson|csv]\n"
                        "       ipledger hold remove ID [--reason R]\n"
                        "held events are never purged; expired holds no longer hold";
    int rc = cli_args("hold", usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *sub = a.npos ? a.pos[0] : "";
    ipl_store *st = NULL;
    ipl_diag d = {0};
    ipl_actor actor;
    ipl_actor_default(&actor);
    if (strcmp(sub, "list") == 0) {
        ipl_out_format f;
        ipl_rtxn *t = NULL;
        holdout x = {NULL, ipl_actor_now(NULL)};
        static const ipl_col cols[] = {{"id", IPL_COL_NUM}, {"by", IPL_COL_STR}, {"value", IPL_COL_STR},
                                       {"state", IPL_COL_STR}, {"until", IPL_COL_STR},
                                       {"reason", IPL_COL_STR}, {"created", IPL_COL_STR},
                                       {"principal", IPL_COL_STR}};
        if (a.npos != 1)
            return cli_fail("hold", 2, "unexpected argument '%s'", a.pos[1]);
        if ((rc = cli_out_format("hold", &a, &f)) || (rc = cli_open_store("hold", &a, IPL_STORE_RDONLY, &st)))
            return rc;
        int err = ipl_rtxn_begin(st, &t, &d);
        if (!err && !(err = ipl_out_new(&x.o, f, cols, 8, cli_write_stdout, NULL))) {
            err = ipl_hold_list(t, hold_row, &x, &d);
            int e2 = ipl_out_end(x.o);
            err = err ? err : e2;
            ipl_out_free(x.o);
        }
        ipl_rtxn_end(t);
        ipl_store_close(st);
        return err ? cli_fail("hold", 1, "%s", d.msg[0] ? d.msg : ipl_strerror(err)) : 0;
    }
    if (strcmp(sub, "add") == 0) {
        static const struct { const char *opt; ipl_hold_by by; } sel[] = {
            {"ip", IPL_HOLD_IP}, {"mac", IPL_HOLD_MAC}, {"host", IPL_HOLD_HOST},
            {"user", IPL_HOLD_USER}, {"where", IPL_HOLD_WHERE}};
        ipl_hold h;
        int nsel = 0;
        uint64_t seq = 0;
        memset(&h, 0, sizeof h);
        if (a.npos != 1)
            return cli_fail("hold", 2, "unexpected argument '%s'", a.pos[1]);
        for (size_t i = 0; i < 5; i++)
            if (ipl_arg(&a, sel[i].opt)) {
                h.by = sel[i].by;
                if (strlen(ipl_arg(&a, sel[i].opt)) > IPL_HOLD_VALUE_MAX)
                    return cli_fail("hold", 2, "--%s: at most %d bytes", sel[i].opt, IPL_HOLD_VALUE_MAX);
                snprintf(h.value, sizeof h.value, "%s", ipl_arg(&a, sel[i].opt));
                nsel++;
            }
        if (nsel != 1)
            return cli_fail("hold", 2, "give exactly one of --ip, --mac, --host, --user, --where");
        const char *reason = ipl_arg(&a, "reason");
        if (!reason || !reason[0])
            return cli_fail("hold", 2, "give --reason R: a hold records why");
        if (strlen(reason) > IPL_HOLD_REASON_MAX)
            return cli_fail("hold", 2, "--reason: at most %d bytes", IPL_HOLD_REASON_MAX);
        snprintf(h.reason, sizeof h.reason, "%s", reason);
        if (ipl_arg(&a, "until")) {
            ipl_tz *tz;
            if ((rc = load_zone("hold", &a, &tz)))
                return rc;
            rc = cli_time("hold", "until", ipl_arg(&a, "until"), tz, &h.until);
            ipl_tz_free(tz);
            if (rc)
                return rc;
        }
        if ((rc = cli_open_store("hold", &a, 0, &st)))
            return rc;
        int err = ipl_hold_add(st, &actor, &h, &seq, &d);
        ipl_store_close(st);
        if (err)
            return cli_fail("hold", err == IPL_EINVAL || err == IPL_EPARSE ? 2 : 1, "%s", d.msg);
        printf("hold %u added: %s %s (recorded as event %llu)\n", h.id, ipl_hold_by_name(h.by),
               h.value, (unsigned long long)seq);
        return 0;
    }
    if (strcmp(sub, "remove") == 0) {
        char *e;
        uint64_t seq = 0;
        if (a.npos != 2)
            return cli_fail("hold", 2, "give the id of the hold to remove (see 'ipledger hold list')");
        unsigned long id = strtoul(a.pos[1], &e, 10);
        if (*e || !a.pos[1][0] || id == 0 || id >= UINT32_MAX)
            return cli_fail("hold", 2, "'%s' is not a hold id", a.pos[1]);
        const char *reason = ipl_arg(&a, "reason");
        if (reason && strlen(reason) > IPL_HOLD_REASON_MAX)
            return cli_fail("hold", 2, "--reason: at most %d bytes", IPL_HOLD_REASON_MAX);
        if ((rc = cli_open_store("hold", &a, 0, &st)))
            return rc;
        int err = ipl_hold_remove(st, &actor, (uint32_t)id, reason, &seq, &d);
        ipl_store_close(st);
        if (err)
            return cli_fail("hold", err == IPL_ENOTFOUND ? 2 : 1, "%s", d.msg);
        printf("hold %lu removed (recorded as event %llu)\n", id, (unsigned long long)seq);
        return 0;
    }
    return cli_fail("hold", 2, "say 'add', 'list' or 'remove' (see 'ipledger hold -h')");
}

/* ---- verify ---- */

static void verify_progress(void *ctx, uint64_t done, uint64_t total)
{
    char b1[32], b2[32];
    (void)ctx;
    fprintf(stderr, "\rverified %s of %s events   ", cli_num(done, b1, sizeof b1),
            cli_num(total, b2, sizeof b2));
}

int cmd_verify(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT, {"quiet", 0, "no progress", NULL, {0}, 0}};
    ipl_args a = {opts, 2, {0}, 0, 0};
    int rc = cli_args("verify", "ipledger verify [--store DIR]\n"
                      "walks the hash chain and cross-checks every index against the events; "
                      "exit 0 when everything checks out, 1 otherwise", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos)
        return cli_fail("verify", 2, "unexpected argument '%s'", a.pos[0]);
    ipl_store *st;
    ipl_verify_report r;
    ipl_diag d = {0};
    char b1[32], b2[32], b3[32];
    if ((rc = cli_open_store("verify", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    int show = !ipl_arg_flag(&a, "quiet") && isatty(2);
    int err = ipl_store_verify(st, &r, show ? verify_progress : NULL, NULL, &d);
    if (show)
        fputc('\n', stderr);
    ipl_store_close(st);
    if (err)
        return cli_fail("verify", 1, "%s", d.msg);
    if (!r.ok) {
        printf("FAILED: %s\n", r.problem);
        if (r.first_bad_seq)
            printf("first broken link at event %llu\n", (unsigned long long)r.first_bad_seq);
        return 1;
    }
    if (r.reseal_pending) {
        printf("NOT VERIFIED: a purge's chain re-seal is pending from event %llu, so the chain "
               "after it is unchecked (%s events, %s index entries otherwise consistent); finish "
               "it with 'ipledger purge --resume' (or wait for the running purge), then verify "
               "again\n", (unsigned long long)r.reseal_pending, cli_num(r.events, b1, sizeof b1),
               cli_num(r.index_entries, b2, sizeof b2));
        return 1;
    }
    printf("OK: %s events, %s checkpoints, %s index entries verified in %.2f s (%.0f events/s)\n",
           cli_num(r.events, b1, sizeof b1), cli_num(r.checkpoints, b2, sizeof b2),
           cli_num(r.index_entries, b3, sizeof b3), r.seconds,
           r.seconds > 0 ? (double)r.events / r.seconds : 0.0);
    return 0;
}

/* ---- backup, restore, compact ---- */

int cmd_backup(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT,
                      {"compact", 0, "leave the free pages out of the copy", NULL, {0}, 0},
                      {"no-verify", 0, "do not verify the copy", NULL, {0}, 0}};
    ipl_args a = {opts, 3, {0}, 0, 0};
    int rc = cli_args("backup", "ipledger backup DEST [--compact] [--no-verify]\n"
                      "a consistent copy of the store while it is in use (ingest goes on)",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos != 1)
        return cli_fail("backup", 2, "give the destination directory (it must not hold a store)");
    ipl_store *st;
    ipl_storefile_report r;
    ipl_diag d = {0};
    char b1[32], b2[32];
    if ((rc = cli_open_store("backup", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    int err = ipl_backup(st, a.pos[0], ipl_arg_flag(&a, "compact"), !ipl_arg_flag(&a, "no-verify"), &r, &d);
    ipl_store_close(st);
    if (err)
        return cli_fail("backup", err == IPL_EEXIST ? 2 : 1, "%s", d.msg);
    if (ipl_arg_flag(&a, "no-verify"))
        printf("backup written to '%s' (%s bytes; not verified)\n", a.pos[0],
               cli_num(r.bytes_after, b1, sizeof b1));
    else
        printf("backup written to '%s': %s events, %s bytes, chain head %s; verified in %.2f s\n",
               a.pos[0], cli_num(r.events, b1, sizeof b1), cli_num(r.bytes_after, b2, sizeof b2),
               r.chain, r.verify.seconds);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT,
                      {"yes", 0, "replace a store that holds events without asking", NULL, {0}, 0},
                      {"reason", 1, "R  recorded in the restored store", NULL, {0}, 0}};
    ipl_args a = {opts, 3, {0}, 0, 0};
    int rc = cli_args("restore", "ipledger restore SRC [--store DIR] [--yes] [--reason R]\n"
                      "verifies the backup SRC, then replaces the store with it in one rename",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos != 1)
        return cli_fail("restore", 2, "give the backup directory to restore from");
    const char *dir = ipl_store_default_dir(ipl_arg(&a, "store"));
    ipl_storefile_report r;
    ipl_diag d = {0};
    ipl_actor actor;
    char b1[32], path[PATH_MAX + 16];
    int yes = ipl_arg_flag(&a, "yes");
    struct stat sb;
    ipl_actor_default(&actor);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (!yes && stat(path, &sb) == 0) {
        ipl_store *st;
        ipl_rtxn *t;
        ipl_store_stats s;
        memset(&s, 0, sizeof s);
        if ((rc = cli_open_store("restore", &a, IPL_STORE_RDONLY, &st)))
            return rc;
        if (ipl_rtxn_begin(st, &t, &d) == IPL_OK) {
            ipl_store_stats_get(t, &s, &d);
            ipl_rtxn_end(t);
        }
        ipl_store_close(st);
        if (s.events) {
            char q[300];
            if (!isatty(0))
                return cli_fail("restore", 2, "store '%s' holds %s events: restoring replaces them "
                                "all; confirm with --yes", dir, cli_num(s.events, b1, sizeof b1));
            snprintf(q, sizeof q, "replace store '%s' (%s events) with the backup '%s'?", dir,
                     cli_num(s.events, b1, sizeof b1), a.pos[0]);
            if (!ask_yes(q))
                return cli_fail("restore", 2, "not confirmed: nothing was changed");
            yes = 1;
        }
    }
    int err = ipl_restore(a.pos[0], dir, yes, &actor, ipl_arg(&a, "reason"), &r, &d);
    if (err)
        return cli_fail("restore", err == IPL_EEXIST ? 2 : 1, "%s", d.msg);
    printf("restored '%s' from '%s': %s events, chain head %s (backup verified); recorded as "
           "event %llu\n", dir, a.pos[0], cli_num(r.events, b1, sizeof b1), r.chain,
           (unsigned long long)r.event_seq);
    return 0;
}

int cmd_compact(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT};
    ipl_args a = {opts, 1, {0}, 0, 0};
    int rc = cli_args("compact", "ipledger compact [--store DIR]\n"
                      "rewrites the store without free pages (after purges), verifies the copy "
                      "and swaps it in; nothing else may have the store open", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos)
        return cli_fail("compact", 2, "unexpected argument '%s'", a.pos[0]);
    const char *dir = ipl_store_default_dir(ipl_arg(&a, "store"));
    ipl_storefile_report r;
    ipl_diag d = {0};
    ipl_actor actor;
    char b1[32], b2[32], b3[32];
    ipl_actor_default(&actor);
    int err = ipl_compact(dir, &actor, &r, &d);
    if (err)
        return cli_fail("compact", 1, "%s", d.msg);
    printf("compacted '%s': %s bytes -> %s bytes (%s reclaimed); %s events verified; recorded as "
           "event %llu\n", dir, cli_num(r.bytes_before, b1, sizeof b1),
           cli_num(r.bytes_after, b2, sizeof b2),
           cli_num(r.bytes_before > r.bytes_after ? r.bytes_before - r.bytes_after : 0, b3, sizeof b3),
           cli_num(r.events, b1, sizeof b1), (unsigned long long)r.event_seq);
    return 0;
}

/* ---- export, import ---- */

typedef struct expctx {
    ipl_out *out;
    ipl_arena arena;
    int json;
    const ipl_criteria *crit;
    ipl_holdset *hs;          /* --skip-held */
    uint64_t n;
} expctx;

static int export_row(expctx *x, const ipl_event *ev, int match)
{
    const char *vals[16];
    if (match == -1 || (x->hs && (match == -2 || ipl_holdset_match(x->hs, ev, NULL))))
        return IPL_OK;
    int err = ipl_event_row(ev, x->json, &x->arena, vals);
    if (!err)
        err = ipl_out_row(x->out, vals);
    ipl_arena_clear(&x->arena);
    x->n++;
    return err;
}

static int export_scan_fn(void *c, const ipl_event *ev, int match)
{
    return export_row(c, ev, match);
}

static int export_sel_fn(void *c, const ipl_event *ev)
{
    expctx *x = c;
    return export_row(x, ev, ipl_criteria_match(x->crit, ev));
}

typedef struct filectx {
    FILE *f;
} filectx;

static int write_file(void *ctx, const char *buf, size_t n)
{
    filectx *f = ctx;
    return fwrite(buf, 1, n, f->f) == n ? (int)n : -1;
}

int cmd_export(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"format", 1, "FMT  ndjson (default; 'ipledger import' reads it back) or csv", NULL, {0}, 0},
        {"out", 1, "FILE  write here (via FILE.tmp and a rename) instead of standard output", NULL, {0}, 0},
        {"before", 1, "T  events older than T (exclusive)", NULL, {0}, 0},
        {"after", 1, "T  events at or after T", NULL, {0}, 0},
        {"from", 1, "T  same as --after", NULL, {0}, 0},
        {"to", 1, "T  events up to T, inclusive", NULL, {0}, 0},
        {"kind", 1, "K  only this kind or family (lease.*); repeatable", NULL, {0}, 0},
        {"source", 1, "S  only this source; repeatable", NULL, {0}, 0},
        {"ip", 1, "A  only this address or prefix", NULL, {0}, 0},
        {"mac", 1, "M  only this MAC or DUID", NULL, {0}, 0},
        {"host", 1, "H  only this host", NULL, {0}, 0},
        {"user", 1, "U  only this user", NULL, {0}, 0},
        {"where", 1, "QUERY  only events the query selects", NULL, {0}, 0},
        {"skip-held", 0, "leave out what a purge keeps (held events, retention.purge records): "
                         "the archive of exactly what 'purge' with the same options removes", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of times given without an offset (default UTC)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("export",
                      "ipledger export [--before T] [--after T0] [--kind K]... [--source S]... "
                      "[--ip A|--mac M|--host H|--user U|--where QUERY] [--skip-held] "
                      "[--format ndjson|csv] [--out FILE]",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos)
        return cli_fail("export", 2, "unexpected argument '%s'", a.pos[0]);
    const char *fmt = ipl_arg(&a, "format") ? ipl_arg(&a, "format") : "ndjson";
    ipl_out_format f;
    if (strcmp(fmt, "ndjson") == 0)
        f = IPL_OUT_NDJSON;
    else if (strcmp(fmt, "csv") == 0)
        f = IPL_OUT_CSV;
    else
        return cli_fail("export", 2, "--format: '%s' is not one of ndjson, csv", fmt);
    static const struct { const char *opt; ipl_index ix; } sels[] = {
        {"ip", IPL_IX_IP}, {"mac", IPL_IX_MAC}, {"host", IPL_IX_HOST}, {"user", IPL_IX_USER}};
    int nsel = 0;
    ipl_index ix = IPL_IX_IP;
    const char *selval = NULL;
    for (size_t i = 0; i < 4; i++)
        if (ipl_arg(&a, sels[i].opt)) {
            ix = sels[i].ix;
            selval = ipl_arg(&a, sels[i].opt);
            nsel++;
        }
    if (nsel > 1 || (nsel && ipl_arg(&a, "where")))
        return cli_fail("export", 2, "give at most one of --ip, --mac, --host, --user, --where");
    if (ipl_arg(&a, "from") && ipl_arg(&a, "after"))
        return cli_fail("export", 2, "--from and --after say the same: give one");
    for (size_t i = 0; i < a.nopts; i++)          /* --from is --after */
        if (strcmp(opts[i].name, "after") == 0 && ipl_arg(&a, "from"))
            opts[i].value = ipl_arg(&a, "from");
    char *criteria = NULL;
    ipl_criteria *crit = NULL;
    ipl_diag d = {0};
    int64_t to = INT64_MAX;
    if (ipl_arg(&a, "to")) {
        ipl_tz *tz;
        if (ipl_arg(&a, "before"))
            return cli_fail("export", 2, "--to and --before both bound the end: give one");
        if ((rc = load_zone("export", &a, &tz)))
            return rc;
        rc = cli_time("export", "to", ipl_arg(&a, "to"), tz, &to);
        ipl_tz_free(tz);
        if (rc)
            return rc;
    }
    if ((rc = build_criteria("export", &a, NULL, NULL, 0, to, &criteria)))
        return rc;
    if (ipl_criteria_compile(criteria, &crit, &d)) {
        free(criteria);
        return cli_fail("export", 2, "%s", d.msg);
    }
    free(criteria);
    ipl_store *st;
    if ((rc = cli_open_store("export", &a, IPL_STORE_RDONLY, &st))) {
        ipl_criteria_free(crit);
        return rc;
    }
    const char *outpath = ipl_arg(&a, "out");
    char tmp[PATH_MAX + 8];
    filectx fc = {NULL};
    if (outpath) {
        snprintf(tmp, sizeof tmp, "%s.tmp", outpath);
        if (!(fc.f = fopen(tmp, "wb"))) {
            ipl_store_close(st);
            ipl_criteria_free(crit);
            return cli_fail("export", 1, "cannot write '%s': %s", tmp, strerror(errno));
        }
    }
    expctx x;
    memset(&x, 0, sizeof x);
    x.json = f == IPL_OUT_NDJSON;
    x.crit = crit;
    ipl_arena_init(&x.arena, (size_t)1 << 24);
    ipl_rtxn *t = NULL;
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_criteria_prepare(crit, t, &d);     /* runs --where, if given */
    if (!err && ipl_arg_flag(&a, "skip-held"))
        err = ipl_holdset_load(t, ipl_actor_now(NULL), &x.hs, &d);
    if (!err && (err = ipl_out_new(&x.out, f, ipl_event_cols, ipl_event_ncols,
                                   outpath ? write_file : cli_write_stdout, &fc)))
        ipl_diag_set(&d, err, "out of memory");
    if (!err && nsel) {
        ipl_selector sel;
        int64_t from = 0;
        if (!(err = ipl_selector_make(t, ix, selval, &sel, &d)))
            err = ipl_events_scan(t, &sel, from, INT64_MAX, export_sel_fn, &x, &d);
    } else if (!err) {
        ipl_scan_pos pos;
        int done = 0;
        memset(&pos, 0, sizeof pos);
        while (!err && !done)
            if (!(err = ipl_criteria_scan(t, crit, &pos, 50000, export_scan_fn, &x, &done, &d)) && !done)
                err = ipl_rtxn_refresh(t, &d);
    }
    if (x.out) {
        int e2 = ipl_out_end(x.out);
        if (e2 && !err)
            err = ipl_diag_set(&d, e2, "cannot write the export");
    }
    ipl_out_free(x.out);
    ipl_arena_release(&x.arena);
    ipl_holdset_free(x.hs);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    ipl_criteria_free(crit);
    if (fc.f) {
        if ((fflush(fc.f) != 0 || fsync(fileno(fc.f)) != 0) && !err)
            err = ipl_diag_set(&d, IPL_EIO, "cannot write '%s': %s", tmp, strerror(errno));
        if (fclose(fc.f) != 0 && !err)
            err = ipl_diag_set(&d, IPL_EIO, "cannot write '%s': %s", tmp, strerror(errno));
        if (!err && rename(tmp, outpath) != 0)
            err = ipl_diag_set(&d, IPL_EIO, "cannot rename '%s': %s", tmp, strerror(errno));
        if (err)
            unlink(tmp);
    }
    if (err)
        return cli_fail("export", err == IPL_EINVAL || err == IPL_EPARSE ? 2 : 1, "%s", d.msg);
    if (outpath) {
        char b1[32];
        fprintf(stderr, "exported %s events to '%s'\n", cli_num(x.n, b1, sizeof b1), outpath);
    }
    return 0;
}

static void import_warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "ipledger import: warning: %s\n", msg);
}

int cmd_import(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"name", 1, "N  source name when reading standard input (-)", NULL, {0}, 0},
        {"reason", 1, "R  recorded with the import", NULL, {0}, 0},
        {"quiet", 0, "no summary", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("import", "ipledger import FILE|- [--name N]\n"
                      "loads an 'ipledger export --format ndjson' archive back, exactly once "
                      "(new seqs; the original source and line in the attribute 'origin')",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos != 1)
        return cli_fail("import", 2, "give one archive file (or - for standard input)");
    const ipl_parser *p = ipl_parser_find("ipledger-ndjson");
    if (!p)
        return cli_fail("import", 1, "the ipledger-ndjson format is not built in");
    ipl_ingest_opts o;
    ipl_ingest_stats s;
    ipl_diag d = {0};
    ipl_store *st;
    ipl_actor actor;
    memset(&o, 0, sizeof o);
    memset(&s, 0, sizeof s);
    o.parser = p;
    o.candidates = &p;
    o.ncandidates = 1;
    o.stdin_name = ipl_arg(&a, "name");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.stop = &stop_flag;
    ipl_actor_default(&actor);
    if ((rc = cli_open_store("import", &a, IPL_STORE_CREATE, &st)))
        return rc;
    int err = ipl_ingest_path(st, a.pos[0], &o, &s, import_warn, NULL, &d);
    if (!err && s.events) {
        char msg[PATH_MAX + 200];
        snprintf(msg, sizeof msg, "imported %llu events from '%s' (%llu lines quarantined)",
                 (unsigned long long)s.events, a.pos[0], (unsigned long long)s.quarantined);
        err = ipl_audit_config(st, NULL, &actor, "store", "import", ipl_arg(&a, "reason"), msg, NULL, &d);
    }
    ipl_store_close(st);
    if (err)
        return cli_fail("import", 1, "%s", d.msg);
    if (!ipl_arg_flag(&a, "quiet")) {
        char b1[32], b2[32];
        fprintf(stderr, "imported %s events (%s quarantined)%s\n", cli_num(s.events, b1, sizeof b1),
                cli_num(s.quarantined, b2, sizeof b2),
                s.files_unchanged ? ": the archive was imported before, nothing added" : "");
        if (s.quarantined)
            fprintf(stderr, "see 'ipledger quarantine' for the lines that could not be read\n");
    }
    if (s.files_failed)
        return 1;
    return stop_flag ? 130 : 0;
}
