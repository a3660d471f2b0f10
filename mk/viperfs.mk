# mk/viperfs.mk - ViperFS host tools, the reference disk image, and their host tests.
#
#   make tools          build/tools/{mkfs.viperfs,fsck.viperfs,viperfs} (host cc)
#   make disk           build/disk.img: /c (user programs), /tests, /bench and
#                       tools/viperfs/disk/ (text files), made by mkfs.viperfs
#   make fuzz-viperfs   the image fuzzer for longer (VIPERFS_FUZZ_ITERS, default 20000)
#
# The tools compile the same src/user/lib/viperfs/*.c that fsd links.  The
# host tests (test_viperfs, test_viperfs_fuzz) join `make test-host`; they
# are built with ASan+UBSan like every host test.

TOOLS        := $(BUILD)/tools
VIPERFS_LIB  := $(sort $(wildcard src/user/lib/viperfs/*.c))
VIPERFS_HDRS := $(wildcard src/user/lib/viperfs/*.h tools/viperfs/*.h)
VIPERFS_CORE := tools/viperfs/image.c tools/viperfs/mkfs.c tools/viperfs/fsck.c
TOOL_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -O2 -g -Isrc/user/lib -Isrc/include -Itools/viperfs
DISK_IMG     := $(BUILD)/disk.img
DISK_SIZE    ?= 32M
VIPERFS_TOOLS := $(TOOLS)/mkfs.viperfs $(TOOLS)/fsck.viperfs $(TOOLS)/viperfs

.PHONY: tools disk fuzz-viperfs
tools: $(VIPERFS_TOOLS)
disk: $(DISK_IMG)

$(TOOLS)/mkfs.viperfs: tools/viperfs/mkfs_main.c $(VIPERFS_CORE) $(VIPERFS_LIB) $(VIPERFS_HDRS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) -o $@ $(filter %.c,$^)
$(TOOLS)/fsck.viperfs: tools/viperfs/fsck_main.c $(VIPERFS_CORE) $(VIPERFS_LIB) $(VIPERFS_HDRS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) -o $@ $(filter %.c,$^)
$(TOOLS)/viperfs: tools/viperfs/viperfs_main.c tools/viperfs/image.c $(VIPERFS_LIB) $(VIPERFS_HDRS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) -o $@ $(filter %.c,$^)

# Staged like the initrd (stripped programs, fixed times) so the image is reproducible.
$(DISK_IMG): $(INITRD) $(TOOLS)/mkfs.viperfs $(TOOLS)/fsck.viperfs $(shell find tools/viperfs/disk -type f)
	$(Q)rm -rf $(BUILD)/disk-root && mkdir -p $(BUILD)/disk-root/c
	$(Q)cp -r tools/viperfs/disk/. $(BUILD)/disk-root/
	$(Q)cp -r $(UBUILD)/initrd/tests $(UBUILD)/initrd/bench $(BUILD)/disk-root/
	$(Q)for p in $(USER_PROGS); do cp $(UBUILD)/initrd/$$p $(BUILD)/disk-root/c/ || exit 1; done
	$(Q)$(TOOLS)/mkfs.viperfs -q -t 0 -L viperos -s $(DISK_SIZE) -d $(BUILD)/disk-root $@.tmp
	$(Q)$(TOOLS)/fsck.viperfs -n $@.tmp > /dev/null || { echo "error: fsck of $@ failed"; exit 1; }
	@mv $@.tmp $@
	@echo "  DISK    $@ ($(DISK_SIZE))"

# Host tests: explicit rules (they need the tool sources and -Isrc/user/lib).
HOST_TESTS += viperfs viperfs_fuzz
VIPERFS_TEST_SRCS := $(VIPERFS_CORE) $(VIPERFS_LIB)

$(BUILD)/host/test_viperfs: tests/host/test_viperfs.c tests/host/viperfs_util.h \
                            $(VIPERFS_TEST_SRCS) $(VIPERFS_HDRS) tests/host/harness.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -Isrc/user/lib -Itools/viperfs -o $@ $< $(VIPERFS_TEST_SRCS)

$(BUILD)/host/test_viperfs_fuzz: tests/host/test_viperfs_fuzz.c tests/host/viperfs_util.h \
                                 $(VIPERFS_TEST_SRCS) $(VIPERFS_HDRS) tests/host/harness.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -Isrc/user/lib -Itools/viperfs -o $@ $< $(VIPERFS_TEST_SRCS)

fuzz-viperfs: $(BUILD)/host/test_viperfs_fuzz
	VIPERFS_FUZZ_ITERS=$${VIPERFS_FUZZ_ITERS:-20000} $< $(BUILD)/host

# `make test-crash` (mk/crash.mk) runs fs_crash (grade/tests_fs.py) for 50 rounds.
