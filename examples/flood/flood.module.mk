# The flood example (build/bin/flood) and the RPC bench built on the same code.
$(eval $(call bk_program,flood,examples/flood/main.c examples/flood/flood.c examples/common/busconf.c))
$(eval $(call bk_bench,bench_rpc,tests/bench/bench_rpc.c examples/flood/flood.c))
