# The STOMP frame codec.
LIB_SRCS += runtime/stomp/frame.c
$(eval $(call bk_test,test_frame,tests/test_frame.c))
FUZZ_TARGETS += fuzz_frame:tests/fuzz/fuzz_frame.c
$(eval $(call bk_bench,bench_codec,tests/bench/bench_codec.c))
