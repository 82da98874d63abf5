# The built-in services: worker modules (services.h, logtail.h, router.h) linked into the programs
# that run them, bkpr and the tests, not into libbeekeeper. Their one list. Read by this
# folder's module.mk and by runtime/pool/module.mk, which the Makefile reads first (it
# takes the module.mk files in sorted order), hence a file of its own.
BUILTIN_SERVICES_SRCS := runtime/services/supervisor.c runtime/services/sinkhole.c \
                         runtime/services/logtail.c runtime/services/router.c \
                         runtime/services/router_lanes.c runtime/services/router_bind.c \
                         runtime/services/router_sessions.c
