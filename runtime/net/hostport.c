/* Host addresses (see hostport.h). */
#include "net/hostport.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int bkp_hostport_parse(bkp_hostport *hp, const char *s)
{
    const char *host, *colon, *p;
    size_t hlen;
    unsigned long port = 0;

    memset(hp, 0, sizeof *hp);
    if (!s || !*s || strlen(s) > 300)
        return BK_EINVAL;
    for (p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return BK_EINVAL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return BK_EINVAL;
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return BK_EINVAL; /* bare IPv6 needs brackets */
        host = s;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen > 255)
        return BK_EINVAL;
    p = colon + 1;
    if (!*p || strlen(p) > 5)
        return BK_EINVAL;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return BK_EINVAL;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port == 0 || port > 65535)
        return BK_EINVAL;
    hp->host = dup_n(host, hlen);
    hp->port = dup_n(colon + 1, strlen(colon + 1));
    hp->label = dup_n(s, strlen(s));
    if (!hp->host || !hp->port || !hp->label) {
        bkp_hostport_clear(hp);
        return BK_ENOMEM;
    }
    return 0;
}

void bkp_hostport_clear(bkp_hostport *hp)
{
    free(hp->host);
    free(hp->port);
    free(hp->label);
    memset(hp, 0, sizeof *hp);
}
