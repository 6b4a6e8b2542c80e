/* retention/hold.c — legal holds in the kv area, and matching events against them; see hold.h.
 *
 * Record (kv "hold" / "0000000003"), JSON:
 *   {"id":3,"by":"ip","value":"10.0.0.0/8","reason":"case 17","principal":"os:alice",
 *    "created":"1714572300000000","until":"0"}          (times: UTC µs as decimal strings)
 * Counter (kv "retention" / "hold.next"): the next id, decimal text.
 */
#include "retention/hold.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "retention/retention_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_NS "hold"
#define HOLD_RECORD_MAX 8192

static const char *const by_names[] = {"ip", "mac", "host", "user", "where"};

const char *ipl_hold_by_name(ipl_hold_by by)
{
    return (unsigned)by < 5 ? by_names[by] : "?";
}

void ipl_hold_describe(const ipl_hold *h, char *buf, size_t n)
{
    snprintf(buf, n, "hold %u (%s %.200s)", h->id, ipl_hold_by_name(h->by), h->value);
}

/* A compiled hold. */
typedef struct chold {
    ipl_hold h;
    uint8_t  lo[16], hi[16];           /* ip */
    char     key[IPL_HOLD_VALUE_MAX + 1];  /* mac: canonical; host/user: lower-cased */
    ipl_seqset set;                    /* where: what the query selected when the set was loaded */
} chold;

struct ipl_holdset {
    chold *holds;
    size_t n, cap;
    char   sig[64];                    /* the hold counter and the number of holds when loaded */
};

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

/* Checks h->value for h->by, makes it canonical, and fills the compiled form (a query is only
 * compiled here: holdset loading runs it). */
static int compile(ipl_hold *h, chold *c, int64_t now, ipl_diag *d)
{
    size_t n = strlen(h->value);
    memset(c, 0, sizeof *c);
    switch (h->by) {
    case IPL_HOLD_IP: {
        ipl_prefix p;
        if (ipl_prefix_parse(h->value, n, 1, &p))
            return ipl_diag_set(d, IPL_EINVAL, "invalid IP address or prefix '%s'", h->value);
        memcpy(c->lo, p.lo, 16);
        memcpy(c->hi, p.hi, 16);
        char txt[IPL_IP_TEXT * 2];
        ipl_prefix_format(&p, txt, sizeof txt);
        snprintf(h->value, sizeof h->value, "%s", txt);
        break;
    }
    case IPL_HOLD_MAC: {
        char canon[IPL_HOLD_VALUE_MAX + 1];
        if (ipl_mac_canon(h->value, n, canon) != IPL_OK &&
            ipl_hex_canon(h->value, n, canon, sizeof canon) != IPL_OK)
            return ipl_diag_set(d, IPL_EINVAL, "invalid MAC address '%s' (expected e.g. "
                                "3c:52:82:6a:1b:2f or a DUID in hex)", h->value);
        snprintf(h->value, sizeof h->value, "%s", canon);
        snprintf(c->key, sizeof c->key, "%s", canon);
        break;
    }
    case IPL_HOLD_HOST:
    case IPL_HOLD_USER:
        if (n == 0 || n > IPL_STR_MAX)
            return ipl_diag_set(d, IPL_EINVAL, "%s must be 1 to %d bytes",
                                h->by == IPL_HOLD_HOST ? "a host" : "a user", IPL_STR_MAX);
        snprintf(c->key, sizeof c->key, "%s", h->value);
        lower(c->key);
        break;
    case IPL_HOLD_WHERE: {
        int err = ipl_where_check(h->value, now, d);
        if (err)
            return err;
        break;
    }
    default:
        return ipl_diag_set(d, IPL_EINVAL, "unknown kind of hold");
    }
    c->h = *h;
    return IPL_OK;
}

/* Case-insensitive (ASCII, as the store folds) equality of s with an already lower-cased key. */
static int eq_folded(const char *s, const char *key)
{
    if (!s)
        return 0;
    for (; *s && *key; s++, key++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != *key)
            return 0;
    }
    return *s == *key;
}

static int chold_match(const chold *c, const ipl_event *ev)
{
    switch (c->h.by) {
    case IPL_HOLD_IP:
        return ev->has_ip && memcmp(ev->ip, c->lo, 16) >= 0 && memcmp(ev->ip, c->hi, 16) <= 0;
    case IPL_HOLD_MAC:
        return (ev->mac && strcmp(ev->mac, c->key) == 0) || (ev->duid && strcmp(ev->duid, c->key) == 0);
    case IPL_HOLD_HOST:
        return eq_folded(ev->host, c->key);
    case IPL_HOLD_USER:
        return eq_folded(ev->user, c->key);
    case IPL_HOLD_WHERE:
        /* an event newer than the query's snapshot may match it: held until the next load */
        return ev->seq > c->set.limit || ipl_seqset_has(&c->set, ev->seq);
    default:
        return 0;
    }
}

/* ---- records ---- */

static char *hold_json(const ipl_hold *h)
{
    ipl_sb b;
    ipl_sb_init(&b, HOLD_RECORD_MAX);
    ipl_sb_printf(&b, "{\"id\":%u,\"by\":", h->id);
    ipl_sb_json_str(&b, ipl_hold_by_name(h->by));
    ipl_sb_puts(&b, ",\"value\":");
    ipl_sb_json_str(&b, h->value);
    ipl_sb_puts(&b, ",\"reason\":");
    ipl_sb_json_str(&b, h->reason);
    ipl_sb_puts(&b, ",\"principal\":");
    ipl_sb_json_str(&b, h->principal);
    ipl_sb_printf(&b, ",\"created\":\"%lld\",\"until\":\"%lld\"}", (long long)h->created,
                  (long long)h->until);
    if (b.err) {
        ipl_sb_release(&b);
        return NULL;
    }
    return ipl_sb_take(&b);
}

static int hold_parse(const void *val, size_t n, ipl_hold *h, ipl_diag *d)
{
    cJSON *j = NULL;
    uint64_t id = 0;
    int err = ipl_rj_parse(val, n, 2, "hold record", &j, d);
    if (err)
        return err;
    memset(h, 0, sizeof *h);
    const char *by = ipl_rj_str(j, "by"), *value = ipl_rj_str(j, "value"),
               *reason = ipl_rj_str(j, "reason"), *who = ipl_rj_str(j, "principal");
    err = IPL_ECORRUPT;
    if (!by || !value || !reason || ipl_rj_u64(j, "id", &id) || id > UINT32_MAX ||
        ipl_rj_i64(j, "created", &h->created) || ipl_rj_i64(j, "until", &h->until))
        goto out;
    h->id = (uint32_t)id;
    for (int i = 0; i < 5; i++)
        if (strcmp(by, by_names[i]) == 0) {
            h->by = (ipl_hold_by)i;
            err = IPL_OK;
        }
    snprintf(h->value, sizeof h->value, "%s", value);
    snprintf(h->reason, sizeof h->reason, "%s", reason);
    snprintf(h->principal, sizeof h->principal, "%s", who ? who : "");
out:
    cJSON_Delete(j);
    if (err)
        return ipl_diag_set(d, err, "a hold record in the store is damaged");
    return IPL_OK;
}

static void hold_key(uint32_t id, char key[16])
{
    snprintf(key, 16, "%010u", id);
}

static int count_fn(void *ctx, const char *key, const void *val, size_t n)
{
    (*(size_t *)ctx)++;
    return IPL_OK;
}

int ipl_hold_add(ipl_store *st, const ipl_actor *a, ipl_hold *h, uint64_t *seq, ipl_diag *d)
{
    chold c;
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    char *rec = NULL, key[16], next[24], msg[IPL_HOLD_VALUE_MAX + 300], until[IPL_TIME_BUF];
    int fd = -1, err;
    int64_t now = ipl_actor_now(a);
    if (strlen(h->value) > IPL_HOLD_VALUE_MAX || strlen(h->reason) > IPL_HOLD_REASON_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "a hold's value and reason take at most %d bytes each",
                            IPL_HOLD_VALUE_MAX);
    if (!h->reason[0])
        return ipl_diag_set(d, IPL_EINVAL, "a hold needs a reason (--reason)");
    if (h->until && h->until <= now)
        return ipl_diag_set(d, IPL_EINVAL, "--until is not in the future");
    if ((err = compile(h, &c, now, d)))
        return err;
    if ((err = ipl_lock_file(ipl_store_dir(st), "hold.lock", IPL_LOCK_EX, &fd, d)))
        return err;
    /* under the lock: count the holds and take the next id */
    uint64_t id = 1;
    size_t count = 0;
    const void *v;
    size_t vn;
    if ((err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    if (ipl_store_kv_get(t, "retention", "hold.next", &v, &vn) == IPL_OK && vn < sizeof next) {
        memcpy(next, v, vn);
        next[vn] = '\0';
        id = strtoull(next, NULL, 10);
    }
    if ((err = ipl_store_kv_scan(t, HOLD_NS, count_fn, &count, d)))
        goto out;
    ipl_rtxn_end(t);
    t = NULL;
    if (count >= IPL_HOLD_MAX) {
        err = ipl_diag_set(d, IPL_ELIMIT, "there are already %d holds (the most a store keeps): "
                           "remove expired ones first", IPL_HOLD_MAX);
        goto out;
    }
    if (id == 0 || id >= UINT32_MAX) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "the hold counter in the store is damaged");
        goto out;
    }
    h->id = (uint32_t)id;
    h->created = now;
    snprintf(h->principal, sizeof h->principal, "%s", a->principal);
    if (!(rec = hold_json(h))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    hold_key(h->id, key);
    snprintf(next, sizeof next, "%llu", (unsigned long long)id + 1);
    until[0] = '\0';
    if (h->until)
        ipl_time_format(h->until, until, sizeof until);
    snprintf(msg, sizeof msg, "hold %u added: %s %s%s%s", h->id, ipl_hold_by_name(h->by),
             h->value, h->until ? " until " : "", until);
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_put(b, HOLD_NS, key, rec, strlen(rec), d)) ||
        (err = ipl_batch_kv_put(b, "retention", "hold.next", next, strlen(next), d)) ||
        (err = ipl_audit_config(st, b, a, "hold", "add", h->reason, msg, seq, d)))
        goto out;
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    free(rec);
    ipl_unlock_file(fd);
    return err;
}

int ipl_hold_remove(ipl_store *st, const ipl_actor *a, uint32_t id, const char *reason,
                    uint64_t *seq, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    ipl_hold h;
    char key[16], msg[IPL_HOLD_VALUE_MAX + IPL_HOLD_REASON_MAX + 300];
    int fd = -1, err;
    const void *v;
    size_t vn;
    if (reason && strlen(reason) > IPL_HOLD_REASON_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "a reason takes at most %d bytes", IPL_HOLD_REASON_MAX);
    if ((err = ipl_lock_file(ipl_store_dir(st), "hold.lock", IPL_LOCK_EX, &fd, d)))
        return err;
    hold_key(id, key);
    if ((err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    if (ipl_store_kv_get(t, HOLD_NS, key, &v, &vn) != IPL_OK) {
        err = ipl_diag_set(d, IPL_ENOTFOUND, "there is no hold %u (see 'ipledger hold list')", id);
        goto out;
    }
    if ((err = hold_parse(v, vn, &h, d)))
        goto out;
    ipl_rtxn_end(t);
    t = NULL;
    snprintf(msg, sizeof msg, "hold %u removed: %s %s (it was added by %s: %s)", id,
             ipl_hold_by_name(h.by), h.value, h.principal, h.reason);
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_del(b, HOLD_NS, key, d)) ||
        (err = ipl_audit_config(st, b, a, "hold", "remove", reason, msg, seq, d)))
        goto out;
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_unlock_file(fd);
    return err;
}

typedef struct listctx {
    ipl_hold_fn fn;
    void *ctx;
    ipl_diag *d;
    size_t n;
} listctx;

static int list_fn(void *c, const char *key, const void *val, size_t n)
{
    listctx *l = c;
    ipl_hold h;
    int err;
    if (++l->n > IPL_HOLD_MAX)
        return ipl_diag_set(l->d, IPL_ELIMIT, "more than %d holds in the store", IPL_HOLD_MAX);
    if (n > HOLD_RECORD_MAX)
        return ipl_diag_set(l->d, IPL_ECORRUPT, "hold record '%s' is too long", key);
    if ((err = hold_parse(val, n, &h, l->d)))
        return err;
    return l->fn(l->ctx, &h);
}

int ipl_hold_list(ipl_rtxn *t, ipl_hold_fn fn, void *ctx, ipl_diag *d)
{
    listctx l = {fn, ctx, d, 0};
    return ipl_store_kv_scan(t, HOLD_NS, list_fn, &l, d);
}

/* ---- the set in force ---- */

typedef struct loadctx {
    ipl_holdset *hs;
    ipl_rtxn *t;
    int64_t now;
    ipl_diag *d;
} loadctx;

static int load_fn(void *c, const ipl_hold *h)
{
    loadctx *l = c;
    if (h->until && h->until <= l->now)
        return IPL_OK;                  /* expired: does not hold */
    if (l->hs->n == l->hs->cap) {
        size_t cap = l->hs->cap ? l->hs->cap * 2 : 8;
        chold *p = realloc(l->hs->holds, cap * sizeof *p);
        if (!p)
            return ipl_diag_set(l->d, IPL_ENOMEM, "out of memory");
        l->hs->holds = p;
        l->hs->cap = cap;
    }
    ipl_hold copy = *h;
    chold *ch = &l->hs->holds[l->hs->n];
    int err = compile(&copy, ch, l->now, l->d);
    if (!err && h->by == IPL_HOLD_WHERE)
        err = ipl_where_run(l->t, h->value, l->now, &ch->set, l->d);
    if (err)
        return ipl_diag_prefix(l->d, "hold %u", h->id);
    l->hs->n++;
    return IPL_OK;
}

/* Every add takes the next id from the counter and every remove lowers the count: the pair
 * changes whenever the set of holds does. */
static int signature(ipl_rtxn *t, char sig[64], ipl_diag *d)
{
    const void *v;
    size_t vn, count = 0;
    int err = ipl_store_kv_scan(t, HOLD_NS, count_fn, &count, d);
    if (err)
        return err;
    if (ipl_store_kv_get(t, "retention", "hold.next", &v, &vn) != IPL_OK || vn > 24)
        vn = 0;
    snprintf(sig, 64, "%.*s/%zu", (int)vn, vn ? (const char *)v : "", count);
    return IPL_OK;
}

int ipl_holdset_load(ipl_rtxn *t, int64_t now, ipl_holdset **out, ipl_diag *d)
{
    ipl_holdset *hs = calloc(1, sizeof *hs);
    int err;
    *out = NULL;
    if (!hs)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    loadctx l = {hs, t, now, d};
    if ((err = signature(t, hs->sig, d)) || (err = ipl_hold_list(t, load_fn, &l, d))) {
        ipl_holdset_free(hs);
        return err;
    }
    *out = hs;
    return IPL_OK;
}

int ipl_holdset_refresh(ipl_rtxn *t, int64_t now, ipl_holdset **hs, ipl_diag *d)
{
    char sig[64];
    int err;
    if (*hs) {
        if ((err = signature(t, sig, d)))
            return err;
        if (strcmp(sig, (*hs)->sig) == 0)
            return IPL_OK;             /* no hold added or removed since: keep the set */
        ipl_holdset_free(*hs);
        *hs = NULL;
    }
    return ipl_holdset_load(t, now, hs, d);
}

void ipl_holdset_free(ipl_holdset *hs)
{
    if (!hs)
        return;
    for (size_t i = 0; i < hs->n; i++)
        ipl_seqset_release(&hs->holds[i].set);
    free(hs->holds);
    free(hs);
}

size_t ipl_holdset_count(const ipl_holdset *hs)
{
    return hs ? hs->n : 0;
}

const ipl_hold *ipl_holdset_hold(const ipl_holdset *hs, size_t i)
{
    return i < hs->n ? &hs->holds[i].h : NULL;
}

size_t ipl_holdset_match(const ipl_holdset *hs, const ipl_event *ev, uint8_t *hit)
{
    size_t n = 0;
    if (!hs)
        return 0;
    for (size_t i = 0; i < hs->n; i++) {
        int m = chold_match(&hs->holds[i], ev);
        if (hit)
            hit[i] = (uint8_t)m;
        n += (size_t)m;
    }
    return n;
}
