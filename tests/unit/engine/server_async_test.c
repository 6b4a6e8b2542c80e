/* tests/unit/engine/server_async_test.c — engine/api/server.c's async routes (IPL_API_ASYNC) in
 * process, made deterministic by a handler that waits until the test releases it: it runs on
 * another thread than the loop, which answers a synchronous request meanwhile; a request beyond
 * limits.async_jobs gets 503 naming the limit; the captured answer (status, a header, body,
 * parameters, the principal) is sent when the handler returns; a denial inside it is recorded as
 * an auth.fail event; a client that goes away mid-job is noticed (logged) and its answer dropped;
 * SIGTERM sets the handler's stop flag, its answer still goes out, and the loop ends. Raw
 * sockets as the client. */
#include "../check.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static ipl_server *srv;
static int port;
static pthread_t loop_thread;

/* the handler's gate: entered is set when it runs, release lets it answer (under mu) */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int entered, release_, stopped_seen, ran_on_loop = -1;
static char log_text[8192];

static void *run(void *arg)
{
    ipl_diag d = {0};
    ipl_server_run(srv, &d);
    return NULL;
}

static void test_log(void *ctx, const char *line)
{
    pthread_mutex_lock(&mu);
    if (line && strlen(log_text) + strlen(line) + 2 < sizeof log_text) {
        strcat(log_text, line);
        strcat(log_text, "\n");
    }
    pthread_mutex_unlock(&mu);
}

static int logged(const char *what)
{
    pthread_mutex_lock(&mu);
    int r = strstr(log_text, what) != NULL;
    pthread_mutex_unlock(&mu);
    return r;
}

static int get_flag(int *f)
{
    pthread_mutex_lock(&mu);
    int v = *f;
    pthread_mutex_unlock(&mu);
    return v;
}

static void set_flag(int *f, int v)
{
    pthread_mutex_lock(&mu);
    *f = v;
    pthread_mutex_unlock(&mu);
}

/* Bounded wait (10 s) for a condition polled every ms. */
#define WAIT_FOR(cond) do { for (int i_ = 0; i_ < 10000 && !(cond); i_++) usleep(1000); } while (0)

static int connect_to(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void read_all(int fd, char *out, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
}

/* Sends a request and returns the connection, the answer not read yet. */
static int send_req(const char *req)
{
    int fd = connect_to();
    if (fd >= 0 && write(fd, req, strlen(req)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void http(const char *req, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = send_req(req);
    if (fd >= 0) {
        read_all(fd, out, cap);
        close(fd);
    }
}

static int h_sync(void *ctx, ipl_api_req *r)
{
    ipl_api_begin(r, "text/plain");
    ipl_api_write(r, "sync", 4);
    return ipl_api_end(r);
}

/* Waits for the test (or the stop flag), then echoes v, the body and the principal. */
static int h_slow(void *ctx, ipl_api_req *r)
{
    volatile sig_atomic_t *stop = ipl_api_stop_flag(r);
    set_flag(&ran_on_loop, pthread_equal(pthread_self(), loop_thread) ? 1 : 0);
    set_flag(&entered, 1);
    for (int i = 0; i < 10000 && !get_flag(&release_) && !(stop && *stop); i++)
        usleep(1000);
    if (stop && *stop)
        set_flag(&stopped_seen, 1);
    size_t blen;
    const char *body = ipl_api_body(r, &blen);
    const char *v = ipl_api_param(r, "v");
    char out[512];
    int n = snprintf(out, sizeof out, "%s|%.*s|%s|%s", v ? v : "none", (int)blen, body,
                     ipl_api_principal(r)->name, stop && *stop ? "stopped" : "done");
    ipl_api_header(r, "X-Job", "slow");
    ipl_api_begin(r, "text/plain");
    ipl_api_write(r, out, (size_t)n);
    return ipl_api_end(r);
}

static int h_deny(void *ctx, ipl_api_req *r)
{
    return ipl_api_deny(r, "what", "not this one");
}

static const char *metric(const char *sec, const char *name, char *buf, size_t cap)
{
    char req[256];
    snprintf(req, sizeof req, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", sec);
    http(req, buf, cap);
    char line[128];
    snprintf(line, sizeof line, "\n%s ", name);    /* the sample, not its # HELP line */
    const char *p = strstr(buf, line);
    return p ? p + strlen(line) : "";
}

int main(void)
{
    char dir[64], buf[16384], req[1024], sec[IPL_TOKEN_LEN + 1];
    ipl_diag d = {0};
    ipl_store *st;
    snprintf(dir, sizeof dir, "/tmp/ipl-server-async-test-%d", (int)getpid());
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d))
        return fprintf(stderr, "%s\n", d.msg), 1;
    ipl_principal by;
    memset(&by, 0, sizeof by);
    snprintf(by.name, sizeof by.name, "test");
    ipl_batch *b;
    ipl_rtxn *t;
    ipl_commit_info ci;
    ipl_batch_new(&b);
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_token_create(t, b, "adm", "Administrator", NULL, 0, &by, 0, sec, &d), IPL_OK);
    ipl_rtxn_end(t);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_free(b);

    ipl_server_conf conf;
    ipl_server_conf_defaults(&conf);
    snprintf(conf.listen, sizeof conf.listen, "127.0.0.1:0");
    conf.limits.async_jobs = 1;
    ipl_server_opts o;
    memset(&o, 0, sizeof o);
    o.conf = &conf;
    o.log = test_log;
    CHECK_INT(ipl_server_new(&srv, st, &o, &d), IPL_OK);
    const ipl_api_route routes[] = {
        {"GET", "/api/v1/sync", IPL_PERM_READ, h_sync, NULL, 0},
        {"POST", "/api/v1/slow", IPL_PERM_PURGE, h_slow, NULL, IPL_API_ASYNC},
        {"POST", "/api/v1/deny", IPL_PERM_PURGE, h_deny, NULL, IPL_API_ASYNC},
    };
    for (size_t i = 0; i < 3; i++)
        CHECK_INT(ipl_server_route(srv, &routes[i], &d), IPL_OK);
    port = ipl_server_port(srv);
    pthread_create(&loop_thread, NULL, run, NULL);

    /* 1. a job that waits: the loop answers meanwhile; a second job is over the limit */
    snprintf(req, sizeof req, "POST /api/v1/slow?v=hi HTTP/1.0\r\nAuthorization: Bearer %s\r\n"
             "Content-Length: 4\r\n\r\nBODY", sec);
    int a = send_req(req);
    CHECK(a >= 0);
    WAIT_FOR(get_flag(&entered));
    CHECK(get_flag(&entered));
    CHECK_INT(get_flag(&ran_on_loop), 0);              /* the worker thread, not the loop */
    snprintf(req, sizeof req, "GET /api/v1/sync HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "200 OK") && strstr(buf, "sync"));
    CHECK(strncmp(metric(sec, "ipledger_async_jobs{state=\"running\"}", buf, sizeof buf), "1\n", 2) == 0);
    snprintf(req, sizeof req, "POST /api/v1/slow HTTP/1.0\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, " 503 ") && strstr(buf, "limits.async_jobs = 1") && strstr(buf, "Retry-After: 1"));
    set_flag(&release_, 1);
    read_all(a, buf, sizeof buf);
    close(a);
    CHECK(strstr(buf, " 200 OK") != NULL);
    CHECK(strstr(buf, "X-Job: slow") != NULL);
    CHECK(strstr(buf, "Content-Type: text/plain") != NULL);
    CHECK(strstr(buf, "\r\n\r\nhi|BODY|token:adm|done") != NULL);
    CHECK(strncmp(metric(sec, "ipledger_async_rejected_total", buf, sizeof buf), "1\n", 2) == 0);

    /* 2. a denial inside an async handler: 403, recorded by the loop */
    snprintf(req, sizeof req, "POST /api/v1/deny HTTP/1.0\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, " 403 ") && strstr(buf, "\"error\":\"not this one\"") && strstr(buf, "\"field\":\"what\""));

    /* 3. the client goes away mid-job: noticed, the job completes, its answer is dropped */
    set_flag(&entered, 0);
    set_flag(&release_, 0);
    snprintf(req, sizeof req, "POST /api/v1/slow HTTP/1.0\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", sec);
    int c = send_req(req);
    WAIT_FOR(get_flag(&entered));
    close(c);
    WAIT_FOR(logged("went away while it ran"));
    CHECK(logged("POST /api/v1/slow: the client went away while it ran"));
    set_flag(&release_, 1);
    WAIT_FOR(strncmp(metric(sec, "ipledger_async_dropped_total", buf, sizeof buf), "1\n", 2) == 0);
    CHECK(strncmp(metric(sec, "ipledger_async_dropped_total", buf, sizeof buf), "1\n", 2) == 0);
    CHECK(strncmp(metric(sec, "ipledger_async_jobs{state=\"running\"}", buf, sizeof buf), "0\n", 2) == 0);
    http("GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strstr(buf, "200 OK") != NULL);

    /* 4. SIGTERM mid-job: the handler's stop flag is set, its answer goes out, the loop ends */
    set_flag(&entered, 0);
    set_flag(&release_, 0);
    snprintf(req, sizeof req, "POST /api/v1/slow?v=t HTTP/1.0\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", sec);
    int e = send_req(req);
    WAIT_FOR(get_flag(&entered));
    kill(getpid(), SIGTERM);
    read_all(e, buf, sizeof buf);
    close(e);
    CHECK(strstr(buf, " 200 OK") && strstr(buf, "t||token:adm|stopped"));
    CHECK(get_flag(&stopped_seen));
    pthread_join(loop_thread, NULL);
    ipl_server_free(srv);

    ipl_rtxn_begin(st, &t, &d);
    int denials = 0;
    for (uint64_t s = 1; s <= ipl_store_last_seq(t); s++) {
        ipl_event ev;
        size_t n;
        const char *m;
        if (ipl_store_get(t, s, &ev, NULL) == IPL_OK && ev.kind == IPL_K_AUTH_FAIL &&
            (m = ipl_event_attr(&ev, IPL_A_MESSAGE, &n)) && n == strlen("/api/v1/deny: not this one") &&
            memcmp(m, "/api/v1/deny: not this one", n) == 0 && ev.has_ip)
            denials++;
    }
    CHECK_INT(denials, 1);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    snprintf(buf, sizeof buf, "rm -rf %s", dir);
    if (system(buf)) {}
    return check_summary();
}
