/* engine/ingest.c — the ingest pipeline (contract and exactly-once rules in ingest.h). */
#include "engine/ingest.h"
#include "engine/err.h"
#include "engine/geoip.h"
#include "engine/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)1 << 20)
#define DEFAULT_BATCH 65536
#define BATCH_BYTES_MAX ((size_t)96 << 20)

typedef struct ing {
    ipl_store *st;
    const ipl_ingest_opts *o;
    ipl_ingest_stats *s;
    ipl_diag *d;
    ipl_batch *b;
    ipl_arena scratch;                   /* per line, for the parser */
    size_t batch_max;
    /* the current source */
    char source[PATH_MAX + 16];
    const char *display;
    int fd, is_stdin;
    const ipl_parser *p;
    void *pstate;
    ipl_parse_ctx ctx;
    ipl_source_pos pos;                  /* committed-so-far position, updated at each flush */
    uint64_t events_unflushed, quar_unflushed;   /* of the current source, since its last stash */
    uint64_t batch_events, batch_quar;           /* stashed in the batch, not yet committed */
    int batch_dirty;                             /* the batch holds something to commit */
    ipl_batch_mark_t file_mark;                  /* the batch as the current file found it */
    uint64_t line_no;                    /* lines consumed */
    uint64_t offset;                     /* bytes consumed (after the last complete line) */
    uint8_t head[IPL_FP_MAX];
    size_t headlen;
    uint8_t tail[IPL_TAIL_MAX];          /* stdin: the bytes just before `offset` */
    size_t taillen;
    const char *pre;                     /* stdin: bytes already read (sample), served first */
    size_t prelen, preoff;
    struct {                             /* the last line boundary outside a multi-line record */
        uint64_t offset, line, events, quar;
        int64_t last_ts;
    } safe;
    int line_err;                        /* set by emit when the batch refused an event */
    char line_reason[IPL_DIAG_MAX];
    /* progress */
    uint64_t bytes_total, bytes_done;
    struct timespec t0, tlast;
} ing;

static double since(const struct timespec *a)
{
    struct timespec n;
    clock_gettime(CLOCK_MONOTONIC, &n);
    return (double)(n.tv_sec - a->tv_sec) + (double)(n.tv_nsec - a->tv_nsec) / 1e9;
}

static void progress(ing *g, int force)
{
    if (!g->o->progress)
        return;
    if (!force && since(&g->tlast) < 0.5)
        return;
    clock_gettime(CLOCK_MONOTONIC, &g->tlast);
    ipl_ingest_progress pr = {g->bytes_done, g->bytes_total, g->s->events, g->s->quarantined,
                              since(&g->t0), g->display};
    g->o->progress(g->o->progress_ctx, &pr);
}

static int emit(void *c, const ipl_event *ev)
{
    ing *g = c;
    ipl_event e = *ev;
    ipl_diag d;
    e.source = g->source;
    e.line = g->line_no + 1;
    if (!e.server)
        e.server = g->o->server;
    ipl_geoip_enrich(g->o->geoip, &e);     /* values live in the handle until its next call */
    int err = ipl_batch_add(g->b, &e, &d);
    if (err) {
        g->line_err = err;
        snprintf(g->line_reason, sizeof g->line_reason, "%s", d.msg);
        return err;
    }
    g->events_unflushed++;
    return IPL_OK;
}

/* Puts the current source's position (g->offset / g->line_no) into the batch: it commits with
 * the events read so far, whenever the batch commits. */
static int stash(ing *g)
{
    ipl_source_pos *pos = &g->pos;
    pos->offset = g->offset;
    pos->line = g->line_no;
    pos->fp_len = (uint32_t)(g->offset < g->headlen ? g->offset : g->headlen);
    ipl_sha256_once(g->head, pos->fp_len, pos->fp);
    size_t tl = g->offset < IPL_TAIL_MAX ? (size_t)g->offset : IPL_TAIL_MAX;
    uint8_t tb[IPL_TAIL_MAX];
    if (g->is_stdin) {
        tl = g->taillen < tl ? g->taillen : tl;
        memcpy(tb, g->tail + g->taillen - tl, tl);
    } else if (tl && pread(g->fd, tb, tl, (off_t)(g->offset - tl)) != (ssize_t)tl) {
        return ipl_diag_set(g->d, IPL_EIO, "cannot read '%s': %s", g->display, strerror(errno));
    }
    pos->tail_len = (uint32_t)tl;
    ipl_sha256_once(tb, tl, pos->tail);
    pos->last_ts = g->ctx.last_ts;
    pos->events += g->events_unflushed;
    pos->quarantined += g->quar_unflushed;
    snprintf(pos->format, sizeof pos->format, "%s", g->p->name);
    int err = ipl_batch_set_source(g->b, g->source, pos, g->d);
    if (err) {
        pos->events -= g->events_unflushed;
        pos->quarantined -= g->quar_unflushed;
        return err;
    }
    g->batch_events += g->events_unflushed;
    g->batch_quar += g->quar_unflushed;
    g->events_unflushed = g->quar_unflushed = 0;
    g->batch_dirty = 1;
    return IPL_OK;
}

/* Commits the batch: events, quarantined lines and the positions of every source in it. */
static int commit(ing *g)
{
    ipl_commit_info ci;
    int err = ipl_store_commit(g->st, g->b, &ci, g->d);
    if (err)
        return err;
    g->s->events += g->batch_events;
    g->s->quarantined += g->batch_quar;
    g->s->commits++;
    g->batch_events = g->batch_quar = 0;
    g->batch_dirty = 0;
    ipl_batch_clear(g->b);
    ipl_batch_mark(g->b, &g->file_mark);
    if (g->o->release_map)
        ipl_store_release_map(g->st);
    if (g->o->crash_after_commits > 0 && (long)g->s->commits >= g->o->crash_after_commits)
        raise(SIGKILL); /* fault injection: die between two commits, as a killed process would */
    return IPL_OK;
}

/* Commits the batch with the current source's position (mid-file). */
static int flush(ing *g)
{
    int err = stash(g);
    return err ? err : commit(g);
}

static int quarantine(ing *g, uint64_t line_start, const char *reason, const char *raw, size_t n)
{
    int err = ipl_batch_quarantine(g->b, g->source, g->line_no + 1, line_start, reason, raw, n, g->d);
    if (!err)
        g->quar_unflushed++;
    return err;
}

static void note_tail(ing *g, const char *p, size_t n)
{
    if (!g->is_stdin)
        return;
    if (n >= IPL_TAIL_MAX) {
        memcpy(g->tail, p + n - IPL_TAIL_MAX, IPL_TAIL_MAX);
        g->taillen = IPL_TAIL_MAX;
        return;
    }
    size_t keep = g->taillen + n > IPL_TAIL_MAX ? IPL_TAIL_MAX - n : g->taillen;
    memmove(g->tail, g->tail + g->taillen - keep, keep);
    memcpy(g->tail + keep, p, n);
    g->taillen = keep + n;
}

static void note_head(ing *g, uint64_t at, const char *p, size_t n)
{
    if (at >= IPL_FP_MAX)
        return;
    size_t take = IPL_FP_MAX - at < n ? (size_t)(IPL_FP_MAX - at) : n;
    if (at + take > g->headlen) {
        memcpy(g->head + at, p, take);
        g->headlen = at + take;
    }
}

static void mark_safe(ing *g)
{
    g->safe.offset = g->offset;
    g->safe.line = g->line_no;
    g->safe.events = g->events_unflushed;
    g->safe.quar = g->quar_unflushed;
    g->safe.last_ts = g->ctx.last_ts;
}

/* At the end of a regular file inside a multi-line record that emitted nothing yet: the writer
 * may still be writing it, so the position goes back to where the record began and the next run
 * reads it whole (finish is not called). Returns 1 when it rolled back. */
static int rollback_pending(ing *g)
{
    if (g->is_stdin || !g->p->pending || !g->p->pending(g->pstate))
        return 0;
    if (g->events_unflushed != g->safe.events || g->quar_unflushed != g->safe.quar)
        return 0;
    g->offset = g->safe.offset;
    g->line_no = g->safe.line;
    g->ctx.last_ts = g->safe.last_ts;
    g->s->pending_partial++;
    return 1;
}

/* One complete line [p, p+n) (without its LF) starting at byte `start`. */
static int handle_line(ing *g, const char *p, size_t n, uint64_t start)
{
    size_t len = n;
    if (len && p[len - 1] == '\r')
        len--;
    ipl_diag pd;
    pd.msg[0] = '\0';
    g->line_err = 0;
    int err = g->p->line(g->pstate, &g->ctx, p, len, emit, g, &pd);
    ipl_arena_clear(&g->scratch);
    if (err) {
        const char *why = g->line_err ? g->line_reason : pd.msg[0] ? pd.msg : ipl_strerror(err);
        if ((err = quarantine(g, start, why, p, len)))
            return err;
    }
    g->line_no++;
    g->offset = start + n + 1;
    g->s->lines++;
    if (!g->p->pending || !g->p->pending(g->pstate))
        mark_safe(g);
    return IPL_OK;
}

static int want_flush(ing *g)
{
    if (g->p->pending && g->p->pending(g->pstate))
        return 0;
    return ipl_batch_events(g->b) >= g->batch_max || ipl_batch_bytes(g->b) >= BATCH_BYTES_MAX ||
           (g->o->stop && *g->o->stop);
}

static ssize_t read_some(ing *g, char *buf, size_t n, uint64_t at)
{
    if (g->preoff < g->prelen) {
        size_t k = g->prelen - g->preoff < n ? g->prelen - g->preoff : n;
        memcpy(buf, g->pre + g->preoff, k);
        g->preoff += k;
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t r = g->is_stdin ? read(g->fd, buf, n) : pread(g->fd, buf, n, (off_t)at);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

/* An over-long line, once its end is known: quarantined with its first bytes, then skipped. */
static int long_line(ing *g, uint64_t start, const char *head)
{
    char why[96];
    snprintf(why, sizeof why, "line exceeds %d bytes (first %d kept)", IPL_LINE_MAX,
             IPL_QUARANTINE_RAW_MAX);
    int err = quarantine(g, start, why, head, IPL_QUARANTINE_RAW_MAX);
    if (err)
        return err;
    g->line_no++;
    g->s->lines++;
    return IPL_OK;
}

/* Reads from g->offset to the end, framing lines. */
static int pump(ing *g)
{
    size_t cap = READ_CHUNK + IPL_LINE_MAX;
    char *buf = malloc(cap);
    int err = IPL_OK;
    if (!buf)
        return ipl_diag_set(g->d, IPL_ENOMEM, "out of memory");
    uint64_t base = g->offset;      /* file offset of buf[0] */
    mark_safe(g);
    size_t have = 0, scan = 0;
    int skipping = 0;               /* inside an over-long line: its head kept, the rest dropped */
    uint64_t skip_start = 0;
    char skip_head[IPL_QUARANTINE_RAW_MAX];
    for (;;) {
        ssize_t r = read_some(g, buf + have, cap - have, base + have);
        if (r < 0) {
            err = ipl_diag_set(g->d, IPL_EIO, "cannot read '%s': %s", g->display, strerror(errno));
            goto out;
        }
        note_head(g, base + have, buf + have, (size_t)r);
        have += (size_t)r;
        g->bytes_done += (uint64_t)r;
        g->s->bytes += (uint64_t)r;
        size_t ls = 0;
        for (;;) {
            char *nl = memchr(buf + scan, '\n', have - scan);
            if (!nl)
                break;
            size_t le = (size_t)(nl - buf);
            if (skipping || le - ls > IPL_LINE_MAX) {
                /* quarantined only now that its end is known: a partial one is left for the
                 * next run like any partial line */
                err = skipping ? long_line(g, skip_start, skip_head)
                               : long_line(g, base + ls, buf + ls);
                skipping = 0;
                if (err)
                    goto out;
                g->offset = base + le + 1;
            } else if ((err = handle_line(g, buf + ls, le - ls, base + ls))) {
                goto out;
            }
            note_tail(g, buf + ls, le + 1 - ls);
            ls = scan = le + 1;
            if (want_flush(g) && (err = flush(g)))
                goto out;
            if (g->o->stop && *g->o->stop)
                goto out;
            if ((g->s->lines & 4095) == 0)
                progress(g, 0);
        }
        /* keep the partial line */
        if (have - ls > IPL_LINE_MAX && !skipping) {
            memcpy(skip_head, buf + ls, IPL_QUARANTINE_RAW_MAX);
            skipping = 1;
            skip_start = base + ls;
        }
        if (skipping) { /* drop what we have of it */
            note_tail(g, buf + ls, have - ls);
            base += have;
            have = scan = 0;
        } else {
            memmove(buf, buf + ls, have - ls);
            base += ls;
            have -= ls;
            scan = have;
        }
        if (r == 0)
            break;
    }
    if (skipping) {
        if (g->is_stdin) {         /* the end of the stream ends the line */
            if ((err = long_line(g, skip_start, skip_head)))
                goto out;
            g->offset = base;
            skipping = 0;
        } else {
            g->s->pending_partial++;
        }
    } else if (have) {
        if (g->is_stdin) {
            if ((err = handle_line(g, buf, have, base)))
                goto out;
            g->offset = base + have;
            note_tail(g, buf, have);
            have = 0;              /* consumed: the parser's finish below still runs */
        } else {
            g->s->pending_partial++;   /* the writer may still be writing it: next run */
        }
    }
    if (!have && !skipping && rollback_pending(g)) {
        /* a record still being written: left for the next run */
    } else if (!have && !skipping && g->p->finish) {
        ipl_diag pd;
        pd.msg[0] = '\0';
        g->line_err = 0;
        int e = g->p->finish(g->pstate, &g->ctx, emit, g, &pd);
        ipl_arena_clear(&g->scratch);
        if (e && (err = quarantine(g, g->offset, pd.msg[0] ? pd.msg : "incomplete record at end of input",
                                   "", 0)))
            goto out;
    }
    /* the file's position goes into the batch; the batch commits when full, or at the end of
     * the whole ingest: a commit may span many small files */
    if (!(err = stash(g)) && want_flush(g))
        err = commit(g);
out:
    free(buf);
    return err;
}

static int load_pos(ing *g, ipl_source_pos *pos, int *found)
{
    ipl_rtxn *t;
    int err = ipl_rtxn_begin(g->st, &t, g->d);
    if (err)
        return err;
    err = ipl_store_source(t, g->source, pos, g->d);
    ipl_rtxn_end(t);
    *found = err == IPL_OK;
    if (err == IPL_ENOTFOUND) {
        memset(pos, 0, sizeof *pos);
        err = IPL_OK;
    }
    return err;
}

static int hash_eq(const uint8_t *data, size_t n, const uint8_t want[32])
{
    uint8_t h[32];
    ipl_sha256_once(data, n, h);
    return memcmp(h, want, 32) == 0;
}

/* stdin resume: reads and drops the `n` bytes ingested before, checking that they end as the
 * recorded tail. IPL_OK and *same = 1 when the stream continues the recorded one. */
static int skip_stdin(ing *g, uint64_t n, int *same, int *ended)
{
    char buf[65536];
    uint64_t left = n;
    *same = 1;
    *ended = 0;
    while (left) {
        ssize_t r = read_some(g, buf, left < sizeof buf ? (size_t)left : sizeof buf, 0);
        if (r < 0)
            return ipl_diag_set(g->d, IPL_EIO, "cannot read standard input: %s", strerror(errno));
        if (r == 0) {
            *ended = 1;
            return IPL_OK;
        }
        note_tail(g, buf, (size_t)r);
        left -= (uint64_t)r;
    }
    if (g->pos.tail_len) {
        size_t tl = g->pos.tail_len <= g->taillen ? g->pos.tail_len : g->taillen;
        *same = tl == g->pos.tail_len && hash_eq(g->tail + g->taillen - tl, tl, g->pos.tail);
    }
    return IPL_OK;
}

/* One source: decide where to start (exactly-once), pick the parser, read to the end. */
static int ingest_source(ing *g, const char *display, int fd, int is_stdin, int explicit_path)
{
    int err = IPL_OK, found;
    char *sample = NULL;
    g->display = display;
    g->fd = fd;
    g->is_stdin = is_stdin;
    g->p = NULL;
    g->pstate = NULL;
    g->headlen = g->taillen = 0;
    g->pre = NULL;
    g->prelen = g->preoff = 0;
    g->events_unflushed = g->quar_unflushed = 0;
    ipl_batch_mark(g->b, &g->file_mark);
    if ((err = load_pos(g, &g->pos, &found)))
        return err;
    sample = malloc(IPL_SAMPLE_MAX);
    if (!sample)
        return ipl_diag_set(g->d, IPL_ENOMEM, "out of memory");
    /* the first bytes: fingerprint and format sample */
    size_t slen = 0;
    while (slen < IPL_SAMPLE_MAX) {
        ssize_t r = is_stdin ? read(fd, sample + slen, IPL_SAMPLE_MAX - slen)
                             : pread(fd, sample + slen, IPL_SAMPLE_MAX - slen, (off_t)slen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = ipl_diag_set(g->d, IPL_EIO, "cannot read '%s': %s", display, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        slen += (size_t)r;
        if (!is_stdin)
            break; /* one pread is enough for a regular file sample */
    }
    if (is_stdin) {
        g->pre = sample;
        g->prelen = slen;
    }
    g->headlen = slen < IPL_FP_MAX ? slen : IPL_FP_MAX;
    memcpy(g->head, sample, g->headlen);
    struct stat sb;
    uint64_t size = 0;
    if (!is_stdin && fstat(fd, &sb) == 0)
        size = (uint64_t)sb.st_size;

    uint64_t start = 0, start_line = 0;
    if (found) {
        int same = g->pos.fp_len <= g->headlen && hash_eq(g->head, g->pos.fp_len, g->pos.fp);
        if (same && !is_stdin) {
            if (size < g->pos.offset) {
                same = 0;
            } else if (g->pos.tail_len) {
                uint8_t tb[IPL_TAIL_MAX];
                same = pread(fd, tb, g->pos.tail_len, (off_t)(g->pos.offset - g->pos.tail_len)) ==
                           (ssize_t)g->pos.tail_len &&
                       hash_eq(tb, g->pos.tail_len, g->pos.tail);
            }
            if (same && size == g->pos.offset) {
                g->s->files_unchanged++;
                g->bytes_done += size;
                goto out;
            }
        } else if (same && is_stdin) {
            int ended;
            if ((err = skip_stdin(g, g->pos.offset, &same, &ended)))
                goto out;
            if (ended) { /* a prefix of what was ingested before: nothing new */
                g->s->files_unchanged++;
                goto out;
            }
            if (!same) {
                err = ipl_diag_set(g->d, IPL_EINVAL,
                                   "standard input does not continue the stream '%s' ingested "
                                   "before; give it another name with --name",
                                   g->source);
                goto out;
            }
        }
        if (same) {
            start = g->pos.offset;
            start_line = g->pos.line;
        } else {
            g->pos.generation++;
            g->s->files_new_generation++;
            if (is_stdin) {
                err = ipl_diag_set(g->d, IPL_EINVAL,
                                   "standard input does not continue the stream '%s' ingested "
                                   "before; give it another name with --name",
                                   g->source);
                goto out;
            }
        }
    }
    /* the parser: given, else the one this source used before, else detected */
    g->p = g->o->parser;
    if (!g->p && found && g->pos.format[0]) {
        for (size_t i = 0; i < g->o->ncandidates; i++)
            if (strcmp(g->o->candidates[i]->name, g->pos.format) == 0)
                g->p = g->o->candidates[i];
    }
    if (!g->p) {
        char tried[512];
        int score;
        g->p = ipl_parser_best(g->o->candidates, g->o->ncandidates, sample, slen, &score, tried,
                               sizeof tried);
        if (!g->p) {
            err = ipl_diag_set(g->d, IPL_EPARSE,
                               slen ? "cannot detect the format of '%s': no parser recognised it "
                                      "(tried %s); name one with --format"
                                    : "'%s' is empty: nothing to detect (tried %s)",
                               display, tried);
            goto out;
        }
    }
    if (g->p->state_size && !(g->pstate = calloc(1, g->p->state_size))) {
        err = ipl_diag_set(g->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    memset(&g->ctx, 0, sizeof g->ctx);
    g->ctx.tz = g->o->tz ? g->o->tz : ipl_tz_utc();
    g->ctx.server = g->o->server;
    const char *base = strrchr(display, '/');
    g->ctx.file_name = base ? base + 1 : display;
    g->ctx.arena = &g->scratch;
    g->ctx.last_ts = g->pos.last_ts;
    {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        g->ctx.now = (int64_t)now.tv_sec * IPL_US_PER_SEC + now.tv_nsec / 1000;
        g->ctx.year_hint = g->o->year;
    }
    if (g->p->init)
        g->p->init(g->pstate, &g->ctx);
    g->offset = start;
    g->line_no = start_line;
    g->bytes_done += start;
    err = pump(g);
    g->s->files++;
    (void)explicit_path;
out:
    if (g->p && g->p->release && g->pstate)
        g->p->release(g->pstate);
    free(g->pstate);
    g->pstate = NULL;
    free(sample);
    g->pre = NULL;
    return err;
}

static int ingest_file(ing *g, const char *path, int explicit_path, ipl_warn_fn warn, void *wctx)
{
    char real[PATH_MAX];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !realpath(path, real)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ipl_diag_set(g->d, e == EACCES ? IPL_EACCES : IPL_EIO, "cannot read '%s': %s", path,
                            strerror(e));
    }
    snprintf(g->source, sizeof g->source, "file:%s", real);
    if (strlen(g->source) > IPL_STR_MAX) {
        close(fd);
        return ipl_diag_set(g->d, IPL_ELIMIT, "path '%s' is longer than %d bytes", path,
                            IPL_STR_MAX - 5);
    }
    int err = ingest_source(g, path, fd, 0, explicit_path);
    close(fd);
    return err;
}

typedef struct pathlist {
    char **v;
    size_t n, cap;
    uint64_t bytes;
} pathlist;

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const char *dir, pathlist *l, int depth, ipl_diag *d)
{
    if (depth > 64)
        return ipl_diag_set(d, IPL_ELIMIT, "directory '%s' is nested too deeply", dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return ipl_diag_set(d, errno == EACCES ? IPL_EACCES : IPL_EIO, "cannot read directory '%s': %s",
                            dir, strerror(errno));
    struct dirent *de;
    int err = IPL_OK;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue; /* ., .., and hidden files */
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= sizeof p)
            continue;
        struct stat sb;
        if (stat(p, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if ((err = collect(p, l, depth + 1, d)))
                break;
        } else if (S_ISREG(sb.st_mode)) {
            if (l->n == l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 64;
                char **nv = realloc(l->v, nc * sizeof *nv);
                if (!nv) {
                    err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                    break;
                }
                l->v = nv;
                l->cap = nc;
            }
            if (!(l->v[l->n] = strdup(p))) {
                err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                break;
            }
            l->n++;
            l->bytes += (uint64_t)sb.st_size;
        }
    }
    closedir(dh);
    return err;
}

int ipl_ingest_path(ipl_store *st, const char *path, const ipl_ingest_opts *opts,
                    ipl_ingest_stats *stats, ipl_warn_fn warn, void *warn_ctx, ipl_diag *d)
{
    ing g;
    int err = IPL_OK;
    pathlist l = {0};
    memset(&g, 0, sizeof g);
    g.st = st;
    g.o = opts;
    g.s = stats;
    g.d = d;
    g.batch_max = opts->batch_events ? opts->batch_events : DEFAULT_BATCH;
    ipl_arena_init(&g.scratch, (size_t)16 << 20);
    clock_gettime(CLOCK_MONOTONIC, &g.t0);
    g.tlast = g.t0;
    if ((err = ipl_batch_new(&g.b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if (!opts->parser && !opts->ncandidates) {
        err = ipl_diag_set(d, IPL_EINVAL, "no parser given and none to detect with");
        goto out;
    }
    if (strcmp(path, "-") == 0) {
        snprintf(g.source, sizeof g.source, "stdin:%s", opts->stdin_name ? opts->stdin_name : "stdin");
        err = ingest_source(&g, "standard input", 0, 1, 1);
        goto out;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        err = ipl_diag_set(d, errno == EACCES ? IPL_EACCES : errno == ENOENT ? IPL_ENOTFOUND : IPL_EIO,
                           "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(sb.st_mode)) {
        g.bytes_total = (uint64_t)sb.st_size;
        err = ingest_file(&g, path, 1, warn, warn_ctx);
        goto out;
    }
    if ((err = collect(path, &l, 0, d)))
        goto out;
    qsort(l.v, l.n, sizeof *l.v, cmpstr);
    g.bytes_total = l.bytes;
    for (size_t i = 0; i < l.n && !(opts->stop && *opts->stop); i++) {
        err = ingest_file(&g, l.v[i], 0, warn, warn_ctx);
        if (err == IPL_EPARSE || err == IPL_EACCES || err == IPL_EIO || err == IPL_ELIMIT) {
            /* about this one file: say so and go on with the others, without what it left
             * uncommitted in the batch (its position did not move: a rerun reads it again) */
            ipl_batch_rewind(g.b, &g.file_mark);
            g.events_unflushed = g.quar_unflushed = 0;
            stats->files_failed++;
            if (warn)
                warn(warn_ctx, d->msg);
            ipl_diag_clear(d);
            err = IPL_OK;
        } else if (err) {
            goto out;
        }
    }
out:
    if (g.b && g.batch_dirty) {
        int e2 = commit(&g);      /* what every completed file left in the batch */
        if (!err)
            err = e2;
    }
    progress(&g, 1);
    stats->seconds += since(&g.t0);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    ipl_batch_free(g.b);
    ipl_arena_release(&g.scratch);
    return err;
}
