/* tools/gen/out_kea_log.c — Kea's own log files (FORMATS.md 3.5; ipledger format "kea-log") for
 * the sites whose DHCP server is ISC Kea 2.4 (--mix all):
 *
 *   DIR/kea-log/<server>/kea-dhcp4.log-<YYYYMMDD>    kea-dhcp4, one file per local day
 *   DIR/kea-log/<server>/kea-dhcp6.log-<YYYYMMDD>    kea-dhcp6
 *
 * Default pattern "%D{%Y-%m-%d %H:%M:%S.%q} %-5p [%c/%i.%t] %m": local time with milliseconds.
 * At INFO Kea logs allocations (renewals too: DHCP4_LEASE_ALLOC), releases and NAKs, never the
 * reclamation of an expired lease (DEBUG): expiries are in the memfile CSV (out_kea_csv.c).
 *
 *   assign (v4)   DHCP4_LEASE_OFFER, DHCP4_LEASE_ALLOC      renew (v4)  DHCP4_LEASE_ALLOC
 *   release (v4)  DHCP4_RELEASE                             NACK        DHCP4_PACKET_NAK_0002
 *   pool full     ALLOC_ENGINE_V4_ALLOC_FAIL_SUBNET (WARN)
 *   assign (v6)   DHCP6_LEASE_ADVERT, DHCP6_LEASE_ALLOC     renew (v6)  DHCP6_LEASE_RENEW
 *   release (v6)  DHCP6_RELEASE_NA                          service     DHCP4/6_STARTED, _SHUTDOWN
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "kea-log"

struct kealog {
    const gen_ctx *ctx;
    gen_dayfile   *f4, *f6;         /* [nsites] */
    uint32_t      *restarts;
    size_t         cap;
    gen_counts     c;
};

static int kea_day(struct kealog *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd, rc, i = site->index;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    if ((rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/kea-dhcp4.log-%04d%02d%02d",
                       w->ctx->out, site->server, y, m, dd)) != IPL_OK
        || (rc = gen_dayfile_open(&w->f4[i], path, w->cap, day, &w->c, d)) != IPL_OK
        || (rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/kea-dhcp6.log-%04d%02d%02d",
                          w->ctx->out, site->server, y, m, dd)) != IPL_OK)
        return rc;
    return gen_dayfile_open(&w->f6[i], path, w->cap, day, &w->c, d);
}

/* "2024-05-06 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] " */
static char *put_head(char *p, gen_dayfile *df, gen_site *site, int64_t t, const char *sev,
                      const char *logger, uint32_t pid)
{
    gen_local L;
    gen_site_local(site, t, &L);
    p = gen_put_local_dt(p, &L);
    uint32_t ms = gen_frac_next(&df->fr, t, 1000);
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    p = gen_put2(p, (int)(ms % 100));
    *p++ = ' ';
    p = gen_put(p, sev, strlen(sev));
    p = GEN_PUTS(p, " [");
    p = gen_put(p, logger, strlen(logger));
    *p++ = '/';
    p = gen_put_u64(p, pid);
    p = GEN_PUTS(p, ".1398721345676");
    p = gen_put2(p, (int)(pid % 100));
    return GEN_PUTS(p, "] ");
}

/* "[hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: " */
static char *put_label4(char *p, const gen_device *dev, uint32_t xid)
{
    static const char digits[] = "0123456789abcdef";
    p = GEN_PUTS(p, "[hwtype=1 ");
    p = gen_put_colon_hex(p, dev->mac, 6);
    p = GEN_PUTS(p, "], cid=[01:");
    p = gen_put_colon_hex(p, dev->mac, 6);
    p = GEN_PUTS(p, "], tid=0x");
    int started = 0;
    for (int sh = 28; sh >= 0; sh -= 4) {
        unsigned v = (xid >> sh) & 15;
        if (v || started || sh == 0) {
            *p++ = digits[v];
            started = 1;
        }
    }
    return GEN_PUTS(p, ": ");
}

static char *put_label6(char *p, const gen_device *dev, uint32_t tid)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t duid[14];
    gen_device_duid(dev, duid);
    p = GEN_PUTS(p, "duid=[");
    p = gen_put_colon_hex(p, duid, sizeof duid);
    p = GEN_PUTS(p, "], [hwtype=1 ");
    p = gen_put_colon_hex(p, dev->mac, 6);
    p = GEN_PUTS(p, "], tid=0x");
    int started = 0;
    for (int sh = 20; sh >= 0; sh -= 4) {
        unsigned v = (tid >> sh) & 15;
        if (v || started || sh == 0) {
            *p++ = digits[v];
            started = 1;
        }
    }
    return GEN_PUTS(p, ": ");
}

static uint32_t kea_pid(const struct kealog *w, int site, int v6)
{
    return 1187 + (uint32_t)(site * 4111 + (int)w->restarts[site] * 977 + v6 * 3) % 40000;
}

static uint64_t emit4(struct kealog *w, const gen_happening *h, gen_dayfile *df)
{
    gen_file *f = &df->f;
    const gen_device *dev = h->dev;
    gen_site *site = h->site;
    uint32_t pid = kea_pid(w, site->index, 0);
    char *p = f->buf + f->len, *start = p;
    uint64_t rows = 0;
    switch (h->kind) {
    case GEN_H_START:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.dhcp4", pid);
        p = GEN_PUTS(p, "DHCP4_STARTED Kea DHCPv4 server version 2.4.1 started\n");
        rows = 1;
        break;
    case GEN_H_STOP:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.dhcp4", pid);
        p = GEN_PUTS(p, "DHCP4_SHUTDOWN server shutdown\n");
        rows = 1;
        break;
    case GEN_H_ASSIGN:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.leases", pid);
        p = GEN_PUTS(put_label4(GEN_PUTS(p, "DHCP4_LEASE_OFFER "), dev, h->xid - 1), "lease ");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, " will be offered\n");
        rows = 1;
        /* fall through */
    case GEN_H_RENEW:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.leases", pid);
        p = GEN_PUTS(put_label4(GEN_PUTS(p, "DHCP4_LEASE_ALLOC "), dev, h->xid), "lease ");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, " has been allocated for ");
        p = gen_put_u64(p, (uint64_t)gen_lease4(w->ctx, dev));
        p = GEN_PUTS(p, " seconds\n");
        rows++;
        break;
    case GEN_H_RELEASE:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.leases", pid);
        p = GEN_PUTS(put_label4(GEN_PUTS(p, "DHCP4_RELEASE "), dev, h->xid), "address ");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, " was released properly.\n");
        rows = 1;
        break;
    case GEN_H_NACK:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp4.bad-packets", pid);
        p = GEN_PUTS(put_label4(GEN_PUTS(p, "DHCP4_PACKET_NAK_0002 "), dev, h->xid),
                     "invalid address ");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, " requested by INIT-REBOOT\n");
        rows = 1;
        break;
    case GEN_H_FULL:
        p = put_head(p, df, site, h->t, "WARN ", "kea-dhcp4.alloc-engine", pid);
        p = GEN_PUTS(put_label4(GEN_PUTS(p, "ALLOC_ENGINE_V4_ALLOC_FAIL_SUBNET "), dev, h->xid),
                     "failed to allocate an IPv4 address in the subnet ");
        p = gen_put_ip4(p, (uint32_t)h->ip.lo);
        p = GEN_PUTS(p, "/22, subnet-id ");
        p = gen_put_u64(p, (uint64_t)dev->scope + 1);
        p = GEN_PUTS(p, ", shared network (none)\n");
        rows = 1;
        break;
    default:
        break;
    }
    f->len += (size_t)(p - start);
    return rows;
}

static uint64_t emit6(struct kealog *w, const gen_happening *h, gen_dayfile *df)
{
    gen_file *f = &df->f;
    const gen_device *dev = h->dev;
    gen_site *site = h->site;
    uint32_t pid = kea_pid(w, site->index, 1);
    uint32_t tid = (uint32_t)gen_hash(h->ip.lo, (uint64_t)h->t) & 0xffffff;
    char *p = f->buf + f->len, *start = p;
    uint64_t rows = 0;
    switch (h->kind) {
    case GEN_H_START:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp6.dhcp6", pid);
        p = GEN_PUTS(p, "DHCP6_STARTED Kea DHCPv6 server version 2.4.1 started\n");
        rows = 1;
        break;
    case GEN_H_STOP:
        p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp6.dhcp6", pid);
        p = GEN_PUTS(p, "DHCP6_SHUTDOWN server shutdown\n");
        rows = 1;
        break;
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
    case GEN_H_RELEASE:
        for (int round = h->kind == GEN_H_ASSIGN ? 0 : 1; round < 2; round++) {
            p = put_head(p, df, site, h->t, "INFO ", "kea-dhcp6.leases", pid);
            if (h->kind == GEN_H_RELEASE)
                p = GEN_PUTS(put_label6(GEN_PUTS(p, "DHCP6_RELEASE_NA "), dev, tid),
                             "binding for address ");
            else if (round == 0)
                p = GEN_PUTS(put_label6(GEN_PUTS(p, "DHCP6_LEASE_ADVERT "), dev, tid - 1),
                             "lease for address ");
            else if (h->kind == GEN_H_ASSIGN)
                p = GEN_PUTS(put_label6(GEN_PUTS(p, "DHCP6_LEASE_ALLOC "), dev, tid),
                             "lease for address ");
            else
                p = GEN_PUTS(put_label6(GEN_PUTS(p, "DHCP6_LEASE_RENEW "), dev, tid),
                             "lease for address ");
            p = gen_put_ip(p, h->ip);
            p = GEN_PUTS(p, " and iaid=");
            p = gen_put_u64(p, gen_iaid(dev));
            if (h->kind == GEN_H_RELEASE) {
                p = GEN_PUTS(p, " was released properly\n");
            } else if (round == 0) {
                p = GEN_PUTS(p, " will be advertised\n");
            } else if (h->kind == GEN_H_ASSIGN) {
                p = GEN_PUTS(p, " has been allocated for ");
                p = gen_put_u64(p, (uint64_t)gen_lease6(dev));
                p = GEN_PUTS(p, " seconds\n");
            } else {
                p = GEN_PUTS(p, " has been allocated\n");
            }
            rows++;
        }
        break;
    default:
        break;
    }
    f->len += (size_t)(p - start);
    return rows;
}

static int kea_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct kealog *w = state;
    if (h->site->vendor != GEN_V_KEA || h->kind > GEN_H_FULL)
        return IPL_OK;
    int i = h->site->index;
    if (h->kind == GEN_H_DAY)
        return kea_day(w, h->site, h->day, d);
    if (w->f4[i].f.fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", h->site->server);
    int rc;
    if (h->kind == GEN_H_START && h->t > h->site->start)
        w->restarts[i]++;
    if (h->family != 6) {
        if ((rc = gen_file_room(&w->f4[i].f, d)) != IPL_OK)
            return rc;
        w->c.rows += emit4(w, h, &w->f4[i]);
    }
    if (h->family != 4) {
        if ((rc = gen_file_room(&w->f6[i].f, d)) != IPL_OK)
            return rc;
        w->c.rows += emit6(w, h, &w->f6[i]);
    }
    return IPL_OK;
}

static int kea_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct kealog *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->f4 = calloc((size_t)ctx->nsites, sizeof *w->f4);
    w->f6 = calloc((size_t)ctx->nsites, sizeof *w->f6);
    w->restarts = calloc((size_t)ctx->nsites, sizeof *w->restarts);
    if (!w->f4 || !w->f6 || !w->restarts) {
        free(w->f4);
        free(w->f6);
        free(w->restarts);
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ctx->nsites; i++) {
        gen_dayfile init = GEN_DAYFILE_INIT;
        w->f4[i] = init;
        w->f6[i] = init;
    }
    w->cap = gen_bufcap(2 * ctx->nsites);
    *state = w;
    return IPL_OK;
}

static int kea_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct kealog *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_KEA)
            continue;
        char dir[GEN_PATH_MAX];
        rc = gen_dayfile_close(&w->f4[i], &w->c, d);
        if (!rc)
            rc = gen_dayfile_close(&w->f6[i], &w->c, d);
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

static void kea_free(void *state)
{
    struct kealog *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++) {
        gen_file_close(&w->f4[i].f, NULL);
        gen_file_close(&w->f6[i].f, NULL);
    }
    free(w->f4);
    free(w->f6);
    free(w->restarts);
    free(w);
}

const gen_writer_ops gen_out_kea_log = {
    .name = FOLDER,
    .open = kea_open,
    .emit = kea_emit,
    .finish = kea_finish,
    .free = kea_free,
};
