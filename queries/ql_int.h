/* queries/ql_int.h — what the query-language files share (ql_lex.c, ql_parse.c, ql_expr.c,
 * ql_plan.c, ql_exec.c, ql_stage.c); not a public header.
 *
 *   text --ql_lex--> tokens --ql_parse--> source + predicate tree + stages (fields resolved,
 *   literals typed) --ql_plan--> access path (index, key ranges, time window) + residual filter
 *   --ql_exec--> rows pushed through the stage operators (ql_stage) into the caller's callback.
 *
 * Rows come in two shapes: event rows (an ipl_rawev: ids, not strings; the schema is every event
 * field and attribute) and value rows (an array of ql_val, one per column, after `fields`, an
 * aggregation, or from track). Everything a query allocates lives in its arena (q->arena) or
 * is owned by it and released by ipl_ql_free.
 */
#ifndef IPL_QL_INT_H
#define IPL_QL_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdint.h>

#include "engine/arena.h"
#include "engine/event.h"
#include "queries/ql.h"

/* ---- tokens ---------------------------------------------------------------------------------- */
#define QL_TOKENS(X)                         \
    X(QK_EOF,    "the end of the query")     \
    X(QK_WORD,   "a word")                   \
    X(QK_STRING, "a string")                 \
    X(QK_REGEX,  "a /regex/")                \
    X(QK_PARAM,  "a $parameter")             \
    X(QK_LPAREN, "'('")                      \
    X(QK_RPAREN, "')'")                      \
    X(QK_COMMA,  "','")                      \
    X(QK_PIPE,   "'|'")                      \
    X(QK_EQ,     "'='")                      \
    X(QK_NE,     "'!='")                     \
    X(QK_LT,     "'<'")                      \
    X(QK_LE,     "'<='")                     \
    X(QK_GT,     "'>'")                      \
    X(QK_GE,     "'>='")                     \
    X(QK_MATCH,  "'~'")                      \
    X(QK_NMATCH, "'!~'")

enum ql_tokkind {
#define QL_TOK_ENUM(name, text) name,
    QL_TOKENS(QL_TOK_ENUM)
#undef QL_TOK_ENUM
    QK__COUNT
};
const char *ql_tok_name(int kind);

typedef struct ql_tok {
    int         kind;
    uint32_t    off, len;      /* the token's bytes in the text */
    uint32_t    line, col;     /* 1-based; col in bytes */
    const char *val;           /* decoded value: string contents, regex pattern, param name,
                                  word text (NUL-terminated, in the query arena) */
    uint32_t    vlen;
    const char *flags;         /* regex flags ("" if none) */
} ql_tok;

/* ---- types, fields, operators, plan nodes ----------------------------------------------------- */
#define QL_TYPES(X)                  \
    X(QT_NUM,   "number")            \
    X(QT_TIME,  "time")              \
    X(QT_KIND,  "kind")              \
    X(QT_IP,    "address")           \
    X(QT_MAC,   "MAC address")       \
    X(QT_HEX,   "DUID")              \
    X(QT_STR,   "string")            \
    X(QT_ATTR,  "attribute")         \
    X(QT_ATTRS, "attribute bag")

enum ql_type {
#define QL_TYPE_ENUM(name, text) name,
    QL_TYPES(QL_TYPE_ENUM)
#undef QL_TYPE_ENUM
    QT__COUNT
};
const char *ql_type_name(int t);

/* The fields of an event; attributes follow as QF_ATTR + key (their names from event.h). */
#define QL_EVFIELDS(X)                          \
    X(QF_SEQ,    "seq",    QT_NUM,   0)         \
    X(QF_TIME,   "time",   QT_TIME,  0)         \
    X(QF_KIND,   "kind",   QT_KIND,  0)         \
    X(QF_IP,     "ip",     QT_IP,    0)         \
    X(QF_MAC,    "mac",    QT_MAC,   0)         \
    X(QF_DUID,   "duid",   QT_HEX,   0)         \
    X(QF_HOST,   "host",   QT_STR,   1)         \
    X(QF_USER,   "user",   QT_STR,   1)         \
    X(QF_SERVER, "server", QT_STR,   1)         \
    X(QF_SOURCE, "source", QT_STR,   0)         \
    X(QF_LINE,   "line",   QT_NUM,   0)         \
    X(QF_ATTRS,  "attrs",  QT_ATTRS, 0)

enum ql_field {
#define QL_FIELD_ENUM(name, text, type, ci) name,
    QL_EVFIELDS(QL_FIELD_ENUM)
#undef QL_FIELD_ENUM
    QF__CORE,
    QF_ATTR = 16,              /* QF_ATTR + attribute key (keys < 128) */
    QF__COUNT = QF_ATTR + 128
};

/* Comparison operators of a predicate leaf (negations are a NOT node above the leaf). */
#define QL_OPS(X)                 \
    X(QO_EQ,      "=")            \
    X(QO_LT,      "<")            \
    X(QO_LE,      "<=")           \
    X(QO_GT,      ">")            \
    X(QO_GE,      ">=")           \
    X(QO_IN,      "in")           \
    X(QO_BETWEEN, "between")      \
    X(QO_LIKE,    "like")         \
    X(QO_MATCH,   "~")            \
    X(QO_EXISTS,  "exists")

enum ql_cmp {
#define QL_OP_ENUM(name, text) name,
    QL_OPS(QL_OP_ENUM)
#undef QL_OP_ENUM
    QO__COUNT
};
const char *ql_op_name(int op);

/* Plan nodes: the access paths, then the stages. Defined once; explain and the executor use the
 * same names. */
#define QL_NODES(X)                                   \
    X(QN_SCAN_LOG,   "scan log",     "every event in log order") \
    X(QN_SCAN_TIME,  "scan ix.time", "time index over the window") \
    X(QN_SCAN_IP,    "scan ix.ip",   "address index, key ranges") \
    X(QN_SCAN_MAC,   "scan ix.mac",  "MAC/DUID index, keys") \
    X(QN_SCAN_HOST,  "scan ix.host", "host index, keys") \
    X(QN_SCAN_USER,  "scan ix.user", "user index, keys") \
    X(QN_EMPTY,      "empty",        "a literal the store has never seen: no rows") \
    X(QN_TRACK,      "track",        "IP -> lease chunks -> device -> users") \
    X(QN_FILTER,     "filter",       "the predicates the index does not answer") \
    X(QN_WHERE,      "where",        "a filter on the rows of the stage before") \
    X(QN_FIELDS,     "fields",       "projection and renaming") \
    X(QN_SORT,       "sort",         "sort (holds its rows)") \
    X(QN_LIMIT,      "limit",        "offset, then at most N rows") \
    X(QN_COUNT,      "count",        "one row: the number of rows") \
    X(QN_COUNT_BY,   "count by",     "rows per group, most first") \
    X(QN_TOP,        "top",          "the N largest groups") \
    X(QN_DISTINCT,   "distinct",     "each combination once, as first seen") \
    X(QN_FIRST,      "first",        "the earliest row per group") \
    X(QN_LAST,       "last",         "the latest row per group") \
    X(QN_TIMELINE,   "timeline",     "rows per time bucket (and group)")

enum ql_node {
#define QL_NODE_ENUM(name, text, help) name,
    QL_NODES(QL_NODE_ENUM)
#undef QL_NODE_ENUM
    QN__COUNT
};
const char *ql_node_name(int n);

/* ---- schemas ---------------------------------------------------------------------------------- */
typedef struct ql_col {
    const char *name;          /* output name (alias) */
    uint8_t     type;          /* enum ql_type */
    uint8_t     ci;            /* strings compared case-insensitively (host, user, server) */
    int         field;         /* the event field it came from, or -1 */
} ql_col;

typedef struct ql_schema {
    int     events;            /* 1: event rows (columns are event fields, any of QF__COUNT) */
    ql_col *cols;              /* value rows: the columns */
    size_t  ncols;
} ql_schema;

/* ---- values ----------------------------------------------------------------------------------- */
typedef struct ql_num {
    int     isint;
    int64_t i;
    double  f;
} ql_num;

typedef struct ql_val {
    uint8_t     null;
    uint8_t     isid;          /* the string is dictionary entry `id` (not resolved yet) */
    uint32_t    id;
    uint32_t    len;
    const char *s;             /* QT_STR, QT_ATTR, QT_HEX, QT_MAC text (len bytes) */
    int64_t     n;             /* QT_NUM, QT_TIME (INT64_MAX: "open"), QT_KIND */
    uint8_t     ip[16];        /* QT_IP */
} ql_val;

typedef struct ql_row {
    const ipl_rawev *ev;       /* event rows */
    const ql_val    *v;        /* value rows */
} ql_row;

/* ---- literals and predicates ----------------------------------------------------------------- */
typedef struct ql_range {      /* inclusive; for ip: 16-byte big-endian; for numbers and times */
    uint8_t lo[16], hi[16];
    int64_t nlo, nhi;
} ql_range;

typedef struct ql_lit {
    const char *text;          /* as written (decoded), NUL-terminated */
    uint32_t    len;
    int         isnum;
    ql_num      num;
    uint32_t    line, col;
} ql_lit;

enum ql_expr_kind { QE_AND, QE_OR, QE_NOT, QE_LEAF, QE_TRUE };

typedef struct ql_leaf {
    int       field;           /* event field, or column index of a value schema */
    uint8_t   type, ci;
    int       op;              /* enum ql_cmp */
    ql_lit   *lits;            /* the literals as written */
    size_t    nlits;
    /* compiled forms, by type */
    ql_range *ranges;          /* IP, NUM, TIME: the values matched (union of ranges) */
    size_t    nranges;
    uint8_t   kinds[32];       /* QT_KIND: bit per kind matched */
    const char **strs;         /* = and in: the strings (MAC/DUID canonical); ci compares fold */
    uint32_t   *slens;
    size_t      nstrs;
    pcre2_code *re;            /* QO_MATCH */
    pcre2_match_data *md;
    const char *pattern;       /* like: the glob; ~: the regex source (during parsing: flags) */
    /* per-query memo for dictionary strings: state of id (0 unknown, 1 no, 2 yes) */
    uint8_t  *memo;
    size_t    nmemo;
    uint32_t  line, col;       /* the field's position, for run-time errors */
    const char *fname;         /* the field's name as written */
    int       covered;         /* answered exactly by the access path: skipped by the filter */
    struct ql_leaf *next_leaf; /* every leaf of the query (ipl_ql.leaves), for ipl_ql_free */
} ql_leaf;

typedef struct ql_expr {
    int             kind;      /* enum ql_expr_kind */
    struct ql_expr *a, *b;     /* AND/OR: both; NOT: a */
    ql_leaf        *leaf;
} ql_expr;

/* ---- stages ----------------------------------------------------------------------------------- */
typedef struct ql_key {
    int      col;              /* in the input schema */
    int      desc;             /* sort */
} ql_key;

typedef struct ql_stage {
    int        node;           /* enum ql_node */
    uint32_t   line, col;
    ql_schema  in, out;
    ql_expr   *where;          /* QN_WHERE */
    ql_key    *keys;           /* fields, sort, group keys */
    size_t     nkeys;
    int64_t    n, offset;      /* limit/offset, top N */
    int64_t    width;          /* timeline bucket, µs */
    int        elided;         /* sort answered by the scan order */
    uint64_t   est, actual;
    int        has_est;
} ql_stage;

/* ---- the access path ------------------------------------------------------------------------- */
#define QL_TS_MAX ((INT64_C(1) << 56) - 1)

typedef struct ql_cand {       /* an index that could answer a leaf of the top-level AND */
    int       ix;              /* ipl_index */
    ql_leaf  *leaf;
    uint64_t  est;             /* prepare: entries in the keys and window */
    int       exact;           /* the index answers the leaf exactly */
    uint8_t  (*keys)[16];      /* prepare: key ranges [lo, hi] pairs (16 bytes for ip, 4 else) */
    size_t    nkeys;           /* number of ranges */
    int       empty;           /* no key exists: nothing matches */
} ql_cand;

struct ipl_ql {
    ipl_arena   arena;         /* everything of the query */
    char       *text;
    size_t      len;
    ipl_ql_opts o;             /* copied; params copied into the arena */
    const char *name;
    int        *param_used;
    /* source */
    int         track;         /* 1: track source */
    const char *source_name;
    uint8_t     kinds[32];     /* the kinds a family source reads */
    int         all_kinds;
    int         track_by;      /* ipl_index for track */
    ql_lit      track_lit;
    ql_range    track_range;   /* ip range for track ip in CIDR */
    int         track_isrange;
    const char *track_value;   /* canonical text */
    int64_t     vsrc_step;     /* utilization every STEP (µs); 0: one row per object */
    int64_t     from, to;      /* the time window: clauses and top-level time leaves */
    int         has_window, at_instant;
    ql_expr    *where;         /* the source's filter (head where + a leading where stage) */
    ql_leaf    *leaves;        /* every leaf allocated (they own PCRE2 programs and memos) */
    ql_schema   src;           /* the source's schema */
    ql_stage   *stages;
    size_t      nstages, capstages;
    ipl_col    *outcols;
    size_t      noutcols;
    /* plan */
    ql_cand    *cands;
    size_t      ncands;
    int         prepared;
    int         access;        /* enum ql_node: QN_SCAN_* / QN_EMPTY / QN_TRACK */
    ql_cand    *chosen;
    int         reverse;       /* scan backwards (sort time desc answered by the index) */
    int         ordered;       /* the stages need the rows in scan order */
    int         need_fetch;    /* rows need the event records (not only index ts/seq) */
    uint64_t    est_total, est_window, est_scan, est_filter;
    uint64_t    act_scan, act_filter;
    int         ran;
    ipl_ql_stats stats;
    int         leaves_left;   /* leaves of the filter not covered by the access path */
    uint32_t    max_id;        /* dictionary size at prepare */
};

/* ---- lexer (ql_lex.c) ------------------------------------------------------------------------ */
typedef struct ql_lexer {
    ipl_ql     *q;
    const char *s;
    size_t      len, pos;
    uint32_t    line, linestart;
    int         prev;          /* kind of the previous token (regex after ~) */
    ipl_diag   *d;
} ql_lexer;

void ql_lex_init(ql_lexer *lx, ipl_ql *q, ipl_diag *d);
int  ql_lex_next(ql_lexer *lx, ql_tok *t);
/* "NAME:LINE:COL: message\n  <the line>\n  <caret>" into d; returns code. */
int  ql_error_at(const ipl_ql *q, ipl_diag *d, int code, uint32_t line, uint32_t col,
                 const char *fmt, ...) IPL_PRINTF(6, 7);

/* ---- parser (ql_parse.c) --------------------------------------------------------------------- */
int ql_parse(ipl_ql *q, ipl_diag *d);
/* Source families: name -> kind glob. */
typedef struct ql_family {
    const char *name, *glob, *help;
} ql_family;
extern const ql_family ql_families[];
extern const size_t ql_nfamilies;
int ql_glob(const char *pat, size_t plen, const char *s, size_t n, int ci);
int ql_kind_glob(const char *glob, size_t len, uint8_t kinds[32]);   /* kinds matched, or 0 */

/* ---- values and predicates (ql_expr.c) ------------------------------------------------------- */
typedef struct ql_exec ql_exec;
int  ql_num_parse(const char *s, size_t n, ql_num *out);            /* 1 if s is a number */
int  ql_num_cmp(const ql_num *a, const ql_num *b);
/* Compiles the literal side of a leaf for its field's type; errors point at the literal. */
int  ql_leaf_compile(ipl_ql *q, ql_leaf *l, ipl_diag *d);
int  ql_eval(ql_exec *x, const ql_expr *e, const ql_schema *s, const ql_row *r, int *match);
/* A column's value of a row. */
int  ql_get(ql_exec *x, const ql_schema *s, const ql_row *r, int col, ql_val *v);
/* Text of a value (into the exec's row arena for non-borrowed text); NULL for null. */
const char *ql_text(ql_exec *x, int type, const ql_val *v, int json);
/* Total order of two values of one column (strings resolved; null last). */
int  ql_val_cmp(ql_exec *x, int type, int ci, const ql_val *a, const ql_val *b);
/* Makes v a sort key in place: strings resolved, case-folded into `a` for ci columns (then
 * compare them with ci = 0). */
int  ql_sortkey(ql_exec *x, ipl_arena *a, int type, int ci, ql_val *v);
/* Appends a group-key encoding of v (case folded for ci strings) to buf. */
int  ql_key_append(ql_exec *x, int type, int ci, const ql_val *v, uint8_t **buf, size_t *len,
                   size_t *cap);
/* The type and ci flag of event field f. */
int  ql_field_type(int f, uint8_t *type, uint8_t *ci);
const char *ql_field_name(int f);
int  ql_field_lookup(const char *name, size_t n);                  /* event field, or -1 */
void ql_expr_text(const ipl_ql *q, const ql_expr *e, const ql_schema *s, char *buf, size_t cap,
                  size_t *off);
void ql_leaf_release(ql_leaf *l);

/* ---- planner (ql_plan.c) --------------------------------------------------------------------- */
int  ql_plan_logical(ipl_ql *q, ipl_diag *d);     /* candidates, order needs, elisions */
double ql_selectivity(const ql_expr *e);

/* ---- executor (ql_exec.c, ql_stage.c) -------------------------------------------------------- */
#define QL_STOP 1              /* a stage has all it wants: the scan stops early (not an error) */

typedef struct ql_op ql_op;
struct ql_op {
    ql_stage *st;
    ql_op    *next;
    int     (*push)(ql_exec *x, ql_op *op, const ql_row *r);
    int     (*finish)(ql_exec *x, ql_op *op);
    void    (*release)(ql_op *op);
    void     *state;
    int       done;            /* returned QL_STOP once: ignores further rows */
};

struct ql_exec {
    ipl_ql     *q;
    ipl_rtxn   *t;
    ipl_diag   *d;
    int         json;
    ipl_ql_row_fn fn;
    void       *fctx;
    ipl_arena   rowa;          /* per output row */
    size_t      mem_used;      /* grouping/sorting bytes accounted against max_memory */
    size_t      mem_max;
    pcre2_match_context *mctx;
    /* dictionary strings resolved so far: id -> string in the map (valid for the transaction) */
    struct ql_dstr { const char *s; uint32_t len; } *dstr;
    size_t      ndstr;
    /* case folding of dictionary strings for grouping: raw id -> canonical id */
    uint32_t   *fold;
    size_t      nfold;
    struct ql_foldmap *foldmap;
    ql_op      *ops;           /* the first stage operator (or the sink) */
    ql_op       sink;
    const char **vals;
    uint64_t    seqno;         /* arrival number of value rows (first/last order) */
    int         no_dstr_cache; /* a live matcher: transactions change, so strings are not kept */
};

int  ql_exec_ops(ql_exec *x, ipl_diag *d);          /* builds the operator chain */

/* Value-row sources other than track (ql_vsrc.c). They reuse track's plan (q->track = 1: no index
 * choice, rows filtered by the where clause) with track_by naming the source. */
#define QL_SRC_QUARANTINE  100     /* the quarantine: lines that could not be parsed */
#define QL_SRC_UTILIZATION 101     /* address-space utilization of blocks, subnets, ranges */
#define QL_VSRC_MAX_STEPS  10000   /* points of one `utilization every` series */
extern const ql_col ql_quarantine_cols[];
extern const size_t ql_nquarantine_cols;
extern const ql_col ql_util_cols[];
extern const size_t ql_nutil_cols;
int  ql_scan_vsrc(ql_exec *x);
void ql_exec_ops_release(ql_exec *x);
int  ql_push(ql_exec *x, ql_op *op, const ql_row *r);   /* into op, honouring done */
int  ql_finish_all(ql_exec *x);
/* Accounts n bytes of grouping memory for stage st; IPL_ELIMIT with the stage's message. */
int  ql_mem(ql_exec *x, const ql_stage *st, size_t n);
uint32_t ql_fold_id(ql_exec *x, uint32_t id);
struct ql_foldmap;
void ql_foldmap_free(struct ql_foldmap *m);
/* Grows a zero-filled array indexed by dictionary id to hold `want` elements; the first
 * allocation is calloc'ed (large ones are mapped lazily, so an array sized to the whole
 * dictionary costs nothing until touched). Returns 0, or -1 (the array is unchanged). */
int  ql_grow_ids(void **p, size_t *n, size_t want, size_t elem);
int  ql_key_append_raw(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n);
const char *ql_dict(ql_exec *x, uint32_t id, uint32_t *len);

#endif
