/* queries/track.c — IP -> lease chunks -> device -> users and the reverse; rules in track.h and
 * docs/design/forensics.md. Everything is index-driven: chunks come from the `who` rule applied
 * at the window's start and then at each chunk's end; users from the ip and host indexes inside
 * each chunk; logoffs from the user index (paired by logon id or session id and server). */
#include "queries/track.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LOGONS 4096            /* logon events considered per chunk */
#define PAIR_WALK 4000             /* user-index events walked to find a logoff */
#define PAIR_HORIZON (INT64_C(86400) * IPL_US_PER_SEC) /* at an instant: how far past it to look */
#define SESSIONLESS_SPAN (INT64_C(10) * 3600 * IPL_US_PER_SEC) /* a ticket's default lifetime */

int ipl_kind_is_logon(unsigned k)
{
    return k == IPL_K_LOGON || k == IPL_K_LOGON_EXPLICIT || k == IPL_K_AUTH_KERBEROS ||
           k == IPL_K_AUTH_NTLM || k == IPL_K_RADIUS_START || k == IPL_K_RADIUS_UPDATE;
}

int ipl_kind_is_logoff(unsigned k)
{
    return k == IPL_K_LOGOFF || k == IPL_K_RADIUS_STOP;
}

typedef struct logon {
    const char *user, *server, *key;  /* key: logon id or session id, NULL if none */
    unsigned kind;
    int64_t ts, logoff;
    uint64_t seq, logoff_seq;
} logon;

typedef struct tctx {
    ipl_rtxn *t;
    const ipl_track_opts *o;
    ipl_track_fn fn;
    void *fctx;
    ipl_arena *a;
    ipl_diag *d;
    int instant;
    logon *lg;
    size_t nlg;
} tctx;

static const char *attr_str(ipl_arena *a, const ipl_event *ev, unsigned key)
{
    size_t n;
    const char *v = ipl_event_attr(ev, key, &n);
    return v ? ipl_arena_strndup(a, v, n) : NULL;
}

static const char *session_key(ipl_arena *a, const ipl_event *ev)
{
    const char *k = attr_str(a, ev, IPL_A_LOGON_ID);
    return k ? k : attr_str(a, ev, IPL_A_SESSION);
}

static int str_eq(const char *x, const char *y)
{
    return x && y ? strcmp(x, y) == 0 : x == y;
}

/* The logoff of a session: first logoff after the logon, same user, same key, same server. */
static int find_logoff(tctx *c, logon *l)
{
    uint32_t uid;
    if (!l->key || !l->user || ipl_dict_find_folded(c->t, l->user, strlen(l->user), &uid))
        return IPL_OK;
    uint8_t k[4] = {(uint8_t)(uid >> 24), (uint8_t)(uid >> 16), (uint8_t)(uid >> 8), (uint8_t)uid};
    ipl_ixcur *cur;
    ipl_evcur *evc;
    /* at an instant only a logoff up to a day after it matters (shown when it is near) */
    int64_t until = c->instant && c->o->from < INT64_MAX - PAIR_HORIZON ? c->o->from + PAIR_HORIZON
                                                                         : INT64_MAX;
    int err = ipl_ixcur_open(c->t, IPL_IX_USER, k, k, l->ts, until, 0, &cur, c->d);
    if (err)
        return err;
    if ((err = ipl_evcur_open(c->t, &evc, c->d))) {
        ipl_ixcur_close(cur);
        return err;
    }
    ipl_ixent e;
    int walked = 0;
    while ((err = ipl_ixcur_next(cur, &e, c->d)) == IPL_OK && walked++ < PAIR_WALK) {
        ipl_event ev;
        ipl_rawev raw;
        if ((e.seq <= l->seq && e.ts == l->ts) || e.cls != IPL_IXC_REST)
            continue;
        /* the kind from the raw record first: most of a user's events are not logoffs */
        if (ipl_evcur_get(evc, e.seq, &raw, NULL) || !ipl_kind_is_logoff(raw.kind))
            continue;
        if ((err = ipl_store_get(c->t, e.seq, &ev, c->d)))
            break;
        if (!str_eq(ev.server, l->server))
            continue;
        size_t n;
        const char *key = ipl_event_attr(&ev, IPL_A_LOGON_ID, &n);
        if (!key)
            key = ipl_event_attr(&ev, IPL_A_SESSION, &n);
        if (key && n == strlen(l->key) && memcmp(key, l->key, n) == 0) {
            l->logoff = ev.ts;
            l->logoff_seq = ev.seq;
            break;
        }
    }
    ipl_evcur_close(evc);
    ipl_ixcur_close(cur);
    return err == IPL_ENOTFOUND ? IPL_OK : err;
}

static int seen_seq(const tctx *c, uint64_t seq)
{
    for (size_t i = 0; i < c->nlg; i++)
        if (c->lg[i].seq == seq)
            return 1;
    return 0;
}

/* Collects logon events of index `ix`/key in [lo, hi]; with ip_filter, only those from that ip
 * (or with no ip: a logon from the host). */
static int collect_logons(tctx *c, ipl_index ix, const uint8_t *key, int64_t lo, int64_t hi,
                          const uint8_t *ip_filter)
{
    ipl_ixcur *cur;
    int err = ipl_ixcur_open(c->t, ix, key, key, lo, hi, 0, &cur, c->d);
    if (err)
        return err;
    ipl_ixent e;
    while (c->nlg < MAX_LOGONS && (err = ipl_ixcur_next(cur, &e, c->d)) == IPL_OK) {
        ipl_event ev;
        if (e.cls != IPL_IXC_REST)
            continue;                  /* lease and DNS events: not read (the entry's class) */
        if ((err = ipl_store_get(c->t, e.seq, &ev, c->d)))
            break;
        if (!ipl_kind_is_logon(ev.kind) || !ev.user || seen_seq(c, ev.seq))
            continue;
        if (ip_filter && ev.has_ip && memcmp(ev.ip, ip_filter, 16) != 0)
            continue;
        logon *l = &c->lg[c->nlg++];
        memset(l, 0, sizeof *l);
        l->user = ev.user;
        l->server = ev.server;
        l->key = session_key(c->a, &ev);
        l->kind = ev.kind;
        l->ts = ev.ts;
        l->seq = ev.seq;
    }
    ipl_ixcur_close(cur);
    return err == IPL_ENOTFOUND ? IPL_OK : err;
}

static int cmp_logon(const void *x, const void *y)
{
    const logon *a = x, *b = y;
    return a->ts < b->ts ? -1 : a->ts > b->ts ? 1 : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Whether logon l is in force at `at`. A session (it has a logon or session id) lasts until its
 * logoff. A ticket or NTLM check has no session: it is a sign of use for at most a ticket's
 * lifetime, and it ends sooner when a session on the same address logs off after it — the
 * person who asked for the ticket left (a DC names the ticket's user by Kerberos realm and the
 * session's by NetBIOS domain, so the two cannot be matched by name). */
static int covers(const tctx *c, const logon *l, int64_t at)
{
    if (l->ts > at)
        return 0;
    if (l->logoff)
        return l->logoff > at;
    if (l->key)
        return 1;
    if (at - l->ts > SESSIONLESS_SPAN)
        return 0;
    for (size_t j = 0; j < c->nlg; j++)
        if (c->lg[j].key && c->lg[j].logoff > l->ts && c->lg[j].logoff <= at)
            return 0;
    return 1;
}

/* Other addresses of the device (dual stack) in [lo, hi] through mac/duid/host. */
static const char *other_addrs(tctx *c, const ipl_track_row *r, int64_t lo, int64_t hi)
{
    char buf[512];
    size_t off = 0;
    uint8_t seen[8][16];
    int nseen = 0;
    const char *ids[3] = {r->mac, r->duid, r->host};
    for (int i = 0; i < 3 && nseen < 8; i++) {
        uint32_t id;
        if (!ids[i])
            continue;
        int f = i == 2 ? ipl_dict_find_folded(c->t, ids[i], strlen(ids[i]), &id)
                       : ipl_dict_find(c->t, ids[i], strlen(ids[i]), &id);
        if (f)
            continue;
        uint8_t k[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
        ipl_ixcur *cur;
        ipl_evcur *evc;
        if (ipl_ixcur_open(c->t, i == 2 ? IPL_IX_HOST : IPL_IX_MAC, k, k, lo, hi, 0, &cur, NULL))
            continue;
        if (ipl_evcur_open(c->t, &evc, NULL)) {
            ipl_ixcur_close(cur);
            continue;
        }
        ipl_ixent e;
        int walked = 0;
        while (nseen < 8 && walked++ < 2000 && ipl_ixcur_next(cur, &e, NULL) == IPL_OK) {
            ipl_rawev ev;   /* raw: no dictionary lookups for events that are skipped */
            if (e.cls != IPL_IXC_OPEN || ipl_evcur_get(evc, e.seq, &ev, NULL) || !ev.has_ip || memcmp(ev.ip, r->ip, 16) == 0)
                continue;
            if (!ipl_kind_opens_lease(ev.kind))
                continue;
            int dup = 0;
            for (int s = 0; s < nseen; s++)
                dup |= memcmp(seen[s], ev.ip, 16) == 0;
            if (dup)
                continue;
            memcpy(seen[nseen++], ev.ip, 16);
            char ipb[IPL_IP_TEXT];
            ipl_ip_format(ev.ip, ipb, sizeof ipb);
            int w = snprintf(buf + off, sizeof buf - off, "%s%s", off ? " " : "", ipb);
            if (w > 0 && (size_t)w < sizeof buf - off)
                off += (size_t)w;
        }
        ipl_evcur_close(evc);
        ipl_ixcur_close(cur);
    }
    return off ? ipl_arena_strndup(c->a, buf, off) : NULL;
}

static void add_ev(ipl_track_row *r, uint64_t seq)
{
    if (!seq)
        return;
    for (int i = 0; i < r->nevidence; i++)
        if (r->evidence[i] == seq)
            return;
    if (r->nevidence < 16)
        r->evidence[r->nevidence++] = seq;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int emit(tctx *c, ipl_track_row *r)
{
    qsort(r->evidence, (size_t)r->nevidence, sizeof r->evidence[0], cmp_u64);
    return c->fn(c->fctx, r);
}

/* One chunk of `ip`: the rows for its users (or one row, unknown user / nobody). */
static int chunk_rows(tctx *c, const uint8_t ip[16], const ipl_who *w, int64_t cstart, int64_t cend)
{
    ipl_track_row r;
    memset(&r, 0, sizeof r);
    memcpy(r.ip, ip, 16);
    r.held = w->held;
    r.mac = w->mac;
    r.duid = w->duid;
    r.host = w->host;
    r.server = w->server;
    r.start = cstart;
    r.end = cend;
    for (int i = 0; i < w->nevidence; i++)
        add_ev(&r, w->evidence[i]);
    if (!w->held)
        return emit(c, &r);
    /* logons inside the chunk: up to the instant, or the part of the chunk inside the window */
    int64_t lo = cstart;
    int64_t hi = c->instant ? c->o->from : (cend && cend - 1 < c->o->to ? cend - 1 : c->o->to);
    if (!c->instant && lo < c->o->from)
        lo = c->o->from;
    int64_t back = c->o->lookback ? c->o->lookback : IPL_TRACK_LOOKBACK_DEFAULT;
    r.other_addrs = other_addrs(c, &r, cstart - back, cend ? cend : c->o->to);
    c->nlg = 0;
    int err = collect_logons(c, IPL_IX_IP, ip, lo, hi, NULL);
    uint32_t hid;
    if (!err && w->host && ipl_dict_find_folded(c->t, w->host, strlen(w->host), &hid) == IPL_OK) {
        uint8_t k[4] = {(uint8_t)(hid >> 24), (uint8_t)(hid >> 16), (uint8_t)(hid >> 8), (uint8_t)hid};
        err = collect_logons(c, IPL_IX_HOST, k, lo, hi, ip);
    }
    if (err)
        return err;
    qsort(c->lg, c->nlg, sizeof *c->lg, cmp_logon);
    for (size_t i = 0; i < c->nlg; i++)       /* every logoff first: coverage looks at all */
        if ((err = find_logoff(c, &c->lg[i])))
            return err;
    int rows = 0;
    for (size_t i = 0; i < c->nlg; i++) {
        logon *l = &c->lg[i];
        if (c->instant && !covers(c, l, c->o->from))
            continue;
        /* one row per user: the first logon in the chunk, merged with later ones of the user */
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            if (c->lg[j].user && strcasecmp(c->lg[j].user, l->user) == 0 &&
                (!c->instant || covers(c, &c->lg[j], c->o->from)))
                dup = 1;
        if (dup)
            continue;
        ipl_track_row u = r;
        u.user = l->user;
        u.logon = l->ts;
        u.via = ipl_kind_name(l->kind);
        u.logon_server = l->server;
        add_ev(&u, l->seq);
        /* the user's last logoff in the chunk, if every session of theirs closed */
        int64_t last_off = 0;
        int open = 0;
        for (size_t j = i; j < c->nlg; j++) {
            if (strcasecmp(c->lg[j].user, l->user) != 0)
                continue;
            if (c->instant && !covers(c, &c->lg[j], c->o->from))
                continue;
            if (!c->lg[j].logoff) {
                open = 1;
            } else if (c->lg[j].logoff > last_off) {
                last_off = c->lg[j].logoff;
                add_ev(&u, c->lg[j].logoff_seq);
            }
        }
        u.logoff = open ? 0 : last_off;
        if ((err = emit(c, &u)))
            return err;
        rows++;
    }
    return rows ? IPL_OK : emit(c, &r);   /* held, unknown user */
}

/* The chunks of `ip` over the window, in time order. `match` (may be NULL) keeps only chunks of
 * one device: mac/duid equal, or host equal case-insensitively. */
static int ip_chunks(tctx *c, const uint8_t ip[16], const char *match_mac, const char *match_host)
{
    int64_t at = c->o->from;
    int err = IPL_OK;
    for (int n = 0; n < IPL_TRACK_MAX_CHUNKS; n++) {
        ipl_who w;
        if ((err = ipl_who_at(c->t, ip, at, c->a, &w, c->d)))
            return err;
        int64_t cstart = w.start, cend = w.end;
        if (!w.held) {
            /* nobody from `at` until the next opening event, if any, inside the window */
            ipl_ixcur *cur;
            cend = 0;
            if ((err = ipl_ixcur_open(c->t, IPL_IX_IP, ip, ip, at + 1, c->o->to, 0, &cur, c->d)))
                return err;
            ipl_ixent e;
            while ((err = ipl_ixcur_next(cur, &e, c->d)) == IPL_OK) {
                ipl_event ev;
                if (e.cls != IPL_IXC_OPEN)
                    continue;
                if ((err = ipl_store_get(c->t, e.seq, &ev, c->d)))
                    break;
                if (ipl_kind_opens_lease(ev.kind)) {
                    cend = ev.ts;
                    break;
                }
            }
            ipl_ixcur_close(cur);
            if (err && err != IPL_ENOTFOUND)
                return err;
            err = IPL_OK;
        }
        int keep = !match_mac && !match_host;
        if (w.held && match_mac)
            keep = str_eq(w.mac, match_mac) || str_eq(w.duid, match_mac);
        if (w.held && match_host && w.host)
            keep = keep || strcasecmp(w.host, match_host) == 0;
        if (keep && (err = chunk_rows(c, ip, &w, cstart, cend)))
            return err;
        ipl_arena_clear(c->a);
        if (!cend || cend > c->o->to || c->instant)
            break;
        at = cend;
    }
    return err;
}

/* by user: each logon -> its address -> the chunk at that instant -> device */
static int by_user(tctx *c, const char *user)
{
    uint32_t uid;
    if (ipl_dict_find_folded(c->t, user, strlen(user), &uid))
        return IPL_OK; /* never seen: no rows */
    uint8_t k[4] = {(uint8_t)(uid >> 24), (uint8_t)(uid >> 16), (uint8_t)(uid >> 8), (uint8_t)uid};
    int64_t back = c->o->lookback ? c->o->lookback : IPL_TRACK_LOOKBACK_DEFAULT;
    int64_t lo = c->instant ? c->o->from - back : c->o->from;
    c->nlg = 0;
    int err = collect_logons(c, IPL_IX_USER, k, lo, c->o->to, NULL);
    if (err)
        return err;
    qsort(c->lg, c->nlg, sizeof *c->lg, cmp_logon);
    for (size_t i = 0; i < c->nlg; i++) {
        logon l = c->lg[i];
        if ((err = find_logoff(c, &l)))
            return err;
        if (c->instant && !covers(c, &l, c->o->from))
            continue;
        ipl_event ev;
        if ((err = ipl_store_get(c->t, l.seq, &ev, c->d)))
            return err;
        ipl_track_row r;
        memset(&r, 0, sizeof r);
        r.user = ev.user;
        r.logon = l.ts;
        r.logoff = l.logoff;
        r.via = ipl_kind_name(l.kind);
        r.logon_server = l.server;
        add_ev(&r, l.seq);
        add_ev(&r, l.logoff_seq);
        if (ev.has_ip) {
            ipl_who w;
            memcpy(r.ip, ev.ip, 16);
            if ((err = ipl_who_at(c->t, ev.ip, l.ts, c->a, &w, c->d)))
                return err;
            r.held = w.held;
            if (w.held) {
                r.mac = w.mac;
                r.duid = w.duid;
                r.host = w.host;
                r.server = w.server;
                r.start = w.start;
                r.end = w.end;
                for (int j = 0; j < w.nevidence; j++)
                    add_ev(&r, w.evidence[j]);
            }
        } else {
            r.host = ev.host;
        }
        if ((err = emit(c, &r)))
            return err;
        ipl_arena_clear(c->a);
    }
    return IPL_OK;
}

/* by MAC or host: the addresses it held (lease events in the window and a look-back), then the
 * chunks of each address that belong to it */
static int by_device(tctx *c, ipl_index ix, const char *value)
{
    ipl_selector sel;
    int err = ipl_selector_make(c->t, ix, value, &sel, c->d);
    if (err || sel.empty)
        return err;
    int64_t back = c->o->lookback ? c->o->lookback : IPL_TRACK_LOOKBACK_DEFAULT;
    uint8_t (*ips)[16] = malloc(IPL_TRACK_MAX_ADDRS * 16);
    size_t nips = 0;
    const char *canon = NULL;
    if (!ips)
        return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
    ipl_ixcur *cur;
    if ((err = ipl_ixcur_open(c->t, ix, sel.klo, sel.khi, c->o->from - back, c->o->to, 0, &cur, c->d)))
        goto out;
    ipl_ixent e;
    while (nips < IPL_TRACK_MAX_ADDRS && (err = ipl_ixcur_next(cur, &e, c->d)) == IPL_OK) {
        ipl_event ev;
        if (e.cls != IPL_IXC_OPEN)
            continue;
        if ((err = ipl_store_get(c->t, e.seq, &ev, c->d)))
            break;
        if (!ev.has_ip || !ipl_kind_opens_lease(ev.kind))
            continue;
        if (!canon)
            canon = ix == IPL_IX_MAC ? ipl_dict_str(c->t, (uint32_t)sel.klo[0] << 24 | (uint32_t)sel.klo[1] << 16 |
                                                                 (uint32_t)sel.klo[2] << 8 | sel.klo[3])
                                     : value;
        int dup = 0;
        for (size_t i = 0; i < nips && !dup; i++)
            dup = memcmp(ips[i], ev.ip, 16) == 0;
        if (!dup)
            memcpy(ips[nips++], ev.ip, 16);
    }
    ipl_ixcur_close(cur);
    if (err && err != IPL_ENOTFOUND)
        goto out;
    err = IPL_OK;
    for (size_t i = 0; i < nips && !err; i++)
        err = ix == IPL_IX_MAC ? ip_chunks(c, ips[i], canon, NULL) : ip_chunks(c, ips[i], NULL, value);
out:
    free(ips);
    return err;
}

int ipl_track(ipl_rtxn *t, ipl_index by, const char *value, const ipl_track_opts *o,
              ipl_track_fn fn, void *ctx, ipl_arena *a, ipl_diag *d)
{
    tctx c = {t, o, fn, ctx, a, d, o->from == o->to, NULL, 0};
    if (o->from > o->to)
        return ipl_diag_set(d, IPL_EINVAL, "the window starts after it ends");
    c.lg = malloc(MAX_LOGONS * sizeof *c.lg);
    if (!c.lg)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err;
    switch (by) {
    case IPL_IX_IP: {
        uint8_t ip[16];
        if (ipl_ip_parse(value, strlen(value), ip)) {
            err = ipl_diag_set(d, IPL_EINVAL, "invalid IP address '%s'", value);
            break;
        }
        err = ip_chunks(&c, ip, NULL, NULL);
        break;
    }
    case IPL_IX_USER:
        err = by_user(&c, value);
        break;
    case IPL_IX_MAC:
    case IPL_IX_HOST:
        err = by_device(&c, by, value);
        break;
    default:
        err = ipl_diag_set(d, IPL_EINVAL, "track needs an ip, mac, host or user");
    }
    free(c.lg);
    return err;
}

const ipl_col ipl_track_cols[] = {
    {"ip", IPL_COL_STR},      {"state", IPL_COL_STR},  {"lease_start", IPL_COL_STR},
    {"lease_end", IPL_COL_STR}, {"mac", IPL_COL_STR},  {"duid", IPL_COL_STR},
    {"host", IPL_COL_STR},    {"dhcp_server", IPL_COL_STR}, {"user", IPL_COL_STR},
    {"logon", IPL_COL_STR},   {"logoff", IPL_COL_STR}, {"via", IPL_COL_STR},
    {"logon_server", IPL_COL_STR}, {"other_addresses", IPL_COL_STR}, {"evidence", IPL_COL_STR},
};
const size_t ipl_track_ncols = sizeof ipl_track_cols / sizeof ipl_track_cols[0];

static const char *tstr(ipl_arena *a, int64_t us)
{
    char b[IPL_TIME_BUF];
    ipl_time_format(us, b, sizeof b);
    return ipl_arena_strdup(a, b);
}

int ipl_track_row_values(const ipl_track_row *r, ipl_arena *a, const char **vals)
{
    char ipb[IPL_IP_TEXT], evb[16 * 21 + 1];
    int any_ip = 0;
    for (int i = 0; i < 16; i++)
        any_ip |= r->ip[i];
    ipl_ip_format(r->ip, ipb, sizeof ipb);
    size_t off = 0;
    evb[0] = '\0';
    for (int i = 0; i < r->nevidence; i++)
        off += (size_t)snprintf(evb + off, sizeof evb - off, "%s%llu", i ? "," : "",
                                (unsigned long long)r->evidence[i]);
    vals[0] = any_ip ? ipl_arena_strdup(a, ipb) : NULL;
    vals[1] = !any_ip ? "no address" : r->held ? "held" : "nobody";
    vals[2] = r->start ? tstr(a, r->start) : NULL;
    vals[3] = r->end ? tstr(a, r->end) : (r->held ? "open" : NULL);
    vals[4] = r->mac;
    vals[5] = r->duid;
    vals[6] = r->host;
    vals[7] = r->server;
    vals[8] = r->user ? r->user : (r->held ? "unknown user" : NULL);
    vals[9] = r->logon ? tstr(a, r->logon) : NULL;
    vals[10] = r->logoff ? tstr(a, r->logoff) : NULL;
    vals[11] = r->via;
    vals[12] = r->logon_server;
    vals[13] = r->other_addrs;
    vals[14] = ipl_arena_strdup(a, evb);
    return IPL_OK;
}
