/* tools/cli/cmd_asm.c — `ipledger asm ...`: address space management (docs/asm.md).
 *
 *   asm space|block|subnet|range|address create|edit|delete|list|show ...
 *   asm free, allocate, reclaim, import, export, util, trend, thresholds, alerts, conflicts,
 *   discover, rebuild --check
 * The work is in queries/asm*.c; this file parses arguments and prints.
 */
#include "tools/cli/cli.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "queries/asm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ASM_FILE_MAX (64u << 20)    /* bytes of a CSV file to import */

static const char *const obj_usage =
    "ipledger asm TYPE create ID [KEY=VALUE...] [--space S]\n"
    "       ipledger asm TYPE edit ID KEY=VALUE... [--space S]     (KEY= removes a field)\n"
    "       ipledger asm TYPE delete ID [--cascade] [--space S]\n"
    "       ipledger asm TYPE list [--space S] [--format F]\n"
    "       ipledger asm TYPE show ID [--space S] [--at T]\n"
    "TYPE is space, block, subnet, range or address; ID is a space name, a prefix\n"
    "(10.72.144.0/22, 2001:db8::/48), START-END, or an address. Fields:\n"
    "  all but space: description owner custom.NAME (repeat for several values)\n"
    "  space:   kind=provider|customer provider=SPACE (customer spaces) description\n"
    "  block:   rir=AFRINIC|APNIC|ARIN|LACNIC|RIPE received=YYYY-MM-DD (public blocks) low high\n"
    "  subnet:  block=PREFIX name vlan low high\n"
    "  range:   subnet=PREFIX managed_by service_instance origin=manual|discovered|import\n"
    "           exclude=A|A-B (repeat) name vlan low high\n"
    "  address: range=START-END state=in-use|reserved|inactive assignment=static|dynamic|\n"
    "           reserved|vip mac duid device expiry=YYYY-MM-DD\n"
    "every change is a config.change event with you as the acting principal";

static const struct { const char *name, *usage; } subs[] = {
    {"free", "ipledger asm free RANGE [--count N] [--at T] [--allocate [--set K=V]...]\n"
             "       ipledger asm free BLOCK --prefix-len L [--count N]   free subnets /L\n"
             "       ipledger asm free SUBNET --size N [--count N]        free ranges of N addresses\n"
             "free addresses skip exclusions, static/reserved/in-use address objects and leased ones"},
    {"allocate", "ipledger asm allocate RANGE [--count N] [--set K=V]...\n"
                 "finds and records the next free addresses (state reserved, assignment static)\n"
                 "atomically: two callers never get the same address"},
    {"reclaim", "ipledger asm reclaim --days N [--space S] [--release]\n"
                "address objects with no lease now and no activity for N days; --release deletes them"},
    {"import", "ipledger asm import FILE|- --type block|subnet|range|address [--space S]\n"
               "CSV with IPAM's column names or ipledger's; bad rows are reported by number,\n"
               "valid rows applied"},
    {"export", "ipledger asm export --type block|subnet|range|address [--space S] [--ipam]"},
    {"util", "ipledger asm util [ID] [--type range|subnet|block] [--space S] [--at T]\n"
             "utilization from the lease stream (who rule) plus static/reserved addresses"},
    {"trend", "ipledger asm trend ID|PREFIX|START-END --since T [--until T] [--step 1h|1d|...]\n"
              "leased addresses at each step, from the event history"},
    {"thresholds", "ipledger asm thresholds ID [--type range|subnet|block] [--low P] [--high P]\n"
                   "shows or sets the thresholds of an object (default 20% and 80%)"},
    {"alerts", "ipledger asm alerts [--at T]\n"
               "checks every range, subnet and block against its thresholds and records an alert\n"
               "event for each one that crossed a threshold since the last check"},
    {"conflicts", "ipledger asm conflicts [--from T] [--to T] [--format F] [--record]\n"
                  "overlapping ranges, scopes on two servers, statics leased by DHCP, addresses held\n"
                  "by two clients, DHCP address-in-use conflicts; --record writes one asm.conflict\n"
                  "event per conflict not recorded before (and per overlap since resolved)"},
    {"discover", "ipledger asm discover [--from T] [--to T]\n"
                 "creates ranges from lease traffic: one per (server, /24 or /64) seen in assigns"},
    {"group", "ipledger asm group create|edit NAME --by F1[,F2...] [--type range|subnet|block|address]\n"
              "       ipledger asm group delete NAME | list | show NAME [--at T] [--format F]\n"
              "logical groups: a tree of objects by the values of their fields (custom.NAME fields\n"
              "may hold several values; an object then sits under each), with summed utilization"},
    {"rebuild", "ipledger asm rebuild --check\n"
                "replays the asm config.change events and compares with the live view"},
};

static ipl_opt asm_opts[] = {
    CLI_STORE_OPT, CLI_FORMAT_OPT,
    {"space", 1, "S  address space (default: default)", NULL, {0}, 0},
    {"set", 1, "K=V  a field (repeatable)", NULL, {0}, 0},
    {"cascade", 0, "delete everything below too", NULL, {0}, 0},
    {"at", 1, "T  instant (default now)", NULL, {0}, 0},
    {"from", 1, "T  start of the lease history looked at", NULL, {0}, 0},
    {"to", 1, "T  end of the lease history looked at", NULL, {0}, 0},
    {"since", 1, "T  trend start (e.g. -90d)", NULL, {0}, 0},
    {"until", 1, "T  trend end (default now)", NULL, {0}, 0},
    {"step", 1, "D  trend step: 30s, 15m, 1h, 1d, 1w (default 1d)", NULL, {0}, 0},
    {"tz", 1, "ZONE  zone of times without an offset (default UTC)", NULL, {0}, 0},
    {"count", 1, "N  how many (default 1)", NULL, {0}, 0},
    {"allocate", 0, "record the addresses found (atomic)", NULL, {0}, 0},
    {"prefix-len", 1, "L  free subnets of this length", NULL, {0}, 0},
    {"size", 1, "N  free ranges of N addresses", NULL, {0}, 0},
    {"days", 1, "N  reclaim: inactive for N days", NULL, {0}, 0},
    {"release", 0, "reclaim: delete the candidates", NULL, {0}, 0},
    {"type", 1, "T  object type", NULL, {0}, 0},
    {"ipam", 0, "export with IPAM's column names", NULL, {0}, 0},
    {"low", 1, "P  low threshold percent", NULL, {0}, 0},
    {"high", 1, "P  high threshold percent", NULL, {0}, 0},
    {"check", 0, "rebuild: compare only", NULL, {0}, 0},
    {"record", 0, "conflicts: record new (and resolved) conflicts as asm.conflict events", NULL, {0}, 0},
    {"by", 1, "F,F  group: the fields of each level (owner, vlan, managed_by, custom.NAME, ...)", NULL, {0}, 0},
};
#define NOPTS (sizeof asm_opts / sizeof asm_opts[0])

static int fail(const char *sub, int err, const ipl_diag *d)
{
    int code = (err == IPL_EINVAL || err == IPL_ENOTFOUND || err == IPL_EEXIST ||
                err == IPL_EBUSY || err == IPL_EPARSE) ? 2 : 1;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "asm %s", sub);
    return cli_fail(cmd, code, "%s", d->msg[0] ? d->msg : ipl_strerror(err));
}

static int get_time(const char *sub, const ipl_args *a, const char *opt, int64_t dflt, int64_t *us)
{
    const char *s = ipl_arg(a, opt);
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    char cmd[64];
    snprintf(cmd, sizeof cmd, "asm %s", sub);
    *us = dflt;
    if (!s)
        return 0;
    if (ipl_arg(a, "tz") && ipl_tz_load(&tz, ipl_arg(a, "tz"), &d))
        return cli_fail(cmd, 2, "--tz: %s", d.msg);
    int rc = cli_time(cmd, opt, s, tz, us);
    ipl_tz_free(tz);
    return rc;
}

static int get_count(const char *sub, const ipl_args *a, const char *opt, uint64_t dflt,
                     uint64_t max, uint64_t *n)
{
    const char *s = ipl_arg(a, opt);
    char *e;
    *n = dflt;
    if (!s)
        return 0;
    errno = 0;
    unsigned long long x = strtoull(s, &e, 10);
    if (errno || *e || !*s || x == 0 || x > max) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "asm %s", sub);
        return cli_fail(cmd, 2, "--%s: '%s' is not a number 1-%llu", opt, s,
                        (unsigned long long)max);
    }
    *n = x;
    return 0;
}

static int parse_step(const char *s, int64_t *us)
{
    char *e;
    errno = 0;
    long long x = strtoll(s, &e, 10);
    int64_t unit;
    if (errno || e == s || x <= 0 || x > 100000)
        return -1;
    if (strcmp(e, "s") == 0)
        unit = 1;
    else if (strcmp(e, "m") == 0)
        unit = 60;
    else if (strcmp(e, "h") == 0)
        unit = 3600;
    else if (strcmp(e, "d") == 0)
        unit = 86400;
    else if (strcmp(e, "w") == 0)
        unit = 7 * 86400;
    else
        return -1;
    *us = (int64_t)x * unit * 1000000;
    return 0;
}

/* Which object an ID names: a range for "a-b", an address for a bare IP, else a subnet or block
 * (the subnet when both exist). */
static const ipl_asm_obj *guess(const ipl_asm_view *v, const char *space, const char *id,
                                const char *type)
{
    ipl_asm_type t;
    if (type && ipl_asm_type_parse(type, &t) == IPL_OK)
        return ipl_asm_find(v, t, space, id);
    if (strchr(id, '-'))
        return ipl_asm_find(v, IPL_ASM_RANGE, space, id);
    if (!strchr(id, '/'))
        return ipl_asm_find(v, IPL_ASM_ADDRESS, space, id);
    const ipl_asm_obj *o = ipl_asm_find(v, IPL_ASM_SUBNET, space, id);
    return o ? o : ipl_asm_find(v, IPL_ASM_BLOCK, space, id);
}

static const char *band(double pct, const ipl_asm_obj *o)
{
    double lo, hi;
    ipl_asm_thresholds(o, &lo, &hi);
    return pct < lo ? "low" : pct > hi ? "high" : "normal";
}

/* ---- object commands ---- */

static void summary(const ipl_asm_obj *o, char *buf, size_t n)
{
    const char *keys[] = {"kind", "provider", "class", "rir", "name", "vlan", "managed_by",
                          "origin", "state", "assignment", "mac", "duid", "device", "expiry"};
    size_t w = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && w < n; i++) {
        const char *v = ipl_asm_obj_str(o, keys[i]);
        if (v)
            w += (size_t)snprintf(buf + w, n - w, "%s%s=%s", w ? " " : "", keys[i], v);
    }
}

static int do_list(const ipl_args *a, ipl_asm_type t, const char *sub)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int rc, err;
    static const ipl_col cols[] = {{"type", IPL_COL_STR}, {"space", IPL_COL_STR},
                                   {"id", IPL_COL_STR},   {"parent", IPL_COL_STR},
                                   {"summary", IPL_COL_STR}, {"description", IPL_COL_STR},
                                   {"object", IPL_COL_JSON}};
    const char *space = ipl_arg(a, "space");
    if ((rc = cli_out_format("asm", a, &f)) || (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    int json = f == IPL_OUT_JSON || f == IPL_OUT_NDJSON;
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)) ||
        (err = ipl_out_new(&o, f, cols, json ? 7 : 6, cli_write_stdout, NULL)))
        goto out;
    for (size_t i = 0; i < ipl_asm_count(v, t); i++) {
        const ipl_asm_obj *x = ipl_asm_at(v, t, i);
        char sum[600];
        if (space && t != IPL_ASM_SPACE && strcmp(ipl_asm_obj_space(x), space) != 0)
            continue;
        summary(x, sum, sizeof sum);
        const char *par = t == IPL_ASM_SUBNET  ? ipl_asm_obj_str(x, "block")
                        : t == IPL_ASM_RANGE   ? ipl_asm_obj_str(x, "subnet")
                        : t == IPL_ASM_ADDRESS ? ipl_asm_obj_str(x, "range")
                                               : NULL;
        char *js = json ? ipl_asm_obj_json(x) : NULL;
        const char *vals[] = {ipl_asm_type_name(t), ipl_asm_obj_space(x), ipl_asm_obj_id(x), par,
                              sum, ipl_asm_obj_str(x, "description"), js};
        err = ipl_out_row(o, vals);
        free(js);
        if (err)
            break;
    }
    if (!err)
        err = ipl_out_end(o);
out:
    ipl_out_free(o);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail(sub, err, &d) : 0;
}

static int do_show(const ipl_args *a, ipl_asm_type t, const char *id, const char *sub)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_diag d = {0};
    int rc, err;
    int64_t at;
    if ((rc = get_time(sub, a, "at", INT64_MAX - 1, &at)) ||
        (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)))
        goto out;
    const ipl_asm_obj *o = ipl_asm_find(v, t, ipl_arg(a, "space"), id);
    if (!o) {
        err = ipl_diag_set(&d, IPL_ENOTFOUND, "%s '%s' does not exist in space '%s'",
                           ipl_asm_type_name(t), id,
                           ipl_arg(a, "space") ? ipl_arg(a, "space") : IPL_ASM_DEFAULT_SPACE);
        goto out;
    }
    char *js = ipl_asm_obj_json(o);
    printf("%s\n", js ? js : "");
    free(js);
    if (t == IPL_ASM_RANGE || t == IPL_ASM_SUBNET || t == IPL_ASM_BLOCK) {
        ipl_asm_util u;
        if ((err = ipl_asm_utilization(tx, v, o, at, &u, &d)))
            goto out;
        printf("utilization: %.1f%% (%.0f used of %.0f; %llu leased) %s\n", u.pct, u.used, u.size,
               (unsigned long long)u.leased, band(u.pct, o));
    }
out:
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail(sub, err, &d) : 0;
}

static int do_object(const ipl_args *a, ipl_asm_type t)
{
    const char *sub = ipl_asm_type_name(t);
    const char *verb = a->npos > 1 ? a->pos[1] : "";
    const char *fields[IPL_ASM_FIELDS_MAX];
    size_t nf = 0;
    ipl_diag d = {0};
    char cmd[64];
    snprintf(cmd, sizeof cmd, "asm %s", sub);
    if (strcmp(verb, "list") == 0) {
        if (a->npos != 2)
            return cli_fail(cmd, 2, "list takes no id (use show)");
        return do_list(a, t, sub);
    }
    if (a->npos < 3)
        return cli_fail(cmd, 2, "say create, edit, delete, list or show, then the %s (see -h)",
                        sub);
    const char *id = a->pos[2];
    if (strcmp(verb, "show") == 0)
        return do_show(a, t, id, sub);
    int action = strcmp(verb, "create") == 0 ? IPL_ASM_CREATE
               : strcmp(verb, "edit") == 0   ? IPL_ASM_EDIT
               : strcmp(verb, "delete") == 0 ? IPL_ASM_DELETE
                                             : -1;
    if (action < 0)
        return cli_fail(cmd, 2, "'%s' is not create, edit, delete, list or show", verb);
    for (int i = 3; i < a->npos; i++) {
        if (nf >= IPL_ASM_FIELDS_MAX)
            return cli_fail(cmd, 2, "more than %d fields", IPL_ASM_FIELDS_MAX);
        fields[nf++] = a->pos[i];
    }
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(a->opts[i].name, "set") == 0)
            for (int k = 0; k < a->opts[i].count; k++) {
                if (nf >= IPL_ASM_FIELDS_MAX)
                    return cli_fail(cmd, 2, "more than %d fields", IPL_ASM_FIELDS_MAX);
                fields[nf++] = a->opts[i].values[k];
            }
    if (action == IPL_ASM_DELETE && nf)
        return cli_fail(cmd, 2, "delete takes no fields");
    if (action == IPL_ASM_EDIT && !nf)
        return cli_fail(cmd, 2, "edit needs KEY=VALUE fields");
    ipl_store *st = NULL;
    ipl_asm_actor actor;
    uint64_t seq = 0;
    int rc = cli_open_store("asm", a, 0, &st);
    if (rc)
        return rc;
    ipl_asm_actor_default(&actor);
    ipl_asm_change c = {t, action, ipl_arg(a, "space"), id, fields, nf, ipl_arg_flag(a, "cascade")};
    int err = ipl_asm_apply(st, &actor, &c, 1, &seq, &d);
    ipl_store_close(st);
    if (err)
        return fail(sub, err, &d);
    if (seq)
        printf("%s %s %s (event %llu)\n", sub, id,
               action == IPL_ASM_CREATE ? "created" : action == IPL_ASM_EDIT ? "edited" : "deleted",
               (unsigned long long)seq);
    else
        printf("%s %s unchanged\n", sub, id);
    return 0;
}

/* ---- free / allocate ---- */

static void print_ip(const uint8_t ip[16])
{
    char t[IPL_IP_TEXT];
    ipl_ip_format(ip, t, sizeof t);
    printf("%s\n", t);
}

static void print_span(const uint8_t lo[16], const uint8_t hi[16], int prefix_bits)
{
    char a1[IPL_IP_TEXT], a2[IPL_IP_TEXT];
    ipl_ip_format(lo, a1, sizeof a1);
    if (prefix_bits >= 0)
        printf("%s/%d\n", a1, prefix_bits);
    else {
        ipl_ip_format(hi, a2, sizeof a2);
        printf("%s-%s\n", a1, a2);
    }
}

static int do_free(const ipl_args *a, int allocate)
{
    const char *sub = allocate ? "allocate" : "free";
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_diag d = {0};
    uint64_t count, plen = 0, size = 0;
    int64_t at;
    int rc, err = IPL_OK;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "asm %s", sub);
    if (a->npos != 2)
        return cli_fail(cmd, 2, "give one range, block or subnet (see -h)");
    const char *id = a->pos[1];
    allocate |= ipl_arg_flag(a, "allocate");
    if ((rc = get_count(sub, a, "count", 1, IPL_ASM_FREE_MAX, &count)) ||
        (rc = get_count(sub, a, "prefix-len", 0, 128, &plen)) ||
        (rc = get_count(sub, a, "size", 0, UINT64_MAX / 2, &size)) ||
        (rc = get_time(sub, a, "at", INT64_MAX - 1, &at)))
        return rc;
    if (allocate) {
        const char *fields[64];
        size_t nf = 0;
        uint8_t (*ips)[16] = NULL;
        size_t found = 0;
        uint64_t seq = 0;
        ipl_asm_actor actor;
        if (plen || size)
            return cli_fail(cmd, 2, "--allocate takes addresses from a range");
        for (size_t i = 0; i < NOPTS; i++)
            if (strcmp(a->opts[i].name, "set") == 0)
                for (int k = 0; k < a->opts[i].count && nf < 62; k++)
                    fields[nf++] = a->opts[i].values[k];
        if ((rc = cli_open_store("asm", a, 0, &st)))
            return rc;
        ipl_asm_actor_default(&actor);
        err = ipl_asm_allocate(st, &actor, ipl_arg(a, "space"), id, (size_t)count, fields, nf,
                               &ips, &found, &seq, &d);
        ipl_store_close(st);
        if (err)
            return fail(sub, err, &d);
        for (size_t i = 0; i < found; i++)
            print_ip(ips[i]);
        free(ips);
        return 0;
    }
    if ((rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)))
        goto out;
    if (plen) {
        const ipl_asm_obj *b = ipl_asm_find(v, IPL_ASM_BLOCK, ipl_arg(a, "space"), id);
        uint8_t (*l)[2][16] = NULL;
        size_t found = 0;
        if (!b) {
            err = ipl_diag_set(&d, IPL_ENOTFOUND, "block '%s' does not exist", id);
            goto out;
        }
        if ((err = ipl_asm_free_subnets(v, b, (int)plen, (size_t)count, &l, &found, &d)))
            goto out;
        for (size_t i = 0; i < found; i++)
            print_span(l[i][0], l[i][1], (int)plen);
        free(l);
    } else if (size) {
        const ipl_asm_obj *s = ipl_asm_find(v, IPL_ASM_SUBNET, ipl_arg(a, "space"), id);
        uint8_t (*l)[2][16] = NULL;
        size_t found = 0;
        if (!s) {
            err = ipl_diag_set(&d, IPL_ENOTFOUND, "subnet '%s' does not exist", id);
            goto out;
        }
        if ((err = ipl_asm_free_ranges(v, s, size, (size_t)count, &l, &found, &d)))
            goto out;
        for (size_t i = 0; i < found; i++)
            print_span(l[i][0], l[i][1], -1);
        free(l);
    } else {
        const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, ipl_arg(a, "space"), id);
        uint8_t (*ips)[16] = NULL;
        size_t found = 0;
        if (!r) {
            err = ipl_diag_set(&d, IPL_ENOTFOUND, "range '%s' does not exist in space '%s'", id,
                               ipl_arg(a, "space") ? ipl_arg(a, "space") : IPL_ASM_DEFAULT_SPACE);
            goto out;
        }
        if ((err = ipl_asm_free_addresses(tx, v, r, at, (size_t)count, &ips, &found, &d)))
            goto out;
        for (size_t i = 0; i < found; i++)
            print_ip(ips[i]);
        free(ips);
    }
out:
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail(sub, err, &d) : 0;
}

/* ---- reclaim ---- */

typedef struct reclaim_ctx {
    ipl_out *o;
    char   (*ids)[112];
    char   (*spaces)[IPL_ASM_NAME_MAX];
    size_t   n, cap;
    int      err;
} reclaim_ctx;

static int reclaim_row(void *c, const ipl_asm_obj *o, int64_t last)
{
    reclaim_ctx *x = c;
    char lt[IPL_TIME_BUF] = "never";
    if (last)
        ipl_time_format(last, lt, sizeof lt);
    const char *vals[] = {ipl_asm_obj_space(o), ipl_asm_obj_id(o), ipl_asm_obj_str(o, "state"),
                          ipl_asm_obj_str(o, "assignment"), ipl_asm_obj_str(o, "device"), lt};
    if (x->o && ipl_out_row(x->o, vals))
        return IPL_EIO;
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 256;
        if (nc > 4000000)
            return IPL_ELIMIT;
        void *a = realloc(x->ids, nc * sizeof *x->ids), *b = a ? realloc(x->spaces, nc * sizeof *x->spaces) : NULL;
        if (a)
            x->ids = a;
        if (!a || !b)
            return IPL_ENOMEM;
        x->spaces = b;
        x->cap = nc;
    }
    snprintf(x->ids[x->n], sizeof x->ids[x->n], "%s", ipl_asm_obj_id(o));
    snprintf(x->spaces[x->n], sizeof x->spaces[x->n], "%s", ipl_asm_obj_space(o));
    x->n++;
    return 0;
}

static int do_reclaim(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_diag d = {0};
    ipl_out_format f;
    reclaim_ctx x = {0};
    uint64_t days;
    int rc, err;
    static const ipl_col cols[] = {{"space", IPL_COL_STR}, {"address", IPL_COL_STR},
                                   {"state", IPL_COL_STR}, {"assignment", IPL_COL_STR},
                                   {"device", IPL_COL_STR}, {"last_activity", IPL_COL_STR}};
    if (!ipl_arg(a, "days"))
        return cli_fail("asm reclaim", 2, "give --days N");
    if ((rc = get_count("reclaim", a, "days", 1, 36600, &days)) ||
        (rc = cli_out_format("asm", a, &f)) || (rc = cli_open_store("asm", a, 0, &st)))
        return rc;
    int release = ipl_arg_flag(a, "release");
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)) ||
        (err = ipl_out_new(&x.o, f, cols, 6, cli_write_stdout, NULL)))
        goto out;
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    if ((err = ipl_asm_reclaim_list(tx, v, ipl_arg(a, "space"), ipl_asm_now(&actor), (int)days,
                                    reclaim_row, &x, &d)) ||
        (err = ipl_out_end(x.o)))
        goto out;
    ipl_rtxn_end(tx);
    tx = NULL;
    if (release && x.n) {
        /* in chunks of 1000 addresses, each all-or-nothing */
        for (size_t i = 0; i < x.n && !err; i += 1000) {
            size_t k = x.n - i < 1000 ? x.n - i : 1000;
            ipl_asm_change ch[1000];
            for (size_t j = 0; j < k; j++) {
                ipl_asm_change c = {IPL_ASM_ADDRESS, IPL_ASM_DELETE, x.spaces[i + j], x.ids[i + j],
                                    NULL, 0, 0};
                ch[j] = c;
            }
            err = ipl_asm_apply(st, &actor, ch, k, NULL, &d);
        }
        if (!err)
            fprintf(stderr, "ipledger asm reclaim: released %zu addresses\n", x.n);
    }
out:
    ipl_out_free(x.o);
    free(x.ids);
    free(x.spaces);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("reclaim", err, &d) : 0;
}

/* ---- import / export ---- */

static int row_error(void *ctx, uint64_t row, const char *msg)
{
    fprintf(stderr, "ipledger asm import: row %llu: %s\n", (unsigned long long)row, msg);
    return 0;
}

static int read_all(const char *path, char **buf, size_t *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 0;
    *buf = NULL;
    *n = 0;
    if (!f)
        return cli_fail("asm import", 1, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (*n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(*buf, cap);
            if (!nb) {
                if (f != stdin)
                    fclose(f);
                return cli_fail("asm import", 1, "out of memory");
            }
            *buf = nb;
        }
        size_t k = fread(*buf + *n, 1, 65536, f);
        *n += k;
        if (*n > ASM_FILE_MAX) {
            if (f != stdin)
                fclose(f);
            return cli_fail("asm import", 2, "'%s' is larger than %u MiB", path, ASM_FILE_MAX >> 20);
        }
        if (k == 0)
            break;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad)
        return cli_fail("asm import", 1, "cannot read '%s'", path);
    return 0;
}

static int do_import(const ipl_args *a)
{
    ipl_asm_type t;
    char *buf = NULL;
    size_t n;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    uint64_t ok = 0, bad = 0;
    int rc;
    if (a->npos != 2)
        return cli_fail("asm import", 2, "give the CSV file (or - for stdin)");
    if (!ipl_arg(a, "type") || ipl_asm_type_parse(ipl_arg(a, "type"), &t) || t == IPL_ASM_SPACE)
        return cli_fail("asm import", 2, "give --type block, subnet, range or address");
    if ((rc = read_all(a->pos[1], &buf, &n)))
        goto out;
    if ((rc = cli_open_store("asm", a, 0, &st)))
        goto out;
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    int err = ipl_asm_csv_import(st, &actor, t, ipl_arg(a, "space"), buf, n, row_error, NULL, &ok,
                                 &bad, &d);
    if (err)
        rc = fail("import", err, &d);
    else {
        printf("%llu rows applied, %llu rejected\n", (unsigned long long)ok,
               (unsigned long long)bad);
        rc = bad ? 1 : 0;
    }
out:
    free(buf);
    ipl_store_close(st);
    return rc;
}

static int do_export(const ipl_args *a)
{
    ipl_asm_type t;
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_diag d = {0};
    int rc, err;
    if (!ipl_arg(a, "type") || ipl_asm_type_parse(ipl_arg(a, "type"), &t) || t == IPL_ASM_SPACE)
        return cli_fail("asm export", 2, "give --type block, subnet, range or address");
    if ((rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if (!(err = ipl_rtxn_begin(st, &tx, &d)) && !(err = ipl_asm_view_load(tx, &v, &d)))
        err = ipl_asm_csv_export(v, t, ipl_arg(a, "space"), ipl_arg_flag(a, "ipam"),
                                 cli_write_stdout, NULL, &d);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("export", err, &d) : 0;
}

/* ---- utilization, trend, thresholds, alerts ---- */

static int util_row(ipl_out *o, ipl_asm_utilcur *uc, const ipl_asm_obj *x, ipl_diag *d)
{
    ipl_asm_util u;
    char size[48], used[48], leased[32], pct[32];
    int err = ipl_asm_utilcur_get(uc, x, &u, d);
    if (err)
        return err;
    snprintf(size, sizeof size, "%.0f", u.size);
    snprintf(used, sizeof used, "%.0f", u.used);
    snprintf(leased, sizeof leased, "%llu", (unsigned long long)u.leased);
    snprintf(pct, sizeof pct, "%.1f", u.pct);
    const char *vals[] = {ipl_asm_type_name(ipl_asm_obj_type(x)), ipl_asm_obj_space(x),
                          ipl_asm_obj_id(x), size, used, leased, pct, band(u.pct, x)};
    return ipl_out_row(o, vals);
}

static int do_util(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int64_t at;
    ipl_asm_utilcur *uc = NULL;      /* the objects in view order share held-address windows */
    int rc, err;
    ipl_asm_type t = IPL_ASM_RANGE;
    static const ipl_col cols[] = {{"type", IPL_COL_STR}, {"space", IPL_COL_STR},
                                   {"id", IPL_COL_STR},   {"size", IPL_COL_NUM},
                                   {"used", IPL_COL_NUM}, {"leased", IPL_COL_NUM},
                                   {"pct", IPL_COL_NUM},  {"state", IPL_COL_STR}};
    if (ipl_arg(a, "type") && (ipl_asm_type_parse(ipl_arg(a, "type"), &t) ||
                               t == IPL_ASM_SPACE || t == IPL_ASM_ADDRESS))
        return cli_fail("asm util", 2, "--type: range, subnet or block");
    if (a->npos > 2)
        return cli_fail("asm util", 2, "unexpected argument '%s'", a->pos[2]);
    if ((rc = get_time("util", a, "at", INT64_MAX - 1, &at)) ||
        (rc = cli_out_format("asm", a, &f)) ||
        (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    const char *space = ipl_arg(a, "space");
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)) ||
        (err = ipl_asm_utilcur_open(tx, v, at, &uc, &d)) ||
        (err = ipl_out_new(&o, f, cols, 8, cli_write_stdout, NULL)))
        goto out;
    if (a->npos == 2) {
        const ipl_asm_obj *x = guess(v, space, a->pos[1], ipl_arg(a, "type"));
        if (!x || ipl_asm_obj_type(x) == IPL_ASM_ADDRESS) {
            err = ipl_diag_set(&d, IPL_ENOTFOUND, "no range, subnet or block '%s' in space '%s'",
                               a->pos[1], space ? space : IPL_ASM_DEFAULT_SPACE);
            goto out;
        }
        err = util_row(o, uc, x, &d);
    } else
        for (size_t i = 0; i < ipl_asm_count(v, t) && !err; i++) {
            const ipl_asm_obj *x = ipl_asm_at(v, t, i);
            if (!space || strcmp(space, ipl_asm_obj_space(x)) == 0)
                err = util_row(o, uc, x, &d);
        }
    if (!err)
        err = ipl_out_end(o);
out:
    ipl_out_free(o);
    ipl_asm_utilcur_close(uc);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("util", err, &d) : 0;
}

static int do_trend(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int64_t since, until, step = INT64_C(86400) * 1000000;
    uint64_t *counts = NULL;
    size_t n = 0;
    uint8_t lo[16], hi[16];
    int rc, err;
    static const ipl_col cols[] = {{"ts", IPL_COL_STR}, {"leased", IPL_COL_NUM},
                                   {"size", IPL_COL_NUM}, {"pct", IPL_COL_NUM}};
    if (a->npos != 2)
        return cli_fail("asm trend", 2, "give one object, prefix or START-END");
    if (!ipl_arg(a, "since"))
        return cli_fail("asm trend", 2, "give --since T (e.g. -90d)");
    if (ipl_arg(a, "step") && parse_step(ipl_arg(a, "step"), &step))
        return cli_fail("asm trend", 2, "--step: '%s' is not N followed by s, m, h, d or w",
                        ipl_arg(a, "step"));
    if ((rc = get_time("trend", a, "since", 0, &since)) ||
        (rc = get_time("trend", a, "until", 0, &until)))
        return rc;
    if (!ipl_arg(a, "until")) {
        ipl_asm_actor ac;
        ipl_asm_actor_default(&ac);
        until = ipl_asm_now(&ac);
    }
    if ((rc = cli_out_format("asm", a, &f)) || (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)))
        goto out;
    const ipl_asm_obj *x = guess(v, ipl_arg(a, "space"), a->pos[1], ipl_arg(a, "type"));
    if (x)
        ipl_asm_obj_bounds(x, lo, hi);
    else {
        ipl_prefix p;
        const char *id = a->pos[1];
        if (strchr(id, '/') && ipl_prefix_parse(id, strlen(id), 0, &p) == IPL_OK) {
            memcpy(lo, p.lo, 16);
            memcpy(hi, p.hi, 16);
        } else if (!strchr(id, '/') && strchr(id, '-')) {
            char l[IPL_IP_TEXT], h[IPL_IP_TEXT];
            const char *dash = strchr(id, '-');
            if ((size_t)(dash - id) >= sizeof l || strlen(dash + 1) >= sizeof h ||
                (snprintf(l, sizeof l, "%.*s", (int)(dash - id), id), 0) ||
                ipl_ip_parse(l, strlen(l), lo) || (snprintf(h, sizeof h, "%s", dash + 1), 0) ||
                ipl_ip_parse(h, strlen(h), hi) || memcmp(lo, hi, 16) > 0) {
                err = ipl_diag_set(&d, IPL_EINVAL, "'%s' is not START-END", id);
                goto out;
            }
        } else {
            err = ipl_diag_set(&d, IPL_EINVAL, "'%s' is neither an object nor a prefix", id);
            goto out;
        }
    }
    if ((err = ipl_asm_trend(tx, lo, hi, since, until, step, &counts, &n, &d)) ||
        (err = ipl_out_new(&o, f, cols, 4, cli_write_stdout, NULL)))
        goto out;
    {
        /* the size: the object's ranges when it has any, else the span itself */
        double size = 0;
        if (x && ipl_asm_obj_type(x) != IPL_ASM_RANGE) {
            ipl_asm_util u;
            if (ipl_asm_utilization(tx, v, x, until, &u, &d) == IPL_OK)
                size = u.size;
        }
        if (size <= 0) {
            double diff = 0;   /* hi - lo, digit by digit (negative digits are fine) */
            for (int i = 0; i < 16; i++)
                diff = diff * 256.0 + ((double)hi[i] - (double)lo[i]);
            size = diff + 1;
        }
        for (size_t i = 0; i < n && !err; i++) {
            char ts[IPL_TIME_BUF], c[32], s[48], p[32];
            ipl_time_format(since + (int64_t)i * step, ts, sizeof ts);
            snprintf(c, sizeof c, "%llu", (unsigned long long)counts[i]);
            snprintf(s, sizeof s, "%.0f", size);
            snprintf(p, sizeof p, "%.1f", 100.0 * (double)counts[i] / size);
            const char *vals[] = {ts, c, s, p};
            err = ipl_out_row(o, vals);
        }
        if (!err)
            err = ipl_out_end(o);
    }
out:
    free(counts);
    ipl_out_free(o);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("trend", err, &d) : 0;
}

static int do_thresholds(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_diag d = {0};
    int rc, err;
    char lo[40], hi[40], id[112];
    ipl_asm_type t;
    if (a->npos != 2)
        return cli_fail("asm thresholds", 2, "give one range, subnet or block");
    if ((rc = cli_open_store("asm", a, 0, &st)))
        return rc;
    if ((err = ipl_rtxn_begin(st, &tx, &d)) || (err = ipl_asm_view_load(tx, &v, &d)))
        goto out;
    const ipl_asm_obj *x = guess(v, ipl_arg(a, "space"), a->pos[1], ipl_arg(a, "type"));
    if (!x || ipl_asm_obj_type(x) == IPL_ASM_ADDRESS || ipl_asm_obj_type(x) == IPL_ASM_SPACE) {
        err = ipl_diag_set(&d, IPL_ENOTFOUND, "no range, subnet or block '%s'", a->pos[1]);
        goto out;
    }
    t = ipl_asm_obj_type(x);
    snprintf(id, sizeof id, "%s", ipl_asm_obj_id(x));
    if (!ipl_arg(a, "low") && !ipl_arg(a, "high")) {
        double l, h;
        ipl_asm_thresholds(x, &l, &h);
        printf("%s %s: low %g%% high %g%%%s\n", ipl_asm_type_name(t), id, l, h,
               ipl_asm_obj_str(x, "low") || ipl_asm_obj_str(x, "high") ? "" : " (defaults)");
        goto out;
    }
    ipl_rtxn_end(tx);
    tx = NULL;
    const char *fields[2];
    size_t nf = 0;
    if (ipl_arg(a, "low")) {
        snprintf(lo, sizeof lo, "low=%.30s", ipl_arg(a, "low"));
        fields[nf++] = lo;
    }
    if (ipl_arg(a, "high")) {
        snprintf(hi, sizeof hi, "high=%.30s", ipl_arg(a, "high"));
        fields[nf++] = hi;
    }
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    ipl_asm_change c = {t, IPL_ASM_EDIT, ipl_arg(a, "space"), id, fields, nf, 0};
    if (!(err = ipl_asm_apply(st, &actor, &c, 1, NULL, &d)))
        printf("%s %s: thresholds set\n", ipl_asm_type_name(t), id);
out:
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("thresholds", err, &d) : 0;
}

static int do_alerts(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int64_t at;
    uint64_t n = 0;
    ipl_asm_actor actor;
    int rc;
    ipl_asm_actor_default(&actor);
    if ((rc = get_time("alerts", a, "at", ipl_asm_now(&actor), &at)) ||
        (rc = cli_open_store("asm", a, 0, &st)))
        return rc;
    int err = ipl_asm_alerts(st, &actor, at, &n, &d);
    ipl_store_close(st);
    if (err)
        return fail("alerts", err, &d);
    printf("%llu alert events recorded\n", (unsigned long long)n);
    return 0;
}

/* ---- conflicts, discover, rebuild ---- */

static int conflict_row(void *c, const ipl_asm_conflict *x)
{
    char ts[IPL_TIME_BUF] = "";
    if (x->ts)
        ipl_time_format(x->ts, ts, sizeof ts);
    const char *vals[] = {x->type, x->space, x->object, ts, x->detail};
    return ipl_out_row(c, vals) ? IPL_EIO : 0;
}

static int do_conflicts(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_rtxn *tx = NULL;
    ipl_asm_view *v = NULL;
    ipl_out *o = NULL;
    ipl_out_format f;
    ipl_diag d = {0};
    int64_t from, to;
    int rc, err;
    static const ipl_col cols[] = {{"conflict", IPL_COL_STR}, {"space", IPL_COL_STR},
                                   {"object", IPL_COL_STR},   {"ts", IPL_COL_STR},
                                   {"detail", IPL_COL_STR}};
    if ((rc = get_time("conflicts", a, "from", INT64_MIN, &from)) ||
        (rc = get_time("conflicts", a, "to", INT64_MAX, &to)))
        return rc;
    if (ipl_arg_flag(a, "record")) {
        ipl_asm_actor actor;
        uint64_t raised, resolved;
        ipl_asm_actor_default(&actor);
        if ((rc = cli_open_store("asm", a, 0, &st)))
            return rc;
        err = ipl_asm_conflicts_record(st, &actor, from, to, &raised, &resolved, &d);
        ipl_store_close(st);
        if (err)
            return fail("conflicts", err, &d);
        printf("%llu conflicts recorded, %llu resolved\n", (unsigned long long)raised,
               (unsigned long long)resolved);
        return 0;
    }
    if ((rc = cli_out_format("asm", a, &f)) ||
        (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if (!(err = ipl_rtxn_begin(st, &tx, &d)) && !(err = ipl_asm_view_load(tx, &v, &d)) &&
        !(err = ipl_out_new(&o, f, cols, 5, cli_write_stdout, NULL))) {
        err = ipl_asm_conflicts(tx, v, from, to, conflict_row, o, &d);
        if (!err)
            err = ipl_out_end(o);
    }
    ipl_out_free(o);
    ipl_asm_view_free(v);
    ipl_rtxn_end(tx);
    ipl_store_close(st);
    return err ? fail("conflicts", err, &d) : 0;
}

static int do_discover(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int64_t from, to;
    uint64_t n = 0;
    int rc;
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    if ((rc = get_time("discover", a, "from", INT64_MIN, &from)) ||
        (rc = get_time("discover", a, "to", INT64_MAX, &to)) ||
        (rc = cli_open_store("asm", a, 0, &st)))
        return rc;
    int err = ipl_asm_discover(st, &actor, from, to, &n, &d);
    ipl_store_close(st);
    if (err)
        return fail("discover", err, &d);
    printf("%llu ranges discovered\n", (unsigned long long)n);
    return 0;
}

static int group_def_row(void *c, const ipl_asm_group *g)
{
    char by[IPL_ASM_GROUP_LEVELS * 81] = "";
    for (size_t i = 0; i < g->nby; i++)
        snprintf(by + strlen(by), sizeof by - strlen(by), "%s%s", i ? "," : "", g->by[i]);
    const char *vals[] = {g->name, ipl_asm_type_name(g->type), by};
    return ipl_out_row(c, vals) ? IPL_EIO : 0;
}

static int group_node_row(void *c, const ipl_asm_group_row *r)
{
    char depth[16], objs[24], size[32], used[32], pct[32];
    snprintf(depth, sizeof depth, "%d", r->depth);
    snprintf(objs, sizeof objs, "%llu", (unsigned long long)r->objects);
    snprintf(size, sizeof size, "%.0f", r->u.size);
    snprintf(used, sizeof used, "%.0f", r->u.used);
    snprintf(pct, sizeof pct, "%.1f", r->u.pct);
    const char *vals[] = {r->path, depth, objs, size, used, pct};
    return ipl_out_row(c, vals) ? IPL_EIO : 0;
}

static int do_group(const ipl_args *a)
{
    const char *verb = a->npos > 1 ? a->pos[1] : "";
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int rc, err;
    ipl_asm_actor actor;
    ipl_asm_actor_default(&actor);
    if (strcmp(verb, "create") == 0 || strcmp(verb, "edit") == 0) {
        if (a->npos != 3)
            return cli_fail("asm group", 2, "say the group's name: asm group %s NAME --by F1,F2", verb);
        const char *bys = ipl_arg(a, "by"), *ty = ipl_arg(a, "type");
        ipl_asm_type type = IPL_ASM_RANGE;
        if (!bys)
            return cli_fail("asm group", 2, "--by F1[,F2...] is required");
        if (ty && ipl_asm_type_parse(ty, &type) != IPL_OK)
            return cli_fail("asm group", 2, "unknown type '%s' (range, subnet, block, address)", ty);
        char buf[IPL_ASM_GROUP_LEVELS * 81];
        const char *by[IPL_ASM_GROUP_LEVELS + 1];
        size_t nby = 0;
        if (strlen(bys) >= sizeof buf)
            return cli_fail("asm group", 2, "--by is too long");
        snprintf(buf, sizeof buf, "%s", bys);
        for (char *p = buf, *save = NULL, *tok; (tok = strtok_r(p, ",", &save)); p = NULL) {
            if (nby == IPL_ASM_GROUP_LEVELS + 1)
                break;
            by[nby++] = tok;
        }
        if ((rc = cli_open_store("asm", a, 0, &st)))
            return rc;
        if (strcmp(verb, "edit") == 0) {
            ipl_rtxn *t = NULL;
            ipl_asm_group g;
            err = ipl_rtxn_begin(st, &t, &d);
            if (!err)
                err = ipl_asm_group_get(t, a->pos[2], &g, &d);
            ipl_rtxn_end(t);
            if (!err && !ty)
                type = g.type;
        } else {
            ipl_rtxn *t = NULL;
            ipl_asm_group g;
            err = ipl_rtxn_begin(st, &t, &d);
            if (!err && ipl_asm_group_get(t, a->pos[2], &g, NULL) == IPL_OK)
                err = ipl_diag_set(&d, IPL_EEXIST, "logical group '%s' exists (use edit)", a->pos[2]);
            ipl_rtxn_end(t);
        }
        if (!err)
            err = ipl_asm_group_put(st, &actor, a->pos[2], type, by, nby, &d);
        ipl_store_close(st);
        if (err)
            return fail("group", err, &d);
        printf("logical group '%s' %s\n", a->pos[2], strcmp(verb, "edit") == 0 ? "edited" : "created");
        return 0;
    }
    if (strcmp(verb, "delete") == 0) {
        if (a->npos != 3)
            return cli_fail("asm group", 2, "say the group's name: asm group delete NAME");
        if ((rc = cli_open_store("asm", a, 0, &st)))
            return rc;
        err = ipl_asm_group_delete(st, &actor, a->pos[2], &d);
        ipl_store_close(st);
        if (err)
            return fail("group", err, &d);
        printf("logical group '%s' deleted\n", a->pos[2]);
        return 0;
    }
    if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0)
        return cli_fail("asm group", 2, "'%s': say create, edit, delete, list or show", verb);
    if (strcmp(verb, "show") == 0 && a->npos != 3)
        return cli_fail("asm group", 2, "say the group's name: asm group show NAME");
    ipl_out_format f;
    int64_t at;
    if ((rc = cli_out_format("asm", a, &f)) ||
        (rc = get_time("group", a, "at", ipl_asm_now(&actor), &at)) ||
        (rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_out *o = NULL;
    static const ipl_col dcols[] = {{"group", IPL_COL_STR}, {"type", IPL_COL_STR}, {"by", IPL_COL_STR}};
    static const ipl_col ncols[] = {{"path", IPL_COL_STR}, {"depth", IPL_COL_NUM},
                                    {"objects", IPL_COL_NUM}, {"size", IPL_COL_NUM},
                                    {"used", IPL_COL_NUM}, {"pct", IPL_COL_NUM}};
    err = ipl_rtxn_begin(st, &t, &d);
    if (!err && strcmp(verb, "list") == 0) {
        if (!(err = ipl_out_new(&o, f, dcols, 3, cli_write_stdout, NULL)) &&
            !(err = ipl_asm_group_list(t, group_def_row, o, &d)))
            err = ipl_out_end(o);
    } else if (!err) {
        ipl_asm_group g;
        if (!(err = ipl_asm_group_get(t, a->pos[2], &g, &d)) && !(err = ipl_asm_view_load(t, &v, &d)) &&
            !(err = ipl_out_new(&o, f, ncols, 6, cli_write_stdout, NULL)) &&
            !(err = ipl_asm_group_eval(t, v, &g, at, group_node_row, o, &d)))
            err = ipl_out_end(o);
    }
    ipl_out_free(o);
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? fail("group", err, &d) : 0;
}

static int do_rebuild(const ipl_args *a)
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    uint64_t objs = 0, evs = 0;
    int rc;
    if (!ipl_arg_flag(a, "check"))
        return cli_fail("asm rebuild", 2, "only --check is supported: the view is always written "
                        "with its events, so a rebuild that differs is a bug to report");
    if ((rc = cli_open_store("asm", a, IPL_STORE_RDONLY, &st)))
        return rc;
    int err = ipl_asm_rebuild_check(st, &objs, &evs, &d);
    ipl_store_close(st);
    if (err)
        return fail("rebuild", err, &d);
    printf("identical: %llu objects rebuilt from %llu events\n", (unsigned long long)objs,
           (unsigned long long)evs);
    return 0;
}

int cmd_asm(int argc, char **argv)
{
    const char *sub = argc > 0 && argv[0][0] != '-' ? argv[0] : NULL;
    const char *usage = NULL;
    char cmd[64] = "asm";
    ipl_asm_type t;
    int is_obj = sub && ipl_asm_type_parse(sub, &t) == IPL_OK;
    for (size_t i = 0; i < NOPTS; i++) {
        asm_opts[i].value = NULL;
        asm_opts[i].count = 0;
    }
    if (is_obj)
        usage = obj_usage;
    for (size_t i = 0; sub && !usage && i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i].name) == 0)
            usage = subs[i].usage;
    if (!sub || !usage) {
        if (sub)
            return cli_fail("asm", 2, "'%s' is not an asm command (see 'ipledger asm -h')", sub);
        if (argc > 0 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
            printf("usage: ipledger asm COMMAND ...   (ipledger asm COMMAND -h for its options)\n\n"
                   "address space management: spaces, blocks, subnets, ranges, addresses,\n"
                   "kept from the event log; every change is an audited config.change event\n\n"
                   "  space|block|subnet|range|address create|edit|delete|list|show\n");
            for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
                printf("  %s\n", subs[i].name);
            return 0;
        }
        return cli_fail("asm", 2, "say what to do (see 'ipledger asm -h')");
    }
    snprintf(cmd, sizeof cmd, "asm %s", sub);
    ipl_args a = {asm_opts, NOPTS, {0}, 0, 0};
    int rc = cli_args(cmd, usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (is_obj)
        return do_object(&a, t);
    if (strcmp(sub, "free") == 0)
        return do_free(&a, 0);
    if (strcmp(sub, "allocate") == 0)
        return do_free(&a, 1);
    if (strcmp(sub, "reclaim") == 0)
        return do_reclaim(&a);
    if (strcmp(sub, "import") == 0)
        return do_import(&a);
    if (strcmp(sub, "export") == 0)
        return do_export(&a);
    if (strcmp(sub, "util") == 0)
        return do_util(&a);
    if (strcmp(sub, "trend") == 0)
        return do_trend(&a);
    if (strcmp(sub, "thresholds") == 0)
        return do_thresholds(&a);
    if (strcmp(sub, "alerts") == 0)
        return do_alerts(&a);
    if (strcmp(sub, "conflicts") == 0)
        return do_conflicts(&a);
    if (strcmp(sub, "discover") == 0)
        return do_discover(&a);
    if (strcmp(sub, "group") == 0)
        return do_group(&a);
    return do_rebuild(&a);
}
