LIB_SRCS += runtime/core/error.c
PUBLIC_HEADERS += runtime/include/beekeeper/error.h runtime/include/beekeeper/export.h
