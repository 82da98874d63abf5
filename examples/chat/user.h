/* The chat example's users: who a request's caller is, as login recorded it. Shared by
 * auth-worker (which binds) and chat-worker (which reads). */
#ifndef EXAMPLES_CHAT_USER_H
#define EXAMPLES_CHAT_USER_H

#include <stddef.h>

#include "beekeeper/worker.h"

/* A user name: 1 to 32 of [A-Za-z0-9_-], so that it is an address segment as it stands. */
int chat_user_valid(const char *name);

/* The token login gives a session ("chat-user:NAME"), written into buf. The prefix keeps a
 * user named like one of Beekeeper's own tokens (BKPR_ROUTER) from holding it. */
int chat_user_token(char *buf, size_t len, const char *name);

/* The address of a user's connections ("frontend.user-NAME"), written into buf. */
int chat_user_address(char *buf, size_t len, const char *name);

/* The caller's user name, from its session's tokens (in the request's arena), or NULL when
 * it has not logged in. */
const char *chat_user_of(bk_request *req);

#endif
