# ViperOS - top-level build.  `make help` lists the targets.
#
# Knobs (all optional): GIC=2|3  SMP=1..8  MEM=128M..4G  EL=1|2
#   BOOTARGS="loglevel=7 test=all"  TOOLCHAIN=gcc|clang  CROSS=<prefix>

include mk/toolchain.mk

BUILD    ?= build
KBUILD   := $(BUILD)/kernel
KELF     := $(KBUILD)/kernel.elf
IMAGE    := $(KBUILD)/Image
LDSCRIPT := src/kernel/arch/aarch64/kernel.ld

GIC      ?= 2
SMP      ?= 1
MEM      ?= 256M
EL       ?= 1
BOOTARGS ?=
# The lab `make grade` grades: LAB=<lab>, or the LAB file of a student tree (tools/mklab export).
LAB      ?= $(shell cat LAB 2>/dev/null)

KSRC := $(sort $(shell find src/kernel -name '*.c' -o -name '*.S'))
KOBJ := $(patsubst src/kernel/%,$(KBUILD)/%.o,$(KSRC))

KCFLAGS = -std=gnu11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-common \
           -march=armv8-a -mgeneral-regs-only -mno-outline-atomics \
           -fno-stack-protector -fno-pie -fno-pic -fno-omit-frame-pointer \
           -mno-omit-leaf-frame-pointer -ffunction-sections -fdata-sections -MMD -MP \
           -Isrc/kernel/include -Isrc/include $(KCFLAGS_TC) \
           -DVIPER_ADDR2LINE='"$(notdir $(KADDR2LINE))"' -DVIPER_KELF='"$(KELF)"'
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z norelro --no-warn-rwx-segments -T $(LDSCRIPT)
# ld.lld and older GNU ld do not know --no-warn-rwx-segments
KLDFLAGS := $(if $(shell $(KLD) --help 2>/dev/null | grep -q no-warn-rwx && echo y),$(KLDFLAGS),$(filter-out --no-warn-rwx-segments,$(KLDFLAGS)))

.PHONY: all kernel qemu qemu-nox qemu-run qemu-gdb disk-reset gdb test test-host test-kernel test-clang check-layout \
        test-crash doctor deps clean help grade labs lab
.DEFAULT_GOAL := all

all: kernel
kernel: $(IMAGE)

# V=1 shows full commands.
Q := $(if $(V),,@)

$(KBUILD)/%.c.o: src/kernel/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(KCC) $(KCFLAGS) -c -o $@ $<

$(KBUILD)/%.S.o: src/kernel/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(KCC) $(KCFLAGS) -D__ASSEMBLY__ -c -o $@ $<

# The kernel carries its own symbol table for symbolized backtraces.  Pass 1
# links without it; tools/mkksyms turns pass 1's text symbols into ksyms.S;
# pass 2 links it in after .text, so no text address moves (checked below).
$(KBUILD)/kernel.pass1.elf: $(KOBJ) $(KBUILD)/ksyms0.o $(LDSCRIPT)
	$(Q)$(KLD) $(KLDFLAGS) -o $@ $(KOBJ) $(KBUILD)/ksyms0.o

$(KBUILD)/ksyms0.S: tools/mkksyms
	@mkdir -p $(@D)
	$(Q)$(PYTHON) tools/mkksyms < /dev/null > $@

$(KBUILD)/ksyms.S: $(KBUILD)/kernel.pass1.elf tools/mkksyms
	$(Q)$(KNM) -n --defined-only $< | $(PYTHON) tools/mkksyms > $@

$(KBUILD)/ksyms.o $(KBUILD)/ksyms0.o: %.o: %.S
	$(Q)$(KCC) $(KCFLAGS) -c -o $@ $<

$(KELF): $(KBUILD)/kernel.pass1.elf $(KBUILD)/ksyms.o
	@echo "  LD      $@"
	$(Q)$(KLD) $(KLDFLAGS) -o $@ $(KOBJ) $(KBUILD)/ksyms.o
	@$(KNM) -n --defined-only $(KBUILD)/kernel.pass1.elf | grep -i ' t ' > $(KBUILD)/text1.sym
	@$(KNM) -n --defined-only $@ | grep -i ' t ' > $(KBUILD)/text2.sym
	@cmp -s $(KBUILD)/text1.sym $(KBUILD)/text2.sym || \
	  { echo "error: text moved between link passes"; rm -f $@; exit 1; }
	@$(PYTHON) tools/check-hot-layout --nm $(KNM) $@

$(IMAGE): $(KELF)
	$(Q)$(KOBJCOPY) -O binary $< $@
	@echo "  IMAGE   $@ ($$(wc -c < $@) bytes)"

-include $(KOBJ:.o=.d)

# User space: libc, programs, build/initrd.cpio ($(INITRD)), `make abi`.
include mk/user.mk

# ---- running ---------------------------------------------------------------
QEMU_OPTS = --image $(IMAGE) --gic $(GIC) --smp $(SMP) --mem $(MEM) --el $(EL) \
            --append "$(BOOTARGS)" --initrd $(INITRD) --disk $(USER_DISK)

# Your disk: a copy of the reference image (build/disk.img, mk/viperfs.mk) made once and
# then kept across builds, so what you write is there next time; `make disk-reset` starts over.
USER_DISK := $(BUILD)/user-disk.img
$(USER_DISK): | $(BUILD)/disk.img
	cp $(BUILD)/disk.img $@
disk-reset:
	rm -f $(USER_DISK)
	@$(MAKE) --no-print-directory $(USER_DISK)

# qemu and test first make sure the packages are there, then re-run make so
# that the toolchain probe in mk/toolchain.mk sees what was just installed.
qemu: deps
	@$(MAKE) --no-print-directory qemu-run
qemu-run: kernel $(INITRD) $(USER_DISK)
	$(PYTHON) tools/run-qemu $(QEMU_OPTS) --screen
qemu-nox: kernel $(INITRD) $(USER_DISK)
	$(PYTHON) tools/run-qemu $(QEMU_OPTS)
qemu-gdb: kernel $(INITRD) $(USER_DISK)
	$(PYTHON) tools/run-qemu $(QEMU_OPTS) --gdb --gdbinit .gdbinit --elf $(KELF)
gdb:
	@test -f .gdbinit || { echo "run 'make qemu-gdb' in another terminal first"; exit 1; }
	$(GDB) -x .gdbinit

# ---- tests -----------------------------------------------------------------
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -Itests/host/stub -Isrc/kernel/include -Isrc/include
include tests/host/host.mk
include mk/viperfs.mk
HOST_BINS := $(patsubst %,$(BUILD)/host/test_%,$(HOST_TESTS))
HOST_DTBS := $(BUILD)/host/virt-gicv2.dtb $(BUILD)/host/virt-gicv3-smp4.dtb
HOST_DATA := $(HOST_DTBS) $(HOST_DATA_EXTRA)

# Every header a host test may include: the tests compile and link in one
# step, so there are no .d files to say which.
HOST_HDRS := $(shell find src/include src/kernel/include tests/host -name '*.h')

.SECONDEXPANSION:
$(BUILD)/host/test_%: tests/host/test_%.c $$(HOST_SRCS_$$*) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(HOST_SRCS_$*)

$(BUILD)/host/virt-gicv2.dtb:
	@mkdir -p $(@D)
	$(QEMU) -M virt,dumpdtb=$@ -cpu cortex-a72 -m 256M -display none -nic none >/dev/null
$(BUILD)/host/virt-gicv3-smp4.dtb:
	@mkdir -p $(@D)
	$(QEMU) -M virt,gic-version=3,virtualization=on,dumpdtb=$@ -cpu cortex-a72 -smp 4 -m 1G -display none -nic none >/dev/null

test: deps
	@$(MAKE) --no-print-directory test-all
test-all:
	$(PYTHON) tools/test-all

test-host: $(HOST_BINS) $(HOST_DATA)
	@status=0; for t in $(HOST_BINS); do $$t $(BUILD)/host || status=1; done; exit $$status

test-kernel: kernel $(INITRD)
	$(PYTHON) grade/grade.py -j 2 --image $(IMAGE) --elf $(KELF) --initrd $(INITRD)

test-clang:
	$(MAKE) --no-print-directory TOOLCHAIN=clang BUILD=$(BUILD)/clang kernel initrd

# The hot paths on the pages kernel.ld means (a build only warns): make test.
check-layout: kernel
	$(PYTHON) tools/check-hot-layout --strict --nm $(KNM) $(KELF)

# ---- labs (docs/labs.md) ----------------------------------------------------
# make grade [LAB=<lab>]: that lab's tests and a score per exercise.
grade: kernel $(INITRD)
	@test -n "$(LAB)" || { echo "usage: make grade LAB=<lab> (labs: $(basename $(notdir $(wildcard grade/labs/*.toml))))"; exit 2; }
	$(PYTHON) grade/grade.py -j 2 --lab $(LAB) --image $(IMAGE) --elf $(KELF) --initrd $(INITRD) \
	  --json $(BUILD)/grade/$(LAB).json
# make labs: regenerate labs/ and solutions/ from the LAB markers in src/.
labs:
	$(PYTHON) tools/mklab gen
# make lab LAB=<lab> DEST=<dir>: write the student repository of one lab.
lab:
	@test -n "$(LAB)" -a -n "$(DEST)" || { echo "usage: make lab LAB=<lab> DEST=<dir>"; exit 2; }
	$(PYTHON) tools/mklab export $(LAB) $(DEST)

# ---- environment -----------------------------------------------------------
deps:
	@tools/install-deps --ensure
doctor:
	@tools/doctor

clean:
	rm -rf $(BUILD) .gdbinit

help:
	@sed -n 's/^## //p' README.md 2>/dev/null || true
	@echo "targets: all kernel qemu qemu-nox qemu-gdb gdb test test-host test-kernel test-clang test-crash grade labs lab doctor deps clean"

include mk/bench.mk
include mk/crash.mk

# ---- instructors: the Gradescope autograder zip (docs/autograde.md) ---------
.PHONY: gradescope
gradescope:
	@test -n "$(LAB)" || { echo "usage: make gradescope LAB=<lab>  (writes $(BUILD)/gradescope/<lab>.zip)"; exit 2; }
	$(PYTHON) tools/mkgradescope $(LAB) --out $(BUILD)/gradescope

# Last: the flag stamps need every flag variable above (mk/flags.mk).
include mk/flags.mk
