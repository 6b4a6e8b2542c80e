/* engine/parser.c — choosing a parser by probing a sample (the registry passes its table). */
#include "engine/parser.h"

#include <stdio.h>

const ipl_parser *ipl_parser_best(const ipl_parser *const *cands, size_t n, const char *sample,
                                  size_t len, int *score, char *tried, size_t tried_len)
{
    const ipl_parser *best = NULL;
    int best_score = 0;
    size_t off = 0;
    if (tried && tried_len)
        tried[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int s = cands[i]->probe(sample, len);
        if (s > best_score) {
            best_score = s;
            best = cands[i];
        }
        if (tried && off < tried_len) {
            int w = snprintf(tried + off, tried_len - off, "%s%s", i ? ", " : "", cands[i]->name);
            if (w > 0)
                off += (size_t)w;
        }
    }
    if (score)
        *score = best_score;
    return best;
}
