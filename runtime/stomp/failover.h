/* Back-off for the STOMP connection's failover (internal to conn.c and its tests); its host
 * list is net/hostport.h's. */
#ifndef BKP_STOMP_FAILOVER_H
#define BKP_STOMP_FAILOVER_H

#include <stdint.h>

/* The delay before failed round number `round` (1 = after the first round of failures):
 * d = min_ms * 2^(round-1), capped at max_ms, then drawn in [d/2, d] using rnd (any
 * 32-bit random value). Never above max_ms, never below min_ms/2. */
uint32_t bkp_backoff_ms(uint32_t min_ms, uint32_t max_ms, unsigned round, uint32_t rnd);

#endif
