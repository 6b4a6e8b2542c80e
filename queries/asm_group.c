/* queries/asm_group.c — logical groups of the address space (IPAM's logical groups): a named,
 * ordered list of fields (built-in string fields such as owner, vlan, managed_by, or custom.X)
 * over one object type. A group is a tree: level k holds the values of field k; an object sits
 * under every value of a multi-valued custom field, and under "(none)" where the field is unset.
 * Definitions live in kv "asm.group"/NAME as JSON {"name","type","by":[...]}; each change is a
 * config.change event (object "asm.group") in the same batch, under the asm lock. Evaluation reads
 * a view; utilization sums come from ipl_asm_utilization at the instant asked for. */
#include "queries/asm_int.h"

#include "engine/err.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_NS "asm.group"

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IPL_ASM_NAME_MAX - 1)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int field_ok(const char *f)
{
    static const char *const builtin[] = {"owner", "vlan", "managed_by", "description", "state",
                                          "assignment", "origin", "rir", "service", "instance",
                                          "device", "class"};
    if (strncmp(f, "custom.", 7) == 0)
        return name_ok(f + 7);
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(f, builtin[i]) == 0)
            return 1;
    return 0;
}

static int group_event(ipl_batch *b, const ipl_asm_actor *a, const char *action, const char *name,
                       const char *oldj, const char *newj, ipl_diag *d)
{
    ipl_event ev;
    char msg[400];
    int err;
    ipl_event_reset(&ev);
    ev.ts = ipl_asm_now(a);
    ev.kind = IPL_K_CONFIG_CHANGE;
    ev.user = a->principal;
    ev.server = a->host;
    ev.source = IPL_ASM_SOURCE;
    snprintf(msg, sizeof msg, "logical group '%s' %s by %s", name,
             strcmp(action, "create") == 0 ? "created" : strcmp(action, "edit") == 0 ? "edited"
                                                                                     : "deleted",
             a->principal);
    if ((err = ipl_event_add_attr(&ev, IPL_A_OBJECT, GROUP_NS, strlen(GROUP_NS))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_ACTION, action, strlen(action))) ||
        (oldj && (err = ipl_event_add_attr(&ev, IPL_A_OLD, oldj, strlen(oldj)))) ||
        (newj && (err = ipl_event_add_attr(&ev, IPL_A_NEW, newj, strlen(newj)))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg))))
        return ipl_diag_set(d, err, "logical group '%s': cannot build its event", name);
    return ipl_batch_add(b, &ev, d);
}

int ipl_asm_group_put(ipl_store *st, const ipl_asm_actor *a, const char *name, ipl_asm_type type,
                      const char *const *by, size_t nby, ipl_diag *d)
{
    if (!name_ok(name))
        return ipl_diag_set(d, IPL_EINVAL, "logical group name '%.80s' is invalid (letters, "
                            "digits, '-', '_', '.'; at most %d)", name, IPL_ASM_NAME_MAX - 1);
    if (type == IPL_ASM_SPACE)
        return ipl_diag_set(d, IPL_EINVAL, "logical group '%s': spaces are not grouped", name);
    if (nby == 0 || nby > IPL_ASM_GROUP_LEVELS)
        return ipl_diag_set(d, IPL_EINVAL, "logical group '%s' needs 1 to %d fields (--by)", name,
                            IPL_ASM_GROUP_LEVELS);
    for (size_t i = 0; i < nby; i++)
        if (!field_ok(by[i]))
            return ipl_diag_set(d, IPL_EINVAL, "logical group '%s': '%.80s' is not a field to "
                                "group by (owner, vlan, managed_by, ..., or custom.NAME)", name,
                                by[i]);
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "by");
    char *newj = NULL, *oldj = NULL;
    int err;
    cJSON_AddStringToObject(j, "name", name);
    cJSON_AddStringToObject(j, "type", ipl_asm_type_name(type));
    for (size_t i = 0; arr && i < nby; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(by[i]));
    if (!arr || !(newj = cJSON_PrintUnformatted(j))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    const void *v;
    size_t vn;
    if (ipl_store_kv_get(t, GROUP_NS, name, &v, &vn) == IPL_OK) {
        if (!(oldj = malloc(vn + 1))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(oldj, v, vn);
        oldj[vn] = '\0';
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (oldj && strcmp(oldj, newj) == 0)
        goto out;                                   /* nothing changes: no event */
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_put(b, GROUP_NS, name, newj, strlen(newj), d)) ||
        (err = group_event(b, a, oldj ? "edit" : "create", name, oldj, newj, d)) ||
        (err = ipl_store_commit(st, b, NULL, d)))
        goto out;
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm__unlock(&lk);
    cJSON_free(newj);
    free(oldj);
    cJSON_Delete(j);
    return err;
}

int ipl_asm_group_delete(ipl_store *st, const ipl_asm_actor *a, const char *name, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    char *oldj = NULL;
    const void *v;
    size_t vn;
    int err;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    if (ipl_store_kv_get(t, GROUP_NS, name, &v, &vn) != IPL_OK) {
        err = ipl_diag_set(d, IPL_ENOTFOUND, "no logical group '%.80s'", name);
        goto out;
    }
    if (!(oldj = malloc(vn + 1))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(oldj, v, vn);
    oldj[vn] = '\0';
    ipl_rtxn_end(t);
    t = NULL;
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_del(b, GROUP_NS, name, d)) ||
        (err = group_event(b, a, "delete", name, oldj, NULL, d)) ||
        (err = ipl_store_commit(st, b, NULL, d)))
        goto out;
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm__unlock(&lk);
    free(oldj);
    return err;
}

typedef struct list_ctx {
    ipl_asm_group_fn fn;
    void *ctx;
    ipl_diag *d;
} list_ctx;

static int parse_def(const char *json, size_t n, ipl_asm_group *g, ipl_diag *d)
{
    cJSON *j = cJSON_ParseWithLength(json, n);
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name"),
                *ty = cJSON_GetObjectItemCaseSensitive(j, "type"),
                *by = cJSON_GetObjectItemCaseSensitive(j, "by");
    memset(g, 0, sizeof *g);
    if (!cJSON_IsString(nm) || !cJSON_IsString(ty) || !cJSON_IsArray(by) ||
        ipl_asm_type_parse(ty->valuestring, &g->type) != IPL_OK) {
        cJSON_Delete(j);
        return ipl_diag_set(d, IPL_ECORRUPT, "a logical group definition is damaged: %.120s",
                            json);
    }
    snprintf(g->name, sizeof g->name, "%s", nm->valuestring);
    const cJSON *e;
    cJSON_ArrayForEach(e, by) {
        if (g->nby < IPL_ASM_GROUP_LEVELS && cJSON_IsString(e))
            snprintf(g->by[g->nby++], sizeof g->by[0], "%s", e->valuestring);
    }
    cJSON_Delete(j);
    return IPL_OK;
}

static int list_one(void *ctx, const char *key, const void *val, size_t n)
{
    list_ctx *l = ctx;
    ipl_asm_group g;
    int err = parse_def(val, n, &g, l->d);
    return err ? err : l->fn(l->ctx, &g);
}

int ipl_asm_group_list(ipl_rtxn *t, ipl_asm_group_fn fn, void *ctx, ipl_diag *d)
{
    list_ctx l = {fn, ctx, d};
    return ipl_store_kv_scan(t, GROUP_NS, list_one, &l, d);
}

int ipl_asm_group_get(ipl_rtxn *t, const char *name, ipl_asm_group *g, ipl_diag *d)
{
    const void *v;
    size_t vn;
    if (ipl_store_kv_get(t, GROUP_NS, name, &v, &vn) != IPL_OK)
        return ipl_diag_set(d, IPL_ENOTFOUND, "no logical group '%.80s'", name);
    return parse_def(v, vn, g, d);
}

/* the values of field f of o: a custom field's list, a string or number field, or none */
static size_t values_of(const ipl_asm_obj *o, const char *f, const char **out, size_t max,
                        char numbuf[32])
{
    const cJSON *j = o->j, *x;
    size_t n = 0;
    if (strncmp(f, "custom.", 7) == 0) {
        x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "custom"), f + 7);
        const cJSON *e;
        if (cJSON_IsArray(x)) {
            cJSON_ArrayForEach(e, x) {
                if (n < max && cJSON_IsString(e) && e->valuestring[0])
                    out[n++] = e->valuestring;
            }
        } else if (cJSON_IsString(x) && x->valuestring[0]) {
            out[n++] = x->valuestring;
        }
        return n;
    }
    x = cJSON_GetObjectItemCaseSensitive(j, f);
    if (cJSON_IsString(x) && x->valuestring[0])
        out[n++] = x->valuestring;
    else if (cJSON_IsNumber(x)) {
        snprintf(numbuf, 32, "%g", x->valuedouble);
        out[n++] = numbuf;
    }
    return n;
}

typedef struct gnode {
    char path[IPL_ASM_GROUP_PATH];
    int depth;
    uint64_t objects;
    ipl_asm_util u;
} gnode;

typedef struct gacc {
    gnode *v;
    size_t n, cap;
    uint32_t *slot;          /* open addressing over (depth, path): node index + 1 */
    size_t nslot;
} gacc;

static uint64_t node_hash(const char *path, int depth)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)depth;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static int rehash(gacc *a, size_t nslot)
{
    uint32_t *ns = calloc(nslot, sizeof *ns);
    if (!ns)
        return IPL_ENOMEM;
    for (size_t i = 0; i < a->n; i++) {
        size_t k = node_hash(a->v[i].path, a->v[i].depth) & (nslot - 1);
        while (ns[k])
            k = (k + 1) & (nslot - 1);
        ns[k] = (uint32_t)i + 1;
    }
    free(a->slot);
    a->slot = ns;
    a->nslot = nslot;
    return IPL_OK;
}

static gnode *node_get(gacc *a, const char *path, int depth)
{
    if (a->n * 2 >= a->nslot && rehash(a, a->nslot ? a->nslot * 2 : 256))
        return NULL;
    size_t k = node_hash(path, depth) & (a->nslot - 1);
    for (; a->slot[k]; k = (k + 1) & (a->nslot - 1)) {
        gnode *g = &a->v[a->slot[k] - 1];
        if (g->depth == depth && strcmp(g->path, path) == 0)
            return g;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        if (a->n >= IPL_ASM_GROUP_NODES)
            return NULL;
        gnode *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        a->v = nv;
        a->cap = cap;
    }
    gnode *g = &a->v[a->n];
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", path);
    g->depth = depth;
    a->slot[k] = (uint32_t)++a->n;
    return g;
}

static int node_cmp(const void *x, const void *y)
{
    return strcmp(((const gnode *)x)->path, ((const gnode *)y)->path);
}

/* every path of o through the group's levels, each added with o's utilization */
static int add_paths(gacc *a, const ipl_asm_group *g, const ipl_asm_obj *o, const ipl_asm_util *u,
                     size_t level, char *path, size_t plen, ipl_diag *d)
{
    if (level == g->nby)
        return IPL_OK;
    const char *vals[IPL_ASM_GROUP_FANOUT];
    char num[32];
    size_t nv = values_of(o, g->by[level], vals, IPL_ASM_GROUP_FANOUT, num);
    if (nv == 0) {
        vals[0] = "(none)";
        nv = 1;
    }
    for (size_t i = 0; i < nv; i++) {
        int w = snprintf(path + plen, IPL_ASM_GROUP_PATH - plen, "%s%s", level ? "/" : "",
                         vals[i]);
        if (w < 0 || (size_t)w >= IPL_ASM_GROUP_PATH - plen)
            return ipl_diag_set(d, IPL_ELIMIT, "logical group '%s': a path is longer than %d "
                                "bytes", g->name, IPL_ASM_GROUP_PATH - 1);
        gnode *nd = node_get(a, path, (int)level + 1);
        if (!nd)
            return ipl_diag_set(d, IPL_ELIMIT, "logical group '%s' has more than %d nodes",
                                g->name, IPL_ASM_GROUP_NODES);
        nd->objects++;
        nd->u.size += u->size;
        nd->u.used += u->used;
        nd->u.leased += u->leased;
        int err = add_paths(a, g, o, u, level + 1, path, plen + (size_t)w, d);
        if (err)
            return err;
    }
    path[plen] = '\0';
    return IPL_OK;
}

int ipl_asm_group_eval(ipl_rtxn *t, const ipl_asm_view *v, const ipl_asm_group *g, int64_t at,
                       ipl_asm_group_row_fn fn, void *ctx, ipl_diag *d)
{
    gacc a = {0};
    char path[IPL_ASM_GROUP_PATH];
    ipl_asm_utilcur *uc = NULL;
    size_t n = ipl_asm_count(v, g->type);
    int err = ipl_asm_utilcur_open(t, v, at, &uc, d);   /* objects in view order: shared windows */
    for (size_t i = 0; i < n && !err; i++) {
        const ipl_asm_obj *o = ipl_asm_at(v, g->type, i);
        ipl_asm_util u = {0};
        if (g->type != IPL_ASM_ADDRESS && (err = ipl_asm_utilcur_get(uc, o, &u, d)))
            break;
        if (g->type == IPL_ASM_ADDRESS)
            u.size = 1;
        path[0] = '\0';
        err = add_paths(&a, g, o, &u, 0, path, 0, d);
    }
    if (!err && a.n)
        qsort(a.v, a.n, sizeof *a.v, node_cmp);
    for (size_t i = 0; !err && i < a.n; i++) {
        gnode *nd = &a.v[i];
        nd->u.pct = nd->u.size > 0 ? 100.0 * nd->u.used / nd->u.size : 0;
        ipl_asm_group_row r = {nd->path, nd->depth, nd->objects, nd->u};
        err = fn(ctx, &r);
    }
    ipl_asm_utilcur_close(uc);
    free(a.v);
    free(a.slot);
    return err;
}
