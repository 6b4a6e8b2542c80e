/* parsers/mswin_dhcp.c — Windows DHCP Server audit logs, IPv4 (DhcpSrvLog-*.log) and IPv6
 * (DhcpV6SrvLog-*.log), as the one registry entry "mswin-dhcp". Spec: FORMATS.md section 1.
 *
 * Input: one line per call, comma-separated, no quoting, no escaping, server-local time.
 *
 *   v4 (7 columns on 2000/2003, 13 on 2008, 19 on 2012+; rows may stop early):
 *     1 ID  2 Date  3 Time  4 Description  5 IP Address  6 Host Name  7 MAC Address  8 User Name
 *     9 TransactionID  10 QResult  11 Probationtime  12 CorrelationID  13 Dhcid
 *     14 VendorClass(Hex)  15 VendorClass(ASCII)  16 UserClass(Hex)  17 UserClass(ASCII)
 *     18 RelayAgentInformation  19 DnsRegError
 *   v6 (12 columns; rows often carry 2-3 extra trailing fields, which must be empty):
 *     1 ID  2 Date  3 Time  4 Description  5 IPv6 Address  6 Host Name  7 Error Code
 *     8 Duid Length  9 Duid Bytes(Hex)  10 User Name  11 Dhcid  12 Subnet Prefix
 *
 *   10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,...
 *   11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40::6fc6,test-host,,18,0004A344...1DAA,,,,,
 *
 * Header lines emit nothing, wherever they appear (the server writes the header block again after
 * each restart): blank lines, the title ("\t\tMicrosoft DHCP[v6] Service Activity Log"; any line
 * whose first word after blanks is "Microsoft DHCP"), "Event ID  Meaning", code legend lines
 * (1-5 digits then a TAB, or digits and '+': "00\tThe log was started.", "50+\tCodes above 50..."),
 * the "QResult: ..." line and the column line (any line starting "ID,", which also covers
 * localized column names). Every other line must be a data row, or it is an error whose reason
 * names the column ("field 2 (Date) '13/45/24' is not a valid MM/DD/YY date").
 *
 * v4 or v6 is decided per row, not per file: a 4- or 5-digit ID (1000-99999: the 11000-11032
 * codes and the 4-digit rogue-detection codes such as 1103) is v6; an unknown 2- or 3-digit ID
 * whose field 5 holds a ':' is v6 too; everything else is v4. v4 rows need at least 7 fields,
 * v6 rows at least 4; missing fields are empty.
 *
 * Rows with more than 19 fields (v4) come from commas inside free text. After dropping empty
 * trailing fields beyond the 19th, fields 1-14 are taken from the left, fields 16-19 from the right,
 * and the span between them (commas included) is VendorClass(ASCII) [FORMATS.md heuristic; a comma
 * in Host Name usually then fails the checks of MAC Address, TransactionID or QResult and the row
 * is refused rather than misread, but that is not guaranteed].
 *
 * Time: MM/DD/YY HH:MM:SS is read as 20YY, validated against the calendar, and converted with
 * ipl_tz_resolve(ctx->tz, ..., &ctx->last_ts, ...) as the very last step, so a refused row never
 * moves last_ts.
 *
 * Kinds. v4: 00 log.start, 01 log.stop, 02 log.pause, 10 assign, 11 renew, 12 release,
 * 13 conflict, 14 exhausted, 15 deny, 16 delete, 17 18 expire, 20 21 bootp, 22 exhausted,
 * 23 delete, 24 25 housekeeping, 30 32 dns.update, 31 34 35 dns.update.fail, 33 36 drop,
 * 50-64 rogue. v6: 11000 v6.solicit, 11001 offer, 11002 assign, 11003 v6.confirm, 11004 11005
 * renew, 11006 decline, 11007 release, 11008 11032 inform, 11009 exhausted, 11010 log.start,
 * 11011 log.stop, 11012 log.pause, 11013 service, 11014 11015 conflict, 11016 delete,
 * 11017-11019 expire, 11020 11021 11030 11031 housekeeping, 11022 11024 dns.update,
 * 11023 11028 11029 dns.update.fail, 1000-1999 rogue. Any other well-formed ID becomes
 * server.service with its code and description kept (never dropped).
 *
 * Fields: ip when the address column is set; host = Host Name, except on rogue rows where that
 * column is the AD domain and goes to the "message" attribute; user = User Name; server =
 * ctx->server. On 13/11014/11015 (conflict) the MAC on the row is kept in ev->mac, but the kind
 * says that the device answering for the IP is unknown: consumers must not bind them.
 * Attributes: code (always, as written), desc (log/service/rogue/housekeeping/unknown codes),
 * xid (unless 0), qresult (unless 6), probation, correlation, dhcid, vendor_class and user_class
 * (the ASCII form, else the hex), relay (hex as written), dns_error (unless 0); v6 error_code and
 * subnet_prefix.
 *
 * Hardware addresses (v4 field 7): 12 hex digits (or a MAC with ':'/'-'/'.' separators) is the
 * MAC. Any other even-length hex string (RAS "52415320...", InfiniBand, client identifiers) is not
 * a MAC: it goes, canonical lowercase hex, into ev->duid (the event's opaque client-identifier
 * slot), and a 14-digit one starting "01" (hardware type 1 + MAC) also yields ev->mac. Odd
 * length or a non-hex digit is an error. v6: the DUID (field 9) goes to ev->duid, and the MAC
 * inside a DUID-LLT/DUID-LL with Ethernet hardware type to ev->mac.
 *
 * Recovery: an observed variant writes the IP of an expiry into the Description
 * ("DNS record not deleted67.43.156.15" with field 5 empty); for 16/17/18 rows with an empty IP
 * column a dotted quad ending the Description is taken as the IP.
 *
 * Quarantined (error, line skipped by ingest with this reason): lines over 8192 bytes, NUL bytes
 * (a leading run of NULs, left by a crash in a preallocated file, is skipped; a line of NULs only
 * is refused), lines that are neither header nor row, a non-numeric or wrong-length ID, too few
 * fields, invalid dates and times, an address that does not parse for its family, a bad hardware
 * address or DUID, non-numeric TransactionID/QResult/Duid Length, a non-empty v6 field past the
 * 12th (a shifted row), and strings over the event limits (IPL_STR_MAX for host/user/mac/duid,
 * IPL_ATTR_VAL_MAX for attributes): a cap is an error, never a silent cut. A refused row is never
 * partly emitted. The Duid Length column is checked to be a number but not against the DUID.
 *
 * Tolerated: trailing CRs, a UTF-8 byte-order mark, blanks around fields (the VendorClass and
 * UserClass ASCII forms are kept as written). Not read: UTF-16 files (refused line by line).
 *
 * Pure: no I/O, no globals written, no clock; no per-line malloc beyond ctx->arena. Strings:
 * attributes point into the line; host/user/mac/duid are copied into ctx->arena (NUL-terminated).
 */
#include "parsers/parser.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <string.h>

#define MSW_LINE_MAX  8192   /* bytes per line (the ingest layer caps lines too) */
#define MSW_V4_FIELDS 19
#define MSW_V6_FIELDS 12
#define MSW_HEX_MAX   (IPL_STR_MAX - 2)   /* hex digits in a canonical mac/duid string (even) */
#define MSW_QUOTE_MAX 48     /* bytes of a field shown in an error message */

typedef struct msw_field {
    const char *p;
    size_t      n;
} msw_field;

typedef struct msw_row {
    msw_field f[MSW_V4_FIELDS];   /* by position; missing ones empty */
    size_t    nf;                 /* fields on the line (before padding) */
    int       v6;
} msw_row;

static const char *const v4_names[MSW_V4_FIELDS] = {
    "ID", "Date", "Time", "Description", "IP Address", "Host Name", "MAC Address", "User Name",
    "TransactionID", "QResult", "Probationtime", "CorrelationID", "Dhcid", "VendorClass(Hex)",
    "VendorClass(ASCII)", "UserClass(Hex)", "UserClass(ASCII)", "RelayAgentInformation",
    "DnsRegError",
};

static const char *const v6_names[MSW_V6_FIELDS] = {
    "ID", "Date", "Time", "Description", "IPv6 Address", "Host Name", "Error Code", "Duid Length",
    "Duid Bytes(Hex)", "User Name", "Dhcid", "Subnet Prefix",
};

/* v4 IDs 00-99 -> kind; 0 (IPL_K_NONE) = not a documented code. */
static const uint8_t v4_kinds[100] = {
    [0] = IPL_K_LOG_START,       [1] = IPL_K_LOG_STOP,        [2] = IPL_K_LOG_PAUSE,
    [10] = IPL_K_LEASE_ASSIGN,   [11] = IPL_K_LEASE_RENEW,    [12] = IPL_K_LEASE_RELEASE,
    [13] = IPL_K_LEASE_CONFLICT, [14] = IPL_K_LEASE_EXHAUSTED, [15] = IPL_K_LEASE_DENY,
    [16] = IPL_K_LEASE_DELETE,   [17] = IPL_K_LEASE_EXPIRE,   [18] = IPL_K_LEASE_EXPIRE,
    [20] = IPL_K_LEASE_BOOTP,    [21] = IPL_K_LEASE_BOOTP,    [22] = IPL_K_LEASE_EXHAUSTED,
    [23] = IPL_K_LEASE_DELETE,   [24] = IPL_K_HOUSEKEEPING,   [25] = IPL_K_HOUSEKEEPING,
    [30] = IPL_K_DNS_UPDATE,     [31] = IPL_K_DNS_UPDATE_FAIL, [32] = IPL_K_DNS_UPDATE,
    [33] = IPL_K_LEASE_DROP,     [34] = IPL_K_DNS_UPDATE_FAIL, [35] = IPL_K_DNS_UPDATE_FAIL,
    [36] = IPL_K_LEASE_DROP,
    [50] = IPL_K_ROGUE, [51] = IPL_K_ROGUE, [52] = IPL_K_ROGUE, [53] = IPL_K_ROGUE,
    [54] = IPL_K_ROGUE, [55] = IPL_K_ROGUE, [56] = IPL_K_ROGUE, [57] = IPL_K_ROGUE,
    [58] = IPL_K_ROGUE, [59] = IPL_K_ROGUE, [60] = IPL_K_ROGUE, [61] = IPL_K_ROGUE,
    [62] = IPL_K_ROGUE, [63] = IPL_K_ROGUE, [64] = IPL_K_ROGUE,
};

/* v6 IDs 11000-11032 -> kind (index ID - 11000); 0 = not a documented code. */
static const uint8_t v6_kinds[33] = {
    [0] = IPL_K_LEASE_V6_SOLICIT, [1] = IPL_K_LEASE_OFFER,       [2] = IPL_K_LEASE_ASSIGN,
    [3] = IPL_K_LEASE_V6_CONFIRM, [4] = IPL_K_LEASE_RENEW,       [5] = IPL_K_LEASE_RENEW,
    [6] = IPL_K_LEASE_DECLINE,    [7] = IPL_K_LEASE_RELEASE,     [8] = IPL_K_LEASE_INFORM,
    [9] = IPL_K_LEASE_EXHAUSTED,  [10] = IPL_K_LOG_START,        [11] = IPL_K_LOG_STOP,
    [12] = IPL_K_LOG_PAUSE,       [13] = IPL_K_SERVICE,          [14] = IPL_K_LEASE_CONFLICT,
    [15] = IPL_K_LEASE_CONFLICT,  [16] = IPL_K_LEASE_DELETE,     [17] = IPL_K_LEASE_EXPIRE,
    [18] = IPL_K_LEASE_EXPIRE,    [19] = IPL_K_LEASE_EXPIRE,     [20] = IPL_K_HOUSEKEEPING,
    [21] = IPL_K_HOUSEKEEPING,    [22] = IPL_K_DNS_UPDATE,       [23] = IPL_K_DNS_UPDATE_FAIL,
    [24] = IPL_K_DNS_UPDATE,      [28] = IPL_K_DNS_UPDATE_FAIL,  [29] = IPL_K_DNS_UPDATE_FAIL,
    [30] = IPL_K_HOUSEKEEPING,    [31] = IPL_K_HOUSEKEEPING,     [32] = IPL_K_LEASE_INFORM,
};

/* ---- small text helpers ------------------------------------------------------------------ */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

static msw_field trim(msw_field f)
{
    while (f.n && is_blank((unsigned char)f.p[0])) {
        f.p++;
        f.n--;
    }
    while (f.n && is_blank((unsigned char)f.p[f.n - 1]))
        f.n--;
    return f;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Case-insensitive ASCII prefix test. */
static int has_prefix_ci(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; lit[i]; i++) {
        if (i >= n)
            return 0;
        int a = (unsigned char)s[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z')
            a |= 0x20;
        if (b >= 'A' && b <= 'Z')
            b |= 0x20;
        if (a != b)
            return 0;
    }
    return 1;
}

/* Renders a field for an error message: printable ASCII as is, other bytes as \xNN, cut with
 * "..." after MSW_QUOTE_MAX bytes. buf must hold 4 * MSW_QUOTE_MAX + 4. */
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, MSW_QUOTE_MAX);
}

#define QBUF (4 * MSW_QUOTE_MAX + 4)

static const char *field_name(const msw_row *r, size_t i)
{
    if (r->v6)
        return i < MSW_V6_FIELDS ? v6_names[i] : "?";
    return i < MSW_V4_FIELDS ? v4_names[i] : "?";
}

/* "field N (Name) 'text' <what>" */
static int bad_field(ipl_diag *d, const msw_row *r, size_t i, const char *what)
{
    char q[QBUF];
    return ipl_diag_set(d, IPL_EPARSE, "field %zu (%s) '%s' %s", i + 1, field_name(r, i),
                        quote(q, r->f[i].p, r->f[i].n), what);
}

static int too_long(ipl_diag *d, const msw_row *r, size_t i, size_t n, size_t max, const char *unit)
{
    return ipl_diag_set(d, IPL_EPARSE, "field %zu (%s) is %zu %ss long, longer than the %zu-%s limit",
                        i + 1, field_name(r, i), n, unit, max, unit);
}

/* ---- header lines ------------------------------------------------------------------------ */

/* 1 if the line is part of a header block (title, legend, QResult, column names) or blank. */
static int is_header(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    if (i == n)
        return 1;                                   /* blank */
    if (has_prefix_ci(s + i, n - i, "Microsoft DHCP"))
        return 1;                                   /* title, v4 or v6 */
    if (i)
        return 0;
    if (has_prefix_ci(s, n, "Event ID") || has_prefix_ci(s, n, "QResult") ||
        has_prefix_ci(s, n, "ID,"))
        return 1;
    /* legend: "00\tThe log was started.", "50+\tCodes above 50 ..." (a TAB after the code) */
    size_t d = 0;
    while (d < n && d < 6 && is_digit((unsigned char)s[d]))
        d++;
    if (d == 0 || d > 5 || d == n)
        return 0;
    if (s[d] == '+')
        return d + 1 == n || is_blank((unsigned char)s[d + 1]);
    return s[d] == '\t';
}

/* ---- field values ------------------------------------------------------------------------ */

static int two_digits(const char *s, int *v)
{
    if (!is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1]))
        return 0;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

static int days_in_month(int y, int m)
{
    static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static int parse_date(msw_field f, ipl_civil *c)
{
    int mm, dd, yy;
    if (f.n != 8 || f.p[2] != '/' || f.p[5] != '/' || !two_digits(f.p, &mm) ||
        !two_digits(f.p + 3, &dd) || !two_digits(f.p + 6, &yy))
        return 0;
    if (mm < 1 || mm > 12 || dd < 1 || dd > days_in_month(2000 + yy, mm))
        return 0;
    c->year = 2000 + yy;
    c->mon = mm;
    c->day = dd;
    return 1;
}

static int parse_time(msw_field f, ipl_civil *c)
{
    int h, m, s;
    if (f.n != 8 || f.p[2] != ':' || f.p[5] != ':' || !two_digits(f.p, &h) ||
        !two_digits(f.p + 3, &m) || !two_digits(f.p + 6, &s))
        return 0;
    if (h > 23 || m > 59 || s > 59)
        return 0;
    c->hour = h;
    c->min = m;
    c->sec = s;
    c->usec = 0;
    return 1;
}

/* A dotted quad at the end of s (after a non-digit, non-dot byte), or 0. */
static int trailing_ipv4(const char *s, size_t n, uint8_t ip[16])
{
    size_t i = n;
    while (i > 0 && (is_digit((unsigned char)s[i - 1]) || s[i - 1] == '.') && n - i < 16)
        i--;
    if (i == n || i == 0 || n - i < 7)
        return 0;
    if (memchr(s + i, '.', n - i) == NULL || s[i] == '.')
        return 0;
    return ipl_ip_parse(s + i, n - i, ip) == IPL_OK && ipl_ip_is_v4(ip);
}

/* Copies a field into the arena as a NUL-terminated string; NULL (and *err set) on failure. */
static const char *arena_str(ipl_parse_ctx *ctx, msw_field f, ipl_diag *d, int *err)
{
    char *s = ipl_arena_strndup(ctx->arena, f.p, f.n);
    if (!s)
        *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory copying a field of %zu bytes", f.n);
    return s;
}

/* Canonical lowercase hex of a hex field (0x prefix allowed, no separators) into the arena. */
static int hex_field(ipl_parse_ctx *ctx, const msw_row *r, size_t i, char **out, size_t *outn,
                     ipl_diag *d)
{
    msw_field f = trim(r->f[i]);
    const char *s = f.p;
    size_t n = f.n;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0)
        return bad_field(d, r, i, "is not hexadecimal");
    for (size_t k = 0; k < n; k++)
        if (ipl_text_hex((unsigned char)s[k]) < 0)
            return bad_field(d, r, i, "is not hexadecimal");
    if (n & 1)
        return bad_field(d, r, i, "has an odd number of hex digits");
    if (n > MSW_HEX_MAX)
        return too_long(d, r, i, n, MSW_HEX_MAX, "digit");
    char *buf = ipl_arena_alloc(ctx->arena, n + 1);
    if (!buf)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying a field of %zu bytes", n);
    if (ipl_hex_canon(s, n, buf, n + 1) != IPL_OK)     /* cannot fail after the checks above */
        return bad_field(d, r, i, "is not hexadecimal");
    *out = buf;
    *outn = n;
    return IPL_OK;
}

/* v4 field 7. See the top comment for the rules. */
static int hw_field(ipl_parse_ctx *ctx, const msw_row *r, ipl_event *ev, ipl_diag *d)
{
    msw_field f = trim(r->f[6]);
    if (f.n == 0)
        return IPL_OK;
    char *mac = ipl_arena_alloc(ctx->arena, 13);
    if (!mac)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the MAC address");
    if (f.n == 12) {                                    /* the common case: AABBCCDDEEFF */
        size_t k = 0;
        for (; k < 12; k++) {
            int v = ipl_text_hex((unsigned char)f.p[k]);
            if (v < 0)
                break;
            mac[k] = "0123456789abcdef"[v];
        }
        if (k == 12) {
            mac[12] = '\0';
            ev->mac = mac;
            return IPL_OK;
        }
    }
    if (memchr(f.p, ':', f.n) || memchr(f.p, '-', f.n) || memchr(f.p, '.', f.n)) {
        if (ipl_mac_canon(f.p, f.n, mac) == IPL_OK) {
            ev->mac = mac;
            return IPL_OK;
        }
        return bad_field(d, r, 6, "is not a MAC address");
    }
    char *hex;
    size_t n;
    int rc = hex_field(ctx, r, 6, &hex, &n, d);
    if (rc != IPL_OK)
        return rc;
    ev->duid = hex;
    if (n == 14 && hex[0] == '0' && hex[1] == '1') {    /* hardware type 1 + MAC */
        memcpy(mac, hex + 2, 12);
        mac[12] = '\0';
        ev->mac = mac;
    }
    return IPL_OK;
}

static int add_attr(ipl_event *ev, const msw_row *r, size_t i, unsigned key, msw_field f,
                    ipl_diag *d)
{
    if (f.n > IPL_ATTR_VAL_MAX)
        return too_long(d, r, i, f.n, IPL_ATTR_VAL_MAX, "byte");
    int rc = ipl_event_add_attr(ev, key, f.p, f.n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event at field %zu (%s)", i + 1,
                            field_name(r, i));
    return IPL_OK;
}

/* Adds field i (trimmed) as an attribute when it is non-empty and not `skip` (may be NULL). */
static int opt_attr(ipl_event *ev, const msw_row *r, size_t i, unsigned key, const char *skip,
                    ipl_diag *d)
{
    msw_field f = trim(r->f[i]);
    if (f.n == 0 || (skip && ipl_text_is(f.p, f.n, skip)))
        return IPL_OK;
    return add_attr(ev, r, i, key, f, d);
}

static int str_field(ipl_parse_ctx *ctx, const msw_row *r, size_t i, const char **out,
                     ipl_diag *d)
{
    msw_field f = trim(r->f[i]);
    if (f.n == 0)
        return IPL_OK;
    if (f.n >= IPL_STR_MAX)
        return too_long(d, r, i, f.n, IPL_STR_MAX - 1, "byte");
    int err = IPL_OK;
    *out = arena_str(ctx, f, d, &err);
    return err;
}

/* ---- splitting --------------------------------------------------------------------------- */

/* Splits s on ',' into r (fields beyond the 19th are counted, not stored) and applies the
 * >19-field recovery for v4 rows later. Returns the offset of a NUL byte, or n if none. */
static size_t split(const char *s, size_t n, msw_row *r)
{
    size_t nf = 0, start = 0, nul = n;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',') {
            if (nf < MSW_V4_FIELDS) {
                r->f[nf].p = s + start;
                r->f[nf].n = i - start;
            }
            nf++;
            start = i + 1;
        } else if (c == '\0' && nul == n) {
            nul = i;
        }
    }
    if (nf < MSW_V4_FIELDS) {
        r->f[nf].p = s + start;
        r->f[nf].n = n - start;
    }
    nf++;
    r->nf = nf;
    for (size_t i = nf; i < MSW_V4_FIELDS; i++) {
        r->f[i].p = s + n;
        r->f[i].n = 0;
    }
    return nul;
}

/* v4 rows with more than 19 fields: drop empty trailing fields beyond the 19th, then take
 * fields 16-19 from the right and make field 15 the span between field 14 and field 16. */
static void recover_wide(const char *s, size_t n, msw_row *r)
{
    size_t nf = r->nf;
    while (nf > MSW_V4_FIELDS && n > 0 && s[n - 1] == ',') {
        n--;
        nf--;
    }
    if (nf <= MSW_V4_FIELDS) {           /* only trailing empties: re-split the trimmed line */
        split(s, n, r);
        return;
    }
    size_t end = n;
    for (int k = MSW_V4_FIELDS - 1; k >= 15; k--) {   /* fields 19, 18, 17, 16 */
        size_t b = end;
        while (b > 0 && s[b - 1] != ',')
            b--;
        r->f[k].p = s + b;
        r->f[k].n = end - b;
        end = b - 1;                                   /* the comma before field k+1 */
    }
    r->f[14].n = (size_t)(s + end - r->f[14].p);
    r->nf = nf;
}

/* ---- the line entry point ---------------------------------------------------------------- */

static int kind_of(const msw_row *r, unsigned id, size_t idlen, int *known)
{
    *known = 1;
    if (!r->v6) {
        if (id < 100 && v4_kinds[id])
            return v4_kinds[id];
    } else {
        if (id >= 11000 && id <= 11032 && v6_kinds[id - 11000])
            return v6_kinds[id - 11000];
        if (idlen == 4 && id >= 1000 && id <= 1999)
            return IPL_K_ROGUE;
    }
    *known = 0;
    return IPL_K_SERVICE;
}

static int mswin_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                      void *emit_ctx, ipl_diag *d)
{
    if (n > MSW_LINE_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                            MSW_LINE_MAX);
    while (n && s[n - 1] == '\r')
        n--;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {     /* UTF-8 byte-order mark */
        s += 3;
        n -= 3;
    }
    if (n && s[0] == '\0') {                               /* zero-filled region */
        size_t z = 0;
        while (z < n && s[z] == '\0')
            z++;
        if (z == n)
            return ipl_diag_set(d, IPL_EPARSE, "line holds only NUL bytes (%zu), a zero-filled "
                                "region of the file", n);
        s += z;
        n -= z;
    }
    if (is_header(s, n))
        return IPL_OK;

    msw_row r;
    size_t nul = split(s, n, &r);
    char q[QBUF];
    if (nul < n)
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the row '%s'", nul,
                            quote(q, s, n));
    if (r.nf == 1)
        return ipl_diag_set(d, IPL_EPARSE, "line is neither a header line nor a data row: '%s'",
                            quote(q, s, n));

    /* field 1: the ID decides the family */
    msw_field idf = trim(r.f[0]);
    r.v6 = 0;
    if (idf.n < 2 || idf.n > 5 || !all_digits(idf.p, idf.n))
        return bad_field(d, &r, 0, "is not a 2- to 5-digit event ID");
    unsigned id = 0;
    for (size_t i = 0; i < idf.n; i++)
        id = id * 10 + (unsigned)(idf.p[i] - '0');
    if (id >= 1000)
        r.v6 = 1;
    else if ((id >= 100 || !v4_kinds[id]) && r.nf >= 5 && memchr(r.f[4].p, ':', r.f[4].n))
        r.v6 = 1;

    size_t min = r.v6 ? 4 : 7;
    if (r.nf < min)
        return ipl_diag_set(d, IPL_EPARSE, "row has %zu fields, expected at least %zu", r.nf, min);
    if (!r.v6 && r.nf > MSW_V4_FIELDS)
        recover_wide(s, n, &r);
    if (r.v6 && r.nf > MSW_V6_FIELDS) {      /* extra trailing fields must be empty */
        size_t fi = MSW_V6_FIELDS;
        for (const char *p = r.f[MSW_V6_FIELDS].p; p < s + n; p++) {
            if (*p == ',')
                fi++;
            else if (!is_blank((unsigned char)*p))
                return ipl_diag_set(d, IPL_EPARSE, "field %zu is not empty: a DHCPv6 row has "
                                    "%d columns", fi + 1, MSW_V6_FIELDS);
        }
    }

    ipl_civil civil;
    if (!parse_date(trim(r.f[1]), &civil))
        return bad_field(d, &r, 1, "is not a valid MM/DD/YY date");
    if (!parse_time(trim(r.f[2]), &civil))
        return bad_field(d, &r, 2, "is not a valid HH:MM:SS time");

    int known;
    int kind = kind_of(&r, id, idf.n, &known);
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = (uint16_t)kind;
    ev.server = ctx->server;

    int rc = add_attr(&ev, &r, 0, IPL_A_CODE, idf, d);
    if (rc != IPL_OK)
        return rc;
    msw_field desc = trim(r.f[3]);
    if (desc.n && (!known || kind == IPL_K_HOUSEKEEPING || kind == IPL_K_SERVICE ||
                   kind == IPL_K_ROGUE || kind == IPL_K_LOG_START || kind == IPL_K_LOG_STOP ||
                   kind == IPL_K_LOG_PAUSE)) {
        if ((rc = add_attr(&ev, &r, 3, IPL_A_DESC, desc, d)) != IPL_OK)
            return rc;
    }

    /* field 5: the address */
    msw_field ipf = trim(r.f[4]);
    if (ipf.n) {
        if (ipl_ip_parse(ipf.p, ipf.n, ev.ip) != IPL_OK ||
            (r.v6 ? memchr(ipf.p, ':', ipf.n) == NULL : !ipl_ip_is_v4(ev.ip) ||
                                                        memchr(ipf.p, ':', ipf.n) != NULL))
            return bad_field(d, &r, 4, r.v6 ? "is not an IPv6 address" : "is not an IPv4 address");
        ev.has_ip = 1;
    } else if (!r.v6 && (id == 16 || id == 17 || id == 18) && trailing_ipv4(desc.p, desc.n, ev.ip)) {
        ev.has_ip = 1;
    }

    /* field 6: host name, or the AD domain on rogue-detection rows */
    if (kind == IPL_K_ROGUE) {
        if ((rc = opt_attr(&ev, &r, 5, IPL_A_MESSAGE, NULL, d)) != IPL_OK)
            return rc;
    } else if ((rc = str_field(ctx, &r, 5, &ev.host, d)) != IPL_OK) {
        return rc;
    }

    if (!r.v6) {
        if ((rc = hw_field(ctx, &r, &ev, d)) != IPL_OK)
            return rc;
        if ((rc = str_field(ctx, &r, 7, &ev.user, d)) != IPL_OK)
            return rc;
        msw_field xid = trim(r.f[8]), qr = trim(r.f[9]);
        if (xid.n && (xid.n > 10 || !all_digits(xid.p, xid.n)))
            return bad_field(d, &r, 8, "is not a decimal transaction ID");
        if (qr.n && (qr.n > 3 || !all_digits(qr.p, qr.n)))
            return bad_field(d, &r, 9, "is not a numeric QResult");
        if ((rc = opt_attr(&ev, &r, 8, IPL_A_XID, "0", d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 9, IPL_A_QRESULT, "6", d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 10, IPL_A_PROBATION, NULL, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 11, IPL_A_CORRELATION, NULL, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 12, IPL_A_DHCID, NULL, d)) != IPL_OK)
            return rc;
        /* the ASCII forms are kept untrimmed ("MSFT 5.0"); the hex form when they are empty */
        if (r.f[14].n)
            rc = add_attr(&ev, &r, 14, IPL_A_VENDOR, r.f[14], d);
        else
            rc = opt_attr(&ev, &r, 13, IPL_A_VENDOR, NULL, d);
        if (rc != IPL_OK)
            return rc;
        if (r.f[16].n)
            rc = add_attr(&ev, &r, 16, IPL_A_USER_CLASS, r.f[16], d);
        else
            rc = opt_attr(&ev, &r, 15, IPL_A_USER_CLASS, NULL, d);
        if (rc != IPL_OK)
            return rc;
        if ((rc = opt_attr(&ev, &r, 17, IPL_A_RELAY, NULL, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 18, IPL_A_DNS_ERROR, "0", d)) != IPL_OK)
            return rc;
    } else {
        msw_field dl = trim(r.f[7]);
        if (dl.n && (dl.n > 3 || !all_digits(dl.p, dl.n)))
            return bad_field(d, &r, 7, "is not a decimal DUID length");
        if (trim(r.f[8]).n) {
            char *duid;
            size_t dn;
            if ((rc = hex_field(ctx, &r, 8, &duid, &dn, d)) != IPL_OK)
                return rc;
            ev.duid = duid;
            char mac[13];
            if (ipl_duid_mac(duid, mac) == IPL_OK) {
                msw_field mf = {mac, 12};
                int err = IPL_OK;
                ev.mac = arena_str(ctx, mf, d, &err);
                if (err != IPL_OK)
                    return err;
            }
        }
        if ((rc = str_field(ctx, &r, 9, &ev.user, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 6, IPL_A_ERROR_CODE, NULL, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 10, IPL_A_DHCID, NULL, d)) != IPL_OK ||
            (rc = opt_attr(&ev, &r, 11, IPL_A_PREFIX, NULL, d)) != IPL_OK)
            return rc;
    }

    /* last: the time (ipl_tz_resolve moves ctx->last_ts, so only for rows that are emitted) */
    rc = ipl_tz_resolve(ctx->tz, &civil, &ctx->last_ts, &ev.ts);
    if (rc != IPL_OK) {
        char q2[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "date '%s' time '%s' cannot be converted to UTC",
                            quote(q, r.f[1].p, r.f[1].n), quote(q2, r.f[2].p, r.f[2].n));
    }
    return emit(emit_ctx, &ev);
}

/* ---- probe ------------------------------------------------------------------------------- */

/* ^\d{2,5},\d{2}/\d{2}/\d{2},\d{2}:\d{2}:\d{2}, */
static int looks_like_row(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 6 && is_digit((unsigned char)s[i]))
        i++;
    if (i < 2 || i > 5)
        return 0;
    static const char pat[] = ",dd/dd/dd,dd:dd:dd,";
    size_t m = sizeof pat - 1;
    if (n - i < m)
        return 0;
    for (size_t k = 0; k < m; k++) {
        int c = (unsigned char)s[i + k];
        if (pat[k] == 'd' ? !is_digit(c) : c != pat[k])
            return 0;
    }
    return 1;
}

static int mswin_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int rows = 0, checked = 0, bad = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        int partial = nl == NULL && pos > 0;     /* the sample may cut the last line */
        pos = end + 1;
        while (n && l[n - 1] == '\r')
            n--;
        size_t b = 0;
        while (b < n && is_blank((unsigned char)l[b]))
            b++;
        if (has_prefix_ci(l + b, n - b, "Microsoft DHCP Service Activity Log") ||
            has_prefix_ci(l + b, n - b, "Microsoft DHCPv6 Service Activity Log") ||
            has_prefix_ci(l, n, "ID,Date,Time,Description,IP Address") ||
            has_prefix_ci(l, n, "ID,Date,Time,Description,IPv6 Address"))
            return 100;
        if (checked >= 5 || partial)
            continue;                            /* keep looking for a header only */
        if (memchr(l, '\0', n))
            bad = 1;
        else if (is_header(l, n))
            continue;
        else if (looks_like_row(l, n))
            rows++;
        else
            bad = 1;
        checked++;
    }
    return rows > 0 && !bad ? 80 : 0;
}

const ipl_parser ipl_parser_mswin_dhcp = {
    .name = "mswin-dhcp",
    .summary = "Windows DHCP Server audit logs, IPv4 and IPv6 (DhcpSrvLog-*.log, DhcpV6SrvLog-*.log)",
    .state_size = 0,
    .probe = mswin_probe,
    .init = NULL,
    .line = mswin_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
