/* tools/cli/console_files.h — the web console's files (tools/console/), compiled into the binary
 * by tools/console/embed.cmake (the generated console_files.c in the build directory). */
#ifndef IPL_CONSOLE_FILES_H
#define IPL_CONSOLE_FILES_H

#include <stddef.h>

typedef struct ipl_console_file {
    const char *name;                 /* "index.html", "app.js", "style.css" */
    const char *type;                 /* the Content-Type */
    const unsigned char *data;        /* len bytes (and a NUL after them) */
    size_t len;
} ipl_console_file;

extern const ipl_console_file ipl_console_files[];
extern const size_t ipl_console_nfiles;

#endif
