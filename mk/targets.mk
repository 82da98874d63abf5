# Targets built from what the module.mk files declared.

LIB_OBJS := $(call obj,$(LIB_SRCS))

# Generated headers (lemon, templates) must exist before anything that may include them, and
# the compiler and libraries before anything is compiled (deps-build, below).
$(B)/obj/%.o: %.c | $(GENERATED_HEADERS) deps-build
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/$(B)/%.o: $(B)/%.c | $(GENERATED_HEADERS) deps-build
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
DEPFILES := $(shell find $(B)/obj -name '*.d' 2>/dev/null)
-include $(DEPFILES)

.PHONY: all build-tests check unit-tests integration-tests bench demo fuzz install uninstall \
        clean check-exports deps deps-build help

# Missing Debian packages are installed (as root) by a step of the build, never while make
# reads the Makefile: `make -n` and `make help` install nothing. deps-build comes before
# every compilation and every tool of mk/deps.sh (rules.mk); check, bench, demo and
# fuzz run deps.sh for their own packages before they run anything.
deps-build:
	@sh mk/deps.sh build

deps:
	@sh mk/deps.sh check && echo "deps: the packages of make and make check are installed"

help:
	@sed -n '1,/^$$/s/^#   //p' Makefile

all: $(LIBA) $(LIBSO) $(PROGRAMS) $(MODULES) $(B)/lib/pkgconfig/beekeeper.pc

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBSO): $(LIB_OBJS) mk/exports.map
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libbeekeeper.so.0 \
	  -Wl,--version-script=mk/exports.map -o $@ $(LIB_OBJS) $(LIBS)

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g'
$(B)/lib/pkgconfig/beekeeper.pc: mk/beekeeper.pc.in Makefile
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

# The shared library exports the public API (bk_*) and nothing else.
check-exports: $(LIBSO)
	@sh mk/check-exports.sh $(LIBSO)

check: all $(UNIT_TESTS) $(INTEGRATION_TESTS) $(CHECK_DEPS) check-exports
	@sh mk/deps.sh check
	@B=$(B) sh tests/run-tests.sh $(UNIT_TESTS) -- $(INTEGRATION_TESTS) -- $(SYSTEM_TESTS)

# Everything check and bench would build, without running it (CI builds this with clang).
build-tests: all $(UNIT_TESTS) $(INTEGRATION_TESTS) $(BENCH_PROGRAMS)

unit-tests: all $(UNIT_TESTS)
	@B=$(B) sh tests/run-tests.sh $(UNIT_TESTS) --

bench: all $(BENCH_PROGRAMS)
	@sh mk/deps.sh check
	@B=$(B) sh tests/bench.sh $(BENCH_PROGRAMS)

# make install: the programs (not the examples'), the library, the public headers, the
# pkg-config file, the man pages (doc/man) and the docs (doc/module.mk). make uninstall
# removes exactly these files and the two folders that are Beekeeper's own; bin/, lib/ and
# share/man/ may hold other packages' files and stay.
D = $(DESTDIR)$(PREFIX)
INSTALL_PROGRAMS = $(filter-out $(EXAMPLES),$(PROGRAMS))
MAN_SECTIONS = $(sort $(subst .,,$(suffix $(MAN_PAGES))))
man_dest = $(foreach m,$(1),$(D)/share/man/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
INSTALLED = $(addprefix $(D)/bin/,$(notdir $(INSTALL_PROGRAMS))) \
            $(addprefix $(D)/lib/,libbeekeeper.a libbeekeeper.so.0 libbeekeeper.so) \
            $(D)/lib/pkgconfig/beekeeper.pc \
            $(addprefix $(D)/include/beekeeper/,$(notdir $(PUBLIC_HEADERS))) \
            $(call man_dest,$(MAN_PAGES)) \
            $(addprefix $(D)/share/doc/beekeeper/,$(notdir $(DOCS)))

install: all
	install -d $(D)/bin $(D)/lib/pkgconfig $(D)/include/beekeeper $(D)/share/doc/beekeeper \
	  $(addprefix $(D)/share/man/man,$(MAN_SECTIONS))
	install -m 755 $(INSTALL_PROGRAMS) $(D)/bin/
	install -m 644 $(LIBA) $(D)/lib/
	install -m 755 $(LIBSO) $(D)/lib/libbeekeeper.so.0
	ln -sf libbeekeeper.so.0 $(D)/lib/libbeekeeper.so
	install -m 644 $(PUBLIC_HEADERS) $(D)/include/beekeeper/
	$(PC_SED) mk/beekeeper.pc.in > $(D)/lib/pkgconfig/beekeeper.pc
	$(foreach s,$(MAN_SECTIONS),install -m 644 $(filter %.$(s),$(MAN_PAGES)) $(D)/share/man/man$(s)/;)
	install -m 644 $(DOCS) $(D)/share/doc/beekeeper/
	@sh mk/ldconfig.sh install '$(PREFIX)' '$(DESTDIR)'

uninstall:
	rm -f $(INSTALLED)
	-rmdir $(D)/include/beekeeper $(D)/share/doc/beekeeper
	@sh mk/ldconfig.sh uninstall '$(PREFIX)' '$(DESTDIR)'

# libFuzzer targets: a separate clang build with ASan+UBSan; each runs FUZZ_SECONDS.
FUZZ_SECONDS ?= 20
fuzz:
	@sh mk/deps.sh fuzz
	$(MAKE) --no-print-directory CC=clang SAN=1 FUZZ=1 B=build-fuzz fuzz-run

FUZZ_BINS := $(foreach t,$(FUZZ_TARGETS),$(B)/fuzz/$(firstword $(subst :, ,$(t))))
define bk_fuzz_rule
$$(B)/fuzz/$(1): $$(call obj,$(2)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -fsanitize=fuzzer -o $$@ $$(call obj,$(2)) $$(LIBA) $$(LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call bk_fuzz_rule,$(firstword $(subst :, ,$(t))),$(subst $(COMMA), ,$(word 2,$(subst :, ,$(t)))))))

# A target's seeds: tests/fuzz/seeds/NAME, if there is one, and the files FUZZ_SEEDS_NAME lists,
# inputs that the tree keeps for other tests (fuzz_idl: tests/idl/*.bkidl), read where they are.
SPACE := $() $()
fuzz_seeds = $(wildcard tests/fuzz/seeds/$(1)) \
  $(if $(FUZZ_SEEDS_$(1)),-seed_inputs=$(subst $(SPACE),$(COMMA),$(strip $(FUZZ_SEEDS_$(1)))))
fuzz_run_one = mkdir -p $(B)/fuzz/corpus-$(1); echo "fuzz: $(1) for $(FUZZ_SECONDS) s"; \
  $(B)/fuzz/$(1) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -print_final_stats=0 \
    $(B)/fuzz/corpus-$(1) $(call fuzz_seeds,$(1)) 2>$(B)/fuzz/$(1).log \
    || { tail -50 $(B)/fuzz/$(1).log; exit 1; };

fuzz-run: $(FUZZ_BINS)
	@$(foreach n,$(notdir $(FUZZ_BINS)),$(call fuzz_run_one,$(n))) echo "fuzz: all targets ran clean"

clean:
	rm -rf build build-san build-fuzz
