/* retention/policy.c — parsing, checking and applying retention policies; see policy.h. */
#include "retention/policy.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "retention/retention_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US (INT64_C(86400) * 1000000)

enum { F_KIND, F_SOURCE, F_SERVER, F_SUBNET, F__COUNT };
static const char *const field_names[F__COUNT] = {"kind", "source", "server", "subnet"};

typedef struct prule {
    int         has[F__COUNT];
    ipl_kindset kinds;
    char      **values[F__COUNT];     /* as written (subnets canonical); NULL-terminated */
    size_t      nvalues[F__COUNT];
    ipl_prefix *subnets;
    int64_t     keep_days;            /* -1: forever */
} prule;

struct ipl_policy {
    prule  *rules;
    size_t  n;
    int     has_default;
    prule   def;
    char   *canonical;
    ipl_arena arena;
};

static int rule_err(ipl_diag *d, size_t i, const char *field, const char *fmt, const char *what)
{
    char head[96];
    if (i == (size_t)-1)
        snprintf(head, sizeof head, "policy: default");
    else
        snprintf(head, sizeof head, "policy: rule %zu", i + 1);
    if (field)
        return ipl_diag_set(d, IPL_EINVAL, "%s, field '%s': %s%s", head, field, fmt, what ? what : "");
    return ipl_diag_set(d, IPL_EINVAL, "%s: %s%s", head, fmt, what ? what : "");
}

static int parse_keep(const cJSON *r, size_t i, int64_t *keep, ipl_diag *d)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "keep_days");
    if (!k)
        return rule_err(d, i, "keep_days", "missing (a number of days, or \"forever\")", NULL);
    if (cJSON_IsString(k) && strcmp(k->valuestring, "forever") == 0) {
        *keep = -1;
        return IPL_OK;
    }
    if (!cJSON_IsNumber(k) || k->valuedouble != (double)(int64_t)k->valuedouble ||
        k->valuedouble < 0 || k->valuedouble > IPL_POLICY_KEEP_MAX)
        return rule_err(d, i, "keep_days", "must be a whole number of days from 0 to 36500, or "
                        "\"forever\"", NULL);
    *keep = (int64_t)k->valuedouble;
    return IPL_OK;
}

static int parse_field(ipl_policy *p, prule *pr, int f, const cJSON *v, size_t i, ipl_diag *d)
{
    const cJSON *items[IPL_POLICY_VALUES_MAX];
    size_t n = 0;
    if (cJSON_IsString(v)) {
        items[n++] = v;
    } else if (cJSON_IsArray(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            if (n == IPL_POLICY_VALUES_MAX)
                return rule_err(d, i, field_names[f], "more than 64 values", NULL);
            if (!cJSON_IsString(c))
                return rule_err(d, i, field_names[f], "values must be strings", NULL);
            items[n++] = c;
        }
    } else {
        return rule_err(d, i, field_names[f], "must be a string or a list of strings", NULL);
    }
    if (n == 0)
        return rule_err(d, i, field_names[f], "an empty list matches nothing", NULL);
    pr->has[f] = 1;
    pr->nvalues[f] = n;
    pr->values[f] = ipl_arena_alloc(&p->arena, (n + 1) * sizeof(char *));
    if (f == F_SUBNET)
        pr->subnets = ipl_arena_alloc(&p->arena, n * sizeof(ipl_prefix));
    if (!pr->values[f] || (f == F_SUBNET && !pr->subnets))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        const char *s = items[j]->valuestring;
        size_t len = strlen(s);
        char buf[IPL_IP_TEXT * 2];
        if (len == 0 || len > IPL_STR_MAX)
            return rule_err(d, i, field_names[f], "values must be 1 to 480 bytes", NULL);
        if (f == F_KIND) {
            ipl_diag kd = {0};
            if (ipl_kindset_add(&pr->kinds, s, &kd))
                return rule_err(d, i, field_names[f], kd.msg, NULL);
        } else if (f == F_SUBNET) {
            if (ipl_prefix_parse(s, len, 0, &pr->subnets[j]))
                return rule_err(d, i, field_names[f], "not a subnet (e.g. 10.0.0.0/8, 2001:db8::/32): ", s);
            ipl_prefix_format(&pr->subnets[j], buf, sizeof buf);
            s = buf;
        }
        if (!(pr->values[f][j] = ipl_arena_strdup(&p->arena, s)))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    pr->values[f][n] = NULL;
    return IPL_OK;
}

static int parse_rule(ipl_policy *p, prule *pr, const cJSON *r, size_t i, int is_default, ipl_diag *d)
{
    int err;
    memset(pr, 0, sizeof *pr);
    if (!cJSON_IsObject(r))
        return rule_err(d, i, NULL, "must be an object", NULL);
    for (const cJSON *c = r->child; c; c = c->next) {
        int f = -1;
        for (int k = 0; k < F__COUNT; k++)
            if (strcmp(c->string, field_names[k]) == 0)
                f = k;
        if (f >= 0 && is_default)
            return rule_err(d, i, c->string, "the default applies to every event left: it takes "
                            "only keep_days", NULL);
        if (f >= 0) {
            if ((err = parse_field(p, pr, f, c, i, d)))
                return err;
        } else if (strcmp(c->string, "keep_days") != 0 && strcmp(c->string, "comment") != 0) {
            return rule_err(d, i, c->string, "unknown field (known: kind, source, server, subnet, "
                            "keep_days, comment)", NULL);
        }
    }
    if (!is_default && !pr->has[F_KIND] && !pr->has[F_SOURCE] && !pr->has[F_SERVER] &&
        !pr->has[F_SUBNET])
        return rule_err(d, i, NULL, "names none of kind, source, server, subnet (use \"default\" "
                        "for every other event)", NULL);
    return parse_keep(r, i, &pr->keep_days, d);
}

static void canon_rule(ipl_sb *b, const prule *r)
{
    int first = 1;
    ipl_sb_puts(b, "{");
    for (int f = 0; f < F__COUNT; f++) {
        if (!r->has[f])
            continue;
        ipl_sb_printf(b, "%s\"%s\":[", first ? "" : ",", field_names[f]);
        for (size_t j = 0; j < r->nvalues[f]; j++) {
            if (j)
                ipl_sb_puts(b, ",");
            ipl_sb_json_str(b, r->values[f][j]);
        }
        ipl_sb_puts(b, "]");
        first = 0;
    }
    if (r->keep_days < 0)
        ipl_sb_printf(b, "%s\"keep_days\":\"forever\"}", first ? "" : ",");
    else
        ipl_sb_printf(b, "%s\"keep_days\":%lld}", first ? "" : ",", (long long)r->keep_days);
}

int ipl_policy_parse(const char *text, size_t len, ipl_policy **out, ipl_diag *d)
{
    cJSON *j = NULL;
    ipl_policy *p = NULL;
    int err;
    ipl_sb b;
    ipl_sb_init(&b, IPL_POLICY_MAX);
    *out = NULL;
    if (len > IPL_POLICY_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "policy: larger than %d bytes", IPL_POLICY_MAX);
    if ((err = ipl_rj_parse(text, len, 4, "policy", &j, d)))
        return err;
    if (!(p = calloc(1, sizeof *p))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    ipl_arena_init(&p->arena, (size_t)16 << 20);
    if (!cJSON_IsObject(j)) {
        err = ipl_diag_set(d, IPL_EINVAL, "policy: the file must hold one JSON object with "
                           "\"rules\" and/or \"default\"");
        goto out;
    }
    const cJSON *rules = NULL, *def = NULL;
    for (const cJSON *c = j->child; c; c = c->next) {
        if (strcmp(c->string, "rules") == 0)
            rules = c;
        else if (strcmp(c->string, "default") == 0)
            def = c;
        else if (strcmp(c->string, "comment") != 0) {
            err = ipl_diag_set(d, IPL_EINVAL, "policy: unknown field '%s' (known: rules, default, "
                               "comment)", c->string);
            goto out;
        }
    }
    if (rules && !cJSON_IsArray(rules)) {
        err = ipl_diag_set(d, IPL_EINVAL, "policy: \"rules\" must be a list");
        goto out;
    }
    if (!rules && !def) {
        err = ipl_diag_set(d, IPL_EINVAL, "policy: no \"rules\" and no \"default\": it would "
                           "never remove anything");
        goto out;
    }
    size_t n = rules ? (size_t)cJSON_GetArraySize(rules) : 0;
    if (n > IPL_POLICY_RULES_MAX) {
        err = ipl_diag_set(d, IPL_ELIMIT, "policy: %zu rules (at most %d)", n, IPL_POLICY_RULES_MAX);
        goto out;
    }
    if (!(p->rules = calloc(n ? n : 1, sizeof *p->rules))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    size_t i = 0;
    for (const cJSON *r = rules ? rules->child : NULL; r; r = r->next, i++)
        if ((err = parse_rule(p, &p->rules[i], r, i, 0, d)))
            goto out;
    p->n = n;
    if (def) {
        if ((err = parse_rule(p, &p->def, def, (size_t)-1, 1, d)))
            goto out;
        p->has_default = 1;
    }
    ipl_sb_puts(&b, "{\"rules\":[");
    for (i = 0; i < p->n; i++) {
        if (i)
            ipl_sb_puts(&b, ",");
        canon_rule(&b, &p->rules[i]);
    }
    ipl_sb_puts(&b, "]");
    if (p->has_default) {
        ipl_sb_puts(&b, ",\"default\":");
        canon_rule(&b, &p->def);
    }
    ipl_sb_puts(&b, "}");
    if (b.err) {
        err = ipl_diag_set(d, b.err, "policy: cannot write its canonical form");
        goto out;
    }
    p->canonical = ipl_sb_take(&b);
    *out = p;
    p = NULL;
    err = IPL_OK;
out:
    ipl_sb_release(&b);
    cJSON_Delete(j);
    ipl_policy_free(p);
    return err;
}

void ipl_policy_free(ipl_policy *p)
{
    if (!p)
        return;
    free(p->rules);
    free(p->canonical);
    ipl_arena_release(&p->arena);
    free(p);
}

size_t ipl_policy_nrules(const ipl_policy *p)
{
    return p->n;
}

int ipl_policy_has_default(const ipl_policy *p)
{
    return p->has_default;
}

static const prule *rule_at(const ipl_policy *p, size_t i)
{
    return i < p->n ? &p->rules[i] : (i == p->n && p->has_default ? &p->def : NULL);
}

int64_t ipl_policy_keep_days(const ipl_policy *p, size_t i)
{
    const prule *r = rule_at(p, i);
    return r ? r->keep_days : -1;
}

void ipl_policy_describe(const ipl_policy *p, size_t i, char *buf, size_t n)
{
    const prule *r = rule_at(p, i);
    size_t o = 0;
    if (!r) {
        snprintf(buf, n, "no rule: kept");
        return;
    }
    o += (size_t)snprintf(buf, n, i == p->n ? "default" : "rule %zu (", i + 1);
    int first = 1;
    for (int f = 0; f < F__COUNT && o < n; f++) {
        if (!r->has[f])
            continue;
        o += (size_t)snprintf(buf + o, n - o, "%s%s ", first ? "" : ", ", field_names[f]);
        for (size_t j = 0; j < r->nvalues[f] && o < n; j++)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", j ? "|" : "", r->values[f][j]);
        first = 0;
    }
    if (o < n && i != p->n)
        o += (size_t)snprintf(buf + o, n - o, ")");
    if (o < n) {
        if (r->keep_days < 0)
            snprintf(buf + o, n - o, ": keep forever");
        else
            snprintf(buf + o, n - o, ": keep %lld days", (long long)r->keep_days);
    }
}

static int eq_ci(const char *a, const char *b)
{
    if (!a)
        return 0;
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int rule_matches(const prule *r, const ipl_event *ev)
{
    if (r->has[F_KIND] && !ipl_kindset_has(&r->kinds, ev->kind))
        return 0;
    if (r->has[F_SOURCE]) {
        int m = 0;
        for (size_t j = 0; j < r->nvalues[F_SOURCE] && !m; j++)
            m = ipl_source_match(r->values[F_SOURCE][j], ev->source);
        if (!m)
            return 0;
    }
    if (r->has[F_SERVER]) {
        int m = 0;
        for (size_t j = 0; j < r->nvalues[F_SERVER] && !m; j++)
            m = eq_ci(ev->server, r->values[F_SERVER][j]);
        if (!m)
            return 0;
    }
    if (r->has[F_SUBNET]) {
        int m = 0;
        for (size_t j = 0; j < r->nvalues[F_SUBNET] && !m && ev->has_ip; j++)
            m = ipl_prefix_contains(&r->subnets[j], ev->ip);
        if (!m)
            return 0;
    }
    return 1;
}

int ipl_policy_rule(const ipl_policy *p, const ipl_event *ev)
{
    for (size_t i = 0; i < p->n; i++)
        if (rule_matches(&p->rules[i], ev))
            return (int)i;
    return p->has_default ? (int)p->n : -1;
}

int64_t ipl_policy_cutoff(const ipl_policy *p, size_t i, int64_t now)
{
    const prule *r = rule_at(p, i);
    if (!r || r->keep_days < 0)
        return INT64_MIN;
    return now - r->keep_days * DAY_US;
}

int64_t ipl_policy_max_cutoff(const ipl_policy *p, int64_t now)
{
    int64_t best = INT64_MIN;
    for (size_t i = 0; i <= p->n; i++) {
        int64_t c = ipl_policy_cutoff(p, i, now);
        if (c > best)
            best = c;
    }
    return best;
}

const char *ipl_policy_canonical(const ipl_policy *p)
{
    return p->canonical;
}
