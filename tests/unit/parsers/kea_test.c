/* tests/unit/parsers/kea_test.c — the ISC Kea parsers (parsers/kea.c): "kea-csv" (FORMATS.md 3.1-3.4:
 * every sample, header mapping, older and reordered column sets, inferred layouts, escapes, states,
 * valid_lifetime 0 rows and their timing, assign/renew decisions, held removals and pending()),
 * "kea-log" and the syslog sub-parser "kea" (3.5: every sample, every lease message, continuation
 * lines, local time), "kea-legal" (3.6), refused lines with their exact reasons, probe scores against
 * the other formats of FORMATS.md, and the fixtures in tests/data/kea/.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_syslog_sub ipl_syslog_sub_kea;

/* ---- capture: copies of every event emitted during one call ---- */

#define MAXEV 16

typedef struct cev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], duid[IPL_STR_MAX], host[IPL_STR_MAX], server[IPL_STR_MAX];
    int     null_mac, null_duid, null_host, null_server;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][IPL_ATTR_VAL_MAX + 1];
} cev;

static cev evs[MAXEV];
static int nev;

static void copy_str(char *dst, const char *src, int *is_null)
{
    *is_null = src == NULL;
    snprintf(dst, IPL_STR_MAX, "%s", src ? src : "");
}

static int on_event(void *c, const ipl_event *ev)
{
    (void)c;
    if (nev >= MAXEV)
        return IPL_ELIMIT;
    cev *g = &evs[nev++];
    g->ts = ev->ts;
    g->kind = ev->kind;
    g->has_ip = ev->has_ip;
    g->ip[0] = '\0';
    if (ev->has_ip)
        ipl_ip_format(ev->ip, g->ip, sizeof g->ip);
    copy_str(g->mac, ev->mac, &g->null_mac);
    copy_str(g->duid, ev->duid, &g->null_duid);
    copy_str(g->host, ev->host, &g->null_host);
    copy_str(g->server, ev->server, &g->null_server);
    g->nattr = (int)ev->nattr;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        g->key[i] = ev->attr[i].key;
        memcpy(g->val[i], ev->attr[i].val, ev->attr[i].len);
        g->val[i][ev->attr[i].len] = '\0';
    }
    return IPL_OK;
}

static const char *attr_of(int i, int key)
{
    for (int k = 0; k < evs[i].nattr; k++)
        if (evs[i].key[k] == key)
            return evs[i].val[k];
    return NULL;
}
static const char *attr(int key) { return attr_of(0, key); }
static const char *mac_of(int i) { return evs[i].null_mac ? NULL : evs[i].mac; }
static const char *duid_of(int i) { return evs[i].null_duid ? NULL : evs[i].duid; }
static const char *host_of(int i) { return evs[i].null_host ? NULL : evs[i].host; }
#define mac() mac_of(0)
#define duid() duid_of(0)
#define host() host_of(0)

static const ipl_parser *P;
static void *state;
static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag;
static ipl_tz *berlin;

#define NOW INT64_C(1714608000000000)   /* 2024-05-02T00:00:00Z: the frozen clock */

/* Selects a parser with fresh state and context. */
static void use(const char *name, const ipl_tz *tz)
{
    P = ipl_parser_find(name);
    if (!P) {
        fprintf(stderr, "parser %s not registered\n", name);
        exit(1);
    }
    free(state);
    state = P->state_size ? calloc(1, P->state_size) : NULL;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = tz;
    ctx.server = "kea01";
    ctx.arena = &arena;
    ctx.now = NOW;
    if (P->init)
        P->init(state, &ctx);
}

static int parse_n(const char *line, size_t len)
{
    nev = 0;
    memset(evs, 0, sizeof evs[0]);
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
    int rc = P->line(state, &ctx, line, len, on_event, NULL, &diag);
    if (rc != IPL_OK && (diag.code != rc || diag.msg[0] == '\0'))
        CHECK(!"an error without its reason");
    return rc;
}

static int parse(const char *line)
{
    return parse_n(line, strlen(line));
}

static int finish(void)
{
    nev = 0;
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
    return P->finish ? P->finish(state, &ctx, on_event, NULL, &diag) : IPL_OK;
}

static int pending(void)
{
    return P->pending ? P->pending(state) : 0;
}

#define S(x) (INT64_C(x) * 1000000)
#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))

static const char H4[] = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,"
                         "fqdn_rev,hostname,state,user_context,pool_id";
static const char H6[] = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,"
                         "iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,"
                         "hwtype,hwaddr_source,pool_id";

/* ================================================================================================
 * kea-csv
 * ============================================================================================== */

/* FORMATS.md 3.4, v4 rows in file order. */
static void test_csv_v4_samples(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(nev, 0);

    CHECK_INT(parse("10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,4000,1714548132,1,1,1,"
                    "laptop-7q2.corp.example.com,0,,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(1714544132));                   /* cltt = expire - valid */
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(duid() == NULL);
    CHECK_STR(host(), "laptop-7q2.corp.example.com");
    CHECK_STR(evs[0].server, "kea01");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "013c52826a1b2f");
    CHECK_STR(attr(IPL_A_LIFETIME), "4000");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T07:22:12Z");
    CHECK_STR(attr(IPL_A_SUBNET_ID), "1");
    CHECK(attr(IPL_A_STATUS) == NULL);
    CHECK(attr(IPL_A_USER_CONTEXT) == NULL);
    CHECK(attr(IPL_A_TIME_BASIS) == NULL);
    CHECK_INT(evs[0].nattr, 4);
    CHECK_INT(pending(), 0);

    /* removal: held (its time is not in the row) */
    CHECK_INT(parse("10.20.30.41,3c:52:82:6a:1b:2f,01:3c:52:82:6a:1b:2f,0,1714544132,1,1,1,"
                    "laptop-7q2.corp.example.com,0,,0"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(pending(), 1);

    /* declined: written at expire - valid, which bounds the held removal */
    CHECK_INT(parse("10.20.30.60,,,86400,1714630532,1,0,0,,1,,0"), IPL_OK);
    CHECK_INT(nev, 2);
    CHECK_INT(pending(), 0);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_INT(evs[0].ts, S(1714544132));
    CHECK_STR(mac_of(0), "3c52826a1b2f");
    CHECK_STR(attr_of(0, IPL_A_TIME_BASIS), "file-order");
    CHECK_STR(attr_of(0, IPL_A_LIFETIME), "0");
    CHECK(attr_of(0, IPL_A_LEASE_END) == NULL);
    CHECK_INT(evs[1].kind, IPL_K_LEASE_DECLINE);
    CHECK_STR(evs[1].ip, "10.20.30.60");
    CHECK_INT(evs[1].ts, S(1714544132));
    CHECK(mac_of(1) == NULL && duid_of(1) == NULL && host_of(1) == NULL);
    CHECK_STR(attr_of(1, IPL_A_STATUS), "declined");
    CHECK_STR(attr_of(1, IPL_A_LIFETIME), "86400");
    CHECK_STR(attr_of(1, IPL_A_LEASE_END), "2024-05-02T06:15:32Z");

    /* state 2: reclaimed; escaped hostname; user context */
    CHECK_INT(parse("10.20.30.77,f0:de:f1:a2:b3:c4,,4000,1714500000,1,0,0,lobby&#x2c printer,2,"
                    "{ \"ISC\": { \"relay-agent-info\": { \"sub-options\": \"0x0104000A0001\" } } },0"),
              IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(evs[0].ts, S(1714500000));
    CHECK_STR(mac(), "f0def1a2b3c4");
    CHECK_STR(host(), "lobby, printer");
    CHECK_STR(attr(IPL_A_STATUS), "expired-reclaimed");
    CHECK_STR(attr(IPL_A_USER_CONTEXT),
              "{ \"ISC\": { \"relay-agent-info\": { \"sub-options\": \"0x0104000A0001\" } } }");
    CHECK(attr(IPL_A_CLIENT_ID) == NULL);
    CHECK(attr(IPL_A_LEASE_END) == NULL);
}

/* FORMATS.md 3.4, v6 rows. */
static void test_csv_v6_samples(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H6), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("2001:db8:10:20::1a2b,00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f,7200,1714551601,"
                    "1,4500,0,1782193967,128,0,0,,3c:52:82:6a:1b:2f,0,,1,4,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(1714544401));
    CHECK_STR(evs[0].ip, "2001:db8:10:20::1a2b");
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(host() == NULL);
    CHECK_STR(attr(IPL_A_IAID), "1782193967");
    CHECK_STR(attr(IPL_A_LEASE_TYPE), "IA_NA");
    CHECK(attr(IPL_A_PREFIX_LEN) == NULL);
    CHECK_STR(attr(IPL_A_HWADDR_SRC), "4");
    CHECK_STR(attr(IPL_A_LIFETIME), "7200");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T08:20:01Z");
    CHECK_STR(attr(IPL_A_SUBNET_ID), "1");

    CHECK_INT(parse("2001:db8:ff00::,00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f,7200,1714551601,1,"
                    "4500,2,1,56,0,0,,,0,,0,0,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(evs[0].ip, "2001:db8:ff00::");
    CHECK_STR(attr(IPL_A_LEASE_TYPE), "IA_PD");
    CHECK_STR(attr(IPL_A_PREFIX_LEN), "56");
    CHECK_STR(attr(IPL_A_IAID), "1");
    CHECK_STR(mac(), "3c52826a1b2f");                      /* from the DUID-LLT */
    CHECK(attr(IPL_A_HWADDR_SRC) == NULL);                 /* no hardware address */
}

/* Assign vs renew: same client before the end -> renew; another client or a lapsed lease ->
 * assign; a removal after the lease's end -> expire at that end. */
static void test_csv_assign_renew(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:05,,100,1000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(900));
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:05,,100,1050,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RENEW);
    CHECK_INT(evs[0].ts, S(950));
    /* another client on the same address */
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:06,,100,1100,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    /* the same client again after its lease lapsed (1100 < 1200) */
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:06,,100,1300,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    /* same MAC, another client-id: another client */
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:06,01:02,100,1350,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_CLIENT_ID), "0102");
    /* a later row proves the lease had ended before its removal was written */
    CHECK_INT(parse("10.0.0.9,00:00:00:00:00:09,,100,2000,1,0,0,,0,,0"), IPL_OK);   /* clock 1900 */
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:06,01:02,0,1250,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(evs[0].ts, S(1350));
    CHECK_INT(pending(), 0);
    /* infinite lifetime */
    CHECK_INT(parse("10.0.0.7,00:00:00:00:00:07,,4294967295,4294969295,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(2000));
    CHECK_STR(attr(IPL_A_LEASE_END), "infinite");
    CHECK_STR(attr(IPL_A_LIFETIME), "4294967295");
}

/* Removals: held until a row with a known write time; bounded by the lease end; state 1/2/3. */
static void test_csv_removals(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(parse("10.0.0.1,00:00:00:00:00:01,,1000,2000,1,0,0,a,0,,0"), IPL_OK);  /* 1000-2000 */
    CHECK_INT(parse("10.0.0.2,00:00:00:00:00:02,,1000,2100,1,0,0,b,0,,0"), IPL_OK);  /* 1100-2100 */
    CHECK_INT(parse("10.0.0.1,00:00:00:00:00:01,,0,1000,1,0,0,a,0,,0"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(pending(), 1);
    CHECK_INT(parse("10.0.0.2,00:00:00:00:00:02,,0,1100,1,0,0,b,3,,0"), IPL_OK);     /* released */
    CHECK_INT(nev, 0);
    /* a reclaimed row does not bound them (its write time is unknown) */
    CHECK_INT(parse("10.0.0.3,00:00:00:00:00:03,,10,1150,1,0,0,,2,,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(evs[0].ts, S(1150));
    CHECK_INT(pending(), 1);
    /* an allocation at 1500: both removals happened at or before it */
    CHECK_INT(parse("10.0.0.4,00:00:00:00:00:04,,1000,2500,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 3);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_STR(evs[0].ip, "10.0.0.1");
    CHECK_INT(evs[0].ts, S(1500));
    CHECK_STR(host_of(0), "a");
    CHECK_STR(attr_of(0, IPL_A_TIME_BASIS), "file-order");
    CHECK_INT(evs[1].kind, IPL_K_LEASE_RELEASE);
    CHECK_STR(evs[1].ip, "10.0.0.2");
    CHECK_INT(evs[1].ts, S(1500));
    CHECK_STR(attr_of(1, IPL_A_STATUS), "released");
    CHECK_INT(evs[2].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[2].ts, S(1500));
    CHECK_INT(pending(), 0);

    /* the lease end caps the time: removal of 10.0.0.4 (ends 2500), next row at 3000 */
    CHECK_INT(parse("10.0.0.4,00:00:00:00:00:04,,0,1500,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("10.0.0.5,00:00:00:00:00:05,,1000,4000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 2);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, S(2500));

    /* flush of a reclaimed lease: delete at the file clock */
    CHECK_INT(parse("10.0.0.3,00:00:00:00:00:03,,0,1140,1,0,0,,2,,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DELETE);
    CHECK_INT(evs[0].ts, S(3000));
    CHECK_STR(attr(IPL_A_TIME_BASIS), "file-order");

    /* declined, then recovered after the probation period (state 1, valid 0) */
    CHECK_INT(parse("10.0.0.6,,,100,3100,1,0,0,,1,,0"), IPL_OK);        /* declined at 3000 */
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DECLINE);
    CHECK_INT(parse("10.0.0.7,00:00:00:00:00:07,,1000,5000,1,0,0,,0,,0"), IPL_OK);  /* 4000 */
    CHECK_INT(parse("10.0.0.6,,,0,3000,1,0,0,,1,,0"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_EXPIRE);
    CHECK_INT(evs[0].ts, S(3100));                                       /* probation end */
    CHECK(mac() == NULL);

    /* end of input: held removals are bounded by ctx->now and their lease end */
    CHECK_INT(parse("10.0.0.7,00:00:00:00:00:07,,0,4000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(pending(), 1);
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, S(5000));
    CHECK_INT(pending(), 0);
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(nev, 0);
}

/* The file clock lives in ctx->last_ts: a resumed stream (no header, fresh state) continues it. */
static void test_csv_resume(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(parse("10.0.0.1,00:00:00:00:00:01,,1000,9000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(ctx.last_ts, S(8000));
    int64_t saved = ctx.last_ts;
    use("kea-csv", ipl_tz_utc());
    ctx.last_ts = saved;
    /* no header: the layout is inferred from the 12 fields */
    CHECK_INT(parse("10.0.0.2,00:00:00:00:00:02,,0,100,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("10.0.0.3,00:00:00:00:00:03,,1000,10000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(nev, 2);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);        /* end unknown: the next row's time */
    CHECK_INT(evs[0].ts, S(9000));
    /* with no upper bound at all (now unset): the file clock */
    use("kea-csv", ipl_tz_utc());
    ctx.now = 0;
    ctx.last_ts = saved;
    CHECK_INT(parse("10.0.0.2,00:00:00:00:00:02,,0,100,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(finish(), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].ts, S(8000));
}

/* Column sets: older schemas, reordered and unknown columns, inferred layouts, headers again. */
static void test_csv_columns(void)
{
    /* Kea 1.x v4: 9 columns, no state */
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
                    "hostname"), IPL_OK);
    CHECK_INT(parse("192.0.2.9,00:11:22:33:44:55,,3600,7200,4,0,0,h"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(3600));
    CHECK_STR(attr(IPL_A_SUBNET_ID), "4");
    CHECK_STR(host(), "h");

    /* reordered, with an unknown column: mapped by name */
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse("expire,valid_lifetime,address,hwaddr,client_id,subnet_id,fqdn_fwd,fqdn_rev,"
                    "hostname,future_column,state"), IPL_OK);
    CHECK_INT(parse("7200,3600,192.0.2.10,00:11:22:33:44:56,,5,1,1,x&#x26y,whatever,0"), IPL_OK);
    CHECK_INT(evs[0].ts, S(3600));
    CHECK_STR(evs[0].ip, "192.0.2.10");
    CHECK_STR(mac(), "001122334456");
    CHECK_STR(host(), "x&y");

    /* a header met again replaces the map (concatenated files) */
    CHECK_INT(parse(H6), IPL_OK);
    CHECK_INT(parse("2001:db8::5,00:03:00:01:00:11:22:33:44:57,100,200,1,50,0,3,128,0,0,,,0,,0,0,0"),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(mac(), "001122334457");                     /* from the DUID-LL */

    /* Kea 1.x v6 (12 columns) without a header: inferred */
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse("2001:db8::6,00:01:02,100,200,1,50,0,3,128,0,0,"), IPL_OK);
    CHECK_STR(duid(), "000102");
    CHECK(mac() == NULL);
    CHECK_INT(evs[0].ts, S(100));

    /* v6: state 4 (registered), hwaddr of another length, declined with placeholder DUID */
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H6), IPL_OK);
    CHECK_INT(parse("2001:db8::7,00:01:02,100,200,1,50,0,3,128,0,0,,01:02:03:04:05:06:07:08,4,,32,1,0"),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(attr(IPL_A_STATUS), "registered");
    CHECK_STR(attr(IPL_A_HWADDR), "0102030405060708");
    CHECK(mac() == NULL);
    CHECK_INT(parse("2001:db8::8,00,86400,86500,1,0,0,3,128,0,0,,,1,,0,0,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DECLINE);
    CHECK(duid() == NULL && mac() == NULL);
    CHECK_INT(parse("2001:db8::9,00:00:00,86400,86500,1,0,0,3,128,0,0,,,1,,0,0,0"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DECLINE);
    CHECK(duid() == NULL);

    /* blank lines, CR and a BOM are tolerated */
    CHECK_INT(parse(""), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("   \r"), IPL_OK);
    use("kea-csv", ipl_tz_utc());
    char bom[512];
    snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s\r", H4);
    CHECK_INT(parse(bom), IPL_OK);
    CHECK_INT(parse("10.1.1.1,00:11:22:33:44:55,,10,20,1,0,0,,0,,0\r"), IPL_OK);
    CHECK_INT(nev, 1);
}

/* Refused rows and headers, with their reasons. */
static void test_csv_errors(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(parse("10.20.30.41,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,laptop,0,"), IPL_EPARSE);
    CHECK_STR(diag.msg, "row has 11 fields, the header has 12 columns: "
                        "'10.20.30.41,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,laptop,0,'");
    CHECK_INT(parse("10.20.30.410,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 1 (address) '10.20.30.410' is not an IPv4 address");
    CHECK_INT(parse("2001:db8::1,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 1 (address) '2001:db8::1' is not an IPv4 address");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2g,,4000,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 2 (hwaddr) '3c:52:82:6a:1b:2g' is not a hardware address "
                        "(colon-separated hex, at most 20 octets)");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,01:zz,4000,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 3 (client_id) '01:zz' is not a client identifier (colon-separated hex)");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,-5,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 4 (valid_lifetime) '-5' is not a lifetime in seconds");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4294967296,1714548132,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 4 (valid_lifetime) '4294967296' is not a lifetime in seconds");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,2024-05-01,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 5 (expire) '2024-05-01' is not a Unix time in seconds");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,3999,1,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 5 (expire) '3999' is before its valid_lifetime '4000' from the epoch");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,x,1,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 6 (subnet_id) 'x' is not a subnet ID");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,1,2,1,laptop,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 7 (fqdn_fwd) '2' is not a boolean (0 or 1)");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,1,1,1,laptop,7,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 10 (state) '7' is not a Kea lease state (0-4)");
    CHECK_INT(parse("10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,1,1,1,bad&#x00name,0,,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 9 (hostname) 'bad&#x00name' holds an escaped NUL byte (&#x00)");
    CHECK_INT(parse_n("10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,1,1,1,a\0b,0,,0", 52), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at offset 45 of the line '10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,"
                        "1,1,1,a\\x00b,0,,0'");
    CHECK_INT(parse("garbage"), IPL_EPARSE);
    CHECK_STR(diag.msg, "row has 1 fields, the header has 12 columns: 'garbage'");
    /* a hostname over the event's string limit */
    char big[1024];
    int n = snprintf(big, sizeof big, "10.0.0.1,3c:52:82:6a:1b:2f,,4000,5000,1,1,1,");
    memset(big + n, 'h', 500);
    snprintf(big + n + 500, sizeof big - (size_t)n - 500, ",0,,0");
    CHECK_INT(parse(big), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 9 (hostname) is 500 bytes long, longer than the 479-byte limit");
    /* a line over the cap */
    char *huge = malloc(20000);
    memset(huge, 'a', 20000);
    CHECK_INT(parse_n(huge, 20000), IPL_EPARSE);
    CHECK_STR(diag.msg, "line is 20000 bytes, longer than the 16384-byte limit");
    free(huge);
    /* nothing was emitted by any refused row, nothing is held */
    CHECK_INT(nev, 0);
    CHECK_INT(pending(), 0);

    /* v6 errors */
    CHECK_INT(parse(H6), IPL_OK);
    CHECK_INT(parse("10.0.0.1,00:01,100,200,1,50,0,3,128,0,0,,,0,,0,0,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 1 (address) '10.0.0.1' is not an IPv6 address");
    CHECK_INT(parse("2001:db8::1,,100,200,1,50,0,3,128,0,0,,,0,,0,0,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 2 (duid) '' is empty: a v6 lease needs a DUID");
    CHECK_INT(parse("2001:db8::1,00:01,100,200,1,50,3,3,128,0,0,,,0,,0,0,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 7 (lease_type) '3' is not a lease type (0, 1 or 2)");
    CHECK_INT(parse("2001:db8::1,00:01,100,200,1,50,0,3,129,0,0,,,0,,0,0,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 9 (prefix_len) '129' is not a prefix length (0-128)");
    CHECK_INT(parse("2001:db8::1,00:01,100,200,1,50,0,x,128,0,0,,,0,,0,0,0"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 8 (iaid) 'x' is not a decimal IAID");

    /* headers */
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse("address,hwaddr,client_id,valid_lifetime,subnet_id,fqdn_fwd,fqdn_rev,hostname"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "v4 lease file header lacks the column 'expire': "
                        "'address,hwaddr,client_id,valid_lifetime,subnet_id,fqdn_fwd,fqdn_...'");
    CHECK_INT(parse("address,hwaddr,hwaddr,client_id,valid_lifetime,expire"), IPL_EPARSE);
    CHECK_STR(diag.msg, "header names column 'hwaddr' twice (columns 2 and 3)");
    /* no header and a row that fits no layout */
    CHECK_INT(parse("10.0.0.1,a,b"), IPL_EPARSE);
    CHECK_STR(diag.msg, "no header line was read and 3 fields match no Kea v4 lease file layout");
    CHECK_INT(parse("hello,world,1,2,3,4,5,6,7"), IPL_EPARSE);
    CHECK_STR(diag.msg, "column 1 (address) 'hello' is not an IP address (and no header line was "
                        "read)");
}

static int count_event(void *c, const ipl_event *ev)
{
    (void)ev;
    ++*(int *)c;
    return IPL_OK;
}

/* The held queue: a header flushes it; overflow flushes at the file clock. */
static void test_csv_queue(void)
{
    use("kea-csv", ipl_tz_utc());
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(parse("10.0.0.1,00:00:00:00:00:01,,100,1100,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(parse("10.0.0.1,00:00:00:00:00:01,,0,1000,1,0,0,,0,,0"), IPL_OK);
    CHECK_INT(pending(), 1);
    CHECK_INT(parse(H4), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, S(1000));                        /* no upper bound: the file clock */
    CHECK_INT(pending(), 0);
    /* 200 removals in a row: the queue (128 rows) overflows once, at the file clock */
    int counted = 0;
    for (int i = 0; i < 200; i++) {
        char row[128];
        snprintf(row, sizeof row, "10.0.%d.%d,00:00:00:00:00:01,,0,1000,1,0,0,,0,,0", i / 250,
                 i % 250 + 1);
        ipl_arena_clear(&arena);
        CHECK_INT(P->line(state, &ctx, row, strlen(row), count_event, &counted, &diag), IPL_OK);
    }
    CHECK_INT(counted, 128);
    CHECK_INT(pending(), 1);
    CHECK_INT(P->finish(state, &ctx, count_event, &counted, &diag), IPL_OK);
    CHECK_INT(counted, 200);
    CHECK_INT(pending(), 0);
}

/* ================================================================================================
 * kea-log
 * ============================================================================================== */

static void test_log_samples(void)
{
    use("kea-log", berlin);
    CHECK_INT(parse("2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] "
                    "DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], "
                    "tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 15, 32) + 412000);
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK(duid() == NULL && host() == NULL);
    CHECK_STR(evs[0].server, "kea01");
    CHECK_STR(attr(IPL_A_CODE), "DHCP4_LEASE_ALLOC");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "013c52826a1b2f");
    CHECK_STR(attr(IPL_A_XID), "0x5a3e2c11");
    CHECK_STR(attr(IPL_A_LIFETIME), "4000");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T07:22:12Z");
    CHECK_INT(evs[0].nattr, 5);
    CHECK_INT(ctx.last_ts, evs[0].ts);

    CHECK_INT(parse("2024-05-01 17:02:11.007 INFO  [kea-dhcp4.leases/1187.139872134567680] "
                    "DHCP4_RELEASE [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], "
                    "tid=0x1b2c3d4e: address 10.20.30.41 was released properly."), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 15, 2, 11) + 7000);
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_XID), "0x1b2c3d4e");
    CHECK(attr(IPL_A_LIFETIME) == NULL);

    CHECK_INT(parse("2024-05-01 08:20:01.233 INFO  [kea-dhcp6.leases/1190.140001122334455] "
                    "DHCP6_LEASE_ALLOC duid=[00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f], "
                    "[no hwaddr info], tid=0x4a2b1c: lease for address 2001:db8:10:20::1a2b and "
                    "iaid=1782193967 has been allocated for 7200 seconds"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 20, 1) + 233000);
    CHECK_STR(evs[0].ip, "2001:db8:10:20::1a2b");
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");                       /* from the DUID-LLT */
    CHECK_STR(attr(IPL_A_IAID), "1782193967");
    CHECK_STR(attr(IPL_A_LIFETIME), "7200");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T08:20:01Z");
    CHECK_STR(attr(IPL_A_XID), "0x4a2b1c");
}

/* Every message with lease meaning. */
static void test_log_messages(void)
{
    static const struct {
        const char *line;
        int kind;
        const char *ip, *mac, *duid;
    } cases[] = {
        {"DHCP4_LEASE_ADVERT [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease 10.0.0.1 will be advertised",
         IPL_K_LEASE_OFFER, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_LEASE_OFFER [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease 10.0.0.1 will be offered",
         IPL_K_LEASE_OFFER, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_LEASE_REUSE [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease 10.0.0.1 has been reused for 300 seconds",
         IPL_K_LEASE_RENEW, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_INIT_REBOOT [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: client is in INIT-REBOOT state and requests address 10.0.0.1",
         IPL_K_LEASE_REQUEST, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_RELEASE_EXPIRED [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: address 10.0.0.1 expired on release.",
         IPL_K_LEASE_RELEASE, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_RELEASE_DELETED [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: address 10.0.0.1 was deleted on release.",
         IPL_K_LEASE_RELEASE, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_DECLINE_LEASE Received DHCPDECLINE for addr 10.0.0.1 from client [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1. The lease will be unavailable for 86400 seconds.",
         IPL_K_LEASE_DECLINE, "10.0.0.1", "3c52826a1b2f", NULL},
        {"DHCP4_SERVER_INITIATED_DECLINE [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: Lease for addr 10.0.0.1 has been found to be already in use. The lease will be unavailable for 86400 seconds.",
         IPL_K_LEASE_CONFLICT, "10.0.0.1", "3c52826a1b2f", NULL},
        {"ALLOC_ENGINE_V4_LEASE_RECLAIM [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info]: reclaiming expired lease for address 10.0.0.1",
         IPL_K_LEASE_EXPIRE, "10.0.0.1", "3c52826a1b2f", NULL},
        {"ALLOC_ENGINE_V4_DECLINED_RECOVERED IPv4 address 10.0.0.1 was recovered after 86400 seconds of probation-period",
         IPL_K_LEASE_EXPIRE, "10.0.0.1", NULL, NULL},
        {"DHCP6_LEASE_RENEW duid=[00:03:00:01:00:11:22:33:44:55], [no hwaddr info], tid=0x2: lease for address 2001:db8::1 and iaid=5 has been allocated",
         IPL_K_LEASE_RENEW, "2001:db8::1", "001122334455", "00030001001122334455"},
        {"DHCP6_LEASE_REUSE duid=[00:03:00:01:00:11:22:33:44:55], [no hwaddr info], tid=0x2: lease for address 2001:db8::1 and iaid=5 has been reused for 60 seconds",
         IPL_K_LEASE_RENEW, "2001:db8::1", "001122334455", "00030001001122334455"},
        {"DHCP6_LEASE_ADVERT duid=[00:02:00:00:09:bf:01], [hwtype=1 00:11:22:33:44:66], tid=0x2: lease for address 2001:db8::1 and iaid=5 will be advertised",
         IPL_K_LEASE_OFFER, "2001:db8::1", "001122334466", "0002000009bf01"},
        {"DHCP6_PD_LEASE_ALLOC duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: lease for prefix 2001:db8:ff00::/56 and iaid=1 has been allocated for 7200 seconds",
         IPL_K_LEASE_ASSIGN, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_PD_LEASE_RENEW duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: lease for prefix 2001:db8:ff00::/56 and iaid=1 has been allocated",
         IPL_K_LEASE_RENEW, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_PD_LEASE_REUSE duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: lease for prefix 2001:db8:ff00::/56 and iaid=1 has been reused for 10 seconds",
         IPL_K_LEASE_RENEW, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_PD_LEASE_ADVERT duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: lease for prefix 2001:db8:ff00::/56 and iaid=1 will be advertised",
         IPL_K_LEASE_OFFER, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_NA duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: binding for address 2001:db8::1 and iaid=5 was released properly",
         IPL_K_LEASE_RELEASE, "2001:db8::1", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_NA_EXPIRED duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: binding for address 2001:db8::1 and iaid=5 expired on release",
         IPL_K_LEASE_RELEASE, "2001:db8::1", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_NA_DELETED duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: binding for address 2001:db8::1 and iaid=5 was deleted on release",
         IPL_K_LEASE_RELEASE, "2001:db8::1", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_PD duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: prefix 2001:db8:ff00::/56 for iaid=1 was released properly",
         IPL_K_LEASE_RELEASE, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_PD_EXPIRED duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: prefix 2001:db8:ff00::/56 for iaid=1 expired on release",
         IPL_K_LEASE_RELEASE, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_RELEASE_PD_DELETED duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2: prefix 2001:db8:ff00::/56 for iaid=1 was deleted on release",
         IPL_K_LEASE_RELEASE, "2001:db8:ff00::", NULL, "0002000009bf01"},
        {"DHCP6_DECLINE_LEASE Client duid=[00:02:00:00:09:bf:01], [no hwaddr info], tid=0x2 sent DECLINE for address 2001:db8::1 and the server marked it as declined. The lease will be recovered in 86400 seconds.",
         IPL_K_LEASE_DECLINE, "2001:db8::1", NULL, "0002000009bf01"},
        {"ALLOC_ENGINE_V6_LEASE_RECLAIM duid=[00:02:00:00:09:bf:01], [no hwaddr info]: reclaiming expired lease for prefix 2001:db8::1/128",
         IPL_K_LEASE_EXPIRE, "2001:db8::1", NULL, "0002000009bf01"},
        {"ALLOC_ENGINE_V6_DECLINED_RECOVERED IPv6 address 2001:db8::1 was recovered after 86400 seconds of probation-period",
         IPL_K_LEASE_EXPIRE, "2001:db8::1", NULL, NULL},
    };
    use("kea-log", ipl_tz_utc());
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[1024];
        snprintf(line, sizeof line, "2024-05-01 10:00:00.000 INFO  [kea-dhcp.leases/1.2] %s",
                 cases[i].line);
        int rc = parse(line);
        CHECK_INT(rc, IPL_OK);
        if (rc != IPL_OK) {
            fprintf(stderr, "   case %zu: %s\n", i, diag.msg);
            continue;
        }
        CHECK_INT(nev, 1);
        CHECK_INT(evs[0].kind, cases[i].kind);
        CHECK_INT(evs[0].ts, T(2024, 5, 1, 10, 0, 0));
        CHECK_STR(evs[0].ip, cases[i].ip);
        CHECK_STR(mac(), cases[i].mac);
        CHECK_STR(duid(), cases[i].duid);
    }
    /* a few attributes */
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP6_PD_LEASE_ALLOC duid=[00:01], tid=0x2: "
                    "lease for prefix 2001:db8:ff00::/56 and iaid=1 has been allocated for 7200 "
                    "seconds"), IPL_OK);
    CHECK_STR(attr(IPL_A_PREFIX_LEN), "56");
    CHECK_STR(attr(IPL_A_IAID), "1");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T12:00:00Z");
    CHECK_INT(parse("2024-05-01 10:00:00.000 DEBUG [x] ALLOC_ENGINE_V6_LEASE_RECLAIM duid=[00:01]: "
                    "reclaiming expired lease for prefix 2001:db8::/48"), IPL_OK);
    CHECK_STR(attr(IPL_A_PREFIX_LEN), "48");
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_DECLINE_LEASE Received DHCPDECLINE for "
                    "addr 10.0.0.1 from client [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1. "
                    "The lease will be unavailable for 86400 seconds."), IPL_OK);
    CHECK_STR(attr(IPL_A_LIFETIME), "86400");
    /* a hardware address that is not a MAC */
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=32 01:02:03:04:05:06:"
                    "07:08], cid=[ff:00:01], tid=0x1: lease 10.0.0.2 has been allocated for 60 "
                    "seconds"), IPL_OK);
    CHECK(mac() == NULL);
    CHECK_STR(attr(IPL_A_HWADDR), "0102030405060708");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "ff0001");
    /* an empty hardware address and client id (a declined lease being reclaimed) */
    CHECK_INT(parse("2024-05-01 10:00:00.000 DEBUG [x] ALLOC_ENGINE_V4_LEASE_RECLAIM [hwtype=1 ], "
                    "cid=[]: reclaiming expired lease for address 10.0.0.3"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_EXPIRE);
    CHECK(mac() == NULL);
    CHECK(attr(IPL_A_CLIENT_ID) == NULL);
}

/* Non-lease messages, service/housekeeping events, continuation lines, custom patterns. */
static void test_log_other(void)
{
    use("kea-log", ipl_tz_utc());
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [kea-dhcp4.dhcp4/1187.1] DHCP4_STARTED Kea DHCPv4 "
                    "server version 2.4.1 started"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_SERVICE);
    CHECK_INT(evs[0].has_ip, 0);
    CHECK_STR(attr(IPL_A_DESC), "Kea DHCPv4 server version 2.4.1 started");
    CHECK_STR(attr(IPL_A_CODE), "DHCP4_STARTED");
    CHECK_INT(parse("2024-05-01 10:05:00.000 INFO  [kea-dhcp4.dhcpsrv/1187.1] DHCPSRV_MEMFILE_LFC_START "
                    "starting Lease File Cleanup"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_HOUSEKEEPING);
    /* messages about other things: no event */
    CHECK_INT(parse("2024-05-01 10:05:00.000 INFO  [kea-dhcp4.dhcp4/1187.1] DHCP4_CONFIG_COMPLETE "
                    "DHCPv4 server has completed configuration: added IPv4 subnets: 1"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("2024-05-01 10:05:00.000 DEBUG [kea-dhcp4.dhcpsrv/1187.1] DHCPSRV_MEMFILE_ADD_ADDR4 "
                    "adding IPv4 lease with address 10.0.0.1"), IPL_OK);
    CHECK_INT(nev, 0);
    /* continuation lines after a non-lease message */
    CHECK_INT(parse("2024-05-01 10:05:00.000 DEBUG [kea-dhcp4.packets/1.2] DHCP4_QUERY_DATA "
                    "[hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1, packet details: x"), IPL_OK);
    CHECK_INT(parse("options:"), IPL_OK);
    CHECK_INT(parse("  type=053, len=001: 3 (uint8)"), IPL_OK);
    CHECK_INT(nev, 0);
    /* ... but not after a lease message */
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], "
                    "cid=[no info], tid=0x1: lease 10.0.0.2 has been allocated for 60 seconds"), IPL_OK);
    CHECK_INT(parse("options:"), IPL_EPARSE);
    CHECK_STR(diag.msg, "line does not start with a Kea timestamp 'YYYY-MM-DD HH:MM:SS.mmm': 'options:'");
    /* the syslog-style pattern and a custom one without severity */
    CHECK_INT(parse("2024-05-01T10:00:00 DHCP4_RELEASE [hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], "
                    "tid=0x1: address 10.0.0.2 was released properly."), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 10, 0, 0));
    /* continuation run cap */
    CHECK_INT(parse("2024-05-01 10:05:00.000 DEBUG [x] DHCP4_QUERY_DATA details"), IPL_OK);
    int bad = 0;
    for (int i = 0; i < 2001; i++)
        if (parse("  more") != IPL_OK)
            bad++;
    CHECK_INT(bad, 1);
    CHECK_STR(diag.msg, "more than 2000 continuation lines after one Kea log message: '  more'");
}

static void test_log_errors(void)
{
    use("kea-log", ipl_tz_utc());
    CHECK_INT(parse("hello"), IPL_EPARSE);
    CHECK_STR(diag.msg, "line does not start with a Kea timestamp 'YYYY-MM-DD HH:MM:SS.mmm': 'hello'");
    CHECK_INT(parse("2024-13-01 10:00:00.000 INFO  [x] DHCP4_STARTED x"), IPL_EPARSE);
    CHECK_STR(diag.msg, "timestamp '2024-13-01 10:00:00.000' is not a valid date and time");
    CHECK_INT(parse("2024-05-01T08:15:32.123456+02:00 dhcp1 kea-dhcp4[1187]: INFO  [x] DHCP4_STARTED x"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "timestamp '2024-05-01T08:15:32.123456' is followed by '+', not a blank (a "
                        "zone offset means another format, e.g. syslog)");
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] just some words"), IPL_EPARSE);
    CHECK_STR(diag.msg, "no Kea message ID (an UPPER_SNAKE word) in ' INFO  [x] just some words'");
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], "
                    "cid=[no info], tid=0x1: lease 10.0.0.2 has been allocated for many seconds"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "DHCP4_LEASE_ALLOC text '[hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: "
                        "lease 10.0...' does not match '%1: lease %2 has been allocated for %3 "
                        "seconds' (at offset 92)");
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:zz], "
                    "cid=[no info], tid=0x1: lease 10.0.0.2 has been allocated for 6 seconds"),
              IPL_EPARSE);
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], "
                    "cid=[no info], tid=0x1: lease 2001:db8::1 has been allocated for 6 seconds"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "DHCP4_LEASE_ALLOC text '[hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: "
                        "lease 2001...' names an IPv6 address where IPv4 is expected");
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP6_LEASE_ALLOC duid=[00:01], tid=0x1: lease "
                    "for address 10.0.0.1 and iaid=1 has been allocated for 6 seconds"), IPL_EPARSE);
    CHECK(strstr(diag.msg, "names an IPv4 address where IPv6 is expected") != NULL);
    CHECK_INT(parse("2024-05-01 10:00:00.000 INFO  [x] DHCP4_RELEASE no label: address 10.0.0.1 was "
                    "released properly."), IPL_EPARSE);
    CHECK_INT(parse_n("2024-05-01 10:00:00.000 INFO  [x] DHCP4_STARTED \0", 49), IPL_EPARSE);
    CHECK(strstr(diag.msg, "NUL byte at offset 48") != NULL);
    CHECK_INT(nev, 0);
    CHECK_INT(ctx.last_ts, 0);                            /* refused lines never move it */
}

/* Local time: DST gap and overlap through ipl_tz_resolve. */
static void test_log_dst(void)
{
    use("kea-log", berlin);
    /* 2024-10-27 02:30 happens twice in Berlin: first CEST (00:30Z), then CET (01:30Z) */
    CHECK_INT(parse("2024-10-27 02:30:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], "
                    "cid=[no info], tid=0x1: lease 10.0.0.2 has been allocated for 60 seconds"), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 10, 27, 0, 30, 0));
    CHECK_INT(parse("2024-10-27 02:10:00.000 INFO  [x] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], "
                    "cid=[no info], tid=0x1: lease 10.0.0.2 has been allocated for 60 seconds"), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 10, 27, 1, 10, 0));       /* went back: the second 02:10 */
}

static void test_syslog_sub(void)
{
    use("kea-log", ipl_tz_utc());        /* for the context only */
    CHECK_STR(ipl_syslog_sub_kea.name, "kea");
    CHECK_STR(ipl_syslog_sub_kea.tags[0], "kea-dhcp4");
    CHECK_STR(ipl_syslog_sub_kea.tags[1], "kea-dhcp6");
    CHECK(ipl_syslog_sub_kea.tags[2] == NULL);
    static const char msg[] = "INFO  [kea-dhcp4.leases.139872134567680] DHCP4_LEASE_ALLOC "
                              "[hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease "
                              "10.20.30.41 has been allocated for 4000 seconds";
    ipl_syslog env = {
        .ts = S(1714544132), .pri = 30, .rfc = 3164, .host = "dhcp-a", .host_len = 6,
        .tag = "kea-dhcp4", .tag_len = 9, .pid = "1187", .pid_len = 4,
        .msg = msg, .msg_len = sizeof msg - 1,
    };
    nev = 0;
    ipl_arena_clear(&arena);
    CHECK_INT(ipl_syslog_sub_kea.message(&ctx, &env, on_event, NULL, &diag), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, S(1714544132));
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(evs[0].server, "kea01");                    /* --server wins */
    ctx.server = NULL;
    nev = 0;
    CHECK_INT(ipl_syslog_sub_kea.message(&ctx, &env, on_event, NULL, &diag), IPL_OK);
    CHECK_STR(evs[0].server, "dhcp-a");                   /* else the envelope's host */
    static const char junk[] = "nothing to see";
    env.msg = junk;
    env.msg_len = sizeof junk - 1;
    nev = 0;
    CHECK_INT(ipl_syslog_sub_kea.message(&ctx, &env, on_event, NULL, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "no Kea message ID (an UPPER_SNAKE word) in 'nothing to see'");
    CHECK_INT(nev, 0);
}

/* The sub through the syslog router (the "syslog" format), as rsyslog and RFC 3164 write it. */
static void test_syslog_router(void)
{
    use("syslog", ipl_tz_utc());
    ctx.year_hint = 2024;
    CHECK_INT(parse("May  1 08:15:32 dhcp1 kea-dhcp4[1187]: INFO  [kea-dhcp4.leases.139872134567680] "
                    "DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], "
                    "tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 8, 15, 32));
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T09:22:12Z");
    CHECK_INT(parse("2024-05-01T08:20:01.233+02:00 dhcp1 kea-dhcp6[1190]: INFO  [kea-dhcp6.leases.1] "
                    "DHCP6_LEASE_ALLOC duid=[00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f], [no hwaddr "
                    "info], tid=0x4a2b1c: lease for address 2001:db8:10:20::1a2b and iaid=1782193967 "
                    "has been allocated for 7200 seconds"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 20, 1) + 233000);
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_INT(parse("May  1 08:15:32 dhcp1 kea-dhcp4[1187]: INFO  [kea-dhcp4.dhcp4.1] DHCP4_CONFIG_COMPLETE "
                    "DHCPv4 server has completed configuration"), IPL_OK);
    CHECK_INT(nev, 0);
    CHECK_INT(parse("May  1 08:15:32 dhcp1 kea-dhcp4[1187]: INFO  [kea-dhcp4.leases.1] DHCP4_RELEASE "
                    "garbled"), IPL_EPARSE);
    CHECK_STR(diag.msg, "DHCP4_RELEASE text 'garbled' does not match '%1: address %2 was released "
                        "properly.' (at offset 0)");
}

/* ================================================================================================
 * kea-legal
 * ============================================================================================== */

static void test_legal(void)
{
    use("kea-legal", berlin);
    CHECK_INT(parse("2024-05-01 08:15:32 CEST Address: 10.20.30.41 has been assigned for 1 hrs 6 mins "
                    "40 secs to a device with hardware address: hwtype=1 3c:52:82:6a:1b:2f, client-id: "
                    "01:3c:52:82:6a:1b:2f connected via relay at address: 10.20.30.1, identified by "
                    "circuit-id: 00:04:00:14:00:01 and remote-id: 00:0c:29:ab:cd:ef"), IPL_OK);
    CHECK_INT(nev, 1);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 6, 15, 32));
    CHECK_STR(evs[0].ip, "10.20.30.41");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_CLIENT_ID), "013c52826a1b2f");
    CHECK_STR(attr(IPL_A_LIFETIME), "4000");
    CHECK_STR(attr(IPL_A_LEASE_END), "2024-05-01T07:22:12Z");
    CHECK_STR(evs[0].server, "kea01");

    CHECK_INT(parse("2024-05-01 17:02:11 CEST Address: 10.20.30.41 has been released from a device with "
                    "hardware address: hwtype=1 3c:52:82:6a:1b:2f, client-id: 01:3c:52:82:6a:1b:2f"),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RELEASE);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 15, 2, 11));
    CHECK_STR(mac(), "3c52826a1b2f");

    CHECK_INT(parse("2024-05-01 10:20:01 CEST Address: 2001:db8:10:20::1a2b has been assigned for 2 hrs "
                    "0 mins 0 secs to a device with DUID: 00:01:00:01:2b:3c:4d:5e:3c:52:82:6a:1b:2f and "
                    "hardware address: hwtype=1 3c:52:82:6a:1b:2f (from IPv6 Link Local)"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 8, 20, 1));
    CHECK_STR(evs[0].ip, "2001:db8:10:20::1a2b");
    CHECK_STR(duid(), "000100012b3c4d5e3c52826a1b2f");
    CHECK_STR(mac(), "3c52826a1b2f");
    CHECK_STR(attr(IPL_A_LIFETIME), "7200");

    /* variants: no space after "Address:", renewed, days, "min", prefixes, infinite, UTC, offset */
    CHECK_INT(parse("2024-05-01 10:20:01 UTC Address:2001:db8::2 has been renewed for 1 days 0 hrs 0 min "
                    "5 secs to a device with DUID: 00:03:00:01:00:11:22:33:44:55"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_RENEW);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 10, 20, 1));
    CHECK_STR(attr(IPL_A_LIFETIME), "86405");
    CHECK_STR(mac(), "001122334455");
    CHECK_INT(parse("2024-05-01 10:20:01 +0200 Prefix: 2001:db8:ff00::/56 has been assigned for infinite "
                    "duration to a device with DUID: 00:01"), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 8, 20, 1));
    CHECK_STR(evs[0].ip, "2001:db8:ff00::");
    CHECK_STR(attr(IPL_A_PREFIX_LEN), "56");
    CHECK_STR(attr(IPL_A_LEASE_END), "infinite");
    /* no zone at all: local */
    CHECK_INT(parse("2024-05-01 10:20:01 Address: 10.0.0.9 has been released from a device with "
                    "hardware address: 00:11:22:33:44:55"), IPL_OK);
    CHECK_INT(evs[0].ts, T(2024, 5, 1, 8, 20, 1));
    /* control channel */
    CHECK_INT(parse("2024-05-01 10:20:01 CEST Administrator added a lease of address: 10.0.0.1 to a "
                    "device with hardware address: 00:11:22:33:44:55 for 0 hrs 10 mins 0 secs"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_STR(mac(), "001122334455");
    CHECK_STR(attr(IPL_A_LIFETIME), "600");
    CHECK_INT(parse("2024-05-01 10:20:01 CEST HA partner updated information on the lease of address: "
                    "10.0.0.1 to a device with hardware address: 00:11:22:33:44:56"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_ASSIGN);
    CHECK_INT(parse("2024-05-01 10:20:01 CEST Administrator deleted the lease for address: 10.0.0.1"),
              IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DELETE);
    CHECK(mac() == NULL);
    CHECK_INT(parse("2024-05-01 10:20:01 CEST Administrator deleted a lease for a device identified by: "
                    "hw-address of 00:11:22:33:44:55"), IPL_OK);
    CHECK_INT(evs[0].kind, IPL_K_LEASE_DELETE);
    CHECK_INT(evs[0].has_ip, 0);
    CHECK_STR(mac(), "001122334455");
    /* continuation line of a custom multi-line record */
    CHECK_INT(parse("2024-05-01 10:20:01 CEST-first line of a custom record"), IPL_OK);
    CHECK_INT(nev, 0);
    /* refused */
    CHECK_INT(parse("2024-05-01 10:20:01 CEST Something else happened"), IPL_EPARSE);
    CHECK_STR(diag.msg, "forensic log text 'Something else happened' is not a lease entry (at offset 0)");
    CHECK_INT(parse("2024-05-01 10:20:01 CEST Address: 10.0.0.1 has been assigned for a while to a "
                    "device with hardware address: 00:11:22:33:44:55"), IPL_EPARSE);
    CHECK_STR(diag.msg, "forensic log text 'Address: 10.0.0.1 has been assigned for a while to a "
                        "device with...' is not a lease entry (at offset 40)");
    CHECK_INT(parse("May  1 10:20:01 host x"), IPL_EPARSE);
    CHECK_STR(diag.msg, "line does not start with a forensic log timestamp 'YYYY-MM-DD HH:MM:SS': "
                        "'May  1 10:20:01 host x'");
}

/* ================================================================================================
 * probes
 * ============================================================================================== */

static const char *const other_samples[] = {
    /* Windows DHCP (FORMATS.md 1.5/1.6) */
    "\t\tMicrosoft DHCP Service Activity Log\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n",
    "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult\r\n"
    "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0\r\n",
    "10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,,,,,,0\r\n"
    "11,05/01/24,09:15:32,Renew,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734588,0,,,,,,,,,0\r\n",
    "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40::6fc6,test-host,,18,0004A34473C8A3E9A1D2,,,,,\r\n",
    /* ISC dhcpd syslog, leases file */
    "May  1 08:15:32 dhcp1 dhcpd[1187]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (laptop) via eth0\n"
    "May  1 08:15:33 dhcp1 dhcpd[1187]: DHCPREQUEST for 10.20.30.41 from 3c:52:82:6a:1b:2f via eth0\n",
    "# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
    "lease 10.20.30.41 {\n  starts 3 2024/05/01 08:15:32;\n}\n",
    /* dnsmasq */
    "May  1 08:15:32 gw dnsmasq-dhcp[411]: DHCPACK(eth0) 10.20.30.41 3c:52:82:6a:1b:2f laptop\n",
    "1714551332 3c:52:82:6a:1b:2f 10.20.30.41 laptop 01:3c:52:82:6a:1b:2f\n",
    /* Kea log through rsyslog (a syslog file, not kea-log) */
    "2024-05-01T08:15:32.123456+02:00 dhcp1 kea-dhcp4[1187]: INFO  [kea-dhcp4.leases.1] DHCP4_LEASE_ALLOC x\n",
    /* NPS, FreeRADIUS, sshd, XML */
    "\"NPS01\",\"IAS\",05/01/2024,08:15:32,1,\"user\",\"DOMAIN\\user\"\n",
    "Wed May  1 08:15:32 2024\n\tAcct-Status-Type = Start\n\tFramed-IP-Address = 10.20.30.41\n",
    "May  1 08:15:32 host sshd[123]: Accepted password for bob from 10.20.30.41 port 5022 ssh2\n",
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System></System></Event>\n",
    "",
};

static int probe(const char *name, const char *s)
{
    return ipl_parser_find(name)->probe(s, strlen(s));
}

static void test_probes(void)
{
    static const char *const ours[] = {"kea-csv", "kea-log", "kea-legal"};
    for (size_t i = 0; i < sizeof other_samples / sizeof other_samples[0]; i++)
        for (size_t k = 0; k < 3; k++) {
            int sc = probe(ours[k], other_samples[i]);
            if (sc != 0)
                fprintf(stderr, "   %s scores %d on sample %zu\n", ours[k], sc, i);
            CHECK_INT(sc, 0);
        }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s\n10.20.30.41,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,x,0,,0\n", H4);
    CHECK_INT(probe("kea-csv", buf), 100);
    CHECK_INT(probe("kea-log", buf), 0);
    CHECK_INT(probe("kea-legal", buf), 0);
    snprintf(buf, sizeof buf, "%s\n", H6);
    CHECK_INT(probe("kea-csv", buf), 100);
    /* headerless rows */
    CHECK_INT(probe("kea-csv", "10.20.30.41,3c:52:82:6a:1b:2f,,4000,1714548132,1,1,1,x,0,,0\n"
                               "10.20.30.42,3c:52:82:6a:1b:20,,4000,1714548132,1,1,1,x,0,,0\n"), 60);
    const char *log = "2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.1] DHCP4_LEASE_ALLOC "
                      "[hwtype=1 3c:52:82:6a:1b:2f], cid=[no info], tid=0x1: lease 10.0.0.1 has been "
                      "allocated for 4000 seconds\n"
                      "2024-05-01 08:15:33.412 INFO  [kea-dhcp4.dhcp4/1187.1] DHCP4_SHUTDOWN server "
                      "shutdown\n";
    CHECK_INT(probe("kea-log", log), 95);
    CHECK_INT(probe("kea-csv", log), 0);
    CHECK_INT(probe("kea-legal", log), 0);
    CHECK_INT(probe("mswin-dhcp", log), 0);
    const char *legal = "2024-05-01 08:15:32 CEST Address: 10.20.30.41 has been assigned for 1 hrs 6 "
                        "mins 40 secs to a device with hardware address: hwtype=1 3c:52:82:6a:1b:2f\n";
    CHECK_INT(probe("kea-legal", legal), 90);
    CHECK_INT(probe("kea-log", legal), 0);
    CHECK_INT(probe("kea-csv", legal), 0);
    /* the registry picks ours */
    int score;
    char tried[512];
    const ipl_parser *p = ipl_parser_detect(log, strlen(log), &score, tried, sizeof tried);
    CHECK_STR(p ? p->name : NULL, "kea-log");
    p = ipl_parser_detect(legal, strlen(legal), &score, tried, sizeof tried);
    CHECK_STR(p ? p->name : NULL, "kea-legal");
    p = ipl_parser_detect(buf, strlen(buf), &score, tried, sizeof tried);
    CHECK_STR(p ? p->name : NULL, "kea-csv");
}

/* ================================================================================================
 * fixtures: every line parses; the event sequence is the one documented in the files' design
 * ============================================================================================== */

typedef struct fx {
    char out[8192];
    size_t n;
} fx;

static int fx_event(void *c, const ipl_event *ev)
{
    fx *f = c;
    char ip[IPL_IP_TEXT] = "", tb[IPL_TIME_BUF];
    if (ev->has_ip)
        ipl_ip_format(ev->ip, ip, sizeof ip);
    ipl_time_format(ev->ts, tb, sizeof tb);
    int k = snprintf(f->out + f->n, sizeof f->out - f->n, "%s %s %s %s\n", tb,
                     ipl_kind_name(ev->kind), ip[0] ? ip : "-",
                     ev->mac ? ev->mac : ev->duid ? ev->duid : "-");
    if (k > 0 && (size_t)k < sizeof f->out - f->n)
        f->n += (size_t)k;
    return IPL_OK;
}

static void run_fixture(const char *parser, const char *file, const ipl_tz *tz, const char *expect)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/kea/%s", IPL_SOURCE_DIR, file);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    use(parser, tz);
    static fx f;
    f.n = 0;
    f.out[0] = '\0';
    char line[8192];
    int errors = 0;
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        ipl_arena_clear(&arena);
        ipl_diag_clear(&diag);
        if (P->line(state, &ctx, line, n, fx_event, &f, &diag) != IPL_OK) {
            fprintf(stderr, "   %s: %s\n", file, diag.msg);
            errors++;
        }
    }
    fclose(fp);
    if (P->finish)
        CHECK_INT(P->finish(state, &ctx, fx_event, &f, &diag), IPL_OK);
    CHECK_INT(errors, 0);
    CHECK_STR(f.out, expect);
}

static void test_fixtures(void)
{
    run_fixture("kea-csv", "kea-leases4.csv", ipl_tz_utc(),
        "2024-05-01T06:15:32Z lease.assign 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T06:20:00Z lease.assign 10.20.30.42 aabbcc000042\n"
        "2024-05-01T06:48:52Z lease.renew 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T06:55:00Z lease.release 10.20.30.42 aabbcc000042\n"
        "2024-05-01T06:55:00Z lease.assign 10.20.30.50 f0def1a2b3c4\n"
        "2024-05-01T07:03:20Z lease.decline 10.20.30.60 -\n"
        "2024-05-01T07:10:00Z lease.assign 10.20.30.42 deadbeef0001\n"
        "2024-05-01T07:53:20Z lease.release 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T07:53:20Z lease.assign 10.20.30.44 3c5282000044\n"
        "2024-05-01T08:01:40Z lease.expire 10.20.30.50 f0def1a2b3c4\n"
        "2024-05-01T08:16:40Z lease.release 10.20.30.42 deadbeef0001\n");
    run_fixture("kea-csv", "kea-leases6.csv", ipl_tz_utc(),
        "2024-05-01T06:20:01Z lease.assign 2001:db8:10:20::1a2b 3c52826a1b2f\n"
        "2024-05-01T06:20:01Z lease.assign 2001:db8:ff00:: 3c52826a1b2f\n"
        "2024-05-01T06:26:40Z lease.assign 2001:db8:10:20::1a2c aabbcc00002c\n"
        "2024-05-01T07:20:01Z lease.renew 2001:db8:10:20::1a2b 3c52826a1b2f\n"
        "2024-05-01T07:36:40Z lease.release 2001:db8:10:20::1a2c aabbcc00002c\n"
        "2024-05-01T07:36:40Z lease.decline 2001:db8:10:20::1a2d -\n"
        "2024-05-01T08:20:01Z lease.release 2001:db8:ff00:: 3c52826a1b2f\n");
    run_fixture("kea-log", "kea-dhcp4.log", berlin,
        "2024-05-01T06:10:00.001000Z server.service - -\n"
        "2024-05-01T06:15:32.400000Z lease.offer 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T06:15:32.412000Z lease.assign 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T06:20:00.100000Z lease.assign 10.20.30.42 aabbcc000042\n"
        "2024-05-01T06:48:52.010000Z lease.assign 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T06:50:13.500000Z lease.release 10.20.30.42 aabbcc000042\n"
        "2024-05-01T06:55:00Z lease.assign 10.20.30.50 f0def1a2b3c4\n"
        "2024-05-01T07:03:20Z lease.decline 10.20.30.60 001122334460\n"
        "2024-05-01T07:10:00Z lease.assign 10.20.30.42 deadbeef0001\n"
        "2024-05-01T07:53:10Z lease.release 10.20.30.41 3c52826a1b2f\n"
        "2024-05-01T07:53:20Z lease.assign 10.20.30.44 3c5282000044\n"
        "2024-05-01T08:00:00Z lease.release 10.20.30.42 deadbeef0001\n"
        "2024-05-01T08:01:50Z lease.expire 10.20.30.50 f0def1a2b3c4\n"
        "2024-05-01T08:05:00Z server.housekeeping - -\n"
        "2024-05-01T08:06:00Z server.service - -\n");
    run_fixture("kea-log", "kea-dhcp6.log", berlin,
        "2024-05-01T06:19:59.001000Z server.service - -\n"
        "2024-05-01T06:20:01.233000Z lease.assign 2001:db8:10:20::1a2b 3c52826a1b2f\n"
        "2024-05-01T06:20:01.240000Z lease.assign 2001:db8:ff00:: 3c52826a1b2f\n"
        "2024-05-01T06:26:39.900000Z lease.offer 2001:db8:10:20::1a2c aabbcc00002c\n"
        "2024-05-01T06:26:40.100000Z lease.assign 2001:db8:10:20::1a2c aabbcc00002c\n"
        "2024-05-01T07:20:01Z lease.renew 2001:db8:10:20::1a2b 3c52826a1b2f\n"
        "2024-05-01T07:30:00Z lease.release 2001:db8:10:20::1a2c aabbcc00002c\n"
        "2024-05-01T07:36:40Z lease.decline 2001:db8:10:20::1a2d 001122334460\n"
        "2024-05-01T07:40:00Z lease.release 2001:db8:ff00:: 3c52826a1b2f\n"
        "2024-05-01T07:45:00Z server.service - -\n");
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    ipl_diag d;
    if (ipl_tz_load(&berlin, "Europe/Berlin", &d) != IPL_OK) {
        fprintf(stderr, "cannot load Europe/Berlin: %s\n", d.msg);
        return 1;
    }
    RUN(test_csv_v4_samples);
    RUN(test_csv_v6_samples);
    RUN(test_csv_assign_renew);
    RUN(test_csv_removals);
    RUN(test_csv_resume);
    RUN(test_csv_columns);
    RUN(test_csv_errors);
    RUN(test_csv_queue);
    RUN(test_log_samples);
    RUN(test_log_messages);
    RUN(test_log_other);
    RUN(test_log_errors);
    RUN(test_log_dst);
    RUN(test_syslog_sub);
    RUN(test_syslog_router);
    RUN(test_legal);
    RUN(test_probes);
    RUN(test_fixtures);
    free(state);
    ipl_tz_free(berlin);
    ipl_arena_release(&arena);
    return check_summary();
}
