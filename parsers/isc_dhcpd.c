/* parsers/isc_dhcpd.c — ISC DHCP (dhcpd 4.x): its syslog lines and its lease files.
 * Spec: FORMATS.md section 2 (2.2-2.7) and 9. Three entries:
 *
 *   ipl_syslog_sub_isc_dhcpd  the message parser for syslog tag "dhcpd" (used by the "syslog"
 *                             router, parsers/syslog_router.c)
 *   "isc-dhcpd"               a syslog file of dhcpd lines: the envelope (parsers/syslog.c) + the sub
 *   "isc-leases"              dhcpd.leases and dhcpd6.leases
 *
 * ==== Syslog messages (2.2, 2.3) =============================================================
 *
 *   DHCPDISCOVER from <id> [(<host>) ]via <via>[: <reason>]           -> lease.request
 *   DHCPOFFER on <ip> to <id> [(<host>) ]via <via>                    -> lease.offer
 *   DHCPREQUEST for <ip>[ (<server-id>)] from <id> [(<host>) ]via <via>[: <reason>] -> lease.request
 *   DHCPACK on <ip> to <id> [(<host>) ]via <via>                      -> lease.assign
 *   DHCPACK to <ip> (<mac>|<no client hardware address>) via <via>   -> lease.inform (INFORM reply)
 *   DHCPNAK on <ip> to <id> via <via>                                 -> lease.deny
 *   DHCPRELEASE of <ip> from <id> [(<host>) ]via <via> (found|not found) -> lease.release
 *   DHCPDECLINE of <ip> from <id> [(<host>) ]via <via>: <status>      -> lease.decline
 *   DHCPINFORM from <ciaddr> via <via>[: <reason>]                    -> lease.inform
 *   BOOTREQUEST from <id> via <via>[: <reason>]                       -> lease.request
 *   BOOTREPLY on <ip> to <id> [(<host>) ]via <via>                    -> lease.bootp
 * A "DHCP4o6 " prefix is accepted (via is then the IPv6 peer). A DISCOVER/REQUEST/INFORM whose
 * reason says "no free leases" or "all free leases" is lease.exhausted instead. Any of the
 * types may also come as "<TYPE> from <id> via <if>: <reason>" (e.g. "unknown network segment").
 *
 * DHCPACK: assign or renew? The ACK line reads the same for a first binding and a renewal;
 * only the REQUEST before it differs (SELECTING carries "(server-id)", RENEWING/REBINDING and
 * INIT-REBOOT do not), and it is another line that the stateless sub cannot see. So every
 * "DHCPACK on" is lease.assign (who/track treat assign and renew alike: both open a lease), and
 * the REQUEST events keep the server id as the "server_id" attribute for a reader who wants to
 * tell the states apart.
 *
 * Fields: ip = the lease address (the requested one on REQUEST, ciaddr on INFORM); <id> is the
 * hardware address, or the client identifier when the hardware type is 0: colon-hex with 1- or
 * 2-digit groups (older dhcpd prints "0:c:29:ab:cd:ef"; groups are zero-padded here). Six bytes
 * are the MAC (ev->mac, canonical); any other length goes canonical into ev->duid (the event's
 * client-identifier slot, as parsers/mswin_dhcp.c does) and "01" + 6 bytes also yields ev->mac.
 * "<no identifier>" leaves both empty. host = the name in parentheses, as logged, except dhcpd's
 * placeholder "Hostname Unsuitable for Printing" (no host). server = ctx->server, else the
 * syslog host. Attributes: relay_ip (via is an address: the relay's giaddr, or the DHCP4o6 peer)
 * or interface (via is the receiving interface name), server_id (REQUEST), reason (the text after
 * ": "), status ("found"/"not found" on RELEASE, the DECLINE outcome).
 *
 * DHCPv6 (2.3):
 *   <Reply|Advertise> NA|TA: address <ip6> to client with duid <hex> iaid = <n> valid for <n> seconds
 *   <Reply|Advertise> PD: address <prefix>/<len> to client with duid <hex> iaid = <n> ... | static
 *       Reply -> lease.assign, Advertise -> lease.offer; duid canonical (and the MAC of a
 *       DUID-LLT/LL), attributes iaid, ia_type (na/ta/pd), prefix_len (PD), lifetime (valid
 *       seconds) and lease_end (ts + valid, ISO; "never" when static)
 *   Client <duid> releases address <ip6> | releases prefix <p>/<len>     -> lease.release
 *   Client <duid> declines address <ip6>[, which is not offered to it.]  -> lease.decline
 *       (status "not offered" with that suffix)
 *   <Msg> message from ..., Relay-forward message from ..., Sending <Msg> to ... -> nothing
 *       (packet traces: their addresses are link-local sources, not leases)
 *
 * Address conflicts (v4):
 *   Abandoning IP address <ip>: <reason>                                -> lease.conflict
 *   ICMP Echo reply while lease <ip> valid.                             -> lease.conflict
 *       (another device answers for the address; no client is named, reason kept)
 *
 * Everything else dhcpd logs (start-up banner, "Wrote 12 leases to leases file.", "Listening
 * on ...", failover chatter) carries no lease and emits nothing. But a line that starts like one
 * of the lease messages above ("DHCPACK ...", "Reply NA: ...", "Client <x> releases ...") and
 * does not match its grammar is an error naming the part, never silently dropped.
 *
 * The "isc-dhcpd" parser: the envelope must parse (else the envelope's error); tag "dhcpd" goes
 * to the sub; an untagged line (sysklogd "last message repeated N times") emits nothing; any
 * other tag is an error (this format is a dhcpd-only file: use "syslog" for mixed files). rsyslog
 * "message repeated N times: [ MSG]" is unwrapped as the router does (ipl_syslog_unrepeat).
 * Probe: 90 when the sample's tagged lines are all dhcpd, 40 when some are (the router scores 70
 * there), else 0.
 *
 * ==== Lease files (2.5-2.7) ==================================================================
 *
 * A token stream across lines (statements may span lines; the writer puts one per line):
 * words, "strings" (with \" \\ \ooo escapes, never across lines), ; { } = , and # comments.
 * Top level: "authoring-byte-order little-endian|big-endian;" (byte order of v6 IAIDs; absent =
 * little-endian, what older x86 servers wrote), "server-duid ...;" (ignored), "lease <ip4> {}",
 * "ia-na|ia-ta|ia-pd <iaid+duid> {}" (also spelled ia_na as in the man page); every other
 * statement or block (host, group, class, failover peer ...) is skipped to its ';' or '}', as are
 * unknown statements inside blocks and nested "on expiry { ... }" blocks.
 *
 * Events, one per lease block and one per iaaddr/iaprefix of an IA block, emitted in file order
 * when the block closes:
 *   binding state active     -> lease.assign at `starts` (v6: at the IA's `cltt`, else ends -
 *                               max-life), attribute lease_end = `ends` as ISO text ("never" for
 *                               "ends never"); lease.bootp instead when flagged dynamic-bootp
 *   binding state released   -> lease.release at `ends` (dhcpd sets ends to the release time)
 *   binding state expired    -> lease.expire at `ends`
 *   binding state free       -> lease.expire at `ends` when the block names a client
 *                               (hardware or uid) and has an `ends`; an unused pool address emits
 *                               nothing (expired leases become free and keep their client)
 *   binding state abandoned  -> lease.conflict (declined, or another device answered the ping)
 *                               at `cltt`, else `starts`, else `ends`; the MAC of the block is
 *                               kept but, as the kind says, must not be bound to the address
 *   backup, reset            -> nothing (failover pool bookkeeping, no client)
 *   no binding state         -> as active (dhcpd 2.x files); an "abandoned;" flag as abandoned
 * The file is log-structured: the last block for an address wins. Ingest appends events in
 * file order, so emitting each block's event in order gives the right history: a later free or
 * released block for the same address closes the lease an earlier active block opened, and a
 * later active block (a renewal) re-opens it with its new start. A rewritten file (dhcpd dumps
 * all leases at start-up and periodically) repeats the blocks of live leases: the same events
 * again, at the same instants.
 *
 * Times: "W YYYY/MM/DD HH:MM:SS" UTC (the weekday is not checked), "epoch <seconds>" (UTC;
 * db-time-format local), "never". Fields: v4 ip, mac = hardware ethernet (1-2 digit groups
 * padded), host = client-hostname (escapes decoded; kept as written when it decodes to control
 * bytes), uid decoded (quoted octal string or colon hex) to canonical hex: the "client_id"
 * attribute when a MAC is known, else ev->duid (and "01" + MAC gives the MAC), vendor_class =
 * set vendor-class-identifier. v6: the IA's string is IAID (4 bytes, authoring byte order) +
 * DUID; ev->duid, the MAC of a DUID-LLT/LL, attributes iaid, ia_type, prefix_len (iaprefix),
 * lifetime = max-life. server = ctx->server (a lease file does not name its server).
 *
 * Errors: a malformed date, address, hardware address, string or binding state names the block
 * and the statement ("lease 10.0.0.1: 'starts' date '...' is not ..."); the block then emits
 * nothing (reading goes on to its '}'), and its later lines are not errors again. A block still
 * open when a new top-level "lease"/"ia-*" line starts at column 0 was cut (a crash mid-write):
 * it is discarded with an error on that line, which then opens the new block (if that line also
 * closes it, its event is emitted as well). finish() reports a block or statement left open at
 * the end of input (discarded) and leaves the state idle. pending() is 1 inside a block or a
 * statement, so ingest never commits a position inside a record (and re-reads a record that is
 * still being written on the next run). Reasons never quote file line numbers: ingest may resume
 * a file mid-way with a fresh state, and records the line of each quarantined line itself.
 * Caps: line 65536 bytes, a statement 64 tokens / 8192 bytes, nesting 32, 64 addresses per IA,
 * strings to IPL_STR_MAX where they become event strings.
 *
 * Pure: no I/O, no clock, no globals written; no per-line malloc (state is fixed-size, strings of
 * an event live in the state or ctx->arena).
 */
#include "parsers/parser.h"
#include "parsers/syslog.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ISC_QUOTE_MAX  48
#define ISC_QBUF       (4 * ISC_QUOTE_MAX + 4)
#define ISC_ID_MAX     128           /* bytes of a client identifier / DUID */
#define ISC_IF_MAX     64            /* bytes of an interface name */
#define ISC_LINE_MAX   65536
#define ISC_TOK_MAX    64            /* tokens per lease-file statement */
#define ISC_STMT_MAX   8192          /* bytes of token text per statement */
#define ISC_DEPTH_MAX  32
#define ISC_IA_MAX     64            /* iaaddr/iaprefix per IA */
#define ISC_HOST_MAX   (IPL_STR_MAX - 1)
#define ISC_VENDOR_MAX 256
#define ISC_SAMPLE_MAX 65536        /* probe samples are at most this long (engine/parser.h) */

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, ISC_QUOTE_MAX);
}

static int starts_with(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n >= m && memcmp(s, lit, m) == 0;
}

static int contains(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(s + i, lit, m) == 0)
            return 1;
    return 0;
}

/* Decimal without sign, at most 18 digits. */
static int parse_u64(const char *s, size_t n, long long *v)
{
    if (n == 0 || n > 18)
        return 0;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* Colon-hex with 1- or 2-digit groups ("0:c:29:ab:cd:ef", "00:01:00:01:...") -> bytes. Returns
 * the byte count, or -1 (not colon-hex, or more than `cap` bytes). */
static int colon_hex(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, nb = 0;
    if (n == 0)
        return -1;
    for (;;) {
        int a = i < n ? ipl_text_hex((unsigned char)s[i]) : -1;
        if (a < 0)
            return -1;
        i++;
        int b = i < n ? ipl_text_hex((unsigned char)s[i]) : -1;
        if (b >= 0) {
            a = a * 16 + b;
            i++;
        }
        if (nb == cap)
            return -1;
        out[nb++] = (uint8_t)a;
        if (i == n)
            return (int)nb;
        if (s[i] != ':')
            return -1;
        i++;
    }
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* A MAC from 6 bytes, through ipl_mac_canon (the one canonicaliser). */
static int mac_from_bytes(const uint8_t *b, char out[13])
{
    char txt[13];
    to_hex(b, 6, txt);
    return ipl_mac_canon(txt, 12, out);
}

static char *arena_copy(ipl_parse_ctx *ctx, const char *s, size_t n, int *err, ipl_diag *d)
{
    char *p = ipl_arena_strndup(ctx->arena, s, n);
    if (!p)
        *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %zu bytes", n);
    return p;
}

static int add_attr(ipl_event *ev, unsigned key, const char *v, size_t n, ipl_diag *d)
{
    if (n > IPL_ATTR_VAL_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "attribute '%s' is %zu bytes long, longer than the "
                            "%d-byte limit", ipl_attr_name(key), n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, v, n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event at '%s'", ipl_attr_name(key));
    return IPL_OK;
}

static int add_attr_str(ipl_event *ev, unsigned key, const char *v, ipl_diag *d)
{
    return add_attr(ev, key, v, strlen(v), d);
}

/* ISO text of a time into the arena. */
static const char *iso_time(ipl_parse_ctx *ctx, int64_t us, int *err, ipl_diag *d)
{
    char buf[IPL_TIME_BUF];
    size_t n = ipl_time_format(us, buf, sizeof buf);
    return arena_copy(ctx, buf, n, err, d);
}

/* ==== syslog messages ======================================================================== */

typedef struct isc_cur {
    const char *s;
    size_t      i, n;
} isc_cur;

static int eat(isc_cur *c, const char *lit)
{
    size_t m = strlen(lit);
    if (c->n - c->i < m || memcmp(c->s + c->i, lit, m) != 0)
        return 0;
    c->i += m;
    return 1;
}

/* The next word (up to a blank or the end); may be empty. */
static void next_word(isc_cur *c, const char **p, size_t *n)
{
    size_t b = c->i;
    while (c->i < c->n && c->s[c->i] != ' ')
        c->i++;
    *p = c->s + b;
    *n = c->i - b;
}

typedef struct isc_span {
    const char *p;
    size_t      n;
} isc_span;

enum { T_NONE, T_DISCOVER, T_OFFER, T_REQUEST, T_ACK, T_NAK, T_RELEASE, T_DECLINE, T_INFORM,
       T_BOOTREQUEST, T_BOOTREPLY };

static const struct {
    const char *name;
    int type;
} v4_types[] = {
    {"DHCPDISCOVER", T_DISCOVER}, {"DHCPOFFER", T_OFFER},     {"DHCPREQUEST", T_REQUEST},
    {"DHCPACK", T_ACK},           {"DHCPNAK", T_NAK},         {"DHCPRELEASE", T_RELEASE},
    {"DHCPDECLINE", T_DECLINE},   {"DHCPINFORM", T_INFORM},   {"BOOTREQUEST", T_BOOTREQUEST},
    {"BOOTREPLY", T_BOOTREPLY},
};

/* The common start of an event from a syslog line. */
static int ev_start(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_event *ev, int kind, ipl_diag *d)
{
    ipl_event_reset(ev);
    ev->ts = env->ts;
    ev->kind = (uint16_t)kind;
    if (ctx->server) {
        ev->server = ctx->server;
    } else if (env->host_len) {
        if (env->host_len >= IPL_STR_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "syslog host is %zu bytes long, longer than the "
                                "%d-byte limit", env->host_len, IPL_STR_MAX - 1);
        int err = IPL_OK;
        ev->server = arena_copy(ctx, env->host, env->host_len, &err, d);
        if (err != IPL_OK)
            return err;
    }
    return IPL_OK;
}

/* A v4 client identifier (hardware address or client id) into ev->mac / ev->duid. */
static int client_id(ipl_parse_ctx *ctx, ipl_event *ev, isc_span id, ipl_diag *d)
{
    char q[ISC_QBUF];
    uint8_t b[ISC_ID_MAX];
    if (ipl_text_is(id.p, id.n, "<no identifier>") || ipl_text_is(id.p, id.n, "<null>"))
        return IPL_OK;
    int nb = colon_hex(id.p, id.n, b, sizeof b);
    if (nb < 1)
        return ipl_diag_set(d, IPL_EPARSE, "client identifier '%s' is not a colon-separated "
                            "hardware address or client id", quote(q, id.p, id.n));
    char *mac = NULL;
    if (nb == 6 || (nb == 7 && b[0] == 1)) {
        mac = ipl_arena_alloc(ctx->arena, 13);
        if (!mac)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the MAC address");
        if (mac_from_bytes(b + (nb == 7), mac) != IPL_OK)
            return ipl_diag_set(d, IPL_EPARSE, "client identifier '%s' is not a MAC address",
                                quote(q, id.p, id.n));
        ev->mac = mac;
    }
    if (nb != 6) {
        char *hex = ipl_arena_alloc(ctx->arena, 2 * (size_t)nb + 1);
        if (!hex)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the client identifier");
        to_hex(b, (size_t)nb, hex);
        ev->duid = hex;
    }
    return IPL_OK;
}

static int valid_ifname(const char *s, size_t n)
{
    if (n == 0 || n > ISC_IF_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')')
            return 0;
    }
    return 1;
}

/* "via <x>": an address -> relay_ip, a name -> interface. */
static int via_attr(ipl_event *ev, isc_span via, ipl_diag *d)
{
    char q[ISC_QBUF];
    uint8_t ip[16];
    if (ipl_ip_parse(via.p, via.n, ip) == IPL_OK)
        return add_attr(ev, IPL_A_RELAY_IP, via.p, via.n, d);
    if (!valid_ifname(via.p, via.n))
        return ipl_diag_set(d, IPL_EPARSE, "'via %s' is neither an address nor an interface name",
                            quote(q, via.p, via.n));
    return add_attr(ev, IPL_A_IFACE, via.p, via.n, d);
}

static int parse_ip4(isc_span sp, uint8_t ip[16])
{
    return ipl_ip_parse(sp.p, sp.n, ip) == IPL_OK && ipl_ip_is_v4(ip) &&
           memchr(sp.p, ':', sp.n) == NULL;
}

static int v4_message(ipl_parse_ctx *ctx, const ipl_syslog *env, isc_cur *c, int type,
                      const char *tname, ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    char q[ISC_QBUF], q2[ISC_QBUF];
    isc_span ip = {0}, sid = {0}, id = {0}, host = {0}, via = {0}, reason = {0}, status = {0};
    int ack_to = 0;

    if (type == T_ACK && eat(c, "to ")) {                   /* reply to DHCPINFORM */
        next_word(c, &ip.p, &ip.n);
        if (!eat(c, " ("))
            return ipl_diag_set(d, IPL_EPARSE, "%s to '%s' is not followed by ' (<mac>)'", tname,
                                quote(q, ip.p, ip.n));
        size_t b = c->i;
        while (c->i < c->n && c->s[c->i] != ')')
            c->i++;
        if (c->i == c->n)
            return ipl_diag_set(d, IPL_EPARSE, "%s to %s: '(' without ')'", tname,
                                quote(q, ip.p, ip.n));
        id.p = c->s + b;
        id.n = c->i - b;
        if (ipl_text_is(id.p, id.n, "<no client hardware address>"))
            id.n = 0;
        c->i++;
        ack_to = 1;
    } else {
        if (eat(c, "on ") || eat(c, "of ") || eat(c, "for ")) {
            next_word(c, &ip.p, &ip.n);
            if (type == T_REQUEST && c->n - c->i > 2 && c->s[c->i] == ' ' && c->s[c->i + 1] == '(') {
                size_t b = c->i + 2, e = b;
                while (e < c->n && c->s[e] != ')' && c->s[e] != ' ')
                    e++;
                if (e < c->n && c->s[e] == ')') {
                    sid.p = c->s + b;
                    sid.n = e - b;
                    c->i = e + 1;
                }
            }
            if (!eat(c, " "))
                return ipl_diag_set(d, IPL_EPARSE, "%s %s: the address is not followed by "
                                    "' from'/' to'", tname, quote(q, ip.p, ip.n));
        }
        if (eat(c, "from ") || eat(c, "to ")) {
            if (eat(c, "<no identifier>")) {
                id.p = "<no identifier>";
                id.n = 15;
            } else {
                next_word(c, &id.p, &id.n);
            }
        } else {
            return ipl_diag_set(d, IPL_EPARSE, "%s: expected 'from <client>' or 'to <client>' at "
                                "'%s'", tname, quote(q, c->s + c->i, c->n - c->i));
        }
    }
    /* optional "(hostname)" then " via " */
    if (!ack_to && c->n - c->i > 2 && c->s[c->i] == ' ' && c->s[c->i + 1] == '(') {
        size_t b = c->i + 2, e = b;
        for (; e + 6 <= c->n; e++)
            if (memcmp(c->s + e, ") via ", 6) == 0)
                break;
        if (e + 6 > c->n)
            return ipl_diag_set(d, IPL_EPARSE, "%s: hostname '(%s' is not followed by ') via '",
                                tname, quote(q, c->s + b, c->n - b));
        host.p = c->s + b;
        host.n = e - b;
        c->i = e + 1;
    }
    if (!eat(c, " via "))
        return ipl_diag_set(d, IPL_EPARSE, "%s: expected ' via <relay|interface>' at '%s'", tname,
                            quote(q, c->s + c->i, c->n - c->i));
    next_word(c, &via.p, &via.n);
    if (via.n > 1 && via.p[via.n - 1] == ':' && c->i + 1 < c->n) {
        via.n--;                                         /* "via eth0: <reason>" */
        reason.p = c->s + c->i + 1;
        reason.n = c->n - c->i - 1;
    } else if (c->i < c->n) {
        isc_span rest = {c->s + c->i, c->n - c->i};
        if (ipl_text_is(rest.p, rest.n, " (found)")) {
            status.p = "found";
            status.n = 5;
        } else if (ipl_text_is(rest.p, rest.n, " (not found)")) {
            status.p = "not found";
            status.n = 9;
        } else {
            return ipl_diag_set(d, IPL_EPARSE, "%s: unexpected text after 'via %s': '%s'", tname,
                                quote(q, via.p, via.n), quote(q2, rest.p, rest.n));
        }
    }
    if (via.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "%s: 'via' names nothing", tname);
    if (type == T_DECLINE && reason.n) {
        status = reason;                                 /* abandoned | not found | ignored */
        reason.n = 0;
    }
    if (status.n && type != T_RELEASE && type != T_DECLINE)
        return ipl_diag_set(d, IPL_EPARSE, "%s: unexpected '(%.*s)' after via", tname,
                            (int)status.n, status.p);

    /* which parts each type needs */
    int need_ip = 0, no_reason = 0, kind;
    switch (type) {
    case T_DISCOVER:    kind = IPL_K_LEASE_REQUEST; break;
    case T_REQUEST:     kind = IPL_K_LEASE_REQUEST; break;
    case T_BOOTREQUEST: kind = IPL_K_LEASE_REQUEST; break;
    case T_INFORM:      kind = IPL_K_LEASE_INFORM; break;
    case T_OFFER:       kind = IPL_K_LEASE_OFFER; need_ip = no_reason = 1; break;
    case T_ACK:         kind = ack_to ? IPL_K_LEASE_INFORM : IPL_K_LEASE_ASSIGN;
                        need_ip = no_reason = 1; break;
    case T_NAK:         kind = IPL_K_LEASE_DENY; need_ip = no_reason = 1; break;
    case T_BOOTREPLY:   kind = IPL_K_LEASE_BOOTP; need_ip = no_reason = 1; break;
    case T_RELEASE:     kind = IPL_K_LEASE_RELEASE; break;
    case T_DECLINE:     kind = IPL_K_LEASE_DECLINE; break;
    default:            return IPL_OK;
    }
    if (need_ip && ip.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "%s has no address", tname);
    if (no_reason && reason.n)
        return ipl_diag_set(d, IPL_EPARSE, "%s: unexpected suffix ': %s'", tname,
                            quote(q, reason.p, reason.n));
    if ((type == T_RELEASE || type == T_DECLINE) && ip.n == 0 && reason.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "%s has no address", tname);
    if (reason.n && (contains(reason.p, reason.n, "no free leases") ||
                     contains(reason.p, reason.n, "all free leases")))
        kind = IPL_K_LEASE_EXHAUSTED;

    ipl_event ev;
    int rc = ev_start(ctx, env, &ev, kind, d);
    if (rc != IPL_OK)
        return rc;
    if (type == T_INFORM) {                              /* "from <ciaddr>" */
        if (!parse_ip4(id, ev.ip))
            return ipl_diag_set(d, IPL_EPARSE, "%s from '%s': not an IPv4 address", tname,
                                quote(q, id.p, id.n));
        ev.has_ip = 1;
    } else {
        if (ip.n) {
            if (!parse_ip4(ip, ev.ip))
                return ipl_diag_set(d, IPL_EPARSE, "%s: address '%s' is not an IPv4 address", tname,
                                    quote(q, ip.p, ip.n));
            ev.has_ip = 1;
        }
        if (id.n && (rc = client_id(ctx, &ev, id, d)) != IPL_OK)
            return rc;
    }
    if (host.n && !ipl_text_is(host.p, host.n, "Hostname Unsuitable for Printing")) {
        if (host.n > ISC_HOST_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "%s: hostname is %zu bytes long, longer than the "
                                "%d-byte limit", tname, host.n, ISC_HOST_MAX);
        ev.host = arena_copy(ctx, host.p, host.n, &rc, d);
        if (rc != IPL_OK)
            return rc;
    }
    if ((rc = via_attr(&ev, via, d)) != IPL_OK)
        return rc;
    if (sid.n) {
        uint8_t sip[16];
        if (ipl_ip_parse(sid.p, sid.n, sip) != IPL_OK)
            return ipl_diag_set(d, IPL_EPARSE, "%s: server identifier '(%s)' is not an address",
                                tname, quote(q, sid.p, sid.n));
        if ((rc = add_attr(&ev, IPL_A_SERVER_ID, sid.p, sid.n, d)) != IPL_OK)
            return rc;
    }
    if (reason.n && (rc = add_attr(&ev, IPL_A_REASON, reason.p, reason.n, d)) != IPL_OK)
        return rc;
    if (status.n && (rc = add_attr(&ev, IPL_A_STATUS, status.p, status.n, d)) != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

/* ---- DHCPv6 ---- */

static const char *const v6_msgs[] = {
    "Solicit", "Advertise", "Request", "Confirm", "Renew", "Rebind", "Reply", "Release",
    "Decline", "Reconfigure", "Information-request", "Relay-forward", "Relay-reply",
    "Leasequery", "Leasequery-reply", "Leasequery-done", "Leasequery-data", "DHCPv4-query",
    "DHCPv4-response",
};

static int v6_msg_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof v6_msgs / sizeof v6_msgs[0]; i++)
        if (ipl_text_is(s, n, v6_msgs[i]))
            return 1;
    return 0;
}

/* A DUID "00:01:..." into ev->duid (+ ev->mac from DUID-LLT/LL). */
static int v6_duid(ipl_parse_ctx *ctx, ipl_event *ev, isc_span du, ipl_diag *d)
{
    char q[ISC_QBUF];
    uint8_t b[ISC_ID_MAX];
    int nb = colon_hex(du.p, du.n, b, sizeof b);
    if (nb < 2)
        return ipl_diag_set(d, IPL_EPARSE, "duid '%s' is not colon-separated hex",
                            quote(q, du.p, du.n));
    char *hex = ipl_arena_alloc(ctx->arena, 2 * (size_t)nb + 1);
    char *mac = ipl_arena_alloc(ctx->arena, 13);
    if (!hex || !mac)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the duid");
    to_hex(b, (size_t)nb, hex);
    ev->duid = hex;
    if (ipl_duid_mac(hex, mac) == IPL_OK)
        ev->mac = mac;
    return IPL_OK;
}

/* "<ip6>" or "<ip6>/<len>" -> ev->ip (+ prefix_len attribute when pd). */
static int v6_addr(ipl_event *ev, isc_span a, int pd, const char *what, ipl_diag *d)
{
    char q[ISC_QBUF];
    isc_span ip = a, len = {0};
    const char *slash = memchr(a.p, '/', a.n);
    if (pd) {
        long long pl;
        if (!slash)
            return ipl_diag_set(d, IPL_EPARSE, "%s '%s' has no /length", what, quote(q, a.p, a.n));
        ip.n = (size_t)(slash - a.p);
        len.p = slash + 1;
        len.n = a.n - ip.n - 1;
        if (!parse_u64(len.p, len.n, &pl) || pl > 128)
            return ipl_diag_set(d, IPL_EPARSE, "%s '%s' has an invalid prefix length", what,
                                quote(q, a.p, a.n));
    } else if (slash) {
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not an address", what, quote(q, a.p, a.n));
    }
    if (ipl_ip_parse(ip.p, ip.n, ev->ip) != IPL_OK || ipl_ip_is_v4(ev->ip))
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not an IPv6 address", what,
                            quote(q, ip.p, ip.n));
    ev->has_ip = 1;
    if (pd)
        return add_attr(ev, IPL_A_PREFIX_LEN, len.p, len.n, d);
    return IPL_OK;
}

/* "<Reply|Advertise> NA|TA|PD: address <a> to client with duid <d> iaid = <n> valid for <n>
 * seconds|static" */
static int v6_binding(ipl_parse_ctx *ctx, const ipl_syslog *env, isc_cur *c, isc_span type,
                      ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    char q[ISC_QBUF];
    const char *iat = c->s + c->i;                       /* "NA: " ... */
    int pd = iat[0] == 'P';
    c->i += 4;
    int kind;
    if (ipl_text_is(type.p, type.n, "Reply"))
        kind = IPL_K_LEASE_ASSIGN;
    else if (ipl_text_is(type.p, type.n, "Advertise"))
        kind = IPL_K_LEASE_OFFER;
    else
        return ipl_diag_set(d, IPL_EPARSE, "'%s %.2s:' is neither a Reply nor an Advertise",
                            quote(q, type.p, type.n), iat);
    isc_span addr, du, iaid, life = {0};
    if (!eat(c, "address "))
        return ipl_diag_set(d, IPL_EPARSE, "%.*s %.2s: expected 'address <ip6>'", (int)type.n,
                            type.p, iat);
    next_word(c, &addr.p, &addr.n);
    if (!eat(c, " to client with duid "))
        return ipl_diag_set(d, IPL_EPARSE, "%.*s %.2s: expected ' to client with duid '",
                            (int)type.n, type.p, iat);
    next_word(c, &du.p, &du.n);
    if (!eat(c, " iaid = "))
        return ipl_diag_set(d, IPL_EPARSE, "%.*s %.2s: expected ' iaid = <n>'", (int)type.n,
                            type.p, iat);
    next_word(c, &iaid.p, &iaid.n);
    long long v;
    if (!parse_u64(iaid.p, iaid.n, &v) || v > 0xffffffffLL)
        return ipl_diag_set(d, IPL_EPARSE, "iaid '%s' is not a 32-bit number",
                            quote(q, iaid.p, iaid.n));
    int is_static = 0;
    if (eat(c, " static")) {
        is_static = 1;
    } else if (eat(c, " valid for ")) {
        next_word(c, &life.p, &life.n);
        if (!parse_u64(life.p, life.n, &v) || v > 0xffffffffLL || !eat(c, " seconds"))
            return ipl_diag_set(d, IPL_EPARSE, "'valid for %s' is not a number of seconds",
                                quote(q, life.p, life.n));
    } else {
        return ipl_diag_set(d, IPL_EPARSE, "expected 'valid for <n> seconds' or 'static' at '%s'",
                            quote(q, c->s + c->i, c->n - c->i));
    }
    if (c->i != c->n)
        return ipl_diag_set(d, IPL_EPARSE, "unexpected text at the end: '%s'",
                            quote(q, c->s + c->i, c->n - c->i));
    ipl_event ev;
    int rc = ev_start(ctx, env, &ev, kind, d);
    if (rc != IPL_OK || (rc = v6_addr(&ev, addr, pd, "address", d)) != IPL_OK ||
        (rc = v6_duid(ctx, &ev, du, d)) != IPL_OK ||
        (rc = add_attr(&ev, IPL_A_IAID, iaid.p, iaid.n, d)) != IPL_OK ||
        (rc = add_attr(&ev, IPL_A_IA_TYPE, iat[0] == 'N' ? "na" : iat[0] == 'T' ? "ta" : "pd", 2,
                       d)) != IPL_OK)
        return rc;
    if (is_static) {
        rc = add_attr_str(&ev, IPL_A_LEASE_END, "never", d);
    } else {
        const char *end = iso_time(ctx, ev.ts + v * IPL_US_PER_SEC, &rc, d);
        if (rc == IPL_OK)
            rc = add_attr(&ev, IPL_A_LIFETIME, life.p, life.n, d);
        if (rc == IPL_OK)
            rc = add_attr_str(&ev, IPL_A_LEASE_END, end, d);
    }
    if (rc != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

/* "Client <duid> releases address|prefix <x>" / "Client <duid> declines address <x>[, ...]" */
static int v6_client(ipl_parse_ctx *ctx, const ipl_syslog *env, isc_cur *c, ipl_emit_fn emit,
                     void *emit_ctx, ipl_diag *d)
{
    char q[ISC_QBUF];
    isc_span du, addr;
    next_word(c, &du.p, &du.n);
    int kind, pd = 0;
    if (eat(c, " releases address ")) {
        kind = IPL_K_LEASE_RELEASE;
    } else if (eat(c, " releases prefix ")) {
        kind = IPL_K_LEASE_RELEASE;
        pd = 1;
    } else if (eat(c, " declines address ")) {
        kind = IPL_K_LEASE_DECLINE;
    } else {
        return IPL_OK;                                   /* some other "Client ..." message */
    }
    next_word(c, &addr.p, &addr.n);
    int not_offered = 0;
    if (kind == IPL_K_LEASE_DECLINE && addr.n && addr.p[addr.n - 1] == ',') {
        addr.n--;
        if (!eat(c, " which is not offered to it."))
            return ipl_diag_set(d, IPL_EPARSE, "decline: unexpected text '%s'",
                                quote(q, c->s + c->i, c->n - c->i));
        not_offered = 1;
    }
    if (c->i != c->n)
        return ipl_diag_set(d, IPL_EPARSE, "unexpected text at the end: '%s'",
                            quote(q, c->s + c->i, c->n - c->i));
    ipl_event ev;
    int rc = ev_start(ctx, env, &ev, kind, d);
    if (rc != IPL_OK || (rc = v6_addr(&ev, addr, pd, pd ? "prefix" : "address", d)) != IPL_OK ||
        (rc = v6_duid(ctx, &ev, du, d)) != IPL_OK)
        return rc;
    if (pd && (rc = add_attr(&ev, IPL_A_IA_TYPE, "pd", 2, d)) != IPL_OK)
        return rc;
    if (not_offered && (rc = add_attr_str(&ev, IPL_A_STATUS, "not offered", d)) != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

/* "<Msg> message from <ip6> port <n>, ..." and "Sending <Msg> to <ip6> port <n>": checked, no
 * event. */
static int v6_trace(isc_cur *c, isc_span first, ipl_diag *d)
{
    char q[ISC_QBUF];
    isc_span a, port;
    if (ipl_text_is(first.p, first.n, "Sending")) {
        isc_span m;
        c->i++;
        next_word(c, &m.p, &m.n);
        if (!v6_msg_name(m.p, m.n))
            return IPL_OK;                               /* "Sending on Socket/..." etc. */
        if (!eat(c, " to "))
            return IPL_OK;
    } else if (!eat(c, " message from ")) {
        return IPL_OK;
    }
    next_word(c, &a.p, &a.n);
    uint8_t ip[16];
    long long v;
    if (ipl_ip_parse(a.p, a.n, ip) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "%.*s: '%s' is not an address", (int)first.n, first.p,
                            quote(q, a.p, a.n));
    if (!eat(c, " port "))
        return ipl_diag_set(d, IPL_EPARSE, "%.*s: expected ' port <n>' after the address",
                            (int)first.n, first.p);
    next_word(c, &port.p, &port.n);
    if (port.n && port.p[port.n - 1] == ',')
        port.n--;
    if (!parse_u64(port.p, port.n, &v) || v > 65535)
        return ipl_diag_set(d, IPL_EPARSE, "%.*s: port '%s' is not a port number", (int)first.n,
                            first.p, quote(q, port.p, port.n));
    return IPL_OK;
}

/* "Abandoning IP address <ip>: <reason>" / "ICMP Echo reply while lease <ip> valid." */
static int conflict(ipl_parse_ctx *ctx, const ipl_syslog *env, isc_cur *c, ipl_emit_fn emit,
                    void *emit_ctx, ipl_diag *d)
{
    char q[ISC_QBUF], q2[ISC_QBUF];
    int icmp = c->s[0] == 'I';
    isc_span ip, reason = {0};
    next_word(c, &ip.p, &ip.n);
    if (!icmp && ip.n && ip.p[ip.n - 1] == ':') {
        ip.n--;
        if (c->i + 1 < c->n) {
            reason.p = c->s + c->i + 1;
            reason.n = c->n - c->i - 1;
        }
    } else if (icmp && !eat(c, " valid.")) {
        return ipl_diag_set(d, IPL_EPARSE, "ICMP Echo reply while lease %s: expected ' valid.'",
                            quote(q, ip.p, ip.n));
    } else if (!icmp && c->i != c->n) {
        return ipl_diag_set(d, IPL_EPARSE, "Abandoning IP address %s: unexpected text '%s'",
                            quote(q, ip.p, ip.n), quote(q2, c->s + c->i, c->n - c->i));
    }
    ipl_event ev;
    int rc = ev_start(ctx, env, &ev, IPL_K_LEASE_CONFLICT, d);
    if (rc != IPL_OK)
        return rc;
    if (!parse_ip4(ip, ev.ip))
        return ipl_diag_set(d, IPL_EPARSE, "%s: '%s' is not an IPv4 address",
                            icmp ? "ICMP Echo reply while lease" : "Abandoning IP address",
                            quote(q, ip.p, ip.n));
    ev.has_ip = 1;
    if (reason.n && (rc = add_attr(&ev, IPL_A_REASON, reason.p, reason.n, d)) != IPL_OK)
        return rc;
    if (icmp && (rc = add_attr_str(&ev, IPL_A_REASON, "ICMP echo reply", d)) != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

static int isc_message(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_emit_fn emit, void *emit_ctx,
                       ipl_diag *d)
{
    isc_cur c = {env->msg, 0, env->msg_len};
    while (c.n && (c.s[c.n - 1] == ' ' || c.s[c.n - 1] == '\r'))
        c.n--;
    if (memchr(c.s, '\0', c.n))
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte in the dhcpd message");
    eat(&c, "DHCP4o6 ");
    isc_span w;
    next_word(&c, &w.p, &w.n);
    for (size_t k = 0; k < sizeof v4_types / sizeof v4_types[0]; k++) {
        if (ipl_text_is(w.p, w.n, v4_types[k].name)) {
            if (!eat(&c, " "))
                return ipl_diag_set(d, IPL_EPARSE, "%s has nothing after it", v4_types[k].name);
            return v4_message(ctx, env, &c, v4_types[k].type, v4_types[k].name, emit, emit_ctx, d);
        }
    }
    if (ipl_text_is(w.p, w.n, "Client") && eat(&c, " "))
        return v6_client(ctx, env, &c, emit, emit_ctx, d);
    if (v6_msg_name(w.p, w.n) && c.n - c.i >= 5 && c.s[c.i] == ' ' &&
        (memcmp(c.s + c.i + 1, "NA: ", 4) == 0 || memcmp(c.s + c.i + 1, "TA: ", 4) == 0 ||
         memcmp(c.s + c.i + 1, "PD: ", 4) == 0)) {
        c.i++;
        return v6_binding(ctx, env, &c, w, emit, emit_ctx, d);
    }
    if (v6_msg_name(w.p, w.n) || ipl_text_is(w.p, w.n, "Sending"))
        return v6_trace(&c, w, d);
    c.i = 0;
    if (eat(&c, "Abandoning IP address ") || eat(&c, "ICMP Echo reply while lease "))
        return conflict(ctx, env, &c, emit, emit_ctx, d);
    return IPL_OK;                                       /* not a lease message */
}

static const char *const isc_tags[] = {"dhcpd", NULL};

const ipl_syslog_sub ipl_syslog_sub_isc_dhcpd = {
    .name = "isc-dhcpd",
    .tags = isc_tags,
    .message = isc_message,
};

/* ---- the "isc-dhcpd" parser: a syslog file of dhcpd lines ---- */

static int is_dhcpd_tag(const ipl_syslog *env)
{
    return ipl_text_is(env->tag, env->tag_len, "dhcpd");
}

static int dhcpd_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                      ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    char q[ISC_QBUF];
    ipl_syslog env;
    int rc = ipl_syslog_parse(ctx, line, len, &env, d);
    if (rc != IPL_OK)
        return rc;
    if (env.tag_len == 0)
        return IPL_OK;
    if (!is_dhcpd_tag(&env))
        return ipl_diag_set(d, IPL_EPARSE, "syslog tag '%s' is not dhcpd (mixed files are read "
                            "with --format syslog)", quote(q, env.tag, env.tag_len));
    unsigned long count;                             /* rsyslog "message repeated N times" */
    rc = ipl_syslog_unrepeat(&env, &count, d);
    for (unsigned long k = 0; k < count && rc == IPL_OK; k++)
        rc = isc_message(ctx, &env, emit, emit_ctx, d);
    return rc;
}

static int dhcpd_probe(const char *s, size_t len)
{
    if (!ipl_syslog_probe_envelope(s, len))
        return 0;
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.year_hint = 2000;
    size_t pos = 0;
    int mine = 0, other = 0;
    for (int k = 0; pos < len && k < 64; k++) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        if (!nl && len >= ISC_SAMPLE_MAX)
            break;                                       /* a line cut by the sample's end */
        size_t end = nl ? (size_t)(nl - s) : len;
        ipl_syslog env;
        ctx.last_ts = 0;
        if (ipl_syslog_parse(&ctx, s + pos, end - pos, &env, NULL) == IPL_OK && env.tag_len) {
            if (is_dhcpd_tag(&env))
                mine++;
            else
                other++;
        }
        pos = end + 1;
    }
    if (mine == 0)
        return 0;
    return other == 0 ? 90 : 40;
}

const ipl_parser ipl_parser_isc_dhcpd = {
    .name = "isc-dhcpd",
    .summary = "ISC dhcpd syslog lines (DHCPDISCOVER/OFFER/REQUEST/ACK/..., DHCPv6 Reply NA/PD)",
    .state_size = 0,
    .probe = dhcpd_probe,
    .init = NULL,
    .line = dhcpd_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};

/* ==== lease files ============================================================================ */

enum { TK_WORD, TK_STR, TK_PUNCT };
enum { F_LEASE = 1, F_IA, F_IAADDR, F_SKIP };
enum { BS_NONE, BS_ACTIVE, BS_FREE, BS_EXPIRED, BS_RELEASED, BS_ABANDONED, BS_RESET, BS_BACKUP };

typedef struct ls_tok {
    uint8_t  type;
    uint16_t off, len;            /* into ls_state.buf */
} ls_tok;

typedef struct ls_time {
    int     set;                  /* 0 absent, 1 a time, 2 never */
    int64_t us;
} ls_time;

typedef struct ls_addr {          /* one iaaddr / iaprefix */
    uint8_t ip[16];
    int     plen;                 /* -1 for iaaddr */
    int     state;
    ls_time ends;
    long long max_life;           /* -1 absent */
} ls_addr;

typedef struct ls_state {
    /* the statement being read */
    ls_tok   tok[ISC_TOK_MAX];
    size_t   ntok, used;
    int      overflow;            /* statement too long (tokens or bytes) */
    char     buf[ISC_STMT_MAX];
    /* block nesting */
    uint8_t  frame[ISC_DEPTH_MAX];
    int      depth;
    int      skip_depth;          /* frames beyond ISC_DEPTH_MAX (counted, not stored) */
    uint64_t lineno;              /* lines seen by this state (not file line numbers: ingest may
                                     resume a file mid-way with a fresh state) */
    uint64_t block_line;          /* lineno where the open block started */
    int      big_endian;          /* authoring-byte-order */
    int      bad;                 /* the open top-level block had an error: emit nothing */
    int      top;                 /* F_LEASE or F_IA while such a block is open */
    char     what[64];            /* "lease 10.20.30.41" / "ia-na": for messages */
    /* lease block */
    uint8_t  ip[16];
    ls_time  starts, ends, cltt;
    int      state, bootp, abandoned_flag;
    char     mac[13];
    char     host[ISC_HOST_MAX + 1];
    char     uid[2 * ISC_ID_MAX + 1];
    char     vendor[ISC_VENDOR_MAX + 1];
    /* ia block */
    int      ia_type;             /* 'n', 't', 'p' */
    uint32_t iaid;
    char     duid[2 * ISC_ID_MAX + 1];
    char     duid_mac[13];
    ls_addr  addr[ISC_IA_MAX];
    int      naddr;
    ls_addr  cur;                 /* the open iaaddr */
} ls_state;

static const char *tok_p(const ls_state *st, size_t i)
{
    return st->buf + st->tok[i].off;
}

static int tok_is(const ls_state *st, size_t i, const char *lit)
{
    return i < st->ntok && st->tok[i].type == TK_WORD && ipl_text_is(tok_p(st, i), st->tok[i].len, lit);
}

/* Renders token i for a message. */
static const char *tok_q(char *q, const ls_state *st, size_t i)
{
    if (i >= st->ntok)
        return "";
    return quote(q, tok_p(st, i), st->tok[i].len);
}

/* Sets a reason about the open block (prefixed with the block), marks it bad. */
static int ls_err(ls_state *st, ipl_diag *d, const char *fmt, ...) IPL_PRINTF(3, 4);

static int ls_err(ls_state *st, ipl_diag *d, const char *fmt, ...)
{
    char msg[IPL_DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (st->top) {
        st->bad = 1;
        return ipl_diag_set(d, IPL_EPARSE, "%s: %s", st->what, msg);
    }
    return ipl_diag_set(d, IPL_EPARSE, "%s", msg);
}

/* Decodes a quoted string's raw content (escapes \" \\ \ooo, other \x as x) into out; returns
 * the length or -1 when longer than cap. */
static int unescape(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n) {
            c = (unsigned char)s[++i];
            if (c >= '0' && c <= '7') {
                int v = c - '0';
                for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
                    v = v * 8 + (s[++i] - '0');
                c = v & 0xff;
            } else if (c == 'n') {
                c = '\n';
            } else if (c == 't') {
                c = '\t';
            } else if (c == 'r') {
                c = '\r';
            }
        }
        if (o == cap)
            return -1;
        out[o++] = (uint8_t)c;
    }
    return (int)o;
}

/* An identifier token (quoted octal string, or colon hex) -> bytes; -1 if invalid/too long. */
static int tok_bytes(const ls_state *st, size_t i, uint8_t *out, size_t cap)
{
    if (i >= st->ntok)
        return -1;
    if (st->tok[i].type == TK_STR)
        return unescape(tok_p(st, i), st->tok[i].len, out, cap);
    if (st->tok[i].type == TK_WORD)
        return colon_hex(tok_p(st, i), st->tok[i].len, out, cap);
    return -1;
}

static int civil_num(const char *s, size_t n, int *v)
{
    long long x;
    if (!parse_u64(s, n, &x) || x > 9999)
        return 0;
    *v = (int)x;
    return 1;
}

/* Date at tokens [i..]: "W YYYY/MM/DD HH:MM:SS" | "epoch N" | "never". Needs the statement to
 * end there. */
static int ls_date(ls_state *st, size_t i, ls_time *t, const char *kw, ipl_diag *d)
{
    char q[ISC_QBUF];
    if (tok_is(st, i, "never") && st->ntok == i + 1) {
        t->set = 2;
        return IPL_OK;
    }
    if (tok_is(st, i, "epoch") && st->ntok == i + 2) {
        long long v;
        if (st->tok[i + 1].type != TK_WORD || !parse_u64(tok_p(st, i + 1), st->tok[i + 1].len, &v) ||
            v > INT64_C(253402300799))
            return ls_err(st, d, "'%s epoch %s' is not a number of seconds", kw,
                          tok_q(q, st, i + 1));
        t->set = 1;
        t->us = v * IPL_US_PER_SEC;
        return IPL_OK;
    }
    ipl_civil c;
    memset(&c, 0, sizeof c);
    const char *dp, *tp;
    if (st->ntok != i + 3 || st->tok[i].type != TK_WORD || st->tok[i].len != 1 ||
        tok_p(st, i)[0] < '0' || tok_p(st, i)[0] > '6' || st->tok[i + 1].type != TK_WORD ||
        st->tok[i + 2].type != TK_WORD)
        goto bad;
    dp = tok_p(st, i + 1);
    tp = tok_p(st, i + 2);
    size_t dn = st->tok[i + 1].len, tn = st->tok[i + 2].len;
    /* YYYY/MM/DD (month and day may be 1 digit in hand-written files) */
    const char *s1 = memchr(dp, '/', dn);
    const char *s2 = s1 ? memchr(s1 + 1, '/', dn - (size_t)(s1 + 1 - dp)) : NULL;
    if (!s1 || !s2 || !civil_num(dp, (size_t)(s1 - dp), &c.year) ||
        !civil_num(s1 + 1, (size_t)(s2 - s1 - 1), &c.mon) ||
        !civil_num(s2 + 1, dn - (size_t)(s2 + 1 - dp), &c.day))
        goto bad;
    const char *c1 = memchr(tp, ':', tn);
    const char *c2 = c1 ? memchr(c1 + 1, ':', tn - (size_t)(c1 + 1 - tp)) : NULL;
    if (!c1 || !c2 || !civil_num(tp, (size_t)(c1 - tp), &c.hour) ||
        !civil_num(c1 + 1, (size_t)(c2 - c1 - 1), &c.min) ||
        !civil_num(c2 + 1, tn - (size_t)(c2 + 1 - tp), &c.sec))
        goto bad;
    if (!ipl_civil_valid(&c))
        goto bad;
    t->set = 1;
    t->us = ipl_civil_to_us(&c);
    return IPL_OK;
bad: {
        char txt[ISC_QBUF + 8];
        size_t o = 0;
        for (size_t k = i; k < st->ntok && k < i + 3 && o < ISC_QUOTE_MAX; k++) {
            size_t m = st->tok[k].len;
            if (m > ISC_QUOTE_MAX - o)
                m = ISC_QUOTE_MAX - o;
            if (o)
                txt[o++] = ' ';
            memcpy(txt + o, tok_p(st, k), m);
            o += m;
        }
        return ls_err(st, d, "'%s' date '%s' is not 'W YYYY/MM/DD HH:MM:SS', 'epoch N' or 'never'",
                      kw, quote(q, txt, o));
    }
}

static int ls_state_word(ls_state *st, size_t i, int *out, ipl_diag *d)
{
    static const struct {
        const char *w;
        int s;
    } states[] = {
        {"active", BS_ACTIVE},       {"free", BS_FREE},   {"expired", BS_EXPIRED},
        {"released", BS_RELEASED},   {"abandoned", BS_ABANDONED}, {"reset", BS_RESET},
        {"backup", BS_BACKUP},
    };
    char q[ISC_QBUF];
    if (st->ntok == i + 1)
        for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
            if (tok_is(st, i, states[k].w)) {
                *out = states[k].s;
                return IPL_OK;
            }
    return ls_err(st, d, "binding state '%s' is not active, free, expired, released, abandoned, "
                  "reset or backup", tok_q(q, st, i));
}

/* A quoted string token into a NUL-terminated text buffer: decoded unless that gives control
 * bytes, then kept as written. */
static int ls_text(ls_state *st, size_t i, char *out, size_t cap, const char *kw, ipl_diag *d)
{
    char q[ISC_QBUF];
    if (st->ntok != i + 1 || st->tok[i].type != TK_STR)
        return ls_err(st, d, "'%s' is not followed by one quoted string", kw);
    uint8_t tmp[ISC_STMT_MAX];
    int n = unescape(tok_p(st, i), st->tok[i].len, tmp, cap);
    if (n < 0)
        return ls_err(st, d, "'%s' \"%s\" is longer than the limit", kw, tok_q(q, st, i));
    int ctl = 0;
    for (int k = 0; k < n; k++)
        if (tmp[k] < 0x20 || tmp[k] == 0x7f)
            ctl = 1;
    if (!ctl) {
        memcpy(out, tmp, (size_t)n);
        out[n] = '\0';
        return IPL_OK;
    }
    if (st->tok[i].len > cap)
        return ls_err(st, d, "'%s' \"%s\" is longer than the limit", kw, tok_q(q, st, i));
    memcpy(out, tok_p(st, i), st->tok[i].len);
    out[st->tok[i].len] = '\0';
    return IPL_OK;
}

static void lease_reset(ls_state *st)
{
    memset(st->ip, 0, sizeof st->ip);
    memset(&st->starts, 0, sizeof st->starts);
    memset(&st->ends, 0, sizeof st->ends);
    memset(&st->cltt, 0, sizeof st->cltt);
    st->state = BS_NONE;
    st->bootp = st->abandoned_flag = 0;
    st->mac[0] = st->host[0] = st->uid[0] = st->vendor[0] = '\0';
    st->naddr = 0;
    st->duid[0] = st->duid_mac[0] = '\0';
    st->iaid = 0;
}

/* ---- statements (terminated by ';') ---- */

static int stmt_lease(ls_state *st, ipl_diag *d)
{
    char q[ISC_QBUF], q2[ISC_QBUF];
    if (tok_is(st, 0, "starts"))
        return ls_date(st, 1, &st->starts, "starts", d);
    if (tok_is(st, 0, "ends"))
        return ls_date(st, 1, &st->ends, "ends", d);
    if (tok_is(st, 0, "cltt"))
        return ls_date(st, 1, &st->cltt, "cltt", d);
    if (tok_is(st, 0, "tstp") || tok_is(st, 0, "tsfp") || tok_is(st, 0, "atsfp")) {
        ls_time t;                                       /* failover times: checked, unused */
        return ls_date(st, 1, &t, tok_is(st, 0, "tstp") ? "tstp" : tok_is(st, 0, "tsfp") ?
                       "tsfp" : "atsfp", d);
    }
    if (tok_is(st, 0, "binding") && tok_is(st, 1, "state"))
        return ls_state_word(st, 2, &st->state, d);
    if ((tok_is(st, 0, "next") || tok_is(st, 0, "rewind")) && tok_is(st, 1, "binding")) {
        int s;
        return ls_state_word(st, 3, &s, d);
    }
    if (tok_is(st, 0, "hardware")) {
        uint8_t b[ISC_ID_MAX];
        int nb = st->ntok == 3 && st->tok[1].type == TK_WORD ? tok_bytes(st, 2, b, sizeof b) : -1;
        if (nb < 1)
            return ls_err(st, d, "'hardware %s %s' is not '<type> <colon-hex address>'",
                          tok_q(q, st, 1), tok_q(q2, st, 2));
        if (!tok_is(st, 1, "ethernet")) {
            st->mac[0] = '\0';                           /* other hardware: no MAC */
            return IPL_OK;
        }
        if (nb != 6 || mac_from_bytes(b, st->mac) != IPL_OK)
            return ls_err(st, d, "hardware ethernet '%s' is not a 6-byte MAC address",
                          tok_q(q, st, 2));
        return IPL_OK;
    }
    if (tok_is(st, 0, "uid")) {
        uint8_t b[ISC_ID_MAX];
        int nb = st->ntok == 2 ? tok_bytes(st, 1, b, sizeof b) : -1;
        if (nb < 1)
            return ls_err(st, d, "uid %s is not a quoted string or colon-hex of at most 128 bytes",
                          tok_q(q, st, 1));
        to_hex(b, (size_t)nb, st->uid);
        return IPL_OK;
    }
    if (tok_is(st, 0, "client-hostname"))
        return ls_text(st, 1, st->host, ISC_HOST_MAX, "client-hostname", d);
    if (tok_is(st, 0, "set") && tok_is(st, 1, "vendor-class-identifier") && tok_is(st, 2, "=")) {
        if (st->ntok != 4 || st->tok[3].type != TK_STR)
            return ls_err(st, d, "'set vendor-class-identifier' is not '= \"<text>\"'");
        return ls_text(st, 3, st->vendor, ISC_VENDOR_MAX, "vendor-class-identifier", d);
    }
    if (tok_is(st, 0, "dynamic-bootp") && st->ntok == 1) {
        st->bootp = 1;
        return IPL_OK;
    }
    if (tok_is(st, 0, "abandoned") && st->ntok == 1) {
        st->abandoned_flag = 1;
        return IPL_OK;
    }
    return IPL_OK;                                       /* reserved; set ...; option ...; etc. */
}

static int stmt_ia(ls_state *st, ipl_diag *d)
{
    if (tok_is(st, 0, "cltt"))
        return ls_date(st, 1, &st->cltt, "cltt", d);
    return IPL_OK;
}

static int stmt_iaaddr(ls_state *st, ipl_diag *d)
{
    char q[ISC_QBUF];
    if (tok_is(st, 0, "binding") && tok_is(st, 1, "state"))
        return ls_state_word(st, 2, &st->cur.state, d);
    if (tok_is(st, 0, "ends"))
        return ls_date(st, 1, &st->cur.ends, "ends", d);
    if (tok_is(st, 0, "max-life")) {
        long long v;
        if (st->ntok != 2 || !parse_u64(tok_p(st, 1), st->tok[1].len, &v) || v > 0xffffffffLL)
            return ls_err(st, d, "max-life '%s' is not a number of seconds", tok_q(q, st, 1));
        st->cur.max_life = v;
    }
    return IPL_OK;
}

static int stmt_top(ls_state *st, ipl_diag *d)
{
    char q[ISC_QBUF];
    if (tok_is(st, 0, "authoring-byte-order")) {
        if (st->ntok == 2 && tok_is(st, 1, "little-endian"))
            st->big_endian = 0;
        else if (st->ntok == 2 && tok_is(st, 1, "big-endian"))
            st->big_endian = 1;
        else
            return ls_err(st, d, "authoring-byte-order '%s' is not little-endian or big-endian",
                          tok_q(q, st, 1));
    }
    return IPL_OK;                                       /* server-duid, unknown statements */
}

/* ---- blocks ---- */

static int open_block(ls_state *st, ipl_diag *d)
{
    char q[ISC_QBUF];
    int parent = st->depth ? st->frame[st->depth - 1] : 0;
    int f = F_SKIP, rc = IPL_OK;
    if (st->depth == 0)
        st->block_line = st->lineno;
    if (st->depth >= ISC_DEPTH_MAX) {
        st->skip_depth++;
        return ls_err(st, d, "blocks nested deeper than %s levels", "32");
    }
    if (parent == 0 && tok_is(st, 0, "lease")) {
        f = F_LEASE;
        lease_reset(st);
        st->bad = 0;
        st->top = F_LEASE;
        snprintf(st->what, sizeof st->what, "lease %s", tok_q(q, st, 1));
        if (st->ntok != 2 || st->tok[1].type != TK_WORD ||
            !parse_ip4((isc_span){tok_p(st, 1), st->tok[1].len}, st->ip))
            rc = ls_err(st, d, "'lease %s' does not name an IPv4 address", tok_q(q, st, 1));
    } else if (parent == 0 && (tok_is(st, 0, "ia-na") || tok_is(st, 0, "ia-ta") ||
                               tok_is(st, 0, "ia-pd") || tok_is(st, 0, "ia_na") ||
                               tok_is(st, 0, "ia_ta") || tok_is(st, 0, "ia_pd"))) {
        f = F_IA;
        lease_reset(st);
        st->bad = 0;
        st->top = F_IA;
        st->ia_type = tok_p(st, 0)[3];
        snprintf(st->what, sizeof st->what, "%.5s", tok_p(st, 0));
        uint8_t b[ISC_ID_MAX + 4];
        int nb = st->ntok == 2 ? tok_bytes(st, 1, b, sizeof b) : -1;
        if (nb < 6) {
            rc = ls_err(st, d, "'%s' identifier %s is not IAID + DUID (at least 6 bytes)",
                        st->what, tok_q(q, st, 1));
        } else {
            st->iaid = st->big_endian
                           ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                           : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
            to_hex(b + 4, (size_t)nb - 4, st->duid);
            if (ipl_duid_mac(st->duid, st->duid_mac) != IPL_OK)
                st->duid_mac[0] = '\0';
        }
    } else if (parent == F_IA && (tok_is(st, 0, "iaaddr") || tok_is(st, 0, "iaprefix"))) {
        f = F_IAADDR;
        memset(&st->cur, 0, sizeof st->cur);
        st->cur.plen = -1;
        st->cur.max_life = -1;
        int pd = tok_is(st, 0, "iaprefix");
        if (st->ntok != 2 || st->tok[1].type != TK_WORD) {
            rc = ls_err(st, d, "'%s' is not followed by one address", pd ? "iaprefix" : "iaaddr");
        } else {
            isc_span a = {tok_p(st, 1), st->tok[1].len};
            const char *slash = memchr(a.p, '/', a.n);
            long long pl = -1;
            if (pd) {
                if (!slash || !parse_u64(slash + 1, a.n - (size_t)(slash + 1 - a.p), &pl) ||
                    pl > 128)
                    rc = ls_err(st, d, "iaprefix '%s' is not <ipv6>/<length>", tok_q(q, st, 1));
                else
                    a.n = (size_t)(slash - a.p);
            } else if (slash) {
                rc = ls_err(st, d, "iaaddr '%s' is not an IPv6 address", tok_q(q, st, 1));
            }
            if (rc == IPL_OK && (ipl_ip_parse(a.p, a.n, st->cur.ip) != IPL_OK ||
                                 ipl_ip_is_v4(st->cur.ip)))
                rc = ls_err(st, d, "'%s' is not an IPv6 address", tok_q(q, st, 1));
            st->cur.plen = (int)pl;
        }
    }
    st->frame[st->depth++] = (uint8_t)f;
    return rc;
}

/* Emits the events of a closed lease block. */
static int emit_lease(ls_state *st, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                      ipl_diag *d)
{
    int state = st->state;
    if (state == BS_NONE)
        state = st->abandoned_flag ? BS_ABANDONED : BS_ACTIVE;
    int kind;
    const ls_time *at;
    switch (state) {
    case BS_ACTIVE:
        kind = st->bootp ? IPL_K_LEASE_BOOTP : IPL_K_LEASE_ASSIGN;
        at = &st->starts;
        break;
    case BS_RELEASED:
        kind = IPL_K_LEASE_RELEASE;
        at = st->ends.set == 1 ? &st->ends : &st->cltt;
        break;
    case BS_EXPIRED:
        kind = IPL_K_LEASE_EXPIRE;
        at = &st->ends;
        break;
    case BS_FREE:
        if (!st->mac[0] && !st->uid[0])
            return IPL_OK;                               /* an unused pool address */
        if (st->ends.set != 1)
            return IPL_OK;
        kind = IPL_K_LEASE_EXPIRE;
        at = &st->ends;
        break;
    case BS_ABANDONED:
        kind = IPL_K_LEASE_CONFLICT;
        at = st->cltt.set == 1 ? &st->cltt : st->starts.set == 1 ? &st->starts : &st->ends;
        break;
    default:
        return IPL_OK;                                   /* backup, reset */
    }
    if (at->set != 1)
        return ls_err(st, d, "binding state %s needs a '%s' time", state == BS_ACTIVE ? "active" :
                      state == BS_RELEASED ? "released" : state == BS_ABANDONED ? "abandoned" :
                      "expired", state == BS_ACTIVE ? "starts" : "ends");
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = at->us;
    ev.kind = (uint16_t)kind;
    ev.has_ip = 1;
    memcpy(ev.ip, st->ip, 16);
    ev.server = ctx->server;
    ev.host = st->host[0] ? st->host : NULL;
    int rc = IPL_OK;
    if (st->mac[0]) {
        ev.mac = st->mac;
        if (st->uid[0])
            rc = add_attr_str(&ev, IPL_A_CLIENT_ID, st->uid, d);
    } else if (st->uid[0]) {
        ev.duid = st->uid;
        size_t n = strlen(st->uid);
        if (n == 14 && st->uid[0] == '0' && st->uid[1] == '1') {
            memcpy(st->mac, st->uid + 2, 12);
            st->mac[12] = '\0';
            ev.mac = st->mac;
        }
    }
    if (rc == IPL_OK && kind != IPL_K_LEASE_RELEASE && kind != IPL_K_LEASE_EXPIRE &&
        kind != IPL_K_LEASE_CONFLICT && st->ends.set) {
        const char *end = st->ends.set == 2 ? "never" : iso_time(ctx, st->ends.us, &rc, d);
        if (rc == IPL_OK)
            rc = add_attr_str(&ev, IPL_A_LEASE_END, end, d);
    }
    if (rc == IPL_OK && st->vendor[0])
        rc = add_attr_str(&ev, IPL_A_VENDOR, st->vendor, d);
    if (rc != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

static int emit_ia(ls_state *st, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    char iaid[16];
    snprintf(iaid, sizeof iaid, "%lu", (unsigned long)st->iaid);
    const char *iat = st->ia_type == 'n' ? "na" : st->ia_type == 't' ? "ta" : "pd";
    for (int k = 0; k < st->naddr; k++) {
        const ls_addr *a = &st->addr[k];
        int kind;
        int64_t ts;
        int have = 0;
        switch (a->state == BS_NONE ? BS_ACTIVE : a->state) {
        case BS_ACTIVE:
            kind = IPL_K_LEASE_ASSIGN;
            if (st->cltt.set == 1) {
                ts = st->cltt.us;
                have = 1;
            } else if (a->ends.set == 1 && a->max_life >= 0) {
                ts = a->ends.us - a->max_life * IPL_US_PER_SEC;
                have = 1;
            }
            break;
        case BS_RELEASED:
            kind = IPL_K_LEASE_RELEASE;
            if (a->ends.set == 1 || st->cltt.set == 1) {
                ts = a->ends.set == 1 ? a->ends.us : st->cltt.us;
                have = 1;
            }
            break;
        case BS_EXPIRED:
        case BS_FREE:
            kind = IPL_K_LEASE_EXPIRE;
            if (a->ends.set == 1) {
                ts = a->ends.us;
                have = 1;
            }
            break;
        case BS_ABANDONED:
            kind = IPL_K_LEASE_CONFLICT;
            if (st->cltt.set == 1 || a->ends.set == 1) {
                ts = st->cltt.set == 1 ? st->cltt.us : a->ends.us;
                have = 1;
            }
            break;
        default:
            continue;
        }
        char ipt[IPL_IP_TEXT];
        if (!have) {
            ipl_ip_format(a->ip, ipt, sizeof ipt);
            return ls_err(st, d, "address %s has no time to date its event ('cltt' or 'ends' "
                          "missing)", ipt);
        }
        ipl_event ev;
        ipl_event_reset(&ev);
        ev.ts = ts;
        ev.kind = (uint16_t)kind;
        ev.has_ip = 1;
        memcpy(ev.ip, a->ip, 16);
        ev.server = ctx->server;
        ev.duid = st->duid;
        ev.mac = st->duid_mac[0] ? st->duid_mac : NULL;
        int rc = add_attr_str(&ev, IPL_A_IAID, iaid, d);
        if (rc == IPL_OK)
            rc = add_attr_str(&ev, IPL_A_IA_TYPE, iat, d);
        char num[24];
        if (rc == IPL_OK && a->plen >= 0) {
            snprintf(num, sizeof num, "%d", a->plen);
            const char *pl = arena_copy(ctx, num, strlen(num), &rc, d);
            if (rc == IPL_OK)
                rc = add_attr_str(&ev, IPL_A_PREFIX_LEN, pl, d);
        }
        if (rc == IPL_OK && a->max_life >= 0) {
            snprintf(num, sizeof num, "%lld", a->max_life);
            const char *ml = arena_copy(ctx, num, strlen(num), &rc, d);
            if (rc == IPL_OK)
                rc = add_attr_str(&ev, IPL_A_LIFETIME, ml, d);
        }
        if (rc == IPL_OK && kind == IPL_K_LEASE_ASSIGN && a->ends.set) {
            const char *end = a->ends.set == 2 ? "never" : iso_time(ctx, a->ends.us, &rc, d);
            if (rc == IPL_OK)
                rc = add_attr_str(&ev, IPL_A_LEASE_END, end, d);
        }
        if (rc == IPL_OK)
            rc = emit(emit_ctx, &ev);
        if (rc != IPL_OK)
            return rc;
    }
    return IPL_OK;
}

static int close_block(ls_state *st, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                       ipl_diag *d)
{
    if (st->skip_depth) {
        st->skip_depth--;
        return IPL_OK;
    }
    if (st->depth == 0)
        return ipl_diag_set(d, IPL_EPARSE, "'}' without an open block");
    int f = st->frame[--st->depth];
    int rc = IPL_OK;
    switch (f) {
    case F_IAADDR:
        if (st->naddr >= ISC_IA_MAX) {
            rc = ls_err(st, d, "more than %s addresses in one IA", "64");
            break;
        }
        st->addr[st->naddr++] = st->cur;
        break;
    case F_LEASE:
        if (!st->bad)
            rc = emit_lease(st, ctx, emit, emit_ctx, d);
        st->top = 0;
        break;
    case F_IA:
        if (!st->bad)
            rc = emit_ia(st, ctx, emit, emit_ctx, d);
        st->top = 0;
        break;
    default:
        break;
    }
    return rc;
}

/* ---- the tokenizer ---- */

static void stmt_clear(ls_state *st)
{
    st->ntok = st->used = 0;
    st->overflow = 0;
}

static void push_tok(ls_state *st, int type, const char *p, size_t n)
{
    if (st->ntok == ISC_TOK_MAX || n > ISC_STMT_MAX - st->used) {
        st->overflow = 1;
        return;
    }
    memcpy(st->buf + st->used, p, n);
    st->tok[st->ntok].type = (uint8_t)type;
    st->tok[st->ntok].off = (uint16_t)st->used;
    st->tok[st->ntok].len = (uint16_t)n;
    st->ntok++;
    st->used += n;
}

/* ';' ends a statement: dispatch by the enclosing frame. */
static int end_stmt(ls_state *st, ipl_diag *d)
{
    int rc = IPL_OK;
    int f = st->skip_depth ? F_SKIP : st->depth ? st->frame[st->depth - 1] : 0;
    if (st->ntok == 0 || f == F_SKIP || (st->top && st->bad)) {
        stmt_clear(st);
        return IPL_OK;
    }
    if (st->overflow) {
        char q[ISC_QBUF];
        rc = ls_err(st, d, "statement '%s ...' is longer than %s tokens or 8192 bytes",
                    tok_q(q, st, 0), "64");
        stmt_clear(st);
        return rc;
    }
    switch (f) {
    case 0:        rc = stmt_top(st, d); break;
    case F_LEASE:  rc = stmt_lease(st, d); break;
    case F_IA:     rc = stmt_ia(st, d); break;
    case F_IAADDR: rc = stmt_iaaddr(st, d); break;
    default:       break;
    }
    stmt_clear(st);
    return rc;
}

/* A line starting (column 0) a new top-level lease/IA block. */
static int starts_top_block(const char *s, size_t n)
{
    return starts_with(s, n, "lease ") || starts_with(s, n, "ia-na ") ||
           starts_with(s, n, "ia-ta ") || starts_with(s, n, "ia-pd ");
}

static int leases_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                       void *emit_ctx, ipl_diag *d)
{
    ls_state *st = state;
    char q[ISC_QBUF];
    int first = IPL_OK, rc;
    st->lineno++;
    if (n > ISC_LINE_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                            ISC_LINE_MAX);
    while (n && s[n - 1] == '\r')
        n--;
    if (st->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if ((st->depth || st->skip_depth) && starts_top_block(s, n)) {
        /* the open block was cut off (a crash mid-write): discard it, start afresh */
        first = ipl_diag_set(d, IPL_EPARSE, "%s (opened %llu lines earlier) is not closed before "
                             "this line: discarded (a truncated record)",
                             st->top ? st->what : "a block",
                             (unsigned long long)(st->lineno - st->block_line));
        st->depth = st->skip_depth = 0;
        st->top = 0;
        st->bad = 0;
        stmt_clear(st);
    }
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            i++;
        } else if (c == '#') {
            break;
        } else if (c == '"') {
            size_t b = ++i;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < n)
                    i++;
                i++;
            }
            if (i >= n) {
                rc = ls_err(st, d, "string \"%s is not terminated on its line",
                            quote(q, s + b, n - b));
                stmt_clear(st);
                return first != IPL_OK ? first : rc;
            }
            push_tok(st, TK_STR, s + b, i - b);
            i++;
        } else if (c == ';') {
            rc = end_stmt(st, d);
            if (rc != IPL_OK && first == IPL_OK)
                first = rc;
            i++;
        } else if (c == '{') {
            rc = open_block(st, d);
            if (rc != IPL_OK && first == IPL_OK)
                first = rc;
            stmt_clear(st);
            i++;
        } else if (c == '}') {
            if (st->ntok && !st->bad) {
                int f = st->skip_depth ? F_SKIP : st->depth ? st->frame[st->depth - 1] : 0;
                if (f != F_SKIP) {
                    rc = ls_err(st, d, "statement '%s' is not terminated by ';'",
                                tok_q(q, st, 0));
                    if (first == IPL_OK)
                        first = rc;
                }
            }
            stmt_clear(st);
            rc = close_block(st, ctx, emit, emit_ctx, d);
            if (rc != IPL_OK && first == IPL_OK)
                first = rc;
            i++;
        } else if (c == '=' || c == ',') {
            push_tok(st, TK_WORD, s + i, 1);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = ls_err(st, d, "control byte 0x%02x at offset %zu of the line", c, i);
            stmt_clear(st);
            return first != IPL_OK ? first : rc;
        } else {
            size_t b = i;
            while (i < n) {
                unsigned char w = (unsigned char)s[i];
                if (w <= 0x20 || w == 0x7f || w == ';' || w == '{' || w == '}' || w == '"' ||
                    w == '#' || w == '=' || w == ',')
                    break;
                i++;
            }
            push_tok(st, TK_WORD, s + b, i - b);
        }
    }
    return first;
}

static int leases_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                         ipl_diag *d)
{
    ls_state *st = state;
    int rc = IPL_OK;
    if (st->depth || st->skip_depth)
        rc = ipl_diag_set(d, IPL_EPARSE, "%s (opened %llu lines before the end) is not closed at "
                          "the end of the input: discarded (a truncated record)",
                          st->top ? st->what : "a block",
                          (unsigned long long)(st->lineno - st->block_line + 1));
    else if (st->ntok)
        rc = ipl_diag_set(d, IPL_EPARSE, "statement '%.*s ...' is not terminated at the end of "
                          "the input", (int)(st->tok[0].len < 40 ? st->tok[0].len : 40),
                          st->buf + st->tok[0].off);
    st->depth = st->skip_depth = 0;
    st->top = 0;
    stmt_clear(st);
    return rc;
}

static int leases_pending(const void *state)
{
    const ls_state *st = state;
    return st->depth > 0 || st->skip_depth > 0 || st->ntok > 0;
}

/* Lease files: the header comment, "authoring-byte-order", "lease <ip> {", "ia-na ... {",
 * "server-duid", or statements indented inside such blocks. */
static int leases_probe(const char *s, size_t len)
{
    size_t pos = 0;
    int strong = 0, blocks = 0, bad = 0, lines = 0;
    while (pos < len && lines < 200) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (!nl && len >= ISC_SAMPLE_MAX)
            break;                                       /* a line cut by the sample's end */
        while (n && l[n - 1] == '\r')
            n--;
        lines++;
        if (memchr(l, '\0', n))
            return 0;
        size_t b = 0;
        while (b < n && (l[b] == ' ' || l[b] == '\t'))
            b++;
        if (b == n)
            continue;
        if (starts_with(l + b, n - b, "# The format of this file is documented in the dhcpd.leases") ||
            starts_with(l, n, "authoring-byte-order ") || starts_with(l, n, "server-duid "))
            strong = 1;
        else if (l[b] == '#')
            continue;
        else if ((starts_top_block(l, n) && l[n - 1] == '{'))
            blocks++;
        else if (b == 0 && l[0] == '}')
            continue;
        else if (b > 0 && (l[n - 1] == ';' || l[n - 1] == '{' || l[n - 1] == '}'))
            continue;
        else if (b == 0 && (starts_with(l, n, "host ") || starts_with(l, n, "failover ") ||
                            starts_with(l, n, "group ") || starts_with(l, n, "class ") ||
                            starts_with(l, n, "subclass ")))
            continue;
        else
            bad++;
    }
    if (bad)
        return 0;
    if (strong)
        return 100;
    return blocks ? 85 : 0;
}

const ipl_parser ipl_parser_isc_leases = {
    .name = "isc-leases",
    .summary = "ISC dhcpd lease files (dhcpd.leases, dhcpd6.leases)",
    .state_size = sizeof(ls_state),
    .probe = leases_probe,
    .init = NULL,
    .line = leases_line,
    .finish = leases_finish,
    .pending = leases_pending,
    .release = NULL,
};
