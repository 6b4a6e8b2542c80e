/* engine/err.h — the one error space of ipledger.
 *
 * Every function that can fail returns an int: IPL_OK (0) or one of the negative codes below.
 * Codes from LMDB, PCRE2, libmaxminddb and errno are mapped at the module boundary; callers never
 * see MDB_* or errno values. Human text goes into a struct ipl_diag (engine/diag.h).
 */
#ifndef IPL_ERR_H
#define IPL_ERR_H

#define IPL_ERRORS(X)                                                     \
    X(IPL_OK,        0,   "ok")                                           \
    X(IPL_ENOMEM,   -1,   "out of memory")                                \
    X(IPL_EINVAL,   -2,   "invalid argument")                             \
    X(IPL_EIO,      -3,   "input/output error")                           \
    X(IPL_ENOTFOUND,-4,   "not found")                                    \
    X(IPL_EFORMAT,  -5,   "unsupported store format")                     \
    X(IPL_ELIMIT,   -6,   "limit exceeded")                               \
    X(IPL_EPARSE,   -7,   "parse error")                                  \
    X(IPL_ENOSPC,   -8,   "no space left on device")                      \
    X(IPL_EACCES,   -9,   "permission denied")                            \
    X(IPL_ECORRUPT, -10,  "corrupt data")                                 \
    X(IPL_EBUSY,    -11,  "busy")                                         \
    X(IPL_EEXIST,   -12,  "already exists")                               \
    X(IPL_ESTORE,   -13,  "store error")                                  \
    X(IPL_ESKIP,    -14,  "record carries no event")                      \
    X(IPL_EDENIED,  -15,  "operation denied")

enum ipl_err {
#define IPL_ERR_ENUM(name, val, text) name = val,
    IPL_ERRORS(IPL_ERR_ENUM)
#undef IPL_ERR_ENUM
};

/* Returns a static string; never NULL, also for unknown codes. */
const char *ipl_strerror(int err);

#endif
