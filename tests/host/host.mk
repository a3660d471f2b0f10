# tests/host/host.mk - host unit tests: each test_<name>.c is compiled with the
# host cc (ASan + UBSan) together with the kernel sources it exercises.
# Add a test with `HOST_TESTS += <name>` and `HOST_SRCS_<name> := <sources>`.

HOST_TESTS += format fdt
HOST_SRCS_format := src/kernel/lib/format.c
HOST_SRCS_fdt := src/kernel/lib/fdt.c

# lib/string.c: included by the test itself under other names (linked as it is, its
# memcpy would replace the C library's and the sanitizers'), so named here only as
# a prerequisite.
HOST_TESTS += string
HOST_SRCS_string :=
$(BUILD)/host/test_string: src/kernel/lib/string.c

# mm: the buddy allocator alone; pmm + slab over buddy with stubbed console/MMU
HOST_TESTS += buddy slab
HOST_SRCS_buddy := src/kernel/mm/buddy.c
HOST_SRCS_slab := src/kernel/mm/slab.c src/kernel/mm/buddy.c src/kernel/mm/pmm.c \
                  tests/host/stub_kernel.c

# lib/cpio.c and lib/elf.c: fed real inputs made at build time (HOST_DATA_EXTRA,
# which the Makefile adds to test-host's prerequisites): an archive written
# by the host's cpio, and a tiny static AArch64 program linked by user.ld.
HOST_TESTS += cpio elf
HOST_SRCS_cpio := src/kernel/lib/cpio.c
HOST_SRCS_elf := src/kernel/lib/elf.c src/kernel/lib/cpio.c
HOST_DATA_EXTRA := $(BUILD)/host/test.cpio $(BUILD)/host/hello.elf

# The member contents are what test_cpio.c expects; names chosen to hit every
# name-padding case (name lengths 1..4 mod 4 with the 110-byte header).
$(BUILD)/host/test.cpio: tests/host/host.mk
	@mkdir -p $(@D)
	$(Q)rm -rf $(@D)/cpio-src && mkdir -p $(@D)/cpio-src/dir/sub
	$(Q)cd $(@D)/cpio-src && printf 'hello, cpio\n' > hello.txt && : > empty && \
	  printf 'abcde' > dir/five && seq 1 1000 > dir/sub/numbers && printf 'x' > a && \
	  printf 'yy' > ab && printf 'zzz' > abc && printf 'wwww' > abcd && \
	  find . | LC_ALL=C sort | cpio -o -H newc --quiet > ../test.cpio

$(BUILD)/host/hello.elf: tests/host/elf_hello.c src/user/lib/user.ld
	@mkdir -p $(@D)
	$(Q)$(KCC) $(UCFLAGS) -c -o $(@D)/elf_hello.o $<
	$(Q)$(KLD) $(ULDFLAGS) -o $@ $(@D)/elf_hello.o

# lib/chacha20.c and lib/blake2s.c: the entropy pool's primitives, on known answers.
HOST_TESTS += crypto
HOST_SRCS_crypto := src/kernel/lib/chacha20.c src/kernel/lib/blake2s.c

# The shell's line editor, word splitter and paths, and libbootfs (on test.cpio above).
HOST_TESTS += shell
HOST_SRCS_shell := src/user/shell/edit.c src/user/shell/parse.c src/user/shell/path.c \
                   src/user/lib/bootfs/bootfs.c
$(BUILD)/host/test_shell: HOST_CFLAGS += -Isrc/user/lib

# libc's path folding (cwd, assigns, "..") used by the file API.
HOST_TESTS += path
HOST_SRCS_path := src/user/lib/libc/path.c

# The editor's core (/edit): buffer, keys and view (no I/O), and load/save (POSIX file API).
HOST_TESTS += edit
HOST_SRCS_edit := src/user/edit/buffer.c src/user/edit/keys.c src/user/edit/view.c \
                  src/user/edit/file.c
