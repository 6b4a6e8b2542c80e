/* parsers/syslog.c — the syslog envelope shared by the syslog-framed parsers (ISC dhcpd, dnsmasq,
 * sshd, Kea log lines): ipl_syslog_parse() splits one line into time, host, program tag, pid and
 * message; ipl_syslog_probe_envelope() tells whether a sample looks like syslog at all;
 * ipl_syslog_unrepeat() unwraps rsyslog's "message repeated N times: [ MSG]" for the router and
 * the dedicated parsers alike.
 * Spec: FORMATS.md 7.1 (and 2.1); API and year rule: parsers/syslog.h.
 *
 * Accepted headers, each optionally after "<PRI>" (1-3 digits, 0-191):
 *
 *   RFC 3164   "May  1 08:15:32 host tag[pid]: msg"
 *   RFC 5424   "<34>1 2024-05-01T08:15:32.003Z host app procid msgid [sd] msg"
 *   ISO        "2024-05-01T08:15:32.123456+02:00 host tag[pid]: msg"   (rsyslog RSYSLOG_FileFormat)
 *
 * RFC 3164 details. "Mmm dd HH:MM:SS": English month abbreviation (case as written by syslogd:
 * "May"; "MAY"/"may" are accepted too), the day space-padded ("May  1") or two digits ("May 01"),
 * also "May 1" with a single space (some relays). The year is inferred (rule below) and the time
 * is local to ctx->tz, resolved with ipl_tz_resolve(ctx->tz, .., &ctx->last_ts, ..) so DST
 * overlaps keep the file's order. HOSTNAME is optional: a first word that is itself a tag
 * ("dnsmasq-dhcp[812]:", "kernel:"), as dnsmasq writes with --log-facility=/file, means no host.
 * TAG is the program: the bytes up to '[', ':' or a blank; "[pid]" and the ':' are optional but
 * a tag needs one of them: "May  1 08:00:00 host last message repeated 3 times" (sysklogd) is
 * syslog with an empty tag and the whole rest as its message.
 *
 * Year of an RFC 3164 line (also written in docs/design/time.md):
 *   - when ctx->last_ts is set (the source had a previous line): the local year of that instant;
 *     plus one when the month falls back by more than 6 months (Dec -> Jan, a new year began),
 *     minus one when it jumps ahead by more than 6 months (a late Dec line after Jan lines);
 *     small steps back (a relay's late line from the previous day or month) keep the year;
 *   - otherwise (first line of a source): ctx->year_hint when set; else the local year of
 *     ctx->now, or the year before when that would put the line more than a day after ctx->now.
 *   So year_hint only anchors the first line ("the year to assume when nothing else says", as
 *   engine/parser.h puts it): a file that crosses New Year still rolls over. Feb 29 in an
 *   inferred non-leap year is an error.
 *
 * RFC 5424 details. VERSION is 1-3 digits after the PRI; TIMESTAMP is RFC 3339 with 'T', up to 9
 * fractional digits (kept to the microsecond) and 'Z' or +-HH:MM; HOSTNAME, APP-NAME, PROCID and
 * MSGID may each be the NILVALUE '-' (then empty). A NILVALUE timestamp is an error: the event
 * would have no time. STRUCTURED-DATA is '-' or one or more "[id name="value" ...]" elements,
 * skipped with their escapes (\" \\ \] inside values); an unterminated element is an error.
 * MSG follows after one blank; a UTF-8 BOM at its start is dropped. The tag is APP-NAME.
 *
 * ISO (rsyslog file format): an RFC 3339 timestamp, then HOSTNAME and TAG as in RFC 3164. A
 * timestamp without an offset is local time (resolved like RFC 3164, with its own year).
 *
 * Timestamps that carry an offset set ctx->last_ts to their UTC instant as well, so a later
 * RFC 3164 line of a mixed source takes its year from them.
 *
 * Caps (an error, never a cut): line 65536 bytes, HOSTNAME 255, TAG/APP-NAME 128 (RFC 3164 says
 * 32, real tags are longer), PID/PROCID 128, MSGID 32, structured data bounded by the line.
 * Refused: NUL bytes in the header (the message may hold anything: the sub-parsers judge it).
 *
 * Pure: no I/O, no clock but ctx->now, no globals written; the output borrows from the line.
 */
#include "parsers/syslog.h"
#include "parsers/text.h"

#include "engine/err.h"

#include <string.h>

#define SL_LINE_MAX  65536
#define SL_HOST_MAX  255
#define SL_TAG_MAX   128
#define SL_PID_MAX   128
#define SL_MSGID_MAX 32
#define SL_QUOTE_MAX 48
#define SL_QBUF      (4 * SL_QUOTE_MAX + 4)
#define SL_DAY_US    (INT64_C(86400) * IPL_US_PER_SEC)
#define SL_SAMPLE_MAX 65536     /* probe samples are at most this long (engine/parser.h) */

/* The time as read, before zone and year are applied. */
typedef struct sl_time {
    ipl_civil c;
    int       has_year;      /* 0: RFC 3164, year to infer */
    int       has_off;       /* an explicit offset (or Z) */
    int       off_s;         /* seconds east of UTC */
    const char *txt;         /* the timestamp as written, for messages */
    size_t    txt_len;
} sl_time;

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Renders bytes for an error message: printable ASCII as is, others as \xNN, cut with "...". */
static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, SL_QUOTE_MAX);
}

/* A word: up to the next blank (SP or HT) or the end. */
static size_t word_end(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] != ' ' && s[i] != '\t')
        i++;
    return i;
}

static int num(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return n > 0;
}

/* ---- timestamps -------------------------------------------------------------------------- */

static int month_of(const char *s)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3];
    for (int i = 0; i < 3; i++) {
        int c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        m[i] = (char)c;
    }
    for (int k = 0; k < 12; k++)
        if (memcmp(names + 3 * k, m, 3) == 0)
            return k + 1;
    return 0;
}

/* "HH:MM:SS" at s (8 bytes available checked by the caller). */
static int hms(const char *s, ipl_civil *c)
{
    if (s[2] != ':' || s[5] != ':' || !num(s, 2, &c->hour) || !num(s + 3, 2, &c->min) ||
        !num(s + 6, 2, &c->sec))
        return 0;
    return c->hour <= 23 && c->min <= 59 && c->sec <= 60;
}

/* RFC 3164 "Mmm dd HH:MM:SS" (15 bytes; "Mmm d HH:MM:SS" 14). Returns the length, 0 if not. */
static size_t ts3164(const char *s, size_t n, sl_time *t)
{
    if (n < 14 || s[3] != ' ')
        return 0;
    int mon = month_of(s);
    if (!mon)
        return 0;
    size_t i = 4;
    int day;
    if (s[4] == ' ' && is_digit((unsigned char)s[5])) {
        day = s[5] - '0';
        i = 6;
    } else if (is_digit((unsigned char)s[4]) && is_digit((unsigned char)s[5])) {
        day = (s[4] - '0') * 10 + (s[5] - '0');
        i = 6;
    } else if (is_digit((unsigned char)s[4]) && s[5] == ' ') {
        day = s[4] - '0';
        i = 5;
    } else {
        return 0;
    }
    if (n < i + 9 || s[i] != ' ' || !hms(s + i + 1, &t->c))
        return 0;
    if (day < 1 || day > 31)
        return 0;
    t->c.mon = mon;
    t->c.day = day;
    t->c.year = 0;
    t->c.usec = 0;
    t->has_year = 0;
    t->has_off = 0;
    t->off_s = 0;
    return i + 9;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|+-HH:MM]" as a whole word s[0..n). */
static int ts3339(const char *s, size_t n, sl_time *t)
{
    ipl_civil *c = &t->c;
    if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || !num(s, 4, &c->year) ||
        !num(s + 5, 2, &c->mon) || !num(s + 8, 2, &c->day) || !hms(s + 11, c))
        return 0;
    size_t i = 19;
    c->usec = 0;
    if (i < n && s[i] == '.') {
        size_t k = ++i;
        int us = 0, nd = 0;
        while (i < n && is_digit((unsigned char)s[i])) {
            if (nd < 6) {
                us = us * 10 + (s[i] - '0');
                nd++;
            }
            i++;
        }
        if (i == k || i - k > 9)
            return 0;
        while (nd < 6) {
            us *= 10;
            nd++;
        }
        c->usec = us;
    }
    t->has_year = 1;
    t->has_off = 0;
    t->off_s = 0;
    if (i == n)
        return 1;                               /* no offset: local time */
    if (s[i] == 'Z' && i + 1 == n) {
        t->has_off = 1;
        return 1;
    }
    int oh, om;
    if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' && num(s + i + 1, 2, &oh) &&
        num(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        t->has_off = 1;
        t->off_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        return 1;
    }
    return 0;
}

/* ---- header parts ------------------------------------------------------------------------ */

/* RFC 3164 / ISO: "[host ]tag[pid]: msg" from s[i]. */
static int tag_part(const char *s, size_t n, size_t i, ipl_syslog *out, ipl_diag *d)
{
    char q[SL_QBUF];
    size_t w = word_end(s, i, n);
    /* is the first word a tag already (no host)? "tag:" or "tag[pid]:", but not an IPv6 host
     * that happens to end in ':' ("fe80::") */
    int first_is_tag = w > i && s[w - 1] == ':' && memchr(s + i, ':', w - i - 1) == NULL;
    out->host = s + i;
    out->host_len = 0;
    if (!first_is_tag) {
        if (w == i)
            return ipl_diag_set(d, IPL_EPARSE, "syslog header has no hostname after the timestamp");
        if (w - i > SL_HOST_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "syslog hostname is %zu bytes long, longer than the "
                                "%d-byte limit", w - i, SL_HOST_MAX);
        out->host_len = w - i;
        i = w;
        while (i < n && s[i] == ' ')
            i++;
    }
    /* the tag: up to '[', ':' or a blank */
    size_t t0 = i;
    while (i < n && s[i] != '[' && s[i] != ':' && s[i] != ' ' && s[i] != '\t')
        i++;
    size_t t1 = i;
    out->tag = s + t0;
    out->tag_len = 0;
    out->pid = s + t1;
    out->pid_len = 0;
    if (i < n && s[i] == '[') {
        size_t p0 = ++i;
        while (i < n && s[i] != ']' && s[i] != ' ')
            i++;
        if (i == n || s[i] != ']') {
            /* "[" without "]": not a tag; the message starts at the word */
            out->msg = s + t0;
            out->msg_len = n - t0;
            return IPL_OK;
        }
        if (i - p0 > SL_PID_MAX)
            return ipl_diag_set(d, IPL_EPARSE, "syslog pid '%s' is longer than the %d-byte limit",
                                quote(q, s + p0, i - p0), SL_PID_MAX);
        out->pid = s + p0;
        out->pid_len = i - p0;
        i++;
        if (i < n && s[i] == ':')
            i++;
        else if (i < n && s[i] != ' ')
            goto untagged;
    } else if (i < n && s[i] == ':') {
        i++;
    } else {
        goto untagged;
    }
    if (t1 == t0)
        goto untagged;
    if (t1 - t0 > SL_TAG_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "syslog tag '%s' is longer than the %d-byte limit",
                            quote(q, s + t0, t1 - t0), SL_TAG_MAX);
    out->tag_len = t1 - t0;
    if (i < n && s[i] == ' ')
        i++;
    out->msg = s + i;
    out->msg_len = n - i;
    return IPL_OK;
untagged:
    out->tag_len = 0;
    out->pid = s + t0;
    out->pid_len = 0;
    out->msg = s + t0;
    out->msg_len = n - t0;
    return IPL_OK;
}

/* One RFC 5424 header field (up to a SP); '-' is empty. */
static int field5424(const char *s, size_t n, size_t *i, const char **p, size_t *len, size_t max,
                     const char *what, ipl_diag *d)
{
    char q[SL_QBUF];
    size_t e = *i;
    while (e < n && s[e] != ' ')
        e++;
    if (*i >= n)
        return ipl_diag_set(d, IPL_EPARSE, "syslog RFC 5424 header ends before the %s", what);
    if (e == *i)
        return ipl_diag_set(d, IPL_EPARSE, "syslog RFC 5424 %s is empty (use '-' for none)", what);
    if (e == n)
        return ipl_diag_set(d, IPL_EPARSE, "syslog RFC 5424 header ends after the %s", what);
    if (e - *i > max)
        return ipl_diag_set(d, IPL_EPARSE, "syslog %s '%s' is longer than the %zu-byte limit",
                            what, quote(q, s + *i, e - *i), max);
    *p = s + *i;
    *len = e - *i;
    if (*len == 1 && s[*i] == '-')
        *len = 0;
    *i = e + 1;
    return IPL_OK;
}

static int sd_name_char(int c)
{
    return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
}

/* Skips STRUCTURED-DATA at s[*i]: "-" or 1+ "[id k="v" ...]". */
static int skip_sd(const char *s, size_t n, size_t *i, ipl_diag *d)
{
    size_t p = *i;
    if (p < n && s[p] == '-') {
        *i = p + 1;
        return IPL_OK;
    }
    if (p >= n || s[p] != '[')
        return ipl_diag_set(d, IPL_EPARSE, "syslog structured data at offset %zu is neither '-' "
                            "nor '['", p);
    while (p < n && s[p] == '[') {
        size_t start = p++;
        size_t k = p;
        while (p < n && sd_name_char((unsigned char)s[p]))
            p++;
        if (p == k || p - k > 32)
            return ipl_diag_set(d, IPL_EPARSE, "syslog structured data element at offset %zu has "
                                "no valid SD-ID", start);
        while (p < n && s[p] == ' ') {
            p++;
            k = p;
            while (p < n && sd_name_char((unsigned char)s[p]))
                p++;
            if (p == k || p - k > 32 || p + 1 >= n || s[p] != '=' || s[p + 1] != '"')
                return ipl_diag_set(d, IPL_EPARSE, "syslog structured data parameter at offset "
                                    "%zu is not name=\"value\"", k);
            p += 2;
            while (p < n && s[p] != '"') {
                if (s[p] == '\\' && p + 1 < n)
                    p++;
                p++;
            }
            if (p >= n)
                return ipl_diag_set(d, IPL_EPARSE, "syslog structured data value at offset %zu "
                                    "is not terminated", k);
            p++;                                    /* the closing quote */
        }
        if (p >= n || s[p] != ']')
            return ipl_diag_set(d, IPL_EPARSE, "syslog structured data element at offset %zu is "
                                "not terminated by ']'", start);
        p++;
    }
    *i = p;
    return IPL_OK;
}

/* Splits a line into envelope parts and the time as read (no zone applied). */
static int env_split(const char *s, size_t n, ipl_syslog *out, sl_time *t, ipl_diag *d)
{
    char q[SL_QBUF];
    if (n > SL_LINE_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %d-byte limit", n,
                            SL_LINE_MAX);
    while (n && s[n - 1] == '\r')
        n--;
    size_t i = 0;
    out->pri = -1;
    if (n && s[0] == '<') {
        size_t k = 1;
        int v = 0;
        while (k < n && k < 5 && is_digit((unsigned char)s[k]))
            v = v * 10 + (s[k++] - '0');
        if (k == 1 || k > 4 || k >= n || s[k] != '>' || v > 191)
            return ipl_diag_set(d, IPL_EPARSE, "syslog priority '%s' is not <0> to <191>",
                                quote(q, s, word_end(s, 0, n) < 8 ? word_end(s, 0, n) : 8));
        out->pri = v;
        i = k + 1;
    }
    /* RFC 5424: VERSION SP TIMESTAMP ... */
    size_t w = word_end(s, i, n);
    if (w > i && w - i <= 3 && w < n && s[i] != '0' && num(s + i, w - i, &(int){0}) &&
        (out->pri >= 0 || (w + 1 < n && (is_digit((unsigned char)s[w + 1]) || s[w + 1] == '-')))) {
        out->rfc = 5424;
        i = w + 1;
        w = word_end(s, i, n);
        if (w - i == 1 && s[i] == '-')
            return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp is the NILVALUE '-': the record "
                                "has no time");
        t->txt = s + i;
        t->txt_len = w - i;
        if (!ts3339(s + i, w - i, t) || !t->has_off)
            return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp '%s' is not an RFC 3339 time "
                                "with an offset", quote(q, s + i, w - i));
        if (w == n)
            return ipl_diag_set(d, IPL_EPARSE, "syslog RFC 5424 header ends after the timestamp");
        i = w + 1;
        const char *msgid;
        size_t msgid_len;
        int rc;
        if ((rc = field5424(s, n, &i, &out->host, &out->host_len, SL_HOST_MAX, "hostname",
                            d)) != IPL_OK ||
            (rc = field5424(s, n, &i, &out->tag, &out->tag_len, SL_TAG_MAX, "app-name", d)) != IPL_OK ||
            (rc = field5424(s, n, &i, &out->pid, &out->pid_len, SL_PID_MAX, "procid", d)) != IPL_OK)
            return rc;
        /* MSGID may end the line only if SD follows; it must be followed by SP SD */
        if ((rc = field5424(s, n, &i, &msgid, &msgid_len, SL_MSGID_MAX, "msgid", d)) != IPL_OK)
            return rc;
        if ((rc = skip_sd(s, n, &i, d)) != IPL_OK)
            return rc;
        if (i < n && s[i] != ' ')
            return ipl_diag_set(d, IPL_EPARSE, "syslog structured data is followed by '%s', not "
                                "a blank", quote(q, s + i, n - i));
        if (i < n)
            i++;
        if (n - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0)
            i += 3;
        out->msg = s + i;
        out->msg_len = n - i;
        goto check_nul;
    }
    /* ISO (rsyslog file format) */
    if (n - i >= 19 && is_digit((unsigned char)s[i]) && s[i + 4] == '-') {
        out->rfc = 5424;
        t->txt = s + i;
        t->txt_len = w - i;
        if (!ts3339(s + i, w - i, t))
            return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp '%s' is not an RFC 3339 time",
                                quote(q, s + i, w - i));
        i = w;
    } else {
        out->rfc = 3164;
        size_t tl = ts3164(s + i, n - i, t);
        if (!tl)
            return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp '%s' is not 'Mmm dd HH:MM:SS' "
                                "nor an RFC 3339 time", quote(q, s + i, n - i < 15 ? n - i : 15));
        t->txt = s + i;
        t->txt_len = tl;
        i += tl;
    }
    if (i < n && s[i] != ' ')
        return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp is followed by '%s', not a blank",
                            quote(q, s + i, n - i < 8 ? n - i : 8));
    while (i < n && s[i] == ' ')
        i++;
    int rc = tag_part(s, n, i, out, d);
    if (rc != IPL_OK)
        return rc;
check_nul:
    if (memchr(s, '\0', (size_t)(out->msg - s)) != NULL)
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte in the syslog header");
    return IPL_OK;
}

/* ---- time resolution --------------------------------------------------------------------- */

static int has_last(int64_t last)
{
    return last != 0 && last != INT64_MIN;
}

static int resolve_time(ipl_parse_ctx *ctx, sl_time *t, int64_t *ts, ipl_diag *d)
{
    char q[SL_QBUF];
    const char *s = t->txt;
    size_t n = t->txt_len;
    if (t->has_off) {
        if (!ipl_civil_valid(&t->c))
            goto bad;
        *ts = ipl_civil_to_us(&t->c) - (int64_t)t->off_s * IPL_US_PER_SEC;
        ctx->last_ts = *ts;
        return IPL_OK;
    }
    if (!t->has_year) {
        ipl_civil ref;
        if (has_last(ctx->last_ts)) {
            ipl_tz_to_local(ctx->tz, ctx->last_ts, &ref, NULL, NULL);
            t->c.year = ref.year;
            if (ref.mon - t->c.mon > 6)
                t->c.year++;
            else if (t->c.mon - ref.mon > 6)
                t->c.year--;
        } else if (ctx->year_hint) {
            t->c.year = ctx->year_hint;
        } else {
            ipl_tz_to_local(ctx->tz, ctx->now, &ref, NULL, NULL);
            t->c.year = ref.year;
            int64_t e, l;
            if (ipl_tz_to_utc(ctx->tz, &t->c, &e, &l) >= 0 && e > ctx->now + SL_DAY_US)
                t->c.year--;
        }
        if (!ipl_civil_valid(&t->c))
            return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp '%s' is not a valid date in the "
                                "inferred year %d", quote(q, s, n), t->c.year);
    }
    if (!ipl_civil_valid(&t->c) || ipl_tz_resolve(ctx->tz, &t->c, &ctx->last_ts, ts) != IPL_OK)
        goto bad;
    return IPL_OK;
bad:
    return ipl_diag_set(d, IPL_EPARSE, "syslog timestamp '%s' is not a valid date and time",
                        quote(q, s, n));
}

int ipl_syslog_parse(ipl_parse_ctx *ctx, const char *line, size_t len, ipl_syslog *out, ipl_diag *d)
{
    sl_time t;
    memset(out, 0, sizeof *out);
    int rc = env_split(line, len, out, &t, d);
    if (rc != IPL_OK)
        return rc;
    return resolve_time(ctx, &t, &out->ts, d);
}

/* ---- rsyslog "message repeated N times: [ MSG]" ------------------------------------------ */

/* The form and the contract: parsers/syslog.h. */
int ipl_syslog_unrepeat(ipl_syslog *env, unsigned long *count, ipl_diag *d)
{
    static const char pre[] = "message repeated ";
    static const char mid[] = " times: [";
    const char *s = env->msg;
    size_t n = env->msg_len, i = sizeof pre - 1;
    *count = 1;
    if (n < i || memcmp(s, pre, i) != 0)
        return IPL_OK;
    unsigned long v = 0;
    size_t k = i;
    while (i < n && is_digit((unsigned char)s[i]) && i - k < 10)
        v = v * 10 + (unsigned long)(s[i++] - '0');
    if (i == k || n - i < sizeof mid - 1 + 1 || memcmp(s + i, mid, sizeof mid - 1) != 0 ||
        s[n - 1] != ']')
        return IPL_OK;
    i += sizeof mid - 1;
    if (i < n - 1 && s[i] == ' ')
        i++;
    if (v > IPL_SYSLOG_REPEAT_MAX) {
        *count = 0;
        return ipl_diag_set(d, IPL_EPARSE, "'message repeated %lu times' exceeds the limit of %d "
                            "repetitions", v, IPL_SYSLOG_REPEAT_MAX);
    }
    *count = v;
    env->msg = s + i;
    env->msg_len = n - 1 - i;
    return IPL_OK;
}

/* ---- probe ------------------------------------------------------------------------------- */

int ipl_syslog_probe_envelope(const char *sample, size_t len)
{
    size_t pos = 0;
    int good = 0, bad = 0;
    while (pos < len && good + bad < 8) {
        const char *nl = memchr(sample + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - sample) : len;
        const char *l = sample + pos;
        size_t n = end - pos;
        /* a last line without '\n' was cut by the 64 KiB sample, unless the sample is shorter */
        int partial = nl == NULL && len >= SL_SAMPLE_MAX;
        pos = end + 1;
        if (partial)
            break;
        if (n == 0 || (n == 1 && l[0] == '\r'))
            continue;
        ipl_syslog e;
        sl_time t;
        if (env_split(l, n, &e, &t, NULL) == IPL_OK)
            good++;
        else
            bad++;
    }
    return good > 0 && bad == 0;
}

/* ---- parsers of one program's lines ---- */

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int ipl_syslog_tag_in(const ipl_syslog *env, const char *const *tags)
{
    for (size_t k = 0; tags[k]; k++)
        if (env->tag_len == strlen(tags[k]) && memcmp(env->tag, tags[k], env->tag_len) == 0)
            return 1;
    return 0;
}

int ipl_syslog_probe_tags(const char *s, size_t len, const char *const *tags)
{
    ipl_parse_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.tz = ipl_tz_utc();
    pc.year_hint = 2000;
    size_t pos = 0;
    int total = 0, ours = 0;
    while (pos < len && total < 32) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + pos;
        size_t n = end - pos;
        int partial = nl == NULL && pos > 0;
        pos = end + 1;
        if (partial || blank_line(l, n))
            continue;
        ipl_syslog env;
        pc.last_ts = 0;
        if (ipl_syslog_parse(&pc, l, n, &env, NULL) != IPL_OK)
            return 0;
        total++;
        ours += ipl_syslog_tag_in(&env, tags);
    }
    if (ours == 0)
        return 0;
    return ours == total ? 90 : 2 * ours >= total ? 60 : 40;
}

int ipl_syslog_tagged_line(ipl_parse_ctx *ctx, const char *line, size_t len,
                           const char *const *tags, ipl_syslog_msg_fn msg, void *state,
                           ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    if (blank_line(line, len))
        return IPL_OK;
    ipl_syslog env;
    int rc = ipl_syslog_parse(ctx, line, len, &env, d);
    if (rc != IPL_OK)
        return rc;
    if (!ipl_syslog_tag_in(&env, tags))
        return IPL_OK;                               /* another program of the same log */
    unsigned long count;                             /* rsyslog "message repeated N times" */
    rc = ipl_syslog_unrepeat(&env, &count, d);
    for (unsigned long k = 0; k < count && rc == IPL_OK; k++)
        rc = msg(ctx, &env, state, emit, emit_ctx, d);
    return rc;
}
