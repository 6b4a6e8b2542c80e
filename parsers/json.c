/* parsers/json.c — JSON into cJSON nodes allocated from an arena (see json.h). Recursive descent
 * over the bytes; the acceptance rules and error positions follow cJSON 1.7.15 as Debian 12 ships
 * it (the library the rest of ipledger uses), and tests/fuzz/fuzz_json.c checks that against the
 * real cJSON on every input it generates: the same verdict, error byte, end and tree. */
#include "parsers/json.h"

#include "engine/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct jp {
    const unsigned char *s;
    size_t n, i;
    ipl_arena *a;
    size_t err;           /* the offset cJSON's parse would stop at */
    int oom;
} jp;

static int fail_at(jp *p, size_t at)
{
    p->err = at;
    return -1;
}

static void skip_ws(jp *p)
{
    while (p->i < p->n && p->s[p->i] <= 32)
        p->i++;
}

static cJSON *node(jp *p, int type)
{
    cJSON *c = ipl_arena_alloc(p->a, sizeof *c);
    if (!c) {
        p->oom = 1;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->type = type;
    return c;
}

/* four hex digits; as cJSON, a non-hex digit makes the whole value 0 (not an error) */
static unsigned hex4(const unsigned char *h)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = h[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    return v;
}

/* a \u escape at q (the backslash) before end: its UTF-8 into *o; bytes of input used, 0 = bad */
static size_t utf16_escape(const unsigned char *q, const unsigned char *end, unsigned char **o)
{
    unsigned first, cp;
    size_t len = 6;
    if (end - q < 6)
        return 0;
    first = hex4(q + 2);
    if (first >= 0xDC00 && first <= 0xDFFF)
        return 0;
    if (first >= 0xD800 && first <= 0xDBFF) {
        unsigned second;
        if (end - q < 12 || q[6] != '\\' || q[7] != 'u')
            return 0;
        second = hex4(q + 8);
        if (second < 0xDC00 || second > 0xDFFF)
            return 0;
        cp = 0x10000 + (((first & 0x3FF) << 10) | (second & 0x3FF));
        len = 12;
    } else {
        cp = first;
    }
    unsigned char *w = *o;
    if (cp < 0x80) {
        *w++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *w++ = (unsigned char)(0xC0 | (cp >> 6));
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (unsigned char)(0xE0 | (cp >> 12));
        *w++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (unsigned char)(0xF0 | (cp >> 18));
        *w++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *w++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = w;
    return len;
}

/* a string at p->i (which is '"'): its unescaped, NUL-terminated bytes from the arena */
static int parse_string(jp *p, char **out)
{
    const unsigned char *start = p->s + p->i + 1, *end = p->s + p->n, *q = start;
    size_t escapes = 0;
    if (p->i >= p->n || p->s[p->i] != '"')
        return fail_at(p, p->i + 1);
    /* the closing quote, stepping over escaped bytes */
    while (q < end && *q != '"') {
        if (*q == '\\') {
            if (q + 1 >= end)
                return fail_at(p, p->i + 1);
            escapes++;
            q++;
        }
        q++;
    }
    if (q >= end)
        return fail_at(p, p->i + 1);
    size_t raw = (size_t)(q - start);
    unsigned char *o = ipl_arena_alloc(p->a, raw + 1), *w = o;
    if (!o) {
        p->oom = 1;
        return -1;
    }
    if (!escapes) {
        memcpy(o, start, raw);
        w = o + raw;
    } else {
        for (const unsigned char *r = start; r < q;) {
            if (*r != '\\') {
                *w++ = *r++;
                continue;
            }
            switch (r[1]) {
            case 'b': *w++ = '\b'; r += 2; break;
            case 'f': *w++ = '\f'; r += 2; break;
            case 'n': *w++ = '\n'; r += 2; break;
            case 'r': *w++ = '\r'; r += 2; break;
            case 't': *w++ = '\t'; r += 2; break;
            case '"': case '\\': case '/': *w++ = r[1]; r += 2; break;
            case 'u': {
                size_t used = utf16_escape(r, q, &w);
                if (!used)
                    return fail_at(p, (size_t)(r - p->s));
                r += used;
                break;
            }
            default:
                return fail_at(p, (size_t)(r - p->s));
            }
        }
    }
    *w = '\0';
    *out = (char *)o;
    p->i = (size_t)(q - p->s) + 1;
    return 0;
}

/* the run of number bytes (as Debian's cJSON 1.7.15, whose security fix reads the whole run,
 * not the first 63 bytes), read by strtod */
static int parse_number(jp *p, cJSON *item)
{
    char small[64], *buf = small;
    size_t k = 0;
    while (p->i + k < p->n) {
        unsigned char c = p->s[p->i + k];
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.'))
            break;
        k++;
    }
    if (k >= sizeof small && !(buf = ipl_arena_alloc(p->a, k + 1))) {
        p->oom = 1;
        return -1;
    }
    memcpy(buf, p->s + p->i, k);
    buf[k] = '\0';
    char *after;
    double v = strtod(buf, &after);
    if (after == buf)
        return fail_at(p, p->i);
    item->valuedouble = v;
    item->valueint = v >= INT32_MAX ? INT32_MAX : v <= (double)INT32_MIN ? INT32_MIN : (int)v;
    p->i += (size_t)(after - buf);
    return 0;
}

static int parse_value(jp *p, int depth, cJSON **out);

static int parse_array(jp *p, int depth, cJSON *item)
{
    cJSON *tail = NULL;
    if (depth >= IPL_JSON_NESTING)
        return fail_at(p, p->i);
    p->i++;                                             /* '[' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return 0;
    }
    if (p->i >= p->n)
        return fail_at(p, p->i - 1);
    p->i--;
    do {
        p->i++;                                         /* '[' or ',' */
        skip_ws(p);
        cJSON *v;
        if (parse_value(p, depth + 1, &v))
            return -1;
        if (!tail)
            item->child = v;
        else {
            tail->next = v;
            v->prev = tail;
        }
        tail = v;
        skip_ws(p);
    } while (p->i < p->n && p->s[p->i] == ',');
    if (p->i >= p->n || p->s[p->i] != ']')
        return fail_at(p, p->i);
    item->child->prev = tail;                           /* cJSON keeps the tail there */
    p->i++;
    return 0;
}

static int parse_object(jp *p, int depth, cJSON *item)
{
    cJSON *tail = NULL;
    if (depth >= IPL_JSON_NESTING)
        return fail_at(p, p->i);
    p->i++;                                             /* '{' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return 0;
    }
    if (p->i >= p->n)
        return fail_at(p, p->i - 1);
    p->i--;
    do {
        p->i++;                                         /* '{' or ',' */
        skip_ws(p);
        char *key;
        if (p->i >= p->n || p->s[p->i] != '"')
            return fail_at(p, p->i >= p->n ? p->i : p->i + 1);
        if (parse_string(p, &key))
            return -1;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
            return fail_at(p, p->i);
        p->i++;
        skip_ws(p);
        cJSON *v;
        if (parse_value(p, depth + 1, &v))
            return -1;
        v->string = key;
        if (!tail)
            item->child = v;
        else {
            tail->next = v;
            v->prev = tail;
        }
        tail = v;
        skip_ws(p);
    } while (p->i < p->n && p->s[p->i] == ',');
    if (p->i >= p->n || p->s[p->i] != '}')
        return fail_at(p, p->i);
    item->child->prev = tail;
    p->i++;
    return 0;
}

static int parse_value(jp *p, int depth, cJSON **out)
{
    const unsigned char *s = p->s + p->i;
    size_t left = p->n - p->i;
    cJSON *c;
    if (left >= 4 && memcmp(s, "null", 4) == 0) {
        if (!(*out = node(p, cJSON_NULL)))
            return -1;
        p->i += 4;
        return 0;
    }
    if (left >= 5 && memcmp(s, "false", 5) == 0) {
        if (!(*out = node(p, cJSON_False)))
            return -1;
        p->i += 5;
        return 0;
    }
    if (left >= 4 && memcmp(s, "true", 4) == 0) {
        if (!(*out = node(p, cJSON_True)))
            return -1;
        (*out)->valueint = 1;
        p->i += 4;
        return 0;
    }
    if (!left)
        return fail_at(p, p->i);
    switch (*s) {
    case '"':
        if (!(c = node(p, cJSON_String)) || parse_string(p, &c->valuestring))
            return -1;
        break;
    case '[':
        if (!(c = node(p, cJSON_Array)) || parse_array(p, depth, c))
            return -1;
        break;
    case '{':
        if (!(c = node(p, cJSON_Object)) || parse_object(p, depth, c))
            return -1;
        break;
    default:
        if (*s != '-' && (*s < '0' || *s > '9'))
            return fail_at(p, p->i);
        if (!(c = node(p, cJSON_Number)) || parse_number(p, c))
            return -1;
    }
    *out = c;
    return 0;
}

int ipl_json_parse(const char *s, size_t n, ipl_arena *a, cJSON **root, size_t *end,
                   size_t *err_at)
{
    jp p = {(const unsigned char *)s, n, 0, a, 0, 0};
    *root = NULL;
    if (n >= 5 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        p.i = 3;                    /* a UTF-8 BOM, skipped as cJSON does (from 5 bytes of input) */
    skip_ws(&p);
    if (parse_value(&p, 0, root)) {
        *root = NULL;
        if (p.oom)
            return IPL_ENOMEM;
        /* as cJSON: past the end means the last byte */
        *err_at = p.err < n ? p.err : n ? n - 1 : 0;
        return IPL_EPARSE;
    }
    *end = p.i;
    return IPL_OK;
}
