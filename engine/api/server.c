/* engine/api/server.c — the `ipledger serve` event loop: HTTP API (evhttp), live tail (SSE),
 * live ingest (syslog UDP/TCP, file follow), /metrics, signals. libevent lives here only.
 *
 *   HTTP request -> limits (URI, headers, body, connections, time) -> route -> bearer token ->
 *   permission (403 names it; the denial is recorded as an auth.fail event) -> handler
 *
 *   syslog datagram / TCP frame ─┐     loop thread            │ writer thread
 *   API writes, denials, config ─┴─> pending batch ──submit──> job batch ──> ipl_store_commit
 *                                        ^  (commit_ms / batch_events)        │
 *                                        └───── the cleared batch comes back ─┤ pipe byte
 *   tail clients <── pump <── collect (counters, commit ring) <───────────────┘
 *
 * Three threads. The loop thread runs libevent: HTTP, syslog parsing, the tail, follow. The
 * async worker runs the handlers of IPL_API_ASYNC routes (a purge) on copies of their requests and
 * hands the captured answers back (see ajob). The writer thread only commits: the loop fills one batch while the writer commits the other (the syslog
 * streams' positions go into the batch they belong to when it is handed over). The hand-over is
 * under w.mu; the writer touches nothing else of the server but its result slot (w.*, under
 * w.mu), and it wakes the loop through a pipe. When the writer is busy and the pending batch is
 * full, syslog TCP connections stop being read (the kernel and the sender hold the rest) and UDP
 * datagrams beyond 4 x batch_events are dropped and counted. A synchronous flush (API writes,
 * follow, retention, shutdown) waits for the writer to be idle twice (before and after handing
 * over the batch); the loop never waits for the writer while it holds a read transaction (the
 * writer may be waiting for it to grow the map: store_int.h, the map gate). Handlers are short:
 * a read transaction per request, results streamed through ipl_api_write (bounded by
 * limits.response_bytes); tail clients are paused when their output queue passes
 * limits.stream_buffer and dropped after limits.stalled_seconds without progress.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <cJSON.h>

#ifdef IPL_HAVE_TLS   /* set by CMake when libevent_openssl is linked (docs/design/server.md) */
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "engine/api/api.h"
#include "engine/arena.h"
#include "engine/ingest.h"
#include "engine/err.h"
#include "engine/geoip.h"
#include "engine/sha256.h"
#include "engine/tz.h"

#define MAX_ROUTES   48
#define NBUCKETS     12
#define MAX_SOURCES  64
#define COMMIT_RING  1024       /* commits the tail measures delivery against (~40 s at 100k events/s) */
#define TAIL_SLICE_US 2000      /* loop time one client gets per pump; the rest in the next
                                   slice, after the I/O that became ready meanwhile */
#define CHUNK_BYTES  (64 * 1024)

static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25, 0.5, 1, 1e300};

typedef struct histo { uint64_t n[NBUCKETS]; uint64_t count; double sum; } histo;

static void histo_add(histo *h, double s)
{
    for (int i = 0; i < NBUCKETS; i++)
        if (s <= buckets[i]) { h->n[i]++; break; }
    h->count++;
    h->sum += s;
}

typedef struct route {
    ipl_api_route rt;
    char method[8], path[64];
    histo lat;
    uint64_t status[6];          /* by hundreds: 1xx..5xx */
} route;

typedef struct src_count { char name[256]; uint64_t events, quarantined; } src_count;

#define DENY_SLOTS  1024
#define DENY_BURST  20.0           /* denials recorded at once per (peer, principal) */
#define DENY_PER_S  1.0            /* then one per second */

typedef struct tail_client {
    struct tail_client *next;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    uint64_t last;               /* last seq considered */
    uint8_t  kinds[256];
    void    *filter;             /* q= compiled by opts.tail_filter (owned), NULL: kinds only */
    ipl_principal p;
    ipl_scope_map *map;          /* owned, NULL when global */
    int64_t  stalled_since, last_write;   /* monotonic µs */
} tail_client;

typedef struct conn { struct evhttp_connection *evcon; } conn;

typedef struct tcp_conn {       /* a syslog TCP connection */
    struct ipl_server *s;
    struct bufferevent *bev;
    int eof;                     /* the sender closed: close once its buffered frames are read */
} tcp_conn;

/* The writer thread's side: everything here is under mu, except thr and the pipe's fds.
 *
 *   loop: pending ──submit──> q[qhead..qhead+qlen) ──writer: commit, in order──> res[] ──collect
 *           ^                                                         │
 *           └──────────── free[] (cleared batches) <──────────────────┘
 *
 * WQ batches besides the pending one: a commit holds at most batch_events / WQ events when the
 * writer keeps up (the loop hands over at that size), so the tail can deliver one commit while
 * the writer does the next; when it does not keep up, the queue fills, then the pending batch,
 * then syslog TCP pauses. */
#define WQ 4
typedef struct wresult {
    int err;
    char msg[IPL_DIAG_MAX];
    size_t events;
    ipl_commit_info info;
    int64_t at, since, took;     /* commit end, oldest item (monotonic µs), commit time (µs) */
} wresult;

typedef struct writer {
    pthread_t thr;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    ipl_batch *q[WQ];            /* handed over, committed in this order; q[qhead] is the job */
    int64_t since[WQ];           /* monotonic µs of each one's oldest item */
    size_t qhead, qlen;
    ipl_batch *free[WQ];         /* cleared batches for the loop to fill */
    size_t nfree;
    int quit;
    wresult res[WQ];             /* results not yet collected, in commit order: submit()
                                    collects first, so at most the WQ batches in flight */
    size_t nres;
    int pipe[2];                 /* the writer writes a byte after each job; the loop reads */
    struct event *ev;
    uint64_t submitted, committed;   /* batches handed over / done (an async job's ticket) */
} writer;

/* ---- the async worker (routes flagged IPL_API_ASYNC: a purge) ----
 *
 *   loop: on_request ──accept (<= limits.async_jobs, else 503)──> q ──worker: handler──> done
 *          ^                                                                  │ pipe byte
 *          └──── on_async_done: send the captured answer, or drop it (client gone) ────┘
 *
 * A job is the loop's except between its push on q and its pop from done: then the worker owns
 * the request copy (ajob.r, body, map) and the captured answer (status, headers, out); a.mu
 * orders the two hand-overs. The fields marked "loop" are touched by the loop only: libevent's
 * request and connection (never touched by the worker: no libevent thread support is needed),
 * and `gone`, set when the connection closes (the request is then freed by libevent or left to
 * us: on_conn_close tells which), so an answer is never sent to a freed request. */
#define ASYNC_HEADERS 8
typedef struct ajob {
    struct ajob *next;           /* q or done, under a.mu */
    struct ajob *lnext;          /* loop: the in-flight list */
    struct route *rt;
    struct evhttp_request *req;  /* loop: NULL once libevent freed it with its connection */
    struct evhttp_connection *evcon;   /* loop */
    int gone;                    /* loop: the client went away; the answer is dropped */
    int cancelled;               /* loop: taken off q at shutdown, never ran */
    int64_t t0;                  /* monotonic µs at arrival */
    uint64_t ticket;             /* writer batches handed over before it: committed first */
    char method[8], path[256], peer[64];
    char *body;                  /* the request body (a copy) */
    size_t body_len;
    ipl_scope_map *map;          /* the principal's scope map, NULL when global */
    struct ipl_api_req *r;       /* the handler's request (r->job points back) */
    /* the captured answer */
    int status;
    char ctype[96];
    size_t nhdr;
    char hdr[ASYNC_HEADERS][2][256];
    struct evbuffer *out;
    int denied;                  /* ipl_api_deny: recorded by the loop (an auth.fail event) */
    char deny_what[IPL_DIAG_MAX + 300];
} ajob;

typedef struct async_w {
    pthread_t thr;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t work;
    ajob *qhead, *qtail;         /* waiting, in arrival order (under mu) */
    ajob *dhead, *dtail;         /* answered, for the loop (under mu) */
    size_t queued, running;      /* under mu (gauges) */
    int quit;                    /* under mu */
    volatile sig_atomic_t stop;  /* set by the loop on SIGTERM: handlers stop after a step */
    int pipe[2];
    struct event *ev;
    struct event *watch_ev;      /* loop: looks for clients that went away, while jobs are out */
    /* loop only */
    ajob *inflight;              /* every accepted job until it is answered or dropped */
    size_t count;
    uint64_t rejected, dropped;
} async_w;

typedef struct sl_stream {       /* per syslog transport */
    const char *name;            /* "syslog:udp" */
    ipl_source_pos pos;
    void *state;
} sl_stream;

struct ipl_server {
    ipl_store *st;
    ipl_server_conf conf;
    ipl_server_opts o;
    struct event_base *base;
    struct evhttp *http;
    int port;
    route routes[MAX_ROUTES];
    size_t nroutes;
    ipl_batch *pending;
    int pending_dirty;
    int64_t pending_since;       /* monotonic µs of the oldest pending item */
    struct event *commit_ev, *tail_ev, *follow_ev, *sig[3], *udp_ev;
    struct event *pump_ev;       /* the tail's next slice: a 0 s timer when a pump stopped short */
    ipl_strcache *strcache;      /* the tail's dictionary strings */
    evutil_socket_t udp_fd;
    struct evconnlistener *tcp_l;
    size_t tcp_conns;
    tcp_conn **tcp;              /* limits.connections slots */
    int paused, draining;        /* syslog TCP not read: the pending batch is full */
    uint64_t pauses, udp_dropped;
    double writer_busy;          /* seconds the writer spent committing */
    uint64_t tail_stalls;        /* times a tail client's output queue went over stream_buffer */
    writer w;
    async_w a;
    tail_client *tails;
    size_t ntails;
    conn *conns;
    size_t nconns;
    ipl_scope_map *map;          /* scratch for the current request */
    /* syslog */
    const ipl_parser *syslog;
    ipl_tz *sl_tz;
    ipl_arena arena;
    sl_stream sl[2];
    ipl_tz *follow_tz[IPL_FOLLOW_MAX];
    /* metrics */
    src_count src[MAX_SOURCES];
    size_t nsrc;
    uint64_t denied, unauthenticated, commits, commit_failures, syslog_frames_bad, dropped_clients;
    /* denials recorded as events: a token bucket per (peer, principal), so a client hammering
     * the API cannot flood the store; what is held back is counted on the next recorded one */
    struct deny_slot { uint64_t key; double tokens; int64_t at; uint64_t suppressed; } deny[DENY_SLOTS];
    uint64_t denials_suppressed;
    uint64_t rejected_conns;
    double lag;
    histo tail_lat;
    struct { uint64_t first, last; int64_t at; } ring[COMMIT_RING];
    size_t ring_pos, ring_hit;
    int stopping;
#ifdef IPL_HAVE_TLS
    SSL_CTX *ssl;
#endif
};

struct ipl_api_req {
    ipl_server *s;
    struct evhttp_request *req;
    struct evkeyvalq params;
    ipl_principal p;
    ipl_rtxn *t;
    int64_t now;
    int started, failed, status;
    size_t sent;
    struct evbuffer *chunk;
    ajob *job;                   /* an async request: answers are captured into it */
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_clock(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_us(const ipl_server *s) { return s->o.clock(s->o.clock_ctx); }

static void logf_(ipl_server *s, const char *fmt, ...) IPL_PRINTF(2, 3);
static void logf_(ipl_server *s, const char *fmt, ...)
{
    if (!s->o.log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_ctx, line);
}

static src_count *src_get(ipl_server *s, const char *name)
{
    for (size_t i = 0; i < s->nsrc; i++)
        if (strcmp(s->src[i].name, name) == 0)
            return &s->src[i];
    if (s->nsrc == MAX_SOURCES)
        return &s->src[MAX_SOURCES - 1];     /* the last row collects the overflow */
    src_count *c = &s->src[s->nsrc++];
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* ---- events as JSON (tail) ----
 * Written straight into the client's output, without a cJSON tree: the tail encodes every event
 * it sends on the loop thread, so this is on the path of every HTTP request's latency. The text is
 * what cJSON gives for the same object (keys in this order, the same escapes, integers as
 * integers; bytes >= 0x80 as they are). */
typedef struct jw { struct evbuffer *out; size_t n; char buf[4096]; } jw;

static void jw_flush(jw *w)
{
    evbuffer_add(w->out, w->buf, w->n);
    w->n = 0;
}

static void jw_put(jw *w, const char *p, size_t n)
{
    if (w->n + n > sizeof w->buf) {
        jw_flush(w);
        if (n > sizeof w->buf) {
            evbuffer_add(w->out, p, n);
            return;
        }
    }
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static void jw_lit(jw *w, const char *s) { jw_put(w, s, strlen(s)); }

static void jw_u64(jw *w, uint64_t v)
{
    char b[24];
    size_t i = sizeof b;
    do
        b[--i] = (char)('0' + v % 10);
    while ((v /= 10));
    jw_put(w, b + i, sizeof b - i);
}

static void jw_str(jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    jw_put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jw_put(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
            en = 6;
        }
        jw_put(w, e, en);
    }
    jw_put(w, s + run, n - run);
    jw_put(w, "\"", 1);
}

/* ipl_time_format's text without snprintf: 2024-05-01T08:00:00Z, .ffffff when there are µs */
static size_t time_text(int64_t us, char *b)
{
    ipl_civil c;
    ipl_us_to_civil(us, &c);
    if (c.year < 0 || c.year > 9999)
        return ipl_time_format(us, b, IPL_TIME_BUF);
    int v[6] = {c.year, c.mon, c.day, c.hour, c.min, c.sec};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    size_t n = 0;
    b[n++] = (char)('0' + v[0] / 1000);
    b[n++] = (char)('0' + v[0] / 100 % 10);
    b[n++] = (char)('0' + v[0] / 10 % 10);
    b[n++] = (char)('0' + v[0] % 10);
    for (int i = 1; i < 6; i++) {
        b[n++] = sep[i - 1];
        b[n++] = (char)('0' + v[i] / 10 % 10);
        b[n++] = (char)('0' + v[i] % 10);
    }
    if (c.usec) {
        b[n++] = '.';
        for (int k = 100000; k; k /= 10)
            b[n++] = (char)('0' + c.usec / k % 10);
    }
    b[n++] = 'Z';
    b[n] = '\0';
    return n;
}

static void jw_field(jw *w, const char *key, const char *val)
{
    jw_lit(w, ",\"");
    jw_lit(w, key);
    jw_lit(w, "\":");
    jw_str(w, val, strlen(val));
}

/* One SSE message: id, event (the kind), data (the event as JSON). */
static void event_sse(struct evbuffer *out, uint64_t seq, const ipl_event *ev)
{
    jw w;
    w.out = out;
    w.n = 0;
    char buf[IPL_TIME_BUF + IPL_IP_TEXT];
    const char *kind = ipl_kind_name(ev->kind);
    jw_lit(&w, "id: ");
    jw_u64(&w, seq);
    jw_lit(&w, "\nevent: ");
    jw_lit(&w, kind);
    jw_lit(&w, "\ndata: {\"seq\":");
    jw_u64(&w, ev->seq);
    time_text(ev->ts, buf);
    jw_field(&w, "ts", buf);
    jw_field(&w, "kind", kind);
    if (ev->has_ip) {
        ipl_ip_format(ev->ip, buf, sizeof buf);
        jw_field(&w, "ip", buf);
    }
    if (ev->mac) jw_field(&w, "mac", ev->mac);
    if (ev->duid) jw_field(&w, "duid", ev->duid);
    if (ev->host) jw_field(&w, "host", ev->host);
    if (ev->user) jw_field(&w, "user", ev->user);
    if (ev->server) jw_field(&w, "server", ev->server);
    if (ev->source) jw_field(&w, "source", ev->source);
    jw_lit(&w, ",\"line\":");
    jw_u64(&w, ev->line);
    jw_lit(&w, ",\"attrs\":{");
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const char *name = ipl_attr_name(ev->attr[i].key);
        size_t n = ev->attr[i].len > IPL_ATTR_VAL_MAX ? IPL_ATTR_VAL_MAX : ev->attr[i].len;
        const char *v = ev->attr[i].val;
        const char *nul = memchr(v, '\0', n);   /* cJSON stopped at a NUL */
        if (nul)
            n = (size_t)(nul - v);
        if (i)
            jw_put(&w, ",", 1);
        jw_str(&w, name ? name : "unknown", strlen(name ? name : "unknown"));
        jw_put(&w, ":", 1);
        jw_str(&w, v, n);
    }
    jw_lit(&w, "}}\n\n");
    jw_flush(&w);
}

/* ---- the write queue: the pending batch (loop) and the writer thread ---- */
static void tail_pump(ipl_server *s);
static void flush(ipl_server *s);
static void inputs_resume(ipl_server *s);

static void *writer_main(void *arg)
{
    ipl_server *s = arg;
    writer *w = &s->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->qlen && !w->quit)
            pthread_cond_wait(&w->work, &w->mu);
        if (!w->qlen)
            break;                           /* quit, and nothing handed over */
        ipl_batch *b = w->q[w->qhead];
        int64_t since = w->since[w->qhead];
        pthread_mutex_unlock(&w->mu);
        ipl_commit_info info;
        ipl_diag d = {0};
        size_t n = ipl_batch_events(b);
        memset(&info, 0, sizeof info);
        int64_t t0 = mono_us();
        int err = ipl_store_commit(s->st, b, &info, &d);
        int64_t at = mono_us();
        ipl_batch_clear(b);
        pthread_mutex_lock(&w->mu);
        wresult *r = &w->res[w->nres < WQ ? w->nres++ : WQ - 1];  /* < WQ: see res */
        r->err = err;
        snprintf(r->msg, sizeof r->msg, "%s", err ? (d.msg[0] ? d.msg : ipl_strerror(err)) : "");
        r->events = n;
        r->info = info;
        r->at = at;
        r->since = since;
        r->took = at - t0;
        w->qhead = (w->qhead + 1) % WQ;
        w->qlen--;
        w->committed++;
        w->free[w->nfree++] = b;
        pthread_cond_broadcast(&w->idle);
        pthread_mutex_unlock(&w->mu);
        char one = 1;
        if (write(w->pipe[1], &one, 1) < 0) {
            /* a full pipe already holds a wake-up */
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Loop: waits until the writer has committed everything handed over (it may be committing: never
 * call this while holding a read transaction, the writer may be waiting for it to grow the map). */
static void writer_wait(ipl_server *s)
{
    if (ipl_store_thread_txns())
        logf_(s, "bug: waiting for the writer with %u transactions open", ipl_store_thread_txns());
    pthread_mutex_lock(&s->w.mu);
    while (s->w.qlen)
        pthread_cond_wait(&s->w.idle, &s->w.mu);
    pthread_mutex_unlock(&s->w.mu);
}

/* Any thread: waits until the writer has committed (or failed) the first `ticket` batches handed
 * over. The async worker's wait: it may hold no read transaction (the writer may be growing the
 * map); unlike writer_wait it does not wait for batches handed over later (under steady syslog the
 * queue may never be empty). */
static void writer_wait_ticket(ipl_server *s, uint64_t ticket)
{
    pthread_mutex_lock(&s->w.mu);
    while (s->w.committed < ticket)
        pthread_cond_wait(&s->w.idle, &s->w.mu);
    pthread_mutex_unlock(&s->w.mu);
}

/* Loop: takes the writer's results into the server's counters and the commit ring. */
static void collect(ipl_server *s)
{
    writer *w = &s->w;
    wresult res[WQ];
    pthread_mutex_lock(&w->mu);
    size_t n = w->nres;
    memcpy(res, w->res, n * sizeof *res);
    w->nres = 0;
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n; i++) {
        const wresult *r = &res[i];
        s->writer_busy += (double)r->took / 1e6;
        if (r->err) {
            s->commit_failures++;
            logf_(s, "commit failed, batch of %zu events dropped: %s", r->events, r->msg);
            continue;
        }
        s->commits++;
        s->lag = (double)(r->at - r->since) / 1e6;
        if (r->info.last_seq) {
            size_t k = s->ring_pos++ % COMMIT_RING;
            s->ring[k].first = r->info.first_seq;
            s->ring[k].last = r->info.last_seq;
            s->ring[k].at = r->at;
        }
    }
}

/* Loop: hands the pending batch to the writer; 0 when its queue is full. */
static int submit(ipl_server *s)
{
    writer *w = &s->w;
    if (!s->pending_dirty)
        return 1;
    pthread_mutex_lock(&w->mu);
    int room = w->nfree > 0;
    pthread_mutex_unlock(&w->mu);
    if (!room)
        return 0;
    collect(s);
    for (int i = 0; i < 2; i++)          /* the positions go with the batch they belong to */
        if (s->sl[i].pos.line) {
            s->sl[i].pos.updated = now_us(s);
            ipl_batch_set_source(s->pending, s->sl[i].name, &s->sl[i].pos, NULL);
        }
    pthread_mutex_lock(&w->mu);
    size_t k = (w->qhead + w->qlen++) % WQ;
    w->q[k] = s->pending;
    w->since[k] = s->pending_since;
    w->submitted++;
    s->pending = w->free[--w->nfree];
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    s->pending_dirty = 0;
    return 1;
}

/* Events that make a batch worth handing over at once (a commit's share of the tail's work). */
static size_t handover_events(const ipl_server *s)
{
    size_t h = s->conf.batch_events / WQ;
    return h ? h : 1;
}

static int pending_full(const ipl_server *s)
{
    return ipl_batch_events(s->pending) >= s->conf.batch_events;
}

static void inputs_pause(ipl_server *s)
{
    if (s->paused)
        return;
    s->paused = 1;
    s->pauses++;
    for (size_t i = 0; i < s->tcp_conns; i++)
        bufferevent_disable(s->tcp[i]->bev, EV_READ);
}

/* Loop, asynchronous: the batch goes to the writer's queue if there is room; when there is none
 * and the batch is full, the syslog TCP inputs pause until a commit is done (on_writer_done). */
static void flush_async(ipl_server *s)
{
    if (s->draining) {
        flush(s);
        return;
    }
    if (!submit(s) && pending_full(s))
        inputs_pause(s);
}

/* Loop, synchronous: everything pending is committed when it returns (API writes answer
 * "stored"; follow and retention commit after it through their own code). */
static void flush(ipl_server *s)
{
    if (s->pending_dirty && !submit(s)) {
        writer_wait(s);
        submit(s);
    }
    writer_wait(s);
    collect(s);
    inputs_resume(s);
    tail_pump(s);
}

static void on_writer_done(evutil_socket_t fd, short what, void *arg)
{
    ipl_server *s = arg;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    collect(s);
    if (s->pending_dirty && (ipl_batch_events(s->pending) >= handover_events(s) || s->paused ||
                             mono_us() - s->pending_since >= (int64_t)s->conf.commit_ms * 1000))
        submit(s);
    inputs_resume(s);
    tail_pump(s);
}

static void mark_pending(ipl_server *s)
{
    if (!s->pending_dirty)
        s->pending_since = mono_us();
    s->pending_dirty = 1;
}

static void on_commit_timer(evutil_socket_t fd, short what, void *arg) { flush_async(arg); }

/* ---- tail ---- */
static void tail_remove(ipl_server *s, tail_client *c)
{
    for (tail_client **pp = &s->tails; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            s->ntails--;
            break;
        }
    if (c->filter)
        s->o.tail_filter->release(c->filter);
    free(c->map);
    free(c);
}

static int64_t commit_time(ipl_server *s, uint64_t seq)
{
    size_t h = s->ring_hit;      /* consecutive events mostly share a commit */
    if (s->ring[h].at && seq >= s->ring[h].first && seq <= s->ring[h].last)
        return s->ring[h].at;
    for (size_t i = 0; i < COMMIT_RING; i++)
        if (s->ring[i].at && seq >= s->ring[i].first && seq <= s->ring[i].last) {
            s->ring_hit = i;
            return s->ring[i].at;
        }
    return 0;
}

/* 1 when the client has more to come (its next slice, or when its output queue drained) */
static int tail_send(ipl_server *s, tail_client *c, ipl_rtxn *t, uint64_t last, int64_t mono)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    size_t queued = bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
    if (queued > s->conf.limits.stream_buffer) {
        if (!c->stalled_since) {
            c->stalled_since = mono;
            s->tail_stalls++;
        }
        return 1;
    }
    c->stalled_since = 0;
    struct evbuffer *out = evbuffer_new();
    if (!out)
        return 0;
    int n = 0;
    ipl_evcur *ec = NULL;
    if (c->filter && ipl_evcur_open(t, &ec, NULL) != IPL_OK) {
        evbuffer_free(out);
        return 0;
    }
    int more = 0;
    /* a client more than 20 ms behind the commits gets 3 slices' time (the target is 50 ms) */
    int64_t behind = c->last < last ? commit_time(s, c->last + 1) : 0;
    int64_t slice = behind && mono - behind > 20000 ? 3 * TAIL_SLICE_US : TAIL_SLICE_US;
    for (unsigned scanned = 1; c->last < last && evbuffer_get_length(out) < s->conf.limits.stream_buffer; scanned++) {
        if ((scanned & 63) == 0 && mono_us() - mono > slice) {
            more = 1;
            break;
        }
        uint64_t seq = ++c->last;
        ipl_event ev;
        if (c->filter) {            /* the query's test on the raw record first */
            ipl_rawev raw;
            int m = 0;
            ipl_diag fd = {0};
            if (ipl_evcur_get(ec, seq, &raw, NULL) != IPL_OK || !c->kinds[raw.kind & 0xff])
                continue;
            if (s->o.tail_filter->test(c->filter, t, &raw, &m, &fd) != IPL_OK) {
                logf_(s, "tail filter: event %llu: %s", (unsigned long long)seq, fd.msg);
                continue;
            }
            if (!m)
                continue;
        }
        if (ipl_store_get_cached(t, s->strcache, seq, &ev, NULL) != IPL_OK)
            continue;
        if (!c->kinds[ev.kind & 0xff])
            continue;
        if (ev.has_ip && !ipl_principal_sees(&c->p, ev.ip))
            continue;
        event_sse(out, seq, &ev);
        int64_t at = commit_time(s, seq);
        if (at)
            histo_add(&s->tail_lat, (double)(mono - at) / 1e6);
        n++;
    }
    ipl_evcur_close(ec);
    if (!n && mono - c->last_write > 15 * 1000000)
        evbuffer_add_printf(out, ": ping\n\n");
    if (evbuffer_get_length(out)) {
        evhttp_send_reply_chunk(c->req, out);
        c->last_write = mono;
    }
    evbuffer_free(out);
    return more || c->last < last;
}

static void tail_pump(ipl_server *s)
{
    if (!s->tails)
        return;
    collect(s);          /* the commit ring up to date: the 10 ms poll may see a commit first */
    ipl_rtxn *t;
    if (ipl_rtxn_begin(s->st, &t, NULL))
        return;
    uint64_t last = ipl_store_last_seq(t);
    int64_t mono = mono_us();
    int more = 0, stalled = 0;
    for (tail_client *c = s->tails, *next; c; c = next) {
        next = c->next;
        if (c->stalled_since && mono - c->stalled_since > (int64_t)s->conf.limits.stalled_seconds * 1000000) {
            struct evhttp_connection *evcon = c->evcon;
            tail_remove(s, c);
            s->dropped_clients++;
            logf_(s, "tail client dropped: stalled for %d s", s->conf.limits.stalled_seconds);
            evhttp_connection_free(evcon);
            continue;
        }
        if ((c->last < last || mono - c->last_write > 15 * 1000000 || c->stalled_since) &&
            tail_send(s, c, t, last, mono)) {
            if (c->stalled_since)
                stalled = 1;
            else
                more = 1;
        }
    }
    ipl_rtxn_end(t);
    /* the rest in the next slice, once the loop served what is ready meanwhile (HTTP, syslog) */
    /* the rest in the next slice: a 0 s timer runs after the next I/O poll; a client whose
     * output queue is full is looked at again in 1 ms (evhttp owns its write callback) */
    static const struct timeval now0 = {0, 0}, ms1 = {0, 1000};
    if (s->pump_ev && more)
        evtimer_add(s->pump_ev, &now0);
    else if (s->pump_ev && stalled && !evtimer_pending(s->pump_ev, NULL))
        evtimer_add(s->pump_ev, &ms1);
}

static void on_tail_timer(evutil_socket_t fd, short what, void *arg) { tail_pump(arg); }

/* ---- connections ---- */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    ipl_server *s = arg;
    for (tail_client *c = s->tails; c; c = c->next)
        if (c->evcon == evcon) {
            struct evhttp_request *req = c->req;
            tail_remove(s, c);
            /* A client that went away (EOF, timeout) leaves its streaming request detached
             * from the connection (libevent's evhttp_connection_incoming_fail): ending the
             * reply frees it. An attached request is freed with the connection. */
            if (evhttp_request_get_connection(req) == NULL)
                evhttp_send_reply_end(req);
            break;
        }
    /* async requests of this connection: the answer will be dropped. A request libevent detached
     * (the client went away before the answer: evhttp_connection_incoming_fail) is ours to free;
     * one still attached is freed with the connection now. */
    for (ajob *j = s->a.inflight; j; j = j->lnext)
        if (j->evcon == evcon) {
            if (j->req && evhttp_request_get_connection(j->req) == evcon)
                j->req = NULL;
            j->evcon = NULL;
            j->gone = 1;
        }
    for (size_t i = 0; i < s->nconns; i++)
        if (s->conns[i].evcon == evcon) {
            s->conns[i] = s->conns[--s->nconns];
            break;
        }
}

/* 1 when the connection is known or could be admitted, 0 when over the limit. */
static int conn_admit(ipl_server *s, struct evhttp_connection *evcon)
{
    for (size_t i = 0; i < s->nconns; i++)
        if (s->conns[i].evcon == evcon)
            return 1;
    if (s->nconns >= s->conf.limits.connections)
        return 0;
    s->conns[s->nconns++].evcon = evcon;
    evhttp_connection_set_closecb(evcon, on_conn_close, s);
    return 1;
}

/* ---- replies ---- */
static void reply_text(struct evhttp_request *req, int status, const char *ctype, const char *body)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    evbuffer_add(b, body, strlen(body));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_send_reply(req, status, NULL, b);
    evbuffer_free(b);
}

static void reply_json(ipl_api_req *r, int status, cJSON *j)
{
    char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
    r->status = status;
    if (r->job) {                    /* async: captured, sent by the loop */
        ajob *jb = r->job;
        const char *body = txt ? txt : "{\"error\":\"out of memory\"}";
        evbuffer_drain(jb->out, evbuffer_get_length(jb->out));
        evbuffer_add(jb->out, body, strlen(body));
        evbuffer_add(jb->out, "\n", 1);
        jb->status = r->status = txt ? status : 500;
        snprintf(jb->ctype, sizeof jb->ctype, "application/json");
    } else if (!txt) {
        reply_text(r->req, 500, "application/json", "{\"error\":\"out of memory\"}\n");
        r->status = 500;
    } else {
        size_t n = strlen(txt);
        struct evbuffer *b = evbuffer_new();
        if (b) {
            evbuffer_add(b, txt, n);
            evbuffer_add(b, "\n", 1);
            evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", "application/json");
            evhttp_send_reply(r->req, status, NULL, b);
            evbuffer_free(b);
        }
    }
    free(txt);
    cJSON_Delete(j);
    r->started = 2;
}

static int err_status(int err)
{
    switch (err) {
    case IPL_EINVAL: case IPL_EPARSE: return 400;
    case IPL_ENOTFOUND: return 404;
    case IPL_EEXIST: return 409;
    case IPL_ELIMIT: return 413;
    case IPL_EACCES: case IPL_EDENIED: return 403;
    default: return 500;
    }
}

int ipl_api_error(ipl_api_req *r, int status, const char *field, const char *fmt, ...)
{
    char msg[IPL_DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->started == 1)
        return ipl_api_abort(r, msg);
    if (r->started)
        return IPL_EINVAL;
    cJSON *j = cJSON_CreateObject();
    if (j) {
        cJSON_AddStringToObject(j, "error", msg);
        if (field)
            cJSON_AddStringToObject(j, "field", field);
        else
            cJSON_AddNullToObject(j, "field");
    }
    reply_json(r, status, j);
    return IPL_EINVAL;
}

static int diag_error(ipl_api_req *r, int err, const ipl_diag *d, const char *field)
{
    return ipl_api_error(r, err_status(err), field, "%s", d->msg[0] ? d->msg : ipl_strerror(err));
}

void ipl_api_flush(ipl_api_req *r)
{
    ipl_rtxn_end(r->t);
    r->t = NULL;
    if (r->job) {        /* the worker cannot hand the loop's batch over: it waits for what was */
        pthread_mutex_lock(&r->s->w.mu);
        uint64_t ticket = r->s->w.submitted;
        pthread_mutex_unlock(&r->s->w.mu);
        writer_wait_ticket(r->s, ticket);
        return;
    }
    flush(r->s);
}

volatile sig_atomic_t *ipl_api_stop_flag(ipl_api_req *r) { return r->job ? &r->s->a.stop : NULL; }

const char *ipl_api_param(ipl_api_req *r, const char *name)
{
    return evhttp_find_header(&r->params, name);
}

const char *ipl_api_body(ipl_api_req *r, size_t *len)
{
    if (r->job) {
        *len = r->job->body_len;
        return r->job->body;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    *len = in ? evbuffer_get_length(in) : 0;
    return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

const ipl_principal *ipl_api_principal(const ipl_api_req *r) { return &r->p; }
int64_t ipl_api_now(const ipl_api_req *r) { return r->now; }

ipl_rtxn *ipl_api_rtxn(ipl_api_req *r, ipl_diag *d)
{
    if (!r->t && ipl_rtxn_begin(r->s->st, &r->t, d))
        r->t = NULL;
    return r->t;
}

int ipl_api_begin(ipl_api_req *r, const char *content_type)
{
    if (r->started)
        return IPL_OK;
    if (r->job) {
        snprintf(r->job->ctype, sizeof r->job->ctype, "%s", content_type);
        r->job->status = r->status = 200;
        r->started = 1;
        return IPL_OK;
    }
    if (!(r->chunk = evbuffer_new()))
        return IPL_ENOMEM;
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", content_type);
    evhttp_send_reply_start(r->req, 200, "OK");
    r->started = 1;
    r->status = 200;
    return IPL_OK;
}

int ipl_api_header(ipl_api_req *r, const char *name, const char *value)
{
    if (r->started || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
        return IPL_EINVAL;
    if (r->job) {
        ajob *j = r->job;
        if (j->nhdr == ASYNC_HEADERS || strlen(name) >= sizeof j->hdr[0][0] ||
            strlen(value) >= sizeof j->hdr[0][1])
            return IPL_ELIMIT;
        snprintf(j->hdr[j->nhdr][0], sizeof j->hdr[0][0], "%s", name);
        snprintf(j->hdr[j->nhdr][1], sizeof j->hdr[0][1], "%s", value);
        j->nhdr++;
        return IPL_OK;
    }
    return evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value) ? IPL_ENOMEM : IPL_OK;
}

int ipl_api_write(void *req, const char *buf, size_t n)
{
    ipl_api_req *r = req;
    if (r->failed)
        return -1;
    if (!r->started && ipl_api_begin(r, "application/x-ndjson"))
        return -1;
    if (r->sent + n > r->s->conf.limits.response_bytes) {
        r->failed = 1;
        return -1;
    }
    if (r->job) {
        if (evbuffer_add(r->job->out, buf, n)) {
            r->failed = 1;
            return -1;
        }
        r->sent += n;
        return (int)n;
    }
    evbuffer_add(r->chunk, buf, n);
    r->sent += n;
    if (evbuffer_get_length(r->chunk) >= CHUNK_BYTES)
        evhttp_send_reply_chunk(r->req, r->chunk);
    return (int)n;
}

int ipl_api_end(ipl_api_req *r)
{
    if (r->started != 1)
        return IPL_OK;
    if (r->job) {
        r->started = 2;
        return IPL_OK;
    }
    if (evbuffer_get_length(r->chunk))
        evhttp_send_reply_chunk(r->req, r->chunk);
    evhttp_send_reply_end(r->req);
    r->started = 2;
    return IPL_OK;
}

int ipl_api_abort(ipl_api_req *r, const char *msg)
{
    if (r->started != 1)
        return ipl_api_error(r, 500, NULL, "%s", msg);
    cJSON *j = cJSON_CreateObject();
    char *txt = NULL;
    struct evbuffer *dst = r->job ? r->job->out : r->chunk;
    if (j && cJSON_AddStringToObject(j, "error", msg) && (txt = cJSON_PrintUnformatted(j))) {
        evbuffer_add(dst, txt, strlen(txt));
        evbuffer_add(dst, "\n", 1);
    }
    free(txt);
    cJSON_Delete(j);
    r->failed = 0;
    return ipl_api_end(r);
}

/* ---- built-in handlers ---- */
static int h_stats(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    ipl_store_stats st;
    int err = t ? ipl_store_stats_get(t, &st, &d) : IPL_ESTORE;
    if (err)
        return diag_error(r, err, &d, NULL);
    cJSON *j = cJSON_CreateObject();
    char hex[65], tb[IPL_TIME_BUF];
    cJSON_AddNumberToObject(j, "events", (double)st.events);
    cJSON_AddNumberToObject(j, "last_seq", (double)st.last_seq);
    cJSON_AddNumberToObject(j, "quarantine", (double)st.quarantine);
    cJSON_AddNumberToObject(j, "sources", (double)st.sources);
    cJSON_AddNumberToObject(j, "dictionary", (double)st.dict);
    cJSON_AddNumberToObject(j, "used_bytes", (double)st.used_bytes);
    cJSON_AddNumberToObject(j, "file_bytes", (double)st.file_bytes);
    if (st.first_ts) {
        ipl_time_format(st.first_ts, tb, sizeof tb);
        cJSON_AddStringToObject(j, "first_ts", tb);
        ipl_time_format(st.last_ts, tb, sizeof tb);
        cJSON_AddStringToObject(j, "last_ts", tb);
    }
    ipl_hex32(st.chain, hex);
    cJSON_AddStringToObject(j, "chain", hex);
    reply_json(r, 200, j);
    return IPL_OK;
}

static int src_fn(void *ctx, const char *source, const ipl_source_pos *pos)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", source);
    cJSON_AddStringToObject(o, "format", pos->format);
    cJSON_AddNumberToObject(o, "offset", (double)pos->offset);
    cJSON_AddNumberToObject(o, "line", (double)pos->line);
    cJSON_AddNumberToObject(o, "events", (double)pos->events);
    cJSON_AddNumberToObject(o, "quarantined", (double)pos->quarantined);
    cJSON_AddNumberToObject(o, "generation", (double)pos->generation);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int h_sources(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    cJSON *a = cJSON_CreateArray();
    int err = t ? ipl_store_sources(t, src_fn, a, &d) : IPL_ESTORE;
    if (err < 0) {
        cJSON_Delete(a);
        return diag_error(r, err, &d, NULL);
    }
    reply_json(r, 200, a);
    return IPL_OK;
}

struct q_ctx { ipl_api_req *r; uint64_t n, max; };

static int quar_fn(void *ctx, const ipl_qentry *q)
{
    struct q_ctx *qc = ctx;
    if (qc->n++ >= qc->max)
        return 1;
    cJSON *o = cJSON_CreateObject();
    char tb[IPL_TIME_BUF], *txt = NULL, raw[IPL_QUARANTINE_RAW_MAX + 1];
    ipl_time_format(q->ingested, tb, sizeof tb);
    cJSON_AddNumberToObject(o, "qseq", (double)q->qseq);
    cJSON_AddStringToObject(o, "ingested", tb);
    cJSON_AddStringToObject(o, "source", q->source ? q->source : "");
    cJSON_AddNumberToObject(o, "line", (double)q->line);
    cJSON_AddNumberToObject(o, "offset", (double)q->offset);
    cJSON_AddStringToObject(o, "reason", q->reason ? q->reason : "");
    size_t n = q->rawlen > IPL_QUARANTINE_RAW_MAX ? IPL_QUARANTINE_RAW_MAX : q->rawlen;
    memcpy(raw, q->raw, n);
    raw[n] = '\0';
    cJSON_AddStringToObject(o, "raw", raw);
    txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int rc = 0;
    if (!txt || ipl_api_write(qc->r, txt, strlen(txt)) < 0 || ipl_api_write(qc->r, "\n", 1) < 0)
        rc = 1;
    free(txt);
    return rc;
}

static int h_quarantine(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    const char *lim = ipl_api_param(r, "limit");
    struct q_ctx qc = {r, 0, lim ? strtoull(lim, NULL, 10) : 10000};
    if (!t)
        return diag_error(r, IPL_ESTORE, &d, NULL);
    ipl_api_begin(r, "application/x-ndjson");
    int err = ipl_store_quarantine(t, ipl_api_param(r, "source"), quar_fn, &qc, &d);
    if (err < 0)
        return ipl_api_abort(r, d.msg);
    return ipl_api_end(r);
}

/* ingest: POST body of lines in `format` */
struct emit_ctx { ipl_batch *b; const char *source; uint64_t line, events; ipl_diag *d;
                  struct ipl_geoip *geo; };

static int emit_fn(void *ctx, const ipl_event *ev)
{
    struct emit_ctx *e = ctx;
    ipl_event copy = *ev;
    copy.source = e->source;
    copy.line = e->line;
    ipl_geoip_enrich(e->geo, &copy);
    int err = ipl_batch_add(e->b, &copy, e->d);
    if (!err)
        e->events++;
    return err;
}

/* Parses `len` bytes of lines into the pending batch. Returns events and quarantined lines. */
static void parse_lines(ipl_server *s, const ipl_parser *ps, void *state, ipl_parse_ctx *pc,
                        const char *source, const char *buf, size_t len, uint64_t *line,
                        uint64_t *events, uint64_t *quarantined)
{
    struct emit_ctx e = {s->pending, source, 0, 0, NULL, s->o.geoip};
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *next = nl ? nl + 1 : end;
        if (n && p[n - 1] == '\r')
            n--;
        ipl_diag d = {0};
        e.d = &d;
        e.line = ++*line;
        int err = n > IPL_LINE_MAX ? ipl_diag_set(&d, IPL_ELIMIT, "line longer than %d bytes", IPL_LINE_MAX)
                                   : ps->line(state, pc, p, n, emit_fn, &e, &d);
        if (err && err != IPL_ESKIP) {
            ipl_batch_quarantine(s->pending, source, e.line, 0, d.msg[0] ? d.msg : ipl_strerror(err),
                                 p, n > IPL_QUARANTINE_RAW_MAX ? IPL_QUARANTINE_RAW_MAX : n, NULL);
            ++*quarantined;
        }
        ipl_arena_clear(pc->arena);
        p = next;
    }
    *events += e.events;
    mark_pending(s);
}

static int h_ingest(void *ctx, ipl_api_req *r)
{
    ipl_server *s = r->s;
    ipl_diag d = {0};
    int err = IPL_OK;
    void *state = NULL;
    ipl_tz *tz = NULL;
    const ipl_parser *ps = NULL;
    const char *fmt = ipl_api_param(r, "format"), *src = ipl_api_param(r, "source");
    const char *tzn = ipl_api_param(r, "tz");
    if (!fmt)
        return ipl_api_error(r, 400, "format", "give format=NAME (a parser, e.g. syslog or ipledger-ndjson)");
    if (!s->o.find_parser || !(ps = s->o.find_parser(fmt)))
        return ipl_api_error(r, 400, "format", "unknown format '%.64s'", fmt);
    if (!src)
        src = "default";
    if (strlen(src) > 200)
        return ipl_api_error(r, 400, "source", "source name longer than 200 bytes");
    if (tzn && ipl_tz_load(&tz, tzn, &d))
        return ipl_api_error(r, 400, "tz", "%s", d.msg);
    char source[256];
    snprintf(source, sizeof source, "api:%s", src);
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    if (ps->state_size && !(state = calloc(1, ps->state_size))) {
        err = ipl_api_error(r, 500, NULL, "out of memory");
        goto out;
    }
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    ipl_source_pos pos;
    memset(&pos, 0, sizeof pos);
    if (t && ipl_store_source(t, source, &pos, NULL) != IPL_OK)
        memset(&pos, 0, sizeof pos);
    ipl_parse_ctx pc = {tz ? tz : ipl_tz_utc(), ipl_api_param(r, "server"), NULL, &s->arena,
                        pos.last_ts, 0, r->now};
    if (ps->init)
        ps->init(state, &pc);
    uint64_t events = 0, quarantined = 0, line = pos.line;
    parse_lines(s, ps, state, &pc, source, body, len, &line, &events, &quarantined);
    if (ps->finish) {
        struct emit_ctx e = {s->pending, source, line, 0, &d, s->o.geoip};
        if (ps->finish(state, &pc, emit_fn, &e, &d) == IPL_OK)
            events += e.events;
    }
    pos.line = line;
    pos.offset += len;
    pos.events += events;
    pos.quarantined += quarantined;
    pos.last_ts = pc.last_ts;
    pos.updated = r->now;
    snprintf(pos.format, sizeof pos.format, "%s", ps->name);
    ipl_batch_set_source(s->pending, source, &pos, NULL);
    char msg[512];
    snprintf(msg, sizeof msg, "%llu events, %llu quarantined, %zu bytes from %s",
             (unsigned long long)events, (unsigned long long)quarantined, len, source);
    ipl_change_event(s->pending, r->now, &r->p, source, "ingest", NULL, NULL, msg, NULL);
    src_count *sc = src_get(s, source);
    sc->events += events;
    sc->quarantined += quarantined;
    ipl_rtxn_end(r->t);
    r->t = NULL;
    ipl_rtxn *t2;
    flush(s);
    uint64_t last = 0;
    if (ipl_rtxn_begin(s->st, &t2, NULL) == IPL_OK) {
        last = ipl_store_last_seq(t2);
        ipl_rtxn_end(t2);
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", source);
    cJSON_AddNumberToObject(j, "events", (double)events);
    cJSON_AddNumberToObject(j, "quarantined", (double)quarantined);
    cJSON_AddNumberToObject(j, "last_seq", (double)last);
    reply_json(r, 200, j);
out:
    if (state && ps->release)
        ps->release(state);
    free(state);
    ipl_tz_free(tz);
    return err;
}

/* tokens, scopes, roles: every write commits at once with its config.change event */
static int commit_now(ipl_api_req *r, ipl_diag *d)
{
    ipl_rtxn_end(r->t);
    r->t = NULL;
    mark_pending(r->s);
    flush(r->s);
    return IPL_OK;
}

static int tok_fn(void *ctx, const ipl_token_info *ti)
{
    cJSON *o = cJSON_CreateObject();
    char tb[IPL_TIME_BUF];
    cJSON_AddStringToObject(o, "name", ti->name);
    cJSON_AddStringToObject(o, "id", ti->hash_prefix);
    cJSON_AddStringToObject(o, "role", ti->role);
    cJSON_AddStringToObject(o, "scope", ti->scope);
    cJSON_AddStringToObject(o, "created_by", ti->by);
    ipl_time_format(ti->created, tb, sizeof tb);
    cJSON_AddStringToObject(o, "created", tb);
    if (ti->expires) {
        ipl_time_format(ti->expires, tb, sizeof tb);
        cJSON_AddStringToObject(o, "expires", tb);
    } else {
        cJSON_AddNullToObject(o, "expires");
    }
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int h_tokens_get(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    cJSON *a = cJSON_CreateArray();
    int err = t ? ipl_token_list(t, tok_fn, a, &d) : IPL_ESTORE;
    if (err < 0) {
        cJSON_Delete(a);
        return diag_error(r, err, &d, NULL);
    }
    reply_json(r, 200, a);
    return IPL_OK;
}

static int h_tokens_post(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    const char *name = ipl_api_param(r, "name"), *role = ipl_api_param(r, "role");
    const char *scope = ipl_api_param(r, "scope"), *exp = ipl_api_param(r, "expires");
    if (!name)
        return ipl_api_error(r, 400, "name", "give name=NAME");
    if (!role)
        return ipl_api_error(r, 400, "role", "give role=ROLE");
    if (scope && !ipl_scope_within(scope, r->p.scope))
        return ipl_api_error(r, 403, "scope", "scope '%.200s' is outside your scope '%s'", scope, r->p.scope);
    int64_t expires = 0;
    if (exp && ipl_time_parse(exp, strlen(exp), NULL, &expires, &d) &&
        ipl_time_parse_relative(exp, strlen(exp), r->now, &expires, &d))
        return ipl_api_error(r, 400, "expires", "%s", d.msg);
    char secret[IPL_TOKEN_LEN + 1];
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    int err = t ? ipl_token_create(t, r->s->pending, name, role, scope ? scope : r->p.scope, expires,
                                   &r->p, r->now, secret, &d) : IPL_ESTORE;
    if (err)
        return diag_error(r, err, &d, err == IPL_ENOTFOUND ? "role" : "name");
    commit_now(r, &d);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "token", secret);
    cJSON_AddStringToObject(j, "role", role);
    cJSON_AddStringToObject(j, "scope", scope ? scope : r->p.scope);
    reply_json(r, 201, j);
    return IPL_OK;
}

static int h_tokens_delete(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    const char *name = ipl_api_param(r, "name");
    if (!name)
        return ipl_api_error(r, 400, "name", "give name=NAME");
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    int err = t ? ipl_token_revoke(t, r->s->pending, name, &r->p, r->now, &d) : IPL_ESTORE;
    if (err)
        return diag_error(r, err, &d, "name");
    commit_now(r, &d);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "revoked", name);
    reply_json(r, 200, j);
    return IPL_OK;
}

static int h_scopes_post(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    const char *path = ipl_api_param(r, "path"), *px = ipl_api_param(r, "prefixes");
    if (!path)
        return ipl_api_error(r, 400, "path", "give path=\\Global\\...");
    if (!r->p.global)
        return ipl_api_error(r, 403, "path", "only a \\Global principal assigns scopes");
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    int err = t ? ipl_scope_set(t, r->s->pending, path, px ? px : "", &r->p, r->now, &d) : IPL_ESTORE;
    if (err)
        return diag_error(r, err, &d, "path");
    commit_now(r, &d);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "path", path);
    cJSON_AddStringToObject(j, "prefixes", px ? px : "");
    reply_json(r, 200, j);
    return IPL_OK;
}

static int h_roles_post(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    const char *name = ipl_api_param(r, "name"), *ops = ipl_api_param(r, "operations");
    if (!name || !ops)
        return ipl_api_error(r, 400, name ? "operations" : "name", "give name=ROLE and operations=read,audit,...");
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    int err = t ? ipl_role_set(t, r->s->pending, name, ops, &r->p, r->now, &d) : IPL_ESTORE;
    if (err)
        return diag_error(r, err, &d, "operations");
    commit_now(r, &d);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "role", name);
    cJSON_AddStringToObject(j, "operations", ops);
    reply_json(r, 200, j);
    return IPL_OK;
}

/* tail: GET /api/v1/tail?kinds=config.change,lease.assign (q= is the same list until the query
 * language is wired; "*" for every kind). Resumes after Last-Event-ID (or from=SEQ). */
/* a tail client not yet in the list */
static void tail_free(ipl_server *s, tail_client *c)
{
    if (c->filter)
        s->o.tail_filter->release(c->filter);
    free(c->map);
    free(c);
}

static int h_tail(void *ctx, ipl_api_req *r)
{
    ipl_server *s = r->s;
    const char *kinds = ipl_api_param(r, "kinds"), *q = ipl_api_param(r, "q");
    if (q && kinds)
        return ipl_api_error(r, 400, "q", "give q (a query) or kinds (a kind list), not both");
    if (q && strlen(q) > 16384)
        return ipl_api_error(r, 414, "q", "query longer than 16384 bytes");
    tail_client *c = calloc(1, sizeof *c);
    if (!c)
        return ipl_api_error(r, 500, NULL, "out of memory");
    int need_audit = 0;
    if (q && *q && s->o.tail_filter) {
        /* q: the query language (a source and a where clause); a plain kind list ("lease.*,
         * config.change") that is not a query is still read as kinds */
        ipl_diag qd = {0};
        if (s->o.tail_filter->compile(q, r->now, &c->filter, c->kinds, &qd) == IPL_OK) {
            for (unsigned k = 0; k < 256; k++)
                need_audit |= c->kinds[k] && k != IPL_K_CONFIG_CHANGE;
            kinds = NULL;
        } else if (strpbrk(q, " \"=<>()|")) {
            tail_free(s, c);
            return ipl_api_error(r, 400, "q", "%s", qd.msg);
        } else {
            kinds = q;
        }
    } else if (!kinds) {
        kinds = q;
    }
    if (!c->filter && (!kinds || !*kinds))
        kinds = "config.change";
    if (kinds && strlen(kinds) > 4096) {
        tail_free(s, c);
        return ipl_api_error(r, 414, "kinds", "kind list longer than 4096 bytes");
    }
    for (const char *p = kinds ? kinds : ""; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 1 && *p == '*') {
            memset(c->kinds, 1, sizeof c->kinds);
            need_audit = 1;
        } else if (n > 1 && p[n - 1] == '*') {     /* "lease.*" */
            int any = 0;
            for (unsigned k = 0; k < 256; k++) {
                const char *kn = ipl_kind_name(k);
                if (strcmp(kn, "unknown") && strncmp(kn, p, n - 1) == 0)
                    c->kinds[k] = 1, any = 1, need_audit |= k != IPL_K_CONFIG_CHANGE;
            }
            if (!any) {
                tail_free(s, c);
                return ipl_api_error(r, 400, "kinds", "no kind matches '%.*s'", (int)(n > 64 ? 64 : n), p);
            }
        } else {
            int k = ipl_kind_parse(p, n);
            if (k < 0 || k > 255) {
                tail_free(s, c);
                return ipl_api_error(r, 400, "kinds", "unknown kind '%.*s'", (int)(n > 64 ? 64 : n), p);
            }
            c->kinds[k] = 1;
            need_audit |= k != IPL_K_CONFIG_CHANGE;
        }
        p = e ? e + 1 : p + n;
    }
    if (need_audit && !(r->p.perms & IPL_PERM_AUDIT)) {
        tail_free(s, c);
        return ipl_api_error(r, 403, "kinds", "permission 'audit' required to tail tracking events");
    }
    const char *lei = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Last-Event-ID");
    const char *from = ipl_api_param(r, "from");
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    if (!t) {
        tail_free(s, c);
        return diag_error(r, IPL_ESTORE, &d, NULL);
    }
    c->last = ipl_store_last_seq(t);
    const char *resume = lei ? lei : from;
    if (resume) {
        char *end;
        unsigned long long v = strtoull(resume, &end, 10);
        if (*end || end == resume) {
            tail_free(s, c);
            return ipl_api_error(r, 400, lei ? "Last-Event-ID" : "from", "'%.32s' is not an event sequence", resume);
        }
        if (v < c->last)
            c->last = v;
    }
    c->p = r->p;
    if (!r->p.global) {
        if (!(c->map = malloc(sizeof *c->map)) || ipl_scope_map_load(t, c->map, &d)) {
            tail_free(s, c);
            return ipl_api_error(r, 500, NULL, "cannot load scopes");
        }
        c->p.map = c->map;
    }
    c->req = r->req;
    c->evcon = evhttp_request_get_connection(r->req);
    evhttp_connection_set_timeout(c->evcon, 86400);
    /* bound the kernel's share of a slow client's backlog too (autotuning would allow MiBs) */
    struct bufferevent *tbev = evhttp_connection_get_bufferevent(c->evcon);
    if (tbev && bufferevent_getfd(tbev) >= 0) {
        int sndbuf = s->conf.limits.stream_buffer < 16384 ? 16384
                   : s->conf.limits.stream_buffer > (8u << 20) ? (int)(8u << 20) : (int)s->conf.limits.stream_buffer;
        setsockopt(bufferevent_getfd(tbev), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        /* libevent writes at most 16 KiB per connection and loop iteration by default: with the
         * loop busy (HTTP, syslog) that caps a tail at a few MB/s; let one write take the queue */
        bufferevent_set_max_single_write(tbev, (size_t)sndbuf);
    }
    struct evkeyvalq *oh = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(oh, "Content-Type", "text/event-stream");
    evhttp_add_header(oh, "Cache-Control", "no-cache");
    evhttp_send_reply_start(r->req, 200, "OK");
    r->started = 3;      /* owned by the tail list now */
    r->status = 200;
    c->last_write = mono_us();
    c->next = s->tails;
    s->tails = c;
    s->ntails++;
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add_printf(b, ": ipledger tail from seq %llu\nretry: 1000\n\n", (unsigned long long)c->last);
        evhttp_send_reply_chunk(r->req, b);
        evbuffer_free(b);
    }
    ipl_rtxn_end(r->t);
    r->t = NULL;
    tail_pump(s);
    return IPL_OK;
}

static int h_metrics(void *ctx, ipl_api_req *r)
{
    ipl_server *s = r->s;
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return ipl_api_error(r, 500, NULL, "out of memory");
    evbuffer_add_printf(b, "# HELP ipledger_events_ingested_total Events committed by the server, by source.\n"
                           "# TYPE ipledger_events_ingested_total counter\n");
    for (size_t i = 0; i < s->nsrc; i++)
        evbuffer_add_printf(b, "ipledger_events_ingested_total{source=\"%s\"} %llu\n", s->src[i].name,
                            (unsigned long long)s->src[i].events);
    evbuffer_add_printf(b, "# TYPE ipledger_quarantined_total counter\n");
    for (size_t i = 0; i < s->nsrc; i++)
        evbuffer_add_printf(b, "ipledger_quarantined_total{source=\"%s\"} %llu\n", s->src[i].name,
                            (unsigned long long)s->src[i].quarantined);
    ipl_rtxn *t = ipl_api_rtxn(r, NULL);
    ipl_store_stats st;
    if (t && ipl_store_stats_get(t, &st, NULL) == IPL_OK) {
        evbuffer_add_printf(b, "# TYPE ipledger_store_events gauge\nipledger_store_events %llu\n"
                               "# TYPE ipledger_store_quarantine gauge\nipledger_store_quarantine %llu\n"
                               "# TYPE ipledger_store_bytes gauge\nipledger_store_bytes %llu\n"
                               "# TYPE ipledger_store_last_seq gauge\nipledger_store_last_seq %llu\n",
                            (unsigned long long)st.events, (unsigned long long)st.quarantine,
                            (unsigned long long)st.used_bytes, (unsigned long long)st.last_seq);
    }
    evbuffer_add_printf(b, "# HELP ipledger_ingest_lag_seconds Age of the oldest pending item at the last commit.\n"
                           "# TYPE ipledger_ingest_lag_seconds gauge\nipledger_ingest_lag_seconds %.6f\n"
                           "# TYPE ipledger_commits_total counter\nipledger_commits_total %llu\n"
                           "# TYPE ipledger_commit_failures_total counter\nipledger_commit_failures_total %llu\n"
                           "# TYPE ipledger_http_denied_total counter\nipledger_http_denied_total %llu\n"
                           "# TYPE ipledger_http_unauthenticated_total counter\nipledger_http_unauthenticated_total %llu\n"
                           "# TYPE ipledger_http_rejected_connections_total counter\nipledger_http_rejected_connections_total %llu\n"
                           "# TYPE ipledger_http_connections gauge\nipledger_http_connections %zu\n"
                           "# TYPE ipledger_syslog_bad_frames_total counter\nipledger_syslog_bad_frames_total %llu\n"
                           "# HELP ipledger_syslog_udp_dropped_total Datagrams dropped while the writer was behind.\n"
                           "# TYPE ipledger_syslog_udp_dropped_total counter\nipledger_syslog_udp_dropped_total %llu\n"
                           "# HELP ipledger_ingest_pauses_total Times syslog TCP reading paused for the writer.\n"
                           "# TYPE ipledger_ingest_pauses_total counter\nipledger_ingest_pauses_total %llu\n"
                           "# TYPE ipledger_pending_events gauge\nipledger_pending_events %zu\n"
                           "# HELP ipledger_writer_busy_seconds_total Time the writer thread spent in commits.\n"
                           "# TYPE ipledger_writer_busy_seconds_total counter\nipledger_writer_busy_seconds_total %.6f\n"
                           "# TYPE ipledger_tail_clients gauge\nipledger_tail_clients %zu\n"
                           "# TYPE ipledger_tail_dropped_total counter\nipledger_tail_dropped_total %llu\n"
                           "# HELP ipledger_tail_stalls_total Times a tail client's output queue passed stream_buffer_bytes.\n"
                           "# TYPE ipledger_tail_stalls_total counter\nipledger_tail_stalls_total %llu\n"
                           "# HELP ipledger_denials_unrecorded_total Denials counted on a later auth.fail event instead of one each.\n"
                           "# TYPE ipledger_denials_unrecorded_total counter\nipledger_denials_unrecorded_total %llu\n",
                        s->lag, (unsigned long long)s->commits, (unsigned long long)s->commit_failures,
                        (unsigned long long)s->denied, (unsigned long long)s->unauthenticated,
                        (unsigned long long)s->rejected_conns, s->nconns,
                        (unsigned long long)s->syslog_frames_bad, (unsigned long long)s->udp_dropped,
                        (unsigned long long)s->pauses, ipl_batch_events(s->pending), s->writer_busy, s->ntails,
                        (unsigned long long)s->dropped_clients, (unsigned long long)s->tail_stalls,
                        (unsigned long long)s->denials_suppressed);
    pthread_mutex_lock(&s->a.mu);
    size_t arun = s->a.running, aq = s->a.queued;
    pthread_mutex_unlock(&s->a.mu);
    evbuffer_add_printf(b, "# HELP ipledger_async_jobs Async requests (purge) on the worker thread: running, waiting.\n"
                           "# TYPE ipledger_async_jobs gauge\n"
                           "ipledger_async_jobs{state=\"running\"} %zu\nipledger_async_jobs{state=\"queued\"} %zu\n"
                           "# HELP ipledger_async_rejected_total Async requests answered 503 (limits.async_jobs reached).\n"
                           "# TYPE ipledger_async_rejected_total counter\nipledger_async_rejected_total %llu\n"
                           "# HELP ipledger_async_dropped_total Async answers dropped: the client had gone.\n"
                           "# TYPE ipledger_async_dropped_total counter\nipledger_async_dropped_total %llu\n",
                        arun, aq, (unsigned long long)s->a.rejected, (unsigned long long)s->a.dropped);
    evbuffer_add_printf(b, "# HELP ipledger_http_request_duration_seconds Handler time by route.\n"
                           "# TYPE ipledger_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < s->nroutes; i++) {
        const route *rt = &s->routes[i];
        uint64_t cum = 0;
        for (int k = 0; k < NBUCKETS; k++) {
            cum += rt->lat.n[k];
            if (k == NBUCKETS - 1)
                evbuffer_add_printf(b, "ipledger_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
                                    rt->method, rt->path, (unsigned long long)cum);
            else
                evbuffer_add_printf(b, "ipledger_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                                    rt->method, rt->path, buckets[k], (unsigned long long)cum);
        }
        evbuffer_add_printf(b, "ipledger_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                               "ipledger_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
                            rt->method, rt->path, rt->lat.sum, rt->method, rt->path,
                            (unsigned long long)rt->lat.count);
    }
    evbuffer_add_printf(b, "# HELP ipledger_tail_delivery_seconds Commit to delivery to a tail client.\n"
                           "# TYPE ipledger_tail_delivery_seconds histogram\n");
    uint64_t cum = 0;
    for (int k = 0; k < NBUCKETS; k++) {
        cum += s->tail_lat.n[k];
        if (k == NBUCKETS - 1)
            evbuffer_add_printf(b, "ipledger_tail_delivery_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        else
            evbuffer_add_printf(b, "ipledger_tail_delivery_seconds_bucket{le=\"%g\"} %llu\n", buckets[k], (unsigned long long)cum);
    }
    evbuffer_add_printf(b, "ipledger_tail_delivery_seconds_sum %.6f\nipledger_tail_delivery_seconds_count %llu\n",
                        s->tail_lat.sum, (unsigned long long)s->tail_lat.count);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", "text/plain; version=0.0.4");
    evhttp_send_reply(r->req, 200, "OK", b);
    evbuffer_free(b);
    r->started = 2;
    r->status = 200;
    return IPL_OK;
}

/* ---- dispatch ---- */
/* The client's address as text ("" when the connection is gone); borrowed from libevent. */
static const char *peer_host(struct evhttp_request *req)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
    if (evcon)
        evhttp_connection_get_peer(evcon, &host, &port);
    return host ? host : "";
}

static void record_denial(ipl_server *s, const char *host, const char *who, const char *what)
{
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = now_us(s);
    ev.kind = IPL_K_AUTH_FAIL;
    ev.server = "ipledger";
    ev.source = "ipledger:api";
    if (*host && ipl_ip_parse(host, strlen(host), ev.ip) == IPL_OK)
        ev.has_ip = 1;
    /* the bucket of (peer, principal) */
    uint64_t key = 1469598103934665603ull;
    for (const char *p = host; *p; p++)
        key = (key ^ (unsigned char)*p) * 1099511628211ull;
    key = (key ^ 0xff) * 1099511628211ull;
    for (const char *p = who; *p; p++)
        key = (key ^ (unsigned char)*p) * 1099511628211ull;
    struct deny_slot *sl = &s->deny[key % DENY_SLOTS];
    int64_t mono = mono_us();
    if (sl->key != key) {
        sl->key = key;
        sl->tokens = DENY_BURST;
        sl->suppressed = 0;
    } else {
        sl->tokens += (double)(mono - sl->at) / 1e6 * DENY_PER_S;
        if (sl->tokens > DENY_BURST)
            sl->tokens = DENY_BURST;
    }
    sl->at = mono;
    if (sl->tokens < 1.0) {
        sl->suppressed++;
        s->denials_suppressed++;
        return;
    }
    sl->tokens -= 1.0;
    char msg[1200], cnt[24];
    if (sl->suppressed) {
        snprintf(msg, sizeof msg, "%.1000s (and %llu more denials of this client and principal "
                 "not recorded one by one)", what, (unsigned long long)sl->suppressed);
        snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)sl->suppressed);
        ipl_event_add_attr(&ev, IPL_A_COUNT, cnt, strlen(cnt));
        sl->suppressed = 0;
    } else {
        snprintf(msg, sizeof msg, "%.1000s", what);
    }
    ipl_event_add_attr(&ev, IPL_A_SUBJECT, who, strlen(who));
    ipl_event_add_attr(&ev, IPL_A_ACTION, "deny", 4);
    ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg));
    ipl_geoip_enrich(s->o.geoip, &ev);
    if (ipl_batch_add(s->pending, &ev, NULL) == IPL_OK)
        mark_pending(s);
    src_get(s, "ipledger:api")->events++;
}

int ipl_api_deny(ipl_api_req *r, const char *field, const char *fmt, ...)
{
    char msg[IPL_DIAG_MAX], what[IPL_DIAG_MAX + 300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->job) {        /* the loop records it when the answer is sent */
        snprintf(r->job->deny_what, sizeof r->job->deny_what, "%.200s: %s", r->job->path, msg);
        r->job->denied = 1;
        return ipl_api_error(r, 403, field, "%s", msg);
    }
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r->req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    snprintf(what, sizeof what, "%.200s: %s", path ? path : "?", msg);
    r->s->denied++;
    record_denial(r->s, peer_host(r->req), r->p.name, what);
    return ipl_api_error(r, 403, field, "%s", msg);
}

/* ---- the async worker (see ajob) ---- */
static void async_free(ajob *j)
{
    if (!j)
        return;
    if (j->r) {
        evhttp_clear_headers(&j->r->params);
        free(j->r);
    }
    if (j->out)
        evbuffer_free(j->out);
    free(j->body);
    free(j->map);
    free(j);
}

/* Worker: runs one handler on its copy of the request, after the batches handed over before the
 * request arrived are committed (so it sees what was ingested before it). */
static void async_run(ipl_server *s, ajob *j)
{
    ipl_api_req *r = j->r;
    writer_wait_ticket(s, j->ticket);
    j->rt->rt.fn(j->rt->rt.ctx, r);
    if (r->started == 1)
        ipl_api_end(r);
    else if (!r->started)
        ipl_api_error(r, 500, NULL, "the handler gave no answer");
    ipl_rtxn_end(r->t);          /* begun on this thread: ended on it (the map gate counts per thread) */
    r->t = NULL;
}

static void *async_main(void *arg)
{
    ipl_server *s = arg;
    async_w *a = &s->a;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->qhead && !a->quit)
            pthread_cond_wait(&a->work, &a->mu);
        if (a->quit)
            break;                   /* what still waits is answered (or freed) by the loop */
        ajob *j = a->qhead;
        if (!(a->qhead = j->next))
            a->qtail = NULL;
        a->queued--;
        a->running++;
        pthread_mutex_unlock(&a->mu);
        async_run(s, j);
        pthread_mutex_lock(&a->mu);
        a->running--;
        j->next = NULL;
        if (a->dtail)
            a->dtail->next = j;
        else
            a->dhead = j;
        a->dtail = j;
        pthread_mutex_unlock(&a->mu);
        char one = 1;
        if (write(a->pipe[1], &one, 1) < 0) {
            /* a full pipe already holds a wake-up */
        }
        pthread_mutex_lock(&a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Loop: when stopping and every async answer is out, the loop may end (replies written first:
 * their completion, or at most 2 s for a client that does not read). */
static void on_reply_written(struct evhttp_request *req, void *arg)
{
    ipl_server *s = arg;
    if (s->stopping && !s->a.count)
        event_base_loopexit(s->base, NULL);
}

static void async_maybe_exit(ipl_server *s, int replied)
{
    static const struct timeval grace = {2, 0};
    if (!s->stopping || s->a.count)
        return;
    event_base_loopexit(s->base, replied ? &grace : NULL);
}

/* Loop: sends a job's answer (or drops it: the client went away), records its denial, frees it.
 * 1 when an answer was sent. */
static int async_deliver(ipl_server *s, ajob *j)
{
    for (ajob **pp = &s->a.inflight; *pp; pp = &(*pp)->lnext)
        if (*pp == j) {
            *pp = j->lnext;
            s->a.count--;
            break;
        }
    if (j->denied) {
        s->denied++;
        record_denial(s, j->peer, j->r->p.name, j->deny_what);
    }
    int status = j->status ? j->status : 500, sent = 0;
    if (j->req && !j->gone) {
        struct evkeyvalq *oh = evhttp_request_get_output_headers(j->req);
        evhttp_add_header(oh, "Content-Type", j->ctype[0] ? j->ctype : "application/json");
        for (size_t i = 0; i < j->nhdr; i++)
            evhttp_add_header(oh, j->hdr[i][0], j->hdr[i][1]);
        if (j->evcon)
            evhttp_connection_set_timeout(j->evcon, s->conf.limits.request_seconds);
        if (s->stopping)
            evhttp_request_set_on_complete_cb(j->req, on_reply_written, s);
        evhttp_send_reply(j->req, status, NULL, j->out);
        sent = 1;
    } else {
        s->a.dropped++;
        if (j->req)              /* detached from its closed connection: ours to free */
            evhttp_request_free(j->req);
        logf_(s, "%s %s: the client went away, its answer (%d) was dropped%s", j->method, j->path, status,
              j->cancelled ? "" : " (the work was done)");
    }
    histo_add(&j->rt->lat, (double)(mono_us() - j->t0) / 1e6);
    if (status / 100 >= 1 && status / 100 <= 5)
        j->rt->status[status / 100]++;
    async_free(j);
    return sent;
}

static void on_async_done(evutil_socket_t fd, short what, void *arg)
{
    ipl_server *s = arg;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&s->a.mu);
    ajob *j = s->a.dhead;
    s->a.dhead = s->a.dtail = NULL;
    pthread_mutex_unlock(&s->a.mu);
    int replied = 0;
    while (j) {
        ajob *next = j->next;
        replied |= async_deliver(s, j);
        j = next;
    }
    if (s->pending_dirty)        /* a denial recorded */
        flush_async(s);
    async_maybe_exit(s, replied);
}

/* Loop, every ASYNC_WATCH_MS while jobs are out: libevent does not read a connection whose
 * request awaits its answer, so it would see a client that went away only when the answer is
 * written. A peek at each such socket finds the EOF (or a reset) now: the connection is freed
 * (the request with it: on_conn_close marks the job gone) and the answer will be dropped. A
 * client that half-closes its side while it waits is taken as gone too (HTTP clients do not). */
#define ASYNC_WATCH_MS 100
static void async_watch_arm(ipl_server *s)
{
    static const struct timeval tv = {0, ASYNC_WATCH_MS * 1000};
    if (s->a.watch_ev && s->a.inflight && !evtimer_pending(s->a.watch_ev, NULL))
        evtimer_add(s->a.watch_ev, &tv);
}

static void on_async_watch(evutil_socket_t fd_, short what, void *arg)
{
    ipl_server *s = arg;
    for (int again = 1; again;) {
        again = 0;
        for (ajob *j = s->a.inflight; j; j = j->lnext) {
            struct bufferevent *bev = j->evcon && !j->gone ? evhttp_connection_get_bufferevent(j->evcon) : NULL;
            evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
            char c;
            if (fd < 0)
                continue;
            ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                logf_(s, "%s %s: the client went away while it ran", j->method, j->path);
                evhttp_connection_free(j->evcon);    /* on_conn_close: the job is gone */
                again = 1;                           /* the lists may have changed */
                break;
            }
        }
    }
    async_watch_arm(s);
}

/* Loop, at shutdown: the jobs still waiting never run; they are answered 503. */
static int async_cancel_queued(ipl_server *s)
{
    pthread_mutex_lock(&s->a.mu);
    ajob *j = s->a.qhead;
    s->a.qhead = s->a.qtail = NULL;
    s->a.queued = 0;
    pthread_mutex_unlock(&s->a.mu);
    int replied = 0;
    while (j) {
        ajob *next = j->next;
        j->cancelled = 1;
        ipl_api_error(j->r, 503, NULL, "shutting down: the request did not start");
        replied |= async_deliver(s, j);
        j = next;
    }
    return replied;
}

/* Loop: takes an async route's request (authenticated, permitted): copies it into a job for the
 * worker, or answers 503 when limits.async_jobs are accepted already. 1 when taken (answered
 * later), 0 when answered now. */
static int async_accept(ipl_server *s, route *rt, ipl_api_req *r, const char *method, const char *path,
                        const char *query, int64_t t0)
{
    if (s->a.count >= s->conf.limits.async_jobs) {
        s->a.rejected++;
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", "1");
        ipl_api_error(r, 503, NULL, "%zu long-running request(s) (purge) already running or waiting, "
                      "the limit (limits.async_jobs = %zu): try again when one is done",
                      s->a.count, s->conf.limits.async_jobs);
        return 0;
    }
    ajob *j = calloc(1, sizeof *j);
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t blen = in ? evbuffer_get_length(in) : 0;
    if (!j || !(j->r = calloc(1, sizeof *j->r)) || !(j->out = evbuffer_new()) ||
        !(j->body = malloc(blen + 1)) || (!r->p.global && !(j->map = malloc(sizeof *j->map)))) {
        async_free(j);
        ipl_api_error(r, 500, NULL, "out of memory");
        return 0;
    }
    TAILQ_INIT(&j->r->params);
    if (query && evhttp_parse_query_str(query, &j->r->params)) {
        async_free(j);
        ipl_api_error(r, 400, NULL, "malformed request target");
        return 0;
    }
    if (blen)
        evbuffer_copyout(in, j->body, blen);
    j->body[blen] = '\0';
    j->body_len = blen;
    j->rt = rt;
    j->t0 = t0;
    j->req = r->req;
    j->evcon = evhttp_request_get_connection(r->req);
    snprintf(j->method, sizeof j->method, "%s", method);
    snprintf(j->path, sizeof j->path, "%s", path);
    snprintf(j->peer, sizeof j->peer, "%s", peer_host(r->req));
    j->r->s = s;
    j->r->now = r->now;
    j->r->p = r->p;
    j->r->job = j;
    if (j->map) {
        *j->map = *s->map;
        j->r->p.map = j->map;
    }
    /* what the loop holds is handed over now; the job starts once it is committed (the purge
     * sees the ingest that came before it) */
    if (s->pending_dirty && !submit(s))
        flush(s);
    pthread_mutex_lock(&s->w.mu);
    j->ticket = s->w.submitted;
    pthread_mutex_unlock(&s->w.mu);
    /* the answer may take longer than a request may stall (limits.request_seconds) */
    if (j->evcon)
        evhttp_connection_set_timeout(j->evcon, 86400);
    j->lnext = s->a.inflight;
    s->a.inflight = j;
    s->a.count++;
    async_watch_arm(s);
    pthread_mutex_lock(&s->a.mu);
    if (s->a.qtail)
        s->a.qtail->next = j;
    else
        s->a.qhead = j;
    s->a.qtail = j;
    s->a.queued++;
    pthread_cond_signal(&s->a.work);
    pthread_mutex_unlock(&s->a.mu);
    return 1;
}

static const char *method_name(enum evhttp_cmd_type c)
{
    switch (c) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_HEAD: return "HEAD";
    default: return "OTHER";
    }
}

static void on_request(struct evhttp_request *req, void *arg)
{
    ipl_server *s = arg;
    int64_t t0 = mono_us();
    ipl_api_req r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.req = req;
    r.now = now_us(s);
    TAILQ_INIT(&r.params);
    route *rt = NULL;
    int deferred = 0;            /* an async route's request: answered later */
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (s->stopping) {
        reply_text(req, 503, "application/json", "{\"error\":\"shutting down\",\"field\":null}\n");
        return;
    }
    if (evcon && !conn_admit(s, evcon)) {
        s->rejected_conns++;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply_text(req, 503, "application/json", "{\"error\":\"too many connections\",\"field\":null}\n");
        return;
    }
    const char *uri = evhttp_request_get_uri(req);
    if (!uri) {
        /* libevent calls back again, without a URI, when writing a reply failed: a tail
         * client whose socket broke is dropped with its connection */
        for (tail_client *c = s->tails; c; c = c->next)
            if (c->req == req) {
                tail_remove(s, c);
                if (evcon)
                    evhttp_connection_free(evcon);
                return;
            }
        /* an async request whose connection failed: answered (and freed) below, never again */
        for (ajob *j = s->a.inflight; j; j = j->lnext)
            if (j->req == req) {
                j->req = NULL;
                j->gone = 1;
            }
    }
    if (!uri || strlen(uri) > s->conf.limits.query_bytes) {
        reply_text(req, 414, "application/json", "{\"error\":\"request target too long\",\"field\":null}\n");
        return;
    }
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    const char *query = u ? evhttp_uri_get_query(u) : NULL;
    if (!path || (query && evhttp_parse_query_str(query, &r.params) != 0)) {
        reply_text(req, 400, "application/json", "{\"error\":\"malformed request target\",\"field\":null}\n");
        goto out;
    }
    const char *method = method_name(evhttp_request_get_command(req));
    if (strcmp(path, "/healthz") == 0) {
        reply_text(req, 200, "application/json", "{\"status\":\"ok\"}\n");
        goto out;
    }
    int path_found = 0;
    for (size_t i = 0; i < s->nroutes; i++)
        if (strcmp(s->routes[i].path, path) == 0) {
            path_found = 1;
            if (strcmp(s->routes[i].method, method) == 0) {
                rt = &s->routes[i];
                break;
            }
        }
    if (!rt) {
        if (path_found)
            ipl_api_error(&r, 405, NULL, "method %s not allowed on %.200s", method, path);
        else
            ipl_api_error(&r, 404, NULL, "no endpoint %.200s", path);
        goto out;
    }
    if (rt->rt.flags & IPL_API_PUBLIC) {            /* the console's page: no token, no store access */
        rt->rt.fn(rt->rt.ctx, &r);
        if (r.started == 1)
            ipl_api_end(&r);
        else if (!r.started)
            ipl_api_error(&r, 500, NULL, "the handler gave no answer");
        goto out;
    }
    /* authentication */
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    ipl_diag d = {0};
    char what[512];
    if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
        s->unauthenticated++;
        snprintf(what, sizeof what, "%s %.200s: no bearer token", method, path);
        record_denial(s, peer_host(req), "anonymous", what);
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
        ipl_api_error(&r, 401, "Authorization", "a bearer token is required (Authorization: Bearer ipl_...)");
        goto out;
    }
    ipl_rtxn *t = ipl_api_rtxn(&r, &d);
    if (!t) {
        ipl_api_error(&r, 500, NULL, "%s", d.msg);
        goto out;
    }
    if (ipl_token_auth(t, auth + 7, strlen(auth + 7), r.now, &r.p, &d)) {
        s->unauthenticated++;
        snprintf(what, sizeof what, "%s %.200s: %.200s", method, path, d.msg);
        record_denial(s, peer_host(req), "anonymous", what);
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        ipl_api_error(&r, 401, "Authorization", "%s", d.msg);
        goto out;
    }
    unsigned missing = rt->rt.perm & ~r.p.perms;
    if (missing) {
        unsigned bit = missing & -missing;
        s->denied++;
        snprintf(what, sizeof what, "%s %.200s: permission '%s' missing (role '%s')", method, path,
                 ipl_perm_name(bit), r.p.role);
        record_denial(s, peer_host(req), r.p.name, what);
        cJSON *j = cJSON_CreateObject();
        char msg[300];
        snprintf(msg, sizeof msg, "permission '%s' required (role '%s' lacks it)", ipl_perm_name(bit), r.p.role);
        cJSON_AddStringToObject(j, "error", msg);
        cJSON_AddStringToObject(j, "permission", ipl_perm_name(bit));
        cJSON_AddNullToObject(j, "field");
        reply_json(&r, 403, j);
        goto out;
    }
    if (!r.p.global) {
        if (ipl_scope_map_load(t, s->map, &d)) {
            ipl_api_error(&r, 500, NULL, "%s", d.msg);
            goto out;
        }
        r.p.map = s->map;
    }
    if (rt->rt.flags & IPL_API_ASYNC) {
        ipl_rtxn_end(r.t);       /* the loop's: ended before a flush in async_accept */
        r.t = NULL;
        deferred = async_accept(s, rt, &r, method, path, query, t0);
        goto out;
    }
    rt->rt.fn(rt->rt.ctx, &r);
    if (r.started == 1)
        ipl_api_end(&r);
    else if (!r.started)
        ipl_api_error(&r, 500, NULL, "the handler gave no answer");
out:
    if (r.chunk)
        evbuffer_free(r.chunk);
    ipl_rtxn_end(r.t);
    evhttp_clear_headers(&r.params);
    if (rt && !deferred) {
        histo_add(&rt->lat, (double)(mono_us() - t0) / 1e6);
        int st = r.status / 100;
        if (st >= 1 && st <= 5)
            rt->status[st]++;
    }
}

int ipl_server_route(ipl_server *s, const ipl_api_route *rt, ipl_diag *d)
{
    if (s->nroutes == MAX_ROUTES)
        return ipl_diag_set(d, IPL_ELIMIT, "more than %d routes", MAX_ROUTES);
    route *r = &s->routes[s->nroutes];
    memset(r, 0, sizeof *r);
    r->rt = *rt;
    snprintf(r->method, sizeof r->method, "%s", rt->method);
    snprintf(r->path, sizeof r->path, "%s", rt->path);
    r->rt.method = r->method;
    r->rt.path = r->path;
    s->nroutes++;
    return IPL_OK;
}

/* ---- syslog ---- */
static void syslog_message(ipl_server *s, int which, const char *msg, size_t len)
{
    sl_stream *ss = &s->sl[which];
    if (!s->syslog)
        return;
    ipl_parse_ctx pc = {s->sl_tz ? s->sl_tz : ipl_tz_utc(), NULL, NULL, &s->arena, ss->pos.last_ts,
                        s->conf.syslog_year, now_us(s)};
    uint64_t ev = 0, q = 0;
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == '\0'))
        len--;
    /* one message is one line: embedded LFs would split it */
    char *tmp = NULL;
    if (memchr(msg, '\n', len) && (tmp = malloc(len))) {
        for (size_t i = 0; i < len; i++)
            tmp[i] = msg[i] == '\n' ? ' ' : msg[i];
        msg = tmp;
    }
    parse_lines(s, s->syslog, ss->state, &pc, ss->name, msg, len, &ss->pos.line, &ev, &q);
    free(tmp);
    ss->pos.last_ts = pc.last_ts;
    ss->pos.events += ev;
    ss->pos.quarantined += q;
    ss->pos.offset += len;
    src_count *sc = src_get(s, ss->name);
    sc->events += ev;
    sc->quarantined += q;
    if (ipl_batch_events(s->pending) >= handover_events(s))
        flush_async(s);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
    ipl_server *s = arg;
    char buf[65536];
    for (int i = 0; i < 256; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0)
            break;
        if ((size_t)n > s->conf.limits.syslog_message) {
            s->syslog_frames_bad++;
            continue;
        }
        /* UDP cannot push back: beyond 4 batches waiting for the writer, datagrams are dropped
         * (counted: ipledger_syslog_udp_dropped_total) */
        if (s->paused && ipl_batch_events(s->pending) >= 4 * s->conf.batch_events) {
            s->udp_dropped++;
            continue;
        }
        syslog_message(s, 0, buf, (size_t)n);
    }
}

static void tcp_close(tcp_conn *c)
{
    ipl_server *s = c->s;
    for (size_t i = 0; i < s->tcp_conns; i++)
        if (s->tcp[i] == c) {
            s->tcp[i] = s->tcp[--s->tcp_conns];
            break;
        }
    bufferevent_free(c->bev);
    free(c);
}

/* Reads the connection's buffered frames until none is complete or the inputs pause; after the
 * sender's EOF, the last frame (no LF) too, and closes. 1 when the connection was closed. */
static int tcp_drain(tcp_conn *c)
{
    ipl_server *s = c->s;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    while (!s->paused) {
        size_t len = evbuffer_get_length(in);
        if (!len)
            break;
        const char *data = (const char *)evbuffer_pullup(in, -1);
        const char *msg;
        size_t mlen, used;
        int rc = ipl_syslog_frame(data, len, s->conf.limits.syslog_message, &msg, &mlen, &used);
        if (rc == IPL_ENOTFOUND) {
            if (c->eof) {
                if (len <= s->conf.limits.syslog_message)
                    syslog_message(s, 1, data, len);  /* last frame, no LF */
                evbuffer_drain(in, len);
            }
            break;
        }
        if (rc) {
            s->syslog_frames_bad++;
            logf_(s, "syslog tcp: %s frame, connection dropped", rc == IPL_ELIMIT ? "oversized" : "malformed");
            tcp_close(c);
            return 1;
        }
        if (mlen)
            syslog_message(s, 1, msg, mlen);
        evbuffer_drain(in, used);
    }
    if (c->eof && !s->paused && !evbuffer_get_length(in)) {
        tcp_close(c);
        return 1;
    }
    return 0;
}

static void on_tcp_read(struct bufferevent *bev, void *arg) { tcp_drain(arg); }

static void on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
    tcp_conn *c = arg;
    if (what & BEV_EVENT_EOF) {
        c->eof = 1;
        tcp_drain(c);        /* closes now, or when the inputs resume */
    } else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        tcp_close(c);
    }
}

/* The writer caught up (or a synchronous flush emptied the batch): read the TCP inputs again,
 * first what they have buffered. */
static void inputs_resume(ipl_server *s)
{
    if (!s->paused || pending_full(s))
        return;
    s->paused = 0;
    for (size_t i = s->tcp_conns; i-- > 0 && !s->paused;) {
        tcp_conn *c = s->tcp[i];
        if (!tcp_drain(c) && !c->eof)
            bufferevent_enable(c->bev, EV_READ);
    }
    if (s->paused)            /* full again: keep every connection off (some were re-enabled) */
        for (size_t i = 0; i < s->tcp_conns; i++)
            bufferevent_disable(s->tcp[i]->bev, EV_READ);
}

static void on_tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    ipl_server *s = arg;
    if (s->tcp_conns >= s->conf.limits.connections) {
        s->rejected_conns++;
        evutil_closesocket(fd);
        return;
    }
    tcp_conn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = c ? bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->s = s;
    c->bev = bev;
    s->tcp[s->tcp_conns++] = c;
    bufferevent_setwatermark(bev, EV_READ, 0, s->conf.limits.syslog_message + 16);
    bufferevent_setcb(bev, on_tcp_read, NULL, on_tcp_event, c);
    struct timeval tv = {3600, 0};
    bufferevent_set_timeouts(bev, &tv, NULL);
    if (!s->paused)
        bufferevent_enable(bev, EV_READ);
}

static int parse_sockaddr(const char *hp, struct sockaddr_storage *ss, int *sslen, ipl_diag *d)
{
    char host[128];
    int port;
    if (ipl_hostport(hp, host, sizeof host, &port))
        return ipl_diag_set(d, IPL_EINVAL, "'%s' is not HOST:PORT", hp);
    char full[160];
    snprintf(full, sizeof full, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    *sslen = (int)sizeof *ss;
    if (evutil_parse_sockaddr_port(full, (struct sockaddr *)ss, sslen))
        return ipl_diag_set(d, IPL_EINVAL, "'%s': not a numeric address", hp);
    return IPL_OK;
}

static int syslog_open(ipl_server *s, ipl_diag *d)
{
    struct sockaddr_storage ss;
    int sslen;
    int err;
    if (!s->conf.syslog_udp[0] && !s->conf.syslog_tcp[0])
        return IPL_OK;
    if (!s->o.find_parser || !(s->syslog = s->o.find_parser("syslog")))
        return ipl_diag_set(d, IPL_EINVAL, "no 'syslog' parser given to the server");
    if (strcmp(s->conf.syslog_tz, "UTC") && (err = ipl_tz_load(&s->sl_tz, s->conf.syslog_tz, d)))
        return err;
    ipl_rtxn *t;
    if ((err = ipl_rtxn_begin(s->st, &t, d)))
        return err;
    for (int i = 0; i < 2; i++) {
        if (ipl_store_source(t, s->sl[i].name, &s->sl[i].pos, NULL) != IPL_OK)
            memset(&s->sl[i].pos, 0, sizeof s->sl[i].pos);
        snprintf(s->sl[i].pos.format, sizeof s->sl[i].pos.format, "syslog");
        if (s->syslog->state_size && !(s->sl[i].state = calloc(1, s->syslog->state_size))) {
            ipl_rtxn_end(t);
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
    }
    ipl_rtxn_end(t);
    if (s->conf.syslog_udp[0]) {
        if ((err = parse_sockaddr(s->conf.syslog_udp, &ss, &sslen, d)))
            return err;
        s->udp_fd = socket(ss.ss_family, SOCK_DGRAM, 0);
        int rcv = 8 << 20;
        if (s->udp_fd < 0)
            return ipl_diag_set(d, IPL_EIO, "syslog udp socket: %s", strerror(errno));
        setsockopt(s->udp_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        evutil_make_socket_nonblocking(s->udp_fd);
        if (bind(s->udp_fd, (struct sockaddr *)&ss, (socklen_t)sslen))
            return ipl_diag_set(d, IPL_EIO, "cannot bind syslog udp '%s': %s", s->conf.syslog_udp, strerror(errno));
        s->udp_ev = event_new(s->base, s->udp_fd, EV_READ | EV_PERSIST, on_udp, s);
        if (!s->udp_ev || event_add(s->udp_ev, NULL))
            return ipl_diag_set(d, IPL_ENOMEM, "cannot watch the syslog udp socket");
    }
    if (s->conf.syslog_tcp[0]) {
        if ((err = parse_sockaddr(s->conf.syslog_tcp, &ss, &sslen, d)))
            return err;
        s->tcp_l = evconnlistener_new_bind(s->base, on_tcp_accept, s,
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                                           (struct sockaddr *)&ss, sslen);
        if (!s->tcp_l)
            return ipl_diag_set(d, IPL_EIO, "cannot listen on syslog tcp '%s': %s", s->conf.syslog_tcp,
                                strerror(errno));
    }
    return IPL_OK;
}

/* ---- file follow ---- */
static void follow_warn(void *ctx, const char *msg) { logf_(ctx, "follow: %s", msg); }

static void on_follow(evutil_socket_t fd, short what, void *arg)
{
    ipl_server *s = arg;
    flush(s);
    for (size_t i = 0; i < s->conf.nfollow; i++) {
        const ipl_follow_conf *f = &s->conf.follow[i];
        ipl_ingest_opts io;
        memset(&io, 0, sizeof io);
        if (strcmp(f->format, "auto") && s->o.find_parser)
            io.parser = s->o.find_parser(f->format);
        io.candidates = s->o.candidates;
        io.ncandidates = s->o.ncandidates;
        io.tz = s->follow_tz[i];
        io.server = f->server[0] ? f->server : NULL;
        io.geoip = s->o.geoip;
        ipl_ingest_stats st;
        memset(&st, 0, sizeof st);
        ipl_diag d = {0};
        if (ipl_ingest_path(s->st, f->path, &io, &st, follow_warn, s, &d))
            logf_(s, "follow '%s': %s", f->path, d.msg);
        if (st.events || st.quarantined) {
            char name[96];
            snprintf(name, sizeof name, "follow:%.80s", f->path);
            src_count *sc = src_get(s, name);
            sc->events += st.events;
            sc->quarantined += st.quarantined;
            s->commits += st.commits;
        }
    }
    tail_pump(s);
}

/* ---- signals ---- */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    ipl_server *s = arg;
    if (sig == SIGHUP) {
        if (s->o.log)
            s->o.log(s->o.log_ctx, NULL);        /* NULL line: reopen the log */
        if (s->o.config_path) {
            ipl_server_conf c;
            char errs[2048];
            ipl_server_conf_defaults(&c);
            if (ipl_server_conf_load(&c, s->o.config_path, errs, sizeof errs)) {
                logf_(s, "reload refused: %s", errs);
                return;
            }
            s->conf.limits = c.limits;          /* listeners are not rebound: restart for those */
            s->conf.commit_ms = c.commit_ms;
            s->conf.batch_events = c.batch_events;
            evhttp_set_max_headers_size(s->http, (ev_ssize_t)c.limits.header_bytes);
            evhttp_set_max_body_size(s->http, (ev_ssize_t)c.limits.body_bytes);
            evhttp_set_timeout(s->http, c.limits.request_seconds);
            ipl_principal p;
            memset(&p, 0, sizeof p);
            snprintf(p.name, sizeof p.name, "signal:SIGHUP");
            ipl_change_event(s->pending, now_us(s), &p, "config", "config.reload", NULL,
                             s->o.config_path, "limits reloaded", NULL);
            mark_pending(s);
            flush(s);
            logf_(s, "configuration reloaded from %s", s->o.config_path);
        }
        return;
    }
    logf_(s, "signal %d: committing and stopping", (int)sig);
    ipl_server_stop(s);
}

void ipl_server_stop(ipl_server *s)
{
    s->stopping = 1;
    /* the frames syslog TCP connections hold in their buffers are read and committed too */
    s->draining = 1;
    flush(s);
    for (size_t i = s->tcp_conns; i-- > 0;)
        tcp_drain(s->tcp[i]);
    flush(s);
    /* async requests: those waiting are answered 503; the running one is told to stop after its
     * current step (a purge resumes from its progress record) and answered when it returns, then
     * the loop ends (on_async_done) */
    int replied = async_cancel_queued(s);
    s->a.stop = 1;
    if (s->a.count) {
        logf_(s, "waiting for %zu async request(s) to finish", s->a.count);
        return;
    }
    async_maybe_exit(s, replied);
}

/* ---- TLS: every HTTP connection gets an OpenSSL bufferevent (evhttp_set_bevcb) ---- */
#ifdef IPL_HAVE_TLS
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
    ipl_server *s = arg;
    SSL *ssl = SSL_new(s->ssl);
    if (!ssl)
        return NULL;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static int tls_open(ipl_server *s, ipl_diag *d)
{
    char why[256] = "";
    if (!(s->ssl = SSL_CTX_new(TLS_server_method())))
        return ipl_diag_set(d, IPL_ENOMEM, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(s->ssl, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(s->ssl, s->conf.tls_cert) != 1) {
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        return ipl_diag_set(d, IPL_EINVAL, "cannot load TLS certificate '%s': %s", s->conf.tls_cert, why);
    }
    if (SSL_CTX_use_PrivateKey_file(s->ssl, s->conf.tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s->ssl) != 1) {
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        return ipl_diag_set(d, IPL_EINVAL, "cannot load TLS key '%s': %s", s->conf.tls_key, why);
    }
    evhttp_set_bevcb(s->http, tls_bev, s);
    return IPL_OK;
}
#else
static int tls_open(ipl_server *s, ipl_diag *d)
{
    return ipl_diag_set(d, IPL_EINVAL, "this build has no TLS (libevent_openssl not linked): "
                        "terminate TLS in front of the server");
}
#endif

/* ---- lifecycle ---- */
int ipl_server_new(ipl_server **out, ipl_store *st, const ipl_server_opts *o, ipl_diag *d)
{
    int err = IPL_OK;
    ipl_server *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    s->st = st;
    s->o = *o;
    s->conf = *o->conf;
    s->o.conf = &s->conf;
    if (!s->o.clock)
        s->o.clock = real_clock;
    s->udp_fd = -1;
    s->sl[0].name = "syslog:udp";
    s->sl[1].name = "syslog:tcp";
    ipl_arena_init(&s->arena, (size_t)16 << 20);
    s->w.pipe[0] = s->w.pipe[1] = -1;
    pthread_mutex_init(&s->w.mu, NULL);
    pthread_cond_init(&s->w.work, NULL);
    pthread_cond_init(&s->w.idle, NULL);
    s->a.pipe[0] = s->a.pipe[1] = -1;
    pthread_mutex_init(&s->a.mu, NULL);
    pthread_cond_init(&s->a.work, NULL);
    if (!(s->conns = calloc(s->conf.limits.connections + 1, sizeof *s->conns)) ||
        !(s->tcp = calloc(s->conf.limits.connections + 1, sizeof *s->tcp)) ||
        !(s->map = malloc(sizeof *s->map)) || ipl_batch_new(&s->pending) ||
        ipl_strcache_new(&s->strcache) ||
        !(s->base = event_base_new()) || !(s->http = evhttp_new(s->base))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (; s->w.nfree < WQ; s->w.nfree++)
        if (ipl_batch_new(&s->w.free[s->w.nfree])) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    if (s->conf.tls_cert[0] && (err = tls_open(s, d)))
        goto out;
    evhttp_set_max_headers_size(s->http, (ev_ssize_t)s->conf.limits.header_bytes);
    evhttp_set_max_body_size(s->http, (ev_ssize_t)s->conf.limits.body_bytes);
    evhttp_set_timeout(s->http, s->conf.limits.request_seconds);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(s->http, on_request, s);
    char host[128];
    int port;
    if (ipl_hostport(s->conf.listen, host, sizeof host, &port)) {
        err = ipl_diag_set(d, IPL_EINVAL, "listen address '%s' is not HOST:PORT", s->conf.listen);
        goto out;
    }
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
    if (!bs) {
        err = ipl_diag_set(d, IPL_EIO, "cannot listen on '%s': %s", s->conf.listen, strerror(errno));
        goto out;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    static const struct { const char *m, *p; unsigned perm; ipl_api_handler fn; } builtin[] = {
        {"GET", "/metrics", IPL_PERM_READ, h_metrics},
        {"GET", "/api/v1/stats", IPL_PERM_READ, h_stats},
        {"GET", "/api/v1/sources", IPL_PERM_READ, h_sources},
        {"GET", "/api/v1/quarantine", IPL_PERM_READ | IPL_PERM_AUDIT, h_quarantine},
        {"POST", "/api/v1/ingest", IPL_PERM_INGEST, h_ingest},
        {"GET", "/api/v1/tokens", IPL_PERM_ACCESS, h_tokens_get},
        {"POST", "/api/v1/tokens", IPL_PERM_ACCESS, h_tokens_post},
        {"DELETE", "/api/v1/tokens", IPL_PERM_ACCESS, h_tokens_delete},
        {"POST", "/api/v1/scopes", IPL_PERM_ACCESS, h_scopes_post},
        {"POST", "/api/v1/roles", IPL_PERM_ACCESS, h_roles_post},
        {"GET", "/api/v1/tail", IPL_PERM_READ, h_tail},
    };
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        ipl_api_route rt = {builtin[i].m, builtin[i].p, builtin[i].perm, builtin[i].fn, s, 0};
        if ((err = ipl_server_route(s, &rt, d)))
            goto out;
    }
    if ((err = syslog_open(s, d)))
        goto out;
    for (size_t i = 0; i < s->conf.nfollow; i++)
        if (s->conf.follow[i].tz[0] && (err = ipl_tz_load(&s->follow_tz[i], s->conf.follow[i].tz, d)))
            goto out;
    struct timeval ctv = {s->conf.commit_ms / 1000, (s->conf.commit_ms % 1000) * 1000};
    struct timeval ttv = {0, 10000};
    struct timeval ftv = {s->conf.follow_ms / 1000, (s->conf.follow_ms % 1000) * 1000};
    s->commit_ev = event_new(s->base, -1, EV_PERSIST, on_commit_timer, s);
    s->tail_ev = event_new(s->base, -1, EV_PERSIST, on_tail_timer, s);
    s->pump_ev = event_new(s->base, -1, 0, on_tail_timer, s);
    if (!s->commit_ev || !s->tail_ev || !s->pump_ev || event_add(s->commit_ev, &ctv) || event_add(s->tail_ev, &ttv)) {
        err = ipl_diag_set(d, IPL_ENOMEM, "cannot arm timers");
        goto out;
    }
    if (s->conf.nfollow) {
        if (!(s->follow_ev = event_new(s->base, -1, EV_PERSIST, on_follow, s)) || event_add(s->follow_ev, &ftv)) {
            err = ipl_diag_set(d, IPL_ENOMEM, "cannot arm the follow timer");
            goto out;
        }
    }
    static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++)
        if (!(s->sig[i] = evsignal_new(s->base, sigs[i], on_signal, s)) || event_add(s->sig[i], NULL)) {
            err = ipl_diag_set(d, IPL_EIO, "cannot watch signals");
            goto out;
        }
    signal(SIGPIPE, SIG_IGN);
    /* the writer thread, woken through a pipe; it takes no signals (the loop's evsignal does) */
    if (pipe(s->w.pipe) || evutil_make_socket_nonblocking(s->w.pipe[0]) ||
        evutil_make_socket_nonblocking(s->w.pipe[1]) ||
        !(s->w.ev = event_new(s->base, s->w.pipe[0], EV_READ | EV_PERSIST, on_writer_done, s)) ||
        event_add(s->w.ev, NULL)) {
        err = ipl_diag_set(d, IPL_EIO, "cannot make the writer's pipe: %s", strerror(errno));
        goto out;
    }
    /* the async worker, the same way */
    if (pipe(s->a.pipe) || evutil_make_socket_nonblocking(s->a.pipe[0]) ||
        evutil_make_socket_nonblocking(s->a.pipe[1]) ||
        !(s->a.ev = event_new(s->base, s->a.pipe[0], EV_READ | EV_PERSIST, on_async_done, s)) ||
        event_add(s->a.ev, NULL) || !(s->a.watch_ev = evtimer_new(s->base, on_async_watch, s))) {
        err = ipl_diag_set(d, IPL_EIO, "cannot make the async worker's pipe: %s", strerror(errno));
        goto out;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int prc = pthread_create(&s->w.thr, NULL, writer_main, s);
    if (!prc)
        s->w.started = 1;
    int arc = prc ? 0 : pthread_create(&s->a.thr, NULL, async_main, s);
    if (!prc && !arc)
        s->a.started = 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc || arc) {
        err = ipl_diag_set(d, IPL_EIO, "cannot start the %s thread: %s", prc ? "writer" : "async worker",
                           strerror(prc ? prc : arc));
        goto out;
    }
out:
    if (err)
        ipl_server_free(s);
    else
        *out = s;
    return err;
}

int ipl_server_port(const ipl_server *s) { return s->port; }
struct event_base *ipl_server_base(ipl_server *s) { return s->base; }
void ipl_server_flush(ipl_server *s) { flush(s); }
ipl_store *ipl_server_store(ipl_server *s) { return s->st; }
int64_t ipl_server_now(ipl_server *s) { return now_us(s); }

int ipl_server_run(ipl_server *s, ipl_diag *d)
{
    if (s->conf.nfollow)
        on_follow(-1, 0, s);
    if (event_base_dispatch(s->base) < 0)
        return ipl_diag_set(d, IPL_EIO, "event loop failed");
    flush(s);
    return IPL_OK;
}

/* Commits what was handed over and ends the writer thread (joined). */
static void writer_stop(ipl_server *s)
{
    if (!s->w.started)
        return;
    pthread_mutex_lock(&s->w.mu);
    s->w.quit = 1;
    pthread_cond_signal(&s->w.work);
    pthread_mutex_unlock(&s->w.mu);
    pthread_join(s->w.thr, NULL);
    s->w.started = 0;
}

/* Ends the async worker (after the job it runs) and frees the jobs left: a request libevent
 * detached from its closed connection is freed here, the others go with their connections. */
static void async_stop(ipl_server *s)
{
    if (s->a.started) {
        pthread_mutex_lock(&s->a.mu);
        s->a.quit = 1;
        s->a.stop = 1;
        pthread_cond_signal(&s->a.work);
        pthread_mutex_unlock(&s->a.mu);
        pthread_join(s->a.thr, NULL);
        s->a.started = 0;
    }
    if (s->a.count)
        logf_(s, "stopping with %zu async request(s) not answered", s->a.count);
    while (s->a.inflight) {
        ajob *j = s->a.inflight;
        s->a.inflight = j->lnext;
        if (j->req && !evhttp_request_get_connection(j->req))
            evhttp_request_free(j->req);
        async_free(j);
    }
    s->a.count = 0;
    s->a.qhead = s->a.qtail = s->a.dhead = s->a.dtail = NULL;
}

void ipl_server_free(ipl_server *s)
{
    if (!s)
        return;
    async_stop(s);
    writer_stop(s);
    if (s->pending_dirty)
        logf_(s, "stopping with %zu events not committed", ipl_batch_events(s->pending));
    while (s->tails)
        tail_remove(s, s->tails);
    while (s->tcp_conns)
        tcp_close(s->tcp[0]);
    if (s->w.ev)
        event_free(s->w.ev);
    if (s->a.ev)
        event_free(s->a.ev);
    if (s->a.watch_ev)
        event_free(s->a.watch_ev);
    for (int i = 0; i < 2; i++) {
        if (s->w.pipe[i] >= 0)
            close(s->w.pipe[i]);
        if (s->a.pipe[i] >= 0)
            close(s->a.pipe[i]);
    }
    if (s->http)
        evhttp_free(s->http);
    if (s->tcp_l)
        evconnlistener_free(s->tcp_l);
    if (s->udp_ev)
        event_free(s->udp_ev);
    if (s->udp_fd >= 0)
        evutil_closesocket(s->udp_fd);
    if (s->commit_ev)
        event_free(s->commit_ev);
    if (s->tail_ev)
        event_free(s->tail_ev);
    if (s->pump_ev)
        event_free(s->pump_ev);
    if (s->follow_ev)
        event_free(s->follow_ev);
    for (int i = 0; i < 3; i++)
        if (s->sig[i])
            event_free(s->sig[i]);
    if (s->base)
        event_base_free(s->base);
    for (int i = 0; i < 2; i++) {
        if (s->sl[i].state && s->syslog && s->syslog->release)
            s->syslog->release(s->sl[i].state);
        free(s->sl[i].state);
    }
    for (size_t i = 0; i < IPL_FOLLOW_MAX; i++)
        ipl_tz_free(s->follow_tz[i]);
    ipl_tz_free(s->sl_tz);
    ipl_batch_free(s->pending);
    for (size_t i = 0; i < s->w.nfree; i++)
        ipl_batch_free(s->w.free[i]);
    for (size_t i = 0; i < s->w.qlen; i++)          /* not started: never handed over */
        ipl_batch_free(s->w.q[(s->w.qhead + i) % WQ]);
    ipl_strcache_free(s->strcache);
    pthread_mutex_destroy(&s->w.mu);
    pthread_cond_destroy(&s->w.work);
    pthread_cond_destroy(&s->w.idle);
    pthread_mutex_destroy(&s->a.mu);
    pthread_cond_destroy(&s->a.work);
    ipl_arena_release(&s->arena);
    free(s->tcp);
    free(s->map);
    free(s->conns);
#ifdef IPL_HAVE_TLS
    if (s->ssl)
        SSL_CTX_free(s->ssl);
#endif
    free(s);
}
