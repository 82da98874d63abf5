# bench_dispatch: workers holding several jobs beside prefetch 1 and beside NATS. libnats
# (libnats-dev, mk/deps.sh bench) is optional: without it the NATS figures say why.
BENCH_NATS := $(shell pkg-config --exists libnats 2>/dev/null && echo 1)
ifeq ($(BENCH_NATS),1)
$(call obj,tests/bench/nats_peer.c): BK_CPPFLAGS += -DBK_HAVE_NATS
BENCH_NATS_LIBS := $(shell pkg-config --libs libnats) -lpthread
endif
$(eval $(call bk_bench,bench_dispatch,tests/bench/bench_dispatch.c tests/bench/nats_peer.c \
  tests/bench/benchlib.c examples/flood/flood.c $(FLOOD_GEN_SRCS),$(BENCH_NATS_LIBS)))
