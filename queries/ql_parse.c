/* queries/ql_parse.c — the query parser: tokens -> source, predicate tree and stages, with every
 * field resolved against the schema of the rows at that point of the pipeline and every literal
 * typed by the field it is compared with (ql_leaf_compile). Grammar (docs/query-language.md):
 *
 *   query     = source { clause } { "|" stage }
 *   source    = "events" | family | kind-name | string-glob | "track" key-field ["="|"in"] value
 *   clause    = "where" expr | "since" time | "until" time | "between" time "and" time | "at" time
 *   expr      = conjunction { "or" conjunction }            conjunction = unary { "and" unary }
 *   unary     = "not" unary | "(" expr ")" | field predicate
 *   predicate = cmp value | ["not"] "in" (value | "(" value {"," value} ")")
 *             | ["not"] "like" value | ["not"] "matches" value | ("~" | "!~") (regex | value)
 *             | ["not"] "between" value "and" value | ["not"] "exists"
 *   stage     = "where" expr | "fields" field ["as" name] {"," ...} | "sort" field [asc|desc] {","...}
 *             | "limit" N ["offset" M] | "offset" M | "count" ["by" fields] | "top" N "by" fields
 *             | "distinct" fields | ("first"|"last") ["by" fields] | "timeline" duration ["by" fields]
 *
 * Keywords and field names are case-insensitive. Nesting (parentheses and 'not') is bounded by
 * IPL_QL_MAX_DEPTH; the text by IPL_QL_MAX_TEXT (checked by the caller).
 */
#include "queries/ql_int.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "queries/lookup.h"
#include "queries/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const ql_family ql_families[] = {
    {"events",  "*",           "every event"},
    {"leases",  "lease.*",     "DHCP lease events (v4 and v6)"},
    {"logons",  "logon*",      "logons, failed and explicit logons"},
    {"logoffs", "logoff*",     "logoffs"},
    {"auth",    "auth.*",      "Kerberos, NTLM, privileged and failed authentications"},
    {"radius",  "radius.*",    "RADIUS accounting and requests"},
    {"changes", "config.*",    "configuration changes"},
    {"purges",  "retention.*", "retention purges"},
    {"dns",     "dns.*",       "DNS updates by the DHCP server"},
    {"servers", "server.*",    "DHCP service events (start, stop, authorisation, cleanup)"},
    {"conflicts", "asm.conflict", "address-space conflicts recorded by 'asm conflicts --record'"},
};
const size_t ql_nfamilies = sizeof ql_families / sizeof ql_families[0];

typedef struct pstate {
    ipl_ql   *q;
    ql_lexer  lx;
    ql_tok    tok;           /* the current token */
    ql_tok    prev;          /* the token before it */
    ipl_diag *d;
    int       depth;
    int       track_cols;    /* the current schema is the track schema (for messages) */
} pstate;

static int next(pstate *p)
{
    p->prev = p->tok;
    return ql_lex_next(&p->lx, &p->tok);
}

static int is_kw(const ql_tok *t, const char *kw)
{
    return t->kind == QK_WORD && strcasecmp(t->val, kw) == 0;
}

static const char *describe(const ql_tok *t, char *buf, size_t n)
{
    switch (t->kind) {
    case QK_EOF:
        return "the end of the query";
    case QK_WORD:
        snprintf(buf, n, "'%.40s%s'", t->val, t->vlen > 40 ? "..." : "");
        return buf;
    case QK_STRING:
        snprintf(buf, n, "the string \"%.30s%s\"", t->val, t->vlen > 30 ? "..." : "");
        return buf;
    case QK_PARAM:
        snprintf(buf, n, "the parameter $%.40s", t->val);
        return buf;
    case QK_REGEX:
        return "a regex";
    default:
        return ql_tok_name(t->kind);
    }
}

/* "expected WHAT[, found X]" at the current token. */
static int expected(pstate *p, const char *what)
{
    char b[96];
    if (p->tok.kind == QK_EOF)
        return ql_error_at(p->q, p->d, IPL_EPARSE, p->tok.line, p->tok.col, "expected %s", what);
    return ql_error_at(p->q, p->d, IPL_EPARSE, p->tok.line, p->tok.col, "expected %s, found %s",
                       what, describe(&p->tok, b, sizeof b));
}

static void *alloc(pstate *p, size_t n)
{
    void *m = ipl_arena_alloc(&p->q->arena, n ? n : 1);
    if (m)
        memset(m, 0, n ? n : 1);
    return m;
}

#define OOM(p) ipl_diag_set((p)->d, IPL_ENOMEM, "out of memory")

/* ---- values ---------------------------------------------------------------------------------- */

static int is_value_tok(const ql_tok *t)
{
    return t->kind == QK_WORD || t->kind == QK_STRING || t->kind == QK_PARAM;
}

/* A literal: a word, a string or a parameter (replaced by its value). */
static int value(pstate *p, ql_lit *l, const char *after)
{
    char what[96];
    memset(l, 0, sizeof *l);
    if (!is_value_tok(&p->tok)) {
        snprintf(what, sizeof what, "a value after %s", after);
        return expected(p, what);
    }
    l->line = p->tok.line;
    l->col = p->tok.col;
    if (p->tok.kind == QK_PARAM) {
        const ipl_ql_param *pm = NULL;
        for (size_t i = 0; i < p->q->o.nparams; i++)
            if (strcmp(p->q->o.params[i].name, p->tok.val) == 0) {
                pm = &p->q->o.params[i];
                p->q->param_used[i] = 1;
                break;
            }
        if (!pm)
            return ql_error_at(p->q, p->d, IPL_EINVAL, p->tok.line, p->tok.col,
                               "no value given for parameter $%s", p->tok.val);
        l->text = pm->value;
        l->len = (uint32_t)strlen(pm->value);
    } else {
        l->text = p->tok.val;
        l->len = p->tok.vlen;
    }
    l->isnum = ql_num_parse(l->text, l->len, &l->num);
    return next(p);
}

/* An absolute or relative time literal. */
static int time_lit(pstate *p, int64_t *us, const char *after)
{
    ql_lit l;
    int err = value(p, &l, after);
    if (err)
        return err;
    ipl_diag td = {0};
    if (l.len && (l.text[0] == '-' || l.text[0] == '+' || strncasecmp(l.text, "now", 3) == 0))
        err = ipl_time_parse_relative(l.text, l.len, p->q->o.now, us, &td);
    else
        err = ipl_time_parse(l.text, l.len, p->q->o.tz, us, &td);
    if (err)
        return ql_error_at(p->q, p->d, IPL_EINVAL, l.line, l.col, "%s", td.msg);
    return IPL_OK;
}

/* A non-negative count (limit, offset, top). */
static int count_lit(pstate *p, int64_t *n, const char *after)
{
    ql_lit l;
    int err = value(p, &l, after);
    if (err)
        return err;
    if (!l.isnum || !l.num.isint || l.num.i < 0)
        return ql_error_at(p->q, p->d, IPL_EINVAL, l.line, l.col,
                           "expected a whole number >= 0 after %s, found '%.40s'", after, l.text);
    *n = l.num.i;
    return IPL_OK;
}

/* ---- fields ---------------------------------------------------------------------------------- */

/* Levenshtein distance, bounded inputs (names <= 64 bytes). */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    int row[65];
    if (n > 64 || m > 64)
        return 99;
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = (a[i - 1] | 32) == (b[j - 1] | 32) ? 0 : 1;
            int v = diag + cost;
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
}

static int unknown_field(pstate *p, const ql_schema *s, const ql_tok *t)
{
    char list[300];
    const char *best = NULL;
    int bd = 3;
    size_t o = 0;
    list[0] = '\0';
    if (s->events) {
        for (int f = 0; f < QF__CORE; f++) {
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", f ? ", " : "",
                                  ql_field_name(f));
            int dd = distance(t->val, ql_field_name(f));
            if (dd < bd)
                bd = dd, best = ql_field_name(f);
        }
        for (int k = 1; k < 128; k++) {
            const char *an = ipl_attr_name((unsigned)k);
            if (!an)
                continue;
            int dd = distance(t->val, an);
            if (dd < bd)
                bd = dd, best = an;
        }
        char hint[64] = "";
        if (best)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        return ql_error_at(p->q, p->d, IPL_EINVAL, t->line, t->col,
                           "unknown field '%.40s'%s; fields: %s and the attributes "
                           "('ipledger query --fields')",
                           t->val, hint, list);
    }
    for (size_t i = 0; i < s->ncols && o + 2 < sizeof list; i++) {
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", s->cols[i].name);
        int dd = distance(t->val, s->cols[i].name);
        if (dd < bd)
            bd = dd, best = s->cols[i].name;
    }
    char hint[64] = "";
    if (best)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
    return ql_error_at(p->q, p->d, IPL_EINVAL, t->line, t->col,
                       "unknown field '%.40s'%s; the rows here have: %s", t->val, hint, list);
}

/* Resolves the field word at the current token against schema s: *col, type, ci. */
static int field(pstate *p, const ql_schema *s, int *col, uint8_t *type, uint8_t *ci,
                 const char *what)
{
    if (p->tok.kind != QK_WORD)
        return expected(p, what);
    if (s->events) {
        int f = ql_field_lookup(p->tok.val, p->tok.vlen);
        if (f < 0)
            return unknown_field(p, s, &p->tok);
        *col = f;
        ql_field_type(f, type, ci);
    } else {
        size_t i;
        for (i = 0; i < s->ncols; i++)
            if (strcasecmp(s->cols[i].name, p->tok.val) == 0)
                break;
        if (i == s->ncols)
            return unknown_field(p, s, &p->tok);
        *col = (int)i;
        *type = s->cols[i].type;
        *ci = s->cols[i].ci;
    }
    return next(p);
}

/* ---- expressions ----------------------------------------------------------------------------- */

static int expr(pstate *p, const ql_schema *s, ql_expr **out);

static ql_expr *node(pstate *p, int kind, ql_expr *a, ql_expr *b)
{
    ql_expr *e = alloc(p, sizeof *e);
    if (e) {
        e->kind = kind;
        e->a = a;
        e->b = b;
    }
    return e;
}

static int push_lit(pstate *p, ql_leaf *l, const ql_lit *v, size_t *cap)
{
    if (l->nlits == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        ql_lit *n = alloc(p, nc * sizeof *n);
        if (!n)
            return OOM(p);
        if (l->nlits)
            memcpy(n, l->lits, l->nlits * sizeof *n);
        l->lits = n;
        *cap = nc;
    }
    l->lits[l->nlits++] = *v;
    return IPL_OK;
}

static int predicate(pstate *p, const ql_schema *s, ql_expr **out)
{
    ql_leaf *l = alloc(p, sizeof *l);
    if (!l)
        return OOM(p);
    l->next_leaf = p->q->leaves;
    p->q->leaves = l;
    l->line = p->tok.line;
    l->col = p->tok.col;
    l->fname = p->tok.val;
    int err = field(p, s, &l->field, &l->type, &l->ci, "a field name");
    if (err)
        return err;
    int negate = 0;
    size_t cap = 0;
    ql_lit v;
    char after[160];
    if (is_kw(&p->tok, "not")) {
        negate = 1;
        if ((err = next(p)))
            return err;
        if (!is_kw(&p->tok, "in") && !is_kw(&p->tok, "like") && !is_kw(&p->tok, "matches") &&
            !is_kw(&p->tok, "between") && !is_kw(&p->tok, "exists"))
            return expected(p, "in, like, matches, between or exists after 'not'");
    }
    const ql_tok kw = p->tok;
    l->op = -1;
    switch (p->tok.kind) {
    case QK_EQ: l->op = QO_EQ; break;
    case QK_NE: l->op = QO_EQ; negate = 1; break;
    case QK_LT: l->op = QO_LT; break;
    case QK_LE: l->op = QO_LE; break;
    case QK_GT: l->op = QO_GT; break;
    case QK_GE: l->op = QO_GE; break;
    case QK_MATCH: l->op = QO_MATCH; break;
    case QK_NMATCH: l->op = QO_MATCH; negate = 1; break;
    case QK_WORD:
        if (is_kw(&p->tok, "in"))
            l->op = QO_IN;
        else if (is_kw(&p->tok, "like"))
            l->op = QO_LIKE;
        else if (is_kw(&p->tok, "matches"))
            l->op = QO_MATCH;
        else if (is_kw(&p->tok, "between"))
            l->op = QO_BETWEEN;
        else if (is_kw(&p->tok, "exists"))
            l->op = QO_EXISTS;
        break;
    default:
        break;
    }
    if (l->op < 0) {
        snprintf(after, sizeof after, "an operator after '%.40s' (=, !=, <, <=, >, >=, in, like, "
                                      "matches, ~, between, exists)", l->fname);
        return expected(p, after);
    }
    if ((err = next(p)))
        return err;
    snprintf(after, sizeof after, "'%.40s'", kw.kind == QK_WORD ? kw.val : ql_tok_name(kw.kind));
    if (kw.kind == QK_WORD && kw.val[0] != '\0') {
        /* quote the keyword as written, lower-cased for the message */
        char lower[16];
        size_t i;
        for (i = 0; i + 1 < sizeof lower && kw.val[i]; i++)
            lower[i] = (char)(kw.val[i] | (kw.val[i] >= 'A' && kw.val[i] <= 'Z' ? 32 : 0));
        lower[i] = '\0';
        snprintf(after, sizeof after, "'%s'", lower);
    } else if (kw.kind != QK_WORD) {
        snprintf(after, sizeof after, "%s", ql_tok_name(kw.kind));
    }
    switch (l->op) {
    case QO_EXISTS:
        break;
    case QO_IN:
        if (p->tok.kind == QK_LPAREN) {
            if ((err = next(p)))
                return err;
            for (;;) {
                if ((err = value(p, &v, l->nlits ? "','" : "'('")) || (err = push_lit(p, l, &v, &cap)))
                    return err;
                if (p->tok.kind == QK_COMMA) {
                    if ((err = next(p)))
                        return err;
                    continue;
                }
                if (p->tok.kind != QK_RPAREN)
                    return expected(p, "',' or ')' in the list of values");
                if ((err = next(p)))
                    return err;
                break;
            }
        } else {
            if ((err = value(p, &v, after)) || (err = push_lit(p, l, &v, &cap)))
                return err;
        }
        break;
    case QO_BETWEEN:
        if ((err = value(p, &v, after)) || (err = push_lit(p, l, &v, &cap)))
            return err;
        if (!is_kw(&p->tok, "and"))
            return expected(p, "'and' in 'between ... and ...'");
        if ((err = next(p)) || (err = value(p, &v, "'and'")) || (err = push_lit(p, l, &v, &cap)))
            return err;
        break;
    case QO_MATCH:
        if (p->tok.kind == QK_REGEX) {
            memset(&v, 0, sizeof v);
            v.text = p->tok.val;
            v.len = p->tok.vlen;
            v.line = p->tok.line;
            v.col = p->tok.col;
            l->pattern = p->tok.flags;     /* flags, read by ql_leaf_compile */
            if ((err = push_lit(p, l, &v, &cap)) || (err = next(p)))
                return err;
            break;
        }
        if ((err = value(p, &v, after)) || (err = push_lit(p, l, &v, &cap)))
            return err;
        l->pattern = "";
        break;
    default:
        if ((err = value(p, &v, after)) || (err = push_lit(p, l, &v, &cap)))
            return err;
    }
    if ((err = ql_leaf_compile(p->q, l, p->d)))
        return err;
    ql_expr *e = node(p, QE_LEAF, NULL, NULL);
    if (!e)
        return OOM(p);
    e->leaf = l;
    if (negate && !(e = node(p, QE_NOT, e, NULL)))
        return OOM(p);
    *out = e;
    return IPL_OK;
}

static int unary(pstate *p, const ql_schema *s, ql_expr **out)
{
    int err;
    if (++p->depth > IPL_QL_MAX_DEPTH)
        return ql_error_at(p->q, p->d, IPL_ELIMIT, p->tok.line, p->tok.col,
                           "the expression nests deeper than %d levels of parentheses and 'not'",
                           IPL_QL_MAX_DEPTH);
    if (is_kw(&p->tok, "not")) {
        ql_expr *a;
        if ((err = next(p)) || (err = unary(p, s, &a)))
            return err;
        if (!(*out = node(p, QE_NOT, a, NULL)))
            return OOM(p);
    } else if (p->tok.kind == QK_LPAREN) {
        if ((err = next(p)) || (err = expr(p, s, out)))
            return err;
        if (p->tok.kind != QK_RPAREN)
            return expected(p, "'and', 'or' or ')'");
        if ((err = next(p)))
            return err;
    } else if (p->tok.kind == QK_WORD) {
        if ((err = predicate(p, s, out)))
            return err;
    } else {
        return expected(p, "a field name, 'not' or '('");
    }
    p->depth--;
    return IPL_OK;
}

static int conjunction(pstate *p, const ql_schema *s, ql_expr **out)
{
    int err = unary(p, s, out);
    while (!err && is_kw(&p->tok, "and")) {
        ql_expr *b;
        if ((err = next(p)) || (err = unary(p, s, &b)))
            return err;
        if (!(*out = node(p, QE_AND, *out, b)))
            return OOM(p);
    }
    return err;
}

static int expr(pstate *p, const ql_schema *s, ql_expr **out)
{
    int err = conjunction(p, s, out);
    while (!err && is_kw(&p->tok, "or")) {
        ql_expr *b;
        if ((err = next(p)) || (err = conjunction(p, s, &b)))
            return err;
        if (!(*out = node(p, QE_OR, *out, b)))
            return OOM(p);
    }
    return err;
}

/* ---- sources and clauses --------------------------------------------------------------------- */

int ql_kind_glob(const char *glob, size_t len, uint8_t kinds[32])
{
    int n = 0;
    memset(kinds, 0, 32);
    for (unsigned k = 1; k < IPL_K__COUNT && k < 256; k++) {
        const char *name = ipl_kind_name(k);
        if (strcmp(name, "unknown") == 0)
            continue;
        if (ql_glob(glob, len, name, strlen(name), 0)) {
            kinds[k >> 3] |= (uint8_t)(1u << (k & 7));
            n++;
        }
    }
    return n;
}

static const ql_col track_cols_def[] = {
    {"ip", QT_IP, 0, -1},          {"state", QT_STR, 0, -1},      {"lease_start", QT_TIME, 0, -1},
    {"lease_end", QT_TIME, 0, -1}, {"mac", QT_MAC, 0, -1},        {"duid", QT_HEX, 0, -1},
    {"host", QT_STR, 1, -1},       {"dhcp_server", QT_STR, 1, -1}, {"user", QT_STR, 1, -1},
    {"logon", QT_TIME, 0, -1},     {"logoff", QT_TIME, 0, -1},    {"via", QT_STR, 0, -1},
    {"logon_server", QT_STR, 1, -1}, {"other_addresses", QT_STR, 0, -1},
    {"evidence", QT_STR, 0, -1},
};

int ipl_ql_fields(int track, ipl_ql_name_fn fn, void *ctx)
{
    int err = IPL_OK;
    if (track == 2 || track == 3) {      /* quarantine, utilization (ql_vsrc.c) */
        const ql_col *c = track == 2 ? ql_quarantine_cols : ql_util_cols;
        size_t n = track == 2 ? ql_nquarantine_cols : ql_nutil_cols;
        for (size_t i = 0; i < n && !err; i++)
            err = fn(ctx, c[i].name, ql_type_name(c[i].type));
        return err;
    }
    if (track) {
        for (size_t i = 0; i < sizeof track_cols_def / sizeof track_cols_def[0] && !err; i++)
            err = fn(ctx, track_cols_def[i].name, ql_type_name(track_cols_def[i].type));
        return err;
    }
    for (int f = 0; f < QF__CORE && !err; f++) {
        uint8_t t, ci;
        ql_field_type(f, &t, &ci);
        err = fn(ctx, ql_field_name(f), ql_type_name(t));
    }
    for (int k = 1; k < 128 && !err; k++)
        if (ipl_attr_name((unsigned)k))
            err = fn(ctx, ipl_attr_name((unsigned)k), "attribute");
    return err;
}

int ipl_ql_sources(ipl_ql_name_fn fn, void *ctx)
{
    int err = IPL_OK;
    for (size_t i = 0; i < ql_nfamilies && !err; i++)
        err = fn(ctx, ql_families[i].name, ql_families[i].glob);
    if (!err)
        err = fn(ctx, "track", "ip|mac|host|user VALUE: IP -> lease chunks -> device -> users");
    if (!err)
        err = fn(ctx, "quarantine", "lines that could not be parsed: source, line, reason, raw");
    if (!err)
        err = fn(ctx, "utilization", "[every STEP]: blocks, subnets, ranges: size, used, percent, state");
    return err;
}

static int source(pstate *p)
{
    ipl_ql *q = p->q;
    int err;
    char b[96];
    if (p->tok.kind == QK_STRING) {       /* a kind glob: "lease.v6.*" */
        if (!ql_kind_glob(p->tok.val, p->tok.vlen, q->kinds))
            return ql_error_at(q, p->d, IPL_EINVAL, p->tok.line, p->tok.col,
                               "no event kind matches \"%.60s\"", p->tok.val);
        q->source_name = p->tok.val;
        q->src.events = 1;
        return next(p);
    }
    if (p->tok.kind != QK_WORD)
        return expected(p, "a source (events, leases, logons, changes, purges, track, ...)");
    q->src.events = 1;
    for (size_t i = 0; i < ql_nfamilies; i++)
        if (strcasecmp(p->tok.val, ql_families[i].name) == 0) {
            q->source_name = ql_families[i].name;
            if (strcmp(ql_families[i].glob, "*") == 0)
                q->all_kinds = 1;
            else
                ql_kind_glob(ql_families[i].glob, strlen(ql_families[i].glob), q->kinds);
            return next(p);
        }
    if (is_kw(&p->tok, "quarantine") || is_kw(&p->tok, "utilization")) {
        int quar = is_kw(&p->tok, "quarantine");
        q->track = 1;
        q->src.events = 0;
        q->track_by = quar ? QL_SRC_QUARANTINE : QL_SRC_UTILIZATION;
        q->source_name = quar ? "quarantine" : "utilization";
        q->src.cols = (ql_col *)(quar ? ql_quarantine_cols : ql_util_cols);
        q->src.ncols = quar ? ql_nquarantine_cols : ql_nutil_cols;
        if ((err = next(p)))
            return err;
        if (quar || !is_kw(&p->tok, "every"))
            return IPL_OK;
        /* utilization every STEP: one row per object and step of the window */
        ql_lit l;
        int64_t w = 0;
        char buf[40];
        ipl_diag td = {0};
        if ((err = next(p)) || (err = value(p, &l, "'every'")))
            return err;
        int ok = l.len > 0 && l.len <= 20 && l.text[0] != '-' && l.text[0] != '+';
        if (ok) {
            snprintf(buf, sizeof buf, "+%s", l.text);
            ok = ipl_time_parse_relative(buf, strlen(buf), 0, &w, &td) == IPL_OK && w > 0;
        }
        if (!ok)
            return ql_error_at(q, p->d, IPL_EINVAL, l.line, l.col,
                               "expected a step like 1h, 1d or 1w after 'every', found '%.40s'",
                               l.text);
        q->vsrc_step = w;
        return IPL_OK;
    }
    if (!is_kw(&p->tok, "track")) {
        int k = ipl_kind_parse(p->tok.val, p->tok.vlen);
        if (k <= 0) {
            char list[200];
            size_t o = 0;
            for (size_t i = 0; i < ql_nfamilies; i++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s, ", ql_families[i].name);
            return ql_error_at(q, p->d, IPL_EINVAL, p->tok.line, p->tok.col,
                               "unknown source %s; sources: %strack, quarantine, utilization, a kind name "
                               "(lease.assign) or a quoted kind pattern (\"lease.v6.*\")",
                               describe(&p->tok, b, sizeof b), list);
        }
        memset(q->kinds, 0, sizeof q->kinds);
        q->kinds[k >> 3] |= (uint8_t)(1u << (k & 7));
        q->source_name = ipl_kind_name((unsigned)k);
        return next(p);
    }
    /* track KEY [=|in] VALUE */
    q->track = 1;
    q->src.events = 0;
    q->source_name = "track";
    q->src.cols = (ql_col *)track_cols_def;
    q->src.ncols = sizeof track_cols_def / sizeof track_cols_def[0];
    p->track_cols = 1;
    if ((err = next(p)))
        return err;
    static const struct { const char *name; int ix; } keys[] = {
        {"ip", IPL_IX_IP}, {"mac", IPL_IX_MAC}, {"host", IPL_IX_HOST}, {"user", IPL_IX_USER}};
    size_t i;
    for (i = 0; i < 4; i++)
        if (is_kw(&p->tok, keys[i].name))
            break;
    if (i == 4)
        return expected(p, "ip, mac, host or user after 'track'");
    q->track_by = keys[i].ix;
    char after[32];
    snprintf(after, sizeof after, "'track %s'", keys[i].name);
    if ((err = next(p)))
        return err;
    if (p->tok.kind == QK_EQ || is_kw(&p->tok, "in"))
        if ((err = next(p)))
            return err;
    ql_lit *l = &q->track_lit;
    if ((err = value(p, l, after)))
        return err;
    char canon[2 * 130 + 1];
    switch (q->track_by) {
    case IPL_IX_IP: {
        ipl_prefix pf;
        uint8_t ip[16];
        if (ipl_ip_parse(l->text, l->len, ip) == IPL_OK) {
            char tb[IPL_IP_TEXT];
            ipl_ip_format(ip, tb, sizeof tb);
            q->track_value = ipl_arena_strdup(&q->arena, tb);
            break;
        }
        if (ipl_prefix_parse(l->text, l->len, 0, &pf) == IPL_OK) {
            memcpy(q->track_range.lo, pf.lo, 16);
            memcpy(q->track_range.hi, pf.hi, 16);
            q->track_isrange = 1;
            q->track_value = l->text;
            break;
        }
        return ql_error_at(q, p->d, IPL_EINVAL, l->line, l->col,
                           "invalid IP address or prefix '%.60s'", l->text);
    }
    case IPL_IX_MAC:
        if (ipl_mac_canon(l->text, l->len, canon) != IPL_OK &&
            ipl_hex_canon(l->text, l->len, canon, sizeof canon) != IPL_OK)
            return ql_error_at(q, p->d, IPL_EINVAL, l->line, l->col,
                               "invalid MAC address '%.60s' (expected e.g. 3c:52:82:6a:1b:2f, "
                               "3C-52-82-6A-1B-2F, 3c52.826a.1b2f or a DUID in hex)",
                               l->text);
        q->track_value = ipl_arena_strdup(&q->arena, canon);
        break;
    default:
        if (l->len == 0 || l->len > IPL_STR_MAX)
            return ql_error_at(q, p->d, IPL_EINVAL, l->line, l->col,
                               "expected a %s name of 1 to %d bytes",
                               q->track_by == IPL_IX_HOST ? "host" : "user", IPL_STR_MAX);
        q->track_value = l->text;
    }
    if (!q->track_value)
        return OOM(p);
    return IPL_OK;
}

static int clauses(pstate *p)
{
    ipl_ql *q = p->q;
    int err = IPL_OK, since = 0, until = 0;
    for (;;) {
        const ql_tok kw = p->tok;
        if (is_kw(&p->tok, "where")) {
            ql_expr *e;
            if ((err = next(p)) || (err = expr(p, &q->src, &e)))
                return err;
            if (q->where && !(e = node(p, QE_AND, q->where, e)))
                return OOM(p);
            q->where = e;
            continue;
        }
        int is_since = is_kw(&kw, "since"), is_until = is_kw(&kw, "until");
        int is_between = is_kw(&kw, "between"), is_at = is_kw(&kw, "at");
        if (!is_since && !is_until && !is_between && !is_at)
            break;
        if ((is_since && since) || (is_until && until) ||
            ((is_between || is_at) && (since || until)) || ((is_since || is_until) && q->at_instant) ||
            (q->has_window && (is_between || is_at)))
            return ql_error_at(q, p->d, IPL_EINVAL, kw.line, kw.col,
                               "the time window is given twice (one of: since T, until T, since T "
                               "until T, between T1 and T2, at T)");
        if ((err = next(p)))
            return err;
        if (!q->has_window) {
            q->from = 0;
            q->to = QL_TS_MAX;
        }
        q->has_window = 1;
        if (is_since) {
            since = 1;
            err = time_lit(p, &q->from, "'since'");
        } else if (is_until) {
            until = 1;
            err = time_lit(p, &q->to, "'until'");
        } else if (is_at) {
            q->at_instant = 1;
            if (!(err = time_lit(p, &q->from, "'at'")))
                q->to = q->from;
        } else {
            if ((err = time_lit(p, &q->from, "'between'")))
                return err;
            if (!is_kw(&p->tok, "and"))
                return expected(p, "'and' in 'between ... and ...'");
            if (!(err = next(p)))
                err = time_lit(p, &q->to, "'and'");
        }
        if (err)
            return err;
        if (q->from > q->to)
            return ql_error_at(q, p->d, IPL_EINVAL, kw.line, kw.col,
                               "the time window ends before it starts");
    }
    return err;
}

/* ---- stages ---------------------------------------------------------------------------------- */

static ql_stage *add_stage(pstate *p, int node_kind, const ql_tok *kw, const ql_schema *in)
{
    ipl_ql *q = p->q;
    if (q->nstages == q->capstages) {
        size_t nc = q->capstages ? q->capstages * 2 : 8;
        ql_stage *n = alloc(p, nc * sizeof *n);
        if (!n)
            return NULL;
        if (q->nstages)
            memcpy(n, q->stages, q->nstages * sizeof *n);
        q->stages = n;
        q->capstages = nc;
    }
    ql_stage *st = &q->stages[q->nstages++];
    memset(st, 0, sizeof *st);
    st->node = node_kind;
    st->line = kw->line;
    st->col = kw->col;
    st->in = *in;
    st->out = *in;
    return st;
}

/* field {"," field}, optionally with "as name" (fields) or asc/desc (sort). */
static int key_list(pstate *p, ql_stage *st, int with_alias, int with_dir, const char **aliases[])
{
    size_t cap = 0;
    int err;
    for (;;) {
        if (st->nkeys == cap) {
            size_t nc = cap ? cap * 2 : 4;
            ql_key *n = alloc(p, nc * sizeof *n);
            const char **na = alloc(p, nc * sizeof *na);
            if (!n || !na)
                return OOM(p);
            if (st->nkeys) {
                memcpy(n, st->keys, st->nkeys * sizeof *n);
                memcpy(na, *aliases, st->nkeys * sizeof *na);
            }
            st->keys = n;
            *aliases = na;
            cap = nc;
        }
        ql_key *k = &st->keys[st->nkeys];
        uint8_t type, ci;
        const char *name = p->tok.kind == QK_WORD ? p->tok.val : NULL;
        if ((err = field(p, &st->in, &k->col, &type, &ci, "a field name")))
            return err;
        (*aliases)[st->nkeys] = st->in.events ? ql_field_name(k->col) : name;
        if (!st->in.events)
            (*aliases)[st->nkeys] = st->in.cols[k->col].name;
        st->nkeys++;
        if (with_alias && is_kw(&p->tok, "as")) {
            if ((err = next(p)))
                return err;
            if (p->tok.kind != QK_WORD)
                return expected(p, "a column name after 'as'");
            for (const char *c = p->tok.val; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.'))
                    return ql_error_at(p->q, p->d, IPL_EINVAL, p->tok.line, p->tok.col,
                                       "a column name is letters, digits, '_' and '.'");
            (*aliases)[st->nkeys - 1] = p->tok.val;
            if ((err = next(p)))
                return err;
        }
        if (with_dir) {
            if (is_kw(&p->tok, "desc")) {
                k->desc = 1;
                if ((err = next(p)))
                    return err;
            } else if (is_kw(&p->tok, "asc")) {
                if ((err = next(p)))
                    return err;
            }
        }
        if (p->tok.kind != QK_COMMA)
            return IPL_OK;
        if ((err = next(p)))
            return err;
    }
}

/* The output schema: the keys (named by aliases), then extra columns. */
static int keys_schema(pstate *p, ql_stage *st, const char **aliases, const ql_col *pre,
                       size_t npre, const ql_col *post, size_t npost)
{
    size_t n = npre + st->nkeys + npost;
    ql_col *c = alloc(p, n * sizeof *c);
    if (!c)
        return OOM(p);
    size_t o = 0;
    for (size_t i = 0; i < npre; i++)
        c[o++] = pre[i];
    for (size_t i = 0; i < st->nkeys; i++, o++) {
        int col = st->keys[i].col;
        c[o].name = aliases[i];
        if (st->in.events) {
            ql_field_type(col, &c[o].type, &c[o].ci);
            c[o].field = col;
        } else {
            c[o].type = st->in.cols[col].type;
            c[o].ci = st->in.cols[col].ci;
            c[o].field = st->in.cols[col].field;
        }
    }
    for (size_t i = 0; i < npost; i++)
        c[o++] = post[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(c[i].name, c[j].name) == 0)
                return ql_error_at(p->q, p->d, IPL_EINVAL, st->line, st->col,
                                   "two columns named '%.40s' (rename one with fields ... as "
                                   "NAME)", c[i].name);
    st->out.events = 0;
    st->out.cols = c;
    st->out.ncols = n;
    return IPL_OK;
}

static int stage(pstate *p, ql_schema *cur)
{
    ipl_ql *q = p->q;
    const ql_tok kw = p->tok;
    int err;
    const char **aliases = NULL;
    static const ql_col count_col = {"count", QT_NUM, 0, -1};
    static const ql_col time_col = {"time", QT_TIME, 0, QF_TIME};
    ql_stage *st = NULL;
#define STAGE(kind)                                              \
    do {                                                         \
        if (!(st = add_stage(p, (kind), &kw, cur)))              \
            return OOM(p);                                       \
        if ((err = next(p)))                                     \
            return err;                                          \
    } while (0)
    if (is_kw(&kw, "where")) {
        STAGE(QN_WHERE);
        if ((err = expr(p, cur, &st->where)))
            return err;
    } else if (is_kw(&kw, "fields")) {
        STAGE(QN_FIELDS);
        if ((err = key_list(p, st, 1, 0, &aliases)) ||
            (err = keys_schema(p, st, aliases, NULL, 0, NULL, 0)))
            return err;
    } else if (is_kw(&kw, "sort")) {
        STAGE(QN_SORT);
        if ((err = key_list(p, st, 0, 1, &aliases)))
            return err;
        for (size_t i = 0; i < st->nkeys; i++) {
            uint8_t t = QT_STR, ci;
            if (cur->events)
                ql_field_type(st->keys[i].col, &t, &ci);
            else
                t = cur->cols[st->keys[i].col].type;
            if (t == QT_ATTRS)
                return ql_error_at(q, p->d, IPL_EINVAL, kw.line, kw.col,
                                   "cannot sort by the attribute bag; sort by an attribute's name");
        }
    } else if (is_kw(&kw, "limit")) {
        STAGE(QN_LIMIT);
        if ((err = count_lit(p, &st->n, "'limit'")))
            return err;
        if (is_kw(&p->tok, "offset") && ((err = next(p)) || (err = count_lit(p, &st->offset, "'offset'"))))
            return err;
    } else if (is_kw(&kw, "offset")) {
        STAGE(QN_LIMIT);
        st->n = INT64_MAX;
        if ((err = count_lit(p, &st->offset, "'offset'")))
            return err;
    } else if (is_kw(&kw, "count")) {
        STAGE(QN_COUNT);
        if (is_kw(&p->tok, "by")) {
            st->node = QN_COUNT_BY;
            if ((err = next(p)) || (err = key_list(p, st, 0, 0, &aliases)))
                return err;
        }
        if ((err = keys_schema(p, st, aliases, NULL, 0, &count_col, 1)))
            return err;
    } else if (is_kw(&kw, "top")) {
        STAGE(QN_TOP);
        if ((err = count_lit(p, &st->n, "'top'")))
            return err;
        if (!is_kw(&p->tok, "by"))
            return expected(p, "'by' after 'top N'");
        if ((err = next(p)) || (err = key_list(p, st, 0, 0, &aliases)) ||
            (err = keys_schema(p, st, aliases, NULL, 0, &count_col, 1)))
            return err;
    } else if (is_kw(&kw, "distinct")) {
        STAGE(QN_DISTINCT);
        if ((err = key_list(p, st, 0, 0, &aliases)) ||
            (err = keys_schema(p, st, aliases, NULL, 0, NULL, 0)))
            return err;
    } else if (is_kw(&kw, "first") || is_kw(&kw, "last")) {
        STAGE(is_kw(&kw, "first") ? QN_FIRST : QN_LAST);
        if (is_kw(&p->tok, "by") && ((err = next(p)) || (err = key_list(p, st, 0, 0, &aliases))))
            return err;
    } else if (is_kw(&kw, "timeline")) {
        STAGE(QN_TIMELINE);
        ql_lit l;
        int64_t w;
        char buf[40];
        ipl_diag td = {0};
        if ((err = value(p, &l, "'timeline'")))
            return err;
        int ok = l.len > 0 && l.len <= 20 && l.text[0] != '-' && l.text[0] != '+';
        if (ok) {
            snprintf(buf, sizeof buf, "+%s", l.text);
            ok = ipl_time_parse_relative(buf, strlen(buf), 0, &w, &td) == IPL_OK && w > 0;
        }
        if (!ok)
            return ql_error_at(q, p->d, IPL_EINVAL, l.line, l.col,
                               "expected a bucket width like 30s, 15m, 1h, 1d or 1w after "
                               "'timeline', found '%.40s'", l.text);
        st->width = w;
        int has_time = 0;
        if (cur->events) {
            has_time = 1;
        } else {
            for (size_t i = 0; i < cur->ncols; i++)
                if (cur->cols[i].type == QT_TIME && (cur->cols[i].field == QF_TIME ||
                                                     strcmp(cur->cols[i].name, "time") == 0))
                    has_time = 1;
        }
        if (!has_time)
            return ql_error_at(q, p->d, IPL_EINVAL, kw.line, kw.col,
                               "timeline needs rows with a time column");
        if (is_kw(&p->tok, "by") && ((err = next(p)) || (err = key_list(p, st, 0, 0, &aliases))))
            return err;
        if ((err = keys_schema(p, st, aliases, &time_col, 1, &count_col, 1)))
            return err;
    } else {
        return expected(p, "a stage after '|' (where, fields, sort, limit, offset, count, top, "
                           "distinct, first, last, timeline)");
    }
#undef STAGE
    *cur = st->out;
    return IPL_OK;
}

int ql_parse(ipl_ql *q, ipl_diag *d)
{
    pstate p;
    memset(&p, 0, sizeof p);
    p.q = q;
    p.d = d;
    ql_lex_init(&p.lx, q, d);
    int err = next(&p);
    if (err)
        return err;
    if (p.tok.kind == QK_EOF)
        return ql_error_at(q, d, IPL_EPARSE, p.tok.line, p.tok.col,
                           "the query is empty; it starts with a source (events, leases, logons, "
                           "changes, purges, track, ...)");
    if ((err = source(&p)) || (err = clauses(&p)))
        return err;
    ql_schema cur = q->src;
    while (p.tok.kind == QK_PIPE) {
        if ((err = next(&p)) || (err = stage(&p, &cur)))
            return err;
    }
    if (p.tok.kind != QK_EOF) {
        if (p.tok.kind == QK_WORD && !q->where && q->nstages == 0)
            return expected(&p, "where, since, until, between, at, '|' or the end of the query");
        return expected(&p, "'and', 'or', '|' or the end of the query");
    }
    for (size_t i = 0; i < q->o.nparams; i++)
        if (!q->param_used[i])
            return ipl_diag_set(d, IPL_EINVAL,
                                "%s: parameter $%s was given but the query does not use it",
                                q->name, q->o.params[i].name);
    /* the result columns */
    if (cur.events) {
        q->outcols = (ipl_col *)ipl_event_cols;
        q->noutcols = ipl_event_ncols;
    } else {
        q->outcols = alloc(&p, cur.ncols * sizeof *q->outcols);
        if (!q->outcols)
            return OOM(&p);
        for (size_t i = 0; i < cur.ncols; i++) {
            q->outcols[i].name = cur.cols[i].name;
            q->outcols[i].type = cur.cols[i].type == QT_NUM    ? IPL_COL_NUM
                                 : cur.cols[i].type == QT_ATTRS ? IPL_COL_JSON
                                                                : IPL_COL_STR;
        }
        q->noutcols = cur.ncols;
    }
    return IPL_OK;
}
