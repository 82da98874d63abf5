LIB_SRCS += runtime/config/rjson.c
