/* tests/unit/parsers/freeradius_test.c — the FreeRADIUS detail parser (parsers/freeradius.c,
 * "freeradius-detail"): the FORMATS.md 6.5 sample with exact fields, record framing (empty line,
 * next header, end of input), pending(), Timestamp versus the header's local time, the status and
 * packet-type names, quoting and escapes, dual-stack records, refused lines and records with
 * their reasons, limits, probe scores against the other formats, and the fixture
 * tests/data/freeradius/detail-20240501.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- capture: every event and every refused line of a feed ---- */

#define CAP_MAX 64
#define ERR_MAX 128

typedef struct cev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], user[IPL_STR_MAX];
    int     null_mac, null_user, null_server, host_set, duid_set;
    int     at;                      /* 1-based line of the feed that emitted it (0 = finish) */
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][256];
} cev;

typedef struct cerr {
    int  at;                         /* 1-based line (0 = finish) */
    int  rc;
    char msg[IPL_DIAG_MAX];
} cerr;

static cev  ev[CAP_MAX];
static int  nev;
static cerr er[ERR_MAX];
static int  ner;
static int  cur_line;

static int on_event(void *c, const ipl_event *e)
{
    (void)c;
    if (nev >= CAP_MAX)
        return IPL_ELIMIT;
    cev *x = &ev[nev++];
    x->ts = e->ts;
    x->kind = e->kind;
    x->has_ip = e->has_ip;
    x->ip[0] = '\0';
    if (e->has_ip)
        ipl_ip_format(e->ip, x->ip, sizeof x->ip);
    x->null_mac = e->mac == NULL;
    snprintf(x->mac, sizeof x->mac, "%s", e->mac ? e->mac : "");
    x->null_user = e->user == NULL;
    snprintf(x->user, sizeof x->user, "%s", e->user ? e->user : "");
    x->null_server = e->server == NULL;
    x->host_set = e->host != NULL;
    x->duid_set = e->duid != NULL;
    x->at = cur_line;
    x->nattr = (int)e->nattr;
    for (uint32_t i = 0; i < e->nattr; i++) {
        x->key[i] = e->attr[i].key;
        snprintf(x->val[i], sizeof x->val[i], "%.*s", (int)e->attr[i].len, e->attr[i].val);
    }
    return IPL_OK;
}

static const char *attr_of(const cev *e, int key)
{
    for (int i = 0; i < e->nattr; i++)
        if (e->key[i] == key)
            return e->val[i];
    return NULL;
}

static const ipl_parser *P;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static void *state;

static void ctx_reset(const ipl_tz *tz)
{
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = tz;
    ctx.arena = &arena;
    memset(state, 0xA5, P->state_size);     /* init must not rely on zeroed state */
    P->init(state, &ctx);
    nev = ner = 0;
}

static void note_error(int rc, const ipl_diag *d)
{
    if (ner < ERR_MAX) {
        er[ner].at = cur_line;
        er[ner].rc = rc;
        snprintf(er[ner].msg, sizeof er[ner].msg, "%s", d->msg);
        ner++;
    }
}

/* One line of len bytes. */
static int line_n(const char *s, size_t len)
{
    ipl_diag d;
    ipl_diag_clear(&d);
    ipl_arena_clear(&arena);
    cur_line++;
    int rc = P->line(state, &ctx, s, len, on_event, NULL, &d);
    if (rc != IPL_OK) {
        CHECK(d.code == rc && d.msg[0] != '\0');
        note_error(rc, &d);
    }
    return rc;
}

/* Feeds text split on '\n' (a final line without '\n' is fed too, unless empty); clears the
 * capture first. */
static void feed(const char *text)
{
    nev = ner = 0;
    cur_line = 0;
    size_t len = strlen(text);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line_n(text + pos, end - pos);
        pos = end + 1;
    }
}

static int finish(void)
{
    ipl_diag d;
    ipl_diag_clear(&d);
    ipl_arena_clear(&arena);
    cur_line = 0;
    int rc = P->finish(state, &ctx, on_event, NULL, &d);
    if (rc != IPL_OK) {
        CHECK(d.code == rc && d.msg[0] != '\0');
        note_error(rc, &d);
    }
    return rc;
}

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))

/* One refused line expected, with this reason, at this line of the feed. */
static void expect_one_error(int at, const char *reason, int lineno)
{
    if (ner != 1 || er[0].at != at || er[0].rc != IPL_EPARSE || strcmp(er[0].msg, reason) != 0) {
        check_failed++;
        fprintf(stderr, "%s:%d: expected one error at line %d: \"%s\"\n", __FILE__, lineno, at, reason);
        for (int i = 0; i < ner; i++)
            fprintf(stderr, "    got at line %d rc %d: \"%s\"\n", er[i].at, er[i].rc, er[i].msg);
        if (!ner)
            fprintf(stderr, "    got none\n");
    } else {
        check_passed++;
    }
}

#define ONE_ERR(at, reason) expect_one_error(at, reason, __LINE__)

/* A record around the attribute lines `attrs` (each "\tName = value\n"), header 08:15:40. */
static const char *rec(const char *attrs)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "Wed May  1 08:15:40 2024\n%s\n", attrs);
    return buf;
}

/* ---- FORMATS.md 6.5 ---- */

static const char sample[] =
    "Wed May  1 08:15:40 2024\n"
    "\tAcct-Session-Id = \"8B2C00001A\"\n"
    "\tAcct-Status-Type = Start\n"
    "\tUser-Name = \"alice@corp.example.com\"\n"
    "\tNAS-IP-Address = 10.20.0.5\n"
    "\tNAS-Port = 13\n"
    "\tNAS-Port-Type = Wireless-802.11\n"
    "\tCalled-Station-Id = \"00-11-22-33-44-55:CorpWiFi\"\n"
    "\tCalling-Station-Id = \"3C-52-82-6A-1B-2F\"\n"
    "\tFramed-IP-Address = 10.20.30.41\n"
    "\tEvent-Timestamp = \"May  1 2024 08:15:40 CEST\"\n"
    "\tAcct-Unique-Session-Id = \"5f1c0a7e9d2b43e1c0ffee0123456789\"\n"
    "\tTimestamp = 1714544140\n"
    "\n";

static void test_sample(void)
{
    ctx_reset(ipl_tz_utc());
    CHECK_INT(P->pending(state), 0);
    feed(sample);
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 1);
    cev *e = &ev[0];
    CHECK_INT(e->at, 14);                         /* emitted at the empty line */
    CHECK_INT(e->kind, IPL_K_RADIUS_START);
    CHECK_INT(e->ts, INT64_C(1714544140) * 1000000);   /* Timestamp, not the header (UTC here) */
    CHECK_STR(e->ip, "10.20.30.41");
    CHECK_STR(e->mac, "3c52826a1b2f");
    CHECK_STR(e->user, "alice@corp.example.com");
    CHECK(e->null_server);                        /* no --server: ingest fills its own */
    CHECK(!e->host_set && !e->duid_set);
    CHECK_STR(attr_of(e, IPL_A_NAS), "10.20.0.5");
    CHECK_STR(attr_of(e, IPL_A_SESSION), "8B2C00001A");
    CHECK_STR(attr_of(e, IPL_A_PORT), "13");
    CHECK_STR(attr_of(e, IPL_A_NAS_PORT_TYPE), "Wireless-802.11");
    CHECK_STR(attr_of(e, IPL_A_CALLED), "00-11-22-33-44-55:CorpWiFi");
    CHECK_INT(e->nattr, 5);
    CHECK_INT(P->pending(state), 0);
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(nev, 1);

    /* --server is the event's server */
    ctx_reset(ipl_tz_utc());
    ctx.server = "radius01";
    feed(sample);
    CHECK_INT(nev, 1);
    CHECK(!ev[0].null_server);
    ctx.server = NULL;
}

/* pending() from the header to the end of the record; finish() takes an open record. */
static void test_framing(void)
{
    ctx_reset(ipl_tz_utc());
    static const char *const lines[] = {
        "Wed May  1 08:15:40 2024", "\tAcct-Status-Type = Start", "\tTimestamp = 1714544140", "",
    };
    int pend[] = {1, 1, 1, 0};
    nev = ner = 0;
    for (int i = 0; i < 4; i++) {
        CHECK_INT(line_n(lines[i], strlen(lines[i])), IPL_OK);
        CHECK_INT(P->pending(state), pend[i]);
    }
    CHECK_INT(nev, 1);

    /* blank lines between records, CRLF and blanks-only lines are empty lines too */
    ctx_reset(ipl_tz_utc());
    feed("\n\nWed May  1 08:15:40 2024\r\n\tAcct-Status-Type = Stop\r\n \t\r\n\r\n"
         "Wed May  1 08:15:41 2024\r\n\tAcct-Status-Type = Stop\r\n\r\n");
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 2);

    /* the file does not end with an empty line: finish() emits the last record */
    ctx_reset(ipl_tz_utc());
    feed("Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n\tTimestamp = 1714544140");
    CHECK_INT(nev, 0);
    CHECK_INT(P->pending(state), 1);
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].at, 0);
    CHECK_INT(ev[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(P->pending(state), 0);
    CHECK_INT(finish(), IPL_OK);                  /* nothing left */
    CHECK_INT(nev, 1);
    /* finish() on a record that cannot be emitted reports it */
    ctx_reset(ipl_tz_utc());
    feed("Wed May  1 08:15:40 2024\n");
    CHECK_INT(finish(), IPL_EPARSE);
    ONE_ERR(0, "record 'Wed May  1 08:15:40 2024': record has neither Packet-Type nor Acct-Status-Type");
    CHECK_INT(P->pending(state), 0);

    /* a header inside a record ends it (a record cut short by a crash) */
    ctx_reset(ipl_tz_utc());
    feed("Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n"
         "Wed May  1 08:15:50 2024\n\tAcct-Status-Type = Stop\n\n");
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 2);
    CHECK_INT(ev[0].at, 3);
    CHECK_INT(ev[0].kind, IPL_K_RADIUS_START);
    CHECK_INT(ev[0].ts, T(2024, 5, 1, 8, 15, 40));
    CHECK_INT(ev[1].kind, IPL_K_RADIUS_STOP);
    CHECK_INT(ev[1].ts, T(2024, 5, 1, 8, 15, 50));
    /* ... and when that record cannot be emitted, the header line carries the reason */
    ctx_reset(ipl_tz_utc());
    feed("Wed May  1 08:15:40 2024\n\tUser-Name = \"x\"\nWed May  1 08:15:50 2024\n\tAcct-Status-Type = Stop\n\n");
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': record has neither Packet-Type nor Acct-Status-Type");
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].kind, IPL_K_RADIUS_STOP);

    /* a UTF-8 byte-order mark before the first header */
    ctx_reset(ipl_tz_utc());
    feed("\xEF\xBB\xBFWed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n\n");
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 1);
    /* the day zero-padded */
    ctx_reset(ipl_tz_utc());
    feed("Wed May 01 08:15:40 2024\n\tAcct-Status-Type = Start\n\n");
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].ts, T(2024, 5, 1, 8, 15, 40));
}

/* Timestamp (UTC) wins; without it, the header is local time in ctx->tz. */
static void test_time(void)
{
    ipl_tz *berlin = NULL;
    ipl_diag d;
    CHECK_INT(ipl_tz_load(&berlin, "Europe/Berlin", &d), IPL_OK);
    if (!berlin)
        return;
    ctx_reset(berlin);
    feed(sample);
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].ts, INT64_C(1714544140) * 1000000);
    CHECK_INT(ctx.last_ts, 0);                     /* a UTC time does not move last_ts */
    feed(rec("\tAcct-Status-Type = Interim-Update\n"));
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].ts, T(2024, 5, 1, 6, 15, 40));          /* CEST */
    CHECK_INT(ctx.last_ts, T(2024, 5, 1, 6, 15, 40));
    feed("Mon Jan 15 08:00:00 2024\n\tAcct-Status-Type = Stop\n\n");
    CHECK_INT(ev[0].ts, T(2024, 1, 15, 7, 0, 0));           /* CET */
    /* fall back: the file's order decides */
    feed("Sun Oct 27 02:50:00 2024\n\tAcct-Status-Type = Alive\n\n"
         "Sun Oct 27 02:10:00 2024\n\tAcct-Status-Type = Alive\n\n");
    CHECK_INT(nev, 2);
    CHECK_INT(ev[0].ts, T(2024, 10, 27, 0, 50, 0));
    CHECK_INT(ev[1].ts, T(2024, 10, 27, 1, 10, 0));
    ipl_tz_free(berlin);
    ctx_reset(ipl_tz_utc());
}

static void test_kinds(void)
{
    static const struct { const char *attrs; int n, kind; } cases[] = {
        {"\tAcct-Status-Type = Start\n", 1, IPL_K_RADIUS_START},
        {"\tAcct-Status-Type = Stop\n", 1, IPL_K_RADIUS_STOP},
        {"\tAcct-Status-Type = Interim-Update\n", 1, IPL_K_RADIUS_UPDATE},
        {"\tAcct-Status-Type = Alive\n", 1, IPL_K_RADIUS_UPDATE},
        {"\tAcct-Status-Type = Accounting-On\n", 1, IPL_K_RADIUS_ACCT_ON},
        {"\tAcct-Status-Type = Accounting-Off\n", 1, IPL_K_RADIUS_ACCT_OFF},
        {"\tAcct-Status-Type = 1\n", 1, IPL_K_RADIUS_START},
        {"\tAcct-Status-Type = 2\n", 1, IPL_K_RADIUS_STOP},
        {"\tAcct-Status-Type = 3\n", 1, IPL_K_RADIUS_UPDATE},
        {"\tAcct-Status-Type = 7\n", 1, IPL_K_RADIUS_ACCT_ON},
        {"\tAcct-Status-Type = 8\n", 1, IPL_K_RADIUS_ACCT_OFF},
        {"\tAcct-Status-Type = Tunnel-Start\n", 0, 0},
        {"\tAcct-Status-Type = Tunnel-Link-Reject\n", 0, 0},
        {"\tAcct-Status-Type = Failed\n", 0, 0},
        {"\tPacket-Type = Access-Request\n\tUser-Name = \"bob\"\n", 1, IPL_K_RADIUS_REQUEST},
        {"\tPacket-Type = Access-Accept\n", 1, IPL_K_LOGON},
        {"\tPacket-Type = Access-Reject\n", 1, IPL_K_LOGON_FAIL},
        {"\tPacket-Type = 2\n", 1, IPL_K_LOGON},
        {"\tPacket-Type = Accounting-Request\n\tAcct-Status-Type = Stop\n", 1, IPL_K_RADIUS_STOP},
        {"\tPacket-Type = Access-Accept\n\tAcct-Status-Type = Stop\n", 1, IPL_K_LOGON},
        {"\tPacket-Type = Access-Challenge\n", 0, 0},
        {"\tPacket-Type = Accounting-Response\n", 0, 0},
        {"\tPacket-Type = Status-Server\n", 0, 0},
        {"\tPacket-Type = Disconnect-Request\n", 0, 0},
        {"\tPacket-Type = CoA-ACK\n", 0, 0},
    };
    ctx_reset(ipl_tz_utc());
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        feed(rec(cases[i].attrs));
        CHECK_INT(ner, 0);
        CHECK_INT(nev, cases[i].n);
        if (nev)
            CHECK_INT(ev[0].kind, cases[i].kind);
        if (ner || nev != cases[i].n)
            fprintf(stderr, "  case %zu: %s -> %s\n", i, cases[i].attrs, ner ? er[0].msg : "");
    }
    feed(rec("\tAcct-Status-Type = Begin\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': Acct-Status-Type 'Begin' is not an Acct-Status-Type");
    feed(rec("\tAcct-Status-Type = 99\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': Acct-Status-Type '99' is not an Acct-Status-Type (1-3, 7-15)");
    feed(rec("\tPacket-Type = Access-Whatever\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': Packet-Type 'Access-Whatever' is not a RADIUS packet type");
    feed(rec("\tPacket-Type = 6\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': Packet-Type '6' is not a RADIUS packet type");
    feed(rec("\tPacket-Type = Accounting-Request\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': Accounting-Request record has no Acct-Status-Type");
    feed(rec("\tUser-Name = \"bob\"\n"));
    ONE_ERR(3, "record 'Wed May  1 08:15:40 2024': record has neither Packet-Type nor Acct-Status-Type");
}

static void test_fields(void)
{
    ctx_reset(ipl_tz_utc());
    /* Start without Framed-IP-Address; MAC notations */
    static const struct { const char *v, *mac, *calling; } cs[] = {
        {"\"3C-52-82-6A-1B-2F\"", "3c52826a1b2f", NULL},
        {"\"3c:52:82:6a:1b:2f\"", "3c52826a1b2f", NULL},
        {"\"3c52826a1b2f\"", "3c52826a1b2f", NULL},
        {"\"3C52.826A.1B2F\"", "3c52826a1b2f", NULL},
        {"3c-52-82-6a-1b-2f", "3c52826a1b2f", NULL},        /* unquoted */
        {"\"198.51.100.23\"", NULL, "198.51.100.23"},
        {"\"0049301234567\"", NULL, "0049301234567"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char a[256];
        snprintf(a, sizeof a, "\tAcct-Status-Type = Start\n\tCalling-Station-Id = %s\n", cs[i].v);
        feed(rec(a));
        CHECK_INT(nev, 1);
        CHECK_INT(ev[0].has_ip, 0);
        CHECK_STR(ev[0].null_mac ? NULL : ev[0].mac, cs[i].mac);
        CHECK_STR(attr_of(&ev[0], IPL_A_CALLING), cs[i].calling);
    }

    /* dual stack: two events, identical but for the address */
    feed(rec("\tAcct-Status-Type = Interim-Update\n\tAcct-Session-Id = \"S9\"\n"
             "\tFramed-IP-Address = 10.30.20.11\n\tFramed-IPv6-Address = 2001:DB8:30:20::11\n"
             "\tFramed-IPv6-Prefix = 2001:db8:30:20::/64\n\tNAS-IPv6-Address = 2001:db8::1\n"
             "\tNAS-Identifier = \"ap-7\"\n"));
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 2);
    CHECK_STR(ev[0].ip, "10.30.20.11");
    CHECK_STR(ev[1].ip, "2001:db8:30:20::11");
    CHECK_INT(ev[0].ts, ev[1].ts);
    CHECK_STR(attr_of(&ev[1], IPL_A_SESSION), "S9");
    CHECK_STR(attr_of(&ev[1], IPL_A_FRAMED_PREFIX), "2001:db8:30:20::/64");
    CHECK_STR(attr_of(&ev[0], IPL_A_NAS), "2001:db8::1");
    CHECK_STR(attr_of(&ev[0], IPL_A_NAS_ID), "ap-7");
    /* v6 only */
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IPv6-Address = 2001:db8::11\n\tNAS-Identifier = \"ap-7\"\n"));
    CHECK_INT(nev, 1);
    CHECK_STR(ev[0].ip, "2001:db8::11");
    CHECK_STR(attr_of(&ev[0], IPL_A_NAS), "ap-7");
    CHECK(attr_of(&ev[0], IPL_A_NAS_ID) == NULL);
    /* placeholders */
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IP-Address = 255.255.255.254\n"));
    CHECK_INT(nev, 1);
    CHECK_INT(ev[0].has_ip, 0);

    /* counters and causes */
    feed(rec("\tAcct-Status-Type = Stop\n\tAcct-Session-Time = 30563\n\tAcct-Input-Octets = 1073741824\n"
             "\tAcct-Input-Gigawords = 1\n\tAcct-Output-Octets = 7\n\tAcct-Terminate-Cause = Idle-Timeout\n"
             "\tNAS-Port-Type = 19\n"));
    CHECK_INT(nev, 1);
    CHECK_STR(attr_of(&ev[0], IPL_A_SESSION_TIME), "30563");
    CHECK_STR(attr_of(&ev[0], IPL_A_IN_OCTETS), "5368709120");
    CHECK_STR(attr_of(&ev[0], IPL_A_OUT_OCTETS), "7");
    CHECK_STR(attr_of(&ev[0], IPL_A_TERM_CAUSE), "Idle-Timeout");
    CHECK_STR(attr_of(&ev[0], IPL_A_NAS_PORT_TYPE), "Wireless-802.11");
    feed(rec("\tAcct-Status-Type = Stop\n\tAcct-Terminate-Cause = 2\n\tAcct-Output-Gigawords = 3\n"));
    CHECK_STR(attr_of(&ev[0], IPL_A_TERM_CAUSE), "Lost-Carrier");
    CHECK_STR(attr_of(&ev[0], IPL_A_OUT_OCTETS), "12884901888");

    /* quoting: escapes, octal, UTF-8; a repeated attribute keeps its first value */
    feed(rec("\tAcct-Status-Type = Start\n\tUser-Name = \"CORP\\\\o\\\"neil \\101\\303\\251\"\n"
             "\tClass = 0x01\n\tClass = 0x02\n\tVendor-Specific = \"\\000 whatever \\n\"\n"
             "\tCisco-AVPair = \"a=b\"  \n\tAttr-26.9.1 = 0x61\n\tTunnel-Type:1 = VLAN\n"));
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 1);
    CHECK_STR(ev[0].user, "CORP\\o\"neil A\xC3\xA9");
    CHECK_STR(attr_of(&ev[0], IPL_A_CORRELATION), "0x01");
    /* names are case-sensitive, as in the dictionary: other spellings are unknown attributes */
    feed(rec("\tAcct-Status-Type = Start\n\tuser-name = \"x\"\n"));
    CHECK_INT(nev, 1);
    CHECK(ev[0].null_user);
}

/* ---- refused lines and records ---- */

static void test_errors(void)
{
    ctx_reset(ipl_tz_utc());
    /* headers */
    feed("Wed May  1 08:15:40 2024 extra\n\tAcct-Status-Type = Start\n\tUser-Name = \"x\"\n\n"
         "Wed May  1 08:15:41 2024\n\tAcct-Status-Type = Start\n\n");
    CHECK_INT(ner, 3);
    CHECK_STR(er[0].msg, "header 'Wed May  1 08:15:40 2024 extra' is not a 'Www Mmm dd HH:MM:SS YYYY' date");
    CHECK_INT(er[1].at, 2);
    CHECK_STR(er[1].msg, "line of a record whose header was refused: '\\x09Acct-Status-Type = Start'");
    CHECK_INT(er[2].at, 3);
    CHECK_INT(nev, 1);                            /* the next record is read */
    CHECK_INT(ev[0].ts, T(2024, 5, 1, 8, 15, 41));
    CHECK_INT(P->pending(state), 0);
    static const char *const bad_headers[] = {
        "Thu May  1 08:15:40 2024",               /* 2024-05-01 was a Wednesday */
        "Wed Mai  1 08:15:40 2024",
        "Wed May 32 08:15:40 2024",
        "Wed Feb 30 08:15:40 2024",
        "Wed May  1 24:15:40 2024",
        "Wed May  1 8:15:40 2024 ",
        "2024-05-01 08:15:40",
        "Acct-Status-Type = Start",
        "Wed May  1 08:15:40 1969",
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        char buf[256], want[256];
        snprintf(buf, sizeof buf, "%s\n\n", bad_headers[i]);
        snprintf(want, sizeof want, "header '%s' is not a 'Www Mmm dd HH:MM:SS YYYY' date", bad_headers[i]);
        feed(buf);
        ONE_ERR(1, want);
        CHECK_INT(nev, 0);
    }

    /* attribute lines outside a record; lines that are not "Name = value" */
    feed("\tAcct-Status-Type = Start\n\n");
    ONE_ERR(1, "attribute line outside a record (no header line before it): '\\x09Acct-Status-Type = Start'");
    feed("Wed May  1 08:15:40 2024\n\tAcct-Status-Type Start\n\tAcct-Status-Type = Start\n\n");
    CHECK_INT(ner, 2);
    CHECK_INT(er[0].at, 2);
    CHECK_STR(er[0].msg, "attribute line '\\x09Acct-Status-Type Start' is not 'Name = value'");
    CHECK_INT(er[1].at, 4);                       /* the record is refused as a whole */
    CHECK_STR(er[1].msg, "record 'Wed May  1 08:15:40 2024' not emitted: its line 2 was refused "
                         "(attribute line '\\x09Acct-Status-Type Start' is not 'Name = value')");
    CHECK_INT(nev, 0);
    feed(rec("\t= Start\n"));
    CHECK_STR(er[0].msg, "attribute line '\\x09= Start' is not 'Name = value'");
    feed(rec("\tAcct-Status-Type =\n"));
    CHECK_STR(er[0].msg, "attribute Acct-Status-Type has no value");
    feed(rec("\tAcct\x01Status = 1\n"));
    CHECK_STR(er[0].msg, "attribute name 'Acct\\x01Status' has a byte that is not a letter, digit or one of -_.:/");
    /* quoting */
    feed(rec("\tUser-Name = \"alice\n"));
    CHECK_STR(er[0].msg, "User-Name has an unterminated quoted value '\"alice'");
    feed(rec("\tUser-Name = \"alice\\\"\n"));
    CHECK_STR(er[0].msg, "User-Name has an unterminated quoted value '\"alice\\x5c\"'");
    feed(rec("\tUser-Name = \"al\"ice\n"));
    CHECK_STR(er[0].msg, "User-Name has text after its closing quote: '\"al\"ice'");
    feed(rec("\tUser-Name = \"al\\qice\"\n"));
    CHECK_STR(er[0].msg, "User-Name has an invalid escape '\\q' in '\"al\\x5cqice\"'");
    feed(rec("\tUser-Name = \"al\\19ice\"\n"));
    CHECK_STR(er[0].msg, "User-Name has an invalid octal escape in '\"al\\x5c19ice\"'");
    feed(rec("\tUser-Name = \"a\\nb\"\n\tAcct-Status-Type = Start\n"));
    CHECK_INT(ner, 2);
    CHECK_STR(er[0].msg, "User-Name 'a\\x0ab' is not printable UTF-8");
    feed(rec("\tUser-Name = \"a\\000b\"\n"));
    CHECK_STR(er[0].msg, "User-Name 'a\\x00b' is not printable UTF-8");
    feed(rec("\tUser-Name = \"a\xff\"\n"));
    CHECK_STR(er[0].msg, "User-Name 'a\\xff' is not printable UTF-8");
    /* an unknown attribute's value is checked for syntax only */
    feed(rec("\tAcct-Status-Type = Start\n\tReply-Message = \"a\\nb\"\n"));
    CHECK_INT(ner, 0);
    CHECK_INT(nev, 1);

    /* values checked when the record ends */
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IP-Address = 10.30.20\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Framed-IP-Address '10.30.20' is not an IPv4 address");
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IP-Address = 2001:db8::1\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Framed-IP-Address '2001:db8::1' is not an IPv4 address");
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IPv6-Address = 10.1.2.3\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Framed-IPv6-Address '10.1.2.3' is not an IPv6 address");
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IPv6-Prefix = fe80::/300\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Framed-IPv6-Prefix 'fe80::/300' is not an IPv6 prefix");
    feed(rec("\tAcct-Status-Type = Start\n\tNAS-IP-Address = nas-1\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': NAS-IP-Address 'nas-1' is not an IP address");
    feed(rec("\tAcct-Status-Type = Start\n\tTimestamp = 1714544140.5\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Timestamp '1714544140.5' is not a Unix time in seconds");
    feed(rec("\tAcct-Status-Type = Start\n\tTimestamp = 99999999999999\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Timestamp '99999999999999' is not a Unix time in seconds");
    feed(rec("\tAcct-Status-Type = Stop\n\tAcct-Session-Time = 1h\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Acct-Session-Time '1h' is not a decimal number");
    feed(rec("\tAcct-Status-Type = Stop\n\tAcct-Input-Octets = 4294967296\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': Acct-Input-Octets '4294967296' is not a 32-bit decimal number");
    feed(rec("\tAcct-Status-Type = Stop\n\tNAS-Port = -1\n"));
    ONE_ERR(4, "record 'Wed May  1 08:15:40 2024': NAS-Port '-1' is not a decimal number");

    /* NUL bytes */
    static const char nul[] = "Wed May  1 08:15:40 2024\n\tUser-Name = \"a\0b\"\n\tAcct-Status-Type = Start\n\n";
    nev = ner = 0;
    cur_line = 0;
    for (size_t pos = 0; pos < sizeof nul - 1;) {
        const char *nl = memchr(nul + pos, '\n', sizeof nul - 1 - pos);
        size_t end = (size_t)(nl - nul);
        line_n(nul + pos, end - pos);
        pos = end + 1;
    }
    CHECK_INT(ner, 2);
    CHECK_STR(er[0].msg, "NUL byte at offset 15 of the line '\\x09User-Name = \"a\\x00b\"'");
    CHECK_INT(nev, 0);
    static const char nulh[] = "Wed May  1 08:15:40\0" "2024";
    nev = ner = 0;
    line_n(nulh, sizeof nulh - 1);
    CHECK_INT(ner, 1);
    CHECK_STR(er[0].msg, "header 'Wed May  1 08:15:40\\x002024' is not a 'Www Mmm dd HH:MM:SS YYYY' date");
    line_n("", 0);

    /* limits: a line, a record's lines, a record's kept bytes, an event string */
    static char big[8200];
    memset(big, 'a', sizeof big);
    big[0] = '\t';
    feed("Wed May  1 08:15:40 2024\n");
    line_n(big, 8193);
    line_n("\tAcct-Status-Type = Start", 25);
    line_n("", 0);
    CHECK_INT(ner, 2);
    CHECK_STR(er[0].msg, "line is 8193 bytes, longer than the 8192-byte limit");
    CHECK_STR(er[1].msg, "record 'Wed May  1 08:15:40 2024' not emitted: its line 2 was refused "
                         "(line is 8193 bytes, longer than the 8192-byte limit)");
    feed("Wed May  1 08:15:40 2024\n");
    for (int i = 0; i < 1100; i++)
        line_n("\tReply-Message = \"x\"", 20);
    line_n("", 0);
    CHECK_INT(ner, 1 + 1100 - 1023);              /* every line past the cap, then the record */
    CHECK_STR(er[0].msg, "record has more than 1024 lines");
    CHECK_STR(er[ner - 1].msg, "record 'Wed May  1 08:15:40 2024' not emitted: its line 1025 was "
                               "refused (record has more than 1024 lines)");
    CHECK_INT(nev, 0);
    char *val = malloc(8192);
    const char *names[] = {"User-Name", "Acct-Session-Id", "Called-Station-Id", "Calling-Station-Id",
                           "Class", "NAS-Identifier"};
    feed("Wed May  1 08:15:40 2024\n");
    for (int i = 0; i < 6; i++) {
        int n = snprintf(val, 8192, "\t%s = \"", names[i]);
        memset(val + n, 'v', 3000);
        val[n + 3000] = '"';
        line_n(val, (size_t)n + 3001);
    }
    line_n("\tAcct-Status-Type = Start", 25);
    line_n("", 0);
    CHECK_INT(ner, 2);
    CHECK_STR(er[0].msg, "record keeps more than 16384 bytes of values at NAS-Identifier");
    CHECK_INT(nev, 0);
    int n = snprintf(val, 8192, "\tUser-Name = \"");
    memset(val + n, 'u', 500);
    val[n + 500] = '"';
    feed("Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n");
    line_n(val, (size_t)n + 501);
    line_n("", 0);
    CHECK_INT(ner, 1);
    CHECK_STR(er[0].msg, "record 'Wed May  1 08:15:40 2024': User-Name is 500 bytes long, longer "
                         "than the 479-byte limit");
    n = snprintf(val, 8192, "\tAcct-Session-Id = \"");
    memset(val + n, 's', 5000);
    val[n + 5000] = '"';
    feed("Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n");
    line_n(val, (size_t)n + 5001);
    line_n("", 0);
    CHECK_INT(ner, 1);
    CHECK_STR(er[0].msg, "record 'Wed May  1 08:15:40 2024': attribute 'session' is 5000 bytes long, "
                         "longer than the 4096-byte limit");
    free(val);

    /* a refused record does not move last_ts */
    ctx.last_ts = 12345;
    feed(rec("\tAcct-Status-Type = Start\n\tFramed-IP-Address = 10.1.2\n"));
    CHECK_INT(ctx.last_ts, 12345);
    ctx_reset(ipl_tz_utc());
}

static int emit_fail(void *c, const ipl_event *e)
{
    (void)c;
    (void)e;
    return IPL_ENOSPC;
}

static void test_emit_error(void)
{
    ctx_reset(ipl_tz_utc());
    ipl_diag d;
    const char *h = "Wed May  1 08:15:40 2024", *a = "\tAcct-Status-Type = Start";
    CHECK_INT(P->line(state, &ctx, h, strlen(h), emit_fail, NULL, &d), IPL_OK);
    CHECK_INT(P->line(state, &ctx, a, strlen(a), emit_fail, NULL, &d), IPL_OK);
    CHECK_INT(P->line(state, &ctx, "", 0, emit_fail, NULL, &d), IPL_ENOSPC);
    CHECK_INT(P->pending(state), 0);             /* the record is gone either way */
}

/* ---- probe ---- */

static void test_probe(void)
{
    CHECK_INT(P->probe(sample, sizeof sample - 1), 90);
    static const char two[] =
        "Wed May  1 00:00:12 2024\n\tAcct-Status-Type = Accounting-On\n\tNAS-IP-Address = 10.30.0.5\n\n"
        "Wed May  1 08:15:40 2024\n\tPacket-Type = Access-Request\n\tUser-Name = \"bob\"\n\n"
        "Wed May  1 08:1";                          /* cut by the sample size */
    CHECK_INT(P->probe(two, sizeof two - 1), 90);
    static const char *const others[] = {
        "\t\tMicrosoft DHCP Service Activity Log\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n",
        "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,,,,,,0\r\n",
        "May  1 08:15:32 dhcp01 dhcpd[1234]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via eth0\n",
        "lease 10.20.30.41 {\n  starts 3 2024/05/01 08:15:32;\n  ends 3 2024/05/01 20:15:32;\n}\n",
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n",
        "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A\r\n",
        "\"NPS01\",\"IAS\",05/01/2024,08:15:40,4,\"CORP\\alice\",,,,,,,,,,,,,,,,,,,,,,,,,,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n",
        "<Event><Timestamp data_type=\"4\">05/01/2024 08:15:40.220</Timestamp></Event>\r\n",
        "May  1 08:15:32 bastion sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 52122 ssh2\n",
        "Wed May  1 08:15:40 2024\n",                /* a header alone */
        "Wed May  1 08:15:40 2024\nnot an attribute\n",
        "\tAcct-Status-Type = Start\n",
        "\177ELF\x02\x01\x01\0\0\0",
        "",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        size_t n = i == sizeof others / sizeof others[0] - 2 ? 10 : strlen(others[i]);
        int s = P->probe(others[i], n);
        CHECK_INT(s, 0);
        if (s)
            fprintf(stderr, "  sample %zu scored %d\n", i, s);
    }
}

/* ---- the fixture ---- */

static void test_fixture(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/freeradius/detail-20240501", IPL_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    CHECK_INT(P->probe(buf, len), 90);
    ipl_tz *berlin = NULL;
    ipl_diag d;
    CHECK_INT(ipl_tz_load(&berlin, "Europe/Berlin", &d), IPL_OK);
    if (!berlin)
        return;
    ctx_reset(berlin);
    feed(buf);
    CHECK_INT(finish(), IPL_OK);
    for (int i = 0; i < ner; i++)
        fprintf(stderr, "  line %d: %s\n", er[i].at, er[i].msg);
    CHECK_INT(ner, 0);
    int kinds[IPL_K__COUNT] = {0};
    for (int i = 0; i < nev; i++) {
        kinds[ev[i].kind]++;
        if (i)
            CHECK(ev[i].ts >= ev[i - 1].ts);
    }
    CHECK_INT(nev, 11);
    CHECK_INT(kinds[IPL_K_RADIUS_ACCT_ON], 1);
    CHECK_INT(kinds[IPL_K_RADIUS_START], 3);
    CHECK_INT(kinds[IPL_K_RADIUS_UPDATE], 3);          /* erin's is dual-stack: two events */
    CHECK_INT(kinds[IPL_K_RADIUS_STOP], 4);            /* erin's too */
    /* the record without Timestamp: header local time (CEST) */
    int found = 0;
    for (int i = 0; i < nev; i++)
        if (ev[i].ts == T(2024, 5, 1, 7, 12, 11)) {
            found++;
            CHECK_STR(ev[i].user, "CORP\\gina");
            CHECK_STR(ev[i].ip, "10.30.20.12");
            CHECK_STR(ev[i].mac, "703acb405060");
        }
    CHECK_INT(found, 1);
    /* erin's session: start without address, update and stop with both families */
    CHECK_STR(ev[1].user, "erin@corp.example.com");
    CHECK_INT(ev[1].has_ip, 0);
    CHECK_STR(ev[1].mac, "703acb102030");
    CHECK_STR(attr_of(&ev[1], IPL_A_CORRELATION), "0x434c532d6572696e2d31");
    CHECK_INT(ev[1].ts, INT64_C(1714544140) * 1000000);
    CHECK_STR(ev[nev - 3].user, "erin@corp.example.com");
    CHECK_INT(ev[nev - 3].kind, IPL_K_RADIUS_STOP);
    CHECK_STR(ev[nev - 3].ip, "10.30.20.11");
    CHECK_STR(ev[nev - 2].ip, "2001:db8:30:20::11");
    CHECK_STR(attr_of(&ev[nev - 2], IPL_A_IN_OCTETS), "5368709120");
    CHECK_STR(attr_of(&ev[nev - 2], IPL_A_OUT_OCTETS), "9126805504");
    CHECK_STR(attr_of(&ev[nev - 2], IPL_A_TERM_CAUSE), "Idle-Timeout");
    CHECK_STR(ev[nev - 1].mac, "a4bb6d112233");        /* MAB: the user name is the MAC */
    CHECK_STR(ev[nev - 1].user, "a4bb6d112233");
    CHECK_STR(attr_of(&ev[nev - 1], IPL_A_TERM_CAUSE), "Lost-Carrier");
    ipl_tz_free(berlin);
    ctx_reset(ipl_tz_utc());
}

int main(void)
{
    P = ipl_parser_find("freeradius-detail");
    CHECK(P != NULL);
    if (!P)
        return check_summary();
    CHECK(P->init && P->finish && P->pending && P->state_size > 0);
    state = malloc(P->state_size);
    ipl_arena_init(&arena, 1 << 20);
    RUN(test_sample);
    RUN(test_framing);
    RUN(test_time);
    RUN(test_kinds);
    RUN(test_fields);
    RUN(test_errors);
    RUN(test_emit_error);
    RUN(test_probe);
    RUN(test_fixture);
    if (P->release)
        P->release(state);
    free(state);
    ipl_arena_release(&arena);
    return check_summary();
}
