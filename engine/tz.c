/* engine/tz.c — civil-date arithmetic, TZif zones with their POSIX TZ footer, timestamp text.
 *
 * Everything here is pure except ipl_tz_load, which reads one TZif file with open/read. The C
 * library's time-zone machinery (localtime, mktime, TZ) is never used: it has global state.
 *
 * A loaded zone:
 *
 *   trans[0..timecnt)   UTC seconds of each transition, strictly ascending
 *   idx[0..timecnt)     local time type in force from trans[i] on
 *   types[0..typecnt)   {offset east of UTC in seconds, is_dst}
 *   rule                the POSIX TZ footer: local time from trans[timecnt-1] on, or for all
 *                       times when there are no transitions (slim files lean on it)
 *
 * Before trans[0] type 0 applies (RFC 8536). Lookups work in whole UTC seconds; microseconds are
 * carried through unchanged since every offset is a whole number of seconds.
 *
 * Local -> UTC never searches blindly: every offset that can be in force within two days of the
 * local time is collected (the offset at the window's start, those of the transitions inside it,
 * the footer's two), and each candidate t = local - offset is kept when offset(t) == offset.
 * None kept is a gap, two an overlap.
 *
 * Limits: civil years 0..9999 (so no conversion can overflow); TZif files up to 1 MiB, footers
 * up to 128 bytes; leap-second ("right/") zones are refused rather than read 27 s off.
 */
#include "engine/tz.h"
#include "engine/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_NAME_MAX    255
#define TZ_FILE_MAX    ((size_t)1 << 20)    /* refuse TZif files above 1 MiB */
#define TZ_FOOTER_MAX  128                  /* longest POSIX TZ footer we accept */
#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"
#define TZ_OFF_MIN     (-89999)             /* RFC 8536 utoff range, about -25h..+26h */
#define TZ_OFF_MAX     93599
#define TZ_WINDOW      (2 * 86400)          /* > any |offset|: a local time maps within it */
#define TZ_YEAR_MIN    0                    /* civil years accepted by ipl_civil_valid */
#define TZ_YEAR_MAX    9999

/* ---------------------------------------------------------------- civil-date arithmetic */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms": days_from_civil. */
int64_t ipl_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void ipl_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Years are limited to 0..9999 so that every valid civil time converts without overflow. */
int ipl_civil_valid(const ipl_civil *c)
{
    if (!c || c->year < TZ_YEAR_MIN || c->year > TZ_YEAR_MAX)
        return 0;
    if (c->mon < 1 || c->mon > 12 || c->day < 1 || c->day > month_days(c->year, c->mon))
        return 0;
    if (c->hour < 0 || c->hour > 23 || c->min < 0 || c->min > 59 || c->sec < 0 || c->sec > 60)
        return 0;
    return c->usec >= 0 && c->usec <= 999999;
}

int64_t ipl_civil_to_us(const ipl_civil *c)
{
    int64_t days = ipl_days_from_civil(c->year, c->mon, c->day);
    int64_t secs = days * 86400 + (int64_t)c->hour * 3600 + (int64_t)c->min * 60 + c->sec;
    return secs * IPL_US_PER_SEC + c->usec;
}

void ipl_us_to_civil(int64_t us, ipl_civil *c)
{
    int64_t secs = us / IPL_US_PER_SEC, frac = us % IPL_US_PER_SEC;
    if (frac < 0) {                /* floor, without forming us - frac (INT64_MIN would wrap) */
        frac += IPL_US_PER_SEC;
        secs--;
    }
    int64_t days = floor_div(secs, 86400);
    int64_t rem = secs - days * 86400;
    c->usec = (int)frac;
    ipl_civil_from_days(days, &c->year, &c->mon, &c->day);
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem / 60 % 60);
    c->sec = (int)(rem % 60);
}

int ipl_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;    /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* ---------------------------------------------------------------- zone representation */

struct tz_type {
    int32_t off;                   /* seconds east of UTC */
    uint8_t isdst;
};

/* One end of a POSIX TZ rule: "Jn", "n" or "Mm.w.d", then a local time of day (may be
 * negative or exceed 24h, RFC 8536 3.3.1). */
struct tz_date {
    char    kind;                  /* 'J', 'D' (zero-based day), 'M' */
    int     a, b, c;               /* J/D: day; M: month, week, weekday */
    int32_t time;                  /* seconds after local midnight */
};

struct tz_rule {
    int32_t std_off, dst_off;      /* seconds east of UTC */
    int     has_dst;
    struct tz_date start, end;     /* DST starts (read in std time), ends (read in DST) */
};

struct ipl_tz {
    char            name[TZ_NAME_MAX + 1];
    int             fixed;         /* no file: fixed_off all the time */
    int32_t         fixed_off;
    uint32_t        timecnt, typecnt;
    int64_t        *trans;
    uint8_t        *idx;
    struct tz_type *types;
    int             has_rule;
    struct tz_rule  rule;
};

static const ipl_tz tz_utc_zone = {.name = "UTC", .fixed = 1, .fixed_off = 0};

const ipl_tz *ipl_tz_utc(void)
{
    return &tz_utc_zone;
}

const char *ipl_tz_name(const ipl_tz *tz)
{
    return tz ? tz->name : tz_utc_zone.name;
}

void ipl_tz_free(ipl_tz *tz)
{
    if (!tz || tz == &tz_utc_zone)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

/* ---------------------------------------------------------------- POSIX TZ rules */

/* The day (days since the epoch) a rule date falls on in year y. */
static int64_t rule_day(const struct tz_date *dt, int y)
{
    int64_t jan1 = ipl_days_from_civil(y, 1, 1);
    if (dt->kind == 'J')           /* 1..365, February 29 never counted */
        return jan1 + dt->a - 1 + (is_leap(y) && dt->a >= 60);
    if (dt->kind == 'D')           /* 0..365, February 29 counted */
        return jan1 + dt->a;
    /* Mm.w.d: weekday d of week w (5 = last) of month m */
    int64_t first = ipl_days_from_civil(y, dt->a, 1);
    int64_t day = first + (dt->c - ipl_weekday(first) + 7) % 7 + (int64_t)7 * (dt->b - 1);
    int len = month_days(y, dt->a);
    while (day >= first + len)
        day -= 7;
    return day;
}

/* Offset in force at UTC second t under the rule. */
static int32_t rule_offset(const struct tz_rule *r, int64_t t, int *isdst)
{
    *isdst = 0;
    if (!r->has_dst)
        return r->std_off;
    int y, m, d;
    ipl_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    /* The transitions of the neighbouring years, in time order; the last one at or before t
     * decides. Ties put the end first, so a rule that starts DST when it ends stays in DST. */
    int64_t at[6];
    int dst[6], n = 0;
    for (int yy = y - 1; yy <= y + 1; yy++) {
        int64_t e = rule_day(&r->end, yy) * 86400 + r->end.time - r->dst_off;
        int64_t s = rule_day(&r->start, yy) * 86400 + r->start.time - r->std_off;
        at[n] = e, dst[n++] = 0;
        at[n] = s, dst[n++] = 1;
    }
    for (int i = 1; i < n; i++)    /* insertion sort, stable */
        for (int j = i; j > 0 && at[j - 1] > at[j]; j--) {
            int64_t ta = at[j]; at[j] = at[j - 1]; at[j - 1] = ta;
            int tb = dst[j]; dst[j] = dst[j - 1]; dst[j - 1] = tb;
        }
    int state = -1;
    for (int i = 0; i < n && at[i] <= t; i++)
        state = dst[i];
    if (state < 0)                 /* before all six: the state after year y-2's last one */
        state = !dst[n - 1];
    *isdst = state;
    return state ? r->dst_off : r->std_off;
}

struct cursor {
    const char *p, *end;
};

static int cur_peek(const struct cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* Up to maxd digits into *v; 0 if there was no digit. */
static int cur_num(struct cursor *c, int maxd, int *v)
{
    int n = 0, val = 0;
    while (n < maxd && is_digit(cur_peek(c))) {
        val = val * 10 + (*c->p++ - '0');
        n++;
    }
    *v = val;
    return n > 0;
}

static int rule_name(struct cursor *c)
{
    if (cur_peek(c) == '<') {
        c->p++;
        int n = 0;
        for (int ch; (ch = cur_peek(c)) != '>'; c->p++, n++)
            if (!(is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-'))
                return 0;
        c->p++;
        return n >= 1;
    }
    int n = 0;
    while (is_alpha(cur_peek(c)))
        c->p++, n++;
    return n >= 3;
}

/* [+-]h[h[h]][:mm[:ss]] with h <= maxh; the value in seconds, sign applied. */
static int rule_hms(struct cursor *c, int maxh, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (cur_peek(c) == '+' || cur_peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (!cur_num(c, 3, &h) || h > maxh)
        return 0;
    if (cur_peek(c) == ':') {
        c->p++;
        if (!cur_num(c, 2, &m) || m > 59)
            return 0;
        if (cur_peek(c) == ':') {
            c->p++;
            if (!cur_num(c, 2, &s) || s > 59)
                return 0;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 1;
}

static int rule_date(struct cursor *c, struct tz_date *dt)
{
    dt->time = 7200;               /* default 02:00:00 */
    if (cur_peek(c) == 'J') {
        c->p++;
        dt->kind = 'J';
        if (!cur_num(c, 3, &dt->a) || dt->a < 1 || dt->a > 365)
            return 0;
    } else if (cur_peek(c) == 'M') {
        c->p++;
        dt->kind = 'M';
        if (!cur_num(c, 2, &dt->a) || dt->a < 1 || dt->a > 12 || cur_peek(c) != '.')
            return 0;
        c->p++;
        if (!cur_num(c, 1, &dt->b) || dt->b < 1 || dt->b > 5 || cur_peek(c) != '.')
            return 0;
        c->p++;
        if (!cur_num(c, 1, &dt->c) || dt->c > 6)
            return 0;
    } else {
        dt->kind = 'D';
        if (!cur_num(c, 3, &dt->a) || dt->a > 365)
            return 0;
    }
    if (cur_peek(c) == '/') {
        c->p++;
        if (!rule_hms(c, 167, &dt->time))
            return 0;
    }
    return 1;
}

/* Parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3" or "<+03>-3". POSIX offsets
 * count west of UTC; they are stored east. Returns 1 on success. */
static int rule_parse(const char *s, size_t len, struct tz_rule *r)
{
    struct cursor c = {s, s + len};
    int32_t off;
    memset(r, 0, sizeof *r);
    if (!rule_name(&c) || !rule_hms(&c, 24, &off))
        return 0;
    r->std_off = -off;
    if (c.p == c.end)
        return 1;
    if (!rule_name(&c))
        return 0;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (c.p < c.end && *c.p != ',') {
        if (!rule_hms(&c, 24, &off))
            return 0;
        r->dst_off = -off;
    }
    if (c.p == c.end) {            /* no rule given: the US rule, as glibc assumes */
        r->start = (struct tz_date){'M', 3, 2, 0, 7200};
        r->end = (struct tz_date){'M', 11, 1, 0, 7200};
        return 1;
    }
    if (*c.p++ != ',' || !rule_date(&c, &r->start) || cur_peek(&c) != ',')
        return 0;
    c.p++;
    if (!rule_date(&c, &r->end))
        return 0;
    return c.p == c.end;
}

/* ---------------------------------------------------------------- offset lookup */

static int32_t zone_offset(const ipl_tz *tz, int64_t t, int *isdst)
{
    *isdst = 0;
    if (!tz)
        return 0;
    if (tz->fixed)
        return tz->fixed_off;
    if (tz->timecnt == 0 || t >= tz->trans[tz->timecnt - 1]) {
        if (tz->has_rule)
            return rule_offset(&tz->rule, t, isdst);
        if (tz->timecnt == 0) {
            *isdst = tz->types[0].isdst;
            return tz->types[0].off;
        }
    }
    const struct tz_type *ty = &tz->types[0];
    if (t >= tz->trans[0]) {       /* last transition at or before t */
        uint32_t lo = 0, hi = tz->timecnt;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] <= t)
                lo = mid;
            else
                hi = mid;
        }
        ty = &tz->types[tz->idx[lo]];
    }
    *isdst = ty->isdst;
    return ty->off;
}

static void add_offset(int32_t *offs, int *n, int cap, int32_t o)
{
    for (int i = 0; i < *n; i++)
        if (offs[i] == o)
            return;
    if (*n < cap)
        offs[(*n)++] = o;
}

/* Every offset that can be in force within TZ_WINDOW of local second L read as UTC. */
static int candidate_offsets(const ipl_tz *tz, int64_t L, int32_t *offs, int cap)
{
    int n = 0, dst;
    add_offset(offs, &n, cap, zone_offset(tz, L - TZ_WINDOW, &dst));
    if (!tz || tz->fixed)
        return n;
    if (tz->timecnt > 0) {
        uint32_t lo = 0, hi = tz->timecnt;    /* first transition > L - TZ_WINDOW */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] <= L - TZ_WINDOW)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t i = lo; i < tz->timecnt && tz->trans[i] <= L + TZ_WINDOW; i++)
            add_offset(offs, &n, cap, tz->types[tz->idx[i]].off);
    }
    if (tz->has_rule && (tz->timecnt == 0 || L + TZ_WINDOW >= tz->trans[tz->timecnt - 1])) {
        add_offset(offs, &n, cap, tz->rule.std_off);
        if (tz->rule.has_dst)
            add_offset(offs, &n, cap, tz->rule.dst_off);
    }
    return n;
}

int ipl_tz_to_utc(const ipl_tz *tz, const ipl_civil *local, int64_t *earlier, int64_t *later)
{
    if (!ipl_civil_valid(local))
        return IPL_EINVAL;
    int64_t lus = ipl_civil_to_us(local);
    int64_t L = floor_div(lus, IPL_US_PER_SEC);
    int64_t frac = lus - L * IPL_US_PER_SEC;
    int32_t offs[16];
    int noff = candidate_offsets(tz, L, offs, 16);
    int64_t lo = 0, hi = 0;
    int nsol = 0, dst;
    int32_t omax = offs[0];
    for (int i = 0; i < noff; i++) {
        int64_t t = L - offs[i];
        if (offs[i] > omax)
            omax = offs[i];
        if (zone_offset(tz, t, &dst) != offs[i])
            continue;
        if (nsol == 0 || t < lo)
            lo = t;
        if (nsol == 0 || t > hi)
            hi = t;
        nsol++;
    }
    if (nsol == 0) {
        /* a gap: read L with the offset in force before it, i.e. just before L - max offset */
        lo = hi = L - zone_offset(tz, L - omax, &dst);
    }
    if (earlier)
        *earlier = lo * IPL_US_PER_SEC + frac;
    if (later)
        *later = hi * IPL_US_PER_SEC + frac;
    return nsol == 0 ? 0 : lo == hi ? 1 : 2;
}

void ipl_tz_to_local(const ipl_tz *tz, int64_t utc_us, ipl_civil *local, int *offset_s,
                     int *is_dst)
{
    int dst;
    int32_t off = zone_offset(tz, floor_div(utc_us, IPL_US_PER_SEC), &dst);
    int64_t delta = (int64_t)off * IPL_US_PER_SEC;
    int64_t lus;
    if (delta > 0 && utc_us > INT64_MAX - delta)
        lus = INT64_MAX;
    else if (delta < 0 && utc_us < INT64_MIN - delta)
        lus = INT64_MIN;
    else
        lus = utc_us + delta;
    if (local)
        ipl_us_to_civil(lus, local);
    if (offset_s)
        *offset_s = off;
    if (is_dst)
        *is_dst = dst;
}

int ipl_tz_resolve(const ipl_tz *tz, const ipl_civil *local, int64_t *last, int64_t *utc_us)
{
    int64_t e, l;
    int n = ipl_tz_to_utc(tz, local, &e, &l);
    if (n < 0)
        return IPL_EINVAL;
    int64_t r = e;
    /* unsigned difference: *last may be INT64_MIN ("no previous event") */
    if (n == 2 && last && *last > e && (uint64_t)*last - (uint64_t)e > (uint64_t)IPL_TZ_FOLD_SLACK)
        r = l;
    if (last)
        *last = r;
    if (utc_us)
        *utc_us = r;
    return IPL_OK;
}

/* ---------------------------------------------------------------- loading */

/* "+02:00", "-0530", "+2", "+02", optionally after "UTC"/"GMT"; seconds east in *off. */
static int fixed_parse(const char *s, int32_t *off)
{
    if ((strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0) && (s[3] == '+' || s[3] == '-'))
        s += 3;
    if (*s != '+' && *s != '-')
        return 0;
    int sign = *s++ == '-' ? -1 : 1, h = 0, m = 0, nd = 0;
    while (is_digit((unsigned char)*s) && nd < 2)
        h = h * 10 + (*s++ - '0'), nd++;
    if (nd == 0)
        return 0;
    if (*s == ':' || (nd == 2 && is_digit((unsigned char)*s))) {
        if (*s == ':')
            s++;
        if (!is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1]))
            return 0;
        m = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
    }
    if (*s != '\0' || h > 23 || m > 59)
        return 0;
    *off = sign * (h * 3600 + m * 60);
    return 1;
}

static int name_valid(const char *name, const char **why)
{
    size_t n = strlen(name);
    *why = NULL;
    if (n == 0)
        *why = "empty name";
    else if (n > TZ_NAME_MAX)
        *why = "name longer than 255 bytes";
    else if (name[0] == '/')
        *why = "absolute paths are not zone names";
    else if (strstr(name, ".."))
        *why = "'..' is not allowed";
    for (size_t i = 0; !*why && i < n; i++) {
        int ch = (unsigned char)name[i];
        if (!(is_alpha(ch) || is_digit(ch) || ch == '_' || ch == '+' || ch == '-' || ch == '/'))
            *why = "only letters, digits, '_', '+', '-' and '/' are allowed";
    }
    return *why == NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static int tzif_header(const unsigned char *p, size_t avail, struct tzif_counts *k, int *version)
{
    if (avail < 44 || memcmp(p, "TZif", 4) != 0)
        return 0;
    *version = p[4] == 0 ? 1 : p[4] - '0';
    k->isut = be32(p + 20);
    k->isstd = be32(p + 24);
    k->leap = be32(p + 28);
    k->time = be32(p + 32);
    k->type = be32(p + 36);
    k->chars = be32(p + 40);
    return 1;
}

/* Size of the data block after a header; tsize = 4 (v1) or 8 (v2+). */
static uint64_t tzif_block_size(const struct tzif_counts *k, unsigned tsize)
{
    return (uint64_t)k->time * (tsize + 1) + (uint64_t)k->type * 6 + k->chars +
           (uint64_t)k->leap * (tsize + 4) + k->isstd + k->isut;
}

/* Parses a TZif image (v1, v2 or v3) into tz. Returns IPL_OK or an error with the reason in d. */
static int tzif_parse(ipl_tz *tz, const unsigned char *buf, size_t len, ipl_diag *d)
{
    int rc = IPL_ECORRUPT, version;
    const char *why = "truncated file";
    struct tzif_counts k;
    const unsigned char *p = buf, *end = buf + len;
    unsigned tsize = 4;
    if (!tzif_header(p, len, &k, &version)) {
        why = "not a TZif file";
        goto out;
    }
    if (version < 1 || version > 4) {
        why = "unknown TZif version";
        goto out;
    }
    uint64_t bsize = tzif_block_size(&k, 4);
    if (bsize > (uint64_t)(end - p - 44))
        goto out;
    if (version >= 2) {            /* skip the 32-bit block, use the 64-bit one */
        p += 44 + bsize;
        if (!tzif_header(p, (size_t)(end - p), &k, &version)) {
            why = "missing 64-bit header";
            goto out;
        }
        tsize = 8;
        bsize = tzif_block_size(&k, 8);
        if (bsize > (uint64_t)(end - p - 44))
            goto out;
    }
    p += 44;
    if (k.type == 0 || k.type > 256 || k.chars == 0 || (k.isstd != 0 && k.isstd != k.type) ||
        (k.isut != 0 && k.isut != k.type)) {
        why = "invalid counts";
        goto out;
    }
    if (k.leap != 0) {
        why = "leap-second (right/) zones are not supported";
        rc = IPL_EINVAL;
        goto out;
    }
    tz->timecnt = k.time;
    tz->typecnt = k.type;
    tz->trans = malloc(sizeof *tz->trans * (k.time ? k.time : 1));
    tz->idx = malloc(k.time ? k.time : 1);
    tz->types = malloc(sizeof *tz->types * k.type);
    if (!tz->trans || !tz->idx || !tz->types) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        why = NULL;
        goto out;
    }
    for (uint32_t i = 0; i < k.time; i++, p += tsize) {
        tz->trans[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1]) {
            why = "transitions out of order";
            goto out;
        }
    }
    for (uint32_t i = 0; i < k.time; i++, p++) {
        if (*p >= k.type) {
            why = "transition type out of range";
            goto out;
        }
        tz->idx[i] = *p;
    }
    for (uint32_t i = 0; i < k.type; i++, p += 6) {
        int32_t off = (int32_t)be32(p);
        if (off < TZ_OFF_MIN || off > TZ_OFF_MAX || p[4] > 1 || p[5] >= k.chars) {
            why = "invalid local time type";
            goto out;
        }
        tz->types[i].off = off;
        tz->types[i].isdst = p[4];
    }
    p += k.chars + k.isstd + k.isut;   /* designations and indicators are not needed */
    if (version >= 2) {                /* footer: "\n" TZ-string "\n" */
        if (p >= end || *p != '\n') {
            why = "missing TZ footer";
            goto out;
        }
        const unsigned char *f = ++p;
        while (p < end && *p != '\n')
            p++;
        if (p == end) {
            why = "unterminated TZ footer";
            goto out;
        }
        size_t flen = (size_t)(p - f);
        if (flen > TZ_FOOTER_MAX) {
            why = "TZ footer too long";
            goto out;
        }
        if (flen > 0) {
            if (!rule_parse((const char *)f, flen, &tz->rule)) {
                rc = ipl_diag_set(d, IPL_ECORRUPT, "unsupported TZ footer '%.*s'", (int)flen,
                                  (const char *)f);
                why = NULL;
                goto out;
            }
            tz->has_rule = 1;
        }
    }
    rc = IPL_OK;
out:
    if (rc != IPL_OK && why)       /* why is NULL when the diag was already filled */
        ipl_diag_set(d, rc, "%s", why);
    return rc;
}

/* errno as lower-case text in buf (strerror is not thread-safe; this is the XSI strerror_r). */
static const char *errno_text(int e, char *buf, size_t n)
{
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* Reads a whole file of at most TZ_FILE_MAX bytes; *buf is owned by the caller. */
static int file_read(const char *path, unsigned char **buf, size_t *len, ipl_diag *d,
                     const char *name, const char *dir)
{
    int rc = IPL_OK, fd = -1;
    unsigned char *b = NULL;
    struct stat st;
    char etext[128];
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            rc = ipl_diag_set(d, IPL_ENOTFOUND, "unknown time zone '%s': no such zone in %s",
                              name, dir);
        else
            rc = ipl_diag_set(d, e == EACCES ? IPL_EACCES : IPL_EIO,
                              "cannot open time zone '%s': %s", name,
                              errno_text(e, etext, sizeof etext));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ipl_diag_set(d, IPL_ENOTFOUND, "unknown time zone '%s': no such zone in %s", name,
                          dir);
        goto out;
    }
    if ((uint64_t)st.st_size > TZ_FILE_MAX) {
        rc = ipl_diag_set(d, IPL_ELIMIT, "cannot load time zone '%s': file larger than 1 MiB",
                          name);
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;   /* +1 notices a file that grew */
    b = malloc(cap);
    if (!b) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ipl_diag_set(d, IPL_EIO, "cannot read time zone '%s': %s", name,
                              errno_text(errno, etext, sizeof etext));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            rc = ipl_diag_set(d, IPL_EIO, "cannot read time zone '%s': file changed while read",
                              name);
            goto out;
        }
    }
    *buf = b;
    *len = n;
    b = NULL;
out:
    if (fd >= 0)
        close(fd);
    free(b);
    return rc;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* A zone named `name`; check = 0 for names already validated by fixed_parse (they hold ':'). */
static int tz_new(ipl_tz **out, const char *name, int check, ipl_diag *d)
{
    const char *why;
    *out = NULL;
    if (check && !name_valid(name, &why))
        return ipl_diag_set(d, IPL_EINVAL, "invalid time zone name '%.*s': %s", 64, name, why);
    ipl_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    memcpy(tz->name, name, strlen(name) + 1);
    *out = tz;
    return IPL_OK;
}

int ipl_tz_from_tzif(ipl_tz **out, const char *name, const void *data, size_t len, ipl_diag *d)
{
    ipl_tz *tz = NULL;
    int rc = tz_new(&tz, name ? name : "", 1, d);
    if (rc != IPL_OK)
        goto out;
    if (len > TZ_FILE_MAX) {
        rc = ipl_diag_set(d, IPL_ELIMIT, "TZif data larger than 1 MiB");
        goto out;
    }
    rc = tzif_parse(tz, data, len, d);
out:
    if (rc != IPL_OK) {
        ipl_tz_free(tz);
        tz = NULL;
    }
    *out = tz;
    return rc;
}

int ipl_tz_load(ipl_tz **out, const char *name, ipl_diag *d)
{
    int rc = IPL_OK;
    ipl_tz *tz = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    char path[4096];
    if (!name)
        name = "";
    if (ascii_ieq(name, "UTC") || ascii_ieq(name, "Z") || ascii_ieq(name, "GMT")) {
        rc = tz_new(&tz, name, 0, d);
        if (rc == IPL_OK)
            tz->fixed = 1;
        goto out;
    }
    if (name[0] == '+' || name[0] == '-' || strncmp(name, "UTC", 3) == 0 ||
        strncmp(name, "GMT", 3) == 0) {
        int32_t off;
        if (fixed_parse(name, &off)) {
            rc = tz_new(&tz, name, 0, d);
            if (rc == IPL_OK)
                tz->fixed = 1, tz->fixed_off = off;
            goto out;
        }
        if (name[0] == '+' || name[0] == '-') {
            rc = ipl_diag_set(d, IPL_EINVAL,
                              "invalid time zone offset '%.*s': expected +HH:MM, +HHMM or +HH",
                              64, name);
            goto out;
        }
    }
    const char *why;
    if (!name_valid(name, &why)) {   /* before the name becomes a path */
        rc = ipl_diag_set(d, IPL_EINVAL, "invalid time zone name '%.*s': %s", 64, name, why);
        goto out;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = TZ_DIR_DEFAULT;
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        rc = ipl_diag_set(d, IPL_ELIMIT, "cannot load time zone '%s': path too long", name);
        goto out;
    }
    rc = file_read(path, &buf, &len, d, name, dir);
    if (rc != IPL_OK)
        goto out;
    rc = ipl_tz_from_tzif(&tz, name, buf, len, d);
    if (rc != IPL_OK)
        ipl_diag_prefix(d, "cannot load time zone '%s' from %s", name, dir);
out:
    free(buf);
    if (rc != IPL_OK) {
        ipl_tz_free(tz);
        tz = NULL;
    }
    *out = tz;
    return rc;
}

/* ---------------------------------------------------------------- timestamp text */

#define TIME_EXPECTED "expected YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM] or @epoch-seconds"
#define TIME_QUOTE_MAX 64          /* bytes of the offending text quoted in a diag */

static int quote_len(size_t len)
{
    return len > TIME_QUOTE_MAX ? TIME_QUOTE_MAX : (int)len;
}

/* Exactly n digits. */
static int fixed_digits(struct cursor *c, int n, int *v)
{
    if (c->end - c->p < n)
        return 0;
    int val = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)c->p[i]))
            return 0;
        val = val * 10 + (c->p[i] - '0');
    }
    c->p += n;
    *v = val;
    return 1;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* "@1714551332" or "@-5" or "@1714551332.25": epoch seconds. */
static int parse_epoch(struct cursor *c, int64_t *us)
{
    int neg = 0, nd = 0, usec = 0;
    int64_t secs = 0;
    if (cur_peek(c) == '-')
        neg = 1, c->p++;
    while (is_digit(cur_peek(c))) {
        if (++nd > 12)             /* up to year ~33658: no overflow in microseconds */
            return 0;
        secs = secs * 10 + (*c->p++ - '0');
    }
    if (nd == 0)
        return 0;
    if (cur_peek(c) == '.') {
        int nf = 0;
        c->p++;
        while (is_digit(cur_peek(c)) && nf < 6)
            usec = usec * 10 + (*c->p++ - '0'), nf++;
        if (nf == 0)
            return 0;
        for (; nf < 6; nf++)
            usec *= 10;
    }
    if (c->p != c->end)
        return 0;
    int64_t v = secs * IPL_US_PER_SEC + usec;
    *us = neg ? -v : v;
    return 1;
}

int ipl_time_parse(const char *s, size_t len, const ipl_tz *zone, int64_t *us, ipl_diag *d)
{
    const char *orig = s ? s : "";
    size_t olen = s ? len : 0;
    ipl_civil cv = {0};
    int has_off = 0;
    int32_t off = 0;
    if (!s)
        len = 0;
    trim(&s, &len);
    struct cursor c = {s, s + len};
    if (cur_peek(&c) == '@') {
        c.p++;
        if (parse_epoch(&c, us))
            return IPL_OK;
        goto bad;
    }
    if (!fixed_digits(&c, 4, &cv.year) || cur_peek(&c) != '-')
        goto bad;
    c.p++;
    if (!fixed_digits(&c, 2, &cv.mon) || cur_peek(&c) != '-')
        goto bad;
    c.p++;
    if (!fixed_digits(&c, 2, &cv.day))
        goto bad;
    if (c.p < c.end) {
        int sep = cur_peek(&c);
        if (sep != 'T' && sep != 't' && sep != ' ')
            goto bad;
        c.p++;
        if (!fixed_digits(&c, 2, &cv.hour) || cur_peek(&c) != ':')
            goto bad;
        c.p++;
        if (!fixed_digits(&c, 2, &cv.min))
            goto bad;
        if (cur_peek(&c) == ':') {
            c.p++;
            if (!fixed_digits(&c, 2, &cv.sec))
                goto bad;
            if (cur_peek(&c) == '.' || cur_peek(&c) == ',') {
                int nf = 0;
                c.p++;
                while (is_digit(cur_peek(&c))) {
                    if (++nf > 6)
                        goto bad;
                    cv.usec = cv.usec * 10 + (*c.p++ - '0');
                }
                if (nf == 0)
                    goto bad;
                for (; nf < 6; nf++)
                    cv.usec *= 10;
            }
        }
        int oc = cur_peek(&c);
        if (oc == 'Z' || oc == 'z') {
            c.p++;
            has_off = 1;
        } else if (oc == '+' || oc == '-') {
            int oh, om = 0;
            c.p++;
            if (!fixed_digits(&c, 2, &oh))
                goto bad;
            if (cur_peek(&c) == ':') {
                c.p++;
                if (!fixed_digits(&c, 2, &om))
                    goto bad;
            } else if (is_digit(cur_peek(&c)) && !fixed_digits(&c, 2, &om)) {
                goto bad;
            }
            if (oh > 23 || om > 59)
                goto bad;
            off = (oc == '-' ? -1 : 1) * (oh * 3600 + om * 60);
            has_off = 1;
        }
        if (c.p != c.end)
            goto bad;
    }
    if (!ipl_civil_valid(&cv)) {
        return ipl_diag_set(d, IPL_EPARSE, "invalid time '%.*s': no such date or time",
                            quote_len(olen), orig);
    }
    if (has_off) {
        *us = ipl_civil_to_us(&cv) - (int64_t)off * IPL_US_PER_SEC;
    } else {
        int64_t e, l;
        if (ipl_tz_to_utc(zone ? zone : &tz_utc_zone, &cv, &e, &l) < 0)
            goto bad;
        *us = e;                   /* a gap reads with the offset before it; overlap: earlier */
    }
    return IPL_OK;
bad:
    return ipl_diag_set(d, IPL_EPARSE, "invalid time '%.*s': " TIME_EXPECTED, quote_len(olen),
                        orig);
}

int ipl_time_parse_relative(const char *s, size_t len, int64_t now, int64_t *us, ipl_diag *d)
{
    const char *orig = s ? s : "";
    size_t olen = s ? len : 0;
    if (!s)
        len = 0;
    trim(&s, &len);
    struct cursor c = {s, s + len};
    if (len >= 3 && memcmp(s, "now", 3) == 0) {
        c.p += 3;
        if (c.p == c.end) {
            *us = now;
            return IPL_OK;
        }
    }
    int sign = cur_peek(&c);
    if (sign != '+' && sign != '-')
        goto bad;
    c.p++;
    int64_t n = 0;
    int nd = 0;
    while (is_digit(cur_peek(&c))) {
        if (++nd > 9)
            goto bad;
        n = n * 10 + (*c.p++ - '0');
    }
    if (nd == 0 || c.end - c.p != 1)
        goto bad;
    int64_t unit;
    switch (*c.p) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: goto bad;
    }
    if (n > INT64_MAX / (unit * IPL_US_PER_SEC))
        goto range;
    int64_t delta = n * unit * IPL_US_PER_SEC;
    if (sign == '-')
        delta = -delta;
    if ((delta > 0 && now > INT64_MAX - delta) || (delta < 0 && now < INT64_MIN - delta))
        goto range;
    *us = now + delta;
    return IPL_OK;
range:
        return ipl_diag_set(d, IPL_EPARSE, "invalid relative time '%.*s': out of range",
                            quote_len(olen), orig);
bad:
    return ipl_diag_set(d, IPL_EPARSE,
                        "invalid relative time '%.*s': expected now or a signed count and unit "
                        "s, m, h, d or w (e.g. -7d)",
                        quote_len(olen), orig);
}

size_t ipl_time_format(int64_t us, char *buf, size_t n)
{
    ipl_civil c;
    int r;
    if (!buf || n == 0)
        return 0;
    ipl_us_to_civil(us, &c);
    if (c.usec)
        r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year, c.mon, c.day,
                     c.hour, c.min, c.sec, c.usec);
    else
        r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.mon, c.day, c.hour,
                     c.min, c.sec);
    if (r < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)r < n ? (size_t)r : n - 1;
}
