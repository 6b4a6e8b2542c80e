/* tools/bench/sqlite.c — the SQLite peer: the same files through the same parser (bench_feed),
 * the same normalised events into one table with the indexes ipledger keeps, and `who` as SQL.
 *
 * Durability equal to ipledger's: LMDB's default syncs the data file and the meta page at every
 * commit, so SQLite runs with journal_mode=WAL and synchronous=FULL (the WAL is fsynced at every
 * commit; checkpoints fsync the database), one transaction per batch of events (65536 by default, as ipledger), prepared
 * statements. Its page cache is raised to 64 MiB (the default 2 MiB would make the index inserts
 * of a 5M-row table read from the OS for most rows): a fair peer, not a crippled one. */
#include "tools/bench/bench.h"
#include "engine/err.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char bench_sqlite_settings[] =
    "journal_mode=WAL synchronous=FULL (WAL fsync per commit, as LMDB's default sync per "
    "commit), cache_size=64MiB, page_size=4096, prepared insert, same events per transaction";

static const char schema[] =
    "PRAGMA page_size=4096;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA cache_size=-65536;"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER, kind INTEGER, ip BLOB, mac TEXT,"
    " duid TEXT, host TEXT, user TEXT, server TEXT, source TEXT, line INTEGER, attrs TEXT);"
    "CREATE INDEX events_ip ON events(ip, ts);"
    "CREATE INDEX events_mac ON events(mac, ts);"
    "CREATE INDEX events_host ON events(host COLLATE NOCASE, ts);"
    "CREATE INDEX events_user ON events(user COLLATE NOCASE, ts);"
    "CREATE INDEX events_ts ON events(ts);";

typedef struct loader {
    size_t batch;
    sqlite3 *db;
    sqlite3_stmt *ins;
    uint64_t in_txn;
    char attrs[IPL_ATTR_MAX * (IPL_ATTR_VAL_MAX + 32)];
    char msg[BENCH_MSG];
} loader;

static int db_fail(loader *l, const char *what)
{
    snprintf(l->msg, sizeof l->msg, "sqlite: cannot %s: %s", what, sqlite3_errmsg(l->db));
    return 1;
}

static int exec(loader *l, const char *sql, const char *what)
{
    return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_fail(l, what);
}

static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* Attributes as "key=value" pairs separated by ';' (values as logged). */
static size_t format_attrs(loader *l, const ipl_event *ev)
{
    size_t off = 0;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const char *k = ipl_attr_name(ev->attr[i].key);
        int n = snprintf(l->attrs + off, sizeof l->attrs - off, "%s%s=%.*s", i ? ";" : "",
                         k ? k : "?", (int)ev->attr[i].len, ev->attr[i].val);
        if (n < 0 || (size_t)n >= sizeof l->attrs - off)
            break;
        off += (size_t)n;
    }
    l->attrs[off] = '\0';
    return off;
}

static int insert(void *ctx, const ipl_event *ev)
{
    loader *l = ctx;
    sqlite3_stmt *s = l->ins;
    if (l->in_txn == 0 && exec(l, "BEGIN", "begin"))
        return 1;
    sqlite3_bind_int64(s, 1, ev->ts);
    sqlite3_bind_int(s, 2, ev->kind);
    if (ev->has_ip)
        sqlite3_bind_blob(s, 3, ev->ip, 16, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    bind_str(s, 4, ev->mac);
    bind_str(s, 5, ev->duid);
    bind_str(s, 6, ev->host);
    bind_str(s, 7, ev->user);
    bind_str(s, 8, ev->server);
    bind_str(s, 9, ev->source);
    sqlite3_bind_int64(s, 10, (sqlite3_int64)ev->line);
    if (format_attrs(l, ev))
        sqlite3_bind_text(s, 11, l->attrs, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 11);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return db_fail(l, "insert");
    if (++l->in_txn >= l->batch) {
        l->in_txn = 0;
        if (exec(l, "COMMIT", "commit"))
            return 1;
    }
    return 0;
}

void bench_sqlite_ingest(void *job, bench_result *r)
{
    bench_sqlite_job *j = job;
    loader *l = calloc(1, sizeof *l);
    bench_feed_stats fs;
    memset(&fs, 0, sizeof fs);
    if (!l) {
        r->err = 1;
        snprintf(r->msg, sizeof r->msg, "out of memory");
        return;
    }
    l->batch = j->batch;
    double t0 = bench_now();
    if (sqlite3_open_v2(j->db, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        r->err = db_fail(l, "open");
        goto out;
    }
    if (exec(l, schema, "create the schema"))
        goto fail;
    if (sqlite3_prepare_v3(l->db,
                           "INSERT INTO events(ts, kind, ip, mac, duid, host, user, server, source,"
                           " line, attrs) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                           -1, SQLITE_PREPARE_PERSISTENT, &l->ins, NULL) != SQLITE_OK) {
        db_fail(l, "prepare the insert");
        goto fail;
    }
    for (size_t i = 0; i < j->ds->nsrc; i++) {
        char ferr[BENCH_MSG] = "";
        int rc = bench_feed(&j->ds->src[i], insert, l, &fs, ferr, sizeof ferr);
        if (rc) {
            if (ferr[0] && !l->msg[0])
                snprintf(l->msg, sizeof l->msg, "%s", ferr);
            goto fail;
        }
    }
    if (l->in_txn && exec(l, "COMMIT", "commit"))
        goto fail;
    l->in_txn = 0;
    r->seconds = bench_now() - t0;
    double t1 = bench_now();
    if (exec(l, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint"))
        goto fail;
    r->extra[0] = bench_now() - t1;
    r->events = fs.events;
    r->lines = fs.lines;
    r->rejected = fs.rejected;
    r->files = fs.files;
    goto out;
fail:
    r->err = 1;
    snprintf(r->msg, sizeof r->msg, "%s", l->msg);
out:
    sqlite3_finalize(l->ins);
    sqlite3_close(l->db);
    free(l);
}

/* ---- who in SQL ----
 * 1. the latest lease-opening or lease-closing event for the ip at or before T: a close means
 *    nobody, an open names the holder;
 * 2. the first event after T that ends the holding: a close, or an open by another client.
 * Both in one read transaction, as ipledger's lookup runs in one. */

static void kind_list(char *buf, size_t n, int opens, int closes)
{
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < IPL_K__COUNT; k++)
        if ((opens && ipl_kind_opens_lease(k)) || (closes && ipl_kind_closes_lease(k)))
            off += (size_t)snprintf(buf + off, n - off, "%s%u", off ? "," : "", k);
}

typedef struct sqlwho {
    sqlite3 *db;
    sqlite3_stmt *last, *next, *begin, *commit;
} sqlwho;

/* One lookup in one read transaction; returns SQLITE_OK or the failing code. */
static int sql_who_one(sqlwho *q, const bench_probe *p, int *match, int *held)
{
    char mac[13] = "";
    int s;
    *held = 0;
    if ((s = sqlite3_step(q->begin)) != SQLITE_DONE)
        return s;
    sqlite3_reset(q->begin);
    sqlite3_bind_blob(q->last, 1, p->ip, 16, SQLITE_STATIC);
    sqlite3_bind_int64(q->last, 2, p->at);
    s = sqlite3_step(q->last);
    if (s == SQLITE_ROW && ipl_kind_opens_lease((unsigned)sqlite3_column_int(q->last, 0))) {
        const unsigned char *m = sqlite3_column_text(q->last, 1);
        const unsigned char *du = sqlite3_column_text(q->last, 2);
        *held = 1;
        snprintf(mac, sizeof mac, "%s", m ? (const char *)m : "");
        sqlite3_bind_blob(q->next, 1, p->ip, 16, SQLITE_STATIC);
        sqlite3_bind_int64(q->next, 2, p->at);
        sqlite3_bind_text(q->next, 3, m ? (const char *)m : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q->next, 4, du ? (const char *)du : "", -1, SQLITE_TRANSIENT);
        s = sqlite3_step(q->next);
        sqlite3_reset(q->next);
    }
    sqlite3_reset(q->last);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return s;
    if ((s = sqlite3_step(q->commit)) != SQLITE_DONE)
        return s;
    sqlite3_reset(q->commit);
    *match = p->mac[0] ? *held && strcmp(mac, p->mac) == 0 : !*held;
    return SQLITE_OK;
}

int bench_sqlite_who(const char *path, const bench_probe *p, size_t n, size_t lookups,
                     bench_lat *lat, char *err, size_t errlen)
{
    sqlwho q = {0};
    char opens[128], closes[128], both[256], sql[1024];
    int rc = -1, match, held;
    double *us = malloc((lookups ? lookups : 1) * sizeof *us);
    memset(lat, 0, sizeof *lat);
    kind_list(opens, sizeof opens, 1, 0);
    kind_list(closes, sizeof closes, 0, 1);
    kind_list(both, sizeof both, 1, 1);
    if (!us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (sqlite3_open_v2(path, &q.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(q.db, "PRAGMA cache_size=-65536", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql,
             "SELECT kind, mac, duid FROM events WHERE ip = ?1 AND ts <= ?2 AND kind IN (%s)"
             " ORDER BY ts DESC, seq DESC LIMIT 1", both);
    if (sqlite3_prepare_v2(q.db, sql, -1, &q.last, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql,
             "SELECT ts, kind FROM events WHERE ip = ?1 AND ts > ?2 AND (kind IN (%s) OR"
             " (kind IN (%s) AND NOT (coalesce(mac, '') = ?3 AND coalesce(duid, '') = ?4)))"
             " ORDER BY ts, seq LIMIT 1", closes, opens);
    if (sqlite3_prepare_v2(q.db, sql, -1, &q.next, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q.db, "BEGIN", -1, &q.begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q.db, "COMMIT", -1, &q.commit, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {        /* every probe once: correctness, cache warmed */
        if (sql_who_one(&q, &p[i], &match, &held) != SQLITE_OK)
            goto fail;
        lat->match += (size_t)match;
        lat->held += (size_t)held;
    }
    for (size_t i = 0; i < lookups; i++) {  /* the timed lookups */
        double t0 = bench_now();
        int s = sql_who_one(&q, &p[i % n], &match, &held);
        us[i] = (bench_now() - t0) * 1e6;
        if (s != SQLITE_OK)
            goto fail;
    }
    bench_lat_summary(us, lookups, lat);
    lat->n = n;
    rc = 0;
    goto out;
fail:
    snprintf(err, errlen, "sqlite who: %s", q.db ? sqlite3_errmsg(q.db) : "cannot open");
out:
    sqlite3_finalize(q.last);
    sqlite3_finalize(q.next);
    sqlite3_finalize(q.begin);
    sqlite3_finalize(q.commit);
    sqlite3_close(q.db);
    free(us);
    return rc;
}
