/* tests/unit/parsers/json_test.c — the arena JSON parser: trees, escapes (surrogate pairs to
 * UTF-8), numbers, literals, nesting, and the error byte cJSON would name, checked against the
 * real cJSON on each case (the fuzz target does the same on generated input). */
#include "../check.h"
#include "engine/err.h"
#include "parsers/json.h"

#include <stdlib.h>
#include <string.h>

static ipl_arena A;

/* parses with both; returns ours, checks they agree */
static cJSON *both(const char *s, size_t n, int *rc, size_t *at)
{
    const char *cend = NULL;
    cJSON *ref = cJSON_ParseWithLengthOpts(s, n, &cend, 0), *mine = NULL;
    size_t end = 0;
    *at = 0;
    *rc = ipl_json_parse(s, n, &A, &mine, &end, at);
    if (ref) {
        CHECK_INT(*rc, IPL_OK);
        CHECK_INT((long)end, (long)(cend - s));
        char *x = cJSON_PrintUnformatted(ref), *y = mine ? cJSON_PrintUnformatted(mine) : NULL;
        CHECK(y && strcmp(x, y) == 0);
        cJSON_free(x);
        cJSON_free(y);
        cJSON_Delete(ref);
    } else {
        CHECK_INT(*rc, IPL_EPARSE);
        CHECK_INT((long)*at, (long)(cend - s));
    }
    return mine;
}

static void test_values(void)
{
    int rc;
    size_t at;
    const char *j = "{\"a\":[1,-2.5e3,true,false,null],\"s\":\"x\\u00e9\\ud83d\\ude00\\n\\/\",\"o\":{}}";
    cJSON *r = both(j, strlen(j), &rc, &at);
    CHECK(cJSON_IsObject(r));
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "a");
    CHECK_INT(cJSON_GetArraySize(a), 5);
    CHECK(cJSON_GetArrayItem(a, 1)->valuedouble == -2500.0);
    CHECK(cJSON_IsTrue(cJSON_GetArrayItem(a, 2)));
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(r, "s")->valuestring, "x\xc3\xa9\xf0\x9f\x98\x80\n/");
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "o")));
    /* duplicate keys kept, the first found */
    r = both("{\"k\":1,\"k\":2}", 13, &rc, &at);
    CHECK(cJSON_GetObjectItemCaseSensitive(r, "k")->valuedouble == 1.0);
    /* a long run of digits is read whole (Debian's cJSON does too) */
    char big[200] = "[";
    memset(big + 1, '9', 150);
    strcpy(big + 151, "]");
    both(big, strlen(big), &rc, &at);
    CHECK_INT(rc, IPL_OK);
    /* whitespace: any byte <= 0x20; a BOM from 5 bytes on */
    both(" \t\x01{}", 5, &rc, &at);
    CHECK_INT(rc, IPL_OK);
    both("\xEF\xBB\xBF{ }", 6, &rc, &at);
    CHECK_INT(rc, IPL_OK);
    ipl_arena_clear(&A);
}

static void test_errors(void)
{
    static const char *bad[] = {
        "", "{", "{\"winlog\":", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "tru", "\"abc", "\"\\x\"",
        "{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00\"}", "{\"s\":\"\\ud83d\\u0041\"}", "-", "[1 2]",
        "{1:2}", "\xEF\xBB\xBF{", "{\"a\":[}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc;
        size_t at;
        both(bad[i], strlen(bad[i]), &rc, &at);
        CHECK_INT(rc, IPL_EPARSE);
    }
    /* the positions the parsers' messages rely on */
    int rc;
    size_t at;
    both("{\"winlog\":{\"event_id\":\"4624\"", 28, &rc, &at);
    CHECK_INT((long)at, 27);
    both("{\"winlog\":{\"event_id\":\"4624\",}}", 31, &rc, &at);
    CHECK_INT((long)at, 30);
    /* nesting: 1000 levels refused at the 1001st bracket, as cJSON */
    char deep[1100];
    memset(deep, '[', 1001);
    deep[1001] = '\0';
    both(deep, 1001, &rc, &at);
    CHECK_INT(rc, IPL_EPARSE);
    /* the arena's cap: a limit, not a crash */
    ipl_arena small;
    ipl_arena_init(&small, 128);
    cJSON *r;
    size_t end;
    CHECK_INT(ipl_json_parse("[1,2,3,4,5,6,7,8,9]", 19, &small, &r, &end, &at), IPL_ENOMEM);
    ipl_arena_release(&small);
    ipl_arena_clear(&A);
}

int main(void)
{
    ipl_arena_init(&A, (size_t)16 << 20);
    RUN(test_values);
    RUN(test_errors);
    ipl_arena_release(&A);
    return check_summary();
}
