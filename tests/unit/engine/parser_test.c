/* tests/unit/engine/parser_test.c — choosing a parser by probing (engine/parser.c):
 * ipl_parser_best returns the highest score (the first one on a tie), NULL when every score is
 * 0, passes the sample through, and lists every candidate in `tried`, truncating safely.
 */
#include "tests/unit/check.h"

#include "engine/parser.h"

#include <string.h>

static const char *seen_sample;
static size_t seen_len;
static int probes;

static int p_zero(const char *s, size_t n) { probes++; seen_sample = s; seen_len = n; return 0; }
static int p_30(const char *s, size_t n) { probes++; (void)s; (void)n; return 30; }
static int p_80(const char *s, size_t n) { probes++; (void)s; (void)n; return 80; }
static int p_80b(const char *s, size_t n) { probes++; (void)s; (void)n; return 80; }
static int p_100(const char *s, size_t n) { probes++; (void)s; (void)n; return 100; }
/* scores by content: 90 if the sample starts with "kea", else 0 */
static int p_kea(const char *s, size_t n) { probes++; return n >= 3 && memcmp(s, "kea", 3) == 0 ? 90 : 0; }

static int no_line(void *st, ipl_parse_ctx *c, const char *l, size_t n, ipl_emit_fn e, void *ec,
                   ipl_diag *d)
{
    return 0;
}

#define P(var, nm, fn) static const ipl_parser var = {.name = nm, .summary = nm, .probe = fn, .line = no_line}
P(zero, "zero", p_zero);
P(thirty, "thirty", p_30);
P(eighty, "eighty", p_80);
P(eighty2, "eighty-too", p_80b);
P(hundred, "hundred", p_100);
P(kea, "kea-csv", p_kea);

static void test_best(void)
{
    const ipl_parser *const c[] = {&thirty, &eighty, &zero, &hundred, &kea};
    char tried[256];
    int score = -1;
    probes = 0;
    const ipl_parser *p = ipl_parser_best(c, 5, "abc", 3, &score, tried, sizeof tried);
    CHECK(p == &hundred);
    CHECK_INT(score, 100);
    CHECK_INT(probes, 5);                          /* every candidate probed */
    CHECK_STR(tried, "thirty, eighty, zero, hundred, kea-csv");
    CHECK(seen_sample != NULL && memcmp(seen_sample, "abc", 3) == 0);
    CHECK_INT(seen_len, 3);

    /* the order does not matter for the winner */
    const ipl_parser *const c2[] = {&hundred, &thirty, &eighty};
    p = ipl_parser_best(c2, 3, "x", 1, &score, tried, sizeof tried);
    CHECK(p == &hundred);
    CHECK_STR(tried, "hundred, thirty, eighty");

    /* content decides */
    const ipl_parser *const c3[] = {&thirty, &kea, &eighty};
    p = ipl_parser_best(c3, 3, "kea,1,2", 7, &score, tried, sizeof tried);
    CHECK(p == &kea);
    CHECK_INT(score, 90);
    p = ipl_parser_best(c3, 3, "other", 5, &score, tried, sizeof tried);
    CHECK(p == &eighty);
    CHECK_INT(score, 80);

    /* a tie: the first one */
    const ipl_parser *const c4[] = {&thirty, &eighty, &eighty2};
    p = ipl_parser_best(c4, 3, "", 0, &score, NULL, 0);
    CHECK(p == &eighty);
    const ipl_parser *const c5[] = {&eighty2, &eighty};
    p = ipl_parser_best(c5, 2, "", 0, NULL, NULL, 0);
    CHECK(p == &eighty2);
}

static void test_none(void)
{
    char tried[64];
    int score = -1;
    const ipl_parser *const c[] = {&zero, &kea};
    const ipl_parser *p = ipl_parser_best(c, 2, "nothing", 7, &score, tried, sizeof tried);
    CHECK(p == NULL);
    CHECK_INT(score, 0);
    CHECK_STR(tried, "zero, kea-csv");
    /* no candidates at all */
    memset(tried, 'X', sizeof tried);
    score = -1;
    p = ipl_parser_best(c, 0, "x", 1, &score, tried, sizeof tried);
    CHECK(p == NULL);
    CHECK_INT(score, 0);
    CHECK_STR(tried, "");
}

static void test_tried_truncated(void)
{
    const ipl_parser *const c[] = {&thirty, &eighty, &zero, &hundred, &kea};
    char buf[32];
    for (size_t cap = 1; cap < 20; cap++) {
        memset(buf, 'Q', sizeof buf);
        const ipl_parser *p = ipl_parser_best(c, 5, "x", 1, NULL, buf, cap);
        CHECK(p == &hundred);                       /* the choice does not depend on the buffer */
        CHECK(memchr(buf, '\0', cap) != NULL);      /* terminated inside the buffer */
        for (size_t i = cap; i < sizeof buf; i++)   /* and nothing written past it */
            if (buf[i] != 'Q') {
                CHECK(0);
                break;
            }
        CHECK(strncmp(buf, "thirty, eighty, zero, hundred, kea-csv", strlen(buf)) == 0);
    }
}

int main(void)
{
    RUN(test_best);
    RUN(test_none);
    RUN(test_tried_truncated);
    return check_summary();
}
