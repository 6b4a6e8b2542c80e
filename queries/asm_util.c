/* queries/asm_util.c — utilization, trends and threshold alerts, computed from the lease stream.
 *
 * The holding rule is `who`'s (queries/lookup.h, docs/design/forensics.md): an address is held at
 * T when the latest lease-opening or lease-closing event at or before T (in (ts, seq) order) is an
 * opening. Instead of one `who` per address, one index scan per range:
 *   - at an instant: a REVERSE scan of the ip index over [lo, hi] up to T gives each address's
 *     entries newest first; the first opening/closing event decides the address and the rest of
 *     its entries are skipped without reading their events (entries carry the key);
 *   - a trend: one FORWARD scan up to the end of the period; each state change of an address adds
 *     +1/-1 at the first step instant it affects; a prefix sum gives the series.
 * Static/reserved/in-use address objects count as used (once: a leased static address counts once).
 */
#include "queries/asm_int.h"

#include "engine/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ipl_asm_held(ipl_rtxn *t, const uint8_t lo[16], const uint8_t hi[16], int64_t at,
                 ipl_asm_held_fn fn, void *ctx, uint64_t *held, ipl_diag *d)
{
    ipl_ixcur *ic = NULL;
    ipl_ixent e;
    uint8_t cur[16];
    int decided = 0, have = 0, err;
    *held = 0;
    if ((err = ipl_ixcur_open(t, IPL_IX_IP, lo, hi, INT64_MIN, at, 1, &ic, d)))
        goto out;
    while ((err = ipl_ixcur_next(ic, &e, d)) == IPL_OK) {
        if (!have || memcmp(cur, e.key, 16) != 0) {
            memcpy(cur, e.key, 16);
            have = 1;
            decided = 0;
        }
        if (decided)
            continue;
        /* the entry's class is the event's lease role: no event read */
        if (e.cls == IPL_IXC_OPEN) {
            decided = 1;
            (*held)++;
            if (fn && (err = fn(ctx, cur)))
                goto out;
        } else if (e.cls == IPL_IXC_CLOSE) {
            decided = 1;
        }
    }
    if (err == IPL_ENOTFOUND)
        err = IPL_OK;
out:
    ipl_ixcur_close(ic);
    return err;
}

static int obj_uses(const ipl_asm_obj *o)
{
    const char *st = ipl_asm_obj_str(o, "state"), *as = ipl_asm_obj_str(o, "assignment");
    if (st && strcmp(st, "inactive") == 0)
        return 0;
    if (st)
        return 1;          /* in-use, reserved */
    return as && strcmp(as, "dynamic") != 0;
}

typedef struct mark_ctx {
    const ipl_asm_view *v;
    const char *space;
    uint64_t    both;    /* leased addresses that are also counted as address objects */
} mark_ctx;

static int mark_one(void *c, const uint8_t ip[16])
{
    mark_ctx *m = c;
    size_t i = ipl_asm__lower(m->v, IPL_ASM_ADDRESS, m->space, ip);
    const ipl_asm_obj *o = ipl_asm_at(m->v, IPL_ASM_ADDRESS, i);
    if (o && strcmp(o->space, m->space) == 0 && memcmp(o->lo, ip, 16) == 0 && obj_uses(o))
        m->both++;
    return 0;
}

static int range_util(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *r, int64_t at,
                      ipl_asm_util *u, ipl_diag *d)
{
    uint64_t held = 0, objs = 0;
    mark_ctx m = {v, r->space, 0};
    int err;
    size_t nobj = ipl_asm_count(v, IPL_ASM_ADDRESS);
    size_t i = ipl_asm__lower(v, IPL_ASM_ADDRESS, r->space, r->lo);
    size_t first = i;
    for (; i < nobj; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, IPL_ASM_ADDRESS, i);
        if (strcmp(o->space, r->space) != 0 || memcmp(o->lo, r->hi, 16) > 0)
            break;
        objs += (uint64_t)obj_uses(o);
    }
    if ((err = ipl_asm_held(t, r->lo, r->hi, at, i > first && objs ? mark_one : NULL, &m, &held,
                            d)))
        return ipl_diag_prefix(d, "range '%s'", r->id);
    /* ranges of a non-default space share the ip index with every space: the lease stream has no
     * space, so a virtual space's range counts the leases of its addresses (VMM reports them) */
    u->size += ipl_asm__size(r->lo, r->hi);
    u->leased += held;
    u->used += (double)(held + objs - m.both);
    return IPL_OK;
}

int ipl_asm_utilization(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *o, int64_t at,
                        ipl_asm_util *u, ipl_diag *d)
{
    int err = IPL_OK;
    memset(u, 0, sizeof *u);
    if (o->type == IPL_ASM_RANGE)
        err = range_util(t, v, o, at, u, d);
    else if (o->type == IPL_ASM_SUBNET || o->type == IPL_ASM_BLOCK) {
        ipl_asm_type ct = o->type == IPL_ASM_SUBNET ? IPL_ASM_RANGE : IPL_ASM_SUBNET;
        size_t n = ipl_asm_count(v, ct);
        for (size_t i = ipl_asm__lower(v, ct, o->space, o->lo); i < n && !err; i++) {
            const ipl_asm_obj *c = ipl_asm_at(v, ct, i);
            if (strcmp(c->space, o->space) != 0 || memcmp(c->lo, o->hi, 16) > 0)
                break;
            if (memcmp(c->hi, o->hi, 16) > 0)
                continue;
            if (ct == IPL_ASM_RANGE)
                err = range_util(t, v, c, at, u, d);
            else {
                ipl_asm_util su;
                if (!(err = ipl_asm_utilization(t, v, c, at, &su, d))) {
                    u->size += su.size;
                    u->used += su.used;
                    u->leased += su.leased;
                }
            }
        }
    } else
        return ipl_diag_set(d, IPL_EINVAL, "%s '%s': utilization is per range, subnet or block",
                            ipl_asm_type_name(o->type), o->id);
    u->pct = u->size > 0 ? 100.0 * u->used / u->size : 0;
    return err;
}

int ipl_asm_trend(ipl_rtxn *t, const uint8_t lo[16], const uint8_t hi[16], int64_t since,
                  int64_t until, int64_t step, uint64_t **counts, size_t *n, ipl_diag *d)
{
    ipl_ixcur *ic = NULL;
    int64_t *delta = NULL;
    uint64_t *res = NULL;
    ipl_ixent e;
    uint8_t cur[16];
    int state = 0, have = 0, err = IPL_OK;
    *counts = NULL;
    *n = 0;
    if (step <= 0 || until < since)
        return ipl_diag_set(d, IPL_EINVAL, "trend: step must be positive and since <= until");
    uint64_t np = (uint64_t)((until - since) / step) + 1;
    if (np > IPL_ASM_TREND_STEPS)
        return ipl_diag_set(d, IPL_ELIMIT, "trend: %llu points (at most %d): use a larger step",
                            (unsigned long long)np, IPL_ASM_TREND_STEPS);
    delta = calloc(np + 1, sizeof *delta);
    res = calloc(np, sizeof *res);
    if (!delta || !res) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_ixcur_open(t, IPL_IX_IP, lo, hi, INT64_MIN, until, 0, &ic, d)))
        goto out;
    while ((err = ipl_ixcur_next(ic, &e, d)) == IPL_OK) {
        if (!have || memcmp(cur, e.key, 16) != 0) {
            memcpy(cur, e.key, 16);
            have = 1;
            state = 0;
        }
        int ns = e.cls == IPL_IXC_OPEN ? 1 : e.cls == IPL_IXC_CLOSE ? 0 : state;
        if (ns == state)
            continue;
        state = ns;
        /* the first step instant t_k = since + k*step with t_k >= ts */
        uint64_t k = e.ts <= since ? 0 : (uint64_t)((e.ts - since + step - 1) / step);
        if (k < np)
            delta[k] += ns ? 1 : -1;
    }
    if (err == IPL_ENOTFOUND)
        err = IPL_OK;
    if (err)
        goto out;
    int64_t acc = 0;
    for (uint64_t k = 0; k < np; k++) {
        acc += delta[k];
        res[k] = acc > 0 ? (uint64_t)acc : 0;
    }
    *counts = res;
    *n = (size_t)np;
    res = NULL;
out:
    free(delta);
    free(res);
    ipl_ixcur_close(ic);
    return err;
}

/* ---- threshold alerts ----
 * kv "asm.alert": "<type>|<object key>" -> "low" | "normal" | "high" (the last state alerted).
 * An object starts "normal"; an alert event is written when its state changes. */

static const char *band(double pct, double low, double high)
{
    return pct < low ? "low" : pct > high ? "high" : "normal";
}

int ipl_asm_alerts(ipl_store *st, const ipl_asm_actor *a, int64_t at, uint64_t *alerts,
                   ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    int err;
    int64_t now = ipl_asm_now(a);
    *alerts = 0;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)) || (err = ipl_batch_new(&b)))
        goto out;
    static const ipl_asm_type types[] = {IPL_ASM_RANGE, IPL_ASM_SUBNET, IPL_ASM_BLOCK};
    for (size_t k = 0; k < 3; k++) {
        size_t n = ipl_asm_count(v, types[k]);
        for (size_t i = 0; i < n; i++) {
            const ipl_asm_obj *o = ipl_asm_at(v, types[k], i);
            ipl_asm_util u;
            double low, high;
            char key[260], msg[400], pct[32];
            const void *val;
            size_t vn;
            if ((err = ipl_asm_utilization(t, v, o, at, &u, d)))
                goto out;
            if (u.size <= 0)
                continue;
            ipl_asm_thresholds(o, &low, &high);
            const char *now_band = band(u.pct, low, high), *was = "normal";
            snprintf(key, sizeof key, "%s|%s", ipl_asm_type_name(o->type), o->key);
            if (ipl_store_kv_get(t, "asm.alert", key, &val, &vn) == IPL_OK) {
                if (vn == 3 && memcmp(val, "low", 3) == 0)
                    was = "low";
                else if (vn == 4 && memcmp(val, "high", 4) == 0)
                    was = "high";
            }
            if (strcmp(was, now_band) == 0)
                continue;
            ipl_event ev;
            ipl_event_reset(&ev);
            ev.ts = now;
            ev.kind = IPL_K_ALERT;
            ev.user = a->principal;
            ev.server = a->host;
            ev.source = IPL_ASM_SOURCE;
            ev.has_ip = 1;
            memcpy(ev.ip, o->lo, 16);
            snprintf(pct, sizeof pct, "%.1f", u.pct);
            snprintf(msg, sizeof msg,
                     "%s '%s' in space '%s': utilization %.1f%% (%.0f of %.0f) is %s "
                     "(thresholds %g%%/%g%%, was %s)",
                     ipl_asm_type_name(o->type), o->id, o->space, u.pct, u.used, u.size,
                     strcmp(now_band, "normal") == 0 ? "back in range"
                     : strcmp(now_band, "low") == 0  ? "under the low threshold"
                                                     : "over the high threshold",
                     low, high, was);
            char objn[32];
            snprintf(objn, sizeof objn, "asm.%s", ipl_asm_type_name(o->type));
            if ((err = ipl_event_add_attr(&ev, IPL_A_OBJECT, objn, strlen(objn))) ||
                (err = ipl_event_add_attr(&ev, IPL_A_STATUS, now_band, strlen(now_band))) ||
                (err = ipl_event_add_attr(&ev, IPL_A_COUNT, pct, strlen(pct))) ||
                (err = ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg))) ||
                (err = ipl_batch_add(b, &ev, d)) ||
                (err = ipl_batch_kv_put(b, "asm.alert", key, now_band, strlen(now_band), d)))
                goto out;
            (*alerts)++;
        }
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (ipl_batch_events(b))
        err = ipl_store_commit(st, b, NULL, d);
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}
