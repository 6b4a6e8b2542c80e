/* tools/gen/main.c — ipledger-gen: writes a deterministic synthetic enterprise's logs in every
 * input format ipledger reads (DHCP servers of four vendors, domain controllers, RADIUS, sshd,
 * DHCP configuration events) plus the ground truth of who held which address when and who was
 * logged on from it (see tools/gen/README.md).
 *
 *   ipledger-gen --out DIR [--seed N] [--start YYYY-MM-DD] [--days D] [--devices N] [--sites N]
 *                [--events N] [--mix all|mswin] [--internet N]
 *
 * Output layout (DIR must be missing or empty):
 *
 *   DIR/sources.tsv     <path relative to DIR> \t <format> \t <tz name> \t <server name>, one line
 *                       per source directory, for `ipledger ingest --format F --tz TZ --server S`
 *   DIR/truth.tsv       lease intervals: ip mac host server start end (truth.c)
 *   DIR/sessions.tsv    logon sessions: ip mac host user start end via (truth.c; --mix all)
 *   DIR/probes.tsv      ~1000 questions "who held ip at t" with their answers (truth.c; --mix all
 *                       adds the users logged on from ip at t)
 *   DIR/<format>/<server>/...   one folder per format and server (out_<format>.c)
 *
 * Prints one summary line on stdout. Errors: one line on stderr; exit 2 for bad arguments, 1 for
 * anything else (I/O, zones).
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define DEFAULT_DEVICES 2000u
#define AUTO_DEVICES_MAX 50000u     /* --events grows devices up to this, then days */
#define AUTO_DEVICES_MIN 20u

/* The writers, in the order they see each happening. A new output format is one more row. */
static const gen_writer_ops *const writers[] = {
    &gen_out_truth,
    &gen_out_mswin_dhcp,
    &gen_out_isc_dhcpd,
    &gen_out_isc_leases,
    &gen_out_kea_log,
    &gen_out_kea_csv,
    &gen_out_dnsmasq,
    &gen_out_dnsmasq_leases,
    &gen_out_winsec,
    &gen_out_nps,
    &gen_out_freeradius,
    &gen_out_sshd,
    &gen_out_mswin_events,
};
#define NWRITERS ((int)(sizeof writers / sizeof writers[0]))

static const char usage[] =
    "usage: ipledger-gen --out DIR [--seed N] [--start YYYY-MM-DD] [--days D] [--devices N]\n"
    "                    [--sites N] [--events N] [--mix all|mswin] [--internet N]\n"
    "Writes a synthetic enterprise's logs and the ground truth into DIR.\n"
    "  --out DIR      output directory (created; must be empty)\n"
    "  --seed N       random seed (default 1); same arguments give byte-identical output\n"
    "  --start DATE   first simulated day, server-local (default 2024-05-06)\n"
    "  --days D       number of days (default 7)\n"
    "  --devices N    number of devices (default 2000)\n"
    "  --sites N      number of sites, one DHCP server each (default 4, at most 64)\n"
    "  --events N     approximate number of log rows wanted: scales --devices (up to 50000)\n"
    "                 and then --days, whichever was not given\n"
    "  --mix M        all (default): every format, DHCP vendors in rotation over the sites,\n"
    "                 users logging on; mswin: Windows DHCP audit logs only\n"
    "  --internet N   (--mix all) N failed SSH password logons from public Internet addresses\n"
    "                 per Linux server and hour, 0-1000 (default 0); not counted by --events\n"
    "  -h, --help     this text\n";

static int bad(const char *fmt, ...) IPL_PRINTF(1, 2);
static int bad(const char *fmt, ...)
{
    va_list ap;
    fputs("ipledger-gen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see ipledger-gen -h)\n", stderr);
    return EXIT_USAGE;
}

/* Unsigned decimal in [lo, hi]; 0 on success. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    if (*y < 2000 || *y > 2089 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
        return -1;
    int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    if (*m == 2 && *d == 29 && !leap)
        return -1;
    return 0;
}

/* --events: the devices (up to AUTO_DEVICES_MAX when not given), then the days (when not given)
 * whose expected row count is closest to the target. Returns 0 or an exit code. */
static int scale(gen_opts *opt, int days_given, int devices_given)
{
    double want = (double)opt->events;
    int64_t start = ipl_days_from_civil(opt->year, opt->mon, opt->mday);
    if (days_given && devices_given)
        return bad("--events scales --devices or --days: give at most one of them");
    if (!devices_given) {
        double per_device = gen_sim_expect(opt->mix, start, opt->days, 1, 0, opt->sites);
        double fixed = gen_sim_expect(opt->mix, start, opt->days, 0, opt->sites, opt->sites);
        double n = (want - fixed) / per_device + 0.5;
        if (days_given && n > GEN_MAX_DEVICES)
            return bad("--events needs more than %u devices: raise --days", GEN_MAX_DEVICES);
        opt->devices = n < AUTO_DEVICES_MIN ? AUTO_DEVICES_MIN
                       : !days_given && n > AUTO_DEVICES_MAX ? AUTO_DEVICES_MAX
                       : (uint32_t)n;
        if (days_given || opt->devices < AUTO_DEVICES_MAX)
            return 0;
    }
    /* the days: the first count reaching the target, or the one before when that is closer */
    double prev = 0;
    for (int days = 1; days <= GEN_MAX_DAYS; days++) {
        double rows = gen_sim_expect(opt->mix, start, days, opt->devices, opt->sites, opt->sites);
        if (rows >= want) {
            opt->days = days > 1 && want - prev < rows - want ? days - 1 : days;
            return 0;
        }
        prev = rows;
    }
    return bad("--events needs more than %d days: raise --devices", GEN_MAX_DAYS);
}

/* Fills opt from argv; returns 0, or an exit code (usage printed). */
static int parse_args(int argc, char **argv, gen_opts *opt)
{
    enum { O_OUT = 256, O_SEED, O_START, O_DAYS, O_DEVICES, O_SITES, O_EVENTS, O_MIX, O_INTERNET };
    static const struct option longs[] = {
        { "out", required_argument, NULL, O_OUT },
        { "seed", required_argument, NULL, O_SEED },
        { "start", required_argument, NULL, O_START },
        { "days", required_argument, NULL, O_DAYS },
        { "devices", required_argument, NULL, O_DEVICES },
        { "sites", required_argument, NULL, O_SITES },
        { "events", required_argument, NULL, O_EVENTS },
        { "mix", required_argument, NULL, O_MIX },
        { "internet", required_argument, NULL, O_INTERNET },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int days_given = 0, devices_given = 0, c;
    uint64_t v;
    memset(opt, 0, sizeof *opt);
    opt->seed = 1;
    opt->year = 2024, opt->mon = 5, opt->mday = 6;
    opt->days = 7;
    opt->devices = DEFAULT_DEVICES;
    opt->sites = 4;
    opt->mix = GEN_MIX_ALL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case O_OUT:
            if (!*optarg)
                return bad("--out needs a directory");
            opt->out = optarg;
            break;
        case O_SEED:
            if (parse_u64(optarg, 0, UINT64_MAX, &opt->seed))
                return bad("--seed '%s' is not an unsigned integer", optarg);
            break;
        case O_START:
            if (parse_date(optarg, &opt->year, &opt->mon, &opt->mday))
                return bad("--start '%s' is not a date YYYY-MM-DD in 2000-2089", optarg);
            break;
        case O_DAYS:
            if (parse_u64(optarg, 1, GEN_MAX_DAYS, &v))
                return bad("--days '%s' is not a number of days in 1-3660", optarg);
            opt->days = (int)v;
            days_given = 1;
            break;
        case O_DEVICES:
            if (parse_u64(optarg, 1, GEN_MAX_DEVICES, &v))
                return bad("--devices '%s' is not a number in 1-5000000", optarg);
            opt->devices = (uint32_t)v;
            devices_given = 1;
            break;
        case O_SITES:
            if (parse_u64(optarg, 1, GEN_MAX_SITES, &v))
                return bad("--sites '%s' is not a number in 1-64", optarg);
            opt->sites = (int)v;
            break;
        case O_EVENTS:
            if (parse_u64(optarg, 1, UINT64_C(100000000000), &v))
                return bad("--events '%s' is not a number in 1-100000000000", optarg);
            opt->events = v;
            break;
        case O_MIX:
            if (strcmp(optarg, "all") == 0)
                opt->mix = GEN_MIX_ALL;
            else if (strcmp(optarg, "mswin") == 0)
                opt->mix = GEN_MIX_MSWIN;
            else
                return bad("--mix '%s' is not 'all' or 'mswin'", optarg);
            break;
        case O_INTERNET:
            if (parse_u64(optarg, 0, 1000, &v))
                return bad("--internet '%s' is not a number in 0-1000", optarg);
            opt->internet = (uint32_t)v;
            break;
        case ':':
            return bad("option '%s' needs a value", argv[optind - 1]);
        default:
            return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (!opt->out)
        return bad("--out DIR is required");
    if (opt->events) {
        int rc = scale(opt, days_given, devices_given);
        if (rc)
            return rc;
    }
    if (opt->devices > (uint64_t)opt->sites * GEN_SITE_DEVICES) {
        return bad("%u devices need more sites (at most %u per site): raise --sites",
                   opt->devices, GEN_SITE_DEVICES);
    }
    return 0;
}

/* DIR must be missing or empty: the generator never mixes its output with older files. */
static int check_out(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return errno == ENOENT ? 0 : bad("cannot use output directory '%s'", dir);
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(dh)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(dh);
    return empty ? 0 : bad("output directory '%s' is not empty", dir);
}

int main(int argc, char **argv)
{
    gen_opts opt;
    ipl_diag d = { 0 };
    gen_sim *sim = NULL;
    gen_sink sinks[NWRITERS];
    gen_file sources = GEN_FILE_INIT;
    gen_counts c = { 0 };
    char out[GEN_PATH_MAX], path[GEN_PATH_MAX];
    int rc, opened = 0, status = 1;

    rc = parse_args(argc, argv, &opt);
    if (rc)
        return rc < 0 ? 0 : rc;
    size_t n = strlen(opt.out);
    while (n > 1 && opt.out[n - 1] == '/')
        n--;
    if (n >= sizeof out - 64)
        return bad("--out '%s' is too long", opt.out);
    memcpy(out, opt.out, n);
    out[n] = '\0';
    opt.out = out;
    if ((rc = check_out(out)) != 0)
        return rc;

    if ((rc = gen_mkdirs(out, &d)) != IPL_OK || (rc = gen_sim_new(&sim, &opt, &d)) != IPL_OK)
        goto out;
    const gen_ctx *ctx = gen_sim_ctx(sim);
    for (; opened < NWRITERS; opened++) {
        sinks[opened].ops = writers[opened];
        sinks[opened].state = NULL;
        if ((rc = writers[opened]->open(ctx, &sinks[opened].state, &d)) != IPL_OK)
            goto out;
    }
    if ((rc = gen_sim_run(sim, sinks, NWRITERS, &d)) != IPL_OK)
        goto out;
    if ((rc = gen_path(path, sizeof path, &d, "%s/sources.tsv", out)) != IPL_OK
        || (rc = gen_file_open(&sources, path, (size_t)64 << 10, &d)) != IPL_OK)
        goto out;
    for (int i = 0; i < NWRITERS; i++)
        if ((rc = writers[i]->finish(sinks[i].state, &sources, &c, &d)) != IPL_OK)
            goto out;
    if ((rc = gen_file_close(&sources, &d)) != IPL_OK)
        goto out;
    c.files++;
    c.bytes += sources.bytes;
    printf("ipledger-gen: %llu files, %llu events, %llu truth intervals, %llu probes, %llu bytes"
           " in %s (seed %llu, %04d-%02d-%02d + %d days, %u devices, %d sites)\n",
           (unsigned long long)c.files, (unsigned long long)c.rows,
           (unsigned long long)c.intervals, (unsigned long long)c.probes,
           (unsigned long long)c.bytes, out, (unsigned long long)opt.seed, opt.year, opt.mon,
           opt.mday, opt.days, opt.devices, opt.sites);
    if (fflush(stdout) != 0) {
        rc = ipl_diag_set(&d, IPL_EIO, "cannot write the summary");
        goto out;
    }
    status = 0;
out:
    if (status != 0)
        fprintf(stderr, "ipledger-gen: %s\n", d.msg[0] ? d.msg : ipl_strerror(rc));
    gen_file_close(&sources, NULL);
    for (int i = 0; i < opened; i++)
        writers[i]->free(sinks[i].state);
    gen_sim_free(sim);
    return status;
}
