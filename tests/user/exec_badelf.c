/*
 * exec_badelf.c - not a test: a program the kernel must refuse to load.
 *
 * It has a 2^39-byte zero-filled section, so its R+W PT_LOAD segment runs
 * past the end of user space (VIPER_USER_MAX) and the ELF checker
 * (lib/elf.c) rejects it: spawn and exec of /tests/exec_badelf return
 * VIPER_ERR_BAD_FORMAT and leave the caller as it was (exec_args.c).  The
 * initrd holds only programs built from tests/user/<name>.c, so this is how
 * a well-formed-looking but invalid ELF gets there.  If it ever runs, it
 * exits with code 99.
 *
 * The section is a NOBITS orphan of its own (the linker puts it after .bss,
 * in the R+W segment), so no other code has to reach across it with ADRP.
 */
__asm__(".section .hugebss, \"aw\", %nobits\n"
        ".globl exec_badelf_huge\n"
        "exec_badelf_huge:\n"
        ".space 0x8000000000\n"
        ".previous\n");

int main(void)
{
    return 99;
}
