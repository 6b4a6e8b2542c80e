/* engine/geoip.h — country and AS enrichment of remote client addresses at ingest.
 *
 * One handle holds one or more MaxMind-format databases (MMDB, opened with libmaxminddb in
 * MMDB_MODE_MMAP) in the order they were added. A lookup asks each database in turn; the first
 * database that has a field wins that field (a country database and an ASN database complement
 * each other; a later database never overrides an earlier answer). Fields read:
 *     country   country.iso_code (GeoLite2/GeoIP2/DB-IP layout) or country_code (ip-location-db)
 *     asn       autonomous_system_number      -> attribute geo.asn as "AS3320"
 *     as_org    autonomous_system_organization -> attribute geo.as_org (at most IPL_GEO_ORG_MAX-1
 *               bytes, cut at a UTF-8 boundary; control bytes become spaces)
 *
 * Only public addresses are looked up (ipl_ip_is_public: one function decides), and only for the
 * kinds whose ip is a remote client (ipl_geoip_kind): logon family, auth.*, radius.*. Lease events
 * are never enriched (their ips are the enterprise's own, and there are many).
 *
 * Failure never stops ingest: ipl_geoip_add fails for a missing or corrupt file (the caller warns
 * and goes on without it), and a database whose data turns out corrupt during a lookup is dropped
 * from the handle and its reason kept (ipl_geoip_stats.dropped / .reason).
 *
 * A handle keeps a small direct-mapped cache of answers by exact address (client addresses repeat
 * heavily in logon logs). Not thread-safe: one handle per thread of ingest (the CLI's ingest and
 * serve's event loop each have one).
 */
#ifndef IPL_GEOIP_H
#define IPL_GEOIP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"

#define IPL_GEOIP_DB_MAX  16     /* databases per handle */
#define IPL_GEO_ORG_MAX   256    /* bytes of an AS organization, with the NUL */

typedef struct ipl_geoip ipl_geoip;

typedef struct ipl_geo {
    char country[4];             /* "DE", or "" when no database knows */
    char asn[16];                /* "AS3320", or "" */
    char as_org[IPL_GEO_ORG_MAX];/* "Deutsche Telekom AG", or "" */
} ipl_geo;

typedef struct ipl_geoip_stats {
    uint64_t lookups;            /* public addresses asked for (cache hits included) */
    uint64_t cache_hits;
    uint64_t found;              /* lookups that gave at least one field */
    uint64_t enriched;           /* events that received at least one attribute */
    uint64_t dropped;            /* databases dropped after a lookup error */
    char reason[IPL_DIAG_MAX];   /* why the first one was dropped, or "" */
} ipl_geoip_stats;

/* An empty handle (no database yet: lookups find nothing). Returns owned, free with
 * ipl_geoip_free. cache_entries 0 = the default (4096); 1 disables the cache. */
int  ipl_geoip_new(ipl_geoip **out, size_t cache_entries, ipl_diag *d);
void ipl_geoip_free(ipl_geoip *g);
/* Opens one more database (path borrowed for the call, copied). A missing, unreadable or corrupt
 * file is an error naming the file and libmaxminddb's reason; g is unchanged then. */
int  ipl_geoip_add(ipl_geoip *g, const char *path, ipl_diag *d);
/* Databases open now (0 after every one was dropped: enrichment is off). */
size_t ipl_geoip_count(const ipl_geoip *g);
const ipl_geoip_stats *ipl_geoip_stats_get(const ipl_geoip *g);

/* 1 if ip (canonical 16 bytes) is a public unicast address: not RFC 1918, loopback, link-local,
 * CGNAT 100.64/10, this-network 0/8, IETF 192.0.0/24, documentation, benchmarking 198.18/15,
 * multicast, reserved 240/4, broadcast; for IPv6 only global unicast 2000::/3 counts, less
 * 2001::/23 (IETF protocol assignments, Teredo), 2001:db8::/32 and 3fff::/20 (documentation) and
 * 2002::/16 (6to4): so ::1, ::, ULA fc00::/7, fe80::/10, ff00::/8, 64:ff9b::/96 are not. IPv4 is
 * v4-mapped, so a v4-mapped private address is private. */
int ipl_ip_is_public(const uint8_t ip[16]);
/* 1 for the kinds whose ip is a remote client and gets enriched. */
int ipl_geoip_kind(unsigned kind);

/* Looks ip up (any address; the public check is the caller's). IPL_OK with *out pointing into
 * the handle (valid until the next call on g) when some field was found, else IPL_ENOTFOUND. */
int ipl_geoip_lookup(ipl_geoip *g, const uint8_t ip[16], const ipl_geo **out);
/* Enriches one event in place when its kind and address qualify: adds geo.country, geo.asn and
 * geo.as_org for the fields found and not already present (an event re-imported with its
 * attributes keeps them). The values are borrowed from g: valid until the next call on g, so add
 * the event to its batch first. Returns the number of attributes added (0 when full or none).
 * g may be NULL (no enrichment). */
int ipl_geoip_enrich(ipl_geoip *g, ipl_event *ev);

#endif
