/* tools/cli/serve_console.c — SCAFFOLD (being written): the web console's routes. */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"

int serve_routes_console(struct ipl_server *s, ipl_store *st, ipl_diag *d) { return IPL_OK; }
