/* queries/srv_sum.c — the discovered inventory: server types from kinds and formats, the
 * per-server and per-source summaries (counts, hourly counts, gap histogram, feeds, scopes) and
 * the incremental pass that folds new events into them.
 *
 * The pass reads events after kv srv.meta/"summary" in seq order with the raw cursor (ids, not
 * strings: a server or source name is resolved once per id), updates the summaries in memory and
 * writes the touched ones plus the new seq in one batch. Events of ipledger's own sources
 * ("ipledger:*": audit, asm, servers) are not server traffic and are skipped.
 */
#include "queries/srv_int.h"

#include "engine/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_HOUR 3600000000LL

/* ---- types and vendors ---- */

static int fmt_is(const char *format, const char *prefix)
{
    return format && strncmp(format, prefix, strlen(prefix)) == 0;
}

static int fmt_dhcp(const char *f)
{
    return fmt_is(f, "mswin-dhcp") || fmt_is(f, "isc-") || fmt_is(f, "kea") || fmt_is(f, "dnsmasq");
}

unsigned ipl_srv_type_of(unsigned kind, const char *format)
{
    switch (kind) {
    case IPL_K_LEASE_ASSIGN: case IPL_K_LEASE_RENEW: case IPL_K_LEASE_RELEASE:
    case IPL_K_LEASE_EXPIRE: case IPL_K_LEASE_DELETE: case IPL_K_LEASE_DENY:
    case IPL_K_LEASE_CONFLICT: case IPL_K_LEASE_BOOTP: case IPL_K_LEASE_OFFER:
    case IPL_K_LEASE_REQUEST: case IPL_K_LEASE_EXHAUSTED: case IPL_K_LEASE_DROP:
    case IPL_K_LEASE_INFORM: case IPL_K_LEASE_DECLINE: case IPL_K_LEASE_V6_SOLICIT:
    case IPL_K_LEASE_V6_CONFIRM: case IPL_K_FAILOVER_BINDING:
        return IPL_SRV_DHCP;
    case IPL_K_DNS_UPDATE: case IPL_K_DNS_UPDATE_FAIL:
        return fmt_dhcp(format) ? IPL_SRV_DHCP : IPL_SRV_DNS;   /* DDNS done by a DHCP server */
    case IPL_K_LOGON: case IPL_K_LOGOFF: case IPL_K_LOGON_FAIL: case IPL_K_AUTH_KERBEROS:
    case IPL_K_AUTH_NTLM: case IPL_K_AUTH_PRIV: case IPL_K_LOGON_EXPLICIT: case IPL_K_AUTH_FAIL:
        return fmt_is(format, "sshd") || fmt_is(format, "syslog") ? IPL_SRV_SSHD : IPL_SRV_DC;
    case IPL_K_RADIUS_START: case IPL_K_RADIUS_STOP: case IPL_K_RADIUS_UPDATE:
    case IPL_K_RADIUS_REQUEST: case IPL_K_RADIUS_ACCT_ON: case IPL_K_RADIUS_ACCT_OFF:
        return IPL_SRV_RADIUS;
    default:
        if (fmt_dhcp(format))
            return IPL_SRV_DHCP;
        if (fmt_is(format, "winsec"))
            return IPL_SRV_DC;
        if (fmt_is(format, "nps") || fmt_is(format, "freeradius"))
            return IPL_SRV_RADIUS;
        if (fmt_is(format, "sshd"))
            return IPL_SRV_SSHD;
        return 0;
    }
}

static const char *const type_names[] = {"dhcp", "dns", "dc", "radius", "sshd", "other"};

const char *ipl_srv_types_str(unsigned types, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < 6; i++)
        if ((types & (1u << i)) && w < n)
            w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? "," : "", type_names[i]);
    return buf;
}

int ipl_srv_types_parse(const char *s, unsigned *types, ipl_diag *d)
{
    *types = 0;
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        unsigned i;
        for (i = 0; i < 6; i++)
            if (strlen(type_names[i]) == n && strncmp(s, type_names[i], n) == 0)
                break;
        if (i == 6)
            return ipl_diag_set(d, IPL_EINVAL, "unknown server type '%.*s' (dhcp, dns, dc, radius, "
                                "sshd or other)", (int)(n > 64 ? 64 : n), s);
        *types |= 1u << i;
        s = e ? e + 1 : NULL;
    }
    if (!*types)
        return ipl_diag_set(d, IPL_EINVAL, "give at least one server type");
    return IPL_OK;
}

const char *ipl_srv_vendor_of(const char *f)
{
    if (fmt_is(f, "mswin-dhcp") || fmt_is(f, "winsec"))
        return "Microsoft";
    if (fmt_is(f, "nps"))
        return "Microsoft NPS";
    if (fmt_is(f, "isc-"))
        return "ISC";
    if (fmt_is(f, "kea"))
        return "ISC Kea";
    if (fmt_is(f, "dnsmasq"))
        return "dnsmasq";
    if (fmt_is(f, "freeradius"))
        return "FreeRADIUS";
    if (fmt_is(f, "sshd"))
        return "OpenSSH";
    return "";
}

/* ---- gaps ---- */

int ipl_srv_gap_bucket(int64_t gap_us)
{
    if (gap_us < 1000000)
        return 0;
    int b = 1 + (int)floor(4.0 * log2((double)gap_us / 1e6));
    return b < 1 ? 1 : b >= IPL_SRV_GAPB ? IPL_SRV_GAPB - 1 : b;
}

int64_t ipl_srv_gap_upper(int b)
{
    if (b <= 0)
        return 1000000;
    return (int64_t)ceil(1e6 * exp2((double)b / 4.0));
}

int64_t ipl_srv_gap_pct(const uint32_t gap[IPL_SRV_GAPB], double pct, uint64_t min_n)
{
    uint64_t n = 0, acc = 0;
    for (int i = 0; i < IPL_SRV_GAPB; i++)
        n += gap[i];
    if (n == 0 || n < min_n)
        return 0;
    double want = ceil(n * pct / 100.0);
    for (int i = 0; i < IPL_SRV_GAPB; i++) {
        acc += gap[i];
        if ((double)acc >= want)
            return ipl_srv_gap_upper(i);
    }
    return ipl_srv_gap_upper(IPL_SRV_GAPB - 1);
}

/* ---- one summary ---- */

static int64_t hour_of(int64_t ts)
{
    return ts >= 0 ? ts / US_PER_HOUR : -((-ts + US_PER_HOUR - 1) / US_PER_HOUR);
}

static size_t slot(int64_t h)
{
    int64_t m = h % IPL_SRV_HOURS;
    return (size_t)(m < 0 ? m + IPL_SRV_HOURS : m);
}

static int64_t day_of(int64_t ts)
{
    int64_t u = 24 * US_PER_HOUR;
    return ts >= 0 ? ts / u : -((-ts + u - 1) / u);
}

static size_t dslot(int64_t day)
{
    int64_t m = day % IPL_SRV_DAYS;
    return (size_t)(m < 0 ? m + IPL_SRV_DAYS : m);
}

static void add_gap(ipl_srv_sum *s, int64_t ts, int64_t gap)
{
    int b = ipl_srv_gap_bucket(gap);
    int64_t day = day_of(ts);
    s->gap[b]++;
    s->ngaps++;
    if (day > s->top_day) {
        for (int64_t i = 1; i <= day - s->top_day && i <= IPL_SRV_DAYS; i++)
            memset(s->dgap[dslot(s->top_day + i)], 0, sizeof s->dgap[0]);
        s->top_day = day;
    }
    if (day > s->top_day - IPL_SRV_DAYS)
        s->dgap[dslot(day)][b]++;
}

void ipl_srv_gap_window(const ipl_srv_sum *s, int64_t at, int days, uint64_t min_n,
                        uint32_t out[IPL_SRV_GAPB])
{
    uint64_t n = 0;
    int64_t end = day_of(at < s->last ? at : s->last);
    memset(out, 0, sizeof(uint32_t) * IPL_SRV_GAPB);
    if (days < 1)
        days = 1;
    if (days > IPL_SRV_DAYS)
        days = IPL_SRV_DAYS;
    for (int64_t x = end - days + 1; x <= end; x++)
        if (x <= s->top_day && x > s->top_day - IPL_SRV_DAYS)
            for (int b = 0; b < IPL_SRV_GAPB; b++) {
                out[b] += s->dgap[dslot(x)][b];
                n += s->dgap[dslot(x)][b];
            }
    if (n < min_n)
        memcpy(out, s->gap, sizeof(uint32_t) * IPL_SRV_GAPB);
}

void ipl_srv_sum_add(ipl_srv_sum *s, int64_t ts, unsigned types)
{
    int64_t h = hour_of(ts);
    s->types |= types;
    if (s->events == 0) {
        s->first = s->last = ts;
        s->top_hour = h;
        s->top_day = day_of(ts);
    } else {
        if (ts > s->last) {
            add_gap(s, ts, ts - s->last);
            s->last = ts;
        }
        if (ts < s->first)
            s->first = ts;
    }
    s->events++;
    if (h > s->top_hour) {
        int64_t clear = h - s->top_hour;
        for (int64_t i = 1; i <= clear && i <= IPL_SRV_HOURS; i++)
            s->hours[slot(s->top_hour + i)] = 0;
        s->top_hour = h;
    }
    if (h > s->top_hour - IPL_SRV_HOURS)
        s->hours[slot(h)]++;
}

void ipl_srv_sum_feed(ipl_srv_sum *s, const char *name)
{
    for (uint32_t i = 0; i < s->nfeeds; i++)
        if (strncmp(s->feeds[i], name, IPL_SRV_FEED_MAX - 1) == 0)
            return;
    if (s->nfeeds < IPL_SRV_FEEDS)
        snprintf(s->feeds[s->nfeeds++], IPL_SRV_FEED_MAX, "%s", name);
    else
        s->feeds_more++;
}

void ipl_srv_sum_scope(ipl_srv_sum *s, const char *scope, size_t n)
{
    if (n == 0)
        return;
    if (n >= IPL_SRV_SCOPE_MAX)
        n = IPL_SRV_SCOPE_MAX - 1;
    for (uint32_t i = 0; i < s->nscopes; i++)
        if (strlen(s->scopes[i]) == n && memcmp(s->scopes[i], scope, n) == 0)
            return;
    if (s->nscopes < IPL_SRV_SCOPES) {
        memcpy(s->scopes[s->nscopes], scope, n);
        s->scopes[s->nscopes++][n] = 0;
    } else {
        s->scopes_more++;
    }
}

void ipl_srv_sum_format(ipl_srv_sum *s, const char *format)
{
    size_t n = strlen(format), have = strlen(s->formats);
    if (!n)
        return;
    for (const char *p = s->formats; *p;) {
        const char *e = strchr(p, ',');
        size_t m = e ? (size_t)(e - p) : strlen(p);
        if (m == n && strncmp(p, format, n) == 0)
            return;
        p = e ? e + 1 : p + m;
    }
    if (have + n + 2 <= sizeof s->formats)
        snprintf(s->formats + have, sizeof s->formats - have, "%s%s", have ? "," : "", format);
}

double ipl_srv_rate_24h(const ipl_srv_sum *s, int64_t at)
{
    int64_t h = hour_of(at);
    uint64_t n = 0;
    for (int64_t x = h - 23; x <= h; x++)
        if (x <= s->top_hour && x > s->top_hour - IPL_SRV_HOURS)
            n += s->hours[slot(x)];
    return (double)n / 24.0;
}

double ipl_srv_rate_span(const ipl_srv_sum *s)
{
    double hours = (double)(s->last - s->first) / (double)US_PER_HOUR;
    return s->events ? (double)s->events / (hours < 1.0 ? 1.0 : hours) : 0.0;
}

/* ---- the stored form ---- */

size_t ipl_srv__pack(const ipl_srv_sum *s, uint8_t *out)
{
    const uint8_t *p = (const uint8_t *)s, *e = p + sizeof *s;
    size_t w = 0;
    while (p < e) {
        if (*p) {
            out[w++] = *p++;
            continue;
        }
        size_t run = 0;
        while (p < e && !*p && run < 255) {
            p++;
            run++;
        }
        out[w++] = 0;
        out[w++] = (uint8_t)run;
    }
    return w;
}

int ipl_srv__unpack(const void *val, size_t n, ipl_srv_sum *s)
{
    const uint8_t *p = val, *e = p + n;
    uint8_t *o = (uint8_t *)s, *oe = o + sizeof *s;
    while (p < e) {
        if (*p) {
            if (o >= oe)
                return IPL_ECORRUPT;
            *o++ = *p++;
            continue;
        }
        if (p + 1 >= e || p[1] == 0 || (size_t)(oe - o) < p[1])
            return IPL_ECORRUPT;
        memset(o, 0, p[1]);
        o += p[1];
        p += 2;
    }
    if (o != oe || s->version != IPL_SRV_SUM_VERSION)
        return IPL_ECORRUPT;
    return IPL_OK;
}

/* ---- the incremental pass ---- */

typedef struct idmap {          /* open addressing: dictionary id -> index + 1 */
    uint32_t *id;
    uint32_t *ix;
    size_t    cap, n;
} idmap;

static uint32_t idmap_get(const idmap *m, uint32_t id)
{
    if (!m->cap)
        return 0;
    for (size_t i = (id * 2654435761u) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->id[i] == id)
            return m->ix[i];
        if (!m->ix[i])
            return 0;
    }
}

static int idmap_put(idmap *m, uint32_t id, uint32_t ix)
{
    if ((m->n + 1) * 2 > m->cap) {
        idmap g = {0};
        g.cap = m->cap ? m->cap * 2 : 256;
        g.id = calloc(g.cap, sizeof *g.id);
        g.ix = calloc(g.cap, sizeof *g.ix);
        if (!g.id || !g.ix) {
            free(g.id);
            free(g.ix);
            return IPL_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->ix[i])
                idmap_put(&g, m->id[i], m->ix[i]);
        free(m->id);
        free(m->ix);
        *m = g;
    }
    size_t i = (id * 2654435761u) & (m->cap - 1);
    while (m->ix[i] && m->id[i] != id)
        i = (i + 1) & (m->cap - 1);
    if (!m->ix[i])
        m->n++;
    m->id[i] = id;
    m->ix[i] = ix;
    return IPL_OK;
}

typedef struct sumset {        /* summaries of one namespace, in memory */
    const char  *ns;
    int          fresh;        /* a rebuild: stored summaries are not read */
    ipl_srv_sum **sum;
    char        **name;
    uint8_t      *dirty;
    size_t        n, cap;
    idmap         byid;
} sumset;

typedef struct srcinfo {
    char     format[32];
    int      skip;             /* ipledger's own events */
    uint32_t sum;              /* index + 1 in the source set */
    uint32_t last_server;      /* the server id last fed from here */
} srcinfo;

static void sumset_free(sumset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->sum[i]);
        free(s->name[i]);
    }
    free(s->sum);
    free(s->name);
    free(s->dirty);
    free(s->byid.id);
    free(s->byid.ix);
}

static int sumset_add(sumset *s, const char *name, const ipl_srv_sum *init, uint32_t *ix,
                      ipl_diag *d)
{
    if (s->n >= IPL_SRV_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "inventory: more than %d entries in '%s'", IPL_SRV_MAX,
                            s->ns);
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 64;
        ipl_srv_sum **a = realloc(s->sum, c * sizeof *a);
        if (a)
            s->sum = a;
        char **b = realloc(s->name, c * sizeof *b);
        if (b)
            s->name = b;
        uint8_t *dd = realloc(s->dirty, c);
        if (dd)
            s->dirty = dd;
        if (!a || !b || !dd)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        s->cap = c;
    }
    ipl_srv_sum *x = calloc(1, sizeof *x);
    char *nm = strdup(name);
    if (!x || !nm) {
        free(x);
        free(nm);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    if (init)
        *x = *init;
    x->version = IPL_SRV_SUM_VERSION;
    s->sum[s->n] = x;
    s->name[s->n] = nm;
    s->dirty[s->n] = 0;
    *ix = (uint32_t)s->n++;
    return IPL_OK;
}

typedef struct loadctx {
    sumset    *set;
    ipl_diag  *d;
} loadctx;

static int load_fn(void *ctx, const char *key, const void *val, size_t n)
{
    loadctx *c = ctx;
    uint32_t ix = 0;
    ipl_srv_sum *tmp = malloc(sizeof *tmp);
    if (!tmp)
        return ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
    if (ipl_srv__unpack(val, n, tmp) != IPL_OK) {
        free(tmp);
        return 0;                        /* another layout: the next pass folds everything */
    }
    int err = sumset_add(c->set, key, tmp, &ix, c->d);
    free(tmp);
    return err;
}

int ipl_srv__sums_load(ipl_rtxn *t, const char *ns, ipl_srv_sum ***sum, char ***name, size_t *n,
                       ipl_diag *d)
{
    sumset s = {ns, 0, NULL, NULL, NULL, 0, 0, {0}};
    loadctx c = {&s, d};
    int err = ipl_store_kv_scan(t, ns, load_fn, &c, d);
    free(s.dirty);
    free(s.byid.id);
    free(s.byid.ix);
    *sum = s.sum;
    *name = s.name;
    *n = s.n;
    if (err) {
        s.dirty = NULL;
        s.byid.id = s.byid.ix = NULL;
        sumset_free(&s);
        *sum = NULL;
        *name = NULL;
        *n = 0;
    }
    return err;
}

/* The summary of dictionary id `id` in set s (created on first sight): index + 1, 0 on error. */
static uint32_t sum_of(ipl_rtxn *t, sumset *s, uint32_t id, ipl_diag *d)
{
    uint32_t ix = idmap_get(&s->byid, id);
    if (ix)
        return ix;
    const char *nm = ipl_dict_str(t, id);
    if (!nm) {
        ipl_diag_set(d, IPL_ECORRUPT, "dictionary id %u has no string", id);
        return 0;
    }
    /* first sight in this pass: start from the stored summary, if any */
    const void *v;
    size_t vn;
    ipl_srv_sum *tmp = malloc(sizeof *tmp);
    if (!tmp) {
        ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        return 0;
    }
    int have = !s->fresh && ipl_store_kv_get(t, s->ns, nm, &v, &vn) == IPL_OK &&
               ipl_srv__unpack(v, vn, tmp) == IPL_OK;
    int err = sumset_add(s, nm, have ? tmp : NULL, &ix, d);
    free(tmp);
    if (err)
        return 0;
    if (idmap_put(&s->byid, id, ix + 1)) {
        ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        return 0;
    }
    return ix + 1;
}

static int src_info(ipl_rtxn *t, idmap *m, srcinfo **infos, size_t *ninfo, uint32_t id,
                    srcinfo **out, ipl_diag *d)
{
    uint32_t ix = idmap_get(m, id);
    if (!ix) {
        srcinfo *a = realloc(*infos, (*ninfo + 1) * sizeof *a);
        if (!a)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        *infos = a;
        srcinfo *s = &a[*ninfo];
        memset(s, 0, sizeof *s);
        const char *nm = ipl_dict_str(t, id);
        ipl_source_pos pos;
        if (!nm || strncmp(nm, "ipledger:", 9) == 0)
            s->skip = 1;
        else if (ipl_store_source(t, nm, &pos, NULL) == IPL_OK)
            snprintf(s->format, sizeof s->format, "%s", pos.format);
        ix = (uint32_t)++*ninfo;
        if (idmap_put(m, id, ix))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    *out = &(*infos)[ix - 1];
    return IPL_OK;
}

static int scope_kind(unsigned kind)
{
    return kind == IPL_K_CONFIG_CHANGE || ipl_srv_type_of(kind, NULL) == IPL_SRV_DHCP;
}

static void fold_scopes(ipl_rtxn *t, const ipl_rawev *e, ipl_srv_sum *s)
{
    static const unsigned keys[] = {IPL_A_SCOPE, IPL_A_PREFIX, IPL_A_SUBNET_ID};
    if (s->nscopes >= IPL_SRV_SCOPES)
        return;
    for (size_t k = 0; k < 3; k++) {
        ipl_rawattr a;
        if (ipl_rawev_attr(e, keys[k], &a) != IPL_OK)
            continue;
        if (a.interned) {
            const char *v = ipl_dict_str(t, a.id);
            if (v)
                ipl_srv_sum_scope(s, v, strlen(v));
        } else {
            ipl_srv_sum_scope(s, a.val, a.len);
        }
    }
}

typedef struct delctx {
    ipl_batch  *b;
    const char *ns;
    ipl_diag   *d;
} delctx;

static int del_fn(void *ctx, const char *key, const void *val, size_t n)
{
    delctx *c = ctx;
    (void)val;
    (void)n;
    return ipl_batch_kv_del(c->b, c->ns, key, c->d);
}

int ipl_srv_update(ipl_store *st, uint64_t *folded, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_evcur *c = NULL;
    ipl_batch *b = NULL;
    sumset srv = {IPL_SRV_NS_SUM, 0, NULL, NULL, NULL, 0, 0, {0}};
    sumset src = {IPL_SRV_NS_SRC, 0, NULL, NULL, NULL, 0, 0, {0}};
    idmap srcmap = {0};
    srcinfo *infos = NULL;
    uint8_t *packed = NULL;
    size_t ninfo = 0;
    uint64_t from = 0, last, nread = 0;
    int err;
    const void *v;
    size_t vn;
    int lk = -1;
    if (folded)
        *folded = 0;
    /* one pass at a time: two passes from the same seq would each write only what they touched */
    if ((err = ipl_srv__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    uint32_t ver = 0;
    if (ipl_store_kv_get(t, IPL_SRV_NS_META, "summary", &v, &vn) == IPL_OK && vn == 12) {
        memcpy(&from, v, 8);
        memcpy(&ver, (const char *)v + 8, 4);
    }
    if ((err = ipl_batch_new(&b)))
        goto out;
    if (ver != IPL_SRV_SUM_VERSION) {
        /* never summarised, or by another layout: drop what is stored, fold everything */
        from = 0;
        srv.fresh = src.fresh = 1;
        static const char *const nss[] = {IPL_SRV_NS_SUM, IPL_SRV_NS_SRC};
        for (size_t i = 0; i < 2; i++) {
            delctx dc = {b, nss[i], d};
            if ((err = ipl_store_kv_scan(t, nss[i], del_fn, &dc, d)))
                goto out;
        }
    }
    last = ipl_store_last_seq(t);
    if (last <= from && !srv.fresh)
        goto out;
    if ((err = ipl_evcur_open(t, &c, d)))
        goto out;
    ipl_rawev e;
    uint64_t seq = from + 1;
    err = IPL_ENOTFOUND;
    for (; seq <= last; seq++) {          /* the first event after `from` (some may be purged) */
        err = ipl_evcur_get(c, seq, &e, d);
        if (err != IPL_ENOTFOUND)
            break;
    }
    for (; err == IPL_OK; err = ipl_evcur_next(c, &e, d)) {
        nread++;
        if (!e.server || !e.source)
            continue;
        srcinfo *si = NULL;
        if ((err = src_info(t, &srcmap, &infos, &ninfo, e.source, &si, d)))
            goto out;
        if (si->skip)
            continue;
        uint32_t sx = sum_of(t, &srv, e.server, d);
        if (!sx) {
            err = d ? d->code : IPL_ENOMEM;
            goto out;
        }
        if (!si->sum && !(si->sum = sum_of(t, &src, e.source, d))) {
            err = d ? d->code : IPL_ENOMEM;
            goto out;
        }
        unsigned ty = ipl_srv_type_of(e.kind, si->format);
        ipl_srv_sum *S = srv.sum[sx - 1], *R = src.sum[si->sum - 1];
        ipl_srv_sum_add(S, e.ts, ty);
        ipl_srv_sum_add(R, e.ts, ty);
        srv.dirty[sx - 1] = src.dirty[si->sum - 1] = 1;
        if (si->last_server != e.server) {
            si->last_server = e.server;
            ipl_srv_sum_feed(S, src.name[si->sum - 1]);
            ipl_srv_sum_format(S, si->format);
            ipl_srv_sum_feed(R, srv.name[sx - 1]);
            ipl_srv_sum_format(R, si->format);
        }
        if (scope_kind(e.kind))
            fold_scopes(t, &e, S);
    }
    if (err != IPL_ENOTFOUND)
        goto out;
    err = IPL_OK;
    if (!(packed = malloc(IPL_SRV__PACK_MAX))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (int pass = 0; pass < 2; pass++) {
        sumset *s = pass ? &src : &srv;
        for (size_t i = 0; i < s->n; i++) {
            if (!s->dirty[i] || strlen(s->name[i]) + strlen(s->ns) + 2 > 480)
                continue;
            size_t pn = ipl_srv__pack(s->sum[i], packed);
            if ((err = ipl_batch_kv_put(b, s->ns, s->name[i], packed, pn, d)))
                goto out;
        }
    }
    char meta[12];
    ver = IPL_SRV_SUM_VERSION;
    memcpy(meta, &last, 8);
    memcpy(meta + 8, &ver, 4);
    if ((err = ipl_batch_kv_put(b, IPL_SRV_NS_META, "summary", meta, sizeof meta, d)))
        goto out;
    ipl_evcur_close(c);
    c = NULL;
    ipl_rtxn_end(t);
    t = NULL;
    err = ipl_store_commit(st, b, NULL, d);
    if (folded)
        *folded = nread;
out:
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
    ipl_srv__unlock(lk);
    ipl_batch_free(b);
    sumset_free(&srv);
    sumset_free(&src);
    free(srcmap.id);
    free(srcmap.ix);
    free(infos);
    free(packed);
    return err;
}

int ipl_srv_reset(ipl_store *st, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    ipl_batch *b = NULL;
    int err, lk = -1;
    if ((err = ipl_srv__lock(st, &lk, d)) || (err = ipl_batch_new(&b)) ||
        (err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    static const char *const nss[] = {IPL_SRV_NS_SUM, IPL_SRV_NS_SRC, IPL_SRV_NS_META};
    for (size_t i = 0; i < 3; i++) {
        delctx c = {b, nss[i], d};
        if ((err = ipl_store_kv_scan(t, nss[i], del_fn, &c, d)))
            goto out;
    }
    ipl_rtxn_end(t);
    t = NULL;
    err = ipl_store_commit(st, b, NULL, d);
out:
    ipl_rtxn_end(t);
    ipl_srv__unlock(lk);
    ipl_batch_free(b);
    return err;
}

typedef struct scanctx {
    ipl_srv_sum_fn fn;
    void          *ctx;
    ipl_srv_sum   *tmp;
} scanctx;

static int scan_fn(void *ctx, const char *key, const void *val, size_t n)
{
    scanctx *c = ctx;
    if (ipl_srv__unpack(val, n, c->tmp) != IPL_OK)
        return 0;                        /* another layout: the next pass rebuilds it */
    return c->fn(c->ctx, key, c->tmp);
}

int ipl_srv_sources_scan(ipl_rtxn *t, ipl_srv_sum_fn fn, void *ctx, ipl_diag *d)
{
    scanctx c = {fn, ctx, malloc(sizeof(ipl_srv_sum))};
    if (!c.tmp)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err = ipl_store_kv_scan(t, IPL_SRV_NS_SRC, scan_fn, &c, d);
    free(c.tmp);
    return err;
}
