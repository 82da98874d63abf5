# bkpr-gen: .bkidl -> JSON model -> C, through templates (templates/*.tmpl) built into the
# binary as byte arrays ($(B)/gen/codegen/templates.c). The IDL front end's sources
# (idl/module.mk) are linked in; they are not part of libbeekeeper.
include idl/module.mk
BKPR_GEN_TEMPLATES := $(sort $(wildcard templates/*.tmpl))
CODEGEN_SRCS := codegen/main.c codegen/cgen.c codegen/sbuf.c codegen/ctext.c codegen/ctypes.c \
                codegen/codecs.c codegen/typesfile.c codegen/service.c codegen/tmpl.c \
                $(B)/gen/codegen/templates.c
$(eval $(call bk_program,bkpr-gen,$(CODEGEN_SRCS) $(IDL_SRCS)))
$(B)/obj/$(B)/gen/codegen/%.o: BK_CPPFLAGS += -I$(TOP)

$(B)/gen/codegen/templates.c: $(BKPR_GEN_TEMPLATES) mk/embed-templates.sh
	@mkdir -p $(@D)
	sh mk/embed-templates.sh $(BKPR_GEN_TEMPLATES) >$@.tmp && mv $@.tmp $@
