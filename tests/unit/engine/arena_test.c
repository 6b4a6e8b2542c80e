/* tests/unit/engine/arena_test.c — the bump allocator: alignment, the cap (including sizes that
 * would wrap), big allocations, clear and release, string copies. */
#include "engine/arena.h"

#include <stdint.h>

#include "tests/unit/check.h"

static void test_alignment(void)
{
    ipl_arena a;
    ipl_arena_init(&a, 0);
    int misaligned = 0;
    for (size_t n = 0; n < 300; n++) {
        unsigned char *p = ipl_arena_alloc(&a, n);
        if (!p || (uintptr_t)p % 16 != 0)
            misaligned++;
        if (p)
            memset(p, 0xab, n);          /* ASan: the whole size is ours */
    }
    CHECK_INT(misaligned, 0);
    ipl_arena_release(&a);
}

static void test_cap(void)
{
    ipl_arena a;
    ipl_arena_init(&a, 1024);
    CHECK_INT(a.cap, 1024);
    CHECK(ipl_arena_alloc(&a, 1025) == NULL);
    void *p = ipl_arena_alloc(&a, 500);      /* 512 after rounding to 16 */
    CHECK(p != NULL);
    CHECK_INT(a.used, 512);
    CHECK(ipl_arena_alloc(&a, 520) == NULL); /* 512 + 528 > 1024 */
    CHECK_INT(a.used, 512);
    CHECK(ipl_arena_alloc(&a, 512) != NULL); /* exactly to the cap */
    CHECK_INT(a.used, 1024);
    CHECK(ipl_arena_alloc(&a, 1) == NULL);
    CHECK(ipl_arena_alloc(&a, 0) != NULL);   /* a zero-byte request still fits */
    ipl_arena_clear(&a);
    CHECK_INT(a.used, 0);
    CHECK(ipl_arena_alloc(&a, 1024) != NULL);
    ipl_arena_release(&a);

    /* sizes that would wrap are refused, also with the largest cap */
    ipl_arena_init(&a, SIZE_MAX);
    CHECK(ipl_arena_alloc(&a, 32) != NULL);
    CHECK(ipl_arena_alloc(&a, SIZE_MAX) == NULL);
    CHECK(ipl_arena_alloc(&a, SIZE_MAX - 8) == NULL);
    CHECK(ipl_arena_alloc(&a, SIZE_MAX - 40) == NULL);
    CHECK(ipl_arena_strndup(&a, "x", SIZE_MAX) == NULL);
    CHECK_INT(a.used, 32);
    ipl_arena_release(&a);
    ipl_arena_init(&a, 64);
    CHECK(ipl_arena_alloc(&a, 48) != NULL);
    CHECK(ipl_arena_alloc(&a, SIZE_MAX - 20) == NULL);
    ipl_arena_release(&a);
}

static void test_blocks_and_clear(void)
{
    ipl_arena a;
    ipl_arena_init(&a, 0);
    a.block_size = 256;
    unsigned char *first = ipl_arena_alloc(&a, 100);
    CHECK(first != NULL);
    unsigned char *big = ipl_arena_alloc(&a, 10000);   /* larger than a block */
    CHECK(big != NULL);
    if (big)
        memset(big, 1, 10000);
    unsigned char *ps[50];
    for (int i = 0; i < 50; i++) {
        ps[i] = ipl_arena_alloc(&a, 40);
        CHECK(ps[i] != NULL);
        if (ps[i])
            memset(ps[i], i, 40);
    }
    int overlap = 0;                                   /* earlier data is untouched */
    for (int i = 0; i < 50; i++)
        for (int k = 0; ps[i] && k < 40; k++)
            overlap += ps[i][k] != i;
    CHECK_INT(overlap, 0);
    CHECK_INT(a.used, 112 + 10000 + 50 * 48);
    ipl_arena_clear(&a);
    CHECK_INT(a.used, 0);
    CHECK(a.head != NULL);
    /* the first block is kept and reused from its start */
    unsigned char *again = ipl_arena_alloc(&a, 100);
    CHECK(again == first);
    ipl_arena_clear(&a);
    ipl_arena_clear(&a);
    ipl_arena_release(&a);
    CHECK(a.head == NULL);
    CHECK_INT(a.used, 0);
    CHECK(ipl_arena_alloc(&a, 10) != NULL);            /* usable after release */
    ipl_arena_release(&a);
    ipl_arena_release(&a);
    ipl_arena_release(NULL);

    ipl_arena fresh;
    ipl_arena_init(&fresh, 0);
    ipl_arena_clear(&fresh);                           /* nothing allocated yet */
    CHECK(fresh.head == NULL);
    ipl_arena_release(&fresh);

    ipl_arena zero = {0};                              /* 0 cap and block size mean defaults */
    CHECK(ipl_arena_alloc(&zero, 100) != NULL);
    CHECK(ipl_arena_alloc(&zero, (size_t)1 << 20) != NULL);
    ipl_arena_release(&zero);
}

static void test_strings(void)
{
    ipl_arena a;
    ipl_arena_init(&a, 0);
    char *s = ipl_arena_strdup(&a, "lease.assign");
    CHECK_STR(s, "lease.assign");
    char *t = ipl_arena_strndup(&a, "abcdef", 3);
    CHECK_STR(t, "abc");
    char *e = ipl_arena_strndup(&a, "", 0);
    CHECK_STR(e, "");
    char *n = ipl_arena_strndup(&a, NULL, 0);
    CHECK_STR(n, "");
    CHECK(s != t && (uintptr_t)t % 16 == 0);
    ipl_arena_release(&a);

    ipl_arena small;
    ipl_arena_init(&small, 16);
    CHECK(ipl_arena_strndup(&small, "0123456789abcdef", 16) == NULL);  /* 17 bytes > cap */
    CHECK(ipl_arena_strndup(&small, "0123456789abcdef", 15) != NULL);
    ipl_arena_release(&small);
}

int main(void)
{
    RUN(test_alignment);
    RUN(test_cap);
    RUN(test_blocks_and_clear);
    RUN(test_strings);
    return check_summary();
}
