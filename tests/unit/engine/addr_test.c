/* tests/unit/engine/addr_test.c — IP text both ways (RFC 5952), v4-mapped storage, zones and
 * brackets, prefixes and containment, MAC notations, hex and DUID -> MAC. */
#include "engine/addr.h"
#include "engine/err.h"

#include "tests/unit/check.h"

static int parse(const char *s, uint8_t ip[16])
{
    return ipl_ip_parse(s, strlen(s), ip);
}

/* text -> canonical text, or "ERR" */
static const char *canon(const char *s)
{
    static char buf[IPL_IP_TEXT];
    uint8_t ip[16];
    if (parse(s, ip) != IPL_OK)
        return "ERR";
    ipl_ip_format(ip, buf, sizeof buf);
    return buf;
}

static void test_v4(void)
{
    uint8_t ip[16];
    static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
    CHECK_INT(parse("10.1.2.3", ip), IPL_OK);
    CHECK(memcmp(ip, want, 16) == 0);
    CHECK(ipl_ip_is_v4(ip));
    CHECK_STR(canon("10.1.2.3"), "10.1.2.3");
    CHECK_STR(canon("0.0.0.0"), "0.0.0.0");
    CHECK_STR(canon("255.255.255.255"), "255.255.255.255");
    /* ::ffff:a.b.c.d is the IPv4 address */
    CHECK_INT(parse("::ffff:10.1.2.3", ip), IPL_OK);
    CHECK(memcmp(ip, want, 16) == 0);
    CHECK_STR(canon("::ffff:10.1.2.3"), "10.1.2.3");
    CHECK_STR(canon("::FFFF:0a01:0203"), "10.1.2.3");
    CHECK_STR(canon("0:0:0:0:0:ffff:10.1.2.3"), "10.1.2.3");
    CHECK_STR(canon("10.1.2.3%eth0"), "10.1.2.3");
    static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
                                      "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "0x1.2.3.4", "a.b.c.d",
                                      "1.2.3.4/24", "1..2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STR(canon(bad[i]), "ERR");
}

static void test_v6(void)
{
    static const struct {
        const char *in, *want;
    } ok[] = {
        /* RFC 5952: lowercase, no leading zeros, longest zero run (first on a tie), never a
         * single zero group */
        {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
        {"2001:db8::0001", "2001:db8::1"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
        {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
        {"fe80::1:2:3:4:5:6", "fe80:0:1:2:3:4:5:6"},
        {"FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::102:304", "::102:304"},           /* IPv4-compatible: hex, not "::1.2.3.4" */
        {"::ffff:0:1", "0.0.0.1"},
        {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
        /* zones and brackets */
        {"fe80::1%eth0", "fe80::1"},
        {"[2001:db8::1]", "2001:db8::1"},
        {"[fe80::1%25eth0]", "fe80::1"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *got = canon(ok[i].in);
        CHECK_STR(got, ok[i].want);
        CHECK_STR(canon(got), ok[i].want);   /* canonical text is a fixed point */
    }
    uint8_t ip[16];
    CHECK_INT(parse("2001:db8::1", ip), IPL_OK);
    CHECK(!ipl_ip_is_v4(ip));
    CHECK(ip[0] == 0x20 && ip[1] == 0x01 && ip[15] == 1);
    static const char *const bad[] = {"2001:db8::1::2", "gggg::", "[::1", "::1]", "[]",
                                      "%eth0", "1:2:3:4:5:6:7:8:9", "12345::", ":1", "1:",
                                      "2001:db8:::1", "::ffff:1.2.3", "[::1]x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STR(canon(bad[i]), "ERR");
    char longs[100];
    memset(longs, '1', sizeof longs);
    CHECK_INT(ipl_ip_parse(longs, sizeof longs, ip), IPL_EPARSE);

    /* a buffer too small gives an empty string and 0 */
    char small[8] = "x";
    CHECK_INT(parse("2001:db8::1", ip), IPL_OK);
    CHECK_INT(ipl_ip_format(ip, small, sizeof small), 0);
    CHECK_STR(small, "");
    CHECK_INT(parse("10.1.2.3", ip), IPL_OK);
    CHECK_INT(ipl_ip_format(ip, small, sizeof small), 0);
    char exact[12];                          /* "2001:db8::1" + NUL */
    CHECK_INT(parse("2001:db8::1", ip), IPL_OK);
    CHECK_INT(ipl_ip_format(ip, exact, sizeof exact), 11);
    CHECK_STR(exact, "2001:db8::1");
}

static const char *prefix_text(const ipl_prefix *p)
{
    static char buf[64];
    ipl_prefix_format(p, buf, sizeof buf);
    return buf;
}

static int contains(const ipl_prefix *p, const char *ip)
{
    uint8_t a[16];
    return parse(ip, a) == IPL_OK && ipl_prefix_contains(p, a);
}

static void test_prefix(void)
{
    ipl_prefix p;
    CHECK_INT(ipl_prefix_parse("10.72.144.0/22", 14, 0, &p), IPL_OK);
    CHECK_INT(p.bits, 118);
    CHECK_INT(p.v4, 1);
    CHECK_STR(prefix_text(&p), "10.72.144.0/22");
    CHECK(contains(&p, "10.72.144.0"));
    CHECK(contains(&p, "10.72.147.255"));
    CHECK(!contains(&p, "10.72.148.0"));
    CHECK(!contains(&p, "10.72.143.255"));
    CHECK(!contains(&p, "2001:db8::1"));
    char hi[IPL_IP_TEXT];
    ipl_ip_format(p.hi, hi, sizeof hi);
    CHECK_STR(hi, "10.72.147.255");

    /* host bits set: an error unless lenient */
    CHECK_INT(ipl_prefix_parse("10.72.144.1/22", 14, 0, &p), IPL_EPARSE);
    CHECK_INT(ipl_prefix_parse("10.72.145.1/22", 14, 1, &p), IPL_OK);
    CHECK_STR(prefix_text(&p), "10.72.144.0/22");
    CHECK_INT(ipl_prefix_parse("2001:db8::1/32", 14, 0, &p), IPL_EPARSE);

    CHECK_INT(ipl_prefix_parse("2001:db8::/32", 13, 0, &p), IPL_OK);
    CHECK_INT(p.bits, 32);
    CHECK_INT(p.v4, 0);
    CHECK_STR(prefix_text(&p), "2001:db8::/32");
    CHECK(contains(&p, "2001:db8:ffff::1"));
    CHECK(!contains(&p, "2001:db9::"));
    CHECK(!contains(&p, "10.0.0.1"));

    /* a bare address is a /32 or /128 */
    CHECK_INT(ipl_prefix_parse("10.1.2.3", 8, 0, &p), IPL_OK);
    CHECK_INT(p.bits, 128);
    CHECK_STR(prefix_text(&p), "10.1.2.3/32");
    CHECK(contains(&p, "10.1.2.3") && !contains(&p, "10.1.2.4"));
    CHECK_INT(ipl_prefix_parse("::1", 3, 0, &p), IPL_OK);
    CHECK_STR(prefix_text(&p), "::1/128");

    /* edges */
    CHECK_INT(ipl_prefix_parse("0.0.0.0/0", 9, 0, &p), IPL_OK);
    CHECK(contains(&p, "255.255.255.255") && contains(&p, "0.0.0.0"));
    CHECK(!contains(&p, "2001:db8::1"));
    CHECK_STR(prefix_text(&p), "0.0.0.0/0");
    CHECK_INT(ipl_prefix_parse("::/0", 4, 0, &p), IPL_OK);
    CHECK(contains(&p, "2001:db8::1") && contains(&p, "10.0.0.1"));
    CHECK_STR(prefix_text(&p), "::/0");
    CHECK_INT(ipl_prefix_parse("10.0.0.0/31", 11, 0, &p), IPL_OK);
    CHECK(contains(&p, "10.0.0.1") && !contains(&p, "10.0.0.2"));
    CHECK_INT(ipl_prefix_parse("[2001:db8::]/48", 15, 0, &p), IPL_OK);
    CHECK_STR(prefix_text(&p), "2001:db8::/48");

    /* a v4-mapped prefix written in v6 notation is the IPv4 prefix */
    CHECK_INT(ipl_prefix_parse("::ffff:10.0.0.0/104", 19, 0, &p), IPL_OK);
    CHECK_INT(p.v4, 1);
    CHECK_INT(p.bits, 104);
    CHECK_STR(prefix_text(&p), "10.0.0.0/8");
    CHECK(contains(&p, "10.255.0.1") && !contains(&p, "11.0.0.1"));
    CHECK_INT(ipl_prefix_parse("::ffff:0:0/96", 13, 0, &p), IPL_OK);
    CHECK_STR(prefix_text(&p), "0.0.0.0/0");
    CHECK_INT(ipl_prefix_parse("::/80", 5, 0, &p), IPL_OK);
    CHECK_INT(p.v4, 0);
    CHECK_STR(prefix_text(&p), "::/80");

    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/a",
                                      "10.0.0.0/-1", "10.0.0.0/1234", "2001:db8::/129",
                                      "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0 /8", "10.0.0.0/ 8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(ipl_prefix_parse(bad[i], strlen(bad[i]), 1, &p), IPL_EPARSE);
}

static const char *mac(const char *s)
{
    static char out[13];
    if (ipl_mac_canon(s, strlen(s), out) != IPL_OK)
        return "ERR";
    return out;
}

static void test_mac(void)
{
    CHECK_STR(mac("3c:52:82:6a:1b:2f"), "3c52826a1b2f");
    CHECK_STR(mac("3C-52-82-6A-1B-2F"), "3c52826a1b2f");
    CHECK_STR(mac("3c52.826a.1b2f"), "3c52826a1b2f");
    CHECK_STR(mac("3C52826A1B2F"), "3c52826a1b2f");
    CHECK_STR(mac("1 3c:52:82:6a:1b:2f"), "3c52826a1b2f");          /* Kea */
    CHECK_STR(mac("hwtype=1 3c:52:82:6a:1b:2f"), "3c52826a1b2f");
    CHECK_STR(mac("01-3c-52-82-6a-1b-2f"), "3c52826a1b2f");         /* type-prefixed */
    CHECK_STR(mac("06-3c-52-82-6a-1b-2f"), "3c52826a1b2f");
    CHECK_STR(mac("01:3c:52:82:6a:1b:2f"), "3c52826a1b2f");
    CHECK_STR(mac("  3c:52:82:6a:1b:2f\t"), "3c52826a1b2f");
    static const char *const bad[] = {
        "", "3c:52:82:6a:1b", "3c:52:82:6a:1b:2f:00", "3c52.826a.1b2", "3g:52:82:6a:1b:2f",
        "02-3c-52-82-6a-1b-2f", "3c:52-82:6a:1b:2f",          /* mixed separators */
        "3:c:5:2:8:2:6:a:1:b:2:f", "3c5:282:6a1:b2f",         /* wrong grouping */
        "3c52:826a:1b2f", "3c52826a.1b2f", "3c:52:82:6a:1b:2f:", ":3c:52:82:6a:1b:2f",
        "3c::52:82:6a:1b:2f", "3c52826a1b2f00", "hwtype=1", "hwtype=13c:52:82:6a:1b:2f",
        "3c 52 82 6a 1b 2f", "0x3c52826a1b2f", "01.3c52.826a.1b2f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = mac(bad[i]);
        CHECK_STR(got, "ERR");
        if (strcmp(got, "ERR") != 0)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

static void test_hex_duid(void)
{
    char out[32];
    CHECK_INT(ipl_hex_canon("00:01:AB", 8, out, sizeof out), IPL_OK);
    CHECK_STR(out, "0001ab");
    CHECK_INT(ipl_hex_canon("0x00-01-AB", 10, out, sizeof out), IPL_OK);
    CHECK_STR(out, "0001ab");
    CHECK_INT(ipl_hex_canon("ABC", 3, out, sizeof out), IPL_EPARSE);
    CHECK_INT(ipl_hex_canon("AG", 2, out, sizeof out), IPL_EPARSE);
    CHECK_INT(ipl_hex_canon("", 0, out, sizeof out), IPL_EPARSE);
    CHECK_INT(ipl_hex_canon("0011223344", 10, out, 11), IPL_OK);       /* exactly enough */
    CHECK_INT(ipl_hex_canon("0011223344", 10, out, 10), IPL_EPARSE);   /* one byte short */

    char m[13];
    CHECK_INT(ipl_duid_mac("000100012b3c4d5e3c52826a1b2f", m), IPL_OK);       /* DUID-LLT */
    CHECK_STR(m, "3c52826a1b2f");
    CHECK_INT(ipl_duid_mac("000300013c52826a1b2f", m), IPL_OK);               /* DUID-LL */
    CHECK_STR(m, "3c52826a1b2f");
    CHECK_INT(ipl_duid_mac("0002000000090c4c6e6f77", m), IPL_ENOTFOUND);     /* DUID-EN */
    CHECK_INT(ipl_duid_mac("00040123456789abcdef0123456789abcdef", m), IPL_ENOTFOUND); /* UUID */
    CHECK_INT(ipl_duid_mac("000100062b3c4d5e3c52826a1b2f", m), IPL_ENOTFOUND); /* not Ethernet */
    CHECK_INT(ipl_duid_mac("000300013c52826a1b", m), IPL_ENOTFOUND);         /* short */
    CHECK_INT(ipl_duid_mac("", m), IPL_ENOTFOUND);
    /* from Windows' uppercase text through hex canon */
    char hex[64];
    CHECK_INT(ipl_hex_canon("00-01-00-01-2B-3C-4D-5E-3C-52-82-6A-1B-2F", 41, hex, sizeof hex),
              IPL_OK);
    CHECK_INT(ipl_duid_mac(hex, m), IPL_OK);
    CHECK_STR(m, "3c52826a1b2f");
}

int main(void)
{
    RUN(test_v4);
    RUN(test_v6);
    RUN(test_prefix);
    RUN(test_mac);
    RUN(test_hex_duid);
    return check_summary();
}
