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
#include "engine/tz.h"

#include <stdio.h>
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
