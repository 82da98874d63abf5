$(eval $(call bk_bench,bench_cache,tests/bench/bench_cache.c tests/bench/benchlib.c))
