/* tools/gen/io.c — buffered output files, directory creation, daily files, sources.tsv lines and
 * hand number/date formatting for ipledger-gen. Formatting is by hand (no printf) because it runs
 * once per field of every row. */
#include "tools/gen/gen.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gen_path(char *buf, size_t n, ipl_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        return ipl_diag_set(d, IPL_ELIMIT, "path too long: '%.64s...'", buf);
    return IPL_OK;
}

int gen_mkdirs(const char *path, ipl_diag *d)
{
    char tmp[GEN_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return ipl_diag_set(d, IPL_ELIMIT, "path too long: '%.64s...'", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return ipl_diag_set(d, IPL_EIO, "cannot create directory '%s': %s", tmp,
                                strerror(errno));
        tmp[i] = c;
    }
    return IPL_OK;
}

int gen_file_open(gen_file *f, const char *path, size_t cap, ipl_diag *d)
{
    size_t n = strlen(path);
    if (n >= sizeof f->path)
        return ipl_diag_set(d, IPL_ELIMIT, "path too long: '%.64s...'", path);
    if (cap < 4 * GEN_ROW_MAX)
        cap = 4 * GEN_ROW_MAX;
    f->buf = malloc(cap);
    if (!f->buf)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for '%s'", path);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        int e = errno;
        free(f->buf);
        f->buf = NULL;
        return ipl_diag_set(d, IPL_EIO, "cannot create '%s': %s", path, strerror(e));
    }
    memcpy(f->path, path, n + 1);
    f->len = 0;
    f->cap = cap;
    f->bytes = 0;
    return IPL_OK;
}

int gen_file_flush(gen_file *f, ipl_diag *d)
{
    size_t off = 0;
    while (off < f->len) {
        ssize_t w = write(f->fd, f->buf + off, f->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ipl_diag_set(d, errno == ENOSPC ? IPL_ENOSPC : IPL_EIO,
                                "cannot write '%s': %s", f->path, strerror(errno));
        }
        off += (size_t)w;
    }
    f->bytes += f->len;
    f->len = 0;
    return IPL_OK;
}

int gen_file_write(gen_file *f, const void *p, size_t n, ipl_diag *d)
{
    const char *s = p;
    while (n > 0) {
        if (f->len == f->cap) {
            int rc = gen_file_flush(f, d);
            if (rc)
                return rc;
        }
        size_t k = f->cap - f->len < n ? f->cap - f->len : n;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        s += k;
        n -= k;
    }
    return IPL_OK;
}

int gen_file_close(gen_file *f, ipl_diag *d)
{
    int rc = IPL_OK;
    if (!f || f->fd < 0)
        goto out;
    rc = gen_file_flush(f, d);
    if (close(f->fd) != 0 && rc == IPL_OK)
        rc = ipl_diag_set(d, IPL_EIO, "cannot close '%s': %s", f->path, strerror(errno));
    f->fd = -1;
out:
    if (f) {
        free(f->buf);
        f->buf = NULL;
        f->len = f->cap = 0;
    }
    return rc;
}

/* ---------------------------------------------------------------- formatting */

char *gen_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *gen_put_ip4(char *p, uint32_t v4)
{
    for (int i = 3; i >= 0; i--) {
        unsigned o = (v4 >> (8 * i)) & 0xff;
        if (o >= 100)
            *p++ = (char)('0' + o / 100);
        if (o >= 10)
            *p++ = (char)('0' + o / 10 % 10);
        *p++ = (char)('0' + o % 10);
        if (i)
            *p++ = '.';
    }
    return p;
}

void gen_ip_bytes(gen_ip ip, uint8_t out[16])
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(ip.hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(ip.lo >> (56 - 8 * i));
    }
}

char *gen_put_ip(char *p, gen_ip ip)
{
    if (gen_ip_is4(ip))
        return gen_put_ip4(p, (uint32_t)ip.lo);
    uint8_t b[16];
    char text[IPL_IP_TEXT];
    gen_ip_bytes(ip, b);
    size_t n = ipl_ip_format(b, text, sizeof text);
    return gen_put(p, text, n);
}

char *gen_put_hex(char *p, const uint8_t *b, size_t n, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        *p++ = digits[b[i] >> 4];
        *p++ = digits[b[i] & 15];
    }
    return p;
}

char *gen_put_iso(char *p, int64_t t)
{
    /* one-entry cache of the date text: consecutive times mostly share a day */
    static int64_t cached_day = INT64_MIN;
    static char date[11];
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - day * 86400;
    if (day != cached_day) {
        int y, m, dd;
        ipl_civil_from_days(day, &y, &m, &dd);
        char *q = date;
        q = gen_put2(q, (y / 100) % 100);
        q = gen_put2(q, y % 100);
        *q++ = '-';
        q = gen_put2(q, m);
        *q++ = '-';
        gen_put2(q, dd);
        cached_day = day;
    }
    p = gen_put(p, date, 10);
    *p++ = 'T';
    p = gen_put2(p, (int)(sec / 3600));
    *p++ = ':';
    p = gen_put2(p, (int)(sec / 60 % 60));
    *p++ = ':';
    p = gen_put2(p, (int)(sec % 60));
    *p++ = 'Z';
    return p;
}

char *gen_put4(char *p, int v)
{
    p = gen_put2(p, v / 100 % 100);
    return gen_put2(p, v % 100);
}

char *gen_put_local_dt(char *p, const gen_local *L)
{
    p = gen_put4(p, L->y);
    *p++ = '-';
    p = gen_put2(p, L->m);
    *p++ = '-';
    p = gen_put2(p, L->d);
    *p++ = ' ';
    p = gen_put2(p, L->hh);
    *p++ = ':';
    p = gen_put2(p, L->mm);
    *p++ = ':';
    return gen_put2(p, L->ss);
}

char *gen_put_local_iso(char *p, gen_site *site, int64_t t, uint32_t frac)
{
    gen_local L;
    gen_site_local(site, t, &L);
    p = gen_put_local_dt(p, &L);
    p[-9] = 'T';
    *p++ = '.';
    for (uint32_t div = 100000; div; div /= 10)
        *p++ = (char)('0' + frac / div % 10);
    /* the offset: local wall seconds minus UTC seconds */
    int64_t wall = ipl_days_from_civil(L.y, L.m, L.d) * 86400 + L.hh * 3600 + L.mm * 60 + L.ss;
    int64_t off = wall - t;
    *p++ = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    p = gen_put2(p, (int)(off / 3600));
    *p++ = ':';
    return gen_put2(p, (int)(off / 60 % 60));
}

char *gen_put_colon_hex(char *p, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ':';
        *p++ = digits[b[i] >> 4];
        *p++ = digits[b[i] & 15];
    }
    return p;
}

uint32_t gen_frac_next(gen_frac *fr, int64_t t, uint32_t scale)
{
    if (fr->t != t) {
        fr->t = t;
        fr->k = (uint32_t)(gen_mix64((uint64_t)t) % (scale / 2));
    }
    uint32_t v = fr->k, step = scale / 2000 ? scale / 2000 : 1;
    if (fr->k + step < scale)
        fr->k += step;
    return v;
}

void gen_day_date(const gen_ctx *ctx, int day, int *y, int *m, int *d)
{
    ipl_civil_from_days(ctx->start_days + day, y, m, d);
}

size_t gen_bufcap(int files)
{
    size_t cap = ((size_t)16 << 20) / (size_t)(files > 0 ? files : 1);
    return cap < ((size_t)64 << 10) ? (size_t)64 << 10 : cap > ((size_t)1 << 20) ? (size_t)1 << 20 : cap;
}

int gen_dayfile_close(gen_dayfile *df, gen_counts *c, ipl_diag *d)
{
    if (df->f.fd < 0)
        return IPL_OK;
    int rc = gen_file_close(&df->f, d);
    if (c) {
        c->bytes += df->f.bytes;
        c->files++;
    }
    df->f.bytes = 0;
    return rc;
}

int gen_dayfile_open(gen_dayfile *df, const char *path, size_t cap, int day, gen_counts *c,
                     ipl_diag *d)
{
    char dir[GEN_PATH_MAX];
    int rc = gen_dayfile_close(df, c, d);
    if (rc)
        return rc;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] != '/')
        n--;
    if (n == 0 || n >= sizeof dir)
        return ipl_diag_set(d, IPL_ELIMIT, "path too long: '%.64s...'", path);
    memcpy(dir, path, n - 1);
    dir[n - 1] = '\0';
    if ((rc = gen_mkdirs(dir, d)) != IPL_OK || (rc = gen_file_open(&df->f, path, cap, d)) != IPL_OK)
        return rc;
    df->day = day;
    return IPL_OK;
}

int gen_source_line(gen_file *sources, const char *dir, const char *format, const char *tz,
                    const char *server, ipl_diag *d)
{
    char line[GEN_PATH_MAX];
    int rc = gen_path(line, sizeof line, d, "%s\t%s\t%s\t%s\n", dir, format, tz, server);
    return rc ? rc : gen_file_write(sources, line, strlen(line), d);
}

char *gen_put_syslog(char *p, gen_site *site, int64_t t, gen_frac *fr, const char *host,
                     const char *tag, uint32_t pid)
{
    p = gen_put_local_iso(p, site, t, gen_frac_next(fr, t, 1000000));
    *p++ = ' ';
    p = gen_put(p, host, gen_label(host));
    *p++ = ' ';
    p = gen_put(p, tag, strlen(tag));
    *p++ = '[';
    p = gen_put_u64(p, pid);
    *p++ = ']';
    *p++ = ':';
    *p++ = ' ';
    return p;
}

char *gen_put_linklocal(char *p, const uint8_t mac[6])
{
    static const char digits[] = "0123456789abcdef";
    unsigned g[4] = {
        (unsigned)((mac[0] ^ 2) << 8 | mac[1]), (unsigned)(mac[2] << 8 | 0xff),
        (unsigned)(0xfe00 | mac[3]), (unsigned)(mac[4] << 8 | mac[5]),
    };
    p = GEN_PUTS(p, "fe80:");
    for (int i = 0; i < 4; i++) {
        *p++ = ':';
        int started = 0;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned v = (g[i] >> sh) & 15;
            if (v || started || sh == 0) {
                *p++ = digits[v];
                started = 1;
            }
        }
    }
    return p;
}
