"""The write side of the zip container: a new package from an old one and its changes.

Unchanged entries are copied raw -- local header, compressed data and data descriptor
byte for byte, never decompressed -- and their central directory records are the
original ones with the new offset. Changed entries keep name, time, extra fields and
compression method; new entries go at the end. :func:`check_written` reads the result back.
A large changed part may be compressed ahead (:class:`CompressAhead`), while it is checked.
"""

from __future__ import annotations

import struct
import threading
import zipfile
import zlib
from types import MappingProxyType
from typing import BinaryIO, Mapping

from followup_xl.xlsx import safefile
from followup_xl.xlsx.package import CD_STRUCT, CD_SIG, Package

LH_STRUCT = struct.Struct("<4s2B4HL2L2H")  # local file header (30 bytes)
EOCD_STRUCT = struct.Struct("<4s4H2LH")
LH_SIG, EOCD_SIG = b"PK\x03\x04", b"PK\x05\x06"


def _strip_zip64_extra(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid != 0x0001:
            out += extra[i : i + 4 + size]
        i += 4 + size
    return out + extra[i:]


def _has_zip64_extra(extra: bytes) -> bool:
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid == 0x0001:
            return True
        i += 4 + size
    return False


def _dos_datetime(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _compress(data: bytes, method: int) -> bytes:
    if method == zipfile.ZIP_STORED:
        return data
    if method == zipfile.ZIP_DEFLATED:
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        return co.compress(data) + co.flush()
    raise NotImplementedError(method)


class CompressAhead:
    """A changed part's new bytes compressed in a worker thread: zlib deflates without
    holding the interpreter lock, so a large part is compressed while the caller goes on
    checking what it planned. :meth:`result` gives what :func:`_compress` would."""

    def __init__(self, data: bytes, method: int):
        self.data, self.method = data, method
        self._result: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="followup-xl-deflate",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = _compress(self.data, self.method)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> bytes:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def write_package(pkg: Package, out: BinaryIO, replaced: dict[str, bytes],
                  added: list[tuple[str, bytes]], added_method: int,
                  ahead: Mapping[str, CompressAhead] = MappingProxyType({})) -> None:
    """Write ``pkg`` to ``out`` with the ``replaced`` parts' new bytes and ``added`` parts
    (``ahead``: parts already being compressed, used when they hold the same bytes)."""
    src = pkg.fp
    cd: list[bytes] = []
    half = len(pkg.entries) // 2
    for i, e in enumerate(pkg.entries):
        if i == half:
            safefile._checkpoint("zip-half")
        offset = out.tell()
        if offset > 0xFFFFFFFF:
            raise pkg.bad("den nya filen skulle bli större än 4 GB")
        info = e.info
        src.seek(info.header_offset)
        lh = src.read(LH_STRUCT.size)
        if len(lh) != LH_STRUCT.size or lh[:4] != LH_SIG:
            raise pkg.bad(f"delen '{e.name}' har ett skadat lokalt huvud")
        f = list(LH_STRUCT.unpack(lh))
        n, m = f[10], f[11]
        name_extra = src.read(n + m)
        rec = bytearray(e.cd_record)
        if e.name in replaced:
            data = replaced[e.name]
            pre = ahead.get(e.name)
            if pre is not None and pre.data is data and pre.method == info.compress_type:
                comp = pre.result()
            else:
                comp = _compress(data, info.compress_type)
            crc = zlib.crc32(data) & 0xFFFFFFFF
            flags = info.flag_bits & ~0x08
            local_extra = _strip_zip64_extra(name_extra[n:])
            f[3], f[7], f[8], f[9], f[11] = flags, crc, len(comp), len(data), len(local_extra)
            out.write(LH_STRUCT.pack(*f) + name_extra[:n] + local_extra)
            out.write(comp)
            struct.pack_into("<H", rec, 8, flags)
            struct.pack_into("<LLL", rec, 16, crc, len(comp), len(data))
        else:
            out.write(lh + name_extra)
            remaining = info.compress_size
            while remaining:
                chunk = src.read(min(remaining, 1 << 20))
                if not chunk:
                    raise pkg.bad(f"delen '{e.name}' är avkortad")
                out.write(chunk)
                remaining -= len(chunk)
            if info.flag_bits & 0x08:
                peek = src.read(4)
                z64 = _has_zip64_extra(name_extra[n:])
                size = (24 if z64 else 16) if peek == b"PK\x07\x08" else (20 if z64 else 12)
                out.write(peek + src.read(size - 4))
        struct.pack_into("<L", rec, 42, offset)
        cd.append(bytes(rec))
    for name, data in added:
        offset = out.tell()
        comp = _compress(data, added_method)
        crc = zlib.crc32(data) & 0xFFFFFFFF
        raw_name = name.encode("utf-8")
        flags = 0x800 if any(ord(ch) > 127 for ch in name) else 0
        t, d = _dos_datetime((1980, 1, 1, 0, 0, 0))
        out.write(LH_STRUCT.pack(LH_SIG, 20, 0, flags, added_method, t, d, crc,
                                 len(comp), len(data), len(raw_name), 0) + raw_name)
        out.write(comp)
        cd.append(CD_STRUCT.pack(CD_SIG, 20, 0, 20, 0, flags, added_method, t, d, crc,
                                 len(comp), len(data), len(raw_name), 0, 0, 0, 0, 0, offset)
                  + raw_name)
    cd_offset = out.tell()
    for rec in cd:
        out.write(rec)
    cd_size = out.tell() - cd_offset
    if cd_offset > 0xFFFFFFFF or len(cd) > 0xFFFF:
        raise pkg.bad("den nya filen skulle kräva ZIP64")
    comment = pkg.zf.comment or b""
    out.write(EOCD_STRUCT.pack(EOCD_SIG, 0, 0, len(cd), len(cd), cd_size, cd_offset,
                               len(comment)) + comment)


def check_written(out: BinaryIO, pkg: Package, replaced: dict[str, bytes],
                  added: list[tuple[str, bytes]]) -> None:
    """Read the new package back from ``out``: same entries in the same order; changed
    ones as intended; raw copies with the same CRC, size and compression."""
    out.flush()
    out.seek(0)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        expected = [e.name for e in pkg.entries] + [n for n, _ in added]
        if names != expected:
            raise pkg.bad("den nya filen fick fel innehållsförteckning")
        for name, data in list(replaced.items()) + added:
            if zf.read(name) != data:
                raise pkg.bad(f"delen '{name}' blev fel i den nya filen")
        for e in pkg.entries:
            new = zf.getinfo(e.name)
            if new.compress_type != e.info.compress_type or (
                e.name not in replaced
                and (new.CRC, new.compress_size) != (e.info.CRC, e.info.compress_size)
            ):
                raise pkg.bad(f"delen '{e.name}' kopierades fel")
