/* libFuzzer target: arbitrary bytes through the broker's connection handling.
 * A real broker object on its own event loop gets one end of a socketpair as a client
 * connection; the input is written to the other end in chunks (the first byte sets the chunk
 * size), the loop runs between chunks, and whatever the broker answers is read and dropped.
 * A second, well-behaved connection subscribes to a queue and a topic first, so that SENDs in
 * the input are routed and delivered. Then both peers hang up and the broker is freed: ASan
 * and LeakSanitizer check that nothing leaked and nothing was touched after free. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "broker/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pump(struct event_base *base, int fd)
{
    char sink[65536];
    for (int i = 0; i < 4; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        while (read(fd, sink, sizeof sink) > 0)
            ;
    }
}

static int client(brk_broker *b, int *peer)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1;
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);
    brk_session_accept(b, sv[0], NULL);
    *peer = sv[1];
    return 0;
}

static void put(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return; /* buffer full: the rest is dropped, as a peer that gives up would */
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

static const char listener[] =
    "CONNECT\naccept-version:1.2\nhost:/\n\n\0"
    "SUBSCRIBE\nid:1\ndestination:/queue/a\nack:client-individual\nprefetch-count:2\n\n\0"
    "SUBSCRIBE\nid:2\ndestination:/topic/a.#\n\n\0"
    "SUBSCRIBE\nid:3\ndestination:/topic/*.b\n\n\0";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    signal(SIGPIPE, SIG_IGN); /* as bkpr-broker does: a peer gone is an error, not a signal */
    struct event_base *base = event_base_new();
    brk_broker *b = NULL;
    int quiet = -1, fz = -1;
    if (!base || brk_broker_new(&b, base) != 0)
        abort();
    if (client(b, &quiet) < 0 || client(b, &fz) < 0)
        abort();
    put(quiet, listener, sizeof listener - 1);
    pump(base, quiet);

    size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
    if (size) {
        data++;
        size--;
    }
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        put(fz, data + off, n);
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (((off / chunk) & 15) == 15) {
            pump(base, fz);
            pump(base, quiet);
        }
    }
    pump(base, fz);
    pump(base, quiet);
    close(fz);
    pump(base, quiet);
    close(quiet);
    event_base_loop(base, EVLOOP_NONBLOCK);
    brk_broker_free(b);
    event_base_free(base);
    return 0;
}
