/* tools/gen/out_kea_csv.c — Kea's memfile lease files (FORMATS.md 3.1-3.4; ipledger format
 * "kea-csv") for the sites whose DHCP server is ISC Kea 2.4 (--mix all):
 *
 *   DIR/kea-csv/<server>/kea-leases4.csv    every lease change of the run, in time order
 *   DIR/kea-csv/<server>/kea-leases6.csv
 *
 * Kea appends a full row at every change; the generator writes the file as it is with lease file
 * cleanup off (lfc-interval 0): one file, never compacted. Times are Unix seconds (UTC).
 *
 *   assign, renew   valid_lifetime = the lease, expire = now + lease, state 0
 *   release         valid_lifetime 0, expire = the old cltt (what Kea writes for a removed lease)
 *   expiry          state 2 (expired-reclaimed), expire = the lease's end, written when the
 *                   reclamation runs (here: at the expiry instant)
 * The v6 file has the DUID (with the MAC inside), the IAID, lease type 0 and the MAC itself
 * (hwtype 1, hwaddr_source 2: from the DUID).
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "kea-csv"

static const char head4[] =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
    "user_context,pool_id\n";
static const char head6[] =
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
    "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id\n";

struct keacsv {
    const gen_ctx *ctx;
    gen_dayfile   *f4, *f6;         /* [nsites] */
    int64_t       *cltt4, *cltt6;   /* [ndev]: the last allocation or renewal */
    size_t         cap;
    gen_counts     c;
};

/* "laptop-7q2k1ab.corp.example.com": Kea keeps the client's FQDN option, lower case */
static char *put_fqdn(char *p, const gen_device *dev)
{
    char host[48];
    size_t n = gen_device_host(dev, host);
    for (size_t i = 0; i < n; i++)
        *p++ = host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i];
    return p;
}

static int emit4(struct keacsv *w, const gen_happening *h, gen_file *f)
{
    const gen_device *dev = h->dev;
    int32_t lease = gen_lease4(w->ctx, dev);
    int64_t valid, expire;
    int state = 0;
    switch (h->kind) {
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        w->cltt4[dev->id] = h->t;
        valid = lease;
        expire = h->t + lease;
        break;
    case GEN_H_RELEASE:
        valid = 0;
        expire = w->cltt4[dev->id];
        break;
    case GEN_H_EXPIRE:
        valid = lease;
        expire = h->t;
        state = 2;
        break;
    default:
        return 0;
    }
    char *p = f->buf + f->len, *start = p;
    p = gen_put_ip4(p, (uint32_t)h->ip.lo);
    *p++ = ',';
    p = gen_put_colon_hex(p, dev->mac, 6);
    p = GEN_PUTS(p, ",01:");
    p = gen_put_colon_hex(p, dev->mac, 6);
    *p++ = ',';
    p = gen_put_u64(p, (uint64_t)valid);
    *p++ = ',';
    p = gen_put_u64(p, (uint64_t)expire);
    *p++ = ',';
    p = gen_put_u64(p, (uint64_t)dev->scope + 1);
    p = GEN_PUTS(p, ",1,1,");
    p = put_fqdn(p, dev);
    *p++ = ',';
    *p++ = (char)('0' + state);
    p = GEN_PUTS(p, ",,0\n");
    f->len += (size_t)(p - start);
    return 1;
}

static int emit6(struct keacsv *w, const gen_happening *h, gen_file *f)
{
    const gen_device *dev = h->dev;
    int32_t lease = gen_lease6(dev);
    int64_t valid, expire, pref;
    int state = 0;
    switch (h->kind) {
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        w->cltt6[dev->id] = h->t;
        valid = lease;
        pref = lease / 2;
        expire = h->t + lease;
        break;
    case GEN_H_RELEASE:
        valid = pref = 0;
        expire = w->cltt6[dev->id];
        break;
    case GEN_H_EXPIRE:
        valid = lease;
        pref = lease / 2;
        expire = h->t;
        state = 2;
        break;
    default:
        return 0;
    }
    uint8_t duid[14];
    gen_device_duid(dev, duid);
    char *p = f->buf + f->len, *start = p;
    p = gen_put_ip(p, h->ip);
    *p++ = ',';
    p = gen_put_colon_hex(p, duid, sizeof duid);
    *p++ = ',';
    p = gen_put_u64(p, (uint64_t)valid);
    *p++ = ',';
    p = gen_put_u64(p, (uint64_t)expire);
    p = GEN_PUTS(p, ",1,");
    p = gen_put_u64(p, (uint64_t)pref);
    p = GEN_PUTS(p, ",0,");
    p = gen_put_u64(p, gen_iaid(dev));
    p = GEN_PUTS(p, ",128,1,1,");
    p = put_fqdn(p, dev);
    *p++ = ',';
    p = gen_put_colon_hex(p, dev->mac, 6);
    *p++ = ',';
    *p++ = (char)('0' + state);
    p = GEN_PUTS(p, ",,1,2,0\n");
    f->len += (size_t)(p - start);
    return 1;
}

static int open_files(struct keacsv *w, gen_site *site, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int i = site->index, rc;
    if ((rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/kea-leases4.csv", w->ctx->out,
                       site->server)) != IPL_OK
        || (rc = gen_dayfile_open(&w->f4[i], path, w->cap, 0, &w->c, d)) != IPL_OK
        || (rc = gen_file_write(&w->f4[i].f, head4, sizeof head4 - 1, d)) != IPL_OK
        || (rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/kea-leases6.csv", w->ctx->out,
                          site->server)) != IPL_OK
        || (rc = gen_dayfile_open(&w->f6[i], path, w->cap, 0, &w->c, d)) != IPL_OK)
        return rc;
    return gen_file_write(&w->f6[i].f, head6, sizeof head6 - 1, d);
}

static int csv_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct keacsv *w = state;
    if (h->site->vendor != GEN_V_KEA || h->kind > GEN_H_FULL)
        return IPL_OK;
    int i = h->site->index;
    if (h->kind == GEN_H_DAY)
        return h->day == 0 ? open_files(w, h->site, d) : IPL_OK;
    if (h->family == 0)
        return IPL_OK;
    gen_file *f = h->family == 6 ? &w->f6[i].f : &w->f4[i].f;
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    w->c.rows += (uint64_t)(h->family == 6 ? emit6(w, h, f) : emit4(w, h, f));
    return IPL_OK;
}

static int csv_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct keacsv *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    size_t nd = ctx->mix == GEN_MIX_ALL && ctx->ndev ? ctx->ndev : 1;
    w->f4 = calloc((size_t)ctx->nsites, sizeof *w->f4);
    w->f6 = calloc((size_t)ctx->nsites, sizeof *w->f6);
    w->cltt4 = calloc(nd, sizeof *w->cltt4);
    w->cltt6 = calloc(nd, sizeof *w->cltt6);
    if (!w->f4 || !w->f6 || !w->cltt4 || !w->cltt6) {
        free(w->f4);
        free(w->f6);
        free(w->cltt4);
        free(w->cltt6);
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

static int csv_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct keacsv *w = state;
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
            rc = gen_source_line(sources, dir, FOLDER, "UTC", site->server, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void csv_free(void *state)
{
    struct keacsv *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++) {
        gen_file_close(&w->f4[i].f, NULL);
        gen_file_close(&w->f6[i].f, NULL);
    }
    free(w->f4);
    free(w->f6);
    free(w->cltt4);
    free(w->cltt6);
    free(w);
}

const gen_writer_ops gen_out_kea_csv = {
    .name = FOLDER,
    .open = csv_open,
    .emit = csv_emit,
    .finish = csv_finish,
    .free = csv_free,
};
