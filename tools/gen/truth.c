/* tools/gen/truth.c — the ground truth of a generated data set: who held which address when, and
 * (--mix all) who was logged on from it.
 *
 *   DIR/truth.tsv    header, then one line per lease interval, sorted by address (the engine's
 *                    16-byte order: IPv4 first, numerically) then start:
 *                      ip  mac  host  server  start  end
 *                    half-open [start, end) in ISO UTC (the text of ipl_time_format); end is the
 *                    release or expiry instant, "-" when still held at the end of the period.
 *                    mac is the canonical 12 lowercase hex digits (for v6 the MAC in the DUID).
 *   DIR/probes.tsv   header, then ~1000 forensic questions with their answers, sorted the same:
 *                      ip  at  mac  host        (mac and host "-" when nobody held ip at `at`)
 *                    ~800 instants inside held intervals and ~200 where the address was free
 *                    (~150 in gaps between or around intervals, ~50 on addresses never leased);
 *                    every instant is at least 1 s from an interval boundary, inside the server's
 *                    period, and outside fall-back hours where the server's local time repeats.
 *
 * --mix all adds (--mix mswin writes exactly the two files above, as it always did):
 *   DIR/sessions.tsv header, then one line per logon session, sorted the same way (ip, start):
 *                      ip  mac  host  user  start  end  via
 *                    [start, end) as above; user as the session's log names it; via the format
 *                    that logs it (winsec-xml, nps-ias, sshd, ...). Every session lies inside a
 *                    lease interval of its ip held by its device (checked: an internal error
 *                    otherwise). A Wi-Fi session of a dual-stack device has a line per address.
 *   probes.tsv       a fifth column "user": the users logged on from ip at `at`, '|'-separated
 *                    in the order DC, RDP, Wi-Fi, SSH, or "-" (nobody logged on, or nobody held
 *                    the address). ~400 instants where someone is logged on, ~400 in held
 *                    intervals with nobody logged on, ~150 in gaps, ~50 never leased; every
 *                    instant is also at least 1 s from a session boundary. Gaps that no log can
 *                    tell apart from a holding are not probed: dnsmasq never logs an expiry (its
 *                    lease file, archived once at the end, only names the leases held then), so
 *                    after an expiry at a dnsmasq site the address reads as held until its next
 *                    assignment.
 *
 * Intervals arrive when they end (GEN_H_RELEASE / GEN_H_EXPIRE) or at the end (GEN_H_OPEN), so
 * they are sorted with an external merge sort: runs of TRUTH_RUN records are sorted in memory and
 * spilled to DIR/.truth-run-<n>.tmp, then merged (files removed). Memory stays bounded whatever
 * the number of events. Probes are reservoir samples taken during the one sorted pass, from
 * their own random stream, so they are deterministic too. The environment variable
 * IPLEDGER_GEN_TRUTH_RUN (records per run, >= 16) exists for tests of the merge.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRUTH_RUN    ((size_t)1 << 20)          /* records per in-memory run: 40 MiB */
#define MERGE_MEM    ((size_t)16 << 20)         /* read buffers of all runs together */
#define K_HELD       800
#define K_HU         400                        /* --mix all: held, someone logged on */
#define K_HN         400                        /* --mix all: held, nobody logged on */
#define K_GAP        150
#define K_NEVER      50
#define N_CAND       (4 * K_NEVER)

enum { REC_LEASE, REC_SESSION };

struct rec {
    uint64_t hi, lo;
    int64_t  start, end;                        /* end GEN_NEVER: still held */
    uint32_t dev;
    uint16_t site;
    uint8_t  type;                              /* REC_LEASE or REC_SESSION */
    uint8_t  info;                              /* lease: 1 if it ended by expiry; session: via */
};

struct probe {
    uint64_t hi, lo;
    int64_t  at;
    int32_t  dev;                               /* -1: nobody */
    uint16_t site;
    uint8_t  seen;                              /* candidates: appeared in the truth */
    uint8_t  users;                             /* --mix all: 1 << via of the sessions covering */
};

struct run {
    FILE       *f;
    struct rec *buf;
    size_t      i, n, cap;
};

struct truth {
    const gen_ctx *ctx;
    struct rec *buf;
    size_t      n, cap;
    int         nruns;
    gen_file    out;
    gen_counts  c;
    /* the sorted pass */
    uint64_t    rng;
    int         have_ip;
    gen_ip      cur;
    int64_t     prev_end;
    uint16_t    cur_site;
    struct probe held[K_HELD], gap[K_GAP], cand[N_CAND];
    uint64_t    held_seen, gap_seen;
    int         nheld, ngap, ncand, cand_i;
    /* --mix all */
    gen_file    sess;                           /* sessions.tsv */
    struct probe hu[K_HU], hn[K_HN];
    uint64_t    hu_seen, hn_seen;
    int         nhu, nhn;
    int         prev_exp;                       /* the last interval ended by expiry */
    int         have_iv;                        /* iv: the interval being read, with its sessions */
    struct rec  iv;
    struct rec *ses;
    size_t      nses, capses;
    struct sweep { int64_t t; int8_t d; uint8_t via; } *sw;
    size_t      capsw;
    uint64_t    bad_sessions;
};

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    /* a total order, so runs merge the same whatever their size (never decides in --mix mswin,
     * where an address's intervals all start at different instants) */
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->info != y->info)
        return x->info < y->info ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static int probe_cmp(const void *a, const void *b)
{
    const struct probe *x = a, *y = b;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static void run_path(const struct truth *tr, int i, char *buf, size_t n)
{
    snprintf(buf, n, "%s/.truth-run-%d.tmp", tr->ctx->out, i);
}

static int spill(struct truth *tr, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    qsort(tr->buf, tr->n, sizeof *tr->buf, rec_cmp);
    run_path(tr, tr->nruns, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f)
        return ipl_diag_set(d, IPL_EIO, "cannot create '%s': %s", path, strerror(errno));
    size_t w = fwrite(tr->buf, sizeof *tr->buf, tr->n, f);
    int bad = w != tr->n;
    if (fclose(f) != 0)
        bad = 1;
    if (bad)
        return ipl_diag_set(d, IPL_EIO, "cannot write '%s': %s", path, strerror(errno));
    tr->nruns++;
    tr->n = 0;
    return IPL_OK;
}

static int add_rec(struct truth *tr, gen_ip ip, int64_t start, int64_t end, const gen_happening *h,
                   int type, int info, ipl_diag *d)
{
    if (tr->n == tr->cap) {
        int rc = spill(tr, d);
        if (rc)
            return rc;
    }
    struct rec *r = &tr->buf[tr->n++];
    r->hi = ip.hi;
    r->lo = ip.lo;
    r->start = start;
    r->end = end;
    r->dev = h->dev->id;
    r->site = (uint16_t)h->site->index;
    r->type = (uint8_t)type;
    r->info = (uint8_t)info;
    return IPL_OK;
}

static int truth_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct truth *tr = state;
    if (h->kind == GEN_H_LOGOFF) {
        int rc = add_rec(tr, h->ip, h->since, h->t, h, REC_SESSION, h->via, d);
        if (!rc && h->ip6.hi)
            rc = add_rec(tr, h->ip6, h->since, h->t, h, REC_SESSION, h->via, d);
        return rc;
    }
    if (h->kind != GEN_H_RELEASE && h->kind != GEN_H_EXPIRE && h->kind != GEN_H_OPEN)
        return IPL_OK;
    return add_rec(tr, h->ip, h->since, h->kind == GEN_H_OPEN ? GEN_NEVER : h->t, h, REC_LEASE,
                   h->kind == GEN_H_EXPIRE, d);
}

/* ---------------------------------------------------------------- probes */

/* A random whole second in [lo, hi] whose local time at the site is unambiguous, or -1. */
static int64_t pick_instant(struct truth *tr, const gen_site *site, int64_t lo, int64_t hi)
{
    for (int tries = 0; tries < 8; tries++) {
        uint64_t span = (uint64_t)(hi - lo) + 1;
        int64_t at = lo + (int64_t)(gen_rand(&tr->rng) % span);
        if (!gen_site_ambiguous(site, at))
            return at;
    }
    return -1;
}

/* Reservoir sampling (algorithm R) of one eligible span [lo, hi] of `ip`. */
static void sample(struct truth *tr, struct probe *res, int k, int *n, uint64_t *seen,
                   gen_ip ip, int site_i, int64_t lo, int64_t hi, int32_t dev, int users)
{
    if (hi < lo)
        return;
    uint64_t j = (*seen)++;
    int slot;
    if (*n < k)
        slot = *n;
    else {
        j = gen_rand(&tr->rng) % (j + 1);
        if (j >= (uint64_t)k)
            return;
        slot = (int)j;
    }
    int64_t at = pick_instant(tr, &tr->ctx->sites[site_i], lo, hi);
    if (at < 0)
        return;
    struct probe *p = &res[slot];
    p->hi = ip.hi;
    p->lo = ip.lo;
    p->at = at;
    p->dev = dev;
    p->site = (uint16_t)site_i;
    p->seen = 0;
    p->users = (uint8_t)users;
    if (slot == *n)
        (*n)++;
}

/* The free span after the current address's last interval, up to the end of its period. */
static void close_ip(struct truth *tr)
{
    if (!tr->have_ip || tr->prev_end == GEN_NEVER)
        return;
    const gen_site *site = &tr->ctx->sites[tr->cur_site];
    sample(tr, tr->gap, K_GAP, &tr->ngap, &tr->gap_seen, tr->cur, tr->cur_site,
           tr->prev_end + 1, site->end - 1, -1, 0);
}

static void see_ip(struct truth *tr, gen_ip ip)
{
    while (tr->cand_i < tr->ncand) {
        struct probe *c = &tr->cand[tr->cand_i];
        gen_ip cip = { c->hi, c->lo };
        int k = gen_ip_cmp(cip, ip);
        if (k > 0)
            break;
        if (k == 0)
            c->seen = 1;
        tr->cand_i++;
    }
}

static char *put_mac_host(char *p, const gen_device *dev)
{
    char host[48];
    p = gen_put_hex(p, dev->mac, 6, 0);
    *p++ = '\t';
    return gen_put(p, host, gen_device_host(dev, host));
}

/* The truth.tsv line of an interval. */
static int truth_line(struct truth *tr, const struct rec *r, ipl_diag *d)
{
    const gen_ctx *ctx = tr->ctx;
    const gen_site *site = &ctx->sites[r->site];
    gen_ip ip = { r->hi, r->lo };
    int rc = gen_file_room(&tr->out, d);
    if (rc)
        return rc;
    char *p = tr->out.buf + tr->out.len, *start = p;
    p = gen_put_ip(p, ip);
    *p++ = '\t';
    p = put_mac_host(p, &ctx->devs[r->dev]);
    *p++ = '\t';
    p = gen_put(p, site->server, strlen(site->server));
    *p++ = '\t';
    p = gen_put_iso(p, r->start);
    *p++ = '\t';
    if (r->end == GEN_NEVER)
        *p++ = '-';
    else
        p = gen_put_iso(p, r->end);
    *p++ = '\n';
    tr->out.len += (size_t)(p - start);
    tr->c.intervals++;
    return IPL_OK;
}

/* --mix mswin: one interval of the sorted stream: its truth line and its part in the samples. */
static int consume_mswin(struct truth *tr, const struct rec *r, ipl_diag *d)
{
    const gen_ctx *ctx = tr->ctx;
    const gen_site *site = &ctx->sites[r->site];
    gen_ip ip = { r->hi, r->lo };
    int rc = truth_line(tr, r, d);
    if (rc)
        return rc;

    if (!tr->have_ip || gen_ip_cmp(tr->cur, ip) != 0) {
        close_ip(tr);
        see_ip(tr, ip);
        tr->have_ip = 1;
        tr->cur = ip;
        tr->cur_site = r->site;
        tr->prev_end = site->start;
        /* the span before the first interval: free since the period began */
        sample(tr, tr->gap, K_GAP, &tr->ngap, &tr->gap_seen, ip, r->site, site->start + 1,
               r->start - 1, -1, 0);
    } else if (tr->prev_end != GEN_NEVER) {
        sample(tr, tr->gap, K_GAP, &tr->ngap, &tr->gap_seen, ip, r->site, tr->prev_end + 1,
               r->start - 1, -1, 0);
    }
    int64_t end = r->end == GEN_NEVER ? site->end : r->end;
    sample(tr, tr->held, K_HELD, &tr->nheld, &tr->held_seen, ip, r->site, r->start + 1, end - 1,
           (int32_t)r->dev, 0);
    tr->prev_end = r->end;
    return IPL_OK;
}

/* ---------------------------------------------------------------- --mix all: sessions */

static void put_users(char **pp, const gen_site *site, uint32_t user, int users)
{
    char *p = *pp;
    int first = 1;
    for (int via = 0; via < GEN_VIAS; via++) {
        if (!(users & (1 << via)))
            continue;
        char name[96];
        if (!first)
            *p++ = '|';
        p = gen_put(p, name, gen_session_user(site, via, user, name, sizeof name));
        first = 0;
    }
    if (first)
        *p++ = '-';
    *pp = p;
}

/* The sessions.tsv line of a session. */
static int session_line(struct truth *tr, const struct rec *r, ipl_diag *d)
{
    const gen_ctx *ctx = tr->ctx;
    const gen_site *site = &ctx->sites[r->site];
    const gen_device *dev = &ctx->devs[r->dev];
    gen_ip ip = { r->hi, r->lo };
    int rc = gen_file_room(&tr->sess, d);
    if (rc)
        return rc;
    char *p = tr->sess.buf + tr->sess.len, *start = p;
    p = gen_put_ip(p, ip);
    *p++ = '\t';
    p = put_mac_host(p, dev);
    *p++ = '\t';
    put_users(&p, site, dev->user, 1 << r->info);
    *p++ = '\t';
    p = gen_put_iso(p, r->start);
    *p++ = '\t';
    p = gen_put_iso(p, r->end);
    *p++ = '\t';
    const char *via = gen_via_format(site, r->info);
    p = gen_put(p, via, strlen(via));
    *p++ = '\n';
    tr->sess.len += (size_t)(p - start);
    return IPL_OK;
}

static int sweep_cmp(const void *a, const void *b)
{
    const struct sweep *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->via < y->via ? -1 : x->via > y->via;
}

/* The interval read so far, with its sessions: each stretch between session boundaries is one
 * span for the samples, with the users logged on all through it. */
static int finish_interval(struct truth *tr, ipl_diag *d)
{
    if (!tr->have_iv)
        return IPL_OK;
    tr->have_iv = 0;
    const struct rec *iv = &tr->iv;
    const gen_site *site = &tr->ctx->sites[iv->site];
    gen_ip ip = { iv->hi, iv->lo };
    int64_t s = iv->start, e = iv->end == GEN_NEVER ? site->end : iv->end;
    size_t need = 2 * tr->nses + 1;
    if (need > tr->capsw) {
        size_t cap = need < 64 ? 64 : need * 2;
        struct sweep *n = realloc(tr->sw, cap * sizeof *n);
        if (!n)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory for sessions");
        tr->sw = n;
        tr->capsw = cap;
    }
    size_t m = 0;
    for (size_t i = 0; i < tr->nses; i++) {
        tr->sw[m++] = (struct sweep){ tr->ses[i].start, 1, tr->ses[i].info };
        tr->sw[m++] = (struct sweep){ tr->ses[i].end, -1, tr->ses[i].info };
    }
    qsort(tr->sw, m, sizeof *tr->sw, sweep_cmp);
    int count[GEN_VIAS] = { 0 };
    int64_t x = s;
    for (size_t i = 0; i <= m; i++) {
        int64_t y = i < m ? tr->sw[i].t : e;
        if (y > x) {
            int users = 0;
            for (int v = 0; v < GEN_VIAS; v++)
                users |= count[v] > 0 ? 1 << v : 0;
            if (users)
                sample(tr, tr->hu, K_HU, &tr->nhu, &tr->hu_seen, ip, iv->site, x + 1, y - 1,
                       (int32_t)iv->dev, users);
            else
                sample(tr, tr->hn, K_HN, &tr->nhn, &tr->hn_seen, ip, iv->site, x + 1, y - 1,
                       (int32_t)iv->dev, 0);
            x = y;
        }
        if (i < m)
            count[tr->sw[i].via] += tr->sw[i].d;
    }
    tr->nses = 0;
    return IPL_OK;
}

/* A gap can be probed unless no log tells it from a holding (after an expiry at a dnsmasq site). */
static void sample_gap(struct truth *tr, gen_ip ip, int site_i, int64_t lo, int64_t hi)
{
    if (tr->prev_exp && tr->ctx->sites[site_i].vendor == GEN_V_DNSMASQ)
        return;
    sample(tr, tr->gap, K_GAP, &tr->ngap, &tr->gap_seen, ip, site_i, lo, hi, -1, 0);
}

/* --mix all: the stream holds each address's intervals and, after each, its sessions. */
static int consume_all(struct truth *tr, const struct rec *r, ipl_diag *d)
{
    const gen_ctx *ctx = tr->ctx;
    const gen_site *site = &ctx->sites[r->site];
    gen_ip ip = { r->hi, r->lo };
    int rc;
    if (!tr->have_ip || gen_ip_cmp(tr->cur, ip) != 0) {
        if ((rc = finish_interval(tr, d)) != IPL_OK)
            return rc;
        if (tr->have_ip && tr->prev_end != GEN_NEVER && tr->prev_end != GEN_NEVER - 1)
            sample_gap(tr, tr->cur, tr->cur_site, tr->prev_end + 1,
                       tr->ctx->sites[tr->cur_site].end - 1);
        see_ip(tr, ip);
        tr->have_ip = 1;
        tr->cur = ip;
        tr->cur_site = r->site;
        tr->prev_end = GEN_NEVER - 1;           /* no interval yet */
        tr->prev_exp = 0;
    }
    if (r->type == REC_SESSION) {
        const struct rec *iv = &tr->iv;
        if (!tr->have_iv || r->dev != iv->dev || r->start <= iv->start
            || (iv->end != GEN_NEVER && r->end >= iv->end)) {
            tr->bad_sessions++;
        } else {
            if (tr->nses == tr->capses) {
                size_t cap = tr->capses ? tr->capses * 2 : 64;
                struct rec *n = realloc(tr->ses, cap * sizeof *n);
                if (!n)
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory for sessions");
                tr->ses = n;
                tr->capses = cap;
            }
            tr->ses[tr->nses++] = *r;
        }
        return session_line(tr, r, d);
    }
    if ((rc = finish_interval(tr, d)) != IPL_OK || (rc = truth_line(tr, r, d)) != IPL_OK)
        return rc;
    if (tr->prev_end == GEN_NEVER - 1)          /* free since the period began */
        sample_gap(tr, ip, r->site, site->start + 1, r->start - 1);
    else if (tr->prev_end != GEN_NEVER)
        sample_gap(tr, ip, r->site, tr->prev_end + 1, r->start - 1);
    tr->iv = *r;
    tr->have_iv = 1;
    tr->prev_end = r->end;
    tr->prev_exp = r->info;
    return IPL_OK;
}

static int consume(struct truth *tr, const struct rec *r, ipl_diag *d)
{
    return tr->ctx->mix == GEN_MIX_MSWIN ? consume_mswin(tr, r, d) : consume_all(tr, r, d);
}

/* Random addresses that may never have been leased: anywhere in a site's /22 scopes (including
 * the .0-.9 statics and the space past the pool) or in its v6 /64. The sorted pass keeps those
 * that never show up. */
static void make_candidates(struct truth *tr)
{
    const gen_ctx *ctx = tr->ctx;
    uint64_t salt = gen_mix64(ctx->salt ^ UINT64_C(0x6e657665722d6970));
    for (int i = 0; i < N_CAND; i++) {
        struct probe *c = &tr->cand[tr->ncand];
        if (ctx->nscopes > 0 && gen_below(&tr->rng, 100) < 80) {
            const gen_scope *sc = &ctx->scopes[gen_below(&tr->rng, (uint32_t)ctx->nscopes)];
            gen_ip ip = gen_ip4(sc->net + 1 + gen_below(&tr->rng, 1022));
            c->hi = ip.hi;
            c->lo = ip.lo;
            c->site = (uint16_t)sc->site;
        } else {
            int s = (int)gen_below(&tr->rng, (uint32_t)ctx->nsites);
            c->hi = gen_site_v6_hi(s);
            c->lo = gen_mix64(salt + (uint64_t)i);
            c->site = (uint16_t)s;
        }
        c->dev = -1;
        c->seen = 0;
        c->at = 0;
        tr->ncand++;
    }
    qsort(tr->cand, (size_t)tr->ncand, sizeof *tr->cand, probe_cmp);
    int k = 0;                                  /* drop duplicates */
    for (int i = 0; i < tr->ncand; i++)
        if (k == 0 || tr->cand[k - 1].hi != tr->cand[i].hi || tr->cand[k - 1].lo != tr->cand[i].lo)
            tr->cand[k++] = tr->cand[i];
    tr->ncand = k;
}

static int write_probes(struct truth *tr, ipl_diag *d)
{
    const gen_ctx *ctx = tr->ctx;
    int mix_all = ctx->mix == GEN_MIX_ALL;
    struct probe *all = malloc(sizeof *all * (K_HELD + K_HU + K_HN + K_GAP + K_NEVER));
    gen_file f = GEN_FILE_INIT;
    char path[GEN_PATH_MAX];
    int n = 0, rc;
    if (!all)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for probes");
    for (int i = 0; i < tr->nheld; i++)
        all[n++] = tr->held[i];
    for (int i = 0; i < tr->nhu; i++)
        all[n++] = tr->hu[i];
    for (int i = 0; i < tr->nhn; i++)
        all[n++] = tr->hn[i];
    for (int i = 0; i < tr->ngap; i++)
        all[n++] = tr->gap[i];
    for (int i = 0, k = 0; i < tr->ncand && k < K_NEVER; i++) {
        struct probe c = tr->cand[i];
        const gen_site *site = &ctx->sites[c.site];
        if (c.seen)
            continue;
        c.at = pick_instant(tr, site, site->start + 1, site->end - 1);
        if (c.at < 0)
            continue;
        all[n++] = c;
        k++;
    }
    qsort(all, (size_t)n, sizeof *all, probe_cmp);
    if ((rc = gen_path(path, sizeof path, d, "%s/probes.tsv", ctx->out)) != IPL_OK
        || (rc = gen_file_open(&f, path, (size_t)256 << 10, d)) != IPL_OK
        || (rc = mix_all ? gen_file_write(&f, "ip\tat\tmac\thost\tuser\n", 20, d)
                         : gen_file_write(&f, "ip\tat\tmac\thost\n", 15, d)) != IPL_OK)
        goto out;
    for (int i = 0; i < n; i++) {
        if ((rc = gen_file_room(&f, d)) != IPL_OK)
            goto out;
        gen_ip ip = { all[i].hi, all[i].lo };
        char *p = f.buf + f.len, *start = p;
        p = gen_put_ip(p, ip);
        *p++ = '\t';
        p = gen_put_iso(p, all[i].at);
        *p++ = '\t';
        if (all[i].dev < 0)
            p = GEN_PUTS(p, "-\t-");
        else
            p = put_mac_host(p, &ctx->devs[all[i].dev]);
        if (mix_all) {
            *p++ = '\t';
            if (all[i].dev < 0)
                *p++ = '-';
            else
                put_users(&p, &ctx->sites[all[i].site], ctx->devs[all[i].dev].user, all[i].users);
        }
        *p++ = '\n';
        f.len += (size_t)(p - start);
    }
    rc = gen_file_close(&f, d);
    tr->c.files++;
    tr->c.bytes += f.bytes;
    tr->c.probes += (uint64_t)n;
out:
    gen_file_close(&f, NULL);
    free(all);
    return rc;
}

/* ---------------------------------------------------------------- merge */

static int run_fill(struct run *r, const char *path, ipl_diag *d)
{
    r->i = 0;
    r->n = fread(r->buf, sizeof *r->buf, r->cap, r->f);
    if (r->n == 0 && ferror(r->f))
        return ipl_diag_set(d, IPL_EIO, "cannot read '%s'", path);
    return IPL_OK;
}

static int run_less(const struct run *runs, int a, int b)
{
    int k = rec_cmp(&runs[a].buf[runs[a].i], &runs[b].buf[runs[b].i]);
    return k < 0 || (k == 0 && a < b);
}

static void sift(const struct run *runs, int *heap, int n, int i)
{
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && run_less(runs, heap[c + 1], heap[c]))
            c++;
        if (!run_less(runs, heap[c], heap[i]))
            break;
        int t = heap[i];
        heap[i] = heap[c];
        heap[c] = t;
        i = c;
    }
}

static int merge(struct truth *tr, ipl_diag *d)
{
    int nr = tr->nruns, nh = 0, rc = IPL_OK;
    struct run *runs = calloc((size_t)nr, sizeof *runs);
    int *heap = calloc((size_t)nr, sizeof *heap);
    char path[GEN_PATH_MAX];
    size_t cap = MERGE_MEM / sizeof(struct rec) / (size_t)nr;
    if (cap < 64)
        cap = 64;
    if (!runs || !heap) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory for the truth merge");
        goto out;
    }
    for (int i = 0; i < nr; i++) {
        run_path(tr, i, path, sizeof path);
        runs[i].cap = cap;
        runs[i].buf = malloc(sizeof *runs[i].buf * cap);
        runs[i].f = fopen(path, "rb");
        if (!runs[i].buf || !runs[i].f) {
            rc = ipl_diag_set(d, IPL_EIO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if ((rc = run_fill(&runs[i], path, d)) != IPL_OK)
            goto out;
        if (runs[i].n > 0) {
            heap[nh++] = i;
            for (int k = nh - 1; k > 0 && run_less(runs, heap[k], heap[(k - 1) / 2]);) {
                int up = (k - 1) / 2, t = heap[k];
                heap[k] = heap[up];
                heap[up] = t;
                k = up;
            }
        }
    }
    while (nh > 0) {
        struct run *r = &runs[heap[0]];
        if ((rc = consume(tr, &r->buf[r->i], d)) != IPL_OK)
            goto out;
        if (++r->i == r->n) {
            run_path(tr, heap[0], path, sizeof path);
            if ((rc = run_fill(r, path, d)) != IPL_OK)
                goto out;
            if (r->n == 0)
                heap[0] = heap[--nh];
        }
        sift(runs, heap, nh, 0);
    }
out:
    for (int i = 0; runs && i < nr; i++) {
        if (runs[i].f)
            fclose(runs[i].f);
        free(runs[i].buf);
        run_path(tr, i, path, sizeof path);
        unlink(path);
    }
    free(runs);
    free(heap);
    return rc;
}

/* ---------------------------------------------------------------- writer */

static int truth_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    char a[IPL_TIME_BUF], b[IPL_TIME_BUF];
    struct truth *tr = calloc(1, sizeof *tr);
    if (!tr)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    gen_file init = GEN_FILE_INIT;
    tr->out = init;
    tr->sess = init;
    tr->ctx = ctx;
    tr->cap = TRUTH_RUN;
    const char *env = getenv("IPLEDGER_GEN_TRUTH_RUN");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0' && v >= 16 && v <= TRUTH_RUN)
            tr->cap = (size_t)v;
    }
    tr->buf = malloc(sizeof *tr->buf * tr->cap);
    tr->rng = gen_mix64(ctx->opt->seed ^ UINT64_C(0x70726f626573));
    if (!tr->buf) {
        free(tr);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for the truth");
    }
    /* hand formatting must give ipl_time_format's text */
    int64_t t0 = ctx->nsites ? ctx->sites[0].start + 3723 : 0;
    size_t na = ipl_time_format(t0 * IPL_US_PER_SEC, a, sizeof a);
    size_t nb = (size_t)(gen_put_iso(b, t0) - b);
    if (na != nb || memcmp(a, b, na) != 0) {
        free(tr->buf);
        free(tr);
        return ipl_diag_set(d, IPL_EINVAL, "internal: time text differs from ipl_time_format");
    }
    *state = tr;
    return IPL_OK;
}

static int truth_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct truth *tr = state;
    char path[GEN_PATH_MAX];
    static const char head[] = "ip\tmac\thost\tserver\tstart\tend\n";
    int rc;
    static const char shead[] = "ip\tmac\thost\tuser\tstart\tend\tvia\n";
    int mix_all = tr->ctx->mix == GEN_MIX_ALL;
    if ((rc = gen_path(path, sizeof path, d, "%s/truth.tsv", tr->ctx->out)) != IPL_OK
        || (rc = gen_file_open(&tr->out, path, (size_t)1 << 20, d)) != IPL_OK
        || (rc = gen_file_write(&tr->out, head, sizeof head - 1, d)) != IPL_OK)
        return rc;
    if (mix_all
        && ((rc = gen_path(path, sizeof path, d, "%s/sessions.tsv", tr->ctx->out)) != IPL_OK
            || (rc = gen_file_open(&tr->sess, path, (size_t)1 << 20, d)) != IPL_OK
            || (rc = gen_file_write(&tr->sess, shead, sizeof shead - 1, d)) != IPL_OK))
        return rc;
    make_candidates(tr);
    if (tr->nruns == 0) {
        qsort(tr->buf, tr->n, sizeof *tr->buf, rec_cmp);
        for (size_t i = 0; i < tr->n && !rc; i++)
            rc = consume(tr, &tr->buf[i], d);
    } else {
        rc = tr->n ? spill(tr, d) : IPL_OK;
        free(tr->buf);                          /* the merge needs the memory, not the run */
        tr->buf = NULL;
        tr->n = tr->cap = 0;
        if (!rc)
            rc = merge(tr, d);
    }
    if (rc)
        return rc;
    if (!mix_all) {
        close_ip(tr);
    } else {
        if ((rc = finish_interval(tr, d)) != IPL_OK)
            return rc;
        if (tr->have_ip && tr->prev_end != GEN_NEVER && tr->prev_end != GEN_NEVER - 1)
            sample_gap(tr, tr->cur, tr->cur_site, tr->prev_end + 1,
                       tr->ctx->sites[tr->cur_site].end - 1);
        if (tr->bad_sessions)
            return ipl_diag_set(d, IPL_EINVAL, "internal: %llu sessions outside their device's "
                                "lease interval", (unsigned long long)tr->bad_sessions);
        if ((rc = gen_file_close(&tr->sess, d)) != IPL_OK)
            return rc;
        tr->c.files++;
        tr->c.bytes += tr->sess.bytes;
    }
    see_ip(tr, (gen_ip){ UINT64_MAX, UINT64_MAX });
    if ((rc = gen_file_close(&tr->out, d)) != IPL_OK)
        return rc;
    tr->c.files++;
    tr->c.bytes += tr->out.bytes;
    if ((rc = write_probes(tr, d)) != IPL_OK)
        return rc;
    c->files += tr->c.files;
    c->bytes += tr->c.bytes;
    c->intervals += tr->c.intervals;
    c->probes += tr->c.probes;
    return IPL_OK;
}

static void truth_free(void *state)
{
    struct truth *tr = state;
    if (!tr)
        return;
    gen_file_close(&tr->out, NULL);
    gen_file_close(&tr->sess, NULL);
    free(tr->ses);
    free(tr->sw);
    for (int i = 0; i < tr->nruns; i++) {       /* after a failure: leave no temporary files */
        char path[GEN_PATH_MAX];
        run_path(tr, i, path, sizeof path);
        unlink(path);
    }
    free(tr->buf);
    free(tr);
}

const gen_writer_ops gen_out_truth = {
    .name = "truth",
    .open = truth_open,
    .emit = truth_emit,
    .finish = truth_finish,
    .free = truth_free,
};
