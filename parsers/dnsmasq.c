/* parsers/dnsmasq.c — dnsmasq DHCP: the syslog message grammar (the ipl_syslog_sub "dnsmasq" for
 * the router and the parser "dnsmasq" for a syslog file of dnsmasq lines) and the lease file
 * (the parser "dnsmasq-leases"). Spec: FORMATS.md sections 4 and 9; the grammar is the one of
 * dnsmasq's src/rfc2131.c log_packet(), src/rfc3315.c log6_packet() and src/lease.c.
 *
 * ---- Syslog messages (tags "dnsmasq-dhcp", and "dnsmasq" for old releases and DNS lines) -----
 *
 *   [<xid> ]<TYPE>(<iface>) [<addr> ]<client-id> <text>
 *
 *   v4 ("%s(%s) %s%s%s %s%s"): TYPE is DHCPDISCOVER DHCPOFFER DHCPREQUEST DHCPACK DHCPNAK
 *   DHCPRELEASE DHCPDECLINE DHCPINFORM BOOTP PXE NOANSWER; client-id the MAC as colon hex
 *   ("3c:52:82:6a:1b:2f"), other colon hex when the packet had no chaddr (the client-id), or
 *   "<null>"; text the host name (DHCPACK) or a reason ("wrong network"). The blank after the
 *   client-id is always written, so an ACK without a name ends in a blank (tolerated missing).
 *   v6 ("%s(%s) %s%s %s"): TYPE is DHCPSOLICIT DHCPADVERTISE DHCPREQUEST DHCPRENEW DHCPREBIND
 *   DHCPCONFIRM DHCPREPLY DHCPRELEASE DHCPDECLINE DHCPINFORMATION-REQUEST; client-id the DUID in
 *   colon hex; text a host name or a reason. REQUEST, RELEASE and DECLINE exist in both: an IPv4
 *   address makes the line v4, an IPv6 address or none v6 (dnsmasq logs v4 ones with an address).
 *   An address is told from the client-id by its form: a dotted quad, or a word that parses as
 *   IPv6 and is followed by a colon-hex word (a DUID never is followed by one: a host name has no
 *   ':'). "<xid> " (decimal) prefixes every line with --log-dhcp and is kept as "xid".
 *
 *   Kinds: DHCPACK assign (host = text, one word); DHCPOFFER offer; DHCPDISCOVER and DHCPREQUEST
 *   request; DHCPNAK and NOANSWER deny (reason); DHCPRELEASE release; DHCPDECLINE decline (the
 *   client's text as "message"); DHCPINFORM and DHCPINFORMATION-REQUEST inform; BOOTP bootp;
 *   DHCPSOLICIT v6.solicit; DHCPRENEW, DHCPREBIND and DHCPCONFIRM request; DHCPADVERTISE with an
 *   address offer; DHCPREPLY with an address assign (the binding; text = host, or "deprecated"
 *   kept as reason). A reason on a line changes its kind: "no address available", "no leases
 *   left", "no addresses available" -> lease.exhausted; "ignored", "disabled", "proxy-ignored" ->
 *   lease.drop; DHCPDISCOVER and DHCPINFORM with any other reason -> lease.drop (no answer was
 *   sent); DHCPRELEASE with a reason ("unknown lease": the server held nothing) -> lease.drop, so
 *   it never closes a holding; BOOTP with another reason, DHCPREPLY with an address and "lease not
 *   found", "address invalid" or any text of several words (a translated reason) -> lease.deny.
 *   A DHCPREPLY or DHCPADVERTISE without address carries its reason ("no addresses available").
 *   PXE, RTR-SOLICIT, RTR-ADVERT and SLAAC-CONFIRM lines (proxy boot and router advertisements,
 *   no binding), the --log-dhcp detail lines ("<xid> tags: ...", "requested options", "vendor
 *   class", "client provides name", "sent size", ...), configuration and warning lines ("DHCP, IP
 *   range ...", "not giving name ...") and all DNS lines (tag "dnsmasq") carry no event: IPL_OK.
 *   A line that starts like a packet line ("WORD(" with WORD in capitals) must be one: an unknown
 *   TYPE, a bad address or client-id, or a host name with blanks on an ACK is an error naming the
 *   part. "message repeated N times: [ msg]" (rsyslog) is unwrapped as the router does it
 *   (ipl_syslog_unrepeat, parsers/syslog.h): msg is read N times (N <= 10000).
 *
 *   Fields: ip; mac when the client-id is 6 bytes (v4) or is embedded in a DUID-LLT/LL (v6);
 *   duid = the DUID (v6) or the client-id bytes when they are not a MAC (v4, e.g. InfiniBand);
 *   host; server = the syslog HOSTNAME (the DHCP server), or ctx->server when the line has none
 *   (dnsmasq --log-facility=/file writes none). Attributes: code (the TYPE as written), iface,
 *   xid, reason, message (DECLINE text).
 *
 *   Stream state (parser "dnsmasq" only; the router's sub is stateless and keeps the plain
 *   mapping): a DHCPACK that answers a DHCPINFORM (same pid, xid, interface, address, client)
 *   logged just before is lease.inform, not an assignment; a DHCPREPLY with an address after
 *   DHCPRENEW/DHCPREBIND of the same client is lease.renew, after DHCPCONFIRM lease.v6.confirm.
 *   The state is two 64-bit keys: nothing is ever half-read, so pending() is 0.
 *
 * ---- Lease file (dnsmasq.leases, FORMATS.md 4.5) ----------------------------------------------
 *
 *   <expiry> <hwaddr> <ipv4> <hostname|*> <client-id|*>
 *   duid <server-duid>
 *   <expiry> [T]<iaid> <ipv6> <hostname|*> <client-duid|*>
 *
 *   hwaddr is colon hex, prefixed "<hwtype>-" (2 hex digits) when the type is not Ethernet or
 *   the address is empty. The file is a snapshot of the leases held when it was written, so a
 *   row becomes: expiry in the future (or 0 = infinite) -> lease.assign at ts = ctx->now (the
 *   time ingest read the file: "held now"; the real start is not in the file) with lease_end =
 *   the expiry (ISO 8601 UTC); expiry in the past (an old copy of the file) -> lease.expire at
 *   ts = expiry (the lease, as recorded, ended then; no open is invented). An expiry below
 *   1000000000 (before 2001-09-09) is not an epoch: dnsmasq builds with HAVE_BROKEN_RTC or
 *   HAVE_LEASEFILE_EXPIRE write the lease length or the remaining seconds; such rows are
 *   lease.assign at ctx->now with "lifetime" = the number as written and no lease_end
 *   (0 gives lifetime "infinite"). Fields: ip; mac (6-byte Ethernet address, also "06-" IEEE 802);
 *   otherwise duid = the hardware bytes as hex, or, when they are empty, the client-id less its
 *   type byte (dnsmasq's extended_hwaddr(), so the value matches its log lines); host unless "*";
 *   client_id (v4, canonical hex); v6: duid = client DUID (and its MAC when embedded), iaid,
 *   lease_type IA_NA or IA_TA ("T"); server = ctx->server. The "duid" line (the server's DUID)
 *   emits nothing; blank lines neither. Every other line must be a row: wrong field counts, bad
 *   numbers, addresses and hex are errors naming the field.
 *
 * Probes: "dnsmasq" scores 90 when every line of the sample is syslog of dnsmasq's tags, 60 or 40
 * when other programs are mixed in (below the router's 70: it reads those through the same sub),
 * 0 when a line is not syslog or no line is dnsmasq's. "dnsmasq-leases" scores 95 when the first
 * lines are all lease rows or the duid line (at least one row), else 0.
 *
 * Caps (an error, never a cut): message 4096 bytes, lease line 4096, client-id / DUID 239 bytes
 * (478 hex digits, under IPL_STR_MAX), host names IPL_STR_MAX - 1. NUL bytes are refused.
 *
 * Pure: no I/O, no clock but ctx->now, no globals written, no malloc; strings go to ctx->arena.
 */
#include "parsers/parser.h"
#include "parsers/syslog.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <string.h>

#define DQ_MSG_MAX    4096
#define DQ_LINE_MAX   4096
#define DQ_ID_MAX     ((IPL_STR_MAX - 2) / 2)     /* bytes of a client-id / DUID */
#define DQ_QUOTE_MAX  48
#define DQ_QBUF       (4 * DQ_QUOTE_MAX + 4)
#define DQ_EPOCH_MIN  INT64_C(1000000000)         /* smaller expiry values are durations */
#define DQ_EPOCH_MAX  INT64_C(253402300799)       /* 9999-12-31T23:59:59Z */

typedef struct dq_sl {
    const char *p;
    size_t      n;
} dq_sl;

enum dq_type {
    DQ_DISCOVER, DQ_OFFER, DQ_REQUEST, DQ_ACK, DQ_NAK, DQ_RELEASE, DQ_DECLINE, DQ_INFORM,
    DQ_BOOTP, DQ_PXE, DQ_NOANSWER, DQ_SOLICIT, DQ_ADVERTISE, DQ_RENEW, DQ_REBIND, DQ_CONFIRM,
    DQ_REPLY, DQ_IREQ, DQ_IGNORED,
};

#define FAM_V4  1
#define FAM_V6  2
#define FAM_ANY 3

static const struct {
    const char *name;
    uint8_t     type;
    uint8_t     fam;
} dq_types[] = {
    {"DHCPDISCOVER", DQ_DISCOVER, FAM_V4},   {"DHCPOFFER", DQ_OFFER, FAM_V4},
    {"DHCPREQUEST", DQ_REQUEST, FAM_ANY},    {"DHCPACK", DQ_ACK, FAM_V4},
    {"DHCPNAK", DQ_NAK, FAM_V4},             {"DHCPRELEASE", DQ_RELEASE, FAM_ANY},
    {"DHCPDECLINE", DQ_DECLINE, FAM_ANY},    {"DHCPINFORM", DQ_INFORM, FAM_V4},
    {"BOOTP", DQ_BOOTP, FAM_V4},             {"PXE", DQ_PXE, FAM_V4},
    {"NOANSWER", DQ_NOANSWER, FAM_V4},       {"DHCPSOLICIT", DQ_SOLICIT, FAM_V6},
    {"DHCPADVERTISE", DQ_ADVERTISE, FAM_V6}, {"DHCPRENEW", DQ_RENEW, FAM_V6},
    {"DHCPREBIND", DQ_REBIND, FAM_V6},       {"DHCPCONFIRM", DQ_CONFIRM, FAM_V6},
    {"DHCPREPLY", DQ_REPLY, FAM_V6},         {"DHCPINFORMATION-REQUEST", DQ_IREQ, FAM_V6},
    {"RTR-SOLICIT", DQ_IGNORED, 0},          {"RTR-ADVERT", DQ_IGNORED, 0},
    {"SLAAC-CONFIRM", DQ_IGNORED, 0},
};

/* One packet line, split. */
typedef struct dq_pkt {
    dq_sl xid, type, iface, addr, id, text;
    size_t k;         /* index in dq_types */
    int   t;          /* enum dq_type */
    int   v6;
} dq_pkt;

/* Per-stream state of the parser "dnsmasq" (see the top comment). */
typedef struct dq_state {
    uint64_t inform_key;     /* the last DHCPINFORM, 0 = none */
    uint64_t v6_key;         /* the last v6 client message */
    int      v6_type;        /* its enum dq_type */
} dq_state;

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}

static int sl_is(dq_sl s, const char *lit)
{
    size_t m = strlen(lit);
    return s.n == m && memcmp(s.p, lit, m) == 0;
}

/* Renders bytes for an error message: printable ASCII as is, others as \xNN, cut with "...". */
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, DQ_QUOTE_MAX);
}

/* The next word of s[*i..n) up to a blank; *i moves past it and past one blank. */
static dq_sl next_word(const char *s, size_t n, size_t *i)
{
    size_t b = *i, e = b;
    while (e < n && s[e] != ' ' && s[e] != '\t')
        e++;
    *i = e < n ? e + 1 : e;
    return (dq_sl){s + b, e - b};
}

static dq_sl trim_right(dq_sl s)
{
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static int has_blank(dq_sl s)
{
    return memchr(s.p, ' ', s.n) != NULL || memchr(s.p, '\t', s.n) != NULL;
}

/* Colon hex as print_mac() writes it: 2-digit groups joined by ':' ("3c:52:..", also "ab").
 * Returns the number of bytes, 0 if not that form. */
static size_t colon_hex(dq_sl s)
{
    if (s.n < 2 || (s.n + 1) % 3 != 0)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        int c = (unsigned char)s.p[i];
        if (i % 3 == 2 ? c != ':' : !is_hex(c))
            return 0;
    }
    return (s.n + 1) / 3;
}

/* The value of the first two hex digits of s. */
static int hex_val2(const char *s)
{
    int v = 0;
    for (int k = 0; k < 2; k++) {
        int c = (unsigned char)s[k];
        v = v * 16 + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static uint64_t fnv(uint64_t h, dq_sl s)
{
    for (size_t i = 0; i < s.n; i++) {
        h ^= (unsigned char)s.p[i];
        h *= UINT64_C(1099511628211);
    }
    h ^= 0xff;                                  /* field separator */
    return h * UINT64_C(1099511628211);
}

/* ---- event helpers ----------------------------------------------------------------------- */

static int attr(ipl_event *ev, unsigned key, dq_sl v, ipl_diag *d)
{
    if (v.n > IPL_ATTR_VAL_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "%s is %zu bytes long, longer than the %d-byte limit",
                            ipl_attr_name(key), v.n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, v.p, v.n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event adding %s", ipl_attr_name(key));
    return IPL_OK;
}

static int attr_lit(ipl_event *ev, unsigned key, const char *lit, ipl_diag *d)
{
    return attr(ev, key, (dq_sl){lit, strlen(lit)}, d);
}

/* NUL-terminated copy of s into the arena; `what` names it in errors. */
static int str_copy(ipl_parse_ctx *ctx, dq_sl s, const char *what, const char **out, ipl_diag *d)
{
    char q[DQ_QBUF];
    if (s.n >= IPL_STR_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is %zu bytes long, longer than the %d-byte "
                            "limit", what, quote(q, s.p, s.n), s.n, IPL_STR_MAX - 1);
    char *c = ipl_arena_strndup(ctx->arena, s.p, s.n);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the %s", what);
    *out = c;
    return IPL_OK;
}

/* Canonical lowercase hex of colon hex s (nbytes bytes) into the arena. */
static int hex_copy(ipl_parse_ctx *ctx, dq_sl s, size_t nbytes, const char *what, char **out,
                    ipl_diag *d)
{
    char q[DQ_QBUF];
    if (nbytes > DQ_ID_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is %zu bytes long, longer than the %d-byte "
                            "limit", what, quote(q, s.p, s.n), nbytes, DQ_ID_MAX);
    char *buf = ipl_arena_alloc(ctx->arena, 2 * nbytes + 1);
    if (!buf)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the %s", what);
    if (ipl_hex_canon(s.p, s.n, buf, 2 * nbytes + 1) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not hexadecimal", what, quote(q, s.p, s.n));
    *out = buf;
    return IPL_OK;
}

/* Sets ev->mac from a DUID in canonical hex when it embeds one. */
static int duid_mac(ipl_parse_ctx *ctx, ipl_event *ev, const char *duid, ipl_diag *d)
{
    char mac[13];
    if (ipl_duid_mac(duid, mac) != IPL_OK)
        return IPL_OK;
    char *m = ipl_arena_strndup(ctx->arena, mac, 12);
    if (!m)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the MAC address");
    ev->mac = m;
    return IPL_OK;
}

/* The DHCP server: the syslog HOSTNAME, else the --server name. */
static int server_of(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_event *ev, ipl_diag *d)
{
    if (env->host_len == 0) {
        ev->server = ctx->server;
        return IPL_OK;
    }
    return str_copy(ctx, (dq_sl){env->host, env->host_len}, "syslog hostname", &ev->server, d);
}

/* ---- the packet-line grammar ------------------------------------------------------------- */

/* Splits msg into pk. Returns 1 for a packet line, 0 for a line that carries no event, or an
 * error. strict: the tag is "dnsmasq-dhcp", where an unknown TYPE is an error (under "dnsmasq",
 * the DNS facility, it is some other message). */
static int split_packet(const char *s, size_t n, dq_pkt *pk, int strict, ipl_diag *d)
{
    char q[DQ_QBUF], q2[DQ_QBUF];
    size_t i = 0;
    memset(pk, 0, sizeof *pk);
    /* --log-dhcp: "<xid> " */
    while (i < n && i < 11 && is_digit((unsigned char)s[i]))
        i++;
    if (i > 0) {
        if (i > 10 || i == n || s[i] != ' ')
            return 0;
        pk->xid = (dq_sl){s, i};
        i++;
    }
    size_t t0 = i;
    if (i == n || !is_upper((unsigned char)s[i]))
        return 0;
    while (i < n && (is_upper((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '-'))
        i++;
    if (i == n || s[i] != '(')
        return 0;                                /* "DHCP, IP range ...": a notice */
    pk->type = (dq_sl){s + t0, i - t0};
    size_t k = 0;
    for (; k < sizeof dq_types / sizeof dq_types[0]; k++)
        if (sl_is(pk->type, dq_types[k].name))
            break;
    if (k == sizeof dq_types / sizeof dq_types[0])
        return !strict ? 0 : ipl_diag_set(d, IPL_EPARSE, "unknown dnsmasq DHCP message type '%s'",
                                          quote(q, pk->type.p, pk->type.n));
    pk->k = k;
    pk->t = dq_types[k].type;
    if (pk->t == DQ_IGNORED)
        return 0;
    size_t f0 = ++i;
    while (i < n && s[i] != ')' && s[i] != ' ' && s[i] != '(')
        i++;
    if (i == n || s[i] != ')')
        return ipl_diag_set(d, IPL_EPARSE, "%s interface name is not closed by ')': '%s'",
                            dq_types[k].name, quote(q2, s, n));
    pk->iface = (dq_sl){s + f0, i - f0};
    i++;
    if (pk->iface.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "%s has an empty interface name", dq_types[k].name);
    if (i < n && s[i] != ' ')
        return ipl_diag_set(d, IPL_EPARSE, "%s(%s) is followed by '%s', not a blank",
                            dq_types[k].name, quote(q, pk->iface.p, pk->iface.n),
                            quote(q2, s + i, n - i > 8 ? 8 : n - i));
    if (i < n)
        i++;
    /* [addr ]id[ text] */
    dq_sl w1 = next_word(s, n, &i);
    size_t after1 = i;
    dq_sl w2 = next_word(s, n, &i);
    if (w1.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "%s has no client identifier", dq_types[k].name);
    int addr = 0;
    if (memchr(w1.p, '.', w1.n) && !memchr(w1.p, ':', w1.n)) {
        addr = 1;                                         /* a dotted quad */
    } else if (memchr(w1.p, ':', w1.n) && (colon_hex(w2) || sl_is(w2, "<null>"))) {
        uint8_t ip[16];
        addr = ipl_ip_parse(w1.p, w1.n, ip) == IPL_OK;    /* an IPv6 address, then the DUID */
    }
    if (addr) {
        pk->addr = w1;
        pk->id = w2;
        if (w2.n == 0)
            return ipl_diag_set(d, IPL_EPARSE, "%s %s has no client identifier after the "
                                "address", dq_types[k].name, quote(q, w1.p, w1.n));
    } else {
        pk->id = w1;
        i = after1;
    }
    pk->text = trim_right((dq_sl){s + i, n - i});
    /* the family */
    int fam = dq_types[k].fam;
    if (fam == FAM_ANY)
        pk->v6 = !(pk->addr.n && !memchr(pk->addr.p, ':', pk->addr.n));
    else
        pk->v6 = fam == FAM_V6;
    return 1;
}

/* reason classes */
static int reason_exhausted(dq_sl r)
{
    return sl_is(r, "no address available") || sl_is(r, "no leases left") ||
           sl_is(r, "no addresses available");
}

static int reason_drop(dq_sl r)
{
    return sl_is(r, "ignored") || sl_is(r, "disabled") || sl_is(r, "proxy-ignored");
}

/* Fills and emits the event(s) of one packet line. st is NULL for the stateless sub. */
static int emit_packet(ipl_parse_ctx *ctx, const ipl_syslog *env, dq_pkt *pk, dq_state *st,
                       ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    char q[DQ_QBUF];
    const char *tn = dq_types[pk->k].name;
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = env->ts;
    int rc = server_of(ctx, env, &ev, d);
    if (rc != IPL_OK)
        return rc;

    /* address */
    if (pk->addr.n) {
        if (ipl_ip_parse(pk->addr.p, pk->addr.n, ev.ip) != IPL_OK ||
            (pk->v6 ? ipl_ip_is_v4(ev.ip) : !ipl_ip_is_v4(ev.ip) ||
                                            memchr(pk->addr.p, ':', pk->addr.n) != NULL))
            return ipl_diag_set(d, IPL_EPARSE, "%s address '%s' is not an %s address", tn,
                                quote(q, pk->addr.p, pk->addr.n), pk->v6 ? "IPv6" : "IPv4");
        ev.has_ip = 1;
    }
    /* client identifier */
    if (!sl_is(pk->id, "<null>")) {
        size_t nb = colon_hex(pk->id);
        if (!nb)
            return ipl_diag_set(d, IPL_EPARSE, "%s client identifier '%s' is not colon-separated "
                                "hex", tn, quote(q, pk->id.p, pk->id.n));
        char *hex;
        if ((rc = hex_copy(ctx, pk->id, nb, pk->v6 ? "DUID" : "client identifier", &hex, d)) != IPL_OK)
            return rc;
        if (!pk->v6 && nb == 6) {
            ev.mac = hex;
        } else {
            ev.duid = hex;
            if (pk->v6 && (rc = duid_mac(ctx, &ev, hex, d)) != IPL_OK)
                return rc;
        }
    }

    /* kind, host, reason */
    dq_sl text = pk->text, none = {"", 0};
    dq_sl host = none, reason = none, message = none;
    int kind = IPL_K_NONE;
    switch (pk->t) {
    case DQ_DISCOVER:
        kind = IPL_K_LEASE_REQUEST;
        reason = text;
        if (text.n)
            kind = reason_exhausted(text) ? IPL_K_LEASE_EXHAUSTED : IPL_K_LEASE_DROP;
        break;
    case DQ_OFFER:
        kind = IPL_K_LEASE_OFFER;
        reason = text;
        break;
    case DQ_ACK:
        kind = IPL_K_LEASE_ASSIGN;
        if (has_blank(text))
            return ipl_diag_set(d, IPL_EPARSE, "DHCPACK host name '%s' contains a blank",
                                quote(q, text.p, text.n));
        host = text;
        break;
    case DQ_NAK:
    case DQ_NOANSWER:
        kind = IPL_K_LEASE_DENY;
        reason = text;
        break;
    case DQ_DECLINE:
        kind = IPL_K_LEASE_DECLINE;
        message = text;
        break;
    case DQ_INFORM:
        kind = IPL_K_LEASE_INFORM;
        reason = text;
        if (text.n)
            kind = IPL_K_LEASE_DROP;
        break;
    case DQ_BOOTP:
        kind = IPL_K_LEASE_BOOTP;
        reason = text;
        if (text.n)
            kind = reason_exhausted(text) ? IPL_K_LEASE_EXHAUSTED
                 : reason_drop(text)      ? IPL_K_LEASE_DROP
                                          : IPL_K_LEASE_DENY;
        else if (!ev.has_ip)
            return ipl_diag_set(d, IPL_EPARSE, "BOOTP line has neither an address nor a reason");
        break;
    case DQ_PXE:
        return IPL_OK;                               /* proxy DHCP / boot server: no binding */
    case DQ_RELEASE:
        kind = IPL_K_LEASE_RELEASE;
        reason = text;
        if (text.n && !pk->v6)
            kind = IPL_K_LEASE_DROP;                 /* "unknown lease": nothing was held */
        break;
    case DQ_REQUEST:
    case DQ_SOLICIT:
    case DQ_RENEW:
    case DQ_REBIND:
    case DQ_CONFIRM:
    case DQ_IREQ:
        kind = pk->t == DQ_SOLICIT ? IPL_K_LEASE_V6_SOLICIT
             : pk->t == DQ_IREQ    ? IPL_K_LEASE_INFORM
                                   : IPL_K_LEASE_REQUEST;
        if (reason_drop(text)) {
            kind = IPL_K_LEASE_DROP;
            reason = text;
        } else if (pk->v6 && text.n && !has_blank(text)) {
            host = text;                             /* v6 lines may carry the host name */
        } else {
            reason = text;
        }
        break;
    case DQ_ADVERTISE:
    case DQ_REPLY:
        if (!ev.has_ip) {
            if (!text.n)
                return ipl_diag_set(d, IPL_EPARSE, "%s has neither an address nor a reason", tn);
            kind = reason_exhausted(text) ? IPL_K_LEASE_EXHAUSTED
                 : reason_drop(text)      ? IPL_K_LEASE_DROP
                                          : IPL_K_LEASE_DENY;
            reason = text;
            break;
        }
        kind = pk->t == DQ_ADVERTISE ? IPL_K_LEASE_OFFER : IPL_K_LEASE_ASSIGN;
        if (sl_is(text, "deprecated")) {
            reason = text;
        } else if (pk->t == DQ_REPLY && (sl_is(text, "lease not found") ||
                                         sl_is(text, "address invalid") || has_blank(text))) {
            kind = IPL_K_LEASE_DENY;
            reason = text;
        } else if (has_blank(text)) {
            reason = text;
        } else {
            host = text;
        }
        break;
    default:
        return ipl_diag_set(d, IPL_EPARSE, "unhandled dnsmasq message type '%s'", tn);
    }

    /* stream state: INFORM -> ACK, v6 client message -> REPLY (keys hashed only for those) */
    int v6_client = pk->v6 && (pk->t == DQ_SOLICIT || pk->t == DQ_REQUEST || pk->t == DQ_RENEW ||
                               pk->t == DQ_REBIND || pk->t == DQ_CONFIRM);
    if (st && (pk->t == DQ_INFORM || pk->t == DQ_ACK || v6_client ||
               (pk->t == DQ_REPLY && kind == IPL_K_LEASE_ASSIGN))) {
        uint64_t h = UINT64_C(14695981039346656037);
        h = fnv(h, (dq_sl){env->pid, env->pid_len});
        h = fnv(h, pk->xid);
        h = fnv(h, pk->iface);
        uint64_t client = fnv(h, pk->id) | 1;          /* never 0 (= none) */
        uint64_t full = fnv(client, pk->addr) | 1;
        if (pk->t == DQ_INFORM) {
            st->inform_key = kind == IPL_K_LEASE_INFORM ? full : 0;
        } else if (pk->t == DQ_ACK) {
            if (st->inform_key == full)
                kind = IPL_K_LEASE_INFORM;
            st->inform_key = 0;
        } else if (v6_client) {
            st->v6_key = client;
            st->v6_type = pk->t;
        } else if (st->v6_key == client) {
            if (st->v6_type == DQ_RENEW || st->v6_type == DQ_REBIND)
                kind = IPL_K_LEASE_RENEW;
            else if (st->v6_type == DQ_CONFIRM)
                kind = IPL_K_LEASE_V6_CONFIRM;
        }
    }
    ev.kind = (uint16_t)kind;

    if (host.n && (rc = str_copy(ctx, host, "host name", &ev.host, d)) != IPL_OK)
        return rc;
    if ((rc = attr(&ev, IPL_A_CODE, pk->type, d)) != IPL_OK ||
        (rc = attr(&ev, IPL_A_IFACE, pk->iface, d)) != IPL_OK ||
        (pk->xid.n && (rc = attr(&ev, IPL_A_XID, pk->xid, d)) != IPL_OK) ||
        (reason.n && (rc = attr(&ev, IPL_A_REASON, reason, d)) != IPL_OK) ||
        (message.n && (rc = attr(&ev, IPL_A_MESSAGE, message, d)) != IPL_OK))
        return rc;
    return emit(emit_ctx, &ev);
}

/* One dnsmasq message (any tag of ours). st is NULL for the router's sub. */
static int dq_message(ipl_parse_ctx *ctx, const ipl_syslog *env, void *state, ipl_emit_fn emit,
                      void *emit_ctx, ipl_diag *d)
{
    dq_state *st = state;
    const char *s = env->msg;
    size_t n = env->msg_len;
    if (n > DQ_MSG_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "message is %zu bytes, longer than the %d-byte limit",
                            n, DQ_MSG_MAX);
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the message",
                            (size_t)(nul - s));
    n = trim_right((dq_sl){s, n}).n;
    if (n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "empty dnsmasq message");
    dq_pkt pk;
    int strict = env->tag_len == 12 && memcmp(env->tag, "dnsmasq-dhcp", 12) == 0;
    int rc = split_packet(s, n, &pk, strict, d);
    if (rc <= 0)
        return rc;                                   /* no event, or an error */
    return emit_packet(ctx, env, &pk, st, emit, emit_ctx, d);
}

static int dq_sub_message(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_emit_fn emit,
                          void *emit_ctx, ipl_diag *d)
{
    return dq_message(ctx, env, NULL, emit, emit_ctx, d);
}

static const char *const dq_tags[] = {"dnsmasq-dhcp", "dnsmasq", NULL};

const ipl_syslog_sub ipl_syslog_sub_dnsmasq = {
    .name = "dnsmasq",
    .tags = dq_tags,
    .message = dq_sub_message,
};

/* ---- the parser "dnsmasq": a syslog file of dnsmasq lines -------------------------------- */

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static int dnsmasq_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                        ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    return ipl_syslog_tagged_line(ctx, line, len, dq_tags, dq_message, state, emit, emit_ctx, d);
}

/* Scores a sample: every line must be syslog; 90 when all are dnsmasq's (a file written by
 * dnsmasq or filtered for it), less than the router's 70 when other programs are mixed in (the
 * router reads those, through the same sub, without the stream state). */
static int dnsmasq_probe(const char *s, size_t len)
{
    return ipl_syslog_probe_tags(s, len, dq_tags);
}

const ipl_parser ipl_parser_dnsmasq = {
    .name = "dnsmasq",
    .summary = "dnsmasq DHCP syslog lines (tags dnsmasq-dhcp, dnsmasq), v4 and v6",
    .state_size = sizeof(dq_state),
    .probe = dnsmasq_probe,
    .init = NULL,
    .line = dnsmasq_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};

/* ---- the parser "dnsmasq-leases": the lease file ----------------------------------------- */

#define DQL_FIELDS 5

static const char *const dql_names[DQL_FIELDS] = {
    "expiry", "hardware address", "address", "host name", "client-id",
};
static const char *const dql_names6[DQL_FIELDS] = {
    "expiry", "IAID", "address", "host name", "client DUID",
};

static int dql_bad(ipl_diag *d, int v6, size_t i, dq_sl f, const char *what)
{
    char q[DQ_QBUF];
    return ipl_diag_set(d, IPL_EPARSE, "field %zu (%s) '%s' %s", i + 1,
                        v6 ? dql_names6[i] : dql_names[i], quote(q, f.p, f.n), what);
}

/* Splits a lease line into up to 5 blank-separated fields; returns the count (6 = more). */
static size_t dql_split(const char *s, size_t n, dq_sl f[DQL_FIELDS])
{
    size_t nf = 0, i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        if (nf == DQL_FIELDS)
            return DQL_FIELDS + 1;
        f[nf++] = (dq_sl){s + b, i - b};
    }
    return nf;
}

static int all_digits(dq_sl s)
{
    if (s.n == 0)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (!is_digit((unsigned char)s.p[i]))
            return 0;
    return 1;
}

/* "XX-" hardware type prefix: returns the type (0-255) and moves s past it, or -1. */
static int hw_type(dq_sl *s)
{
    if (s->n < 3 || !is_hex((unsigned char)s->p[0]) || !is_hex((unsigned char)s->p[1]) ||
        s->p[2] != '-')
        return -1;
    int v = hex_val2(s->p);
    s->p += 3;
    s->n -= 3;
    return v;
}

/* Shape check for the probe and the first test of a line: 1 lease row, 2 duid line, 0 other. */
static int dql_shape(const char *s, size_t n)
{
    dq_sl f[DQL_FIELDS];
    size_t nf = dql_split(s, n, f);
    if (nf == 2 && sl_is(f[0], "duid"))
        return colon_hex(f[1]) ? 2 : 0;
    if (nf != DQL_FIELDS || !all_digits(f[0]) || f[0].n > 12)
        return 0;
    uint8_t ip[16];
    if (ipl_ip_parse(f[2].p, f[2].n, ip) != IPL_OK)
        return 0;
    if (!sl_is(f[4], "*") && !colon_hex(f[4]))
        return 0;
    if (memchr(f[2].p, ':', f[2].n)) {               /* v6: [T]iaid */
        dq_sl ia = f[1];
        if (ia.n && ia.p[0] == 'T') {
            ia.p++;
            ia.n--;
        }
        return all_digits(ia) && ia.n <= 10;
    }
    dq_sl hw = f[1];
    int t = hw_type(&hw);
    return (hw.n == 0 && t >= 0) || colon_hex(hw) ? 1 : 0;
}

static int leases_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                       void *emit_ctx, ipl_diag *d)
{
    char q[DQ_QBUF];
    if (n > DQ_LINE_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                            DQ_LINE_MAX);
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the lease line",
                            (size_t)(nul - s));
    while (n && s[n - 1] == '\r')
        n--;
    if (blank_line(s, n))
        return IPL_OK;
    dq_sl f[DQL_FIELDS];
    size_t nf = dql_split(s, n, f);
    if (nf >= 1 && sl_is(f[0], "duid")) {
        if (nf != 2)
            return ipl_diag_set(d, IPL_EPARSE, "'duid' line has %zu fields, expected 2", nf);
        if (!colon_hex(f[1]))
            return ipl_diag_set(d, IPL_EPARSE, "server DUID '%s' is not colon-separated hex",
                                quote(q, f[1].p, f[1].n));
        return IPL_OK;                               /* the server's own DUID */
    }
    if (nf != DQL_FIELDS)
        return ipl_diag_set(d, IPL_EPARSE, "lease line has %s%zu fields, expected 5: '%s'",
                            nf > DQL_FIELDS ? "more than " : "", nf > DQL_FIELDS ? 5 : nf,
                            quote(q, s, n));
    /* the family is the address's */
    ipl_event ev;
    ipl_event_reset(&ev);
    int v6 = memchr(f[2].p, ':', f[2].n) != NULL;
    if (ipl_ip_parse(f[2].p, f[2].n, ev.ip) != IPL_OK || ipl_ip_is_v4(ev.ip) == v6)
        return dql_bad(d, v6, 2, f[2], v6 ? "is not an IPv6 address" : "is not an IPv4 address");
    ev.has_ip = 1;
    ev.server = ctx->server;

    /* expiry */
    if (!all_digits(f[0]) || f[0].n > 12)
        return dql_bad(d, v6, 0, f[0], "is not a number of seconds");
    int64_t exp = 0;
    for (size_t i = 0; i < f[0].n; i++)
        exp = exp * 10 + (f[0].p[i] - '0');
    if (exp > DQ_EPOCH_MAX)
        return dql_bad(d, v6, 0, f[0], "is past the year 9999");

    int rc;
    if (!v6) {
        dq_sl hw = f[1];
        int t = hw_type(&hw);
        size_t nb = colon_hex(hw);
        if (!nb && !(hw.n == 0 && t >= 0))
            return dql_bad(d, v6, 1, f[1], "is not a hardware address (colon hex, optionally "
                           "after 'NN-')");
        char *hex = NULL;
        if (nb && (rc = hex_copy(ctx, hw, nb, "hardware address", &hex, d)) != IPL_OK)
            return rc;
        if (nb == 6 && (t < 0 || t == 1 || t == 6))
            ev.mac = hex;
        else if (nb)
            ev.duid = hex;
        if (!sl_is(f[4], "*")) {
            size_t cb = colon_hex(f[4]);
            if (!cb)
                return dql_bad(d, v6, 4, f[4], "is neither '*' nor colon-separated hex");
            char *cid;
            if ((rc = hex_copy(ctx, f[4], cb, "client-id", &cid, d)) != IPL_OK)
                return rc;
            if ((rc = attr(&ev, IPL_A_CLIENT_ID, (dq_sl){cid, 2 * cb}, d)) != IPL_OK)
                return rc;
            if (nb == 0 && cb > 3)                   /* dnsmasq's extended_hwaddr() */
                ev.duid = (t >= 0 && hex_val2(cid) == t) ? cid + 2 : cid;
        }
    } else {
        dq_sl ia = f[1];
        int temp = ia.n && ia.p[0] == 'T';
        if (temp) {
            ia.p++;
            ia.n--;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < ia.n && i < 11; i++)
            v = v * 10 + (uint64_t)(ia.p[i] - '0');
        if (!all_digits(ia) || ia.n > 10 || v > UINT32_MAX)
            return dql_bad(d, v6, 1, f[1], "is not an IAID ([T]0-4294967295)");
        if (!sl_is(f[4], "*")) {
            size_t cb = colon_hex(f[4]);
            if (!cb)
                return dql_bad(d, v6, 4, f[4], "is neither '*' nor colon-separated hex");
            char *duid;
            if ((rc = hex_copy(ctx, f[4], cb, "client DUID", &duid, d)) != IPL_OK)
                return rc;
            ev.duid = duid;
            if ((rc = duid_mac(ctx, &ev, duid, d)) != IPL_OK)
                return rc;
        }
        if ((rc = attr(&ev, IPL_A_IAID, ia, d)) != IPL_OK ||
            (rc = attr_lit(&ev, IPL_A_LEASE_TYPE, temp ? "IA_TA" : "IA_NA", d)) != IPL_OK)
            return rc;
    }
    if (!sl_is(f[3], "*") && (rc = str_copy(ctx, f[3], "host name", &ev.host, d)) != IPL_OK)
        return rc;

    /* the snapshot rule */
    int64_t now_s = ctx->now / IPL_US_PER_SEC;
    if (exp == 0) {
        ev.kind = IPL_K_LEASE_ASSIGN;
        ev.ts = ctx->now;
        rc = attr_lit(&ev, IPL_A_LIFETIME, "infinite", d);
    } else if (exp < DQ_EPOCH_MIN) {
        ev.kind = IPL_K_LEASE_ASSIGN;
        ev.ts = ctx->now;
        rc = attr(&ev, IPL_A_LIFETIME, f[0], d);
    } else {
        char *iso = ipl_arena_alloc(ctx->arena, IPL_TIME_BUF);
        if (!iso)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory formatting the expiry");
        size_t il = ipl_time_format(exp * IPL_US_PER_SEC, iso, IPL_TIME_BUF);
        if (exp > now_s) {
            ev.kind = IPL_K_LEASE_ASSIGN;
            ev.ts = ctx->now;
        } else {
            ev.kind = IPL_K_LEASE_EXPIRE;
            ev.ts = exp * IPL_US_PER_SEC;
        }
        rc = attr(&ev, IPL_A_LEASE_END, (dq_sl){iso, il}, d);
    }
    if (rc != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

static int leases_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int rows = 0, lines = 0;
    while (pos < len && lines < 16) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        int partial = nl == NULL && pos > 0;
        pos = end + 1;
        while (n && l[n - 1] == '\r')
            n--;
        if (partial || blank_line(l, n))
            continue;
        if (n > DQ_LINE_MAX || memchr(l, '\0', n))
            return 0;
        int k = dql_shape(l, n);
        if (k == 0)
            return 0;
        rows += k == 1;
        lines++;
    }
    return rows ? 95 : 0;
}

const ipl_parser ipl_parser_dnsmasq_leases = {
    .name = "dnsmasq-leases",
    .summary = "dnsmasq lease file (dnsmasq.leases): the leases held when it was written, v4 and v6",
    .state_size = 0,
    .probe = leases_probe,
    .init = NULL,
    .line = leases_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
