# The RPC layer: JSON-RPC codec, destination names, client, worker and its jobs.
LIB_SRCS += runtime/rpc/jsonrpc.c runtime/rpc/names.c
PUBLIC_HEADERS += runtime/include/beekeeper/rpc.h
$(eval $(call bk_test,test_rpc,tests/test_rpc.c))
FUZZ_TARGETS += fuzz_jsonrpc:tests/fuzz/fuzz_jsonrpc.c
LIB_SRCS += runtime/rpc/client.c
PUBLIC_HEADERS += runtime/include/beekeeper/client.h
LIB_SRCS += runtime/rpc/worker.c runtime/rpc/job.c runtime/rpc/session.c
# The interface of the built-in services (runtime/services/) to the bus.
LIB_SRCS += runtime/rpc/bus.c
PUBLIC_HEADERS += runtime/include/beekeeper/worker.h
# The integration tests of client and worker, by behaviour, share tests/itest_rpc_fixture.c.
$(eval $(call bk_itest,itest_rpc_calls,tests/itest_rpc_calls.c tests/itest_rpc_fixture.c))
$(eval $(call bk_itest,itest_rpc_errors,tests/itest_rpc_errors.c tests/itest_rpc_fixture.c))
$(eval $(call bk_itest,itest_rpc_auth,tests/itest_rpc_auth.c tests/itest_rpc_fixture.c))
$(eval $(call bk_itest,itest_rpc_processes,tests/itest_rpc_processes.c tests/itest_rpc_fixture.c))
$(eval $(call bk_itest,itest_interop,tests/itest_interop.c))
$(eval $(call bk_itest,itest_flow,tests/itest_flow.c))
