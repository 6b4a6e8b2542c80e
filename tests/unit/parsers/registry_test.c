/* tests/unit/parsers/registry_test.c — the parser registry (parsers/registry.c): lookup by name,
 * detection by probe score, and the list of names tried.
 */
#include "tests/unit/check.h"

#include "parsers/parser.h"

#include <string.h>

static void test_find(void)
{
    const ipl_parser *p = ipl_parser_find("mswin-dhcp");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->name, "mswin-dhcp");
        CHECK(p->summary != NULL && p->summary[0] != '\0');
        CHECK(p->probe != NULL && p->line != NULL);
    }
    CHECK(ipl_parser_find("no-such-format") == NULL);
    CHECK(ipl_parser_find("") == NULL);
    CHECK(ipl_parser_find("MSWIN-DHCP") == NULL);      /* names are exact */
}

static void test_list(void)
{
    size_t n = 0;
    const ipl_parser *const *all = ipl_parsers(&n);
    CHECK(n >= 1);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(all[i] != NULL && all[i]->name != NULL);
        if (all[i] && strcmp(all[i]->name, "mswin-dhcp") == 0)
            seen++;
        for (size_t j = 0; j < i; j++)                  /* names are unique */
            CHECK(strcmp(all[i]->name, all[j]->name) != 0);
    }
    CHECK_INT(seen, 1);
}

static void test_detect(void)
{
    static const char v4[] =
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\n\r\nEvent ID  Meaning\r\n"
        "00\tThe log was started.\r\n";
    char tried[512];
    int score = -1;
    const ipl_parser *p = ipl_parser_detect(v4, sizeof v4 - 1, &score, tried, sizeof tried);
    CHECK(p != NULL);
    CHECK_STR(p ? p->name : NULL, "mswin-dhcp");
    CHECK_INT(score, 100);
    CHECK(strstr(tried, "mswin-dhcp") != NULL);

    /* every registered name is listed, ", "-separated */
    size_t n = 0;
    const ipl_parser *const *all = ipl_parsers(&n);
    for (size_t i = 0; i < n; i++)
        CHECK(strstr(tried, all[i]->name) != NULL);
    if (n > 1)
        CHECK(strstr(tried, ", ") != NULL);

    static const char rows6[] = "11010,11/04/21,18:24:36,DHCPV6 Started,,,,,,,,,,\n";
    p = ipl_parser_detect(rows6, sizeof rows6 - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "mswin-dhcp");
    CHECK(score >= 80);

    /* nothing recognises binary noise: NULL, score 0, names still listed */
    static const char noise[] = "\x00\x01\x02\x03\xff\xfe\xfd";
    p = ipl_parser_detect(noise, sizeof noise - 1, &score, tried, sizeof tried);
    CHECK(p == NULL);
    CHECK_INT(score, 0);
    CHECK(strstr(tried, "mswin-dhcp") != NULL);

    /* a tiny tried buffer is not overrun and stays terminated */
    char small[4];
    memset(small, 'x', sizeof small);
    ipl_parser_detect(v4, sizeof v4 - 1, NULL, small, sizeof small);
    CHECK(memchr(small, '\0', sizeof small) != NULL);
}

int main(void)
{
    RUN(test_find);
    RUN(test_list);
    RUN(test_detect);
    return check_summary();
}
