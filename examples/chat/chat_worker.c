/* chat-worker (build/lib/chat-worker.so): myapp.chat of the chat example, from chat.bkidl.
 * A message goes to every frontend (a broadcast through the routers), a private message
 * and a notice to the connections bound to the user's address (unicast). Who sends is the
 * login's token on the session, which only a router sets (x-auth-tokens). */
#include <string.h>

#include "beekeeper/module.h"
#include "myapp_chat.h"
#include "user.h"

static int not_logged_in(bk_request *req)
{
    return bk_request_fail(req, BK_RPC_NOT_AUTHENTICATED, NULL, "log in first (myapp.auth.login)");
}

static int sent(bk_request *req, int rc)
{
    return rc ? bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "cannot send: %s",
                                bk_strerror(rc))
              : 0;
}

static int message(bk_request *req, void *ctx, const char *text)
{
    (void)ctx;
    const char *me = chat_user_of(req);
    if (!me)
        return not_logged_in(req);
    if (!*text)
        return 0;
    return sent(req, myapp_chat_said_notify(bk_request_client(req),
                                            &(bk_call_opts){ .address = "frontend" }, me, text));
}

/* A message from `from` (NULL: a notice) to `to`'s connections. */
static int tell(bk_request *req, const char *from, const char *to, const char *text)
{
    char addr[64];
    if (chat_user_address(addr, sizeof addr, to))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS, NULL, "not a user name: '%.40s'", to);
    if (!*text)
        return 0;
    return sent(req, myapp_chat_told_notify(bk_request_client(req),
                                            &(bk_call_opts){ .address = addr }, from, text));
}

static int pmessage(bk_request *req, void *ctx, const char *to_user, const char *text)
{
    (void)ctx;
    const char *me = chat_user_of(req);
    return me ? tell(req, me, to_user, text) : not_logged_in(req);
}

static int notice(bk_request *req, void *ctx, const char *to_uuid, const char *text)
{
    (void)ctx;
    return tell(req, NULL, to_uuid, text);
}

static int ping(bk_request *req, void *ctx, int64_t *result)
{
    (void)req;
    (void)ctx;
    *result = 1;
    return 0;
}

static bk_auth_result allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW; /* @public decides what a frontend may call */
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    (void)options;
    h->authorize = allow;
    return myapp_chat_serve(w, &(myapp_chat_handlers){ .message = message, .pmessage = pmessage,
                                                       .notice = notice, .ping = ping }, NULL);
}

BK_MODULE_EXPORT const bk_module_def BK_MODULE = {
    .abi = BK_MODULE_ABI,
    .name = "chat-worker",
    .setup = setup,
};
