# JSON without a tree (beekeeper/json.h): the validating tokenizer, readers over its tokens,
# a jansson tree from tokens, and the writer. For generated code and the RPC envelope.
LIB_SRCS += runtime/json/scan.c runtime/json/read.c runtime/json/num.c runtime/json/tojson.c \
            runtime/json/write.c
PUBLIC_HEADERS += runtime/include/beekeeper/json.h
$(eval $(call bk_test,test_json,tests/test_json.c))
FUZZ_TARGETS += fuzz_json:tests/fuzz/fuzz_json.c
