/* tools/bench/bench.c — ipledger-bench: the performance figures against their targets and
 * against SQLite, measured in the same run on the same machine (docs/performance.md).
 *
 *   ipledger-bench [--events N] [--seed N] [--data DIR | --gen PATH] [--probes N] [--batch N]
 *                  [--tmp DIR] [--keep] [--no-sqlite] [--no-half] [--no-stages]
 *
 * Runs, in this order, each measured job in a forked child (its peak RSS from wait4):
 *   1. generate the data set (unless --data), read it once so every run starts from a warm cache;
 *   2. ipledger ingest of about half the data set into a fresh store (peak RSS at N/2);
 *   3. ipledger ingest of all of it into another fresh store (throughput, size, peak RSS at N);
 *   4. the SQLite peer on the same files (throughput, size after a checkpoint, peak RSS);
 *   5. stage timings: read+frame+parse only, then also ipl_batch_add (no commits);
 *   6. who --ip --at over the probes on both (p99), and how many answers match the truth;
 *   7. with --track (a mixed data set: --mix all, or --data of one): track --ip --at over the
 *      probes on both (p99; target 200 us), and how many device+user answers match the truth.
 * Figures go to stdout, progress to stderr. The exit status is 0 whether targets are met or
 * missed (a benchmark, not a test); 2 for bad usage, 1 when a run could not be done at all. */
#include "tools/bench/bench.h"
#include "engine/err.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_EVENTS 5000000ULL
#define DEFAULT_SEED   42ULL
#define DEFAULT_PROBES 10000ULL

/* targets (docs/performance.md) */
#define T_INGEST_EPS   400000.0
#define T_INGEST_RATIO 3.0
#define T_BYTES_EVENT  120.0
#define T_WHO_P99_US   50.0
#define T_RSS_MIB      256.0
#define T_RSS_GROWTH   1.10       /* "independent of input size": N uses <= 10% + 8 MiB over N/2 */
#define T_RSS_SLACK    8.0
#define T_TRACK_P99_US 200.0
#define T_TRACK_USER_P99_US 5000.0

typedef struct opts {
    uint64_t events, seed, probes, batch;
    const char *data, *gen, *tmp;
    int keep, no_sqlite, no_half, no_stages, track;
    const char *mix;
    const char *geoip[16];           /* --geoip-db: measure the GeoIP enrichment cost (geoip.c) */
    size_t ngeoip;
    uint64_t geoip_events, geoip_internet;
    int geoip_only;
} opts;

static const char usage[] =
    "usage: ipledger-bench [--events N] [--seed N] [--data DIR | --gen PATH] [--probes N]\n"
    "                      [--batch N] [--tmp DIR] [--keep] [--no-sqlite] [--no-half]\n"
    "                      [--no-stages] [--mix all|mswin] [--track]\n"
    "                      [--geoip-db FILE]... [--geoip-events N]\n"
    "                      [--geoip-internet N] [--geoip-only]\n"
    "\n"
    "  --events N   size of the generated data set (default 5000000)\n"
    "  --seed N     generator seed (default 42)\n"
    "  --data DIR   use an existing data set (DIR/sources.tsv, DIR/probes.tsv) instead\n"
    "  --gen PATH   the generator binary (default: ipledger-gen next to this binary)\n"
    "  --probes N   who lookups to time (default 10000, cycling over DIR/probes.tsv)\n"
    "  --batch N    events per transaction on both sides (default 65536, ipledger's default)\n"
    "  --tmp DIR    where the temporary stores go (default $TMPDIR or /tmp)\n"
    "  --keep       keep the temporary directory (stores, database, generated data)\n"
    "  --no-sqlite  skip the SQLite peer    --no-half  skip the N/2 RSS run\n"
    "  --no-stages  skip the stage timings\n"
    "  --mix M      what to generate: mswin (default: Windows DHCP logs) or all (every format,\n"
    "               users logging on)\n"
    "  --track      also time track --ip --at over the probes (needs a mixed data set)\n"
    "  --geoip-db FILE      also measure GeoIP enrichment with this MMDB (repeatable, at most 16):\n"
    "                       ingest with and without it of an enterprise with logons\n"
    "  --geoip-events N     size of that data set (default 1000000)\n"
    "  --geoip-internet N   the generator's --internet (default 60)\n"
    "  --geoip-only         only the GeoIP figures\n";

static void note(const char *fmt, ...) IPL_PRINTF(1, 2);
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* 1234567 -> "1,234,567" */
static const char *num(uint64_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, opts *o)
{
    o->events = DEFAULT_EVENTS;
    o->seed = DEFAULT_SEED;
    o->probes = DEFAULT_PROBES;
    o->batch = BENCH_BATCH;
    o->geoip_events = 1000000;
    o->geoip_internet = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = 1;
        } else if (strcmp(a, "--no-sqlite") == 0) {
            o->no_sqlite = 1;
        } else if (strcmp(a, "--no-half") == 0) {
            o->no_half = 1;
        } else if (strcmp(a, "--no-stages") == 0) {
            o->no_stages = 1;
        } else if (strcmp(a, "--track") == 0) {
            o->track = 1;
        } else if (strcmp(a, "--mix") == 0) {
            if (!v || (strcmp(v, "all") && strcmp(v, "mswin"))) {
                fprintf(stderr, "ipledger-bench: --mix needs all or mswin\n");
                return 2;
            }
            o->mix = v;
            i++;
        } else if (strcmp(a, "--geoip-only") == 0) {
            o->geoip_only = 1;
        } else if (strcmp(a, "--geoip-db") == 0) {
            if (!v || o->ngeoip == sizeof o->geoip / sizeof o->geoip[0]) {
                fprintf(stderr, "ipledger-bench: --geoip-db needs a value (at most 16)\n");
                return 2;
            }
            o->geoip[o->ngeoip++] = v;
            i++;
        } else if (strcmp(a, "--geoip-events") == 0 || strcmp(a, "--geoip-internet") == 0) {
            uint64_t n;
            int ev = a[8] == 'e';
            if (parse_u64(v, &n) != 0 || (ev && n == 0) || (!ev && n > 1000)) {
                fprintf(stderr, "ipledger-bench: %s: '%s' is not a number in range\n", a, v ? v : "");
                return 2;
            }
            *(ev ? &o->geoip_events : &o->geoip_internet) = n;
            i++;
        } else if (strcmp(a, "--events") == 0 || strcmp(a, "--seed") == 0 ||
                   strcmp(a, "--probes") == 0 || strcmp(a, "--batch") == 0) {
            uint64_t n;
            if (parse_u64(v, &n) != 0 || (strcmp(a, "--seed") != 0 && n == 0) ||
                (a[2] == 'b' && n > 1000000)) {
                fprintf(stderr, "ipledger-bench: %s: '%s' is not a number in range\n", a,
                        v ? v : "");
                return 2;
            }
            *(a[2] == 'e'   ? &o->events
              : a[2] == 's' ? &o->seed
              : a[2] == 'p' ? &o->probes
                            : &o->batch) = n;
            i++;
        } else if (strcmp(a, "--data") == 0 || strcmp(a, "--gen") == 0 || strcmp(a, "--tmp") == 0) {
            if (!v) {
                fprintf(stderr, "ipledger-bench: %s needs a value\n", a);
                return 2;
            }
            *(a[2] == 'd' ? &o->data : a[2] == 'g' ? &o->gen : &o->tmp) = v;
            i++;
        } else {
            fprintf(stderr, "ipledger-bench: unknown argument '%s'\n%s", a, usage);
            return 2;
        }
    }
    return 0;
}

/* The generator next to this binary. */
static int default_gen(char *buf, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return -1;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return (size_t)snprintf(buf, n, "%s/ipledger-gen", self) < n ? 0 : -1;
}

/* VmRSS of this process in KiB (0 if unknown). */
static uint64_t self_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t v = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            char *p = line + 6;
            while (*p == ' ' || *p == '\t')
                p++;
            v = strtoull(p, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static double mib(uint64_t kib)
{
    return (double)kib / 1024.0;
}

static const char *verdict(int ok)
{
    return ok ? "PASS" : "MISS";
}

typedef struct run {
    int done;
    bench_result r;
    uint64_t bytes_on_disk;
    uint64_t parent_kib;     /* the parent's RSS when it forked (part of the child's at start) */
    double load[2];          /* 1-minute load average before and after */
} run;

/* The 1-minute load average (other work on the machine skews every wall-clock figure). */
static double loadavg(void)
{
    double v = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* Everything one bench run measures. */
typedef struct bench {
    opts o;
    char tmpdir[PATH_MAX - 64], datadir[PATH_MAX], store_half[PATH_MAX], store[PATH_MAX],
        sqldir[PATH_MAX], sqldb[PATH_MAX + 16];
    char err[BENCH_MSG + PATH_MAX];
    bench_data ds, halfds;
    double t_start, t_gen, t_warm;
    double max_load;                 /* highest 1-minute load average seen after a job */
    run half, full, peer, stages;
    bench_probe *probes;
    size_t nprobes;
    bench_lat who, sqlwho, track, sqltrack, trackuser;
} bench;

static int job(bench *b, run *x, bench_job_fn fn, void *ctx, const char *what)
{
    x->parent_kib = self_rss_kib();
    x->load[0] = loadavg();
    if (bench_run_child(fn, ctx, &x->r)) {
        snprintf(b->err, sizeof b->err, "%s: %s", what, x->r.msg);
        return -1;
    }
    x->load[1] = loadavg();
    if (x->load[1] > b->max_load)
        b->max_load = x->load[1];
    x->done = 1;
    return 0;
}

static int prepare_data(bench *b)
{
    char gen[PATH_MAX], n1[32];
    if (b->o.data) {
        snprintf(b->datadir, sizeof b->datadir, "%s", b->o.data);
    } else {
        if (b->o.gen) {
            snprintf(gen, sizeof gen, "%s", b->o.gen);
        } else if (default_gen(gen, sizeof gen) != 0) {
            snprintf(b->err, sizeof b->err, "cannot find ipledger-gen next to this binary: use --gen");
            return -1;
        }
        snprintf(b->datadir, sizeof b->datadir, "%s/data", b->tmpdir);
        note("generating %s events (seed %llu) into %s", num(b->o.events, n1, sizeof n1),
             (unsigned long long)b->o.seed, b->datadir);
        double t0 = bench_now();
        if (bench_generate(gen, b->datadir, b->o.seed, b->o.events, b->o.mix, b->err,
                           sizeof b->err))
            return -1;
        b->t_gen = bench_now() - t0;
        note("generated in %.1f s", b->t_gen);
    }
    if (bench_data_open(&b->ds, b->datadir, b->err, sizeof b->err) ||
        bench_data_load_zones(&b->ds, b->err, sizeof b->err))
        return -1;
    double t0 = bench_now();
    uint64_t warm = bench_data_warm(&b->ds);
    b->t_warm = bench_now() - t0;
    note("%zu sources, %.1f MiB, read once in %.2f s (page cache warm for every run)", b->ds.nsrc,
         (double)warm / 1048576.0, b->t_warm);
    return 0;
}

/* The measured runs, in the order of the file comment. */
static int run_all(bench *b)
{
    if (!b->o.no_half) {
        if (bench_data_half(&b->ds, &b->halfds, b->err, sizeof b->err))
            return -1;
        bench_ingest_job j = {&b->halfds, b->halfds.nsrc, b->store_half, (size_t)b->o.batch, NULL, 0};
        note("ipledger ingest, the first half of every source (%.1f of %.1f MiB)...",
             (double)b->halfds.bytes / 1048576.0, (double)b->ds.bytes / 1048576.0);
        if (job(b, &b->half, bench_ipl_ingest, &j, "ipledger ingest (N/2)"))
            return -1;
        b->half.bytes_on_disk = bench_du(b->store_half);
        bench_rmtree(b->store_half);
    }
    bench_ingest_job all = {&b->ds, b->ds.nsrc, b->store, (size_t)b->o.batch, NULL, 0};
    note("ipledger ingest, all %zu sources...", b->ds.nsrc);
    if (job(b, &b->full, bench_ipl_ingest, &all, "ipledger ingest"))
        return -1;
    b->full.bytes_on_disk = bench_du(b->store);
    if (!b->o.no_sqlite) {
        bench_sqlite_job j = {&b->ds, b->sqldb, (size_t)b->o.batch};
        note("sqlite ingest, all %zu sources...", b->ds.nsrc);
        if (mkdir(b->sqldir, 0775) != 0) {
            snprintf(b->err, sizeof b->err, "cannot create '%s': %s", b->sqldir, strerror(errno));
            return -1;
        }
        if (job(b, &b->peer, bench_sqlite_ingest, &j, "sqlite ingest"))
            return -1;
        b->peer.bytes_on_disk = bench_du(b->sqldir);
    }
    if (!b->o.no_stages) {
        note("stage timings (parse only; parse + batch)...");
        if (job(b, &b->stages, bench_ipl_stages, &all, "stages"))
            return -1;
    }
    if (bench_probes_load(b->datadir, &b->probes, &b->nprobes, b->err, sizeof b->err))
        return -1;
    size_t lookups = (size_t)b->o.probes;
    note("who: %zu probes, then %zu timed lookups...", b->nprobes, lookups);
    if (bench_ipl_who(b->store, b->probes, b->nprobes, lookups, &b->who, b->err, sizeof b->err))
        return -1;
    if (b->peer.done && bench_sqlite_who(b->sqldb, b->probes, b->nprobes, lookups, &b->sqlwho,
                                         b->err, sizeof b->err))
        return -1;
    if (b->o.track) {
        note("track --ip --at: %zu probes, then %zu timed lookups...", b->nprobes, lookups);
        if (bench_ipl_track(b->store, b->probes, b->nprobes, lookups, &b->track, b->err,
                            sizeof b->err))
            return -1;
        if (b->peer.done && bench_sqlite_track(b->sqldb, b->probes, b->nprobes, lookups,
                                               &b->sqltrack, b->err, sizeof b->err))
            return -1;
        note("track --user over 30 days: %zu timed lookups...", lookups / 5);
        if (bench_ipl_track_user(b->store, b->probes, b->nprobes, lookups / 5, &b->trackuser,
                                 b->err, sizeof b->err))
            return -1;
    }
    return 0;
}

/* One figure line: name, ipledger's figure, the target, SQLite's figure, ratio, verdict. */
static void figure(const char *name, const char *fig, const char *tgt, const char *peer,
                   double ratio, int ok)
{
    char r[32] = "-";
    if (ratio > 0)
        snprintf(r, sizeof r, "%.2fx", ratio);
    printf("%-11s %-26s %-30s %-28s ratio %-7s %s\n", name, fig, tgt, peer, r, verdict(ok));
}

static void show_run(const char *name, const run *x)
{
    char e[32], l[32], q[32];
    if (!x->done)
        return;
    double cpu = x->r.user_s + x->r.sys_s;
    printf("  %-9s %s events from %s lines (%s rejected), %llu files\n", name,
           num(x->r.events, e, sizeof e), num(x->r.lines, l, sizeof l),
           num(x->r.rejected, q, sizeof q), (unsigned long long)x->r.files);
    printf("  %-9s %.2f s wall, cpu %.2f s user + %.2f s sys (%s events per cpu-second); load "
           "average %.1f -> %.1f\n", "", x->r.seconds, x->r.user_s, x->r.sys_s,
           num(cpu > 0 ? (uint64_t)((double)x->r.events / cpu) : 0, e, sizeof e), x->load[0],
           x->load[1]);
    printf("  %-9s wrote %.1f MiB to storage (%.0f bytes/event)\n", "",
           (double)x->r.io_write_bytes / 1048576.0,
           x->r.events ? (double)x->r.io_write_bytes / (double)x->r.events : 0.0);
    printf("  %-9s peak RSS %.1f MiB (sampled peaks: anonymous %.1f MiB, mapped file pages %.1f "
           "MiB; parent at fork %.1f MiB)\n",
           "", mib(x->r.maxrss_kib), mib(x->r.peak_anon_kib), mib(x->r.peak_file_kib),
           mib(x->parent_kib));
}

static double per_s(uint64_t n, double s)
{
    return s > 0 ? (double)n / s : 0;
}

static void report(bench *b)
{
    char n1[32], n2[32], fig[64], tgt[64], peer[64];
    const run *full = &b->full, *half = &b->half, *sq = &b->peer, *st = &b->stages;
    double eps = per_s(full->r.events, full->r.seconds);
    double seps = sq->done ? per_s(sq->r.events, sq->r.seconds) : 0;
    double bpe = full->r.events ? (double)full->bytes_on_disk / (double)full->r.events : 0;
    double sbpe = sq->done && sq->r.events ? (double)sq->bytes_on_disk / (double)sq->r.events : 0;
    double rss = mib(full->r.maxrss_kib), rss_half = mib(half->r.maxrss_kib);
    int ok_ingest = eps >= T_INGEST_EPS && (!sq->done || eps >= T_INGEST_RATIO * seps);
    int ok_size = bpe > 0 && bpe <= T_BYTES_EVENT;
    int ok_who = b->who.n && b->who.p99_us <= T_WHO_P99_US;
    int ok_rss = rss <= T_RSS_MIB && (!half->done || rss <= rss_half * T_RSS_GROWTH + T_RSS_SLACK);

    printf("ipledger-bench: %ld cores; data set %s (%s", sysconf(_SC_NPROCESSORS_ONLN), b->datadir,
           b->o.data ? "given" : "generated");
    if (!b->o.data)
        printf(", seed %llu, %s events asked, %.1f s to generate", (unsigned long long)b->o.seed,
               num(b->o.events, n1, sizeof n1), b->t_gen);
    printf("), %zu sources, %.1f MiB of logs\n", b->ds.nsrc, (double)b->ds.bytes / 1048576.0);
    if (b->ds.skipped)
        printf("skipped %zu sources of formats without a parser in this build: %s\n",
               b->ds.skipped, b->ds.skipped_formats);
    if (sq->done)
        printf("sqlite %s peer: %s\n", sqlite3_libversion(), bench_sqlite_settings);
    printf("%s: %llu events per transaction, a durable commit each\n",
           sq->done ? "both sides" : "ipledger", (unsigned long long)b->o.batch);
    printf("ratio: how many times better ipledger is than sqlite (> 1.00x: ipledger better)\n");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (b->max_load > (double)ncpu + 0.5) /* the job itself counts for 1-2 (running, fsync) */
        printf("WARNING: the machine was busy (1-minute load average up to %.1f on %ld cores): "
               "wall-clock figures are pessimistic; see the cpu-second figures in the details\n",
               b->max_load, ncpu);
    printf("\n");

    snprintf(fig, sizeof fig, "%s events/s", num((uint64_t)(eps + 0.5), n1, sizeof n1));
    snprintf(tgt, sizeof tgt, "target >= %s and >= %.0fx sqlite",
             num((uint64_t)T_INGEST_EPS, n2, sizeof n2), T_INGEST_RATIO);
    snprintf(peer, sizeof peer, "sqlite %s events/s", num((uint64_t)(seps + 0.5), n1, sizeof n1));
    figure("ingest", fig, tgt, sq->done ? peer : "sqlite -", seps > 0 ? eps / seps : 0, ok_ingest);

    snprintf(fig, sizeof fig, "%.1f bytes/event", bpe);
    snprintf(tgt, sizeof tgt, "target <= %.0f bytes/event", T_BYTES_EVENT);
    snprintf(peer, sizeof peer, "sqlite %.1f bytes/event", sbpe);
    figure("store size", fig, tgt, sq->done ? peer : "sqlite -", bpe > 0 ? sbpe / bpe : 0, ok_size);

    snprintf(fig, sizeof fig, "p99 %.1f us", b->who.p99_us);
    snprintf(tgt, sizeof tgt, "target <= %.0f us", T_WHO_P99_US);
    snprintf(peer, sizeof peer, "sqlite p99 %.1f us", b->sqlwho.p99_us);
    figure("who", fig, tgt, sq->done ? peer : "sqlite -",
           b->who.p99_us > 0 && b->sqlwho.n ? b->sqlwho.p99_us / b->who.p99_us : 0, ok_who);

    if (half->done)
        snprintf(fig, sizeof fig, "%.1f MiB (N/2: %.1f MiB)", rss, rss_half);
    else
        snprintf(fig, sizeof fig, "%.1f MiB", rss);
    snprintf(tgt, sizeof tgt, "target <= %.0f MiB, flat", T_RSS_MIB);
    snprintf(peer, sizeof peer, "sqlite %.1f MiB", mib(sq->r.maxrss_kib));
    figure("ingest RSS", fig, tgt, sq->done ? peer : "sqlite -",
           rss > 0 && sq->done ? mib(sq->r.maxrss_kib) / rss : 0, ok_rss);

    int ok_track = b->track.n && b->track.p99_us <= T_TRACK_P99_US;
    if (b->o.track) {
        snprintf(fig, sizeof fig, "p99 %.1f us", b->track.p99_us);
        snprintf(tgt, sizeof tgt, "target <= %.0f us", T_TRACK_P99_US);
        snprintf(peer, sizeof peer, "sqlite p99 %.1f us", b->sqltrack.p99_us);
        figure("track", fig, tgt, sq->done ? peer : "sqlite -",
               b->track.p99_us > 0 && b->sqltrack.n ? b->sqltrack.p99_us / b->track.p99_us : 0,
               ok_track);
        snprintf(fig, sizeof fig, "p99 %.1f us", b->trackuser.p99_us);
        snprintf(tgt, sizeof tgt, "target <= %.0f us", T_TRACK_USER_P99_US);
        figure("track user", fig, tgt, "sqlite -", 0,
               b->trackuser.n && b->trackuser.p99_us <= T_TRACK_USER_P99_US);
    }

    printf("\nwho: %zu/%zu probes match the generator's truth", b->who.match, b->who.n);
    if (sq->done)
        printf(" (sqlite peer: %zu/%zu)", b->sqlwho.match, b->sqlwho.n);
    if (b->o.track) {
        printf("\ntrack: %zu/%zu probes: device and user as the generator's truth", b->track.match,
               b->track.n);
        if (sq->done)
            printf(" (sqlite peer, latest logon from the address or host in 10 h: %zu/%zu)",
                   b->sqltrack.match, b->sqltrack.n);
    }
    printf("\n\ndetails:\n");
    show_run("ipledger", full);
    printf("  %-9s store %.1f MiB on disk (du of data.mdb + lock.mdb), %llu commits\n", "",
           (double)full->bytes_on_disk / 1048576.0, (unsigned long long)full->r.commits);
    if (half->done) {
        show_run("N/2", half);
        printf("  %-9s %s events/s; peak RSS N/2 -> N: %.1f -> %.1f MiB (flat means <= +%.0f%% + "
               "%.0f MiB)\n", "",
               num((uint64_t)per_s(half->r.events, half->r.seconds), n1, sizeof n1), rss_half, rss,
               (T_RSS_GROWTH - 1) * 100, T_RSS_SLACK);
    }
    if (sq->done) {
        show_run("sqlite", sq);
        printf("  %-9s database %.1f MiB on disk (events.db + wal after a TRUNCATE checkpoint of "
               "%.2f s, not counted in the time)\n", "",
               (double)sq->bytes_on_disk / 1048576.0, sq->r.extra[0]);
        if (sq->r.events != full->r.events)
            printf("  WARNING: sqlite loaded %llu events, ipledger %llu\n",
                   (unsigned long long)sq->r.events, (unsigned long long)full->r.events);
    }
    if (st->done) {
        double parse = st->r.extra[0], batch = st->r.extra[1], all = full->r.seconds;
        printf("  %-9s read+frame+parse %.2f s (%s events/s); + ipl_batch_add %.2f s; the rest "
               "of ingest (commit: records, dictionary, indexes, chain, fsync) %.2f s = %.0f%% of "
               "%.2f s\n", "stages", parse,
               num((uint64_t)per_s(st->r.events, parse), n1, sizeof n1), batch, all - batch,
               all > 0 ? 100.0 * (all - batch) / all : 0.0, all);
    }
    printf("  %-9s %zu timed lookups cycling over the %zu probes, each in its own read "
           "transaction, after one untimed pass\n", "who", b->who.lookups, b->who.n);
    printf("  %-9s ipledger p50 %.1f  p99 %.1f  max %.1f  mean %.1f us; %zu of %zu probes held\n",
           "", b->who.p50_us, b->who.p99_us, b->who.max_us, b->who.mean_us, b->who.held, b->who.n);
    if (sq->done)
        printf("  %-9s sqlite   p50 %.1f  p99 %.1f  max %.1f  mean %.1f us; %zu of %zu probes "
               "held\n", "", b->sqlwho.p50_us, b->sqlwho.p99_us, b->sqlwho.max_us,
               b->sqlwho.mean_us, b->sqlwho.held, b->sqlwho.n);
    if (b->o.track) {
        printf("  %-9s %zu timed track --ip --at lookups cycling over the %zu probes\n", "track",
               b->track.lookups, b->track.n);
        printf("  %-9s ipledger p50 %.1f  p99 %.1f  max %.1f  mean %.1f us\n", "",
               b->track.p50_us, b->track.p99_us, b->track.max_us, b->track.mean_us);
        if (sq->done)
            printf("  %-9s sqlite   p50 %.1f  p99 %.1f  max %.1f  mean %.1f us\n", "",
                   b->sqltrack.p50_us, b->sqltrack.p99_us, b->sqltrack.max_us,
                   b->sqltrack.mean_us);
        printf("  %-9s %zu timed track --user lookups over the 30 days before a probe, cycling "
               "over %zu users (%zu of them found at their instant)\n", "track usr",
               b->trackuser.lookups, b->trackuser.n, b->trackuser.match);
        printf("  %-9s ipledger p50 %.1f  p99 %.1f  max %.1f  mean %.1f us\n", "",
               b->trackuser.p50_us, b->trackuser.p99_us, b->trackuser.max_us,
               b->trackuser.mean_us);
    }
    int ok_tu = b->trackuser.n && b->trackuser.p99_us <= T_TRACK_USER_P99_US;
    int nt = 4 + 2 * b->o.track;
    int met = ok_ingest + ok_size + ok_who + ok_rss + (b->o.track && ok_track) +
              (b->o.track && ok_tu);
    printf("\nsummary: %d/%d targets met%s%s%s%s%s%s%s (bench %.0f s)\n", met, nt,
           met < nt ? "; MISS:" : "", ok_ingest ? "" : " ingest", ok_size ? "" : " store-size",
           ok_who ? "" : " who", ok_rss ? "" : " ingest-RSS",
           !b->o.track || ok_track ? "" : " track", !b->o.track || ok_tu ? "" : " track-user",
           bench_now() - b->t_start);
}

int main(int argc, char **argv)
{
    static bench b;
    int rc = parse_opts(argc, argv, &b.o);
    if (rc)
        return rc == 1 ? 0 : rc;
    b.t_start = bench_now();
    const char *root = b.o.tmp ? b.o.tmp : getenv("TMPDIR");
    if (!root || !*root)
        root = "/tmp";
    snprintf(b.tmpdir, sizeof b.tmpdir, "%s/ipledger-bench.XXXXXX", root);
    if (!mkdtemp(b.tmpdir)) {
        fprintf(stderr, "ipledger-bench: cannot create a directory in '%s': %s\n", root,
                strerror(errno));
        return 1;
    }
    snprintf(b.store_half, sizeof b.store_half, "%s/store-half", b.tmpdir);
    snprintf(b.store, sizeof b.store, "%s/store", b.tmpdir);
    snprintf(b.sqldir, sizeof b.sqldir, "%s/sqlite", b.tmpdir);
    snprintf(b.sqldb, sizeof b.sqldb, "%s/events.db", b.sqldir);
    rc = 1;
    if (b.o.geoip_only && !b.o.ngeoip) {
        fprintf(stderr, "ipledger-bench: --geoip-only needs --geoip-db FILE\n");
        rc = 2;
    } else if (b.o.geoip_only || (prepare_data(&b) == 0 && run_all(&b) == 0)) {
        if (!b.o.geoip_only)
            report(&b);
        rc = 0;
    } else {
        fprintf(stderr, "ipledger-bench: %s\n", b.err);
    }
    if (rc == 0 && b.o.ngeoip) {
        char gen[PATH_MAX];
        if (b.o.gen)
            snprintf(gen, sizeof gen, "%s", b.o.gen);
        else if (default_gen(gen, sizeof gen) != 0)
            snprintf(gen, sizeof gen, "ipledger-gen");
        bench_geoip_opts go = {gen, b.tmpdir, b.o.seed, b.o.geoip_events,
                               (uint32_t)b.o.geoip_internet, (size_t)b.o.batch, b.o.geoip, b.o.ngeoip};
        if (bench_geoip(&go, b.err, sizeof b.err)) {
            fprintf(stderr, "ipledger-bench: geoip: %s\n", b.err);
            rc = 1;
        }
    }
    free(b.probes);
    bench_data_release(&b.halfds);
    bench_data_release(&b.ds);
    if (b.o.keep)
        note("kept %s", b.tmpdir);
    else
        bench_rmtree(b.tmpdir);
    return rc;
}
