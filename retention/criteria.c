/* retention/criteria.c — purge criteria: canonical JSON, compiled matcher, the time-index walk;
 * see purge.h.
 *
 * Canonical text (fields always in this order, "now" last so that two runs of the same command
 * compare equal up to it):
 *   {"after":"<µs>"|null,"after_time":"<ISO>"|null,"before":"<µs>"|null,"before_time":...,
 *    "kinds":[...],"sources":[...],"where":null|"<query>","policy":null|"<canonical policy>",
 *    "policy_sha256":null|"<hex>","now":"<µs>","now_time":"<ISO>"}
 */
#include "retention/purge.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "queries/ql.h"
#include "retention/retention_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRITERIA_MAX (IPL_POLICY_MAX * 2 + 65536)

struct ipl_criteria {
    int64_t     after, before, now;      /* [after, before) */
    ipl_kindset kinds;
    char      **sources;
    size_t      nsources;
    ipl_policy *policy;
    char       *where;                   /* query text, or NULL */
    ipl_seqset  where_set;               /* what it selected (ipl_criteria_prepare) */
    int         where_ready;
};

static void put_time(ipl_sb *b, const char *name, int64_t us, int present)
{
    char tb[IPL_TIME_BUF];
    if (!present) {
        ipl_sb_printf(b, "\"%s\":null,\"%s_time\":null", name, name);
        return;
    }
    ipl_time_format(us, tb, sizeof tb);
    ipl_sb_printf(b, "\"%s\":\"%lld\",\"%s_time\":\"%s\"", name, (long long)us, name, tb);
}

int ipl_criteria_make(const ipl_criteria_args *a, char **json, ipl_diag *d)
{
    ipl_kindset ks;
    ipl_sb b;
    int err;
    *json = NULL;
    memset(&ks, 0, sizeof ks);
    if (a->nkinds > IPL_PURGE_PATTERNS_MAX || a->nsources > IPL_PURGE_PATTERNS_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "at most %d --kind and %d --source values",
                            IPL_PURGE_PATTERNS_MAX, IPL_PURGE_PATTERNS_MAX);
    for (size_t i = 0; i < a->nkinds; i++)
        if ((err = ipl_kindset_add(&ks, a->kinds[i], d)))
            return ipl_diag_prefix(d, "--kind");
    for (size_t i = 0; i < a->nsources; i++)
        if (!a->sources[i][0] || strlen(a->sources[i]) > IPL_STR_MAX)
            return ipl_diag_set(d, IPL_EINVAL, "--source: a source name has 1 to %d bytes",
                                IPL_STR_MAX);
    if (a->where && strlen(a->where) > IPL_QL_MAX_TEXT)
        return ipl_diag_set(d, IPL_ELIMIT, "--where: a query has at most %d bytes", IPL_QL_MAX_TEXT);
    if (a->where && (err = ipl_where_check(a->where, a->now, d)))
        return err;
    if (!a->policy && a->before == INT64_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "a purge needs --before (nothing is removed without "
                            "an upper time bound)");
    if (a->after != INT64_MIN && a->after >= a->before)
        return ipl_diag_set(d, IPL_EINVAL, "--after is not before --before: nothing to remove");
    ipl_sb_init(&b, CRITERIA_MAX);
    ipl_sb_puts(&b, "{");
    put_time(&b, "after", a->after, a->after != INT64_MIN);
    ipl_sb_puts(&b, ",");
    put_time(&b, "before", a->before, a->before != INT64_MAX);
    ipl_sb_puts(&b, ",\"kinds\":[");
    for (size_t i = 0; i < a->nkinds; i++) {
        if (i)
            ipl_sb_puts(&b, ",");
        ipl_sb_json_str(&b, a->kinds[i]);
    }
    ipl_sb_puts(&b, "],\"sources\":[");
    for (size_t i = 0; i < a->nsources; i++) {
        if (i)
            ipl_sb_puts(&b, ",");
        ipl_sb_json_str(&b, a->sources[i]);
    }
    ipl_sb_puts(&b, "],\"where\":");
    ipl_sb_json_str(&b, a->where);
    ipl_sb_puts(&b, ",\"policy\":");
    ipl_sb_json_str(&b, a->policy ? ipl_policy_canonical(a->policy) : NULL);
    ipl_sb_puts(&b, ",\"policy_sha256\":");
    ipl_sb_json_str(&b, a->policy ? a->policy_sha256 : NULL);
    ipl_sb_puts(&b, ",");
    put_time(&b, "now", a->now, 1);
    ipl_sb_puts(&b, "}");
    if (b.err) {
        err = ipl_diag_set(d, b.err, "the criteria are too long");
        ipl_sb_release(&b);
        return err;
    }
    *json = ipl_sb_take(&b);
    return IPL_OK;
}

int ipl_criteria_same(const char *a, const char *b)
{
    const char *na = strstr(a, ",\"now\":"), *nb = strstr(b, ",\"now\":");
    if (!na || !nb)
        return strcmp(a, b) == 0;
    return na - a == nb - b && memcmp(a, b, (size_t)(na - a)) == 0;
}

static int get_time(const cJSON *j, const char *name, int64_t *v, int64_t absent, ipl_diag *d)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!x || cJSON_IsNull(x)) {
        *v = absent;
        return IPL_OK;
    }
    if (ipl_rj_i64(j, name, v))
        return ipl_diag_set(d, IPL_ECORRUPT, "criteria: '%s' is not a time", name);
    return IPL_OK;
}

static int damaged(ipl_diag *d)
{
    return ipl_diag_set(d, IPL_ECORRUPT, "the recorded purge criteria are damaged");
}

int ipl_criteria_compile(const char *json, ipl_criteria **out, ipl_diag *d)
{
    cJSON *j = NULL;
    ipl_criteria *c = calloc(1, sizeof *c);
    int err;
    *out = NULL;
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if ((err = ipl_rj_parse(json, strlen(json), 3, "criteria", &j, d)))
        goto out;
    if ((err = get_time(j, "after", &c->after, INT64_MIN, d)) ||
        (err = get_time(j, "before", &c->before, INT64_MAX, d)) ||
        (err = get_time(j, "now", &c->now, 0, d)))
        goto out;
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(j, "kinds"),
                *sources = cJSON_GetObjectItemCaseSensitive(j, "sources"),
                *where = cJSON_GetObjectItemCaseSensitive(j, "where");
    if (!cJSON_IsArray(kinds) || !cJSON_IsArray(sources)) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "criteria: kinds and sources must be lists");
        goto out;
    }
    if (where && !cJSON_IsNull(where)) {
        if (!cJSON_IsString(where)) {
            err = damaged(d);
            goto out;
        }
        if (!(c->where = strdup(where->valuestring))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (const cJSON *k = kinds->child; k; k = k->next) {
        if (!cJSON_IsString(k) || ipl_kindset_add(&c->kinds, k->valuestring, d)) {
            err = damaged(d);
            goto out;
        }
    }
    int ns = cJSON_GetArraySize(sources);
    if (ns > IPL_PURGE_PATTERNS_MAX) {
        err = damaged(d);
        goto out;
    }
    if (!(c->sources = calloc((size_t)ns + 1, sizeof *c->sources))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (const cJSON *s = sources->child; s; s = s->next) {
        if (!cJSON_IsString(s)) {
            err = damaged(d);
            goto out;
        }
        if (!(c->sources[c->nsources++] = strdup(s->valuestring))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    }
    const char *pol = ipl_rj_str(j, "policy");
    if (pol && (err = ipl_policy_parse(pol, strlen(pol), &c->policy, d)))
        goto out;
    if (c->after >= c->before && c->after != INT64_MIN) {
        err = damaged(d);
        goto out;
    }
    *out = c;
    c = NULL;
    err = IPL_OK;
out:
    cJSON_Delete(j);
    ipl_criteria_free(c);
    return err;
}

int ipl_criteria_prepare(ipl_criteria *c, ipl_rtxn *t, ipl_diag *d)
{
    int err;
    if (!c->where || c->where_ready)
        return IPL_OK;
    if ((err = ipl_where_run(t, c->where, c->now, &c->where_set, d)))
        return err;
    c->where_ready = 1;
    return IPL_OK;
}

void ipl_criteria_free(ipl_criteria *c)
{
    if (!c)
        return;
    free(c->where);
    ipl_seqset_release(&c->where_set);
    for (size_t i = 0; i < c->nsources; i++)
        free(c->sources[i]);
    free(c->sources);
    ipl_policy_free(c->policy);
    free(c);
}

int64_t ipl_criteria_now(const ipl_criteria *c)
{
    return c->now;
}

const ipl_policy *ipl_criteria_policy(const ipl_criteria *c)
{
    return c->policy;
}

int ipl_criteria_window(const ipl_criteria *c, int64_t *from, int64_t *to)
{
    if (c->kinds.any || c->nsources || c->where || c->policy)
        return 0;
    *from = c->after == INT64_MIN ? 0 : c->after;
    *to = c->before - 1;
    return 1;
}

int ipl_criteria_match(const ipl_criteria *c, const ipl_event *ev)
{
    int rule = 0;
    if (ev->ts >= c->before || (c->after != INT64_MIN && ev->ts < c->after))
        return -1;
    if (c->kinds.any && !ipl_kindset_has(&c->kinds, ev->kind))
        return -1;
    if (c->nsources) {
        size_t i = 0;
        while (i < c->nsources && !ipl_source_match(c->sources[i], ev->source))
            i++;
        if (i == c->nsources)
            return -1;
    }
    if (c->where && (!c->where_ready || !ipl_seqset_has(&c->where_set, ev->seq)))
        return -1;
    if (c->policy) {
        rule = ipl_policy_rule(c->policy, ev);
        if (rule < 0 || ev->ts >= ipl_policy_cutoff(c->policy, (size_t)rule, c->now))
            return -1;
    }
    if (ev->kind == IPL_K_RETENTION_PURGE && !c->kinds.purge_named)
        return -2;
    return rule;
}

int ipl_criteria_scan(ipl_rtxn *t, const ipl_criteria *c, ipl_scan_pos *pos, size_t limit,
                      ipl_scan_fn fn, void *ctx, int *done, ipl_diag *d)
{
    ipl_ixcur *cur = NULL;
    ipl_ixent e;
    size_t n = 0;
    int err;
    int64_t from = c->after == INT64_MIN ? 0 : c->after, to = c->before == INT64_MAX ? INT64_MAX : c->before - 1;
    if (c->policy) {
        int64_t cut = ipl_policy_max_cutoff(c->policy, c->now);
        if (cut == INT64_MIN) {
            *done = 1;         /* every rule keeps forever */
            return IPL_OK;
        }
        if (cut - 1 < to)
            to = cut - 1;
    }
    *done = 0;
    if (pos->started && pos->ts > from)
        from = pos->ts;
    if (to < from) {
        *done = 1;
        return IPL_OK;
    }
    if ((err = ipl_ixcur_open(t, IPL_IX_TIME, NULL, NULL, from, to, 0, &cur, d)))
        return err;
    while (n < limit && (err = ipl_ixcur_next(cur, &e, d)) == IPL_OK) {
        if (pos->started && (e.ts < pos->ts || (e.ts == pos->ts && e.seq <= pos->seq)))
            continue;
        ipl_event ev;
        pos->started = 1;
        pos->ts = e.ts;
        pos->seq = e.seq;
        n++;
        err = ipl_store_get(t, e.seq, &ev, d);
        if (err == IPL_ENOTFOUND)
            continue;          /* removed since the index was read: cannot happen in one txn */
        if (err)
            break;
        if ((err = fn(ctx, &ev, ipl_criteria_match(c, &ev))))
            break;
    }
    ipl_ixcur_close(cur);
    if (err == IPL_ENOTFOUND) {
        *done = 1;
        err = IPL_OK;
    }
    return err;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

uint64_t ipl_record_estimate(const ipl_event *ev)
{
    /* the layout of engine/record.c; dictionary ids taken as 3 bytes */
    uint64_t n = 3 + 8 + (ev->has_ip ? (ipl_ip_is_v4(ev->ip) ? 4 : 16) : 0);
    const char *ids[6] = {ev->mac, ev->duid, ev->host, ev->user, ev->server, ev->source};
    for (int i = 0; i < 6; i++)
        n += ids[i] ? 3 : 1;
    n += varint_len(ev->line) + 1;
    for (uint32_t i = 0; i < ev->nattr; i++)
        n += 1 + (ipl_attr_interned(ev->attr[i].key) ? 3 : varint_len(ev->attr[i].len) + ev->attr[i].len);
    return n;
}
