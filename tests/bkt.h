/* Helpers for any test, unit or integration: bounded runs of a libevent loop and a free
 * loopback port. Integration tests find the rest of their fixture in itest_env.h. */
#ifndef BK_TESTS_BKT_H
#define BK_TESTS_BKT_H

#include <stdint.h>

struct event_base;

/* CLOCK_MONOTONIC in milliseconds: the deadlines of the waits below. */
uint64_t bkt_mono_ms(void);

typedef int bkt_cond(void *arg);

/* Runs b until cond(arg) is true or ms have passed (a 5 ms tick wakes the loop to ask);
 * cond's last answer. With cond NULL it runs the whole ms. */
int bkt_run_until(struct event_base *b, bkt_cond *cond, void *arg, unsigned ms);

void bkt_run_for(struct event_base *b, unsigned ms);

/* Runs b until *n >= want or ms have passed; whether *n got there. */
int bkt_run_until_n(struct event_base *b, const int *n, int want, unsigned ms);

/* Sleeps ms milliseconds (between polls of something outside any loop). */
void bkt_sleep_ms(int ms);

/* A loopback TCP port nobody listens on (bound, then closed); fails the test when the
 * system gives none. */
int bkt_free_port(void);

#endif
