/* tools/bench/data.c — the data set the benchmark runs on: the generator (ipledger-gen) run,
 * DIR/sources.tsv (relpath \t format \t tz \t server) and DIR/probes.tsv (ip \t at \t
 * expected-mac \t expected-host), and the file-system chores (disk usage as du counts it, warm
 * page cache, removing temp dirs). Lines starting with '#' and a header row are skipped, and so
 * are sources of a format no registered parser reads (counted, named in the report). */
#include "tools/bench/bench.h"
#include "engine/addr.h"
#include "engine/err.h"
#include "parsers/parser.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TSV_FIELDS 8

/* Splits `line` (NUL-terminated, newline removed) at tabs, in place. Returns the field count. */
static size_t split_tabs(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Calls fn on every regular file under `path` (or on `path` itself), in name order. */
typedef int (*walk_fn)(void *ctx, const char *path, const struct stat *sb);

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *path, walk_fn fn, void *ctx, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode))
        return S_ISREG(sb.st_mode) ? fn(ctx, path, &sb) : 0;
    if (depth > 64)
        return -1;
    DIR *dh = opendir(path);
    if (!dh)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(dh);
    if (!rc)
        qsort(names, n, sizeof *names, cmpstr);
    for (size_t i = 0; i < n && !rc; i++) {
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", path, names[i]) >= sizeof p)
            continue;
        rc = walk(p, fn, ctx, depth + 1);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int add_size(void *ctx, const char *path, const struct stat *sb)
{
    (void)path;
    *(uint64_t *)ctx += (uint64_t)sb->st_size;
    return 0;
}

static int add_blocks(void *ctx, const char *path, const struct stat *sb)
{
    (void)path;
    *(uint64_t *)ctx += (uint64_t)sb->st_blocks * 512;
    return 0;
}

uint64_t bench_du(const char *dir)
{
    uint64_t n = 0;
    walk(dir, add_blocks, &n, 0);
    return n;
}

static int read_file(void *ctx, const char *path, const struct stat *sb)
{
    (void)sb;
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        *(uint64_t *)ctx += (uint64_t)r;
    close(fd);
    return 0;
}

uint64_t bench_data_warm(const bench_data *ds)
{
    uint64_t n = 0;
    for (size_t i = 0; i < ds->nsrc; i++)
        walk(ds->src[i].path, read_file, &n, 0);
    return n;
}

/* Appends a copy of `s` reading `path` (bytes: its size) to ds. */
static int add_source(bench_data *ds, size_t *alloc, const bench_source *s, const char *path,
                      uint64_t bytes)
{
    if (ds->nsrc == *alloc) {
        size_t na = *alloc ? *alloc * 2 : 64;
        bench_source *ns = realloc(ds->src, na * sizeof *ns);
        if (!ns)
            return -1;
        ds->src = ns;
        *alloc = na;
    }
    bench_source *c = &ds->src[ds->nsrc];
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    c->format = strdup(s->format);
    c->tzname = strdup(s->tzname);
    c->server = s->server ? strdup(s->server) : NULL;
    c->parser = s->parser;
    c->tz = s->tz;
    c->bytes = bytes;
    ds->nsrc++;
    ds->bytes += bytes;
    return c->path && c->format && c->tzname && (!s->server || c->server) ? 0 : -1;
}

typedef struct entries {
    char **v;
    size_t n, cap;
} entries;

static int list_entry(void *ctx, const char *path, const struct stat *sb)
{
    (void)sb;
    entries *e = ctx;
    if (e->n == e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 64;
        char **nv = realloc(e->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        e->v = nv;
        e->cap = nc;
    }
    return (e->v[e->n] = strdup(path)) ? (e->n++, 0) : -1;
}

int bench_data_half(const bench_data *ds, bench_data *half, char *err, size_t errlen)
{
    size_t alloc = 0;
    uint64_t rows = 0;
    memset(half, 0, sizeof *half);
    half->dir = strdup(ds->dir);
    if (!half->dir)
        goto nomem;
    for (size_t i = 0; i < ds->nsrc; i++) {
        const bench_source *s = &ds->src[i];
        struct stat sb;
        if (stat(s->path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            /* a file: whole rows, the first half of the data set's bytes */
            if (rows + s->bytes / 2 <= ds->bytes / 2 && add_source(half, &alloc, s, s->path, s->bytes))
                goto nomem;
            rows += s->bytes;
            continue;
        }
        /* a directory (a server's days): its first entries, half of its bytes */
        DIR *dh = opendir(s->path);
        entries e = {0};
        struct dirent *de;
        int bad = !dh;
        while (dh && (de = readdir(dh)))
            if (de->d_name[0] != '.') {
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s/%s", s->path, de->d_name);
                bad |= list_entry(&e, p, NULL) != 0;
            }
        if (dh)
            closedir(dh);
        if (!bad)
            qsort(e.v, e.n, sizeof *e.v, cmpstr);
        uint64_t sum = 0;
        for (size_t k = 0; k < e.n && !bad; k++) {
            uint64_t b = 0;
            walk(e.v[k], add_size, &b, 0);
            if (sum + b / 2 > s->bytes / 2)
                break;
            sum += b;
            bad |= add_source(half, &alloc, s, e.v[k], b) != 0;
        }
        for (size_t k = 0; k < e.n; k++)
            free(e.v[k]);
        free(e.v);
        if (bad)
            goto nomem;
    }
    if (half->nsrc)
        return 0;
    snprintf(err, errlen, "the data set is too small to halve");
    return -1;
nomem:
    snprintf(err, errlen, "cannot list the first half of the data set: %s", strerror(errno));
    return -1;
}

static void source_free(bench_source *s)
{
    free(s->path);
    free(s->format);
    free(s->tzname);
    free(s->server);
}

void bench_data_release(bench_data *ds)
{
    for (size_t i = 0; i < ds->nsrc; i++)
        source_free(&ds->src[i]);
    for (size_t i = 0; i < ds->nzones; i++)
        ipl_tz_free(ds->zones[i]);
    free(ds->zones);
    free(ds->src);
    free(ds->dir);
    memset(ds, 0, sizeof *ds);
}

int bench_data_open(bench_data *ds, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = -1;
    FILE *f = NULL;
    memset(ds, 0, sizeof *ds);
    if (!(ds->dir = strdup(dir))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(path, sizeof path, "%s/sources.tsv", dir);
    if (!(f = fopen(path, "r"))) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    size_t alloc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        chomp(line);
        if (!line[0] || line[0] == '#')
            continue;
        char *fld[TSV_FIELDS] = {0};
        size_t nf = split_tabs(line, fld, TSV_FIELDS);
        if (nf < 3) {
            snprintf(err, errlen, "%s:%zu: expected relpath, format, tz[, server]", path, lineno);
            goto out;
        }
        if (strcmp(fld[1], "format") == 0)
            continue; /* a header row */
        const ipl_parser *p = ipl_parser_find(fld[1]);
        if (!p) { /* a format this build has no parser for: said in the report */
            ds->skipped++;
            size_t used = strlen(ds->skipped_formats);
            if (!strstr(ds->skipped_formats, fld[1]) &&
                used + strlen(fld[1]) + 3 < sizeof ds->skipped_formats)
                snprintf(ds->skipped_formats + used, sizeof ds->skipped_formats - used, "%s%s",
                         used ? ", " : "", fld[1]);
            continue;
        }
        if (ds->nsrc == alloc) {
            size_t na = alloc ? alloc * 2 : 256;
            bench_source *ns = realloc(ds->src, na * sizeof *ns);
            if (!ns) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            ds->src = ns;
            alloc = na;
        }
        bench_source *s = &ds->src[ds->nsrc];
        memset(s, 0, sizeof *s);
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", dir, fld[0]);
        s->path = strdup(full);
        s->format = strdup(fld[1]);
        s->tzname = strdup(fld[2][0] ? fld[2] : "UTC");
        const char *server = nf > 3 && fld[3][0] ? fld[3] : NULL;
        s->server = server ? strdup(server) : NULL;
        s->parser = p;
        ds->nsrc++;
        if (!s->path || !s->format || !s->tzname || (server && !s->server)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (walk(s->path, add_size, &s->bytes, 0) != 0) {
            snprintf(err, errlen, "%s:%zu: cannot read '%s': %s", path, lineno, s->path,
                     strerror(errno));
            goto out;
        }
        ds->bytes += s->bytes;
    }
    if (!ds->nsrc) {
        snprintf(err, errlen, "'%s' lists no sources", path);
        goto out;
    }
    rc = 0;
out:
    free(line);
    if (f)
        fclose(f);
    return rc;
}

int bench_data_load_zones(bench_data *ds, char *err, size_t errlen)
{
    for (size_t i = 0; i < ds->nsrc; i++) {
        bench_source *s = &ds->src[i];
        for (size_t z = 0; z < ds->nzones && !s->tz; z++)
            if (strcmp(ipl_tz_name(ds->zones[z]), s->tzname) == 0)
                s->tz = ds->zones[z];
        if (s->tz)
            continue;
        ipl_tz **nz = realloc(ds->zones, (ds->nzones + 1) * sizeof *nz);
        if (!nz) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        ds->zones = nz;
        ipl_diag d = {0};
        if (ipl_tz_load(&ds->zones[ds->nzones], s->tzname, &d)) {
            snprintf(err, errlen, "source '%s': %s", s->path, d.msg);
            return -1;
        }
        s->tz = ds->zones[ds->nzones++];
    }
    return 0;
}

/* The expected holder: canonical MAC, or "" for nobody ("", "-", "nobody", "none"). */
static int expected_mac(const char *s, char out[13])
{
    out[0] = '\0';
    if (!*s || strcmp(s, "-") == 0 || strcmp(s, "nobody") == 0 || strcmp(s, "none") == 0)
        return 0;
    return ipl_mac_canon(s, strlen(s), out) == IPL_OK ? 0 : -1;
}

int bench_probes_load(const char *dir, bench_probe **out, size_t *n, char *err,
                      size_t errlen)
{
    char path[PATH_MAX];
    char *line = NULL;
    size_t cap = 0, lineno = 0, alloc = 0;
    int rc = -1;
    bench_probe *v = NULL;
    *out = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/probes.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        chomp(line);
        if (!line[0] || line[0] == '#')
            continue;
        char *fld[TSV_FIELDS] = {0};
        size_t nf = split_tabs(line, fld, TSV_FIELDS);
        bench_probe p;
        memset(&p, 0, sizeof p);
        if (ipl_ip_parse(fld[0], strlen(fld[0]), p.ip) != IPL_OK) {
            if (lineno == 1)
                continue; /* a header row */
            snprintf(err, errlen, "%s:%zu: '%s' is not an IP address", path, lineno, fld[0]);
            goto out;
        }
        ipl_diag d = {0};
        if (nf < 3 || ipl_time_parse(fld[1], strlen(fld[1]), NULL, &p.at, &d) != IPL_OK ||
            expected_mac(fld[2], p.mac) != 0) {
            snprintf(err, errlen, "%s:%zu: expected ip, time, mac (or -), host%s%s", path, lineno,
                     d.msg[0] ? ": " : "", d.msg);
            goto out;
        }
        if (nf >= 5 && strcmp(fld[4], "-") != 0)
            snprintf(p.user, sizeof p.user, "%s", fld[4]);
        if (*n == alloc) {
            size_t na = alloc ? alloc * 2 : 1024;
            bench_probe *nv = realloc(v, na * sizeof *nv);
            if (!nv) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            v = nv;
            alloc = na;
        }
        v[(*n)++] = p;
    }
    if (!*n) {
        snprintf(err, errlen, "'%s' holds no probes", path);
        goto out;
    }
    *out = v;
    v = NULL;
    rc = 0;
out:
    free(v);
    free(line);
    fclose(f);
    return rc;
}

/* Runs argv[0] with argv; returns its exit status (-1 if it could not be run or was killed). */
static int run_gen(char *const argv[], char *err, size_t errlen)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(2, 1); /* keep the bench's stdout for its figures */
        execv(argv[0], argv);
        fprintf(stderr, "ipledger-bench: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "cannot wait for the generator: %s", strerror(errno));
            return -1;
        }
    }
    if (!WIFEXITED(status)) {
        snprintf(err, errlen, "the generator '%s' was killed by signal %d", argv[0],
                 WTERMSIG(status));
        return -1;
    }
    if (WEXITSTATUS(status))
        snprintf(err, errlen, "the generator '%s' failed (exit status %d)", argv[0],
                 WEXITSTATUS(status));
    return WEXITSTATUS(status);
}

int bench_run_gen(char *const argv[], char *err, size_t errlen)
{
    return run_gen(argv, err, errlen) ? -1 : 0;
}

int bench_generate(const char *gen, const char *dir, uint64_t seed, uint64_t events,
                   const char *mix, char *err, size_t errlen)
{
    char sseed[32], sev[32];
    snprintf(sseed, sizeof sseed, "%llu", (unsigned long long)seed);
    snprintf(sev, sizeof sev, "%llu", (unsigned long long)events);
    char *const argv[] = {(char *)gen, "--out", (char *)dir, "--seed", sseed, "--events", sev,
                          "--mix", (char *)(mix ? mix : "mswin"), NULL};
    int rc = run_gen(argv, err, errlen);
    if (rc == 2 && (!mix || strcmp(mix, "mswin") == 0)) {
        /* a generator without --mix (it writes Windows DHCP logs only): once more without it */
        fprintf(stderr, "bench: the generator refused --mix mswin: running it without\n");
        bench_rmtree(dir);
        char *const plain[] = {(char *)gen, "--out", (char *)dir, "--seed", sseed, "--events", sev,
                               NULL};
        rc = run_gen(plain, err, errlen);
    }
    return rc ? -1 : 0;
}

int bench_rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path);
    DIR *dh = opendir(path);
    if (!dh)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(dh))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", path, de->d_name) >= sizeof p) {
            rc = -1;
            continue;
        }
        if (bench_rmtree(p) != 0)
            rc = -1;
    }
    closedir(dh);
    return rmdir(path) == 0 ? rc : -1;
}
