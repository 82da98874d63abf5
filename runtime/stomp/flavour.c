/* Broker flavours: the one place that knows how brokers differ (see flavour.h). */
#include "stomp/flavour.h"

#include <string.h>

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bkp_flavour bkp_flavour_detect(const char *server)
{
    if (!server)
        return BKP_FLAVOUR_GENERIC;
    if (starts_with(server, "RabbitMQ/"))
        return BKP_FLAVOUR_RABBITMQ;
    if (starts_with(server, "ActiveMQ/"))
        return BKP_FLAVOUR_ACTIVEMQ;
    if (starts_with(server, "bkpr-broker/"))
        return BKP_FLAVOUR_BKPR;
    return BKP_FLAVOUR_GENERIC;
}

const char *bkp_flavour_name(bkp_flavour f)
{
    switch (f) {
    case BKP_FLAVOUR_RABBITMQ: return "rabbitmq";
    case BKP_FLAVOUR_ACTIVEMQ: return "activemq";
    case BKP_FLAVOUR_BKPR: return "bkpr-broker";
    case BKP_FLAVOUR_GENERIC: break;
    }
    return "generic";
}

const char *bkp_flavour_prefetch_header(bkp_flavour f)
{
    return f == BKP_FLAVOUR_ACTIVEMQ ? "activemq.prefetchSize" : "prefetch-count";
}

unsigned bkp_flavour_worker_prefetch(bkp_flavour f)
{
    return f == BKP_FLAVOUR_BKPR ? BKP_FLAVOUR_BKPR_PREFETCH : 1;
}

int bkp_flavour_client_subscribes_temp(bkp_flavour f)
{
    return f != BKP_FLAVOUR_RABBITMQ;
}

const char *bkp_flavour_temp_sub_id(bkp_flavour f, const char *dest)
{
    (void)f; /* RabbitMQ uses the destination itself as the subscription id */
    return dest;
}

const char *bkp_flavour_wildcard_multi(bkp_flavour f)
{
    return f == BKP_FLAVOUR_ACTIVEMQ ? ">" : "#";
}

const char *bkp_flavour_subscribe_dest(bkp_flavour f, const char *dest, char *buf, size_t size)
{
    const char *w = bkp_flavour_wildcard_multi(f);
    size_t n = strlen(dest), i;
    if (w[0] == '#' || !starts_with(dest, "/topic/") || !strchr(dest, '#'))
        return dest;
    if (n >= size)
        return NULL;
    memcpy(buf, dest, n + 1);
    /* Only a whole segment is a wildcard: "a.#" and "#.b", not "a#b". */
    for (i = strlen("/topic/"); i < n; i++) {
        int seg_start = buf[i - 1] == '.' || buf[i - 1] == '/';
        int seg_end = buf[i + 1] == '.' || buf[i + 1] == '\0';
        if (buf[i] == '#' && seg_start && seg_end)
            buf[i] = w[0];
    }
    return buf;
}

void bkp_flavour_expiration(bkp_flavour f, uint64_t ttl_ms, uint64_t now_epoch_ms,
                            const char **name, uint64_t *value)
{
    if (f == BKP_FLAVOUR_ACTIVEMQ) {
        *name = "expires";
        *value = now_epoch_ms + ttl_ms;
    } else {
        *name = "expiration";
        *value = ttl_ms;
    }
}

int bkp_flavour_nack_requeues(bkp_flavour f)
{
    return f != BKP_FLAVOUR_ACTIVEMQ;
}

int bkp_flavour_error_closes(bkp_flavour f)
{
    return f != BKP_FLAVOUR_ACTIVEMQ;
}
