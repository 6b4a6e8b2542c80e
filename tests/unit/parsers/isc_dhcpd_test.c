/* tests/unit/parsers/isc_dhcpd_test.c — ISC dhcpd (parsers/isc_dhcpd.c): the syslog sub and the
 * "isc-dhcpd" parser (every sample of FORMATS.md 2.4, each v4 message shape of 2.2 incl. uid
 * identifiers, 1-digit MAC groups, relays and interfaces, failure suffixes; the v6 messages of
 * 2.3; non-lease messages; refused messages with their reasons; probe scores against the other
 * formats) and the "isc-leases" parser (the 2.7 sample, every binding state, date forms, string
 * escapes, comments and skipped statements, nested blocks, the byte order of IAIDs, truncated
 * records mid-file and at the end, pending(), refused blocks) and the fixtures in tests/data/isc/.
 * Events are compared as one text line each:
 *   "<kind> <ts> <ip|-> mac=<..|-> duid=<..|-> host=<..|-> server=<..|-> [attr=value ...]"
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_isc_dhcpd;
extern const ipl_parser ipl_parser_isc_leases;
extern const ipl_parser ipl_parser_syslog;
extern const ipl_syslog_sub ipl_syslog_sub_isc_dhcpd;

/* ---- capture: every event of a call as one line of text ---- */

static char out[1 << 16];
static size_t outn;
static int nev;

/* appends label then s ("-" when NULL) */
static void put(const char *label, const char *s)
{
    int k = snprintf(out + outn, sizeof out - outn, "%s%s", label, s ? s : "-");
    if (k > 0 && (size_t)k < sizeof out - outn)
        outn += (size_t)k;
}

static int on_event(void *c, const ipl_event *ev)
{
    (void)c;
    char ts[IPL_TIME_BUF], ip[IPL_IP_TEXT] = "-";
    ipl_time_format(ev->ts, ts, sizeof ts);
    if (ev->has_ip)
        ipl_ip_format(ev->ip, ip, sizeof ip);
    if (nev++)
        put("\n", "");
    put("", ipl_kind_name(ev->kind));
    put(" ", ts);
    put(" ", ip);
    put(" mac=", ev->mac);
    put(" duid=", ev->duid);
    put(" host=", ev->host);
    put(" server=", ev->server);
    if (ev->user)
        put(" user=", ev->user);
    for (uint32_t i = 0; i < ev->nattr; i++) {
        char kv[IPL_ATTR_VAL_MAX + 64];
        snprintf(kv, sizeof kv, " %s=%.*s", ipl_attr_name(ev->attr[i].key), (int)ev->attr[i].len,
                 ev->attr[i].val);
        put("", kv);
    }
    return IPL_OK;
}

static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))

static void ctx_reset(const char *server)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = server;
    ctx.arena = &arena;
    ctx.now = T(2024, 6, 1, 12, 0, 0);
}

static void clear(void)
{
    outn = 0;
    out[0] = '\0';
    nev = 0;
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
}

/* one syslog line through the "isc-dhcpd" parser */
static int line(const char *s)
{
    clear();
    return ipl_parser_isc_dhcpd.line(NULL, &ctx, s, strlen(s), on_event, NULL, &diag);
}

/* a dhcpd message (envelope "May  1 08:15:32 dhcp01 dhcpd[1123]: ") */
static int msg(const char *m)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "May  1 08:15:32 dhcp01 dhcpd[1123]: %s", m);
    return line(buf);
}

#define EXPECT(call, ev)                                                   \
    do {                                                                   \
        int rc_ = (call);                                                  \
        CHECK_INT(rc_, IPL_OK);                                            \
        if (rc_ != IPL_OK)                                                 \
            fprintf(stderr, "   reason: %s\n", diag.msg);                  \
        CHECK_STR(out, ev);                                                \
    } while (0)

#define REFUSE(call, reason)                                               \
    do {                                                                   \
        CHECK_INT((call), IPL_EPARSE);                                     \
        CHECK_STR(diag.msg, reason);                                       \
        CHECK_INT(nev, 0);                                                 \
    } while (0)

/* ==== syslog: FORMATS.md 2.4 samples ==================================================== */

static void test_samples(void)
{
    ctx_reset(NULL);
    EXPECT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
           "lease.request 2024-05-01T08:15:32Z - mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 relay_ip=10.20.30.1");
    EXPECT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPREQUEST for 10.20.30.41 (10.0.0.5) from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
           "lease.request 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 relay_ip=10.20.30.1 server_id=10.0.0.5");
    EXPECT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 relay_ip=10.20.30.1");
    EXPECT(line("May  1 17:02:11 dhcp01 dhcpd[1123]: DHCPRELEASE of 10.20.30.41 from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via eth0 (found)"),
           "lease.release 2024-05-01T17:02:11Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 interface=eth0 status=found");
    EXPECT(line("May  1 09:15:00 dhcp01 dhcpd[1123]: DHCPDISCOVER from 00:0c:29:1a:a6:af via eth0: network 10.20.30.0/24: no free leases"),
           "lease.exhausted 2024-05-01T09:15:00Z - mac=000c291aa6af duid=- host=- server=dhcp01 interface=eth0 reason=network 10.20.30.0/24: no free leases");
    EXPECT(line("May  1 08:20:01 dhcp01 dhcpd[2211]: Reply NA: address 2001:db8:10:20::1a2b to client with duid 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f iaid = 1782193967 valid for 7200 seconds"),
           "lease.assign 2024-05-01T08:20:01Z 2001:db8:10:20::1a2b mac=3c52826a1b2f duid=000100012b3c4d5e3c52826a1b2f host=- server=dhcp01 iaid=1782193967 ia_type=na lifetime=7200 lease_end=2024-05-01T10:20:01Z");
    /* --server wins over the syslog host */
    ctx_reset("dhcp-a");
    EXPECT(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=dhcp-a interface=eth0");
    /* no syslog host, no --server: no server */
    ctx_reset(NULL);
    EXPECT(line("May  1 08:15:32 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=- interface=eth0");
}

/* ==== syslog: every v4 shape of 2.2 ===================================================== */

static void test_v4_shapes(void)
{
    ctx_reset(NULL);
    EXPECT(msg("DHCPOFFER on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
           "lease.offer 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 relay_ip=10.20.30.1");
    EXPECT(msg("DHCPOFFER on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0"),
           "lease.offer 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0");
    /* renewal: no server id; the ACK is an assign all the same (see the file comment) */
    EXPECT(msg("DHCPREQUEST for 10.20.30.41 from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via eth0"),
           "lease.request 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPREQUEST for 192.168.1.77 from 00:0c:29:ff:00:01 via eth0: wrong network."),
           "lease.request 2024-05-01T08:15:32Z 192.168.1.77 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0 reason=wrong network.");
    EXPECT(msg("DHCPREQUEST for 10.0.0.5 (10.0.0.1) from 00:0c:29:ff:00:01 via eth0: lease 10.0.0.5 unavailable."),
           "lease.request 2024-05-01T08:15:32Z 10.0.0.5 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0 server_id=10.0.0.1 reason=lease 10.0.0.5 unavailable.");
    EXPECT(msg("DHCPREQUEST for 10.0.0.5 from 00:0c:29:ff:00:01 via eth0: ignored (not authoritative)."),
           "lease.request 2024-05-01T08:15:32Z 10.0.0.5 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0 reason=ignored (not authoritative).");
    EXPECT(msg("DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0"),
           "lease.deny 2024-05-01T08:15:32Z 192.168.1.77 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPRELEASE of 10.20.30.41 from 3c:52:82:6a:1b:2f via eth0 (not found)"),
           "lease.release 2024-05-01T08:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0 status=not found");
    EXPECT(msg("DHCPDECLINE of 10.20.30.43 from 00:50:56:a1:02:03 via 10.20.30.1: abandoned"),
           "lease.decline 2024-05-01T08:15:32Z 10.20.30.43 mac=005056a10203 duid=- host=- server=dhcp01 relay_ip=10.20.30.1 status=abandoned");
    EXPECT(msg("DHCPDECLINE of 10.20.30.43 from 00:50:56:a1:02:03 (pc) via eth0: not found"),
           "lease.decline 2024-05-01T08:15:32Z 10.20.30.43 mac=005056a10203 duid=- host=pc server=dhcp01 interface=eth0 status=not found");
    EXPECT(msg("DHCPINFORM from 10.20.30.5 via eth0"),
           "lease.inform 2024-05-01T08:15:32Z 10.20.30.5 mac=- duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPINFORM from 10.20.31.5 via eth0: not authoritative for subnet 10.20.31.0"),
           "lease.inform 2024-05-01T08:15:32Z 10.20.31.5 mac=- duid=- host=- server=dhcp01 interface=eth0 reason=not authoritative for subnet 10.20.31.0");
    EXPECT(msg("DHCPACK to 10.20.30.5 (00:15:5d:01:02:03) via eth0"),
           "lease.inform 2024-05-01T08:15:32Z 10.20.30.5 mac=00155d010203 duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPACK to 10.20.30.5 (<no client hardware address>) via eth0"),
           "lease.inform 2024-05-01T08:15:32Z 10.20.30.5 mac=- duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(msg("BOOTREQUEST from 00:11:22:33:44:55 via eth0"),
           "lease.request 2024-05-01T08:15:32Z - mac=001122334455 duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(msg("BOOTREQUEST from 00:11:22:33:44:55 via eth0: BOOTP from dynamic client and no dynamic leases"),
           "lease.request 2024-05-01T08:15:32Z - mac=001122334455 duid=- host=- server=dhcp01 interface=eth0 reason=BOOTP from dynamic client and no dynamic leases");
    EXPECT(msg("BOOTREPLY on 10.20.30.70 to 00:11:22:33:44:55 via eth0"),
           "lease.bootp 2024-05-01T08:15:32Z 10.20.30.70 mac=001122334455 duid=- host=- server=dhcp01 interface=eth0");
    /* unknown network segment, any type */
    EXPECT(msg("DHCPDISCOVER from 00:0c:29:1a:a6:af via eth1: unknown network segment"),
           "lease.request 2024-05-01T08:15:32Z - mac=000c291aa6af duid=- host=- server=dhcp01 interface=eth1 reason=unknown network segment");
    EXPECT(msg("DHCPRELEASE from 00:0c:29:1a:a6:af via eth1: unknown network segment"),
           "lease.release 2024-05-01T08:15:32Z - mac=000c291aa6af duid=- host=- server=dhcp01 interface=eth1 reason=unknown network segment");
    EXPECT(msg("DHCPDISCOVER from 00:0c:29:1a:a6:af via eth0: peer holds all free leases"),
           "lease.exhausted 2024-05-01T08:15:32Z - mac=000c291aa6af duid=- host=- server=dhcp01 interface=eth0 reason=peer holds all free leases");
    EXPECT(msg("DHCPDISCOVER from 00:0c:29:1a:a6:af via eth0: load balance to peer dhcp-failover"),
           "lease.request 2024-05-01T08:15:32Z - mac=000c291aa6af duid=- host=- server=dhcp01 interface=eth0 reason=load balance to peer dhcp-failover");
    /* identifiers: 1-digit groups padded, client ids (htype 0), none */
    EXPECT(msg("DHCPACK on 10.20.30.44 to 0:50:56:a1:2:3 via 10.20.30.1"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.44 mac=005056a10203 duid=- host=- server=dhcp01 relay_ip=10.20.30.1");
    EXPECT(msg("DHCPACK on 10.20.30.45 to 1:3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.45 mac=3c52826a1b2f duid=013c52826a1b2f host=- server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPACK on 10.20.30.46 to ff:6a:3a:1f:2f:0:1:0:1:2b:3c:4d:5e:3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.46 mac=- duid=ff6a3a1f2f000100012b3c4d5e3c52826a1b2f host=- server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPDISCOVER from <no identifier> via eth0"),
           "lease.request 2024-05-01T08:15:32Z - mac=- duid=- host=- server=dhcp01 interface=eth0");
    /* host names: spaces, parentheses inside, dhcpd's placeholder */
    EXPECT(msg("DHCPACK on 10.20.30.47 to 3c:52:82:6a:1b:2f (Bob's (old) PC) via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.47 mac=3c52826a1b2f duid=- host=Bob's (old) PC server=dhcp01 interface=eth0");
    EXPECT(msg("DHCPACK on 10.20.30.47 to 3c:52:82:6a:1b:2f (Hostname Unsuitable for Printing) via eth0"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.47 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0");
    /* interfaces with dots and colons */
    EXPECT(msg("DHCPACK on 10.20.30.48 to 3c:52:82:6a:1b:2f via eth0.100"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.48 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0.100");
    EXPECT(msg("DHCPDISCOVER from 3c:52:82:6a:1b:2f via eth0:1: network 10.1.0.0/16: no free leases"),
           "lease.exhausted 2024-05-01T08:15:32Z - mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0:1 reason=network 10.1.0.0/16: no free leases");
    /* DHCP4o6: via is the IPv6 peer */
    EXPECT(msg("DHCP4o6 DHCPACK on 10.20.30.49 to 3c:52:82:6a:1b:2f via fe80::1"),
           "lease.assign 2024-05-01T08:15:32Z 10.20.30.49 mac=3c52826a1b2f duid=- host=- server=dhcp01 relay_ip=fe80::1");
    /* address conflicts */
    EXPECT(msg("Abandoning IP address 10.20.30.43: declined."),
           "lease.conflict 2024-05-01T08:15:32Z 10.20.30.43 mac=- duid=- host=- server=dhcp01 reason=declined.");
    EXPECT(msg("Abandoning IP address 10.20.30.43: pinged before offer"),
           "lease.conflict 2024-05-01T08:15:32Z 10.20.30.43 mac=- duid=- host=- server=dhcp01 reason=pinged before offer");
    EXPECT(msg("ICMP Echo reply while lease 10.20.30.43 valid."),
           "lease.conflict 2024-05-01T08:15:32Z 10.20.30.43 mac=- duid=- host=- server=dhcp01 reason=ICMP echo reply");
    /* a trailing blank or CR is not part of the grammar */
    EXPECT(msg("DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0 \r"),
           "lease.deny 2024-05-01T08:15:32Z 192.168.1.77 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0");
}

/* ==== syslog: DHCPv6 ===================================================================== */

static void test_v6(void)
{
    ctx_reset(NULL);
    EXPECT(msg("Advertise NA: address 2001:db8:10:20::1a2b to client with duid 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f iaid = 1782193967 valid for 7200 seconds"),
           "lease.offer 2024-05-01T08:15:32Z 2001:db8:10:20::1a2b mac=3c52826a1b2f duid=000100012b3c4d5e3c52826a1b2f host=- server=dhcp01 iaid=1782193967 ia_type=na lifetime=7200 lease_end=2024-05-01T10:15:32Z");
    EXPECT(msg("Reply TA: address fd00::77 to client with duid 00:02:00:00:09:bf:01:02:03:04 iaid = 7 valid for 3600 seconds"),
           "lease.assign 2024-05-01T08:15:32Z fd00::77 mac=- duid=0002000009bf01020304 host=- server=dhcp01 iaid=7 ia_type=ta lifetime=3600 lease_end=2024-05-01T09:15:32Z");
    EXPECT(msg("Reply PD: address 2001:db8:ff00::/56 to client with duid 00:03:00:01:00:0c:29:1a:a6:af iaid = 1 valid for 7200 seconds"),
           "lease.assign 2024-05-01T08:15:32Z 2001:db8:ff00:: mac=000c291aa6af duid=00030001000c291aa6af host=- server=dhcp01 prefix_len=56 iaid=1 ia_type=pd lifetime=7200 lease_end=2024-05-01T10:15:32Z");
    EXPECT(msg("Reply NA: address 2001:db8::5 to client with duid 00:03:00:01:00:0c:29:1a:a6:af iaid = 0 static"),
           "lease.assign 2024-05-01T08:15:32Z 2001:db8::5 mac=000c291aa6af duid=00030001000c291aa6af host=- server=dhcp01 iaid=0 ia_type=na lease_end=never");
    EXPECT(msg("Client 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f releases address 2001:db8:10:20::1a2b"),
           "lease.release 2024-05-01T08:15:32Z 2001:db8:10:20::1a2b mac=3c52826a1b2f duid=000100012b3c4d5e3c52826a1b2f host=- server=dhcp01");
    EXPECT(msg("Client 00:03:00:01:00:0c:29:1a:a6:af releases prefix 2001:db8:ff00::/56"),
           "lease.release 2024-05-01T08:15:32Z 2001:db8:ff00:: mac=000c291aa6af duid=00030001000c291aa6af host=- server=dhcp01 prefix_len=56 ia_type=pd");
    EXPECT(msg("Client 00:03:00:01:00:0c:29:1a:a6:af declines address 2001:db8::9, which is not offered to it."),
           "lease.decline 2024-05-01T08:15:32Z 2001:db8::9 mac=000c291aa6af duid=00030001000c291aa6af host=- server=dhcp01 status=not offered");
    EXPECT(msg("Client 00:03:00:01:00:0c:29:1a:a6:af declines address 2001:db8::9"),
           "lease.decline 2024-05-01T08:15:32Z 2001:db8::9 mac=000c291aa6af duid=00030001000c291aa6af host=- server=dhcp01");
    /* packet traces: checked, no event */
    EXPECT(msg("Solicit message from fe80::3e52:82ff:fe6a:1b2f port 546, transaction ID 0x4A2B1C"), "");
    EXPECT(msg("Relay-forward message from 2001:db8:10:20::1 port 547, link address 2001:db8:10:20::1, peer address fe80::3e52:82ff:fe6a:1b2f"), "");
    EXPECT(msg("Sending Reply to fe80::3e52:82ff:fe6a:1b2f port 546"), "");
    EXPECT(msg("Sending on   Socket/5/eth0/2001:db8:10:20::/64"), "");
    EXPECT(msg("Client 00:01 sent something else"), "");
}

/* ==== syslog: messages without a lease, and refused messages ============================== */

static void test_non_lease(void)
{
    ctx_reset(NULL);
    const char *none[] = {
        "Wrote 12 leases to leases file.",
        "Internet Systems Consortium DHCP Server 4.4.3-P1",
        "Copyright 2004-2022 Internet Systems Consortium.",
        "Listening on LPF/eth0/00:15:5d:00:00:01/10.20.30.0/24",
        "Sending on   LPF/eth0/00:15:5d:00:00:01/10.20.30.0/24",
        "Server starting service.",
        "failover peer dhcp-failover: I move from recover to startup",
        "balancing pool 55d0f6c0 10.20.30.0/24  total 200  free 100  backup 98  lts 1  max-own (+/-)20",
        "DHCPLEASEQUERY from 10.0.0.9: lease 10.20.30.41 unknown",
        "",
        "Reply",
        "Solicit",
        "Client",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        EXPECT(msg(none[i]), "");
}

static void test_refused(void)
{
    ctx_reset(NULL);
    REFUSE(msg("DHCPACK"), "DHCPACK has nothing after it");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f"),
           "DHCPACK: expected ' via <relay|interface>' at ''");
    REFUSE(msg("DHCPACK on 10.20.30.41 3c:52:82:6a:1b:2f via eth0"),
           "DHCPACK: expected 'from <client>' or 'to <client>' at '3c:52:82:6a:1b:2f via eth0'");
    REFUSE(msg("DHCPACK on 10.20.30.300 to 3c:52:82:6a:1b:2f via eth0"),
           "DHCPACK: address '10.20.30.300' is not an IPv4 address");
    REFUSE(msg("DHCPACK on 2001:db8::1 to 3c:52:82:6a:1b:2f via eth0"),
           "DHCPACK: address '2001:db8::1' is not an IPv4 address");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:zz via eth0"),
           "client identifier '3c:52:82:6a:1b:zz' is not a colon-separated hardware address or client id");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:082:6a:1b:2f via eth0"),
           "client identifier '3c:52:082:6a:1b:2f' is not a colon-separated hardware address or client id");
    REFUSE(msg("DHCPACK to 10.20.30.41 via eth0"), "DHCPACK to '10.20.30.41' is not followed by ' (<mac>)'");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP via eth0"),
           "DHCPACK: hostname '(LAPTOP via eth0' is not followed by ') via '");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0: surprise"),
           "DHCPACK: unexpected suffix ': surprise'");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0 (found)"),
           "DHCPACK: unexpected '(found)' after via");
    REFUSE(msg("DHCPRELEASE of 10.20.30.41 from 3c:52:82:6a:1b:2f via eth0 (lost)"),
           "DHCPRELEASE: unexpected text after 'via eth0': ' (lost)'");
    REFUSE(msg("DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via et\x01h0"),
           "'via et\\x01h0' is neither an address nor an interface name");
    REFUSE(msg("DHCPOFFER to 3c:52:82:6a:1b:2f via eth0"), "DHCPOFFER has no address");
    REFUSE(msg("DHCPRELEASE from 3c:52:82:6a:1b:2f via eth0"), "DHCPRELEASE has no address");
    REFUSE(msg("DHCPINFORM from pc1 via eth0"), "DHCPINFORM from 'pc1': not an IPv4 address");
    REFUSE(msg("DHCPREQUEST for 10.0.0.5 (zz) from 00:0c:29:ff:00:01 via eth0"),
           "DHCPREQUEST: server identifier '(zz)' is not an address");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = x valid for 1 seconds"),
           "iaid 'x' is not a 32-bit number");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = 4294967296 static"),
           "iaid '4294967296' is not a 32-bit number");
    REFUSE(msg("Reply NA: address 10.0.0.1 to client with duid 00:01 iaid = 1 static"),
           "address '10.0.0.1' is not an IPv6 address");
    REFUSE(msg("Reply NA: address 2001:db8::/64 to client with duid 00:01 iaid = 1 static"),
           "address '2001:db8::/64' is not an address");
    REFUSE(msg("Reply PD: address 2001:db8:: to client with duid 00:01 iaid = 1 static"),
           "address '2001:db8::' has no /length");
    REFUSE(msg("Reply PD: address 2001:db8::/129 to client with duid 00:01 iaid = 1 static"),
           "address '2001:db8::/129' has an invalid prefix length");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid zz iaid = 1 static"),
           "duid 'zz' is not colon-separated hex");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = 1 valid for 5 minutes"),
           "'valid for 5' is not a number of seconds");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = 1"),
           "expected 'valid for <n> seconds' or 'static' at ''");
    REFUSE(msg("Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = 1 static extra"),
           "unexpected text at the end: ' extra'");
    REFUSE(msg("Reply NA: 2001:db8::1"), "Reply NA: expected 'address <ip6>'");
    REFUSE(msg("Reply NA: address 2001:db8::1 for duid 00:01"), "Reply NA: expected ' to client with duid '");
    REFUSE(msg("Renew NA: address 2001:db8::1 to client with duid 00:01 iaid = 1 static"),
           "'Renew NA:' is neither a Reply nor an Advertise");
    REFUSE(msg("Client 00:01 releases address nowhere"), "address 'nowhere' is not an IPv6 address");
    REFUSE(msg("Client 00:01 declines address 2001:db8::9, because"), "decline: unexpected text ' because'");
    REFUSE(msg("Solicit message from somewhere port 546, transaction ID 0x1"),
           "Solicit: 'somewhere' is not an address");
    REFUSE(msg("Solicit message from fe80::1 port 99999, transaction ID 0x1"),
           "Solicit: port '99999' is not a port number");
    REFUSE(msg("Solicit message from fe80::1, transaction ID 0x1"),
           "Solicit: 'fe80::1,' is not an address");
    REFUSE(msg("Abandoning IP address 10.20.30.433: declined."),
           "Abandoning IP address: '10.20.30.433' is not an IPv4 address");
    REFUSE(msg("ICMP Echo reply while lease 10.20.30.43 expired."),
           "ICMP Echo reply while lease 10.20.30.43: expected ' valid.'");
    static const char nul[] = "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41\0 to x via eth0";
    clear();
    CHECK_INT(ipl_parser_isc_dhcpd.line(NULL, &ctx, nul, sizeof nul - 1, on_event, NULL, &diag),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte in the dhcpd message");
    char big[1200];
    memset(big, 'h', sizeof big);
    memcpy(big, "DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (", 45);
    memcpy(big + 45 + 480, ") via eth0", 11);
    REFUSE(msg(big), "DHCPACK: hostname is 480 bytes long, longer than the 479-byte limit");
}

/* ==== the "isc-dhcpd" parser ============================================================= */

static void test_dhcpd_parser(void)
{
    ctx_reset(NULL);
    /* envelope errors come through */
    REFUSE(line("Mai  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK"),
           "syslog timestamp 'Mai  1 08:15:32' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time");
    /* another program is an error here (use the "syslog" router for mixed files) */
    REFUSE(line("May  1 08:17:01 dhcp01 CRON[4101]: (root) CMD (true)"),
           "syslog tag 'CRON' is not dhcpd (mixed files are read with --format syslog)");
    /* untagged lines emit nothing */
    EXPECT(line("May  1 18:20:05 dhcp01 last message repeated 3 times"), "");
    /* rsyslog repeats are unwrapped */
    EXPECT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 2 times: [ DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0]"),
           "lease.deny 2024-05-01T18:20:00Z 192.168.1.77 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0\n"
           "lease.deny 2024-05-01T18:20:00Z 192.168.1.77 mac=000c29ff0001 duid=- host=- server=dhcp01 interface=eth0");
    REFUSE(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 10001 times: [ x]"),
           "'message repeated 10001 times' exceeds the limit of 10000 repetitions");
    EXPECT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 0 times: [ DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0]"),
           "");
    /* RFC 5424 and ISO envelopes */
    EXPECT(line("<190>1 2024-05-01T08:15:32.5+02:00 dhcp01 dhcpd 1123 - - DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T06:15:32.500000Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0");
    EXPECT(line("2024-05-01T08:15:32+02:00 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0"),
           "lease.assign 2024-05-01T06:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=- server=dhcp01 interface=eth0");
    /* the sub directly */
    ipl_syslog env;
    const char *l = "<30>May  1 08:15:32 dhcp01 dhcpd[1]: DHCPACK on 10.0.0.1 to 00:00:00:00:00:01 via eth0";
    CHECK_INT(ipl_syslog_parse(&ctx, l, strlen(l), &env, &diag), IPL_OK);
    clear();
    CHECK_INT(ipl_syslog_sub_isc_dhcpd.message(&ctx, &env, on_event, NULL, &diag), IPL_OK);
    CHECK_STR(out, "lease.assign 2024-05-01T08:15:32Z 10.0.0.1 mac=000000000001 duid=- host=- server=dhcp01 interface=eth0");
    CHECK_STR(ipl_syslog_sub_isc_dhcpd.name, "isc-dhcpd");
    CHECK_STR(ipl_syslog_sub_isc_dhcpd.tags[0], "dhcpd");
    CHECK(ipl_syslog_sub_isc_dhcpd.tags[1] == NULL);
}

static int emit_fail(void *c, const ipl_event *ev)
{
    (void)c;
    (void)ev;
    return ipl_diag_set(&diag, IPL_ELIMIT, "store is full");
}

static void test_emit_error(void)
{
    ctx_reset(NULL);
    const char *l = "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0";
    clear();
    CHECK_INT(ipl_parser_isc_dhcpd.line(NULL, &ctx, l, strlen(l), emit_fail, NULL, &diag), IPL_ELIMIT);
}

/* ==== probes ============================================================================= */

static const char *const other_formats[] = {
    "\t\tMicrosoft DHCP Service Activity Log\n\n\nEvent ID  Meaning\n00\tThe log was started.\n",
    "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\n"
    "11,05/01/24,12:15:33,Renew,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,3301412280,0,,,,0x4D53465420352E30,MSFT 5.0,,,,0\n",
    "11010,11/04/21,18:24:36,DHCPV6 Started,,,,,,,,,,\n1103,12/06/21,12:25:21,Authorized(servicing),,test.local,,,,,,,,\n",
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
    "10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,4000,1714548132,1,1,1,laptop-7q2.corp.example.com,0,,0\n",
    "2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds\n",
    "2024-05-01 08:15:32 CEST Address: 10.20.30.41 has been assigned for 1 hrs 6 mins 40 secs to a device with hardware address: hwtype=1 3c:52:82:6a:1b:2f\n",
    "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n",
    "1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop-7q2 01:3c:52:82:6a:1b:2f\nduid 00:01:00:01:2a:bb:cc:dd:00:11:22:33:44:55\n",
    "May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2: ED25519 SHA256:Zm9v\n",
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/></System></Event>\n",
    "Wed May  1 08:15:40 2024\n\tAcct-Session-Id = \"8B2C00001A\"\n\tAcct-Status-Type = Start\n\n",
    "\"NPS01\",\"IAS\",05/01/2024,08:15:40,1,\"alice\",\"CORP\\alice\"\n",
    "",
};

static void test_probes(void)
{
    const ipl_parser *P = &ipl_parser_isc_dhcpd, *L = &ipl_parser_isc_leases;
    static const char dhcpd[] =
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n"
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPOFFER on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n";
    static const char mixed[] =
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n"
        "May  1 08:17:01 dhcp01 CRON[4101]: (root) CMD (true)\n";
    CHECK_INT(P->probe(dhcpd, sizeof dhcpd - 1), 90);
    CHECK_INT(P->probe(dhcpd, sizeof dhcpd - 2), 90);          /* a whole file without a final LF */
    CHECK_INT(ipl_parser_syslog.probe(dhcpd, sizeof dhcpd - 2), 70);
    /* a 64 KiB sample: its cut last line is not judged */
    static char cut[65536];
    memset(cut, ' ', sizeof cut);
    memcpy(cut, dhcpd, sizeof dhcpd - 1);
    memcpy(cut + sizeof cut - 20, "garbage", 7);
    cut[sizeof cut - 21] = '\n';
    CHECK_INT(P->probe(cut, sizeof cut), 0);                    /* a line of blanks is not syslog */
    memset(cut + sizeof dhcpd - 1, 'x', sizeof cut - (sizeof dhcpd - 1));
    memcpy(cut + sizeof dhcpd - 1, "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on", 46);
    CHECK_INT(P->probe(cut, sizeof cut), 90);
    CHECK_INT(P->probe(mixed, sizeof mixed - 1), 40);
    CHECK_INT(ipl_parser_syslog.probe(dhcpd, sizeof dhcpd - 1), 70);   /* the router: lower */
    CHECK_INT(ipl_parser_syslog.probe(mixed, sizeof mixed - 1), 70);   /* the router wins */
    CHECK_INT(L->probe(dhcpd, sizeof dhcpd - 1), 0);
    for (size_t i = 0; i < sizeof other_formats / sizeof other_formats[0]; i++) {
        CHECK_INT(P->probe(other_formats[i], strlen(other_formats[i])), 0);
        CHECK_INT(L->probe(other_formats[i], strlen(other_formats[i])), 0);
    }
    static const char lease_hdr[] =
        "# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
        "# This lease file was written by isc-dhcp-4.4.3-P1\n\n";
    static const char lease_body[] = "lease 10.20.30.41 {\n  starts 3 2024/05/01 06:15:32;\n  binding state active;\n}\n";
    static const char v6_body[] = "server-duid \"\\000\\001\";\n\nia-na \"abcd\\000\\001\" {\n  cltt 3 2024/05/01 06:20:01;\n";
    CHECK_INT(L->probe(lease_hdr, sizeof lease_hdr - 1), 100);
    CHECK_INT(L->probe(lease_body, sizeof lease_body - 1), 85);
    CHECK_INT(L->probe(lease_body, sizeof lease_body - 2), 85);  /* no final LF */
    CHECK_INT(L->probe(v6_body, sizeof v6_body - 1), 100);
    CHECK_INT(L->probe("lease 10.20.30.41 {\nhello\n", 25), 0);
    CHECK_INT(P->probe(lease_hdr, sizeof lease_hdr - 1), 0);
}

/* ==== lease files ======================================================================== */

static char *lst;

static void leases_open(void)
{
    free(lst);
    lst = calloc(1, ipl_parser_isc_leases.state_size);
    ctx_reset(NULL);
}

/* Feeds the lines of text; the events of all lines accumulate in `out`; returns the first error
 * (its reason in `first_err`). */
static char first_err[IPL_DIAG_MAX];
static int errors;

static int feed(const char *text)
{
    outn = 0;
    out[0] = '\0';
    nev = 0;
    errors = 0;
    first_err[0] = '\0';
    int first = IPL_OK;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        ipl_diag_clear(&diag);
        int rc = ipl_parser_isc_leases.line(lst, &ctx, p, n, on_event, NULL, &diag);
        if (rc != IPL_OK) {
            errors++;
            if (first == IPL_OK) {
                first = rc;
                snprintf(first_err, sizeof first_err, "%s", diag.msg);
            }
        }
        ipl_arena_clear(&arena);
        p += n + (nl != NULL);
    }
    return first;
}

static int finish(void)
{
    ipl_diag_clear(&diag);
    return ipl_parser_isc_leases.finish(lst, &ctx, on_event, NULL, &diag);
}

#define FEED_OK(text, ev)                                                  \
    do {                                                                   \
        int rc_ = feed(text);                                              \
        CHECK_INT(rc_, IPL_OK);                                            \
        if (rc_ != IPL_OK)                                                 \
            fprintf(stderr, "   reason: %s\n", first_err);                 \
        CHECK_STR(out, ev);                                                \
    } while (0)

/* on a fresh state, so that the line numbers in reasons count from 1 */
#define FEED_ERR(text, reason, ev)                                         \
    do {                                                                   \
        memset(lst, 0, ipl_parser_isc_leases.state_size);                  \
        CHECK_INT(feed(text), IPL_EPARSE);                                 \
        CHECK_STR(first_err, reason);                                      \
        CHECK_STR(out, ev);                                                \
    } while (0)

static void test_leases_sample(void)
{
    leases_open();
    /* FORMATS.md 2.7, verbatim */
    FEED_OK("# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
            "# This lease file was written by isc-dhcp-4.4.3-P1\n"
            "\n"
            "# authoring-byte-order entry is generated, DO NOT DELETE\n"
            "authoring-byte-order little-endian;\n"
            "\n"
            "lease 10.20.30.41 {\n"
            "  starts 3 2024/05/01 06:15:32;\n"
            "  ends 3 2024/05/01 14:15:32;\n"
            "  cltt 3 2024/05/01 06:15:32;\n"
            "  binding state active;\n"
            "  next binding state free;\n"
            "  rewind binding state free;\n"
            "  hardware ethernet 3c:52:82:6a:1b:2f;\n"
            "  uid \"\\001<R\\202j\\033/\";\n"
            "  set vendor-class-identifier = \"MSFT 5.0\";\n"
            "  client-hostname \"LAPTOP-7Q2\";\n"
            "}\n"
            "ia-na \"/\\037:j\\000\\001\\000\\001+<M^<R\\202j\\033/\" {\n"
            "  cltt 3 2024/05/01 06:20:01;\n"
            "  iaaddr 2001:db8:10:20::1a2b {\n"
            "    binding state active;\n"
            "    preferred-life 4500;\n"
            "    max-life 7200;\n"
            "    ends 3 2024/05/01 08:20:01;\n"
            "  }\n"
            "}\n",
            "lease.assign 2024-05-01T06:15:32Z 10.20.30.41 mac=3c52826a1b2f duid=- host=LAPTOP-7Q2 server=- client_id=013c52826a1b2f lease_end=2024-05-01T14:15:32Z vendor_class=MSFT 5.0\n"
            "lease.assign 2024-05-01T06:20:01Z 2001:db8:10:20::1a2b mac=3c52826a1b2f duid=000100012b3c4d5e3c52826a1b2f host=- server=- iaid=1782193967 ia_type=na lifetime=7200 lease_end=2024-05-01T08:20:01Z");
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 0);
}

static void test_leases_states(void)
{
    leases_open();
    ctx.server = "dhcp01";
    const char *hw = "  hardware ethernet 0:c:29:1a:a6:af;\n";
    char buf[4096];
    struct {
        const char *state, *extra, *ev;
    } cases[] = {
        {"active", "", "lease.assign 2024-05-01T06:00:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01 lease_end=2024-05-01T14:00:00Z"},
        {"active", "  dynamic-bootp;\n", "lease.bootp 2024-05-01T06:00:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01 lease_end=2024-05-01T14:00:00Z"},
        {"released", "", "lease.release 2024-05-01T14:00:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01"},
        {"expired", "", "lease.expire 2024-05-01T14:00:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01"},
        {"free", "", "lease.expire 2024-05-01T14:00:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01"},
        {"abandoned", "", "lease.conflict 2024-05-01T06:05:00Z 10.0.0.9 mac=000c291aa6af duid=- host=- server=dhcp01"},
        {"backup", "", ""},
        {"reset", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(buf, sizeof buf,
                 "lease 10.0.0.9 {\n  starts 3 2024/05/01 06:00:00;\n  ends 3 2024/05/01 14:00:00;\n"
                 "  cltt 3 2024/05/01 06:05:00;\n  binding state %s;\n%s%s}\n",
                 cases[i].state, hw, cases[i].extra);
        FEED_OK(buf, cases[i].ev);
    }
    /* free without a client: an unused pool address */
    FEED_OK("lease 10.0.0.10 {\n  starts 3 2024/05/01 06:00:00;\n  ends 3 2024/05/01 14:00:00;\n"
            "  binding state free;\n}\n", "");
    /* free with only a uid (no hardware line): the uid is the client, 01+MAC gives the MAC */
    FEED_OK("lease 10.0.0.10 {\n  ends 3 2024/05/01 14:00:00;\n  binding state free;\n"
            "  uid \"\\001\\000\\014)\\032\\246\\257\";\n}\n",
            "lease.expire 2024-05-01T14:00:00Z 10.0.0.10 mac=000c291aa6af duid=01000c291aa6af host=- server=dhcp01");
    /* no binding state (dhcpd 2.x): active; "abandoned;" flag: abandoned, dated by starts */
    FEED_OK("lease 10.0.0.11 {\n  starts 3 2024/05/01 06:00:00;\n  ends 3 2024/05/01 14:00:00;\n"
            "  hardware ethernet 00:0c:29:1a:a6:af;\n}\n",
            "lease.assign 2024-05-01T06:00:00Z 10.0.0.11 mac=000c291aa6af duid=- host=- server=dhcp01 lease_end=2024-05-01T14:00:00Z");
    FEED_OK("lease 10.0.0.11 {\n  starts 3 2024/05/01 06:00:00;\n  ends 3 2024/05/01 14:00:00;\n"
            "  abandoned;\n}\n",
            "lease.conflict 2024-05-01T06:00:00Z 10.0.0.11 mac=- duid=- host=- server=dhcp01");
    /* released without ends: dated by cltt */
    FEED_OK("lease 10.0.0.12 {\n  cltt 3 2024/05/01 07:00:00;\n  binding state released;\n}\n",
            "lease.release 2024-05-01T07:00:00Z 10.0.0.12 mac=- duid=- host=- server=dhcp01");
    /* active without starts, expired without ends: refused */
    FEED_ERR("lease 10.0.0.13 {\n  binding state active;\n}\n",
             "lease 10.0.0.13: binding state active needs a 'starts' time", "");
    FEED_ERR("lease 10.0.0.13 {\n  binding state expired;\n}\n",
             "lease 10.0.0.13: binding state expired needs a 'ends' time", "");
}

static void test_leases_syntax(void)
{
    leases_open();
    /* epoch dates with the local-time comment, ends never, escapes, comments, skipped
     * statements and blocks, a statement across lines, several statements on a line */
    FEED_OK("lease 10.20.30.70 {  # a comment\n"
            "  starts epoch 1714544100; # Wed May 01 08:15:00 2024\n"
            "  ends never;\n"
            "  tstp 3 2024/05/01 06:15:00; tsfp 3 2024/05/01 06:15:00; atsfp 3 2024/05/01 06:15:00;\n"
            "  binding state active; next binding state free;\n"
            "  reserved;\n"
            "  hardware ethernet 00:11:22:33:44:55;\n"
            "  uid 01:00:11:22:33:44:55;\n"
            "  option agent.circuit-id 0:4:0:14:0:1;\n"
            "  option agent.remote-id \"sw1\";\n"
            "  set ddns-fwd-name = \"pc.example.com\";\n"
            "  client-hostname\n"
            "     \"caf\\303\\251 \\\"quoted\\\" \\\\ pc\";\n"
            "  on expiry or release {\n"
            "    set ddns-fwd-name = \"}{;\";\n"
            "    if exists foo { log (info, \"x\"); }\n"
            "  }\n"
            "  unknown-statement with \"a string\" { nested } ;\n"
            "}\n",
            "lease.assign 2024-05-01T06:15:00Z 10.20.30.70 mac=001122334455 duid=- host=caf\xc3\xa9 \"quoted\" \\ pc server=- client_id=01001122334455 lease_end=never");
    /* control bytes in a host name: kept as written */
    FEED_OK("lease 10.20.30.71 {\n  starts 3 2024/05/01 06:15:00;\n  client-hostname \"a\\001b\";\n}\n",
            "lease.assign 2024-05-01T06:15:00Z 10.20.30.71 mac=- duid=- host=a\\001b server=-");
    /* top-level blocks and statements that are not leases */
    FEED_OK("server-duid 00:01:00:01:2d:e1:ab:cd:00:15:5d:00:00:01;\n"
            "failover peer \"dhcp-failover\" state {\n"
            "  my state normal at 3 2024/05/01 06:00:02;\n"
            "  partner state normal at 3 2024/05/01 06:00:03;\n"
            "}\n"
            "host pc1 {\n  dynamic;\n  hardware ethernet 00:11:22:33:44:66;\n  fixed-address 10.0.0.2;\n}\n"
            "host pc1 {\n  dynamic;\n  deleted;\n}\n"
            "class \"foo\" { match hardware; }\n"
            "subclass \"foo\" 1:00:11:22:33:44:55;\n"
            "group { filename \"x\"; }\n", "");
    /* all on one line; a block header across lines */
    FEED_OK("lease 10.0.0.1 { starts 3 2024/05/01 06:15:00; binding state active; hardware ethernet 00:11:22:33:44:55; }\n"
            "lease\n10.0.0.2\n{\nstarts 3 2024/05/01 06:16:00\n;\n}\n",
            "lease.assign 2024-05-01T06:15:00Z 10.0.0.1 mac=001122334455 duid=- host=- server=-\n"
            "lease.assign 2024-05-01T06:16:00Z 10.0.0.2 mac=- duid=- host=- server=-");
    /* non-ethernet hardware: no MAC; the uid then is the client */
    FEED_OK("lease 10.0.0.3 {\n  starts 3 2024/05/01 06:15:00;\n  hardware infiniband 80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0c:fb:91;\n"
            "  uid \"\\377\\000\\000\\000\\000\";\n}\n",
            "lease.assign 2024-05-01T06:15:00Z 10.0.0.3 mac=- duid=ff00000000 host=- server=-");
    CHECK_INT(finish(), IPL_OK);
}

static void test_leases_v6(void)
{
    leases_open();
    /* big-endian IAIDs, ia-ta, ia-pd, several addresses in one IA, no cltt (dated by ends -
     * max-life), released/expired/abandoned, hex IA identifiers, the man page's ia_na spelling */
    FEED_OK("authoring-byte-order big-endian;\n"
            "ia-na \"\\000\\000\\000\\001\\000\\003\\000\\001\\000\\014)\\032\\246\\257\" {\n"
            "  cltt 3 2024/05/01 06:20:01;\n"
            "  iaaddr 2001:db8::1 {\n    binding state active;\n    max-life 7200;\n    ends 3 2024/05/01 08:20:01;\n  }\n"
            "  iaaddr 2001:db8::2 {\n    binding state expired;\n    ends 3 2024/05/01 06:00:00;\n  }\n"
            "  iaaddr 2001:db8::3 {\n    binding state released;\n    ends 3 2024/05/01 06:10:00;\n  }\n"
            "  iaaddr 2001:db8::4 {\n    binding state abandoned;\n  }\n"
            "  iaaddr 2001:db8::5 {\n    binding state backup;\n  }\n"
            "}\n"
            "ia-ta 00:00:00:02:00:02:00:00:09:bf:01:02 {\n"
            "  iaaddr fd00::77 {\n    binding state active;\n    max-life 3600;\n    ends epoch 1714551601;\n"
            "    set ddns = \"x\";\n  }\n}\n"
            "ia_pd \"\\000\\000\\000\\003\\000\\003\\000\\001\\000\\014)\\032\\246\\257\" {\n"
            "  cltt 3 2024/05/01 06:31:10;\n"
            "  iaprefix 2001:db8:ff00::/56 {\n    binding state active;\n    preferred-life 4500;\n    max-life 7200;\n    ends never;\n  }\n}\n",
            "lease.assign 2024-05-01T06:20:01Z 2001:db8::1 mac=000c291aa6af duid=00030001000c291aa6af host=- server=- iaid=1 ia_type=na lifetime=7200 lease_end=2024-05-01T08:20:01Z\n"
            "lease.expire 2024-05-01T06:00:00Z 2001:db8::2 mac=000c291aa6af duid=00030001000c291aa6af host=- server=- iaid=1 ia_type=na\n"
            "lease.release 2024-05-01T06:10:00Z 2001:db8::3 mac=000c291aa6af duid=00030001000c291aa6af host=- server=- iaid=1 ia_type=na\n"
            "lease.conflict 2024-05-01T06:20:01Z 2001:db8::4 mac=000c291aa6af duid=00030001000c291aa6af host=- server=- iaid=1 ia_type=na\n"
            "lease.assign 2024-05-01T07:20:01Z fd00::77 mac=- duid=0002000009bf0102 host=- server=- iaid=2 ia_type=ta lifetime=3600 lease_end=2024-05-01T08:20:01Z\n"
            "lease.assign 2024-05-01T06:31:10Z 2001:db8:ff00:: mac=000c291aa6af duid=00030001000c291aa6af host=- server=- iaid=3 ia_type=pd prefix_len=56 lifetime=7200 lease_end=never");
    FEED_ERR("ia-na \"\\001\\000\\000\\000\\000\\001\" {\n  iaaddr 2001:db8::9 {\n    binding state active;\n  }\n}\n",
             "ia-na: address 2001:db8::9 has no time to date its event ('cltt' or 'ends' missing)", "");
    FEED_ERR("ia-na \"abc\" {\n}\n", "ia-na: 'ia-na' identifier abc is not IAID + DUID (at least 6 bytes)", "");
    FEED_ERR("ia-pd \"\\001\\000\\000\\000\\000\\001\" {\n  iaprefix 2001:db8:ff00:: {\n  }\n}\n",
             "ia-pd: iaprefix '2001:db8:ff00::' is not <ipv6>/<length>", "");
    FEED_ERR("ia-na \"\\001\\000\\000\\000\\000\\001\" {\n  iaaddr 10.0.0.1 {\n  }\n}\n",
             "ia-na: '10.0.0.1' is not an IPv6 address", "");
    FEED_ERR("ia-na \"\\001\\000\\000\\000\\000\\001\" {\n  cltt 3 2024/05/01 06:20:01;\n  iaaddr 2001:db8::9 {\n    max-life forever;\n  }\n}\n",
             "ia-na: max-life 'forever' is not a number of seconds", "");
    CHECK_INT(finish(), IPL_OK);
}

static void test_leases_errors(void)
{
    leases_open();
    FEED_ERR("lease 10.0.0.300 {\n  starts 3 2024/05/01 06:15:00;\n}\n",
             "lease 10.0.0.300: 'lease 10.0.0.300' does not name an IPv4 address", "");
    FEED_ERR("lease 10.0.0.1 {\n  starts 3 2024/13/01 06:15:00;\n}\n",
             "lease 10.0.0.1: 'starts' date '3 2024/13/01 06:15:00' is not 'W YYYY/MM/DD HH:MM:SS', 'epoch N' or 'never'",
             "");
    FEED_ERR("lease 10.0.0.1 {\n  ends 9 2024/05/01 06:15:00;\n}\n",
             "lease 10.0.0.1: 'ends' date '9 2024/05/01 06:15:00' is not 'W YYYY/MM/DD HH:MM:SS', 'epoch N' or 'never'",
             "");
    FEED_ERR("lease 10.0.0.1 {\n  cltt epoch soon;\n}\n",
             "lease 10.0.0.1: 'cltt epoch soon' is not a number of seconds", "");
    FEED_ERR("lease 10.0.0.1 {\n  binding state happy;\n}\n",
             "lease 10.0.0.1: binding state 'happy' is not active, free, expired, released, abandoned, reset or backup", "");
    FEED_ERR("lease 10.0.0.1 {\n  hardware ethernet 00:11:22:33:44;zz;\n}\n",
             "lease 10.0.0.1: hardware ethernet '00:11:22:33:44' is not a 6-byte MAC address", "");
    FEED_ERR("lease 10.0.0.1 {\n  hardware ethernet 00:11:22:33:44:gg;\n}\n",
             "lease 10.0.0.1: 'hardware ethernet 00:11:22:33:44:gg' is not '<type> <colon-hex address>'", "");
    FEED_ERR("lease 10.0.0.1 {\n  uid;\n}\n",
             "lease 10.0.0.1: uid  is not a quoted string or colon-hex of at most 128 bytes", "");
    FEED_ERR("lease 10.0.0.1 {\n  client-hostname pc;\n}\n",
             "lease 10.0.0.1: 'client-hostname' is not followed by one quoted string", "");
    FEED_ERR("lease 10.0.0.1 {\n  client-hostname \"pc;\n}\n",
             "lease 10.0.0.1: string \"pc; is not terminated on its line", "");
    FEED_ERR("lease 10.0.0.1 {\n  starts 3 2024/05/01 06:15:00\n}\n",
             "lease 10.0.0.1: statement 'starts' is not terminated by ';'", "");
    FEED_ERR("lease 10.0.0.1 {\n  set vendor-class-identifier = 5;\n}\n",
             "lease 10.0.0.1: 'set vendor-class-identifier' is not '= \"<text>\"'", "");
    FEED_ERR("authoring-byte-order middle-endian;\n",
             "authoring-byte-order 'middle-endian' is not little-endian or big-endian", "");
    FEED_ERR("}\n", "'}' without an open block", "");
    FEED_ERR("lease 10.0.0.1 {\n  starts\x01 3;\n}\n",
             "lease 10.0.0.1: control byte 0x01 at offset 8 of the line", "");
    /* one error in a block: the block emits nothing, the next one is read */
    FEED_ERR("lease 10.0.0.1 {\n  starts 3 2024/05/01 99:00:00;\n  binding state active;\n}\n"
             "lease 10.0.0.2 {\n  starts 3 2024/05/01 06:15:00;\n}\n",
             "lease 10.0.0.1: 'starts' date '3 2024/05/01 99:00:00' is not 'W YYYY/MM/DD HH:MM:SS', 'epoch N' or 'never'",
             "lease.assign 2024-05-01T06:15:00Z 10.0.0.2 mac=- duid=- host=- server=-");
    CHECK_INT(errors, 1);
    /* caps: too many tokens, nesting */
    char big[4096];
    size_t o = (size_t)snprintf(big, sizeof big, "lease 10.0.0.1 {\n  option x");
    for (int i = 0; i < 70; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, " a");
    snprintf(big + o, sizeof big - o, ";\n  starts 3 2024/05/01 06:15:00;\n}\n");
    FEED_ERR(big, "lease 10.0.0.1: statement 'option ...' is longer than 64 tokens or 8192 bytes", "");
    char deep[512];
    o = 0;
    for (int i = 0; i < 34; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "group {\n");
    for (int i = 0; i < 34; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "}\n");
    CHECK_INT(feed(deep), IPL_EPARSE);
    CHECK_STR(first_err, "blocks nested deeper than 32 levels");
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 0);
    CHECK_INT(finish(), IPL_OK);
}

static void test_leases_truncated(void)
{
    leases_open();
    /* a record cut by a crash, then the file goes on: the cut block is discarded with an error
     * on the line that starts the next one, which is read normally */
    CHECK_INT(feed("lease 10.0.0.1 {\n  starts 3 2024/05/01 06:15:00;\n  binding st\n"), IPL_OK);
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 1);
    CHECK_INT(feed("lease 10.0.0.2 {\n  starts 3 2024/05/01 06:16:00;\n}\n"), IPL_EPARSE);
    CHECK_STR(first_err, "lease 10.0.0.1 (opened 3 lines earlier) is not closed before this line: discarded (a truncated record)");
    CHECK_STR(out, "lease.assign 2024-05-01T06:16:00Z 10.0.0.2 mac=- duid=- host=- server=-");
    CHECK_INT(errors, 1);
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 0);
    /* cut at the end of input */
    memset(lst, 0, ipl_parser_isc_leases.state_size);
    CHECK_INT(feed("ia-na \"\\001\\000\\000\\000\\000\\001\" {\n  cltt 3 2024/05/01 06:20:01;\n  iaaddr 2001:db8::9 {\n"),
              IPL_OK);
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 1);
    outn = 0;
    out[0] = '\0';
    nev = 0;
    CHECK_INT(finish(), IPL_EPARSE);
    CHECK_STR(diag.msg, "ia-na (opened 3 lines before the end) is not closed at the end of the input: discarded (a truncated record)");
    CHECK_STR(out, "");
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 0);
    /* a statement half-read at the end */
    CHECK_INT(feed("authoring-byte-order\n"), IPL_OK);
    CHECK_INT(ipl_parser_isc_leases.pending(lst), 1);
    CHECK_INT(finish(), IPL_EPARSE);
    CHECK_STR(diag.msg, "statement 'authoring-byte-order ...' is not terminated at the end of the input");
    /* after finish, the state is clean */
    FEED_OK("lease 10.0.0.3 {\n  starts 3 2024/05/01 06:15:00;\n}\n",
            "lease.assign 2024-05-01T06:15:00Z 10.0.0.3 mac=- duid=- host=- server=-");
}

/* ==== fixtures =========================================================================== */

static char *slurp(const char *rel, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return NULL;
    }
    static char buf[1 << 20];
    *n = fread(buf, 1, sizeof buf - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static int count_kind(const char *kind)
{
    int c = 0;
    for (const char *p = out; (p = strstr(p, kind)) != NULL; p++)
        if ((p == out || p[-1] == '\n') && p[strlen(kind)] == ' ')
            c++;
    return c;
}

/* detection over the whole registry picks the dedicated parser */
static void check_detect(const char *s, size_t n, const char *want)
{
    char tried[1024];
    int score = 0;
    const ipl_parser *p = ipl_parser_detect(s, n < 65536 ? n : 65536, &score, tried, sizeof tried);
    CHECK_STR(p ? p->name : NULL, want);
}

static void test_fixtures(void)
{
    size_t n;
    char *s = slurp("tests/data/isc/dhcpd.leases", &n);
    CHECK(s != NULL);
    if (s) {
        check_detect(s, n, "isc-leases");
        CHECK_INT(ipl_parser_isc_leases.probe(s, n), 100);
        leases_open();
        CHECK_INT(feed(s), IPL_OK);
        CHECK_INT(finish(), IPL_OK);
        CHECK_INT(count_kind("lease.assign"), 9);
        CHECK_INT(count_kind("lease.bootp"), 1);
        CHECK_INT(count_kind("lease.release"), 1);
        CHECK_INT(count_kind("lease.expire"), 1);
        CHECK_INT(count_kind("lease.conflict"), 1);
        CHECK_INT(nev, 13);
    }
    s = slurp("tests/data/isc/dhcpd6.leases", &n);
    CHECK(s != NULL);
    if (s) {
        check_detect(s, n, "isc-leases");
        CHECK_INT(ipl_parser_isc_leases.probe(s, n), 100);
        leases_open();
        CHECK_INT(feed(s), IPL_OK);
        CHECK_INT(finish(), IPL_OK);
        CHECK_INT(count_kind("lease.assign"), 3);
        CHECK_INT(count_kind("lease.expire"), 2);
        CHECK_INT(count_kind("lease.release"), 1);
        CHECK_INT(nev, 6);
    }
    s = slurp("tests/data/isc/dhcpd.syslog", &n);
    CHECK(s != NULL);
    if (s) {
        check_detect(s, n, "isc-dhcpd");
        CHECK_INT(ipl_parser_isc_dhcpd.probe(s, n), 90);
        CHECK_INT(ipl_parser_isc_leases.probe(s, n), 0);
        ctx_reset(NULL);
        ctx.year_hint = 2024;
        outn = 0;
        nev = 0;
        int bad = 0;
        for (char *p = s; *p;) {
            char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            ipl_diag_clear(&diag);
            if (ipl_parser_isc_dhcpd.line(NULL, &ctx, p, len, on_event, NULL, &diag) != IPL_OK) {
                bad++;
                fprintf(stderr, "   %s\n", diag.msg);
            }
            ipl_arena_clear(&arena);
            p += len + (nl != NULL);
        }
        CHECK_INT(bad, 0);
        CHECK_INT(count_kind("lease.assign"), 12);   /* 9 v4 ACKs + 3 v6 Reply NA/PD */
        CHECK_INT(count_kind("lease.release"), 2);
        CHECK_INT(count_kind("lease.decline"), 1);
        CHECK_INT(count_kind("lease.conflict"), 1);
        CHECK_INT(count_kind("lease.deny"), 1);
        CHECK_INT(count_kind("lease.exhausted"), 2);
        CHECK_INT(count_kind("lease.inform"), 2);
        CHECK_INT(count_kind("lease.bootp"), 1);
        CHECK_INT(count_kind("lease.offer"), 7);
    }
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_samples);
    RUN(test_v4_shapes);
    RUN(test_v6);
    RUN(test_non_lease);
    RUN(test_refused);
    RUN(test_dhcpd_parser);
    RUN(test_emit_error);
    RUN(test_probes);
    RUN(test_leases_sample);
    RUN(test_leases_states);
    RUN(test_leases_syntax);
    RUN(test_leases_v6);
    RUN(test_leases_errors);
    RUN(test_leases_truncated);
    RUN(test_fixtures);
    free(lst);
    ipl_arena_release(&arena);
    return check_summary();
}
