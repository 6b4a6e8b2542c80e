/* queries/srv_model.c — manual inventory entries (kv srv.server, JSON via cJSON kept inside this
 * file) with their config.change events, and the inventory view that merges them with the
 * discovered summaries.
 *
 * Entry JSON (the kv value and the event's "new" attribute, byte for byte):
 *   {"name":"dns1","type":["dns"],"vendor":"ISC","address":"10.0.0.53:53","managed":true,
 *    "owner":"netops","description":"...","fields":{"site":"ams"},"groups":["core"],
 *    "probe":"dns","probe_name":"probe.test"}
 * Mutations are serialised by an exclusive lock file in the store directory (srv.lock, flock)
 * held from the validation read to the commit, so two processes never add the same name; the
 * summary pass and the recording health check hold the same lock (srv_sum.c, srv_health.c).
 */
#include "queries/srv_int.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- validation ---- */

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '"' || s[i] == '/')
            return 0;
    return 1;
}

static int valid_text(const char *s)
{
    if (strlen(s) > IPL_SRV_TEXT_MAX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            return 0;
    return 1;
}

int ipl_srv_addr_split(const char *s, char *host, size_t hostcap, int *port, int dflt)
{
    const char *p = NULL, *h = s;
    size_t hn;
    uint8_t ip[16];
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e)
            return IPL_EINVAL;
        h = s + 1;
        hn = (size_t)(e - h);
        if (e[1] == ':')
            p = e + 2;
        else if (e[1])
            return IPL_EINVAL;
    } else {
        const char *c = strchr(s, ':');
        if (c && !strchr(c + 1, ':')) {       /* one colon: IPv4:PORT */
            hn = (size_t)(c - s);
            p = c + 1;
        } else {
            hn = strlen(s);
        }
    }
    if (hn == 0 || hn >= hostcap || ipl_ip_parse(h, hn, ip))
        return IPL_EINVAL;
    memcpy(host, h, hn);
    host[hn] = 0;
    *port = dflt;
    if (p) {
        char *e;
        errno = 0;
        long v = strtol(p, &e, 10);
        if (errno || e == p || *e || v < 1 || v > 65535)
            return IPL_EINVAL;
        *port = (int)v;
    }
    return IPL_OK;
}

/* ---- the lock ---- */

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

int ipl_srv__lock(ipl_store *st, int *fd, ipl_diag *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/srv.lock", ipl_store_dir(st));
    pthread_mutex_lock(&proc_lock);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
        int e = errno;
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        pthread_mutex_unlock(&proc_lock);
        return ipl_diag_set(d, IPL_EIO, "cannot lock '%s': %s", path, strerror(e));
    }
    return IPL_OK;
}

void ipl_srv__unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
        pthread_mutex_unlock(&proc_lock);
    }
}

/* ---- mutation ---- */

static int set_str(cJSON *j, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(j, key);
    if (v && *v && !cJSON_AddStringToObject(j, key, v))
        return IPL_ENOMEM;
    return IPL_OK;
}

static const char *jstr(const cJSON *j, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* Applies c's fields to j (an entry being added or edited). */
static int edit_json(cJSON *j, const ipl_srv_change *c, ipl_diag *d)
{
    const char *nm = c->name;
    char host[64], tb[64];
    int port;
    unsigned types;
    if (c->types) {
        if (ipl_srv_types_parse(c->types, &types, d))
            return ipl_diag_prefix(d, "server '%s'", nm);
        cJSON *arr = cJSON_CreateArray();
        if (!arr)
            return IPL_ENOMEM;
        ipl_srv_types_str(types, tb, sizeof tb);
        for (char *p = tb; *p;) {
            char *e = strchr(p, ',');
            if (e)
                *e = 0;
            cJSON_AddItemToArray(arr, cJSON_CreateString(p));
            p = e ? e + 1 : p + strlen(p);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(j, "type");
        cJSON_AddItemToObject(j, "type", arr);
    }
    struct { const char *key, *val; } texts[] = {
        {"vendor", c->vendor}, {"owner", c->owner}, {"description", c->description}};
    for (size_t i = 0; i < 3; i++)
        if (texts[i].val) {
            if (!valid_text(texts[i].val))
                return ipl_diag_set(d, IPL_EINVAL, "server '%s': %s is over %d bytes or has a "
                                    "control character", nm, texts[i].key, IPL_SRV_TEXT_MAX);
            if (set_str(j, texts[i].key, texts[i].val))
                return IPL_ENOMEM;
        }
    if (c->address) {
        /* a control endpoint (Kea's socket or agent URL, for the kea probe) or IP[:PORT] */
        int endpoint = strncmp(c->address, "unix:/", 6) == 0 ||
                       strncmp(c->address, "http://", 7) == 0;
        if (endpoint && !valid_text(c->address))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': address is over %d bytes or has a "
                                "control character", nm, IPL_SRV_TEXT_MAX);
        if (!endpoint && *c->address &&
            ipl_srv_addr_split(c->address, host, sizeof host, &port, 0))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': address '%.80s' is not IP, IP:PORT, "
                                "[IPv6]:PORT or a control endpoint (unix:/PATH, http://HOST:PORT/)",
                                nm, c->address);
        if (set_str(j, "address", c->address))
            return IPL_ENOMEM;
    }
    if (c->managed >= 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, "managed");
        cJSON_AddBoolToObject(j, "managed", c->managed);
    }
    if (c->probe) {
        if (*c->probe && strcmp(c->probe, "dns") && strcmp(c->probe, "tcp") &&
            strcmp(c->probe, "kea") && strcmp(c->probe, "none"))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': probe '%.40s' is not dns, tcp, kea or "
                                "none", nm, c->probe);
        if (set_str(j, "probe", c->probe))
            return IPL_ENOMEM;
    }
    if (c->probe_name) {
        if (*c->probe_name && (!valid_name(c->probe_name, 253)))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': probe name '%.80s' is not a DNS name",
                                nm, c->probe_name);
        if (set_str(j, "probe_name", c->probe_name))
            return IPL_ENOMEM;
    }
    cJSON *fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
    for (size_t i = 0; i < c->nfields; i++) {
        const char *f = c->fields[i], *eq = strchr(f, '=');
        char key[65];
        size_t kn = eq ? (size_t)(eq - f) : 0;
        if (!eq || kn == 0 || kn > 64)
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': field '%.80s' is not KEY=VALUE (key "
                                "1-64 bytes)", nm, f);
        memcpy(key, f, kn);
        key[kn] = 0;
        if (!valid_name(key, 64) || !valid_text(eq + 1))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': field '%.80s': bad key or value", nm,
                                f);
        if (!fields && !(fields = cJSON_AddObjectToObject(j, "fields")))
            return IPL_ENOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(fields, key);
        if (eq[1] && !cJSON_AddStringToObject(fields, key, eq + 1))
            return IPL_ENOMEM;
        if (cJSON_GetArraySize(fields) > IPL_SRV_FIELDS_MAX)
            return ipl_diag_set(d, IPL_ELIMIT, "server '%s': more than %d fields", nm,
                                IPL_SRV_FIELDS_MAX);
    }
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(j, "groups");
    for (size_t i = 0; i < c->ngroups; i++) {
        const char *g = c->groups[i];
        int del = g[0] == '-';
        g += del;
        if (!valid_name(g, 64))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': group '%.80s' is not 1-64 printable "
                                "bytes without spaces", nm, g);
        if (!groups && !(groups = cJSON_AddArrayToObject(j, "groups")))
            return IPL_ENOMEM;
        int at = -1;
        for (int k = 0; k < cJSON_GetArraySize(groups); k++) {
            const cJSON *x = cJSON_GetArrayItem(groups, k);
            if (cJSON_IsString(x) && strcmp(x->valuestring, g) == 0)
                at = k;
        }
        if (del && at >= 0)
            cJSON_DeleteItemFromArray(groups, at);
        else if (!del && at < 0)
            cJSON_AddItemToArray(groups, cJSON_CreateString(g));
        if (cJSON_GetArraySize(groups) > IPL_SRV_FIELDS_MAX)
            return ipl_diag_set(d, IPL_ELIMIT, "server '%s': more than %d groups", nm,
                                IPL_SRV_FIELDS_MAX);
    }
    /* a probe needs what it probes */
    const char *probe = jstr(j, "probe"), *addr = jstr(j, "address");
    if (probe && strcmp(probe, "none") != 0) {
        if (!addr)
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': probe %s needs --address", nm, probe);
        if (strcmp(probe, "dns") == 0 && !jstr(j, "probe_name"))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': probe dns needs --probe-name (the "
                                "name to query)", nm);
        if (strcmp(probe, "tcp") == 0 &&
            (ipl_srv_addr_split(addr, host, sizeof host, &port, 0) || port == 0))
            return ipl_diag_set(d, IPL_EINVAL, "server '%s': probe tcp needs a port in the "
                                "address (IP:PORT)", nm);
    }
    if (!cJSON_GetObjectItemCaseSensitive(j, "type"))
        return ipl_diag_set(d, IPL_EINVAL, "server '%s': give --type (dhcp, dns, dc, radius, sshd "
                            "or other)", nm);
    return IPL_OK;
}

int ipl_srv_apply(ipl_store *st, const ipl_srv_actor *a, const ipl_srv_change *c, uint64_t *seq,
                  char **json, ipl_diag *d)
{
    static const char *const actions[] = {"add", "edit", "remove"};
    int fd = -1, err;
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    cJSON *j = NULL;
    char *oldj = NULL, *newj = NULL;
    ipl_commit_info ci = {0};
    if (seq)
        *seq = 0;
    if (json)
        *json = NULL;
    if (!c->name || !valid_name(c->name, IPL_SRV_NAME_MAX))
        return ipl_diag_set(d, IPL_EINVAL, "server name '%.80s' must be 1-%d printable bytes "
                            "without spaces, quotes or slashes", c->name ? c->name : "",
                            IPL_SRV_NAME_MAX);
    if (c->action < IPL_SRV_ADD || c->action > IPL_SRV_REMOVE)
        return ipl_diag_set(d, IPL_EINVAL, "server '%s': unknown action", c->name);
    if ((err = ipl_srv__lock(st, &fd, d)) || (err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    const void *v;
    size_t vn;
    int have = ipl_store_kv_get(t, IPL_SRV_NS_SERVER, c->name, &v, &vn) == IPL_OK;
    if (have && !(oldj = strndup(v, vn))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (c->action == IPL_SRV_ADD && have) {
        err = ipl_diag_set(d, IPL_EEXIST, "server '%s' is already in the inventory (use edit)",
                           c->name);
        goto out;
    }
    if (c->action != IPL_SRV_ADD && !have) {
        err = ipl_diag_set(d, IPL_ENOTFOUND, "server '%s' has no manual entry", c->name);
        goto out;
    }
    if (c->action != IPL_SRV_REMOVE) {
        j = have ? cJSON_Parse(oldj) : cJSON_CreateObject();
        if (!j) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "server '%s': stored entry is not JSON", c->name);
            goto out;
        }
        if (!have)
            cJSON_AddStringToObject(j, "name", c->name);
        if ((err = edit_json(j, c, d)))
            goto out;
        if (!(newj = cJSON_PrintUnformatted(j))) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
        if (strlen(newj) > IPL_SRV_JSON_MAX) {
            err = ipl_diag_set(d, IPL_ELIMIT, "server '%s': entry JSON over %d bytes", c->name,
                               IPL_SRV_JSON_MAX);
            goto out;
        }
    }
    if ((err = ipl_batch_new(&b)))
        goto out;
    err = newj ? ipl_batch_kv_put(b, IPL_SRV_NS_SERVER, c->name, newj, strlen(newj), d)
               : ipl_batch_kv_del(b, IPL_SRV_NS_SERVER, c->name, d);
    if (err)
        goto out;
    ipl_event ev;
    char msg[512], host[64];
    int port;
    ipl_event_reset(&ev);
    ev.ts = a->now;
    ev.kind = IPL_K_CONFIG_CHANGE;
    ev.user = a->principal;
    ev.server = c->name;
    ev.source = IPL_SRV_SOURCE;
    const char *addr = NULL;
    cJSON *aj = j ? cJSON_GetObjectItemCaseSensitive(j, "address") : NULL;
    if (cJSON_IsString(aj))
        addr = aj->valuestring;
    if (addr && ipl_srv_addr_split(addr, host, sizeof host, &port, 0) == IPL_OK &&
        ipl_ip_parse(host, strlen(host), ev.ip) == IPL_OK)
        ev.has_ip = 1;
    snprintf(msg, sizeof msg, "server '%s' %s by %s", c->name,
             c->action == IPL_SRV_ADD ? "added" : c->action == IPL_SRV_EDIT ? "edited" : "removed",
             a->principal);
    const char *act = actions[c->action];
    if ((err = ipl_event_add_attr(&ev, IPL_A_OBJECT, "server", 6)) ||
        (err = ipl_event_add_attr(&ev, IPL_A_ACTION, act, strlen(act))) ||
        (oldj && (err = ipl_event_add_attr(&ev, IPL_A_OLD, oldj, strlen(oldj)))) ||
        (newj && (err = ipl_event_add_attr(&ev, IPL_A_NEW, newj, strlen(newj)))) ||
        (err = ipl_event_add_attr(&ev, IPL_A_MESSAGE, msg, strlen(msg)))) {
        err = ipl_diag_set(d, err, "server '%s': cannot build its event", c->name);
        goto out;
    }
    if ((err = ipl_batch_add(b, &ev, d)) || (err = ipl_store_commit(st, b, &ci, d)))
        goto out;
    if (seq)
        *seq = ci.first_seq;
    if (json && newj) {
        *json = newj;
        newj = NULL;
    }
out:
    ipl_rtxn_end(t);
    ipl_srv__unlock(fd);
    ipl_batch_free(b);
    cJSON_Delete(j);
    free(oldj);
    cJSON_free(newj);
    return err;
}

/* ---- the view ---- */

struct ipl_srv_view {
    ipl_srv      *srv;
    size_t        n;
    ipl_srv_sum **sum;
    char        **sumname;
    size_t        nsum;
    cJSON       **man;
    char        **manjson;
    size_t        nman, capman;
};

typedef struct manctx {
    ipl_srv_view *v;
    ipl_diag     *d;
} manctx;

static int man_fn(void *ctx, const char *key, const void *val, size_t n)
{
    manctx *c = ctx;
    ipl_srv_view *v = c->v;
    (void)key;
    if (v->nman == v->capman) {
        size_t cap = v->capman ? v->capman * 2 : 16;
        cJSON **a = realloc(v->man, cap * sizeof *a);
        if (a)
            v->man = a;
        char **b = realloc(v->manjson, cap * sizeof *b);
        if (b)
            v->manjson = b;
        if (!a || !b)
            return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
        v->capman = cap;
    }
    cJSON *j = cJSON_ParseWithLength(val, n);
    char *s = strndup(val, n);
    if (!j || !s || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "name"))) {
        cJSON_Delete(j);
        free(s);
        return ipl_diag_set(c->d, IPL_ECORRUPT, "inventory entry '%s' is not valid JSON", key);
    }
    v->man[v->nman] = j;
    v->manjson[v->nman++] = s;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const ipl_srv *)a)->name, ((const ipl_srv *)b)->name);
}

static const char *first_vendor(const char *formats)
{
    char f[64];
    const char *c = strchr(formats, ',');
    size_t n = c ? (size_t)(c - formats) : strlen(formats);
    snprintf(f, sizeof f, "%.*s", (int)n, formats);
    return ipl_srv_vendor_of(f);
}

int ipl_srv_view_load(ipl_rtxn *t, ipl_srv_view **out, ipl_diag *d)
{
    ipl_srv_view *v = calloc(1, sizeof *v);
    int err;
    *out = NULL;
    if (!v)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    manctx mc = {v, d};
    if ((err = ipl_srv__sums_load(t, IPL_SRV_NS_SUM, &v->sum, &v->sumname, &v->nsum, d)) ||
        (err = ipl_store_kv_scan(t, IPL_SRV_NS_SERVER, man_fn, &mc, d)))
        goto fail;
    v->srv = calloc(v->nsum + v->nman + 1, sizeof *v->srv);
    if (!v->srv) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < v->nsum; i++) {
        ipl_srv *s = &v->srv[v->n++];
        s->name = v->sumname[i];
        s->sum = v->sum[i];
        s->types = s->sum->types ? s->sum->types : IPL_SRV_OTHER;
        s->formats = s->sum->formats;
        s->vendor = first_vendor(s->formats);
        if (!*s->vendor && s->types == IPL_SRV_SSHD)
            s->vendor = "OpenSSH";        /* sshd lines read through the syslog router */
        s->managed = -1;
    }
    qsort(v->srv, v->n, sizeof *v->srv, by_name);
    size_t ndisc = v->n;
    for (size_t i = 0; i < v->nman; i++) {
        cJSON *j = v->man[i];
        const char *nm = jstr(j, "name");
        ipl_srv key = {0}, *s;
        key.name = nm;
        s = bsearch(&key, v->srv, ndisc, sizeof *v->srv, by_name);
        if (!s) {
            s = &v->srv[v->n++];
            s->name = nm;
            s->formats = "";
            s->vendor = "";
            s->types = 0;
        }
        s->manual = 1;
        s->json = v->manjson[i];
        cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type"), *x;
        unsigned mt = 0;
        cJSON_ArrayForEach(x, ty) {
            unsigned one;
            if (cJSON_IsString(x) && ipl_srv_types_parse(x->valuestring, &one, NULL) == IPL_OK)
                mt |= one;
        }
        if (mt)
            s->types = mt;
        if (jstr(j, "vendor"))
            s->vendor = jstr(j, "vendor");
        s->address = jstr(j, "address");
        cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "managed");
        s->managed = cJSON_IsBool(m) ? cJSON_IsTrue(m) : -1;
        s->owner = jstr(j, "owner");
        s->description = jstr(j, "description");
        s->probe = jstr(j, "probe");
        s->probe_name = jstr(j, "probe_name");
    }
    qsort(v->srv, v->n, sizeof *v->srv, by_name);
    *out = v;
    return IPL_OK;
fail:
    ipl_srv_view_free(v);
    return err;
}

void ipl_srv_view_free(ipl_srv_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nsum; i++) {
        free(v->sum[i]);
        free(v->sumname[i]);
    }
    for (size_t i = 0; i < v->nman; i++) {
        cJSON_Delete(v->man[i]);
        free(v->manjson[i]);
    }
    free(v->sum);
    free(v->sumname);
    free(v->man);
    free(v->manjson);
    free(v->srv);
    free(v);
}

size_t ipl_srv_count(const ipl_srv_view *v) { return v->n; }
const ipl_srv *ipl_srv_at(const ipl_srv_view *v, size_t i) { return i < v->n ? &v->srv[i] : NULL; }

const ipl_srv *ipl_srv_find(const ipl_srv_view *v, const char *name)
{
    ipl_srv key = {0};
    key.name = name;
    return bsearch(&key, v->srv, v->n, sizeof *v->srv, by_name);
}
