# bkpr-gen: .bkidl -> JSON model (-> C, coming). The IDL front end's sources (idl/module.mk)
# are linked in; they are not part of libbeekeeper.
include idl/module.mk
$(eval $(call bk_program,bkpr-gen,codegen/main.c $(IDL_SRCS)))
$(B)/obj/codegen/main.o: BK_CPPFLAGS += -DBK_VERSION='"$(VERSION)"'
