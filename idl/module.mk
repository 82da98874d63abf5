# The IDL front end of bkpr-gen: lexer (re2c), grammar (lemon), AST, checks, diagnostics and
# the JSON model. Not part of libbeekeeper: bkpr-gen, test_idl and fuzz_idl link the sources
# (and libbeekeeper.a, for the arena and the core's hash map, core/map.h).
# codegen/module.mk includes this file first (it sorts before idl/), hence the guard.
ifndef IDL_SRCS
IDL_GEN_SRCS := $(B)/gen/idl/lexer.c $(B)/gen/idl/grammar.c
# codegen/names.c: the names the generator emits, which the checks read (codegen/names.h).
IDL_SRCS := idl/ast.c idl/source.c idl/diag.c idl/parse.c idl/load.c idl/check.c \
            idl/cnames.c idl/mangle.c idl/model.c idl/compat.c codegen/names.c \
            $(IDL_GEN_SRCS)
GENERATED_HEADERS += $(B)/gen/idl/grammar.h
$(IDL_GEN_SRCS): | deps-build

$(B)/gen/idl/lexer.c: idl/lexer.re
	@mkdir -p $(@D)
	re2c -W -Werror -o $@ $<

# lemon writes grammar.c and grammar.h together; grammar.h depends on grammar.c so that one
# run makes both (a grouped target would need make 4.3).
$(B)/gen/idl/grammar.c: idl/grammar.y
	@mkdir -p $(@D)
	lemon -q -d$(@D) -T/usr/share/lemon/lempar.c $<
$(B)/gen/idl/grammar.h: $(B)/gen/idl/grammar.c
	@test -f $@ || { rm -f $<; $(MAKE) --no-print-directory $<; }

# The idl sources include "idl/x.h" from the top of the tree (they are not under runtime/).
$(B)/obj/idl/%.o $(B)/obj/$(B)/gen/idl/%.o $(B)/obj/codegen/%.o: BK_CPPFLAGS += -I$(TOP)
$(B)/obj/tests/test_idl.o $(B)/obj/tests/fuzz/fuzz_idl.o: BK_CPPFLAGS += -I$(TOP)
# lemon's output only: its template leaves a parameter (yypminor) and the %extra_argument
# variable unused. re2c's output builds with every warning.
$(B)/obj/$(B)/gen/idl/grammar.o: BK_CFLAGS += -Wno-unused-parameter -Wno-unused-variable

$(eval $(call bk_test,test_idl,tests/test_idl.c $(IDL_SRCS)))
UNIT_TESTS += tests/idl/golden.sh
CHECK_DEPS += $(B)/bin/bkpr-gen
IDL_SPACE := $(subst ,, )
FUZZ_TARGETS += fuzz_idl:tests/fuzz/fuzz_idl.c,$(subst $(IDL_SPACE),$(COMMA),$(strip $(IDL_SRCS)))
FUZZ_SEEDS_fuzz_idl := $(wildcard tests/idl/*.bkidl)
endif
