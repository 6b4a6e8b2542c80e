/* queries/report.h — compliance reports: named lists of query-language sections, run on one read
 * transaction and rendered to self-contained HTML, CSV (RFC 4180) or JSON.
 *
 *   definition (static table, report_defs.c)     run (report.c)              render (report_render.c)
 *   name, title, subjects, sections:      --->   each section's query    --> HTML: inline CSS, SVG
 *     { title, query text with $params,          compiled with only the      charts, capped tables
 *       view: table|bars|line|figures }          params it names, run on     CSV: one block/section
 *                                                ONE snapshot; rows kept     JSON: everything
 *
 * A report has no code path of its own: every figure is a row of a query of docs/query-language.md,
 * whose exact text (and parameters) the report prints. Values (addresses, users, times) are never
 * spliced into query text; they are $parameters (ipl_ql_param). The one piece of text that is
 * spliced is the caller's --where filter, which is query language by definition: it is inserted
 * as a `| where (...)` stage right after the source of the sections marked filterable, after a
 * check that it holds no '|' (it cannot add stages) outside strings.
 *
 * The header records the store position (last event seq) and the chain head digest the snapshot
 * had, the parameters, `now` (generated-at, and what relative times count from) and a digest of
 * the content (queries, columns and rows), so the same store at the same position with the same
 * parameters gives byte-identical output (ipl_report_opts.at_seq refuses any other position).
 *
 * Ownership: definitions are static; ipl_report_run returns an owned result (free with
 * ipl_report_free) that copies every row; the transaction may end before rendering.
 */
#ifndef IPL_REPORT_H
#define IPL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "queries/output.h"
#include "queries/ql.h"

#define IPL_REPORT_MAX_ROWS      1000000           /* rows one section may return */
#define IPL_REPORT_MAX_BYTES     ((size_t)1 << 30) /* row memory of one report */
#define IPL_REPORT_HTML_ROWS     200               /* rows of a section shown in HTML (default) */
#define IPL_REPORT_CHART_ITEMS   20                /* bars in a bar chart */
#define IPL_REPORT_CHART_SERIES  8                 /* lines in a line chart */
#define IPL_REPORT_MAX_WHERE     4096              /* bytes of a --where filter */

typedef enum ipl_report_view {
    IPL_RV_TABLE,     /* rows as a table */
    IPL_RV_BARS,      /* label columns + a numeric last column: horizontal bars, then the table */
    IPL_RV_LINE,      /* time, [group], count: one line per group over time, then the table */
    IPL_RV_FIGURES    /* the first row's columns as key figures */
} ipl_report_view;
const char *ipl_report_view_name(ipl_report_view v);

typedef struct ipl_report_section {
    const char     *title;
    const char     *source;      /* the query up to its first stage (source, where, window) */
    const char     *stages;      /* "| ..." or "" */
    ipl_report_view view;
    const char     *needs;       /* run only when this parameter is given (NULL: always) */
    int             filterable;  /* the --where filter applies */
    const char     *note;        /* what the section shows and how to read it */
} ipl_report_section;

typedef struct ipl_report_def {
    const char *name;
    const char *title;
    const char *about;
    const char *subjects;        /* "ip mac host user": exactly one of them must be given; NULL */
    const char *default_from;    /* $from when not given ("-30d") */
    const ipl_report_section *sections;
    size_t nsections;
} ipl_report_def;

size_t ipl_report_count(void);
const ipl_report_def *ipl_report_at(size_t i);
const ipl_report_def *ipl_report_find(const char *name);   /* NULL if unknown */

typedef enum ipl_report_format { IPL_RF_HTML, IPL_RF_CSV, IPL_RF_JSON } ipl_report_format;
int ipl_report_format_parse(const char *s, ipl_report_format *f);   /* IPL_OK / IPL_EINVAL */

typedef struct ipl_report_opts {
    int64_t             now;        /* µs: generated-at and what relative times count from */
    const ipl_tz       *tz;         /* times without an offset; NULL = UTC */
    const char         *tz_name;    /* its name, recorded in the report (NULL = UTC) */
    const ipl_ql_param *params;     /* from, to, the subject and any $name of a section */
    size_t              nparams;
    const char         *where;      /* filter for the filterable sections, or NULL */
    uint64_t            at_seq;     /* 0: any position; else the store must be at this seq */
    size_t              html_rows;  /* 0 = IPL_REPORT_HTML_ROWS */
    size_t              max_rows;   /* 0 = IPL_REPORT_MAX_ROWS */
} ipl_report_opts;

typedef struct ipl_report ipl_report;

/* Runs every section of def on t (one snapshot). Errors name the section; a parameter given but
 * used by no section, a missing or second subject, a position other than at_seq, a section over
 * max_rows are errors (nothing is cut silently). Returns owned, free with ipl_report_free. */
int  ipl_report_run(ipl_report **out, const ipl_report_def *def, ipl_rtxn *t,
                    const ipl_report_opts *o, ipl_diag *d);
void ipl_report_free(ipl_report *r);

/* Position and content digest of a run (hex, 64 characters). */
uint64_t    ipl_report_last_seq(const ipl_report *r);
const char *ipl_report_chain(const ipl_report *r);
const char *ipl_report_digest(const ipl_report *r);
/* Rows of section i (0 when skipped or i is past the last section). */
size_t      ipl_report_rows(const ipl_report *r, size_t i);
/* Value of row j, column named col of section i (NULL: no such column or no value). */
const char *ipl_report_value(const ipl_report *r, size_t i, size_t j, const char *col);

/* Writes the report through w (returns IPL_OK, or IPL_EIO when w failed). */
int ipl_report_render(const ipl_report *r, ipl_report_format f, ipl_write_fn w, void *wctx);

/* Escapes s for HTML text and attribute values (& < > " ') into w. */
int ipl_report_html_escape(const char *s, ipl_write_fn w, void *wctx);
/* Writes one CSV field (quoted when it holds , " CR LF or starts/ends with a blank). */
int ipl_report_csv_field(const char *s, ipl_write_fn w, void *wctx);

#endif
