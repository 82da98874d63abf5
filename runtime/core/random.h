/* The runtime's one random source. Internal to libbeekeeper.
 *
 * For names and tokens that must not repeat across processes and hosts (temp queues, call
 * ids, a broker's session tokens) and for jitter (failover back-off, the first host): not
 * for keys. Bytes come from the kernel (getrandom, never blocking); where that fails (an
 * old kernel, a seccomp filter, entropy not yet initialised at early boot) from
 * /dev/urandom, and failing that from a generator seeded with the time, the pid and a
 * counter, so that a call never blocks and never fails. */
#ifndef BKP_CORE_RANDOM_H
#define BKP_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#define BKP_RANDOM_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define BKP_RANDOM_DIGITS "0123456789"

/* n random bytes into buf. */
void bkp_random_bytes(void *buf, size_t n);
/* A random 32-bit value. */
uint32_t bkp_random32(void);
/* n characters drawn from alphabet (not empty), then a NUL: out holds n + 1 bytes. */
void bkp_random_text(char *out, size_t n, const char *alphabet);

#endif
