/* parsers/parser.h — the registry of parsers. The parser interface itself (ipl_parser,
 * ipl_parse_ctx, ipl_emit_fn) is engine/parser.h: the contract ingest calls. */
#ifndef IPL_PARSER_H
#define IPL_PARSER_H

#include "engine/parser.h"

/* The registry: every parser, in a fixed order. */
const ipl_parser *const *ipl_parsers(size_t *count);
const ipl_parser *ipl_parser_find(const char *name);
/* Best-scoring parser for a sample, or NULL when every score is 0; `tried` receives the names of
 * all parsers probed ("mswin-dhcp, ...") for the error message. */
const ipl_parser *ipl_parser_detect(const char *sample, size_t len, int *score, char *tried,
                                    size_t tried_len);

#endif
