#!/usr/bin/env python3
"""grade/fdtedit.py - read, edit and write flattened device trees (DTB).

Standard library only.  parse() turns a DTB into a tree of Node objects;
Fdt.delete() removes the nodes a predicate selects; Fdt.to_bytes() writes a
valid version-17 blob again (header, memory reservation map, structure block,
deduplicated strings block).  The grader uses it to build broken device trees
(no GIC, no timer) that the kernel must reject with a clear `fatal:` line.

CLI:
  python3 grade/fdtedit.py IN OUT --delete-compatible arm,armv8-timer
  python3 grade/fdtedit.py IN OUT --delete-path /intc@8000000
  python3 grade/fdtedit.py IN OUT --delete-with-property interrupt-controller --root-only
  python3 grade/fdtedit.py IN --list
"""

import argparse
import struct
import sys

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9
HEADER_SIZE = 40


class FdtError(Exception):
    pass


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.props = []       # list of (name, bytes), in blob order
        self.children = []

    @property
    def path(self):
        if self.parent is None:
            return "/"
        base = self.parent.path
        return (base if base.endswith("/") else base + "/") + self.name

    @property
    def depth(self):
        return 0 if self.parent is None else self.parent.depth + 1

    def prop(self, name):
        for n, v in self.props:
            if n == name:
                return v
        return None

    def has_prop(self, name):
        return self.prop(name) is not None

    def compatible(self):
        v = self.prop("compatible")
        if not v:
            return []
        return [s.decode("ascii", "replace") for s in v.split(b"\0") if s]

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class Fdt:
    def __init__(self, root, reserve=(), boot_cpuid=0):
        self.root = root
        self.reserve = list(reserve)
        self.boot_cpuid = boot_cpuid

    def find(self, path):
        node = self.root
        for part in [p for p in path.split("/") if p]:
            matches = [c for c in node.children
                       if c.name == part or c.name.split("@")[0] == part]
            if not matches:
                return None
            node = matches[0]
        return node

    def delete(self, pred):
        """Delete every non-root node for which pred(node) is true; return their paths."""
        deleted = []

        def visit(node):
            keep = []
            for c in node.children:
                if pred(c):
                    deleted.append(c.path)
                else:
                    visit(c)
                    keep.append(c)
            node.children = keep
        visit(self.root)
        return deleted

    def to_bytes(self):
        strings = bytearray()
        offsets = {}

        def string_off(name):
            if name not in offsets:
                offsets[name] = len(strings)
                strings.extend(name.encode("ascii") + b"\0")
            return offsets[name]

        st = bytearray()

        def emit(node):
            st.extend(struct.pack(">I", FDT_BEGIN_NODE))
            st.extend(_pad4(node.name.encode("ascii") + b"\0"))
            for name, value in node.props:
                st.extend(struct.pack(">III", FDT_PROP, len(value), string_off(name)))
                st.extend(_pad4(bytes(value)))
            for c in node.children:
                emit(c)
            st.extend(struct.pack(">I", FDT_END_NODE))
        emit(self.root)
        st.extend(struct.pack(">I", FDT_END))

        rsv = bytearray()
        for addr, size in self.reserve:
            rsv.extend(struct.pack(">QQ", addr, size))
        rsv.extend(struct.pack(">QQ", 0, 0))

        off_rsv = _align(HEADER_SIZE, 8)
        off_struct = off_rsv + len(rsv)
        off_strings = off_struct + len(st)
        total = off_strings + len(strings)
        header = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsv,
                             17, 16, self.boot_cpuid, len(strings), len(st))
        blob = bytearray(header)
        blob.extend(b"\0" * (off_rsv - len(blob)))
        blob.extend(rsv)
        blob.extend(st)
        blob.extend(strings)
        return bytes(blob)


def _align(n, a):
    return (n + a - 1) & ~(a - 1)


def _pad4(b):
    return b + b"\0" * (_align(len(b), 4) - len(b))


def parse(blob):
    """Parse a DTB (bytes) into an Fdt; raises FdtError on a malformed blob."""
    if len(blob) < HEADER_SIZE:
        raise FdtError("blob shorter than the FDT header")
    (magic, total, off_struct, off_strings, off_rsv, version, _last, boot_cpuid,
     size_strings, size_struct) = struct.unpack_from(">10I", blob, 0)
    if magic != FDT_MAGIC:
        raise FdtError("bad magic 0x%08x" % magic)
    if total > len(blob):
        raise FdtError("totalsize %d beyond the %d-byte blob" % (total, len(blob)))
    if version < 17:
        size_struct = total - off_struct
    reserve = []
    off = off_rsv
    while True:
        addr, size = struct.unpack_from(">QQ", blob, off)
        off += 16
        if addr == 0 and size == 0:
            break
        reserve.append((addr, size))

    def string_at(o):
        start = off_strings + o
        end = blob.index(b"\0", start, off_strings + size_strings)
        return blob[start:end].decode("ascii")

    pos, end = off_struct, off_struct + size_struct
    root = None
    node = None
    while pos < end:
        tok, = struct.unpack_from(">I", blob, pos)
        pos += 4
        if tok == FDT_BEGIN_NODE:
            zero = blob.index(b"\0", pos)
            name = blob[pos:zero].decode("ascii")
            pos = _align(zero + 1, 4)
            new = Node(name, node)
            if node is None:
                if root is not None:
                    raise FdtError("second root node")
                root = new
            else:
                node.children.append(new)
            node = new
        elif tok == FDT_END_NODE:
            if node is None:
                raise FdtError("unbalanced END_NODE at 0x%x" % (pos - 4))
            node = node.parent
        elif tok == FDT_PROP:
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            if node is None:
                raise FdtError("property outside a node at 0x%x" % pos)
            node.props.append((string_at(nameoff), bytes(blob[pos:pos + length])))
            pos = _align(pos + length, 4)
        elif tok == FDT_NOP:
            continue
        elif tok == FDT_END:
            break
        else:
            raise FdtError("bad token %d at 0x%x" % (tok, pos - 4))
    if root is None or node is not None:
        raise FdtError("structure block is not one balanced tree")
    return Fdt(root, reserve, boot_cpuid)


def load(path):
    with open(path, "rb") as f:
        return parse(f.read())


def save(fdt, path):
    with open(path, "wb") as f:
        f.write(fdt.to_bytes())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Edit a flattened device tree (DTB).")
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    ap.add_argument("--delete-path", action="append", default=[], metavar="PATH")
    ap.add_argument("--delete-compatible", action="append", default=[], metavar="COMPAT")
    ap.add_argument("--delete-with-property", action="append", default=[], metavar="PROP")
    ap.add_argument("--root-only", action="store_true",
                    help="--delete-compatible/--delete-with-property match only root's children")
    ap.add_argument("--list", action="store_true", help="print the node paths")
    args = ap.parse_args(argv)

    fdt = load(args.input)
    if args.list:
        for n in fdt.root.walk():
            compat = ",".join(n.compatible())
            print(n.path + ("  [%s]" % compat if compat else ""))
    if not args.output:
        if not args.list:
            ap.error("OUT is required unless --list")
        return 0

    paths = set()
    for p in args.delete_path:
        n = fdt.find(p)
        if n is None or n is fdt.root:
            print("fdtedit: no node %s" % p, file=sys.stderr)
            return 1
        paths.add(id(n))

    def pred(n):
        if id(n) in paths:
            return True
        if args.root_only and n.depth != 1:
            return False
        if any(c in n.compatible() for c in args.delete_compatible):
            return True
        return any(n.has_prop(p) for p in args.delete_with_property)

    deleted = fdt.delete(pred)
    if not deleted:
        print("fdtedit: nothing matched", file=sys.stderr)
        return 1
    for p in deleted:
        print("fdtedit: deleted %s" % p)
    save(fdt, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
