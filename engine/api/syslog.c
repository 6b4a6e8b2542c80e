/* engine/api/syslog.c — syslog framing for the TCP listener (RFC 6587): octet counting
 * ("LEN SP MSG", RFC 5425 style) or LF-terminated frames. Pure: bytes in, one frame out; the
 * listener (server.c) drains what a frame used. UDP needs no framing: one datagram, one message.
 */
#include <string.h>

#include "engine/api/api.h"
#include "engine/err.h"

int ipl_syslog_frame(const char *buf, size_t len, size_t max, const char **msg, size_t *mlen,
                     size_t *used)
{
    if (len == 0)
        return IPL_ENOTFOUND;
    if (buf[0] >= '1' && buf[0] <= '9') {
        /* octet counting: up to 9 digits, one space, then exactly LEN bytes */
        size_t i = 0, n = 0;
        while (i < len && i < 10 && buf[i] >= '0' && buf[i] <= '9')
            n = n * 10 + (size_t)(buf[i++] - '0');
        if (i == len)
            return i >= 10 ? IPL_EPARSE : IPL_ENOTFOUND;
        if (buf[i] != ' ' || i >= 10)
            return IPL_EPARSE;
        if (n > max)
            return IPL_ELIMIT;
        if (len - i - 1 < n)
            return IPL_ENOTFOUND;
        *msg = buf + i + 1;
        *mlen = n;
        *used = i + 1 + n;
    } else {
        const char *nl = memchr(buf, '\n', len > max + 1 ? max + 1 : len);
        if (!nl)
            return len > max ? IPL_ELIMIT : IPL_ENOTFOUND;
        *msg = buf;
        *mlen = (size_t)(nl - buf);
        *used = *mlen + 1;
    }
    /* trailing CR, LF and NUL are framing, not message */
    while (*mlen && ((*msg)[*mlen - 1] == '\r' || (*msg)[*mlen - 1] == '\n' || (*msg)[*mlen - 1] == '\0'))
        (*mlen)--;
    return IPL_OK;
}
