# Support for bkpr-gen's generated code: IDL scalar types, the checking decoder.
LIB_SRCS += runtime/typed/typed.c
PUBLIC_HEADERS += runtime/include/beekeeper/typed.h
