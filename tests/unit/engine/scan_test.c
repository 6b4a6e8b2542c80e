/* tests/unit/engine/scan_test.c — the raw reads of engine/scan.c against the decoded API:
 * ipl_evcur_next/get give the records ipl_store_get gives (ids resolve to the same strings,
 * attributes alike), by seq in any order and across purged gaps; ipl_ixscan returns exactly the
 * entries of ipl_ixcur for keys with one value, a few, and many pages of values, for windows
 * cutting inside pages, across resets; index statistics, dictionary prefixes and counts.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/store.h"
#include "engine/tz.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC) /* 2024-05-01T00:00:00Z */
#define NA 1500   /* events of 10.0.0.1: several pages of duplicates */

static ipl_store *st;
static char dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void add(ipl_batch *b, int i, const char *ip, int64_t ts, const char *host, const char *user)
{
    ipl_event e;
    char mac[13], big[600], num[16];
    ipl_event_reset(&e);
    e.kind = (uint16_t)(i % 3 ? IPL_K_LEASE_RENEW : IPL_K_LOGON);
    e.ts = ts;
    if (ip) {
        e.has_ip = 1;
        ipl_ip_parse(ip, strlen(ip), e.ip);
    }
    snprintf(mac, sizeof mac, "00000000%04x", i % 7);
    e.mac = i % 5 ? mac : NULL;
    e.host = host;
    e.user = user;
    e.server = "srv";
    e.source = "test:scan";
    e.line = (uint64_t)i;
    snprintf(num, sizeof num, "%d", i);
    ipl_event_add_attr(&e, IPL_A_CODE, num, strlen(num));          /* inline */
    ipl_event_add_attr(&e, IPL_A_LOGON_TYPE, i % 2 ? "3" : "10", i % 2 ? 1 : 2);   /* interned */
    if (i % 100 == 0) {                                            /* too long to intern */
        memset(big, 'x', sizeof big);
        ipl_event_add_attr(&e, IPL_A_DESC, big, sizeof big);
    }
    CHECK_INT(ipl_batch_add(b, &e, NULL), IPL_OK);
}

static void setup(void)
{
    ipl_batch *b;
    snprintf(dir, sizeof dir, "/tmp/ipl-scan-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    int i = 1;
    for (int k = 0; k < NA; k++, i++)
        add(b, i, "10.0.0.1", T0 + (int64_t)k * 60 * IPL_US_PER_SEC, "Host-A", "CONTOSO\\Ann");
    add(b, i++, "10.0.0.2", T0 + 30 * IPL_US_PER_SEC, "host-b", NULL);
    for (int k = 0; k < 50; k++, i++)
        add(b, i, "2001:db8::9", T0 + (int64_t)k * 3600 * IPL_US_PER_SEC, NULL, "contoso\\ann");
    add(b, i++, NULL, T0 + 5, "HOST-A", NULL);
    CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
    ipl_batch_free(b);
}

/* The raw event resolved through the dictionary equals ipl_store_get's. */
static int same(ipl_rtxn *t, const ipl_rawev *r)
{
    ipl_event e;
    if (ipl_store_get(t, r->seq, &e, NULL))
        return 0;
    int ok = e.ts == r->ts && e.kind == r->kind && e.has_ip == r->has_ip &&
             memcmp(e.ip, r->ip, 16) == 0 && e.line == r->line && e.nattr == r->nattr;
#define SAME(f) ok &= (e.f == NULL && r->f == 0) || (e.f && r->f && strcmp(e.f, ipl_dict_str(t, r->f)) == 0)
    SAME(mac);
    SAME(duid);
    SAME(host);
    SAME(user);
    SAME(server);
    SAME(source);
#undef SAME
    const uint8_t *pos = r->attrs;
    for (uint32_t i = 0; ok && i < e.nattr; i++) {
        ipl_rawattr a;
        if (ipl_rawev_attr_next(r, &pos, &a))
            return 0;
        const char *v = a.interned ? ipl_dict_str(t, a.id) : a.val;
        size_t n = a.interned ? strlen(v) : a.len;
        ok &= a.key == e.attr[i].key && n == e.attr[i].len && memcmp(v, e.attr[i].val, n) == 0;
    }
    ipl_rawattr a;
    ok &= ipl_rawev_attr_next(r, &pos, &a) == IPL_ENOTFOUND;
    return ok;
}

static void test_events(void)
{
    ipl_rtxn *t;
    ipl_evcur *c;
    ipl_rawev r;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_event_count(t), NA + 52);
    CHECK_INT(ipl_evcur_open(t, &c, NULL), IPL_OK);
    uint64_t n = 0, bad = 0, err;
    while ((err = (uint64_t)ipl_evcur_next(c, &r, NULL)) == IPL_OK) {
        n++;
        bad += r.seq != n || !same(t, &r);
    }
    CHECK_INT(err, IPL_ENOTFOUND);
    CHECK_INT(n, NA + 52);
    CHECK_INT(bad, 0);
    /* by seq: ascending steps, jumps, backwards, past the end */
    static const uint64_t seqs[] = {1, 2, 3, 9, 10, 600, 601, 1551, 1552, 4, 1552, 1};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        CHECK_INT(ipl_evcur_get(c, seqs[i], &r, NULL), IPL_OK);
        CHECK_INT(r.seq, seqs[i]);
        CHECK(same(t, &r));
    }
    CHECK_INT(ipl_evcur_get(c, 1553, &r, NULL), IPL_ENOTFOUND);
    CHECK_INT(ipl_evcur_get(c, 0, &r, NULL), IPL_ENOTFOUND);
    CHECK_INT(ipl_evcur_get(c, 7, &r, NULL), IPL_OK);
    ipl_rawattr a;
    CHECK_INT(ipl_rawev_attr(&r, IPL_A_CODE, &a), IPL_OK);
    CHECK(!a.interned && a.len == 1 && a.val[0] == '7');
    CHECK_INT(ipl_rawev_attr(&r, IPL_A_LOGON_TYPE, &a), IPL_OK);
    CHECK(a.interned && strcmp(ipl_dict_str(t, a.id), "3") == 0);
    CHECK_INT(ipl_rawev_attr(&r, IPL_A_COUNTRY, &a), IPL_ENOTFOUND);
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
}

/* ipl_ixscan (filling in chunks of `step`) against ipl_ixcur. */
static int compare(ipl_index ix, const void *klo, const void *khi, int64_t from, int64_t to,
                   size_t step, uint64_t *count)
{
    ipl_rtxn *t;
    ipl_ixcur *c;
    ipl_ixscan *s;
    ipl_ixent e;
    uint64_t seq[64];
    int64_t ts[64];
    size_t got;
    int ok = 1;
    *count = 0;
    if (ipl_rtxn_begin(st, &t, NULL) || ipl_ixcur_open(t, ix, klo, khi, from, to, 0, &c, NULL) ||
        ipl_ixscan_open(t, ix, klo, khi, from, to, &s, NULL))
        return 0;
    for (;;) {
        if (ipl_ixscan_fill(s, seq, ts, step, &got, NULL)) {
            ok = 0;
            break;
        }
        for (size_t i = 0; i < got; i++) {
            if (ipl_ixcur_next(c, &e, NULL) || e.seq != seq[i] || e.ts != ts[i])
                ok = 0;
            (*count)++;
        }
        if (got < step)
            break;
    }
    ok &= ipl_ixcur_next(c, &e, NULL) == IPL_ENOTFOUND;
    ipl_ixscan_close(s);
    ipl_ixcur_close(c);
    ipl_rtxn_end(t);
    return ok;
}

static void test_index_pages(void)
{
    uint8_t a[16], b[16], v6[16];
    uint64_t n;
    ipl_ip_parse("10.0.0.1", 8, a);
    ipl_ip_parse("10.0.0.2", 8, b);
    ipl_ip_parse("2001:db8::9", 11, v6);
    int64_t all_to = INT64_MAX;
    CHECK(compare(IPL_IX_IP, a, a, 0, all_to, 64, &n));
    CHECK_INT(n, NA);
    CHECK(compare(IPL_IX_IP, a, a, 0, all_to, 7, &n));
    CHECK_INT(n, NA);
    CHECK(compare(IPL_IX_IP, b, b, 0, all_to, 64, &n));        /* one value: no duplicate page */
    CHECK_INT(n, 1);
    CHECK(compare(IPL_IX_IP, NULL, NULL, 0, all_to, 64, &n));  /* every key */
    CHECK_INT(n, NA + 51);
    /* windows cutting inside pages, at their edges, and empty ones */
    CHECK(compare(IPL_IX_IP, a, b, T0 + 400 * 60 * IPL_US_PER_SEC, T0 + 1100 * 60 * IPL_US_PER_SEC, 64, &n));
    CHECK_INT(n, 701);
    CHECK(compare(IPL_IX_IP, a, a, T0 + 1 * IPL_US_PER_SEC, T0 + 59 * IPL_US_PER_SEC, 64, &n));
    CHECK_INT(n, 0);
    CHECK(compare(IPL_IX_IP, a, v6, T0 + 30 * IPL_US_PER_SEC, T0 + 30 * IPL_US_PER_SEC, 64, &n));
    CHECK_INT(n, 1);
    CHECK(compare(IPL_IX_IP, a, a, T0 + 1000, T0, 64, &n));   /* ends before it starts */
    CHECK_INT(n, 0);
    CHECK(compare(IPL_IX_TIME, NULL, NULL, T0, T0 + 200 * 3600 * IPL_US_PER_SEC, 64, &n));
    CHECK_INT(n, NA + 52);
    CHECK(compare(IPL_IX_TIME, NULL, NULL, T0 + 3600 * IPL_US_PER_SEC, T0 + 7200 * IPL_US_PER_SEC, 5, &n));
    CHECK(compare(IPL_IX_MAC, NULL, NULL, 0, all_to, 64, &n));
    CHECK(compare(IPL_IX_HOST, NULL, NULL, 0, all_to, 13, &n));
    CHECK_INT(n, NA + 2);                                       /* Host-A and HOST-A fold alike */
    CHECK(compare(IPL_IX_USER, NULL, NULL, T0, T0 + 600 * 60 * IPL_US_PER_SEC, 64, &n));
    /* reset: the same scan aimed at other keys */
    ipl_rtxn *t;
    ipl_ixscan *s;
    uint64_t seq[8];
    int64_t ts[8];
    size_t got;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_ixscan_open(t, IPL_IX_IP, v6, v6, 0, INT64_MAX, &s, NULL), IPL_OK);
    CHECK_INT(ipl_ixscan_fill(s, seq, ts, 8, &got, NULL), IPL_OK);
    CHECK_INT(got, 8);
    ipl_ixscan_reset(s, b, b);
    CHECK_INT(ipl_ixscan_fill(s, seq, ts, 8, &got, NULL), IPL_OK);
    CHECK_INT(got, 1);
    CHECK_INT(seq[0], NA + 1);
    ipl_ixscan_close(s);
    /* statistics */
    ipl_ixstat stt;
    CHECK_INT(ipl_index_range_stat(t, IPL_IX_IP, NULL, NULL, 100, &stt, NULL), IPL_OK);
    CHECK_INT(stt.entries, NA + 51);
    CHECK_INT(stt.keys, 3);
    CHECK_INT(stt.complete, 1);
    CHECK_INT(ipl_index_range_stat(t, IPL_IX_IP, a, v6, 2, &stt, NULL), IPL_OK);
    CHECK_INT(stt.entries, NA + 1);
    CHECK_INT(stt.complete, 0);
    CHECK(memcmp(stt.last_key, b, 16) == 0);
    ipl_rtxn_end(t);
}

typedef struct seen {
    int n;
    char s[8][64];
} seen;

static int on_str(void *ctx, const char *s, size_t n, uint32_t id)
{
    seen *x = ctx;
    (void)id;
    if (x->n < 8)
        snprintf(x->s[x->n++], 64, "%.*s", (int)n, s);
    return 0;
}

static void test_dictionary(void)
{
    ipl_rtxn *t;
    seen x = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_dict_prefix(t, "host-", 5, on_str, &x, NULL), IPL_OK);
    CHECK_INT(x.n, 2);                                /* the folded forms */
    CHECK_STR(x.s[0], "host-a");
    CHECK_STR(x.s[1], "host-b");
    memset(&x, 0, sizeof x);
    CHECK_INT(ipl_dict_prefix(t, "zzz", 3, on_str, &x, NULL), IPL_OK);
    CHECK_INT(x.n, 0);
    uint32_t id;
    CHECK_INT(ipl_dict_find(t, "srv", 3, &id), IPL_OK);
    CHECK(ipl_dict_max_id(t) >= id);
    CHECK(ipl_dict_str(t, ipl_dict_max_id(t)) != NULL);
    CHECK(ipl_dict_str(t, ipl_dict_max_id(t) + 1) == NULL);
    ipl_rtxn_end(t);
}

static void test_purged(void)
{
    ipl_purge_acc acc;
    uint64_t del[] = {5, 6, 7, 200};
    ipl_purge_acc_init(&acc);
    CHECK_INT(ipl_store_delete(st, del, 4, &acc, NULL, NULL, NULL, 0, NULL), IPL_OK);
    ipl_rtxn *t;
    ipl_evcur *c;
    ipl_rawev r;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_evcur_open(t, &c, NULL), IPL_OK);
    CHECK_INT(ipl_evcur_get(c, 4, &r, NULL), IPL_OK);
    CHECK_INT(ipl_evcur_get(c, 6, &r, NULL), IPL_ENOTFOUND);    /* stepping over the gap */
    CHECK_INT(ipl_evcur_get(c, 8, &r, NULL), IPL_OK);
    CHECK_INT(r.seq, 8);
    CHECK_INT(ipl_evcur_get(c, 200, &r, NULL), IPL_ENOTFOUND);
    CHECK_INT(ipl_evcur_get(c, 201, &r, NULL), IPL_OK);
    CHECK(same(t, &r));
    uint64_t n = 0;
    ipl_evcur_close(c);
    CHECK_INT(ipl_evcur_open(t, &c, NULL), IPL_OK);
    while (ipl_evcur_next(c, &r, NULL) == IPL_OK)
        n++;
    CHECK_INT(n, NA + 52 - 4);
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
    uint8_t a[16];
    ipl_ip_parse("10.0.0.1", 8, a);
    CHECK(compare(IPL_IX_IP, a, a, 0, INT64_MAX, 64, &n));
    CHECK_INT(n, NA - 4);
}

int main(void)
{
    RUN(setup);
    RUN(test_events);
    RUN(test_index_pages);
    RUN(test_dictionary);
    RUN(test_purged);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
