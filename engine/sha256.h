/* engine/sha256.h — SHA-256 (FIPS 180-4) for the store's tamper-evidence chain and digests. */
#ifndef IPL_SHA256_H
#define IPL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ipl_sha256 {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed so far */
    uint8_t  buf[64];
    size_t   used;
} ipl_sha256_ctx;

void ipl_sha256_init(ipl_sha256_ctx *s);
void ipl_sha256_update(ipl_sha256_ctx *s, const void *data, size_t n);
void ipl_sha256_final(ipl_sha256_ctx *s, uint8_t out[32]);
void ipl_sha256_once(const void *data, size_t n, uint8_t out[32]);
/* Which compression runs: 0 = the best the CPU has (default), 1 = portable C, 2 = SHA-NI (only
 * when ipl_sha256_have_accel() says the CPU has it). Tests and benchmarks set it. */
extern int ipl_sha256_impl;
const char *ipl_sha256_impl_name(void);      /* "sha-ni" or "portable" */
int ipl_sha256_have_accel(void);
/* 64 lowercase hex digits + NUL */
void ipl_hex32(const uint8_t in[32], char out[65]);

#endif
