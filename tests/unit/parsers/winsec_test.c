/* tests/unit/parsers/winsec_test.c — the Windows Security log parsers (parsers/winsec.c),
 * "winsec-xml" and "winsec-json": every event ID of FORMATS.md 5.2 with its exact fields, the 5.5
 * and 5.6 samples, the normalisation of 5.4 (addresses, users, machine and builtin accounts, ids),
 * other IDs and providers, multi-line wevtutil documents with pending()/finish(), refused records
 * with their reasons (malformed and truncated XML, broken JSON, NUL, invalid UTF-8, over-long
 * fields), probe scores against the other formats, and the fixtures in tests/data/winsec/.
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

extern const ipl_parser ipl_parser_winsec_xml, ipl_parser_winsec_json, ipl_parser_mswin_dhcp_events;

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

/* An event of the Security log on one line: System with `id`, `time`, Computer FS01, then the
 * given EventData. */
static char xbuf[1 << 16];
static const char *ev_xml(int id, const char *time, const char *data)
{
    snprintf(xbuf, sizeof xbuf,
             "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
             "<Provider Name=\"Microsoft-Windows-Security-Auditing\" "
             "Guid=\"{54849625-5478-4994-A5BA-3E3B0328C30D}\"/><EventID>%d</EventID>"
             "<TimeCreated SystemTime=\"%s\"/><EventRecordID>77</EventRecordID>"
             "<Channel>Security</Channel><Computer>FS01.corp.example.com</Computer><Security/>"
             "</System><EventData>%s</EventData></Event>", id, time, data);
    return xbuf;
}

/* ---- FORMATS.md 5.5: the 4624 sample, verbatim ---- */

static const char sample_4624[] =
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Microsoft-Windows-Security-Auditing\" Guid=\"{54849625-5478-4994-A5BA-3E3B0328C30D}\"/><EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime=\"2024-05-01T06:15:40.1234567Z\"/><EventRecordID>8812345</EventRecordID><Correlation/><Execution ProcessID=\"716\" ThreadID=\"760\"/><Channel>Security</Channel><Computer>FS01.corp.example.com</Computer><Security/></System><EventData><Data Name=\"SubjectUserSid\">S-1-0-0</Data><Data Name=\"SubjectUserName\">-</Data><Data Name=\"SubjectDomainName\">-</Data><Data Name=\"SubjectLogonId\">0x0</Data><Data Name=\"TargetUserSid\">S-1-5-21-1111111111-2222222222-3333333333-1104</Data><Data Name=\"TargetUserName\">alice</Data><Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"TargetLogonId\">0x1a2b3c4d</Data><Data Name=\"LogonType\">3</Data><Data Name=\"LogonProcessName\">Kerberos</Data><Data Name=\"AuthenticationPackageName\">Kerberos</Data><Data Name=\"WorkstationName\">-</Data><Data Name=\"LogonGuid\">{8c6d1f2e-0000-1111-2222-333344445555}</Data><Data Name=\"TransmittedServices\">-</Data><Data Name=\"LmPackageName\">-</Data><Data Name=\"KeyLength\">0</Data><Data Name=\"ProcessId\">0x0</Data><Data Name=\"ProcessName\">-</Data><Data Name=\"IpAddress\">::ffff:10.20.30.41</Data><Data Name=\"IpPort\">50522</Data><Data Name=\"ImpersonationLevel\">%%1833</Data><Data Name=\"RestrictedAdminMode\">-</Data><Data Name=\"TargetOutboundUserName\">-</Data><Data Name=\"TargetOutboundDomainName\">-</Data><Data Name=\"VirtualAccount\">%%1843</Data><Data Name=\"TargetLinkedLogonId\">0x0</Data><Data Name=\"ElevatedToken\">%%1843</Data></EventData></Event>";

static void check_4624_sample(int usec)
{
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LOGON);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 15, 40, usec));
    CHECK_INT(evs[0].has_ip, 1);
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(user(), "CORP\\alice");
    CHECK(host() == NULL);                              /* WorkstationName "-" */
    CHECK_STR(evs[0].server, "FS01.corp.example.com");
    CHECK_STR(attr(IPL_A_CODE), "4624");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x1a2b3c4d");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "3");
    CHECK_STR(attr(IPL_A_PORT), "50522");
    CHECK_STR(attr(IPL_A_METHOD), "Kerberos");
    CHECK(attr(IPL_A_LINKED_LOGON_ID) == NULL);         /* 0x0 */
    CHECK(attr(IPL_A_PROGRAM) == NULL);                 /* "-" */
    CHECK(attr(IPL_A_ACCOUNT_TYPE) == NULL);
}

static void test_xml_4624_sample(void)
{
    use(&ipl_parser_winsec_xml, NULL);
    CHECK_INT(parse(sample_4624), IPL_OK);
    check_4624_sample(123456);                          /* 7 digits cut to microseconds */
    CHECK_STR(attr(IPL_A_RECORD_ID), "8812345");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1111111111-2222222222-3333333333-1104");
    CHECK_STR(attr(IPL_A_LOGON_GUID), "{8c6d1f2e-0000-1111-2222-333344445555}");
    CHECK_INT(evs[0].nattr, 8);
    CHECK(!pending());
    /* a CRLF line end and a BOM make no difference */
    char buf[sizeof sample_4624 + 8];
    snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s\r", sample_4624);
    CHECK_INT(parse(buf), IPL_OK);
    check_4624_sample(123456);
}

/* ---- every event of 5.2 ---- */

static void test_xml_events(void)
{
    use(&ipl_parser_winsec_xml, NULL);

    /* 4625: Status/SubStatus lowercased, FailureReason as written */
    CHECK_INT(parse(ev_xml(4625, "2024-05-01T07:10:05.25Z",
        "<Data Name=\"TargetUserSid\">S-1-0-0</Data><Data Name=\"TargetUserName\">mallory</Data>"
        "<Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"Status\">0xC000006D</Data>"
        "<Data Name=\"FailureReason\">%%2313</Data><Data Name=\"SubStatus\">0xC000006A</Data>"
        "<Data Name=\"LogonType\">3</Data><Data Name=\"AuthenticationPackageName\">NTLM</Data>"
        "<Data Name=\"WorkstationName\">KALI</Data><Data Name=\"IpAddress\">203.0.113.50</Data>"
        "<Data Name=\"IpPort\">0</Data>")), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LOGON_FAIL);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 10, 5, 250000));
    CHECK_STR(evs[0].ip, "203.0.113.50");
    CHECK_STR(host(), "KALI");
    CHECK_STR(user(), "CORP\\mallory");
    CHECK_STR(attr(IPL_A_STATUS), "0xc000006d");
    CHECK_STR(attr(IPL_A_SUBSTATUS), "0xc000006a");
    CHECK_STR(attr(IPL_A_REASON), "%%2313");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "3");
    CHECK_STR(attr(IPL_A_PORT), "0");
    CHECK(attr(IPL_A_USER_SID) == NULL);                /* S-1-0-0 */
    CHECK(attr(IPL_A_LOGON_ID) == NULL);

    /* 4634: the logon id lowercased so it pairs with its 4624 */
    CHECK_INT(parse(ev_xml(4634, "2024-05-01T08:00:00Z",
        "<Data Name=\"TargetUserSid\">S-1-5-21-1-2-3-1104</Data><Data Name=\"TargetUserName\">alice"
        "</Data><Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"TargetLogonId\">0x1A2B3C4D"
        "</Data><Data Name=\"LogonType\">3</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LOGOFF);
    CHECK_INT(evs[0].has_ip, 0);
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x1a2b3c4d");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "3");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1-2-3-1104");

    /* 4647 */
    CHECK_INT(parse(ev_xml(4647, "2024-05-01T08:01:00Z",
        "<Data Name=\"TargetUserName\">bob</Data><Data Name=\"TargetDomainName\">CORP</Data>"
        "<Data Name=\"TargetLogonId\">0x5f1e22</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LOGOFF);
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x5f1e22");
    CHECK(attr(IPL_A_LOGON_TYPE) == NULL);

    /* 4648: the credentials used are the user, the caller is the subject */
    CHECK_INT(parse(ev_xml(4648, "2024-05-01T08:05:00Z",
        "<Data Name=\"SubjectUserName\">bob</Data><Data Name=\"SubjectDomainName\">CORP</Data>"
        "<Data Name=\"SubjectLogonId\">0x5F1E22</Data><Data Name=\"LogonGuid\">"
        "{00000000-0000-0000-0000-000000000000}</Data><Data Name=\"TargetUserName\">admin-bob</Data>"
        "<Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"TargetServerName\">FS01</Data>"
        "<Data Name=\"ProcessName\">C:\\Windows\\System32\\runas.exe</Data>"
        "<Data Name=\"IpAddress\">::1</Data><Data Name=\"IpPort\">0</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LOGON_EXPLICIT);
    CHECK_STR(user(), "CORP\\admin-bob");
    CHECK_STR(attr(IPL_A_SUBJECT), "CORP\\bob");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x5f1e22");
    CHECK_STR(attr(IPL_A_TARGET_SERVER), "FS01");
    CHECK_STR(attr(IPL_A_PROGRAM), "C:\\Windows\\System32\\runas.exe");
    CHECK_STR(evs[0].ip, "::1");                        /* loopback kept */
    CHECK(attr(IPL_A_LOGON_GUID) == NULL);              /* all-zero GUID */

    /* 4672: the subject */
    CHECK_INT(parse(ev_xml(4672, "2024-05-01T07:02:11Z",
        "<Data Name=\"SubjectUserSid\">S-1-5-21-1-2-3-1201</Data><Data Name=\"SubjectUserName\">bob"
        "</Data><Data Name=\"SubjectDomainName\">CORP</Data><Data Name=\"SubjectLogonId\">0x5f1e40"
        "</Data><Data Name=\"PrivilegeList\">SeSecurityPrivilege\n\t\t\tSeDebugPrivilege</Data>")),
        IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_PRIV);
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x5f1e40");
    CHECK_STR(attr(IPL_A_PRIVILEGES), "SeSecurityPrivilege\n\t\t\tSeDebugPrivilege");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1-2-3-1201");

    /* 4768 success (the MS doc sample's values), then failure */
    CHECK_INT(parse(ev_xml(4768, "2024-05-01T06:15:39.9Z",
        "<Data Name=\"TargetUserName\">dadmin</Data> <Data Name=\"TargetDomainName\">CONTOSO.LOCAL"
        "</Data> <Data Name=\"TargetSid\">S-1-5-21-1-2-3-500</Data><Data Name=\"ServiceName\">krbtgt"
        "</Data><Data Name=\"Status\">0x0</Data><Data Name=\"IpAddress\">::ffff:10.0.0.12</Data> "
        "<Data Name=\"IpPort\">49273</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_KERBEROS);
    CHECK_STR(user(), "CONTOSO.LOCAL\\dadmin");
    CHECK_STR(evs[0].ip, "10.0.0.12");
    CHECK_STR(attr(IPL_A_PORT), "49273");
    CHECK_STR(attr(IPL_A_STATUS), "0x0");
    CHECK_STR(attr(IPL_A_SERVICE), "krbtgt");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1-2-3-500");
    CHECK_INT(parse(ev_xml(4768, "2024-05-01T06:16:00Z",
        "<Data Name=\"TargetUserName\">ghost</Data><Data Name=\"TargetDomainName\">CORP</Data>"
        "<Data Name=\"Status\">0x6</Data><Data Name=\"IpAddress\">10.20.30.99</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_FAIL);
    CHECK_STR(attr(IPL_A_STATUS), "0x6");
    CHECK_STR(attr(IPL_A_CODE), "4768");
    /* 0x00000000 is success too */
    CHECK_INT(parse(ev_xml(4768, "2024-05-01T06:16:00Z",
        "<Data Name=\"TargetUserName\">x</Data><Data Name=\"Status\">0x00000000</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_KERBEROS);

    /* 4769: user@REALM split at the last '@'; LogonGuid kept */
    CHECK_INT(parse(ev_xml(4769, "2024-05-01T06:15:41Z",
        "<Data Name=\"TargetUserName\">alice@CORP.EXAMPLE.COM</Data><Data Name=\"TargetDomainName\">"
        "CORP.EXAMPLE.COM</Data><Data Name=\"ServiceName\">FS01$</Data><Data Name=\"IpAddress\">"
        "::ffff:10.20.30.41</Data><Data Name=\"IpPort\">50521</Data><Data Name=\"Status\">0x0</Data>"
        "<Data Name=\"LogonGuid\">{8c6d1f2e-0000-1111-2222-333344445555}</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_KERBEROS);
    CHECK_STR(user(), "CORP.EXAMPLE.COM\\alice");
    CHECK_STR(attr(IPL_A_SERVICE), "FS01$");
    CHECK_STR(attr(IPL_A_LOGON_GUID), "{8c6d1f2e-0000-1111-2222-333344445555}");
    CHECK(attr(IPL_A_ACCOUNT_TYPE) == NULL);            /* the service is a machine, not the user */
    /* 0x20 (ticket expired) is a failure status */
    CHECK_INT(parse(ev_xml(4769, "2024-05-01T06:15:41Z",
        "<Data Name=\"TargetUserName\">a@R</Data><Data Name=\"Status\">0x20</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_FAIL);
    CHECK_STR(user(), "R\\a");
    /* an empty TargetUserName: no user */
    CHECK_INT(parse(ev_xml(4769, "2024-05-01T06:15:41Z",
        "<Data Name=\"TargetUserName\"></Data><Data Name=\"Status\">0x0</Data>")), IPL_OK);
    CHECK(user() == NULL);

    /* 4770 */
    CHECK_INT(parse(ev_xml(4770, "2024-05-01T16:15:41Z",
        "<Data Name=\"TargetUserName\">alice@CORP.EXAMPLE.COM</Data><Data Name=\"ServiceName\">"
        "krbtgt</Data><Data Name=\"IpAddress\">::ffff:10.20.30.41</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_KERBEROS);
    CHECK_STR(user(), "CORP.EXAMPLE.COM\\alice");
    CHECK(attr(IPL_A_STATUS) == NULL);

    /* 4771: the realm from ServiceName krbtgt/REALM */
    CHECK_INT(parse(ev_xml(4771, "2024-05-01T07:30:00Z",
        "<Data Name=\"TargetUserName\">carol</Data><Data Name=\"TargetSid\">S-1-5-21-1-2-3-1300</Data>"
        "<Data Name=\"ServiceName\">krbtgt/CORP.EXAMPLE.COM</Data><Data Name=\"Status\">0x18</Data>"
        "<Data Name=\"IpAddress\">::ffff:10.20.32.15</Data><Data Name=\"IpPort\">61000</Data>")),
        IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_FAIL);
    CHECK_STR(user(), "CORP.EXAMPLE.COM\\carol");
    CHECK_STR(attr(IPL_A_STATUS), "0x18");
    CHECK_STR(attr(IPL_A_SERVICE), "krbtgt/CORP.EXAMPLE.COM");
    CHECK_STR(evs[0].ip, "10.20.32.15");
    CHECK_INT(parse(ev_xml(4771, "2024-05-01T07:30:00Z",
        "<Data Name=\"TargetUserName\">carol</Data><Data Name=\"ServiceName\">HTTP/web</Data>")),
        IPL_OK);
    CHECK_STR(user(), "carol");

    /* 4776: Workstation as \\NAME, as an IP, empty; status decides the kind */
    CHECK_INT(parse(ev_xml(4776, "2024-05-01T07:31:00Z",
        "<Data Name=\"PackageName\">MICROSOFT_AUTHENTICATION_PACKAGE_V1_0</Data><Data Name="
        "\"TargetUserName\">dave</Data><Data Name=\"Workstation\">\\\\WS-0099</Data>"
        "<Data Name=\"Status\">0x0</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_NTLM);
    CHECK_STR(user(), "dave");
    CHECK_STR(host(), "WS-0099");
    CHECK_STR(attr(IPL_A_WORKSTATION), "\\\\WS-0099");
    CHECK_STR(attr(IPL_A_METHOD), "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0");
    CHECK_INT(evs[0].has_ip, 0);
    CHECK_INT(parse(ev_xml(4776, "2024-05-01T07:32:00Z",
        "<Data Name=\"TargetUserName\">dave</Data><Data Name=\"Workstation\">10.20.33.4</Data>"
        "<Data Name=\"Status\">0xC000006A</Data>")), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_FAIL);
    CHECK_STR(attr(IPL_A_STATUS), "0xc000006a");
    CHECK_STR(evs[0].ip, "10.20.33.4");
    CHECK(host() == NULL);
    CHECK_STR(attr(IPL_A_WORKSTATION), "10.20.33.4");
    CHECK_INT(parse(ev_xml(4776, "2024-05-01T07:32:00Z",
        "<Data Name=\"TargetUserName\">dave</Data><Data Name=\"Workstation\">WS-7</Data>"
        "<Data Name=\"Status\">0x0</Data>")), IPL_OK);
    CHECK_STR(host(), "WS-7");
    CHECK(attr(IPL_A_WORKSTATION) == NULL);             /* unchanged: not repeated */
    CHECK_INT(parse(ev_xml(4776, "2024-05-01T07:32:00Z",
        "<Data Name=\"TargetUserName\">dave</Data><Data Name=\"Workstation\"></Data>"
        "<Data Name=\"Status\">0x0</Data>")), IPL_OK);
    CHECK(host() == NULL);

    /* other IDs and other providers emit nothing */
    CHECK_INT(parse(ev_xml(4688, "2024-05-01T07:33:00Z", "<Data Name=\"NewProcessName\">x</Data>")),
              IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("<Event><System><Provider Name='Microsoft-Windows-Winlogon'/><EventID>4624"
                    "</EventID><TimeCreated SystemTime='2024-05-01T00:00:00Z'/><Computer>X</Computer>"
                    "</System></Event>"), IPL_OK);
    CHECK_INT(nev, 0);
    /* ... but must be well formed */
    CHECK_INT(parse(ev_xml(4688, "yesterday", "")), IPL_EPARSE);
    CHECK_STR(diag.msg, "TimeCreated SystemTime 'yesterday' is not an ISO 8601 time "
              "(YYYY-MM-DDTHH:MM:SS[.fffffff][Z])");
}

/* ---- 5.4: addresses and identities ---- */

static void test_normalisation(void)
{
    use(&ipl_parser_winsec_xml, NULL);
    static const struct { const char *in, *ip; } ips[] = {
        {"10.20.30.41", "10.20.30.41"},
        {"::ffff:10.20.30.41", "10.20.30.41"},
        {"2001:db8::7", "2001:db8::7"},
        {"fe80::1c2b:3c4d:5e6f:7a8b%12", "fe80::1c2b:3c4d:5e6f:7a8b"},
        {"127.0.0.1", "127.0.0.1"},
        {" 10.1.2.3 ", "10.1.2.3"},
    };
    char data[512];
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        snprintf(data, sizeof data, "<Data Name=\"TargetUserName\">u</Data>"
                 "<Data Name=\"IpAddress\">%s</Data>", ips[i].in);
        CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", data)), IPL_OK);
        CHECK_INT(evs[0].has_ip, 1);
        CHECK_STR(evs[0].ip, ips[i].ip);
    }
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"IpAddress\">-</Data>"
                           "<Data Name=\"IpPort\">-</Data>")), IPL_OK);
    CHECK_INT(evs[0].has_ip, 0);
    CHECK(attr(IPL_A_PORT) == NULL);
    CHECK(user() == NULL);

    /* account types */
    static const struct { const char *dom, *name, *user, *type; } accts[] = {
        {"CORP", "WS-0042$", "CORP\\WS-0042$", "machine"},
        {"NT AUTHORITY", "SYSTEM", "NT AUTHORITY\\SYSTEM", "builtin"},
        {"NT AUTHORITY", "ANONYMOUS LOGON", "NT AUTHORITY\\ANONYMOUS LOGON", "builtin"},
        {"NT AUTHORITY", "NETWORK SERVICE", "NT AUTHORITY\\NETWORK SERVICE", "builtin"},
        {"Window Manager", "DWM-1", "Window Manager\\DWM-1", "builtin"},
        {"Font Driver Host", "UMFD-0", "Font Driver Host\\UMFD-0", "builtin"},
        {"WS-0042", "local service", "WS-0042\\local service", "builtin"},
        {"-", "alice", "alice", NULL},
        {"corp.local", "Alice", "corp.local\\Alice", NULL},
    };
    for (size_t i = 0; i < sizeof accts / sizeof accts[0]; i++) {
        snprintf(data, sizeof data, "<Data Name=\"TargetUserName\">%s</Data>"
                 "<Data Name=\"TargetDomainName\">%s</Data>", accts[i].name, accts[i].dom);
        CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", data)), IPL_OK);
        CHECK_STR(user(), accts[i].user);
        CHECK_STR(attr(IPL_A_ACCOUNT_TYPE), accts[i].type);
    }
    /* a name that already holds a domain is kept whole (4625 with what was typed) */
    CHECK_INT(parse(ev_xml(4625, "2024-05-01T00:00:00Z", "<Data Name=\"TargetUserName\">OTHER\\eve"
                           "</Data><Data Name=\"TargetDomainName\">CORP</Data>")), IPL_OK);
    CHECK_STR(user(), "OTHER\\eve");
    CHECK_INT(parse(ev_xml(4625, "2024-05-01T00:00:00Z", "<Data Name=\"TargetUserName\">eve@corp"
                           "</Data><Data Name=\"TargetDomainName\"></Data>")), IPL_OK);
    CHECK_STR(user(), "eve@corp");                      /* not split outside Kerberos */
    /* entities in values are decoded */
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"TargetUserName\">o&apos;"
                           "brien</Data><Data Name=\"WorkstationName\">A&amp;B</Data>")), IPL_OK);
    CHECK_STR(user(), "o'brien");
    CHECK_STR(host(), "A&B");

    /* times: 9 fractional digits, none, an explicit offset */
    CHECK_INT(parse(ev_xml(4647, "2024-05-01T07:00:00.987654321Z", "")), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 0, 0, 987654));
    CHECK_INT(parse(ev_xml(4647, "2024-05-01T07:00:00", "")), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 0, 0, 0));    /* SystemTime is UTC */
    CHECK_INT(parse(ev_xml(4647, "2024-05-01T09:00:00+02:00", "")), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 0, 0, 0));

    /* server: Computer, else --server, else an error */
    use(&ipl_parser_winsec_xml, "given");
    CHECK_INT(parse("<Event><System><EventID>4647</EventID><TimeCreated SystemTime="
                    "'2024-05-01T00:00:00Z'/></System></Event>"), IPL_OK);
    CHECK_STR(evs[0].server, "given");
    CHECK_INT(parse(ev_xml(4647, "2024-05-01T07:00:00Z", "")), IPL_OK);
    CHECK_STR(evs[0].server, "FS01.corp.example.com");
    use(&ipl_parser_winsec_xml, NULL);
    CHECK_INT(parse("<Event><System><EventID>4647</EventID><TimeCreated SystemTime="
                    "'2024-05-01T00:00:00Z'/></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing Computer (the server) in event 4647");
}

/* ---- renderings: WEF RenderingInfo, single quotes, Event Viewer copies, wevtutil ---- */

static void test_xml_renderings(void)
{
    use(&ipl_parser_winsec_xml, NULL);
    CHECK_INT(parse("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4647</EventID>"
                    "<TimeCreated SystemTime='2024-05-01T08:01:00Z'/><Computer>TS01</Computer>"
                    "</System><EventData><Data Name='TargetUserName'>bob</Data></EventData>"
                    "<RenderingInfo Culture='en-US'><Message>User initiated logoff:</Message>"
                    "<Level>Information</Level><Task>Logoff</Task><Keywords><Keyword>Audit Success"
                    "</Keyword></Keywords></RenderingInfo></Event>"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_STR(user(), "bob");

    /* Event Viewer's copy, with "- " outline markers */
    static const char *const ev_copy[] = {
        "- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">",
        "- <System>",
        "  <Provider Name=\"Microsoft-Windows-Security-Auditing\" Guid=\"{54849625-5478-4994-A5BA-3E3B0328C30D}\" /> ",
        "  <EventID>4634</EventID> ",
        "  <TimeCreated SystemTime=\"2024-05-01T07:00:00.000000000Z\" /> ",
        "  <Computer>FS01.corp.example.com</Computer> ",
        "  </System>",
        "- <EventData>",
        "  <Data Name=\"TargetUserName\">alice</Data> ",
        "  <Data Name=\"TargetDomainName\">CORP</Data> ",
        "  <Data Name=\"TargetLogonId\">0x1a2b3c4d</Data> ",
        "  </EventData>",
    };
    for (size_t i = 0; i < sizeof ev_copy / sizeof ev_copy[0]; i++) {
        CHECK_INT(parse(ev_copy[i]), IPL_OK);
        CHECK_INT(nev, 0);
        CHECK(pending());
    }
    CHECK_INT(parse("  </Event>"), IPL_OK);
    CHECK(!pending());
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LOGOFF);
    CHECK_STR(user(), "CORP\\alice");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x1a2b3c4d");
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 7, 0, 0, 0));

    /* two events on one line, and one whose text holds a line break (Get-WinEvent keeps them) */
    char two[2 * sizeof sample_4624 + 4];
    snprintf(two, sizeof two, "%s %s", sample_4624, sample_4624);
    CHECK_INT(parse(two), IPL_OK);
    CHECK_INT(nev, 2);
    CHECK_STR(evs[1].user, "CORP\\alice");
    CHECK_INT(parse("<Event><System><EventID>4672</EventID><TimeCreated SystemTime='2024-05-01T00:00:00Z'/>"
                    "<Computer>TS01</Computer></System><EventData><Data Name='SubjectUserName'>bob</Data>"
                    "<Data Name='PrivilegeList'>SeSecurityPrivilege"), IPL_OK);
    CHECK(pending());
    CHECK_INT(parse("\t\t\tSeDebugPrivilege</Data></EventData></Event>"), IPL_OK);
    CHECK(!pending());
    CHECK_INT(nev, 1);
    CHECK_STR(attr(IPL_A_PRIVILEGES), "SeSecurityPrivilege\n\t\t\tSeDebugPrivilege");
}

/* ---- refused records ---- */

static const char *two_events_line(void)
{
    static char two[2 * sizeof sample_4624 + 4];
    snprintf(two, sizeof two, "%s %s", sample_4624, sample_4624);
    return two;
}

static void test_xml_errors(void)
{
    use(&ipl_parser_winsec_xml, NULL);
    /* malformed: the reason names the byte */
    CHECK_INT(parse("<Event><System><EventID>4624</EventID><Computer>X</Computr></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "end tag </Computr> at byte 49 does not match <Computer> at byte 38");
    CHECK_INT(parse("<Event><EventData><Data Name=\"IpAddress>1.2.3.4</Data></EventData></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "unterminated attribute value at byte 29: '<' at byte 47");
    CHECK_INT(parse("<Event><System><EventID>4624</EventID></System><EventData><Data>&nbsp;</Data>"
                    "</EventData></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unknown entity '&nbsp;' at byte 64");
    /* the error of a record later on a line counts bytes from the line's start */
    char line[sizeof sample_4624 + 64];
    snprintf(line, sizeof line, "%s<Event><x></y></Event>", sample_4624);
    CHECK_INT(parse(line), IPL_EPARSE);
    CHECK_INT(nev, 1);                                  /* the good one is emitted */
    char want[128];
    snprintf(want, sizeof want, "end tag </y> at byte %zu does not match <x> at byte %zu",
             sizeof sample_4624 - 1 + 10, sizeof sample_4624 - 1 + 7);
    CHECK_STR(diag.msg, want);
    /* NUL bytes and invalid UTF-8 */
    char nul[] = "<Event><System><EventID>46\0" "24</EventID></System></Event>";
    CHECK_INT(parse_n(nul, sizeof nul - 1), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 26");
    CHECK_INT(parse("<Event><System><Computer>\xC3\x28</Computer></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid UTF-8 at byte 25");
    CHECK_INT(parse_n("\0\0\0", 3), IPL_EPARSE);
    CHECK_STR(diag.msg, "text outside an <Event> element at byte 0");
    /* fields */
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"IpAddress\">10.1.2</Data>")),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "IpAddress '10.1.2' is not an IP address");
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"IpPort\">http</Data>")),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "IpPort 'http' is not a port number");
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"TargetLogonId\">1a2b</Data>")),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "TargetLogonId '1a2b' is not a 0x-prefixed hexadecimal number");
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z",
                           "<Data Name=\"TargetLogonId\">0x1234567890abcdef0</Data>")), IPL_EPARSE);
    CHECK_STR(diag.msg, "TargetLogonId '0x1234567890abcdef0' is not a 0x-prefixed hexadecimal number");
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "<Data Name=\"LogonType\">Network</Data>")),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "LogonType 'Network' is not a logon type number");
    CHECK_INT(parse(ev_xml(4768, "2024-05-01T00:00:00Z", "<Data Name=\"Status\">ok</Data>")),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "Status 'ok' is not a 0x-prefixed hexadecimal number");
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", "")), IPL_OK);
    CHECK_INT(parse("<Event><System><EventID>46x24</EventID></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "EventID '46x24' is not an event number");
    CHECK_INT(parse("<Event><System><EventID>465536</EventID></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "EventID '465536' is not an event number");
    CHECK_INT(parse("<Event><System><Computer>X</Computer></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing EventID");
    CHECK_INT(parse("<Event><System><EventID>4624</EventID></System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing <TimeCreated SystemTime=...> in event 4624");
    CHECK_INT(parse("<Event><System><EventID>4624</EventID><TimeCreated/></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "missing TimeCreated SystemTime");
    CHECK_INT(parse(ev_xml(4624, "2024-13-01T00:00:00Z", "")), IPL_EPARSE);
    CHECK_STR(diag.msg, "TimeCreated SystemTime '2024-13-01T00:00:00Z' is not an ISO 8601 time "
              "(YYYY-MM-DDTHH:MM:SS[.fffffff][Z])");
    CHECK_INT(parse("<Event><System><EventID>4624</EventID><TimeCreated SystemTime='2024-05-01T00:00:00Z'/>"
                    "<EventRecordID>12a</EventRecordID><Computer>X</Computer></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "EventRecordID '12a' is not a decimal number");

    /* over-long fields: the limit is an error, never a cut */
    char big[512], data[2200];
    memset(big, 'h', 480);
    big[480] = '\0';
    snprintf(data, sizeof data, "<Data Name=\"WorkstationName\">%s</Data>", big);
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", data)), IPL_EPARSE);
    CHECK_STR(diag.msg, "WorkstationName is 480 bytes long, longer than the 479-byte limit");
    big[479] = '\0';
    snprintf(data, sizeof data, "<Data Name=\"WorkstationName\">%s</Data>", big);
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", data)), IPL_OK);
    CHECK_INT((int)strlen(host()), 479);
    big[300] = '\0';
    snprintf(data, sizeof data, "<Data Name=\"TargetUserName\">%s</Data><Data Name="
             "\"TargetDomainName\">%s</Data>", big, big);
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", data)), IPL_EPARSE);
    CHECK_STR(diag.msg, "user is 601 bytes long, longer than the 479-byte limit");
    static char hugebuf[8192];
    memset(hugebuf, 'p', 4097);
    hugebuf[4097] = '\0';
    static char hugedata[8300];
    snprintf(hugedata, sizeof hugedata, "<Data Name=\"ProcessName\">%s</Data>", hugebuf);
    CHECK_INT(parse(ev_xml(4624, "2024-05-01T00:00:00Z", hugedata)), IPL_EPARSE);
    CHECK_STR(diag.msg, "ProcessName is 4097 bytes long, longer than the 4096-byte limit");
    snprintf(data, sizeof data, "<Data Name=\"Computer\">x</Data>");
    snprintf(xbuf, sizeof xbuf, "<Event><System><EventID>4647</EventID><TimeCreated SystemTime="
             "'2024-05-01T00:00:00Z'/><Computer>%s%s</Computer></System></Event>", big, big);
    CHECK_INT(parse(xbuf), IPL_EPARSE);
    CHECK_STR(diag.msg, "Computer is 600 bytes long, longer than the 479-byte limit");

    /* an emit error stops the line and is returned */
    emit_rc = IPL_ENOMEM;
    CHECK_INT(parse(two_events_line()), IPL_ENOMEM);
    CHECK_INT(nev, 1);                                  /* the second is not offered */
    emit_rc = IPL_OK;
    CHECK_INT(parse(sample_4624), IPL_OK);              /* and the next line is fine */
    CHECK_INT(nev, 1);
}

/* ---- multi-line documents ---- */

static void test_multiline(void)
{
    use(&ipl_parser_winsec_xml, NULL);
    /* truncated at the end of input */
    CHECK_INT(parse("<Events>"), IPL_OK);
    CHECK(!pending());
    CHECK_INT(parse("  <Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"), IPL_OK);
    CHECK(pending());
    CHECK_INT(parse("    <System><EventID>4624</EventID>"), IPL_OK);
    CHECK_INT(finish(), IPL_EPARSE);
    CHECK_STR(diag.msg, "end of input inside the <Event> element that started 1 line before the "
              "end (106 bytes read)");
    CHECK(!pending());
    /* a malformed record spanning lines: the reason says where it started */
    CHECK_INT(parse("<Event>"), IPL_OK);
    CHECK_INT(parse("<System><EventID>4624</EventID></Sys>"), IPL_OK);   /* the framer does not check */
    CHECK_INT(parse("</System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 2 lines above: end tag </Sys> at byte 39 does not "
              "match <System> at byte 8");
    CHECK_INT(finish(), IPL_OK);

    /* the 1 MiB record cap */
    CHECK_INT(parse("<Event><System><EventID>4624</EventID></System><EventData>"), IPL_OK);
    static char chunk[60001];
    memset(chunk, ' ', sizeof chunk - 1);
    int err = 0, lines = 0;
    for (lines = 0; lines < 20 && !err; lines++)
        if (parse(chunk) != IPL_OK)
            err = 1;
    CHECK(err);
    CHECK_INT(lines, 18);
    CHECK_STR(diag.msg, "<Event> element started 18 lines above is longer than 1048576 bytes");
    CHECK(pending());
    CHECK_INT(parse(chunk), IPL_OK);                    /* skipped quietly to its end */
    CHECK_INT(parse("</EventData></Event>"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK(!pending());
    CHECK_INT(parse(sample_4624), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(finish(), IPL_OK);
}

/* ---- JSON ---- */

static const char wlb_sample[] =
    "{\"@timestamp\":\"2024-05-01T06:15:40.123Z\",\"event\":{\"code\":\"4624\",\"action\":\"logged-in\",\"outcome\":\"success\",\"category\":[\"authentication\"]},\"host\":{\"name\":\"FS01.corp.example.com\"},\"source\":{\"ip\":\"10.20.30.41\",\"port\":50522},\"user\":{\"name\":\"alice\",\"domain\":\"CORP\",\"id\":\"S-1-5-21-1111111111-2222222222-3333333333-1104\"},\"winlog\":{\"channel\":\"Security\",\"computer_name\":\"FS01.corp.example.com\",\"event_id\":\"4624\",\"record_id\":\"8812345\",\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"logon\":{\"id\":\"0x1a2b3c4d\",\"type\":\"Network\"},\"event_data\":{\"TargetUserName\":\"alice\",\"TargetDomainName\":\"CORP\",\"TargetLogonId\":\"0x1a2b3c4d\",\"LogonType\":\"3\",\"AuthenticationPackageName\":\"Kerberos\",\"WorkstationName\":\"-\"}}}";

static const char nxlog_sample[] =
    "{\"EventTime\":\"2021-03-31T12:03:46.974060+03:00\",\"Hostname\":\"hostname3\",\"Keywords\":-9214364837600034816,\"EventType\":\"AUDIT_SUCCESS\",\"SeverityValue\":2,\"Severity\":\"INFO\",\"EventID\":4769,\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"RecordNumber\":1234567,\"Channel\":\"Security\",\"TargetUserName\":\"user1$@DOMAIN.RU\",\"TargetDomainName\":\"DOMAIN.RU\",\"ServiceName\":\"SRV1$\",\"IpAddress\":\"::ffff:10.22.23.24\",\"IpPort\":\"53942\",\"Status\":\"0x0\"}";

static void test_json(void)
{
    use(&ipl_parser_winsec_json, NULL);
    /* FORMATS.md 5.6, Winlogbeat */
    CHECK_INT(parse(wlb_sample), IPL_OK);
    check_4624_sample(123000);
    CHECK_STR(attr(IPL_A_RECORD_ID), "8812345");
    CHECK_STR(attr(IPL_A_USER_SID), "S-1-5-21-1111111111-2222222222-3333333333-1104");  /* user.id */
    /* the ingest pipeline moved IpAddress/IpPort to source.*, dropped '-' values and turned the
     * logon type into a name; 7.x writes numbers */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:02:11Z\",\"source\":{\"ip\":\"10.20.31.7\","
                    "\"port\":51234,\"domain\":\"LAPTOP-7Q2\"},\"user\":{\"name\":\"bob\",\"domain\":"
                    "\"CORP\"},\"winlog\":{\"computer_name\":\"TS01\",\"event_id\":4624,\"record_id\":"
                    "8812350,\"logon\":{\"id\":\"0x5F1E22\",\"type\":\"RemoteInteractive\"},"
                    "\"event_data\":{\"SubjectUserName\":\"WS-0042$\"}}}"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LOGON);
    CHECK_STR(evs[0].ip, "10.20.31.7");
    CHECK_STR(attr(IPL_A_PORT), "51234");
    CHECK_STR(host(), "LAPTOP-7Q2");
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x5f1e22");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "10");
    CHECK_STR(attr(IPL_A_RECORD_ID), "8812350");
    CHECK_STR(attr(IPL_A_CODE), "4624");
    CHECK(attr(IPL_A_ACCOUNT_TYPE) == NULL);            /* the subject was the machine */
    /* event.code when winlog.event_id is missing; 4672 takes the subject from user.* */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:02:11Z\",\"event\":{\"code\":\"4672\"},\"user\":"
                    "{\"name\":\"bob\",\"domain\":\"CORP\"},\"winlog\":{\"computer_name\":\"TS01\","
                    "\"logon\":{\"id\":\"0x5f1e40\"},\"event_data\":{\"PrivilegeList\":\"SeDebug\"}}}"),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_PRIV);
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_LOGON_ID), "0x5f1e40");
    /* 4648: user.effective.* is the target */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:02:11Z\",\"user\":{\"name\":\"bob\",\"domain\":"
                    "\"CORP\",\"effective\":{\"name\":\"adm\",\"domain\":\"CORP\"}},\"winlog\":"
                    "{\"computer_name\":\"TS01\",\"event_id\":\"4648\"}}"), IPL_OK);
    CHECK_STR(user(), "CORP\\adm");
    CHECK_STR(attr(IPL_A_SUBJECT), "CORP\\bob");
    /* other IDs: nothing */
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T07:33:00Z\",\"winlog\":{\"computer_name\":\"W\","
                    "\"event_id\":\"4688\",\"event_data\":{\"NewProcessName\":\"x\"}}}"), IPL_OK);
    CHECK_INT(nev, 0);

    /* NXLog: the verbatim fragment of 5.6; EventID a number; the offset honoured */
    CHECK_INT(parse(nxlog_sample), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_AUTH_KERBEROS);
    CHECK_INT(evs[0].ts, T(2021, 3, 31, 9, 3, 46, 974060));
    CHECK_STR(user(), "DOMAIN.RU\\user1$");
    CHECK_STR(attr(IPL_A_ACCOUNT_TYPE), "machine");
    CHECK_STR(evs[0].ip, "10.22.23.24");
    CHECK_STR(attr(IPL_A_PORT), "53942");
    CHECK_STR(attr(IPL_A_SERVICE), "SRV1$");
    CHECK_STR(attr(IPL_A_RECORD_ID), "1234567");
    CHECK_STR(evs[0].server, "hostname3");
    /* NXLog's default EventTime is local time of the source's zone */
    ipl_tz *tz = NULL;
    CHECK_INT(ipl_tz_load(&tz, "+02:00", &diag), IPL_OK);
    ctx.tz = tz;
    CHECK_INT(parse("{\"EventTime\":\"2024-05-01 08:15:40\",\"Hostname\":\"FS01\",\"EventID\":4624,"
                    "\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"TargetUserName\":"
                    "\"alice\",\"TargetDomainName\":\"CORP\",\"LogonType\":3,\"IpAddress\":"
                    "\"10.20.30.41\"}"), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 15, 40, 0));
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "3");             /* a number accepted */
    CHECK(ctx.last_ts == evs[0].ts);
    ctx.tz = ipl_tz_utc();
    ipl_tz_free(tz);
    /* blank lines are nothing */
    CHECK_INT(parse("   \r"), IPL_OK);
    CHECK_INT(nev, 0);

    /* refusals */
    CHECK_INT(parse("{\"winlog\":{\"event_id\":\"4624\""), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid JSON at byte 27");
    CHECK_INT(parse("{\"winlog\":{\"event_id\":\"4624\",}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid JSON at byte 30");
    CHECK_INT(parse("{\"winlog\":{}} x"), IPL_EPARSE);
    CHECK_STR(diag.msg, "trailing data after the JSON object at byte 14");
    CHECK_INT(parse("[1,2]"), IPL_EPARSE);
    CHECK_STR(diag.msg, "JSON value is not an object");
    CHECK_INT(parse("{\"a\":1}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "JSON object is neither a Winlogbeat record (\"winlog\") nor an NXLog record "
              "(\"EventID\")");
    CHECK_INT(parse("{\"winlog\":{\"event_id\":\"x\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "EventID 'x' is not an event number");
    CHECK_INT(parse("{\"winlog\":{\"event_id\":\"4624\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing @timestamp in event 4624");
    CHECK_INT(parse("{\"@timestamp\":\"now\",\"winlog\":{\"event_id\":\"4624\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "@timestamp 'now' is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SS[.fffffff][Z])");
    CHECK_INT(parse("{\"EventID\":4624,\"Hostname\":\"h\"}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing EventTime in event 4624");
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"winlog\":{\"event_id\":\"4624\"}}"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "missing Computer (the server) in event 4624");
    char nul[] = "{\"winlog\":{\"event_id\":\"46\0" "24\"}}";
    CHECK_INT(parse_n(nul, sizeof nul - 1), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 25");
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"\xff\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid UTF-8 at byte 28");
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"a\\u0000b\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "JSON string holds \\u0000 at byte 29");
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"a\\\\u0000b\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "missing EventID");             /* an escaped backslash, not \u0000 */
    CHECK_INT(parse("{\"winlog\":{\"computer_name\":\"\\ud800\"}}"), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid JSON at byte 28");
    CHECK_INT(parse("{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"winlog\":{\"event_id\":\"4624\","
                    "\"computer_name\":\"X\",\"event_data\":{\"IpAddress\":\"999.1.1.1\"}}}"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "IpAddress '999.1.1.1' is not an IP address");
}

/* ---- probe ---- */

static void test_probe(void)
{
    const ipl_parser *x = &ipl_parser_winsec_xml, *j = &ipl_parser_winsec_json;
    CHECK_INT(x->probe(sample_4624, sizeof sample_4624 - 1), 100);
    CHECK_INT(j->probe(sample_4624, sizeof sample_4624 - 1), 0);
    static const char wev[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events>\r\n<Event "
        "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
        "Name='Microsoft-Windows-Security-Auditing'/>";
    CHECK_INT(x->probe(wev, sizeof wev - 1), 100);
    static const char evv[] = "- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/"
        "event\">\n- <System>\n  <Provider Name=\"Microsoft-Windows-Security-Auditing\" />";
    CHECK_INT(x->probe(evv, sizeof evv - 1), 100);
    static const char sys[] = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
        "<System><Provider Name='Service Control Manager'/>";
    CHECK_INT(x->probe(sys, sizeof sys - 1), 10);
    CHECK_INT(j->probe(wlb_sample, sizeof wlb_sample - 1), 100);
    CHECK_INT(j->probe(nxlog_sample, sizeof nxlog_sample - 1), 100);
    CHECK_INT(x->probe(wlb_sample, sizeof wlb_sample - 1), 0);
    CHECK_INT(ipl_parser_mswin_dhcp_events.probe(sample_4624, sizeof sample_4624 - 1), 0);
    CHECK_INT(ipl_parser_mswin_dhcp_events.probe(wlb_sample, sizeof wlb_sample - 1), 0);

    /* other formats: 0 from both */
    static const char *const others[] = {
        /* Windows DHCP audit log */
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n",
        "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name,TransactionID,QResult\r\n"
        "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0\r\n",
        "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40::6fc6,test-host,,18,0004A344,,,,,\n",
        /* Windows DHCP Server event XML */
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider "
        "Name=\"Microsoft-Windows-DHCP-Server\" Guid=\"{6D64F02C-A125-4DAC-9A01-F0555B41CA84}\"/>"
        "<EventID>106</EventID>",
        "{\"@timestamp\":\"2024-05-01T07:00:30.000Z\",\"winlog\":{\"channel\":\"Microsoft-Windows-Dhcp-"
        "Server/Operational\",\"event_id\":\"71\",\"provider_name\":\"Microsoft-Windows-DHCP-Server\"}}",
        /* NPS DTS XML */
        "<Event><Timestamp data_type=\"4\">05/19/2014 15:36:50.977</Timestamp><Computer-Name "
        "data_type=\"1\">NPSServer</Computer-Name><Event-Source data_type=\"1\">IAS</Event-Source></Event>",
        /* syslog, dhcpd, sshd, dnsmasq */
        "May  1 08:15:32 dhcp1 dhcpd[1234]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP) via eth0\n",
        "<38>May  1 08:15:32 host sshd[999]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2\n",
        "May  1 08:15:32 gw dnsmasq-dhcp[512]: DHCPACK(br0) 10.20.30.41 3c:52:82:6a:1b:2f laptop\n",
        /* Kea CSV and logs */
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n"
        "10.20.30.41,3c:52:82:6a:1b:2f,,3600,1714551332,1,0,0,laptop,0\n",
        "2024-05-01 08:15:32.123 INFO  [kea-dhcp4.leases/1234.139] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f]\n",
        /* NPS IAS, FreeRADIUS detail, dhcpd.leases */
        "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,5,10.20.0.5,6,2\n",
        "Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n\tUser-Name = \"alice\"\n",
        "lease 10.20.30.41 {\n  starts 3 2024/05/01 08:15:32;\n}\n",
        "{\"foo\":1,\"bar\":[1,2]}\n",
        "",
        "\x00\x01\x02\xff",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        size_t n = strlen(others[i]);
        if (i == sizeof others / sizeof others[0] - 1)
            n = 4;
        CHECK_INT(x->probe(others[i], n), 0);
        CHECK_INT(j->probe(others[i], n), 0);
    }
}

/* ---- fixtures ---- */

typedef struct fstats {
    int lines, errors, events, kinds[IPL_K__COUNT];
} fstats;

static void run_file(const ipl_parser *p, const char *rel, fstats *st)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    memset(st, 0, sizeof *st);
    use(p, NULL);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    rewind(f);
    CHECK(p->probe(buf, n) == 100);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len && line[len - 1] == '\n')
            len--;
        st->lines++;
        int rc = parse_n(line, (size_t)len);
        if (rc != IPL_OK) {
            st->errors++;
            fprintf(stderr, "%s:%d: %s\n", rel, st->lines, diag.msg);
        }
        for (int i = 0; i < nev && i < MAXEV; i++)
            st->kinds[evs[i].kind]++;
        st->events += nev;
    }
    CHECK_INT(finish(), IPL_OK);
    CHECK(!pending());
    free(line);
    fclose(f);
}

static void test_fixtures(void)
{
    fstats st;
    run_file(&ipl_parser_winsec_xml, "tests/data/winsec/security-events.xml", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 16);
    CHECK_INT(st.kinds[IPL_K_LOGON], 4);
    CHECK_INT(st.kinds[IPL_K_LOGON_FAIL], 1);
    CHECK_INT(st.kinds[IPL_K_LOGOFF], 2);
    CHECK_INT(st.kinds[IPL_K_LOGON_EXPLICIT], 1);
    CHECK_INT(st.kinds[IPL_K_AUTH_PRIV], 1);
    CHECK_INT(st.kinds[IPL_K_AUTH_KERBEROS], 3);
    CHECK_INT(st.kinds[IPL_K_AUTH_FAIL], 3);
    CHECK_INT(st.kinds[IPL_K_AUTH_NTLM], 1);

    run_file(&ipl_parser_winsec_xml, "tests/data/winsec/security-wevtutil.xml", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 3);
    CHECK_INT(st.kinds[IPL_K_LOGON], 1);
    CHECK_INT(st.kinds[IPL_K_LOGON_FAIL], 1);
    CHECK_INT(st.kinds[IPL_K_LOGOFF], 1);

    run_file(&ipl_parser_winsec_json, "tests/data/winsec/winlogbeat.ndjson", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 6);
    CHECK_INT(st.kinds[IPL_K_LOGON], 2);

    run_file(&ipl_parser_winsec_json, "tests/data/winsec/nxlog.ndjson", &st);
    CHECK_INT(st.errors, 0);
    CHECK_INT(st.events, 4);
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_xml_4624_sample);
    RUN(test_xml_events);
    RUN(test_normalisation);
    RUN(test_xml_renderings);
    RUN(test_xml_errors);
    RUN(test_multiline);
    RUN(test_json);
    RUN(test_probe);
    RUN(test_fixtures);
    if (P && P->release)
        P->release(state);
    free(state);
    ipl_arena_release(&arena);
    return check_summary();
}
