/* engine/parser.h — the contract between ingest and the parsers.
 *
 * A parser is a const table entry (libevent eventops[], curl's scheme table): pure code, bytes in,
 * events out, no I/O, no clock, no globals. Ingest frames the input into lines (the line terminator
 * and a trailing CR removed, NUL bytes left in place) and calls `line` once per line, in order;
 * the parser emits zero or more events through `emit`. Multi-line formats (lease files, XML
 * documents, RADIUS detail blocks) keep what they need in their state.
 *
 * Errors: `line` returns IPL_OK, or a negative code with the diag set to the reason; ingest then
 * quarantines the line with source, line number and that reason, and goes on. A parser never
 * aborts the stream: after an error it must be ready for the next line.
 *
 * Lifetimes: strings an emitted event points to must stay valid until `emit` returns; use the
 * line itself or ctx->arena (ingest clears the arena between lines, never during a call).
 *
 * The registry of all parsers lives in parsers/ (parsers/parser.h); the engine only sees this
 * interface, so nothing in engine/ depends on a particular format.
 */
#ifndef IPL_ENGINE_PARSER_H
#define IPL_ENGINE_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/event.h"
#include "engine/tz.h"

typedef struct ipl_parse_ctx {
    const ipl_tz *tz;          /* the producer's zone for local timestamps (never NULL) */
    const char   *server;      /* --server NAME given by the user, or NULL */
    const char   *file_name;   /* base name of the source file ("DhcpV6SrvLog-Mon.log"), or NULL */
    ipl_arena    *arena;       /* scratch for the current line's strings */
    int64_t       last_ts;     /* UTC µs of the source's previous local-time event (0 = none):
                                  ipl_tz_resolve uses and updates it; ingest persists it with the
                                  source position so a rerun resolves DST overlaps identically */
    int           year_hint;   /* for formats without a year (RFC 3164): the year to assume when
                                  nothing else says (0 = derive from `now`) */
    int64_t       now;         /* UTC µs "now" as ingest saw it when the source was opened: the
                                  parser's only clock (year inference); tests freeze it */
} ipl_parse_ctx;

/* Receives one event; returns IPL_OK or an error that stops the current line (it is quarantined). */
typedef int (*ipl_emit_fn)(void *emit_ctx, const ipl_event *ev);

typedef struct ipl_parser {
    const char *name;          /* "mswin-dhcp": the --format spelling */
    const char *summary;       /* one line for `ipledger formats` */
    size_t      state_size;    /* bytes of per-stream state (zeroed, then init) */
    /* Scores a sample (the first bytes of the input, up to 64 KiB): 0 = not this format,
     * 100 = certain. Pure and fast. */
    int  (*probe)(const char *sample, size_t len);
    void (*init)(void *state, ipl_parse_ctx *ctx);                       /* may be NULL */
    int  (*line)(void *state, ipl_parse_ctx *ctx, const char *line, size_t len,
                 ipl_emit_fn emit, void *emit_ctx, ipl_diag *d);
    /* End of input: flush a pending record. May be NULL. */
    int  (*finish)(void *state, ipl_parse_ctx *ctx, ipl_emit_fn emit, void *emit_ctx, ipl_diag *d);
    /* 1 while a multi-line record is half read (ingest then does not commit a source position
     * there). NULL means always 0. */
    int  (*pending)(const void *state);
    void (*release)(void *state);                                        /* may be NULL */
} ipl_parser;

/* Best-scoring parser of `n` candidates for a sample, or NULL when every score is 0; `tried`
 * receives the names of all candidates probed ("mswin-dhcp, kea-csv") for the error message. */
const ipl_parser *ipl_parser_best(const ipl_parser *const *cands, size_t n, const char *sample,
                                  size_t len, int *score, char *tried, size_t tried_len);

#endif
