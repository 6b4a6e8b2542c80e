/* queries/asm_util.c — utilization, trends and threshold alerts, computed from the lease stream.
 *
 * The holding rule is `who`'s (queries/lookup.h, docs/design/forensics.md): an address is held at
 * T when the latest lease-opening or lease-closing event at or before T (in (ts, seq) order) is an
 * opening. Instead of one `who` per address:
 *   - at an instant, ranges of up to 2^20 addresses: a bitmap of held addresses per window
 *     (engine ipl_ix_held_bits: one forward walk of each week's key range, entries applied in
 *     order so the latest opening/closing wins), a range's count is a popcount; the utilization
 *     cursor packs neighbouring ranges into one window (<= 65,536 addresses, gaps <= 4,096), so
 *     40,000 /24 ranges cost ~160 windows x the weeks of history, not a merged cursor per range;
 *   - larger ranges (IPv6): ipl_asm_held, a REVERSE merged scan of the ip index over [lo, hi] up
 *     to T: each address's entries newest first, the first opening/closing event decides and the
 *     rest of its entries are skipped (entries carry the key and the lease class);
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

/* ---- the utilization cursor ----
 * Ranges of at most IPL_IX_HELD_MAX addresses are counted from a window: the held bits of
 * [wlo, wlo + wn - 1] (ipl_ix_held_bits: one forward walk per week), built from the range asked
 * and, while the window stays within PACK_WIN addresses and the gaps within PACK_GAP, the next
 * ranges of the view in the same space (up to `bound`), so the ranges asked in view order share
 * one walk per week and window instead of a merged cursor each. Larger ranges (IPv6) fall back
 * to ipl_asm_held's merged reverse scan. */
#define PACK_WIN 65536u
#define PACK_GAP 4096u

struct ipl_asm_utilcur {
    ipl_rtxn           *t;
    const ipl_asm_view *v;
    int64_t             at;
    uint8_t             bound[16];   /* pack no range ending above this */
    int                 valid;       /* the window below is built */
    uint8_t             wlo[16];
    uint32_t            wn;
    uint64_t           *bits;
    size_t              nbits;       /* words allocated */
};

/* The window for range r (r's size <= IPL_IX_HELD_MAX). */
static int window_for(ipl_asm_utilcur *c, const ipl_asm_obj *r, uint64_t size, ipl_diag *d)
{
    if (c->valid && memcmp(r->lo, c->wlo, 16) >= 0 &&
        ipl_asm__span(c->wlo, r->hi, c->wn) <= c->wn)
        return IPL_OK;
    uint64_t n = size;
    const ipl_asm_obj *prev = r;
    size_t nr = ipl_asm_count(c->v, IPL_ASM_RANGE);
    for (size_t j = ipl_asm__lower(c->v, IPL_ASM_RANGE, r->space, r->lo); n < PACK_WIN && j < nr;
         j++) {
        const ipl_asm_obj *q = ipl_asm_at(c->v, IPL_ASM_RANGE, j);
        if (strcmp(q->space, r->space) != 0)
            break;
        if (memcmp(q->lo, prev->hi, 16) <= 0)        /* r itself (or before it) */
            continue;
        if (memcmp(q->hi, c->bound, 16) > 0 || ipl_asm__span(prev->hi, q->lo, PACK_GAP) > PACK_GAP)
            break;
        uint64_t w = ipl_asm__span(r->lo, q->hi, PACK_WIN);
        if (w > PACK_WIN)
            break;
        n = w;
        prev = q;
    }
    size_t words = (size_t)(n + 63) / 64;
    if (words > c->nbits) {
        uint64_t *nb = realloc(c->bits, words * sizeof *nb);
        if (!nb)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        c->bits = nb;
        c->nbits = words;
    }
    c->valid = 0;
    memcpy(c->wlo, r->lo, 16);
    c->wn = (uint32_t)n;
    int err = ipl_ix_held_bits(c->t, c->wlo, c->wn, c->at, c->bits, d);
    c->valid = err == IPL_OK;
    return err;
}

static int range_util(ipl_asm_utilcur *c, const ipl_asm_obj *r, ipl_asm_util *u, ipl_diag *d)
{
    const ipl_asm_view *v = c->v;
    uint64_t held = 0, objs = 0, both = 0;
    uint64_t size = ipl_asm__span(r->lo, r->hi, IPL_IX_HELD_MAX);
    int fast = size <= IPL_IX_HELD_MAX, err;
    if (fast && (err = window_for(c, r, size, d)))
        return ipl_diag_prefix(d, "range '%s'", r->id);
    size_t nobj = ipl_asm_count(v, IPL_ASM_ADDRESS);
    size_t i = ipl_asm__lower(v, IPL_ASM_ADDRESS, r->space, r->lo);
    size_t first = i;
    for (; i < nobj; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, IPL_ASM_ADDRESS, i);
        if (strcmp(o->space, r->space) != 0 || memcmp(o->lo, r->hi, 16) > 0)
            break;
        int uses = obj_uses(o);
        objs += (uint64_t)uses;
        if (fast && uses && ipl_asm__bit(c->bits, ipl_asm__off(c->wlo, o->lo)))
            both++;
    }
    if (fast) {
        uint64_t a = ipl_asm__off(c->wlo, r->lo);
        held = ipl_asm__popcount(c->bits, a, a + size - 1);
    } else {
        mark_ctx m = {v, r->space, 0};
        if ((err = ipl_asm_held(c->t, r->lo, r->hi, c->at, i > first && objs ? mark_one : NULL,
                                &m, &held, d)))
            return ipl_diag_prefix(d, "range '%s'", r->id);
        both = m.both;
    }
    /* ranges of a non-default space share the ip index with every space: the lease stream has no
     * space, so a virtual space's range counts the leases of its addresses (VMM reports them) */
    u->size += ipl_asm__size(r->lo, r->hi);
    u->leased += held;
    u->used += (double)(held + objs - both);
    return IPL_OK;
}

int ipl_asm_utilcur_open(ipl_rtxn *t, const ipl_asm_view *v, int64_t at, ipl_asm_utilcur **out,
                         ipl_diag *d)
{
    ipl_asm_utilcur *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    c->t = t;
    c->v = v;
    c->at = at;
    memset(c->bound, 0xff, 16);
    *out = c;
    return IPL_OK;
}

void ipl_asm_utilcur_close(ipl_asm_utilcur *c)
{
    if (!c)
        return;
    free(c->bits);
    free(c);
}

int ipl_asm_utilcur_get(ipl_asm_utilcur *c, const ipl_asm_obj *o, ipl_asm_util *u, ipl_diag *d)
{
    const ipl_asm_view *v = c->v;
    int err = IPL_OK;
    memset(u, 0, sizeof *u);
    if (o->type == IPL_ASM_RANGE)
        err = range_util(c, o, u, d);
    else if (o->type == IPL_ASM_SUBNET || o->type == IPL_ASM_BLOCK) {
        ipl_asm_type ct = o->type == IPL_ASM_SUBNET ? IPL_ASM_RANGE : IPL_ASM_SUBNET;
        size_t n = ipl_asm_count(v, ct);
        for (size_t i = ipl_asm__lower(v, ct, o->space, o->lo); i < n && !err; i++) {
            const ipl_asm_obj *ch = ipl_asm_at(v, ct, i);
            if (strcmp(ch->space, o->space) != 0 || memcmp(ch->lo, o->hi, 16) > 0)
                break;
            if (memcmp(ch->hi, o->hi, 16) > 0)
                continue;
            if (ct == IPL_ASM_RANGE)
                err = range_util(c, ch, u, d);
            else {
                ipl_asm_util su;
                if (!(err = ipl_asm_utilcur_get(c, ch, &su, d))) {
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

int ipl_asm_utilization(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *o, int64_t at,
                        ipl_asm_util *u, ipl_diag *d)
{
    ipl_asm_utilcur *c;
    int err = ipl_asm_utilcur_open(t, v, at, &c, d);
    if (err) {
        memset(u, 0, sizeof *u);
        return err;
    }
    memcpy(c->bound, o->hi, 16);     /* one object: pack only the ranges inside it */
    err = ipl_asm_utilcur_get(c, o, u, d);
    ipl_asm_utilcur_close(c);
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
    ipl_asm_utilcur *uc = NULL;
    int err;
    int64_t now = ipl_asm_now(a);
    *alerts = 0;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)) || (err = ipl_batch_new(&b)) ||
        (err = ipl_asm_utilcur_open(t, v, at, &uc, d)))
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
            if ((err = ipl_asm_utilcur_get(uc, o, &u, d)))
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
    ipl_asm_utilcur_close(uc);
    uc = NULL;
    ipl_rtxn_end(t);
    t = NULL;
    if (ipl_batch_events(b))
        err = ipl_store_commit(st, b, NULL, d);
out:
    ipl_asm_utilcur_close(uc);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}
