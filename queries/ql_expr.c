/* queries/ql_expr.c — fields, typed literals, predicate evaluation and values.
 *
 * A predicate leaf is compiled once per query for the type of its field (ql_leaf_compile):
 * addresses, numbers and times become sorted ranges, kinds a bitmap, MACs and DUIDs canonical
 * strings, like a glob (* and ?), ~ a PCRE2 program with the query's match and depth limits.
 * Dictionary strings are never compared per event: the first time an id is seen its string is
 * resolved and tested, and the answer is memoised by id (leaf->memo), so a scan compares small
 * integers. Host, user and server compare case-insensitively (ASCII folding, the same folding the
 * store uses for its host and user indexes), and so do like and ~ on them.
 *
 * Missing values: a field the event does not have matches no comparison; the negations (!=,
 * not in, not like, !~, not between, not exists) are NOT nodes above the leaf, so they match it.
 */
#include "queries/ql_int.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    uint8_t type, ci;
} core[QF__CORE] = {
#define QL_FIELD_DEF(name, text, type, ci) [name] = {text, type, ci},
    QL_EVFIELDS(QL_FIELD_DEF)
#undef QL_FIELD_DEF
};

static const char *const type_names[QT__COUNT] = {
#define QL_TYPE_NAME(name, text) text,
    QL_TYPES(QL_TYPE_NAME)
#undef QL_TYPE_NAME
};

static const char *const op_names[QO__COUNT] = {
#define QL_OP_NAME(name, text) text,
    QL_OPS(QL_OP_NAME)
#undef QL_OP_NAME
};

const char *ql_type_name(int t)
{
    return t >= 0 && t < QT__COUNT ? type_names[t] : "?";
}

const char *ql_op_name(int op)
{
    return op >= 0 && op < QO__COUNT ? op_names[op] : "?";
}

const char *ql_field_name(int f)
{
    if (f >= 0 && f < QF__CORE)
        return core[f].name;
    if (f >= QF_ATTR && f < QF__COUNT) {
        const char *n = ipl_attr_name((unsigned)(f - QF_ATTR));
        return n ? n : "?";
    }
    return "?";
}

int ql_field_lookup(const char *name, size_t n)
{
    char low[64];
    if (n == 0 || n >= sizeof low)
        return -1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    low[n] = '\0';
    for (int f = 0; f < QF__CORE; f++)
        if (strcmp(core[f].name, low) == 0)
            return f;
    if (strcmp(low, "ts") == 0)
        return QF_TIME;
    int k = ipl_attr_parse(low, n);
    if (k > 0 && k < 128)
        return QF_ATTR + k;
    return -1;
}

int ql_field_type(int f, uint8_t *type, uint8_t *ci)
{
    if (f >= 0 && f < QF__CORE) {
        *type = core[f].type;
        *ci = core[f].ci;
    } else {
        *type = QT_ATTR;
        *ci = 0;
    }
    return IPL_OK;
}

/* ---- numbers and globs ----------------------------------------------------------------------- */

int ql_num_parse(const char *s, size_t n, ql_num *out)
{
    size_t i = 0;
    int neg = 0, digits = 0, frac = 0;
    uint64_t v = 0;
    int overflow = 0;
    memset(out, 0, sizeof *out);
    if (n == 0 || n > 40)
        return 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (v > (UINT64_MAX - 9) / 10)
            overflow = 1;
        else
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            frac++;
        if (frac == 0)
            return 0;
    }
    if (digits == 0 || i != n)
        return 0;
    char buf[48];
    memcpy(buf, s, n);
    buf[n] = '\0';
    out->f = strtod(buf, NULL);
    if (!frac && !overflow && v <= (uint64_t)INT64_MAX) {
        out->isint = 1;
        out->i = neg ? -(int64_t)v : (int64_t)v;
    }
    return 1;
}

int ql_num_cmp(const ql_num *a, const ql_num *b)
{
    if (a->isint && b->isint)
        return a->i < b->i ? -1 : a->i > b->i;
    return a->f < b->f ? -1 : a->f > b->f;
}

static inline char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* * matches any run (also empty), ? one byte; iterative with one backtrack point. */
int ql_glob(const char *pat, size_t plen, const char *s, size_t n, int ci)
{
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
    while (i < n) {
        if (p < plen && pat[p] == '*') {
            star_p = p++;
            star_i = i;
        } else if (p < plen && (pat[p] == '?' || pat[p] == s[i] ||
                                (ci && fold(pat[p]) == fold(s[i])))) {
            p++;
            i++;
        } else if (star_p != (size_t)-1) {
            p = star_p + 1;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

/* ---- compiling a leaf ------------------------------------------------------------------------ */

#define LIT_ERR(q, d, lit, ...) ql_error_at((q), (d), IPL_EINVAL, (lit)->line, (lit)->col, __VA_ARGS__)

static int op_error(ipl_ql *q, ql_leaf *l, ipl_diag *d, const char *hint)
{
    return ql_error_at(q, d, IPL_EINVAL, l->line, l->col, "'%s' does not apply to '%.40s' (type %s; %s)",
                       ql_op_name(l->op), l->fname, ql_type_name(l->type), hint);
}

static int add_range(ipl_ql *q, ql_leaf *l, const ql_range *r, size_t *cap)
{
    if (l->nranges == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        ql_range *n = ipl_arena_alloc(&q->arena, nc * sizeof *n);
        if (!n)
            return IPL_ENOMEM;
        if (l->nranges)
            memcpy(n, l->ranges, l->nranges * sizeof *n);
        l->ranges = n;
        *cap = nc;
    }
    l->ranges[l->nranges++] = *r;
    return IPL_OK;
}

static int cmp_range_ip(const void *a, const void *b)
{
    return memcmp(((const ql_range *)a)->lo, ((const ql_range *)b)->lo, 16);
}

static int cmp_range_n(const void *a, const void *b)
{
    int64_t x = ((const ql_range *)a)->nlo, y = ((const ql_range *)b)->nlo;
    return x < y ? -1 : x > y;
}

/* Sorts and merges overlapping ranges (ip: byte ranges; else nlo/nhi). */
static void merge_ranges(ql_leaf *l, int ip)
{
    if (l->nranges < 2)
        return;
    qsort(l->ranges, l->nranges, sizeof *l->ranges, ip ? cmp_range_ip : cmp_range_n);
    size_t o = 0;
    for (size_t i = 1; i < l->nranges; i++) {
        ql_range *a = &l->ranges[o], *b = &l->ranges[i];
        int overlap = ip ? memcmp(b->lo, a->hi, 16) <= 0 : b->nlo <= a->nhi;
        if (overlap) {
            if (ip ? memcmp(b->hi, a->hi, 16) > 0 : b->nhi > a->nhi) {
                memcpy(a->hi, b->hi, 16);
                a->nhi = b->nhi;
            }
        } else {
            l->ranges[++o] = *b;
        }
    }
    l->nranges = o + 1;
}

static void ip_add(uint8_t ip[16], int delta)
{
    for (int i = 15; i >= 0; i--) {
        int v = ip[i] + delta;
        ip[i] = (uint8_t)v;
        if (v >= 0 && v <= 255)
            break;
    }
}

/* An address, a prefix or a range A-B into [lo, hi]; `single` accepts only one address. */
static int ip_lit(ipl_ql *q, const ql_lit *lit, int single, ql_range *r, ipl_diag *d)
{
    uint8_t a[16], b[16];
    ipl_prefix pf;
    memset(r, 0, sizeof *r);
    if (ipl_ip_parse(lit->text, lit->len, a) == IPL_OK) {
        memcpy(r->lo, a, 16);
        memcpy(r->hi, a, 16);
        return IPL_OK;
    }
    if (single && (memchr(lit->text, '/', lit->len) || memchr(lit->text, '-', lit->len)))
        return LIT_ERR(q, d, lit, "'%.60s' is a prefix or range: compare it with 'in'", lit->text);
    if (memchr(lit->text, '/', lit->len)) {
        if (ipl_prefix_parse(lit->text, lit->len, 0, &pf) == IPL_OK) {
            memcpy(r->lo, pf.lo, 16);
            memcpy(r->hi, pf.hi, 16);
            return IPL_OK;
        }
        if (ipl_prefix_parse(lit->text, lit->len, 1, &pf) == IPL_OK) {
            char net[64];
            ipl_prefix_format(&pf, net, sizeof net);
            return LIT_ERR(q, d, lit, "invalid prefix '%.60s': host bits are set (the network is %s)",
                           lit->text, net);
        }
        return LIT_ERR(q, d, lit, "invalid prefix '%.60s' (expected e.g. 10.72.144.0/22 or "
                                  "2001:db8::/48)", lit->text);
    }
    const char *dash = memchr(lit->text, '-', lit->len);
    if (dash) {
        size_t n1 = (size_t)(dash - lit->text), n2 = lit->len - n1 - 1;
        if (ipl_ip_parse(lit->text, n1, a) == IPL_OK && ipl_ip_parse(dash + 1, n2, b) == IPL_OK) {
            if (ipl_ip_is_v4(a) != ipl_ip_is_v4(b))
                return LIT_ERR(q, d, lit, "the range '%.60s' mixes IPv4 and IPv6", lit->text);
            if (memcmp(a, b, 16) > 0)
                return LIT_ERR(q, d, lit, "the range '%.60s' ends before it starts", lit->text);
            memcpy(r->lo, a, 16);
            memcpy(r->hi, b, 16);
            return IPL_OK;
        }
        return LIT_ERR(q, d, lit, "invalid address range '%.60s' (expected e.g. "
                                  "10.0.0.10-10.0.0.99)", lit->text);
    }
    return LIT_ERR(q, d, lit, "invalid IP address '%.60s'", lit->text);
}

static int time_of(ipl_ql *q, const ql_lit *lit, int64_t *us, ipl_diag *d)
{
    ipl_diag td = {0};
    int err;
    if (lit->len && (lit->text[0] == '-' || lit->text[0] == '+' ||
                     strncasecmp(lit->text, "now", 3) == 0))
        err = ipl_time_parse_relative(lit->text, lit->len, q->o.now, us, &td);
    else
        err = ipl_time_parse(lit->text, lit->len, q->o.tz, us, &td);
    return err ? LIT_ERR(q, d, lit, "%s", td.msg) : IPL_OK;
}

static int whole_of(ipl_ql *q, const ql_lit *lit, int64_t *v, ipl_diag *d)
{
    if (!lit->isnum || !lit->num.isint)
        return LIT_ERR(q, d, lit, "expected a whole number, found '%.60s'", lit->text);
    *v = lit->num.i;
    return IPL_OK;
}

/* The literal's value for a scalar type: ip/number/time into lo/hi-able form. */
static int scalar(ipl_ql *q, ql_leaf *l, const ql_lit *lit, ql_range *r, ipl_diag *d)
{
    memset(r, 0, sizeof *r);
    switch (l->type) {
    case QT_IP:
        return ip_lit(q, lit, 1, r, d);
    case QT_TIME: {
        int err = time_of(q, lit, &r->nlo, d);
        r->nhi = r->nlo;
        return err;
    }
    default: {
        int err = whole_of(q, lit, &r->nlo, d);
        r->nhi = r->nlo;
        return err;
    }
    }
}

/* One range from a comparison: < <= > >= between =. */
static int cmp_range(ipl_ql *q, ql_leaf *l, ipl_diag *d, size_t *cap)
{
    ql_range a, b, r;
    int ip = l->type == QT_IP, err;
    if ((err = scalar(q, l, &l->lits[0], &a, d)))
        return err;
    memset(&r, 0, sizeof r);
    memset(r.hi, 0xff, 16);
    r.nlo = INT64_MIN;
    r.nhi = INT64_MAX;
    switch (l->op) {
    case QO_EQ:
        r = a;
        break;
    case QO_LT:
    case QO_LE:
        if (ip) {
            memcpy(r.hi, a.lo, 16);
            if (l->op == QO_LT) {
                if (!memcmp(a.lo, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16))
                    return IPL_OK;            /* nothing is below :: */
                ip_add(r.hi, -1);
            }
        } else {
            if (l->op == QO_LT && a.nlo == INT64_MIN)
                return IPL_OK;
            r.nhi = l->op == QO_LT ? a.nlo - 1 : a.nlo;
        }
        break;
    case QO_GT:
    case QO_GE:
        if (ip) {
            memcpy(r.lo, a.lo, 16);
            if (l->op == QO_GT) {
                if (!memcmp(a.lo, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16))
                    return IPL_OK;
                ip_add(r.lo, 1);
            }
        } else {
            if (l->op == QO_GT && a.nlo == INT64_MAX)
                return IPL_OK;
            r.nlo = l->op == QO_GT ? a.nlo + 1 : a.nlo;
        }
        break;
    case QO_BETWEEN:
        if ((err = scalar(q, l, &l->lits[1], &b, d)))
            return err;
        if (ip ? memcmp(a.lo, b.lo, 16) > 0 : a.nlo > b.nlo)
            return ql_error_at(q, d, IPL_EINVAL, l->lits[1].line, l->lits[1].col,
                               "the range ends before it starts");
        memcpy(r.lo, a.lo, 16);
        memcpy(r.hi, b.hi, 16);
        r.nlo = a.nlo;
        r.nhi = b.nhi;
        break;
    default:
        break;
    }
    return add_range(q, l, &r, cap) ? ipl_diag_set(d, IPL_ENOMEM, "out of memory") : IPL_OK;
}

static int regex_compile(ipl_ql *q, ql_leaf *l, ipl_diag *d)
{
    const ql_lit *lit = &l->lits[0];
    uint32_t opts = 0;
    for (const char *f = l->pattern ? l->pattern : ""; *f; f++) {
        switch (*f) {
        case 'i': opts |= PCRE2_CASELESS; break;
        case 'm': opts |= PCRE2_MULTILINE; break;
        case 's': opts |= PCRE2_DOTALL; break;
        case 'x': opts |= PCRE2_EXTENDED; break;
        default:
            return LIT_ERR(q, d, lit, "unknown regex flag '%c' (flags: i m s x)", *f);
        }
    }
    if (l->ci)
        opts |= PCRE2_CASELESS;
    int code;
    PCRE2_SIZE off;
    l->re = pcre2_compile((PCRE2_SPTR)lit->text, lit->len, opts, &code, &off, NULL);
    if (!l->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        return LIT_ERR(q, d, lit, "invalid regex /%.60s/: %s at offset %zu", lit->text,
                       (const char *)msg, (size_t)off);
    }
    l->md = pcre2_match_data_create_from_pattern(l->re, NULL);
    if (!l->md)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    l->pattern = lit->text;
    return IPL_OK;
}

static int add_str(ipl_ql *q, ql_leaf *l, const char *s, size_t n, size_t *cap)
{
    if (l->nstrs == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        const char **ns = ipl_arena_alloc(&q->arena, nc * sizeof *ns);
        uint32_t *nl = ipl_arena_alloc(&q->arena, nc * sizeof *nl);
        if (!ns || !nl)
            return IPL_ENOMEM;
        if (l->nstrs) {
            memcpy(ns, l->strs, l->nstrs * sizeof *ns);
            memcpy(nl, l->slens, l->nstrs * sizeof *nl);
        }
        l->strs = ns;
        l->slens = nl;
        *cap = nc;
    }
    char *c = ipl_arena_strndup(&q->arena, s, n);
    if (!c)
        return IPL_ENOMEM;
    l->strs[l->nstrs] = c;
    l->slens[l->nstrs++] = (uint32_t)n;
    return IPL_OK;
}

int ql_leaf_compile(ipl_ql *q, ql_leaf *l, ipl_diag *d)
{
    size_t cap = 0, scap = 0;
    int err = IPL_OK;
    const char *flags = l->pattern;
    l->pattern = NULL;
    if (l->op == QO_EXISTS) {
        if (l->type == QT_KIND)
            memset(l->kinds, 0xff, sizeof l->kinds);
        return IPL_OK;
    }
    if (l->op == QO_MATCH && l->type != QT_KIND) {
        l->pattern = flags;
        return regex_compile(q, l, d);
    }
    if (l->op == QO_LIKE && l->type != QT_KIND) {
        l->pattern = l->lits[0].text;
        return IPL_OK;
    }
    switch (l->type) {
    case QT_KIND:
        if (l->op == QO_MATCH) {
            l->pattern = flags;
            if ((err = regex_compile(q, l, d)))
                return err;
            for (unsigned k = 1; k < IPL_K__COUNT && k < 256; k++) {
                const char *name = ipl_kind_name(k);
                if (strcmp(name, "unknown") == 0)
                    continue;
                int rc = pcre2_match(l->re, (PCRE2_SPTR)name, strlen(name), 0, 0, l->md, NULL);
                if (rc >= 0)
                    l->kinds[k >> 3] |= (uint8_t)(1u << (k & 7));
            }
            return IPL_OK;
        }
        if (l->op == QO_LIKE) {
            if (!ql_kind_glob(l->lits[0].text, l->lits[0].len, l->kinds))
                return LIT_ERR(q, d, &l->lits[0], "no event kind matches '%.60s'", l->lits[0].text);
            return IPL_OK;
        }
        if (l->op != QO_EQ && l->op != QO_IN)
            return op_error(q, l, d, "kinds compare with =, in, like and ~");
        for (size_t i = 0; i < l->nlits; i++) {
            int k = ipl_kind_parse(l->lits[i].text, l->lits[i].len);
            if (k <= 0)
                return LIT_ERR(q, d, &l->lits[i], "unknown event kind '%.60s' (kind like "
                                                  "\"lease.*\" matches a family)", l->lits[i].text);
            l->kinds[k >> 3] |= (uint8_t)(1u << (k & 7));
        }
        return IPL_OK;
    case QT_IP:
        if (l->op == QO_IN) {
            for (size_t i = 0; i < l->nlits; i++) {
                ql_range r;
                if ((err = ip_lit(q, &l->lits[i], 0, &r, d)))
                    return err;
                if (add_range(q, l, &r, &cap))
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            }
            merge_ranges(l, 1);
            return IPL_OK;
        }
        if ((err = cmp_range(q, l, d, &cap)))
            return err;
        merge_ranges(l, 1);
        return IPL_OK;
    case QT_NUM:
        if (l->op == QO_IN) {
            for (size_t i = 0; i < l->nlits; i++) {
                ql_range r;
                memset(&r, 0, sizeof r);
                if ((err = whole_of(q, &l->lits[i], &r.nlo, d)))
                    return err;
                r.nhi = r.nlo;
                if (add_range(q, l, &r, &cap))
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            }
            merge_ranges(l, 0);
            return IPL_OK;
        }
        if ((err = cmp_range(q, l, d, &cap)))
            return err;
        merge_ranges(l, 0);
        return IPL_OK;
    case QT_TIME:
        if (l->op == QO_IN)
            return op_error(q, l, d, "compare times with <, >, = or between ... and ...");
        return cmp_range(q, l, d, &cap);
    case QT_MAC:
    case QT_HEX:
        if (l->op != QO_EQ && l->op != QO_IN)
            return op_error(q, l, d, "MACs and DUIDs compare with =, in, like and ~");
        for (size_t i = 0; i < l->nlits; i++) {
            char canon[2 * 130 + 1];
            const ql_lit *lit = &l->lits[i];
            int ok = l->type == QT_MAC && ipl_mac_canon(lit->text, lit->len, canon) == IPL_OK;
            if (!ok && ipl_hex_canon(lit->text, lit->len, canon, sizeof canon) == IPL_OK &&
                strlen(canon) >= 12)
                ok = 1;
            if (!ok)
                return LIT_ERR(q, d, lit,
                               l->type == QT_MAC
                                   ? "invalid MAC address '%.60s' (expected e.g. 3c:52:82:6a:1b:2f, "
                                     "3C-52-82-6A-1B-2F, 3c52.826a.1b2f, 3c52826a1b2f or a DUID in hex)"
                                   : "invalid DUID '%.60s' (expected hex digits, ':' or '-' allowed)",
                               lit->text);
            if (add_str(q, l, canon, strlen(canon), &scap))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        return IPL_OK;
    case QT_STR:
    case QT_ATTR:
        if (l->op == QO_EQ || l->op == QO_IN) {
            for (size_t i = 0; i < l->nlits; i++)
                if (add_str(q, l, l->lits[i].text, l->lits[i].len, &scap))
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        return IPL_OK;          /* ordering compares l->lits */
    case QT_ATTRS:
    default:
        return op_error(q, l, d, "compare an attribute by its name, e.g. logon_type = 10; "
                                 "like and ~ apply to attrs");
    }
}

void ql_leaf_release(ql_leaf *l)
{
    if (l->md)
        pcre2_match_data_free(l->md);
    if (l->re)
        pcre2_code_free(l->re);
    free(l->memo);
    l->md = NULL;
    l->re = NULL;
    l->memo = NULL;
    l->nmemo = 0;
}

/* ---- values ---------------------------------------------------------------------------------- */

int ql_grow_ids(void **p, size_t *n, size_t want, size_t elem)
{
    if (want <= *n)
        return 0;
    if (!*p) {
        void *m = calloc(want, elem);
        if (!m)
            return -1;
        *p = m;
        *n = want;
        return 0;
    }
    size_t nc = *n * 2 > want ? *n * 2 : want;
    uint8_t *m = realloc(*p, nc * elem);
    if (!m)
        return -1;
    memset(m + *n * elem, 0, (nc - *n) * elem);
    *p = m;
    *n = nc;
    return 0;
}

/* The size an id-indexed array starts with: every id of the dictionary the query saw. */
static size_t ids_for(const ql_exec *x, uint32_t id)
{
    size_t want = (size_t)x->q->max_id + 1;
    return want > (size_t)id + 1 ? want : (size_t)id + 1;
}

#define DSTR_MAX ((size_t)1 << 24)    /* ids cached (128 MiB at most); larger ones are looked up */

/* A dictionary string; each id is looked up in the store once per run. */
const char *ql_dict(ql_exec *x, uint32_t id, uint32_t *len)
{
    if (id < x->ndstr && x->dstr[id].s) {
        if (len)
            *len = x->dstr[id].len;
        return x->dstr[id].s;
    }
    const char *s = ipl_dict_str(x->t, id);
    if (!s)
        s = "";
    uint32_t n = (uint32_t)strlen(s);
    if (len)
        *len = n;
    if (x->no_dstr_cache)
        return s;
    if (id >= x->ndstr && id < DSTR_MAX) {
        size_t want = ids_for(x, id);
        ql_grow_ids((void **)&x->dstr, &x->ndstr, want < DSTR_MAX ? want : DSTR_MAX, sizeof *x->dstr);
    }
    if (id < x->ndstr) {
        x->dstr[id].s = s;
        x->dstr[id].len = n;
    }
    return s;
}

static const char *rowdup(ql_exec *x, const char *s, size_t n)
{
    const char *c = ipl_arena_strndup(&x->rowa, s, n);
    return c ? c : "";
}

/* The attribute bag as text: {"k":"v",...} (json) or k=v k=v. */
static const char *attrs_text(ql_exec *x, const ipl_rawev *ev, int json)
{
    const uint8_t *pos = ev->attrs;
    ipl_rawattr a;
    size_t cap = 2 + 1;
    const char *vals[IPL_ATTR_MAX];
    uint32_t lens[IPL_ATTR_MAX];
    uint8_t keys[IPL_ATTR_MAX];
    uint32_t n = 0;
    if (!ev->attrs)
        return json ? "{}" : "";
    for (uint32_t i = 0; i < ev->nattr && i < IPL_ATTR_MAX; i++) {
        if (ipl_rawev_attr_next(ev, &pos, &a))
            break;
        keys[n] = a.key;
        if (a.interned) {
            vals[n] = ql_dict(x, a.id, &lens[n]);
        } else {
            vals[n] = a.val;
            lens[n] = a.len;
        }
        cap += 40 + (size_t)lens[n] * 6;
        n++;
    }
    char *s = ipl_arena_alloc(&x->rowa, cap), *p = s;
    if (!s)
        return NULL;
    if (json)
        *p++ = '{';
    for (uint32_t i = 0; i < n; i++) {
        const char *k = ipl_attr_name(keys[i]);
        if (!k)
            k = "?";
        if (json) {
            p += snprintf(p, cap - (size_t)(p - s), "%s\"%s\":\"", i ? "," : "", k);
            p += ipl_json_escape(vals[i], lens[i], p, cap - (size_t)(p - s));
            *p++ = '"';
        } else {
            p += snprintf(p, cap - (size_t)(p - s), "%s%s=", i ? " " : "", k);
            for (uint32_t j = 0; j < lens[i]; j++) {
                unsigned char c = (unsigned char)vals[i][j];
                *p++ = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            }
        }
    }
    if (json)
        *p++ = '}';
    *p = '\0';
    return s;
}

int ql_get(ql_exec *x, const ql_schema *s, const ql_row *r, int col, ql_val *v)
{
    if (!s->events) {
        *v = r->v[col];
        return IPL_OK;
    }
    const ipl_rawev *ev = r->ev;
    memset(v, 0, sizeof *v);
    uint32_t id = 0;
    switch (col) {
    case QF_SEQ: v->n = (int64_t)ev->seq; return IPL_OK;
    case QF_TIME: v->n = ev->ts; return IPL_OK;
    case QF_KIND: v->n = ev->kind; return IPL_OK;
    case QF_LINE: v->n = (int64_t)ev->line; return IPL_OK;
    case QF_IP:
        v->null = !ev->has_ip;
        memcpy(v->ip, ev->ip, 16);
        return IPL_OK;
    case QF_MAC: id = ev->mac; break;
    case QF_DUID: id = ev->duid; break;
    case QF_HOST: id = ev->host; break;
    case QF_USER: id = ev->user; break;
    case QF_SERVER: id = ev->server; break;
    case QF_SOURCE: id = ev->source; break;
    case QF_ATTRS:
        v->s = attrs_text(x, ev, x->json);
        if (!v->s)
            return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
        v->len = (uint32_t)strlen(v->s);
        return IPL_OK;
    default: {
        ipl_rawattr a;
        int err = ev->attrs ? ipl_rawev_attr(ev, (unsigned)(col - QF_ATTR), &a) : IPL_ENOTFOUND;
        if (err == IPL_ENOTFOUND) {
            v->null = 1;
            return IPL_OK;
        }
        if (err)
            return ipl_diag_set(x->d, IPL_ECORRUPT, "event %llu is corrupt",
                                (unsigned long long)ev->seq);
        if (a.interned) {
            v->isid = 1;
            v->id = a.id;
        } else {
            v->s = a.val;
            v->len = a.len;
        }
        return IPL_OK;
    }
    }
    if (!id) {
        v->null = 1;
        return IPL_OK;
    }
    v->isid = 1;
    v->id = id;
    return IPL_OK;
}

const char *ql_text(ql_exec *x, int type, const ql_val *v, int json)
{
    char b[64];
    (void)json;
    if (v->null)
        return NULL;
    switch (type) {
    case QT_NUM:
        snprintf(b, sizeof b, "%lld", (long long)v->n);
        return rowdup(x, b, strlen(b));
    case QT_TIME:
        if (v->n == INT64_MAX)
            return "open";
        ipl_time_format(v->n, b, sizeof b);
        return rowdup(x, b, strlen(b));
    case QT_KIND:
        return ipl_kind_name((unsigned)v->n);
    case QT_IP:
        ipl_ip_format(v->ip, b, sizeof b);
        return rowdup(x, b, strlen(b));
    default:
        if (v->isid)
            return ql_dict(x, v->id, NULL);
        return rowdup(x, v->s ? v->s : "", v->len);
    }
}

/* A string value's bytes (resolving dictionary ids). */
static const char *str_of(ql_exec *x, const ql_val *v, uint32_t *len)
{
    if (v->isid)
        return ql_dict(x, v->id, len);
    *len = v->len;
    return v->s ? v->s : "";
}

static int strcmp_n(const char *a, size_t an, const char *b, size_t bn, int ci)
{
    size_t n = an < bn ? an : bn;
    if (!ci) {
        int c = n ? memcmp(a, b, n) : 0;
        return c ? (c < 0 ? -1 : 1) : an < bn ? -1 : an > bn;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = (unsigned char)(ci ? fold(a[i]) : a[i]);
        unsigned char cb = (unsigned char)(ci ? fold(b[i]) : b[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

int ql_sortkey(ql_exec *x, ipl_arena *a, int type, int ci, ql_val *v)
{
    if (v->null || type == QT_NUM || type == QT_TIME || type == QT_KIND || type == QT_IP)
        return IPL_OK;
    uint32_t n;
    const char *s = str_of(x, v, &n);
    v->isid = 0;
    v->s = s;
    v->len = n;
    if (!ci)
        return IPL_OK;
    char *f = ipl_arena_alloc(a, n ? n : 1);
    if (!f)
        return IPL_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        f[i] = fold(s[i]);
    v->s = f;
    return IPL_OK;
}

int ql_val_cmp(ql_exec *x, int type, int ci, const ql_val *a, const ql_val *b)
{
    if (a->null || b->null)
        return a->null == b->null ? 0 : a->null ? 1 : -1;    /* missing values last */
    switch (type) {
    case QT_NUM:
    case QT_TIME:
        return a->n < b->n ? -1 : a->n > b->n;
    case QT_KIND:
        return strcmp(ipl_kind_name((unsigned)a->n), ipl_kind_name((unsigned)b->n));
    case QT_IP:
        return memcmp(a->ip, b->ip, 16);
    default: {
        if (a->isid && b->isid && a->id == b->id)
            return 0;
        uint32_t an, bn;
        const char *as = str_of(x, a, &an), *bs = str_of(x, b, &bn);
        if (type == QT_ATTR) {
            ql_num na, nb;
            int ia = ql_num_parse(as, an, &na), ib = ql_num_parse(bs, bn, &nb);
            if (ia && ib)
                return ql_num_cmp(&na, &nb);
            if (ia != ib)
                return ia ? -1 : 1;        /* numbers before other text */
        }
        return strcmp_n(as, an, bs, bn, ci);
    }
    }
}

/* ---- case-insensitive grouping of dictionary strings ---------------------------------------- */

typedef struct ql_foldmap {
    struct fslot { uint64_t h; const char *s; uint32_t len, id; } *slots;
    size_t cap, count;
    ipl_arena strs;
} ql_foldmap;

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h | 1;
}

static int foldmap_grow(ql_foldmap *m)
{
    size_t nc = m->cap ? m->cap * 2 : 1024;
    struct fslot *ns = calloc(nc, sizeof *ns);
    if (!ns)
        return IPL_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].h) {
            size_t j = m->slots[i].h & (nc - 1);
            while (ns[j].h)
                j = (j + 1) & (nc - 1);
            ns[j] = m->slots[i];
        }
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return IPL_OK;
}

void ql_foldmap_free(ql_foldmap *m)
{
    if (!m)
        return;
    free(m->slots);
    ipl_arena_release(&m->strs);
    free(m);
}

uint32_t ql_fold_id(ql_exec *x, uint32_t id)
{
    if (id < x->nfold && x->fold[id])
        return x->fold[id];
    uint32_t len;
    const char *s = ql_dict(x, id, &len);
    char buf[IPL_STR_MAX + 1];
    if (len > IPL_STR_MAX)
        len = IPL_STR_MAX;
    for (uint32_t i = 0; i < len; i++)
        buf[i] = fold(s[i]);
    uint32_t canon = id;
    if (!x->foldmap) {
        x->foldmap = calloc(1, sizeof *x->foldmap);
        if (x->foldmap)
            ipl_arena_init(&x->foldmap->strs, 0);
    }
    ql_foldmap *m = x->foldmap;
    if (m && (m->count + 1 <= m->cap / 2 || foldmap_grow(m) == IPL_OK)) {
        uint64_t h = hash_bytes(buf, len);
        size_t j = h & (m->cap - 1);
        for (; m->slots[j].h; j = (j + 1) & (m->cap - 1))
            if (m->slots[j].h == h && m->slots[j].len == len && !memcmp(m->slots[j].s, buf, len))
                break;
        if (m->slots[j].h) {
            canon = m->slots[j].id;
        } else {
            const char *c = ipl_arena_strndup(&m->strs, buf, len);
            if (c) {
                m->slots[j] = (struct fslot){h, c, len, id};
                m->count++;
            }
        }
    }
    if (id >= x->nfold && id < (1u << 28))
        ql_grow_ids((void **)&x->fold, &x->nfold, ids_for(x, id), sizeof *x->fold);
    if (id < x->nfold)
        x->fold[id] = canon;
    return canon;
}

static int put(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        while (nc < *len + n)
            nc *= 2;
        uint8_t *nb = realloc(*buf, nc);
        if (!nb)
            return IPL_ENOMEM;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return IPL_OK;
}

int ql_key_append_raw(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    return put(buf, len, cap, p, n);
}

int ql_key_append(ql_exec *x, int type, int ci, const ql_val *v, uint8_t **buf, size_t *len,
                  size_t *cap)
{
    uint8_t tag;
    if (v->null) {
        tag = 0;
        return put(buf, len, cap, &tag, 1);
    }
    switch (type) {
    case QT_NUM:
    case QT_TIME:
    case QT_KIND:
        tag = 1;
        if (put(buf, len, cap, &tag, 1))
            return IPL_ENOMEM;
        return put(buf, len, cap, &v->n, sizeof v->n);
    case QT_IP:
        tag = 2;
        if (put(buf, len, cap, &tag, 1))
            return IPL_ENOMEM;
        return put(buf, len, cap, v->ip, 16);
    default:
        if (v->isid) {
            uint32_t id = ci ? ql_fold_id(x, v->id) : v->id;
            tag = 3;
            if (put(buf, len, cap, &tag, 1))
                return IPL_ENOMEM;
            return put(buf, len, cap, &id, 4);
        }
        tag = 4;
        uint32_t n = v->len;
        if (put(buf, len, cap, &tag, 1) || put(buf, len, cap, &n, 4))
            return IPL_ENOMEM;
        if (!ci)
            return put(buf, len, cap, v->s, n);
        for (uint32_t i = 0; i < n; i++) {
            char c = fold(v->s[i]);
            if (put(buf, len, cap, &c, 1))
                return IPL_ENOMEM;
        }
        return IPL_OK;
    }
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static int regex_match(ql_exec *x, ql_leaf *l, const char *s, size_t n, int *m)
{
    int rc = pcre2_match(l->re, (PCRE2_SPTR)s, n, 0, 0, l->md, x->mctx);
    if (rc >= 0) {
        *m = 1;
        return IPL_OK;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        *m = 0;
        return IPL_OK;
    }
    const char *what = rc == PCRE2_ERROR_MATCHLIMIT   ? "the match limit"
                       : rc == PCRE2_ERROR_DEPTHLIMIT ? "the depth limit"
                       : rc == PCRE2_ERROR_HEAPLIMIT  ? "the heap limit"
                                                      : NULL;
    uint32_t lim = rc == PCRE2_ERROR_DEPTHLIMIT ? x->q->o.regex_depth_limit
                                                : x->q->o.regex_match_limit;
    if (what)
        return ql_error_at(x->q, x->d, IPL_ELIMIT, l->line, l->col,
                           "the regex /%.40s/ on '%.40s' exceeded %s (%u) on the value "
                           "'%.40s%s'; simplify the pattern",
                           l->pattern, l->fname, what, lim, s, n > 40 ? "..." : "");
    PCRE2_UCHAR msg[120];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return ql_error_at(x->q, x->d, IPL_EINVAL, l->line, l->col, "the regex /%.40s/ failed: %s",
                       l->pattern, (const char *)msg);
}

/* A string (or the text of a value) against a leaf. */
static int eval_str(ql_exec *x, ql_leaf *l, const char *s, size_t n, int *m)
{
    *m = 0;
    switch (l->op) {
    case QO_EXISTS:
        *m = 1;
        return IPL_OK;
    case QO_LIKE:
        *m = ql_glob(l->pattern, strlen(l->pattern), s, n, l->ci);
        return IPL_OK;
    case QO_MATCH:
        return regex_match(x, l, s, n, m);
    case QO_EQ:
    case QO_IN: {
        ql_num vn;
        int vnum = -1;
        for (size_t i = 0; i < l->nstrs; i++) {
            if (l->type == QT_ATTR && l->lits[i].isnum) {
                if (vnum < 0)
                    vnum = ql_num_parse(s, n, &vn);
                if (vnum && ql_num_cmp(&vn, &l->lits[i].num) == 0) {
                    *m = 1;
                    return IPL_OK;
                }
                if (vnum)
                    continue;
            }
            if (l->slens[i] == n && strcmp_n(l->strs[i], n, s, n, l->ci) == 0) {
                *m = 1;
                return IPL_OK;
            }
        }
        return IPL_OK;
    }
    default: {     /* < <= > >= between: numeric when both are numbers */
        ql_num vn;
        int vnum = ql_num_parse(s, n, &vn);
        int c0, c1 = 0;
        const ql_lit *a = &l->lits[0], *b = l->nlits > 1 ? &l->lits[1] : NULL;
        if (a->isnum && (!b || b->isnum)) {
            if (!vnum)
                return IPL_OK;
            c0 = ql_num_cmp(&vn, &a->num);
            if (b)
                c1 = ql_num_cmp(&vn, &b->num);
        } else {
            c0 = strcmp_n(s, n, a->text, a->len, l->ci);
            if (b)
                c1 = strcmp_n(s, n, b->text, b->len, l->ci);
        }
        switch (l->op) {
        case QO_LT: *m = c0 < 0; break;
        case QO_LE: *m = c0 <= 0; break;
        case QO_GT: *m = c0 > 0; break;
        case QO_GE: *m = c0 >= 0; break;
        case QO_BETWEEN: *m = c0 >= 0 && c1 <= 0; break;
        default: break;
        }
        return IPL_OK;
    }
    }
}

/* A dictionary string against a leaf, memoised by id. */
static int eval_id(ql_exec *x, ql_leaf *l, uint32_t id, int *m)
{
    if (id < l->nmemo && l->memo[id]) {
        *m = l->memo[id] == 2;
        return IPL_OK;
    }
    uint32_t n;
    const char *s = ql_dict(x, id, &n);
    int err = eval_str(x, l, s, n, m);
    if (err)
        return err;
    if (id >= l->nmemo && id < (1u << 26))
        ql_grow_ids((void **)&l->memo, &l->nmemo, ids_for(x, id), 1);
    if (id < l->nmemo)
        l->memo[id] = *m ? 2 : 1;
    return IPL_OK;
}

static int in_ranges_n(const ql_leaf *l, int64_t v)
{
    for (size_t i = 0; i < l->nranges; i++)
        if (v >= l->ranges[i].nlo && v <= l->ranges[i].nhi)
            return 1;
    return 0;
}

static int in_ranges_ip(const ql_leaf *l, const uint8_t ip[16])
{
    size_t lo = 0, hi = l->nranges;
    while (lo < hi) {          /* ranges are sorted and disjoint: the last one with lo <= ip */
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(l->ranges[mid].lo, ip, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && memcmp(ip, l->ranges[lo - 1].hi, 16) <= 0;
}

static int eval_val(ql_exec *x, ql_leaf *l, const ql_val *v, int *m)
{
    *m = 0;
    if (v->null)
        return IPL_OK;
    if (l->op == QO_EXISTS) {
        *m = 1;
        return IPL_OK;
    }
    if (l->type == QT_KIND) {
        *m = v->n >= 0 && v->n < 256 && (l->kinds[v->n >> 3] >> (v->n & 7) & 1);
        return IPL_OK;
    }
    if (l->op == QO_LIKE || l->op == QO_MATCH) {
        if (l->type == QT_NUM || l->type == QT_TIME || l->type == QT_IP) {
            const char *t = ql_text(x, l->type, v, 0);
            return eval_str(x, l, t ? t : "", t ? strlen(t) : 0, m);
        }
    } else if (l->type == QT_IP) {
        *m = in_ranges_ip(l, v->ip);
        return IPL_OK;
    } else if (l->type == QT_NUM || l->type == QT_TIME) {
        *m = in_ranges_n(l, v->n);
        return IPL_OK;
    }
    if (v->isid)
        return eval_id(x, l, v->id, m);
    return eval_str(x, l, v->s ? v->s : "", v->len, m);
}

/* A leaf on an event row: the hot path. */
static int eval_ev(ql_exec *x, ql_leaf *l, const ipl_rawev *ev, int *m)
{
    switch (l->field) {
    case QF_KIND:
        *m = l->kinds[ev->kind >> 3] >> (ev->kind & 7) & 1;
        return IPL_OK;
    case QF_TIME:
        if (l->op == QO_LIKE || l->op == QO_MATCH)
            break;
        *m = in_ranges_n(l, ev->ts);
        return IPL_OK;
    case QF_IP:
        if (l->op == QO_LIKE || l->op == QO_MATCH || l->op == QO_EXISTS)
            break;
        *m = ev->has_ip && in_ranges_ip(l, ev->ip);
        return IPL_OK;
    case QF_MAC:
        if (l->op == QO_EQ || l->op == QO_IN) {   /* the MAC, or the DUID of a v6 client */
            int err = IPL_OK;
            *m = 0;
            if (ev->mac && (err = eval_id(x, l, ev->mac, m)))
                return err;
            if (!*m && ev->duid)
                err = eval_id(x, l, ev->duid, m);
            return err;
        }
        break;
    case QF_HOST:
        if (!ev->host) {
            *m = 0;
            return IPL_OK;
        }
        return eval_id(x, l, ev->host, m);
    case QF_USER:
        if (!ev->user) {
            *m = 0;
            return IPL_OK;
        }
        return eval_id(x, l, ev->user, m);
    default:
        break;
    }
    ql_row r = {ev, NULL};
    ql_schema s = {1, NULL, 0};
    ql_val v;
    int err = ql_get(x, &s, &r, l->field, &v);
    return err ? err : eval_val(x, l, &v, m);
}

int ql_eval(ql_exec *x, const ql_expr *e, const ql_schema *s, const ql_row *r, int *match)
{
    int err;
    switch (e->kind) {
    case QE_TRUE:
        *match = 1;
        return IPL_OK;
    case QE_AND:
        if ((err = ql_eval(x, e->a, s, r, match)) || !*match)
            return err;
        return ql_eval(x, e->b, s, r, match);
    case QE_OR:
        if ((err = ql_eval(x, e->a, s, r, match)) || *match)
            return err;
        return ql_eval(x, e->b, s, r, match);
    case QE_NOT:
        if ((err = ql_eval(x, e->a, s, r, match)))
            return err;
        *match = !*match;
        return IPL_OK;
    default:
        if (e->leaf->covered) {
            *match = 1;
            return IPL_OK;
        }
        if (s->events)
            return eval_ev(x, e->leaf, r->ev, match);
        return eval_val(x, e->leaf, &r->v[e->leaf->field], match);
    }
}

/* ---- text of an expression (explain) --------------------------------------------------------- */

static void app(char *buf, size_t cap, size_t *off, const char *s)
{
    size_t n = strlen(s);
    if (*off + 1 >= cap)
        return;
    if (n > cap - 1 - *off)
        n = cap - 1 - *off;
    memcpy(buf + *off, s, n);
    *off += n;
    buf[*off] = '\0';
}

static void lit_text(const ql_leaf *l, const ql_lit *lit, char *buf, size_t cap, size_t *off)
{
    int quote = !lit->isnum && (l->type == QT_STR || l->type == QT_ATTR || l->op == QO_LIKE ||
                                l->type == QT_MAC || l->type == QT_HEX);
    if (l->op == QO_MATCH) {
        app(buf, cap, off, "/");
        app(buf, cap, off, lit->text);
        app(buf, cap, off, "/");
        return;
    }
    if (quote) {
        app(buf, cap, off, "\"");
        for (uint32_t i = 0; i < lit->len; i++) {
            char c[3] = {lit->text[i], 0, 0};
            if (c[0] == '"')
                c[1] = '"';
            app(buf, cap, off, c);
        }
        app(buf, cap, off, "\"");
    } else {
        app(buf, cap, off, lit->text);
    }
}

/* Does e still test anything (leaves answered by the index are not tests any more)? */
static int tests(const ql_expr *e)
{
    switch (e->kind) {
    case QE_TRUE:
        return 0;
    case QE_LEAF:
        return !e->leaf->covered;
    case QE_NOT:
        return 1;
    default:
        return tests(e->a) || tests(e->b);
    }
}

void ql_expr_text(const ipl_ql *q, const ql_expr *e, const ql_schema *s, char *buf, size_t cap,
                  size_t *off)
{
    if (e->kind == QE_AND && !tests(e->a) && tests(e->b)) {
        ql_expr_text(q, e->b, s, buf, cap, off);
        return;
    }
    if (e->kind == QE_AND && tests(e->a) && !tests(e->b)) {
        ql_expr_text(q, e->a, s, buf, cap, off);
        return;
    }
    switch (e->kind) {
    case QE_TRUE:
        app(buf, cap, off, "true");
        return;
    case QE_AND:
    case QE_OR: {
        int pa = e->a->kind == QE_OR || e->a->kind == QE_AND;
        int pb = e->b->kind == QE_OR || e->b->kind == QE_AND;
        pa = pa && e->a->kind != e->kind;
        pb = pb && e->b->kind != e->kind;
        if (pa)
            app(buf, cap, off, "(");
        ql_expr_text(q, e->a, s, buf, cap, off);
        app(buf, cap, off, pa ? ")" : "");
        app(buf, cap, off, e->kind == QE_AND ? " and " : " or ");
        if (pb)
            app(buf, cap, off, "(");
        ql_expr_text(q, e->b, s, buf, cap, off);
        app(buf, cap, off, pb ? ")" : "");
        return;
    }
    case QE_NOT:
        app(buf, cap, off, "not ");
        if (e->a->kind != QE_LEAF)
            app(buf, cap, off, "(");
        ql_expr_text(q, e->a, s, buf, cap, off);
        if (e->a->kind != QE_LEAF)
            app(buf, cap, off, ")");
        return;
    default: {
        const ql_leaf *l = e->leaf;
        app(buf, cap, off, s->events ? ql_field_name(l->field) : s->cols[l->field].name);
        app(buf, cap, off, " ");
        app(buf, cap, off, ql_op_name(l->op));
        if (l->op == QO_EXISTS)
            return;
        app(buf, cap, off, " ");
        int paren = l->op == QO_IN && l->nlits > 1;
        if (paren)
            app(buf, cap, off, "(");
        for (size_t i = 0; i < l->nlits; i++) {
            if (i)
                app(buf, cap, off, l->op == QO_BETWEEN ? " and " : ", ");
            lit_text(l, &l->lits[i], buf, cap, off);
        }
        if (paren)
            app(buf, cap, off, ")");
        return;
    }
    }
}

double ql_selectivity(const ql_expr *e)
{
    double a, b;
    switch (e->kind) {
    case QE_TRUE:
        return 1.0;
    case QE_AND:
        return ql_selectivity(e->a) * ql_selectivity(e->b);
    case QE_OR:
        a = ql_selectivity(e->a);
        b = ql_selectivity(e->b);
        return a + b > 1.0 ? 1.0 : a + b;
    case QE_NOT:
        return 1.0 - ql_selectivity(e->a);
    default:
        if (e->leaf->covered)
            return 1.0;
        switch (e->leaf->op) {
        case QO_EQ: return e->leaf->type == QT_KIND ? 0.2 : 0.05;
        case QO_IN: return 0.1;
        case QO_EXISTS: return 0.9;
        case QO_LIKE:
        case QO_MATCH: return 0.25;
        default: return 0.3;
        }
    }
}
