/* bk_bus_config, bk_pool_config: bus.config.json and pool.config.json (doc/config.md).
 *
 * Both files are relaxed JSON (comments `#`, `//`, `/ * * /`, trailing commas) holding an
 * array of entries. Each is looked up in the first of these folders that holds it:
 * config_dir (when not NULL), $BEEKEEPER_CONFIG_DIR (when set and not empty),
 * $HOME/.config/beekeeper (when HOME is set), /etc/beekeeper. So the two files may come from
 * different folders, as in Perl Beekeeper.
 *
 * The whole file is checked, not only the entry asked for: a file with an unknown key, a
 * value of the wrong type or a duplicate id anywhere is refused.
 *
 * Errors (error.h). Every loader returns 0 or a negative bk_err and, on failure, sets *out
 * to NULL and writes one line of English to err (errlen bytes, truncated; err may be NULL):
 *   BK_ENOTFOUND  no folder holds the file ("bus.config.json not found in: A, B, C"), or no
 *                 entry has the id asked for
 *   BK_ESYNTAX    the file is not relaxed JSON ("FILE:LINE:COL: what was expected"), or an
 *                 entry is wrong ("FILE:LINE:COL: entry 2 (bus-id \"backend\"): unknown key
 *                 \"hots\""; entries count from 1, LINE:COL is where the culprit is)
 *   BK_EINVAL     out is NULL; no id given and the file does not say which entry to take
 *   BK_EIO        the file exists but cannot be read (or is over 16 MiB)
 *   BK_ENOMEM     out of memory
 *
 * Threads: the loaders read the environment and the file system and share nothing; a loaded
 * config is immutable and may be read from any thread. */
#ifndef BEEKEEPER_CONFIG_H
#define BEEKEEPER_CONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The client's options (beekeeper/client.h), which bk_bus_config_client_opts fills. */
struct bk_client_opts;

/* Largest workers_count a pool entry may ask for, per worker. */
#define BK_POOL_WORKERS_MAX 1024

/* One entry of bus.config.json. */
typedef struct bk_bus_config bk_bus_config;

/* Loads the bus whose "bus-id" is bus_id; bus_id NULL: the entry with "default": true, else
 * the only entry (BK_EINVAL when there are several and none is the default). On 0, *out is
 * new: free it with bk_bus_config_free(). On failure *out is NULL (when out is not NULL). */
BK_API int bk_bus_config_load(bk_bus_config **out, const char *config_dir, const char *bus_id,
                              char *err, size_t errlen);

/* Loads every entry of cluster (its "cluster", or its bus-id when it has none), in the
 * file's order: a Router's frontend buses. On 0, *out is a new array of *n new entries:
 * free each with bk_bus_config_free(), then the array with free(). BK_ENOTFOUND when none
 * is of that cluster; else as bk_bus_config_load. On failure *out is NULL and *n 0. */
BK_API int bk_bus_config_load_cluster(bk_bus_config ***out, size_t *n, const char *config_dir,
                                      const char *cluster, char *err, size_t errlen);

/* NULL does nothing. */
BK_API void bk_bus_config_free(bk_bus_config *b);

/* Fills the connection fields of o (include beekeeper/client.h to make one): hosts
 * ("host:port" each), nhosts, vhost, user, pass (NULL when the entry has none: no login),
 * bus_id and cluster (the bus-id when the entry has no cluster), and tls, tls_ca, tls_cert,
 * tls_key (absolute paths: relative ones are taken from the file's folder) and
 * tls_no_verify ("tls_verify": false). Leaves the other fields as they are. The strings are borrowed from b: keep b until o has been used (bk_client_new
 * copies them). A NULL b or o: nothing. */
BK_API void bk_bus_config_client_opts(const bk_bus_config *b, struct bk_client_opts *o);

/* The entry's bus-id, and the file it came from (as found: the folder as given, then
 * "/bus.config.json"). Borrowed from b; "" for NULL. */
BK_API const char *bk_bus_config_id(const bk_bus_config *b);
BK_API const char *bk_bus_config_path(const bk_bus_config *b);

/* One worker of a pool. Everything is borrowed from the bk_pool_config. */
typedef struct bk_pool_worker {
    const char *name;     /* the key in "workers" */
    int count;            /* workers_count: 0..BK_POOL_WORKERS_MAX, 1 when not given */
    const char *module;   /* module, made absolute against the config folder; NULL: none */
    json_t *options;      /* the worker's other options, an object (maybe empty); do not
                             modify it */
} bk_pool_worker;

/* One entry of pool.config.json. */
typedef struct bk_pool_config bk_pool_config;

/* Loads the pool whose "pool-id" is pool_id; pool_id NULL: the only entry (BK_EINVAL when
 * there are several). On 0, *out is new: free it with bk_pool_config_free(); on failure
 * *out is NULL (when out is not NULL). The pool's bus is not looked up: pass
 * bk_pool_config_bus_id() to bk_bus_config_load(). */
BK_API int bk_pool_config_load(bk_pool_config **out, const char *config_dir,
                               const char *pool_id, char *err, size_t errlen);

/* NULL does nothing. */
BK_API void bk_pool_config_free(bk_pool_config *p);

/* The entry's pool-id and bus-id; the file and the folder it was found in (the folder made
 * absolute, without a trailing slash). Borrowed from p; "" for NULL. */
BK_API const char *bk_pool_config_id(const bk_pool_config *p);
BK_API const char *bk_pool_config_bus_id(const bk_pool_config *p);
BK_API const char *bk_pool_config_path(const bk_pool_config *p);
BK_API const char *bk_pool_config_dir(const bk_pool_config *p);

/* "description" (NULL when not given) and "log_file" (made absolute against the config
 * folder; NULL when not given). Borrowed from p; NULL for NULL. */
BK_API const char *bk_pool_config_description(const bk_pool_config *p);
BK_API const char *bk_pool_config_log_file(const bk_pool_config *p);

/* The workers in file order: *out points to an array of that many (borrowed from p). A NULL
 * p has none (0, *out NULL); out may be NULL to count them. */
BK_API size_t bk_pool_config_workers(const bk_pool_config *p, const bk_pool_worker **out);

#ifdef __cplusplus
}
#endif
#endif
