LIB_SRCS += runtime/config/rjson.c
$(eval $(call bk_test,test_rjson,tests/test_rjson.c))
FUZZ_TARGETS += fuzz_rjson:tests/fuzz/fuzz_rjson.c
