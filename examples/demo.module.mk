# make demo: the basic example on the embedded broker (examples/demo.sh).
demo: all $(B)/lib/basic-worker.so
	@sh build-aux/deps.sh demo
	@B=$(B) sh examples/demo.sh
# make check runs the demo and a small flood, so that the examples keep working.
UNIT_TESTS += examples/demo.sh tests/flood-smoke.sh
# and, on every broker, a flood at 10 KB bigger than the client's output buffer.
INTEGRATION_TESTS += tests/flood-burst.sh
