/* tests/fuzz/fuzz_isc_dhcpd.c — libFuzzer target for parsers/isc_dhcpd.c. Every input goes, split
 * on '\n', through all three entries: the "isc-dhcpd" parser (envelope + sub), the sub on its own
 * (ipl_syslog_sub_isc_dhcpd.message after ipl_syslog_parse) and the "isc-leases" parser with one
 * state for the whole input (pending() checked after each line, finish() at the end, then the
 * state must be idle). Lines are copied to exact-size buffers so overreads are caught; the emit
 * callback reads every field of each event; both probes see the whole input.
 */
#include "tests/fuzz/fuzz_event.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"
#include "parsers/syslog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const ipl_parser ipl_parser_isc_dhcpd;
extern const ipl_parser ipl_parser_isc_leases;
extern const ipl_syslog_sub ipl_syslog_sub_isc_dhcpd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    if (!ev->has_ip && ev->kind != IPL_K_LEASE_REQUEST && ev->kind != IPL_K_LEASE_EXHAUSTED &&
        ev->kind != IPL_K_LEASE_RELEASE && ev->kind != IPL_K_LEASE_DECLINE &&
        ev->kind != IPL_K_LEASE_INFORM)
        abort();                                         /* bindings always carry the address */
    fuzz_check_event(ev, 1);
    return IPL_OK;
}

static void check_rc(int rc, const ipl_diag *d)
{
    if (rc != IPL_OK && (d->code != rc || d->msg[0] == '\0'))
        abort();                                         /* every error carries its reason */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipl_parser *sys = &ipl_parser_isc_dhcpd, *lf = &ipl_parser_isc_leases;
    const char *s = (const char *)data;
    int sc1 = sys->probe(s, size), sc2 = lf->probe(s, size);
    if (sc1 < 0 || sc1 > 100 || sc2 < 0 || sc2 > 100)
        abort();

    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = ipl_tz_utc();
    ctx.server = size && (data[0] & 1) ? "fuzz" : NULL;
    ctx.arena = &arena;
    ctx.now = INT64_C(1717243200000000);
    ipl_parse_ctx ctx2 = ctx;
    void *st = calloc(1, lf->state_size);
    if (!st)
        goto out;
    ipl_diag d;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);

        ipl_diag_clear(&d);
        check_rc(sys->line(NULL, &ctx, line, n, on_event, NULL, &d), &d);
        ipl_arena_clear(&arena);

        ipl_syslog env;
        ipl_diag_clear(&d);
        if (ipl_syslog_parse(&ctx2, line, n, &env, &d) == IPL_OK) {
            ipl_diag_clear(&d);
            check_rc(ipl_syslog_sub_isc_dhcpd.message(&ctx2, &env, on_event, NULL, &d), &d);
        }
        ipl_arena_clear(&arena);

        ipl_diag_clear(&d);
        check_rc(lf->line(st, &ctx, line, n, on_event, NULL, &d), &d);
        sink += (size_t)lf->pending(st);
        ipl_arena_clear(&arena);
        free(line);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_diag_clear(&d);
    check_rc(lf->finish(st, &ctx, on_event, NULL, &d), &d);
    if (lf->pending(st))
        abort();                                         /* finish leaves the state idle */
out:
    free(st);
    ipl_arena_release(&arena);
    return 0;
}
