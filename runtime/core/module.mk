# The core: errors, arena, log, and the internal owners every layer shares (clock, random
# source, hash map).
LIB_SRCS += runtime/core/error.c runtime/core/arena.c runtime/core/log.c runtime/core/clock.c \
            runtime/core/random.c runtime/core/map.c
PUBLIC_HEADERS += runtime/include/beekeeper/error.h runtime/include/beekeeper/export.h \
                  runtime/include/beekeeper/arena.h runtime/include/beekeeper/log.h
