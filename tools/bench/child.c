/* tools/bench/child.c — measuring: the clock, latency percentiles, and jobs in a forked child.
 *
 * A job's own figures come back through a pipe, its CPU time and peak RSS from wait4()
 * (ru_maxrss), so that nothing the parent holds (the probes, an open store, SQLite's page cache)
 * counts against the job. While it runs, the parent samples /proc/PID/status every 20 ms for the
 * split of RSS into anonymous memory (what the process allocated) and file pages (mapped pages of
 * the page cache, e.g. LMDB's map): ru_maxrss counts both. The child reports the bytes it caused
 * to be written to storage (/proc/self/io write_bytes) just before it exits. */
#include "tools/bench/bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* write_bytes of /proc/self/io: what this process caused to be written to storage. */
static uint64_t self_write_bytes(void)
{
    char line[128];
    uint64_t v = 0;
    FILE *f = fopen("/proc/self/io", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "write_bytes:", 12) == 0)
            v = strtoull(line + 12, NULL, 10);
    fclose(f);
    return v;
}

/* Raises *anon and *file to the child's current RssAnon and RssFile (KiB). */
static void sample_rss(pid_t pid, uint64_t *anon, uint64_t *file)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        uint64_t *dst = strncmp(line, "RssAnon:", 8) == 0   ? anon
                        : strncmp(line, "RssFile:", 8) == 0 ? file
                                                            : NULL;
        if (!dst)
            continue;
        uint64_t v = strtoull(line + 8, NULL, 10);
        if (v > *dst)
            *dst = v;
    }
    fclose(f);
}

int bench_run_child(bench_job_fn fn, void *ctx, bench_result *r)
{
    int fds[2];
    memset(r, 0, sizeof *r);
    if (pipe(fds) != 0) {
        snprintf(r->msg, sizeof r->msg, "cannot create a pipe: %s", strerror(errno));
        return r->err = -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->msg, sizeof r->msg, "cannot fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return r->err = -1;
    }
    if (pid == 0) {
        close(fds[0]);
        bench_result mine;
        memset(&mine, 0, sizeof mine);
        fn(ctx, &mine);
        mine.io_write_bytes = self_write_bytes();
        int rc = write_all(fds[1], &mine, sizeof mine);
        close(fds[1]);
        _exit(rc ? 1 : 0);
    }
    close(fds[1]);
    int status;
    struct rusage ru;
    uint64_t anon = 0, file = 0;
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            snprintf(r->msg, sizeof r->msg, "cannot wait for the job: %s", strerror(errno));
            close(fds[0]);
            return r->err = -1;
        }
        sample_rss(pid, &anon, &file);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* the child has exited: its result is in the pipe (smaller than the pipe's buffer) */
    size_t got = read_all(fds[0], r, sizeof *r);
    close(fds[0]);
    r->peak_anon_kib = anon;
    r->peak_file_kib = file;
    r->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    r->sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    r->maxrss_kib = (uint64_t)ru.ru_maxrss;    /* KiB on Linux */
    if (got != sizeof *r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            snprintf(r->msg, sizeof r->msg, "the job was killed by signal %d", WTERMSIG(status));
        else if (got != sizeof *r)
            snprintf(r->msg, sizeof r->msg, "the job ended without a result (exit status %d)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return r->err = -1;
    }
    return r->err ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void bench_lat_summary(double *us, size_t n, bench_lat *lat)
{
    double sum = 0;
    lat->lookups = n;
    if (!n)
        return;
    qsort(us, n, sizeof *us, cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += us[i];
    size_t i50 = (n * 50 + 99) / 100, i99 = (n * 99 + 99) / 100; /* nearest rank */
    lat->p50_us = us[i50 ? i50 - 1 : 0];
    lat->p99_us = us[i99 ? i99 - 1 : 0];
    lat->max_us = us[n - 1];
    lat->mean_us = sum / (double)n;
}
