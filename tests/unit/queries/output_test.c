/* tests/unit/queries/output_test.c — result writers (queries/output.c): table alignment (header
 * widths, padded columns, the sampling window), CSV quoting and CRLF, JSON validity (parsed back
 * with cJSON) including escapes, NDJSON one object per line, NULL handling, NUM/JSON columns
 * unquoted, empty results, values longer than the output buffer, write errors.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "queries/output.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing sink ------------------------------------------------------------------------ */

typedef struct sink {
    char *p;
    size_t n, cap;
    int calls;
    int fail_after;     /* > 0: the n-th call and later fail */
} sink;

static int sink_write(void *ctx, const char *buf, size_t n)
{
    sink *s = ctx;
    s->calls++;
    if (s->fail_after && s->calls >= s->fail_after)
        return -1;
    if (s->n + n + 1 > s->cap) {
        size_t nc = (s->n + n + 1) * 2;
        char *q = realloc(s->p, nc);
        if (!q)
            return -1;
        s->p = q;
        s->cap = nc;
    }
    memcpy(s->p + s->n, buf, n);
    s->n += n;
    s->p[s->n] = '\0';
    return (int)n;
}

static void sink_free(sink *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

static const char *text(sink *s)
{
    return s->p ? s->p : "";
}

/* Writes rows (ncols values each) in format f; returns the ipl_out_end code. */
static int render(ipl_out_format f, const ipl_col *cols, size_t ncols, const char *const *vals,
                  size_t nrows, sink *s)
{
    ipl_out *o = NULL;
    memset(s, 0, sizeof *s);
    int rc = ipl_out_new(&o, f, cols, ncols, sink_write, s);
    CHECK_INT(rc, IPL_OK);
    if (rc)
        return rc;
    for (size_t r = 0; r < nrows; r++)
        CHECK_INT(ipl_out_row(o, vals + r * ncols), IPL_OK);
    CHECK_INT(ipl_out_rows(o), nrows);
    rc = ipl_out_end(o);
    ipl_out_free(o);
    return rc;
}

static const ipl_col COLS[] = {{"seq", IPL_COL_NUM}, {"name", IPL_COL_STR}, {"note", IPL_COL_STR}};

/* ---- formats ------------------------------------------------------------------------------- */

static void test_format_parse(void)
{
    ipl_out_format f;
    CHECK_INT(ipl_out_format_parse("table", &f), IPL_OK);
    CHECK_INT(f, IPL_OUT_TABLE);
    CHECK_INT(ipl_out_format_parse("json", &f), IPL_OK);
    CHECK_INT(f, IPL_OUT_JSON);
    CHECK_INT(ipl_out_format_parse("ndjson", &f), IPL_OK);
    CHECK_INT(f, IPL_OUT_NDJSON);
    CHECK_INT(ipl_out_format_parse("jsonl", &f), IPL_OK);
    CHECK_INT(f, IPL_OUT_NDJSON);
    CHECK_INT(ipl_out_format_parse("csv", &f), IPL_OK);
    CHECK_INT(f, IPL_OUT_CSV);
    CHECK_INT(ipl_out_format_parse("xml", &f), IPL_EINVAL);
    CHECK_INT(ipl_out_format_parse("", &f), IPL_EINVAL);
    CHECK_INT(ipl_out_format_parse("JSON", &f), IPL_EINVAL);
}

static void test_table(void)
{
    sink s;
    const char *rows[] = {"1", "alpha", NULL, "12345", "b", "x"};
    CHECK_INT(render(IPL_OUT_TABLE, COLS, 3, rows, 2, &s), IPL_OK);
    CHECK_STR(text(&s), "seq    name   note\n"
                        "1      alpha  \n"
                        "12345  b      x\n");
    sink_free(&s);

    /* header wider than every value */
    const ipl_col cols[] = {{"a_long_header", IPL_COL_STR}, {"b", IPL_COL_STR}};
    const char *r2[] = {"x", "y", "", "z"};
    CHECK_INT(render(IPL_OUT_TABLE, cols, 2, r2, 2, &s), IPL_OK);
    CHECK_STR(text(&s), "a_long_header  b\n"
                        "x              y\n"
                        "               z\n");
    sink_free(&s);

    /* no rows: the header alone */
    CHECK_INT(render(IPL_OUT_TABLE, COLS, 3, NULL, 0, &s), IPL_OK);
    CHECK_STR(text(&s), "seq  name  note\n");
    sink_free(&s);
}

/* Past the sample window the widths are fixed: a longer value widens its own line only. */
static void test_table_after_sample(void)
{
    enum { N = IPL_OUT_TABLE_SAMPLE + 3 };
    static const char *rows[N * 2];
    for (int i = 0; i < N; i++) {
        rows[2 * i] = "k";
        rows[2 * i + 1] = "v";
    }
    rows[2 * (IPL_OUT_TABLE_SAMPLE + 1)] = "a-much-longer-key";
    const ipl_col cols[] = {{"key", IPL_COL_STR}, {"val", IPL_COL_STR}};
    sink s;
    CHECK_INT(render(IPL_OUT_TABLE, cols, 2, rows, N, &s), IPL_OK);
    /* line 0 header, lines 1..N rows */
    const char *p = text(&s);
    int line = 0, bad = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        if (!e)
            break;
        size_t len = (size_t)(e - p);
        if (line == 0)
            bad += !(len == 8 && strncmp(p, "key  val", 8) == 0);
        else if (line == IPL_OUT_TABLE_SAMPLE + 2)
            bad += !(len == strlen("a-much-longer-key  v") && strncmp(p, "a-much-longer-key  v", len) == 0);
        else
            bad += !(len == 6 && strncmp(p, "k    v", 6) == 0);
        line++;
        p = e + 1;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(line, N + 1);
    sink_free(&s);
}

static void test_csv(void)
{
    sink s;
    const char *rows[] = {
        "1", "plain", "a,b",
        "2", "say \"hi\"", NULL,
        "3", "line1\nline2", "cr\rhere",
        "", "", "trailing space ",
    };
    CHECK_INT(render(IPL_OUT_CSV, COLS, 3, rows, 4, &s), IPL_OK);
    CHECK_STR(text(&s), "seq,name,note\r\n"
                        "1,plain,\"a,b\"\r\n"
                        "2,\"say \"\"hi\"\"\",\r\n"
                        "3,\"line1\nline2\",\"cr\rhere\"\r\n"
                        ",,trailing space \r\n");
    sink_free(&s);
    /* column names are quoted by the same rule; no rows: the header alone */
    const ipl_col cols[] = {{"a,b", IPL_COL_STR}, {"c\"d", IPL_COL_STR}};
    CHECK_INT(render(IPL_OUT_CSV, cols, 2, NULL, 0, &s), IPL_OK);
    CHECK_STR(text(&s), "\"a,b\",\"c\"\"d\"\r\n");
    sink_free(&s);
}

static void test_json(void)
{
    static const char ctl[] = "tab\there \"q\" back\\slash \x01\x1f\x7f nl\ncr\r Ünïcode";
    const ipl_col cols[] = {{"seq", IPL_COL_NUM}, {"s", IPL_COL_STR}, {"attrs", IPL_COL_JSON},
                            {"n", IPL_COL_NUM}};
    const char *rows[] = {
        "1", ctl, "{\"code\":\"10\",\"xid\":\"7\"}", "-2.5",
        "2", NULL, NULL, "",
        "3", "", "[1,2]", "0",
    };
    sink s;
    CHECK_INT(render(IPL_OUT_JSON, cols, 4, rows, 3, &s), IPL_OK);
    cJSON *j = cJSON_Parse(text(&s));
    CHECK(j != NULL);
    if (!j) {
        fprintf(stderr, "  not JSON: %s\n", text(&s));
        sink_free(&s);
        return;
    }
    CHECK(cJSON_IsArray(j));
    CHECK_INT(cJSON_GetArraySize(j), 3);
    cJSON *r0 = cJSON_GetArrayItem(j, 0), *r1 = cJSON_GetArrayItem(j, 1), *r2 = cJSON_GetArrayItem(j, 2);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r0, "seq")));
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(r0, "seq")->valueint, 1);
    cJSON *str = cJSON_GetObjectItemCaseSensitive(r0, "s");
    CHECK(cJSON_IsString(str));
    CHECK_STR(cJSON_IsString(str) ? str->valuestring : NULL, ctl);     /* every byte back */
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(r0, "attrs");
    CHECK(cJSON_IsObject(attrs));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(attrs, "code")), "10");
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r0, "n")));
    CHECK(cJSON_GetObjectItemCaseSensitive(r0, "n")->valuedouble == -2.5);
    /* NULL -> null for every type; an empty NUM/JSON is null too, an empty STR stays "" */
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r1, "s")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r1, "attrs")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r1, "n")));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r2, "s")), "");
    CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r2, "attrs")));
    /* the raw text: control characters never appear unescaped */
    int raw_ctl = 0;
    for (const char *p = text(&s); *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            raw_ctl++;
    CHECK_INT(raw_ctl, 0);
    CHECK(strstr(text(&s), "\\u0001") != NULL);
    CHECK(strstr(text(&s), "\\\"q\\\"") != NULL);
    CHECK(strstr(text(&s), "\"seq\":1") != NULL);        /* NUM unquoted */
    cJSON_Delete(j);
    sink_free(&s);

    /* empty result: [] */
    CHECK_INT(render(IPL_OUT_JSON, cols, 4, NULL, 0, &s), IPL_OK);
    CHECK_STR(text(&s), "[]\n");
    j = cJSON_Parse(text(&s));
    CHECK(j && cJSON_IsArray(j) && cJSON_GetArraySize(j) == 0);
    cJSON_Delete(j);
    sink_free(&s);
}

static void test_ndjson(void)
{
    const char *rows[] = {"1", "a\nb", NULL, "2", "c", "d,e", "3", "\"", "\\"};
    sink s;
    CHECK_INT(render(IPL_OUT_NDJSON, COLS, 3, rows, 3, &s), IPL_OK);
    const char *p = text(&s);
    int lines = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        CHECK(e != NULL);
        if (!e)
            break;
        char line[256];
        size_t n = (size_t)(e - p);
        CHECK(n < sizeof line);
        if (n >= sizeof line)
            break;
        memcpy(line, p, n);
        line[n] = '\0';
        cJSON *j = cJSON_Parse(line);
        CHECK(j != NULL && cJSON_IsObject(j));
        if (j) {
            cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
            CHECK(cJSON_IsNumber(seq) && seq->valueint == lines + 1);
            const char *want = rows[3 * lines + 1];
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "name")), want);
            if (lines == 0)
                CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "note")));
        }
        cJSON_Delete(j);
        lines++;
        p = e + 1;
    }
    CHECK_INT(lines, 3);
    CHECK(s.n > 0 && s.p[0] == '{');                       /* no array around it */
    sink_free(&s);
    /* no rows: no output */
    CHECK_INT(render(IPL_OUT_NDJSON, COLS, 3, NULL, 0, &s), IPL_OK);
    CHECK_INT(s.n, 0);
    sink_free(&s);
}

/* Values far longer than the internal buffer come out whole, in every format. */
static void test_long_values(void)
{
    size_t n = 200000;
    char *v = malloc(n + 1);
    CHECK(v != NULL);
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = "ab\"c,\n\x01 "[i % 8];
    v[n] = '\0';
    const ipl_col cols[] = {{"v", IPL_COL_STR}};
    const char *rows[] = {v, "short"};
    sink s;
    CHECK_INT(render(IPL_OUT_JSON, cols, 1, rows, 2, &s), IPL_OK);
    CHECK(s.calls > 1);                                    /* it did flush in pieces */
    cJSON *j = cJSON_Parse(text(&s));
    CHECK(j != NULL);
    if (j) {
        const char *back = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "v"));
        CHECK(back && strcmp(back, v) == 0);
    }
    cJSON_Delete(j);
    sink_free(&s);
    CHECK_INT(render(IPL_OUT_CSV, cols, 1, rows, 2, &s), IPL_OK);
    /* "v\r\n" + quoted value with doubled quotes + "\r\n" + "short\r\n" */
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += v[i] == '"';
    CHECK_INT(s.n, 3 + 2 + n + quotes + 2 + 7);
    sink_free(&s);
    CHECK_INT(render(IPL_OUT_TABLE, cols, 1, rows, 2, &s), IPL_OK);
    CHECK(s.n >= n);
    sink_free(&s);
    free(v);
}

static void test_write_error(void)
{
    ipl_out *o = NULL;
    sink s;
    memset(&s, 0, sizeof s);
    s.fail_after = 1;
    const char *row[] = {"1", "x", "y"};
    CHECK_INT(ipl_out_new(&o, IPL_OUT_CSV, COLS, 3, sink_write, &s), IPL_OK);
    if (!o)
        return;
    CHECK_INT(ipl_out_row(o, row), IPL_OK);                /* buffered so far */
    CHECK_INT(ipl_out_end(o), IPL_EIO);
    ipl_out_free(o);
    sink_free(&s);
    ipl_out_free(NULL);
}

static void test_json_escape(void)
{
    char buf[64];
    CHECK_INT(ipl_json_escape("a\"b\\c", 5, buf, sizeof buf), 7);
    CHECK_STR(buf, "a\\\"b\\\\c");
    CHECK_INT(ipl_json_escape("\x01\t", 2, buf, sizeof buf), 8);
    CHECK_STR(buf, "\\u0001\\t");
    CHECK_INT(ipl_json_escape("a\0b", 3, buf, sizeof buf), 8);  /* an embedded NUL is escaped */
    CHECK_STR(buf, "a\\u0000b");
    /* too small: the needed length is returned, the buffer is cut and terminated, untouched
     * past its end */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(ipl_json_escape("a\"bcdef", 7, buf, 4), 8);
    CHECK_INT(strlen(buf), 3);
    CHECK(buf[4] == 'Z');
    CHECK_INT(ipl_json_escape("abc", 3, NULL, 0), 3);
}

int main(void)
{
    RUN(test_format_parse);
    RUN(test_table);
    RUN(test_table_after_sample);
    RUN(test_csv);
    RUN(test_json);
    RUN(test_ndjson);
    RUN(test_long_values);
    RUN(test_write_error);
    RUN(test_json_escape);
    return check_summary();
}
