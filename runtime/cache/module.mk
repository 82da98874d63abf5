# The shared cache (beekeeper/cache.h): the table and its API, its wire, its file.
LIB_SRCS += runtime/cache/cache.c runtime/cache/wire.c runtime/cache/file.c
PUBLIC_HEADERS += runtime/include/beekeeper/cache.h
$(eval $(call bk_itest,itest_cache,tests/itest_cache.c))
# With a 0.02 SharedCache member (tests/itest_cache_peer.pl), from ../shared/peers.
$(eval $(call bk_itest,itest_cache_perl,tests/itest_cache_perl.c))
$(B)/obj/tests/itest_cache_perl.o: BK_CPPFLAGS += -DBK_TOP='"$(TOP)"'
