/* tools/bench/ipl.c — the ipledger side: the ingest as `ipledger ingest` runs it (one
 * ipl_ingest_path per sources.tsv row with that row's parser, zone and server, into a fresh store,
 * a durable commit per batch), stage timings that take the ingest apart, and `who --ip --at`
 * in-process over the probes, each lookup in its own read transaction as a query would be. */
#include "tools/bench/bench.h"
#include "engine/arena.h"
#include "engine/err.h"
#include "engine/geoip.h"
#include "engine/ingest.h"
#include "engine/store.h"
#include "queries/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "ipledger-bench: ingest warning: %s\n", msg);
}

void bench_ipl_ingest(void *job, bench_result *r)
{
    bench_ingest_job *j = job;
    ipl_diag d = {0};
    ipl_store *st = NULL;
    ipl_ingest_stats s;
    ipl_geoip *geo = NULL;
    memset(&s, 0, sizeof s);
    double t0 = bench_now();
    if (ipl_store_open(&st, j->store, IPL_STORE_CREATE, &d)) {
        r->err = 1;
        snprintf(r->msg, sizeof r->msg, "%s", d.msg);
        return;
    }
    if (j->ngeoip && ipl_geoip_new(&geo, 0, &d) == IPL_OK)  /* opening is part of the cost */
        for (size_t i = 0; i < j->ngeoip && !r->err; i++)
            if (ipl_geoip_add(geo, j->geoip[i], &d)) {
                r->err = 1;
                snprintf(r->msg, sizeof r->msg, "%s", d.msg);
            }
    for (size_t i = 0; i < j->nsrc; i++) {
        const bench_source *src = &j->ds->src[i];
        ipl_ingest_opts o;
        memset(&o, 0, sizeof o);
        o.parser = src->parser;
        o.tz = src->tz;
        o.server = src->server;
        o.batch_events = j->batch;
        o.release_map = 1;        /* as `ipledger ingest` does */
        o.geoip = geo;
        if (r->err)
            break;
        if (ipl_ingest_path(st, src->path, &o, &s, warn_cb, NULL, &d)) {
            r->err = 1;
            snprintf(r->msg, sizeof r->msg, "%s", d.msg);
            break;
        }
    }
    ipl_store_close(st);
    r->seconds = bench_now() - t0;
    if (geo) {
        const ipl_geoip_stats *gs = ipl_geoip_stats_get(geo);
        r->extra[1] = (double)gs->enriched;
        r->extra[2] = (double)gs->lookups;
        r->extra[3] = (double)gs->cache_hits;
        ipl_geoip_free(geo);
    }
    r->events = s.events;
    r->lines = s.lines;
    r->rejected = s.quarantined;
    r->files = s.files;
    r->commits = s.commits;
    r->extra[0] = (double)s.bytes;
}

/* ---- stages ---- */

typedef struct stage {
    ipl_batch *b;          /* NULL: parse only */
    size_t batch;
    uint64_t events;
    char msg[BENCH_MSG];
} stage;

static int count_only(void *ctx, const ipl_event *ev)
{
    (void)ev;
    ((stage *)ctx)->events++;
    return 0;
}

static int add_to_batch(void *ctx, const ipl_event *ev)
{
    stage *sg = ctx;
    ipl_diag d = {0};
    if (ipl_batch_add(sg->b, ev, &d)) {
        snprintf(sg->msg, sizeof sg->msg, "%s", d.msg);
        return 1;
    }
    if (ipl_batch_events(sg->b) >= sg->batch)
        ipl_batch_clear(sg->b);
    sg->events++;
    return 0;
}

static int run_stage(const bench_data *ds, stage *sg, bench_feed_stats *fs, double *secs)
{
    double t0 = bench_now();
    memset(fs, 0, sizeof *fs);
    for (size_t i = 0; i < ds->nsrc; i++) {
        int rc = bench_feed(&ds->src[i], sg->b ? add_to_batch : count_only, sg, fs, sg->msg,
                            sizeof sg->msg);
        if (rc)
            return rc;
    }
    *secs = bench_now() - t0;
    return 0;
}

void bench_ipl_stages(void *job, bench_result *r)
{
    bench_ingest_job *j = job;
    stage sg;
    bench_feed_stats fs;
    memset(&sg, 0, sizeof sg);
    if (run_stage(j->ds, &sg, &fs, &r->extra[0])) {
        r->err = 1;
        snprintf(r->msg, sizeof r->msg, "%s", sg.msg);
        return;
    }
    r->events = fs.events;
    r->lines = fs.lines;
    r->rejected = fs.rejected;
    r->files = fs.files;
    memset(&sg, 0, sizeof sg);
    sg.batch = j->batch;
    if (ipl_batch_new(&sg.b) || run_stage(j->ds, &sg, &fs, &r->extra[1])) {
        r->err = 1;
        snprintf(r->msg, sizeof r->msg, "%s", sg.b ? sg.msg : "out of memory");
    }
    ipl_batch_free(sg.b);
    r->seconds = r->extra[0] + r->extra[1];
}

/* ---- who ---- */

/* One lookup in its own read transaction; *match: the answer is the probe's expected one. */
static int who_one(ipl_store *st, const bench_probe *p, ipl_arena *a, int *match, int *held,
                   ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_who w;
    int e = ipl_rtxn_begin(st, &t, d);
    if (!e)
        e = ipl_who_at(t, p->ip, p->at, a, &w, d);
    if (!e) {
        *held = w.held;
        *match = p->mac[0] ? w.held && w.mac && strcmp(w.mac, p->mac) == 0 : !w.held;
    }
    ipl_rtxn_end(t);
    ipl_arena_clear(a);
    return e;
}

int bench_ipl_who(const char *store, const bench_probe *p, size_t n, size_t lookups,
                  bench_lat *lat, char *err, size_t errlen)
{
    ipl_diag d = {0};
    ipl_store *st = NULL;
    ipl_arena a;
    int rc = -1, match, held;
    double *us = malloc((lookups ? lookups : 1) * sizeof *us);
    memset(lat, 0, sizeof *lat);
    ipl_arena_init(&a, (size_t)1 << 20);
    if (!us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ipl_store_open(&st, store, IPL_STORE_RDONLY, &d)) {
        snprintf(err, errlen, "%s", d.msg);
        goto out;
    }
    /* every probe once: correctness, and the map warmed */
    for (size_t i = 0; i < n; i++) {
        if (who_one(st, &p[i], &a, &match, &held, &d)) {
            snprintf(err, errlen, "who: %s", d.msg);
            goto out;
        }
        lat->match += (size_t)match;
        lat->held += (size_t)held;
    }
    /* the timed lookups, cycling over the probes */
    for (size_t i = 0; i < lookups; i++) {
        double t0 = bench_now();
        int e = who_one(st, &p[i % n], &a, &match, &held, &d);
        us[i] = (bench_now() - t0) * 1e6;
        if (e) {
            snprintf(err, errlen, "who: %s", d.msg);
            goto out;
        }
    }
    bench_lat_summary(us, lookups, lat);
    lat->n = n;
    rc = 0;
out:
    ipl_arena_release(&a);
    ipl_store_close(st);
    free(us);
    return rc;
}
