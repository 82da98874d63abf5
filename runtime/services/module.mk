# The built-in services (builtins.mk: Supervisor, Sinkhole, LogTail; doc/services.md) and
# the tools that talk to them over the bus: bkpr-top, bkpr-restart, bkpr-log.
include runtime/services/builtins.mk
# What every worker tells these services (status reports, the log): part of the library.
LIB_SRCS += runtime/services/report.c
$(eval $(call bk_program,bkpr-top,runtime/services/top.c runtime/services/top_broker.c))
$(eval $(call bk_program,bkpr-restart,runtime/services/restart.c))
$(eval $(call bk_program,bkpr-log,runtime/services/logcmd.c))
$(eval $(call bk_itest,itest_services,tests/itest_services.c $(BUILTIN_SERVICES_SRCS)))
$(eval $(call bk_itest,itest_logtail,tests/itest_logtail.c $(BUILTIN_SERVICES_SRCS)))
# the test runs the tools
$(B)/tests/itest_services: | $(B)/bin/bkpr-top $(B)/bin/bkpr-restart
# bkpr-log -f across a broker restart (runs its own broker, pool and LogTail)
SYSTEM_TESTS += tests/systest_log_follow.sh
# the Router between a frontend bkpr-broker of the test's own and the harness's broker
$(eval $(call bk_itest,itest_router,tests/itest_router.c $(BUILTIN_SERVICES_SRCS)))
$(B)/tests/itest_router: | $(B)/bin/bkpr-broker
