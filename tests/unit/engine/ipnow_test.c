/* tests/unit/engine/ipnow_test.c — ix.ipnow, each address's latest lease decision (store format
 * 5, engine/ipnow.c): kept at commit whatever the order of the times, reverted by a delete and a
 * purge of the decision (from an earlier week too), read by ipl_ix_held_bits only when no
 * decision of the range is after T; a format-4 store (no ix.ipnow) is read without it and
 * upgraded, to the same contents, when opened for writing; seqs are not reused after the newest
 * events are deleted. The random model check is in ixchunk_test.c. */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "engine/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC INT64_C(1000000)
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define T0 (INT64_C(1714521600) * SEC)

static char dir[64];

static void rm_rf(const char *p)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    CHECK_INT(system(cmd), 0);
}

static void ip_of(int i, uint8_t ip[16])
{
    char s[32];
    snprintf(s, sizeof s, "10.20.%d.%d", i / 256, i % 256);
    CHECK_INT(ipl_ip_parse(s, strlen(s), ip), IPL_OK);
}

/* one event; returns its seq */
static uint64_t put(ipl_store *st, int ipi, unsigned kind, int64_t ts)
{
    ipl_batch *b;
    ipl_event e;
    ipl_commit_info ci;
    ipl_diag d = {0};
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    ipl_event_reset(&e);
    e.ts = ts;
    e.kind = (uint16_t)kind;
    e.has_ip = 1;
    ip_of(ipi, e.ip);
    e.mac = "aabbccddeeff";
    e.source = "test:ipnow";
    CHECK_INT(ipl_batch_add(b, &e, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_free(b);
    return ci.last_seq;
}

/* held bit of address ipi at `at` (a 256-address window) */
static int held(ipl_store *st, int ipi, int64_t at)
{
    uint8_t lo[16];
    uint64_t bits[4];
    ipl_rtxn *t;
    ipl_diag d = {0};
    ip_of(ipi / 256 * 256, lo);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_ix_held_bits(t, lo, 256, at, bits, &d), IPL_OK);
    ipl_rtxn_end(t);
    return (int)(bits[(ipi % 256) / 64] >> (ipi % 64) & 1);
}

/* the recorded decision of ipi: its seq, 0 without a key */
static uint64_t now_seq(ipl_store *st, int ipi)
{
    uint8_t ip[16];
    ipl_rtxn *t;
    ip_of(ipi, ip);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    MDB_val k = {16, ip}, v;
    uint64_t seq = 0;
    if (mdb_get(t->txn, st->dbi[DB_IPNOW], &k, &v) == 0 && v.mv_size == IPL_IXVAL) {
        int64_t ts;
        ipl_ixval_unpack(v.mv_data, &ts, &seq);
    }
    ipl_rtxn_end(t);
    return seq;
}

static void verify_ok(ipl_store *st)
{
    ipl_verify_report r;
    CHECK_INT(ipl_store_verify(st, &r, NULL, NULL, NULL), IPL_OK);
    CHECK(r.ok);
    if (!r.ok)
        fprintf(stderr, "   verify: %s\n", r.problem);
}

static void del(ipl_store *st, uint64_t seq)
{
    ipl_purge_acc acc;
    ipl_purge_acc_init(&acc);
    CHECK_INT(ipl_store_delete(st, &seq, 1, &acc, NULL, NULL, NULL, 0, NULL), IPL_OK);
    CHECK_INT(acc.count, 1);
    CHECK_INT(ipl_store_reseal_mark(st, seq, NULL), IPL_OK);
    CHECK_INT(ipl_store_reseal(st, 0, NULL), IPL_OK);
}

static void test_commit_delete(void)
{
    ipl_store *st;
    rm_rf(dir);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    uint64_t a = put(st, 1, IPL_K_LEASE_ASSIGN, T0 + 10 * HOUR);
    uint64_t r = put(st, 1, IPL_K_LEASE_RELEASE, T0 + 5 * HOUR);     /* older, logged later */
    uint64_t q = put(st, 1, IPL_K_DNS_UPDATE, T0 + 20 * HOUR);       /* not a decision */
    CHECK(q > r);
    CHECK_INT(now_seq(st, 1), a);
    CHECK_INT(held(st, 1, T0 + 30 * HOUR), 1);                  /* from ix.ipnow */
    CHECK_INT(held(st, 1, T0 + 7 * HOUR), 0);                   /* after T: the history */
    CHECK_INT(held(st, 1, T0 + 4 * HOUR), 0);
    CHECK_INT(now_seq(st, 2), 0);
    CHECK_INT(held(st, 2, T0 + 30 * HOUR), 0);
    verify_ok(st);
    /* the recorded decision deleted: the older one takes its place, then none */
    del(st, a);
    CHECK_INT(now_seq(st, 1), r);
    CHECK_INT(held(st, 1, T0 + 30 * HOUR), 0);
    verify_ok(st);
    del(st, r);
    CHECK_INT(now_seq(st, 1), 0);
    verify_ok(st);
    /* a later decision wins whichever batch it comes in; an equal time: the higher seq */
    uint64_t x = put(st, 3, IPL_K_LEASE_ASSIGN, T0 + 2 * HOUR);
    uint64_t y = put(st, 3, IPL_K_LEASE_EXPIRE, T0 + 2 * HOUR);
    CHECK(y > x);
    CHECK_INT(now_seq(st, 3), y);
    CHECK_INT(held(st, 3, T0 + 2 * HOUR), 0);
    verify_ok(st);
    /* deleting the newest event does not hand its seq out again */
    uint64_t last = put(st, 4, IPL_K_LEASE_ASSIGN, T0 + 3 * HOUR);
    del(st, last);
    uint64_t next = put(st, 4, IPL_K_LEASE_ASSIGN, T0 + 3 * HOUR);
    CHECK_INT(next, last + 1);
    CHECK_INT(now_seq(st, 4), next);
    verify_ok(st);
    ipl_store_close(st);
}

/* a purge of the week holding the decision: the address falls back to an earlier week's */
static void test_purge_other_week(void)
{
    ipl_store *st;
    rm_rf(dir);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    int64_t w1 = ipl_purge_week_start(T0), w3 = w1 + 2 * 7 * DAY;
    uint64_t early = put(st, 5, IPL_K_LEASE_ASSIGN, w1 + HOUR);
    uint64_t late = put(st, 5, IPL_K_LEASE_RELEASE, w3 + HOUR);
    put(st, 6, IPL_K_LEASE_ASSIGN, w3 + 2 * HOUR);                  /* only in the span */
    CHECK_INT(now_seq(st, 5), late);
    CHECK_INT(held(st, 5, w3 + DAY), 0);
    ipl_purge_span sp;
    ipl_purge_acc acc;
    memset(&sp, 0, sizeof sp);
    ipl_purge_acc_init(&acc);
    sp.from = w3;
    sp.to = ipl_purge_week_end(w3);
    sp.limit = 1000;
    CHECK_INT(ipl_store_purge_span(st, &sp, &acc, NULL, NULL, NULL, NULL, NULL), IPL_OK);
    CHECK(sp.done);
    CHECK_INT(sp.removed, 2);
    ipl_purge_span_release(&sp);
    CHECK_INT(ipl_store_reseal(st, 0, NULL), IPL_OK);
    CHECK_INT(now_seq(st, 5), early);
    CHECK_INT(held(st, 5, w3 + DAY), 1);
    CHECK_INT(now_seq(st, 6), 0);
    CHECK_INT(held(st, 6, w3 + DAY), 0);
    verify_ok(st);
    ipl_store_close(st);
}

/* The whole database as bytes: key | value, in order. */
static char *dump(ipl_store *st, size_t *n)
{
    ipl_rtxn *t;
    MDB_cursor *c;
    MDB_val k, v;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(mdb_cursor_open(t->txn, st->dbi[DB_IPNOW], &c), 0);
    while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
        if (len + k.mv_size + v.mv_size > cap)
            buf = realloc(buf, cap *= 2);
        memcpy(buf + len, k.mv_data, k.mv_size);
        memcpy(buf + len + k.mv_size, v.mv_data, v.mv_size);
        len += k.mv_size + v.mv_size;
    }
    mdb_cursor_close(c);
    ipl_rtxn_end(t);
    *n = len;
    return buf;
}

/* Turns the store into what format 4 wrote: no ix.ipnow, format 4 in meta. */
static void make_format4(void)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi now, meta;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    CHECK_INT(mdb_env_open(env, dir, 0, 0664), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "ix.ipnow", 0, &now), 0);
    CHECK_INT(mdb_drop(txn, now, 1), 0);
    CHECK_INT(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    uint8_t f[4] = {0, 0, 0, 4};
    MDB_val k = {6, "format"}, v = {4, f};
    CHECK_INT(mdb_put(txn, meta, &k, &v, 0), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static uint32_t format_of(ipl_store *st)
{
    ipl_rtxn *t;
    MDB_val k = {6, "format"}, v;
    uint32_t f = 0;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    if (mdb_get(t->txn, st->dbi[DB_META], &k, &v) == 0 && v.mv_size == 4)
        f = ipl_get_be32(v.mv_data);
    ipl_rtxn_end(t);
    return f;
}

static void test_upgrade_from_format4(void)
{
    ipl_store *st;
    rm_rf(dir);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    /* 600 addresses over three weeks, opened and closed in a pattern, in a few batches */
    ipl_batch *b;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < 6000; i++) {
        ipl_event e;
        ipl_event_reset(&e);
        e.ts = T0 + (int64_t)((i * 7919) % 6000) * 5 * 60 * SEC;     /* 21 days, shuffled */
        static const unsigned kinds[] = {IPL_K_LEASE_ASSIGN, IPL_K_LEASE_RENEW,
                                         IPL_K_LEASE_RELEASE, IPL_K_DNS_UPDATE};
        e.kind = (uint16_t)kinds[(i / 3) % 4];
        e.has_ip = 1;
        ip_of(i % 600, e.ip);
        e.source = "test:ipnow";
        CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        if (i % 1000 == 999) {
            CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
            ipl_batch_clear(b);
        }
    }
    ipl_batch_free(b);
    int64_t end = T0 + 30 * DAY;
    int want[600];
    size_t n0, n1;
    char *before = dump(st, &n0);
    CHECK(n0 > 0);
    for (int i = 0; i < 600; i++)
        want[i] = held(st, i, end);
    verify_ok(st);
    ipl_store_close(st);

    make_format4();
    /* read-only: read without ix.ipnow, the same answers */
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    CHECK_INT(st->has_ipnow, 0);
    CHECK_INT(format_of(st), 4);
    int same = 1;
    for (int i = 0; i < 600; i++)
        same &= held(st, i, end) == want[i];
    CHECK(same);
    verify_ok(st);
    ipl_store_close(st);
    /* writable: upgraded to format 5 with the same ix.ipnow */
    CHECK_INT(ipl_store_open(&st, dir, 0, NULL), IPL_OK);
    CHECK_INT(st->has_ipnow, 1);
    CHECK_INT(format_of(st), IPL_STORE_FORMAT);
    char *after = dump(st, &n1);
    CHECK_INT(n1, n0);
    CHECK(n1 == n0 && memcmp(before, after, n0) == 0);
    same = 1;
    for (int i = 0; i < 600; i++)
        same &= held(st, i, end) == want[i];
    CHECK(same);
    verify_ok(st);
    ipl_store_close(st);
    free(before);
    free(after);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipl-ipnow-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_commit_delete);
    RUN(test_purge_other_week);
    RUN(test_upgrade_from_format4);
    rm_rf(dir);
    return check_summary();
}
