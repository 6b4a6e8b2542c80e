/* tools/gen/out_freeradius.c — FreeRADIUS 3 accounting detail files (FORMATS.md 6.5; ipledger
 * format "freeradius-detail") for the Wi-Fi sessions of the sites that do not run Windows DHCP
 * (--mix all):
 *
 *   DIR/freeradius-detail/<radius server>/<NAS address>/detail-<YYYYMMDD>   per local day
 *
 * Each record: the ctime-style local header ("Mon May  6 08:15:40 2024"), tab-indented
 * "Attribute = value" lines, an empty line. Start when the device has its address, Stop when it
 * leaves or roams; User-Name is the owner as first.last@corp.example.com (the supplicant's
 * identity), Calling-Station-Id the MAC, Framed-IP-Address (and Framed-IPv6-Address for
 * dual-stack devices) the device's addresses, Timestamp the UTC epoch the server received it.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "freeradius-detail"

struct fr {
    const gen_ctx *ctx;
    int            active;
    gen_dayfile   *f;               /* [nsites] */
    size_t         cap;
    gen_counts     c;
};

static int fr_day(struct fr *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX], nas[16];
    int y, m, dd;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    *gen_put_ip4(nas, site->nas_ip) = '\0';
    int rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/%s/detail-%04d%02d%02d", w->ctx->out,
                      site->radius, nas, y, m, dd);
    return rc ? rc : gen_dayfile_open(&w->f[site->index], path, w->cap, day, &w->c, d);
}

static int fr_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    static const char *const wday[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct fr *w = state;
    if (!w->active || h->site->vendor == GEN_V_MSWIN)
        return IPL_OK;
    if (h->kind == GEN_H_DAY)
        return fr_day(w, h->site, h->day, d);
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
    char user[96];
    size_t nu = gen_session_user(site, GEN_VIA_WIFI, h->user, user, sizeof user);
    gen_local L;
    gen_site_local(site, h->t, &L);
    uint64_t v = gen_hash(UINT64_C(0x61636374), h->sid);
    uint8_t sb[8];
    for (int i = 0; i < 8; i++)
        sb[i] = (uint8_t)(v >> (56 - 8 * i));
    char *p = f->buf + f->len, *start = p;
    /* "Mon May  6 08:15:40 2024" */
    p = gen_put(p, wday[ipl_weekday(ipl_days_from_civil(L.y, L.m, L.d))], 3);
    *p++ = ' ';
    p = gen_put(p, mon[L.m - 1], 3);
    *p++ = ' ';
    *p++ = L.d < 10 ? ' ' : (char)('0' + L.d / 10);
    *p++ = (char)('0' + L.d % 10);
    *p++ = ' ';
    p = gen_put2(p, L.hh);
    *p++ = ':';
    p = gen_put2(p, L.mm);
    *p++ = ':';
    p = gen_put2(p, L.ss);
    *p++ = ' ';
    p = gen_put4(p, L.y);
    p = h->kind == GEN_H_LOGON ? GEN_PUTS(p, "\n\tAcct-Status-Type = Start\n")
                               : GEN_PUTS(p, "\n\tAcct-Status-Type = Stop\n");
    p = GEN_PUTS(p, "\tAcct-Session-Id = \"");
    p = gen_put_hex(p, sb, 8, 1);
    p = GEN_PUTS(p, "\"\n\tUser-Name = \"");
    p = gen_put(p, user, nu);
    p = GEN_PUTS(p, "\"\n\tNAS-IP-Address = ");
    p = gen_put_ip4(p, site->nas_ip);
    p = GEN_PUTS(p, "\n\tNAS-Identifier = \"wlc-");
    p = gen_put(p, site->code, strlen(site->code));
    p = GEN_PUTS(p, "-01\"\n\tNAS-Port = ");
    p = gen_put_u64(p, 1 + h->port % 512);
    p = GEN_PUTS(p, "\n\tNAS-Port-Type = Wireless-802.11\n\tCalled-Station-Id = \"00-1A-1E-");
    uint8_t ap = (uint8_t)(site->index + 1);
    p = gen_put_hex(p, &ap, 1, 1);
    p = GEN_PUTS(p, "-AA-01:CorpWiFi\"\n\tCalling-Station-Id = \"");
    for (int i = 0; i < 6; i++) {
        if (i)
            *p++ = '-';
        p = gen_put_hex(p, dev->mac + i, 1, 1);
    }
    p = GEN_PUTS(p, "\"\n\tFramed-IP-Address = ");
    p = gen_put_ip4(p, (uint32_t)h->ip.lo);
    if (h->ip6.hi) {
        p = GEN_PUTS(p, "\n\tFramed-IPv6-Address = ");
        p = gen_put_ip(p, h->ip6);
    }
    if (h->kind == GEN_H_LOGOFF) {
        uint64_t secs = (uint64_t)(h->t - h->since);
        p = GEN_PUTS(p, "\n\tAcct-Session-Time = ");
        p = gen_put_u64(p, secs);
        p = GEN_PUTS(p, "\n\tAcct-Input-Octets = ");
        p = gen_put_u64(p, secs * (200 + v % 4000));
        p = GEN_PUTS(p, "\n\tAcct-Output-Octets = ");
        p = gen_put_u64(p, secs * (800 + (v >> 16) % 20000));
        p = v % 3 == 0 ? GEN_PUTS(p, "\n\tAcct-Terminate-Cause = Lost-Carrier")
                       : GEN_PUTS(p, "\n\tAcct-Terminate-Cause = User-Request");
    }
    p = GEN_PUTS(p, "\n\tAcct-Unique-Session-Id = \"");
    p = gen_put_hex(p, sb, 8, 0);
    uint64_t v2 = gen_mix64(v);
    for (int i = 0; i < 8; i++)
        sb[i] = (uint8_t)(v2 >> (56 - 8 * i));
    p = gen_put_hex(p, sb, 8, 0);
    p = GEN_PUTS(p, "\"\n\tTimestamp = ");
    p = gen_put_u64(p, (uint64_t)h->t);
    p = GEN_PUTS(p, "\n\n");
    f->len += (size_t)(p - start);
    w->c.rows++;
    return IPL_OK;
}

static int fr_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct fr *w = calloc(1, sizeof *w);
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

static int fr_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct fr *w = state;
    int rc = IPL_OK;
    for (int i = 0; w->active && i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor == GEN_V_MSWIN)
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

static void fr_free(void *state)
{
    struct fr *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w);
}

const gen_writer_ops gen_out_freeradius = {
    .name = FOLDER,
    .open = fr_open,
    .emit = fr_emit,
    .finish = fr_finish,
    .free = fr_free,
};
