# mk/flags.mk - rebuild when the flags change, not only the sources.
#
# make compares file times, not command lines: after a flag changes (a new -m option, another
# toolchain), objects built with the old flags would be kept and linked with new ones.  Each
# set of flags is written to a stamp file that is rewritten, and so made newer, only when its
# text changes; everything built with those flags depends on its stamp.  Included last, when
# every flag variable is defined.

# $(call flag_stamp,file,variable names): rewrite file unless it holds exactly their values.
flag_stamp = $(eval _flags_new := $(strip $(foreach v,$(2),$($(v)))))$(eval \
             _flags_old := $(shell cat $(1) 2>/dev/null))$(if \
             $(subst $(_flags_new),,$(_flags_old))$(subst $(_flags_old),,$(_flags_new)),$(shell \
             mkdir -p $(dir $(1)))$(file >$(1),$(_flags_new)))

KFLAGS_STAMP := $(KBUILD)/flags.stamp
UFLAGS_STAMP := $(UBUILD)/flags.stamp
$(call flag_stamp,$(KFLAGS_STAMP),KCC KCFLAGS KLD KLDFLAGS)
$(call flag_stamp,$(UFLAGS_STAMP),KCC UCFLAGS ULIBCFLAGS USERVER_CFLAGS KLD ULDFLAGS)

USER_OBJS := $(patsubst %,$(UBUILD)/obj/%.o,$(filter-out src/user/lib/libc/%,\
               $(wildcard src/user/*/*.[cS] src/user/lib/*/*.c tests/user/*.c tests/bench/*.c)))

$(KOBJ) $(KBUILD)/ksyms0.o $(KBUILD)/ksyms.o $(KBUILD)/kernel.pass1.elf: $(KFLAGS_STAMP)
$(LIBC_OBJ) $(CRT0) $(USER_OBJS) $(USER_BINS): $(UFLAGS_STAMP)
