# bkpr-broker: the embedded STOMP broker. Its internals (broker.h) are the program's own,
# not part of libbeekeeper; the fuzz target links them too.
BROKER_SRCS := runtime/broker/route.c runtime/broker/session.c \
               runtime/broker/auth.c runtime/broker/server.c runtime/broker/stats.c
$(eval $(call bk_program,bkpr-broker,runtime/broker/main.c $(BROKER_SRCS)))
FUZZ_TARGETS += fuzz_broker:tests/fuzz/fuzz_broker.c,runtime/broker/route.c,runtime/broker/session.c,runtime/broker/auth.c,runtime/broker/server.c,runtime/broker/stats.c
$(eval $(call bk_test,test_broker,tests/test_broker.c tests/broker_fixture.c))
$(eval $(call bk_itest,itest_dispatch,tests/itest_dispatch.c))
$(eval $(call bk_test,test_broker_flow,tests/test_broker_flow.c tests/broker_fixture.c))
$(eval $(call bk_test,test_broker_daemon,tests/test_broker_daemon.c tests/broker_fixture.c))
$(eval $(call bk_test,test_broker_seal,tests/test_broker_seal.c tests/broker_fixture.c))
