/* tests/unit/engine/sha256_test.c — SHA-256 (engine/sha256.c) against the FIPS 180-4 example
 * vectors, incremental updates of odd sizes against one-shot hashing, and ipl_hex32.
 */
#include "tests/unit/check.h"

#include "engine/sha256.h"

#include <stdlib.h>
#include <string.h>

static const char *hex_of(const uint8_t d[32], char out[65])
{
    ipl_hex32(d, out);
    return out;
}

static void check_vec(const char *msg, size_t n, const char *want)
{
    uint8_t d[32];
    char hx[65];
    ipl_sha256_once(msg, n, d);
    CHECK_STR(hex_of(d, hx), want);
}

static void test_fips_vectors(void)
{
    check_vec("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_vec("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_INT(strlen(m448) * 8, 448);
    check_vec(m448, strlen(m448),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static const char m896[] =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
        "lmnopqrsmnopqrstnopqrstu";
    CHECK_INT(strlen(m896) * 8, 896);
    check_vec(m896, strlen(m896),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    size_t n = 1000000;
    char *m = malloc(n);
    CHECK(m != NULL);
    if (!m)
        return;
    memset(m, 'a', n);
    check_vec(m, n, want);
    /* the same through many small updates */
    ipl_sha256_ctx s;
    uint8_t d[32];
    char hx[65];
    ipl_sha256_init(&s);
    for (size_t i = 0; i < n; i += 1000)
        ipl_sha256_update(&s, m + i, 1000);
    CHECK_INT(s.len, n);
    ipl_sha256_final(&s, d);
    CHECK_STR(hex_of(d, hx), want);
    free(m);
}

/* Incremental updates with chunk sizes that straddle the 64-byte block in every way equal the
 * one-shot digest, for message lengths around the padding boundaries (55, 56, 63, 64, 65...). */
static void test_incremental(void)
{
    uint8_t msg[1000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000};
    static const size_t chunks[] = {1, 3, 7, 13, 63, 64, 65, 127, 1000};
    int mismatches = 0, runs = 0;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        uint8_t want[32];
        ipl_sha256_once(msg, lens[li], want);
        for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
            ipl_sha256_ctx s;
            uint8_t got[32];
            ipl_sha256_init(&s);
            for (size_t off = 0; off < lens[li];) {
                size_t k = lens[li] - off < chunks[ci] ? lens[li] - off : chunks[ci];
                ipl_sha256_update(&s, msg + off, k);
                off += k;
            }
            ipl_sha256_update(&s, msg, 0); /* an empty update changes nothing */
            ipl_sha256_final(&s, got);
            runs++;
            if (memcmp(got, want, 32) != 0) {
                mismatches++;
                fprintf(stderr, "  mismatch: len %zu chunk %zu\n", lens[li], chunks[ci]);
            }
        }
    }
    CHECK_INT(mismatches, 0);
    CHECK(runs > 100);

    /* mixed odd sizes on one message */
    ipl_sha256_ctx s;
    uint8_t a[32], b[32];
    ipl_sha256_init(&s);
    static const size_t steps[] = {5, 0, 59, 1, 64, 200, 3, 668};  /* sums to 1000 */
    size_t off = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ipl_sha256_update(&s, msg + off, steps[i]);
        off += steps[i];
    }
    CHECK_INT(off, 1000);
    ipl_sha256_final(&s, a);
    ipl_sha256_once(msg, 1000, b);
    CHECK(memcmp(a, b, 32) == 0);

    /* a different message gives a different digest (the digest depends on every byte) */
    msg[999] ^= 1;
    ipl_sha256_once(msg, 1000, a);
    CHECK(memcmp(a, b, 32) != 0);
}

static void test_hex32(void)
{
    uint8_t d[32];
    char hx[65];
    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)(i * 8 + ((i & 1) ? 7 : 0));
    memset(hx, 'X', sizeof hx);
    ipl_hex32(d, hx);
    CHECK_INT(strlen(hx), 64);
    CHECK(strncmp(hx, "000f101f202f", 12) == 0);
    CHECK_STR(hx + 60, "f0ff");
}

/* The SHA-NI and portable compressions agree on every length 0..2048 of pseudo-random data (and
 * the known vectors pass with each, from main). On a CPU without the extensions there is only the
 * portable code, and this says so. */
static void test_impls_agree(void)
{
    if (!ipl_sha256_have_accel()) {
        fprintf(stderr, "   (this CPU has no SHA extensions: portable code only)\n");
        CHECK_STR(ipl_sha256_impl_name(), "portable");
        return;
    }
    static uint8_t msg[2048];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof msg; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        msg[i] = (uint8_t)x;
    }
    int mismatches = 0;
    for (size_t n = 0; n <= sizeof msg; n++) {
        uint8_t a[32], b[32];
        ipl_sha256_impl = 1;
        ipl_sha256_once(msg, n, a);
        ipl_sha256_impl = 2;
        ipl_sha256_once(msg, n, b);
        mismatches += memcmp(a, b, 32) != 0;
    }
    ipl_sha256_impl = 2;
    CHECK_STR(ipl_sha256_impl_name(), "sha-ni");
    ipl_sha256_impl = 0;
    CHECK_INT(mismatches, 0);
}

int main(void)
{
    for (int impl = 1; impl <= 2; impl++) {      /* the vectors with each compression */
        if (impl == 2 && !ipl_sha256_have_accel())
            break;
        ipl_sha256_impl = impl;
        fprintf(stderr, "== %s\n", ipl_sha256_impl_name());
        RUN(test_fips_vectors);
        RUN(test_million_a);
        RUN(test_incremental);
    }
    ipl_sha256_impl = 0;
    RUN(test_hex32);
    RUN(test_impls_agree);
    return check_summary();
}
