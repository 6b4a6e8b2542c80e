/* queries/lookup.c — index-backed event lookups and the `who` lease-holder rule; see lookup.h. */
#include "queries/lookup.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"

#include <stdio.h>
#include <string.h>

int ipl_selector_make(ipl_rtxn *t, ipl_index ix, const char *value, ipl_selector *sel, ipl_diag *d)
{
    memset(sel, 0, sizeof *sel);
    sel->ix = ix;
    size_t n = strlen(value);
    uint32_t id;
    switch (ix) {
    case IPL_IX_IP: {
        ipl_prefix p;
        if (ipl_prefix_parse(value, n, 1, &p))
            return ipl_diag_set(d, IPL_EINVAL, "invalid IP address or prefix '%s'", value);
        memcpy(sel->klo, p.lo, 16);
        memcpy(sel->khi, p.hi, 16);
        return IPL_OK;
    }
    case IPL_IX_MAC: {
        char canon[2 * 130 + 1];
        if (ipl_mac_canon(value, n, canon) != IPL_OK &&
            ipl_hex_canon(value, n, canon, sizeof canon) != IPL_OK)
            return ipl_diag_set(d, IPL_EINVAL,
                                "invalid MAC address '%s' (expected e.g. 3c:52:82:6a:1b:2f, "
                                "3C-52-82-6A-1B-2F, 3c52.826a.1b2f or a DUID in hex)",
                                value);
        if (ipl_dict_find(t, canon, strlen(canon), &id)) {
            sel->empty = 1;
            return IPL_OK;
        }
        break;
    }
    case IPL_IX_HOST:
    case IPL_IX_USER:
        if (n == 0)
            return ipl_diag_set(d, IPL_EINVAL, "empty %s", ix == IPL_IX_HOST ? "host" : "user");
        if (ipl_dict_find_folded(t, value, n, &id)) {
            sel->empty = 1;
            return IPL_OK;
        }
        break;
    default:
        return ipl_diag_set(d, IPL_EINVAL, "no selector for index '%s'", ipl_index_name(ix));
    }
    uint8_t k[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(sel->klo, k, 4);
    memcpy(sel->khi, k, 4);
    return IPL_OK;
}

int ipl_events_scan(ipl_rtxn *t, const ipl_selector *sel, int64_t from, int64_t to,
                    ipl_event_fn fn, void *ctx, ipl_diag *d)
{
    if (sel->empty)
        return IPL_OK;
    ipl_ixcur *c;
    int err = ipl_ixcur_open(t, sel->ix, sel->klo, sel->khi, from, to, 0, &c, d);
    if (err)
        return err;
    ipl_ixent e;
    while ((err = ipl_ixcur_next(c, &e, d)) == IPL_OK) {
        ipl_event ev;
        if ((err = ipl_store_get(t, e.seq, &ev, d)))
            break;
        if ((err = fn(ctx, &ev)))
            break;
    }
    ipl_ixcur_close(c);
    return err == IPL_ENOTFOUND ? IPL_OK : err;
}

const ipl_col ipl_event_cols[] = {
    {"seq", IPL_COL_NUM},  {"time", IPL_COL_STR},   {"kind", IPL_COL_STR},  {"ip", IPL_COL_STR},
    {"mac", IPL_COL_STR},  {"duid", IPL_COL_STR},   {"host", IPL_COL_STR},  {"user", IPL_COL_STR},
    {"server", IPL_COL_STR}, {"source", IPL_COL_STR}, {"line", IPL_COL_NUM}, {"attrs", IPL_COL_JSON},
};
const size_t ipl_event_ncols = sizeof ipl_event_cols / sizeof ipl_event_cols[0];

static const char *num(ipl_arena *a, unsigned long long v)
{
    char b[24];
    snprintf(b, sizeof b, "%llu", v);
    return ipl_arena_strdup(a, b);
}

int ipl_event_row(const ipl_event *ev, int json, ipl_arena *a, const char **vals)
{
    char tb[IPL_TIME_BUF], ipb[IPL_IP_TEXT];
    ipl_time_format(ev->ts, tb, sizeof tb);
    vals[0] = num(a, ev->seq);
    vals[1] = ipl_arena_strdup(a, tb);
    vals[2] = ipl_kind_name(ev->kind);
    vals[3] = NULL;
    if (ev->has_ip) {
        ipl_ip_format(ev->ip, ipb, sizeof ipb);
        vals[3] = ipl_arena_strdup(a, ipb);
    }
    vals[4] = ev->mac;
    vals[5] = ev->duid;
    vals[6] = ev->host;
    vals[7] = ev->user;
    vals[8] = ev->server;
    vals[9] = ev->source;
    vals[10] = num(a, ev->line);
    /* attributes */
    size_t cap = 2;
    for (uint32_t i = 0; i < ev->nattr; i++)
        cap += 32 + ev->attr[i].len * 6;
    char *s = ipl_arena_alloc(a, cap), *p = s;
    if (!s || !vals[0] || !vals[1] || !vals[10])
        return IPL_ENOMEM;
    if (json)
        *p++ = '{';
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const char *k = ipl_attr_name(ev->attr[i].key);
        if (!k)
            k = "?";
        if (json) {
            p += snprintf(p, cap - (size_t)(p - s), "%s\"%s\":\"", i ? "," : "", k);
            p += ipl_json_escape(ev->attr[i].val, ev->attr[i].len, p, cap - (size_t)(p - s));
            *p++ = '"';
        } else {
            p += snprintf(p, cap - (size_t)(p - s), "%s%s=", i ? " " : "", k);
            for (uint32_t j = 0; j < ev->attr[i].len; j++) {
                unsigned char c = (unsigned char)ev->attr[i].val[j];
                *p++ = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            }
        }
    }
    if (json)
        *p++ = '}';
    *p = '\0';
    vals[11] = s;
    return IPL_OK;
}

/* ---- who ---- */

static int lease_relevant(unsigned kind)
{
    return ipl_kind_opens_lease(kind) || ipl_kind_closes_lease(kind);
}

/* Same client: equal MAC, or equal DUID (v6). */
static int same_client(const ipl_event *a, const char *mac, const char *duid)
{
    if (a->duid && duid)
        return strcmp(a->duid, duid) == 0;
    if (a->mac && mac)
        return strcmp(a->mac, mac) == 0;
    return !a->mac && !mac && !a->duid && !duid;
}

static void add_evidence(ipl_who *w, uint64_t seq)
{
    for (int i = 0; i < w->nevidence; i++)
        if (w->evidence[i] == seq)
            return;
    if (w->nevidence < IPL_WHO_EVIDENCE)
        w->evidence[w->nevidence++] = seq;
}

static const char *close_reason(unsigned kind)
{
    switch (kind) {
    case IPL_K_LEASE_RELEASE: return "released";
    case IPL_K_LEASE_EXPIRE: return "expired";
    case IPL_K_LEASE_DELETE: return "deleted";
    case IPL_K_LEASE_DECLINE: return "declined";
    default: return "closed";
    }
}

/* The lease end a source recorded with an open (lease files, Kea CSV): 0 when none. */
static int64_t lease_end_of(const ipl_event *ev)
{
    size_t n;
    const char *v = ipl_event_attr(ev, IPL_A_LEASE_END, &n);
    int64_t us;
    if (!v || ipl_time_parse(v, n, NULL, &us, NULL) != IPL_OK)
        return 0;
    return us;
}

int ipl_who_at(ipl_rtxn *t, const uint8_t ip[16], int64_t at, ipl_arena *a, ipl_who *w,
               ipl_diag *d)
{
    ipl_ixcur *c = NULL;
    ipl_ixent e;
    ipl_event ev;
    int err, walked = 0;
    memset(w, 0, sizeof *w);
    /* 1. backwards from `at`: the latest lease event decides; then find where the holding began */
    if ((err = ipl_ixcur_open(t, IPL_IX_IP, ip, ip, 0, at, 1, &c, d)))
        return err;
    int decided = 0;
    int64_t later_open = 0, cur_end = 0;  /* the open after the one being looked at; its lease end */
    uint64_t first_seq = 0;
    while ((err = ipl_ixcur_next(c, &e, d)) == IPL_OK && walked++ < IPL_WHO_WALK) {
        /* logons, changes, ... from the address: not lease evidence, not read (the class kept
         * in the index entry says so); before the decision DNS updates are read for a name */
        if (e.cls == IPL_IXC_REST || (decided && e.cls == IPL_IXC_LEASE))
            continue;
        if ((err = ipl_store_get(t, e.seq, &ev, d)))
            goto out;
        if (!decided) {
            if (!ipl_kind_opens_lease(ev.kind) && !ipl_kind_closes_lease(ev.kind)) {
                if (ev.kind == IPL_K_DNS_UPDATE && ev.host && !w->host)
                    w->host = ev.host;  /* a name seen for the address; kept only if held */
                continue;
            }
            if (ipl_kind_closes_lease(ev.kind)) {
                char tb[IPL_TIME_BUF], note[160];
                ipl_time_format(ev.ts, tb, sizeof tb);
                snprintf(note, sizeof note, "%s at %s by %s", close_reason(ev.kind), tb,
                         ev.mac ? ev.mac : ev.duid ? ev.duid : "unknown client");
                w->note = ipl_arena_strdup(a, note);
                w->host = NULL;
                w->start = ev.ts;   /* nobody since this close */
                w->end_reason = close_reason(ev.kind);
                add_evidence(w, ev.seq);
                goto out_ok;
            }
            cur_end = lease_end_of(&ev);
            if (cur_end && at >= cur_end) {
                /* the source recorded when this lease ends, and no renewal followed */
                char tb[IPL_TIME_BUF], note[160];
                ipl_time_format(cur_end, tb, sizeof tb);
                snprintf(note, sizeof note, "expired at %s (the lease's recorded end) by %s", tb,
                         ev.mac ? ev.mac : ev.duid ? ev.duid : "unknown client");
                w->note = ipl_arena_strdup(a, note);
                w->host = NULL;
                w->start = cur_end;
                w->end_reason = "expired";
                add_evidence(w, ev.seq);
                goto out_ok;
            }
            decided = 1;
            w->held = 1;
            w->mac = ev.mac;
            w->duid = ev.duid;
            if (ev.host)
                w->host = ev.host;
            w->server = ev.server;
            w->start = ev.ts;
            later_open = ev.ts;
            add_evidence(w, ev.seq);  /* the latest open before `at` */
            continue;
        }
        if (!lease_relevant(ev.kind))
            continue;
        if (ipl_kind_closes_lease(ev.kind) || !same_client(&ev, w->mac, w->duid))
            break;   /* the holding began after this event */
        /* the same client's earlier open: the same holding, unless its lease ran out before the
         * next open (renewals are logged as assignments by ISC, Kea and dnsmasq, so an assign
         * does not by itself start a new holding) */
        int64_t end = lease_end_of(&ev);
        if (end && end < later_open)
            break;
        w->start = ev.ts;
        later_open = ev.ts;
        first_seq = ev.seq;
        if (!w->host && ev.host)
            w->host = ev.host;
    }
    if (first_seq)
        add_evidence(w, first_seq);   /* where the holding began */
    if (err && err != IPL_ENOTFOUND)
        goto out;
    ipl_ixcur_close(c);
    c = NULL;
    if (!decided) {
        w->note = "no lease event for this address at or before that time";
        w->host = NULL;
        goto out_ok;
    }
    /* 2. forwards from just after `at`: where the holding ends (at + 1 must not overflow: at
     * the end of time the window is past every event, so empty) */
    int64_t after = at < INT64_MAX ? at + 1 : at;
    if ((err = ipl_ixcur_open(t, IPL_IX_IP, ip, ip, after, INT64_MAX, 0, &c, d)))
        return err;
    walked = 0;
    while ((err = ipl_ixcur_next(c, &e, d)) == IPL_OK && walked++ < IPL_WHO_WALK) {
        if (e.cls != IPL_IXC_OPEN && e.cls != IPL_IXC_CLOSE)
            continue;
        if ((err = ipl_store_get(t, e.seq, &ev, d)))
            goto out;
        if (!lease_relevant(ev.kind))
            continue;
        if (cur_end && ev.ts > cur_end) {  /* the recorded lease end came first */
            w->end = cur_end;
            w->end_reason = "expired";
            break;
        }
        if (ipl_kind_opens_lease(ev.kind) && same_client(&ev, w->mac, w->duid)) {
            cur_end = lease_end_of(&ev);    /* a renewal moves the end */
            continue;
        }
        if (ipl_kind_closes_lease(ev.kind) && same_client(&ev, w->mac, w->duid)) {
            w->end = ev.ts;
            w->end_reason = close_reason(ev.kind);
            add_evidence(w, ev.seq);
            break;
        }
        if (ipl_kind_opens_lease(ev.kind) && !same_client(&ev, w->mac, w->duid)) {
            w->end = ev.ts;
            w->end_reason = "reassigned";
            add_evidence(w, ev.seq);
            break;
        }
        if (ipl_kind_closes_lease(ev.kind)) { /* a close by another client: closes it all */
            w->end = ev.ts;
            w->end_reason = close_reason(ev.kind);
            add_evidence(w, ev.seq);
            break;
        }
    }
    if (err && err != IPL_ENOTFOUND)
        goto out;
    if (!w->end && cur_end) {       /* nothing after it: the recorded lease end closes it */
        w->end = cur_end;
        w->end_reason = "expired";
    }
out_ok:
    err = IPL_OK;
    for (int i = 1; i < w->nevidence; i++) /* ascending: the order the events happened */
        for (int j = i; j > 0 && w->evidence[j - 1] > w->evidence[j]; j--) {
            uint64_t tmp = w->evidence[j];
            w->evidence[j] = w->evidence[j - 1];
            w->evidence[j - 1] = tmp;
        }
out:
    ipl_ixcur_close(c);
    return err;
}
