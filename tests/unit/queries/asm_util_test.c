/* tests/unit/queries/asm_util_test.c — utilization, held addresses and trends (asm_util.c) decided
 * from the lease class of the ip index entries alone: logons, authentications, DNS updates and
 * configuration changes at an address never make it held or free; opens and closes do, the
 * latest at or before the instant deciding; a range's used count adds its static address objects
 * once; a subnet sums its ranges. */
#include "../check.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "queries/asm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 (INT64_C(1714953600) * 1000000)
#define H  (INT64_C(3600) * 1000000)

static ipl_store *st;

static void ev(unsigned kind, const char *ip, const char *mac, int64_t ts)
{
    ipl_batch *b;
    ipl_event e;
    ipl_diag d = {0};
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    ipl_event_reset(&e);
    e.ts = ts;
    e.kind = (uint16_t)kind;
    e.has_ip = 1;
    ipl_ip_parse(ip, strlen(ip), e.ip);
    e.mac = mac;
    e.user = kind == IPL_K_LOGON ? "CONTOSO\\ann" : NULL;
    e.server = "srv";
    e.source = "test";
    CHECK_INT(ipl_batch_add(b, &e, &d), IPL_OK);
    CHECK_INT(ipl_store_commit(st, b, NULL, &d), IPL_OK);
    ipl_batch_free(b);
}

static uint64_t held_at(int64_t at)
{
    ipl_rtxn *t;
    uint8_t lo[16], hi[16];
    uint64_t n = 99;
    ipl_ip_parse("10.9.0.1", 8, lo);
    ipl_ip_parse("10.9.0.254", 10, hi);
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_asm_held(t, lo, hi, at, NULL, NULL, &n, NULL), IPL_OK);
    ipl_rtxn_end(t);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/ipl-asmu-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    ipl_diag d = {0};
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, &d), IPL_OK);
    /* .1 leased at T0+1h, released at +5h; .2 only logons, auth and DNS: never held; .3 leased at
     * +2h and renewed at +6h, a logon and a config change between; .4 declined at +3h */
    ev(IPL_K_LEASE_ASSIGN, "10.9.0.1", "aabbcc000001", T0 + 1 * H);
    ev(IPL_K_LOGON, "10.9.0.1", NULL, T0 + 4 * H);
    ev(IPL_K_LEASE_RELEASE, "10.9.0.1", "aabbcc000001", T0 + 5 * H);
    ev(IPL_K_LOGON, "10.9.0.1", NULL, T0 + 7 * H);           /* after the release: still free */
    ev(IPL_K_LOGON, "10.9.0.2", NULL, T0 + 1 * H);
    ev(IPL_K_AUTH_KERBEROS, "10.9.0.2", NULL, T0 + 2 * H);
    ev(IPL_K_DNS_UPDATE, "10.9.0.2", "aabbcc000002", T0 + 3 * H);
    ev(IPL_K_LEASE_ASSIGN, "10.9.0.3", "aabbcc000003", T0 + 2 * H);
    ev(IPL_K_LOGON, "10.9.0.3", NULL, T0 + 3 * H);
    ev(IPL_K_CONFIG_CHANGE, "10.9.0.3", NULL, T0 + 4 * H);
    ev(IPL_K_LEASE_RENEW, "10.9.0.3", "aabbcc000003", T0 + 6 * H);
    ev(IPL_K_LEASE_ASSIGN, "10.9.0.4", "aabbcc000004", T0 + 2 * H);
    ev(IPL_K_LEASE_DECLINE, "10.9.0.4", "aabbcc000004", T0 + 3 * H);

    CHECK_INT(held_at(T0), 0);
    CHECK_INT(held_at(T0 + 1 * H), 1);                /* .1 */
    CHECK_INT(held_at(T0 + 2 * H), 3);                /* .1 .3 .4 */
    CHECK_INT(held_at(T0 + 3 * H + 1), 2);            /* .4 declined */
    CHECK_INT(held_at(T0 + 4 * H), 2);                /* a logon at .1, a change at .3: no effect */
    CHECK_INT(held_at(T0 + 5 * H), 1);                /* .1 released */
    CHECK_INT(held_at(T0 + 8 * H), 1);                /* a later logon at .1 does not lease it */

    /* a range, a static address object in it, the subnet summing the range */
    ipl_asm_actor a;
    ipl_asm_actor_default(&a);
    const char *st_f[] = {"assignment=static"};
    ipl_asm_change ch[] = {
        {IPL_ASM_SUBNET, IPL_ASM_CREATE, NULL, "10.9.0.0/24", NULL, 0, 0},
        {IPL_ASM_RANGE, IPL_ASM_CREATE, NULL, "10.9.0.1-10.9.0.100", NULL, 0, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.9.0.50", st_f, 1, 0},
        {IPL_ASM_ADDRESS, IPL_ASM_CREATE, NULL, "10.9.0.3", st_f, 1, 0},   /* also leased */
    };
    CHECK_INT(ipl_asm_apply(st, &a, ch, 4, NULL, &d), IPL_OK);
    ipl_rtxn *t;
    ipl_asm_view *v;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_asm_view_load(t, &v, &d), IPL_OK);
    const ipl_asm_obj *r = ipl_asm_find(v, IPL_ASM_RANGE, NULL, "10.9.0.1-10.9.0.100");
    const ipl_asm_obj *sn = ipl_asm_find(v, IPL_ASM_SUBNET, NULL, "10.9.0.0/24");
    CHECK(r && sn);
    ipl_asm_util u;
    CHECK_INT(ipl_asm_utilization(t, v, r, T0 + 2 * H, &u, &d), IPL_OK);
    CHECK_INT(u.leased, 3);
    CHECK(u.size == 100.0 && u.used == 4.0 && u.pct == 4.0);   /* .1 .3 .4 leased + .50 static */
    CHECK_INT(ipl_asm_utilization(t, v, sn, T0 + 8 * H, &u, &d), IPL_OK);
    CHECK_INT(u.leased, 1);
    CHECK(u.size == 100.0 && u.used == 2.0);                   /* .3 (leased and static) + .50 */

    /* the trend, hourly: the held counts above, from the history */
    uint8_t lo[16], hi[16];
    uint64_t *c = NULL;
    size_t n = 0;
    ipl_asm_obj_bounds(r, lo, hi);
    CHECK_INT(ipl_asm_trend(t, lo, hi, T0, T0 + 8 * H, H, &c, &n, &d), IPL_OK);
    CHECK_INT(n, 9);
    static const uint64_t want[9] = {0, 1, 3, 2, 2, 1, 1, 1, 1};
    for (size_t i = 0; i < n && i < 9; i++)
        CHECK_INT(c[i], want[i]);
    free(c);
    ipl_asm_view_free(v);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
