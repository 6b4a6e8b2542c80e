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
/* Parses "a-b" (or one address) into [lo, hi]. */
int ipl_asm__parse_span(const char *s, uint8_t lo[16], uint8_t hi[16]);

/* The event reader used by scans: the kind of event seq (raw, fast for near seqs). */
typedef struct ipl_evcur ipl_evcur;

#endif
