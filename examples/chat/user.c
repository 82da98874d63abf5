/* The chat example's users: see user.h. */
#include "user.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_PREFIX "chat-user:"

int chat_user_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 32)
        return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int put(char *buf, size_t len, const char *prefix, const char *name)
{
    int n = snprintf(buf, len, "%s%s", prefix, name);
    return n > 0 && (size_t)n < len && chat_user_valid(name) ? 0 : -1;
}

int chat_user_token(char *buf, size_t len, const char *name)
{
    return put(buf, len, TOKEN_PREFIX, name);
}

int chat_user_address(char *buf, size_t len, const char *name)
{
    return put(buf, len, "frontend.user-", name);
}

const char *chat_user_of(bk_request *req)
{
    /* tokens are "a|b|c": find ours among them */
    const char *t = bk_request_tokens(req);
    size_t pl = sizeof TOKEN_PREFIX - 1;
    for (const char *p = t; p && *p;) {
        size_t n = strcspn(p, "|");
        if (n > pl && strncmp(p, TOKEN_PREFIX, pl) == 0) {
            char *name = bk_arena_strndup(bk_request_arena(req), p + pl, n - pl);
            return name && chat_user_valid(name) ? name : NULL;
        }
        p += n + (p[n] == '|');
    }
    return NULL;
}
