/* tests/unit/engine/syslog_test.c — engine/api/syslog.c: TCP syslog framing (RFC 6587): LF
 * frames, octet counting, partial frames (need more), oversized and malformed counts, CR/NUL
 * trailers, and a stream of mixed frames consumed exactly. */
#include "../check.h"
#include "engine/api/api.h"
#include "engine/err.h"

static void test_lf(void)
{
    const char *m;
    size_t n, used;
    const char *s = "<13>May  1 08:15:32 h dhcpd: hi\r\nnext";
    CHECK_INT(ipl_syslog_frame(s, strlen(s), 1024, &m, &n, &used), IPL_OK);
    CHECK_INT(n, 31);
    CHECK(memcmp(m, "<13>May", 7) == 0 && m[n - 1] == 'i');
    CHECK_INT(used, 33);
    CHECK_INT(ipl_syslog_frame(s + used, 4, 1024, &m, &n, &used), IPL_ENOTFOUND);
    CHECK_INT(ipl_syslog_frame("", 0, 1024, &m, &n, &used), IPL_ENOTFOUND);
    char big[100];
    memset(big, 'a', sizeof big);
    CHECK_INT(ipl_syslog_frame(big, sizeof big, 50, &m, &n, &used), IPL_ELIMIT);
    CHECK_INT(ipl_syslog_frame(big, 40, 50, &m, &n, &used), IPL_ENOTFOUND);
}

static void test_octets(void)
{
    const char *m;
    size_t n, used;
    const char *s = "11 <13>hello\n\n5 <1>ab";
    CHECK_INT(ipl_syslog_frame(s, strlen(s), 1024, &m, &n, &used), IPL_OK);
    CHECK_INT(n, 9);                     /* LFs counted in the frame are trimmed as framing */
    CHECK(memcmp(m, "<13>hello", 9) == 0);
    CHECK_INT(used, 14);
    CHECK_INT(ipl_syslog_frame(s + 14, strlen(s) - 14, 1024, &m, &n, &used), IPL_OK);
    CHECK_INT(n, 5);
    CHECK(memcmp(m, "<1>ab", 5) == 0);
    CHECK_INT(used, 7);
    CHECK_INT(ipl_syslog_frame("12 <1>", 6, 1024, &m, &n, &used), IPL_ENOTFOUND);
    CHECK_INT(ipl_syslog_frame("123", 3, 1024, &m, &n, &used), IPL_ENOTFOUND);
    CHECK_INT(ipl_syslog_frame("9999 x", 6, 1024, &m, &n, &used), IPL_ELIMIT);
    CHECK_INT(ipl_syslog_frame("12x <1>", 7, 1024, &m, &n, &used), IPL_EPARSE);
    CHECK_INT(ipl_syslog_frame("12345678901 x", 13, 1024, &m, &n, &used), IPL_EPARSE);
    CHECK_INT(ipl_syslog_frame("1234567890", 10, 1024, &m, &n, &used), IPL_EPARSE);
}

static void test_stream(void)
{
    const char *s = "3 abc4 defgline one\n10 0123456789line two\r\n";
    size_t off = 0, len = strlen(s);
    int frames = 0;
    const char *m;
    size_t n, used;
    while (ipl_syslog_frame(s + off, len - off, 64, &m, &n, &used) == IPL_OK) {
        off += used;
        frames++;
    }
    CHECK_INT(frames, 5);
    CHECK_INT(off, len);
}

int main(void)
{
    RUN(test_lf);
    RUN(test_octets);
    RUN(test_stream);
    return check_summary();
}
