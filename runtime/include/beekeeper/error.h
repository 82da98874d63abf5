/* Beekeeper error codes: the one error model of the whole API.
 *
 * Every library function that can fail returns int: 0 (BK_OK) on success, or a negative
 * bk_err below. bk_strerror() names any of them, BK_ERPC included. Detail (which byte, which
 * file, which line, which JSON-RPC error) goes to a caller-owned diagnostic (the err buffer
 * of the config loaders, the bk_error of a call: rpc.h) or the log callback; the library
 * never prints.
 *
 * Two hook types of worker.h answer with something that is not an error code, each said
 * where its type is: a handler returns 0, a negative bk_err or BK_DEFER (the only positive
 * value the API knows), an authorize hook a bk_auth_result.
 *
 * NULL. A function given NULL where it needs an object returns BK_EINVAL (or, when it returns
 * no int, does nothing: a getter returns NULL, "" or 0 as its declaration says); it never
 * crashes. A function that makes an object (its out-parameter first) sets *out to NULL when
 * it fails, so that the object's _free may be called either way. */
#ifndef BEEKEEPER_ERROR_H
#define BEEKEEPER_ERROR_H

#include "beekeeper/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bk_err {
    BK_OK = 0,
    BK_ENOMEM = -1,      /* out of memory */
    BK_EINVAL = -2,      /* invalid argument (a NULL one included) */
    BK_EPROTO = -3,      /* the peer broke the protocol */
    BK_ETIMEDOUT = -4,   /* no answer in time */
    BK_ECLOSED = -5,     /* the connection is closed */
    BK_ELIMIT = -6,      /* a configured limit was exceeded */
    BK_EIO = -7,         /* a system call failed (errno tells more) */
    BK_ECONNREFUSED = -8,/* no broker answered */
    BK_EAUTH = -9,       /* the broker refused our login */
    BK_EBROKER = -10,    /* the broker sent an ERROR frame */
    BK_ENOTFOUND = -11,  /* no such thing (file, bus, key) */
    BK_ESYNTAX = -12,    /* malformed input (config file, IDL, JSON) */
    /* -13 was BK_EAGAIN, which no function returned; it is not reused */
    BK_ESTATE = -14,     /* not allowed in the object's current state */
    BK_ERPC = -15,       /* the service answered with a JSON-RPC error: the call's bk_error
                            (rpc.h) has its code, message and data */
} bk_err;

/* A static English description of an error code ("unknown error" for a value not above);
 * never NULL. */
BK_API const char *bk_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
