/* tools/cli/cmd_kea.c — `ipledger kea ...`: managing Kea DHCP servers (docs/kea.md).
 *
 *   kea register|unregister|list|config|drift|subnets|pools
 *   kea subnet add|edit|delete, kea pool add|delete, kea options, kea reservation add|remove
 * The work is in engine/msm/kea_manage.c (every change: config-test, config-set, config-write,
 * config-get to confirm, one config.change event per object); this file parses and prints.
 */
#include "tools/cli/cli.h"

#include "engine/err.h"
#include "engine/msm/kea_manage.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage =
    "ipledger kea register NAME (--socket PATH | --url URL) [--service dhcp4|dhcp6]\n"
    "       ipledger kea list [--format F]\n"
    "       ipledger kea unregister NAME\n"
    "       ipledger kea config NAME          config-get: prints Kea's config, records drift\n"
    "       ipledger kea drift NAME           compares only: exit 1 when Kea changed outside ipledger\n"
    "       ipledger kea subnets NAME [--format F]\n"
    "       ipledger kea pools NAME [--subnet ID] [--format F]\n"
    "       ipledger kea subnet add NAME --prefix P [--id N] [--pool A-B]... [--option name=value]...\n"
    "       ipledger kea subnet edit NAME --subnet ID [--prefix P] [--pool A-B]... [--option name=value]...\n"
    "                                         (--pool replaces the subnet's pools; --option sets)\n"
    "       ipledger kea subnet delete NAME --subnet ID\n"
    "       ipledger kea pool add|delete NAME --subnet ID --pool A-B\n"
    "       ipledger kea options NAME --subnets 1,2,5|all (--add name=value | --set name=value |\n"
    "                                         --replace name=OLD=NEW | --delete name)\n"
    "       ipledger kea reservation add NAME --subnet ID --ip A --mac M [--hostname H]\n"
    "       ipledger kea reservation remove NAME --subnet ID --ip A\n"
    "every change is tested (config-test), applied (config-set), persisted (config-write) and\n"
    "confirmed (config-get), then recorded as config.change events with you as the principal;\n"
    "a failed change is recorded as failed and leaves Kea as it was";

static ipl_opt kea_opts[] = {
    CLI_STORE_OPT, CLI_FORMAT_OPT,
    {"socket", 1, "PATH  Kea's control socket (register)", NULL, {0}, 0},
    {"url", 1, "URL  kea-ctrl-agent, http://host:port/ (register)", NULL, {0}, 0},
    {"service", 1, "S  dhcp4 (default) or dhcp6", NULL, {0}, 0},
    {"timeout", 1, "MS  per Kea command (default 10000)", NULL, {0}, 0},
    {"prefix", 1, "P  subnet prefix, 10.1.2.0/24", NULL, {0}, 0},
    {"id", 1, "N  subnet id (default: the next free)", NULL, {0}, 0},
    {"subnet", 1, "ID  subnet id", NULL, {0}, 0},
    {"subnets", 1, "LIST  subnet ids 1,2,5 or all", NULL, {0}, 0},
    {"pool", 1, "A-B  pool (repeatable on subnet add/edit)", NULL, {0}, 0},
    {"option", 1, "NAME=VALUE  option-data (repeatable)", NULL, {0}, 0},
    {"add", 1, "NAME=VALUE  add where absent", NULL, {0}, 0},
    {"set", 1, "NAME=VALUE  overwrite or add", NULL, {0}, 0},
    {"replace", 1, "NAME=OLD=NEW  find and replace in the value", NULL, {0}, 0},
    {"delete", 1, "NAME  remove the option", NULL, {0}, 0},
    {"ip", 1, "A  reserved address", NULL, {0}, 0},
    {"mac", 1, "M  client hardware address", NULL, {0}, 0},
    {"hostname", 1, "H  reservation hostname", NULL, {0}, 0},
};
#define NOPTS (sizeof kea_opts / sizeof kea_opts[0])

static int fail(const char *sub, int err, const ipl_diag *d)
{
    int code = (err == IPL_EINVAL || err == IPL_ENOTFOUND || err == IPL_EEXIST) ? 2 : 1;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    return cli_fail(cmd, code, "%s", d->msg[0] ? d->msg : ipl_strerror(err));
}

static char principal[160];

static int actor_init(const char *sub, const ipl_args *a, ipl_kea_actor *ac)
{
    const char *u = getenv("USER");
    struct passwd pw, *res = NULL;
    char buf[4096];
    if ((!u || !*u) && getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
        u = res->pw_name;
    snprintf(principal, sizeof principal, "cli:%.120s", u && *u ? u : "unknown");
    memset(ac, 0, sizeof *ac);
    ac->principal = principal;
    const char *t = ipl_arg(a, "timeout");
    if (t) {
        char *end;
        long v = strtol(t, &end, 10);
        if (*end || v < 1 || v > 600000) {
            char cmd[64];
            snprintf(cmd, sizeof cmd, "kea %s", sub);
            return cli_fail(cmd, 2, "--timeout: '%s' is not 1-600000 milliseconds", t);
        }
        ac->timeout_ms = (int)v;
    }
    return 0;
}

static int need_name(const char *sub, const ipl_args *a, int idx, const char **name)
{
    char cmd[64];
    *name = NULL;
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    if (a->npos <= idx)
        return cli_fail(cmd, 2, "which server? (ipledger kea %s NAME ...)", sub);
    if (a->npos > idx + 1)
        return cli_fail(cmd, 2, "unexpected argument '%s'", a->pos[idx + 1]);
    *name = a->pos[idx];
    return 0;
}

static int parse_id(const char *sub, const char *opt, const char *s, int64_t *id)
{
    char cmd[64], *end;
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    if (!s)
        return cli_fail(cmd, 2, "--%s ID is required", opt);
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 1 || v > 4294967294LL)
        return cli_fail(cmd, 2, "--%s: '%s' is not a subnet id (1-4294967294)", opt, s);
    *id = v;
    return 0;
}

/* ---- register, unregister, list ---- */

static int do_register(const ipl_args *a)
{
    const char *name, *sock = ipl_arg(a, "socket"), *url = ipl_arg(a, "url");
    char ep[IPL_KEA_ENDPOINT_MAX + 8], warn[IPL_DIAG_MAX];
    ipl_kea_actor ac;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int rc, base = 0;
    if ((rc = need_name("register", a, 1, &name)) || (rc = actor_init("register", a, &ac)))
        return rc;
    if (!!sock == !!url)
        return cli_fail("kea register", 2, "give one of --socket PATH or --url URL");
    if (sock && strncmp(sock, "unix:", 5) != 0)
        snprintf(ep, sizeof ep, "unix:%s", sock);
    else
        snprintf(ep, sizeof ep, "%s", sock ? sock : url);
    if ((rc = cli_open_store("kea register", a, IPL_STORE_CREATE, &st)))
        return rc;
    int err = ipl_kea_register(st, name, ep, ipl_arg(a, "service"), &ac, &base, warn, sizeof warn,
                               &d);
    ipl_store_close(st);
    if (err)
        return fail("register", err, &d);
    printf("registered kea server '%s' (%s)\n", name, ep);
    if (!base)
        fprintf(stderr, "ipledger kea register: warning: no baseline config yet: %s\n", warn);
    return 0;
}

static int do_unregister(const ipl_args *a)
{
    const char *name;
    ipl_kea_actor ac;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int rc;
    if ((rc = need_name("unregister", a, 1, &name)) || (rc = actor_init("unregister", a, &ac)) ||
        (rc = cli_open_store("kea unregister", a, 0, &st)))
        return rc;
    int err = ipl_kea_unregister(st, name, &ac, &d);
    ipl_store_close(st);
    if (err)
        return fail("unregister", err, &d);
    printf("unregistered kea server '%s'\n", name);
    return 0;
}

struct list_out {
    ipl_out *o;
};

static int list_row(void *ctx, const ipl_kea_server *s)
{
    struct list_out *l = ctx;
    char at[IPL_TIME_BUF];
    ipl_time_format(s->at, at, sizeof at);
    const char *vals[] = {s->name, s->endpoint, s->service, s->by, at};
    return ipl_out_row(l->o, vals) ? IPL_EIO : 0;
}

static int do_list(const ipl_args *a)
{
    static const ipl_col cols[] = {{"name", IPL_COL_STR}, {"endpoint", IPL_COL_STR},
                                   {"service", IPL_COL_STR}, {"registered_by", IPL_COL_STR},
                                   {"registered_at", IPL_COL_STR}};
    ipl_out_format f;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    struct list_out l = {NULL};
    int rc, err;
    if ((rc = cli_out_format("kea list", a, &f)) ||
        (rc = cli_open_store("kea list", a, IPL_STORE_RDONLY, &st)))
        return rc;
    if ((err = ipl_out_new(&l.o, f, cols, 5, cli_write_stdout, NULL)) == IPL_OK &&
        (err = ipl_kea_server_list(st, list_row, &l, &d)) == IPL_OK)
        err = ipl_out_end(l.o);
    ipl_out_free(l.o);
    ipl_store_close(st);
    return err ? fail("list", err, &d) : 0;
}

/* ---- reads ---- */

static int drift_line(void *ctx, const char *object, const cJSON *old_v, const cJSON *new_v)
{
    const char *what = !old_v ? "added" : !new_v ? "removed" : "changed";
    fprintf(ctx ? stdout : stderr, "%s %s outside ipledger\n", object, what);
    return 0;
}

/* config-get with drift recorded; *cfg owned. */
static int read_config(const char *sub, const ipl_args *a, const char *name, cJSON **cfg,
                       char *service, size_t sn)
{
    ipl_kea_actor ac;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    ipl_kea_server s;
    size_t nd = 0;
    int rc, err;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    if ((rc = actor_init(sub, a, &ac)) || (rc = cli_open_store(cmd, a, 0, &st)))
        return rc;
    err = ipl_kea_server_get(st, name, &s, &d);
    if (!err)
        err = ipl_kea_read(st, name, &ac, 1, cfg, &nd, drift_line, NULL, &d);
    ipl_store_close(st);
    if (err)
        return fail(sub, err, &d);
    if (nd)
        fprintf(stderr, "ipledger %s: %zu change%s made outside ipledger recorded (user "
                "\"external\")\n", cmd, nd, nd == 1 ? "" : "s");
    snprintf(service, sn, "%s", s.service);
    return 0;
}

static int do_config(const ipl_args *a)
{
    const char *name;
    cJSON *cfg = NULL;
    char svc[8];
    int rc;
    if ((rc = need_name("config", a, 1, &name)) || (rc = read_config("config", a, name, &cfg, svc,
                                                                       sizeof svc)))
        return rc;
    char *s = cJSON_Print(cfg);
    cJSON_Delete(cfg);
    if (!s)
        return cli_fail("kea config", 1, "out of memory");
    printf("%s\n", s);
    free(s);
    return 0;
}

static int do_drift(const ipl_args *a)
{
    const char *name;
    ipl_kea_actor ac;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    size_t nd = 0;
    int rc;
    if ((rc = need_name("drift", a, 1, &name)) || (rc = actor_init("drift", a, &ac)) ||
        (rc = cli_open_store("kea drift", a, IPL_STORE_RDONLY, &st)))
        return rc;
    int err = ipl_kea_read(st, name, &ac, 0, NULL, &nd, drift_line, stdout, &d);
    ipl_store_close(st);
    if (err)
        return fail("drift", err, &d) == 2 ? 2 : 3;
    if (!nd) {
        printf("kea server '%s': no drift\n", name);
        return 0;
    }
    printf("kea server '%s': %zu object%s changed outside ipledger\n", name, nd,
           nd == 1 ? "" : "s");
    return 1;
}

static int do_subnets(const ipl_args *a, int pools)
{
    static const ipl_col scols[] = {{"id", IPL_COL_NUM}, {"subnet", IPL_COL_STR},
                                    {"pools", IPL_COL_STR}, {"options", IPL_COL_STR},
                                    {"reservations", IPL_COL_NUM}};
    static const ipl_col pcols[] = {{"subnet_id", IPL_COL_NUM}, {"subnet", IPL_COL_STR},
                                    {"pool", IPL_COL_STR}};
    const char *sub = pools ? "pools" : "subnets", *name;
    ipl_out_format f;
    ipl_out *o = NULL;
    cJSON *cfg = NULL;
    char svc[8], cmd[64];
    int64_t only = 0;
    int rc, err = 0;
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    if ((rc = need_name(sub, a, 1, &name)) || (rc = cli_out_format(cmd, a, &f)))
        return rc;
    if (pools && ipl_arg(a, "subnet") && (rc = parse_id(sub, "subnet", ipl_arg(a, "subnet"), &only)))
        return rc;
    if ((rc = read_config(sub, a, name, &cfg, svc, sizeof svc)))
        return rc;
    const char *tk = strcmp(svc, "dhcp6") == 0 ? "Dhcp6" : "Dhcp4";
    const char *sk = strcmp(svc, "dhcp6") == 0 ? "subnet6" : "subnet4";
    cJSON *subnets = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, tk), sk);
    cJSON *s;
    int found = 0;
    if ((err = ipl_out_new(&o, f, pools ? pcols : scols, pools ? 3 : 5, cli_write_stdout, NULL)))
        goto out;
    cJSON_ArrayForEach(s, subnets) {
        cJSON *idj = cJSON_GetObjectItemCaseSensitive(s, "id");
        cJSON *pf = cJSON_GetObjectItemCaseSensitive(s, "subnet");
        char id[32], nres[32];
        int64_t idv = cJSON_IsNumber(idj) ? (int64_t)idj->valuedouble : 0;
        snprintf(id, sizeof id, "%lld", (long long)idv);
        const char *pfs = cJSON_IsString(pf) ? pf->valuestring : "";
        cJSON *pl = cJSON_GetObjectItemCaseSensitive(s, "pools"), *p;
        if (pools) {
            if (only && idv != only)
                continue;
            found = 1;
            cJSON_ArrayForEach(p, pl) {
                cJSON *ps = cJSON_GetObjectItemCaseSensitive(p, "pool");
                const char *vals[] = {id, pfs, cJSON_IsString(ps) ? ps->valuestring : ""};
                if (ipl_out_row(o, vals)) {
                    err = IPL_EIO;
                    goto out;
                }
            }
            continue;
        }
        char plist[2048] = "", olist[4096] = "";
        size_t k = 0;
        cJSON_ArrayForEach(p, pl) {
            cJSON *ps = cJSON_GetObjectItemCaseSensitive(p, "pool");
            if (cJSON_IsString(ps) && k < sizeof plist)
                k += (size_t)snprintf(plist + k, sizeof plist - k, "%s%s", k ? " " : "",
                                      ps->valuestring);
        }
        k = 0;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "option-data")) {
            cJSON *on = cJSON_GetObjectItemCaseSensitive(p, "name");
            cJSON *od = cJSON_GetObjectItemCaseSensitive(p, "data");
            if (k < sizeof olist)
                k += (size_t)snprintf(olist + k, sizeof olist - k, "%s%s=%s", k ? "; " : "",
                                      cJSON_IsString(on) ? on->valuestring : "?",
                                      cJSON_IsString(od) ? od->valuestring : "");
        }
        snprintf(nres, sizeof nres, "%d",
                 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "reservations")));
        const char *vals[] = {id, pfs, plist, olist, nres};
        if (ipl_out_row(o, vals)) {
            err = IPL_EIO;
            goto out;
        }
    }
    err = ipl_out_end(o);
out:
    ipl_out_free(o);
    cJSON_Delete(cfg);
    if (err)
        return cli_fail(cmd, 1, "cannot write the output");
    if (pools && only && !found)
        return cli_fail(cmd, 2, "kea server '%s': unknown subnet id %lld", name, (long long)only);
    return 0;
}

/* ---- changes ---- */

static int apply(const char *sub, const ipl_args *a, const char *name, const ipl_kea_edit *e)
{
    ipl_kea_actor ac;
    ipl_store *st = NULL;
    ipl_diag d = {0};
    ipl_kea_result res;
    char cmd[64];
    int rc;
    snprintf(cmd, sizeof cmd, "kea %s", sub);
    if ((rc = actor_init(sub, a, &ac)) || (rc = cli_open_store(cmd, a, 0, &st)))
        return rc;
    int err = ipl_kea_apply(st, name, &ac, e, &res, &d);
    ipl_store_close(st);
    if (res.drift)
        fprintf(stderr, "ipledger %s: %zu change%s made outside ipledger recorded first (user "
                "\"external\")\n", cmd, res.drift, res.drift == 1 ? "" : "s");
    if (err)
        return fail(sub, err, &d);
    if (!res.changed) {
        printf("kea server '%s': nothing to change\n", name);
        return 0;
    }
    if (e->op == IPL_KEA_SUBNET_ADD)
        printf("kea server '%s': subnet id %lld added; ", name, (long long)res.subnet_id);
    else
        printf("kea server '%s': %s done; ", name, sub);
    printf("%zu object%s changed, config %.12s\n", res.changed, res.changed == 1 ? "" : "s",
           res.hash);
    return 0;
}

static int do_subnet(const ipl_args *a)
{
    const char *verb = a->npos > 1 ? a->pos[1] : "", *name;
    ipl_kea_edit e;
    int rc;
    memset(&e, 0, sizeof e);
    if (strcmp(verb, "add") == 0) {
        e.op = IPL_KEA_SUBNET_ADD;
        if (ipl_arg(a, "id") && (rc = parse_id("subnet add", "id", ipl_arg(a, "id"), &e.subnet_id)))
            return rc;
        if (!(e.prefix = ipl_arg(a, "prefix")))
            return cli_fail("kea subnet add", 2, "--prefix P is required");
    } else if (strcmp(verb, "edit") == 0) {
        e.op = IPL_KEA_SUBNET_EDIT;
        e.prefix = ipl_arg(a, "prefix");
    } else if (strcmp(verb, "delete") == 0) {
        e.op = IPL_KEA_SUBNET_DELETE;
    } else {
        return cli_fail("kea subnet", 2, "expected add, edit or delete, not '%s'", verb);
    }
    char sub[32];
    snprintf(sub, sizeof sub, "subnet %s", verb);
    if ((rc = need_name(sub, a, 2, &name)))
        return rc;
    if (e.op != IPL_KEA_SUBNET_ADD &&
        (rc = parse_id(sub, "subnet", ipl_arg(a, "subnet"), &e.subnet_id)))
        return rc;
    const ipl_opt *po = NULL, *oo = NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        if (!strcmp(kea_opts[i].name, "pool"))
            po = &kea_opts[i];
        if (!strcmp(kea_opts[i].name, "option"))
            oo = &kea_opts[i];
    }
    if (po->count > 64 || oo->count > 64)
        return cli_fail("kea subnet", 2, "at most 64 --pool and 64 --option");
    if (e.op == IPL_KEA_SUBNET_DELETE && (po->count || oo->count || ipl_arg(a, "prefix")))
        return cli_fail("kea subnet delete", 2, "delete takes only --subnet");
    e.pools = po->values;
    e.npools = (size_t)po->count;
    e.options = oo->values;
    e.noptions = (size_t)oo->count;
    return apply(sub, a, name, &e);
}

static int do_pool(const ipl_args *a)
{
    const char *verb = a->npos > 1 ? a->pos[1] : "", *name, *pool = ipl_arg(a, "pool");
    ipl_kea_edit e;
    int rc;
    memset(&e, 0, sizeof e);
    if (strcmp(verb, "add") == 0)
        e.op = IPL_KEA_POOL_ADD;
    else if (strcmp(verb, "delete") == 0)
        e.op = IPL_KEA_POOL_DELETE;
    else
        return cli_fail("kea pool", 2, "expected add or delete, not '%s'", verb);
    char sub[32];
    snprintf(sub, sizeof sub, "pool %s", verb);
    if ((rc = need_name(sub, a, 2, &name)) ||
        (rc = parse_id(sub, "subnet", ipl_arg(a, "subnet"), &e.subnet_id)))
        return rc;
    if (!pool)
        return cli_fail("kea pool", 2, "--pool A-B is required");
    e.pools = &pool;
    e.npools = 1;
    return apply(sub, a, name, &e);
}

static int do_options(const ipl_args *a)
{
    const char *name, *list = ipl_arg(a, "subnets");
    static int64_t ids[IPL_KEA_LIST_MAX];
    char namebuf[80];
    ipl_kea_edit e;
    ipl_diag d = {0};
    int rc, nops = 0;
    memset(&e, 0, sizeof e);
    e.op = IPL_KEA_OPTIONS;
    if ((rc = need_name("options", a, 1, &name)))
        return rc;
    if (!list)
        return cli_fail("kea options", 2, "--subnets 1,2,5|all is required");
    if (ipl_kea_parse_ids(list, ids, IPL_KEA_LIST_MAX, &e.nsubnets, &d))
        return cli_fail("kea options", 2, "--subnets: %s", d.msg);
    e.subnets = ids;
    const char *v;
    if ((v = ipl_arg(a, "add")) || (v = ipl_arg(a, "set"))) {
        e.optop = ipl_arg(a, "add") ? IPL_KEA_OPT_ADD : IPL_KEA_OPT_SET;
        const char *eq = strchr(v, '=');
        if (!eq || eq == v || (size_t)(eq - v) >= sizeof namebuf)
            return cli_fail("kea options", 2, "--%s: expected name=value",
                            e.optop == IPL_KEA_OPT_ADD ? "add" : "set");
        snprintf(namebuf, sizeof namebuf, "%.*s", (int)(eq - v), v);
        e.optname = namebuf;
        e.optvalue = eq + 1;
    }
    nops = !!ipl_arg(a, "add") + !!ipl_arg(a, "set") + !!ipl_arg(a, "replace") +
           !!ipl_arg(a, "delete");
    if (nops != 1)
        return cli_fail("kea options", 2, "give exactly one of --add, --set, --replace, --delete");
    static char oldbuf[1100];
    if ((v = ipl_arg(a, "replace"))) {
        const char *eq1 = strchr(v, '='), *eq2 = eq1 ? strchr(eq1 + 1, '=') : NULL;
        if (!eq1 || !eq2 || eq1 == v || (size_t)(eq1 - v) >= sizeof namebuf ||
            eq2 == eq1 + 1 || (size_t)(eq2 - eq1 - 1) >= sizeof oldbuf)
            return cli_fail("kea options", 2, "--replace: expected name=OLD=NEW with a non-empty "
                            "OLD (OLD cannot contain '=')");
        e.optop = IPL_KEA_OPT_REPLACE;
        snprintf(namebuf, sizeof namebuf, "%.*s", (int)(eq1 - v), v);
        snprintf(oldbuf, sizeof oldbuf, "%.*s", (int)(eq2 - eq1 - 1), eq1 + 1);
        e.optname = namebuf;
        e.optold = oldbuf;
        e.optvalue = eq2 + 1;
    }
    if ((v = ipl_arg(a, "delete"))) {
        e.optop = IPL_KEA_OPT_DELETE;
        e.optname = v;
    }
    return apply("options", a, name, &e);
}

static int do_reservation(const ipl_args *a)
{
    const char *verb = a->npos > 1 ? a->pos[1] : "", *name;
    ipl_kea_edit e;
    int rc;
    memset(&e, 0, sizeof e);
    if (strcmp(verb, "add") == 0)
        e.op = IPL_KEA_RESV_ADD;
    else if (strcmp(verb, "remove") == 0)
        e.op = IPL_KEA_RESV_REMOVE;
    else
        return cli_fail("kea reservation", 2, "expected add or remove, not '%s'", verb);
    char sub[32];
    snprintf(sub, sizeof sub, "reservation %s", verb);
    if ((rc = need_name(sub, a, 2, &name)) ||
        (rc = parse_id(sub, "subnet", ipl_arg(a, "subnet"), &e.subnet_id)))
        return rc;
    e.ip = ipl_arg(a, "ip");
    e.mac = ipl_arg(a, "mac");
    e.hostname = ipl_arg(a, "hostname");
    if (!e.ip)
        return cli_fail("kea reservation", 2, "--ip A is required");
    if (e.op == IPL_KEA_RESV_ADD && !e.mac)
        return cli_fail("kea reservation add", 2, "--mac M is required");
    return apply(sub, a, name, &e);
}

int cmd_kea(int argc, char **argv)
{
    ipl_args a = {kea_opts, NOPTS, {0}, 0, 0};
    int rc = cli_args("kea", usage, &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.npos == 0)
        return cli_fail("kea", 2, "what? (see ipledger kea -h)");
    const char *sub = a.pos[0];
    static const struct { const char *name; int (*fn)(const ipl_args *); } subs[] = {
        {"register", do_register}, {"unregister", do_unregister}, {"list", do_list},
        {"config", do_config},     {"drift", do_drift},           {"subnet", do_subnet},
        {"pool", do_pool},         {"options", do_options},       {"reservation", do_reservation},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i].name) == 0)
            return subs[i].fn(&a);
    if (strcmp(sub, "subnets") == 0)
        return do_subnets(&a, 0);
    if (strcmp(sub, "pools") == 0)
        return do_subnets(&a, 1);
    return cli_fail("kea", 2, "'%s' is not a kea command (see ipledger kea -h)", sub);
}
