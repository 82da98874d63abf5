# Beekeeper: one non-recursive build, out of tree.
#   make [all]        library, programs, examples        -> build/
#   make check        unit + integration tests (SAN=1: ASan+UBSan build in build-san/)
#   make bench        the benchmark table
#   make demo         the basic example on the embedded broker
#   make fuzz         libFuzzer targets (clang), run briefly
#   make install      PREFIX=/usr/local DESTDIR=
# Each part of the tree adds itself through a module.mk (see build-aux/rules.mk).

.DEFAULT_GOAL := all
TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

SAN ?=
ifeq ($(SAN),1)
B ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT ?= -O1 -g
else
B ?= build
SANFLAGS :=
OPT ?= -O2 -g
endif

ifeq ($(FUZZ),1)
SANFLAGS += -fsanitize=fuzzer-no-link -DBK_FUZZING
endif
COMMA := ,

CC ?= cc
PREFIX ?= /usr/local
VERSION := 0.1.0
WERROR ?= -Werror

# Missing Debian packages are installed (as root) before anything else is read or built.
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
DEPS_OK := $(shell sh build-aux/deps.sh build >&2 && echo ok)
ifneq ($(DEPS_OK),ok)
$(error missing build dependencies: see the apt-get line above)
endif
endif

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wwrite-strings $(WERROR)
DEP_CFLAGS := $(shell pkg-config --cflags libevent jansson 2>/dev/null)
DEP_LIBS := $(shell pkg-config --libs libevent jansson 2>/dev/null || echo -levent -ljansson)
BK_CPPFLAGS := -D_GNU_SOURCE -I$(TOP)/runtime/include -I$(TOP)/runtime -I$(B)/gen
BK_CFLAGS := -std=c11 $(OPT) $(WARNINGS) -fPIC -fvisibility=hidden $(SANFLAGS) $(DEP_CFLAGS)
ALL_CFLAGS = $(BK_CPPFLAGS) $(BK_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS := $(DEP_LIBS) -lm

include build-aux/rules.mk
include $(sort $(wildcard */module.mk */*/module.mk */*.module.mk */*/*.module.mk))
include build-aux/targets.mk
