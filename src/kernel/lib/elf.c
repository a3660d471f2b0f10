/*
 * lib/elf.c - validation of static AArch64 ELF64 executables.
 *
 * The file is untrusted user data of arbitrary alignment, so every field is
 * read with byte loads (little endian) and every offset and size is range
 * checked before use, in an order that cannot overflow: a value is compared
 * against a bound before anything is added to it.  The checks run in three
 * passes - the ELF header, each program header, then the PT_LOAD set as a
 * whole (page-granular disjointness, the entry point) - and the first
 * failure is reported through out->why as a static string naming the check.
 * Nothing here maps memory: the loader in proc/ trusts only what this
 * returns.
 */
#include <lib/elf.h>
#include <lib/string.h>
#include <stdbool.h>
#include <viper/errors.h>
#include <viper/types.h>

#define EHDR_SIZE      64u
#define PHDR_SIZE      56u
#define SHDR_SIZE      64u
#define ELF_MAX_PHDRS  64u     /* generous: linkers emit fewer than 16 */

#define EI_CLASS       4
#define EI_DATA        5
#define EI_VERSION     6
#define EI_OSABI       7
#define EI_ABIVERSION  8
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define EV_CURRENT     1
#define ELFOSABI_SYSV  0
#define ELFOSABI_GNU   3
#define ET_EXEC        2
#define EM_AARCH64     183

#define PT_LOAD        1
#define PT_DYNAMIC     2
#define PT_INTERP      3
#define PT_TLS         7
#define PF_X           1u
#define PF_W           2u
#define PF_R           4u

#define PAGE_MASK      ((uint64_t)ELF_PAGE_SIZE - 1)

struct elf_ehdr {
    uint16_t type, machine;
    uint32_t version, flags;
    uint64_t entry, phoff, shoff;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz, align;
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Is [off, off + count * size) inside a len-byte file?  No overflow for count, size < 2^16. */
static bool table_fits(uint64_t off, uint64_t count, uint64_t size, size_t len)
{
    return off <= len && count * size <= len - off;
}

static const char *check_ident(const uint8_t *b)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

    if (memcmp(b, magic, sizeof(magic)) != 0)
        return "bad magic (not an ELF file)";
    if (b[EI_CLASS] != ELFCLASS64)
        return "EI_CLASS is not ELFCLASS64";
    if (b[EI_DATA] != ELFDATA2LSB)
        return "EI_DATA is not little endian";
    if (b[EI_VERSION] != EV_CURRENT)
        return "EI_VERSION is not EV_CURRENT";
    if (b[EI_OSABI] != ELFOSABI_SYSV && b[EI_OSABI] != ELFOSABI_GNU)
        return "EI_OSABI is not SYSV or GNU";
    if (b[EI_ABIVERSION] != 0)
        return "EI_ABIVERSION is not 0";
    return NULL;
}

static void read_ehdr(const uint8_t *b, struct elf_ehdr *e)
{
    e->type = rd16(b + 16);
    e->machine = rd16(b + 18);
    e->version = rd32(b + 20);
    e->entry = rd64(b + 24);
    e->phoff = rd64(b + 32);
    e->shoff = rd64(b + 40);
    e->flags = rd32(b + 48);
    e->ehsize = rd16(b + 52);
    e->phentsize = rd16(b + 54);
    e->phnum = rd16(b + 56);
    e->shentsize = rd16(b + 58);
    e->shnum = rd16(b + 60);
    e->shstrndx = rd16(b + 62);
}

static const char *check_ehdr(const struct elf_ehdr *e, size_t len)
{
    if (e->type != ET_EXEC)
        return "e_type is not ET_EXEC";
    if (e->machine != EM_AARCH64)
        return "e_machine is not EM_AARCH64";
    if (e->version != EV_CURRENT)
        return "e_version is not EV_CURRENT";
    if (e->flags != 0)
        return "e_flags is not 0";
    if (e->ehsize != EHDR_SIZE)
        return "e_ehsize is not 64";
    if (e->phentsize != PHDR_SIZE)
        return "e_phentsize is not 56";
    if (e->phnum == 0)
        return "no program headers";
    if (e->phnum > ELF_MAX_PHDRS)
        return "too many program headers";
    if ((e->phoff & 7) != 0 || e->phoff < EHDR_SIZE)
        return "e_phoff misaligned or inside the ELF header";
    if (!table_fits(e->phoff, e->phnum, PHDR_SIZE, len))
        return "program headers extend past the end of the file";
    if (e->shnum == 0) {
        if (e->shoff != 0 || e->shstrndx != 0)
            return "e_shoff or e_shstrndx set without section headers";
        return NULL;
    }
    if (e->shentsize != SHDR_SIZE)
        return "e_shentsize is not 64";
    if ((e->shoff & 7) != 0 || e->shoff < EHDR_SIZE)
        return "e_shoff misaligned or inside the ELF header";
    if (!table_fits(e->shoff, e->shnum, SHDR_SIZE, len))
        return "section headers extend past the end of the file";
    if (e->shstrndx >= e->shnum)
        return "e_shstrndx out of range";
    return NULL;
}

static void read_phdr(const uint8_t *p, struct elf_phdr *ph)
{
    ph->type = rd32(p);
    ph->flags = rd32(p + 4);
    ph->offset = rd64(p + 8);
    ph->vaddr = rd64(p + 16);
    ph->filesz = rd64(p + 32);
    ph->memsz = rd64(p + 40);
    ph->align = rd64(p + 48);
}

static const char *check_load(const struct elf_phdr *ph, size_t len)
{
    if ((ph->flags & ~(PF_R | PF_W | PF_X)) != 0)
        return "PT_LOAD p_flags has unknown bits";
    if (ph->offset > len || ph->filesz > len - ph->offset)
        return "PT_LOAD file range extends past the end of the file";
    if (ph->filesz > ph->memsz)
        return "PT_LOAD p_filesz > p_memsz";
    if (ph->align != 0 && (ph->align & (ph->align - 1)) != 0)
        return "PT_LOAD p_align is not a power of two";
    if (ph->align > 1 && (ph->vaddr & (ph->align - 1)) != (ph->offset & (ph->align - 1)))
        return "PT_LOAD p_vaddr and p_offset differ modulo p_align";
    if ((ph->vaddr & PAGE_MASK) != (ph->offset & PAGE_MASK))
        return "PT_LOAD p_vaddr and p_offset differ modulo the page size";
    if (ph->vaddr < VIPER_USER_MIN || ph->vaddr >= VIPER_USER_MAX ||
        ph->memsz > VIPER_USER_MAX - ph->vaddr)
        return "PT_LOAD outside the user address range";
    return NULL;
}

static uint32_t prot_of(uint32_t flags)
{
    return (flags & PF_R ? VIPER_PROT_READ : 0) | (flags & PF_W ? VIPER_PROT_WRITE : 0) |
           (flags & PF_X ? VIPER_PROT_EXEC : 0);
}

/* Walk the program headers, collecting the PT_LOADs with memsz > 0 into out. */
static int scan_phdrs(const uint8_t *b, size_t len, const struct elf_ehdr *e,
                      struct elf_image *out)
{
    for (unsigned i = 0; i < e->phnum; i++) {
        struct elf_phdr ph;
        read_phdr(b + e->phoff + (uint64_t)i * PHDR_SIZE, &ph);
        if (ph.type == PT_INTERP || ph.type == PT_DYNAMIC) {
            out->why = ph.type == PT_INTERP ? "PT_INTERP: dynamically linked"
                                            : "PT_DYNAMIC: dynamically linked";
            return VIPER_ERR_NOT_SUPPORTED;
        }
        if (ph.type == PT_TLS) {   /* no TPIDR_EL0 set-up yet: refuse rather than misbehave */
            out->why = "PT_TLS: thread-local storage is not supported";
            return VIPER_ERR_NOT_SUPPORTED;
        }
        if (ph.type != PT_LOAD)
            continue;
        out->why = check_load(&ph, len);
        if (out->why != NULL)
            return VIPER_ERR_BAD_FORMAT;
        if (ph.memsz == 0)
            continue;
        if (out->nsegments == ELF_MAX_SEGMENTS) {
            out->why = "more than 8 PT_LOAD segments";
            return VIPER_ERR_BAD_FORMAT;
        }
        out->segments[out->nsegments++] = (struct elf_segment){
            .vaddr = ph.vaddr, .memsz = ph.memsz, .offset = ph.offset,
            .filesz = ph.filesz, .prot = prot_of(ph.flags),
        };
    }
    return VIPER_OK;
}

/* No two segments may share a page (each page gets one protection). */
static const char *check_layout(const struct elf_image *img)
{
    bool entry_ok = false;

    if (img->nsegments == 0)
        return "no PT_LOAD segment";
    for (unsigned i = 0; i < img->nsegments; i++) {
        const struct elf_segment *s = &img->segments[i];
        uint64_t lo = s->vaddr & ~PAGE_MASK, hi = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
        for (unsigned j = i + 1; j < img->nsegments; j++) {
            const struct elf_segment *t = &img->segments[j];
            uint64_t tlo = t->vaddr & ~PAGE_MASK;
            uint64_t thi = (t->vaddr + t->memsz + PAGE_MASK) & ~PAGE_MASK;
            if (lo < thi && tlo < hi)
                return "PT_LOAD segments overlap (page-granular)";
        }
        if ((s->prot & VIPER_PROT_EXEC) && img->entry >= s->vaddr &&
            img->entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    if ((img->entry & 3) != 0)
        return "e_entry is not 4-byte aligned";
    if (!entry_ok)
        return "e_entry is not inside an executable PT_LOAD";
    return NULL;
}

int elf_parse(const void *buf, size_t len, struct elf_image *out)
{
    const uint8_t *b = buf;
    struct elf_ehdr e;

    memset(out, 0, sizeof(*out));
    if (len < EHDR_SIZE) {
        out->why = "file shorter than the ELF header";
        return VIPER_ERR_BAD_FORMAT;
    }
    out->why = check_ident(b);
    if (out->why != NULL)
        return VIPER_ERR_BAD_FORMAT;
    read_ehdr(b, &e);
    out->why = check_ehdr(&e, len);
    if (out->why != NULL)
        return VIPER_ERR_BAD_FORMAT;
    out->entry = e.entry;
    int rc = scan_phdrs(b, len, &e, out);
    if (rc != VIPER_OK)
        return rc;
    out->why = check_layout(out);
    return out->why != NULL ? VIPER_ERR_BAD_FORMAT : VIPER_OK;
}
