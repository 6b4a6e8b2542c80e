/* tools/cli/cmd_servers.c — SCAFFOLD (being written): `ipledger servers`. */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"

int cmd_servers(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT};
    ipl_args a = {opts, 1, {0}, 0, 0};
    int rc = cli_args("servers", "ipledger servers ...", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    return cli_fail("servers", 1, "not built yet");
}

int serve_routes_servers(struct ipl_server *s, ipl_store *st, ipl_diag *d) { return IPL_OK; }
