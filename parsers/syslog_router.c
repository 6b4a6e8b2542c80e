/* parsers/syslog_router.c — the "syslog" format: a mixed syslog file or stream of many programs.
 * Each line's envelope is parsed once (parsers/syslog.c) and its message handed to the sub-parser
 * whose tag list holds the line's program tag (exact, case-sensitive match: syslog tags are
 * written by the program itself). Spec: FORMATS.md 7.1; API: parsers/syslog.h.
 *
 *   May  1 08:15:32 dhcp01 dhcpd[1123]: DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f via eth0
 *   \____ envelope: ts, host, tag "dhcpd", pid ___________/ \__ message -> sub "isc-dhcpd" __/
 *
 * Outcomes per line:
 *   - not syslog at all (no valid envelope)          -> IPL_EPARSE with the envelope's reason;
 *   - a program no sub handles (cron, kernel, ...),
 *     or no tag ("last message repeated 3 times")    -> IPL_OK, nothing emitted: a mixed file
 *                                                       legitimately carries other programs;
 *   - a handled program                              -> whatever the sub returns.
 * rsyslog's repeated-message reduction, "message repeated N times: [ MSG]", is unwrapped here for
 * every sub (ipl_syslog_unrepeat, parsers/syslog.h): the sub sees MSG, N times (N <= 10000; more
 * is an error), so it never has to know.
 * (sysklogd's untagged "last message repeated N times" cannot be expanded: it does not say which
 * message; it emits nothing.)
 *
 * Probe: 70 when the sample is syslog (ipl_syslog_probe_envelope) and at least one of its first
 * lines carries a tag some sub handles; 10 when it is syslog but no known tag was seen (a syslog
 * file with nothing for us is still best read as syslog). Dedicated single-program parsers
 * (isc-dhcpd, ...) score 90 on a sample of their program only, so they win there, and score
 * lower than 70 on mixed samples, so this router wins those.
 *
 * The sub table below is a plain list: append one `extern` and one `&ipl_syslog_sub_<x>,` line per
 * program family; a tag must appear in one sub only (the first match wins).
 *
 * Pure and stateless (state_size 0): no I/O, no clock, no globals written.
 */
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include "engine/err.h"

#include <string.h>

#define SR_PROBE_LINES 64
#define SR_SAMPLE_MAX 65536     /* probe samples are at most this long (engine/parser.h) */

/* ---- the sub-parsers: append here ---------------------------------------------------------- */

extern const ipl_syslog_sub ipl_syslog_sub_isc_dhcpd;
extern const ipl_syslog_sub ipl_syslog_sub_dnsmasq;
extern const ipl_syslog_sub ipl_syslog_sub_sshd;
extern const ipl_syslog_sub ipl_syslog_sub_kea;

static const ipl_syslog_sub *const subs[] = {
    &ipl_syslog_sub_isc_dhcpd,
    &ipl_syslog_sub_dnsmasq,
    &ipl_syslog_sub_sshd,
    &ipl_syslog_sub_kea,
};

/* -------------------------------------------------------------------------------------------- */

#define NSUBS (sizeof subs / sizeof subs[0])

static const ipl_syslog_sub *find_sub(const char *tag, size_t n)
{
    if (n == 0)
        return NULL;
    for (size_t i = 0; i < NSUBS; i++)
        for (const char *const *t = subs[i]->tags; *t; t++)
            if (strlen(*t) == n && memcmp(*t, tag, n) == 0)
                return subs[i];
    return NULL;
}

static int router_line(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                       ipl_emit_fn emit, void *emit_ctx, ipl_diag *d)
{
    ipl_syslog env;
    int rc = ipl_syslog_parse(ctx, line, len, &env, d);
    if (rc != IPL_OK)
        return rc;
    const ipl_syslog_sub *sub = find_sub(env.tag, env.tag_len);
    if (!sub)
        return IPL_OK;
    unsigned long count;
    rc = ipl_syslog_unrepeat(&env, &count, d);
    for (unsigned long k = 0; k < count && rc == IPL_OK; k++)
        rc = sub->message(ctx, &env, emit, emit_ctx, d);
    return rc;
}

/* Tags of the first lines of a sample: is one of them handled? The envelope's time is not
 * resolved here (probe has no ctx): a UTC scratch ctx with a fixed year stands in. */
static int router_probe(const char *s, size_t len)
{
    if (!ipl_syslog_probe_envelope(s, len))
        return 0;
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.year_hint = 2000;
    size_t pos = 0;
    for (int k = 0; pos < len && k < SR_PROBE_LINES; k++) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        ipl_syslog env;
        ctx.last_ts = 0;
        if ((nl || len < SR_SAMPLE_MAX) &&   /* else a line cut by the sample's end */
            ipl_syslog_parse(&ctx, s + pos, end - pos, &env, NULL) == IPL_OK &&
            find_sub(env.tag, env.tag_len))
            return 70;
        pos = end + 1;
    }
    return 10;
}

const ipl_parser ipl_parser_syslog = {
    .name = "syslog",
    .summary = "mixed syslog (RFC 3164, RFC 5424, rsyslog ISO), routed by program tag to the "
               "syslog sub-parsers",
    .state_size = 0,
    .probe = router_probe,
    .init = NULL,
    .line = router_line,
    .finish = NULL,
    .pending = NULL,
    .release = NULL,
};
