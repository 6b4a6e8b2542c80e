/* tests/unit/engine/config_test.c — engine/api/config.c: defaults, a full configuration, every
 * error named with its line (type, range, unknown key, invalid JSON, HOST:PORT), and
 * ipl_hostport for IPv4, IPv6 and bad input. */
#include "../check.h"
#include "engine/api/api.h"
#include "engine/err.h"

static void test_defaults(void)
{
    ipl_server_conf c;
    ipl_server_conf_defaults(&c);
    CHECK_STR(c.listen, "127.0.0.1:8470");    /* loopback by default */
    CHECK_INT(c.limits.connections, 256);
    CHECK_INT(c.commit_ms, 100);
    char host[64];
    int port;
    CHECK_INT(ipl_hostport("127.0.0.1:8470", host, sizeof host, &port), IPL_OK);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 8470);
    CHECK_INT(ipl_hostport("[::1]:0", host, sizeof host, &port), IPL_OK);
    CHECK_STR(host, "::1");
    CHECK_INT(port, 0);
    CHECK_INT(ipl_hostport("localhost", host, sizeof host, &port), IPL_EINVAL);
    CHECK_INT(ipl_hostport("h:99999", host, sizeof host, &port), IPL_EINVAL);
    CHECK_INT(ipl_hostport(":80", host, sizeof host, &port), IPL_EINVAL);
    CHECK_INT(ipl_hostport("[::1]80", host, sizeof host, &port), IPL_EINVAL);
}

static void test_full(void)
{
    const char *t =
        "{\"listen\": \"[::1]:9000\", \"store\": \"/var/lib/ipledger\",\n"
        " \"syslog\": {\"udp\": \"127.0.0.1:5514\", \"tcp\": \"127.0.0.1:5514\", \"tz\": \"Europe/Paris\", \"year\": 2024},\n"
        " \"follow\": [{\"path\": \"/var/log/dhcp\", \"format\": \"mswin-dhcp\", \"tz\": \"Europe/Paris\"}],\n"
        " \"limits\": {\"connections\": 64, \"body_bytes\": 1048576},\n"
        " \"commit_ms\": 50}\n";
    ipl_server_conf c;
    char errs[1024];
    ipl_server_conf_defaults(&c);
    CHECK_INT(ipl_server_conf_parse(&c, "x.json", t, strlen(t), errs, sizeof errs), IPL_OK);
    CHECK_STR(errs, "");
    CHECK_STR(c.listen, "[::1]:9000");
    CHECK_STR(c.syslog_tz, "Europe/Paris");
    CHECK_INT(c.syslog_year, 2024);
    CHECK_INT(c.nfollow, 1);
    CHECK_STR(c.follow[0].format, "mswin-dhcp");
    CHECK_INT(c.limits.connections, 64);
    CHECK_INT(c.limits.body_bytes, 1048576);
    CHECK_INT(c.limits.header_bytes, 8192);   /* untouched default */
    CHECK_INT(c.commit_ms, 50);
}

static void test_errors(void)
{
    const char *t =
        "{\n"
        "  \"listen\": 8470,\n"
        "  \"limits\": {\"connections\": 0, \"timeout\": 3},\n"
        "  \"syslog\": {\"udp\": \"nowhere\"},\n"
        "  \"follow\": [{\"format\": \"auto\"}],\n"
        "  \"tls\": {\"cert\": \"c.pem\"}\n"
        "}\n";
    ipl_server_conf c;
    char errs[2048];
    ipl_server_conf_defaults(&c);
    CHECK_INT(ipl_server_conf_parse(&c, "bad.json", t, strlen(t), errs, sizeof errs), IPL_EPARSE);
    CHECK(strstr(errs, "bad.json:2: 'listen' must be a string") != NULL);
    CHECK(strstr(errs, "bad.json:3: 'connections' must be between 1 and 65536") != NULL);
    CHECK(strstr(errs, "bad.json:3: unknown key 'timeout' in 'limits'") != NULL);
    CHECK(strstr(errs, "bad.json:4: 'udp': 'nowhere' is not HOST:PORT") != NULL);
    CHECK(strstr(errs, "bad.json:5: a 'follow' entry has no 'path'") != NULL);
    CHECK(strstr(errs, "bad.json:6: 'tls' needs both 'cert' and 'key'") != NULL);
    CHECK_STR(c.listen, "127.0.0.1:8470");    /* a wrong value leaves the default */

    const char *broken = "{\n \"listen\": \"a:1\",\n \"commit_ms\": ,\n}";
    ipl_server_conf_defaults(&c);
    CHECK_INT(ipl_server_conf_parse(&c, "b.json", broken, strlen(broken), errs, sizeof errs), IPL_EPARSE);
    CHECK(strstr(errs, "b.json:3: invalid JSON") != NULL);
    CHECK_INT(ipl_server_conf_parse(&c, "c.json", "[]", 2, errs, sizeof errs), IPL_EPARSE);
    CHECK(strstr(errs, "must be a JSON object") != NULL);
    /* sections of the wrong type (found by fuzz_api_ingest) */
    const char *types = "{\"tls\": \"x\",\n \"limits\": [1],\n \"follow\": [3]}";
    ipl_server_conf_defaults(&c);
    CHECK_INT(ipl_server_conf_parse(&c, "t.json", types, strlen(types), errs, sizeof errs), IPL_EPARSE);
    CHECK(strstr(errs, "t.json:1: 'tls' must be a JSON object") != NULL);
    CHECK(strstr(errs, "t.json:2: 'limits' must be a JSON object") != NULL);
    CHECK(strstr(errs, "t.json:3: a 'follow' entry must be a JSON object") != NULL);
    /* a tiny error buffer truncates, never overflows */
    char tiny[8];
    CHECK_INT(ipl_server_conf_parse(&c, "bad.json", t, strlen(t), tiny, sizeof tiny), IPL_EPARSE);
    CHECK(strlen(tiny) < sizeof tiny);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_full);
    RUN(test_errors);
    return check_summary();
}
