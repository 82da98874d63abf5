# The flood example (build/bin/flood) and the RPC bench built on the same code. Its service
# is examples/flood/flood.bkidl; bkpr-gen makes the typed C in $(B)/gen/examples/flood, the
# same pattern as examples/module.mk's basic example.
FLOOD_GEN := $(B)/gen/examples/flood
FLOOD_GEN_SRCS := $(FLOOD_GEN)/flood_types.c $(FLOOD_GEN)/flood_svc_client.c \
                  $(FLOOD_GEN)/flood_svc_worker.c
$(FLOOD_GEN)/flood.d: examples/flood/flood.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -M $@ $<
$(FLOOD_GEN_SRCS): $(FLOOD_GEN)/flood.d ;
-include $(call gen_deps,$(FLOOD_GEN)/flood.d)
FLOOD_USERS := $(call obj,examples/flood/flood.c examples/flood/main.c tests/bench/bench_rpc.c)
$(FLOOD_USERS): | $(FLOOD_GEN)/flood.d
$(FLOOD_USERS): BK_CPPFLAGS += -I$(FLOOD_GEN)
$(eval $(call bk_example,flood,examples/flood/main.c examples/flood/flood.c \
  examples/common/busconf.c $(FLOOD_GEN_SRCS)))
$(eval $(call bk_bench,bench_rpc,tests/bench/bench_rpc.c tests/bench/procmem.c tests/bench/benchlib.c examples/flood/flood.c $(FLOOD_GEN_SRCS)))
