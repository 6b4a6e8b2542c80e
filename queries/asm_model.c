/* queries/asm_model.c — the address-space objects: ids, validation, hierarchy, the kv encoding
 * (JSON via cJSON, kept inside this file), mutations as config.change events, the writer lock,
 * rebuild-from-log and discovery of ranges from lease traffic.
 *
 * Object JSON (the kv value and the event's "new" attribute, byte for byte):
 *   {"type":"range","space":"default","id":"10.1.0.1-10.1.0.254","subnet":"10.1.0.0/24",
 *    "managed_by":"dhcp1","origin":"manual","exclude":["10.1.0.10-10.1.0.20"],
 *    "custom":{"site":["ams"]},"description":"..."}
 * Computed fields (not settable): type, space, id, block (of a subnet), subnet (of a range),
 * range (of an address), class and public (of a block), version (4|6).
 */
#include "queries/asm_int.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char *const type_names[IPL_ASM__TYPES] = {"space", "block", "subnet", "range",
                                                       "address"};
static const char *const type_ns[IPL_ASM__TYPES] = {"asm.space", "asm.block", "asm.subnet",
                                                    "asm.range", "asm.address"};

const char *ipl_asm_type_name(ipl_asm_type t)
{
    return (unsigned)t < IPL_ASM__TYPES ? type_names[t] : "unknown";
}

int ipl_asm_type_parse(const char *s, ipl_asm_type *t)
{
    for (int i = 0; i < IPL_ASM__TYPES; i++)
        if (s && strcmp(s, type_names[i]) == 0) {
            *t = (ipl_asm_type)i;
            return IPL_OK;
        }
    return IPL_EINVAL;
}

static int64_t wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ipl_asm_actor_default(ipl_asm_actor *a)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    memset(a, 0, sizeof *a);
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
        snprintf(a->principal, sizeof a->principal, "os:%s", res->pw_name);
    else
        snprintf(a->principal, sizeof a->principal, "os:uid%u", (unsigned)geteuid());
    if (gethostname(a->host, sizeof a->host - 1) != 0)
        snprintf(a->host, sizeof a->host, "localhost");
}

int64_t ipl_asm_now(const ipl_asm_actor *a)
{
    return a && a->clock ? a->clock() : wall_clock();
}

/* ---- 128-bit helpers ---- */

void ipl_asm__inc(uint8_t ip[16])
{
    for (int i = 15; i >= 0; i--)
        if (++ip[i] != 0)
            break;
}

void ipl_asm__dec(uint8_t ip[16])
{
    for (int i = 15; i >= 0; i--)
        if (ip[i]-- != 0)
            break;
}

double ipl_asm__size(const uint8_t lo[16], const uint8_t hi[16])
{
    double s = 0;
    int borrow = 0;
    uint8_t diff[16];
    for (int i = 15; i >= 0; i--) {
        int x = (int)hi[i] - (int)lo[i] - borrow;
        borrow = x < 0;
        diff[i] = (uint8_t)(x + (borrow ? 256 : 0));
    }
    for (int i = 0; i < 16; i++)
        s = s * 256.0 + diff[i];
    return s + 1.0;
}

int ipl_asm__parse_span(const char *s, uint8_t lo[16], uint8_t hi[16])
{
    const char *dash = strchr(s, '-');
    if (!dash) {
        if (ipl_ip_parse(s, strlen(s), lo))
            return IPL_EPARSE;
        memcpy(hi, lo, 16);
        return IPL_OK;
    }
    if (ipl_ip_parse(s, (size_t)(dash - s), lo) || ipl_ip_parse(dash + 1, strlen(dash + 1), hi))
        return IPL_EPARSE;
    if (ipl_ip_is_v4(lo) != ipl_ip_is_v4(hi) || memcmp(lo, hi, 16) > 0)
        return IPL_EINVAL;
    return IPL_OK;
}

static void hex16(const uint8_t b[16], char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[32] = 0;
}

/* ---- ids ---- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= IPL_ASM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Fills type, space, id (canonical), lo/hi/v4 and key from (type, space, id text). */
static int obj_ident(ipl_asm_obj *o, ipl_asm_type t, const char *space, const char *id,
                     ipl_diag *d)
{
    char lh[33], hh[33];
    memset(o, 0, sizeof *o);
    o->type = t;
    if (!space)
        space = IPL_ASM_DEFAULT_SPACE;
    if (!id || !*id)
        return ipl_diag_set(d, IPL_EINVAL, "%s: an id is required", type_names[t]);
    if (strlen(id) >= sizeof o->id)
        return ipl_diag_set(d, IPL_EINVAL, "%s '%.40s...': id too long", type_names[t], id);
    if (t == IPL_ASM_SPACE) {
        if (!valid_name(id))
            return ipl_diag_set(d, IPL_EINVAL,
                                "space '%s': names are 1-63 letters, digits, '.', '_' or '-'", id);
        memcpy(o->space, id, strlen(id) + 1);   /* valid_name: < IPL_ASM_NAME_MAX */
        memcpy(o->id, id, strlen(id) + 1);
        snprintf(o->key, sizeof o->key, "%s", id);
        return IPL_OK;
    }
    if (!valid_name(space))
        return ipl_diag_set(d, IPL_EINVAL, "space '%s': not a valid space name", space);
    snprintf(o->space, sizeof o->space, "%s", space);
    if (t == IPL_ASM_BLOCK || t == IPL_ASM_SUBNET) {
        ipl_prefix p;
        if (!strchr(id, '/'))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': not a prefix (give ADDRESS/LENGTH)",
                                type_names[t], id);
        if (ipl_prefix_parse(id, strlen(id), 0, &p))
            return ipl_diag_set(d, IPL_EINVAL,
                                "%s '%s': invalid prefix (bad address, length, or host bits set)",
                                type_names[t], id);
        memcpy(o->lo, p.lo, 16);
        memcpy(o->hi, p.hi, 16);
        o->v4 = p.v4;
        ipl_prefix_format(&p, o->id, sizeof o->id);
    } else if (t == IPL_ASM_RANGE) {
        char a1[IPL_IP_TEXT], a2[IPL_IP_TEXT];
        int rc = ipl_asm__parse_span(id, o->lo, o->hi);
        if (rc == IPL_EPARSE || !strchr(id, '-'))
            return ipl_diag_set(d, IPL_EINVAL, "range '%s': expected START-END addresses", id);
        if (rc)
            return ipl_diag_set(d, IPL_EINVAL,
                                "range '%s': start after end, or IPv4 and IPv6 mixed", id);
        o->v4 = ipl_ip_is_v4(o->lo);
        ipl_ip_format(o->lo, a1, sizeof a1);
        ipl_ip_format(o->hi, a2, sizeof a2);
        snprintf(o->id, sizeof o->id, "%s-%s", a1, a2);
    } else {
        if (ipl_ip_parse(id, strlen(id), o->lo))
            return ipl_diag_set(d, IPL_EINVAL, "address '%s': not an IP address", id);
        memcpy(o->hi, o->lo, 16);
        o->v4 = ipl_ip_is_v4(o->lo);
        ipl_ip_format(o->lo, o->id, sizeof o->id);
    }
    hex16(o->lo, lh);
    hex16(o->hi, hh);
    snprintf(o->key, sizeof o->key, "%s|%s|%s", o->space, lh, hh);
    return IPL_OK;
}

/* ---- the view ---- */

int ipl_asm__cmp(const ipl_asm_obj *a, const ipl_asm_obj *b)
{
    int c = strcmp(a->space, b->space);
    if (c)
        return c;
    if ((c = memcmp(a->lo, b->lo, 16)))
        return c;
    return memcmp(a->hi, b->hi, 16);
}

size_t ipl_asm__lower(const ipl_asm_view *v, ipl_asm_type t, const char *space,
                      const uint8_t lo[16])
{
    size_t a = 0, b = v->n[t];
    while (a < b) {
        size_t m = a + (b - a) / 2;
        const ipl_asm_obj *o = v->o[t][m];
        int c = strcmp(o->space, space);
        if (c == 0)
            c = memcmp(o->lo, lo, 16);
        if (c < 0)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static void obj_free(ipl_asm_obj *o)
{
    if (o) {
        cJSON_Delete(o->j);
        free(o);
    }
}

void ipl_asm_view_free(ipl_asm_view *v)
{
    if (!v)
        return;
    for (int t = 0; t < IPL_ASM__TYPES; t++) {
        for (size_t i = 0; i < v->n[t]; i++)
            obj_free(v->o[t][i]);
        free(v->o[t]);
    }
    free(v);
}

size_t ipl_asm_count(const ipl_asm_view *v, ipl_asm_type t) { return v->n[t]; }

const ipl_asm_obj *ipl_asm_at(const ipl_asm_view *v, ipl_asm_type t, size_t i)
{
    return i < v->n[t] ? v->o[t][i] : NULL;
}

static size_t find_exact(const ipl_asm_view *v, const ipl_asm_obj *key)
{
    ipl_asm_type t = key->type;
    /* spaces sort like the others: their space is their name, their bounds zero */
    for (size_t i = ipl_asm__lower(v, t, key->space, key->lo); i < v->n[t]; i++) {
        int c = ipl_asm__cmp(v->o[t][i], key);
        if (c == 0)
            return i;
        if (c > 0)
            break;
    }
    return (size_t)-1;
}

const ipl_asm_obj *ipl_asm_find(const ipl_asm_view *v, ipl_asm_type t, const char *space,
                                const char *id)
{
    ipl_asm_obj k;
    if (obj_ident(&k, t, space, id, NULL))
        return NULL;
    size_t i = find_exact(v, &k);
    return i == (size_t)-1 ? NULL : v->o[t][i];
}

/* Inserts o (takes ownership) in order; replaces an object with the same identity. */
static int view_put(ipl_asm_view *v, ipl_asm_obj *o, ipl_diag *d)
{
    ipl_asm_type t = o->type;
    size_t i = find_exact(v, o);
    if (i != (size_t)-1) {
        obj_free(v->o[t][i]);
        v->o[t][i] = o;
        return IPL_OK;
    }
    if (v->n[t] >= IPL_ASM_OBJECTS_MAX) {
        obj_free(o);
        return ipl_diag_set(d, IPL_ELIMIT, "more than %d %s objects", IPL_ASM_OBJECTS_MAX,
                            type_names[t]);
    }
    if (v->n[t] == v->cap[t]) {
        size_t nc = v->cap[t] ? v->cap[t] * 2 : 64;
        ipl_asm_obj **no = realloc(v->o[t], nc * sizeof *no);
        if (!no) {
            obj_free(o);
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory loading the address space");
        }
        v->o[t] = no;
        v->cap[t] = nc;
    }
    i = ipl_asm__lower(v, t, o->space, o->lo);
    while (i < v->n[t] && ipl_asm__cmp(v->o[t][i], o) < 0)
        i++;
    memmove(&v->o[t][i + 1], &v->o[t][i], (v->n[t] - i) * sizeof *v->o[t]);
    v->o[t][i] = o;
    v->n[t]++;
    return IPL_OK;
}

static void view_del(ipl_asm_view *v, const ipl_asm_obj *key)
{
    ipl_asm_type t = key->type;
    size_t i = find_exact(v, key);
    if (i == (size_t)-1)
        return;
    obj_free(v->o[t][i]);
    memmove(&v->o[t][i], &v->o[t][i + 1], (v->n[t] - i - 1) * sizeof *v->o[t]);
    v->n[t]--;
}

/* An object from its JSON text (returns owned). */
static int obj_from_json(const char *txt, size_t n, ipl_asm_obj **out, ipl_diag *d)
{
    ipl_asm_obj *o = NULL;
    cJSON *j = NULL;
    ipl_asm_type t;
    int err = IPL_OK;
    *out = NULL;
    if (n > IPL_ASM_JSON_MAX * 4) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "address-space object of %zu bytes", n);
        goto out;
    }
    j = cJSON_ParseWithLength(txt, n);
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(j, "space");
    const cJSON *ji = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (!j || !cJSON_IsString(jt) || !cJSON_IsString(ji) || !cJSON_IsString(js) ||
        ipl_asm_type_parse(jt->valuestring, &t)) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "address-space object is not valid JSON: '%.60s'",
                           txt);
        goto out;
    }
    if (!(o = malloc(sizeof *o))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = obj_ident(o, t, js->valuestring, ji->valuestring, d)))
        goto out;
    o->j = j;
    j = NULL;
    *out = o;
    o = NULL;
out:
    cJSON_Delete(j);
    free(o);
    return err;
}

typedef struct load_ctx {
    ipl_asm_view *v;
    ipl_diag     *d;
    int           err;
} load_ctx;

static int load_one(void *c, const char *key, const void *val, size_t n)
{
    load_ctx *x = c;
    ipl_asm_obj *o;
    if ((x->err = obj_from_json(val, n, &o, x->d)))
        return 1;
    if ((x->err = view_put(x->v, o, x->d)))
        return 1;
    return 0;
}

static int view_new(ipl_asm_view **out, ipl_diag *d)
{
    if (!(*out = calloc(1, sizeof **out)))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    return IPL_OK;
}

int ipl_asm_view_load(ipl_rtxn *t, ipl_asm_view **out, ipl_diag *d)
{
    ipl_asm_view *v = NULL;
    int err;
    *out = NULL;
    if ((err = view_new(&v, d)))
        goto out;
    for (int ty = 0; ty < IPL_ASM__TYPES; ty++) {
        load_ctx x = {v, d, IPL_OK};
        int rc = ipl_store_kv_scan(t, type_ns[ty], load_one, &x, d);
        if (x.err) {
            err = x.err;
            goto out;
        }
        if (rc < 0) {
            err = rc;
            goto out;
        }
    }
    *out = v;
    v = NULL;
out:
    ipl_asm_view_free(v);
    return err;
}

ipl_asm_type ipl_asm_obj_type(const ipl_asm_obj *o) { return o->type; }
const char *ipl_asm_obj_space(const ipl_asm_obj *o) { return o->space; }
const char *ipl_asm_obj_id(const ipl_asm_obj *o) { return o->id; }

void ipl_asm_obj_bounds(const ipl_asm_obj *o, uint8_t lo[16], uint8_t hi[16])
{
    memcpy(lo, o->lo, 16);
    memcpy(hi, o->hi, 16);
}

const char *ipl_asm_obj_str(const ipl_asm_obj *o, const char *field)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o->j, field);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

const char *ipl_asm__obj_list(const ipl_asm_obj *o, const char *field, size_t i)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o->j, field);
    if (!cJSON_IsArray(x) || i >= (size_t)cJSON_GetArraySize(x))
        return NULL;
    const cJSON *e = cJSON_GetArrayItem(x, (int)i);
    return cJSON_IsString(e) ? e->valuestring : NULL;
}

char *ipl_asm_obj_json(const ipl_asm_obj *o)
{
    char *s = cJSON_PrintUnformatted(o->j), *r = s ? strdup(s) : NULL;
    cJSON_free(s);
    return r;
}

const ipl_asm_obj *ipl_asm_parent(const ipl_asm_view *v, const ipl_asm_obj *o,
                                  ipl_asm_type parent)
{
    size_t i = ipl_asm__lower(v, parent, o->space, o->lo);
    /* objects of one type never overlap in a space: only the one starting at or before o->lo
     * can contain it */
    if (i < v->n[parent] && memcmp(v->o[parent][i]->lo, o->lo, 16) == 0 &&
        strcmp(v->o[parent][i]->space, o->space) == 0)
        return memcmp(v->o[parent][i]->hi, o->hi, 16) >= 0 ? v->o[parent][i] : NULL;
    if (i == 0)
        return NULL;
    const ipl_asm_obj *p = v->o[parent][i - 1];
    if (strcmp(p->space, o->space) != 0 || memcmp(p->hi, o->hi, 16) < 0)
        return NULL;
    return p;
}

static int parse_pct(const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || x < 0 || x > 100)
        return IPL_EINVAL;
    *out = x;
    return IPL_OK;
}

void ipl_asm_thresholds(const ipl_asm_obj *o, double *low, double *high)
{
    const char *l = ipl_asm_obj_str(o, "low"), *h = ipl_asm_obj_str(o, "high");
    *low = IPL_ASM_LOW_DEFAULT;
    *high = IPL_ASM_HIGH_DEFAULT;
    if (l)
        parse_pct(l, low);
    if (h)
        parse_pct(h, high);
}

/* ---- the lock ---- */

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

int ipl_asm__lock(ipl_store *st, ipl_asm_lock *l, ipl_diag *d)
{
    char path[4096];
    l->fd = -1;
    snprintf(path, sizeof path, "%s/asm.lock", ipl_store_dir(st));
    pthread_mutex_lock(&proc_lock);
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0 || flock(l->fd, LOCK_EX) != 0) {
        int e = errno;
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        pthread_mutex_unlock(&proc_lock);
        return ipl_diag_set(d, e == EACCES || e == EROFS ? IPL_EACCES : IPL_EIO,
                            "cannot lock '%s': %s", path, strerror(e));
    }
    return IPL_OK;
}

void ipl_asm__unlock(ipl_asm_lock *l)
{
    if (l->fd >= 0) {
        flock(l->fd, LOCK_UN);
        close(l->fd);
        l->fd = -1;
        pthread_mutex_unlock(&proc_lock);
    }
}

/* ---- fields ---- */

enum fkind { F_STR, F_ENUM, F_MAC, F_DUID, F_VLAN, F_DATE, F_PCT, F_SPAN_LIST, F_NAME };
#define TB (1u << IPL_ASM_BLOCK)
#define TS (1u << IPL_ASM_SUBNET)
#define TR (1u << IPL_ASM_RANGE)
#define TA (1u << IPL_ASM_ADDRESS)
#define TP (1u << IPL_ASM_SPACE)
typedef struct fspec {
    const char *name;
    unsigned    types;
    enum fkind  kind;
    const char *values;     /* F_ENUM: "|a|b|c|" */
} fspec;
static const fspec fields[] = {
    {"description", TP | TB | TS | TR | TA, F_STR, NULL},
    {"owner", TB | TS | TR | TA, F_STR, NULL},
    {"name", TS | TR, F_STR, NULL},
    {"vlan", TS | TR, F_VLAN, NULL},
    {"low", TB | TS | TR, F_PCT, NULL},
    {"high", TB | TS | TR, F_PCT, NULL},
    {"kind", TP, F_ENUM, "|provider|customer|"},
    {"provider", TP, F_NAME, NULL},
    {"rir", TB, F_ENUM, "|AFRINIC|APNIC|ARIN|LACNIC|RIPE|"},
    {"received", TB, F_DATE, NULL},
    {"managed_by", TR, F_STR, NULL},
    {"service_instance", TR, F_STR, NULL},
    {"origin", TR, F_ENUM, "|manual|discovered|import|"},
    {"exclude", TR, F_SPAN_LIST, NULL},
    {"state", TA, F_ENUM, "|in-use|reserved|inactive|"},
    {"assignment", TA, F_ENUM, "|static|dynamic|reserved|vip|"},
    {"mac", TA, F_MAC, NULL},
    {"duid", TA, F_DUID, NULL},
    {"device", TA, F_STR, NULL},
    {"expiry", TA, F_DATE, NULL},
};

static const fspec *field_spec(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static int valid_date(const char *s)
{
    /* YYYY-MM-DD */
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), dd = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

/* Validates one value and returns the canonical text in out. */
static int field_value(const ipl_asm_obj *o, const fspec *f, const char *val, char *out,
                       size_t outsz, ipl_diag *d)
{
    const char *tn = type_names[o->type];
    size_t n = strlen(val);
    if (n >= outsz || n > 1024)
        return ipl_diag_set(d, IPL_ELIMIT, "%s '%s': %s: value longer than 1024 bytes", tn,
                            o->id, f->name);
    switch (f->kind) {
    case F_STR:
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)val[i] < 0x20)
                return ipl_diag_set(d, IPL_EINVAL, "%s '%s': %s: control character in value",
                                    tn, o->id, f->name);
        snprintf(out, outsz, "%s", val);
        return IPL_OK;
    case F_ENUM: {
        char pat[80];
        snprintf(pat, sizeof pat, "|%.70s|", val);
        if (!*val || n > 70 || strchr(val, '|') || !strstr(f->values, pat))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': %s '%s' is not one of %s", tn, o->id,
                                f->name, val, f->values);
        snprintf(out, outsz, "%s", val);
        return IPL_OK;
    }
    case F_NAME:
        if (!valid_name(val))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': %s '%s' is not a valid name", tn,
                                o->id, f->name, val);
        snprintf(out, outsz, "%s", val);
        return IPL_OK;
    case F_MAC: {
        char m[13];
        if (ipl_mac_canon(val, n, m))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': mac '%s' is not a MAC address", tn,
                                o->id, val);
        snprintf(out, outsz, "%s", m);
        return IPL_OK;
    }
    case F_DUID:
        if (n > 260 || ipl_hex_canon(val, n, out, outsz))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': duid '%s' is not hex", tn, o->id, val);
        return IPL_OK;
    case F_VLAN: {
        char *end;
        long x = strtol(val, &end, 10);
        if (end == val || *end || x < 1 || x > 4094)
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': vlan '%s' is not 1-4094", tn, o->id,
                                val);
        snprintf(out, outsz, "%ld", x);
        return IPL_OK;
    }
    case F_DATE:
        if (!valid_date(val))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': %s '%s' is not a date YYYY-MM-DD", tn,
                                o->id, f->name, val);
        snprintf(out, outsz, "%s", val);
        return IPL_OK;
    case F_PCT: {
        double x;
        if (parse_pct(val, &x))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': %s '%s' is not a percentage 0-100", tn,
                                o->id, f->name, val);
        snprintf(out, outsz, "%g", x);
        return IPL_OK;
    }
    case F_SPAN_LIST: {
        uint8_t lo[16], hi[16];
        char a1[IPL_IP_TEXT], a2[IPL_IP_TEXT];
        if (ipl_asm__parse_span(val, lo, hi))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': exclude '%s' is not ADDRESS or A-B", tn,
                                o->id, val);
        if (memcmp(lo, o->lo, 16) < 0 || memcmp(hi, o->hi, 16) > 0)
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': exclusion '%s' is outside the range",
                                tn, o->id, val);
        ipl_ip_format(lo, a1, sizeof a1);
        ipl_ip_format(hi, a2, sizeof a2);
        snprintf(out, outsz, "%s-%s", a1, a2);
        return IPL_OK;
    }
    }
    return IPL_EINVAL;
}

/* Applies "key=value" fields to o->j (edit semantics: "key=" removes; list fields and custom.X
 * take every value given in this call). */
static int apply_fields(ipl_asm_obj *o, const char *const *fv, size_t n, ipl_diag *d)
{
    char key[80], val[1100];
    const char *tn = type_names[o->type];
    if (n > IPL_ASM_FIELDS_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "%s '%s': more than %d fields", tn, o->id,
                            IPL_ASM_FIELDS_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(fv[i], '=');
        if (!eq || eq == fv[i] || (size_t)(eq - fv[i]) >= sizeof key)
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': field '%.60s' is not KEY=VALUE", tn,
                                o->id, fv[i]);
        memcpy(key, fv[i], (size_t)(eq - fv[i]));
        key[eq - fv[i]] = 0;
        const char *v = eq + 1;
        int custom = strncmp(key, "custom.", 7) == 0;
        const fspec *f = custom ? NULL : field_spec(key);
        if (custom) {
            if (!valid_name(key + 7))
                return ipl_diag_set(d, IPL_EINVAL, "%s '%s': custom field name '%s' is invalid",
                                    tn, o->id, key + 7);
            fspec cs = {"custom", 0, F_STR, NULL};
            cJSON *c = cJSON_GetObjectItemCaseSensitive(o->j, "custom");
            if (!c) {
                c = cJSON_AddObjectToObject(o->j, "custom");
                if (!c)
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            }
            /* first occurrence in this call replaces the list */
            int first = 1;
            for (size_t k = 0; k < i; k++)
                if (strncmp(fv[k], key, strlen(key)) == 0 && fv[k][strlen(key)] == '=')
                    first = 0;
            if (first)
                cJSON_DeleteItemFromObjectCaseSensitive(c, key + 7);
            if (*v) {
                int err = field_value(o, &cs, v, val, sizeof val, d);
                if (err)
                    return err;
                cJSON *arr = cJSON_GetObjectItemCaseSensitive(c, key + 7);
                if (!arr && !(arr = cJSON_AddArrayToObject(c, key + 7)))
                    return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                if (cJSON_GetArraySize(arr) >= 64)
                    return ipl_diag_set(d, IPL_ELIMIT, "%s '%s': more than 64 values of %s", tn,
                                        o->id, key);
                cJSON_AddItemToArray(arr, cJSON_CreateString(val));
            }
            if (cJSON_GetArraySize(c) == 0)
                cJSON_DeleteItemFromObjectCaseSensitive(o->j, "custom");
            continue;
        }
        if (!f || !(f->types & (1u << o->type)))
            return ipl_diag_set(d, IPL_EINVAL, "%s '%s': '%s' is not a field of a %s (see -h)",
                                tn, o->id, key, tn);
        if (f->kind == F_SPAN_LIST) {
            int first = 1;
            for (size_t k = 0; k < i; k++)
                if (strncmp(fv[k], key, strlen(key)) == 0 && fv[k][strlen(key)] == '=')
                    first = 0;
            if (first)
                cJSON_DeleteItemFromObjectCaseSensitive(o->j, key);
            if (!*v)
                continue;
            int err = field_value(o, f, v, val, sizeof val, d);
            if (err)
                return err;
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(o->j, key);
            if (!arr && !(arr = cJSON_AddArrayToObject(o->j, key)))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            if (cJSON_GetArraySize(arr) >= 256)
                return ipl_diag_set(d, IPL_ELIMIT, "%s '%s': more than 256 exclusions", tn,
                                    o->id);
            cJSON_AddItemToArray(arr, cJSON_CreateString(val));
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o->j, key);
        if (!*v)
            continue;
        int err = field_value(o, f, v, val, sizeof val, d);
        if (err)
            return err;
        if (!cJSON_AddStringToObject(o->j, key, val))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    return IPL_OK;
}

static void set_str(cJSON *j, const char *k, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(j, k);
    if (v)
        cJSON_AddStringToObject(j, k, v);
}

/* Address classification of a block: RFC 1918, 6598, 3927, 4193, 4291 (link-local), or public. */
static const char *classify(const ipl_asm_obj *o)
{
    static const struct { const char *pfx, *name; } cls[] = {
        {"10.0.0.0/8", "private (RFC 1918)"},     {"172.16.0.0/12", "private (RFC 1918)"},
        {"192.168.0.0/16", "private (RFC 1918)"}, {"100.64.0.0/10", "shared (RFC 6598)"},
        {"169.254.0.0/16", "link-local (RFC 3927)"}, {"127.0.0.0/8", "loopback"},
        {"192.0.2.0/24", "documentation (RFC 5737)"}, {"198.51.100.0/24", "documentation (RFC 5737)"},
        {"203.0.113.0/24", "documentation (RFC 5737)"}, {"fc00::/7", "unique local (RFC 4193)"},
        {"fe80::/10", "link-local (RFC 4291)"},    {"2001:db8::/32", "documentation (RFC 3849)"},
    };
    for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++) {
        ipl_prefix p;
        if (ipl_prefix_parse(cls[i].pfx, strlen(cls[i].pfx), 0, &p) == IPL_OK &&
            ipl_prefix_contains(&p, o->lo) && ipl_prefix_contains(&p, o->hi))
            return cls[i].name;
    }
    return "public";
}

/* ---- mutations ---- */

static const char *action_names[] = {"create", "edit", "delete"};

/* Adds the kv write and the config.change event for one object change. old/new JSON may be NULL. */
static int record(ipl_batch *b, const ipl_asm_actor *a, int64_t now, const ipl_asm_obj *o,
                  int action, const char *oldj, const char *newj, ipl_diag *d)
{
    ipl_event ev;
    char msg[800];
    int err;
    if (newj && strlen(newj) > IPL_ASM_JSON_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "%s '%s': object JSON over %d bytes",
                            type_names[o->type], o->id, IPL_ASM_JSON_MAX);
    if (action == IPL_ASM_DELETE)
        err = ipl_batch_kv_del(b, type_ns[o->type], o->key, d);
    else
        err = ipl_batch_kv_put(b, type_ns[o->type], o->key, newj, strlen(newj), d);
    if (err)
        return err;
    ipl_event_reset(&ev);
    ev.ts = now;
    ev.kind = IPL_K_CONFIG_CHANGE;
    ev.user = a->principal;
    ev.server = a->host;
    ev.source = IPL_ASM_SOURCE;
    if (o->type == IPL_ASM_ADDRESS) {
        ev.has_ip = 1;
        memcpy(ev.ip, o->lo, 16);
    }
    snprintf(msg, sizeof msg, "%s '%s' in space '%s' %s by %s", type_names[o->type], o->id,
             o->space,
             action == IPL_ASM_CREATE ? "created" : action == IPL_ASM_EDIT ? "edited" : "deleted",
             a->principal);
    const char *objn = type_ns[o->type], *actn = action_names[action];
    if ((err = ipl_event_add_attr(&ev, IPL_A_OBJECT, objn, strlen(objn))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_ACTION, actn, strlen(actn))) ||
        (oldj && (err = ipl_event_add_attr(&ev, IPL_A_OLD, oldj, strlen(oldj)))) ||
        (newj && (err = ipl_event_add_attr(&ev, IPL_A_NEW, newj, strlen(newj)))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg))))
        return ipl_diag_set(d, err, "%s '%s': cannot build its event", type_names[o->type],
                            o->id);
    return ipl_batch_add(b, &ev, d);
}

static char *print_json(const ipl_asm_obj *o)
{
    return cJSON_PrintUnformatted(o->j);
}

/* Children of o (the next type down, and addresses below ranges) in the view. */
static ipl_asm_type child_type(ipl_asm_type t)
{
    return t == IPL_ASM_BLOCK ? IPL_ASM_SUBNET : t == IPL_ASM_SUBNET ? IPL_ASM_RANGE
                                                                     : IPL_ASM_ADDRESS;
}

static int delete_obj(ipl_asm_view *v, ipl_batch *b, const ipl_asm_actor *a, int64_t now,
                      const ipl_asm_obj *o, int cascade, int depth, ipl_diag *d)
{
    int err = IPL_OK;
    char *oldj = NULL;
    ipl_asm_obj key = *o;
    key.j = NULL;
    if (depth > 8)
        return ipl_diag_set(d, IPL_ELIMIT, "delete nests too deep");
    if (o->type == IPL_ASM_SPACE) {
        for (int t = IPL_ASM_BLOCK; t < IPL_ASM__TYPES; t++)
            for (size_t i = 0; i < v->n[t]; i++)
                if (strcmp(v->o[t][i]->space, o->id) == 0) {
                    if (!cascade)
                        return ipl_diag_set(d, IPL_EBUSY,
                                            "space '%s' still holds %s '%s' (use --cascade)",
                                            o->id, type_names[t], v->o[t][i]->id);
                    if ((err = delete_obj(v, b, a, now, v->o[t][i], 1, depth + 1, d)))
                        return err;
                    i--;
                }
        for (size_t i = 0; i < v->n[IPL_ASM_SPACE]; i++) {
            const char *p = ipl_asm_obj_str(v->o[IPL_ASM_SPACE][i], "provider");
            if (p && strcmp(p, o->id) == 0)
                return ipl_diag_set(d, IPL_EBUSY, "space '%s' is the provider of space '%s'",
                                    o->id, v->o[IPL_ASM_SPACE][i]->id);
        }
    } else if (o->type != IPL_ASM_ADDRESS) {
        /* children: subnets of a block, ranges of a subnet, addresses of a range (addresses
         * outside ranges stay when their subnet or block goes: they belong to no range) */
        ipl_asm_type ct = child_type(o->type);
        size_t i = ipl_asm__lower(v, ct, o->space, o->lo);
        while (i < v->n[ct]) {
            const ipl_asm_obj *c = v->o[ct][i];
            if (strcmp(c->space, o->space) != 0 || memcmp(c->lo, o->hi, 16) > 0)
                break;
            if (!cascade)
                return ipl_diag_set(d, IPL_EBUSY,
                                    "%s '%s' in space '%s' still has %s '%s' (use --cascade)",
                                    type_names[o->type], o->id, o->space, type_names[ct], c->id);
            if ((err = delete_obj(v, b, a, now, c, 1, depth + 1, d)))
                return err;     /* c is gone from the view: index i now holds the next one */
        }
    }
    if (!(oldj = print_json(o)))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    err = record(b, a, now, &key, IPL_ASM_DELETE, oldj, NULL, d);
    cJSON_free(oldj);
    if (!err)
        view_del(v, &key);
    return err;
}

/* Checks o (new or edited) against the view: overlap with same-type objects, hierarchy. Sets the
 * computed parent fields. `self` is the object's current version (edit) or NULL. */
static int check_place(ipl_asm_view *v, ipl_asm_obj *o, const ipl_asm_obj *self,
                       const char *want_parent, ipl_diag *d)
{
    const char *tn = type_names[o->type];
    if (o->type == IPL_ASM_SPACE) {
        const char *k = ipl_asm_obj_str(o, "kind"), *p = ipl_asm_obj_str(o, "provider");
        if (strcmp(o->id, IPL_ASM_DEFAULT_SPACE) == 0 && k)
            return ipl_diag_set(d, IPL_EINVAL, "space 'default' has no kind");
        if (k && strcmp(k, "customer") == 0) {
            ipl_asm_obj pk;
            if (!p)
                return ipl_diag_set(d, IPL_EINVAL, "customer space '%s' needs provider=SPACE",
                                    o->id);
            if (obj_ident(&pk, IPL_ASM_SPACE, NULL, p, d))
                return IPL_EINVAL;
            size_t i = find_exact(v, &pk);
            const char *pkind = i == (size_t)-1 ? NULL
                                                : ipl_asm_obj_str(v->o[IPL_ASM_SPACE][i], "kind");
            if (!pkind || strcmp(pkind, "provider") != 0)
                return ipl_diag_set(d, IPL_EINVAL,
                                    "customer space '%s': provider '%s' is not a provider space",
                                    o->id, p);
        } else if (p)
            return ipl_diag_set(d, IPL_EINVAL, "space '%s': only customer spaces have a provider",
                                o->id);
        return IPL_OK;
    }
    /* the space must exist (default always does) */
    if (strcmp(o->space, IPL_ASM_DEFAULT_SPACE) != 0) {
        ipl_asm_obj sk;
        obj_ident(&sk, IPL_ASM_SPACE, NULL, o->space, NULL);
        if (find_exact(v, &sk) == (size_t)-1)
            return ipl_diag_set(d, IPL_ENOTFOUND, "%s '%s': space '%s' does not exist", tn, o->id,
                                o->space);
    }
    /* overlap with another object of the same type */
    ipl_asm_type t = o->type;
    size_t i = ipl_asm__lower(v, t, o->space, o->lo);
    for (size_t k = i ? i - 1 : 0; k < v->n[t]; k++) {
        const ipl_asm_obj *x = v->o[t][k];
        if (x == self)
            continue;
        if (strcmp(x->space, o->space) != 0) {
            if (k >= i)
                break;
            continue;
        }
        if (memcmp(x->lo, o->hi, 16) > 0)
            break;
        if (memcmp(x->hi, o->lo, 16) >= 0) {
            if (t == IPL_ASM_ADDRESS || ipl_asm__cmp(x, o) == 0)
                return ipl_diag_set(d, IPL_EEXIST, "%s '%s' already exists in space '%s'", tn,
                                    o->id, o->space);
            return ipl_diag_set(d, IPL_EEXIST, "%s '%s' overlaps %s '%s' in space '%s'", tn,
                                o->id, tn, x->id, o->space);
        }
    }
    /* hierarchy */
    if (t == IPL_ASM_SUBNET || t == IPL_ASM_RANGE || t == IPL_ASM_ADDRESS) {
        ipl_asm_type pt = t == IPL_ASM_SUBNET ? IPL_ASM_BLOCK
                        : t == IPL_ASM_RANGE  ? IPL_ASM_SUBNET
                                              : IPL_ASM_RANGE;
        const char *pf = t == IPL_ASM_SUBNET ? "block" : t == IPL_ASM_RANGE ? "subnet" : "range";
        const ipl_asm_obj *p;
        if (want_parent) {
            ipl_asm_obj pk;
            if (obj_ident(&pk, pt, o->space, want_parent, d))
                return IPL_EINVAL;
            size_t pi = find_exact(v, &pk);
            if (pi == (size_t)-1)
                return ipl_diag_set(d, IPL_ENOTFOUND, "%s '%s': %s '%s' does not exist in space '%s'",
                                    tn, o->id, pf, pk.id, o->space);
            p = v->o[pt][pi];
            if (memcmp(p->lo, o->lo, 16) > 0 || memcmp(p->hi, o->hi, 16) < 0)
                return ipl_diag_set(d, IPL_EINVAL, "%s '%s' is outside its %s '%s'", tn, o->id,
                                    pf, p->id);
        } else {
            p = ipl_asm_parent(v, o, pt);
            if (!p) {
                /* straddling a parent is an error; no parent at all is allowed except for ranges */
                size_t pi = ipl_asm__lower(v, pt, o->space, o->lo);
                for (size_t k = pi ? pi - 1 : 0; k < v->n[pt] && k <= pi; k++) {
                    const ipl_asm_obj *x = v->o[pt][k];
                    if (strcmp(x->space, o->space) == 0 && memcmp(x->lo, o->hi, 16) <= 0 &&
                        memcmp(x->hi, o->lo, 16) >= 0)
                        return ipl_diag_set(d, IPL_EINVAL, "%s '%s' crosses the edge of %s '%s'",
                                            tn, o->id, pf, x->id);
                }
                if (t == IPL_ASM_RANGE)
                    return ipl_diag_set(d, IPL_EINVAL,
                                        "range '%s' is outside every subnet of space '%s' "
                                        "(create the subnet first)",
                                        o->id, o->space);
            }
        }
        set_str(o->j, pf, p ? p->id : NULL);
    }
    /* children must stay inside an edited object: ids are immutable, so nothing to do */
    if (t == IPL_ASM_BLOCK) {
        set_str(o->j, "class", classify(o));
        cJSON_DeleteItemFromObjectCaseSensitive(o->j, "public");
        cJSON_AddBoolToObject(o->j, "public", strcmp(classify(o), "public") == 0);
        if ((ipl_asm_obj_str(o, "rir") || ipl_asm_obj_str(o, "received")) &&
            strcmp(classify(o), "public") != 0)
            return ipl_diag_set(d, IPL_EINVAL, "block '%s' is %s: rir and received are for "
                                "public blocks", o->id, classify(o));
    }
    double lo, hi;
    ipl_asm_thresholds(o, &lo, &hi);
    if (lo >= hi)
        return ipl_diag_set(d, IPL_EINVAL, "%s '%s': low threshold %g is not below high %g", tn,
                            o->id, lo, hi);
    return IPL_OK;
}

static int one_change(ipl_asm_view *v, ipl_batch *b, const ipl_asm_actor *a, int64_t now,
                      const ipl_asm_change *c, ipl_diag *d)
{
    ipl_asm_obj *o = NULL;
    char *oldj = NULL, *newj = NULL;
    const char *want_parent = NULL;
    const char *fv[IPL_ASM_FIELDS_MAX];
    size_t nf = 0;
    int err = IPL_OK;
    if ((unsigned)c->type >= IPL_ASM__TYPES || c->action < 0 || c->action > IPL_ASM_DELETE)
        return ipl_diag_set(d, IPL_EINVAL, "invalid change");
    if (c->nfields > IPL_ASM_FIELDS_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "more than %d fields", IPL_ASM_FIELDS_MAX);
    /* parent=X selects the parent explicitly */
    for (size_t i = 0; i < c->nfields; i++) {
        const char *f = c->fields[i];
        const char *pn = c->type == IPL_ASM_SUBNET ? "block=" : c->type == IPL_ASM_RANGE ? "subnet="
                       : c->type == IPL_ASM_ADDRESS ? "range=" : NULL;
        if (pn && strncmp(f, pn, strlen(pn)) == 0 && f[strlen(pn)])
            want_parent = f + strlen(pn);
        else
            fv[nf++] = f;
    }
    if (!(o = calloc(1, sizeof *o))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = obj_ident(o, c->type, c->space, c->id, d)))
        goto out;
    if (c->type == IPL_ASM_SPACE && c->action != IPL_ASM_EDIT &&
        strcmp(o->id, IPL_ASM_DEFAULT_SPACE) == 0) {
        err = ipl_diag_set(d, IPL_EINVAL, "space 'default' always exists and cannot be %sd",
                           action_names[c->action]);
        goto out;
    }
    size_t cur = find_exact(v, o);
    const ipl_asm_obj *self = cur == (size_t)-1 ? NULL : v->o[c->type][cur];
    if (c->action == IPL_ASM_DELETE) {
        if (!self) {
            err = ipl_diag_set(d, IPL_ENOTFOUND, "%s '%s' does not exist in space '%s'",
                               type_names[c->type], o->id, o->space);
            goto out;
        }
        err = delete_obj(v, b, a, now, self, c->cascade, 0, d);
        goto out;
    }
    if (c->action == IPL_ASM_CREATE && self) {
        err = ipl_diag_set(d, IPL_EEXIST, "%s '%s' already exists in space '%s'",
                           type_names[c->type], o->id, o->space);
        goto out;
    }
    if (c->action == IPL_ASM_EDIT && !self) {
        if (c->type == IPL_ASM_SPACE && strcmp(o->id, IPL_ASM_DEFAULT_SPACE) == 0) {
            /* the implicit default space gets a record on its first edit */
        } else {
            err = ipl_diag_set(d, IPL_ENOTFOUND, "%s '%s' does not exist in space '%s'",
                               type_names[c->type], o->id, o->space);
            goto out;
        }
    }
    if (self) {
        o->j = cJSON_Duplicate(self->j, 1);
        if (!(oldj = print_json(self))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    } else {
        o->j = cJSON_CreateObject();
        if (o->j) {
            cJSON_AddStringToObject(o->j, "type", type_names[c->type]);
            cJSON_AddStringToObject(o->j, "space", o->space);
            cJSON_AddStringToObject(o->j, "id", o->id);
            if (c->type != IPL_ASM_SPACE)
                cJSON_AddStringToObject(o->j, "version", o->v4 ? "4" : "6");
        }
    }
    if (!o->j) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = apply_fields(o, fv, nf, d)))
        goto out;
    if (c->type == IPL_ASM_RANGE && !self && !ipl_asm_obj_str(o, "origin"))
        cJSON_AddStringToObject(o->j, "origin", "manual");
    if ((err = check_place(v, o, self, want_parent, d)))
        goto out;
    if (!(newj = print_json(o))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if (oldj && strcmp(oldj, newj) == 0)
        goto out;      /* nothing changed: no event */
    if ((err = record(b, a, now, o, self ? IPL_ASM_EDIT : IPL_ASM_CREATE, oldj, newj, d)))
        goto out;
    err = view_put(v, o, d);
    o = NULL;
out:
    cJSON_free(oldj);
    cJSON_free(newj);
    obj_free(o);
    return err;
}

int ipl_asm__apply_to(ipl_asm_view *v, ipl_batch *b, const ipl_asm_actor *a,
                      const ipl_asm_change *ch, size_t n, ipl_diag *d)
{
    int64_t now = ipl_asm_now(a);
    for (size_t i = 0; i < n; i++) {
        int err = one_change(v, b, a, now, &ch[i], d);
        if (err)
            return err;
    }
    return IPL_OK;
}

int ipl_asm_apply(ipl_store *st, const ipl_asm_actor *a, const ipl_asm_change *ch, size_t n,
                  uint64_t *first_seq, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    ipl_commit_info ci = {0};
    int err;
    if (first_seq)
        *first_seq = 0;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)))
        goto out;
    ipl_rtxn_end(t);
    t = NULL;
    if ((err = ipl_batch_new(&b)))
        goto out;
    if ((err = ipl_asm__apply_to(v, b, a, ch, n, d)))
        goto out;
    if (ipl_batch_events(b) == 0)
        goto out;
    if ((err = ipl_store_commit(st, b, &ci, d)))
        goto out;
    if (first_seq)
        *first_seq = ci.first_seq;
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}

/* ---- rebuild from the log ---- */

int ipl_asm_rebuild_check(ipl_store *st, uint64_t *objects, uint64_t *events, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_evcur *c = NULL;
    ipl_asm_view *live = NULL, *re = NULL;
    uint32_t ids[IPL_ASM__TYPES];
    int have[IPL_ASM__TYPES], any = 0;
    int err;
    ipl_rawev e;
    *objects = *events = 0;
    if ((err = ipl_rtxn_begin(st, &t, d)) || (err = ipl_asm_view_load(t, &live, d)) ||
        (err = view_new(&re, d)) || (err = ipl_evcur_open(t, &c, d)))
        goto out;
    for (int i = 0; i < IPL_ASM__TYPES; i++) {
        have[i] = ipl_dict_find(t, type_ns[i], strlen(type_ns[i]), &ids[i]) == IPL_OK;
        any |= have[i];
    }
    while (any && (err = ipl_evcur_next(c, &e, d)) == IPL_OK) {
        ipl_rawattr ob, nw, od;
        int ty = -1;
        if (e.kind != IPL_K_CONFIG_CHANGE || ipl_rawev_attr(&e, IPL_A_OBJECT, &ob) != IPL_OK ||
            !ob.interned)
            continue;
        for (int i = 0; i < IPL_ASM__TYPES; i++)
            if (have[i] && ob.id == ids[i])
                ty = i;
        if (ty < 0)
            continue;
        (*events)++;
        ipl_asm_obj *o = NULL;
        if (ipl_rawev_attr(&e, IPL_A_NEW, &nw) == IPL_OK) {
            if ((err = obj_from_json(nw.val, nw.len, &o, d)) || (err = view_put(re, o, d))) {
                ipl_diag_prefix(d, "event %llu", (unsigned long long)e.seq);
                goto out;
            }
        } else if (ipl_rawev_attr(&e, IPL_A_OLD, &od) == IPL_OK) {
            if ((err = obj_from_json(od.val, od.len, &o, d))) {
                ipl_diag_prefix(d, "event %llu", (unsigned long long)e.seq);
                goto out;
            }
            view_del(re, o);
            obj_free(o);
        }
    }
    if (err == IPL_ENOTFOUND || !any)
        err = IPL_OK;
    if (err)
        goto out;
    for (int ty = 0; ty < IPL_ASM__TYPES; ty++) {
        size_t n = live->n[ty] > re->n[ty] ? live->n[ty] : re->n[ty];
        for (size_t i = 0; i < n; i++) {
            const ipl_asm_obj *x = i < live->n[ty] ? live->o[ty][i] : NULL;
            const ipl_asm_obj *y = i < re->n[ty] ? re->o[ty][i] : NULL;
            char *jx = x ? print_json(x) : NULL, *jy = y ? print_json(y) : NULL;
            int same = jx && jy && strcmp(jx, jy) == 0;
            cJSON_free(jx);
            cJSON_free(jy);
            if (!same) {
                if (!y)
                    err = ipl_diag_set(d, IPL_ECORRUPT,
                                       "%s '%s' in space '%s' is in the view but not in the log",
                                       type_names[ty], x->id, x->space);
                else if (!x)
                    err = ipl_diag_set(d, IPL_ECORRUPT,
                                       "%s '%s' in space '%s' is in the log but not in the view",
                                       type_names[ty], y->id, y->space);
                else
                    err = ipl_diag_set(d, IPL_ECORRUPT,
                                       "%s '%s' in space '%s' differs between the view and the log",
                                       type_names[ty], x->id, x->space);
                goto out;
            }
            (*objects)++;
        }
    }
out:
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
    ipl_asm_view_free(live);
    ipl_asm_view_free(re);
    return err;
}

/* ---- discovery from lease traffic ---- */

typedef struct disc {
    uint32_t server;
    uint8_t  net[16];       /* the /24 or /64 network */
} disc;

static int disc_cmp(const void *a, const void *b)
{
    const disc *x = a, *y = b;
    int c = memcmp(x->net, y->net, 16);
    return c ? c : (x->server > y->server) - (x->server < y->server);
}

#define DISC_MAX 1000000

int ipl_asm_discover(ipl_store *st, const ipl_asm_actor *a, int64_t from, int64_t to,
                     uint64_t *created, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_ixscan *sc = NULL;
    ipl_evcur *c = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    disc *set = NULL;
    size_t n = 0, cap = 0;
    uint64_t seqs[512];
    int64_t tss[512];
    size_t got;
    char **names = NULL;
    int err;
    *created = 0;
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)) || (err = ipl_evcur_open(t, &c, d)) ||
        (err = ipl_ixscan_open(t, IPL_IX_IP, NULL, NULL, from, to, &sc, d)))
        goto out;
    /* one pass over the ip index; consecutive entries share a key, so the last network seen is
     * remembered per server to keep the set small */
    while ((err = ipl_ixscan_fill(sc, seqs, tss, 512, &got, d)) == IPL_OK && got) {
        for (size_t i = 0; i < got; i++) {
            ipl_rawev e;
            if ((err = ipl_evcur_get(c, seqs[i], &e, d)) == IPL_ENOTFOUND)
                continue;
            if (err)
                goto out;
            if (e.kind != IPL_K_LEASE_ASSIGN || !e.has_ip || !e.server)
                continue;
            disc x = {e.server, {0}};
            memcpy(x.net, e.ip, 16);
            if (ipl_ip_is_v4(e.ip))
                x.net[15] = 0;
            else
                memset(x.net + 8, 0, 8);
            if (n && disc_cmp(&set[n - 1], &x) == 0)
                continue;
            if (n == cap) {
                if (cap >= DISC_MAX) {
                    qsort(set, n, sizeof *set, disc_cmp);
                    size_t w = 0;
                    for (size_t k = 0; k < n; k++)
                        if (!w || disc_cmp(&set[w - 1], &set[k]))
                            set[w++] = set[k];
                    n = w;
                    if (n >= DISC_MAX) {
                        err = ipl_diag_set(d, IPL_ELIMIT, "more than %d discovered networks",
                                           DISC_MAX);
                        goto out;
                    }
                }
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 1024;
                    disc *ns = realloc(set, nc * sizeof *ns);
                    if (!ns) {
                        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                        goto out;
                    }
                    set = ns;
                    cap = nc;
                }
            }
            set[n++] = x;
        }
    }
    if (err)
        goto out;
    /* scopes named by configuration changes ("[[10.20.30.0]Office-LAN]" on Windows' scope,
     * option, reservation, exclusion... events): the server has that scope even before a lease */
    ipl_evcur_close(c);
    c = NULL;
    if ((err = ipl_evcur_open(t, &c, d)))
        goto out;
    for (;;) {
        ipl_rawev e;
        ipl_rawattr sa, ac;
        if ((err = ipl_evcur_next(c, &e, d)) == IPL_ENOTFOUND) {
            err = IPL_OK;
            break;
        }
        if (err)
            goto out;
        if (e.kind != IPL_K_CONFIG_CHANGE || e.ts < from || e.ts > to || !e.server ||
            ipl_rawev_attr(&e, IPL_A_SCOPE, &sa) != IPL_OK)
            continue;
        if (ipl_rawev_attr(&e, IPL_A_ACTION, &ac) == IPL_OK) {
            const char *act = ac.interned ? ipl_dict_str(t, ac.id) : NULL;
            if (act && strcmp(act, "deleted") == 0)
                continue;               /* a deleted scope is history, not space to create */
        }
        const char *sv = sa.interned ? ipl_dict_str(t, sa.id) : NULL;
        size_t sl = sv ? strlen(sv) : sa.len;
        if (!sv)
            sv = sa.val;
        if (sl < 5 || sv[0] != '[' || sv[1] != '[')
            continue;
        const char *close = memchr(sv + 2, ']', sl - 2);
        disc x = {e.server, {0}};
        if (!close || ipl_ip_parse(sv + 2, (size_t)(close - sv - 2), x.net) != IPL_OK)
            continue;
        if (ipl_ip_is_v4(x.net))
            x.net[15] = 0;
        else
            memset(x.net + 8, 0, 8);
        if (n && disc_cmp(&set[n - 1], &x) == 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            disc *ns = nc <= DISC_MAX ? realloc(set, nc * sizeof *ns) : NULL;
            if (!ns) {
                err = nc > DISC_MAX ? ipl_diag_set(d, IPL_ELIMIT, "more than %d discovered "
                                                   "networks", DISC_MAX)
                                    : ipl_diag_set(d, IPL_ENOMEM, "out of memory");
                goto out;
            }
            set = ns;
            cap = nc;
        }
        set[n++] = x;
    }
    if (n)
        qsort(set, n, sizeof *set, disc_cmp);
    if ((err = ipl_batch_new(&b)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (i && memcmp(set[i - 1].net, set[i].net, 16) == 0)
            continue;       /* a second server in the same network: reported by conflicts */
        uint8_t lo[16], hi[16];
        char l[IPL_IP_TEXT], h[IPL_IP_TEXT], rid[112], sid[112], mb[300];
        memcpy(lo, set[i].net, 16);
        memcpy(hi, set[i].net, 16);
        int v4 = ipl_ip_is_v4(lo);
        if (v4) {
            lo[15] = 1;
            hi[15] = 254;
        } else
            memset(hi + 8, 0xff, 8);
        ipl_ip_format(lo, l, sizeof l);
        ipl_ip_format(hi, h, sizeof h);
        snprintf(rid, sizeof rid, "%s-%s", l, h);
        ipl_ip_format(set[i].net, sid, sizeof sid);
        snprintf(sid + strlen(sid), sizeof sid - strlen(sid), "/%d", v4 ? 24 : 64);
        ipl_asm_obj probe;
        obj_ident(&probe, IPL_ASM_RANGE, NULL, rid, NULL);
        /* skip when any range of the default space overlaps */
        size_t k = ipl_asm__lower(v, IPL_ASM_RANGE, probe.space, probe.lo);
        int overl = 0;
        for (size_t q = k ? k - 1 : 0; q < v->n[IPL_ASM_RANGE] && q <= k; q++) {
            const ipl_asm_obj *x = v->o[IPL_ASM_RANGE][q];
            if (strcmp(x->space, probe.space) == 0 && memcmp(x->lo, probe.hi, 16) <= 0 &&
                memcmp(x->hi, probe.lo, 16) >= 0)
                overl = 1;
        }
        if (overl)
            continue;
        const char *srv = ipl_dict_str(t, set[i].server);
        snprintf(mb, sizeof mb, "managed_by=%s", srv ? srv : "");
        const char *rf[] = {mb, "origin=discovered"};
        ipl_asm_obj sk;
        obj_ident(&sk, IPL_ASM_SUBNET, NULL, sid, NULL);
        if (!ipl_asm_parent(v, &probe, IPL_ASM_SUBNET)) {
            ipl_asm_change sc1 = {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, sid, NULL, 0, 0};
            if ((err = ipl_asm__apply_to(v, b, a, &sc1, 1, d)))
                goto out;
        }
        ipl_asm_change rc1 = {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, rid, rf, 2, 0};
        if ((err = ipl_asm__apply_to(v, b, a, &rc1, 1, d)))
            goto out;
        (*created)++;
        if (ipl_batch_bytes(b) > (64u << 20)) {
            err = ipl_diag_set(d, IPL_ELIMIT, "discovery batch over 64 MiB: narrow --from/--to");
            goto out;
        }
    }
    ipl_ixscan_close(sc);
    sc = NULL;
    ipl_evcur_close(c);
    c = NULL;
    ipl_rtxn_end(t);
    t = NULL;
    if (ipl_batch_events(b) && (err = ipl_store_commit(st, b, NULL, d)))
        goto out;
out:
    free(names);
    free(set);
    ipl_ixscan_close(sc);
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    return err;
}
