# mk/toolchain.mk - find a compiler for the aarch64 kernel and the host tools.
#
# TOOLCHAIN=gcc   a GNU cross toolchain, found by prefix (CROSS=... overrides)
# TOOLCHAIN=clang clang --target=aarch64-none-elf with ld.lld and llvm tools
# Default: gcc when a cross gcc is found, otherwise clang.

CROSS_PREFIXES := aarch64-linux-gnu- aarch64-none-elf- aarch64-elf- aarch64-unknown-linux-gnu-
have = $(shell command -v $(1) >/dev/null 2>&1 && echo yes)

CROSS ?= $(firstword $(foreach p,$(CROSS_PREFIXES),$(if $(call have,$(p)gcc),$(p))))
ifeq ($(origin TOOLCHAIN),undefined)
  TOOLCHAIN := $(if $(CROSS),gcc,clang)
endif

# llvm tools: unversioned names, else the newest versioned install (Debian, Homebrew).
LLVM_BIN := $(firstword $(wildcard /usr/lib/llvm-1[0-9]/bin /usr/lib/llvm-[2-9][0-9]/bin \
              /opt/homebrew/opt/llvm/bin /usr/local/opt/llvm/bin))
llvm_tool = $(if $(call have,$(1)),$(1),$(if $(LLVM_BIN),$(LLVM_BIN)/$(1),$(1)))

ifeq ($(TOOLCHAIN),clang)
  KCC     := clang --target=aarch64-none-elf
  KLD     := $(if $(call have,ld.lld),ld.lld,$(call llvm_tool,ld.lld))
  KOBJCOPY := $(if $(CROSS),$(CROSS)objcopy,$(call llvm_tool,llvm-objcopy))
  KNM     := $(if $(CROSS),$(CROSS)nm,$(call llvm_tool,llvm-nm))
  KADDR2LINE := $(if $(CROSS),$(CROSS)addr2line,$(call llvm_tool,llvm-addr2line))
  KCFLAGS_TC := -Wno-unused-command-line-argument
else
  KCC     := $(CROSS)gcc
  KLD     := $(CROSS)ld
  KOBJCOPY := $(CROSS)objcopy
  KNM     := $(CROSS)nm
  KADDR2LINE := $(CROSS)addr2line
  KCFLAGS_TC :=
endif

HOSTCC ?= cc
GDB    ?= $(firstword $(foreach g,gdb-multiarch aarch64-linux-gnu-gdb aarch64-elf-gdb gdb,$(if $(call have,$(g)),$(g))))
QEMU   ?= qemu-system-aarch64
PYTHON ?= python3
