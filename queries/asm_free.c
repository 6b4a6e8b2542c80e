/* queries/asm_free.c — finding free space: addresses in a range, subnets in a block, ranges in a
 * subnet; atomic allocation; reclaim candidates.
 *
 * The used set of a range is three sorted sets merged while walking the range upwards:
 *   held     addresses leased at T: a bitmap per window of 65,536 addresses (ipl_ix_held_bits:
 *            one forward walk of each week's key range), whose clear bits are the candidates
 *   objects  address objects of the range's space that use the address (state in-use/reserved,
 *            or assignment static/reserved/vip) — the view keeps them in address order
 *   excluded the range's exclusion spans (sorted here)
 * Allocation holds the asm lock (asm_model.c) from the snapshot it searches to the commit of the
 * reservations, so two allocators, in this process or another, never return the same address.
 */
#include "queries/asm_int.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

static int obj_uses(const ipl_asm_obj *o)
{
    const char *st = ipl_asm_obj_str(o, "state"), *as = ipl_asm_obj_str(o, "assignment");
    if (st && strcmp(st, "inactive") == 0)
        return 0;
    if (st)
        return 1;
    return as && strcmp(as, "dynamic") != 0;
}

typedef struct span { uint8_t lo[16], hi[16]; } span;

static int span_cmp(const void *a, const void *b)
{
    return memcmp(((const span *)a)->lo, ((const span *)b)->lo, 16);
}

#define FREE_WIN 65536u     /* addresses per held-bits window */

int ipl_asm_free_addresses(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_obj *r,
                           int64_t at, size_t n, uint8_t (**ips)[16], size_t *found, ipl_diag *d)
{
    span ex[256];
    size_t nex = 0, oi, ei = 0;
    uint8_t (*res)[16] = NULL, wlo[16], c[16], next[16];
    uint64_t *bits = NULL;
    int err = IPL_OK;
    *ips = NULL;
    *found = 0;
    if (r->type != IPL_ASM_RANGE)
        return ipl_diag_set(d, IPL_EINVAL, "%s '%s' is not a range", ipl_asm_type_name(r->type),
                            r->id);
    if (n == 0 || n > IPL_ASM_FREE_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "free: count must be 1-%d", IPL_ASM_FREE_MAX);
    if (!(res = malloc(n * sizeof *res)) || !(bits = malloc(FREE_WIN / 64 * sizeof *bits))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; nex < 256; k++) {
        const char *s = ipl_asm__obj_list(r, "exclude", k);
        if (!s)
            break;
        if (ipl_asm__parse_span(s, ex[nex].lo, ex[nex].hi) == IPL_OK)   /* validated on write */
            nex++;
    }
    qsort(ex, nex, sizeof *ex, span_cmp);
    oi = ipl_asm__lower(v, IPL_ASM_ADDRESS, r->space, r->lo);
    memcpy(wlo, r->lo, 16);
    /* window by window: the held bits of [wlo, wlo + wn - 1], then the clear bits in order,
     * each checked against the exclusions and the address objects (both sorted) */
    for (;;) {
        uint32_t wn = (uint32_t)ipl_asm__span(wlo, r->hi, FREE_WIN);
        int last = wn <= FREE_WIN, jump = 0;
        if (!last)
            wn = FREE_WIN;
        if ((err = ipl_ix_held_bits(t, wlo, wn, at, bits, d))) {
            ipl_diag_prefix(d, "range '%s'", r->id);
            goto out;
        }
        for (uint64_t i = ipl_asm__first_clear(bits, 0, wn); i < wn;
             i = ipl_asm__first_clear(bits, i, wn)) {
            ipl_asm__add(c, wlo, i);
            while (ei < nex && memcmp(ex[ei].hi, c, 16) < 0)
                ei++;
            if (ei < nex && memcmp(ex[ei].lo, c, 16) <= 0) {
                /* jump past the exclusion (it may end beyond this window, or the range) */
                if (memcmp(ex[ei].hi, r->hi, 16) >= 0)
                    goto done;
                uint64_t sk = ipl_asm__span(wlo, ex[ei].hi, wn);
                if (sk >= wn) {
                    jump = 1;           /* the next window starts after the exclusion */
                    ipl_asm__add(next, ex[ei].hi, 1);
                    break;
                }
                i = sk;
                continue;
            }
            const ipl_asm_obj *o;
            while ((o = ipl_asm_at(v, IPL_ASM_ADDRESS, oi)) && strcmp(o->space, r->space) == 0 &&
                   memcmp(o->lo, c, 16) < 0)
                oi++;
            i++;
            if (o && strcmp(o->space, r->space) == 0 && memcmp(o->lo, c, 16) == 0 && obj_uses(o))
                continue;
            memcpy(res[*found], c, 16);
            if (++*found == n)
                goto done;
        }
        if (jump)
            memcpy(wlo, next, 16);
        else if (last)
            break;
        else
            ipl_asm__add(wlo, wlo, wn);
    }
done:
    *ips = res;
    res = NULL;
out:
    free(bits);
    free(res);
    return err;
}

/* Sets the low `hostbits` bits of ip to 1 (or 0). */
static void set_host(uint8_t ip[16], int hostbits, int ones)
{
    for (int i = 15; i >= 0 && hostbits > 0; i--) {
        int k = hostbits >= 8 ? 8 : hostbits;
        uint8_t m = (uint8_t)((1u << k) - 1);
        ip[i] = ones ? (uint8_t)(ip[i] | m) : (uint8_t)(ip[i] & ~m);
        hostbits -= k;
    }
}

static int grow(uint8_t (**l)[2][16], size_t *cap, size_t n)
{
    if (n < *cap)
        return IPL_OK;
    size_t nc = *cap ? *cap * 2 : 64;
    uint8_t (*nl)[2][16] = realloc(*l, nc * sizeof **l);
    if (!nl)
        return IPL_ENOMEM;
    *l = nl;
    *cap = nc;
    return IPL_OK;
}

int ipl_asm_free_subnets(const ipl_asm_view *v, const ipl_asm_obj *blk, int bits, size_t n,
                         uint8_t (**lohi)[2][16], size_t *found, ipl_diag *d)
{
    uint8_t (*res)[2][16] = NULL, c[16], e[16];
    size_t cap = 0;
    int err = IPL_OK, bits128 = blk->v4 ? bits + 96 : bits;
    *lohi = NULL;
    *found = 0;
    if (blk->type != IPL_ASM_BLOCK)
        return ipl_diag_set(d, IPL_EINVAL, "'%s' is not a block", blk->id);
    /* the block's own length from its bounds */
    int blen = 128;
    for (int i = 15; i >= 0; i--) {
        uint8_t x = (uint8_t)(blk->lo[i] ^ blk->hi[i]);
        for (int k = 0; k < 8; k++)
            if (x & (1u << k))
                blen = 128 - ((15 - i) * 8 + k + 1);
    }
    if (bits128 < blen || bits128 > 128 || bits < 0)
        return ipl_diag_set(d, IPL_EINVAL, "block '%s': /%d is not a subnet length inside it",
                            blk->id, bits);
    if (n == 0 || n > IPL_ASM_FREE_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "free: count must be 1-%d", IPL_ASM_FREE_MAX);
    size_t si = ipl_asm__lower(v, IPL_ASM_SUBNET, blk->space, blk->lo);
    memcpy(c, blk->lo, 16);
    for (uint64_t iter = 0; iter < 10000000; iter++) {
        memcpy(e, c, 16);
        set_host(e, 128 - bits128, 1);
        if (memcmp(e, blk->hi, 16) > 0)
            break;
        const ipl_asm_obj *s;
        while ((s = ipl_asm_at(v, IPL_ASM_SUBNET, si)) && strcmp(s->space, blk->space) == 0 &&
               memcmp(s->hi, c, 16) < 0)
            si++;
        if (s && strcmp(s->space, blk->space) == 0 && memcmp(s->lo, e, 16) <= 0) {
            /* overlaps subnet s: continue at the first aligned candidate after it */
            memcpy(c, s->hi, 16);
            set_host(c, 128 - bits128, 1);
            if (memcmp(c, blk->hi, 16) >= 0)
                break;
            ipl_asm__inc(c);
            continue;
        }
        if ((err = grow(&res, &cap, *found)))
            goto out;
        memcpy(res[*found][0], c, 16);
        memcpy(res[*found][1], e, 16);
        if (++*found == n || memcmp(e, blk->hi, 16) == 0)
            break;
        memcpy(c, e, 16);
        ipl_asm__inc(c);
    }
    *lohi = res;
    res = NULL;
out:
    free(res);
    return err ? ipl_diag_set(d, err, "out of memory") : IPL_OK;
}

int ipl_asm_free_ranges(const ipl_asm_view *v, const ipl_asm_obj *sn, uint64_t count, size_t n,
                        uint8_t (**lohi)[2][16], size_t *found, ipl_diag *d)
{
    uint8_t (*res)[2][16] = NULL, c[16], top[16], e[16];
    size_t cap = 0;
    int err = IPL_OK;
    *lohi = NULL;
    *found = 0;
    if (sn->type != IPL_ASM_SUBNET)
        return ipl_diag_set(d, IPL_EINVAL, "'%s' is not a subnet", sn->id);
    if (count == 0 || n == 0 || n > IPL_ASM_FREE_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "free: size and count must be positive (count <= %d)",
                            IPL_ASM_FREE_MAX);
    memcpy(c, sn->lo, 16);
    memcpy(top, sn->hi, 16);
    if (sn->v4 && ipl_asm__size(sn->lo, sn->hi) > 2) {   /* skip network and broadcast */
        ipl_asm__inc(c);
        ipl_asm__dec(top);
    }
    size_t ri = ipl_asm__lower(v, IPL_ASM_RANGE, sn->space, sn->lo);
    while (*found < n && memcmp(c, top, 16) <= 0) {
        const ipl_asm_obj *r;
        while ((r = ipl_asm_at(v, IPL_ASM_RANGE, ri)) && strcmp(r->space, sn->space) == 0 &&
               memcmp(r->hi, c, 16) < 0)
            ri++;
        uint8_t gap_hi[16];
        memcpy(gap_hi, top, 16);
        int blocked = 0;
        if (r && strcmp(r->space, sn->space) == 0 && memcmp(r->lo, top, 16) <= 0) {
            if (memcmp(r->lo, c, 16) <= 0)
                blocked = 1;
            else {
                memcpy(gap_hi, r->lo, 16);
                ipl_asm__dec(gap_hi);
            }
        }
        if (!blocked && ipl_asm__size(c, gap_hi) >= (double)count) {
            memcpy(e, c, 16);
            uint64_t k = count - 1;
            for (int i = 15; i >= 0 && k; i--) {   /* e = c + count - 1 */
                unsigned s = e[i] + (unsigned)(k & 0xff);
                e[i] = (uint8_t)s;
                k = (k >> 8) + (s >> 8);
            }
            if ((err = grow(&res, &cap, *found)))
                goto out;
            memcpy(res[*found][0], c, 16);
            memcpy(res[*found][1], e, 16);
            (*found)++;
            if (memcmp(e, top, 16) >= 0)
                break;
            memcpy(c, e, 16);
            ipl_asm__inc(c);
            continue;
        }
        /* skip the gap (too small) and the range after it */
        if (!r || strcmp(r->space, sn->space) != 0 || memcmp(r->hi, top, 16) >= 0)
            break;
        memcpy(c, r->hi, 16);
        ipl_asm__inc(c);
    }
    *lohi = res;
    res = NULL;
out:
    free(res);
    return err ? ipl_diag_set(d, err, "out of memory") : IPL_OK;
}

int ipl_asm_allocate(ipl_store *st, const ipl_asm_actor *a, const char *space, const char *range,
                     size_t n, const char *const *fields, size_t nfields, uint8_t (**ips)[16],
                     size_t *found, uint64_t *first_seq, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    ipl_asm_change *ch = NULL;
    char (*idtxt)[IPL_IP_TEXT] = NULL;
    const char **fv = NULL;
    ipl_commit_info ci = {0};
    int err;
    *ips = NULL;
    *found = 0;
    if (first_seq)
        *first_seq = 0;
    if (nfields + 2 > IPL_ASM_FIELDS_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "allocate: too many fields");
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)))
        goto out;
    const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, space, range);
    if (!r) {
        err = ipl_diag_set(d, IPL_ENOTFOUND, "range '%s' does not exist in space '%s'", range,
                           space ? space : IPL_ASM_DEFAULT_SPACE);
        goto out;
    }
    if ((err = ipl_asm_free_addresses(t, v, r, ipl_asm_now(a), n, ips, found, d)))
        goto out;
    if (*found < n) {
        err = ipl_diag_set(d, IPL_ENOSPC, "range '%s' has only %zu free addresses, %zu asked",
                           r->id, *found, n);
        goto out;
    }
    ipl_rtxn_end(t);
    t = NULL;
    fv = calloc(nfields + 2, sizeof *fv);
    ch = calloc(*found, sizeof *ch);
    idtxt = calloc(*found, sizeof *idtxt);
    if (!fv || !ch || !idtxt) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    size_t nf = 0;
    int has_state = 0, has_assign = 0;
    for (size_t i = 0; i < nfields; i++) {
        has_state |= strncmp(fields[i], "state=", 6) == 0;
        has_assign |= strncmp(fields[i], "assignment=", 11) == 0;
        fv[nf++] = fields[i];
    }
    if (!has_state)
        fv[nf++] = "state=reserved";
    if (!has_assign)
        fv[nf++] = "assignment=static";
    for (size_t i = 0; i < *found; i++) {
        ipl_ip_format((*ips)[i], idtxt[i], sizeof idtxt[i]);
        /* an inactive address object is free: it is edited, not created */
        int act = ipl_asm_find(v, IPL_ASM_ADDRESS, r->space, idtxt[i]) ? IPL_ASM_EDIT
                                                                        : IPL_ASM_CREATE;
        ipl_asm_change c = {IPL_ASM_ADDRESS, act, r->space, idtxt[i], fv, nf, 0};
        ch[i] = c;
    }
    if ((err = ipl_batch_new(&b)) || (err = ipl_asm__apply_to(v, b, a, ch, *found, d)) ||
        (err = ipl_store_commit(st, b, &ci, d)))
        goto out;
    if (first_seq)
        *first_seq = ci.first_seq;
out:
    if (err) {
        free(*ips);
        *ips = NULL;
        *found = 0;
    }
    free(fv);
    free(ch);
    free(idtxt);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}

int ipl_asm_reclaim_list(ipl_rtxn *t, const ipl_asm_view *v, const char *space, int64_t now,
                         int days, ipl_asm_obj_fn fn, void *ctx, ipl_diag *d)
{
    int err = IPL_OK;
    int64_t cutoff = now - (int64_t)days * 86400 * 1000000;
    size_t n = ipl_asm_count(v, IPL_ASM_ADDRESS);
    ipl_evcur *ec = NULL;
    if (days < 0)
        return ipl_diag_set(d, IPL_EINVAL, "reclaim: days must be >= 0");
    if ((err = ipl_evcur_open(t, &ec, d)))
        return err;
    for (size_t i = 0; i < n; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, IPL_ASM_ADDRESS, i);
        ipl_ixcur *ic = NULL;
        ipl_ixent e;
        int64_t last = 0;
        int leased = 0, decided = 0;
        if (space && strcmp(o->space, space) != 0)
            continue;
        if ((err = ipl_ixcur_open(t, IPL_IX_IP, o->lo, o->lo, INT64_MIN, now, 1, &ic, d)))
            break;
        /* newest first: the first non-asm event is the last activity; the first lease
         * open/close decides whether it is leased now */
        while ((err = ipl_ixcur_next(ic, &e, d)) == IPL_OK) {
            ipl_rawev ev;
            if ((err = ipl_evcur_get(ec, e.seq, &ev, d)) == IPL_ENOTFOUND)
                continue;
            if (err)
                break;
            if (ev.kind == IPL_K_ALERT)
                continue;      /* an ASM change of the address is activity; an alert is not */
            if (!last)
                last = ev.ts;
            if (!decided && ipl_kind_opens_lease(ev.kind))
                leased = decided = 1;
            else if (!decided && ipl_kind_closes_lease(ev.kind))
                decided = 1;
            if (decided || last >= cutoff)
                break;
        }
        ipl_ixcur_close(ic);
        if (err == IPL_ENOTFOUND)
            err = IPL_OK;
        if (err)
            break;
        if (!leased && last < cutoff && (err = fn(ctx, o, last)))
            break;
    }
    ipl_evcur_close(ec);
    return err;
}
