# The STOMP client connection: flavours, failover, the connection itself.
LIB_SRCS += runtime/stomp/flavour.c runtime/stomp/failover.c runtime/stomp/conn.c runtime/stomp/conn_ops.c
$(eval $(call bk_test,test_conn,tests/test_conn.c))
$(eval $(call bk_itest,itest_stomp,tests/itest_stomp.c))
$(eval $(call bk_bench,bench_stomp,tests/bench/bench_stomp.c))
