"""The read side of a workbook package: the zip container and its OPC relationships.

A :class:`Package` opens a regular file (never a FIFO, device or directory), refuses what
cannot be handled safely (an OLE file, encryption, ZIP64, duplicate names, data before the
zip, parts whose declared size or compression ratio exceeds :mod:`limits`), keeps each
entry's raw central directory record for the raw copy, and reads parts with bounded
decompression. Every refusal is one Swedish sentence naming the file and the part.
"""

from __future__ import annotations

import os
import posixpath
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from followup_xl.errors import FollowupError, os_reason
from followup_xl.xlsx import limits
from followup_xl.xlsx.partnames import rels_part
from followup_xl.xlsx.xmlscan import Malformed, parse_xml

CD_STRUCT = struct.Struct("<4s4B4HL2L5H2L")  # central directory record (46 bytes)
CD_SIG = b"PK\x01\x02"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class ZipEntry:
    name: str
    info: zipfile.ZipInfo
    cd_record: bytes  # the raw central directory record


def open_regular(path: Path, label: str) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file (a symbolic link the user
    named is followed). A FIFO, device or folder is refused without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise FollowupError(f"'{label}' är en mapp, inte en arbetsbok.") from None
    except OSError as exc:
        raise FollowupError(f"Arbetsboken '{label}' kan inte öppnas: {os_reason(exc)}.") \
            from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FollowupError(f"'{label}' är en mapp, inte en arbetsbok.")
        if not stat.S_ISREG(mode):
            raise FollowupError(f"'{label}' är ingen vanlig fil (utan till exempel en enhet "
                                "eller en namngiven pipe) och läses inte.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Package:
    """A workbook package opened for reading (``writing``: to be written back, which the
    refusals' wording follows)."""

    def __init__(self, path: Path, fp: BinaryIO, *, writing: bool = False):
        self.path, self.fp, self.label = path, fp, path.name
        self.writing = writing
        head = fp.read(8)
        fp.seek(0)
        if head.startswith(_OLE_MAGIC):
            raise FollowupError(
                f"Filen '{self.label}' är krypterad (lösenordsskyddad) eller sparad i det gamla "
                ".xls-formatet. Ta bort lösenordet eller spara den som Excel-arbetsbok (.xlsx/.xlsm) "
                "och försök igen.")
        try:
            self.zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise FollowupError(
                f"Filen '{self.label}' är ingen Excel-arbetsbok som programmet kan läsa "
                "(den är inte ett zip-paket, eller paketet är skadat).") from None
        self.entries: list[ZipEntry] = []
        self._by_lower: dict[str, str] = {}
        try:
            self._read_central_directory()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.zf.close()

    # -- messages ------------------------------------------------------------------------
    def bad(self, why: str) -> FollowupError:
        """A refusal naming the file: it cannot be read (or written) safely."""
        if self.writing:
            return FollowupError(
                f"Arbetsboken '{self.label}' kan inte skrivas säkert: {why}. Inget har ändrats.")
        return FollowupError(f"Arbetsboken '{self.label}' kan inte läsas: {why}.")

    # -- zip structure -------------------------------------------------------------------
    def _read_central_directory(self) -> None:
        infos = self.zf.infolist()
        start = getattr(self.zf, "start_dir", None)
        if start is None:
            raise self.bad("zip-katalogen kunde inte hittas")
        if len(infos) > limits.MAX_ENTRIES:
            raise self.bad("paketet har för många delar")
        fp = self.fp
        fp.seek(start)
        seen_lower: set[str] = set()
        total = 0
        for info in infos:
            rec = fp.read(CD_STRUCT.size)
            if len(rec) != CD_STRUCT.size or rec[:4] != CD_SIG:
                raise self.bad("zip-katalogen är skadad")
            f = CD_STRUCT.unpack(rec)
            n, m, k = f[12], f[13], f[14]
            rest = fp.read(n + m + k)
            if f[10] == 0xFFFFFFFF or f[11] == 0xFFFFFFFF or f[18] == 0xFFFFFFFF or f[15] == 0xFFFF:
                raise self.bad("paketet använder ZIP64, som programmet inte stöder")
            raw_name = rest[:n]
            if raw_name.decode("utf-8" if f[5] & 0x800 else "cp437") != info.orig_filename:
                raise self.bad("zip-katalogen stämmer inte med innehållet")
            if f[18] != info.header_offset:
                raise self.bad("paketet har data före zip-innehållet")
            if info.flag_bits & 0x1:
                raise FollowupError(
                    f"Arbetsboken '{self.label}' innehåller krypterade delar och kan inte "
                    + ("skrivas." if self.writing else "läsas."))
            low = info.filename.lower()
            if low in seen_lower:
                raise self.bad(f"delen '{info.filename}' förekommer två gånger i paketet")
            self._check_size(info)
            total += info.file_size
            if total > limits.MAX_PACKAGE_SIZE:
                raise self.bad(f"delarna blir tillsammans större än "
                               f"{limits.MAX_PACKAGE_SIZE // limits.MiB} MB uppackade")
            seen_lower.add(low)
            self._by_lower[low] = info.filename
            self.entries.append(ZipEntry(info.filename, info, rec + rest))

    def _check_size(self, info: zipfile.ZipInfo) -> None:
        """Refuse a part, referenced or not, that claims more than the limits allow."""
        if info.file_size > limits.MAX_PART_SIZE:
            raise self.bad(f"delen '{info.filename}' är {info.file_size // limits.MiB} MB "
                           f"uppackad, mer än gränsen {limits.MAX_PART_SIZE // limits.MiB} MB")
        if info.file_size > limits.RATIO_GRACE and \
                info.file_size > limits.MAX_RATIO * max(1, info.compress_size):
            raise self.bad(f"delen '{info.filename}' är packad mer än {limits.MAX_RATIO} gånger "
                           "(en så kallad zip-bomb)")

    def has(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def actual(self, name: str) -> str:
        return self._by_lower[name.lower()]

    def read(self, name: str) -> bytes:
        """A part's bytes; decompression stops at its declared size (then the CRC check)."""
        try:
            actual = self.actual(name)
        except KeyError:
            raise self.bad(f"delen '{name}' saknas") from None
        try:
            with self.zf.open(actual) as fh:
                data = fh.read(limits.MAX_PART_SIZE + 1)
                if len(data) > limits.MAX_PART_SIZE or fh.read(1):
                    raise self.bad(f"delen '{name}' är större än den uppger")
                return data
        except FollowupError:
            raise
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError):
            raise self.bad(f"delen '{name}' är skadad och kan inte packas upp") from None
        except OSError as exc:
            raise self.bad(f"delen '{name}' kan inte läsas ({os_reason(exc)})") from None

    def stream(self, name: str) -> BinaryIO:
        """A part as a stream (decompressed as it is read, up to its declared size)."""
        return self.zf.open(self.actual(name))

    def info(self, name: str) -> zipfile.ZipInfo:
        return self.zf.getinfo(self.actual(name))

    # -- OPC -----------------------------------------------------------------------------
    def rels(self, part: str) -> dict[str, tuple[str, str, bool]]:
        """Relationships of a part: {Id: (Type, target part name or URL, external)}."""
        folder, rels_name = posixpath.dirname(part), rels_part(part)
        if not self.has(rels_name):
            return {}
        root = self.xml(rels_name)
        out = {}
        for rel in root:
            if not isinstance(rel.tag, str) or etree.QName(rel).localname != "Relationship":
                continue
            rid, rtype, target = rel.get("Id"), rel.get("Type", ""), rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                target = unquote(target)
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
            out[rid] = (rtype, target, external)
        return out

    def xml(self, name: str) -> etree._Element:
        try:
            return parse_xml(self.read(name))
        except Malformed as exc:
            raise self.bad(f"delen '{name}' är inte giltig XML ({exc})") from None
