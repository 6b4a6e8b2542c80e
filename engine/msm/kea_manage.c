/* engine/msm/kea_manage.c — registered Kea servers: registration, last known config, drift and
 * changes through the control channel; see kea_manage.h for the flow and the store layout.
 *
 * The JSON edits (ipl_kea_edit_config) and the diff (ipl_kea_diff) are pure; the rest reads the
 * store, talks to Kea (engine/msm/kea.c) and writes one batch per operation.
 */
#include "engine/msm/kea_manage.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_SERVER "kea.server"
#define NS_CONFIG "kea.config"
#define OPT_NAME_MAX 64
#define VALUE_MAX 1024       /* bytes of an option value, hostname, pool given on the command line */

static const char *const op_names[] = {
    "subnet.add", "subnet.edit", "subnet.delete", "pool.add", "pool.delete", "options",
    "reservation.add", "reservation.remove",
};
static const char *const optop_names[] = {"options.add", "options.set", "options.replace",
                                          "options.delete"};

const char *ipl_kea_op_name(ipl_kea_op op)
{
    return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "unknown";
}

static const char *action_of(const ipl_kea_edit *e)
{
    if (e->op == IPL_KEA_OPTIONS && (unsigned)e->optop < 4)
        return optop_names[e->optop];
    return ipl_kea_op_name(e->op);
}

static int64_t now_us(const ipl_kea_actor *a)
{
    if (a && a->clock)
        return a->clock();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int is_v6(const char *service)
{
    return service && strcmp(service, "dhcp6") == 0;
}
static const char *top_key(const char *service)
{
    return is_v6(service) ? "Dhcp6" : "Dhcp4";
}
static const char *subnet_key(const char *service)
{
    return is_v6(service) ? "subnet6" : "subnet4";
}

/* ---- small JSON helpers (cJSON stays inside this file and kea.c) ---- */

static cJSON *get(const cJSON *o, const char *k)
{
    return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *get_str(const cJSON *o, const char *k)
{
    cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int get_id(const cJSON *subnet, int64_t *id)
{
    cJSON *v = get(subnet, "id");
    if (!cJSON_IsNumber(v))
        return 0;
    *id = (int64_t)v->valuedouble;
    return 1;
}

/* Sets o[k] to a string (replacing any value); 0 on success. */
static int set_str(cJSON *o, const char *k, const char *v)
{
    cJSON *s = cJSON_CreateString(v);
    if (!s)
        return -1;
    if (get(o, k))
        return cJSON_ReplaceItemInObjectCaseSensitive(o, k, s) ? 0 : (cJSON_Delete(s), -1);
    return cJSON_AddItemToObject(o, k, s) ? 0 : (cJSON_Delete(s), -1);
}

static cJSON *get_or_add_array(cJSON *o, const char *k)
{
    cJSON *a = get(o, k);
    if (cJSON_IsArray(a))
        return a;
    if (a)
        return NULL;
    return cJSON_AddArrayToObject(o, k);
}

/* ---- addresses and ranges ---- */

typedef struct range {
    uint8_t lo[16], hi[16];
} range;

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* "A-B", "A - B" or a prefix. */
static int parse_range(const char *s, range *r)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return IPL_EPARSE;
    const char *dash = strchr(s, '-');
    if (!dash) {
        ipl_prefix p;
        if (!strchr(s, '/') || ipl_prefix_parse(s, n, 0, &p))
            return IPL_EPARSE;
        memcpy(r->lo, p.lo, 16);
        memcpy(r->hi, p.hi, 16);
        return IPL_OK;
    }
    const char *a = s, *b = dash + 1;
    size_t an = (size_t)(dash - s), bn = n - an - 1;
    trim(&a, &an);
    trim(&b, &bn);
    if (ipl_ip_parse(a, an, r->lo) || ipl_ip_parse(b, bn, r->hi) ||
        ipl_ip_is_v4(r->lo) != ipl_ip_is_v4(r->hi) || memcmp(r->lo, r->hi, 16) > 0)
        return IPL_EPARSE;
    return IPL_OK;
}

static int overlaps(const range *a, const range *b)
{
    return memcmp(a->lo, b->hi, 16) <= 0 && memcmp(b->lo, a->hi, 16) <= 0;
}

static int inside(const range *in, const range *out)
{
    return memcmp(in->lo, out->lo, 16) >= 0 && memcmp(in->hi, out->hi, 16) <= 0;
}

static int subnet_range(const cJSON *subnet, range *r)
{
    const char *p = get_str(subnet, "subnet");
    ipl_prefix pf;
    if (!p || ipl_prefix_parse(p, strlen(p), 1, &pf))
        return 0;
    memcpy(r->lo, pf.lo, 16);
    memcpy(r->hi, pf.hi, 16);
    return 1;
}

static cJSON *find_subnet(cJSON *subnets, int64_t id)
{
    cJSON *s;
    int64_t sid;
    cJSON_ArrayForEach(s, subnets)
        if (get_id(s, &sid) && sid == id)
            return s;
    return NULL;
}

/* The pools of a subnet must be inside it and not overlap one another. */
static int check_pools(const cJSON *subnet, int64_t id, const range *sr, ipl_diag *d)
{
    cJSON *pools = get(subnet, "pools"), *p, *q;
    if (!pools)
        return IPL_OK;
    if (!cJSON_IsArray(pools))
        return ipl_diag_set(d, IPL_ECORRUPT, "subnet id %lld: \"pools\" is not a list",
                            (long long)id);
    cJSON_ArrayForEach(p, pools) {
        const char *ps = get_str(p, "pool");
        range pr, qr;
        if (!ps || parse_range(ps, &pr))
            return ipl_diag_set(d, IPL_EINVAL, "subnet id %lld: malformed pool '%s'",
                                (long long)id, ps ? ps : "(none)");
        if (!inside(&pr, sr))
            return ipl_diag_set(d, IPL_EINVAL, "pool '%s' is outside subnet id %lld (%s)", ps,
                                (long long)id, get_str(subnet, "subnet"));
        for (q = p->next; q; q = q->next) {
            const char *qs = get_str(q, "pool");
            if (qs && parse_range(qs, &qr) == IPL_OK && overlaps(&pr, &qr))
                return ipl_diag_set(d, IPL_EINVAL, "pool '%s' overlaps pool '%s' in subnet id "
                                    "%lld", ps, qs, (long long)id);
        }
    }
    return IPL_OK;
}

/* Reservations of a subnet must be inside it (v4 "ip-address"). */
static int check_reservations(const cJSON *subnet, int64_t id, const range *sr, ipl_diag *d)
{
    cJSON *rs = get(subnet, "reservations"), *r;
    cJSON_ArrayForEach(r, rs) {
        const char *ip = get_str(r, "ip-address");
        uint8_t a[16];
        if (ip && ipl_ip_parse(ip, strlen(ip), a) == IPL_OK) {
            range one;
            memcpy(one.lo, a, 16);
            memcpy(one.hi, a, 16);
            if (!inside(&one, sr))
                return ipl_diag_set(d, IPL_EINVAL, "reservation %s would be outside subnet id "
                                    "%lld (%s)", ip, (long long)id, get_str(subnet, "subnet"));
        }
    }
    return IPL_OK;
}

/* A prefix for a subnet: strict (no host bits), of the server's family, overlapping no other
 * subnet (except the one with id `self`). */
static int check_prefix(cJSON *subnets, const char *prefix, const char *service, int64_t self,
                        range *out, ipl_diag *d)
{
    ipl_prefix p;
    if (!prefix || strlen(prefix) > 64 || ipl_prefix_parse(prefix, strlen(prefix), 0, &p))
        return ipl_diag_set(d, IPL_EINVAL, "'%s' is not a prefix (e.g. 10.1.2.0/24, no host "
                            "bits)", prefix ? prefix : "");
    if ((!p.v4) != is_v6(service))
        return ipl_diag_set(d, IPL_EINVAL, "prefix '%s' is not %s", prefix,
                            is_v6(service) ? "IPv6 (the server is dhcp6)" : "IPv4 (the server is dhcp4)");
    if (strchr(prefix, '/') == NULL)
        return ipl_diag_set(d, IPL_EINVAL, "'%s' has no prefix length", prefix);
    memcpy(out->lo, p.lo, 16);
    memcpy(out->hi, p.hi, 16);
    cJSON *s;
    cJSON_ArrayForEach(s, subnets) {
        range r;
        int64_t id = 0;
        if (get_id(s, &id) && id == self)
            continue;
        if (subnet_range(s, &r) && overlaps(out, &r))
            return ipl_diag_set(d, IPL_EINVAL, "prefix '%s' overlaps subnet id %lld (%s)", prefix,
                                (long long)id, get_str(s, "subnet"));
    }
    return IPL_OK;
}

static cJSON *new_pool(const char *pool, const range *sr, int64_t id, ipl_diag *d, int *err)
{
    range pr;
    *err = IPL_OK;
    if (strlen(pool) > VALUE_MAX || parse_range(pool, &pr)) {
        *err = ipl_diag_set(d, IPL_EINVAL, "malformed pool '%.200s' (expected A-B or a prefix)",
                            pool);
        return NULL;
    }
    if (!inside(&pr, sr)) {
        *err = ipl_diag_set(d, IPL_EINVAL, "pool '%s' is outside subnet id %lld", pool,
                            (long long)id);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "pool", pool)) {
        cJSON_Delete(o);
        *err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        return NULL;
    }
    return o;
}

/* "name=value" -> name (into buf) and value. */
static int split_opt(const char *s, char *name, size_t ncap, const char **value, ipl_diag *d)
{
    const char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : strlen(s);
    if (n == 0 || n > OPT_NAME_MAX || n >= ncap)
        return ipl_diag_set(d, IPL_EINVAL, "option '%.80s': expected NAME=VALUE with a name of "
                            "1-%d characters", s, OPT_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return ipl_diag_set(d, IPL_EINVAL, "option name '%.*s': only letters, digits, - _ .",
                                (int)n, s);
    memcpy(name, s, n);
    name[n] = '\0';
    if (value) {
        if (!eq)
            return ipl_diag_set(d, IPL_EINVAL, "option '%.80s': expected NAME=VALUE", s);
        if (strlen(eq + 1) > VALUE_MAX)
            return ipl_diag_set(d, IPL_EINVAL, "option '%s': value over %d bytes", name,
                                VALUE_MAX);
        *value = eq + 1;
    }
    return IPL_OK;
}

/* Replaces every occurrence of old in s with nw; returns owned or NULL. */
static char *replace_all(const char *s, const char *old, const char *nw)
{
    size_t on = strlen(old), nn = strlen(nw), count = 0;
    for (const char *p = strstr(s, old); p; p = strstr(p + on, old))
        count++;
    size_t len = strlen(s) + count * nn + 1;
    char *out = malloc(len), *w = out;
    if (!out)
        return NULL;
    const char *p = s, *q;
    while ((q = strstr(p, old))) {
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, nw, nn);
        w += nn;
        p = q + on;
    }
    memcpy(w, p, strlen(p) + 1);
    return out;
}

/* One option edit on one subnet; *changed set when it changed something. */
static int option_edit(cJSON *subnet, ipl_kea_optop op, const char *name, const char *value,
                       const char *old, int *changed, ipl_diag *d)
{
    cJSON *od = get(subnet, "option-data"), *o, *found = NULL;
    *changed = 0;
    if (od && !cJSON_IsArray(od))
        return ipl_diag_set(d, IPL_ECORRUPT, "\"option-data\" is not a list");
    cJSON_ArrayForEach(o, od) {
        const char *n = get_str(o, "name");
        if (n && strcmp(n, name) == 0) {
            found = o;
            break;
        }
    }
    switch (op) {
    case IPL_KEA_OPT_ADD:
    case IPL_KEA_OPT_SET:
        if (found) {
            if (op == IPL_KEA_OPT_ADD)
                return IPL_OK;
            const char *cur = get_str(found, "data");
            if (cur && strcmp(cur, value) == 0)
                return IPL_OK;
            if (set_str(found, "data", value))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        } else {
            if (!(od = get_or_add_array(subnet, "option-data")))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            cJSON *n = cJSON_CreateObject();
            if (!n || !cJSON_AddStringToObject(n, "name", name) ||
                !cJSON_AddStringToObject(n, "data", value)) {
                cJSON_Delete(n);
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            }
            cJSON_AddItemToArray(od, n);
        }
        *changed = 1;
        return IPL_OK;
    case IPL_KEA_OPT_REPLACE: {
        const char *cur = found ? get_str(found, "data") : NULL;
        if (!cur || !strstr(cur, old))
            return IPL_OK;
        char *nv = replace_all(cur, old, value);
        int bad = !nv || strlen(nv) > VALUE_MAX * 4 || set_str(found, "data", nv);
        free(nv);
        if (bad)
            return ipl_diag_set(d, IPL_ELIMIT, "option '%s': the replaced value is too long or "
                                "memory ran out", name);
        *changed = 1;
        return IPL_OK;
    }
    case IPL_KEA_OPT_DELETE:
        for (o = od ? od->child : NULL; o;) {
            cJSON *next = o->next;
            const char *n = get_str(o, "name");
            if (n && strcmp(n, name) == 0) {
                cJSON_Delete(cJSON_DetachItemViaPointer(od, o));
                *changed = 1;
            }
            o = next;
        }
        return IPL_OK;
    }
    return ipl_diag_set(d, IPL_EINVAL, "unknown option operation");
}

static int set_options(cJSON *subnet, const char *const *opts, size_t n, ipl_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        char name[OPT_NAME_MAX + 1];
        const char *value;
        int changed, err;
        if ((err = split_opt(opts[i], name, sizeof name, &value, d)) ||
            (err = option_edit(subnet, IPL_KEA_OPT_SET, name, value, NULL, &changed, d)))
            return err;
    }
    return IPL_OK;
}

static int need_subnet(cJSON *subnets, int64_t id, cJSON **s, range *sr, ipl_diag *d)
{
    if (!(*s = find_subnet(subnets, id)))
        return ipl_diag_set(d, IPL_ENOTFOUND, "unknown subnet id %lld", (long long)id);
    if (!subnet_range(*s, sr))
        return ipl_diag_set(d, IPL_ECORRUPT, "subnet id %lld has no valid \"subnet\"",
                            (long long)id);
    return IPL_OK;
}

static int resv_add(cJSON *subnet, int64_t id, const range *sr, const ipl_kea_edit *e, int v6,
                    ipl_diag *d)
{
    uint8_t ip[16];
    char mac[13], macc[18];
    if (!e->ip || ipl_ip_parse(e->ip, strlen(e->ip), ip))
        return ipl_diag_set(d, IPL_EINVAL, "'%.80s' is not an IP address", e->ip ? e->ip : "");
    if (!e->mac || ipl_mac_canon(e->mac, strlen(e->mac), mac))
        return ipl_diag_set(d, IPL_EINVAL, "'%.80s' is not a MAC address", e->mac ? e->mac : "");
    snprintf(macc, sizeof macc, "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", mac, mac + 2, mac + 4, mac + 6,
             mac + 8, mac + 10);
    range one;
    memcpy(one.lo, ip, 16);
    memcpy(one.hi, ip, 16);
    if (!inside(&one, sr))
        return ipl_diag_set(d, IPL_EINVAL, "%s is outside subnet id %lld (%s)", e->ip,
                            (long long)id, get_str(subnet, "subnet"));
    if (e->hostname) {
        size_t hn = strlen(e->hostname);
        if (hn == 0 || hn > 253 || strspn(e->hostname, "abcdefghijklmnopqrstuvwxyz"
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != hn)
            return ipl_diag_set(d, IPL_EINVAL, "hostname '%.80s': 1-253 letters, digits, - and .",
                                e->hostname);
    }
    cJSON *rs = get_or_add_array(subnet, "reservations"), *r;
    if (!rs)
        return ipl_diag_set(d, IPL_ECORRUPT, "subnet id %lld: \"reservations\" is not a list",
                            (long long)id);
    cJSON_ArrayForEach(r, rs) {
        const char *rip = get_str(r, v6 ? "ip-addresses" : "ip-address");
        const char *rmac = get_str(r, "hw-address");
        uint8_t a[16];
        char m[13];
        if (v6) {
            cJSON *x;
            cJSON_ArrayForEach(x, get(r, "ip-addresses"))
                if (cJSON_IsString(x) && ipl_ip_parse(x->valuestring, strlen(x->valuestring), a) == 0 &&
                    memcmp(a, ip, 16) == 0)
                    return ipl_diag_set(d, IPL_EEXIST, "duplicate reservation: %s is already "
                                        "reserved in subnet id %lld", e->ip, (long long)id);
        } else if (rip && ipl_ip_parse(rip, strlen(rip), a) == IPL_OK && memcmp(a, ip, 16) == 0) {
            return ipl_diag_set(d, IPL_EEXIST, "duplicate reservation: %s is already reserved in "
                                "subnet id %lld (for %s)", e->ip, (long long)id,
                                rmac ? rmac : "another client");
        }
        if (rmac && ipl_mac_canon(rmac, strlen(rmac), m) == IPL_OK && strcmp(m, mac) == 0)
            return ipl_diag_set(d, IPL_EEXIST, "duplicate reservation: %s already has a "
                                "reservation in subnet id %lld (%s)", macc, (long long)id,
                                rip ? rip : "an address");
    }
    cJSON *n = cJSON_CreateObject();
    char ipt[IPL_IP_TEXT];
    ipl_ip_format(ip, ipt, sizeof ipt);
    int bad = !n || !cJSON_AddStringToObject(n, "hw-address", macc);
    if (!bad && v6) {
        cJSON *arr = cJSON_AddArrayToObject(n, "ip-addresses"), *s = cJSON_CreateString(ipt);
        bad = !arr || !s;
        if (bad)
            cJSON_Delete(s);
        else
            cJSON_AddItemToArray(arr, s);
    } else if (!bad) {
        bad = !cJSON_AddStringToObject(n, "ip-address", ipt);
    }
    if (!bad && e->hostname)
        bad = !cJSON_AddStringToObject(n, "hostname", e->hostname);
    if (bad) {
        cJSON_Delete(n);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    cJSON_AddItemToArray(rs, n);
    return IPL_OK;
}

static int resv_remove(cJSON *subnet, int64_t id, const ipl_kea_edit *e, int v6, ipl_diag *d)
{
    uint8_t ip[16], a[16];
    if (!e->ip || ipl_ip_parse(e->ip, strlen(e->ip), ip))
        return ipl_diag_set(d, IPL_EINVAL, "'%.80s' is not an IP address", e->ip ? e->ip : "");
    cJSON *rs = get(subnet, "reservations"), *r;
    cJSON_ArrayForEach(r, rs) {
        int hit = 0;
        if (v6) {
            cJSON *x;
            cJSON_ArrayForEach(x, get(r, "ip-addresses"))
                if (cJSON_IsString(x) && ipl_ip_parse(x->valuestring, strlen(x->valuestring), a) == 0 &&
                    memcmp(a, ip, 16) == 0)
                    hit = 1;
        } else {
            const char *rip = get_str(r, "ip-address");
            hit = rip && ipl_ip_parse(rip, strlen(rip), a) == IPL_OK && memcmp(a, ip, 16) == 0;
        }
        if (hit) {
            cJSON_Delete(cJSON_DetachItemViaPointer(rs, r));
            return IPL_OK;
        }
    }
    return ipl_diag_set(d, IPL_ENOTFOUND, "no reservation for %s in subnet id %lld", e->ip,
                        (long long)id);
}

static int edit_in_place(cJSON *config, const char *service, const ipl_kea_edit *e,
                         int64_t *new_id, ipl_diag *d);

int ipl_kea_edit_config(cJSON *config, const char *service, const ipl_kea_edit *e,
                        int64_t *new_id, ipl_diag *d)
{
    /* edit a copy; on success its members move into config (all or nothing) */
    cJSON *copy = cJSON_Duplicate(config, 1);
    if (!copy)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    int err = edit_in_place(copy, service, e, new_id, d);
    if (err == IPL_OK) {
        cJSON *tmp = config->child;
        config->child = copy->child;
        copy->child = tmp;
    }
    cJSON_Delete(copy);
    return err;
}

static int edit_in_place(cJSON *config, const char *service, const ipl_kea_edit *e,
                         int64_t *new_id, ipl_diag *d)
{
    const char *tk = top_key(service), *sk = subnet_key(service);
    cJSON *top = get(config, tk), *subnets, *s = NULL;
    range sr;
    int err;
    int64_t id = e->subnet_id;
    if (!cJSON_IsObject(top))
        return ipl_diag_set(d, IPL_ECORRUPT, "the configuration has no \"%s\" object", tk);
    subnets = get(top, sk);
    if (subnets && !cJSON_IsArray(subnets))
        return ipl_diag_set(d, IPL_ECORRUPT, "\"%s.%s\" is not a list", tk, sk);
    if (e->op != IPL_KEA_SUBNET_ADD && e->op != IPL_KEA_OPTIONS &&
        (err = need_subnet(subnets, id, &s, &sr, d)))
        return err;
    switch (e->op) {
    case IPL_KEA_SUBNET_ADD: {
        if (id < 0 || id > 4294967294LL)
            return ipl_diag_set(d, IPL_EINVAL, "subnet id %lld out of range (1-4294967294)",
                                (long long)id);
        if (!(subnets = get_or_add_array(top, sk)))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        if (id && find_subnet(subnets, id))
            return ipl_diag_set(d, IPL_EEXIST, "subnet id %lld already exists", (long long)id);
        if (!id) {
            cJSON *x;
            int64_t max = 0, xid;
            cJSON_ArrayForEach(x, subnets)
                if (get_id(x, &xid) && xid > max)
                    max = xid;
            if (max >= 4294967294LL)
                return ipl_diag_set(d, IPL_ELIMIT, "no free subnet id after %lld: give --id",
                                    (long long)max);
            id = max + 1;
        }
        if ((err = check_prefix(subnets, e->prefix, service, -1, &sr, d)))
            return err;
        cJSON *n = cJSON_CreateObject();
        if (!n || !cJSON_AddNumberToObject(n, "id", (double)id) ||
            !cJSON_AddStringToObject(n, "subnet", e->prefix)) {
            cJSON_Delete(n);
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        cJSON_AddItemToArray(subnets, n);
        if (e->npools) {
            cJSON *pools = cJSON_AddArrayToObject(n, "pools");
            for (size_t i = 0; i < e->npools; i++) {
                cJSON *p = new_pool(e->pools[i], &sr, id, d, &err);
                if (!p)
                    return err;
                cJSON_AddItemToArray(pools, p);
            }
            if ((err = check_pools(n, id, &sr, d)))
                return err;
        }
        if ((err = set_options(n, e->options, e->noptions, d)))
            return err;
        if (new_id)
            *new_id = id;
        return IPL_OK;
    }
    case IPL_KEA_SUBNET_EDIT:
        if (!e->prefix && !e->npools && !e->noptions)
            return ipl_diag_set(d, IPL_EINVAL, "nothing to change: give --prefix, --pool or "
                                "--option");
        if (e->prefix) {
            if ((err = check_prefix(subnets, e->prefix, service, id, &sr, d)))
                return err;
            if (set_str(s, "subnet", e->prefix))
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        if (e->npools) {
            cJSON *pools = cJSON_CreateArray();
            if (!pools)
                return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            for (size_t i = 0; i < e->npools; i++) {
                cJSON *p = new_pool(e->pools[i], &sr, id, d, &err);
                if (!p) {
                    cJSON_Delete(pools);
                    return err;
                }
                cJSON_AddItemToArray(pools, p);
            }
            if (get(s, "pools"))
                cJSON_ReplaceItemInObjectCaseSensitive(s, "pools", pools);
            else
                cJSON_AddItemToObject(s, "pools", pools);
        }
        if ((err = check_pools(s, id, &sr, d)) || (err = check_reservations(s, id, &sr, d)))
            return err;
        return set_options(s, e->options, e->noptions, d);
    case IPL_KEA_SUBNET_DELETE:
        cJSON_Delete(cJSON_DetachItemViaPointer(subnets, s));
        return IPL_OK;
    case IPL_KEA_POOL_ADD: {
        if (e->npools != 1)
            return ipl_diag_set(d, IPL_EINVAL, "give one --pool");
        cJSON *pools = get_or_add_array(s, "pools");
        cJSON *p = new_pool(e->pools[0], &sr, id, d, &err);
        if (!p)
            return err;
        if (!pools) {
            cJSON_Delete(p);
            return ipl_diag_set(d, IPL_ECORRUPT, "subnet id %lld: \"pools\" is not a list",
                                (long long)id);
        }
        cJSON_AddItemToArray(pools, p);
        return check_pools(s, id, &sr, d);
    }
    case IPL_KEA_POOL_DELETE: {
        range want, pr;
        if (e->npools != 1)
            return ipl_diag_set(d, IPL_EINVAL, "give one --pool");
        if (parse_range(e->pools[0], &want))
            return ipl_diag_set(d, IPL_EINVAL, "malformed pool '%.200s' (expected A-B)",
                                e->pools[0]);
        cJSON *p;
        cJSON_ArrayForEach(p, get(s, "pools")) {
            const char *ps = get_str(p, "pool");
            if (ps && parse_range(ps, &pr) == IPL_OK && !memcmp(pr.lo, want.lo, 16) &&
                !memcmp(pr.hi, want.hi, 16)) {
                cJSON_Delete(cJSON_DetachItemViaPointer(get(s, "pools"), p));
                return IPL_OK;
            }
        }
        return ipl_diag_set(d, IPL_ENOTFOUND, "no pool '%s' in subnet id %lld", e->pools[0],
                            (long long)id);
    }
    case IPL_KEA_OPTIONS: {
        char name[OPT_NAME_MAX + 1];
        if (!e->optname || split_opt(e->optname, name, sizeof name, NULL, d))
            return ipl_diag_set(d, IPL_EINVAL, "bad option name '%.80s'",
                                e->optname ? e->optname : "");
        if (e->optop != IPL_KEA_OPT_DELETE && (!e->optvalue || strlen(e->optvalue) > VALUE_MAX))
            return ipl_diag_set(d, IPL_EINVAL, "option '%s': a value of at most %d bytes is "
                                "needed", name, VALUE_MAX);
        if (e->optop == IPL_KEA_OPT_REPLACE && (!e->optold || !e->optold[0]))
            return ipl_diag_set(d, IPL_EINVAL, "option '%s': replace needs a non-empty OLD",
                                name);
        for (size_t i = 0; i < e->nsubnets; i++)   /* every id named must exist */
            if (!find_subnet(subnets, e->subnets[i]))
                return ipl_diag_set(d, IPL_ENOTFOUND, "unknown subnet id %lld",
                                    (long long)e->subnets[i]);
        cJSON *x;
        cJSON_ArrayForEach(x, subnets) {
            int64_t xid = 0, pick = e->nsubnets == 0;
            get_id(x, &xid);
            for (size_t i = 0; !pick && i < e->nsubnets; i++)
                pick = e->subnets[i] == xid;
            int changed;
            if (pick && (err = option_edit(x, e->optop, name, e->optvalue, e->optold, &changed,
                                           d)))
                return ipl_diag_prefix(d, "subnet id %lld", (long long)xid);
        }
        return IPL_OK;
    }
    case IPL_KEA_RESV_ADD:
        return resv_add(s, id, &sr, e, is_v6(service), d);
    case IPL_KEA_RESV_REMOVE:
        return resv_remove(s, id, e, is_v6(service), d);
    }
    return ipl_diag_set(d, IPL_EINVAL, "unknown operation");
}

int ipl_kea_parse_ids(const char *s, int64_t *ids, size_t cap, size_t *n, ipl_diag *d)
{
    *n = 0;
    if (!s || !s[0])
        return ipl_diag_set(d, IPL_EINVAL, "empty subnet list (give ids like 1,2,5 or all)");
    if (strcmp(s, "all") == 0)
        return IPL_OK;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9')
            return ipl_diag_set(d, IPL_EINVAL, "subnet list '%.80s': '%.20s' is not an id", s, p);
        long long v = strtoll(p, &end, 10);
        if (errno || v < 1 || v > 4294967294LL)
            return ipl_diag_set(d, IPL_EINVAL, "subnet list '%.80s': id out of range", s);
        if (*n >= cap)
            return ipl_diag_set(d, IPL_ELIMIT, "subnet list: more than %zu ids", cap);
        ids[(*n)++] = v;
        if (*end == '\0')
            return IPL_OK;
        if (*end != ',')
            return ipl_diag_set(d, IPL_EINVAL, "subnet list '%.80s': unexpected '%c'", s, *end);
        p = end + 1;
    }
}

/* ---- diff ---- */

static void subnet_name(const cJSON *s, const char *sk, char *buf, size_t n)
{
    int64_t id;
    if (get_id(s, &id))
        snprintf(buf, n, "%s[id=%lld]", sk, (long long)id);
    else
        snprintf(buf, n, "%s[subnet=%.60s]", sk, get_str(s, "subnet") ? get_str(s, "subnet") : "?");
}

/* Subnets are matched by id (or, without an id, by prefix) through a sorted index, so a diff
 * of configs with many thousands of subnets stays O(n log n). */
typedef struct sref {
    int64_t      id;
    int          has_id;
    const char  *prefix;
    const cJSON *s;
} sref;

static int sref_cmp(const void *pa, const void *pb)
{
    const sref *a = pa, *b = pb;
    if (a->has_id != b->has_id)
        return a->has_id ? -1 : 1;
    if (a->has_id)
        return a->id < b->id ? -1 : a->id > b->id;
    return strcmp(a->prefix ? a->prefix : "", b->prefix ? b->prefix : "");
}

static void sref_of(const cJSON *s, sref *r)
{
    r->has_id = get_id(s, &r->id);
    if (!r->has_id)
        r->id = 0;
    r->prefix = get_str(s, "subnet");
    r->s = s;
}

/* A sorted index of arr (owned, free()); *n entries; NULL with *n 0 when arr is empty. */
static sref *sref_index(const cJSON *arr, size_t *n, int *err)
{
    size_t cnt = (size_t)(cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0), k = 0;
    const cJSON *s;
    sref *ix = NULL;
    *n = 0;
    *err = IPL_OK;
    if (!cnt)
        return NULL;
    if (!(ix = malloc(cnt * sizeof *ix))) {
        *err = IPL_ENOMEM;
        return NULL;
    }
    cJSON_ArrayForEach(s, arr)
        if (k < cnt)
            sref_of(s, &ix[k++]);
    qsort(ix, k, sizeof *ix, sref_cmp);
    *n = k;
    return ix;
}

static int diff_indexed(const cJSON *oa, const cJSON *na, const sref *oix, size_t on,
                        const sref *nix, size_t nn, const char *sk, ipl_kea_diff_fn fn, void *ctx);

static const cJSON *find_same(const sref *ix, size_t n, const cJSON *s)
{
    sref key;
    sref_of(s, &key);
    const sref *hit = n ? bsearch(&key, ix, n, sizeof *ix, sref_cmp) : NULL;
    return hit ? hit->s : NULL;
}

static int diff_subnets(const cJSON *oa, const cJSON *na, const char *sk, ipl_kea_diff_fn fn,
                        void *ctx)
{
    size_t on = 0, nn = 0;
    int e1, e2;
    sref *oix = sref_index(oa, &on, &e1), *nix = sref_index(na, &nn, &e2);
    int r = e1 ? e1 : e2 ? e2 : diff_indexed(oa, na, oix, on, nix, nn, sk, fn, ctx);
    free(oix);
    free(nix);
    return r;
}

static int diff_indexed(const cJSON *oa, const cJSON *na, const sref *oix, size_t on,
                        const sref *nix, size_t nn, const char *sk, ipl_kea_diff_fn fn, void *ctx)
{
    int count = 0, r;
    char name[128];
    const cJSON *s;
    cJSON_ArrayForEach(s, oa) {
        const cJSON *m = find_same(nix, nn, s);
        subnet_name(s, sk, name, sizeof name);
        if (!m) {
            if ((r = fn(ctx, name, s, NULL)) < 0)
                return r;
            count++;
        } else if (!cJSON_Compare(s, m, 1)) {
            cJSON *o = cJSON_CreateObject(), *nw = cJSON_CreateObject();
            const cJSON *k;
            if (!o || !nw) {
                cJSON_Delete(o);
                cJSON_Delete(nw);
                return IPL_ENOMEM;
            }
            cJSON_AddNumberToObject(o, "id", cJSON_GetNumberValue(get(s, "id")));
            cJSON_AddNumberToObject(nw, "id", cJSON_GetNumberValue(get(m, "id")));
            cJSON_ArrayForEach(k, s) {
                const cJSON *mk = get(m, k->string);
                if (!mk || !cJSON_Compare(k, mk, 1))
                    cJSON_AddItemToObject(o, k->string, cJSON_Duplicate(k, 1));
                if (mk && !cJSON_Compare(k, mk, 1))
                    cJSON_AddItemToObject(nw, k->string, cJSON_Duplicate(mk, 1));
            }
            cJSON_ArrayForEach(k, m)
                if (!get(s, k->string))
                    cJSON_AddItemToObject(nw, k->string, cJSON_Duplicate(k, 1));
            r = fn(ctx, name, o, nw);
            cJSON_Delete(o);
            cJSON_Delete(nw);
            if (r < 0)
                return r;
            count++;
        }
    }
    cJSON_ArrayForEach(s, na) {
        if (find_same(oix, on, s))
            continue;
        subnet_name(s, sk, name, sizeof name);
        if ((r = fn(ctx, name, NULL, s)) < 0)
            return r;
        count++;
    }
    return count;
}

int ipl_kea_diff(const cJSON *old_cfg, const cJSON *new_cfg, ipl_kea_diff_fn fn, void *ctx)
{
    const char *tk = get(new_cfg, "Dhcp6") || get(old_cfg, "Dhcp6") ? "Dhcp6" : "Dhcp4";
    const char *sk = tk[4] == '6' ? "subnet6" : "subnet4";
    const cJSON *o = get(old_cfg, tk), *n = get(new_cfg, tk), *k;
    char name[300];
    int count = 0, r;
    cJSON_ArrayForEach(k, o) {
        const cJSON *nk = get(n, k->string);
        if (strcmp(k->string, sk) == 0) {
            if ((r = diff_subnets(k, nk, sk, fn, ctx)) < 0)
                return r;
            count += r;
        } else if (!nk || !cJSON_Compare(k, nk, 1)) {
            snprintf(name, sizeof name, "%s.%.200s", tk, k->string);
            if ((r = fn(ctx, name, k, nk)) < 0)
                return r;
            count++;
        }
    }
    cJSON_ArrayForEach(k, n) {
        if (get(o, k->string))
            continue;
        if (strcmp(k->string, sk) == 0) {
            if ((r = diff_subnets(NULL, k, sk, fn, ctx)) < 0)
                return r;
            count += r;
        } else {
            snprintf(name, sizeof name, "%s.%.200s", tk, k->string);
            if ((r = fn(ctx, name, NULL, k)) < 0)
                return r;
            count++;
        }
    }
    return count;
}

int ipl_kea_config_hash(const cJSON *config, char out[65])
{
    char *s = cJSON_PrintUnformatted(config);
    uint8_t h[32];
    if (!s)
        return IPL_ENOMEM;
    ipl_sha256_once(s, strlen(s), h);
    ipl_hex32(h, out);
    free(s);
    return IPL_OK;
}

/* ---- the store ---- */

static int name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > IPL_KEA_NAME_MAX)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int server_decode(const char *name, const void *val, size_t n, ipl_kea_server *s)
{
    memset(s, 0, sizeof *s);
    cJSON *j = cJSON_ParseWithLength(val, n);
    const char *ep = get_str(j, "endpoint"), *svc = get_str(j, "service"),
               *by = get_str(j, "registered_by");
    cJSON *at = get(j, "registered_at");
    int ok = ep && svc && strlen(ep) <= IPL_KEA_ENDPOINT_MAX && strlen(svc) < sizeof s->service;
    if (ok) {
        snprintf(s->name, sizeof s->name, "%s", name);
        snprintf(s->endpoint, sizeof s->endpoint, "%s", ep);
        snprintf(s->service, sizeof s->service, "%s", svc);
        snprintf(s->by, sizeof s->by, "%s", by ? by : "");
        s->at = cJSON_IsNumber(at) ? (int64_t)at->valuedouble : 0;
    }
    cJSON_Delete(j);
    return ok ? IPL_OK : IPL_ECORRUPT;
}

int ipl_kea_server_get(ipl_store *st, const char *name, ipl_kea_server *s, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    const void *v;
    size_t n;
    int err;
    if (!name_valid(name))
        return ipl_diag_set(d, IPL_EINVAL, "'%.80s' is not a kea server name (1-%d letters, "
                            "digits, . _ -)", name ? name : "", IPL_KEA_NAME_MAX);
    if ((err = ipl_rtxn_begin(st, &t, d)))
        return err;
    if (ipl_store_kv_get(t, NS_SERVER, name, &v, &n) != IPL_OK)
        err = ipl_diag_set(d, IPL_ENOTFOUND, "no kea server named '%s' (see kea list)", name);
    else if (server_decode(name, v, n, s))
        err = ipl_diag_set(d, IPL_ECORRUPT, "kea server '%s': its registration is corrupt", name);
    ipl_rtxn_end(t);
    return err;
}

struct list_ctx {
    ipl_kea_server_fn fn;
    void *ctx;
};

static int list_fn(void *ctx, const char *key, const void *val, size_t n)
{
    struct list_ctx *c = ctx;
    ipl_kea_server s;
    if (server_decode(key, val, n, &s))
        return 0;   /* a corrupt entry is skipped in a listing; get names it */
    return c->fn(c->ctx, &s);
}

int ipl_kea_server_list(ipl_store *st, ipl_kea_server_fn fn, void *ctx, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    struct list_ctx c = {fn, ctx};
    int err = ipl_rtxn_begin(st, &t, d);
    if (err)
        return err;
    err = ipl_store_kv_scan(t, NS_SERVER, list_fn, &c, d);
    ipl_rtxn_end(t);
    return err;
}

/* The last known config is kept as a header (kv "kea.config"/NAME: hash, read_at, bytes, parts)
 * and its unformatted JSON cut in parts of PART_BYTES (kv "kea.config.part"/"NAME/000"...), as one
 * kv value holds at most 1 MiB. Header and parts are written in the same batch. */
#define NS_PART    "kea.config.part"
#define PART_BYTES (900u << 10)
#define PARTS_MAX  ((IPL_KEA_CONFIG_MAX + PART_BYTES - 1) / PART_BYTES)

static void part_key(char *buf, size_t n, const char *name, unsigned i)
{
    snprintf(buf, n, "%s/%03u", name, i);
}

/* The last known config (owned) and its hash, or *cfg NULL when there is none. */
static int load_known(ipl_store *st, const char *name, cJSON **cfg, char hash[65], ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    const void *v;
    size_t n;
    char *buf = NULL;
    cJSON *h = NULL;
    int err;
    *cfg = NULL;
    hash[0] = '\0';
    if ((err = ipl_rtxn_begin(st, &t, d)))
        return err;
    if (ipl_store_kv_get(t, NS_CONFIG, name, &v, &n) != IPL_OK)
        goto out;   /* none yet */
    h = cJSON_ParseWithLength(v, n);
    cJSON *bytes = get(h, "bytes"), *parts = get(h, "parts");
    const char *hs = get_str(h, "hash");
    if (!cJSON_IsNumber(bytes) || !cJSON_IsNumber(parts) || bytes->valuedouble < 0 ||
        bytes->valuedouble > IPL_KEA_CONFIG_MAX || parts->valuedouble < 0 ||
        parts->valuedouble > PARTS_MAX) {
        err = ipl_diag_set(d, IPL_ECORRUPT, "kea server '%s': the last known config's header is "
                           "corrupt", name);
        goto out;
    }
    size_t total = (size_t)bytes->valuedouble, np = (size_t)parts->valuedouble, off = 0;
    if (!(buf = malloc(total + 1))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++) {
        char key[IPL_KEA_NAME_MAX + 8];
        part_key(key, sizeof key, name, (unsigned)i);
        if (ipl_store_kv_get(t, NS_PART, key, &v, &n) != IPL_OK || n > total - off) {
            err = ipl_diag_set(d, IPL_ECORRUPT, "kea server '%s': part %zu of the last known "
                               "config is missing or too long", name, i);
            goto out;
        }
        memcpy(buf + off, v, n);
        off += n;
    }
    cJSON *c = off == total ? cJSON_ParseWithLength(buf, total) : NULL;
    if (!cJSON_IsObject(c)) {
        cJSON_Delete(c);
        err = ipl_diag_set(d, IPL_ECORRUPT, "kea server '%s': the last known config is corrupt",
                           name);
        goto out;
    }
    *cfg = c;
    snprintf(hash, 65, "%s", hs ? hs : "");
out:
    free(buf);
    cJSON_Delete(h);
    ipl_rtxn_end(t);
    return err;
}

/* Deletes the header and every part. */
static int del_known(ipl_batch *b, const char *name, ipl_diag *d)
{
    int err = ipl_batch_kv_del(b, NS_CONFIG, name, d);
    for (unsigned i = 0; !err && i < PARTS_MAX; i++) {
        char key[IPL_KEA_NAME_MAX + 8];
        part_key(key, sizeof key, name, i);
        err = ipl_batch_kv_del(b, NS_PART, key, d);
    }
    return err;
}

static int put_known(ipl_batch *b, const char *name, const cJSON *cfg, int64_t now, char hash[65],
                     ipl_diag *d)
{
    cJSON *h = cJSON_CreateObject();
    char *s = NULL, *hj = NULL;
    int err;
    if (!h || !(s = cJSON_PrintUnformatted(cfg))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    size_t len = strlen(s), np = (len + PART_BYTES - 1) / PART_BYTES;
    if (len > IPL_KEA_CONFIG_MAX) {
        err = ipl_diag_set(d, IPL_ELIMIT, "kea server '%s': its config (%zu bytes) is over the "
                           "%u bytes ipledger keeps", name, len, IPL_KEA_CONFIG_MAX);
        goto out;
    }
    uint8_t dig[32];
    ipl_sha256_once(s, len, dig);
    ipl_hex32(dig, hash);
    if (!cJSON_AddStringToObject(h, "hash", hash) ||
        !cJSON_AddNumberToObject(h, "read_at", (double)now) ||
        !cJSON_AddNumberToObject(h, "bytes", (double)len) ||
        !cJSON_AddNumberToObject(h, "parts", (double)np) || !(hj = cJSON_PrintUnformatted(h))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = del_known(b, name, d)) || (err = ipl_batch_kv_put(b, NS_CONFIG, name, hj,
                                                                 strlen(hj), d)))
        goto out;
    for (size_t i = 0; i < np; i++) {
        char key[IPL_KEA_NAME_MAX + 8];
        size_t n = len - i * PART_BYTES < PART_BYTES ? len - i * PART_BYTES : PART_BYTES;
        part_key(key, sizeof key, name, (unsigned)i);
        if ((err = ipl_batch_kv_put(b, NS_PART, key, s + i * PART_BYTES, n, d)))
            goto out;
    }
out:
    free(s);
    free(hj);
    cJSON_Delete(h);
    return err;
}

/* One config.change event. */
typedef struct evctx {
    ipl_batch  *b;
    const char *name, *principal, *action, *result, *endpoint;
    const char *hash;
    int64_t     now;
    size_t      n;
    ipl_diag   *d;
} evctx;

/* A JSON value as an attribute: printed, or (over the limit) its size and digest, said so. */
static char *attr_json(const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    if (!s || strlen(s) <= IPL_ATTR_VAL_MAX)
        return s;
    uint8_t h[32];
    char hex[65];
    size_t n = strlen(s);
    ipl_sha256_once(s, n, h);
    ipl_hex32(h, hex);
    free(s);
    s = malloc(256);
    if (s)
        snprintf(s, 256, "{\"omitted\":\"%zu bytes, over the %d-byte attribute limit\","
                 "\"sha256\":\"%s\"}", n, IPL_ATTR_VAL_MAX, hex);
    return s;
}

static int add_event(evctx *c, const char *suffix, const cJSON *oldv, const cJSON *newv,
                     const char *error)
{
    ipl_event ev;
    char obj[400], msg[2048], errbuf[IPL_ATTR_VAL_MAX + 1];
    char *oj = oldv ? attr_json(oldv) : NULL, *nj = newv ? attr_json(newv) : NULL;
    int err = IPL_OK;
    if ((oldv && !oj) || (newv && !nj)) {
        err = ipl_diag_set(c->d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(obj, sizeof obj, "kea:%s%s%.300s", c->name, suffix && suffix[0] ? "/" : "",
             suffix ? suffix : "");
    snprintf(errbuf, sizeof errbuf, "%s", error ? error : "");
    if (error)
        snprintf(msg, sizeof msg, "%s %s by %s failed: %.900s", obj, c->action, c->principal,
                 error);
    else
        snprintf(msg, sizeof msg, "%s %s by %s%s", obj, c->action, c->principal,
                 strcmp(c->principal, IPL_KEA_EXTERNAL) == 0 ? " (changed outside ipledger)" : "");
    ipl_event_reset(&ev);
    ev.ts = c->now;
    ev.kind = IPL_K_CONFIG_CHANGE;
    ev.user = c->principal;
    ev.server = c->name;
    ev.source = IPL_KEA_SOURCE;
    const struct { unsigned k; const char *v; } at[] = {
        {IPL_A_SUBJECT, c->principal}, {IPL_A_OBJECT, obj}, {IPL_A_ACTION, c->action},
        {IPL_A_OLD, oj}, {IPL_A_NEW, nj}, {IPL_A_RESULT, c->result},
        {IPL_A_ERROR, error ? errbuf : NULL}, {IPL_A_CONFIG_HASH, c->hash && c->hash[0] ? c->hash : NULL},
        {IPL_A_ENDPOINT, c->endpoint}, {IPL_A_MESSAGE, msg},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (at[i].v && (err = ipl_event_add_attr(&ev, at[i].k, at[i].v, strlen(at[i].v)))) {
            err = ipl_diag_set(c->d, err, "kea '%s': cannot build the event of %s", c->name, obj);
            goto out;
        }
    if ((err = ipl_batch_add(c->b, &ev, c->d)))
        goto out;
    c->n++;
out:
    free(oj);
    free(nj);
    return err;
}

static int diff_event_fn(void *ctx, const char *object, const cJSON *old_v, const cJSON *new_v)
{
    return add_event(ctx, object, old_v, new_v, NULL);
}

static int count_fn(void *ctx, const char *object, const cJSON *old_v, const cJSON *new_v)
{
    return 0;
}

static int commit(ipl_store *st, ipl_batch *b, ipl_diag *d)
{
    return ipl_store_commit(st, b, NULL, d);
}

/* Records a failure (event + whatever the batch already holds) keeping d's message; returns
 * the original error. */
static int record_failure(ipl_store *st, evctx *c, const char *suffix, const cJSON *want, int err,
                          ipl_diag *d)
{
    char reason[IPL_DIAG_MAX];
    ipl_diag d2 = {0};
    snprintf(reason, sizeof reason, "%s", d->msg[0] ? d->msg : ipl_strerror(err));
    c->result = "failed";
    c->d = &d2;
    if (add_event(c, suffix, NULL, want, reason) || commit(st, c->b, &d2))
        ipl_diag_set(d, err, "%s (and the failure could not be recorded: %s)", reason, d2.msg);
    return err;
}

static int config_get(const ipl_kea_server *s, int timeout, cJSON **cfg, ipl_diag *d)
{
    cJSON *r = NULL;
    int err = ipl_kea_call(s->endpoint, s->service, "config-get", NULL, timeout, &r, d);
    *cfg = NULL;
    if (err)
        return err;
    cJSON *args = cJSON_DetachItemFromObjectCaseSensitive(r, "arguments");
    cJSON_Delete(r);
    if (!cJSON_IsObject(get(args, top_key(s->service)))) {
        cJSON_Delete(args);
        return ipl_diag_set(d, IPL_ECORRUPT, "kea '%s': reply to 'config-get' has the wrong "
                            "shape: no \"%s\" object in its arguments", s->endpoint,
                            top_key(s->service));
    }
    cJSON_DeleteItemFromObjectCaseSensitive(args, "hash");   /* Kea 2.4+: not part of the config */
    *cfg = args;
    return IPL_OK;
}

int ipl_kea_register(ipl_store *st, const char *name, const char *endpoint, const char *service,
                     const ipl_kea_actor *a, int *baseline, char *warn, size_t wn, ipl_diag *d)
{
    ipl_batch *b = NULL;
    ipl_rtxn *t = NULL;
    cJSON *j = NULL, *cfg = NULL;
    char *s = NULL, hash[65] = "";
    const void *v;
    size_t n;
    int err;
    int64_t now = now_us(a);
    *baseline = 0;
    if (warn && wn)
        warn[0] = '\0';
    if (!service)
        service = "dhcp4";
    if (!name_valid(name))
        return ipl_diag_set(d, IPL_EINVAL, "'%.80s' is not a valid name (1-%d letters, digits, "
                            ". _ -)", name ? name : "", IPL_KEA_NAME_MAX);
    if (strcmp(service, "dhcp4") && strcmp(service, "dhcp6"))
        return ipl_diag_set(d, IPL_EINVAL, "service '%.40s' is not dhcp4 or dhcp6", service);
    if ((err = ipl_kea_endpoint_check(endpoint, d)))
        return err;
    if ((err = ipl_rtxn_begin(st, &t, d)))
        return err;
    int taken = ipl_store_kv_get(t, NS_SERVER, name, &v, &n) == IPL_OK;
    ipl_rtxn_end(t);
    if (taken)
        return ipl_diag_set(d, IPL_EEXIST, "a kea server named '%s' is already registered", name);
    if ((err = ipl_batch_new(&b))) {
        err = ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "endpoint", endpoint) ||
        !cJSON_AddStringToObject(j, "service", service) ||
        !cJSON_AddStringToObject(j, "registered_by", a->principal) ||
        !cJSON_AddNumberToObject(j, "registered_at", (double)now) ||
        !(s = cJSON_PrintUnformatted(j))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_batch_kv_put(b, NS_SERVER, name, s, strlen(s), d)))
        goto out;
    ipl_kea_server srv;
    memset(&srv, 0, sizeof srv);
    snprintf(srv.name, sizeof srv.name, "%s", name);
    snprintf(srv.endpoint, sizeof srv.endpoint, "%s", endpoint);
    snprintf(srv.service, sizeof srv.service, "%s", service);
    ipl_diag dg = {0};
    if (config_get(&srv, a->timeout_ms, &cfg, &dg) == IPL_OK) {
        if ((err = put_known(b, name, cfg, now, hash, &dg)) == IPL_OK)
            *baseline = 1;
        else if (err != IPL_ELIMIT)
            goto out;
    }
    if (!*baseline && warn)
        snprintf(warn, wn, "%s", dg.msg);
    evctx c = {b, name, a->principal, "register", "ok", endpoint, hash, now, 0, d};
    if ((err = add_event(&c, NULL, NULL, j, NULL)) || (err = commit(st, b, d)))
        goto out;
out:
    free(s);
    cJSON_Delete(j);
    cJSON_Delete(cfg);
    ipl_batch_free(b);
    return err;
}

int ipl_kea_unregister(ipl_store *st, const char *name, const ipl_kea_actor *a, ipl_diag *d)
{
    ipl_kea_server s;
    ipl_batch *b = NULL;
    cJSON *j = NULL;
    int err = ipl_kea_server_get(st, name, &s, d);
    if (err)
        return err;
    if ((err = ipl_batch_new(&b)))
        return ipl_diag_set(d, err, "out of memory");
    if (!(j = cJSON_CreateObject()) || !cJSON_AddStringToObject(j, "endpoint", s.endpoint) ||
        !cJSON_AddStringToObject(j, "service", s.service)) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    evctx c = {b, name, a->principal, "unregister", "ok", s.endpoint, NULL, now_us(a), 0, d};
    if ((err = ipl_batch_kv_del(b, NS_SERVER, name, d)) ||
        (err = del_known(b, name, d)) ||
        (err = add_event(&c, NULL, j, NULL, NULL)))
        goto out;
    err = commit(st, b, d);
out:
    cJSON_Delete(j);
    ipl_batch_free(b);
    return err;
}

struct read_ctx {
    evctx *c;
    int record;
    ipl_kea_diff_fn report;
    void *rctx;
};

static int read_diff_fn(void *ctx, const char *object, const cJSON *old_v, const cJSON *new_v)
{
    struct read_ctx *rc = ctx;
    int r;
    if (rc->report && (r = rc->report(rc->rctx, object, old_v, new_v)) < 0)
        return r;
    return rc->record ? add_event(rc->c, object, old_v, new_v, NULL) : 0;
}

int ipl_kea_read(ipl_store *st, const char *name, const ipl_kea_actor *a, int record,
                 cJSON **config, size_t *ndrift, ipl_kea_diff_fn report, void *rctx, ipl_diag *d)
{
    ipl_kea_server s;
    ipl_batch *b = NULL;
    cJSON *known = NULL, *cur = NULL;
    char khash[65], hash[65] = "";
    int err, r;
    int64_t now = now_us(a);
    if (config)
        *config = NULL;
    *ndrift = 0;
    if ((err = ipl_kea_server_get(st, name, &s, d)) || (err = load_known(st, name, &known, khash, d)))
        return err;
    if ((err = ipl_batch_new(&b))) {
        err = ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    evctx c = {b, name, IPL_KEA_EXTERNAL, "drift", NULL, s.endpoint, NULL, now, 0, d};
    if ((err = config_get(&s, a->timeout_ms, &cur, d))) {
        ipl_diag_prefix(d, "kea server '%s'", name);
        if (record) {
            c.principal = a->principal;
            c.action = "config-get";
            record_failure(st, &c, NULL, NULL, err, d);
        }
        goto out;
    }
    if ((err = ipl_kea_config_hash(cur, hash))) {
        err = ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    c.hash = hash;
    if (known) {
        struct read_ctx rc = {&c, record, report, rctx};
        r = ipl_kea_diff(known, cur, read_diff_fn, &rc);
        if (r < 0) {
            err = r;
            goto out;
        }
        *ndrift = (size_t)r;
    }
    if (record && (!known || *ndrift || strcmp(khash, hash) != 0)) {
        if ((err = put_known(b, name, cur, now, hash, d)) || (err = commit(st, b, d)))
            goto out;
    }
    if (config) {
        *config = cur;
        cur = NULL;
    }
out:
    cJSON_Delete(known);
    cJSON_Delete(cur);
    ipl_batch_free(b);
    return err;
}

/* The object a change aims at, for its failure event. */
static void target_of(const ipl_kea_edit *e, const char *sk, int64_t id, char *buf, size_t n)
{
    if (e->op == IPL_KEA_OPTIONS) {
        if (e->nsubnets == 0) {
            snprintf(buf, n, "%s[*]", sk);
            return;
        }
        size_t k = (size_t)snprintf(buf, n, "%s[id=", sk);
        for (size_t i = 0; i < e->nsubnets && k + 24 < n; i++)
            k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)e->subnets[i]);
        snprintf(buf + k, n - k, "]");
        return;
    }
    if (id)
        snprintf(buf, n, "%s[id=%lld]", sk, (long long)id);
    else
        snprintf(buf, n, "%s[new]", sk);
}

/* The request, as the "new" of a failure event. */
static cJSON *request_json(const ipl_kea_edit *e)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    if (e->subnet_id)
        cJSON_AddNumberToObject(j, "id", (double)e->subnet_id);
    if (e->prefix)
        cJSON_AddStringToObject(j, "subnet", e->prefix);
    if (e->npools) {
        cJSON *p = cJSON_AddArrayToObject(j, "pools");
        for (size_t i = 0; p && i < e->npools; i++)
            cJSON_AddItemToArray(p, cJSON_CreateString(e->pools[i]));
    }
    if (e->noptions) {
        cJSON *p = cJSON_AddArrayToObject(j, "options");
        for (size_t i = 0; p && i < e->noptions; i++)
            cJSON_AddItemToArray(p, cJSON_CreateString(e->options[i]));
    }
    if (e->op == IPL_KEA_OPTIONS) {
        if (e->optname)
            cJSON_AddStringToObject(j, "option", e->optname);
        if (e->optold)
            cJSON_AddStringToObject(j, "old", e->optold);
        if (e->optvalue)
            cJSON_AddStringToObject(j, "value", e->optvalue);
    }
    if (e->ip)
        cJSON_AddStringToObject(j, "ip-address", e->ip);
    if (e->mac)
        cJSON_AddStringToObject(j, "hw-address", e->mac);
    if (e->hostname)
        cJSON_AddStringToObject(j, "hostname", e->hostname);
    return j;
}

static int kea_simple(const ipl_kea_server *s, const char *cmd, const cJSON *args, int timeout,
                      ipl_diag *d)
{
    cJSON *r = NULL;
    int err = ipl_kea_call(s->endpoint, s->service, cmd, args, timeout, &r, d);
    cJSON_Delete(r);
    return err;
}

int ipl_kea_apply(ipl_store *st, const char *name, const ipl_kea_actor *a, const ipl_kea_edit *e,
                  ipl_kea_result *res, ipl_diag *d)
{
    ipl_kea_server s;
    ipl_batch *b = NULL;
    cJSON *known = NULL, *cur = NULL, *want = NULL, *conf = NULL, *req = NULL;
    char khash[65], hash[65] = "", target[300];
    int err, r;
    int64_t now = now_us(a), new_id = e->subnet_id;
    memset(res, 0, sizeof *res);
    if ((err = ipl_kea_server_get(st, name, &s, d)) || (err = load_known(st, name, &known, khash, d)))
        return err;
    const char *sk = subnet_key(s.service);
    target_of(e, sk, e->subnet_id, target, sizeof target);
    if ((err = ipl_batch_new(&b))) {
        err = ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    req = request_json(e);
    evctx c = {b, name, IPL_KEA_EXTERNAL, "drift", NULL, s.endpoint, NULL, now, 0, d};
    /* 1. what Kea has now; drift against what we last saw */
    if ((err = config_get(&s, a->timeout_ms, &cur, d))) {
        ipl_diag_prefix(d, "kea server '%s'", name);
        c.principal = a->principal;
        c.action = action_of(e);
        record_failure(st, &c, target, req, err, d);
        goto out;
    }
    if (known) {
        if ((r = ipl_kea_diff(known, cur, diff_event_fn, &c)) < 0) {
            err = r;
            goto out;
        }
        res->drift = (size_t)r;
    }
    if ((err = put_known(b, name, cur, now, hash, d)))
        goto out;
    c.principal = a->principal;
    c.action = action_of(e);
    /* 2. the edit, on a copy */
    if (!(want = cJSON_Duplicate(cur, 1))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = ipl_kea_edit_config(want, s.service, e, &new_id, d))) {
        ipl_diag_prefix(d, "kea server '%s'", name);
        record_failure(st, &c, target, req, err, d);
        goto out;
    }
    res->subnet_id = new_id;
    target_of(e, sk, new_id, target, sizeof target);
    if ((r = ipl_kea_diff(cur, want, count_fn, NULL)) <= 0) {   /* nothing to do */
        err = r < 0 ? ipl_diag_set(d, r, "out of memory") : commit(st, b, d);
        snprintf(res->hash, sizeof res->hash, "%s", hash);
        goto out;
    }
    /* 3. test, set, write, confirm */
    const char *step = "config-test";
    if ((err = kea_simple(&s, "config-test", want, a->timeout_ms, d)) == IPL_OK) {
        step = "config-set";
        err = kea_simple(&s, "config-set", want, a->timeout_ms, d);
        if (err && err != IPL_EDENIED) {
            /* no clear answer: Kea may or may not run the new config; put the old one back */
            char first[IPL_DIAG_MAX];
            ipl_diag d2 = {0};
            snprintf(first, sizeof first, "%s", d->msg);
            if (kea_simple(&s, "config-set", cur, a->timeout_ms, &d2) == IPL_OK)
                ipl_diag_set(d, err, "%s; the previous config was set back", first);
            else
                ipl_diag_set(d, err, "%s; setting the previous config back failed too (%s): the "
                             "next read shows what Kea runs", first, d2.msg);
        } else if (err == IPL_OK) {
            step = "config-write";
            if ((err = kea_simple(&s, "config-write", NULL, a->timeout_ms, d))) {
                char first[IPL_DIAG_MAX];
                ipl_diag d2 = {0};
                snprintf(first, sizeof first, "%s", d->msg);
                if (kea_simple(&s, "config-set", cur, a->timeout_ms, &d2) == IPL_OK)
                    ipl_diag_set(d, err, "%s; the previous config was set back", first);
                else
                    ipl_diag_set(d, err, "%s; setting the previous config back failed too (%s): "
                                 "Kea may run the change unsaved; the next read shows it", first,
                                 d2.msg);
            }
        }
    }
    if (err) {
        ipl_diag_prefix(d, "kea server '%s': %s", name, step);
        record_failure(st, &c, target, req, err, d);
        goto out;
    }
    step = "config-get (confirming)";
    if ((err = config_get(&s, a->timeout_ms, &conf, d))) {
        ipl_diag_prefix(d, "kea server '%s': %s after config-set", name, step);
        record_failure(st, &c, target, req, err, d);
        goto out;
    }
    if ((err = put_known(b, name, conf, now, hash, d)))
        goto out;
    c.hash = hash;
    c.result = "ok";
    if ((r = ipl_kea_diff(cur, conf, diff_event_fn, &c)) < 0) {
        err = r;
        goto out;
    }
    if (r == 0) {
        err = ipl_diag_set(d, IPL_EIO, "kea server '%s' accepted the change but config-get does "
                           "not show it", name);
        record_failure(st, &c, target, req, err, d);
        goto out;
    }
    res->changed = (size_t)r;
    snprintf(res->hash, sizeof res->hash, "%s", hash);
    err = commit(st, b, d);
out:
    cJSON_Delete(known);
    cJSON_Delete(cur);
    cJSON_Delete(want);
    cJSON_Delete(conf);
    cJSON_Delete(req);
    ipl_batch_free(b);
    return err;
}
