/* parsers/mswin_dhcp_config.c — Windows DHCP Server event-log events (configuration changes on the
 * Operational channel, and the AdminEvents / FilterNotifications / audit-channel IDs useful for IP
 * auditing), as the registry entry "mswin-dhcp-events". Spec: FORMATS.md sections 8 and 9.
 *
 * Input, decided per line: a line starting with '{' (outside an XML record) is a Winlogbeat JSON
 * record; everything else is event XML, one <Event> per line or wevtutil's <Events> document over
 * many lines (parsers/xml.h's record stream: bounded to DC_RECORD_MAX, pending() while half read,
 * finish() reports a half-read record). Records of another provider than
 * Microsoft-Windows-DHCP-Server, or with an ID not in the table below, emit nothing (they must
 * still be well formed: a numeric EventID and a valid time).
 *
 * Data values. The <Data> names of these events are not documented per event, so values are read
 * in document order as the message parameters %1..%n. Winlogbeat writes event_data as an object
 * with sorted keys, so there the position is known only for "paramN" keys (unnamed <Data>); named
 * keys are mapped by name where the name is known (IP_ScopeName -> scope, ClientName -> the acting
 * user of a configuration change) and the rest by shape.
 *   - IDs whose message template FORMATS.md gives (70-76, 105, 106, 116, 119-128, 20220-20223,
 *     20228/20229, 20241-20244, 1011-1013, 1020, 20096/20099, 20251/20259, 20289/20290) map their
 *     documented positions to fields (below); 71-74 follow 70, 107 follows 106, 125-128 follow
 *     121-124 (the same messages for the deny list).
 *   - Other IDs are mapped by shape: the first "[[a.b.c.d]Name]" value is the scope, the first
 *     "[a.b.c.d]Name" value the reservation, the first DOMAIN\name value the acting user.
 *   - Every value is kept in the "message" attribute: the rendered message when the record has
 *     one (RenderingInfo/Message, Winlogbeat "message"), else the template filled with the values,
 *     else the values joined as "name=value; ..." (or "%N=value").
 * Field roles: scope -> "scope" (as written, "[[10.20.30.0]Office-LAN]"); acting user -> user (as
 * written, "CORP\netadmin"); reservation "[10.20.30.50]PRN-LOBBY" -> ip 10.20.30.50 and host
 * PRN-LOBBY; old/new values -> "old"/"new"; option -> "option"; policy name -> "policy";
 * failover partner and relationship -> "partner"/"relationship"; filter and client hardware
 * addresses -> mac (or duid for other hex client ids); lease addresses -> ip.
 *
 * Kinds: Operational configuration IDs -> config.change with "object" (what kind of thing:
 * scope, scope.option, reservation, filter.allow, policy.range, failover, ...) and "action"
 * (configured, modified, deleted, activated, enabled, added, set, ...). AdminEvents:
 * 1011 lease.deny (NACK), 1012 lease.decline, 1013 lease.release, 1020 server.status (scope %2
 * percent full, "count"), 1063 lease.exhausted, 1027 1028 1030 1060 and v6 10011 10013-10015
 * server.log.pause (audit-log gaps), 1041-1054 server.rogue, 1340 dns.update.fail, 1341-1343
 * 1376 1377 lease.exhausted, 10004 lease.decline, 10006 lease.delete, 20251 20259 20254 20255
 * server.status, 20286 20287 lease.drop. FilterNotifications 20096 20097 20099 20100 lease.deny.
 * Audit channel: 20289-20292 failover.binding (per-lease replication, never a lease binding of its
 * own), 20293-20300 server.status. Every event: code (EventID), record_id, channel, user_sid
 * (System/Security/@UserID or winlog.user.identifier); server = Computer (else --server).
 *
 * Errors (IPL_EPARSE with the field and byte): malformed XML or JSON (see parsers/winsec.c for the
 * JSON byte checks), a missing or non-numeric EventID, a missing or malformed TimeCreated or
 * @timestamp, a missing Computer without --server, an address at a documented IP position that is
 * not an IP, a hardware address at a documented MAC position that is neither a MAC nor hex,
 * strings over IPL_STR_MAX / IPL_ATTR_VAL_MAX, more than DC_PARAMS_MAX values, records over
 * DC_RECORD_MAX. Values by shape never cause an error.
 *
 * Pure: no I/O, no clock; heap memory is the record stream's buffer (XML) and cJSON's tree (JSON,
 * freed before returning). Strings are copied into ctx->arena or point into the record.
 */
#include "parsers/jsonev.h"
#include "parsers/parser.h"
#include "parsers/text.h"
#include "parsers/xml.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <cJSON.h>

#include <stdio.h>
#include <string.h>

#define DC_RECORD_MAX ((size_t)1 << 20)   /* bytes of one accumulated <Event> */
#define DC_JSON_MAX   ((size_t)1 << 20)   /* bytes of one JSON line */
#define DC_PARAMS_MAX 16                  /* message parameters %1..%16 */
#define DC_QUOTE_MAX  48

typedef ipl_xml_str dstr;

static const dstr none = {NULL, 0};

/* ---- the ID table ------------------------------------------------------------------------ */

enum role {
    R_MSG = 0,      /* in the message only */
    R_SCOPE, R_ACTOR, R_RESV, R_NEW, R_OLD, R_OPTION, R_POLICY, R_MAC, R_HOST, R_IP, R_CLIENT,
    R_XID, R_STATUS, R_PARTNER, R_REL, R_COUNT,
};

typedef struct dc_spec {
    unsigned    id;
    uint16_t    kind;
    const char *object, *action;   /* config.change and failover: the attributes */
    uint8_t     role[8];           /* %1..%8 when documented */
    uint8_t     positional;        /* 1: role[] holds documented positions; 0: by shape */
    const char *tmpl;              /* the message template of FORMATS.md, or NULL */
} dc_spec;

#define CFG IPL_K_CONFIG_CHANGE
#define SH(id, kind, obj, act) {id, kind, obj, act, {0}, 0, NULL}
#define POS(id, kind, obj, act, tmpl, ...) {id, kind, obj, act, {__VA_ARGS__}, 1, tmpl}

/* Sorted by ID (a unit test checks). */
static const dc_spec specs[] = {
    POS(70, CFG, "scope", "configured", "Scope: %1 for IPv4 is Configured by %2.", R_SCOPE, R_ACTOR),
    POS(71, CFG, "scope", "modified", "Scope: %1 for IPv4 is Modified by %2.", R_SCOPE, R_ACTOR),
    POS(72, CFG, "scope", "deleted", "Scope: %1 for IPv4 is Deleted by %2.", R_SCOPE, R_ACTOR),
    POS(73, CFG, "scope", "activated", "Scope: %1 for IPv4 is Activated by %2.", R_SCOPE, R_ACTOR),
    POS(74, CFG, "scope", "deactivated", "Scope: %1 for IPv4 is DeActivated by %2.", R_SCOPE,
        R_ACTOR),
    POS(75, CFG, "scope.lease_duration", "updated",
        "Scope: %1 for IPv4 is Updated with Lease Duration: %2 seconds by %3. The previous "
        "configured Lease Duration was: %4 seconds.", R_SCOPE, R_NEW, R_ACTOR, R_OLD),
    POS(76, CFG, "scope.option", "updated", "Scope: %1 for IPv4 is Updated with Option Settings: "
        "%2 by %3", R_SCOPE, R_OPTION, R_ACTOR),
    SH(77, CFG, "scope.dns_update", "enabled"),
    SH(78, CFG, "scope.dns_update", "disabled"),
    SH(79, CFG, "scope.dns_settings", "updated"),
    SH(80, CFG, "scope.dns_settings", "updated"),
    SH(81, CFG, "scope.dns_settings", "updated"),
    SH(82, CFG, "scope.dns_settings", "updated"),
    SH(83, CFG, "scope.dns_settings", "updated"),
    SH(84, CFG, "scope.dns_settings", "updated"),
    SH(85, CFG, "scope.policy_assignment", "disabled"),
    SH(86, CFG, "scope.policy_assignment", "enabled"),
    SH(87, CFG, "scope.name_protection", "enabled"),
    SH(88, CFG, "scope.name_protection", "disabled"),
    SH(89, CFG, "scope.support_type", "updated"),
    SH(90, CFG, "scope.nap", "updated"),
    SH(91, CFG, "scope.nap", "updated"),
    SH(92, CFG, "scope.nap", "updated"),
    SH(93, CFG, "scope.nap", "updated"),
    SH(94, CFG, "scope.nap", "updated"),
    SH(95, CFG, "multicast_scope", "configured"),
    SH(96, CFG, "multicast_scope", "deleted"),
    SH(98, CFG, "superscope", "configured"),
    SH(99, CFG, "superscope", "deleted"),
    SH(100, CFG, "superscope.scope", "activated"),
    SH(101, CFG, "superscope.scope", "deactivated"),
    SH(102, CFG, "superscope.scope", "removed"),
    SH(103, CFG, "superscope.scope", "deleted"),
    POS(105, CFG, "server.option", "updated", "Server level option %1 for IPv4 has been updated "
        "by %2.", R_OPTION, R_ACTOR),
    POS(106, CFG, "reservation", "configured", "Reservation: %1 for IPv4 is Configured under "
        "Scope %2 by %3.", R_RESV, R_SCOPE, R_ACTOR),
    POS(107, CFG, "reservation", "deleted", NULL, R_RESV, R_SCOPE, R_ACTOR),
    SH(108, CFG, "reservation.dns_settings", "updated"),
    SH(109, CFG, "reservation.dns_settings", "updated"),
    SH(110, CFG, "reservation.dns_settings", "updated"),
    SH(111, CFG, "reservation.dns_settings", "updated"),
    SH(112, CFG, "reservation.dns_settings", "updated"),
    SH(113, CFG, "reservation.dns_settings", "updated"),
    SH(114, CFG, "reservation.dns_settings", "updated"),
    SH(115, CFG, "reservation.dns_settings", "updated"),
    POS(116, CFG, "reservation.option", "updated", "Reservation: %1 for IPv4 under Scope: %2 is "
        "Updated with Option Setting: %3 by %4.", R_RESV, R_SCOPE, R_OPTION, R_ACTOR),
    SH(117, CFG, "server.policy_assignment", "disabled"),
    SH(118, CFG, "server.policy_assignment", "enabled"),
    POS(119, CFG, "scope.exclusion", "added", NULL, R_NEW, R_SCOPE, R_ACTOR),
    POS(120, CFG, "scope.exclusion", "deleted", NULL, R_OLD, R_SCOPE, R_ACTOR),
    POS(121, CFG, "filter.allow", "enabled", NULL, R_ACTOR),
    POS(122, CFG, "filter.allow", "disabled", NULL, R_ACTOR),
    POS(123, CFG, "filter.allow.entry", "added", "Filter for physical address: %1, hardware type: "
        "%3 added to the IPv4 Allow List by %2.", R_MAC, R_ACTOR, R_MSG),
    POS(124, CFG, "filter.allow.entry", "removed", "Filter for physical address: %1, hardware "
        "type: %3 removed from the IPv4 Allow List by %2.", R_MAC, R_ACTOR, R_MSG),
    POS(125, CFG, "filter.deny", "enabled", NULL, R_ACTOR),
    POS(126, CFG, "filter.deny", "disabled", NULL, R_ACTOR),
    POS(127, CFG, "filter.deny.entry", "added", "Filter for physical address: %1, hardware type: "
        "%3 added to the IPv4 Deny List by %2.", R_MAC, R_ACTOR, R_MSG),
    POS(128, CFG, "filter.deny.entry", "removed", "Filter for physical address: %1, hardware "
        "type: %3 removed from the IPv4 Deny List by %2.", R_MAC, R_ACTOR, R_MSG),
    SH(130, CFG, "scope6", "deleted"),
    SH(131, CFG, "scope6", "activated"),
    SH(132, CFG, "scope6", "deactivated"),
    SH(133, CFG, "scope6.preferred_lifetime", "updated"),
    SH(134, CFG, "scope6.valid_lifetime", "updated"),
    SH(135, CFG, "scope6.option", "updated"),
    SH(136, CFG, "scope6.dns_settings", "updated"),
    SH(137, CFG, "scope6.dns_settings", "updated"),
    SH(138, CFG, "scope6.dns_settings", "updated"),
    SH(139, CFG, "scope6.dns_settings", "updated"),
    SH(140, CFG, "scope6.dns_settings", "updated"),
    SH(141, CFG, "scope6.dns_settings", "updated"),
    SH(142, CFG, "scope6.name_protection", "enabled"),
    SH(143, CFG, "scope6.name_protection", "disabled"),
    SH(145, CFG, "reservation6", "configured"),
    SH(147, CFG, "reservation6", "deleted"),
    SH(148, CFG, "reservation6.dns_settings", "updated"),
    SH(149, CFG, "reservation6.dns_settings", "updated"),
    SH(150, CFG, "reservation6.dns_settings", "updated"),
    SH(151, CFG, "reservation6.dns_settings", "updated"),
    SH(152, CFG, "reservation6.dns_settings", "updated"),
    SH(153, CFG, "reservation6.dns_settings", "updated"),
    SH(154, CFG, "reservation6.option", "updated"),
    SH(155, CFG, "scope6.exclusion", "added"),
    SH(156, CFG, "scope6.exclusion", "deleted"),
    SH(157, CFG, "scope6", "modified"),
    SH(158, CFG, "server6.stateless", "updated"),
    SH(159, CFG, "server6.stateless", "updated"),
    SH(160, CFG, "server6.stateless", "updated"),
    SH(161, CFG, "server6.stateless", "updated"),
    SH(162, CFG, "server6.stateless", "updated"),
    SH(163, CFG, "server6.stateless", "updated"),
    SH(165, CFG, "scope.dns_settings", "updated"),
    SH(166, CFG, "server6.option", "updated"),
    POS(1011, IPL_K_LEASE_DENY, NULL, NULL, NULL, R_IP, R_CLIENT),
    POS(1012, IPL_K_LEASE_DECLINE, NULL, NULL, "The DHCP client, %2, declined the address %1.",
        R_IP, R_CLIENT),
    POS(1013, IPL_K_LEASE_RELEASE, NULL, NULL, "The DHCP Client, %2, released the address %1.",
        R_IP, R_CLIENT),
    POS(1020, IPL_K_SERVER_STATUS, "scope", "percent_full", NULL, R_SCOPE, R_COUNT),
    SH(1027, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(1028, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(1030, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(1041, IPL_K_ROGUE, NULL, NULL), SH(1042, IPL_K_ROGUE, NULL, NULL),
    SH(1043, IPL_K_ROGUE, NULL, NULL), SH(1044, IPL_K_ROGUE, NULL, NULL),
    SH(1045, IPL_K_ROGUE, NULL, NULL), SH(1046, IPL_K_ROGUE, NULL, NULL),
    SH(1047, IPL_K_ROGUE, NULL, NULL), SH(1048, IPL_K_ROGUE, NULL, NULL),
    SH(1049, IPL_K_ROGUE, NULL, NULL), SH(1050, IPL_K_ROGUE, NULL, NULL),
    SH(1051, IPL_K_ROGUE, NULL, NULL), SH(1052, IPL_K_ROGUE, NULL, NULL),
    SH(1053, IPL_K_ROGUE, NULL, NULL), SH(1054, IPL_K_ROGUE, NULL, NULL),
    SH(1060, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(1063, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(1340, IPL_K_DNS_UPDATE_FAIL, NULL, NULL),
    SH(1341, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(1342, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(1343, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(1376, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(1377, IPL_K_LEASE_EXHAUSTED, NULL, NULL),
    SH(10004, IPL_K_LEASE_DECLINE, NULL, NULL),
    SH(10006, IPL_K_LEASE_DELETE, NULL, NULL),
    SH(10011, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(10013, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(10014, IPL_K_LOG_PAUSE, NULL, NULL),
    SH(10015, IPL_K_LOG_PAUSE, NULL, NULL),
    POS(20096, IPL_K_LEASE_DENY, "filter.deny", "denied", NULL, R_MAC, R_HOST, R_MSG, R_MSG),
    SH(20097, IPL_K_LEASE_DENY, "filter.allow", "denied"),
    POS(20099, IPL_K_LEASE_DENY, "filter.deny", "denied", NULL, R_MAC, R_HOST, R_MSG, R_MSG),
    SH(20100, IPL_K_LEASE_DENY, "filter.allow", "denied"),
    POS(20220, CFG, "server.policy", "state", "Policy %2 for server is %1.", R_NEW, R_POLICY),
    POS(20221, CFG, "scope.policy", "state", "Policy %2 for scope %3 is %1.", R_NEW, R_POLICY,
        R_SCOPE),
    POS(20222, CFG, "policy.conditions", "set", NULL, R_NEW, R_MSG, R_POLICY, R_SCOPE),
    POS(20223, CFG, "policy.conditions", "set", NULL, R_NEW, R_MSG, R_POLICY, R_SCOPE),
    SH(20226, CFG, "policy", "deleted"),
    SH(20227, CFG, "policy", "deleted"),
    POS(20228, CFG, "policy.range", "set", "The IP address range from %1 was set for the scope %3 "
        "policy %2.", R_NEW, R_POLICY, R_SCOPE),
    POS(20229, CFG, "policy.range", "removed", NULL, R_OLD, R_POLICY, R_SCOPE),
    SH(20230, CFG, "policy.option", "set"),
    SH(20231, CFG, "policy.option", "set"),
    SH(20232, CFG, "policy.option", "unset"),
    SH(20233, CFG, "policy.option", "unset"),
    SH(20234, CFG, "policy", "renamed"),
    SH(20235, CFG, "policy", "renamed"),
    SH(20236, CFG, "policy.description", "updated"),
    SH(20237, CFG, "policy.description", "updated"),
    SH(20238, CFG, "policy.processing_order", "updated"),
    SH(20239, CFG, "policy.processing_order", "updated"),
    POS(20241, CFG, "failover", "created", NULL, R_MSG, R_PARTNER, R_REL),
    POS(20242, CFG, "failover", "deleted", "Failover relationship %1 between %2 and %3 has been "
        "deleted.", R_REL, R_MSG, R_PARTNER),
    POS(20243, CFG, "failover.scope", "added", NULL, R_SCOPE, R_REL, R_PARTNER),
    POS(20244, CFG, "failover.scope", "removed", NULL, R_SCOPE, R_REL, R_PARTNER),
    SH(20245, CFG, "failover.mclt", "updated"),
    SH(20246, CFG, "failover.switchover_interval", "updated"),
    SH(20247, CFG, "failover.reserve_percent", "updated"),
    SH(20248, CFG, "failover.load_balance_percent", "updated"),
    SH(20249, CFG, "failover.mode", "updated"),
    SH(20250, CFG, "failover.mode", "updated"),
    POS(20251, IPL_K_SERVER_STATUS, "failover.state", "changed", "The failover state of server: "
        "%1 for failover relationship: %2 changed from: %3 to %4.", R_MSG, R_REL, R_OLD, R_NEW),
    SH(20254, IPL_K_SERVER_STATUS, "failover.partner", "up"),
    SH(20255, IPL_K_SERVER_STATUS, "failover.partner", "down"),
    POS(20259, IPL_K_SERVER_STATUS, "failover.state", "changed", "The failover state of server: "
        "%1 for failover relationship: %2 changed from: %3 to %4.", R_MSG, R_REL, R_OLD, R_NEW),
    SH(20286, IPL_K_LEASE_DROP, "failover", "binding_update_dropped"),
    SH(20287, IPL_K_LEASE_DROP, "failover", "request_dropped"),
    POS(20289, IPL_K_FAILOVER_BINDING, "failover.binding_update", "sent", "A BINDING-UPDATE "
        "message with transaction id: %1 was sent for IP address: %2 with binding status: %3 to "
        "partner server: %4 for failover relationship: %5.", R_XID, R_IP, R_STATUS, R_PARTNER,
        R_REL),
    POS(20290, IPL_K_FAILOVER_BINDING, "failover.binding_update", "received", "A BINDING-UPDATE "
        "message with transaction id: %1 was received for IP address: %2 with binding status: %3 "
        "from partner server: %4 for failover relationship: %5.", R_XID, R_IP, R_STATUS, R_PARTNER,
        R_REL),
    SH(20291, IPL_K_FAILOVER_BINDING, "failover.binding_ack", "sent"),
    SH(20292, IPL_K_FAILOVER_BINDING, "failover.binding_ack", "received"),
    SH(20293, IPL_K_SERVER_STATUS, "failover.message", "updreq"),
    SH(20294, IPL_K_SERVER_STATUS, "failover.message", "updreq"),
    SH(20295, IPL_K_SERVER_STATUS, "failover.message", "upddone"),
    SH(20296, IPL_K_SERVER_STATUS, "failover.message", "upddone"),
    SH(20297, IPL_K_SERVER_STATUS, "failover.message", "updreqall"),
    SH(20298, IPL_K_SERVER_STATUS, "failover.message", "updreqall"),
    SH(20299, IPL_K_SERVER_STATUS, "failover.message", "contact"),
    SH(20300, IPL_K_SERVER_STATUS, "failover.message", "contact"),
    SH(20311, CFG, "failover.shared_secret", "updated"),
    SH(20312, CFG, "failover.message_authentication", "enabled"),
    SH(20313, CFG, "failover.message_authentication", "disabled"),
    SH(20315, CFG, "policy.dns_suffix", "updated"),
    SH(20316, CFG, "policy.dns_suffix", "updated"),
};

static const dc_spec *spec_of(unsigned id)
{
    size_t lo = 0, hi = sizeof specs / sizeof specs[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (specs[mid].id == id)
            return &specs[mid];
        if (specs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static dstr trim(dstr s)
{
    while (s.n && is_blank((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int eq_ci(dstr s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

static int contains_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (lower((unsigned char)s[i]) == lower((unsigned char)lit[0]) && eq_ci((dstr){s + i, m}, lit))
            return 1;
    return 0;
}

#define QBUF (4 * DC_QUOTE_MAX + 4)
static const char *quote(char *buf, dstr v)
{
    return ipl_text_quote(buf, v.p, v.n, DC_QUOTE_MAX);
}

static int too_long(ipl_diag *d, const char *field, size_t n, size_t max)
{
    return ipl_diag_set(d, IPL_EPARSE, "%s is %zu bytes long, longer than the %zu-byte limit",
                        field, n, max);
}

static int copy_str(ipl_parse_ctx *ctx, const char *field, dstr v, const char **out, ipl_diag *d)
{
    if (!v.p || v.n == 0)
        return IPL_OK;
    if (v.n >= IPL_STR_MAX)
        return too_long(d, field, v.n, IPL_STR_MAX - 1);
    char *s = ipl_arena_strndup(ctx->arena, v.p, v.n);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", field);
    *out = s;
    return IPL_OK;
}

static int add(ipl_event *ev, unsigned key, const char *field, dstr v, ipl_diag *d)
{
    if (!v.p || v.n == 0)
        return IPL_OK;
    if (v.n > IPL_ATTR_VAL_MAX)
        return too_long(d, field, v.n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, v.p, v.n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event at %s", field);
    return IPL_OK;
}

static dstr lit(const char *s)
{
    return s ? (dstr){s, strlen(s)} : none;
}

static int all_digits(dstr v, size_t max)
{
    if (v.n == 0 || v.n > max)
        return 0;
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return 0;
    return 1;
}

static int parse_id(dstr v, unsigned *id, ipl_diag *d)
{
    char q[QBUF];
    v = trim(v);
    if (!v.p)
        return ipl_diag_set(d, IPL_EPARSE, "missing EventID");
    unsigned r = 0;
    if (all_digits(v, 5))
        for (size_t i = 0; i < v.n; i++)
            r = r * 10 + (unsigned)(v.p[i] - '0');
    if (!all_digits(v, 5) || r > 65535)
        return ipl_diag_set(d, IPL_EPARSE, "EventID '%s' is not an event number", quote(q, v));
    *id = r;
    return IPL_OK;
}

static int parse_time(const char *field, dstr v, int64_t *us, ipl_diag *d)
{
    char q[QBUF];
    ipl_civil c;
    int has_off, off;
    v = trim(v);
    if (!v.p || v.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "missing %s", field);
    if (!ipl_winevent_time(v.p, v.n, &c, &has_off, &off))
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not an ISO 8601 time "
                            "(YYYY-MM-DDTHH:MM:SS[.fffffff][Z])", field, quote(q, v));
    *us = ipl_civil_to_us(&c) - (int64_t)off * IPL_US_PER_SEC;   /* no offset: UTC */
    return IPL_OK;
}

/* ---- value shapes ------------------------------------------------------------------------ */

/* "[[10.20.30.0]Name]" */
static int is_scope(dstr v)
{
    return v.n >= 5 && v.p[0] == '[' && v.p[1] == '[' && v.p[v.n - 1] == ']' &&
           memchr(v.p + 2, ']', v.n - 3) != NULL;
}

/* "[10.20.30.50]Name" -> the address and the name (may be empty); 0 if not that shape. */
static int split_resv(dstr v, uint8_t ip[16], dstr *name)
{
    if (v.n < 3 || v.p[0] != '[' || v.p[1] == '[')
        return 0;
    const char *close = memchr(v.p, ']', v.n);
    if (!close || ipl_ip_parse(v.p + 1, (size_t)(close - v.p - 1), ip) != IPL_OK)
        return 0;
    *name = trim((dstr){close + 1, (size_t)(v.p + v.n - close - 1)});
    return 1;
}

/* DOMAIN\name: one backslash with text on both sides, no brackets. */
static int is_account(dstr v)
{
    const char *bs = v.n ? memchr(v.p, '\\', v.n) : NULL;
    if (!bs || bs == v.p || bs == v.p + v.n - 1 || memchr(bs + 1, '\\', (size_t)(v.p + v.n - bs - 1)))
        return 0;
    return memchr(v.p, '[', v.n) == NULL;
}

/* ---- one record -> one event ------------------------------------------------------------- */

/* A record in neutral form: message parameters by position (or name), plus the envelope. */
typedef struct dc_rec {
    dstr     val[DC_PARAMS_MAX];        /* %1..%n; by position */
    dstr     name[DC_PARAMS_MAX];       /* the data name when there was one */
    int      npos;                      /* positions known (XML, paramN keys) */
    size_t   n;
    dstr     scope_named, actor_named;  /* IP_ScopeName, ClientName */
    dstr     message, actor_fallback;   /* rendered message; winlog.user domain\name */
} dc_rec;

static int set_ip(ipl_event *ev, const char *field, dstr v, ipl_diag *d)
{
    char q[QBUF];
    v = trim(v);
    if (ipl_ip_parse(v.p, v.n, ev->ip) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not an IP address", field, quote(q, v));
    ev->has_ip = 1;
    return IPL_OK;
}

/* A hardware address: a MAC -> ev->mac; other hex (client ids) -> ev->duid. */
static int set_hw(ipl_parse_ctx *ctx, ipl_event *ev, const char *field, dstr v, ipl_diag *d)
{
    char q[QBUF];
    v = trim(v);
    char *mac = ipl_arena_alloc(ctx->arena, 13);
    if (!mac)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", field);
    if (ipl_mac_canon(v.p, v.n, mac) == IPL_OK) {
        ev->mac = mac;
        return IPL_OK;
    }
    if (v.n / 2 + 1 >= IPL_STR_MAX)
        return too_long(d, field, v.n, IPL_STR_MAX - 2);
    char *hex = ipl_arena_alloc(ctx->arena, v.n + 1);
    if (!hex)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", field);
    if (v.n == 0 || ipl_hex_canon(v.p, v.n, hex, v.n + 1) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is not a hardware address", field, quote(q, v));
    ev->duid = hex;
    return IPL_OK;
}

static int set_resv(ipl_parse_ctx *ctx, ipl_event *ev, dstr v, ipl_diag *d)
{
    dstr name;
    uint8_t ip[16];
    if (!split_resv(trim(v), ip, &name))
        return IPL_OK;                                  /* kept in the message */
    memcpy(ev->ip, ip, 16);
    ev->has_ip = 1;
    return copy_str(ctx, "reservation name", name, &ev->host, d);
}

/* Applies one role to value v (position pos, 1-based, for messages). */
static int apply(ipl_parse_ctx *ctx, ipl_event *ev, int role, dstr v, int pos, ipl_diag *d)
{
    char field[24];
    snprintf(field, sizeof field, "parameter %%%d", pos);
    dstr t = trim(v);
    if (t.n == 0 || (t.n == 1 && t.p[0] == '-'))
        return IPL_OK;
    switch (role) {
    case R_SCOPE:   return add(ev, IPL_A_SCOPE, field, t, d);
    case R_ACTOR:   return copy_str(ctx, field, t, &ev->user, d);
    case R_RESV:    return set_resv(ctx, ev, t, d);
    case R_NEW:     return add(ev, IPL_A_NEW, field, t, d);
    case R_OLD:     return add(ev, IPL_A_OLD, field, t, d);
    case R_OPTION:  return add(ev, IPL_A_OPTION, field, t, d);
    case R_POLICY:  return add(ev, IPL_A_POLICY, field, t, d);
    case R_MAC:
    case R_CLIENT:  return set_hw(ctx, ev, field, t, d);
    case R_HOST:    return copy_str(ctx, field, t, &ev->host, d);
    case R_IP:      return set_ip(ev, field, t, d);
    case R_XID:     return add(ev, IPL_A_XID, field, t, d);
    case R_STATUS:  return add(ev, IPL_A_STATUS, field, t, d);
    case R_PARTNER: return add(ev, IPL_A_PARTNER, field, t, d);
    case R_REL:     return add(ev, IPL_A_RELATIONSHIP, field, t, d);
    case R_COUNT:   return add(ev, IPL_A_COUNT, field, t, d);
    default:        return IPL_OK;
    }
}

/* The message: rendered, else the template filled in, else "name=value; ...". */
static int message(ipl_parse_ctx *ctx, const dc_spec *sp, const dc_rec *r, dstr *out, ipl_diag *d)
{
    if (r->message.p && trim(r->message).n) {
        *out = trim(r->message);
        return IPL_OK;
    }
    size_t cap = IPL_ATTR_VAL_MAX + 1, o = 0;
    char *buf = ipl_arena_alloc(ctx->arena, cap);
    if (!buf)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory building the message");
#define PUT(p, n)                                                                     \
    do {                                                                              \
        size_t n_ = (n);                                                              \
        if (n_ > cap - 1 - o)                                                         \
            return ipl_diag_set(d, IPL_EPARSE, "message of event %u is longer than "  \
                                "the %d-byte limit", sp->id, IPL_ATTR_VAL_MAX);      \
        memcpy(buf + o, (p), n_);                                                     \
        o += n_;                                                                      \
    } while (0)
    size_t need = 0;                    /* the highest %N of the template */
    for (const char *t = sp->tmpl; t && *t; t++)
        if (t[0] == '%' && t[1] >= '1' && t[1] <= '9' && (size_t)(t[1] - '0') > need)
            need = (size_t)(t[1] - '0');
    if (sp->tmpl && r->npos && r->n >= need) {
        for (const char *t = sp->tmpl; *t; t++) {
            if (t[0] == '%' && t[1] >= '1' && t[1] <= '9') {
                size_t k = (size_t)(t[1] - '1');
                if (k < r->n)
                    PUT(r->val[k].p, r->val[k].n);
                t++;
            } else {
                PUT(t, 1);
            }
        }
    } else {
        for (size_t i = 0; i < r->n; i++) {
            char num[16];
            if (i)
                PUT("; ", 2);
            if (r->name[i].n) {
                PUT(r->name[i].p, r->name[i].n);
            } else {
                int k = snprintf(num, sizeof num, "%%%zu", i + 1);
                PUT(num, (size_t)k);
            }
            PUT("=", 1);
            PUT(r->val[i].p, r->val[i].n);
        }
    }
#undef PUT
    *out = (dstr){buf, o};
    return IPL_OK;
}

static int dc_build(ipl_parse_ctx *ctx, const ipl_winevent *w, const dc_rec *r, unsigned id,
                    int64_t ts, ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    const dc_spec *sp = spec_of(id);
    if (!sp)
        return IPL_OK;
    dstr prov = trim(w->provider);
    if (prov.n && !contains_ci(prov.p, prov.n, "DHCP-Server"))
        return IPL_OK;

    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = sp->kind;
    ev.ts = ts;
    int rc;
    char q[QBUF];
    dstr rec = trim(w->record_id);
    if (rec.n && !all_digits(rec, 20))
        return ipl_diag_set(d, IPL_EPARSE, "EventRecordID '%s' is not a decimal number",
                            quote(q, rec));
    if ((rc = add(&ev, IPL_A_CODE, "EventID", trim(w->event_id), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_RECORD_ID, "EventRecordID", rec, d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_OBJECT, "object", lit(sp->object), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_ACTION, "action", lit(sp->action), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_CHANNEL, "Channel", trim(w->channel), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_USER_SID, "Security UserID", trim(w->user_sid), d)) != IPL_OK)
        return rc;
    dstr comp = trim(w->computer);
    if (comp.n) {
        if ((rc = copy_str(ctx, "Computer", comp, &ev.server, d)) != IPL_OK)
            return rc;
    } else if (ctx->server) {
        ev.server = ctx->server;
    } else {
        return ipl_diag_set(d, IPL_EPARSE, "missing Computer (the server) in event %u", id);
    }

    /* documented positions, when the record has them */
    int done_scope = 0, done_actor = 0, done_resv = 0;
    if (sp->positional && r->npos) {
        for (size_t i = 0; i < r->n && i < 8; i++) {
            int role = sp->role[i];
            if ((rc = apply(ctx, &ev, role, r->val[i], (int)i + 1, d)) != IPL_OK)
                return rc;
            done_scope |= role == R_SCOPE;
            done_actor |= role == R_ACTOR;
            done_resv |= role == R_RESV;
        }
    }
    /* names, then shapes, for what is still missing */
    if (!done_scope && r->scope_named.n) {
        if ((rc = add(&ev, IPL_A_SCOPE, "IP_ScopeName", trim(r->scope_named), d)) != IPL_OK)
            return rc;
        done_scope = 1;
    }
    if (!done_actor && sp->kind == CFG && r->actor_named.n) {
        if ((rc = copy_str(ctx, "ClientName", trim(r->actor_named), &ev.user, d)) != IPL_OK)
            return rc;
        done_actor = 1;
    }
    if (!(sp->positional && r->npos)) {
        for (size_t i = 0; i < r->n; i++) {
            dstr v = trim(r->val[i]);
            uint8_t ip[16];
            dstr nm;
            if (!done_scope && is_scope(v)) {
                if ((rc = add(&ev, IPL_A_SCOPE, "scope", v, d)) != IPL_OK)
                    return rc;
                done_scope = 1;
            } else if (!done_actor && sp->kind == CFG && is_account(v)) {
                if ((rc = copy_str(ctx, "acting user", v, &ev.user, d)) != IPL_OK)
                    return rc;
                done_actor = 1;
            } else if (!done_resv && split_resv(v, ip, &nm)) {
                if ((rc = set_resv(ctx, &ev, v, d)) != IPL_OK)
                    return rc;
                done_resv = 1;
            }
        }
    }
    if (!ev.user && sp->kind == CFG && r->actor_fallback.n &&
        (rc = copy_str(ctx, "winlog.user", r->actor_fallback, &ev.user, d)) != IPL_OK)
        return rc;

    dstr msg = none;
    if ((rc = message(ctx, sp, r, &msg, d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_MESSAGE, "message", msg, d)) != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

static int rec_add(dc_rec *r, dstr name, dstr v, ipl_diag *d)
{
    if (r->n == DC_PARAMS_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "more than %d data values in the event", DC_PARAMS_MAX);
    r->name[r->n] = name;
    r->val[r->n] = v;
    r->n++;
    return IPL_OK;
}

/* ---- XML --------------------------------------------------------------------------------- */

typedef struct dc_state {
    ipl_xml_stream xs;
    ipl_winevent   w;
    dc_rec         r;
} dc_state;

typedef struct dc_call {
    dc_state      *st;
    ipl_parse_ctx *ctx;
    ipl_emit_fn    emit;
    void          *emit_ctx;
} dc_call;

static int xml_record(void *arg, const char *p, size_t n, size_t base, ipl_diag *d)
{
    dc_call *c = arg;
    ipl_winevent *w = &c->st->w;
    dc_rec *r = &c->st->r;
    int rc = ipl_winevent_parse(p, n, base, c->ctx->arena, w, d);
    if (rc != IPL_OK)
        return rc;
    unsigned id;
    int64_t ts;
    if ((rc = parse_id(w->event_id, &id, d)) != IPL_OK)
        return rc;
    if (!w->system_time.p)
        return ipl_diag_set(d, IPL_EPARSE, "missing <TimeCreated SystemTime=...> in event %u", id);
    if ((rc = parse_time("TimeCreated SystemTime", w->system_time, &ts, d)) != IPL_OK)
        return rc;
    if (!spec_of(id))
        return IPL_OK;
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < w->ndata; i++) {
        const ipl_winevent_data *dv = &w->data[i];
        if (ipl_xml_str_is(dv->name, "IP_ScopeName"))
            r->scope_named = dv->value;
        else if (ipl_xml_str_is(dv->name, "ClientName"))
            r->actor_named = dv->value;
        if ((rc = rec_add(r, dv->name, dv->value, d)) != IPL_OK)
            return rc;
    }
    r->npos = (int)r->n;
    r->message = w->message;
    return dc_build(c->ctx, w, r, id, ts, c->emit, c->emit_ctx, d);
}

/* ---- JSON (Winlogbeat; every cJSON call is in this section; helpers: parsers/jsonev.h) ----- */

#define jget  ipl_jsonev_get           /* member of an object, NULL-safe: jget(jget(o, "a"), "b") */
#define jtext ipl_jsonev_text          /* a string or number as text; none otherwise */

/* "param12" -> 12; 0 otherwise. */
static int param_no(const char *k)
{
    if (strncmp(k, "param", 5) != 0 || !k[5] || strlen(k) > 7)
        return 0;
    int v = 0;
    for (const char *p = k + 5; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (*p - '0');
    }
    return v;
}

static int json_record(ipl_parse_ctx *ctx, const char *s, size_t n, ipl_winevent *w, dc_rec *r,
                       ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    cJSON *root;
    int rc = ipl_jsonev_parse(ctx->arena, s, n, &root, d);
    if (rc != IPL_OK)
        return rc;
    const cJSON *wl = jget(root, "winlog");
    if (!cJSON_IsObject(wl)) {
        rc = ipl_diag_set(d, IPL_EPARSE,
                          "JSON object is not a Winlogbeat record (no \"winlog\" object)");
        goto out;
    }
    memset(w, 0, offsetof(ipl_winevent, data));
    memset(r, 0, sizeof *r);
    w->event_id = jtext(ctx, jget(wl, "event_id"));
    if (!w->event_id.p)
        w->event_id = jtext(ctx, jget(jget(root, "event"), "code"));
    unsigned id;
    int64_t ts;
    if ((rc = parse_id(w->event_id, &id, d)) != IPL_OK)
        goto out;
    const cJSON *tsv = jget(root, "@timestamp");
    if (!cJSON_IsString(tsv)) {
        rc = ipl_diag_set(d, IPL_EPARSE, "missing @timestamp in event %u", id);
        goto out;
    }
    if ((rc = parse_time("@timestamp", jtext(ctx, tsv), &ts, d)) != IPL_OK)
        goto out;
    if (!spec_of(id))
        goto out;
    w->computer = jtext(ctx, jget(wl, "computer_name"));
    w->record_id = jtext(ctx, jget(wl, "record_id"));
    w->provider = jtext(ctx, jget(wl, "provider_name"));
    w->channel = jtext(ctx, jget(wl, "channel"));
    const cJSON *user = jget(wl, "user");
    w->user_sid = jtext(ctx, jget(user, "identifier"));
    dstr un = jtext(ctx, jget(user, "name")), ud = jtext(ctx, jget(user, "domain"));
    if (un.n && ud.n) {
        size_t k = ud.n + 1 + un.n;
        char *b = ipl_arena_alloc(ctx->arena, k + 1);
        if (!b) {
            rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory copying winlog.user");
            goto out;
        }
        memcpy(b, ud.p, ud.n);
        b[ud.n] = '\\';
        memcpy(b + ud.n + 1, un.p, un.n);
        r->actor_fallback = (dstr){b, k};
    }
    r->message = jtext(ctx, jget(root, "message"));

    /* event_data: positions from paramN keys; names otherwise */
    const cJSON *ed = jget(wl, "event_data");
    int all_params = 1, maxp = 0;
    for (const cJSON *m = cJSON_IsObject(ed) ? ed->child : NULL; m; m = m->next) {
        if (!m->string)
            continue;
        int p = param_no(m->string);
        if (p < 1 || p > DC_PARAMS_MAX)
            all_params = 0;
        else if (p > maxp)
            maxp = p;
    }
    for (const cJSON *m = cJSON_IsObject(ed) ? ed->child : NULL; m; m = m->next) {
        if (!m->string)
            continue;
        dstr v = jtext(ctx, m);
        if (!v.p)
            continue;
        if (all_params) {
            int p = param_no(m->string);
            r->val[p - 1] = v;
            r->name[p - 1] = none;
            continue;
        }
        dstr nm = {m->string, strlen(m->string)};
        if (strcmp(m->string, "IP_ScopeName") == 0)
            r->scope_named = v;
        else if (strcmp(m->string, "ClientName") == 0)
            r->actor_named = v;
        if ((rc = rec_add(r, nm, v, d)) != IPL_OK)
            goto out;
    }
    if (all_params && maxp) {
        r->n = (size_t)maxp;
        r->npos = maxp;
        for (int i = 0; i < maxp; i++)
            if (!r->val[i].p)
                r->val[i] = (dstr){"", 0};
    }
    rc = dc_build(ctx, w, r, id, ts, emit, emit_ctx, d);
out:
    return rc;
}

/* ---- entry points ------------------------------------------------------------------------ */

static void dc_init(void *state, ipl_parse_ctx *ctx)
{
    dc_state *st = state;
    ipl_xml_stream_init(&st->xs, "Event", "Events", DC_RECORD_MAX);
}

static int dc_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    dc_state *st = state;
    if (!ipl_xml_stream_pending(&st->xs)) {
        const char *s = line;
        size_t n = len;
        size_t b = ipl_jsonev_frame(&s, &n);
        if (b < n && s[b] == '{') {
            int rc = ipl_jsonev_check(s, n, DC_JSON_MAX, d);
            if (rc != IPL_OK)
                return rc;
            return json_record(ctx, s, n, &st->w, &st->r, emit, emit_ctx, d);
        }
    }
    dc_call c = {st, ctx, emit, emit_ctx};
    return ipl_xml_stream_line(&st->xs, line, len, xml_record, &c, d);
}

static int dc_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                     ipl_diag *d)
{
    return ipl_xml_stream_finish(&((dc_state *)state)->xs, d);
}

static int dc_pending(const void *state)
{
    return ipl_xml_stream_pending(&((const dc_state *)state)->xs);
}

static void dc_release(void *state)
{
    ipl_xml_stream_release(&((dc_state *)state)->xs);
}

static int dc_probe(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    if (n - i >= 3 && (s[i] == '-' || s[i] == '+') && s[i + 1] == ' ' && s[i + 2] == '<')
        i += 2;
    if (i >= n)
        return 0;
    if (!contains_ci(s + i, n - i, "Microsoft-Windows-DHCP-Server"))
        return 0;
    if (s[i] == '<' && contains_ci(s + i, n - i, "<Event") &&
        (contains_ci(s + i, n - i, "http://schemas.microsoft.com/win/2004/08/events/event") ||
         contains_ci(s + i, n - i, "<System>")))
        return 100;
    if (s[i] == '{' && contains_ci(s + i, n - i, "\"winlog\""))
        return 100;
    return 0;
}

const ipl_parser ipl_parser_mswin_dhcp_events = {
    .name = "mswin-dhcp-events",
    .summary = "Windows DHCP Server event log: configuration changes, admin, filter and failover "
               "events (event XML, Winlogbeat JSON)",
    .state_size = sizeof(dc_state),
    .probe = dc_probe,
    .init = dc_init,
    .line = dc_line,
    .finish = dc_finish,
    .pending = dc_pending,
    .release = dc_release,
};
