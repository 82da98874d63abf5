# The shared cache (beekeeper/cache.h): the table and its API, its wire, its file.
LIB_SRCS += runtime/cache/cache.c runtime/cache/wire.c runtime/cache/file.c
PUBLIC_HEADERS += runtime/include/beekeeper/cache.h
$(eval $(call bk_itest,itest_cache,tests/itest_cache.c))
