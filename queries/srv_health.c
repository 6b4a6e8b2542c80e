/* queries/srv_health.c — availability and health: the passive check (silence against each
 * source's and server's usual rhythm, quarantine bursts per source), the recorded states and
 * their server.status events, and the bookkeeping of active probe results.
 *
 * Rhythm = the pct-th percentile of the gaps between consecutive events over the last `days` days
 * it was active (srv_sum.c's daily histograms; all its gaps when that window has fewer than 5), at
 * least floor_us; default_us when fewer than 5 gaps are known at all. Silent = now - last event >
 * factor x rhythm. Degraded = at least `burst` lines quarantined in the last window (a source),
 * or a source of the server degraded (which overrides silent: lines do arrive). Source rows are
 * reported, never recorded (rotated files fall silent by design). A server with an active probe shows the worse of the
 * passive and the probe state (order: unknown < running < degraded < silent < not reachable).
 *
 * Recorded states (kv srv.state, JSON {"state","since","detail"}) make transitions happen once:
 * a state is raised once and cleared once. A first check that finds "running" records it without
 * an event (the baseline); every other transition is a server.status event in the same batch.
 */
#include "queries/srv_int.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"unknown", "running", "degraded", "silent",
                                          "not reachable"};

const char *ipl_srv_state_name(ipl_srv_state s)
{
    return (unsigned)s <= IPL_SRV_UNREACHABLE ? state_names[s] : "unknown";
}

int ipl_srv_state_parse(const char *s, ipl_srv_state *out)
{
    for (int i = 0; i <= IPL_SRV_UNREACHABLE; i++)
        if (s && strcmp(s, state_names[i]) == 0) {
            *out = (ipl_srv_state)i;
            return IPL_OK;
        }
    return IPL_EINVAL;
}

void ipl_srv_health_defaults(ipl_srv_health_opts *o, int64_t at)
{
    memset(o, 0, sizeof *o);
    o->at = at;
    o->factor = 4.0;
    o->floor_us = 300 * IPL_US_PER_SEC;
    o->default_us = 3600 * IPL_US_PER_SEC;
    o->pct = 95.0;
    o->days = IPL_SRV_DAYS;
    o->window_us = 600 * IPL_US_PER_SEC;
    o->burst = 50;
}

static void dur(int64_t us, char *buf, size_t n)
{
    int64_t s = us / IPL_US_PER_SEC;
    if (s < 120)
        snprintf(buf, n, "%llds", (long long)s);
    else if (s < 7200)
        snprintf(buf, n, "%lldm", (long long)(s / 60));
    else if (s < 172800)
        snprintf(buf, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, n, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

ipl_srv_state ipl_srv_passive(const ipl_srv_sum *s, const ipl_srv_health_opts *o, int64_t *rhythm,
                              char *detail, size_t n)
{
    char a[32], b[32], c[32];
    *rhythm = 0;
    if (!s || s->events == 0) {
        snprintf(detail, n, "no events");
        return IPL_SRV_UNKNOWN;
    }
    if (o->at < s->first) {
        snprintf(detail, n, "no event before this time");
        return IPL_SRV_UNKNOWN;
    }
    uint32_t win[IPL_SRV_GAPB];
    ipl_srv_gap_window(s, o->at, o->days, 5, win);
    int64_t r = ipl_srv_gap_pct(win, o->pct, 5);
    if (r == 0)
        r = o->default_us;
    if (r < o->floor_us)
        r = o->floor_us;
    *rhythm = r;
    int64_t quiet = o->at - s->last, limit = (int64_t)(o->factor * (double)r);
    dur(quiet > 0 ? quiet : 0, a, sizeof a);
    dur(r, b, sizeof b);
    dur(limit, c, sizeof c);
    if (quiet > limit) {
        snprintf(detail, n, "no event for %s (usual rhythm %s, silent after %s)", a, b, c);
        return IPL_SRV_SILENT;
    }
    if (quiet < 0)
        snprintf(detail, n, "has events after this time (usual rhythm %s)", b);
    else
        snprintf(detail, n, "last event %s ago (usual rhythm %s)", a, b);
    return IPL_SRV_RUNNING;
}

/* ---- recorded states ---- */

int ipl_srv_state_get(ipl_rtxn *t, const char *key, ipl_srv_state *state, int64_t *since,
                      char *detail, size_t n)
{
    const void *v;
    size_t vn;
    if (ipl_store_kv_get(t, IPL_SRV_NS_STATE, key, &v, &vn) != IPL_OK)
        return IPL_ENOTFOUND;
    cJSON *j = cJSON_ParseWithLength(v, vn);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "state");
    const cJSON *si = cJSON_GetObjectItemCaseSensitive(j, "since");
    const cJSON *de = cJSON_GetObjectItemCaseSensitive(j, "detail");
    int err = IPL_OK;
    if (!cJSON_IsString(s) || ipl_srv_state_parse(s->valuestring, state) || !cJSON_IsNumber(si))
        err = IPL_ENOTFOUND;
    else {
        *since = (int64_t)si->valuedouble;
        if (detail && n)
            snprintf(detail, n, "%s", cJSON_IsString(de) ? de->valuestring : "");
    }
    cJSON_Delete(j);
    return err;
}

/* Adds the kv state and (when event) the server.status event to b. */
static int transition(ipl_batch *b, const char *key, const char *server, const char *watched,
                      const char *check, ipl_srv_state prev, ipl_srv_state now_state,
                      int64_t since, const char *detail, const uint8_t *ip, int64_t now,
                      int event, ipl_diag *d)
{
    char js[768], esc[512], tb[IPL_TIME_BUF];
    size_t k = 0;
    for (const char *p = detail; *p && k + 7 < sizeof esc; p++) {
        if (*p == '"' || *p == '\\')
            esc[k++] = '\\';
        esc[k++] = (unsigned char)*p < ' ' ? ' ' : *p;
    }
    esc[k] = 0;
    int jn = snprintf(js, sizeof js, "{\"state\":\"%s\",\"since\":%lld,\"detail\":\"%s\"}",
                      ipl_srv_state_name(now_state), (long long)since, esc);
    int err = ipl_batch_kv_put(b, IPL_SRV_NS_STATE, key, js, (size_t)jn, d);
    if (err || !event)
        return err;
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = now;
    ev.kind = IPL_K_SERVER_STATUS;
    ev.server = server;
    ev.source = IPL_SRV_SOURCE;
    if (ip) {
        ev.has_ip = 1;
        memcpy(ev.ip, ip, 16);
    }
    ipl_time_format(since, tb, sizeof tb);
    const char *st = ipl_srv_state_name(now_state), *pv = ipl_srv_state_name(prev);
    if ((err = ipl_event_add_attr(&ev, IPL_A_STATUS, st, strlen(st))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_PREV_STATUS, pv, strlen(pv))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_REASON, detail, strlen(detail))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_SINCE, tb, strlen(tb))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_CHECK, check, strlen(check))) ||
        (watched && (err = ipl_event_add_attr(&ev, IPL_A_WATCHED, watched, strlen(watched)))))
        return ipl_diag_set(d, err, "server '%s': cannot build its status event", server);
    return ipl_batch_add(b, &ev, d);
}

int ipl_srv_probe_record(ipl_rtxn *t, ipl_batch *b, const char *server, const char *address,
                         const char *check, ipl_srv_state state, const char *detail, int64_t now,
                         ipl_diag *d)
{
    char key[IPL_SRV_NAME_MAX + 16], host[64];
    ipl_srv_state prev = IPL_SRV_UNKNOWN;
    int64_t since = 0;
    uint8_t ip[16];
    int port, have_ip = 0;
    snprintf(key, sizeof key, "probe:%s", server);
    if (ipl_srv_state_get(t, key, &prev, &since, NULL, 0) == IPL_OK && prev == state)
        return 0;
    if (address && ipl_srv_addr_split(address, host, sizeof host, &port, 0) == IPL_OK &&
        ipl_ip_parse(host, strlen(host), ip) == IPL_OK)
        have_ip = 1;
    int err = transition(b, key, server, NULL, check, prev, state, now, detail,
                         have_ip ? ip : NULL, now, 1, d);
    return err ? err : 1;
}

/* ---- the passive check ---- */

typedef struct qcount {
    char   **name;
    uint64_t *n;
    uint8_t  *seen;            /* the source has a summary */
    size_t    len, cap;
    int64_t   lo, hi;
} qcount;

static int q_fn(void *ctx, const ipl_qentry *q)
{
    qcount *c = ctx;
    if (q->ingested <= c->lo || q->ingested > c->hi || !q->source)
        return 0;
    for (size_t i = 0; i < c->len; i++)
        if (strcmp(c->name[i], q->source) == 0) {
            c->n[i]++;
            return 0;
        }
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **a = realloc(c->name, cap * sizeof *a);
        if (a)
            c->name = a;
        uint64_t *b = realloc(c->n, cap * sizeof *b);
        if (b)
            c->n = b;
        uint8_t *sn = realloc(c->seen, cap);
        if (sn)
            c->seen = sn;
        if (!a || !b || !sn)
            return IPL_ENOMEM;
        c->cap = cap;
    }
    if (!(c->name[c->len] = strdup(q->source)))
        return IPL_ENOMEM;
    c->seen[c->len] = 0;
    c->n[c->len++] = 1;
    return 0;
}

static uint64_t q_of(qcount *c, const char *source)
{
    for (size_t i = 0; i < c->len; i++)
        if (strcmp(c->name[i], source) == 0) {
            c->seen[i] = 1;
            return c->n[i];
        }
    return 0;
}

static int worse(ipl_srv_state a, ipl_srv_state b) { return (int)a > (int)b; }


typedef struct row {
    ipl_srv_health h;
    char           key[IPL_SRV_FEED_MAX + 16];
} row;

/* Decides since, records (with record) and reports one row. */
static int settle(ipl_rtxn *t, ipl_batch *b, row *r, const ipl_srv_health_opts *o, int record,
                  uint64_t *changes, uint64_t *puts, ipl_diag *d)
{
    ipl_srv_state prev = IPL_SRV_UNKNOWN;
    int64_t since = 0;
    int have = ipl_srv_state_get(t, r->key, &prev, &since, NULL, 0) == IPL_OK;
    ipl_srv_health *h = &r->h;
    if (have && prev == h->state) {
        h->since = since;
        return IPL_OK;
    }
    if (h->state == IPL_SRV_SILENT)
        h->since = h->last + (int64_t)(o->factor * (double)h->rhythm);
    else if (h->state == IPL_SRV_RUNNING && !have)
        h->since = h->last > 0 ? h->last : o->at;
    else
        h->since = o->at;
    if (h->since > o->at)
        h->since = o->at;
    if (!record || h->state == IPL_SRV_UNKNOWN)
        return IPL_OK;
    int event = have || h->state != IPL_SRV_RUNNING;
    int err = transition(b, r->key, h->server ? h->server : h->name,
                         strcmp(h->what, "source") == 0 ? h->name : NULL, h->check, prev,
                         h->state, h->since, h->detail, NULL, o->at, event, d);
    if (!err && event)
        ++*changes;
    if (!err)
        ++*puts;
    return err;
}

typedef struct degraded {       /* a degraded source, for the servers it feeds */
    char *name;
    char  detail[256];
} degraded;

typedef struct srcctx {
    ipl_rtxn  *t;
    ipl_batch *b;
    const ipl_srv_health_opts *o;
    qcount    *qc;
    ipl_srv_health_fn fn;
    void      *ctx;
    uint64_t  *nchg, *nput;
    degraded  *deg;
    size_t     ndeg, capdeg;
    ipl_diag  *d;
} srcctx;

/* One source's row: passive state, quarantine burst; reported, never recorded (rotated files
 * fall silent by design; a burst is recorded through the server the source feeds). */
static int source_row(void *ctx, const char *name, const ipl_srv_sum *s)
{
    srcctx *c = ctx;
    const ipl_srv_health_opts *o = c->o;
    char server[IPL_SRV_FEED_MAX];
    row r;
    memset(&r, 0, sizeof r);
    ipl_srv_health *h = &r.h;
    h->what = "source";
    h->name = name;
    if (s && s->nfeeds) {
        snprintf(server, sizeof server, "%s", s->feeds[0]);
        h->server = server;
    }
    h->check = "passive";
    h->last = s ? s->last : 0;
    h->state = ipl_srv_passive(s, o, &h->rhythm, h->detail, sizeof h->detail);
    h->quarantined = q_of(c->qc, name);
    if (h->quarantined >= o->burst) {
        char w[32];
        dur(o->window_us, w, sizeof w);
        h->state = IPL_SRV_DEGRADED;
        h->check = "quarantine";
        snprintf(h->detail, sizeof h->detail, "%llu lines quarantined in the last %s",
                 (unsigned long long)h->quarantined, w);
        if (c->ndeg == c->capdeg) {
            size_t cap = c->capdeg ? c->capdeg * 2 : 8;
            degraded *a = realloc(c->deg, cap * sizeof *a);
            if (!a)
                return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
            c->deg = a;
            c->capdeg = cap;
        }
        if (!(c->deg[c->ndeg].name = strdup(name)))
            return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
        snprintf(c->deg[c->ndeg++].detail, sizeof c->deg[0].detail, "%s", h->detail);
    }
    snprintf(r.key, sizeof r.key, "source:%.*s", IPL_SRV_FEED_MAX - 1, name);
    int err = settle(c->t, c->b, &r, o, 0, c->nchg, c->nput, c->d);
    if (!err && c->fn)
        err = c->fn(c->ctx, h);
    return err;
}

int ipl_srv_health_check(ipl_store *st, const ipl_srv_health_opts *o, int record,
                         ipl_srv_health_fn fn, void *ctx, uint64_t *changes, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_srv_view *v = NULL;
    ipl_batch *b = NULL;
    qcount qc = {NULL, NULL, NULL, 0, 0, o->at - o->window_us, o->at};
    srcctx sc;
    memset(&sc, 0, sizeof sc);
    uint64_t nchg = 0, nput = 0;
    int err, lk = -1;
    if (changes)
        *changes = 0;
    if ((err = ipl_srv_update(st, NULL, d)) || (record && (err = ipl_srv__lock(st, &lk, d))) ||
        (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_srv_view_load(t, &v, d)) || (err = ipl_batch_new(&b)))
        goto out;
    if ((err = ipl_store_quarantine(t, NULL, q_fn, &qc, d))) {
        if (err == IPL_ENOMEM)
            ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    /* sources, one summary at a time; then those that only quarantined lines (no summary) */
    srcctx sc0 = {t, b, o, &qc, fn, ctx, &nchg, &nput, NULL, 0, 0, d};
    sc = sc0;
    if ((err = ipl_srv_sources_scan(t, source_row, &sc, d)))
        goto out;
    for (size_t i = 0; i < qc.len; i++)
        if (!qc.seen[i] && (err = source_row(&sc, qc.name[i], NULL)))
            goto out;
    for (size_t i = 0; i < ipl_srv_count(v); i++) {
        const ipl_srv *s = ipl_srv_at(v, i);
        row r;
        memset(&r, 0, sizeof r);
        ipl_srv_health *h = &r.h;
        h->what = "server";
        h->name = s->name;
        h->server = s->name;
        h->check = "passive";
        h->last = s->sum ? s->sum->last : 0;
        h->state = ipl_srv_passive(s->sum, o, &h->rhythm, h->detail, sizeof h->detail);
        for (uint32_t k = 0; s->sum && k < s->sum->nfeeds; k++)
            for (size_t x = 0; x < sc.ndeg; x++)
                if (strcmp(sc.deg[x].name, s->sum->feeds[k]) == 0 && h->state != IPL_SRV_UNKNOWN) {
                    /* lines arrive but do not parse: degraded, also when nothing parsed lately */
                    h->state = IPL_SRV_DEGRADED;
                    h->check = "quarantine";
                    snprintf(h->detail, sizeof h->detail, "source '%.100s': %.120s",
                             sc.deg[x].name, sc.deg[x].detail);
                }
        snprintf(r.key, sizeof r.key, "server:%.*s", IPL_SRV_FEED_MAX - 1, s->name);
        if ((err = settle(t, b, &r, o, record, &nchg, &nput, d)))
            goto out;
        /* the active probe's recorded state, when it is worse (or the only one) */
        char pk[IPL_SRV_FEED_MAX + 16], pdet[256];
        ipl_srv_state ps;
        int64_t psince;
        snprintf(pk, sizeof pk, "probe:%.*s", IPL_SRV_FEED_MAX - 1, s->name);
        if (s->probe && strcmp(s->probe, "none") != 0 &&
            ipl_srv_state_get(t, pk, &ps, &psince, pdet, sizeof pdet) == IPL_OK &&
            (worse(ps, h->state) || h->state == IPL_SRV_UNKNOWN)) {
            h->state = ps;
            h->since = psince;
            h->check = s->probe;
            snprintf(h->detail, sizeof h->detail, "%s", pdet);
        }
        if (fn && (err = fn(ctx, h)))
            goto out;
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (record && nput)
        err = ipl_store_commit(st, b, NULL, d);
    if (!err && changes)
        *changes = nchg;
out:
    ipl_rtxn_end(t);
    ipl_srv__unlock(lk);
    ipl_batch_free(b);
    ipl_srv_view_free(v);
    for (size_t i = 0; i < sc.ndeg; i++)
        free(sc.deg[i].name);
    free(sc.deg);
    for (size_t i = 0; i < qc.len; i++)
        free(qc.name[i]);
    free(qc.name);
    free(qc.n);
    free(qc.seen);
    return err;
}
