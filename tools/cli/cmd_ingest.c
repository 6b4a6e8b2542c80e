/* tools/cli/cmd_ingest.c — `ipledger init` and `ipledger ingest`. */
#include "tools/cli/cli.h"
#include "engine/err.h"
#include "engine/geoip.h"
#include "engine/ingest.h"
#include "parsers/parser.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_init(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT};
    ipl_args a = {opts, 1, {0}, 0, 0};
    int rc = cli_args("init", "ipledger init [--store DIR]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos)
        return cli_fail("init", 2, "unexpected argument '%s'", a.pos[0]);
    ipl_store *st;
    if ((rc = cli_open_store("init", &a, IPL_STORE_CREATE, &st)))
        return rc;
    printf("initialised store '%s' (format %d)\n", ipl_store_dir(st), IPL_STORE_FORMAT);
    ipl_store_close(st);
    return 0;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void show_progress(void *ctx, const ipl_ingest_progress *p)
{
    (void)ctx;
    char ev[32];
    double rate = p->seconds > 0 ? (double)p->events / p->seconds : 0;
    double frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 0;
    double eta = frac > 0.001 ? p->seconds * (1 - frac) / frac : 0;
    fprintf(stderr, "\r%7.1f / %.1f MiB  %s events  %8.0f events/s  ETA %3d:%02d ",
            (double)p->bytes_done / 1048576.0, (double)p->bytes_total / 1048576.0,
            cli_num(p->events, ev, sizeof ev), rate, (int)eta / 60, (int)eta % 60);
}

static void warn_file(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%sipledger ingest: warning: %s\n", isatty(2) ? "\n" : "", msg);
}

int cmd_ingest(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"format", 1, "NAME  input format: auto (default: probe each file) or one of 'ipledger formats'", NULL, {0}, 0},
        {"tz", 1, "ZONE  time zone of the source's local timestamps (IANA name or +HH:MM; default UTC)", NULL, {0}, 0},
        {"server", 1, "NAME  the server that wrote the logs (when the format does not say)", NULL, {0}, 0},
        {"name", 1, "NAME  source name for standard input (default 'stdin')", NULL, {0}, 0},
        {"year", 1, "Y  the year of RFC 3164 syslog lines, which carry none (default: inferred)", NULL, {0}, 0},
        {"batch", 1, "N  events per transaction (default 65536; a transaction may span files)", NULL, {0}, 0},
        {"quiet", 0, "no progress and no summary", NULL, {0}, 0},
        {"crash-after", 1, "N  (testing) kill the process after N commits", NULL, {0}, 0},
        {"geoip-db", 1, "FILE  MaxMind-format (MMDB) database: country and ASN of public client addresses "
                        "of logon and RADIUS events (repeatable; the first file with a field wins)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("ingest",
                      "ipledger ingest [--format auto|NAME] [--tz ZONE] [--server NAME] [--year Y] [--geoip-db FILE]... PATH...|-",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos == 0)
        return cli_fail("ingest", 2, "no input: give files, directories or - for standard input");
    ipl_ingest_opts o = {0};
    size_t ncand;
    o.candidates = ipl_parsers(&ncand);
    o.ncandidates = ncand;
    const char *fmt = ipl_arg(&a, "format");
    if (fmt && strcmp(fmt, "auto") != 0) {
        if (!(o.parser = ipl_parser_find(fmt))) {
            char names[512] = "";
            size_t off = 0;
            for (size_t i = 0; i < ncand && off < sizeof names; i++)
                off += (size_t)snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                                        o.candidates[i]->name);
            return cli_fail("ingest", 2, "unknown format '%s' (known: auto, %s)", fmt, names);
        }
    }
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    const char *tzname = ipl_arg(&a, "tz");
    if (tzname && ipl_tz_load(&tz, tzname, &d))
        return cli_fail("ingest", 2, "--tz: %s", d.msg);
    o.tz = tz;
    o.server = ipl_arg(&a, "server");
    o.stdin_name = ipl_arg(&a, "name");
    o.release_map = 1;   /* a bulk load: keep the resident set flat as the store grows */
    if (ipl_arg(&a, "batch")) {
        char *end;
        long n = strtol(ipl_arg(&a, "batch"), &end, 10);
        if (*end || n < 1 || n > 1000000) {
            ipl_tz_free(tz);
            return cli_fail("ingest", 2, "--batch: '%s' is not a number from 1 to 1000000",
                            ipl_arg(&a, "batch"));
        }
        o.batch_events = (size_t)n;
    }
    if (ipl_arg(&a, "year")) {
        char *end;
        long y = strtol(ipl_arg(&a, "year"), &end, 10);
        if (*end || y < 1970 || y > 9999) {
            ipl_tz_free(tz);
            return cli_fail("ingest", 2, "--year: '%s' is not a year from 1970 to 9999",
                            ipl_arg(&a, "year"));
        }
        o.year = (int)y;
    }
    const ipl_opt *geo_opt = &opts[sizeof opts / sizeof opts[0] - 1];
    if (geo_opt->count > IPL_GEOIP_DB_MAX) {
        ipl_tz_free(tz);
        return cli_fail("ingest", 2, "--geoip-db: at most %d files", IPL_GEOIP_DB_MAX);
    }
    if (ipl_arg(&a, "crash-after"))
        o.crash_after_commits = strtol(ipl_arg(&a, "crash-after"), NULL, 10);
    int quiet = ipl_arg_flag(&a, "quiet");
    if (!quiet && isatty(2))
        o.progress = show_progress;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.stop = &stop_flag;

    ipl_store *st;
    if ((rc = cli_open_store("ingest", &a, IPL_STORE_CREATE, &st))) {
        ipl_tz_free(tz);
        return rc;
    }
    /* a missing or corrupt database: a warning, and ingest goes on without it */
    ipl_geoip *geo = cli_geoip_open(geo_opt->values, (size_t)geo_opt->count, warn_file, NULL);
    o.geoip = geo;
    ipl_ingest_stats s = {0};
    for (int i = 0; i < a.npos && !stop_flag; i++) {
        if ((rc = ipl_ingest_path(st, a.pos[i], &o, &s, warn_file, NULL, &d))) {
            if (o.progress)
                fputc('\n', stderr);
            cli_fail("ingest", 1, "%s", d.msg);
            rc = 1;
            break;
        }
    }
    if (o.progress)
        fputc('\n', stderr);
    if (!quiet) {
        char b1[32], b2[32], b3[32];
        fprintf(stderr,
                "ingested %llu file(s) (%llu unchanged, %llu new generation, %llu failed): %s lines, "
                "%s events, %s quarantined, %.2f s (%.0f events/s)%s%s\n",
                (unsigned long long)s.files, (unsigned long long)s.files_unchanged,
                (unsigned long long)s.files_new_generation, (unsigned long long)s.files_failed,
                cli_num(s.lines, b1, sizeof b1), cli_num(s.events, b2, sizeof b2),
                cli_num(s.quarantined, b3, sizeof b3), s.seconds,
                s.seconds > 0 ? (double)s.events / s.seconds : 0.0,
                s.pending_partial ? "; an incomplete last line was left for the next run" : "",
                stop_flag ? "; interrupted: rerun to continue" : "");
        if (s.quarantined)
            fprintf(stderr, "see 'ipledger quarantine' for the lines that could not be parsed\n");
    }
    if (geo && ipl_geoip_stats_get(geo)->dropped)
        warn_file(NULL, ipl_geoip_stats_get(geo)->reason);
    if (!quiet)
        cli_geoip_summary(stderr, geo, (size_t)geo_opt->count);
    ipl_geoip_free(geo);
    ipl_store_close(st);
    ipl_tz_free(tz);
    if (!rc && s.files_failed)
        rc = 1;
    if (!rc && stop_flag)
        rc = 130;
    return rc;
}
