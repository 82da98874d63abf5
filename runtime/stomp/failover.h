/* Host lists and back-off for the STOMP connection's failover (internal to conn.c and its
 * tests). Pure functions. */
#ifndef BKP_STOMP_FAILOVER_H
#define BKP_STOMP_FAILOVER_H

#include <stddef.h>
#include <stdint.h>

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

/* The delay before failed round number `round` (1 = after the first round of failures):
 * d = min_ms * 2^(round-1), capped at max_ms, then drawn in [d/2, d] using rnd (any
 * 32-bit random value). Never above max_ms, never below min_ms/2. */
uint32_t bkp_backoff_ms(uint32_t min_ms, uint32_t max_ms, unsigned round, uint32_t rnd);

#endif
