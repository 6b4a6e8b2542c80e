/* tests/unit/engine/ingest_test.c — exactly-once ingest (engine/ingest.c) with the mswin-dhcp
 * parser: counting, re-ingest of an unchanged file, appended lines, the weekly overwrite (same
 * length or longer, different content), truncation, a last line without LF, over-long and
 * malformed lines (quarantined, ingest goes on), directories (recursive, name order, an
 * undetectable file), an explicit undetectable file, batch size independence of the chain head,
 * and a process killed between two commits.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/ingest.h"
#include "engine/store.h"
#include "parsers/parser.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- files and stores ---------------------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct fx {
    char dir[64];          /* the temporary directory */
    char store[128];       /* <dir>/store */
    ipl_store *st;
} fx;

static int fx_open(fx *f)
{
    ipl_diag d = {0};
    snprintf(f->dir, sizeof f->dir, "/tmp/ipl-ingest-test-XXXXXX");
    if (!mkdtemp(f->dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(f->store, sizeof f->store, "%s/store", f->dir);
    f->st = NULL;
    if (ipl_store_open(&f->st, f->store, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "  open: %s\n", d.msg);
        CHECK(0);
        return -1;
    }
    return 0;
}

static void fx_close(fx *f)
{
    ipl_store_close(f->st);
    f->st = NULL;
    rm_rf(f->dir);
}

static void fpath(const fx *f, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", f->dir, name);
}

static void write_file(const char *path, const char *mode, const char *s, size_t n)
{
    FILE *fp = fopen(path, mode);
    if (!fp || fwrite(s, 1, n, fp) != n) {
        perror(path);
        exit(2);
    }
    fclose(fp);
}

static void put_file(const char *path, const char *s)
{
    write_file(path, "wb", s, strlen(s));
}

static void append_file(const char *path, const char *s)
{
    write_file(path, "ab", s, strlen(s));
}

/* ---- mswin-dhcp content -------------------------------------------------------------------- */

#define HEADER                                                                                \
    "\t\tMicrosoft DHCP Service Activity Log\r\n"                                             \
    "\r\n"                                                                                    \
    "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, "    \
    "QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),"         \
    "UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.\r\n"
#define HEADER_LINES 3

/* Row k: an assign at 2024-05-<day> 08:MM:SS of 10.0.<day>.<k>; fixed length for a given k
 * range (two-digit k). `tag` (0-9) changes the content without changing the length. */
static void row(char *out, size_t n, int day, int k, int tag)
{
    snprintf(out, n,
             "10,05/%02d/24,08:%02d:%02d,Assign,10.0.%d.%d,host-%d%02d.corp,0A1B2C3D%02X%02X,,%d,0,"
             ",,,,,,,,0\r\n",
             day, k / 60 % 60, k % 60, day, k % 250 + 1, tag, k % 100, day, k % 256,
             100000 + k);
}

/* HEADER + rows [from, to) of `day`. Returned string is static. */
static const char *content(int day, int from, int to, int tag)
{
    static char buf[1 << 16];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", HEADER);
    for (int k = from; k < to; k++) {
        char r[256];
        row(r, sizeof r, day, k, tag);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", r);
    }
    return buf;
}

static const char *rows_only(int day, int from, int to, int tag)
{
    static char buf[1 << 16];
    size_t n = 0;
    buf[0] = '\0';
    for (int k = from; k < to; k++) {
        char r[256];
        row(r, sizeof r, day, k, tag);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", r);
    }
    return buf;
}

/* ---- ingest helpers ------------------------------------------------------------------------ */

typedef struct warns {
    int n;
    char last[IPL_DIAG_MAX];
} warns;

static void on_warn(void *ctx, const char *msg)
{
    warns *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static ipl_ingest_opts default_opts(void)
{
    ipl_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.candidates = ipl_parsers(&o.ncandidates);
    return o;
}

/* Runs ipl_ingest_path with fresh stats; says why when the result is not `expect`. */
static int ingest(fx *f, const char *path, const ipl_ingest_opts *o, ipl_ingest_stats *s,
                  warns *w, ipl_diag *d, int expect)
{
    memset(s, 0, sizeof *s);
    ipl_diag_clear(d);
    int rc = ipl_ingest_path(f->st, path, o, s, w ? on_warn : NULL, w, d);
    if (rc != expect)
        fprintf(stderr, "  ingest %s: %s\n", path, rc ? d->msg : "ok");
    return rc;
}

static int ingest_default(fx *f, const char *path, ipl_ingest_stats *s)
{
    ipl_ingest_opts o = default_opts();
    ipl_diag d = {0};
    return ingest(f, path, &o, s, NULL, &d, IPL_OK);
}

static uint64_t store_events(fx *f)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_store_stats s;
    if (ipl_rtxn_begin(f->st, &t, &d))
        return (uint64_t)-1;
    ipl_store_stats_get(t, &s, &d);
    ipl_rtxn_end(t);
    return s.events;
}

/* Line number, ip text last byte and host of event `seq`. */
typedef struct evinfo {
    int ok;
    uint64_t line;
    int64_t ts;
    char host[64];
    char source[PATH_MAX + 16];
} evinfo;

static evinfo get_ev(fx *f, uint64_t seq)
{
    evinfo r;
    memset(&r, 0, sizeof r);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_event ev;
    if (ipl_rtxn_begin(f->st, &t, &d))
        return r;
    if (ipl_store_get(t, seq, &ev, &d) == IPL_OK) {
        r.ok = 1;
        r.line = ev.line;
        r.ts = ev.ts;
        snprintf(r.host, sizeof r.host, "%s", ev.host ? ev.host : "");
        snprintf(r.source, sizeof r.source, "%s", ev.source ? ev.source : "");
    }
    ipl_rtxn_end(t);
    return r;
}

static int get_pos(fx *f, const char *path, ipl_source_pos *pos)
{
    char real[PATH_MAX], src[PATH_MAX + 16];
    if (!realpath(path, real))
        return IPL_ENOTFOUND;
    snprintf(src, sizeof src, "file:%s", real);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    if (ipl_rtxn_begin(f->st, &t, &d))
        return IPL_EIO;
    int rc = ipl_store_source(t, src, pos, &d);
    ipl_rtxn_end(t);
    return rc;
}

typedef struct qlist {
    int n;
    uint64_t line[16], offset[16];
    size_t rawlen[16];
    char reason[16][IPL_DIAG_MAX];
    char raw0[16][16];
} qlist;

static int collect_q(void *ctx, const ipl_qentry *q)
{
    qlist *l = ctx;
    if (l->n >= 16)
        return IPL_OK;
    l->line[l->n] = q->line;
    l->offset[l->n] = q->offset;
    l->rawlen[l->n] = q->rawlen;
    snprintf(l->reason[l->n], sizeof l->reason[0], "%s", q->reason);
    size_t k = q->rawlen < 15 ? q->rawlen : 15;
    memcpy(l->raw0[l->n], q->raw, k);
    l->raw0[l->n][k] = '\0';
    l->n++;
    return IPL_OK;
}

static void get_quarantine(fx *f, qlist *l)
{
    memset(l, 0, sizeof *l);
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    if (ipl_rtxn_begin(f->st, &t, &d))
        return;
    ipl_store_quarantine(t, NULL, collect_q, l, &d);
    ipl_rtxn_end(t);
}

static void head_of(fx *f, uint8_t out[32])
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    ipl_store_stats s;
    memset(out, 0, 32);
    if (ipl_rtxn_begin(f->st, &t, &d))
        return;
    if (ipl_store_stats_get(t, &s, &d) == IPL_OK)
        memcpy(out, s.chain, 32);
    ipl_rtxn_end(t);
}

/* ---- a minimal multi-line parser, to test the engine without a real format -----------------
 *   "E <seconds> <ip>"   one event
 *   "BEGIN", "ip <ip>", "END"   a three-line record: one event at END (pending in between)
 * finish() refuses a record that has not ended. */
typedef struct kv_state {
    int in;
    int has_ip;
    uint8_t ip[16];
} kv_state;

static int kv_probe(const char *s, size_t n)
{
    return n >= 2 && (s[0] == 'E' || s[0] == 'B') && s[1] == ' ' ? 50 : 0;
}

static int kv_line(void *state, ipl_parse_ctx *ctx, const char *s, size_t n, ipl_emit_fn emit,
                   void *ectx, ipl_diag *d)
{
    kv_state *k = state;
    char buf[128];
    ipl_event ev;
    if (n >= sizeof buf)
        return ipl_diag_set(d, IPL_EPARSE, "kv line too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    ipl_event_reset(&ev);
    ev.kind = IPL_K_LEASE_ASSIGN;
    ev.ts = INT64_C(1714551332) * 1000000;
    if (strcmp(buf, "BEGIN") == 0 && !k->in) {
        k->in = 1;
        k->has_ip = 0;
        return IPL_OK;
    }
    if (k->in && strncmp(buf, "ip ", 3) == 0) {
        k->has_ip = ipl_ip_parse(buf + 3, strlen(buf + 3), k->ip) == IPL_OK;
        return k->has_ip ? IPL_OK : ipl_diag_set(d, IPL_EPARSE, "kv: bad ip");
    }
    if (k->in && strcmp(buf, "END") == 0) {
        k->in = 0;
        ev.has_ip = (uint8_t)k->has_ip;
        memcpy(ev.ip, k->ip, 16);
        return emit(ectx, &ev);
    }
    long sec;
    char ip[64];
    if (!k->in && sscanf(buf, "E %ld %63s", &sec, ip) == 2 &&
        ipl_ip_parse(ip, strlen(ip), ev.ip) == IPL_OK) {
        ev.has_ip = 1;
        ev.ts = (int64_t)sec * 1000000;
        return emit(ectx, &ev);
    }
    return ipl_diag_set(d, IPL_EPARSE, "kv: bad line");
}

static int kv_finish(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *ectx, ipl_diag *d)
{
    kv_state *k = state;
    if (k->in)
        return ipl_diag_set(d, IPL_EPARSE, "kv: record not ended");
    return IPL_OK;
}

static int kv_pending(const void *state)
{
    return ((const kv_state *)state)->in;
}

static const ipl_parser kv_parser = {
    .name = "test-kv", .summary = "test", .state_size = sizeof(kv_state), .probe = kv_probe,
    .line = kv_line, .finish = kv_finish, .pending = kv_pending,
};

/* Runs ipl_ingest_path(st, "-") with `path` as standard input. */
static int ingest_stdin(fx *f, const char *path, const ipl_ingest_opts *o, ipl_ingest_stats *s,
                        ipl_diag *d, int expect)
{
    fflush(NULL);
    int saved = dup(0), fd = open(path, O_RDONLY);
    if (saved < 0 || fd < 0 || dup2(fd, 0) < 0) {
        perror("stdin");
        exit(2);
    }
    close(fd);
    int rc = ingest(f, "-", o, s, NULL, d, expect);
    dup2(saved, 0);
    close(saved);
    return rc;
}

static void test_stdin(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    fpath(&f, "in.txt", p, sizeof p);
    ipl_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.parser = &kv_parser;
    o.stdin_name = "feed";
    ipl_ingest_stats s;
    ipl_diag d = {0};
    /* stdin takes its last line without LF; finish() then sees the unended record */
    put_file(p, "E 100 10.0.0.1\nBEGIN\nip 10.0.0.2\nEND\nBEGIN\nip 10.0.0.3");
    CHECK_INT(ingest_stdin(&f, p, &o, &s, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 2);
    CHECK_INT(s.lines, 6);
    CHECK_INT(s.pending_partial, 0);
    CHECK_INT(s.quarantined, 1);
    qlist q;
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 1);
    CHECK(q.n && strstr(q.reason[0], "not ended") != NULL);
    ipl_rtxn *t = NULL;
    ipl_source_pos pos;
    CHECK_INT(ipl_rtxn_begin(f.st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_source(t, "stdin:feed", &pos, &d), IPL_OK);
    CHECK_INT(pos.offset, strlen("E 100 10.0.0.1\nBEGIN\nip 10.0.0.2\nEND\nBEGIN\nip 10.0.0.3"));
    CHECK_STR(pos.format, "test-kv");
    ipl_rtxn_end(t);
    /* the same stream again: nothing new, nothing quarantined again (an identical stream is
     * read to its end and counted as a file, not as unchanged: it cannot know without reading) */
    CHECK_INT(ingest_stdin(&f, p, &o, &s, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 0);
    CHECK_INT(s.quarantined, 0);
    CHECK_INT(store_events(&f), 2);
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 1);
    /* the stream grown: only the new lines */
    append_file(p, "\nE 200 10.0.0.9\n");
    CHECK_INT(ingest_stdin(&f, p, &o, &s, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 1);
    CHECK_INT(store_events(&f), 3);
    /* a stream that does not continue the recorded one is refused */
    put_file(p, "E 999 10.9.9.9\nE 998 10.9.9.8\nE 997 10.9.9.7\nE 996 10.9.9.6\nE 995 10.9.9.5\n"
                "E 994 10.9.9.4\n");
    CHECK_INT(ingest_stdin(&f, p, &o, &s, &d, IPL_EINVAL), IPL_EINVAL);
    CHECK(strstr(d.msg, "stdin:feed") != NULL);
    CHECK_INT(store_events(&f), 3);
    fx_close(&f);
}

static void test_stdin_long_last_line(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    fpath(&f, "in.txt", p, sizeof p);
    size_t n = IPL_LINE_MAX * 3;
    char *big = malloc(n + 1);
    CHECK(big != NULL);
    if (!big) {
        fx_close(&f);
        return;
    }
    memset(big, 'z', n);
    big[n] = '\0';
    put_file(p, "E 100 10.0.0.1\n");
    append_file(p, big);                     /* the stream ends inside an over-long line */
    ipl_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.parser = &kv_parser;
    ipl_ingest_stats s;
    ipl_diag d = {0};
    CHECK_INT(ingest_stdin(&f, p, &o, &s, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 1);
    CHECK_INT(s.quarantined, 1);
    CHECK_INT(s.lines, 2);
    qlist q;
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 1);
    CHECK(q.n && strstr(q.reason[0], "exceeds") != NULL);
    CHECK_INT(q.line[0], 2);
    CHECK_INT(q.offset[0], 15);
    ipl_rtxn *t = NULL;
    ipl_source_pos pos;
    CHECK_INT(ipl_rtxn_begin(f.st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_source(t, "stdin:stdin", &pos, &d), IPL_OK);
    CHECK_INT(pos.offset, 15 + n);
    CHECK_INT(pos.line, 2);
    ipl_rtxn_end(t);
    free(big);
    fx_close(&f);
}

/* A multi-line record is never cut by a batch boundary: no flush while the parser is pending. */
static void test_pending_blocks_flush(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    fpath(&f, "kv.txt", p, sizeof p);
    put_file(p, "E 1 10.0.0.1\nBEGIN\nip 10.0.0.2\nEND\nE 2 10.0.0.3\nBEGIN\nip 10.0.0.4\nEND\n");
    ipl_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.parser = &kv_parser;
    o.batch_events = 1;
    ipl_ingest_stats s;
    ipl_diag d = {0};
    CHECK_INT(ingest(&f, p, &o, &s, NULL, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 4);
    CHECK_INT(s.quarantined, 0);
    CHECK(s.commits >= 4);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.line, 8);
    fx_close(&f);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_count_and_rerun(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Wed.log", p, sizeof p);
    put_file(p, content(1, 0, 5, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files, 1);
    CHECK_INT(s.events, 5);
    CHECK_INT(s.lines, HEADER_LINES + 5);
    CHECK_INT(s.quarantined, 0);
    CHECK_INT(s.files_unchanged, 0);
    CHECK_INT(s.files_new_generation, 0);
    CHECK_INT(s.bytes, strlen(content(1, 0, 5, 0)));
    CHECK(s.commits >= 1);
    CHECK_INT(store_events(&f), 5);
    evinfo e = get_ev(&f, 1);
    CHECK(e.ok);
    CHECK_INT(e.line, HEADER_LINES + 1);
    CHECK_STR(e.host, "host-000.corp");
    char real[PATH_MAX], src[PATH_MAX + 16];
    CHECK(realpath(p, real) != NULL);
    snprintf(src, sizeof src, "file:%s", real);
    CHECK_STR(e.source, src);
    e = get_ev(&f, 5);
    CHECK_INT(e.line, HEADER_LINES + 5);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.offset, strlen(content(1, 0, 5, 0)));
    CHECK_INT(pos.line, HEADER_LINES + 5);
    CHECK_INT(pos.events, 5);
    CHECK_INT(pos.generation, 0);
    CHECK_STR(pos.format, "mswin-dhcp");

    /* again: nothing new */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_unchanged, 1);
    CHECK_INT(s.events, 0);
    CHECK_INT(store_events(&f), 5);

    /* appended lines: only those */
    append_file(p, rows_only(1, 5, 8, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_unchanged, 0);
    CHECK_INT(s.files_new_generation, 0);
    CHECK_INT(s.events, 3);
    CHECK_INT(store_events(&f), 8);
    e = get_ev(&f, 6);
    CHECK_INT(e.line, HEADER_LINES + 6);               /* line numbers continue */
    CHECK_STR(e.host, "host-005.corp");
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.events, 8);
    CHECK_INT(pos.line, HEADER_LINES + 8);

    /* and once more nothing */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_unchanged, 1);
    CHECK_INT(store_events(&f), 8);
    fx_close(&f);
}

static void test_overwrite_same_length(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Mon.log", p, sizeof p);
    put_file(p, content(16, 10, 20, 0));
    size_t len0 = strlen(content(16, 10, 20, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 10);

    /* a week later: same length, different rows */
    put_file(p, content(23, 10, 20, 1));
    CHECK_INT(strlen(content(23, 10, 20, 1)), len0);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_new_generation, 1);
    CHECK_INT(s.files_unchanged, 0);
    CHECK_INT(s.events, 10);                          /* read from the start */
    CHECK_INT(store_events(&f), 20);
    evinfo e = get_ev(&f, 11);
    CHECK_INT(e.line, HEADER_LINES + 1);
    CHECK_STR(e.host, "host-110.corp");
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.generation, 1);
    CHECK_INT(pos.events, 20);

    /* the next week: longer */
    put_file(p, content(30, 10, 40, 2));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_new_generation, 1);
    CHECK_INT(s.events, 30);
    CHECK_INT(store_events(&f), 50);
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.generation, 2);
    fx_close(&f);
}

/* A file longer than the 4 KiB fingerprint whose first 4 KiB stay the same: the bytes before
 * the recorded offset tell the new content apart. */
static void test_overwrite_same_head(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Tue.log", p, sizeof p);
    static char a[1 << 16], b[1 << 16];
    snprintf(a, sizeof a, "%s", content(7, 0, 80, 0));
    snprintf(b, sizeof b, "%s", a);
    size_t n = strlen(a);
    CHECK(n > 4096 + 512);
    /* change the last row's tag digit (inside the last 256 bytes) */
    char *last = strstr(b + n - 120, "host-0");
    CHECK(last != NULL);
    if (!last) {
        fx_close(&f);
        return;
    }
    last[5] = '9';
    CHECK(memcmp(a, b, 4096) == 0 && strlen(b) == n && strcmp(a, b) != 0);
    put_file(p, a);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 80);
    put_file(p, b);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_new_generation, 1);
    CHECK_INT(s.events, 80);
    CHECK_INT(store_events(&f), 160);
    fx_close(&f);
}

static void test_truncated(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Thu.log", p, sizeof p);
    put_file(p, content(2, 0, 10, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 10);
    put_file(p, content(2, 0, 4, 0));          /* the same first rows, but shorter */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_new_generation, 1);
    CHECK_INT(s.events, 4);
    CHECK_INT(store_events(&f), 14);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.offset, strlen(content(2, 0, 4, 0)));
    CHECK_INT(pos.generation, 1);
    /* emptied: a new generation with nothing in it */
    put_file(p, "");
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 0);
    CHECK_INT(store_events(&f), 14);
    fx_close(&f);
}

static void test_partial_last_line(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256], r[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Fri.log", p, sizeof p);
    row(r, sizeof r, 3, 3, 0);
    size_t half = strlen(r) / 2;
    put_file(p, content(3, 0, 3, 0));
    write_file(p, "ab", r, half);                   /* the writer is mid-line */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 3);
    CHECK_INT(s.pending_partial, 1);
    CHECK_INT(s.quarantined, 0);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.offset, strlen(content(3, 0, 3, 0)));  /* stops before the partial line */
    /* unchanged and still partial: still nothing */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 0);
    CHECK_INT(s.pending_partial, 1);
    CHECK_INT(store_events(&f), 3);
    /* completed: taken, once, with its line number */
    write_file(p, "ab", r + half, strlen(r) - half);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 1);
    CHECK_INT(s.pending_partial, 0);
    CHECK_INT(s.files_new_generation, 0);
    CHECK_INT(store_events(&f), 4);
    evinfo e = get_ev(&f, 4);
    CHECK_INT(e.line, HEADER_LINES + 4);
    CHECK_STR(e.host, "host-003.corp");
    qlist q;
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 0);
    fx_close(&f);
}

static void test_long_line(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Sat.log", p, sizeof p);
    /* a line just over the cap within a small file, and one much longer than the read buffer */
    size_t n1 = IPL_LINE_MAX + 10, n2 = ((size_t)3 << 20) + 17;
    char *l1 = malloc(n1 + 1), *l2 = malloc(n2 + 1);
    CHECK(l1 && l2);
    if (!l1 || !l2) {
        free(l1);
        free(l2);
        fx_close(&f);
        return;
    }
    memset(l1, 'x', n1);
    memcpy(l1, "LONG1", 5);
    l1[n1] = '\0';
    memset(l2, 'y', n2);
    memcpy(l2, "LONG2", 5);
    l2[n2] = '\0';
    put_file(p, content(4, 0, 2, 0));
    size_t off1 = strlen(content(4, 0, 2, 0));
    append_file(p, l1);
    append_file(p, "\r\n");
    append_file(p, rows_only(4, 2, 3, 0));
    size_t off2 = off1 + n1 + 2 + strlen(rows_only(4, 2, 3, 0));
    append_file(p, l2);
    append_file(p, "\n");
    append_file(p, rows_only(4, 3, 5, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 5);                          /* ingest went on after each */
    CHECK_INT(s.quarantined, 2);
    CHECK_INT(s.lines, HEADER_LINES + 7);
    qlist q;
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 2);
    CHECK_INT(q.line[0], HEADER_LINES + 3);
    CHECK_INT(q.offset[0], off1);
    CHECK(strstr(q.reason[0], "exceeds") != NULL);
    CHECK_INT(q.rawlen[0], IPL_QUARANTINE_RAW_MAX);
    CHECK_STR(q.raw0[0], "LONG1xxxxxxxxxx");
    CHECK_INT(q.line[1], HEADER_LINES + 5);
    CHECK_INT(q.offset[1], off2);
    CHECK(strstr(q.reason[1], "exceeds") != NULL);
    CHECK_INT(q.rawlen[1], IPL_QUARANTINE_RAW_MAX);
    CHECK_STR(q.raw0[1], "LONG2yyyyyyyyyy");
    /* the lines after them keep their numbers */
    evinfo e = get_ev(&f, 3);
    CHECK_INT(e.line, HEADER_LINES + 4);
    CHECK_STR(e.host, "host-002.corp");
    e = get_ev(&f, 5);
    CHECK_INT(e.line, HEADER_LINES + 7);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.quarantined, 2);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && pos.offset == (uint64_t)sb.st_size);
    /* a rerun adds nothing, quarantines nothing again */
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.files_unchanged, 1);
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 2);

    /* an over-long last line without its LF is left like any partial line, and quarantined once
     * when it is complete */
    append_file(p, l1);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 0);
    CHECK_INT(s.pending_partial, 1);
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 2);
    append_file(p, "\r\n");
    append_file(p, rows_only(4, 5, 6, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 1);
    CHECK_INT(s.pending_partial, 0);
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 3);
    CHECK_INT(q.line[2], HEADER_LINES + 8);
    e = get_ev(&f, 6);
    CHECK_INT(e.line, HEADER_LINES + 9);
    free(l1);
    free(l2);
    fx_close(&f);
}

static void test_malformed_line(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    ipl_ingest_stats s;
    fpath(&f, "DhcpSrvLog-Sun.log", p, sizeof p);
    put_file(p, content(5, 0, 2, 0));
    size_t off = strlen(content(5, 0, 2, 0));
    append_file(p, "10,13/45/24,08:00:00,Assign,10.0.5.9,h,0A1B2C3D0509,,1,0,,,,,,,,,0\r\n");
    append_file(p, "garbage that is no row at all\r\n");
    append_file(p, rows_only(5, 2, 4, 0));
    CHECK_INT(ingest_default(&f, p, &s), IPL_OK);
    CHECK_INT(s.events, 4);
    CHECK_INT(s.quarantined, 2);
    qlist q;
    get_quarantine(&f, &q);
    CHECK_INT(q.n, 2);
    CHECK_INT(q.line[0], HEADER_LINES + 3);
    CHECK_INT(q.offset[0], off);
    CHECK(strstr(q.reason[0], "Date") != NULL);       /* the parser's reason */
    CHECK_STR(q.raw0[0], "10,13/45/24,08:");
    CHECK_INT(q.rawlen[0], strlen("10,13/45/24,08:00:00,Assign,10.0.5.9,h,0A1B2C3D0509,,1,0,,,,,,,,,0"));
    CHECK_INT(q.line[1], HEADER_LINES + 4);
    CHECK(q.reason[1][0] != '\0');
    evinfo e = get_ev(&f, 3);
    CHECK_INT(e.line, HEADER_LINES + 5);
    ipl_source_pos pos;
    CHECK_INT(get_pos(&f, p, &pos), IPL_OK);
    CHECK_INT(pos.quarantined, 2);
    CHECK_INT(pos.events, 4);
    fx_close(&f);
}

static void test_directory(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char d1[256], p[256];
    fpath(&f, "logs", d1, sizeof d1);
    mkdir(d1, 0755);
    fpath(&f, "logs/sub", p, sizeof p);
    mkdir(p, 0755);
    fpath(&f, "logs/sub/c.log", p, sizeof p);
    put_file(p, content(9, 0, 2, 3));                 /* host-3xx */
    fpath(&f, "logs/b.log", p, sizeof p);
    put_file(p, content(9, 0, 3, 2));                 /* host-2xx */
    fpath(&f, "logs/a.log", p, sizeof p);
    put_file(p, content(9, 0, 1, 1));                 /* host-1xx */
    fpath(&f, "logs/notes.txt", p, sizeof p);
    put_file(p, "just some notes\nnothing to see\n");
    fpath(&f, "logs/.hidden.log", p, sizeof p);
    put_file(p, content(9, 0, 4, 4));
    ipl_ingest_opts o = default_opts();
    ipl_ingest_stats s;
    ipl_diag d = {0};
    warns w = {0};
    CHECK_INT(ingest(&f, d1, &o, &s, &w, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.files, 3);
    CHECK_INT(s.files_failed, 1);
    CHECK_INT(s.events, 6);
    CHECK_INT(w.n, 1);
    CHECK(strstr(w.last, "notes.txt") != NULL);
    CHECK_INT(store_events(&f), 6);
    /* name order: a.log, b.log, notes.txt, sub/c.log */
    static const char *const order[] = {"host-100.corp", "host-200.corp", "host-201.corp",
                                        "host-202.corp", "host-300.corp", "host-301.corp"};
    for (uint64_t q = 1; q <= 6; q++) {
        evinfo e = get_ev(&f, q);
        CHECK_STR(e.host, order[q - 1]);
    }
    /* again: all unchanged, the undetectable one fails again */
    memset(&w, 0, sizeof w);
    CHECK_INT(ingest(&f, d1, &o, &s, &w, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.files_unchanged, 3);
    CHECK_INT(s.files_failed, 1);
    CHECK_INT(s.events, 0);
    CHECK_INT(store_events(&f), 6);
    fx_close(&f);
}

static void test_undetectable(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    fpath(&f, "mystery.log", p, sizeof p);
    put_file(p, "<xml>not a dhcp log</xml>\n");
    ipl_ingest_opts o = default_opts();
    ipl_ingest_stats s;
    ipl_diag d = {0};
    CHECK_INT(ingest(&f, p, &o, &s, NULL, &d, IPL_EPARSE), IPL_EPARSE);
    CHECK_INT(d.code, IPL_EPARSE);
    CHECK(strstr(d.msg, "mystery.log") != NULL);
    CHECK(strstr(d.msg, "mswin-dhcp") != NULL);        /* lists the formats it tried */
    CHECK_INT(store_events(&f), 0);
    /* a missing path */
    fpath(&f, "nope.log", p, sizeof p);
    CHECK_INT(ingest(&f, p, &o, &s, NULL, &d, IPL_ENOTFOUND), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "nope.log") != NULL);
    fx_close(&f);
}

/* The same input committed in batches of 2 events, or in one, ends with the same chain head. */
static void test_batch_independence(void)
{
    fx a, b;
    if (fx_open(&a))
        return;
    if (fx_open(&b)) {
        fx_close(&a);
        return;
    }
    char pa[256];
    fpath(&a, "DhcpSrvLog-Wed.log", pa, sizeof pa);
    put_file(pa, content(11, 0, 25, 0));
    ipl_ingest_opts o = default_opts();
    ipl_ingest_stats s1, s2;
    ipl_diag d = {0};
    CHECK_INT(ingest(&a, pa, &o, &s1, NULL, &d, IPL_OK), IPL_OK);
    o.batch_events = 2;
    /* the very same file (same source name) into the other store */
    CHECK_INT(ingest(&b, pa, &o, &s2, NULL, &d, IPL_OK), IPL_OK);
    CHECK_INT(s1.events, 25);
    CHECK_INT(s2.events, 25);
    CHECK_INT(s1.commits, 1);
    CHECK(s2.commits >= 12);
    uint8_t ha[32], hb[32];
    head_of(&a, ha);
    head_of(&b, hb);
    static const uint8_t zero[32] = {0};
    CHECK(memcmp(ha, zero, 32) != 0);
    CHECK(memcmp(ha, hb, 32) == 0);
    fx_close(&a);
    fx_close(&b);
}

/* A process killed after its second commit, then rerun, ends like an uninterrupted run. */
static void test_killed_and_resumed(void)
{
    fx a, b;
    if (fx_open(&a))
        return;
    if (fx_open(&b)) {
        fx_close(&a);
        return;
    }
    char p[256];
    fpath(&a, "DhcpSrvLog-Wed.log", p, sizeof p);
    put_file(p, content(12, 0, 30, 0));
    append_file(p, "bad line\r\n");
    append_file(p, rows_only(12, 30, 40, 0));
    ipl_ingest_opts o = default_opts();
    ipl_ingest_stats s;
    ipl_diag d = {0};
    o.batch_events = 7;
    CHECK_INT(ingest(&a, p, &o, &s, NULL, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 40);

    ipl_store_close(b.st);         /* no LMDB environment crosses the fork */
    b.st = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ipl_store *st = NULL;
        if (ipl_store_open(&st, b.store, 0, &d))
            _exit(3);
        ipl_ingest_opts oc = default_opts();
        ipl_ingest_stats sc;
        memset(&sc, 0, sizeof sc);
        oc.batch_events = 7;
        oc.crash_after_commits = 2;
        ipl_ingest_path(st, p, &oc, &sc, NULL, NULL, &d);
        _exit(4);                  /* not reached: killed after the second commit */
    }
    int status = 0;
    CHECK(pid > 0);
    if (pid > 0)
        waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT(ipl_store_open(&b.st, b.store, 0, &d), IPL_OK);
    if (!b.st) {
        fx_close(&a);
        fx_close(&b);
        return;
    }
    uint64_t partial = store_events(&b);
    CHECK_INT(partial, 14);                           /* two batches of 7 */
    CHECK_INT(ingest(&b, p, &o, &s, NULL, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 26);
    CHECK_INT(store_events(&b), 40);
    uint8_t ha[32], hb[32];
    head_of(&a, ha);
    head_of(&b, hb);
    CHECK(memcmp(ha, hb, 32) == 0);
    qlist qa, qb;
    get_quarantine(&a, &qa);
    get_quarantine(&b, &qb);
    CHECK_INT(qa.n, 1);
    CHECK_INT(qb.n, 1);                               /* quarantined once, not twice */
    fx_close(&a);
    fx_close(&b);
}

static void test_given_parser(void)
{
    fx f;
    if (fx_open(&f))
        return;
    char p[256];
    /* rows only (no header): detection still works (score 80), and a given parser is used */
    fpath(&f, "rows.log", p, sizeof p);
    put_file(p, rows_only(14, 0, 3, 0));
    ipl_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.parser = ipl_parser_find("mswin-dhcp");
    o.server = "dhcp-a";
    ipl_ingest_stats s;
    ipl_diag d = {0};
    CHECK_INT(ingest(&f, p, &o, &s, NULL, &d, IPL_OK), IPL_OK);
    CHECK_INT(s.events, 3);
    ipl_rtxn *t = NULL;
    ipl_event ev;
    CHECK_INT(ipl_rtxn_begin(f.st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_get(t, 1, &ev, &d), IPL_OK);
    CHECK_STR(ev.server, "dhcp-a");
    CHECK_INT(ev.line, 1);
    ipl_rtxn_end(t);
    /* no parser and no candidates */
    memset(&o, 0, sizeof o);
    CHECK_INT(ingest(&f, p, &o, &s, NULL, &d, IPL_EINVAL), IPL_EINVAL);
    fx_close(&f);
}

int main(void)
{
    RUN(test_count_and_rerun);
    RUN(test_overwrite_same_length);
    RUN(test_overwrite_same_head);
    RUN(test_truncated);
    RUN(test_partial_last_line);
    RUN(test_long_line);
    RUN(test_malformed_line);
    RUN(test_directory);
    RUN(test_undetectable);
    RUN(test_batch_independence);
    RUN(test_killed_and_resumed);
    RUN(test_given_parser);
    RUN(test_stdin);
    RUN(test_stdin_long_last_line);
    RUN(test_pending_blocks_flush);
    return check_summary();
}
