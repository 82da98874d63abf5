# The pool manager: bkpr (runs and supervises pools) and bkpr-run (one module in the
# foreground, for gdb and valgrind). Both load worker modules (beekeeper/module.h), so both
# are host programs: the whole library, its public API exported to the modules.
PUBLIC_HEADERS += runtime/include/beekeeper/module.h
BKPR_COMMON := runtime/pool/child.c runtime/pool/plog.c
# bkpr runs the built-in services too: their list is the services' own.
include runtime/services/builtins.mk
$(eval $(call bk_host_program,bkpr,runtime/pool/main.c runtime/pool/pool.c runtime/pool/pidfile.c $(BKPR_COMMON) $(BUILTIN_SERVICES_SRCS)))
$(eval $(call bk_host_program,bkpr-run,runtime/pool/run.c $(BKPR_COMMON)))

# Test modules for tests/itest_pool.sh: one that aborts right after its start, one without
# the BK_MODULE symbol.
$(eval $(call bk_module,tests/pool/crashy.so,tests/pool/crashy.c))
$(eval $(call bk_module,tests/pool/nosymbol.so,tests/pool/nosymbol.c))
CHECK_DEPS += $(B)/tests/pool/crashy.so $(B)/tests/pool/nosymbol.so $(B)/lib/basic-worker.so \
              $(B)/bin/bkpr $(B)/bin/bkpr-run $(B)/bin/basic-client $(B)/bin/bkpr-top \
              $(B)/bin/bkpr-log $(B)/bin/bkpr-restart
INTEGRATION_TESTS += tests/itest_pool.sh

# A client for the pool tests: W async calls in flight until N are answered, each checked.
$(B)/tests/pool/callstorm: $(call obj,tests/pool/callstorm.c) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(call obj,tests/pool/callstorm.c) $(LIBA) $(LIBS)
CHECK_DEPS += $(B)/tests/pool/callstorm
$(eval $(call bk_bench,bench_pool,tests/bench/bench_pool.c tests/bench/procmem.c))
