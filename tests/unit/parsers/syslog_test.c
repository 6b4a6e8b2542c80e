/* tests/unit/parsers/syslog_test.c — the syslog envelope (parsers/syslog.c): RFC 3164 with and
 * without <PRI> and hostname, RFC 5424 with structured data (escaped ']' and '"'), NILVALUEs and
 * a BOM, the rsyslog ISO file format, the RFC 3164 year rule (now, year_hint, last_ts, Dec -> Jan
 * rollover, late lines, Feb 29), local zones and DST overlaps, refused lines with their exact
 * reasons, and ipl_syslog_probe_envelope against the samples of the other formats.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "parsers/syslog.h"

#include <stdio.h>
#include <string.h>

static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;
static ipl_syslog env;

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))
#define TU(y, mo, d, h, mi, s, us) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, us}))

static void ctx_reset(const ipl_tz *tz)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = tz;
    ctx.arena = &arena;
    ctx.now = T(2024, 6, 1, 12, 0, 0);
}

static int parse(const char *line)
{
    ipl_diag_clear(&diag);
    memset(&env, 0xAA, sizeof env);
    return ipl_syslog_parse(&ctx, line, strlen(line), &env, &diag);
}

static char sbuf[4][256];

static const char *S(int k, const char *p, size_t n)
{
    snprintf(sbuf[k], sizeof sbuf[k], "%.*s", (int)n, p);
    return sbuf[k];
}

#define HOST S(0, env.host, env.host_len)
#define TAG  S(1, env.tag, env.tag_len)
#define PID  S(2, env.pid, env.pid_len)
#define MSG  S(3, env.msg, env.msg_len)

/* ---- RFC 3164 ---- */

static void test_rfc3164(void)
{
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1"),
              IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_INT(env.pri, -1);
    CHECK_INT(env.rfc, 3164);
    CHECK_STR(HOST, "dhcp01");
    CHECK_STR(TAG, "dhcpd");
    CHECK_STR(PID, "1123");
    CHECK_STR(MSG, "DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1");
    CHECK_INT(ctx.last_ts, T(2024, 5, 1, 8, 15, 32));

    /* FORMATS.md 7.3 */
    CHECK_INT(parse("<38>May  1 08:17:11 web01 sshd[4301]: Invalid user admin from 203.0.113.50 port 41873"),
              IPL_OK);
    CHECK_INT(env.pri, 38);
    CHECK_INT(env.rfc, 3164);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 17, 11));
    CHECK_STR(HOST, "web01");
    CHECK_STR(TAG, "sshd");
    CHECK_STR(PID, "4301");
    CHECK_STR(MSG, "Invalid user admin from 203.0.113.50 port 41873");

    /* no pid */
    CHECK_INT(parse("May  1 07:02:44 dhcp01 kernel: [ 3601.224311] e1000e: eth0 NIC Link is Up"), IPL_OK);
    CHECK_STR(TAG, "kernel");
    CHECK_STR(PID, "");
    CHECK_STR(MSG, "[ 3601.224311] e1000e: eth0 NIC Link is Up");

    /* dnsmasq --log-facility=/file: no hostname (FORMATS.md 4.1); trailing blank kept */
    CHECK_INT(parse("May  1 08:15:32 dnsmasq-dhcp[812]: DHCPDISCOVER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f "),
              IPL_OK);
    CHECK_STR(HOST, "");
    CHECK_STR(TAG, "dnsmasq-dhcp");
    CHECK_STR(PID, "812");
    CHECK_STR(MSG, "DHCPDISCOVER(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f ");
    CHECK_INT(parse("May  1 08:15:32 kernel: hello"), IPL_OK);
    CHECK_STR(HOST, "");
    CHECK_STR(TAG, "kernel");
    CHECK_STR(MSG, "hello");

    /* an IPv6 host (ends in "::"-style text but is an address, not a tag) */
    CHECK_INT(parse("May  1 08:15:32 2001:db8::1 sshd[1]: x"), IPL_OK);
    CHECK_STR(HOST, "2001:db8::1");
    CHECK_STR(TAG, "sshd");

    /* two-digit day, single-space day, slash tags, a pid without ':' */
    CHECK_INT(parse("May 11 08:15:32 h postfix/smtpd[77]: connect"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 11, 8, 15, 32));
    CHECK_STR(TAG, "postfix/smtpd");
    CHECK_INT(parse("May 1 08:15:32 h cron[9] x"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_STR(TAG, "cron");
    CHECK_STR(MSG, "x");
    CHECK_INT(parse("May 01 08:15:32 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));

    /* untagged: sysklogd's repeat line is syslog with an empty tag */
    CHECK_INT(parse("May  1 18:20:05 dhcp01 last message repeated 3 times"), IPL_OK);
    CHECK_STR(HOST, "dhcp01");
    CHECK_STR(TAG, "");
    CHECK_STR(MSG, "last message repeated 3 times");
    CHECK_INT(parse("May  1 18:20:05 dhcp01 x[1 y"), IPL_OK);   /* '[' without ']' */
    CHECK_STR(TAG, "");
    CHECK_STR(MSG, "x[1 y");
    CHECK_INT(parse("May  1 18:20:05 dhcp01"), IPL_OK);           /* empty message */
    CHECK_STR(HOST, "dhcp01");
    CHECK_STR(MSG, "");

    /* a trailing CR; invalid UTF-8 in the message is the sub-parser's business */
    CHECK_INT(parse("May  1 08:15:32 h t: m\r"), IPL_OK);
    CHECK_STR(MSG, "m");
    CHECK_INT(parse("May  1 08:15:32 h t: \xff\xfe"), IPL_OK);
    CHECK_INT((int)env.msg_len, 2);
    /* NUL bytes in the message pass; in the header they do not */
    static const char nulmsg[] = "May  1 08:15:32 h t: a\0b";
    ipl_diag_clear(&diag);
    CHECK_INT(ipl_syslog_parse(&ctx, nulmsg, sizeof nulmsg - 1, &env, &diag), IPL_OK);
    CHECK_INT((int)env.msg_len, 3);
    static const char nulhdr[] = "May  1 08:15:32 h\0x t: a";
    CHECK_INT(ipl_syslog_parse(&ctx, nulhdr, sizeof nulhdr - 1, &env, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte in the syslog header");

    /* month names in any case */
    CHECK_INT(parse("DEC 24 10:00:00 h t: m"), IPL_OK);
    CHECK_INT(parse("jan  2 10:00:00 h t: m"), IPL_OK);
}

/* ---- RFC 5424 ---- */

static void test_rfc5424(void)
{
    ctx_reset(ipl_tz_utc());
    /* FORMATS.md 7.3 */
    CHECK_INT(parse("<86>1 2024-05-01T08:17:10.044121+02:00 web01 sshd-session 4301 - - Failed password for invalid user admin from 2001:db8:10:20::1a2b port 41872 ssh2"),
              IPL_OK);
    CHECK_INT(env.pri, 86);
    CHECK_INT(env.rfc, 5424);
    CHECK_INT(env.ts, TU(2024, 5, 1, 6, 17, 10, 44121));
    CHECK_STR(HOST, "web01");
    CHECK_STR(TAG, "sshd-session");
    CHECK_STR(PID, "4301");
    CHECK_STR(MSG, "Failed password for invalid user admin from 2001:db8:10:20::1a2b port 41872 ssh2");
    CHECK_INT(ctx.last_ts, TU(2024, 5, 1, 6, 17, 10, 44121));

    /* the syntax header of the spec: structured data skipped, escapes inside values */
    CHECK_INT(parse("<34>1 2024-05-01T08:15:32.003Z host app - ID47 [ex@1 a=\"x\\]y\\\"z\" b=\"2\"][id2] msg ] with \"brackets\""),
              IPL_OK);
    CHECK_INT(env.ts, TU(2024, 5, 1, 8, 15, 32, 3000));
    CHECK_STR(TAG, "app");
    CHECK_STR(PID, "");
    CHECK_STR(MSG, "msg ] with \"brackets\"");
    CHECK_INT(parse("<34>1 2024-05-01T08:15:32Z h a p m [x@1 k=\"a\\\\\"] tail"), IPL_OK);
    CHECK_STR(MSG, "tail");                                  /* \\ then the closing quote */

    /* NILVALUEs everywhere, no message */
    CHECK_INT(parse("<165>1 2024-05-01T08:15:32-05:30 - - - - -"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 13, 45, 32));
    CHECK_STR(HOST, "");
    CHECK_STR(TAG, "");
    CHECK_STR(PID, "");
    CHECK_STR(MSG, "");
    /* a BOM before the message is dropped */
    CHECK_INT(parse("<14>1 2024-05-01T08:15:32Z h a 1 - - \xEF\xBB\xBFhello"), IPL_OK);
    CHECK_STR(MSG, "hello");
    /* nine fractional digits: kept to the microsecond */
    CHECK_INT(parse("<14>1 2024-05-01T08:15:32.123456789Z h a 1 - - m"), IPL_OK);
    CHECK_INT(env.ts, TU(2024, 5, 1, 8, 15, 32, 123456));
    /* no PRI, but a version: still RFC 5424 */
    CHECK_INT(parse("1 2024-05-01T08:15:32Z h a 1 - - m"), IPL_OK);
    CHECK_INT(env.rfc, 5424);
    CHECK_INT(env.pri, -1);
    CHECK_STR(TAG, "a");
}

static void test_rsyslog_iso(void)
{
    ctx_reset(ipl_tz_utc());
    /* FORMATS.md 7.3 */
    CHECK_INT(parse("2024-05-01T17:02:15.002311+02:00 web01 sshd[4242]: pam_unix(sshd:session): session closed for user alice"),
              IPL_OK);
    CHECK_INT(env.rfc, 5424);
    CHECK_INT(env.pri, -1);
    CHECK_INT(env.ts, TU(2024, 5, 1, 15, 2, 15, 2311));
    CHECK_STR(HOST, "web01");
    CHECK_STR(TAG, "sshd");
    CHECK_STR(PID, "4242");
    CHECK_STR(MSG, "pam_unix(sshd:session): session closed for user alice");
    CHECK_INT(parse("<30>2024-05-01T08:15:32Z dhcp01 dhcpd[1]: x"), IPL_OK);
    CHECK_INT(env.pri, 30);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));
    /* no offset: local time */
    CHECK_INT(parse("2024-05-01T08:15:32 dhcp01 dhcpd[1]: x"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));
}

/* ---- the RFC 3164 year ---- */

static void test_year_rule(void)
{
    /* first line: the year of now (2024-06-01) */
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("May  1 08:15:32 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));
    /* first line more than a day after now: the year before */
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("Jun  3 00:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2023, 6, 3, 0, 0, 0));
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("Jun  2 11:00:00 h t: m"), IPL_OK);     /* within a day: this year */
    CHECK_INT(env.ts, T(2024, 6, 2, 11, 0, 0));
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("Dec 31 23:59:59 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2023, 12, 31, 23, 59, 59));

    /* year_hint anchors the first line, even in the future of now */
    ctx_reset(ipl_tz_utc());
    ctx.year_hint = 2031;
    CHECK_INT(parse("Dec 30 10:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2031, 12, 30, 10, 0, 0));
    /* ... then the lines follow: Dec -> Jan rolls over */
    CHECK_INT(parse("Dec 31 23:59:59 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2031, 12, 31, 23, 59, 59));
    CHECK_INT(parse("Jan  1 00:00:01 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2032, 1, 1, 0, 0, 1));
    /* a late December line after January lines: the year before */
    CHECK_INT(parse("Dec 31 23:59:58 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2031, 12, 31, 23, 59, 58));
    CHECK_INT(parse("Jan  1 00:00:05 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2032, 1, 1, 0, 0, 5));
    /* small steps back keep the year */
    CHECK_INT(parse("Feb  3 00:00:00 h t: m"), IPL_OK);
    CHECK_INT(parse("Jan 31 23:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2032, 1, 31, 23, 0, 0));

    /* a resumed source: last_ts from the saved position decides, not now */
    ctx_reset(ipl_tz_utc());
    ctx.last_ts = T(2019, 11, 30, 0, 0, 0);
    CHECK_INT(parse("Dec  1 00:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2019, 12, 1, 0, 0, 0));
    /* INT64_MIN ("no previous event" in engine/tz.c) counts as none */
    ctx_reset(ipl_tz_utc());
    ctx.last_ts = INT64_MIN;
    CHECK_INT(parse("May  1 00:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 5, 1, 0, 0, 0));

    /* a line with a year sets last_ts for the RFC 3164 lines after it */
    ctx_reset(ipl_tz_utc());
    CHECK_INT(parse("2020-12-31T23:00:00Z h t: m"), IPL_OK);
    CHECK_INT(parse("Jan  1 01:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2021, 1, 1, 1, 0, 0));

    /* Feb 29 exists in 2024, not in 2023 */
    ctx_reset(ipl_tz_utc());
    ctx.year_hint = 2024;
    CHECK_INT(parse("Feb 29 12:00:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 2, 29, 12, 0, 0));
    ctx_reset(ipl_tz_utc());
    ctx.year_hint = 2023;
    CHECK_INT(parse("Feb 29 12:00:00 h t: m"), IPL_EPARSE);
    CHECK_STR(diag.msg, "syslog timestamp 'Feb 29 12:00:00' is not a valid date in the inferred year 2023");
    CHECK_INT(ctx.last_ts, 0);                               /* a refused line moves nothing */
}

static void test_time_zones(void)
{
    ipl_tz *berlin = NULL;
    ipl_diag d;
    CHECK_INT(ipl_tz_load(&berlin, "Europe/Berlin", &d), IPL_OK);
    if (!berlin)
        return;
    ctx_reset(berlin);
    CHECK_INT(parse("May  1 08:15:32 h t: m"), IPL_OK);      /* CEST */
    CHECK_INT(env.ts, T(2024, 5, 1, 6, 15, 32));
    CHECK_INT(parse("2024-05-01T08:15:32 h t: m"), IPL_OK);  /* ISO without offset: local */
    CHECK_INT(env.ts, T(2024, 5, 1, 6, 15, 32));
    CHECK_INT(parse("2024-05-01T08:15:32Z h t: m"), IPL_OK); /* with an offset: as written */
    CHECK_INT(env.ts, T(2024, 5, 1, 8, 15, 32));

    /* fall back 2024-10-27: 02:00-02:59 twice; the file's order decides */
    ctx_reset(berlin);
    ctx.year_hint = 2024;
    CHECK_INT(parse("Oct 27 01:59:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 10, 26, 23, 59, 0));
    CHECK_INT(parse("Oct 27 02:30:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 10, 27, 0, 30, 0));
    CHECK_INT(parse("Oct 27 02:10:00 h t: m"), IPL_OK);      /* the second 02:10 (CET) */
    CHECK_INT(env.ts, T(2024, 10, 27, 1, 10, 0));
    /* spring forward 2024-03-31: 02:30 does not exist */
    ctx_reset(berlin);
    ctx.year_hint = 2024;
    CHECK_INT(parse("Mar 31 02:30:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2024, 3, 31, 1, 30, 0));
    /* New Year local vs UTC: 00:30 on Jan 1 in Berlin is Dec 31 UTC; the rollover is local */
    ctx_reset(berlin);
    ctx.year_hint = 2023;
    CHECK_INT(parse("Dec 31 23:30:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2023, 12, 31, 22, 30, 0));
    CHECK_INT(parse("Jan  1 00:30:00 h t: m"), IPL_OK);
    CHECK_INT(env.ts, T(2023, 12, 31, 23, 30, 0));
    CHECK_INT(parse("Jan  1 00:40:00 h t: m"), IPL_OK);      /* last_ts is Dec 31 UTC, Jan local */
    CHECK_INT(env.ts, T(2023, 12, 31, 23, 40, 0));
    ipl_tz_free(berlin);
}

/* ---- refused lines ---- */

static void test_errors(void)
{
    ctx_reset(ipl_tz_utc());
    struct {
        const char *line, *reason;
    } bad[] = {
        {"Mai  1 08:15:32 x y: z",
         "syslog timestamp 'Mai  1 08:15:32' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time"},
        {"May 32 08:15:32 x y: z",
         "syslog timestamp 'May 32 08:15:32' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time"},
        {"May  1 24:15:32 x y: z",
         "syslog timestamp 'May  1 24:15:32' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time"},
        {"Apr 31 08:15:32 x y: z",
         "syslog timestamp 'Apr 31 08:15:32' is not a valid date in the inferred year 2024"},
        {"May  1 08:15:32.123 x y: z", "syslog timestamp is followed by '.123 x y', not a blank"},
        {"May  1 08:15:32", "syslog header has no hostname after the timestamp"},
        {"May  1 08:15:32 ", "syslog header has no hostname after the timestamp"},
        {"<192>May  1 08:15:32 x y: z", "syslog priority '<192>May' is not <0> to <191>"},
        {"<>May  1 08:15:32 x y: z", "syslog priority '<>May' is not <0> to <191>"},
        {"<1x>May  1 08:15:32 x y: z", "syslog priority '<1x>May' is not <0> to <191>"},
        {"10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1,0",
         "syslog timestamp '10,05/01/24,08:' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time"},
        {"", "syslog timestamp '' is not 'Mmm dd HH:MM:SS' nor an RFC 3339 time"},
        {"<34>1 - host app - - - x", "syslog timestamp is the NILVALUE '-': the record has no time"},
        {"<34>1 2024-05-01T08:15:32.003 host app - - - x",
         "syslog timestamp '2024-05-01T08:15:32.003' is not an RFC 3339 time with an offset"},
        {"<34>1 2024-05-01 08:15:32Z host app - - - x",
         "syslog timestamp '2024-05-01' is not an RFC 3339 time with an offset"},
        {"<34>1 2024-05-01T08:15:32Z host app", "syslog RFC 5424 header ends after the app-name"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID", "syslog RFC 5424 header ends after the msgid"},
        {"<34>1 2024-05-01T08:15:32Z host app ", "syslog RFC 5424 header ends before the procid"},
        {"<34>1 2024-05-01T08:15:32Z host  app - - - x",
         "syslog RFC 5424 app-name is empty (use '-' for none)"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [a b=\"c\" x",
         "syslog structured data parameter at offset 50 is not name=\"value\""},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [a b=\"c\"",
         "syslog structured data element at offset 41 is not terminated by ']'"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [a b=\"c\\\"] x",
         "syslog structured data value at offset 44 is not terminated"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [a b=c] x",
         "syslog structured data parameter at offset 44 is not name=\"value\""},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [] x",
         "syslog structured data element at offset 41 has no valid SD-ID"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID x",
         "syslog structured data at offset 41 is neither '-' nor '['"},
        {"<34>1 2024-05-01T08:15:32Z host app - ID [a]x",
         "syslog structured data is followed by 'x', not a blank"},
        {"2024-05-01T08:15:32+25:00 h t: m",
         "syslog timestamp '2024-05-01T08:15:32+25:00' is not an RFC 3339 time"},
        {"2024-02-30T08:15:32Z h t: m",
         "syslog timestamp '2024-02-30T08:15:32Z' is not a valid date and time"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i].line);
        CHECK_INT(rc, IPL_EPARSE);
        CHECK_STR(diag.msg, bad[i].reason);
        if (rc != IPL_EPARSE || strcmp(diag.msg, bad[i].reason) != 0)
            fprintf(stderr, "   line %zu: %s\n", i, bad[i].line);
    }
    CHECK_INT(ctx.last_ts, 0);                               /* refused lines move nothing */

    /* caps */
    char line[70000];
    memset(line, 'a', sizeof line);
    memcpy(line, "May  1 08:15:32 ", 16);
    line[16 + 256] = ' ';
    line[16 + 256 + 1] = '\0';
    CHECK_INT(parse(line), IPL_EPARSE);
    CHECK_STR(diag.msg, "syslog hostname is 256 bytes long, longer than the 255-byte limit");
    memcpy(line, "May  1 08:15:32 h ", 18);
    memset(line + 18, 't', 129);
    memcpy(line + 18 + 129, ": m", 4);
    CHECK_INT(parse(line), IPL_EPARSE);
    CHECK(strstr(diag.msg, "' is longer than the 128-byte limit") != NULL);
    CHECK(strncmp(diag.msg, "syslog tag 'tttt", 16) == 0);
    memset(line, 'a', sizeof line);
    memcpy(line, "May  1 08:15:32 h t: ", 21);
    CHECK_INT(ipl_syslog_parse(&ctx, line, 65537, &env, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "line is 65537 bytes, longer than the 65536-byte limit");
    CHECK_INT(ipl_syslog_parse(&ctx, line, 65536, &env, &diag), IPL_OK);
}

/* ---- probe ---- */

static int probe(const char *s)
{
    return ipl_syslog_probe_envelope(s, strlen(s));
}

static void test_probe(void)
{
    CHECK_INT(probe("May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0\n"
                    "May  1 08:17:01 dhcp01 CRON[4101]: (root) CMD (true)\n"), 1);
    CHECK_INT(probe("<86>1 2024-05-01T08:17:10.044121+02:00 web01 sshd-session 4301 - - Failed\n"), 1);
    CHECK_INT(probe("2024-05-01T17:02:15.002311+02:00 web01 sshd[4242]: pam_unix\n"), 1);
    CHECK_INT(probe("May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n"), 1);
    CHECK_INT(probe("May  1 08:15:32 h t: m\nMay  1 08:1"), 0);   /* a whole file: judged */
    CHECK_INT(probe("May  1 08:15:32 h t: m"), 1);                 /* no final LF */
    static char cut[65536];
    memset(cut, 'x', sizeof cut);
    memcpy(cut, "May  1 08:15:32 h t: m\nMay  1 08:1", 34);
    CHECK_INT(ipl_syslog_probe_envelope(cut, sizeof cut), 1);      /* a sample: cut line skipped */
    CHECK_INT(probe("\n\nMay  1 08:15:32 h t: m\r\n"), 1);
    /* other formats (FORMATS.md samples) */
    CHECK_INT(probe("10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\n"), 0);
    CHECK_INT(probe("\t\tMicrosoft DHCP Service Activity Log\n\n\nEvent ID  Meaning\n00\tThe log was started.\n"), 0);
    CHECK_INT(probe("11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,\n"), 0);
    CHECK_INT(probe("2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds\n"), 0);
    CHECK_INT(probe("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
                    "10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,4000,1714548132,1,1,1,laptop-7q2.corp.example.com,0,,0\n"), 0);
    CHECK_INT(probe("2024-05-01 08:15:32 CEST Address: 10.20.30.41 has been assigned for 1 hrs 6 mins 40 secs to a device\n"), 0);
    CHECK_INT(probe("# The format of this file is documented in the dhcpd.leases(5) manual page.\nlease 10.20.30.41 {\n"), 0);
    CHECK_INT(probe("1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop-7q2 01:3c:52:82:6a:1b:2f\n"), 0);
    CHECK_INT(probe("Wed May  1 08:15:40 2024\n\tAcct-Session-Id = \"8B2C00001A\"\n"), 0);
    CHECK_INT(probe("<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>\n"), 0);
    CHECK_INT(probe("{\"__REALTIME_TIMESTAMP\":\"1714544162000000\",\"MESSAGE\":\"x\"}\n"), 0);
    /* one foreign line among syslog lines */
    CHECK_INT(probe("May  1 08:15:32 h t: m\nhello world\n"), 0);
    CHECK_INT(probe(""), 0);
    CHECK_INT(probe("\n\n"), 0);
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_rfc3164);
    RUN(test_rfc5424);
    RUN(test_rsyslog_iso);
    RUN(test_year_rule);
    RUN(test_time_zones);
    RUN(test_errors);
    RUN(test_probe);
    ipl_arena_release(&arena);
    return check_summary();
}
