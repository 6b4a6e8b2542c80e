/* queries/output.h — result rows to text: aligned table, JSON, NDJSON or CSV (RFC 4180).
 *
 * Streaming: rows are written as they come, never collected (no row cap). The table format
 * measures column widths on the first IPL_OUT_TABLE_SAMPLE rows, then streams the rest with those
 * widths (a longer value widens its own line only). Output goes through a write callback: the
 * library never touches a FILE or a socket itself.
 */
#ifndef IPL_OUTPUT_H
#define IPL_OUTPUT_H

#include <stddef.h>

typedef enum ipl_out_format { IPL_OUT_TABLE, IPL_OUT_JSON, IPL_OUT_NDJSON, IPL_OUT_CSV } ipl_out_format;
typedef enum ipl_col_type { IPL_COL_STR, IPL_COL_NUM, IPL_COL_JSON } ipl_col_type;

typedef struct ipl_col {
    const char  *name;
    ipl_col_type type;      /* NUM and JSON values are written unquoted in JSON */
} ipl_col;

/* Returns the number of bytes accepted (== n) or -1 on a write error. */
typedef int (*ipl_write_fn)(void *ctx, const char *buf, size_t n);

#define IPL_OUT_TABLE_SAMPLE 1000

typedef struct ipl_out ipl_out;

int  ipl_out_format_parse(const char *s, ipl_out_format *f);   /* IPL_OK / IPL_EINVAL */
/* cols are borrowed and must outlive the writer. */
int  ipl_out_new(ipl_out **out, ipl_out_format f, const ipl_col *cols, size_t ncols,
                 ipl_write_fn w, void *wctx);
/* vals[i] may be NULL (empty; null in JSON). Values are copied as needed. */
int  ipl_out_row(ipl_out *o, const char *const *vals);
int  ipl_out_end(ipl_out *o);       /* flushes; closes the JSON array */
void ipl_out_free(ipl_out *o);
unsigned long long ipl_out_rows(const ipl_out *o);

/* JSON string escaping into buf (always NUL-terminated); returns the length it needed. */
size_t ipl_json_escape(const char *s, size_t n, char *buf, size_t cap);

#endif
