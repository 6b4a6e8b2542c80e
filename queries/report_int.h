/* queries/report_int.h — what report.c (the runner) and report_render.c share; not public.
 *
 *   ipl_report ── def, params (all, copied), position, digest
 *        └── sec[def->nsections] ── query text, the params it names, columns,
 *                                   cells: nrows * ncols strings (NULL = no value), in r->arena
 */
#ifndef IPL_REPORT_INT_H
#define IPL_REPORT_INT_H

#include "engine/arena.h"
#include "queries/report.h"

typedef struct rpt_sec {
    const ipl_report_section *def;
    int          skipped;        /* its `needs` parameter was not given */
    char        *query;          /* the exact text run */
    size_t       nparams;
    const char **pnames, **pvals;
    ipl_col     *cols;
    size_t       ncols;
    const char **cells;          /* malloc'd array; strings in the arena */
    size_t       nrows, cap;
} rpt_sec;

struct ipl_report {
    const ipl_report_def *def;
    ipl_arena    arena;
    int64_t      now;
    size_t       nparams;
    const char **pnames, **pvals;   /* every parameter, defaults filled, sorted by name */
    const char  *where;
    const char  *tz_name;           /* NULL: UTC */
    uint64_t     last_seq;
    char         chain[65], digest[65];
    size_t       html_rows;
    rpt_sec     *sec;
};

#endif
