/* bkp_tls: see tls.h. OpenSSL's own socket BIO does the system calls: with read-ahead one
 * read() takes what the kernel has (up to a record buffer), and one SSL_write of up to a
 * record is one write(). */
#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "beekeeper/error.h"

/* The most plaintext one TLS record holds. */
#define RECORD_MAX 16384

struct bkp_tls_ctx {
    SSL_CTX *ssl;
    int refs;
};

struct bkp_tls {
    SSL *ssl;
    bkp_tls_ctx *ctx;
    char err[256];
};

/* The first error OpenSSL queued ("no such file"), not the last ("system lib"). */
static const char *queued_reason(void)
{
    unsigned long e = ERR_peek_error();
    if (e && ERR_SYSTEM_ERROR(e))
        return strerror(ERR_GET_REASON(e));
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

static int ctx_fail(SSL_CTX *c, char *err, size_t errlen, const char *what, const char *file)
{
    snprintf(err, errlen, "TLS: %s %s: %s", what, file, queued_reason());
    ERR_clear_error();
    SSL_CTX_free(c);
    return BK_EINVAL;
}

static SSL_CTX *ctx_new(const SSL_METHOD *m)
{
    SSL_CTX *c = SSL_CTX_new(m);
    if (!c)
        return NULL;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* A write that the kernel takes in part is retried from the evbuffer, whose bytes may
     * have moved (pulled up) meanwhile; a partial write drains what was sent. */
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(c, 1);
    return c;
}

static int load_cert(SSL_CTX *c, const char *cert, const char *key, char *err, size_t errlen)
{
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1)
        return ctx_fail(c, err, errlen, "cannot load the certificate", cert);
    if (SSL_CTX_use_PrivateKey_file(c, key ? key : cert, SSL_FILETYPE_PEM) != 1)
        return ctx_fail(c, err, errlen, "cannot load the key", key ? key : cert);
    if (SSL_CTX_check_private_key(c) != 1)
        return ctx_fail(c, err, errlen, "the key does not match the certificate", cert);
    return 0;
}

static int ctx_out(bkp_tls_ctx **out, SSL_CTX *c)
{
    bkp_tls_ctx *x = malloc(sizeof *x);
    if (!x) {
        SSL_CTX_free(c);
        return BK_ENOMEM;
    }
    x->ssl = c;
    x->refs = 1;
    *out = x;
    return 0;
}

int bkp_tls_ctx_client(bkp_tls_ctx **out, const char *ca, const char *cert, const char *key,
                       int verify, char *err, size_t errlen)
{
    *out = NULL;
    SSL_CTX *c = ctx_new(TLS_client_method());
    if (!c)
        return BK_ENOMEM;
    if (verify) {
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
        if (ca && SSL_CTX_load_verify_locations(c, ca, NULL) != 1)
            return ctx_fail(c, err, errlen, "cannot load the CA file", ca);
        if (!ca && SSL_CTX_set_default_verify_paths(c) != 1)
            return ctx_fail(c, err, errlen, "cannot load the system's trust store", "");
    } else {
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    }
    if (cert && load_cert(c, cert, key, err, errlen) < 0)
        return BK_EINVAL;
    return ctx_out(out, c);
}

int bkp_tls_ctx_server(bkp_tls_ctx **out, const char *cert, const char *key,
                       const char *client_ca, char *err, size_t errlen)
{
    *out = NULL;
    SSL_CTX *c = ctx_new(TLS_server_method());
    if (!c)
        return BK_ENOMEM;
    if (load_cert(c, cert, key, err, errlen) < 0)
        return BK_EINVAL;
    if (client_ca) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
        if (!names || SSL_CTX_load_verify_locations(c, client_ca, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return ctx_fail(c, err, errlen, "cannot load the client CA file", client_ca);
        }
        SSL_CTX_set_client_CA_list(c, names);
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx_out(out, c);
}

bkp_tls_ctx *bkp_tls_ctx_ref(bkp_tls_ctx *c)
{
    if (c)
        c->refs++;
    return c;
}

void bkp_tls_ctx_free(bkp_tls_ctx *c)
{
    if (!c || --c->refs > 0)
        return;
    SSL_CTX_free(c->ssl);
    free(c);
}

bkp_tls *bkp_tls_new(bkp_tls_ctx *c, int fd, const char *host)
{
    bkp_tls *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ssl = SSL_new(c->ssl);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
        goto fail;
    if (host) {
        /* SSL_set1_host takes an address as an address (checked against IP SANs); SNI is
         * for names only. */
        if (SSL_set1_host(t->ssl, host) != 1)
            goto fail;
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
        if (ip)
            ASN1_OCTET_STRING_free(ip);
        else if (SSL_set_tlsext_host_name(t->ssl, host) != 1)
            goto fail;
        SSL_set_connect_state(t->ssl);
    } else {
        SSL_set_accept_state(t->ssl);
    }
    t->ctx = bkp_tls_ctx_ref(c);
    return t;
fail:
    ERR_clear_error();
    SSL_free(t->ssl);
    free(t);
    return NULL;
}

void bkp_tls_free(bkp_tls *t)
{
    if (!t)
        return;
    if (SSL_is_init_finished(t->ssl))
        (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
    SSL_free(t->ssl);
    bkp_tls_ctx_free(t->ctx);
    free(t);
}

/* Says why, in words that name the usual mistakes: a certificate that does not verify gets
 * the verifier's reason; a peer that answers with something else than TLS is named so. */
static void set_error(bkp_tls *t, int code, int sys_errno)
{
    unsigned long e = ERR_peek_error();
    long v = SSL_get_verify_result(t->ssl);
    if (code == SSL_ERROR_SYSCALL && !e) {
        snprintf(t->err, sizeof t->err, "%s",
                 sys_errno ? strerror(sys_errno) : "the peer closed the connection");
    } else if (ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && v != X509_V_OK) {
        snprintf(t->err, sizeof t->err, "certificate verify failed: %s",
                 X509_verify_cert_error_string(v));
    } else {
        int r = ERR_GET_REASON(e);
        int not_tls = r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
                      r == SSL_R_HTTPS_PROXY_REQUEST || r == SSL_R_HTTP_REQUEST ||
                      r == SSL_R_RECORD_LENGTH_MISMATCH || r == SSL_R_UNKNOWN_PROTOCOL;
        snprintf(t->err, sizeof t->err, "%s%s", queued_reason(),
                 not_tls ? " (the peer does not speak TLS)" : "");
    }
    ERR_clear_error();
}

static int step_result(bkp_tls *t, int rc)
{
    int saved = errno;
    int code = SSL_get_error(t->ssl, rc);
    switch (code) {
    case SSL_ERROR_WANT_READ:
        return BKP_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return BKP_TLS_WANT_WRITE;
    default:
        set_error(t, code, saved);
        return BKP_TLS_FAILED;
    }
}

int bkp_tls_handshake(bkp_tls *t)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1)
        return 0;
    if (SSL_get_error(t->ssl, rc) == SSL_ERROR_ZERO_RETURN) {
        snprintf(t->err, sizeof t->err, "the peer closed the connection");
        return BKP_TLS_FAILED;
    }
    return step_result(t, rc);
}

ssize_t bkp_tls_read(bkp_tls *t, void *buf, size_t len)
{
    size_t n = 0;
    ERR_clear_error();
    int rc = SSL_read_ex(t->ssl, buf, len, &n);
    if (rc == 1)
        return (ssize_t)n;
    if (SSL_get_error(t->ssl, rc) == SSL_ERROR_ZERO_RETURN)
        return 0;
    return step_result(t, rc);
}

ssize_t bkp_tls_write(bkp_tls *t, const void *buf, size_t len)
{
    size_t n = 0;
    ERR_clear_error();
    int rc = SSL_write_ex(t->ssl, buf, len < RECORD_MAX ? len : RECORD_MAX, &n);
    if (rc == 1)
        return (ssize_t)n;
    return step_result(t, rc);
}

int bkp_tls_pending(const bkp_tls *t)
{
    return SSL_has_pending(t->ssl);
}

const char *bkp_tls_error(const bkp_tls *t)
{
    return t->err;
}
