# mk/bench.mk - `make bench`, `make bench-linux` and the floor probe's image.
#
# The floor probe (tests/bench/floor/) is a bare-metal Image of its own; it
# borrows the kernel's FDT parser, string and format code.  It must run at
# any load address, so it is linked twice, at 0 and at 2 MiB, and the two
# binaries must be identical (no absolute address anywhere).
# Included at the end of the Makefile, after mk/user.mk defines $(INITRD).

FLOOR_BUILD := $(BUILD)/bench/floor
FLOOR_IMAGE := $(FLOOR_BUILD)/Image
FLOOR_LDS   := tests/bench/floor/floor.ld
FLOOR_SRC   := tests/bench/floor/head.S tests/bench/floor/floor.c \
               src/kernel/lib/fdt.c src/kernel/lib/string.c src/kernel/lib/format.c
FLOOR_OBJ   := $(patsubst tests/bench/floor/%,$(FLOOR_BUILD)/%.o,$(filter tests/%,$(FLOOR_SRC))) \
               $(patsubst src/kernel/lib/%,$(FLOOR_BUILD)/lib/%.o,$(filter src/%,$(FLOOR_SRC)))
FLOOR_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-common \
               -march=armv8-a -mgeneral-regs-only -mno-outline-atomics -mstrict-align \
               -fno-stack-protector -fno-pie -fno-pic -MMD -MP \
               -Isrc/kernel/include -Isrc/include $(KCFLAGS_TC)
FLOOR_LDFLAGS = $(filter-out -T $(LDSCRIPT),$(KLDFLAGS)) -T $(FLOOR_LDS)

.PHONY: bench bench-linux floor
floor: $(FLOOR_IMAGE)

$(FLOOR_BUILD)/lib/%.c.o: src/kernel/lib/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(KCC) $(FLOOR_CFLAGS) -c -o $@ $<

$(FLOOR_BUILD)/%.c.o: tests/bench/floor/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(KCC) $(FLOOR_CFLAGS) -c -o $@ $<

$(FLOOR_BUILD)/%.S.o: tests/bench/floor/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(KCC) $(FLOOR_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(FLOOR_BUILD)/floor.elf: $(FLOOR_OBJ) $(FLOOR_LDS)
	$(Q)$(KLD) $(FLOOR_LDFLAGS) --defsym=FLOOR_LINK_BASE=0 -o $@ $(FLOOR_OBJ)
	$(Q)$(KLD) $(FLOOR_LDFLAGS) --defsym=FLOOR_LINK_BASE=0x200000 -o $(@D)/floor-moved.elf $(FLOOR_OBJ)

$(FLOOR_IMAGE): $(FLOOR_BUILD)/floor.elf
	$(Q)$(KOBJCOPY) -O binary $< $@
	$(Q)$(KOBJCOPY) -O binary $(FLOOR_BUILD)/floor-moved.elf $(FLOOR_BUILD)/Image.moved
	@cmp -s $@ $(FLOOR_BUILD)/Image.moved || \
	  { echo "error: $@ depends on its link address (an absolute address crept in)"; rm -f $@; exit 1; }
	@echo "  IMAGE   $@ ($$(wc -c < $@) bytes)"

-include $(FLOOR_OBJ:.o=.d)

# bench: the floor probe, then ViperOS running /bench/bench from the initrd, the full
# image to its shell, and /bench/fsbench on a fresh ViperFS disk (mkfs.viperfs, mk/viperfs.mk).
# $(INITRD) comes from mk/user.mk; tools/bench says what it skipped if it is missing.
BENCH_INITRD = $(if $(INITRD),$(INITRD),$(BUILD)/initrd.cpio)
BENCH_OPTS   = --floor $(FLOOR_IMAGE) --image $(IMAGE) --initrd $(BENCH_INITRD) \
               --mkfs $(TOOLS)/mkfs.viperfs

bench: kernel $(FLOOR_IMAGE) $(INITRD) $(TOOLS)/mkfs.viperfs
	$(PYTHON) tools/bench $(BENCH_OPTS)

# bench-linux: the same, plus Debian's arm64 Linux (downloaded on first use).
bench-linux: kernel $(FLOOR_IMAGE) $(INITRD) $(TOOLS)/mkfs.viperfs
	$(PYTHON) tools/bench $(BENCH_OPTS) --linux
