/* tools/cli/cmd_servers.c — `ipledger servers ...`: the server inventory and its health
 * (docs/servers.md).
 *
 *   servers list|show|health|add|edit|remove|rebuild
 * The work is in queries/srv*.c; this file parses arguments, prints, and holds the row/JSON
 * builders the API routes (serve_servers.c) share (tools/cli/servers.h).
 */
#include "tools/cli/cli.h"
#include "tools/cli/servers.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "queries/asm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage =
    "ipledger servers list [--type T[,T]] [--group G] [--at T] [--format F]\n"
    "       ipledger servers show NAME [--at T] [--format F]\n"
    "       ipledger servers health [--at T] [--record] [--sources] [--factor K] [--floor D]\n"
    "                               [--window D] [--burst N] [--days N] [--format F]\n"
    "       ipledger servers add NAME --type T[,T] [--vendor V] [--address IP[:PORT]]\n"
    "                            [--managed|--unmanaged] [--owner O] [--description D]\n"
    "                            [--field k=v]... [--group G]... [--probe dns|tcp|kea|none]\n"
    "                            [--probe-name QNAME]\n"
    "       ipledger servers edit NAME [same options; --field k= removes, --group -G leaves]\n"
    "       ipledger servers remove NAME\n"
    "       ipledger servers rebuild          (recomputes the summaries from the whole log)\n"
    "types: dhcp dns dc radius sshd other. Every server seen in the events is listed; add/edit/\n"
    "remove are config.change events with you as the acting principal. health: silent = no event\n"
    "for K x the usual rhythm (95th percentile gap of the last N days active, at least D);\n"
    "degraded = N quarantined lines of a source in the window; --record commits each transition\n"
    "as a server.status event";

static ipl_opt opts[] = {
    CLI_STORE_OPT, CLI_FORMAT_OPT,
    {"at", 1, "T  instant (default now)", NULL, {0}, 0},
    {"tz", 1, "ZONE  zone of times without an offset (default UTC)", NULL, {0}, 0},
    {"record", 0, "health: commit transitions as server.status events", NULL, {0}, 0},
    {"sources", 0, "health: also one row per source", NULL, {0}, 0},
    {"factor", 1, "K  health: silent after K x rhythm (default 4)", NULL, {0}, 0},
    {"floor", 1, "D  health: rhythm floor (default 5m)", NULL, {0}, 0},
    {"window", 1, "D  health: quarantine window (default 10m)", NULL, {0}, 0},
    {"burst", 1, "N  health: quarantined lines in the window = degraded (default 50)", NULL, {0}, 0},
    {"days", 1, "N  health: the rhythm from the gaps of the last N days active (1-7, default 7)", NULL, {0}, 0},
    {"type", 1, "T[,T]  dhcp, dns, dc, radius, sshd, other", NULL, {0}, 0},
    {"vendor", 1, "V  vendor", NULL, {0}, 0},
    {"address", 1, "IP[:PORT]  where the server answers", NULL, {0}, 0},
    {"managed", 0, "managed by us", NULL, {0}, 0},
    {"unmanaged", 0, "not managed by us", NULL, {0}, 0},
    {"owner", 1, "O  owner", NULL, {0}, 0},
    {"description", 1, "D  description", NULL, {0}, 0},
    {"field", 1, "K=V  custom field (repeatable; K= removes)", NULL, {0}, 0},
    {"group", 1, "G  server group (repeatable; -G leaves it)", NULL, {0}, 0},
    {"probe", 1, "P  active probe in serve: dns, tcp, kea or none", NULL, {0}, 0},
    {"probe-name", 1, "QNAME  the name a dns probe asks for (A record)", NULL, {0}, 0},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * IPL_US_PER_SEC + ts.tv_nsec / 1000;
}

static int fail(const char *sub, int err, const ipl_diag *d)
{
    int code = (err == IPL_EINVAL || err == IPL_ENOTFOUND || err == IPL_EEXIST ||
                err == IPL_EPARSE || err == IPL_ELIMIT) ? 2 : 1;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "servers %s", sub);
    return cli_fail(cmd, code, "%s", d->msg[0] ? d->msg : ipl_strerror(err));
}

int64_t srv_duration(const char *s)
{
    char *e;
    errno = 0;
    long long x = strtoll(s, &e, 10);
    int64_t unit;
    if (errno || e == s || x < 0 || x > 10000000)
        return -1;
    if (strcmp(e, "ms") == 0)
        unit = 1000;
    else if (strcmp(e, "s") == 0)
        unit = IPL_US_PER_SEC;
    else if (strcmp(e, "m") == 0)
        unit = 60 * IPL_US_PER_SEC;
    else if (strcmp(e, "h") == 0)
        unit = 3600 * IPL_US_PER_SEC;
    else if (strcmp(e, "d") == 0)
        unit = 86400 * IPL_US_PER_SEC;
    else
        return -1;
    return (int64_t)x * unit;
}

/* ---- shared builders ---- */

const ipl_col srv_list_cols[] = {
    {"name", IPL_COL_STR},     {"type", IPL_COL_STR},         {"vendor", IPL_COL_STR},
    {"formats", IPL_COL_STR},  {"managed", IPL_COL_STR},      {"owner", IPL_COL_STR},
    {"events", IPL_COL_NUM},   {"first", IPL_COL_STR},        {"last", IPL_COL_STR},
    {"per_hour_24h", IPL_COL_NUM}, {"per_hour", IPL_COL_NUM}, {"sources", IPL_COL_STR},
};
const size_t srv_list_ncols = sizeof srv_list_cols / sizeof srv_list_cols[0];

static const char *managed_str(const ipl_srv *s)
{
    return s->managed < 0 ? NULL : s->managed ? "managed" : "unmanaged";
}

/* 1 if the manual entry lists group g */
static int in_group(const ipl_srv *s, const char *g)
{
    cJSON *j = s->json ? cJSON_Parse(s->json) : NULL, *x;
    int in = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "groups"))
        if (cJSON_IsString(x) && strcmp(x->valuestring, g) == 0)
            in = 1;
    cJSON_Delete(j);
    return in;
}

int srv_list_rows(const ipl_srv_view *v, int64_t at, unsigned types, const char *group, ipl_out *o)
{
    for (size_t i = 0; i < ipl_srv_count(v); i++) {
        const ipl_srv *s = ipl_srv_at(v, i);
        if ((types && !(s->types & types)) || (group && !in_group(s, group)))
            continue;
        const ipl_srv_sum *m = s->sum;
        char ty[64], ev[32] = "0", fi[IPL_TIME_BUF] = "", la[IPL_TIME_BUF] = "", r24[32] = "0",
             rs[32] = "0", feeds[IPL_SRV_FEEDS * IPL_SRV_FEED_MAX + 32] = "";
        ipl_srv_types_str(s->types, ty, sizeof ty);
        if (m) {
            size_t w = 0;
            snprintf(ev, sizeof ev, "%llu", (unsigned long long)m->events);
            ipl_time_format(m->first, fi, sizeof fi);
            ipl_time_format(m->last, la, sizeof la);
            snprintf(r24, sizeof r24, "%.2f", ipl_srv_rate_24h(m, at));
            snprintf(rs, sizeof rs, "%.2f", ipl_srv_rate_span(m));
            for (uint32_t k = 0; k < m->nfeeds && w < sizeof feeds; k++)
                w += (size_t)snprintf(feeds + w, sizeof feeds - w, "%s%s", k ? " " : "",
                                      m->feeds[k]);
            if (m->feeds_more && w < sizeof feeds)
                snprintf(feeds + w, sizeof feeds - w, " (and more)");
        }
        const char *vals[] = {s->name, ty, s->vendor, s->formats, managed_str(s), s->owner, ev,
                              m ? fi : NULL, m ? la : NULL, r24, rs, feeds};
        int err = ipl_out_row(o, vals);
        if (err)
            return err;
    }
    return IPL_OK;
}

static void add_time(cJSON *j, const char *key, int64_t us)
{
    char tb[IPL_TIME_BUF];
    ipl_time_format(us, tb, sizeof tb);
    cJSON_AddStringToObject(j, key, tb);
}

static void add_util(cJSON *sc, const ipl_asm_util *u)
{
    cJSON_AddNumberToObject(sc, "size", u->size);
    cJSON_AddNumberToObject(sc, "used", u->used);
    cJSON_AddNumberToObject(sc, "leased", (double)u->leased);
    cJSON_AddNumberToObject(sc, "utilization", (double)((int64_t)(u->pct * 10 + 0.5)) / 10.0);
}

/* The address-space subnet a scope names: Windows DHCP's "[[10.1.0.0]name]" or a bare network
 * address, matched to the subnet starting there; NULL when none. */
static const ipl_asm_obj *scope_subnet(const ipl_asm_view *av, const char *scope)
{
    const char *a = scope, *e;
    uint8_t ip[16], lo[16], hi[16];
    if (strncmp(scope, "[[", 2) == 0) {
        a = scope + 2;
        if (!(e = strchr(a, ']')))
            return NULL;
    } else {
        e = a + strlen(a);
    }
    if (ipl_ip_parse(a, (size_t)(e - a), ip) != IPL_OK)
        return NULL;
    for (size_t i = 0; i < ipl_asm_count(av, IPL_ASM_SUBNET); i++) {
        const ipl_asm_obj *o = ipl_asm_at(av, IPL_ASM_SUBNET, i);
        ipl_asm_obj_bounds(o, lo, hi);
        if (memcmp(lo, ip, 16) == 0)
            return o;
    }
    return NULL;
}

cJSON *srv_show_json(ipl_rtxn *t, const ipl_srv_view *v, const ipl_srv *s, int64_t at,
                     ipl_diag *d)
{
    cJSON *j = cJSON_CreateObject(), *x;
    ipl_asm_view *av = NULL;
    char ty[64];
    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "type", ipl_srv_types_str(s->types, ty, sizeof ty));
    cJSON_AddStringToObject(j, "vendor", s->vendor ? s->vendor : "");
    cJSON_AddStringToObject(j, "formats", s->formats ? s->formats : "");
    cJSON_AddBoolToObject(j, "manual", s->manual);
    if (s->json && (x = cJSON_Parse(s->json)))
        cJSON_AddItemToObject(j, "entry", x);
    const ipl_srv_sum *m = s->sum;
    if (m) {
        cJSON_AddNumberToObject(j, "events", (double)m->events);
        add_time(j, "first", m->first);
        add_time(j, "last", m->last);
        cJSON_AddNumberToObject(j, "per_hour_24h", ipl_srv_rate_24h(m, at));
        cJSON_AddNumberToObject(j, "per_hour", ipl_srv_rate_span(m));
        cJSON *src = cJSON_AddArrayToObject(j, "sources");
        for (uint32_t k = 0; k < m->nfeeds; k++)
            cJSON_AddItemToArray(src, cJSON_CreateString(m->feeds[k]));
        if (m->feeds_more)
            cJSON_AddBoolToObject(j, "more_sources", 1);
        uint32_t win[IPL_SRV_GAPB];
        ipl_srv_gap_window(m, at, IPL_SRV_DAYS, 5, win);
        int64_t rh = ipl_srv_gap_pct(win, 95, 5);
        cJSON_AddNumberToObject(j, "rhythm_seconds", (double)(rh / IPL_US_PER_SEC));
    }
    cJSON *scopes = cJSON_AddArrayToObject(j, "scopes");
    if (ipl_asm_view_load(t, &av, d) != IPL_OK)
        av = NULL;
    if (av) {
        for (size_t i = 0; i < ipl_asm_count(av, IPL_ASM_RANGE); i++) {
            const ipl_asm_obj *r = ipl_asm_at(av, IPL_ASM_RANGE, i);
            const char *mb = ipl_asm_obj_str(r, "managed_by");
            if (!mb || strcmp(mb, s->name) != 0)
                continue;
            cJSON *sc = cJSON_CreateObject();
            cJSON_AddStringToObject(sc, "scope", ipl_asm_obj_id(r));
            cJSON_AddStringToObject(sc, "space", ipl_asm_obj_space(r));
            cJSON_AddStringToObject(sc, "origin", "address space");
            ipl_asm_util u;
            if (ipl_asm_utilization(t, av, r, at, &u, NULL) == IPL_OK)
                add_util(sc, &u);
            cJSON_AddItemToArray(scopes, sc);
        }
    }
    for (uint32_t k = 0; m && k < m->nscopes; k++) {
        cJSON *sc = cJSON_CreateObject();
        ipl_prefix p;
        cJSON_AddStringToObject(sc, "scope", m->scopes[k]);
        cJSON_AddStringToObject(sc, "origin", "events");
        const ipl_asm_obj *sub = av ? scope_subnet(av, m->scopes[k]) : NULL;
        ipl_asm_util su;
        if (sub && ipl_asm_utilization(t, av, sub, at, &su, NULL) == IPL_OK) {
            cJSON_AddStringToObject(sc, "subnet", ipl_asm_obj_id(sub));
            add_util(sc, &su);
        } else if (strchr(m->scopes[k], '/') &&
            ipl_prefix_parse(m->scopes[k], strlen(m->scopes[k]), 1, &p) == IPL_OK) {
            uint64_t held = 0;
            if (ipl_asm_held(t, p.lo, p.hi, at, NULL, NULL, &held, NULL) == IPL_OK) {
                ipl_asm_util u = {0};
                int host_bits = 128 - p.bits;
                u.size = host_bits >= 64 ? 1.8446744073709552e19 : (double)(1ULL << host_bits);
                if (p.v4 && host_bits >= 2 && host_bits < 32)
                    u.size -= 2;          /* network and broadcast */
                u.leased = held;
                u.used = (double)held;
                u.pct = u.size > 0 ? 100.0 * u.used / u.size : 0;
                add_util(sc, &u);
            }
        }
        cJSON_AddItemToArray(scopes, sc);
    }
    if (m && m->scopes_more)
        cJSON_AddBoolToObject(j, "more_scopes", 1);
    ipl_asm_view_free(av);
    return j;
}

typedef struct hctx {
    cJSON *arr;
    int    sources, extra;
    int64_t at;
    const ipl_srv_view *v;
} hctx;

static int health_fn(void *ctx, const ipl_srv_health *h)
{
    hctx *c = ctx;
    char ty[64] = "";
    if (strcmp(h->what, "source") == 0 && !c->sources)
        return 0;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return IPL_ENOMEM;
    cJSON_AddStringToObject(o, "name", h->name);
    if (strcmp(h->what, "server") == 0) {
        const ipl_srv *s = c->v ? ipl_srv_find(c->v, h->name) : NULL;
        cJSON_AddStringToObject(o, "type", s ? ipl_srv_types_str(s->types, ty, sizeof ty) : "");
    } else {
        cJSON_AddStringToObject(o, "type", "source");
        if (h->server)
            cJSON_AddStringToObject(o, "server", h->server);
    }
    cJSON_AddStringToObject(o, "state", ipl_srv_state_name(h->state));
    if (h->since)
        add_time(o, "since", h->since);
    else
        cJSON_AddNullToObject(o, "since");
    cJSON_AddStringToObject(o, "detail", h->detail);
    if (c->extra) {
        cJSON_AddStringToObject(o, "check", h->check);
        if (h->last)
            add_time(o, "last", h->last);
        if (h->since && c->at >= h->since) {
            char f[32];
            int64_t sec = (c->at - h->since) / IPL_US_PER_SEC;
            snprintf(f, sizeof f, "%lldd%02lldh%02lldm", (long long)(sec / 86400),
                     (long long)(sec % 86400 / 3600), (long long)(sec % 3600 / 60));
            cJSON_AddStringToObject(o, "for", f);
        }
    }
    cJSON_AddItemToArray(c->arr, o);
    return 0;
}

cJSON *srv_health_json(ipl_store *st, const ipl_srv_health_opts *o, int record, int sources,
                       int extra, uint64_t *changes, ipl_diag *d)
{
    cJSON *j = cJSON_CreateObject();
    ipl_rtxn *t = NULL;
    ipl_srv_view *v = NULL;
    hctx c = {NULL, 0, extra, o->at, NULL};
    if (!j || !(c.arr = cJSON_AddArrayToObject(j, "servers")))
        goto fail;
    if (ipl_srv_update(st, NULL, d) || ipl_rtxn_begin(st, &t, d) || ipl_srv_view_load(t, &v, d))
        goto fail;
    ipl_rtxn_end(t);
    t = NULL;
    c.v = v;
    c.sources = sources;
    if (ipl_srv_health_check(st, o, record, health_fn, &c, changes, d))
        goto fail;
    ipl_srv_view_free(v);
    return j;
fail:
    ipl_rtxn_end(t);
    ipl_srv_view_free(v);
    cJSON_Delete(j);
    return NULL;
}

/* ---- commands ---- */

static int get_at(const char *sub, const ipl_args *a, int64_t *at)
{
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    char cmd[64];
    snprintf(cmd, sizeof cmd, "servers %s", sub);
    *at = wall_us();
    if (!ipl_arg(a, "at"))
        return 0;
    if (ipl_arg(a, "tz") && ipl_tz_load(&tz, ipl_arg(a, "tz"), &d))
        return cli_fail(cmd, 2, "--tz: %s", d.msg);
    int rc = cli_time(cmd, "at", ipl_arg(a, "at"), tz, at);
    ipl_tz_free(tz);
    return rc;
}

/* Opens the store writable (the summaries are brought up to date), else read-only. */
static int open_update(const char *sub, const ipl_args *a, ipl_store **st, ipl_diag *d)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "servers %s", sub);
    int rc = cli_open_store(cmd, a, 0, st);
    if (rc)
        return rc;
    int err = ipl_srv_update(*st, NULL, d);
    if (err) {
        ipl_store_close(*st);
        *st = NULL;
        return fail(sub, err, d);
    }
    return 0;
}

static int do_list(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *t = NULL;
    ipl_srv_view *v = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int64_t at;
    int rc, err;
    unsigned types = 0;
    if (ipl_arg(a, "type") && ipl_srv_types_parse(ipl_arg(a, "type"), &types, &d))
        return cli_fail("servers list", 2, "--type: %s", d.msg);
    if ((rc = get_at("list", a, &at)) || (rc = cli_out_format("servers", a, &f)) ||
        (rc = open_update("list", a, &st, &d)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &t, &d)) || (err = ipl_srv_view_load(t, &v, &d)) ||
        (err = ipl_out_new(&o, f, srv_list_cols, srv_list_ncols, cli_write_stdout, NULL)) ||
        (err = srv_list_rows(v, at, types, ipl_arg(a, "group"), o)) || (err = ipl_out_end(o)))
        goto out;
out:
    ipl_out_free(o);
    ipl_srv_view_free(v);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? fail("list", err, &d) : 0;
}

static int do_show(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *t = NULL;
    ipl_srv_view *v = NULL;
    ipl_out *o = NULL;
    cJSON *j = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int64_t at;
    int rc, err;
    if (a->npos != 2)
        return cli_fail("servers show", 2, "give one server name");
    if ((rc = get_at("show", a, &at)) || (rc = cli_out_format("servers", a, &f)) ||
        (rc = open_update("show", a, &st, &d)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &t, &d)) || (err = ipl_srv_view_load(t, &v, &d)))
        goto out;
    const ipl_srv *s = ipl_srv_find(v, a->pos[1]);
    if (!s) {
        err = ipl_diag_set(&d, IPL_ENOTFOUND, "server '%s' is not in the inventory", a->pos[1]);
        goto out;
    }
    if (!(j = srv_show_json(t, v, s, at, &d))) {
        err = ipl_diag_set(&d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if (f == IPL_OUT_JSON || f == IPL_OUT_NDJSON) {
        char *txt = f == IPL_OUT_JSON ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
        if (txt)
            printf("%s\n", txt);
        cJSON_free(txt);
        goto out;
    }
    /* table / csv: one row per field, then one per source and per scope */
    static const ipl_col cols[] = {{"field", IPL_COL_STR}, {"value", IPL_COL_STR},
                                   {"detail", IPL_COL_STR}};
    if ((err = ipl_out_new(&o, f, cols, 3, cli_write_stdout, NULL)))
        goto out;
    cJSON *x;
    cJSON_ArrayForEach(x, j) {
        char num[64], det[256];
        const char *val = NULL;
        if (cJSON_IsArray(x)) {
            cJSON *e;
            cJSON_ArrayForEach(e, x) {
                det[0] = 0;
                if (cJSON_IsObject(e)) {
                    const cJSON *sc = cJSON_GetObjectItem(e, "scope");
                    const cJSON *or = cJSON_GetObjectItem(e, "origin");
                    const cJSON *u = cJSON_GetObjectItem(e, "utilization");
                    const cJSON *us = cJSON_GetObjectItem(e, "used");
                    const cJSON *sz = cJSON_GetObjectItem(e, "size");
                    if (cJSON_IsNumber(u))
                        snprintf(det, sizeof det, "%s: %.0f of %.0f used, %.1f%%",
                                 or->valuestring, us->valuedouble, sz->valuedouble, u->valuedouble);
                    else
                        snprintf(det, sizeof det, "%s", or ? or->valuestring : "");
                    val = sc ? sc->valuestring : "";
                } else {
                    val = cJSON_IsString(e) ? e->valuestring : "";
                }
                const char *row[] = {x->string, val, det};
                if ((err = ipl_out_row(o, row)))
                    goto out;
            }
            continue;
        }
        if (cJSON_IsObject(x)) {
            char *txt = cJSON_PrintUnformatted(x);
            const char *row[] = {x->string, txt, NULL};
            err = ipl_out_row(o, row);
            cJSON_free(txt);
            if (err)
                goto out;
            continue;
        }
        if (cJSON_IsString(x))
            val = x->valuestring;
        else if (cJSON_IsBool(x))
            val = cJSON_IsTrue(x) ? "yes" : "no";
        else {
            snprintf(num, sizeof num, "%.15g", x->valuedouble);
            val = num;
        }
        const char *row[] = {x->string, val, NULL};
        if ((err = ipl_out_row(o, row)))
            goto out;
    }
    err = ipl_out_end(o);
out:
    cJSON_Delete(j);
    ipl_out_free(o);
    ipl_srv_view_free(v);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? fail("show", err, &d) : 0;
}

static int health_opts(const ipl_args *a, ipl_srv_health_opts *o)
{
    int64_t at;
    int rc = get_at("health", a, &at);
    if (rc)
        return rc;
    ipl_srv_health_defaults(o, at);
    const char *v;
    char *e;
    if ((v = ipl_arg(a, "factor"))) {
        errno = 0;
        o->factor = strtod(v, &e);
        if (errno || *e || e == v || o->factor < 1 || o->factor > 1000)
            return cli_fail("servers health", 2, "--factor: '%s' is not a number 1-1000", v);
    }
    struct { const char *opt; int64_t *dst; } durs[] = {{"floor", &o->floor_us},
                                                        {"window", &o->window_us}};
    for (size_t i = 0; i < 2; i++)
        if ((v = ipl_arg(a, durs[i].opt))) {
            int64_t us = srv_duration(v);
            if (us <= 0)
                return cli_fail("servers health", 2, "--%s: '%s' is not a duration (30s, 5m, 2h, "
                                "1d)", durs[i].opt, v);
            *durs[i].dst = us;
        }
    if ((v = ipl_arg(a, "days"))) {
        errno = 0;
        long n = strtol(v, &e, 10);
        if (errno || *e || e == v || n < 1 || n > IPL_SRV_DAYS)
            return cli_fail("servers health", 2, "--days: '%s' is not a number 1-%d", v,
                            IPL_SRV_DAYS);
        o->days = (int)n;
    }
    if ((v = ipl_arg(a, "burst"))) {
        errno = 0;
        unsigned long long n = strtoull(v, &e, 10);
        if (errno || *e || e == v || n == 0 || n > 100000000)
            return cli_fail("servers health", 2, "--burst: '%s' is not a number 1-100000000", v);
        o->burst = n;
    }
    return 0;
}

static int do_health(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    ipl_srv_health_opts ho;
    uint64_t changes = 0;
    int rc, err = IPL_OK;
    if ((rc = health_opts(a, &ho)) || (rc = cli_out_format("servers", a, &f)) ||
        (rc = cli_open_store("servers health", a, 0, &st)))
        return rc;
    int record = ipl_arg_flag(a, "record");
    cJSON *j = srv_health_json(st, &ho, record, ipl_arg_flag(a, "sources"), 1, &changes, &d);
    if (!j) {
        err = d.code ? d.code : IPL_ENOMEM;
        goto out;
    }
    if (f == IPL_OUT_JSON) {
        char *txt = cJSON_PrintUnformatted(j);
        printf("%s\n", txt ? txt : "");
        cJSON_free(txt);
    } else {
        static const ipl_col cols[] = {{"name", IPL_COL_STR}, {"type", IPL_COL_STR},
                                       {"state", IPL_COL_STR}, {"since", IPL_COL_STR},
                                       {"for", IPL_COL_STR},   {"check", IPL_COL_STR},
                                       {"detail", IPL_COL_STR}};
        if ((err = ipl_out_new(&o, f, cols, 7, cli_write_stdout, NULL)))
            goto out;
        cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "servers")) {
            const char *row[7];
            static const char *const keys[] = {"name", "type", "state", "since", "for", "check",
                                               "detail"};
            for (int k = 0; k < 7; k++) {
                const cJSON *y = cJSON_GetObjectItem(x, keys[k]);
                row[k] = cJSON_IsString(y) ? y->valuestring : NULL;
            }
            if ((err = ipl_out_row(o, row)))
                goto out;
        }
        err = ipl_out_end(o);
    }
    if (!err && record)
        fprintf(stderr, "servers health: %llu state changes recorded\n",
                (unsigned long long)changes);
out:
    cJSON_Delete(j);
    ipl_out_free(o);
    ipl_store_close(st);
    return err ? fail("health", err, &d) : 0;
}

static int do_change(const ipl_args *a, int action)
{
    static const char *const names[] = {"add", "edit", "remove"};
    const char *sub = names[action];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "servers %s", sub);
    if (a->npos != 2)
        return cli_fail(cmd, 2, "give one server name");
    ipl_srv_change c;
    memset(&c, 0, sizeof c);
    c.action = action;
    c.name = a->pos[1];
    c.types = ipl_arg(a, "type");
    c.vendor = ipl_arg(a, "vendor");
    c.address = ipl_arg(a, "address");
    c.owner = ipl_arg(a, "owner");
    c.description = ipl_arg(a, "description");
    c.probe = ipl_arg(a, "probe");
    c.probe_name = ipl_arg(a, "probe-name");
    int man = ipl_arg_flag(a, "managed"), unman = ipl_arg_flag(a, "unmanaged");
    if (man && unman)
        return cli_fail(cmd, 2, "--managed and --unmanaged exclude each other");
    c.managed = man ? 1 : unman ? 0 : -1;
    const char *fields[64], *groups[64];
    for (size_t i = 0; i < NOPTS; i++) {
        if (strcmp(a->opts[i].name, "field") == 0)
            for (int k = 0; k < a->opts[i].count; k++)
                fields[c.nfields++] = a->opts[i].values[k];
        if (strcmp(a->opts[i].name, "group") == 0)
            for (int k = 0; k < a->opts[i].count; k++)
                groups[c.ngroups++] = a->opts[i].values[k];
    }
    c.fields = fields;
    c.groups = groups;
    int given = c.types || c.vendor || c.address || c.owner || c.description || c.probe ||
                c.probe_name || c.managed >= 0 || c.nfields || c.ngroups;
    if (action == IPL_SRV_REMOVE && given)
        return cli_fail(cmd, 2, "remove takes only the name");
    if (action == IPL_SRV_EDIT && !given)
        return cli_fail(cmd, 2, "say what to change (see -h)");
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int rc = cli_open_store(cmd, a, 0, &st);
    if (rc)
        return rc;
    ipl_asm_actor who;
    ipl_asm_actor_default(&who);
    ipl_srv_actor act;
    snprintf(act.principal, sizeof act.principal, "%s", who.principal);
    act.now = wall_us();
    uint64_t seq = 0;
    char *json = NULL;
    int err = ipl_srv_apply(st, &act, &c, &seq, &json, &d);
    ipl_store_close(st);
    if (err)
        return fail(sub, err, &d);
    printf("server '%s' %s (event %llu)%s%s\n", c.name,
           action == IPL_SRV_ADD ? "added" : action == IPL_SRV_EDIT ? "edited" : "removed",
           (unsigned long long)seq, json ? ": " : "", json ? json : "");
    free(json);
    return 0;
}

static int do_rebuild(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    uint64_t n = 0;
    int rc = cli_open_store("servers rebuild", a, 0, &st), err;
    if (rc)
        return rc;
    if (!(err = ipl_srv_reset(st, &d)))
        err = ipl_srv_update(st, &n, &d);
    ipl_store_close(st);
    if (err)
        return fail("rebuild", err, &d);
    printf("inventory rebuilt from %llu events\n", (unsigned long long)n);
    return 0;
}

int cmd_servers(int argc, char **argv)
{
    for (size_t i = 0; i < NOPTS; i++) {
        opts[i].value = NULL;
        opts[i].count = 0;
    }
    ipl_args a = {opts, NOPTS, {0}, 0, 0};
    int rc = cli_args("servers", usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *sub = a.npos ? a.pos[0] : "";
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].count > 1 && strcmp(opts[i].name, "field") && strcmp(opts[i].name, "group"))
            return cli_fail("servers", 2, "--%s given twice", opts[i].name);
    if (strcmp(sub, "list") == 0)
        return a.npos == 1 ? do_list(&a) : cli_fail("servers list", 2, "list takes no name");
    if (strcmp(sub, "show") == 0)
        return do_show(&a);
    if (strcmp(sub, "health") == 0)
        return a.npos == 1 ? do_health(&a)
                           : cli_fail("servers health", 2, "health takes no name");
    if (strcmp(sub, "add") == 0)
        return do_change(&a, IPL_SRV_ADD);
    if (strcmp(sub, "edit") == 0)
        return do_change(&a, IPL_SRV_EDIT);
    if (strcmp(sub, "remove") == 0)
        return do_change(&a, IPL_SRV_REMOVE);
    if (strcmp(sub, "rebuild") == 0)
        return a.npos == 1 ? do_rebuild(&a) : cli_fail("servers rebuild", 2, "rebuild takes no name");
    if (!*sub)
        return cli_fail("servers", 2, "say list, show, health, add, edit, remove or rebuild (see -h)");
    return cli_fail("servers", 2, "'%s' is not list, show, health, add, edit, remove or rebuild",
                    sub);
}
