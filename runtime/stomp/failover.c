/* Back-off for failover (see failover.h). */
#include "stomp/failover.h"

uint32_t bkp_backoff_ms(uint32_t min_ms, uint32_t max_ms, unsigned round, uint32_t rnd)
{
    uint64_t d = min_ms ? min_ms : 1;
    unsigned i;

    if (max_ms < d)
        max_ms = (uint32_t)d;
    for (i = 1; i < round && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    /* jitter in [d/2, d] spreads clients that lost the same broker at the same moment */
    return (uint32_t)(d / 2 + rnd % (d - d / 2 + 1));
}
