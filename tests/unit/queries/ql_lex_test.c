/* tests/unit/queries/ql_lex_test.c — the query lexer (queries/ql_lex.c): words that keep
 * addresses, prefixes, ranges, MACs, times and dotted names whole, strings without escapes and
 * with doubled quotes, regexes only after ~ and !~, parameters, operators, comments, line and
 * column numbers, and the error messages with their caret lines.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "queries/ql_int.h"

#include <stdlib.h>
#include <string.h>

static ipl_ql q;
static char toks[4096];

/* "KIND:value KIND:value ..." for text, or "error: message". */
static const char *lex(const char *text)
{
    ql_lexer lx;
    ql_tok t;
    ipl_diag d = {0};
    size_t o = 0;
    ipl_arena_clear(&q.arena);
    q.text = (char *)text;
    q.len = strlen(text);
    q.name = "query";
    ql_lex_init(&lx, &q, &d);
    toks[0] = '\0';
    for (;;) {
        if (ql_lex_next(&lx, &t)) {
            snprintf(toks, sizeof toks, "error: %s", d.msg);
            return toks;
        }
        if (t.kind == QK_EOF)
            break;
        static const char *const k[] = {"eof", "w", "s", "re", "p", "(", ")", ",", "|",
                                        "=", "!=", "<", "<=", ">", ">=", "~", "!~"};
        o += (size_t)snprintf(toks + o, sizeof toks - o, "%s%s", o ? " " : "", k[t.kind]);
        if (t.kind == QK_WORD || t.kind == QK_STRING || t.kind == QK_PARAM || t.kind == QK_REGEX)
            o += (size_t)snprintf(toks + o, sizeof toks - o, ":%s", t.val);
        if (t.kind == QK_REGEX && t.flags[0])
            o += (size_t)snprintf(toks + o, sizeof toks - o, "/%s", t.flags);
    }
    return toks;
}

static void test_words(void)
{
    CHECK_STR(lex("leases where ip in 10.72.144.0/22"), "w:leases w:where w:ip w:in w:10.72.144.0/22");
    CHECK_STR(lex("ip in 2001:db8::/32"), "w:ip w:in w:2001:db8::/32");
    CHECK_STR(lex("ip in ::1"), "w:ip w:in w:::1");
    CHECK_STR(lex("ip in 10.0.0.10-10.0.0.99"), "w:ip w:in w:10.0.0.10-10.0.0.99");
    CHECK_STR(lex("mac = 3c:52:82:6a:1b:2f"), "w:mac = w:3c:52:82:6a:1b:2f");
    CHECK_STR(lex("since 2024-05-01T08:00:00+02:00"), "w:since w:2024-05-01T08:00:00+02:00");
    CHECK_STR(lex("since -7d until now-1h"), "w:since w:-7d w:until w:now-1h");
    CHECK_STR(lex("since @1714551332"), "w:since w:@1714551332");
    CHECK_STR(lex("geo.country=NL"), "w:geo.country = w:NL");
    CHECK_STR(lex("kind=lease.v6.confirm"), "w:kind = w:lease.v6.confirm");
    CHECK_STR(lex("logon_type>=3"), "w:logon_type >= w:3");
}

static void test_strings(void)
{
    CHECK_STR(lex("user = \"CONTOSO\\alice\""), "w:user = s:CONTOSO\\alice");    /* no escapes */
    CHECK_STR(lex("desc = \"say \"\"hi\"\"\""), "w:desc = s:say \"hi\"");
    CHECK_STR(lex("desc = 'it''s'"), "w:desc = s:it's");
    CHECK_STR(lex("host like \"LAPTOP-*\""), "w:host w:like s:LAPTOP-*");
    CHECK_STR(lex("x = \"\""), "w:x = s:");
    CHECK_STR(lex("x = \"a # not a comment\""), "w:x = s:a # not a comment");
}

static void test_regex(void)
{
    CHECK_STR(lex("host ~ /^laptop-\\d+$/i"), "w:host ~ re:^laptop-\\d+$/i");
    CHECK_STR(lex("path !~ /a\\/b/"), "w:path !~ re:a/b");                /* \/ is a slash */
    CHECK_STR(lex("host ~ \"x\""), "w:host ~ s:x");
    CHECK_STR(lex("ip in 10.0.0.0/8 | count"), "w:ip w:in w:10.0.0.0/8 | w:count");  /* no regex */
    CHECK_STR(lex("x ~ /[/]+/"), "w:x ~ re:[/]+");                       /* a class may hold / */
}

static void test_operators(void)
{
    CHECK_STR(lex("a = 1 == 2 != 3 <> 4 < 5 <= 6 > 7 >= 8"),
              "w:a = w:1 = w:2 != w:3 != w:4 < w:5 <= w:6 > w:7 >= w:8");
    CHECK_STR(lex("(a,b)|c"), "( w:a , w:b ) | w:c");
    CHECK_STR(lex("ip = $ip and user = $user_1"), "w:ip = p:ip w:and w:user = p:user_1");
    CHECK_STR(lex("leases # all of them\n| count # how many\n"), "w:leases | w:count");
    CHECK_STR(lex("  \t\r\n"), "");
}

static void test_positions(void)
{
    ql_lexer lx;
    ql_tok t;
    ipl_diag d = {0};
    ipl_arena_clear(&q.arena);
    q.text = "leases\n  | count by host";
    q.len = strlen(q.text);
    ql_lex_init(&lx, &q, &d);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_INT(t.line, 1);
    CHECK_INT(t.col, 1);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_INT(t.kind, QK_PIPE);
    CHECK_INT(t.line, 2);
    CHECK_INT(t.col, 3);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_STR(t.val, "host");
    CHECK_INT(t.col, 14);
    CHECK_INT(ql_lex_next(&lx, &t), IPL_OK);
    CHECK_INT(t.kind, QK_EOF);
    CHECK_INT(t.col, 18);
}

static void test_errors(void)
{
    CHECK_STR(lex("host = \"LAPTOP"),
              "error: query:1:8: unterminated string (a string ends with the quote it starts with; "
              "write \" twice for one inside it)\n"
              "  host = \"LAPTOP\n"
              "         ^");
    CHECK_STR(lex("host = 'a\nb'"),
              "error: query:1:8: unterminated string (a string ends with the quote it starts with; "
              "write ' twice for one inside it)\n"
              "  host = 'a\n"
              "         ^");
    CHECK_STR(lex("host ~ /abc"),
              "error: query:1:8: unterminated regex (it ends with '/'; write \\/ for a slash inside it)\n"
              "  host ~ /abc\n"
              "         ^");
    CHECK_STR(lex("ip = $"),
              "error: query:1:6: expected a parameter name after '$' (letters, digits, _)\n"
              "  ip = $\n"
              "       ^");
    CHECK_STR(lex("a ! b"),
              "error: query:1:3: unexpected '!' (write != or !~, or 'not')\n"
              "  a ! b\n"
              "    ^");
    CHECK_STR(lex("a ; b"),
              "error: query:1:3: unexpected character ';'\n"
              "  a ; b\n"
              "    ^");
    CHECK_STR(lex("a \x01"),
              "error: query:1:3: unexpected byte 0x01\n"
              "  a ?\n"
              "    ^");
    /* the caret counts characters, not bytes, before the column */
    CHECK_STR(lex("x = \"é\" ;"),
              "error: query:1:10: unexpected character ';'\n"
              "  x = \"é\" ;\n"
              "          ^");
    /* a long line is shown as a window around the column */
    char longq[400];
    memset(longq, 'a', sizeof longq);
    memcpy(longq + 300, " ; ", 3);
    longq[sizeof longq - 1] = '\0';
    const char *r = lex(longq);
    CHECK(strncmp(r, "error: query:1:302: unexpected character ';'\n  ...", 50) == 0);
    const char *caret = strrchr(r, '\n');
    const char *line = strstr(r, "\n  ...");
    CHECK(caret && line && strlen(caret + 1) < 100);
    CHECK(line && strchr(caret + 1, '^') - (caret + 1) == strchr(line + 1, ';') - (line + 1));
}

int main(void)
{
    ipl_arena_init(&q.arena, 1 << 20);
    RUN(test_words);
    RUN(test_strings);
    RUN(test_regex);
    RUN(test_operators);
    RUN(test_positions);
    RUN(test_errors);
    ipl_arena_release(&q.arena);
    return check_summary();
}
