/* tools/gen/out_mswin_dhcp.c — writes the simulation as Windows DHCP Server audit logs
 * (reference/FORMATS.md section 1) for the sites whose DHCP server is Windows (every site with
 * --mix mswin), one IPv4 and one IPv6 file per server and local day:
 *
 *   DIR/mswin-dhcp/<server>/<YYYY-MM-DD>/DhcpSrvLog-<Ddd>.log     IPv4, 19 columns
 *   DIR/mswin-dhcp/<server>/<YYYY-MM-DD>/DhcpV6SrvLog-<Ddd>.log   IPv6, 12 columns + 2 empty
 *
 * <YYYY-MM-DD> and <Ddd> (Mon..Sun) are the server's local date: the weekday file a server writes
 * that day, as archived off-box before next week's overwrite. ANSI (plain ASCII here), CRLF.
 * Each file starts with the header block (FORMATS.md 1.2; the v4 block is the verbatim 2012 R2+
 * text, the v6 legend is composed from the documented codes); a service restart writes the block
 * again mid-file, then 00/11010 "Started" and 55/1103 "Authorized(servicing)", as real servers do.
 * Times are the server's local wall time (MM/DD/YY,HH:MM:SS) from the site's zone, so the
 * fall-back hour repeats in the file exactly as on a real server.
 *
 * Row shapes (v4; fields 8 User Name, 11-13 and 16-18 always empty; QResult always 6):
 *   10 Assign / 11 Renew    ip, FQDN, MAC, random xid, vendor class "MSFT 5.0" for Windows
 *                           clients and "android-dhcp-14" for Android ones (iPhones send none)
 *   12 Release              ip, FQDN, MAC, random xid
 *   18 Expired              ip, FQDN, MAC, xid 0 (logged at the expiry instant, see sim.c)
 *   30/32 DNS Update ...    ip, FQDN, no MAC, xid 0 (as the Elastic fixtures)
 *   15 NACK                 requested ip (not a lease), MAC, xid
 *   13 In Use               ip that answered a ping, with the *requesting* client's MAC: the
 *                           holder is unknown and nothing changes (a parser must not bind it)
 *   14 Scope Full           the scope's network address, the client's MAC
 *   00/01, 55, 24/25        service start/stop, authorization, hourly cleanup (7 or 19 fields)
 * v6: 11002 Request (assign), 11004 Renew, 11007 Release, 11019 expired, 11022/11024 DNS, with
 * Duid Length 14 and the DUID-LLT (carrying the MAC) as uppercase hex; 11010/11011/1103/11030.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "mswin-dhcp"

#define CRLF "\r\n"
static const char header4[] =
    "\t\tMicrosoft DHCP Service Activity Log" CRLF
    CRLF
    CRLF
    "Event ID  Meaning" CRLF
    "00\tThe log was started." CRLF
    "01\tThe log was stopped." CRLF
    "02\tThe log was temporarily paused due to low disk space." CRLF
    "10\tA new IP address was leased to a client." CRLF
    "11\tA lease was renewed by a client." CRLF
    "12\tA lease was released by a client." CRLF
    "13\tAn IP address was found to be in use on the network." CRLF
    "14\tA lease request could not be satisfied because the scope's address pool was exhausted." CRLF
    "15\tA lease was denied." CRLF
    "16\tA lease was deleted." CRLF
    "17\tA lease was expired and DNS records for an expired leases have not been deleted." CRLF
    "18\tA lease was expired and DNS records were deleted." CRLF
    "20\tA BOOTP address was leased to a client." CRLF
    "21\tA dynamic BOOTP address was leased to a client." CRLF
    "22\tA BOOTP request could not be satisfied because the scope's address pool for BOOTP was exhausted." CRLF
    "23\tA BOOTP IP address was deleted after checking to see it was not in use." CRLF
    "24\tIP address cleanup operation has began." CRLF
    "25\tIP address cleanup statistics." CRLF
    "30\tDNS update request to the named DNS server." CRLF
    "31\tDNS update failed." CRLF
    "32\tDNS update successful." CRLF
    "33\tPacket dropped due to NAP policy." CRLF
    "34\tDNS update request failed.as the DNS update request queue limit exceeded." CRLF
    "35\tDNS update request failed." CRLF
    "36\tPacket dropped because the server is in failover standby role or the hash of the client ID does not match." CRLF
    "50+\tCodes above 50 are used for Rogue Server Detection information." CRLF
    CRLF
    "QResult: 0: NoQuarantine, 1:Quarantine, 2:Drop Packet, 3:Probation,6:No Quarantine Information ProbationTime:Year-Month-Day Hour:Minute:Second:MilliSecond." CRLF
    CRLF
    "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError." CRLF;

static const char header6[] =
    "\t\tMicrosoft DHCPv6 Service Activity Log" CRLF
    CRLF
    CRLF
    "Event ID  Meaning" CRLF
    "11000\tDHCPV6 Solicit." CRLF
    "11001\tDHCPV6 Advertise." CRLF
    "11002\tDHCPV6 Request." CRLF
    "11003\tDHCPV6 Confirm." CRLF
    "11004\tDHCPV6 Renew." CRLF
    "11005\tDHCPV6 Rebind." CRLF
    "11006\tDHCPV6 Decline." CRLF
    "11007\tDHCPV6 Release." CRLF
    "11008\tDHCPV6 Information Request." CRLF
    "11009\tDHCPV6 Scope Full." CRLF
    "11010\tDHCPV6 Started." CRLF
    "11011\tDHCPV6 Stopped." CRLF
    "11012\tDHCPV6 Audit log paused." CRLF
    "11013\tDHCPV6 Log File." CRLF
    "11014\tDHCPV6 Bad Address." CRLF
    "11015\tDHCPV6 Address is already in use." CRLF
    "11016\tDHCPV6 Client deleted." CRLF
    "11017\tDHCPV6 DNS record not deleted." CRLF
    "11018\tDHCPV6 Expired." CRLF
    "11019\tDHCPV6 Leases Expired and Leases Deleted." CRLF
    "11020\tDHCPV6 Database cleanup begin." CRLF
    "11021\tDHCPV6 Database cleanup end." CRLF
    "11022\tDNS IPv6 Update Request." CRLF
    "11023\tDNS IPv6 Update Failed." CRLF
    "11024\tDNS IPv6 Update Successful." CRLF
    "11028\tDNS IPv6 update request failed as the DNS update request queue limit exceeded." CRLF
    "11029\tDNS IPv6 update request failed." CRLF
    "11030\tDHCPV6 Stateless client records purged." CRLF
    "11031\tDHCPV6 Stateless client record is purged as the purge interval has expired for this client record." CRLF
    "11032\tDHCPV6 Information Request from IPV6 Stateless Client." CRLF
    CRLF
    "ID,Date,Time,Description,IPv6 Address,Host Name,Error Code, Duid Length, Duid Bytes(Hex),User Name,Dhcid,Subnet Prefix." CRLF;

static const char *const wday_name[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* One server's two open files. */
struct server {
    gen_file f4, f6;
    int      day;                   /* the local day the files belong to, -1 before the first */
    uint32_t rows4, rows6;          /* rows since the last header block */
};

struct mswin {
    const gen_ctx *ctx;
    struct server *srv;
    size_t   bufcap;
    gen_counts c;
};

static int close_day(struct mswin *w, struct server *v, ipl_diag *d)
{
    int rc = gen_file_close(&v->f4, d);
    int rc6 = gen_file_close(&v->f6, d);
    if (!rc)
        rc = rc6;
    w->c.bytes += v->f4.bytes + v->f6.bytes;
    v->f4.bytes = v->f6.bytes = 0;
    return rc;
}

static int open_day(struct mswin *w, int site_i, int day, ipl_diag *d)
{
    const gen_ctx *ctx = w->ctx;
    const gen_site *site = &ctx->sites[site_i];
    struct server *v = &w->srv[site_i];
    char dir[GEN_PATH_MAX], path[GEN_PATH_MAX];
    int y, m, dd, rc;
    if ((rc = close_day(w, v, d)) != IPL_OK)
        return rc;
    int64_t days = ctx->start_days + day;
    ipl_civil_from_days(days, &y, &m, &dd);
    const char *wd = wday_name[ipl_weekday(days)];
    if ((rc = gen_path(dir, sizeof dir, d, "%s/" FOLDER "/%s/%04d-%02d-%02d", ctx->out,
                       site->server, y, m, dd)) != IPL_OK
        || (rc = gen_mkdirs(dir, d)) != IPL_OK
        || (rc = gen_path(path, sizeof path, d, "%s/DhcpSrvLog-%s.log", dir, wd)) != IPL_OK
        || (rc = gen_file_open(&v->f4, path, w->bufcap, d)) != IPL_OK
        || (rc = gen_path(path, sizeof path, d, "%s/DhcpV6SrvLog-%s.log", dir, wd)) != IPL_OK
        || (rc = gen_file_open(&v->f6, path, w->bufcap, d)) != IPL_OK
        || (rc = gen_file_write(&v->f4, header4, sizeof header4 - 1, d)) != IPL_OK
        || (rc = gen_file_write(&v->f6, header6, sizeof header6 - 1, d)) != IPL_OK)
        return rc;
    w->c.files += 2;
    v->day = day;
    v->rows4 = v->rows6 = 0;
    return IPL_OK;
}

/* "ID,MM/DD/YY,HH:MM:SS," */
static char *put_head(char *p, const char *id, size_t idn, gen_site *site, int64_t t)
{
    gen_local L;
    gen_site_local(site, t, &L);
    p = gen_put(p, id, idn);
    *p++ = ',';
    p = gen_put2(p, L.m);
    *p++ = '/';
    p = gen_put2(p, L.d);
    *p++ = '/';
    p = gen_put2(p, L.y % 100);
    *p++ = ',';
    p = gen_put2(p, L.hh);
    *p++ = ':';
    p = gen_put2(p, L.mm);
    *p++ = ':';
    p = gen_put2(p, L.ss);
    *p++ = ',';
    return p;
}

static char *put_mac(char *p, const gen_device *dev)
{
    return gen_put_hex(p, dev->mac, 6, 1);
}

static char *put_host(char *p, const gen_device *dev)
{
    return p + gen_device_host(dev, p);
}

/* Fields 9-19 of a v4 row: xid, QResult 6, vendor class or not, DnsRegError 0. */
static char *put_tail4(char *p, uint32_t xid, const gen_device *vendor)
{
    p = gen_put_u64(p, xid);
    p = GEN_PUTS(p, ",6,,,,");
    if (vendor && (vendor->flags & GEN_DEV_WINDOWS))
        p = GEN_PUTS(p, "0x4D53465420352E30,MSFT 5.0");
    else if (vendor && vendor->type == GEN_ANDROID)
        p = GEN_PUTS(p, "0x616E64726F69642D646863702D3134,android-dhcp-14");
    else
        *p++ = ',';
    return GEN_PUTS(p, ",,,,0" CRLF);
}

#define HEAD(p, lit, site, t) put_head((p), (lit), sizeof(lit) - 1, (site), (t))

static int emit4(struct mswin *w, struct server *v, const gen_happening *h, ipl_diag *d)
{
    gen_file *f = &v->f4;
    int rc = IPL_OK;
    if (h->kind == GEN_H_START && v->rows4 > 0)       /* logging restarts: header again */
        rc = gen_file_write(f, header4, sizeof header4 - 1, d);
    if (!rc)
        rc = gen_file_room(f, d);
    if (rc)
        return rc;
    char *p = f->buf + f->len, *start = p;
    gen_site *site = h->site;
    const gen_device *dev = h->dev;
    switch (h->kind) {
    case GEN_H_START:
        p = HEAD(p, "00", site, h->t);
        p = GEN_PUTS(p, "Started,,," CRLF);
        p = HEAD(p, "55", site, h->t);
        p = GEN_PUTS(p, "Authorized(servicing),," GEN_DOMAIN "," CRLF);
        v->rows4++;
        w->c.rows++;
        break;
    case GEN_H_STOP:
        p = HEAD(p, "01", site, h->t);
        p = GEN_PUTS(p, "Stopped,,," CRLF);
        break;
    case GEN_H_CLEANUP:
        p = HEAD(p, "24", site, h->t);
        p = GEN_PUTS(p, "Database Cleanup Begin,,,,,0,6,,,,,,,,,0" CRLF);
        p = HEAD(p, "25", site, h->t);
        p = gen_put_u64(p, h->count);
        p = GEN_PUTS(p, " leases expired and 0 leases deleted,,,,,0,6,,,,,,,,,0" CRLF);
        v->rows4++;
        w->c.rows++;
        break;
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        p = h->kind == GEN_H_ASSIGN ? HEAD(p, "10", site, h->t) : HEAD(p, "11", site, h->t);
        p = h->kind == GEN_H_ASSIGN ? GEN_PUTS(p, "Assign,") : GEN_PUTS(p, "Renew,");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        *p++ = ',';
        p = put_host(p, dev);
        *p++ = ',';
        p = put_mac(p, dev);
        p = GEN_PUTS(p, ",,");
        p = put_tail4(p, h->xid, dev);
        break;
    case GEN_H_RELEASE:
    case GEN_H_EXPIRE:
        p = h->kind == GEN_H_RELEASE ? HEAD(p, "12", site, h->t) : HEAD(p, "18", site, h->t);
        p = h->kind == GEN_H_RELEASE ? GEN_PUTS(p, "Release,") : GEN_PUTS(p, "Expired,");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        *p++ = ',';
        p = put_host(p, dev);
        *p++ = ',';
        p = put_mac(p, dev);
        p = GEN_PUTS(p, ",,");
        p = put_tail4(p, h->xid, NULL);
        break;
    case GEN_H_DNS_REQ:
    case GEN_H_DNS_OK:
        p = h->kind == GEN_H_DNS_REQ ? HEAD(p, "30", site, h->t) : HEAD(p, "32", site, h->t);
        p = h->kind == GEN_H_DNS_REQ ? GEN_PUTS(p, "DNS Update Request,")
                                     : GEN_PUTS(p, "DNS Update Successful,");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        *p++ = ',';
        p = put_host(p, dev);
        p = GEN_PUTS(p, ",,,");
        p = put_tail4(p, 0, NULL);
        break;
    case GEN_H_NACK:
    case GEN_H_CONFLICT:
    case GEN_H_FULL:
        if (h->kind == GEN_H_NACK)
            p = GEN_PUTS(HEAD(p, "15", site, h->t), "NACK,");
        else if (h->kind == GEN_H_CONFLICT)
            p = GEN_PUTS(HEAD(p, "13", site, h->t), "In Use,");
        else
            p = GEN_PUTS(HEAD(p, "14", site, h->t), "Scope Full,");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, ",,");
        p = put_mac(p, dev);
        p = GEN_PUTS(p, ",,");
        p = put_tail4(p, h->xid, NULL);
        break;
    default:
        return IPL_OK;
    }
    f->len += (size_t)(p - start);
    v->rows4++;
    w->c.rows++;
    return IPL_OK;
}

/* ",14,<DUID hex>,,,,," — fields 7-14 of a v6 lease row */
static char *put_duid(char *p, const gen_device *dev)
{
    uint8_t duid[14];
    gen_device_duid(dev, duid);
    p = GEN_PUTS(p, ",14,");
    p = gen_put_hex(p, duid, sizeof duid, 1);
    return GEN_PUTS(p, ",,,,," CRLF);
}

static int emit6(struct mswin *w, struct server *v, const gen_happening *h, ipl_diag *d)
{
    gen_file *f = &v->f6;
    int rc = IPL_OK;
    if (h->kind == GEN_H_START && v->rows6 > 0)
        rc = gen_file_write(f, header6, sizeof header6 - 1, d);
    if (!rc)
        rc = gen_file_room(f, d);
    if (rc)
        return rc;
    char *p = f->buf + f->len, *start = p;
    gen_site *site = h->site;
    const gen_device *dev = h->dev;
    switch (h->kind) {
    case GEN_H_START:
        p = HEAD(p, "11010", site, h->t);
        p = GEN_PUTS(p, "DHCPV6 Started,,,,,,,,,," CRLF);
        p = HEAD(p, "1103", site, h->t);
        p = GEN_PUTS(p, "Authorized(servicing),," GEN_DOMAIN ",,,,,,,," CRLF);
        v->rows6++;
        w->c.rows++;
        break;
    case GEN_H_STOP:
        p = HEAD(p, "11011", site, h->t);
        p = GEN_PUTS(p, "DHCPV6 Stopped,,,,,,,,,," CRLF);
        break;
    case GEN_H_CLEANUP:
        p = HEAD(p, "11030", site, h->t);
        p = GEN_PUTS(p, "0 DHCPV6 Stateless client records purged,,,,,,,,,," CRLF);
        break;
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
    case GEN_H_RELEASE:
    case GEN_H_EXPIRE:
        if (h->kind == GEN_H_ASSIGN)
            p = GEN_PUTS(HEAD(p, "11002", site, h->t), "DHCPV6 Request,");
        else if (h->kind == GEN_H_RENEW)
            p = GEN_PUTS(HEAD(p, "11004", site, h->t), "DHCPV6 Renew,");
        else if (h->kind == GEN_H_RELEASE)
            p = GEN_PUTS(HEAD(p, "11007", site, h->t), "DHCPV6 Release,");
        else
            p = GEN_PUTS(HEAD(p, "11019", site, h->t), "DHCPV6 Leases Expired and Deleted,");
        p = gen_put_ip(p, h->ip);
        *p++ = ',';
        p = put_host(p, dev);
        *p++ = ',';
        p = put_duid(p, dev);
        break;
    case GEN_H_DNS_REQ:
    case GEN_H_DNS_OK:
        p = h->kind == GEN_H_DNS_REQ
            ? GEN_PUTS(HEAD(p, "11022", site, h->t), "DNS IPv6 Update Request,")
            : GEN_PUTS(HEAD(p, "11024", site, h->t), "DNS IPv6 Update Successful,");
        p = gen_put_ip(p, h->ip);
        *p++ = ',';
        p = put_host(p, dev);
        p = GEN_PUTS(p, ",,,,,,,," CRLF);
        break;
    default:
        return IPL_OK;
    }
    f->len += (size_t)(p - start);
    v->rows6++;
    w->c.rows++;
    return IPL_OK;
}

static int mswin_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct mswin *w = state;
    struct server *v = &w->srv[h->site->index];
    if (h->site->vendor != GEN_V_MSWIN || h->kind > GEN_H_OPEN)
        return IPL_OK;                          /* another vendor's site; logons, config */
    if (h->kind == GEN_H_DAY)
        return open_day(w, h->site->index, h->day, d);
    if (h->kind == GEN_H_OPEN)
        return IPL_OK;
    if (v->day < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log at %lld",
                            h->site->server, (long long)h->t);
    int rc = IPL_OK;
    if (h->family != 6)
        rc = emit4(w, v, h, d);
    if (!rc && h->family != 4)
        rc = emit6(w, v, h, d);
    return rc;
}

static int mswin_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct mswin *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->srv = calloc((size_t)ctx->nsites, sizeof *w->srv);
    if (!w->srv) {
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ctx->nsites; i++) {
        gen_file init = GEN_FILE_INIT;
        w->srv[i].f4 = init;
        w->srv[i].f6 = init;
        w->srv[i].day = -1;
    }
    /* 32 MiB of buffers in all, 64 KiB to 1 MiB per file */
    size_t cap = ((size_t)32 << 20) / (2 * (size_t)ctx->nsites);
    w->bufcap = cap < ((size_t)64 << 10) ? (size_t)64 << 10 : cap > ((size_t)1 << 20)
                ? (size_t)1 << 20 : cap;
    *state = w;
    return IPL_OK;
}

static int mswin_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct mswin *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        char line[GEN_PATH_MAX];
        if (site->vendor != GEN_V_MSWIN)
            continue;
        rc = close_day(w, &w->srv[i], d);
        if (!rc && sources)
            rc = gen_path(line, sizeof line, d, FOLDER "/%s\t" FOLDER "\t%s\t%s\n",
                          site->server, site->tzname, site->server);
        if (!rc && sources)
            rc = gen_file_write(sources, line, strlen(line), d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void mswin_free(void *state)
{
    struct mswin *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++) {
        gen_file_close(&w->srv[i].f4, NULL);
        gen_file_close(&w->srv[i].f6, NULL);
    }
    free(w->srv);
    free(w);
}

const gen_writer_ops gen_out_mswin_dhcp = {
    .name = FOLDER,
    .open = mswin_open,
    .emit = mswin_emit,
    .finish = mswin_finish,
    .free = mswin_free,
};
