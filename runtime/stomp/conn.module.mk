# The STOMP client connection: flavours, failover, the connection itself.
LIB_SRCS += runtime/stomp/flavour.c runtime/stomp/failover.c runtime/stomp/conn.c runtime/stomp/conn_ops.c
# Its unit tests, by behaviour, share a scripted peer (tests/conn_fixture.c).
CONN_TEST_FIXTURE := tests/conn_fixture.c tests/bkt.c
$(eval $(call bk_test,test_conn_frames,tests/test_conn_frames.c $(CONN_TEST_FIXTURE)))
$(eval $(call bk_test,test_conn_brokers,tests/test_conn_brokers.c $(CONN_TEST_FIXTURE)))
$(eval $(call bk_test,test_conn_reconnect,tests/test_conn_reconnect.c $(CONN_TEST_FIXTURE)))
$(eval $(call bk_test,test_conn_callbacks,tests/test_conn_callbacks.c $(CONN_TEST_FIXTURE)))
$(eval $(call bk_itest,itest_stomp,tests/itest_stomp.c))
$(eval $(call bk_bench,bench_stomp,tests/bench/bench_stomp.c tests/bench/benchlib.c))
$(eval $(call bk_test,test_conn_prefetch,tests/test_conn_prefetch.c $(CONN_TEST_FIXTURE)))
