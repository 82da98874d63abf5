/* The broker as an object on an event loop, for main.c, the tests and the fuzz target. */
#ifndef BRK_SERVER_H
#define BRK_SERVER_H

#include "broker/broker.h"

/* Makes a broker with default limits on base (borrowed). 0 or BK_ENOMEM. */
int brk_broker_new(brk_broker **out, struct event_base *base);
/* Listens on each "HOST:PORT"; port 0 takes any free port (brk_broker_bound says which).
 * 0, or BK_EINVAL/BK_EIO with err filled. */
int brk_broker_listen(brk_broker *b, const char *const *addrs, size_t n, char *err,
                      size_t errlen);
/* After brk_broker_listen: listens with TLS on each "HOST:PORT", with the certificate chain
 * cert and its key (NULL: in cert), PEM files; client_ca not NULL: clients must show a
 * certificate signed by a CA of that file. Its listeners come after the plain ones.
 * 0, or BK_EINVAL/BK_EIO (err filled: a file that does not load, an address) or BK_ENOMEM. */
int brk_broker_listen_tls(brk_broker *b, const char *const *addrs, size_t n, const char *cert,
                          const char *key, const char *client_ca, char *err, size_t errlen);
/* Writes listener i's bound address as "HOST:PORT" ("[::1]:PORT" for IPv6) to buf. 0, or
 * BK_EINVAL (no such listener) or BK_EIO. */
int brk_broker_bound(const brk_broker *b, size_t i, char *buf, size_t len);
/* Stops accepting, says goodbye to every client (ERROR "broker shutting down"), and ends
 * the loop once they are gone, or after 2 s. */
void brk_broker_stop(brk_broker *b);
/* Frees everything, closing what is still open. NULL does nothing. */
void brk_broker_free(brk_broker *b);
/* Raises the soft RLIMIT_NOFILE to the hard limit, for many connections. */
void brk_raise_fd_limit(void);

#endif
