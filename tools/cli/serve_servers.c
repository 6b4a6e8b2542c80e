/* tools/cli/serve_servers.c — the inventory in `ipledger serve`: API routes and the health timers.
 *
 * Routes (docs/api.md): GET /api/v1/servers, /api/v1/servers/show?name=, /api/v1/servers/health
 * (read), POST /api/v1/servers (add/edit, JSON body) and DELETE /api/v1/servers?name= (msm).
 *
 * Timers on the server's libevent loop:
 *   passive  every IPLEDGER_SERVERS_PASSIVE_MS (60000): the passive check with --record
 *   probes   every IPLEDGER_SERVERS_PROBE_MS (30000): one probe per inventory server with a probe,
 *            each bounded by IPLEDGER_SERVERS_TIMEOUT_MS (2000):
 *              dns  evdns on the same loop, nameserver = the server's address, an A query for
 *                   probe_name: an answer = running, SERVFAIL/REFUSED/NXDOMAIN/no data =
 *                   degraded, timeout = not reachable
 *              tcp  bufferevent connect: connected = running, refused/timeout = not reachable
 *              kea  srv_kea_status = ipl_kea_status (engine/msm/kea.h): 0 running,
 *                   1 degraded, 2 not reachable; unset = the probe reports nothing
 * A state change is committed as a server.status event through a batch of our own after
 * ipl_server_flush (one writer at a time; the SSE tail picks the event up on its timer).
 */
#include "tools/cli/cli.h"
#include "tools/cli/servers.h"

#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/msm/kea.h"
#include "engine/tz.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBES_MAX   256
#define BODY_MAX     65536

/* the Kea control client (engine/msm/kea.c): status-get over the socket or the agent's URL */
int (*srv_kea_status)(const char *endpoint, int timeout_ms, char *detail, size_t n) = ipl_kea_status;

typedef struct probe {
    struct srvctx *c;
    int    used, busy, seen;
    char   name[IPL_SRV_NAME_MAX + 1];
    char   kind[8];
    char   address[128];
    char   qname[256];
    struct evdns_base *dns;
    struct bufferevent *bev;
} probe;

typedef struct srvctx {
    ipl_server *s;
    struct event_base *base;
    struct event *passive_ev, *probe_ev;
    int64_t passive_us, probe_us, timeout_us;
    probe probes[PROBES_MAX];
} srvctx;

static srvctx ctx0;

static int64_t env_ms(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    char *e;
    if (!v || !*v)
        return dflt * 1000;
    long long x = strtoll(v, &e, 10);
    return (*e || x < 10 || x > 86400000) ? dflt * 1000 : x * 1000;
}

static struct timeval tv_of(int64_t us)
{
    struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
    return tv;
}

/* ---- recording a probe result ---- */

static void record(probe *p, ipl_srv_state state, const char *detail)
{
    srvctx *c = p->c;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    ipl_server_flush(c->s);
    ipl_store *st = ipl_server_store(c->s);
    if (ipl_batch_new(&b) || ipl_rtxn_begin(st, &t, &d))
        goto out;
    int rc = ipl_srv_probe_record(t, b, p->name, p->address, p->kind, state, detail,
                                  ipl_server_now(c->s), &d);
    ipl_rtxn_end(t);
    t = NULL;
    if (rc == 1)
        ipl_store_commit(st, b, NULL, &d);
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
}

/* ---- dns ---- */

static void dns_free_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evdns_base_free(arg, 0);
}

static void dns_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
    probe *p = arg;
    char detail[640];
    ipl_srv_state st;
    (void)ttl;
    if (result == DNS_ERR_NONE && type == DNS_IPv4_A && count > 0) {
        char ip[INET_ADDRSTRLEN] = "";
        evutil_inet_ntop(AF_INET, addresses, ip, sizeof ip);
        st = IPL_SRV_RUNNING;
        snprintf(detail, sizeof detail, "dns %s answered %s A %s", p->address, p->qname, ip);
    } else if (result == DNS_ERR_TIMEOUT || result == DNS_ERR_SHUTDOWN || result == DNS_ERR_CANCEL ||
               result == DNS_ERR_UNKNOWN) {
        st = IPL_SRV_UNREACHABLE;
        snprintf(detail, sizeof detail, "dns %s: no answer for %s (%s)", p->address, p->qname,
                 evdns_err_to_string(result));
    } else {
        st = IPL_SRV_DEGRADED;
        snprintf(detail, sizeof detail, "dns %s answered %s with %s", p->address, p->qname,
                 result == DNS_ERR_NONE ? "no A record" : evdns_err_to_string(result));
    }
    /* the evdns base cannot be freed inside its own callback: free it from the loop */
    struct timeval zero = {0, 0};
    event_base_once(p->c->base, -1, EV_TIMEOUT, dns_free_cb, p->dns, &zero);
    p->dns = NULL;
    p->busy = 0;
    if (result != DNS_ERR_SHUTDOWN)
        record(p, st, detail);
}

static void start_dns(probe *p)
{
    char host[64], ns[96], to[32];
    int port;
    if (ipl_srv_addr_split(p->address, host, sizeof host, &port, 53)) {
        record(p, IPL_SRV_DEGRADED, "probe address is not IP[:PORT]");
        return;
    }
    snprintf(ns, sizeof ns, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    snprintf(to, sizeof to, "%.3f", (double)p->c->timeout_us / 1e6);
    p->dns = evdns_base_new(p->c->base, 0);
    if (!p->dns || evdns_base_nameserver_ip_add(p->dns, ns) != 0 ||
        evdns_base_set_option(p->dns, "timeout:", to) != 0 ||
        evdns_base_set_option(p->dns, "attempts:", "1") != 0) {
        if (p->dns)
            evdns_base_free(p->dns, 0);
        p->dns = NULL;
        record(p, IPL_SRV_UNREACHABLE, "cannot set up the dns probe");
        return;
    }
    p->busy = 1;
    if (!evdns_base_resolve_ipv4(p->dns, p->qname, DNS_QUERY_NO_SEARCH, dns_cb, p)) {
        p->busy = 0;
        evdns_base_free(p->dns, 0);
        p->dns = NULL;
        record(p, IPL_SRV_UNREACHABLE, "cannot send the dns query");
    }
}

/* ---- tcp ---- */

static void tcp_cb(struct bufferevent *bev, short what, void *arg)
{
    probe *p = arg;
    char detail[640];
    ipl_srv_state st;
    if (what & BEV_EVENT_CONNECTED) {
        st = IPL_SRV_RUNNING;
        snprintf(detail, sizeof detail, "tcp %s: connected", p->address);
    } else if (what & BEV_EVENT_TIMEOUT) {
        st = IPL_SRV_UNREACHABLE;
        snprintf(detail, sizeof detail, "tcp %s: connect timed out after %lld ms", p->address,
                 (long long)(p->c->timeout_us / 1000));
    } else {
        int e = EVUTIL_SOCKET_ERROR();
        st = IPL_SRV_UNREACHABLE;
        snprintf(detail, sizeof detail, "tcp %s: %s", p->address,
                 e ? evutil_socket_error_to_string(e) : "connection failed");
    }
    bufferevent_free(bev);
    p->bev = NULL;
    p->busy = 0;
    record(p, st, detail);
}

static void start_tcp(probe *p)
{
    struct sockaddr_storage sa;
    int salen = (int)sizeof sa;
    if (evutil_parse_sockaddr_port(p->address, (struct sockaddr *)&sa, &salen) != 0) {
        record(p, IPL_SRV_DEGRADED, "probe address is not IP:PORT");
        return;
    }
    p->bev = bufferevent_socket_new(p->c->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!p->bev) {
        record(p, IPL_SRV_UNREACHABLE, "cannot create a socket");
        return;
    }
    struct timeval tv = tv_of(p->c->timeout_us);
    bufferevent_set_timeouts(p->bev, &tv, &tv);
    bufferevent_setcb(p->bev, NULL, NULL, tcp_cb, p);
    p->busy = 1;
    if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&sa, salen) != 0) {
        /* an immediate failure: the event callback has not run */
        if (p->bev) {
            bufferevent_free(p->bev);
            p->bev = NULL;
            p->busy = 0;
            record(p, IPL_SRV_UNREACHABLE, "connect failed");
        }
    }
}

/* ---- kea ---- */

static void start_kea(probe *p)
{
    char detail[256] = "";
    if (!srv_kea_status)
        return;                       /* no Kea control client linked: nothing to report */
    int rc = srv_kea_status(p->address, (int)(p->c->timeout_us / 1000), detail, sizeof detail);
    record(p, rc == 0 ? IPL_SRV_RUNNING : rc == 1 ? IPL_SRV_DEGRADED : IPL_SRV_UNREACHABLE,
           detail[0] ? detail : rc == 0 ? "kea answered" : "kea did not answer");
}

/* ---- timers ---- */

static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
    srvctx *c = arg;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    ipl_srv_view *v = NULL;
    (void)fd;
    (void)what;
    ipl_store *st = ipl_server_store(c->s);
    if (ipl_rtxn_begin(st, &t, &d) || ipl_srv_view_load(t, &v, &d))
        goto out;
    for (size_t i = 0; i < PROBES_MAX; i++)
        c->probes[i].seen = 0;
    for (size_t i = 0; i < ipl_srv_count(v); i++) {
        const ipl_srv *s = ipl_srv_at(v, i);
        if (!s->probe || strcmp(s->probe, "none") == 0 || !s->address)
            continue;
        probe *p = NULL, *fr = NULL;
        for (size_t k = 0; k < PROBES_MAX && !p; k++) {
            if (c->probes[k].used && strcmp(c->probes[k].name, s->name) == 0)
                p = &c->probes[k];
            else if (!c->probes[k].used && !c->probes[k].busy && !fr)
                fr = &c->probes[k];
        }
        if (!p && !(p = fr))
            continue;                 /* more than PROBES_MAX probed servers */
        p->used = p->seen = 1;
        p->c = c;
        if (p->busy)
            continue;                 /* the last probe has not finished */
        snprintf(p->name, sizeof p->name, "%s", s->name);
        snprintf(p->kind, sizeof p->kind, "%s", s->probe);
        snprintf(p->address, sizeof p->address, "%s", s->address);
        snprintf(p->qname, sizeof p->qname, "%s", s->probe_name ? s->probe_name : "");
    }
    ipl_srv_view_free(v);
    v = NULL;
    ipl_rtxn_end(t);
    t = NULL;
    for (size_t i = 0; i < PROBES_MAX; i++) {
        probe *p = &c->probes[i];
        if (p->used && !p->seen && !p->busy)
            p->used = 0;              /* removed from the inventory */
        if (!p->used || !p->seen || p->busy)
            continue;
        if (strcmp(p->kind, "dns") == 0)
            start_dns(p);
        else if (strcmp(p->kind, "tcp") == 0)
            start_tcp(p);
        else if (strcmp(p->kind, "kea") == 0)
            start_kea(p);
    }
out:
    ipl_srv_view_free(v);
    ipl_rtxn_end(t);
}

static void passive_tick(evutil_socket_t fd, short what, void *arg)
{
    srvctx *c = arg;
    ipl_diag d = {0};
    ipl_srv_health_opts o;
    uint64_t n;
    (void)fd;
    (void)what;
    ipl_server_flush(c->s);
    ipl_srv_health_defaults(&o, ipl_server_now(c->s));
    ipl_srv_health_check(ipl_server_store(c->s), &o, 1, NULL, NULL, &n, &d);
}

/* ---- routes ---- */

static int reply_json(ipl_api_req *r, cJSON *j)
{
    char *txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!txt)
        return ipl_api_error(r, 500, NULL, "out of memory");
    ipl_api_begin(r, "application/json");
    ipl_api_write(r, txt, strlen(txt));
    ipl_api_write(r, "\n", 1);
    cJSON_free(txt);
    return ipl_api_end(r);
}

/* The at= parameter (ISO 8601, a date, @epoch, now, -7d): IPL_OK with *at (now when absent), or
 * answered 400. */
static int param_at(ipl_api_req *r, int64_t *at)
{
    const char *v = ipl_api_param(r, "at");
    ipl_diag d = {0};
    *at = ipl_api_now(r);
    if (!v)
        return IPL_OK;
    size_t n = strlen(v);
    int err = (v[0] == '-' || v[0] == '+' || strncmp(v, "now", 3) == 0)
                  ? ipl_time_parse_relative(v, n, ipl_api_now(r), at, &d)
                  : ipl_time_parse(v, n, NULL, at, &d);
    return err ? ipl_api_error(r, 400, "at", "%s", d.msg) : IPL_OK;
}

static int refresh(ipl_api_req *r, ipl_srv_view **v, ipl_rtxn **t)
{
    ipl_diag d = {0};
    ipl_api_flush(r);
    if (ipl_srv_update(ctx0.s ? ipl_server_store(ctx0.s) : NULL, NULL, &d))
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    if (!(*t = ipl_api_rtxn(r, &d)) || ipl_srv_view_load(*t, v, &d))
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    return IPL_OK;
}

static int h_list(void *arg, ipl_api_req *r)
{
    ipl_srv_view *v = NULL;
    ipl_rtxn *t;
    ipl_out *o = NULL;
    ipl_out_format f = IPL_OUT_NDJSON;
    const char *fv = ipl_api_param(r, "format"), *tv = ipl_api_param(r, "type");
    unsigned types = 0;
    ipl_diag d = {0};
    (void)arg;
    if (tv && ipl_srv_types_parse(tv, &types, &d))
        return ipl_api_error(r, 400, "type", "%s", d.msg);
    int64_t at;
    if (fv && (ipl_out_format_parse(fv, &f) || f == IPL_OUT_TABLE))
        return ipl_api_error(r, 400, "format", "format must be json, ndjson or csv");
    int err = param_at(r, &at);
    if (err || (err = refresh(r, &v, &t)))
        return err;
    if (err)
        return err;
    ipl_api_begin(r, f == IPL_OUT_JSON ? "application/json" : f == IPL_OUT_CSV ? "text/csv"
                                                                              : "application/x-ndjson");
    if (ipl_out_new(&o, f, srv_list_cols, srv_list_ncols, ipl_api_write, r) ||
        srv_list_rows(v, at, types, ipl_api_param(r, "group"), o) || ipl_out_end(o)) {
        ipl_out_free(o);
        ipl_srv_view_free(v);
        return ipl_api_abort(r, "cannot write the inventory");
    }
    ipl_out_free(o);
    ipl_srv_view_free(v);
    return ipl_api_end(r);
}

static int h_show(void *arg, ipl_api_req *r)
{
    ipl_srv_view *v = NULL;
    ipl_rtxn *t;
    ipl_diag d = {0};
    const char *name = ipl_api_param(r, "name");
    (void)arg;
    int64_t at;
    if (!name || !*name)
        return ipl_api_error(r, 400, "name", "give name=SERVER");
    int err = param_at(r, &at);
    if (err || (err = refresh(r, &v, &t)))
        return err;
    const ipl_srv *s = ipl_srv_find(v, name);
    if (!s) {
        ipl_srv_view_free(v);
        return ipl_api_error(r, 404, "name", "server '%.200s' is not in the inventory", name);
    }
    cJSON *j = srv_show_json(t, v, s, at, &d);
    ipl_srv_view_free(v);
    if (!j)
        return ipl_api_error(r, 500, NULL, "out of memory");
    return reply_json(r, j);
}

static int h_health(void *arg, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_srv_health_opts o;
    const char *src = ipl_api_param(r, "sources");
    int64_t at;
    (void)arg;
    if (param_at(r, &at))
        return IPL_EINVAL;
    ipl_api_flush(r);
    ipl_srv_health_defaults(&o, at);
    cJSON *j = srv_health_json(ipl_server_store(ctx0.s), &o, 0, src && strcmp(src, "1") == 0,
                               0, NULL, &d);
    if (!j)
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    return reply_json(r, j);
}

static const char *jtext(ipl_api_req *r, const cJSON *j, const char *key, int *bad)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!x || cJSON_IsNull(x))
        return NULL;
    if (!cJSON_IsString(x)) {
        *bad = 1;
        ipl_api_error(r, 400, key, "'%s' must be a string", key);
        return NULL;
    }
    return x->valuestring;
}

static int h_post(void *arg, ipl_api_req *r)
{
    size_t len;
    const char *body = ipl_api_body(r, &len);
    ipl_diag d = {0};
    int bad = 0;
    (void)arg;
    if (len > BODY_MAX)
        return ipl_api_error(r, 413, NULL, "body over %d bytes", BODY_MAX);
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return ipl_api_error(r, 400, NULL, "the body must be a JSON object");
    }
    static const char *const known[] = {"action", "name", "type", "vendor", "address", "managed",
                                        "owner", "description", "fields", "groups", "probe",
                                        "probe_name"};
    const cJSON *x;
    cJSON_ArrayForEach(x, j) {
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(x->string, known[k]) != 0)
            k++;
        if (k == sizeof known / sizeof known[0]) {
            ipl_api_error(r, 400, x->string, "unknown key '%.64s'", x->string);
            cJSON_Delete(j);
            return IPL_EINVAL;
        }
    }
    ipl_srv_change c;
    memset(&c, 0, sizeof c);
    const char *action = jtext(r, j, "action", &bad);
    c.action = !action || strcmp(action, "add") == 0 ? IPL_SRV_ADD
             : strcmp(action, "edit") == 0           ? IPL_SRV_EDIT
                                                     : -1;
    char types[128] = "";
    const char *fields[IPL_SRV_FIELDS_MAX + 1], *groups[IPL_SRV_FIELDS_MAX + 1];
    char fbuf[IPL_SRV_FIELDS_MAX + 1][IPL_SRV_TEXT_MAX + 80];
    if (!bad)
        c.name = jtext(r, j, "name", &bad);
    if (!bad && c.action < 0) {
        bad = 1;
        ipl_api_error(r, 400, "action", "action must be add or edit (DELETE removes)");
    }
    if (!bad && !c.name) {
        bad = 1;
        ipl_api_error(r, 400, "name", "give \"name\"");
    }
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
    if (!bad && ty) {
        if (cJSON_IsString(ty))
            snprintf(types, sizeof types, "%s", ty->valuestring);
        else if (cJSON_IsArray(ty)) {
            size_t w = 0;
            cJSON_ArrayForEach(x, ty) {
                if (!cJSON_IsString(x) || w >= sizeof types - 1) {
                    bad = 1;
                    break;
                }
                w += (size_t)snprintf(types + w, sizeof types - w, "%s%s", w ? "," : "",
                                      x->valuestring);
            }
        } else {
            bad = 1;
        }
        if (bad)
            ipl_api_error(r, 400, "type", "'type' must be a string or an array of strings");
        c.types = types;
    }
    if (!bad) c.vendor = jtext(r, j, "vendor", &bad);
    if (!bad) c.address = jtext(r, j, "address", &bad);
    if (!bad) c.owner = jtext(r, j, "owner", &bad);
    if (!bad) c.description = jtext(r, j, "description", &bad);
    if (!bad) c.probe = jtext(r, j, "probe", &bad);
    if (!bad) c.probe_name = jtext(r, j, "probe_name", &bad);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "managed");
    c.managed = -1;
    /* every answered error above set bad: nothing below answers twice */
    if (!bad && m) {
        if (!cJSON_IsBool(m)) {
            bad = 1;
            ipl_api_error(r, 400, "managed", "'managed' must be true or false");
        }
        c.managed = cJSON_IsTrue(m);
    }
    const cJSON *fo = cJSON_GetObjectItemCaseSensitive(j, "fields");
    if (!bad && fo) {
        if (!cJSON_IsObject(fo) || cJSON_GetArraySize(fo) > IPL_SRV_FIELDS_MAX) {
            bad = 1;
            ipl_api_error(r, 400, "fields", "'fields' must be an object of at most %d strings",
                          IPL_SRV_FIELDS_MAX);
        }
        cJSON_ArrayForEach(x, fo) {
            if (bad)
                break;
            if (!(cJSON_IsString(x) || cJSON_IsNull(x)) ||
                strlen(x->string) + (cJSON_IsString(x) ? strlen(x->valuestring) : 0) + 2 >
                    sizeof fbuf[0]) {
                bad = 1;
                ipl_api_error(r, 400, "fields", "field '%.64s' must be a string (null removes it)",
                              x->string);
                break;
            }
            snprintf(fbuf[c.nfields], sizeof fbuf[0], "%s=%s", x->string,
                     cJSON_IsString(x) ? x->valuestring : "");
            fields[c.nfields] = fbuf[c.nfields];
            c.nfields++;
        }
        c.fields = fields;
    }
    const cJSON *go = cJSON_GetObjectItemCaseSensitive(j, "groups");
    if (!bad && go) {
        if (!cJSON_IsArray(go) || cJSON_GetArraySize(go) > IPL_SRV_FIELDS_MAX) {
            bad = 1;
            ipl_api_error(r, 400, "groups", "'groups' must be an array of at most %d strings",
                          IPL_SRV_FIELDS_MAX);
        }
        cJSON_ArrayForEach(x, go) {
            if (bad)
                break;
            if (!cJSON_IsString(x)) {
                bad = 1;
                ipl_api_error(r, 400, "groups", "'groups' must hold strings");
                break;
            }
            groups[c.ngroups++] = x->valuestring;
        }
        c.groups = groups;
    }
    if (bad) {
        cJSON_Delete(j);
        return IPL_EINVAL;
    }
    ipl_srv_actor a;
    snprintf(a.principal, sizeof a.principal, "%s", ipl_api_principal(r)->name);
    a.now = ipl_api_now(r);
    uint64_t seq = 0;
    char *json = NULL;
    ipl_api_flush(r);
    int err = ipl_srv_apply(ipl_server_store(ctx0.s), &a, &c, &seq, &json, &d);
    cJSON_Delete(j);
    if (err)
        return ipl_api_error(r, err == IPL_EEXIST ? 409 : err == IPL_ENOTFOUND ? 404
                                : err == IPL_EINVAL || err == IPL_ELIMIT ? 400 : 500,
                             "name", "%s", d.msg);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "event_seq", (double)seq);
    if (json)
        cJSON_AddItemToObject(out, "entry", cJSON_Parse(json));
    free(json);
    return reply_json(r, out);
}

static int h_delete(void *arg, ipl_api_req *r)
{
    ipl_diag d = {0};
    const char *name = ipl_api_param(r, "name");
    (void)arg;
    if (!name || !*name)
        return ipl_api_error(r, 400, "name", "give name=SERVER");
    ipl_srv_change c;
    memset(&c, 0, sizeof c);
    c.action = IPL_SRV_REMOVE;
    c.name = name;
    c.managed = -1;
    ipl_srv_actor a;
    snprintf(a.principal, sizeof a.principal, "%s", ipl_api_principal(r)->name);
    a.now = ipl_api_now(r);
    uint64_t seq = 0;
    ipl_api_flush(r);
    int err = ipl_srv_apply(ipl_server_store(ctx0.s), &a, &c, &seq, NULL, &d);
    if (err)
        return ipl_api_error(r, err == IPL_ENOTFOUND ? 404 : err == IPL_EINVAL ? 400 : 500, "name",
                             "%s", d.msg);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "removed", name);
    cJSON_AddNumberToObject(out, "event_seq", (double)seq);
    return reply_json(r, out);
}

/* evdns logs a line for each failed nameserver: the probe's result already says it */
static void evdns_quiet(int is_warning, const char *msg)
{
    (void)is_warning;
    (void)msg;
}

int serve_routes_servers(struct ipl_server *s, ipl_store *st, ipl_diag *d)
{
    srvctx *c = &ctx0;
    evdns_set_log_fn(evdns_quiet);
    (void)st;
    memset(c, 0, sizeof *c);
    c->s = s;
    c->base = ipl_server_base(s);
    c->passive_us = env_ms("IPLEDGER_SERVERS_PASSIVE_MS", 60000);
    c->probe_us = env_ms("IPLEDGER_SERVERS_PROBE_MS", 30000);
    c->timeout_us = env_ms("IPLEDGER_SERVERS_TIMEOUT_MS", 2000);
    const ipl_api_route routes[] = {
        {"GET", "/api/v1/servers", IPL_PERM_READ, h_list, NULL, 0},
        {"GET", "/api/v1/servers/show", IPL_PERM_READ, h_show, NULL, 0},
        {"GET", "/api/v1/servers/health", IPL_PERM_READ, h_health, NULL, 0},
        {"POST", "/api/v1/servers", IPL_PERM_MSM, h_post, NULL, 0},
        {"DELETE", "/api/v1/servers", IPL_PERM_MSM, h_delete, NULL, 0},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int err = ipl_server_route(s, &routes[i], d);
        if (err)
            return err;
    }
    c->passive_ev = event_new(c->base, -1, EV_PERSIST, passive_tick, c);
    c->probe_ev = event_new(c->base, -1, EV_PERSIST, probe_tick, c);
    if (!c->passive_ev || !c->probe_ev)
        return ipl_diag_set(d, IPL_ENOMEM, "cannot create the inventory timers");
    struct timeval tp = tv_of(c->passive_us), tq = tv_of(c->probe_us), zero = {0, 1000};
    event_add(c->passive_ev, &tp);
    event_add(c->probe_ev, &tq);
    /* a first probe round right away (then every period) */
    event_base_once(c->base, -1, EV_TIMEOUT, probe_tick, c, &zero);
    return IPL_OK;
}
