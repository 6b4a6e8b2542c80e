/* tools/gen/out_winsec.c — Windows Security log logon events (FORMATS.md 5; ipledger formats
 * "winsec-xml" and "winsec-json") of every site's domain controller and RDP server (--mix all):
 *
 *   DIR/winsec-xml/<server>/Security-<YYYY-MM-DD>.xml        event XML, one <Event> per line
 *   DIR/winsec-json/<server>/Security-<YYYY-MM-DD>.ndjson    Winlogbeat 8 JSON, one per line
 *
 * A site's DC and its RDP server render the same way: XML at even sites, JSON at odd ones
 * (gen_site.dc_json). One file per server and local day; TimeCreated / @timestamp are UTC.
 *
 *   domain logon (GEN_VIA_DC)   DC: 4768 (TGT: user@REALM, IpAddress, status 0x0) and 4624
 *                               LogonType 3 (Kerberos; IpAddress = the device's address,
 *                               WorkstationName = its NetBIOS name, TargetLogonId); logoff 4634
 *   admin RDP (GEN_VIA_RDP)     RDP server: 4624 LogonType 10 (User32/Negotiate); at the end
 *                               4647 (user-initiated logoff) and 4634
 * Users are CONTOSO\first.last (TargetDomainName CONTOSO); 4768 names the realm
 * CORP.EXAMPLE.COM, as DCs write it. EventRecordID counts per server.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define REALM       "CORP.EXAMPLE.COM"
#define DOMAIN_SID  "S-1-5-21-3623811015-3361044348-30300820"
#define PROVIDER    "Microsoft-Windows-Security-Auditing"
#define PROV_GUID   "{54849625-5478-4994-A5BA-3E3B0328C30D}"

enum { SRV_DC, SRV_RDS, NSRV };

struct server {
    gen_dayfile df;
    uint64_t    record;             /* the next EventRecordID */
};

struct winsec {
    const gen_ctx *ctx;
    int            active;          /* --mix all */
    struct server *srv;             /* [nsites * NSRV] */
    size_t         cap;
    gen_counts     c;
};

static const char *srv_name(const gen_site *site, int k)
{
    return k == SRV_DC ? site->dc : site->rds;
}

static const char *folder(const gen_site *site)
{
    return site->dc_json ? "winsec-json" : "winsec-xml";
}

static int ws_day(struct winsec *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd, rc = IPL_OK;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    for (int k = 0; k < NSRV && !rc; k++) {
        rc = gen_path(path, sizeof path, d, "%s/%s/%s/Security-%04d-%02d-%02d.%s", w->ctx->out,
                      folder(site), srv_name(site, k), y, m, dd, site->dc_json ? "ndjson" : "xml");
        if (!rc)
            rc = gen_dayfile_open(&w->srv[site->index * NSRV + k].df, path, w->cap, day, &w->c, d);
    }
    return rc;
}

/* ---------------------------------------------------------------- shared values */

struct fields {
    char     user[64], sid[64], host[48], guid[40], logon_id[24], ip[16];
    size_t   nuser, nsid, nhost, nguid, nlogon_id, nip;
    uint16_t port;
};

static void fill(struct fields *v, const gen_happening *h)
{
    static const char digits[] = "0123456789abcdef";
    char *p;
    v->nuser = gen_user_login(h->user, v->user, sizeof v->user);
    p = GEN_PUTS(v->sid, DOMAIN_SID "-");
    p = gen_put_u64(p, 1100 + (uint64_t)h->user);
    v->nsid = (size_t)(p - v->sid);
    v->nhost = gen_device_short(h->dev, v->host);
    uint64_t id = gen_hash(UINT64_C(0x6c6f676f6e), h->sid);
    p = GEN_PUTS(v->logon_id, "0x");
    int started = 0;
    for (int sh = 36; sh >= 0; sh -= 4) {           /* 40-bit logon ids, lowercase, no padding */
        unsigned x = (unsigned)(id >> sh) & 15;
        if (x || started || sh == 0) {
            *p++ = digits[x];
            started = 1;
        }
    }
    v->nlogon_id = (size_t)(p - v->logon_id);
    uint64_t g1 = gen_hash(UINT64_C(0x67756964), h->sid), g2 = gen_mix64(g1);
    uint8_t gb[16];
    for (int i = 0; i < 8; i++) {
        gb[i] = (uint8_t)(g1 >> (8 * i));
        gb[8 + i] = (uint8_t)(g2 >> (8 * i));
    }
    p = v->guid;
    *p++ = '{';
    p = gen_put_hex(p, gb, 4, 0);
    *p++ = '-';
    p = gen_put_hex(p, gb + 4, 2, 0);
    *p++ = '-';
    p = gen_put_hex(p, gb + 6, 2, 0);
    *p++ = '-';
    p = gen_put_hex(p, gb + 8, 2, 0);
    *p++ = '-';
    p = gen_put_hex(p, gb + 10, 6, 0);
    *p++ = '}';
    v->nguid = (size_t)(p - v->guid);
    v->nip = (size_t)(gen_put_ip4(v->ip, (uint32_t)h->ip.lo) - v->ip);
    v->port = h->port;
}

/* "2024-05-06T06:15:40.1234567Z" (digits = 7) or "...40.123Z" (digits = 3) */
static char *put_time(char *p, int64_t t, uint32_t frac7, int digits)
{
    p = gen_put_iso(p, t) - 1;
    *p++ = '.';
    for (uint32_t div = 1000000, k = 0; k < (uint32_t)digits; div /= 10, k++)
        *p++ = (char)('0' + frac7 / div % 10);
    *p++ = 'Z';
    return p;
}

/* ---------------------------------------------------------------- XML */

static char *xml_head(char *p, int id, int version, int task, int64_t t, uint32_t frac,
                      uint64_t record, const char *computer)
{
    p = GEN_PUTS(p, "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
                    "<Provider Name=\"" PROVIDER "\" Guid=\"" PROV_GUID "\"/><EventID>");
    p = gen_put_u64(p, (uint64_t)id);
    p = GEN_PUTS(p, "</EventID><Version>");
    p = gen_put_u64(p, (uint64_t)version);
    p = GEN_PUTS(p, "</Version><Level>0</Level><Task>");
    p = gen_put_u64(p, (uint64_t)task);
    p = GEN_PUTS(p, "</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
                    "<TimeCreated SystemTime=\"");
    p = put_time(p, t, frac, 7);
    p = GEN_PUTS(p, "\"/><EventRecordID>");
    p = gen_put_u64(p, record);
    p = GEN_PUTS(p, "</EventRecordID><Correlation/><Execution ProcessID=\"716\" ThreadID=\"");
    p = gen_put_u64(p, 760 + record % 97 * 4);
    p = GEN_PUTS(p, "\"/><Channel>Security</Channel><Computer>");
    p = gen_put(p, computer, strlen(computer));
    return GEN_PUTS(p, "</Computer><Security/></System><EventData>");
}

static char *xml_data(char *p, const char *name, size_t nn, const char *val, size_t vn)
{
    p = GEN_PUTS(p, "<Data Name=\"");
    p = gen_put(p, name, nn);
    p = GEN_PUTS(p, "\">");
    p = gen_put(p, val, vn);
    return GEN_PUTS(p, "</Data>");
}
#define XD(p, name, val, n) xml_data((p), (name), sizeof(name) - 1, (val), (n))
#define XL(p, name, lit) xml_data((p), (name), sizeof(name) - 1, (lit), sizeof(lit) - 1)

static char *xml_4624(char *p, const struct fields *v, int rdp)
{
    char port[8], ip[24];
    size_t np = (size_t)(gen_put_u64(port, v->port) - port), ni = v->nip;
    memcpy(ip, v->ip, v->nip);
    if (!rdp) {                                     /* network logons show the mapped form */
        memcpy(ip, "::ffff:", 7);
        memcpy(ip + 7, v->ip, v->nip);
        ni = v->nip + 7;
    }
    if (rdp) {
        p = XL(p, "SubjectUserSid", "S-1-5-18");
        p = XL(p, "SubjectUserName", "RDS$");
        p = XL(p, "SubjectDomainName", "CONTOSO");
        p = XL(p, "SubjectLogonId", "0x3e7");
    } else {
        p = XL(p, "SubjectUserSid", "S-1-0-0");
        p = XL(p, "SubjectUserName", "-");
        p = XL(p, "SubjectDomainName", "-");
        p = XL(p, "SubjectLogonId", "0x0");
    }
    p = XD(p, "TargetUserSid", v->sid, v->nsid);
    p = XD(p, "TargetUserName", v->user, v->nuser);
    p = XL(p, "TargetDomainName", GEN_NT_DOMAIN);
    p = XD(p, "TargetLogonId", v->logon_id, v->nlogon_id);
    p = rdp ? XL(p, "LogonType", "10") : XL(p, "LogonType", "3");
    p = rdp ? XL(p, "LogonProcessName", "User32 ") : XL(p, "LogonProcessName", "Kerberos");
    p = rdp ? XL(p, "AuthenticationPackageName", "Negotiate")
            : XL(p, "AuthenticationPackageName", "Kerberos");
    p = XD(p, "WorkstationName", v->host, v->nhost);
    p = XD(p, "LogonGuid", v->guid, v->nguid);
    p = XL(p, "TransmittedServices", "-");
    p = XL(p, "LmPackageName", "-");
    p = XL(p, "KeyLength", "0");
    p = rdp ? XL(p, "ProcessId", "0x1f4") : XL(p, "ProcessId", "0x0");
    p = rdp ? XL(p, "ProcessName", "C:\\Windows\\System32\\svchost.exe") : XL(p, "ProcessName", "-");
    p = XD(p, "IpAddress", ip, ni);
    p = XD(p, "IpPort", port, np);
    p = XL(p, "ImpersonationLevel", "%%1833");
    p = rdp ? XL(p, "RestrictedAdminMode", "%%1843") : XL(p, "RestrictedAdminMode", "-");
    p = XL(p, "TargetOutboundUserName", "-");
    p = XL(p, "TargetOutboundDomainName", "-");
    p = XL(p, "VirtualAccount", "%%1843");
    p = XL(p, "TargetLinkedLogonId", "0x0");
    return rdp ? XL(p, "ElevatedToken", "%%1842") : XL(p, "ElevatedToken", "%%1843");
}

/* ---------------------------------------------------------------- JSON (Winlogbeat) */

static char *json_head(char *p, int id, const char *action, const char *type, int64_t t,
                       uint32_t frac, uint64_t record, const char *computer)
{
    size_t cn = strlen(computer);
    p = GEN_PUTS(p, "{\"@timestamp\":\"");
    p = put_time(p, t, frac, 3);
    p = GEN_PUTS(p, "\",\"agent\":{\"type\":\"winlogbeat\",\"version\":\"8.13.4\"},"
                    "\"ecs\":{\"version\":\"8.0.0\"},\"event\":{\"code\":\"");
    p = gen_put_u64(p, (uint64_t)id);
    p = GEN_PUTS(p, "\",\"kind\":\"event\",\"provider\":\"" PROVIDER "\",\"action\":\"");
    p = gen_put(p, action, strlen(action));
    p = GEN_PUTS(p, "\",\"category\":[\"authentication\"],\"type\":[\"");
    p = gen_put(p, type, strlen(type));
    p = GEN_PUTS(p, "\"],\"outcome\":\"success\"},\"host\":{\"name\":\"");
    p = gen_put(p, computer, cn);
    p = GEN_PUTS(p, "\"},\"log\":{\"level\":\"information\"},\"winlog\":{\"channel\":\"Security\","
                    "\"computer_name\":\"");
    p = gen_put(p, computer, cn);
    p = GEN_PUTS(p, "\",\"event_id\":\"");
    p = gen_put_u64(p, (uint64_t)id);
    p = GEN_PUTS(p, "\",\"record_id\":\"");
    p = gen_put_u64(p, record);
    p = GEN_PUTS(p, "\",\"provider_name\":\"" PROVIDER "\",\"provider_guid\":\"" PROV_GUID "\","
                    "\"api\":\"wineventlog\",\"keywords\":[\"Audit Success\"],");
    return p;
}

static char *json_kv(char *p, const char *name, size_t nn, const char *val, size_t vn, int comma)
{
    if (comma)
        *p++ = ',';
    *p++ = '"';
    p = gen_put(p, name, nn);
    p = GEN_PUTS(p, "\":\"");
    for (size_t i = 0; i < vn; i++) {
        if (val[i] == '\\' || val[i] == '"')
            *p++ = '\\';
        *p++ = val[i];
    }
    *p++ = '"';
    return p;
}
#define JD(p, name, val, n) json_kv((p), (name), sizeof(name) - 1, (val), (n), 1)
#define JL(p, name, lit) json_kv((p), (name), sizeof(name) - 1, (lit), sizeof(lit) - 1, 1)

static char *json_user(char *p, const struct fields *v, const char *domain)
{
    p = GEN_PUTS(p, ",\"user\":{\"name\":\"");
    p = gen_put(p, v->user, v->nuser);
    p = GEN_PUTS(p, "\",\"domain\":\"");
    p = gen_put(p, domain, strlen(domain));
    p = GEN_PUTS(p, "\",\"id\":\"");
    p = gen_put(p, v->sid, v->nsid);
    return GEN_PUTS(p, "\"}");
}

static char *json_source(char *p, const struct fields *v, int host)
{
    p = GEN_PUTS(p, ",\"source\":{\"ip\":\"");
    p = gen_put(p, v->ip, v->nip);
    p = GEN_PUTS(p, "\",\"port\":");
    p = gen_put_u64(p, v->port);
    if (host) {
        p = GEN_PUTS(p, ",\"domain\":\"");
        p = gen_put(p, v->host, v->nhost);
        *p++ = '"';
    }
    p = GEN_PUTS(p, "},\"related\":{\"ip\":[\"");
    p = gen_put(p, v->ip, v->nip);
    p = GEN_PUTS(p, "\"],\"user\":[\"");
    p = gen_put(p, v->user, v->nuser);
    return GEN_PUTS(p, "\"]}");
}

/* winlog.logon and the start of winlog.event_data */
static char *json_logon(char *p, const struct fields *v, int rdp)
{
    p = GEN_PUTS(p, "\"logon\":{\"id\":\"");
    p = gen_put(p, v->logon_id, v->nlogon_id);
    p = rdp ? GEN_PUTS(p, "\",\"type\":\"RemoteInteractive\"},") : GEN_PUTS(p, "\",\"type\":\"Network\"},");
    return GEN_PUTS(p, "\"event_data\":{");
}

static char *json_target(char *p, const struct fields *v, int comma)
{
    p = json_kv(p, "TargetUserSid", 13, v->sid, v->nsid, comma);
    p = JD(p, "TargetUserName", v->user, v->nuser);
    p = JL(p, "TargetDomainName", GEN_NT_DOMAIN);
    return JD(p, "TargetLogonId", v->logon_id, v->nlogon_id);
}

/* ---------------------------------------------------------------- events */

/* One event line into server k's file: id 4624/4634/4647/4768. */
static int put_event(struct winsec *w, const gen_happening *h, int k, int id, int rdp,
                     const struct fields *v, ipl_diag *d)
{
    struct server *sv = &w->srv[h->site->index * NSRV + k];
    gen_file *f = &sv->df.f;
    if (f->fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", srv_name(h->site, k));
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    const char *computer = srv_name(h->site, k);
    uint32_t frac = gen_frac_next(&sv->df.fr, h->t, 10000000);
    uint64_t record = sv->record++;
    char port[8];
    size_t np = (size_t)(gen_put_u64(port, v->port) - port);
    char *p = f->buf + f->len, *start = p;
    if (!h->site->dc_json) {
        int task = id == 4768 ? 14339 : id == 4624 ? 12544 : 12545;
        p = xml_head(p, id, id == 4624 ? 2 : 0, task, h->t, frac, record, computer);
        switch (id) {
        case 4624:
            p = xml_4624(p, v, rdp);
            break;
        case 4634:
        case 4647:
            p = XD(p, "TargetUserSid", v->sid, v->nsid);
            p = XD(p, "TargetUserName", v->user, v->nuser);
            p = XL(p, "TargetDomainName", GEN_NT_DOMAIN);
            p = XD(p, "TargetLogonId", v->logon_id, v->nlogon_id);
            if (id == 4634)
                p = rdp ? XL(p, "LogonType", "10") : XL(p, "LogonType", "3");
            break;
        default: {                                  /* 4768 */
            char ip[24];
            memcpy(ip, "::ffff:", 7);
            memcpy(ip + 7, v->ip, v->nip);
            p = XD(p, "TargetUserName", v->user, v->nuser);
            p = XL(p, "TargetDomainName", REALM);
            p = XD(p, "TargetSid", v->sid, v->nsid);
            p = XL(p, "ServiceName", "krbtgt");
            p = XL(p, "ServiceSid", DOMAIN_SID "-502");
            p = XL(p, "TicketOptions", "0x40810010");
            p = XL(p, "Status", "0x0");
            p = XL(p, "TicketEncryptionType", "0x12");
            p = XL(p, "PreAuthType", "2");
            p = XD(p, "IpAddress", ip, v->nip + 7);
            p = XD(p, "IpPort", port, np);
            p = XL(p, "CertIssuerName", "");
            p = XL(p, "CertSerialNumber", "");
            p = XL(p, "CertThumbprint", "");
            break;
        }
        }
        p = GEN_PUTS(p, "</EventData></Event>\n");
    } else {
        switch (id) {
        case 4624:
            p = json_head(p, id, "logged-in", "start", h->t, frac, record, computer);
            p = json_logon(p, v, rdp);
            p = rdp ? json_kv(p, "SubjectUserSid", 14, "S-1-5-18", 8, 0)
                    : json_kv(p, "SubjectUserSid", 14, "S-1-0-0", 7, 0);
            p = rdp ? JL(p, "SubjectUserName", "RDS$") : JL(p, "SubjectUserName", "-");
            p = rdp ? JL(p, "SubjectDomainName", "CONTOSO") : JL(p, "SubjectDomainName", "-");
            p = rdp ? JL(p, "SubjectLogonId", "0x3e7") : JL(p, "SubjectLogonId", "0x0");
            p = json_target(p, v, 1);
            p = rdp ? JL(p, "LogonType", "10") : JL(p, "LogonType", "3");
            p = rdp ? JL(p, "LogonProcessName", "User32 ") : JL(p, "LogonProcessName", "Kerberos");
            p = rdp ? JL(p, "AuthenticationPackageName", "Negotiate")
                    : JL(p, "AuthenticationPackageName", "Kerberos");
            p = JD(p, "WorkstationName", v->host, v->nhost);
            p = JD(p, "LogonGuid", v->guid, v->nguid);
            p = JL(p, "TransmittedServices", "-");
            p = JL(p, "LmPackageName", "-");
            p = JL(p, "KeyLength", "0");
            p = rdp ? JL(p, "ProcessId", "0x1f4") : JL(p, "ProcessId", "0x0");
            p = rdp ? JL(p, "ProcessName", "C:\\Windows\\System32\\svchost.exe")
                    : JL(p, "ProcessName", "-");
            p = JD(p, "IpAddress", v->ip, v->nip);
            p = JD(p, "IpPort", port, np);
            p = JL(p, "ImpersonationLevel", "%%1833");
            p = JL(p, "VirtualAccount", "%%1843");
            p = JL(p, "TargetLinkedLogonId", "0x0");
            p = rdp ? JL(p, "ElevatedToken", "%%1842") : JL(p, "ElevatedToken", "%%1843");
            p = GEN_PUTS(p, "}}");
            p = json_source(p, v, 1);
            p = json_user(p, v, GEN_NT_DOMAIN);
            break;
        case 4634:
        case 4647:
            p = json_head(p, id, "logged-out", "end", h->t, frac, record, computer);
            p = json_logon(p, v, rdp);
            p = json_target(p, v, 0);
            if (id == 4634)
                p = rdp ? JL(p, "LogonType", "10") : JL(p, "LogonType", "3");
            p = GEN_PUTS(p, "}}");
            p = json_user(p, v, GEN_NT_DOMAIN);
            break;
        default:                                    /* 4768 */
            p = json_head(p, id, "kerberos-authentication-ticket-requested", "start", h->t, frac,
                          record, computer);
            p = GEN_PUTS(p, "\"event_data\":{");
            p = json_kv(p, "TargetUserName", 14, v->user, v->nuser, 0);
            p = JL(p, "TargetDomainName", REALM);
            p = JD(p, "TargetSid", v->sid, v->nsid);
            p = JL(p, "ServiceName", "krbtgt");
            p = JL(p, "ServiceSid", DOMAIN_SID "-502");
            p = JL(p, "TicketOptions", "0x40810010");
            p = JL(p, "Status", "0x0");
            p = JL(p, "TicketEncryptionType", "0x12");
            p = JL(p, "PreAuthType", "2");
            p = GEN_PUTS(p, ",\"IpAddress\":\"::ffff:");
            p = gen_put(p, v->ip, v->nip);
            *p++ = '"';
            p = JD(p, "IpPort", port, np);
            p = GEN_PUTS(p, "}}");
            p = json_source(p, v, 0);
            p = json_user(p, v, REALM);
            break;
        }
        p = GEN_PUTS(p, "}\n");
    }
    f->len += (size_t)(p - start);
    w->c.rows++;
    return IPL_OK;
}

static int ws_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct winsec *w = state;
    if (!w->active)
        return IPL_OK;
    if (h->kind == GEN_H_DAY)
        return ws_day(w, h->site, h->day, d);
    if ((h->kind != GEN_H_LOGON && h->kind != GEN_H_LOGOFF)
        || (h->via != GEN_VIA_DC && h->via != GEN_VIA_RDP))
        return IPL_OK;
    struct fields v;
    fill(&v, h);
    int rc, rdp = h->via == GEN_VIA_RDP, k = rdp ? SRV_RDS : SRV_DC;
    if (h->kind == GEN_H_LOGON) {
        if (!rdp && (rc = put_event(w, h, k, 4768, 0, &v, d)) != IPL_OK)
            return rc;
        return put_event(w, h, k, 4624, rdp, &v, d);
    }
    if (rdp && (rc = put_event(w, h, k, 4647, 1, &v, d)) != IPL_OK)
        return rc;
    return put_event(w, h, k, 4634, rdp, &v, d);
}

static int ws_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct winsec *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->active = ctx->mix == GEN_MIX_ALL;
    w->srv = calloc((size_t)ctx->nsites * NSRV, sizeof *w->srv);
    if (!w->srv) {
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ctx->nsites * NSRV; i++) {
        gen_dayfile init = GEN_DAYFILE_INIT;
        w->srv[i].df = init;
        w->srv[i].record = 1000000 + (uint64_t)i * 7919;
    }
    w->cap = gen_bufcap(ctx->nsites * NSRV);
    *state = w;
    return IPL_OK;
}

static int ws_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct winsec *w = state;
    int rc = IPL_OK;
    for (int i = 0; w->active && i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        for (int k = 0; k < NSRV && !rc; k++) {
            char dir[GEN_PATH_MAX];
            rc = gen_dayfile_close(&w->srv[i * NSRV + k].df, &w->c, d);
            if (!rc)
                rc = gen_path(dir, sizeof dir, d, "%s/%s", folder(site), srv_name(site, k));
            if (!rc)
                rc = gen_source_line(sources, dir, folder(site), "UTC", srv_name(site, k), d);
        }
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void ws_free(void *state)
{
    struct winsec *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites * NSRV; i++)
        gen_file_close(&w->srv[i].df.f, NULL);
    free(w->srv);
    free(w);
}

const gen_writer_ops gen_out_winsec = {
    .name = "winsec",
    .open = ws_open,
    .emit = ws_emit,
    .finish = ws_finish,
    .free = ws_free,
};
