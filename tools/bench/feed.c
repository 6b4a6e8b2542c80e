/* tools/bench/feed.c — files -> lines -> parser -> events, without a store.
 *
 * The parse-only stage and the SQLite peer use this, so that the peer pays the same parsing cost
 * as ipledger's ingest: the same reads (1 MiB), the same framing (LF, a trailing CR dropped), the
 * same parser with the same context (zone, server, file name, a per-line arena), the same source
 * name ("file:" + real path) and line numbers. What it leaves out is what ingest adds around the
 * parser: source positions, fingerprints, quarantine records. A line over IPL_LINE_MAX is
 * counted as rejected and skipped, as ingest quarantines it. */
#include "tools/bench/bench.h"
#include "engine/arena.h"
#include "engine/err.h"
#include "engine/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FEED_CHUNK ((size_t)1 << 20)

typedef struct feed {
    const bench_source *s;
    bench_event_fn fn;
    void *ctx;
    bench_feed_stats *st;
    char *buf;                      /* FEED_CHUNK + IPL_LINE_MAX */
    ipl_arena arena;
    char source[PATH_MAX + 8];
    uint64_t line_no;
    int stop;                       /* fn's non-zero code */
    char *err;
    size_t errlen;
} feed;

static int emit(void *c, const ipl_event *ev)
{
    feed *f = c;
    ipl_event e = *ev;
    e.source = f->source;
    e.line = f->line_no;
    if (!e.server)
        e.server = f->s->server;
    int rc = f->fn(f->ctx, &e);
    if (rc) {
        f->stop = rc;
        return IPL_EINVAL;
    }
    f->st->events++;
    return IPL_OK;
}

static int one_line(feed *f, const ipl_parser *p, void *state, ipl_parse_ctx *ctx, const char *s,
                    size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    ipl_diag d;
    d.msg[0] = '\0';
    f->line_no++;
    f->st->lines++;
    int rc = p->line(state, ctx, s, n, emit, f, &d);
    ipl_arena_clear(&f->arena);
    if (f->stop)
        return f->stop;
    if (rc)
        f->st->rejected++;
    return 0;
}

static int feed_file(feed *f, const char *path)
{
    const ipl_parser *p = f->s->parser;
    char real[PATH_MAX];
    int rc = 0;
    void *state = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !realpath(path, real)) {
        snprintf(f->err, f->errlen, "cannot read '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(f->source, sizeof f->source, "file:%s", real);
    if (p->state_size && !(state = calloc(1, p->state_size))) {
        snprintf(f->err, f->errlen, "out of memory");
        close(fd);
        return -1;
    }
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = f->s->tz ? f->s->tz : ipl_tz_utc();
    ctx.server = f->s->server;
    const char *base = strrchr(path, '/');
    ctx.file_name = base ? base + 1 : path;
    ctx.arena = &f->arena;
    if (p->init)
        p->init(state, &ctx);
    f->line_no = 0;
    size_t have = 0;
    uint64_t off = 0;
    int skipping = 0;
    for (;;) {
        ssize_t r = pread(fd, f->buf + have, FEED_CHUNK + IPL_LINE_MAX - have, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(f->err, f->errlen, "cannot read '%s': %s", path, strerror(errno));
            rc = -1;
            goto out;
        }
        off += (uint64_t)r;
        have += (size_t)r;
        size_t ls = 0;
        char *nl;
        while ((nl = memchr(f->buf + ls, '\n', have - ls))) {
            size_t le = (size_t)(nl - f->buf);
            if (skipping) {
                skipping = 0;
                f->line_no++;
                f->st->lines++;
            } else if ((rc = one_line(f, p, state, &ctx, f->buf + ls, le - ls))) {
                goto out;
            }
            ls = le + 1;
        }
        if (have - ls > IPL_LINE_MAX && !skipping) {
            skipping = 1;
            f->st->rejected++;
        }
        if (skipping) {
            have = 0;
        } else {
            memmove(f->buf, f->buf + ls, have - ls);
            have -= ls;
        }
        if (r == 0)
            break;
    }
    /* a last line without its LF is left for later, as ingest leaves it */
    if (!have && p->finish) {
        ipl_diag d;
        d.msg[0] = '\0';
        if (p->finish(state, &ctx, emit, f, &d))
            f->st->rejected++;
        ipl_arena_clear(&f->arena);
        rc = f->stop;
    }
    f->st->files++;
out:
    if (p->release && state)
        p->release(state);
    free(state);
    close(fd);
    return rc;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int feed_path(feed *f, const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(f->err, f->errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return feed_file(f, path);
    if (depth > 64)
        return 0;
    DIR *dh = opendir(path);
    if (!dh) {
        snprintf(f->err, f->errlen, "cannot read directory '%s': %s", path, strerror(errno));
        return -1;
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = -1;
                break;
            }
            v = nv;
            cap = nc;
        }
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (!(v[n] = strdup(p))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(dh);
    if (rc)
        snprintf(f->err, f->errlen, "out of memory");
    else
        qsort(v, n, sizeof *v, cmpstr);
    for (size_t i = 0; i < n && !rc; i++)
        rc = feed_path(f, v[i], depth + 1);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc;
}

int bench_feed(const bench_source *s, bench_event_fn fn, void *ctx, bench_feed_stats *st,
               char *err, size_t errlen)
{
    feed f;
    memset(&f, 0, sizeof f);
    f.s = s;
    f.fn = fn;
    f.ctx = ctx;
    f.st = st;
    f.err = err;
    f.errlen = errlen;
    if (!(f.buf = malloc(FEED_CHUNK + IPL_LINE_MAX))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ipl_arena_init(&f.arena, (size_t)16 << 20);
    int rc = feed_path(&f, s->path, 0);
    ipl_arena_release(&f.arena);
    free(f.buf);
    return rc;
}
