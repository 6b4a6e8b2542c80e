/* tests/unit/queries/asm_test.c — address space management: validation and hierarchy, all-or-
 * nothing mutations, utilization against `who` at many instants, trends, free search and
 * allocation, conflicts, CSV import row errors, reclaim, and rebuild-from-log. */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"
#include "queries/lookup.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define US(s) ((int64_t)(s) * 1000000)
#define T0 US(1714000000)

static char dir[] = "/tmp/ipl-asm-test-XXXXXX";
static ipl_store *st;
static ipl_asm_actor actor;
static int64_t fake_now = T0 + US(100000);
static int64_t clock_fn(void) { return fake_now; }

static void lease(unsigned kind, const char *ip, const char *mac, int64_t ts, const char *server)
{
    ipl_batch *b;
    ipl_event ev;
    ipl_diag d = {0};
    ipl_batch_new(&b);
    ipl_event_reset(&ev);
    ev.kind = (uint16_t)kind;
    ev.ts = ts;
    ev.has_ip = 1;
    ipl_ip_parse(ip, strlen(ip), ev.ip);
    ev.mac = mac;
    ev.server = server;
    ev.source = "test:leases";
    CHECK_INT(ipl_batch_add(b, &ev, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
}

static int apply1(ipl_asm_type t, int action, const char *space, const char *id,
                  const char *f1, const char *f2, ipl_diag *d)
{
    const char *f[2];
    size_t n = 0;
    if (f1)
        f[n++] = f1;
    if (f2)
        f[n++] = f2;
    ipl_asm_change c = {t, action, space, id, f, n, 0};
    return ipl_asm_apply(st, &actor, &c, 1, NULL, d);
}

static void test_model(void)
{
    ipl_diag d = {0};
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "10.0.0.0/8", "description=corp", NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "10.1.0.0/16", NULL, NULL, &d), IPL_EEXIST);
    CHECK(strstr(d.msg, "'10.1.0.0/16' overlaps block '10.0.0.0/8'") != NULL);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "10.0.0.1/8", NULL, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'10.0.0.1/8'") != NULL);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "192.0.2.0/33", NULL, NULL, &d), IPL_EINVAL);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "8.8.0.0/16", "rir=ARIN", "received=2001-02-03", &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "172.16.0.0/12", "rir=ARIN", NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "RFC 1918") != NULL);
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_CREATE, NULL, "fd00::/8", NULL, NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.72.144.0/22", "vlan=12", NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.72.148.0/22", "block=8.8.0.0/16", NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "outside its block '8.8.0.0/16'") != NULL);
    CHECK_INT(apply1(IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.72.148.0/22", "vlan=5000", NULL, &d), IPL_EINVAL);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.72.150.1-10.72.150.20", NULL, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "outside every subnet") != NULL);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.72.144.1-10.72.144.100",
                     "exclude=10.72.144.5-10.72.144.6", "managed_by=dhcp1", &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.72.144.50-10.72.144.150", NULL, NULL, &d), IPL_EEXIST);
    CHECK(strstr(d.msg, "overlaps range '10.72.144.1-10.72.144.100'") != NULL);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.72.144.100-10.72.144.1", NULL, NULL, &d), IPL_EINVAL);
    /* the same range in another space is fine once the space and its subnet exist */
    CHECK_INT(apply1(IPL_ASM_SPACE, IPL_ASM_CREATE, NULL, "prov", "kind=provider", NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_SPACE, IPL_ASM_CREATE, NULL, "cust", "kind=customer", NULL, &d), IPL_EINVAL);
    CHECK_INT(apply1(IPL_ASM_SPACE, IPL_ASM_CREATE, NULL, "cust", "kind=customer", "provider=prov", &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_SUBNET, IPL_ASM_CREATE, "cust", "10.72.144.0/22", NULL, NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, "cust", "10.72.144.1-10.72.144.100", NULL, NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_RANGE, IPL_ASM_CREATE, "nope", "10.72.144.1-10.72.144.100", NULL, NULL, &d), IPL_ENOTFOUND);
    /* delete with children refused, nothing half-applied */
    CHECK_INT(apply1(IPL_ASM_BLOCK, IPL_ASM_DELETE, NULL, "10.0.0.0/8", NULL, NULL, &d), IPL_EBUSY);
    CHECK(strstr(d.msg, "block '10.0.0.0/8'") && strstr(d.msg, "subnet '10.72.144.0/22'"));
    /* a batch of two changes whose second fails writes nothing */
    {
        const char *f[] = {"description=x"};
        ipl_asm_change ch[2] = {{IPL_ASM_SUBNET, IPL_ASM_EDIT, NULL, "10.72.144.0/22", f, 1, 0},
                                {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.72.145.0/24", NULL, 0, 0}};
        CHECK_INT(ipl_asm_apply(st, &actor, ch, 2, NULL, &d), IPL_EEXIST);
        ipl_rtxn *t;
        ipl_asm_view *v;
        ipl_rtxn_begin(st, &t, &d);
        ipl_asm_view_load(t, &v, &d);
        const ipl_asm_obj *s = ipl_asm_find(v, IPL_ASM_SUBNET, NULL, "10.72.144.0/22");
        CHECK(s && ipl_asm_obj_str(s, "description") == NULL);
        CHECK_STR(ipl_asm_obj_str(s, "block"), "10.0.0.0/8");
        const ipl_asm_obj *b = ipl_asm_find(v, IPL_ASM_BLOCK, NULL, "8.8.0.0/16");
        CHECK_STR(ipl_asm_obj_str(b, "class"), "public");
        b = ipl_asm_find(v, IPL_ASM_BLOCK, NULL, "fd00::/8");
        CHECK_STR(ipl_asm_obj_str(b, "class"), "unique local (RFC 4193)");
        ipl_asm_view_free(v);
        ipl_rtxn_end(t);
    }
    CHECK_INT(apply1(IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.72.144.3", "assignment=static", "mac=AA-BB-CC-00-00-03", &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.72.144.4", "state=inactive", NULL, &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_ADDRESS, IPL_ASM_EDIT, NULL, "10.72.144.4", "custom.site=ams", "custom.site=fra", &d), IPL_OK);
    CHECK_INT(apply1(IPL_ASM_ADDRESS, IPL_ASM_EDIT, NULL, "10.72.144.4", "colour=red", NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'colour' is not a field of a address") != NULL);
}

static void test_util_and_trend(void)
{
    ipl_diag d = {0};
    /* .10 held [T0+100, T0+500); .11 held from T0+200 (never closed); .12 assigned at T0+300 by
     * A, taken by B at T0+400 (who: reassigned), released at T0+600 */
    lease(IPL_K_LEASE_ASSIGN, "10.72.144.10", "aabbcc000010", T0 + US(100), "dhcp1");
    lease(IPL_K_LEASE_RENEW, "10.72.144.10", "aabbcc000010", T0 + US(300), "dhcp1");
    lease(IPL_K_LEASE_RELEASE, "10.72.144.10", "aabbcc000010", T0 + US(500), "dhcp1");
    lease(IPL_K_LEASE_ASSIGN, "10.72.144.11", "aabbcc000011", T0 + US(200), "dhcp1");
    lease(IPL_K_DNS_UPDATE, "10.72.144.11", "aabbcc000011", T0 + US(250), "dhcp1");
    lease(IPL_K_LEASE_ASSIGN, "10.72.144.12", "aabbcc000012", T0 + US(300), "dhcp1");
    lease(IPL_K_LEASE_ASSIGN, "10.72.144.12", "aabbcc0000bb", T0 + US(400), "dhcp2");
    lease(IPL_K_LEASE_RELEASE, "10.72.144.12", "aabbcc0000bb", T0 + US(600), "dhcp2");
    lease(IPL_K_LEASE_CONFLICT, "10.72.144.13", NULL, T0 + US(450), "dhcp1");
    lease(IPL_K_LEASE_ASSIGN, "10.72.144.3", "aabbcc000099", T0 + US(700), "dhcp1");
    ipl_rtxn *t;
    ipl_asm_view *v;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, NULL, "10.72.144.1-10.72.144.100");
    CHECK(r != NULL);
    /* held count == the number of addresses `who` says are held, at many instants */
    ipl_arena ar;
    ipl_arena_init(&ar, 1 << 20);
    uint8_t lo[16], hi[16];
    ipl_asm_obj_bounds(r, lo, hi);
    for (int s = 0; s <= 800; s += 50) {
        int64_t at = T0 + US(s);
        uint64_t held = 0, who_n = 0;
        CHECK_INT(ipl_asm_held(t, lo, hi, at, NULL, NULL, &held, &d), IPL_OK);
        uint8_t ip[16];
        memcpy(ip, lo, 16);
        for (int k = 0; k < 100; k++) {
            ipl_who w;
            ipl_arena_clear(&ar);
            if (ipl_who_at(t, ip, at, &ar, &w, &d) == IPL_OK && w.held)
                who_n++;
            for (int i = 15; i >= 0 && ++ip[i] == 0; i--) {
            }
        }
        CHECK_INT(held, who_n);
    }
    ipl_arena_release(&ar);
    ipl_asm_util u;
    CHECK_INT(ipl_asm_utilization(t, v, r, T0 + US(450), &u, &d), IPL_OK);
    /* leased .10 .11 .12 + static .3 (not leased yet) = 4 of 100 */
    CHECK_INT((long long)u.size, 100);
    CHECK_INT(u.leased, 3);
    CHECK_INT((long long)u.used, 4);
    CHECK_INT(ipl_asm_utilization(t, v, r, T0 + US(750), &u, &d), IPL_OK);
    CHECK_INT(u.leased, 2);           /* .11 and .3 */
    CHECK_INT((long long)u.used, 2);  /* .3 leased and static counts once */
    const ipl_asm_obj *sn = ipl_asm_find(v, IPL_ASM_SUBNET, NULL, "10.72.144.0/22");
    CHECK_INT(ipl_asm_utilization(t, v, sn, T0 + US(450), &u, &d), IPL_OK);
    CHECK_INT((long long)u.size, 100);
    const ipl_asm_obj *bl = ipl_asm_find(v, IPL_ASM_BLOCK, NULL, "10.0.0.0/8");
    CHECK_INT(ipl_asm_utilization(t, v, bl, T0 + US(450), &u, &d), IPL_OK);
    CHECK_INT((long long)u.used, 4);
    /* trend: points at T0, +100, ..., +800 */
    uint64_t *c = NULL;
    size_t n = 0;
    CHECK_INT(ipl_asm_trend(t, lo, hi, T0, T0 + US(800), US(100), &c, &n, &d), IPL_OK);
    CHECK_INT(n, 9);
    static const uint64_t want[] = {0, 1, 2, 3, 3, 2, 1, 2, 2};
    for (size_t i = 0; i < n && i < 9; i++)
        CHECK_INT(c[i], want[i]);
    free(c);
    CHECK_INT(ipl_asm_trend(t, lo, hi, T0, T0 + US(800), 0, &c, &n, &d), IPL_EINVAL);
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
}

static int count_conf(void *ctx, const ipl_asm_conflict *c)
{
    char *buf = ctx;
    size_t l = strlen(buf);
    snprintf(buf + l, 4096 - l, "%s:%s;", c->type, c->object);
    return 0;
}

static void test_free_and_conflicts(void)
{
    ipl_diag d = {0};
    ipl_rtxn *t;
    ipl_asm_view *v;
    uint8_t (*ips)[16] = NULL;
    size_t found = 0;
    char txt[IPL_IP_TEXT];
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, NULL, "10.72.144.1-10.72.144.100");
    CHECK_INT(ipl_asm_free_addresses(t, v, r, T0 + US(450), 6, &ips, &found, &d), IPL_OK);
    /* .3 static, .5-.6 excluded, .4 inactive (free), .10-.12 leased at 450 */
    static const char *want[] = {"10.72.144.1", "10.72.144.2", "10.72.144.4", "10.72.144.7",
                                 "10.72.144.8", "10.72.144.9"};
    CHECK_INT(found, 6);
    for (size_t i = 0; i < found && i < 6; i++) {
        ipl_ip_format(ips[i], txt, sizeof txt);
        CHECK_STR(txt, want[i]);
    }
    free(ips);
    uint8_t (*l)[2][16] = NULL;
    const ipl_asm_obj *b = ipl_asm_find(v, IPL_ASM_BLOCK, NULL, "10.0.0.0/8");
    CHECK_INT(ipl_asm_free_subnets(v, b, 22, 40, &l, &found, &d), IPL_OK);
    CHECK_INT(found, 40);
    ipl_ip_format(l[0][0], txt, sizeof txt);
    CHECK_STR(txt, "10.0.0.0");
    int skipped = 1;
    for (size_t i = 0; i < found; i++) {
        ipl_ip_format(l[i][0], txt, sizeof txt);
        if (strcmp(txt, "10.72.144.0") == 0)
            skipped = 0;
    }
    CHECK(skipped);
    free(l);
    CHECK_INT(ipl_asm_free_subnets(v, b, 4, 1, &l, &found, &d), IPL_EINVAL);
    const ipl_asm_obj *sn = ipl_asm_find(v, IPL_ASM_SUBNET, NULL, "10.72.144.0/22");
    CHECK_INT(ipl_asm_free_ranges(v, sn, 200, 2, &l, &found, &d), IPL_OK);
    CHECK_INT(found, 2);
    ipl_ip_format(l[0][0], txt, sizeof txt);
    CHECK_STR(txt, "10.72.144.101");
    free(l);
    char buf[4096] = "";
    CHECK_INT(ipl_asm_conflicts(t, v, INT64_MIN, INT64_MAX, count_conf, buf, &d), IPL_OK);
    CHECK(strstr(buf, "dhcp.conflict:10.72.144.13;") != NULL);
    CHECK(strstr(buf, "static.leased:10.72.144.3;") != NULL);
    CHECK(strstr(buf, "scope.duplicate:10.72.144.1-10.72.144.100;") != NULL);
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
    /* allocation: two calls never return the same address */
    uint8_t (*a1)[16] = NULL, (*a2)[16] = NULL;
    size_t n1 = 0, n2 = 0;
    fake_now = T0 + US(450);
    CHECK_INT(ipl_asm_allocate(st, &actor, NULL, "10.72.144.1-10.72.144.100", 3, NULL, 0, &a1, &n1, NULL, &d), IPL_OK);
    CHECK_INT(ipl_asm_allocate(st, &actor, NULL, "10.72.144.1-10.72.144.100", 3, NULL, 0, &a2, &n2, NULL, &d), IPL_OK);
    CHECK_INT(n1, 3);
    CHECK_INT(n2, 3);
    for (size_t i = 0; i < n1; i++)
        for (size_t k = 0; k < n2; k++)
            CHECK(memcmp(a1[i], a2[k], 16) != 0);
    free(a1);
    free(a2);
    CHECK_INT(ipl_asm_allocate(st, &actor, NULL, "10.72.144.1-10.72.144.100", 1000, NULL, 0, &a1, &n1, NULL, &d), IPL_ENOSPC);
    fake_now = T0 + US(100000);
}

typedef struct rowerrs { char buf[2048]; } rowerrs;
static int on_row(void *ctx, uint64_t row, const char *msg)
{
    rowerrs *r = ctx;
    size_t l = strlen(r->buf);
    snprintf(r->buf + l, sizeof r->buf - l, "%llu:%s\n", (unsigned long long)row, msg);
    return 0;
}

static void test_csv_reclaim_rebuild(void)
{
    ipl_diag d = {0};
    rowerrs re = {""};
    uint64_t ok = 0, bad = 0;
    const char *csv =
        "IP address,Assignment type,IP address state,MAC address,Device name,Expiry date,Site\r\n"
        "10.72.145.1,Static,In-Use,00-11-22-33-44-55,srv1,12/31/2030,ams\r\n"
        "10.72.145.2,Bogus,In-Use,,srv2,,ams\r\n"
        "not-an-ip,Static,,,,,\r\n"
        "10.72.145.3,Dynamic,Inactive,,\"dev, with comma\",,fra\r\n"
        "10.72.145.4,Static\r\n";
    CHECK_INT(ipl_asm_csv_import(st, &actor, IPL_ASM_ADDRESS, NULL, csv, strlen(csv), on_row, &re,
                                 &ok, &bad, &d), IPL_OK);
    CHECK_INT(ok, 2);
    CHECK_INT(bad, 3);
    CHECK(strstr(re.buf, "3:") && strstr(re.buf, "'Bogus'") == NULL);   /* mapped to lower case */
    CHECK(strstr(re.buf, "3:address '10.72.145.2': assignment 'bogus'") != NULL);
    CHECK(strstr(re.buf, "4:address 'not-an-ip'") != NULL);
    CHECK(strstr(re.buf, "6:2 fields, the header has 7") != NULL);
    ipl_rtxn *t;
    ipl_asm_view *v;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    const ipl_asm_obj *o = ipl_asm_find(v, IPL_ASM_ADDRESS, NULL, "10.72.145.1");
    CHECK(o != NULL);
    CHECK_STR(ipl_asm_obj_str(o, "expiry"), "2030-12-31");
    CHECK_STR(ipl_asm_obj_str(o, "mac"), "001122334455");
    CHECK_STR(ipl_asm_obj_str(o, "state"), "in-use");
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
    /* rebuild from the log equals the view */
    uint64_t objs = 0, evs = 0;
    CHECK_INT(ipl_asm_rebuild_check(st, &objs, &evs, &d), IPL_OK);
    if (d.msg[0])
        fprintf(stderr, "rebuild: %s\n", d.msg);
    CHECK(objs > 10);
    CHECK(evs >= objs);
    /* cascade delete, then rebuild again */
    {
        ipl_asm_change c = {IPL_ASM_SPACE, IPL_ASM_DELETE, NULL, "cust", NULL, 0, 0};
        CHECK_INT(ipl_asm_apply(st, &actor, &c, 1, NULL, &d), IPL_EBUSY);
        c.cascade = 1;
        CHECK_INT(ipl_asm_apply(st, &actor, &c, 1, NULL, &d), IPL_OK);
    }
    CHECK_INT(ipl_asm_rebuild_check(st, &objs, &evs, &d), IPL_OK);
}

int main(void)
{
    ipl_diag d = {0};
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    ipl_asm_actor_default(&actor);
    actor.clock = clock_fn;
    RUN(test_model);
    RUN(test_util_and_trend);
    RUN(test_free_and_conflicts);
    RUN(test_csv_reclaim_rebuild);
    ipl_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return check_summary();
}
