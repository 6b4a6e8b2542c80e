/* queries/ql.h — the ipledger query language: one language for the CLI, the HTTP API and reports.
 *
 *   logons where user like "CONTOSO\adm*" since -30d | count by host
 *
 * Text -> lexer -> parser (fields and literals checked and typed against the source) -> planner
 * (the most selective index: ip, mac, host, user or time; estimates from the store) -> executor
 * (rows streamed into a callback; grouping stages bounded by a memory limit). The language is
 * documented, with how it runs, in docs/query-language.md.
 *
 * Lifecycle: ipl_ql_compile (no store: syntax, fields, literals, regexes, parameters) ->
 * ipl_ql_prepare (with a read transaction: dictionary ids, estimates, the access path; optional,
 * run does it) -> ipl_ql_run (once) -> ipl_ql_explain (the plan, with actual rows after a run)
 * -> ipl_ql_free. A compiled query borrows nothing from the caller (text and parameters are
 * copied); it is used by one thread at a time.
 *
 * Errors go into the diag: compile errors as "query:LINE:COL: message" followed by the query
 * line and a caret under the token; run-time limits with their own messages. Time is never read
 * here: relative times ("-7d") count from opts.now.
 */
#ifndef IPL_QL_H
#define IPL_QL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "queries/output.h"

#define IPL_QL_MAX_TEXT        16384   /* bytes of query text */
#define IPL_QL_MAX_DEPTH       32      /* nested parentheses and 'not' */
#define IPL_QL_MAX_PARAMS      64
#define IPL_QL_MEMORY_DEFAULT  ((size_t)256 << 20)  /* grouping and sorting stages together */
#define IPL_QL_REGEX_MATCH     1000000u  /* PCRE2 match limit (backtracking steps per value) */
#define IPL_QL_REGEX_DEPTH     10000u    /* PCRE2 depth limit (nested backtracking) */

typedef struct ipl_ql ipl_ql;

typedef struct ipl_ql_param {
    const char *name;          /* without the '$' */
    const char *value;         /* typed by where it is used, like a quoted literal */
} ipl_ql_param;

typedef struct ipl_ql_opts {
    int64_t             now;          /* µs: what relative times count from (required) */
    const ipl_tz       *tz;           /* zone of times written without an offset; NULL = UTC */
    const ipl_ql_param *params;
    size_t              nparams;
    size_t              max_memory;   /* bytes for grouping/sorting; 0 = IPL_QL_MEMORY_DEFAULT */
    uint32_t            regex_match_limit, regex_depth_limit;   /* 0 = the defaults above */
    const char         *name;         /* what error positions are prefixed with; NULL = "query" */
} ipl_ql_opts;

/* Compiles (returns owned, free with ipl_ql_free). Syntax, unknown fields, invalid literals
 * (CIDR, time, MAC, regex with PCRE2's message), missing or unused parameters and the limits on
 * length and nesting are reported here. */
int  ipl_ql_compile(ipl_ql **out, const char *text, size_t len, const ipl_ql_opts *o, ipl_diag *d);
void ipl_ql_free(ipl_ql *q);

/* The result columns (borrowed from q). */
const ipl_col *ipl_ql_cols(const ipl_ql *q, size_t *ncols);

/* Binds to the store seen by t: looks literals up in the dictionary, estimates each candidate
 * index and chooses the access path. ipl_ql_run calls it when it was not called. */
int  ipl_ql_prepare(ipl_ql *q, ipl_rtxn *t, ipl_diag *d);

/* Runs the query: every result row goes to fn as one string per column (NULL = no value),
 * valid until fn returns. json: the attrs column as a JSON object (else "key=value" pairs).
 * fn returns IPL_OK to go on, anything else stops the run and is returned. Streaming stages
 * keep memory constant; grouping stages fail with IPL_ELIMIT past opts.max_memory. */
typedef int (*ipl_ql_row_fn)(void *ctx, const char *const *vals);
int  ipl_ql_run(ipl_ql *q, ipl_rtxn *t, int json, ipl_ql_row_fn fn, void *ctx, ipl_diag *d);

/* The plan as text: access path, candidates with their estimates, each node with estimated
 * rows, and actual rows once the query has run. */
int  ipl_ql_explain(const ipl_ql *q, ipl_write_fn w, void *wctx);

/* Counters of the last run. */
typedef struct ipl_ql_stats {
    uint64_t index_entries;   /* entries read from the chosen index */
    uint64_t events_read;     /* event records decoded */
    uint64_t rows;            /* result rows */
} ipl_ql_stats;
void ipl_ql_stats_get(const ipl_ql *q, ipl_ql_stats *s);

/* ---- live filters (serve's tail: GET /api/v1/tail?q=QUERY) ----
 * A query of a source and a where clause (time clauses included), tested event by event as
 * events are committed. The matcher borrows q (free the matcher first); it may be used with a
 * different read transaction on each call (nothing read from one is kept for the next). */
typedef struct ipl_ql_matcher ipl_ql_matcher;
/* IPL_EINVAL naming what a live filter cannot have: stages ("| count"), track or the quarantine
 * and utilization sources. */
int  ipl_ql_matcher_new(ipl_ql *q, ipl_ql_matcher **out, ipl_diag *d);
/* kinds[k] = 1 for every kind the source reads (256 entries): a pre-filter for the caller. */
void ipl_ql_matcher_kinds(const ipl_ql_matcher *m, uint8_t kinds[256]);
/* *match = 1 when the event passes the source, the window and the where clause. */
int  ipl_ql_matcher_test(ipl_ql_matcher *m, ipl_rtxn *t, const ipl_rawev *ev, int *match,
                         ipl_diag *d);
void ipl_ql_matcher_free(ipl_ql_matcher *m);

/* Field names of a source, one per call of fn: track 0 events and the kind families, 1 track
 * rows, 2 quarantine rows, 3 utilization rows. */
typedef int (*ipl_ql_name_fn)(void *ctx, const char *name, const char *type);
int ipl_ql_fields(int track, ipl_ql_name_fn fn, void *ctx);
/* Source names with the kinds they read ("leases" -> "lease.*"). */
int ipl_ql_sources(ipl_ql_name_fn fn, void *ctx);

#endif
