#include "core/random.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Fills p[0..n) from getrandom (fd < 0) or from fd; returns how many bytes it could not. */
static size_t fill(unsigned char *p, size_t n, int fd)
{
    while (n > 0) {
        ssize_t r = fd < 0 ? getrandom(p, n, GRND_NONBLOCK) : read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        p += r;
        n -= (size_t)r;
    }
    return n;
}

/* The last resort: splitmix64 over the time, the pid and a counter, so that two processes
 * started at the same moment, or two calls in one, still differ. */
static void from_clock(unsigned char *p, size_t n)
{
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    x ^= ((uint64_t)getpid() << 32) ^ (++counter * 0x9E3779B97F4A7C15u);
    while (n > 0) {
        uint64_t z = (x += 0x9E3779B97F4A7C15u);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        z ^= z >> 31;
        size_t k = n < sizeof z ? n : sizeof z;
        memcpy(p, &z, k);
        p += k;
        n -= k;
    }
}

void bkp_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t left = fill(p, n, -1);
    if (left > 0) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            left = fill(p + (n - left), left, fd);
            close(fd);
        }
    }
    if (left > 0)
        from_clock(p + (n - left), left);
}

uint32_t bkp_random32(void)
{
    uint32_t r;
    bkp_random_bytes(&r, sizeof r);
    return r;
}

void bkp_random_text(char *out, size_t n, const char *alphabet)
{
    unsigned char r[64];
    size_t len = strlen(alphabet);
    for (size_t i = 0; i < n; i++) {
        if (i % sizeof r == 0)
            bkp_random_bytes(r, n - i < sizeof r ? n - i : sizeof r);
        out[i] = alphabet[r[i % sizeof r] % len];
    }
    out[n] = '\0';
}
