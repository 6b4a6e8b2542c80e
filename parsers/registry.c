/* parsers/registry.c — the static table of parsers (add a line per format) and detection. */
#include "parsers/parser.h"

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
    return ipl_parser_best(registry, sizeof registry / sizeof registry[0], sample, len, score, tried,
                           tried_len);
}
