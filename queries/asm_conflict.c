/* queries/asm_conflict.c — conflicts, overlaps and duplicates in the address space.
 *
 * Detected:
 *   range.overlap    two ranges of one space overlap (writes through ipledger refuse this; a view
 *                    written by an older version or imported data can still hold it)
 *   scope.duplicate  one range's addresses leased by two DHCP servers in [from, to] (the same
 *                    scope defined on two servers; a failover pair shows up here too, by design)
 *   static.leased    an address object recorded static/reserved/vip had a lease in [from, to]
 *   ip.two-macs      an address held by two clients at once: client B leased it within an hour
 *                    of A's last renew, and A leased it again within an hour of B's, with no
 *                    close in between (logs without expiry events make a plain takeover normal)
 *   dhcp.conflict    a DHCP "address in use" (lease.conflict) event in [from, to]
 * Lease-stream checks scan the ip index of each range of the view once (forward, [from, to]).
 */
#include "queries/asm_int.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/sha256.h"
#include "engine/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPL_ASM_TWO_MACS_WINDOW (INT64_C(3600) * 1000000)

static int emit(ipl_asm_conflict_fn fn, void *ctx, const char *type, const char *space,
                const char *object, const char *detail, int64_t ts)
{
    ipl_asm_conflict c = {type, space, object, detail, ts};
    return fn(ctx, &c);
}

static int is_static(const ipl_asm_obj *o)
{
    const char *as = ipl_asm_obj_str(o, "assignment");
    return as && strcmp(as, "dynamic") != 0;
}

static int scan_range(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *r, int64_t from,
                      int64_t to, ipl_asm_conflict_fn fn, void *ctx, ipl_diag *d)
{
    ipl_ixcur *ic = NULL;
    ipl_evcur *ec = NULL;
    ipl_ixent e;
    uint8_t cur[16];
    int have = 0, err;
    uint32_t servers[2] = {0, 0};
    int64_t dup_ts = 0;
    /* per address: holder (mac or duid id), whether a second client opened over it */
    uint32_t holder = 0, intruder = 0;
    int64_t holder_last = 0;
    int held = 0, static_reported = 0, two_reported = 0;
    const ipl_asm_obj *aobj = NULL;
    size_t ai = ipl_asm__lower(v, IPL_ASM_ADDRESS, r->space, r->lo);
    char ipt[IPL_IP_TEXT], det[512], tb[IPL_TIME_BUF];
    if ((err = ipl_ixcur_open(t, IPL_IX_IP, r->lo, r->hi, from, to, 0, &ic, d)) ||
        (err = ipl_evcur_open(t, &ec, d)))
        goto out;
    while ((err = ipl_ixcur_next(ic, &e, d)) == IPL_OK) {
        if (!have || memcmp(cur, e.key, 16) != 0) {
            memcpy(cur, e.key, 16);
            have = 1;
            holder = intruder = 0;
            held = static_reported = two_reported = 0;
            ipl_ip_format(cur, ipt, sizeof ipt);
            const ipl_asm_obj *o;
            aobj = NULL;
            while ((o = ipl_asm_at(v, IPL_ASM_ADDRESS, ai)) && strcmp(o->space, r->space) == 0 &&
                   memcmp(o->lo, cur, 16) < 0)
                ai++;
            if (o && strcmp(o->space, r->space) == 0 && memcmp(o->lo, cur, 16) == 0)
                aobj = o;
        }
        ipl_rawev ev;
        if ((err = ipl_evcur_get(ec, e.seq, &ev, d)) == IPL_ENOTFOUND)
            continue;
        if (err)
            goto out;
        ipl_time_format(ev.ts, tb, sizeof tb);
        if (ev.kind == IPL_K_LEASE_CONFLICT) {
            const char *srv = ev.server ? ipl_dict_str(t, ev.server) : NULL;
            snprintf(det, sizeof det, "DHCP server %s reported the address in use at %s",
                     srv ? srv : "?", tb);
            if ((err = emit(fn, ctx, "dhcp.conflict", r->space, ipt, det, ev.ts)))
                goto out;
            continue;
        }
        int opens = ipl_kind_opens_lease(ev.kind), closes = ipl_kind_closes_lease(ev.kind);
        if (!opens && !closes)
            continue;
        if (opens && ev.server) {
            if (!servers[0])
                servers[0] = ev.server;
            else if (ev.server != servers[0] && !servers[1]) {
                servers[1] = ev.server;
                dup_ts = ev.ts;
            }
        }
        if (opens && aobj && is_static(aobj) && !static_reported) {
            const char *m = ev.mac ? ipl_dict_str(t, ev.mac) : NULL;
            snprintf(det, sizeof det, "recorded %s in space '%s' but leased by DHCP to %s at %s",
                     ipl_asm_obj_str(aobj, "assignment"), r->space, m ? m : "?", tb);
            static_reported = 1;
            if ((err = emit(fn, ctx, "static.leased", r->space, ipt, det, ev.ts)))
                goto out;
        }
        uint32_t client = ev.mac ? ev.mac : ev.duid;
        if (closes) {
            held = 0;
            holder = intruder = 0;
            continue;
        }
        if (!held || !client || client == holder) {
            if (!held || client != holder)
                intruder = 0;
            held = 1;
            holder = client;
            holder_last = ev.ts;
            continue;
        }
        /* another client opens while `holder` holds it (no close logged). Logs without expiry
         * events (ISC) make this normal once the holder's lease ran out, so it counts only when
         * both clients are active within IPL_ASM_TWO_MACS_WINDOW of each other, twice: B opens
         * shortly after A's last renew, and A opens again shortly after B's. */
        if (intruder && client == intruder && ev.ts - holder_last <= IPL_ASM_TWO_MACS_WINDOW) {
            if (!two_reported) {
                const char *m1 = ipl_dict_str(t, holder), *m2 = ipl_dict_str(t, client);
                snprintf(det, sizeof det, "held by %s and %s at the same time (seen at %s)",
                         m1 ? m1 : "?", m2 ? m2 : "?", tb);
                two_reported = 1;
                if ((err = emit(fn, ctx, "ip.two-macs", r->space, ipt, det, ev.ts)))
                    goto out;
            }
        }
        intruder = ev.ts - holder_last <= IPL_ASM_TWO_MACS_WINDOW ? holder : 0;
        holder = client;
        holder_last = ev.ts;
    }
    if (err == IPL_ENOTFOUND)
        err = IPL_OK;
    if (!err && servers[1]) {
        const char *s1 = ipl_dict_str(t, servers[0]), *s2 = ipl_dict_str(t, servers[1]);
        char tb2[IPL_TIME_BUF];
        ipl_time_format(dup_ts, tb2, sizeof tb2);
        snprintf(det, sizeof det, "leases from two DHCP servers: %s and %s (second seen at %s)",
                 s1 ? s1 : "?", s2 ? s2 : "?", tb2);
        err = emit(fn, ctx, "scope.duplicate", r->space, r->id, det, dup_ts);
    }
out:
    ipl_evcur_close(ec);
    ipl_ixcur_close(ic);
    return err;
}

int ipl_asm_conflicts(ipl_rtxn *t, const ipl_asm_view *v, int64_t from, int64_t to,
                      ipl_asm_conflict_fn fn, void *ctx, ipl_diag *d)
{
    int err = IPL_OK;
    size_t n = ipl_asm_count(v, IPL_ASM_RANGE);
    char det[400];
    /* ranges come in (space, start) order: a range overlaps an earlier one of its space exactly
     * when it starts at or before the furthest end reached so far (not only its neighbour's:
     * 1-100 overlaps 30-40 even with 10-20 between them) */
    const ipl_asm_obj *reach = NULL;
    for (size_t i = 0; i < n; i++) {
        const ipl_asm_obj *b = ipl_asm_at(v, IPL_ASM_RANGE, i);
        if (reach && strcmp(reach->space, b->space) != 0)
            reach = NULL;
        if (reach && memcmp(b->lo, reach->hi, 16) <= 0) {
            snprintf(det, sizeof det, "ranges '%s' and '%s' overlap", reach->id, b->id);
            if ((err = emit(fn, ctx, "range.overlap", reach->space, b->id, det, 0)))
                return err;
        }
        if (!reach || memcmp(b->hi, reach->hi, 16) > 0)
            reach = b;
    }
    for (size_t i = 0; i < n; i++)
        if ((err = scan_range(t, v, ipl_asm_at(v, IPL_ASM_RANGE, i), from, to, fn, ctx, d)))
            return err;
    return IPL_OK;
}

/* ---- recording conflicts as events ---- */

typedef struct rec_item {
    char key[65];
    char *val;                 /* "type\tspace\tobject\tts\tdetail" */
    int64_t ts;
} rec_item;

typedef struct rec_list {
    rec_item *v;
    size_t n, cap;
    int oom;
} rec_list;

static int rec_add(rec_list *l, const char *key, const char *val, int64_t ts)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        rec_item *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return IPL_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    rec_item *it = &l->v[l->n];
    snprintf(it->key, sizeof it->key, "%s", key);
    it->ts = ts;
    if (!(it->val = strdup(val)))
        return IPL_ENOMEM;
    l->n++;
    return IPL_OK;
}

static void rec_free(rec_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].val);
    free(l->v);
}

static void rec_key(const char *type, const char *space, const char *object, int64_t ts,
                    char hex[65])
{
    char buf[1200];
    uint8_t h[32];
    int n = snprintf(buf, sizeof buf, "%s\t%s\t%s\t%lld", type, space, object, (long long)ts);
    ipl_sha256_once(buf, n < 0 ? 0 : (size_t)n >= sizeof buf ? sizeof buf - 1 : (size_t)n, h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

static int found_fn(void *ctx, const ipl_asm_conflict *c)
{
    rec_list *l = ctx;
    char key[65], val[2048];
    rec_key(c->type, c->space, c->object, c->ts, key);
    snprintf(val, sizeof val, "%s\t%s\t%s\t%lld\t%s", c->type, c->space, c->object,
             (long long)c->ts, c->detail ? c->detail : "");
    return rec_add(l, key, val, c->ts);
}

static int known_fn(void *ctx, const char *key, const void *val, size_t n)
{
    rec_list *l = ctx;
    char buf[2048];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, val, n);
    buf[n] = '\0';
    /* the ts is the fourth field */
    const char *p = buf;
    for (int f = 0; f < 3 && p; f++)
        if ((p = strchr(p, '\t')))
            p++;
    return rec_add(l, key, buf, p ? strtoll(p, NULL, 10) : 0);
}

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const rec_item *)a)->key, ((const rec_item *)b)->key);
}

/* l sorted by key */
static int rec_has(const rec_list *l, const char *key)
{
    rec_item k;
    snprintf(k.key, sizeof k.key, "%s", key);
    return l->n && bsearch(&k, l->v, l->n, sizeof *l->v, rec_cmp) != NULL;
}

/* one asm.conflict event from a stored "type\tspace\tobject\tts\tdetail" */
static int rec_event(ipl_batch *b, const ipl_asm_actor *a, int64_t now, const char *val,
                     const char *status, ipl_diag *d)
{
    char buf[2048], msg[2400], ts[IPL_TIME_BUF] = "";
    char *f[5] = {0};
    snprintf(buf, sizeof buf, "%s", val);
    char *p = buf;
    for (int i = 0; i < 5 && p; i++) {
        f[i] = p;
        if ((p = strchr(p, '\t')))
            *p++ = '\0';
    }
    if (!f[4])
        return ipl_diag_set(d, IPL_ECORRUPT, "asm.conflict state '%.80s' is damaged", val);
    int64_t when = strtoll(f[3], NULL, 10);
    if (when)
        ipl_time_format(when, ts, sizeof ts);
    snprintf(msg, sizeof msg, "%s %s in space '%s': %s%s%s%s", f[0],
             strcmp(status, "open") == 0 ? "found" : "resolved", f[1], f[4], ts[0] ? " (at " : "",
             ts, ts[0] ? ")" : "");
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = now;
    ev.kind = IPL_K_ASM_CONFLICT;
    ev.user = a->principal;
    ev.server = a->host;
    ev.source = IPL_ASM_SOURCE;
    size_t n = strcspn(f[2], " -,");
    if (ipl_ip_parse(f[2], n, ev.ip) == IPL_OK)
        ev.has_ip = 1;
    int err;
    if ((err = ipl_event_add_attr(&ev, IPL_A_OBJECT, f[0], strlen(f[0]))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_STATUS, status, strlen(status))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg))))
        return ipl_diag_set(d, err, "conflict event: attribute too long");
    return ipl_batch_add(b, &ev, d);
}

int ipl_asm_conflicts_record(ipl_store *st, const ipl_asm_actor *a, int64_t from, int64_t to,
                             uint64_t *raised, uint64_t *resolved, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    rec_list found = {0}, known = {0};
    int err;
    int64_t now = ipl_asm_now(a);
    *raised = *resolved = 0;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)))
        goto out;
    if ((err = ipl_asm_conflicts(t, v, from, to, found_fn, &found, d)))
        goto out;
    if ((err = ipl_store_kv_scan(t, "asm.conflict", known_fn, &known, d)))
        goto out;
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if (found.n)
        qsort(found.v, found.n, sizeof *found.v, rec_cmp);
    if (known.n)
        qsort(known.v, known.n, sizeof *known.v, rec_cmp);
    for (size_t i = 0; i < found.n; i++) {
        if (rec_has(&known, found.v[i].key) || (i && strcmp(found.v[i - 1].key, found.v[i].key) == 0))
            continue;
        if ((err = rec_event(b, a, now, found.v[i].val, "open", d)) ||
            (err = ipl_batch_kv_put(b, "asm.conflict", found.v[i].key, found.v[i].val,
                                    strlen(found.v[i].val), d)))
            goto out;
        (*raised)++;
    }
    for (size_t i = 0; i < known.n; i++) {
        if (known.v[i].ts != 0 || rec_has(&found, known.v[i].key))
            continue;                   /* history never resolves; still there */
        if ((err = rec_event(b, a, now, known.v[i].val, "resolved", d)) ||
            (err = ipl_batch_kv_del(b, "asm.conflict", known.v[i].key, d)))
            goto out;
        (*resolved)++;
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (ipl_batch_events(b))
        err = ipl_store_commit(st, b, NULL, d);
out:
    if (err == IPL_ENOMEM && !d->msg[0])
        ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    rec_free(&found);
    rec_free(&known);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}
