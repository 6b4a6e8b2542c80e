/* engine/api/config.c — the `ipledger serve` configuration: a JSON file over built-in defaults,
 * checked with the line of each error (`ipledger serve --check`). Pure: text in, struct out.
 *
 *   {"listen": "127.0.0.1:8470", "store": "/var/lib/ipledger",
 *    "syslog": {"udp": "127.0.0.1:5514", "tcp": "127.0.0.1:5514", "tz": "UTC", "year": 0},
 *    "follow": [{"path": "/var/log/dhcp", "format": "auto", "tz": "Europe/Paris"}],
 *    "limits": {"header_bytes": 8192, "body_bytes": 16777216, ...},
 *    "commit_ms": 100, "batch_events": 16384, "follow_ms": 1000, "log": "/var/log/ipledger.log",
 *    "geoip_db": ["/usr/local/share/ipledger/geoip/country.mmdb", ...]}
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "engine/api/api.h"
#include "engine/err.h"

void ipl_server_conf_defaults(ipl_server_conf *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8470");
    snprintf(c->syslog_tz, sizeof c->syslog_tz, "UTC");
    c->commit_ms = 100;
    c->batch_events = 16384;
    c->follow_ms = 1000;
    c->limits.header_bytes = 8192;
    c->limits.body_bytes = (size_t)16 << 20;
    c->limits.query_bytes = 4096;
    c->limits.connections = 256;
    c->limits.request_seconds = 30;
    c->limits.stream_buffer = (size_t)1 << 20;
    c->limits.stalled_seconds = 10;
    c->limits.response_bytes = (size_t)256 << 20;
    c->limits.syslog_message = 65536;
    c->limits.async_jobs = 4;
}

int ipl_hostport(const char *s, char *host, size_t hostcap, int *port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return IPL_EINVAL;
        hl = (size_t)(rb - s - 1);
        s++;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return IPL_EINVAL;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostcap)
        return IPL_EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return IPL_EINVAL;
    *port = (int)p;
    return IPL_OK;
}

typedef struct conf_ctx {
    const char *file, *text;
    size_t len;
    char *errors;
    size_t errcap, used;
    int nerr;
} conf_ctx;

/* Line of the first occurrence of "key" in the text (the best a cJSON tree allows). */
static int key_line(const conf_ctx *c, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    size_t pl = strlen(pat);
    int line = 1;
    for (size_t i = 0; i + pl <= c->len; i++) {
        if (memcmp(c->text + i, pat, pl) == 0)
            return line;
        if (c->text[i] == '\n')
            line++;
    }
    return 1;
}

static void conf_err(conf_ctx *c, int line, const char *fmt, ...) IPL_PRINTF(3, 4);
static void conf_err(conf_ctx *c, int line, const char *fmt, ...)
{
    c->nerr++;
    if (c->used + 1 >= c->errcap)
        return;
    int n = snprintf(c->errors + c->used, c->errcap - c->used, "%s:%d: ", c->file, line);
    if (n > 0 && c->used + (size_t)n < c->errcap)
        c->used += (size_t)n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(c->errors + c->used, c->errcap - c->used, fmt, ap);
    va_end(ap);
    if (n > 0 && c->used + (size_t)n < c->errcap)
        c->used += (size_t)n;
    if (c->used + 1 < c->errcap) {
        c->errors[c->used++] = '\n';
        c->errors[c->used] = '\0';
    }
}

static void get_str(conf_ctx *c, const cJSON *o, const char *key, char *dst, size_t cap)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x)
        return;
    if (!cJSON_IsString(x))
        conf_err(c, key_line(c, key), "'%s' must be a string", key);
    else if (strlen(x->valuestring) >= cap)
        conf_err(c, key_line(c, key), "'%s' is longer than %zu bytes", key, cap - 1);
    else
        snprintf(dst, cap, "%s", x->valuestring);
}

static void get_num(conf_ctx *c, const cJSON *o, const char *key, double lo, double hi, double *dst)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x)
        return;
    if (!cJSON_IsNumber(x) || x->valuedouble != (double)(long long)x->valuedouble)
        conf_err(c, key_line(c, key), "'%s' must be an integer", key);
    else if (x->valuedouble < lo || x->valuedouble > hi)
        conf_err(c, key_line(c, key), "'%s' must be between %.0f and %.0f", key, lo, hi);
    else
        *dst = x->valuedouble;
}

/* Flags unknown keys; a section that is not an object is an error (and has no keys to read). */
static void check_keys(conf_ctx *c, const cJSON *o, const char *const *known, const char *where)
{
    if (!cJSON_IsObject(o)) {
        conf_err(c, o && o->string ? key_line(c, o->string) : 1, "%s must be a JSON object", where);
        return;
    }
    for (const cJSON *x = o->child; x; x = x->next) {
        if (!x->string)
            continue;
        int ok = 0;
        for (size_t i = 0; known[i]; i++)
            ok |= strcmp(known[i], x->string) == 0;
        if (!ok)
            conf_err(c, key_line(c, x->string), "unknown key '%s' in %s", x->string, where);
    }
}

static void check_addr(conf_ctx *c, const char *key, const char *v)
{
    char host[128];
    int port;
    if (v[0] && ipl_hostport(v, host, sizeof host, &port))
        conf_err(c, key_line(c, key), "'%s': '%s' is not HOST:PORT", key, v);
}

int ipl_server_conf_parse(ipl_server_conf *cf, const char *file, const char *text, size_t len,
                          char *errors, size_t errcap)
{
    conf_ctx c = {file, text, len, errors, errcap, 0, 0};
    if (errcap)
        errors[0] = '\0';
    const char *ep = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &ep, 0);
    if (!root) {
        int line = 1;
        for (const char *p = text; ep && p < ep && p < text + len; p++)
            line += *p == '\n';
        conf_err(&c, line, "invalid JSON");
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        conf_err(&c, 1, "the configuration must be a JSON object");
        goto out;
    }
    static const char *const top[] = {"listen", "store", "tls", "syslog", "follow", "limits",
                                      "commit_ms", "batch_events", "follow_ms", "log", "geoip_db",
                                      NULL};
    check_keys(&c, root, top, "the configuration");
    get_str(&c, root, "listen", cf->listen, sizeof cf->listen);
    check_addr(&c, "listen", cf->listen);
    get_str(&c, root, "store", cf->store, sizeof cf->store);
    get_str(&c, root, "log", cf->log, sizeof cf->log);
    double v;
    v = cf->commit_ms; get_num(&c, root, "commit_ms", 1, 60000, &v); cf->commit_ms = (int)v;
    v = (double)cf->batch_events; get_num(&c, root, "batch_events", 1, 1000000, &v); cf->batch_events = (size_t)v;
    v = cf->follow_ms; get_num(&c, root, "follow_ms", 10, 3600000, &v); cf->follow_ms = (int)v;
    const cJSON *tls = cJSON_GetObjectItemCaseSensitive(root, "tls");
    if (tls) {
        static const char *const k[] = {"cert", "key", NULL};
        check_keys(&c, tls, k, "'tls'");
        get_str(&c, tls, "cert", cf->tls_cert, sizeof cf->tls_cert);
        get_str(&c, tls, "key", cf->tls_key, sizeof cf->tls_key);
    }
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(root, "syslog");
    if (sl) {
        static const char *const k[] = {"udp", "tcp", "tz", "year", NULL};
        check_keys(&c, sl, k, "'syslog'");
        get_str(&c, sl, "udp", cf->syslog_udp, sizeof cf->syslog_udp);
        check_addr(&c, "udp", cf->syslog_udp);
        get_str(&c, sl, "tcp", cf->syslog_tcp, sizeof cf->syslog_tcp);
        check_addr(&c, "tcp", cf->syslog_tcp);
        get_str(&c, sl, "tz", cf->syslog_tz, sizeof cf->syslog_tz);
        v = cf->syslog_year; get_num(&c, sl, "year", 0, 9999, &v); cf->syslog_year = (int)v;
    }
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(root, "follow");
    if (fl && !cJSON_IsArray(fl))
        conf_err(&c, key_line(&c, "follow"), "'follow' must be an array of {path, format, tz, server}");
    else if (fl) {
        const cJSON *x;
        cJSON_ArrayForEach(x, fl) {
            if (cf->nfollow >= IPL_FOLLOW_MAX) {
                conf_err(&c, key_line(&c, "follow"), "more than %d follow entries", IPL_FOLLOW_MAX);
                break;
            }
            if (!cJSON_IsObject(x)) {
                conf_err(&c, key_line(&c, "follow"), "a 'follow' entry must be a JSON object");
                continue;
            }
            ipl_follow_conf *f = &cf->follow[cf->nfollow];
            memset(f, 0, sizeof *f);
            snprintf(f->format, sizeof f->format, "auto");
            static const char *const k[] = {"path", "format", "tz", "server", NULL};
            check_keys(&c, x, k, "a 'follow' entry");
            get_str(&c, x, "path", f->path, sizeof f->path);
            get_str(&c, x, "format", f->format, sizeof f->format);
            get_str(&c, x, "tz", f->tz, sizeof f->tz);
            get_str(&c, x, "server", f->server, sizeof f->server);
            if (!f->path[0])
                conf_err(&c, key_line(&c, "follow"), "a 'follow' entry has no 'path'");
            else
                cf->nfollow++;
        }
    }
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");
    if (lim) {
        static const char *const k[] = {"header_bytes", "body_bytes", "query_bytes", "connections",
                                        "request_seconds", "stream_buffer_bytes", "stalled_seconds",
                                        "response_bytes", "syslog_message_bytes", "async_jobs", NULL};
        check_keys(&c, lim, k, "'limits'");
        ipl_server_limits *l = &cf->limits;
        v = (double)l->header_bytes; get_num(&c, lim, "header_bytes", 256, 1 << 20, &v); l->header_bytes = (size_t)v;
        v = (double)l->body_bytes; get_num(&c, lim, "body_bytes", 1024, 1 << 30, &v); l->body_bytes = (size_t)v;
        v = (double)l->query_bytes; get_num(&c, lim, "query_bytes", 64, 1 << 20, &v); l->query_bytes = (size_t)v;
        v = (double)l->connections; get_num(&c, lim, "connections", 1, 65536, &v); l->connections = (size_t)v;
        v = l->request_seconds; get_num(&c, lim, "request_seconds", 1, 86400, &v); l->request_seconds = (int)v;
        v = (double)l->stream_buffer; get_num(&c, lim, "stream_buffer_bytes", 4096, 1 << 30, &v); l->stream_buffer = (size_t)v;
        v = l->stalled_seconds; get_num(&c, lim, "stalled_seconds", 1, 86400, &v); l->stalled_seconds = (int)v;
        v = (double)l->response_bytes; get_num(&c, lim, "response_bytes", 4096, 1e12, &v); l->response_bytes = (size_t)v;
        v = (double)l->syslog_message; get_num(&c, lim, "syslog_message_bytes", 480, 1 << 20, &v); l->syslog_message = (size_t)v;
        v = (double)l->async_jobs; get_num(&c, lim, "async_jobs", 1, 64, &v); l->async_jobs = (size_t)v;
    }
    const cJSON *geo = cJSON_GetObjectItemCaseSensitive(root, "geoip_db");
    if (geo && !cJSON_IsArray(geo))
        conf_err(&c, key_line(&c, "geoip_db"), "'geoip_db' must be an array of file names");
    else if (geo) {
        const cJSON *x;
        cJSON_ArrayForEach(x, geo) {
            if (cf->ngeoip >= IPL_GEOIP_CONF_MAX) {
                conf_err(&c, key_line(&c, "geoip_db"), "more than %d 'geoip_db' files", IPL_GEOIP_CONF_MAX);
                break;
            }
            if (!cJSON_IsString(x) || !x->valuestring[0] ||
                strlen(x->valuestring) >= sizeof cf->geoip_db[0]) {
                conf_err(&c, key_line(&c, "geoip_db"),
                         "a 'geoip_db' entry must be a file name of 1 to %zu bytes",
                         sizeof cf->geoip_db[0] - 1);
                continue;
            }
            snprintf(cf->geoip_db[cf->ngeoip++], sizeof cf->geoip_db[0], "%s", x->valuestring);
        }
    }
    if (!!cf->tls_cert[0] != !!cf->tls_key[0])
        conf_err(&c, key_line(&c, "tls"), "'tls' needs both 'cert' and 'key'");
out:
    cJSON_Delete(root);
    return c.nerr ? IPL_EPARSE : IPL_OK;
}

int ipl_server_conf_load(ipl_server_conf *c, const char *path, char *errors, size_t errcap)
{
    int err = IPL_OK;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errors, errcap, "%s: cannot open\n", path);
        return IPL_EIO;
    }
    size_t cap = (size_t)1 << 20, n = 0;
    if (!(buf = malloc(cap + 1))) {
        err = IPL_ENOMEM;
        goto out;
    }
    n = fread(buf, 1, cap + 1, f);
    if (n > cap) {
        snprintf(errors, errcap, "%s: larger than 1 MiB\n", path);
        err = IPL_ELIMIT;
        goto out;
    }
    err = ipl_server_conf_parse(c, path, buf, n, errors, errcap);
out:
    free(buf);
    fclose(f);
    return err;
}
