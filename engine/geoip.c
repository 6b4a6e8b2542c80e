/* engine/geoip.c — MMDB lookups, the public-address test and event enrichment (see geoip.h).
 *
 * The cache is direct-mapped: slot = hash(address) & (n - 1); a slot holds the last address that
 * hashed there with its merged answer (found or not). It is cleared whenever the set of
 * databases changes, so an answer never outlives the databases it came from.
 */
#include "engine/geoip.h"
#include "engine/addr.h"
#include "engine/err.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define CACHE_DEFAULT 4096
#define CACHE_MAX     (1u << 20)

typedef struct geo_db {
    MMDB_s mmdb;
    char  *path;
} geo_db;

typedef struct geo_slot {
    uint8_t ip[16];
    uint8_t valid, found;
    ipl_geo geo;
} geo_slot;

struct ipl_geoip {
    geo_db db[IPL_GEOIP_DB_MAX];
    size_t n;
    geo_slot *cache;         /* ncache slots, a power of two; NULL when disabled */
    size_t ncache;
    ipl_geo scratch;         /* the answer when the cache is off */
    ipl_geoip_stats st;
};

int ipl_geoip_new(ipl_geoip **out, size_t cache_entries, ipl_diag *d)
{
    *out = NULL;
    ipl_geoip *g = calloc(1, sizeof *g);
    if (!g)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if (cache_entries == 0)
        cache_entries = CACHE_DEFAULT;
    if (cache_entries > CACHE_MAX)
        cache_entries = CACHE_MAX;
    if (cache_entries > 1) {
        size_t n = 1;
        while (n < cache_entries)
            n <<= 1;
        if (!(g->cache = calloc(n, sizeof *g->cache))) {
            free(g);
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        g->ncache = n;
    }
    *out = g;
    return IPL_OK;
}

static void cache_clear(ipl_geoip *g)
{
    for (size_t i = 0; i < g->ncache; i++)
        g->cache[i].valid = 0;
}

void ipl_geoip_free(ipl_geoip *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        MMDB_close(&g->db[i].mmdb);
        free(g->db[i].path);
    }
    free(g->cache);
    free(g);
}

int ipl_geoip_add(ipl_geoip *g, const char *path, ipl_diag *d)
{
    if (g->n == IPL_GEOIP_DB_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "cannot open GeoIP database '%s': more than %d databases",
                            path, IPL_GEOIP_DB_MAX);
    geo_db *db = &g->db[g->n];
    memset(db, 0, sizeof *db);
    errno = 0;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
    if (rc != MMDB_SUCCESS) {
        int e = errno;
        if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR)
            return ipl_diag_set(d, e == EACCES ? IPL_EACCES : IPL_EIO,
                                "cannot open GeoIP database '%s': %s (%s)", path, MMDB_strerror(rc),
                                e ? strerror(e) : "no detail");
        return ipl_diag_set(d, rc == MMDB_OUT_OF_MEMORY_ERROR ? IPL_ENOMEM : IPL_ECORRUPT,
                            "cannot open GeoIP database '%s': %s", path, MMDB_strerror(rc));
    }
    /* read the file ahead: the first lookups of a run would otherwise each fault a page in */
    if (db->mmdb.file_content && db->mmdb.file_size > 0)
        (void)madvise((void *)(uintptr_t)db->mmdb.file_content, (size_t)db->mmdb.file_size,
                      MADV_WILLNEED);
    if (!(db->path = strdup(path))) {
        MMDB_close(&db->mmdb);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    g->n++;
    cache_clear(g);
    return IPL_OK;
}

size_t ipl_geoip_count(const ipl_geoip *g) { return g ? g->n : 0; }

const ipl_geoip_stats *ipl_geoip_stats_get(const ipl_geoip *g) { return &g->st; }

/* ---- which addresses and kinds ---- */
static int in4(const uint8_t *a, uint32_t net, int bits)
{
    uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    uint32_t mask = bits ? ~(uint32_t)0 << (32 - bits) : 0;
    return (v & mask) == net;
}

int ipl_ip_is_public(const uint8_t ip[16])
{
    if (ipl_ip_is_v4(ip)) {
        static const struct { uint32_t net; int bits; } priv[] = {
            {0x00000000u, 8},  /* 0/8 this network */
            {0x0a000000u, 8},  /* 10/8 RFC 1918 */
            {0x64400000u, 10}, /* 100.64/10 CGNAT */
            {0x7f000000u, 8},  /* 127/8 loopback */
            {0xa9fe0000u, 16}, /* 169.254/16 link-local */
            {0xac100000u, 12}, /* 172.16/12 RFC 1918 */
            {0xc0000000u, 24}, /* 192.0.0/24 IETF protocol assignments */
            {0xc0000200u, 24}, /* 192.0.2/24 TEST-NET-1 */
            {0xc0586300u, 24}, /* 192.88.99/24 6to4 relay anycast (deprecated) */
            {0xc0a80000u, 16}, /* 192.168/16 RFC 1918 */
            {0xc6120000u, 15}, /* 198.18/15 benchmarking */
            {0xc6336400u, 24}, /* 198.51.100/24 TEST-NET-2 */
            {0xcb007100u, 24}, /* 203.0.113/24 TEST-NET-3 */
            {0xe0000000u, 4},  /* 224/4 multicast */
            {0xf0000000u, 4},  /* 240/4 reserved, 255.255.255.255 */
        };
        for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
            if (in4(ip + 12, priv[i].net, priv[i].bits))
                return 0;
        return 1;
    }
    if ((ip[0] & 0xe0) != 0x20)                                 /* outside 2000::/3 */
        return 0;
    if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] < 0x02)         /* 2001::/23 */
        return 0;
    if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8) /* 2001:db8::/32 */
        return 0;
    if (ip[0] == 0x20 && ip[1] == 0x02)                         /* 2002::/16 6to4 */
        return 0;
    if (ip[0] == 0x3f && ip[1] == 0xff && (ip[2] & 0xf0) == 0)  /* 3fff::/20 */
        return 0;
    return 1;
}

int ipl_geoip_kind(unsigned kind)
{
    switch (kind) {
    case IPL_K_LOGON: case IPL_K_LOGOFF: case IPL_K_LOGON_FAIL: case IPL_K_LOGON_EXPLICIT:
    case IPL_K_AUTH_KERBEROS: case IPL_K_AUTH_NTLM: case IPL_K_AUTH_PRIV: case IPL_K_AUTH_FAIL:
    case IPL_K_RADIUS_START: case IPL_K_RADIUS_STOP: case IPL_K_RADIUS_UPDATE:
    case IPL_K_RADIUS_REQUEST:
        return 1;
    default:
        return 0;
    }
}

/* ---- lookups ---- */
static int data_error(int rc)
{
    return rc == MMDB_CORRUPT_SEARCH_TREE_ERROR || rc == MMDB_INVALID_DATA_ERROR ||
           rc == MMDB_UNKNOWN_DATABASE_FORMAT_ERROR || rc == MMDB_INVALID_METADATA_ERROR ||
           rc == MMDB_IO_ERROR || rc == MMDB_OUT_OF_MEMORY_ERROR;
}

static void drop_db(ipl_geoip *g, size_t i, const uint8_t ip[16], int rc)
{
    if (!g->st.dropped) {
        char t[IPL_IP_TEXT];
        ipl_ip_format(ip, t, sizeof t);
        ipl_diag d;
        ipl_diag_set(&d, IPL_ECORRUPT, "GeoIP database '%s' dropped: looking up %s: %s",
                     g->db[i].path, t, MMDB_strerror(rc));
        memcpy(g->st.reason, d.msg, sizeof g->st.reason);
    }
    g->st.dropped++;
    MMDB_close(&g->db[i].mmdb);
    free(g->db[i].path);
    memmove(&g->db[i], &g->db[i + 1], (g->n - i - 1) * sizeof g->db[0]);
    g->n--;
    cache_clear(g);
}

/* Copies a UTF-8 string value, at most cap-1 bytes cut at a character boundary, control bytes
 * replaced by spaces. */
static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    if (n > cap - 1) {
        n = cap - 1;
        while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    dst[n] = '\0';
}

/* One field of an entry: IPL_OK with data, IPL_ENOTFOUND when absent or of another shape, or
 * the libmaxminddb error through *rc (a corrupt data section). */
static int field(MMDB_entry_s *e, MMDB_entry_data_s *v, int *rc, const char *k1, const char *k2)
{
    *rc = k2 ? MMDB_get_value(e, v, k1, k2, (const char *)NULL) : MMDB_get_value(e, v, k1, (const char *)NULL);
    if (*rc == MMDB_SUCCESS)
        return v->has_data ? IPL_OK : IPL_ENOTFOUND;
    if (!data_error(*rc))
        *rc = MMDB_SUCCESS;     /* path does not match the data: the field is not there */
    return IPL_ENOTFOUND;
}

static void ask_all(ipl_geoip *g, const uint8_t ip[16], ipl_geo *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    const struct sockaddr *sa;
    if (ipl_ip_is_v4(ip)) {
        memset(&s4, 0, sizeof s4);
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, ip + 12, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        memset(&s6, 0, sizeof s6);
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, ip, 16);
        sa = (const struct sockaddr *)&s6;
    }
    for (size_t i = 0; i < g->n;) {
        int rc = MMDB_SUCCESS;
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&g->db[i].mmdb, sa, &rc);
        if (rc == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR || (rc == MMDB_SUCCESS && !r.found_entry)) {
            i++;
            continue;
        }
        if (rc != MMDB_SUCCESS) {
            drop_db(g, i, ip, rc);
            continue;
        }
        MMDB_entry_data_s v;
        if (!out->country[0]) {
            int ok = field(&r.entry, &v, &rc, "country", "iso_code");
            if (ok != IPL_OK && rc == MMDB_SUCCESS)
                ok = field(&r.entry, &v, &rc, "country_code", NULL);
            if (ok == IPL_OK && v.type == MMDB_DATA_TYPE_UTF8_STRING && v.data_size >= 2 &&
                v.data_size <= 3) {
                int good = 1;
                for (uint32_t k = 0; k < v.data_size; k++)
                    if (!((v.utf8_string[k] >= 'A' && v.utf8_string[k] <= 'Z') ||
                          (v.utf8_string[k] >= 'a' && v.utf8_string[k] <= 'z')))
                        good = 0;
                if (good) {
                    for (uint32_t k = 0; k < v.data_size; k++)
                        out->country[k] = (char)(v.utf8_string[k] & ~0x20);   /* upper case */
                    out->country[v.data_size] = '\0';
                }
            }
        }
        if (rc == MMDB_SUCCESS && !out->asn[0] &&
            field(&r.entry, &v, &rc, "autonomous_system_number", NULL) == IPL_OK) {
            uint64_t n = UINT64_MAX;
            switch (v.type) {
            case MMDB_DATA_TYPE_UINT16: n = v.uint16; break;
            case MMDB_DATA_TYPE_UINT32: n = v.uint32; break;
            case MMDB_DATA_TYPE_UINT64: n = v.uint64; break;
            case MMDB_DATA_TYPE_INT32:  n = v.int32 >= 0 ? (uint64_t)v.int32 : UINT64_MAX; break;
            default: break;
            }
            if (n <= UINT32_MAX) {
                /* "AS" + at most 10 digits */
                char tmp[16];
                int k = 0;
                do
                    tmp[k++] = (char)('0' + n % 10);
                while ((n /= 10));
                out->asn[0] = 'A';
                out->asn[1] = 'S';
                for (int j = 0; j < k; j++)
                    out->asn[2 + j] = tmp[k - 1 - j];
                out->asn[2 + k] = '\0';
            }
        }
        if (rc == MMDB_SUCCESS && !out->as_org[0] &&
            field(&r.entry, &v, &rc, "autonomous_system_organization", NULL) == IPL_OK &&
            v.type == MMDB_DATA_TYPE_UTF8_STRING)
            copy_text(out->as_org, sizeof out->as_org, v.utf8_string, v.data_size);
        if (rc != MMDB_SUCCESS) {
            drop_db(g, i, ip, rc);     /* what this one gave is kept only if another confirms */
            memset(out, 0, sizeof *out);
            i = 0;                     /* start over with the databases left */
            continue;
        }
        if (out->country[0] && out->asn[0] && out->as_org[0])
            break;
        i++;
    }
}

int ipl_geoip_lookup(ipl_geoip *g, const uint8_t ip[16], const ipl_geo **out)
{
    g->st.lookups++;
    ipl_geo *geo;
    int found;
    if (g->ncache) {
        uint64_t hi, lo;
        memcpy(&hi, ip, 8);
        memcpy(&lo, ip + 8, 8);
        uint64_t h = lo ^ (hi * 0x9e3779b97f4a7c15ull);      /* murmur3's fmix64: every bit */
        h ^= h >> 33;                                         /* of the address moves the slot */
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        geo_slot *s = &g->cache[h & (g->ncache - 1)];
        if (s->valid && memcmp(s->ip, ip, 16) == 0) {
            g->st.cache_hits++;
        } else {
            ask_all(g, ip, &s->geo);
            /* a dropped database cleared the cache: this slot is written after */
            memcpy(s->ip, ip, 16);
            s->found = s->geo.country[0] || s->geo.asn[0] || s->geo.as_org[0];
            s->valid = 1;
        }
        geo = &s->geo;
        found = s->found;
    } else {
        ask_all(g, ip, &g->scratch);
        geo = &g->scratch;
        found = geo->country[0] || geo->asn[0] || geo->as_org[0];
    }
    if (!found)
        return IPL_ENOTFOUND;
    g->st.found++;
    *out = geo;
    return IPL_OK;
}

static int add(ipl_event *ev, unsigned key, const char *val)
{
    size_t n = strlen(val), len;
    if (!n || ev->nattr >= IPL_ATTR_MAX || ipl_event_attr(ev, key, &len))
        return 0;
    return ipl_event_add_attr(ev, key, val, n) == IPL_OK;
}

int ipl_geoip_enrich(ipl_geoip *g, ipl_event *ev)
{
    if (!g || !g->n || !ev->has_ip || !ipl_geoip_kind(ev->kind) || !ipl_ip_is_public(ev->ip))
        return 0;
    const ipl_geo *geo;
    if (ipl_geoip_lookup(g, ev->ip, &geo) != IPL_OK)
        return 0;
    int added = add(ev, IPL_A_COUNTRY, geo->country) + add(ev, IPL_A_ASN, geo->asn) +
                add(ev, IPL_A_AS_ORG, geo->as_org);
    if (added)
        g->st.enriched++;
    return added;
}
