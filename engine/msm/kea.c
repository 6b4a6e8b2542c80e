/* engine/msm/kea.c — the Kea control-channel client; see kea.h.
 *
 * One call = one connection: connect (non-blocking, bounded by the deadline), send the command,
 * read until the reply is complete (UNIX: Kea closes or the JSON value is complete; HTTP: the
 * Content-Length is satisfied or the agent closes), parse, check the shape and the result.
 * Every wait is a poll() on the time left before the one deadline of the call.
 */
#include "engine/msm/kea.h"
#include "engine/err.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HTTP_HEAD_MAX 65536   /* bytes of an HTTP response's status line and headers */

typedef struct endpoint {
    int  http;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];   /* unix */
    char host[256], port[16], target[512];                   /* http */
} endpoint;

static int parse_endpoint(const char *ep, endpoint *e, ipl_diag *d)
{
    memset(e, 0, sizeof *e);
    if (!ep || !ep[0])
        return ipl_diag_set(d, IPL_EINVAL, "empty kea endpoint");
    if (strlen(ep) > IPL_KEA_ENDPOINT_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "kea endpoint over %d bytes", IPL_KEA_ENDPOINT_MAX);
    if (strncmp(ep, "unix:", 5) == 0) {
        const char *p = ep + 5;
        if (!p[0])
            return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': no socket path", ep);
        if (strlen(p) >= sizeof e->path)
            return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': socket path over %zu bytes", ep,
                                sizeof e->path - 1);
        memcpy(e->path, p, strlen(p) + 1);
        return IPL_OK;
    }
    if (strncmp(ep, "http://", 7) != 0)
        return ipl_diag_set(d, IPL_EINVAL,
                            "kea endpoint '%s': expected unix:/path or http://host:port/", ep);
    e->http = 1;
    const char *h = ep + 7, *hend, *rest;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend)
            return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': unclosed '['", ep);
        rest = hend + 1;
        h++;
    } else {
        hend = h + strcspn(h, ":/");
        rest = hend;
    }
    if (hend == h || (size_t)(hend - h) >= sizeof e->host)
        return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': bad host", ep);
    memcpy(e->host, h, (size_t)(hend - h));
    snprintf(e->port, sizeof e->port, "8000");   /* kea-ctrl-agent's default */
    if (*rest == ':') {
        rest++;
        size_t n = strspn(rest, "0123456789");
        long port = n && n < 6 ? strtol(rest, NULL, 10) : 0;
        if (port < 1 || port > 65535)
            return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': bad port", ep);
        snprintf(e->port, sizeof e->port, "%ld", port);
        rest += n;
    }
    if (*rest && *rest != '/')
        return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': unexpected '%c' after the port",
                            ep, *rest);
    const char *t = *rest ? rest : "/";
    if (strlen(t) >= sizeof e->target || strpbrk(t, " \r\n"))
        return ipl_diag_set(d, IPL_EINVAL, "kea endpoint '%s': bad path", ep);
    memcpy(e->target, t, strlen(t) + 1);
    return IPL_OK;
}

int ipl_kea_endpoint_check(const char *endpoint_, ipl_diag *d)
{
    endpoint e;
    return parse_endpoint(endpoint_, &e, d);
}

/* ---- reply framing (pure) ---- */

int ipl_kea_json_complete(const char *buf, size_t n)
{
    size_t i = 0;
    int depth = 0, in_str = 0, esc = 0;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i == n)
        return 0;
    if (buf[i] != '{' && buf[i] != '[')
        return 1;   /* not a JSON object: nothing to wait for, the parser names the problem */
    for (; i < n; i++) {
        char c = buf[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return 1;
        }
    }
    return 0;
}

static const char *find_mem(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(h + i, needle, k) == 0)
            return h + i;
    return NULL;
}

int ipl_kea_http_split(const char *buf, size_t n, int eof, int *status, const char **body,
                       size_t *blen)
{
    const char *end = find_mem(buf, n, "\r\n\r\n");
    if (!end)
        return eof || n > HTTP_HEAD_MAX ? IPL_EPARSE : IPL_ENOTFOUND;
    size_t head = (size_t)(end - buf) + 4;
    if (n < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' ||
        buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
        return IPL_EPARSE;
    *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    long long clen = -1;
    const char *line = memchr(buf, '\n', head);
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end + 2 - line));
        size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
        if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0) {
            char num[32];
            size_t k = 0;
            for (size_t i = 15; i < ll && k < sizeof num - 1; i++)
                if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                    num[k++] = line[i];
            num[k] = '\0';
            char *e;
            errno = 0;
            clen = strtoll(num, &e, 10);
            if (!k || *e || errno || clen < 0)
                return IPL_EPARSE;
        } else if (ll > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
            return IPL_EPARSE;   /* the agent sends Content-Length; chunked is not expected */
        }
        line = eol;
    }
    if (clen >= 0) {
        if (n - head < (size_t)clen)
            return eof ? IPL_EPARSE : IPL_ENOTFOUND;
        *body = buf + head;
        *blen = (size_t)clen;
        return IPL_OK;
    }
    if (!eof)
        return IPL_ENOTFOUND;
    *body = buf + head;
    *blen = n - head;
    return IPL_OK;
}

/* A short printable excerpt of a bad reply for a message. */
static void excerpt(const char *buf, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap && i < 80; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
    }
    if (n > 80 && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k < cap ? k : cap - 1] = '\0';
}

int ipl_kea_parse_reply(const char *ep, const char *command, const char *buf, size_t n, int http,
                        cJSON **reply, ipl_diag *d)
{
    *reply = NULL;
    char ex[512];
    if (n == 0)
        return ipl_diag_set(d, IPL_EPARSE, "kea '%s': empty reply to '%s'", ep, command);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
    if (j && end) {   /* only whitespace may follow the value */
        size_t off = (size_t)(end - buf);
        while (off < n && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r' ||
                           buf[off] == '\n' || buf[off] == '\0'))
            off++;
        if (off < n) {
            cJSON_Delete(j);
            excerpt(buf + off, n - off, ex, sizeof ex);
            return ipl_diag_set(d, IPL_EPARSE,
                                "kea '%s': malformed reply to '%s': data after the JSON at byte "
                                "%zu: '%s'", ep, command, off, ex);
        }
    }
    if (!j) {
        const char *err = cJSON_GetErrorPtr();
        size_t off = err && err >= buf && err <= buf + n ? (size_t)(err - buf) : 0;
        excerpt(buf, n, ex, sizeof ex);
        return ipl_diag_set(d, IPL_EPARSE, "kea '%s': malformed reply to '%s' (not JSON, near "
                            "byte %zu): '%s'", ep, command, off, ex);
    }
    cJSON *ans = j;
    if (cJSON_IsArray(j)) {
        if (!http || cJSON_GetArraySize(j) < 1 || !cJSON_IsObject(cJSON_GetArrayItem(j, 0))) {
            cJSON_Delete(j);
            return ipl_diag_set(d, IPL_ECORRUPT, "kea '%s': reply to '%s' has the wrong shape: %s",
                                ep, command, http ? "an empty list or a list of non-objects"
                                                  : "a list where an object was expected");
        }
        ans = cJSON_DetachItemFromArray(j, 0);
        cJSON_Delete(j);
    }
    if (!cJSON_IsObject(ans)) {
        cJSON_Delete(ans);
        return ipl_diag_set(d, IPL_ECORRUPT, "kea '%s': reply to '%s' has the wrong shape: not a "
                            "JSON object", ep, command);
    }
    cJSON *res = cJSON_GetObjectItemCaseSensitive(ans, "result");
    cJSON *text = cJSON_GetObjectItemCaseSensitive(ans, "text");
    if (!cJSON_IsNumber(res) || res->valuedouble != (double)(int)res->valuedouble) {
        cJSON_Delete(ans);
        return ipl_diag_set(d, IPL_ECORRUPT, "kea '%s': reply to '%s' has the wrong shape: no "
                            "integer \"result\"", ep, command);
    }
    if (text && !cJSON_IsString(text)) {
        cJSON_Delete(ans);
        return ipl_diag_set(d, IPL_ECORRUPT, "kea '%s': reply to '%s' has the wrong shape: "
                            "\"text\" is not a string", ep, command);
    }
    if (res->valueint != 0) {
        int code = res->valueint;
        ipl_diag_set(d, IPL_EDENIED, "kea '%s' refused '%s' (result %d): %s", ep, command, code,
                     text ? text->valuestring : "(no text)");
        cJSON_Delete(ans);
        return IPL_EDENIED;
    }
    *reply = ans;
    return IPL_OK;
}

/* ---- the connection ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
    int64_t l = deadline - now_ms();
    return l < 0 ? 0 : l > 1000000 ? 1000000 : (int)l;
}

/* Waits for ev on fd until the deadline: 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, left_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r;
        return 1;
    }
}

static int connect_fd(const char *ep, const endpoint *e, int64_t deadline, int timeout_ms,
                      int *out, ipl_diag *d)
{
    int fd = -1, err = IPL_OK;
    struct addrinfo *ai = NULL;
    struct sockaddr_un un;
    const struct sockaddr *sa;
    socklen_t salen;
    if (!e->http) {
        memset(&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        memcpy(un.sun_path, e->path, strlen(e->path) + 1);
        sa = (const struct sockaddr *)&un;
        salen = sizeof un;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    } else {
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        int g = getaddrinfo(e->host, e->port, &hints, &ai);
        if (g != 0) {
            err = ipl_diag_set(d, IPL_EIO, "kea '%s' not reachable: cannot resolve '%s': %s", ep,
                               e->host, gai_strerror(g));
            goto out;
        }
        sa = ai->ai_addr;
        salen = ai->ai_addrlen;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    }
    if (fd < 0) {
        err = ipl_diag_set(d, IPL_EIO, "kea '%s': cannot create a socket: %s", ep, strerror(errno));
        goto out;
    }
    if (connect(fd, sa, salen) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            err = ipl_diag_set(d, IPL_EIO, "kea '%s' not reachable: %s", ep, strerror(errno));
            goto out;
        }
        int w = wait_fd(fd, POLLOUT, deadline);
        if (w == 0) {
            err = ipl_diag_set(d, IPL_EBUSY, "kea '%s' not reachable: connect timed out after "
                               "%d ms", ep, timeout_ms);
            goto out;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
            err = ipl_diag_set(d, IPL_EIO, "kea '%s' not reachable: %s", ep,
                               strerror(soerr ? soerr : errno));
            goto out;
        }
    }
out:
    if (ai)
        freeaddrinfo(ai);
    if (err && fd >= 0) {
        close(fd);
        fd = -1;
    }
    *out = fd;
    return err;
}

static int send_all(int fd, const char *ep, const char *buf, size_t n, int64_t deadline,
                    int timeout_ms, ipl_diag *d)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, deadline);
            if (r == 0)
                return ipl_diag_set(d, IPL_EBUSY, "kea '%s': timed out after %d ms sending the "
                                    "command", ep, timeout_ms);
            if (r < 0)
                return ipl_diag_set(d, IPL_EIO, "kea '%s': poll: %s", ep, strerror(errno));
            continue;
        }
        return ipl_diag_set(d, IPL_EIO, "kea '%s': cannot send the command: %s", ep,
                            strerror(errno));
    }
    return IPL_OK;
}

static cJSON *build_command(const char *command, const char *service, int http,
                            const cJSON *arguments)
{
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "command", command))
        goto fail;
    if (http) {
        cJSON *svc = cJSON_AddArrayToObject(m, "service");
        cJSON *s = cJSON_CreateString(service ? service : "dhcp4");
        if (!svc || !s) {
            cJSON_Delete(s);
            goto fail;
        }
        cJSON_AddItemToArray(svc, s);
    }
    if (arguments) {
        cJSON *a = cJSON_Duplicate(arguments, 1);
        if (!a)
            goto fail;
        cJSON_AddItemToObject(m, "arguments", a);
    }
    return m;
fail:
    cJSON_Delete(m);
    return NULL;
}

int ipl_kea_call(const char *ep, const char *service, const char *command,
                 const cJSON *arguments, int timeout_ms, cJSON **reply, ipl_diag *d)
{
    endpoint e;
    int err, fd = -1;
    char *body = NULL, *req = NULL, *buf = NULL;
    size_t len = 0, cap = 0;
    cJSON *msg = NULL;
    *reply = NULL;
    if ((err = parse_endpoint(ep, &e, d)))
        return err;
    if (!command || !command[0] || strlen(command) > 128)
        return ipl_diag_set(d, IPL_EINVAL, "kea '%s': bad command name", ep);
    if (service && strcmp(service, "dhcp4") != 0 && strcmp(service, "dhcp6") != 0)
        return ipl_diag_set(d, IPL_EINVAL, "kea '%s': service '%s' is not dhcp4 or dhcp6", ep,
                            service);
    if (timeout_ms <= 0)
        timeout_ms = IPL_KEA_TIMEOUT_MS;
    int64_t deadline = now_ms() + timeout_ms;
    if (!(msg = build_command(command, service, e.http, arguments)) ||
        !(body = cJSON_PrintUnformatted(msg))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "kea '%s': out of memory building '%s'", ep, command);
        goto out;
    }
    size_t blen = strlen(body);
    const char *out_buf = body;
    size_t out_len = blen;
    if (e.http) {
        size_t rl = blen + strlen(e.target) + strlen(e.host) + 256;
        if (!(req = malloc(rl))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        int k = snprintf(req, rl, "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: "
                         "application/json\r\nAccept: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n", e.target, e.host, e.port, blen);
        memcpy(req + k, body, blen);
        out_buf = req;
        out_len = (size_t)k + blen;
    }
    if ((err = connect_fd(ep, &e, deadline, timeout_ms, &fd, d)) ||
        (err = send_all(fd, ep, out_buf, out_len, deadline, timeout_ms, d)))
        goto out;
    size_t limit = IPL_KEA_REPLY_MAX + (e.http ? HTTP_HEAD_MAX : 0);
    const char *rbody = NULL;
    size_t rblen = 0;
    int http_status = 0, eof = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= limit) {
                err = ipl_diag_set(d, IPL_ELIMIT, "kea '%s': reply to '%s' over %u bytes", ep,
                                   command, IPL_KEA_REPLY_MAX);
                goto out;
            }
            size_t nc = cap ? cap * 2 : 65536;
            if (nc > limit)
                nc = limit;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                err = ipl_diag_set(d, IPL_ENOMEM, "out of memory reading kea's reply");
                goto out;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r > 0) {
            len += (size_t)r;
        } else if (r == 0) {
            eof = 1;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w == 0) {
                err = ipl_diag_set(d, IPL_EBUSY, "kea '%s': no reply to '%s' within %d ms "
                                   "(%zu bytes received)", ep, command, timeout_ms, len);
                goto out;
            }
            if (w < 0) {
                err = ipl_diag_set(d, IPL_EIO, "kea '%s': poll: %s", ep, strerror(errno));
                goto out;
            }
            continue;
        } else {
            err = ipl_diag_set(d, IPL_EIO, "kea '%s': connection failed reading the reply to "
                               "'%s': %s", ep, command, strerror(errno));
            goto out;
        }
        if (e.http) {
            int s = ipl_kea_http_split(buf, len, eof, &http_status, &rbody, &rblen);
            if (s == IPL_OK)
                break;
            if (s == IPL_EPARSE) {
                char ex[512];
                excerpt(buf, len, ex, sizeof ex);
                err = ipl_diag_set(d, IPL_EPARSE, "kea '%s': malformed HTTP reply to '%s': '%s'",
                                   ep, command, ex);
                goto out;
            }
        } else if (eof || ipl_kea_json_complete(buf, len)) {
            rbody = buf;
            rblen = len;
            break;
        }
        if (eof) {
            err = ipl_diag_set(d, IPL_EIO, "kea '%s': connection closed before a reply to '%s'",
                               ep, command);
            goto out;
        }
    }
    if (!e.http && eof && len == 0) {
        err = ipl_diag_set(d, IPL_EIO, "kea '%s': connection closed without a reply to '%s'", ep,
                           command);
        goto out;
    }
    if (e.http && http_status != 200) {
        /* the agent answers errors in JSON too: prefer its text */
        cJSON *r = NULL;
        ipl_diag tmp = {0};
        int pe = ipl_kea_parse_reply(ep, command, rbody, rblen, 1, &r, &tmp);
        cJSON_Delete(r);
        if (pe == IPL_EDENIED)
            err = ipl_diag_set(d, IPL_EDENIED, "%s (HTTP %d)", tmp.msg, http_status);
        else
            err = ipl_diag_set(d, IPL_EIO, "kea '%s': HTTP %d answering '%s'", ep, http_status,
                               command);
        goto out;
    }
    err = ipl_kea_parse_reply(ep, command, rbody, rblen, e.http, reply, d);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(req);
    free(body);
    cJSON_Delete(msg);
    return err;
}

int ipl_kea_status(const char *ep, int timeout_ms, char *detail, size_t n)
{
    ipl_diag d = {0};
    cJSON *r = NULL;
    int err = ipl_kea_call(ep, NULL, "status-get", NULL, timeout_ms, &r, &d);
    if (err == IPL_EDENIED && strstr(d.msg, "not supported")) {
        ipl_diag_clear(&d);
        err = ipl_kea_call(ep, NULL, "version-get", NULL, timeout_ms, &r, &d);
        if (err == IPL_OK) {
            cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "text");
            snprintf(detail, n, "running, version %s", cJSON_IsString(t) ? t->valuestring : "?");
            cJSON_Delete(r);
            return 0;
        }
    }
    if (err == IPL_OK) {
        cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "arguments");
        cJSON *pid = cJSON_GetObjectItemCaseSensitive(a, "pid");
        cJSON *up = cJSON_GetObjectItemCaseSensitive(a, "uptime");
        snprintf(detail, n, "running, pid %lld, uptime %llds",
                 cJSON_IsNumber(pid) ? (long long)pid->valuedouble : -1LL,
                 cJSON_IsNumber(up) ? (long long)up->valuedouble : -1LL);
        cJSON_Delete(r);
        return 0;
    }
    snprintf(detail, n, "%s", d.msg);
    if (err == IPL_EIO || err == IPL_EBUSY || err == IPL_EINVAL)
        return 2;
    return 1;
}
