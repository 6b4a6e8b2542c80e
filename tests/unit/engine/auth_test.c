/* tests/unit/engine/auth_test.c — engine/api/auth.c: permission lists, built-in and custom roles,
 * token create/auth/revoke/list (hashed, expiring, names unique), scope paths, the scope tree
 * (longest assigned prefix wins, children inherit), and the config.change event of each write. */
#include "../check.h"
#include "engine/api/api.h"
#include "engine/err.h"
#include "engine/store.h"
#include "engine/tz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 (INT64_C(1714521600) * IPL_US_PER_SEC)

static char dir[64];
static ipl_store *st;

static void admin(ipl_principal *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "test:admin");
    p->perms = IPL_PERM_ALL;
    p->global = 1;
}

static void test_perms(void)
{
    unsigned p = 0;
    ipl_diag d = {0};
    CHECK_INT(ipl_perm_parse("read, audit", &p, &d), IPL_OK);
    CHECK_INT(p, IPL_PERM_READ | IPL_PERM_AUDIT);
    CHECK_INT(ipl_perm_parse("read,fly", &p, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "'fly'") != NULL);
    CHECK_STR(ipl_perm_name(IPL_PERM_PURGE), "purge");
    CHECK(ipl_perm_name(IPL_PERM_PURGE | IPL_PERM_READ) == NULL);
    CHECK_INT(ipl_role_builtin("Reader", &p), IPL_OK);
    CHECK_INT(p, IPL_PERM_READ);
    CHECK_INT(ipl_role_builtin("IP Audit Administrator", &p), IPL_OK);
    CHECK(p & IPL_PERM_AUDIT);
    CHECK(!(p & IPL_PERM_PURGE));
    CHECK_INT(ipl_role_builtin("Administrator", &p), IPL_OK);
    CHECK_INT(p, IPL_PERM_ALL);
    CHECK_INT(ipl_role_builtin("Root", &p), IPL_ENOTFOUND);
}

static void test_scope_paths(void)
{
    CHECK(ipl_scope_valid("\\Global"));
    CHECK(ipl_scope_valid("\\Global\\Europe\\Dublin"));
    CHECK(!ipl_scope_valid("\\Globalx"));
    CHECK(!ipl_scope_valid("Global"));
    CHECK(!ipl_scope_valid("\\Global\\"));
    CHECK(!ipl_scope_valid("\\Global\\\\Europe"));
    CHECK(ipl_scope_within("\\Global\\Europe\\Dublin", "\\Global\\Europe"));
    CHECK(ipl_scope_within("\\Global\\Europe", "\\Global\\Europe"));
    CHECK(!ipl_scope_within("\\Global\\EuropeWest", "\\Global\\Europe"));
    CHECK(!ipl_scope_within("\\Global", "\\Global\\Europe"));
}

static int count_fn(void *ctx, const ipl_token_info *ti)
{
    (*(int *)ctx)++;
    return 0;
}

static void test_tokens(void)
{
    ipl_principal by, p;
    ipl_diag d = {0};
    ipl_rtxn *t;
    ipl_batch *b;
    ipl_commit_info ci;
    char sec[IPL_TOKEN_LEN + 1], sec2[IPL_TOKEN_LEN + 1];
    admin(&by);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_token_create(t, b, "alice", "IP Audit Administrator", NULL, 0, &by, T0, sec, &d), IPL_OK);
    CHECK_INT((int)strlen(sec), IPL_TOKEN_LEN);
    CHECK(strncmp(sec, "ipl_", 4) == 0);
    CHECK_INT(ipl_token_create(t, b, "bob", "Reader", "\\Global\\Europe", T0 + 10, &by, T0, sec2, &d), IPL_OK);
    CHECK_INT(ipl_token_create(t, b, "bad name", "Reader", NULL, 0, &by, T0, sec2, &d), IPL_EINVAL);
    CHECK_INT(ipl_token_create(t, b, "carol", "Nobody", NULL, 0, &by, T0, sec2, &d), IPL_ENOTFOUND);
    CHECK_INT(ipl_token_create(t, b, "carol", "Reader", "Europe", 0, &by, T0, sec2, &d), IPL_EINVAL);
    ipl_rtxn_end(t);
    CHECK_INT((int)ipl_batch_events(b), 2);   /* one config.change per token */
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_clear(b);

    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    /* the secret is not stored: the kv key is its hash */
    const void *v;
    size_t n;
    CHECK_INT(ipl_store_kv_get(t, "token", sec, &v, &n), IPL_ENOTFOUND);
    CHECK_INT(ipl_token_auth(t, sec, strlen(sec), T0, &p, &d), IPL_OK);
    CHECK_STR(p.name, "token:alice");
    CHECK(p.global);
    CHECK(p.perms & IPL_PERM_AUDIT);
    CHECK_INT(ipl_token_auth(t, sec2, strlen(sec2), T0 + 5, &p, &d), IPL_OK);
    CHECK_STR(p.scope, "\\Global\\Europe");
    CHECK(!p.global);
    CHECK_INT(ipl_token_auth(t, sec2, strlen(sec2), T0 + 10, &p, &d), IPL_EACCES);
    CHECK(strstr(d.msg, "expired") != NULL);
    sec[10] ^= 1;
    CHECK_INT(ipl_token_auth(t, sec, strlen(sec), T0, &p, &d), IPL_EACCES);
    CHECK_INT(ipl_token_auth(t, "Bearer", 6, T0, &p, &d), IPL_EACCES);
    sec[10] ^= 1;
    CHECK_INT(ipl_token_create(t, b, "alice", "Reader", NULL, 0, &by, T0, sec2, &d), IPL_EEXIST);
    int cnt = 0;
    CHECK_INT(ipl_token_list(t, count_fn, &cnt, &d), IPL_OK);
    CHECK_INT(cnt, 2);
    CHECK_INT(ipl_token_revoke(t, b, "alice", &by, T0, &d), IPL_OK);
    CHECK_INT(ipl_token_revoke(t, b, "nobody", &by, T0, &d), IPL_ENOTFOUND);
    ipl_rtxn_end(t);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_clear(b);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_token_auth(t, sec, strlen(sec), T0, &p, &d), IPL_EACCES);
    /* the last event is the revocation, by the acting principal */
    ipl_event ev;
    CHECK_INT(ipl_store_get(t, ipl_store_last_seq(t), &ev, &d), IPL_OK);
    CHECK_INT(ev.kind, IPL_K_CONFIG_CHANGE);
    size_t len = 0;
    const char *subj = ipl_event_attr(&ev, IPL_A_SUBJECT, &len);
    CHECK(subj && len == 10 && memcmp(subj, "test:admin", 10) == 0);
    const char *act = ipl_event_attr(&ev, IPL_A_ACTION, &len);
    CHECK(act && len == 12 && memcmp(act, "token.revoke", 12) == 0);
    ipl_rtxn_end(t);
    ipl_batch_free(b);
}

static void test_roles_scopes(void)
{
    ipl_principal by, p;
    ipl_diag d = {0};
    ipl_rtxn *t;
    ipl_batch *b;
    ipl_commit_info ci;
    char sec[IPL_TOKEN_LEN + 1];
    admin(&by);
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_role_set(t, b, "Reader", "read", &by, T0, &d), IPL_EINVAL);     /* built in */
    CHECK_INT(ipl_role_set(t, b, "lite", "read,bogus", &by, T0, &d), IPL_EINVAL);
    CHECK_INT(ipl_role_set(t, b, "lite", "read,audit", &by, T0, &d), IPL_OK);
    CHECK_INT(ipl_scope_set(t, b, "\\Global\\Europe", "10.20.0.0/16", &by, T0, &d), IPL_OK);
    CHECK_INT(ipl_scope_set(t, b, "\\Global\\Europe\\Dublin", "10.20.30.0/24,2001:db8::/32", &by, T0, &d), IPL_OK);
    CHECK_INT(ipl_scope_set(t, b, "\\Global\\Asia", "10.20.31.0/24", &by, T0, &d), IPL_OK);
    CHECK_INT(ipl_scope_set(t, b, "\\Global\\Asia", "10.20.31.0/33", &by, T0, &d), IPL_EINVAL);
    CHECK_INT(ipl_scope_set(t, b, "\\Global", "10.0.0.0/8", &by, T0, &d), IPL_EINVAL);
    ipl_rtxn_end(t);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    ipl_batch_clear(b);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_token_create(t, b, "dave", "lite", "\\Global\\Europe", 0, &by, T0, sec, &d), IPL_OK);
    ipl_rtxn_end(t);
    CHECK_INT(ipl_store_commit(st, b, &ci, &d), IPL_OK);
    CHECK_INT(ipl_rtxn_begin(st, &t, &d), IPL_OK);
    CHECK_INT(ipl_token_auth(t, sec, strlen(sec), T0, &p, &d), IPL_OK);
    CHECK_INT(p.perms, IPL_PERM_READ | IPL_PERM_AUDIT);
    static ipl_scope_map m;
    CHECK_INT(ipl_scope_map_load(t, &m, &d), IPL_OK);
    CHECK_INT((int)m.n, 4);
    p.map = &m;
    uint8_t ip[16];
    ipl_ip_parse("10.20.30.5", 10, ip);
    CHECK_STR(ipl_scope_of(&m, ip), "\\Global\\Europe\\Dublin");
    CHECK(ipl_principal_sees(&p, ip));               /* a child scope of Europe */
    ipl_ip_parse("10.20.99.5", 10, ip);
    CHECK_STR(ipl_scope_of(&m, ip), "\\Global\\Europe");
    CHECK(ipl_principal_sees(&p, ip));
    ipl_ip_parse("10.20.31.5", 10, ip);
    CHECK_STR(ipl_scope_of(&m, ip), "\\Global\\Asia"); /* the longer prefix wins */
    CHECK(!ipl_principal_sees(&p, ip));
    ipl_ip_parse("192.0.2.1", 9, ip);
    CHECK_STR(ipl_scope_of(&m, ip), "\\Global");     /* unassigned: the root */
    CHECK(!ipl_principal_sees(&p, ip));
    ipl_ip_parse("2001:db8::1", 11, ip);
    CHECK(ipl_principal_sees(&p, ip));
    ipl_rtxn_end(t);
    ipl_batch_free(b);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipl-auth-test-%d", (int)getpid());
    ipl_diag d = {0};
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    RUN(test_perms);
    RUN(test_scope_paths);
    RUN(test_tokens);
    RUN(test_roles_scopes);
    ipl_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    return check_summary();
}
