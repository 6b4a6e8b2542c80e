/* parsers/jsonev.h — reading JSON event records, one object per line, as Winlogbeat / Elastic
 * Agent (ECS) and NXLog (im_msvistalog + to_json) write Windows event logs: the line framing and
 * the byte checks cJSON does not make, parsing with the byte of the error, member lookup and
 * scalar-to-text extraction. Shared by parsers/winsec.c ("winsec-json") and
 * parsers/mswin_dhcp_config.c (the JSON lines of "mswin-dhcp-events"); what a record means (which
 * members, which events) stays in those parsers.
 *
 * A caller reads a line as:
 *     size_t b = ipl_jsonev_frame(&s, &n);             (b == n: a blank line)
 *     rc = ipl_jsonev_check(s, n, MAX, d);               (length cap, UTF-8, NUL, \u0000)
 *     cJSON *root;
 *     rc = ipl_jsonev_parse(ctx->arena, s, n, &root, d); (one object, blanks after it)
 *     ... ipl_jsonev_text(ctx, ipl_jsonev_get(ipl_jsonev_get(root, "winlog"), "event_id")) ...
 *
 * Ownership: the tree of ipl_jsonev_parse lives in the arena it was given (parsers/json.h: cJSON
 * nodes, never given to cJSON_Delete) until the arena is cleared — ingest clears ctx->arena after
 * each line (on error there is no tree: *root is NULL). Members from ipl_jsonev_get are borrowed
 * from the tree. ipl_jsonev_text's strings are borrowed from the tree; its printed numbers live in
 * ctx->arena.
 *
 * Pure: no I/O, no clock, no globals written (cJSON itself records its last error in a global).
 */
#ifndef IPL_JSONEV_H
#define IPL_JSONEV_H

#include <stddef.h>

#include <cJSON.h>

#include "engine/arena.h"
#include "engine/parser.h"
#include "parsers/xml.h"                /* ipl_xml_str: the record's text slices */

/* Frames a line for JSON: drops trailing '\r's and a leading UTF-8 BOM (updating *s and *n).
 * Returns the offset of the first byte that is not a blank (' ', '\t', '\r', '\n'), or the new
 * *n when there is none (a blank line). */
size_t ipl_jsonev_frame(const char **s, size_t *n);

/* The checks cJSON does not make, in this order: a line over max bytes ("line is N bytes, longer
 * than the M-byte limit"); invalid UTF-8 or a NUL byte; a "\u0000" escape (cJSON would cut the
 * string there). IPL_OK, or IPL_EPARSE naming the byte. */
int ipl_jsonev_check(const char *s, size_t n, size_t max, ipl_diag *d);

/* Parses s[0..n) as one JSON value followed by nothing but blanks, and requires an object.
 * IPL_OK with *root the tree (in arena a), or IPL_EPARSE with *root NULL: "invalid JSON at byte
 * N", "trailing data after the JSON object at byte N", "JSON value is not an object"; IPL_ELIMIT
 * when the tree outgrows the arena. */
int ipl_jsonev_parse(ipl_arena *a, const char *s, size_t n, cJSON **root, ipl_diag *d);

/* Member `key` of object o (exact, case-sensitive name); NULL when o is NULL, not an object, or
 * has no such member, so lookups chain: ipl_jsonev_get(ipl_jsonev_get(root, "event"), "code"). */
const cJSON *ipl_jsonev_get(const cJSON *o, const char *key);

/* A scalar as text. A string: its bytes (borrowed from the tree). A number: printed into
 * ctx->arena (at most 31 bytes): integral values within +-2^53 in decimal ("4624"), others with
 * "%.17g". {NULL, 0} for null, booleans, objects, arrays, an absent member (v NULL), and when the
 * arena is full. */
ipl_xml_str ipl_jsonev_text(ipl_parse_ctx *ctx, const cJSON *v);

#endif
