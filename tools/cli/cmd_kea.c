/* tools/cli/cmd_kea.c — SCAFFOLD (being written): `ipledger kea`. */
#include "tools/cli/cli.h"
#include "engine/api/api.h"
#include "engine/err.h"

int cmd_kea(int argc, char **argv)
{
    ipl_opt opts[] = {CLI_STORE_OPT};
    ipl_args a = {opts, 1, {0}, 0, 0};
    int rc = cli_args("kea", "ipledger kea ...", &a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    return cli_fail("kea", 1, "not built yet");
}
