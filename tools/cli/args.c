/* tools/cli/args.c — long-option parsing for the commands; see args.h. */
#include "tools/cli/args.h"

#include <stdio.h>
#include <string.h>

static ipl_opt *find(ipl_args *a, const char *name, size_t n)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strlen(a->opts[i].name) == n && strncmp(a->opts[i].name, name, n) == 0)
            return &a->opts[i];
    return NULL;
}

int ipl_args_parse(ipl_args *a, int argc, char **argv, char *err, size_t errlen)
{
    a->npos = 0;
    a->help = 0;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
            if (a->npos >= (int)(sizeof a->pos / sizeof a->pos[0])) {
                snprintf(err, errlen, "too many arguments (at most %zu)",
                         sizeof a->pos / sizeof a->pos[0]);
                return 2;
            }
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            a->help = 1;
            continue;
        }
        if (s[1] != '-') {
            snprintf(err, errlen, "unknown option '%s' (options are spelled --name)", s);
            return 2;
        }
        const char *name = s + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        ipl_opt *o = find(a, name, n);
        if (!o) {
            snprintf(err, errlen, "unknown option '--%.*s'", (int)n, name);
            return 2;
        }
        const char *val = "1";
        if (o->takes_value) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                snprintf(err, errlen, "option '--%s' needs a value", o->name);
                return 2;
            }
        } else if (eq) {
            snprintf(err, errlen, "option '--%s' takes no value", o->name);
            return 2;
        }
        o->value = val;
        if (o->count < (int)(sizeof o->values / sizeof o->values[0]))
            o->values[o->count] = val;
        o->count++;
    }
    return 0;
}

const char *ipl_arg(const ipl_args *a, const char *name)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->opts[i].value;
    return NULL;
}

int ipl_arg_flag(const ipl_args *a, const char *name)
{
    return ipl_arg(a, name) != NULL;
}
