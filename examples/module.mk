# Examples: basic (myapp.str.uc) and flood (throughput and latency figures).
# basic: its service is described in examples/basic/basic.bkidl; bkpr-gen makes the typed C
# in $(B)/gen/examples/basic. The pattern to copy: the -M file is the generation's stamp and
# brings the dependencies on the IDL (and its imports); generated files whose content does not
# change keep their time, so nothing recompiles for nothing. (In this tree gen_deps says when
# the -M file is read: mk/rules.mk says why.)
BASIC_GEN := $(B)/gen/examples/basic
BASIC_GEN_SRCS := $(BASIC_GEN)/basic_types.c $(BASIC_GEN)/myapp_str_client.c \
                  $(BASIC_GEN)/myapp_str_worker.c
$(BASIC_GEN)/basic.d: examples/basic/basic.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -M $@ $<
$(BASIC_GEN_SRCS): $(BASIC_GEN)/basic.d ;
-include $(call gen_deps,$(BASIC_GEN)/basic.d)
$(call obj,examples/basic/worker.c examples/basic/client.c): | $(BASIC_GEN)/basic.d
$(call obj,examples/basic/worker.c examples/basic/client.c): BK_CPPFLAGS += -I$(BASIC_GEN)
$(eval $(call bk_example,basic-worker,examples/basic/worker.c examples/common/busconf.c \
  $(BASIC_GEN)/basic_types.c $(BASIC_GEN)/myapp_str_worker.c))
$(eval $(call bk_example,basic-client,examples/basic/client.c examples/common/busconf.c \
  $(BASIC_GEN)/basic_types.c $(BASIC_GEN)/myapp_str_client.c))
# The basic worker as a module, run by bkpr (examples/basic/config/pool.config.json).
$(eval $(call bk_module,lib/basic-worker.so,examples/basic/module.c))
MODULES += $(B)/lib/basic-worker.so
