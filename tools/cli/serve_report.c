/* tools/cli/serve_report.c — the report route of `ipledger serve`:
 *
 *   GET /api/v1/report?name=NAME&format=html|csv|json&from=T&to=T&ip=|mac=|host=|user=
 *       [&where=FILTER][&at_seq=N]                                   (permission: audit)
 *   GET /api/v1/reports    the definitions: names, titles, sections with their queries (read)
 *
 * The report runs on the request's read transaction (one snapshot), completely, before the first
 * byte is sent: a wrong parameter or query is a 400 with the message, never a half report.
 * `now` (generated-at, relative times) is the server's clock. Default format: json.
 * A report covers the whole store (counts, charts, chain head): a token limited to an access
 * scope below \Global is refused (403) rather than shown figures it may not see.
 */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "queries/report.h"

#include <stdlib.h>
#include <string.h>

static const char *ctype(ipl_report_format f)
{
    return f == IPL_RF_HTML ? "text/html; charset=utf-8"
         : f == IPL_RF_CSV  ? "text/csv; charset=utf-8"
                            : "application/json";
}

static int h_report(void *ctx, ipl_api_req *rq)
{
    (void)ctx;
    if (!ipl_api_principal(rq)->global)
        return ipl_api_deny(rq, "scope", "reports cover the whole store: a token limited to "
                            "scope '%s' cannot run them", ipl_api_principal(rq)->scope);
    const char *name = ipl_api_param(rq, "name"), *fs = ipl_api_param(rq, "format");
    ipl_report_format f = IPL_RF_JSON;
    if (!name)
        return ipl_api_error(rq, 400, "name", "give name=REPORT (tracking, changes, logons, "
                             "utilization, retention, quality)");
    const ipl_report_def *def = ipl_report_find(name);
    if (!def)
        return ipl_api_error(rq, 400, "name", "unknown report '%.100s'", name);
    if (fs && ipl_report_format_parse(fs, &f))
        return ipl_api_error(rq, 400, "format", "format '%.40s' is not html, csv or json", fs);
    static const char *const direct[] = {"from", "to", "ip", "mac", "host", "user"};
    ipl_ql_param ps[8];
    size_t np = 0;
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++) {
        const char *v = ipl_api_param(rq, direct[i]);
        if (v)
            ps[np++] = (ipl_ql_param){direct[i], v};
    }
    ipl_report_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.now = ipl_api_now(rq);
    ro.params = ps;
    ro.nparams = np;
    ro.where = ipl_api_param(rq, "where");
    const char *at = ipl_api_param(rq, "at_seq");
    if (at) {
        char *end;
        ro.at_seq = strtoull(at, &end, 10);
        if (*end || end == at || ro.at_seq == 0)
            return ipl_api_error(rq, 400, "at_seq", "at_seq '%.40s' is not an event number", at);
    }
    ipl_diag d = {0};
    ipl_rtxn *t = ipl_api_rtxn(rq, &d);
    ipl_report *r = NULL;
    int err = t ? ipl_report_run(&r, def, t, &ro, &d) : IPL_ESTORE;
    if (err)
        return ipl_api_error(rq, err == IPL_EINVAL || err == IPL_EPARSE ? 400 : 500, NULL, "%s",
                             d.msg[0] ? d.msg : ipl_strerror(err));
    ipl_api_begin(rq, ctype(f));
    err = ipl_report_render(r, f, ipl_api_write, rq);
    ipl_report_free(r);
    if (err) {
        ipl_api_abort(rq, "response limit reached or client gone");
        return IPL_EIO;
    }
    return ipl_api_end(rq);
}

/* A JSON string into the response (the definitions are static text). */
static void jstr(ipl_api_req *rq, const char *s)
{
    char buf[8192];
    if (!s) {
        ipl_api_write(rq, "null", 4);
        return;
    }
    size_t n = ipl_json_escape(s, strlen(s), buf, sizeof buf);
    ipl_api_write(rq, "\"", 1);
    ipl_api_write(rq, buf, n < sizeof buf ? n : sizeof buf - 1);
    ipl_api_write(rq, "\"", 1);
}

static void jkey(ipl_api_req *rq, const char *k, const char *v, int first)
{
    if (!first)
        ipl_api_write(rq, ",", 1);
    jstr(rq, k);
    ipl_api_write(rq, ":", 1);
    jstr(rq, v);
}

/* GET /api/v1/reports: the definitions (what the console lists), no data (permission read). */
static int h_reports(void *ctx, ipl_api_req *rq)
{
    (void)ctx;
    ipl_api_begin(rq, "application/json");
    ipl_api_write(rq, "[", 1);
    for (size_t i = 0; i < ipl_report_count(); i++) {
        const ipl_report_def *r = ipl_report_at(i);
        ipl_api_write(rq, i ? ",\n{" : "\n{", i ? 3 : 2);
        jkey(rq, "name", r->name, 1);
        jkey(rq, "title", r->title, 0);
        jkey(rq, "about", r->about, 0);
        jkey(rq, "subjects", r->subjects, 0);
        jkey(rq, "default_from", r->default_from, 0);
        ipl_api_write(rq, ",\"sections\":[", 13);
        for (size_t j = 0; j < r->nsections; j++) {
            const ipl_report_section *sd = &r->sections[j];
            char q[4096];
            snprintf(q, sizeof q, "%s%s%s", sd->source, *sd->stages ? " " : "", sd->stages);
            ipl_api_write(rq, j ? ",{" : "{", j ? 2 : 1);
            jkey(rq, "title", sd->title, 1);
            jkey(rq, "view", ipl_report_view_name(sd->view), 0);
            jkey(rq, "query", q, 0);
            jkey(rq, "needs", sd->needs, 0);
            jkey(rq, "note", sd->note, 0);
            if (sd->filterable)
                ipl_api_write(rq, ",\"filterable\":true", 18);
            else
                ipl_api_write(rq, ",\"filterable\":false", 19);
            ipl_api_write(rq, "}", 1);
        }
        ipl_api_write(rq, "]}", 2);
    }
    ipl_api_write(rq, "\n]\n", 3);
    return ipl_api_end(rq);
}

int serve_routes_report(struct ipl_server *s, ipl_store *st, ipl_diag *d)
{
    (void)st;
    static const ipl_api_route routes[] = {
        {"GET", "/api/v1/report", IPL_PERM_AUDIT, h_report, NULL, 0},
        {"GET", "/api/v1/reports", IPL_PERM_READ, h_reports, NULL, 0},
    };
    int err = IPL_OK;
    for (size_t i = 0; !err && i < sizeof routes / sizeof routes[0]; i++)
        err = ipl_server_route(s, &routes[i], d);
    return err;
}
