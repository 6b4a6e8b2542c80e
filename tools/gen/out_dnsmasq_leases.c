/* tools/gen/out_dnsmasq_leases.c — dnsmasq's lease file (FORMATS.md 4.5; ipledger format
 * "dnsmasq-leases") for the sites whose DHCP server is dnsmasq (--mix all):
 *
 *   DIR/dnsmasq-leases/<server>/dnsmasq.leases    the file as archived at the end of the run
 *
 * dnsmasq rewrites the file in place at every change, so a copy is a snapshot: the leases held at
 * that instant with their expiry. Only the final snapshot is written: an older copy would state
 * expiries that later renewals moved (a reader cannot tell those from real ends).
 *
 *   <expiry> <mac> <ipv4> <host> 01:<mac>                  v4 rows
 *   duid <server DUID>
 *   <expiry> <iaid> <ipv6> <host> <client DUID>            v6 rows
 * expiry = the last assignment or renewal + the lease time (Unix seconds).
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "dnsmasq-leases"

struct held {
    uint32_t dev;
    uint8_t  family;
    gen_ip   ip;
};

struct dmleases {
    const gen_ctx *ctx;
    int64_t       *last4, *last6;   /* [ndev]: the last assign or renew */
    struct held   *held;
    size_t         nheld, capheld;
    gen_counts     c;
};

static int dl_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct dmleases *w = state;
    if (h->site->vendor != GEN_V_DNSMASQ || !h->dev)
        return IPL_OK;
    if (h->kind == GEN_H_ASSIGN || h->kind == GEN_H_RENEW) {
        (h->family == 6 ? w->last6 : w->last4)[h->dev->id] = h->t;
    } else if (h->kind == GEN_H_OPEN) {
        if (w->nheld == w->capheld) {
            size_t cap = w->capheld ? w->capheld * 2 : 1024;
            struct held *n = realloc(w->held, cap * sizeof *n);
            if (!n)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory for the dnsmasq leases");
            w->held = n;
            w->capheld = cap;
        }
        w->held[w->nheld++] = (struct held){ h->dev->id, (uint8_t)h->family, h->ip };
    }
    return IPL_OK;
}

static int write_site(struct dmleases *w, const gen_site *site, ipl_diag *d)
{
    const gen_ctx *ctx = w->ctx;
    char path[GEN_PATH_MAX];
    gen_dayfile df = GEN_DAYFILE_INIT;
    int rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/dnsmasq.leases", ctx->out,
                      site->server);
    if (!rc)
        rc = gen_dayfile_open(&df, path, (size_t)256 << 10, 0, &w->c, d);
    for (int family = 4; family <= 6 && !rc; family += 2) {
        if (family == 6) {
            uint8_t sduid[14] = { 0, 1, 0, 1, 0x2a, 0xbb, 0xcc, (uint8_t)site->index, 0, 0x11,
                                  0x22, 0x33, 0x44, (uint8_t)(site->index + 1) };
            if ((rc = gen_file_room(&df.f, d)) != IPL_OK)
                break;
            char *p = df.f.buf + df.f.len, *start = p;
            p = GEN_PUTS(p, "duid ");
            p = gen_put_colon_hex(p, sduid, sizeof sduid);
            *p++ = '\n';
            df.f.len += (size_t)(p - start);
        }
        for (size_t i = 0; i < w->nheld && !rc; i++) {
            const struct held *hl = &w->held[i];
            const gen_device *dev = &ctx->devs[hl->dev];
            if (hl->family != family || dev->site != site->index)
                continue;
            if ((rc = gen_file_room(&df.f, d)) != IPL_OK)
                break;
            uint8_t duid[14];
            char *p = df.f.buf + df.f.len, *start = p;
            if (family == 4) {
                p = gen_put_u64(p, (uint64_t)(w->last4[dev->id] + gen_lease4(ctx, dev)));
                *p++ = ' ';
                p = gen_put_colon_hex(p, dev->mac, 6);
                *p++ = ' ';
                p = gen_put_ip4(p, (uint32_t)hl->ip.lo);
                *p++ = ' ';
                p += gen_device_short(dev, p);
                p = GEN_PUTS(p, " 01:");
                p = gen_put_colon_hex(p, dev->mac, 6);
            } else {
                gen_device_duid(dev, duid);
                p = gen_put_u64(p, (uint64_t)(w->last6[dev->id] + gen_lease6(dev)));
                *p++ = ' ';
                p = gen_put_u64(p, gen_iaid(dev));
                *p++ = ' ';
                p = gen_put_ip(p, hl->ip);
                *p++ = ' ';
                p += gen_device_short(dev, p);
                *p++ = ' ';
                p = gen_put_colon_hex(p, duid, sizeof duid);
            }
            *p++ = '\n';
            df.f.len += (size_t)(p - start);
            w->c.rows++;
        }
    }
    int rc2 = gen_dayfile_close(&df, &w->c, d);
    return rc ? rc : rc2;
}

static int dl_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct dmleases *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    size_t nd = ctx->mix == GEN_MIX_ALL && ctx->ndev ? ctx->ndev : 1;
    w->last4 = calloc(nd, sizeof *w->last4);
    w->last6 = calloc(nd, sizeof *w->last6);
    if (!w->last4 || !w->last6) {
        free(w->last4);
        free(w->last6);
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    *state = w;
    return IPL_OK;
}

static int dl_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct dmleases *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_DNSMASQ)
            continue;
        char dir[GEN_PATH_MAX];
        rc = write_site(w, site, d);
        if (!rc)
            rc = gen_path(dir, sizeof dir, d, FOLDER "/%s", site->server);
        if (!rc)
            rc = gen_source_line(sources, dir, FOLDER, "UTC", site->server, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void dl_free(void *state)
{
    struct dmleases *w = state;
    if (!w)
        return;
    free(w->last4);
    free(w->last6);
    free(w->held);
    free(w);
}

const gen_writer_ops gen_out_dnsmasq_leases = {
    .name = FOLDER,
    .open = dl_open,
    .emit = dl_emit,
    .finish = dl_finish,
    .free = dl_free,
};
