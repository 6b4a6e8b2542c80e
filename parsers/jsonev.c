/* parsers/jsonev.c — reading JSON event records (Winlogbeat / NXLog objects, one per line) with
 * cJSON, for parsers/winsec.c and parsers/mswin_dhcp_config.c: line framing, the byte checks cJSON
 * does not make, parsing with the byte of the error, member lookup and scalar-to-text.
 * API, ownership of the cJSON tree and the order of the checks: parsers/jsonev.h.
 *
 * Pure: no I/O, no clock, no globals written (cJSON records its last error in its own global).
 */
#include "parsers/jsonev.h"
#include "parsers/json.h"

#include "engine/err.h"

#include <stdio.h>
#include <string.h>

#define JE_NUM_BUF 32           /* bytes for a number printed as text (with its NUL) */

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t ipl_jsonev_frame(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && p[len - 1] == '\r')
        len--;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        len -= 3;
    }
    size_t b = 0;
    while (b < len && is_blank((unsigned char)p[b]))
        b++;
    *s = p;
    *n = len;
    return b;
}

int ipl_jsonev_check(const char *s, size_t n, size_t max, ipl_diag *d)
{
    if (n > max)
        return ipl_diag_set(d, IPL_EPARSE, "line is %zu bytes, longer than the %zu-byte limit", n,
                            max);
    size_t bad_at = ipl_utf8_check(s, n);
    if (bad_at < n)
        return ipl_diag_set(d, IPL_EPARSE, s[bad_at] ? "invalid UTF-8 at byte %zu" :
                            "NUL byte at byte %zu", bad_at);
    for (const char *p = s; (p = memchr(p, '\\', (size_t)(s + n - p))) != NULL; p += 2) {
        if ((size_t)(s + n - p) >= 6 && memcmp(p, "\\u0000", 6) == 0)
            return ipl_diag_set(d, IPL_EPARSE, "JSON string holds \\u0000 at byte %zu",
                                (size_t)(p - s));
        if (p + 1 >= s + n)
            break;
    }
    return IPL_OK;
}

int ipl_jsonev_parse(ipl_arena *a, const char *s, size_t n, cJSON **root, ipl_diag *d)
{
    size_t end = 0, at = 0;
    cJSON *r = NULL;
    *root = NULL;
    int rc = ipl_json_parse(s, n, a, &r, &end, &at);
    if (rc == IPL_ENOMEM)
        return ipl_diag_set(d, IPL_ELIMIT, "JSON record needs more than the line's memory limit");
    if (rc != IPL_OK)
        return ipl_diag_set(d, IPL_EPARSE, "invalid JSON at byte %zu", at);
    for (size_t i = end; i < n; i++)
        if (!is_blank((unsigned char)s[i]))
            return ipl_diag_set(d, IPL_EPARSE, "trailing data after the JSON object at byte %zu", i);
    if (!cJSON_IsObject(r))
        return ipl_diag_set(d, IPL_EPARSE, "JSON value is not an object");
    *root = r;
    return IPL_OK;
}

const cJSON *ipl_jsonev_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

ipl_xml_str ipl_jsonev_text(ipl_parse_ctx *ctx, const cJSON *v)
{
    static const ipl_xml_str none = {NULL, 0};
    if (cJSON_IsString(v) && v->valuestring)
        return (ipl_xml_str){v->valuestring, strlen(v->valuestring)};
    if (cJSON_IsNumber(v)) {
        char *buf = ipl_arena_alloc(ctx->arena, JE_NUM_BUF);
        if (!buf)
            return none;
        double x = v->valuedouble;
        int n;
        if (x >= -9007199254740992.0 && x <= 9007199254740992.0 && x == (double)(long long)x)
            n = snprintf(buf, JE_NUM_BUF, "%lld", (long long)x);
        else
            n = snprintf(buf, JE_NUM_BUF, "%.17g", x);
        return (ipl_xml_str){buf, n > 0 ? (size_t)n : 0};
    }
    return none;
}
