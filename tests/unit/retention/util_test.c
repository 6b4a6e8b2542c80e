/* tests/unit/retention/util_test.c — the shared helpers of retention/ (retention/util.c): the
 * bounded string builder (its cap is a hard limit that sticks, JSON escaping of every control
 * byte), JSON reading (errors name the input and the byte, nesting and trailing text refused,
 * integers as numbers up to 2^53 or decimal strings), the per-source counter map (a full map
 * counts the rest under `other`, sorted by count then name), kind and source patterns, and the
 * advisory lock files (a second exclusive holder gets IPL_EBUSY; closing releases).
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/event.h"
#include "retention/retention_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_builder(void)
{
    ipl_sb b;
    ipl_sb_init(&b, 64);
    ipl_sb_puts(&b, "{\"a\":");
    ipl_sb_json_str(&b, "q\"\\\n\r\t\x01\x7f");
    ipl_sb_puts(&b, ",\"b\":");
    ipl_sb_json_str(&b, NULL);
    ipl_sb_printf(&b, ",\"n\":%d}", 42);
    CHECK_INT(b.err, 0);
    char *s = ipl_sb_take(&b);
    CHECK_STR(s, "{\"a\":\"q\\\"\\\\\\n\\r\\t\\u0001\\u007f\",\"b\":null,\"n\":42}");
    free(s);
    CHECK(b.p == NULL && b.n == 0);     /* taken: the builder is empty */

    /* the cap is a hard limit: hitting it sets IPL_ELIMIT, later writes do nothing */
    ipl_sb_init(&b, 10);
    ipl_sb_puts(&b, "0123456789");
    CHECK_INT(b.err, 0);
    CHECK_INT(b.n, 10);
    ipl_sb_puts(&b, "x");
    CHECK_INT(b.err, IPL_ELIMIT);
    ipl_sb_release(&b);
    ipl_sb_init(&b, 10);
    ipl_sb_puts(&b, "abc");
    ipl_sb_json_str(&b, "abcd");          /* may need up to 4 * 6 + 2 bytes: refused */
    CHECK_INT(b.err, IPL_ELIMIT);
    CHECK_STR(b.p, "abc");
    ipl_sb_release(&b);

    /* printf longer than its stack buffer */
    char big[1500];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ipl_sb_init(&b, 4096);
    ipl_sb_printf(&b, "<%s>", big);
    CHECK_INT(b.err, 0);
    CHECK_INT(b.n, sizeof big + 1);
    CHECK(b.p && b.p[0] == '<' && b.p[b.n - 1] == '>' && b.p[b.n] == '\0');
    ipl_sb_release(&b);

    ipl_sb_init(&b, 8);
    s = ipl_sb_take(&b);                  /* nothing written: an empty string, not NULL */
    CHECK(s && s[0] == '\0');
    free(s);
}

static void test_json(void)
{
    ipl_diag d = {0};
    cJSON *j;
    const char *bad = "{\"a\": 1,}";
    CHECK_INT(ipl_rj_parse(bad, strlen(bad), 8, "policy.json", &j, &d), IPL_EPARSE);
    CHECK(j == NULL && strstr(d.msg, "policy.json: invalid JSON at byte ") != NULL);
    const char *trail = "{\"a\": 1} x";
    CHECK_INT(ipl_rj_parse(trail, strlen(trail), 8, "hold", &j, &d), IPL_EPARSE);
    CHECK(strstr(d.msg, "hold: unexpected text after the JSON value at byte 9") != NULL);
    const char *deep = "{\"a\":[[{\"b\":[1]}]]}";          /* 5 levels */
    CHECK_INT(ipl_rj_parse(deep, strlen(deep), 4, "x", &j, &d), IPL_ELIMIT);
    CHECK(strstr(d.msg, "nested deeper than 4 levels") != NULL);
    CHECK_INT(ipl_rj_parse(deep, strlen(deep), 5, "x", &j, &d), IPL_OK);
    cJSON_Delete(j);
    /* the length bounds the parse: what follows is not read */
    const char *cut = "{\"a\":1}GARBAGE";
    CHECK_INT(ipl_rj_parse(cut, 7, 8, "x", &j, &d), IPL_OK);
    cJSON_Delete(j);

    const char *txt = "{\"s\":\"v\",\"n\":9007199254740992,\"big\":9007199254740994,\"neg\":-5,"
                      "\"frac\":1.5,\"str\":\"18446744073709551615\",\"sneg\":\"-12\","
                      "\"over\":\"18446744073709551616\",\"empty\":\"\",\"t\":true}";
    CHECK_INT(ipl_rj_parse(txt, strlen(txt), 8, "x", &j, &d), IPL_OK);
    uint64_t u = 0;
    int64_t i = 0;
    CHECK_STR(ipl_rj_str(j, "s"), "v");
    CHECK(ipl_rj_str(j, "n") == NULL && ipl_rj_str(j, "nope") == NULL);
    CHECK_INT(ipl_rj_u64(j, "n", &u), IPL_OK);
    CHECK(u == UINT64_C(9007199254740992));
    CHECK_INT(ipl_rj_u64(j, "big", &u), IPL_EINVAL);     /* beyond 2^53 as a number: inexact */
    CHECK_INT(ipl_rj_u64(j, "neg", &u), IPL_EINVAL);
    CHECK_INT(ipl_rj_u64(j, "frac", &u), IPL_EINVAL);
    CHECK_INT(ipl_rj_u64(j, "str", &u), IPL_OK);          /* as a decimal string: exact */
    CHECK(u == UINT64_MAX);
    CHECK_INT(ipl_rj_u64(j, "over", &u), IPL_EINVAL);
    CHECK_INT(ipl_rj_u64(j, "sneg", &u), IPL_EINVAL);
    CHECK_INT(ipl_rj_u64(j, "t", &u), IPL_EINVAL);
    CHECK_INT(ipl_rj_u64(j, "nope", &u), IPL_ENOTFOUND);
    CHECK_INT(ipl_rj_i64(j, "neg", &i), IPL_OK);
    CHECK_INT(i, -5);
    CHECK_INT(ipl_rj_i64(j, "sneg", &i), IPL_OK);
    CHECK_INT(i, -12);
    CHECK_INT(ipl_rj_i64(j, "empty", &i), IPL_EINVAL);
    CHECK_INT(ipl_rj_i64(j, "frac", &i), IPL_EINVAL);
    CHECK_INT(ipl_rj_i64(j, "str", &i), IPL_EINVAL);      /* does not fit an int64 */
    CHECK_INT(ipl_rj_i64(j, "nope", &i), IPL_ENOTFOUND);
    cJSON_Delete(j);
}

static void test_strcount(void)
{
    ipl_strcount m;
    CHECK_INT(ipl_strcount_init(&m, 3), IPL_OK);
    CHECK_INT(ipl_strcount_add(&m, "b", 5), IPL_OK);
    CHECK_INT(ipl_strcount_add(&m, "a", 5), IPL_OK);
    CHECK_INT(ipl_strcount_add(&m, NULL, 1), IPL_OK);     /* no name counts as "" */
    CHECK_INT(ipl_strcount_add(&m, "d", 7), IPL_OK);      /* the map is full: under other */
    CHECK_INT(ipl_strcount_add(&m, "b", 10), IPL_OK);     /* a known name still counts */
    CHECK_INT(m.count, 3);
    CHECK_INT(m.other, 7);
    size_t n = 0;
    struct ipl_sc_slot *s = ipl_strcount_sorted(&m, &n);
    CHECK_INT(n, 3);
    if (s && n == 3) {
        CHECK_STR(s[0].s, "b");
        CHECK_INT(s[0].n, 15);
        CHECK_STR(s[1].s, "a");                           /* 5: before "" (1) */
        CHECK_STR(s[2].s, "");
    }
    free(s);
    ipl_strcount_release(&m);

    /* many names: every one counted once, in a table that grows to twice the cap */
    CHECK_INT(ipl_strcount_init(&m, 1000), IPL_OK);
    char name[32];
    for (int k = 0; k < 1500; k++) {
        snprintf(name, sizeof name, "file:/var/log/%d.log", k % 1200);
        CHECK_INT(ipl_strcount_add(&m, name, 1), IPL_OK);
    }
    CHECK_INT(m.count, 1000);
    uint64_t total = m.other;
    s = ipl_strcount_sorted(&m, &n);
    for (size_t k = 0; k < n; k++)
        total += s[k].n;
    CHECK_INT(total, 1500);
    CHECK(n == 1000 && s[0].n == 2 && s[n - 1].n == 1);
    free(s);
    ipl_strcount_release(&m);
}

static void test_patterns(void)
{
    ipl_kindset k;
    ipl_diag d = {0};
    memset(&k, 0, sizeof k);
    CHECK_INT(ipl_kindset_add(&k, "lease.assign", &d), IPL_OK);
    CHECK(ipl_kindset_has(&k, IPL_K_LEASE_ASSIGN) && !ipl_kindset_has(&k, IPL_K_LEASE_RENEW));
    CHECK(!k.purge_named && k.any);
    CHECK_INT(ipl_kindset_add(&k, "lease.*", &d), IPL_OK);
    CHECK(ipl_kindset_has(&k, IPL_K_LEASE_RENEW) && ipl_kindset_has(&k, IPL_K_LEASE_RELEASE));
    CHECK(!ipl_kindset_has(&k, IPL_K_RETENTION_PURGE));
    CHECK_INT(ipl_kindset_add(&k, "lease.nosuch", &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'lease.nosuch' names no event kind") != NULL);
    CHECK_INT(ipl_kindset_add(&k, "nosuch.*", &d), IPL_EINVAL);
    CHECK_INT(ipl_kindset_add(&k, "unknown", &d), IPL_EINVAL);   /* never a kind to purge by */
    CHECK_INT(ipl_kindset_add(&k, "retention.purge", &d), IPL_OK);
    CHECK(k.purge_named && ipl_kindset_has(&k, IPL_K_RETENTION_PURGE));
    CHECK(!ipl_kindset_has(&k, 300));
    ipl_kindset all;
    memset(&all, 0, sizeof all);
    CHECK_INT(ipl_kindset_add(&all, "*", &d), IPL_OK);
    CHECK(ipl_kindset_has(&all, IPL_K_LEASE_ASSIGN) && ipl_kindset_has(&all, IPL_K_RETENTION_PURGE));
    CHECK(!all.purge_named);

    CHECK(ipl_source_match("file:/var/log/a.log", "file:/var/log/a.log"));
    CHECK(!ipl_source_match("file:/var/log/a.log", "file:/var/log/a.log.1"));
    CHECK(ipl_source_match("file:/var/log/*", "file:/var/log/a.log.1"));
    CHECK(!ipl_source_match("file:/var/log/*", "file:/var/lo"));
    CHECK(ipl_source_match("*", "stdin:x"));
    CHECK(!ipl_source_match("*", NULL));
}

static void test_locks(void)
{
    char dir[] = "/tmp/ipl-rutil-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ipl_diag d = {0};
    int a = -1, b = -1, c = -1;
    CHECK_INT(ipl_lock_file(dir, "purge.lock", IPL_LOCK_EX, &a, &d), IPL_OK);
    CHECK(a >= 0);
    /* flock locks belong to the open file: a second open in this process is another holder */
    CHECK_INT(ipl_lock_file(dir, "purge.lock", IPL_LOCK_EX | IPL_LOCK_NB, &b, &d), IPL_EBUSY);
    CHECK(b == -1 && strstr(d.msg, "purge.lock' is locked by another process") != NULL);
    CHECK_INT(ipl_lock_file(dir, "purge.lock", IPL_LOCK_SH | IPL_LOCK_NB, &b, &d), IPL_EBUSY);
    CHECK_INT(ipl_lock_file(dir, "hold.lock", IPL_LOCK_SH | IPL_LOCK_NB, &b, &d), IPL_OK);
    CHECK_INT(ipl_lock_file(dir, "hold.lock", IPL_LOCK_SH | IPL_LOCK_NB, &c, &d), IPL_OK);  /* shared */
    ipl_unlock_file(c);
    ipl_unlock_file(b);
    ipl_unlock_file(a);
    CHECK_INT(ipl_lock_file(dir, "purge.lock", IPL_LOCK_EX | IPL_LOCK_NB, &b, &d), IPL_OK);
    ipl_unlock_file(b);
    ipl_unlock_file(-1);                  /* no descriptor: nothing to do */

    char longdir[4300];
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    CHECK_INT(ipl_lock_file(longdir, "purge.lock", IPL_LOCK_EX, &a, &d), IPL_ELIMIT);
    CHECK_INT(ipl_lock_file("/nonexistent-dir-ipl", "purge.lock", IPL_LOCK_EX, &a, &d), IPL_EIO);
    CHECK(a == -1 && strstr(d.msg, "cannot open lock file '/nonexistent-dir-ipl/purge.lock'") != NULL);

    long pid = 1;
    CHECK_INT(ipl_store_in_use(dir, &pid), 0);   /* no lock.mdb: nobody has the store open */
    CHECK_INT(pid, 0);
    char p[256];
    snprintf(p, sizeof p, "%s/purge.lock", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/hold.lock", dir);
    unlink(p);
    rmdir(dir);

    char who[64];
    ipl_principal(who, sizeof who);
    CHECK(strncmp(who, "os:", 3) == 0 && strlen(who) > 3);
    char host[8];
    ipl_hostname(host, sizeof host);
    CHECK(host[0] && strlen(host) < sizeof host);
}

int main(void)
{
    RUN(test_builder);
    RUN(test_json);
    RUN(test_strcount);
    RUN(test_patterns);
    RUN(test_locks);
    return check_summary();
}
