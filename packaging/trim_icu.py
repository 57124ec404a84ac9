"""Make a smaller copy of Qt's ICU data library (libicudata.so.NN) for the bundle, without the data Qt never
reads for ffviz.

PySide6's Qt links ICU, whose data library is most of ICU: every locale's names of languages, regions, currencies,
units and time zones, number spell-out rules, transliterators, CJK and South-East Asian word dictionaries,
legacy character-set converters and per-language collation orders. Qt asks ICU for collation (sorting file
names in the file dialog), case mapping (whose tables live in libicuuc, not here) and converters for legacy
encodings (ffviz reads and writes UTF-8 only); Qt's own CLDR tables answer every other locale question. What is
left out is listed in DROPPED: what Qt does not use, plus the tailored collation orders (sorting falls back to
the Unicode root order, which orders every script) and the legacy converters (Qt then reports the encoding as
unavailable). Everything else is kept, so ICU's loading, fallbacks and dependency checks keep working.

    python packaging/trim_icu.py SOURCE_LIBICUDATA OUTPUT_LIBICUDATA     # prints what it saved

Needs icupkg (Debian: icu-devtools) and binutils (as, ld). The ICU data package format is the same in every
ICU version, so icupkg from another ICU version edits it; the library is rebuilt around the smaller package
with the same soname and data symbol as the original.
"""

from __future__ import annotations

import fnmatch
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Items of the ICU data package left out (fnmatch patterns over item names such as "coll/de.res", "af.res").
DROPPED = [
    "translit/*",  # transliterators
    "rbnf/*",  # numbers spelled out ("one hundred and two")
    "lang/*", "region/*", "curr/*", "unit/*",  # names of languages, regions, currencies, units in every language
    "zone/*",  # names of time zones in every language, but English (below)
    "brkitr/*",  # word and line breaking rules and dictionaries (Qt breaks text with its own tables)
    "*.cnv",  # legacy character-set converters (the list of their names, cnvalias.icu, stays)
    "coll/*",  # per-language collation tailorings ...
]
KEPT = [  # ... except the root collation every locale falls back to, and English
    "coll/root.res", "coll/ucadata.icu", "coll/res_index.res", "coll/en*.res",
    "zone/root.res", "zone/pool.res", "zone/res_index.res", "zone/en*.res",
]


class TrimError(RuntimeError):
    """The library could not be trimmed; the caller keeps the original."""


def data_symbol(library: Path) -> tuple[str, bytes]:
    """The name and bytes of the one data symbol (icudtNN_dat) an ICU data library defines."""
    raw = library.read_bytes()
    if raw[:4] != b"\x7fELF" or raw[4] != 2 or raw[5] != 1:
        raise TrimError(f"{library.name} is not a 64-bit little-endian ELF library")
    shoff, = struct.unpack_from("<Q", raw, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", raw, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", raw, shoff + i * shentsize) for i in range(shnum)]
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link]
        for pos in range(offset, offset + size, entsize):
            st_name, st_info, _other, shndx, value, length = struct.unpack_from("<IBBHQQ", raw, pos)
            start = strtab[4] + st_name
            name = raw[start:raw.index(b"\0", start)].decode()
            if name.startswith("icudt") and name.endswith("_dat") and 0 < shndx < shnum and length:
                section = sections[shndx]
                begin = section[4] + value - section[3]
                return name, raw[begin:begin + length]
    raise TrimError(f"{library.name} defines no icudtNN_dat symbol")


def soname(library: Path) -> str:
    out = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "(SONAME)" in line:
            return line.split("[", 1)[1].rstrip("]")
    raise TrimError(f"{library.name} has no soname")


def trim(source: Path, output: Path) -> tuple[int, int]:
    """Write the trimmed library to `output`; (bytes before, bytes after)."""
    for tool in ("icupkg", "as", "ld", "readelf"):
        if shutil.which(tool) is None:
            raise TrimError(f"{tool} is not installed (Debian: icu-devtools, binutils)")
    symbol, package = data_symbol(source)
    name = soname(source)
    package_name = symbol.removesuffix("_dat") + "l"  # icudt73l: icupkg checks that items carry this prefix
    with tempfile.TemporaryDirectory(prefix="ffviz-icu-") as tmp:
        tmp = Path(tmp)
        for folder in ("full", "trimmed"):
            (tmp / folder).mkdir()
        (tmp / "full" / f"{package_name}.dat").write_bytes(package)
        items = subprocess.run(["icupkg", "-l", f"full/{package_name}.dat"], cwd=tmp, capture_output=True,
                               text=True, check=True).stdout.split()
        dropped = [item for item in items if any(fnmatch.fnmatch(item, p) for p in DROPPED)
                   and not any(fnmatch.fnmatch(item, p) for p in KEPT)]
        if not dropped:
            raise TrimError("no item of the ICU data matches DROPPED: a new ICU layout?")
        (tmp / "dropped.txt").write_text("\n".join(dropped) + "\n", encoding="ascii")
        # Without --ignore-deps: icupkg refuses if a kept item needs a dropped one.
        run = subprocess.run(["icupkg", "-r", str(tmp / "dropped.txt"), f"full/{package_name}.dat",
                              f"trimmed/{package_name}.dat"], cwd=tmp, capture_output=True, text=True)
        if run.returncode != 0:
            raise TrimError(f"icupkg: {' '.join((run.stderr or run.stdout).split())[:300]}")
        # The package as the one read-only symbol of a library, as ICU's own build lays it out.
        (tmp / "data.s").write_text(
            f'.section .rodata\n.balign 16\n.globl {symbol}\n.type {symbol}, @object\n{symbol}:\n'
            f'.incbin "trimmed/{package_name}.dat"\n.size {symbol}, . - {symbol}\n'
            '.section .note.GNU-stack,"",@progbits\n',  # no executable stack
            encoding="ascii")
        subprocess.run(["as", "-o", "data.o", "data.s"], cwd=tmp, check=True)
        output.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ld", "-shared", "-soname", name, "-z", "noexecstack", "-o", str(output.resolve()),
                        "data.o"], cwd=tmp, check=True)
    return source.stat().st_size, output.stat().st_size


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python packaging/trim_icu.py SOURCE_LIBICUDATA OUTPUT_LIBICUDATA", file=sys.stderr)
        return 2
    try:
        before, after = trim(Path(argv[0]), Path(argv[1]))
    except (TrimError, OSError, subprocess.CalledProcessError) as exc:
        print(f"trim_icu: {exc}", file=sys.stderr)
        return 1
    print(f"trim_icu: {argv[1]}: {after / 1e6:.1f} MB instead of {before / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
