/* tests/unit/parsers/jsonev_test.c — the JSON event helpers shared by winsec-json and
 * mswin-dhcp-events: framing, the byte checks cJSON does not make, one-object parsing, member
 * lookup tolerant of NULL, and scalars as text (integers exact, strings borrowed). */
#include "../check.h"
#include "engine/err.h"
#include "parsers/jsonev.h"

#include <cJSON.h>
#include <string.h>

static int eq(ipl_xml_str s, const char *want)
{
    return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void test_frame_and_check(void)
{
    const char *s = "\xEF\xBB\xBF  {\"a\":1}\r\r";
    size_t n = strlen(s);
    size_t b = ipl_jsonev_frame(&s, &n);
    CHECK_INT(n - b, 7);                          /* BOM and CRs gone, blanks skipped */
    CHECK(memcmp(s + b, "{\"a\":1}", 7) == 0);
    const char *blank = " \t\r";
    size_t bn = strlen(blank);
    CHECK(ipl_jsonev_frame(&blank, &bn) == bn);   /* a blank line */

    ipl_diag d = {0};
    CHECK_INT(ipl_jsonev_check("{\"a\":1}", 7, 100, &d), IPL_OK);
    CHECK_INT(ipl_jsonev_check("{\"a\":1}", 7, 5, &d), IPL_EPARSE);
    CHECK(strstr(d.msg, "longer than") != NULL);
    CHECK_INT(ipl_jsonev_check("{\"a\":\"\xC3\"}", 8, 100, &d), IPL_EPARSE);   /* cut UTF-8 */
    CHECK_INT(ipl_jsonev_check("{\"a\":\"x\0\"}", 9, 100, &d), IPL_EPARSE);    /* NUL byte */
    CHECK_INT(ipl_jsonev_check("{\"a\":\"\\u0000\"}", 14, 100, &d), IPL_EPARSE);
}

static void test_parse_get_text(void)
{
    ipl_diag d = {0};
    cJSON *root = NULL;
    ipl_arena a;
    ipl_arena_init(&a, 1 << 16);
    const char *j = "{\"winlog\":{\"event_id\":4624,\"big\":1e300,\"name\":\"alice\",\"t\":true}}  ";
    CHECK_INT(ipl_jsonev_parse(&a, j, strlen(j), &root, &d), IPL_OK);
    CHECK(root != NULL);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = &a;
    const cJSON *w = ipl_jsonev_get(root, "winlog");
    CHECK(eq(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "event_id")), "4624"));
    CHECK(eq(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "name")), "alice"));
    CHECK(eq(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "big")), "1.0000000000000001e+300") ||
          eq(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "big")), "1e+300"));
    CHECK(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "t")).p == NULL);       /* booleans: none */
    CHECK(ipl_jsonev_text(&ctx, ipl_jsonev_get(w, "absent")).p == NULL);
    CHECK(ipl_jsonev_get(ipl_jsonev_get(root, "nope"), "event_id") == NULL);  /* NULL-tolerant */
    ipl_arena_clear(&a);

    root = (cJSON *)1;
    CHECK_INT(ipl_jsonev_parse(&a, "[1,2]", 5, &root, &d), IPL_EPARSE);        /* not an object */
    CHECK(root == NULL);
    CHECK_INT(ipl_jsonev_parse(&a, "{\"a\":1} x", 9, &root, &d), IPL_EPARSE);  /* trailing bytes */
    CHECK_STR(d.msg, "trailing data after the JSON object at byte 8");
    CHECK_INT(ipl_jsonev_parse(&a, "{\"a\":", 5, &root, &d), IPL_EPARSE);      /* truncated */
    CHECK_STR(d.msg, "invalid JSON at byte 4");
    CHECK(root == NULL);
    /* a tree bigger than the arena: a limit, named */
    ipl_arena small;
    ipl_arena_init(&small, 256);
    CHECK_INT(ipl_jsonev_parse(&small, "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}", 46,
                               &root, &d), IPL_ELIMIT);
    CHECK(strstr(d.msg, "memory limit") != NULL);
    ipl_arena_release(&small);
    ipl_arena_release(&a);
}

int main(void)
{
    RUN(test_frame_and_check);
    RUN(test_parse_get_text);
    return check_summary();
}
