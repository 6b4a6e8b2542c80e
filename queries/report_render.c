/* queries/report_render.c — a run report (report_int.h) as one self-contained HTML file, as CSV or
 * as JSON, written through an ipl_write_fn (this library never opens files).
 *
 * HTML: inline CSS (with @media print), charts drawn here as inline SVG (bars; time-series lines
 * with missing buckets drawn as zero and listed as gaps), tables capped at html_rows rows with a
 * line saying how many more there are; no script, no external reference; every value escaped.
 * CSV (RFC 4180, CRLF): a metadata block, then one block per section that ran; each block has
 * its own header record and every record starts with the section (its number); blocks are
 * separated by an empty line. JSON: one object with everything, every row. */
#include "queries/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/err.h"
#include "engine/tz.h"

typedef struct wr {
    ipl_write_fn w;
    void        *ctx;
    int          err;
} wr;

static void put(wr *o, const char *s, size_t n)
{
    if (!o->err && n && o->w(o->ctx, s, n) != (int)n)
        o->err = IPL_EIO;
}

static void puts_(wr *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(wr *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(wr *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void esc(wr *o, const char *s)
{
    const char *run = s;
    for (; s && *s; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: continue;
        }
        put(o, run, (size_t)(s - run));
        puts_(o, e);
        run = s + 1;
    }
    if (s)
        put(o, run, (size_t)(s - run));
}

/* A section's note: text with `code` spans. */
static void esc_note(wr *o, const char *s)
{
    int code = 0;
    char part[512];
    while (s && *s) {
        const char *e = strchr(s, '`');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), s);
        esc(o, part);
        if (!e)
            break;
        puts_(o, code ? "</code>" : "<code>");
        code = !code;
        s = e + 1;
    }
    if (code)
        puts_(o, "</code>");
}

int ipl_report_html_escape(const char *s, ipl_write_fn w, void *wctx)
{
    wr o = {w, wctx, 0};
    esc(&o, s);
    return o.err;
}

static void csv(wr *o, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    int q = n && (s[0] == ' ' || s[n - 1] == ' ');
    q = q || strpbrk(s, ",\"\r\n") != NULL;
    if (!q) {
        put(o, s, n);
        return;
    }
    puts_(o, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            puts_(o, "\"");
        put(o, p, 1);
    }
    puts_(o, "\"");
}

int ipl_report_csv_field(const char *s, ipl_write_fn w, void *wctx)
{
    wr o = {w, wctx, 0};
    csv(&o, s);
    return o.err;
}

static void json_str(wr *o, const char *s)
{
    if (!s) {
        puts_(o, "null");
        return;
    }
    char small[512];
    size_t n = strlen(s), need = ipl_json_escape(s, n, small, sizeof small);
    puts_(o, "\"");
    if (need < sizeof small) {
        put(o, small, need);
    } else {
        char *big = malloc(need + 1);
        if (!big) {
            o->err = IPL_ENOMEM;
            return;
        }
        ipl_json_escape(s, n, big, need + 1);
        put(o, big, need);
        free(big);
    }
    puts_(o, "\"");
}

static int is_number(const char *s)
{
    if (!s || !*s || strlen(s) > 30)
        return 0;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v) && s[0] != '+' && s[0] != '.' &&
           !(s[0] == '0' && s[1] && s[1] != '.') && strchr(s, 'x') == NULL &&
           strchr(s, 'X') == NULL && strchr(s, 'n') == NULL && strchr(s, 'N') == NULL;
}

static void fmt_time(int64_t us, char *buf, size_t n)
{
    ipl_time_format(us, buf, n);
}

/* The shell word for v: as is when it is plain, else in single quotes. */
static void shell_word(wr *o, const char *v)
{
    int plain = *v != '\0';
    for (const char *p = v; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+=,", *p))
            plain = 0;
    if (plain) {
        puts_(o, v);
        return;
    }
    puts_(o, "'");
    for (const char *p = v; *p; p++) {
        if (*p == '\'')
            puts_(o, "'\\''");
        else
            put(o, p, 1);
    }
    puts_(o, "'");
}

/* The command that rebuilds this report (as text: written through esc() in HTML). */
static void regen_cmd(const ipl_report *r, wr *o)
{
    char now[IPL_TIME_BUF];
    fmt_time(r->now, now, sizeof now);
    putf(o, "ipledger report %s --at-seq %llu --now %s", r->def->name,
         (unsigned long long)r->last_seq, now);
    static const char *const direct[] = {"from", "to", "ip", "mac", "host", "user"};
    for (size_t i = 0; i < r->nparams; i++) {
        size_t k = 0;
        while (k < 6 && strcmp(direct[k], r->pnames[i]) != 0)
            k++;
        if (k < 6) {
            putf(o, " --%s ", direct[k]);
            shell_word(o, r->pvals[i]);
            continue;
        }
        char kv[600];
        puts_(o, " --param ");
        snprintf(kv, sizeof kv, "%s=%s", r->pnames[i], r->pvals[i]);
        shell_word(o, kv);
    }
    if (r->where) {
        puts_(o, " --where ");
        shell_word(o, r->where);
    }
    if (r->tz_name) {
        puts_(o, " --tz ");
        shell_word(o, r->tz_name);
    }
}

/* ---- HTML ------------------------------------------------------------------------------------ */

static const char *const css =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:24px auto;"
    "max-width:1100px;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ccd;"
    "padding-bottom:3px}"
    "table{border-collapse:collapse;margin:8px 0;font-size:12.5px}"
    "th,td{border:1px solid #d5d9e2;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.t{white-space:nowrap}.tw{overflow-x:auto}"
    "table.meta th{width:170px}code,pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}"
    "pre{background:#f5f6f9;border:1px solid #e1e4ea;padding:6px 8px;white-space:pre-wrap;"
    "word-break:break-all}"
    ".note{color:#4a5263;margin:2px 0 6px}.more{color:#8a4b00;font-weight:600}"
    ".figs{display:flex;flex-wrap:wrap;gap:12px}.fig{border:1px solid #d5d9e2;border-radius:6px;"
    "padding:8px 14px;min-width:120px}.fig b{display:block;font-size:26px}"
    ".fig span{color:#4a5263}svg{display:block;margin:6px 0}svg text{font-size:11px;"
    "fill:#1d2330}"
    "nav ol{columns:2;font-size:13px}.gaps{font-size:12px;color:#4a5263}"
    "@media print{body{margin:0;max-width:none;font-size:11px}nav{display:none}"
    "section{break-inside:avoid-page}h2{break-after:avoid}thead{display:table-header-group}"
    "tr{break-inside:avoid}pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}"
    ".tw{overflow:visible}table{font-size:8.5px}td,th{padding:1px 3px}td.t{white-space:normal}"
    "td{word-break:break-word}}";

static const char *const palette[IPL_REPORT_CHART_SERIES] = {
    "#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00"};

static const char *cell(const rpt_sec *s, size_t row, size_t col)
{
    return s->cells[row * s->ncols + col];
}

static int is_num_col(const rpt_sec *s, size_t c)
{
    return s->cols[c].type == IPL_COL_NUM;
}

/* A timestamp as the query language writes them (2024-05-06T07:58:02[.ffffff]Z): kept on one
 * line on screen. */
static int is_time_text(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    return n >= 20 && n <= 27 && v[4] == '-' && v[10] == 'T' && v[n - 1] == 'Z';
}

static void html_table(const ipl_report *r, const rpt_sec *s, wr *o)
{
    size_t shown = s->nrows < r->html_rows ? s->nrows : r->html_rows;
    if (s->nrows == 0) {
        puts_(o, "<p class=\"note\">No rows.</p>\n");
        return;
    }
    puts_(o, "<div class=\"tw\"><table><thead><tr>");
    for (size_t c = 0; c < s->ncols; c++) {
        puts_(o, "<th>");
        esc(o, s->cols[c].name);
        puts_(o, "</th>");
    }
    puts_(o, "</tr></thead><tbody>\n");
    for (size_t j = 0; j < shown && !o->err; j++) {
        puts_(o, "<tr>");
        for (size_t c = 0; c < s->ncols; c++) {
            const char *v = cell(s, j, c);
            puts_(o, is_num_col(s, c) ? "<td class=\"n\">" : is_time_text(v) ? "<td class=\"t\">" : "<td>");
            esc(o, v);
            puts_(o, "</td>");
        }
        puts_(o, "</tr>\n");
    }
    puts_(o, "</tbody></table></div>\n");
    if (shown < s->nrows)
        putf(o, "<p class=\"more\">%zu more row%s not shown here (%zu of %zu): the CSV and JSON "
             "formats of this report have every row.</p>\n", s->nrows - shown,
             s->nrows - shown == 1 ? "" : "s", shown, s->nrows);
}

static void html_figures(const rpt_sec *s, wr *o)
{
    if (s->nrows == 0) {
        puts_(o, "<p class=\"note\">No rows.</p>\n");
        return;
    }
    puts_(o, "<div class=\"figs\">");
    for (size_t c = 0; c < s->ncols; c++) {
        puts_(o, "<div class=\"fig\"><b>");
        esc(o, cell(s, 0, c) ? cell(s, 0, c) : "-");
        puts_(o, "</b><span>");
        esc(o, s->cols[c].name);
        puts_(o, "</span></div>");
    }
    puts_(o, "</div>\n");
}

/* The label of row j of a bar chart: every column but the last, " / " between, "(none)" empty. */
static void bar_label(const rpt_sec *s, size_t j, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t c = 0; c + 1 < s->ncols && k < n; c++) {
        const char *v = cell(s, j, c);
        int w = snprintf(buf + k, n - k, "%s%s", c ? " / " : "", v && *v ? v : "(none)");
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (k >= n && n > 4)
        memcpy(buf + n - 4, "...", 4);
}

static void html_bars(const rpt_sec *s, wr *o)
{
    if (s->nrows == 0 || s->ncols < 2)
        return;
    size_t n = s->nrows < IPL_REPORT_CHART_ITEMS ? s->nrows : IPL_REPORT_CHART_ITEMS;
    double max = 0;
    for (size_t j = 0; j < n; j++) {
        const char *v = cell(s, j, s->ncols - 1);
        double x = v ? strtod(v, NULL) : 0;
        if (x > max)
            max = x;
    }
    const int lw = 300, bw = 420, rh = 18, h = (int)n * rh + 8;
    putf(o, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
         "aria-label=\"bar chart\">\n", lw + bw + 90, h, lw + bw + 90, h);
    for (size_t j = 0; j < n; j++) {
        char label[120];
        const char *v = cell(s, j, s->ncols - 1);
        double x = v ? strtod(v, NULL) : 0;
        int w = max > 0 ? (int)(x / max * bw + 0.5) : 0;
        bar_label(s, j, label, 58);
        int y = (int)j * rh + 4;
        putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 12);
        esc(o, label);
        putf(o, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
             "<text x=\"%d\" y=\"%d\">", lw, y + 2, w < 1 && x > 0 ? 1 : w, rh - 5, palette[0],
             lw + w + 4, y + 12);
        esc(o, v ? v : "");
        puts_(o, "</text>\n");
    }
    puts_(o, "</svg>\n");
    if (n < s->nrows)
        putf(o, "<p class=\"note\">The chart shows the %zu largest of %zu rows.</p>\n", n, s->nrows);
}

typedef struct series {
    const char *name;
    double      total;
    size_t      first;          /* index of its first row */
} series;

static int series_cmp(const void *a, const void *b)
{
    const series *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return x->first < y->first ? -1 : x->first > y->first;
}

#define LINE_MAX_POINTS 4000

/* time, [group columns], count: the group label of row j into buf. */
static void group_label(const rpt_sec *s, size_t tcol, size_t j, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t c = 0; c + 1 < s->ncols && k < n; c++) {
        if (c == tcol)
            continue;
        const char *v = cell(s, j, c);
        int w = snprintf(buf + k, n - k, "%s%s", k ? " / " : "", v && *v ? v : "(none)");
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, n, "%s", s->cols[s->ncols - 1].name);
}

static void html_line(const rpt_sec *s, wr *o)
{
    size_t tcol = SIZE_MAX;
    for (size_t c = 0; c < s->ncols; c++)
        if (strcmp(s->cols[c].name, "time") == 0)
            tcol = c;
    if (s->nrows == 0 || tcol == SIZE_MAX || s->ncols < 2)
        return;
    size_t vcol = s->ncols - 1, nser = 0;
    int64_t *ts = malloc(s->nrows * sizeof *ts);
    size_t *sid = malloc(s->nrows * sizeof *sid);
    series *ser = calloc(s->nrows, sizeof *ser);
    double *grid = NULL;
    char **names = calloc(s->nrows, sizeof *names);
    if (!ts || !sid || !ser || !names) {
        o->err = IPL_ENOMEM;
        goto out;
    }
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    for (size_t j = 0; j < s->nrows; j++) {
        const char *tv = cell(s, j, tcol);
        if (!tv || ipl_time_parse(tv, strlen(tv), NULL, &ts[j], NULL)) {
            putf(o, "<p class=\"note\">No chart: row %zu has no time.</p>\n", j + 1);
            goto out;
        }
        char g[200];
        group_label(s, tcol, j, g, sizeof g);
        size_t k = 0;
        while (k < nser && strcmp(names[k], g) != 0)
            k++;
        if (k == nser) {
            if (!(names[k] = strdup(g))) {
                o->err = IPL_ENOMEM;
                goto out;
            }
            ser[k].name = names[k];
            ser[k].first = j;
            nser++;
        }
        const char *v = cell(s, j, vcol);
        ser[k].total += v ? strtod(v, NULL) : 0;
        sid[j] = k;
        if (ts[j] < tmin)
            tmin = ts[j];
        if (ts[j] > tmax)
            tmax = ts[j];
    }
    /* the bucket width: the smallest step between two distinct times */
    int64_t step = 0;
    for (size_t j = 1; j < s->nrows; j++) {
        int64_t dt = ts[j] > ts[j - 1] ? ts[j] - ts[j - 1] : ts[j - 1] - ts[j];
        if (dt > 0 && (step == 0 || dt < step))
            step = dt;
    }
    size_t npts = step ? (size_t)((tmax - tmin) / step) + 1 : 1;
    if (npts > LINE_MAX_POINTS) {
        putf(o, "<p class=\"note\">No chart: more than %d time buckets.</p>\n", LINE_MAX_POINTS);
        goto out;
    }
    /* order: largest totals first; the chart draws the first IPL_REPORT_CHART_SERIES */
    size_t *rank = malloc(nser * sizeof *rank);
    series *sorted = malloc(nser * sizeof *sorted);
    if (!rank || !sorted || !(grid = calloc(nser * npts, sizeof *grid))) {
        free(rank);
        free(sorted);
        o->err = IPL_ENOMEM;
        goto out;
    }
    memcpy(sorted, ser, nser * sizeof *ser);
    qsort(sorted, nser, sizeof *sorted, series_cmp);
    for (size_t k = 0; k < nser; k++)
        for (size_t m = 0; m < nser; m++)
            if (sorted[k].name == ser[m].name)
                rank[m] = k;
    double ymax = 0;
    for (size_t j = 0; j < s->nrows; j++) {
        size_t p = step ? (size_t)((ts[j] - tmin) / step) : 0;
        const char *v = cell(s, j, vcol);
        double *g = &grid[rank[sid[j]] * npts + p];
        *g += v ? strtod(v, NULL) : 0;
        if (*g > ymax)
            ymax = *g;
    }
    const int W = 760, H = 220, L = 50, B = 24, T = 8;
    size_t shown = nser < IPL_REPORT_CHART_SERIES ? nser : IPL_REPORT_CHART_SERIES;
    int lh = (int)((shown + 2) / 3) * 16;
    putf(o, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
         "aria-label=\"line chart\">\n", W, H + lh, W, H + lh);
    putf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#889\"/>"
         "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#889\"/>\n",
         L, T, L, H - B, L, H - B, W - 10, H - B);
    putf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>"
         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", L - 4, T + 10, ymax, L - 4, H - B);
    char t0[IPL_TIME_BUF], t1[IPL_TIME_BUF];
    fmt_time(tmin, t0, sizeof t0);
    fmt_time(tmax, t1, sizeof t1);
    putf(o, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s"
         "</text>\n", L, H - 6, t0, W - 10, H - 6, t1);
    for (size_t k = 0; k < shown; k++) {
        putf(o, "<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"%s\" points=\"", palette[k]);
        for (size_t p = 0; p < npts; p++) {
            double x = L + (npts > 1 ? (double)p / (double)(npts - 1) : 0.5) * (W - 10 - L);
            double y = (H - B) - (ymax > 0 ? grid[k * npts + p] / ymax : 0) * (H - B - T);
            putf(o, "%s%.1f,%.1f", p ? " " : "", x, y);
        }
        puts_(o, "\"/>\n");
        int lx = L + (int)(k % 3) * 240, ly = H + 4 + (int)(k / 3) * 16;
        putf(o, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
             "y=\"%d\">", lx, ly, palette[k], lx + 14, ly + 9);
        char nm[40];
        snprintf(nm, sizeof nm, "%s", sorted[k].name);
        esc(o, nm);
        puts_(o, "</text>\n");
    }
    puts_(o, "</svg>\n");
    if (shown < nser)
        putf(o, "<p class=\"note\">The chart draws the %zu largest of %zu series.</p>\n", shown, nser);
    /* gaps: buckets without a row between a series' first and last bucket */
    if (step) {
        size_t listed = 0, more = 0;
        for (size_t k = 0; k < nser; k++) {
            size_t first = SIZE_MAX, last = 0;
            for (size_t p = 0; p < npts; p++)
                if (grid[k * npts + p] > 0) {
                    if (first == SIZE_MAX)
                        first = p;
                    last = p;
                }
            for (size_t p = first; first != SIZE_MAX && p < last; p++) {
                if (grid[k * npts + p] > 0)
                    continue;
                size_t e = p;
                while (e + 1 < last && grid[k * npts + e + 1] == 0)
                    e++;
                if (listed++ == 0)
                    puts_(o, "<p class=\"gaps\">Gaps (buckets without rows inside a series):<br>\n");
                if (listed > 50) {
                    more++;
                } else {
                    fmt_time(tmin + (int64_t)p * step, t0, sizeof t0);
                    fmt_time(tmin + (int64_t)(e + 1) * step, t1, sizeof t1);
                    esc(o, sorted[k].name);
                    putf(o, ": %s to %s (%zu bucket%s)<br>\n", t0, t1, e - p + 1, e > p ? "s" : "");
                }
                p = e;
            }
        }
        if (more)
            putf(o, "and %zu more gaps (the table has every bucket)<br>\n", more);
        if (listed)
            puts_(o, "</p>\n");
    }
    free(rank);
    free(sorted);
out:
    for (size_t k = 0; names && k < nser; k++)
        free(names[k]);
    free(names);
    free(grid);
    free(ts);
    free(sid);
    free(ser);
}

static void html_params(const char *const *names, const char *const *vals, size_t n, wr *o)
{
    for (size_t i = 0; i < n; i++) {
        puts_(o, i ? ", <code>$" : "<code>$");
        esc(o, names[i]);
        puts_(o, "</code> = <code>");
        esc(o, vals[i]);
        puts_(o, "</code>");
    }
}

typedef struct mem {
    char  *b;
    size_t n, cap;
} mem;

static int mem_write(void *ctx, const char *buf, size_t n)
{
    mem *m = ctx;
    if (m->n + n >= m->cap)
        return -1;
    memcpy(m->b + m->n, buf, n);
    m->n += n;
    m->b[m->n] = '\0';
    return (int)n;
}

static void render_html(const ipl_report *r, wr *o)
{
    char now[IPL_TIME_BUF], cmd[8192];
    fmt_time(r->now, now, sizeof now);
    puts_(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    esc(o, r->def->title);
    puts_(o, "</title>\n<style>");
    puts_(o, css);
    puts_(o, "</style></head>\n<body>\n<header><h1>");
    esc(o, r->def->title);
    puts_(o, "</h1>\n<p class=\"note\">");
    esc(o, r->def->about);
    puts_(o, "</p>\n<table class=\"meta\">\n<tr><th>Report</th><td><code>");
    esc(o, r->def->name);
    putf(o, "</code></td></tr>\n<tr><th>Generated at</th><td>%s</td></tr>\n"
         "<tr><th>Parameters</th><td>", now);
    html_params((const char *const *)r->pnames, (const char *const *)r->pvals, r->nparams, o);
    puts_(o, "</td></tr>\n");
    if (r->where) {
        puts_(o, "<tr><th>Filter (--where)</th><td><code>");
        esc(o, r->where);
        puts_(o, "</code></td></tr>\n");
    }
    if (r->tz_name) {
        puts_(o, "<tr><th>Zone of times without an offset</th><td>");
        esc(o, r->tz_name);
        puts_(o, "</td></tr>\n");
    }
    putf(o, "<tr><th>Store position</th><td>event %llu</td></tr>\n"
         "<tr><th>Chain head at that position</th><td><code>%s</code></td></tr>\n"
         "<tr><th>Content digest</th><td><code>%s</code> (SHA-256 of the queries, parameters and "
         "every row)</td></tr>\n<tr><th>Regenerate</th><td><code>",
         (unsigned long long)r->last_seq, r->chain, r->digest);
    mem m = {cmd, 0, sizeof cmd};
    wr cw = {mem_write, &m, 0};
    cmd[0] = '\0';
    regen_cmd(r, &cw);
    esc(o, cw.err ? "(the parameters are too long to show as one command)" : cmd);
    puts_(o, "</code></td></tr>\n</table>\n</header>\n<nav><ol>\n");
    for (size_t i = 0; i < r->def->nsections; i++) {
        if (r->sec[i].skipped)
            continue;
        putf(o, "<li value=\"%zu\"><a href=\"#s%zu\">", i + 1, i + 1);
        esc(o, r->sec[i].def->title);
        putf(o, "</a> (%zu row%s)</li>\n", r->sec[i].nrows, r->sec[i].nrows == 1 ? "" : "s");
    }
    puts_(o, "</ol></nav>\n");
    for (size_t i = 0; i < r->def->nsections && !o->err; i++) {
        const rpt_sec *s = &r->sec[i];
        if (s->skipped)
            continue;
        putf(o, "<section id=\"s%zu\"><h2>%zu. ", i + 1, i + 1);
        esc(o, s->def->title);
        puts_(o, "</h2>\n<p class=\"note\">");
        esc_note(o, s->def->note);
        puts_(o, "</p>\n<pre>");
        esc(o, s->query);
        puts_(o, "</pre>\n");
        if (s->nparams) {
            puts_(o, "<p class=\"note\">with ");
            html_params(s->pnames, s->pvals, s->nparams, o);
            puts_(o, "</p>\n");
        }
        switch (s->def->view) {
        case IPL_RV_FIGURES:
            html_figures(s, o);
            break;
        case IPL_RV_BARS:
            html_bars(s, o);
            html_table(r, s, o);
            break;
        case IPL_RV_LINE:
            html_line(s, o);
            html_table(r, s, o);
            break;
        default:
            html_table(r, s, o);
        }
        puts_(o, "</section>\n");
    }
    putf(o, "<footer><p class=\"note\">ipledger report <code>%s</code>, store event %llu, chain "
         "head <code>%s</code>, content digest <code>%s</code>.</p></footer>\n</body></html>\n",
         r->def->name, (unsigned long long)r->last_seq, r->chain, r->digest);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static void csv_meta(wr *o, const char *field, const char *value)
{
    puts_(o, "report,");
    csv(o, field);
    puts_(o, ",");
    csv(o, value);
    puts_(o, "\r\n");
}

static void render_csv(const ipl_report *r, wr *o)
{
    char now[IPL_TIME_BUF], num[32], key[200];
    fmt_time(r->now, now, sizeof now);
    puts_(o, "section,field,value\r\n");
    csv_meta(o, "name", r->def->name);
    csv_meta(o, "title", r->def->title);
    csv_meta(o, "generated_at", now);
    snprintf(num, sizeof num, "%llu", (unsigned long long)r->last_seq);
    csv_meta(o, "last_seq", num);
    csv_meta(o, "chain_head", r->chain);
    csv_meta(o, "digest", r->digest);
    for (size_t i = 0; i < r->nparams; i++) {
        snprintf(key, sizeof key, "param.%s", r->pnames[i]);
        csv_meta(o, key, r->pvals[i]);
    }
    if (r->where)
        csv_meta(o, "where", r->where);
    if (r->tz_name)
        csv_meta(o, "tz", r->tz_name);
    for (size_t i = 0; i < r->def->nsections; i++) {
        if (r->sec[i].skipped)
            continue;
        putf(o, "%zu,title,", i + 1);
        csv(o, r->sec[i].def->title);
        putf(o, "\r\n%zu,query,", i + 1);
        csv(o, r->sec[i].query);
        putf(o, "\r\n%zu,rows,%zu\r\n", i + 1, r->sec[i].nrows);
    }
    for (size_t i = 0; i < r->def->nsections && !o->err; i++) {
        const rpt_sec *s = &r->sec[i];
        if (s->skipped)
            continue;
        puts_(o, "\r\nsection");
        for (size_t c = 0; c < s->ncols; c++) {
            puts_(o, ",");
            csv(o, s->cols[c].name);
        }
        puts_(o, "\r\n");
        for (size_t j = 0; j < s->nrows && !o->err; j++) {
            putf(o, "%zu", i + 1);
            for (size_t c = 0; c < s->ncols; c++) {
                puts_(o, ",");
                csv(o, cell(s, j, c));
            }
            puts_(o, "\r\n");
        }
    }
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_params(wr *o, const char *const *names, const char *const *vals, size_t n)
{
    puts_(o, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            puts_(o, ",");
        json_str(o, names[i]);
        puts_(o, ":");
        json_str(o, vals[i]);
    }
    puts_(o, "}");
}

static void render_json(const ipl_report *r, wr *o)
{
    char now[IPL_TIME_BUF];
    fmt_time(r->now, now, sizeof now);
    puts_(o, "{\"report\":");
    json_str(o, r->def->name);
    puts_(o, ",\"title\":");
    json_str(o, r->def->title);
    puts_(o, ",\"generated_at\":");
    json_str(o, now);
    puts_(o, ",\"params\":");
    json_params(o, (const char *const *)r->pnames, (const char *const *)r->pvals, r->nparams);
    puts_(o, ",\"where\":");
    json_str(o, r->where);
    puts_(o, ",\"tz\":");
    json_str(o, r->tz_name);
    putf(o, ",\"store\":{\"last_seq\":%llu,\"chain_head\":\"%s\"},\"digest\":\"%s\",\n"
         "\"sections\":[", (unsigned long long)r->last_seq, r->chain, r->digest);
    for (size_t i = 0; i < r->def->nsections && !o->err; i++) {
        const rpt_sec *s = &r->sec[i];
        putf(o, "%s\n{\"number\":%zu,\"title\":", i ? "," : "", i + 1);
        json_str(o, s->def->title);
        puts_(o, ",\"view\":");
        json_str(o, ipl_report_view_name(s->def->view));
        if (s->skipped) {
            puts_(o, ",\"skipped\":true,\"needs\":");
            json_str(o, s->def->needs);
            puts_(o, "}");
            continue;
        }
        puts_(o, ",\"note\":");
        json_str(o, s->def->note);
        puts_(o, ",\"query\":");
        json_str(o, s->query);
        puts_(o, ",\"params\":");
        json_params(o, s->pnames, s->pvals, s->nparams);
        puts_(o, ",\"columns\":[");
        for (size_t c = 0; c < s->ncols; c++) {
            if (c)
                puts_(o, ",");
            json_str(o, s->cols[c].name);
        }
        putf(o, "],\"row_count\":%zu,\"rows\":[", s->nrows);
        for (size_t j = 0; j < s->nrows && !o->err; j++) {
            puts_(o, j ? ",\n[" : "\n[");
            for (size_t c = 0; c < s->ncols; c++) {
                const char *v = cell(s, j, c);
                if (c)
                    puts_(o, ",");
                if (v && is_num_col(s, c) && is_number(v))
                    puts_(o, v);
                else
                    json_str(o, v);
            }
            puts_(o, "]");
        }
        puts_(o, "]}");
    }
    puts_(o, "\n]}\n");
}

int ipl_report_render(const ipl_report *r, ipl_report_format f, ipl_write_fn w, void *wctx)
{
    wr o = {w, wctx, 0};
    if (f == IPL_RF_HTML)
        render_html(r, &o);
    else if (f == IPL_RF_CSV)
        render_csv(r, &o);
    else
        render_json(r, &o);
    return o.err ? IPL_EIO : IPL_OK;
}
