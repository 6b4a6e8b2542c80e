/* tools/gen/out_isc_dhcpd.c — the syslog lines of ISC dhcpd 4.4 (FORMATS.md 2.2-2.3; ipledger
 * format "isc-dhcpd") for the sites whose DHCP server is ISC dhcpd (--mix all):
 *
 *   DIR/isc-dhcpd/<server>/dhcpd.log-<YYYYMMDD>     one file per local day (logrotate dateext)
 *
 * rsyslog writes the lines with its default file template on Debian 12 (RSYSLOG_FileFormat):
 *   2024-05-06T08:15:32.412345+02:00 dhcp-nyc-01 dhcpd[1123]: DHCPACK on 10.2.4.15 to ...
 * so the year and the offset are in every line. The v4 and v6 daemons (dhcpd -4, dhcpd -6) share
 * the tag "dhcpd" and differ in pid. Relayed requests come "via" the scope's router (.1); unicast
 * renewals and releases arrive on the server's interface ("via eth0").
 *
 *   assign (v4)   DHCPDISCOVER / DHCPOFFER / DHCPREQUEST (with the server id) / DHCPACK
 *   renew (v4)    DHCPREQUEST / DHCPACK
 *   release (v4)  DHCPRELEASE ... (found)
 *   expiry        not logged by dhcpd (out_isc_leases.c writes it to dhcpd.leases)
 *   DNS           "Added new forward map" / "Added reverse map" when the update succeeded
 *   NACK          DHCPREQUEST ...: wrong network. / DHCPNAK
 *   conflict      "Abandoning IP address X: pinged before offer"
 *   pool full     DHCPDISCOVER ... : network N: no free leases
 *   v6            Solicit/Advertise NA/Request/Reply NA with "Sending ..." lines; Renew/Reply NA;
 *                 Release/"Client D releases address X"
 *   service       the start-up banner; "Received signal 15, initiating shutdown." when stopping
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "isc-dhcpd"

struct isc {
    const gen_ctx *ctx;
    gen_dayfile   *f;               /* [nsites] */
    uint32_t      *restarts;        /* [nsites]: pids change at each start */
    size_t         cap;
    gen_counts     c;
};

static uint32_t pid4(const struct isc *w, int site)
{
    return 1100 + (uint32_t)(site * 7919 + (int)w->restarts[site] * 613) % 30000;
}

static int isc_day(struct isc *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    int rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/dhcpd.log-%04d%02d%02d", w->ctx->out,
                      site->server, y, m, dd);
    return rc ? rc : gen_dayfile_open(&w->f[site->index], path, w->cap, day, &w->c, d);
}

/* "(LAPTOP-7Q2K1AB) " */
static char *put_host(char *p, const gen_device *dev)
{
    *p++ = '(';
    p += gen_device_short(dev, p);
    *p++ = ')';
    *p++ = ' ';
    return p;
}

static char *put_relay(char *p, const gen_ctx *ctx, const gen_device *dev)
{
    p = GEN_PUTS(p, "via ");
    return gen_put_ip4(p, ctx->scopes[dev->scope].net + 1);
}

static char *put_duid(char *p, const gen_device *dev)
{
    uint8_t duid[14];
    gen_device_duid(dev, duid);
    return gen_put_colon_hex(p, duid, sizeof duid);
}

#define LINE(p, w, h, pid) gen_put_syslog((p), (h)->site, (h)->t, &(w)->f[(h)->site->index].fr, \
                                          (h)->site->server, "dhcpd", (pid))

static const char *const banner[] = {
    "Internet Systems Consortium DHCP Server 4.4.3-P1",
    "Copyright 2004-2022 Internet Systems Consortium.",
    "All rights reserved.",
    "For info, please visit https://www.isc.org/software/dhcp/",
    "Config file: /etc/dhcp/dhcpd.conf",
    "Database file: /var/lib/dhcp/dhcpd.leases",
    "PID file: /run/dhcpd.pid",
    "Server starting service.",
};

static int isc_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct isc *w = state;
    if (h->site->vendor != GEN_V_ISC || h->kind > GEN_H_FULL)
        return IPL_OK;
    int si = h->site->index;
    if (h->kind == GEN_H_DAY)
        return isc_day(w, h->site, h->day, d);
    gen_file *f = &w->f[si].f;
    if (f->fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", h->site->server);
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    const gen_ctx *ctx = w->ctx;
    const gen_device *dev = h->dev;
    char *p = f->buf + f->len, *start = p;
    uint32_t pid = pid4(w, si), pid6 = pid + 7;
    uint64_t rows = 0;
    if (h->kind == GEN_H_START) {
        w->restarts[si]++;
        pid = pid4(w, si), pid6 = pid + 7;
        for (size_t i = 0; i < sizeof banner / sizeof banner[0]; i++) {
            p = LINE(p, w, h, pid);
            p = gen_put(p, banner[i], strlen(banner[i]));
            *p++ = '\n';
            p = LINE(p, w, h, pid6);
            p = gen_put(p, banner[i], strlen(banner[i]));
            *p++ = '\n';
            rows += 2;
        }
    } else if (h->kind == GEN_H_STOP) {
        p = GEN_PUTS(LINE(p, w, h, pid), "Received signal 15, initiating shutdown.\n");
        p = GEN_PUTS(LINE(p, w, h, pid6), "Received signal 15, initiating shutdown.\n");
        rows = 2;
    } else if (h->family == 4 || h->kind == GEN_H_FULL || h->kind == GEN_H_CONFLICT
               || h->kind == GEN_H_NACK) {
        switch (h->kind) {
        case GEN_H_ASSIGN:
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPDISCOVER from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(put_host(p, dev), ctx, dev);
            p = GEN_PUTS(p, "\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPOFFER on ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " to ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(put_host(p, dev), ctx, dev);
            p = GEN_PUTS(p, "\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPREQUEST for ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " (");
            p = gen_put_ip4(p, h->site->srv_ip);
            p = GEN_PUTS(p, ") from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(put_host(p, dev), ctx, dev);
            p = GEN_PUTS(p, "\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPACK on ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " to ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(put_host(p, dev), ctx, dev);
            p = GEN_PUTS(p, "\n");
            rows = 4;
            break;
        case GEN_H_RENEW:
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPREQUEST for ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = GEN_PUTS(put_host(p, dev), "via eth0\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPACK on ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " to ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = GEN_PUTS(put_host(p, dev), "via eth0\n");
            rows = 2;
            break;
        case GEN_H_RELEASE:
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPRELEASE of ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = GEN_PUTS(put_host(p, dev), "via eth0 (found)\n");
            rows = 1;
            break;
        case GEN_H_DNS_OK: {
            char host[48];
            size_t hn = gen_device_host(dev, host);
            uint32_t ip = (uint32_t)h->ip.lo;
            p = GEN_PUTS(LINE(p, w, h, pid), "Added new forward map from ");
            p = gen_put(p, host, hn);
            p = GEN_PUTS(p, " to ");
            p = gen_put_ip4(p, ip);
            p = GEN_PUTS(p, "\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "Added reverse map from ");
            for (int i = 0; i < 4; i++) {
                p = gen_put_u64(p, (ip >> (8 * i)) & 0xff);
                *p++ = '.';
            }
            p = GEN_PUTS(p, "in-addr.arpa. to ");
            p = gen_put(p, host, hn);
            p = GEN_PUTS(p, "\n");
            rows = 2;
            break;
        }
        case GEN_H_NACK:
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPREQUEST for ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(put_host(p, dev), ctx, dev);
            p = GEN_PUTS(p, ": wrong network.\n");
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPNAK on ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, " to ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(p, ctx, dev);
            p = GEN_PUTS(p, "\n");
            rows = 2;
            break;
        case GEN_H_CONFLICT:
            p = GEN_PUTS(LINE(p, w, h, pid), "Abandoning IP address ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, ": pinged before offer\n");
            rows = 1;
            break;
        case GEN_H_FULL:
            p = GEN_PUTS(LINE(p, w, h, pid), "DHCPDISCOVER from ");
            p = gen_put_colon_hex(p, dev->mac, 6);
            *p++ = ' ';
            p = put_relay(p, ctx, dev);
            p = GEN_PUTS(p, ": network ");
            p = gen_put_ip4(p, (uint32_t)h->ip.lo);
            p = GEN_PUTS(p, "/22: no free leases\n");
            rows = 1;
            break;
        default:
            break;
        }
    } else if (h->family == 6) {
        const char *msg = h->kind == GEN_H_ASSIGN ? "Solicit" : h->kind == GEN_H_RENEW ? "Renew"
                        : h->kind == GEN_H_RELEASE ? "Release" : NULL;
        if (msg) {
            uint32_t tid = (uint32_t)gen_hash(h->ip.lo, (uint64_t)h->t) & 0xffffff;
            for (int round = 0; round < (h->kind == GEN_H_ASSIGN ? 2 : 1); round++) {
                p = LINE(p, w, h, pid6);
                p = gen_put(p, msg, strlen(msg));
                p = GEN_PUTS(p, " message from ");
                p = gen_put_linklocal(p, dev->mac);
                p = GEN_PUTS(p, " port 546, transaction ID 0x");
                uint8_t tb[3] = { (uint8_t)(tid >> 16), (uint8_t)(tid >> 8), (uint8_t)tid };
                p = gen_put_hex(p, tb, 3, 0);
                *p++ = '\n';
                if (h->kind == GEN_H_RELEASE) {
                    p = GEN_PUTS(LINE(p, w, h, pid6), "Client ");
                    p = put_duid(p, dev);
                    p = GEN_PUTS(p, " releases address ");
                    p = gen_put_ip(p, h->ip);
                    *p++ = '\n';
                } else {
                    p = LINE(p, w, h, pid6);
                    p = round == 0 && h->kind == GEN_H_ASSIGN ? GEN_PUTS(p, "Advertise NA: address ")
                                                              : GEN_PUTS(p, "Reply NA: address ");
                    p = gen_put_ip(p, h->ip);
                    p = GEN_PUTS(p, " to client with duid ");
                    p = put_duid(p, dev);
                    p = GEN_PUTS(p, " iaid = ");
                    p = gen_put_u64(p, gen_iaid(dev));
                    p = GEN_PUTS(p, " valid for ");
                    p = gen_put_u64(p, (uint64_t)gen_lease6(dev));
                    p = GEN_PUTS(p, " seconds\n");
                }
                p = LINE(p, w, h, pid6);
                p = round == 0 && h->kind == GEN_H_ASSIGN ? GEN_PUTS(p, "Sending Advertise to ")
                                                          : GEN_PUTS(p, "Sending Reply to ");
                p = gen_put_linklocal(p, dev->mac);
                p = GEN_PUTS(p, " port 546\n");
                rows += 3;
                msg = "Request";
            }
        }
    }
    f->len += (size_t)(p - start);
    w->c.rows += rows;
    return IPL_OK;
}

static int isc_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct isc *w = calloc(1, sizeof *w);
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

static int isc_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct isc *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_ISC)
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

static void isc_free(void *state)
{
    struct isc *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w->restarts);
    free(w);
}

const gen_writer_ops gen_out_isc_dhcpd = {
    .name = FOLDER,
    .open = isc_open,
    .emit = isc_emit,
    .finish = isc_finish,
    .free = isc_free,
};
