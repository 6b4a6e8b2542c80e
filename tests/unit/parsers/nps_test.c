/* tests/unit/parsers/nps_test.c — the NPS parsers (parsers/nps.c: nps-ias, nps-odbc, nps-xml):
 * every sample of FORMATS.md 6.2-6.4 with exact fields, the packet-type / Acct-Status-Type table,
 * the 6.4 edge cases (Reject without User-Name, Start without Framed-IP, Accounting-On/Off, a
 * Calling-Station-Id that is not a MAC, mixed formats in one file), hex-coded IAS strings, ODBC
 * quoting, refused records with their reasons, probe scores against the other formats, time
 * zones, and the fixtures in tests/data/nps/ (the same sessions in all three formats).
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- capture: copies of the events of one line ---- */

#define CAP_MAX 4

typedef struct cev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], user[IPL_STR_MAX], server[IPL_STR_MAX];
    int     null_mac, null_user, null_server, host_set, duid_set;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][IPL_ATTR_VAL_MAX + 1];
} cev;

typedef struct cap {
    int n;
    cev e[CAP_MAX];
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
    if (g->n >= CAP_MAX)
        return IPL_ELIMIT;
    cev *e = &g->e[g->n++];
    e->ts = ev->ts;
    e->kind = ev->kind;
    e->has_ip = ev->has_ip;
    e->ip[0] = '\0';
    if (ev->has_ip)
        ipl_ip_format(ev->ip, e->ip, sizeof e->ip);
    copy_str(e->mac, ev->mac, &e->null_mac);
    copy_str(e->user, ev->user, &e->null_user);
    copy_str(e->server, ev->server, &e->null_server);
    e->host_set = ev->host != NULL;
    e->duid_set = ev->duid != NULL;
    e->nattr = (int)ev->nattr;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        e->key[i] = ev->attr[i].key;
        memcpy(e->val[i], ev->attr[i].val, ev->attr[i].len);
        e->val[i][ev->attr[i].len] = '\0';
    }
    return IPL_OK;
}

/* The first event's attribute `key`, or NULL. */
static const char *attr_of(const cev *e, int key)
{
    for (int i = 0; i < e->nattr; i++)
        if (e->key[i] == key)
            return e->val[i];
    return NULL;
}

static const char *attr(int key) { return attr_of(&got.e[0], key); }
static const char *mac(void) { return got.e[0].null_mac ? NULL : got.e[0].mac; }
static const char *user(void) { return got.e[0].null_user ? NULL : got.e[0].user; }
static const char *server(void) { return got.e[0].null_server ? NULL : got.e[0].server; }

static const ipl_parser *IAS, *ODBC, *XML, *P;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;

static void ctx_reset(const ipl_tz *tz, const char *srv)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = tz;
    ctx.server = srv;
    ctx.arena = &arena;
}

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

static void expect_error(const char *line, size_t len, const char *reason, int lineno)
{
    int rc = parse_n(line, len);
    if (rc != IPL_EPARSE || got.n != 0 || strcmp(diag.msg, reason) != 0) {
        check_failed++;
        fprintf(stderr, "%s:%d: expected error \"%s\"\n    got rc %d, %d events, \"%s\"\n", __FILE__,
                lineno, reason, rc, got.n, diag.msg);
    } else {
        check_passed++;
    }
}

#define ERR(line, reason) expect_error(line, strlen(line), reason, __LINE__)

/* An ODBC row of `ncols` columns: columns 1-4 are "NPS01","IAS",05/01/2024,08:15:40, then the
 * (column, text) pairs given, up to a 0 column; the rest empty. */
static const char *odbc_row(int ncols, ...)
{
    static char buf[4096];
    const char *col[80] = {0};
    col[1] = "\"NPS01\"";
    col[2] = "\"IAS\"";
    col[3] = "05/01/2024";
    col[4] = "08:15:40";
    va_list ap;
    va_start(ap, ncols);
    for (;;) {
        int c = va_arg(ap, int);
        if (c == 0)
            break;
        col[c] = va_arg(ap, const char *);
    }
    va_end(ap);
    size_t o = 0;
    for (int i = 1; i <= ncols; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i > 1 ? "," : "", col[i] ? col[i] : "");
    return buf;
}

/* ---- FORMATS.md 6.2: IAS samples ---- */

static void test_ias_samples(void)
{
    P = IAS;
    /* verbatim Microsoft sample: an Access-Request, no Packet-Type attribute */
    CHECK_INT(parse("10.10.10.10,client,06/04/1999,14:42:19,NPS,CLIENTCOMP,6,2,7,1,5,9,61,5,64,1,65,1,31,1"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_REQUEST);
    CHECK_INT(got.e[0].ts, T(1999, 6, 4, 14, 42, 19));
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK(mac() == NULL);
    CHECK_STR(user(), "client");
    CHECK_STR(server(), "CLIENTCOMP");
    CHECK_STR(attr(IPL_A_NAS), "10.10.10.10");
    CHECK_STR(attr(IPL_A_PORT), "9");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Virtual");
    CHECK_STR(attr(IPL_A_CALLING), "1");            /* not a MAC: kept as an attribute */
    CHECK_INT(got.e[0].nattr, 4);
    CHECK(!got.e[0].host_set && !got.e[0].duid_set);

    /* composed accounting Start */
    CHECK_INT(parse("10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A,1,CORP\\alice,"
                    "8,10.20.30.41,31,3C-52-82-6A-1B-2F,4,10.20.0.5,4108,10.20.0.5,4128,WLC-01,4136,4,4142,0"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 8, 15, 40));
    CHECK_STR(got.e[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(server(), "NPS01");
    CHECK_STR(attr(IPL_A_SESSION), "8B2C00001A");
    CHECK_STR(attr(IPL_A_NAS), "10.20.0.5");
    CHECK(attr(IPL_A_REASON) == NULL);              /* 0 on an accounting record */
    CHECK(attr(IPL_A_CALLING) == NULL);
    CHECK_INT(got.e[0].nattr, 2);
}

/* ---- FORMATS.md 6.3: ODBC samples ---- */

static void test_odbc_samples(void)
{
    P = ODBC;
    /* verbatim Microsoft samples (60 columns): Access-Request, then Access-Accept */
    CHECK_INT(parse("\"CLIENTCOMP\",\"IAS\",03/07/2008,13:04:33,1,\"client\",,,,,,,,,9,\"10.10.10.10\",\"npsclient\",,,,,,,1,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_REQUEST);
    CHECK_INT(got.e[0].ts, T(2008, 3, 7, 13, 4, 33));
    CHECK_STR(user(), "client");
    CHECK_STR(server(), "CLIENTCOMP");
    CHECK(mac() == NULL);
    CHECK_STR(attr(IPL_A_METHOD), "PAP");
    CHECK_STR(attr(IPL_A_REASON), "0");
    CHECK_INT(got.e[0].nattr, 2);

    CHECK_INT(parse("\"CLIENTCOMP\",\"IAS\",03/07/2008,13:04:33,2,,\"npsclientdc/Users/client\",,,,,,,,9,\"10.10.10.10\",\"npsclient\",,,,,,2,1,\"Allow access if dial-in permission is enabled\",0,\"311 1 10.10.10.11 03/07/2008 20:04:30 1\",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_LOGON);
    CHECK_INT(got.e[0].ts, T(2008, 3, 7, 13, 4, 33));
    CHECK_STR(user(), "npsclientdc/Users/client");  /* no User-Name: the FQDN column */
    CHECK_STR(attr(IPL_A_METHOD), "PAP");
    CHECK_STR(attr(IPL_A_POLICY), "Allow access if dial-in permission is enabled");
    CHECK_STR(attr(IPL_A_REASON), "0");
    CHECK_STR(attr(IPL_A_CORRELATION), "311 1 10.10.10.11 03/07/2008 20:04:30 1");
    CHECK_INT(got.e[0].nattr, 4);

    /* composed, 66 columns */
    CHECK_INT(parse("\"NPS01\",\"IAS\",05/01/2024,08:15:40,4,\"CORP\\alice\",,\"00-11-22-33-44-55:CorpWiFi\","
                    "\"3C-52-82-6A-1B-2F\",,\"10.20.30.41\",\"WLC-01\",\"10.20.0.5\",13,0,\"10.20.0.5\",\"WLC-01\",,,19,,,2,,,0,"
                    "\"311 1 10.20.0.9 05/01/2024 06:10:11 42\",,,,,1,0,,,\"8B2C00001A\",1,,,,,,,,,,,,,,,,,,,,,,,,"
                    "\"Use Windows authentication for all users\",1,,,,"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 8, 15, 40));
    CHECK_STR(got.e[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(server(), "NPS01");
    CHECK_STR(attr(IPL_A_NAS), "10.20.0.5");
    CHECK_STR(attr(IPL_A_NAS_ID), "WLC-01");
    CHECK_STR(attr(IPL_A_SESSION), "8B2C00001A");
    CHECK_STR(attr(IPL_A_PORT), "13");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Wireless-802.11");
    CHECK_STR(attr(IPL_A_CORRELATION), "311 1 10.20.0.9 05/01/2024 06:10:11 42");
    CHECK_STR(attr(IPL_A_CALLED), "00-11-22-33-44-55:CorpWiFi");
    CHECK(attr(IPL_A_REASON) == NULL);
    CHECK_INT(got.e[0].nattr, 7);

    /* public RRAS samples (nxlog's xm_nps documentation): empty quoted strings, a reject */
    CHECK_INT(parse("\"RasBox\",\"RAS\",10/22/2006,09:13:09,1,\"DOMAIN\\user\",\"DOMAIN\\user\",,,,,,\"\",12,,\"\",,,,0,\"CONNECT 24000\",1,2,4,,0,\"311 1 07/31/2006 21:35:14 749\",,,,,,,,,,,,,,,,,,,,,,,,,,,,\"MSRASV5.00\",311,,,,"),
              IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_REQUEST);
    CHECK_STR(user(), "DOMAIN\\user");
    CHECK(attr(IPL_A_NAS) == NULL);                 /* "" is absent */
    CHECK_STR(attr(IPL_A_PORT), "12");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Async");
    CHECK_STR(attr(IPL_A_METHOD), "MS-CHAPv2");
    CHECK_INT(parse("\"RasBox\",\"RAS\",10/22/2006,09:13:09,3,,\"DOMAIN\\user\",,,,,,,,,,,,,,,,,4,,36,\"311 1 07/31/2006 21:35:14 749\",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\"0x00453D36393120523D3020563D33\",,,"),
              IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_LOGON_FAIL);
    CHECK_STR(user(), "DOMAIN\\user");
    CHECK_STR(attr(IPL_A_REASON), "36");
}

/* ---- FORMATS.md 6.4: DTS XML samples ---- */

static const char dts1[] =
    "<Event><Timestamp data_type=\"4\">05/19/2014 15:36:50.977</Timestamp><Computer-Name data_type=\"1\">NPSServer</Computer-Name>"
    "<Event-Source data_type=\"1\">IAS</Event-Source><User-Name data_type=\"1\">ComputerName$</User-Name>"
    "<Calling-Station-Id data_type=\"1\">b8-e8-56-36-b6-58</Calling-Station-Id><Called-Station-Id data_type=\"1\">00-3a-98-9c-aa-70:Internal Test network</Called-Station-Id>"
    "<NAS-Port data_type=\"0\">1</NAS-Port><NAS-IP-Address data_type=\"3\">10.255.100.1</NAS-IP-Address>"
    "<NAS-Identifier data_type=\"1\">WLANCON</NAS-Identifier><NAS-Port-Type data_type=\"0\">19</NAS-Port-Type>"
    "<Client-IP-Address data_type=\"3\">10.255.100.1</Client-IP-Address><SAM-Account-Name data_type=\"1\">DOMAIN\\ComputerName$</SAM-Account-Name>"
    "<Fully-Qualifed-User-Name data_type=\"1\">DOMAIN\\ComputerName$</Fully-Qualifed-User-Name><Authentication-Type data_type=\"0\">5</Authentication-Type>"
    "<NP-Policy-Name data_type=\"1\">Secure Wireless Connections</NP-Policy-Name><Packet-Type data_type=\"0\">1</Packet-Type>"
    "<Reason-Code data_type=\"0\">0</Reason-Code></Event>";

static const char dts2[] =
    "<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40.220</Timestamp><Computer-Name data_type=\"1\">NPS01</Computer-Name>"
    "<Event-Source data_type=\"1\">IAS</Event-Source><User-Name data_type=\"1\">CORP\\alice</User-Name>"
    "<NAS-IP-Address data_type=\"3\">10.20.0.5</NAS-IP-Address><Calling-Station-Id data_type=\"1\">3C-52-82-6A-1B-2F</Calling-Station-Id>"
    "<Framed-IP-Address data_type=\"3\">10.20.30.41</Framed-IP-Address><Acct-Status-Type data_type=\"0\">1</Acct-Status-Type>"
    "<Acct-Session-Id data_type=\"1\">8B2C00001A</Acct-Session-Id><Client-IP-Address data_type=\"3\">10.20.0.5</Client-IP-Address>"
    "<Packet-Type data_type=\"0\">4</Packet-Type><Reason-Code data_type=\"0\">0</Reason-Code></Event>";

static void test_xml_samples(void)
{
    P = XML;
    CHECK_INT(parse(dts1), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_REQUEST);
    CHECK_INT(got.e[0].ts, T(2014, 5, 19, 15, 36, 50) + 977000);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK_STR(mac(), "b8e85636b658");
    CHECK_STR(user(), "ComputerName$");
    CHECK_STR(server(), "NPSServer");
    CHECK_STR(attr(IPL_A_NAS), "10.255.100.1");
    CHECK_STR(attr(IPL_A_NAS_ID), "WLANCON");
    CHECK_STR(attr(IPL_A_PORT), "1");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Wireless-802.11");
    CHECK_STR(attr(IPL_A_REASON), "0");
    CHECK_STR(attr(IPL_A_METHOD), "EAP");
    CHECK_STR(attr(IPL_A_POLICY), "Secure Wireless Connections");
    CHECK_STR(attr(IPL_A_CALLED), "00-3a-98-9c-aa-70:Internal Test network");
    CHECK_INT(got.e[0].nattr, 8);

    CHECK_INT(parse(dts2), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 8, 15, 40) + 220000);
    CHECK_STR(got.e[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(server(), "NPS01");
    CHECK_STR(attr(IPL_A_NAS), "10.20.0.5");
    CHECK_STR(attr(IPL_A_SESSION), "8B2C00001A");
    CHECK_INT(got.e[0].nattr, 2);

    /* element order is not fixed; entities are decoded; the correct FQUN spelling is read too */
    CHECK_INT(parse("<Event><Packet-Type data_type=\"0\">2</Packet-Type><Fully-Qualified-User-Name data_type=\"1\">CORP\\R&amp;D-bot</Fully-Qualified-User-Name>"
                    "<Reason-Code data_type=\"0\">0</Reason-Code><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp></Event>"),
              IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_LOGON);
    CHECK_STR(user(), "CORP\\R&D-bot");
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 8, 15, 40));
    CHECK(server() == NULL);
    /* blanks around and between the elements; unknown (even nested) elements are skipped */
    CHECK_INT(parse("  <Event> <Timestamp data_type=\"4\">05/01/2024 08:15:40.5</Timestamp> <Vendor-Specific><x>1</x></Vendor-Specific>"
                    "<Acct-Status-Type data_type=\"0\">3</Acct-Status-Type><Framed-IP-Address data_type=\"3\">10.1.2.3</Framed-IP-Address></Event>  "),
              IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_UPDATE);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 8, 15, 40) + 500000);
    CHECK_STR(got.e[0].ip, "10.1.2.3");
}

/* ---- the kind table ---- */

static void test_kinds(void)
{
    P = IAS;
    static const struct { const char *pairs; int rc, n, kind; } cases[] = {
        {"4136,1", IPL_OK, 1, IPL_K_RADIUS_REQUEST},
        {"4136,2", IPL_OK, 1, IPL_K_LOGON},
        {"4136,3", IPL_OK, 1, IPL_K_LOGON_FAIL},
        {"4136,4,40,1", IPL_OK, 1, IPL_K_RADIUS_START},
        {"4136,4,40,2", IPL_OK, 1, IPL_K_RADIUS_STOP},
        {"4136,4,40,3", IPL_OK, 1, IPL_K_RADIUS_UPDATE},
        {"4136,4,40,7", IPL_OK, 1, IPL_K_RADIUS_ACCT_ON},
        {"4136,4,40,8", IPL_OK, 1, IPL_K_RADIUS_ACCT_OFF},
        {"40,2", IPL_OK, 1, IPL_K_RADIUS_STOP},            /* no Packet-Type: accounting */
        {"31,1", IPL_OK, 1, IPL_K_RADIUS_REQUEST},         /* neither: an Access-Request */
        {"4136,2,40,1", IPL_OK, 1, IPL_K_LOGON},           /* the status only counts on accounting */
        {"4136,4,40,9", IPL_OK, 0, 0},                     /* Tunnel-Start */
        {"4136,4,40,15", IPL_OK, 0, 0},                    /* Failed */
        {"4136,5", IPL_OK, 0, 0},                          /* Accounting-Response */
        {"4136,11", IPL_OK, 0, 0},                         /* Access-Challenge */
        {"4136,12", IPL_OK, 0, 0},
        {"4136,13", IPL_OK, 0, 0},
        {"4136,40", IPL_OK, 0, 0},                         /* Disconnect-Request */
        {"4136,45", IPL_OK, 0, 0},                         /* CoA-NAK */
        {"4136,6", IPL_EPARSE, 0, 0},
        {"4136,4,40,4", IPL_EPARSE, 0, 0},
        {"4136,4", IPL_EPARSE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[256];
        snprintf(line, sizeof line, "10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,%s", cases[i].pairs);
        int rc = parse(line);
        CHECK_INT(rc, cases[i].rc);
        CHECK_INT(got.n, cases[i].n);
        if (got.n) {
            CHECK_INT(got.e[0].kind, cases[i].kind);
        }
        if (rc != cases[i].rc || got.n != cases[i].n)
            fprintf(stderr, "  case %zu: %s (%s)\n", i, cases[i].pairs, diag.msg);
    }
    CHECK_STR(ipl_kind_name(IPL_K_RADIUS_REQUEST), "radius.request");
    CHECK_STR(ipl_kind_name(IPL_K_RADIUS_ACCT_ON), "radius.acct.on");
    CHECK_STR(ipl_kind_name(IPL_K_RADIUS_ACCT_OFF), "radius.acct.off");
}

/* ---- FORMATS.md 6.4 edge cases and field mapping ---- */

static void test_edge_cases(void)
{
    P = IAS;
    /* Access-Reject without User-Name but with SAM-Account-Name (ODBC: the FQDN column) */
    CHECK_INT(parse("10.20.0.5,,05/01/2024,08:08:58,IAS,NPS01,4129,CORP\\mallory,4127,11,4136,3,4142,48"), IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_LOGON_FAIL);
    CHECK_STR(user(), "CORP\\mallory");
    CHECK_STR(attr(IPL_A_REASON), "48");
    CHECK_STR(attr(IPL_A_METHOD), "PEAP");
    /* User-Name wins over SAM-Account-Name and Fully-Qualified-User-Name */
    CHECK_INT(parse("10.20.0.5,,05/01/2024,08:08:58,IAS,NPS01,4130,corp.example.com/Users/m,4129,CORP\\m,1,m@corp,4136,2"),
              IPL_OK);
    CHECK_STR(user(), "m@corp");
    CHECK_INT(parse("10.20.0.5,,05/01/2024,08:08:58,IAS,NPS01,4130,corp.example.com/Users/m,4136,2"), IPL_OK);
    CHECK_STR(user(), "corp.example.com/Users/m");
    /* the pairs win over the header copy */
    CHECK_INT(parse("10.20.0.5,hdr,05/01/2024,08:08:58,IAS,NPS01,1,pair,4,10.20.0.6,4136,2"), IPL_OK);
    CHECK_STR(user(), "pair");
    CHECK_STR(attr(IPL_A_NAS), "10.20.0.6");
    /* a repeated attribute keeps its first value (Class, VSAs repeat) */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:08:58,IAS,NPS01,25,first,25,second,4136,2"), IPL_OK);
    CHECK_STR(attr(IPL_A_CORRELATION), "first");

    /* accounting Start without Framed-IP-Address: no ip, MAC and session kept */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,44,S1,31,3c52.826a.1b2f"), IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_SESSION), "S1");
    /* Accounting-On: no session, no user */
    CHECK_INT(parse("10.20.0.5,,05/01/2024,00:00:30,IAS,NPS01,40,7,32,WLC-01,4136,4"), IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_ACCT_ON);
    CHECK(user() == NULL && mac() == NULL);
    CHECK_STR(attr(IPL_A_NAS), "10.20.0.5");
    CHECK_STR(attr(IPL_A_NAS_ID), "WLC-01");
    CHECK_INT(got.e[0].nattr, 2);
    /* no NAS address: the identifier is the nas */
    CHECK_INT(parse(",,05/01/2024,00:00:30,IAS,NPS01,40,8,32,WLC-01"), IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_ACCT_OFF);
    CHECK_STR(attr(IPL_A_NAS), "WLC-01");
    CHECK(attr(IPL_A_NAS_ID) == NULL);
    /* an IPv6 NAS address is canonicalised */
    CHECK_INT(parse("2001:DB8:0:0::5,,05/01/2024,00:00:30,IAS,NPS01,40,7"), IPL_OK);
    CHECK_STR(attr(IPL_A_NAS), "2001:db8::5");

    /* Calling-Station-Id: a MAC in any notation, else an attribute (VPN: an IP; dial-up: a number) */
    static const struct { const char *v, *mac, *calling; } cs[] = {
        {"3C-52-82-6A-1B-2F", "3c52826a1b2f", NULL},
        {"3c:52:82:6a:1b:2f", "3c52826a1b2f", NULL},
        {"3C52826A1B2F", "3c52826a1b2f", NULL},
        {"3c52.826a.1b2f", "3c52826a1b2f", NULL},
        {"203.0.113.50", NULL, "203.0.113.50"},
        {"+4930123456", NULL, "+4930123456"},
        {"3C-52-82-6A-1B", NULL, "3C-52-82-6A-1B"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char line[256];
        snprintf(line, sizeof line, "10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,31,%s", cs[i].v);
        CHECK_INT(parse(line), IPL_OK);
        CHECK_STR(mac(), cs[i].mac);
        CHECK_STR(attr(IPL_A_CALLING), cs[i].calling);
    }

    /* RFC 2865 placeholders are not addresses */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,8,255.255.255.254"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,8,255.255.255.255"), IPL_OK);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,8,0.0.0.0"), IPL_OK);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,8,255.255.255.253"), IPL_OK);
    CHECK_STR(got.e[0].ip, "255.255.255.253");

    /* dual stack: one event per address; an IPv6-only session has the v6 address as ip */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,8,10.20.30.41,168,2001:DB8::41,44,S2,"
                    "97,2001:db8:1:2::/64"),
              IPL_OK);
    CHECK_INT(got.n, 2);
    CHECK_STR(got.e[0].ip, "10.20.30.41");
    CHECK_STR(got.e[1].ip, "2001:db8::41");
    CHECK_STR(attr_of(&got.e[1], IPL_A_SESSION), "S2");
    CHECK_STR(attr_of(&got.e[1], IPL_A_FRAMED_PREFIX), "2001:db8:1:2::/64");
    CHECK_INT(got.e[0].ts, got.e[1].ts);
    CHECK_INT(got.e[0].nattr, got.e[1].nattr);
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,3,168,2001:db8::41"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(got.e[0].ip, "2001:db8::41");

    /* counters: Gigawords folded in; terminate cause and port type numbers become names */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2,42,5,52,1,43,4294967295,53,4294967295,"
                    "46,32650,49,4,61,15"),
              IPL_OK);
    CHECK_INT(got.e[0].kind, IPL_K_RADIUS_STOP);
    CHECK_STR(attr(IPL_A_IN_OCTETS), "4294967301");
    CHECK_STR(attr(IPL_A_OUT_OCTETS), "18446744073709551615");
    CHECK_STR(attr(IPL_A_SESSION_TIME), "32650");
    CHECK_STR(attr(IPL_A_TERM_CAUSE), "Idle-Timeout");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Ethernet");
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2,49,99,61,99,4127,99"), IPL_OK);
    CHECK_STR(attr(IPL_A_TERM_CAUSE), "99");        /* unknown numbers as written */
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "99");
    CHECK_STR(attr(IPL_A_METHOD), "99");
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2,49,22,61,0"), IPL_OK);
    CHECK_STR(attr(IPL_A_TERM_CAUSE), "Port-Disabled");
    CHECK_STR(attr(IPL_A_NAS_PORT_TYPE), "Async");
    /* a Reason-Code other than 0 on accounting records is kept */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2,4142,21"), IPL_OK);
    CHECK_STR(attr(IPL_A_REASON), "21");

    /* --server wins over Computer-Name */
    ctx_reset(ipl_tz_utc(), "nps-cluster");
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2"), IPL_OK);
    CHECK_STR(server(), "nps-cluster");
    ctx_reset(ipl_tz_utc(), NULL);
    /* CRLF, a byte-order mark and blank lines */
    CHECK_INT(parse("\xEF\xBB\xBF" "10.20.0.5,u,05/01/2024,17:02:15,IAS,NPS01,40,2\r"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(user(), "u");
    CHECK_INT(parse(""), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(parse(" \t\r"), IPL_OK);
    CHECK_INT(got.n, 0);
}

/* IAS writes strings with a delimiter or a non-printable byte as 0x<hex>. */
static void test_hex_strings(void)
{
    P = IAS;
    /* "CORP\al,ice" */
    CHECK_INT(parse("10.20.0.5,0x434F52505C616C2C696365,05/01/2024,08:15:40,IAS,NPS01,4136,2"), IPL_OK);
    CHECK_STR(user(), "CORP\\al,ice");
    /* trailing NULs (NAS padding) dropped; UTF-8 kept */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,1,0x4AC3B67267000000,4136,2"), IPL_OK);
    CHECK_STR(user(), "J\xC3\xB6rg");
    /* octets that are not printable UTF-8 stay as written */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,44,0x15,25,0xdeadbeef"), IPL_OK);
    CHECK_STR(attr(IPL_A_SESSION), "0x15");
    CHECK_STR(attr(IPL_A_CORRELATION), "0xdeadbeef");
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,44,0x4142004344"), IPL_OK);
    CHECK_STR(attr(IPL_A_SESSION), "0x4142004344");     /* an inner NUL */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,44,0xABC"), IPL_OK);
    CHECK_STR(attr(IPL_A_SESSION), "0xABC");            /* odd length: not hex-coded */
    /* a hex-coded MAC in Calling-Station-Id */
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,31,0x33432D35322D38322D36412D31422D3246"), IPL_OK);
    CHECK_STR(mac(), "3c52826a1b2f");
}

static void test_odbc_quoting(void)
{
    P = ODBC;
    /* "" inside a quoted value; a comma inside quotes */
    CHECK_INT(parse(odbc_row(66, 5, "2", 6, "\"CORP\\o\"\"neil\"", 25, "\"Wi-Fi, staff\"", 0)), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_STR(user(), "CORP\\o\"neil");
    CHECK_STR(attr(IPL_A_POLICY), "Wi-Fi, staff");
    /* 60 and 66 columns; the last one quoted and non-empty */
    CHECK_INT(parse(odbc_row(60, 5, "2", 6, "\"u\"", 0)), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(parse(odbc_row(66, 5, "2", 6, "\"u\"", 66, "\"10.0.0.1\"", 0)), IPL_OK);
    CHECK_INT(got.n, 1);
    /* an empty quoted value is absent */
    CHECK_INT(parse(odbc_row(66, 5, "4", 32, "1", 11, "\"\"", 9, "\"\"", 0)), IPL_OK);
    CHECK_INT(got.e[0].has_ip, 0);
    CHECK(mac() == NULL && attr(IPL_A_CALLING) == NULL);
    /* 59 and 67 columns are refused */
    CHECK_INT(parse(odbc_row(59, 5, "2", 0)), IPL_EPARSE);
    CHECK(strncmp(diag.msg, "record has 59 columns, expected 60 (IAS) to 66 (NPS): ", 54) == 0);
    CHECK_INT(parse(odbc_row(67, 5, "2", 0)), IPL_EPARSE);
    CHECK(strncmp(diag.msg, "record has 67 columns, expected 60 (IAS) to 66 (NPS): ", 54) == 0);
    ERR("\"NPS01\",\"IAS\",05/01/2024,08:15:40,2,\"CORP\\alice,,,",
        "column 6 (User-Name) has an unterminated quote");
    ERR("\"NPS01\",\"IAS\",05/01/2024,08:15:40,2,\"CORP\"x,,,",
        "column 6 (User-Name) has text after its closing quote: '\"CORP\"x,,,'");
    ERR("\"NPS01\",\"IAS\",05/01/2024,08:15:40,2,CO\"RP,,,",
        "column 6 (User-Name) 'CO\"RP' has a quote inside an unquoted value");
}

/* A file can mix formats: every entry reads all three. */
static void test_mixed_formats(void)
{
    const ipl_parser *all[3] = {IAS, ODBC, XML};
    for (int i = 0; i < 3; i++) {
        P = all[i];
        CHECK_INT(parse("10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,8,10.20.30.41"), IPL_OK);
        CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
        CHECK_INT(parse(dts2), IPL_OK);
        CHECK_INT(got.e[0].kind, IPL_K_RADIUS_START);
        CHECK_STR(got.e[0].ip, "10.20.30.41");
        CHECK_INT(parse("\"CLIENTCOMP\",\"IAS\",03/07/2008,13:04:33,1,\"client\",,,,,,,,,9,\"10.10.10.10\",\"npsclient\",,,,,,,1,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"),
                  IPL_OK);
        CHECK_INT(got.e[0].kind, IPL_K_RADIUS_REQUEST);
    }
}

/* ---- refused records ---- */

static void test_errors(void)
{
    P = IAS;
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS",
        "record has 5 header fields, expected 6 (NAS-IP-Address,User-Name,Record-Date,Record-Time,"
        "Service-Name,Computer-Name): '10.20.0.5,u,05/01/2024,08:15:40,IAS'");
    ERR("hello world", "record has 1 header fields, expected 6 (NAS-IP-Address,User-Name,Record-Date,"
        "Record-Time,Service-Name,Computer-Name): 'hello world'");
    ERR("10.20.0.5,u,2024-05-01,08:15:40,IAS,NPS01,40,1",
        "field 3 (Record-Date) '2024-05-01' is not a valid MM/DD/YYYY date");
    ERR("10.20.0.5,u,02/30/2024,08:15:40,IAS,NPS01,40,1",
        "field 3 (Record-Date) '02/30/2024' is not a valid MM/DD/YYYY date");
    ERR("10.20.0.5,u,05/01/2024,24:00:00,IAS,NPS01,40,1",
        "field 4 (Record-Time) '24:00:00' is not a valid HH:MM:SS time");
    ERR("10.20.0.5,u,05/01/2024,08:15:40.5,IAS,NPS01,40,1",
        "field 4 (Record-Time) '08:15:40.5' is not a valid HH:MM:SS time");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,I-AS,NPS01,40,1",
        "field 5 (Service-Name) 'I-AS' is not a service name (IAS, NPS, RAS)");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40", "attribute 40 at field 7 has no value");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,x4,1", "field 9 'x4' is not an attribute number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,123456,1",
        "field 9 '123456' is not an attribute number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,", "field 9 '' is not an attribute number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,8,10.20.30",
        "attribute 8 (Framed-IP-Address) '10.20.30' is not an IPv4 address");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,8,2001:db8::1",
        "attribute 8 (Framed-IP-Address) '2001:db8::1' is not an IPv4 address");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,168,10.1.2.3",
        "attribute 168 (Framed-IPv6-Address) '10.1.2.3' is not an IPv6 address");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,97,10.0.0.0/8",
        "attribute 97 (Framed-IPv6-Prefix) '10.0.0.0/8' is not an IPv6 prefix");
    ERR("10.20.0.x,u,05/01/2024,08:15:40,IAS,NPS01,40,1",
        "field 1 (NAS-IP-Address) '10.20.0.x' is not an IP address");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,Start",
        "attribute 40 (Acct-Status-Type) 'Start' is not a decimal Acct-Status-Type");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,99",
        "attribute 40 (Acct-Status-Type) '99' is not an Acct-Status-Type (1-3, 7-15)");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,4136,4",
        "Accounting-Request record has no Acct-Status-Type");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,4136,x",
        "attribute 4136 (Packet-Type) 'x' is not a decimal RADIUS packet type");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,4136,99",
        "attribute 4136 (Packet-Type) '99' is not a RADIUS packet type NPS logs (1-5, 11-13, 40-45)");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,46,-1",
        "attribute 46 (Acct-Session-Time) '-1' is not a decimal number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,5,port1",
        "attribute 5 (NAS-Port) 'port1' is not a decimal number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,42,4294967296",
        "attribute 42 (Acct-Input-Octets) '4294967296' is not a 32-bit decimal number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,53,x",
        "attribute 53 (Acct-Output-Gigawords) 'x' is not a 32-bit decimal number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,4142,ok",
        "attribute 4142 (Reason-Code) 'ok' is not a decimal number");
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,2,1,a\xff" "b\x01",
        "attribute 1 (User-Name) 'a\\xffb\\x01' is not printable UTF-8");
    /* NUL bytes and binary noise */
    static const char nul[] = "10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,1,a\0b";
    expect_error(nul, sizeof nul - 1, "NUL byte at offset 50 of the record "
                 "'10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,1...'", __LINE__);
    static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    expect_error(bin, sizeof bin - 1, "NUL byte at offset 7 of the record "
                 "'\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00'", __LINE__);
    /* limits */
    static char big[17000];
    memset(big, 'A', sizeof big);
    expect_error(big, 16385, "line is 16385 bytes, longer than the 16384-byte limit", __LINE__);
    char row[1024];
    int n = snprintf(row, sizeof row, "10.20.0.5,%0500d,05/01/2024,08:15:40,IAS,NPS01,40,1", 7);
    expect_error(row, (size_t)n, "field 2 (User-Name) is 500 bytes long, longer than the 479-byte limit",
                 __LINE__);
    char *wide = malloc(16384);
    size_t o = (size_t)snprintf(wide, 16384, "10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,44,");
    memset(wide + o, 's', 5000);
    expect_error(wide, o + 5000, "attribute 44 (Acct-Session-Id) is 5000 bytes long, longer than "
                 "the 4096-byte limit", __LINE__);
    free(wide);

    P = ODBC;
    ERR(odbc_row(66, 5, "4", 32, "1", 11, "\"10.20.30\"", 0),
        "column 11 (Framed-IP-Address) '10.20.30' is not an IPv4 address");
    ERR(odbc_row(66, 3, "5/1/2024", 5, "4", 32, "1", 0),
        "column 3 (Record-Date) '5/1/2024' is not a valid MM/DD/YYYY date");
    ERR(odbc_row(66, 5, "4", 32, "7x", 0), "column 32 (Acct-Status-Type) '7x' is not a decimal Acct-Status-Type");
    ERR(odbc_row(66, 5, "4", 32, "1", 9, "\"a\tb\"", 0),
        "column 9 (Calling-Station-ID) 'a\\x09b' is not printable UTF-8");
    ERR(odbc_row(66, 5, "4", 32, "1", 34, "\"12\"x", 0),
        "column 34 (Acct-Input-Octets) has text after its closing quote: '\"12\"x,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,'");

    P = XML;
    ERR("<Event><Timestamp data_type=\"4\">2024-05-01 08:15:40</Timestamp><Packet-Type data_type=\"0\">2</Packet-Type></Event>",
        "element <Timestamp> '2024-05-01 08:15:40' is not a valid MM/DD/YYYY HH:MM:SS.mmm time");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40.1234567</Timestamp></Event>",
        "element <Timestamp> '05/01/2024 08:15:40.1234567' is not a valid MM/DD/YYYY HH:MM:SS.mmm time");
    ERR("<Event><Packet-Type data_type=\"0\">2</Packet-Type></Event>", "record has no <Timestamp>");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp><Framed-IP-Address data_type=\"3\">10.1.2</Framed-IP-Address>"
        "<Acct-Status-Type data_type=\"0\">1</Acct-Status-Type></Event>",
        "element <Framed-IP-Address> '10.1.2' is not an IPv4 address");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp><Fully-Qualifed-User-Name>a&#1;b</Fully-Qualifed-User-Name></Event>",
        "element <Fully-Qualifed-User-Name> 'a\\x01b' is not printable UTF-8");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp></Event><Event></Event>",
        "element <Event> at byte 71: a line holds one <Event> element");
    ERR("<Record><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp></Record>",
        "element <Record> at byte 0: a line holds one <Event> element");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp>stray</Event>",
        "text 'stray' at byte 63 directly inside <Event>");
    ERR("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp></Event> trailing",
        "text ' trailing' at byte 71 outside <Event>");
    ERR("<Event><User-Name><b>x</b></User-Name></Event>",
        "element <User-Name> at byte 7 holds a child element <b> at byte 18");
    /* the scanner's own errors come through */
    CHECK_INT(parse("<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40</Timestamp>"), IPL_EPARSE);
    CHECK(diag.msg[0] != '\0');
    CHECK_INT(parse("<Event><User-Name>a &bogus; b</User-Name></Event>"), IPL_EPARSE);
    CHECK(diag.msg[0] != '\0');

    /* a refused record does not move last_ts */
    P = IAS;
    ctx.last_ts = 12345;
    ERR("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,8,10.1.2", "attribute 8 (Framed-IP-Address) '10.1.2' is not an IPv4 address");
    CHECK_INT(ctx.last_ts, 12345);
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1"), IPL_OK);
    CHECK_INT(ctx.last_ts, T(2024, 5, 1, 8, 15, 40));
    /* a record without an event does not move it either */
    ctx.last_ts = 12345;
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,4136,11"), IPL_OK);
    CHECK_INT(ctx.last_ts, 12345);
    ctx_reset(ipl_tz_utc(), NULL);
}

static int emit_fail(void *c, const ipl_event *ev)
{
    (void)c;
    (void)ev;
    return IPL_ENOSPC;
}

static void test_emit_error(void)
{
    static const char l[] = "10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1,8,10.1.2.3,168,2001:db8::1";
    CHECK_INT(IAS->line(NULL, &ctx, l, sizeof l - 1, emit_fail, NULL, &diag), IPL_ENOSPC);
}

/* ---- probe ---- */

static void test_probe(void)
{
    static const char ias[] =
        "10.10.10.10,client,06/04/1999,14:42:19,NPS,CLIENTCOMP,6,2,7,1,5,9,61,5,64,1,65,1,31,1\r\n"
        "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A\r\n"
        ",,05/01/2024,08:15:41,IAS,NPS01\r\n"
        "10.20.0.5,CORP\\bob,05/01/2024,08:1";        /* cut by the sample size */
    static const char odbc[] =
        "\"CLIENTCOMP\",\"IAS\",03/07/2008,13:04:33,1,\"client\",,,,,,,,,9,\"10.10.10.10\",\"npsclient\",,,,,,,1,,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
        "\"RasBox\",\"RAS\",10/22/2006,09:13:09,3,,\"DOMAIN\\user\",,,,,,,,,,,,,,,,,4,,36,\"311 1 07/31/2006 21:35:14 749\",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\"0x00453D36393120523D3020563D33\",,,\r\n";
    char xml[4096];
    snprintf(xml, sizeof xml, "%s\r\n%s\r\n", dts1, dts2);
    CHECK_INT(IAS->probe(ias, sizeof ias - 1), 90);
    CHECK_INT(ODBC->probe(ias, sizeof ias - 1), 0);
    CHECK_INT(XML->probe(ias, sizeof ias - 1), 0);
    CHECK_INT(ODBC->probe(odbc, sizeof odbc - 1), 90);
    CHECK_INT(IAS->probe(odbc, sizeof odbc - 1), 0);
    CHECK_INT(XML->probe(odbc, sizeof odbc - 1), 0);
    CHECK_INT(XML->probe(xml, strlen(xml)), 95);
    CHECK_INT(IAS->probe(xml, strlen(xml)), 0);
    CHECK_INT(ODBC->probe(xml, strlen(xml)), 0);
    /* a file that switched format: the first line decides */
    char mixed[4096];
    snprintf(mixed, sizeof mixed, "%s\r\n%s\r\n",
             "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A", dts2);
    CHECK_INT(IAS->probe(mixed, strlen(mixed)), 90);
    snprintf(mixed, sizeof mixed, "%s\r\n%s", dts2,
             "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A\r\n");
    CHECK_INT(XML->probe(mixed, strlen(mixed)), 95);
    CHECK_INT(IAS->probe(mixed, strlen(mixed)), 0);

    /* the other formats of FORMATS.md */
    static const char *const others[] = {
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n",
        "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\r\n",
        "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40::6fc6,test-host,,18,0004A344,,,,,\r\n",
        "May  1 08:15:32 dhcp01 dhcpd[1234]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via eth0\n",
        "lease 10.20.30.41 {\n  starts 3 2024/05/01 08:15:32;\n  ends 3 2024/05/01 20:15:32;\n}\n",
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
        "10.20.30.41,3c:52:82:6a:1b:2f,,3600,1714555132,1,0,0,pc,0,,0\n",
        "2024-05-01 08:15:32.123 INFO  [kea-dhcp4.leases/1234.140] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease 10.20.30.41 has been allocated for 3600 seconds\n",
        "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br0) 10.20.30.41 3c:52:82:6a:1b:2f LAPTOP-7Q2\n",
        "1714555132 3c:52:82:6a:1b:2f 10.20.30.41 LAPTOP-7Q2 01:3c:52:82:6a:1b:2f\n",
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4624</EventID></System></Event>\n",
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n<System>\n",
        "{\"ts\":\"2024-05-01T08:15:32Z\",\"ip\":\"10.20.30.41\"}\n",
        "May  1 08:15:32 bastion sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 52122 ssh2\n",
        "Wed May  1 08:15:40 2024\n\tAcct-Session-Id = \"8B2C00001A\"\n\tAcct-Status-Type = Start\n\n",
        "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0",
        "",
        "\n\n\n",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        size_t n = i == sizeof others / sizeof others[0] - 3 ? 20 : strlen(others[i]);
        int a = IAS->probe(others[i], n), b = ODBC->probe(others[i], n), c = XML->probe(others[i], n);
        CHECK_INT(a, 0);
        CHECK_INT(b, 0);
        CHECK_INT(c, 0);
        if (a || b || c)
            fprintf(stderr, "  sample %zu scored %d/%d/%d\n", i, a, b, c);
    }
    /* one bad line among good ones */
    static const char bad[] =
        "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1\nthis is not a record\n";
    CHECK_INT(IAS->probe(bad, sizeof bad - 1), 0);
}

/* ---- time zones ---- */

static void test_time_zones(void)
{
    ipl_tz *berlin = NULL;
    ipl_diag d;
    CHECK_INT(ipl_tz_load(&berlin, "Europe/Berlin", &d), IPL_OK);
    if (!berlin)
        return;
    ctx_reset(berlin, NULL);
    P = IAS;
    CHECK_INT(parse("10.20.0.5,u,05/01/2024,08:15:40,IAS,NPS01,40,1"), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 6, 15, 40));        /* CEST */
    P = ODBC;
    CHECK_INT(parse(odbc_row(60, 3, "01/15/2024", 4, "08:00:00", 5, "2", 0)), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 1, 15, 7, 0, 0));         /* CET */
    P = XML;
    CHECK_INT(parse(dts2), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 5, 1, 6, 15, 40) + 220000);

    /* fall back on 10/27/2024: the file's order decides which 02:30 */
    ctx_reset(berlin, NULL);
    P = IAS;
    CHECK_INT(parse("10.20.0.5,u,10/27/2024,02:50:00,IAS,NPS01,40,3"), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 10, 27, 0, 50, 0));
    CHECK_INT(parse("10.20.0.5,u,10/27/2024,02:10:00,IAS,NPS01,40,3"), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 10, 27, 1, 10, 0));       /* the second 02:10 (CET) */
    /* spring forward: 02:30 does not exist, read with the offset before the gap */
    CHECK_INT(parse("10.20.0.5,u,03/31/2024,02:30:00,IAS,NPS01,40,3"), IPL_OK);
    CHECK_INT(got.e[0].ts, T(2024, 3, 31, 1, 30, 0));
    ipl_tz_free(berlin);
    ctx_reset(ipl_tz_utc(), NULL);
}

/* ---- fixtures: the same sessions in the three formats ---- */

typedef struct fx_ev {
    int64_t ts;
    int     kind;
    char    line[1024];      /* everything but ts, for comparing the formats */
} fx_ev;

#define FX_MAX 64

static int read_fixture(const ipl_parser *p, const char *rel, fx_ev *out, int *nout, int *crlf)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return -1;
    }
    static char buf[1 << 17];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK_INT(p->probe(buf, len), p == XML ? 95 : 90);
    P = p;
    ctx_reset(ipl_tz_utc(), NULL);
    int bad = 0, lines = 0;
    *nout = 0;
    *crlf = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        lines++;
        if (end > pos && buf[end - 1] == '\r')
            (*crlf)++;
        if (parse_n(buf + pos, end - pos) != IPL_OK) {
            fprintf(stderr, "  %s:%d: %s\n", rel, lines, diag.msg);
            bad++;
        }
        for (int i = 0; i < got.n && *nout < FX_MAX; i++) {
            cev *e = &got.e[i];
            fx_ev *x = &out[(*nout)++];
            x->ts = e->ts;
            x->kind = e->kind;
            int o = snprintf(x->line, sizeof x->line, "%s ip=%s mac=%s user=%s server=%s",
                             ipl_kind_name((unsigned)e->kind), e->ip, e->mac, e->user, e->server);
            for (int k = 0; k < e->nattr && o < (int)sizeof x->line; k++)
                o += snprintf(x->line + o, sizeof x->line - (size_t)o, " %s=%s",
                              ipl_attr_name((unsigned)e->key[k]), e->val[k]);
        }
        pos = end + 1;
    }
    return bad;
}

static void test_fixtures(void)
{
    static fx_ev ias[FX_MAX], odbc[FX_MAX], xml[FX_MAX];
    int ni, no, nx, crlf;
    CHECK_INT(read_fixture(IAS, "tests/data/nps/IN2405.log", ias, &ni, &crlf), 0);
    CHECK_INT(crlf, 26);
    CHECK_INT(read_fixture(ODBC, "tests/data/nps/nps-odbc.log", odbc, &no, &crlf), 0);
    CHECK_INT(crlf, 26);
    CHECK_INT(read_fixture(XML, "tests/data/nps/nps-dts.xml", xml, &nx, &crlf), 0);
    CHECK_INT(crlf, 26);
    CHECK_INT(ni, 26);
    CHECK_INT(no, ni);
    CHECK_INT(nx, ni);
    int kinds[IPL_K__COUNT] = {0};
    for (int i = 0; i < ni && i < no && i < nx; i++) {
        /* the three formats give the same events (XML adds milliseconds) */
        CHECK(strcmp(ias[i].line, odbc[i].line) == 0);
        CHECK(strcmp(ias[i].line, xml[i].line) == 0);
        CHECK_INT(ias[i].ts, odbc[i].ts);
        CHECK_INT(ias[i].ts, xml[i].ts / 1000000 * 1000000);
        if (i)
            CHECK(ias[i].ts >= ias[i - 1].ts);
        kinds[ias[i].kind]++;
    }
    CHECK_INT(kinds[IPL_K_RADIUS_ACCT_ON], 1);
    CHECK_INT(kinds[IPL_K_RADIUS_REQUEST], 6);
    CHECK_INT(kinds[IPL_K_LOGON], 5);
    CHECK_INT(kinds[IPL_K_LOGON_FAIL], 1);
    CHECK_INT(kinds[IPL_K_RADIUS_START], 5);
    CHECK_INT(kinds[IPL_K_RADIUS_UPDATE], 4);
    CHECK_INT(kinds[IPL_K_RADIUS_STOP], 4);

    /* coherent sessions: every update/stop follows a start of the same session with the same
     * MAC; a session's address never changes; a stop closes it */
    static char open_sess[16][64], open_mac[16][16], open_ip[16][IPL_IP_TEXT];
    int nopen = 0;
    for (int i = 0; i < ni; i++) {
        const char *sp = strstr(ias[i].line, " session=");
        if (!sp)
            continue;
        char sess[64], mc[16] = "", ip[IPL_IP_TEXT] = "";
        sscanf(sp + 9, "%63s", sess);
        const char *mp = strstr(ias[i].line, " mac=");
        sscanf(mp + 5, "%15[^ ]", mc);
        const char *ipp = strstr(ias[i].line, " ip=");
        sscanf(ipp + 4, "%47[^ ]", ip);
        int k = 0;
        while (k < nopen && strcmp(open_sess[k], sess) != 0)
            k++;
        if (ias[i].kind == IPL_K_RADIUS_START) {
            CHECK(k == nopen);
            if (k == nopen && nopen < 16) {
                snprintf(open_sess[nopen], 64, "%s", sess);
                snprintf(open_mac[nopen], 16, "%s", mc);
                snprintf(open_ip[nopen], IPL_IP_TEXT, "%s", ip);
                nopen++;
            }
            continue;
        }
        CHECK(k < nopen);
        if (k == nopen)
            continue;
        CHECK_STR(mc, open_mac[k]);
        if (open_ip[k][0] && ip[0])
            CHECK_STR(ip, open_ip[k]);
        if (!open_ip[k][0])
            snprintf(open_ip[k], IPL_IP_TEXT, "%s", ip);
        if (ias[i].kind == IPL_K_RADIUS_STOP)
            open_sess[k][0] = '\0';
    }
    ctx_reset(ipl_tz_utc(), NULL);
}

int main(void)
{
    IAS = ipl_parser_find("nps-ias");
    ODBC = ipl_parser_find("nps-odbc");
    XML = ipl_parser_find("nps-xml");
    CHECK(IAS != NULL && ODBC != NULL && XML != NULL);
    if (!IAS || !ODBC || !XML)
        return check_summary();
    CHECK_INT((int)IAS->state_size, 0);
    CHECK(IAS->pending == NULL && IAS->finish == NULL);
    ipl_arena_init(&arena, 1 << 20);
    ctx_reset(ipl_tz_utc(), NULL);
    RUN(test_ias_samples);
    RUN(test_odbc_samples);
    RUN(test_xml_samples);
    RUN(test_kinds);
    RUN(test_edge_cases);
    RUN(test_hex_strings);
    RUN(test_odbc_quoting);
    RUN(test_mixed_formats);
    RUN(test_errors);
    RUN(test_emit_error);
    RUN(test_probe);
    RUN(test_time_zones);
    RUN(test_fixtures);
    ipl_arena_release(&arena);
    return check_summary();
}
