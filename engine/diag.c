/* engine/diag.c — error codes to text, and the diag buffer. */
#include "engine/diag.h"
#include "engine/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ipl_strerror(int err)
{
    switch (err) {
#define IPL_ERR_CASE(name, val, text) case val: return text;
        IPL_ERRORS(IPL_ERR_CASE)
#undef IPL_ERR_CASE
    default: return "unknown error";
    }
}

static void mark_truncated(ipl_diag *d, int n)
{
    if (n >= (int)sizeof d->msg)
        memcpy(d->msg + sizeof d->msg - 4, "...", 4);
}

int ipl_diag_set(ipl_diag *d, int code, const char *fmt, ...)
{
    if (!d)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        d->msg[0] = '\0';
    mark_truncated(d, n);
    d->code = code;
    return code;
}

int ipl_diag_prefix(ipl_diag *d, const char *fmt, ...)
{
    if (!d)
        return IPL_OK;
    char head[IPL_DIAG_MAX], old[IPL_DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    if (n < 0)
        return d->code;
    memcpy(old, d->msg, sizeof old);
    n = snprintf(d->msg, sizeof d->msg, "%s: %s", head, old);
    mark_truncated(d, n);
    return d->code;
}

void ipl_diag_clear(ipl_diag *d)
{
    if (d) {
        d->code = 0;
        d->msg[0] = '\0';
    }
}
