/* parsers/winsec.c — Windows Security log logon and authentication events, as the registry entries
 * "winsec-xml" (the event XML) and "winsec-json" (Winlogbeat/Elastic Agent ECS and NXLog JSON).
 * Spec: FORMATS.md sections 5 and 9.
 *
 * XML: one <Event> per line (Get-WinEvent .ToXml(), WEF, Event Viewer copies with "- " outline
 * markers), or wevtutil's <Events> document, possibly pretty-printed, one <Event> over many lines:
 * parsers/xml.h's record stream accumulates it (bounded to WS_RECORD_MAX) and pending() is 1
 * meanwhile; finish() reports a half-read <Event>. Records are read with ipl_winevent_parse:
 * EventData by Name, never by position. TimeCreated/@SystemTime is UTC (a fraction of up to 9
 * digits is cut to microseconds; an explicit offset is honoured).
 *
 * JSON, one object per line (cJSON through parsers/jsonev.h, kept inside the JSON section):
 *   Winlogbeat: winlog.event_id (string or number; else event.code), winlog.computer_name,
 *     winlog.record_id, winlog.provider_name, winlog.event_data.<Name>, winlog.user_data, and
 *     @timestamp (UTC). ECS fields stand in for event_data names the ingest pipeline moved or
 *     dropped: source.ip -> IpAddress, source.port -> IpPort, source.domain -> WorkstationName,
 *     winlog.logon.id -> TargetLogonId (SubjectLogonId for 4648/4672), winlog.logon.type (name or
 *     number) -> LogonType, user.name/user.domain -> TargetUserName/TargetDomainName
 *     (Subject* for 4648/4672; user.effective.* -> Target* for 4648), user.id -> the user's SID.
 *   NXLog (im_msvistalog + to_json): flat; EventID, Hostname, EventTime (with an offset, or local
 *     time of the source's zone, resolved with ctx->tz and ctx->last_ts), RecordNumber,
 *     SourceName, and every EventData name at the top level.
 *   Numbers are accepted where strings are expected.
 *
 * Events (code = EventID; record_id = EventRecordID on every event; server = Computer, else
 * --server; records of another provider, or with another ID, emit nothing but must still be
 * well formed: XML, a numeric EventID, a valid time):
 *   4624 logon          user TargetDomainName\TargetUserName, ip IpAddress, host WorkstationName,
 *                       logon_id TargetLogonId, logon_type LogonType, port IpPort, method
 *                       AuthenticationPackageName, user_sid TargetUserSid, linked_logon_id
 *                       TargetLinkedLogonId (not 0x0), logon_guid LogonGuid (not all zero),
 *                       program ProcessName
 *   4625 logon.fail     as 4624 without the ids; status Status, substatus SubStatus, reason
 *                       FailureReason
 *   4634 4647 logoff    user, logon_id TargetLogonId, logon_type (4634), user_sid. Pairing with
 *                       4624 by (Computer, TargetLogonId) is left to queries.
 *   4648 logon.explicit user = the credentials used (Target*), subject = the caller
 *                       (SubjectDomainName\SubjectUserName), logon_id SubjectLogonId, ip, port,
 *                       target_server TargetServerName, logon_guid, program
 *   4672 auth.privileged user Subject*, logon_id SubjectLogonId, user_sid, privileges PrivilegeList
 *   4768 4769 4770 auth.kerberos (auth.fail when Status != 0x0): user REALM\name (a "name@REALM"
 *                       TargetUserName is split at its last '@'; else TargetDomainName), ip, port,
 *                       status, service ServiceName, user_sid TargetSid, logon_guid (4769)
 *   4771 auth.fail      user REALM\name with the realm from ServiceName "krbtgt/REALM", ip, port,
 *                       status, service, user_sid
 *   4776 auth.ntlm (auth.fail when Status != 0x0): user TargetUserName (no domain is logged),
 *                       host Workstation without a leading "\\" (an IP literal there goes to ip
 *                       instead; the raw value is kept in "workstation" when it was changed),
 *                       status, method PackageName
 * Every event whose user is a computer account (NAME$) carries account_type "machine"; SYSTEM,
 * LOCAL SERVICE, NETWORK SERVICE, ANONYMOUS LOGON, DWM-*, UMFD-* and the NT AUTHORITY, Window
 * Manager and Font Driver Host domains carry account_type "builtin" (kept as users; queries
 * decide whether to attribute them).
 *
 * Normalisation: "-" and empty values are absent; values are trimmed of blanks; IpAddress goes
 * through ipl_ip_parse (::ffff: and %zone stripped; loopback kept); logon ids and Status/SubStatus
 * must be 0x-hex (at most 16 digits) and are lowercased so renderings pair up; IpPort and LogonType
 * must be decimal; "user" is DOMAIN\name as logged (a name that already holds '\' is kept whole).
 *
 * Errors (IPL_EPARSE, the reason names the field and the byte): malformed XML (xml.h), invalid
 * JSON (with the byte cJSON stopped at), a JSON line with NUL bytes, invalid UTF-8 or "\u0000",
 * trailing data after the object, a JSON value that is not an object or is neither Winlogbeat nor
 * NXLog, a missing or non-numeric EventID, a missing or malformed time, a missing Computer (without
 * --server), a field that fails its check above, strings over IPL_STR_MAX (host, user, server) or
 * IPL_ATTR_VAL_MAX (attributes), records over WS_RECORD_MAX / lines over WS_JSON_MAX bytes.
 *
 * Pure: no I/O, no clock; the only heap memory is the record stream's buffer in the state (XML)
 * and cJSON's tree (JSON, freed before returning). cJSON itself records its last error in a global.
 * Strings: host, user, server and normalised ids are copied into ctx->arena; other attributes point
 * into the line, the stream's buffer, the XML scratch or the cJSON tree, all alive until emit returns.
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

#define WS_RECORD_MAX ((size_t)1 << 20)   /* bytes of one accumulated <Event> */
#define WS_JSON_MAX   ((size_t)1 << 20)   /* bytes of one JSON line */
#define WS_QUOTE_MAX  48                  /* bytes of a value shown in a message */

typedef ipl_xml_str wstr;

static const wstr none = {NULL, 0};

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static wstr trim(wstr s)
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

static int eq_ci(wstr s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

static int prefix_ci(wstr s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && eq_ci((wstr){s.p, n}, lit);
}

/* A value for messages: printable ASCII as is, other bytes as \xNN, cut after WS_QUOTE_MAX. */
#define QBUF (4 * WS_QUOTE_MAX + 4)
static const char *quote(char *buf, wstr v)
{
    return ipl_text_quote(buf, v.p, v.n, WS_QUOTE_MAX);
}

static int bad(ipl_diag *d, const char *field, wstr v, const char *what)
{
    char q[QBUF];
    return ipl_diag_set(d, IPL_EPARSE, "%s '%s' %s", field, quote(q, v), what);
}

static int too_long(ipl_diag *d, const char *field, size_t n, size_t max)
{
    return ipl_diag_set(d, IPL_EPARSE, "%s is %zu bytes long, longer than the %zu-byte limit",
                        field, n, max);
}

/* The value of a data field: trimmed; none when absent, empty or "-". */
static wstr get(const ipl_winevent *w, const char *name)
{
    if (!name)
        return none;
    const wstr *v = ipl_winevent_get(w, name);
    if (!v)
        return none;
    wstr t = trim(*v);
    if (t.n == 0 || (t.n == 1 && t.p[0] == '-'))
        return none;
    return t;
}

static int copy_str(ipl_parse_ctx *ctx, const char *field, wstr v, const char **out, ipl_diag *d)
{
    if (!v.p)
        return IPL_OK;
    if (v.n >= IPL_STR_MAX)
        return too_long(d, field, v.n, IPL_STR_MAX - 1);
    char *s = ipl_arena_strndup(ctx->arena, v.p, v.n);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", field);
    *out = s;
    return IPL_OK;
}

static int add(ipl_event *ev, unsigned key, const char *field, wstr v, ipl_diag *d)
{
    if (!v.p)
        return IPL_OK;
    if (v.n > IPL_ATTR_VAL_MAX)
        return too_long(d, field, v.n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, v.p, v.n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event at %s", field);
    return IPL_OK;
}

static int all_digits(wstr v, size_t max)
{
    if (v.n == 0 || v.n > max)
        return 0;
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return 0;
    return 1;
}

/* "0x1A2b" -> "0x1a2b" in the arena; *zero = all digits are 0. */
static int hex_id(ipl_parse_ctx *ctx, const char *field, wstr v, wstr *out, int *zero,
                  ipl_diag *d)
{
    *out = none;
    if (!v.p)
        return IPL_OK;
    if (v.n < 3 || v.n > 18 || v.p[0] != '0' || lower((unsigned char)v.p[1]) != 'x')
        return bad(d, field, v, "is not a 0x-prefixed hexadecimal number");
    char *s = ipl_arena_alloc(ctx->arena, v.n);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying %s", field);
    s[0] = '0';
    s[1] = 'x';
    int z = 1;
    for (size_t i = 2; i < v.n; i++) {
        int h = ipl_text_hex((unsigned char)v.p[i]);
        if (h < 0)
            return bad(d, field, v, "is not a 0x-prefixed hexadecimal number");
        if (h)
            z = 0;
        s[i] = "0123456789abcdef"[h];
    }
    if (zero)
        *zero = z;
    out->p = s;
    out->n = v.n;
    return IPL_OK;
}

/* ---- identities -------------------------------------------------------------------------- */

static const char *account_type(wstr domain, wstr name)
{
    if (name.n && name.p[name.n - 1] == '$')
        return "machine";
    static const char *const names[] = {"SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE",
                                        "ANONYMOUS LOGON"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (eq_ci(name, names[i]))
            return "builtin";
    if (prefix_ci(name, "DWM-") || prefix_ci(name, "UMFD-"))
        return "builtin";
    if (eq_ci(domain, "NT AUTHORITY") || eq_ci(domain, "Window Manager") ||
        eq_ci(domain, "Font Driver Host"))
        return "builtin";
    return NULL;
}

/* DOMAIN\name into the arena; `upn`: a name@REALM is split and REALM is the domain. Sets
 * *type to the account type. */
static int make_user(ipl_parse_ctx *ctx, wstr domain, wstr name, int upn, const char **out,
                     const char **type, ipl_diag *d)
{
    *out = NULL;
    *type = NULL;
    if (!name.p)
        return IPL_OK;
    if (upn) {
        const char *at = NULL;
        for (size_t i = 0; i < name.n; i++)
            if (name.p[i] == '@')
                at = name.p + i;
        if (at && at > name.p && at + 1 < name.p + name.n) {
            domain.p = at + 1;
            domain.n = (size_t)(name.p + name.n - domain.p);
            name.n = (size_t)(at - name.p);
        }
    }
    if (memchr(name.p, '\\', name.n)) {
        const char *bs = memchr(name.p, '\\', name.n);
        domain = (wstr){name.p, (size_t)(bs - name.p)};
        *type = account_type(domain, (wstr){bs + 1, (size_t)(name.p + name.n - bs - 1)});
        return copy_str(ctx, "user", name, out, d);
    }
    *type = account_type(domain, name);
    if (!domain.p)
        return copy_str(ctx, "user", name, out, d);
    size_t n = domain.n + 1 + name.n;
    if (n >= IPL_STR_MAX)
        return too_long(d, "user", n, IPL_STR_MAX - 1);
    char *s = ipl_arena_alloc(ctx->arena, n + 1);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the user");
    memcpy(s, domain.p, domain.n);
    s[domain.n] = '\\';
    memcpy(s + domain.n + 1, name.p, name.n);
    s[n] = '\0';
    *out = s;
    return IPL_OK;
}

/* ---- the event table --------------------------------------------------------------------- */

enum {
    F_KERB_STATUS = 1,      /* Status != 0x0 -> auth.fail */
    F_UPN = 2,              /* TargetUserName may be name@REALM */
    F_REALM_SVC = 4,        /* the realm is in ServiceName "krbtgt/REALM" */
    F_WORKSTATION = 8,      /* 4776: host from Workstation */
};

typedef struct ws_spec {
    unsigned    id;
    uint16_t    kind;
    unsigned    flags;
    const char *uname, *udomain;        /* ev->user */
    const char *ip, *port, *host;
    const char *logon_id, *logon_type;
    const char *status, *substatus, *reason;
    const char *service, *method, *sid, *linked, *guid, *program;
    const char *sname, *sdomain;        /* subject (4648) */
    const char *target_server, *privileges;
} ws_spec;

#define TGT "TargetUserName", "TargetDomainName"
#define SUBJ "SubjectUserName", "SubjectDomainName"

static const ws_spec specs[] = {
    {4624, IPL_K_LOGON, 0, TGT, "IpAddress", "IpPort", "WorkstationName", "TargetLogonId",
     "LogonType", NULL, NULL, NULL, NULL, "AuthenticationPackageName", "TargetUserSid",
     "TargetLinkedLogonId", "LogonGuid", "ProcessName", NULL, NULL, NULL, NULL},
    {4625, IPL_K_LOGON_FAIL, 0, TGT, "IpAddress", "IpPort", "WorkstationName", NULL, "LogonType",
     "Status", "SubStatus", "FailureReason", NULL, "AuthenticationPackageName", "TargetUserSid",
     NULL, NULL, "ProcessName", NULL, NULL, NULL, NULL},
    {4634, IPL_K_LOGOFF, 0, TGT, NULL, NULL, NULL, "TargetLogonId", "LogonType", NULL, NULL, NULL,
     NULL, NULL, "TargetUserSid", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {4647, IPL_K_LOGOFF, 0, TGT, NULL, NULL, NULL, "TargetLogonId", NULL, NULL, NULL, NULL, NULL,
     NULL, "TargetUserSid", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {4648, IPL_K_LOGON_EXPLICIT, 0, TGT, "IpAddress", "IpPort", NULL, "SubjectLogonId", NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, "LogonGuid", "ProcessName", SUBJ, "TargetServerName",
     NULL},
    {4672, IPL_K_AUTH_PRIV, 0, SUBJ, NULL, NULL, NULL, "SubjectLogonId", NULL, NULL, NULL, NULL,
     NULL, NULL, "SubjectUserSid", NULL, NULL, NULL, NULL, NULL, NULL, "PrivilegeList"},
    {4768, IPL_K_AUTH_KERBEROS, F_KERB_STATUS | F_UPN, TGT, "IpAddress", "IpPort", NULL, NULL, NULL,
     "Status", NULL, NULL, "ServiceName", NULL, "TargetSid", NULL, NULL, NULL, NULL, NULL, NULL,
     NULL},
    {4769, IPL_K_AUTH_KERBEROS, F_KERB_STATUS | F_UPN, TGT, "IpAddress", "IpPort", NULL, NULL, NULL,
     "Status", NULL, NULL, "ServiceName", NULL, NULL, NULL, "LogonGuid", NULL, NULL, NULL, NULL,
     NULL},
    {4770, IPL_K_AUTH_KERBEROS, F_KERB_STATUS | F_UPN, TGT, "IpAddress", "IpPort", NULL, NULL, NULL,
     "Status", NULL, NULL, "ServiceName", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {4771, IPL_K_AUTH_FAIL, F_UPN | F_REALM_SVC, "TargetUserName", NULL, "IpAddress", "IpPort", NULL,
     NULL, NULL, "Status", NULL, NULL, "ServiceName", NULL, "TargetSid", NULL, NULL, NULL, NULL,
     NULL, NULL, NULL},
    {4776, IPL_K_AUTH_NTLM, F_KERB_STATUS | F_WORKSTATION, "TargetUserName", NULL, NULL, NULL,
     "Workstation", NULL, NULL, "Status", NULL, NULL, NULL, "PackageName", NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL},
};

static const ws_spec *spec_of(unsigned id)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (specs[i].id == id)
            return &specs[i];
    return NULL;
}

/* EventID text -> number (1-5 digits, <= 65535). */
static int parse_id(wstr v, unsigned *id, ipl_diag *d)
{
    v = trim(v);
    if (!v.p)
        return ipl_diag_set(d, IPL_EPARSE, "missing EventID");
    if (!all_digits(v, 5))
        return bad(d, "EventID", v, "is not an event number");
    unsigned r = 0;
    for (size_t i = 0; i < v.n; i++)
        r = r * 10 + (unsigned)(v.p[i] - '0');
    if (r > 65535)
        return bad(d, "EventID", v, "is not an event number");
    *id = r;
    return IPL_OK;
}

/* A record's time: civil + offset; `local` when a time without offset is the source's zone. */
typedef struct ws_time {
    ipl_civil c;
    int       has_offset, offset_s, local;
} ws_time;

static int parse_time(const char *field, wstr v, int local, ws_time *t, ipl_diag *d)
{
    v = trim(v);
    if (!v.p || v.n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "missing %s", field);
    if (!ipl_winevent_time(v.p, v.n, &t->c, &t->has_offset, &t->offset_s))
        return bad(d, field, v, "is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SS[.fffffff][Z])");
    t->local = local;
    return IPL_OK;
}

static int resolve_time(ipl_parse_ctx *ctx, const ws_time *t, int64_t *us, ipl_diag *d)
{
    if (t->has_offset || !t->local) {
        *us = ipl_civil_to_us(&t->c) - (int64_t)t->offset_s * IPL_US_PER_SEC;
        return IPL_OK;
    }
    if (ipl_tz_resolve(ctx->tz, &t->c, &ctx->last_ts, us) != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "local time %04d-%02d-%02d %02d:%02d:%02d cannot be "
                            "converted to UTC", t->c.year, t->c.mon, t->c.day, t->c.hour, t->c.min,
                            t->c.sec);
    return IPL_OK;
}

/* Fields of one record -> one event (or none). */
static int ws_build(ipl_parse_ctx *ctx, const ipl_winevent *w, unsigned id, const ws_time *tm,
                    ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    const ws_spec *sp = spec_of(id);
    if (!sp)
        return IPL_OK;                                  /* another event: nothing to emit */
    wstr prov = trim(w->provider);
    if (prov.n && !eq_ci(prov, "Microsoft-Windows-Security-Auditing"))
        return IPL_OK;                                  /* same ID, another provider */

    ipl_event ev;
    ipl_event_reset(&ev);
    ev.kind = sp->kind;
    int rc;
    wstr code = trim(w->event_id), rec = trim(w->record_id);
    if ((rc = add(&ev, IPL_A_CODE, "EventID", code, d)) != IPL_OK)
        return rc;
    if (rec.n && !all_digits(rec, 20))
        return bad(d, "EventRecordID", rec, "is not a decimal number");
    if ((rc = add(&ev, IPL_A_RECORD_ID, "EventRecordID", rec.n ? rec : none, d)) != IPL_OK)
        return rc;

    /* server */
    wstr comp = trim(w->computer);
    if (comp.n) {
        if ((rc = copy_str(ctx, "Computer", comp, &ev.server, d)) != IPL_OK)
            return rc;
    } else if (ctx->server) {
        ev.server = ctx->server;
    } else {
        return ipl_diag_set(d, IPL_EPARSE, "missing Computer (the server) in event %u", id);
    }

    /* user */
    wstr uname = get(w, sp->uname), udom = get(w, sp->udomain);
    if (sp->flags & F_REALM_SVC) {
        wstr svc = get(w, sp->service);
        if (svc.n > 7 && prefix_ci(svc, "krbtgt/"))
            udom = (wstr){svc.p + 7, svc.n - 7};
    }
    const char *atype;
    if ((rc = make_user(ctx, udom, uname, (sp->flags & F_UPN) != 0, &ev.user, &atype, d)) != IPL_OK)
        return rc;
    if (atype && (rc = add(&ev, IPL_A_ACCOUNT_TYPE, "account type", (wstr){atype, strlen(atype)},
                           d)) != IPL_OK)
        return rc;
    if (sp->sname) {
        const char *subj, *stype;
        if ((rc = make_user(ctx, get(w, sp->sdomain), get(w, sp->sname), 0, &subj, &stype, d)) !=
            IPL_OK)
            return rc;
        if (subj && (rc = add(&ev, IPL_A_SUBJECT, "subject", (wstr){subj, strlen(subj)}, d)) != IPL_OK)
            return rc;
    }

    /* address, port, host */
    wstr ip = get(w, sp->ip);
    if (ip.p) {
        if (ipl_ip_parse(ip.p, ip.n, ev.ip) != IPL_OK)
            return bad(d, sp->ip, ip, "is not an IP address");
        ev.has_ip = 1;
    }
    wstr port = get(w, sp->port);
    if (port.p && !all_digits(port, 5))
        return bad(d, sp->port, port, "is not a port number");
    if ((rc = add(&ev, IPL_A_PORT, "IpPort", port, d)) != IPL_OK)
        return rc;
    wstr host = get(w, sp->host);
    if (host.p && (sp->flags & F_WORKSTATION)) {
        wstr raw = host;
        while (host.n && host.p[0] == '\\') {
            host.p++;
            host.n--;
        }
        uint8_t tmp[16];
        if (host.n && ipl_ip_parse(host.p, host.n, tmp) == IPL_OK) {
            memcpy(ev.ip, tmp, 16);
            ev.has_ip = 1;
            host = none;
        } else if (host.n == 0) {
            host = none;
        }
        if (host.p != raw.p || host.n != raw.n)
            if ((rc = add(&ev, IPL_A_WORKSTATION, sp->host, raw, d)) != IPL_OK)
                return rc;
    }
    if ((rc = copy_str(ctx, sp->host ? sp->host : "host", host, &ev.host, d)) != IPL_OK)
        return rc;

    /* ids and codes */
    wstr v;
    int zero = 0;
    if ((rc = hex_id(ctx, sp->logon_id, get(w, sp->logon_id), &v, NULL, d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_LOGON_ID, sp->logon_id, v, d)) != IPL_OK)
        return rc;
    if ((rc = hex_id(ctx, sp->linked, get(w, sp->linked), &v, &zero, d)) != IPL_OK ||
        (!zero && (rc = add(&ev, IPL_A_LINKED_LOGON_ID, sp->linked, v, d)) != IPL_OK))
        return rc;
    wstr lt = get(w, sp->logon_type);
    if (lt.p && !all_digits(lt, 2))
        return bad(d, sp->logon_type, lt, "is not a logon type number");
    if ((rc = add(&ev, IPL_A_LOGON_TYPE, "LogonType", lt, d)) != IPL_OK)
        return rc;
    zero = 1;
    if ((rc = hex_id(ctx, sp->status, get(w, sp->status), &v, &zero, d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_STATUS, sp->status, v, d)) != IPL_OK)
        return rc;
    if ((sp->flags & F_KERB_STATUS) && v.p && !zero)
        ev.kind = IPL_K_AUTH_FAIL;
    if ((rc = hex_id(ctx, sp->substatus, get(w, sp->substatus), &v, NULL, d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_SUBSTATUS, sp->substatus, v, d)) != IPL_OK)
        return rc;
    if ((rc = add(&ev, IPL_A_REASON, "FailureReason", get(w, sp->reason), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_SERVICE, "ServiceName", get(w, sp->service), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_METHOD, "authentication package", get(w, sp->method), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_PROGRAM, "ProcessName", get(w, sp->program), d)) != IPL_OK ||
        (rc = add(&ev, IPL_A_TARGET_SERVER, "TargetServerName", get(w, sp->target_server), d)) !=
            IPL_OK ||
        (rc = add(&ev, IPL_A_PRIVILEGES, "PrivilegeList", get(w, sp->privileges), d)) != IPL_OK)
        return rc;
    wstr sid = get(w, sp->sid);
    if (sid.p && !eq_ci(sid, "S-1-0-0") &&
        (rc = add(&ev, IPL_A_USER_SID, sp->sid, sid, d)) != IPL_OK)
        return rc;
    wstr guid = get(w, sp->guid);
    if (guid.p && !eq_ci(guid, "{00000000-0000-0000-0000-000000000000}") &&
        (rc = add(&ev, IPL_A_LOGON_GUID, "LogonGuid", guid, d)) != IPL_OK)
        return rc;

    if ((rc = resolve_time(ctx, tm, &ev.ts, d)) != IPL_OK)
        return rc;
    return emit(emit_ctx, &ev);
}

/* ---- XML --------------------------------------------------------------------------------- */

typedef struct ws_state {
    ipl_xml_stream xs;
    ipl_winevent   w;
} ws_state;

typedef struct ws_call {
    ws_state      *st;
    ipl_parse_ctx *ctx;
    ipl_emit_fn    emit;
    void          *emit_ctx;
} ws_call;

static int xml_record(void *arg, const char *p, size_t n, size_t base, ipl_diag *d)
{
    ws_call *c = arg;
    ipl_winevent *w = &c->st->w;
    int rc = ipl_winevent_parse(p, n, base, c->ctx->arena, w, d);
    if (rc != IPL_OK)
        return rc;
    unsigned id;
    ws_time tm;
    if ((rc = parse_id(w->event_id, &id, d)) != IPL_OK)
        return rc;
    if (!w->system_time.p)
        return ipl_diag_set(d, IPL_EPARSE, "missing <TimeCreated SystemTime=...> in event %u", id);
    if ((rc = parse_time("TimeCreated SystemTime", w->system_time, 0, &tm, d)) != IPL_OK)
        return rc;
    return ws_build(c->ctx, w, id, &tm, c->emit, c->emit_ctx, d);
}

static void ws_xml_init(void *state, ipl_parse_ctx *ctx)
{
    ws_state *st = state;
    ipl_xml_stream_init(&st->xs, "Event", "Events", WS_RECORD_MAX);
}

static int ws_xml_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                       ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    ws_call c = {state, ctx, emit, emit_ctx};
    return ipl_xml_stream_line(&((ws_state *)state)->xs, line, len, xml_record, &c, d);
}

static int ws_xml_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx,
                         ipl_diag *d)
{
    return ipl_xml_stream_finish(&((ws_state *)state)->xs, d);
}

static int ws_xml_pending(const void *state)
{
    return ipl_xml_stream_pending(&((const ws_state *)state)->xs);
}

static void ws_xml_release(void *state)
{
    ipl_xml_stream_release(&((ws_state *)state)->xs);
}

/* ---- JSON (every cJSON call is in this section; reading helpers: parsers/jsonev.h) -------- */

#define jget  ipl_jsonev_get           /* member of an object, NULL-safe: jget(jget(o, "a"), "b") */
#define jtext ipl_jsonev_text          /* a string or number as text; none otherwise */

static int jdata_add(ipl_winevent *w, const char *name, wstr v, ipl_diag *d)
{
    if (!v.p)
        return IPL_OK;
    if (w->ndata == IPL_WINEVENT_DATA_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "more than %d data fields in the record",
                            IPL_WINEVENT_DATA_MAX);
    w->data[w->ndata].name = (wstr){name, strlen(name)};
    w->data[w->ndata].value = v;
    w->ndata++;
    return IPL_OK;
}

/* Every scalar member of object o as a data pair. */
static int jdata_all(ipl_parse_ctx *ctx, const cJSON *o, ipl_winevent *w, ipl_diag *d)
{
    if (!cJSON_IsObject(o))
        return IPL_OK;
    for (const cJSON *m = o->child; m; m = m->next) {
        if (!m->string)
            continue;
        int rc = jdata_add(w, m->string, jtext(ctx, m), d);
        if (rc != IPL_OK)
            return rc;
    }
    return IPL_OK;
}

/* An ECS field standing in for a missing event_data name. */
static int jfallback(ipl_parse_ctx *ctx, ipl_winevent *w, const char *name, const cJSON *v,
                     ipl_diag *d)
{
    if (ipl_winevent_get(w, name))
        return IPL_OK;
    return jdata_add(w, name, jtext(ctx, v), d);
}

static const char *const logon_type_names[] = {
    "System", NULL, "Interactive", "Network", "Batch", "Service", NULL, "Unlock",
    "NetworkCleartext", "NewCredentials", "RemoteInteractive", "CachedInteractive",
    "CachedRemoteInteractive", "CachedUnlock",
};

static int winlogbeat(ipl_parse_ctx *ctx, const cJSON *root, const cJSON *wl, ipl_winevent *w,
                      unsigned *id, ws_time *tm, ipl_diag *d)
{
    int rc;
    w->event_id = jtext(ctx, jget(wl, "event_id"));
    if (!w->event_id.p)
        w->event_id = jtext(ctx, jget(jget(root, "event"), "code"));
    if ((rc = parse_id(w->event_id, id, d)) != IPL_OK)
        return rc;
    w->computer = jtext(ctx, jget(wl, "computer_name"));
    w->record_id = jtext(ctx, jget(wl, "record_id"));
    w->provider = jtext(ctx, jget(wl, "provider_name"));
    w->channel = jtext(ctx, jget(wl, "channel"));
    const cJSON *ts = jget(root, "@timestamp");
    if (!cJSON_IsString(ts))
        return ipl_diag_set(d, IPL_EPARSE, "missing @timestamp in event %u", *id);
    if ((rc = parse_time("@timestamp", jtext(ctx, ts), 0, tm, d)) != IPL_OK)
        return rc;
    if ((rc = jdata_all(ctx, jget(wl, "event_data"), w, d)) != IPL_OK ||
        (rc = jdata_all(ctx, jget(wl, "user_data"), w, d)) != IPL_OK)
        return rc;
    if (!spec_of(*id))
        return IPL_OK;
    /* ECS stand-ins */
    const cJSON *src = jget(root, "source"), *user = jget(root, "user"), *logon = jget(wl, "logon");
    int subj = *id == 4648 || *id == 4672;
    if ((rc = jfallback(ctx, w, "IpAddress", jget(src, "ip"), d)) != IPL_OK ||
        (rc = jfallback(ctx, w, "IpPort", jget(src, "port"), d)) != IPL_OK ||
        (rc = jfallback(ctx, w, "WorkstationName", jget(src, "domain"), d)) != IPL_OK ||
        (rc = jfallback(ctx, w, subj ? "SubjectLogonId" : "TargetLogonId", jget(logon, "id"), d)) !=
            IPL_OK ||
        (rc = jfallback(ctx, w, subj ? "SubjectUserName" : "TargetUserName", jget(user, "name"), d)) !=
            IPL_OK ||
        (rc = jfallback(ctx, w, subj ? "SubjectDomainName" : "TargetDomainName",
                        jget(user, "domain"), d)) != IPL_OK)
        return rc;
    const ws_spec *sp = spec_of(*id);
    if (sp->sid && (rc = jfallback(ctx, w, sp->sid, jget(user, "id"), d)) != IPL_OK)
        return rc;
    if (*id == 4648) {
        const cJSON *eff = jget(user, "effective");
        if ((rc = jfallback(ctx, w, "TargetUserName", jget(eff, "name"), d)) != IPL_OK ||
            (rc = jfallback(ctx, w, "TargetDomainName", jget(eff, "domain"), d)) != IPL_OK)
            return rc;
    }
    const cJSON *lt = jget(logon, "type");
    if (!ipl_winevent_get(w, "LogonType") && lt) {
        wstr t = jtext(ctx, lt);
        for (size_t i = 0; t.p && i < sizeof logon_type_names / sizeof logon_type_names[0]; i++) {
            if (logon_type_names[i] && eq_ci(t, logon_type_names[i])) {
                static const char *const num[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8",
                                                  "9", "10", "11", "12", "13"};
                t = (wstr){num[i], strlen(num[i])};
                break;
            }
        }
        if ((rc = jdata_add(w, "LogonType", t, d)) != IPL_OK)
            return rc;
    }
    return IPL_OK;
}

static int nxlog(ipl_parse_ctx *ctx, const cJSON *root, ipl_winevent *w, unsigned *id,
                 ws_time *tm, ipl_diag *d)
{
    int rc;
    w->event_id = jtext(ctx, jget(root, "EventID"));
    if ((rc = parse_id(w->event_id, id, d)) != IPL_OK)
        return rc;
    w->computer = jtext(ctx, jget(root, "Hostname"));
    w->record_id = jtext(ctx, jget(root, "RecordNumber"));
    w->provider = jtext(ctx, jget(root, "SourceName"));
    w->channel = jtext(ctx, jget(root, "Channel"));
    const cJSON *ts = jget(root, "EventTime");
    if (!cJSON_IsString(ts))
        return ipl_diag_set(d, IPL_EPARSE, "missing EventTime in event %u", *id);
    if ((rc = parse_time("EventTime", jtext(ctx, ts), 1, tm, d)) != IPL_OK)
        return rc;
    return jdata_all(ctx, root, w, d);
}

/* Parses the line and fills *w (pointing into *tree, which lives in ctx->arena). */
static int json_fill(ipl_parse_ctx *ctx, const char *s, size_t n, cJSON **tree, ipl_winevent *w,
                     unsigned *id, ws_time *tm, ipl_diag *d)
{
    int rc = ipl_jsonev_parse(ctx->arena, s, n, tree, d);
    if (rc != IPL_OK)
        return rc;
    const cJSON *root = *tree;
    memset(w, 0, offsetof(ipl_winevent, data));
    const cJSON *wl = jget(root, "winlog");
    if (cJSON_IsObject(wl))
        return winlogbeat(ctx, root, wl, w, id, tm, d);
    if (jget(root, "EventID"))
        return nxlog(ctx, root, w, id, tm, d);
    return ipl_diag_set(d, IPL_EPARSE, "JSON object is neither a Winlogbeat record (\"winlog\") "
                        "nor an NXLog record (\"EventID\")");
}

static int ws_json_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n,
                        ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    ipl_winevent *w = state;
    cJSON *tree = NULL;
    int rc;
    if (ipl_jsonev_frame(&s, &n) == n)
        return IPL_OK;                                  /* blank line */
    if ((rc = ipl_jsonev_check(s, n, WS_JSON_MAX, d)) != IPL_OK)
        return rc;
    unsigned id;
    ws_time tm;
    if ((rc = json_fill(ctx, s, n, &tree, w, &id, &tm, d)) == IPL_OK)
        rc = ws_build(ctx, w, id, &tm, emit, emit_ctx, d);
    return rc;
}

/* ---- probes ------------------------------------------------------------------------------ */

static int contains_ci(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)lit[0]))
            continue;
        if (eq_ci((wstr){s + i, m}, lit))
            return 1;
    }
    return 0;
}

/* Offset of the first non-blank byte after a BOM and Event Viewer's "- " marker. */
static size_t first_byte(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && is_blank((unsigned char)s[i]))
        i++;
    if (n - i >= 3 && (s[i] == '-' || s[i] == '+') && s[i + 1] == ' ' && s[i + 2] == '<')
        i += 2;
    return i;
}

static int ws_xml_probe(const char *s, size_t n)
{
    size_t i = first_byte(s, n);
    if (i >= n || s[i] != '<')
        return 0;
    if (!contains_ci(s + i, n - i, "<Event") ||
        !(contains_ci(s + i, n - i, "http://schemas.microsoft.com/win/2004/08/events/event") ||
          contains_ci(s + i, n - i, "<System>")))
        return 0;
    if (contains_ci(s + i, n - i, "Microsoft-Windows-Security-Auditing"))
        return 100;
    if (contains_ci(s + i, n - i, "Microsoft-Windows-DHCP-Server"))
        return 0;
    return 10;                                          /* Windows event XML of another log */
}

static int ws_json_probe(const char *s, size_t n)
{
    size_t i = first_byte(s, n);
    if (i >= n || s[i] != '{')
        return 0;
    int wl = contains_ci(s + i, n - i, "\"winlog\"");
    if (!wl && !contains_ci(s + i, n - i, "\"EventID\""))
        return 0;
    if (contains_ci(s + i, n - i, "Microsoft-Windows-Security-Auditing"))
        return 100;
    if (contains_ci(s + i, n - i, "Microsoft-Windows-DHCP-Server"))
        return 0;
    return 10;
}

const ipl_parser ipl_parser_winsec_xml = {
    .name = "winsec-xml",
    .summary = "Windows Security log logon/Kerberos/NTLM events as event XML (Get-WinEvent, WEF, "
               "wevtutil <Events> documents)",
    .state_size = sizeof(ws_state),
    .probe = ws_xml_probe,
    .init = ws_xml_init,
    .line = ws_xml_line,
    .finish = ws_xml_finish,
    .pending = ws_xml_pending,
    .release = ws_xml_release,
};

const ipl_parser ipl_parser_winsec_json = {
    .name = "winsec-json",
    .summary = "Windows Security log logon/Kerberos/NTLM events as JSON lines (Winlogbeat/ECS, "
               "NXLog)",
    .state_size = sizeof(ipl_winevent),
    .probe = ws_json_probe,
    .init = NULL,
    .line = ws_json_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
