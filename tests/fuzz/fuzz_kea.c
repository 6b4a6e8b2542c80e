/* tests/fuzz/fuzz_kea.c — libFuzzer target for parsers/kea.c: every entry point of the three Kea
 * parsers ("kea-csv", "kea-log", "kea-legal") and the syslog sub-parser "kea". The first byte picks
 * the parser (and, for kea-csv, whether a header line is fed first); the rest is split on '\n' and
 * every line goes to line() (each as an exact-size heap copy, so a read past its end is caught),
 * then finish(); pending() is asked after every line; probe sees the whole input. The emit callback
 * reads every field of every event. Time zone: Europe/Berlin when loadable (DST paths), else UTC.
 */
#include "tests/fuzz/fuzz_event.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_kea_csv;
extern const ipl_parser ipl_parser_kea_log;
extern const ipl_parser ipl_parser_kea_legal;
extern const ipl_syslog_sub ipl_syslog_sub_kea;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    fuzz_check_event(ev, 1);
    return IPL_OK;
}

static const ipl_tz *zone(void)
{
    static ipl_tz *tz;
    static int tried;
    if (!tried) {
        tried = 1;
        if (ipl_tz_load(&tz, "Europe/Berlin", NULL) != IPL_OK)
            tz = NULL;
    }
    return tz ? tz : ipl_tz_utc();
}

static void check_rc(int rc, const ipl_diag *d)
{
    if (rc != IPL_OK && (d->code != rc || d->msg[0] == '\0'))
        abort();                         /* every error carries its reason */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0];
    const char *s = (const char *)data + 1;
    size--;
    static const ipl_parser *const ps[3] = {&ipl_parser_kea_csv, &ipl_parser_kea_log,
                                            &ipl_parser_kea_legal};
    const ipl_parser *p = ps[sel % 4 == 3 ? 1 : sel % 4];
    int via_syslog = sel % 4 == 3;
    int score = p->probe(s, size);
    if (score < 0 || score > 100)
        abort();

    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 22);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = zone();
    ctx.server = (sel & 8) ? NULL : "fuzz";
    ctx.arena = &arena;
    ctx.now = (sel & 16) ? INT64_C(1714608000000000) : 0;
    void *state = p->state_size ? calloc(1, p->state_size) : NULL;
    if (p->state_size && !state)
        return 0;
    if (p->init)
        p->init(state, &ctx);
    ipl_diag d;
    if (p == &ipl_parser_kea_csv && (sel & 32)) {
        static const char h4[] = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"
                                 "fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id";
        static const char h6[] = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,"
                                 "lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,"
                                 "state,user_context,hwtype,hwaddr_source,pool_id";
        const char *h = (sel & 64) ? h6 : h4;
        ipl_diag_clear(&d);
        check_rc(p->line(state, &ctx, h, strlen(h), on_event, NULL, &d), &d);
    }
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        int rc;
        if (via_syslog) {
            ipl_syslog env = {
                .ts = INT64_C(1714544132000000), .pri = 30, .rfc = 3164,
                .host = "dhcp1", .host_len = 5, .tag = "kea-dhcp4", .tag_len = 9,
                .pid = "", .pid_len = 0, .msg = line, .msg_len = n,
            };
            rc = ipl_syslog_sub_kea.message(&ctx, &env, on_event, NULL, &d);
        } else {
            rc = p->line(state, &ctx, line, n, on_event, NULL, &d);
            if (p->pending)
                sink += (size_t)p->pending(state);
        }
        check_rc(rc, &d);
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    if (!via_syslog && p->finish) {
        ipl_diag_clear(&d);
        check_rc(p->finish(state, &ctx, on_event, NULL, &d), &d);
        if (p->pending && p->pending(state))
            abort();                     /* finish leaves nothing half read */
    }
    if (p->release)
        p->release(state);
    free(state);
    ipl_arena_release(&arena);
    return 0;
}
