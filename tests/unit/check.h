/* tests/unit/check.h — the unit-test harness: CHECK macros and a summary line.
 *
 *   static void test_x(void) { CHECK(1 + 1 == 2); CHECK_STR(a, "b"); CHECK_INT(x, 3); }
 *   int main(void) { RUN(test_x); return check_summary(); }
 *
 * Each failing CHECK prints file:line and the expression; the process exits 1 if any failed.
 */
#ifndef IPL_CHECK_H
#define IPL_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) check_passed++;                                                   \
        else { check_failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)

#define CHECK_INT(a, b)                                                             \
    do {                                                                            \
        long long va_ = (long long)(a), vb_ = (long long)(b);                       \
        if (va_ == vb_) check_passed++;                                             \
        else { check_failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %lld\n",  \
                    __FILE__, __LINE__, #a, va_, vb_); }                           \
    } while (0)

#define CHECK_STR(a, b)                                                             \
    do {                                                                            \
        const char *sa_ = (a), *sb_ = (b);                                          \
        if (sa_ && sb_ && strcmp(sa_, sb_) == 0) check_passed++;                    \
        else if (!sa_ && !sb_) check_passed++;                                      \
        else { check_failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", \
                    __FILE__, __LINE__, #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); } \
    } while (0)

#define RUN(fn) do { fprintf(stderr, "-- %s\n", #fn); fn(); } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
