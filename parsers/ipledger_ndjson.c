/* parsers/ipledger_ndjson.c — ipledger's own NDJSON export (`ipledger export --format ndjson`),
 * read back by `ipledger import`.
 *
 * One event per line, the columns of queries/lookup.c (ipl_event_cols) as a JSON object, in this
 * order:
 *   {"seq":12,"time":"2024-05-06T05:00:59Z","kind":"lease.assign","ip":"10.1.0.10",
 *    "mac":"8c16457d0f77","duid":null,"host":"PC-1.corp","user":null,"server":"dhcp1",
 *    "source":"file:/var/log/dhcp/DhcpSrvLog-Mon.log","line":873,"attrs":{"code":"10",...}}
 * Each line becomes the same event again: time (µs), kind, address, MAC, DUID, host, user, server
 * and attributes as exported. The store gives it a new seq, and ingest names the archive as its
 * source; the original source and line are kept in the attribute "origin" ("<source>#<line>"),
 * unless the event already carries one (an archive of re-imported events keeps the first origin).
 * seq is not kept. Probe: only this format scores (a first line starting {"seq": with the
 * time, kind and attrs members); every other input scores 0.
 * A MAC in any common notation is stored canonical (12 hex digits).
 * Errors (the line is quarantined): not a JSON object, a missing or invalid time or kind, an
 * invalid address or MAC, an unknown attribute name, too many attributes, a member of the wrong type.
 * cJSON is used only inside line(): parse, read, delete; the event's strings point into the tree,
 * which lives until emit returns.
 */
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/parser.h"
#include "engine/tz.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static int probe(const char *sample, size_t len)
{
    const char *nl = memchr(sample, '\n', len);
    size_t n = nl ? (size_t)(nl - sample) : len;
    char first[4096];
    if (n < 40 || memcmp(sample, "{\"seq\":", 7) != 0)
        return 0;
    if (n >= sizeof first)
        n = sizeof first - 1;
    memcpy(first, sample, n);
    first[n] = '\0';
    if (strstr(first, ",\"time\":\"") && strstr(first, ",\"kind\":\"") &&
        strstr(first, ",\"source\":") && strstr(first, ",\"attrs\":{"))
        return 100;
    return 0;
}

/* A member that is null/absent (*out = NULL) or a string of at most max bytes. */
static int opt_str(const cJSON *o, const char *name, size_t max, const char **out, ipl_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return IPL_OK;
    if (!cJSON_IsString(v))
        return ipl_diag_set(d, IPL_EPARSE, "'%s' is not a string", name);
    if (strlen(v->valuestring) > max)
        return ipl_diag_set(d, IPL_EPARSE, "'%s' is longer than %zu bytes", name, max);
    *out = v->valuestring[0] ? v->valuestring : NULL;
    return IPL_OK;
}

static const char *const members[] = {"seq", "time", "kind", "ip", "mac", "duid", "host", "user",
                                      "server", "source", "line", "attrs"};

static int line_fn(void *state, ipl_parse_ctx *ctx, const char *line, size_t len, ipl_emit_fn emit,
                   void *emit_ctx, ipl_diag *d)
{
    cJSON *j;
    ipl_event ev;
    const char *s;
    int err;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return IPL_OK;                       /* a blank line */
    if (!(j = cJSON_ParseWithLength(line, len)))
        return ipl_diag_set(d, IPL_EPARSE, "not a JSON object (invalid JSON)");
    ipl_event_reset(&ev);
    if (!cJSON_IsObject(j)) {
        err = ipl_diag_set(d, IPL_EPARSE, "not a JSON object");
        goto out;
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        size_t k = 0;
        while (k < sizeof members / sizeof members[0] && strcmp(c->string, members[k]) != 0)
            k++;
        if (k == sizeof members / sizeof members[0]) {
            err = ipl_diag_set(d, IPL_EPARSE, "unknown member '%.64s' (not an ipledger export)",
                               c->string);
            goto out;
        }
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "time"),
                *k = cJSON_GetObjectItemCaseSensitive(j, "kind"),
                *attrs = cJSON_GetObjectItemCaseSensitive(j, "attrs"),
                *ln = cJSON_GetObjectItemCaseSensitive(j, "line");
    if (!cJSON_IsString(t) || ipl_time_parse(t->valuestring, strlen(t->valuestring), NULL, &ev.ts, d)) {
        err = ipl_diag_set(d, IPL_EPARSE, "missing or invalid 'time'");
        goto out;
    }
    int kind = cJSON_IsString(k) ? ipl_kind_parse(k->valuestring, strlen(k->valuestring)) : -1;
    if (kind <= 0) {
        err = ipl_diag_set(d, IPL_EPARSE, "missing or unknown 'kind'");
        goto out;
    }
    ev.kind = (uint16_t)kind;
    if ((err = opt_str(j, "ip", 64, &s, d)))
        goto out;
    if (s) {
        if (ipl_ip_parse(s, strlen(s), ev.ip)) {
            err = ipl_diag_set(d, IPL_EPARSE, "invalid 'ip' '%.64s'", s);
            goto out;
        }
        ev.has_ip = 1;
    }
    if ((err = opt_str(j, "mac", IPL_STR_MAX, &ev.mac, d)) ||
        (err = opt_str(j, "duid", IPL_STR_MAX, &ev.duid, d)) ||
        (err = opt_str(j, "host", IPL_STR_MAX, &ev.host, d)) ||
        (err = opt_str(j, "user", IPL_STR_MAX, &ev.user, d)) ||
        (err = opt_str(j, "server", IPL_STR_MAX, &ev.server, d)) ||
        (err = opt_str(j, "source", IPL_STR_MAX, &s, d)))
        goto out;
    if (ev.mac) {           /* an archive written by hand or by another tool: any notation */
        char *m = ipl_arena_alloc(ctx->arena, 13);
        if (!m) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        if (ipl_mac_canon(ev.mac, strlen(ev.mac), m)) {
            err = ipl_diag_set(d, IPL_EPARSE, "invalid 'mac' '%.64s'", ev.mac);
            goto out;
        }
        ev.mac = m;
    }
    if (!ev.server)
        ev.server = ctx->server;
    if (attrs && !cJSON_IsNull(attrs) && !cJSON_IsObject(attrs)) {
        err = ipl_diag_set(d, IPL_EPARSE, "'attrs' is not an object");
        goto out;
    }
    int has_origin = 0;
    for (const cJSON *a = attrs ? attrs->child : NULL; a; a = a->next) {
        int key = ipl_attr_parse(a->string, strlen(a->string));
        if (key <= 0) {
            err = ipl_diag_set(d, IPL_EPARSE, "unknown attribute '%.64s'", a->string);
            goto out;
        }
        if (!cJSON_IsString(a)) {
            err = ipl_diag_set(d, IPL_EPARSE, "attribute '%.64s' is not a string", a->string);
            goto out;
        }
        has_origin |= key == IPL_A_ORIGIN;
        if ((err = ipl_event_add_attr(&ev, (unsigned)key, a->valuestring, strlen(a->valuestring)))) {
            if (err == IPL_ELIMIT)
                err = ipl_diag_set(d, IPL_EPARSE, "more than %d attributes", IPL_ATTR_MAX);
            else
                err = ipl_diag_set(d, IPL_EPARSE, "attribute '%.64s' is longer than %d bytes",
                                   a->string, IPL_ATTR_VAL_MAX);
            goto out;
        }
    }
    if (s && !has_origin) {
        char num[32];
        double lv = cJSON_IsNumber(ln) ? ln->valuedouble : 0;
        snprintf(num, sizeof num, "%.0f", lv >= 0 && lv < 1e15 ? lv : 0);
        size_t n = strlen(s) + 1 + strlen(num);
        char *o = ipl_arena_alloc(ctx->arena, n + 1);
        if (!o) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(o, n + 1, "%s#%s", s, num);
        if (ipl_event_add_attr(&ev, IPL_A_ORIGIN, o, n)) {
            err = ipl_diag_set(d, IPL_EPARSE, "no room for the 'origin' attribute (the event has "
                               "%d attributes already)", IPL_ATTR_MAX);
            goto out;
        }
    }
    err = emit(emit_ctx, &ev);
out:
    cJSON_Delete(j);
    return err;
}

const ipl_parser ipl_parser_ipledger_ndjson = {
    .name = "ipledger-ndjson",
    .summary = "ipledger's own NDJSON export ('ipledger export'), read back by 'ipledger import'",
    .state_size = 0,
    .probe = probe,
    .init = NULL,
    .line = line_fn,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
