# mk/user.mk - user space: libc.a, programs, and the boot filesystem (initrd).
#
#   build/user/libc.a           src/user/lib/libc/*.{c,S} + the kernel's lib/string.c, lib/format.c
#   build/user/lib<name>.a      one per other directory src/user/lib/<name>/ (e.g. virtio), linked
#                               into every program before libc (a program pulls in what it uses)
#   build/user/crt0.o           the entry point, linked first into every program
#   build/user/bin/<prog>       one per directory src/user/<prog>/ (not lib/): its *.c and *.S
#   build/user/bin/tests/<t>    one per tests/user/<t>.c
#   build/user/bin/bench/<b>    one per tests/bench/<b>.c
#   build/initrd.cpio           newc cpio: /init (and other programs), /tests/<t>, /bench/<b>
#
# Programs are static ET_EXEC files linked at 0x400000 by src/user/lib/user.ld.
# `make abi` regenerates the syscall files from abi/syscalls.toml (tools/gen-abi).

UBUILD  := $(BUILD)/user
UBIN    := $(UBUILD)/bin
INITRD  := $(BUILD)/initrd.cpio
USER_LD := src/user/lib/user.ld
LIBC    := $(UBUILD)/libc.a
KAR     := $(if $(filter clang,$(TOOLCHAIN)),\
             $(if $(CROSS),$(CROSS)ar,$(call llvm_tool,llvm-ar)),$(CROSS)ar)
CRT0    := $(UBUILD)/crt0.o

# Same compiler as the kernel; FP/SIMD allowed (no -mgeneral-regs-only) in tests and benches.
UCFLAGS = -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-common \
          -march=armv8-a -mno-outline-atomics -fno-stack-protector -fno-pie -fno-pic \
          -fno-omit-frame-pointer -MMD -MP \
          -Isrc/user/lib/libc/include -Isrc/include -Isrc/user -Isrc/user/lib $(KCFLAGS_TC)
# libc's own sources also see the kernel's pure lib/ headers (format.h, string.h).
# libc, the user libraries and the servers (src/user/) use no FP/SIMD, and are built so:
# otherwise GCC's SIMD copies (memcpy, struct copies) cost a server and each of its clients
# an FP trap with a 512-byte save and load on every switch between them (docs/bench.md).
USERVER_CFLAGS := -mgeneral-regs-only
ULIBCFLAGS = $(UCFLAGS) -Isrc/kernel/include $(USERVER_CFLAGS)
$(UBUILD)/obj/src/user/%.c.o: UCFLAGS += $(USERVER_CFLAGS)
ULDFLAGS := -nostdlib -static -z max-page-size=4096 -z norelro -z noexecstack \
            --no-dynamic-linker --build-id=none -T $(USER_LD)
# GNU ld: libgcc for the odd helper (128-bit arithmetic); clang builds do without.
ULIBGCC := $(if $(filter gcc,$(TOOLCHAIN)),\
             $(wildcard $(shell $(KCC) -print-libgcc-file-name 2>/dev/null)))

LIBC_SRC := $(sort $(filter-out %/crt0.S,$(wildcard src/user/lib/libc/*.c src/user/lib/libc/*.S)))
LIBC_OBJ := $(patsubst src/user/lib/libc/%,$(UBUILD)/libc/%.o,$(LIBC_SRC)) \
            $(UBUILD)/libc/klib/string.c.o $(UBUILD)/libc/klib/format.c.o

# Libraries other than libc: src/user/lib/<name>/*.c -> build/user/lib<name>.a; their
# headers are included as <name/header.h> (-Isrc/user/lib).
USER_LIBS  := $(sort $(filter-out libc,$(notdir $(patsubst %/,%,$(dir $(wildcard src/user/lib/*/*.c))))))
USER_LIBAS := $(patsubst %,$(UBUILD)/lib%.a,$(USER_LIBS))

USER_PROGS := $(sort $(filter-out lib,$(notdir $(patsubst %/,%,$(dir $(wildcard src/user/*/*.c))))))
USER_TESTS := $(sort $(basename $(notdir $(wildcard tests/user/*.c))))
USER_BENCH := $(sort $(basename $(notdir $(wildcard tests/bench/*.c))))
USER_BINS  := $(addprefix $(UBIN)/,$(USER_PROGS)) $(addprefix $(UBIN)/tests/,$(USER_TESTS)) \
              $(addprefix $(UBIN)/bench/,$(USER_BENCH))

.PHONY: user initrd abi
user: $(USER_BINS)
initrd: $(INITRD)

abi:
	$(PYTHON) tools/gen-abi

# ---- objects -----------------------------------------------------------------
$(UBUILD)/libc/%.c.o: src/user/lib/libc/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(KCC) $(ULIBCFLAGS) -c -o $@ $<

$(UBUILD)/libc/%.S.o: src/user/lib/libc/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(KCC) $(ULIBCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(UBUILD)/libc/klib/%.c.o: src/kernel/lib/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (libc)")
	$(Q)$(KCC) $(ULIBCFLAGS) -c -o $@ $<

$(CRT0): src/user/lib/libc/crt0.S
	@mkdir -p $(@D)
	$(Q)$(KCC) $(ULIBCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(UBUILD)/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(KCC) $(UCFLAGS) -c -o $@ $<

$(UBUILD)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(KCC) $(UCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(LIBC): $(LIBC_OBJ)
	@rm -f $@
	$(Q)$(KAR) rcs $@ $^

define user_lib_rule
$(UBUILD)/lib$(1).a: $(patsubst %,$(UBUILD)/obj/%.o,$(sort $(wildcard src/user/lib/$(1)/*.c)))
	@rm -f $$@
	$$(Q)$$(KAR) rcs $$@ $$^
endef
$(foreach l,$(USER_LIBS),$(eval $(call user_lib_rule,$(l))))

# ---- programs ------------------------------------------------------------------
# user_link(output, objects)
define user_link
	@mkdir -p $(@D)
	@echo "  LD      $(1)"
	$(Q)$(KLD) $(ULDFLAGS) -o $(1) $(CRT0) $(2) --start-group $(USER_LIBAS) $(LIBC) --end-group $(ULIBGCC)
endef

USER_DEPS := $(CRT0) $(USER_LIBAS) $(LIBC) $(USER_LD)

define user_prog_rule
$(UBIN)/$(1): $(patsubst %,$(UBUILD)/obj/%.o,$(sort $(wildcard src/user/$(1)/*.[cS]))) $(USER_DEPS)
	$$(call user_link,$$@,$$(filter %.o,$$(filter-out $(CRT0),$$^)))
endef
$(foreach p,$(USER_PROGS),$(eval $(call user_prog_rule,$(p))))

# Keep the objects of the pattern-built programs (make would delete them as intermediates).
.SECONDARY: $(patsubst %,$(UBUILD)/obj/tests/user/%.c.o,$(USER_TESTS)) \
            $(patsubst %,$(UBUILD)/obj/tests/bench/%.c.o,$(USER_BENCH))

$(UBIN)/tests/%: $(UBUILD)/obj/tests/user/%.c.o $(USER_DEPS)
	$(call user_link,$@,$<)

$(UBIN)/bench/%: $(UBUILD)/obj/tests/bench/%.c.o $(USER_DEPS)
	$(call user_link,$@,$<)

# ---- the boot filesystem -----------------------------------------------------------
# Staged under build/user/initrd/ without debug info (build/user/bin keeps it,
# for gdb) and archived in sorted order with fixed owner and mtime, so the
# same binaries give the same archive.
USTRIP = $(KOBJCOPY) --strip-debug
# initrd.list changes (and so rebuilds the archive) when a program is added or removed.
USER_LIST := $(UBUILD)/initrd.list
$(shell mkdir -p $(UBUILD) && { echo '$(USER_BINS)' | cmp -s - $(USER_LIST) || \
  echo '$(USER_BINS)' > $(USER_LIST); })
$(INITRD): $(USER_BINS) $(USER_LIST) mk/user.mk
	@rm -rf $(UBUILD)/initrd && mkdir -p $(UBUILD)/initrd/tests $(UBUILD)/initrd/bench
	$(Q)for p in $(USER_PROGS); do $(USTRIP) $(UBIN)/$$p $(UBUILD)/initrd/$$p || exit 1; done
	$(Q)for t in $(USER_TESTS); do \
	  $(USTRIP) $(UBIN)/tests/$$t $(UBUILD)/initrd/tests/$$t || exit 1; done
	$(Q)for b in $(USER_BENCH); do \
	  $(USTRIP) $(UBIN)/bench/$$b $(UBUILD)/initrd/bench/$$b || exit 1; done
	$(Q)find $(UBUILD)/initrd -exec touch -h -d @0 {} +
	$(Q)cd $(UBUILD)/initrd && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | \
	  cpio -o -H newc -R 0:0 --reproducible --quiet > $(abspath $@).tmp
	@mv $@.tmp $@
	@echo "  INITRD  $@ ($$(wc -c < $@) bytes, $(words $(USER_BINS)) programs)"

-include $(LIBC_OBJ:.o=.d) $(CRT0:.o=.d) $(shell find $(UBUILD)/obj -name '*.d' 2>/dev/null)
