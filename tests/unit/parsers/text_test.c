/* tests/unit/parsers/text_test.c — the text helpers the parsers share (parsers/text.c): the
 * quoting of input bytes in error messages (printable ASCII kept, everything else and '\' as
 * \xNN, cut after `max` bytes with "...", never past IPL_TEXT_QBUF(max)), hex digits, exact text
 * compares, and the printable-UTF-8 check (overlong forms, surrogates, code points past U+10FFFF,
 * cut sequences and C0/DEL refused).
 */
#include "tests/unit/check.h"

#include "parsers/text.h"

#include <string.h>

static void test_quote(void)
{
    char buf[IPL_TEXT_QBUF(8)];
    CHECK_STR(ipl_text_quote(buf, "abc", 3, 8), "abc");
    CHECK_STR(ipl_text_quote(buf, "a\\b", 3, 8), "a\\x5cb");
    CHECK_STR(ipl_text_quote(buf, "\x01\x7f\xff\t", 4, 8), "\\x01\\x7f\\xff\\x09");
    CHECK_STR(ipl_text_quote(buf, "0123456789", 10, 8), "01234567...");
    CHECK_STR(ipl_text_quote(buf, "", 0, 8), "");
    CHECK_STR(ipl_text_quote(buf, "x\0y", 3, 8), "x\\x00y");        /* a NUL is shown, not an end */
    /* the worst case fills the buffer exactly: 8 escaped bytes, "...", NUL */
    memset(buf, 'Z', sizeof buf);
    const char worst[] = "\x80\x81\x82\x83\x84\x85\x86\x87\x88";
    ipl_text_quote(buf, worst, 9, 8);
    CHECK_INT(strlen(buf), 4 * 8 + 3);
    CHECK_INT(sizeof buf, 4 * 8 + 4);
    CHECK(strncmp(buf + 4 * 7, "\\x87...", 7) == 0);
}

static void test_hex_and_is(void)
{
    const char *digits = "0123456789abcdefABCDEF";
    for (int i = 0; digits[i]; i++)
        CHECK_INT(ipl_text_hex(digits[i]), i < 16 ? i : i - 6);
    CHECK_INT(ipl_text_hex('g'), -1);
    CHECK_INT(ipl_text_hex('G'), -1);
    CHECK_INT(ipl_text_hex('/'), -1);
    CHECK_INT(ipl_text_hex(':'), -1);
    CHECK_INT(ipl_text_hex('@'), -1);
    CHECK_INT(ipl_text_hex(0), -1);
    CHECK_INT(ipl_text_hex(0xff), -1);
    CHECK(ipl_text_is("DHCPACK on", 7, "DHCPACK"));
    CHECK(!ipl_text_is("DHCPACK", 7, "DHCPAC"));
    CHECK(!ipl_text_is("DHCPAC", 6, "DHCPACK"));
    CHECK(ipl_text_is("", 0, ""));
}

static void test_utf8(void)
{
    struct { const char *s; int ok; } c[] = {
        {"plain ascii", 1},
        {"M\xc3\xbcller", 1},                      /* U+00FC */
        {"\xe2\x82\xac", 1},                       /* U+20AC */
        {"\xf0\x9f\x98\x80", 1},                   /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 1},                   /* U+10FFFF, the last */
        {"", 1},
        {"tab\there", 0},                          /* C0 control */
        {"del\x7f", 0},
        {"\xc0\xaf", 0},                           /* overlong '/' */
        {"\xe0\x80\xaf", 0},                       /* overlong, 3 bytes */
        {"\xed\xa0\x80", 0},                       /* U+D800, a surrogate */
        {"\xf4\x90\x80\x80", 0},                   /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xc3", 0},                               /* cut */
        {"\xe2\x82", 0},
        {"\x80", 0},                               /* a lone continuation byte */
        {"\xc3\x28", 0},                           /* a bad continuation */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int got = ipl_text_printable_utf8((const unsigned char *)c[i].s, strlen(c[i].s));
        if (got != c[i].ok)
            fprintf(stderr, "case %zu\n", i);
        CHECK_INT(got, c[i].ok);
    }
}

int main(void)
{
    RUN(test_quote);
    RUN(test_hex_and_is);
    RUN(test_utf8);
    return check_summary();
}
