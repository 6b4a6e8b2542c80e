/* tests/unit/engine/store_test.c — the event store (engine/store.c): opening (create, missing,
 * newer format, read-only directory), batches and commits (sequence numbers, exact fields back,
 * limits), case-insensitive host/user keys, quarantine, source positions, stats, the hash chain
 * (changes per batch, independent of where batches are cut) and map growth from a tiny map.
 * Every store lives in a mkdtemp() directory under /tmp that the test removes.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 (INT64_C(1714551332) * 1000000)   /* 2024-05-01T08:15:32Z */
#define SEC INT64_C(1000000)

/* ---- temporary directories ---------------------------------------------------------------- */

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
    snprintf(buf, 64, "/tmp/ipl-store-test-XXXXXX");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(2);
    }
    return buf;
}

static void path_join(char *out, size_t n, const char *a, const char *b)
{
    snprintf(out, n, "%s/%s", a, b);
}

/* ---- events -------------------------------------------------------------------------------- */

static void set_ip(ipl_event *ev, const char *ip)
{
    ev->has_ip = 0;
    if (ip && ipl_ip_parse(ip, strlen(ip), ev->ip) == IPL_OK)
        ev->has_ip = 1;
    if (ip && !ev->has_ip)
        fprintf(stderr, "bad test ip %s\n", ip);
}

static void mkev(ipl_event *ev, int64_t ts, unsigned kind, const char *ip, const char *mac,
                 const char *host, const char *source, uint64_t line)
{
    ipl_event_reset(ev);
    ev->ts = ts;
    ev->kind = (uint16_t)kind;
    set_ip(ev, ip);
    ev->mac = mac;
    ev->host = host;
    ev->source = source;
    ev->line = line;
}

static ipl_store *open_new(const char *dir)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int rc = ipl_store_open(&st, dir, IPL_STORE_CREATE, &d);
    CHECK_INT(rc, IPL_OK);
    if (rc)
        fprintf(stderr, "  open: %s\n", d.msg);
    return st;
}

static int add(ipl_batch *b, const ipl_event *ev)
{
    ipl_diag d = {0};
    int rc = ipl_batch_add(b, ev, &d);
    if (rc)
        fprintf(stderr, "  batch_add: %s\n", d.msg);
    return rc;
}

static int commit(ipl_store *st, ipl_batch *b, ipl_commit_info *ci)
{
    ipl_diag d = {0};
    int rc = ipl_store_commit(st, b, ci, &d);
    if (rc)
        fprintf(stderr, "  commit: %s\n", d.msg);
    return rc;
}

/* ---- opening ------------------------------------------------------------------------------- */

static void test_default_dir(void)
{
    CHECK_STR(ipl_store_default_dir("/x/y"), "/x/y");
    setenv("IPLEDGER_STORE", "/from/env", 1);
    CHECK_STR(ipl_store_default_dir(NULL), "/from/env");
    CHECK_STR(ipl_store_default_dir(""), "/from/env");
    CHECK_STR(ipl_store_default_dir("/flag"), "/flag");
    unsetenv("IPLEDGER_STORE");
    CHECK_STR(ipl_store_default_dir(NULL), IPL_STORE_DEFAULT_DIR);
}

static void test_open_create(void)
{
    char base[64], dir[256], f[300];
    tmpdir(base);
    path_join(dir, sizeof dir, base, "a/b/store");
    ipl_store *st = open_new(dir);
    CHECK(st != NULL);
    struct stat sb;
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode));
    path_join(f, sizeof f, dir, "data.mdb");
    CHECK(stat(f, &sb) == 0);
    if (st)
        CHECK_STR(ipl_store_dir(st), dir);
    ipl_store_close(st);

    /* an existing store opens without CREATE, read-write and read-only */
    ipl_diag d = {0};
    st = NULL;
    CHECK_INT(ipl_store_open(&st, dir, 0, &d), IPL_OK);
    ipl_store_close(st);
    st = NULL;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, &d), IPL_OK);
    if (st) {
        ipl_rtxn *t = NULL;
        ipl_store_stats s;
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
        CHECK_INT(s.format, IPL_STORE_FORMAT);
        CHECK_INT(s.events, 0);
        CHECK_INT(ipl_store_last_seq(t), 0);
        ipl_rtxn_end(t);
        /* a read-only handle refuses to commit */
        ipl_batch *b = NULL;
        ipl_event ev;
        CHECK_INT(ipl_batch_new(&b), IPL_OK);
        mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbccddeeff", NULL, "test", 1);
        CHECK_INT(add(b, &ev), IPL_OK);
        CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_EACCES);
        ipl_batch_free(b);
    }
    ipl_store_close(st);

    /* a file where the directory should be */
    path_join(f, sizeof f, base, "plainfile");
    FILE *fp = fopen(f, "w");
    if (fp)
        fclose(fp);
    st = NULL;
    CHECK(ipl_store_open(&st, f, IPL_STORE_CREATE, &d) != IPL_OK);
    CHECK(st == NULL);
    rm_rf(base);
}

static void test_open_missing(void)
{
    char base[64], dir[256];
    tmpdir(base);
    path_join(dir, sizeof dir, base, "nope");
    ipl_store *st = (ipl_store *)&st;   /* must be reset to NULL */
    ipl_diag d = {0};
    CHECK_INT(ipl_store_open(&st, dir, 0, &d), IPL_ENOTFOUND);
    CHECK(st == NULL);
    CHECK_INT(d.code, IPL_ENOTFOUND);
    CHECK(strstr(d.msg, dir) != NULL);
    struct stat sb;
    CHECK(stat(dir, &sb) != 0);          /* not created */
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, &d), IPL_ENOTFOUND);
    CHECK(stat(dir, &sb) != 0);

    /* an existing but empty directory holds no store: without CREATE it is not made one */
    char data[300];
    path_join(data, sizeof data, dir, "data.mdb");
    mkdir(dir, 0755);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_RDONLY, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, dir) != NULL);
    CHECK_INT(ipl_store_open(&st, dir, 0, &d), IPL_ENOTFOUND);
    CHECK(st == NULL);
    CHECK(strstr(d.msg, dir) != NULL);
    CHECK(stat(data, &sb) != 0);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_OK);   /* CREATE makes it */
    ipl_store_close(st);
    CHECK(stat(data, &sb) == 0);
    rm_rf(base);
}

/* Writes meta "format" with raw LMDB calls, as a newer ipledger would. */
static int write_raw_format(const char *dir, uint32_t fmt)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, 32);
    if (!rc)
        rc = mdb_env_open(env, dir, 0, 0664);
    if (!rc)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "meta", 0, &dbi);
    if (!rc) {
        uint8_t v[4] = {(uint8_t)(fmt >> 24), (uint8_t)(fmt >> 16), (uint8_t)(fmt >> 8), (uint8_t)fmt};
        MDB_val k = {6, (void *)"format"}, val = {4, v};
        rc = mdb_put(txn, dbi, &k, &val, 0);
    }
    if (!rc) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    if (rc)
        fprintf(stderr, "  raw lmdb: %s\n", mdb_strerror(rc));
    return rc;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void test_open_newer_format(void)
{
    char base[64], data[300];
    tmpdir(base);
    ipl_store *st = open_new(base);
    ipl_batch *b = NULL;
    ipl_event ev;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbccddeeff", "h", "test", 1);
    CHECK_INT(add(b, &ev), IPL_OK);
    if (st)
        CHECK_INT(commit(st, b, NULL), IPL_OK);
    ipl_batch_free(b);
    ipl_store_close(st);

    CHECK_INT(write_raw_format(base, IPL_STORE_FORMAT + 1), 0);
    path_join(data, sizeof data, base, "data.mdb");
    size_t n0 = 0, n1 = 0;
    unsigned char *before = slurp(data, &n0);
    CHECK(before != NULL);

    static const unsigned modes[] = {0, IPL_STORE_CREATE, IPL_STORE_RDONLY};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        ipl_diag d = {0};
        st = NULL;
        CHECK_INT(ipl_store_open(&st, base, modes[i], &d), IPL_EFORMAT);
        CHECK(st == NULL);
        CHECK(strstr(d.msg, "newer") != NULL);
        CHECK(strstr(d.msg, base) != NULL);
        ipl_store_close(st);
    }
    unsigned char *after = slurp(data, &n1);
    CHECK(after != NULL);
    CHECK_INT(n1, n0);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);   /* not modified */
    free(before);
    free(after);

    /* back to the current format: opens again, the event is still there */
    CHECK_INT(write_raw_format(base, IPL_STORE_FORMAT), 0);
    ipl_diag d = {0};
    st = NULL;
    CHECK_INT(ipl_store_open(&st, base, IPL_STORE_RDONLY, &d), IPL_OK);
    if (st) {
        ipl_rtxn *t = NULL;
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        CHECK_INT(ipl_store_last_seq(t), 1);
        ipl_rtxn_end(t);
    }
    ipl_store_close(st);

    /* format 0 / an unreadable field is refused too */
    CHECK_INT(write_raw_format(base, 0), 0);
    st = NULL;
    CHECK(ipl_store_open(&st, base, IPL_STORE_RDONLY, &d) != IPL_OK);
    CHECK(st == NULL);

    /* an older format (3: DUPSORT indexes; format 4 is upgraded, tests/unit/engine/ipnow_test.c)
     * is refused in every mode, never read with this build's key layout, and left as it was */
    CHECK_INT(write_raw_format(base, 3), 0);
    before = slurp(data, &n0);
    CHECK(before != NULL);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        ipl_diag od = {0};
        st = NULL;
        CHECK_INT(ipl_store_open(&st, base, modes[i], &od), IPL_EFORMAT);
        CHECK(st == NULL);
        CHECK(strstr(od.msg, "older") != NULL);
        CHECK(strstr(od.msg, base) != NULL);
        ipl_store_close(st);
    }
    after = slurp(data, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    rm_rf(base);
}

static void test_open_readonly_dir(void)
{
    char base[64], dir[256], sub[300];
    tmpdir(base);
    path_join(dir, sizeof dir, base, "ro");
    ipl_store *st = open_new(dir);
    ipl_store_close(st);
    CHECK(chmod(dir, 0555) == 0);
    if (access(dir, W_OK) == 0) {
        printf("test_open_readonly_dir: skipped: running as root, a 0555 directory stays "
               "writable\n");
        fprintf(stderr, "  skipped: running as root (a 0555 directory stays writable)\n");
    } else {
        ipl_diag d = {0};
        st = NULL;
        CHECK_INT(ipl_store_open(&st, dir, 0, &d), IPL_EACCES);
        CHECK(st == NULL);
        CHECK(strstr(d.msg, dir) != NULL);
        CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_EACCES);
        /* a new store below a read-only directory cannot be created */
        path_join(sub, sizeof sub, dir, "new");
        CHECK_INT(ipl_store_open(&st, sub, IPL_STORE_CREATE, &d), IPL_EACCES);
        CHECK(strstr(d.msg, sub) != NULL);
    }
    chmod(dir, 0755);
    rm_rf(base);
}

/* ---- writing and reading back -------------------------------------------------------------- */

static void test_commit_seqs(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_commit_info ci;
    ipl_event ev;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; i < 10; i++) {
        mkev(&ev, T0 + i * SEC, IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbccddeeff", NULL, "src", (uint64_t)i + 1);
        CHECK_INT(add(b, &ev), IPL_OK);
    }
    CHECK_INT(ipl_batch_events(b), 10);
    CHECK(ipl_batch_bytes(b) > 0);
    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.first_seq, 1);
    CHECK_INT(ci.last_seq, 10);
    ipl_batch_clear(b);
    CHECK_INT(ipl_batch_events(b), 0);
    for (int i = 0; i < 5; i++) {
        mkev(&ev, T0 + (100 + i) * SEC, IPL_K_LEASE_RENEW, "10.0.0.2", NULL, NULL, "src", 20);
        CHECK_INT(add(b, &ev), IPL_OK);
    }
    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.first_seq, 11);
    CHECK_INT(ci.last_seq, 15);
    ipl_batch_clear(b);
    /* a batch without events */
    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.first_seq, 0);
    CHECK_INT(ci.last_seq, 0);
    /* cleared events are not committed */
    mkev(&ev, T0, IPL_K_LEASE_RENEW, "10.0.0.3", NULL, NULL, "src", 21);
    CHECK_INT(add(b, &ev), IPL_OK);
    ipl_batch_clear(b);
    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.last_seq, 0);

    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_last_seq(t), 15);
    for (uint64_t s = 1; s <= 15; s++) {
        CHECK_INT(ipl_store_get(t, s, &ev, &d), IPL_OK);
        CHECK_INT(ev.seq, s);
        CHECK_INT(ev.ts, s <= 10 ? T0 + (int64_t)(s - 1) * SEC : T0 + (int64_t)(100 + s - 11) * SEC);
    }
    CHECK_INT(ipl_store_get(t, 0, &ev, &d), IPL_ENOTFOUND);
    CHECK_INT(ipl_store_get(t, 16, &ev, &d), IPL_ENOTFOUND);
    ipl_rtxn_end(t);

    /* a new handle continues the numbering */
    ipl_store_close(st);
    st = open_new(base);
    if (st) {
        mkev(&ev, T0, IPL_K_LEASE_RENEW, "10.0.0.3", NULL, NULL, "src", 22);
        CHECK_INT(add(b, &ev), IPL_OK);
        CHECK_INT(commit(st, b, &ci), IPL_OK);
        CHECK_INT(ci.first_seq, 16);
        CHECK_INT(ci.last_seq, 16);
    }
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

static const char *attr_of(const ipl_event *ev, unsigned key, char *buf, size_t n)
{
    size_t len = 0;
    const char *v = ipl_event_attr(ev, key, &len);
    if (!v)
        return NULL;
    if (len >= n)
        len = n - 1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return buf;
}

static void test_get_fields(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_commit_info ci;
    ipl_event ev;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);

    /* event 1: v4, every string, interned and inline attributes; built in buffers that are
     * overwritten right after ipl_batch_add (the batch must have copied them) */
    char mac[16], host[64], user[64], server[32], source[64], xid[16], vendor[16], msg[64];
    snprintf(mac, sizeof mac, "3c52826a1b2f");
    snprintf(host, sizeof host, "LAPTOP-7Q2.Corp.Example.com");
    snprintf(user, sizeof user, "CORP\\Alice");
    snprintf(server, sizeof server, "dhcp01");
    snprintf(source, sizeof source, "file:/var/log/DhcpSrvLog-Wed.log");
    snprintf(xid, sizeof xid, "1512734587");
    snprintf(vendor, sizeof vendor, "MSFT 5.0");
    snprintf(msg, sizeof msg, "inline, with \"quotes\"");
    mkev(&ev, T0 + 123456, IPL_K_LEASE_ASSIGN, "10.20.30.41", mac, host, source, 42);
    ev.user = user;
    ev.server = server;
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_XID, xid, strlen(xid)), IPL_OK);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_VENDOR, vendor, strlen(vendor)), IPL_OK);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg)), IPL_OK);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_DESC, "with\0nul", 8), IPL_OK);
    CHECK_INT(add(b, &ev), IPL_OK);
    memset(mac, 'X', sizeof mac - 1);
    memset(host, 'X', sizeof host - 1);
    memset(user, 'X', sizeof user - 1);
    memset(server, 'X', sizeof server - 1);
    memset(source, 'X', sizeof source - 1);
    memset(xid, 'X', sizeof xid - 1);
    memset(vendor, 'X', sizeof vendor - 1);
    memset(msg, 'X', sizeof msg - 1);

    /* event 2: v6 with a DUID, no mac/host/user */
    mkev(&ev, T0 + 2 * SEC, IPL_K_LEASE_V6_CONFIRM, "2001:db8::abcd", NULL, NULL, "file:/v6.log", 7);
    ev.duid = "000100012b3c4d5e3c52826a1b2f";
    CHECK_INT(add(b, &ev), IPL_OK);

    /* event 3: no IP, empty strings count as none */
    mkev(&ev, T0 + 3 * SEC, IPL_K_LOG_START, NULL, NULL, "", "file:/v6.log", 8);
    ev.user = "";
    ev.server = "";
    CHECK_INT(add(b, &ev), IPL_OK);

    /* event 4: an interned-kind attribute longer than a dictionary string is kept inline */
    static char longval[IPL_STR_MAX + 100];
    memset(longval, 'v', sizeof longval);
    mkev(&ev, T0 + 4 * SEC, IPL_K_LEASE_RENEW, "10.20.30.41", "3c52826a1b2f", "laptop-7q2.corp.example.com",
         "file:/var/log/DhcpSrvLog-Wed.log", 43);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_VENDOR, longval, sizeof longval), IPL_OK);
    CHECK_INT(add(b, &ev), IPL_OK);

    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.last_seq, 4);

    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    char abuf[IPL_STR_MAX + 200], ipb[IPL_IP_TEXT];
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_get(t, 1, &ev, &d), IPL_OK);
    CHECK_INT(ev.seq, 1);
    CHECK_INT(ev.ts, T0 + 123456);
    CHECK_INT(ev.kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(ev.has_ip, 1);
    ipl_ip_format(ev.ip, ipb, sizeof ipb);
    CHECK_STR(ipb, "10.20.30.41");
    CHECK_STR(ev.mac, "3c52826a1b2f");
    CHECK_STR(ev.duid, NULL);
    CHECK_STR(ev.host, "LAPTOP-7Q2.Corp.Example.com");   /* as logged, not folded */
    CHECK_STR(ev.user, "CORP\\Alice");
    CHECK_STR(ev.server, "dhcp01");
    CHECK_STR(ev.source, "file:/var/log/DhcpSrvLog-Wed.log");
    CHECK_INT(ev.line, 42);
    CHECK_INT(ev.nattr, 4);
    CHECK_STR(attr_of(&ev, IPL_A_XID, abuf, sizeof abuf), "1512734587");
    CHECK_STR(attr_of(&ev, IPL_A_VENDOR, abuf, sizeof abuf), "MSFT 5.0");
    CHECK_STR(attr_of(&ev, IPL_A_MESSAGE, abuf, sizeof abuf), "inline, with \"quotes\"");
    size_t len = 0;
    const char *v = ipl_event_attr(&ev, IPL_A_DESC, &len);
    CHECK_INT(len, 8);
    CHECK(v && memcmp(v, "with\0nul", 8) == 0);
    /* attribute order is kept */
    CHECK_INT(ev.attr[0].key, IPL_A_XID);
    CHECK_INT(ev.attr[1].key, IPL_A_VENDOR);
    CHECK_INT(ev.attr[3].key, IPL_A_DESC);

    CHECK_INT(ipl_store_get(t, 2, &ev, &d), IPL_OK);
    CHECK_INT(ev.kind, IPL_K_LEASE_V6_CONFIRM);
    ipl_ip_format(ev.ip, ipb, sizeof ipb);
    CHECK_STR(ipb, "2001:db8::abcd");
    CHECK_STR(ev.duid, "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(ev.mac, NULL);
    CHECK_STR(ev.host, NULL);
    CHECK_STR(ev.source, "file:/v6.log");
    CHECK_INT(ev.line, 7);
    CHECK_INT(ev.nattr, 0);

    CHECK_INT(ipl_store_get(t, 3, &ev, &d), IPL_OK);
    CHECK_INT(ev.has_ip, 0);
    CHECK_STR(ev.host, NULL);
    CHECK_STR(ev.user, NULL);
    CHECK_STR(ev.server, NULL);

    CHECK_INT(ipl_store_get(t, 4, &ev, &d), IPL_OK);
    v = ipl_event_attr(&ev, IPL_A_VENDOR, &len);
    CHECK_INT(len, sizeof longval);
    CHECK(v && memcmp(v, longval, sizeof longval) == 0);
    CHECK_STR(ev.host, "laptop-7q2.corp.example.com");

    /* dictionary: both spellings exist; the folded one is the index key of both */
    uint32_t id1 = 0, id2 = 0, idf = 0, idf2 = 0;
    CHECK_INT(ipl_dict_find(t, "LAPTOP-7Q2.Corp.Example.com", 27, &id1), IPL_OK);
    CHECK_INT(ipl_dict_find(t, "laptop-7q2.corp.example.com", 27, &id2), IPL_OK);
    CHECK(id1 != id2);
    CHECK_INT(ipl_dict_find_folded(t, "LAPTOP-7Q2.CORP.EXAMPLE.COM", 27, &idf), IPL_OK);
    CHECK_INT(ipl_dict_find_folded(t, "laptop-7q2.Corp.example.COM", 27, &idf2), IPL_OK);
    CHECK_INT(idf, id2);
    CHECK_INT(idf2, id2);
    uint8_t key[4] = {(uint8_t)(idf >> 24), (uint8_t)(idf >> 16), (uint8_t)(idf >> 8), (uint8_t)idf};
    uint64_t n = 0;
    CHECK_INT(ipl_index_count(t, IPL_IX_HOST, key, &n, &d), IPL_OK);
    CHECK_INT(n, 2);                                     /* events 1 and 4 */
    uint32_t uid = 0;
    CHECK_INT(ipl_dict_find_folded(t, "corp\\ALICE", 10, &uid), IPL_OK);
    uint8_t ukey[4] = {(uint8_t)(uid >> 24), (uint8_t)(uid >> 16), (uint8_t)(uid >> 8), (uint8_t)uid};
    CHECK_INT(ipl_index_count(t, IPL_IX_USER, ukey, &n, &d), IPL_OK);
    CHECK_INT(n, 1);
    CHECK_STR(ipl_dict_str(t, uid), "corp\\alice");
    CHECK_INT(ipl_dict_find_folded(t, "corp\\bob", 8, &uid), IPL_ENOTFOUND);
    CHECK_INT(ipl_dict_find(t, "", 0, &uid), IPL_ENOTFOUND);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

static void test_batch_limits(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    ipl_batch *b = NULL;
    ipl_event ev;
    ipl_diag d = {0};
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    static char longhost[IPL_STR_MAX + 2], maxhost[IPL_STR_MAX + 1];
    memset(longhost, 'H', IPL_STR_MAX + 1);
    memset(maxhost, 'M', IPL_STR_MAX);
    maxhost[0] = 'm';
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", "aabbccddeeff", longhost, "src", 1);
    CHECK(ipl_batch_add(b, &ev, &d) != IPL_OK);
    CHECK(d.msg[0] != '\0');
    CHECK_INT(ipl_batch_events(b), 0);
    /* the other strings are capped too */
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", longhost, NULL, "src", 1);
    CHECK(ipl_batch_add(b, &ev, &d) != IPL_OK);
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", NULL, NULL, "src", 1);
    ev.user = longhost;
    CHECK(ipl_batch_add(b, &ev, &d) != IPL_OK);
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", NULL, NULL, longhost, 1);
    CHECK(ipl_batch_add(b, &ev, &d) != IPL_OK);
    /* no source; a time before 1970 */
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", NULL, NULL, NULL, 1);
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_EINVAL);
    mkev(&ev, -1, IPL_K_LEASE_ASSIGN, "10.0.0.9", NULL, NULL, "src", 1);
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_EINVAL);
    CHECK_INT(ipl_batch_events(b), 0);
    /* attributes: more than IPL_ATTR_MAX, or a value over IPL_ATTR_VAL_MAX, are refused here
     * (the record could not hold them and the whole commit would fail) */
    static char bigval[IPL_ATTR_VAL_MAX + 1];
    memset(bigval, 'a', sizeof bigval);
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", NULL, NULL, "src", 1);
    ev.nattr = 1;
    ev.attr[0].key = IPL_A_MESSAGE;
    ev.attr[0].val = bigval;
    ev.attr[0].len = IPL_ATTR_VAL_MAX + 1;
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_ELIMIT);
    ev.nattr = IPL_ATTR_MAX + 1;
    ev.attr[0].len = 1;
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_ELIMIT);
    CHECK_INT(ipl_batch_events(b), 0);
    /* a quarantine reason longer than its 16-bit length field */
    char *reason = malloc(70000);
    if (reason) {
        memset(reason, 'r', 69999);
        reason[69999] = '\0';
        CHECK_INT(ipl_batch_quarantine(b, "src", 1, 0, reason, "x", 1, &d), IPL_ELIMIT);
        free(reason);
    }
    /* IPL_ATTR_MAX values at IPL_ATTR_VAL_MAX bytes are fine */
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.8", NULL, NULL, "src", 2);
    for (int i = 0; i < IPL_ATTR_MAX; i++)
        CHECK_INT(ipl_event_add_attr(&ev, IPL_A_MESSAGE, bigval, IPL_ATTR_VAL_MAX), IPL_OK);
    CHECK_INT(add(b, &ev), IPL_OK);
    if (st)
        CHECK_INT(commit(st, b, NULL), IPL_OK);
    ipl_batch_clear(b);
    /* exactly IPL_STR_MAX is fine and round-trips, folded lookup included */
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.9", "aabbccddeeff", maxhost, "src", 1);
    CHECK_INT(add(b, &ev), IPL_OK);
    CHECK_INT(ipl_batch_events(b), 1);
    if (st) {
        CHECK_INT(commit(st, b, NULL), IPL_OK);
        ipl_rtxn *t = NULL;
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        CHECK_INT(ipl_store_get(t, 1, &ev, &d), IPL_OK);
        CHECK_INT(ev.nattr, IPL_ATTR_MAX);
        CHECK_INT(ev.attr[IPL_ATTR_MAX - 1].len, IPL_ATTR_VAL_MAX);
        ipl_store_stats s;
        CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
        CHECK_INT(s.quarantine, 0);
        CHECK_INT(ipl_store_get(t, 2, &ev, &d), IPL_OK);
        CHECK_STR(ev.host, maxhost);
        uint32_t id = 0;
        CHECK_INT(ipl_dict_find_folded(t, maxhost, IPL_STR_MAX, &id), IPL_OK);
        CHECK_INT(ipl_dict_find_folded(t, longhost, IPL_STR_MAX + 1, &id), IPL_ENOTFOUND);
        ipl_rtxn_end(t);
    }
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

/* ---- quarantine and sources ---------------------------------------------------------------- */

typedef struct qcoll {
    int n;
    uint64_t qseq[8], line[8], offset[8];
    char source[8][64], reason[8][128];
    size_t rawlen[8];
    unsigned char raw[8][IPL_QUARANTINE_RAW_MAX];
    int64_t ingested[8];
} qcoll;

static int collect_q(void *ctx, const ipl_qentry *q)
{
    qcoll *c = ctx;
    if (c->n >= 8)
        return IPL_ELIMIT;
    int i = c->n++;
    c->qseq[i] = q->qseq;
    c->line[i] = q->line;
    c->offset[i] = q->offset;
    snprintf(c->source[i], sizeof c->source[i], "%s", q->source ? q->source : "(null)");
    snprintf(c->reason[i], sizeof c->reason[i], "%s", q->reason);
    c->rawlen[i] = q->rawlen;
    memcpy(c->raw[i], q->raw, q->rawlen <= IPL_QUARANTINE_RAW_MAX ? q->rawlen : IPL_QUARANTINE_RAW_MAX);
    c->ingested[i] = q->ingested;
    return IPL_OK;
}

static void test_quarantine(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    ipl_commit_info ci;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    static const char raw1[] = "13,05/01/24,bad\r\0line";
    static char big[IPL_QUARANTINE_RAW_MAX + 500];
    memset(big, 'B', sizeof big);
    big[0] = 'S';
    CHECK_INT(ipl_batch_quarantine(b, "file:/a.log", 12, 3456, "field 2 (Date) is bad", raw1,
                                   sizeof raw1 - 1, &d), IPL_OK);
    CHECK_INT(ipl_batch_quarantine(b, "file:/b.log", 1, 0, NULL, big, sizeof big, &d), IPL_OK);
    CHECK_INT(ipl_batch_quarantine(b, "file:/a.log", 99, 100000, "no raw", NULL, 0, &d), IPL_OK);
    CHECK_INT(commit(st, b, &ci), IPL_OK);
    CHECK_INT(ci.quarantined, 3);
    CHECK_INT(ci.first_seq, 0);
    ipl_batch_clear(b);
    CHECK_INT(ipl_batch_quarantine(b, "file:/a.log", 100, 100100, "later", "x", 1, &d), IPL_OK);
    CHECK_INT(commit(st, b, &ci), IPL_OK);

    ipl_rtxn *t = NULL;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    static qcoll c;
    memset(&c, 0, sizeof c);
    CHECK_INT(ipl_store_quarantine(t, NULL, collect_q, &c, &d), IPL_OK);
    CHECK_INT(c.n, 4);
    CHECK_INT(c.qseq[0], 1);
    CHECK_INT(c.qseq[3], 4);
    CHECK_STR(c.source[0], "file:/a.log");
    CHECK_INT(c.line[0], 12);
    CHECK_INT(c.offset[0], 3456);
    CHECK_STR(c.reason[0], "field 2 (Date) is bad");
    CHECK_INT(c.rawlen[0], sizeof raw1 - 1);
    CHECK(memcmp(c.raw[0], raw1, sizeof raw1 - 1) == 0);     /* CR and NUL kept */
    CHECK(c.ingested[0] > INT64_C(1600000000) * 1000000);    /* wall clock, µs */
    CHECK_STR(c.source[1], "file:/b.log");
    CHECK_STR(c.reason[1], "unparseable");
    CHECK_INT(c.rawlen[1], IPL_QUARANTINE_RAW_MAX);          /* capped */
    CHECK(c.raw[1][0] == 'S' && c.raw[1][IPL_QUARANTINE_RAW_MAX - 1] == 'B');
    CHECK_INT(c.rawlen[2], 0);
    CHECK_INT(c.offset[2], 100000);
    CHECK_STR(c.reason[3], "later");

    /* by source */
    memset(&c, 0, sizeof c);
    CHECK_INT(ipl_store_quarantine(t, "file:/a.log", collect_q, &c, &d), IPL_OK);
    CHECK_INT(c.n, 3);
    CHECK_INT(c.line[0], 12);
    CHECK_INT(c.line[1], 99);
    CHECK_INT(c.line[2], 100);
    memset(&c, 0, sizeof c);
    CHECK_INT(ipl_store_quarantine(t, "file:/none.log", collect_q, &c, &d), IPL_OK);
    CHECK_INT(c.n, 0);

    ipl_store_stats s;
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.quarantine, 4);
    CHECK_INT(s.events, 0);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

typedef struct scoll {
    int n;
    char name[4][64];
    uint64_t offset[4];
} scoll;

static int collect_src(void *ctx, const char *source, const ipl_source_pos *pos)
{
    scoll *c = ctx;
    if (c->n >= 4)
        return IPL_ELIMIT;
    snprintf(c->name[c->n], sizeof c->name[0], "%s", source);
    c->offset[c->n] = pos->offset;
    c->n++;
    return IPL_OK;
}

static void fill_pos(ipl_source_pos *p, uint64_t k)
{
    memset(p, 0, sizeof *p);
    p->offset = 1000 * k + 1;
    p->line = 10 * k + 2;
    p->size = 1000 * k + 500;
    p->fp_len = 4096;
    for (int i = 0; i < 32; i++) {
        p->fp[i] = (uint8_t)(i + k);
        p->tail[i] = (uint8_t)(255 - i - k);
    }
    p->tail_len = 256;
    p->last_ts = T0 + (int64_t)k;
    p->generation = k + 3;
    p->events = 12345 + k;
    p->quarantined = 7 + k;
    snprintf(p->format, sizeof p->format, "mswin-dhcp");
}

static void test_sources(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    ipl_source_pos p, got;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    fill_pos(&p, 1);
    CHECK_INT(ipl_batch_set_source(b, "file:/z.log", &p, &d), IPL_OK);
    fill_pos(&p, 2);
    CHECK_INT(ipl_batch_set_source(b, "file:/a.log", &p, &d), IPL_OK);
    fill_pos(&p, 5);
    CHECK_INT(ipl_batch_set_source(b, "file:/z.log", &p, &d), IPL_OK);   /* the last call wins */
    CHECK_INT(commit(st, b, NULL), IPL_OK);

    ipl_rtxn *t = NULL;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_source(t, "file:/z.log", &got, &d), IPL_OK);
    fill_pos(&p, 5);
    CHECK_INT(got.offset, p.offset);
    CHECK_INT(got.line, p.line);
    CHECK_INT(got.size, p.size);
    CHECK_INT(got.fp_len, p.fp_len);
    CHECK(memcmp(got.fp, p.fp, 32) == 0);
    CHECK(memcmp(got.tail, p.tail, 32) == 0);
    CHECK_INT(got.tail_len, p.tail_len);
    CHECK_INT(got.last_ts, p.last_ts);
    CHECK_INT(got.generation, p.generation);
    CHECK_INT(got.events, p.events);
    CHECK_INT(got.quarantined, p.quarantined);
    CHECK_STR(got.format, "mswin-dhcp");
    CHECK(got.updated > INT64_C(1600000000) * 1000000);
    CHECK_INT(ipl_store_source(t, "file:/a.log", &got, &d), IPL_OK);
    CHECK_INT(got.offset, 2001);
    CHECK_INT(ipl_store_source(t, "file:/nope.log", &got, &d), IPL_ENOTFOUND);
    scoll c;
    memset(&c, 0, sizeof c);
    CHECK_INT(ipl_store_sources(t, collect_src, &c, &d), IPL_OK);
    CHECK_INT(c.n, 2);
    CHECK_STR(c.name[0], "file:/a.log");                /* name order */
    CHECK_STR(c.name[1], "file:/z.log");
    CHECK_INT(c.offset[1], 5001);
    ipl_store_stats s;
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.sources, 2);
    ipl_rtxn_end(t);

    /* a later commit replaces the position */
    ipl_batch_clear(b);
    fill_pos(&p, 9);
    CHECK_INT(ipl_batch_set_source(b, "file:/a.log", &p, &d), IPL_OK);
    CHECK_INT(commit(st, b, NULL), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_source(t, "file:/a.log", &got, &d), IPL_OK);
    CHECK_INT(got.offset, 9001);
    CHECK_INT(got.generation, 12);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

/* ---- stats --------------------------------------------------------------------------------- */

static void test_stats(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    ipl_event ev;
    ipl_commit_info ci;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    /* 3 with ip+mac+host, 1 v6 with duid+mac, 1 with no ip, user only */
    mkev(&ev, T0 + 10 * SEC, IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbccddee01", "a", "s1", 1);
    CHECK_INT(add(b, &ev), IPL_OK);
    mkev(&ev, T0 + 20 * SEC, IPL_K_LEASE_RENEW, "10.0.0.1", "aabbccddee01", "A", "s1", 2);
    CHECK_INT(add(b, &ev), IPL_OK);
    mkev(&ev, T0 + 5 * SEC, IPL_K_LEASE_ASSIGN, "10.0.0.2", "aabbccddee02", "b", "s1", 3);
    CHECK_INT(add(b, &ev), IPL_OK);
    mkev(&ev, T0 + 30 * SEC, IPL_K_LEASE_ASSIGN, "2001:db8::1", "aabbccddee03", NULL, "s2", 1);
    ev.duid = "00030001aabbccddee03";
    CHECK_INT(add(b, &ev), IPL_OK);
    mkev(&ev, T0 + 7 * SEC, IPL_K_LOGON, NULL, NULL, NULL, "s2", 2);
    ev.user = "CORP\\bob";
    CHECK_INT(add(b, &ev), IPL_OK);
    CHECK_INT(ipl_batch_quarantine(b, "s1", 4, 0, "bad", "x", 1, &d), IPL_OK);
    ipl_source_pos p;
    fill_pos(&p, 1);
    CHECK_INT(ipl_batch_set_source(b, "s1", &p, &d), IPL_OK);
    CHECK_INT(commit(st, b, &ci), IPL_OK);

    ipl_rtxn *t = NULL;
    ipl_store_stats s;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.events, 5);
    CHECK_INT(s.last_seq, 5);
    CHECK_INT(s.quarantine, 1);
    CHECK_INT(s.sources, 1);
    CHECK_INT(s.format, IPL_STORE_FORMAT);
    CHECK_INT(s.index_entries[IPL_IX_IP], 4);
    CHECK_INT(s.index_entries[IPL_IX_MAC], 5);      /* 4 macs + 1 duid */
    CHECK_INT(s.index_entries[IPL_IX_HOST], 3);
    CHECK_INT(s.index_entries[IPL_IX_USER], 1);
    CHECK_INT(s.index_entries[IPL_IX_TIME], 5);
    CHECK_INT(s.first_ts, T0 + 5 * SEC);            /* by time, not by seq */
    CHECK_INT(s.last_ts, T0 + 30 * SEC);
    /* dictionary: aabbccddee01..03, a, A, b, s1, s2, duid, corp\bob, CORP\bob */
    CHECK_INT(s.dict, 11);
    CHECK(memcmp(s.chain, ci.chain, 32) == 0);
    CHECK(s.map_size >= s.used_bytes && s.used_bytes > 0);
    CHECK(s.file_bytes > 0);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

/* ---- the chain ----------------------------------------------------------------------------- */

#define CHAIN_N 300

/* A deterministic event i with strings that keep adding dictionary entries. */
static void gen_event(int i, ipl_event *ev, char bufs[5][64], int variant)
{
    snprintf(bufs[0], 64, "0000aa%06x", (unsigned)(i % 41));
    snprintf(bufs[1], 64, "Host-%d.Corp", i % 23 + variant);
    snprintf(bufs[2], 64, "CORP\\user%d", i % 11);
    snprintf(bufs[3], 64, "10.%d.%d.%d", i % 3, i % 7, i % 250 + 1);
    snprintf(bufs[4], 64, "%u", (unsigned)(i * 2654435761u));
    static const char *const sources[] = {"file:/a.log", "file:/b.log", "stdin:x"};
    static const char *const vendors[] = {"MSFT 5.0", "android-dhcp-13", "udhcp 1.30"};
    mkev(ev, T0 + (int64_t)i * 37 * SEC, i % 5 == 4 ? IPL_K_LEASE_RENEW : IPL_K_LEASE_ASSIGN,
         i % 9 == 8 ? NULL : bufs[3], bufs[0], i % 4 == 3 ? NULL : bufs[1], sources[i % 3],
         (uint64_t)i + 1);
    if (i % 6 == 0)
        ev->user = bufs[2];
    if (i % 13 == 0) {
        ev->has_ip = 1;
        ipl_ip_parse("2001:db8::42", 12, ev->ip);
        ev->duid = "000100012b3c4d5e0000aa000001";
    }
    ipl_event_add_attr(ev, IPL_A_XID, bufs[4], strlen(bufs[4]));
    ipl_event_add_attr(ev, IPL_A_VENDOR, vendors[i % 3], strlen(vendors[i % 3]));
}

/* Commits events [0, CHAIN_N) into a fresh store in batches of the given sizes (the last size
 * repeats); `variant` changes one event. Fills the final head; returns the number of commits. */
static int chain_run(const size_t *sizes, size_t nsizes, int variant, uint8_t head[32],
                     uint8_t heads[][32], int maxheads)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    int commits = 0;
    memset(head, 0, 32);
    if (!st) {
        rm_rf(base);
        return 0;
    }
    ipl_batch *b = NULL;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    int i = 0;
    size_t si = 0;
    while (i < CHAIN_N) {
        size_t want = sizes[si < nsizes ? si : nsizes - 1];
        si++;
        for (size_t k = 0; k < want && i < CHAIN_N; k++, i++) {
            ipl_event ev;
            char bufs[5][64];
            gen_event(i, &ev, bufs, variant && i == 200);
            CHECK_INT(add(b, &ev), IPL_OK);
        }
        ipl_commit_info ci;
        CHECK_INT(commit(st, b, &ci), IPL_OK);
        if (commits < maxheads)
            memcpy(heads[commits], ci.chain, 32);
        commits++;
        ipl_batch_clear(b);
    }
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_store_stats s;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.events, CHAIN_N);
    memcpy(head, s.chain, 32);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
    return commits;
}

static void test_chain(void)
{
    static uint8_t heads[64][32];
    uint8_t one[32], split[32], split2[32], changed[32], dummy[1][32];
    static const uint8_t zero[32] = {0};
    static const size_t all[] = {CHAIN_N};
    CHECK_INT(chain_run(all, 1, 0, one, dummy, 1), 1);
    CHECK(memcmp(one, zero, 32) != 0);

    static const size_t cuts[] = {1, 2, 50, 7, 13, 100};
    int n = chain_run(cuts, sizeof cuts / sizeof cuts[0], 0, split, heads, 64);
    CHECK(n > 5);
    CHECK(memcmp(split, one, 32) == 0);          /* independent of where batches were cut */
    CHECK(memcmp(heads[n - 1], split, 32) == 0); /* the commit info gives the same head */
    int dup = 0;
    for (int i = 0; i < n && i < 64; i++)         /* the head changes with every batch */
        for (int j = 0; j < i; j++)
            if (memcmp(heads[i], heads[j], 32) == 0)
                dup++;
    CHECK_INT(dup, 0);

    static const size_t ones[] = {1};
    CHECK_INT(chain_run(ones, 1, 0, split2, dummy, 1), CHAIN_N);
    CHECK(memcmp(split2, one, 32) == 0);

    /* different content, different head */
    chain_run(all, 1, 1, changed, dummy, 1);
    CHECK(memcmp(changed, one, 32) != 0);
}

/* ---- map growth ---------------------------------------------------------------------------- */

static void test_map_growth(void)
{
    char base[64];
    tmpdir(base);
    setenv("IPLEDGER_MAP_SIZE", "65536", 1);
    ipl_store *st = open_new(base);
    unsetenv("IPLEDGER_MAP_SIZE");
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_store_stats s;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    uint64_t map0 = s.map_size;
    CHECK(map0 <= 65536 * 2);
    ipl_rtxn_end(t);

    enum { N = 50000, BATCH = 5000 };
    ipl_batch *b = NULL;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    int failed = 0;
    for (int i = 0; i < N;) {
        for (int k = 0; k < BATCH; k++, i++) {
            ipl_event ev;
            char mac[16], host[32], ip[24];
            snprintf(mac, sizeof mac, "02%010x", (unsigned)(i % 3000));
            snprintf(host, sizeof host, "host-%d", i % 5000);
            snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
            mkev(&ev, T0 + (int64_t)i * SEC, IPL_K_LEASE_ASSIGN, ip, mac, host, "file:/big.log",
                 (uint64_t)i + 1);
            if (add(b, &ev))
                failed++;
        }
        ipl_commit_info ci;
        if (commit(st, b, &ci) != IPL_OK)
            failed++;
        else if (ci.last_seq != (uint64_t)i)
            failed++;
        ipl_batch_clear(b);
    }
    CHECK_INT(failed, 0);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_stats_get(t, &s, &d), IPL_OK);
    CHECK_INT(s.events, N);
    CHECK_INT(s.last_seq, N);
    CHECK(s.map_size > map0);                         /* it grew */
    CHECK_INT(s.index_entries[IPL_IX_IP], N);
    CHECK_INT(s.index_entries[IPL_IX_HOST], N);
    int bad = 0;
    for (uint64_t q = 1; q <= N; q++) {
        ipl_event ev;
        char host[32];
        if (ipl_store_get(t, q, &ev, &d) != IPL_OK) {
            bad++;
            continue;
        }
        snprintf(host, sizeof host, "host-%d", (int)((q - 1) % 5000));
        if (ev.ts != T0 + (int64_t)(q - 1) * SEC || ev.line != q || !ev.host || strcmp(ev.host, host))
            bad++;
    }
    CHECK_INT(bad, 0);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);

    /* reopened with the default map size, the data is all there */
    st = NULL;
    CHECK_INT(ipl_store_open(&st, base, IPL_STORE_RDONLY, &d), IPL_OK);
    if (st) {
        CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
        CHECK_INT(ipl_store_last_seq(t), N);
        ipl_event ev;
        CHECK_INT(ipl_store_get(t, N, &ev, &d), IPL_OK);
        ipl_rtxn_end(t);
    }
    ipl_store_close(st);
    rm_rf(base);
}

static void test_rtxn_refresh(void)
{
    char base[64];
    tmpdir(base);
    ipl_store *st = open_new(base);
    if (!st) {
        rm_rf(base);
        return;
    }
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    ipl_event ev;
    ipl_rtxn *t = NULL;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    mkev(&ev, T0, IPL_K_LEASE_ASSIGN, "10.0.0.1", "aabbccddeeff", NULL, "s", 1);
    CHECK_INT(add(b, &ev), IPL_OK);
    CHECK_INT(commit(st, b, NULL), IPL_OK);
    CHECK_INT(ipl_store_last_seq(t), 0);              /* a snapshot */
    CHECK_INT(ipl_rtxn_refresh(t, &d), IPL_OK);
    CHECK_INT(ipl_store_last_seq(t), 1);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    rm_rf(base);
}

/* Resident kB of this process's mapping of `path` (/proc/self/smaps), -1 if not found. */
static long mapped_kb(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[1024];
    long kb = -1;
    int in = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ')) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = 0;
            size_t n = strlen(line), m = strlen(path);
            in = n >= m && strcmp(line + n - m, path) == 0;
            continue;
        }
        long v;
        if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
            kb = (kb < 0 ? 0 : kb) + v;
    }
    fclose(f);
    return kb;
}

/* ipl_store_release_map takes the map's pages out of the resident set (a bulk ingest calls it
 * after each commit to keep its RSS flat). LMDB reports no map address for an environment opened
 * without MDB_FIXEDMAP, which once made this a silent no-op: the ingest's RSS then grew with the
 * store (docs/performance.md). */
static void test_release_map(void)
{
    char base[64], data[300], real[PATH_MAX];
    tmpdir(base);
    ipl_store *st = open_new(base);
    ipl_batch *b = NULL;
    ipl_event ev;
    char ip[32], mac[16], host[32];
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    for (int i = 0; st && b && i < 30000; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        snprintf(mac, sizeof mac, "aabbcc%06x", i);
        snprintf(host, sizeof host, "host-%d", i);
        mkev(&ev, T0 + i * SEC, IPL_K_LEASE_ASSIGN, ip, mac, host, "test", (uint64_t)i + 1);
        if (add(b, &ev))
            break;
    }
    if (st)
        CHECK_INT(commit(st, b, NULL), IPL_OK);
    ipl_batch_free(b);
    path_join(data, sizeof data, base, "data.mdb");
    CHECK(realpath(data, real) != NULL);
    /* read every event through the map */
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    if (st && ipl_rtxn_begin(st, &t, &d) == IPL_OK) {
        for (uint64_t seq = 1; seq <= 30000; seq++)
            CHECK_INT(ipl_store_get(t, seq, &ev, &d), IPL_OK);
        ipl_rtxn_end(t);
    }
    long before = mapped_kb(real);
    CHECK(before > 1024);                 /* the records alone are over 1 MiB */
    if (st)
        ipl_store_release_map(st);
    long after = mapped_kb(real);
    CHECK(after >= 0 && after < before / 4);
    if (after < 0 || after >= before / 4)
        fprintf(stderr, "  resident map: %ld kB before, %ld kB after the release\n", before, after);
    ipl_store_close(st);
    rm_rf(base);
}

int main(void)
{
    RUN(test_default_dir);
    RUN(test_open_create);
    RUN(test_open_missing);
    RUN(test_open_newer_format);
    RUN(test_open_readonly_dir);
    RUN(test_commit_seqs);
    RUN(test_get_fields);
    RUN(test_batch_limits);
    RUN(test_quarantine);
    RUN(test_sources);
    RUN(test_stats);
    RUN(test_chain);
    RUN(test_map_growth);
    RUN(test_rtxn_refresh);
    RUN(test_release_map);
    return check_summary();
}
