/* tools/gen/out_isc_leases.c — ISC dhcpd's lease databases (FORMATS.md 2.5-2.7; ipledger format
 * "isc-leases") for the sites whose DHCP server is ISC dhcpd (--mix all):
 *
 *   DIR/isc-leases/<server>/dhcpd.leases     the v4 daemon's file, for the whole run
 *   DIR/isc-leases/<server>/dhcpd6.leases    the v6 daemon's file
 *
 * dhcpd appends a lease block every time a lease changes and rewrites the file now and then; the
 * generator writes the append-only journal between rewrites (one file per daemon, no rewrite), so
 * the file is the lease history in time order. Times are UTC ("W YYYY/MM/DD HH:MM:SS").
 *
 *   assign, renew   lease ... { starts = ACK time; ends = starts + lease; binding state active;
 *                   hardware ethernet; uid "\001" + MAC; vendor class; client-hostname }
 *   release, expiry a block "binding state free" whose ends is the instant the lease ended (a
 *                   server without failover frees both; the parser reads either as the end)
 *   conflict        "binding state abandoned" (no client)
 *   v6              ia-na "<IAID><DUID>" { cltt; iaaddr X { binding state active|released|
 *                   expired; preferred-life; max-life; ends } }
 * This file is where ISC expiries are seen: the syslog never logs them.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "isc-leases"

static const char head4[] =
    "# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
    "# This lease file was written by isc-dhcp-4.4.3-P1\n"
    "\n"
    "# authoring-byte-order entry is generated, DO NOT DELETE\n"
    "authoring-byte-order little-endian;\n"
    "\n";

struct leases {
    const gen_ctx *ctx;
    gen_dayfile   *f4, *f6;         /* [nsites] */
    size_t         cap;
    gen_counts     c;
};

/* "1 2024/05/06 06:15:32" */
static char *put_date(char *p, int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - day * 86400;
    int y, m, d;
    ipl_civil_from_days(day, &y, &m, &d);
    *p++ = (char)('0' + ipl_weekday(day));
    *p++ = ' ';
    p = gen_put4(p, y);
    *p++ = '/';
    p = gen_put2(p, m);
    *p++ = '/';
    p = gen_put2(p, d);
    *p++ = ' ';
    p = gen_put2(p, (int)(sec / 3600));
    *p++ = ':';
    p = gen_put2(p, (int)(sec / 60 % 60));
    *p++ = ':';
    return gen_put2(p, (int)(sec % 60));
}

/* dhcpd's quotify_string: printable ASCII as is, '"' and '\' escaped, the rest \ooo. */
static char *put_quoted(char *p, const uint8_t *b, size_t n)
{
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '"' || b[i] == '\\') {
            *p++ = '\\';
            *p++ = (char)b[i];
        } else if (b[i] < 0x20 || b[i] > 0x7e) {
            *p++ = '\\';
            *p++ = (char)('0' + (b[i] >> 6));
            *p++ = (char)('0' + ((b[i] >> 3) & 7));
            *p++ = (char)('0' + (b[i] & 7));
        } else {
            *p++ = (char)b[i];
        }
    }
    *p++ = '"';
    return p;
}

static char *put_stmt_date(char *p, const char *what, size_t wn, int64_t t)
{
    p = GEN_PUTS(p, "  ");
    p = gen_put(p, what, wn);
    *p++ = ' ';
    p = put_date(p, t);
    return GEN_PUTS(p, ";\n");
}
#define DATE(p, lit, t) put_stmt_date((p), (lit), sizeof(lit) - 1, (t))

static char *put_client(char *p, const gen_device *dev)
{
    uint8_t uid[7] = { 1 };
    memcpy(uid + 1, dev->mac, 6);
    p = GEN_PUTS(p, "  hardware ethernet ");
    p = gen_put_colon_hex(p, dev->mac, 6);
    p = GEN_PUTS(p, ";\n  uid ");
    p = put_quoted(p, uid, sizeof uid);
    p = GEN_PUTS(p, ";\n");
    if (dev->flags & GEN_DEV_WINDOWS)
        p = GEN_PUTS(p, "  set vendor-class-identifier = \"MSFT 5.0\";\n");
    else if (dev->type == GEN_ANDROID)
        p = GEN_PUTS(p, "  set vendor-class-identifier = \"android-dhcp-14\";\n");
    p = GEN_PUTS(p, "  client-hostname \"");
    p += gen_device_short(dev, p);
    return GEN_PUTS(p, "\";\n");
}

static int emit4(struct leases *w, const gen_happening *h, gen_file *f)
{
    const gen_device *dev = h->dev;
    char *p = f->buf + f->len, *start = p;
    p = GEN_PUTS(p, "lease ");
    p = gen_put_ip4(p, (uint32_t)h->ip.lo);
    p = GEN_PUTS(p, " {\n");
    switch (h->kind) {
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        p = DATE(p, "starts", h->t);
        p = DATE(p, "ends", h->t + gen_lease4(w->ctx, dev));
        p = DATE(p, "cltt", h->t);
        p = GEN_PUTS(p, "  binding state active;\n  next binding state free;\n"
                        "  rewind binding state free;\n");
        p = put_client(p, dev);
        break;
    case GEN_H_RELEASE:
    case GEN_H_EXPIRE:
        p = DATE(p, "starts", h->since);
        p = DATE(p, "ends", h->t);
        p = DATE(p, "tstp", h->t);
        p = DATE(p, "cltt", h->kind == GEN_H_RELEASE ? h->t : h->since);
        p = GEN_PUTS(p, "  binding state free;\n  rewind binding state free;\n");
        p = put_client(p, dev);
        break;
    case GEN_H_CONFLICT:
        p = DATE(p, "starts", h->t);
        p = DATE(p, "ends", h->t + gen_lease4(w->ctx, dev));
        p = DATE(p, "tstp", h->t + gen_lease4(w->ctx, dev));
        p = DATE(p, "cltt", h->t);
        p = GEN_PUTS(p, "  binding state abandoned;\n  next binding state free;\n"
                        "  rewind binding state free;\n");
        break;
    default:
        return 0;
    }
    p = GEN_PUTS(p, "}\n");
    f->len += (size_t)(p - start);
    return 1;
}

static int emit6(const gen_happening *h, gen_file *f)
{
    const gen_device *dev = h->dev;
    const char *state;
    switch (h->kind) {
    case GEN_H_ASSIGN:
    case GEN_H_RENEW:
        state = "active";
        break;
    case GEN_H_RELEASE:
        state = "released";
        break;
    case GEN_H_EXPIRE:
        state = "expired";
        break;
    default:
        return 0;
    }
    uint8_t ia[18];
    uint32_t iaid = gen_iaid(dev);
    ia[0] = (uint8_t)iaid, ia[1] = (uint8_t)(iaid >> 8), ia[2] = (uint8_t)(iaid >> 16);
    ia[3] = (uint8_t)(iaid >> 24);
    gen_device_duid(dev, ia + 4);
    int32_t life = gen_lease6(dev);
    int active = h->kind == GEN_H_ASSIGN || h->kind == GEN_H_RENEW;
    char *p = f->buf + f->len, *start = p;
    p = GEN_PUTS(p, "ia-na ");
    p = put_quoted(p, ia, sizeof ia);
    p = GEN_PUTS(p, " {\n");
    p = DATE(p, "cltt", active || h->kind == GEN_H_RELEASE ? h->t : h->t - life);
    p = GEN_PUTS(p, "  iaaddr ");
    p = gen_put_ip(p, h->ip);
    p = GEN_PUTS(p, " {\n    binding state ");
    p = gen_put(p, state, strlen(state));
    p = GEN_PUTS(p, ";\n    preferred-life ");
    p = gen_put_u64(p, (uint64_t)life / 2);
    p = GEN_PUTS(p, ";\n    max-life ");
    p = gen_put_u64(p, (uint64_t)life);
    p = GEN_PUTS(p, ";\n  ");
    p = DATE(p, "ends", active ? h->t + life : h->t);
    p = GEN_PUTS(p, "  }\n}\n");
    f->len += (size_t)(p - start);
    return 1;
}

static int open_files(struct leases *w, gen_site *site, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int i = site->index, rc;
    uint8_t sduid[14] = { 0, 1, 0, 1, 0x2d, 0xe1, 0xab, (uint8_t)i, 0, 0x15, 0x5d, 0, 0,
                          (uint8_t)(i + 1) };
    if ((rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/dhcpd.leases", w->ctx->out,
                       site->server)) != IPL_OK
        || (rc = gen_dayfile_open(&w->f4[i], path, w->cap, 0, &w->c, d)) != IPL_OK
        || (rc = gen_file_write(&w->f4[i].f, head4, sizeof head4 - 1, d)) != IPL_OK
        || (rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/dhcpd6.leases", w->ctx->out,
                          site->server)) != IPL_OK
        || (rc = gen_dayfile_open(&w->f6[i], path, w->cap, 0, &w->c, d)) != IPL_OK
        || (rc = gen_file_write(&w->f6[i].f, head4, sizeof head4 - 1, d)) != IPL_OK)
        return rc;
    gen_file *f = &w->f6[i].f;
    char *p = f->buf + f->len, *start = p;
    p = GEN_PUTS(p, "server-duid ");
    p = put_quoted(p, sduid, sizeof sduid);
    p = GEN_PUTS(p, ";\n\n");
    f->len += (size_t)(p - start);
    return IPL_OK;
}

static int leases_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct leases *w = state;
    if (h->site->vendor != GEN_V_ISC || h->kind > GEN_H_FULL)
        return IPL_OK;
    int i = h->site->index;
    if (h->kind == GEN_H_DAY) {
        if (h->day == 0)
            return open_files(w, h->site, d);
        return IPL_OK;
    }
    gen_file *f = h->family == 6 ? &w->f6[i].f : &w->f4[i].f;
    if (h->family == 0 || f->fd < 0)
        return IPL_OK;
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    w->c.rows += (uint64_t)(h->family == 6 ? emit6(h, f) : emit4(w, h, f));
    return IPL_OK;
}

static int leases_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct leases *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->f4 = calloc((size_t)ctx->nsites, sizeof *w->f4);
    w->f6 = calloc((size_t)ctx->nsites, sizeof *w->f6);
    if (!w->f4 || !w->f6) {
        free(w->f4);
        free(w->f6);
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

static int leases_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct leases *w = state;
    int rc = IPL_OK;
    for (int i = 0; i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_ISC)
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

static void leases_free(void *state)
{
    struct leases *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++) {
        gen_file_close(&w->f4[i].f, NULL);
        gen_file_close(&w->f6[i].f, NULL);
    }
    free(w->f4);
    free(w->f6);
    free(w);
}

const gen_writer_ops gen_out_isc_leases = {
    .name = FOLDER,
    .open = leases_open,
    .emit = leases_emit,
    .finish = leases_finish,
    .free = leases_free,
};
