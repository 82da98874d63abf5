/* Example helper: the bus connection options from bus.config.json.
 *
 * Looks in $BEEKEEPER_CONFIG_DIR, then the directory given (the example's own config/).
 * Reads the entry whose "bus-id" is bus_id (NULL: the one marked "default", else the first).
 * Entry keys: bus-id, cluster, host or hosts (list), port, user, pass, vhost.
 * (Strict JSON only; libbeekeeper's relaxed-JSON config loader replaces this once it lands.) */
#ifndef EXAMPLES_BUSCONF_H
#define EXAMPLES_BUSCONF_H

#include "beekeeper/client.h"

typedef struct busconf {
    bk_client_opts opts;
    char hostbuf[8][300];
    const char *hosts[8];
    char bus_id[128], cluster[128], user[128], pass[128], vhost[128];
} busconf;

/* 0, or -1 with a message on stderr. */
int busconf_load(busconf *bc, const char *default_dir, const char *bus_id);

#endif
