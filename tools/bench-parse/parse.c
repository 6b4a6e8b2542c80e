/* tools/bench-parse/parse.c — ipledger-bench-parse: parse throughput per input format, one core
 * (issue 3's targets: >= 1,000,000 lines/s for CSV/syslog formats, >= 200,000 events/s for XML
 * and JSON events), with a peer measured in the same run on the same bytes.
 *
 *   ipledger-bench-parse --data DIR [--repeat N] [--format NAME]
 *
 * DIR is an `ipledger-gen` output (sources.tsv names each source's directory, format and zone).
 * Each format's files are read into memory once; the parser then runs over them as ingest runs it
 * (split on '\n', a trailing '\r' dropped, line() per line, finish() at the end of each file), with
 * an emit callback that only counts. Also measured: "winsec-xml (wevtutil)", the same Security
 * events re-rendered as wevtutil writes them (one <Events> document, pretty-printed: each element
 * on its own indented line), so an <Event> spans about 30 lines.
 *
 * Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), best of --repeat runs (default 3): the
 * figure is what one core does, whatever else the machine runs.
 *
 * The peer is what a generic log shipper does with the same input, on the same bytes:
 *   CSV and syslog lines: one PCRE2 (JIT) match per line with a pattern capturing every field
 *     (a grok-style pattern), no conversion of the captures;
 *   JSON lines: cJSON_Parse + cJSON_Delete of each line (a DOM, no field interpretation);
 *   XML events: a PCRE2 (JIT) loop capturing every <Data Name="...">value</Data> and the
 *     <System> fields of each event (regex extraction, no well-formedness checks).
 * "ratio" = ipledger's rate / the peer's. ipledger's parsers do strictly more (validation, time
 * zones, normalisation, typed events), so a ratio >= 1 means the extra work costs nothing.
 * Exit status 0 whether targets are met or not (a benchmark, not a test).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/arena.h"
#include "engine/err.h"
#include "engine/parser.h"
#include "engine/tz.h"
#include "parsers/parser.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILES   4096
#define MAX_FORMATS 64

typedef struct buf {
    char  *p;
    size_t n, cap;
} buf;

typedef struct fmt {
    char   name[64];
    char   label[64];
    char   tz[64];
    buf    files[MAX_FILES];
    size_t nfiles;
    uint64_t bytes;
} fmt;

static fmt formats[MAX_FORMATS];
static size_t nformats;

static int buf_put(buf *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

static int read_file(const char *path, buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ipledger-bench-parse: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    char tmp[1 << 16];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (buf_put(b, tmp, n)) {
            fclose(f);
            return -1;
        }
    fclose(f);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every regular file under path (sorted, recursively), appended to f */
static int load_path(fmt *f, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "ipledger-bench-parse: '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        if (f->nfiles == MAX_FILES) {
            fprintf(stderr, "ipledger-bench-parse: more than %d files of %s\n", MAX_FILES, f->name);
            return -1;
        }
        buf *b = &f->files[f->nfiles++];
        if (read_file(path, b))
            return -1;
        f->bytes += b->n;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    char *names[MAX_FILES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FILES)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        if (!rc)
            rc = load_path(f, p);
        free(names[i]);
    }
    return rc;
}

static fmt *fmt_get(const char *name, const char *label)
{
    for (size_t i = 0; i < nformats; i++)
        if (strcmp(formats[i].label, label) == 0)
            return &formats[i];
    if (nformats == MAX_FORMATS)
        return NULL;
    fmt *f = &formats[nformats++];
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->label, sizeof f->label, "%s", label);
    return f;
}

/* ---- wevtutil rendering: one <Events> document, every element on its own indented line ---- */
static int pretty_xml(const buf *in, buf *out)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>\n";
    if (buf_put(out, head, sizeof head - 1))
        return -1;
    const char *p = in->p, *end = in->p + in->n;
    int depth = 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        while (q < le) {
            /* one tag, plus the text that follows it up to the next tag */
            const char *gt = memchr(q, '>', (size_t)(le - q));
            if (*q != '<' || !gt)
                break;
            int closing = q[1] == '/', selfc = gt[-1] == '/';
            if (closing)
                depth--;
            const char *nx = memchr(gt + 1, '<', (size_t)(le - gt - 1));
            const char *stop = nx ? nx : le;
            int text_then_close = nx && nx + 1 < le && nx[1] == '/' && nx > gt + 1;
            if (text_then_close) {          /* <Data Name="x">value</Data> on one line */
                const char *gt2 = memchr(nx, '>', (size_t)(le - nx));
                stop = gt2 ? gt2 + 1 : le;
            }
            for (int i = 0; i < depth * 2; i++)
                if (buf_put(out, " ", 1))
                    return -1;
            if (buf_put(out, q, (size_t)(stop - q)) || buf_put(out, "\n", 1))
                return -1;
            if (!closing && !selfc && !text_then_close)
                depth++;
            q = stop;
        }
        p = nl ? nl + 1 : end;
        depth = 1;
    }
    return buf_put(out, "</Events>\n", 10);
}

/* ---- ipledger's parser over a format's files ---- */
static uint64_t n_events;

static int count_emit(void *ctx, const ipl_event *ev)
{
    (void)ctx;
    (void)ev;
    n_events++;
    return IPL_OK;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct result {
    uint64_t lines, events, errors;
    double   seconds;
} result;

static int run_ipledger(const fmt *f, const ipl_parser *p, const ipl_tz *tz, result *r)
{
    ipl_arena arena;
    ipl_arena_init(&arena, 1 << 22);
    ipl_parse_ctx ctx;
    memset(r, 0, sizeof *r);
    n_events = 0;
    double t0 = cpu_now();
    for (size_t i = 0; i < f->nfiles; i++) {
        memset(&ctx, 0, sizeof ctx);
        ctx.tz = tz;
        ctx.arena = &arena;
        ctx.now = INT64_C(1735689600000000);      /* 2025-01-01: year inference is fixed */
        ctx.year_hint = 2024;
        void *state = p->state_size ? calloc(1, p->state_size) : NULL;
        if (p->state_size && !state)
            return -1;
        if (p->init)
            p->init(state, &ctx);
        const char *s = f->files[i].p, *end = s + f->files[i].n;
        while (s < end) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t len = (size_t)((nl ? nl : end) - s);
            if (len && s[len - 1] == '\r')
                len--;
            ipl_diag d;
            ipl_diag_clear(&d);
            if (p->line(state, &ctx, s, len, count_emit, NULL, &d) != IPL_OK)
                r->errors++;
            ipl_arena_clear(&arena);
            r->lines++;
            s = nl ? nl + 1 : end;
        }
        if (p->finish) {
            ipl_diag d;
            ipl_diag_clear(&d);
            if (p->finish(state, &ctx, count_emit, NULL, &d) != IPL_OK)
                r->errors++;
        }
        if (p->release)
            p->release(state);
        free(state);
    }
    r->seconds = cpu_now() - t0;
    r->events = n_events;
    ipl_arena_release(&arena);
    return 0;
}

/* ---- the peer ---- */
typedef enum { PEER_REGEX_LINE, PEER_JSON, PEER_XML } peer_kind;

/* by the format's name, else by the first byte of its input */
static peer_kind peer_of(const fmt *f)
{
    if (strstr(f->name, "json"))
        return PEER_JSON;
    if (strstr(f->name, "xml"))
        return PEER_XML;
    if (f->nfiles && f->files[0].n && f->files[0].p[0] == '{')
        return PEER_JSON;
    if (f->nfiles && f->files[0].n && f->files[0].p[0] == '<' && f->files[0].n > 1 &&
        f->files[0].p[1] != '1' && (f->files[0].p[1] < '0' || f->files[0].p[1] > '9'))
        return PEER_XML;
    return PEER_REGEX_LINE;
}

/* a grok-style pattern per family: every field captured */
static const char *line_pattern(const char *format)
{
    if (strcmp(format, "mswin-dhcp") == 0 || strcmp(format, "kea-csv") == 0 ||
        strcmp(format, "nps-ias") == 0 || strcmp(format, "nps-odbc") == 0 ||
        strcmp(format, "dnsmasq-leases") == 0)
        /* a CSV / space-separated record: up to 20 fields */
        return "^([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)"
               "[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?"
               "([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)"
               "[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?([^,\\s]*)[,\\s]?"
               "([^,\\s]*)[,\\s]?(.*)$";
    if (strcmp(format, "kea-log") == 0)      /* Kea's own log: time, level, logger, message id */
        return "^(\\S+ \\S+) +(\\w+) +\\[([^\\]]+)\\] (\\w+) (\\S*) ?(\\S*) ?(\\S*) ?(\\S*) "
               "?(\\S*) ?(\\S*) ?(\\S*) ?(\\S*) ?(.*)$";
    if (strcmp(format, "freeradius-detail") == 0 || strcmp(format, "isc-leases") == 0)
        return "^\\s*([\\w-]+)\\s*=?\\s*\"?([^\";]*)\"?;?\\s*$";
    /* syslog: RFC 3164 or 5424 header, program, pid, then the message split on blanks */
    return "^(?:<(\\d+)>)?(?:1 )?(\\S+(?: +\\d+ [\\d:]+)?) (\\S+) ([^:\\[ ]+)(?:\\[(\\d+)\\])?:? "
           "(\\S+) ?(\\S*) ?(\\S*) ?(\\S*) ?(\\S*) ?(\\S*) ?(\\S*) ?(\\S*) ?(.*)$";
}

static int run_peer(const fmt *f, result *r)
{
    memset(r, 0, sizeof *r);
    peer_kind k = peer_of(f);
    pcre2_code *re = NULL, *re2 = NULL;
    pcre2_match_data *md = NULL;
    int ec;
    PCRE2_SIZE eo;
    if (k != PEER_JSON) {
        const char *pat = k == PEER_XML ? "<Data Name=\"([^\"]*)\">([^<]*)</Data>|"
                                          "<(EventID|Computer|EventRecordID)>([^<]*)<|"
                                          "SystemTime=\"([^\"]*)\""
                                        : line_pattern(f->name);
        re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
        if (!re)
            return -1;
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
        md = pcre2_match_data_create_from_pattern(re, NULL);
        if (k == PEER_XML) {             /* the end of an event, to count events */
            re2 = pcre2_compile((PCRE2_SPTR) "</Event>", PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
            pcre2_jit_compile(re2, PCRE2_JIT_COMPLETE);
        }
    }
    volatile size_t sink = 0;
    double t0 = cpu_now();
    for (size_t i = 0; i < f->nfiles; i++) {
        const char *s = f->files[i].p, *end = s + f->files[i].n;
        while (s < end) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t len = (size_t)((nl ? nl : end) - s);
            r->lines++;
            if (k == PEER_JSON) {
                cJSON *j = cJSON_ParseWithLength(s, len);
                if (j) {
                    r->events++;
                    sink += (size_t)cJSON_GetArraySize(j);
                    cJSON_Delete(j);
                }
            } else if (k == PEER_XML) {
                size_t off = 0;
                while (off < len && pcre2_jit_match(re, (PCRE2_SPTR)s, len, off, 0, md, NULL) > 0) {
                    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                    sink += ov[1] - ov[0];
                    off = ov[1] > off ? ov[1] : off + 1;
                }
                if (pcre2_jit_match(re2, (PCRE2_SPTR)s, len, 0, 0, md, NULL) > 0)
                    r->events++;
            } else if (pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) > 0) {
                r->events++;             /* lines the pattern matched */
                sink += pcre2_get_ovector_pointer(md)[1];
            }
            s = nl ? nl + 1 : end;
        }
    }
    r->seconds = cpu_now() - t0;
    (void)sink;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    pcre2_code_free(re2);
    return 0;
}

static const char *num(double v, char *b, size_t n)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            b[o++] = ',';
        b[o++] = raw[i];
    }
    b[o] = '\0';
    return b;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *only = NULL;
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: ipledger-bench-parse --data DIR [--repeat N] [--format NAME]\n"
                   "parse throughput per format on one core (CPU time, best of N), against a\n"
                   "regex/DOM peer on the same bytes; DIR is an ipledger-gen output\n");
            return 0;
        } else {
            fprintf(stderr, "ipledger-bench-parse: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!data || repeat < 1) {
        fprintf(stderr, "ipledger-bench-parse: --data DIR is required (see -h)\n");
        return 2;
    }
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/sources.tsv", data);
    FILE *src = fopen(path, "r");
    if (!src) {
        fprintf(stderr, "ipledger-bench-parse: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof line, src)) {
        char *dir = strtok(line, "\t\n"), *format = strtok(NULL, "\t\n"), *tz = strtok(NULL, "\t\n");
        if (!dir || !format || (only && strcmp(only, format) != 0 &&
                                !(strcmp(only, "winsec-xml (wevtutil)") == 0 &&
                                  strcmp(format, "winsec-xml") == 0)))
            continue;
        fmt *f = fmt_get(format, format);
        if (!f)
            return 1;
        if (tz && !f->tz[0])
            snprintf(f->tz, sizeof f->tz, "%s", tz);
        snprintf(path, sizeof path, "%s/%s", data, dir);
        if (load_path(f, path))
            return 1;
    }
    fclose(src);
    for (size_t i = 0, n = nformats; i < n; i++)
        if (strcmp(formats[i].name, "winsec-xml") == 0) {
            fmt *w = fmt_get("winsec-xml", "winsec-xml (wevtutil)");
            if (!w)
                return 1;
            snprintf(w->tz, sizeof w->tz, "%s", formats[i].tz);
            w->nfiles = formats[i].nfiles;
            for (size_t k = 0; k < formats[i].nfiles; k++) {
                if (pretty_xml(&formats[i].files[k], &w->files[k]))
                    return 1;
                w->bytes += w->files[k].n;
            }
        }
    printf("parse throughput, one core (thread CPU time, best of %d); peer: PCRE2 grok-style line\n"
           "patterns (CSV/syslog), cJSON DOM (JSON), PCRE2 field extraction (XML)\n\n", repeat);
    printf("%-22s %10s %10s %12s %12s %7s %12s %6s %7s  %s\n", "format", "lines", "events",
           "lines/s", "events/s", "target", "peer rate", "peer%", "ratio", "");
    for (size_t i = 0; i < nformats; i++) {
        fmt *f = &formats[i];
        if (only && strcmp(only, f->label) != 0 && strcmp(only, f->name) != 0)
            continue;
        const ipl_parser *p = ipl_parser_find(f->name);
        if (!p) {
            printf("%-22s (no parser in this build)\n", f->label);
            continue;
        }
        ipl_tz *tz = NULL;
        if (f->tz[0] && ipl_tz_load(&tz, f->tz, NULL) != IPL_OK)
            tz = NULL;
        result best = {0}, peer = {0};
        for (int k = 0; k < repeat; k++) {
            result r, q;
            if (run_ipledger(f, p, tz ? tz : ipl_tz_utc(), &r) || run_peer(f, &q))
                return 1;
            if (k == 0 || r.seconds < best.seconds)
                best = r;
            if (k == 0 || q.seconds < peer.seconds)
                peer = q;
        }
        int events_target = peer_of(f) != PEER_REGEX_LINE;
        double lrate = (double)best.lines / best.seconds, erate = (double)best.events / best.seconds;
        double rate = events_target ? erate : lrate, target = events_target ? 200000 : 1000000;
        double prate = (events_target ? (double)peer.events : (double)peer.lines) / peer.seconds;
        char b1[32], b2[32], b3[32], b4[32], b5[32];
        double pct = events_target ? (best.events ? 100.0 * (double)peer.events / (double)best.events : 0)
                                   : (peer.lines ? 100.0 * (double)peer.events / (double)peer.lines : 0);
        printf("%-22s %10s %10s %12s %12s %6s%s %12s %5.0f%% %6.2fx  %s%s\n", f->label,
               num((double)best.lines, b1, sizeof b1), num((double)best.events, b2, sizeof b2),
               num(lrate, b3, sizeof b3), num(erate, b4, sizeof b4),
               events_target ? "200k" : "1M", events_target ? "e" : "l",
               num(prate, b5, sizeof b5), pct, rate / prate, rate >= target ? "PASS" : "MISS",
               best.errors ? " (parse errors!)" : "");
        ipl_tz_free(tz);
    }
    printf("\ntarget column: l = lines/s, e = events/s; peer rate in the same unit; peer%% = lines\n"
           "the peer's pattern matched (line formats) or events it found (event formats)\n");
    return 0;
}
