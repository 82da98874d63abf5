/* The shared cache's persist file: the dump answer's JSON ({"uid", "time", "dump"}), as
 * 0.02 saves it. It may hold tokens (the routers' sessions), so it is made with mode 0600,
 * written whole to a temporary file beside it and renamed over it, so that a crash while
 * saving leaves the old table rather than half of a new one. */
#include "cache/cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beekeeper/error.h"
#include "beekeeper/log.h"

/* Larger files are not a cache's: left aside rather than read into memory. */
#define MAX_FILE_BYTES ((size_t)256 << 20)

void bkp_cache_file_load(bk_cache *c)
{
    json_error_t je;
    int fd = open(c->persist, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            bk_log_warn("cache %s: cannot open %s: %s", c->id, c->persist, strerror(errno));
        return;
    }
    struct stat sb;
    json_t *d = NULL;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size > MAX_FILE_BYTES) {
        bk_log_warn("cache %s: %s left aside: not a readable file of at most %zu bytes", c->id,
                    c->persist, MAX_FILE_BYTES);
        goto out;
    }
    d = json_loadfd(fd, 0, &je);
    json_t *entries = json_object_get(d, "dump");
    if (!json_is_array(entries)) {
        bk_log_warn("cache %s: %s left aside: %s", c->id, c->persist,
                    d ? "no \"dump\" array" : je.text);
        goto out;
    }
    double oldest = c->max_age_ms ? bkp_cache_wall() - c->max_age_ms / 1000.0 : 0;
    size_t i, bad = 0;
    json_t *e;
    json_array_foreach(entries, i, e) {
        if (bkp_cache_entry_check(e, c->max_entry_bytes) != 0) {
            bad++;
            continue;
        }
        if (c->max_age_ms && json_number_value(json_array_get(e, 3)) < oldest)
            continue;
        if (bkp_cache_merge(c, json_string_value(json_array_get(e, 0)), json_array_get(e, 1),
                            json_integer_value(json_array_get(e, 2)),
                            json_number_value(json_array_get(e, 3)), 0) < 0)
            break;
    }
    if (bad)
        bk_log_warn("cache %s: %s: %zu entries left aside", c->id, c->persist, bad);
out:
    json_decref(d);
    close(fd);
}

int bkp_cache_file_save(bk_cache *c)
{
    json_t *d = bkp_cache_dump(c);
    if (!d)
        return BK_ENOMEM;
    size_t n = strlen(c->persist) + 32;
    char *tmp = malloc(n);
    int rc = BK_ENOMEM, fd = -1;
    if (!tmp)
        goto out;
    snprintf(tmp, n, "%s.tmp.%ld", c->persist, (long)getpid());
    rc = BK_EIO;
    /* fchmod as well: a temporary file left by a crash keeps its old mode through O_CREAT,
     * and a umask may take the owner's own bits away. */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
        fchmod(fd, 0600) != 0 || json_dumpfd(d, fd, JSON_COMPACT) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, c->persist) != 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc && tmp) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    free(tmp);
    json_decref(d);
    return rc;
}
