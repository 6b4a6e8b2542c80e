/* tools/cli/cmd_serve.c — `ipledger serve` (the daemon), `ipledger tail` (its live stream) and
 * `ipledger token` (bearer tokens, custom roles, access scopes).
 *
 * serve wires the layers the engine may not see: the parser registry (for /api/v1/ingest, the
 * syslog listener and file follow) and the query routes (/api/v1/events, who, track, query),
 * which turn request parameters into calls on queries/ and stream rows through queries/output.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "tools/cli/cli.h"
#include "engine/geoip.h"
#include "engine/addr.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "queries/lookup.h"
#include "queries/ql.h"
#include "queries/track.h"
#include "retention/audit.h"
#include "retention/hold.h"
#include "retention/purge.h"

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- query routes ---- */
static int param_time(ipl_api_req *r, const char *name, int64_t *us, int required)
{
    const char *v = ipl_api_param(r, name);
    ipl_diag d = {0};
    if (!v) {
        if (required)
            return ipl_api_error(r, 400, name, "give %s=TIME", name);
        return IPL_ENOTFOUND;
    }
    size_t n = strlen(v);
    int err = (v[0] == '-' || v[0] == '+' || strncmp(v, "now", 3) == 0)
                  ? ipl_time_parse_relative(v, n, ipl_api_now(r), us, &d)
                  : ipl_time_parse(v, n, NULL, us, &d);
    if (err)
        return ipl_api_error(r, 400, name, "%s", d.msg);
    return IPL_OK;
}

static int out_format(ipl_api_req *r, ipl_out_format *f)
{
    const char *v = ipl_api_param(r, "format");
    *f = IPL_OUT_NDJSON;
    if (v && (ipl_out_format_parse(v, f) || *f == IPL_OUT_TABLE))
        return ipl_api_error(r, 400, "format", "format must be json, ndjson or csv");
    return IPL_OK;
}

static const char *ctype(ipl_out_format f)
{
    return f == IPL_OUT_JSON ? "application/json" : f == IPL_OUT_CSV ? "text/csv" : "application/x-ndjson";
}

/* The selector parameter: exactly one of ip, mac, host, user. */
static int param_selector(ipl_api_req *r, ipl_index *ix, const char **value)
{
    static const struct { const char *name; ipl_index ix; } sel[] = {
        {"ip", IPL_IX_IP}, {"mac", IPL_IX_MAC}, {"host", IPL_IX_HOST}, {"user", IPL_IX_USER}};
    int n = 0;
    for (size_t i = 0; i < 4; i++) {
        const char *v = ipl_api_param(r, sel[i].name);
        if (v) {
            *ix = sel[i].ix;
            *value = v;
            n++;
        }
    }
    if (n != 1)
        return ipl_api_error(r, 400, "ip", "give exactly one of ip, mac, host, user");
    return IPL_OK;
}

/* A scoped principal may name an address (or prefix) only inside its scope. */
static int check_ip_scope(ipl_api_req *r, const char *value)
{
    const ipl_principal *p = ipl_api_principal(r);
    ipl_prefix px;
    if (p->global)
        return IPL_OK;
    if (ipl_prefix_parse(value, strlen(value), 1, &px))
        return ipl_api_error(r, 400, "ip", "'%.64s' is not an address or prefix", value);
    if (!ipl_principal_sees(p, px.lo) || !ipl_principal_sees(p, px.hi))
        return ipl_api_deny(r, "ip", "'%.64s' is outside scope '%s'", value, p->scope);
    return IPL_OK;
}

struct ev_ctx { ipl_api_req *r; ipl_out *o; ipl_arena a; const ipl_principal *p; };

static int ev_row(void *ctx, const ipl_event *ev)
{
    struct ev_ctx *c = ctx;
    if (!c->p->global && (!ev->has_ip || !ipl_principal_sees(c->p, ev->ip)))
        return IPL_OK;
    const char *vals[64];
    ipl_arena_clear(&c->a);
    int err = ipl_event_row(ev, 1, &c->a, vals);
    if (!err && ipl_out_row(c->o, vals))
        err = IPL_EIO;
    return err;
}

static int h_events(void *ctx, ipl_api_req *r)
{
    ipl_index ix = IPL_IX_IP;
    const char *value = NULL;
    ipl_out_format f;
    int64_t from = INT64_MIN, to = INT64_MAX;
    if (param_selector(r, &ix, &value) || out_format(r, &f))
        return IPL_EINVAL;
    if (param_time(r, "from", &from, 0) == IPL_EINVAL || param_time(r, "to", &to, 0) == IPL_EINVAL)
        return IPL_EINVAL;
    if (ix == IPL_IX_IP && check_ip_scope(r, value))
        return IPL_EINVAL;
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    ipl_selector sel;
    if (!t || ipl_selector_make(t, ix, value, &sel, &d))
        return ipl_api_error(r, 400, ix == IPL_IX_IP ? "ip" : ix == IPL_IX_MAC ? "mac" : ix == IPL_IX_HOST ? "host" : "user",
                             "%s", d.msg);
    struct ev_ctx c = {r, NULL, {0}, ipl_api_principal(r)};
    ipl_arena_init(&c.a, (size_t)1 << 20);
    int err = ipl_out_new(&c.o, f, ipl_event_cols, ipl_event_ncols, ipl_api_write, r);
    if (!err) {
        ipl_api_begin(r, ctype(f));
        err = ipl_events_scan(t, &sel, from, to, ev_row, &c, &d);
        if (err)
            ipl_api_abort(r, d.msg[0] ? d.msg : "response limit reached or client gone");
        else
            ipl_out_end(c.o);
    }
    ipl_out_free(c.o);
    ipl_arena_release(&c.a);
    return err ? IPL_EIO : ipl_api_end(r);
}

static void add_str(char *buf, size_t cap, size_t *off, const char *k, const char *v)
{
    char e[1024];
    int n;
    if (v) {
        ipl_json_escape(v, strlen(v), e, sizeof e);
        n = snprintf(buf + *off, cap - *off, ",\"%s\":\"%s\"", k, e);
    } else {
        n = snprintf(buf + *off, cap - *off, ",\"%s\":null", k);
    }
    if (n > 0 && *off + (size_t)n < cap)
        *off += (size_t)n;
}

static int h_who(void *ctx, ipl_api_req *r)
{
    const char *ipt = ipl_api_param(r, "ip");
    int64_t at;
    uint8_t ip[16];
    if (!ipt)
        return ipl_api_error(r, 400, "ip", "give ip=ADDRESS");
    if (ipl_ip_parse(ipt, strlen(ipt), ip))
        return ipl_api_error(r, 400, "ip", "'%.64s' is not an IPv4 or IPv6 address", ipt);
    if (param_time(r, "at", &at, 1) || check_ip_scope(r, ipt))
        return IPL_EINVAL;
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    ipl_arena a;
    ipl_arena_init(&a, (size_t)1 << 20);
    ipl_who w;
    int err = t ? ipl_who_at(t, ip, at, &a, &w, &d) : IPL_ESTORE;
    if (err) {
        ipl_arena_release(&a);
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    }
    char ipb[IPL_IP_TEXT], atb[IPL_TIME_BUF], sb[IPL_TIME_BUF], eb[IPL_TIME_BUF];
    ipl_ip_format(ip, ipb, sizeof ipb);
    ipl_time_format(at, atb, sizeof atb);
    ipl_api_begin(r, "application/json");
    char buf[8192];
    size_t off = 0;
#define ADD(...) do { int n_ = snprintf(buf + off, sizeof buf - off, __VA_ARGS__); \
                      if (n_ > 0 && off + (size_t)n_ < sizeof buf) off += (size_t)n_; } while (0)
#define STR(k, v) add_str(buf, sizeof buf, &off, k, v)
    ADD("{\"ip\":\"%s\",\"at\":\"%s\",\"state\":\"%s\"", ipb, atb, w.held ? "held" : "nobody");
    STR("mac", w.mac);
    STR("duid", w.duid);
    STR("host", w.host);
    STR("server", w.server);
    if (w.held) {
        ipl_time_format(w.start, sb, sizeof sb);
        STR("lease_start", sb);
        if (w.end)
            ipl_time_format(w.end, eb, sizeof eb);
        STR("lease_end", w.end ? eb : NULL);
    }
    STR("end_reason", w.end_reason);
    STR("note", w.note);
    ADD(",\"evidence\":[");
    for (int i = 0; i < w.nevidence; i++)
        ADD("%s%llu", i ? "," : "", (unsigned long long)w.evidence[i]);
    ADD("]}\n");
#undef STR
#undef ADD
    ipl_api_write(r, buf, off);
    ipl_arena_release(&a);
    return ipl_api_end(r);
}

struct tr_ctx { ipl_out *o; ipl_arena *a; const ipl_principal *p; };

static int tr_row(void *ctx, const ipl_track_row *row)
{
    struct tr_ctx *c = ctx;
    if (!c->p->global && !ipl_principal_sees(c->p, row->ip))
        return IPL_OK;
    const char *vals[64];
    int err = ipl_track_row_values(row, c->a, vals);
    if (!err && ipl_out_row(c->o, vals))
        err = IPL_EIO;
    return err;
}

static int h_track(void *ctx, ipl_api_req *r)
{
    ipl_index ix = IPL_IX_IP;
    const char *value = NULL;
    ipl_out_format f;
    ipl_track_opts to;
    memset(&to, 0, sizeof to);
    if (param_selector(r, &ix, &value) || out_format(r, &f))
        return IPL_EINVAL;
    int rc = param_time(r, "at", &to.from, 0);
    if (rc == IPL_EINVAL)
        return rc;
    if (rc == IPL_OK) {
        to.to = to.from;
    } else if (param_time(r, "from", &to.from, 1) || param_time(r, "to", &to.to, 1)) {
        return IPL_EINVAL;
    }
    if (ix == IPL_IX_IP && check_ip_scope(r, value))
        return IPL_EINVAL;
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    if (!t)
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    ipl_arena a;
    ipl_arena_init(&a, (size_t)16 << 20);
    struct tr_ctx c = {NULL, &a, ipl_api_principal(r)};
    int err = ipl_out_new(&c.o, f, ipl_track_cols, ipl_track_ncols, ipl_api_write, r);
    if (!err) {
        ipl_api_begin(r, ctype(f));
        err = ipl_track(t, ix, value, &to, tr_row, &c, &a, &d);
        if (err)
            ipl_api_abort(r, d.msg[0] ? d.msg : "response limit reached or client gone");
        else
            ipl_out_end(c.o);
    }
    ipl_out_free(c.o);
    ipl_arena_release(&a);
    return err ? IPL_EIO : ipl_api_end(r);
}

struct ql_ctx { ipl_out *o; const ipl_principal *p; long ipcol; };

static int ql_row_fn(void *ctx, const char *const *vals)
{
    struct ql_ctx *c = ctx;
    if (!c->p->global) {
        uint8_t ip[16];
        const char *v = c->ipcol >= 0 ? vals[c->ipcol] : NULL;
        if (!v || ipl_ip_parse(v, strlen(v), ip) || !ipl_principal_sees(c->p, ip))
            return IPL_OK;      /* rows without an address in scope are not shown */
    }
    return ipl_out_row(c->o, vals) ? IPL_EIO : IPL_OK;
}

static int h_query(void *ctx, ipl_api_req *r)
{
    const char *q = ipl_api_param(r, "q");
    ipl_out_format f;
    if (!q)
        return ipl_api_error(r, 400, "q", "give q=QUERY (docs/query-language.md)");
    if (out_format(r, &f))
        return IPL_EINVAL;
    ipl_diag d = {0};
    ipl_ql_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.now = ipl_api_now(r);
    ipl_ql *ql = NULL;
    if (ipl_ql_compile(&ql, q, strlen(q), &qo, &d))
        return ipl_api_error(r, 400, "q", "%s", d.msg);
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    size_t ncols;
    const ipl_col *cols = ipl_ql_cols(ql, &ncols);
    struct ql_ctx c = {NULL, ipl_api_principal(r), -1};
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, "ip") == 0)
            c.ipcol = (long)i;
    int err = t ? ipl_ql_prepare(ql, t, &d) : IPL_ESTORE;
    if (err) {
        ipl_ql_free(ql);
        return ipl_api_error(r, 400, "q", "%s", d.msg);
    }
    if (!(err = ipl_out_new(&c.o, f, cols, ncols, ipl_api_write, r))) {
        ipl_api_begin(r, ctype(f));
        err = ipl_ql_run(ql, t, f != IPL_OUT_CSV, ql_row_fn, &c, &d);
        if (err)
            ipl_api_abort(r, d.msg[0] ? d.msg : "response limit reached or client gone");
        else
            ipl_out_end(c.o);
    }
    ipl_out_free(c.o);
    ipl_ql_free(ql);
    return err ? IPL_EIO : ipl_api_end(r);
}


/* ---- retention: purge (dry run by default) and legal holds. Both commit through retention's
 * own transactions (the store's writer lock orders them with the server's writer thread).
 * A purge is an async route (IPL_API_ASYNC): it runs on the server's worker thread, so the loop
 * keeps answering, reading syslog and committing ingest between the purge's bounded delete
 * transactions; it is answered once, at its end. Holds stay synchronous on the loop: one short
 * transaction each, and a hold added while a purge runs must not wait behind it (it protects
 * from the purge's next step on: hold.lock). ---- */
static void api_actor(ipl_api_req *r, ipl_actor *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->principal, sizeof a->principal, "%s", ipl_api_principal(r)->name);
    snprintf(a->host, sizeof a->host, "ipledger-serve");
}

/* "a,b,c" -> up to max pointers into buf (a copy). */
static size_t split_list(const char *v, char *buf, size_t cap, const char **out, size_t max)
{
    size_t n = 0;
    if (!v || !*v)
        return 0;
    snprintf(buf, cap, "%s", v);
    for (char *p = buf; p && *p && n < max;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (*p)
            out[n++] = p;
        p = c ? c + 1 : NULL;
    }
    return n;
}

static int h_purge(void *ctx, ipl_api_req *r)
{
    const ipl_principal *p = ipl_api_principal(r);
    if (!p->global)
        return ipl_api_deny(r, "scope", "purge needs a \\Global principal (scope is '%s')", p->scope);
    ipl_criteria_args ca;
    memset(&ca, 0, sizeof ca);
    ca.after = INT64_MIN;
    ca.now = ipl_api_now(r);
    if (param_time(r, "before", &ca.before, 1))
        return IPL_EINVAL;
    if (param_time(r, "after", &ca.after, 0) == IPL_EINVAL)
        return IPL_EINVAL;
    char kb[2048], sb[2048];
    const char *kinds[IPL_PURGE_PATTERNS_MAX], *sources[IPL_PURGE_PATTERNS_MAX];
    ca.nkinds = split_list(ipl_api_param(r, "kind"), kb, sizeof kb, kinds, IPL_PURGE_PATTERNS_MAX);
    ca.kinds = kinds;
    ca.nsources = split_list(ipl_api_param(r, "source"), sb, sizeof sb, sources, IPL_PURGE_PATTERNS_MAX);
    ca.sources = sources;
    ipl_diag d = {0};
    char *crit = NULL;
    if (ipl_criteria_make(&ca, &crit, &d))
        return ipl_api_error(r, 400, "before", "%s", d.msg);
    const char *apply = ipl_api_param(r, "apply"), *batch = ipl_api_param(r, "batch");
    ipl_actor a;
    api_actor(r, &a);
    ipl_purge_opts po;
    memset(&po, 0, sizeof po);
    if (batch) {         /* as `ipledger purge --batch`: events per delete transaction, fixed */
        char *e;
        errno = 0;
        long n = strtol(batch, &e, 10);
        if (errno || e == batch || *e || n < 1 || n > IPL_PURGE_SPAN_MAX) {
            free(crit);
            return ipl_api_error(r, 400, "batch", "batch must be a number from 1 to %d", IPL_PURGE_SPAN_MAX);
        }
        po.batch = (size_t)n;
        po.fixed_batch = 1;
    }
    po.criteria = crit;
    po.dry_run = !(apply && strcmp(apply, "1") == 0);
    po.reason = ipl_api_param(r, "reason");
    po.actor = &a;
    po.stop = ipl_api_stop_flag(r);
    ipl_purge_report rep;
    memset(&rep, 0, sizeof rep);
    ipl_api_flush(r);
    int err = ipl_purge_run((ipl_store *)ctx, &po, &rep, &d);
    free(crit);
    if (err) {
        ipl_purge_report_release(&rep);
        return ipl_api_error(r, err == IPL_EBUSY ? 409 : 500, NULL, "%s", d.msg);
    }
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "{\"dry_run\":%s,\"stopped\":%s,\"examined\":%llu,\"count\":%llu,\"bytes\":%llu,\"held\":%llu,"
                     "\"digest\":\"%s\",\"event_seq\":%llu}\n",
                     rep.dry_run ? "true" : "false", rep.stopped ? "true" : "false", (unsigned long long)rep.examined,
                     (unsigned long long)rep.count, (unsigned long long)rep.bytes,
                     (unsigned long long)rep.held_total, rep.digest, (unsigned long long)rep.event_seq);
    ipl_purge_report_release(&rep);
    ipl_api_begin(r, "application/json");
    ipl_api_write(r, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
    return ipl_api_end(r);
}

static int hold_fn(void *ctx, const ipl_hold *h)
{
    ipl_api_req *r = ctx;
    char v[2 * IPL_HOLD_VALUE_MAX + 8], re[2 * IPL_HOLD_REASON_MAX + 8], pr[600], cb[IPL_TIME_BUF], ub[IPL_TIME_BUF];
    char line[8192];
    ipl_json_escape(h->value, strlen(h->value), v, sizeof v);
    ipl_json_escape(h->reason, strlen(h->reason), re, sizeof re);
    ipl_json_escape(h->principal, strlen(h->principal), pr, sizeof pr);
    ipl_time_format(h->created, cb, sizeof cb);
    if (h->until)
        ipl_time_format(h->until, ub, sizeof ub);
    int n = snprintf(line, sizeof line,
                     "{\"id\":%u,\"by\":\"%s\",\"value\":\"%s\",\"reason\":\"%s\",\"principal\":\"%s\","
                     "\"created\":\"%s\",\"until\":%s%s%s}\n",
                     h->id, ipl_hold_by_name(h->by), v, re, pr, cb, h->until ? "\"" : "",
                     h->until ? ub : "null", h->until ? "\"" : "");
    if (n > 0 && (size_t)n < sizeof line && ipl_api_write(r, line, (size_t)n) < 0)
        return 1;
    return 0;
}

static int h_holds_get(void *ctx, ipl_api_req *r)
{
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(r, &d);
    if (!t)
        return ipl_api_error(r, 500, NULL, "%s", d.msg);
    ipl_api_begin(r, "application/x-ndjson");
    if (ipl_hold_list(t, hold_fn, r, &d) < 0)
        return ipl_api_abort(r, d.msg);
    return ipl_api_end(r);
}

static int h_holds_post(void *ctx, ipl_api_req *r)
{
    static const char *const byname[] = {"ip", "mac", "host", "user", "where"};
    ipl_hold h;
    memset(&h, 0, sizeof h);
    const char *by = ipl_api_param(r, "by"), *value = ipl_api_param(r, "value");
    const char *reason = ipl_api_param(r, "reason");
    size_t i;
    for (i = 0; by && i < 5; i++)
        if (strcmp(by, byname[i]) == 0)
            break;
    if (!by || i == 5)
        return ipl_api_error(r, 400, "by", "by must be ip, mac, host, user or where");
    if (!value || strlen(value) > IPL_HOLD_VALUE_MAX)
        return ipl_api_error(r, 400, "value", "give value= (at most %d bytes)", IPL_HOLD_VALUE_MAX);
    if (!reason || strlen(reason) > IPL_HOLD_REASON_MAX)
        return ipl_api_error(r, 400, "reason", "give reason= (at most %d bytes)", IPL_HOLD_REASON_MAX);
    if (i == 0 && check_ip_scope(r, value))
        return IPL_EINVAL;
    if (i != 0 && !ipl_api_principal(r)->global)
        return ipl_api_deny(r, "by", "a scoped principal holds by ip only");
    h.by = (ipl_hold_by)i;
    snprintf(h.value, sizeof h.value, "%s", value);
    snprintf(h.reason, sizeof h.reason, "%s", reason);
    if (param_time(r, "until", &h.until, 0) == IPL_EINVAL)
        return IPL_EINVAL;
    ipl_actor a;
    api_actor(r, &a);
    ipl_diag d = {0};
    uint64_t seq = 0;
    ipl_api_flush(r);
    if (ipl_hold_add((ipl_store *)ctx, &a, &h, &seq, &d))
        return ipl_api_error(r, 400, "value", "%s", d.msg);
    char buf[256];
    int n = snprintf(buf, sizeof buf, "{\"id\":%u,\"event_seq\":%llu}\n", h.id, (unsigned long long)seq);
    ipl_api_begin(r, "application/json");
    ipl_api_write(r, buf, (size_t)n);
    return ipl_api_end(r);
}

static int h_holds_delete(void *ctx, ipl_api_req *r)
{
    const char *id = ipl_api_param(r, "id");
    char *end = NULL;
    unsigned long v = id ? strtoul(id, &end, 10) : 0;
    if (!id || *end || end == id || v == 0 || v > UINT32_MAX)
        return ipl_api_error(r, 400, "id", "give id=N (a hold id)");
    ipl_actor a;
    api_actor(r, &a);
    ipl_diag d = {0};
    uint64_t seq = 0;
    ipl_api_flush(r);
    int err = ipl_hold_remove((ipl_store *)ctx, &a, (uint32_t)v, ipl_api_param(r, "reason"), &seq, &d);
    if (err)
        return ipl_api_error(r, err == IPL_ENOTFOUND ? 404 : 500, "id", "%s", d.msg);
    char buf[128];
    int n = snprintf(buf, sizeof buf, "{\"removed\":%lu,\"event_seq\":%llu}\n", v, (unsigned long long)seq);
    ipl_api_begin(r, "application/json");
    ipl_api_write(r, buf, (size_t)n);
    return ipl_api_end(r);
}

/* ---- serve ---- */
static FILE *log_file;
static const char *log_path;

static void serve_log(void *ctx, const char *line)
{
    if (!line) {                        /* SIGHUP: reopen */
        if (log_path) {
            FILE *f = fopen(log_path, "a");
            if (f) {
                if (log_file && log_file != stderr)
                    fclose(log_file);
                log_file = f;
            }
        }
        return;
    }
    char tb[IPL_TIME_BUF];
    ipl_time_format(wall_us(), tb, sizeof tb);
    fprintf(log_file ? log_file : stderr, "%s ipledger serve: %s\n", tb, line);
    fflush(log_file ? log_file : stderr);
}

/* ---- the tail's q=: the query language, one event at a time ---- */
typedef struct tail_q {
    ipl_ql *q;
    ipl_ql_matcher *m;
} tail_q;

static void tail_q_release(void *f)
{
    tail_q *x = f;
    if (!x)
        return;
    ipl_ql_matcher_free(x->m);
    ipl_ql_free(x->q);
    free(x);
}

static int tail_q_compile(const char *text, int64_t now, void **filter, uint8_t kinds[256],
                          ipl_diag *d)
{
    tail_q *x = calloc(1, sizeof *x);
    ipl_ql_opts o;
    memset(&o, 0, sizeof o);
    o.now = now;
    o.name = "q";
    *filter = NULL;
    if (!x)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err = ipl_ql_compile(&x->q, text, strlen(text), &o, d);
    if (!err)
        err = ipl_ql_matcher_new(x->q, &x->m, d);
    if (err) {
        tail_q_release(x);
        return err;
    }
    ipl_ql_matcher_kinds(x->m, kinds);
    *filter = x;
    return IPL_OK;
}

static int tail_q_test(void *f, ipl_rtxn *t, const ipl_rawev *ev, int *match, ipl_diag *d)
{
    tail_q *x = f;
    return ipl_ql_matcher_test(x->m, t, ev, match, d);
}

static const ipl_tail_filter_ops tail_ql = {tail_q_compile, tail_q_test, tail_q_release};

int cmd_serve(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"config", 1, "FILE  JSON configuration (docs/api.md); options below override it", NULL, {0}, 0},
        {"check", 0, "validate the configuration, naming the line of each error, and exit", NULL, {0}, 0},
        {"listen", 1, "HOST:PORT  HTTP listen address (default 127.0.0.1:8470)", NULL, {0}, 0},
        {"syslog-udp", 1, "HOST:PORT  receive syslog over UDP", NULL, {0}, 0},
        {"syslog-tcp", 1, "HOST:PORT  receive syslog over TCP (octet counting or LF framing)", NULL, {0}, 0},
        {"follow", 1, "PATH  follow a file or directory (repeatable; format auto)", NULL, {0}, 0},
        {"tls-cert", 1, "FILE  TLS certificate chain, PEM (builds with IPL_HAVE_TLS; else refused)", NULL, {0}, 0},
        {"tls-key", 1, "FILE  TLS private key, PEM", NULL, {0}, 0},
        {"log", 1, "FILE  log here (reopened on SIGHUP) instead of stderr", NULL, {0}, 0},
        {"geoip-db", 1, "FILE  MMDB database for country/ASN of logon and RADIUS client addresses "
                        "(repeatable; added after the config's geoip_db)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("serve", "ipledger serve [--config FILE] [--listen 127.0.0.1:8470] [--tls-cert C --tls-key K] [--check]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    static ipl_server_conf conf;
    char errs[8192];
    ipl_server_conf_defaults(&conf);
    const char *cfg = ipl_arg(&a, "config");
    if (cfg && ipl_server_conf_load(&conf, cfg, errs, sizeof errs)) {
        fputs(errs, stderr);
        return 2;
    }
    if (ipl_arg_flag(&a, "check")) {
        if (!cfg)
            return cli_fail("serve", 2, "--check needs --config FILE");
        printf("%s: ok\n", cfg);
        return 0;
    }
#define OVR(opt, field) do { const char *v_ = ipl_arg(&a, opt); \
        if (v_) snprintf(conf.field, sizeof conf.field, "%s", v_); } while (0)
    OVR("listen", listen);
    OVR("syslog-udp", syslog_udp);
    OVR("syslog-tcp", syslog_tcp);
    OVR("tls-cert", tls_cert);
    OVR("tls-key", tls_key);
    OVR("log", log);
    OVR("store", store);
#undef OVR
    for (int i = 0; i < opts[6].count && conf.nfollow < IPL_FOLLOW_MAX; i++) {
        ipl_follow_conf *f = &conf.follow[conf.nfollow++];
        memset(f, 0, sizeof f[0]);
        snprintf(f->path, sizeof f->path, "%s", opts[6].values[i]);
        snprintf(f->format, sizeof f->format, "auto");
    }
    if (conf.log[0]) {
        log_path = conf.log;
        if (!(log_file = fopen(log_path, "a")))
            return cli_fail("serve", 1, "cannot open log '%s': %s", log_path, strerror(errno));
    }
    const ipl_opt *geo_opt = &opts[10];
    for (int i = 0; i < geo_opt->count && i < 64; i++) {
        if (conf.ngeoip >= IPL_GEOIP_CONF_MAX)
            return cli_fail("serve", 2, "--geoip-db: at most %d files with the config's", IPL_GEOIP_CONF_MAX);
        snprintf(conf.geoip_db[conf.ngeoip++], sizeof conf.geoip_db[0], "%s", geo_opt->values[i]);
    }
    const char *geo_files[IPL_GEOIP_CONF_MAX];
    for (size_t i = 0; i < conf.ngeoip; i++)
        geo_files[i] = conf.geoip_db[i];
    ipl_store *st = NULL;
    ipl_diag d = {0};
    if (ipl_store_open(&st, ipl_store_default_dir(conf.store[0] ? conf.store : NULL), IPL_STORE_CREATE, &d))
        return cli_fail("serve", 1, "%s", d.msg);
    struct ipl_geoip *geo = cli_geoip_open(geo_files, conf.ngeoip, serve_log, NULL);
    size_t ncand;
    ipl_server_opts so;
    memset(&so, 0, sizeof so);
    so.conf = &conf;
    so.find_parser = ipl_parser_find;
    so.candidates = ipl_parsers(&ncand);
    so.ncandidates = ncand;
    so.config_path = cfg;
    so.tail_filter = &tail_ql;
    so.log = serve_log;
    so.geoip = geo;
    ipl_server *s = NULL;
    int err = ipl_server_new(&s, st, &so, &d);
    const ipl_api_route routes[] = {
        {"GET", "/api/v1/events", IPL_PERM_AUDIT, h_events, NULL, 0},
        {"GET", "/api/v1/who", IPL_PERM_AUDIT, h_who, NULL, 0},
        {"GET", "/api/v1/track", IPL_PERM_AUDIT, h_track, NULL, 0},
        {"GET", "/api/v1/query", IPL_PERM_AUDIT, h_query, NULL, 0},
        {"POST", "/api/v1/purge", IPL_PERM_PURGE, h_purge, st, IPL_API_ASYNC},
        {"GET", "/api/v1/holds", IPL_PERM_HOLD, h_holds_get, st, 0},
        {"POST", "/api/v1/holds", IPL_PERM_HOLD, h_holds_post, st, 0},
        {"DELETE", "/api/v1/holds", IPL_PERM_HOLD, h_holds_delete, st, 0},
    };
    for (size_t i = 0; !err && i < sizeof routes / sizeof routes[0]; i++)
        err = ipl_server_route(s, &routes[i], &d);
    if (!err)
        err = serve_routes_servers(s, st, &d);
    if (!err)
        err = serve_routes_report(s, st, &d);
    if (!err)
        err = serve_routes_console(s, st, &d);
    if (!err) {
        char line[256];
        snprintf(line, sizeof line, "listening on %s (port %d), store %s", conf.listen,
                 ipl_server_port(s), ipl_store_dir(st));
        serve_log(NULL, line);
        err = ipl_server_run(s, &d);
        serve_log(NULL, "stopped");
    }
    ipl_server_free(s);
    if (geo && ipl_geoip_stats_get(geo)->dropped)
        serve_log(NULL, ipl_geoip_stats_get(geo)->reason);
    ipl_geoip_free(geo);
    ipl_store_close(st);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    if (err)
        return cli_fail("serve", 1, "%s", d.msg);
    return 0;
}

/* ---- tail: an SSE client that reconnects with Last-Event-ID ---- */
typedef struct tail_cli {
    struct event_base *base;
    struct evhttp_connection *conn;
    char host[128];
    int port;
    char target[4200];
    const char *token;
    unsigned long long last;     /* last event id printed */
    long count, max;             /* events printed; stop after max (0 = never) */
    struct evbuffer *line;       /* partial SSE line */
    int failures, done, status;
} tail_cli;

static void tail_connect(tail_cli *c);

static void tail_line(tail_cli *c, const char *l, size_t n)
{
    if (n >= 4 && memcmp(l, "id: ", 4) == 0) {
        char tmp[32];
        size_t k = n - 4 < sizeof tmp - 1 ? n - 4 : sizeof tmp - 1;
        memcpy(tmp, l + 4, k);
        tmp[k] = '\0';
        c->last = strtoull(tmp, NULL, 10);
    } else if (n >= 6 && memcmp(l, "data: ", 6) == 0) {
        fwrite(l + 6, 1, n - 6, stdout);
        fputc('\n', stdout);
        if (c->max && ++c->count >= c->max) {
            c->done = 1;
            event_base_loopexit(c->base, NULL);
        }
    }
}

static void tail_chunk(struct evhttp_request *req, void *arg)
{
    tail_cli *c = arg;
    c->failures = 0;
    evbuffer_add_buffer(c->line, evhttp_request_get_input_buffer(req));
    /* the lines in place (no copy per line: at 100,000 events/s this client is on the same cores
     * as the server), then what was read is drained; a partial line waits for the next chunk */
    size_t len = evbuffer_get_length(c->line), used = 0;
    const char *buf = len ? (const char *)evbuffer_pullup(c->line, -1) : NULL;
    while (buf && used < len) {
        const char *nl = memchr(buf + used, '\n', len - used);
        if (!nl)
            break;
        size_t n = (size_t)(nl - (buf + used));
        if (!c->done)
            tail_line(c, buf + used, n && buf[used + n - 1] == '\r' ? n - 1 : n);
        used += n + 1;
    }
    evbuffer_drain(c->line, used);
    fflush(stdout);      /* once per chunk the server sent, not once per event */
    if (evbuffer_get_length(c->line) > 1 << 20)
        evbuffer_drain(c->line, evbuffer_get_length(c->line));
}

static void tail_retry(evutil_socket_t fd, short what, void *arg) { tail_connect(arg); }

static void tail_done(struct evhttp_request *req, void *arg)
{
    tail_cli *c = arg;
    if (c->done)
        return;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code >= 400) {
        struct evbuffer *b = evhttp_request_get_input_buffer(req);
        fprintf(stderr, "ipledger tail: HTTP %d: %.*s", code, (int)evbuffer_get_length(b),
                (const char *)evbuffer_pullup(b, -1));
        c->status = code == 401 || code == 403 ? 1 : 2;
        c->done = 1;
        event_base_loopexit(c->base, NULL);
        return;
    }
    /* disconnected: reconnect after a second, resuming after the last id */
    if (++c->failures > 600) {
        fprintf(stderr, "ipledger tail: server unreachable, giving up\n");
        c->status = 1;
        event_base_loopexit(c->base, NULL);
        return;
    }
    struct timeval tv = {1, 0};
    event_base_once(c->base, -1, EV_TIMEOUT, tail_retry, c, &tv);
}

static void tail_connect(tail_cli *c)
{
    if (c->conn)
        evhttp_connection_free(c->conn);
    evbuffer_drain(c->line, evbuffer_get_length(c->line));
    c->conn = evhttp_connection_base_new(c->base, NULL, c->host, (ev_uint16_t)c->port);
    struct evhttp_request *req = evhttp_request_new(tail_done, c);
    if (!c->conn || !req)
        return;
    evhttp_request_set_chunked_cb(req, tail_chunk);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char auth[128], id[32];
    snprintf(auth, sizeof auth, "Bearer %s", c->token);
    evhttp_add_header(h, "Host", c->host);
    evhttp_add_header(h, "Authorization", auth);
    evhttp_add_header(h, "Accept", "text/event-stream");
    if (c->last) {
        snprintf(id, sizeof id, "%llu", c->last);
        evhttp_add_header(h, "Last-Event-ID", id);
    }
    evhttp_make_request(c->conn, req, EVHTTP_REQ_GET, c->target);
}

int cmd_tail(int argc, char **argv)
{
    ipl_opt opts[] = {
        {"query", 1, "Q  what to follow: a query ('changes where user = \"CONTOSO\\\\bob\"', 'leases where ip in 10.1.0.0/16') or kinds (config.change (default), lease.*, *)", NULL, {0}, 0},
        {"url", 1, "U  server (default http://127.0.0.1:8470)", NULL, {0}, 0},
        {"token", 1, "T  bearer token (default $IPLEDGER_TOKEN)", NULL, {0}, 0},
        {"from", 1, "SEQ  start after this event sequence (default: new events only)", NULL, {0}, 0},
        {"count", 1, "N  exit after N events", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("tail", "ipledger tail [--query Q] [--url U] [--token T] [--from SEQ] [--count N]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    static tail_cli c;
    memset(&c, 0, sizeof c);
    c.token = ipl_arg(&a, "token") ? ipl_arg(&a, "token") : getenv("IPLEDGER_TOKEN");
    if (!c.token || strlen(c.token) > 100)
        return cli_fail("tail", 2, "give --token or set IPLEDGER_TOKEN");
    const char *url = ipl_arg(&a, "url") ? ipl_arg(&a, "url") : "http://127.0.0.1:8470";
    struct evhttp_uri *u = evhttp_uri_parse(url);
    if (!u || !evhttp_uri_get_host(u) || (evhttp_uri_get_scheme(u) && strcmp(evhttp_uri_get_scheme(u), "http"))) {
        evhttp_uri_free(u);
        return cli_fail("tail", 2, "--url: '%s' is not an http://HOST:PORT URL", url);
    }
    snprintf(c.host, sizeof c.host, "%s", evhttp_uri_get_host(u));
    c.port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
    evhttp_uri_free(u);
    const char *q = ipl_arg(&a, "query") ? ipl_arg(&a, "query") : "config.change";
    char *enc = evhttp_encode_uri(q);
    if (!enc || strlen(enc) > 4096) {
        free(enc);
        return cli_fail("tail", 2, "--query longer than 4096 bytes");
    }
    snprintf(c.target, sizeof c.target, "/api/v1/tail?q=%s", enc);
    free(enc);
    if (ipl_arg(&a, "from"))
        c.last = strtoull(ipl_arg(&a, "from"), NULL, 10);
    if (ipl_arg(&a, "from") && !c.last) {
        /* from=0: everything; Last-Event-ID 0 is not sent, so ask with from=0 */
        size_t n = strlen(c.target);
        snprintf(c.target + n, sizeof c.target - n, "&from=0");
    }
    if (ipl_arg(&a, "count"))
        c.max = strtol(ipl_arg(&a, "count"), NULL, 10);
    signal(SIGPIPE, SIG_IGN);
    if (!(c.base = event_base_new()) || !(c.line = evbuffer_new()))
        return cli_fail("tail", 1, "out of memory");
    tail_connect(&c);
    event_base_dispatch(c.base);
    if (c.conn)
        evhttp_connection_free(c.conn);
    evbuffer_free(c.line);
    event_base_free(c.base);
    return c.status;
}

/* ---- token ---- */
static void cli_principal(ipl_principal *p)
{
    memset(p, 0, sizeof *p);
    const char *u = getenv("USER");
    snprintf(p->name, sizeof p->name, "cli:%s", u && *u ? u : "unknown");
    snprintf(p->role, sizeof p->role, "Administrator");
    snprintf(p->scope, sizeof p->scope, "\\Global");
    p->perms = IPL_PERM_ALL;
    p->global = 1;
}

static int list_fn(void *ctx, const ipl_token_info *ti)
{
    char cb[IPL_TIME_BUF], eb[IPL_TIME_BUF];
    ipl_time_format(ti->created, cb, sizeof cb);
    if (ti->expires)
        ipl_time_format(ti->expires, eb, sizeof eb);
    printf("%-20s %-12s %-24s %-24s %-22s %-22s %s\n", ti->name, ti->hash_prefix, ti->role, ti->scope, cb,
           ti->expires ? eb : "never", ti->by);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT,
        {"name", 1, "N  token (or role) name", NULL, {0}, 0},
        {"role", 1, "R  Administrator, 'IP Audit Administrator', 'ASM Administrator', 'MSM Administrator', "
                    "'DHCP Administrator', Reader, or a custom role", NULL, {0}, 0},
        {"scope", 1, "S  access scope path (default \\Global)", NULL, {0}, 0},
        {"expires", 1, "T  expiry (ISO 8601 or +30d)", NULL, {0}, 0},
        {"path", 1, "P  (scope) the scope path to assign prefixes to", NULL, {0}, 0},
        {"prefixes", 1, "L  (scope) comma-separated prefixes (empty clears)", NULL, {0}, 0},
        {"operations", 1, "L  (role) comma-separated permissions: read,audit,ingest,purge,hold,access,config,asm,msm,dhcp", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    const char *usage =
        "ipledger token create --name N --role R [--scope \\Global\\Europe] [--expires T]\n"
        "       ipledger token list | revoke --name N\n"
        "       ipledger token scope --path \\Global\\Europe --prefixes 10.1.0.0/16,2001:db8::/32\n"
        "       ipledger token role --name N --operations read,audit";
    int rc = cli_args("token", usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos != 1)
        return cli_fail("token", 2, "give one of create, list, revoke, scope, role");
    const char *sub = a.pos[0];
    ipl_store *st = NULL;
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    ipl_diag d = {0};
    ipl_principal p;
    cli_principal(&p);
    int64_t now = wall_us();
    int err = IPL_OK;
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "create") && strcmp(sub, "revoke") && strcmp(sub, "scope") && strcmp(sub, "role"))
        return cli_fail("token", 2, "unknown subcommand '%s'", sub);
    if ((rc = cli_open_store("token", &a, list ? IPL_STORE_RDONLY : IPL_STORE_CREATE, &st)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &t, &d)) || (!list && (err = ipl_batch_new(&b))))
        goto out;
    char secret[IPL_TOKEN_LEN + 1] = "";
    ipl_commit_info ci;
    if (list) {
        printf("%-20s %-12s %-24s %-24s %-22s %-22s %s\n", "name", "id", "role", "scope", "created", "expires", "by");
        err = ipl_token_list(t, list_fn, NULL, &d);
        if (err > 0)
            err = IPL_OK;
        goto out;
    } else if (strcmp(sub, "create") == 0) {
        int64_t expires = 0;
        if (!ipl_arg(&a, "name") || !ipl_arg(&a, "role")) {
            rc = cli_fail("token", 2, "create needs --name and --role");
            goto out;
        }
        if (ipl_arg(&a, "expires") && (rc = cli_time("token", "expires", ipl_arg(&a, "expires"), NULL, &expires)))
            goto out;
        err = ipl_token_create(t, b, ipl_arg(&a, "name"), ipl_arg(&a, "role"), ipl_arg(&a, "scope"), expires,
                               &p, now, secret, &d);
    } else if (strcmp(sub, "revoke") == 0) {
        if (!ipl_arg(&a, "name")) {
            rc = cli_fail("token", 2, "revoke needs --name");
            goto out;
        }
        err = ipl_token_revoke(t, b, ipl_arg(&a, "name"), &p, now, &d);
    } else if (strcmp(sub, "scope") == 0) {
        if (!ipl_arg(&a, "path")) {
            rc = cli_fail("token", 2, "scope needs --path and --prefixes");
            goto out;
        }
        err = ipl_scope_set(t, b, ipl_arg(&a, "path"), ipl_arg(&a, "prefixes") ? ipl_arg(&a, "prefixes") : "",
                            &p, now, &d);
    } else {
        if (!ipl_arg(&a, "name") || !ipl_arg(&a, "operations")) {
            rc = cli_fail("token", 2, "role needs --name and --operations");
            goto out;
        }
        err = ipl_role_set(t, b, ipl_arg(&a, "name"), ipl_arg(&a, "operations"), &p, now, &d);
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (!err)
        err = ipl_store_commit(st, b, &ci, &d);
    if (!err && secret[0])
        printf("%s\n", secret);
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_store_close(st);
    if (err && !rc)
        rc = cli_fail("token", err == IPL_EINVAL || err == IPL_ENOTFOUND || err == IPL_EEXIST ? 2 : 1, "%s",
                      d.msg[0] ? d.msg : ipl_strerror(err));
    return rc;
}
