/* tests/unit/parsers/mswin_dhcp_test.c — the Windows DHCP audit-log parser (parsers/mswin_dhcp.c):
 * every sample of FORMATS.md 1.5/1.6, header blocks, column counts, the >19-field recovery, the
 * ID -> kind table, refused rows with their reasons, probe scores, time zones, and the fixtures
 * in tests/data/mswin/.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- capture: one copied event per line (the parser emits zero or one) ---- */

typedef struct cap {
    int     n;                       /* events seen for the current line */
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], duid[IPL_STR_MAX], host[IPL_STR_MAX], user[IPL_STR_MAX];
    char    server[IPL_STR_MAX];
    int     null_mac, null_duid, null_host, null_user, null_server;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][IPL_ATTR_VAL_MAX + 1];
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
    g->n++;
    g->ts = ev->ts;
    g->kind = ev->kind;
    g->has_ip = ev->has_ip;
    g->ip[0] = '\0';
    if (ev->has_ip)
        ipl_ip_format(ev->ip, g->ip, sizeof g->ip);
    copy_str(g->mac, ev->mac, &g->null_mac);
    copy_str(g->duid, ev->duid, &g->null_duid);
    copy_str(g->host, ev->host, &g->null_host);
    copy_str(g->user, ev->user, &g->null_user);
    copy_str(g->server, ev->server, &g->null_server);
    g->nattr = (int)ev->nattr;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        g->key[i] = ev->attr[i].key;
        memcpy(g->val[i], ev->attr[i].val, ev->attr[i].len);
        g->val[i][ev->attr[i].len] = '\0';
    }
    return IPL_OK;
}

static const char *attr(int key)
{
    for (int i = 0; i < got.nattr; i++)
        if (got.key[i] == key)
            return got.val[i];
    return NULL;
}

static const char *mac(void) { return got.null_mac ? NULL : got.mac; }
static const char *duid(void) { return got.null_duid ? NULL : got.duid; }
static const char *host(void) { return got.null_host ? NULL : got.host; }
static const char *user(void) { return got.null_user ? NULL : got.user; }

static const ipl_parser *P;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;

static void ctx_reset(const ipl_tz *tz)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = tz;
    ctx.server = "dhcp01";
    ctx.arena = &arena;
}

/* Parses one line of len bytes; returns the parser's code; the event (if any) is in `got`. */
static int parse_n(const char *line, size_t len)
{
    memset(&got, 0, sizeof got);
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
    return P->line(NULL, &ctx, line, len, on_event, &got, &diag);
}

static int parse(const char *line)
{
    return parse_n(line, strlen(line));
}

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))

/* ---- FORMATS.md 1.5: v4 samples ---- */

static void test_v4_elastic_samples(void)
{
    CHECK_INT(parse("00,04/19/20,12:43:06,Started,,,"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.kind, IPL_K_LOG_START);
    CHECK_INT(got.ts, INT64_C(1587300186) * 1000000);
    CHECK_INT(got.has_ip, 0);
    CHECK(mac() == NULL && host() == NULL && user() == NULL && duid() == NULL);
    CHECK_STR(got.server, "dhcp01");
    CHECK_STR(attr(IPL_A_CODE), "00");
    CHECK_STR(attr(IPL_A_DESC), "Started");
    CHECK_INT(got.nattr, 2);

    CHECK_INT(parse("30,09/20/21,09:16:15,DNS Update Request,172.28.43.169,057182593757.test.com,,,0,6,,,,,,,,,0"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_DNS_UPDATE);
    CHECK_INT(got.ts, INT64_C(1632129375) * 1000000);
    CHECK_STR(got.ip, "172.28.43.169");
    CHECK_STR(host(), "057182593757.test.com");
    CHECK(mac() == NULL);
    CHECK_STR(attr(IPL_A_CODE), "30");
    CHECK(attr(IPL_A_XID) == NULL);        /* "0" */
    CHECK(attr(IPL_A_QRESULT) == NULL);    /* "6" */
    CHECK(attr(IPL_A_DNS_ERROR) == NULL);  /* "0" */
    CHECK(attr(IPL_A_DESC) == NULL);
    CHECK_INT(got.nattr, 1);

    CHECK_INT(parse("36,09/20/21,09:18:01,Packet dropped because of Client ID hash mismatch or standby server.,172.28.52.0,,76691ED45C90,,0,6,,,,,,,,,0"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_DROP);
    CHECK_INT(got.ts, T(2021, 9, 20, 9, 18, 1));
    CHECK_STR(got.ip, "172.28.52.0");
    CHECK(host() == NULL);
    CHECK_STR(mac(), "76691ed45c90");

    CHECK_INT(parse("31,09/20/21,09:18:00,DNS Update Failed,172.28.43.159,035856103966.test.com,,,0,6,,,,,,,,,10054"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_DNS_UPDATE_FAIL);
    CHECK_STR(got.ip, "172.28.43.159");
    CHECK_STR(host(), "035856103966.test.com");
    CHECK_STR(attr(IPL_A_DNS_ERROR), "10054");

    CHECK_INT(parse("55,04/19/20,12:43:54,Authorized(servicing),,domain.local,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_ROGUE);
    CHECK_INT(got.has_ip, 0);
    CHECK(host() == NULL);                          /* a domain, not a host */
    CHECK_STR(attr(IPL_A_MESSAGE), "domain.local");
    CHECK_STR(attr(IPL_A_DESC), "Authorized(servicing)");
    CHECK_STR(attr(IPL_A_CODE), "55");
}

/* Further rows of the same public fixture (Elastic test-log.log). */
static void test_v4_elastic_more(void)
{
    CHECK_INT(parse("01,04/19/20,13:11:13,Stopped,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LOG_STOP);
    CHECK_STR(attr(IPL_A_DESC), "Stopped");

    /* 8 fields: ends after User Name */
    CHECK_INT(parse("35,01/01/01,01:01:01,DNS update request failed,192.168.2.1,host.test.com,000000000000,"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_DNS_UPDATE_FAIL);
    CHECK_INT(got.ts, T(2001, 1, 1, 1, 1, 1));
    CHECK_STR(mac(), "000000000000");

    /* 13 fields (2008 layout) */
    CHECK_INT(parse("10,01/01/01,01:01:01,Assign,192.168.2.10,host.test.com,000000000000,,17739,0,,,"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_XID), "17739");
    CHECK_STR(attr(IPL_A_QRESULT), "0");

    CHECK_INT(parse("24,11/20/20,00:00:05,Database Cleanup Begin,,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_HOUSEKEEPING);
    CHECK_STR(attr(IPL_A_DESC), "Database Cleanup Begin");

    /* the IP of an expiry written into the Description, field 5 empty */
    CHECK_INT(parse("17,11/20/20,00:00:05,DNS record not deleted67.43.156.15,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(got.has_ip, 1);
    CHECK_STR(got.ip, "67.43.156.15");

    CHECK_INT(parse("60,04/19/20,12:43:21,No DC is DS Enabled,,domain.local,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_ROGUE);
    CHECK_STR(attr(IPL_A_MESSAGE), "domain.local");
    CHECK_INT(parse("63,04/19/20,12:43:28,Restarting rogue detection,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_ROGUE);
    CHECK(attr(IPL_A_MESSAGE) == NULL);
    CHECK_STR(attr(IPL_A_DESC), "Restarting rogue detection");

    CHECK_INT(parse("25,05/01/24,00:00:05,0 leases expired and 0 leases deleted,,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_HOUSEKEEPING);
    CHECK_INT(got.has_ip, 0);
    CHECK_STR(attr(IPL_A_DESC), "0 leases expired and 0 leases deleted");
}

static void test_v4_composed_samples(void)
{
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(got.ts, INT64_C(1714551332) * 1000000);
    CHECK_STR(got.ip, "10.20.30.41");
    CHECK_STR(host(), "LAPTOP-7Q2.corp.example.com");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(user() == NULL && duid() == NULL);
    CHECK_STR(attr(IPL_A_CODE), "10");
    CHECK_STR(attr(IPL_A_XID), "1512734587");
    CHECK_STR(attr(IPL_A_QRESULT), "0");
    CHECK_STR(attr(IPL_A_VENDOR), "MSFT 5.0");
    CHECK_STR(attr(IPL_A_RELAY), "0x0106000400140001020600000C29ABCDEF");
    CHECK(attr(IPL_A_USER_CLASS) == NULL && attr(IPL_A_DNS_ERROR) == NULL);
    CHECK(attr(IPL_A_DESC) == NULL);
    CHECK_INT(got.nattr, 5);

    CHECK_INT(parse("11,05/01/24,12:15:33,Renew,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,3301412280,0,,,,0x4D53465420352E30,MSFT 5.0,,,,0"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RENEW);
    CHECK_INT(got.ts, T(2024, 5, 1, 12, 15, 33));
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_XID), "3301412280");
    CHECK(attr(IPL_A_RELAY) == NULL);

    CHECK_INT(parse("12,05/01/24,17:02:11,Release,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,2861548193,0,,,,,,,,,0"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(got.ts, T(2024, 5, 1, 17, 2, 11));
    CHECK(attr(IPL_A_VENDOR) == NULL);

    CHECK_INT(parse("15,05/01/24,09:00:02,NACK,10.20.31.77,,000C291AA6AF,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_DENY);
    CHECK_STR(got.ip, "10.20.31.77");
    CHECK_STR(mac(), "000c291aa6af");
    CHECK(host() == NULL);
    CHECK_INT(got.nattr, 1);
}

/* All attribute columns filled; vendor/user class hex only when ASCII is empty. */
static void test_v4_all_columns(void)
{
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.41,pc1,3C52826A1B2F,CORP\\bob,42,3,2024-5-2 8:0:0:0,"
                    "0A1B,0001ABCD,0x4D53,,0x6F66,office,0x0102,9002"),
              IPL_OK);
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_XID), "42");
    CHECK_STR(attr(IPL_A_QRESULT), "3");
    CHECK_STR(attr(IPL_A_PROBATION), "2024-5-2 8:0:0:0");
    CHECK_STR(attr(IPL_A_CORRELATION), "0A1B");
    CHECK_STR(attr(IPL_A_DHCID), "0001ABCD");
    CHECK_STR(attr(IPL_A_VENDOR), "0x4D53");
    CHECK_STR(attr(IPL_A_USER_CLASS), "office");
    CHECK_STR(attr(IPL_A_RELAY), "0x0102");
    CHECK_STR(attr(IPL_A_DNS_ERROR), "9002");
    CHECK_INT(got.nattr, 10);
}

/* 7 columns (2000/2003), 13 (2008), 19 (2012+), and rows padded on the right. */
static void test_v4_column_counts(void)
{
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.1.2.3,oldpc,000C29ABCDEF"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(got.ip, "10.1.2.3");
    CHECK_STR(host(), "oldpc");
    CHECK_STR(mac(), "000c29abcdef");
    CHECK_INT(got.nattr, 1);

    CHECK_INT(parse("11,05/01/24,08:15:32,Renew,10.1.2.3,pc,000C29ABCDEF,,77,0,,,ABCDEF"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RENEW);
    CHECK_STR(attr(IPL_A_XID), "77");
    CHECK_STR(attr(IPL_A_DHCID), "ABCDEF");

    CHECK_INT(parse("12,05/01/24,08:15:32,Release,10.1.2.3,pc,000C29ABCDEF,,77,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(got.nattr, 2);

    /* a stray CR, and blanks around numeric fields */
    CHECK_INT(parse("12,05/01/24,08:15:32,Release,10.1.2.3,pc,000C29ABCDEF,, 77 ,6,,,,,,,,,0\r"), IPL_OK);
    CHECK_STR(attr(IPL_A_XID), "77");
    CHECK(attr(IPL_A_DNS_ERROR) == NULL);
}

/* More than 19 fields: commas inside VendorClass(ASCII). */
static void test_v4_wide_rows(void)
{
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.42,pc2,3C52826A1B30,,123,0,,,,0x56656E646F722C2077697468,"
                    "Vendor, with, commas,0x75,uc,0x0102,0"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(got.ip, "10.20.30.42");
    CHECK_STR(mac(), "3c52826a1b30");
    CHECK_STR(attr(IPL_A_XID), "123");
    CHECK_STR(attr(IPL_A_VENDOR), "Vendor, with, commas");
    CHECK_STR(attr(IPL_A_USER_CLASS), "uc");
    CHECK_STR(attr(IPL_A_RELAY), "0x0102");
    CHECK(attr(IPL_A_DNS_ERROR) == NULL);

    /* 21 fields, empty tail columns */
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.43,pc3,3C52826A1B31,,124,0,,,,0x41,A,B,C,,,,31"), IPL_OK);
    CHECK_STR(attr(IPL_A_VENDOR), "A,B,C");
    CHECK(attr(IPL_A_USER_CLASS) == NULL && attr(IPL_A_RELAY) == NULL);
    CHECK_STR(attr(IPL_A_DNS_ERROR), "31");

    /* 20 fields that are only an extra empty trailing field: same as 19 */
    CHECK_INT(parse("11,05/01/24,08:15:32,Renew,10.20.30.43,pc3,3C52826A1B31,,124,0,,,,0x41,MSFT 5.0,,,0x01,9,"), IPL_OK);
    CHECK_STR(attr(IPL_A_VENDOR), "MSFT 5.0");
    CHECK_STR(attr(IPL_A_RELAY), "0x01");
    CHECK_STR(attr(IPL_A_DNS_ERROR), "9");

    /* a comma in Host Name shifts the columns: usually refused by the checks of fields 7-10 */
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.44,pc, lab,3C52826A1B32,,125,0,,,,0x41,MSFT 5.0,,,,0"), IPL_EPARSE);
    CHECK_INT(got.n, 0);
    CHECK_STR(diag.msg, "field 7 (MAC Address) ' lab' is not hexadecimal");
}

/* v4 hardware addresses that are not 12 hex digits. */
static void test_v4_hardware_addresses(void)
{
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.9.0.5,ras,5241532000155D0A0B0C0000,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK(mac() == NULL);
    CHECK_STR(duid(), "5241532000155d0a0b0c0000");

    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.9.0.6,pc,013C52826A1B2F,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_STR(duid(), "013c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");

    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.9.0.7,pc,3c-52-82-6a-1b-2f,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(duid() == NULL);

    /* conflict: the IP is kept, the MAC stored, the kind says conflict */
    CHECK_INT(parse("13,05/01/24,08:15:32,Conflict,10.9.0.8,,000C29ABCDEF,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_CONFLICT);
    CHECK_STR(got.ip, "10.9.0.8");
    CHECK_STR(mac(), "000c29abcdef");
}

/* ---- FORMATS.md 1.6: v6 samples ---- */

static void test_v6_samples(void)
{
    CHECK_INT(parse("11010,11/04/21,18:24:36,DHCPV6 Started,,,,,,,,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LOG_START);
    CHECK_INT(got.ts, INT64_C(1636050276) * 1000000);
    CHECK_STR(attr(IPL_A_CODE), "11010");
    CHECK_STR(attr(IPL_A_DESC), "DHCPV6 Started");
    CHECK_INT(got.has_ip, 0);

    CHECK_INT(parse("1103,12/06/21,12:25:21,Authorized(servicing),,test.local,,,,,,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_ROGUE);
    CHECK(host() == NULL);
    CHECK_STR(attr(IPL_A_MESSAGE), "test.local");
    CHECK_STR(attr(IPL_A_CODE), "1103");
    CHECK_STR(attr(IPL_A_DESC), "Authorized(servicing)");

    CHECK_INT(parse("11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(got.ts, INT64_C(1638794637) * 1000000);
    CHECK_STR(got.ip, "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6");
    CHECK_STR(host(), "test-host");
    CHECK_STR(duid(), "0004a34473bfc27fc55b25e86af0e1761daa");
    CHECK(mac() == NULL);                           /* DUID-UUID: no MAC */
    CHECK_STR(got.server, "dhcp01");
    CHECK_INT(got.nattr, 1);

    CHECK_INT(parse("11030,12/06/21,13:25:21,0 DHCPV6 Stateless client records purged,,,,,,,,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_HOUSEKEEPING);
    CHECK_STR(attr(IPL_A_DESC), "0 DHCPV6 Stateless client records purged");

    CHECK_INT(parse("11000,12/06/21,12:43:57,DHCPV6 Solicit,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_V6_SOLICIT);
}

static void test_v6_composed(void)
{
    /* DUID-LLT: the MAC is derived */
    CHECK_INT(parse("11004,05/01/24,09:00:00,DHCPV6 Renew,2001:db8:10::1a,PC-42.corp.example.com,,14,"
                    "000100012B8E1A2C3C52826A1B2F,CORP\\alice,ABCD,2001:db8:10::,,"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RENEW);
    CHECK_STR(got.ip, "2001:db8:10::1a");
    CHECK_STR(host(), "PC-42.corp.example.com");
    CHECK_STR(duid(), "000100012b8e1a2c3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(attr(IPL_A_DHCID), "ABCD");
    CHECK_STR(attr(IPL_A_PREFIX), "2001:db8:10::");
    CHECK(attr(IPL_A_ERROR_CODE) == NULL);

    /* DUID-LL, exactly 12 fields */
    CHECK_INT(parse("11007,05/01/24,17:00:00,DHCPV6 Release,2001:db8:10::1b,,,10,000300010C29ABCDEF01,,,2001:db8:10::"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_RELEASE);
    CHECK_STR(duid(), "000300010c29abcdef01");
    CHECK_STR(mac(), "0c29abcdef01");
    CHECK(host() == NULL && user() == NULL);

    /* error code; only 4 fields */
    CHECK_INT(parse("11006,05/01/24,09:00:01,DHCPV6 Decline,2001:db8:10::1c,,5,14,000100012B8E1A2C3C52826A1B2F"),
              IPL_OK);
    CHECK_INT(got.kind, IPL_K_LEASE_DECLINE);
    CHECK_STR(attr(IPL_A_ERROR_CODE), "5");
    CHECK_INT(parse("11011,05/01/24,23:59:59,DHCPV6 Stopped"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_LOG_STOP);

    /* v6 is decided per row: an unknown short ID with an IPv6 address */
    CHECK_INT(parse("99,05/01/24,09:00:01,Something,2001:db8::5,h,,10,000300010C29ABCDEF01,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_SERVICE);
    CHECK_STR(got.ip, "2001:db8::5");
    CHECK_STR(mac(), "0c29abcdef01");
}

/* ---- ID -> kind, every code ---- */

static void test_kind_table(void)
{
    static const struct { const char *id; int kind; } v4[] = {
        {"00", IPL_K_LOG_START}, {"01", IPL_K_LOG_STOP}, {"02", IPL_K_LOG_PAUSE},
        {"10", IPL_K_LEASE_ASSIGN}, {"11", IPL_K_LEASE_RENEW}, {"12", IPL_K_LEASE_RELEASE},
        {"13", IPL_K_LEASE_CONFLICT}, {"14", IPL_K_LEASE_EXHAUSTED}, {"15", IPL_K_LEASE_DENY},
        {"16", IPL_K_LEASE_DELETE}, {"17", IPL_K_LEASE_EXPIRE}, {"18", IPL_K_LEASE_EXPIRE},
        {"20", IPL_K_LEASE_BOOTP}, {"21", IPL_K_LEASE_BOOTP}, {"22", IPL_K_LEASE_EXHAUSTED},
        {"23", IPL_K_LEASE_DELETE}, {"24", IPL_K_HOUSEKEEPING}, {"25", IPL_K_HOUSEKEEPING},
        {"30", IPL_K_DNS_UPDATE}, {"31", IPL_K_DNS_UPDATE_FAIL}, {"32", IPL_K_DNS_UPDATE},
        {"33", IPL_K_LEASE_DROP}, {"34", IPL_K_DNS_UPDATE_FAIL}, {"35", IPL_K_DNS_UPDATE_FAIL},
        {"36", IPL_K_LEASE_DROP},
        {"03", IPL_K_SERVICE}, {"19", IPL_K_SERVICE}, {"37", IPL_K_SERVICE}, {"49", IPL_K_SERVICE},
        {"65", IPL_K_SERVICE}, {"99", IPL_K_SERVICE}, {"100", IPL_K_SERVICE},
    };
    static const struct { const char *id; int kind; } v6[] = {
        {"11000", IPL_K_LEASE_V6_SOLICIT}, {"11001", IPL_K_LEASE_OFFER}, {"11002", IPL_K_LEASE_ASSIGN},
        {"11003", IPL_K_LEASE_V6_CONFIRM}, {"11004", IPL_K_LEASE_RENEW}, {"11005", IPL_K_LEASE_RENEW},
        {"11006", IPL_K_LEASE_DECLINE}, {"11007", IPL_K_LEASE_RELEASE}, {"11008", IPL_K_LEASE_INFORM},
        {"11009", IPL_K_LEASE_EXHAUSTED}, {"11010", IPL_K_LOG_START}, {"11011", IPL_K_LOG_STOP},
        {"11012", IPL_K_LOG_PAUSE}, {"11013", IPL_K_SERVICE}, {"11014", IPL_K_LEASE_CONFLICT},
        {"11015", IPL_K_LEASE_CONFLICT}, {"11016", IPL_K_LEASE_DELETE}, {"11017", IPL_K_LEASE_EXPIRE},
        {"11018", IPL_K_LEASE_EXPIRE}, {"11019", IPL_K_LEASE_EXPIRE}, {"11020", IPL_K_HOUSEKEEPING},
        {"11021", IPL_K_HOUSEKEEPING}, {"11022", IPL_K_DNS_UPDATE}, {"11023", IPL_K_DNS_UPDATE_FAIL},
        {"11024", IPL_K_DNS_UPDATE}, {"11028", IPL_K_DNS_UPDATE_FAIL}, {"11029", IPL_K_DNS_UPDATE_FAIL},
        {"11030", IPL_K_HOUSEKEEPING}, {"11031", IPL_K_HOUSEKEEPING}, {"11032", IPL_K_LEASE_INFORM},
        {"1000", IPL_K_ROGUE}, {"1103", IPL_K_ROGUE}, {"1999", IPL_K_ROGUE},
        {"11025", IPL_K_SERVICE}, {"11026", IPL_K_SERVICE}, {"11027", IPL_K_SERVICE},
        {"11033", IPL_K_SERVICE}, {"12000", IPL_K_SERVICE}, {"2000", IPL_K_SERVICE},
    };
    char line[256];
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        snprintf(line, sizeof line, "%s,05/01/24,08:00:00,Some text,10.0.0.1,host,3C52826A1B2F,,1,0,,,,,,,,,0", v4[i].id);
        int rc = parse(line);
        CHECK_INT(rc, IPL_OK);
        if (got.kind != v4[i].kind)
            fprintf(stderr, "  v4 ID %s\n", v4[i].id);
        CHECK_INT(got.kind, v4[i].kind);
        CHECK_STR(attr(IPL_A_CODE), v4[i].id);
        CHECK_STR(got.ip, "10.0.0.1");
    }
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        snprintf(line, sizeof line, "%s,05/01/24,08:00:00,Some text,2001:db8::1,host,,,,,,,,", v6[i].id);
        int rc = parse(line);
        CHECK_INT(rc, IPL_OK);
        if (got.kind != v6[i].kind)
            fprintf(stderr, "  v6 ID %s\n", v6[i].id);
        CHECK_INT(got.kind, v6[i].kind);
        CHECK_STR(attr(IPL_A_CODE), v6[i].id);
        CHECK_STR(got.ip, "2001:db8::1");
    }
    /* unknown codes keep code and description */
    CHECK_INT(parse("47,05/01/24,08:00:00,Future event,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_SERVICE);
    CHECK_STR(attr(IPL_A_CODE), "47");
    CHECK_STR(attr(IPL_A_DESC), "Future event");
    CHECK_INT(parse("11099,05/01/24,08:00:00,DHCPV6 Future,,,,,,,,,,"), IPL_OK);
    CHECK_INT(got.kind, IPL_K_SERVICE);
    CHECK_STR(attr(IPL_A_DESC), "DHCPV6 Future");
}

/* ---- headers ---- */

static const char *const v4_header[] = {
    "\t\tMicrosoft DHCP Service Activity Log", "", "", "Event ID  Meaning",
    "00\tThe log was started.", "01\tThe log was stopped.",
    "02\tThe log was temporarily paused due to low disk space.",
    "10\tA new IP address was leased to a client.", "11\tA lease was renewed by a client.",
    "12\tA lease was released by a client.", "13\tAn IP address was found to be in use on the network.",
    "14\tA lease request could not be satisfied because the scope's address pool was exhausted.",
    "15\tA lease was denied.", "16\tA lease was deleted.",
    "17\tA lease was expired and DNS records for an expired leases have not been deleted.",
    "18\tA lease was expired and DNS records were deleted.", "20\tA BOOTP address was leased to a client.",
    "21\tA dynamic BOOTP address was leased to a client.",
    "22\tA BOOTP request could not be satisfied because the scope's address pool for BOOTP was exhausted.",
    "23\tA BOOTP IP address was deleted after checking to see it was not in use.",
    "24\tIP address cleanup operation has began.", "25\tIP address cleanup statistics.",
    "30\tDNS update request to the named DNS server.", "31\tDNS update failed.", "32\tDNS update successful.",
    "33\tPacket dropped due to NAP policy.",
    "34\tDNS update request failed.as the DNS update request queue limit exceeded.",
    "35\tDNS update request failed.",
    "36\tPacket dropped because the server is in failover standby role or the hash of the client ID does not match.",
    "50+\tCodes above 50 are used for Rogue Server Detection information.", "",
    "QResult: 0: NoQuarantine, 1:Quarantine, 2:Drop Packet, 3:Probation,6:No Quarantine Information ProbationTime:Year-Month-Day Hour:Minute:Second:MilliSecond.",
    "",
    "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.",
    "\t\tMicrosoft DHCP Service Activity Log\r", "   ", "\t",
};

static const char *const v6_header[] = {
    "\t\tMicrosoft DHCPv6 Service Activity Log", "", "", "Event ID  Meaning",
    "11000\tDHCPv6 Solicit.", "11001\tDHCPv6 Advertise.", "11010\tDHCPv6 Started.",
    "11019\tDHCPv6 Leases Expired and Leases Deleted .",
    "11031\tDHCPv6 stateless client record is purged as the purge interval has expired for this client record.",
    "11032\tDHCPV6 Information Request from IPV6 Stateless Client.", "",
    "ID,Date,Time,Description,IPv6 Address,Host Name,Error Code, Duid Length, Duid Bytes(Hex),User Name,Dhcid,Subnet Prefix.",
};

static void test_headers(void)
{
    for (size_t i = 0; i < sizeof v4_header / sizeof v4_header[0]; i++) {
        int rc = parse(v4_header[i]);
        if (rc != IPL_OK)
            fprintf(stderr, "  header line %zu: %s\n", i, diag.msg);
        CHECK_INT(rc, IPL_OK);
        CHECK_INT(got.n, 0);
    }
    for (size_t i = 0; i < sizeof v6_header / sizeof v6_header[0]; i++) {
        int rc = parse(v6_header[i]);
        if (rc != IPL_OK)
            fprintf(stderr, "  v6 header line %zu: %s\n", i, diag.msg);
        CHECK_INT(rc, IPL_OK);
        CHECK_INT(got.n, 0);
    }
    CHECK_INT(parse(""), IPL_OK);
    CHECK_INT(parse_n("\r", 1), IPL_OK);
    CHECK_INT(got.n, 0);
    /* a UTF-8 BOM before the title */
    CHECK_INT(parse("\xEF\xBB\xBF\t\tMicrosoft DHCP Service Activity Log"), IPL_OK);
    CHECK_INT(got.n, 0);
}

/* A service restart writes the whole header again in the middle of the file. */
static void test_mid_file_header(void)
{
    static const char *const file[] = {
        "10,05/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0",
        "01,05/01/24,09:00:00,Stopped,,,",
        "\t\tMicrosoft DHCP Service Activity Log", "", "", "Event ID  Meaning",
        "00\tThe log was started.", "50+\tCodes above 50 are used for Rogue Server Detection information.", "",
        "QResult: 0: NoQuarantine, 1:Quarantine, 2:Drop Packet, 3:Probation,6:No Quarantine Information ProbationTime:Year-Month-Day Hour:Minute:Second:MilliSecond.",
        "",
        "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.",
        "00,05/01/24,09:00:05,Started,,,",
        "55,05/01/24,09:00:06,Authorized(servicing),,corp.example.com,",
        "11,05/01/24,09:10:00,Renew,10.20.30.41,pc,3C52826A1B2F,,2,0,,,,,,,,,0",
    };
    int events = 0, kinds[16], k = 0;
    for (size_t i = 0; i < sizeof file / sizeof file[0]; i++) {
        CHECK_INT(parse(file[i]), IPL_OK);
        events += got.n;
        if (got.n)
            kinds[k++] = got.kind;
    }
    CHECK_INT(events, 5);
    CHECK_INT(kinds[0], IPL_K_LEASE_ASSIGN);
    CHECK_INT(kinds[1], IPL_K_LOG_STOP);
    CHECK_INT(kinds[2], IPL_K_LOG_START);
    CHECK_INT(kinds[3], IPL_K_ROGUE);
    CHECK_INT(kinds[4], IPL_K_LEASE_RENEW);
}

/* ---- refused rows ---- */

static void expect_error(const char *line, size_t len, const char *reason)
{
    int rc = parse_n(line, len);
    CHECK_INT(rc, IPL_EPARSE);
    CHECK_INT(got.n, 0);
    CHECK_STR(diag.msg, reason);
}

#define ERR(line, reason) expect_error(line, sizeof(line) - 1, reason)

static void test_errors(void)
{
    ERR("10,05/01/24,08:15:32,Assign,10.20.30.41", "row has 5 fields, expected at least 7");
    ERR("11002,05/01/24,08:15:32", "row has 3 fields, expected at least 4");
    ERR("10,13/45/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '13/45/24' is not a valid MM/DD/YY date");
    ERR("10,13/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '13/01/24' is not a valid MM/DD/YY date");
    ERR("10,00/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '00/01/24' is not a valid MM/DD/YY date");
    ERR("10,02/30/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '02/30/24' is not a valid MM/DD/YY date");
    ERR("10,02/29/23,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '02/29/23' is not a valid MM/DD/YY date");
    ERR("10,2024-05-01,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '2024-05-01' is not a valid MM/DD/YY date");
    ERR("10,5/1/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 2 (Date) '5/1/24' is not a valid MM/DD/YY date");
    ERR("10,05/01/24,24:00:00,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 3 (Time) '24:00:00' is not a valid HH:MM:SS time");
    ERR("10,05/01/24,8:15:32,Assign,10.20.30.41,pc,3C52826A1B2F",
        "field 3 (Time) '8:15:32' is not a valid HH:MM:SS time");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2,pc,3C52826A1B2F",
        "field 5 (IP Address) '10.1.2' is not an IPv4 address");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.256,pc,3C52826A1B2F",
        "field 5 (IP Address) '10.1.2.256' is not an IPv4 address");
    ERR("10,05/01/24,08:15:32,Assign,2001:db8::1,pc,3C52826A1B2F",
        "field 5 (IP Address) '2001:db8::1' is not an IPv4 address");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,XYZ", "field 7 (MAC Address) 'XYZ' is not hexadecimal");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2",
        "field 7 (MAC Address) '3C52826A1B2' has an odd number of hex digits");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C:52:82:6A:1B",
        "field 7 (MAC Address) '3C:52:82:6A:1B' is not a MAC address");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F,,12x,0",
        "field 9 (TransactionID) '12x' is not a decimal transaction ID");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F,,12,zero",
        "field 10 (QResult) 'zero' is not a numeric QResult");
    ERR("1x,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F",
        "field 1 (ID) '1x' is not a 2- to 5-digit event ID");
    ERR("123456,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F",
        "field 1 (ID) '123456' is not a 2- to 5-digit event ID");
    ERR("hello world", "line is neither a header line nor a data row: 'hello world'");
    ERR("11002,12/06/21,12:43:57,DHCPV6 Request,2a02::zz,test-host,,18,0004A3,,,,,",
        "field 5 (IPv6 Address) '2a02::zz' is not an IPv6 address");
    ERR("11002,12/06/21,12:43:57,DHCPV6 Request,10.1.2.3,test-host,,18,0004A3,,,,,",
        "field 5 (IPv6 Address) '10.1.2.3' is not an IPv6 address");
    ERR("11002,12/06/21,12:43:57,DHCPV6 Request,2a02::1,test-host,,18,0004XYZ,,,,,",
        "field 9 (Duid Bytes(Hex)) '0004XYZ' is not hexadecimal");
    ERR("11002,12/06/21,12:43:57,DHCPV6 Request,2a02::1,test-host,,eighteen,0004,,,,,",
        "field 8 (Duid Length) 'eighteen' is not a decimal DUID length");
    ERR("11002,12/06/21,12:43:57,DHCPV6 Request,2a02::1,test-host,,2,0004,,,,,x",
        "field 14 is not empty: a DHCPv6 row has 12 columns");
    /* binary garbage with NUL bytes; non-printable bytes are escaped in the reason */
    ERR("\x7f" "ELF\x02\x01\x01\0\0\0,,,\xff", "NUL byte at offset 7 of the row '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00,,,\\xff'");
    ERR("10,05/01/24,08:15:32,Assign,10.1.2.3,p\0c,3C52826A1B2F",
        "NUL byte at offset 38 of the row '10,05/01/24,08:15:32,Assign,10.1.2.3,p\\x00c,3C52826...'");
    ERR("\0\0\0\0", "line holds only NUL bytes (4), a zero-filled region of the file");
    ERR("\xff\xfe\x31\x00", "NUL byte at offset 3 of the row '\\xff\\xfe1\\x00'");

    /* a leading run of NULs (zero-filled after a crash) before a valid row is skipped */
    static const char zrow[] = "\0\0\0" "10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F";
    CHECK_INT(parse_n(zrow, sizeof zrow - 1), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(got.ip, "10.1.2.3");

    /* over-long lines */
    static char big[9001];
    memset(big, 'A', sizeof big);
    memcpy(big, "10,05/01/24,08:15:32,", 21);
    expect_error(big, 9000, "line is 9000 bytes, longer than the 8192-byte limit");
    /* a host name past the string limit */
    char row[1024];
    int n = snprintf(row, sizeof row, "10,05/01/24,08:15:32,Assign,10.1.2.3,%0500d,3C52826A1B2F", 7);
    expect_error(row, (size_t)n, "field 6 (Host Name) is 500 bytes long, longer than the 479-byte limit");
    /* a vendor class past the attribute limit (a wide row) */
    char *wide = malloc(8192);
    size_t o = (size_t)snprintf(wide, 8192, "10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F,,1,0,,,,0x41,");
    for (; o < 5000; o++)
        wide[o] = (o % 10) ? 'v' : ',';
    memcpy(wide + o, ",,,,0", 5);
    o += 5;
    CHECK_INT(parse_n(wide, o), IPL_EPARSE);
    CHECK(strstr(diag.msg, "field 15 (VendorClass(ASCII)) is ") != NULL);
    CHECK(strstr(diag.msg, "longer than the 4096-byte limit") != NULL);
    free(wide);

    /* a refused row does not move last_ts; the next row parses */
    ctx.last_ts = 12345;
    ERR("10,05/01/24,08:15:32,Assign,10.1.2,pc,3C52826A1B2F", "field 5 (IP Address) '10.1.2' is not an IPv4 address");
    CHECK_INT(ctx.last_ts, 12345);
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F"), IPL_OK);
    CHECK_INT(ctx.last_ts, INT64_C(1714551332) * 1000000);
}

/* Emit errors stop the line and are returned as they are. */
static int emit_fail(void *c, const ipl_event *ev)
{
    (void)c;
    (void)ev;
    return IPL_ENOSPC;
}

static void test_emit_error(void)
{
    static const char l[] = "10,05/01/24,08:15:32,Assign,10.1.2.3,pc,3C52826A1B2F";
    CHECK_INT(P->line(NULL, &ctx, l, sizeof l - 1, emit_fail, NULL, &diag), IPL_ENOSPC);
}

/* ---- probe ---- */

static void test_probe(void)
{
    static const char v4[] =
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n"
        "01\tThe log was stopped.\r\n";
    CHECK_INT(P->probe(v4, sizeof v4 - 1), 100);
    static const char v6[] =
        "\t\tMicrosoft DHCPv6 Service Activity Log\n\n\nEvent ID  Meaning\n11000\tDHCPv6 Solicit.\n";
    CHECK_INT(P->probe(v6, sizeof v6 - 1), 100);
    static const char cols[] =
        "10,05/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0\n"
        "ID,Date,Time,Description,IPv6 Address,Host Name,Error Code, Duid Length, Duid Bytes(Hex),User Name,Dhcid,Subnet Prefix.\n";
    CHECK_INT(P->probe(cols, sizeof cols - 1), 100);
    static const char rows4[] =
        "10,05/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0\r\n"
        "11,05/01/24,12:15:33,Renew,10.20.30.41,pc,3C52826A1B2F,,2,0,,,,,,,,,0\r\n"
        "12,05/01/24,17:02:1";                         /* cut by the sample size */
    CHECK_INT(P->probe(rows4, sizeof rows4 - 1), 80);
    static const char rows6[] =
        "11010,11/04/21,18:24:36,DHCPV6 Started,,,,,,,,,,\n"
        "1103,12/06/21,12:25:21,Authorized(servicing),,test.local,,,,,,,,\n";
    CHECK_INT(P->probe(rows6, sizeof rows6 - 1), 80);
    static const char sshd[] =
        "May  1 08:15:32 bastion sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 52122 ssh2\n";
    CHECK_INT(P->probe(sshd, sizeof sshd - 1), 0);
    static const char json[] = "{\"ts\":\"2024-05-01T08:15:32Z\",\"ip\":\"10.20.30.41\"}\n";
    CHECK_INT(P->probe(json, sizeof json - 1), 0);
    static const char kea[] =
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
        "10.0.0.5,3c:52:82:6a:1b:2f,,3600,1714555132,1,0,0,pc,0,,0\n";
    CHECK_INT(P->probe(kea, sizeof kea - 1), 0);
    static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
    CHECK_INT(P->probe(bin, sizeof bin - 1), 0);
    CHECK_INT(P->probe("", 0), 0);
    CHECK_INT(P->probe("\n\n\n", 3), 0);
    static const char mixed[] =
        "10,05/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0\n"
        "this is not a row\n";
    CHECK_INT(P->probe(mixed, sizeof mixed - 1), 0);
}

/* ---- time zones ---- */

static void test_time_zones(void)
{
    ipl_tz *berlin = NULL;
    ipl_diag d;
    CHECK_INT(ipl_tz_load(&berlin, "Europe/Berlin", &d), IPL_OK);
    if (!berlin)
        return;
    ctx_reset(berlin);
    /* CEST: 08:15:32 local = 06:15:32Z */
    CHECK_INT(parse("10,05/01/24,08:15:32,Assign,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 5, 1, 6, 15, 32));
    /* CET: 01/15/24 08:00:00 local = 07:00:00Z */
    CHECK_INT(parse("11,01/15/24,08:00:00,Renew,10.20.30.41,pc,3C52826A1B2F,,1,0,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 1, 15, 7, 0, 0));
    CHECK_INT(parse("11002,01/15/24,08:00:00,DHCPV6 Request,2001:db8::1,,,,,,,,,"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 1, 15, 7, 0, 0));

    /* fall back on 10/27/24: 02:00-02:59 happens twice; the file's order decides */
    ctx_reset(berlin);
    CHECK_INT(parse("11,10/27/24,01:59:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 10, 26, 23, 59, 0));
    CHECK_INT(parse("11,10/27/24,02:30:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 10, 27, 0, 30, 0));
    CHECK_INT(parse("11,10/27/24,02:45:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 10, 27, 0, 45, 0));
    CHECK_INT(parse("11,10/27/24,02:10:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 10, 27, 1, 10, 0));        /* the second 02:10 (CET) */
    CHECK_INT(parse("11,10/27/24,03:00:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 10, 27, 2, 0, 0));
    /* spring forward on 03/31/24: 02:30 does not exist, read with the offset before the gap */
    CHECK_INT(parse("11,03/31/24,02:30:00,Renew,10.0.0.1,,,,0,6,,,,,,,,,0"), IPL_OK);
    CHECK_INT(got.ts, T(2024, 3, 31, 1, 30, 0));
    ipl_tz_free(berlin);
    ctx_reset(ipl_tz_utc());
}

/* ---- the fixtures: every line parses; leases are coherent ---- */

typedef struct fixture_stats {
    int lines, events, headers, crlf;
    int kinds[IPL_K__COUNT];
} fixture_stats;

static int parse_file(const char *rel, fixture_stats *st, int check_leases)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return -1;
    }
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    memset(st, 0, sizeof *st);
    /* lease state: ip text -> holder mac */
    static char held_ip[256][IPL_IP_TEXT], held_mac[256][IPL_STR_MAX];
    int nheld = 0, bad = 0;
    int64_t prev_ts = 0;
    ctx_reset(ipl_tz_utc());
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t n = end - pos;
        st->lines++;
        if (n && buf[end - 1] == '\r')
            st->crlf++;
        int rc = parse_n(buf + pos, n);
        if (rc != IPL_OK) {
            fprintf(stderr, "  %s:%d: %s\n", rel, st->lines, diag.msg);
            bad++;
        }
        if (got.n) {
            st->events++;
            st->kinds[got.kind]++;
            if (got.ts < prev_ts) {
                fprintf(stderr, "  %s:%d: time goes backwards\n", rel, st->lines);
                bad++;
            }
            prev_ts = got.ts;
            if (check_leases && got.has_ip) {
                int k = 0;
                while (k < nheld && strcmp(held_ip[k], got.ip) != 0)
                    k++;
                int opens = ipl_kind_opens_lease((unsigned)got.kind);
                int closes = ipl_kind_closes_lease((unsigned)got.kind);
                if (opens && !got.null_mac) {
                    if (k < nheld && held_mac[k][0] && strcmp(held_mac[k], got.mac) != 0) {
                        fprintf(stderr, "  %s:%d: %s given to %s while %s holds it\n", rel, st->lines,
                                got.ip, got.mac, held_mac[k]);
                        bad++;
                    }
                    if (k == nheld && nheld < 256)
                        snprintf(held_ip[nheld++], IPL_IP_TEXT, "%s", got.ip);
                    if (k < nheld)
                        snprintf(held_mac[k], IPL_STR_MAX, "%s", got.mac);
                } else if (closes && k < nheld) {
                    held_mac[k][0] = '\0';
                }
            }
        } else if (rc == IPL_OK) {
            st->headers++;
        }
        pos = end + 1;
    }
    return bad;
}

static void test_fixtures(void)
{
    fixture_stats st;
    CHECK_INT(parse_file("tests/data/mswin/DhcpSrvLog-Wed.log", &st, 1), 0);
    CHECK(st.lines == st.crlf);
    CHECK(st.events >= 30);
    CHECK(st.headers >= 60);              /* two header blocks */
    CHECK(st.kinds[IPL_K_LEASE_ASSIGN] > 0 && st.kinds[IPL_K_LEASE_RENEW] > 0);
    CHECK(st.kinds[IPL_K_LEASE_RELEASE] > 0 && st.kinds[IPL_K_LEASE_EXPIRE] > 0);
    CHECK(st.kinds[IPL_K_LEASE_DENY] > 0 && st.kinds[IPL_K_LEASE_CONFLICT] > 0);
    CHECK(st.kinds[IPL_K_DNS_UPDATE] > 0 && st.kinds[IPL_K_DNS_UPDATE_FAIL] > 0);
    CHECK_INT(st.kinds[IPL_K_LOG_START], 2);
    CHECK_INT(st.kinds[IPL_K_LOG_STOP], 1);

    CHECK_INT(parse_file("tests/data/mswin/DhcpV6SrvLog-Wed.log", &st, 1), 0);
    CHECK(st.lines == st.crlf);
    CHECK(st.events >= 10);
    CHECK(st.kinds[IPL_K_LEASE_ASSIGN] > 0 && st.kinds[IPL_K_LEASE_RELEASE] > 0);

    /* both fixtures are recognised by their header */
    char path[1024];
    static char buf[1 << 16];
    snprintf(path, sizeof path, "%s/tests/data/mswin/DhcpV6SrvLog-Wed.log", IPL_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) {
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK_INT(P->probe(buf, n), 100);
    }
    ctx_reset(ipl_tz_utc());
}

int main(void)
{
    P = ipl_parser_find("mswin-dhcp");
    CHECK(P != NULL);
    if (!P)
        return check_summary();
    ipl_arena_init(&arena, 1 << 20);
    ctx_reset(ipl_tz_utc());
    RUN(test_v4_elastic_samples);
    RUN(test_v4_elastic_more);
    RUN(test_v4_composed_samples);
    RUN(test_v4_all_columns);
    RUN(test_v4_column_counts);
    RUN(test_v4_wide_rows);
    RUN(test_v4_hardware_addresses);
    RUN(test_v6_samples);
    RUN(test_v6_composed);
    RUN(test_kind_table);
    RUN(test_headers);
    RUN(test_mid_file_header);
    RUN(test_errors);
    RUN(test_emit_error);
    RUN(test_probe);
    RUN(test_time_zones);
    RUN(test_fixtures);
    ipl_arena_release(&arena);
    return check_summary();
}
