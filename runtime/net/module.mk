# Sockets and addresses, below the STOMP connection and the broker: bkp_io (a non-blocking
# socket on a libevent loop, with TLS by OpenSSL) and host:port parsing.
LIB_SRCS += runtime/net/io.c runtime/net/hostport.c runtime/net/tls.c
$(eval $(call bk_itest,itest_tls,tests/itest_tls.c))
