/* tools/gen/out_dnsmasq.c — dnsmasq's DHCP log lines (FORMATS.md 4.1-4.4; ipledger format
 * "dnsmasq") for the sites whose DHCP server is dnsmasq 2.89 (--mix all):
 *
 *   DIR/dnsmasq/<server>/dnsmasq.log-<YYYYMMDD>     syslog via rsyslog, one file per local day
 *
 * Lines are "<RFC 3339 local time> <host> dnsmasq-dhcp[<pid>]: <TYPE>(eth0) [<addr> ]<id> <text>"
 * (RSYSLOG_FileFormat), service lines tagged "dnsmasq[<pid>]".
 *
 *   assign (v4)   DHCPDISCOVER / DHCPOFFER / DHCPREQUEST / DHCPACK ... <host>
 *   renew (v4)    DHCPREQUEST / DHCPACK                 release (v4)  DHCPRELEASE
 *   NACK          DHCPREQUEST / DHCPNAK ... wrong network
 *   pool full     DHCPDISCOVER(eth0) <mac> no address available
 *   assign (v6)   DHCPSOLICIT / DHCPADVERTISE / DHCPREQUEST / DHCPREPLY <addr> <duid> <host>
 *   renew (v6)    DHCPRENEW / DHCPREPLY                 release (v6)  DHCPRELEASE <addr> <duid>
 *   service       "started, version 2.89 ...", the DHCP ranges; "exiting on receipt of SIGTERM"
 * dnsmasq logs no expiry and no ping conflict (it silently offers another address): after an
 * expiry only its lease file (out_dnsmasq_leases.c) knows, and only while the lease is held.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "dnsmasq"

struct dnsmasq {
    const gen_ctx *ctx;
    gen_dayfile   *f;               /* [nsites] */
    uint32_t      *restarts;
    size_t         cap;
    gen_counts     c;
};

static int dm_day(struct dnsmasq *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    int rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/dnsmasq.log-%04d%02d%02d",
                      w->ctx->out, site->server, y, m, dd);
    return rc ? rc : gen_dayfile_open(&w->f[site->index], path, w->cap, day, &w->c, d);
}

static char *put_duid(char *p, const gen_device *dev)
{
    uint8_t duid[14];
    gen_device_duid(dev, duid);
    return gen_put_colon_hex(p, duid, sizeof duid);
}

/* "<TYPE>(eth0) " */
static char *put_type(char *p, const char *type)
{
    p = gen_put(p, type, strlen(type));
    return GEN_PUTS(p, "(eth0) ");
}

static int dm_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct dnsmasq *w = state;
    if (h->site->vendor != GEN_V_DNSMASQ || h->kind > GEN_H_FULL)
        return IPL_OK;
    int si = h->site->index;
    if (h->kind == GEN_H_DAY)
        return dm_day(w, h->site, h->day, d);
    gen_dayfile *df = &w->f[si];
    gen_file *f = &df->f;
    if (f->fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", h->site->server);
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    if (h->kind == GEN_H_START && h->t > h->site->start)
        w->restarts[si]++;
    uint32_t pid = 812 + (uint32_t)(si * 5113 + (int)w->restarts[si] * 389) % 30000;
    const gen_device *dev = h->dev;
    gen_site *site = h->site;
    char *p = f->buf + f->len, *start = p;
    uint64_t rows = 0;
#define DHCP(p) gen_put_syslog((p), site, h->t, &df->fr, site->server, "dnsmasq-dhcp", pid)
#define MAIN(p) gen_put_syslog((p), site, h->t, &df->fr, site->server, "dnsmasq", pid)
    switch (h->kind) {
    case GEN_H_START: {
        p = GEN_PUTS(MAIN(p), "started, version 2.89 cachesize 150\n");
        p = GEN_PUTS(MAIN(p), "compile time options: IPv6 GNU-getopt DBus no-UBus i18n IDN2 DHCP "
                              "DHCPv6 no-Lua TFTP conntrack ipset nftset auth cryptohash DNSSEC "
                              "loop-detect inotify dumpfile\n");
        p = GEN_PUTS(DHCP(p), "DHCP, IP range ");
        p = gen_put_ip4(p, (10u << 24) | ((uint32_t)(si + 1) << 16) | 10);
        p = GEN_PUTS(p, " -- ");
        p = gen_put_ip4(p, (10u << 24) | ((uint32_t)(si + 1) << 16) | 0xfffe);
        p = GEN_PUTS(p, ", lease time 8h\n");
        p = GEN_PUTS(DHCP(p), "DHCPv6, IP range ");
        gen_ip lo6 = { gen_site_v6_hi(si), 1 }, hi6 = { gen_site_v6_hi(si), UINT64_MAX - 1 };
        p = gen_put_ip(p, lo6);
        p = GEN_PUTS(p, " -- ");
        p = gen_put_ip(p, hi6);
        p = GEN_PUTS(p, ", lease time 1d\n");
        rows = 4;
        break;
    }
    case GEN_H_STOP:
        p = GEN_PUTS(MAIN(p), "exiting on receipt of SIGTERM\n");
        rows = 1;
        break;
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        if (h->family == 4) {
            if (h->kind == GEN_H_ASSIGN) {
                p = put_type(DHCP(p), "DHCPDISCOVER");
                p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " \n");
                p = put_type(DHCP(p), "DHCPOFFER");
                p = gen_put_ip4(p, (uint32_t)h->ip.lo);
                *p++ = ' ';
                p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " \n");
                rows = 2;
            }
            p = put_type(DHCP(p), "DHCPREQUEST");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            *p++ = ' ';
            p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " \n");
            p = put_type(DHCP(p), "DHCPACK");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            *p++ = ' ';
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p += gen_device_short(dev, p);
            *p++ = '\n';
            rows += 2;
        } else {
            if (h->kind == GEN_H_ASSIGN) {
                p = put_type(DHCP(p), "DHCPSOLICIT");
                p = GEN_PUTS(put_duid(p, dev), " \n");
                p = put_type(DHCP(p), "DHCPADVERTISE");
                p = gen_put_ip(p, h->ip);
                *p++ = ' ';
                p = put_duid(p, dev);
                *p++ = ' ';
                p += gen_device_short(dev, p);
                *p++ = '\n';
                rows = 2;
            }
            p = put_type(DHCP(p), h->kind == GEN_H_ASSIGN ? "DHCPREQUEST" : "DHCPRENEW");
            p = GEN_PUTS(put_duid(p, dev), " \n");
            p = put_type(DHCP(p), "DHCPREPLY");
            p = gen_put_ip(p, h->ip);
            *p++ = ' ';
            p = put_duid(p, dev);
            *p++ = ' ';
            p += gen_device_short(dev, p);
            *p++ = '\n';
            rows += 2;
        }
        break;
    case GEN_H_RELEASE:
        p = put_type(DHCP(p), "DHCPRELEASE");
        p = gen_put_ip(p, h->ip);
        *p++ = ' ';
        p = h->family == 4 ? gen_put_colon_hex(p, dev->mac, 6) : put_duid(p, dev);
        p = GEN_PUTS(p, " \n");
        rows = 1;
        break;
    case GEN_H_NACK:
        p = put_type(DHCP(p), "DHCPREQUEST");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        *p++ = ' ';
        p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " \n");
        p = put_type(DHCP(p), "DHCPNAK");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        *p++ = ' ';
        p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " wrong network\n");
        rows = 2;
        break;
    case GEN_H_FULL:
        p = put_type(DHCP(p), "DHCPDISCOVER");
        p = GEN_PUTS(gen_put_colon_hex(p, dev->mac, 6), " no address available\n");
        rows = 1;
        break;
    default:
        break;
    }
#undef DHCP
#undef MAIN
    f->len += (size_t)(p - start);
    w->c.rows += rows;
    return IPL_OK;
}

static int dm_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct dnsmasq *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->f = calloc((size_t)ctx->nsites, sizeof *w->f);
    w->restarts = calloc((size_t)ctx->nsites, sizeof *w->restarts);
    if (!w->f || !w->restarts) {
        free(w->f);
        free(w->restarts);
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ctx->nsites; i++) {
        gen_dayfile init = GEN_DAYFILE_INIT;
        w->f[i] = init;
    }
    w->cap = gen_bufcap(ctx->nsites);
    *state = w;
    return IPL_OK;
}

static int dm_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct dnsmasq *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_DNSMASQ)
            continue;
        char dir[GEN_PATH_MAX];
        rc = gen_dayfile_close(&w->f[i], &w->c, d);
        if (!rc)
            rc = gen_path(dir, sizeof dir, d, FOLDER "/%s", site->server);
        if (!rc)
            rc = gen_source_line(sources, dir, FOLDER, site->tzname, site->server, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void dm_free(void *state)
{
    struct dnsmasq *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w->restarts);
    free(w);
}

const gen_writer_ops gen_out_dnsmasq = {
    .name = FOLDER,
    .open = dm_open,
    .emit = dm_emit,
    .finish = dm_finish,
    .free = dm_free,
};
