# The C that bkpr-gen generates for tests/idl/chat.bkidl, everything.bkidl, names.bkidl and
# shop_*.bkidl, built with the house flags (make check): test_gen exercises the types, itest_gen
# the chat and names services over a broker. The rules are the pattern a user's Makefile copies: bkpr-gen -M writes the
# dependency file, which is also the rule's stamp (rewritten on every run, while generated
# files whose content did not change keep their time, so nothing recompiles for nothing).
GEN_TEST := $(B)/gen/tests/idl
GEN_CHAT_SRCS := $(addprefix $(GEN_TEST)/,chat_types.c common_types.c myapp_chat_client.c \
                 myapp_chat_worker.c)
GEN_ALL_SRCS := $(addprefix $(GEN_TEST)/,everything_types.c demo_all_things_client.c \
                demo_all_things_worker.c)
GEN_NAMES_SRCS := $(addprefix $(GEN_TEST)/,names_types.c names_own_client.c names_own_worker.c)
# One namespace (shop) over two files, both given to one run, as a user would.
GEN_SHOP_SRCS := $(addprefix $(GEN_TEST)/,shop_items_types.c shop_orders_types.c \
                 shop_orders_client.c shop_orders_worker.c shop_orders_impl.c)

$(GEN_TEST)/%.d: tests/idl/%.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -I tests/idl --skeleton -M $@ $<
$(GEN_CHAT_SRCS) $(GEN_TEST)/myapp_chat_impl.c: $(GEN_TEST)/chat.d ;
$(GEN_ALL_SRCS) $(GEN_TEST)/demo_all_things_impl.c: $(GEN_TEST)/everything.d ;
$(GEN_NAMES_SRCS) $(GEN_TEST)/names_own_impl.c: $(GEN_TEST)/names.d ;
$(GEN_TEST)/shop.d: tests/idl/shop_orders.bkidl tests/idl/shop_items.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -I tests/idl --skeleton -M $@ tests/idl/shop_orders.bkidl \
	  tests/idl/shop_items.bkidl
$(GEN_SHOP_SRCS): $(GEN_TEST)/shop.d ;
-include $(call gen_deps,$(GEN_TEST)/chat.d $(GEN_TEST)/everything.d $(GEN_TEST)/names.d \
  $(GEN_TEST)/shop.d)

$(B)/obj/tests/test_gen.o $(B)/obj/tests/itest_gen.o: | $(GEN_TEST)/chat.d $(GEN_TEST)/everything.d \
                                                        $(GEN_TEST)/names.d $(GEN_TEST)/shop.d
$(B)/obj/tests/test_gen.o $(B)/obj/tests/itest_gen.o: BK_CPPFLAGS += -I$(GEN_TEST)

$(eval $(call bk_test,test_gen,tests/test_gen.c $(GEN_CHAT_SRCS) $(GEN_ALL_SRCS) \
  $(GEN_TEST)/myapp_chat_impl.c $(GEN_TEST)/demo_all_things_impl.c $(GEN_NAMES_SRCS) \
  $(GEN_TEST)/names_own_impl.c $(GEN_SHOP_SRCS)))
$(eval $(call bk_itest,itest_gen,tests/itest_gen.c $(GEN_CHAT_SRCS) $(GEN_NAMES_SRCS)))
$(eval $(call bk_bench,bench_idl,tests/bench/bench_idl.c $(GEN_CHAT_SRCS)))
$(B)/obj/tests/bench/bench_idl.o: | $(GEN_TEST)/chat.d
$(B)/obj/tests/bench/bench_idl.o: BK_CPPFLAGS += -I$(GEN_TEST)
# everything.bkidl end to end over a broker: every construct out and back.
$(B)/obj/tests/itest_gen_all.o: | $(GEN_TEST)/everything.d
$(B)/obj/tests/itest_gen_all.o: BK_CPPFLAGS += -I$(GEN_TEST)
$(eval $(call bk_itest,itest_gen_all,tests/itest_gen_all.c $(GEN_ALL_SRCS) $(GEN_TEST)/common_types.c))
