/* engine/arena.h — a bump allocator per unit of work (nginx/h2o pools).
 *
 * One arena per ingest batch, per parsed line, per query. Allocations live until ipl_arena_clear
 * or ipl_arena_release; nothing is freed one by one. A cap bounds the total: allocation past it
 * fails (returns NULL), so input can never make an arena grow without limit.
 */
#ifndef IPL_ARENA_H
#define IPL_ARENA_H

#include <stddef.h>

typedef struct ipl_arena_block ipl_arena_block;

typedef struct ipl_arena {
    ipl_arena_block *head;     /* current block; older blocks chained behind it */
    size_t used;               /* bytes handed out since the last clear */
    size_t cap;                /* maximum bytes handed out (0 = 64 MiB default) */
    size_t block_size;         /* size of new blocks (0 = 64 KiB default) */
} ipl_arena;

void  ipl_arena_init(ipl_arena *a, size_t cap);
void  ipl_arena_release(ipl_arena *a);            /* frees all blocks */
void  ipl_arena_clear(ipl_arena *a);              /* keeps the first block, frees the rest */
void *ipl_arena_alloc(ipl_arena *a, size_t n);    /* 16-byte aligned; NULL past the cap */
char *ipl_arena_strndup(ipl_arena *a, const char *s, size_t n); /* NUL-terminated copy */
char *ipl_arena_strdup(ipl_arena *a, const char *s);

#endif
