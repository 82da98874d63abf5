#include "rpc/job.h"

#include <stdlib.h>
#include <string.h>

#include "beekeeper/error.h"

void bkp_job_free(bkp_job *j)
{
    if (!j)
        return;
    bkp_ack_tag_free(j->tag);
    bk_arena_free(j->a);
    free(j->reply_to);
    free(j->forward_reply);
    free(j->tokens);
    free(j->session);
    free(j);
}

static int dup_hdr(const bkp_frame *f, const char *name, char **out)
{
    const char *v = bkp_frame_get(f, name);
    *out = v ? strdup(v) : NULL;
    return v && !*out ? BK_ENOMEM : 0;
}

bkp_job *bkp_job_new(bkp_stomp *s, const bkp_frame *msg, int want_tag, void *owner)
{
    bkp_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->owner = owner;
    j->len = msg->body_len;
    if (bk_arena_new(&j->a) != 0 || !(j->body = bk_arena_alloc(j->a, msg->body_len + 1)) ||
        dup_hdr(msg, "reply-to", &j->reply_to) ||
        dup_hdr(msg, "x-forward-reply", &j->forward_reply) ||
        dup_hdr(msg, "x-auth-tokens", &j->tokens) || dup_hdr(msg, "x-session", &j->session) ||
        (want_tag && bkp_stomp_ack_tag_new(s, msg, &j->tag) != 0)) {
        bkp_job_free(j);
        return NULL;
    }
    if (msg->body_len)
        memcpy(j->body, msg->body, msg->body_len);
    return j;
}

void bkp_job_ack(bkp_stomp *s, bkp_job *j, int nack)
{
    if (j->tag) {
        bkp_stomp_ack_tag(s, j->tag, nack);
        j->tag = NULL;
    }
}
