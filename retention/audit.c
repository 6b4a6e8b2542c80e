/* retention/audit.c — audit events for the changes retention/ makes; see audit.h. */
#include "retention/audit.h"
#include "engine/err.h"
#include "retention/retention_int.h"

#include <string.h>
#include <time.h>

void ipl_actor_default(ipl_actor *a)
{
    memset(a, 0, sizeof *a);
    ipl_principal(a->principal, sizeof a->principal);
    ipl_hostname(a->host, sizeof a->host);
}

int64_t ipl_actor_now(const ipl_actor *a)
{
    if (a && a->clock)
        return a->clock();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int ipl_audit_commit(ipl_store *st, ipl_batch *b, const ipl_actor *a, unsigned kind,
                     const ipl_attr *attrs, size_t nattrs, uint64_t *seq, ipl_diag *d)
{
    ipl_event ev;
    ipl_commit_info info;
    int err;
    if (nattrs > IPL_ATTR_MAX)
        return ipl_diag_set(d, IPL_ELIMIT, "an audit event takes at most %d attributes",
                            IPL_ATTR_MAX);
    ipl_event_reset(&ev);
    ev.ts = ipl_actor_now(a);
    ev.kind = (uint16_t)kind;
    ev.user = a->principal;
    ev.server = a->host[0] ? a->host : NULL;
    ev.source = IPL_AUDIT_SOURCE;
    ev.line = 0;
    for (size_t i = 0; i < nattrs; i++) {
        size_t len = attrs[i].len;
        if (len > IPL_ATTR_VAL_MAX)   /* texts are capped by their builders: this only cuts */
            len = IPL_ATTR_VAL_MAX;
        if ((err = ipl_event_add_attr(&ev, attrs[i].key, attrs[i].val, len)))
            return ipl_diag_set(d, err, "cannot build the audit event: %s", ipl_strerror(err));
    }
    if ((err = ipl_batch_add(b, &ev, d)) || (err = ipl_store_commit(st, b, &info, d)))
        return err;
    if (seq)
        *seq = info.last_seq;
    return IPL_OK;
}

int ipl_audit_config(ipl_store *st, ipl_batch *b, const ipl_actor *a, const char *object,
                     const char *action, const char *reason, const char *message, uint64_t *seq,
                     ipl_diag *d)
{
    ipl_batch *own = NULL;
    ipl_attr at[4];
    size_t n = 0;
    int err;
    if (!b) {
        if ((err = ipl_batch_new(&own)))
            return ipl_diag_set(d, err, "out of memory");
        b = own;
    }
    const char *vals[4] = {object, action, reason, message};
    const unsigned keys[4] = {IPL_A_OBJECT, IPL_A_ACTION, IPL_A_REASON, IPL_A_MESSAGE};
    for (int i = 0; i < 4; i++)
        if (vals[i] && vals[i][0]) {
            at[n].key = (uint8_t)keys[i];
            at[n].val = vals[i];
            at[n].len = (uint32_t)strlen(vals[i]);
            n++;
        }
    err = ipl_audit_commit(st, b, a, IPL_K_CONFIG_CHANGE, at, n, seq, d);
    ipl_batch_free(own);
    return err;
}
