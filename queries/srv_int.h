/* queries/srv_int.h — what the srv_*.c files share (not part of the public interface). */
#ifndef IPL_SRV_INT_H
#define IPL_SRV_INT_H

#include "queries/srv.h"

#define IPL_SRV_NS_META   "srv.meta"
#define IPL_SRV_NS_SUM    "srv.sum"
#define IPL_SRV_NS_SRC    "srv.src"
#define IPL_SRV_NS_SERVER "srv.server"
#define IPL_SRV_NS_STATE  "srv.state"

/* A summary as stored: the struct's bytes with each run of zero bytes packed as 00 LEN (LEN
 * 1-255), other bytes as they are (most of a summary is empty histograms and name padding).
 * encode returns the bytes written (out holds at least IPL_SRV__PACK_MAX); decode IPL_OK or
 * IPL_ECORRUPT when the value does not unpack to exactly one summary of this version. */
#define IPL_SRV__PACK_MAX (2 * sizeof(ipl_srv_sum))
size_t ipl_srv__pack(const ipl_srv_sum *s, uint8_t *out);
int    ipl_srv__unpack(const void *val, size_t n, ipl_srv_sum *s);

/* The summaries of a namespace (owned arrays of owned entries; free each, then the arrays). */
int ipl_srv__sums_load(ipl_rtxn *t, const char *ns, ipl_srv_sum ***sum, char ***name, size_t *n,
                       ipl_diag *d);

/* The inventory's writer lock: srv.lock in the store directory (flock) plus a process mutex, held
 * from a read that decides a write to its commit (manual entries, the summary pass, recorded
 * states). Not recursive. */
int  ipl_srv__lock(ipl_store *st, int *fd, ipl_diag *d);
void ipl_srv__unlock(int fd);      /* fd < 0: nothing */

#endif
