#include "rpc/names.h"

#include <stdio.h>
#include <string.h>

#include "beekeeper/error.h"
#include "core/random.h"
#include "rpc/jsonrpc.h"

static int put(char *buf, size_t n, int r)
{
    (void)buf;
    return r < 0 || (size_t)r >= n ? BK_ELIMIT : 0;
}

static int name_ok(const char *s)
{
    /* a cluster or bus id: one or more [A-Za-z0-9_-] segments, dots allowed */
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

int bkp_dest_request(char *buf, size_t n, const char *cluster, const char *method)
{
    size_t sl;
    if (!name_ok(cluster) || !bkp_method_valid(method, 1, &sl))
        return BK_EINVAL;
    return put(buf, n, snprintf(buf, n, "/queue/req.%s.%.*s", cluster, (int)sl, method));
}

int bkp_dest_notify(char *buf, size_t n, const char *cluster, const char *method)
{
    if (!name_ok(cluster) || !bkp_method_valid(method, 1, NULL))
        return BK_EINVAL;
    return put(buf, n, snprintf(buf, n, "/topic/msg.%s.%s", cluster, method));
}

int bkp_dest_forward_request(char *dest, size_t dn, char *xfwd, size_t xn, const char *remote,
                             const char *method, int lane)
{
    size_t sl;
    if (!name_ok(remote) || !bkp_method_valid(method, 0, &sl) || (lane != 1 && lane != 2))
        return BK_EINVAL;
    int r = put(dest, dn, snprintf(dest, dn, "/queue/req.%s-%d", remote, lane));
    return r ? r : put(xfwd, xn, snprintf(xfwd, xn, "/queue/req.%s.%.*s", remote, (int)sl, method));
}

int bkp_dest_forward_notify(char *dest, size_t dn, char *xfwd, size_t xn, const char *remote,
                            const char *method, const char *address, int lane)
{
    if (!name_ok(remote) || !bkp_method_valid(method, 0, NULL) || (lane != 1 && lane != 2))
        return BK_EINVAL;
    if (address && (!*address || strpbrk(address, "@\r\n:")))
        return BK_EINVAL;
    int r = put(dest, dn, snprintf(dest, dn, "/queue/msg.%s-%d", remote, lane));
    if (r)
        return r;
    return put(xfwd, xn, snprintf(xfwd, xn, "/topic/msg.%s.%s%s%s", remote, method,
                                  address ? "@" : "", address ? address : ""));
}

int bkp_dest_log(char *buf, size_t n, const char *level, const char *service)
{
    if (!name_ok(level) || !name_ok(service))
        return BK_EINVAL;
    return put(buf, n, snprintf(buf, n, "/topic/log.%s.%s", level, service));
}

int bkp_dest_temp(char *buf, size_t n)
{
    char name[17];
    bkp_random_text(name, 16, BKP_RANDOM_ALNUM);
    return put(buf, n, snprintf(buf, n, "/temp-queue/tmp.%s", name));
}

void bkp_random_digits8(char *buf)
{
    bkp_random_text(buf, 8, BKP_RANDOM_DIGITS);
}
