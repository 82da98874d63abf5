/* auth-worker (build/lib/auth-worker.so): myapp.auth of the chat example, from auth.bkidl.
 * A login binds the caller's frontend connection to the address frontend.user-NAME, with
 * the token that tells chat-worker who sends; the greeting, the goodbye and the kick are
 * notices, sent through myapp.chat as 0.02's example does. Names and passwords are not
 * checked against anything: an example. */
#include <stdio.h>

#include "beekeeper/module.h"
#include "myapp_auth.h"
#include "myapp_chat.h"
#include "user.h"

static void notice(bk_request *req, const char *to, const char *msg)
{
    /* Best effort, as a greeting is: the login stands without it. */
    (void)myapp_chat_notice_background(bk_request_client(req), NULL, to, msg);
}

static int login(bk_request *req, void *ctx, const char *username, const char *password,
                 int64_t *result)
{
    (void)ctx;
    (void)password;
    char addr[64], token[64];
    if (chat_user_address(addr, sizeof addr, username) || chat_user_token(token, sizeof token,
                                                                           username))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS, NULL,
                               "username: 1 to 32 letters, digits, '_' or '-'");
    int rc = bk_request_bind(req, addr, token);
    if (rc == BK_ESTATE)
        return bk_request_fail(req, BK_RPC_INVALID_REQUEST, NULL,
                               "login is for frontend clients, through a router");
    if (rc)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "cannot bind: %s",
                               bk_strerror(rc));
    char hello[64];
    snprintf(hello, sizeof hello, "Welcome %s", username);
    notice(req, username, hello);
    *result = 1;
    return 0;
}

static int logout(bk_request *req, void *ctx, int64_t *result)
{
    (void)ctx;
    const char *me = chat_user_of(req);
    if (me)
        notice(req, me, "Bye!");
    int rc = bk_request_unbind(req);
    if (rc && rc != BK_ESTATE)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "cannot unbind: %s",
                               bk_strerror(rc));
    *result = 1;
    return 0;
}

static int kick(bk_request *req, void *ctx, const char *username, int64_t *result)
{
    (void)ctx;
    char addr[64];
    if (chat_user_address(addr, sizeof addr, username))
        return bk_request_fail(req, BK_RPC_INVALID_PARAMS, NULL, "username: not a user name");
    notice(req, username, "You were kicked");
    int rc = bk_request_unbind_address(req, addr);
    if (rc)
        return bk_request_fail(req, BK_RPC_INTERNAL_ERROR, NULL, "cannot unbind: %s",
                               bk_strerror(rc));
    *result = 1;
    return 0;
}

/* Who may call is the IDL's business (@public for what a frontend may call); anyone on the
 * backend may kick, as in 0.02's example. */
static bk_auth_result allow(bk_request *req, void *arg)
{
    (void)req;
    (void)arg;
    return BK_AUTH_ALLOW;
}

static int setup(bk_worker *w, const json_t *options, bk_module_hooks *h)
{
    (void)options;
    h->authorize = allow;
    return myapp_auth_serve(w, &(myapp_auth_handlers){ .login = login, .logout = logout,
                                                       .kick = kick }, NULL);
}

BK_MODULE_EXPORT const bk_module_def BK_MODULE = {
    .abi = BK_MODULE_ABI,
    .name = "auth-worker",
    .setup = setup,
};
