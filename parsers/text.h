/* parsers/text.h — small text helpers every parser shares.
 *
 * ipl_text_quote renders bytes of the input for an error message: printable ASCII as is, anything
 * else (and '\\') as \xNN, cut after `max` bytes with "..."; buf must hold IPL_TEXT_QBUF(max)
 * bytes. It returns buf, so it goes straight into a format argument.
 */
#ifndef IPL_PARSERS_TEXT_H
#define IPL_PARSERS_TEXT_H

#include <stddef.h>
#include <string.h>

#define IPL_TEXT_QBUF(max) (4 * (size_t)(max) + 4)

const char *ipl_text_quote(char *buf, const char *s, size_t n, size_t max);

/* The value of one hex digit (either case), or -1. */
static inline int ipl_text_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 1 when the n bytes at s are exactly the text lit. */
static inline int ipl_text_is(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && memcmp(s, lit, m) == 0;
}

/* 1 if s is printable UTF-8: no C0 controls, no DEL, well-formed sequences (no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
int ipl_text_printable_utf8(const unsigned char *s, size_t n);

#endif
