/* tools/cli/cmd_query.c — the reading commands: events, who, stats, sources, quarantine, formats. */
#include "tools/cli/cli.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "engine/sha256.h"
#include "parsers/parser.h"
#include "queries/lookup.h"
#include "queries/track.h"

#include <stdlib.h>
#include <string.h>

typedef struct rowctx {
    ipl_out *out;
    int json;
    ipl_arena arena;
} rowctx;

static int event_out(void *c, const ipl_event *ev)
{
    rowctx *r = c;
    const char *vals[16];
    int err = ipl_event_row(ev, r->json, &r->arena, vals);
    if (!err)
        err = ipl_out_row(r->out, vals);
    ipl_arena_clear(&r->arena);
    return err;
}

/* --ip/--mac/--host/--user: exactly one. */
static int pick_selector(const char *cmd, const ipl_args *a, ipl_index *ix, const char **val)
{
    static const struct { const char *opt; ipl_index ix; } sel[] = {
        {"ip", IPL_IX_IP}, {"mac", IPL_IX_MAC}, {"host", IPL_IX_HOST}, {"user", IPL_IX_USER}};
    int n = 0;
    for (size_t i = 0; i < 4; i++)
        if (ipl_arg(a, sel[i].opt)) {
            *ix = sel[i].ix;
            *val = ipl_arg(a, sel[i].opt);
            n++;
        }
    if (n != 1)
        return cli_fail(cmd, 2, "give exactly one of --ip, --mac, --host, --user");
    return 0;
}

static int load_tz(const char *cmd, const ipl_args *a, ipl_tz **tz)
{
    ipl_diag d = {0};
    *tz = NULL;
    const char *name = ipl_arg(a, "tz");
    if (name && ipl_tz_load(tz, name, &d))
        return cli_fail(cmd, 2, "--tz: %s", d.msg);
    return 0;
}

int cmd_events(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, CLI_FORMAT_OPT,
        {"ip", 1, "A  an address or a prefix (10.72.144.0/22, 2001:db8::/48)", NULL, {0}, 0},
        {"mac", 1, "M  a MAC in any common notation, or a DUID in hex", NULL, {0}, 0},
        {"host", 1, "H  a host name (case-insensitive)", NULL, {0}, 0},
        {"user", 1, "U  a user, DOMAIN\\name (case-insensitive)", NULL, {0}, 0},
        {"all", 0, "every event, in time order (the time index)", NULL, {0}, 0},
        {"from", 1, "T  from this time (ISO 8601, date, @epoch, now, -7d)", NULL, {0}, 0},
        {"to", 1, "T  up to this time, inclusive", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of times given without an offset (default UTC)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("events",
                      "ipledger events --ip A | --mac M | --host H | --user U | --all [--from T1] [--to T2] "
                      "[--format table|json|ndjson|csv]",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ipl_index ix = IPL_IX_IP;
    const char *val = NULL;
    ipl_out_format f;
    ipl_tz *tz = NULL;
    int64_t from = 0, to = INT64_MAX;
    int all = ipl_arg_flag(&a, "all");
    if (all && (ipl_arg(&a, "ip") || ipl_arg(&a, "mac") || ipl_arg(&a, "host") || ipl_arg(&a, "user")))
        return cli_fail("events", 2, "--all goes without --ip, --mac, --host or --user");
    if ((!all && (rc = pick_selector("events", &a, &ix, &val))) || (rc = cli_out_format("events", &a, &f)) ||
        (rc = load_tz("events", &a, &tz)))
        return rc;
    if ((ipl_arg(&a, "from") && (rc = cli_time("events", "from", ipl_arg(&a, "from"), tz, &from))) ||
        (ipl_arg(&a, "to") && (rc = cli_time("events", "to", ipl_arg(&a, "to"), tz, &to)))) {
        ipl_tz_free(tz);
        return rc;
    }
    ipl_tz_free(tz);
    if (from > to)
        return cli_fail("events", 2, "--from is after --to");
    ipl_store *st;
    if ((rc = cli_open_store("events", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    ipl_selector sel;
    rowctx r = {0};
    r.json = f == IPL_OUT_JSON || f == IPL_OUT_NDJSON;
    ipl_arena_init(&r.arena, (size_t)1 << 24);
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err && all) {
        memset(&sel, 0, sizeof sel);
        sel.ix = IPL_IX_TIME;
    } else if (!err) {
        err = ipl_selector_make(t, ix, val, &sel, &d);
    }
    if (!err && (err = ipl_out_new(&r.out, f, ipl_event_cols, ipl_event_ncols, cli_write_stdout, NULL)))
        ipl_diag_set(&d, err, "out of memory");
    if (!err)
        err = ipl_events_scan(t, &sel, from, to, event_out, &r, &d);
    if (r.out && (rc = ipl_out_end(r.out)) && !err)
        err = ipl_diag_set(&d, rc, "cannot write the results");
    ipl_out_free(r.out);
    ipl_arena_release(&r.arena);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    if (err)
        return cli_fail("events", err == IPL_EINVAL ? 2 : 1, "%s", d.msg);
    return 0;
}

int cmd_who(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, CLI_FORMAT_OPT,
        {"ip", 1, "A  the address", NULL, {0}, 0},
        {"at", 1, "T  the instant (ISO 8601, e.g. 2024-05-01T14:05:00Z; @epoch; now)", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of --at when it has no offset (default UTC)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("who", "ipledger who --ip A --at T [--format table|json|ndjson|csv]", &a,
                      argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    const char *ipt = ipl_arg(&a, "ip"), *att = ipl_arg(&a, "at");
    if (!ipt || !att)
        return cli_fail("who", 2, "give --ip and --at");
    uint8_t ip[16];
    if (ipl_ip_parse(ipt, strlen(ipt), ip))
        return cli_fail("who", 2, "--ip: '%s' is not an IPv4 or IPv6 address", ipt);
    ipl_out_format f;
    ipl_tz *tz;
    int64_t at;
    if ((rc = cli_out_format("who", &a, &f)) || (rc = load_tz("who", &a, &tz)))
        return rc;
    rc = cli_time("who", "at", att, tz, &at);
    ipl_tz_free(tz);
    if (rc)
        return rc;
    ipl_store *st;
    if ((rc = cli_open_store("who", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    ipl_arena ar;
    ipl_arena_init(&ar, (size_t)1 << 20);
    ipl_who w;
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_who_at(t, ip, at, &ar, &w, &d);
    if (!err) {
        static const ipl_col cols[] = {
            {"ip", IPL_COL_STR}, {"at", IPL_COL_STR}, {"state", IPL_COL_STR}, {"mac", IPL_COL_STR},
            {"duid", IPL_COL_STR}, {"host", IPL_COL_STR}, {"server", IPL_COL_STR},
            {"lease_start", IPL_COL_STR}, {"lease_end", IPL_COL_STR}, {"end_reason", IPL_COL_STR},
            {"evidence", IPL_COL_STR}, {"note", IPL_COL_STR}};
        char ipb[IPL_IP_TEXT], atb[IPL_TIME_BUF], sb[IPL_TIME_BUF], eb[IPL_TIME_BUF], evb[256];
        ipl_ip_format(ip, ipb, sizeof ipb);
        ipl_time_format(at, atb, sizeof atb);
        size_t off = 0;
        evb[0] = '\0';
        for (int i = 0; i < w.nevidence; i++)
            off += (size_t)snprintf(evb + off, sizeof evb - off, "%s%llu", i ? "," : "",
                                    (unsigned long long)w.evidence[i]);
        if (w.held)
            ipl_time_format(w.start, sb, sizeof sb);
        if (w.held && w.end)
            ipl_time_format(w.end, eb, sizeof eb);
        const char *vals[] = {ipb, atb, w.held ? "held" : "nobody", w.mac, w.duid, w.host,
                              w.server, w.held ? sb : NULL,
                              w.held ? (w.end ? eb : "open") : NULL, w.held ? w.end_reason : NULL, evb,
                              w.held && !w.end ? "no closing event in the log yet" : w.note};
        ipl_out *o;
        if ((err = ipl_out_new(&o, f, cols, sizeof cols / sizeof cols[0], cli_write_stdout, NULL)) == 0) {
            ipl_out_row(o, vals);
            err = ipl_out_end(o);
            ipl_out_free(o);
        }
        if (err)
            ipl_diag_set(&d, err, "cannot write the answer");
    }
    ipl_arena_release(&ar);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? cli_fail("who", 1, "%s", d.msg) : 0;
}

int cmd_stats(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT, CLI_FORMAT_OPT};
    ipl_args a = {opts, 2, {0}, 0, 0};
    int rc = cli_args("stats", "ipledger stats [--store DIR] [--format ...]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ipl_out_format f = IPL_OUT_TABLE;
    if (ipl_arg(&a, "format") && (rc = cli_out_format("stats", &a, &f)))
        return rc;
    ipl_store *st;
    if ((rc = cli_open_store("stats", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    ipl_store_stats s;
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err)
        err = ipl_store_stats_get(t, &s, &d);
    if (!err) {
        static const ipl_col cols[] = {{"name", IPL_COL_STR}, {"value", IPL_COL_STR}};
        char v[20][80], ch[65], t1[IPL_TIME_BUF], t2[IPL_TIME_BUF];
        ipl_hex32(s.chain, ch);
        ipl_time_format(s.first_ts, t1, sizeof t1);
        ipl_time_format(s.last_ts, t2, sizeof t2);
        const char *rows[][2] = {
            {"store", ipl_store_dir(st)},
            {"format", (snprintf(v[0], 80, "%u", s.format), v[0])},
            {"events", (snprintf(v[1], 80, "%llu", (unsigned long long)s.events), v[1])},
            {"last_seq", (snprintf(v[2], 80, "%llu", (unsigned long long)s.last_seq), v[2])},
            {"first_event", s.events ? t1 : ""},
            {"last_event", s.events ? t2 : ""},
            {"sources", (snprintf(v[3], 80, "%llu", (unsigned long long)s.sources), v[3])},
            {"quarantined", (snprintf(v[4], 80, "%llu", (unsigned long long)s.quarantine), v[4])},
            {"dictionary_strings", (snprintf(v[5], 80, "%llu", (unsigned long long)s.dict), v[5])},
            {"index_ip", (snprintf(v[6], 80, "%llu", (unsigned long long)s.index_entries[0]), v[6])},
            {"index_mac", (snprintf(v[7], 80, "%llu", (unsigned long long)s.index_entries[1]), v[7])},
            {"index_host", (snprintf(v[8], 80, "%llu", (unsigned long long)s.index_entries[2]), v[8])},
            {"index_user", (snprintf(v[9], 80, "%llu", (unsigned long long)s.index_entries[3]), v[9])},
            {"index_time", (snprintf(v[10], 80, "%llu", (unsigned long long)s.index_entries[4]), v[10])},
            {"bytes_on_disk", (snprintf(v[11], 80, "%llu", (unsigned long long)s.file_bytes), v[11])},
            {"bytes_used", (snprintf(v[12], 80, "%llu", (unsigned long long)s.used_bytes), v[12])},
            {"bytes_per_event", (snprintf(v[13], 80, "%.1f", s.events ? (double)s.file_bytes / (double)s.events : 0.0), v[13])},
            {"map_size", (snprintf(v[14], 80, "%llu", (unsigned long long)s.map_size), v[14])},
            {"chain_head", ch},
        };
        ipl_out *o;
        if ((err = ipl_out_new(&o, f, cols, 2, cli_write_stdout, NULL)) == 0) {
            for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
                ipl_out_row(o, rows[i]);
            err = ipl_out_end(o);
            ipl_out_free(o);
        }
    }
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? cli_fail("stats", 1, "%s", d.msg[0] ? d.msg : ipl_strerror(err)) : 0;
}

typedef struct srcctx {
    ipl_out *o;
} srcctx;

static int source_row(void *c, const char *name, const ipl_source_pos *p)
{
    srcctx *s = c;
    char v[6][32], tb[IPL_TIME_BUF];
    ipl_time_format(p->updated, tb, sizeof tb);
    snprintf(v[0], 32, "%llu", (unsigned long long)p->offset);
    snprintf(v[1], 32, "%llu", (unsigned long long)p->line);
    snprintf(v[2], 32, "%llu", (unsigned long long)p->events);
    snprintf(v[3], 32, "%llu", (unsigned long long)p->quarantined);
    snprintf(v[4], 32, "%llu", (unsigned long long)p->generation);
    const char *vals[] = {name, p->format, v[0], v[1], v[2], v[3], v[4], tb};
    return ipl_out_row(s->o, vals);
}

int cmd_sources(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT, CLI_FORMAT_OPT};
    ipl_args a = {opts, 2, {0}, 0, 0};
    int rc = cli_args("sources", "ipledger sources [--store DIR] [--format ...]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ipl_out_format f;
    if ((rc = cli_out_format("sources", &a, &f)))
        return rc;
    ipl_store *st;
    if ((rc = cli_open_store("sources", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    static const ipl_col cols[] = {{"source", IPL_COL_STR}, {"format", IPL_COL_STR},
                                   {"offset", IPL_COL_NUM}, {"lines", IPL_COL_NUM},
                                   {"events", IPL_COL_NUM}, {"quarantined", IPL_COL_NUM},
                                   {"generation", IPL_COL_NUM}, {"updated", IPL_COL_STR}};
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    srcctx s = {0};
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err && !(err = ipl_out_new(&s.o, f, cols, 8, cli_write_stdout, NULL))) {
        err = ipl_store_sources(t, source_row, &s, &d);
        int e2 = ipl_out_end(s.o);
        err = err ? err : e2;
        ipl_out_free(s.o);
    }
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? cli_fail("sources", 1, "%s", d.msg[0] ? d.msg : ipl_strerror(err)) : 0;
}

static int quarantine_row(void *c, const ipl_qentry *q)
{
    srcctx *s = c;
    char v[3][32], tb[IPL_TIME_BUF];
    char *raw = malloc(q->rawlen + 1);
    if (!raw)
        return IPL_ENOMEM;
    for (size_t i = 0; i < q->rawlen; i++) {
        unsigned char ch = (unsigned char)q->raw[i];
        raw[i] = ch < 0x20 && ch != '\t' ? '?' : (char)ch;
    }
    raw[q->rawlen] = '\0';
    ipl_time_format(q->ingested, tb, sizeof tb);
    snprintf(v[0], 32, "%llu", (unsigned long long)q->qseq);
    snprintf(v[1], 32, "%llu", (unsigned long long)q->line);
    snprintf(v[2], 32, "%llu", (unsigned long long)q->offset);
    const char *vals[] = {v[0], q->source, v[1], v[2], q->reason, raw, tb};
    int err = ipl_out_row(s->o, vals);
    free(raw);
    return err;
}

int cmd_quarantine(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT, CLI_FORMAT_OPT,
                      {"source", 1, "S  only lines from this source (as 'ipledger sources' names it, or a file path)", NULL, {0}, 0}};
    ipl_args a = {opts, 3, {0}, 0, 0};
    int rc = cli_args("quarantine", "ipledger quarantine [--source S] [--format ...]", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ipl_out_format f;
    if ((rc = cli_out_format("quarantine", &a, &f)))
        return rc;
    char src[4200];
    const char *source = ipl_arg(&a, "source");
    if (source && strncmp(source, "file:", 5) != 0 && strncmp(source, "stdin:", 6) != 0) {
        char real[4096];
        if (realpath(source, real)) {
            snprintf(src, sizeof src, "file:%s", real);
            source = src;
        }
    }
    ipl_store *st;
    if ((rc = cli_open_store("quarantine", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    static const ipl_col cols[] = {{"qseq", IPL_COL_NUM}, {"source", IPL_COL_STR},
                                   {"line", IPL_COL_NUM}, {"offset", IPL_COL_NUM},
                                   {"reason", IPL_COL_STR}, {"raw", IPL_COL_STR},
                                   {"ingested", IPL_COL_STR}};
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    srcctx s = {0};
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err && !(err = ipl_out_new(&s.o, f, cols, 7, cli_write_stdout, NULL))) {
        err = ipl_store_quarantine(t, source, quarantine_row, &s, &d);
        int e2 = ipl_out_end(s.o);
        err = err ? err : e2;
        ipl_out_free(s.o);
    }
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? cli_fail("quarantine", 1, "%s", d.msg[0] ? d.msg : ipl_strerror(err)) : 0;
}

int cmd_formats(int argc, char **argv)
{
    ipl_opt opts[] = {{"x", 0, NULL, NULL, {0}, 0}};
    ipl_args a = {opts, 0, {0}, 0, 0};
    int rc = cli_args("formats", "ipledger formats", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    size_t n;
    const ipl_parser *const *p = ipl_parsers(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-16s %s\n", p[i]->name, p[i]->summary);
    return 0;
}

typedef struct trackout {
    ipl_out *o;
    ipl_arena arena;
} trackout;

static int track_row(void *c, const ipl_track_row *r)
{
    trackout *t = c;
    const char *vals[16];
    ipl_track_row_values(r, &t->arena, vals);
    int err = ipl_out_row(t->o, vals);
    ipl_arena_clear(&t->arena);
    return err;
}

int cmd_track(int argc, char **argv)
{
    ipl_opt opts[] = {
        CLI_STORE_OPT, CLI_FORMAT_OPT,
        {"ip", 1, "A  an address: its lease chunks -> devices -> users", NULL, {0}, 0},
        {"mac", 1, "M  a MAC (any notation) or DUID: its leases -> addresses -> users", NULL, {0}, 0},
        {"host", 1, "H  a host name: its leases -> addresses -> users", NULL, {0}, 0},
        {"user", 1, "U  a user: logons -> addresses -> lease chunks -> devices", NULL, {0}, 0},
        {"at", 1, "T  an instant", NULL, {0}, 0},
        {"from", 1, "T  window start (with --to)", NULL, {0}, 0},
        {"to", 1, "T  window end, inclusive", NULL, {0}, 0},
        {"lookback", 1, "DUR  dual-stack look-back for other addresses (default 14d)", NULL, {0}, 0},
        {"tz", 1, "ZONE  zone of times given without an offset (default UTC)", NULL, {0}, 0},
    };
    ipl_args a = {opts, sizeof opts / sizeof opts[0], {0}, 0, 0};
    int rc = cli_args("track",
                      "ipledger track --ip A | --mac M | --host H | --user U (--at T | --from T1 --to T2) "
                      "[--format table|json|ndjson|csv]",
                      &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ipl_index ix = IPL_IX_IP;
    const char *val = NULL;
    ipl_out_format f;
    ipl_tz *tz = NULL;
    ipl_track_opts o = {0};
    if ((rc = pick_selector("track", &a, &ix, &val)) || (rc = cli_out_format("track", &a, &f)) ||
        (rc = load_tz("track", &a, &tz)))
        return rc;
    const char *at = ipl_arg(&a, "at"), *from = ipl_arg(&a, "from"), *to = ipl_arg(&a, "to");
    if (at ? (from || to) : !(from && to)) {
        ipl_tz_free(tz);
        return cli_fail("track", 2, "give --at T, or --from T1 and --to T2");
    }
    if (at)
        rc = cli_time("track", "at", at, tz, &o.from), o.to = o.from;
    else if (!(rc = cli_time("track", "from", from, tz, &o.from)))
        rc = cli_time("track", "to", to, tz, &o.to);
    if (!rc && ipl_arg(&a, "lookback")) {
        int64_t now = 0, back;
        char buf[64];
        snprintf(buf, sizeof buf, "-%s", ipl_arg(&a, "lookback"));
        ipl_diag d = {0};
        if (ipl_time_parse_relative(buf, strlen(buf), now, &back, &d))
            rc = cli_fail("track", 2, "--lookback: '%s' is not a duration like 14d or 36h",
                          ipl_arg(&a, "lookback"));
        o.lookback = -back;
    }
    ipl_tz_free(tz);
    if (rc)
        return rc;
    if (o.from > o.to)
        return cli_fail("track", 2, "--from is after --to");
    ipl_store *st;
    if ((rc = cli_open_store("track", &a, IPL_STORE_RDONLY, &st)))
        return rc;
    ipl_diag d = {0};
    ipl_rtxn *t = NULL;
    trackout to_ = {0};
    ipl_arena qa;
    ipl_arena_init(&to_.arena, (size_t)1 << 22);
    ipl_arena_init(&qa, (size_t)1 << 26);
    int err = ipl_rtxn_begin(st, &t, &d);
    if (!err && (err = ipl_out_new(&to_.o, f, ipl_track_cols, ipl_track_ncols, cli_write_stdout, NULL)))
        ipl_diag_set(&d, err, "out of memory");
    if (!err)
        err = ipl_track(t, ix, val, &o, track_row, &to_, &qa, &d);
    if (to_.o && (rc = ipl_out_end(to_.o)) && !err)
        err = ipl_diag_set(&d, rc, "cannot write the results");
    ipl_out_free(to_.o);
    ipl_arena_release(&to_.arena);
    ipl_arena_release(&qa);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    return err ? cli_fail("track", err == IPL_EINVAL ? 2 : 1, "%s", d.msg) : 0;
}
