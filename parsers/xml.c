/* parsers/xml.c — the bounded XML pull scanner, the stream framer and the Windows <Event> walker;
 * see xml.h for what is checked, the limits and the lifetimes.
 *
 * Text is scanned with a byte-class table: plain ASCII runs cost one table lookup per byte; '<',
 * '&', NUL and bytes >= 0x80 (UTF-8 checked sequence by sequence) leave the fast loop. A string
 * that is one contiguous run of source bytes is returned in place; anything else (entities, text
 * split by a comment, CDATA next to text) is assembled in the scratch area, which is allocated
 * once per scanner with the buffer's length (decoded text never outgrows its source, and the
 * sources of different strings do not overlap, so that is enough for every string of the buffer).
 */
#include "parsers/xml.h"

#include "engine/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* byte classes */
enum { C_PLAIN = 0, C_BLANK, C_LT, C_AMP, C_NUL, C_HIGH, C_QUOT, C_APOS };

static const unsigned char cls[256] = {
    [0] = C_NUL, ['\t'] = C_BLANK, ['\n'] = C_BLANK, ['\r'] = C_BLANK, [' '] = C_BLANK,
    ['<'] = C_LT, ['&'] = C_AMP, ['"'] = C_QUOT, ['\''] = C_APOS,
#define H16(b) [b] = C_HIGH, [b + 1] = C_HIGH, [b + 2] = C_HIGH, [b + 3] = C_HIGH,              \
               [b + 4] = C_HIGH, [b + 5] = C_HIGH, [b + 6] = C_HIGH, [b + 7] = C_HIGH,          \
               [b + 8] = C_HIGH, [b + 9] = C_HIGH, [b + 10] = C_HIGH, [b + 11] = C_HIGH,        \
               [b + 12] = C_HIGH, [b + 13] = C_HIGH, [b + 14] = C_HIGH, [b + 15] = C_HIGH
    H16(0x80), H16(0x90), H16(0xA0), H16(0xB0), H16(0xC0), H16(0xD0), H16(0xE0), H16(0xF0),
#undef H16
};

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* name_cls[c]: 2 = may start a name ([A-Za-z_:] and bytes >= 0x80), 1 = may only continue one
 * ([0-9.-]), 0 = neither. */
static const unsigned char name_cls[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0, 0,
    0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2,
    0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static int is_name_start(int c)
{
    return name_cls[c] == 2;
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (s[0] >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            return 0;                                   /* overlong, surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;                                   /* overlong, past U+10FFFF */
        return 4;
    }
    return 0;
}

static size_t utf8_put(unsigned long v, char *o)
{
    if (v < 0x80) {
        o[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        o[0] = (char)(0xC0 | (v >> 6));
        o[1] = (char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        o[0] = (char)(0xE0 | (v >> 12));
        o[1] = (char)(0x80 | ((v >> 6) & 0x3F));
        o[2] = (char)(0x80 | (v & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (v >> 18));
    o[1] = (char)(0x80 | ((v >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((v >> 6) & 0x3F));
    o[3] = (char)(0x80 | (v & 0x3F));
    return 4;
}

/* Byte offset for messages. */
#define AT(x, i) ((x)->base + (i))

/* Checks buf[from..to) for NUL bytes and UTF-8 (skipped content: comments, PIs, CDATA). */
static int check_bytes(const ipl_xml *x, size_t from, size_t to, ipl_diag *d)
{
    const unsigned char *b = (const unsigned char *)x->buf;
    size_t i = from;
    while (i < to) {
        unsigned c = b[i];
        if (c >= 0x80) {
            size_t k = utf8_seq(b + i, to - i);
            if (!k)
                return ipl_diag_set(d, IPL_EPARSE, "invalid UTF-8 at byte %zu", AT(x, i));
            i += k;
        } else if (c == 0) {
            return ipl_diag_set(d, IPL_EPARSE, "NUL byte at byte %zu", AT(x, i));
        } else {
            i++;
        }
    }
    return IPL_OK;
}

/* ---- string assembly --------------------------------------------------------------------- */

/* A string being built: in place while it is one contiguous run of the buffer, else copied into
 * the scratch area from `start` on. */
typedef struct sbuild {
    const char *p;
    size_t      n;
    int         copied;
} sbuild;

static int scratch_need(ipl_xml *x, size_t more, ipl_diag *d)
{
    if (!x->scratch) {
        x->scratch = ipl_arena_alloc(x->arena, x->len ? x->len : 1);
        if (!x->scratch)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory for %zu bytes of decoded XML text",
                                x->len);
        x->sused = 0;
    }
    if (more > x->len - x->sused)        /* cannot happen (see the top comment); kept as a guard */
        return ipl_diag_set(d, IPL_ELIMIT, "decoded XML text outgrew its %zu-byte buffer", x->len);
    return IPL_OK;
}

static int sb_to_scratch(ipl_xml *x, sbuild *s, ipl_diag *d)
{
    int rc = scratch_need(x, s->n, d);
    if (rc != IPL_OK)
        return rc;
    char *dst = x->scratch + x->sused;
    if (s->n)
        memcpy(dst, s->p, s->n);
    x->sused += s->n;
    s->p = dst;
    s->copied = 1;
    return IPL_OK;
}

static int sb_raw(ipl_xml *x, sbuild *s, const char *p, size_t n, ipl_diag *d)
{
    if (n == 0)
        return IPL_OK;
    if (!s->copied) {
        if (s->n == 0) {
            s->p = p;
            s->n = n;
            return IPL_OK;
        }
        if (s->p + s->n == p) {
            s->n += n;
            return IPL_OK;
        }
        int rc = sb_to_scratch(x, s, d);
        if (rc != IPL_OK)
            return rc;
    }
    int rc = scratch_need(x, n, d);
    if (rc != IPL_OK)
        return rc;
    memcpy(x->scratch + x->sused, p, n);
    x->sused += n;
    s->n += n;
    return IPL_OK;
}

static int sb_decoded(ipl_xml *x, sbuild *s, const char *p, size_t n, ipl_diag *d)
{
    if (!s->copied) {
        int rc = sb_to_scratch(x, s, d);
        if (rc != IPL_OK)
            return rc;
    }
    int rc = scratch_need(x, n, d);
    if (rc != IPL_OK)
        return rc;
    memcpy(x->scratch + x->sused, p, n);
    x->sused += n;
    s->n += n;
    return IPL_OK;
}

/* Decodes the reference at buf[*pos] == '&' into out (1-4 bytes); advances *pos past the ';'. */
static int decode_ref(ipl_xml *x, size_t *pos, char out[4], size_t *outn, ipl_diag *d)
{
    const char *b = x->buf;
    size_t at = *pos, i = at + 1, lim = at + 12;
    while (i < x->len && i < lim && b[i] != ';')
        i++;
    if (i >= x->len || b[i] != ';')
        return ipl_diag_set(d, IPL_EPARSE, "unterminated entity reference at byte %zu", AT(x, at));
    const char *nm = b + at + 1;
    size_t n = i - at - 1;
    *pos = i + 1;
    static const struct { const char *name; char c; } ents[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"apos", '\''}, {"quot", '"'},
    };
    for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
        if (strlen(ents[k].name) == n && memcmp(ents[k].name, nm, n) == 0) {
            out[0] = ents[k].c;
            *outn = 1;
            return IPL_OK;
        }
    }
    if (n >= 2 && nm[0] == '#') {
        unsigned long v = 0;
        size_t k = 1, digits = 0;
        int hex = nm[1] == 'x';
        if (hex)
            k = 2;
        for (; k < n; k++, digits++) {
            int c = (unsigned char)nm[k], dv;
            if (c >= '0' && c <= '9')
                dv = c - '0';
            else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                dv = (c | 0x20) - 'a' + 10;
            else
                break;
            v = v * (hex ? 16u : 10u) + (unsigned long)dv;
        }
        if (k == n && digits > 0 && digits <= (hex ? 6u : 7u)) {
            if (v == 0 || (v >= 0xD800 && v <= 0xDFFF) || v == 0xFFFE || v == 0xFFFF ||
                v > 0x10FFFF)
                return ipl_diag_set(d, IPL_EPARSE, "character reference '&%.*s;' at byte %zu is "
                                    "not an XML character", (int)n, nm, AT(x, at));
            *outn = utf8_put(v, out);
            return IPL_OK;
        }
        return ipl_diag_set(d, IPL_EPARSE, "malformed character reference at byte %zu",
                            AT(x, at));
    }
    /* n < 12 here; quote only printable bytes */
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)nm[k] < 0x20 || (unsigned char)nm[k] >= 0x7f)
            return ipl_diag_set(d, IPL_EPARSE, "malformed entity reference at byte %zu",
                                AT(x, at));
    return ipl_diag_set(d, IPL_EPARSE, "unknown entity '&%.*s;' at byte %zu", (int)n, nm,
                        AT(x, at));
}

/* ---- names and tags ---------------------------------------------------------------------- */

/* Reads a name at *pos; error `what` names the context ("element", "attribute"). */
static int read_name(ipl_xml *x, size_t *pos, ipl_xml_str *name, const char *what, ipl_diag *d)
{
    const unsigned char *b = (const unsigned char *)x->buf;
    size_t i = *pos;
    if (i >= x->len)
        return ipl_diag_set(d, IPL_EPARSE, "unexpected end of input where an %s name was expected "
                            "at byte %zu", what, AT(x, i));
    if (!is_name_start(b[i])) {
        if (b[i] >= 0x20 && b[i] < 0x7f)
            return ipl_diag_set(d, IPL_EPARSE, "invalid character '%c' where an %s name was "
                                "expected at byte %zu", b[i], what, AT(x, i));
        return ipl_diag_set(d, IPL_EPARSE, "invalid byte 0x%02x where an %s name was expected "
                            "at byte %zu", b[i], what, AT(x, i));
    }
    while (i < x->len && name_cls[b[i]]) {
        if (b[i] >= 0x80) {
            size_t k = utf8_seq(b + i, x->len - i);
            if (!k)
                return ipl_diag_set(d, IPL_EPARSE, "invalid UTF-8 at byte %zu", AT(x, i));
            i += k;
        } else {
            i++;
        }
        if (i - *pos > IPL_XML_NAME_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "%s name at byte %zu is longer than %d bytes", what,
                                AT(x, *pos), IPL_XML_NAME_MAX);
    }
    name->p = x->buf + *pos;
    name->n = i - *pos;
    *pos = i;
    return IPL_OK;
}

static size_t skip_blanks(const ipl_xml *x, size_t i)
{
    while (i < x->len && is_blank((unsigned char)x->buf[i]))
        i++;
    return i;
}

/* An attribute value at buf[*pos] (the opening quote). */
static int read_value(ipl_xml *x, size_t *pos, ipl_xml_str *val, ipl_diag *d)
{
    const unsigned char *b = (const unsigned char *)x->buf;
    size_t q = *pos, i = q + 1;
    unsigned stop = b[q] == '"' ? C_QUOT : C_APOS;
    sbuild s = {x->buf + i, 0, 0};
    size_t run = i;
    for (;;) {
        unsigned c = C_PLAIN;
        while (i < x->len) {
            c = cls[b[i]];
            if (c == stop || c == C_LT || c == C_AMP || c == C_NUL || c == C_HIGH)
                break;
            i++;
        }
        if (i >= x->len)
            return ipl_diag_set(d, IPL_EPARSE, "unterminated attribute value at byte %zu", AT(x, q));
        if (c == stop)
            break;
        int rc = sb_raw(x, &s, x->buf + run, i - run, d);
        if (rc != IPL_OK)
            return rc;
        if (c == C_LT)
            return ipl_diag_set(d, IPL_EPARSE, "unterminated attribute value at byte %zu: '<' at "
                                "byte %zu", AT(x, q), AT(x, i));
        if (c == C_NUL)
            return ipl_diag_set(d, IPL_EPARSE, "NUL byte at byte %zu", AT(x, i));
        if (c == C_HIGH) {
            size_t k = utf8_seq(b + i, x->len - i);
            if (!k)
                return ipl_diag_set(d, IPL_EPARSE, "invalid UTF-8 at byte %zu", AT(x, i));
            run = i;
            i += k;
            continue;
        }
        /* '&' */
        char out[4];
        size_t on;
        if ((rc = decode_ref(x, &i, out, &on, d)) != IPL_OK ||
            (rc = sb_decoded(x, &s, out, on, d)) != IPL_OK)
            return rc;
        run = i;
    }
    int rc = sb_raw(x, &s, x->buf + run, i - run, d);
    if (rc != IPL_OK)
        return rc;
    val->p = s.p;
    val->n = s.n;
    *pos = i + 1;
    return IPL_OK;
}

/* A start tag at buf[pos] == '<'. */
static int start_tag(ipl_xml *x, ipl_xml_token *t, ipl_diag *d)
{
    size_t at = x->pos, i = at + 1;
    ipl_xml_str name;
    int rc = read_name(x, &i, &name, "element", d);
    if (rc != IPL_OK)
        return rc;
    size_t na = 0;
    int empty = 0;
    for (;;) {
        size_t j = skip_blanks(x, i);
        if (j >= x->len)
            return ipl_diag_set(d, IPL_EPARSE, "unterminated start tag <%.*s> at byte %zu",
                                (int)name.n, name.p, AT(x, at));
        char c = x->buf[j];
        if (c == '>') {
            i = j + 1;
            break;
        }
        if (c == '/') {
            if (j + 1 >= x->len || x->buf[j + 1] != '>')
                return ipl_diag_set(d, IPL_EPARSE, "'/' not followed by '>' in <%.*s> at byte %zu",
                                    (int)name.n, name.p, AT(x, j));
            empty = 1;
            i = j + 2;
            break;
        }
        if (j == i)
            return ipl_diag_set(d, IPL_EPARSE, "missing blank before an attribute in <%.*s> at "
                                "byte %zu", (int)name.n, name.p, AT(x, j));
        if (na == IPL_XML_ATTR_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "more than %d attributes in <%.*s> at byte %zu",
                                IPL_XML_ATTR_MAX, (int)name.n, name.p, AT(x, at));
        ipl_xml_attr *a = &x->attr[na];
        size_t an = j;
        if ((rc = read_name(x, &j, &a->name, "attribute", d)) != IPL_OK)
            return rc;
        j = skip_blanks(x, j);
        if (j >= x->len || x->buf[j] != '=')
            return ipl_diag_set(d, IPL_EPARSE, "attribute '%.*s' at byte %zu has no '=' and value",
                                (int)a->name.n, a->name.p, AT(x, an));
        j = skip_blanks(x, j + 1);
        if (j >= x->len || (x->buf[j] != '"' && x->buf[j] != '\''))
            return ipl_diag_set(d, IPL_EPARSE, "value of attribute '%.*s' at byte %zu is not quoted",
                                (int)a->name.n, a->name.p, AT(x, j));
        if ((rc = read_value(x, &j, &a->value, d)) != IPL_OK)
            return rc;
        for (size_t k = 0; k < na; k++)
            if (x->attr[k].name.n == a->name.n && memcmp(x->attr[k].name.p, a->name.p, a->name.n) == 0)
                return ipl_diag_set(d, IPL_EPARSE, "duplicate attribute '%.*s' at byte %zu",
                                    (int)a->name.n, a->name.p, AT(x, an));
        na++;
        i = j;
    }
    if (x->depth >= IPL_XML_DEPTH_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "elements nested deeper than %d at byte %zu",
                            IPL_XML_DEPTH_MAX, AT(x, at));
    x->stack[x->depth].name = name;
    x->stack[x->depth].offset = AT(x, at);
    x->depth++;
    t->type = IPL_XML_OPEN;
    t->name = name;
    t->attr = x->attr;
    t->nattr = na;
    t->empty = empty;
    t->depth = x->depth;
    t->offset = AT(x, at);
    x->close_pending = empty;
    x->pos = i;
    return IPL_OK;
}

/* An end tag at buf[pos] == '<', buf[pos + 1] == '/'. */
static int end_tag(ipl_xml *x, ipl_xml_token *t, ipl_diag *d)
{
    size_t at = x->pos, i = at + 2;
    ipl_xml_str name;
    int rc = read_name(x, &i, &name, "element", d);
    if (rc != IPL_OK)
        return rc;
    i = skip_blanks(x, i);
    if (i >= x->len || x->buf[i] != '>')
        return ipl_diag_set(d, IPL_EPARSE, "unterminated end tag </%.*s> at byte %zu",
                            (int)name.n, name.p, AT(x, at));
    if (x->depth == 0)
        return ipl_diag_set(d, IPL_EPARSE, "end tag </%.*s> at byte %zu closes no element",
                            (int)name.n, name.p, AT(x, at));
    const ipl_xml_open *o = &x->stack[x->depth - 1];
    if (o->name.n != name.n || memcmp(o->name.p, name.p, name.n) != 0)
        return ipl_diag_set(d, IPL_EPARSE, "end tag </%.*s> at byte %zu does not match <%.*s> "
                            "at byte %zu", (int)name.n, name.p, AT(x, at), (int)o->name.n,
                            o->name.p, o->offset);
    t->type = IPL_XML_CLOSE;
    t->name = name;
    t->depth = x->depth;
    t->offset = AT(x, at);
    x->depth--;
    x->pos = i + 1;
    return IPL_OK;
}

/* Offset of the first `pat` (m >= 1 bytes) in buf[from..len), or NULL. */
static const char *find(const ipl_xml *x, size_t from, const char *pat, size_t m)
{
    const char *p = x->buf + from, *end = x->buf + x->len;
    while ((size_t)(end - p) >= m) {
        const char *c = memchr(p, pat[0], (size_t)(end - p) - m + 1);
        if (!c)
            return NULL;
        if (memcmp(c, pat, m) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

static int starts(const ipl_xml *x, size_t i, const char *lit, size_t n)
{
    return x->len - i >= n && memcmp(x->buf + i, lit, n) == 0;
}

/* Character data from pos up to the next tag (or the end): text, references, CDATA; comments
 * and PIs dropped. s->n == 0 when there was none. */
static int text_run(ipl_xml *x, sbuild *s, int *blank, ipl_diag *d)
{
    const unsigned char *b = (const unsigned char *)x->buf;
    size_t i = x->pos, run = i;
    int bl = 1, rc;
    s->p = x->buf + i;
    s->n = 0;
    s->copied = 0;
    for (;;) {
        while (i < x->len) {
            unsigned k = cls[b[i]];
            if (k == C_BLANK)
                ;
            else if (k == C_PLAIN || k == C_QUOT || k == C_APOS)
                bl = 0;
            else
                break;
            i++;
        }
        if ((rc = sb_raw(x, s, x->buf + run, i - run, d)) != IPL_OK)
            return rc;
        if (i >= x->len)
            break;
        unsigned c = cls[b[i]];
        if (c == C_NUL)
            return ipl_diag_set(d, IPL_EPARSE, "NUL byte at byte %zu", AT(x, i));
        if (c == C_HIGH) {
            size_t k = utf8_seq(b + i, x->len - i);
            if (!k)
                return ipl_diag_set(d, IPL_EPARSE, "invalid UTF-8 at byte %zu", AT(x, i));
            bl = 0;
            run = i;
            i += k;
            continue;
        }
        if (c == C_AMP) {
            char out[4];
            size_t on;
            if ((rc = decode_ref(x, &i, out, &on, d)) != IPL_OK ||
                (rc = sb_decoded(x, s, out, on, d)) != IPL_OK)
                return rc;
            for (size_t k = 0; k < on; k++)
                if (!is_blank((unsigned char)out[k]))
                    bl = 0;
            run = i;
            continue;
        }
        /* '<' */
        if (i + 1 >= x->len)
            return ipl_diag_set(d, IPL_EPARSE, "unterminated tag at byte %zu", AT(x, i));
        if (starts(x, i, "<!--", 4)) {
            const char *e = find(x, i + 4, "-->", 3);
            if (!e)
                return ipl_diag_set(d, IPL_EPARSE, "unterminated comment at byte %zu", AT(x, i));
            size_t end = (size_t)(e - x->buf);
            if ((rc = check_bytes(x, i + 4, end, d)) != IPL_OK)
                return rc;
            i = run = end + 3;
            continue;
        }
        if (starts(x, i, "<![CDATA[", 9)) {
            const char *e = find(x, i + 9, "]]>", 3);
            if (!e)
                return ipl_diag_set(d, IPL_EPARSE, "unterminated CDATA section at byte %zu",
                                    AT(x, i));
            size_t end = (size_t)(e - x->buf);
            if ((rc = check_bytes(x, i + 9, end, d)) != IPL_OK ||
                (rc = sb_raw(x, s, x->buf + i + 9, end - i - 9, d)) != IPL_OK)
                return rc;
            for (size_t k = i + 9; k < end; k++)
                if (!is_blank(b[k]))
                    bl = 0;
            i = run = end + 3;
            continue;
        }
        if (b[i + 1] == '?') {
            const char *e = find(x, i + 2, "?>", 2);
            if (!e)
                return ipl_diag_set(d, IPL_EPARSE, "unterminated processing instruction at byte %zu",
                                    AT(x, i));
            size_t end = (size_t)(e - x->buf);
            if ((rc = check_bytes(x, i + 2, end, d)) != IPL_OK)
                return rc;
            i = run = end + 2;
            continue;
        }
        if (b[i + 1] == '!') {
            if (starts(x, i, "<!DOCTYPE", 9))
                return ipl_diag_set(d, IPL_EPARSE, "DOCTYPE at byte %zu is not supported", AT(x, i));
            return ipl_diag_set(d, IPL_EPARSE, "unexpected markup '<!' at byte %zu", AT(x, i));
        }
        break;                                          /* a start or end tag */
    }
    x->pos = i;
    *blank = bl;
    return IPL_OK;
}

void ipl_xml_init(ipl_xml *x, const char *buf, size_t len, size_t base, ipl_arena *arena)
{
    x->buf = buf;
    x->len = len;
    x->pos = 0;
    x->base = base;
    x->arena = arena;
    x->scratch = NULL;
    x->sused = 0;
    x->depth = 0;
    x->close_pending = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        x->pos = 3;
}

int ipl_xml_next(ipl_xml *x, ipl_xml_token *t, ipl_diag *d)
{
    t->attr = NULL;
    t->nattr = 0;
    t->empty = 0;
    t->blank = 0;
    if (x->close_pending) {
        const ipl_xml_open *o = &x->stack[x->depth - 1];
        x->close_pending = 0;
        t->type = IPL_XML_CLOSE;
        t->name = o->name;
        t->depth = x->depth;
        t->offset = o->offset;
        x->depth--;
        return IPL_OK;
    }
    for (;;) {
        size_t at = x->pos;
        if (at >= x->len) {
            if (x->depth > 0) {
                const ipl_xml_open *o = &x->stack[x->depth - 1];
                return ipl_diag_set(d, IPL_EPARSE, "unexpected end of input: <%.*s> at byte %zu "
                                    "is not closed", (int)o->name.n, o->name.p, o->offset);
            }
            t->type = IPL_XML_EOF;
            t->depth = 0;
            t->offset = AT(x, at);
            return IPL_OK;
        }
        if (x->buf[at] == '<' && at + 1 < x->len) {
            char c1 = x->buf[at + 1];
            if (c1 == '/')
                return end_tag(x, t, d);
            if (c1 != '!' && c1 != '?')
                return start_tag(x, t, d);
        }
        sbuild s;
        int blank = 0, rc = text_run(x, &s, &blank, d);
        if (rc != IPL_OK)
            return rc;
        if (s.n == 0)
            continue;                                   /* only comments or PIs */
        t->type = IPL_XML_TEXT;
        t->text.p = s.p;
        t->text.n = s.n;
        t->blank = blank;
        t->depth = x->depth;
        t->offset = AT(x, at);
        return IPL_OK;
    }
}

int ipl_xml_skip(ipl_xml *x, const ipl_xml_token *open, ipl_diag *d)
{
    ipl_xml_token t;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_CLOSE && t.depth == open->depth)
            return IPL_OK;
        if (t.type == IPL_XML_EOF)      /* not reached: EOF with open elements is an error */
            return ipl_diag_set(d, IPL_EPARSE, "unexpected end of input inside <%.*s>",
                                (int)open->name.n, open->name.p);
    }
}

int ipl_xml_leaf(ipl_xml *x, const ipl_xml_token *open, ipl_xml_str *text, ipl_diag *d)
{
    ipl_xml_token t;
    text->p = "";
    text->n = 0;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_TEXT) {
            *text = t.text;
            continue;
        }
        if (t.type == IPL_XML_CLOSE)
            return IPL_OK;              /* the scanner guarantees it is open's */
        if (t.type == IPL_XML_OPEN)
            return ipl_diag_set(d, IPL_EPARSE, "element <%.*s> at byte %zu holds a child element "
                                "<%.*s> at byte %zu", (int)open->name.n, open->name.p,
                                open->offset, (int)t.name.n, t.name.p, t.offset);
        return ipl_diag_set(d, IPL_EPARSE, "unexpected end of input inside <%.*s>",
                            (int)open->name.n, open->name.p);
    }
}

int ipl_xml_local_is(ipl_xml_str name, const char *local)
{
    size_t n = strlen(local);
    if (name.n < n || memcmp(name.p + name.n - n, local, n) != 0)
        return 0;
    return name.n == n || name.p[name.n - n - 1] == ':';
}

int ipl_xml_str_is(ipl_xml_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

const ipl_xml_str *ipl_xml_attr_get(const ipl_xml_token *t, const char *local)
{
    for (size_t i = 0; i < t->nattr; i++)
        if (ipl_xml_local_is(t->attr[i].name, local))
            return &t->attr[i].value;
    return NULL;
}

/* ---- framer ------------------------------------------------------------------------------ */

enum { F_TEXT = 0, F_LT, F_NAME, F_TAG, F_QUOTE, F_BANG, F_BANG_CDATA, F_COMMENT, F_CDATA, F_PI,
       F_DECL };

void ipl_xml_framer_init(ipl_xml_framer *f)
{
    memset(f, 0, sizeof *f);
    f->gap = 1;
}

int ipl_xml_framer_at_gap(const ipl_xml_framer *f)
{
    return f->state == F_TEXT && f->gap;
}

int ipl_xml_framer_in_markup(const ipl_xml_framer *f)
{
    return f->state != F_TEXT;
}

void ipl_xml_framer_set_depth(ipl_xml_framer *f, int depth)
{
    f->depth = depth;
}

static void frame_tag(ipl_xml_framer *f, ipl_xml_frame *fr, int kind, int depth, uint64_t end)
{
    fr->kind = kind;
    fr->depth = depth;
    fr->start = f->tag_start;
    fr->end = end;
    size_t k = f->name_len < IPL_XML_FRAME_NAME ? f->name_len : IPL_XML_FRAME_NAME;
    memcpy(fr->name, f->name, k);
    fr->name[k] = '\0';
    fr->name_len = f->name_len;
}

void ipl_xml_framer_feed(ipl_xml_framer *f, const char *p, size_t n, size_t *used,
                         ipl_xml_frame *fr)
{
    static const char cdata[] = "[CDATA[";
    size_t i = 0;
    fr->kind = IPL_XML_FRAME_NONE;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        switch (f->state) {
        case F_TEXT:
            while (f->gap && is_blank(c) && ++i < n)    /* blanks between tags */
                c = (unsigned char)p[i];
            if (i == n)
                break;
            if (!f->gap && (f->depth > 0 || f->text_reported)) {
                const char *lt = memchr(p + i, '<', n - i);
                if (!lt) {
                    i = n;
                    break;
                }
                i = (size_t)(lt - p);
                c = '<';
            }
            if (c == '<') {
                f->state = F_LT;
                f->tag_start = f->off + i;
            } else if (!is_blank(c)) {
                f->gap = 0;
                if (f->depth == 0 && !f->text_reported) {
                    f->text_reported = 1;
                    fr->kind = IPL_XML_FRAME_TEXT;
                    fr->depth = 0;
                    fr->start = f->off + i;
                    fr->end = f->off + i + 1;
                    fr->name[0] = '\0';
                    fr->name_len = 0;
                    i++;
                    goto out;
                }
            }
            i++;
            break;
        case F_LT:
            f->name_len = 0;
            f->slash = 0;
            f->end_tag = 0;
            if (c == '/') {
                f->end_tag = 1;
                f->state = F_NAME;
                i++;
            } else if (c == '!') {
                f->state = F_BANG;
                f->match = 0;
                i++;
            } else if (c == '?') {
                f->state = F_PI;
                f->match = 0;
                i++;
            } else {
                f->state = F_NAME;
            }
            break;
        case F_NAME:
            while (i < n) {             /* a tight loop: the state changes once per name */
                c = (unsigned char)p[i];
                if (is_blank(c) || c == '/' || c == '>')
                    break;
                if (f->name_len < IPL_XML_FRAME_NAME)
                    f->name[f->name_len] = (char)c;
                f->name_len++;
                i++;
            }
            if (i < n)
                f->state = F_TAG;
            break;
        case F_TAG:
            while (i < n) {
                c = (unsigned char)p[i];
                if (c == '>' || c == '"' || c == '\'')
                    break;
                if (c == '/')
                    f->slash = 1;
                else if (!is_blank(c))
                    f->slash = 0;
                i++;
            }
            if (i == n)
                break;
            if (c != '>') {
                f->quote = (char)c;
                f->quote_start = f->off + i;
                f->state = F_QUOTE;
                f->slash = 0;
                i++;
                break;
            }
            {
                uint64_t end = f->off + i + 1;
                f->state = F_TEXT;
                f->gap = 1;
                f->text_reported = 0;
                i++;
                if (f->end_tag) {
                    frame_tag(f, fr, IPL_XML_FRAME_END, f->depth, end);
                    if (f->depth > 0)
                        f->depth--;
                } else if (f->slash) {
                    frame_tag(f, fr, IPL_XML_FRAME_EMPTY, f->depth + 1, end);
                } else {
                    f->depth++;
                    frame_tag(f, fr, IPL_XML_FRAME_START, f->depth, end);
                }
                goto out;
            }
        case F_QUOTE: {
            const char *q = memchr(p + i, f->quote, n - i);
            size_t lim = q ? (size_t)(q - p) : n;
            const char *lt = memchr(p + i, '<', lim - i);
            if (lt) {                   /* no '<' in a value: the tag is broken */
                size_t at = (size_t)(lt - p);
                fr->kind = IPL_XML_FRAME_BROKEN;
                fr->depth = f->depth;
                fr->start = f->quote_start;
                fr->end = f->off + at;
                fr->name[0] = '\0';
                fr->name_len = 0;
                f->state = F_LT;
                f->tag_start = f->off + at;
                f->gap = 1;
                f->text_reported = 0;
                i = at + 1;
                goto out;
            }
            if (!q) {
                i = n;
                break;
            }
            i = (size_t)(q - p) + 1;
            f->state = F_TAG;
            break;
        }
        case F_BANG:                    /* after "<!": "--" or "[CDATA[" or a declaration */
            if (f->match == 0 && c == '-') {
                f->match = 1;
                i++;
            } else if (f->match == 1) {
                if (c == '-') {
                    f->state = F_COMMENT;
                    f->match = 0;
                    i++;
                } else {
                    f->state = F_DECL;
                }
            } else if (f->match == 0 && c == '[') {
                f->state = F_BANG_CDATA;
                f->match = 1;
                i++;
            } else {
                f->state = F_DECL;
            }
            break;
        case F_BANG_CDATA:
            if (c == (unsigned char)cdata[f->match]) {
                i++;
                if (++f->match == 7) {
                    f->state = F_CDATA;
                    f->match = 0;
                }
            } else {
                f->state = F_DECL;
            }
            break;
        case F_COMMENT:
        case F_CDATA: {
            char dash = f->state == F_COMMENT ? '-' : ']';
            while (i < n) {
                c = (unsigned char)p[i++];
                if (c == (unsigned char)dash) {
                    if (f->match < 2)
                        f->match++;
                } else if (c == '>' && f->match == 2) {
                    if (f->state == F_CDATA)
                        f->gap = 0;
                    f->state = F_TEXT;
                    break;
                } else {
                    f->match = 0;
                }
            }
            break;
        }
        case F_PI:
            while (i < n) {
                c = (unsigned char)p[i++];
                if (c == '?') {
                    f->match = 1;
                } else if (c == '>' && f->match) {
                    f->state = F_TEXT;
                    break;
                } else {
                    f->match = 0;
                }
            }
            break;
        default:                        /* F_DECL */
            if (c == '>')
                f->state = F_TEXT;
            i++;
            break;
        }
    }
out:
    f->off += i;
    *used = i;
}

/* ---- record stream ----------------------------------------------------------------------- */

void ipl_xml_stream_init(ipl_xml_stream *s, const char *elem, const char *wrapper, size_t max)
{
    memset(s, 0, sizeof *s);
    ipl_xml_framer_init(&s->fr);
    s->elem = elem;
    s->wrapper = wrapper;
    s->max = max;
}

void ipl_xml_stream_release(ipl_xml_stream *s)
{
    if (!s)
        return;
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

/* Appends to the accumulation buffer; 0 when it would pass s->max (or no memory). */
static int stream_append(ipl_xml_stream *s, const char *p, size_t n)
{
    if (n > s->max || s->len > s->max - n)
        return 0;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        if (cap > s->max)
            cap = s->max;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    if (n)
        memcpy(s->buf + s->len, p, n);
    s->len += n;
    return 1;
}

static int frame_name_is(const ipl_xml_frame *fr, const char *local)
{
    if (!local || fr->name_len > IPL_XML_FRAME_NAME)
        return 0;
    return ipl_xml_local_is((ipl_xml_str){fr->name, fr->name_len}, local);
}

/* Printable form of a frame's name for messages. */
static const char *frame_name(const ipl_xml_frame *fr, char *buf, size_t bufsz)
{
    size_t o = 0;
    for (size_t i = 0; i < fr->name_len && i < IPL_XML_FRAME_NAME && o + 5 < bufsz; i++) {
        unsigned char c = (unsigned char)fr->name[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (fr->name_len > IPL_XML_FRAME_NAME && o + 4 < bufsz) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* "started 3 lines above" / "started on this line" */
static const char *started(const ipl_xml_stream *s, char *buf, size_t n)
{
    uint64_t k = s->line_no - s->elem_line;
    if (k == 0)
        snprintf(buf, n, "started on this line");
    else
        snprintf(buf, n, "started %llu line%s above", (unsigned long long)k, k == 1 ? "" : "s");
    return buf;
}

typedef struct stream_line {
    int      first;              /* the line's first error code */
    int      stop;               /* a callback failed hard: no more callbacks on this line */
    ipl_diag *d;
} stream_line;

/* Keeps the first error of a line: the message goes to d only if none is there yet. */
static void line_error(stream_line *L, int rc, const ipl_diag *tmp)
{
    if (L->first != IPL_OK)
        return;
    L->first = rc;
    if (L->d) {
        L->d->code = rc;
        memcpy(L->d->msg, tmp->msg, sizeof tmp->msg);
    }
}

static void stream_record(ipl_xml_stream *s, stream_line *L, const char *p, size_t n, size_t base,
                          int spanned, ipl_xml_record_fn fn, void *arg)
{
    if (L->stop)
        return;
    ipl_diag tmp;
    ipl_diag_clear(&tmp);
    int rc = fn(arg, p, n, base, &tmp);
    if (rc == IPL_OK)
        return;
    if (tmp.msg[0] == '\0')
        ipl_diag_set(&tmp, rc, "record refused");
    if (spanned) {
        char w[64];
        ipl_diag_prefix(&tmp, "<%s> element %s", s->elem, started(s, w, sizeof w));
    }
    line_error(L, rc, &tmp);
    if (rc != IPL_EPARSE)
        L->stop = 1;
}

/* 1 if line[0..n) is blanks, "<elem" + a blank, '>' or '/', ..., "</elem>", blanks, with no other
 * "<elem" or "</elem" and no "<!" or "<?" in between: exactly one record, which the framer would
 * find too (a quote hiding a '<' makes the record malformed either way). */
static int whole_record(const ipl_xml_stream *s, const char *line, size_t n, size_t *from,
                        size_t *len)
{
    size_t en = strlen(s->elem), b = 0, e = n;
    while (b < n && is_blank((unsigned char)line[b]))
        b++;
    while (e > b && is_blank((unsigned char)line[e - 1]))
        e--;
    if (e - b < 2 * en + 5 || line[b] != '<' || memcmp(line + b + 1, s->elem, en) != 0)
        return 0;
    unsigned char c = (unsigned char)line[b + 1 + en];
    if (!is_blank(c) && c != '>' && c != '/')
        return 0;
    size_t close = e - en - 3;                          /* "</elem>" */
    if (line[close] != '<' || line[close + 1] != '/' || line[e - 1] != '>' ||
        memcmp(line + close + 2, s->elem, en) != 0)
        return 0;
    for (const char *p = line + b + 1; (p = memchr(p, '<', (size_t)(line + close - p))) != NULL;
         p++) {
        if (p[1] == '!' || p[1] == '?')
            return 0;
        const char *nm = p[1] == '/' ? p + 2 : p + 1;
        if ((size_t)(line + e - nm) > en && memcmp(nm, s->elem, en) == 0 &&
            !name_cls[(unsigned char)nm[en]])
            return 0;
    }
    *from = b;
    *len = e - b;
    return 1;
}

int ipl_xml_interior_fast = 1;

/* 1 if name [p, q) has local name `local` (en bytes): "Event" or "ev:Event" */
static int local_is(const unsigned char *p, const unsigned char *q, const char *local, size_t en)
{
    size_t n = (size_t)(q - p);
    return n >= en && memcmp(q - en, local, en) == 0 && (n == en || q[-(ptrdiff_t)en - 1] == ':');
}

/* An interior line of a record being accumulated (wevtutil's pretty-printed documents: ~28 of
 * every ~30 lines): only tags other than the record's own element, comments, PIs and CDATA
 * excluded, every tag closed on the line, quoted values without '<'. Then the framer need not
 * walk it: *delta is its depth change and *gap whether it ends between tags (as the framer
 * would leave them). Anything else returns 0 and the line takes the framing path. One pass,
 * byte by byte: the lines are short, so library calls per tag would cost more than the scan. */
static int interior_line(const ipl_xml_stream *s, const char *line, size_t n, int *delta,
                         int *gap)
{
    const unsigned char *p = (const unsigned char *)line, *end = p + n;
    size_t en = strlen(s->elem);
    int dd = 0, g = ipl_xml_framer_at_gap(&s->fr), lim = s->elem_depth - 1 - s->fr.depth;
    while (p < end) {
        while (p < end && *p != '<') {                  /* text */
            if (!is_blank(*p))
                g = 0;
            p++;
        }
        if (p == end)
            break;
        if (++p == end || *p == '!' || *p == '?')
            return 0;
        int end_tag = *p == '/';
        p += end_tag;
        const unsigned char *nm = p;
        while (p < end && !is_blank(*p) && *p != '/' && *p != '>')
            p++;                                        /* the name: anything up to those */
        if (local_is(nm, p, s->elem, en))
            return 0;
        if (end_tag) {                                  /* blanks (or a '/') then '>' */
            while (p < end && *p != '>') {
                if (*p == '<' || *p == '"' || *p == '\'')
                    return 0;
                p++;
            }
            if (p == end)
                return 0;
            dd--;
        } else {
            int slash = 0;
            for (;;) {
                if (p == end)
                    return 0;                           /* the tag goes on: framing path */
                unsigned char c = *p;
                if (c == '>')
                    break;
                if (c == '<')
                    return 0;
                if (c == '"' || c == '\'') {
                    const unsigned char *q = p + 1;
                    while (q < end && *q != c) {
                        if (*q == '<')
                            return 0;
                        q++;
                    }
                    if (q == end)
                        return 0;
                    p = q + 1;
                    slash = 0;
                    continue;
                }
                if (c == '/')
                    slash = 1;
                else if (!is_blank(c))
                    slash = 0;
                p++;
            }
            dd += !slash;
        }
        p++;
        g = 1;
        if (dd <= lim || dd > 64)
            return 0;                                   /* would close the record: framing path */
    }
    *delta = dd;
    *gap = g;
    return 1;
}

int ipl_xml_stream_line(ipl_xml_stream *s, const char *line, size_t n, ipl_xml_record_fn fn,
                        void *arg, ipl_diag *d)
{
    stream_line L = {IPL_OK, 0, d};
    ipl_diag tmp;
    char nb[4 * IPL_XML_FRAME_NAME + 8];
    s->line_no++;
    while (n && line[n - 1] == '\r')
        n--;
    if (ipl_xml_framer_at_gap(&s->fr)) {
        if (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            n -= 3;
        }
        size_t b = 0;
        while (b < n && (line[b] == ' ' || line[b] == '\t'))
            b++;
        if (n - b >= 3 && (line[b] == '-' || line[b] == '+') && line[b + 1] == ' ' &&
            line[b + 2] == '<') {
            line += b + 2;
            n -= b + 2;
        }
    }
    s->fr.text_reported = 0;                            /* each line's stray text is reported */
    uint64_t base = s->fr.off;
    size_t one_from, one_len;
    if (!s->in_elem && !ipl_xml_framer_in_markup(&s->fr) &&
        whole_record(s, line, n, &one_from, &one_len)) {
        /* the common case, one record on the line: no framing pass; the framer ends the line
         * where it started, so only its offset moves */
        stream_record(s, &L, line + one_from, one_len, one_from, 0, fn, arg);
        s->len = 0;
        s->fr.off += n + 1;
        return L.first;
    }
    int delta, gap;
    if (ipl_xml_interior_fast && s->in_elem && s->accumulating && !s->skipping && !ipl_xml_framer_in_markup(&s->fr) &&
        s->len + n + 1 <= s->max && interior_line(s, line, n, &delta, &gap)) {
        size_t keep = s->len;
        if (stream_append(s, line, n) && stream_append(s, "\n", 1)) {
            s->fr.depth += delta;
            s->fr.gap = gap;
            s->fr.off += n + 1;
            return L.first;
        }
        s->len = keep;                                  /* out of memory: the framing path */
    }
    size_t pos = 0, from = 0;       /* from: where the current record starts in this line */
    while (pos < n) {
        size_t used;
        ipl_xml_frame fr;
        ipl_xml_framer_feed(&s->fr, line + pos, n - pos, &used, &fr);
        pos += used;
        if (fr.kind == IPL_XML_FRAME_NONE)
            continue;
        if (fr.kind == IPL_XML_FRAME_BROKEN) {
            /* report against the record (or the line), then start over at the '<' */
            uint64_t rb = s->in_elem && s->accumulating ? s->buf_off : base;
            if (!(s->in_elem && s->skipping)) {
                char w[64];
                if (fr.start >= rb)
                    ipl_diag_set(&tmp, IPL_EPARSE, "unterminated attribute value at byte %llu: "
                                 "'<' at byte %llu", (unsigned long long)(fr.start - rb),
                                 (unsigned long long)(fr.end - rb));
                else
                    ipl_diag_set(&tmp, IPL_EPARSE, "unterminated attribute value: '<' at byte "
                                 "%llu", (unsigned long long)(fr.end - base));
                if (s->in_elem && s->accumulating)
                    ipl_diag_prefix(&tmp, "<%s> element %s", s->elem, started(s, w, sizeof w));
                line_error(&L, IPL_EPARSE, &tmp);
            }
            if (s->in_elem)
                ipl_xml_framer_set_depth(&s->fr, s->elem_depth - 1);
            s->in_elem = s->skipping = s->accumulating = 0;
            s->len = 0;
            continue;
        }
        if (s->in_elem && fr.kind == IPL_XML_FRAME_START && frame_name_is(&fr, s->elem)) {
            /* a new record inside an open one: the open one was cut short */
            if (!s->skipping) {
                char w[64];
                ipl_diag_set(&tmp, IPL_EPARSE, "<%s> element %s is not closed before the next "
                             "<%s> at byte %llu", s->elem, started(s, w, sizeof w), s->elem,
                             (unsigned long long)(fr.start >= base ? fr.start - base : 0));
                line_error(&L, IPL_EPARSE, &tmp);
            }
            ipl_xml_framer_set_depth(&s->fr, s->elem_depth);
            fr.depth = s->elem_depth;
            s->in_elem = s->skipping = s->accumulating = 0;   /* buf may hold the new start tag */
        }
        if (s->in_elem && fr.kind != IPL_XML_FRAME_END)
            continue;
        if (fr.kind == IPL_XML_FRAME_TEXT) {
            line_error(&L, ipl_diag_set(&tmp, IPL_EPARSE, "text outside an <%s> element at byte "
                                        "%llu", s->elem, (unsigned long long)(fr.start - base)),
                       &tmp);
            continue;
        }
        if (fr.kind == IPL_XML_FRAME_END) {
            if (!s->in_elem) {
                if (s->wrapper && fr.depth <= 1 && frame_name_is(&fr, s->wrapper)) {
                    s->wrapper_open = 0;
                    continue;
                }
                line_error(&L, ipl_diag_set(&tmp, IPL_EPARSE, "end tag </%s> at byte %llu outside "
                                            "an <%s> element", frame_name(&fr, nb, sizeof nb),
                                            (unsigned long long)(fr.start - base), s->elem), &tmp);
                continue;
            }
            if (fr.depth != s->elem_depth)
                continue;                               /* an element inside the record */
            s->in_elem = 0;
            size_t end = (size_t)(fr.end - base);
            if (s->skipping) {
                s->skipping = 0;
            } else if (s->accumulating) {
                if (!stream_append(s, line, end)) {
                    char w[64];
                    ipl_diag_set(&tmp, IPL_EPARSE, "<%s> element %s is longer than %zu bytes",
                                 s->elem, started(s, w, sizeof w), s->max);
                    line_error(&L, IPL_EPARSE, &tmp);
                } else {
                    stream_record(s, &L, s->buf, s->len, 0, 1, fn, arg);
                }
            } else {
                stream_record(s, &L, line + from, end - from, from, 0, fn, arg);
            }
            s->len = 0;
            s->accumulating = 0;
            continue;
        }
        /* START or EMPTY outside a record */
        int is_elem = frame_name_is(&fr, s->elem) &&
                      (fr.depth == 1 || (fr.depth == 2 && s->wrapper_open));
        if (fr.kind == IPL_XML_FRAME_START && !is_elem && s->wrapper && fr.depth == 1 &&
            frame_name_is(&fr, s->wrapper)) {
            s->wrapper_open = 1;
            s->len = 0;
            continue;
        }
        if (fr.kind == IPL_XML_FRAME_EMPTY || !is_elem) {
            if (fr.kind == IPL_XML_FRAME_EMPTY && is_elem)
                ipl_diag_set(&tmp, IPL_EPARSE, "empty <%s/> element at byte %llu", s->elem,
                             (unsigned long long)(fr.start >= base ? fr.start - base : 0));
            else
                ipl_diag_set(&tmp, IPL_EPARSE, "unexpected element <%s> at byte %llu, expected "
                             "<%s>", frame_name(&fr, nb, sizeof nb),
                             (unsigned long long)(fr.start >= base ? fr.start - base : 0), s->elem);
            line_error(&L, IPL_EPARSE, &tmp);
            s->len = 0;
            if (fr.kind == IPL_XML_FRAME_EMPTY)
                continue;
            s->skipping = 1;                            /* skip the stray element to its end */
        }
        s->in_elem = 1;
        s->elem_depth = fr.depth;
        s->elem_line = s->line_no;
        s->accumulating = 0;
        if (s->skipping) {
            s->len = 0;
        } else if (fr.start >= base) {
            from = (size_t)(fr.start - base);
            s->len = 0;
        } else if (s->len && fr.start >= s->buf_off && fr.start - s->buf_off < s->len) {
            size_t cut = (size_t)(fr.start - s->buf_off);  /* the start tag began on a line above */
            memmove(s->buf, s->buf + cut, s->len - cut);
            s->len -= cut;
            s->buf_off = fr.start;
            s->accumulating = 1;
        } else {
            line_error(&L, ipl_diag_set(&tmp, IPL_EPARSE, "start tag of an <%s> element is longer "
                                        "than %zu bytes", s->elem, s->max), &tmp);
            s->skipping = 1;
            s->len = 0;
        }
    }

    /* end of line: keep what the next line continues */
    if (s->in_elem && !s->skipping) {
        int ok;
        if (!s->accumulating) {
            s->len = 0;
            s->buf_off = base + from;
            ok = stream_append(s, line + from, n - from);
            s->accumulating = 1;
        } else {
            ok = stream_append(s, line, n);
        }
        if (!ok || !stream_append(s, "\n", 1)) {
            char w[64];
            line_error(&L, ipl_diag_set(&tmp, IPL_EPARSE, "<%s> element %s is longer than %zu "
                                        "bytes", s->elem, started(s, w, sizeof w), s->max), &tmp);
            s->skipping = 1;
            s->accumulating = 0;
            s->len = 0;
        }
    } else if (!s->in_elem && ipl_xml_framer_in_markup(&s->fr)) {
        int ok;
        if (s->len && s->buf_off + s->len == base) {
            ok = stream_append(s, line, n);
        } else {
            uint64_t ts = s->fr.tag_start;
            size_t f = ts >= base ? (size_t)(ts - base) : 0;
            s->len = 0;
            s->buf_off = base + f;
            ok = stream_append(s, line + f, n - f);
        }
        if (!ok || !stream_append(s, "\n", 1))
            s->len = 0;                                 /* reported when the tag ends */
    } else if (!s->in_elem) {
        s->len = 0;
    }
    size_t used;
    ipl_xml_frame fr;
    ipl_xml_framer_feed(&s->fr, "\n", 1, &used, &fr);
    return L.first;
}

int ipl_xml_stream_pending(const ipl_xml_stream *s)
{
    return s->in_elem || ipl_xml_framer_in_markup(&s->fr);
}

int ipl_xml_stream_finish(ipl_xml_stream *s, ipl_diag *d)
{
    int rc = IPL_OK;
    if (s->in_elem && !s->skipping) {
        uint64_t k = s->line_no - s->elem_line;
        rc = ipl_diag_set(d, IPL_EPARSE, "end of input inside the <%s> element that started %llu "
                          "line%s before the end (%zu bytes read)", s->elem,
                          (unsigned long long)k, k == 1 ? "" : "s", s->len);
    }
    else if (!s->in_elem && ipl_xml_framer_in_markup(&s->fr))
        rc = ipl_diag_set(d, IPL_EPARSE, "end of input inside a tag, comment or declaration");
    s->len = 0;
    s->in_elem = s->accumulating = s->skipping = s->wrapper_open = 0;
    ipl_xml_framer_init(&s->fr);
    return rc;
}

size_t ipl_utf8_check(const char *s, size_t n)
{
    const unsigned char *b = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (b[i] >= 0x80) {
            size_t k = utf8_seq(b + i, n - i);
            if (!k)
                return i;
            i += k;
        } else if (b[i] == 0) {
            return i;
        } else {
            i++;
        }
    }
    return n;
}

/* ---- Windows events ---------------------------------------------------------------------- */

static ipl_xml_str trim(ipl_xml_str s)
{
    while (s.n && is_blank((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

static int unexpected_text(const ipl_xml_token *t, const char *where, ipl_diag *d)
{
    return ipl_diag_set(d, IPL_EPARSE, "unexpected text inside <%s> at byte %zu", where, t->offset);
}

/* A System child read as trimmed text; a second one is an error when `once`. */
static int sys_leaf(ipl_xml *x, const ipl_xml_token *t, ipl_xml_str *out, int once, ipl_diag *d)
{
    if (once && out->p)
        return ipl_diag_set(d, IPL_EPARSE, "duplicate <%.*s> at byte %zu", (int)t->name.n,
                            t->name.p, t->offset);
    ipl_xml_str v;
    int rc = ipl_xml_leaf(x, t, &v, d);
    if (rc == IPL_OK)
        *out = trim(v);
    return rc;
}

enum { S_OTHER, S_PROVIDER, S_EVENTID, S_TIMECREATED, S_COMPUTER, S_RECORDID, S_CHANNEL,
       S_VERSION, S_LEVEL, S_TASK, S_OPCODE, S_KEYWORDS, S_SECURITY };

/* Which System child a local name is (by length first: one memcmp per element). */
static int sys_child(ipl_xml_str nm)
{
#define IS(lit, v) if (memcmp(nm.p, lit, sizeof lit - 1) == 0) return v
    switch (nm.n) {
    case 4:  IS("Task", S_TASK); break;
    case 5:  IS("Level", S_LEVEL); break;
    case 6:  IS("Opcode", S_OPCODE); break;
    case 7:  IS("EventID", S_EVENTID); IS("Version", S_VERSION); IS("Channel", S_CHANNEL); break;
    case 8:  IS("Provider", S_PROVIDER); IS("Computer", S_COMPUTER); IS("Keywords", S_KEYWORDS);
             IS("Security", S_SECURITY); break;
    case 11: IS("TimeCreated", S_TIMECREATED); break;
    case 13: IS("EventRecordID", S_RECORDID); break;
    default: break;
    }
#undef IS
    return S_OTHER;
}

static int walk_system(ipl_xml *x, ipl_winevent *ev, ipl_diag *d)
{
    ipl_xml_token t;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_CLOSE)
            return IPL_OK;
        if (t.type == IPL_XML_TEXT) {
            if (!t.blank)
                return unexpected_text(&t, "System", d);
            continue;
        }
        /* OPEN, a child of System */
        ipl_xml_str nm = t.name;
        const char *c = memchr(nm.p, ':', nm.n);
        if (c) {
            nm.n -= (size_t)(c + 1 - nm.p);
            nm.p = c + 1;
        }
        const ipl_xml_str *a;
        switch (sys_child(nm)) {
        case S_PROVIDER:
            if ((a = ipl_xml_attr_get(&t, "Name")) != NULL)
                ev->provider = *a;
            if ((a = ipl_xml_attr_get(&t, "Guid")) != NULL)
                ev->provider_guid = *a;
            rc = ipl_xml_skip(x, &t, d);
            break;
        case S_EVENTID:
            rc = sys_leaf(x, &t, &ev->event_id, 1, d);
            break;
        case S_TIMECREATED:
            if (ev->system_time.p)
                return ipl_diag_set(d, IPL_EPARSE, "duplicate <TimeCreated> at byte %zu", t.offset);
            if ((a = ipl_xml_attr_get(&t, "SystemTime")) != NULL)
                ev->system_time = trim(*a);
            else
                ev->system_time.p = "";             /* present, empty: refused by the caller */
            rc = ipl_xml_skip(x, &t, d);
            break;
        case S_COMPUTER:
            rc = sys_leaf(x, &t, &ev->computer, 1, d);
            break;
        case S_RECORDID:
            rc = sys_leaf(x, &t, &ev->record_id, 1, d);
            break;
        case S_CHANNEL:
            rc = sys_leaf(x, &t, &ev->channel, 0, d);
            break;
        case S_VERSION:
            rc = sys_leaf(x, &t, &ev->version, 0, d);
            break;
        case S_LEVEL:
            rc = sys_leaf(x, &t, &ev->level, 0, d);
            break;
        case S_TASK:
            rc = sys_leaf(x, &t, &ev->task, 0, d);
            break;
        case S_OPCODE:
            rc = sys_leaf(x, &t, &ev->opcode, 0, d);
            break;
        case S_KEYWORDS:
            rc = sys_leaf(x, &t, &ev->keywords, 0, d);
            break;
        case S_SECURITY:
            if ((a = ipl_xml_attr_get(&t, "UserID")) != NULL)
                ev->user_sid = *a;
            rc = ipl_xml_skip(x, &t, d);
            break;
        default:
            rc = ipl_xml_skip(x, &t, d);
            break;
        }
        if (rc != IPL_OK)
            return rc;
    }
}

static int add_data(ipl_winevent *ev, ipl_xml_str name, ipl_xml_str value, size_t at, ipl_diag *d)
{
    if (ev->ndata == IPL_WINEVENT_DATA_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "more than %d data values in the event at byte %zu",
                            IPL_WINEVENT_DATA_MAX, at);
    ev->data[ev->ndata].name = name;
    ev->data[ev->ndata].value = value;
    ev->ndata++;
    return IPL_OK;
}

static int walk_eventdata(ipl_xml *x, ipl_winevent *ev, ipl_diag *d)
{
    ipl_xml_token t;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_CLOSE)
            return IPL_OK;
        if (t.type == IPL_XML_TEXT) {
            if (!t.blank)
                return unexpected_text(&t, "EventData", d);
            continue;
        }
        ipl_xml_str v;
        if (ipl_xml_local_is(t.name, "Data")) {
            const ipl_xml_str *nm = ipl_xml_attr_get(&t, "Name");
            ipl_xml_str name = nm ? *nm : (ipl_xml_str){"", 0};
            size_t at = t.offset;
            if ((rc = ipl_xml_leaf(x, &t, &v, d)) != IPL_OK ||
                (rc = add_data(ev, name, v, at, d)) != IPL_OK)
                return rc;
        } else if (ipl_xml_local_is(t.name, "Binary")) {
            if ((rc = ipl_xml_leaf(x, &t, &v, d)) != IPL_OK)
                return rc;
            ev->binary = trim(v);
        } else if ((rc = ipl_xml_skip(x, &t, d)) != IPL_OK) {
            return rc;
        }
    }
}

/* UserData: every text-only element below it becomes a (local name, text) pair. */
static int walk_userdata(ipl_xml *x, ipl_winevent *ev, int depth, ipl_diag *d)
{
    ipl_xml_token t;
    ipl_xml_str cand = {NULL, 0}, text = {"", 0};
    int cand_depth = -1, text_blank = 1;
    size_t cand_at = 0, text_at = 0;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_OPEN) {
            if (cand_depth >= 0 && !text_blank)         /* text, then a child: mixed content */
                return ipl_diag_set(d, IPL_EPARSE, "unexpected text inside <UserData> at byte %zu",
                                    text_at);
            cand = t.name;
            cand_depth = t.depth;
            cand_at = t.offset;
            text = (ipl_xml_str){"", 0};
            text_blank = 1;
        } else if (t.type == IPL_XML_TEXT) {
            if (cand_depth == t.depth) {
                text = t.text;
                text_blank = t.blank;
                text_at = t.offset;
            } else if (!t.blank) {
                return unexpected_text(&t, "UserData", d);
            }
        } else if (t.type == IPL_XML_CLOSE) {
            if (t.depth == depth)
                return IPL_OK;
            if (t.depth == cand_depth) {
                const char *c = memchr(cand.p, ':', cand.n);
                if (c) {
                    cand.n -= (size_t)(c + 1 - cand.p);
                    cand.p = c + 1;
                }
                if ((rc = add_data(ev, cand, text, cand_at, d)) != IPL_OK)
                    return rc;
            }
            cand_depth = -1;
        }
    }
}

static int walk_rendering(ipl_xml *x, ipl_winevent *ev, ipl_diag *d)
{
    ipl_xml_token t;
    for (;;) {
        int rc = ipl_xml_next(x, &t, d);
        if (rc != IPL_OK)
            return rc;
        if (t.type == IPL_XML_CLOSE)
            return IPL_OK;
        if (t.type != IPL_XML_OPEN)
            continue;
        if (ipl_xml_local_is(t.name, "Message")) {
            ipl_xml_str v;
            if ((rc = ipl_xml_leaf(x, &t, &v, d)) != IPL_OK)
                return rc;
            ev->message = v;
        } else if ((rc = ipl_xml_skip(x, &t, d)) != IPL_OK) {
            return rc;
        }
    }
}

int ipl_winevent_parse(const char *buf, size_t len, size_t base, ipl_arena *arena,
                       ipl_winevent *ev, ipl_diag *d)
{
    ipl_xml x;
    ipl_xml_token t;
    int rc;
    memset(ev, 0, offsetof(ipl_winevent, data));
    ipl_xml_init(&x, buf, len, base, arena);
    do {
        if ((rc = ipl_xml_next(&x, &t, d)) != IPL_OK)
            return rc;
    } while (t.type == IPL_XML_TEXT && t.blank);
    if (t.type == IPL_XML_EOF)
        return ipl_diag_set(d, IPL_EPARSE, "no <Event> element");
    if (t.type != IPL_XML_OPEN)
        return ipl_diag_set(d, IPL_EPARSE, "text before the <Event> element at byte %zu", t.offset);
    if (!ipl_xml_local_is(t.name, "Event"))
        return ipl_diag_set(d, IPL_EPARSE, "root element <%.*s> at byte %zu is not <Event>",
                            (int)(t.name.n > 64 ? 64 : t.name.n), t.name.p, t.offset);
    if (t.empty)
        return ipl_diag_set(d, IPL_EPARSE, "empty <Event/> element at byte %zu", t.offset);
    for (;;) {
        if ((rc = ipl_xml_next(&x, &t, d)) != IPL_OK)
            return rc;
        if (t.type == IPL_XML_CLOSE)
            break;                                      /* </Event> */
        if (t.type == IPL_XML_TEXT) {
            if (!t.blank)
                return unexpected_text(&t, "Event", d);
            continue;
        }
        if (ipl_xml_local_is(t.name, "System"))
            rc = walk_system(&x, ev, d);
        else if (ipl_xml_local_is(t.name, "EventData"))
            rc = walk_eventdata(&x, ev, d);
        else if (ipl_xml_local_is(t.name, "UserData"))
            rc = walk_userdata(&x, ev, t.depth, d);
        else if (ipl_xml_local_is(t.name, "RenderingInfo"))
            rc = walk_rendering(&x, ev, d);
        else
            rc = ipl_xml_skip(&x, &t, d);
        if (rc != IPL_OK)
            return rc;
    }
    for (;;) {
        if ((rc = ipl_xml_next(&x, &t, d)) != IPL_OK)
            return rc;
        if (t.type == IPL_XML_EOF)
            return IPL_OK;
        if (t.type != IPL_XML_TEXT || !t.blank)
            return ipl_diag_set(d, IPL_EPARSE, "unexpected content after </Event> at byte %zu",
                                t.offset);
    }
}

const ipl_xml_str *ipl_winevent_get(const ipl_winevent *ev, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ev->ndata; i++) {
        const ipl_winevent_data *p = &ev->data[i];
        if (p->name.n == n && p->name.p[0] == name[0] && memcmp(p->name.p, name, n) == 0)
            return &p->value;
    }
    return NULL;
}

static int digits(const char *s, size_t n, int *v)
{
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return 1;
}

int ipl_winevent_time(const char *s, size_t n, ipl_civil *c, int *has_offset, int *offset_s)
{
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return 0;
    if (!digits(s, 4, &c->year) || !digits(s + 5, 2, &c->mon) || !digits(s + 8, 2, &c->day) ||
        !digits(s + 11, 2, &c->hour) || !digits(s + 14, 2, &c->min) || !digits(s + 17, 2, &c->sec))
        return 0;
    size_t i = 19;
    c->usec = 0;
    if (i < n && s[i] == '.') {
        size_t nd = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 6)
                c->usec = c->usec * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0 || nd > 9)
            return 0;
        for (; nd < 6; nd++)
            c->usec *= 10;
    }
    *has_offset = 0;
    *offset_s = 0;
    if (i < n && s[i] == 'Z') {
        *has_offset = 1;
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, hh, mm;
        i++;
        if (n - i < 4 || !digits(s + i, 2, &hh))
            return 0;
        i += 2;
        if (s[i] == ':')
            i++;
        if (n - i < 2 || !digits(s + i, 2, &mm) || hh > 23 || mm > 59)
            return 0;
        i += 2;
        *has_offset = 1;
        *offset_s = sign * (hh * 3600 + mm * 60);
    }
    if (i != n || c->hour > 23 || c->min > 59)
        return 0;
    return ipl_civil_valid(c);
}
