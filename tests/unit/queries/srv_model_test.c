/* tests/unit/queries/srv_model_test.c — manual server entries (queries/srv_model.c): add, edit
 * (NULL keeps a value, "" clears it, "k=" removes a field, "-G" leaves a group), remove; every
 * change is a config.change event in the same batch as the kv object, naming the principal, the
 * server, its address and the old and new JSON; invalid changes name the server and the field and
 * write nothing; limits on names, texts, fields and groups; the inventory view shows manual
 * entries over discovered values; addresses as IP, IP:PORT and [IPv6]:PORT.
 */
#include "tests/unit/queries/ql_small.h"

#include "queries/srv.h"

#define T0 (INT64_C(1714000000) * 1000000)

static ipl_srv_change change(int action, const char *name)
{
    ipl_srv_change c;
    memset(&c, 0, sizeof c);
    c.action = action;
    c.name = name;
    c.managed = -1;
    return c;
}

static int apply(const ipl_srv_change *c, char **json, ipl_diag *d)
{
    ipl_srv_actor a = {"os:tester", T0};
    uint64_t seq;
    return ipl_srv_apply(st, &a, c, &seq, json, d);
}

#define CHANGES "events where kind = config.change and source = \"ipledger:servers\""

static void test_add_edit_remove(void)
{
    ipl_diag d = {0};
    char *json = NULL;
    const char *fields[] = {"site=ams", "rack=r1"}, *groups[] = {"core"};
    ipl_srv_change c = {IPL_SRV_ADD, "ns1", "dns", "ISC", "127.0.0.1:53", "netops", "resolver",
                        "dns", "probe.test", 1, fields, 2, groups, 1};
    CHECK_INT(apply(&c, &json, &d), IPL_OK);
    CHECK_STR(json, "{\"name\":\"ns1\",\"type\":[\"dns\"],\"vendor\":\"ISC\",\"owner\":\"netops\","
                    "\"description\":\"resolver\",\"address\":\"127.0.0.1:53\",\"managed\":true,"
                    "\"probe\":\"dns\",\"probe_name\":\"probe.test\",\"fields\":{\"site\":\"ams\","
                    "\"rack\":\"r1\"},\"groups\":[\"core\"]}");
    free(json);
    CHECK_INT(apply(&c, NULL, &d), IPL_EEXIST);
    CHECK(strstr(d.msg, "server 'ns1' is already in the inventory (use edit)") != NULL);

    /* edit: NULL keeps, "" clears, "k=" removes a field, "-G" leaves a group */
    const char *f2[] = {"site="}, *g2[] = {"-core", "edge"};
    ipl_srv_change e = change(IPL_SRV_EDIT, "ns1");
    e.owner = "";
    e.managed = 0;
    e.fields = f2;
    e.nfields = 1;
    e.groups = g2;
    e.ngroups = 2;
    CHECK_INT(apply(&e, &json, &d), IPL_OK);
    CHECK_STR(json, "{\"name\":\"ns1\",\"type\":[\"dns\"],\"vendor\":\"ISC\","
                    "\"description\":\"resolver\",\"address\":\"127.0.0.1:53\",\"probe\":\"dns\","
                    "\"probe_name\":\"probe.test\",\"fields\":{\"rack\":\"r1\"},\"groups\":"
                    "[\"edge\"],\"managed\":false}");
    free(json);

    ipl_srv_change rm = change(IPL_SRV_REMOVE, "ns1");
    CHECK_INT(apply(&rm, NULL, &d), IPL_OK);
    CHECK_INT(apply(&rm, NULL, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "server 'ns1' has no manual entry") != NULL);

    /* three events, each with the principal, the server, its address and old/new JSON */
    Q(CHANGES " | fields seq, user, server, ip, object, action, message",
      "1,os:tester,ns1,127.0.0.1,server,add,server 'ns1' added by os:tester\n"
      "2,os:tester,ns1,127.0.0.1,server,edit,server 'ns1' edited by os:tester\n"
      "3,os:tester,ns1,-,server,remove,server 'ns1' removed by os:tester\n");
    Q(CHANGES " and old ~ /\"owner\":\"netops\"/ and new !~ /owner/ | fields seq", "2\n");
    Q(CHANGES " and action = \"remove\" and old ~ /\"groups\":\\[\"edge\"\\]/ | fields seq, new",
      "3,-\n");

    ipl_rtxn *t;
    ipl_srv_view *v = NULL;
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_srv_view_load(t, &v, &d), IPL_OK);
    CHECK(ipl_srv_find(v, "ns1") == NULL);
    ipl_srv_view_free(v);
    ipl_rtxn_end(t);
}

static void test_invalid(void)
{
    ipl_diag d = {0};
    Q(CHANGES " | count", "3\n");
    ipl_srv_change bad = change(IPL_SRV_ADD, "x");
    bad.types = "dns";
    bad.address = "10.0.0.1";
    bad.probe = "tcp";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "server 'x': probe tcp needs a port in the address") != NULL);
    bad.probe = "dns";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "probe dns needs --probe-name") != NULL);
    bad.probe = "icmp";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "probe 'icmp' is not dns, tcp, kea or none") != NULL);
    bad.probe = NULL;
    bad.address = "host.example:53";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "address 'host.example:53' is not IP, IP:PORT") != NULL);
    bad.address = NULL;
    bad.types = "dns,printer";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "server 'x'") != NULL && strstr(d.msg, "printer") != NULL);
    bad.types = NULL;
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "give --type") != NULL);
    bad.types = "dns";
    bad.owner = "two\nlines";
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "owner is over 1024 bytes or has a control character") != NULL);
    bad.owner = NULL;
    const char *badf[] = {"noequals"};
    bad.fields = badf;
    bad.nfields = 1;
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "field 'noequals' is not KEY=VALUE") != NULL);
    bad.fields = NULL;
    bad.nfields = 0;
    const char *badg[] = {"with space"};
    bad.groups = badg;
    bad.ngroups = 1;
    CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "group 'with space'") != NULL);
    bad.groups = NULL;
    bad.ngroups = 0;

    /* names: 1-128 printable bytes without spaces, quotes or slashes */
    char longname[IPL_SRV_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *names[] = {"", "a b", "a/b", "a\"b", longname};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bad.name = names[i];
        CHECK_INT(apply(&bad, NULL, &d), IPL_EINVAL);
        CHECK(strstr(d.msg, "must be 1-128 printable bytes") != NULL);
    }
    longname[IPL_SRV_NAME_MAX] = '\0';               /* exactly 128: fine */
    bad.name = longname;
    CHECK_INT(apply(&bad, NULL, &d), IPL_OK);

    /* at most 32 fields */
    char fbuf[40][16];
    const char *many[40];
    for (int i = 0; i < 40; i++) {
        snprintf(fbuf[i], sizeof fbuf[i], "k%d=v", i);
        many[i] = fbuf[i];
    }
    ipl_srv_change mf = change(IPL_SRV_EDIT, longname);
    mf.fields = many;
    mf.nfields = 33;
    CHECK_INT(apply(&mf, NULL, &d), IPL_ELIMIT);
    CHECK(strstr(d.msg, "more than 32 fields") != NULL);
    mf.nfields = 32;
    CHECK_INT(apply(&mf, NULL, &d), IPL_OK);

    /* every refused change wrote nothing: the two accepted ones are the only new events */
    Q(CHANGES " | count", "5\n");
}

static void test_view(void)
{
    ipl_diag d = {0};
    /* a server seen in the events, then given a manual entry with its own types and vendor */
    static const tev evs[] = {
        {"2024-04-25T00:00:00Z", IPL_K_LEASE_ASSIGN, "10.0.0.9", "001122334455", NULL, "h", NULL, NULL},
    };
    CHECK_INT(commit_events(evs, 1, &d), IPL_OK);
    uint64_t folded = 0;
    CHECK_INT(ipl_srv_update(st, &folded, &d), IPL_OK);
    ipl_srv_change c = change(IPL_SRV_ADD, "srv1.corp");
    c.types = "dhcp,dns";
    c.vendor = "Contoso";
    c.address = "[2001:db8::53]:5353";
    CHECK_INT(apply(&c, NULL, &d), IPL_OK);
    ipl_rtxn *t;
    ipl_srv_view *v = NULL;
    ipl_rtxn_begin(st, &t, &d);
    CHECK_INT(ipl_srv_view_load(t, &v, &d), IPL_OK);
    const ipl_srv *s = ipl_srv_find(v, "srv1.corp");
    CHECK(s != NULL);
    if (s) {
        CHECK(s->manual && s->sum != NULL);           /* both: manual entry and discovered */
        CHECK_INT(s->types, IPL_SRV_DHCP | IPL_SRV_DNS);
        CHECK_STR(s->vendor, "Contoso");
        CHECK_STR(s->address, "[2001:db8::53]:5353");
        CHECK(s->sum && s->sum->events >= 1);
    }
    for (size_t i = 1; i < ipl_srv_count(v); i++)      /* by name */
        CHECK(strcmp(ipl_srv_at(v, i - 1)->name, ipl_srv_at(v, i)->name) < 0);
    CHECK(ipl_srv_at(v, ipl_srv_count(v)) == NULL);
    ipl_srv_view_free(v);
    ipl_rtxn_end(t);
    /* the event of the change carries the IPv6 address */
    Q(CHANGES " and server = \"srv1.corp\" | fields ip", "2001:db8::53\n");
}

static void test_addresses(void)
{
    char host[64];
    int port = -1;
    CHECK_INT(ipl_srv_addr_split("[2001:db8::1]:853", host, sizeof host, &port, 53), IPL_OK);
    CHECK_STR(host, "2001:db8::1");
    CHECK_INT(port, 853);
    CHECK_INT(ipl_srv_addr_split("2001:db8::1", host, sizeof host, &port, 53), IPL_OK);
    CHECK_STR(host, "2001:db8::1");
    CHECK_INT(port, 53);
    CHECK_INT(ipl_srv_addr_split("10.0.0.1:67", host, sizeof host, &port, 53), IPL_OK);
    CHECK_STR(host, "10.0.0.1");
    CHECK_INT(port, 67);
    CHECK_INT(ipl_srv_addr_split("10.0.0.1", host, sizeof host, &port, 0), IPL_OK);
    CHECK_INT(port, 0);
    CHECK_INT(ipl_srv_addr_split("10.0.0.1:0", host, sizeof host, &port, 53), IPL_EINVAL);
    CHECK_INT(ipl_srv_addr_split("10.0.0.1:65536", host, sizeof host, &port, 53), IPL_EINVAL);
    CHECK_INT(ipl_srv_addr_split("10.0.0.1:53x", host, sizeof host, &port, 53), IPL_EINVAL);
    CHECK_INT(ipl_srv_addr_split("[2001:db8::1", host, sizeof host, &port, 53), IPL_EINVAL);
    CHECK_INT(ipl_srv_addr_split("host.example:53", host, sizeof host, &port, 53), IPL_EINVAL);
    CHECK_INT(ipl_srv_addr_split("", host, sizeof host, &port, 53), IPL_EINVAL);
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-srvmodel-XXXXXX");
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    RUN(test_add_edit_remove);
    RUN(test_invalid);
    RUN(test_view);
    RUN(test_addresses);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
