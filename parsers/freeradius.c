/* parsers/freeradius.c — FreeRADIUS `detail` files (rlm_detail: radacct/<client>/detail-YYYYMMDD,
 * auth-detail-*, reply-detail-*), as the registry entry "freeradius-detail". Spec: FORMATS.md
 * sections 6.5 and 9.
 *
 * A record is a header line, one indented "Attribute = value" line per attribute, and an empty
 * line:
 *
 *   Wed May  1 08:15:40 2024                  ctime-style local time (the default header "%t")
 *   <TAB>Acct-Status-Type = Start             unquoted: numbers, dictionary names, addresses
 *   <TAB>User-Name = "alice@corp.example.com" quoted: C escapes \" \\ \n \r \t and \ooo octal
 *   <TAB>Timestamp = 1714544140               UTC epoch when the server received the packet
 *   <empty line>
 *
 * Framing (state kept between lines; pending() is 1 from the header line to the end of the
 * record): a line starting with a blank (TAB or space) is an attribute line; an empty (or blank)
 * line ends the record; any other line is a header. A header that arrives inside a record ends
 * that record first (as end of input does: a record cut short by a crash before its empty line
 * is still taken). At end of input, finish() takes a record that is still open, as if its empty
 * line had followed.
 *
 * Time: Timestamp (UTC epoch) when present; otherwise the header's local time via
 * ipl_tz_resolve(ctx->tz, ..., &ctx->last_ts, ...), done as the very last step so a refused
 * record never moves last_ts. The header is always checked: "Www Mmm dd HH:MM:SS YYYY" with the
 * day space- or zero-padded, a real calendar date and the weekday that date falls on. A
 * configured non-ctime `header` is not supported (each such header line is refused).
 *
 * Kinds: Packet-Type (added by the auth/reply/proxy hooks; names or numbers) Access-Request ->
 * radius.request, Access-Accept -> logon, Access-Reject -> logon.fail, Accounting-Request (or no
 * Packet-Type, as in accounting detail files) -> by Acct-Status-Type: Start -> radius.start,
 * Interim-Update (or its old name Alive) -> radius.update, Stop -> radius.stop, Accounting-On ->
 * radius.acct.on, Accounting-Off -> radius.acct.off (the NAS restarted: all its sessions ended);
 * Tunnel-* and Failed (9-15): no event. Access-Challenge, Accounting-Response, Status-Server,
 * Status-Client, Disconnect-* and CoA-* records: no event. Anything else, or a record with
 * neither Packet-Type nor Acct-Status-Type, is an error.
 *
 * Fields (the same mapping as parsers/nps.c, so NPS and FreeRADIUS events correlate alike):
 * ip = Framed-IP-Address (IPv4; 0.0.0.0, 255.255.255.254 and 255.255.255.255 are RFC 2865
 * placeholders and leave ip unset), or Framed-IPv6-Address; a record with both emits two events,
 * identical but for the address. mac = Calling-Station-Id when ipl_mac_canon accepts it, else
 * the calling_station attribute. user = User-Name. server = ctx->server (the detail file does
 * not name the RADIUS server). Attributes: session (Acct-Session-Id), nas (NAS-IP-Address,
 * canonical, else NAS-IPv6-Address, else NAS-Identifier), nas_id (NAS-Identifier when nas is an
 * address), port (NAS-Port), nas_port_type, session_time, in_octets / out_octets (Gigawords
 * folded in), terminate_cause, called_station, correlation (Class), framed_ipv6_prefix.
 * Numeric NAS-Port-Type and Acct-Terminate-Cause values are written as their dictionary names.
 * Other attributes are checked for syntax and skipped. A repeated attribute keeps its first value.
 * Attribute names are matched as the dictionary spells them (case-sensitive). Octet values such as
 * Class are kept as written (0x...). The values kept must be printable UTF-8 once unescaped.
 *
 * Errors and where they are reported. Line errors (the line is quarantined with its reason):
 * lines over 8192 bytes, NUL bytes, a header that is not a ctime date, an attribute line outside
 * a record, a line that is not "Name = value", an unterminated quote, an invalid escape, text
 * after a closing quote, a kept value that is not printable UTF-8, a record of more than 1024
 * lines or more than 16 KiB of kept values. A refused line poisons its record: at its end the
 * record is refused as a whole ("record '<header>' not emitted: its line N was refused (...)"),
 * never partly emitted. The lines of a record whose header was refused are refused too (each
 * says so). Record errors (reported on the line that ends the record, or by finish(), as
 * "record '<header>': <reason>"): values that do not parse (addresses, numbers, Timestamp,
 * Packet-Type, Acct-Status-Type), no Packet-Type nor Acct-Status-Type, strings over the event
 * limits (IPL_STR_MAX for User-Name, IPL_ATTR_VAL_MAX for attributes). Errors of the emit
 * callback are returned as they are, and the record is dropped.
 *
 * Live files: a reader can see a record without its empty line at the end of a file that is
 * being written. pending() says so, and ingest then leaves the record for the next run (it goes
 * back to the header line and does not call finish()); finish() is reached at the end of
 * standard input, or when the open record already led to an event or a refused line (a record
 * ended by the next header, a poisoned record), and then takes or reports the record.
 *
 * Pure: no I/O, no globals written, no clock. Values kept across lines live in the state's fixed
 * buffer (no malloc); user and attributes point into it or into ctx->arena (mac, canonical NAS
 * text, folded octet counts). The state needs no release.
 */
#include "parsers/parser.h"
#include "parsers/radius_dict.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <stdio.h>
#include <string.h>

#define FR_LINE_MAX   8192     /* bytes per line */
#define FR_VALS_MAX   16384    /* bytes of kept values per record */
#define FR_LINES_MAX  1024     /* lines per record */
#define FR_QUOTE_MAX  48       /* bytes of a value shown in an error message */
#define FR_REASON_MAX 200      /* the first refused line's reason, kept for the record's error */

enum fr_slot {
    F_PACKET, F_STATUS, F_USER, F_CALLING, F_CALLED, F_FRAMED_IP, F_FRAMED_IP6, F_FRAMED_PREFIX6,
    F_NAS_IP, F_NAS_IP6, F_NAS_ID, F_NAS_PORT, F_NAS_PORT_TYPE, F_SESSION, F_SESSION_TIME,
    F_IN_OCT, F_OUT_OCT, F_IN_GIGA, F_OUT_GIGA, F_TERM, F_CLASS, F_TIMESTAMP,
    F__COUNT
};

static const char *const slot_names[F__COUNT] = {
    [F_PACKET] = "Packet-Type",             [F_STATUS] = "Acct-Status-Type",
    [F_USER] = "User-Name",                 [F_CALLING] = "Calling-Station-Id",
    [F_CALLED] = "Called-Station-Id",       [F_FRAMED_IP] = "Framed-IP-Address",
    [F_FRAMED_IP6] = "Framed-IPv6-Address", [F_FRAMED_PREFIX6] = "Framed-IPv6-Prefix",
    [F_NAS_IP] = "NAS-IP-Address",          [F_NAS_IP6] = "NAS-IPv6-Address",
    [F_NAS_ID] = "NAS-Identifier",          [F_NAS_PORT] = "NAS-Port",
    [F_NAS_PORT_TYPE] = "NAS-Port-Type",    [F_SESSION] = "Acct-Session-Id",
    [F_SESSION_TIME] = "Acct-Session-Time", [F_IN_OCT] = "Acct-Input-Octets",
    [F_OUT_OCT] = "Acct-Output-Octets",     [F_IN_GIGA] = "Acct-Input-Gigawords",
    [F_OUT_GIGA] = "Acct-Output-Gigawords", [F_TERM] = "Acct-Terminate-Cause",
    [F_CLASS] = "Class",                    [F_TIMESTAMP] = "Timestamp",
};

/* Acct-Status-Type names (RFC 2866, 2867; "Alive" is the pre-RFC name of Interim-Update). */
static const struct { const char *name; uint8_t val; } status_names[] = {
    {"Start", 1}, {"Stop", 2}, {"Interim-Update", 3}, {"Alive", 3}, {"Accounting-On", 7},
    {"Accounting-Off", 8}, {"Tunnel-Start", 9}, {"Tunnel-Stop", 10}, {"Tunnel-Reject", 11},
    {"Tunnel-Link-Start", 12}, {"Tunnel-Link-Stop", 13}, {"Tunnel-Link-Reject", 14},
    {"Failed", 15},
};

/* RADIUS codes (RFC 2865, 2866, 5176), dictionary spelling. */
static const struct { const char *name; uint8_t val; } packet_names[] = {
    {"Access-Request", 1}, {"Access-Accept", 2}, {"Access-Reject", 3},
    {"Accounting-Request", 4}, {"Accounting-Response", 5}, {"Access-Challenge", 11},
    {"Status-Server", 12}, {"Status-Client", 13}, {"Disconnect-Request", 40},
    {"Disconnect-ACK", 41}, {"Disconnect-NAK", 42}, {"CoA-Request", 43}, {"CoA-ACK", 44},
    {"CoA-NAK", 45},
};

typedef struct fr_val {
    uint32_t off, n;        /* in buf; NUL-terminated there */
} fr_val;

typedef struct fr_state {
    int      mode;                   /* FR_IDLE, FR_RECORD, FR_DISCARD */
    int      poisoned;               /* a line of this record was refused */
    uint32_t lines;                  /* lines of the record so far, header included */
    uint32_t bad_line;               /* the first refused one (1 = header) */
    char     bad_reason[FR_REASON_MAX];
    char     header[32];             /* the header line, for messages (24 bytes for ctime) */
    ipl_civil civil;                 /* the header's local time */
    uint64_t set;                    /* bit per slot */
    fr_val   v[F__COUNT];
    uint32_t used;
    char     buf[FR_VALS_MAX];
} fr_state;

enum { FR_IDLE, FR_RECORD, FR_DISCARD };

#define HAS(st, s) (((st)->set >> (s)) & 1u)

/* ---- small text helpers ------------------------------------------------------------------ */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

#define QBUF (4 * FR_QUOTE_MAX + 4)
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, FR_QUOTE_MAX);
}

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

/* ---- the header line --------------------------------------------------------------------- */

static int name3(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (memcmp(s, names[i], 3) == 0)
            return i;
    return -1;
}

/* "Www Mmm dd HH:MM:SS YYYY": the day space- or zero-padded ("May  1", "May 01"). */
static int parse_header(const char *s, size_t n, ipl_civil *c)
{
    static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (n != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        s[19] != ' ')
        return 0;
    int wd = name3(s, wdays, 7), mon = name3(s + 4, months, 12);
    if (wd < 0 || mon < 0)
        return 0;
    int day;
    if ((s[8] == ' ' || is_digit((unsigned char)s[8])) && is_digit((unsigned char)s[9]))
        day = (s[8] == ' ' ? 0 : s[8] - '0') * 10 + (s[9] - '0');
    else
        return 0;
    const char *t = s + 11;
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5 && !is_digit((unsigned char)t[i]))
            return 0;
    for (int i = 20; i < 24; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    memset(c, 0, sizeof *c);
    c->year = (s[20] - '0') * 1000 + (s[21] - '0') * 100 + (s[22] - '0') * 10 + (s[23] - '0');
    c->mon = mon + 1;
    c->day = day;
    c->hour = (t[0] - '0') * 10 + (t[1] - '0');
    c->min = (t[3] - '0') * 10 + (t[4] - '0');
    c->sec = (t[6] - '0') * 10 + (t[7] - '0');
    if (c->year < 1970 || c->hour > 23 || c->min > 59 || c->sec > 59 || !ipl_civil_valid(c))
        return 0;
    return ipl_weekday(ipl_days_from_civil(c->year, c->mon, c->day)) == wd;
}

/* ---- attribute lines --------------------------------------------------------------------- */

static int slot_of(const char *name, size_t n)
{
    for (int s = 0; s < F__COUNT; s++)
        if (ipl_text_is(name, n, slot_names[s]))
            return s;
    return -1;
}

/* Stores the value of slot s (decoded when quoted) in the state buffer, NUL-terminated. */
static int store_value(fr_state *st, int s, const char *v, size_t n, int quoted, ipl_diag *d)
{
    if (n + 1 > FR_VALS_MAX - st->used)
        return ipl_diag_set(d, IPL_EPARSE, "record keeps more than %d bytes of values at %s",
                            FR_VALS_MAX, slot_names[s]);
    char *o = st->buf + st->used;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (quoted && c == '\\') {          /* escapes were validated by the scanner */
            char e = v[++i];
            switch (e) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case '"': case '\\': case '\'': c = e; break;
            default:
                c = (char)((e - '0') * 64 + (v[i + 1] - '0') * 8 + (v[i + 2] - '0'));
                i += 2;
                break;
            }
        }
        o[k++] = c;
    }
    o[k] = '\0';
    if (!ipl_text_printable_utf8((const unsigned char *)o, k)) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not printable UTF-8", slot_names[s],
                            quote(q, o, k));
    }
    st->v[s].off = st->used;
    st->v[s].n = (uint32_t)k;
    st->used += (uint32_t)k + 1;
    st->set |= (uint64_t)1 << s;
    return IPL_OK;
}

/* "<blanks>Name = value". */
static int attr_line(fr_state *st, const char *s, size_t n, ipl_diag *d)
{
    char q[QBUF];
    size_t i = 0;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    size_t ns = i;
    while (i < n && !is_blank((unsigned char)s[i]) && s[i] != '=')
        i++;
    size_t nn = i - ns;
    const char *name = s + ns;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    if (nn == 0 || i >= n || s[i] != '=')
        return ipl_diag_set(d, IPL_EPARSE, "attribute line '%s' is not 'Name = value'",
                            quote(q, s, n));
    for (size_t k = 0; k < nn; k++) {
        unsigned char c = (unsigned char)name[k];
        if (!(c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || is_digit(c) ||
              ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
            return ipl_diag_set(d, IPL_EPARSE, "attribute name '%s' has a byte that is not a "
                                "letter, digit or one of -_.:/", quote(q, name, nn));
    }
    i++;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    size_t end = n;
    while (end > i && is_blank((unsigned char)s[end - 1]))
        end--;
    const char *v = s + i;
    size_t vn = end - i;
    int quoted = 0;
    if (vn && v[0] == '"') {
        /* scan to the closing quote, validating escapes */
        size_t k = 1;
        for (;;) {
            if (k >= vn)
                return ipl_diag_set(d, IPL_EPARSE, "%.*s has an unterminated quoted value '%s'",
                                    (int)nn, name, quote(q, v, vn));
            char c = v[k];
            if (c == '"')
                break;
            if (c == '\\') {
                if (k + 1 >= vn)
                    return ipl_diag_set(d, IPL_EPARSE, "%.*s has an unterminated quoted value "
                                        "'%s'", (int)nn, name, quote(q, v, vn));
                char e = v[k + 1];
                if (e >= '0' && e <= '3') {
                    if (k + 3 >= vn || v[k + 2] < '0' || v[k + 2] > '7' || v[k + 3] < '0' ||
                        v[k + 3] > '7')
                        return ipl_diag_set(d, IPL_EPARSE, "%.*s has an invalid octal escape in "
                                            "'%s'", (int)nn, name, quote(q, v, vn));
                    k += 4;
                    continue;
                }
                if (e != 'n' && e != 'r' && e != 't' && e != '"' && e != '\\' && e != '\'')
                    return ipl_diag_set(d, IPL_EPARSE, "%.*s has an invalid escape '\\%c' in "
                                        "'%s'", (int)nn, name, e >= 0x20 && e < 0x7f ? e : '?',
                                        quote(q, v, vn));
                k += 2;
                continue;
            }
            k++;
        }
        if (k + 1 != vn)
            return ipl_diag_set(d, IPL_EPARSE, "%.*s has text after its closing quote: '%s'",
                                (int)nn, name, quote(q, v, vn));
        v++;
        vn = k - 1;
        quoted = 1;
    } else if (vn == 0) {
        return ipl_diag_set(d, IPL_EPARSE, "attribute %.*s has no value", (int)nn, name);
    }
    int sl = slot_of(name, nn);
    if (sl < 0 || HAS(st, sl))
        return IPL_OK;
    return store_value(st, sl, v, vn, quoted, d);
}

/* ---- the record -> event ----------------------------------------------------------------- */

static const char *val(const fr_state *st, int s, size_t *n)
{
    *n = st->v[s].n;
    return st->buf + st->v[s].off;
}

static int bad_val(ipl_diag *d, const fr_state *st, int s, const char *what)
{
    size_t n;
    const char *p = val(st, s, &n);
    char q[QBUF];
    return ipl_diag_set(d, IPL_EPARSE, "%s '%s' %s", slot_names[s], quote(q, p, n), what);
}

static int lookup(const char *p, size_t n, int s, uint64_t *out)
{
    if (parse_u64(p, n, out))
        return 1;
    if (s == F_STATUS) {
        for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
            if (ipl_text_is(p, n, status_names[i].name)) {
                *out = status_names[i].val;
                return 1;
            }
    } else {
        for (size_t i = 0; i < sizeof packet_names / sizeof packet_names[0]; i++)
            if (ipl_text_is(p, n, packet_names[i].name)) {
                *out = packet_names[i].val;
                return 1;
            }
    }
    return 0;
}

static int record_kind(const fr_state *st, int *kind, ipl_diag *d)
{
    uint64_t packet = 4, status = 0;
    size_t n;
    const char *p;
    *kind = IPL_K_NONE;
    if (HAS(st, F_PACKET)) {
        p = val(st, F_PACKET, &n);
        if (!lookup(p, n, F_PACKET, &packet))
            return bad_val(d, st, F_PACKET, "is not a RADIUS packet type");
    } else if (!HAS(st, F_STATUS)) {
        return ipl_diag_set(d, IPL_EPARSE, "record has neither Packet-Type nor Acct-Status-Type");
    }
    switch (packet) {
    case 1: *kind = IPL_K_RADIUS_REQUEST; return IPL_OK;
    case 2: *kind = IPL_K_LOGON; return IPL_OK;
    case 3: *kind = IPL_K_LOGON_FAIL; return IPL_OK;
    case 4: break;
    case 5: case 11: case 12: case 13: case 40: case 41: case 42: case 43: case 44: case 45:
        return IPL_OK;
    default:
        return bad_val(d, st, F_PACKET, "is not a RADIUS packet type");
    }
    if (!HAS(st, F_STATUS))
        return ipl_diag_set(d, IPL_EPARSE, "Accounting-Request record has no Acct-Status-Type");
    p = val(st, F_STATUS, &n);
    if (!lookup(p, n, F_STATUS, &status))
        return bad_val(d, st, F_STATUS, "is not an Acct-Status-Type");
    switch (status) {
    case 1: *kind = IPL_K_RADIUS_START; break;
    case 2: *kind = IPL_K_RADIUS_STOP; break;
    case 3: *kind = IPL_K_RADIUS_UPDATE; break;
    case 7: *kind = IPL_K_RADIUS_ACCT_ON; break;
    case 8: *kind = IPL_K_RADIUS_ACCT_OFF; break;
    case 9: case 10: case 11: case 12: case 13: case 14: case 15: break;
    default:
        return bad_val(d, st, F_STATUS, "is not an Acct-Status-Type (1-3, 7-15)");
    }
    return IPL_OK;
}

static int add_attr(ipl_event *ev, unsigned key, const char *p, size_t n, ipl_diag *d)
{
    if (n > IPL_ATTR_VAL_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "attribute '%s' is %zu bytes long, longer than the "
                            "%d-byte limit", ipl_attr_name(key), n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, p, n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "cannot add attribute '%s' to the event", ipl_attr_name(key));
    return IPL_OK;
}

static int str_attr(ipl_event *ev, const fr_state *st, int s, unsigned key, ipl_diag *d)
{
    size_t n;
    const char *p;
    if (!HAS(st, s) || st->v[s].n == 0)
        return IPL_OK;
    p = val(st, s, &n);
    return add_attr(ev, key, p, n, d);
}

static int num_attr(ipl_event *ev, const fr_state *st, int s, unsigned key, ipl_diag *d)
{
    uint64_t v;
    size_t n;
    const char *p;
    if (!HAS(st, s))
        return IPL_OK;
    p = val(st, s, &n);
    if (!parse_u64(p, n, &v))
        return bad_val(d, st, s, "is not a decimal number");
    return add_attr(ev, key, p, n, d);
}

static int named_attr(ipl_event *ev, const fr_state *st, int s, unsigned key,
                      const char *const *names, size_t nnames, ipl_diag *d)
{
    uint64_t v;
    size_t n;
    const char *p;
    if (!HAS(st, s) || st->v[s].n == 0)
        return IPL_OK;
    p = val(st, s, &n);
    if (parse_u64(p, n, &v) && v < nnames && names[v])
        return add_attr(ev, key, names[v], strlen(names[v]), d);
    return add_attr(ev, key, p, n, d);
}

static int octets_attr(ipl_parse_ctx *ctx, ipl_event *ev, const fr_state *st, int s, int sg,
                       unsigned key, ipl_diag *d)
{
    uint64_t v = 0, g = 0;
    size_t n, gn;
    const char *p = val(st, s, &n), *gp = val(st, sg, &gn);
    if (!HAS(st, s) && !HAS(st, sg))
        return IPL_OK;
    if (HAS(st, s) && (!parse_u64(p, n, &v) || v > UINT32_MAX))
        return bad_val(d, st, s, "is not a 32-bit decimal number");
    if (HAS(st, sg) && (!parse_u64(gp, gn, &g) || g > UINT32_MAX))
        return bad_val(d, st, sg, "is not a 32-bit decimal number");
    if (!HAS(st, sg))
        return add_attr(ev, key, p, n, d);
    uint64_t t = (g << 32) + v;
    char tmp[24];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    char *o = ipl_arena_strndup(ctx->arena, tmp + k, sizeof tmp - k);
    if (!o)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory formatting %s", slot_names[s]);
    return add_attr(ev, key, o, sizeof tmp - k, d);
}

enum { IP_V4, IP_V6, IP_ANY };

static int ip_slot(const fr_state *st, int s, int fam, uint8_t ip[16], ipl_diag *d)
{
    size_t n;
    const char *p = val(st, s, &n);
    int colon = memchr(p, ':', n) != NULL;
    int ok = ipl_ip_parse(p, n, ip) == IPL_OK;
    if (ok && fam == IP_V4)
        ok = !colon && ipl_ip_is_v4(ip);
    else if (ok && fam == IP_V6)
        ok = colon && !ipl_ip_is_v4(ip);
    if (!ok)
        return bad_val(d, st, s, fam == IP_V4 ? "is not an IPv4 address"
                                 : fam == IP_V6 ? "is not an IPv6 address" : "is not an IP address");
    return IPL_OK;
}

static int nas_attr(ipl_parse_ctx *ctx, ipl_event *ev, const fr_state *st, int s, int fam,
                    ipl_diag *d)
{
    uint8_t ip[16];
    char buf[IPL_IP_TEXT];
    int rc = ip_slot(st, s, fam, ip, d);
    if (rc != IPL_OK)
        return rc;
    size_t n = ipl_ip_format(ip, buf, sizeof buf);
    char *t = ipl_arena_strndup(ctx->arena, buf, n);
    if (!t)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory formatting the NAS address");
    return add_attr(ev, IPL_A_NAS, t, n, d);
}

static int is_placeholder_v4(const uint8_t ip[16])
{
    const uint8_t *a = ip + 12;
    if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0)
        return 1;
    return a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] >= 254;
}

/* The record, complete, as an event: IPL_OK with ev->kind IPL_K_NONE for a record that carries
 * none; *has_ip6 when a second event carries ip6 (dual stack). Nothing is emitted here. */
static int build(fr_state *st, ipl_parse_ctx *ctx, ipl_event *evp, uint8_t ip6[16], int *has_ip6p,
                 ipl_diag *d)
{
    int kind = IPL_K_NONE, rc;
    size_t n;
    const char *p;
    int64_t ts = 0;
    int has_ts = 0;
    if (HAS(st, F_TIMESTAMP)) {
        uint64_t e;
        p = val(st, F_TIMESTAMP, &n);
        if (!parse_u64(p, n, &e) || e > INT64_C(253402300799))     /* 9999-12-31T23:59:59Z */
            return bad_val(d, st, F_TIMESTAMP, "is not a Unix time in seconds");
        ts = (int64_t)e * IPL_US_PER_SEC;
        has_ts = 1;
    }
    ipl_event_reset(evp);
    *has_ip6p = 0;
    if ((rc = record_kind(st, &kind, d)) != IPL_OK || kind == IPL_K_NONE)
        return rc;

    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = (uint16_t)kind;
    ev.server = ctx->server;

    int has_ip6 = 0;
    if (HAS(st, F_FRAMED_IP)) {
        if ((rc = ip_slot(st, F_FRAMED_IP, IP_V4, ev.ip, d)) != IPL_OK)
            return rc;
        ev.has_ip = !is_placeholder_v4(ev.ip);
    }
    if (HAS(st, F_FRAMED_IP6)) {
        if ((rc = ip_slot(st, F_FRAMED_IP6, IP_V6, ip6, d)) != IPL_OK)
            return rc;
        has_ip6 = 1;
    }
    if (has_ip6 && !ev.has_ip) {
        memcpy(ev.ip, ip6, 16);
        ev.has_ip = 1;
        has_ip6 = 0;
    }

    if (HAS(st, F_CALLING) && st->v[F_CALLING].n) {
        char mac[13];
        p = val(st, F_CALLING, &n);
        if (ipl_mac_canon(p, n, mac) == IPL_OK) {
            if (!(ev.mac = ipl_arena_strndup(ctx->arena, mac, 12)))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the MAC address");
        } else if ((rc = add_attr(&ev, IPL_A_CALLING, p, n, d)) != IPL_OK) {
            return rc;
        }
    }
    if (HAS(st, F_USER) && st->v[F_USER].n) {
        p = val(st, F_USER, &n);
        if (n >= IPL_STR_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "User-Name is %zu bytes long, longer than the "
                                "%d-byte limit", n, IPL_STR_MAX - 1);
        ev.user = p;                                        /* NUL-terminated in the state */
    }

    int nas_is_ip = 0;
    if (HAS(st, F_NAS_IP)) {
        if ((rc = nas_attr(ctx, &ev, st, F_NAS_IP, IP_ANY, d)) != IPL_OK)
            return rc;
        nas_is_ip = 1;
    } else if (HAS(st, F_NAS_IP6)) {
        if ((rc = nas_attr(ctx, &ev, st, F_NAS_IP6, IP_V6, d)) != IPL_OK)
            return rc;
        nas_is_ip = 1;
    }
    if ((rc = str_attr(&ev, st, F_NAS_ID, nas_is_ip ? IPL_A_NAS_ID : IPL_A_NAS, d)) != IPL_OK ||
        (rc = str_attr(&ev, st, F_SESSION, IPL_A_SESSION, d)) != IPL_OK ||
        (rc = num_attr(&ev, st, F_NAS_PORT, IPL_A_PORT, d)) != IPL_OK ||
        (rc = named_attr(&ev, st, F_NAS_PORT_TYPE, IPL_A_NAS_PORT_TYPE, ipl_radius_port_types,
                         IPL_RADIUS_PORT_TYPES, d)) != IPL_OK ||
        (rc = num_attr(&ev, st, F_SESSION_TIME, IPL_A_SESSION_TIME, d)) != IPL_OK ||
        (rc = octets_attr(ctx, &ev, st, F_IN_OCT, F_IN_GIGA, IPL_A_IN_OCTETS, d)) != IPL_OK ||
        (rc = octets_attr(ctx, &ev, st, F_OUT_OCT, F_OUT_GIGA, IPL_A_OUT_OCTETS, d)) != IPL_OK ||
        (rc = named_attr(&ev, st, F_TERM, IPL_A_TERM_CAUSE,
                         ipl_radius_term_causes, IPL_RADIUS_TERM_CAUSES, d)) != IPL_OK ||
        (rc = str_attr(&ev, st, F_CLASS, IPL_A_CORRELATION, d)) != IPL_OK ||
        (rc = str_attr(&ev, st, F_CALLED, IPL_A_CALLED, d)) != IPL_OK)
        return rc;
    if (HAS(st, F_FRAMED_PREFIX6)) {
        ipl_prefix pfx;
        p = val(st, F_FRAMED_PREFIX6, &n);
        if (ipl_prefix_parse(p, n, 1, &pfx) != IPL_OK || pfx.v4)
            return bad_val(d, st, F_FRAMED_PREFIX6, "is not an IPv6 prefix");
        if ((rc = add_attr(&ev, IPL_A_FRAMED_PREFIX, p, n, d)) != IPL_OK)
            return rc;
    }

    /* last: the time (ipl_tz_resolve moves ctx->last_ts, so only for records that are emitted) */
    if (has_ts) {
        ev.ts = ts;
    } else if (ipl_tz_resolve(ctx->tz, &st->civil, &ctx->last_ts, &ev.ts) != IPL_OK) {
        char q[QBUF];
        return ipl_diag_set(d, IPL_EPARSE, "header '%s' cannot be converted to UTC",
                            quote(q, st->header, strlen(st->header)));
    }
    *evp = ev;
    *has_ip6p = has_ip6;
    return IPL_OK;
}

/* Builds and emits the record (0, 1 or 2 events); build errors name the record, errors of
 * `emit` are returned as they are. */
static int emit_record(fr_state *st, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                       ipl_diag *d)
{
    ipl_event ev;
    uint8_t ip6[16];
    int has_ip6;
    int rc = build(st, ctx, &ev, ip6, &has_ip6, d);
    if (rc != IPL_OK) {
        if (d)
            ipl_diag_prefix(d, "record '%s'", st->header);
        return rc;
    }
    if (ev.kind == IPL_K_NONE || (rc = emit(emit_ctx, &ev)) != IPL_OK || !has_ip6)
        return rc;
    memcpy(ev.ip, ip6, 16);                 /* dual stack: the same record for the v6 address */
    return emit(emit_ctx, &ev);
}

static void reset(fr_state *st)
{
    st->mode = FR_IDLE;
    st->poisoned = 0;
    st->lines = 0;
    st->bad_line = 0;
    st->bad_reason[0] = '\0';
    st->header[0] = '\0';
    st->set = 0;
    st->used = 0;
}

/* Ends the open record (at its empty line, the next header or the end of input). */
static int end_record(fr_state *st, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                      ipl_diag *d)
{
    int rc = IPL_OK;
    if (st->mode == FR_RECORD) {
        if (st->poisoned)
            rc = ipl_diag_set(d, IPL_EPARSE, "record '%s' not emitted: its line %u was refused (%s)",
                              st->header, st->bad_line, st->bad_reason);
        else
            rc = emit_record(st, ctx, emit, emit_ctx, d);
    }
    reset(st);
    return rc;
}

/* A refused line inside a record: the record will be refused at its end. */
static int poison(fr_state *st, int rc, ipl_diag *d)
{
    if (!st->poisoned) {
        st->poisoned = 1;
        st->bad_line = st->lines;
        snprintf(st->bad_reason, sizeof st->bad_reason, "%.*s", FR_REASON_MAX - 1, d ? d->msg : "");
    }
    return rc;
}

/* ---- the parser entry points ------------------------------------------------------------- */

static int fr_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    fr_state *st = state;
    char q[QBUF];
    if (n > FR_LINE_MAX) {
        int rc = ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit",
                              n, FR_LINE_MAX);
        if (st->mode == FR_RECORD) {
            st->lines++;
            return poison(st, rc, d);
        }
        return rc;
    }
    while (n && s[n - 1] == '\r')
        n--;
    if (st->mode == FR_IDLE && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    size_t b = 0;
    while (b < n && is_blank((unsigned char)s[b]))
        b++;
    if (b == n)                                             /* the empty line ends a record */
        return end_record(st, ctx, emit, emit_ctx, d);

    const char *z = memchr(s, '\0', n);
    if (b > 0) {                                            /* an attribute line */
        if (st->mode == FR_IDLE)
            return ipl_diag_set(d, IPL_EPARSE, "attribute line outside a record (no header line "
                                "before it): '%s'", quote(q, s, n));
        if (st->mode == FR_DISCARD)
            return ipl_diag_set(d, IPL_EPARSE, "line of a record whose header was refused: '%s'",
                                quote(q, s, n));
        if (++st->lines > FR_LINES_MAX)
            return poison(st, ipl_diag_set(d, IPL_EPARSE, "record has more than %d lines",
                                           FR_LINES_MAX), d);
        if (z)
            return poison(st, ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the line "
                                           "'%s'", (size_t)(z - s), quote(q, s, n)), d);
        int rc = attr_line(st, s, n, d);
        return rc == IPL_OK ? rc : poison(st, rc, d);
    }

    /* a header line: it ends an open record first */
    int rc = IPL_OK;
    ipl_diag prev;
    prev.msg[0] = '\0';
    if (st->mode != FR_IDLE)
        rc = end_record(st, ctx, emit, emit_ctx, &prev);
    ipl_civil c;
    if (z || !parse_header(s, n, &c)) {
        st->mode = FR_DISCARD;
        if (rc != IPL_OK)
            return ipl_diag_set(d, rc, "%s; then header '%s' is not a 'Www Mmm dd HH:MM:SS YYYY' "
                                "date", prev.msg, quote(q, s, n));
        return ipl_diag_set(d, IPL_EPARSE, "header '%s' is not a 'Www Mmm dd HH:MM:SS YYYY' date",
                            quote(q, s, n));
    }
    st->mode = FR_RECORD;
    st->lines = 1;
    st->civil = c;
    memcpy(st->header, s, n);               /* n == 24 */
    st->header[n] = '\0';
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "%s", prev.msg);
    return IPL_OK;
}

static int fr_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                     ipl_diag *d)
{
    return end_record(state, ctx, emit, emit_ctx, d);
}

static int fr_pending(const void *state)
{
    const fr_state *st = state;
    return st->mode != FR_IDLE;
}

static void fr_init(void *state, ipl_parse_ctx *ctx)
{
    reset(state);
}

/* ---- probe ------------------------------------------------------------------------------- */

/* A ctime header followed by an indented "Name = value" line, in the first 64 lines. */
static int fr_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int lines = 0, headers = 0, attrs = 0, after_header = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len && lines < 64) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl && lines)
            break;
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        pos = end + 1;
        lines++;
        while (n && l[n - 1] == '\r')
            n--;
        if (n == 0) {
            after_header = 0;
            continue;
        }
        if (memchr(l, '\0', n))
            return 0;
        ipl_civil c;
        if (!is_blank((unsigned char)l[0])) {
            if (!parse_header(l, n, &c))
                return 0;
            headers++;
            after_header = 1;
            continue;
        }
        if (!after_header)
            return 0;
        size_t k = 0, ns;
        while (k < n && is_blank((unsigned char)l[k]))
            k++;
        ns = k;
        while (k < n && (l[k] == '-' || l[k] == '_' || l[k] == '.' || l[k] == ':' ||
                         is_digit((unsigned char)l[k]) ||
                         (((unsigned char)l[k] | 0x20) >= 'a' && ((unsigned char)l[k] | 0x20) <= 'z')))
            k++;
        if (k == ns || k + 2 > n || l[k] != ' ' || l[k + 1] != '=')
            return 0;
        attrs++;
    }
    return headers && attrs ? 90 : 0;
}

const ipl_parser ipl_parser_freeradius_detail = {
    .name = "freeradius-detail",
    .summary = "FreeRADIUS detail files (radacct/<client>/detail-*, auth-detail-*)",
    .state_size = sizeof(fr_state),
    .probe = fr_probe,
    .init = fr_init,
    .line = fr_line,
    .finish = fr_finish,
    .pending = fr_pending,
    .release = NULL,
};
