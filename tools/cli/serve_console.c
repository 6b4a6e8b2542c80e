/* tools/cli/serve_console.c — the web console's routes for `ipledger serve`:
 *
 *   GET /  (index.html)  /console/app.js  /console/style.css
 *       the console's files (tools/console/, compiled in by tools/console/embed.cmake), public
 *       (no token: the page asks for one and sends it with every API call), with a strict
 *       Content-Security-Policy (only this origin's scripts and styles, no inline script, no
 *       framing of the console itself), nosniff and no-cache (a new binary serves new files);
 *   GET /api/v1/asm/utilization   utilization of every block, subnet or range (permission read);
 *   GET /api/v1/asm/trend         held addresses of one object or span over time (permission read).
 *
 * The address-space answers are aggregates (counts, no holders): permission read, as /stats. A
 * scoped principal sees only the objects that lie inside its scope, and naming one outside is a
 * 403 (docs/api.md). Answers are built in a bounded buffer before the reply begins, so an error
 * half way is a clean JSON error, never a cut document.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/cli/console_files.h"
#include "engine/addr.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "queries/asm.h"
#include "queries/output.h"

#define CONSOLE_CSP                                                                           \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "   \
    "connect-src 'self'; frame-src blob:; object-src 'none'; base-uri 'none'; "               \
    "form-action 'none'; frame-ancestors 'none'"

#define UTIL_LIMIT_DEFAULT 1000      /* objects in one utilization answer */
#define UTIL_LIMIT_MAX     100000
#define ANSWER_MAX         ((size_t)64 << 20)   /* bytes of one JSON answer */
#define TREND_POINTS       200       /* the default step gives at most this many points */

/* ---- the console's files ---- */
static int h_file(void *ctx, ipl_api_req *r)
{
    const ipl_console_file *f = ctx;
    if (ipl_api_header(r, "Cache-Control", "no-cache") ||
        ipl_api_header(r, "Content-Security-Policy", CONSOLE_CSP) ||
        ipl_api_header(r, "X-Content-Type-Options", "nosniff") ||
        ipl_api_header(r, "X-Frame-Options", "DENY") ||
        ipl_api_header(r, "Referrer-Policy", "no-referrer") || ipl_api_begin(r, f->type))
        return ipl_api_error(r, 500, NULL, "cannot answer with %s", f->name);
    if (ipl_api_write(r, (const char *)f->data, f->len) < 0)
        return ipl_api_abort(r, "response limit reached or client gone");
    return ipl_api_end(r);
}

/* ---- a bounded growing buffer for one JSON answer ---- */
typedef struct jbuf { char *p; size_t n, cap; int full; } jbuf;

static void jb_add(jbuf *b, const char *s, size_t n)
{
    if (b->full)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = cap <= ANSWER_MAX ? realloc(b->p, cap) : NULL;
        if (!p) {
            b->full = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void jb_printf(jbuf *b, const char *fmt, ...) IPL_PRINTF(2, 3);
static void jb_printf(jbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->full = 1;
    else
        jb_add(b, tmp, (size_t)n);
}

/* ,"key":"escaped value" (or null) */
static void jb_str(jbuf *b, const char *key, const char *v)
{
    jb_printf(b, ",\"%s\":", key);
    if (!v) {
        jb_add(b, "null", 4);
        return;
    }
    size_t need = ipl_json_escape(v, strlen(v), NULL, 0);
    char *e = malloc(need + 1);
    if (!e) {
        b->full = 1;
        return;
    }
    ipl_json_escape(v, strlen(v), e, need + 1);
    jb_add(b, "\"", 1);
    jb_add(b, e, strlen(e));
    jb_add(b, "\"", 1);
    free(e);
}

static int jb_send(ipl_api_req *r, jbuf *b)
{
    if (b->full)
        return ipl_api_error(r, 413, NULL, "the answer is larger than %zu bytes: narrow the request",
                             ANSWER_MAX);
    ipl_api_begin(r, "application/json");
    if (ipl_api_write(r, b->p, b->n) < 0)
        return ipl_api_abort(r, "response limit reached or client gone");
    return ipl_api_end(r);
}

/* ---- parameters ---- */
static int param_time(ipl_api_req *r, const char *name, int64_t dflt, int64_t *us)
{
    const char *v = ipl_api_param(r, name);
    ipl_diag d = {0};
    if (!v || !*v) {
        *us = dflt;
        return IPL_OK;
    }
    size_t n = strlen(v);
    int err = (v[0] == '-' || v[0] == '+' || strncmp(v, "now", 3) == 0)
                  ? ipl_time_parse_relative(v, n, ipl_api_now(r), us, &d)
                  : ipl_time_parse(v, n, NULL, us, &d);
    return err ? ipl_api_error(r, 400, name, "%s", d.msg) : IPL_OK;
}

/* "30s", "15m", "1h", "1d", "1w" -> µs */
static int parse_step(const char *s, int64_t *us)
{
    char *e;
    long long x = strtoll(s, &e, 10);
    int64_t unit;
    if (e == s || x <= 0 || x > 100000)
        return -1;
    if (strcmp(e, "s") == 0)
        unit = 1;
    else if (strcmp(e, "m") == 0)
        unit = 60;
    else if (strcmp(e, "h") == 0)
        unit = 3600;
    else if (strcmp(e, "d") == 0)
        unit = 86400;
    else if (strcmp(e, "w") == 0)
        unit = 7 * 86400;
    else
        return -1;
    *us = (int64_t)x * unit * IPL_US_PER_SEC;
    return 0;
}

static int in_scope(const ipl_principal *p, const uint8_t lo[16], const uint8_t hi[16])
{
    return p->global || (ipl_principal_sees(p, lo) && ipl_principal_sees(p, hi));
}

static const char *band(double pct, double low, double high)
{
    return pct < low ? "low" : pct > high ? "high" : "normal";
}

static int load_view(ipl_api_req *r, ipl_rtxn **t, ipl_asm_view **v)
{
    ipl_diag d = {0};
    if (!(*t = ipl_api_rtxn(r, &d)) || ipl_asm_view_load(*t, v, &d))
        return ipl_api_error(r, 500, NULL, "%s", d.msg[0] ? d.msg : "cannot read the address space");
    return IPL_OK;
}

/* ---- GET /api/v1/asm/utilization?type=block|subnet|range[&space=][&at=][&limit=] ---- */
static int h_util(void *ctx, ipl_api_req *r)
{
    const char *tv = ipl_api_param(r, "type"), *space = ipl_api_param(r, "space");
    const char *lv = ipl_api_param(r, "limit");
    ipl_asm_type type = IPL_ASM_RANGE;
    int64_t at;
    unsigned long limit = UTIL_LIMIT_DEFAULT;
    if (tv && (ipl_asm_type_parse(tv, &type) || type == IPL_ASM_SPACE || type == IPL_ASM_ADDRESS))
        return ipl_api_error(r, 400, "type", "type must be block, subnet or range (not '%.32s')", tv);
    if (lv) {
        char *e;
        limit = strtoul(lv, &e, 10);
        if (e == lv || *e || limit < 1 || limit > UTIL_LIMIT_MAX)
            return ipl_api_error(r, 400, "limit", "limit must be 1 to %d", UTIL_LIMIT_MAX);
    }
    if (space && !*space)
        space = NULL;
    if (param_time(r, "at", ipl_api_now(r), &at))
        return IPL_EINVAL;
    ipl_rtxn *t;
    ipl_asm_view *v = NULL;
    if (load_view(r, &t, &v))
        return IPL_EINVAL;
    const ipl_principal *p = ipl_api_principal(r);
    jbuf b = {0};
    char atb[IPL_TIME_BUF];
    ipl_time_format(at, atb, sizeof atb);
    jb_printf(&b, "{\"type\":\"%s\",\"at\":\"%s\"", ipl_asm_type_name(type), atb);
    jb_str(&b, "space", space);
    jb_add(&b, ",\"objects\":[", 12);
    ipl_diag d = {0};
    int err = IPL_OK;
    unsigned long shown = 0;
    int truncated = 0;
    ipl_asm_utilcur *uc = NULL;          /* objects in view order share held-address windows */
    err = ipl_asm_utilcur_open(t, v, at, &uc, &d);
    for (size_t i = 0; i < ipl_asm_count(v, type) && !err && !b.full; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, type, i);
        uint8_t lo[16], hi[16];
        if (space && strcmp(space, ipl_asm_obj_space(o)) != 0)
            continue;
        ipl_asm_obj_bounds(o, lo, hi);
        if (!in_scope(p, lo, hi))
            continue;
        if (shown == limit) {
            truncated = 1;
            break;
        }
        ipl_asm_util u;
        double low, high;
        if ((err = ipl_asm_utilcur_get(uc, o, &u, &d)))
            break;
        ipl_asm_thresholds(o, &low, &high);
        jb_printf(&b, "%s{\"type\":\"%s\"", shown ? "," : "", ipl_asm_type_name(type));
        jb_str(&b, "space", ipl_asm_obj_space(o));
        jb_str(&b, "id", ipl_asm_obj_id(o));
        jb_str(&b, "name", ipl_asm_obj_str(o, "name"));
        jb_str(&b, "description", ipl_asm_obj_str(o, "description"));
        jb_str(&b, "managed_by", ipl_asm_obj_str(o, "managed_by"));
        jb_printf(&b, ",\"size\":%.0f,\"used\":%.0f,\"leased\":%llu,\"pct\":%.2f,\"state\":\"%s\","
                      "\"thresholds\":{\"low\":%g,\"high\":%g}}",
                  u.size, u.used, (unsigned long long)u.leased, u.pct, band(u.pct, low, high), low,
                  high);
        shown++;
    }
    jb_printf(&b, "],\"count\":%lu,\"truncated\":%s}\n", shown, truncated ? "true" : "false");
    ipl_asm_utilcur_close(uc);
    ipl_asm_view_free(v);
    int rc = err ? ipl_api_error(r, 500, NULL, "%s", d.msg) : jb_send(r, &b);
    free(b.p);
    return rc;
}

/* "START-END" -> bounds; IPL_EINVAL when it is not one. */
static int parse_span(const char *id, uint8_t lo[16], uint8_t hi[16])
{
    const char *dash = strchr(id, '-');
    char l[IPL_IP_TEXT], h[IPL_IP_TEXT];
    if (!dash || (size_t)(dash - id) >= sizeof l || strlen(dash + 1) >= sizeof h)
        return IPL_EINVAL;
    snprintf(l, sizeof l, "%.*s", (int)(dash - id), id);
    snprintf(h, sizeof h, "%s", dash + 1);
    if (ipl_ip_parse(l, strlen(l), lo) || ipl_ip_parse(h, strlen(h), hi) || memcmp(lo, hi, 16) > 0)
        return IPL_EINVAL;
    return IPL_OK;
}

/* ---- GET /api/v1/asm/trend?id=OBJECT|PREFIX|START-END[&space=][&from=][&to=][&step=] ---- */
static int h_trend(void *ctx, ipl_api_req *r)
{
    const char *id = ipl_api_param(r, "id"), *space = ipl_api_param(r, "space");
    const char *sv = ipl_api_param(r, "step");
    int64_t from, to, step = 0;
    if (!id || !*id)
        return ipl_api_error(r, 400, "id", "give id=PREFIX, START-END or an object's id");
    if (strlen(id) > 2 * IPL_IP_TEXT)
        return ipl_api_error(r, 400, "id", "id is too long");
    if (space && !*space)
        space = NULL;
    if (param_time(r, "to", ipl_api_now(r), &to))
        return IPL_EINVAL;
    if (param_time(r, "from", to - 7 * 86400 * IPL_US_PER_SEC, &from))
        return IPL_EINVAL;
    if (from > to)
        return ipl_api_error(r, 400, "from", "from is after to");
    if (sv && parse_step(sv, &step))
        return ipl_api_error(r, 400, "step", "'%.32s' is not N followed by s, m, h, d or w", sv);
    if (!sv) {               /* at most TREND_POINTS points, whole minutes */
        int64_t min = 60 * IPL_US_PER_SEC;
        step = (to - from) / TREND_POINTS + 1;
        step = (step + min - 1) / min * min;
    }
    ipl_rtxn *t;
    ipl_asm_view *v = NULL;
    if (load_view(r, &t, &v))
        return IPL_EINVAL;
    uint8_t lo[16], hi[16];
    const ipl_asm_obj *o = NULL;
    ipl_prefix px;
    if (strchr(id, '-')) {
        o = ipl_asm_find(v, IPL_ASM_RANGE, space, id);
    } else if (strchr(id, '/')) {
        o = ipl_asm_find(v, IPL_ASM_SUBNET, space, id);
        if (!o)
            o = ipl_asm_find(v, IPL_ASM_BLOCK, space, id);
    }
    if (o) {
        ipl_asm_obj_bounds(o, lo, hi);
    } else if (strchr(id, '/') && ipl_prefix_parse(id, strlen(id), 0, &px) == IPL_OK) {
        memcpy(lo, px.lo, 16);
        memcpy(hi, px.hi, 16);
    } else if (strchr(id, '/') || parse_span(id, lo, hi)) {
        ipl_asm_view_free(v);
        return ipl_api_error(r, 400, "id", "'%s' is neither an object, a prefix nor START-END", id);
    }
    if (!in_scope(ipl_api_principal(r), lo, hi)) {
        ipl_asm_view_free(v);
        return ipl_api_deny(r, "id", "'%s' is outside scope '%s'", id, ipl_api_principal(r)->scope);
    }
    ipl_diag d = {0};
    uint64_t *counts = NULL;
    size_t n = 0;
    int err = ipl_asm_trend(t, lo, hi, from, to, step, &counts, &n, &d);
    if (err) {
        ipl_asm_view_free(v);
        return ipl_api_error(r, err == IPL_ELIMIT || err == IPL_EINVAL ? 400 : 500,
                             err == IPL_ELIMIT ? "step" : NULL, "%s", d.msg);
    }
    /* the size: the object's ranges when it is a subnet or block with any, else the span */
    double size = 0;
    if (o && ipl_asm_obj_type(o) != IPL_ASM_RANGE) {
        ipl_asm_util u;
        if (ipl_asm_utilization(t, v, o, to, &u, &d) == IPL_OK)
            size = u.size;
    }
    if (size <= 0) {
        double diff = 0;
        for (int i = 0; i < 16; i++)
            diff = diff * 256.0 + ((double)hi[i] - (double)lo[i]);
        size = diff + 1;
    }
    char lb[IPL_IP_TEXT], hb[IPL_IP_TEXT], fb[IPL_TIME_BUF], tb[IPL_TIME_BUF];
    ipl_ip_format(lo, lb, sizeof lb);
    ipl_ip_format(hi, hb, sizeof hb);
    ipl_time_format(from, fb, sizeof fb);
    ipl_time_format(to, tb, sizeof tb);
    jbuf b = {0};
    jb_printf(&b, "{\"lo\":\"%s\",\"hi\":\"%s\"", lb, hb);
    jb_str(&b, "id", id);
    jb_str(&b, "type", o ? ipl_asm_type_name(ipl_asm_obj_type(o)) : NULL);
    jb_str(&b, "space", o ? ipl_asm_obj_space(o) : NULL);
    jb_printf(&b, ",\"from\":\"%s\",\"to\":\"%s\",\"step_seconds\":%lld,\"size\":%.0f,\"points\":[",
              fb, tb, (long long)(step / IPL_US_PER_SEC), size);
    for (size_t i = 0; i < n && !b.full; i++) {
        char ts[IPL_TIME_BUF];
        ipl_time_format(from + (int64_t)i * step, ts, sizeof ts);
        jb_printf(&b, "%s{\"ts\":\"%s\",\"leased\":%llu,\"pct\":%.2f}", i ? "," : "", ts,
                  (unsigned long long)counts[i], 100.0 * (double)counts[i] / size);
    }
    jb_add(&b, "]}\n", 3);
    free(counts);
    ipl_asm_view_free(v);
    int rc = jb_send(r, &b);
    free(b.p);
    return rc;
}

int serve_routes_console(struct ipl_server *s, ipl_store *st, ipl_diag *d)
{
    int err = IPL_OK;
    for (size_t i = 0; i < ipl_console_nfiles && !err; i++) {
        char path[256];      /* index.html is the page at "/", the others are under /console/ */
        if (strcmp(ipl_console_files[i].name, "index.html") == 0)
            snprintf(path, sizeof path, "/");
        else
            snprintf(path, sizeof path, "/console/%s", ipl_console_files[i].name);
        ipl_api_route rt = {"GET", path, 0, h_file, (void *)&ipl_console_files[i], 1};
        err = ipl_server_route(s, &rt, d);
    }
    const ipl_api_route api[] = {
        {"GET", "/api/v1/asm/utilization", IPL_PERM_READ, h_util, st, 0},
        {"GET", "/api/v1/asm/trend", IPL_PERM_READ, h_trend, st, 0},
    };
    for (size_t i = 0; i < sizeof api / sizeof api[0] && !err; i++)
        err = ipl_server_route(s, &api[i], d);
    return err;
}
