/* parsers/registry.c — the static table of parsers (add a line per format) and detection. */
#include "parsers/parser.h"

#include <stdio.h>
#include <string.h>

extern const ipl_parser ipl_parser_mswin_dhcp;

static const ipl_parser *const registry[] = {
    &ipl_parser_mswin_dhcp,
};

const ipl_parser *const *ipl_parsers(size_t *count)
{
    *count = sizeof registry / sizeof registry[0];
    return registry;
}

const ipl_parser *ipl_parser_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const ipl_parser *ipl_parser_detect(const char *sample, size_t len, int *score, char *tried,
                                    size_t tried_len)
{
    const ipl_parser *best = NULL;
    int best_score = 0;
    size_t off = 0;
    if (tried && tried_len)
        tried[0] = '\0';
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        int s = registry[i]->probe(sample, len);
        if (s > best_score) {
            best_score = s;
            best = registry[i];
        }
        if (tried && off < tried_len) {
            int n = snprintf(tried + off, tried_len - off, "%s%s", i ? ", " : "", registry[i]->name);
            if (n > 0)
                off += (size_t)n;
        }
    }
    if (score)
        *score = best_score;
    return best;
}
