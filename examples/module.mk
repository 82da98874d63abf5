# Examples: basic (myapp.str.uc) and flood (throughput and latency figures).
$(eval $(call bk_program,basic-worker,examples/basic/worker.c examples/common/busconf.c))
$(eval $(call bk_program,basic-client,examples/basic/client.c examples/common/busconf.c))
# The basic worker as a module, run by bkpr (examples/basic/config/pool.config.json).
$(eval $(call bk_module,lib/basic-worker.so,examples/basic/module.c))
MODULES += $(B)/lib/basic-worker.so
