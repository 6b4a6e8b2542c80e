/* queries/asm_int.h — what the asm*.c files share: the object and view layouts, the lock, the
 * batch-building helpers and 128-bit address arithmetic. cJSON stays inside asm_model.c. */
#ifndef IPL_ASM_INT_H
#define IPL_ASM_INT_H

#include "queries/asm.h"

/* One object. `j` is the object's JSON tree (cJSON *, owned by the view); key is its kv key:
 *   asm.space    "<name>"
 *   asm.block    "<space>|<lo 32 hex>|<hi 32 hex>"     (same for subnet, range, address)
 * so a kv scan returns each space's objects in address order. */
struct ipl_asm_obj {
    ipl_asm_type type;
    char         space[IPL_ASM_NAME_MAX];
    char         id[112];
    char         key[200];
    uint8_t      lo[16], hi[16];
    int          v4;
    void        *j;
};

/* Per type, a sorted array (space, lo, hi) of pointers to heap objects. */
struct ipl_asm_view {
    ipl_asm_obj **o[IPL_ASM__TYPES];
    size_t        n[IPL_ASM__TYPES], cap[IPL_ASM__TYPES];
};

int  ipl_asm__cmp(const ipl_asm_obj *a, const ipl_asm_obj *b);
/* Index of the first object of type t with (space, lo) >= (space, lo). */
size_t ipl_asm__lower(const ipl_asm_view *v, ipl_asm_type t, const char *space,
                      const uint8_t lo[16]);

/* The lock that serialises ASM writers (flock on <store>/asm.lock + a process mutex). */
typedef struct ipl_asm_lock { int fd; } ipl_asm_lock;
int  ipl_asm__lock(ipl_store *st, ipl_asm_lock *l, ipl_diag *d);
void ipl_asm__unlock(ipl_asm_lock *l);

/* Applies changes to view v (already loaded, lock held), adding kv writes and events to b. */
int ipl_asm__apply_to(ipl_asm_view *v, ipl_batch *b, const ipl_asm_actor *a,
                      const ipl_asm_change *ch, size_t n, ipl_diag *d);

/* Multi-valued string field: element i or NULL. */
const char *ipl_asm__obj_list(const ipl_asm_obj *o, const char *field, size_t i);

/* 128-bit helpers on big-endian 16-byte addresses. */
void ipl_asm__inc(uint8_t ip[16]);          /* wraps at the top */
void ipl_asm__dec(uint8_t ip[16]);
double ipl_asm__size(const uint8_t lo[16], const uint8_t hi[16]);   /* hi - lo + 1 */
/* hi - lo + 1 when it is at most cap, else cap + 1 (lo <= hi). */
static inline uint64_t ipl_asm__span(const uint8_t lo[16], const uint8_t hi[16], uint64_t cap)
{
    uint64_t dh = 0, dl = 0, hl = 0, ll = 0, hh = 0, lh = 0;
    for (int i = 0; i < 8; i++) {
        hh = hh << 8 | hi[i];
        lh = lh << 8 | lo[i];
        hl = hl << 8 | hi[8 + i];
        ll = ll << 8 | lo[8 + i];
    }
    dl = hl - ll;
    dh = hh - lh - (hl < ll);
    return dh || dl >= cap ? cap + 1 : dl + 1;
}
/* ip - base, for ip in [base, base + 2^64): the difference of the low 64 bits. */
static inline uint64_t ipl_asm__off(const uint8_t base[16], const uint8_t ip[16])
{
    uint64_t a = 0, b = 0;
    for (int i = 8; i < 16; i++) {
        a = a << 8 | ip[i];
        b = b << 8 | base[i];
    }
    return a - b;
}
/* out = base + off (wrapping at the top). */
static inline void ipl_asm__add(uint8_t out[16], const uint8_t base[16], uint64_t off)
{
    unsigned carry = 0;
    for (int i = 15; i >= 0; i--) {
        unsigned s = base[i] + (unsigned)(off & 0xff) + carry;
        out[i] = (uint8_t)s;
        carry = s >> 8;
        off >>= 8;
    }
}
/* Bits [a, b] of a bitmap (word i / 64, bit i % 64): the number set. */
static inline uint64_t ipl_asm__popcount(const uint64_t *w, uint64_t a, uint64_t b)
{
    uint64_t n = 0;
    for (uint64_t i = a >> 6; i <= b >> 6; i++) {
        uint64_t m = w[i];
        if (i == a >> 6)
            m &= ~UINT64_C(0) << (a & 63);
        if (i == b >> 6 && (b & 63) != 63)
            m &= (UINT64_C(1) << ((b & 63) + 1)) - 1;
        n += (uint64_t)__builtin_popcountll(m);
    }
    return n;
}
static inline int ipl_asm__bit(const uint64_t *w, uint64_t i)
{
    return (int)(w[i >> 6] >> (i & 63) & 1);
}
/* The first clear bit in [a, n) or n. */
static inline uint64_t ipl_asm__first_clear(const uint64_t *w, uint64_t a, uint64_t n)
{
    while (a < n) {
        uint64_t m = ~w[a >> 6] & (~UINT64_C(0) << (a & 63));
        if (m) {
            uint64_t i = (a & ~UINT64_C(63)) + (uint64_t)__builtin_ctzll(m);
            return i < n ? i : n;
        }
        a = (a | 63) + 1;
    }
    return n;
}

/* Parses "a-b" (or one address) into [lo, hi]. */
int ipl_asm__parse_span(const char *s, uint8_t lo[16], uint8_t hi[16]);

/* The event reader used by scans: the kind of event seq (raw, fast for near seqs). */
typedef struct ipl_evcur ipl_evcur;

#endif
