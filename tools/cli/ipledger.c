/* tools/cli/ipledger.c — the ipledger command: a git-style table of subcommands.
 * Each row: name, function, one-line summary. Every command answers -h (tests run it per row). */
#include "tools/cli/cli.h"
#include "engine/err.h"
#include "engine/sha256.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *ipl_prog = "ipledger";

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const ipl_cmd commands[] = {
    {"init",       cmd_init,       "create an empty store"},
    {"ingest",     cmd_ingest,     "read log files, directories or stdin into the store, exactly once"},
    {"events",     cmd_events,     "events of an IP (or prefix), MAC, host or user, in time order"},
    {"who",        cmd_who,        "who held an IP address at an instant"},
    {"track",      cmd_track,      "IP -> lease chunks -> device -> users, and the reverse"},
    {"query",      cmd_query,      "run a query: filters, track, count by, timeline, ... (docs/query-language.md)"},
    {"asm",        cmd_asm,        "address space: spaces, blocks, subnets, ranges, addresses, utilization, free, conflicts"},
    {"stats",      cmd_stats,      "store size, counts, time span and chain head"},
    {"sources",    cmd_sources,    "ingested sources with their positions"},
    {"quarantine", cmd_quarantine, "lines that could not be parsed, with where and why"},
    {"purge",      cmd_purge,      "delete events older than T (by kind, source), in bounded batches, audited"},
    {"retention",  cmd_retention,  "retention policy: 'plan' shows what it would remove, 'apply' runs it"},
    {"hold",       cmd_hold,       "legal holds (add, list, remove): held events are never purged"},
    {"verify",     cmd_verify,     "check the hash chain and every index against the events"},
    {"backup",     cmd_backup,     "consistent hot copy of the store (ingest goes on), verified"},
    {"restore",    cmd_restore,    "replace the store with a verified backup"},
    {"compact",    cmd_compact,    "rewrite the store without free pages and report the space reclaimed"},
    {"export",     cmd_export,     "write events as NDJSON (for import) or CSV, e.g. before a purge"},
    {"import",     cmd_import,     "load an 'ipledger export' archive back, exactly once"},
    {"serve",      cmd_serve,      "the daemon: HTTP API, live tail, syslog and file-follow ingest (docs/api.md)"},
    {"tail",       cmd_tail,       "print a server's live event stream (config changes by default), resuming after reconnects"},
    {"token",      cmd_token,      "bearer tokens for the API (create, list, revoke), custom roles, access scopes"},
    {"servers",    cmd_servers,    "server inventory (DHCP, DNS, DC, NPS/RADIUS, sshd) from the event stream, health"},
    {"kea",        cmd_kea,        "manage Kea DHCP servers: subnets, pools, options, reservations, drift"},
    {"report",     cmd_report,     "compliance reports (tracking, changes, logons, utilization, retention, data quality)"},
    {"formats",    cmd_formats,    "the input formats ipledger reads"},
    {"version",    cmd_version,    "print the version"},
    {"help",       cmd_help,       "list the commands"},
};

static int cmd_help(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
        printf("usage: ipledger help\n\nlists the commands; 'ipledger COMMAND -h' shows one\n");
        return 0;
    }
    printf("usage: ipledger COMMAND [OPTIONS]   (ipledger COMMAND -h for its options)\n\n"
           "ipledger: IP address audit and forensics over DHCP, logon and change logs.\n\n"
           "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-11s %s\n", commands[i].name, commands[i].summary);
    printf("\nThe store is ./%s unless --store DIR or $IPLEDGER_STORE says otherwise.\n",
           IPL_STORE_DEFAULT_DIR);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    ipl_opt opts[] = {{"x", 0, NULL, NULL, {0}, 0}};
    ipl_args a = {opts, 0, {0}, 0, 0};
    int rc = cli_args("version", "ipledger version", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    printf("ipledger 0.1.0 (store format %d, SHA-256: %s)\n", IPL_STORE_FORMAT, ipl_sha256_impl_name());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cmd_help(0, NULL), 2;
    const char *name = argv[1];
    /* IPLEDGER_SHA256=portable: the chain's SHA-256 without the CPU's SHA extensions (benchmarks
     * compare the two; digests are identical) */
    const char *sha = getenv("IPLEDGER_SHA256");
    if (sha && strcmp(sha, "portable") == 0)
        ipl_sha256_impl = 1;
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)
        return cmd_help(0, NULL);
    if (strcmp(name, "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "ipledger: '%s' is not a command (see 'ipledger help')\n", name);
    return 2;
}

/* ---- shared helpers ---- */

int cli_fail(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ipledger %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_args(const char *cmd, const char *usage, ipl_args *a, int argc, char **argv)
{
    char err[256];
    if (ipl_args_parse(a, argc, argv, err, sizeof err))
        return cli_fail(cmd, 2, "%s (see 'ipledger %s -h')", err, cmd);
    if (a->help) {
        printf("usage: %s\n", usage);
        if (a->nopts)
            printf("\noptions:\n");
        for (size_t i = 0; i < a->nopts; i++)
            printf("  --%-10s %s\n", a->opts[i].name, a->opts[i].help ? a->opts[i].help : "");
        printf("  -h, --help   this help\n");
        return -1;
    }
    return 0;
}

int cli_open_store(const char *cmd, const ipl_args *a, unsigned flags, ipl_store **st)
{
    ipl_diag d = {0};
    const char *dir = ipl_store_default_dir(ipl_arg(a, "store"));
    if (ipl_store_open(st, dir, flags, &d))
        return cli_fail(cmd, 1, "%s", d.msg);
    return 0;
}

int cli_time(const char *cmd, const char *opt, const char *text, const ipl_tz *tz, int64_t *us)
{
    ipl_diag d = {0};
    size_t n = strlen(text);
    int err;
    if (text[0] == '-' || text[0] == '+' || strcmp(text, "now") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
        err = ipl_time_parse_relative(text, n, now, us, &d);
    } else {
        err = ipl_time_parse(text, n, tz, us, &d);
    }
    if (err)
        return cli_fail(cmd, 2, "--%s: %s", opt, d.msg);
    return 0;
}

int cli_out_format(const char *cmd, const ipl_args *a, ipl_out_format *f)
{
    const char *s = ipl_arg(a, "format");
    if (!s) {
        *f = isatty(1) ? IPL_OUT_TABLE : IPL_OUT_NDJSON;
        return 0;
    }
    if (ipl_out_format_parse(s, f))
        return cli_fail(cmd, 2, "--format: '%s' is not one of table, json, ndjson, csv", s);
    return 0;
}

int cli_write_stdout(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    return fwrite(buf, 1, n, stdout) == n ? (int)n : -1;
}

const char *cli_num(unsigned long long v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", v), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}
