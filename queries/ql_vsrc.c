/* queries/ql_vsrc.c — value-row sources of the query language besides track:
 *
 *   quarantine                 one row per quarantined line: qseq, time (when it was ingested),
 *                              source, line, offset, reason, raw (the line, at most 4 KiB)
 *   utilization [every STEP]   one row per block, subnet and range of the address space:
 *                              time, type, space, object, size, used, leased, pct, low, high,
 *                              state (low | normal | high against the object's thresholds),
 *                              at the end of the window (or now); with `every STEP`, one row per
 *                              object at since, since+STEP, ... up to the end of the window
 *
 * Both are read from the query's read transaction (the quarantine table; the asm view and the
 * lease history, queries/asm.h), filtered by the where clause and the time window (quarantine:
 * on its time; utilization: the instants), and pushed through the stages like track rows. */
#include "queries/ql_int.h"

#include <stdio.h>
#include <string.h>

#include "engine/err.h"
#include "queries/asm.h"

const ql_col ql_quarantine_cols[] = {
    {"qseq", QT_NUM, 0, -1},   {"time", QT_TIME, 0, -1},  {"source", QT_STR, 0, -1},
    {"line", QT_NUM, 0, -1},   {"offset", QT_NUM, 0, -1}, {"reason", QT_STR, 0, -1},
    {"raw", QT_STR, 0, -1},
};
const size_t ql_nquarantine_cols = sizeof ql_quarantine_cols / sizeof ql_quarantine_cols[0];

const ql_col ql_util_cols[] = {
    {"time", QT_TIME, 0, -1},  {"type", QT_STR, 0, -1},   {"space", QT_STR, 0, -1},
    {"object", QT_STR, 0, -1}, {"size", QT_ATTR, 0, -1},  {"used", QT_ATTR, 0, -1},
    {"leased", QT_NUM, 0, -1}, {"pct", QT_ATTR, 0, -1},   {"low", QT_ATTR, 0, -1},
    {"high", QT_ATTR, 0, -1},  {"state", QT_STR, 0, -1},
};
const size_t ql_nutil_cols = sizeof ql_util_cols / sizeof ql_util_cols[0];

/* Filters one value row with the where clause and pushes it; QL_STOP when the stages are done. */
static int emit(ql_exec *x, const ql_val *v)
{
    ipl_ql *q = x->q;
    ql_row r = {NULL, v};
    int m = 1, err;
    q->stats.index_entries++;
    if (q->where && (err = ql_eval(x, q->where, &q->src, &r, &m)))
        return err;
    if (!m)
        return IPL_OK;
    q->act_filter++;
    err = ql_push(x, x->ops, &r);
    ipl_arena_clear(&x->rowa);
    return err;
}

static void str(ql_val *v, const char *s, size_t n)
{
    v->null = !s;
    v->s = s;
    v->len = s ? (uint32_t)n : 0;
}

static int quarantine_row(void *ctx, const ipl_qentry *e)
{
    ql_exec *x = ctx;
    ipl_ql *q = x->q;
    if (q->has_window && (e->ingested < q->from || e->ingested > q->to))
        return IPL_OK;
    ql_val v[7];
    memset(v, 0, sizeof v);
    v[0].n = (int64_t)e->qseq;
    v[1].n = e->ingested;
    str(&v[2], e->source, e->source ? strlen(e->source) : 0);
    v[3].n = (int64_t)e->line;
    v[4].n = (int64_t)e->offset;
    str(&v[5], e->reason, e->reason ? strlen(e->reason) : 0);
    str(&v[6], e->raw, e->rawlen);
    return emit(x, v);
}

/* One utilization row of object o at `at` (numbers as text in buf). */
static int util_row(ql_exec *x, const ipl_asm_view *view, const ipl_asm_obj *o, int64_t at)
{
    ipl_asm_util u;
    double low, high;
    char b[5][48];
    int err = ipl_asm_utilization(x->t, view, o, at, &u, x->d);
    if (err)
        return err;
    ipl_asm_thresholds(o, &low, &high);
    snprintf(b[0], sizeof b[0], "%.0f", u.size);
    snprintf(b[1], sizeof b[1], "%.0f", u.used);
    snprintf(b[2], sizeof b[2], "%.2f", u.pct);
    snprintf(b[3], sizeof b[3], "%g", low);
    snprintf(b[4], sizeof b[4], "%g", high);
    const char *type = ipl_asm_type_name(ipl_asm_obj_type(o)), *space = ipl_asm_obj_space(o),
               *id = ipl_asm_obj_id(o);
    const char *state = u.pct < low ? "low" : u.pct > high ? "high" : "normal";
    ql_val v[11];
    memset(v, 0, sizeof v);
    v[0].n = at;
    str(&v[1], type, strlen(type));
    str(&v[2], space, strlen(space));
    str(&v[3], id, strlen(id));
    for (int i = 0; i < 2; i++)
        str(&v[4 + i], b[i], strlen(b[i]));
    v[6].n = (int64_t)u.leased;
    for (int i = 2; i < 5; i++)
        str(&v[5 + i], b[i], strlen(b[i]));
    str(&v[10], state, strlen(state));
    return emit(x, v);
}

static int scan_utilization(ql_exec *x)
{
    ipl_ql *q = x->q;
    ipl_asm_view *view = NULL;
    int64_t end = q->has_window && q->to < QL_TS_MAX ? q->to : q->o.now, start = end, step = 1;
    if (q->vsrc_step) {
        if (!q->has_window || q->from <= 0)
            return ipl_diag_set(x->d, IPL_EINVAL, "utilization every %lld s needs a start: add "
                                "since T", (long long)(q->vsrc_step / IPL_US_PER_SEC));
        start = q->from;
        step = q->vsrc_step;
        if (end >= start && (end - start) / step >= QL_VSRC_MAX_STEPS)
            return ipl_diag_set(x->d, IPL_ELIMIT, "utilization every: more than %d steps in the "
                                "window; use a longer step or a shorter window", QL_VSRC_MAX_STEPS);
    }
    int err = ipl_asm_view_load(x->t, &view, x->d);
    static const ipl_asm_type types[] = {IPL_ASM_BLOCK, IPL_ASM_SUBNET, IPL_ASM_RANGE};
    for (size_t k = 0; !err && k < sizeof types / sizeof types[0]; k++)
        for (size_t i = 0; !err && i < ipl_asm_count(view, types[k]); i++)
            for (int64_t at = start; !err && at <= end; at += step)
                err = util_row(x, view, ipl_asm_at(view, types[k], i), at);
    ipl_asm_view_free(view);
    return err;
}

int ql_scan_vsrc(ql_exec *x)
{
    int err;
    if (x->q->track_by == QL_SRC_QUARANTINE)
        err = ipl_store_quarantine(x->t, NULL, quarantine_row, x, x->d);
    else
        err = scan_utilization(x);
    return err == QL_STOP ? IPL_OK : err;
}
