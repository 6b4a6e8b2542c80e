/* parsers/json.h — a JSON parser for event records that builds cJSON nodes in a per-line arena.
 *
 * The same trees cJSON_ParseWithLengthOpts builds (so cJSON's readers — GetObjectItem, IsString,
 * valuestring, valuedouble, child/next — work on them unchanged), with the same acceptance and
 * the same error positions, but every node and string comes from an ipl_arena: no malloc and
 * free per value (which were half of the time of a Winlogbeat record). The tree lives until the
 * arena is cleared; it must never be given to cJSON_Delete.
 *
 * Accepted as cJSON accepts: whitespace = any byte <= 0x20; numbers = the longest run of
 * [0-9+-.eE] (at most 63 bytes) read by strtod, starting with '-' or a digit; literals null, true,
 * false; strings with the JSON escapes (\uXXXX surrogate pairs to UTF-8, a lone or reversed
 * surrogate refused) and raw bytes otherwise; nesting up to IPL_JSON_NESTING. Duplicate keys are
 * kept (lookups find the first).
 *
 * Errors: IPL_EPARSE with *err_at = the byte cJSON would name (the offending byte; the last byte
 * when the input ends early; the backslash of a bad escape); IPL_ENOMEM when the arena is full.
 */
#ifndef IPL_PARSERS_JSON_H
#define IPL_PARSERS_JSON_H

#include <stddef.h>

#include <cJSON.h>

#include "engine/arena.h"

#define IPL_JSON_NESTING 1000

/* Parses one value at the start of s[0..n) (after whitespace); *end = the offset just past it. */
int ipl_json_parse(const char *s, size_t n, ipl_arena *a, cJSON **root, size_t *end,
                   size_t *err_at);

#endif
