/* parsers/nps.c — Microsoft NPS (formerly IAS) RADIUS log files in their three formats, as the
 * registry entries "nps-ias", "nps-odbc" and "nps-xml". Spec: FORMATS.md sections 6.1-6.4 and 9.
 *
 * One record per line in all three formats, server-local time with no offset (ctx->tz):
 *
 *   IAS (6.2): six header fields, then <attribute-id>,<value> pairs in the order the NAS sent them
 *     10.20.0.5,CORP\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A,8,10.20.30.41,...
 *     header: 1 NAS-IP-Address  2 User-Name  3 Record-Date (MM/DD/YYYY)  4 Record-Time (HH:MM:SS)
 *             5 Service-Name (1-16 letters: IAS, NPS, RAS)  6 Computer-Name
 *     pairs:  a decimal attribute id (1-5 digits, RFC 2865/2866 and sdoias.h numbers) and its
 *             value; unknown ids are skipped; a pair wins over the header's copy; a repeated id
 *             (Class, VSAs) keeps its first value.
 *   ODBC (6.3): 60 (IAS 2003) to 66 (NPS 2008+) positional columns; text in double quotes with ""
 *     for a quote (RFC 4180, [unverified] in FORMATS.md), numbers, dates and times unquoted; an
 *     empty column or "" is an absent attribute
 *     "NPS01","IAS",05/01/2024,08:15:40,4,"CORP\alice",,"00-11-...:CorpWiFi","3C-52-82-6A-1B-2F",...
 *   DTS XML (6.4): one <Event> element per line (blanks around it allowed), children named after
 *     the attribute, any order, read with the scanner of parsers/xml.h (entities decoded, unknown
 *     elements skipped, a child inside a known element refused); Timestamp MM/DD/YYYY
 *     HH:MM:SS[.fff] (1-6 fraction digits kept as microseconds)
 *     <Event><Timestamp data_type="4">05/01/2024 08:15:40.220</Timestamp><Computer-Name ...
 *
 * NPS does not start a new file when its log format is switched, so a file can mix formats: the
 * three entries share one line function that picks the format per line (first non-blank byte
 * '<' XML, first byte '"' ODBC, anything else IAS); they differ only in probe(), where the first
 * line decides (so at most one of them scores) and every one of the first five must be NPS.
 *
 * All three fill one record of named slots (nps_rec), turned into an event by nps_build, so the
 * formats map identically:
 *
 *   Packet-Type (IAS 4136, ODBC column 5)   event kind
 *     1 Access-Request                        radius.request: user, MAC and NAS of the attempt
 *                                             (NPS logs Calling-Station-Id here, not in the
 *                                             Accept/Reject that follows)
 *     2 Access-Accept                         logon
 *     3 Access-Reject                         logon.fail
 *     4 Accounting-Request                    by Acct-Status-Type: 1 Start radius.start,
 *                                             2 Stop radius.stop, 3 Interim-Update
 *                                             radius.update, 7 Accounting-On radius.acct.on,
 *                                             8 Accounting-Off radius.acct.off (the NAS
 *                                             (re)started or stopped: all its sessions ended);
 *                                             9-15 (tunnel accounting, Failed): no event; other
 *                                             values and a missing Acct-Status-Type: error
 *     5, 11, 12, 13, 40-45                    no event (Accounting-Response, Access-Challenge,
 *                                             Status-Server/-Client, Disconnect/CoA)
 *     any other value                         error
 *     absent                                  Accounting-Request when Acct-Status-Type is set,
 *                                             else Access-Request (Microsoft's IAS sample, an
 *                                             Access-Request, has no Packet-Type)
 *
 *   ip = Framed-IP-Address, which must be IPv4; 0.0.0.0 and the RFC 2865 placeholders
 *   255.255.255.254 (NAS chooses) and 255.255.255.255 (user chooses) are not addresses and leave
 *   ip unset. Framed-IPv6-Address (IAS 168) is ip when there is no IPv4 address; with both, a
 *   second event identical but for ip carries the IPv6 address, so both can be looked up.
 *   mac = Calling-Station-Id when ipl_mac_canon accepts it (any notation); otherwise the value is
 *   the calling_station attribute (VPN: the client's public IP; dial-up: a phone number).
 *   user = User-Name, else SAM-Account-Name, else Fully-Qualified-User-Name (ODBC column 7
 *   Fully-Qualified-Distinguished-Name; XML spells it Fully-Qualifed-User-Name, the correct
 *   spelling is read too): Rejects often carry only SAM-Account-Name.
 *   server = ctx->server, else the NPS Computer-Name.
 *   Attributes (each key at most once, 16 at most): session (Acct-Session-Id), nas
 *   (NAS-IP-Address in canonical text, else NAS-IPv6-Address, else NAS-Identifier), nas_id
 *   (NAS-Identifier, when nas is an address), port (NAS-Port), nas_port_type (RFC 2865 numbers as
 *   FreeRADIUS names them: 19 -> "Wireless-802.11"), session_time, in_octets / out_octets
 *   (Gigawords folded in: gigawords * 2^32 + octets), terminate_cause (RFC 2866/3580 numbers as
 *   names: 1 -> "User-Request"), reason (Reason-Code; on accounting records only when not 0),
 *   method (Authentication-Type: 1 PAP, 2 CHAP, 3 MS-CHAP, 4 MS-CHAPv2, 5 EAP, 6 ARAP, 7 None,
 *   8 Custom, 9 MS-CHAP-CPW, 10 MS-CHAPv2-CPW, 11 PEAP), policy (NP-Policy-Name), correlation
 *   (Class: ties an authentication to its accounting records), called_station
 *   (Called-Station-Id: AP MAC and SSID), framed_ipv6_prefix. Numbers without a name are kept as
 *   written. The same names as parsers/freeradius.c, so both sources correlate alike.
 *
 *   Strings must be printable UTF-8 (no control bytes), else the record is refused. IAS (and
 *   ODBC, for octet strings) writes a value holding a delimiter or a non-printable byte as
 *   0x<hex>: such a value is decoded when its bytes are printable UTF-8 (trailing NULs, NAS
 *   padding, dropped), otherwise kept as written, so a session id "0x15" stays itself.
 *
 * Time: the record's local date and time, checked against the calendar, converted with
 * ipl_tz_resolve(ctx->tz, ..., &ctx->last_ts, ...) as the very last step, so a refused record or
 * one without an event never moves last_ts. Event-Timestamp (the NAS's clock) is not used.
 *
 * Refused (IPL_EPARSE; the reason names the field, column, attribute or element and quotes the
 * value): lines over 16384 bytes, NUL bytes, fewer than 6 IAS header fields, an ODBC row of other
 * than 60-66 columns, an attribute id that is not a number or has no value, an unterminated quote
 * or text after a closing one, a quote inside an unquoted ODBC value, malformed XML, more than one
 * <Event> or text outside its children, bad dates and times, an unknown Packet-Type or
 * Acct-Status-Type, a Framed-IP-Address that is not IPv4 (Framed-IPv6-Address not IPv6), a NAS
 * address that is not an address, non-decimal counters, octet counts over 32 bits, strings that
 * are not printable UTF-8 or exceed the event limits (IPL_STR_MAX for user and server,
 * IPL_ATTR_VAL_MAX for attributes). A refused record is never partly emitted. Blank lines carry
 * no event. Tolerated: trailing CRs, a UTF-8 byte-order mark.
 *
 * Pure: no I/O, no globals written, no clock, no state (one line is one record); no malloc:
 * attributes point into the line or ctx->arena; user, mac and server are NUL-terminated arena
 * copies. Speed: byte loops over the short IAS fields, no printf on the hot path.
 */
#include "parsers/parser.h"
#include "parsers/radius_dict.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/xml.h"

#include <stdio.h>
#include <string.h>

#define NPS_LINE_MAX  16384   /* bytes per record (one line) */
#define NPS_QUOTE_MAX 48      /* bytes of a value shown in an error message */
#define NPS_ODBC_MIN  60      /* IAS 2003 layout */
#define NPS_ODBC_MAX  66      /* NPS 2008+ layout */

enum nps_fmt { NPS_IAS, NPS_ODBC, NPS_XML };

/* The slots a record fills; what is not here is not read. */
enum nps_slot {
    S_COMPUTER, S_SERVICE, S_DATE, S_TIME, S_TIMESTAMP, S_PACKET, S_USER, S_FQUN, S_SAM,
    S_CALLED, S_CALLING, S_FRAMED_IP, S_FRAMED_IP6, S_FRAMED_PREFIX6, S_NAS_ID, S_NAS_IP,
    S_NAS_IP6, S_NAS_PORT, S_NAS_PORT_TYPE, S_AUTH_TYPE, S_POLICY, S_REASON, S_CLASS, S_STATUS,
    S_IN_OCT, S_OUT_OCT, S_IN_GIGA, S_OUT_GIGA, S_SESSION, S_SESSION_TIME, S_TERM,
    S__COUNT
};

static const char *const slot_names[S__COUNT] = {
    [S_COMPUTER] = "Computer-Name",         [S_SERVICE] = "Service-Name",
    [S_DATE] = "Record-Date",               [S_TIME] = "Record-Time",
    [S_TIMESTAMP] = "Timestamp",            [S_PACKET] = "Packet-Type",
    [S_USER] = "User-Name",                 [S_FQUN] = "Fully-Qualified-User-Name",
    [S_SAM] = "SAM-Account-Name",           [S_CALLED] = "Called-Station-Id",
    [S_CALLING] = "Calling-Station-Id",     [S_FRAMED_IP] = "Framed-IP-Address",
    [S_FRAMED_IP6] = "Framed-IPv6-Address", [S_FRAMED_PREFIX6] = "Framed-IPv6-Prefix",
    [S_NAS_ID] = "NAS-Identifier",          [S_NAS_IP] = "NAS-IP-Address",
    [S_NAS_IP6] = "NAS-IPv6-Address",       [S_NAS_PORT] = "NAS-Port",
    [S_NAS_PORT_TYPE] = "NAS-Port-Type",    [S_AUTH_TYPE] = "Authentication-Type",
    [S_POLICY] = "NP-Policy-Name",          [S_REASON] = "Reason-Code",
    [S_CLASS] = "Class",                    [S_STATUS] = "Acct-Status-Type",
    [S_IN_OCT] = "Acct-Input-Octets",       [S_OUT_OCT] = "Acct-Output-Octets",
    [S_IN_GIGA] = "Acct-Input-Gigawords",   [S_OUT_GIGA] = "Acct-Output-Gigawords",
    [S_SESSION] = "Acct-Session-Id",        [S_SESSION_TIME] = "Acct-Session-Time",
    [S_TERM] = "Acct-Terminate-Cause",
};

/* ODBC column names (FORMATS.md 6.3), for error messages. */
static const char *const odbc_names[NPS_ODBC_MAX] = {
    "ComputerName", "ServiceName", "Record-Date", "Record-Time", "Packet-Type", "User-Name",
    "Fully-Qualified-Distinguished-Name", "Called-Station-ID", "Calling-Station-ID",
    "Callback-Number", "Framed-IP-Address", "NAS-Identifier", "NAS-IP-Address", "NAS-Port",
    "Client-Vendor", "Client-IP-Address", "Client-Friendly-Name", "Event-Timestamp", "Port-Limit",
    "NAS-Port-Type", "Connect-Info", "Framed-Protocol", "Service-Type", "Authentication-Type",
    "Policy-Name", "Reason-Code", "Class", "Session-Timeout", "Idle-Timeout", "Termination-Action",
    "EAP-Friendly-Name", "Acct-Status-Type", "Acct-Delay-Time", "Acct-Input-Octets",
    "Acct-Output-Octets", "Acct-Session-Id", "Acct-Authentic", "Acct-Session-Time",
    "Acct-Input-Packets", "Acct-Output-Packets", "Acct-Terminate-Cause", "Acct-Multi-Ssn-ID",
    "Acct-Link-Count", "Acct-Interim-Interval", "Tunnel-Type", "Tunnel-Medium-Type",
    "Tunnel-Client-Endpt", "Tunnel-Server-Endpt", "Acct-Tunnel-Conn", "Tunnel-Pvt-Group-ID",
    "Tunnel-Assignment-ID", "Tunnel-Preference", "MS-Acct-Auth-Type", "MS-Acct-EAP-Type",
    "MS-RAS-Version", "MS-RAS-Vendor", "MS-CHAP-Error", "MS-CHAP-Domain",
    "MS-MPPE-Encryption-Types", "MS-MPPE-Encryption-Policy", "Proxy-Policy-Name",
    "Provider-Type", "Provider-Name", "Remote-Server-Address", "MS-RAS-Client-Name",
    "MS-RAS-Client-Version",
};

/* ODBC column (1-based) -> slot + 1; 0 = not read. */
static const uint8_t odbc_slots[NPS_ODBC_MAX + 1] = {
    [1] = S_COMPUTER + 1,  [2] = S_SERVICE + 1,   [3] = S_DATE + 1,       [4] = S_TIME + 1,
    [5] = S_PACKET + 1,    [6] = S_USER + 1,      [7] = S_FQUN + 1,       [8] = S_CALLED + 1,
    [9] = S_CALLING + 1,   [11] = S_FRAMED_IP + 1, [12] = S_NAS_ID + 1,   [13] = S_NAS_IP + 1,
    [14] = S_NAS_PORT + 1, [20] = S_NAS_PORT_TYPE + 1, [24] = S_AUTH_TYPE + 1,
    [25] = S_POLICY + 1,   [26] = S_REASON + 1,   [27] = S_CLASS + 1,     [32] = S_STATUS + 1,
    [34] = S_IN_OCT + 1,   [35] = S_OUT_OCT + 1,  [36] = S_SESSION + 1,   [38] = S_SESSION_TIME + 1,
    [41] = S_TERM + 1,
};

/* IAS attribute id -> slot, or -1 (RFC 2865/2866/2869/3162/6911 ids; NPS ids from sdoias.h). */
static int ias_slot(unsigned id)
{
    switch (id) {
    case 1: return S_USER;
    case 4: return S_NAS_IP;
    case 5: return S_NAS_PORT;
    case 8: return S_FRAMED_IP;
    case 25: return S_CLASS;
    case 30: return S_CALLED;
    case 31: return S_CALLING;
    case 32: return S_NAS_ID;
    case 40: return S_STATUS;
    case 42: return S_IN_OCT;
    case 43: return S_OUT_OCT;
    case 44: return S_SESSION;
    case 46: return S_SESSION_TIME;
    case 49: return S_TERM;
    case 52: return S_IN_GIGA;
    case 53: return S_OUT_GIGA;
    case 61: return S_NAS_PORT_TYPE;
    case 95: return S_NAS_IP6;
    case 97: return S_FRAMED_PREFIX6;
    case 168: return S_FRAMED_IP6;
    case 4127: return S_AUTH_TYPE;
    case 4129: return S_SAM;
    case 4130: return S_FQUN;
    case 4136: return S_PACKET;
    case 4142: return S_REASON;
    case 4149: return S_POLICY;
    default: return -1;
    }
}

/* NPS Authentication-Type (sdoias.h IASAUTHENTICATIONTYPE). */
static const char *const auth_types[] = {
    NULL, "PAP", "CHAP", "MS-CHAP", "MS-CHAPv2", "EAP", "ARAP", "None", "Custom", "MS-CHAP-CPW",
    "MS-CHAPv2-CPW", "PEAP",
};

typedef struct nps_val {
    const char *p;
    uint32_t    n;
    uint16_t    num;        /* IAS: attribute id or header field; ODBC: column (1-based) */
    uint8_t     hdr;        /* IAS: a header field, not a pair */
    uint8_t     xname;      /* XML: the element used NPS's "Fully-Qualifed" spelling */
} nps_val;

typedef struct nps_rec {
    int      fmt;
    uint64_t set;           /* bit per slot */
    nps_val  v[S__COUNT];
} nps_rec;

#define HAS(r, s) (((r)->set >> (s)) & 1u)

/* ---- small text helpers ------------------------------------------------------------------ */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Renders bytes for an error message: printable ASCII as is, others as \xNN, cut with "..." after
 * NPS_QUOTE_MAX bytes. buf must hold QBUF. */
#define QBUF (4 * NPS_QUOTE_MAX + 4)
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, NPS_QUOTE_MAX);
}

/* Unsigned decimal, 1-20 digits, no overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return 0;
        unsigned dg = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - dg) / 10)
            return 0;
        v = v * 10 + dg;
    }
    *out = v;
    return 1;
}

/* ---- locations and errors ---------------------------------------------------------------- */

static const char *ias_header_names[6] = {
    "NAS-IP-Address", "User-Name", "Record-Date", "Record-Time", "Service-Name", "Computer-Name",
};

/* "attribute 8 (Framed-IP-Address)", "field 3 (Record-Date)", "column 11 (Framed-IP-Address)",
 * "element <Framed-IP-Address>". */
static const char *where(char *buf, size_t n, const nps_rec *r, int s)
{
    const nps_val *v = &r->v[s];
    switch (r->fmt) {
    case NPS_IAS:
        if (v->hdr)
            snprintf(buf, n, "field %u (%s)", v->num, ias_header_names[v->num - 1]);
        else
            snprintf(buf, n, "attribute %u (%s)", v->num, slot_names[s]);
        break;
    case NPS_ODBC:
        snprintf(buf, n, "column %u (%s)", v->num, odbc_names[v->num - 1]);
        break;
    default:
        snprintf(buf, n, "element <%s>",
                 v->xname ? "Fully-Qualifed-User-Name" : s == S_SERVICE ? "Event-Source"
                                                                        : slot_names[s]);
        break;
    }
    return buf;
}

/* "<where> 'value' <what>" */
static int bad_val(ipl_diag *d, const nps_rec *r, int s, const char *what)
{
    char w[96], q[QBUF];
    return ipl_diag_set(d, IPL_EPARSE, "%s '%s' %s", where(w, sizeof w, r, s),
                        quote(q, r->v[s].p, r->v[s].n), what);
}

static int too_long(ipl_diag *d, const nps_rec *r, int s, size_t n, size_t max)
{
    char w[96];
    return ipl_diag_set(d, IPL_EPARSE, "%s is %zu bytes long, longer than the %zu-byte limit",
                        where(w, sizeof w, r, s), n, max);
}

static void set_slot(nps_rec *r, int s, const char *p, size_t n, unsigned num, int hdr)
{
    r->v[s].p = p;
    r->v[s].n = (uint32_t)n;
    r->v[s].num = (uint16_t)num;
    r->v[s].hdr = (uint8_t)hdr;
    r->v[s].xname = 0;
    r->set |= (uint64_t)1 << s;
}

/* ---- values ------------------------------------------------------------------------------ */

/* A string slot as text: it must be printable UTF-8 (no control bytes); a 0x<hex> value whose
 * bytes are printable UTF-8 is decoded into the arena (trailing NULs dropped); anything else is
 * the value as written. Capped at IPL_ATTR_VAL_MAX. */
static int str_val(ipl_parse_ctx *ctx, const nps_rec *r, int s, const char **out, size_t *outn,
                   ipl_diag *d)
{
    const char *p = r->v[s].p;
    size_t n = r->v[s].n;
    if (n > IPL_ATTR_VAL_MAX)
        return too_long(d, r, s, n, IPL_ATTR_VAL_MAX);
    *out = p;
    *outn = n;
    size_t a = 0;                               /* printable ASCII, the common case */
    while (a < n && (unsigned char)p[a] >= 0x20 && (unsigned char)p[a] < 0x7f)
        a++;
    if (a < n && !ipl_text_printable_utf8((const unsigned char *)p + a, n - a))
        return bad_val(d, r, s, "is not printable UTF-8");
    if (r->fmt == NPS_XML || n < 4 || (n & 1) || p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
        return IPL_OK;
    size_t m = (n - 2) / 2;
    for (size_t i = 2; i < n; i++)
        if (ipl_text_hex((unsigned char)p[i]) < 0)
            return IPL_OK;
    unsigned char *buf = ipl_arena_alloc(ctx->arena, m + 1);
    if (!buf)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory decoding %s", slot_names[s]);
    for (size_t i = 0; i < m; i++)
        buf[i] = (unsigned char)(ipl_text_hex((unsigned char)p[2 + 2 * i]) << 4 |
                                 ipl_text_hex((unsigned char)p[3 + 2 * i]));
    while (m && buf[m - 1] == 0)
        m--;
    if (m == 0 || !ipl_text_printable_utf8(buf, m))
        return IPL_OK;
    buf[m] = '\0';
    *out = (const char *)buf;
    *outn = m;
    return IPL_OK;
}

/* A NUL-terminated copy for the event's string fields (user, server). */
static int cstr_val(ipl_parse_ctx *ctx, const nps_rec *r, int s, const char **out, ipl_diag *d)
{
    const char *p;
    size_t n;
    int rc = str_val(ctx, r, s, &p, &n, d);
    if (rc != IPL_OK)
        return rc;
    if (n >= IPL_STR_MAX)
        return too_long(d, r, s, n, IPL_STR_MAX - 1);
    char *c = ipl_arena_strndup(ctx->arena, p, n);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", slot_names[s]);
    *out = c;
    return IPL_OK;
}

static int add_attr(ipl_event *ev, unsigned key, const char *p, size_t n, ipl_diag *d)
{
    int rc = ipl_event_add_attr(ev, key, p, n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "cannot add attribute '%s' (%zu bytes) to the event",
                            ipl_attr_name(key), n);
    return IPL_OK;
}

/* Adds a string slot as an attribute (decoded as str_val does), when set and non-empty. */
static int str_attr(ipl_parse_ctx *ctx, ipl_event *ev, const nps_rec *r, int s, unsigned key,
                    ipl_diag *d)
{
    if (!HAS(r, s) || r->v[s].n == 0)
        return IPL_OK;
    const char *p;
    size_t n;
    int rc = str_val(ctx, r, s, &p, &n, d);
    if (rc != IPL_OK)
        return rc;
    return add_attr(ev, key, p, n, d);
}

/* A decimal slot as an attribute; an error when it is not a number. */
static int num_attr(ipl_event *ev, const nps_rec *r, int s, unsigned key, ipl_diag *d)
{
    uint64_t v;
    if (!HAS(r, s) || r->v[s].n == 0)
        return IPL_OK;
    if (!parse_u64(r->v[s].p, r->v[s].n, &v))
        return bad_val(d, r, s, "is not a decimal number");
    return add_attr(ev, key, r->v[s].p, r->v[s].n, d);
}

/* Reason-Code: kept on authentication records; on accounting records only when not 0. */
static int reason_attr(ipl_event *ev, const nps_rec *r, int kind, ipl_diag *d)
{
    const nps_val *v = &r->v[S_REASON];
    if (HAS(r, S_REASON) && v->n == 1 && v->p[0] == '0' && kind != IPL_K_RADIUS_REQUEST &&
        kind != IPL_K_LOGON && kind != IPL_K_LOGON_FAIL)
        return IPL_OK;
    return num_attr(ev, r, S_REASON, IPL_A_REASON, d);
}

/* A numeric code mapped to its name through `names` (NULL holes); other numbers and non-numeric
 * values (FreeRADIUS-style names) are kept as written. */
static int named_attr(ipl_parse_ctx *ctx, ipl_event *ev, const nps_rec *r, int s, unsigned key,
                      const char *const *names, size_t nnames, ipl_diag *d)
{
    uint64_t v;
    if (!HAS(r, s) || r->v[s].n == 0)
        return IPL_OK;
    if (parse_u64(r->v[s].p, r->v[s].n, &v) && v < nnames && names[v])
        return add_attr(ev, key, names[v], strlen(names[v]), d);
    return str_attr(ctx, ev, r, s, key, d);
}

static char *u64_text(ipl_arena *a, uint64_t v, size_t *n)
{
    char tmp[24];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    *n = sizeof tmp - k;
    char *out = ipl_arena_strndup(a, tmp + k, *n);
    return out;
}

/* Octets, with the matching Gigawords folded in (gigawords * 2^32 + octets). */
static int octets_attr(ipl_parse_ctx *ctx, ipl_event *ev, const nps_rec *r, int s, int sg,
                       unsigned key, ipl_diag *d)
{
    uint64_t v = 0, g = 0;
    int has = HAS(r, s) && r->v[s].n, hasg = HAS(r, sg) && r->v[sg].n;
    if (!has && !hasg)
        return IPL_OK;
    if (has && (!parse_u64(r->v[s].p, r->v[s].n, &v) || v > UINT32_MAX))
        return bad_val(d, r, s, "is not a 32-bit decimal number");
    if (hasg && (!parse_u64(r->v[sg].p, r->v[sg].n, &g) || g > UINT32_MAX))
        return bad_val(d, r, sg, "is not a 32-bit decimal number");
    if (!hasg)
        return add_attr(ev, key, r->v[s].p, r->v[s].n, d);
    size_t n;
    char *t = u64_text(ctx->arena, (g << 32) + v, &n);
    if (!t)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory formatting %s", slot_names[s]);
    return add_attr(ev, key, t, n, d);
}

/* An address slot as canonical text in the arena (IPv4 formatted here: inet_ntop goes through
 * printf, a tenth of the time per record). */
static int ip_text(ipl_parse_ctx *ctx, const uint8_t ip[16], const char **out, size_t *n,
                   ipl_diag *d)
{
    char buf[IPL_IP_TEXT];
    if (ipl_ip_is_v4(ip)) {
        size_t o = 0;
        for (int i = 12; i < 16; i++) {
            unsigned v = ip[i];
            if (v >= 100)
                buf[o++] = (char)('0' + v / 100);
            if (v >= 10)
                buf[o++] = (char)('0' + v / 10 % 10);
            buf[o++] = (char)('0' + v % 10);
            buf[o++] = '.';
        }
        *n = o - 1;
    } else {
        *n = ipl_ip_format(ip, buf, sizeof buf);
    }
    char *c = ipl_arena_strndup(ctx->arena, buf, *n);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory formatting an address");
    *out = c;
    return IPL_OK;
}

enum { IP_V4, IP_V6, IP_ANY };

static int parse_ip_slot(const nps_rec *r, int s, int fam, uint8_t ip[16], ipl_diag *d)
{
    const nps_val *v = &r->v[s];
    int colon = memchr(v->p, ':', v->n) != NULL;
    int ok = ipl_ip_parse(v->p, v->n, ip) == IPL_OK;
    if (ok && fam == IP_V4)
        ok = !colon && ipl_ip_is_v4(ip);
    else if (ok && fam == IP_V6)
        ok = colon && !ipl_ip_is_v4(ip);
    if (!ok)
        return bad_val(d, r, s, fam == IP_V4 ? "is not an IPv4 address"
                                : fam == IP_V6 ? "is not an IPv6 address" : "is not an IP address");
    return IPL_OK;
}

/* ---- dates ------------------------------------------------------------------------------- */

static int digits_at(const char *s, size_t k, int *v)
{
    int x = 0;
    for (size_t i = 0; i < k; i++) {
        if (!is_digit((unsigned char)s[i]))
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* MM/DD/YYYY */
static int parse_date(const char *s, size_t n, ipl_civil *c)
{
    if (n != 10 || s[2] != '/' || s[5] != '/' || !digits_at(s, 2, &c->mon) ||
        !digits_at(s + 3, 2, &c->day) || !digits_at(s + 6, 4, &c->year))
        return 0;
    return c->year >= 1970 && c->mon >= 1 && c->mon <= 12 && c->day >= 1 && c->day <= 31;
}

/* HH:MM:SS with an optional fraction of 1-6 digits (.mmm in DTS XML). */
static int parse_clock(const char *s, size_t n, int frac_ok, ipl_civil *c)
{
    if (n < 8 || s[2] != ':' || s[5] != ':' || !digits_at(s, 2, &c->hour) ||
        !digits_at(s + 3, 2, &c->min) || !digits_at(s + 6, 2, &c->sec))
        return 0;
    c->usec = 0;
    if (n > 8) {
        if (!frac_ok || s[8] != '.' || n < 10 || n > 15)
            return 0;
        int us = 0;
        for (size_t i = 9; i < 15; i++) {
            int dg = 0;
            if (i < n) {
                if (!is_digit((unsigned char)s[i]))
                    return 0;
                dg = s[i] - '0';
            }
            us = us * 10 + dg;
        }
        c->usec = us;
    }
    return c->hour <= 23 && c->min <= 59 && c->sec <= 59;
}

static int record_time(const nps_rec *r, ipl_civil *c, ipl_diag *d)
{
    memset(c, 0, sizeof *c);
    if (HAS(r, S_TIMESTAMP)) {
        const nps_val *v = &r->v[S_TIMESTAMP];
        if (v->n < 19 || v->p[10] != ' ' || !parse_date(v->p, 10, c) ||
            !parse_clock(v->p + 11, v->n - 11, 1, c) || !ipl_civil_valid(c))
            return bad_val(d, r, S_TIMESTAMP, "is not a valid MM/DD/YYYY HH:MM:SS.mmm time");
        return IPL_OK;
    }
    if (!HAS(r, S_DATE) || !HAS(r, S_TIME))
        return ipl_diag_set(d, IPL_EPARSE, "record has no %s", r->fmt == NPS_XML ? "<Timestamp>"
                                                                               : "date and time");
    const nps_val *dv = &r->v[S_DATE], *tv = &r->v[S_TIME];
    if (!parse_date(dv->p, dv->n, c) || !ipl_civil_valid(c))
        return bad_val(d, r, S_DATE, "is not a valid MM/DD/YYYY date");
    if (!parse_clock(tv->p, tv->n, 0, c))
        return bad_val(d, r, S_TIME, "is not a valid HH:MM:SS time");
    return IPL_OK;
}

/* ---- the record -> event ----------------------------------------------------------------- */

/* The kind of a record, or IPL_K_NONE for a record that carries no event. */
static int record_kind(const nps_rec *r, int *kind, ipl_diag *d)
{
    uint64_t packet = 0, status = 0;
    int has_status = HAS(r, S_STATUS) && r->v[S_STATUS].n;
    if (has_status && !parse_u64(r->v[S_STATUS].p, r->v[S_STATUS].n, &status))
        return bad_val(d, r, S_STATUS, "is not a decimal Acct-Status-Type");
    if (HAS(r, S_PACKET) && r->v[S_PACKET].n) {
        if (!parse_u64(r->v[S_PACKET].p, r->v[S_PACKET].n, &packet))
            return bad_val(d, r, S_PACKET, "is not a decimal RADIUS packet type");
    } else {
        packet = has_status ? 4 : 1;
    }
    *kind = IPL_K_NONE;
    switch (packet) {
    case 1:
        *kind = IPL_K_RADIUS_REQUEST;
        return IPL_OK;
    case 2:
        *kind = IPL_K_LOGON;
        return IPL_OK;
    case 3:
        *kind = IPL_K_LOGON_FAIL;
        return IPL_OK;
    case 4:
        break;
    case 5: case 11: case 12: case 13: case 40: case 41: case 42: case 43: case 44: case 45:
        return IPL_OK;
    default:
        return bad_val(d, r, S_PACKET, "is not a RADIUS packet type NPS logs (1-5, 11-13, 40-45)");
    }
    if (!has_status)
        return ipl_diag_set(d, IPL_EPARSE, "Accounting-Request record has no Acct-Status-Type");
    switch (status) {
    case 1: *kind = IPL_K_RADIUS_START; break;
    case 2: *kind = IPL_K_RADIUS_STOP; break;
    case 3: *kind = IPL_K_RADIUS_UPDATE; break;
    case 7: *kind = IPL_K_RADIUS_ACCT_ON; break;
    case 8: *kind = IPL_K_RADIUS_ACCT_OFF; break;
    case 9: case 10: case 11: case 12: case 13: case 14: case 15: break;
    default:
        return bad_val(d, r, S_STATUS, "is not an Acct-Status-Type (1-3, 7-15)");
    }
    return IPL_OK;
}

/* 0.0.0.0 and the RFC 2865 placeholders 255.255.255.255 / 255.255.255.254 are not addresses. */
static int is_placeholder_v4(const uint8_t ip[16])
{
    const uint8_t *a = ip + 12;
    if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0)
        return 1;
    return a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] >= 254;
}

static int nps_build(ipl_parse_ctx *ctx, const nps_rec *r, ipl_emit_fn emit, void *emit_ctx,
                     ipl_diag *d)
{
    ipl_civil civil;
    int rc = record_time(r, &civil, d);
    if (rc != IPL_OK)
        return rc;
    int kind = IPL_K_NONE;
    if ((rc = record_kind(r, &kind, d)) != IPL_OK)
        return rc;
    if (kind == IPL_K_NONE)
        return IPL_OK;

    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = (uint16_t)kind;

    /* addresses */
    uint8_t ip6[16];
    int has_ip6 = 0;
    if (HAS(r, S_FRAMED_IP) && r->v[S_FRAMED_IP].n) {
        if ((rc = parse_ip_slot(r, S_FRAMED_IP, IP_V4, ev.ip, d)) != IPL_OK)
            return rc;
        ev.has_ip = !is_placeholder_v4(ev.ip);
    }
    if (HAS(r, S_FRAMED_IP6) && r->v[S_FRAMED_IP6].n) {
        if ((rc = parse_ip_slot(r, S_FRAMED_IP6, IP_V6, ip6, d)) != IPL_OK)
            return rc;
        has_ip6 = 1;
    }
    if (has_ip6 && !ev.has_ip) {
        memcpy(ev.ip, ip6, 16);
        ev.has_ip = 1;
        has_ip6 = 0;
    }

    /* identity */
    if (HAS(r, S_CALLING) && r->v[S_CALLING].n) {
        const char *p;
        size_t n;
        char mac[13];
        if ((rc = str_val(ctx, r, S_CALLING, &p, &n, d)) != IPL_OK)
            return rc;
        if (ipl_mac_canon(p, n, mac) == IPL_OK) {
            if (!(ev.mac = ipl_arena_strndup(ctx->arena, mac, 12)))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the MAC address");
        } else if ((rc = add_attr(&ev, IPL_A_CALLING, p, n, d)) != IPL_OK) {
            return rc;
        }
    }
    static const int user_slots[] = {S_USER, S_SAM, S_FQUN};
    for (size_t i = 0; i < sizeof user_slots / sizeof user_slots[0] && !ev.user; i++) {
        int s = user_slots[i];
        if (HAS(r, s) && r->v[s].n && (rc = cstr_val(ctx, r, s, &ev.user, d)) != IPL_OK)
            return rc;
    }
    if (ctx->server)
        ev.server = ctx->server;
    else if (HAS(r, S_COMPUTER) && r->v[S_COMPUTER].n &&
             (rc = cstr_val(ctx, r, S_COMPUTER, &ev.server, d)) != IPL_OK)
        return rc;

    /* the NAS: its address, else its identifier */
    int nas_is_ip = 0;
    if (HAS(r, S_NAS_IP) && r->v[S_NAS_IP].n) {
        uint8_t nip[16];
        const char *t = NULL;
        size_t tn = 0;
        if ((rc = parse_ip_slot(r, S_NAS_IP, IP_ANY, nip, d)) != IPL_OK ||
            (rc = ip_text(ctx, nip, &t, &tn, d)) != IPL_OK ||
            (rc = add_attr(&ev, IPL_A_NAS, t, tn, d)) != IPL_OK)
            return rc;
        nas_is_ip = 1;
    } else if (HAS(r, S_NAS_IP6) && r->v[S_NAS_IP6].n) {
        uint8_t nip[16];
        const char *t = NULL;
        size_t tn = 0;
        if ((rc = parse_ip_slot(r, S_NAS_IP6, IP_V6, nip, d)) != IPL_OK ||
            (rc = ip_text(ctx, nip, &t, &tn, d)) != IPL_OK ||
            (rc = add_attr(&ev, IPL_A_NAS, t, tn, d)) != IPL_OK)
            return rc;
        nas_is_ip = 1;
    }
    if ((rc = str_attr(ctx, &ev, r, S_NAS_ID, nas_is_ip ? IPL_A_NAS_ID : IPL_A_NAS, d)) != IPL_OK)
        return rc;

    /* the rest: at most 16 distinct keys in all, each added once */
    if ((rc = str_attr(ctx, &ev, r, S_SESSION, IPL_A_SESSION, d)) != IPL_OK ||
        (rc = num_attr(&ev, r, S_NAS_PORT, IPL_A_PORT, d)) != IPL_OK ||
        (rc = named_attr(ctx, &ev, r, S_NAS_PORT_TYPE, IPL_A_NAS_PORT_TYPE, ipl_radius_port_types,
                         IPL_RADIUS_PORT_TYPES, d)) != IPL_OK ||
        (rc = num_attr(&ev, r, S_SESSION_TIME, IPL_A_SESSION_TIME, d)) != IPL_OK ||
        (rc = octets_attr(ctx, &ev, r, S_IN_OCT, S_IN_GIGA, IPL_A_IN_OCTETS, d)) != IPL_OK ||
        (rc = octets_attr(ctx, &ev, r, S_OUT_OCT, S_OUT_GIGA, IPL_A_OUT_OCTETS, d)) != IPL_OK ||
        (rc = named_attr(ctx, &ev, r, S_TERM, IPL_A_TERM_CAUSE,
                         ipl_radius_term_causes, IPL_RADIUS_TERM_CAUSES, d)) != IPL_OK ||
        (rc = reason_attr(&ev, r, kind, d)) != IPL_OK ||
        (rc = named_attr(ctx, &ev, r, S_AUTH_TYPE, IPL_A_METHOD, auth_types,
                         sizeof auth_types / sizeof auth_types[0], d)) != IPL_OK ||
        (rc = str_attr(ctx, &ev, r, S_POLICY, IPL_A_POLICY, d)) != IPL_OK ||
        (rc = str_attr(ctx, &ev, r, S_CLASS, IPL_A_CORRELATION, d)) != IPL_OK ||
        (rc = str_attr(ctx, &ev, r, S_CALLED, IPL_A_CALLED, d)) != IPL_OK)
        return rc;
    if (HAS(r, S_FRAMED_PREFIX6) && r->v[S_FRAMED_PREFIX6].n) {
        ipl_prefix pfx;
        const nps_val *v = &r->v[S_FRAMED_PREFIX6];
        if (ipl_prefix_parse(v->p, v->n, 1, &pfx) != IPL_OK || pfx.v4)
            return bad_val(d, r, S_FRAMED_PREFIX6, "is not an IPv6 prefix");
        if ((rc = add_attr(&ev, IPL_A_FRAMED_PREFIX, v->p, v->n, d)) != IPL_OK)
            return rc;
    }

    /* last: the time (ipl_tz_resolve moves ctx->last_ts, so only for records that are emitted) */
    if (ipl_tz_resolve(ctx->tz, &civil, &ctx->last_ts, &ev.ts) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "local time %04d-%02d-%02d %02d:%02d:%02d cannot be "
                            "converted to UTC", civil.year, civil.mon, civil.day, civil.hour,
                            civil.min, civil.sec);
    if ((rc = emit(emit_ctx, &ev)) != IPL_OK || !has_ip6)
        return rc;
    memcpy(ev.ip, ip6, 16);                 /* dual stack: the same record for the v6 address */
    return emit(emit_ctx, &ev);
}

/* Common line checks: length, CR, BOM, NUL. Returns 0 to go on, 1 for a blank line, or sets rc. */
static int line_prologue(const char **sp, size_t *np, int *rc, ipl_diag *d)
{
    const char *s = *sp;
    size_t n = *np;
    if (n > NPS_LINE_MAX) {
        *rc = ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                           NPS_LINE_MAX);
        return -1;
    }
    while (n && s[n - 1] == '\r')
        n--;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    size_t b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\t'))
        b++;
    if (b == n)
        return 1;
    const char *z = memchr(s, '\0', n);
    if (z) {
        char q[QBUF];
        *rc = ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the record '%s'",
                           (size_t)(z - s), quote(q, s, n));
        return -1;
    }
    *sp = s;
    *np = n;
    return 0;
}

/* ---- nps-ias ----------------------------------------------------------------------------- */

static int ias_record(ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                      void *emit_ctx, ipl_diag *d)
{
    nps_rec r;
    r.fmt = NPS_IAS;
    r.set = 0;
    const char *end = s + n, *p = s;
    char q[QBUF];
    /* header: six fields */
    static const int hdr_slots[6] = {S_NAS_IP, S_USER, S_DATE, S_TIME, S_SERVICE, S_COMPUTER};
    for (unsigned f = 0; f < 6; f++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (!c && f < 5)
            return ipl_diag_set(d, IPL_EPARSE, "record has %u header fields, expected 6 "
                                "(NAS-IP-Address,User-Name,Record-Date,Record-Time,Service-Name,"
                                "Computer-Name): '%s'", f + 1, quote(q, s, n));
        set_slot(&r, hdr_slots[f], p, (size_t)((c ? c : end) - p), f + 1, 1);
        p = c ? c + 1 : NULL;                   /* NULL: no attribute pairs follow */
    }
    const nps_val *svc = &r.v[S_SERVICE];
    int svc_ok = svc->n >= 1 && svc->n <= 16;
    for (size_t i = 0; svc_ok && i < svc->n; i++)
        svc_ok = ((unsigned char)svc->p[i] | 0x20) >= 'a' && ((unsigned char)svc->p[i] | 0x20) <= 'z';
    if (!svc_ok)
        return bad_val(d, &r, S_SERVICE, "is not a service name (IAS, NPS, RAS)");

    /* pairs (byte loops: the fields are short, a memchr call per field costs more) */
    unsigned field = 7;
    while (p) {
        const char *f0 = p;
        unsigned id = 0;
        while (p < end && is_digit((unsigned char)*p) && p - f0 < 6)
            id = id * 10 + (unsigned)(*p++ - '0');
        if (p == f0 || p - f0 > 5 || id == 0 || (p < end && *p != ',')) {
            while (p < end && *p != ',')
                p++;
            return ipl_diag_set(d, IPL_EPARSE, "field %u '%s' is not an attribute number", field,
                                quote(q, f0, (size_t)(p - f0)));
        }
        if (p == end)
            return ipl_diag_set(d, IPL_EPARSE, "attribute %u at field %u has no value", id, field);
        const char *v = ++p;
        while (p < end && *p != ',')
            p++;
        int s2 = ias_slot(id);
        if (s2 >= 0 && (!HAS(&r, s2) || r.v[s2].hdr))
            set_slot(&r, s2, v, (size_t)(p - v), id, 0);
        p = p < end ? p + 1 : NULL;
        field += 2;
    }
    return nps_build(ctx, &r, emit, emit_ctx, d);
}

/* ---- nps-odbc ---------------------------------------------------------------------------- */

/* The value of a quoted field with "" undoubled, in the arena. */
static const char *undouble(ipl_arena *a, const char *p, size_t n, size_t *outn)
{
    char *o = ipl_arena_alloc(a, n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        o[k++] = p[i];
        if (p[i] == '"')
            i++;                    /* the second quote of a pair */
    }
    o[k] = '\0';
    *outn = k;
    return o;
}

static int odbc_record(ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                       void *emit_ctx, ipl_diag *d)
{
    nps_rec r;
    r.fmt = NPS_ODBC;
    r.set = 0;
    const char *end = s + n, *p = s;
    unsigned col = 0;
    for (;;) {
        col++;
        const char *vp, *ve, *next;
        int doubled = 0;
        if (p < end && *p == '"') {
            /* quoted: up to the quote that is not doubled, then ',' or the end */
            const char *q = p + 1;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (!q)
                    return ipl_diag_set(d, IPL_EPARSE, "column %u (%s) has an unterminated quote",
                                        col, col <= NPS_ODBC_MAX ? odbc_names[col - 1] : "?");
                if (q + 1 < end && q[1] == '"') {
                    doubled = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            vp = p + 1;
            ve = q;
            if (q + 1 < end && q[1] != ',') {
                char qb[QBUF];
                return ipl_diag_set(d, IPL_EPARSE, "column %u (%s) has text after its closing "
                                    "quote: '%s'", col,
                                    col <= NPS_ODBC_MAX ? odbc_names[col - 1] : "?",
                                    quote(qb, p, (size_t)(end - p)));
            }
            next = q + 1 < end ? q + 2 : NULL;
        } else {
            const char *c = memchr(p, ',', (size_t)(end - p));
            ve = c ? c : end;
            vp = p;
            if (memchr(vp, '"', (size_t)(ve - vp))) {
                char qb[QBUF];
                return ipl_diag_set(d, IPL_EPARSE, "column %u (%s) '%s' has a quote inside an "
                                    "unquoted value", col,
                                    col <= NPS_ODBC_MAX ? odbc_names[col - 1] : "?",
                                    quote(qb, vp, (size_t)(ve - vp)));
            }
            next = c ? c + 1 : NULL;
        }
        if (col <= NPS_ODBC_MAX && odbc_slots[col]) {
            int sl = odbc_slots[col] - 1;
            size_t vn = (size_t)(ve - vp);
            if (doubled) {
                if (!(vp = undouble(ctx->arena, vp, vn, &vn)))
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying column %u", col);
            }
            set_slot(&r, sl, vp, vn, col, 0);
        }
        if (!next)
            break;
        p = next;                               /* may be `end`: one more, empty column */
    }
    if (col < NPS_ODBC_MIN || col > NPS_ODBC_MAX) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "record has %u columns, expected %d (IAS) to %d (NPS): "
                            "'%s'", col, NPS_ODBC_MIN, NPS_ODBC_MAX, quote(q, s, n));
    }
    return nps_build(ctx, &r, emit, emit_ctx, d);
}

/* ---- nps-xml ----------------------------------------------------------------------------- */

/* Element name -> slot for nps-xml ("Event-Source" is the service; NPS spells
 * Fully-Qualifed-User-Name, the correct spelling is read too). Lengths first: no strlen per
 * element. */
#define XN(lit, slot, x) {lit, sizeof lit - 1, slot, x}
static const struct { const char *name; uint8_t len, slot, xname; } xml_names[] = {
    XN("Timestamp", S_TIMESTAMP, 0),            XN("Computer-Name", S_COMPUTER, 0),
    XN("Event-Source", S_SERVICE, 0),           XN("Packet-Type", S_PACKET, 0),
    XN("User-Name", S_USER, 0),                 XN("Fully-Qualifed-User-Name", S_FQUN, 1),
    XN("Fully-Qualified-User-Name", S_FQUN, 0), XN("SAM-Account-Name", S_SAM, 0),
    XN("Called-Station-Id", S_CALLED, 0),       XN("Calling-Station-Id", S_CALLING, 0),
    XN("Framed-IP-Address", S_FRAMED_IP, 0),    XN("Framed-IPv6-Address", S_FRAMED_IP6, 0),
    XN("Framed-IPv6-Prefix", S_FRAMED_PREFIX6, 0), XN("NAS-Identifier", S_NAS_ID, 0),
    XN("NAS-IP-Address", S_NAS_IP, 0),          XN("NAS-IPv6-Address", S_NAS_IP6, 0),
    XN("NAS-Port", S_NAS_PORT, 0),              XN("NAS-Port-Type", S_NAS_PORT_TYPE, 0),
    XN("Authentication-Type", S_AUTH_TYPE, 0),  XN("NP-Policy-Name", S_POLICY, 0),
    XN("Reason-Code", S_REASON, 0),             XN("Class", S_CLASS, 0),
    XN("Acct-Status-Type", S_STATUS, 0),        XN("Acct-Input-Octets", S_IN_OCT, 0),
    XN("Acct-Output-Octets", S_OUT_OCT, 0),     XN("Acct-Input-Gigawords", S_IN_GIGA, 0),
    XN("Acct-Output-Gigawords", S_OUT_GIGA, 0), XN("Acct-Session-Id", S_SESSION, 0),
    XN("Acct-Session-Time", S_SESSION_TIME, 0), XN("Acct-Terminate-Cause", S_TERM, 0),
};
#undef XN

/* The slot an element of an NPS <Event> fills, or -1 (then it is skipped). */
static int xml_slot(ipl_xml_str name, int *xname)
{
    for (size_t i = 0; i < sizeof xml_names / sizeof xml_names[0]; i++)
        if (xml_names[i].len == name.n && memcmp(xml_names[i].name, name.p, name.n) == 0) {
            *xname = xml_names[i].xname;
            return xml_names[i].slot;
        }
    *xname = 0;
    return -1;
}

static int xml_record(ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                      void *emit_ctx, ipl_diag *d)
{
    int rc;
    nps_rec r;
    r.fmt = NPS_XML;
    r.set = 0;
    ipl_xml x;
    ipl_xml_token t;
    ipl_xml_init(&x, s, n, 0, ctx->arena);
    int seen_event = 0, done = 0;
    for (;;) {
        if ((rc = ipl_xml_next(&x, &t, d)) != IPL_OK)
            return rc;
        if (t.type == IPL_XML_EOF)
            break;
        if (t.type == IPL_XML_TEXT) {
            if (t.blank)
                continue;
            char q[QBUF];
            return ipl_diag_set(d, IPL_EPARSE, "text '%s' at byte %zu %s", quote(q, t.text.p, t.text.n),
                                t.offset, t.depth ? "directly inside <Event>" : "outside <Event>");
        }
        if (t.type == IPL_XML_CLOSE) {                 /* </Event> */
            done = 1;
            continue;
        }
        /* OPEN */
        if (t.depth == 1) {
            if (seen_event || !ipl_xml_str_is(t.name, "Event")) {
                char q[QBUF];
                return ipl_diag_set(d, IPL_EPARSE, "element <%s> at byte %zu: a line holds one "
                                    "<Event> element", quote(q, t.name.p, t.name.n), t.offset);
            }
            seen_event = 1;
            continue;
        }
        int xname, sl = xml_slot(t.name, &xname);
        if (sl < 0 || HAS(&r, sl)) {
            if ((rc = ipl_xml_skip(&x, &t, d)) != IPL_OK)
                return rc;
            continue;
        }
        ipl_xml_str text;
        if ((rc = ipl_xml_leaf(&x, &t, &text, d)) != IPL_OK)
            return rc;
        set_slot(&r, sl, text.p, text.n, 0, 0);
        r.v[sl].xname = (uint8_t)xname;
    }
    if (!seen_event || !done)
        return ipl_diag_set(d, IPL_EPARSE, "line holds no <Event> element");
    return nps_build(ctx, &r, emit, emit_ctx, d);
}

/* ---- the line entry point (all three formats) --------------------------------------------- */

/* NPS does not start a new file when its log format is switched, so a file can mix the three
 * formats: every entry reads every format, chosen per line by its first byte ('<' XML, after
 * blanks; '"' ODBC; anything else IAS). The entries differ only in how they are detected. */
static int nps_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                    void *emit_ctx, ipl_diag *d)
{
    int rc = IPL_OK;
    int pro = line_prologue(&s, &n, &rc, d);
    if (pro)
        return pro < 0 ? rc : IPL_OK;
    size_t b = 0;
    while (s[b] == ' ' || s[b] == '\t')        /* stops: the line is not blank */
        b++;
    if (s[b] == '<')
        return xml_record(ctx, s, n, emit, emit_ctx, d);
    if (s[0] == '"')
        return odbc_record(ctx, s, n, emit, emit_ctx, d);
    return ias_record(ctx, s, n, emit, emit_ctx, d);
}

/* ---- probes ------------------------------------------------------------------------------ */

/* Matches `pat` at s: '#' a digit, '@' a run of 1-16 letters, other bytes literally. Returns the
 * bytes matched or 0. */
static size_t match(const char *s, size_t n, const char *pat)
{
    size_t i = 0;
    for (; *pat; pat++) {
        if (*pat == '#') {
            if (i >= n || !is_digit((unsigned char)s[i]))
                return 0;
            i++;
        } else if (*pat == '@') {
            size_t k = 0;
            while (i < n && k < 17 && (((unsigned char)s[i] | 0x20) >= 'a') &&
                   (((unsigned char)s[i] | 0x20) <= 'z')) {
                i++;
                k++;
            }
            if (k == 0 || k > 16)
                return 0;
        } else {
            if (i >= n || s[i] != *pat)
                return 0;
            i++;
        }
    }
    return i;
}

/* IAS: NAS-IP (empty or [0-9A-Fa-f.:]), User-Name, MM/DD/YYYY, HH:MM:SS, letters, name, then an
 * attribute number (or the end). */
static int ias_looks(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && i < 46 && (ipl_text_hex((unsigned char)s[i]) >= 0 || s[i] == '.' || s[i] == ':'))
        i++;
    if (i >= n || s[i] != ',')
        return 0;
    const char *c = memchr(s + i + 1, ',', n - i - 1);
    if (!c)
        return 0;
    i = (size_t)(c - s);
    size_t m = match(s + i, n - i, ",##/##/####,##:##:##,@,");
    if (!m)
        return 0;
    i += m;
    c = memchr(s + i, ',', n - i);
    if (!c)
        return 1;
    i = (size_t)(c - s) + 1;
    return i < n && is_digit((unsigned char)s[i]);
}

/* ODBC: "name","letters",MM/DD/YYYY,HH:MM:SS,digits-or-empty, */
static int odbc_looks(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"')
        return 0;
    const char *q = memchr(s + 1, '"', n - 1);
    if (!q)
        return 0;
    size_t i = (size_t)(q - s) + 1;
    size_t m = match(s + i, n - i, ",\"@\",##/##/####,##:##:##,");
    if (!m)
        return 0;
    i += m;
    while (i < n && is_digit((unsigned char)s[i]))
        i++;
    return i < n && s[i] == ',';
}

/* DTS XML: <Event><Name data_type="N">... */
static int xml_looks(const char *s, size_t n)
{
    if (n < 8 || memcmp(s, "<Event><", 8) != 0)
        return 0;
    size_t i = 8;
    while (i < n && (s[i] == '-' || s[i] == '_' || is_digit((unsigned char)s[i]) ||
                     (((unsigned char)s[i] | 0x20) >= 'a' && ((unsigned char)s[i] | 0x20) <= 'z')))
        i++;
    return i > 8 && match(s + i, n - i, " data_type=\"#\">") > 0;
}

/* Which NPS format a line looks like: NPS_IAS, NPS_ODBC, NPS_XML, or -1. */
static int line_format(const char *l, size_t n)
{
    if (xml_looks(l, n))
        return NPS_XML;
    if (odbc_looks(l, n))
        return NPS_ODBC;
    if (ias_looks(l, n))
        return NPS_IAS;
    return -1;
}

/* The first up to 5 complete non-blank lines must all look like NPS records (formats may be
 * mixed, see nps_line); the first one decides which entry scores. */
static int probe_lines(const char *s, size_t len, int fmt, int score)
{
    size_t pos = 0;
    int good = 0, first = -1;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len && good < 5) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl && good)
            break;                              /* the sample may cut the last line */
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        pos = end + 1;
        while (n && l[n - 1] == '\r')
            n--;
        size_t b = 0;
        while (b < n && (l[b] == ' ' || l[b] == '\t'))
            b++;
        if (b == n)
            continue;
        int f = memchr(l, '\0', n) ? -1 : line_format(l, n);
        if (f < 0)
            return 0;
        if (first < 0)
            first = f;
        good++;
    }
    return good && first == fmt ? score : 0;
}

static int ias_probe(const char *s, size_t len)
{
    return probe_lines(s, len, NPS_IAS, 90);
}

static int odbc_probe(const char *s, size_t len)
{
    return probe_lines(s, len, NPS_ODBC, 90);
}

static int xml_probe(const char *s, size_t len)
{
    return probe_lines(s, len, NPS_XML, 95);
}

const ipl_parser ipl_parser_nps_ias = {
    .name = "nps-ias",
    .summary = "Microsoft NPS/IAS RADIUS log, IAS format (attribute-value pairs, IN*.log)",
    .state_size = 0,
    .probe = ias_probe,
    .line = nps_line,
};

const ipl_parser ipl_parser_nps_odbc = {
    .name = "nps-odbc",
    .summary = "Microsoft NPS/IAS RADIUS log, database-compatible (ODBC) format (IN*.log)",
    .state_size = 0,
    .probe = odbc_probe,
    .line = nps_line,
};

const ipl_parser ipl_parser_nps_xml = {
    .name = "nps-xml",
    .summary = "Microsoft NPS RADIUS log, DTS-compliant XML format (one <Event> per line, IN*.log)",
    .state_size = 0,
    .probe = xml_probe,
    .line = nps_line,
};
