/* tools/cli/cmd_report.c — SCAFFOLD (being written): `ipledger report`. */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"

int cmd_report(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT};
    ipl_args a = {opts, 1, {0}, 0, 0};
    int rc = cli_args("report", "ipledger report ...", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    return cli_fail("report", 1, "not built yet");
}

int serve_routes_report(struct ipl_server *s, ipl_store *st, ipl_diag *d) { return IPL_OK; }
