/* engine/arena.c — bump allocator; see arena.h. */
#include "engine/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ipl_arena_block {
    ipl_arena_block *next;
    size_t size;               /* usable bytes in data[] */
    size_t off;                /* next free byte */
    _Alignas(16) unsigned char data[];
};

#define ARENA_DEFAULT_CAP   ((size_t)64 << 20)
#define ARENA_DEFAULT_BLOCK ((size_t)64 << 10)

void ipl_arena_init(ipl_arena *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = cap ? cap : ARENA_DEFAULT_CAP;
    a->block_size = ARENA_DEFAULT_BLOCK;
}

void ipl_arena_release(ipl_arena *a)
{
    if (!a)
        return;
    ipl_arena_block *b = a->head;
    while (b) {
        ipl_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used = 0;
}

void ipl_arena_clear(ipl_arena *a)
{
    if (!a->head)
        return;
    /* keep the oldest block (the one at the tail) to avoid malloc churn */
    ipl_arena_block *b = a->head, *keep = NULL;
    while (b) {
        ipl_arena_block *n = b->next;
        if (!n)
            keep = b;
        else
            free(b);
        b = n;
    }
    keep->off = 0;
    keep->next = NULL;
    a->head = keep;
    a->used = 0;
}

void *ipl_arena_alloc(ipl_arena *a, size_t n)
{
    /* a zeroed struct works too: 0 means the defaults (arena.h) */
    size_t cap = a->cap ? a->cap : ARENA_DEFAULT_CAP;
    size_t bsize = a->block_size ? a->block_size : ARENA_DEFAULT_BLOCK;
    size_t need = (n + 15) & ~(size_t)15;
    /* written so that nothing wraps: used <= cap always holds */
    if (need < n || a->used > cap || need > cap - a->used)
        return NULL;
    ipl_arena_block *b = a->head;
    if (!b || b->size - b->off < need) {
        size_t sz = need > bsize ? need : bsize;
        if (sz > SIZE_MAX - sizeof(ipl_arena_block))
            return NULL;
        ipl_arena_block *nb = malloc(sizeof *nb + sz);
        if (!nb)
            return NULL;
        nb->size = sz;
        nb->off = 0;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

char *ipl_arena_strndup(ipl_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)             /* n + 1 would wrap to 0 */
        return NULL;
    char *p = ipl_arena_alloc(a, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *ipl_arena_strdup(ipl_arena *a, const char *s)
{
    return ipl_arena_strndup(a, s, strlen(s));
}
