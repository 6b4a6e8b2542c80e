/* tests/unit/engine/dict_test.c — the string dictionary (engine/dict.c): ids start at 1, the same
 * string keeps its id across commits and store handles, different strings get different ids,
 * id 0 and unknown ids are NULL, lookups are exact (folded lookups fold ASCII only), ids stay
 * dense when a commit is replayed after map growth; and the writer's cache (ipl_dcache).
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/store_int.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714551332) * 1000000)

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmpdir(char buf[64])
{
    snprintf(buf, 64, "/tmp/ipl-dict-test-XXXXXX");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(2);
    }
    return buf;
}

static ipl_store *open_rw(const char *dir)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "  open: %s\n", d.msg);
        CHECK(0);
    }
    return st;
}

/* Commits one event per string (as its host) from the source "src". */
static void commit_hosts(ipl_store *st, const char *const *hosts, size_t n)
{
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (size_t i = 0; i < n; i++) {
        ipl_event ev;
        ipl_event_reset(&ev);
        ev.ts = T0 + (int64_t)i;
        ev.kind = IPL_K_DNS_UPDATE;
        ev.host = hosts[i];
        ev.source = "src";
        ev.line = i + 1;
        CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_OK);
    }
    if (ipl_store_commit(st, b, NULL, &d)) {
        fprintf(stderr, "  commit: %s\n", d.msg);
        CHECK(0);
    }
    ipl_batch_free(b);
}

static uint32_t find(ipl_store *st, const char *s)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    uint32_t id = 0;
    if (ipl_rtxn_begin(st, &t, &d))
        return 0;
    if (ipl_dict_find(t, s, strlen(s), &id))
        id = 0;
    ipl_rtxn_end(t);
    return id;
}

static void test_ids(void)
{
    char dir[64];
    tmpdir(dir);
    ipl_store *st = open_rw(dir);
    if (!st) {
        rm_rf(dir);
        return;
    }
    /* lowercase hosts: the folded form is the string itself, one id each */
    static const char *const first[] = {"alpha", "beta", "alpha", "gamma"};
    commit_hosts(st, first, 4);
    uint32_t a = find(st, "alpha"), b = find(st, "beta"), g = find(st, "gamma"),
             s = find(st, "src");
    CHECK_INT(a, 1);                       /* ids start at 1, in order of first use */
    CHECK_INT(s, 2);
    CHECK_INT(b, 3);
    CHECK_INT(g, 4);
    CHECK_INT(find(st, "delta"), 0);

    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK(ipl_dict_str(t, 0) == NULL);
    CHECK_STR(ipl_dict_str(t, 1), "alpha");
    CHECK_STR(ipl_dict_str(t, 4), "gamma");
    CHECK(ipl_dict_str(t, 5) == NULL);
    CHECK(ipl_dict_str(t, 0xffffffffu) == NULL);
    uint32_t id = 99;
    CHECK_INT(ipl_dict_find(t, "ALPHA", 5, &id), IPL_ENOTFOUND);   /* exact */
    CHECK_INT(ipl_dict_find(t, "alph", 4, &id), IPL_ENOTFOUND);    /* no prefix matches */
    CHECK_INT(ipl_dict_find(t, "alpha", 5, &id), IPL_OK);
    CHECK_INT(id, 1);
    CHECK_INT(ipl_dict_find_folded(t, "AlPhA", 5, &id), IPL_OK);
    CHECK_INT(id, 1);
    ipl_rtxn_end(t);

    /* a second commit: known strings keep their ids, new ones continue the sequence */
    static const char *const second[] = {"gamma", "delta", "beta"};
    commit_hosts(st, second, 3);
    CHECK_INT(find(st, "gamma"), 4);
    CHECK_INT(find(st, "beta"), 3);
    CHECK_INT(find(st, "delta"), 5);

    /* a new handle (empty writer cache) still finds the old ids */
    ipl_store_close(st);
    st = open_rw(dir);
    if (st) {
        static const char *const third[] = {"epsilon", "alpha", "delta"};
        commit_hosts(st, third, 3);
        CHECK_INT(find(st, "alpha"), 1);
        CHECK_INT(find(st, "delta"), 5);
        CHECK_INT(find(st, "epsilon"), 6);
        /* the events point at the right strings */
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        ipl_event ev;
        CHECK_INT(ipl_store_get(t, 5, &ev, &d), IPL_OK);   /* second commit: gamma, delta, beta */
        CHECK_STR(ev.host, "gamma");
        CHECK_INT(ipl_store_get(t, 6, &ev, &d), IPL_OK);
        CHECK_STR(ev.host, "delta");
        CHECK_INT(ipl_store_get(t, 8, &ev, &d), IPL_OK);
        CHECK_STR(ev.host, "epsilon");
        ipl_store_stats sst;
        CHECK_INT(ipl_store_stats_get(t, &sst, &d), IPL_OK);
        CHECK_INT(sst.dict, 6);
        ipl_rtxn_end(t);
    }
    ipl_store_close(st);
    rm_rf(dir);
}

static void test_folding(void)
{
    char dir[64];
    tmpdir(dir);
    ipl_store *st = open_rw(dir);
    if (!st) {
        rm_rf(dir);
        return;
    }
    /* a mixed-case host interns its folded form first, then itself */
    static const char *const hosts[] = {"Laptop-7Q2", "LAPTOP-7q2", "laptop-7q2", "Ünïcode-X"};
    commit_hosts(st, hosts, 4);
    uint32_t folded = find(st, "laptop-7q2"), m1 = find(st, "Laptop-7Q2"),
             m2 = find(st, "LAPTOP-7q2");
    CHECK(folded != 0 && m1 != 0 && m2 != 0);
    CHECK(folded < m1 && m1 < m2);
    CHECK(folded != m1 && m1 != m2);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    uint32_t id = 0;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_dict_find_folded(t, "LAPTOP-7Q2", 10, &id), IPL_OK);
    CHECK_INT(id, folded);
    /* only ASCII letters fold; other bytes are compared as they are */
    CHECK_INT(ipl_dict_find_folded(t, "ÜNÏCODE-X", strlen("ÜNÏCODE-X"), &id), IPL_ENOTFOUND);
    CHECK_INT(ipl_dict_find_folded(t, "Ünïcode-x", strlen("Ünïcode-x"), &id), IPL_OK);
    CHECK_STR(ipl_dict_str(t, id), "Ünïcode-x");
    CHECK_INT(ipl_dict_find_folded(t, "", 0, &id), IPL_ENOTFOUND);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    rm_rf(dir);
}

/* A commit that hits MDB_MAP_FULL is replayed: the ids of the aborted attempt are not kept, so
 * the ids stay 1..n with no holes and every string maps back to itself. */
static void test_ids_dense_after_growth(void)
{
    char dir[64];
    tmpdir(dir);
    setenv("IPLEDGER_MAP_SIZE", "65536", 1);
    ipl_store *st = open_rw(dir);
    unsetenv("IPLEDGER_MAP_SIZE");
    if (!st) {
        rm_rf(dir);
        return;
    }
    enum { N = 3000 };
    static char names[N][24];
    static const char *ptrs[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "host-%05d", i);
        ptrs[i] = names[i];
    }
    commit_hosts(st, ptrs, N);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    ipl_store_stats s;
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.dict, N + 1);              /* N hosts and the source */
    CHECK(s.map_size > 65536);
    int bad = 0;
    for (uint32_t id = 1; id <= N + 1; id++) {
        const char *str = ipl_dict_str(t, id);
        uint32_t back = 0;
        if (!str || ipl_dict_find(t, str, strlen(str), &back) || back != id)
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(ipl_dict_str(t, N + 2) == NULL);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    rm_rf(dir);
}

static void test_dcache(void)
{
    ipl_dcache c;
    uint32_t id = 0;
    CHECK_INT(ipl_dcache_init(&c, 16), IPL_OK);
    CHECK_INT(ipl_dcache_get(&c, "a", 1, &id), IPL_ENOTFOUND);
    ipl_dcache_put(&c, "a", 1, 7);
    ipl_dcache_put(&c, "ab", 2, 8);
    ipl_dcache_put(&c, "a\0b", 3, 9);      /* lengths, not C strings */
    CHECK_INT(ipl_dcache_get(&c, "a", 1, &id), IPL_OK);
    CHECK_INT(id, 7);
    CHECK_INT(ipl_dcache_get(&c, "ab", 2, &id), IPL_OK);
    CHECK_INT(id, 8);
    CHECK_INT(ipl_dcache_get(&c, "a\0b", 3, &id), IPL_OK);
    CHECK_INT(id, 9);
    CHECK_INT(ipl_dcache_get(&c, "abc", 2, &id), IPL_OK);  /* only len bytes count */
    CHECK_INT(id, 8);
    CHECK_INT(ipl_dcache_get(&c, "b", 1, &id), IPL_ENOTFOUND);
    /* the copy is the cache's own */
    char buf[8] = "xyz";
    ipl_dcache_put(&c, buf, 3, 10);
    memcpy(buf, "QQQ", 3);
    CHECK_INT(ipl_dcache_get(&c, "xyz", 3, &id), IPL_OK);
    CHECK_INT(id, 10);
    CHECK_INT(ipl_dcache_get(&c, "QQQ", 3, &id), IPL_ENOTFOUND);
    /* bounded: filling past three quarters empties it (and it keeps working) */
    for (uint32_t i = 0; i < 40; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%u", i);
        ipl_dcache_put(&c, k, (size_t)n, 100 + i);
        CHECK(c.count <= 12);
        CHECK_INT(ipl_dcache_get(&c, k, (size_t)n, &id), IPL_OK);
        CHECK_INT(id, 100 + i);
    }
    ipl_dcache_clear(&c);
    CHECK_INT(c.count, 0);
    CHECK_INT(ipl_dcache_get(&c, "k39", 3, &id), IPL_ENOTFOUND);
    ipl_dcache_release(&c);
    ipl_dcache_release(&c);                 /* twice is harmless */
}

int main(void)
{
    RUN(test_ids);
    RUN(test_folding);
    RUN(test_ids_dense_after_growth);
    RUN(test_dcache);
    return check_summary();
}
