#include "busconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beekeeper/config.h"

static int copy(char *dst, size_t n, const char *s)
{
    return snprintf(dst, n, "%s", s ? s : "") >= (int)n;
}

int busconf_load(busconf *bc, const char *default_dir, const char *bus_id)
{
    char err[1024];
    const char *dir = getenv("BEEKEEPER_CONFIG_DIR");
    bk_bus_config *b;
    if (!dir || !*dir)
        dir = default_dir;
    int rc = bk_bus_config_load(dir, bus_id, &b, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    bk_client_opts o = { 0 };
    bk_bus_config_client_opts(b, &o);
    memset(bc, 0, sizeof *bc);
    int toolong = o.nhosts > 8;
    for (size_t i = 0; i < o.nhosts && i < 8; i++) {
        toolong |= copy(bc->hostbuf[i], sizeof bc->hostbuf[i], o.hosts[i]);
        bc->hosts[i] = bc->hostbuf[i];
    }
    toolong |= copy(bc->bus_id, sizeof bc->bus_id, o.bus_id);
    toolong |= copy(bc->cluster, sizeof bc->cluster, o.cluster);
    toolong |= copy(bc->user, sizeof bc->user, o.user);
    toolong |= copy(bc->pass, sizeof bc->pass, o.pass);
    toolong |= copy(bc->vhost, sizeof bc->vhost, o.vhost);
    if (toolong) {
        fprintf(stderr, "%s: bus \"%s\": more than 8 hosts or a value too long for the "
                "examples\n", bk_bus_config_path(b), bk_bus_config_id(b));
        bk_bus_config_free(b);
        return -1;
    }
    bc->opts = (bk_client_opts){ .hosts = bc->hosts, .nhosts = o.nhosts, .vhost = bc->vhost,
                                 .user = o.user ? bc->user : NULL,
                                 .pass = o.pass ? bc->pass : NULL, .bus_id = bc->bus_id,
                                 .cluster = bc->cluster };
    bk_bus_config_free(b);
    return 0;
}
