# examples/chat: 0.02's chat on Beekeeper's router (examples/chat/README.md). bkpr-gen makes
# the typed C of auth.bkidl and chat.bkidl in $(B)/gen/examples/chat, as examples/module.mk
# does for basic; the workers are modules for the pools of run.sh, the client and the bots
# programs on the frontend bus. Examples: make install leaves them out.
CHAT_GEN := $(B)/gen/examples/chat
CHAT_AUTH_GEN := $(CHAT_GEN)/auth_types.c $(CHAT_GEN)/myapp_auth_client.c \
                 $(CHAT_GEN)/myapp_auth_worker.c
CHAT_CHAT_GEN := $(CHAT_GEN)/chat_types.c $(CHAT_GEN)/myapp_chat_client.c \
                 $(CHAT_GEN)/myapp_chat_worker.c
$(CHAT_GEN)/auth.d: examples/chat/auth.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -M $@ $<
$(CHAT_GEN)/chat.d: examples/chat/chat.bkidl $(B)/bin/bkpr-gen
	$(B)/bin/bkpr-gen -o $(@D) -M $@ $<
$(CHAT_AUTH_GEN): $(CHAT_GEN)/auth.d ;
$(CHAT_CHAT_GEN): $(CHAT_GEN)/chat.d ;
-include $(call gen_deps,$(CHAT_GEN)/auth.d)
-include $(call gen_deps,$(CHAT_GEN)/chat.d)
CHAT_SRCS := examples/chat/auth_worker.c examples/chat/chat_worker.c examples/chat/user.c \
             examples/chat/client.c examples/chat/bots.c examples/chat/env.c
$(call obj,$(CHAT_SRCS)): | $(CHAT_GEN)/auth.d $(CHAT_GEN)/chat.d
$(call obj,$(CHAT_SRCS)): BK_CPPFLAGS += -I$(CHAT_GEN)

$(eval $(call bk_module,lib/chat-worker.so,examples/chat/chat_worker.c examples/chat/user.c \
  $(CHAT_CHAT_GEN)))
$(eval $(call bk_module,lib/auth-worker.so,examples/chat/auth_worker.c examples/chat/user.c \
  $(CHAT_AUTH_GEN) $(CHAT_CHAT_GEN)))
$(eval $(call bk_example,chat-client,examples/chat/client.c examples/chat/env.c \
  $(CHAT_AUTH_GEN) $(CHAT_CHAT_GEN)))
$(eval $(call bk_example,chat-bots,examples/chat/bots.c examples/chat/env.c \
  $(CHAT_AUTH_GEN) $(CHAT_CHAT_GEN)))
CHAT_PROGRAMS := $(B)/lib/chat-worker.so $(B)/lib/auth-worker.so $(B)/bin/chat-client \
                 $(B)/bin/chat-bots
MODULES += $(B)/lib/chat-worker.so $(B)/lib/auth-worker.so

.PHONY: chat
chat: all $(CHAT_PROGRAMS)
	@echo "chat: built. Start it with examples/chat/run.sh start, then $(B)/bin/chat-client"
	@echo "      (or $(B)/bin/chat-bots -n 20 -r 10); stop it with examples/chat/run.sh stop."
SYSTEM_TESTS += examples/chat/systest_chat.sh
