# Beekeeper: one non-recursive build, out of tree. `make help` prints this list.
#   make [all]        library, programs, examples            -> build/
#   make check        unit + integration tests (SAN=1: ASan+UBSan build in build-san/)
#   make bench        the benchmark table
#   make demo         the basic example on the embedded broker
#   make chat         the chat example (examples/chat): builds it, says how to start it
#   make fuzz         libFuzzer targets (clang), run briefly
#   make install      programs, library, headers, pkg-config file, man pages, docs
#                     (PREFIX=/usr/local DESTDIR=); make uninstall removes them
#   make deps         installs the Debian packages of build and check (as root; else
#                     prints the apt-get line); all, check, bench and demo do it first
#   make build-tests  everything check and bench would build, without running it
#   make clean        removes build/, build-san/, build-fuzz/
# Each part of the tree adds itself through a module.mk (see mk/rules.mk).

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

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wwrite-strings $(WERROR)
# pkg-config runs when a recipe first needs the flags, not while make reads this file: by
# then the deps-build step (mk/targets.mk) has installed pkg-config and the libraries.
DEP_CFLAGS = $(eval DEP_CFLAGS := $$(shell pkg-config --cflags libevent jansson openssl libsodium 2>/dev/null))$(DEP_CFLAGS)
DEP_LIBS = $(eval DEP_LIBS := $$(shell pkg-config --libs libevent jansson openssl libsodium 2>/dev/null \
             || echo -levent -ljansson -lssl -lcrypto -lsodium))$(DEP_LIBS)
BK_CPPFLAGS := -D_GNU_SOURCE -DBK_VERSION=\"$(VERSION)\" -I$(TOP)/runtime/include -I$(TOP)/runtime -I$(B)/gen
BK_CFLAGS = -std=c11 $(OPT) $(WARNINGS) -fPIC -fvisibility=hidden $(SANFLAGS) $(DEP_CFLAGS)
ALL_CFLAGS = $(BK_CPPFLAGS) $(BK_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(DEP_LIBS) -lm

include mk/rules.mk
include $(sort $(wildcard */module.mk */*/module.mk */*.module.mk */*/*.module.mk))
include mk/targets.mk
