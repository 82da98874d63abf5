# The Supervisor and the Sinkhole (built-in worker modules that bkpr forks into every pool)
# and the tools that talk to them over the bus: bkpr-top, bkpr-restart. doc/services.md.
# The modules use the library's internal layers, so whoever runs them links these sources
# (bkpr: add $(SERVICES_SRCS) to its sources) rather than loading them as .so files.
SERVICES_SRCS := runtime/services/supervisor.c runtime/services/sinkhole.c
# What every worker tells these services (status reports, the log): part of the library.
LIB_SRCS += runtime/services/report.c
$(eval $(call bk_program,bkpr-top,runtime/services/top.c))
$(eval $(call bk_program,bkpr-restart,runtime/services/restart.c))
$(eval $(call bk_itest,itest_services,tests/itest_services.c $(SERVICES_SRCS)))
# the test runs the tools
$(B)/tests/itest_services: | $(B)/bin/bkpr-top $(B)/bin/bkpr-restart
