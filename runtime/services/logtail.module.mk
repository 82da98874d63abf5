# LogTail (a built-in worker module bkpr runs when configured) and bkpr-log, which reads it.
LOGTAIL_SRCS := runtime/services/logtail.c
$(eval $(call bk_program,bkpr-log,runtime/services/logcmd.c))
$(eval $(call bk_itest,itest_logtail,tests/itest_logtail.c $(LOGTAIL_SRCS)))
