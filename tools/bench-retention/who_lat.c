/* tools/bench-retention/who_lat.c — in-process `who --ip --at` latency for tools/bench-retention.sh:
 * each lookup in its own read transaction (as the CLI and the server do), timed one by one.
 *   who_lat STORE PROBES N [PID]   PROBES: "ip<TAB>time" lines; N lookups (cycling through the
 *                                  probes); with PID, stops as soon as that process is gone.
 * Prints: lookups p50_us p99_us p999_us. Built by the script against the build's libraries. */
#include "engine/addr.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "queries/lookup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    ipl_store *st;
    ipl_diag d = {0};
    if (ipl_store_open(&st, argv[1], IPL_STORE_RDONLY, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f)
        return 1;
    static uint8_t ips[100000][16];
    static int64_t ats[100000];
    size_t np = 0, n = strtoul(argv[3], NULL, 10);
    long pid = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
    char line[256];
    while (np < 100000 && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        char *at = tab + 1;
        at[strcspn(at, "\r\n")] = '\0';
        if (ipl_ip_parse(line, strlen(line), ips[np]) || ipl_time_parse(at, strlen(at), NULL, &ats[np], NULL))
            continue;
        np++;
    }
    fclose(f);
    double *lat = malloc(n * sizeof *lat);
    size_t k = 0;
    ipl_arena a;
    ipl_arena_init(&a, 1 << 20);
    for (; k < n && np; k++) {
        if (pid && k % 64 == 0 && kill((pid_t)pid, 0) != 0)
            break;
        struct timespec t0, t1;
        ipl_rtxn *t;
        ipl_who w;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (ipl_rtxn_begin(st, &t, &d) || ipl_who_at(t, ips[k % np], ats[k % np], &a, &w, &d)) {
            fprintf(stderr, "%s\n", d.msg);
            return 1;
        }
        ipl_rtxn_end(t);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ipl_arena_clear(&a);
        lat[k] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    }
    qsort(lat, k, sizeof *lat, cmp);
    printf("%zu %.1f %.1f %.1f\n", k, k ? lat[k / 2] : 0, k ? lat[k * 99 / 100] : 0, k ? lat[k * 999 / 1000] : 0);
    ipl_arena_release(&a);
    ipl_store_close(st);
    free(lat);
    return 0;
}
