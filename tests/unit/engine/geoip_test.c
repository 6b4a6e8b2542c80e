/* tests/unit/engine/geoip_test.c — GeoIP enrichment: which addresses are public, which kinds are
 * enriched, exact answers from small MMDB files written here (a minimal MaxMind DB writer below,
 * so the unit test needs no perl), first hit per field across several databases, both country
 * layouts, values that are not what they should be, missing/garbage/truncated files, and a
 * database whose search tree is corrupt being dropped during a lookup while the others answer. */
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/geoip.h"

#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/check.h"

/* ---- a minimal MaxMind DB writer (format 2.0: 24-bit records, IPv6 tree, IPv4 at ::/96) ---- */
typedef struct buf { uint8_t *p; size_t n, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put1(buf *b, unsigned v) { uint8_t c = (uint8_t)v; put(b, &c, 1); }

static void ctrl(buf *b, unsigned type, size_t size)
{
    unsigned t = type <= 7 ? type : 0;
    put1(b, t << 5 | (size < 29 ? (unsigned)size : size < 285 ? 29u : 30u));
    if (type > 7)
        put1(b, type - 7);
    if (size >= 285) {
        put1(b, (unsigned)((size - 285) >> 8));
        put1(b, (unsigned)((size - 285) & 0xff));
    } else if (size >= 29) {
        put1(b, (unsigned)(size - 29));
    }
}
static void str(buf *b, const char *s) { ctrl(b, 2, strlen(s)); put(b, s, strlen(s)); }
static void uint_(buf *b, unsigned type, uint64_t v, int bytes)
{
    ctrl(b, type, (size_t)bytes);
    for (int i = bytes - 1; i >= 0; i--)
        put1(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* One record: {country: {iso_code: cc}} or {country_code: cc} (flat), asn, org; NULL/0 = left out.
 * Returns its offset in the data section. */
static size_t entry(buf *data, const char *cc, int flat, uint32_t asn, const char *org)
{
    size_t off = data->n;
    ctrl(data, 7, (size_t)(!!cc + !!asn + !!org));
    if (cc && flat) {
        str(data, "country_code");
        str(data, cc);
    } else if (cc) {
        str(data, "country");
        ctrl(data, 7, 1);
        str(data, "iso_code");
        str(data, cc);
    }
    if (asn) {
        str(data, "autonomous_system_number");
        uint_(data, 6, asn, 4);
    }
    if (org) {
        str(data, "autonomous_system_organization");
        str(data, org);
    }
    return off;
}

#define MAXNODES 4096
typedef struct tree {
    uint32_t rec[MAXNODES][2];   /* node index | EMPTY | DATA + offset */
    uint32_t n;
} tree;
#define EMPTY 0xffffffffu
#define DATA  0x80000000u

static void tree_init(tree *t) { t->n = 1; t->rec[0][0] = t->rec[0][1] = EMPTY; }

/* Inserts a prefix of the 128-bit space (text: "81.2.69.0/24" or "2a02:1::/32"). */
static void tree_insert(tree *t, const char *prefix, uint32_t value)
{
    ipl_prefix p;
    if (ipl_prefix_parse(prefix, strlen(prefix), 0, &p) != IPL_OK)
        abort();
    uint8_t key[16];
    memcpy(key, p.lo, 16);
    int bits = p.bits;
    if (p.v4)                    /* the IPv4 subtree of an IPv6 database is ::/96 */
        memset(key, 0, 12);
    uint32_t node = 0;
    for (int i = 0; i < bits; i++) {
        int bit = key[i / 8] >> (7 - i % 8) & 1;
        if (i == bits - 1) {
            t->rec[node][bit] = value;
            break;
        }
        if (t->rec[node][bit] == EMPTY) {
            t->rec[t->n][0] = t->rec[t->n][1] = EMPTY;
            t->rec[node][bit] = t->n++;
        }
        node = t->rec[node][bit];
    }
}

/* Writes tree + data + metadata to path; `bad_data_ptr` makes every data record point past the
 * end of the data section (a corrupt search tree). */
static void write_db(const char *path, const tree *t, const buf *data, int bad_data_ptr)
{
    buf f = {0};
    for (uint32_t i = 0; i < t->n; i++)
        for (int k = 0; k < 2; k++) {
            uint32_t r = t->rec[i][k];
            uint32_t v = r == EMPTY ? t->n
                         : (r & DATA) ? t->n + 16 + (bad_data_ptr ? (uint32_t)data->n + 1000 : (r & ~DATA))
                                      : r;
            put1(&f, v >> 16 & 0xff);
            put1(&f, v >> 8 & 0xff);
            put1(&f, v & 0xff);
        }
    static const uint8_t zero[16];
    put(&f, zero, 16);
    put(&f, data->p, data->n);
    put(&f, "\xab\xcd\xefMaxMind.com", 14);
    ctrl(&f, 7, 9);
    str(&f, "node_count");                  uint_(&f, 6, t->n, 4);
    str(&f, "record_size");                 uint_(&f, 5, 24, 2);
    str(&f, "ip_version");                  uint_(&f, 5, 6, 2);
    str(&f, "database_type");               str(&f, "ipledger-test");
    str(&f, "binary_format_major_version"); uint_(&f, 5, 2, 2);
    str(&f, "binary_format_minor_version"); uint_(&f, 5, 0, 2);
    str(&f, "build_epoch");                 uint_(&f, 9, 1700000000, 8);
    str(&f, "languages");                   ctrl(&f, 11, 1); str(&f, "en");
    str(&f, "description");                 ctrl(&f, 7, 1); str(&f, "en"); str(&f, "test");
    FILE *o = fopen(path, "wb");
    if (!o || fwrite(f.p, 1, f.n, o) != f.n || fclose(o))
        abort();
    free(f.p);
}

static char dir[] = "/tmp/ipl-geoip-test-XXXXXX";
static char country_db[256], asn_db[256], flat_db[256], corrupt_db[256];

/* country.mmdb: GeoLite2 layout; asn.mmdb: ASN only, disagreeing on purpose; flat.mmdb:
 * ip-location-db layout; corrupt.mmdb: its search tree points outside the file. */
static void make_dbs(void)
{
    static tree t;
    buf data = {0};
    tree_init(&t);
    tree_insert(&t, "81.2.69.0/24", DATA | (uint32_t)entry(&data, "GB", 0, 0, NULL));
    tree_insert(&t, "2.16.0.0/13", DATA | (uint32_t)entry(&data, "de", 0, 0, NULL));   /* lower case */
    tree_insert(&t, "2a02:1::/32", DATA | (uint32_t)entry(&data, "FR", 0, 12322, "Free SAS"));
    tree_insert(&t, "8.8.8.0/24", DATA | (uint32_t)entry(&data, "US", 0, 15169, "Google LLC"));
    tree_insert(&t, "9.9.9.0/24", DATA | (uint32_t)entry(&data, "D1", 0, 0, NULL));    /* not a code */
    snprintf(country_db, sizeof country_db, "%s/country.mmdb", dir);
    write_db(country_db, &t, &data, 0);

    data.n = 0;
    tree_init(&t);
    tree_insert(&t, "81.2.69.0/24", DATA | (uint32_t)entry(&data, NULL, 0, 20712, "Andrews & Arnold Ltd"));
    tree_insert(&t, "8.8.8.0/24", DATA | (uint32_t)entry(&data, "CA", 0, 99999, "Not Google"));
    char longorg[301];           /* 300 bytes: cut to 255 at a character boundary */
    memset(longorg, 'x', sizeof longorg - 1);
    longorg[sizeof longorg - 1] = '\0';
    longorg[0] = '\t';           /* a control byte: becomes a space */
    longorg[254] = (char)0xc3;   /* U+00E9 across the 255-byte cut: cut before it */
    longorg[255] = (char)0xa9;
    tree_insert(&t, "2.16.0.0/13", DATA | (uint32_t)entry(&data, NULL, 0, 3320, "Deutsche Telekom AG"));
    tree_insert(&t, "5.5.0.0/16", DATA | (uint32_t)entry(&data, NULL, 0, 4242, longorg));
    snprintf(asn_db, sizeof asn_db, "%s/asn.mmdb", dir);
    write_db(asn_db, &t, &data, 0);

    data.n = 0;
    tree_init(&t);
    tree_insert(&t, "5.5.0.0/16", DATA | (uint32_t)entry(&data, "NL", 1, 0, NULL));
    snprintf(flat_db, sizeof flat_db, "%s/flat.mmdb", dir);
    write_db(flat_db, &t, &data, 0);

    data.n = 0;
    tree_init(&t);
    tree_insert(&t, "8.8.8.0/24", DATA | (uint32_t)entry(&data, "ZZ", 0, 1, "Corrupt"));
    snprintf(corrupt_db, sizeof corrupt_db, "%s/corrupt.mmdb", dir);
    write_db(corrupt_db, &t, &data, 1);
    free(data.p);
}

static uint8_t *ip(const char *s)
{
    static uint8_t b[16];
    if (ipl_ip_parse(s, strlen(s), b) != IPL_OK)
        abort();
    return b;
}

static void test_public(void)
{
    static const char *const pub[] = {"8.8.8.8", "81.2.69.160", "1.1.1.1", "100.63.255.255",
                                      "100.128.0.1", "172.32.0.1", "192.0.3.1", "223.255.255.254",
                                      "2a02:1::5", "2001:4860:4860::8888", "2001:200::1", "3fff:1000::1"};
    static const char *const priv[] = {
        "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.10.10",
        "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "192.0.0.8", "192.0.2.10",
        "198.51.100.7", "203.0.113.9", "198.18.0.1", "198.19.255.255", "224.0.0.251",
        "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.88.99.1",
        "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1", "2001::1",
        "2001:1ff::1", "2002:c000:0204::1", "3fff::1", "3fff:fff::1", "64:ff9b::808:808",
        "::ffff:192.168.1.1", "::ffff:10.0.0.1", "100::1", "::8.8.8.8"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        int ok = ipl_ip_is_public(ip(pub[i]));
        if (!ok)
            fprintf(stderr, "   %s should be public\n", pub[i]);
        CHECK(ok);
    }
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        int ok = !ipl_ip_is_public(ip(priv[i]));
        if (!ok)
            fprintf(stderr, "   %s should not be public\n", priv[i]);
        CHECK(ok);
    }
}

static void test_kinds(void)
{
    CHECK(ipl_geoip_kind(IPL_K_LOGON));
    CHECK(ipl_geoip_kind(IPL_K_LOGOFF));
    CHECK(ipl_geoip_kind(IPL_K_LOGON_FAIL));
    CHECK(ipl_geoip_kind(IPL_K_LOGON_EXPLICIT));
    CHECK(ipl_geoip_kind(IPL_K_AUTH_NTLM));
    CHECK(ipl_geoip_kind(IPL_K_AUTH_FAIL));
    CHECK(ipl_geoip_kind(IPL_K_RADIUS_START));
    CHECK(ipl_geoip_kind(IPL_K_RADIUS_REQUEST));
    CHECK(!ipl_geoip_kind(IPL_K_LEASE_ASSIGN));
    CHECK(!ipl_geoip_kind(IPL_K_LEASE_RENEW));
    CHECK(!ipl_geoip_kind(IPL_K_DNS_UPDATE));
    CHECK(!ipl_geoip_kind(IPL_K_CONFIG_CHANGE));
    CHECK(!ipl_geoip_kind(IPL_K_RADIUS_ACCT_ON));   /* its ip is the NAS */
}

static const char *attr(const ipl_event *ev, unsigned key)
{
    static char v[3][512];
    static int k;
    size_t n;
    const char *p = ipl_event_attr(ev, key, &n);
    if (!p)
        return NULL;
    k = (k + 1) % 3;
    snprintf(v[k], sizeof v[k], "%.*s", (int)n, p);
    return v[k];
}

static ipl_event logon(const char *addr)
{
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = IPL_K_LOGON;
    ev.has_ip = 1;
    memcpy(ev.ip, ip(addr), 16);
    return ev;
}

static void test_lookup_exact(void)
{
    ipl_geoip *g;
    ipl_diag d = {0};
    CHECK_INT(ipl_geoip_new(&g, 0, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, country_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, asn_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, flat_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_count(g), 3);
    const ipl_geo *r;
    /* country from the first, ASN from the second */
    CHECK_INT(ipl_geoip_lookup(g, ip("81.2.69.160"), &r), IPL_OK);
    CHECK_STR(r->country, "GB");
    CHECK_STR(r->asn, "AS20712");
    CHECK_STR(r->as_org, "Andrews & Arnold Ltd");
    /* first hit per field: the second database's CA / AS99999 lose to the first's */
    CHECK_INT(ipl_geoip_lookup(g, ip("8.8.8.8"), &r), IPL_OK);
    CHECK_STR(r->country, "US");
    CHECK_STR(r->asn, "AS15169");
    CHECK_STR(r->as_org, "Google LLC");
    /* lower-case code upper-cased; a value that is no code ignored */
    CHECK_INT(ipl_geoip_lookup(g, ip("2.16.1.1"), &r), IPL_OK);
    CHECK_STR(r->country, "DE");
    CHECK_STR(r->asn, "AS3320");
    CHECK_INT(ipl_geoip_lookup(g, ip("9.9.9.9"), &r), IPL_ENOTFOUND);
    /* IPv6 */
    CHECK_INT(ipl_geoip_lookup(g, ip("2a02:1:ffff::1"), &r), IPL_OK);
    CHECK_STR(r->country, "FR");
    CHECK_STR(r->asn, "AS12322");
    CHECK_STR(r->as_org, "Free SAS");
    CHECK_INT(ipl_geoip_lookup(g, ip("2a02:2::1"), &r), IPL_ENOTFOUND);
    /* flat layout (country_code), organization sanitised and kept whole under the cap */
    CHECK_INT(ipl_geoip_lookup(g, ip("5.5.5.5"), &r), IPL_OK);
    CHECK_STR(r->country, "NL");
    CHECK_STR(r->asn, "AS4242");
    CHECK_INT(strlen(r->as_org), 254);
    CHECK(r->as_org[0] == ' ' && r->as_org[1] == 'x');
    /* not in any */
    CHECK_INT(ipl_geoip_lookup(g, ip("1.1.1.1"), &r), IPL_ENOTFOUND);
    /* the cache answers the second time, the same */
    uint64_t hits = ipl_geoip_stats_get(g)->cache_hits;
    CHECK_INT(ipl_geoip_lookup(g, ip("8.8.8.8"), &r), IPL_OK);
    CHECK_STR(r->asn, "AS15169");
    CHECK_INT(ipl_geoip_stats_get(g)->cache_hits, hits + 1);
    ipl_geoip_free(g);

    /* without a cache, the same answers */
    CHECK_INT(ipl_geoip_new(&g, 1, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, country_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, asn_db, &d), IPL_OK);
    for (int i = 0; i < 2; i++) {
        CHECK_INT(ipl_geoip_lookup(g, ip("81.2.69.1"), &r), IPL_OK);
        CHECK_STR(r->country, "GB");
        CHECK_STR(r->asn, "AS20712");
    }
    CHECK_INT(ipl_geoip_stats_get(g)->cache_hits, 0);
    ipl_geoip_free(g);
}

static void test_enrich(void)
{
    ipl_geoip *g;
    ipl_diag d = {0};
    CHECK_INT(ipl_geoip_new(&g, 0, &d), IPL_OK);
    /* no database: nothing, and a NULL handle is fine */
    ipl_event ev = logon("8.8.8.8");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    CHECK_INT(ipl_geoip_enrich(NULL, &ev), 0);
    CHECK_INT(ev.nattr, 0);
    CHECK_INT(ipl_geoip_add(g, country_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, asn_db, &d), IPL_OK);

    ev = logon("8.8.8.8");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 3);
    CHECK_STR(attr(&ev, IPL_A_COUNTRY), "US");
    CHECK_STR(attr(&ev, IPL_A_ASN), "AS15169");
    CHECK_STR(attr(&ev, IPL_A_AS_ORG), "Google LLC");
    CHECK_STR(ipl_attr_name(IPL_A_AS_ORG), "geo.as_org");

    /* country only */
    ev = logon("9.9.9.9");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    ev = logon("81.2.69.7");
    ev.kind = IPL_K_RADIUS_START;
    CHECK_INT(ipl_geoip_enrich(g, &ev), 3);
    CHECK_STR(attr(&ev, IPL_A_COUNTRY), "GB");

    /* a lease event, a private client, no ip: untouched, and no lookup made */
    uint64_t lookups = ipl_geoip_stats_get(g)->lookups;
    ev = logon("8.8.8.8");
    ev.kind = IPL_K_LEASE_ASSIGN;
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    ev = logon("10.0.0.8");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    ev = logon("::ffff:192.168.1.1");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    ev = logon("8.8.8.8");
    ev.has_ip = 0;
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    CHECK_INT(ev.nattr, 0);
    CHECK_INT(ipl_geoip_stats_get(g)->lookups, lookups);

    /* attributes already there (a re-imported event) are kept */
    ev = logon("8.8.8.8");
    ipl_event_add_attr(&ev, IPL_A_COUNTRY, "XX", 2);
    CHECK_INT(ipl_geoip_enrich(g, &ev), 2);
    CHECK_STR(attr(&ev, IPL_A_COUNTRY), "XX");
    CHECK_STR(attr(&ev, IPL_A_ASN), "AS15169");

    /* a full attribute bag: as many as fit, no error */
    ev = logon("8.8.8.8");
    for (int i = 0; i < IPL_ATTR_MAX - 1; i++)
        ipl_event_add_attr(&ev, IPL_A_MESSAGE, "m", 1);
    CHECK_INT(ipl_geoip_enrich(g, &ev), 1);
    CHECK_INT(ev.nattr, IPL_ATTR_MAX);
    CHECK_STR(attr(&ev, IPL_A_COUNTRY), "US");
    CHECK(ipl_geoip_stats_get(g)->enriched >= 3);
    ipl_geoip_free(g);
}

static void test_bad_files(void)
{
    ipl_geoip *g;
    ipl_diag d = {0};
    char path[300];
    CHECK_INT(ipl_geoip_new(&g, 0, &d), IPL_OK);
    /* missing */
    snprintf(path, sizeof path, "%s/missing.mmdb", dir);
    CHECK_INT(ipl_geoip_add(g, path, &d), IPL_EIO);
    CHECK(strstr(d.msg, "cannot open GeoIP database '") && strstr(d.msg, "missing.mmdb"));
    /* garbage */
    snprintf(path, sizeof path, "%s/garbage.mmdb", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    CHECK_INT(ipl_geoip_add(g, path, &d), IPL_ECORRUPT);
    CHECK(strstr(d.msg, "garbage.mmdb'") != NULL);
    /* empty */
    snprintf(path, sizeof path, "%s/empty.mmdb", dir);
    fclose(fopen(path, "wb"));
    CHECK(ipl_geoip_add(g, path, &d) != IPL_OK);
    /* truncated: the real file without its last half (the metadata is gone) */
    snprintf(path, sizeof path, "%s/truncated.mmdb", dir);
    FILE *in = fopen(country_db, "rb");
    char b[65536];
    size_t n = fread(b, 1, sizeof b, in);
    fclose(in);
    f = fopen(path, "wb");
    fwrite(b, 1, n / 2, f);
    fclose(f);
    CHECK_INT(ipl_geoip_add(g, path, &d), IPL_ECORRUPT);
    CHECK(strstr(d.msg, "truncated.mmdb'") != NULL);
    CHECK_INT(ipl_geoip_count(g), 0);
    /* a good one still opens after the failures */
    CHECK_INT(ipl_geoip_add(g, country_db, &d), IPL_OK);
    CHECK_INT(ipl_geoip_count(g), 1);
    ipl_geoip_free(g);
}

static void test_corrupt_tree_dropped(void)
{
    ipl_geoip *g;
    ipl_diag d = {0};
    CHECK_INT(ipl_geoip_new(&g, 0, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, corrupt_db, &d), IPL_OK);   /* opens: the damage is in the tree */
    CHECK_INT(ipl_geoip_add(g, country_db, &d), IPL_OK);
    const ipl_geo *r;
    /* the corrupt one is dropped on its first bad lookup; the other still answers */
    CHECK_INT(ipl_geoip_lookup(g, ip("8.8.8.8"), &r), IPL_OK);
    CHECK_STR(r->country, "US");
    CHECK_INT(ipl_geoip_count(g), 1);
    CHECK_INT(ipl_geoip_stats_get(g)->dropped, 1);
    CHECK(strstr(ipl_geoip_stats_get(g)->reason, "corrupt.mmdb' dropped: looking up 8.8.8.8") != NULL);
    CHECK_INT(ipl_geoip_lookup(g, ip("81.2.69.1"), &r), IPL_OK);
    CHECK_STR(r->country, "GB");
    ipl_geoip_free(g);

    /* alone: enrichment ends, ingest does not */
    CHECK_INT(ipl_geoip_new(&g, 0, &d), IPL_OK);
    CHECK_INT(ipl_geoip_add(g, corrupt_db, &d), IPL_OK);
    ipl_event ev = logon("8.8.8.8");
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    CHECK_INT(ipl_geoip_count(g), 0);
    CHECK_INT(ipl_geoip_enrich(g, &ev), 0);
    ipl_geoip_free(g);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    make_dbs();
    RUN(test_public);
    RUN(test_kinds);
    RUN(test_lookup_exact);
    RUN(test_enrich);
    RUN(test_bad_files);
    RUN(test_corrupt_tree_dropped);
    char cmd[300];
    /* IPL_KEEP_TMP=1 keeps the databases for a look with mmdblookup */
    snprintf(cmd, sizeof cmd, getenv("IPL_KEEP_TMP") ? "true %s" : "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
