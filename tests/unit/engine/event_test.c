/* tests/unit/engine/event_test.c — kind and attribute tables (names both ways, stable numbers),
 * lease semantics, and the attribute bag's limits. */
#include "engine/event.h"
#include "engine/err.h"

#include "tests/unit/check.h"

static void test_kinds(void)
{
    /* numbers are assigned in reserved blocks per format family, so there are gaps ("unknown");
     * every assigned number round-trips and no two share a name; 0..39 are all assigned */
    int bad = 0, named = 0;
    for (unsigned k = 0; k < IPL_K__COUNT; k++) {
        const char *n = ipl_kind_name(k);
        if (strcmp(n, "unknown") == 0) {
            bad += k < 40;
            continue;
        }
        named++;
        if (ipl_kind_parse(n, strlen(n)) != (int)k)
            bad++;
        for (unsigned j = k + 1; j < IPL_K__COUNT; j++)
            bad += strcmp(n, ipl_kind_name(j)) == 0;
    }
    CHECK_INT(bad, 0);
    CHECK(named >= 40);
    /* numbers are on disk: spot-check that they did not move */
    CHECK_INT(IPL_K_LEASE_ASSIGN, 1);
    CHECK_INT(IPL_K_DNS_UPDATE, 15);
    CHECK_INT(IPL_K_LOGON, 23);
    CHECK_INT(IPL_K_ALERT, 39);
    CHECK_STR(ipl_kind_name(IPL_K_NONE), "none");
    CHECK_STR(ipl_kind_name(IPL_K_LEASE_ASSIGN), "lease.assign");
    CHECK_STR(ipl_kind_name(IPL_K_AUTH_PRIV), "auth.privileged");
    CHECK_STR(ipl_kind_name(IPL_K__COUNT), "unknown");
    CHECK_STR(ipl_kind_name(0xffffffffu), "unknown");
    CHECK_INT(ipl_kind_parse("lease.renew", 11), IPL_K_LEASE_RENEW);
    CHECK_INT(ipl_kind_parse("lease.assignX", 12), IPL_K_LEASE_ASSIGN);  /* len bounds it */
    CHECK_INT(ipl_kind_parse("lease.assig", 11), -1);
    CHECK_INT(ipl_kind_parse("lease.assign ", 13), -1);
    CHECK_INT(ipl_kind_parse("Lease.Assign", 12), -1);
    CHECK_INT(ipl_kind_parse("lease", 5), -1);
    CHECK_INT(ipl_kind_parse("unknown", 7), -1);
    CHECK_INT(ipl_kind_parse("", 0), -1);
}

static void test_lease_semantics(void)
{
    int opens = 0, closes = 0;
    for (unsigned k = 0; k < IPL_K__COUNT; k++) {
        opens += ipl_kind_opens_lease(k);
        closes += ipl_kind_closes_lease(k);
        CHECK(!(ipl_kind_opens_lease(k) && ipl_kind_closes_lease(k)));
    }
    CHECK_INT(opens, 4);
    CHECK_INT(closes, 4);
    CHECK(ipl_kind_opens_lease(IPL_K_LEASE_ASSIGN) && ipl_kind_opens_lease(IPL_K_LEASE_RENEW) &&
          ipl_kind_opens_lease(IPL_K_LEASE_BOOTP) && ipl_kind_opens_lease(IPL_K_LEASE_V6_CONFIRM));
    CHECK(ipl_kind_closes_lease(IPL_K_LEASE_RELEASE) && ipl_kind_closes_lease(IPL_K_LEASE_EXPIRE) &&
          ipl_kind_closes_lease(IPL_K_LEASE_DELETE) && ipl_kind_closes_lease(IPL_K_LEASE_DECLINE));
    CHECK(!ipl_kind_opens_lease(IPL_K_LEASE_OFFER) && !ipl_kind_closes_lease(IPL_K_LEASE_DENY));
    CHECK(!ipl_kind_opens_lease(1000) && !ipl_kind_closes_lease(1000));
}

static void test_attrs(void)
{
    CHECK(IPL_A__COUNT <= 256);            /* keys are stored in a uint8_t */
    int bad = 0;
    for (unsigned k = 1; k < IPL_A__COUNT; k++) {
        const char *n = ipl_attr_name(k);
        if (!n) {           /* a gap between reserved blocks; 1..39 are all assigned */
            bad += k < 40;
            continue;
        }
        if (ipl_attr_parse(n, strlen(n)) != (int)k)
            bad++;
        for (unsigned j = k + 1; n && j < IPL_A__COUNT; j++)
            bad += ipl_attr_name(j) && strcmp(n, ipl_attr_name(j)) == 0;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(IPL_A_CODE, 1);
    CHECK_INT(IPL_A_PROGRAM, 39);
    CHECK(ipl_attr_name(IPL_A_NONE) == NULL);
    CHECK(ipl_attr_name(IPL_A__COUNT) == NULL);
    CHECK(ipl_attr_name(0xffffffffu) == NULL);
    CHECK_STR(ipl_attr_name(IPL_A_COUNTRY), "geo.country");
    CHECK_INT(ipl_attr_parse("subnet_prefix", 13), IPL_A_PREFIX);
    CHECK_INT(ipl_attr_parse("code", 3), -1);
    CHECK_INT(ipl_attr_parse("codes", 5), -1);
    CHECK_INT(ipl_attr_parse("", 0), -1);
    CHECK(ipl_attr_interned(IPL_A_DESC));
    CHECK(ipl_attr_interned(IPL_A_PROGRAM));
    CHECK(!ipl_attr_interned(IPL_A_CODE));
    CHECK(!ipl_attr_interned(IPL_A_MESSAGE));
    CHECK(!ipl_attr_interned(IPL_A_NONE));
    CHECK(!ipl_attr_interned(5000));
}

static void test_attr_limits(void)
{
    static char val[IPL_ATTR_VAL_MAX + 1];
    memset(val, 'v', sizeof val);
    ipl_event ev;
    memset(&ev, 0x5a, sizeof ev);
    ipl_event_reset(&ev);
    CHECK_INT(ev.nattr, 0);
    CHECK(ev.ts == 0 && ev.kind == 0 && ev.has_ip == 0 && ev.mac == NULL && ev.source == NULL);

    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_NONE, "x", 1), IPL_EINVAL);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A__COUNT, "x", 1), IPL_EINVAL);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_CODE, val, IPL_ATTR_VAL_MAX + 1), IPL_EINVAL);
    CHECK_INT(ev.nattr, 0);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_CODE, val, IPL_ATTR_VAL_MAX), IPL_OK);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_DESC, "", 0), IPL_OK);
    for (unsigned i = 2; i < IPL_ATTR_MAX; i++)
        CHECK_INT(ipl_event_add_attr(&ev, IPL_A_MESSAGE, "m", 1), IPL_OK);
    CHECK_INT(ev.nattr, IPL_ATTR_MAX);
    CHECK_INT(ipl_event_add_attr(&ev, IPL_A_XID, "x", 1), IPL_ELIMIT);
    CHECK_INT(ev.nattr, IPL_ATTR_MAX);

    size_t len = 7;
    CHECK(ipl_event_attr(&ev, IPL_A_CODE, &len) == val);
    CHECK_INT(len, IPL_ATTR_VAL_MAX);
    CHECK(ipl_event_attr(&ev, IPL_A_DESC, &len) != NULL);
    CHECK_INT(len, 0);
    len = 7;
    CHECK(ipl_event_attr(&ev, IPL_A_XID, &len) == NULL);
    CHECK_INT(len, 7);                       /* untouched when absent */
    CHECK(ipl_event_attr(&ev, IPL_A_MESSAGE, NULL) != NULL);

    /* the first of repeated keys is returned */
    ipl_event_reset(&ev);
    ipl_event_add_attr(&ev, IPL_A_OLD, "first", 5);
    ipl_event_add_attr(&ev, IPL_A_OLD, "second", 6);
    CHECK(strncmp(ipl_event_attr(&ev, IPL_A_OLD, &len), "first", 5) == 0);
    CHECK_INT(len, 5);
}

int main(void)
{
    RUN(test_kinds);
    RUN(test_lease_semantics);
    RUN(test_attrs);
    RUN(test_attr_limits);
    return check_summary();
}
