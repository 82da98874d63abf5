/* The runtime's clocks, one owner for each kind of time. Internal to libbeekeeper.
 *
 * Monotonic time (bkp_now_ms, bkp_now_us) measures timeouts, intervals and durations: it
 * never jumps when the system clock is set, and its origin is arbitrary (boot), so its
 * values mean nothing outside this process. Wall time (bkp_wall_ms) is for what leaves the
 * process or comes from outside it, such as a STOMP message's expiry time; it jumps with the
 * system clock, so never measure an interval with it. */
#ifndef BKP_CORE_CLOCK_H
#define BKP_CORE_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds and microseconds (CLOCK_MONOTONIC). */
uint64_t bkp_now_ms(void);
uint64_t bkp_now_us(void);

/* Wall-clock milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t bkp_wall_ms(void);

#endif
