/* Example helper: the bus connection options from bus.config.json, through libbeekeeper's
 * config loader (beekeeper/config.h). Kept so that every example reads its bus the same way.
 *
 * Looks in $BEEKEEPER_CONFIG_DIR (set by the examples' --config-dir option), else in
 * default_dir (the example's own config/), then in the library's usual folders
 * (~/.config/beekeeper, /etc/beekeeper). Reads the entry whose "bus-id" is bus_id (NULL: the
 * one marked "default", else the only one). opts borrows from the loaded config: call
 * busconf_free when done with them. */
#ifndef EXAMPLES_BUSCONF_H
#define EXAMPLES_BUSCONF_H

#include "beekeeper/client.h"
#include "beekeeper/config.h"

typedef struct busconf {
    bk_client_opts opts;        /* hosts, vhost, user, pass, bus_id, cluster of cfg */
    bk_bus_config *cfg;
} busconf;

/* 0, or -1 with a message on stderr. */
int busconf_load(busconf *bc, const char *default_dir, const char *bus_id);
void busconf_free(busconf *bc);

#endif
