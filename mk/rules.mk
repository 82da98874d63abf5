# Helpers every module.mk uses. A module adds:
#   LIB_SRCS += runtime/x/a.c            sources of libbeekeeper
#   $(eval $(call bk_program,NAME,SRCS))  a program in $(B)/bin/NAME, linked with libbeekeeper.a;
#                                         make install puts it in PREFIX/bin
#   $(eval $(call bk_example,NAME,SRCS))  the same for an example's program: built by make
#                                         all, never installed
#   $(eval $(call bk_test,NAME,SRCS))     a cmocka unit test $(B)/tests/NAME, run by make check
#   $(eval $(call bk_itest,NAME,SRCS))    a cmocka test that needs a broker, $(B)/tests/NAME
#   INTEGRATION_TESTS += tests/x.sh       a script that needs a broker; tests/run-tests.sh runs
#                                         these once per broker (BK_TEST_* in the environment)
#   SYSTEM_TESTS += tests/systest_x.sh    a script that starts its own broker: run once
#   BENCH_PROGRAMS += $(B)/bench/NAME     run by make bench
#   FUZZ_TARGETS += NAME:SRCS             libFuzzer target built by make fuzz
#   PUBLIC_HEADERS += runtime/include/beekeeper/x.h   installed in PREFIX/include/beekeeper
#   FILES: | deps-build                   files a tool of mk/deps.sh makes (re2c,
#                                         lemon) come after its packages are installed
#   -include $(call gen_deps,$(B)/gen/x/x.d)   a bkpr-gen -M file (gen_deps, below)
#   $(eval $(call bk_host_program,NAME,SRCS))  a program that dlopens worker modules
#   $(eval $(call bk_module,PATH,SRCS))  a worker module $(B)/PATH (.so); add it to MODULES
#                                         (built by make all) or CHECK_DEPS (tests)
# Objects go to $(B)/obj/<path>.o, with -MMD -MP dependency files beside them.

LIB_SRCS :=
PROGRAMS :=
UNIT_TESTS :=
INTEGRATION_TESTS :=
SYSTEM_TESTS :=
BENCH_PROGRAMS :=
FUZZ_TARGETS :=
PUBLIC_HEADERS :=
EXAMPLES :=
GENERATED_HEADERS :=
MODULES :=
CHECK_DEPS :=

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

# The bkpr-gen -M files to read: those that exist, and none for make -n or for goals that build
# nothing. make remakes an included file while it reads the Makefile, whatever the goal, and
# remaking one builds bkpr-gen first, after deps-build: make help would install packages.
NO_BUILD_GOALS := help clean deps uninstall
gen_deps = $(if $(findstring n,$(firstword -$(MAKEFLAGS))),,$(if \
  $(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),$(wildcard $(1))))

LIBA = $(B)/lib/libbeekeeper.a
LIBSO = $(B)/lib/libbeekeeper.so

define bk_program
PROGRAMS += $$(B)/bin/$(1)
$$(B)/bin/$(1): $$(call obj,$(2)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$(2)) $$(LIBA) $$(LIBS) $(3)
endef

define bk_example
$$(eval $$(call bk_program,$(1),$(2),$(3)))
EXAMPLES += $$(B)/bin/$(1)
endef

define bk_test
UNIT_TESTS += $$(B)/tests/$(1)
$$(B)/tests/$(1): $$(call obj,$(2)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$(2)) $$(LIBA) $$(LIBS) -lcmocka $(3)
endef

# An integration test: linked with its fixture, tests/itest_env.c (the broker of BK_TEST_*,
# worker processes) and tests/bkt.c.
ITEST_FIXTURE := tests/itest_env.c tests/bkt.c
define bk_itest
INTEGRATION_TESTS += $$(B)/tests/$(1)
$$(B)/tests/$(1): $$(call obj,$(2) $$(ITEST_FIXTURE)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$(2) $$(ITEST_FIXTURE)) $$(LIBA) $$(LIBS) -lcmocka $(3)
endef

define bk_bench
BENCH_PROGRAMS += $$(B)/bench/$(1)
$$(B)/bench/$(1): $$(call obj,$(2)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$(2)) $$(LIBA) $$(LIBS) $(3)
endef

# A host of worker modules (bkpr, bkpr-run): the whole library (--whole-archive), its public
# API exported (-rdynamic), so that a module's bk_* references bind to this one copy.
define bk_host_program
PROGRAMS += $$(B)/bin/$(1)
$$(B)/bin/$(1): $$(call obj,$(2)) $$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -rdynamic -o $$@ $$(call obj,$(2)) \
	  -Wl,--whole-archive $$(LIBA) -Wl,--no-whole-archive $$(LIBS) -ldl $(3)
endef

# A worker module (beekeeper/module.h): -fPIC objects linked -shared, without libbeekeeper
# (the host provides it at dlopen time; a second copy would split the log sink and globals).
define bk_module
$$(B)/$(1): $$(call obj,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -shared -o $$@ $$(call obj,$(2)) $$(LIBS) $(3)
endef
