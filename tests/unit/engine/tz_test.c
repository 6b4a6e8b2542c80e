/* tests/unit/engine/tz_test.c — civil dates, zones (system TZif files and in-memory slim ones),
 * DST gaps and overlaps at their exact instants, the ingest fold rule, timestamp text. */
#include "engine/tz.h"
#include "engine/err.h"

#include <stdlib.h>

#include "tests/unit/check.h"

#define S IPL_US_PER_SEC

static ipl_civil civ(int y, int mo, int d, int h, int mi, int s)
{
    ipl_civil c = {y, mo, d, h, mi, s, 0};
    return c;
}

/* "2024-05-01T08:15:32Z" -> microseconds, through the parser under test. */
static int64_t utc(const char *s)
{
    int64_t us = INT64_MIN;
    ipl_diag d = {0};
    if (ipl_time_parse(s, strlen(s), NULL, &us, &d) != IPL_OK)
        fprintf(stderr, "utc(%s): %s\n", s, d.msg);
    return us;
}

static const char *fmt(int64_t us)
{
    static char buf[4][IPL_TIME_BUF];
    static int k;
    k = (k + 1) % 4;
    ipl_time_format(us, buf[k], sizeof buf[k]);
    return buf[k];
}

static ipl_tz *load(const char *name)
{
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    if (ipl_tz_load(&tz, name, &d) != IPL_OK)
        fprintf(stderr, "load(%s): %s\n", name, d.msg);
    return tz;
}

/* Local wall time in zone -> (count, earlier, later) as text. */
static int to_utc(const ipl_tz *tz, ipl_civil c, const char **e, const char **l)
{
    int64_t ue = 0, ul = 0;
    int n = ipl_tz_to_utc(tz, &c, &ue, &ul);
    *e = fmt(ue);
    *l = fmt(ul);
    return n;
}

/* UTC instant -> local text "YYYY-MM-DD hh:mm:ss", offset, dst. */
static const char *to_local(const ipl_tz *tz, const char *when, int *off, int *dst)
{
    static char buf[64];
    ipl_civil c;
    ipl_tz_to_local(tz, utc(when), &c, off, dst);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.mon, c.day, c.hour, c.min,
             c.sec);
    return buf;
}

/* ------------------------------------------------------------------ civil arithmetic */

static void test_days(void)
{
    CHECK_INT(ipl_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(ipl_days_from_civil(1969, 12, 31), -1);
    CHECK_INT(ipl_days_from_civil(2000, 3, 1), 11017);
    CHECK_INT(ipl_days_from_civil(2024, 2, 29), 19782);
    CHECK_INT(ipl_days_from_civil(1600, 1, 1), -135140);
    CHECK_INT(ipl_days_from_civil(0, 3, 1), -719468);
    int y, m, d;
    ipl_civil_from_days(-1, &y, &m, &d);
    CHECK(y == 1969 && m == 12 && d == 31);
    ipl_civil_from_days(19782, &y, &m, &d);
    CHECK(y == 2024 && m == 2 && d == 29);
    int bad = 0;
    for (int64_t z = -800000; z <= 3000000; z += 37) {
        ipl_civil_from_days(z, &y, &m, &d);
        if (ipl_days_from_civil(y, m, d) != z)
            bad++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(ipl_weekday(0), 4);                                    /* Thursday */
    CHECK_INT(ipl_weekday(-1), 3);
    CHECK_INT(ipl_weekday(-7), 4);
    CHECK_INT(ipl_weekday(ipl_days_from_civil(2024, 5, 1)), 3);     /* Wednesday */
    CHECK_INT(ipl_weekday(ipl_days_from_civil(2024, 3, 31)), 0);    /* Sunday */
}

static void test_civil_valid(void)
{
    ipl_civil c = civ(2024, 2, 29, 0, 0, 0);
    CHECK(ipl_civil_valid(&c));
    c = civ(2023, 2, 29, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(1900, 2, 29, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2000, 2, 29, 0, 0, 0);
    CHECK(ipl_civil_valid(&c));
    c = civ(2024, 4, 31, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 12, 31, 23, 59, 60);    /* leap second */
    CHECK(ipl_civil_valid(&c));
    c = civ(2024, 12, 31, 23, 59, 61);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 13, 1, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 0, 1, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 1, 0, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 1, 1, 24, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 1, 1, 0, 60, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 1, 1, -1, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    c = civ(2024, 1, 1, 0, 0, 0);
    c.usec = 1000000;
    CHECK(!ipl_civil_valid(&c));
    c.usec = -1;
    CHECK(!ipl_civil_valid(&c));
    c = civ(10000, 1, 1, 0, 0, 0);
    CHECK(!ipl_civil_valid(&c));
    CHECK(!ipl_civil_valid(NULL));
}

static void test_civil_us(void)
{
    ipl_civil c = civ(1970, 1, 1, 0, 0, 0);
    CHECK_INT(ipl_civil_to_us(&c), 0);
    c = civ(2024, 5, 1, 8, 15, 32);
    c.usec = 123456;
    CHECK_INT(ipl_civil_to_us(&c), INT64_C(1714551332123456));
    c = civ(2016, 12, 31, 23, 59, 60);    /* normalised to the next second */
    CHECK_INT(ipl_civil_to_us(&c), INT64_C(1483228800) * S);

    ipl_us_to_civil(-1, &c);              /* floor division before the epoch */
    CHECK(c.year == 1969 && c.mon == 12 && c.day == 31 && c.hour == 23 && c.min == 59 &&
          c.sec == 59 && c.usec == 999999);
    ipl_us_to_civil(-86400 * S, &c);
    CHECK(c.year == 1969 && c.mon == 12 && c.day == 31 && c.hour == 0 && c.sec == 0 && c.usec == 0);
    ipl_us_to_civil(INT64_C(951782400) * S, &c);
    CHECK(c.year == 2000 && c.mon == 2 && c.day == 29);

    /* round trip over a spread of instants, negative ones included */
    int bad = 0;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t us = (int64_t)(x % (UINT64_C(400) * 365 * 86400 * 1000000)) -
                     INT64_C(200) * 365 * 86400 * 1000000;
        ipl_us_to_civil(us, &c);
        if (!ipl_civil_valid(&c) || ipl_civil_to_us(&c) != us)
            bad++;
    }
    CHECK_INT(bad, 0);
}

/* ------------------------------------------------------------------ loading */

static void test_utc_and_fixed(void)
{
    const ipl_tz *u = ipl_tz_utc();
    CHECK(u != NULL && u == ipl_tz_utc());
    CHECK_STR(ipl_tz_name(u), "UTC");
    const char *e, *l;
    CHECK_INT(to_utc(u, civ(2024, 3, 31, 2, 30, 0), &e, &l), 1);
    CHECK_STR(e, "2024-03-31T02:30:00Z");

    static const struct {
        const char *name;
        int off;
    } ok[] = {
        {"UTC", 0}, {"Z", 0}, {"GMT", 0}, {"utc", 0}, {"z", 0}, {"+02:00", 7200},
        {"-0530", -19800}, {"+2", 7200}, {"-2", -7200}, {"+05", 18000}, {"UTC+3", 10800},
        {"UTC-05:00", -18000}, {"GMT+01", 3600}, {"+05:45", 20700}, {"-00:00", 0},
        {"+1:30", 5400},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ipl_tz *tz = load(ok[i].name);
        CHECK(tz != NULL);
        if (!tz)
            continue;
        CHECK_STR(ipl_tz_name(tz), ok[i].name);
        int off = -1, dst = -1;
        ipl_civil c;
        ipl_tz_to_local(tz, utc("2024-07-01T12:00:00Z"), &c, &off, &dst);
        CHECK_INT(off, ok[i].off);
        CHECK_INT(dst, 0);
        CHECK_INT(to_utc(tz, civ(2024, 3, 31, 2, 30, 0), &e, &l), 1);
        CHECK_INT(utc(e), ipl_civil_to_us(&(ipl_civil){2024, 3, 31, 2, 30, 0, 0}) -
                              (int64_t)ok[i].off * S);
        ipl_tz_free(tz);
    }
    static const char *const bad[] = {"+", "+02:0", "+02:60", "+24:00", "+123", "-053",
                                      "+02:00x", "+ 2", "++2", "-05:30:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ipl_tz *tz = (ipl_tz *)1;
        ipl_diag d = {0};
        CHECK_INT(ipl_tz_load(&tz, bad[i], &d), IPL_EINVAL);
        CHECK(tz == NULL);
        CHECK(strncmp(d.msg, "invalid time zone", 17) == 0);
    }
    ipl_tz *tz = NULL;    /* "UTC+" is no offset, and no file either */
    CHECK(ipl_tz_load(&tz, "UTC+", NULL) != IPL_OK && tz == NULL);
    ipl_tz_free(NULL);
}

static void test_bad_names(void)
{
    ipl_diag d = {0};
    ipl_tz *tz = (ipl_tz *)1;
    const char *dir = getenv("TZDIR");
    char want[512];
    snprintf(want, sizeof want, "unknown time zone 'Europe/Berln': no such zone in %s",
             dir && *dir ? dir : "/usr/share/zoneinfo");
    CHECK_INT(ipl_tz_load(&tz, "Europe/Berln", &d), IPL_ENOTFOUND);
    CHECK(tz == NULL);
    CHECK_STR(d.msg, want);
    CHECK_INT(d.code, IPL_ENOTFOUND);

    CHECK_INT(ipl_tz_load(&tz, "Europe", &d), IPL_ENOTFOUND);    /* a directory */
    CHECK_INT(ipl_tz_load(&tz, "Europe/Berlin/x", &d), IPL_ENOTFOUND);

    static const char *const refused[] = {"../etc/passwd", "Europe/../../etc/passwd",
                                          "/etc/localtime", "Europe/Berlin;rm", "Europe/Ber lin",
                                          "", "Europe\\Berlin", "Europe/Berlin.bak", "Ämerica"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        tz = (ipl_tz *)1;
        CHECK_INT(ipl_tz_load(&tz, refused[i], &d), IPL_EINVAL);
        CHECK(tz == NULL);
        CHECK(strncmp(d.msg, "invalid time zone name '", 24) == 0);
    }
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_INT(ipl_tz_load(&tz, longname, &d), IPL_EINVAL);
    CHECK(strlen(d.msg) < 200);           /* the name is quoted shortened */
    CHECK_INT(ipl_tz_load(&tz, NULL, &d), IPL_EINVAL);
    CHECK_INT(ipl_tz_load(&tz, "Nowhere/Atlantis", NULL), IPL_ENOTFOUND);
}

/* ------------------------------------------------------------------ DST, system zones */

static void test_berlin_2024(void)
{
    ipl_tz *tz = load("Europe/Berlin");
    CHECK(tz != NULL);
    if (!tz)
        return;
    CHECK_STR(ipl_tz_name(tz), "Europe/Berlin");
    const char *e, *l;
    int off, dst;
    /* spring forward 2024-03-31 01:00Z: 02:00..03:00 local does not exist */
    CHECK_INT(to_utc(tz, civ(2024, 3, 31, 2, 30, 0), &e, &l), 0);
    CHECK_STR(e, "2024-03-31T01:30:00Z");            /* read as CET, i.e. 03:30 CEST */
    CHECK_STR(l, "2024-03-31T01:30:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 3, 31, 2, 0, 0), &e, &l), 0);
    CHECK_STR(e, "2024-03-31T01:00:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 3, 31, 1, 59, 59), &e, &l), 1);
    CHECK_STR(e, "2024-03-31T00:59:59Z");
    CHECK_INT(to_utc(tz, civ(2024, 3, 31, 3, 0, 0), &e, &l), 1);
    CHECK_STR(e, "2024-03-31T01:00:00Z");
    CHECK_STR(to_local(tz, "2024-03-31T00:59:59Z", &off, &dst), "2024-03-31 01:59:59");
    CHECK(off == 3600 && dst == 0);
    CHECK_STR(to_local(tz, "2024-03-31T01:00:00Z", &off, &dst), "2024-03-31 03:00:00");
    CHECK(off == 7200 && dst == 1);

    /* fall back 2024-10-27 01:00Z: 02:00..03:00 local happens twice */
    CHECK_INT(to_utc(tz, civ(2024, 10, 27, 2, 30, 0), &e, &l), 2);
    CHECK_STR(e, "2024-10-27T00:30:00Z");
    CHECK_STR(l, "2024-10-27T01:30:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 10, 27, 2, 0, 0), &e, &l), 2);
    CHECK_STR(e, "2024-10-27T00:00:00Z");
    CHECK_STR(l, "2024-10-27T01:00:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 10, 27, 1, 59, 59), &e, &l), 1);
    CHECK_STR(e, "2024-10-26T23:59:59Z");
    CHECK_INT(to_utc(tz, civ(2024, 10, 27, 3, 0, 0), &e, &l), 1);
    CHECK_STR(e, "2024-10-27T02:00:00Z");
    CHECK_STR(to_local(tz, "2024-10-27T00:59:59Z", &off, &dst), "2024-10-27 02:59:59");
    CHECK(off == 7200 && dst == 1);
    CHECK_STR(to_local(tz, "2024-10-27T01:00:00Z", &off, &dst), "2024-10-27 02:00:00");
    CHECK(off == 3600 && dst == 0);

    /* microseconds ride along */
    ipl_civil c = civ(2024, 10, 27, 2, 30, 0);
    c.usec = 250000;
    int64_t ue, ul;
    CHECK_INT(ipl_tz_to_utc(tz, &c, &ue, &ul), 2);
    CHECK_STR(fmt(ue), "2024-10-27T00:30:00.250000Z");
    CHECK_STR(fmt(ul), "2024-10-27T01:30:00.250000Z");

    /* leap day */
    CHECK_INT(to_utc(tz, civ(2024, 2, 29, 12, 0, 0), &e, &l), 1);
    CHECK_STR(e, "2024-02-29T11:00:00Z");
    CHECK_STR(to_local(tz, "2024-02-29T23:30:00Z", &off, &dst), "2024-03-01 00:30:00");
    CHECK_STR(to_local(tz, "2024-02-28T23:30:00Z", &off, &dst), "2024-02-29 00:30:00");

    /* 2037 (last explicit transitions in fat files) and 2100 (footer only) */
    CHECK_INT(to_utc(tz, civ(2037, 3, 29, 2, 30, 0), &e, &l), 0);
    CHECK_STR(e, "2037-03-29T01:30:00Z");
    CHECK_INT(to_utc(tz, civ(2037, 10, 25, 2, 30, 0), &e, &l), 2);
    CHECK_STR(e, "2037-10-25T00:30:00Z");
    CHECK_STR(l, "2037-10-25T01:30:00Z");
    CHECK_INT(to_utc(tz, civ(2100, 3, 28, 2, 30, 0), &e, &l), 0);
    CHECK_STR(e, "2100-03-28T01:30:00Z");
    CHECK_INT(to_utc(tz, civ(2100, 10, 31, 2, 30, 0), &e, &l), 2);
    CHECK_STR(e, "2100-10-31T00:30:00Z");
    CHECK_STR(l, "2100-10-31T01:30:00Z");
    CHECK_STR(to_local(tz, "2100-07-01T10:00:00Z", &off, &dst), "2100-07-01 12:00:00");
    CHECK(off == 7200 && dst == 1);
    CHECK_STR(to_local(tz, "2100-12-24T10:00:00Z", &off, &dst), "2100-12-24 11:00:00");
    CHECK(off == 3600 && dst == 0);

    /* history: 1900 was already CET; before 1893 local mean time +00:53:28 */
    CHECK_INT(to_utc(tz, civ(1900, 1, 1, 0, 0, 0), &e, &l), 1);
    CHECK_STR(e, "1899-12-31T23:00:00Z");
    CHECK_STR(to_local(tz, "1880-01-01T00:00:00Z", &off, &dst), "1880-01-01 00:53:28");
    CHECK_INT(off, 3208);
    ipl_tz_free(tz);
}

static void test_new_york_2024(void)
{
    ipl_tz *tz = load("America/New_York");
    CHECK(tz != NULL);
    if (!tz)
        return;
    const char *e, *l;
    int off, dst;
    CHECK_INT(to_utc(tz, civ(2024, 3, 10, 2, 30, 0), &e, &l), 0);    /* gap */
    CHECK_STR(e, "2024-03-10T07:30:00Z");
    CHECK_STR(l, "2024-03-10T07:30:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 3, 10, 3, 0, 0), &e, &l), 1);
    CHECK_STR(e, "2024-03-10T07:00:00Z");
    CHECK_STR(to_local(tz, "2024-03-10T06:59:59Z", &off, &dst), "2024-03-10 01:59:59");
    CHECK(off == -18000 && dst == 0);
    CHECK_STR(to_local(tz, "2024-03-10T07:00:00Z", &off, &dst), "2024-03-10 03:00:00");
    CHECK(off == -14400 && dst == 1);
    CHECK_INT(to_utc(tz, civ(2024, 11, 3, 1, 30, 0), &e, &l), 2);    /* overlap */
    CHECK_STR(e, "2024-11-03T05:30:00Z");
    CHECK_STR(l, "2024-11-03T06:30:00Z");
    CHECK_INT(to_utc(tz, civ(2024, 11, 3, 0, 59, 59), &e, &l), 1);
    CHECK_INT(to_utc(tz, civ(2024, 11, 3, 2, 0, 0), &e, &l), 1);
    CHECK_STR(e, "2024-11-03T07:00:00Z");
    CHECK_STR(to_local(tz, "2024-11-03T05:59:59Z", &off, &dst), "2024-11-03 01:59:59");
    CHECK(off == -14400 && dst == 1);
    CHECK_STR(to_local(tz, "2024-11-03T06:00:00Z", &off, &dst), "2024-11-03 01:00:00");
    CHECK(off == -18000 && dst == 0);
    /* footer years: second Sunday of March and first of November 2100 */
    CHECK_INT(to_utc(tz, civ(2100, 3, 14, 2, 30, 0), &e, &l), 0);
    CHECK_STR(e, "2100-03-14T07:30:00Z");
    CHECK_INT(to_utc(tz, civ(2100, 11, 7, 1, 30, 0), &e, &l), 2);
    CHECK_STR(e, "2100-11-07T05:30:00Z");
    CHECK_STR(l, "2100-11-07T06:30:00Z");
    CHECK_INT(to_utc(tz, civ(2037, 11, 1, 1, 30, 0), &e, &l), 2);
    CHECK_STR(e, "2037-11-01T05:30:00Z");
    ipl_tz_free(tz);
}

/* Every UTC instant must be one of the candidates of its own local reading. */
static void test_round_trip_zones(void)
{
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                        "Asia/Kolkata", "America/Sao_Paulo", "Europe/Dublin",
                                        "Pacific/Chatham", "Africa/Casablanca", "Asia/Tehran"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        ipl_tz *tz = load(zones[i]);
        CHECK(tz != NULL);
        if (!tz)
            continue;
        int bad = 0;
        uint64_t x = 0x9E3779B97F4A7C15u + i;
        for (int k = 0; k < 4000; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int64_t t = ((int64_t)(x % (UINT64_C(230) * 365 * 86400)) -
                         INT64_C(70) * 365 * 86400) * S; /* 1900..2130 */
            ipl_civil c;
            int off, dst;
            int64_t e, l;
            ipl_tz_to_local(tz, t, &c, &off, &dst);
            int n = ipl_tz_to_utc(tz, &c, &e, &l);
            if (n < 1 || (e != t && l != t) || ipl_civil_to_us(&c) - (int64_t)off * S != t)
                bad++;
        }
        CHECK_INT(bad, 0);
        ipl_tz_free(tz);
    }
}

/* ------------------------------------------------------------------ slim TZif, footers */

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
    return 4;
}

/* A v2 TZif with no transitions and one type (offset `off`): all times come from the footer. */
static size_t slim_tzif(unsigned char *o, const char *footer, int32_t off)
{
    size_t k = 0;
    for (int block = 0; block < 2; block++) {
        memset(o + k, 0, 44);
        memcpy(o + k, "TZif2", 5);
        put32(o + k + 36, 1);    /* typecnt */
        put32(o + k + 40, 4);    /* charcnt */
        k += 44;
        k += put32(o + k, (uint32_t)off);
        o[k++] = 0;
        o[k++] = 0;
        memcpy(o + k, "LMT", 4);
        k += 4;
    }
    o[k++] = '\n';
    memcpy(o + k, footer, strlen(footer));
    k += strlen(footer);
    o[k++] = '\n';
    return k;
}

static ipl_tz *slim(const char *footer)
{
    unsigned char buf[512];
    size_t n = slim_tzif(buf, footer, 0);
    ipl_tz *tz = NULL;
    ipl_diag d = {0};
    if (ipl_tz_from_tzif(&tz, "Test/Slim", buf, n, &d) != IPL_OK)
        fprintf(stderr, "slim(%s): %s\n", footer, d.msg);
    return tz;
}

static void test_footers(void)
{
    const char *e, *l;
    int off, dst;
    ipl_tz *tz = slim("CET-1CEST,M3.5.0,M10.5.0/3");
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(ipl_tz_name(tz), "Test/Slim");
        CHECK_INT(to_utc(tz, civ(2024, 3, 31, 2, 30, 0), &e, &l), 0);
        CHECK_STR(e, "2024-03-31T01:30:00Z");
        CHECK_INT(to_utc(tz, civ(2024, 10, 27, 2, 30, 0), &e, &l), 2);
        CHECK_STR(e, "2024-10-27T00:30:00Z");
        CHECK_STR(l, "2024-10-27T01:30:00Z");
        CHECK_STR(to_local(tz, "2024-10-27T01:00:00Z", &off, &dst), "2024-10-27 02:00:00");
        CHECK(off == 3600 && dst == 0);
        CHECK_STR(to_local(tz, "1965-07-01T00:00:00Z", &off, &dst), "1965-07-01 02:00:00");
        ipl_tz_free(tz);
    }
    tz = slim("EST5EDT,M3.2.0,M11.1.0");
    CHECK(tz != NULL);
    if (tz) {
        CHECK_INT(to_utc(tz, civ(2024, 11, 3, 1, 30, 0), &e, &l), 2);
        CHECK_STR(e, "2024-11-03T05:30:00Z");
        CHECK_STR(l, "2024-11-03T06:30:00Z");
        CHECK_INT(to_utc(tz, civ(2024, 3, 10, 2, 30, 0), &e, &l), 0);
        CHECK_STR(e, "2024-03-10T07:30:00Z");
        ipl_tz_free(tz);
    }
    tz = slim("<+03>-3");                         /* quoted name, no DST */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(to_local(tz, "2024-07-01T12:00:00Z", &off, &dst), "2024-07-01 15:00:00");
        CHECK(off == 10800 && dst == 0);
        CHECK_INT(to_utc(tz, civ(2024, 7, 1, 15, 0, 0), &e, &l), 1);
        CHECK_STR(e, "2024-07-01T12:00:00Z");
        ipl_tz_free(tz);
    }
    tz = slim("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"); /* America/Nuuk: negative transition time */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(to_local(tz, "2024-03-31T00:59:59Z", &off, &dst), "2024-03-30 22:59:59");
        CHECK(off == -7200 && dst == 0);
        CHECK_STR(to_local(tz, "2024-03-31T01:00:00Z", &off, &dst), "2024-03-31 00:00:00");
        CHECK(off == -3600 && dst == 1);
        CHECK_INT(to_utc(tz, civ(2024, 3, 30, 23, 30, 0), &e, &l), 0);
        CHECK_STR(e, "2024-03-31T01:30:00Z");
        CHECK_STR(to_local(tz, "2024-10-27T01:00:00Z", &off, &dst), "2024-10-26 23:00:00");
        CHECK(off == -7200 && dst == 0);
        ipl_tz_free(tz);
    }
    tz = slim("IST-2IDT,M3.4.4/26,M10.5.0");      /* Asia/Jerusalem: /26 = Friday 02:00 */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(to_local(tz, "2024-03-28T23:59:59Z", &off, &dst), "2024-03-29 01:59:59");
        CHECK(off == 7200);
        CHECK_STR(to_local(tz, "2024-03-29T00:00:00Z", &off, &dst), "2024-03-29 03:00:00");
        CHECK(off == 10800 && dst == 1);
        CHECK_STR(to_local(tz, "2024-10-26T23:00:00Z", &off, &dst), "2024-10-27 01:00:00");
        CHECK(off == 7200 && dst == 0);
        ipl_tz_free(tz);
    }
    tz = slim("AEST-10AEDT,M10.1.0,M4.1.0/3");    /* southern hemisphere */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(to_local(tz, "2024-01-15T00:00:00Z", &off, &dst), "2024-01-15 11:00:00");
        CHECK(off == 39600 && dst == 1);
        CHECK_STR(to_local(tz, "2024-07-01T00:00:00Z", &off, &dst), "2024-07-01 10:00:00");
        CHECK(off == 36000 && dst == 0);
        CHECK_INT(to_utc(tz, civ(2024, 4, 7, 2, 30, 0), &e, &l), 2);
        CHECK_STR(e, "2024-04-06T15:30:00Z");
        CHECK_STR(l, "2024-04-06T16:30:00Z");
        CHECK_INT(to_utc(tz, civ(2024, 10, 6, 2, 30, 0), &e, &l), 0);
        CHECK_STR(e, "2024-10-05T16:30:00Z");
        CHECK_INT(to_utc(tz, civ(2099, 12, 31, 23, 0, 0), &e, &l), 1);
        CHECK_STR(e, "2099-12-31T12:00:00Z");
        ipl_tz_free(tz);
    }
    tz = slim("XXX3YYY,J60/2,300");               /* Jn (no Feb 29) and zero-based n forms */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_STR(to_local(tz, "2024-03-01T04:59:59Z", &off, &dst), "2024-03-01 01:59:59");
        CHECK(off == -10800 && dst == 0);
        CHECK_STR(to_local(tz, "2024-03-01T05:00:00Z", &off, &dst), "2024-03-01 03:00:00");
        CHECK(off == -7200 && dst == 1);
        CHECK_STR(to_local(tz, "2024-10-27T03:59:59Z", &off, &dst), "2024-10-27 01:59:59");
        CHECK(off == -7200 && dst == 1);                    /* day 300 of a leap year */
        CHECK_STR(to_local(tz, "2024-10-27T04:00:00Z", &off, &dst), "2024-10-27 01:00:00");
        CHECK(off == -10800 && dst == 0);
        CHECK_STR(to_local(tz, "2023-10-28T04:00:00Z", &off, &dst), "2023-10-28 01:00:00");
        CHECK_STR(to_local(tz, "2023-03-01T05:00:00Z", &off, &dst), "2023-03-01 03:00:00");
        ipl_tz_free(tz);
    }
    tz = slim("EST5EDT,0/0,J365/25");             /* DST all year (RFC 8536 example) */
    CHECK(tz != NULL);
    if (tz) {
        static const char *const when[] = {"2024-01-15T12:00:00Z", "2024-07-01T12:00:00Z",
                                           "2024-12-31T23:30:00Z", "2025-01-01T04:30:00Z",
                                           "2025-01-01T05:30:00Z"};
        for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
            to_local(tz, when[i], &off, &dst);
            CHECK(off == -14400 && dst == 1);
        }
        ipl_tz_free(tz);
    }
    tz = slim("EST5EDT");                         /* DST without a rule: the US default */
    CHECK(tz != NULL);
    if (tz) {
        CHECK_INT(to_utc(tz, civ(2024, 11, 3, 1, 30, 0), &e, &l), 2);
        ipl_tz_free(tz);
    }
    tz = slim("<+0530>-5:30");
    CHECK(tz != NULL);
    if (tz) {
        to_local(tz, "2024-07-01T00:00:00Z", &off, &dst);
        CHECK_INT(off, 19800);
        ipl_tz_free(tz);
    }
}

static void test_bad_tzif(void)
{
    unsigned char buf[512];
    ipl_tz *tz = (ipl_tz *)1;
    ipl_diag d = {0};
    size_t n = slim_tzif(buf, "CET-1CEST,M3.5.0,M10.5.0/3", 3600);
    CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_OK);
    ipl_tz_free(tz);
    for (size_t cut = 0; cut < n; cut++) {    /* every truncation is refused */
        tz = (ipl_tz *)1;
        int rc = ipl_tz_from_tzif(&tz, "T", buf, cut, &d);
        if (rc != IPL_ECORRUPT || tz != NULL) {
            CHECK_INT(rc, IPL_ECORRUPT);
            CHECK(tz == NULL);
            break;
        }
    }
    CHECK(d.msg[0] != '\0');

    static const char *const footers[] = {"CET-1CEST,M13.5.0,M10.5.0/3", "CET-1CEST,M3.6.0,M10.5.0",
                                          "CET-1CEST,M3.5.7,M10.5.0", "CE-1", "CET", "CET-1CEST,",
                                          "CET-1CEST,M3.5.0", "CET-1CEST,J0,J365",
                                          "CET-1CEST,M3.5.0/168,M10.5.0", "<+03-3",
                                          "CET-25", "CET-1CEST,M3.5.0,M10.5.0x"};
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
        n = slim_tzif(buf, footers[i], 0);
        tz = (ipl_tz *)1;
        CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_ECORRUPT);
        CHECK(tz == NULL);
        CHECK(strncmp(d.msg, "unsupported TZ footer '", 23) == 0);
    }

    n = slim_tzif(buf, "UTC0", 0);
    buf[0] = 'X';
    CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_ECORRUPT);
    CHECK_STR(d.msg, "not a TZif file");
    n = slim_tzif(buf, "UTC0", 0);
    put32(buf + 44 + 10 + 36, 0);                 /* 64-bit block: typecnt 0 */
    CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_ECORRUPT);
    n = slim_tzif(buf, "UTC0", 0);
    put32(buf + 44 + 10 + 32, 0x7fffffff);        /* timecnt far beyond the file */
    CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_ECORRUPT);
    n = slim_tzif(buf, "UTC0", 0);
    put32(buf + 44 + 10 + 44, (uint32_t)-100000); /* utoff out of range */
    CHECK_INT(ipl_tz_from_tzif(&tz, "T", buf, n, &d), IPL_ECORRUPT);
    CHECK_INT(ipl_tz_from_tzif(&tz, "../x", buf, n, &d), IPL_EINVAL);

    size_t big = ((size_t)1 << 20) + 1;
    unsigned char *huge = calloc(1, big);
    CHECK(huge != NULL);
    if (huge) {
        memcpy(huge, buf, n);
        CHECK_INT(ipl_tz_from_tzif(&tz, "T", huge, big, &d), IPL_ELIMIT);
        free(huge);
    }
}

/* ------------------------------------------------------------------ ingest fold rule */

static void test_resolve(void)
{
    ipl_tz *tz = load("Europe/Berlin");
    CHECK(tz != NULL);
    if (!tz)
        return;
    /* A source logs through the 2024-10-27 overlap hour: 02:10, 02:50 (first pass, CEST), then
     * 02:05, 02:40 (second pass, CET), then 03:10. */
    static const struct {
        int h, m;
        const char *want;
    } seq[] = {
        {1, 50, "2024-10-26T23:50:00Z"}, {2, 10, "2024-10-27T00:10:00Z"},
        {2, 50, "2024-10-27T00:50:00Z"}, {2, 45, "2024-10-27T00:45:00Z"}, /* within the slack */
        {2, 5, "2024-10-27T01:05:00Z"},  {2, 40, "2024-10-27T01:40:00Z"},
        {2, 55, "2024-10-27T01:55:00Z"}, {3, 10, "2024-10-27T02:10:00Z"},
    };
    int64_t last = INT64_MIN, us = 0;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        ipl_civil c = civ(2024, 10, 27, seq[i].h, seq[i].m, 0);
        CHECK_INT(ipl_tz_resolve(tz, &c, &last, &us), IPL_OK);
        CHECK_STR(fmt(us), seq[i].want);
        CHECK_INT(last, us);
    }
    /* exactly the slack before *last still takes the earlier instant; one second more does not */
    ipl_civil c = civ(2024, 10, 27, 2, 30, 0);
    last = utc("2024-10-27T00:40:00Z");
    CHECK_INT(ipl_tz_resolve(tz, &c, &last, &us), IPL_OK);
    CHECK_STR(fmt(us), "2024-10-27T00:30:00Z");
    last = utc("2024-10-27T00:40:01Z");
    CHECK_INT(ipl_tz_resolve(tz, &c, &last, &us), IPL_OK);
    CHECK_STR(fmt(us), "2024-10-27T01:30:00Z");
    /* no previous event; a gap; an invalid time */
    CHECK_INT(ipl_tz_resolve(tz, &c, NULL, &us), IPL_OK);
    CHECK_STR(fmt(us), "2024-10-27T00:30:00Z");
    c = civ(2024, 3, 31, 2, 30, 0);
    last = INT64_MAX;
    CHECK_INT(ipl_tz_resolve(tz, &c, &last, &us), IPL_OK);
    CHECK_STR(fmt(us), "2024-03-31T01:30:00Z");
    CHECK_INT(last, us);
    c = civ(2024, 2, 30, 0, 0, 0);
    last = 42;
    CHECK_INT(ipl_tz_resolve(tz, &c, &last, &us), IPL_EINVAL);
    CHECK_INT(last, 42);
    int64_t e;
    CHECK(ipl_tz_to_utc(tz, &c, &e, &e) < 0);
    ipl_tz_free(tz);
}

/* ------------------------------------------------------------------ text */

static void test_parse_good(void)
{
    static const struct {
        const char *in;
        const char *want;
    } ok[] = {
        {"2024-05-01T08:15:32Z", "2024-05-01T08:15:32Z"},
        {"2024-05-01T08:15:32.123456+02:00", "2024-05-01T06:15:32.123456Z"},
        {"2024-05-01 08:15:32", "2024-05-01T08:15:32Z"},
        {"2024-05-01T08:15", "2024-05-01T08:15:00Z"},
        {"2024-05-01", "2024-05-01T00:00:00Z"},
        {"@1714551332", "2024-05-01T08:15:32Z"},
        {"@0", "1970-01-01T00:00:00Z"},
        {"@-1", "1969-12-31T23:59:59Z"},
        {"@1714551332.5", "2024-05-01T08:15:32.500000Z"},
        {"  2024-05-01T08:15:32Z \t", "2024-05-01T08:15:32Z"},
        {"2024-05-01t08:15:32z", "2024-05-01T08:15:32Z"},
        {"2024-05-01T08:15:32.5Z", "2024-05-01T08:15:32.500000Z"},
        {"2024-05-01T08:15:32,25Z", "2024-05-01T08:15:32.250000Z"},
        {"2024-05-01T08:15:32.000001Z", "2024-05-01T08:15:32.000001Z"},
        {"2024-05-01T08:15:32+0200", "2024-05-01T06:15:32Z"},
        {"2024-05-01T08:15:32+02", "2024-05-01T06:15:32Z"},
        {"2024-05-01T08:15:32-05:30", "2024-05-01T13:45:32Z"},
        {"2024-05-01T08:15-01:00", "2024-05-01T09:15:00Z"},
        {"2024-05-01T00:30:00+02:00", "2024-04-30T22:30:00Z"},
        {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
        {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"},
        {"1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z"},
        {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
        {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t us = 0;
        ipl_diag d = {0};
        int rc = ipl_time_parse(ok[i].in, strlen(ok[i].in), NULL, &us, &d);
        CHECK_INT(rc, IPL_OK);
        if (rc != IPL_OK)
            fprintf(stderr, "  %s: %s\n", ok[i].in, d.msg);
        CHECK_STR(fmt(us), ok[i].want);
    }
    /* len bounds the text: nothing past it is read */
    int64_t us = 0;
    CHECK_INT(ipl_time_parse("2024-05-01T08:15:32Zjunk", 20, NULL, &us, NULL), IPL_OK);
    CHECK_STR(fmt(us), "2024-05-01T08:15:32Z");

    /* local times in a zone: explicit offsets win, gaps read before, overlaps take the earlier */
    ipl_tz *tz = load("Europe/Berlin");
    CHECK(tz != NULL);
    if (tz) {
        static const struct {
            const char *in;
            const char *want;
        } loc[] = {
            {"2024-05-01 10:15:32", "2024-05-01T08:15:32Z"},
            {"2024-05-01", "2024-04-30T22:00:00Z"},
            {"2024-01-15T12:00", "2024-01-15T11:00:00Z"},
            {"2024-05-01T10:15:32Z", "2024-05-01T10:15:32Z"},
            {"2024-05-01T10:15:32+01:00", "2024-05-01T09:15:32Z"},
            {"2024-03-31 02:30:00", "2024-03-31T01:30:00Z"},
            {"2024-10-27 02:30:00", "2024-10-27T00:30:00Z"},
            {"@1714551332", "2024-05-01T08:15:32Z"},
        };
        for (size_t i = 0; i < sizeof loc / sizeof loc[0]; i++) {
            CHECK_INT(ipl_time_parse(loc[i].in, strlen(loc[i].in), tz, &us, NULL), IPL_OK);
            CHECK_STR(fmt(us), loc[i].want);
        }
        ipl_tz_free(tz);
    }
}

static void test_parse_bad(void)
{
    static const char *const bad[] = {
        "", "   ", "2024", "2024-05", "2024-05-01T", "2024-05-01T08", "2024-05-01T08:",
        "2024-05-01T08:1", "2024-5-01", "24-05-01", "2024/05/01", "2024-05-01X08:15",
        "2024-05-01T08:15:32Zjunk", "2024-05-01T08:15:32 Z", "2024-05-01T08:15:32.Z",
        "2024-05-01T08:15:32.1234567Z", "2024-05-01T08:15:32+2", "2024-05-01T08:15:32+02:0",
        "2024-05-01T08:15:32+24:00", "2024-05-01T08:15:32+02:60", "2024-05-01T08:15:32+020",
        "2024-05-01T08:15:32++02", "2024-05-01Z", "2024-05-01T08:15:32.5.5Z", "@", "@x", "@12x",
        "@-", "@1.", "@1234567890123", "1714551332", "2024-05-01T08:15:32 +02:00",
        "2024-05-01T08:15:32\n", "2024-05-01T08:15:3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 12345;
        ipl_diag d = {0};
        int rc = ipl_time_parse(bad[i], strlen(bad[i]), NULL, &us, &d);
        CHECK_INT(rc, IPL_EPARSE);
        if (rc != IPL_EPARSE)
            fprintf(stderr, "  accepted '%s' as %s\n", bad[i], fmt(us));
        CHECK_INT(d.code, IPL_EPARSE);
        CHECK(strncmp(d.msg, "invalid time '", 14) == 0);
        CHECK_INT(us, 12345);
    }
    ipl_diag d = {0};
    int64_t us;
    CHECK_INT(ipl_time_parse("2024-05-01T", 11, NULL, &us, &d), IPL_EPARSE);
    CHECK_STR(d.msg, "invalid time '2024-05-01T': expected "
                     "YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM] or @epoch-seconds");
    /* well-formed but not on the calendar */
    static const char *const nodate[] = {"2023-02-29", "2024-13-01", "2024-04-31T00:00",
                                         "2024-05-01T24:00", "2024-05-01T23:60",
                                         "2024-05-01T23:59:61Z", "1900-02-29"};
    for (size_t i = 0; i < sizeof nodate / sizeof nodate[0]; i++) {
        CHECK_INT(ipl_time_parse(nodate[i], strlen(nodate[i]), NULL, &us, &d), IPL_EPARSE);
        CHECK(strstr(d.msg, "no such date or time") != NULL);
    }
    /* a long input is quoted shortened; NULL input */
    char longs[300];
    memset(longs, '9', sizeof longs);
    CHECK_INT(ipl_time_parse(longs, sizeof longs, NULL, &us, &d), IPL_EPARSE);
    CHECK(strlen(d.msg) < 200);
    CHECK_INT(ipl_time_parse(NULL, 0, NULL, &us, &d), IPL_EPARSE);
    CHECK_INT(ipl_time_parse("2024-05-01", 10, NULL, &us, NULL), IPL_OK);
}

static void test_relative(void)
{
    const int64_t now = utc("2024-05-01T08:00:00Z");
    static const struct {
        const char *in;
        const char *want;
    } ok[] = {
        {"-7d", "2024-04-24T08:00:00Z"}, {"+3h", "2024-05-01T11:00:00Z"},
        {"-90m", "2024-05-01T06:30:00Z"}, {"-30s", "2024-05-01T07:59:30Z"},
        {"-2w", "2024-04-17T08:00:00Z"}, {"now", "2024-05-01T08:00:00Z"},
        {" now ", "2024-05-01T08:00:00Z"}, {"now-1d", "2024-04-30T08:00:00Z"},
        {"+0s", "2024-05-01T08:00:00Z"}, {"-0d", "2024-05-01T08:00:00Z"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t us = 0;
        ipl_diag d = {0};
        CHECK_INT(ipl_time_parse_relative(ok[i].in, strlen(ok[i].in), now, &us, &d), IPL_OK);
        CHECK_STR(fmt(us), ok[i].want);
    }
    static const char *const bad[] = {"", "7d", "-7", "-d", "-7x", "-7dd", "- 7d", "-7 d",
                                      "nowx", "now-", "-1234567890d", "yesterday", "-7D"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = 5;
        ipl_diag d = {0};
        CHECK_INT(ipl_time_parse_relative(bad[i], strlen(bad[i]), now, &us, &d), IPL_EPARSE);
        CHECK(strncmp(d.msg, "invalid relative time '", 23) == 0);
        CHECK_INT(us, 5);
    }
    int64_t us = 5;
    ipl_diag d = {0};
    CHECK_INT(ipl_time_parse_relative("+999999999w", 11, now, &us, &d), IPL_EPARSE);
    CHECK(strstr(d.msg, "out of range") != NULL);
    CHECK_INT(ipl_time_parse_relative("+1s", 3, INT64_MAX, &us, &d), IPL_EPARSE);
    CHECK_INT(ipl_time_parse_relative("-1s", 3, INT64_MIN, &us, &d), IPL_EPARSE);
    CHECK_INT(us, 5);
    CHECK_INT(ipl_time_parse_relative(NULL, 0, now, &us, NULL), IPL_EPARSE);
}

static void test_format(void)
{
    char buf[IPL_TIME_BUF];
    CHECK_INT(ipl_time_format(0, buf, sizeof buf), 20);
    CHECK_STR(buf, "1970-01-01T00:00:00Z");
    CHECK_INT(ipl_time_format(INT64_C(1714551332123456), buf, sizeof buf), 27);
    CHECK_STR(buf, "2024-05-01T08:15:32.123456Z");
    CHECK_INT(ipl_time_format(INT64_C(1714551332000001), buf, sizeof buf), 27);
    CHECK_STR(buf, "2024-05-01T08:15:32.000001Z");
    ipl_time_format(-1, buf, sizeof buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.999999Z");
    ipl_time_format(INT64_C(1709208000) * S, buf, sizeof buf);
    CHECK_STR(buf, "2024-02-29T12:00:00Z");
    /* the extremes fit in 32 bytes */
    CHECK(ipl_time_format(INT64_MIN, buf, 32) < 32);
    CHECK(ipl_time_format(INT64_MAX, buf, 32) < 32);
    /* a short buffer is cut, NUL-terminated */
    char small[8];
    CHECK_INT(ipl_time_format(0, small, sizeof small), 7);
    CHECK_STR(small, "1970-01");
    CHECK_INT(ipl_time_format(0, small, 0), 0);

    /* parse(format(x)) == x over years 0..9999 */
    int bad = 0;
    uint64_t x = 0x2545F4914F6CDD1Du;
    const int64_t lo = ipl_days_from_civil(0, 1, 1) * 86400 * S;
    const int64_t span = ipl_days_from_civil(10000, 1, 1) * 86400 * S - lo;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t v = lo + (int64_t)(x % (uint64_t)span);
        if (i % 2)
            v -= v % S;    /* half without microseconds */
        size_t n = ipl_time_format(v, buf, sizeof buf);
        int64_t back = 0;
        if (n != strlen(buf) || ipl_time_parse(buf, n, NULL, &back, NULL) != IPL_OK || back != v)
            bad++;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(test_days);
    RUN(test_civil_valid);
    RUN(test_civil_us);
    RUN(test_utc_and_fixed);
    RUN(test_bad_names);
    RUN(test_berlin_2024);
    RUN(test_new_york_2024);
    RUN(test_round_trip_zones);
    RUN(test_footers);
    RUN(test_bad_tzif);
    RUN(test_resolve);
    RUN(test_parse_good);
    RUN(test_parse_bad);
    RUN(test_relative);
    RUN(test_format);
    return check_summary();
}
