/* tools/gen/out_sshd.c — the Linux servers' authentication logs (FORMATS.md 7; ipledger formats
 * "sshd" and "syslog") with the admins' SSH sessions (--mix all). Each site has one Linux server
 * (lnx-<code>-01) whose rsyslog writes RSYSLOG_FileFormat lines (RFC 3339 local time with offset):
 *
 *   DIR/sshd/<server>/auth.log-<YYYYMMDD>      auth facility only: sshd, pam, systemd-logind, cron's
 *                                              pam lines (sites with gen_site.lnx_mixed = 0)
 *   DIR/syslog/<server>/all.log-<YYYYMMDD>     every facility in one file, as a central collector
 *                                              keeps it: the same lines plus cron commands,
 *                                              systemd and kernel noise (gen_site.lnx_mixed = 1)
 *
 *   logon    sshd: Accepted publickey for <user> from <ip> port <n> ssh2: ED25519 SHA256:...
 *            sshd: pam_unix(sshd:session): session opened for user <user>(uid=N) by (uid=0)
 *            systemd-logind: New session N of user <user>.
 *   logoff   sshd: Received disconnect from <ip> port <n>:11: disconnected by user
 *            sshd: Disconnected from user <user> <ip> port <n>
 *            sshd: pam_unix(sshd:session): session closed for user <user>
 *            systemd-logind: Session N logged out. ... / Removed session N.
 *   hourly   CRON: pam_unix(cron:session) opened/closed for root (and the CMD line in all.log)
 *            with --internet N, then N lines of password guessing from the Internet:
 *            sshd: Failed password for [invalid user ]<name> from <public ip> port <n> ssh2
 *            (a pool of INTERNET_POOL public addresses, outside every special-purpose range)
 * The sshd pid is the session's: the Accepted, pam and Disconnected lines share it.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

struct sshd {
    const gen_ctx *ctx;
    int            active;
    gen_dayfile   *f;               /* [nsites] */
    size_t         cap;
    gen_counts     c;
};

static const char *folder(const gen_site *site)
{
    return site->lnx_mixed ? "syslog" : "sshd";
}

static int ssh_day(struct sshd *w, gen_site *site, int day, ipl_diag *d)
{
    char path[GEN_PATH_MAX];
    int y, m, dd;
    gen_day_date(w->ctx, day, &y, &m, &dd);
    int rc = gen_path(path, sizeof path, d, "%s/%s/%s/%s-%04d%02d%02d", w->ctx->out, folder(site),
                      site->lnx, site->lnx_mixed ? "all.log" : "auth.log", y, m, dd);
    return rc ? rc : gen_dayfile_open(&w->f[site->index], path, w->cap, day, &w->c, d);
}

/* "SHA256:" + 43 base64 characters: the user's key */
static char *put_fp(char *p, uint32_t user)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint64_t v = gen_hash(UINT64_C(0x6b6579), user);
    p = GEN_PUTS(p, "SHA256:");
    for (int i = 0; i < 43; i++) {
        if (i % 10 == 0)
            v = gen_mix64(v + (uint64_t)i);
        *p++ = b64[(v >> (6 * (i % 10))) & 63];
    }
    return p;
}

#define INTERNET_POOL 20000u

/* Address `i` of the Internet pool: public, first octets avoiding every special-purpose /8 block
 * that holds private, shared, loopback, link-local, documentation or benchmarking space. */
static uint32_t internet_ip(uint64_t seed, uint32_t i)
{
    uint32_t v = (uint32_t)gen_hash(seed ^ UINT64_C(0x696e74), i);
    uint32_t o = 1 + (v >> 24) % 222;                       /* 1-222 */
    if (o == 10 || o == 100 || o == 127 || o == 169 || o == 172 || o == 192 || o == 198 || o == 203)
        o = 185;
    return o << 24 | (v & 0xffffff);
}

/* N failed password logons from Internet addresses, at the hour's cron time. */
static int ssh_internet(struct sshd *w, gen_site *site, gen_dayfile *df, const gen_happening *h,
                        ipl_diag *d)
{
    static const char *const names[] = {"root", "admin", "ubuntu", "oracle", "test", "postgres"};
    gen_file *f = &df->f;
    for (uint32_t j = 0; j < w->ctx->opt->internet; j++) {
        int rc = gen_file_room(f, d);
        if (rc)
            return rc;
        char *p = f->buf + f->len, *start = p;
        uint64_t hv = gen_hash((uint64_t)site->index << 40 ^ (uint64_t)h->t, j);
        uint32_t pid = 1000 + (uint32_t)(hv % 900000);
        const char *name = names[(hv >> 20) % (sizeof names / sizeof names[0])];
        p = GEN_PUTS(gen_put_syslog(p, site, h->t, &df->fr, site->lnx, "sshd", pid), "Failed password for ");
        if (strcmp(name, "root") != 0)
            p = GEN_PUTS(p, "invalid user ");
        p = gen_put(p, name, strlen(name));
        p = GEN_PUTS(p, " from ");
        p = gen_put_ip4(p, internet_ip(w->ctx->opt->seed, (uint32_t)((hv >> 32) % INTERNET_POOL)));
        p = GEN_PUTS(p, " port ");
        p = gen_put_u64(p, 1024 + (hv >> 8) % 64000);
        p = GEN_PUTS(p, " ssh2\n");
        f->len += (size_t)(p - start);
        w->c.rows++;
    }
    return IPL_OK;
}

static int ssh_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct sshd *w = state;
    if (!w->active)
        return IPL_OK;
    gen_site *site = h->site;
    if (h->kind == GEN_H_DAY)
        return ssh_day(w, site, h->day, d);
    int logon = h->kind == GEN_H_LOGON, logoff = h->kind == GEN_H_LOGOFF;
    if (h->kind != GEN_H_CLEANUP && !((logon || logoff) && h->via == GEN_VIA_SSH))
        return IPL_OK;
    gen_dayfile *df = &w->f[site->index];
    gen_file *f = &df->f;
    if (f->fd < 0)
        return ipl_diag_set(d, IPL_EINVAL, "internal: '%s' has no open log", site->lnx);
    int rc = gen_file_room(f, d);
    if (rc)
        return rc;
    char *p = f->buf + f->len, *start = p;
    uint64_t rows = 0;
#define LINE(p, tag, pid) gen_put_syslog((p), site, h->t, &df->fr, site->lnx, (tag), (pid))
    if (h->kind == GEN_H_CLEANUP) {
        uint32_t pid = 2000 + (uint32_t)(gen_hash((uint64_t)site->index, (uint64_t)h->t) % 900000);
        p = GEN_PUTS(LINE(p, "CRON", pid),
                     "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n");
        rows++;
        if (site->lnx_mixed) {
            p = GEN_PUTS(LINE(p, "CRON", pid),
                         "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)\n");
            p = GEN_PUTS(LINE(p, "systemd", 1),
                         "Starting sysstat-collect.service - system activity accounting tool...\n");
            p = GEN_PUTS(LINE(p, "systemd", 1),
                         "sysstat-collect.service: Deactivated successfully.\n");
            rows += 3;
        }
        p = GEN_PUTS(LINE(p, "CRON", pid), "pam_unix(cron:session): session closed for user root\n");
        rows++;
    } else {
        char user[64], ip[16];
        size_t nu = gen_user_login(h->user, user, sizeof user);
        size_t ni = (size_t)(gen_put_ip4(ip, (uint32_t)h->ip.lo) - ip);
        uint64_t hv = gen_hash(UINT64_C(0x73736864), h->sid);
        uint32_t pid = 1000 + (uint32_t)(hv % 900000);
        uint32_t sess = 1 + (uint32_t)((hv >> 24) % 20000);
        if (logon) {
            p = GEN_PUTS(LINE(p, "sshd", pid), "Accepted publickey for ");
            p = gen_put(p, user, nu);
            p = GEN_PUTS(p, " from ");
            p = gen_put(p, ip, ni);
            p = GEN_PUTS(p, " port ");
            p = gen_put_u64(p, h->port);
            p = GEN_PUTS(p, " ssh2: ED25519 ");
            p = put_fp(p, h->user);
            *p++ = '\n';
            p = GEN_PUTS(LINE(p, "sshd", pid), "pam_unix(sshd:session): session opened for user ");
            p = gen_put(p, user, nu);
            p = GEN_PUTS(p, "(uid=");
            p = gen_put_u64(p, 10000 + (uint64_t)h->user);
            p = GEN_PUTS(p, ") by (uid=0)\n");
            p = GEN_PUTS(LINE(p, "systemd-logind", 612), "New session ");
            p = gen_put_u64(p, sess);
            p = GEN_PUTS(p, " of user ");
            p = gen_put(p, user, nu);
            p = GEN_PUTS(p, ".\n");
            rows += 3;
            if (site->lnx_mixed) {
                p = GEN_PUTS(LINE(p, "systemd", 1), "Started session-");
                p = gen_put_u64(p, sess);
                p = GEN_PUTS(p, ".scope - Session ");
                p = gen_put_u64(p, sess);
                p = GEN_PUTS(p, " of User ");
                p = gen_put(p, user, nu);
                p = GEN_PUTS(p, ".\n");
                rows++;
            }
        } else {
            p = GEN_PUTS(LINE(p, "sshd", pid), "Received disconnect from ");
            p = gen_put(p, ip, ni);
            p = GEN_PUTS(p, " port ");
            p = gen_put_u64(p, h->port);
            p = GEN_PUTS(p, ":11: disconnected by user\n");
            p = GEN_PUTS(LINE(p, "sshd", pid), "Disconnected from user ");
            p = gen_put(p, user, nu);
            *p++ = ' ';
            p = gen_put(p, ip, ni);
            p = GEN_PUTS(p, " port ");
            p = gen_put_u64(p, h->port);
            *p++ = '\n';
            p = GEN_PUTS(LINE(p, "sshd", pid), "pam_unix(sshd:session): session closed for user ");
            p = gen_put(p, user, nu);
            *p++ = '\n';
            p = GEN_PUTS(LINE(p, "systemd-logind", 612), "Session ");
            p = gen_put_u64(p, sess);
            p = GEN_PUTS(p, " logged out. Waiting for processes to exit.\n");
            p = GEN_PUTS(LINE(p, "systemd-logind", 612), "Removed session ");
            p = gen_put_u64(p, sess);
            p = GEN_PUTS(p, ".\n");
            rows += 5;
            if (site->lnx_mixed) {
                p = GEN_PUTS(LINE(p, "systemd", 1), "session-");
                p = gen_put_u64(p, sess);
                p = GEN_PUTS(p, ".scope: Deactivated successfully.\n");
                rows++;
            }
        }
    }
#undef LINE
    f->len += (size_t)(p - start);
    w->c.rows += rows;
    if (h->kind == GEN_H_CLEANUP && w->ctx->opt->internet)
        return ssh_internet(w, site, df, h, d);
    return IPL_OK;
}

static int ssh_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct sshd *w = calloc(1, sizeof *w);
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

static int ssh_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct sshd *w = state;
    int rc = IPL_OK;
    for (int i = 0; w->active && i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        char dir[GEN_PATH_MAX];
        rc = gen_dayfile_close(&w->f[i], &w->c, d);
        if (!rc)
            rc = gen_path(dir, sizeof dir, d, "%s/%s", folder(site), site->lnx);
        if (!rc)
            rc = gen_source_line(sources, dir, folder(site), site->tzname, site->lnx, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void ssh_free(void *state)
{
    struct sshd *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w);
}

const gen_writer_ops gen_out_sshd = {
    .name = "sshd",
    .open = ssh_open,
    .emit = ssh_emit,
    .finish = ssh_finish,
    .free = ssh_free,
};
