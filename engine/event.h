/* engine/event.h — the one event struct every record becomes.
 *
 * A parser fills an ipl_event from one record; ingest appends it to the store; queries read it
 * back. Strings are borrowed: a parser points them into its line or its arena, the store points
 * them into the read transaction or the caller's arena. Nothing in an ipl_event is owned.
 *
 * Canonical forms (engine/addr.h makes them):
 *   ip    16 bytes, IPv4 as v4-mapped ::ffff:a.b.c.d; has_ip says whether it is set
 *   mac   12 lowercase hex digits, no separators ("3c52826a1b2f"), or NULL
 *   duid  lowercase hex of the DHCPv6 DUID ("000100012b..."), or NULL
 *   host  as logged (compared case-insensitively), or NULL
 *   user  DOMAIN\name as logged (compared case-insensitively), or NULL
 *   ts    UTC microseconds since 1970-01-01
 */
#ifndef IPL_EVENT_H
#define IPL_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Event kinds. The numeric values are stored on disk: append only, never renumber. */
#define IPL_KINDS(X)                                  \
    X(IPL_K_NONE,            0,  "none")              \
    X(IPL_K_LEASE_ASSIGN,    1,  "lease.assign")      \
    X(IPL_K_LEASE_RENEW,     2,  "lease.renew")       \
    X(IPL_K_LEASE_RELEASE,   3,  "lease.release")     \
    X(IPL_K_LEASE_EXPIRE,    4,  "lease.expire")      \
    X(IPL_K_LEASE_DELETE,    5,  "lease.delete")      \
    X(IPL_K_LEASE_DENY,      6,  "lease.deny")        \
    X(IPL_K_LEASE_CONFLICT,  7,  "lease.conflict")    \
    X(IPL_K_LEASE_BOOTP,     8,  "lease.bootp")       \
    X(IPL_K_LEASE_OFFER,     9,  "lease.offer")       \
    X(IPL_K_LEASE_REQUEST,   10, "lease.request")     \
    X(IPL_K_LEASE_EXHAUSTED, 11, "lease.exhausted")   \
    X(IPL_K_LEASE_DROP,      12, "lease.drop")        \
    X(IPL_K_LEASE_INFORM,    13, "lease.inform")      \
    X(IPL_K_LEASE_DECLINE,   14, "lease.decline")     \
    X(IPL_K_DNS_UPDATE,      15, "dns.update")        \
    X(IPL_K_DNS_UPDATE_FAIL, 16, "dns.update.fail")   \
    X(IPL_K_SERVICE,         17, "server.service")    \
    X(IPL_K_LOG_START,       18, "server.log.start")  \
    X(IPL_K_LOG_STOP,        19, "server.log.stop")   \
    X(IPL_K_LOG_PAUSE,       20, "server.log.pause")  \
    X(IPL_K_ROGUE,           21, "server.rogue")      \
    X(IPL_K_HOUSEKEEPING,    22, "server.housekeeping") \
    X(IPL_K_LOGON,           23, "logon")             \
    X(IPL_K_LOGOFF,          24, "logoff")            \
    X(IPL_K_LOGON_FAIL,      25, "logon.fail")        \
    X(IPL_K_AUTH_KERBEROS,   26, "auth.kerberos")     \
    X(IPL_K_AUTH_NTLM,       27, "auth.ntlm")         \
    X(IPL_K_RADIUS_START,    28, "radius.start")      \
    X(IPL_K_RADIUS_STOP,     29, "radius.stop")       \
    X(IPL_K_RADIUS_UPDATE,   30, "radius.update")     \
    X(IPL_K_CONFIG_CHANGE,   31, "config.change")     \
    X(IPL_K_SERVER_STATUS,   32, "server.status")     \
    X(IPL_K_RETENTION_PURGE, 33, "retention.purge")   \
    X(IPL_K_LEASE_V6_SOLICIT,34, "lease.v6.solicit")  \
    X(IPL_K_LEASE_V6_CONFIRM,35, "lease.v6.confirm")  \
    X(IPL_K_AUTH_PRIV,       36, "auth.privileged")   \
    X(IPL_K_LOGON_EXPLICIT,  37, "logon.explicit")    \
    X(IPL_K_AUTH_FAIL,       38, "auth.fail")         \
    X(IPL_K_ALERT,           39, "alert")             \
    X(IPL_K_FAILOVER_BINDING, 56, "failover.binding") \
    X(IPL_K_RADIUS_REQUEST,  72, "radius.request")    \
    X(IPL_K_RADIUS_ACCT_ON,  73, "radius.acct.on")    \
    X(IPL_K_RADIUS_ACCT_OFF, 74, "radius.acct.off")   \
    X(IPL_K_ASM_CONFLICT,    80, "asm.conflict")
/* Numbers 40-99 are reserved in blocks for the format families being added (append only):
 *   40-47 syslog + ISC dhcpd   48-55 Kea   56-67 Windows Security + DHCP config events
 *   68-71 dnsmasq + sshd       72-79 NPS + FreeRADIUS   80-99 address space, inventory, retention */

enum ipl_kind {
#define IPL_KIND_ENUM(name, val, text) name = val,
    IPL_KINDS(IPL_KIND_ENUM)
#undef IPL_KIND_ENUM
    IPL_K__COUNT
};

const char *ipl_kind_name(unsigned kind);           /* "lease.assign"; "unknown" if out of range */
int ipl_kind_parse(const char *name, size_t len);   /* kind value, or -1 */
/* Lease-binding semantics used by who/track: */
int ipl_kind_opens_lease(unsigned kind);   /* assign, renew, bootp, v6 confirm */
int ipl_kind_closes_lease(unsigned kind);  /* release, expire, delete, decline */
/* The class kept with each index entry of the event (2 bits): walks that look for lease
 * events skip IPL_IXC_REST entries without reading them, and the reverse. */
enum { IPL_IXC_LEASE = 0,   /* lease.* and dns.* kinds that neither open nor close a lease */
       IPL_IXC_OPEN = 1,    /* ipl_kind_opens_lease */
       IPL_IXC_CLOSE = 2,   /* ipl_kind_closes_lease */
       IPL_IXC_REST = 3 };  /* logons, authentications, RADIUS, changes, alerts, ... */
unsigned ipl_ix_class(unsigned kind);

/* Attribute keys: the small kind-specific bag. Stored on disk by number: append only.
 * `interned` attributes are low-cardinality strings kept in the dictionary (one id per event). */
#define IPL_ATTRS(X)                                    \
    X(IPL_A_CODE,        1,  "code",        0)          \
    X(IPL_A_DESC,        2,  "desc",        1)          \
    X(IPL_A_XID,         3,  "xid",         0)          \
    X(IPL_A_QRESULT,     4,  "qresult",     1)          \
    X(IPL_A_VENDOR,      5,  "vendor_class",1)          \
    X(IPL_A_USER_CLASS,  6,  "user_class",  1)          \
    X(IPL_A_RELAY,       7,  "relay",       1)          \
    X(IPL_A_DNS_ERROR,   8,  "dns_error",   1)          \
    X(IPL_A_DHCID,       9,  "dhcid",       0)          \
    X(IPL_A_PREFIX,      10, "subnet_prefix",1)         \
    X(IPL_A_ERROR_CODE,  11, "error_code",  1)          \
    X(IPL_A_LEASE_END,   12, "lease_end",   0)          \
    X(IPL_A_LOGON_TYPE,  13, "logon_type",  1)          \
    X(IPL_A_LOGON_ID,    14, "logon_id",    0)          \
    X(IPL_A_SCOPE,       15, "scope",       1)          \
    X(IPL_A_OPTION,      16, "option",      1)          \
    X(IPL_A_OLD,         17, "old",         0)          \
    X(IPL_A_NEW,         18, "new",         0)          \
    X(IPL_A_MESSAGE,     19, "message",     0)          \
    X(IPL_A_OBJECT,      20, "object",      1)          \
    X(IPL_A_ACTION,      21, "action",      1)          \
    X(IPL_A_STATUS,      22, "status",      1)          \
    X(IPL_A_PROBATION,   23, "probation",   0)          \
    X(IPL_A_CORRELATION, 24, "correlation", 0)          \
    X(IPL_A_SESSION,     25, "session",     0)          \
    X(IPL_A_NAS,         26, "nas",         1)          \
    X(IPL_A_PORT,        27, "port",        0)          \
    X(IPL_A_METHOD,      28, "method",      1)          \
    X(IPL_A_REASON,      29, "reason",      1)          \
    X(IPL_A_WORKSTATION, 30, "workstation", 1)          \
    X(IPL_A_LIFETIME,    31, "lifetime",    0)          \
    X(IPL_A_IAID,        32, "iaid",        0)          \
    X(IPL_A_RELAY_IP,    33, "relay_ip",    1)          \
    X(IPL_A_COUNTRY,     34, "geo.country", 1)          \
    X(IPL_A_ASN,         35, "geo.asn",     1)          \
    X(IPL_A_CRITERIA,    36, "criteria",    0)          \
    X(IPL_A_COUNT,       37, "count",       0)          \
    X(IPL_A_DIGEST,      38, "digest",      0)          \
    X(IPL_A_PROGRAM,     39, "program",     1)          \
    X(IPL_A_IFACE,       40, "interface",   1)          \
    X(IPL_A_SERVER_ID,   41, "server_id",   1)          \
    X(IPL_A_IA_TYPE,     42, "ia_type",     1)          \
    X(IPL_A_SUBNET_ID,   50, "subnet_id",   1)          \
    X(IPL_A_PREFIX_LEN,  51, "prefix_len",  1)          \
    X(IPL_A_LEASE_TYPE,  52, "lease_type",  1)          \
    X(IPL_A_CLIENT_ID,   53, "client_id",   0)          \
    X(IPL_A_HWADDR,      54, "hwaddr",      0)          \
    X(IPL_A_HWADDR_SRC,  55, "hwaddr_source", 1)        \
    X(IPL_A_USER_CONTEXT, 56, "user_context", 0)        \
    X(IPL_A_TIME_BASIS,  57, "time_basis",  1)          \
    X(IPL_A_ACCOUNT_TYPE, 60, "account_type", 1)       \
    X(IPL_A_SUBSTATUS,   61, "substatus",   1)          \
    X(IPL_A_SERVICE,     62, "service",     1)          \
    X(IPL_A_RECORD_ID,   63, "record_id",   0)          \
    X(IPL_A_SUBJECT,     64, "subject",     1)          \
    X(IPL_A_TARGET_SERVER, 65, "target_server", 1)      \
    X(IPL_A_LINKED_LOGON_ID, 66, "linked_logon_id", 0)  \
    X(IPL_A_LOGON_GUID,  67, "logon_guid",  0)          \
    X(IPL_A_USER_SID,    68, "user_sid",    1)          \
    X(IPL_A_PRIVILEGES,  69, "privileges",  0)          \
    X(IPL_A_CHANNEL,     70, "channel",     1)          \
    X(IPL_A_PARTNER,     71, "partner",     1)          \
    X(IPL_A_RELATIONSHIP, 72, "relationship", 1)        \
    X(IPL_A_KEY_TYPE,    80, "key_type",    1)          \
    X(IPL_A_KEY_FP,      81, "key_fp",      0)          \
    X(IPL_A_SESSION_TIME, 90, "session_time", 0)        \
    X(IPL_A_IN_OCTETS,   91, "in_octets",   0)          \
    X(IPL_A_OUT_OCTETS,  92, "out_octets",  0)          \
    X(IPL_A_TERM_CAUSE,  93, "terminate_cause", 1)      \
    X(IPL_A_CALLING,     94, "calling_station", 0)      \
    X(IPL_A_CALLED,      95, "called_station", 1)       \
    X(IPL_A_NAS_ID,      96, "nas_id",      1)          \
    X(IPL_A_POLICY,      97, "policy",      1)          \
    X(IPL_A_FRAMED_PREFIX, 98, "framed_ipv6_prefix", 0) \
    X(IPL_A_NAS_PORT_TYPE, 99, "nas_port_type", 1)      \
    X(IPL_A_PURGE_KINDS, 100, "purge.kinds", 0)         \
    X(IPL_A_PURGE_SOURCES, 101, "purge.sources", 0)     \
    X(IPL_A_PURGE_HELD,  102, "purge.held",  0)         \
    X(IPL_A_BYTES,       103, "bytes",       0)         \
    X(IPL_A_SPAN,        104, "span",        0)         \
    X(IPL_A_CHAIN_BEFORE, 105, "chain.before", 0)       \
    X(IPL_A_CHAIN_AFTER, 106, "chain.after", 0)         \
    X(IPL_A_ORIGIN,      107, "origin",      0)         \
    X(IPL_A_PREV_STATUS, 108, "previous_status", 1)     \
    X(IPL_A_SINCE,       109, "since",       0)         \
    X(IPL_A_CHECK,       110, "check",       1)         \
    X(IPL_A_WATCHED,     111, "watched_source", 0)  \
    X(IPL_A_RESULT,      116, "result",      1)         \
    X(IPL_A_ERROR,       117, "error",       0)         \
    X(IPL_A_CONFIG_HASH, 118, "config_hash", 0)         \
    X(IPL_A_ENDPOINT,    119, "endpoint",    1)         \
    X(IPL_A_AS_ORG,      120, "geo.as_org",  1)
/* Attribute numbers 40-127 are reserved in blocks for the format families being added:
 *   40-49 syslog + ISC dhcpd   50-59 Kea   60-79 Windows Security + DHCP config events
 *   80-89 dnsmasq + sshd       90-99 NPS + FreeRADIUS   100-127 address space, inventory, retention, geo
 *   (100-107 retention: a purge's counts per kind/source/hold, record bytes, time span, chain
 *   heads before and after; "origin" = source#line of an event re-imported from an export)
 *   (108-115 inventory: server.status's previous status, since (ISO 8601), the check that saw
 *   it (passive, quarantine, dns, tcp, kea) and the source watched by a passive check)
 *   (116-119 Kea management, engine/msm/kea_manage.c: "result" ok|failed of a change sent to a
 *   server, "error" why it failed, "config_hash" SHA-256 of the server's config after it,
 *   "endpoint" the control channel)
 *   (120-123 geo: geo.as_org = the AS organization of a public client address, engine/geoip.h) */

enum ipl_attr_key {
    IPL_A_NONE = 0,
#define IPL_ATTR_ENUM(name, val, text, interned) name = val,
    IPL_ATTRS(IPL_ATTR_ENUM)
#undef IPL_ATTR_ENUM
    IPL_A__COUNT
};

const char *ipl_attr_name(unsigned key);          /* "code"; NULL if unknown */
int ipl_attr_parse(const char *name, size_t len); /* key, or -1 */
int ipl_attr_interned(unsigned key);

#define IPL_ATTR_MAX     16     /* attributes per event */
#define IPL_ATTR_VAL_MAX 4096   /* bytes per attribute value */
#define IPL_STR_MAX      480    /* bytes in mac/duid/host/user/server/source strings (dictionary keys) */

typedef struct ipl_attr {
    uint8_t     key;    /* enum ipl_attr_key */
    uint32_t    len;
    const char *val;    /* not necessarily NUL-terminated; len bytes */
} ipl_attr;

typedef struct ipl_event {
    int64_t     ts;             /* UTC microseconds since the epoch */
    uint16_t    kind;           /* enum ipl_kind */
    uint8_t     has_ip;
    uint8_t     ip[16];         /* v4-mapped for IPv4 */
    const char *mac;
    const char *duid;
    const char *host;
    const char *user;
    const char *server;
    uint32_t    nattr;
    ipl_attr    attr[IPL_ATTR_MAX];
    /* set by ingest, filled on read */
    uint64_t    seq;            /* position in the store's event log (1-based) */
    const char *source;         /* source id, e.g. "file:/var/log/dhcp/DhcpSrvLog-Mon.log" */
    uint64_t    line;           /* line (or record) number inside the source, 1-based */
} ipl_event;

void ipl_event_reset(ipl_event *ev);
/* Adds an attribute (borrowed); IPL_ELIMIT when full, IPL_EINVAL when the value is too long. */
int ipl_event_add_attr(ipl_event *ev, unsigned key, const char *val, size_t len);
/* The value of an attribute, or NULL (and *len untouched). */
const char *ipl_event_attr(const ipl_event *ev, unsigned key, size_t *len);

#endif
