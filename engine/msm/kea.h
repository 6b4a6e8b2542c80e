/* engine/msm/kea.h — the Kea control-channel client (sockets live in engine/).
 *
 * An endpoint is either
 *   "unix:/path/to/kea4-ctrl-socket"  Kea's own JSON over a UNIX stream socket: one command per
 *                                     connection; the reply ends when Kea closes the connection
 *                                     or when the JSON read so far is one complete value
 *   "http://host:port/"               kea-ctrl-agent: an HTTP POST whose body carries
 *                                     "service": ["dhcp4"] (or dhcp6); the reply is a JSON array
 *                                     with one answer per service
 * Every call has a deadline (poll), a reply size cap (IPL_KEA_REPLY_MAX) and distinct errors, each
 * message naming the endpoint:
 *   IPL_EIO      not reachable (connect/send/recv failed, connection closed before a reply)
 *   IPL_EBUSY    no complete reply within timeout_ms
 *   IPL_ELIMIT   reply over IPL_KEA_REPLY_MAX bytes
 *   IPL_EPARSE   the reply is not JSON
 *   IPL_ECORRUPT the reply is JSON of the wrong shape (no integer "result", ...)
 *   IPL_EDENIED  Kea answered with result != 0: the message carries Kea's "text"
 *   IPL_EINVAL   a malformed endpoint or command
 */
#ifndef IPL_KEA_H
#define IPL_KEA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "engine/diag.h"

#define IPL_KEA_REPLY_MAX   (16u << 20)   /* bytes of one reply (a large config-get) */
#define IPL_KEA_ENDPOINT_MAX 1024
#define IPL_KEA_TIMEOUT_MS  10000         /* the default deadline of one call */

/* Sends one command. arguments may be NULL (borrowed; not modified). service is "dhcp4" or
 * "dhcp6" (used on http endpoints only; NULL = "dhcp4"). On IPL_OK *reply is the answer object
 * {"result": 0, "text"?, "arguments"?} (returns owned, free with cJSON_Delete); on an error
 * *reply is NULL and d names the endpoint and the reason. */
int ipl_kea_call(const char *endpoint, const char *service, const char *command,
                 const cJSON *arguments, int timeout_ms, cJSON **reply, ipl_diag *d);

/* Probe: status-get (falling back to version-get when Kea does not know status-get).
 * Returns 0 running, 1 degraded (reachable but answering with an error or garbage), 2 not
 * reachable (or timed out). detail gets one line ("running, pid 123, uptime 45s", or the reason). */
int ipl_kea_status(const char *endpoint, int timeout_ms, char *detail, size_t n);

/* ---- pure pieces, exposed for tests ---- */
/* Checks an endpoint's syntax (IPL_OK or IPL_EINVAL with a message). */
int ipl_kea_endpoint_check(const char *endpoint, ipl_diag *d);
/* 1 when buf[0..n) holds one complete JSON object or array (strings and escapes respected),
 * 0 when more is needed. Used to end a UNIX-socket read without waiting for Kea to close. */
int ipl_kea_json_complete(const char *buf, size_t n);
/* Parses a reply body. http = 1: a JSON array whose first element is the answer (or a bare
 * object, as the agent sends for its own errors). Errors as ipl_kea_call, naming endpoint. */
int ipl_kea_parse_reply(const char *endpoint, const char *command, const char *buf, size_t n,
                        int http, cJSON **reply, ipl_diag *d);
/* Splits an HTTP/1.x response: status code and the body (borrowed from buf). eof = 1 when the
 * peer has closed (a body without Content-Length ends there). IPL_OK, IPL_EPARSE (malformed,
 * chunked), or IPL_ENOTFOUND when the response is not complete yet. */
int ipl_kea_http_split(const char *buf, size_t n, int eof, int *status, const char **body,
                       size_t *blen);

#endif
