/* engine/dict.c — the string dictionary: strings interned once to u32 ids, both ways.
 *
 *   dict.s: string bytes -> u32 id (big-endian)
 *   dict.i: u32 id (big-endian) -> string bytes + NUL (so reads can hand out C strings that point
 *           straight into the map)
 * Ids start at 1 and only grow; an id, once given, names the same string forever (purges never
 * remove dictionary entries). The writer keeps an in-memory cache (open addressing, bounded: it is
 * emptied when three quarters full) so the hot path rarely touches dict.s.
 */
#include "engine/err.h"
#include "engine/store_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h | 1; /* 0 marks an empty slot */
}

int ipl_dcache_init(ipl_dcache *c, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->slots = calloc(cap, sizeof *c->slots);
    if (!c->slots)
        return IPL_ENOMEM;
    c->cap = cap;
    ipl_arena_init(&c->strings, (size_t)256 << 20);
    return IPL_OK;
}

void ipl_dcache_release(ipl_dcache *c)
{
    free(c->slots);
    c->slots = NULL;
    ipl_arena_release(&c->strings);
}

void ipl_dcache_clear(ipl_dcache *c)
{
    if (c->slots)
        memset(c->slots, 0, c->cap * sizeof *c->slots);
    c->count = 0;
    ipl_arena_clear(&c->strings);
}

int ipl_dcache_get(const ipl_dcache *c, const char *s, size_t len, uint32_t *id)
{
    if (!c->cap)
        return IPL_ENOTFOUND;
    uint64_t h = fnv1a(s, len);
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        const struct dslot *sl = &c->slots[i];
        if (!sl->hash)
            return IPL_ENOTFOUND;
        if (sl->hash == h && sl->len == len && memcmp(sl->s, s, len) == 0) {
            *id = sl->id;
            return IPL_OK;
        }
    }
}

void ipl_dcache_put(ipl_dcache *c, const char *s, size_t len, uint32_t id)
{
    if (!c->cap)
        return;
    if (c->count + 1 > c->cap / 4 * 3)
        ipl_dcache_clear(c);
    char *copy = ipl_arena_strndup(&c->strings, s, len);
    if (!copy) { /* string arena full: start over */
        ipl_dcache_clear(c);
        copy = ipl_arena_strndup(&c->strings, s, len);
        if (!copy)
            return;
    }
    uint64_t h = fnv1a(s, len);
    size_t i = h & (c->cap - 1);
    while (c->slots[i].hash)
        i = (i + 1) & (c->cap - 1);
    c->slots[i] = (struct dslot){h, copy, (uint32_t)len, id};
    c->count++;
}

int ipl_dict_intern(ipl_store *st, MDB_txn *txn, const char *s, size_t len, uint32_t *next_id,
                    uint32_t *id, ipl_diag *d)
{
    if (len == 0 || len > IPL_STR_MAX)
        return ipl_diag_set(d, IPL_EINVAL, "dictionary string of %zu bytes (1 to %d allowed)", len,
                            IPL_STR_MAX);
    if (ipl_dcache_get(&st->dcache, s, len, id) == IPL_OK)
        return IPL_OK;
    MDB_val k = {len, (void *)s}, v;
    int rc = mdb_get(txn, st->dbi[DB_DICT_S], &k, &v);
    if (rc == 0) {
        if (v.mv_size != 4)
            return ipl_diag_set(d, IPL_ECORRUPT, "dictionary entry of %zu bytes", v.mv_size);
        *id = ipl_get_be32(v.mv_data);
        ipl_dcache_put(&st->dcache, s, len, *id);
        return IPL_OK;
    }
    if (rc != MDB_NOTFOUND)
        return ipl_store_mdb_err(d, rc, "read dictionary", st->dir);
    uint8_t idb[4];
    ipl_be32(idb, *next_id);
    v.mv_size = 4;
    v.mv_data = idb;
    rc = mdb_put(txn, st->dbi[DB_DICT_S], &k, &v, MDB_NOOVERWRITE);
    if (rc)
        return ipl_store_mdb_err(d, rc, "write dictionary", st->dir);
    MDB_val ik = {4, idb}, iv = {len + 1, NULL};
    rc = mdb_put(txn, st->dbi[DB_DICT_I], &ik, &iv, MDB_APPEND | MDB_RESERVE);
    if (rc)
        return ipl_store_mdb_err(d, rc, "write dictionary", st->dir);
    memcpy(iv.mv_data, s, len);
    ((char *)iv.mv_data)[len] = '\0';
    *id = (*next_id)++;
    ipl_dcache_put(&st->dcache, s, len, *id);
    return IPL_OK;
}

int ipl_dict_find(ipl_rtxn *t, const char *s, size_t len, uint32_t *id)
{
    if (len == 0 || len > IPL_STR_MAX)
        return IPL_ENOTFOUND;
    MDB_val k = {len, (void *)s}, v;
    if (mdb_get(t->txn, t->st->dbi[DB_DICT_S], &k, &v) != 0 || v.mv_size != 4)
        return IPL_ENOTFOUND;
    *id = ipl_get_be32(v.mv_data);
    return IPL_OK;
}

int ipl_dict_find_folded(ipl_rtxn *t, const char *s, size_t len, uint32_t *id)
{
    char buf[IPL_STR_MAX];
    if (len == 0 || len > IPL_STR_MAX)
        return IPL_ENOTFOUND;
    for (size_t i = 0; i < len; i++)
        buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    return ipl_dict_find(t, buf, len, id);
}

const char *ipl_dict_str(ipl_rtxn *t, uint32_t id)
{
    if (!id)
        return NULL;
    uint8_t idb[4];
    ipl_be32(idb, id);
    MDB_val k = {4, idb}, v;
    if (mdb_get(t->txn, t->st->dbi[DB_DICT_I], &k, &v) != 0 || v.mv_size == 0 ||
        ((const char *)v.mv_data)[v.mv_size - 1] != '\0')
        return NULL;
    return v.mv_data;
}
