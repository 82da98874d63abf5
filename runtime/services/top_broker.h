/* bkpr-top's broker view: the figures bkpr-broker serves itself (_bkpr.broker.stats, see
 * doc/broker.md "Statistics"). */
#ifndef BKP_SERVICES_TOP_BROKER_H
#define BKP_SERVICES_TOP_BROKER_H

#include <stdio.h>

#include "beekeeper/client.h"

/* Asks the broker c is connected to for its figures and writes them to f: totals, then
 * the vhost's queues, deepest first, at most max_rows of them (0: all); reverse puts the
 * column heads in reverse video (a screen). 0, or a bk_err with the reason in why. */
int bkp_top_broker(bk_client *c, bk_arena *a, FILE *f, size_t max_rows, int reverse,
                   char *why, size_t wn);

#endif
