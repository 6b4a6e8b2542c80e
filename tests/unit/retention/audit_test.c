/* tests/unit/retention/audit_test.c — the audit events of retention/ (retention/audit.c): an
 * administrator's change becomes an event with the acting principal as user, the host as server,
 * source "ipledger:retention" and ts from the actor's clock; its attributes are the object,
 * action, reason and message given (empty ones left out, over-long ones cut to the attribute
 * limit); kv writes in the same batch commit with it or not at all; more attributes than an
 * event holds are refused before anything is written.
 */
#include "tests/unit/queries/ql_small.h"

#include "retention/audit.h"

static int64_t frozen(void)
{
    int64_t v = 0;
    ipl_time_parse("2024-02-01T08:30:00Z", 20, NULL, &v, NULL);
    return v;
}

static ipl_actor actor(void)
{
    ipl_actor a;
    memset(&a, 0, sizeof a);
    snprintf(a.principal, sizeof a.principal, "os:auditor");
    snprintf(a.host, sizeof a.host, "admin-host");
    a.clock = frozen;
    return a;
}

#define FIELDS "| fields seq, time, kind, user, server, source, object, action, reason, message"

static void test_config(void)
{
    ipl_actor a = actor();
    ipl_diag d = {0};
    uint64_t seq = 0;
    CHECK_INT(ipl_audit_config(st, NULL, &a, "hold", "add", "case 4711", "ip 10.0.0.1", &seq, &d),
              IPL_OK);
    CHECK_INT(seq, 1);
    Q("events where kind = config.change " FIELDS,
      "1,2024-02-01T08:30:00Z,config.change,os:auditor,admin-host,ipledger:retention,hold,add,"
      "case 4711,ip 10.0.0.1\n");
    /* empty and absent texts are left out; no host: no server */
    a.host[0] = '\0';
    CHECK_INT(ipl_audit_config(st, NULL, &a, "store", "compact", "", NULL, &seq, &d), IPL_OK);
    CHECK_INT(seq, 2);
    Q("events where seq = 2 " FIELDS,
      "2,2024-02-01T08:30:00Z,config.change,os:auditor,-,ipledger:retention,store,compact,-,-\n");
}

static void test_batch_with_kv(void)
{
    ipl_actor a = actor();
    ipl_diag d = {0};
    ipl_batch *b = NULL;
    uint64_t seq = 0;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_batch_kv_put(b, "hold", "h1", "{\"x\":1}", 7, &d), IPL_OK);
    CHECK_INT(ipl_audit_config(st, b, &a, "hold", "add", NULL, NULL, &seq, &d), IPL_OK);
    ipl_batch_free(b);
    CHECK_INT(seq, 3);
    ipl_rtxn *t = NULL;
    const void *v = NULL;
    size_t n = 0;
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_kv_get(t, "hold", "h1", &v, &n), IPL_OK);
    CHECK(n == 7 && memcmp(v, "{\"x\":1}", 7) == 0);
    ipl_rtxn_end(t);

    /* too many attributes: refused, and the kv write of that batch is not committed */
    ipl_attr at[IPL_ATTR_MAX + 1];
    for (int i = 0; i <= IPL_ATTR_MAX; i++) {
        at[i].key = IPL_A_MESSAGE;
        at[i].val = "m";
        at[i].len = 1;
    }
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_batch_kv_put(b, "hold", "h2", "{}", 2, &d), IPL_OK);
    CHECK_INT(ipl_audit_commit(st, b, &a, IPL_K_CONFIG_CHANGE, at, IPL_ATTR_MAX + 1, &seq, &d),
              IPL_ELIMIT);
    CHECK(strstr(d.msg, "at most 16 attributes") != NULL);
    ipl_batch_free(b);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_store_kv_get(t, "hold", "h2", &v, &n), IPL_ENOTFOUND);
    CHECK_INT(ipl_store_last_seq(t), 3);
    ipl_rtxn_end(t);
}

static void test_long_text(void)
{
    ipl_actor a = actor();
    ipl_diag d = {0};
    uint64_t seq = 0;
    static char msg[IPL_ATTR_VAL_MAX + 100];
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    ipl_attr at = {IPL_A_MESSAGE, (uint32_t)strlen(msg), msg};
    ipl_batch *b = NULL;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_audit_commit(st, b, &a, IPL_K_RETENTION_PURGE, &at, 1, &seq, &d), IPL_OK);
    ipl_batch_free(b);
    CHECK_INT(seq, 4);
    /* cut to exactly IPL_ATTR_VAL_MAX bytes */
    Q("events where seq = 4 and message ~ /^m{4096}$/ | fields seq, kind", "4,retention.purge\n");
    Q("events where message ~ /m{4097}/ | fields seq", "");
}

int main(void)
{
    ipl_diag d = {0};
    snprintf(dir, sizeof dir, "/tmp/ipl-raudit-XXXXXX");
    if (!mkdtemp(dir) || ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return 1;
    }
    RUN(test_config);
    RUN(test_batch_with_kv);
    RUN(test_long_text);
    ipl_store_close(st);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
