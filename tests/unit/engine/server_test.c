/* tests/unit/engine/server_test.c — engine/api/server.c in process: a server on an ephemeral
 * loopback port with a frozen clock (a token expires when the test moves the clock, and the
 * denial is recorded with the frozen time), routes registered from outside, 401/403/404/405/414
 * answers, malformed HTTP that gets an error and leaves the server serving, SIGTERM that commits
 * the pending batch and stops the loop. Raw sockets as the client: no HTTP library in the way. */
#include "../check.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)

static volatile int64_t frozen = T0;
static int64_t test_clock(void *ctx) { return frozen; }

static ipl_server *srv;
static int port;

static void *run(void *arg)
{
    ipl_diag d = {0};
    ipl_server_run(srv, &d);
    return NULL;
}

/* Sends raw bytes, returns the response (up to cap) as a NUL-terminated string. */
static void http(const char *req, char *out, size_t cap)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && write(fd, req, strlen(req)) >= 0) {
        size_t n = 0;
        ssize_t r;
        while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
            n += (size_t)r;
        out[n] = '\0';
    }
    close(fd);
}

static int has(const char *m, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(m + i, w, k) == 0)
            return 1;
    return 0;
}

static int h_echo(void *ctx, ipl_api_req *r)
{
    const char *v = ipl_api_param(r, "v");
    ipl_api_begin(r, "text/plain");
    ipl_api_write(r, v ? v : "none", strlen(v ? v : "none"));
    ipl_api_write(r, "|", 1);
    ipl_api_write(r, ipl_api_principal(r)->name, strlen(ipl_api_principal(r)->name));
    return ipl_api_end(r);
}

int main(void)
{
    char dir[64], buf[16384], req[1024], sec[IPL_TOKEN_LEN + 1], rd[IPL_TOKEN_LEN + 1];
    ipl_diag d = {0};
    ipl_store *st;
    snprintf(dir, sizeof dir, "/tmp/ipl-server-test-%d", (int)getpid());
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d))
        return fprintf(stderr, "%s\n", d.msg), 1;
    /* tokens: an administrator expiring at T0 + 10 s, a reader */
    ipl_principal by;
    memset(&by, 0, sizeof by);
    snprintf(by.name, sizeof by.name, "test");
    ipl_batch *b;
    ipl_rtxn *t;
    ipl_commit_info ci;
    ipl_batch_new(&b);
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_token_create(t, b, "adm", "Administrator", NULL, T0 + 10 * IPL_US_PER_SEC, &by, T0, sec, &d), IPL_OK);
    CHECK_INT(ipl_token_create(t, b, "rd", "Reader", NULL, 0, &by, T0, rd, &d), IPL_OK);
    ipl_rtxn_end(t);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_free(b);

    ipl_server_conf conf;
    ipl_server_conf_defaults(&conf);
    snprintf(conf.listen, sizeof conf.listen, "127.0.0.1:0");
    conf.limits.query_bytes = 256;
    ipl_server_opts o;
    memset(&o, 0, sizeof o);
    o.conf = &conf;
    o.clock = test_clock;
    CHECK_INT(ipl_server_new(&srv, st, &o, &d), IPL_OK);
    ipl_api_route rt = {"GET", "/api/v1/echo", IPL_PERM_AUDIT, h_echo, NULL, 0};
    CHECK_INT(ipl_server_route(srv, &rt, &d), IPL_OK);
    port = ipl_server_port(srv);
    CHECK(port > 0);
    pthread_t th;

    pthread_create(&th, NULL, run, NULL);

    http("GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strstr(buf, "200 OK") && strstr(buf, "{\"status\":\"ok\"}"));
    snprintf(req, sizeof req, "GET /api/v1/echo?v=hi HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "hi|token:adm") != NULL);
    snprintf(req, sizeof req, "GET /api/v1/echo HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", rd);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "403") && strstr(buf, "\"permission\":\"audit\""));
    http("GET /api/v1/echo HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strstr(buf, "401") != NULL);
    snprintf(req, sizeof req, "GET /api/v1/nope HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "404") != NULL);
    snprintf(req, sizeof req, "POST /api/v1/echo HTTP/1.0\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "405") != NULL);
    char longreq[600];
    memset(longreq, 'a', sizeof longreq);
    memcpy(longreq, "GET /healthz?", 13);
    snprintf(longreq + 400, sizeof longreq - 400, " HTTP/1.0\r\n\r\n");
    http(longreq, buf, sizeof buf);
    CHECK(strstr(buf, "414") != NULL);
    http("BLAH\r\n\r\n", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 400", 12) == 0 || buf[0] == '\0');
    http("GET /healthz HTTP/1.0\r\nBad header without colon\r\n\r\n", buf, sizeof buf);
    http("GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof buf);
    CHECK(strstr(buf, "200 OK") != NULL);      /* still serving */

    /* the frozen clock decides expiry */
    frozen = T0 + 11 * IPL_US_PER_SEC;
    snprintf(req, sizeof req, "GET /api/v1/stats HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", sec);
    http(req, buf, sizeof buf);
    CHECK(strstr(buf, "401") && strstr(buf, "expired"));

    /* SIGTERM (libevent's handler wakes the loop from whichever thread takes it): the pending
     * denials are committed, the loop ends */
    kill(getpid(), SIGTERM);
    pthread_join(th, NULL);
    ipl_server_free(srv);
    ipl_rtxn_begin(st, &t, &d);
    int denials = 0, expired_at_frozen = 0;
    for (uint64_t s = 1; s <= ipl_store_last_seq(t); s++) {
        ipl_event ev;
        if (ipl_store_get(t, s, &ev, NULL) == IPL_OK && ev.kind == IPL_K_AUTH_FAIL) {
            denials++;
            size_t n;
            const char *m = ipl_event_attr(&ev, IPL_A_MESSAGE, &n);
            if (m && has(m, n, "expired") && ev.ts == T0 + 11 * IPL_US_PER_SEC)
                expired_at_frozen = 1;
        }
    }
    CHECK_INT(denials, 3);               /* 403 reader, 401 no token, 401 expired */
    CHECK(expired_at_frozen);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    snprintf(buf, sizeof buf, "rm -rf %s", dir);
    if (system(buf)) {}
    return check_summary();
}
