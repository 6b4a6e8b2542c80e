/* engine/ingest.h — streaming ingest: source -> lines -> parser -> events -> batches -> store.
 *
 * Exactly once. Each source (a file, by its real path; or a named stdin stream) has a position
 * committed in the same transaction as the events it produced. A rerun resumes there, so
 * ingesting the same file twice adds nothing and a grown file adds only its new lines. A file is
 * recognised as *the same file grown* when the SHA-256 of its first bytes (up to 4 KiB) and of
 * the 256 bytes before the recorded offset still match and it is not shorter than the offset;
 * otherwise it is a new generation (Windows' weekly overwrite of DhcpSrvLog-Mon.log, a truncated
 * or rotated file) and is read from the start. A process killed anywhere loses only an
 * uncommitted batch, which the rerun reads again: the store ends identical (same events, same
 * sequence numbers, same chain head) to an uninterrupted run.
 *
 * Framing. Lines end with LF (CRLF and a lone trailing CR accepted). A line longer than
 * IPL_LINE_MAX is quarantined (its first 4 KiB kept) and skipped to its end. A last line without
 * its LF is left for the next run (the writer may still be writing it), except on stdin.
 * Memory is bounded by the batch size and the read buffer, whatever the input size.
 */
#ifndef IPL_INGEST_H
#define IPL_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/parser.h"
#include "engine/store.h"
#include "engine/tz.h"

#define IPL_LINE_MAX   (64 * 1024)
#define IPL_SAMPLE_MAX (64 * 1024)

typedef struct ipl_ingest_progress {
    uint64_t bytes_done, bytes_total;
    uint64_t events, quarantined;
    double   seconds;
    const char *current;            /* path being read */
} ipl_ingest_progress;

typedef struct ipl_ingest_opts {
    const ipl_parser *parser;               /* NULL: detect per file among `candidates` */
    const ipl_parser *const *candidates;
    size_t ncandidates;
    const ipl_tz *tz;                       /* producer's zone; NULL = UTC */
    const char *server;                     /* --server, or NULL */
    const char *stdin_name;                 /* source name for "-" (default "stdin") */
    int year;                               /* --year: the year of RFC 3164 lines (0 = infer) */
    size_t batch_events;                    /* default 65536; a commit may span several files */
    int release_map;                        /* after each commit, drop the store's mapped pages
                                               from this process (bulk loads: keeps RSS flat) */
    void (*progress)(void *ctx, const ipl_ingest_progress *p);  /* about twice a second */
    void *progress_ctx;
    volatile sig_atomic_t *stop;            /* when set: commit what is parsed and return */
    struct ipl_geoip *geoip;                /* borrowed; enriches client addresses of logon and
                                               RADIUS events (engine/geoip.h); NULL = off */
    /* fault injection for tests: exit the process abruptly (no commit) after this many commits */
    long crash_after_commits;
} ipl_ingest_opts;

typedef struct ipl_ingest_stats {
    uint64_t files, files_unchanged, files_new_generation, files_failed;
    uint64_t bytes, lines, events, quarantined, commits;
    uint64_t pending_partial;               /* files whose incomplete last line was left */
    double   seconds;
} ipl_ingest_stats;

/* Ingests a file, a directory (recursively, in name order) or "-" (stdin). Errors about one file
 * inside a directory (unreadable, undetectable format) are counted in files_failed and reported
 * through `warn` (may be NULL), and the walk goes on; errors about the path itself or the store
 * are returned. */
typedef void (*ipl_warn_fn)(void *ctx, const char *msg);
int ipl_ingest_path(ipl_store *st, const char *path, const ipl_ingest_opts *opts,
                    ipl_ingest_stats *stats, ipl_warn_fn warn, void *warn_ctx, ipl_diag *d);

#endif
