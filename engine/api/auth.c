/* engine/api/auth.c — access control for `ipledger serve`, modeled on IPAM's RBAC (WINDOWS-IPAM.md
 * section 4): permissions, built-in and custom roles, the access scope tree under \Global, hashed
 * bearer tokens, and the config.change events that record every change to them.
 *
 * Pure code over the store's kv area: no clock (now is passed in), no I/O but the read
 * transaction and the batch given. Token secrets are never stored: kv "token"/<sha256 hex> holds
 * {"name","role","scope","expires","created","by"}. Custom roles: kv "role"/<name> = "read,audit".
 * Scopes: kv "scope"/<path> = "10.1.0.0/16,2001:db8::/32".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cJSON.h>

#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/sha256.h"

static const struct { const char *name; unsigned bit; } perm_table[] = {
#define IPL_PERM_ROW(name, bit, text, help) {text, 1u << bit},
    IPL_PERMS(IPL_PERM_ROW)
#undef IPL_PERM_ROW
};
#define NPERM (sizeof perm_table / sizeof perm_table[0])

const char *ipl_perm_name(unsigned perm)
{
    for (size_t i = 0; i < NPERM; i++)
        if (perm_table[i].bit == perm)
            return perm_table[i].name;
    return NULL;
}

int ipl_perm_parse(const char *list, unsigned *perms, ipl_diag *d)
{
    unsigned bits = 0;
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && p[0] == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        size_t i;
        for (i = 0; i < NPERM; i++)
            if (strlen(perm_table[i].name) == n && memcmp(perm_table[i].name, p, n) == 0)
                break;
        if (i == NPERM)
            return ipl_diag_set(d, IPL_EINVAL, "unknown permission '%.*s'", (int)(n > 64 ? 64 : n), p);
        bits |= perm_table[i].bit;
        p = e ? e + 1 : NULL;
    }
    *perms = bits;
    return IPL_OK;
}

/* IPAM's built-in roles mapped onto ipledger's operations (docs/design/server.md). */
static const struct { const char *name; unsigned perms; } roles[] = {
    {"Administrator",          IPL_PERM_ALL},
    {"IP Audit Administrator", IPL_PERM_READ | IPL_PERM_AUDIT | IPL_PERM_HOLD},
    {"ASM Administrator",      IPL_PERM_READ | IPL_PERM_ASM},
    {"MSM Administrator",      IPL_PERM_READ | IPL_PERM_MSM | IPL_PERM_INGEST},
    {"DHCP Administrator",     IPL_PERM_READ | IPL_PERM_DHCP},
    {"Reader",                 IPL_PERM_READ},
};

int ipl_role_builtin(const char *name, unsigned *perms)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, name) == 0) {
            *perms = roles[i].perms;
            return IPL_OK;
        }
    return IPL_ENOTFOUND;
}

int ipl_role_perms(ipl_rtxn *t, const char *name, unsigned *perms, ipl_diag *d)
{
    if (ipl_role_builtin(name, perms) == IPL_OK)
        return IPL_OK;
    const void *v;
    size_t n;
    if (!t || ipl_store_kv_get(t, "role", name, &v, &n) != IPL_OK)
        return ipl_diag_set(d, IPL_ENOTFOUND, "unknown role '%s'", name);
    char buf[512];
    if (n >= sizeof buf)
        return ipl_diag_set(d, IPL_ECORRUPT, "role '%s': definition too long", name);
    memcpy(buf, v, n);
    buf[n] = '\0';
    return ipl_perm_parse(buf, perms, d);
}

/* ---- scopes ---- */
int ipl_scope_valid(const char *path)
{
    size_t n = strlen(path);
    if (n >= IPL_SCOPE_MAX || strncmp(path, "\\Global", 7) != 0)
        return 0;
    if (n == 7)
        return 1;
    if (path[7] != '\\')
        return 0;
    /* no empty component, no trailing backslash, printable only */
    for (size_t i = 7; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f || c == ',')
            return 0;
        if (c == '\\' && (i + 1 == n || path[i + 1] == '\\'))
            return 0;
    }
    return 1;
}

int ipl_scope_within(const char *path, const char *scope)
{
    size_t n = strlen(scope);
    return strncmp(path, scope, n) == 0 && (path[n] == '\0' || path[n] == '\\');
}

struct scope_load { ipl_scope_map *m; ipl_diag *d; int err; };

static int scope_load_fn(void *ctx, const char *key, const void *val, size_t n)
{
    struct scope_load *sl = ctx;
    const char *p = val, *end = p + n;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
        if (len) {
            if (sl->m->n >= IPL_SCOPE_PREFIX) {
                sl->err = ipl_diag_set(sl->d, IPL_ELIMIT, "more than %d prefixes assigned to scopes",
                                       IPL_SCOPE_PREFIX);
                return 1;
            }
            ipl_prefix px;
            if (ipl_prefix_parse(p, len, 1, &px) == IPL_OK && strlen(key) < IPL_SCOPE_MAX) {
                sl->m->prefix[sl->m->n] = px;
                snprintf(sl->m->path[sl->m->n], IPL_SCOPE_MAX, "%s", key);
                sl->m->n++;
            }
        }
        p = c ? c + 1 : end;
    }
    return 0;
}

int ipl_scope_map_load(ipl_rtxn *t, ipl_scope_map *m, ipl_diag *d)
{
    m->n = 0;
    struct scope_load sl = {m, d, IPL_OK};
    int err = ipl_store_kv_scan(t, "scope", scope_load_fn, &sl, d);
    return sl.err ? sl.err : err;
}

const char *ipl_scope_of(const ipl_scope_map *m, const uint8_t ip[16])
{
    const char *best = "\\Global";
    int bits = -1;
    for (size_t i = 0; m && i < m->n; i++)
        if (m->prefix[i].bits > bits && ipl_prefix_contains(&m->prefix[i], ip)) {
            bits = m->prefix[i].bits;
            best = m->path[i];
        }
    return best;
}

int ipl_principal_sees(const ipl_principal *p, const uint8_t ip[16])
{
    if (p->global)
        return 1;
    return ipl_scope_within(ipl_scope_of(p->map, ip), p->scope);
}

/* ---- config.change events ---- */
static size_t cap_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > IPL_ATTR_VAL_MAX ? IPL_ATTR_VAL_MAX : n;
}

int ipl_change_event(ipl_batch *b, int64_t now, const ipl_principal *by, const char *object,
                     const char *action, const char *old_v, const char *new_v, const char *message,
                     ipl_diag *d)
{
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = now;
    ev.kind = IPL_K_CONFIG_CHANGE;
    ev.server = "ipledger";
    ev.source = "ipledger:api";
    const char *subject = by ? by->name : "unknown";
    ipl_event_add_attr(&ev, IPL_A_SUBJECT, subject, cap_len(subject));
    if (object)
        ipl_event_add_attr(&ev, IPL_A_OBJECT, object, cap_len(object));
    if (action)
        ipl_event_add_attr(&ev, IPL_A_ACTION, action, cap_len(action));
    if (old_v)
        ipl_event_add_attr(&ev, IPL_A_OLD, old_v, cap_len(old_v));
    if (new_v)
        ipl_event_add_attr(&ev, IPL_A_NEW, new_v, cap_len(new_v));
    if (message)
        ipl_event_add_attr(&ev, IPL_A_MESSAGE, message, cap_len(message));
    return ipl_batch_add(b, &ev, d);
}

/* ---- tokens ---- */
static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IPL_TOKEN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@'))
            return 0;
    }
    return 1;
}

static int token_decode(const void *val, size_t n, const char *key, ipl_token_info *ti)
{
    memset(ti, 0, sizeof *ti);
    cJSON *j = cJSON_ParseWithLength(val, n);
    if (!j)
        return IPL_ECORRUPT;
    const cJSON *x;
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "name")) && cJSON_IsString(x))
        snprintf(ti->name, sizeof ti->name, "%s", x->valuestring);
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "role")) && cJSON_IsString(x))
        snprintf(ti->role, sizeof ti->role, "%s", x->valuestring);
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "scope")) && cJSON_IsString(x))
        snprintf(ti->scope, sizeof ti->scope, "%s", x->valuestring);
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "by")) && cJSON_IsString(x))
        snprintf(ti->by, sizeof ti->by, "%s", x->valuestring);
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "created")) && cJSON_IsNumber(x))
        ti->created = (int64_t)x->valuedouble;
    if ((x = cJSON_GetObjectItemCaseSensitive(j, "expires")) && cJSON_IsNumber(x))
        ti->expires = (int64_t)x->valuedouble;
    snprintf(ti->hash_prefix, sizeof ti->hash_prefix, "%.12s", key);
    cJSON_Delete(j);
    return IPL_OK;
}

struct find_name { const char *name; char key[65]; int found; };

static int find_name_fn(void *ctx, const char *key, const void *val, size_t n)
{
    struct find_name *f = ctx;
    ipl_token_info ti;
    if (token_decode(val, n, key, &ti) == IPL_OK && strcmp(ti.name, f->name) == 0) {
        snprintf(f->key, sizeof f->key, "%s", key);
        f->found = 1;
        return 1;
    }
    return 0;
}

int ipl_token_create(ipl_rtxn *t, ipl_batch *b, const char *name, const char *role,
                     const char *scope, int64_t expires, const ipl_principal *by, int64_t now,
                     char secret[IPL_TOKEN_LEN + 1], ipl_diag *d)
{
    int err;
    char *json = NULL;
    cJSON *j = NULL;
    unsigned perms;
    if (!name_valid(name)) {
        err = ipl_diag_set(d, IPL_EINVAL, "token name '%.64s' is invalid (1-64 of A-Z a-z 0-9 - _ . @)", name);
        goto out;
    }
    if (!scope || !*scope)
        scope = "\\Global";
    if (!ipl_scope_valid(scope)) {
        err = ipl_diag_set(d, IPL_EINVAL, "scope '%.200s' is not a path under \\Global", scope);
        goto out;
    }
    if ((err = ipl_role_perms(t, role, &perms, d)))
        goto out;
    struct find_name f = {name, "", 0};
    if ((err = ipl_store_kv_scan(t, "token", find_name_fn, &f, d)) < 0)
        goto out;
    if (f.found) {
        err = ipl_diag_set(d, IPL_EEXIST, "a token named '%s' exists (revoke it first)", name);
        goto out;
    }
    uint8_t rnd[20];
    size_t got = 0;
    while (got < sizeof rnd) {
        ssize_t r = getrandom(rnd + got, sizeof rnd - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err = ipl_diag_set(d, IPL_EIO, "cannot read random bytes for a token");
            goto out;
        }
        got += (size_t)r;
    }
    memcpy(secret, "ipl_", 4);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(secret + 4 + 2 * i, 3, "%02x", rnd[i]);
    uint8_t h[32];
    char hex[65];
    ipl_sha256_once(secret, IPL_TOKEN_LEN, h);
    ipl_hex32(h, hex);
    j = cJSON_CreateObject();
    if (!j || !cJSON_AddStringToObject(j, "name", name) || !cJSON_AddStringToObject(j, "role", role) ||
        !cJSON_AddStringToObject(j, "scope", scope) ||
        !cJSON_AddStringToObject(j, "by", by ? by->name : "unknown") ||
        !cJSON_AddNumberToObject(j, "created", (double)now) ||
        !cJSON_AddNumberToObject(j, "expires", (double)expires) || !(json = cJSON_PrintUnformatted(j))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_put(b, "token", hex, json, strlen(json), d)))
        goto out;
    char obj[128];
    snprintf(obj, sizeof obj, "token:%s", name);
    char nv[512];
    snprintf(nv, sizeof nv, "role=%s scope=%s", role, scope);
    err = ipl_change_event(b, now, by, obj, "token.create", NULL, nv, NULL, d);
out:
    free(json);
    cJSON_Delete(j);
    return err;
}

int ipl_token_revoke(ipl_rtxn *t, ipl_batch *b, const char *name, const ipl_principal *by,
                     int64_t now, ipl_diag *d)
{
    struct find_name f = {name, "", 0};
    int err = ipl_store_kv_scan(t, "token", find_name_fn, &f, d);
    if (err < 0)
        return err;
    if (!f.found)
        return ipl_diag_set(d, IPL_ENOTFOUND, "no token named '%.64s'", name);
    if ((err = ipl_batch_kv_del(b, "token", f.key, d)))
        return err;
    char obj[128];
    snprintf(obj, sizeof obj, "token:%s", name);
    return ipl_change_event(b, now, by, obj, "token.revoke", NULL, NULL, NULL, d);
}

struct list_ctx { ipl_token_fn fn; void *ctx; };

static int list_fn(void *ctx, const char *key, const void *val, size_t n)
{
    struct list_ctx *l = ctx;
    ipl_token_info ti;
    if (token_decode(val, n, key, &ti) != IPL_OK)
        return 0;
    return l->fn(l->ctx, &ti);
}

int ipl_token_list(ipl_rtxn *t, ipl_token_fn fn, void *ctx, ipl_diag *d)
{
    struct list_ctx l = {fn, ctx};
    return ipl_store_kv_scan(t, "token", list_fn, &l, d);
}

int ipl_token_auth(ipl_rtxn *t, const char *secret, size_t len, int64_t now, ipl_principal *p,
                   ipl_diag *d)
{
    memset(p, 0, sizeof *p);
    if (len != IPL_TOKEN_LEN || memcmp(secret, "ipl_", 4) != 0)
        return ipl_diag_set(d, IPL_EACCES, "malformed bearer token");
    uint8_t h[32];
    char hex[65];
    ipl_sha256_once(secret, len, h);
    ipl_hex32(h, hex);
    const void *v;
    size_t n;
    if (ipl_store_kv_get(t, "token", hex, &v, &n) != IPL_OK)
        return ipl_diag_set(d, IPL_EACCES, "unknown or revoked token");
    ipl_token_info ti;
    if (token_decode(v, n, hex, &ti) != IPL_OK)
        return ipl_diag_set(d, IPL_EACCES, "unreadable token record");
    if (ti.expires && now >= ti.expires)
        return ipl_diag_set(d, IPL_EACCES, "token '%s' expired", ti.name);
    if (ipl_role_perms(t, ti.role, &p->perms, d))
        return ipl_diag_set(d, IPL_EACCES, "token '%s': role '%s' no longer exists", ti.name, ti.role);
    snprintf(p->name, sizeof p->name, "token:%s", ti.name);
    snprintf(p->role, sizeof p->role, "%s", ti.role);
    snprintf(p->scope, sizeof p->scope, "%s", ti.scope[0] ? ti.scope : "\\Global");
    p->global = strcmp(p->scope, "\\Global") == 0;
    return IPL_OK;
}

int ipl_scope_set(ipl_rtxn *t, ipl_batch *b, const char *path, const char *prefixes,
                  const ipl_principal *by, int64_t now, ipl_diag *d)
{
    if (!ipl_scope_valid(path) || strcmp(path, "\\Global") == 0)
        return ipl_diag_set(d, IPL_EINVAL, "scope '%.200s' is not a path below \\Global", path);
    size_t n = strlen(prefixes);
    if (n > 16384)
        return ipl_diag_set(d, IPL_ELIMIT, "prefix list longer than 16384 bytes");
    for (const char *p = prefixes; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        ipl_prefix px;
        if (ipl_prefix_parse(p, len, 0, &px) != IPL_OK)
            return ipl_diag_set(d, IPL_EINVAL, "'%.*s' is not a prefix", (int)(len > 64 ? 64 : len), p);
        p = c ? c + 1 : p + len;
    }
    const void *ov = NULL;
    size_t on = 0;
    char old[512] = "";
    if (ipl_store_kv_get(t, "scope", path, &ov, &on) == IPL_OK)
        snprintf(old, sizeof old, "%.*s", (int)(on > 500 ? 500 : on), (const char *)ov);
    int err = n ? ipl_batch_kv_put(b, "scope", path, prefixes, n, d) : ipl_batch_kv_del(b, "scope", path, d);
    if (err)
        return err;
    return ipl_change_event(b, now, by, path, "scope.set", old[0] ? old : NULL, prefixes, NULL, d);
}

int ipl_role_set(ipl_rtxn *t, ipl_batch *b, const char *name, const char *perms,
                 const ipl_principal *by, int64_t now, ipl_diag *d)
{
    unsigned bits, dummy;
    if (!name_valid(name) || ipl_role_builtin(name, &dummy) == IPL_OK)
        return ipl_diag_set(d, IPL_EINVAL, "role name '%.64s' is invalid or built in", name);
    int err = ipl_perm_parse(perms, &bits, d);
    if (err)
        return err;
    if ((err = ipl_batch_kv_put(b, "role", name, perms, strlen(perms), d)))
        return err;
    char obj[128];
    snprintf(obj, sizeof obj, "role:%s", name);
    return ipl_change_event(b, now, by, obj, "role.set", NULL, perms, NULL, d);
}
