/* tests/unit/parsers/sshd_test.c — sshd and pam_unix lines (parsers/sshd.c): the FORMATS.md 7.3
 * samples in RFC 3164, RFC 5424 and rsyslog ISO envelopes with exact fields, every message form
 * and the decisions for the ambiguous ones, right-anchored user names, refused lines with their
 * reasons, the hand-written matcher (the router's sub) against the PCRE2 matcher (the parser)
 * on normal and adversarial messages, probe scores, and the fixtures in tests/data/sshd/.
 */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_sshd;
extern const ipl_syslog_sub ipl_syslog_sub_sshd;

/* ---- capture ---- */

#define CAP_MAX 8

typedef struct cap_ev {
    int64_t ts;
    int     kind, has_ip;
    char    ip[IPL_IP_TEXT];
    char    mac[IPL_STR_MAX], duid[IPL_STR_MAX], host[IPL_STR_MAX], user[IPL_STR_MAX];
    char    server[IPL_STR_MAX];
    int     null_mac, null_duid, null_host, null_user, null_server;
    int     nattr;
    int     key[IPL_ATTR_MAX];
    char    val[IPL_ATTR_MAX][256];
} cap_ev;

typedef struct cap {
    int    n;
    cap_ev ev[CAP_MAX];
} cap;

static cap got, got2;

static void copy_str(char *dst, const char *src, int *is_null)
{
    *is_null = src == NULL;
    snprintf(dst, IPL_STR_MAX, "%s", src ? src : "");
}

static int on_event(void *c, const ipl_event *ev)
{
    cap *g = c;
    if (g->n >= CAP_MAX) {
        g->n++;
        return IPL_OK;
    }
    cap_ev *e = &g->ev[g->n++];
    memset(e, 0, sizeof *e);
    e->ts = ev->ts;
    e->kind = ev->kind;
    e->has_ip = ev->has_ip;
    if (ev->has_ip)
        ipl_ip_format(ev->ip, e->ip, sizeof e->ip);
    copy_str(e->mac, ev->mac, &e->null_mac);
    copy_str(e->duid, ev->duid, &e->null_duid);
    copy_str(e->host, ev->host, &e->null_host);
    copy_str(e->user, ev->user, &e->null_user);
    copy_str(e->server, ev->server, &e->null_server);
    e->nattr = (int)ev->nattr;
    for (uint32_t i = 0; i < ev->nattr; i++) {
        e->key[i] = ev->attr[i].key;
        size_t n = ev->attr[i].len < 255 ? ev->attr[i].len : 255;
        memcpy(e->val[i], ev->attr[i].val, n);
        e->val[i][n] = '\0';
    }
    return IPL_OK;
}

static const cap_ev *E(int i) { return &got.ev[i]; }
static const char *attr_of(int i, int key)
{
    for (int k = 0; k < got.ev[i].nattr; k++)
        if (got.ev[i].key[k] == key)
            return got.ev[i].val[k];
    return NULL;
}
static const char *attr(int key) { return attr_of(0, key); }
static const char *user(void) { return E(0)->null_user ? NULL : E(0)->user; }
static const char *host(void) { return E(0)->null_host ? NULL : E(0)->host; }
static const char *server(void) { return E(0)->null_server ? NULL : E(0)->server; }

static ipl_parse_ctx ctx;
static ipl_arena arena;
static ipl_diag diag, diag2;
static unsigned char state[512];

#define T(y, mo, d, h, mi, s) (ipl_civil_to_us(&(ipl_civil){y, mo, d, h, mi, s, 0}))

static void ctx_reset(void)
{
    if (ipl_parser_sshd.release)
        ipl_parser_sshd.release(state);
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = "cli-server";
    ctx.arena = &arena;
    ctx.year_hint = 2024;
    ctx.now = T(2024, 5, 2, 0, 0, 0);
    memset(state, 0, sizeof state);
}

static void clear(void)
{
    memset(&got, 0, sizeof got);
    ipl_diag_clear(&diag);
    ipl_arena_clear(&arena);
}

/* A whole line through the parser "sshd" (PCRE2). */
static int line(const char *s)
{
    clear();
    ctx.last_ts = 0;
    return ipl_parser_sshd.line(state, &ctx, s, strlen(s), on_event, &got, &diag);
}

/* "May  1 08:16:02 web01 sshd[4242]: <m>" through the parser. */
static int msg(const char *m)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "May  1 08:16:02 web01 sshd[4242]: %s", m);
    return line(buf);
}

/* ---- FORMATS.md 7.3 samples ---- */

static void test_samples(void)
{
    ctx_reset();
    CHECK_INT(line("May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LOGON);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 16, 2));
    CHECK_STR(user(), "alice");
    CHECK_STR(E(0)->ip, "10.20.30.41");
    CHECK(host() == NULL);
    CHECK_STR(server(), "web01");
    CHECK_STR(attr(IPL_A_PORT), "50522");
    CHECK_STR(attr(IPL_A_METHOD), "publickey");
    CHECK_STR(attr(IPL_A_KEY_TYPE), "ED25519");
    CHECK_STR(attr(IPL_A_KEY_FP), "SHA256:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "ssh");
    CHECK_STR(attr(IPL_A_SESSION), "4242");
    CHECK_STR(attr(IPL_A_PROGRAM), "sshd");
    CHECK(attr(IPL_A_REASON) == NULL && attr(IPL_A_MESSAGE) == NULL);
    CHECK_INT(E(0)->nattr, 7);

    CHECK_INT(line("May  1 08:16:02 web01 sshd[4242]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LOGON);
    CHECK_STR(user(), "alice");
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(server(), "web01");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "pam-session");
    CHECK_STR(attr(IPL_A_SESSION), "4242");
    CHECK(attr(IPL_A_PORT) == NULL && attr(IPL_A_METHOD) == NULL);

    CHECK_INT(line("<86>1 2024-05-01T08:17:10.044121+02:00 web01 sshd-session 4301 - - Failed password for invalid user admin from 2001:db8:10:20::1a2b port 41872 ssh2"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 6, 17, 10) + 44121);
    CHECK_STR(user(), "admin");
    CHECK_STR(E(0)->ip, "2001:db8:10:20::1a2b");
    CHECK_STR(server(), "web01");
    CHECK_STR(attr(IPL_A_PORT), "41872");
    CHECK_STR(attr(IPL_A_METHOD), "password");
    CHECK_STR(attr(IPL_A_REASON), "invalid user");
    CHECK_STR(attr(IPL_A_SESSION), "4301");
    CHECK_STR(attr(IPL_A_PROGRAM), "sshd-session");

    CHECK_INT(line("<38>May  1 08:17:11 web01 sshd[4301]: Invalid user admin from 203.0.113.50 port 41873"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 17, 11));
    CHECK_STR(user(), "admin");
    CHECK_STR(E(0)->ip, "203.0.113.50");
    CHECK_STR(attr(IPL_A_PORT), "41873");
    CHECK_STR(attr(IPL_A_REASON), "invalid user");
    CHECK(attr(IPL_A_METHOD) == NULL);

    CHECK_INT(line("2024-05-01T17:02:15.002311+02:00 web01 sshd[4242]: pam_unix(sshd:session): session closed for user alice"),
              IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 15, 2, 15) + 2311);
    CHECK_STR(user(), "alice");
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(attr(IPL_A_SESSION), "4242");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "pam-session");
}

static void test_auth_forms(void)
{
    ctx_reset();
    CHECK_INT(msg("Accepted password for bob from 10.0.0.8 port 2222 ssh2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON);
    CHECK_STR(attr(IPL_A_METHOD), "password");
    CHECK(attr(IPL_A_KEY_TYPE) == NULL && attr(IPL_A_KEY_FP) == NULL);
    CHECK_INT(msg("Accepted keyboard-interactive/pam for bob from 10.0.0.8 port 2222 ssh2"), IPL_OK);
    CHECK_STR(attr(IPL_A_METHOD), "keyboard-interactive/pam");
    CHECK_INT(msg("Accepted gssapi-with-mic for CORP\\bob from 10.0.0.8 port 2222 ssh2"), IPL_OK);
    CHECK_STR(user(), "CORP\\bob");
    CHECK_STR(attr(IPL_A_METHOD), "gssapi-with-mic");
    /* certificate: key type, key fingerprint, the rest as message */
    CHECK_INT(msg("Accepted publickey for carol from 10.0.0.9 port 40000 ssh2: ED25519-CERT SHA256:abc ID carol@corp (serial 5) CA ED25519 SHA256:def"),
              IPL_OK);
    CHECK_STR(attr(IPL_A_KEY_TYPE), "ED25519-CERT");
    CHECK_STR(attr(IPL_A_KEY_FP), "SHA256:abc");
    CHECK_STR(attr(IPL_A_MESSAGE), "ID carol@corp (serial 5) CA ED25519 SHA256:def");
    /* one-word extra */
    CHECK_INT(msg("Accepted publickey for carol from 10.0.0.9 port 40000 ssh2: RSA"), IPL_OK);
    CHECK(attr(IPL_A_KEY_TYPE) == NULL);
    CHECK_STR(attr(IPL_A_MESSAGE), "RSA");
    /* v4-mapped and zone forms are canonicalised */
    CHECK_INT(msg("Accepted password for bob from ::ffff:10.0.0.8 port 2222 ssh2"), IPL_OK);
    CHECK_STR(E(0)->ip, "10.0.0.8");
    CHECK_INT(msg("Accepted password for bob from fe80::1%eth0 port 2222 ssh2"), IPL_OK);
    CHECK_STR(E(0)->ip, "fe80::1");
    /* failures */
    CHECK_INT(msg("Failed password for root from 198.51.100.7 port 60001 ssh2"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK_STR(user(), "root");
    CHECK(attr(IPL_A_REASON) == NULL);
    CHECK_INT(msg("Failed none for invalid user test from 198.51.100.7 port 60002 ssh2"), IPL_OK);
    CHECK_STR(attr(IPL_A_METHOD), "none");
    CHECK_STR(attr(IPL_A_REASON), "invalid user");
    CHECK_STR(user(), "test");
    CHECK_INT(msg("Failed publickey for git from 198.51.100.7 port 60003 ssh2: RSA SHA256:xyz"), IPL_OK);
    CHECK_STR(attr(IPL_A_KEY_FP), "SHA256:xyz");
    /* right-anchored: a user name holding " from x port y" */
    CHECK_INT(msg("Failed password for invalid user x from 1.2.3.4 port 22 ssh2 from 198.51.100.7 port 60004 ssh2"), IPL_OK);
    CHECK_STR(user(), "x from 1.2.3.4 port 22 ssh2");
    CHECK_STR(E(0)->ip, "198.51.100.7");
    CHECK_STR(attr(IPL_A_PORT), "60004");
    CHECK_INT(msg("Invalid user a from 9.9.9.9 port 1 from 198.51.100.7 port 60005"), IPL_OK);
    CHECK_STR(user(), "a from 9.9.9.9 port 1");
    CHECK_STR(E(0)->ip, "198.51.100.7");
    /* an empty user name */
    CHECK_INT(msg("Invalid user  from 198.51.100.7 port 60006"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK(user() == NULL);
    CHECK_INT(msg("Failed password for invalid user  from 198.51.100.7 port 60007 ssh2"), IPL_OK);
    CHECK(user() == NULL);
    CHECK_STR(attr(IPL_A_REASON), "invalid user");
    /* "invalid user" that is the whole user name */
    CHECK_INT(msg("Failed password for invalid user from 198.51.100.7 port 60008 ssh2"), IPL_OK);
    CHECK_STR(user(), "invalid user");
    CHECK(attr(IPL_A_REASON) == NULL);
    /* old releases: no port */
    CHECK_INT(msg("Invalid user oracle from 198.51.100.7"), IPL_OK);
    CHECK_STR(user(), "oracle");
    CHECK(attr(IPL_A_PORT) == NULL);
    /* UseDNS: a name instead of the address */
    CHECK_INT(msg("Invalid user oracle from scanner.example.net"), IPL_OK);
    CHECK_INT(E(0)->has_ip, 0);
    CHECK_STR(host(), "scanner.example.net");
    /* too many attempts */
    CHECK_INT(msg("error: maximum authentication attempts exceeded for root from 198.51.100.7 port 60009 ssh2 [preauth]"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK_STR(user(), "root");
    CHECK_STR(attr(IPL_A_REASON), "too many authentication failures");
    CHECK_INT(msg("error: maximum authentication attempts exceeded for invalid user pi from 198.51.100.7 port 60010 ssh2"), IPL_OK);
    CHECK_STR(user(), "pi");
    CHECK_STR(attr(IPL_A_REASON), "too many authentication failures, invalid user");
}

static void test_session_forms(void)
{
    ctx_reset();
    CHECK_INT(msg("pam_unix(sshd:session): session opened for user alice by (uid=0)"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON);
    CHECK_STR(user(), "alice");
    CHECK_INT(msg("pam_unix(sshd:session): session opened for user alice(uid=1001) by alice(uid=0)"), IPL_OK);
    CHECK_STR(user(), "alice");
    CHECK_INT(msg("pam_unix(sshd:session): session opened for user a(uid=1)(uid=2) by (uid=0)"), IPL_OK);
    CHECK_STR(user(), "a(uid=1)");
    CHECK_INT(msg("pam_unix(sshd:session): session opened for user (uid=5) by (uid=0)"), IPL_OK);
    CHECK_STR(user(), "(uid=5)");
    CHECK_INT(msg("pam_unix(sshd:session): session closed for user bob"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    CHECK_STR(user(), "bob");
    CHECK_INT(msg("pam_unix(sshd-session:session): session closed for user bob"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    /* session ends with the address */
    CHECK_INT(msg("Disconnected from user alice 10.20.30.41 port 50522"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    CHECK_STR(user(), "alice");
    CHECK_STR(E(0)->ip, "10.20.30.41");
    CHECK_STR(attr(IPL_A_PORT), "50522");
    CHECK_STR(attr(IPL_A_LOGON_TYPE), "ssh");
    CHECK(attr(IPL_A_REASON) == NULL);
    CHECK_INT(msg("Connection closed by user alice 10.20.30.41 port 50522"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    CHECK_STR(attr(IPL_A_REASON), "connection closed");
    CHECK_INT(msg("Connection reset by user alice 10.20.30.41 port 50522"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGOFF);
    CHECK_STR(attr(IPL_A_REASON), "connection reset");
    /* abandoned authentications */
    CHECK_INT(msg("Connection closed by authenticating user root 198.51.100.7 port 60011 [preauth]"), IPL_OK);
    CHECK_INT(E(0)->kind, IPL_K_LOGON_FAIL);
    CHECK_STR(user(), "root");
    CHECK_STR(E(0)->ip, "198.51.100.7");
    CHECK_STR(attr(IPL_A_REASON), "closed during authentication");
    CHECK_INT(msg("Disconnected from authenticating user root 198.51.100.7 port 60012 [preauth]"), IPL_OK);
    CHECK_STR(attr(IPL_A_REASON), "disconnected during authentication");
    CHECK_INT(msg("Connection reset by authenticating user root 198.51.100.7 port 60013 [preauth]"), IPL_OK);
    CHECK_STR(attr(IPL_A_REASON), "reset during authentication");
    /* a user name with blanks, right-anchored */
    CHECK_INT(msg("Disconnected from authenticating user x y 1.1.1.1 port 5 198.51.100.7 port 60014 [preauth]"), IPL_OK);
    CHECK_STR(user(), "x y 1.1.1.1 port 5");
    CHECK_STR(E(0)->ip, "198.51.100.7");
}

static void test_no_event(void)
{
    ctx_reset();
    static const char *const quiet[] = {
        "Connection closed by invalid user admin 198.51.100.7 port 60015 [preauth]",
        "Disconnected from invalid user admin 198.51.100.7 port 60015 [preauth]",
        "Connection closed by 198.51.100.7 port 60016 [preauth]",
        "Connection closed by 198.51.100.7 [preauth]",
        "Connection reset by 198.51.100.7 port 60017",
        "Disconnected from 198.51.100.7 port 60018",
        "Received disconnect from 10.20.30.41 port 50522:11: disconnected by user",
        "Received disconnect from 198.51.100.7 port 60019:11: Bye Bye [preauth]",
        "Postponed keyboard-interactive for bob from 10.0.0.8 port 2222 ssh2 [preauth]",
        "Partial publickey for bob from 10.0.0.8 port 2222 ssh2: ED25519 SHA256:abc",
        "Accepted key ED25519 SHA256:abc found at /home/alice/.ssh/authorized_keys:1",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.7  user=root",
        "pam_unix(sshd:auth): check pass; user unknown",
        "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.7  user=root",
        "pam_systemd(sshd:session): Failed to create session: Connection timed out",
        "Server listening on 0.0.0.0 port 22.",
        "Server listening on :: port 22.",
        "Received signal 15; terminating.",
        "Connection from 10.20.30.41 port 50522 on 10.20.30.5 port 22 rdomain \"\"",
        "Starting session: shell on pts/0 for alice from 10.20.30.41 port 50522 id 0",
        "Unable to negotiate with 198.51.100.7 port 60020: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
        "error: kex_exchange_identification: Connection closed by remote host",
        "banner exchange: Connection from 198.51.100.7 port 60021: invalid format",
        "fatal: Timeout before authentication for 198.51.100.7 port 60022",
        "Failed to release session: Interrupted system call",
        "Connection closed by remote host",
        "",
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        int rc = msg(quiet[i]);
        CHECK_INT(rc, IPL_OK);
        CHECK_INT(got.n, 0);
        if (rc != IPL_OK || got.n)
            fprintf(stderr, "   message: %s (%s)\n", quiet[i], diag.msg);
    }
    /* other programs of auth.log */
    CHECK_INT(line("May  1 08:17:01 web01 CRON[5001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:20:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line("May  1 08:16:02 web01 systemd-logind[612]: New session 7 of user alice."), IPL_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(line(""), IPL_OK);
    CHECK_INT(got.n, 0);
}

static void test_refused(void)
{
    ctx_reset();
    static const struct {
        const char *m, *why;
    } bad[] = {
        {"Accepted password for bob from 10.0.0.8 port 22",
         "sshd authentication message does not follow its grammar: 'Accepted password for bob from 10.0.0.8 port 22'"},
        {"Failed password for bob from 10.0.0.8 port x ssh2",
         "sshd authentication message does not follow its grammar: 'Failed password for bob from 10.0.0.8 port x ssh...'"},
        {"Invalid user bob", "sshd invalid-user message does not follow its grammar: 'Invalid user bob'"},
        {"error: maximum authentication attempts exceeded for bob",
         "sshd maximum-attempts message does not follow its grammar: 'error: maximum authentication attempts exceeded ...'"},
        {"pam_unix(sshd:session): session opened for user  by (uid=0)",
         "sshd PAM session message does not follow its grammar: 'pam_unix(sshd:session): session opened for user ...'"},
        {"Accepted password for bob from 10.0.0.999 port 22 ssh2",
         "remote address '10.0.0.999' is neither an IP address nor a host name"},
        {"Accepted password for bob from 10.0.0.8 port 65536 ssh2", "port '65536' is not 0 to 65535"},
        {"Accepted password for bob from 10.0.0.8 port 000022 ssh2", "port '000022' is not 0 to 65535"},
        {"Disconnected from user alice not/an/ip port 5", "remote address 'not/an/ip' is neither an IP address nor a host name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(msg(bad[i].m), IPL_EPARSE);
        CHECK_INT(got.n, 0);
        CHECK_STR(diag.msg, bad[i].why);
    }
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(msg(big), IPL_EPARSE);
    CHECK_STR(diag.msg, "message is 2999 bytes, longer than the 2048-byte limit");
    char longuser[1200];
    int k = snprintf(longuser, sizeof longuser, "Invalid user ");
    memset(longuser + k, 'u', 600);
    snprintf(longuser + k + 600, sizeof longuser - (size_t)k - 600, " from 1.2.3.4 port 5");
    CHECK_INT(msg(longuser), IPL_EPARSE);
    CHECK(strstr(diag.msg, "is 600 bytes long, longer than the 479-byte limit") != NULL);
    clear();
    static const char nul[] = "May  1 08:16:02 web01 sshd[4242]: Accepted password for b\0b from 10.0.0.8 port 22 ssh2";
    CHECK_INT(ipl_parser_sshd.line(state, &ctx, nul, sizeof nul - 1, on_event, &got, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at offset 23 of the message");
    CHECK_INT(line("sshd[4242]: Accepted password for bob from 10.0.0.8 port 22 ssh2"), IPL_EPARSE);
    CHECK(strstr(diag.msg, "syslog timestamp") != NULL);
}

static void test_repeated_and_server(void)
{
    ctx_reset();
    CHECK_INT(msg("message repeated 3 times: [ Failed password for root from 198.51.100.7 port 60030 ssh2]"), IPL_OK);
    CHECK_INT(got.n, 3);
    CHECK_INT(E(2)->kind, IPL_K_LOGON_FAIL);
    CHECK_STR(E(2)->user, "root");
    /* no hostname in the envelope: the --server name */
    CHECK_INT(line("May  1 08:16:02 sshd[4242]: Accepted password for bob from 10.0.0.8 port 22 ssh2"), IPL_OK);
    CHECK_STR(server(), "cli-server");
    /* RFC 5424 with nil procid: no session */
    CHECK_INT(line("<38>1 2024-05-01T08:16:02Z web01 sshd - - [meta seq=\"1\"] Accepted password for bob from 10.0.0.8 port 22 ssh2"), IPL_OK);
    CHECK_INT(got.n, 1);
    CHECK(attr(IPL_A_SESSION) == NULL);
    CHECK_INT(E(0)->ts, T(2024, 5, 1, 8, 16, 2));
}

/* ---- the two matchers agree ---- */

static int same_events(const cap *a, const cap *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n && i < CAP_MAX; i++)
        if (memcmp(&a->ev[i], &b->ev[i], sizeof a->ev[i]) != 0)
            return 0;
    return 1;
}

/* The line through the parser (PCRE2) and its envelope's message through the sub (scanners). */
static void differential(const char *m)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "May  1 08:16:02 web01 sshd[4242]: %s", m);
    int rc1 = line(buf);
    cap a = got;
    char why[IPL_DIAG_MAX];
    snprintf(why, sizeof why, "%s", diag.msg);
    clear();
    ipl_syslog env;
    ctx.last_ts = 0;
    CHECK_INT(ipl_syslog_parse(&ctx, buf, strlen(buf), &env, NULL), IPL_OK);
    memset(&got2, 0, sizeof got2);
    ipl_diag_clear(&diag2);
    int rc2 = ipl_syslog_sub_sshd.message(&ctx, &env, on_event, &got2, &diag2);
    CHECK_INT(rc1, rc2);
    CHECK(same_events(&a, &got2));
    if (rc1 != IPL_OK)
        CHECK_STR(why, diag2.msg);
    if (rc1 != rc2 || !same_events(&a, &got2))
        fprintf(stderr, "   matchers differ on: %s (%d/%d, %d/%d events)\n", m, rc1, rc2, a.n, got2.n);
}

static void test_matchers_agree(void)
{
    ctx_reset();
    static const char *const corpus[] = {
        "Accepted publickey for alice from 10.20.30.41 port 50522 ssh2: ED25519 SHA256:Zm9v",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2: ",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2:",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2 ",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2x",
        "Accepted password for  from 10.0.0.8 port 2222 ssh2",
        "Accepted password for from 10.0.0.8 port 2222 ssh2",
        "Accepted  password for bob from 10.0.0.8 port 2222 ssh2",
        "Accepted password\tfor bob from 10.0.0.8 port 2222 ssh2",
        "Accepted password for bob from  10.0.0.8 port 2222 ssh2",
        "Accepted password for bob from 10.0.0.8\tport 2222 ssh2",
        "Accepted password for bob\tfrom 10.0.0.8 port 2222 ssh2",
        "Accepted password for b\to\vb from 10.0.0.8 port 2222 ssh2",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2: a from 1.1.1.1 port 2 ssh2",
        "Accepted password for bob from 10.0.0.8 port 2222 ssh2 from 1.1.1.1 port 2 ssh2",
        "Failed password for invalid user x from 1.2.3.4 port 22 ssh2 from 5.6.7.8 port 9 ssh2",
        "Failed password for invalid user from 5.6.7.8 port 9 ssh2",
        "Failed password for invalid user  from 5.6.7.8 port 9 ssh2",
        "Failed password for invalid user invalid user  from 5.6.7.8 port 9 ssh2",
        "Failed password for invalid userfrom 5.6.7.8 port 9 ssh2",
        "Failed password for invalid user from from 5.6.7.8 port 9 ssh2",
        "Failed password for  from  from 5.6.7.8 port 9 ssh2",
        "Failed \xff\xfe for \x80 from \xc3\xa9 port 1 ssh2",
        "Failed x for y from 1.2.3.4 port 99999999999999999999 ssh2",
        "Invalid user admin from 203.0.113.50 port 41873",
        "Invalid user admin from 203.0.113.50 port",
        "Invalid user admin from 203.0.113.50 port 1 port 2",
        "Invalid user admin from 203.0.113.50 port 1 from 4.4.4.4",
        "Invalid user  from 203.0.113.50",
        "Invalid user from 203.0.113.50",
        "Invalid user from from 203.0.113.50",
        "Invalid user a from b from c port 1",
        "Invalid user a from  port 1",
        "error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2 [preauth]",
        "error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2 [preauth] ",
        "error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2: x",
        "error: maximum authentication attempts exceeded for invalid user from 1.2.3.4 port 5 ssh2",
        "pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)",
        "pam_unix(sshd:session): session opened for user alice by (uid=0)",
        "pam_unix(sshd:session): session opened for user alice",
        "pam_unix(sshd:session): session opened for user alice by",
        "pam_unix(sshd:session): session opened for user alice  by x",
        "pam_unix(sshd:session): session opened for user alice(uid=) by x",
        "pam_unix(sshd:session): session opened for user alice(uid=1)x by x",
        "pam_unix(sshd:session): session opened for user (uid=1) by x",
        "pam_unix(sshd:session): session opened for user x(uid=1)",
        "pam_unix(sshd:session): session opened for user x(uid=1)\tby x",
        "pam_unix(sshd:session): session closed for user bob",
        "pam_unix(sshd:session): session closed for user bob by z",
        "pam_unix(:session): session closed for user bob",
        "pam_unix(a b:session): session closed for user bob",
        "pam_unix(a(b:session): session closed for user bob",
        "pam_unix(sshd:sessionx): session closed for user bob",
        "pam_unix(x:session:session): session closed for user bob",
        "pam_unix(sshd:session): session exploded for user bob",
        "Disconnected from user alice 10.20.30.41 port 50522",
        "Disconnected from user alice 10.20.30.41 port 50522 [preauth]",
        "Disconnected from user  10.20.30.41 port 50522",
        "Disconnected from user 10.20.30.41 port 50522",
        "Disconnected from user alice",
        "Disconnected from authenticating user a b c 1.1.1.1 port 2 [preauth]",
        "Disconnected from authenticating user a 1.1.1.1 port 2 [preauth] 3.3.3.3 port 4",
        "Connection closed by authenticating user root 198.51.100.7 port 60011 [preauth]",
        "Connection closed by invalid user admin 198.51.100.7 port 60011 [preauth]",
        "Connection closed by 198.51.100.7 port 60011 [preauth]",
        "Connection reset by user u 1.2.3.4 port 1",
        "Connection reset by peer",
        "Connection closed  by user u 1.2.3.4 port 1",
        "Disconnected from user u 1.2.3.4 port 1 [preauth]x",
        "Disconnected from user u 1.2.3.4\tport 1",
        "Received disconnect from 10.20.30.41 port 50522:11: disconnected by user",
        "random noise",
        "",
        "A",
        "Accepted",
        "Failed ",
        "pam_unix(",
        "Disconnected from ",
    };
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
        differential(corpus[i]);
}

/* ---- probes ---- */

static void test_probe(void)
{
    static const char authlog[] =
        "May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr\n"
        "May  1 08:16:02 web01 sshd[4242]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)\n"
        "<86>1 2024-05-01T08:17:10.044121+02:00 web01 sshd-session 4301 - - Failed password for invalid user admin from 2001:db8:10:20::1a2b port 41872 ssh2\n"
        "<38>May  1 08:17:11 web01 sshd[4301]: Invalid user admin from 203.0.113.50 port 41873\n"
        "2024-05-01T17:02:15.002311+02:00 web01 sshd[4242]: pam_unix(sshd:session): session closed for user alice\n";
    CHECK_INT(ipl_parser_sshd.probe(authlog, sizeof authlog - 1), 90);
    static const char mixed[] =
        "May  1 08:16:02 web01 sshd[4242]: Accepted password for bob from 10.0.0.8 port 22 ssh2\n"
        "May  1 08:17:01 web01 CRON[5001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n"
        "May  1 08:17:01 web01 CRON[5001]: pam_unix(cron:session): session closed for user root\n";
    int m = ipl_parser_sshd.probe(mixed, sizeof mixed - 1);
    CHECK(m > 0 && m < 70);
    static const char *const others[] = {
        "00,04/19/20,12:43:06,Started,,,\n10,05/01/24,08:15:32,Assign,10.20.30.41,LAPTOP-7Q2.corp.example.com,3C52826A1B2F,,1512734587,0,,,,0x4D53465420352E30,MSFT 5.0,,,0x0106000400140001020600000C29ABCDEF,0\n",
        "\t\tMicrosoft DHCP Service Activity Log\n\nEvent ID  Meaning\n00\tThe log was started.\n",
        "11002,12/06/21,12:43:57,DHCPV6 Request,2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6,test-host,,18,0004A34473BFC27FC55B25E86AF0E1761DAA,,,,,\n",
        "May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via 10.20.30.1\n",
        "May  1 08:15:32 gw dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.141 3c:52:82:6a:1b:2f laptop-7q2\n",
        "1714579532 3c:52:82:6a:1b:2f 192.168.1.141 laptop-7q2 01:3c:52:82:6a:1b:2f\n",
        "lease 10.20.30.41 {\n  starts 3 2024/05/01 06:15:32;\n",
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n",
        "2024-05-01 08:15:32.412 INFO  [kea-dhcp4.leases/1187.139872134567680] DHCP4_LEASE_ALLOC [hwtype=1 3c:52:82:6a:1b:2f], cid=[01:3c:52:82:6a:1b:2f], tid=0x5a3e2c11: lease 10.20.30.41 has been allocated for 4000 seconds\n",
        "10.20.0.5,CORP\\alice,05/01/2024,08:15:40,IAS,NPS01,40,1,44,8B2C00001A\n",
        "<Event><Timestamp data_type=\"4\">05/19/2014 15:36:50.977</Timestamp></Event>\n",
        "Wed May  1 08:15:40 2024\n\tAcct-Status-Type = Start\n\n",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int s = ipl_parser_sshd.probe(others[i], strlen(others[i]));
        CHECK_INT(s, 0);
        if (s)
            fprintf(stderr, "   sample %zu scored %d\n", i, s);
    }
    CHECK_INT(ipl_parser_sshd.probe("", 0), 0);
    CHECK_INT(ipl_parser_sshd.probe("\x00\x01\xff", 3), 0);
}

/* ---- fixtures ---- */

typedef struct tally {
    int lines, errors, events;
    int kinds[IPL_K__COUNT];
    cap seen;                    /* unused */
} tally;

static int on_tally(void *c, const ipl_event *ev)
{
    tally *t = c;
    t->events++;
    if (ev->kind < IPL_K__COUNT)
        t->kinds[ev->kind]++;
    return IPL_OK;
}

static void run_file(const char *rel, tally *t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, rel);
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    ctx_reset();
    ctx.year_hint = 0;
    char buf[8192];
    while (fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        ipl_diag_clear(&diag);
        ipl_arena_clear(&arena);
        t->lines++;
        if (ipl_parser_sshd.line(state, &ctx, buf, n, on_tally, t, &diag) != IPL_OK) {
            t->errors++;
            fprintf(stderr, "   %s:%d: %s\n", rel, t->lines, diag.msg);
        }
    }
    fclose(f);
}

static void test_fixtures(void)
{
    static tally t;
    static const char *const files[] = {"tests/data/sshd/auth.log", "tests/data/sshd/auth5424.log"};
    for (int i = 0; i < 2; i++) {
        run_file(files[i], &t);
        CHECK(t.lines > 30);
        CHECK_INT(t.errors, 0);
        CHECK(t.kinds[IPL_K_LOGON] > 3);
        CHECK(t.kinds[IPL_K_LOGOFF] > 3);
        CHECK(t.kinds[IPL_K_LOGON_FAIL] > 3);
    }
}

/* Every fixture line through the router ("syslog", the production path of the sub) and through
 * the parser "sshd": the same events; and detection picks the right format. */
static void test_router_agrees(void)
{
    const ipl_parser *router = ipl_parser_find("syslog");
    CHECK(router != NULL);
    if (!router)
        return;
    static const char *const files[] = {"tests/data/sshd/auth.log", "tests/data/sshd/auth5424.log"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", IPL_SOURCE_DIR, files[i]);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (!f)
            continue;
        ctx_reset();
        ctx.year_hint = 0;
        ipl_parse_ctx ctx2 = ctx;
        char buf[8192];
        int lines = 0, events = 0;
        while (fgets(buf, sizeof buf, f)) {
            size_t n = strlen(buf);
            while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
            clear();
            int rc1 = ipl_parser_sshd.line(state, &ctx, buf, n, on_event, &got, &diag);
            cap a = got;
            memset(&got2, 0, sizeof got2);
            ipl_diag_clear(&diag2);
            int rc2 = router->line(NULL, &ctx2, buf, n, on_event, &got2, &diag2);
            CHECK_INT(rc1, rc2);
            CHECK(same_events(&a, &got2));
            lines++;
            events += a.n;
        }
        fclose(f);
        CHECK(lines > 30 && events > 20);
    }
    static const char only_sshd[] =
        "May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2\n"
        "May  1 08:16:02 web01 sshd[4242]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)\n";
    static const char mixed[] =
        "May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 10.20.30.41 port 50522 ssh2\n"
        "May  1 08:17:01 web01 CRON[5001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n"
        "May  1 08:17:01 web01 CRON[5001]: pam_unix(cron:session): session closed for user root\n";
    int score;
    const ipl_parser *p = ipl_parser_detect(only_sshd, sizeof only_sshd - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "sshd");
    p = ipl_parser_detect(mixed, sizeof mixed - 1, &score, NULL, 0);
    CHECK_STR(p ? p->name : NULL, "syslog");
    CHECK(ipl_parser_find("sshd") == &ipl_parser_sshd);
}

int main(void)
{
    ipl_arena_init(&arena, 1 << 20);
    RUN(test_samples);
    RUN(test_auth_forms);
    RUN(test_session_forms);
    RUN(test_no_event);
    RUN(test_refused);
    RUN(test_repeated_and_server);
    RUN(test_matchers_agree);
    RUN(test_probe);
    RUN(test_fixtures);
    RUN(test_router_agrees);
    ipl_parser_sshd.release(state);
    ipl_arena_release(&arena);
    return check_summary();
}
