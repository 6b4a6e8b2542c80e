/* tests/fuzz/fuzz_ql.c — libFuzzer target for the query language without a store: the input is
 * compiled as a query (lexer, parser with its literal checks and regex compilation, the planner's
 * compile-time part) and explained; then used as the value of each kind of parameter. Every
 * error must carry its message; explain must not fail.
 */
#include "engine/err.h"
#include "queries/ql.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static int wsink(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        sink += (unsigned char)buf[i];
    return (int)n;
}

static void one(const char *text, size_t len, const ipl_ql_param *p, size_t np)
{
    ipl_ql_opts o;
    ipl_diag d;
    ipl_ql *q = NULL;
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    o.now = INT64_C(1715169600) * 1000000;
    o.params = p;
    o.nparams = np;
    int rc = ipl_ql_compile(&q, text, len, &o, &d);
    if (rc != IPL_OK) {
        if (q || d.code != rc || d.msg[0] == '\0')
            abort();                     /* every error carries its reason */
        return;
    }
    if (!q || ipl_ql_explain(q, wsink, NULL) != IPL_OK)
        abort();
    size_t n;
    const ipl_col *c = ipl_ql_cols(q, &n);
    for (size_t i = 0; i < n; i++)
        sink += strlen(c[i].name);
    ipl_ql_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly the input, so reading past its end is caught */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    const ipl_ql_param params[] = {{"ip", "10.72.144.20"}, {"user", "CONTOSO\\alice"},
                                   {"from", "-7d"}, {"n", "5"}};
    one(text, size, params, 4);
    one(text, size, NULL, 0);
    /* the input as a value: typed by where it is used, never as syntax */
    if (size <= 4096 && !memchr(text, '\0', size)) {
        char *v = malloc(size + 1);
        if (v) {
            memcpy(v, text, size);
            v[size] = '\0';
            static const char *const qs[] = {
                "events where ip in $v", "events where mac = $v", "events since $v",
                "events where host like $v", "events where user ~ $v", "events where code > $v",
                "events where kind = $v", "track ip $v", "events | timeline $v",
                "events | limit $v",
            };
            ipl_ql_param pv = {"v", v};
            for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
                one(qs[i], strlen(qs[i]), &pv, 1);
            free(v);
        }
    }
    free(text);
    return 0;
}
