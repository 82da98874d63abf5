/* "host:port" addresses, as a client's host list gives them (bk_client_opts.hosts, the
 * "host"/"hosts" of bus.config.json): the one parser of that syntax, for the connection that
 * dials them and the config loader that checks them. Internal to libbeekeeper. */
#ifndef BKP_NET_HOSTPORT_H
#define BKP_NET_HOSTPORT_H

/* The most hosts a host list holds. */
#define BKP_MAX_HOSTS 64

typedef struct bkp_hostport {
    char *host;   /* "127.0.0.1", "::1", "broker.example" (no brackets) */
    char *port;   /* decimal, 1..65535 */
    char *label;  /* as given: "127.0.0.1:61613" */
} bkp_hostport;

/* Parses "host:port" or "[v6]:port" into *hp (new strings, free with bkp_hostport_clear).
 * Returns 0, BK_EINVAL (malformed: no port, port out of range, empty host, over 255
 * bytes, control characters) or BK_ENOMEM. */
int bkp_hostport_parse(bkp_hostport *hp, const char *s);
void bkp_hostport_clear(bkp_hostport *hp);

#endif
