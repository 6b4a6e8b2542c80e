/* queries/report.c — runs a report definition (report.h): parameters checked and defaulted, each
 * section's query built (source, the --where stage, stages), compiled with exactly the parameters
 * it names, run on the caller's read transaction (one snapshot for the whole report), rows copied
 * into the report's arena; then the content digest. Rendering is report_render.c. */
#include "queries/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/err.h"
#include "engine/sha256.h"

const char *ipl_report_view_name(ipl_report_view v)
{
    switch (v) {
    case IPL_RV_BARS: return "bars";
    case IPL_RV_LINE: return "line";
    case IPL_RV_FIGURES: return "figures";
    default: return "table";
    }
}

int ipl_report_format_parse(const char *s, ipl_report_format *f)
{
    if (strcmp(s, "html") == 0)
        *f = IPL_RF_HTML;
    else if (strcmp(s, "csv") == 0)
        *f = IPL_RF_CSV;
    else if (strcmp(s, "json") == 0)
        *f = IPL_RF_JSON;
    else
        return IPL_EINVAL;
    return IPL_OK;
}

void ipl_report_free(ipl_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->sec && i < r->def->nsections; i++)
        free(r->sec[i].cells);
    free(r->sec);
    ipl_arena_release(&r->arena);
    free(r);
}

uint64_t ipl_report_last_seq(const ipl_report *r) { return r->last_seq; }
const char *ipl_report_chain(const ipl_report *r) { return r->chain; }
const char *ipl_report_digest(const ipl_report *r) { return r->digest; }

size_t ipl_report_rows(const ipl_report *r, size_t i)
{
    return i < r->def->nsections ? r->sec[i].nrows : 0;
}

const char *ipl_report_value(const ipl_report *r, size_t i, size_t j, const char *col)
{
    if (i >= r->def->nsections || j >= r->sec[i].nrows)
        return NULL;
    const rpt_sec *s = &r->sec[i];
    for (size_t c = 0; c < s->ncols; c++)
        if (strcmp(s->cols[c].name, col) == 0)
            return s->cells[j * s->ncols + c];
    return NULL;
}

static int is_pchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether the query text names $name (the definitions keep '$' out of strings and comments). */
static int names_param(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$'))
        if (strncmp(p + 1, name, n) == 0 && !is_pchar(p[1 + n]))
            return 1;
    return 0;
}

static int sec_names(const ipl_report_section *s, const char *name)
{
    return names_param(s->source, name) || names_param(s->stages, name) ||
           (s->needs && strcmp(s->needs, name) == 0);
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* The --where filter may not add stages or hide text in a comment: no '|' or '#' outside a
 * string (strings are "..." or '...', the quote doubled inside). */
static int check_where(const char *w, ipl_diag *d)
{
    size_t n = strlen(w);
    if (n == 0)
        return ipl_diag_set(d, IPL_EINVAL, "--where: the filter is empty");
    if (n > IPL_REPORT_MAX_WHERE)
        return ipl_diag_set(d, IPL_ELIMIT, "--where: the filter is longer than %d bytes",
                            IPL_REPORT_MAX_WHERE);
    char q = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (q) {
            if (c == q && w[i + 1] == q)
                i++;
            else if (c == q)
                q = 0;
        } else if (c == '"' || c == '\'') {
            q = c;
        } else if (c == '|' || c == '#') {
            return ipl_diag_set(d, IPL_EINVAL, "--where: '%c' at offset %zu: the filter is one "
                                "expression (no stages, no comments)", c, i);
        }
    }
    return IPL_OK;
}

typedef struct collect {
    ipl_report *r;
    rpt_sec    *s;
    size_t      max_rows;
    ipl_diag   *d;
} collect;

static int collect_row(void *ctx, const char *const *vals)
{
    collect *c = ctx;
    rpt_sec *s = c->s;
    if (s->nrows >= c->max_rows)
        return ipl_diag_set(c->d, IPL_ELIMIT, "section '%s' returns more than %zu rows: narrow "
                            "the period or add --where", s->def->title, c->max_rows);
    if ((s->nrows + 1) * s->ncols > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64 * (s->ncols ? s->ncols : 1);
        const char **p = realloc(s->cells, cap * sizeof *p);
        if (!p)
            return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
        s->cells = p;
        s->cap = cap;
    }
    for (size_t i = 0; i < s->ncols; i++) {
        const char *v = NULL;
        if (vals[i] && !(v = ipl_arena_strdup(&c->r->arena, vals[i])))
            return ipl_diag_set(c->d, IPL_ELIMIT, "the report's rows take more than %zu MiB: "
                                "narrow the period", IPL_REPORT_MAX_BYTES >> 20);
        s->cells[s->nrows * s->ncols + i] = v;
    }
    s->nrows++;
    return IPL_OK;
}

static char *adup(ipl_report *r, const char *s)
{
    return ipl_arena_strdup(&r->arena, s);
}

static int run_section(ipl_report *r, rpt_sec *s, size_t idx, ipl_rtxn *t,
                       const ipl_report_opts *o, ipl_diag *d)
{
    const ipl_report_section *sd = s->def;
    ipl_ql *q = NULL;
    ipl_ql_param ps[IPL_QL_MAX_PARAMS];
    char name[160];
    int err = IPL_OK;
    size_t qn = strlen(sd->source) + strlen(sd->stages) + (r->where ? strlen(r->where) : 0) + 32;
    char *text = ipl_arena_alloc(&r->arena, qn);
    if (!text)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if (r->where && sd->filterable)
        snprintf(text, qn, "%s | where (%s)%s%s", sd->source, r->where, *sd->stages ? " " : "",
                 sd->stages);
    else
        snprintf(text, qn, "%s%s%s", sd->source, *sd->stages ? " " : "", sd->stages);
    s->query = text;
    s->pnames = ipl_arena_alloc(&r->arena, (r->nparams + 1) * sizeof *s->pnames);
    s->pvals = ipl_arena_alloc(&r->arena, (r->nparams + 1) * sizeof *s->pvals);
    if (!s->pnames || !s->pvals)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nparams && s->nparams < IPL_QL_MAX_PARAMS; i++)
        if (names_param(text, r->pnames[i])) {
            s->pnames[s->nparams] = r->pnames[i];
            s->pvals[s->nparams] = r->pvals[i];
            ps[s->nparams].name = r->pnames[i];
            ps[s->nparams++].value = r->pvals[i];
        }
    ipl_ql_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.now = r->now;
    qo.tz = o->tz;
    qo.params = ps;
    qo.nparams = s->nparams;
    snprintf(name, sizeof name, "report %s, section %zu", r->def->name, idx + 1);
    qo.name = name;
    if ((err = ipl_ql_compile(&q, text, strlen(text), &qo, d)))
        goto out;
    size_t ncols;
    const ipl_col *cols = ipl_ql_cols(q, &ncols);
    s->ncols = ncols;
    if (!(s->cols = ipl_arena_alloc(&r->arena, (ncols + 1) * sizeof *s->cols))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ncols; i++) {
        s->cols[i].type = cols[i].type;
        if (!(s->cols[i].name = adup(r, cols[i].name))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    }
    collect c = {r, s, o->max_rows ? o->max_rows : IPL_REPORT_MAX_ROWS, d};
    if ((err = ipl_ql_run(q, t, 0, collect_row, &c, d)))
        goto out;
out:
    if (err && strncmp(d->msg, "report ", 7) != 0 && strncmp(d->msg, "section ", 8) != 0) {
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s", d->msg);
        ipl_diag_set(d, err, "section %zu '%s': %s", idx + 1, sd->title, msg);
    }
    ipl_ql_free(q);
    return err;
}

static void hash_str(ipl_sha256_ctx *h, const char *s)
{
    static const uint8_t none = 2, some = 1, end = 0;
    if (!s) {
        ipl_sha256_update(h, &none, 1);
        return;
    }
    ipl_sha256_update(h, &some, 1);
    ipl_sha256_update(h, s, strlen(s));
    ipl_sha256_update(h, &end, 1);
}

/* Digest of what the report says: name, position, parameters, and per section its query, its
 * parameters, columns and every cell. */
static void digest(ipl_report *r)
{
    ipl_sha256_ctx h;
    uint8_t out[32];
    char num[32];
    ipl_sha256_init(&h);
    hash_str(&h, r->def->name);
    snprintf(num, sizeof num, "%llu", (unsigned long long)r->last_seq);
    hash_str(&h, num);
    hash_str(&h, r->chain);
    for (size_t i = 0; i < r->nparams; i++) {
        hash_str(&h, r->pnames[i]);
        hash_str(&h, r->pvals[i]);
    }
    hash_str(&h, r->where);
    hash_str(&h, r->tz_name);
    for (size_t i = 0; i < r->def->nsections; i++) {
        const rpt_sec *s = &r->sec[i];
        hash_str(&h, s->skipped ? "skipped" : s->query);
        for (size_t c = 0; c < s->ncols; c++)
            hash_str(&h, s->cols[c].name);
        for (size_t k = 0; k < s->nrows * s->ncols; k++)
            hash_str(&h, s->cells[k]);
    }
    ipl_sha256_final(&h, out);
    ipl_hex32(out, r->digest);
}

static int pcmp(const void *a, const void *b)
{
    return strcmp(((const ipl_ql_param *)a)->name, ((const ipl_ql_param *)b)->name);
}

int ipl_report_run(ipl_report **out, const ipl_report_def *def, ipl_rtxn *t,
                   const ipl_report_opts *o, ipl_diag *d)
{
    ipl_report *r = calloc(1, sizeof *r);
    ipl_ql_param ps[IPL_QL_MAX_PARAMS + 2];
    size_t np = 0, nsubj = 0;
    const char *subj = NULL;
    int err = IPL_OK, has_from = 0, has_to = 0;
    *out = NULL;
    if (!r || !(r->sec = calloc(def->nsections ? def->nsections : 1, sizeof *r->sec))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    r->def = def;
    r->now = o->now;
    r->html_rows = o->html_rows ? o->html_rows : IPL_REPORT_HTML_ROWS;
    ipl_arena_init(&r->arena, IPL_REPORT_MAX_BYTES);
    if (o->nparams > IPL_QL_MAX_PARAMS) {
        err = ipl_diag_set(d, IPL_ELIMIT, "at most %d parameters", IPL_QL_MAX_PARAMS);
        goto out;
    }
    for (size_t i = 0; i < o->nparams; i++) {
        const char *n = o->params[i].name, *v = o->params[i].value;
        if (!n || !*n || !v) {
            err = ipl_diag_set(d, IPL_EINVAL, "a parameter without a name or value");
            goto out;
        }
        for (const char *p = n; *p; p++)
            if (!is_pchar(*p)) {
                err = ipl_diag_set(d, IPL_EINVAL, "parameter '%s': a name is letters, digits "
                                   "and _", n);
                goto out;
            }
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->params[j].name, n) == 0) {
                err = ipl_diag_set(d, IPL_EINVAL, "parameter '%s' is given twice", n);
                goto out;
            }
        int used = strcmp(n, "from") == 0 || strcmp(n, "to") == 0 ||
                   (o->where && names_param(o->where, n));
        for (size_t s = 0; !used && s < def->nsections; s++)
            used = sec_names(&def->sections[s], n);
        if (!used) {
            err = ipl_diag_set(d, IPL_EINVAL, "parameter '%s' is used by no section of report "
                               "'%s' (see 'ipledger report list')", n, def->name);
            goto out;
        }
        if (def->subjects && in_list(def->subjects, n))
            nsubj++, subj = n;
        has_from |= strcmp(n, "from") == 0;
        has_to |= strcmp(n, "to") == 0;
        ps[np++] = o->params[i];
    }
    if (def->subjects && nsubj != 1) {
        err = ipl_diag_set(d, IPL_EINVAL, "report '%s' needs exactly one of: %s (%s)", def->name,
                           def->subjects, nsubj ? "more than one given" : "none given");
        goto out;
    }
    if (!has_from)
        ps[np++] = (ipl_ql_param){"from", def->default_from ? def->default_from : "-30d"};
    if (!has_to)
        ps[np++] = (ipl_ql_param){"to", "now"};
    qsort(ps, np, sizeof ps[0], pcmp);
    r->pnames = ipl_arena_alloc(&r->arena, np * sizeof *r->pnames);
    r->pvals = ipl_arena_alloc(&r->arena, np * sizeof *r->pvals);
    if (!r->pnames || !r->pvals) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        if (!(r->pnames[i] = adup(r, ps[i].name)) || !(r->pvals[i] = adup(r, ps[i].value))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    r->nparams = np;
    if (o->tz_name && !(r->tz_name = adup(r, o->tz_name))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if (o->where) {
        if ((err = check_where(o->where, d)))
            goto out;
        if (!(r->where = adup(r, o->where))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* the position first: everything below reads the same snapshot */
    ipl_store_stats st;
    if ((err = ipl_store_stats_get(t, &st, d)))
        goto out;
    r->last_seq = ipl_store_last_seq(t);
    ipl_hex32(st.chain, r->chain);
    if (o->at_seq && o->at_seq != r->last_seq) {
        err = ipl_diag_set(d, IPL_EINVAL, "the store is at event %llu, not at %llu: a report is "
                           "rebuilt from the position it was made at (restore a backup of that "
                           "position, or report on the current one)",
                           (unsigned long long)r->last_seq, (unsigned long long)o->at_seq);
        goto out;
    }
    for (size_t i = 0; i < def->nsections; i++) {
        rpt_sec *s = &r->sec[i];
        s->def = &def->sections[i];
        if (s->def->needs && (!subj || strcmp(s->def->needs, subj) != 0)) {
            s->skipped = 1;
            continue;
        }
        if ((err = run_section(r, s, i, t, o, d)))
            goto out;
    }
    digest(r);
    *out = r;
    r = NULL;
out:
    ipl_report_free(r);
    return err;
}
