/* tools/bench/bench.h — what the files of the benchmark share; not a public header.
 *
 * ipledger-bench loads one generated data set into an ipledger store and into an SQLite database
 * (the peer), on the same machine in the same run, and prints each figure against its target
 * and against SQLite. Files:
 *   bench.c    options, the order of the runs, the report
 *   data.c     the data set: generator run, sources.tsv, probes.tsv, disk usage, temp dirs
 *   child.c    a measured job in a forked child (wall and CPU time, peak RSS, bytes written),
 *              the clock, latency percentiles
 *   feed.c     framing files into lines for a parser (the parse-only, batch and SQLite paths)
 *   ipl.c      the ipledger side: ingest, stage timings, who lookups
 *   sqlite.c   the SQLite side: the same events into a table with the same indexes, who in SQL
 * Ownership: every struct here is filled and released by its module; strings are owned by it.
 */
#ifndef IPL_BENCH_H
#define IPL_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"
#include "engine/parser.h"
#include "engine/tz.h"

#define BENCH_BATCH 65536            /* events per transaction, both sides (ipledger's default) */
#define BENCH_MSG 512

/* ---- the data set (data.c) ---- */
typedef struct bench_source {        /* one row of sources.tsv */
    char *path;                      /* DIR/relpath */
    char *format, *tzname, *server;  /* server may be NULL */
    const ipl_parser *parser;
    const ipl_tz *tz;                /* loaded by bench_data_load_zones; shared */
    uint64_t bytes;                  /* size on disk (a directory: its files, recursively) */
} bench_source;

typedef struct bench_probe {         /* one row of probes.tsv */
    uint8_t ip[16];
    int64_t at;                      /* UTC µs */
    char    mac[13];                 /* expected holder's canonical MAC; "" = nobody */
    char    user[128];               /* expected user at the instant ("" = none; mixed data sets) */
} bench_probe;

typedef struct bench_data {
    char *dir;
    bench_source *src;
    size_t nsrc;
    uint64_t bytes;
    ipl_tz **zones;                  /* owned, one per distinct name */
    size_t nzones;
    size_t skipped;                  /* sources of formats without a parser */
    char skipped_formats[256];
} bench_data;

int  bench_data_open(bench_data *ds, const char *dir, char *err, size_t errlen);
int  bench_data_load_zones(bench_data *ds, char *err, size_t errlen);
void bench_data_release(bench_data *ds);
/* Reads every file once (so that all runs start from a warm page cache); returns bytes read. */
uint64_t bench_data_warm(const bench_data *ds);
/* About half the data set, cut in time: every source that is a directory (a server's day
 * directories) contributes its first entries in name order up to half its bytes; sources that
 * are files, the first of them up to half the bytes. Zones are borrowed from ds. */
int bench_data_half(const bench_data *ds, bench_data *half, char *err, size_t errlen);
/* All probes; *out owned (free). */
int bench_probes_load(const char *dir, bench_probe **out, size_t *n, char *err,
                      size_t errlen);

/* Runs `gen --out dir --seed seed --events events --mix mswin` (Windows DHCP audit logs only;
 * without --mix if the generator refuses it); its stdout goes to stderr. */
int bench_generate(const char *gen, const char *dir, uint64_t seed, uint64_t events,
                   const char *mix, char *err,
                   size_t errlen);
/* Runs the generator with argv (argv[0] its path); 0, or -1 with err set. */
int bench_run_gen(char *const argv[], char *err, size_t errlen);
/* Bytes on disk (st_blocks * 512) of every file under `dir`. */
uint64_t bench_du(const char *dir);
int bench_rmtree(const char *dir);

/* ---- measuring (child.c) ---- */
typedef struct bench_result {        /* what a job reports back; all zero = nothing done */
    int      err;                    /* 0 = ok; else msg says why */
    char     msg[BENCH_MSG];
    uint64_t events, lines, rejected, files, commits;
    double   seconds;                /* wall time of the measured part, as the job timed it */
    double   extra[4];               /* job-specific figures */
    /* filled by bench_run_child from wait4() */
    double   user_s, sys_s;
    uint64_t maxrss_kib;
    uint64_t peak_anon_kib, peak_file_kib;   /* sampled every 20 ms: may miss a short peak */
    uint64_t io_write_bytes;         /* /proc/self/io at the job's end: bytes sent to storage */
} bench_result;

typedef void (*bench_job_fn)(void *ctx, bench_result *r);
/* Runs fn(ctx, r) in a forked child and collects r and the child's rusage. 0 or -1 (msg set). */
int bench_run_child(bench_job_fn fn, void *ctx, bench_result *r);

double bench_now(void);              /* monotonic seconds */

/* ---- feeding files to a parser (feed.c) ---- */
typedef int (*bench_event_fn)(void *ctx, const ipl_event *ev);
typedef struct bench_feed_stats {
    uint64_t lines, events, rejected, files;
} bench_feed_stats;
/* Frames `path` (a file or a directory, recursively in name order, as ingest walks it) into lines
 * and calls the source's parser on each, then fn on each event, with source ("file:" + real path),
 * line and server set as ingest sets them. fn returning non-zero stops with that code. */
int bench_feed(const bench_source *s, bench_event_fn fn, void *ctx, bench_feed_stats *st,
               char *err, size_t errlen);

/* ---- the two sides ---- */
typedef struct bench_ingest_job {    /* ipl.c: the ingest run in a child */
    const bench_data *ds;
    size_t nsrc;                     /* the first nsrc sources */
    const char *store;
    size_t batch;                    /* events per commit */
    const char *const *geoip;        /* GeoIP databases to enrich with (engine/geoip.h), or NULL; */
    size_t ngeoip;                   /* then extra[1..3] = events enriched, lookups, cache hits */
} bench_ingest_job;
void bench_ipl_ingest(void *job, bench_result *r);
/* Stage timings on all sources: extra[0] = read+frame+parse seconds, extra[1] = the same plus
 * ipl_batch_add (batches of job->batch events, cleared instead of committed). */
void bench_ipl_stages(void *job, bench_result *r);

/* who: every probe once (match, held: answers equal to the probe's, answers "held"), then
 * `lookups` timed lookups cycling over the probes, each in its own read transaction. */
typedef struct bench_lat {
    double p50_us, p99_us, max_us, mean_us;
    size_t lookups, n, match, held;
} bench_lat;
int bench_ipl_who(const char *store, const bench_probe *p, size_t n, size_t lookups,
                  bench_lat *lat, char *err, size_t errlen);

typedef struct bench_sqlite_job {
    const bench_data *ds;
    const char *db;
    size_t batch;                    /* events per transaction */
} bench_sqlite_job;
/* extra[0] = seconds of the final checkpoint (not counted in `seconds`). */
void bench_sqlite_ingest(void *job, bench_result *r);
int bench_sqlite_who(const char *db, const bench_probe *p, size_t n, size_t lookups,
                     bench_lat *lat, char *err, size_t errlen);
extern const char bench_sqlite_settings[];

/* ---- track --ip --at (track.c): issue 3's target, p99 <= 200 us on a mixed 5M-event store ----
 * match counts answers whose device (MAC) and user equal the probe's (generator truth). */
int bench_ipl_track(const char *store, const bench_probe *p, size_t n, size_t lookups,
                    bench_lat *lat, char *err, size_t errlen);
int bench_sqlite_track(const char *db, const bench_probe *p, size_t n, size_t lookups,
                       bench_lat *lat, char *err, size_t errlen);
/* track --user over the 30 days before each probe whose truth names one user (target p99 5 ms);
 * match counts users with at least one row. */
int bench_ipl_track_user(const char *store, const bench_probe *p, size_t n, size_t lookups,
                         bench_lat *lat, char *err, size_t errlen);

/* ---- GeoIP enrichment cost (geoip.c) ---- */
typedef struct bench_geoip_opts {
    const char *gen;                 /* the generator */
    const char *tmpdir;              /* the data set and the stores go under it */
    uint64_t seed, events;
    uint32_t internet;               /* --internet of the generator */
    size_t batch;
    const char *const *db;
    size_t ndb;
} bench_geoip_opts;
/* Generates an enterprise with logons (--mix all --internet N), ingests it into fresh stores
 * without and with enrichment, alternating, twice each (the best of each counts), and prints the
 * figures and the cost against the 10% target on stdout. 0, or -1 with err set. */
int bench_geoip(const bench_geoip_opts *o, char *err, size_t errlen);

/* Latency summary of `n` samples (sorted in place); sets lookups, not n/match/held. */
void bench_lat_summary(double *us, size_t n, bench_lat *lat);

#endif
