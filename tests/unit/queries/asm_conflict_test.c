/* tests/unit/queries/asm_conflict_test.c — range overlaps inside one space are found whatever
 * lies between them (1-100 overlaps 30-40 even with 10-20 in between), and never across spaces.
 * Writes through ipledger refuse overlaps, so the view is written straight into kv, as a store
 * edited by hand or an older ipledger could hold it. */
#include "../check.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hex16(const uint8_t ip[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", ip[i]);
}

static void put_range(ipl_batch *b, const char *space, const char *lo, const char *hi)
{
    uint8_t l[16], h[16];
    char lh[33], hh[33], key[128], json[256];
    ipl_ip_parse(lo, strlen(lo), l);
    ipl_ip_parse(hi, strlen(hi), h);
    hex16(l, lh);
    hex16(h, hh);
    snprintf(key, sizeof key, "%s|%s|%s", space, lh, hh);
    snprintf(json, sizeof json,
             "{\"type\":\"range\",\"space\":\"%s\",\"id\":\"%s-%s\",\"version\":\"4\",\"origin\":\"manual\"}",
             space, lo, hi);
    CHECK_INT(ipl_batch_kv_put(b, "asm.range", key, json, strlen(json), NULL), IPL_OK);
}

static int collect(void *ctx, const ipl_asm_conflict *c)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 4096 - n, "%s:%s;", c->type, c->detail);
    return IPL_OK;
}

int main(void)
{
    char dir[] = "/tmp/ipl-asmc-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ipl_store *st;
    ipl_batch *b;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    put_range(b, "default", "10.0.0.1", "10.0.0.100");
    put_range(b, "default", "10.0.0.10", "10.0.0.20");
    put_range(b, "default", "10.0.0.30", "10.0.0.40");
    put_range(b, "default", "10.0.1.1", "10.0.1.10");     /* clear of the others */
    put_range(b, "tenant", "10.0.0.50", "10.0.0.60");     /* another space: no overlap */
    CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);

    ipl_rtxn *t;
    ipl_asm_view *v;
    ipl_diag d = {0};
    char buf[4096] = "";
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    CHECK_INT(ipl_asm_conflicts(t, v, 0, INT64_MAX, collect, buf, &d), IPL_OK);
    CHECK(strstr(buf, "'10.0.0.1-10.0.0.100' and '10.0.0.10-10.0.0.20' overlap") != NULL);
    CHECK(strstr(buf, "'10.0.0.1-10.0.0.100' and '10.0.0.30-10.0.0.40' overlap") != NULL);
    CHECK(strstr(buf, "10.0.1.1-10.0.1.10' overlap") == NULL);
    CHECK(strstr(buf, "10.0.0.50-10.0.0.60") == NULL);
    if (!strstr(buf, "10.0.0.30-10.0.0.40' overlap"))
        fprintf(stderr, "conflicts: %s\n", buf);
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
    ipl_batch_free(b);

    /* recorded as events: once each; an overlap fixed since is recorded as resolved */
    ipl_asm_actor a;
    ipl_asm_actor_default(&a);
    uint64_t raised = 9, resolved = 9;
    CHECK_INT(ipl_asm_conflicts_record(st, &a, 0, INT64_MAX, &raised, &resolved, &d), IPL_OK);
    CHECK_INT(raised, 2);
    CHECK_INT(resolved, 0);
    CHECK_INT(ipl_asm_conflicts_record(st, &a, 0, INT64_MAX, &raised, &resolved, &d), IPL_OK);
    CHECK_INT(raised, 0);
    CHECK_INT(resolved, 0);
    uint8_t l[16], h[16];
    char lh[33], hh[33], key[128];
    ipl_ip_parse("10.0.0.10", 9, l);
    ipl_ip_parse("10.0.0.20", 9, h);
    hex16(l, lh);
    hex16(h, hh);
    snprintf(key, sizeof key, "default|%s|%s", lh, hh);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_batch_kv_del(b, "asm.range", key, NULL), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, NULL), IPL_OK);
    ipl_batch_free(b);
    CHECK_INT(ipl_asm_conflicts_record(st, &a, 0, INT64_MAX, &raised, &resolved, &d), IPL_OK);
    CHECK_INT(raised, 0);
    CHECK_INT(resolved, 1);
    /* the events: two found, one resolved naming the fixed range */
    int open = 0, res = 0;
    ipl_evcur *ec;
    ipl_rawev ev;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_evcur_open(t, &ec, &d), IPL_OK);
    while (ipl_evcur_next(ec, &ev, &d) == IPL_OK) {
        ipl_rawattr sa, ma;
        if (ev.kind != IPL_K_ASM_CONFLICT || ipl_rawev_attr(&ev, IPL_A_STATUS, &sa) != IPL_OK ||
            ipl_rawev_attr(&ev, IPL_A_MESSAGE, &ma) != IPL_OK)
            continue;
        const char *st_ = sa.interned ? ipl_dict_str(t, sa.id) : sa.val;
        char msg[512];
        snprintf(msg, sizeof msg, "%.*s", (int)ma.len, ma.val);
        if (st_ && strncmp(st_, "open", 4) == 0)
            open++;
        if (st_ && strncmp(st_, "resolved", 8) == 0) {
            res++;
            CHECK(strstr(msg, "10.0.0.10-10.0.0.20") != NULL);
        }
    }
    ipl_evcur_close(ec);
    ipl_rtxn_end(t);
    CHECK_INT(open, 2);
    CHECK_INT(res, 1);
    ipl_store_close(st);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
