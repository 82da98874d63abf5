$(eval $(call bk_bench,bench_broker,tests/bench/bench_broker.c tests/bench/benchlib.c))
