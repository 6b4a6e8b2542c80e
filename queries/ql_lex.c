/* queries/ql_lex.c — the query lexer and the error format with a caret under the token.
 *
 * Tokens: words, strings, /regex/flags (only right after ~ or !~), $parameters, ( ) , | and the
 * comparison operators. A word is a run of letters, digits and _ . : / + - @ so that addresses,
 * prefixes (10.72.144.0/22, 2001:db8::/32), ranges (10.0.0.1-10.0.0.9), MACs, ISO 8601 times
 * (2024-05-01T08:00:00+02:00), relative times (-7d) and dotted names (geo.country,
 * lease.assign) are one token each; what a word means is decided by the parser from where it
 * stands. Strings are "..." or '...' with no backslash escapes (so "CONTOSO\alice" is what it
 * says); the quote itself is written twice. '#' starts a comment to the end of the line.
 */
#include "queries/ql_int.h"
#include "engine/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const tok_names[QK__COUNT] = {
#define QL_TOK_NAME(name, text) text,
    QL_TOKENS(QL_TOK_NAME)
#undef QL_TOK_NAME
};

const char *ql_tok_name(int kind)
{
    return kind >= 0 && kind < QK__COUNT ? tok_names[kind] : "?";
}

void ql_lex_init(ql_lexer *lx, ipl_ql *q, ipl_diag *d)
{
    memset(lx, 0, sizeof *lx);
    lx->q = q;
    lx->s = q->text;
    lx->len = q->len;
    lx->line = 1;
    lx->prev = QK__COUNT;
    lx->d = d;
}

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '-' || c == '@';
}

static int is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The line `line` of the text: start offset and length (without the line end). */
static void find_line(const ipl_ql *q, uint32_t line, size_t *start, size_t *n)
{
    size_t p = 0;
    for (uint32_t l = 1; l < line && p < q->len; p++)
        if (q->text[p] == '\n')
            l++;
    size_t e = p;
    while (e < q->len && q->text[e] != '\n' && q->text[e] != '\r')
        e++;
    *start = p;
    *n = e - p;
}

int ql_error_at(const ipl_ql *q, ipl_diag *d, int code, uint32_t line, uint32_t col,
                const char *fmt, ...)
{
    char head[320], ctx[160], caret[140];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    size_t start, n;
    find_line(q, line, &start, &n);
    /* a window of at most ~100 characters around the column */
    size_t c = col > 0 ? col - 1 : 0;
    if (c > n)
        c = n;
    size_t ws = 0, we = n;
    const size_t span = 80;
    if (n > span) {
        ws = c > span / 2 ? c - span / 2 : 0;
        while (ws > 0 && ws < n && ((unsigned char)q->text[start + ws] & 0xC0) == 0x80)
            ws--;            /* do not start inside a UTF-8 sequence */
        we = ws + span < n ? ws + span : n;
        while (we < n && ((unsigned char)q->text[start + we] & 0xC0) == 0x80)
            we++;
    }
    size_t o = 0, k = 0, chars = 0;
    if (ws > 0) {
        memcpy(ctx, "...", 3);
        o = 3;
        chars = 3;
    }
    size_t caret_at = chars;
    for (size_t i = ws; i < we && o + 4 < sizeof ctx; i++) {
        unsigned char ch = (unsigned char)q->text[start + i];
        if (i == c)
            caret_at = chars;
        ctx[o++] = ch == '\t' ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
        if ((ch & 0xC0) != 0x80)
            chars++;
    }
    if (c >= we)
        caret_at = chars;
    if (we < n && o + 3 < sizeof ctx) {
        memcpy(ctx + o, "...", 3);
        o += 3;
    }
    ctx[o] = '\0';
    for (k = 0; k < caret_at && k + 2 < sizeof caret; k++)
        caret[k] = ' ';
    caret[k++] = '^';
    caret[k] = '\0';
    return ipl_diag_set(d, code, "%s:%u:%u: %s\n  %s\n  %s", q->name, line, col, head, ctx, caret);
}

static int lex_err(ql_lexer *lx, size_t at, const char *msg)
{
    uint32_t col = (uint32_t)(at - lx->linestart) + 1;
    return ql_error_at(lx->q, lx->d, IPL_EPARSE, lx->line, col, "%s", msg);
}

/* Skips blanks, line ends and comments, counting lines. */
static void skip(ql_lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == '\n') {
            lx->pos++;
            lx->line++;
            lx->linestart = (uint32_t)lx->pos;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '#') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
        } else {
            break;
        }
    }
}

static char *dup_range(ql_lexer *lx, size_t from, size_t n)
{
    return ipl_arena_strndup(&lx->q->arena, lx->s + from, n);
}

static int lex_string(ql_lexer *lx, ql_tok *t)
{
    char quote = lx->s[lx->pos];
    size_t start = lx->pos++;
    char *out = ipl_arena_alloc(&lx->q->arena, lx->len - start + 1);
    size_t o = 0;
    if (!out)
        return ipl_diag_set(lx->d, IPL_ENOMEM, "out of memory");
    for (;;) {
        if (lx->pos >= lx->len || lx->s[lx->pos] == '\n')
            return lex_err(lx, start,
                           quote == '"' ? "unterminated string (a string ends with the quote it "
                                          "starts with; write \" twice for one inside it)"
                                        : "unterminated string (a string ends with the quote it "
                                          "starts with; write ' twice for one inside it)");
        char c = lx->s[lx->pos++];
        if (c == quote) {
            if (lx->pos < lx->len && lx->s[lx->pos] == quote) {
                out[o++] = quote;
                lx->pos++;
                continue;
            }
            break;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (memchr(out, '\0', o))
        return lex_err(lx, start, "a string may not contain a NUL byte");
    t->kind = QK_STRING;
    t->val = out;
    t->vlen = (uint32_t)o;
    return IPL_OK;
}

static int lex_regex(ql_lexer *lx, ql_tok *t)
{
    size_t start = lx->pos++;
    char *out = ipl_arena_alloc(&lx->q->arena, lx->len - start + 1);
    size_t o = 0;
    if (!out)
        return ipl_diag_set(lx->d, IPL_ENOMEM, "out of memory");
    int in_class = 0;             /* inside [...] a slash is a slash */
    for (;;) {
        if (lx->pos >= lx->len || lx->s[lx->pos] == '\n')
            return lex_err(lx, start, "unterminated regex (it ends with '/'; write \\/ for a slash "
                                      "inside it)");
        char c = lx->s[lx->pos++];
        if (c == '/' && !in_class)
            break;
        if (c == '[')
            in_class = 1;
        else if (c == ']')
            in_class = 0;
        if (c == '\\' && lx->pos < lx->len && lx->s[lx->pos] == '/') {
            out[o++] = '/';
            lx->pos++;
            continue;
        }
        if (c == '\\' && lx->pos < lx->len && lx->s[lx->pos] != '\n') {
            out[o++] = c;
            c = lx->s[lx->pos++];
        }
        out[o++] = c;
    }
    out[o] = '\0';
    size_t fs = lx->pos;
    while (lx->pos < lx->len && is_ident((unsigned char)lx->s[lx->pos]))
        lx->pos++;
    t->kind = QK_REGEX;
    t->val = out;
    t->vlen = (uint32_t)o;
    t->flags = dup_range(lx, fs, lx->pos - fs);
    if (!t->flags)
        return ipl_diag_set(lx->d, IPL_ENOMEM, "out of memory");
    return IPL_OK;
}

int ql_lex_next(ql_lexer *lx, ql_tok *t)
{
    skip(lx);
    memset(t, 0, sizeof *t);
    t->off = (uint32_t)lx->pos;
    t->line = lx->line;
    t->col = (uint32_t)(lx->pos - lx->linestart) + 1;
    t->flags = "";
    int err = IPL_OK;
    if (lx->pos >= lx->len) {
        t->kind = QK_EOF;
        t->val = "";
        goto out;
    }
    unsigned char c = (unsigned char)lx->s[lx->pos];
    unsigned char c2 = lx->pos + 1 < lx->len ? (unsigned char)lx->s[lx->pos + 1] : 0;
    if (c == '/' && (lx->prev == QK_MATCH || lx->prev == QK_NMATCH)) {
        err = lex_regex(lx, t);
        goto out;
    }
    if (c == '"' || c == '\'') {
        err = lex_string(lx, t);
        goto out;
    }
    if (c == '$') {
        size_t s = ++lx->pos;
        while (lx->pos < lx->len && is_ident((unsigned char)lx->s[lx->pos]))
            lx->pos++;
        if (lx->pos == s) {
            err = lex_err(lx, s - 1, "expected a parameter name after '$' (letters, digits, _)");
            goto out;
        }
        t->kind = QK_PARAM;
        t->val = dup_range(lx, s, lx->pos - s);
        t->vlen = (uint32_t)(lx->pos - s);
        goto out;
    }
    if (is_word(c)) {
        size_t s = lx->pos;
        while (lx->pos < lx->len && is_word((unsigned char)lx->s[lx->pos]))
            lx->pos++;
        t->kind = QK_WORD;
        t->val = dup_range(lx, s, lx->pos - s);
        t->vlen = (uint32_t)(lx->pos - s);
        goto out;
    }
    lx->pos++;
    switch (c) {
    case '(': t->kind = QK_LPAREN; break;
    case ')': t->kind = QK_RPAREN; break;
    case ',': t->kind = QK_COMMA; break;
    case '|': t->kind = QK_PIPE; break;
    case '~': t->kind = QK_MATCH; break;
    case '=':
        t->kind = QK_EQ;
        if (c2 == '=')
            lx->pos++;
        break;
    case '<':
        t->kind = QK_LT;
        if (c2 == '=') {
            t->kind = QK_LE;
            lx->pos++;
        } else if (c2 == '>') {
            t->kind = QK_NE;
            lx->pos++;
        }
        break;
    case '>':
        t->kind = QK_GT;
        if (c2 == '=') {
            t->kind = QK_GE;
            lx->pos++;
        }
        break;
    case '!':
        if (c2 == '=') {
            t->kind = QK_NE;
            lx->pos++;
        } else if (c2 == '~') {
            t->kind = QK_NMATCH;
            lx->pos++;
        } else {
            err = lex_err(lx, lx->pos - 1, "unexpected '!' (write != or !~, or 'not')");
        }
        break;
    default: {
        char what[96];
        if (c == '*' || c == '?')
            snprintf(what, sizeof what, "unexpected character '%c' (quote wildcard patterns: host "
                     "like \"LAPTOP-*\")", c);
        else if (c >= 0x20 && c < 0x7f)
            snprintf(what, sizeof what, "unexpected character '%c'", c);
        else
            snprintf(what, sizeof what, "unexpected byte 0x%02x", c);
        err = lex_err(lx, lx->pos - 1, what);
        break;
    }
    }
out:
    if (!err && t->kind != QK_STRING && t->kind != QK_REGEX && t->kind != QK_PARAM &&
        t->kind != QK_WORD)
        t->val = ql_tok_name(t->kind);
    if (!err && (t->kind == QK_WORD || t->kind == QK_PARAM) && !t->val)
        err = ipl_diag_set(lx->d, IPL_ENOMEM, "out of memory");
    t->len = (uint32_t)(lx->pos - t->off);
    lx->prev = t->kind;
    return err;
}
