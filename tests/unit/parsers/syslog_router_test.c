/* tests/unit/parsers/syslog_router_test.c — the "syslog" format (parsers/syslog_router.c): lines of
 * known programs go to their sub-parser, other programs and untagged lines emit nothing, non-syslog
 * lines are errors with the envelope's reason, rsyslog's "message repeated N times: [ ... ]" is
 * unwrapped, tags match exactly, probe scores (and their order against the dedicated parsers),
 * and the fixture tests/data/syslog/mixed.syslog.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdio.h>
#include <string.h>

extern const ipl_parser ipl_parser_syslog;
extern const ipl_parser ipl_parser_isc_dhcpd;

static const ipl_parser *P = &ipl_parser_syslog;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;

static int nev;
static int kinds[IPL_K__COUNT];
static char last[512];

static int on_event(void *c, const ipl_event *ev)
{
    (void)c;
    char ip[IPL_IP_TEXT] = "-";
    if (ev->has_ip)
        ipl_ip_format(ev->ip, ip, sizeof ip);
    snprintf(last, sizeof last, "%s %s %s %s", ipl_kind_name(ev->kind), ip, ev->mac ? ev->mac : "-",
             ev->server ? ev->server : "-");
    nev++;
    if (ev->kind < IPL_K__COUNT)
        kinds[ev->kind]++;
    return IPL_OK;
}

static void reset(void)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.arena = &arena;
    ctx.year_hint = 2024;
    nev = 0;
    memset(kinds, 0, sizeof kinds);
}

static int line(const char *s)
{
    nev = 0;
    last[0] = '\0';
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
    return P->line(NULL, &ctx, s, strlen(s), on_event, NULL, &diag);
}

static void test_routing(void)
{
    reset();
    CHECK_STR(P->name, "syslog");
    CHECK_INT((int)P->state_size, 0);
    CHECK_INT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
              IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_STR(last, "lease.assign 10.20.30.41 3c52826a1b2f dhcp01");
    /* --server wins over the syslog host */
    ctx.server = "dhcp-a";
    CHECK_INT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0"),
              IPL_OK);
    CHECK_STR(last, "lease.deny 192.168.1.77 000c29ff0001 dhcp-a");
    ctx.server = NULL;
    /* other programs, untagged lines: nothing, no error */
    const char *quiet[] = {
        "May  1 06:17:01 dhcp01 CRON[4101]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)",
        "May  1 07:02:44 dhcp01 kernel: [ 3601.224311] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex",
        "May  1 08:15:40 dhcp01 systemd[1]: Starting Daily apt download activities...",
        "May  1 18:20:05 dhcp01 last message repeated 3 times",
        "<86>1 2024-05-01T08:17:10.044121+02:00 web01 unknownd 4301 - - hello",
        "2024-05-01T17:02:15.002311+02:00 web01 foo[1]: bar",
        /* tags match exactly */
        "May  1 08:15:32 dhcp01 DHCPD[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0",
        "May  1 08:15:32 dhcp01 dhcpd6[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0",
        /* a known program's non-lease message */
        "May  1 10:00:00 dhcp01 dhcpd[1123]: Wrote 5 leases to leases file.",
        /* repeats of other programs */
        "May  1 10:00:00 dhcp01 CRON[1]: message repeated 5 times: [ (root) CMD (true)]",
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        CHECK_INT(line(quiet[i]), IPL_OK);
        CHECK_INT(nev, 0);
    }
    /* a known program's malformed lease message is its error */
    CHECK_INT(line("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "DHCPACK: expected ' via <relay|interface>' at ''");
    /* not syslog at all */
    CHECK_INT(line("10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1,0"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "syslog timestamp '10,05/01/24,08:' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time");
    CHECK_INT(line("hello world"), IPL_EPARSE);
    CHECK_STR(diag.msg, "syslog timestamp 'hello world' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time");
    CHECK_INT(line(""), IPL_EPARSE);
}

static void test_repeats(void)
{
    reset();
    CHECK_INT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 3 times: [ DHCPDISCOVER from 02:42:ac:11:00:02 via 10.20.40.1: network 10.20.40.0/24: no free leases]"),
              IPL_OK);
    CHECK_INT(nev, 3);
    CHECK_STR(last, "lease.exhausted - 0242ac110002 dhcp01");
    CHECK_INT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 20000 times: [ DHCPNAK on 192.168.1.77 to 00:0c:29:ff:00:01 via eth0]"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "'message repeated 20000 times' exceeds the limit of 10000 repetitions");
    CHECK_INT(nev, 0);
    /* not the reduction's exact shape: handed over as is (the sub ignores it) */
    CHECK_INT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 3 times: DHCPNAK"), IPL_OK);
    CHECK_INT(nev, 0);
    /* an error inside stops the repetitions */
    CHECK_INT(line("May  1 18:20:00 dhcp01 dhcpd[1123]: message repeated 2 times: [ DHCPNAK on x to 00:0c:29:ff:00:01 via eth0]"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "DHCPNAK: address 'x' is not an IPv4 address");
}

static void test_probe(void)
{
    static const char dhcpd[] =
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n";
    static const char mixed[] =
        "May  1 06:17:01 dhcp01 CRON[4101]: (root) CMD (true)\n"
        "May  1 07:02:44 dhcp01 kernel: [ 3601.224311] e1000e: eth0 NIC Link is Up\n"
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPDISCOVER from 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n";
    static const char nothing_known[] =
        "May  1 06:17:01 dhcp01 CRON[4101]: (root) CMD (true)\n"
        "May  1 07:02:44 dhcp01 kernel: [ 3601.224311] e1000e: eth0 NIC Link is Up\n";
    CHECK_INT(P->probe(dhcpd, sizeof dhcpd - 1), 70);
    CHECK_INT(P->probe(mixed, sizeof mixed - 1), 70);
    CHECK_INT(P->probe(nothing_known, sizeof nothing_known - 1), 10);
    /* the dedicated parser beats the router on its own program, loses on mixed files */
    CHECK(ipl_parser_isc_dhcpd.probe(dhcpd, sizeof dhcpd - 1) > P->probe(dhcpd, sizeof dhcpd - 1));
    CHECK(ipl_parser_isc_dhcpd.probe(mixed, sizeof mixed - 1) < P->probe(mixed, sizeof mixed - 1));
    const char *other[] = {
        "\t\tMicrosoft DHCP Service Activity Log\n\n\nEvent ID  Meaning\n00\tThe log was started.\n",
        "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\n",
        "15,05/01/24,09:00:02,NACK,10.20.31.77,,000C291AA6AF,,0,6,,,,,,,,,0\n",
        "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,\n",
        "2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f]: lease 10.20.30.41 has been allocated for 4000 seconds\n",
        "# The format of this file is documented in the dhcpd.leases(5) manual page.\nlease 10.20.30.41 {\n  starts 3 2024/05/01 06:15:32;\n}\n",
        "Wed May  1 08:15:40 2024\n\tAcct-Session-Id = \"8B2C00001A\"\n\n",
        "",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK_INT(P->probe(other[i], strlen(other[i])), 0);
}

static void test_fixture(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/syslog/mixed.syslog", IPL_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    CHECK_INT(P->probe(buf, n), 70);
    CHECK_INT(ipl_parser_isc_dhcpd.probe(buf, n), 40);
    char tried[1024];
    int score = 0;
    const ipl_parser *best = ipl_parser_detect(buf, n < 65536 ? n : 65536, &score, tried, sizeof tried);
    CHECK_STR(best ? best->name : NULL, "syslog");            /* over the whole registry */
    reset();
    int bad = 0, total = 0;
    for (char *p = buf; *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        ipl_diag_clear(&diag);
        if (P->line(NULL, &ctx, p, len, on_event, NULL, &diag) != IPL_OK) {
            bad++;
            fprintf(stderr, "   %s\n", diag.msg);
        }
        ipl_arena_clear(&arena);
        p += len + (nl != NULL);
    }
    total = nev;
    CHECK_INT(bad, 0);
    CHECK_INT(kinds[IPL_K_LEASE_ASSIGN], 12);
    CHECK_INT(kinds[IPL_K_LEASE_EXHAUSTED], 4);     /* 2 + "message repeated 2 times" */
    CHECK_INT(kinds[IPL_K_LEASE_RELEASE], 2);
    CHECK_INT(kinds[IPL_K_LEASE_BOOTP], 1);
    CHECK_INT(total, 48);                          /* 46 in dhcpd.syslog + 2 */
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_routing);
    RUN(test_repeats);
    RUN(test_probe);
    RUN(test_fixture);
    ipl_arena_release(&arena);
    return check_summary();
}
