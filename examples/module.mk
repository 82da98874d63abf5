# Examples: basic (myapp.str.uc) and flood (throughput and latency figures).
$(eval $(call bk_program,basic-worker,examples/basic/worker.c examples/common/busconf.c))
$(eval $(call bk_program,basic-client,examples/basic/client.c examples/common/busconf.c))
