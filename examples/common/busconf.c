#include "busconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int busconf_load(busconf *bc, const char *default_dir, const char *bus_id)
{
    char err[1024];
    const char *dir = getenv("BEEKEEPER_CONFIG_DIR");
    if (!dir || !*dir)
        dir = default_dir;
    memset(bc, 0, sizeof *bc);
    if (bk_bus_config_load(&bc->cfg, dir, bus_id, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    bk_bus_config_client_opts(bc->cfg, &bc->opts);
    return 0;
}

void busconf_free(busconf *bc)
{
    bk_bus_config_free(bc->cfg);
    bc->cfg = NULL;
}
