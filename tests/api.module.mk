# test_api: the public API's conventions (NULL arguments, *out on failure, _new steals), for
# every function of the public headers. The allocation functions of the library's own code
# are wrapped so that the test can make each of them fail in turn.
$(B)/obj/tests/test_api.o: BK_CPPFLAGS += -DBK_HEADERS_DIR='"$(TOP)/runtime/include/beekeeper"'
$(eval $(call bk_test,test_api,tests/test_api.c,-Wl$(COMMA)--wrap=malloc$(COMMA)--wrap=calloc$(COMMA)--wrap=realloc$(COMMA)--wrap=strdup$(COMMA)--wrap=strndup))
