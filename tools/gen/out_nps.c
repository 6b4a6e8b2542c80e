/* tools/gen/out_nps.c — Microsoft NPS accounting in the IAS (legacy) log format (FORMATS.md 6.1-6.2;
 * ipledger format "nps-ias") for the Wi-Fi sessions of Windows DHCP sites (--mix all):
 *
 *   DIR/nps-ias/<nps server>/IN<yymmdd>.log     one file per local day ("daily" new-file setting)
 *
 * A line is the six header fields (NAS-IP-Address, User-Name, date, time in the server's local
 * time, "IAS", Computer-Name) and attribute-id,value pairs. The wireless controller (10.<k>.0.4)
 * sends Start when the device has its address (Framed-IP-Address, 8; Framed-IPv6-Address, 168, for
 * dual-stack devices) and Stop when it leaves or roams; Calling-Station-Id (31) is the MAC,
 * User-Name (1) the owner as CONTOSO\first.last, Acct-Session-Id (44) ties the two.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "nps-ias"

struct nps {
    const gen_ctx *ctx;
    int            active;
    gen_dayfile   *f;               /* [nsites] */
    size_t         cap;
    gen_counts     c;
};

static int nps_day(struct nps *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    int rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/IN%02d%02d%02d.log", w->ctx->out,
                      site->radius, y % 100, m, dd);
    return rc ? rc : gen_dayfile_open(&w->f[site->index], path, w->cap, day, &w->c, d);
}

/* "8B2C00001A0F3C11": the controller's session id */
static char *put_session(char *p, uint64_t sid)
{
    uint8_t b[8];
    uint64_t v = gen_hash(UINT64_C(0x61636374), sid);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    return gen_put_hex(p, b, 8, 1);
}

static char *put_pair(char *p, const char *id, size_t n)
{
    *p++ = ',';
    p = gen_put(p, id, n);
    *p++ = ',';
    return p;
}
#define PAIR(p, id) put_pair((p), (id), sizeof(id) - 1)

static int nps_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct nps *w = state;
    if (!w->active || h->site->vendor != GEN_V_MSWIN)
        return IPL_OK;
    if (h->kind == GEN_H_DAY)
        return nps_day(w, h->site, h->day, d);
    if ((h->kind != GEN_H_LOGON && h->kind != GEN_H_LOGOFF) || h->via != GEN_VIA_WIFI)
        return IPL_OK;
    gen_site *site = h->site;
    gen_file *f = &w->f[site->index].f;
    if (f->fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", site->radius);
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    const gen_device *dev = h->dev;
    char user[96], nasid[32];
    size_t nu = gen_user_name(h->user, user, sizeof user);
    size_t nn = (size_t)(GEN_PUTS(nasid, "wlc-") - nasid);
    nn += (size_t)(gen_put(nasid + nn, site->code, strlen(site->code)) - (nasid + nn));
    nn += (size_t)(GEN_PUTS(nasid + nn, "-01") - (nasid + nn));
    gen_local L;
    gen_site_local(site, h->t, &L);
    char *p = f->buf + f->len, *start = p;
    p = gen_put_ip4(p, site->nas_ip);
    *p++ = ',';
    p = gen_put(p, user, nu);
    *p++ = ',';
    p = gen_put2(p, L.m);
    *p++ = '/';
    p = gen_put2(p, L.d);
    *p++ = '/';
    p = gen_put4(p, L.y);
    *p++ = ',';
    p = gen_put2(p, L.hh);
    *p++ = ':';
    p = gen_put2(p, L.mm);
    *p++ = ':';
    p = gen_put2(p, L.ss);
    p = GEN_PUTS(p, ",IAS,");
    for (size_t i = 0, k = gen_label(site->radius); i < k; i++) {
        char ch = site->radius[i];
        *p++ = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
    }
    p = GEN_PUTS(p, ",40,");
    *p++ = h->kind == GEN_H_LOGON ? '1' : '2';
    p = PAIR(p, "44");
    p = put_session(p, h->sid);
    p = PAIR(p, "1");
    p = gen_put(p, user, nu);
    p = PAIR(p, "4");
    p = gen_put_ip4(p, site->nas_ip);
    p = PAIR(p, "5");
    p = gen_put_u64(p, 1 + h->port % 512);
    p = GEN_PUTS(p, ",61,19,32,");
    p = gen_put(p, nasid, nn);
    uint8_t ap = (uint8_t)(site->index + 1);
    p = GEN_PUTS(p, ",30,00-1A-1E-");
    p = gen_put_hex(p, &ap, 1, 1);
    p = GEN_PUTS(p, "-AA-01:CorpWiFi,31,");
    for (int i = 0; i < 6; i++) {
        if (i)
            *p++ = '-';
        p = gen_put_hex(p, dev->mac + i, 1, 1);
    }
    p = PAIR(p, "8");
    p = gen_put_ip4(p, (uint32_t)h->ip.lo);
    if (h->ip6.hi) {
        p = PAIR(p, "168");
        p = gen_put_ip(p, h->ip6);
    }
    p = GEN_PUTS(p, ",45,1,41,0");
    if (h->kind == GEN_H_LOGOFF) {
        uint64_t secs = (uint64_t)(h->t - h->since), v = gen_hash(UINT64_C(0x6f6374), h->sid);
        p = PAIR(p, "46");
        p = gen_put_u64(p, secs);
        p = PAIR(p, "42");
        p = gen_put_u64(p, secs * (200 + v % 4000));
        p = PAIR(p, "43");
        p = gen_put_u64(p, secs * (800 + (v >> 16) % 20000));
        p = PAIR(p, "49");
        *p++ = v % 3 == 0 ? '2' : '1';             /* Lost-Carrier or User-Request */
    }
    p = PAIR(p, "4108");
    p = gen_put_ip4(p, site->nas_ip);
    p = PAIR(p, "4128");
    p = gen_put(p, nasid, nn);
    p = GEN_PUTS(p, ",4136,4,4142,0\r\n");
    f->len += (size_t)(p - start);
    w->c.rows++;
    return IPL_OK;
}

static int nps_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct nps *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->active = ctx->mix == GEN_MIX_ALL;
    w->f = calloc((size_t)ctx->nsites, sizeof *w->f);
    if (!w->f) {
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

static int nps_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct nps *w = state;
    int rc = IPL_OK;
    for (int i = 0; w->active && i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_MSWIN)
            continue;
        char dir[GEN_PATH_MAX];
        rc = gen_dayfile_close(&w->f[i], &w->c, d);
        if (!rc)
            rc = gen_path(dir, sizeof dir, d, FOLDER "/%s", site->radius);
        if (!rc)
            rc = gen_source_line(sources, dir, FOLDER, site->tzname, site->radius, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void nps_free(void *state)
{
    struct nps *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w);
}

const gen_writer_ops gen_out_nps = {
    .name = FOLDER,
    .open = nps_open,
    .emit = nps_emit,
    .finish = nps_finish,
    .free = nps_free,
};
