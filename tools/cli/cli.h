/* tools/cli/cli.h — what the ipledger command files share: the command table type, the common
 * options, and output helpers. Only tools/ writes to stdout and stderr. */
#ifndef IPL_CLI_H
#define IPL_CLI_H

#include <stdio.h>

#include "engine/diag.h"
#include "engine/store.h"
#include "engine/tz.h"
#include "queries/output.h"
#include "tools/cli/args.h"

typedef struct ipl_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} ipl_cmd;

extern const char *ipl_prog;

/* Prints "ipledger CMD: message" to stderr; returns code (1 runtime, 2 usage). */
int cli_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parses the arguments; on -h prints usage (with the option table) and returns -1; on an error
 * prints it and returns 2; else 0. */
int cli_args(const char *cmd, const char *usage, ipl_args *a, int argc, char **argv);
/* Opens the store named by --store / $IPLEDGER_STORE / the default. */
int cli_open_store(const char *cmd, const ipl_args *a, unsigned flags, ipl_store **st);
/* A time for --at/--from/--to: ISO 8601, a date, @epoch, "now" or relative "-7d" (zone from --tz
 * for times without an offset). */
int cli_time(const char *cmd, const char *opt, const char *text, const ipl_tz *tz, int64_t *us);
/* The --format option for results (default: table on a TTY, else ndjson... see cli.c). */
int cli_out_format(const char *cmd, const ipl_args *a, ipl_out_format *f);
int cli_write_stdout(void *ctx, const char *buf, size_t n);
/* "1,234,567" */
const char *cli_num(unsigned long long v, char *buf, size_t n);

#define CLI_STORE_OPT {"store", 1, "DIR  the store (default $IPLEDGER_STORE or ./" IPL_STORE_DEFAULT_DIR ")", NULL, {0}, 0}
#define CLI_FORMAT_OPT {"format", 1, "FMT  table, json, ndjson or csv (default: table on a terminal, ndjson otherwise)", NULL, {0}, 0}

int cmd_init(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_who(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_formats(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_track(int argc, char **argv);
int cmd_purge(int argc, char **argv);       /* cmd_retention.c */
int cmd_retention(int argc, char **argv);
int cmd_hold(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_asm(int argc, char **argv);         /* cmd_asm.c */
int cmd_serve(int argc, char **argv);       /* cmd_serve.c */
int cmd_tail(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_servers(int argc, char **argv);     /* cmd_servers.c: inventory, health */
int cmd_kea(int argc, char **argv);         /* cmd_kea.c: managing Kea DHCP servers */
int cmd_report(int argc, char **argv);      /* cmd_report.c: compliance reports */

/* API routes registered by `serve` from the files that own them (each returns IPL_OK or an error
 * in d): serve_servers.c (servers, health, probes on the loop's timers), serve_report.c
 * (reports), serve_console.c (the web console's files and the address-space read endpoints). */
struct ipl_server;
int serve_routes_servers(struct ipl_server *s, ipl_store *st, ipl_diag *d);
int serve_routes_report(struct ipl_server *s, ipl_store *st, ipl_diag *d);
int serve_routes_console(struct ipl_server *s, ipl_store *st, ipl_diag *d);

/* --geoip-db FILE... (cli_geoip.c): opens the databases in order; each that cannot be opened is
 * one warning through warn; NULL when none opened (enrichment off). Free with ipl_geoip_free. */
struct ipl_geoip;
struct ipl_geoip *cli_geoip_open(const char *const *files, size_t n,
                                 void (*warn)(void *ctx, const char *msg), void *ctx);
/* "geoip: N events enriched ..." or "geoip: enrichment off ..."; nothing when none requested. */
void cli_geoip_summary(FILE *f, const struct ipl_geoip *g, size_t requested);

#endif
