# tests/host/host.mk - host unit tests: each test_<name>.c is compiled with the
# host cc (ASan + UBSan) together with the kernel sources it exercises.
# Add a test with `HOST_TESTS += <name>` and `HOST_SRCS_<name> := <sources>`.

HOST_TESTS += format fdt
HOST_SRCS_format := src/kernel/lib/format.c
HOST_SRCS_fdt := src/kernel/lib/fdt.c

# mm: the buddy allocator alone; pmm + slab over buddy with stubbed console/MMU
HOST_TESTS += buddy slab
HOST_SRCS_buddy := src/kernel/mm/buddy.c
HOST_SRCS_slab := src/kernel/mm/slab.c src/kernel/mm/buddy.c src/kernel/mm/pmm.c \
                  tests/host/stub_kernel.c
