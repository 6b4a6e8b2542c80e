/* tests/unit/parsers/dnsmasq_test.c — dnsmasq DHCP (parsers/dnsmasq.c): the syslog sub "dnsmasq"
 * called directly, the parser "dnsmasq" on whole syslog lines (RFC 3164, RFC 5424, rsyslog ISO, no
 * hostname), every sample of FORMATS.md 4.4/4.5, the v4 and v6 grammar with its kinds and
 * reasons, --log-dhcp lines, the INFORM/RENEW/CONFIRM stream state, the lease file snapshot rule,
 * refused lines with their reasons, probe scores against the other formats' samples, and the
 * fixtures in tests/data/dnsmasq/.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_dnsmasq;
extern const ipl_parser ipl_parser_dnsmasq_leases;
extern const ipl_syslog_sub ipl_syslog_sub_dnsmasq;

/* ---- capture: copies of the events of one call ---- */

#define CAP_MAX 8

typedef struct cap_ev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], duid[IPL_STR_MAX], host[IPL_STR_MAX], user[IPL_STR_MAX];
    char    server[IPL_STR_MAX];
    int     null_mac, null_duid, null_host, null_user, null_server;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][256];
} cap_ev;

typedef struct cap {
    int    n;
    cap_ev ev[CAP_MAX];
} cap;

static cap got;

static void copy_str(char *dst, const char *src, int *is_null)
{
    *is_null = src == NULL;
    snprintf(dst, IPL_STR_MAX, "%s", src ? src : "");
}

static int on_event(void *c, const ipl_event *ev)
{
    cap *g = c;
    if (g->n >= CAP_MAX) {
        g->n++;
        return IPL_OK;
    }
    cap_ev *e = &g->ev[g->n++];
    e->ts = ev->ts;
    e->kind = ev->kind;
    e->has_ip = ev->has_ip;
    e->ip[0] = '\0';
    if (ev->has_ip)
        ipl_ip_format(ev->ip, e->ip, sizeof e->ip);
    copy_str(e->mac, ev->mac, &e->null_mac);
    copy_str(e->duid, ev->duid, &e->null_duid);
    copy_str(e->host, ev->host, &e->null_host);
    copy_str(e->user, ev->user, &e->null_user);
    copy_str(e->server, ev->server, &e->null_server);
    e->nattr = (int)ev->nattr;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        e->key[i] = ev->attr[i].key;
        size_t n = ev->attr[i].len < 255 ? ev->attr[i].len : 255;
        memcpy(e->val[i], ev->attr[i].val, n);
        e->val[i][n] = '\0';
    }
    return IPL_OK;
}

static const cap_ev *E(int i) { return &got.ev[i]; }
static const char *attr_of(int i, int key)
{
    for (int k = 0; k < got.ev[i].nattr; k++)
        if (got.ev[i].key[k] == key)
            return got.ev[i].val[k];
    return NULL;
}
static const char *attr(int key) { return attr_of(0, key); }
static const char *mac(void) { return E(0)->null_mac ? NULL : E(0)->mac; }
static const char *duid(void) { return E(0)->null_duid ? NULL : E(0)->duid; }
static const char *host(void) { return E(0)->null_host ? NULL : E(0)->host; }
static const char *server(void) { return E(0)->null_server ? NULL : E(0)->server; }

static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;
static unsigned char state[256];

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))
#define NOW T(2024, 5, 1, 12, 0, 0)

static void ctx_reset(void)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = "cli-server";
    ctx.arena = &arena;
    ctx.year_hint = 2024;
    ctx.now = NOW;
    memset(state, 0, sizeof state);
}

static void clear(void)
{
    memset(&got, 0, sizeof got);
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
}

/* A whole syslog line through the parser "dnsmasq" (its state kept across calls). */
static int line(const char *s)
{
    clear();
    ctx.last_ts = 0;
    return ipl_parser_dnsmasq.line(state, &ctx, s, strlen(s), on_event, &got, &diag);
}

/* A message through the router's sub, with a fixed envelope. */
static int msg(const char *m)
{
    clear();
    ipl_syslog env;
    memset(&env, 0, sizeof env);
    env.ts = T(2024, 5, 1, 8, 15, 32);
    env.pri = -1;
    env.rfc = 3164;
    env.host = "gw";
    env.host_len = 2;
    env.tag = "dnsmasq-dhcp";
    env.tag_len = 12;
    env.pid = "812";
    env.pid_len = 3;
    env.msg = m;
    env.msg_len = strlen(m);
    return ipl_syslog_sub_dnsmasq.message(&ctx, &env, on_event, &got, &diag);
}

static int lease(const char *s)
{
    clear();
    return ipl_parser_dnsmasq_leases.line(NULL, &ctx, s, strlen(s), on_event, &got, &diag);
}

/* ---- FORMATS.md 4.4 samples, whole lines ---- */

static void test_samples(void)
{
    ctx_reset();
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPDISCOVER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    CHECK_INT(E(0)->ts, INT64_C(1714551332) * 1000000);
    CHECK_STR(E(0)->ip, "192.168.1.141");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(duid() == NULL && host() == NULL);
    CHECK_STR(server(), "gw");
    CHECK_STR(attr(IPL_A_CODE), "DHCPDISCOVER");
    CHECK_STR(attr(IPL_A_IFACE), "br-lan");
    CHECK(attr(IPL_A_REASON) == NULL && attr(IPL_A_XID) == NULL);
    CHECK_INT(E(0)->nattr, 2);

    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPOFFER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "),
              IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_OFFER);
    CHECK_STR(E(0)->ip, "192.168.1.141");
    CHECK_STR(attr(IPL_A_CODE), "DHCPOFFER");

    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_STR(E(0)->ip, "192.168.1.141");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(host(), "laptop-7q2");
    CHECK_STR(server(), "gw");
    CHECK_STR(attr(IPL_A_CODE), "DHCPACK");
    CHECK_STR(attr(IPL_A_IFACE), "br-lan");
    CHECK_INT(E(0)->nattr, 2);

    CHECK_INT(line("May  1 09:00:02 gw dnsmasq-dhcp[812]: DHCPNAK(br-lan) 192.168.1.77 00:0c:29:1a:a6:af wrong network"),
              IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 9, 0, 2));
    CHECK_STR(E(0)->ip, "192.168.1.77");
    CHECK_STR(mac(), "000c291aa6af");
    CHECK_STR(attr(IPL_A_REASON), "wrong network");
    CHECK(host() == NULL);

    CHECK_INT(line("May  1 08:20:01 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f laptop-7q2"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 20, 1));
    CHECK_STR(E(0)->ip, "fd00:1::1a2b");
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");              /* from the DUID-LLT */
    CHECK_STR(host(), "laptop-7q2");
    CHECK_STR(attr(IPL_A_CODE), "DHCPREPLY");
}

/* The same messages through the sub (router), RFC 5424 and ISO envelopes, no hostname. */
static void test_envelopes(void)
{
    ctx_reset();
    CHECK_INT(msg("DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_STR(server(), "gw");
    CHECK_STR(host(), "laptop-7q2");

    CHECK_INT(line("<30>1 2024-05-01T10:15:32+02:00 gw dnsmasq-dhcp 812 - - DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_STR(E(0)->ip, "10.0.0.5");
    CHECK_STR(mac(), "001122334455");
    CHECK_STR(host(), "pc5");
    CHECK_STR(server(), "gw");

    CHECK_INT(line("2024-05-01T08:15:32.250000Z gw dnsmasq-dhcp[812]: DHCPRELEASE(eth0) 10.0.0.5 00:11:22:33:44:55 "),
              IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 15, 32) + 250000);

    /* --log-facility=/file: no hostname -> the --server name */
    CHECK_INT(line("May  1 08:15:32 dnsmasq-dhcp[812]: DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(server(), "cli-server");
    ctx.server = NULL;
    CHECK_INT(line("May  1 08:15:32 dnsmasq-dhcp[812]: DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"), IPL_OK);
    CHECK(server() == NULL);

    /* a local zone: 3164 times are local */
    ipl_tz *berlin = NULL;
    if (ipl_tz_load(&berlin, "Europe/Berlin", NULL) == IPL_OK) {
        ctx_reset();
        ctx.tz = berlin;
        CHECK_INT(line("May  1 10:15:32 gw dnsmasq-dhcp[812]: DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"), IPL_OK);
        CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 15, 32));
        ipl_tz_free(berlin);
    }
    ctx_reset();

    /* old releases log DHCP under the plain "dnsmasq" tag */
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq[812]: DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);

    /* under the DNS tag an unknown "WORD(" is some other message; under the DHCP tag an error */
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq[812]: FOO(bar) baz"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq[812]: FOO(bar baz"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq[812]: DHCPACK(eth0 10.0.0.5"), IPL_EPARSE);
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: FOO(bar) baz"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unknown dnsmasq DHCP message type 'FOO'");

    /* other programs and facilities of the same log: nothing */
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-tftp[812]: sent /tftp/pxelinux.0 to 10.0.0.5"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:15:32 gw hostapd: wlan0: STA 3c:52:82:6a:1b:2f IEEE 802.11: associated"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line(""), IPL_OK);
    CHECK_INT(got.n, 0);

    /* not syslog at all */
    CHECK_INT(line("DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 pc5"), IPL_EPARSE);
    CHECK(strstr(diag.msg, "syslog timestamp") != NULL);
}

/* DNS and informational lines carry no event. */
static void test_informational(void)
{
    ctx_reset();
    static const char *const quiet[] = {
        "query[A] example.com from 192.168.1.5",
        "forwarded example.com to 9.9.9.9",
        "reply example.com is 93.184.216.34",
        "started, version 2.89 cachesize 150",
        "DHCP, IP range 192.168.1.100 -- 192.168.1.200, lease time 12h",
        "DHCPv6, IP range fd00:1::1000 -- fd00:1::2000, lease time 1h",
        "DHCP, sockets bound exclusively to interface br-lan",
        "router advertisement on fd00:1::",
        "not giving name laptop to the DHCP lease of 192.168.1.5 because the name exists in /etc/hosts with address 192.168.1.6",
        "no address range available for DHCP request via eth1",
        "2837425736 tags: lan, known, br-lan",
        "2837425736 requested options: 1:netmask, 28:broadcast, 2:time-offset, 3:router,",
        "2837425736 vendor class: MSFT 5.0",
        "2837425736 client provides name: laptop-7q2",
        "2837425736 available DHCP range: 192.168.1.100 -- 192.168.1.200",
        "2837425736 sent size:  1 option: 53 message-type  5",
        "2837425736 broadcast response",
        "RTR-SOLICIT(br-lan) 3c:52:82:6a:1b:2f",
        "RTR-ADVERT(br-lan) fd00:1::",
        "SLAAC-CONFIRM(br-lan) fd00:1::3e52:82ff:fe6a:1b2f laptop-7q2",
        "PXE(eth0) 00:11:22:33:44:55 proxy",
        "2837425736 PXE(eth0) 10.0.0.5 00:11:22:33:44:55 pxelinux.0",
        "DHCPACK mentioned without a parenthesis",
        "12345",
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        int rc = msg(quiet[i]);
        CHECK_INT(rc, IPL_OK);
        CHECK_INT(got.n, 0);
        if (rc != IPL_OK || got.n)
            fprintf(stderr, "   line: %s (%s)\n", quiet[i], diag.msg);
    }
}

static void test_v4_grammar(void)
{
    ctx_reset();
    /* no requested address, trailing blank */
    CHECK_INT(msg("DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(mac(), "3c52826a1b2f");
    /* the trailing blank removed by a relay */
    CHECK_INT(msg("DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(mac(), "3c52826a1b2f");
    /* ACK without a name */
    CHECK_INT(msg("DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK(host() == NULL);
    /* uppercase hex is canonicalised */
    CHECK_INT(msg("DHCPACK(br-lan) 192.168.1.141 3C:52:82:6A:1B:2F pc"), IPL_OK);
    CHECK_STR(mac(), "3c52826a1b2f");
    /* --log-dhcp: decimal xid prefix */
    CHECK_INT(msg("2837425736 DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_XID), "2837425736");
    CHECK_STR(host(), "laptop-7q2");
    /* REQUEST */
    CHECK_INT(msg("DHCPREQUEST(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    CHECK_STR(E(0)->ip, "192.168.1.141");
    CHECK(attr(IPL_A_REASON) == NULL);
    /* RELEASE, and one for a lease the server did not hold */
    CHECK_INT(msg("DHCPRELEASE(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_RELEASE);
    CHECK(attr(IPL_A_REASON) == NULL);
    CHECK_INT(msg("DHCPRELEASE(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f unknown lease"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    CHECK_STR(attr(IPL_A_REASON), "unknown lease");
    /* DECLINE with the client's text */
    CHECK_INT(msg("DHCPDECLINE(br-lan) 192.168.1.150 3c:52:82:6a:1b:2f address in use by 00:aa"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DECLINE);
    CHECK_STR(E(0)->ip, "192.168.1.150");
    CHECK_STR(attr(IPL_A_MESSAGE), "address in use by 00:aa");
    CHECK(attr(IPL_A_REASON) == NULL);
    CHECK_INT(msg("DHCPDECLINE(br-lan) 192.168.1.150 3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DECLINE);
    CHECK(attr(IPL_A_MESSAGE) == NULL);
    /* INFORM */
    CHECK_INT(msg("DHCPINFORM(br-lan) 192.168.1.20 00:11:22:33:44:55 "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);
    CHECK_STR(E(0)->ip, "192.168.1.20");
    CHECK_INT(msg("DHCPINFORM(br-lan) 192.168.1.20 00:11:22:33:44:55 ignored"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    CHECK_STR(attr(IPL_A_REASON), "ignored");
    /* reasons */
    CHECK_INT(msg("DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f no address available"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXHAUSTED);
    CHECK_STR(attr(IPL_A_REASON), "no address available");
    CHECK_INT(msg("DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f ignored"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    CHECK_INT(msg("DHCPDISCOVER(br-lan) <null> no unique-id"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    CHECK(mac() == NULL && duid() == NULL);
    CHECK_STR(attr(IPL_A_REASON), "no unique-id");
    CHECK_INT(msg("DHCPNAK(br-lan) 192.168.1.77 00:0c:29:1a:a6:af lease not found"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_STR(attr(IPL_A_REASON), "lease not found");
    CHECK_INT(msg("NOANSWER(br-lan) 192.168.1.77 00:0c:29:1a:a6:af address in use"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_STR(attr(IPL_A_CODE), "NOANSWER");
    /* BOOTP */
    CHECK_INT(msg("BOOTP(eth0) 10.0.0.9 00:11:22:33:44:66 "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_BOOTP);
    CHECK_STR(E(0)->ip, "10.0.0.9");
    CHECK_INT(msg("BOOTP(eth0) 00:11:22:33:44:66 no address available"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXHAUSTED);
    CHECK_INT(msg("BOOTP(eth0) 00:11:22:33:44:66 disabled"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    CHECK_INT(msg("BOOTP(eth0) 10.0.0.9 00:11:22:33:44:66 address in use"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    /* a client-id instead of a chaddr (InfiniBand): the duid slot */
    CHECK_INT(msg("DHCPACK(ib0) 10.1.0.7 00:00:00:00:00:02:00:00:02:c9:00:00:02:c9:03:00:12:34:56 node7"), IPL_OK);
    CHECK(mac() == NULL);
    CHECK_STR(duid(), "000000000002000002c9000002c90300123456");
    CHECK_STR(host(), "node7");
    /* a DHCPINFORM's ACK is an assign for the stateless sub */
    CHECK_INT(msg("DHCPACK(br-lan) 192.168.1.20 00:11:22:33:44:55 nas"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
}

static void test_v6_grammar(void)
{
    ctx_reset();
    CHECK_INT(msg("DHCPSOLICIT(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_V6_SOLICIT);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_INT(msg("DHCPADVERTISE(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f laptop-7q2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_OFFER);
    CHECK_STR(E(0)->ip, "fd00:1::1a2b");
    CHECK_STR(host(), "laptop-7q2");
    CHECK_INT(msg("DHCPREQUEST(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_INT(msg("DHCPRENEW(br-lan) 00:03:00:01:00:11:22:33:44:55 "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    CHECK_STR(duid(), "00030001001122334455");
    CHECK_STR(mac(), "001122334455");
    CHECK_STR(attr(IPL_A_CODE), "DHCPRENEW");
    /* a DUID-EN: no MAC */
    CHECK_INT(msg("DHCPREPLY(br-lan) fd00:1::77 00:02:00:00:ab:11:01:02:03:04 printer"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK(mac() == NULL);
    CHECK_STR(duid(), "00020000ab1101020304");
    /* the sub keeps REPLY as assign whatever came before */
    CHECK_INT(msg("DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK(host() == NULL);
    /* failures */
    CHECK_INT(msg("DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f lease not found"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_STR(attr(IPL_A_REASON), "lease not found");
    CHECK(host() == NULL);
    CHECK_INT(msg("DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f address invalid"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_INT(msg("DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f deprecated"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_REASON), "deprecated");
    CHECK(host() == NULL);
    CHECK_INT(msg("DHCPREPLY(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f no addresses available"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXHAUSTED);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_INT(msg("DHCPADVERTISE(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f no addresses available"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXHAUSTED);
    CHECK_INT(msg("DHCPSOLICIT(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f ignored"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DROP);
    /* release and decline carry no address in dnsmasq's log */
    CHECK_INT(msg("DHCPRELEASE(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_INT(msg("DHCPDECLINE(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DECLINE);
    CHECK_INT(msg("DHCPINFORMATION-REQUEST(br-lan) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f laptop-7q2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);
    CHECK_STR(host(), "laptop-7q2");
    CHECK_INT(msg("DHCPINFORMATION-REQUEST(br-lan) <null> "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);
    CHECK(duid() == NULL);
    /* an address that looks like colon hex: told apart by the DUID after it */
    CHECK_INT(msg("DHCPREPLY(br-lan) 1a:2b:3c:4d:5e:6f:7a:8b 00:03:00:01:00:11:22:33:44:55 h"), IPL_OK);
    CHECK_STR(E(0)->ip, "1a:2b:3c:4d:5e:6f:7a:8b");
    CHECK_STR(duid(), "00030001001122334455");
    /* xid with v6 */
    CHECK_INT(msg("9274321 DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f laptop-7q2"), IPL_OK);
    CHECK_STR(attr(IPL_A_XID), "9274321");
}

/* The parser's stream state: INFORM -> ACK, RENEW -> REPLY, CONFIRM -> REPLY. */
static void test_stream_state(void)
{
    ctx_reset();
    CHECK_INT(line("May  1 08:30:00 gw dnsmasq-dhcp[812]: DHCPINFORM(br-lan) 192.168.1.20 00:11:22:33:44:55 "), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);
    CHECK_INT(line("May  1 08:30:00 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.20 00:11:22:33:44:55 nas"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);
    CHECK_STR(host(), "nas");
    CHECK_STR(attr(IPL_A_CODE), "DHCPACK");
    /* only once: the next ACK is an assignment */
    CHECK_INT(line("May  1 08:31:00 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.20 00:11:22:33:44:55 nas"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    /* an ACK to another client after an INFORM is an assignment */
    CHECK_INT(line("May  1 08:32:00 gw dnsmasq-dhcp[812]: DHCPINFORM(br-lan) 192.168.1.20 00:11:22:33:44:55 "), IPL_OK);
    CHECK_INT(line("May  1 08:32:00 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.21 00:11:22:33:44:56 pc"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    /* --log-dhcp: detail lines between, same xid */
    CHECK_INT(line("May  1 08:33:00 gw dnsmasq-dhcp[812]: 77 DHCPINFORM(br-lan) 192.168.1.20 00:11:22:33:44:55 "), IPL_OK);
    CHECK_INT(line("May  1 08:33:00 gw dnsmasq-dhcp[812]: 77 tags: lan, br-lan"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:33:00 gw dnsmasq-dhcp[812]: 77 DHCPACK(br-lan) 192.168.1.20 00:11:22:33:44:55 nas"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_INFORM);

    static const char duid6[] = "00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f";
    char buf[256];
    snprintf(buf, sizeof buf, "May  1 09:00:00 gw dnsmasq-dhcp[812]: DHCPRENEW(br-lan) %s ", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_REQUEST);
    snprintf(buf, sizeof buf, "May  1 09:00:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b %s laptop-7q2", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_RENEW);
    /* a second address of the same reply */
    snprintf(buf, sizeof buf, "May  1 09:00:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2c %s laptop-7q2", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_RENEW);
    snprintf(buf, sizeof buf, "May  1 09:05:00 gw dnsmasq-dhcp[812]: DHCPCONFIRM(br-lan) %s ", duid6);
    CHECK_INT(line(buf), IPL_OK);
    snprintf(buf, sizeof buf, "May  1 09:05:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b %s laptop-7q2", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_V6_CONFIRM);
    snprintf(buf, sizeof buf, "May  1 09:06:00 gw dnsmasq-dhcp[812]: DHCPREQUEST(br-lan) %s ", duid6);
    CHECK_INT(line(buf), IPL_OK);
    snprintf(buf, sizeof buf, "May  1 09:06:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b %s laptop-7q2", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    /* another client's REPLY after a RENEW: assign */
    snprintf(buf, sizeof buf, "May  1 09:07:00 gw dnsmasq-dhcp[812]: DHCPRENEW(br-lan) %s ", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(line("May  1 09:07:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::99 00:03:00:01:00:11:22:33:44:55 x"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    /* a failed renew stays a deny */
    snprintf(buf, sizeof buf, "May  1 09:08:00 gw dnsmasq-dhcp[812]: DHCPRENEW(br-lan) %s ", duid6);
    CHECK_INT(line(buf), IPL_OK);
    snprintf(buf, sizeof buf, "May  1 09:08:00 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b %s lease not found", duid6);
    CHECK_INT(line(buf), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_DENY);
    CHECK_INT(ipl_parser_dnsmasq.pending == NULL, 1);
}

/* rsyslog's "message repeated N times: [ msg]", read as the router reads it. */
static void test_repeated(void)
{
    ctx_reset();
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: message repeated 3 times: [ DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f ]"),
              IPL_OK);
    CHECK_INT(got.n, 3);
    CHECK_INT(E(2)->kind, IPL_K_LEASE_REQUEST);
    CHECK_STR(E(2)->mac, "3c52826a1b2f");
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: message repeated 0 times: [ DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f ]"),
              IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: message repeated 10001 times: [ DHCPDISCOVER(br-lan) 3c:52:82:6a:1b:2f]"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "'message repeated 10001 times' exceeds the limit of 10000 repetitions");
    /* cut (no ']'): not the form, read as a message of its own: no event */
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: message repeated 2 times: [ DHCPDISCOVER(br-lan) 3c:52"),
              IPL_OK);
    CHECK_INT(got.n, 0);
    /* an error inside is the line's error */
    CHECK_INT(line("May  1 08:15:32 gw dnsmasq-dhcp[812]: message repeated 2 times: [ DHCPFOO(br-lan) 3c:52:82:6a:1b:2f]"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "unknown dnsmasq DHCP message type 'DHCPFOO'");
}

static void test_refused(void)
{
    ctx_reset();
    static const struct {
        const char *m, *why;
    } bad[] = {
        {"DHCPFOO(eth0) 10.0.0.5 00:11:22:33:44:55 ", "unknown dnsmasq DHCP message type 'DHCPFOO'"},
        {"DHCPACK(eth0 10.0.0.5 00:11:22:33:44:55 pc",
         "DHCPACK interface name is not closed by ')': 'DHCPACK(eth0 10.0.0.5 00:11:22:33:44:55 pc'"},
        {"DHCPACK() 10.0.0.5 00:11:22:33:44:55 pc", "DHCPACK has an empty interface name"},
        {"DHCPACK(eth0)x 10.0.0.5 00:11:22:33:44:55 pc", "DHCPACK(eth0) is followed by 'x 10.0.0', not a blank"},
        {"DHCPACK(eth0)", "DHCPACK has no client identifier"},
        {"DHCPACK(eth0) 10.0.0.5", "DHCPACK 10.0.0.5 has no client identifier after the address"},
        {"DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:5g pc",
         "DHCPACK client identifier '00:11:22:33:44:5g' is not colon-separated hex"},
        {"DHCPACK(eth0) 10.0.0.500 00:11:22:33:44:55 pc", "DHCPACK address '10.0.0.500' is not an IPv4 address"},
        {"DHCPACK(eth0) fd00::5 00:11:22:33:44:55 pc", "DHCPACK address 'fd00::5' is not an IPv4 address"},
        {"DHCPREPLY(eth0) 10.0.0.5 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f pc",
         "DHCPREPLY address '10.0.0.5' is not an IPv6 address"},
        {"DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 two words", "DHCPACK host name 'two words' contains a blank"},
        {"DHCPACK(eth0) 10.0.0.5 0011.2233.4455 pc", "DHCPACK client identifier '0011.2233.4455' is not colon-separated hex"},
        {"BOOTP(eth0) 00:11:22:33:44:66 ", "BOOTP line has neither an address nor a reason"},
        {"DHCPREPLY(eth0) 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f ", "DHCPREPLY has neither an address nor a reason"},
        {"", "empty dnsmasq message"},
        {"   ", "empty dnsmasq message"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(msg(bad[i].m), IPL_EPARSE);
        CHECK_INT(got.n, 0);
        CHECK_STR(diag.msg, bad[i].why);
    }
    /* NUL bytes, lengths */
    clear();
    ipl_syslog env;
    memset(&env, 0, sizeof env);
    static const char withnul[] = "DHCPACK(eth0) 10.0.0.5\0 00:11:22:33:44:55 pc";
    env.msg = withnul;
    env.msg_len = sizeof withnul - 1;
    CHECK_INT(ipl_syslog_sub_dnsmasq.message(&ctx, &env, on_event, &got, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at offset 22 of the message");
    static char big[5000];
    memset(big, 'a', sizeof big - 1);
    CHECK_INT(msg(big), IPL_EPARSE);
    CHECK_STR(diag.msg, "message is 4999 bytes, longer than the 4096-byte limit");
    /* a client-id over the cap */
    char longid[2000] = "DHCPACK(ib0) 10.0.0.5 ";
    size_t o = strlen(longid);
    for (int k = 0; k < 300; k++)
        o += (size_t)snprintf(longid + o, sizeof longid - o, k ? ":%02x" : "%02x", k & 0xff);
    CHECK_INT(msg(longid), IPL_EPARSE);
    CHECK(strstr(diag.msg, "is 300 bytes long, longer than the 239-byte limit") != NULL);
    /* a host name over the event limit */
    char longhost[700];
    int hn = snprintf(longhost, sizeof longhost, "DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 ");
    memset(longhost + hn, 'h', 500);
    longhost[hn + 500] = '\0';
    CHECK_INT(msg(longhost), IPL_EPARSE);
    CHECK(strstr(diag.msg, "is 500 bytes long, longer than the 479-byte limit") != NULL);
}

/* ---- the lease file ---- */

static void test_leases_samples(void)
{
    ctx_reset();
    ctx.server = "gw";
    ctx.now = T(2024, 5, 1, 12, 0, 0);          /* 1714564800 */
    CHECK_INT(lease("1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop-7q2 01:3c:52:82:6a:1b:2f"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, ctx.now);
    CHECK_STR(E(0)->ip, "192.168.1.141");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(duid() == NULL);
    CHECK_STR(host(), "laptop-7q2");
    CHECK_STR(server(), "gw");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T16:05:32Z");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "013c52826a1b2f");
    CHECK_INT(E(0)->nattr, 2);

    CHECK_INT(lease("duid 00:01:00:01:2a:bb:cc:dd:00:11:22:33:44:55"), IPL_OK);
    CHECK_INT(got.n, 0);

    CHECK_INT(lease("1714586801 1782193967 fd00:1::1a2b laptop-7q2 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, ctx.now);
    CHECK_STR(E(0)->ip, "fd00:1::1a2b");
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(host(), "laptop-7q2");
    CHECK_STR(attr(IPL_A_IAID), "1782193967");
    CHECK_STR(attr(IPL_A_LEASE_TYPE), "IA_NA");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T18:06:41Z");
}

static void test_leases_edges(void)
{
    ctx_reset();
    ctx.now = T(2024, 5, 1, 12, 0, 0);
    /* expired before the snapshot: an expiry at that time, no open */
    CHECK_INT(lease("1714550000 3c:52:82:6a:1b:2f 192.168.1.141 * *"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(E(0)->ts, INT64_C(1714550000) * 1000000);
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T07:53:20Z");
    CHECK(host() == NULL && attr(IPL_A_CLIENT_ID) == NULL);
    /* exactly now: expired */
    CHECK_INT(lease("1714564800 3c:52:82:6a:1b:2f 192.168.1.141 * *"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_EXPIRE);
    /* infinite */
    CHECK_INT(lease("0 3c:52:82:6a:1b:2f 192.168.1.5 printer *"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(E(0)->ts, ctx.now);
    CHECK_STR(attr(IPL_A_LIFETIME), "infinite");
    CHECK(attr(IPL_A_LEASE_END) == NULL);
    /* HAVE_BROKEN_RTC / HAVE_LEASEFILE_EXPIRE: a duration */
    CHECK_INT(lease("43200 3c:52:82:6a:1b:2f 192.168.1.5 printer *"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_LIFETIME), "43200");
    CHECK(attr(IPL_A_LEASE_END) == NULL);
    /* hardware type prefixes */
    CHECK_INT(lease("1714579532 06-3c:52:82:6a:1b:2f 192.168.1.142 tr *"), IPL_OK);
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_INT(lease("1714579532 20-00:00:00:00:00:02:00:00:02:c9:00:00:02:c9:03:00:12:34:56 10.1.0.7 node7 *"), IPL_OK);
    CHECK(mac() == NULL);
    CHECK_STR(duid(), "000000000002000002c9000002c90300123456");
    /* no hardware bytes: the client-id less its type byte, as dnsmasq logs it */
    CHECK_INT(lease("1714579532 20- 10.1.0.8 node8 20:00:11:22:33:44:55:66:77"), IPL_OK);
    CHECK_STR(duid(), "0011223344556677");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "200011223344556677");
    CHECK_INT(lease("1714579532 00- 10.1.0.9 node9 ff:00:00:00:01:00:01:2b:3c"), IPL_OK);
    CHECK_STR(duid(), "ff0000000100012b3c");
    CHECK_INT(lease("1714579532 00- 10.1.0.9 node9 *"), IPL_OK);
    CHECK(mac() == NULL && duid() == NULL);
    /* temporary v6 address, no DUID */
    CHECK_INT(lease("1714586801 T7 fd00:1::77 * *"), IPL_OK);
    CHECK_STR(attr(IPL_A_IAID), "7");
    CHECK_STR(attr(IPL_A_LEASE_TYPE), "IA_TA");
    CHECK(duid() == NULL && host() == NULL);
    /* blank lines, CRs, tabs */
    CHECK_INT(lease(""), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(lease("1714579532\t3c:52:82:6a:1b:2f  192.168.1.141 laptop *\r"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(E(0)->ip, "192.168.1.141");

    static const struct {
        const char *l, *why;
    } bad[] = {
        {"1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop", "lease line has 4 fields, expected 5: '1714579532 3c:52:82:6a:1b:2f 192.168.1.141 lapto...'"},
        {"1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop * x", "lease line has more than 5 fields, expected 5: '1714579532 3c:52:82:6a:1b:2f 192.168.1.141 lapto...'"},
        {"17145x9532 3c:52:82:6a:1b:2f 192.168.1.141 laptop *", "field 1 (expiry) '17145x9532' is not a number of seconds"},
        {"999999999999 3c:52:82:6a:1b:2f 192.168.1.141 laptop *", "field 1 (expiry) '999999999999' is past the year 9999"},
        {"1714579532 3c:52:82:6a:1b 192.168.1.141.1 laptop *", "field 3 (address) '192.168.1.141.1' is not an IPv4 address"},
        {"1714579532 3c-52-82-6a-1b-2f 192.168.1.141 laptop *", "field 2 (hardware address) '3c-52-82-6a-1b-2f' is not a hardware address (colon hex, optionally after 'NN-')"},
        {"1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop 01:3c:52:8", "field 5 (client-id) '01:3c:52:8' is neither '*' nor colon-separated hex"},
        {"1714579532 X7 fd00::1 laptop *", "field 2 (IAID) 'X7' is not an IAID ([T]0-4294967295)"},
        {"1714579532 4294967296 fd00::1 laptop *", "field 2 (IAID) '4294967296' is not an IAID ([T]0-4294967295)"},
        {"1714579532 7 fd00::1 laptop 00:01:zz", "field 5 (client DUID) '00:01:zz' is neither '*' nor colon-separated hex"},
        {"duid", "'duid' line has 1 fields, expected 2"},
        {"duid 00:01:0", "server DUID '00:01:0' is not colon-separated hex"},
        {"# comment", "lease line has 2 fields, expected 5: '# comment'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(lease(bad[i].l), IPL_EPARSE);
        CHECK_INT(got.n, 0);
        CHECK_STR(diag.msg, bad[i].why);
    }
    clear();
    static const char nul[] = "1714579532 3c:52:82:6a:1b:2f\0 192.168.1.141 laptop *";
    CHECK_INT(ipl_parser_dnsmasq_leases.line(NULL, &ctx, nul, sizeof nul - 1, on_event, &got, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at offset 28 of the lease line");
}

/* ---- probes ---- */

static const char dnsmasq_sample[] =
    "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPDISCOVER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f \n"
    "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPOFFER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f \n"
    "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n"
    "May  1 09:00:02 gw dnsmasq-dhcp[812]: DHCPNAK(br-lan) 192.168.1.77 00:0c:29:1a:a6:af wrong network\n"
    "May  1 08:20:01 gw dnsmasq-dhcp[812]: DHCPREPLY(br-lan) fd00:1::1a2b 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f laptop-7q2\n";
static const char leases_sample[] =
    "1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop-7q2 01:3c:52:82:6a:1b:2f\n"
    "duid 00:01:00:01:2a:bb:cc:dd:00:11:22:33:44:55\n"
    "1714586801 1782193967 fd00:1::1a2b laptop-7q2 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f\n";

static const char *const others[] = {
    /* Windows DHCP v4 / v6 (1.5, 1.6) */
    "00,04/19/20,12:43:06,Started,,,\n30,09/20/21,09:16:15,DNS Update Request,172.28.43.169,057182593757.test.com,,,0,6,,,,,,,,,0\n"
    "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\n",
    "\t\tMicrosoft DHCP Service Activity Log\n\nEvent ID  Meaning\n00\tThe log was started.\n",
    "11010,11/04/21,18:24:36,DHCPV6 Started,,,,,,,,,,\n11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,\n",
    /* ISC dhcpd syslog (2.4) */
    "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n"
    "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n",
    /* dhcpd.leases (2.7) */
    "# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
    "lease 10.20.30.41 {\n  starts 3 2024/05/01 06:15:32;\n  ends 3 2024/05/01 14:15:32;\n",
    /* Kea CSV and log (3.4, 3.5) */
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
    "10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,4000,1714548132,1,1,1,laptop-7q2.corp.example.com,0,,0\n",
    "2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds\n",
    /* sshd (7.3) */
    "May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr\n"
    "May  1 08:16:02 web01 sshd[4242]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)\n",
    /* NPS IAS, ODBC, DTS XML, FreeRADIUS detail (6.x) */
    "10.10.10.10,client,06/04/1999,14:42:19,NPS,CLIENTCOMP,6,2,7,1,5,9,61,5,64,1,65,1,31,1\n",
    "\"CLIENTCOMP\",\"IAS\",03/07/2008,13:04:33,2,,\"npsclientdc/Users/client\",,,,,,,,9,\"10.10.10.10\",\"npsclient\",,,,,,2,1\n",
    "<Event><Timestamp data_type=\"4\">05/19/2014 15:36:50.977</Timestamp><Computer-Name data_type=\"1\">NPSServer</Computer-Name></Event>\n",
    "Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n\tFramed-IP-Address = 10.20.30.41\n\n",
    /* binary noise */
    "\x00\x01\x02\x03\xff\xfe",
};

static void test_probe(void)
{
    int sd = ipl_parser_dnsmasq.probe(dnsmasq_sample, sizeof dnsmasq_sample - 1);
    CHECK_INT(sd, 90);
    CHECK_INT(ipl_parser_dnsmasq_leases.probe(dnsmasq_sample, sizeof dnsmasq_sample - 1), 0);
    CHECK_INT(ipl_parser_dnsmasq_leases.probe(leases_sample, sizeof leases_sample - 1), 95);
    CHECK_INT(ipl_parser_dnsmasq.probe(leases_sample, sizeof leases_sample - 1), 0);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        size_t n = strlen(others[i]);
        if (i == sizeof others / sizeof others[0] - 1)
            n = 6;
        int a = ipl_parser_dnsmasq.probe(others[i], n), b = ipl_parser_dnsmasq_leases.probe(others[i], n);
        CHECK_INT(a, 0);
        CHECK_INT(b, 0);
        if (a || b)
            fprintf(stderr, "   sample %zu scored %d / %d\n", i, a, b);
    }
    /* a mixed router log: some dnsmasq, some not -> below the router's 70 */
    static const char mixed[] =
        "May  1 08:15:30 gw hostapd: wlan0: STA 3c:52:82:6a:1b:2f IEEE 802.11: associated\n"
        "May  1 08:15:31 gw netifd: Interface 'wan' is now up\n"
        "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n";
    int m = ipl_parser_dnsmasq.probe(mixed, sizeof mixed - 1);
    CHECK(m > 0 && m < 70);
    /* a sample cut in the middle of its last line */
    CHECK_INT(ipl_parser_dnsmasq.probe(dnsmasq_sample, sizeof dnsmasq_sample - 20), 90);
    CHECK_INT(ipl_parser_dnsmasq_leases.probe(leases_sample, sizeof leases_sample - 10), 95);
    CHECK_INT(ipl_parser_dnsmasq.probe("", 0), 0);
    CHECK_INT(ipl_parser_dnsmasq_leases.probe("", 0), 0);
    CHECK_INT(ipl_parser_dnsmasq_leases.probe("duid 00:01:00:01\n", 17), 0);   /* no lease row */
}

/* ---- fixtures ---- */

typedef struct tally {
    int lines, errors, events;
    int kinds[IPL_K__COUNT];
} tally;

static int on_tally(void *c, const ipl_event *ev)
{
    tally *t = c;
    t->events++;
    if (ev->kind < IPL_K__COUNT)
        t->kinds[ev->kind]++;
    return IPL_OK;
}

static void run_file(const ipl_parser *p, const char *rel, tally *t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    ctx_reset();
    ctx.year_hint = 0;
    ctx.now = T(2024, 5, 2, 0, 0, 0);
    ctx.server = NULL;
    char buf[8192];
    while (fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        ipl_diag_clear(&diag);
        ipl_arena_clear(&arena);
        t->lines++;
        if (p->line(state, &ctx, buf, n, on_tally, t, &diag) != IPL_OK) {
            t->errors++;
            fprintf(stderr, "   %s:%d: %s\n", rel, t->lines, diag.msg);
        }
    }
    fclose(f);
}

static void test_fixtures(void)
{
    tally t;
    run_file(&ipl_parser_dnsmasq, "tests/data/dnsmasq/dnsmasq.syslog", &t);
    CHECK(t.lines > 50);
    CHECK_INT(t.errors, 0);
    CHECK(t.kinds[IPL_K_LEASE_ASSIGN] > 10);
    CHECK(t.kinds[IPL_K_LEASE_RELEASE] > 0);
    CHECK(t.kinds[IPL_K_LEASE_RENEW] > 0);
    CHECK(t.kinds[IPL_K_LEASE_INFORM] > 0);
    run_file(&ipl_parser_dnsmasq_leases, "tests/data/dnsmasq/dnsmasq.leases", &t);
    CHECK(t.lines > 5);
    CHECK_INT(t.errors, 0);
    CHECK(t.kinds[IPL_K_LEASE_ASSIGN] > 3);
}

/* Every fixture line through the router ("syslog": the sub without stream state) and through
 * the parser "dnsmasq": the same events, except the kinds the stream state refines; and
 * detection picks the right format. */
static void test_router_agrees(void)
{
    const ipl_parser *router = ipl_parser_find("syslog");
    CHECK(router != NULL);
    if (!router)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/dnsmasq/dnsmasq.syslog", IPL_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    ctx_reset();
    ctx.year_hint = 0;
    ipl_parse_ctx ctx2 = ctx;
    static cap a, b;
    char buf[8192];
    int events = 0, refined = 0;
    while (fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        clear();
        int rc1 = ipl_parser_dnsmasq.line(state, &ctx, buf, n, on_event, &got, &diag);
        a = got;
        clear();
        int rc2 = router->line(NULL, &ctx2, buf, n, on_event, &got, &diag);
        b = got;
        CHECK_INT(rc1, rc2);
        CHECK_INT(a.n, b.n);
        for (int i = 0; i < a.n && i < b.n && i < CAP_MAX; i++) {
            if (a.ev[i].kind != b.ev[i].kind) {
                CHECK_INT(b.ev[i].kind, IPL_K_LEASE_ASSIGN);
                CHECK(a.ev[i].kind == IPL_K_LEASE_INFORM || a.ev[i].kind == IPL_K_LEASE_RENEW ||
                      a.ev[i].kind == IPL_K_LEASE_V6_CONFIRM);
                b.ev[i].kind = a.ev[i].kind;
                refined++;
            }
            CHECK(memcmp(&a.ev[i], &b.ev[i], sizeof a.ev[i]) == 0);
        }
        events += a.n;
    }
    fclose(f);
    CHECK(events > 40);
    CHECK(refined >= 4);
    int score;
    const ipl_parser *p = ipl_parser_detect(dnsmasq_sample, sizeof dnsmasq_sample - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "dnsmasq");
    p = ipl_parser_detect(leases_sample, sizeof leases_sample - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "dnsmasq-leases");
    static const char mixed[] =
        "May  1 08:15:30 gw hostapd: wlan0: STA 3c:52:82:6a:1b:2f IEEE 802.11: associated\n"
        "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n";
    p = ipl_parser_detect(mixed, sizeof mixed - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "syslog");
}

int main(void)
{
    ipl_arena_init(&arena, 1 << 20);
    RUN(test_samples);
    RUN(test_envelopes);
    RUN(test_informational);
    RUN(test_v4_grammar);
    RUN(test_v6_grammar);
    RUN(test_stream_state);
    RUN(test_repeated);
    RUN(test_refused);
    RUN(test_leases_samples);
    RUN(test_leases_edges);
    RUN(test_probe);
    RUN(test_fixtures);
    RUN(test_router_agrees);
    ipl_arena_release(&arena);
    return check_summary();
}
