/* tools/cli/cli_geoip.c — opening the --geoip-db files for ingest and serve, and the one summary
 * line. A file that cannot be opened is a warning, never a failure: ingest goes on without it
 * (docs/design/geoip.md). */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/geoip.h"

_Static_assert(IPL_GEOIP_CONF_MAX == IPL_GEOIP_DB_MAX, "serve's geoip_db list holds one handle's files");

struct ipl_geoip *cli_geoip_open(const char *const *files, size_t n, void (*warn)(void *, const char *),
                                 void *ctx)
{
    ipl_geoip *g = NULL;
    ipl_diag d = {0};
    if (!n)
        return NULL;
    if (ipl_geoip_new(&g, 0, &d)) {
        warn(ctx, "GeoIP enrichment is off: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (ipl_geoip_add(g, files[i], &d) == IPL_OK)
            continue;
        char msg[IPL_DIAG_MAX + 64];
        snprintf(msg, sizeof msg, "%s; going on without it", d.msg);
        warn(ctx, msg);
    }
    if (!ipl_geoip_count(g)) {
        warn(ctx, "GeoIP enrichment is off: no database could be opened");
        ipl_geoip_free(g);
        return NULL;
    }
    return g;
}

void cli_geoip_summary(FILE *f, const struct ipl_geoip *g, size_t requested)
{
    if (!requested)
        return;
    if (!g) {
        fprintf(f, "geoip: enrichment off (no database could be opened)\n");
        return;
    }
    const ipl_geoip_stats *s = ipl_geoip_stats_get(g);
    char b1[32], b2[32], b3[32];
    fprintf(f, "geoip: %s events enriched (%s public client addresses looked up, %s from the cache), "
               "%zu database(s)%s\n",
            cli_num(s->enriched, b1, sizeof b1), cli_num(s->lookups, b2, sizeof b2),
            cli_num(s->cache_hits, b3, sizeof b3), ipl_geoip_count(g),
            s->dropped ? "; a database was dropped (see the warning)" : "");
}
