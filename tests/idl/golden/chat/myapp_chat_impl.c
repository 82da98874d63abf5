/* Yours to edit: bkpr-gen --skeleton wrote this file once and never writes over it.
 * Generated from tests/idl/chat.bkidl: the handlers of myapp.chat; serve them with
 *     myapp_chat_serve(worker, &myapp_chat_impl, ctx);
 * See myapp_chat.h for what each receives and returns. */
#include "myapp_chat.h"

/** Posts a message; returns its id. */
/* myapp.chat.send */
static int myapp_chat_send_impl(bk_request *req, void *ctx, const char *room,
                                const myapp_message *msg, const char **result)
{
    (void)ctx;
    (void)room;
    (void)msg;
    (void)result;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "myapp.chat.send: not implemented");
}

/* myapp.chat.history */
static int myapp_chat_history_impl(bk_request *req, void *ctx, const char *room, int64_t limit,
                                   myapp_message_list *result)
{
    (void)ctx;
    (void)room;
    (void)limit;
    (void)result;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "myapp.chat.history: not implemented");
}

/* myapp.chat.log */
static int myapp_chat_log_impl(bk_request *req, void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
    return bk_request_fail(req, BK_RPC_SERVER_ERROR, NULL, "myapp.chat.log: not implemented");
}

const myapp_chat_handlers myapp_chat_impl = {
    .send = myapp_chat_send_impl,
    .history = myapp_chat_history_impl,
    .log = myapp_chat_log_impl,
};
