/* STOMP destinations of the bus protocol (doc/protocol.md, "Names"). Internal (bkp_).
 * Every function writes a NUL-terminated name into buf[0..n) and returns 0, BK_EINVAL
 * (a name that is not [A-Za-z0-9_-] segments) or BK_ELIMIT (buf too small). */
#ifndef BKP_RPC_NAMES_H
#define BKP_RPC_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "/queue/req.{cluster}.{service}" for method "{service}.{m}" (or a "service.*" pattern). */
int bkp_dest_request(char *buf, size_t n, const char *cluster, const char *method);
/* "/topic/msg.{cluster}.{method}"; method may end in ".*" (subscription pattern). */
int bkp_dest_notify(char *buf, size_t n, const char *cluster, const char *method);
/* Remote bus through a router: destination "/queue/req.{remote}-{lane}" and
 * x-forward-to "/queue/req.{remote}.{service}". lane is 1 or 2. */
int bkp_dest_forward_request(char *dest, size_t dn, char *xfwd, size_t xn, const char *remote,
                             const char *method, int lane);
/* "/queue/msg.{remote}-{lane}" and "/topic/msg.{remote}.{method}[@{address}]". */
int bkp_dest_forward_notify(char *dest, size_t dn, char *xfwd, size_t xn, const char *remote,
                            const char *method, const char *address, int lane);
/* "/topic/log.{level}.{service}" */
int bkp_dest_log(char *buf, size_t n, const char *level, const char *service);
/* "/temp-queue/tmp.{16 random [A-Za-z0-9]}" (n >= 32). */
int bkp_dest_temp(char *buf, size_t n);

/* 8 random decimal digits, NUL-terminated (buf of 9). */
void bkp_random_digits8(char *buf);

#endif
