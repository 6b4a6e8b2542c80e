/* tests/unit/queries/ql_fixture.h — the scripted store of the query-language tests and of the
 * examples in docs/query-language.md (tests/scripts/ql_docs.sh builds it through
 * `test_queries_ql_exec --make-store DIR`).
 *
 * Contoso, 6-8 May 2024 (UTC): one DHCP server (v4 and v6 logs), a domain controller, an NPS
 * server, DHCP configuration changes and one retention purge, 33 events from five sources,
 * committed source by source (so log order is not time order, as in a real store):
 *
 *   LAPTOP-ALICE   3c:52:82:6a:1b:2f  10.72.144.20 (6 May), 10.72.144.21 (7 May), 2001:db8:48::20
 *   LAPTOP-BOB     3c:52:82:6a:1b:30  10.72.145.36 (6 May, expired 20:02)
 *   DESKTOP-ERIN   00:15:5d:0a:0b:0c  10.72.145.36 (from 7 May: the address reused)
 *   DESKTOP-CAROL  00:15:5d:01:02:03  10.72.146.7
 *   PHONE-DAVE     a4:83:e7:11:22:33  10.72.200.15, 2001:db8:49::7 (Wi-Fi via RADIUS)
 *   users CONTOSO\alice, CONTOSO\bob, CONTOSO\adm-carol (also logged as contoso\ADM-carol),
 *   CONTOSO\dave, CONTOSO\administrator (failed logons from outside, geo.country RU)
 * One renew logs the host in lower case (laptop-alice.contoso.com).
 */
#ifndef IPL_QL_FIXTURE_H
#define IPL_QL_FIXTURE_H

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"

#include <stdio.h>
#include <string.h>

typedef struct fx_ev {
    const char *t;           /* UTC */
    unsigned    kind;
    const char *ip, *mac, *duid, *host, *user;
    const char *attrs;       /* "key=value|key=value" */
} fx_ev;

typedef struct fx_src {
    const char *source, *server;
    const fx_ev *ev;
    size_t n;
} fx_src;

#define FX_ALICE_MAC "3c52826a1b2f"
#define FX_BOB_MAC "3c52826a1b30"
#define FX_CAROL_MAC "00155d010203"
#define FX_DAVE_MAC "a483e7112233"
#define FX_ERIN_MAC "00155d0a0b0c"
#define FX_ALICE_DUID "000100012b3c4d5e3c52826a1b2f"
#define FX_DAVE_DUID "00030001a483e7112233"

static const fx_ev fx_dhcp4[] = {
    {"2024-05-06T07:58:02Z", IPL_K_LEASE_ASSIGN, "10.72.144.20", FX_ALICE_MAC, NULL, "LAPTOP-ALICE.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0001"},
    {"2024-05-06T07:58:03Z", IPL_K_DNS_UPDATE, "10.72.144.20", NULL, NULL, "LAPTOP-ALICE.contoso.com", NULL, "code=30|desc=DNS Update Request"},
    {"2024-05-06T08:02:40Z", IPL_K_LEASE_ASSIGN, "10.72.145.36", FX_BOB_MAC, NULL, "LAPTOP-BOB.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0002"},
    {"2024-05-06T08:15:00Z", IPL_K_LEASE_ASSIGN, "10.72.146.7", FX_CAROL_MAC, NULL, "DESKTOP-CAROL.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0003"},
    {"2024-05-06T09:30:11Z", IPL_K_LEASE_ASSIGN, "10.72.200.15", FX_DAVE_MAC, NULL, "PHONE-DAVE.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0004"},
    {"2024-05-06T11:58:02Z", IPL_K_LEASE_RENEW, "10.72.144.20", FX_ALICE_MAC, NULL, "laptop-alice.contoso.com", NULL, "code=11|desc=Renew|xid=0x5c1e0005"},
    {"2024-05-06T12:02:40Z", IPL_K_LEASE_RENEW, "10.72.145.36", FX_BOB_MAC, NULL, "LAPTOP-BOB.contoso.com", NULL, "code=11|desc=Renew|xid=0x5c1e0006"},
    {"2024-05-06T17:31:09Z", IPL_K_LEASE_RELEASE, "10.72.144.20", FX_ALICE_MAC, NULL, "LAPTOP-ALICE.contoso.com", NULL, "code=12|desc=Release|xid=0x5c1e0007"},
    {"2024-05-06T20:02:40Z", IPL_K_LEASE_EXPIRE, "10.72.145.36", FX_BOB_MAC, NULL, "LAPTOP-BOB.contoso.com", NULL, "code=18|desc=Expired"},
    {"2024-05-07T07:45:00Z", IPL_K_LEASE_ASSIGN, "10.72.145.36", FX_ERIN_MAC, NULL, "DESKTOP-ERIN.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0008"},
    {"2024-05-07T08:01:15Z", IPL_K_LEASE_ASSIGN, "10.72.144.21", FX_ALICE_MAC, NULL, "LAPTOP-ALICE.contoso.com", NULL, "code=10|desc=Assign|xid=0x5c1e0009"},
    {"2024-05-07T08:05:00Z", IPL_K_LEASE_DENY, "10.72.144.99", FX_DAVE_MAC, NULL, NULL, NULL, "code=15|desc=NACK|xid=0x5c1e000a"},
    {"2024-05-07T09:00:00Z", IPL_K_LEASE_CONFLICT, "10.72.144.30", NULL, NULL, NULL, NULL, "code=13|desc=In Use"},
    {"2024-05-07T12:15:00Z", IPL_K_LEASE_RENEW, "10.72.146.7", FX_CAROL_MAC, NULL, "DESKTOP-CAROL.contoso.com", NULL, "code=11|desc=Renew|xid=0x5c1e000b"},
    {"2024-05-08T08:00:00Z", IPL_K_LEASE_RENEW, "10.72.145.36", FX_ERIN_MAC, NULL, "DESKTOP-ERIN.contoso.com", NULL, "code=11|desc=Renew|xid=0x5c1e000c"},
};

static const fx_ev fx_dhcp6[] = {
    {"2024-05-06T07:58:05Z", IPL_K_LEASE_ASSIGN, "2001:db8:48::20", FX_ALICE_MAC, FX_ALICE_DUID, "LAPTOP-ALICE.contoso.com", NULL, "code=11002|desc=DHCPV6 Request|iaid=17"},
    {"2024-05-07T08:01:20Z", IPL_K_LEASE_RENEW, "2001:db8:48::20", FX_ALICE_MAC, FX_ALICE_DUID, "LAPTOP-ALICE.contoso.com", NULL, "code=11004|desc=DHCPV6 Renew|iaid=17"},
    {"2024-05-07T08:10:00Z", IPL_K_LEASE_ASSIGN, "2001:db8:49::7", FX_DAVE_MAC, FX_DAVE_DUID, "PHONE-DAVE.contoso.com", NULL, "code=11002|desc=DHCPV6 Request|iaid=3"},
};

static const fx_ev fx_dc[] = {
    {"2024-05-06T08:00:12Z", IPL_K_LOGON, "10.72.144.20", NULL, NULL, "LAPTOP-ALICE", "CONTOSO\\alice", "code=4624|logon_type=2|logon_id=0x1a2b"},
    {"2024-05-06T08:03:00Z", IPL_K_LOGON, NULL, NULL, NULL, "LAPTOP-BOB", "CONTOSO\\bob", "code=4624|logon_type=3|logon_id=0x2b3c"},
    {"2024-05-06T08:20:41Z", IPL_K_LOGON, "10.72.146.7", NULL, NULL, "DESKTOP-CAROL", "CONTOSO\\adm-carol", "code=4624|logon_type=10|logon_id=0x3c4d"},
    {"2024-05-06T09:31:00Z", IPL_K_LOGON_FAIL, "10.72.200.15", NULL, NULL, NULL, "CONTOSO\\adm-carol", "code=4625|status=0xC000006D|substatus=0xC000006A"},
    {"2024-05-06T09:31:30Z", IPL_K_LOGON_FAIL, "10.72.200.15", NULL, NULL, NULL, "contoso\\ADM-carol", "code=4625|status=0xC000006D|substatus=0xC000006A"},
    {"2024-05-06T12:10:00Z", IPL_K_AUTH_KERBEROS, "10.72.144.20", NULL, NULL, NULL, "CONTOSO\\alice", "code=4768|service=krbtgt"},
    {"2024-05-06T17:30:55Z", IPL_K_LOGOFF, NULL, NULL, NULL, NULL, "CONTOSO\\alice", "code=4634|logon_id=0x1a2b"},
    {"2024-05-07T08:02:00Z", IPL_K_LOGON, "10.72.144.21", NULL, NULL, "LAPTOP-ALICE", "CONTOSO\\alice", "code=4624|logon_type=2|logon_id=0x5e6f"},
    {"2024-05-07T19:45:00Z", IPL_K_LOGON, "198.51.100.23", NULL, NULL, NULL, "CONTOSO\\dave", "code=4624|logon_type=10|logon_id=0x7a8b|geo.country=NL"},
    {"2024-05-07T22:10:00Z", IPL_K_LOGON_FAIL, "203.0.113.9", NULL, NULL, NULL, "CONTOSO\\administrator", "code=4625|status=0xC000006D|geo.country=RU"},
};

static const fx_ev fx_nps[] = {
    {"2024-05-07T08:10:30Z", IPL_K_RADIUS_START, "2001:db8:49::7", FX_DAVE_MAC, NULL, NULL, "CONTOSO\\dave", "session=0007|nas=wlc1"},
    {"2024-05-07T18:00:00Z", IPL_K_RADIUS_STOP, "2001:db8:49::7", FX_DAVE_MAC, NULL, NULL, "CONTOSO\\dave", "session=0007|nas=wlc1|session_time=35370|in_octets=48211923"},
};

static const fx_ev fx_config[] = {
    {"2024-05-07T10:00:00Z", IPL_K_CONFIG_CHANGE, NULL, NULL, NULL, NULL, "CONTOSO\\adm-carol", "object=scope 10.72.144.0|action=set|option=lease duration|old=8h|new=1d"},
    {"2024-05-07T10:05:00Z", IPL_K_CONFIG_CHANGE, NULL, NULL, NULL, NULL, "CONTOSO\\adm-carol", "object=scope 10.72.144.0|action=add|option=exclusion|new=10.72.144.200-10.72.144.250"},
};

static const fx_ev fx_purge[] = {
    {"2024-05-08T02:00:00Z", IPL_K_RETENTION_PURGE, NULL, NULL, NULL, NULL, "CONTOSO\\adm-carol", "criteria=before 2024-01-01|count=1200"},
};

#define FX_N(a) (sizeof a / sizeof a[0])
static const fx_src fx_sources[] = {
    {"file:/logs/dhcp1/DhcpSrvLog-Mon.log", "dhcp1.contoso.com", fx_dhcp4, FX_N(fx_dhcp4)},
    {"file:/logs/dhcp1/DhcpV6SrvLog-Mon.log", "dhcp1.contoso.com", fx_dhcp6, FX_N(fx_dhcp6)},
    {"file:/logs/dc1/Security.xml", "dc1.contoso.com", fx_dc, FX_N(fx_dc)},
    {"file:/logs/nps1/IN2405.log", "nps1.contoso.com", fx_nps, FX_N(fx_nps)},
    {"file:/logs/dhcp1/DhcpServerOperational.xml", "dhcp1.contoso.com", fx_config, FX_N(fx_config)},
    {"ipledger:retention", "ipledger", fx_purge, FX_N(fx_purge)},
};
#define FX_EVENTS 33

/* Builds the store in dir (created). Returns IPL_OK or an error with d filled. */
static int ql_fixture_build(const char *dir, ipl_diag *d)
{
    ipl_store *st = NULL;
    ipl_batch *b = NULL;
    int err = ipl_store_open(&st, dir, IPL_STORE_CREATE, d);
    if (!err)
        err = ipl_batch_new(&b);
    for (size_t s = 0; !err && s < FX_N(fx_sources); s++) {
        const fx_src *src = &fx_sources[s];
        for (size_t i = 0; !err && i < src->n; i++) {
            const fx_ev *x = &src->ev[i];
            ipl_event e;
            char attrs[512];
            ipl_event_reset(&e);
            e.kind = (uint16_t)x->kind;
            if ((err = ipl_time_parse(x->t, strlen(x->t), NULL, &e.ts, d)))
                break;
            if (x->ip) {
                e.has_ip = 1;
                if ((err = ipl_ip_parse(x->ip, strlen(x->ip), e.ip))) {
                    ipl_diag_set(d, err, "bad fixture address %s", x->ip);
                    break;
                }
            }
            e.mac = x->mac;
            e.duid = x->duid;
            e.host = x->host;
            e.user = x->user;
            e.server = src->server;
            e.source = src->source;
            e.line = i + 1;
            snprintf(attrs, sizeof attrs, "%s", x->attrs ? x->attrs : "");
            for (char *p = attrs; *p;) {
                char *end = strchr(p, '|'), *eq = strchr(p, '=');
                if (end)
                    *end = '\0';
                if (eq) {
                    *eq = '\0';
                    int k = ipl_attr_parse(p, strlen(p));
                    if (k <= 0 || ipl_event_add_attr(&e, (unsigned)k, eq + 1, strlen(eq + 1))) {
                        err = ipl_diag_set(d, IPL_EINVAL, "bad fixture attribute %s", p);
                        break;
                    }
                }
                if (!end)
                    break;
                p = end + 1;
            }
            if (!err)
                err = ipl_batch_add(b, &e, d);
        }
        if (!err)
            err = ipl_store_commit(st, b, NULL, d);   /* one commit per source */
        ipl_batch_clear(b);
    }
    ipl_batch_free(b);
    ipl_store_close(st);
    return err;
}

#endif
