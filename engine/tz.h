/* engine/tz.h — civil time, time zones and timestamp text.
 *
 * Sources log local wall-clock time with no offset (Windows DHCP audit logs, NPS, RFC 3164 syslog);
 * the engine is told each source's zone and converts to UTC here. Zones are read from the system's
 * TZif files (/usr/share/zoneinfo, or $TZDIR), including the POSIX TZ footer for dates past the
 * last transition. "UTC", "Z" and fixed offsets ("+02:00", "-0530", "UTC+3") need no file.
 *
 * DST is resolved explicitly, never silently:
 *   - a gap (spring forward: 02:30 does not exist) returns 0 candidates and both outputs hold the
 *     instant read with the offset in force *before* the gap (02:30 CET = 01:30Z, i.e. 03:30 CEST);
 *   - an overlap (fall back: 02:30 happens twice) returns 2 candidates, earlier and later; the
 *     caller chooses (ingest keeps the source's order, see ipl_tz_resolve);
 *   - otherwise 1 candidate, in both outputs.
 *
 * Ownership: ipl_tz_load returns an owned handle, free with ipl_tz_free. A loaded zone is
 * immutable and may be shared across threads.
 */
#ifndef IPL_TZ_H
#define IPL_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"

typedef struct ipl_civil {
    int year, mon, day;        /* mon 1-12, day 1-31 */
    int hour, min, sec;        /* 0-23, 0-59, 0-60 (60 only where parsed; normalised away) */
    int usec;                  /* 0-999999 */
} ipl_civil;

typedef struct ipl_tz ipl_tz;

#define IPL_US_PER_SEC INT64_C(1000000)

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ipl_days_from_civil(int y, int m, int d);
void    ipl_civil_from_days(int64_t days, int *y, int *m, int *d);
int     ipl_civil_valid(const ipl_civil *c);       /* 1 if the date and time exist on a calendar */
                                                    /* (years 0-9999, sec 60 allowed) */
/* Civil time read as UTC -> microseconds since the epoch (no zone involved). */
int64_t ipl_civil_to_us(const ipl_civil *c);
void    ipl_us_to_civil(int64_t us, ipl_civil *c);
int     ipl_weekday(int64_t days);                  /* 0 = Sunday */

/* Loads a zone by IANA name ("Europe/Berlin"), "UTC"/"Z", or a fixed offset. Names with "..",
 * leading "/", or characters outside [A-Za-z0-9_+-/] are refused. */
int  ipl_tz_load(ipl_tz **out, const char *name, ipl_diag *d);
void ipl_tz_free(ipl_tz *tz);
const char *ipl_tz_name(const ipl_tz *tz);
/* A shared UTC zone that needs no loading and must not be freed. */
const ipl_tz *ipl_tz_utc(void);
/* Builds a zone from a TZif image in memory, as ipl_tz_load does with a file's bytes; borrows
 * data, copies name (which must pass the same name check). For tests and fuzzing. Returns an owned
 * handle, free with ipl_tz_free. */
int ipl_tz_from_tzif(ipl_tz **out, const char *name, const void *data, size_t len, ipl_diag *d);

/* Local wall time -> UTC microseconds: returns 0 (gap), 1 or 2 (overlap) candidates as above;
 * *earlier <= *later. A negative value is an error (invalid civil time). */
int ipl_tz_to_utc(const ipl_tz *tz, const ipl_civil *local, int64_t *earlier, int64_t *later);
/* UTC -> local wall time, with the offset in seconds east of UTC and whether DST is in force. */
void ipl_tz_to_local(const ipl_tz *tz, int64_t utc_us, ipl_civil *local, int *offset_s, int *is_dst);

/* The ingest rule for local times: converts and, in an overlap, keeps the source's order: it takes
 * the earlier instant unless that is more than IPL_TZ_FOLD_SLACK before *last (the previous event
 * of the same source), then the later one. Updates *last (if not NULL) to the result. Returns
 * IPL_OK or IPL_EINVAL for an invalid civil time. */
#define IPL_TZ_FOLD_SLACK (INT64_C(600) * IPL_US_PER_SEC)
int ipl_tz_resolve(const ipl_tz *tz, const ipl_civil *local, int64_t *last, int64_t *utc_us);

/* Timestamp text.
 * ipl_time_parse accepts, after optional surrounding blanks:
 *   2024-05-01T08:15:32Z  2024-05-01T08:15:32.123456+02:00  2024-05-01 08:15:32  2024-05-01T08:15
 *   2024-05-01 (midnight)  @1714551332 (epoch seconds, UTC)
 * A time without an offset is local to `zone` (UTC when zone is NULL) and resolved with the
 * earlier instant in an overlap. Errors name the text and what was expected. */
int ipl_time_parse(const char *s, size_t len, const ipl_tz *zone, int64_t *us, ipl_diag *d);
/* Relative times for queries: "-7d", "+3h", "-90m", "-30s", "-2w" added to `now`. */
/* The sign is required; "now" alone, or followed by such an offset ("now-7d"), is accepted too. */
int ipl_time_parse_relative(const char *s, size_t len, int64_t now, int64_t *us, ipl_diag *d);
/* Formats as "2024-05-01T08:15:32Z" (".123456" inserted when usec != 0). Returns length. buf >= 32. */
size_t ipl_time_format(int64_t us, char *buf, size_t n);
#define IPL_TIME_BUF 40

#endif
