/* queries/output.c — table, JSON, NDJSON and CSV writers; see output.h. */
#include "queries/output.h"
#include "engine/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBUF 65536

struct ipl_out {
    ipl_out_format f;
    const ipl_col *cols;
    size_t ncols;
    ipl_write_fn w;
    void *wctx;
    char buf[OUTBUF];
    size_t used;
    int err;
    unsigned long long rows;
    /* table: the sampled rows, until widths are known */
    char **sample;          /* ncols strings per row */
    size_t nsample;
    size_t *width;
    int widths_fixed;
};

int ipl_out_format_parse(const char *s, ipl_out_format *f)
{
    static const struct { const char *n; ipl_out_format f; } names[] = {
        {"table", IPL_OUT_TABLE}, {"json", IPL_OUT_JSON}, {"ndjson", IPL_OUT_NDJSON},
        {"csv", IPL_OUT_CSV}, {"jsonl", IPL_OUT_NDJSON},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].n) == 0) {
            *f = names[i].f;
            return IPL_OK;
        }
    return IPL_EINVAL;
}

static void flushbuf(ipl_out *o)
{
    if (o->used && !o->err && o->w(o->wctx, o->buf, o->used) < 0)
        o->err = IPL_EIO;
    o->used = 0;
}

static void put(ipl_out *o, const char *s, size_t n)
{
    while (n) {
        if (o->used == OUTBUF)
            flushbuf(o);
        size_t k = OUTBUF - o->used < n ? OUTBUF - o->used : n;
        memcpy(o->buf + o->used, s, k);
        o->used += k;
        s += k;
        n -= k;
    }
}

static void puts_(ipl_out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putc_(ipl_out *o, char c)
{
    put(o, &c, 1);
}

size_t ipl_json_escape(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
#define EMIT(c) do { if (o + 1 < cap) buf[o] = (c); o++; } while (0)
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            EMIT('\\');
            EMIT((char)c);
        } else if (c == '\n') {
            EMIT('\\'); EMIT('n');
        } else if (c == '\r') {
            EMIT('\\'); EMIT('r');
        } else if (c == '\t') {
            EMIT('\\'); EMIT('t');
        } else if (c < 0x20 || c == 0x7f) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", c);
            for (int k = 0; k < 6; k++)
                EMIT(u[k]);
        } else {
            EMIT((char)c);
        }
    }
#undef EMIT
    if (cap)
        buf[o < cap ? o : cap - 1] = '\0';
    return o;
}

static void put_json_str(ipl_out *o, const char *s)
{
    char tmp[1024];
    size_t n = strlen(s);
    putc_(o, '"');
    /* escape in chunks so any length works */
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 128 ? n - i : 128;
        size_t e = ipl_json_escape(s + i, k, tmp, sizeof tmp);
        put(o, tmp, e);
        i += k;
    }
    putc_(o, '"');
}

static void put_csv(ipl_out *o, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        puts_(o, s);
        return;
    }
    putc_(o, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            putc_(o, '"');
        putc_(o, *p);
    }
    putc_(o, '"');
}

int ipl_out_new(ipl_out **out, ipl_out_format f, const ipl_col *cols, size_t ncols,
                ipl_write_fn w, void *wctx)
{
    ipl_out *o = calloc(1, sizeof *o);
    if (!o)
        return IPL_ENOMEM;
    o->f = f;
    o->cols = cols;
    o->ncols = ncols;
    o->w = w;
    o->wctx = wctx;
    if (f == IPL_OUT_TABLE) {
        o->width = calloc(ncols, sizeof *o->width);
        o->sample = calloc(IPL_OUT_TABLE_SAMPLE * ncols, sizeof *o->sample);
        if (!o->width || !o->sample) {
            ipl_out_free(o);
            return IPL_ENOMEM;
        }
        for (size_t i = 0; i < ncols; i++)
            o->width[i] = strlen(cols[i].name);
    } else if (f == IPL_OUT_CSV) {
        for (size_t i = 0; i < ncols; i++) {
            if (i)
                putc_(o, ',');
            put_csv(o, cols[i].name);
        }
        put(o, "\r\n", 2);
    } else if (f == IPL_OUT_JSON) {
        putc_(o, '[');
    }
    *out = o;
    return IPL_OK;
}

static void table_line(ipl_out *o, char *const *vals, int header)
{
    for (size_t i = 0; i < o->ncols; i++) {
        const char *v = header ? o->cols[i].name : vals[i] ? vals[i] : "";
        size_t n = strlen(v);
        /* a value wider than its column (after the sample) still gets the two-space gap */
        size_t w = n > o->width[i] ? n : o->width[i];
        puts_(o, v);
        if (i + 1 < o->ncols)
            for (size_t k = n; k < w + 2; k++)
                putc_(o, ' ');
    }
    putc_(o, '\n');
}

static void table_fix(ipl_out *o)
{
    table_line(o, NULL, 1);
    for (size_t r = 0; r < o->nsample; r++) {
        table_line(o, o->sample + r * o->ncols, 0);
        for (size_t i = 0; i < o->ncols; i++)
            free(o->sample[r * o->ncols + i]);
    }
    o->nsample = 0;
    o->widths_fixed = 1;
}

int ipl_out_row(ipl_out *o, const char *const *vals)
{
    o->rows++;
    switch (o->f) {
    case IPL_OUT_TABLE:
        if (!o->widths_fixed) {
            char **row = o->sample + o->nsample * o->ncols;
            for (size_t i = 0; i < o->ncols; i++) {
                const char *v = vals[i] ? vals[i] : "";
                size_t n = strlen(v);
                if (n > o->width[i])
                    o->width[i] = n;
                if (!(row[i] = strdup(v)))
                    return IPL_ENOMEM;
            }
            if (++o->nsample == IPL_OUT_TABLE_SAMPLE)
                table_fix(o);
        } else {
            table_line(o, (char *const *)vals, 0);
        }
        break;
    case IPL_OUT_CSV:
        for (size_t i = 0; i < o->ncols; i++) {
            if (i)
                putc_(o, ',');
            put_csv(o, vals[i] ? vals[i] : "");
        }
        put(o, "\r\n", 2);
        break;
    case IPL_OUT_JSON:
    case IPL_OUT_NDJSON:
        if (o->f == IPL_OUT_JSON)
            puts_(o, o->rows > 1 ? ",\n" : "\n");
        putc_(o, '{');
        for (size_t i = 0; i < o->ncols; i++) {
            if (i)
                putc_(o, ',');
            put_json_str(o, o->cols[i].name);
            putc_(o, ':');
            if (!vals[i] || (o->cols[i].type != IPL_COL_STR && !*vals[i]))
                puts_(o, "null");
            else if (o->cols[i].type == IPL_COL_STR)
                put_json_str(o, vals[i]);
            else
                puts_(o, vals[i]);
        }
        putc_(o, '}');
        if (o->f == IPL_OUT_NDJSON)
            putc_(o, '\n');
        break;
    }
    return o->err;
}

int ipl_out_end(ipl_out *o)
{
    if (o->f == IPL_OUT_TABLE && !o->widths_fixed)
        table_fix(o);
    if (o->f == IPL_OUT_JSON)
        puts_(o, o->rows ? "\n]\n" : "]\n");
    flushbuf(o);
    return o->err;
}

unsigned long long ipl_out_rows(const ipl_out *o)
{
    return o->rows;
}

void ipl_out_free(ipl_out *o)
{
    if (!o)
        return;
    if (o->sample) {
        for (size_t i = 0; i < o->nsample * o->ncols; i++)
            free(o->sample[i]);
        free(o->sample);
    }
    free(o->width);
    free(o);
}
