#include "busconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void copy(char *dst, size_t n, json_t *v, const char *dflt)
{
    const char *s = json_is_string(v) ? json_string_value(v) : dflt;
    snprintf(dst, n, "%s", s ? s : "");
}

int busconf_load(busconf *bc, const char *default_dir, const char *bus_id)
{
    char path[1024];
    const char *dir = getenv("BEEKEEPER_CONFIG_DIR");
    if (!dir || !*dir)
        dir = default_dir;
    snprintf(path, sizeof path, "%s/bus.config.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *pick = NULL;
    if (!root) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
        return -1;
    }
    json_t *list = root;
    if (json_is_object(root)) {     /* { "backend": {...}, ... } */
        list = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
            if (json_is_object(v) && !json_object_get(v, "bus-id"))
                json_object_set_new(v, "bus-id", json_string(k));
            json_array_append(list, v);
        }
    } else {
        json_incref(list);
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (!json_is_object(e))
            continue;
        const char *id = json_string_value(json_object_get(e, "bus-id"));
        if (bus_id ? (id && strcmp(id, bus_id) == 0) : json_is_true(json_object_get(e, "default")))
            pick = e;
        if (!bus_id && !pick && i == json_array_size(list) - 1)
            pick = json_array_get(list, 0);
        if (pick)
            break;
    }
    if (!pick) {
        fprintf(stderr, "%s: no bus %s\n", path, bus_id ? bus_id : "(default)");
        json_decref(list);
        json_decref(root);
        return -1;
    }
    memset(bc, 0, sizeof *bc);
    copy(bc->bus_id, sizeof bc->bus_id, json_object_get(pick, "bus-id"), "backend");
    copy(bc->cluster, sizeof bc->cluster, json_object_get(pick, "cluster"), bc->bus_id);
    copy(bc->user, sizeof bc->user, json_object_get(pick, "user"), "guest");
    copy(bc->pass, sizeof bc->pass, json_object_get(pick, "pass"), "guest");
    copy(bc->vhost, sizeof bc->vhost, json_object_get(pick, "vhost"), "/");
    json_int_t port = json_integer_value(json_object_get(pick, "port"));
    if (port <= 0)
        port = 61613;
    json_t *hs = json_object_get(pick, "hosts");
    size_t n = 0;
    if (json_is_array(hs)) {
        json_t *h;
        json_array_foreach(hs, i, h) if (json_is_string(h) && n < 8) {
            const char *s = json_string_value(h);
            if (strchr(s, ':'))
                snprintf(bc->hostbuf[n], sizeof bc->hostbuf[n], "%s", s);
            else
                snprintf(bc->hostbuf[n], sizeof bc->hostbuf[n], "%s:%d", s, (int)port);
            n++;
        }
    } else {
        const char *h = json_string_value(json_object_get(pick, "host"));
        snprintf(bc->hostbuf[n++], sizeof bc->hostbuf[0], "%s:%d", h ? h : "127.0.0.1", (int)port);
    }
    for (i = 0; i < n; i++)
        bc->hosts[i] = bc->hostbuf[i];
    bc->opts = (bk_client_opts){ .hosts = bc->hosts, .nhosts = n, .vhost = bc->vhost,
                                 .user = bc->user, .pass = bc->pass, .bus_id = bc->bus_id,
                                 .cluster = bc->cluster };
    json_decref(list);
    json_decref(root);
    return 0;
}
