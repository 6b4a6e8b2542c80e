/* parsers/syslog.h — the syslog envelope shared by the syslog-framed formats (ISC dhcpd, Kea log
 * lines, dnsmasq, sshd), rsyslog's "message repeated" unwrapping, and the program-tag router.
 *
 * Accepted headers (a leading "<PRI>" optional in all):
 *   RFC 3164   "May  1 08:15:32 host tag[pid]: msg"        local time, no year (see below)
 *   RFC 5424   "<34>1 2024-05-01T08:15:32.003Z host app procid msgid [sd] msg"
 *   rsyslog    "2024-05-01T08:15:32.123456+02:00 host tag[pid]: msg" (RSYSLOG_FileFormat)
 * RFC 3164 times are local to ctx->tz. Their year: ctx->year_hint when set; otherwise, for the
 * first line of a source, the year of ctx->now, or the year before if that would put the line more
 * than a day after ctx->now; after that, the year of the source's previous line (ctx->last_ts),
 * plus one when the month goes back (December -> January). Documented in docs/design/time.md.
 */
#ifndef IPL_SYSLOG_H
#define IPL_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/parser.h"

typedef struct ipl_syslog {
    int64_t     ts;                 /* UTC µs */
    int         pri;                /* -1 when absent */
    int         rfc;                /* 3164 or 5424 (the rsyslog file format counts as 5424) */
    const char *host;  size_t host_len;
    const char *tag;   size_t tag_len;   /* program: TAG or APP-NAME, without [pid] */
    const char *pid;   size_t pid_len;   /* may be empty */
    const char *msg;   size_t msg_len;   /* the message after the header */
} ipl_syslog;

/* Parses the envelope of one line. Pointers borrow from `line`. IPL_EPARSE with a reason that
 * names the part ("syslog timestamp 'Mai  1 08:15:32' is not ...") when it is not syslog.
 * Updates ctx->last_ts (year inference and DST overlap order). */
int ipl_syslog_parse(ipl_parse_ctx *ctx, const char *line, size_t len, ipl_syslog *out, ipl_diag *d);

/* 1 if the first lines of a sample look like syslog at all (any program). */
int ipl_syslog_probe_envelope(const char *sample, size_t len);

/* rsyslog's repeated-message reduction ($RepeatedMsgReduction): N identical consecutive messages
 * of a program are written as one line whose message is
 *     "message repeated N times: [ MSG]"
 * N is 1 to 10 decimal digits, then " times: [", one optional blank, MSG, and the message's last
 * byte must be ']' (that ']' is not part of MSG). Anything else (no ']' at the end, no digits,
 * another spelling) is not the form and the message stays whole. sysklogd's untagged "last
 * message repeated N times" is not this form: it does not say which message (it reads as a
 * message with an empty tag).
 *
 * ipl_syslog_unrepeat(): when env's message has the form, narrows env->msg/msg_len to MSG
 * (borrowing from the line, like the rest of env) and sets *count = N; otherwise leaves env as it
 * is and sets *count = 1. N = 0 is valid (*count = 0: nothing to read). N over
 * IPL_SYSLOG_REPEAT_MAX (10,000) is IPL_EPARSE ("'message repeated N times' exceeds the limit of
 * 10000 repetitions", no cut) with *count = 0. The router and the dedicated syslog parsers all
 * call it, so each reads the same events from the same line:
 *
 *     unsigned long count;
 *     int rc = ipl_syslog_unrepeat(&env, &count, d);
 *     for (unsigned long k = 0; k < count && rc == IPL_OK; k++)
 *         rc = read_message(ctx, &env, ..., d);          (the first error stops the repeats)
 *     return rc;
 */
#define IPL_SYSLOG_REPEAT_MAX 10000
int ipl_syslog_unrepeat(ipl_syslog *env, unsigned long *count, ipl_diag *d);

/* ---- parsers of one program's lines in a syslog file (dnsmasq, sshd) ----
 * ipl_syslog_tag_in: 1 when env's tag is one of `tags` (NULL-terminated, exact match).
 * ipl_syslog_probe_tags: scores a sample (at most 32 lines; blank lines and a cut last line
 * skipped): 0 when a line is not syslog or none is the program's; 90 when all are, 60 when at
 * least half are, else 40 (the router, which reads mixed files, scores 70).
 * ipl_syslog_tagged_line: the line function of such a parser: a blank line and a line of another
 * program emit nothing; the envelope's error otherwise; the message goes to `msg` once, or N
 * times for rsyslog's "message repeated N times" (ipl_syslog_unrepeat). */
typedef int (*ipl_syslog_msg_fn)(ipl_parse_ctx *ctx, const ipl_syslog *env, void *state,
                                 ipl_emit_fn emit, void *emit_ctx, ipl_diag *d);
int ipl_syslog_tag_in(const ipl_syslog *env, const char *const *tags);
int ipl_syslog_probe_tags(const char *sample, size_t len, const char *const *tags);
int ipl_syslog_tagged_line(ipl_parse_ctx *ctx, const char *line, size_t len,
                           const char *const *tags, ipl_syslog_msg_fn msg, void *state,
                           ipl_emit_fn emit, void *emit_ctx, ipl_diag *d);

/* A parser of syslog message bodies for some program tags: the router (the "syslog" format)
 * parses the envelope once and hands the message to the sub-parser whose tags match. */
typedef struct ipl_syslog_sub {
    const char *name;               /* "isc-dhcpd" */
    const char *const *tags;        /* NULL-terminated list: "dhcpd", ... (exact match) */
    /* Fills events from one message; the envelope gives ts, host, tag. Same contract as
     * ipl_parser.line otherwise (IPL_OK with 0..n events, or an error with a reason). */
    int (*message)(ipl_parse_ctx *ctx, const ipl_syslog *env, ipl_emit_fn emit, void *emit_ctx,
                   ipl_diag *d);
} ipl_syslog_sub;

#endif
