/* tests/unit/parsers/mswin_dhcp_config_test.c — the Windows DHCP Server event-log parser
 * (parsers/mswin_dhcp_config.c, "mswin-dhcp-events"): the FORMATS.md 8.4 sample with every field,
 * the documented positions of 8.2/8.3, mapping by shape and by name, XML and Winlogbeat renderings,
 * other IDs and providers, refused records with their reasons, probe scores, and the fixtures in
 * tests/data/mswin-dhcp-events/.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- capture: copies of the events of one call ---- */

#define MAXEV 8

typedef struct cev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    host[IPL_STR_MAX], user[IPL_STR_MAX], server[IPL_STR_MAX], mac[IPL_STR_MAX];
    int     null_host, null_user, null_mac;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][IPL_ATTR_VAL_MAX + 1];
} cev;

static cev evs[MAXEV];
static int nev;
static int emit_rc;                  /* what on_event returns */

static void copy_str(char *dst, const char *src, int *is_null)
{
    if (is_null)
        *is_null = src == NULL;
    snprintf(dst, IPL_STR_MAX, "%s", src ? src : "");
}

static int on_event(void *c, const ipl_event *ev)
{
    (void)c;
    if (nev < MAXEV) {
        cev *g = &evs[nev];
        memset(g, 0, sizeof *g);
        g->ts = ev->ts;
        g->kind = ev->kind;
        g->has_ip = ev->has_ip;
        if (ev->has_ip)
            ipl_ip_format(ev->ip, g->ip, sizeof g->ip);
        copy_str(g->host, ev->host, &g->null_host);
        copy_str(g->user, ev->user, &g->null_user);
        copy_str(g->mac, ev->mac, &g->null_mac);
        copy_str(g->server, ev->server, NULL);
        g->nattr = (int)ev->nattr;
        for (uint32_t i = 0; i < ev->nattr; i++) {
            g->key[i] = ev->attr[i].key;
            memcpy(g->val[i], ev->attr[i].val, ev->attr[i].len);
            g->val[i][ev->attr[i].len] = '\0';
        }
    }
    nev++;
    return emit_rc;
}

static const char *attr_of(int i, int key)
{
    for (int k = 0; k < evs[i].nattr; k++)
        if (evs[i].key[k] == key)
            return evs[i].val[k];
    return NULL;
}
static const char *attr(int key) { return attr_of(0, key); }
static const char *host(void) { return evs[0].null_host ? NULL : evs[0].host; }
static const char *user(void) { return evs[0].null_user ? NULL : evs[0].user; }

extern const ipl_parser ipl_parser_mswin_dhcp_events, ipl_parser_winsec_xml, ipl_parser_winsec_json,
    ipl_parser_mswin_dhcp;

static const ipl_parser *P;
static void *state;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;

static void use(const ipl_parser *p, const char *server)
{
    if (state && P && P->release)
        P->release(state);
    free(state);
    P = p;
    state = calloc(1, p->state_size ? p->state_size : 1);
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = server;
    ctx.arena = &arena;
    if (p->init)
        p->init(state, &ctx);
}

static int parse_n(const char *line, size_t len)
{
    nev = 0;
    memset(evs, 0, sizeof evs[0]);
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
    return P->line(state, &ctx, line, len, on_event, NULL, &diag);
}

static int parse(const char *line)
{
    return parse_n(line, strlen(line));
}

static int pending(void)
{
    return P->pending ? P->pending(state) : 0;
}

static int finish(void)
{
    ipl_diag_clear(&diag);
    return P->finish ? P->finish(state, &ctx, on_event, NULL, &diag) : IPL_OK;
}

#define T(y, mo, d, h, mi, s, us) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, us}))


static const char *mac(void) { return evs[0].null_mac ? NULL : evs[0].mac; }

static char xbuf[1 << 16];

/* A DHCP Server event with positional <Data> values ("|"-separated). */
static const char *dh(int id, const char *channel, const char *vals)
{
    size_t o = (size_t)snprintf(xbuf, sizeof xbuf,
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider "
        "Name=\"Microsoft-Windows-DHCP-Server\" Guid=\"{6D64F02C-A125-4DAC-9A01-F0555B41CA84}\"/>"
        "<EventID>%d</EventID><TimeCreated SystemTime=\"2024-05-01T07:00:00Z\"/><EventRecordID>9"
        "</EventRecordID><Channel>%s</Channel><Computer>DHCP01</Computer><Security UserID=\"S-1-5-21-9\"/>"
        "</System><EventData>", id, channel);
    const char *p = vals;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        o += (size_t)snprintf(xbuf + o, sizeof xbuf - o, "<Data>%.*s</Data>", (int)n, p);
        p = bar ? bar + 1 : NULL;
    }
    snprintf(xbuf + o, sizeof xbuf - o, "</EventData></Event>");
    return xbuf;
}

#define OPS "Microsoft-Windows-Dhcp-Server/Operational"
#define ADM "Microsoft-Windows-Dhcp-Server/AdminEvents"

static const char sample_106[] =
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Microsoft-Windows-DHCP-Server\" Guid=\"{6D64F02C-A125-4DAC-9A01-F0555B41CA84}\"/><EventID>106</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"2024-05-01T07:01:12.5550000Z\"/><EventRecordID>412</EventRecordID><Correlation/><Execution ProcessID=\"2208\" ThreadID=\"3120\"/><Channel>Microsoft-Windows-Dhcp-Server/Operational</Channel><Computer>DHCP01.corp.example.com</Computer><Security UserID=\"S-1-5-21-1111111111-2222222222-3333333333-1105\"/></System><EventData><Data>[10.20.30.50]PRN-LOBBY</Data><Data>[[10.20.30.0]Office-LAN]</Data><Data>CORP\\netadmin</Data></EventData></Event>";

static void test_sample(void)
{
    use(&ipl_parser_mswin_dhcp_events, NULL);
    CHECK_INT(parse(sample_106), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_CONFIG_CHANGE);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 1, 12, 555000));
    CHECK_STR(evs[0].server, "DHCP01.corp.example.com");
    CHECK_STR(user(), "CORP\\netadmin");
    CHECK_INT(evs[0].has_ip, 1);
    CHECK_STR(evs[0].ip, "10.20.30.50");
    CHECK_STR(host(), "PRN-LOBBY");
    CHECK_STR(attr(IPL_A_CODE), "106");
    CHECK_STR(attr(IPL_A_RECORD_ID), "412");
    CHECK_STR(attr(IPL_A_OBJECT), "reservation");
    CHECK_STR(attr(IPL_A_ACTION), "configured");
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]Office-LAN]");
    CHECK_STR(attr(IPL_A_CHANNEL), "Microsoft-Windows-Dhcp-Server/Operational");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1111111111-2222222222-3333333333-1105");
    CHECK_STR(attr(IPL_A_MESSAGE), "Reservation: [10.20.30.50]PRN-LOBBY for IPv4 is Configured "
              "under Scope [[10.20.30.0]Office-LAN] by CORP\\netadmin.");
    CHECK_INT(evs[0].nattr, 8);
    CHECK(!pending());
}

static void test_positions(void)
{
    use(&ipl_parser_mswin_dhcp_events, NULL);
    /* 70-74 */
    static const char *const acts[] = {"configured", "modified", "deleted", "activated", "deactivated"};
    for (int i = 0; i < 5; i++) {
        CHECK_INT(parse(dh(70 + i, OPS, "[[10.99.7.0]detwiki-v4]|ludus\\domainadmin")), IPL_OK);
        CHECK_INT(evs[0].kind, IPL_K_CONFIG_CHANGE);
        CHECK_STR(attr(IPL_A_OBJECT), "scope");
        CHECK_STR(attr(IPL_A_ACTION), acts[i]);
        CHECK_STR(attr(IPL_A_SCOPE), "[[10.99.7.0]detwiki-v4]");
        CHECK_STR(user(), "ludus\\domainadmin");
        CHECK_INT(evs[0].has_ip, 0);
    }
    CHECK_STR(attr(IPL_A_MESSAGE), "Scope: [[10.99.7.0]detwiki-v4] for IPv4 is DeActivated by "
              "ludus\\domainadmin.");
    /* 75: new %2, old %4 */
    CHECK_INT(parse(dh(75, OPS, "[[10.20.40.0]Guest]|3600|CORP\\netadmin|28800")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "scope.lease_duration");
    CHECK_STR(attr(IPL_A_NEW), "3600");
    CHECK_STR(attr(IPL_A_OLD), "28800");
    CHECK_STR(user(), "CORP\\netadmin");
    CHECK_STR(attr(IPL_A_MESSAGE), "Scope: [[10.20.40.0]Guest] for IPv4 is Updated with Lease "
              "Duration: 3600 seconds by CORP\\netadmin. The previous configured Lease Duration was: "
              "28800 seconds.");
    /* 76, 105, 116: options */
    CHECK_INT(parse(dh(76, OPS, "[[10.20.30.0]Office-LAN]|[6]DNS Servers: 10.20.0.53|CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_OPTION), "[6]DNS Servers: 10.20.0.53");
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]Office-LAN]");
    CHECK_INT(parse(dh(105, OPS, "[15]DNS Domain Name|CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "server.option");
    CHECK_STR(attr(IPL_A_OPTION), "[15]DNS Domain Name");
    CHECK_STR(user(), "CORP\\a");
    CHECK_STR(attr(IPL_A_MESSAGE), "Server level option [15]DNS Domain Name for IPv4 has been "
              "updated by CORP\\a.");
    CHECK_INT(parse(dh(116, OPS, "[10.20.30.50]PRN|[[10.20.30.0]LAN]|[3]Router: 10.20.30.1|CORP\\a")),
              IPL_OK);
    CHECK_STR(evs[0].ip, "10.20.30.50");
    CHECK_STR(host(), "PRN");
    CHECK_STR(attr(IPL_A_OPTION), "[3]Router: 10.20.30.1");
    /* 107 follows 106 (no template: the values are listed) */
    CHECK_INT(parse(dh(107, OPS, "[10.20.30.51]PRN-2F|[[10.20.30.0]LAN]|CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_ACTION), "deleted");
    CHECK_STR(evs[0].ip, "10.20.30.51");
    CHECK_STR(attr(IPL_A_MESSAGE), "%1=[10.20.30.51]PRN-2F; %2=[[10.20.30.0]LAN]; %3=CORP\\a");
    /* a reservation without a name, one whose address does not parse (kept in the message) */
    CHECK_INT(parse(dh(106, OPS, "[10.20.30.52]|[[10.20.30.0]LAN]|CORP\\a")), IPL_OK);
    CHECK_STR(evs[0].ip, "10.20.30.52");
    CHECK(host() == NULL);
    CHECK_INT(parse(dh(106, OPS, "PRN-X|[[10.20.30.0]LAN]|CORP\\a")), IPL_OK);
    CHECK_INT(evs[0].has_ip, 0);
    /* 119/120 exclusions */
    CHECK_INT(parse(dh(119, OPS, "10.20.30.1 - 10.20.30.9|[[10.20.30.0]LAN]|CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "scope.exclusion");
    CHECK_STR(attr(IPL_A_NEW), "10.20.30.1 - 10.20.30.9");
    CHECK_INT(parse(dh(120, OPS, "10.20.30.1 - 10.20.30.9|[[10.20.30.0]LAN]|CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_OLD), "10.20.30.1 - 10.20.30.9");
    /* filters: 121-128 */
    CHECK_INT(parse(dh(121, OPS, "CORP\\a")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "filter.allow");
    CHECK_STR(attr(IPL_A_ACTION), "enabled");
    CHECK_STR(user(), "CORP\\a");
    CHECK_INT(parse(dh(123, OPS, "3C-52-82-6A-1B-2F|CORP\\a|1")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "filter.allow.entry");
    CHECK_STR(attr(IPL_A_ACTION), "added");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_MESSAGE), "Filter for physical address: 3C-52-82-6A-1B-2F, hardware type: 1 "
              "added to the IPv4 Allow List by CORP\\a.");
    CHECK_INT(parse(dh(128, OPS, "3c52826a1b2f|CORP\\a|1")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "filter.deny.entry");
    CHECK_STR(attr(IPL_A_ACTION), "removed");
    CHECK_STR(mac(), "3c52826a1b2f");
    /* policies */
    CHECK_INT(parse(dh(20220, OPS, "Enabled|Printers")), IPL_OK);
    CHECK_STR(attr(IPL_A_NEW), "Enabled");
    CHECK_STR(attr(IPL_A_POLICY), "Printers");
    CHECK_STR(attr(IPL_A_MESSAGE), "Policy Printers for server is Enabled.");
    CHECK(user() == NULL);
    CHECK_INT(parse(dh(20221, OPS, "Disabled|Printers|[[10.20.30.0]LAN]")), IPL_OK);
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]LAN]");
    CHECK_INT(parse(dh(20228, OPS, "10.20.30.100 - 10.20.30.150|Printers|[[10.20.30.0]LAN]")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "policy.range");
    CHECK_STR(attr(IPL_A_NEW), "10.20.30.100 - 10.20.30.150");
    CHECK_STR(attr(IPL_A_MESSAGE), "The IP address range from 10.20.30.100 - 10.20.30.150 was set "
              "for the scope [[10.20.30.0]LAN] policy Printers.");
    /* failover */
    CHECK_INT(parse(dh(20241, OPS, "DHCP01|DHCP02|DHCP01-DHCP02|3600|5|60|DHCP02")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "failover");
    CHECK_STR(attr(IPL_A_ACTION), "created");
    CHECK_STR(attr(IPL_A_PARTNER), "DHCP02");
    CHECK_STR(attr(IPL_A_RELATIONSHIP), "DHCP01-DHCP02");
    CHECK_INT(parse(dh(20242, OPS, "DHCP01-DHCP02|DHCP01|DHCP02")), IPL_OK);
    CHECK_STR(attr(IPL_A_MESSAGE), "Failover relationship DHCP01-DHCP02 between DHCP01 and DHCP02 "
              "has been deleted.");
    CHECK_INT(parse(dh(20243, OPS, "[[10.20.30.0]LAN]|DHCP01-DHCP02|DHCP02")), IPL_OK);
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]LAN]");
    CHECK_INT(parse(dh(20251, ADM, "DHCP02|DHCP01-DHCP02|NORMAL|COMMUNICATION-INTERRUPTED")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_SERVER_STATUS);
    CHECK_STR(attr(IPL_A_OLD), "NORMAL");
    CHECK_STR(attr(IPL_A_NEW), "COMMUNICATION-INTERRUPTED");
    CHECK_STR(attr(IPL_A_RELATIONSHIP), "DHCP01-DHCP02");
    CHECK_INT(parse(dh(20289, "DhcpAdminEvents", "12345|10.20.30.61|ACTIVE|DHCP02|DHCP01-DHCP02")),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_FAILOVER_BINDING);
    CHECK_STR(evs[0].ip, "10.20.30.61");
    CHECK_STR(attr(IPL_A_XID), "12345");
    CHECK_STR(attr(IPL_A_STATUS), "ACTIVE");
    CHECK_STR(attr(IPL_A_ACTION), "sent");
    CHECK_INT(parse(dh(20290, "DhcpAdminEvents", "1|10.20.30.62|EXPIRED|DHCP02|R")), IPL_OK);
    CHECK_STR(attr(IPL_A_ACTION), "received");
    CHECK(!ipl_kind_opens_lease(evs[0].kind) && !ipl_kind_closes_lease(evs[0].kind));

    /* AdminEvents with leases */
    CHECK_INT(parse(dh(1011, ADM, "10.20.30.60|3C52826A1B30")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DENY);
    CHECK_STR(evs[0].ip, "10.20.30.60");
    CHECK_STR(mac(), "3c52826a1b30");
    CHECK(attr(IPL_A_OBJECT) == NULL);
    CHECK_INT(parse(dh(1012, ADM, "10.20.30.60|3C52826A1B30")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DECLINE);
    CHECK_STR(attr(IPL_A_MESSAGE), "The DHCP client, 3C52826A1B30, declined the address 10.20.30.60.");
    CHECK_INT(parse(dh(1013, ADM, "10.20.30.60|3C52826A1B30")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK(user() == NULL);                              /* the client is not an acting user */
    CHECK_INT(parse(dh(1013, ADM, "10.20.30.60|01AABBCCDDEEFF0011")), IPL_OK);
    CHECK(mac() == NULL);                               /* a client id, not a MAC: duid slot */
    CHECK_INT(parse(dh(1020, ADM, "[[10.20.40.0]Guest]|90")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_SERVER_STATUS);
    CHECK_STR(attr(IPL_A_COUNT), "90");
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.40.0]Guest]");
    CHECK_INT(parse(dh(20096, "Microsoft-Windows-Dhcp-Server/FilterNotifications",
                       "AABBCCDDEEFF|rogue-laptop|AA-BB-CC-*|1")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DENY);
    CHECK_STR(mac(), "aabbccddeeff");
    CHECK_STR(host(), "rogue-laptop");
}

static void test_kinds_and_shapes(void)
{
    use(&ipl_parser_mswin_dhcp_events, NULL);
    static const struct { int id, kind; } k[] = {
        {1027, IPL_K_LOG_PAUSE}, {1028, IPL_K_LOG_PAUSE}, {1030, IPL_K_LOG_PAUSE},
        {1060, IPL_K_LOG_PAUSE}, {10011, IPL_K_LOG_PAUSE}, {10015, IPL_K_LOG_PAUSE},
        {1041, IPL_K_ROGUE}, {1054, IPL_K_ROGUE}, {1063, IPL_K_LEASE_EXHAUSTED},
        {1340, IPL_K_DNS_UPDATE_FAIL}, {1341, IPL_K_LEASE_EXHAUSTED}, {1377, IPL_K_LEASE_EXHAUSTED},
        {10004, IPL_K_LEASE_DECLINE}, {10006, IPL_K_LEASE_DELETE}, {20254, IPL_K_SERVER_STATUS},
        {20255, IPL_K_SERVER_STATUS}, {20286, IPL_K_LEASE_DROP}, {20287, IPL_K_LEASE_DROP},
        {20097, IPL_K_LEASE_DENY}, {20100, IPL_K_LEASE_DENY}, {20291, IPL_K_FAILOVER_BINDING},
        {20300, IPL_K_SERVER_STATUS}, {77, IPL_K_CONFIG_CHANGE}, {166, IPL_K_CONFIG_CHANGE},
        {20316, IPL_K_CONFIG_CHANGE},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        CHECK_INT(parse(dh(k[i].id, ADM, "x|y")), IPL_OK);
        CHECK_INT(nev, 1);
        CHECK_INT(evs[0].kind, k[i].kind);
        CHECK_STR(attr(IPL_A_MESSAGE), "%1=x; %2=y");
    }
    /* by shape: scope, actor, reservation, wherever they are */
    CHECK_INT(parse(dh(108, OPS, "CORP\\a|[10.20.30.50]PRN|[[10.20.30.0]LAN]")), IPL_OK);
    CHECK_STR(attr(IPL_A_OBJECT), "reservation.dns_settings");
    CHECK_STR(user(), "CORP\\a");
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]LAN]");
    CHECK_STR(evs[0].ip, "10.20.30.50");
    CHECK_STR(host(), "PRN");
    /* not an account: two backslashes, brackets; actors only for configuration changes */
    CHECK_INT(parse(dh(89, OPS, "C:\\dir\\x|[a\\b]")), IPL_OK);
    CHECK(user() == NULL);
    CHECK_INT(parse(dh(1041, ADM, "CORP\\x")), IPL_OK);
    CHECK(user() == NULL);
    /* no data at all */
    CHECK_INT(parse(dh(1060, ADM, "")), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK(attr(IPL_A_MESSAGE) == NULL);
    /* a rendered message wins over the template */
    CHECK_INT(parse("<Event><System><Provider Name='Microsoft-Windows-DHCP-Server'/><EventID>72"
                    "</EventID><TimeCreated SystemTime='2024-05-01T07:19:00Z'/><Computer>D</Computer>"
                    "</System><EventData><Data>[[10.20.40.0]G]</Data><Data>CORP\\a</Data></EventData>"
                    "<RenderingInfo Culture='en-US'><Message>Scope deleted.</Message></RenderingInfo>"
                    "</Event>"), IPL_OK);
    CHECK_STR(attr(IPL_A_MESSAGE), "Scope deleted.");
    /* named <Data>: positions still hold in XML */
    CHECK_INT(parse("<Event><System><Provider Name='Microsoft-Windows-DHCP-Server'/><EventID>71"
                    "</EventID><TimeCreated SystemTime='2024-05-01T07:19:00Z'/><Computer>D</Computer>"
                    "</System><EventData><Data Name='IP_ScopeName'>[[10.99.7.0]w]</Data>"
                    "<Data Name='ClientName'>ludus\\domainadmin</Data></EventData></Event>"), IPL_OK);
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.99.7.0]w]");
    CHECK_STR(user(), "ludus\\domainadmin");
    /* other IDs, other providers: nothing */
    CHECK_INT(parse(dh(1, ADM, "x")), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse(dh(97, OPS, "x")), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("<Event><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>106"
                    "</EventID><TimeCreated SystemTime='2024-05-01T07:19:00Z'/><Computer>D</Computer>"
                    "</System></Event>"), IPL_OK);
    CHECK_INT(nev, 0);
}

static void test_json(void)
{
    use(&ipl_parser_mswin_dhcp_events, NULL);
    /* the detection-wiki payload: named event_data, a rendered message */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:00:30.000Z\",\"message\":\"Scope: "
                    "[[10.99.7.0]detwiki-v4] for IPv4 is Modified by ludus\\\\domainadmin.\","
                    "\"winlog\":{\"channel\":\"Microsoft-Windows-Dhcp-Server/Operational\","
                    "\"computer_name\":\"dhcp.ludus.domain\",\"event_id\":\"71\",\"record_id\":57,"
                    "\"provider_name\":\"Microsoft-Windows-DHCP-Server\",\"user\":{\"identifier\":"
                    "\"S-1-5-21-1-2-3-500\"},\"event_data\":{\"IP_ScopeName\":\"[[10.99.7.0]detwiki-v4]\","
                    "\"ClientName\":\"ludus\\\\domainadmin\"}}}"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_CONFIG_CHANGE);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 0, 30, 0));
    CHECK_STR(evs[0].server, "dhcp.ludus.domain");
    CHECK_STR(user(), "ludus\\domainadmin");
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.99.7.0]detwiki-v4]");
    CHECK_STR(attr(IPL_A_ACTION), "modified");
    CHECK_STR(attr(IPL_A_RECORD_ID), "57");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1-2-3-500");
    CHECK_STR(attr(IPL_A_MESSAGE), "Scope: [[10.99.7.0]detwiki-v4] for IPv4 is Modified by "
              "ludus\\domainadmin.");
    /* paramN keys (unnamed <Data>): positions, in any key order */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:01:12.555Z\",\"winlog\":{\"computer_name\":\"D\","
                    "\"event_id\":106,\"provider_name\":\"Microsoft-Windows-DHCP-Server\",\"event_data\":"
                    "{\"param3\":\"CORP\\\\netadmin\",\"param1\":\"[10.20.30.50]PRN-LOBBY\",\"param2\":"
                    "\"[[10.20.30.0]Office-LAN]\"}}}"), IPL_OK);
    CHECK_STR(evs[0].ip, "10.20.30.50");
    CHECK_STR(host(), "PRN-LOBBY");
    CHECK_STR(user(), "CORP\\netadmin");
    CHECK_STR(attr(IPL_A_MESSAGE), "Reservation: [10.20.30.50]PRN-LOBBY for IPv4 is Configured under "
              "Scope [[10.20.30.0]Office-LAN] by CORP\\netadmin.");
    /* unknown names: by shape; the acting user from winlog.user when the data has none */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:01:12Z\",\"winlog\":{\"computer_name\":\"D\","
                    "\"event_id\":\"77\",\"user\":{\"name\":\"netadmin\",\"domain\":\"CORP\"},"
                    "\"event_data\":{\"Zeta\":\"[[10.20.30.0]LAN]\",\"Alpha\":\"yes\"}}}"), IPL_OK);
    CHECK_STR(attr(IPL_A_SCOPE), "[[10.20.30.0]LAN]");
    CHECK_STR(user(), "CORP\\netadmin");
    CHECK_STR(attr(IPL_A_MESSAGE), "Zeta=[[10.20.30.0]LAN]; Alpha=yes");
    /* other IDs */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:01:12Z\",\"winlog\":{\"event_id\":\"1\"}}"), IPL_OK);
    CHECK_INT(nev, 0);
    /* refusals */
    CHECK_INT(parse("{\"winlog\":"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid JSON at byte 9");
    CHECK_INT(parse("{\"a\":1}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "JSON object is not a Winlogbeat record (no \"winlog\" object)");
    CHECK_INT(parse("{\"winlog\":{\"event_id\":\"106\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing @timestamp in event 106");
    CHECK_INT(parse("{\"winlog\":{}}  x"), IPL_EPARSE);
    CHECK_STR(diag.msg, "trailing data after the JSON object at byte 15");
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"\xc3\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid UTF-8 at byte 28");
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"\\u0000\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "JSON string holds \\u0000 at byte 28");
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:01:12Z\",\"winlog\":{\"computer_name\":\"D\","
                    "\"event_id\":\"1012\",\"event_data\":{\"param1\":\"10.20.30\",\"param2\":\"x\"}}}"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "parameter %1 '10.20.30' is not an IP address");
}

static void test_errors(void)
{
    use(&ipl_parser_mswin_dhcp_events, NULL);
    CHECK_INT(parse(dh(1012, ADM, "not-an-ip|3C52826A1B30")), IPL_EPARSE);
    CHECK_STR(diag.msg, "parameter %1 'not-an-ip' is not an IP address");
    CHECK_INT(parse(dh(1012, ADM, "10.20.30.60|xyz")), IPL_EPARSE);
    CHECK_STR(diag.msg, "parameter %2 'xyz' is not a hardware address");
    CHECK_INT(parse(dh(106, OPS, "a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q")), IPL_EPARSE);
    CHECK_STR(diag.msg, "more than 16 data values in the event");
    CHECK_INT(parse("<Event><System><EventID>106</EventID></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing <TimeCreated SystemTime=...> in event 106");
    CHECK_INT(parse("<Event><System><EventID>106</EventID><TimeCreated SystemTime='2024-05-01T07:19:00Z'/>"
                    "</System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing Computer (the server) in event 106");
    CHECK_INT(parse("<Event><System><EventID>x</EventID></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "EventID 'x' is not an event number");
    CHECK_INT(parse("<Event><System><EventID>106</EventID><TimeCreated SystemTime='07:19'/></System>"
                    "</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "TimeCreated SystemTime '07:19' is not an ISO 8601 time "
              "(YYYY-MM-DDTHH:MM:SS[.fffffff][Z])");
    /* over-long values */
    static char v[5000], vals[6000];
    memset(v, 'a', 480);
    v[480] = '\0';
    snprintf(vals, sizeof vals, "CORP\\%s|x", v);
    CHECK_INT(parse(dh(121, OPS, vals)), IPL_EPARSE);
    CHECK_STR(diag.msg, "parameter %1 is 485 bytes long, longer than the 479-byte limit");
    memset(v, 'a', 4200);
    v[4200] = '\0';
    snprintf(vals, sizeof vals, "%s|CORP\\a", v);
    CHECK_INT(parse(dh(76, OPS, vals)), IPL_EPARSE);
    CHECK_STR(diag.msg, "parameter %1 is 4200 bytes long, longer than the 4096-byte limit");
    CHECK_INT(parse(dh(77, OPS, vals)), IPL_EPARSE);
    CHECK_STR(diag.msg, "message of event 77 is longer than the 4096-byte limit");
    /* malformed and truncated XML; the stream recovers */
    CHECK_INT(parse("<Event><System><EventID>106</EventID></System><EventData><Data>x</Dat></EventData>"
                    "</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "end tag </Dat> at byte 64 does not match <Data> at byte 57");
    CHECK_INT(parse("<Event><System><EventID>106</EventID>"), IPL_OK);
    CHECK(pending());
    CHECK_INT(parse(sample_106), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 1 line above is not closed before the next <Event> "
              "at byte 0");
    CHECK_INT(nev, 1);                                  /* the next one is read */
    CHECK(!pending());
    char nul[] = "<Event><System><EventID>1\0" "06</EventID></System></Event>";
    CHECK_INT(parse_n(nul, sizeof nul - 1), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 25");
    CHECK_INT(parse("<Event>"), IPL_OK);
    CHECK_INT(finish(), IPL_EPARSE);
    CHECK_STR(diag.msg, "end of input inside the <Event> element that started 0 lines before the "
              "end (8 bytes read)");
}

static void test_table(void)
{
    /* every listed ID emits, in ID order; the binary search finds them all */
    use(&ipl_parser_mswin_dhcp_events, NULL);
    int prev = -1, found = 0;
    for (int id = 0; id <= 20400; id++) {
        int rc = parse(dh(id, OPS, "x"));
        if (nev || rc != IPL_OK) {                      /* "x" is refused where an IP or MAC goes */
            CHECK(id > prev);
            prev = id;
            found++;
        }
    }
    CHECK_INT(found, 181);                              /* every row of the table */
}

static void test_probe(void)
{
    const ipl_parser *p = &ipl_parser_mswin_dhcp_events;
    CHECK_INT(p->probe(sample_106, sizeof sample_106 - 1), 100);
    static const char js[] = "{\"@timestamp\":\"2024-05-01T07:00:30.000Z\",\"winlog\":{\"channel\":"
        "\"Microsoft-Windows-Dhcp-Server/Operational\",\"provider_name\":\"Microsoft-Windows-DHCP-Server\"}}";
    CHECK_INT(p->probe(js, sizeof js - 1), 100);
    static const char wev[] = "<?xml version=\"1.0\"?>\n<Events>\n  <Event xmlns='http://schemas."
        "microsoft.com/win/2004/08/events/event'>\n    <System>\n      <Provider Name='Microsoft-"
        "Windows-DHCP-Server'/>";
    CHECK_INT(p->probe(wev, sizeof wev - 1), 100);
    CHECK_INT(ipl_parser_winsec_xml.probe(sample_106, sizeof sample_106 - 1), 0);
    CHECK_INT(ipl_parser_winsec_json.probe(js, sizeof js - 1), 0);
    CHECK_INT(ipl_parser_mswin_dhcp.probe(sample_106, sizeof sample_106 - 1), 0);
    static const char *const others[] = {
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\nEvent ID  Meaning\r\n",
        "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0\r\n",
        "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40::6fc6,test-host,,18,0004A344,,,,,\n",
        "ID,Date,Time,Description,IP Address,Host Name,MAC Address\r\n",
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider "
        "Name=\"Microsoft-Windows-Security-Auditing\"/>",
        "<Event><Timestamp data_type=\"4\">05/19/2014 15:36:50.977</Timestamp></Event>",
        "May  1 08:15:32 dhcp1 dhcpd[1234]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0\n",
        "{\"EventID\":4624,\"SourceName\":\"Microsoft-Windows-Security-Auditing\"}",
        "",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK_INT(p->probe(others[i], strlen(others[i])), 0);
}

typedef struct fstats {
    int lines, errors, events, kinds[IPL_K__COUNT];
} fstats;

static void run_file(const char *rel, fstats *st)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    memset(st, 0, sizeof *st);
    use(&ipl_parser_mswin_dhcp_events, NULL);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    rewind(f);
    CHECK_INT(P->probe(buf, n), 100);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len && line[len - 1] == '\n')
            len--;
        st->lines++;
        if (parse_n(line, (size_t)len) != IPL_OK) {
            st->errors++;
            fprintf(stderr, "%s:%d: %s\n", rel, st->lines, diag.msg);
        }
        for (int i = 0; i < nev && i < MAXEV; i++)
            st->kinds[evs[i].kind]++;
        st->events += nev;
    }
    CHECK_INT(finish(), IPL_OK);
    free(line);
    fclose(f);
}

static void test_fixtures(void)
{
    fstats st;
    run_file("tests/data/mswin-dhcp-events/operational.xml", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 18);
    CHECK_INT(st.kinds[IPL_K_CONFIG_CHANGE], 12);
    CHECK_INT(st.kinds[IPL_K_FAILOVER_BINDING], 1);
    CHECK_INT(st.kinds[IPL_K_LEASE_DECLINE], 1);
    run_file("tests/data/mswin-dhcp-events/operational.ndjson", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 4);
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_sample);
    RUN(test_positions);
    RUN(test_kinds_and_shapes);
    RUN(test_json);
    RUN(test_errors);
    RUN(test_table);
    RUN(test_probe);
    RUN(test_fixtures);
    if (P && P->release)
        P->release(state);
    free(state);
    ipl_arena_release(&arena);
    return check_summary();
}
