LIB_SRCS += runtime/stomp/frame.c
