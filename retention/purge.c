/* retention/purge.c — the purge: bounded, resumable, audited; see purge.h.
 *
 * Progress record (kv "retention" / "purge"): a JSON text, then (written by ipl_store_delete in
 * the same transaction as each batch) the removal accumulator's state, IPL_PURGE_ACC_STATE bytes:
 *   {"v":1,"criteria":"...","action":"purge","reason":null,"principal":"os:alice",
 *    "started":"<µs>","chain_before":"<hex>","started_pos":1,"pos_ts":"<µs>","pos_seq":"<seq>",
 *    "examined":"n","protected":"n","batches":"n","marked":"<seq>",
 *    "sources":{"file:/x":"n",...},"sources_other":"n",
 *    "held":[{"id":3,"desc":"hold 3 (ip 10.0.0.0/8)","n":"12"}],"held_total":"n","rules":["n",...]}
 * Everything in it describes the state after the last committed batch.
 */
#include "retention/purge.h"
#include "engine/err.h"
#include "engine/maint.h"
#include "engine/sha256.h"
#include "engine/tz.h"
#include "retention/hold.h"
#include "retention/retention_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_NS  "retention"
#define PROGRESS_KEY "purge"
#define PROGRESS_MAX (((size_t)1 << 20) - IPL_PURGE_ACC_STATE)
#define DRY_STEP     50000          /* entries a dry run examines per read transaction */
#define BATCH_FULL   1              /* scan callback: the batch is full */

typedef struct pstate {
    ipl_store *st;
    const ipl_purge_opts *o;
    ipl_purge_report *r;
    ipl_criteria *crit;
    char *criteria;
    ipl_scan_pos pos;
    ipl_purge_acc acc;
    ipl_strcount sources;
    ipl_purge_held *held;
    size_t nheld, capheld;
    uint64_t *per_rule;
    size_t nrules;
    int64_t started;
    char principal[256], action[32], reason[1025], chain_before[65];
    int has_reason;
    uint64_t marked;            /* smallest seq the re-seal was marked from (0: none) */
    /* the current step */
    uint64_t *seqs;
    size_t nseq, cap;
    uint64_t batch_min;
    size_t span_cap;            /* events per transaction of a purge by time alone */
    uint64_t last_seq;          /* the log's last seq when the previous fast step ended */
    ipl_holdset *hs;
    uint8_t hit[IPL_HOLD_MAX];
} pstate;

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void ipl_purge_report_release(ipl_purge_report *r)
{
    if (!r)
        return;
    free(r->criteria);
    for (size_t i = 0; i < r->nsources; i++)
        free(r->sources[i].name);
    free(r->sources);
    free(r->held);
    free(r->per_rule);
    memset(r, 0, sizeof *r);
}

static void state_release(pstate *s)
{
    ipl_criteria_free(s->crit);
    free(s->criteria);
    ipl_strcount_release(&s->sources);
    free(s->held);
    free(s->per_rule);
    free(s->seqs);
    ipl_holdset_free(s->hs);
}

static int held_add(pstate *s, const ipl_hold *h, uint64_t n, ipl_diag *d)
{
    for (size_t i = 0; i < s->nheld; i++)
        if (s->held[i].id == h->id) {
            s->held[i].n += n;
            return IPL_OK;
        }
    if (s->nheld == s->capheld) {
        size_t cap = s->capheld ? s->capheld * 2 : 8;
        ipl_purge_held *p = realloc(s->held, cap * sizeof *p);
        if (!p)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        s->held = p;
        s->capheld = cap;
    }
    ipl_purge_held *e = &s->held[s->nheld++];
    memset(e, 0, sizeof *e);
    e->id = h->id;
    ipl_hold_describe(h, e->desc, sizeof e->desc);
    e->n = n;
    return IPL_OK;
}

static int held_cmp(const void *a, const void *b)
{
    const ipl_purge_held *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- the scan callback: one event of the window ---- */

typedef struct stepctx {
    pstate *s;
    ipl_diag *d;
} stepctx;

static int step_fn(void *ctx, const ipl_event *ev, int match)
{
    stepctx *x = ctx;
    pstate *s = x->s;
    ipl_purge_report *r = s->r;
    int err;
    r->examined++;
    if (match == -1)
        return IPL_OK;
    if (match == -2) {
        r->protected_purge_events++;
        return IPL_OK;
    }
    if (ipl_holdset_match(s->hs, ev, s->hit)) {
        r->held_total++;
        for (size_t i = 0; i < ipl_holdset_count(s->hs); i++)
            if (s->hit[i] && (err = held_add(s, ipl_holdset_hold(s->hs, i), 1, x->d)))
                return err;
        return IPL_OK;
    }
    if (ipl_strcount_add(&s->sources, ev->source, 1))
        return ipl_diag_set(x->d, IPL_ENOMEM, "out of memory");
    if (s->per_rule && (size_t)match < s->nrules)
        s->per_rule[match]++;
    if (r->dry_run) {
        r->count++;
        r->bytes += ipl_record_estimate(ev);
        r->per_kind[ev->kind & 0xff]++;
        if (!r->first_ts || ev->ts < r->first_ts)
            r->first_ts = ev->ts;
        if (ev->ts > r->last_ts)
            r->last_ts = ev->ts;
        return IPL_OK;
    }
    s->seqs[s->nseq++] = ev->seq;
    if (!s->batch_min || ev->seq < s->batch_min)
        s->batch_min = ev->seq;
    return s->nseq == s->cap ? BATCH_FULL : IPL_OK;
}

/* ---- the progress record ---- */

/* x: the outcome of a delete step not yet committed, counted in as if it were (the record is
 * written in the step's own transaction); NULL: the state as it is. */
static char *progress_json(const pstate *s, const ipl_purge_span *x)
{
    ipl_sb b;
    size_t n;
    ipl_scan_pos pos = s->pos;
    uint64_t examined = s->r->examined, prot = s->r->protected_purge_events,
             batches = s->r->batches, marked = s->marked, other = s->sources.other;
    if (x) {
        pos.started = 1;
        pos.ts = x->hi_ts;
        pos.seq = x->hi_seq;
        examined += x->examined;
        prot += x->protected_n;
        batches += x->removed ? 1 : 0;
        if (x->min_seq && (!marked || x->min_seq < marked))
            marked = x->min_seq;
        other += x->src_other;
    }
    ipl_sb_init(&b, PROGRESS_MAX);
    ipl_sb_puts(&b, "{\"v\":1,\"criteria\":");
    ipl_sb_json_str(&b, s->criteria);
    ipl_sb_puts(&b, ",\"action\":");
    ipl_sb_json_str(&b, s->action);
    ipl_sb_puts(&b, ",\"reason\":");
    ipl_sb_json_str(&b, s->has_reason ? s->reason : NULL);
    ipl_sb_puts(&b, ",\"principal\":");
    ipl_sb_json_str(&b, s->principal);
    ipl_sb_printf(&b, ",\"started\":\"%lld\",\"chain_before\":\"%s\",\"started_pos\":%d,"
                  "\"pos_ts\":\"%lld\",\"pos_seq\":\"%llu\",\"examined\":\"%llu\","
                  "\"protected\":\"%llu\",\"batches\":\"%llu\",\"marked\":\"%llu\",\"sources\":{",
                  (long long)s->started, s->chain_before, pos.started, (long long)pos.ts,
                  (unsigned long long)pos.seq, (unsigned long long)examined,
                  (unsigned long long)prot, (unsigned long long)batches,
                  (unsigned long long)marked);
    struct ipl_sc_slot *sl = ipl_strcount_sorted(&s->sources, &n);
    if (!sl) {
        ipl_sb_release(&b);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t add = 0;
        for (size_t j = 0; x && j < x->nsrc; j++)
            if (strcmp(x->src[j].name, sl[i].s) == 0)
                add += x->src[j].n;
        if (i)
            ipl_sb_puts(&b, ",");
        ipl_sb_json_str(&b, sl[i].s);
        ipl_sb_printf(&b, ":\"%llu\"", (unsigned long long)(sl[i].n + add));
    }
    /* the step's new sources, as ipl_strcount_add will count them after the commit */
    size_t added = 0;
    for (size_t j = 0; x && j < x->nsrc; j++) {
        size_t i = 0;
        while (i < n && strcmp(x->src[j].name, sl[i].s) != 0)
            i++;
        if (i < n)
            continue;
        if (s->sources.count + added >= s->sources.cap) {
            other += x->src[j].n;
            continue;
        }
        ipl_sb_puts(&b, n + added ? "," : "");
        ipl_sb_json_str(&b, x->src[j].name);
        ipl_sb_printf(&b, ":\"%llu\"", (unsigned long long)x->src[j].n);
        added++;
    }
    free(sl);
    ipl_sb_printf(&b, "},\"sources_other\":\"%llu\",\"held\":[", (unsigned long long)other);
    for (size_t i = 0; i < s->nheld; i++) {
        ipl_sb_printf(&b, "%s{\"id\":%u,\"desc\":", i ? "," : "", s->held[i].id);
        ipl_sb_json_str(&b, s->held[i].desc);
        ipl_sb_printf(&b, ",\"n\":\"%llu\"}", (unsigned long long)s->held[i].n);
    }
    ipl_sb_printf(&b, "],\"held_total\":\"%llu\",\"rules\":[",
                  (unsigned long long)s->r->held_total);
    for (size_t i = 0; i < s->nrules; i++)
        ipl_sb_printf(&b, "%s\"%llu\"", i ? "," : "", (unsigned long long)s->per_rule[i]);
    ipl_sb_puts(&b, "]}");
    if (b.err) {
        ipl_sb_release(&b);
        return NULL;
    }
    return ipl_sb_take(&b);
}

static int state_setup(pstate *s, const char *criteria, ipl_diag *d)
{
    int err;
    if (!(s->criteria = strdup(criteria)))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    if ((err = ipl_criteria_compile(criteria, &s->crit, d)))
        return err;
    const ipl_policy *p = ipl_criteria_policy(s->crit);
    if (p) {
        s->nrules = ipl_policy_nrules(p) + 1;
        if (!(s->per_rule = calloc(s->nrules, sizeof *s->per_rule)))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    return IPL_OK;
}

static int damaged(ipl_diag *d)
{
    return ipl_diag_set(d, IPL_ECORRUPT, "the purge progress record is damaged");
}

static int progress_load(pstate *s, const void *val, size_t n, ipl_diag *d)
{
    cJSON *j = NULL;
    int err;
    uint64_t v;
    if (n < IPL_PURGE_ACC_STATE)
        return damaged(d);
    if ((err = ipl_purge_acc_load(&s->acc, (const uint8_t *)val + n - IPL_PURGE_ACC_STATE,
                                  IPL_PURGE_ACC_STATE)))
        return ipl_diag_set(d, err, "the purge progress record is damaged (accumulator)");
    if ((err = ipl_rj_parse(val, n - IPL_PURGE_ACC_STATE, 4, "purge progress record", &j, d)))
        return err;
    const char *crit = ipl_rj_str(j, "criteria"), *action = ipl_rj_str(j, "action"),
               *reason = ipl_rj_str(j, "reason"), *who = ipl_rj_str(j, "principal"),
               *chain = ipl_rj_str(j, "chain_before");
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(j, "sources"),
                *held = cJSON_GetObjectItemCaseSensitive(j, "held"),
                *rules = cJSON_GetObjectItemCaseSensitive(j, "rules"),
                *sp = cJSON_GetObjectItemCaseSensitive(j, "started_pos");
    err = IPL_ECORRUPT;
    if (!crit || !action || !who || !chain || strlen(chain) != 64 || !cJSON_IsObject(sources) ||
        !cJSON_IsArray(held) || !cJSON_IsArray(rules) || !cJSON_IsNumber(sp) ||
        ipl_rj_i64(j, "started", &s->started) || ipl_rj_i64(j, "pos_ts", &s->pos.ts) ||
        ipl_rj_u64(j, "pos_seq", &s->pos.seq) || ipl_rj_u64(j, "examined", &s->r->examined) ||
        ipl_rj_u64(j, "protected", &s->r->protected_purge_events) ||
        ipl_rj_u64(j, "batches", &s->r->batches) || ipl_rj_u64(j, "marked", &s->marked) ||
        ipl_rj_u64(j, "sources_other", &s->sources.other) ||
        ipl_rj_u64(j, "held_total", &s->r->held_total)) {
        err = damaged(d);
        goto out;
    }
    s->pos.started = sp->valueint != 0;
    if ((err = state_setup(s, crit, d)))
        goto out;
    snprintf(s->action, sizeof s->action, "%s", action);
    snprintf(s->principal, sizeof s->principal, "%s", who);
    snprintf(s->chain_before, sizeof s->chain_before, "%s", chain);
    if ((s->has_reason = reason != NULL))
        snprintf(s->reason, sizeof s->reason, "%s", reason);
    for (const cJSON *c = sources->child; c; c = c->next) {
        if (ipl_rj_u64(sources, c->string, &v)) {
            err = damaged(d);
            goto out;
        }
        if (ipl_strcount_add(&s->sources, c->string, v)) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (const cJSON *c = held->child; c; c = c->next) {
        ipl_hold h;
        const char *desc = ipl_rj_str(c, "desc");
        uint64_t id;
        if (!desc || ipl_rj_u64(c, "id", &id) || ipl_rj_u64(c, "n", &v) || id > UINT32_MAX) {
            err = damaged(d);
            goto out;
        }
        memset(&h, 0, sizeof h);
        h.id = (uint32_t)id;
        if ((err = held_add(s, &h, v, d)))
            goto out;
        snprintf(s->held[s->nheld - 1].desc, sizeof s->held[0].desc, "%s", desc);
    }
    size_t i = 0;
    for (const cJSON *c = rules->child; c; c = c->next, i++) {
        if (i >= s->nrules || !cJSON_IsString(c)) {
            err = damaged(d);
            goto out;
        }
        s->per_rule[i] = strtoull(c->valuestring, NULL, 10);
    }
    err = IPL_OK;
out:
    cJSON_Delete(j);
    return err;
}

int ipl_purge_pending(ipl_rtxn *t, char **criteria, uint64_t *removed, ipl_diag *d)
{
    const void *v;
    size_t n;
    cJSON *j = NULL;
    ipl_purge_acc acc;
    int err;
    *criteria = NULL;
    *removed = 0;
    if (ipl_store_kv_get(t, PROGRESS_NS, PROGRESS_KEY, &v, &n) != IPL_OK)
        return IPL_ENOTFOUND;
    if (n < IPL_PURGE_ACC_STATE ||
        ipl_purge_acc_load(&acc, (const uint8_t *)v + n - IPL_PURGE_ACC_STATE, IPL_PURGE_ACC_STATE))
        return ipl_diag_set(d, IPL_ECORRUPT, "the purge progress record is damaged");
    if ((err = ipl_rj_parse(v, n - IPL_PURGE_ACC_STATE, 4, "purge progress record", &j, d)))
        return err;
    const char *c = ipl_rj_str(j, "criteria");
    if (!c)
        err = ipl_diag_set(d, IPL_ECORRUPT, "the purge progress record is damaged");
    else if (!(*criteria = strdup(c)))
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    *removed = acc.count;
    cJSON_Delete(j);
    return err;
}

/* ---- the audit event ---- */

/* The criteria as recorded in the event: the policy text is left out when it would not fit (its
 * SHA-256 stays). */
static char *criteria_attr(const char *c)
{
    if (strlen(c) <= IPL_ATTR_VAL_MAX)
        return strdup(c);
    const char *p = strstr(c, ",\"policy\":\""), *q = p ? strstr(p, "\",\"policy_sha256\":") : NULL;
    ipl_sb b;
    ipl_sb_init(&b, IPL_ATTR_VAL_MAX);
    if (p && q) {
        ipl_sb_put(&b, c, (size_t)(p - c));
        ipl_sb_printf(&b, ",\"policy\":\"(%zu bytes: too long for the record; see policy_sha256)",
                      (size_t)(q - p));
        ipl_sb_puts(&b, q);
    }
    if (b.err || !p || !q) {
        ipl_sb_release(&b);
        return strdup("{\"note\":\"criteria too long to record\"}");
    }
    return ipl_sb_take(&b);
}

static char *kinds_json(const uint64_t *per_kind)
{
    ipl_sb b;
    int first = 1;
    ipl_sb_init(&b, IPL_ATTR_VAL_MAX);
    ipl_sb_puts(&b, "{");
    for (unsigned k = 0; k < 256; k++)
        if (per_kind[k]) {
            ipl_sb_printf(&b, "%s\"%s\":%llu", first ? "" : ",", ipl_kind_name(k),
                          (unsigned long long)per_kind[k]);
            first = 0;
        }
    ipl_sb_puts(&b, "}");
    return b.err ? (ipl_sb_release(&b), NULL) : ipl_sb_take(&b);
}

/* Sources by count; those that do not fit in an attribute are summed up under "(N more)". */
static char *sources_json(const ipl_purge_report *r)
{
    ipl_sb b;
    ipl_sb_init(&b, IPL_ATTR_VAL_MAX);
    ipl_sb_puts(&b, "{");
    size_t i = 0;
    uint64_t rest = r->sources_other;
    for (; i < r->nsources; i++) {
        size_t mark = b.n;
        ipl_sb_puts(&b, i ? "," : "");
        ipl_sb_json_str(&b, r->sources[i].name);
        ipl_sb_printf(&b, ":%llu", (unsigned long long)r->sources[i].n);
        if (b.err || b.n > IPL_ATTR_VAL_MAX - 64) {
            b.err = 0;
            b.n = mark;
            b.p[b.n] = '\0';
            break;
        }
    }
    size_t more = r->nsources - i;
    for (; i < r->nsources; i++)
        rest += r->sources[i].n;
    if (rest)
        ipl_sb_printf(&b, "%s\"(%zu more sources)\":%llu", b.n > 1 ? "," : "",
                      more + (r->sources_other ? 1 : 0), (unsigned long long)rest);
    ipl_sb_puts(&b, "}");
    return b.err ? (ipl_sb_release(&b), NULL) : ipl_sb_take(&b);
}

static char *held_json(const ipl_purge_report *r)
{
    ipl_sb b;
    ipl_sb_init(&b, IPL_ATTR_VAL_MAX);
    ipl_sb_printf(&b, "{\"total\":%llu", (unsigned long long)r->held_total);
    for (size_t i = 0; i < r->nheld && b.n < IPL_ATTR_VAL_MAX - 64; i++)
        ipl_sb_printf(&b, ",\"%u\":%llu", r->held[i].id, (unsigned long long)r->held[i].n);
    ipl_sb_puts(&b, "}");
    return b.err ? (ipl_sb_release(&b), NULL) : ipl_sb_take(&b);
}

static int record_event(pstate *s, ipl_diag *d)
{
    ipl_purge_report *r = s->r;
    ipl_batch *b = NULL;
    char count[24], bytes[24], span[2 * IPL_TIME_BUF + 4], t1[IPL_TIME_BUF], t2[IPL_TIME_BUF];
    char *crit = criteria_attr(s->criteria), *kinds = kinds_json(r->per_kind),
         *srcs = sources_json(r), *held = held_json(r);
    ipl_sb msg;
    int err;
    ipl_sb_init(&msg, IPL_ATTR_VAL_MAX);
    snprintf(count, sizeof count, "%llu", (unsigned long long)r->count);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)r->bytes);
    span[0] = '\0';
    if (r->count) {
        ipl_time_format(r->first_ts, t1, sizeof t1);
        ipl_time_format(r->last_ts, t2, sizeof t2);
        snprintf(span, sizeof span, "%s..%s", t1, t2);
    }
    ipl_sb_printf(&msg, "%s removed %llu events (%llu record bytes)%s%s; %llu kept by legal holds; "
                  "%llu purge records spared", s->action, (unsigned long long)r->count,
                  (unsigned long long)r->bytes, r->count ? " from " : "", span,
                  (unsigned long long)r->held_total, (unsigned long long)r->protected_purge_events);
    const ipl_policy *p = ipl_criteria_policy(s->crit);
    for (size_t i = 0; p && i < s->nrules; i++) {
        if (i < ipl_policy_nrules(p))
            ipl_sb_printf(&msg, "; rule %zu: %llu", i + 1, (unsigned long long)s->per_rule[i]);
        else
            ipl_sb_printf(&msg, "; default: %llu", (unsigned long long)s->per_rule[i]);
    }
    if (r->resumed)
        ipl_sb_puts(&msg, "; resumed after an interruption");
    if (msg.err) {                 /* a very long rule list: the counts are cut, the rest stands */
        msg.err = 0;
    }
    if (!crit || !kinds || !srcs || !held || !msg.p) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    ipl_attr at[16];
    size_t n = 0;
#define ATTR(k, v) do { at[n].key = (uint8_t)(k); at[n].val = (v); at[n].len = (uint32_t)strlen(v); n++; } while (0)
    ATTR(IPL_A_ACTION, s->action);
    ATTR(IPL_A_CRITERIA, crit);
    ATTR(IPL_A_COUNT, count);
    ATTR(IPL_A_BYTES, bytes);
    if (span[0])
        ATTR(IPL_A_SPAN, span);
    ATTR(IPL_A_PURGE_KINDS, kinds);
    ATTR(IPL_A_PURGE_SOURCES, srcs);
    ATTR(IPL_A_PURGE_HELD, held);
    ATTR(IPL_A_DIGEST, r->digest);
    ATTR(IPL_A_CHAIN_BEFORE, r->chain_before);
    ATTR(IPL_A_CHAIN_AFTER, r->chain_after);
    ATTR(IPL_A_MESSAGE, msg.p);
    if (s->has_reason && s->reason[0])
        ATTR(IPL_A_REASON, s->reason);
#undef ATTR
    if ((err = ipl_batch_new(&b))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    ipl_actor who = *s->o->actor;
    snprintf(who.principal, sizeof who.principal, "%s", s->principal);   /* who started it */
    if ((err = ipl_batch_kv_del(b, PROGRESS_NS, PROGRESS_KEY, d)) ||
        (err = ipl_audit_commit(s->st, b, &who, IPL_K_RETENTION_PURGE, at, n, &r->event_seq, d)))
        goto out;
out:
    ipl_batch_free(b);
    free(crit);
    free(kinds);
    free(srcs);
    free(held);
    ipl_sb_release(&msg);
    return err;
}

/* ---- the run ---- */

static int chain_head(ipl_store *st, char hex[65], ipl_diag *d)
{
    ipl_rtxn *t;
    ipl_store_stats s;
    int err = ipl_rtxn_begin(st, &t, d);
    if (!err && !(err = ipl_store_stats_get(t, &s, d)))
        ipl_hex32(s.chain, hex);
    ipl_rtxn_end(t);
    return err;
}

/* Copies the state into the report (at the end, and for progress). */
static int fill_report(pstate *s, ipl_diag *d)
{
    ipl_purge_report *r = s->r;
    size_t n;
    if (!r->dry_run) {
        r->count = s->acc.count;
        r->bytes = s->acc.bytes;
        r->first_ts = s->acc.first_ts;
        r->last_ts = s->acc.last_ts;
        memcpy(r->per_kind, s->acc.per_kind, sizeof r->per_kind);
        uint8_t dg[32];
        ipl_sha256_ctx c = s->acc.digest;
        ipl_sha256_final(&c, dg);
        ipl_hex32(dg, r->digest);
    }
    for (size_t i = 0; i < r->nsources; i++)
        free(r->sources[i].name);
    free(r->sources);
    r->sources = NULL;
    r->nsources = 0;
    struct ipl_sc_slot *sl = ipl_strcount_sorted(&s->sources, &n);
    if (!sl || !(r->sources = calloc(n ? n : 1, sizeof *r->sources))) {
        free(sl);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (!(r->sources[i].name = strdup(sl[i].s))) {
            free(sl);
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        }
        r->sources[i].n = sl[i].n;
        r->nsources++;
    }
    free(sl);
    r->sources_other = s->sources.other;
    free(r->held);
    r->held = NULL;
    r->nheld = 0;
    if (s->nheld) {
        if (!(r->held = malloc(s->nheld * sizeof *r->held)))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        memcpy(r->held, s->held, s->nheld * sizeof *r->held);
        r->nheld = s->nheld;
        qsort(r->held, r->nheld, sizeof *r->held, held_cmp);
    }
    free(r->per_rule);
    r->per_rule = NULL;
    r->nrules = 0;
    if (s->nrules) {
        if (!(r->per_rule = malloc(s->nrules * sizeof *r->per_rule)))
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        memcpy(r->per_rule, s->per_rule, s->nrules * sizeof *r->per_rule);
        r->nrules = s->nrules;
    }
    free(r->criteria);
    if (!(r->criteria = strdup(s->criteria)))
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    snprintf(r->action, sizeof r->action, "%s", s->action);
    snprintf(r->chain_before, sizeof r->chain_before, "%s", s->chain_before);
    return IPL_OK;
}

static int dry_run(pstate *s, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    int err, done = 0;
    stepctx x = {s, d};
    if ((err = ipl_rtxn_begin(s->st, &t, d)))
        return err;
    if ((err = ipl_criteria_prepare(s->crit, t, d)) ||
        (err = ipl_holdset_refresh(t, ipl_criteria_now(s->crit), &s->hs, d)))
        goto out;
    while (!done) {
        if ((err = ipl_criteria_scan(t, s->crit, &s->pos, DRY_STEP, step_fn, &x, &done, d)))
            goto out;
        if (!done && (err = ipl_rtxn_refresh(t, d)))    /* no read transaction pins pages long */
            goto out;
        if (s->o->progress) {
            s->r->seconds = 0;
            s->o->progress(s->o->progress_ctx, s->r);
        }
        if (s->o->stop && *s->o->stop) {
            s->r->stopped = 1;
            break;
        }
    }
out:
    ipl_rtxn_end(t);
    return err;
}

/* --pause: sleep a share of the step's time (at least `min_pct`) */
static void step_pause(pstate *s, double took, int min_pct)
{
    int pct = s->o->pause_pct > min_pct ? s->o->pause_pct : min_pct;
    if (pct > 0) {
        double p = took * pct / 100.0;
        struct timespec ts = {(time_t)p, (long)((p - (double)(time_t)p) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && !(s->o->stop && *s->o->stop))
            ;
    }
}

/* Aims the next step at IPL_PURGE_TXN_MS: a step that filled its batch (n entries) in `took`
 * seconds scales it; a step cut short by the end of a week leaves it. */
static void adapt(pstate *s, double took, size_t n)
{
    if (s->o->fixed_batch || n < s->cap / 2)
        return;
    double ms = took * 1000.0, f = ms > 0 ? IPL_PURGE_TXN_MS / ms : 2.0;
    f = f > 2.0 ? 2.0 : f < 0.5 ? 0.5 : f;
    size_t cap = (size_t)((double)s->cap * f);
    s->cap = cap < 1000 ? 1000 : cap > IPL_PURGE_BATCH_MAX ? IPL_PURGE_BATCH_MAX : cap;
}

/* ---- the fast step: a time window without holds, a week (or part of one) per transaction ---- */

static int fast_record(void *ctx, const ipl_purge_span *sp, char **rec, size_t *len, ipl_diag *d)
{
    pstate *s = ctx;
    if (!(*rec = progress_json(s, sp)))
        return ipl_diag_set(d, IPL_ELIMIT, "the purge progress record grew too large");
    *len = strlen(*rec);
    return IPL_OK;
}

/* Deletes from the position on, up to the end of its week or s->span_cap events (a week of
 * more in equal parts). *t is a read transaction, ended here before the write. */
static int fast_step(pstate *s, ipl_rtxn **t, int64_t wfrom, int64_t wto, int *done, ipl_diag *d)
{
    ipl_purge_span sp;
    ipl_ixcur *cur = NULL;
    ipl_ixent e;
    int64_t from = wfrom;
    uint64_t after = 0;
    int err = IPL_OK;
    memset(&sp, 0, sizeof sp);
    if (s->pos.started && s->pos.ts >= from) {
        from = s->pos.ts;
        after = s->pos.seq;
    }
    if (after >= IPL_PURGE_SEQ_ALL) {
        if (from == INT64_MAX)
            from = wto;
        from++;
        after = 0;
    }
    /* skip what holds nothing: the first time entry after the position (empty weeks cost no
     * transaction) */
    if (from > wto) {
        *done = 1;
        goto out;
    }
    if ((err = ipl_ixcur_open(*t, IPL_IX_TIME, NULL, NULL, from, wto, 0, &cur, d)))
        return err;
    while ((err = ipl_ixcur_next(cur, &e, d)) == IPL_OK && e.ts == from && e.seq <= after)
        ;
    ipl_ixcur_close(cur);
    if (err == IPL_ENOTFOUND) {
        *done = 1;
        err = IPL_OK;
        goto out;
    }
    if (err)
        return err;
    if (ipl_purge_week_start(e.ts) > from) {    /* a later week: from its start (so a week */
        from = ipl_purge_week_start(e.ts);      /* wholly in the window goes whole) */
        after = 0;
    }
    sp.from = from;
    sp.after_seq = after;
    sp.to = ipl_purge_week_end(from) < wto ? ipl_purge_week_end(from) : wto;
    sp.limit = s->span_cap;
    if (!s->o->fixed_batch) {
        /* a week of more than span_cap events goes in equal parts (the part's fixed cost, the
         * rewrite of the week's index pages, is paid per transaction): its entries counted per
         * time bucket, the edge buckets whole (an estimate on the high side) */
        uint64_t n = 0, c;
        for (uint64_t b = (uint64_t)from >> 32; b <= (uint64_t)sp.to >> 32; b++) {
            uint8_t kb[4] = {(uint8_t)(b >> 24), (uint8_t)(b >> 16), (uint8_t)(b >> 8), (uint8_t)b};
            if ((err = ipl_index_count(*t, IPL_IX_TIME, kb, &c, d)))
                return err;
            n += c;
        }
        uint64_t parts = (n + s->span_cap - 1) / s->span_cap;
        if (parts > 1)
            sp.limit = (size_t)((n + parts - 1) / parts);
    }
    sp.protect_kind = IPL_K_RETENTION_PURGE;
    /* another writer (an ingest) committed since the previous step, or held the writer lock when
     * this one began: it gets the lock for longer than this step's transaction after it (the
     * parts are long; see IPL_PURGE_YIELD_PCT) */
    uint64_t seen = ipl_store_last_seq(*t);
    int yield = s->last_seq && seen != s->last_seq;
    ipl_rtxn_end(*t);
    *t = NULL;
    double t0 = mono();
    if ((err = ipl_store_purge_span(s->st, &sp, &s->acc, PROGRESS_NS, PROGRESS_KEY, fast_record, s,
                                    d)))
        goto out;
    double took = mono() - t0;
    /* committed: the state follows (as progress_json counted it in) */
    s->r->delete_seconds += took;
    if (took > s->r->max_txn_seconds)
        s->r->max_txn_seconds = took;
    s->r->examined += sp.examined;
    s->r->protected_purge_events += sp.protected_n;
    if (sp.removed)
        s->r->batches++;
    if (sp.min_seq && (!s->marked || sp.min_seq < s->marked))
        s->marked = sp.min_seq;
    s->sources.other += sp.src_other;
    for (size_t i = 0; i < sp.nsrc; i++)
        if (ipl_strcount_add(&s->sources, sp.src[i].name, sp.src[i].n)) {
            err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
            goto out;
        }
    s->pos.started = 1;
    s->pos.ts = sp.hi_ts;
    s->pos.seq = sp.hi_seq;
    s->nseq = sp.removed;
    if (sp.done && sp.to >= wto)
        *done = 1;
    {   /* the log's end right after the commit: what an ingest adds during the pause counts */
        ipl_rtxn *t2;
        if (ipl_rtxn_begin(s->st, &t2, NULL) == IPL_OK) {
            s->last_seq = ipl_store_last_seq(t2);
            ipl_rtxn_end(t2);
        }
    }
    if (sp.lock_wait > 0.002)          /* the writer lock was held by someone else */
        yield = 1;
    step_pause(s, took, yield ? IPL_PURGE_YIELD_PCT : 0);
    if (!yield && !*done) {
        /* LMDB's writer mutex is not fair: a writer of another process that blocked on it during
         * this transaction would lose it again to the next one. A short grace lets it in; the next
         * step then sees its commit (or waits for its lock) and yields. */
        struct timespec g = {0, IPL_PURGE_GRACE_MS * 1000000L};
        nanosleep(&g, NULL);
    }
out:
    ipl_purge_span_release(&sp);
    return err;
}

/* One step: select under a shared hold lock, then delete. *done at the end of the window. */
static int real_step(pstate *s, int *done, ipl_diag *d)
{
    ipl_rtxn *t = NULL;
    int lockfd = -1, err;
    char *rec = NULL;
    stepctx x = {s, d};
    s->nseq = 0;
    s->batch_min = 0;
    if ((err = ipl_lock_file(ipl_store_dir(s->st), "hold.lock", IPL_LOCK_SH, &lockfd, d)))
        return err;
    if ((err = ipl_rtxn_begin(s->st, &t, d)) || (err = ipl_criteria_prepare(s->crit, t, d)) ||
        (err = ipl_holdset_refresh(t, ipl_criteria_now(s->crit), &s->hs, d)))
        goto out;
    int64_t wfrom, wto;
    if (!s->o->per_event && !ipl_holdset_count(s->hs) && ipl_criteria_window(s->crit, &wfrom, &wto)) {
        err = fast_step(s, &t, wfrom, wto, done, d);
        goto out;
    }
    size_t limit = s->cap * 4 > DRY_STEP ? s->cap * 4 : DRY_STEP;
    double t0 = mono();
    err = ipl_criteria_scan(t, s->crit, &s->pos, limit, step_fn, &x, done, d);
    ipl_rtxn_end(t);
    t = NULL;
    s->r->select_seconds += mono() - t0;
    if (err == BATCH_FULL)
        err = IPL_OK;
    if (err || !s->nseq)
        goto out;
    if (!s->marked || s->batch_min < s->marked) {
        if ((err = ipl_store_reseal_mark(s->st, s->batch_min, d)))
            goto out;
        s->marked = s->batch_min;
    }
    s->r->batches++;
    if (!(rec = progress_json(s, NULL))) {
        err = ipl_diag_set(d, IPL_ELIMIT, "the purge progress record grew too large");
        goto out;
    }
    t0 = mono();
    if ((err = ipl_store_delete(s->st, s->seqs, s->nseq, &s->acc, PROGRESS_NS, PROGRESS_KEY, rec,
                                strlen(rec), d)))
        goto out;
    double took = mono() - t0;
    s->r->delete_seconds += took;
    if (took > s->r->max_txn_seconds)
        s->r->max_txn_seconds = took;
    step_pause(s, took, 0);
    adapt(s, took, s->nseq);
out:
    ipl_rtxn_end(t);
    ipl_unlock_file(lockfd);
    free(rec);
    return err;
}

static int real_run(pstate *s, int resumed, ipl_diag *d)
{
    int err, done = 0;
    s->r->resumed = resumed;
    if (!resumed) {      /* the record exists before the first deletion (and marks the run) */
        ipl_batch *b = NULL;
        char *rec = progress_json(s, NULL);
        uint8_t acc[IPL_PURGE_ACC_STATE];
        ipl_sb v;
        ipl_sb_init(&v, (size_t)1 << 20);
        if (rec) {
            ipl_purge_acc_save(&s->acc, acc);
            ipl_sb_puts(&v, rec);
            ipl_sb_put(&v, (const char *)acc, sizeof acc);
        }
        err = !rec || v.err ? ipl_diag_set(d, IPL_ENOMEM, "out of memory") : ipl_batch_new(&b);
        if (!err && !(err = ipl_batch_kv_put(b, PROGRESS_NS, PROGRESS_KEY, v.p, v.n, d)))
            err = ipl_store_commit(s->st, b, NULL, d);
        ipl_batch_free(b);
        ipl_sb_release(&v);
        free(rec);
        if (err)
            return err;
    }
    while (!done) {
        if ((err = real_step(s, &done, d)))
            return err;
        if (s->o->progress) {
            if ((err = fill_report(s, d)))
                return err;
            s->o->progress(s->o->progress_ctx, s->r);
        }
        if (s->o->crash_after > 0 && (long)s->r->batches >= s->o->crash_after && s->nseq)
            raise(SIGKILL);   /* fault injection: die between two batches, as a killed process would */
        if (!done && s->o->stop && *s->o->stop) {
            s->r->stopped = 1;
            return fill_report(s, d);
        }
    }
    double t0 = mono();
    if ((err = ipl_store_reseal(s->st, 0, d)))
        return ipl_diag_prefix(d, "re-sealing the chain after the purge (rerun to finish)");
    s->r->reseal_seconds = mono() - t0;
    if ((err = chain_head(s->st, s->r->chain_after, d)) || (err = fill_report(s, d)))
        return err;
    return record_event(s, d);
}

int ipl_purge_run(ipl_store *st, const ipl_purge_opts *o, ipl_purge_report *r, ipl_diag *d)
{
    pstate s;
    ipl_rtxn *t = NULL;
    int lockfd = -1, err, resumed = 0;
    double t0 = mono();
    memset(&s, 0, sizeof s);
    memset(r, 0, sizeof *r);
    s.st = st;
    s.o = o;
    s.r = r;
    r->dry_run = o->dry_run;
    s.cap = o->batch ? o->batch : IPL_PURGE_BATCH;
    s.span_cap = o->batch ? o->batch : IPL_PURGE_SPAN_BATCH;
    if (s.span_cap > IPL_PURGE_SPAN_MAX)
        s.span_cap = IPL_PURGE_SPAN_MAX;
    if (s.cap > IPL_PURGE_BATCH_MAX)
        s.cap = IPL_PURGE_BATCH_MAX;
    if ((err = ipl_strcount_init(&s.sources, IPL_PURGE_SOURCES_MAX))) {
        ipl_diag_set(d, err, "out of memory");
        goto out;
    }
    ipl_purge_acc_init(&s.acc);
    snprintf(s.action, sizeof s.action, "%s", o->action ? o->action : "purge");
    if ((s.has_reason = o->reason != NULL))
        snprintf(s.reason, sizeof s.reason, "%s", o->reason);
    snprintf(s.principal, sizeof s.principal, "%s", o->actor->principal);
    s.started = ipl_actor_now(o->actor);
    if (o->dry_run) {
        if (!o->criteria) {
            err = ipl_diag_set(d, IPL_EINVAL, "a dry run needs criteria");
            goto out;
        }
        if ((err = state_setup(&s, o->criteria, d)) || (err = dry_run(&s, d)) ||
            (err = fill_report(&s, d)))
            goto out;
        goto out;
    }
    if ((err = ipl_lock_file(ipl_store_dir(st), "purge.lock", IPL_LOCK_EX | IPL_LOCK_NB, &lockfd, d))) {
        if (err == IPL_EBUSY)
            ipl_diag_set(d, IPL_EBUSY, "another purge, compaction or restore is running on store "
                         "'%s'", ipl_store_dir(st));
        goto out;
    }
    const void *v;
    size_t vn;
    if ((err = ipl_rtxn_begin(st, &t, d)))
        goto out;
    uint64_t reseal = ipl_store_reseal_pending(t);
    if (ipl_store_kv_get(t, PROGRESS_NS, PROGRESS_KEY, &v, &vn) == IPL_OK) {
        if ((err = progress_load(&s, v, vn, d)))
            goto out;
        if (o->criteria && !ipl_criteria_same(o->criteria, s.criteria)) {
            err = ipl_diag_set(d, IPL_EBUSY, "an interrupted purge with other criteria must be "
                               "finished first ('ipledger purge --resume')");
            goto out;
        }
        resumed = 1;
    } else if (!o->criteria) {
        ipl_rtxn_end(t);
        t = NULL;
        if (!reseal) {
            err = ipl_diag_set(d, IPL_ENOTFOUND, "no interrupted purge to finish");
            goto out;
        }
        /* deletions committed, the audit record too: only the re-seal was left */
        if ((err = ipl_store_reseal(st, 0, d)))
            goto out;
        r->resumed = 1;
        if ((err = chain_head(st, r->chain_after, d)))
            goto out;
        goto out;
    } else {
        if ((err = state_setup(&s, o->criteria, d)))
            goto out;
        ipl_rtxn_end(t);
        t = NULL;
        if ((err = chain_head(st, s.chain_before, d)))
            goto out;
    }
    ipl_rtxn_end(t);
    t = NULL;
    if (!(s.seqs = malloc(IPL_PURGE_BATCH_MAX * sizeof *s.seqs))) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    err = real_run(&s, resumed, d);
out:
    r->seconds = mono() - t0;
    ipl_rtxn_end(t);
    ipl_unlock_file(lockfd);
    state_release(&s);
    return err;
}
