/* tests/unit/parsers/ipledger_ndjson_test.c — ipledger's own NDJSON export read back
 * (parsers/ipledger_ndjson.c): an event written by the export path (ipl_event_row + the NDJSON
 * writer) parses back into the same event, with the original source and line in "origin" (kept
 * when already there); escapes and IPv6 survive; the probe scores only this format (100) and
 * nothing else (0); bad lines are refused with their reason.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/tz.h"
#include "parsers/parser.h"
#include "queries/lookup.h"
#include "queries/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ipl_parser *P;

static char outbuf[16384];
static size_t outlen;

static int to_buf(void *ctx, const char *b, size_t n)
{
    (void)ctx;
    if (outlen + n >= sizeof outbuf)
        return -1;
    memcpy(outbuf + outlen, b, n);
    outlen += n;
    outbuf[outlen] = '\0';
    return (int)n;
}

/* The line `ipledger export --format ndjson` writes for ev. */
static const char *export_line(const ipl_event *ev)
{
    ipl_arena a;
    ipl_out *o;
    const char *vals[16];
    outlen = 0;
    ipl_arena_init(&a, 1 << 20);
    CHECK_INT(ipl_event_row(ev, 1, &a, vals), IPL_OK);
    CHECK_INT(ipl_out_new(&o, IPL_OUT_NDJSON, ipl_event_cols, ipl_event_ncols, to_buf, NULL), IPL_OK);
    CHECK_INT(ipl_out_row(o, vals), IPL_OK);
    CHECK_INT(ipl_out_end(o), IPL_OK);
    ipl_out_free(o);
    ipl_arena_release(&a);
    if (outlen && outbuf[outlen - 1] == '\n')
        outbuf[--outlen] = '\0';
    return outbuf;
}

/* ---- what the parser emitted (deep copies) ---- */
typedef struct got {
    int n;
    ipl_event ev;
    char strs[8][IPL_STR_MAX + 1];
    char vals[IPL_ATTR_MAX][IPL_ATTR_VAL_MAX + 1];
} got;
static got G;

static const char *keep(int i, const char *s)
{
    if (!s)
        return NULL;
    snprintf(G.strs[i], sizeof G.strs[i], "%s", s);
    return G.strs[i];
}

static int on_event(void *c, const ipl_event *ev)
{
    (void)c;
    G.n++;
    G.ev = *ev;
    G.ev.mac = keep(0, ev->mac);
    G.ev.duid = keep(1, ev->duid);
    G.ev.host = keep(2, ev->host);
    G.ev.user = keep(3, ev->user);
    G.ev.server = keep(4, ev->server);
    for (uint32_t i = 0; i < ev->nattr; i++) {
        memcpy(G.vals[i], ev->attr[i].val, ev->attr[i].len);
        G.vals[i][ev->attr[i].len] = '\0';
        G.ev.attr[i].val = G.vals[i];
    }
    return IPL_OK;
}

static int parse(const char *line, ipl_diag *d)
{
    ipl_arena a;
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memset(&G, 0, sizeof G);
    ipl_arena_init(&a, 1 << 20);
    ctx.tz = ipl_tz_utc();
    ctx.arena = &a;
    int err = P->line(NULL, &ctx, line, strlen(line), on_event, NULL, d);
    ipl_arena_release(&a);
    return err;
}

static const char *attr(unsigned key)
{
    size_t n;
    return ipl_event_attr(&G.ev, key, &n);
}

static void same_event(const ipl_event *a, const ipl_event *b, int extra_attrs)
{
    CHECK_INT(a->ts, b->ts);
    CHECK_INT(a->kind, b->kind);
    CHECK_INT(a->has_ip, b->has_ip);
    CHECK(memcmp(a->ip, b->ip, 16) == 0);
    CHECK_STR(a->mac, b->mac);
    CHECK_STR(a->duid, b->duid);
    CHECK_STR(a->host, b->host);
    CHECK_STR(a->user, b->user);
    CHECK_STR(a->server, b->server);
    CHECK_INT(a->nattr + (uint32_t)extra_attrs, b->nattr);
    for (uint32_t i = 0; i < a->nattr && i < b->nattr; i++) {
        CHECK_INT(a->attr[i].key, b->attr[i].key);
        CHECK_INT(a->attr[i].len, b->attr[i].len);
        CHECK(memcmp(a->attr[i].val, b->attr[i].val, a->attr[i].len) == 0);
    }
}

static void test_round_trip(void)
{
    ipl_event e;
    ipl_diag d = {0};
    ipl_event_reset(&e);
    e.seq = 4711;
    e.ts = INT64_C(1714551332123456);                 /* with microseconds */
    e.kind = IPL_K_LEASE_V6_CONFIRM;
    e.has_ip = 1;
    ipl_ip_parse("2001:db8::42", 12, e.ip);
    e.mac = "3c52826a1b2f";
    e.duid = "000100012b3c4d5e3c52826a1b2f";
    e.host = "PC-\"Quoted\"\\7.corp";
    e.user = "CORP\\ann";
    e.server = "dhcp6.corp";
    e.source = "file:/var/log/dhcp/DhcpV6SrvLog-Wed.log";
    e.line = 873;
    ipl_event_add_attr(&e, IPL_A_CODE, "11", 2);
    const char *msg = "tab\there\nnewline \x01 ctl and \xc3\xa9";
    ipl_event_add_attr(&e, IPL_A_MESSAGE, msg, strlen(msg));
    ipl_event_add_attr(&e, IPL_A_VENDOR, "MSFT 5.0", 8);
    const char *line = export_line(&e);
    CHECK_INT(P->probe(line, strlen(line)), 100);
    CHECK_INT(parse(line, &d), IPL_OK);
    CHECK_INT(G.n, 1);
    same_event(&e, &G.ev, 1);
    CHECK_STR(attr(IPL_A_ORIGIN), "file:/var/log/dhcp/DhcpV6SrvLog-Wed.log#873");

    /* a re-imported event keeps its first origin */
    ipl_event_add_attr(&e, IPL_A_ORIGIN, "file:/first.log#9", 17);
    e.source = "file:/archive.ndjson";
    line = export_line(&e);
    CHECK_INT(parse(line, &d), IPL_OK);
    same_event(&e, &G.ev, 0);
    CHECK_STR(attr(IPL_A_ORIGIN), "file:/first.log#9");

    /* IPv4, no strings */
    ipl_event_reset(&e);
    e.ts = 0;
    e.kind = IPL_K_LEASE_EXPIRE;
    e.has_ip = 1;
    ipl_ip_parse("10.0.0.1", 8, e.ip);
    e.source = "stdin:x";
    line = export_line(&e);
    CHECK_INT(parse(line, &d), IPL_OK);
    same_event(&e, &G.ev, 1);
    CHECK_STR(attr(IPL_A_ORIGIN), "stdin:x#0");

    /* 16 attributes: no room for the origin */
    ipl_event_reset(&e);
    e.kind = IPL_K_LOGON;
    e.source = "stdin:x";
    for (int i = 0; i < IPL_ATTR_MAX; i++)
        ipl_event_add_attr(&e, IPL_A_CODE + (unsigned)i, "v", 1);
    line = export_line(&e);
    CHECK_INT(parse(line, &d), IPL_EPARSE);
    CHECK(strstr(d.msg, "origin") != NULL);
    CHECK_INT(G.n, 0);
}

static void test_refused(void)
{
    ipl_diag d = {0};
    static const struct { const char *line, *why; } bad[] = {
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"lease.nothing\"}", "kind"},
        {"{\"seq\":1,\"time\":\"yesterday\",\"kind\":\"logon\"}", "time"},
        {"{\"seq\":1,\"kind\":\"logon\"}", "time"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"ip\":\"10.0.0.300\"}", "invalid 'ip'"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"attrs\":{\"bogus\":\"1\"}}", "unknown attribute 'bogus'"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"attrs\":{\"code\":1}}", "not a string"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"host\":7}", "'host' is not a string"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"extra\":1}", "unknown member 'extra'"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",", "invalid JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"logon\",\"mac\":\"8c-16-45\"}", "invalid 'mac' '8c-16-45'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(parse(bad[i].line, &d), IPL_EPARSE);
        CHECK(strstr(d.msg, bad[i].why) != NULL);
        if (!strstr(d.msg, bad[i].why))
            fprintf(stderr, "   %s -> %s\n", bad[i].line, d.msg);
        CHECK_INT(G.n, 0);
    }
    CHECK_INT(parse("   ", &d), IPL_OK);      /* blank: nothing */
    CHECK_INT(G.n, 0);
}

/* an archive written by another tool: a MAC in another notation is stored canonical, so MAC
 * lookups find it (found by the fuzz target: it went into the index as written) */
static void test_mac_notation(void)
{
    ipl_diag d = {0};
    CHECK_INT(parse("{\"seq\":1,\"time\":\"2024-05-01T00:00:00Z\",\"kind\":\"lease.assign\","
                    "\"mac\":\"8C-16-45-7D-0F-77\"}", &d), IPL_OK);
    CHECK_INT(G.n, 1);
    CHECK_STR(G.ev.mac, "8c16457d0f77");
}

static void test_probe(void)
{
    static const char *others[] = {
        "ID,Date,Time,Description,IP Address,Host Name,MAC Address\n10,05/01/24,00:00:00,Assign,10.0.0.1,h,001122334455\n",
        "{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"winlog\":{\"event_id\":4624}}\n",
        "{\"seq\":1}\n",
        "{\"time\":\"2024-05-01T00:00:00Z\",\"seq\":1,\"kind\":\"logon\",\"source\":\"x\",\"attrs\":{}}\n",
        "May  1 00:00:00 host dhcpd[1]: DHCPACK on 10.0.0.1 to 00:11:22:33:44:55 via eth0\n",
        "",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK_INT(P->probe(others[i], strlen(others[i])), 0);
    /* and no other parser claims the export */
    ipl_event e;
    ipl_event_reset(&e);
    e.kind = IPL_K_LEASE_ASSIGN;
    e.ts = INT64_C(1714551332) * 1000000;
    e.source = "file:/x.log";
    e.line = 1;
    const char *line = export_line(&e);
    size_t n;
    const ipl_parser *const *all = ipl_parsers(&n);
    for (size_t i = 0; i < n; i++)
        if (all[i] != P)
            CHECK(all[i]->probe(line, strlen(line)) < 100);
    int score = 0;
    char tried[512];
    CHECK(ipl_parser_detect(line, strlen(line), &score, tried, sizeof tried) == P);
}

int main(void)
{
    P = ipl_parser_find("ipledger-ndjson");
    CHECK(P != NULL);
    if (!P)
        return check_summary();
    RUN(test_round_trip);
    RUN(test_refused);
    RUN(test_mac_notation);
    RUN(test_probe);
    return check_summary();
}
