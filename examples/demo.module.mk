# make demo: the basic example on the embedded broker (examples/demo.sh).
demo: all $(B)/lib/basic-worker.so
	@sh mk/deps.sh demo
	@B=$(B) sh examples/demo.sh
# make check runs the demo and a small flood, so that the examples keep working: system
# tests, which start their own bkpr-broker (tests/run-tests.sh).
SYSTEM_TESTS += examples/demo.sh tests/systest_flood.sh
# On every broker, a flood at 10 KB bigger than the client's output buffer.
INTEGRATION_TESTS += tests/itest_flood.sh
