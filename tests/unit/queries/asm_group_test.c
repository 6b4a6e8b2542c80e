/* tests/unit/queries/asm_group_test.c — logical groups: a tree by field values (multi-valued custom
 * fields put an object under each value, unset fields under "(none)"), sizes summed per node, rows
 * in path order; definitions validated, audited as config.change events, edited and deleted. */
#include "../check.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char rows[4096];

static int row(void *ctx, const ipl_asm_group_row *r)
{
    (void)ctx;
    size_t n = strlen(rows);
    snprintf(rows + n, sizeof rows - n, "%s|%d|%llu|%.0f;", r->path, r->depth,
             (unsigned long long)r->objects, r->u.size);
    return IPL_OK;
}

static void apply(ipl_store *st, const ipl_asm_actor *a, ipl_asm_type ty, const char *id,
                  const char *const *f, size_t nf)
{
    ipl_asm_change c = {ty, IPL_ASM_CREATE, NULL, id, f, nf, 0};
    ipl_diag d = {0};
    CHECK_INT(ipl_asm_apply(st, a, &c, 1, NULL, &d), IPL_OK);
    if (d.msg[0])
        fprintf(stderr, "   %s\n", d.msg);
}

static uint64_t group_events(ipl_store *st)
{
    ipl_rtxn *t;
    ipl_evcur *c;
    ipl_rawev e;
    uint64_t n = 0;
    uint32_t id;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    int have = ipl_dict_find(t, "asm.group", 9, &id) == IPL_OK;
    CHECK_INT(ipl_evcur_open(t, &c, NULL), IPL_OK);
    while (have && ipl_evcur_next(c, &e, NULL) == IPL_OK) {
        ipl_rawattr ob;
        if (e.kind == IPL_K_CONFIG_CHANGE && ipl_rawev_attr(&e, IPL_A_OBJECT, &ob) == IPL_OK &&
            ob.interned && ob.id == id)
            n++;
    }
    ipl_evcur_close(c);
    ipl_rtxn_end(t);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/ipl-asmg-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ipl_store *st;
    ipl_diag d = {0};
    ipl_asm_actor a;
    ipl_asm_actor_default(&a);
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    apply(st, &a, IPL_ASM_SUBNET, "10.1.0.0/24", NULL, 0);
    apply(st, &a, IPL_ASM_SUBNET, "10.2.0.0/24", NULL, 0);
    apply(st, &a, IPL_ASM_SUBNET, "10.3.0.0/24", NULL, 0);
    const char *f1[] = {"custom.region=EU", "custom.site=ams", "owner=neteng"};
    const char *f2[] = {"custom.region=EU", "custom.site=fra", "custom.site=ams"};
    const char *f3[] = {"owner=x"};
    apply(st, &a, IPL_ASM_RANGE, "10.1.0.1-10.1.0.100", f1, 3);
    apply(st, &a, IPL_ASM_RANGE, "10.2.0.1-10.2.0.50", f2, 3);
    apply(st, &a, IPL_ASM_RANGE, "10.3.0.1-10.3.0.10", f3, 1);

    const char *by[] = {"custom.region", "custom.site"};
    CHECK_INT(ipl_asm_group_put(st, &a, "geo", IPL_ASM_RANGE, by, 2, &d), IPL_OK);
    CHECK_INT(ipl_asm_group_put(st, &a, "geo", IPL_ASM_RANGE, by, 2, &d), IPL_OK);  /* same: no event */
    CHECK_INT(group_events(st), 1);

    ipl_rtxn *t;
    ipl_asm_view *v;
    ipl_asm_group g;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    CHECK_INT(ipl_asm_group_get(t, "geo", &g, &d), IPL_OK);
    CHECK_INT((int)g.nby, 2);
    CHECK_STR(g.by[1], "custom.site");
    rows[0] = '\0';
    CHECK_INT(ipl_asm_group_eval(t, v, &g, 0, row, NULL, &d), IPL_OK);
    CHECK_STR(rows, "(none)|1|1|10;(none)/(none)|2|1|10;EU|1|2|150;EU/ams|2|2|150;EU/fra|2|1|50;");
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);

    /* bad definitions name what is wrong; nothing is written */
    const char *bad[] = {"nonsense"};
    CHECK_INT(ipl_asm_group_put(st, &a, "g2", IPL_ASM_RANGE, bad, 1, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'nonsense' is not a field") != NULL);
    CHECK_INT(ipl_asm_group_put(st, &a, "bad name", IPL_ASM_RANGE, by, 1, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "name 'bad name' is invalid") != NULL);
    CHECK_INT(ipl_asm_group_put(st, &a, "g3", IPL_ASM_RANGE, by, 0, &d), IPL_EINVAL);
    CHECK_INT(group_events(st), 1);

    /* edit to owner: ranges without an owner go under (none) */
    const char *by2[] = {"owner"};
    CHECK_INT(ipl_asm_group_put(st, &a, "geo", IPL_ASM_RANGE, by2, 1, &d), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    CHECK_INT(ipl_asm_group_get(t, "geo", &g, &d), IPL_OK);
    rows[0] = '\0';
    CHECK_INT(ipl_asm_group_eval(t, v, &g, 0, row, NULL, &d), IPL_OK);
    CHECK_STR(rows, "(none)|1|1|50;neteng|1|1|100;x|1|1|10;");
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);

    CHECK_INT(ipl_asm_group_delete(st, &a, "geo", &d), IPL_OK);
    CHECK_INT(ipl_asm_group_delete(st, &a, "geo", &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "no logical group 'geo'") != NULL);
    CHECK_INT(group_events(st), 3);
    /* the view rebuilt from the log is unaffected by group events */
    uint64_t objs, evs;
    CHECK_INT(ipl_asm_rebuild_check(st, &objs, &evs, &d), IPL_OK);
    CHECK_INT(objs, 6);

    ipl_store_close(st);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
