/* tests/unit/retention/hold_test.c — legal holds (retention/hold.c): add checks and normalises
 * the value, needs a reason, refuses an --until in the past and a query while the query language
 * is not wired; ids count up and are never reused; every add and remove is a config.change event
 * naming the principal; list shows expired holds, the set in force does not; matching follows
 * the lookups (prefix ranges, MAC or DUID, case-insensitive host and user).
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "retention/hold.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)
#define DAY (INT64_C(86400) * IPL_US_PER_SEC)

static int64_t clock_now = T0;
static int64_t now_fn(void)
{
    return clock_now;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static ipl_hold mk(ipl_hold_by by, const char *value, const char *reason, int64_t until)
{
    ipl_hold h;
    memset(&h, 0, sizeof h);
    h.by = by;
    snprintf(h.value, sizeof h.value, "%s", value);
    snprintf(h.reason, sizeof h.reason, "%s", reason);
    h.until = until;
    return h;
}

typedef struct seen {
    ipl_hold h[8];
    int n;
} seen;

static int collect(void *ctx, const ipl_hold *h)
{
    seen *s = ctx;
    if (s->n < 8)
        s->h[s->n++] = *h;
    return IPL_OK;
}

static void test_holds(void)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ipl-hold-XXXXXX");
    if (!mkdtemp(dir))
        return;
    ipl_store *st;
    ipl_actor a;
    ipl_diag d = {0};
    uint64_t seq = 0;
    memset(&a, 0, sizeof a);
    snprintf(a.principal, sizeof a.principal, "os:alice");
    snprintf(a.host, sizeof a.host, "h1");
    a.clock = now_fn;
    CHECK_INT(ipl_store_open(&st, dir, IPL_STORE_CREATE, NULL), IPL_OK);

    ipl_hold h = mk(IPL_HOLD_IP, "10.1.2.3/16", "case 17", 0);     /* host bits: lenient */
    CHECK_INT(ipl_hold_add(st, &a, &h, &seq, &d), IPL_OK);
    CHECK_INT(h.id, 1);
    CHECK_STR(h.value, "10.1.0.0/16");
    CHECK_INT(seq, 1);
    h = mk(IPL_HOLD_MAC, "3C-52-82-6A-1B-2F", "case 17", T0 + DAY);
    CHECK_INT(ipl_hold_add(st, &a, &h, &seq, NULL), IPL_OK);
    CHECK_INT(h.id, 2);
    CHECK_STR(h.value, "3c52826a1b2f");
    h = mk(IPL_HOLD_HOST, "PC-Finance-7.corp", "audit", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, NULL), IPL_OK);
    h = mk(IPL_HOLD_USER, "CORP\\Bob", "hr", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, NULL), IPL_OK);
    CHECK_INT(h.id, 4);
    /* refused */
    h = mk(IPL_HOLD_IP, "10.1.2.300", "x", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "10.1.2.300") != NULL);
    h = mk(IPL_HOLD_MAC, "zz", "x", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_EINVAL);
    h = mk(IPL_HOLD_HOST, "pc", "", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "reason") != NULL);
    h = mk(IPL_HOLD_HOST, "pc", "x", T0 - 1);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "--until") != NULL);
    h = mk(IPL_HOLD_WHERE, "leases where host =", "x", 0);         /* a query: checked */
    CHECK(ipl_hold_add(st, &a, &h, NULL, &d) != IPL_OK);
    CHECK(strstr(d.msg, "--where:1:") != NULL);
    h = mk(IPL_HOLD_WHERE, "events | count by host", "x", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "must return events") != NULL);

    /* removal: audited; an id is never handed out again */
    CHECK_INT(ipl_hold_remove(st, &a, 3, "closed", &seq, &d), IPL_OK);
    CHECK_INT(ipl_hold_remove(st, &a, 3, NULL, NULL, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "no hold 3") != NULL);
    h = mk(IPL_HOLD_HOST, "again", "x", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, NULL), IPL_OK);
    CHECK_INT(h.id, 5);
    h = mk(IPL_HOLD_WHERE, "changes where action = \"remove\"", "the removals", 0);
    CHECK_INT(ipl_hold_add(st, &a, &h, NULL, &d), IPL_OK);     /* event 7 */
    CHECK_INT(h.id, 6);

    ipl_rtxn *t;
    seen s = {0};
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_hold_list(t, collect, &s, NULL), IPL_OK);
    CHECK_INT(s.n, 5);
    CHECK_INT(s.h[0].id, 1);
    CHECK_INT(s.h[1].id, 2);
    CHECK_INT(s.h[2].id, 4);
    CHECK_INT(s.h[3].id, 5);
    CHECK_INT(s.h[4].id, 6);
    CHECK_INT(s.h[4].by, IPL_HOLD_WHERE);
    CHECK_STR(s.h[0].reason, "case 17");
    CHECK_STR(s.h[0].principal, "os:alice");
    CHECK_INT(s.h[0].created, T0);
    CHECK_INT(s.h[1].until, T0 + DAY);
    /* the audit trail: 5 adds and 1 remove */
    int adds = 0, removes = 0;
    for (uint64_t q = 1; q <= ipl_store_last_seq(t); q++) {
        ipl_event e;
        size_t n;
        if (ipl_store_get(t, q, &e, NULL) != IPL_OK)
            continue;
        CHECK_INT(e.kind, IPL_K_CONFIG_CHANGE);
        CHECK_STR(e.user, "os:alice");
        CHECK_STR(e.server, "h1");
        const char *obj = ipl_event_attr(&e, IPL_A_OBJECT, &n), *act = ipl_event_attr(&e, IPL_A_ACTION, &n);
        CHECK(obj && strncmp(obj, "hold", 4) == 0);
        adds += act && strncmp(act, "add", 3) == 0;
        if (act && strncmp(act, "remove", 6) == 0) {
            removes++;
            const char *why = ipl_event_attr(&e, IPL_A_REASON, &n);
            CHECK(why && n == 6 && memcmp(why, "closed", 6) == 0);
        }
    }
    CHECK_INT(adds, 6);
    CHECK_INT(removes, 1);

    /* the set in force: hold 2 expires at T0 + 1 day */
    ipl_holdset *hs;
    CHECK_INT(ipl_holdset_load(t, T0 + 2 * DAY, &hs, NULL), IPL_OK);
    CHECK_INT(ipl_holdset_count(hs), 4);
    ipl_holdset_free(hs);
    CHECK_INT(ipl_holdset_load(t, T0, &hs, NULL), IPL_OK);
    CHECK_INT(ipl_holdset_count(hs), 5);
    /* refreshing without a change keeps the very same set */
    ipl_holdset *same = hs;
    CHECK_INT(ipl_holdset_refresh(t, T0, &hs, NULL), IPL_OK);
    CHECK(hs == same);
    ipl_event e;
    uint8_t hit[8];
    ipl_event_reset(&e);
    e.has_ip = 1;
    ipl_ip_parse("10.1.255.255", 12, e.ip);
    CHECK_INT(ipl_holdset_match(hs, &e, hit), 1);
    CHECK(hit[0] && !hit[1]);
    ipl_ip_parse("10.2.0.0", 8, e.ip);
    CHECK_INT(ipl_holdset_match(hs, &e, NULL), 0);
    e.duid = "3c52826a1b2f";                      /* the index matches a DUID with that hex too */
    CHECK_INT(ipl_holdset_match(hs, &e, hit), 1);
    CHECK(hit[1]);
    e.duid = NULL;
    e.mac = "3c52826a1b2f";
    e.user = "corp\\BOB";
    CHECK_INT(ipl_holdset_match(hs, &e, hit), 2);
    e.mac = NULL;
    e.user = NULL;
    e.host = "AGAIN";
    CHECK_INT(ipl_holdset_match(hs, &e, NULL), 1);
    e.host = "again.corp";
    CHECK_INT(ipl_holdset_match(hs, &e, NULL), 0);
    /* the query hold: event 5 (the removal) is selected, 6 is not, 8 is newer than the set */
    e.host = NULL;
    e.seq = 5;
    CHECK_INT(ipl_holdset_match(hs, &e, hit), 1);
    CHECK(hit[4]);
    e.seq = 6;
    CHECK_INT(ipl_holdset_match(hs, &e, NULL), 0);
    e.seq = 8;
    CHECK_INT(ipl_holdset_match(hs, &e, NULL), 1);
    ipl_holdset_free(hs);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    RUN(test_holds);
    return check_summary();
}
