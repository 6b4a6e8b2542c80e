/* tools/cli/args.h — a small long-option parser for the ipledger commands.
 *
 * Options are declared per command as a table; "--name value", "--name=value" and flags are
 * accepted; anything else starting with "-" (except "-" alone) is an error; the rest are
 * positional. Errors are one line naming the option.
 */
#ifndef IPL_CLI_ARGS_H
#define IPL_CLI_ARGS_H

#include <stddef.h>

typedef struct ipl_opt {
    const char *name;       /* without the dashes: "store" */
    int takes_value;
    const char *help;       /* one line for -h ("DIR  the store directory") */
    const char *value;      /* set by parsing (last one wins); "1" for a flag */
    const char *values[64]; /* every occurrence, for repeatable options */
    int count;
} ipl_opt;

typedef struct ipl_args {
    ipl_opt *opts;
    size_t nopts;
    const char *pos[4096];
    int npos;
    int help;               /* -h or --help seen */
} ipl_args;

/* Returns 0, or 2 with a message in err. */
int ipl_args_parse(ipl_args *a, int argc, char **argv, char *err, size_t errlen);
const char *ipl_arg(const ipl_args *a, const char *name);   /* value or NULL */
int ipl_arg_flag(const ipl_args *a, const char *name);

#endif
