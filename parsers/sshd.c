/* parsers/sshd.c — OpenSSH sshd and its PAM session lines: the ipl_syslog_sub "sshd" (tags "sshd",
 * "sshd-session") for the router and the parser "sshd" for a syslog file (auth.log, secure,
 * journal exports in RFC 3164 / RFC 5424 / rsyslog file format). Spec: FORMATS.md 7 and 9;
 * grammar from OpenSSH auth.c auth_log(), packet.c sshpkt_vfatal() and Linux-PAM pam_unix.
 *
 * ---- What becomes an event ------------------------------------------------------------------
 *
 *   Accepted <method> for <user> from <ip> port <n> ssh2[: <KEYTYPE> <fp>[ <cert info>]]
 *       -> logon: user, ip, port, method ("publickey", "keyboard-interactive/pam"), key_type,
 *          key_fp ("SHA256:..."), message (certificate "ID ... CA ..." info), logon_type "ssh"
 *   Failed <method> for [invalid user ]<user> from <ip> port <n> ssh2[: ...]
 *       -> logon.fail; reason "invalid user" when so
 *   Invalid user <user> from <ip>[ port <n>]
 *       -> logon.fail, reason "invalid user" (the same attempt usually also logs a Failed line:
 *          both are kept, the reason tells them apart; pid and port pair them)
 *   error: maximum authentication attempts exceeded for [invalid user ]<user> from <ip> port <n>
 *       ssh2[ [preauth]] -> logon.fail, reason "too many authentication failures"
 *   pam_unix(<svc>:session): session opened for user <user>[(uid=<n>)] by ...
 *       -> logon without ip, logon_type "pam-session" (the login session of the Accepted line:
 *          same sshd pid, in "session", so a tracker pairs them and learns the ip)
 *   pam_unix(<svc>:session): session closed for user <user>  -> logoff, "session" = pid
 *   Disconnected from user <user> <ip> port <n>
 *   Connection closed by user <user> <ip> port <n>
 *   Connection reset by user <user> <ip> port <n>
 *       -> logoff with ip and port: the end of an authenticated connection (packet.c prefixes the
 *          remote address with "user X" once authenticated); reason "connection closed" /
 *          "connection reset" for the last two
 *   Connection closed by | Disconnected from | Connection reset by
 *       authenticating user <user> <ip> port <n> [preauth]
 *       -> logon.fail, reason "closed during authentication" (resp. "disconnected ...",
 *          "reset ..."): a client that gave up or was cut before succeeding. This is the only
 *          trace of a public-key attempt with a key the server refused (no Failed line is
 *          logged for an unknown key), so it counts as a failure.
 *
 * Decided to carry no event (IPL_OK, nothing): the same forms with "invalid user <user>" (the
 * Invalid user line already counts the attempt) or with no user at all ("Connection closed by
 * <ip> port <n> [preauth]": a connection that never named a user, e.g. a banner scan);
 * "Received disconnect from <ip> port <n>:11: ..." (its session end is the "Disconnected from
 * user" line, and pam's "session closed"); "Postponed"/"Partial" (an unfinished multi-step
 * login), "Accepted key ..." (VERBOSE), pam_unix(sshd:auth) failures (sshd logs the same
 * attempt as Failed; rhost may be a name) and every other sshd or PAM line ("Server listening",
 * "Connection from", "Starting session", "Unable to negotiate", "fatal: ...", ...).
 * A line that begins like an event line but does not complete is an error with its reason:
 * "Accepted|Failed <word> for " (authentication lines), "Invalid user ", "error: maximum
 * authentication attempts exceeded for ", "pam_unix(...): session opened|closed for user ".
 * An ip that is neither an address nor a host name, a port over 65535, or strings over the
 * event limits are errors too. "message repeated N times: [ msg]" (rsyslog) is unwrapped as the
 * router does it (ipl_syslog_unrepeat: msg read N times, N <= 10000); the sysklogd form "last
 * message repeated N times" has no tag and names no message: nothing.
 *
 * Users and addresses. The user is kept as logged (sshd logs the login name, no domain; a
 * winbind/sssd name such as "CORP\bob" or "bob@corp" stays as it is). User names are client
 * input and may contain " from x port y": authentication lines are parsed right-anchored
 * (the last " from <word> port <n> ssh2" that ends the line). The ip is the client's (the
 * remote end: tracking asks which users logged on FROM an address); a non-numeric remote
 * (old releases with UseDNS) goes to host. The server is the syslog HOSTNAME (the machine sshd
 * runs on), or ctx->server when the line has none. Attributes always carry "program" (the tag)
 * and, when the envelope has one, "session" = the pid (OpenSSH >= 9.8 logs per-session lines
 * as "sshd-session" with the session process's pid; the Accepted and pam lines share it). Pids
 * are reused (across days, after reboots): pair by server, pid and nearness in time, never by
 * pid alone. A client behind NAT or a jump host shows as that address: the ip is the peer sshd
 * saw, nothing more.
 *
 * ---- Two matchers, one grammar -------------------------------------------------------------
 *
 * A parser is a const table and must not keep global mutable state, and the router calls the
 * sub without any per-stream state. So:
 *   - the sub (router) matches with hand-written scanners (ssh_match_hand): no allocation, no
 *     compile, no state;
 *   - the parser "sshd" matches with PCRE2 (ssh_match_pcre): the five patterns below are
 *     compiled lazily on the first line into the parser's own state (state_size, released by
 *     release()), JIT-compiled when the library can, with a match limit, a depth limit and a
 *     private JIT stack, so one stream never shares or leaks compiled code.
 * Both fill the same captures and everything after (validation, normalisation, kinds) is
 * shared code, so they cannot drift apart in anything but the matching itself; the scanners
 * reproduce the patterns' backtracking order (greedy user = rightmost " from ", optional groups
 * tried first) and the unit tests and the fuzz target check that both emit identical events
 * for every input. Messages are capped at 2048 bytes (OpenSSH's own buffer is 1024) which also
 * bounds backtracking; a PCRE2 limit hit is an error, never a silent no-match.
 *
 * Probe: 90 when every line of the sample is syslog tagged sshd/sshd-session, 60 or 40 when other
 * programs are mixed in (auth.log: below the router's 70; the router reads it through the sub and
 * the same events come out), 0 when a line is not syslog or none is sshd's.
 *
 * Pure: no I/O, no clock, no globals written; strings borrow from the line or ctx->arena.
 */
#include "parsers/parser.h"
#include "parsers/syslog.h"
#include "parsers/text.h"

#include "engine/addr.h"
#include "engine/err.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string.h>

#define SSH_MSG_MAX     2048
#define SSH_QUOTE_MAX   48
#define SSH_QBUF        (4 * SSH_QUOTE_MAX + 4)
#define SSH_MATCH_LIMIT 1000000
#define SSH_DEPTH_LIMIT 10000
#define SSH_JIT_STACK   (512 * 1024)

typedef struct ssh_sl {
    const char *p;
    size_t      n;
} ssh_sl;

enum ssh_shape { SH_NONE, SH_AUTH, SH_INVALID, SH_MAXAUTH, SH_PAM, SH_CONN, SH__COUNT };

/* What a matcher found. Slices point into the message; unset ones are {NULL, 0}. */
typedef struct ssh_caps {
    int    shape;
    ssh_sl verb;      /* AUTH: Accepted|Failed; PAM: opened|closed; CONN: the verb phrase */
    ssh_sl method;    /* AUTH */
    int    invalid;   /* AUTH, MAXAUTH: "invalid user " */
    ssh_sl pre;       /* CONN: user | authenticating user | invalid user (empty: none) */
    ssh_sl user;
    ssh_sl from;      /* the remote address (AUTH, INVALID, MAXAUTH, CONN) */
    ssh_sl port;      /* empty when absent (INVALID) */
    int    has_extra; /* AUTH: ": ..." after ssh2 */
    ssh_sl extra;
    ssh_sl svc;       /* PAM: the PAM service */
    ssh_sl uid;       /* PAM: uid, may be empty */
} ssh_caps;

/* The PCRE2 patterns, one per shape (index shape - 1). See ssh_match_hand for the same grammar. */
static const char *const ssh_patterns[SH__COUNT - 1] = {
    /* SH_AUTH: 1 verb 2 method 3 invalid 4 user 5 from 6 port 7 extra */
    "^(Accepted|Failed) (\\S+) for (invalid user )?(.*) from (\\S+) port (\\d+) ssh2(?:: (.*))?$",
    /* SH_INVALID: 1 user 2 from 3 port */
    "^Invalid user (.*) from (\\S+)(?: port (\\d+))?$",
    /* SH_MAXAUTH: 1 invalid 2 user 3 from 4 port */
    "^error: maximum authentication attempts exceeded for (invalid user )?(.*) from (\\S+) "
    "port (\\d+) ssh2(?: \\[preauth\\])?$",
    /* SH_PAM: 1 svc 2 verb 3 user 4 uid */
    "^pam_unix\\(([^()\\s]+):session\\): session (opened|closed) for user (\\S+?)"
    "(?:\\(uid=(\\d+)\\))?(?: by .*)?$",
    /* SH_CONN: 1 verb 2 pre 3 user 4 from 5 port */
    "^(Disconnected from|Connection closed by|Connection reset by) "
    "(?:(user|authenticating user|invalid user) (.*) )?(\\S+) port (\\d+)(?: \\[preauth\\])?$",
};

/* Per-stream state of the parser "sshd": the compiled patterns. */
typedef struct sshd_state {
    pcre2_code          *re[SH__COUNT - 1];
    pcre2_match_data    *md;
    pcre2_match_context *mc;
    pcre2_jit_stack     *js;
    int                  ready;
} sshd_state;

/* ---- small helpers ----------------------------------------------------------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* PCRE2's \s without UCP: SP HT LF VT FF CR. */
static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n >= m && memcmp(s, lit, m) == 0;
}

static int sl_is(ssh_sl s, const char *lit)
{
    size_t m = strlen(lit);
    return s.n == m && memcmp(s.p, lit, m) == 0;
}

static const char *quote(char *buf, const char *s, size_t n)
{
    return ipl_text_quote(buf, s, n, SSH_QUOTE_MAX);
}

/* End of the run of \S starting at i. */
static size_t nonspace_end(const char *s, size_t n, size_t i)
{
    while (i < n && !is_space((unsigned char)s[i]))
        i++;
    return i;
}

static size_t digits_end(const char *s, size_t n, size_t i)
{
    while (i < n && is_digit((unsigned char)s[i]))
        i++;
    return i;
}

/* ---- the hand-written matcher (the router's sub) ----------------------------------------- */

/* " from W port D ssh2" then end, ": .*" (AUTH) or " [preauth]" (MAXAUTH), at s[p]. */
static int tail_from(const char *s, size_t n, size_t p, int maxauth, ssh_caps *c)
{
    if (!has_prefix(s + p, n - p, " from "))
        return 0;
    size_t w0 = p + 6, w1 = nonspace_end(s, n, w0);
    if (w1 == w0 || !has_prefix(s + w1, n - w1, " port "))
        return 0;
    size_t d0 = w1 + 6, d1 = digits_end(s, n, d0);
    if (d1 == d0 || !has_prefix(s + d1, n - d1, " ssh2"))
        return 0;
    size_t e = d1 + 5;
    c->has_extra = 0;
    c->extra = (ssh_sl){NULL, 0};
    if (e != n) {
        if (maxauth) {
            if (!(n - e == 10 && memcmp(s + e, " [preauth]", 10) == 0))
                return 0;
        } else {
            if (!has_prefix(s + e, n - e, ": "))
                return 0;
            c->has_extra = 1;
            c->extra = (ssh_sl){s + e + 2, n - e - 2};
        }
    }
    c->from = (ssh_sl){s + w0, w1 - w0};
    c->port = (ssh_sl){s + d0, d1 - d0};
    return 1;
}

/* "(invalid user )?(.*) from ..." from u0: the optional group first, then without it; the user
 * is greedy, so the rightmost " from " whose tail matches wins. */
static int user_from(const char *s, size_t n, size_t u0, int maxauth, ssh_caps *c)
{
    for (int with = 1; with >= 0; with--) {
        size_t us = u0;
        if (with) {
            if (!has_prefix(s + u0, n - u0, "invalid user "))
                continue;
            us = u0 + 13;
        }
        for (size_t p = n; p-- > us;) {
            if (s[p] == ' ' && tail_from(s, n, p, maxauth, c)) {
                c->invalid = with;
                c->user = (ssh_sl){s + us, p - us};
                return 1;
            }
        }
    }
    return 0;
}

static int hand_auth(const char *s, size_t n, ssh_caps *c)
{
    size_t v;
    if (has_prefix(s, n, "Accepted "))
        v = 8;
    else if (has_prefix(s, n, "Failed "))
        v = 6;
    else
        return 0;
    size_t m0 = v + 1, m1 = nonspace_end(s, n, m0);
    if (m1 == m0 || !has_prefix(s + m1, n - m1, " for "))
        return 0;
    if (!user_from(s, n, m1 + 5, 0, c))
        return 0;
    c->verb = (ssh_sl){s, v};
    c->method = (ssh_sl){s + m0, m1 - m0};
    return SH_AUTH;
}

/* "Invalid user (.*) from (\S+)(?: port (\d+))?$" */
static int hand_invalid(const char *s, size_t n, ssh_caps *c)
{
    if (!has_prefix(s, n, "Invalid user "))
        return 0;
    for (size_t p = n; p-- > 13;) {
        if (s[p] != ' ' || !has_prefix(s + p, n - p, " from "))
            continue;
        size_t w0 = p + 6, w1 = nonspace_end(s, n, w0);
        if (w1 == w0)
            continue;
        size_t d0 = 0, d1 = 0;
        if (w1 != n) {
            if (!has_prefix(s + w1, n - w1, " port "))
                continue;
            d0 = w1 + 6;
            d1 = digits_end(s, n, d0);
            if (d1 == d0 || d1 != n)
                continue;
        }
        c->user = (ssh_sl){s + 13, p - 13};
        c->from = (ssh_sl){s + w0, w1 - w0};
        c->port = d1 ? (ssh_sl){s + d0, d1 - d0} : (ssh_sl){NULL, 0};
        return SH_INVALID;
    }
    return 0;
}

static const char maxauth_pre[] = "error: maximum authentication attempts exceeded for ";

static int hand_maxauth(const char *s, size_t n, ssh_caps *c)
{
    if (!has_prefix(s, n, maxauth_pre))
        return 0;
    return user_from(s, n, sizeof maxauth_pre - 1, 1, c) ? SH_MAXAUTH : 0;
}

static int hand_pam(const char *s, size_t n, ssh_caps *c)
{
    if (!has_prefix(s, n, "pam_unix("))
        return 0;
    size_t r0 = 9, r1 = r0;
    while (r1 < n && s[r1] != '(' && s[r1] != ')' && !is_space((unsigned char)s[r1]))
        r1++;
    if (r1 == n || s[r1] != ')' || r1 - r0 < 9 || memcmp(s + r1 - 8, ":session", 8) != 0)
        return 0;
    size_t i = r1 + 1;
    int opened;
    if (has_prefix(s + i, n - i, ": session opened for user "))
        opened = 1;
    else if (has_prefix(s + i, n - i, ": session closed for user "))
        opened = 0;
    else
        return 0;
    size_t t0 = i + 26, t1 = nonspace_end(s, n, t0);
    if (t1 == t0)
        return 0;
    if (t1 != n && !has_prefix(s + t1, n - t1, " by "))
        return 0;
    /* "(uid=\d+)" closing the word, after at least one byte of name */
    size_t u1 = t1;
    ssh_sl uid = {NULL, 0};
    if (t1 - t0 >= 8 && s[t1 - 1] == ')') {
        size_t k = t1 - 1;
        while (k > t0 && is_digit((unsigned char)s[k - 1]))
            k--;
        if (k < t1 - 1 && k >= t0 + 6 && memcmp(s + k - 5, "(uid=", 5) == 0 && k - 5 > t0) {
            u1 = k - 5;
            uid = (ssh_sl){s + k, t1 - 1 - k};
        }
    }
    c->svc = (ssh_sl){s + r0, r1 - 8 - r0};
    c->verb = (ssh_sl){s + i + 10, 6};
    c->user = (ssh_sl){s + t0, u1 - t0};
    c->uid = uid;
    (void)opened;
    return SH_PAM;
}

/* "(\S+) port (\d+)(?: \[preauth\])?$" at s[q] */
static int conn_tail(const char *s, size_t n, size_t q, ssh_caps *c)
{
    size_t w1 = nonspace_end(s, n, q);
    if (w1 == q || !has_prefix(s + w1, n - w1, " port "))
        return 0;
    size_t d0 = w1 + 6, d1 = digits_end(s, n, d0);
    if (d1 == d0)
        return 0;
    if (d1 != n && !(n - d1 == 10 && memcmp(s + d1, " [preauth]", 10) == 0))
        return 0;
    c->from = (ssh_sl){s + q, w1 - q};
    c->port = (ssh_sl){s + d0, d1 - d0};
    return 1;
}

static int hand_conn(const char *s, size_t n, ssh_caps *c)
{
    static const char *const verbs[] = {"Disconnected from", "Connection closed by",
                                        "Connection reset by"};
    static const char *const pres[] = {"user", "authenticating user", "invalid user"};
    size_t r0 = 0;
    for (size_t k = 0; k < 3 && !r0; k++) {
        size_t m = strlen(verbs[k]);
        if (n > m && memcmp(s, verbs[k], m) == 0 && s[m] == ' ') {
            c->verb = (ssh_sl){s, m};
            r0 = m + 1;
        }
    }
    if (!r0)
        return 0;
    for (size_t k = 0; k < 3; k++) {
        size_t m = strlen(pres[k]);
        if (!(n - r0 > m && memcmp(s + r0, pres[k], m) == 0 && s[r0 + m] == ' '))
            continue;
        size_t us = r0 + m + 1;
        for (size_t p = n; p-- > us;) {
            if (s[p] == ' ' && conn_tail(s, n, p + 1, c)) {
                c->pre = (ssh_sl){s + r0, m};
                c->user = (ssh_sl){s + us, p - us};
                return SH_CONN;
            }
        }
    }
    if (conn_tail(s, n, r0, c)) {
        c->pre = (ssh_sl){NULL, 0};
        c->user = (ssh_sl){NULL, 0};
        return SH_CONN;
    }
    return 0;
}

static int ssh_match_hand(const char *s, size_t n, ssh_caps *c)
{
    memset(c, 0, sizeof *c);
    int shape = 0;
    switch (n ? s[0] : 0) {
    case 'A':
    case 'F': shape = hand_auth(s, n, c); break;
    case 'I': shape = hand_invalid(s, n, c); break;
    case 'e': shape = hand_maxauth(s, n, c); break;
    case 'p': shape = hand_pam(s, n, c); break;
    case 'C':
    case 'D': shape = hand_conn(s, n, c); break;
    default: break;
    }
    if (!shape)
        memset(c, 0, sizeof *c);
    c->shape = shape;
    return shape;
}

/* ---- the PCRE2 matcher (the parser "sshd") ----------------------------------------------- */

static void ssh_release(void *state)
{
    sshd_state *st = state;
    for (int i = 0; i < SH__COUNT - 1; i++) {
        pcre2_code_free(st->re[i]);
        st->re[i] = NULL;
    }
    pcre2_match_data_free(st->md);
    pcre2_match_context_free(st->mc);
    pcre2_jit_stack_free(st->js);
    st->md = NULL;
    st->mc = NULL;
    st->js = NULL;
    st->ready = 0;
}

/* Compiles the patterns into the stream's state, once. */
static int ssh_compile(sshd_state *st, ipl_diag *d)
{
    int rc = IPL_OK;
    for (int i = 0; i < SH__COUNT - 1; i++) {
        int ec;
        PCRE2_SIZE eo;
        st->re[i] = pcre2_compile((PCRE2_SPTR)ssh_patterns[i], PCRE2_ZERO_TERMINATED,
                                  PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
        if (!st->re[i]) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(ec, msg, sizeof msg);
            rc = ipl_diag_set(d, ec == PCRE2_ERROR_NOMEMORY ? IPL_ENOMEM : IPL_EINVAL,
                              "cannot compile sshd pattern %d at offset %zu: %s", i + 1,
                              (size_t)eo, (const char *)msg);
            goto out;
        }
        (void)pcre2_jit_compile(st->re[i], PCRE2_JIT_COMPLETE);   /* the interpreter otherwise */
    }
    st->md = pcre2_match_data_create(8, NULL);
    st->mc = pcre2_match_context_create(NULL);
    st->js = pcre2_jit_stack_create(32 * 1024, SSH_JIT_STACK, NULL);
    if (!st->md || !st->mc || !st->js) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory preparing the sshd patterns");
        goto out;
    }
    pcre2_set_match_limit(st->mc, SSH_MATCH_LIMIT);
    pcre2_set_depth_limit(st->mc, SSH_DEPTH_LIMIT);
    pcre2_jit_stack_assign(st->mc, NULL, st->js);
    st->ready = 1;
out:
    if (rc != IPL_OK)
        ssh_release(st);
    return rc;
}

static ssh_sl group(const PCRE2_SIZE *ov, int rc, int g, const char *s)
{
    if (g >= rc || ov[2 * g] == PCRE2_UNSET)
        return (ssh_sl){NULL, 0};
    return (ssh_sl){s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]};
}

static int group_set(const PCRE2_SIZE *ov, int rc, int g)
{
    return g < rc && ov[2 * g] != PCRE2_UNSET;
}

/* Returns the shape (0 = none) or a negative error. */
static int ssh_match_pcre(sshd_state *st, const char *s, size_t n, ssh_caps *c, ipl_diag *d)
{
    memset(c, 0, sizeof *c);
    int shape = 0;
    switch (n ? s[0] : 0) {
    case 'A':
    case 'F': shape = SH_AUTH; break;
    case 'I': shape = SH_INVALID; break;
    case 'e': shape = SH_MAXAUTH; break;
    case 'p': shape = SH_PAM; break;
    case 'C':
    case 'D': shape = SH_CONN; break;
    default: return 0;
    }
    int rc = pcre2_match(st->re[shape - 1], (PCRE2_SPTR)s, n, 0, 0, st->md, st->mc);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return ipl_diag_set(d, IPL_ELIMIT, "sshd pattern %d cannot match the message: %s", shape,
                            (const char *)msg);
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    switch (shape) {
    case SH_AUTH:
        c->verb = group(ov, rc, 1, s);
        c->method = group(ov, rc, 2, s);
        c->invalid = group_set(ov, rc, 3);
        c->user = group(ov, rc, 4, s);
        c->from = group(ov, rc, 5, s);
        c->port = group(ov, rc, 6, s);
        c->has_extra = group_set(ov, rc, 7);
        c->extra = group(ov, rc, 7, s);
        break;
    case SH_INVALID:
        c->user = group(ov, rc, 1, s);
        c->from = group(ov, rc, 2, s);
        c->port = group(ov, rc, 3, s);
        break;
    case SH_MAXAUTH:
        c->invalid = group_set(ov, rc, 1);
        c->user = group(ov, rc, 2, s);
        c->from = group(ov, rc, 3, s);
        c->port = group(ov, rc, 4, s);
        break;
    case SH_PAM:
        c->svc = group(ov, rc, 1, s);
        c->verb = group(ov, rc, 2, s);
        c->user = group(ov, rc, 3, s);
        c->uid = group(ov, rc, 4, s);
        break;
    case SH_CONN:
        c->verb = group(ov, rc, 1, s);
        c->pre = group(ov, rc, 2, s);
        c->user = group(ov, rc, 3, s);
        c->from = group(ov, rc, 4, s);
        c->port = group(ov, rc, 5, s);
        break;
    default:
        break;
    }
    c->shape = shape;
    return shape;
}

/* ---- shared: checks, normalisation, events ----------------------------------------------- */

static int attr(ipl_event *ev, unsigned key, ssh_sl v, ipl_diag *d)
{
    if (v.n > IPL_ATTR_VAL_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "%s is %zu bytes long, longer than the %d-byte limit",
                            ipl_attr_name(key), v.n, IPL_ATTR_VAL_MAX);
    int rc = ipl_event_add_attr(ev, key, v.p, v.n);
    if (rc != IPL_OK)
        return ipl_diag_set(d, rc, "too many attributes for one event adding %s", ipl_attr_name(key));
    return IPL_OK;
}

static int attr_lit(ipl_event *ev, unsigned key, const char *lit, ipl_diag *d)
{
    return attr(ev, key, (ssh_sl){lit, strlen(lit)}, d);
}

static int str_copy(ipl_parse_ctx *ctx, ssh_sl s, const char *what, const char **out, ipl_diag *d)
{
    char q[SSH_QBUF];
    if (s.n >= IPL_STR_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "%s '%s' is %zu bytes long, longer than the %d-byte "
                            "limit", what, quote(q, s.p, s.n), s.n, IPL_STR_MAX - 1);
    char *c = ipl_arena_strndup(ctx->arena, s.p, s.n);
    if (!c)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory copying the %s", what);
    *out = c;
    return IPL_OK;
}

/* A host name as a remote: letters, digits, '.', '-', '_', with at least one letter (so a
 * malformed dotted quad such as "10.0.0.999" is refused, not taken for a name). */
static int hostname_like(ssh_sl s)
{
    int letters = 0;
    if (s.n == 0 || s.n > 253)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        int c = (unsigned char)s.p[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!(alpha || is_digit(c) || c == '.' || c == '-' || c == '_'))
            return 0;
        letters += alpha;
    }
    return letters > 0;
}

/* The remote end: ip, or host for a name. */
static int remote(ipl_parse_ctx *ctx, ssh_sl from, ipl_event *ev, ipl_diag *d)
{
    char q[SSH_QBUF];
    if (ipl_ip_parse(from.p, from.n, ev->ip) == IPL_OK) {
        ev->has_ip = 1;
        return IPL_OK;
    }
    if (!hostname_like(from))
        return ipl_diag_set(d, IPL_EPARSE, "remote address '%s' is neither an IP address nor a "
                            "host name", quote(q, from.p, from.n));
    return str_copy(ctx, from, "remote host name", &ev->host, d);
}

static int port_attr(ipl_event *ev, ssh_sl port, ipl_diag *d)
{
    char q[SSH_QBUF];
    if (port.n == 0)
        return IPL_OK;
    unsigned v = 0;
    for (size_t i = 0; i < port.n && i < 6; i++)
        v = v * 10 + (unsigned)(port.p[i] - '0');
    if (port.n > 5 || v > 65535)
        return ipl_diag_set(d, IPL_EPARSE, "port '%s' is not 0 to 65535", quote(q, port.p, port.n));
    return attr(ev, IPL_A_PORT, port, d);
}

/* A message that no matcher took: an error if it begins like an event line, else no event. */
static int unmatched(const char *s, size_t n, ipl_diag *d)
{
    char q[SSH_QBUF];
    const char *what = NULL;
    if (has_prefix(s, n, "Accepted ") || has_prefix(s, n, "Failed ")) {
        size_t m0 = s[0] == 'A' ? 9 : 7, m1 = nonspace_end(s, n, m0);
        if (m1 > m0 && has_prefix(s + m1, n - m1, " for "))
            what = "authentication";
    } else if (has_prefix(s, n, "Invalid user ")) {
        what = "invalid-user";
    } else if (has_prefix(s, n, maxauth_pre)) {
        what = "maximum-attempts";
    } else if (has_prefix(s, n, "pam_unix(")) {
        for (size_t i = 9; i + 24 <= n; i++)
            if (memcmp(s + i, "session opened for user ", 24) == 0 ||
                memcmp(s + i, "session closed for user ", 24) == 0) {
                what = "PAM session";
                break;
            }
    }
    if (!what)
        return IPL_OK;
    return ipl_diag_set(d, IPL_EPARSE, "sshd %s message does not follow its grammar: '%s'", what,
                        quote(q, s, n));
}

/* Builds and emits the event of a match. */
static int ssh_event(ipl_parse_ctx *ctx, const ipl_syslog *env, const ssh_caps *c,
                     ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = env->ts;
    const char *logon_type = "ssh";
    const char *reason = NULL;
    int rc;
    switch (c->shape) {
    case SH_AUTH:
        ev.kind = c->verb.p[0] == 'A' ? IPL_K_LOGON : IPL_K_LOGON_FAIL;
        if (c->invalid)
            reason = "invalid user";
        break;
    case SH_INVALID:
        ev.kind = IPL_K_LOGON_FAIL;
        reason = "invalid user";
        break;
    case SH_MAXAUTH:
        ev.kind = IPL_K_LOGON_FAIL;
        reason = c->invalid ? "too many authentication failures, invalid user"
                            : "too many authentication failures";
        break;
    case SH_PAM:
        ev.kind = sl_is(c->verb, "opened") ? IPL_K_LOGON : IPL_K_LOGOFF;
        logon_type = "pam-session";
        break;
    case SH_CONN: {
        int verb = c->verb.p[0] == 'D' ? 0 : c->verb.p[11] == 'c' ? 1 : 2;
        if (sl_is(c->pre, "user")) {
            ev.kind = IPL_K_LOGOFF;
            reason = verb == 1 ? "connection closed" : verb == 2 ? "connection reset" : NULL;
        } else if (sl_is(c->pre, "authenticating user")) {
            ev.kind = IPL_K_LOGON_FAIL;
            reason = verb == 0 ? "disconnected during authentication"
                   : verb == 1 ? "closed during authentication"
                               : "reset during authentication";
        } else {
            return IPL_OK;                 /* invalid user (counted already) or no user */
        }
        break;
    }
    default:
        return IPL_OK;
    }
    if ((rc = c->user.n ? str_copy(ctx, c->user, "user name", &ev.user, d) : IPL_OK) != IPL_OK)
        return rc;
    if (c->from.n && (rc = remote(ctx, c->from, &ev, d)) != IPL_OK)
        return rc;
    if (env->host_len)
        rc = str_copy(ctx, (ssh_sl){env->host, env->host_len}, "syslog hostname", &ev.server, d);
    else
        ev.server = ctx->server;
    if (rc != IPL_OK)
        return rc;
    if ((rc = port_attr(&ev, c->port, d)) != IPL_OK ||
        (c->method.n && (rc = attr(&ev, IPL_A_METHOD, c->method, d)) != IPL_OK) ||
        (rc = attr_lit(&ev, IPL_A_LOGON_TYPE, logon_type, d)) != IPL_OK ||
        (reason && (rc = attr_lit(&ev, IPL_A_REASON, reason, d)) != IPL_OK) ||
        (env->pid_len && (rc = attr(&ev, IPL_A_SESSION, (ssh_sl){env->pid, env->pid_len}, d))) ||
        (env->tag_len && (rc = attr(&ev, IPL_A_PROGRAM, (ssh_sl){env->tag, env->tag_len}, d))))
        return rc;
    if (c->extra.n) {
        /* "<KEYTYPE> <fp>[ <certificate info>]" */
        const char *s = c->extra.p;
        size_t n = c->extra.n, a = nonspace_end(s, n, 0);
        if (a < n && s[a] == ' ') {
            size_t b = nonspace_end(s, n, a + 1);
            if ((rc = attr(&ev, IPL_A_KEY_TYPE, (ssh_sl){s, a}, d)) != IPL_OK ||
                (rc = attr(&ev, IPL_A_KEY_FP, (ssh_sl){s + a + 1, b - a - 1}, d)) != IPL_OK ||
                (b + 1 < n && (rc = attr(&ev, IPL_A_MESSAGE, (ssh_sl){s + b + 1, n - b - 1}, d))))
                return rc;
        } else if ((rc = attr(&ev, IPL_A_MESSAGE, c->extra, d)) != IPL_OK) {
            return rc;
        }
    }
    return emit(emit_ctx, &ev);
}

/* One sshd message; st NULL: the hand-written matcher (router), else PCRE2. */
static int ssh_message(ipl_parse_ctx *ctx, const ipl_syslog *env, void *state, ipl_emit_fn emit,
                       void *emit_ctx, ipl_diag *d)
{
    sshd_state *st = state;
    const char *s = env->msg;
    size_t n = env->msg_len;
    if (n > SSH_MSG_MAX)
        return ipl_diag_set(d, IPL_EPARSE, "message is %zu bytes, longer than the %d-byte limit",
                            n, SSH_MSG_MAX);
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return ipl_diag_set(d, IPL_EPARSE, "NUL byte at offset %zu of the message",
                            (size_t)(nul - s));
    int rc;
    ssh_caps c;
    if (st) {
        if (!st->ready && (rc = ssh_compile(st, d)) != IPL_OK)
            return rc;
        rc = ssh_match_pcre(st, s, n, &c, d);
        if (rc < 0)
            return rc;
    } else {
        rc = ssh_match_hand(s, n, &c);
    }
    if (rc == SH_NONE)
        return unmatched(s, n, d);
    return ssh_event(ctx, env, &c, emit, emit_ctx, d);
}

static int ssh_sub_message(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_emit_fn emit,
                           void *emit_ctx, ipl_diag *d)
{
    return ssh_message(ctx, env, NULL, emit, emit_ctx, d);
}

static const char *const ssh_tags[] = {"sshd", "sshd-session", NULL};

const ipl_syslog_sub ipl_syslog_sub_sshd = {
    .name = "sshd",
    .tags = ssh_tags,
    .message = ssh_sub_message,
};

/* ---- the parser "sshd" ------------------------------------------------------------------- */

static int sshd_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                     ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    return ipl_syslog_tagged_line(ctx, line, len, ssh_tags, ssh_message, state, emit, emit_ctx, d);
}

/* Scores a sample: every line must be syslog; 90 when all are sshd's, less than the router's 70
 * when other programs are mixed in (auth.log: the router reads it through the same sub and the
 * same events come out either way). */
static int sshd_probe(const char *s, size_t len)
{
    return ipl_syslog_probe_tags(s, len, ssh_tags);
}

const ipl_parser ipl_parser_sshd = {
    .name = "sshd",
    .summary = "OpenSSH sshd and pam_unix session lines in syslog files (auth.log, secure)",
    .state_size = sizeof(sshd_state),
    .probe = sshd_probe,
    .init = NULL,
    .line = sshd_line,
    .finish = NULL,
    .pending = NULL,
    .release = ssh_release,
};
