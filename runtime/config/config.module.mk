LIB_SRCS += runtime/config/config.c
PUBLIC_HEADERS += runtime/include/beekeeper/config.h
$(eval $(call bk_test,test_config,tests/test_config.c))
