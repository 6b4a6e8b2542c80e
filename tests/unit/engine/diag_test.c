/* tests/unit/engine/diag_test.c — the error space and the diag buffer: codes, text, prefixes,
 * truncation at IPL_DIAG_MAX. */
#include "engine/diag.h"
#include "engine/err.h"

#include "tests/unit/check.h"

static void test_strerror(void)
{
    CHECK_STR(ipl_strerror(IPL_OK), "ok");
    CHECK_STR(ipl_strerror(IPL_ENOMEM), "out of memory");
    CHECK_STR(ipl_strerror(IPL_EPARSE), "parse error");
    CHECK_STR(ipl_strerror(IPL_EDENIED), "operation denied");
    CHECK_STR(ipl_strerror(1), "unknown error");
    CHECK_STR(ipl_strerror(-1000), "unknown error");
    /* every code has distinct, non-empty text */
    static const int codes[] = {
#define IPL_ERR_LIST(name, val, text) val,
        IPL_ERRORS(IPL_ERR_LIST)
#undef IPL_ERR_LIST
    };
    size_t n = sizeof codes / sizeof codes[0];
    int dup = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(ipl_strerror(codes[i])[0] != '\0');
        CHECK(strcmp(ipl_strerror(codes[i]), "unknown error") != 0);
        CHECK(codes[i] <= 0);
        for (size_t j = i + 1; j < n; j++)
            dup += codes[i] == codes[j] || strcmp(ipl_strerror(codes[i]), ipl_strerror(codes[j])) == 0;
    }
    CHECK_INT(dup, 0);
}

static void test_set_clear(void)
{
    ipl_diag d;
    memset(&d, 0x55, sizeof d);
    ipl_diag_clear(&d);
    CHECK_INT(d.code, IPL_OK);
    CHECK_STR(d.msg, "");
    CHECK_INT(ipl_diag_set(&d, IPL_EACCES, "cannot open store '%s': %s", "x", "permission denied"),
              IPL_EACCES);
    CHECK_INT(d.code, IPL_EACCES);
    CHECK_STR(d.msg, "cannot open store 'x': permission denied");
    CHECK_INT(ipl_diag_set(&d, IPL_EIO, "second"), IPL_EIO);     /* replaces */
    CHECK_STR(d.msg, "second");
    CHECK_INT(ipl_diag_set(NULL, IPL_EIO, "nowhere %d", 1), IPL_EIO);
    ipl_diag_clear(NULL);
    CHECK_INT(ipl_diag_set(&d, IPL_EINVAL, "%s", ""), IPL_EINVAL);
    CHECK_STR(d.msg, "");
}

static void test_truncation(void)
{
    ipl_diag d = {0};
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    /* fits exactly: IPL_DIAG_MAX - 1 characters, no marker */
    CHECK_INT(ipl_diag_set(&d, IPL_ELIMIT, "%.*s", IPL_DIAG_MAX - 1, big), IPL_ELIMIT);
    CHECK_INT(strlen(d.msg), IPL_DIAG_MAX - 1);
    CHECK(d.msg[IPL_DIAG_MAX - 2] == 'a');
    /* one more: cut, ending in "..." */
    ipl_diag_set(&d, IPL_ELIMIT, "%.*s", IPL_DIAG_MAX, big);
    CHECK_INT(strlen(d.msg), IPL_DIAG_MAX - 1);
    CHECK_STR(d.msg + IPL_DIAG_MAX - 4, "...");
    ipl_diag_set(&d, IPL_ELIMIT, "value '%s' too long", big);
    CHECK_INT(strlen(d.msg), IPL_DIAG_MAX - 1);
    CHECK_STR(d.msg + IPL_DIAG_MAX - 4, "...");
    CHECK(strncmp(d.msg, "value 'aaa", 10) == 0);
    CHECK_INT(d.code, IPL_ELIMIT);
}

static void test_prefix(void)
{
    ipl_diag d = {0};
    ipl_diag_set(&d, IPL_EACCES, "permission denied");
    CHECK_INT(ipl_diag_prefix(&d, "cannot open store '%s'", "x"), IPL_EACCES);
    CHECK_STR(d.msg, "cannot open store 'x': permission denied");
    CHECK_INT(d.code, IPL_EACCES);
    ipl_diag_prefix(&d, "ingest");
    CHECK_STR(d.msg, "ingest: cannot open store 'x': permission denied");
    CHECK_INT(ipl_diag_prefix(NULL, "x"), IPL_OK);

    /* a prefix that overflows marks the cut */
    char big[1000];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ipl_diag_set(&d, IPL_EIO, "inner");
    CHECK_INT(ipl_diag_prefix(&d, "%s", big), IPL_EIO);
    CHECK_INT(strlen(d.msg), IPL_DIAG_MAX - 1);
    CHECK_STR(d.msg + IPL_DIAG_MAX - 4, "...");
    /* an existing full-length message stays bounded */
    ipl_diag_set(&d, IPL_EIO, "%s", big);
    ipl_diag_prefix(&d, "outer");
    CHECK_INT(strlen(d.msg), IPL_DIAG_MAX - 1);
    CHECK(strncmp(d.msg, "outer: ppp", 10) == 0);
    CHECK_STR(d.msg + IPL_DIAG_MAX - 4, "...");
}

int main(void)
{
    RUN(test_strerror);
    RUN(test_set_clear);
    RUN(test_truncation);
    RUN(test_prefix);
    return check_summary();
}
