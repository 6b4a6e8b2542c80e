/* tests/unit/engine/maint_test.c — delete, re-seal, verify, copy: a purge keeps the store
 * verifiable; verify catches a changed record, a changed dictionary string, a missing and a
 * bogus index entry; a pending re-seal is reported, then finished; copies verify too. */
#include "../check.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "engine/tz.h"

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)

static char dir[64];

static void add_events(ipl_store *st, int from, int n, int per_batch)
{
    ipl_batch *b;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = from; i < from + n; i++) {
        ipl_event e;
        char ip[32], mac[16], host[32], user[32];
        ipl_event_reset(&e);
        snprintf(ip, sizeof ip, "10.0.%d.%d", (i / 200) % 250, i % 200 + 1);
        snprintf(mac, sizeof mac, "0000000%05x", i % 700);
        snprintf(host, sizeof host, "Host-%d", i % 300);
        snprintf(user, sizeof user, "CORP\\User%d", i % 90);
        e.kind = i % 3 ? IPL_K_LEASE_RENEW : IPL_K_LEASE_ASSIGN;
        e.ts = T0 + (int64_t)i * 60 * IPL_US_PER_SEC;
        e.has_ip = 1;
        ipl_ip_parse(ip, strlen(ip), e.ip);
        e.mac = mac;
        e.host = host;
        e.user = i % 4 ? NULL : user;
        e.server = "dhcp1";
        e.source = "test:maint";
        e.line = (uint64_t)i;
        ipl_event_add_attr(&e, IPL_A_CODE, "10", 2);
        CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
        if ((i - from + 1) % per_batch == 0) {
            CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
            ipl_batch_clear(b);
        }
    }
    if (ipl_batch_events(b))
        CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
    ipl_batch_free(b);
}

static ipl_verify_report verify(ipl_store *st)
{
    ipl_verify_report r;
    ipl_diag d = {0};
    CHECK_INT(ipl_store_verify(st, &r, NULL, NULL, &d), IPL_OK);
    if (!r.ok)
        fprintf(stderr, "   verify: %s\n", r.problem);
    return r;
}

static uint64_t count_ip(ipl_store *st, const char *ip)
{
    ipl_rtxn *t;
    uint8_t k[16];
    uint64_t n = 0;
    ipl_ip_parse(ip, strlen(ip), k);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    ipl_index_count(t, IPL_IX_IP, k, &n, NULL);
    ipl_rtxn_end(t);
    return n;
}

static void test_purge_keeps_verifiable(void)
{
    ipl_store *st;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    add_events(st, 0, 3000, 250);
    ipl_verify_report r = verify(st);
    CHECK(r.ok);
    CHECK_INT(r.events, 3000);
    CHECK(r.checkpoints >= 12);

    /* delete a range and scattered events, as a purge does */
    uint64_t seqs[600];
    size_t n = 0;
    for (uint64_t s = 1; s <= 400; s++)
        seqs[n++] = s;
    for (uint64_t s = 1001; s <= 2000 && n < 600; s += 5)
        seqs[n++] = s;
    ipl_purge_acc acc;
    ipl_purge_acc_init(&acc);
    CHECK_INT(ipl_store_reseal_mark(st, 1, NULL), IPL_OK);
    CHECK_INT(ipl_store_delete(st, seqs, 300, &acc, NULL, NULL, NULL, 0, NULL), IPL_OK);
    /* mid-purge: the chain is checked up to the pending re-seal, not reported broken */
    r = verify(st);
    CHECK(r.ok);
    CHECK_INT(r.reseal_pending, 1);
    CHECK_INT(ipl_store_delete(st, seqs + 300, n - 300, &acc, "purge", "p1", "x", 1, NULL), IPL_OK);
    CHECK_INT(acc.count, n);
    CHECK_INT(acc.first_seq, 1);
    /* deleting again is harmless (a rerun after a crash) */
    ipl_purge_acc acc2;
    ipl_purge_acc_init(&acc2);
    CHECK_INT(ipl_store_delete(st, seqs, n, &acc2, NULL, NULL, NULL, 0, NULL), IPL_OK);
    CHECK_INT(acc2.count, 0);
    /* ingest goes on before the re-seal */
    add_events(st, 3000, 500, 100);
    CHECK_INT(ipl_store_reseal(st, 333, NULL), IPL_OK);   /* several bounded steps */
    r = verify(st);
    CHECK(r.ok);
    CHECK_INT(r.reseal_pending, 0);
    CHECK_INT(r.events, 3500 - n);
    /* the deleted events are gone from the indexes too */
    CHECK_INT(count_ip(st, "10.0.0.1"), 0);    /* event 0 was seq 1 */
    ipl_rtxn *t;
    ipl_event ev;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_get(t, 1, &ev, NULL), IPL_ENOTFOUND);
    CHECK_INT(ipl_store_get(t, 401, &ev, NULL), IPL_OK);
    const void *pv;
    size_t pn;
    CHECK_INT(ipl_store_kv_get(t, "purge", "p1", &pv, &pn), IPL_OK);
    ipl_rtxn_end(t);
    /* commits after the re-seal chain on from the re-sealed head */
    add_events(st, 3500, 100, 100);
    CHECK(verify(st).ok);

    /* a copy (and a compacted copy) verifies and has the same events */
    char cdir[96], kdir[96];
    snprintf(cdir, sizeof cdir, "%s-copy", dir);
    snprintf(kdir, sizeof kdir, "%s-compact", dir);
    CHECK_INT(ipl_store_copy(st, cdir, 0, NULL), IPL_OK);
    CHECK_INT(ipl_store_copy(st, kdir, 1, NULL), IPL_OK);
    CHECK_INT(ipl_store_copy(st, cdir, 0, NULL), IPL_EEXIST);
    ipl_store_close(st);
    const char *dirs[2] = {cdir, kdir};
    for (int i = 0; i < 2; i++) {
        ipl_store *c;
        CHECK_INT(ipl_store_open(&c, dirs[i], IPL_STORE_RDONLY, NULL), IPL_OK);
        r = verify(c);
        CHECK(r.ok);
        CHECK_INT(r.events, 3600 - n);
        ipl_store_close(c);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dirs[i]);
        CHECK_INT(system(cmd), 0);
    }
}

/* raw LMDB edits, as an attacker or a bad disk would make them */
static void raw_edit(void (*edit)(MDB_txn *, MDB_dbi, MDB_dbi, MDB_dbi))
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi ev, di, ix;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    CHECK_INT(mdb_env_open(env, dir, 0, 0664), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "events", 0, &ev), 0);
    CHECK_INT(mdb_dbi_open(txn, "dict.i", 0, &di), 0);
    CHECK_INT(mdb_dbi_open(txn, "ix.host", 0, &ix), 0);
    edit(txn, ev, di, ix);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void flip_record(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    uint8_t k[8] = {0, 0, 0, 0, 0, 0, 0x07, 0xd0};   /* event 2000 */
    MDB_val key = {8, k}, v;
    CHECK_INT(mdb_get(txn, ev, &key, &v), 0);
    uint8_t buf[512];
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size - 1] ^= 0x01;                      /* one bit of the last attribute byte */
    MDB_val nv = {v.mv_size, buf};
    CHECK_INT(mdb_put(txn, ev, &key, &nv, 0), 0);
}

static void flip_dict(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_cursor *c;
    MDB_val k, v;
    CHECK_INT(mdb_cursor_open(txn, di, &c), 0);
    while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
        if (v.mv_size > 5 && memcmp(v.mv_data, "Host-7", 6) == 0)
            break;
    uint8_t buf[64];
    memcpy(buf, v.mv_data, v.mv_size);
    buf[0] = 'h';                                     /* Host-7x -> host-7x */
    MDB_val nv = {v.mv_size, buf};
    CHECK_INT(mdb_cursor_put(c, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(c);
}

/* ix.host (store format 4): week | u32 id | 12-byte suffix -> varint count | deltas */
static void drop_index_entry(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_cursor *c;
    MDB_val k, v;
    CHECK_INT(mdb_cursor_open(txn, ix, &c), 0);
    CHECK_INT(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);   /* the last chunk, all its entries */
    CHECK_INT(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
}

static void add_bogus_entry(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    /* week 0 | id 3 | suffix ts 1, seq 9999, class 3 -> one entry equal to the suffix */
    uint8_t k[20] = {0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x9c, 0x3f};
    uint8_t val[3] = {1, 0, 0};
    MDB_val key = {20, k}, v = {3, val};
    CHECK_INT(mdb_put(txn, ix, &key, &v, 0), 0);
}

static void break_chunk(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_cursor *c;
    MDB_val k, v;
    CHECK_INT(mdb_cursor_open(txn, ix, &c), 0);
    CHECK_INT(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    uint8_t buf[1024];
    CHECK(v.mv_size > 2 && v.mv_size < sizeof buf);
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size - 1] |= 0x80;                       /* the last varint runs off the end */
    MDB_val nv = {v.mv_size, buf};
    CHECK_INT(mdb_cursor_put(c, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(c);
}

static void bump_counter(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_dbi meta;
    CHECK_INT(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {8, "ixn.host"}, v;
    CHECK_INT(mdb_get(txn, meta, &k, &v), 0);
    uint8_t b[8];
    CHECK_INT(v.mv_size, 8);
    memcpy(b, v.mv_data, 8);
    b[7] ^= 1;
    MDB_val nv = {8, b};
    CHECK_INT(mdb_put(txn, meta, &k, &nv, 0), 0);
}

/* ix.ipnow (store format 5, engine/ipnow.c): ip[16] -> the latest lease decision's value */
static MDB_dbi ipnow_dbi(MDB_txn *txn)
{
    MDB_dbi now;
    CHECK_INT(mdb_dbi_open(txn, "ix.ipnow", 0, &now), 0);
    return now;
}

static void ipnow_alter(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_cursor *c;
    MDB_val k, v;
    CHECK_INT(mdb_cursor_open(txn, ipnow_dbi(txn), &c), 0);
    CHECK_INT(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
    uint8_t b[12];
    CHECK_INT(v.mv_size, 12);
    memcpy(b, v.mv_data, 12);
    b[10] ^= 0x10;                                    /* another seq of the same time */
    MDB_val nv = {12, b};
    CHECK_INT(mdb_cursor_put(c, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(c);
}

static void ipnow_drop(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_cursor *c;
    MDB_val k, v;
    CHECK_INT(mdb_cursor_open(txn, ipnow_dbi(txn), &c), 0);
    CHECK_INT(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    CHECK_INT(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
}

static void ipnow_extra(MDB_txn *txn, MDB_dbi ev, MDB_dbi di, MDB_dbi ix)
{
    MDB_dbi now = ipnow_dbi(txn);
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t ip[16], b[12];
    CHECK_INT(mdb_cursor_open(txn, now, &c), 0);
    CHECK_INT(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    memcpy(b, v.mv_data, 12);
    mdb_cursor_close(c);
    ipl_ip_parse("10.99.0.1", 9, ip);                 /* never leased */
    MDB_val nk = {16, ip}, nv = {12, b};
    CHECK_INT(mdb_put(txn, now, &nk, &nv, 0), 0);
}

static void expect_broken(void (*edit)(MDB_txn *, MDB_dbi, MDB_dbi, MDB_dbi), const char *words)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s-work && cp -r %s %s-work", dir, dir, dir);
    CHECK_INT(system(cmd), 0);
    char save[64];
    memcpy(save, dir, sizeof save);
    if (strlen(save) + 6 > sizeof dir)
        return;
    memcpy(dir + strlen(save), "-work", 6);
    raw_edit(edit);
    ipl_store *st;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, NULL), IPL_OK);
    ipl_verify_report r;
    CHECK_INT(ipl_store_verify(st, &r, NULL, NULL, NULL), IPL_OK);
    CHECK(!r.ok);
    CHECK(strstr(r.problem, words) != NULL);
    if (!strstr(r.problem, words))
        fprintf(stderr, "   problem was: %s\n", r.problem);
    ipl_store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    memcpy(dir, save, sizeof save);
}

static void test_corruption_caught(void)
{
    expect_broken(flip_record, "chain breaks between events");
    expect_broken(flip_dict, "chain breaks");
    expect_broken(drop_index_entry, "missing from index 'host'");
    expect_broken(add_bogus_entry, "does not exist");
    expect_broken(break_chunk, "index 'host' holds a chunk that does not decode");
    expect_broken(bump_counter, "but its counter says");
    expect_broken(ipnow_alter, "not its latest lease decision");
    expect_broken(ipnow_drop, "has lease entries but no current state");
    expect_broken(ipnow_extra, "the current-state index holds");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipl-maint-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_purge_keeps_verifiable);
    RUN(test_corruption_caught);
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
