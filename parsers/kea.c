/* parsers/kea.c — ISC Kea: the memfile lease files ("kea-csv"), Kea's own log lines ("kea-log",
 * and the syslog sub-parser "kea" for the same messages inside a syslog envelope), and the
 * forensic (legal) log hook's files ("kea-legal"). Spec: FORMATS.md sections 3 and 9.
 *
 * ---- kea-csv: kea-leases4.csv / kea-leases6.csv ----------------------------------------------
 *
 *   address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,...
 *   10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,4000,1714548132,1,1,1,laptop-7q2,0,,0
 *
 * Columns are mapped by the header line (its first field is a column name, "address" as Kea writes
 * it; a data row starts with an address); v6 when the header has a "duid"
 * column. Any Kea column set is accepted as long as the columns every Kea version writes are
 * there (v4: address..hostname, v6: address..hostname of schema 1.0); unknown columns are
 * ignored; a header line met again later (concatenated files) replaces the map. Rows must have
 * exactly as many fields as the header. No quoting; hostname and user_context are un-escaped
 * ("&#x2c" -> ','; an escaped NUL is refused), the other columns are taken as written.
 *
 * No header seen (ingest resumes an appended file after its header line, or rows were cut out of
 * a file): the map is inferred per row from the address family and the field count, as the newest
 * Kea column order cut to that many fields (every Kea schema only ever appended columns):
 * v4 9-12 fields, v6 12-18 fields but not 16.
 *
 * Times: expire is Unix seconds (UTC) = cltt + valid_lifetime; a row is written when the lease
 * changes, so cltt (the client's last transaction) is the time of an allocation or renewal.
 *   valid > 0, state 0 (default) or 4 (registered, v6)  -> lease.assign or lease.renew at cltt,
 *        attribute lease_end = expire ("infinite" for valid_lifetime 4294967295);
 *        lease.renew when the previous row for that address seen in this stream was an active
 *        lease of the same client (v4: hwaddr + client_id; v6: duid + iaid + lease type) that had
 *        not expired at the new cltt; lease.assign otherwise (first sight, another client, a
 *        lapsed lease). The memory of previous rows is a 16384-entry 4-way cache of addresses in
 *        the parser state, not persisted: after eviction or a resumed ingest, a renewal reads as
 *        lease.assign (same client, so `who` still names the right holder).
 *   valid > 0, state 1 (declined)          -> lease.decline at cltt (the decline time; expire is
 *        the end of the probation period, kept as lease_end). hwaddr/client_id are empty and the
 *        v6 DUID is the placeholder "00:00:00" (or "00"): no client is set.
 *   valid > 0, state 2 (expired-reclaimed) -> lease.expire at expire (the true end of the lease;
 *        the row itself is written later, when the server reclaims it).
 *   state 3 (released, lease affinity) and valid 0 (the lease was removed: a release, an admin
 *        delete, or a reclamation that removes): the time of the removal is not in the row (a
 *        valid-0 row's expire is the *old* cltt). What is known: it happened at or after the file
 *        clock (the latest write time the rows read so far prove: cltt of allocations, renewals
 *        and declines, expire of reclaimed leases, the old cltt of removals), because Kea appends
 *        in time order; and at or before the write time of the next row that carries one (the
 *        cltt of the next allocation, renewal or decline). So:
 *        - when the lease's end (its previous row's expire, remembered in the cache) is at or
 *          before the file clock, the lease had run out first: lease.expire at that end, at once;
 *        - state 2 with valid 0 (the flush of a lease already reclaimed, which got its
 *          lease.expire): lease.delete at the file clock, at once;
 *        - otherwise the row is held (pending() is 1) until the next row with a write time, then
 *          emitted, before that row's event, as lease.release (state 1 with valid 0, a declined
 *          address recovered after probation: lease.expire) at min(that write time, the lease's
 *          end if known), never before the file clock. At the end of the input (finish) the
 *          bound is ctx->now (the file was complete then). A header line, or more than 128 held
 *          rows (64 KiB), flushes them at the file clock.
 *        The upper bound is deliberate: it never ends a holding before the client let go (an
 *        exact DHCP4_RELEASE from kea-log, ingested too, closes it at the right instant) and it
 *        cannot overlap the next holder, whose allocation row bounds it. Such events carry the
 *        attribute time_basis=file-order. Events emitted at a flush belong to the line that
 *        flushed them (ingest numbers them with that line).
 * The file clock is kept in ctx->last_ts, which ingest persists with the source position, so a
 * resumed ingest continues it.
 *
 * Fields: ip = address (a v6 prefix for IA_PD, with prefix_len); mac = hwaddr when it has 6
 * octets (v6: else the MAC inside a DUID-LLT/DUID-LL), other hardware addresses go, as hex, to
 * the hwaddr attribute; duid (v6) canonical hex; host = un-escaped hostname; server =
 * ctx->server. Attributes: lifetime (valid_lifetime), lease_end, subnet_id, client_id (v4, hex),
 * iaid, lease_type (IA_NA, IA_TA, IA_PD) and prefix_len (v6, when not an address lease),
 * hwaddr_source (v6, the number as written, when a hardware address is present), user_context
 * (un-escaped JSON), status (the state for states 1-4: declined, expired-reclaimed, released,
 * registered), time_basis.
 *
 * Files written by LFC (.1, .2, .completed) are the same format; a compacted file holds one row
 * per live lease (state 0/1/2 only), in address order, so each reads as lease.assign again.
 *
 * ---- kea-log: Kea's log files (default pattern) ------------------------------------------------
 *
 *   2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC
 *       [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: lease
 *       10.20.30.41 has been allocated for 4000 seconds
 *
 * A line is "YYYY-MM-DD HH:MM:SS[.fraction]" (local time, ctx->tz; 'T' accepted between date
 * and time), then up to six tokens (severity, [logger/pid.tid], anything a custom pattern adds)
 * before the message ID: the first token of [A-Z][A-Z0-9_]* holding a '_'. Messages with lease
 * meaning must match their text exactly (else the line is refused with the expected text); all
 * other messages carry no event. Lines without a timestamp are continuation lines of a multi-line
 * message (packet dumps at DEBUG): accepted without event after a message that has no lease
 * meaning, up to 2000 in a row; anywhere else they are refused.
 *   DHCP4_LEASE_ALLOC, DHCP6_LEASE_ALLOC, DHCP6_PD_LEASE_ALLOC        lease.assign (+lease_end)
 *   DHCP4_LEASE_REUSE, DHCP6_(PD_)LEASE_RENEW, DHCP6_(PD_)LEASE_REUSE  lease.renew
 *   DHCP4_LEASE_ADVERT, DHCP4_LEASE_OFFER, DHCP6_(PD_)LEASE_ADVERT      lease.offer
 *   DHCP4_INIT_REBOOT                                                  lease.request
 *   DHCP4_RELEASE[_EXPIRED|_DELETED], DHCP6_RELEASE_NA|PD[_EXPIRED|_DELETED]  lease.release
 *   DHCP4_DECLINE_LEASE, DHCP6_DECLINE_LEASE                           lease.decline
 *   DHCP4_SERVER_INITIATED_DECLINE                                     lease.conflict
 *   ALLOC_ENGINE_V4_LEASE_RECLAIM, ALLOC_ENGINE_V6_LEASE_RECLAIM      lease.expire (reclaim time)
 *   ALLOC_ENGINE_V4/V6_DECLINED_RECOVERED                              lease.expire (no client)
 *   DHCPSRV_MEMFILE_LFC_START, DHCPSRV_MEMFILE_LFC_EXECUTE             server.housekeeping
 *   DHCP4_STARTED, DHCP4_SHUTDOWN, DHCP6_STARTED, DHCP6_SHUTDOWN      server.service
 * DHCPSRV_MEMFILE_ADD/UPDATE/DELETE_ADDR* (DEBUG) carry no event: they repeat the lease messages
 * without the client. The client label (%1) gives mac ("[hwtype=1 aa:..]"; other hardware
 * address lengths go to the hwaddr attribute), client_id ("cid=[..]", v4), duid ("duid=[..]",
 * v6; mac from it when no hardware address is logged) and xid ("tid=0x..", as written).
 * Attributes: code (the message ID), lifetime and lease_end when the text has a duration, iaid,
 * prefix_len (prefix messages), desc (service/housekeeping messages: the text).
 *
 * The syslog sub-parser "kea" (tags kea-dhcp4, kea-dhcp6) reads the message part of a syslog
 * line (Kea's syslog pattern "%-5p [%c.%t] %m") the same way; time and host come from the
 * envelope, server = ctx->server or else the envelope's host.
 *
 * ---- kea-legal: the forensic logging hook (libdhcp_legal_log.so) -------------------------------
 *
 *   2024-05-01 08:15:32 CEST Address: 10.20.30.41 has been assigned for 1 hrs 6 mins 40 secs to
 *       a device with hardware address: hwtype=1 3c:52:82:6a:1b:2f, client-id: 01:3c:...
 *
 * Timestamp "YYYY-MM-DD HH:MM:SS[.fraction]" then an optional zone: an abbreviation (2-5
 * capitals; "UTC"/"GMT"/"Z" mean UTC, any other is local to ctx->tz since abbreviations are
 * ambiguous) or a numeric offset (+hh[:]mm, used as given). Then ' ' or '-' ('-' marks a
 * continuation line of a custom multi-line format: no event). Entries:
 *   Address: IP | Prefix: IP/LEN  has been assigned|renewed for DURATION to a device with ...
 *        -> lease.assign / lease.renew (+lifetime, lease_end)
 *   Address: ... has been released from a device with ...  -> lease.release
 *   (Administrator|HA partner) added a lease of address: IP to a device with ... -> lease.assign
 *   (Administrator|HA partner) updated information on the lease of address: IP ... -> lease.assign
 *   (Administrator|HA partner) deleted the lease for address: IP -> lease.delete (no client)
 *   (Administrator|HA partner) deleted a lease for a device identified by: hw-address of MAC
 *        -> lease.delete without an address (only the MAC)
 * The device: "hardware address: [hwtype=N ]MAC" (v4; then ", client-id: HEX[ (text)]"), or
 * "DUID: HEX[ and hardware address: hwtype=N MAC (from SOURCE)]" (v6). Relay and context
 * details that follow are not read. DURATION is "[D days ]H hrs M mins S secs" ("min" also) or
 * "infinite duration". Any other text is refused.
 *
 * All three: lines over 16384 bytes, NUL bytes, and strings over the event limits are refused
 * (a cap is an error, never a silent cut); a refused line is never partly emitted. Pure: no I/O,
 * no globals written, no clock; strings are copied into ctx->arena or point into the line.
 */
#include "parsers/parser.h"
#include "parsers/syslog.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <stdint.h>
#include <string.h>

#define KEA_LINE_MAX   16384
#define KEA_QUOTE_MAX  64       /* bytes of a field shown in an error message */
#define KEA_HW_MAX     20       /* octets in a hardware address (Kea's HWAddr limit) */
#define KEA_ID_MAX     (IPL_STR_MAX / 2 - 1)   /* octets in a DUID / client-id we keep */
#define KEA_CONT_MAX   2000     /* continuation lines after one log message */
#define QBUF (4 * KEA_QUOTE_MAX + 4)

extern const ipl_parser ipl_parser_kea_csv;
extern const ipl_parser ipl_parser_kea_log;
extern const ipl_parser ipl_parser_kea_legal;
extern const ipl_syslog_sub ipl_syslog_sub_kea;

/* ---- small text helpers ------------------------------------------------------------------ */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n >= m && memcmp(s, lit, m) == 0;
}

/* Renders bytes for an error message: printable ASCII as is, others as \xNN, cut with "..." */
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, KEA_QUOTE_MAX);
}

/* Decimal without sign, at most `max`; 1 on success. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return 0;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (d > max || v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}
#define FNV0 UINT64_C(0xcbf29ce484222325)

static char *arena_copy(ipl_parse_ctx *ctx, const char *s, size_t n)
{
    return ipl_arena_strndup(ctx->arena, s, n);
}

/* Colon-separated hex octets ("3c:52:82:6a:1b:2f"; 1 or 2 digits each; a bare even-length hex
 * string also accepted) -> lowercase hex without separators into out (size outsz), octet count
 * in *octets. 0 if malformed or longer than max_octets. */
static int colon_hex(const char *s, size_t n, size_t max_octets, char *out, size_t outsz,
                     size_t *octets)
{
    static const char hx[] = "0123456789abcdef";
    size_t o = 0, k = 0, i = 0;
    if (n == 0)
        return 0;
    if (!memchr(s, ':', n)) {                       /* "3c52826a1b2f" */
        if (n % 2 || n / 2 > max_octets || n + 1 > outsz)
            return 0;
        for (; i < n; i++) {
            int v = ipl_text_hex((unsigned char)s[i]);
            if (v < 0)
                return 0;
            out[o++] = hx[v];
        }
        out[o] = '\0';
        *octets = n / 2;
        return 1;
    }
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ':')
            j++;
        size_t len = j - i;
        if (len < 1 || len > 2 || k >= max_octets || o + 3 > outsz)
            return 0;
        int hi = len == 2 ? ipl_text_hex((unsigned char)s[i]) : 0;
        int lo = ipl_text_hex((unsigned char)s[j - 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[o++] = hx[hi];
        out[o++] = hx[lo];
        k++;
        if (j == n)
            break;
        i = j + 1;
        if (i == n)
            return 0;                               /* trailing ':' */
    }
    out[o] = '\0';
    *octets = k;
    return 1;
}

/* A hardware address (colon hex) -> ev->mac when 6 octets, else the hwaddr attribute (hex).
 * 0 if malformed. */
static int set_hwaddr(ipl_parse_ctx *ctx, ipl_event *ev, const char *s, size_t n, int *err)
{
    char hex[2 * KEA_HW_MAX + 1];
    size_t oct;
    *err = IPL_OK;
    if (!colon_hex(s, n, KEA_HW_MAX, hex, sizeof hex, &oct))
        return 0;
    char *copy = arena_copy(ctx, hex, 2 * oct);
    if (!copy) {
        *err = IPL_ENOMEM;
        return 1;
    }
    if (oct == 6)
        ev->mac = copy;
    else
        *err = ipl_event_add_attr(ev, IPL_A_HWADDR, copy, 2 * oct);
    return 1;
}

/* A DUID (colon hex) -> ev->duid, and ev->mac from a DUID-LLT/LL when no MAC is set yet.
 * 0 if malformed. */
static int set_duid(ipl_parse_ctx *ctx, ipl_event *ev, const char *s, size_t n, int *err)
{
    char hex[2 * KEA_ID_MAX + 1];
    size_t oct;
    *err = IPL_OK;
    if (!colon_hex(s, n, KEA_ID_MAX, hex, sizeof hex, &oct))
        return 0;
    char *copy = arena_copy(ctx, hex, 2 * oct);
    if (!copy) {
        *err = IPL_ENOMEM;
        return 1;
    }
    ev->duid = copy;
    char mac[13];
    if (!ev->mac && ipl_duid_mac(copy, mac) == IPL_OK) {
        ev->mac = arena_copy(ctx, mac, 12);
        if (!ev->mac)
            *err = IPL_ENOMEM;
    }
    return 1;
}

/* lease_end attribute: ISO UTC text of `end_s` (seconds), into the arena. */
static int add_lease_end(ipl_parse_ctx *ctx, ipl_event *ev, int64_t end_s, int infinite)
{
    if (infinite)
        return ipl_event_add_attr(ev, IPL_A_LEASE_END, "infinite", 8);
    /* "YYYY-MM-DDTHH:MM:SSZ", as ipl_time_format writes it, without printf (hot path) */
    if (end_s < 0 || end_s > INT64_C(253402300799)) {
        char *buf = ipl_arena_alloc(ctx->arena, IPL_TIME_BUF);
        if (!buf)
            return IPL_ENOMEM;
        size_t n = ipl_time_format(end_s * IPL_US_PER_SEC, buf, IPL_TIME_BUF);
        return ipl_event_add_attr(ev, IPL_A_LEASE_END, buf, n);
    }
    char *b = ipl_arena_alloc(ctx->arena, 20);
    if (!b)
        return IPL_ENOMEM;
    int y, mo, dd;
    int64_t days = end_s / 86400, sod = end_s % 86400;
    ipl_civil_from_days(days, &y, &mo, &dd);
    int v[6] = {y, mo, dd, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60)};
    b[0] = (char)('0' + y / 1000);
    b[1] = (char)('0' + y / 100 % 10);
    b[2] = (char)('0' + y / 10 % 10);
    b[3] = (char)('0' + y % 10);
    static const char sep[] = "--T::Z";
    for (int k = 1; k < 6; k++) {
        b[3 * k + 1] = sep[k - 1];
        b[3 * k + 2] = (char)('0' + v[k] / 10);
        b[3 * k + 3] = (char)('0' + v[k] % 10);
    }
    b[19] = 'Z';
    return ipl_event_add_attr(ev, IPL_A_LEASE_END, b, 20);
}

static int add_num_attr(ipl_parse_ctx *ctx, ipl_event *ev, unsigned key, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *buf = ipl_arena_alloc(ctx->arena, n);
    if (!buf)
        return IPL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return ipl_event_add_attr(ev, key, buf, n);
}

/* Maps an internal failure (ENOMEM, ELIMIT, EINVAL from the event helpers) to a diag. */
static int fail(ipl_diag *d, int err, const char *what)
{
    if (err == IPL_ENOMEM)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory while reading %s", what);
    return ipl_diag_set(d, err, "%s does not fit in an event (%s)", what, ipl_strerror(err));
}

/* Common line checks: length cap and NUL bytes. */
static int check_line(const char *s, size_t n, ipl_diag *d)
{
    if (n > KEA_LINE_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                            KEA_LINE_MAX);
    const char *z = memchr(s, '\0', n);
    if (z) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the line '%s'",
                            (size_t)(z - s), quote(q, s, n));
    }
    return IPL_OK;
}

/* ================================================================================================
 * kea-csv
 * ============================================================================================== */

enum kc_col {
    KC_ADDRESS, KC_HWADDR, KC_CLIENT_ID, KC_VALID, KC_EXPIRE, KC_SUBNET, KC_FQDN_FWD, KC_FQDN_REV,
    KC_HOSTNAME, KC_STATE, KC_USER_CONTEXT, KC_POOL_ID, KC_DUID, KC_PREF, KC_LEASE_TYPE, KC_IAID,
    KC_PREFIX_LEN, KC_HWTYPE, KC_HWSRC, KC_NCOL
};

static const char *const kc_names[KC_NCOL] = {
    "address", "hwaddr", "client_id", "valid_lifetime", "expire", "subnet_id", "fqdn_fwd",
    "fqdn_rev", "hostname", "state", "user_context", "pool_id", "duid", "pref_lifetime",
    "lease_type", "iaid", "prefix_len", "hwtype", "hwaddr_source",
};

/* The newest Kea column orders (every older schema is a prefix of these). */
static const uint8_t kc_order4[] = {
    KC_ADDRESS, KC_HWADDR, KC_CLIENT_ID, KC_VALID, KC_EXPIRE, KC_SUBNET, KC_FQDN_FWD, KC_FQDN_REV,
    KC_HOSTNAME, KC_STATE, KC_USER_CONTEXT, KC_POOL_ID,
};
static const uint8_t kc_order6[] = {
    KC_ADDRESS, KC_DUID, KC_VALID, KC_EXPIRE, KC_SUBNET, KC_PREF, KC_LEASE_TYPE, KC_IAID,
    KC_PREFIX_LEN, KC_FQDN_FWD, KC_FQDN_REV, KC_HOSTNAME, KC_HWADDR, KC_STATE, KC_USER_CONTEXT,
    KC_HWTYPE, KC_HWSRC, KC_POOL_ID,
};
#define KC_MIN4 9    /* address..hostname */
#define KC_MIN6 12

#define KC_MAX_FIELDS 32
#define KC_SETS 4096
#define KC_WAYS 4

/* One remembered address: the last row's client and lease end. */
typedef struct kc_slot {
    uint8_t  ip[16];
    uint64_t client;      /* hash of the client identity */
    int64_t  expire;      /* seconds */
    uint32_t stamp;       /* row counter at last use (replacement: oldest) */
    uint8_t  used, active;
} kc_slot;

/* A removal row held until a row with a known write time bounds its time. */
typedef struct kc_pend {
    uint32_t off, len;    /* the row's bytes in qbuf */
    uint16_t kind;
    int64_t  end;         /* the lease's known end (seconds), -1 if unknown */
    int64_t  lower;       /* the file clock when it was read */
} kc_pend;

#define KC_QMAX   128
#define KC_QBYTES 65536

typedef struct kc_state {
    int      have_map;    /* a header was read */
    int      v6;
    int      nfields;     /* fields of the header */
    int8_t   col[KC_NCOL];/* field index of each known column, -1 if absent */
    uint32_t rows;
    uint32_t nq, qused;   /* held removal rows */
    kc_pend  q[KC_QMAX];
    char     qbuf[KC_QBYTES];
    kc_slot  slot[KC_SETS * KC_WAYS];
} kc_state;

typedef struct kc_field {
    const char *p;
    size_t      n;
} kc_field;

typedef struct kc_row {
    kc_field f[KC_MAX_FIELDS];
    int      nf;
    int      v6;
    const int8_t *col;
} kc_row;

static void kc_init(void *state, ipl_parse_ctx *ctx)
{
    kc_state *s = state;
    s->have_map = 0;
    for (int i = 0; i < KC_NCOL; i++)
        s->col[i] = -1;
}

static kc_field kc_get(const kc_row *r, int c)
{
    kc_field none = {"", 0};
    int i = r->col[c];
    return i < 0 || i >= r->nf ? none : r->f[i];
}

static int kc_bad(ipl_diag *d, const kc_row *r, int c, const char *what)
{
    char q[QBUF];
    kc_field f = kc_get(r, c);
    return ipl_diag_set(d, IPL_EPARSE, "column %d (%s) '%s' %s", r->col[c] + 1, kc_names[c],
                        quote(q, f.p, f.n), what);
}

/* Splits on ','. Returns the field count, or -1 past KC_MAX_FIELDS. */
static int kc_split(const char *s, size_t n, kc_field *f)
{
    int nf = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            if (nf == KC_MAX_FIELDS)
                return -1;
            f[nf].p = s + start;
            f[nf].n = i - start;
            nf++;
            start = i + 1;
        }
    }
    return nf;
}

static int kc_header(kc_state *s, const kc_field *f, int nf, ipl_diag *d)
{
    int8_t col[KC_NCOL];
    char q[QBUF];
    for (int i = 0; i < KC_NCOL; i++)
        col[i] = -1;
    for (int i = 0; i < nf; i++) {
        for (int c = 0; c < KC_NCOL; c++) {
            if (!ipl_text_is(f[i].p, f[i].n, kc_names[c]))
                continue;
            if (col[c] >= 0)
                return ipl_diag_set(d, IPL_EPARSE, "header names column '%s' twice (columns %d "
                                    "and %d)", kc_names[c], col[c] + 1, i + 1);
            col[c] = (int8_t)i;
        }
        if (f[i].n == 0)
            return ipl_diag_set(d, IPL_EPARSE, "header column %d has no name", i + 1);
    }
    int v6 = col[KC_DUID] >= 0;
    const uint8_t *need = v6 ? kc_order6 : kc_order4;
    int nneed = v6 ? KC_MIN6 : KC_MIN4;
    for (int k = 0; k < nneed; k++)
        if (col[need[k]] < 0)
            return ipl_diag_set(d, IPL_EPARSE, "%s lease file header lacks the column '%s': '%s'",
                                v6 ? "v6" : "v4", kc_names[need[k]], quote(q, f[0].p,
                                (size_t)(f[nf - 1].p + f[nf - 1].n - f[0].p)));
    s->have_map = 1;
    s->v6 = v6;
    s->nfields = nf;
    memcpy(s->col, col, sizeof col);
    return IPL_OK;
}

/* The column map of a row when no header was read: newest order cut to the field count. */
static int kc_infer(const kc_field *f, int nf, int8_t *col, int *v6, ipl_diag *d)
{
    char q[QBUF];
    uint8_t ip[16];
    if (ipl_ip_parse(f[0].p, f[0].n, ip) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "column 1 (address) '%s' is not an IP address (and no "
                            "header line was read)", quote(q, f[0].p, f[0].n));
    *v6 = memchr(f[0].p, ':', f[0].n) != NULL;
    int lo = *v6 ? KC_MIN6 : KC_MIN4;
    int hi = *v6 ? (int)sizeof kc_order6 : (int)sizeof kc_order4;
    if (nf < lo || nf > hi || (*v6 && nf == 16))
        return ipl_diag_set(d, IPL_EPARSE, "no header line was read and %d fields match no Kea %s "
                            "lease file layout", nf, *v6 ? "v6" : "v4");
    const uint8_t *order = *v6 ? kc_order6 : kc_order4;
    for (int i = 0; i < KC_NCOL; i++)
        col[i] = -1;
    for (int i = 0; i < nf; i++)
        col[order[i]] = (int8_t)i;
    return IPL_OK;
}

/* Un-escapes Kea's "&#xNN" into the arena. *out NULL when empty. */
static int kc_unescape(ipl_parse_ctx *ctx, const kc_row *r, int c, size_t max, const char **out,
                       size_t *outn, ipl_diag *d)
{
    kc_field f = kc_get(r, c);
    *out = NULL;
    *outn = 0;
    if (f.n == 0)
        return IPL_OK;
    char *buf = ipl_arena_alloc(ctx->arena, f.n + 1);
    if (!buf)
        return fail(d, IPL_ENOMEM, kc_names[c]);
    size_t o = 0;
    for (size_t i = 0; i < f.n;) {
        if (f.n - i >= 5 && memcmp(f.p + i, "&#x", 3) == 0) {
            int hi = ipl_text_hex((unsigned char)f.p[i + 3]), lo = ipl_text_hex((unsigned char)f.p[i + 4]);
            if (hi >= 0 && lo >= 0) {
                if (hi == 0 && lo == 0)
                    return kc_bad(d, r, c, "holds an escaped NUL byte (&#x00)");
                buf[o++] = (char)(hi * 16 + lo);
                i += 5;
                continue;
            }
        }
        buf[o++] = f.p[i++];
    }
    buf[o] = '\0';
    if (o > max) {
        return ipl_diag_set(d, IPL_EPARSE, "column %d (%s) is %zu bytes long, longer than the "
                            "%zu-byte limit", r->col[c] + 1, kc_names[c], o, max);
    }
    *out = buf;
    *outn = o;
    return IPL_OK;
}

static int kc_num(const kc_row *r, int c, uint64_t max, int required, uint64_t *v, ipl_diag *d,
                  const char *what)
{
    kc_field f = kc_get(r, c);
    if (f.n == 0 && (!required || r->col[c] < 0)) {
        *v = 0;
        if (required)
            return ipl_diag_set(d, IPL_EPARSE, "the column '%s' is missing", kc_names[c]);
        return IPL_OK;
    }
    if (!parse_u64(f.p, f.n, max, v))
        return kc_bad(d, r, c, what);
    return IPL_OK;
}

static kc_slot *kc_find(kc_state *s, const uint8_t ip[16], int create)
{
    uint64_t h = fnv(FNV0, ip, 16);
    kc_slot *set = &s->slot[(h >> 7) % KC_SETS * KC_WAYS];
    kc_slot *victim = &set[0];
    for (int w = 0; w < KC_WAYS; w++) {
        if (set[w].used && memcmp(set[w].ip, ip, 16) == 0)
            return &set[w];
        if (!set[w].used)
            victim = &set[w];
        else if (victim->used && set[w].stamp < victim->stamp)
            victim = &set[w];
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    memcpy(victim->ip, ip, 16);
    victim->used = 1;
    return victim;
}

static const char *const kc_state_names[5] = {
    NULL, "declined", "expired-reclaimed", "released", "registered",
};

/* What kc_parse learnt of a row beyond the event. */
typedef struct kc_info {
    uint64_t valid, expire, state, client;
    int64_t  cltt;
    int      infinite;
} kc_info;

/* Parses one data row into ev (kind and ts not set) and info. Changes no state. */
static int kc_parse(kc_state *st, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_event *ev,
                    kc_info *in, ipl_diag *d)
{
    kc_row r;
    char q[QBUF];
    int rc, err;
    r.nf = kc_split(s, n, r.f);
    if (r.nf < 0)
        return ipl_diag_set(d, IPL_EPARSE, "row has more than %d fields: '%s'", KC_MAX_FIELDS,
                            quote(q, s, n));
    int8_t inferred[KC_NCOL];
    if (st->have_map) {
        if (r.nf != st->nfields)
            return ipl_diag_set(d, IPL_EPARSE, "row has %d fields, the header has %d columns: '%s'",
                                r.nf, st->nfields, quote(q, s, n));
        r.col = st->col;
        r.v6 = st->v6;
    } else {
        if ((rc = kc_infer(r.f, r.nf, inferred, &r.v6, d)) != IPL_OK)
            return rc;
        r.col = inferred;
    }

    ipl_event_reset(ev);
    ev->server = ctx->server;

    kc_field a = kc_get(&r, KC_ADDRESS);
    if (ipl_ip_parse(a.p, a.n, ev->ip) != IPL_OK ||
        (r.v6 ? memchr(a.p, ':', a.n) == NULL : memchr(a.p, ':', a.n) != NULL))
        return kc_bad(d, &r, KC_ADDRESS, r.v6 ? "is not an IPv6 address" : "is not an IPv4 address");
    ev->has_ip = 1;

    uint64_t v;
    if ((rc = kc_num(&r, KC_VALID, UINT32_MAX, 1, &in->valid, d, "is not a lifetime in seconds")) ||
        (rc = kc_num(&r, KC_EXPIRE, UINT64_C(253402300799) + UINT32_MAX, 1, &in->expire, d,
                     "is not a Unix time in seconds")) ||
        (rc = kc_num(&r, KC_SUBNET, UINT32_MAX, 1, &v, d, "is not a subnet ID")) ||
        (rc = kc_num(&r, KC_STATE, UINT32_MAX, 0, &in->state, d, "is not a lease state")) ||
        (rc = kc_num(&r, KC_POOL_ID, UINT32_MAX, 0, &v, d, "is not a pool ID")))
        return rc;
    if (in->expire < in->valid) {
        char q2[QBUF];
        kc_field e = kc_get(&r, KC_EXPIRE), l = kc_get(&r, KC_VALID);
        return ipl_diag_set(d, IPL_EPARSE, "column %d (expire) '%s' is before its valid_lifetime "
                            "'%s' from the epoch", r.col[KC_EXPIRE] + 1, quote(q, e.p, e.n),
                            quote(q2, l.p, l.n));
    }
    if (in->state > 4)
        return kc_bad(d, &r, KC_STATE, "is not a Kea lease state (0-4)");
    for (int c = KC_FQDN_FWD; c <= KC_FQDN_REV; c++) {
        kc_field f = kc_get(&r, c);
        if (!(ipl_text_is(f.p, f.n, "0") || ipl_text_is(f.p, f.n, "1") || ipl_text_is(f.p, f.n, "true") ||
              ipl_text_is(f.p, f.n, "false")))
            return kc_bad(d, &r, c, "is not a boolean (0 or 1)");
    }
    in->cltt = (int64_t)(in->expire - in->valid);
    in->infinite = in->valid == UINT32_MAX;

    /* client identity */
    uint64_t client = FNV0;
    kc_field hw = kc_get(&r, KC_HWADDR);
    if (hw.n) {
        if (!set_hwaddr(ctx, ev, hw.p, hw.n, &err))
            return kc_bad(d, &r, KC_HWADDR, "is not a hardware address (colon-separated hex, at "
                          "most 20 octets)");
        if (err)
            return fail(d, err, "hwaddr");
        client = fnv(client, hw.p, hw.n);
    }
    client = fnv(client, "|", 1);
    if (!r.v6) {
        kc_field cid = kc_get(&r, KC_CLIENT_ID);
        if (cid.n) {
            char hex[2 * KEA_ID_MAX + 1];
            size_t oct;
            if (!colon_hex(cid.p, cid.n, KEA_ID_MAX, hex, sizeof hex, &oct))
                return kc_bad(d, &r, KC_CLIENT_ID, "is not a client identifier (colon-separated "
                              "hex)");
            char *c = arena_copy(ctx, hex, 2 * oct);
            if (!c)
                return fail(d, IPL_ENOMEM, "client_id");
            if ((err = ipl_event_add_attr(ev, IPL_A_CLIENT_ID, c, 2 * oct)))
                return fail(d, err, "client_id");
            client = fnv(client, c, 2 * oct);
        }
    } else {
        uint64_t iaid, ltype, plen, pref;
        kc_field du = kc_get(&r, KC_DUID);
        if ((rc = kc_num(&r, KC_IAID, UINT32_MAX, 1, &iaid, d, "is not a decimal IAID")) ||
            (rc = kc_num(&r, KC_LEASE_TYPE, 2, 1, &ltype, d, "is not a lease type (0, 1 or 2)")) ||
            (rc = kc_num(&r, KC_PREFIX_LEN, 128, 1, &plen, d, "is not a prefix length (0-128)")) ||
            (rc = kc_num(&r, KC_PREF, UINT32_MAX, 1, &pref, d, "is not a lifetime in seconds")) ||
            (rc = kc_num(&r, KC_HWTYPE, 65535, 0, &v, d, "is not a hardware type")) ||
            (rc = kc_num(&r, KC_HWSRC, UINT32_MAX, 0, &v, d, "is not a hardware address source")))
            return rc;
        if (du.n == 0)
            return kc_bad(d, &r, KC_DUID, "is empty: a v6 lease needs a DUID");
        int placeholder = 1;                /* "00", "00:00:00": declined leases */
        for (size_t i = 0; i < du.n; i++)
            if (du.p[i] != '0' && du.p[i] != ':')
                placeholder = 0;
        if (placeholder) {
            char hex[8];
            size_t oct;
            if (!colon_hex(du.p, du.n, 3, hex, sizeof hex, &oct))
                return kc_bad(d, &r, KC_DUID, "is not a DUID (colon-separated hex)");
        } else {
            if (!set_duid(ctx, ev, du.p, du.n, &err))
                return kc_bad(d, &r, KC_DUID, "is not a DUID (colon-separated hex, at most 239 "
                              "octets)");
            if (err)
                return fail(d, err, "duid");
            client = fnv(client, ev->duid, strlen(ev->duid));
        }
        client = fnv(client, &iaid, sizeof iaid);
        client = fnv(client, &ltype, sizeof ltype);
        static const char *const ltn[3] = {"IA_NA", "IA_TA", "IA_PD"};
        if ((err = add_num_attr(ctx, ev, IPL_A_IAID, iaid)) ||
            (err = ipl_event_add_attr(ev, IPL_A_LEASE_TYPE, ltn[ltype], 5)))
            return fail(d, err, "iaid");
        if (ltype == 2 || plen != 128) {
            kc_field pl = kc_get(&r, KC_PREFIX_LEN);
            if ((err = ipl_event_add_attr(ev, IPL_A_PREFIX_LEN, pl.p, pl.n)))
                return fail(d, err, "prefix_len");
        }
        kc_field src = kc_get(&r, KC_HWSRC);
        if (hw.n && src.n && (err = ipl_event_add_attr(ev, IPL_A_HWADDR_SRC, src.p, src.n)))
            return fail(d, err, "hwaddr_source");
    }
    in->client = client;

    /* hostname, user_context */
    const char *txt;
    size_t tn;
    if ((rc = kc_unescape(ctx, &r, KC_HOSTNAME, IPL_STR_MAX - 1, &txt, &tn, d)))
        return rc;
    ev->host = txt;
    if ((rc = kc_unescape(ctx, &r, KC_USER_CONTEXT, IPL_ATTR_VAL_MAX, &txt, &tn, d)))
        return rc;
    kc_field sub = kc_get(&r, KC_SUBNET);
    if ((err = add_num_attr(ctx, ev, IPL_A_LIFETIME, in->valid)) ||
        (err = ipl_event_add_attr(ev, IPL_A_SUBNET_ID, sub.p, sub.n)) ||
        (txt && (err = ipl_event_add_attr(ev, IPL_A_USER_CONTEXT, txt, tn))) ||
        (in->state && (err = ipl_event_add_attr(ev, IPL_A_STATUS, kc_state_names[in->state],
                                                strlen(kc_state_names[in->state])))))
        return fail(d, err, "the row's attributes");
    return IPL_OK;
}

/* Emits the held removal rows: each at min(its lease end if known, upper), not before the file
 * clock when it was read. upper <= 0: no upper bound, the file clock then. */
static int kc_flush(kc_state *st, ipl_parse_ctx *ctx, int64_t upper_s, ipl_emit_fn emit,
                    void *emit_ctx, ipl_diag *d)
{
    int rc = IPL_OK;
    for (uint32_t i = 0; i < st->nq && rc == IPL_OK; i++) {
        kc_pend *e = &st->q[i];
        ipl_event ev;
        kc_info in;
        rc = kc_parse(st, ctx, st->qbuf + e->off, e->len, &ev, &in, d);
        if (rc != IPL_OK)
            break;                       /* cannot happen: the row parsed when it was held */
        int64_t ts = upper_s > 0 ? upper_s : e->lower;
        if (e->end >= 0 && e->end < ts)
            ts = e->end;
        if (ts < e->lower)
            ts = e->lower;
        ev.kind = e->kind;
        ev.ts = ts * IPL_US_PER_SEC;
        int err = ipl_event_add_attr(&ev, IPL_A_TIME_BASIS, "file-order", 10);
        if (err)
            rc = fail(d, err, "time_basis");
        else
            rc = emit(emit_ctx, &ev);
    }
    st->nq = 0;
    st->qused = 0;
    return rc;
}

static int kc_hold(kc_state *st, const char *s, size_t n, int kind, int64_t end, int64_t lower)
{
    if (st->nq == KC_QMAX || st->qused + n > KC_QBYTES)
        return 0;
    kc_pend *e = &st->q[st->nq++];
    memcpy(st->qbuf + st->qused, s, n);
    e->off = st->qused;
    e->len = (uint32_t)n;
    e->kind = (uint16_t)kind;
    e->end = end;
    e->lower = lower;
    st->qused += (uint32_t)n;
    return 1;
}

/* A header line: its first field is a column name (a data row starts with an address). */
static int kc_is_header(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ',')
        i++;
    for (int c = 0; c < KC_NCOL; c++)
        if (ipl_text_is(s, i, kc_names[c]))
            return 1;
    return 0;
}

static int kc_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    kc_state *st = state;
    int rc = check_line(s, n, d);
    if (rc != IPL_OK)
        return rc;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if (n == 0)
        return IPL_OK;                                   /* blank line */
    int64_t clock_s = ctx->last_ts > 0 ? ctx->last_ts / IPL_US_PER_SEC : 0;
    if (kc_is_header(s, n)) {                            /* header: no event */
        kc_field f[KC_MAX_FIELDS];
        char q[QBUF];
        int nf = kc_split(s, n, f);
        if (nf < 0)
            return ipl_diag_set(d, IPL_EPARSE, "header has more than %d columns: '%s'",
                                KC_MAX_FIELDS, quote(q, s, n));
        if (st->nq && (rc = kc_flush(st, ctx, 0, emit, emit_ctx, d)) != IPL_OK)
            return rc;
        return kc_header(st, f, nf, d);
    }

    ipl_event ev;
    kc_info in;
    if ((rc = kc_parse(st, ctx, s, n, &ev, &in, d)) != IPL_OK)
        return rc;

    /* the row is valid: from here on the state changes */
    int64_t lb = (in.state == 2 && in.valid) ? (int64_t)in.expire : in.cltt;
    if (lb > clock_s)
        clock_s = lb;
    int err;
    kc_slot *slot = kc_find(st, ev.ip, 0);
    int64_t known_end = slot && (slot->active || in.state == 1) ? slot->expire : -1;
    st->rows++;
    if (slot)
        slot->stamp = st->rows;
    ctx->last_ts = clock_s * IPL_US_PER_SEC;

    if (in.valid == 0 || in.state == 3) {
        /* a removal: its time is not in the row */
        int kind = IPL_K_LEASE_RELEASE;
        if (in.valid == 0 && in.state == 2)
            kind = IPL_K_LEASE_DELETE;          /* flush of a lease already reclaimed */
        else if (in.valid == 0 && in.state == 1)
            kind = IPL_K_LEASE_EXPIRE;          /* a declined address recovered */
        if (slot)
            slot->active = 0;
        if (kind != IPL_K_LEASE_DELETE && known_end >= 0 && known_end <= clock_s) {
            /* the lease had run out before the removal was written: it ended then */
            ev.kind = IPL_K_LEASE_EXPIRE;
            ev.ts = known_end * IPL_US_PER_SEC;
            return emit(emit_ctx, &ev);
        }
        if (kind == IPL_K_LEASE_DELETE) {
            ev.kind = (uint16_t)kind;
            ev.ts = clock_s * IPL_US_PER_SEC;
            if ((err = ipl_event_add_attr(&ev, IPL_A_TIME_BASIS, "file-order", 10)))
                return fail(d, err, "time_basis");
            return emit(emit_ctx, &ev);
        }
        if (!kc_hold(st, s, n, kind, known_end, clock_s)) {
            /* the queue is full: what it holds gets the file clock, then this row is held */
            if ((rc = kc_flush(st, ctx, 0, emit, emit_ctx, d)) != IPL_OK)
                return rc;
            (void)kc_hold(st, s, n, kind, known_end, clock_s);
        }
        return IPL_OK;
    }

    if (in.state == 2) {                        /* reclaimed: ended at its expire */
        ev.kind = IPL_K_LEASE_EXPIRE;
        ev.ts = (int64_t)in.expire * IPL_US_PER_SEC;
        if (slot)
            slot->active = 0;
        return emit(emit_ctx, &ev);
    }

    /* an allocation, renewal or decline: written at its cltt, the upper bound of held removals */
    if (st->nq && (rc = kc_flush(st, ctx, in.cltt, emit, emit_ctx, d)) != IPL_OK)
        return rc;
    if (!slot) {
        slot = kc_find(st, ev.ip, 1);
        slot->stamp = st->rows;
    }
    ev.ts = in.cltt * IPL_US_PER_SEC;
    if ((err = add_lease_end(ctx, &ev, (int64_t)in.expire, in.infinite)))
        return fail(d, err, "lease_end");
    if (in.state == 1) {
        ev.kind = IPL_K_LEASE_DECLINE;
        ev.mac = NULL;                          /* a declined lease has no client */
        ev.duid = NULL;
        slot->client = 0;
        slot->expire = (int64_t)in.expire;
        slot->active = 0;
    } else {
        int renew = slot->active && slot->client == in.client && in.cltt <= slot->expire;
        ev.kind = renew ? IPL_K_LEASE_RENEW : IPL_K_LEASE_ASSIGN;
        slot->client = in.client;
        slot->expire = in.infinite ? INT64_MAX / IPL_US_PER_SEC : (int64_t)in.expire;
        slot->active = 1;
    }
    return emit(emit_ctx, &ev);
}

/* End of input: held removals happened before the file was read (ctx->now). */
static int kc_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                     ipl_diag *d)
{
    kc_state *st = state;
    if (!st->nq)
        return IPL_OK;
    return kc_flush(st, ctx, ctx->now > 0 ? ctx->now / IPL_US_PER_SEC : 0, emit, emit_ctx, d);
}

static int kc_pending(const void *state)
{
    const kc_state *st = state;
    return st->nq != 0;
}

/* Header -> 100. Without a header: up to 5 rows that all read as Kea rows -> 60. */
static int kc_probe(const char *s, size_t len)
{
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        len -= 3;
    }
    if (has_prefix(s, len, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id") ||
        has_prefix(s, len, "address,duid,valid_lifetime,expire,subnet_id"))
        return 100;
    size_t pos = 0;
    int rows = 0;
    while (pos < len && rows < 5) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl)
            break;                                   /* the last line may be cut */
        size_t n = (size_t)(nl - (s + pos));
        const char *l = s + pos;
        pos += n + 1;
        while (n && l[n - 1] == '\r')
            n--;
        if (n > KEA_LINE_MAX || memchr(l, '\0', n))
            return 0;
        kc_field f[KC_MAX_FIELDS];
        int nf = kc_split(l, n, f);
        int8_t col[KC_NCOL];
        int v6;
        if (nf < 0 || kc_infer(f, nf, col, &v6, NULL) != IPL_OK)
            return 0;
        uint64_t x;
        kc_field va = f[col[KC_VALID]], ex = f[col[KC_EXPIRE]];
        if (!parse_u64(va.p, va.n, UINT32_MAX, &x) || !parse_u64(ex.p, ex.n, UINT64_MAX / 2, &x))
            return 0;
        rows++;
    }
    return rows ? 60 : 0;
}

/* ================================================================================================
 * kea-log, and the syslog sub-parser
 * ============================================================================================== */

/* What a message text says. */
typedef struct kl_msg {
    int         kind;
    const char *id;  size_t id_len;
    const char *text; size_t text_len;
} kl_msg;

/* The client label: "[hwtype=1 aa:bb:..]" / "[no hwaddr info]", "cid=[..]", "duid=[..]",
 * "tid=0x..", joined by ", ". Parses from s, stops before anything else; returns the end. */
static size_t kl_label(ipl_parse_ctx *ctx, ipl_event *ev, const char *s, size_t n, int *bad,
                       int *err)
{
    size_t i = 0;
    int parts = 0;
    *bad = 0;
    *err = IPL_OK;
    for (;;) {
        const char *p = s + i;
        size_t m = n - i;
        size_t used = 0;
        if (has_prefix(p, m, "[no hwaddr info]")) {
            used = 16;
        } else if (has_prefix(p, m, "[hwtype=")) {
            size_t j = 8;
            while (j < m && is_digit((unsigned char)p[j]))
                j++;
            if (j == 8 || j >= m || p[j] != ' ')
                break;
            size_t k = ++j;
            while (k < m && p[k] != ']')
                k++;
            if (k >= m)
                break;
            if (k > j && !set_hwaddr(ctx, ev, p + j, k - j, err)) {   /* "[hwtype=1 ]": none */
                *bad = 1;
                return i;
            }
            if (*err)
                return i;
            used = k + 1;
        } else if (has_prefix(p, m, "cid=[") || has_prefix(p, m, "duid=[")) {
            int duid = p[0] == 'd';
            size_t j = duid ? 6 : 5, k = j;
            while (k < m && p[k] != ']')
                k++;
            if (k >= m)
                break;
            if (k > j && !ipl_text_is(p + j, k - j, "no info")) {
                if (duid) {
                    if (!set_duid(ctx, ev, p + j, k - j, err)) {
                        *bad = 1;
                        return i;
                    }
                } else {
                    char hex[2 * KEA_ID_MAX + 1];
                    size_t oct;
                    if (!colon_hex(p + j, k - j, KEA_ID_MAX, hex, sizeof hex, &oct)) {
                        *bad = 1;
                        return i;
                    }
                    char *c = arena_copy(ctx, hex, 2 * oct);
                    *err = c ? ipl_event_add_attr(ev, IPL_A_CLIENT_ID, c, 2 * oct) : IPL_ENOMEM;
                }
                if (*err)
                    return i;
            }
            used = k + 1;
        } else if (has_prefix(p, m, "tid=0x")) {
            size_t k = 6;
            while (k < m && k < 6 + 16 && ipl_text_hex((unsigned char)p[k]) >= 0)
                k++;
            if (k == 6)
                break;
            *err = ipl_event_add_attr(ev, IPL_A_XID, p + 4, k - 4);
            if (*err)
                return i;
            used = k;
        } else {
            break;
        }
        parts++;
        i += used;
        if (n - i >= 2 && s[i] == ',' && s[i + 1] == ' ' &&
            (has_prefix(s + i + 2, n - i - 2, "[") || has_prefix(s + i + 2, n - i - 2, "cid=") ||
             has_prefix(s + i + 2, n - i - 2, "duid=") || has_prefix(s + i + 2, n - i - 2, "tid=")))
            i += 2;
        else
            break;
    }
    if (parts == 0)
        *bad = 1;
    /* a client with a DUID but no logged MAC: the MAC inside the DUID (set_duid did it when the
     * DUID came first; a later hardware address wins over it) */
    return i;
}

/* A cursor over the message text for the grammar matchers. */
typedef struct kl_cur {
    const char *s;
    size_t      n, i;
} kl_cur;

static int cur_litn(kl_cur *c, const char *lit, size_t m)
{
    if (c->n - c->i < m || memcmp(c->s + c->i, lit, m) != 0)
        return 0;
    c->i += m;
    return 1;
}
#define cur_lit(c, lit) cur_litn((c), (lit), strlen(lit))   /* constant-folded for literals */

/* A token up to one of the stop characters (or the end). */
static int cur_tok(kl_cur *c, const char *stops, const char **p, size_t *n)
{
    size_t j = c->i;
    char s0 = stops[0], s1 = stops[1] ? stops[1] : stops[0];    /* one or two stop bytes */
    while (j < c->n && c->s[j] != s0 && c->s[j] != s1)
        j++;
    if (j == c->i)
        return 0;
    *p = c->s + c->i;
    *n = j - c->i;
    c->i = j;
    return 1;
}

static int cur_u64(kl_cur *c, uint64_t max, uint64_t *v)
{
    size_t j = c->i;
    while (j < c->n && is_digit((unsigned char)c->s[j]))
        j++;
    if (!parse_u64(c->s + c->i, j - c->i, max, v))
        return 0;
    c->i = j;
    return 1;
}

/* An address token; v6 0/1 says the family. */
static int cur_ip(kl_cur *c, ipl_event *ev, const char *stops)
{
    const char *p;
    size_t n;
    if (!cur_tok(c, stops, &p, &n) || n > 64 || ipl_ip_parse(p, n, ev->ip) != IPL_OK)
        return 0;
    ev->has_ip = 1;
    return 1;
}

static int cur_label(kl_cur *c, ipl_parse_ctx *ctx, ipl_event *ev, int *err)
{
    int bad;
    size_t used = kl_label(ctx, ev, c->s + c->i, c->n - c->i, &bad, err);
    if (bad || *err)
        return 0;
    c->i += used;
    return 1;
}

/* The grammars of the messages with lease meaning. */
enum kl_form {
    KF_NONE,
    KF_V4_LEASE_SECS,     /* %1: lease %2 has been allocated|reused for %3 seconds */
    KF_V4_LEASE_WILL,     /* %1: lease %2 will be advertised|offered */
    KF_V4_INIT_REBOOT,    /* %1: client is in INIT-REBOOT state and requests address %2 */
    KF_V4_RELEASE,        /* %1: address %2 was released properly. | expired on release. | ... */
    KF_V4_DECLINE,        /* Received DHCPDECLINE for addr %1 from client %2. The lease will be
                             unavailable for %3 seconds. */
    KF_V4_SRV_DECLINE,    /* %1: Lease for addr %2 has been found to be already in use... */
    KF_V4_RECLAIM,        /* %1: reclaiming expired lease for address %2 */
    KF_RECOVERED,         /* IPv4|IPv6 address %1 was recovered after %2 seconds of probation... */
    KF_V6_NA,             /* %1: lease for address %2 and iaid=%3 has been allocated[ for %4 seconds]
                             | will be advertised | has been reused for %4 seconds */
    KF_V6_PD,             /* %1: lease for prefix %2/%3 and iaid=%4 ... */
    KF_V6_RELEASE_NA,     /* %1: binding for address %2 and iaid=%3 was released properly|... */
    KF_V6_RELEASE_PD,     /* %1: prefix %2/%3 for iaid=%4 was released properly|... */
    KF_V6_DECLINE,        /* Client %1 sent DECLINE for address %2 and the server marked it ... */
    KF_V6_RECLAIM,        /* %1: reclaiming expired lease for prefix %2/%3 */
    KF_TEXT,              /* service / housekeeping: the text as desc */
};

typedef struct kl_def {
    const char *id;
    uint8_t     form;
    uint8_t     kind;
    const char *expect;   /* the text, for error messages */
} kl_def;

static const kl_def kl_defs[] = {
    {"DHCP4_LEASE_ALLOC", KF_V4_LEASE_SECS, IPL_K_LEASE_ASSIGN,
     "%1: lease %2 has been allocated for %3 seconds"},
    {"DHCP4_LEASE_REUSE", KF_V4_LEASE_SECS, IPL_K_LEASE_RENEW,
     "%1: lease %2 has been reused for %3 seconds"},
    {"DHCP4_LEASE_ADVERT", KF_V4_LEASE_WILL, IPL_K_LEASE_OFFER, "%1: lease %2 will be advertised"},
    {"DHCP4_LEASE_OFFER", KF_V4_LEASE_WILL, IPL_K_LEASE_OFFER, "%1: lease %2 will be offered"},
    {"DHCP4_INIT_REBOOT", KF_V4_INIT_REBOOT, IPL_K_LEASE_REQUEST,
     "%1: client is in INIT-REBOOT state and requests address %2"},
    {"DHCP4_RELEASE", KF_V4_RELEASE, IPL_K_LEASE_RELEASE, "%1: address %2 was released properly."},
    {"DHCP4_RELEASE_EXPIRED", KF_V4_RELEASE, IPL_K_LEASE_RELEASE,
     "%1: address %2 expired on release."},
    {"DHCP4_RELEASE_DELETED", KF_V4_RELEASE, IPL_K_LEASE_RELEASE,
     "%1: address %2 was deleted on release."},
    {"DHCP4_DECLINE_LEASE", KF_V4_DECLINE, IPL_K_LEASE_DECLINE,
     "Received DHCPDECLINE for addr %1 from client %2. The lease will be unavailable for %3 "
     "seconds."},
    {"DHCP4_SERVER_INITIATED_DECLINE", KF_V4_SRV_DECLINE, IPL_K_LEASE_CONFLICT,
     "%1: Lease for addr %2 has been found to be already in use. ..."},
    {"ALLOC_ENGINE_V4_LEASE_RECLAIM", KF_V4_RECLAIM, IPL_K_LEASE_EXPIRE,
     "%1: reclaiming expired lease for address %2"},
    {"ALLOC_ENGINE_V4_DECLINED_RECOVERED", KF_RECOVERED, IPL_K_LEASE_EXPIRE,
     "IPv4 address %1 was recovered after %2 seconds of probation-period"},
    {"DHCP6_LEASE_ALLOC", KF_V6_NA, IPL_K_LEASE_ASSIGN,
     "%1: lease for address %2 and iaid=%3 has been allocated for %4 seconds"},
    {"DHCP6_LEASE_RENEW", KF_V6_NA, IPL_K_LEASE_RENEW,
     "%1: lease for address %2 and iaid=%3 has been allocated"},
    {"DHCP6_LEASE_REUSE", KF_V6_NA, IPL_K_LEASE_RENEW,
     "%1: lease for address %2 and iaid=%3 has been reused for %4 seconds"},
    {"DHCP6_LEASE_ADVERT", KF_V6_NA, IPL_K_LEASE_OFFER,
     "%1: lease for address %2 and iaid=%3 will be advertised"},
    {"DHCP6_PD_LEASE_ALLOC", KF_V6_PD, IPL_K_LEASE_ASSIGN,
     "%1: lease for prefix %2/%3 and iaid=%4 has been allocated for %5 seconds"},
    {"DHCP6_PD_LEASE_RENEW", KF_V6_PD, IPL_K_LEASE_RENEW,
     "%1: lease for prefix %2/%3 and iaid=%4 has been allocated"},
    {"DHCP6_PD_LEASE_REUSE", KF_V6_PD, IPL_K_LEASE_RENEW,
     "%1: lease for prefix %2/%3 and iaid=%4 has been reused for %5 seconds"},
    {"DHCP6_PD_LEASE_ADVERT", KF_V6_PD, IPL_K_LEASE_OFFER,
     "%1: lease for prefix %2/%3 and iaid=%4 will be advertised"},
    {"DHCP6_RELEASE_NA", KF_V6_RELEASE_NA, IPL_K_LEASE_RELEASE,
     "%1: binding for address %2 and iaid=%3 was released properly"},
    {"DHCP6_RELEASE_NA_EXPIRED", KF_V6_RELEASE_NA, IPL_K_LEASE_RELEASE,
     "%1: binding for address %2 and iaid=%3 expired on release"},
    {"DHCP6_RELEASE_NA_DELETED", KF_V6_RELEASE_NA, IPL_K_LEASE_RELEASE,
     "%1: binding for address %2 and iaid=%3 was deleted on release"},
    {"DHCP6_RELEASE_PD", KF_V6_RELEASE_PD, IPL_K_LEASE_RELEASE,
     "%1: prefix %2/%3 for iaid=%4 was released properly"},
    {"DHCP6_RELEASE_PD_EXPIRED", KF_V6_RELEASE_PD, IPL_K_LEASE_RELEASE,
     "%1: prefix %2/%3 for iaid=%4 expired on release"},
    {"DHCP6_RELEASE_PD_DELETED", KF_V6_RELEASE_PD, IPL_K_LEASE_RELEASE,
     "%1: prefix %2/%3 for iaid=%4 was deleted on release"},
    {"DHCP6_DECLINE_LEASE", KF_V6_DECLINE, IPL_K_LEASE_DECLINE,
     "Client %1 sent DECLINE for address %2 and the server marked it as declined. ..."},
    {"ALLOC_ENGINE_V6_LEASE_RECLAIM", KF_V6_RECLAIM, IPL_K_LEASE_EXPIRE,
     "%1: reclaiming expired lease for prefix %2/%3"},
    {"ALLOC_ENGINE_V6_DECLINED_RECOVERED", KF_RECOVERED, IPL_K_LEASE_EXPIRE,
     "IPv6 address %1 was recovered after %2 seconds of probation-period"},
    {"DHCPSRV_MEMFILE_LFC_START", KF_TEXT, IPL_K_HOUSEKEEPING, NULL},
    {"DHCPSRV_MEMFILE_LFC_EXECUTE", KF_TEXT, IPL_K_HOUSEKEEPING, NULL},
    {"DHCP4_STARTED", KF_TEXT, IPL_K_SERVICE, NULL},
    {"DHCP4_SHUTDOWN", KF_TEXT, IPL_K_SERVICE, NULL},
    {"DHCP6_STARTED", KF_TEXT, IPL_K_SERVICE, NULL},
    {"DHCP6_SHUTDOWN", KF_TEXT, IPL_K_SERVICE, NULL},
};

static const kl_def *kl_lookup(const char *id, size_t n)
{
    /* every ID we know starts "DHCP4_", "DHCP6_", "DHCPSRV_" or "ALLOC_ENGINE_V" */
    if (n < 12 || !(id[0] == 'D' || id[0] == 'A'))
        return NULL;
    for (size_t i = 0; i < sizeof kl_defs / sizeof kl_defs[0]; i++)
        if (strncmp(kl_defs[i].id, id, n) == 0 && kl_defs[i].id[n] == '\0')
            return &kl_defs[i];
    return NULL;
}

/* "... for N seconds": lifetime + lease_end (relative to ev->ts, which must be set). */
static int kl_lifetime(ipl_parse_ctx *ctx, ipl_event *ev, uint64_t secs)
{
    int err = add_num_attr(ctx, ev, IPL_A_LIFETIME, secs);
    if (err)
        return err;
    if (secs == UINT32_MAX)
        return add_lease_end(ctx, ev, 0, 1);
    /* lease_end in whole seconds after the event's second */
    return add_lease_end(ctx, ev, ev->ts / IPL_US_PER_SEC + (int64_t)secs, 0);
}

/* Matches `text` against the grammar of `def`, filling ev (ev->ts already set). */
static int kl_match(ipl_parse_ctx *ctx, const kl_def *def, const char *text, size_t tn,
                    ipl_event *ev, ipl_diag *d)
{
    kl_cur c = {text, tn, 0};
    int err = IPL_OK, ok = 0;
    uint64_t secs = 0, iaid = 0, plen = 0;
    int have_secs = 0, have_iaid = 0, have_plen = 0;

    switch (def->form) {
    case KF_V4_LEASE_SECS:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": lease ") && cur_ip(&c, ev, " ") &&
             (cur_lit(&c, " has been allocated for ") || cur_lit(&c, " has been reused for ")) &&
             cur_u64(&c, UINT32_MAX, &secs) && cur_lit(&c, " seconds") && c.i == c.n;
        have_secs = 1;
        break;
    case KF_V4_LEASE_WILL:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": lease ") && cur_ip(&c, ev, " ") &&
             (cur_lit(&c, " will be advertised") || cur_lit(&c, " will be offered")) && c.i == c.n;
        break;
    case KF_V4_INIT_REBOOT:
        ok = cur_label(&c, ctx, ev, &err) &&
             cur_lit(&c, ": client is in INIT-REBOOT state and requests address ") &&
             cur_ip(&c, ev, " ") && c.i == c.n;
        break;
    case KF_V4_RELEASE:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": address ") && cur_ip(&c, ev, " ") &&
             (cur_lit(&c, " was released properly") || cur_lit(&c, " expired on release") ||
              cur_lit(&c, " was deleted on release"));
        if (ok) {
            cur_lit(&c, ".");
            ok = c.i == c.n;
        }
        break;
    case KF_V4_DECLINE:
        ok = cur_lit(&c, "Received DHCPDECLINE for addr ") && cur_ip(&c, ev, " ") &&
             cur_lit(&c, " from client ") && cur_label(&c, ctx, ev, &err) &&
             cur_lit(&c, ". The lease will be unavailable for ") &&
             cur_u64(&c, UINT32_MAX, &secs) && cur_lit(&c, " seconds.") && c.i == c.n;
        have_secs = 1;
        break;
    case KF_V4_SRV_DECLINE:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": Lease for addr ") &&
             cur_ip(&c, ev, " ") && cur_lit(&c, " has been found to be already in use");
        break;
    case KF_V4_RECLAIM:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": reclaiming expired lease for address ") &&
             cur_ip(&c, ev, " ") && c.i == c.n;
        break;
    case KF_RECOVERED:
        ok = (cur_lit(&c, "IPv4 address ") || cur_lit(&c, "IPv6 address ")) &&
             cur_ip(&c, ev, " ") && cur_lit(&c, " was recovered after ") &&
             cur_u64(&c, UINT64_MAX / 2, &secs) &&
             cur_lit(&c, " seconds of probation-period") && c.i == c.n;
        break;
    case KF_V6_NA:
    case KF_V6_PD:
        ok = cur_label(&c, ctx, ev, &err) &&
             cur_lit(&c, def->form == KF_V6_NA ? ": lease for address " : ": lease for prefix ") &&
             cur_ip(&c, ev, def->form == KF_V6_NA ? " " : "/ ");
        if (ok && def->form == KF_V6_PD)
            ok = cur_lit(&c, "/") && cur_u64(&c, 128, &plen) && (have_plen = 1);
        ok = ok && cur_lit(&c, " and iaid=") && cur_u64(&c, UINT32_MAX, &iaid) && (have_iaid = 1);
        if (ok) {
            if (def->kind == IPL_K_LEASE_OFFER) {
                ok = cur_lit(&c, " will be advertised");
            } else if (def->kind == IPL_K_LEASE_ASSIGN) {
                ok = cur_lit(&c, " has been allocated for ") && cur_u64(&c, UINT32_MAX, &secs) &&
                     cur_lit(&c, " seconds") && (have_secs = 1);
            } else if (cur_lit(&c, " has been reused for ")) {
                ok = cur_u64(&c, UINT32_MAX, &secs) && cur_lit(&c, " seconds") && (have_secs = 1);
            } else {
                ok = cur_lit(&c, " has been allocated");
            }
            ok = ok && c.i == c.n;
        }
        break;
    case KF_V6_RELEASE_NA:
    case KF_V6_RELEASE_PD:
        ok = cur_label(&c, ctx, ev, &err);
        if (ok && def->form == KF_V6_RELEASE_NA)
            ok = cur_lit(&c, ": binding for address ") && cur_ip(&c, ev, " ") &&
                 cur_lit(&c, " and iaid=");
        else if (ok)
            ok = cur_lit(&c, ": prefix ") && cur_ip(&c, ev, "/ ") && cur_lit(&c, "/") &&
                 cur_u64(&c, 128, &plen) && (have_plen = 1) && cur_lit(&c, " for iaid=");
        ok = ok && cur_u64(&c, UINT32_MAX, &iaid) && (have_iaid = 1) &&
             (cur_lit(&c, " was released properly") || cur_lit(&c, " expired on release") ||
              cur_lit(&c, " was deleted on release"));
        if (ok) {
            cur_lit(&c, ".");
            ok = c.i == c.n;
        }
        break;
    case KF_V6_DECLINE:
        ok = cur_lit(&c, "Client ") && cur_label(&c, ctx, ev, &err) &&
             cur_lit(&c, " sent DECLINE for address ") && cur_ip(&c, ev, " ") &&
             cur_lit(&c, " and the server marked it as declined");
        break;
    case KF_V6_RECLAIM:
        ok = cur_label(&c, ctx, ev, &err) && cur_lit(&c, ": reclaiming expired lease for prefix ") &&
             cur_ip(&c, ev, "/ ") && cur_lit(&c, "/") && cur_u64(&c, 128, &plen) && c.i == c.n;
        have_plen = plen != 128;
        break;
    case KF_TEXT:
        if (tn > IPL_ATTR_VAL_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "%s text is %zu bytes long, longer than the %d-byte "
                                "limit", def->id, tn, IPL_ATTR_VAL_MAX);
        if (tn && (err = ipl_event_add_attr(ev, IPL_A_DESC, text, tn)))
            return fail(d, err, "the message text");
        return IPL_OK;
    default:
        break;
    }
    if (err)
        return fail(d, err, def->id);
    if (!ok) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "%s text '%s' does not match '%s' (at offset %zu)",
                            def->id, quote(q, text, tn), def->expect, c.i);
    }
    /* IPv4 messages must carry IPv4 addresses and v6 ones IPv6 */
    int want_v6 = def->form >= KF_V6_NA && def->form <= KF_V6_RECLAIM;
    if (def->form == KF_RECOVERED)
        want_v6 = text[2] == 'v' && text[3] == '6';
    if (ev->has_ip && ipl_ip_is_v4(ev->ip) == want_v6) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "%s text '%s' names an IPv%d address where IPv%d is "
                            "expected", def->id, quote(q, text, tn), want_v6 ? 4 : 6,
                            want_v6 ? 6 : 4);
    }
    if (have_iaid && (err = add_num_attr(ctx, ev, IPL_A_IAID, iaid)))
        return fail(d, err, "iaid");
    if (have_plen && (err = add_num_attr(ctx, ev, IPL_A_PREFIX_LEN, plen)))
        return fail(d, err, "prefix length");
    if (have_secs && (err = kl_lifetime(ctx, ev, secs)))
        return fail(d, err, "lifetime");
    return IPL_OK;
}

/* Finds the message ID in the part after the timestamp: up to six tokens are skipped (severity,
 * [logger], ...). On success *id and *text point into s. 0 if there is none. */
static int kl_find_id(const char *s, size_t n, const char **id, size_t *idn, const char **text,
                      size_t *tn)
{
    size_t i = 0;
    for (int tok = 0; tok < 7; tok++) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            return 0;
        size_t j = i;
        if (s[i] == '[') {                          /* [logger/pid.tid]: may hold anything */
            while (j < n && s[j] != ']')
                j++;
            if (j == n)
                return 0;
            i = j + 1;
            continue;
        }
        while (j < n && s[j] != ' ' && s[j] != '\t')
            j++;
        int us = 0, good = is_upper((unsigned char)s[i]);
        for (size_t k = i; k < j && good; k++) {
            int ch = (unsigned char)s[k];
            if (ch == '_')
                us = 1;
            else if (!is_upper(ch) && !is_digit(ch))
                good = 0;
        }
        if (good && us) {
            *id = s + i;
            *idn = j - i;
            if (j < n)
                j++;                                /* the one space after the ID */
            *text = s + j;
            *tn = n - j;
            return 1;
        }
        i = j;
    }
    return 0;
}

typedef struct kl_state {
    int      cont_ok;     /* continuation lines may follow the previous line */
    uint32_t cont;        /* continuation lines seen in a row */
} kl_state;

/* The message part (after the time) of a Kea log line: finds the ID and fills/emits an event.
 * *lease (if not NULL) is set to 1 when the message has lease meaning (no continuation after). */
static int kl_body(ipl_parse_ctx *ctx, const char *s, size_t n, const ipl_civil *civil,
                   int64_t env_ts, const char *server, ipl_emit_fn emit, void *emit_ctx,
                   ipl_diag *d, int *lease)
{
    const char *id, *text;
    size_t idn, tn;
    char q[QBUF];
    if (lease)
        *lease = 0;
    if (!kl_find_id(s, n, &id, &idn, &text, &tn))
        return ipl_diag_set(d, IPL_EPARSE, "no Kea message ID (an UPPER_SNAKE word) in '%s'",
                            quote(q, s, n));
    const kl_def *def = kl_lookup(id, idn);
    if (!def)
        return IPL_OK;                              /* a message about something else */
    if (lease)
        *lease = def->form != KF_TEXT;
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = def->kind;
    ev.server = server;
    ev.ts = env_ts;
    /* the time first, tentatively (lease_end needs it); last_ts moves only on success */
    int64_t last = ctx->last_ts;
    if (civil && ipl_tz_resolve(ctx->tz, civil, &last, &ev.ts) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "timestamp %04d-%02d-%02d %02d:%02d:%02d cannot be "
                            "converted to UTC", civil->year, civil->mon, civil->day, civil->hour,
                            civil->min, civil->sec);
    int rc = ipl_event_add_attr(&ev, IPL_A_CODE, id, idn);
    if (rc != IPL_OK)
        return fail(d, rc, "the message ID");
    if ((rc = kl_match(ctx, def, text, tn, &ev, d)) != IPL_OK)
        return rc;
    if (civil)
        ctx->last_ts = last;
    return emit(emit_ctx, &ev);
}

/* "YYYY-MM-DD HH:MM:SS[.frac]" (or 'T'); returns bytes used, 0 if not a timestamp. *valid 0 when
 * it has the shape but not a calendar date. */
static size_t parse_stamp(const char *s, size_t n, ipl_civil *c, int *valid)
{
    static const char pat[] = "dddd-dd-dd dd:dd:dd";
    size_t m = sizeof pat - 1;
    *valid = 0;
    if (n < m)
        return 0;
    for (size_t k = 0; k < m; k++) {
        int ch = (unsigned char)s[k];
        if (pat[k] == 'd' ? !is_digit(ch) : k == 10 ? (ch != ' ' && ch != 'T') : ch != pat[k])
            return 0;
    }
#define D2(o) ((s[o] - '0') * 10 + (s[(o) + 1] - '0'))
    memset(c, 0, sizeof *c);
    c->year = D2(0) * 100 + D2(2);
    c->mon = D2(5);
    c->day = D2(8);
    c->hour = D2(11);
    c->min = D2(14);
    c->sec = D2(17);
#undef D2
    size_t i = m;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        size_t j = i + 1;
        int us = 0, digits = 0;
        while (j < n && is_digit((unsigned char)s[j])) {
            if (digits < 6) {
                us = us * 10 + (s[j] - '0');
                digits++;
            }
            j++;
        }
        if (j == i + 1)
            return 0;
        while (digits++ < 6)
            us *= 10;
        c->usec = us;
        i = j;
    }
    *valid = ipl_civil_valid(c) && c->sec < 60;
    return i;
}

static int kl_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    kl_state *st = state;
    int rc = check_line(s, n, d);
    if (rc != IPL_OK) {
        st->cont_ok = 0;
        return rc;
    }
    while (n && s[n - 1] == '\r')
        n--;
    ipl_civil civil;
    int valid;
    char q[QBUF];
    size_t used = parse_stamp(s, n, &civil, &valid);
    if (used == 0) {
        if (st->cont_ok && st->cont < KEA_CONT_MAX) {
            st->cont++;
            return IPL_OK;                           /* continuation of a multi-line message */
        }
        int was = st->cont_ok;
        st->cont_ok = 0;
        if (was)
            return ipl_diag_set(d, IPL_EPARSE, "more than %d continuation lines after one Kea log "
                                "message: '%s'", KEA_CONT_MAX, quote(q, s, n));
        return ipl_diag_set(d, IPL_EPARSE, "line does not start with a Kea timestamp "
                            "'YYYY-MM-DD HH:MM:SS.mmm': '%s'", quote(q, s, n));
    }
    st->cont_ok = 0;
    st->cont = 0;
    if (!valid)
        return ipl_diag_set(d, IPL_EPARSE, "timestamp '%s' is not a valid date and time",
                            quote(q, s, used));
    if (used < n && s[used] != ' ' && s[used] != '\t')
        return ipl_diag_set(d, IPL_EPARSE, "timestamp '%s' is followed by '%c', not a blank (a zone "
                            "offset means another format, e.g. syslog)", quote(q, s, used),
                            s[used] >= 0x20 && s[used] < 0x7f ? s[used] : '?');
    int lease;
    rc = kl_body(ctx, s + used, n - used, &civil, 0, ctx->server, emit, emit_ctx, d, &lease);
    if (rc == IPL_OK && !lease)
        st->cont_ok = 1;
    return rc;
}

static int kl_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int good = 0, checked = 0;
    while (pos < len && checked < 8) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl && pos > 0)
            break;                                   /* a cut last line */
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        pos = end + 1;
        while (n && l[n - 1] == '\r')
            n--;
        ipl_civil c;
        int valid;
        size_t used = parse_stamp(l, n, &c, &valid);
        if (used == 0) {
            if (good)
                continue;                            /* continuation lines */
            return 0;
        }
        checked++;
        const char *id, *text;
        size_t idn, tn;
        if (used < n && l[used] != ' ' && l[used] != '\t')
            return 0;
        if (!valid || !kl_find_id(l + used, n - used, &id, &idn, &text, &tn))
            return 0;
        /* Kea's: a logger "[kea-..." before the ID, or an ID of a Kea library */
        static const char *const ids[] = {
            "DHCP4_", "DHCP6_", "DHCPSRV_", "ALLOC_ENGINE_", "DCTL_", "HOOKS_", "HOSTS_",
            "COMMAND_", "LEASE_", "DHCP_DDNS_", "LOG_", "CB_", "DATABASE_", "EVAL_", "HA_",
            "LEGAL_LOG_", "LFC_", "MYSQL_", "PGSQL_", "BOOTP_", "CTRL_AGENT_", "DHCP4O6_",
        };
        int kea = 0;
        for (size_t k = 0; k < sizeof ids / sizeof ids[0] && !kea; k++)
            kea = has_prefix(id, idn, ids[k]);
        for (const char *b = l + used; !kea && b + 5 <= id; b++)
            kea = memcmp(b, "[kea-", 5) == 0;
        if (!kea)
            return 0;
        good++;
    }
    if (!good)
        return 0;
    return good >= 2 ? 95 : 80;
}

/* ---- the syslog sub-parser ---- */

static int kea_syslog_message(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_emit_fn emit,
                              void *emit_ctx, ipl_diag *d)
{
    const char *server = ctx->server;
    if (!server && env->host_len) {
        if (env->host_len >= IPL_STR_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "syslog host is %zu bytes long, longer than the "
                                "%d-byte limit", env->host_len, IPL_STR_MAX - 1);
        server = arena_copy(ctx, env->host, env->host_len);
        if (!server)
            return fail(d, IPL_ENOMEM, "the syslog host");
    }
    int rc = check_line(env->msg, env->msg_len, d);
    if (rc != IPL_OK)
        return rc;
    return kl_body(ctx, env->msg, env->msg_len, NULL, env->ts, server, emit, emit_ctx, d, NULL);
}

static const char *const kea_syslog_tags[] = {"kea-dhcp4", "kea-dhcp6", NULL};

const ipl_syslog_sub ipl_syslog_sub_kea = {
    .name = "kea",
    .tags = kea_syslog_tags,
    .message = kea_syslog_message,
};

/* ================================================================================================
 * kea-legal
 * ============================================================================================== */

/* "[D days ]H hrs M mins S secs" | "infinite duration"; returns seconds, UINT32_MAX = infinite */
static int lg_duration(kl_cur *c, uint64_t *secs)
{
    if (cur_lit(c, "infinite duration")) {
        *secs = UINT32_MAX;
        return 1;
    }
    uint64_t dd = 0, h, m, s;
    size_t save = c->i;
    if (cur_u64(c, 1000000, &dd) && (cur_lit(c, " days ") || cur_lit(c, " day "))) {
        /* days given */
    } else {
        c->i = save;
        dd = 0;
    }
    if (!cur_u64(c, 1000000, &h) || !cur_lit(c, " hrs ") || !cur_u64(c, 1000000, &m) ||
        !(cur_lit(c, " mins ") || cur_lit(c, " min ")) || !cur_u64(c, 1000000, &s) ||
        !cur_lit(c, " secs"))
        return 0;
    *secs = dd * 86400 + h * 3600 + m * 60 + s;
    return 1;
}

/* The device after "to a device with " / "from a device with ". */
static int lg_device(kl_cur *c, ipl_parse_ctx *ctx, ipl_event *ev, int *err)
{
    const char *p;
    size_t n;
    *err = IPL_OK;
    if (cur_lit(c, "hardware address: ")) {
        if (cur_lit(c, "hwtype=")) {
            uint64_t t;
            if (!cur_u64(c, 65535, &t) || !cur_lit(c, " "))
                return 0;
        }
        if (!cur_tok(c, " ,", &p, &n) || !set_hwaddr(ctx, ev, p, n, err) || *err)
            return 0;
        if (cur_lit(c, ", client-id: ")) {
            char hex[2 * KEA_ID_MAX + 1];
            size_t oct;
            if (!cur_tok(c, " ,", &p, &n) || !colon_hex(p, n, KEA_ID_MAX, hex, sizeof hex, &oct))
                return 0;
            char *cid = arena_copy(ctx, hex, 2 * oct);
            *err = cid ? ipl_event_add_attr(ev, IPL_A_CLIENT_ID, cid, 2 * oct) : IPL_ENOMEM;
            if (*err)
                return 0;
        }
        return 1;
    }
    if (cur_lit(c, "DUID: ")) {
        if (!cur_tok(c, " ,", &p, &n) || !set_duid(ctx, ev, p, n, err) || *err)
            return 0;
        if (cur_lit(c, " and hardware address: hwtype=")) {
            uint64_t t;
            const char *dmac = ev->mac;
            ev->mac = NULL;
            if (!cur_u64(c, 65535, &t) || !cur_lit(c, " ") || !cur_tok(c, " ,", &p, &n) ||
                !set_hwaddr(ctx, ev, p, n, err) || *err)
                return 0;
            if (!ev->mac)
                ev->mac = dmac;
        }
        return 1;
    }
    return 0;
}

static int lg_text(ipl_parse_ctx *ctx, const char *text, size_t tn, ipl_event *ev, ipl_diag *d)
{
    kl_cur c = {text, tn, 0};
    int err = IPL_OK, ok = 0;
    uint64_t secs = 0, plen = 0;
    int have_secs = 0, prefix = 0;
    char q[QBUF];
    if (cur_lit(&c, "Address:") || (prefix = cur_lit(&c, "Prefix:"))) {
        cur_lit(&c, " ");
        ok = cur_ip(&c, ev, prefix ? "/ " : " ");
        if (ok && prefix)
            ok = cur_lit(&c, "/") && cur_u64(&c, 128, &plen);
        if (ok && cur_lit(&c, " has been assigned for ")) {
            ev->kind = IPL_K_LEASE_ASSIGN;
            ok = lg_duration(&c, &secs) && (have_secs = 1) && cur_lit(&c, " to a device with ");
        } else if (ok && cur_lit(&c, " has been renewed for ")) {
            ev->kind = IPL_K_LEASE_RENEW;
            ok = lg_duration(&c, &secs) && (have_secs = 1) && cur_lit(&c, " to a device with ");
        } else if (ok && cur_lit(&c, " has been released from a device with ")) {
            ev->kind = IPL_K_LEASE_RELEASE;
        } else {
            ok = 0;
        }
        ok = ok && lg_device(&c, ctx, ev, &err);
    } else if (cur_lit(&c, "Administrator ") || cur_lit(&c, "HA partner ")) {
        if (cur_lit(&c, "added a lease of address: ") ||
            cur_lit(&c, "updated information on the lease of address: ")) {
            ev->kind = IPL_K_LEASE_ASSIGN;
            ok = cur_ip(&c, ev, " ") && cur_lit(&c, " to a device with ") &&
                 lg_device(&c, ctx, ev, &err);
            if (ok && cur_lit(&c, " for "))
                ok = lg_duration(&c, &secs) && (have_secs = 1);
        } else if (cur_lit(&c, "deleted the lease for address: ")) {
            ev->kind = IPL_K_LEASE_DELETE;
            ok = cur_ip(&c, ev, " ") && c.i == c.n;
        } else if (cur_lit(&c, "deleted a lease for a device identified by: hw-address of ")) {
            const char *p;
            size_t n;
            ev->kind = IPL_K_LEASE_DELETE;
            ok = cur_tok(&c, " ", &p, &n) && set_hwaddr(ctx, ev, p, n, &err) && !err;
        }
    }
    if (err)
        return fail(d, err, "the forensic entry");
    if (!ok)
        return ipl_diag_set(d, IPL_EPARSE, "forensic log text '%s' is not a lease entry (at offset "
                            "%zu)", quote(q, text, tn), c.i);
    if (prefix && (err = add_num_attr(ctx, ev, IPL_A_PREFIX_LEN, plen)))
        return fail(d, err, "prefix length");
    if (have_secs && (err = kl_lifetime(ctx, ev, secs)))
        return fail(d, err, "lifetime");
    return IPL_OK;
}

static int lg_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    int rc = check_line(s, n, d);
    if (rc != IPL_OK)
        return rc;
    while (n && s[n - 1] == '\r')
        n--;
    if (n == 0)
        return IPL_OK;
    ipl_civil civil;
    int valid;
    char q[QBUF];
    size_t i = parse_stamp(s, n, &civil, &valid);
    if (i == 0)
        return ipl_diag_set(d, IPL_EPARSE, "line does not start with a forensic log timestamp "
                            "'YYYY-MM-DD HH:MM:SS': '%s'", quote(q, s, n));
    if (!valid)
        return ipl_diag_set(d, IPL_EPARSE, "timestamp '%s' is not a valid date and time",
                            quote(q, s, i));
    /* optional zone: " CEST", " UTC", " +0200", " +02:00" */
    int zone = 0;               /* 0 local, 1 UTC, 2 offset */
    int off_s = 0;
    if (i + 1 < n && s[i] == ' ') {
        size_t j = i + 1, k = j;
        while (k < n && is_upper((unsigned char)s[k]))
            k++;
        if (k - j >= 1 && k - j <= 5 && (k == n || s[k] == ' ' || s[k] == '-') &&
            !(k < n && has_prefix(s + k, n - k, " partner"))) {
            if (ipl_text_is(s + j, k - j, "UTC") || ipl_text_is(s + j, k - j, "GMT") ||
                ipl_text_is(s + j, k - j, "Z"))
                zone = 1;
            i = k;
        } else if ((s[j] == '+' || s[j] == '-') && n - j >= 5 && is_digit((unsigned char)s[j + 1]) &&
                   is_digit((unsigned char)s[j + 2])) {
            size_t m = j + 3;
            if (m < n && s[m] == ':')
                m++;
            if (m + 2 <= n && is_digit((unsigned char)s[m]) && is_digit((unsigned char)s[m + 1])) {
                int hh = (s[j + 1] - '0') * 10 + (s[j + 2] - '0');
                int mm = (s[m] - '0') * 10 + (s[m + 1] - '0');
                if (hh > 14 || mm > 59)
                    return ipl_diag_set(d, IPL_EPARSE, "zone offset '%s' is out of range",
                                        quote(q, s + j, m + 2 - j));
                off_s = (hh * 3600 + mm * 60) * (s[j] == '-' ? -1 : 1);
                zone = 2;
                i = m + 2;
            }
        }
    }
    if (i < n && s[i] == '-')
        return IPL_OK;                 /* continuation line of a multi-line custom record */
    if (i >= n || s[i] != ' ')
        return ipl_diag_set(d, IPL_EPARSE, "no text after the timestamp '%s'", quote(q, s, i));
    i++;

    ipl_event ev;
    ipl_event_reset(&ev);
    ev.server = ctx->server;
    int64_t last = ctx->last_ts;
    if (zone == 0) {
        if (ipl_tz_resolve(ctx->tz, &civil, &last, &ev.ts) != IPL_OK)
            return ipl_diag_set(d, IPL_EPARSE, "timestamp '%s' cannot be converted to UTC",
                                quote(q, s, i));
    } else {
        ev.ts = ipl_civil_to_us(&civil) - (int64_t)off_s * IPL_US_PER_SEC;
    }
    if ((rc = lg_text(ctx, s + i, n - i, &ev, d)) != IPL_OK)
        return rc;
    ctx->last_ts = zone == 0 ? last : ev.ts;
    return emit(emit_ctx, &ev);
}

static int lg_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int good = 0;
    while (pos < len && good < 5) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl && pos > 0)
            break;
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        pos = end + 1;
        ipl_civil c;
        int valid;
        size_t i = parse_stamp(l, n, &c, &valid);
        if (i == 0 || !valid)
            return 0;
        const char *t = l + i;
        size_t m = n - i;
        /* skip a zone word */
        if (m && *t == ' ') {
            size_t k = 1;
            while (k < m && t[k] != ' ')
                k++;
            if (k < m && !has_prefix(t + 1, m - 1, "Address") && !has_prefix(t + 1, m - 1, "Prefix") &&
                !has_prefix(t + 1, m - 1, "Administrator") && !has_prefix(t + 1, m - 1, "HA partner")) {
                t += k;
                m -= k;
            }
        }
        if (m && (*t == ' ' || *t == '-')) {
            t++;
            m--;
        }
        if (has_prefix(t, m, "Address:") || has_prefix(t, m, "Prefix:") ||
            has_prefix(t, m, "Administrator ") || has_prefix(t, m, "HA partner "))
            good++;
        else
            return 0;
    }
    return good ? 90 : 0;
}

/* ================================================================================================ */

const ipl_parser ipl_parser_kea_csv = {
    .name = "kea-csv",
    .summary = "ISC Kea memfile lease files, v4 and v6 (kea-leases4.csv, kea-leases6.csv)",
    .state_size = sizeof(kc_state),
    .probe = kc_probe,
    .init = kc_init,
    .line = kc_line,
    .finish = kc_finish,
    .pending = kc_pending,
    .release = NULL,
};

const ipl_parser ipl_parser_kea_log = {
    .name = "kea-log",
    .summary = "ISC Kea DHCPv4/DHCPv6 server log files (lease allocation, release, decline, "
               "reclamation messages)",
    .state_size = sizeof(kl_state),
    .probe = kl_probe,
    .init = NULL,
    .line = kl_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};

const ipl_parser ipl_parser_kea_legal = {
    .name = "kea-legal",
    .summary = "ISC Kea forensic logging hook files (kea-legal*.txt)",
    .state_size = 0,
    .probe = lg_probe,
    .init = NULL,
    .line = lg_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
