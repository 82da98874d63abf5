# JSON without a tree (beekeeper/json.h): the validating tokenizer, readers over its tokens,
# a jansson tree from tokens, and the writer. For generated code and the RPC envelope.
LIB_SRCS += runtime/json/scan.c runtime/json/read.c runtime/json/num.c \
            runtime/json/tojson.c runtime/json/write.c
PUBLIC_HEADERS += runtime/include/beekeeper/json.h
$(eval $(call bk_test,test_json,tests/test_json.c))
FUZZ_TARGETS += fuzz_json:tests/fuzz/fuzz_json.c
# The bench sets jsmn beside us when libjsmn-dev is there (deps.sh bench installs it as root;
# otherwise it prints the apt-get line and the bench says jsmn is missing).
$(eval $(call bk_bench,bench_json,tests/bench/bench_json.c))
$(call obj,tests/bench/bench_json.c): | bench-json-deps
.PHONY: bench-json-deps
bench-json-deps:
	@sh mk/deps.sh bench || true
