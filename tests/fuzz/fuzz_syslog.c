/* tests/fuzz/fuzz_syslog.c — libFuzzer target for parsers/syslog.c: the input is split on '\n' and
 * every line goes to ipl_syslog_parse (zone Europe/Berlin when the system has it, so DST gaps and
 * overlaps are exercised; the first byte picks year_hint/now/last_ts variants); every part of the
 * envelope is read back and checked to lie inside the line; ipl_syslog_probe_envelope sees the
 * whole input.
 */
#include "engine/err.h"
#include "parsers/syslog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void inside(const char *line, size_t n, const char *p, size_t len)
{
    if (len && (p < line || p + len > line + n))
        abort();
    for (size_t i = 0; i < len; i++)
        sink += (unsigned char)p[i];
}

static const ipl_tz *zone(void)
{
    static const ipl_tz *tz;
    if (!tz) {
        ipl_tz *t = NULL;
        tz = ipl_tz_load(&t, "Europe/Berlin", NULL) == IPL_OK ? t : ipl_tz_utc();
    }
    return tz;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int pr = ipl_syslog_probe_envelope(s, size);
    if (pr != 0 && pr != 1)
        abort();
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 20);
    ipl_parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tz = zone();
    ctx.arena = &arena;
    ctx.now = INT64_C(1717243200000000);                 /* 2024-06-01T12:00:00Z */
    if (size) {
        switch (data[0] & 3) {
        case 1: ctx.year_hint = 1 + data[0]; break;      /* odd years, Feb 29 refused */
        case 2: ctx.last_ts = INT64_MIN; break;
        case 3: ctx.now = 0; break;
        }
    }
    ipl_diag d;
    for (size_t pos = 0; pos <= size;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);                  /* exactly the line: overreads are caught */
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        ipl_syslog env;
        int64_t before = ctx.last_ts;
        int rc = ipl_syslog_parse(&ctx, line, n, &env, &d);
        if (rc != IPL_OK) {
            if (d.code != rc || d.msg[0] == '\0' || ctx.last_ts != before)
                abort();                                 /* a reason; a refused line moves nothing */
        } else {
            inside(line, n, env.host, env.host_len);
            inside(line, n, env.tag, env.tag_len);
            inside(line, n, env.pid, env.pid_len);
            inside(line, n, env.msg, env.msg_len);
            if (env.pri < -1 || env.pri > 191 || (env.rfc != 3164 && env.rfc != 5424))
                abort();
            sink += (size_t)env.ts;
        }
        free(line);
        ipl_arena_clear(&arena);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_arena_release(&arena);
    return 0;
}
