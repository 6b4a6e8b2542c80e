/* retention/util.c — the string builder, JSON reading helpers, the per-source counter map, lock
 * files and the principal; see retention_int.h. */
#include "retention/retention_int.h"
#include "engine/err.h"
#include "engine/event.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- string builder ---- */

void ipl_sb_init(ipl_sb *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void ipl_sb_release(ipl_sb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int sb_reserve(ipl_sb *b, size_t more)
{
    if (b->err)
        return -1;
    if (b->n + more > b->max) {
        b->err = IPL_ELIMIT;
        return -1;
    }
    if (b->n + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->err = IPL_ENOMEM;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void ipl_sb_put(ipl_sb *b, const char *s, size_t n)
{
    if (sb_reserve(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void ipl_sb_puts(ipl_sb *b, const char *s)
{
    ipl_sb_put(b, s, strlen(s));
}

void ipl_sb_printf(ipl_sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = b->err ? b->err : IPL_EINVAL;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        ipl_sb_put(b, tmp, (size_t)n);
        return;
    }
    if (sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void ipl_sb_json_strn(ipl_sb *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sb_reserve(b, n * 6 + 2))
        return;
    char *o = b->p + b->n;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->n = (size_t)(o - b->p);
}

void ipl_sb_json_str(ipl_sb *b, const char *s)
{
    if (!s)
        ipl_sb_puts(b, "null");
    else
        ipl_sb_json_strn(b, s, strlen(s));
}

char *ipl_sb_take(ipl_sb *b)
{
    char *p = b->p;
    if (!p)
        p = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return p;
}

/* ---- JSON reading ---- */

static int depth_of(const cJSON *j)
{
    int best = 0;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        int dd = depth_of(c);
        if (dd > best)
            best = dd;
        if (best > 64)
            break;
    }
    return (j && (cJSON_IsArray(j) || cJSON_IsObject(j))) ? best + 1 : best;
}

int ipl_rj_parse(const char *text, size_t len, int max_depth, const char *what, cJSON **out,
                 ipl_diag *d)
{
    const char *end = NULL;
    *out = NULL;
    /* cJSON's own nesting limit (1000) bounds the recursion of the parse itself */
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : 0;
        return ipl_diag_set(d, IPL_EPARSE, "%s: invalid JSON at byte %zu", what, off);
    }
    while (end && end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (end && end < text + len && *end) {
        cJSON_Delete(j);
        return ipl_diag_set(d, IPL_EPARSE, "%s: unexpected text after the JSON value at byte %zu",
                            what, (size_t)(end - text));
    }
    if (depth_of(j) > max_depth) {
        cJSON_Delete(j);
        return ipl_diag_set(d, IPL_ELIMIT, "%s: nested deeper than %d levels", what, max_depth);
    }
    *out = j;
    return IPL_OK;
}

const char *ipl_rj_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Integers travel as JSON numbers up to 2^53, or as decimal strings (counts, seqs, µs). */
int ipl_rj_u64(const cJSON *obj, const char *name, uint64_t *v)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!j)
        return IPL_ENOTFOUND;
    if (cJSON_IsNumber(j)) {
        if (j->valuedouble < 0 || j->valuedouble > 9007199254740992.0 ||
            j->valuedouble != (double)(uint64_t)j->valuedouble)
            return IPL_EINVAL;
        *v = (uint64_t)j->valuedouble;
        return IPL_OK;
    }
    if (cJSON_IsString(j) && j->valuestring[0] >= '0' && j->valuestring[0] <= '9') {
        char *e;
        errno = 0;
        unsigned long long x = strtoull(j->valuestring, &e, 10);
        if (*e || errno)
            return IPL_EINVAL;
        *v = x;
        return IPL_OK;
    }
    return IPL_EINVAL;
}

int ipl_rj_i64(const cJSON *obj, const char *name, int64_t *v)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!j)
        return IPL_ENOTFOUND;
    if (cJSON_IsString(j)) {
        char *e;
        errno = 0;
        long long x = strtoll(j->valuestring, &e, 10);
        if (!j->valuestring[0] || *e || errno)
            return IPL_EINVAL;
        *v = x;
        return IPL_OK;
    }
    if (cJSON_IsNumber(j) && j->valuedouble == (double)(int64_t)j->valuedouble &&
        j->valuedouble > -9007199254740992.0 && j->valuedouble < 9007199254740992.0) {
        *v = (int64_t)j->valuedouble;
        return IPL_OK;
    }
    return IPL_EINVAL;
}

/* ---- string -> count ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int ipl_strcount_init(ipl_strcount *m, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->cap = cap;
    m->nslots = 16;
    while (m->nslots < cap * 2)
        m->nslots *= 2;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    ipl_arena_init(&m->strings, (size_t)64 << 20);
    return m->slots ? IPL_OK : IPL_ENOMEM;
}

void ipl_strcount_release(ipl_strcount *m)
{
    free(m->slots);
    ipl_arena_release(&m->strings);
    memset(m, 0, sizeof *m);
}

int ipl_strcount_add(ipl_strcount *m, const char *s, uint64_t n)
{
    if (!s)
        s = "";
    size_t i = (size_t)hash_str(s) & (m->nslots - 1);
    for (; m->slots[i].s; i = (i + 1) & (m->nslots - 1))
        if (strcmp(m->slots[i].s, s) == 0) {
            m->slots[i].n += n;
            return IPL_OK;
        }
    if (m->count >= m->cap) {
        m->other += n;
        return IPL_OK;
    }
    if (!(m->slots[i].s = ipl_arena_strdup(&m->strings, s)))
        return IPL_ENOMEM;
    m->slots[i].n = n;
    m->count++;
    return IPL_OK;
}

static int slot_cmp(const void *a, const void *b)
{
    const struct ipl_sc_slot *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->s, y->s);
}

struct ipl_sc_slot *ipl_strcount_sorted(const ipl_strcount *m, size_t *n)
{
    struct ipl_sc_slot *out = malloc((m->count ? m->count : 1) * sizeof *out);
    *n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slots[i].s)
            out[(*n)++] = m->slots[i];
    qsort(out, *n, sizeof *out, slot_cmp);
    return out;
}

/* ---- kinds and sources ---- */

int ipl_kindset_add(ipl_kindset *k, const char *pattern, ipl_diag *d)
{
    size_t n = strlen(pattern);
    int found = 0;
    int family = n >= 1 && pattern[n - 1] == '*';
    for (unsigned kind = 1; kind < 256 && kind < IPL_K__COUNT; kind++) {
        const char *name = ipl_kind_name(kind);
        if (strcmp(name, "unknown") == 0)
            continue;
        if (family ? strncmp(name, pattern, n - 1) == 0 : strcmp(name, pattern) == 0) {
            k->bits[kind >> 3] |= (uint8_t)(1u << (kind & 7));
            found = 1;
        }
    }
    if (!found)
        return ipl_diag_set(d, IPL_EINVAL, "'%s' names no event kind (kinds are like "
                            "lease.assign, families like lease.*)", pattern);
    if (strcmp(pattern, "retention.purge") == 0)
        k->purge_named = 1;
    k->any = 1;
    return IPL_OK;
}

int ipl_source_match(const char *pattern, const char *source)
{
    size_t n = strlen(pattern);
    if (!source)
        return 0;
    if (n && pattern[n - 1] == '*')
        return strncmp(source, pattern, n - 1) == 0;
    return strcmp(source, pattern) == 0;
}

/* ---- locks ---- */

int ipl_lock_file(const char *dir, const char *name, int how, int *fd, ipl_diag *d)
{
    char path[4200];
    *fd = -1;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return ipl_diag_set(d, IPL_ELIMIT, "store path '%s' is too long", dir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    if (f < 0 && (errno == EACCES || errno == EROFS))
        f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return ipl_diag_set(d, errno == EACCES || errno == EROFS ? IPL_EACCES : IPL_EIO,
                            "cannot open lock file '%s': %s", path, strerror(errno));
    int op = (how & IPL_LOCK_EX ? LOCK_EX : LOCK_SH) | (how & IPL_LOCK_NB ? LOCK_NB : 0);
    while (flock(f, op) != 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return ipl_diag_set(d, IPL_EBUSY, "'%s' is locked by another process", path);
        return ipl_diag_set(d, IPL_EIO, "cannot lock '%s': %s", path, strerror(e));
    }
    *fd = f;
    return IPL_OK;
}

void ipl_unlock_file(int fd)
{
    if (fd >= 0)
        close(fd);   /* closing the descriptor releases the flock */
}

int ipl_store_in_use(const char *dir, long *pid)
{
    char path[4200];
    *pid = 0;
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return 0;                /* no lock file: nobody has it open */
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    int busy = 0;
    if (fcntl(f, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        busy = 1;
        *pid = (long)fl.l_pid;
    }
    close(f);
    return busy;
}

/* ---- who and where ---- */

void ipl_principal(char *buf, size_t n)
{
    struct passwd pw, *res = NULL;
    char tmp[4096];
    uid_t uid = geteuid();
    if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res && res->pw_name && res->pw_name[0])
        snprintf(buf, n, "os:%s", res->pw_name);
    else
        snprintf(buf, n, "os:uid%lu", (unsigned long)uid);
}

void ipl_hostname(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0 || !buf[0])
        snprintf(buf, n, "localhost");
    buf[n - 1] = '\0';
}
