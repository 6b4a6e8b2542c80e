/* engine/ipnow.c — the lease state of every address now (store format 5).
 *
 * ix.ipnow holds, per address, its latest lease decision:
 *
 *   ip[16] -> index value (12 bytes: ts | seq << 2 | class, store_int.h) of the address's
 *             latest IPL_IXC_OPEN or IPL_IXC_CLOSE entry in ix.ip, in (ts, seq) order
 *
 * An address with no such entry has no key. The database answers "which addresses are held at
 * T" with one walk of an address range (ipl_ix_held_bits), whatever the history's length, when
 * every decision in the range is at or before T; ix.ip's week-by-week walk answers the rest.
 *
 * Kept in the transaction that changes ix.ip:
 *   commit  ipl_ipnow_note for each key's latest decision of the batch (store.c);
 *   delete  an address whose recorded decision is removed is recomputed from what ix.ip still
 *           holds (ipl_ipnow_recompute: its weeks newest first, each key's entries backwards);
 *   purge   the same, for the addresses of the span's week (maint.c);
 *   open    a format-4 store opened for writing gets the database built (ipl_ipnow_rebuild) and
 *           becomes format 5; opened read-only it is read without it (the old walk).
 * verify checks it against ix.ip (ipl_ipnow_check_*, called from maint.c's index pass). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/event.h"
#include "engine/store_int.h"

static int is_decision(const uint8_t v[IPL_IXVAL])
{
    unsigned c = ipl_ixval_class(v);
    return c == IPL_IXC_OPEN || c == IPL_IXC_CLOSE;
}

int ipl_ipnow_note(MDB_cursor *sc, const uint8_t ip[16], const uint8_t val[IPL_IXVAL])
{
    MDB_val k = {16, (void *)ip}, v;
    int rc = mdb_cursor_get(sc, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        MDB_val nk = {16, (void *)ip}, nv = {IPL_IXVAL, (void *)val};
        return mdb_cursor_put(sc, &nk, &nv, 0);
    }
    if (rc)
        return rc;
    if (v.mv_size == IPL_IXVAL && memcmp(v.mv_data, val, IPL_IXVAL) >= 0)
        return 0;                                   /* a later decision is recorded already */
    MDB_val nv = {IPL_IXVAL, (void *)val};
    return mdb_cursor_put(sc, &k, &nv, MDB_CURRENT);
}

/* The first week of ix.ip (MDB_NOTFOUND when it is empty). */
static int first_week(ipl_store *st, MDB_txn *txn, uint32_t *first)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, st->dbi[DB_IX_IP], &c);
    if (rc)
        return rc;
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    if (rc == 0)
        *first = k.mv_size >= 4 ? ipl_get_be32(k.mv_data) : 0;
    mdb_cursor_close(c);
    return rc;
}

void ipl_ipnow_fixer_init(ipl_ipnow_fixer *f, ipl_store *st, MDB_txn *txn)
{
    memset(f, 0, sizeof *f);
    f->st = st;
    f->txn = txn;
}

void ipl_ipnow_fixer_done(ipl_ipnow_fixer *f)
{
    ipl_ixc_close(f->ic);
    f->ic = NULL;
    f->state = 0;
}

int ipl_ipnow_recompute(ipl_ipnow_fixer *f, const uint8_t ip[16], uint32_t from_week)
{
    ipl_store *st = f->st;
    MDB_txn *txn = f->txn;
    MDB_val sk = {16, (void *)ip}, sv;
    int rc = 0;
    if (f->state == 0) {            /* once per fixer: ix.ip no longer changes under it */
        rc = first_week(st, txn, &f->first);
        if (rc == MDB_NOTFOUND)
            f->state = 2;
        else if (rc || (rc = ipl_ixc_open(txn, st->dbi[DB_IX_IP], 4 + 16, &f->ic)))
            return rc;
        else
            f->state = 1;
    }
    uint8_t kb[20], found[IPL_IXVAL];
    int have = 0;
    memcpy(kb + 4, ip, 16);
    for (uint64_t w = from_week; f->state == 1 && w >= f->first && !have && !rc; w--) {
        MDB_val k = {20, kb}, v;
        ipl_be32(kb, (uint32_t)w);
        rc = ipl_ixc_get(f->ic, &k, &v, MDB_SET);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
        } else if (rc == 0) {
            for (rc = ipl_ixc_get(f->ic, &k, &v, MDB_LAST_DUP); rc == 0;
                 rc = ipl_ixc_get(f->ic, &k, &v, MDB_PREV_DUP)) {
                if (v.mv_size == IPL_IXVAL && is_decision(v.mv_data)) {
                    memcpy(found, v.mv_data, IPL_IXVAL);
                    have = 1;
                    break;
                }
            }
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        if (w == 0)
            break;
    }
    if (rc)
        return rc;
    if (have) {
        sv.mv_size = IPL_IXVAL;
        sv.mv_data = found;
        return mdb_put(txn, st->dbi[DB_IPNOW], &sk, &sv, 0);
    }
    rc = mdb_del(txn, st->dbi[DB_IPNOW], &sk, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int ipl_ipnow_rebuild(ipl_store *st, MDB_txn *txn)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t (*ents)[IPL_IXVAL] = malloc(IPL_IXCHUNK_ENT * IPL_IXVAL);
    uint8_t cur[20], best[IPL_IXVAL];
    int have = 0, rc;
    if (!ents)
        return ENOMEM;
    if ((rc = mdb_drop(txn, st->dbi[DB_IPNOW], 0)) ||
        (rc = mdb_cursor_open(txn, st->dbi[DB_IX_IP], &c))) {
        free(ents);
        return rc;
    }
    /* week-major order: a later chunk of a key, and a later week of an address, come later */
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        size_t n;
        const uint8_t *kb = k.mv_data;
        if (k.mv_size != 20 + IPL_IXVAL || ipl_ixchunk_decode(v.mv_data, v.mv_size, kb + 20, ents, &n)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (have && memcmp(cur + 4, kb + 4, 16) != 0) {
            MDB_val nk = {16, cur + 4}, nv = {IPL_IXVAL, best};
            if ((rc = mdb_put(txn, st->dbi[DB_IPNOW], &nk, &nv, 0)))
                break;
            have = 0;
        }
        for (size_t i = n; i-- > 0;)
            if (is_decision(ents[i])) {
                memcpy(cur, kb, 20);
                memcpy(best, ents[i], IPL_IXVAL);
                have = 1;
                break;
            }
    }
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        if (have) {
            MDB_val nk = {16, cur + 4}, nv = {IPL_IXVAL, best};
            rc = mdb_put(txn, st->dbi[DB_IPNOW], &nk, &nv, 0);
        }
    }
    mdb_cursor_close(c);
    free(ents);
    return rc;
}

/* ---- verify ----
 * ix.ip's chunks come in (week, ip, chunk) order. For each key (week | ip) its latest decision is
 * a candidate, and the recorded state of the ip must be (a) present, (b) of that week or a later
 * one, and (c) the candidate itself when of the same week. Each recorded state can equal one
 * candidate at most (one per week and ip); every one of them must, which the count of exact
 * matches against the database's entries checks at the end. Together: each address with a
 * decision has exactly its latest one recorded, and no other address has a key. */
static void check_flush(ipl_ipnow_check *x)
{
    if (!x->have)
        return;
    x->have = 0;
    MDB_val k = {16, x->cur + 4}, v;
    const char *why = NULL;
    int rc = mdb_cursor_get(x->sc, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        why = "has lease entries but no current state";
    } else if (rc) {
        x->rc = rc;
        return;
    } else if (v.mv_size != IPL_IXVAL) {
        why = "has a current state of the wrong size";
    } else {
        int64_t ts;
        uint64_t seq;
        ipl_ixval_unpack(v.mv_data, &ts, &seq);
        uint32_t sw = ipl_ix_week(ts), w = ipl_get_be32(x->cur);
        if (sw < w)
            why = "has a lease decision later than its current state";
        else if (sw == w && memcmp(v.mv_data, x->best, IPL_IXVAL) != 0)
            why = "has a current state that is not its latest lease decision";
        else if (sw == w)
            x->matched++;
    }
    if (why && !x->bad) {
        char ip[64];
        ipl_ip_format(x->cur + 4, ip, sizeof ip);
        snprintf(x->problem, sizeof x->problem, "address %s %s", ip, why);
        x->bad = 1;
    }
}

int ipl_ipnow_check_begin(ipl_ipnow_check *x, ipl_store *st, MDB_txn *txn)
{
    memset(x, 0, sizeof *x);
    x->st = st;
    x->txn = txn;
    return mdb_cursor_open(txn, st->dbi[DB_IPNOW], &x->sc);
}

void ipl_ipnow_check_chunk(ipl_ipnow_check *x, const uint8_t key[20], const uint8_t (*ents)[IPL_IXVAL],
                           size_t n)
{
    if (x->have && memcmp(x->cur, key, 20) != 0)
        check_flush(x);
    for (size_t i = n; i-- > 0;)
        if (is_decision(ents[i])) {
            memcpy(x->cur, key, 20);
            memcpy(x->best, ents[i], IPL_IXVAL);
            x->have = 1;
            return;
        }
}

int ipl_ipnow_check_end(ipl_ipnow_check *x)
{
    check_flush(x);
    MDB_stat ms;
    int rc = x->rc;
    if (!rc && !(rc = mdb_stat(x->txn, x->st->dbi[DB_IPNOW], &ms)) && !x->bad &&
        ms.ms_entries != x->matched) {
        snprintf(x->problem, sizeof x->problem, "the current-state index holds %llu addresses "
                 "but index 'ip' decides %llu of them",
                 (unsigned long long)ms.ms_entries, (unsigned long long)x->matched);
        x->bad = 1;
    }
    mdb_cursor_close(x->sc);
    x->sc = NULL;
    return rc;
}

/* ---- the addresses a purge step met (maint.c) ---- */
static uint64_t ipset_hash(const uint8_t ip[16])
{
    return ipl_mix64(ipl_get_be64(ip) * 0x9e3779b97f4a7c15ULL ^ ipl_get_be64(ip + 8));
}

int ipl_ipset_add(ipl_ipset *s, const uint8_t ip[16])
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint8_t (*ips)[16] = malloc(cap * sizeof *ips);
        uint8_t *used = calloc(cap, 1);
        if (!ips || !used) {
            free(ips);
            free(used);
            return IPL_ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->used[i])
                continue;
            size_t h = (size_t)ipset_hash(s->ip[i]) & (cap - 1);
            while (used[h])
                h = (h + 1) & (cap - 1);
            used[h] = 1;
            memcpy(ips[h], s->ip[i], 16);
        }
        free(s->ip);
        free(s->used);
        s->ip = ips;
        s->used = used;
        s->cap = cap;
    }
    size_t h = (size_t)ipset_hash(ip) & (s->cap - 1);
    while (s->used[h]) {
        if (memcmp(s->ip[h], ip, 16) == 0)
            return IPL_OK;
        h = (h + 1) & (s->cap - 1);
    }
    s->used[h] = 1;
    memcpy(s->ip[h], ip, 16);
    s->n++;
    return IPL_OK;
}

void ipl_ipset_clear(ipl_ipset *s)
{
    if (s->used)
        memset(s->used, 0, s->cap);
    s->n = 0;
}

void ipl_ipset_free(ipl_ipset *s)
{
    free(s->ip);
    free(s->used);
    memset(s, 0, sizeof *s);
}

int ipl_ipnow_fix_span(ipl_store *st, MDB_txn *txn, const ipl_ipset *s, const uint8_t lo[IPL_IXVAL],
                       const uint8_t hi[IPL_IXVAL], int (*kept)(void *, uint64_t), void *ctx,
                       uint32_t week)
{
    ipl_ipnow_fixer f;
    int rc = 0;
    ipl_ipnow_fixer_init(&f, st, txn);
    for (size_t i = 0; i < s->cap && s->n && !rc; i++) {
        if (!s->used[i])
            continue;
        MDB_val k = {16, s->ip[i]}, v;
        if ((rc = mdb_get(txn, st->dbi[DB_IPNOW], &k, &v)) == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        if (v.mv_size != IPL_IXVAL || memcmp(v.mv_data, lo, IPL_IXVAL) < 0 ||
            memcmp(v.mv_data, hi, IPL_IXVAL) > 0)
            continue;                               /* its decision is outside the span */
        int64_t ts;
        uint64_t seq;
        ipl_ixval_unpack(v.mv_data, &ts, &seq);
        if (kept && kept(ctx, seq))
            continue;
        rc = ipl_ipnow_recompute(&f, s->ip[i], week);
    }
    ipl_ipnow_fixer_done(&f);
    return rc;
}
