/* tests/unit/queries/report_defs_test.c — the report definitions (queries/report_defs.c), checked
 * as data without a store: names unique and found, every section's query (source and stages)
 * compiles with the query language given exactly the $parameters it names, only the period and
 * the subjects are parameters, a section that needs a subject belongs to a report that has it and
 * every subject has sections, and each view gets the columns it draws (a line chart a time first
 * column and a numeric last one, bars a numeric last column). The runs on a store are in
 * report_test.c.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/tz.h"
#include "queries/report.h"

#include <stdio.h>
#include <string.h>

static const char *value_of(const char *name)
{
    static const struct { const char *name, *value; } v[] = {
        {"from", "2024-05-01T00:00:00Z"}, {"to", "2024-05-08T00:00:00Z"}, {"ip", "10.72.144.20"},
        {"mac", "3c52826a1b2f"}, {"host", "LAPTOP-ALICE.contoso.com"}, {"user", "CONTOSO\\alice"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (strcmp(v[i].name, name) == 0)
            return v[i].value;
    return NULL;
}

/* The distinct $names of text into names[] (at most 8). */
static size_t params_of(const char *text, char names[8][16])
{
    size_t n = 0;
    for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$')) {
        size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
        char nm[16];
        snprintf(nm, sizeof nm, "%.*s", (int)k, p + 1);
        size_t j = 0;
        while (j < n && strcmp(names[j], nm) != 0)
            j++;
        if (j == n && n < 8)
            snprintf(names[n++], sizeof names[0], "%s", nm);
    }
    return n;
}

static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list ? strstr(list, word) : NULL; p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static void test_names(void)
{
    CHECK(ipl_report_count() >= 6);
    for (size_t i = 0; i < ipl_report_count(); i++) {
        const ipl_report_def *r = ipl_report_at(i);
        CHECK(r->name && r->title && r->about && r->nsections > 0 && r->default_from);
        CHECK(ipl_report_find(r->name) == r);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(ipl_report_at(j)->name, r->name) != 0);
    }
    CHECK(ipl_report_at(ipl_report_count()) == NULL);
    CHECK(ipl_report_find("") == NULL && ipl_report_find("Tracking") == NULL);
    ipl_report_format f;
    CHECK_INT(ipl_report_format_parse("html", &f), IPL_OK);
    CHECK_INT(f, IPL_RF_HTML);
    CHECK_INT(ipl_report_format_parse("json", &f), IPL_OK);
    CHECK_INT(f, IPL_RF_JSON);
    CHECK_INT(ipl_report_format_parse("HTML", &f), IPL_EINVAL);
}

static void test_sections_compile(void)
{
    int64_t now = 0;
    ipl_time_parse("2024-05-08T12:00:00Z", 20, NULL, &now, NULL);
    for (size_t i = 0; i < ipl_report_count(); i++) {
        const ipl_report_def *r = ipl_report_at(i);
        int needed[4] = {0};
        static const char *const subjects[] = {"ip", "mac", "host", "user"};
        for (size_t s = 0; s < r->nsections; s++) {
            const ipl_report_section *sec = &r->sections[s];
            char text[2048], names[8][16];
            snprintf(text, sizeof text, "%s %s", sec->source, sec->stages);
            CHECK(sec->title && sec->title[0] && sec->note && sec->note[0]);
            if (sec->needs) {
                CHECK(has_word(r->subjects, sec->needs));
                for (int k = 0; k < 4; k++)
                    needed[k] |= strcmp(sec->needs, subjects[k]) == 0;
            }
            size_t np = params_of(text, names);
            ipl_ql_param ps[8];
            for (size_t k = 0; k < np; k++) {
                ps[k].name = names[k];
                ps[k].value = value_of(names[k]);
                if (!ps[k].value)
                    fprintf(stderr, "report %s, section '%s': unknown parameter $%s\n", r->name,
                            sec->title, names[k]);
                CHECK(ps[k].value != NULL);
                /* a subject parameter only in sections that need that subject */
                if (strcmp(names[k], "from") && strcmp(names[k], "to"))
                    CHECK(sec->needs && strcmp(sec->needs, names[k]) == 0);
            }
            ipl_ql_opts o;
            memset(&o, 0, sizeof o);
            o.now = now;
            o.params = ps;
            o.nparams = np;
            ipl_ql *q = NULL;
            ipl_diag d = {0};
            int err = ipl_ql_compile(&q, text, strlen(text), &o, &d);
            if (err)
                fprintf(stderr, "report %s, section '%s': %s\n", r->name, sec->title, d.msg);
            CHECK_INT(err, IPL_OK);
            if (!err) {
                size_t nc = 0;
                const ipl_col *c = ipl_ql_cols(q, &nc);
                CHECK(nc >= 1);
                /* the drawn value: a number, or a number as text (the utilization source's
                 * sizes and percentages, which outgrow 64 bits for IPv6) */
                int numeric = nc >= 2 && (c[nc - 1].type == IPL_COL_NUM ||
                                          strcmp(c[nc - 1].name, "pct") == 0);
                if (sec->view == IPL_RV_LINE)
                    CHECK(numeric && strcmp(c[0].name, "time") == 0);
                if (sec->view == IPL_RV_BARS)
                    CHECK(numeric);
            }
            ipl_ql_free(q);
        }
        for (int k = 0; k < 4; k++)          /* every subject of the report has its sections */
            if (has_word(r->subjects, subjects[k]))
                CHECK(needed[k]);
    }
}

int main(void)
{
    RUN(test_names);
    RUN(test_sections_compile);
    return check_summary();
}
