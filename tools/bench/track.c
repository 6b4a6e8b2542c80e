/* tools/bench/track.c — `track --ip --at` on both stores (issue 3's target: p99 <= 200 us on a
 * 5M-event mixed store; run with `ipledger-bench --mix all --track`).
 *
 * ipledger: ipl_track by IP at the probe's instant, in its own read transaction per lookup, every
 * row of the answer consumed (device, users with logon/logoff pairing, dual-stack addresses,
 * evidence). The SQLite peer answers the same question with SQL in one read transaction: the
 * latest lease event of the address at or before T (as `who`), then the latest logon-family
 * event from that address, and the one from the holder's host name, in the 10 hours before T
 * (indexes (ip, ts) and (host, ts)). The peer does less than ipledger (no logoff pairing by
 * logon id, no dual stack, no evidence), so its time is a lower bound for the same answer.
 * match: answers whose device is the probe's MAC and whose users include every user the
 * generator's truth names at the instant ("unknown user" when it names none); the peer, which
 * names one user, matches when it names one of them. */
#include "tools/bench/bench.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "queries/track.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSION_US (INT64_C(10) * 3600 * 1000000)

/* the truth may name several users at an instant, '|'-separated: all must be among the rows */
typedef struct tans {
    const bench_probe *p;
    int mac_ok, none_ok, rows;
    unsigned found;                  /* bit i: the i-th user of the truth was among the rows */
} tans;

static int nth_user(const char *list, unsigned i, char *out, size_t n)
{
    const char *p = list;
    for (unsigned k = 0; k < i; k++) {
        if (!(p = strchr(p, '|')))
            return 0;
        p++;
    }
    size_t len = strcspn(p, "|");
    if (!len || len >= n)
        return 0;
    memcpy(out, p, len);
    out[len] = '\0';
    return 1;
}

static int on_row(void *ctx, const ipl_track_row *r)
{
    tans *a = ctx;
    char u[128];
    a->rows++;
    if (r->held && r->mac && strcmp(r->mac, a->p->mac) == 0)
        a->mac_ok = 1;
    if (!r->user)
        a->none_ok = 1;
    for (unsigned i = 0; r->user && i < 16 && nth_user(a->p->user, i, u, sizeof u); i++)
        if (strcasecmp(r->user, u) == 0)
            a->found |= 1u << i;
    return IPL_OK;
}

static int users_ok(const tans *a)
{
    char u[128];
    if (!a->p->user[0])
        return a->none_ok;
    for (unsigned i = 0; i < 16 && nth_user(a->p->user, i, u, sizeof u); i++)
        if (!(a->found >> i & 1))
            return 0;
    return 1;
}

static int track_one(ipl_store *st, const bench_probe *p, ipl_arena *a, int *match, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    char ip[IPL_IP_TEXT];
    ipl_ip_format(p->ip, ip, sizeof ip);
    ipl_track_opts o = {p->at, p->at, 0};
    tans ans = {p, 0, 0, 0, 0};
    int e = ipl_rtxn_begin(st, &t, d);
    if (!e)
        e = ipl_track(t, IPL_IX_IP, ip, &o, on_row, &ans, a, d);
    ipl_rtxn_end(t);
    ipl_arena_clear(a);
    *match = (p->mac[0] ? ans.mac_ok : !ans.mac_ok) && users_ok(&ans);
    return e;
}

int bench_ipl_track(const char *store, const bench_probe *p, size_t n, size_t lookups,
                    bench_lat *lat, char *err, size_t errlen)
{
    ipl_diag d = {0};
    ipl_store *st = NULL;
    ipl_arena a;
    int rc = -1, match;
    double *us = malloc((lookups ? lookups : 1) * sizeof *us);
    memset(lat, 0, sizeof *lat);
    ipl_arena_init(&a, (size_t)1 << 22);
    if (!us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ipl_store_open(&st, store, IPL_STORE_RDONLY, &d)) {
        snprintf(err, errlen, "%s", d.msg);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {         /* every probe once: correctness, map warmed */
        if (track_one(st, &p[i], &a, &match, &d)) {
            snprintf(err, errlen, "track: %s", d.msg);
            goto out;
        }
        lat->match += (size_t)match;
        lat->held += p[i].mac[0] != 0;
    }
    for (size_t i = 0; i < lookups; i++) {
        double t0 = bench_now();
        int e = track_one(st, &p[i % n], &a, &match, &d);
        us[i] = (bench_now() - t0) * 1e6;
        if (e) {
            snprintf(err, errlen, "track: %s", d.msg);
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

/* ---- the peer ---- */

typedef struct sqltrack {
    sqlite3 *db;
    sqlite3_stmt *lease, *by_ip, *by_host, *begin, *commit;
} sqltrack;

static void kinds(char *buf, size_t n, int which)
{
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < IPL_K__COUNT; k++) {
        int in = which == 0 ? ipl_kind_opens_lease(k) || ipl_kind_closes_lease(k)
                            : ipl_kind_is_logon(k);
        if (in)
            off += (size_t)snprintf(buf + off, n - off, "%s%u", off ? "," : "", k);
    }
}

/* the latest logon-family row of a statement bound with (key, from, to); its user into u */
static int latest_user(sqlite3_stmt *q, char *u, size_t n, int64_t *ts)
{
    int s = sqlite3_step(q);
    if (s == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(q, 1);
        const unsigned char *x = sqlite3_column_text(q, 0);
        if (x && t > *ts) {
            *ts = t;
            snprintf(u, n, "%s", (const char *)x);
        }
        s = SQLITE_DONE;
    }
    sqlite3_reset(q);
    return s;
}

static int sql_track_one(sqltrack *q, const bench_probe *p, int *match)
{
    char mac[13] = "", host[256] = "", user[256] = "";
    int s, held = 0;
    int64_t ts = INT64_MIN;
    if ((s = sqlite3_step(q->begin)) != SQLITE_DONE)
        return s;
    sqlite3_reset(q->begin);
    sqlite3_bind_blob(q->lease, 1, p->ip, 16, SQLITE_STATIC);
    sqlite3_bind_int64(q->lease, 2, p->at);
    s = sqlite3_step(q->lease);
    if (s == SQLITE_ROW && ipl_kind_opens_lease((unsigned)sqlite3_column_int(q->lease, 0))) {
        const unsigned char *m = sqlite3_column_text(q->lease, 1), *h = sqlite3_column_text(q->lease, 2);
        held = 1;
        snprintf(mac, sizeof mac, "%s", m ? (const char *)m : "");
        snprintf(host, sizeof host, "%s", h ? (const char *)h : "");
    }
    sqlite3_reset(q->lease);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return s;
    sqlite3_bind_blob(q->by_ip, 1, p->ip, 16, SQLITE_STATIC);
    sqlite3_bind_int64(q->by_ip, 2, p->at - SESSION_US);
    sqlite3_bind_int64(q->by_ip, 3, p->at);
    if ((s = latest_user(q->by_ip, user, sizeof user, &ts)) != SQLITE_DONE)
        return s;
    if (host[0]) {
        sqlite3_bind_text(q->by_host, 1, host, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q->by_host, 2, p->at - SESSION_US);
        sqlite3_bind_int64(q->by_host, 3, p->at);
        if ((s = latest_user(q->by_host, user, sizeof user, &ts)) != SQLITE_DONE)
            return s;
    }
    if ((s = sqlite3_step(q->commit)) != SQLITE_DONE)
        return s;
    sqlite3_reset(q->commit);
    int mac_ok = p->mac[0] ? held && strcmp(mac, p->mac) == 0 : !held;
    int user_ok = !p->user[0] && !user[0];
    char u[128];
    for (unsigned i = 0; p->user[0] && i < 16 && nth_user(p->user, i, u, sizeof u); i++)
        user_ok |= strcasecmp(user, u) == 0;     /* the peer names one user: one of them */
    *match = mac_ok && user_ok;
    return SQLITE_OK;
}

/* ---- track --user over 30 days ---- */

static int count_row(void *ctx, const ipl_track_row *r)
{
    (void)r;
    (*(size_t *)ctx)++;
    return IPL_OK;
}

int bench_ipl_track_user(const char *store, const bench_probe *p, size_t n, size_t lookups,
                         bench_lat *lat, char *err, size_t errlen)
{
    ipl_diag d = {0};
    ipl_store *st = NULL;
    ipl_arena a;
    int rc = -1;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx), nu = 0;
    double *us = malloc((lookups ? lookups : 1) * sizeof *us);
    memset(lat, 0, sizeof *lat);
    ipl_arena_init(&a, (size_t)1 << 24);
    if (!us || !idx) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)         /* the probes whose truth names a user */
        if (p[i].user[0] && !strchr(p[i].user, '|'))
            idx[nu++] = i;
    if (!nu) {
        rc = 0;
        goto out;
    }
    if (ipl_store_open(&st, store, IPL_STORE_RDONLY, &d)) {
        snprintf(err, errlen, "%s", d.msg);
        goto out;
    }
    for (size_t k = 0; k < nu + lookups; k++) {   /* one untimed pass, then the timed ones */
        const bench_probe *q = &p[idx[k % nu]];
        ipl_track_opts o = {q->at - INT64_C(30) * 86400 * 1000000, q->at, 0};
        ipl_rtxn *t = NULL;
        size_t rows = 0;
        double t0 = bench_now();
        int e = ipl_rtxn_begin(st, &t, &d);
        if (!e)
            e = ipl_track(t, IPL_IX_USER, q->user, &o, count_row, &rows, &a, &d);
        ipl_rtxn_end(t);
        ipl_arena_clear(&a);
        if (k >= nu)
            us[k - nu] = (bench_now() - t0) * 1e6;
        if (e) {
            snprintf(err, errlen, "track --user: %s", d.msg);
            goto out;
        }
        if (k < nu)
            lat->match += rows > 0;          /* the user's logon at the instant is found */
    }
    bench_lat_summary(us, lookups, lat);
    lat->n = nu;
    rc = 0;
out:
    ipl_arena_release(&a);
    ipl_store_close(st);
    free(us);
    free(idx);
    return rc;
}

int bench_sqlite_track(const char *path, const bench_probe *p, size_t n, size_t lookups,
                       bench_lat *lat, char *err, size_t errlen)
{
    sqltrack q = {0};
    char lease[256], logon[256], sql[1024];
    int rc = -1, match;
    double *us = malloc((lookups ? lookups : 1) * sizeof *us);
    memset(lat, 0, sizeof *lat);
    kinds(lease, sizeof lease, 0);
    kinds(logon, sizeof logon, 1);
    if (!us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (sqlite3_open_v2(path, &q.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_exec(q.db, "PRAGMA cache_size=-65536", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "SELECT kind, mac, host FROM events WHERE ip = ?1 AND ts <= ?2 AND "
             "kind IN (%s) ORDER BY ts DESC, seq DESC LIMIT 1", lease);
    if (sqlite3_prepare_v2(q.db, sql, -1, &q.lease, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "SELECT user, ts FROM events WHERE ip = ?1 AND ts BETWEEN ?2 AND ?3 "
             "AND kind IN (%s) AND user IS NOT NULL ORDER BY ts DESC, seq DESC LIMIT 1", logon);
    if (sqlite3_prepare_v2(q.db, sql, -1, &q.by_ip, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "SELECT user, ts FROM events WHERE host = ?1 COLLATE NOCASE AND ts "
             "BETWEEN ?2 AND ?3 AND kind IN (%s) AND user IS NOT NULL ORDER BY ts DESC, seq DESC "
             "LIMIT 1", logon);
    if (sqlite3_prepare_v2(q.db, sql, -1, &q.by_host, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q.db, "BEGIN", -1, &q.begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q.db, "COMMIT", -1, &q.commit, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (sql_track_one(&q, &p[i], &match) != SQLITE_OK)
            goto fail;
        lat->match += (size_t)match;
        lat->held += p[i].mac[0] != 0;
    }
    for (size_t i = 0; i < lookups; i++) {
        double t0 = bench_now();
        int s = sql_track_one(&q, &p[i % n], &match);
        us[i] = (bench_now() - t0) * 1e6;
        if (s != SQLITE_OK)
            goto fail;
    }
    bench_lat_summary(us, lookups, lat);
    lat->n = n;
    rc = 0;
    goto out;
fail:
    snprintf(err, errlen, "sqlite track: %s", q.db ? sqlite3_errmsg(q.db) : "cannot open");
out:
    sqlite3_finalize(q.lease);
    sqlite3_finalize(q.by_ip);
    sqlite3_finalize(q.by_host);
    sqlite3_finalize(q.begin);
    sqlite3_finalize(q.commit);
    sqlite3_close(q.db);
    free(us);
    return rc;
}
