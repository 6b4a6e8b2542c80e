/* engine/diag.h — error text for the caller (git's strbuf *err).
 *
 * The library never prints. A failing function fills the diag it was given (which may be NULL)
 * with one lower-case line, no trailing period, the subject quoted:
 *     cannot open store 'x': permission denied
 * and returns the same code it stored, so `return ipl_diag_set(d, IPL_EIO, ...)` is the idiom.
 */
#ifndef IPL_DIAG_H
#define IPL_DIAG_H

#include <stddef.h>

#define IPL_DIAG_MAX 512

typedef struct ipl_diag {
    int  code;                 /* last error code, IPL_OK when clear */
    char msg[IPL_DIAG_MAX];    /* NUL-terminated; truncated with "..." if longer */
} ipl_diag;

#if defined(__GNUC__)
#define IPL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define IPL_PRINTF(a, b)
#endif

/* Stores code and message; returns code. d may be NULL. */
int ipl_diag_set(ipl_diag *d, int code, const char *fmt, ...) IPL_PRINTF(3, 4);
/* Prefixes the existing message with "<prefix>: " (context added on the way up); returns d->code. */
int ipl_diag_prefix(ipl_diag *d, const char *fmt, ...) IPL_PRINTF(2, 3);
void ipl_diag_clear(ipl_diag *d);

#endif
