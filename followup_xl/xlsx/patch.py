"""Lossless cell writer: edit an xlsx/xlsm package in place of openpyxl's load+save.

An Excel workbook is a zip of XML parts. openpyxl rebuilds every part from its own object
model and drops what it does not model (text boxes, form controls, sparklines, slicers ...).
This module instead edits only the bytes that must change:

* zip entries that do not change are copied as raw compressed bytes (local header, data and
  data descriptor verbatim; no decompression, no recompression);
* inside a changed worksheet only the ``<row>`` elements that receive a value are rewritten,
  and inside such a row only the ``<c>`` elements written to; everything else keeps its bytes;
* ``sharedStrings.xml``, ``styles.xml``, ``workbook.xml`` and table parts are edited by
  splicing, and only when a write needs it.

Anything the writer cannot do safely raises :class:`~followup_xl.errors.FollowupError` with a
Swedish sentence, before the destination is touched. See ``docs/writer.md``.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import io
import math
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Iterator, Mapping
from urllib.parse import unquote

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from followup_xl.xlsx import safefile
from followup_xl.errors import FollowupError

CellValue = None | str | int | Decimal | float | bool | _dt.date | _dt.datetime

__all__ = ["CellValue", "PatchReport", "patch_workbook", "xml_number"]

# --------------------------------------------------------------------------------------
# Namespaces, relationship and content types
# --------------------------------------------------------------------------------------
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

RT_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
RT_WORKSHEET = NS_REL + "/worksheet"
RT_CHARTSHEET = NS_REL + "/chartsheet"
RT_DIALOGSHEET = NS_REL + "/dialogsheet"
RT_MACROSHEETS = (
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet",
)
RT_SHARED_STRINGS = NS_REL + "/sharedStrings"
RT_STYLES = NS_REL + "/styles"
RT_TABLE = NS_REL + "/table"
RT_PIVOT_TABLE = NS_REL + "/pivotTable"
RT_SIGNATURE_ORIGIN = NS_PKG_REL.replace("/relationships", "/relationships/digital-signature/origin")

CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
WORKBOOK_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}

MAX_TEXT_LENGTH = 32767  # Excel's limit for the text of one cell
MAX_ROW = 1048576
MAX_COL = 16384
DATE_FORMAT_ID = 14  # built-in short date (shown in the user's locale, e.g. 2024-05-31)
DATETIME_FORMAT_ID = 22  # built-in date and time
# Built-in number formats that Excel treats as dates but that openpyxl's table omits (CJK).
_EXTRA_BUILTIN_DATE_IDS = set(range(27, 37)) | set(range(50, 59))


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatchReport:
    """What :func:`patch_workbook` did. Part names are zip entry names."""

    src: Path
    dst: Path
    changed_parts: tuple[str, ...]
    added_parts: tuple[str, ...]
    raw_copied_parts: int
    cells_written: int
    cells_created: int
    rows_created: int
    strings_added: int
    styles_added: int
    tables_resized: tuple[str, ...]
    recalc_on_open: bool
    written: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Small helpers: A1 references, numbers, text
# --------------------------------------------------------------------------------------
_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """'C6' -> (6, 3) as (row, col); None if not a valid single-cell reference."""
    m = _REF_RE.match(ref.strip())
    if not m:
        return None
    col, row = column_index_from_string(m.group(1)), int(m.group(2))
    if not (1 <= col <= MAX_COL and 1 <= row <= MAX_ROW):
        return None
    return row, col


def _ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _parse_range(text: str) -> tuple[int, int, int, int] | None:
    """'A1:C3' or 'B2' -> (r1, c1, r2, c2); None when invalid."""
    parts = text.strip().split(":")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        return None
    a, b = _parse_ref(parts[0]), _parse_ref(parts[1])
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def _range_text(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = _ref(r1, c1), _ref(r2, c2)
    return a if a == b else f"{a}:{b}"


_CTX17 = Context(prec=17, rounding=ROUND_HALF_EVEN)
_MAX_DOUBLE = Decimal("1.7976931348623157E+308")


def xml_number(value: int | float | Decimal) -> str:
    """Plain decimal text for a cell ``<v>``: no exponent, no float noise.

    Decimal("-7.8") -> "-7.8"; float 0.1 -> "0.1"; anything longer than 17 significant
    digits (what a double can hold) is rounded half-even to 17 digits.
    Raises ValueError for NaN/infinity and magnitudes beyond a double.
    """
    if isinstance(value, bool):
        raise ValueError("bool är inget tal")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("inte ett ändligt tal")
        d = Decimal(repr(value))
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("inte ett ändligt tal")
        d = value
    else:  # pragma: no cover - guarded by callers
        raise ValueError("inte ett tal")
    if len(d.as_tuple().digits) > 17:
        d = _CTX17.plus(d)
    if abs(d) > _MAX_DOUBLE:
        raise ValueError("talet är för stort för Excel")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "", "-"):
        text = "0"
    return text


_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_X_ESCAPE_LOOKALIKE_RE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def _xstring(text: str) -> str:
    """Escape text the way Excel stores it in ST_Xstring: a literal ``_xHHHH_`` gets its
    underscore escaped as ``_x005F_``, and characters XML 1.0 cannot carry become ``_xHHHH_``."""
    text = _X_ESCAPE_LOOKALIKE_RE.sub(r"_x005F_\1", text)
    return _XML_ILLEGAL_RE.sub(lambda m: "_x%04X_" % ord(m.group()), text)


def _xml_text(text: str) -> bytes:
    """Element content: ST_Xstring escaping, then XML escaping (a CR stays a CR via &#13;)."""
    return _xml_text_raw(_xstring(text))


def _xml_text_raw(text: str) -> bytes:
    """The escaped form of text that is already in ST_Xstring form (from a parsed <t>)."""
    s = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return s.encode("utf-8")


def _xml_attr(text: str) -> bytes:
    s = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return s.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;").encode("utf-8")


_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_unescape(raw: bytes) -> str:
    def sub(m: re.Match[str]) -> str:
        e = m.group(1)
        if e.startswith("#x"):
            return chr(int(e[2:], 16))
        if e.startswith("#"):
            return chr(int(e[1:]))
        return _ENTITIES[e]

    return _ENTITY_RE.sub(sub, raw.decode("utf-8"))


_X_UNESCAPE_RE = re.compile("_x([0-9A-Fa-f]{4})_")


def _xstring_decode(text: str) -> str:
    return _X_UNESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


# --------------------------------------------------------------------------------------
# A byte-level XML scanner: finds tags and their offsets without re-serializing anything.
# --------------------------------------------------------------------------------------
_NAME = rb"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"
_ATTRS = rb"(?:\s+[^\s=/>\"']+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
_TOKEN_RE = re.compile(
    rb"<(?:(?P<close>/)?(?P<name>" + _NAME + rb")(?P<attrs>" + _ATTRS + rb")\s*(?P<empty>/)?>"
    rb"|(?P<other>!--.*?--|!\[CDATA\[.*?\]\]|\?.*?\?|!DOCTYPE[^>]*)>)",
    re.S,
)
_ATTR_RE = re.compile(rb"([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# The unprefixed r attribute in a row start tag's attribute text. Only a value in single quotes
# that itself contains ' r="..."' could fool it; the check after the edit (_verify_sheet, which
# parses with lxml) would then refuse the write.
_R_ATTR_RE = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


class _Malformed(Exception):
    pass


@dataclass
class _Elem:
    qname: bytes
    start: int  # offset of '<'
    stag_end: int  # offset after the start tag
    end: int = -1  # offset after the end tag (or after '/>')
    inner_end: int = -1  # offset of the end tag's '<' (== stag_end for empty elements)
    empty: bool = False

    @property
    def local(self) -> bytes:
        return self.qname.rpartition(b":")[2]


def _iter_tokens(data: bytes, pos: int, end: int) -> Iterator[re.Match[bytes]]:
    while True:
        i = data.find(b"<", pos, end)
        if i < 0:
            return
        m = _TOKEN_RE.match(data, i, end)
        if m is None:
            raise _Malformed(f"oväntad XML vid position {i}")
        if m.group("other") is not None and m.group("other").startswith(b"!DOCTYPE"):
            raise _Malformed("DOCTYPE")
        yield m
        pos = m.end()


def _children(data: bytes, start: int, end: int) -> list[_Elem]:
    """Element children between ``start`` and ``end`` (the inside of a parent element)."""
    out: list[_Elem] = []
    depth = 0
    for m in _iter_tokens(data, start, end):
        if m.group("other") is not None:
            continue
        if m.group("close"):
            depth -= 1
            if depth < 0:
                raise _Malformed("oväntad sluttagg")
            if depth == 0:
                out[-1].end = m.end()
                out[-1].inner_end = m.start()
            continue
        if depth == 0:
            el = _Elem(m.group("name"), m.start(), m.end())
            out.append(el)
            if m.group("empty"):
                el.empty, el.end, el.inner_end = True, m.end(), m.end()
        if not m.group("empty"):
            depth += 1
    if depth != 0:
        raise _Malformed("element saknar sluttagg")
    return out


def _attrs(stag: bytes) -> dict[bytes, str]:
    """Attributes of a start tag; names as raw bytes (with prefix), values unescaped."""
    m = _TOKEN_RE.match(stag)
    if m is None or m.group("name") is None:
        raise _Malformed("ingen starttagg")
    return {a.group(1): _xml_unescape(a.group(2) if a.group(2) is not None else a.group(3))
            for a in _ATTR_RE.finditer(m.group("attrs"))}


def _set_attrs(stag: bytes, changes: Mapping[bytes, str | None]) -> bytes:
    """Change, add or remove attributes of a start tag, keeping all other bytes."""
    m = _TOKEN_RE.match(stag)
    if m is None or m.group("name") is None:
        raise _Malformed("ingen starttagg")
    for name, value in changes.items():
        m = _TOKEN_RE.match(stag)
        a_start = m.start("attrs")
        found = None
        for a in _ATTR_RE.finditer(m.group("attrs")):
            if a.group(1) == name:
                found = a
                break
        if found is not None:
            s, e = a_start + found.start(), a_start + found.end()
            # include the whitespace before the attribute when removing
            ws = s
            while ws > 0 and stag[ws - 1 : ws].isspace():
                ws -= 1
            if value is None:
                stag = stag[:ws] + stag[e:]
            else:
                stag = stag[:s] + name + b'="' + _xml_attr(value) + b'"' + stag[e:]
        elif value is not None:
            ins = a_start + len(m.group("attrs"))
            stag = stag[:ins] + b" " + name + b'="' + _xml_attr(value) + b'"' + stag[ins:]
    return stag


def _open_tag(stag: bytes) -> bytes:
    """'<c r="A1"/>' -> '<c r="A1">' (for an element that gets content)."""
    if stag.endswith(b"/>"):
        body = stag[:-2].rstrip()
        return body + b">"
    return stag


def _etree(data: bytes, what: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _Malformed(f"{what}: {exc}") from exc


# --------------------------------------------------------------------------------------
# Zip package reading and raw-copy writing
# --------------------------------------------------------------------------------------
_CD_STRUCT = struct.Struct("<4s4B4HL2L5H2L")  # central directory record (46 bytes)
_LH_STRUCT = struct.Struct("<4s2B4HL2L2H")  # local file header (30 bytes)
_EOCD_STRUCT = struct.Struct("<4s4H2LH")
_CD_SIG, _LH_SIG, _EOCD_SIG = b"PK\x01\x02", b"PK\x03\x04", b"PK\x05\x06"


@dataclass
class _ZipEntry:
    name: str
    info: zipfile.ZipInfo
    cd_record: bytes  # the raw central directory record


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


class _Package:
    """Read side of a workbook package. Parts are read (and CRC-checked) on demand."""

    def __init__(self, path: Path, fp: BinaryIO):
        self.path = path
        self.fp = fp
        self.label = path.name
        head = fp.read(8)
        fp.seek(0)
        if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise FollowupError(
                f"Filen '{self.label}' är krypterad (lösenordsskyddad) eller sparad i det gamla "
                ".xls-formatet. Ta bort lösenordet eller spara den som Excel-arbetsbok (.xlsx/.xlsm) "
                "och försök igen."
            )
        try:
            self.zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FollowupError(
                f"Filen '{self.label}' är ingen Excel-arbetsbok som programmet kan läsa "
                f"(okänt eller skadat paketformat: {exc})."
            ) from None
        self.entries: list[_ZipEntry] = []
        self._by_lower: dict[str, str] = {}
        self._read_central_directory()

    # -- zip structure -----------------------------------------------------------------
    def _bad(self, why: str) -> FollowupError:
        return FollowupError(
            f"Arbetsboken '{self.label}' kan inte skrivas säkert: {why}. Inget har ändrats."
        )

    def _read_central_directory(self) -> None:
        infos = self.zf.infolist()
        start = getattr(self.zf, "start_dir", None)
        if start is None:
            raise self._bad("zip-katalogen kunde inte hittas")
        fp = self.fp
        fp.seek(start)
        seen_lower: set[str] = set()
        for info in infos:
            rec = fp.read(_CD_STRUCT.size)
            if len(rec) != _CD_STRUCT.size or rec[:4] != _CD_SIG:
                raise self._bad("zip-katalogen är skadad")
            f = _CD_STRUCT.unpack(rec)
            n, m, k = f[12], f[13], f[14]
            rest = fp.read(n + m + k)
            if f[10] == 0xFFFFFFFF or f[11] == 0xFFFFFFFF or f[18] == 0xFFFFFFFF or f[15] == 0xFFFF:
                raise self._bad("paketet använder ZIP64, som skrivaren inte stöder")
            raw_name = rest[:n]
            if raw_name.decode("utf-8" if f[5] & 0x800 else "cp437") != info.orig_filename:
                raise self._bad("zip-katalogen stämmer inte med innehållet")
            if f[18] != info.header_offset:
                raise self._bad("paketet har data före zip-innehållet")
            if info.flag_bits & 0x1:
                raise FollowupError(
                    f"Arbetsboken '{self.label}' innehåller krypterade delar och kan inte skrivas."
                )
            low = info.filename.lower()
            if low in seen_lower:
                raise self._bad(f"delen '{info.filename}' förekommer två gånger i paketet")
            seen_lower.add(low)
            self._by_lower[low] = info.filename
            self.entries.append(_ZipEntry(info.filename, info, rec + rest))
        if len(self.entries) > 0xFFFF:
            raise self._bad("paketet har för många delar")

    def has(self, name: str) -> bool:
        return name.lower() in self._by_lower

    def actual(self, name: str) -> str:
        return self._by_lower[name.lower()]

    def read(self, name: str) -> bytes:
        try:
            return self.zf.read(self.actual(name))
        except KeyError:
            raise self._bad(f"delen '{name}' saknas") from None
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError) as exc:
            raise self._bad(f"delen '{name}' kan inte läsas ({exc})") from None

    def stream(self, name: str) -> BinaryIO:
        return self.zf.open(self.actual(name))

    def info(self, name: str) -> zipfile.ZipInfo:
        return self.zf.getinfo(self.actual(name))

    # -- OPC ---------------------------------------------------------------------------
    def rels(self, part: str) -> dict[str, tuple[str, str, bool]]:
        """Relationships of a part: {Id: (Type, target part name or URL, external)}."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
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
            return _etree(self.read(name), name)
        except _Malformed as exc:
            raise self._bad(f"delen '{name}' är inte giltig XML ({exc})") from None


# --------------------------------------------------------------------------------------
# Shared strings and styles
# --------------------------------------------------------------------------------------
class _SharedStrings:
    def __init__(self, pkg: _Package, part: str | None, workbook_part: str):
        self.pkg = pkg
        self.part = part
        self.exists = part is not None
        self.new_part = part or posixpath.join(posixpath.dirname(workbook_part), "sharedStrings.xml")
        self._loaded = False
        self.base_count = 0
        self.lookup: dict[bytes, int] = {}
        self.new_items: list[bytes] = []
        self.refs_added = 0
        self.refs_removed = 0

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.exists:
            return
        data = self.pkg.read(self.part)
        root = _etree(data, self.part) if data else None
        if root is None or etree.QName(root).namespace != NS_MAIN:
            raise self.pkg._bad(f"delen '{self.part}' är inte en tabell med delade strängar")
        si_tag, t_tag = f"{{{NS_MAIN}}}si", f"{{{NS_MAIN}}}t"
        idx = 0
        for si in root:
            if si.tag != si_tag:
                continue
            kids = list(si)
            if len(kids) == 1 and kids[0].tag == t_tag and not len(kids[0]):
                text = kids[0].text or ""
                preserved = kids[0].get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
                if preserved or text == text.strip(" \t\n\r"):
                    self.lookup.setdefault(_xml_text_raw(text), idx)
            idx += 1
        self.base_count = idx

    def index_of(self, text: str) -> int:
        self._load()
        raw = _xml_text(text)
        self.refs_added += 1
        if raw in self.lookup:
            return self.lookup[raw]
        idx = self.base_count + len(self.new_items)
        space = b' xml:space="preserve"' if text != text.strip(" \t\n\r") or "\n" in text else b""
        self.new_items.append(b"<si><t" + space + b">" + raw + b"</t></si>")
        self.lookup[raw] = idx
        return idx

    @property
    def changed(self) -> bool:
        return bool(self.new_items)

    def render(self) -> bytes:
        """New bytes of the shared-string part (call only when ``changed``)."""
        if not self.exists:
            n = len(self.new_items)
            return (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                b'<sst xmlns="' + NS_MAIN.encode() + b'" count="' + str(self.refs_added).encode()
                + b'" uniqueCount="' + str(n).encode() + b'">' + b"".join(self.new_items) + b"</sst>"
            )
        data = self.pkg.read(self.part)
        root_el = _root_element(data)
        prefix = root_el.qname[: -len(b"sst")]
        items = b"".join(_prefix_items(self.new_items, prefix))
        stag = data[root_el.start : root_el.stag_end]
        attrs = _attrs(stag)
        changes: dict[bytes, str | None] = {}
        if b"uniqueCount" in attrs:
            changes[b"uniqueCount"] = str(self.base_count + len(self.new_items))
        if b"count" in attrs:
            try:
                old = int(attrs[b"count"])
                changes[b"count"] = str(max(0, old + self.refs_added - self.refs_removed))
            except ValueError:
                pass
        new_stag = _set_attrs(stag, changes)
        if root_el.empty:
            close = b"</" + root_el.qname + b">"
            return data[: root_el.start] + _open_tag(new_stag) + items + close + data[root_el.end :]
        return (data[: root_el.start] + new_stag + data[root_el.stag_end : root_el.inner_end]
                + items + data[root_el.inner_end :])


def _prefix_items(items: list[bytes], prefix: bytes) -> list[bytes]:
    if not prefix:
        return items
    return [i.replace(b"<si>", b"<" + prefix + b"si>").replace(b"</si>", b"</" + prefix + b"si>")
             .replace(b"<t>", b"<" + prefix + b"t>").replace(b"<t ", b"<" + prefix + b"t ")
             .replace(b"</t>", b"</" + prefix + b"t>") for i in items]


def _root_element(data: bytes) -> _Elem:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        raise _Malformed("UTF-16")
    decl = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)", data)
    if decl and decl.group(1).lower().replace(b"-", b"") not in (b"utf8",):
        raise _Malformed("teckenkodningen är inte UTF-8")
    for m in _iter_tokens(data, 0, len(data)):
        if m.group("other") is not None:
            continue
        if m.group("close"):
            raise _Malformed("sluttagg före rotelementet")
        el = _Elem(m.group("name"), m.start(), m.end())
        if m.group("empty"):
            el.empty, el.end, el.inner_end = True, m.end(), m.end()
        else:
            close = b"</" + el.qname
            i = data.rfind(close)
            if i < el.stag_end:
                raise _Malformed("rotelementet saknar sluttagg")
            el.inner_end = i
            j = data.find(b">", i)
            el.end = j + 1
        return el
    raise _Malformed("inget rotelement")


class _Styles:
    def __init__(self, pkg: _Package, part: str | None):
        self.pkg = pkg
        self.part = part
        self._loaded = False
        self.numfmt_code: dict[int, str] = {}
        self.xf_numfmt: list[int] = []
        self.xf_raw: list[tuple[bytes, bytes]] = []  # (start tag, inner bytes)
        self.base_count = 0  # cellXfs entries in the original part
        self._cache: dict[tuple[int, int], int] = {}

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.part is None:
            raise FollowupError(
                f"Arbetsboken '{self.pkg.label}' saknar formatmallar (styles.xml), så ett datum "
                "kan inte få ett datumformat. Spara om arbetsboken i Excel och försök igen."
            )
        data = self.pkg.read(self.part)
        self.data = data
        try:
            root = _root_element(data)
            kids = _children(data, root.stag_end, root.inner_end)
        except _Malformed as exc:
            raise self.pkg._bad(f"formatmallarna kan inte läsas ({exc})") from None
        self.prefix = root.qname[: -len(b"styleSheet")]
        self.cellxfs: _Elem | None = None
        for el in kids:
            if el.local == b"numFmts":
                for nf in _children(data, el.stag_end, el.inner_end):
                    a = _attrs(data[nf.start : nf.stag_end])
                    try:
                        self.numfmt_code[int(a.get(b"numFmtId", ""))] = a.get(b"formatCode", "")
                    except ValueError:
                        pass
            elif el.local == b"cellXfs":
                self.cellxfs = el
                for xf in _children(data, el.stag_end, el.inner_end):
                    stag = data[xf.start : xf.stag_end]
                    inner = b"" if xf.empty else data[xf.stag_end : xf.inner_end]
                    a = _attrs(stag)
                    try:
                        self.xf_numfmt.append(int(a.get(b"numFmtId", "0")))
                    except ValueError:
                        self.xf_numfmt.append(0)
                    self.xf_raw.append((stag, inner))
        self.base_count = len(self.xf_raw)

    def is_date(self, s: int) -> bool:
        self._load()
        if s >= len(self.xf_numfmt):
            return False
        fid = self.xf_numfmt[s]
        if fid in self.numfmt_code:
            return is_date_format(self.numfmt_code[fid])
        if fid in _EXTRA_BUILTIN_DATE_IDS:
            return True
        code = BUILTIN_FORMATS.get(fid)
        return bool(code) and is_date_format(code)

    def date_style(self, s: int, fmt_id: int) -> int:
        """Index of a cellXfs entry equal to entry ``s`` but with a date number format."""
        self._load()
        if self.cellxfs is None or not self.xf_raw:
            raise self.pkg._bad("formatmallarna saknar cellformat (cellXfs)")
        if s >= len(self.xf_raw):
            raise self.pkg._bad(f"en cell hänvisar till cellformat {s}, som inte finns")
        key = (s, fmt_id)
        if key in self._cache:
            return self._cache[key]
        stag, inner = self.xf_raw[s]
        new_stag = _set_attrs(stag, {b"numFmtId": str(fmt_id), b"applyNumberFormat": "1"})
        want_attrs = _attrs(new_stag)
        found = next((i for i, (st, inn) in enumerate(self.xf_raw)
                      if inn == inner and _attrs(st) == want_attrs), None)
        if found is None:
            self.xf_raw.append((new_stag, inner))
            self.xf_numfmt.append(fmt_id)
            found = len(self.xf_raw) - 1
        self._cache[key] = found
        return found

    @property
    def new_xfs(self) -> list[bytes]:
        return [self._xf_bytes(st, inn) for st, inn in self.xf_raw[self.base_count :]]

    @staticmethod
    def _xf_bytes(stag: bytes, inner: bytes) -> bytes:
        if stag.endswith(b"/>") and not inner:
            return stag
        name = _TOKEN_RE.match(stag).group("name")
        return _open_tag(stag) + inner + b"</" + name + b">"

    @property
    def changed(self) -> bool:
        return bool(self.new_xfs)

    def render(self) -> bytes:
        data, el = self.data, self.cellxfs
        stag = data[el.start : el.stag_end]
        total = len(self.xf_raw)
        new_stag = _set_attrs(stag, {b"count": str(total)}) if b"count" in _attrs(stag) else stag
        items = b"".join(self.new_xfs)
        if el.empty:
            return (data[: el.start] + _open_tag(new_stag) + items + b"</" + el.qname + b">"
                    + data[el.end :])
        return (data[: el.start] + new_stag + data[el.stag_end : el.inner_end] + items
                + data[el.inner_end :])


# --------------------------------------------------------------------------------------
# Worksheet editing
# --------------------------------------------------------------------------------------
@dataclass
class _Table:
    name: str
    display: str
    part: str
    sheet_part: str | None
    ref: tuple[int, int, int, int]
    header_rows: int
    totals_rows: int
    columns: list[str]


@dataclass
class _Write:
    row: int
    col: int
    ref: str  # as given by the caller
    value: CellValue


@dataclass
class _CellPlan:
    """What the verification step expects to find in the written cell."""

    row: int
    col: int
    t: str | None
    v: str | None
    s: str | None
    formula: bytes | None  # serialized <f> of the original cell (kept as is)


class _Workbook:
    """Everything the writer needs to know about the workbook part."""

    def __init__(self, pkg: _Package):
        self.pkg = pkg
        label = pkg.label
        if not pkg.has("[Content_Types].xml") or not pkg.has("_rels/.rels"):
            raise FollowupError(
                f"Filen '{label}' är ingen Excel-arbetsbok (paketet saknar innehållsförteckning)."
            )
        self.ct_root = pkg.xml("[Content_Types].xml")
        self.ct_default: dict[str, str] = {}
        self.ct_override: dict[str, str] = {}
        for el in self.ct_root:
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            if local == "Default":
                self.ct_default[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local == "Override":
                self.ct_override[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
        root_rels = pkg.rels("")
        office = [t for (rt, t, ext) in root_rels.values()
                  if rt in (RT_OFFICE_DOCUMENT,) and not ext]
        if any(rt.startswith("http://purl.oclc.org/ooxml/") for (rt, _, _) in root_rels.values()):
            raise FollowupError(
                f"Arbetsboken '{label}' är sparad som Strikt Open XML, som programmet inte kan "
                "skriva. Spara den som vanlig Excel-arbetsbok (.xlsx/.xlsm) och försök igen."
            )
        if any(rt == RT_SIGNATURE_ORIGIN for (rt, _, _) in root_rels.values()):
            raise FollowupError(
                f"Arbetsboken '{label}' är digitalt signerad; att skriva i den skulle göra "
                "signaturen ogiltig. Ta bort signaturen i Excel eller skriv till en kopia utan signatur."
            )
        if len(office) != 1 or not pkg.has(office[0]):
            raise FollowupError(f"Filen '{label}' är ingen Excel-arbetsbok (huvuddelen saknas).")
        self.part = pkg.actual(office[0])
        ctype = self.content_type(self.part)
        if ctype not in WORKBOOK_CONTENT_TYPES:
            kind = "binär arbetsbok (.xlsb)" if "binary" in ctype else f"typen '{ctype}'"
            raise FollowupError(
                f"Filen '{label}' är en {kind}, som programmet inte kan skriva. Spara den som "
                "Excel-arbetsbok (.xlsx/.xlsm) och försök igen."
            )
        self.data = pkg.read(self.part)
        root = _etree(self.data, self.part)
        ns = etree.QName(root).namespace
        if ns == NS_STRICT_MAIN:
            raise FollowupError(
                f"Arbetsboken '{label}' är sparad som Strikt Open XML, som programmet inte kan "
                "skriva. Spara den som vanlig Excel-arbetsbok (.xlsx/.xlsm) och försök igen."
            )
        if ns != NS_MAIN:
            raise pkg._bad("arbetsbokens XML har ett okänt namnområde")
        m = f"{{{NS_MAIN}}}"
        pr = root.find(m + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self.rels = pkg.rels(self.part)
        self.sheets: list[tuple[str, str, str, str]] = []  # (name, sheetId, rel type, part)
        sheets_el = root.find(m + "sheets")
        for sh in (sheets_el if sheets_el is not None else []):
            if sh.tag != m + "sheet":
                continue
            rid = sh.get(f"{{{NS_REL}}}id")
            rtype, target, _ = self.rels.get(rid, ("", "", False))
            self.sheets.append((sh.get("name", ""), sh.get("sheetId", ""), rtype, target))
        self.sst_part = next((t for (rt, t, ext) in self.rels.values()
                              if rt == RT_SHARED_STRINGS and not ext and pkg.has(t)), None)
        self.styles_part = next((t for (rt, t, ext) in self.rels.values()
                                 if rt == RT_STYLES and not ext and pkg.has(t)), None)
        if self.sst_part:
            self.sst_part = pkg.actual(self.sst_part)
        if self.styles_part:
            self.styles_part = pkg.actual(self.styles_part)

    def content_type(self, part: str) -> str:
        low = part.lower()
        if low in self.ct_override:
            return self.ct_override[low]
        ext = low.rpartition(".")[2]
        return self.ct_default.get(ext, "")

    def find_sheet(self, name: str) -> tuple[str, str, str, str]:
        exact = [s for s in self.sheets if s[0] == name]
        if not exact:
            exact = [s for s in self.sheets if s[0].casefold() == name.casefold()]
        if len(exact) != 1:
            raise FollowupError(f"Bladet '{name}' finns inte i arbetsboken '{self.pkg.label}'.")
        return exact[0]

    def worksheet_parts(self) -> list[str]:
        return [self.pkg.actual(p) for (_, _, rt, p) in self.sheets
                if (rt == RT_WORKSHEET or rt in RT_MACROSHEETS) and self.pkg.has(p)]


class _SheetEditor:
    """Edits one worksheet part by splicing rows and cells."""

    def __init__(self, wb: _Workbook, sheet_name: str, part: str, data: bytes,
                 sst: _SharedStrings, styles: _Styles):
        self.wb = wb
        self.pkg = wb.pkg
        self.name = sheet_name
        self.part = part
        self.data = data
        self.sst = sst
        self.styles = styles
        self.cells_created = 0
        self.rows_created = 0
        # Table header cells: a new cell under a header does not take the header's style.
        self.header_cells: set[tuple[int, int]] = set()
        self.plans: list[_CellPlan] = []
        self.written_formula_cells = 0
        self._styles_cache: dict[int, dict[int, str | None]] = {}
        try:
            self._locate()
        except _Malformed as exc:
            raise self._refuse(f"bladets XML kan inte tolkas säkert ({exc})") from None

    # -- messages ----------------------------------------------------------------------
    def _where(self) -> str:
        return f"bladet '{self.name}' i arbetsboken '{self.pkg.label}'"

    def _refuse(self, why: str) -> FollowupError:
        return FollowupError(f"Kan inte skriva på {self._where()}: {why}. Inget har ändrats.")

    # -- structure ---------------------------------------------------------------------
    def _locate(self) -> None:
        data = self.data
        root = _root_element(data)
        attrs = _attrs(data[root.start : root.stag_end])
        self.prefix = root.qname[: -len(b"worksheet")] if root.qname.endswith(b"worksheet") else None
        if self.prefix is None or root.local != b"worksheet":
            raise _Malformed("rotelementet är inte ett kalkylblad")
        ns_attr = b"xmlns:" + self.prefix[:-1] if self.prefix else b"xmlns"
        ns = attrs.get(ns_attr)
        if ns == NS_STRICT_MAIN:
            raise _Malformed("Strikt Open XML stöds inte")
        if ns != NS_MAIN:
            raise _Malformed("okänt namnområde")
        self.root = root
        self.sheetdata: _Elem | None = None
        head: list[_Elem] = []
        depth = 0
        sd_qname = self.prefix + b"sheetData"
        for m in _iter_tokens(data, root.stag_end, root.inner_end):
            if m.group("other") is not None:
                continue
            if m.group("close"):
                depth -= 1
                if depth == 0:
                    head[-1].end, head[-1].inner_end = m.end(), m.start()
                continue
            if depth == 0:
                el = _Elem(m.group("name"), m.start(), m.end())
                head.append(el)
                if m.group("empty"):
                    el.empty, el.end, el.inner_end = True, m.end(), m.end()
                if el.qname == sd_qname:
                    self.sheetdata = el
                    break
            if not m.group("empty"):
                depth += 1
        sd = self.sheetdata
        if sd is None:
            raise _Malformed("bladet saknar sheetData")
        if not sd.empty:
            close = re.compile(rb"</" + re.escape(sd_qname) + rb"\s*>")
            cm = close.search(data, sd.stag_end, root.inner_end)
            if cm is None:
                raise _Malformed("sheetData saknar sluttagg")
            sd.inner_end, sd.end = cm.start(), cm.end()
        body_s, body_e = sd.stag_end, sd.inner_end
        for bad in (b"<!--", b"<![CDATA[", b"<?"):
            if data.find(bad, body_s, body_e) >= 0:
                raise _Malformed("sheetData innehåller kommentarer, CDATA eller instruktioner")
        self.head = head[:-1]
        self.tail = _children(data, sd.end, root.inner_end)
        self.dimension = next((e for e in self.head if e.local == b"dimension"), None)
        # column default styles
        self.col_styles: list[tuple[int, int, int]] = []
        for e in self.head:
            if e.local == b"cols":
                for col in _children(data, e.stag_end, e.inner_end):
                    a = _attrs(data[col.start : col.stag_end])
                    try:
                        if b"style" in a:
                            self.col_styles.append((int(a[b"min"]), int(a[b"max"]), int(a[b"style"])))
                    except (KeyError, ValueError):
                        pass
        # merged ranges
        self.merged: list[tuple[int, int, int, int]] = []
        for e in self.tail:
            if e.local == b"mergeCells":
                for mc in _children(data, e.stag_end, e.inner_end):
                    rng = _parse_range(_attrs(data[mc.start : mc.stag_end]).get(b"ref", ""))
                    if rng:
                        self.merged.append(rng)
        # rows
        p = re.escape(self.prefix)
        self._row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])(" + _ATTRS + rb")\s*(/?)>")
        self._row_close_re = re.compile(rb"</" + p + rb"row\s*>")
        self.rows: dict[int, _Elem] = {}
        self.row_order: list[int] = []
        self.sorted = True
        self.rows_have_r = True
        pos, last = body_s, 0
        while True:
            m = self._row_re.search(data, pos, body_e)
            if m is None:
                if data[pos:body_e].strip():
                    raise _Malformed("oväntat innehåll i sheetData")
                break
            if data[pos : m.start()].strip():
                raise _Malformed("oväntat innehåll i sheetData")
            el = _Elem(self.prefix + b"row", m.start(), m.end())
            if m.group(2):
                el.empty, el.end, el.inner_end = True, m.end(), m.end()
            else:
                cm = self._row_close_re.search(data, m.end(), body_e)
                if cm is None:
                    raise _Malformed("en rad saknar sluttagg")
                el.inner_end, el.end = cm.start(), cm.end()
            rm = _R_ATTR_RE.search(m.group(1))
            if rm is not None:
                try:
                    r = int(rm.group(1) or rm.group(2))
                except ValueError:
                    raise _Malformed("ogiltigt radnummer") from None
            else:
                self.rows_have_r = False
                r = last + 1
            if r <= last:
                self.sorted = False
            if r in self.rows:
                raise _Malformed(f"rad {r} förekommer två gånger")
            self.rows[r] = el
            self.row_order.append(r)
            last = max(last, r)
            pos = el.end
        # array / data-table formula ranges (their non-master cells hold cached results)
        f_re = re.compile(rb"<" + p + rb"f(" + _ATTRS + rb")\s*/?>")
        self.array_ranges: list[tuple[int, int, int, int]] = []
        for fm in f_re.finditer(data, body_s, body_e):
            a = {x.group(1): x.group(2) or x.group(3) for x in _ATTR_RE.finditer(fm.group(1))}
            if a.get(b"t") in (b"array", b"dataTable") and b"ref" in a:
                rng = _parse_range(a[b"ref"].decode("ascii", "replace"))
                if rng:
                    self.array_ranges.append(rng)
        self._f_count_re = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.has_cells = re.compile(rb"<" + p + rb"c(?=[\s/>])").search(data, body_s, body_e) is not None

    def _row_cells(self, row_el: _Elem, r: int) -> list[tuple[int, _Elem]]:
        """(column, element) for each <c> of a row, in document order."""
        data = self.data
        if row_el.empty:
            return []
        out = []
        last = 0
        for el in _children(data, row_el.stag_end, row_el.inner_end):
            if el.local != b"c" or el.qname != self.prefix + b"c":
                continue
            a = _attrs(data[el.start : el.stag_end])
            if b"r" in a:
                rc = _parse_ref(a[b"r"])
                if rc is None or rc[0] != r:
                    raise _Malformed(f"cellen '{a[b'r']}' ligger inte på rad {r}")
                col = rc[1]
            else:
                col = last + 1
            out.append((col, el))
            last = col
        return out

    # -- the edit ------------------------------------------------------------------------
    def apply(self, writes: list[_Write]) -> bytes:
        try:
            return self._apply(writes)
        except _Malformed as exc:
            raise self._refuse(f"bladets XML kan inte tolkas säkert ({exc})") from None

    def _check_targets(self, writes: list[_Write]) -> None:
        for w in writes:
            if w.value is None:
                continue  # clearing hides nothing
            for (r1, c1, r2, c2) in self.merged:
                if r1 <= w.row <= r2 and c1 <= w.col <= c2 and (w.row, w.col) != (r1, c1):
                    raise FollowupError(
                        f"Cellen {w.ref} på {self._where()} ligger i det sammanfogade området "
                        f"{_range_text(r1, c1, r2, c2)} men är inte dess övre vänstra cell "
                        f"({_ref(r1, c1)}); ett värde där skulle inte synas. Inget har ändrats."
                    )

    def _apply(self, writes: list[_Write]) -> bytes:
        data = self.data
        self._check_targets(writes)
        # clearing a cell that does not exist is nothing to do (no empty cell is created)
        writes = [w for w in writes if w.value is not None or w.col in self._row_styles(w.row)]
        if not writes:
            return data
        by_row: dict[int, dict[int, _Write]] = {}
        for w in writes:
            by_row.setdefault(w.row, {})[w.col] = w
        final_styles: dict[tuple[int, int], str | None] = {}
        splices: list[tuple[int, int, bytes]] = []
        new_rows: list[tuple[int, bytes]] = []
        for r in sorted(by_row):
            targets = by_row[r]
            row_el = self.rows.get(r)
            if row_el is None:
                if not self.rows_have_r or not self.sorted:
                    raise self._refuse(
                        f"rad {r} måste skapas, men bladets rader saknar radnummer eller är inte "
                        "sorterade"
                    )
                cells = b"".join(
                    self._render_new_cell(r, c, targets[c], final_styles) for c in sorted(targets)
                )
                row_bytes = (b"<" + self.prefix + b'row r="' + str(r).encode() + b'">' + cells
                             + b"</" + self.prefix + b"row>")
                new_rows.append((r, row_bytes))
                self.rows_created += 1
                continue
            splices.append((row_el.start, row_el.end,
                            self._render_row(r, row_el, targets, final_styles)))
        # place new rows before the first existing row with a larger number
        order_sorted = self.row_order  # sorted whenever rows are created (checked above)
        sd = self.sheetdata
        for r, row_bytes in new_rows:
            i = bisect.bisect_left(order_sorted, r)
            if i < len(order_sorted):
                pos = self.rows[order_sorted[i]].start
            else:
                pos = sd.inner_end if not sd.empty else -1
            splices.append((pos, pos, row_bytes))
        if sd.empty and any(p == -1 for p, _, _ in splices):
            appended = b"".join(b for p, _, b in splices if p == -1)
            splices = [x for x in splices if x[0] != -1]
            stag = data[sd.start : sd.stag_end]
            splices.append((sd.start, sd.end, _open_tag(stag) + appended
                            + b"</" + self.prefix + b"sheetData>"))
        dim_splice = self._dimension_splice(writes)
        if dim_splice:
            splices.append(dim_splice)
        return _splice(data, splices)

    def _dimension_splice(self, writes: list[_Write]) -> tuple[int, int, bytes] | None:
        dim = self.dimension
        if dim is None:
            return None
        stag = self.data[dim.start : dim.stag_end]
        a = _attrs(stag)
        rows = [w.row for w in writes]
        cols = [w.col for w in writes]
        box = (min(rows), min(cols), max(rows), max(cols))
        cur = _parse_range(a.get(b"ref", "")) if self.has_cells else None
        if cur is not None:
            box = (min(box[0], cur[0]), min(box[1], cur[1]), max(box[2], cur[2]), max(box[3], cur[3]))
            if box == cur:
                return None
        new_ref = _range_text(*box)
        if new_ref == a.get(b"ref"):
            return None
        return dim.start, dim.stag_end, _set_attrs(stag, {b"ref": new_ref})

    def _style_for_new(self, r: int, c: int, final_styles: dict, row_s: str | None) -> str | None:
        if (r - 1, c) not in self.header_cells:  # a table header's style stays its own
            if (r - 1, c) in final_styles:
                return final_styles[(r - 1, c)]
            above = self._row_styles(r - 1)
            if c in above:
                return above[c]
        if row_s is not None:
            return row_s
        for lo, hi, style in self.col_styles:
            if lo <= c <= hi:
                return str(style)
        return None

    def _row_styles(self, r: int) -> dict[int, str | None]:
        """{column: s attribute} of the cells of original row r (cached)."""
        if r not in self._styles_cache:
            el = self.rows.get(r)
            self._styles_cache[r] = {} if el is None else {
                col: _attrs(self.data[c.start : c.stag_end]).get(b"s")
                for col, c in self._row_cells(el, r)}
        return self._styles_cache[r]

    def _in_array(self, r: int, c: int) -> bool:
        return any(r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1)
                   for (r1, c1, r2, c2) in self.array_ranges)

    def _render_row(self, r: int, row_el: _Elem, targets: dict[int, _Write],
                    final_styles: dict) -> bytes:
        data = self.data
        cells = self._row_cells(row_el, r)
        row_stag = data[row_el.start : row_el.stag_end]
        ra = _attrs(row_stag)
        row_s = ra.get(b"s") if ra.get(b"customFormat") in ("1", "true") else None
        present = {col: el for col, el in cells}
        missing = [c for c in targets if c not in present]
        if missing and any(b"r" not in _attrs(data[el.start : el.stag_end]) for _, el in cells):
            raise self._refuse(f"rad {r} har celler utan cellreferens, så nya celler kan inte "
                               "placeras säkert")
        cols_in_order = [c for c, _ in cells]
        if missing and cols_in_order != sorted(cols_in_order):
            raise self._refuse(f"cellerna på rad {r} är inte sorterade")
        if row_el.empty:
            new_cells = [(c, self._render_new_cell(r, c, targets[c], final_styles, row_s))
                         for c in sorted(missing)]
            inner = b"".join(b for _, b in new_cells)
            new_stag = self._extend_spans(_open_tag(row_stag), missing)
            return new_stag + inner + b"</" + self.prefix + b"row>"
        # splice inside the row
        splices: list[tuple[int, int, bytes]] = []
        for col, el in cells:
            if col in targets:
                splices.append((el.start, el.end,
                                self._render_existing_cell(r, col, el, targets[col], final_styles)))
        for c in sorted(missing):
            nb = self._render_new_cell(r, c, targets[c], final_styles, row_s)
            after = [el for col, el in cells if col > c]
            if after:
                pos = after[0].start
            else:
                # after the last <c>: before the row's extLst (CT_Row is c*, extLst?)
                kids = _children(data, row_el.stag_end, row_el.inner_end)
                ext = [k for k in kids if k.qname != self.prefix + b"c"]
                pos = ext[0].start if ext else row_el.inner_end
            splices.append((pos, pos, nb))
        splices.append((row_el.start, row_el.stag_end, self._extend_spans(row_stag, missing)))
        return _splice(data, splices, row_el.start, row_el.end)

    @staticmethod
    def _extend_spans(stag: bytes, new_cols: list[int]) -> bytes:
        if not new_cols:
            return stag
        a = _attrs(stag)
        spans = a.get(b"spans")
        if not spans:
            return stag
        ranges = []
        for part in spans.split():
            lo, _, hi = part.partition(":")
            try:
                ranges.append((int(lo), int(hi or lo)))
            except ValueError:
                return _set_attrs(stag, {b"spans": None})
        if all(any(lo <= c <= hi for lo, hi in ranges) for c in new_cols):
            return stag
        lo = min([r[0] for r in ranges] + new_cols)
        hi = max([r[1] for r in ranges] + new_cols)
        return _set_attrs(stag, {b"spans": f"{lo}:{hi}"})

    # -- cells -----------------------------------------------------------------------------
    def _value_parts(self, w: _Write, formula_like: bool, style: str | None
                     ) -> tuple[str | None, bytes | None, str | None]:
        """(t attribute, <v> content, s attribute) for a value."""
        v = w.value
        if v is None:
            return None, None, style
        if isinstance(v, bool):
            return "b", b"1" if v else b"0", style
        if isinstance(v, (int, float, Decimal)):
            try:
                return None, xml_number(v).encode(), style
            except (ValueError, InvalidOperation):
                raise FollowupError(
                    f"Värdet {v!r} för cellen {w.ref} på {self._where()} är inget tal som Excel "
                    "kan lagra. Inget har ändrats."
                ) from None
        if isinstance(v, (_dt.datetime, _dt.date)):
            serial = _date_serial(v, self.wb.date1904, self, w)
            s_idx = int(style) if style not in (None, "") else 0
            if not self.styles.is_date(s_idx):
                fmt = DATETIME_FORMAT_ID if isinstance(v, _dt.datetime) else DATE_FORMAT_ID
                new = self.styles.date_style(s_idx, fmt)
                style = str(new) if new else None
            return None, serial.encode(), style
        if isinstance(v, str):
            if len(v) > MAX_TEXT_LENGTH:
                raise FollowupError(
                    f"Texten för cellen {w.ref} på {self._where()} är {len(v)} tecken lång; "
                    f"Excel rymmer högst {MAX_TEXT_LENGTH} tecken i en cell. Inget har ändrats."
                )
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise FollowupError(
                    f"Texten för cellen {w.ref} på {self._where()} innehåller ogiltiga tecken. "
                    "Inget har ändrats."
                ) from None
            if formula_like:
                return "str", _xml_text(v), style
            return "s", str(self.sst.index_of(v)).encode(), style
        raise FollowupError(
            f"Värdet för cellen {w.ref} på {self._where()} har typen {type(v).__name__}, som inte "
            "kan skrivas (tillåtet: text, tal, sant/falskt, datum eller tomt). Inget har ändrats."
        )

    def _render_new_cell(self, r: int, c: int, w: _Write, final_styles: dict,
                         row_s: str | None = None) -> bytes:
        style = self._style_for_new(r, c, final_styles, row_s)
        if style in ("0", ""):
            style = None
        t, v, s = self._value_parts(w, self._in_array(r, c), style)
        if s in ("0", ""):
            s = None
        final_styles[(r, c)] = s
        self.cells_created += 1
        self.plans.append(_CellPlan(r, c, t, v.decode() if v is not None else None, s, None))
        P = self.prefix
        stag = b"<" + P + b'c r="' + _ref(r, c).encode() + b'"'
        if s is not None:
            stag += b' s="' + s.encode() + b'"'
        if t is not None:
            stag += b' t="' + t.encode() + b'"'
        if v is None:
            return stag + b"/>"
        return stag + b"><" + P + b"v>" + v + b"</" + P + b"v></" + P + b"c>"

    def _render_existing_cell(self, r: int, c: int, el: _Elem, w: _Write,
                              final_styles: dict) -> bytes:
        data = self.data
        stag = data[el.start : el.stag_end]
        a = _attrs(stag)
        if b"vm" in a:
            raise FollowupError(
                f"Cellen {w.ref} på {self._where()} innehåller en bild eller datatyp i cellen "
                "(värdemetadata); den skrivs inte över. Inget har ändrats."
            )
        kids = [] if el.empty else _children(data, el.stag_end, el.inner_end)
        P = self.prefix
        f_el = next((k for k in kids if k.qname == P + b"f"), None)
        formula_like = f_el is not None or self._in_array(r, c)
        old_t = a.get(b"t", "n")
        if old_t == "s" and f_el is None:
            self.sst.refs_removed += 1
        style = a.get(b"s")
        t, v, s = self._value_parts(w, formula_like, style)
        final_styles[(r, c)] = s if s not in ("0", "") else None
        changes: dict[bytes, str | None] = {b"t": t}
        if s != style:
            changes[b"s"] = s
        new_stag = _set_attrs(stag, changes)
        # children: keep <f> and everything that is not a value (<v>, <is>), in order
        kept: list[bytes] = []
        inserted = False
        v_bytes = b"" if v is None else b"<" + P + b"v>" + v + b"</" + P + b"v>"
        for k in kids:
            if k.qname in (P + b"v", P + b"is"):
                if not inserted:
                    kept.append(v_bytes)
                    inserted = True
                continue
            kept.append(data[k.start : k.end])
            if k.qname == P + b"f" and not inserted:
                kept.append(v_bytes)
                inserted = True
        if not inserted:
            # no <f>, no old value: the value goes first (before an extLst, if any)
            kept.insert(0, v_bytes)
        inner = b"".join(kept)
        formula = data[f_el.start : f_el.end] if f_el is not None else None
        if f_el is not None:
            self.written_formula_cells += 1
        self.plans.append(_CellPlan(r, c, t, v.decode() if v is not None else None,
                                    s if s not in ("",) else None, formula))
        if not inner:
            if stag.endswith(b"/>"):
                return new_stag
            return _open_tag(new_stag) + b"</" + el.qname + b">"
        return _open_tag(new_stag) + inner + b"</" + el.qname + b">"

    def formula_count(self, new_data: bytes) -> int:
        sd_start = new_data.find(b"<" + self.prefix + b"sheetData")
        return len(self._f_count_re.findall(new_data, sd_start if sd_start >= 0 else 0))


def _date_serial(v: _dt.date, date1904: bool, ed: _SheetEditor, w: _Write) -> str:
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None and v.utcoffset() is not None:
            raise FollowupError(
                f"Datumet för cellen {w.ref} på {ed._where()} har en tidszon; Excel saknar "
                "tidszoner. Ange lokal tid utan tidszon. Inget har ändrats."
            )
        day = v.date()
        secs = v.hour * 3600 + v.minute * 60 + v.second
        micro = v.microsecond
    else:
        day, secs, micro = v, 0, 0
    if date1904:
        days = (day - _dt.date(1904, 1, 1)).days
        first = "1904-01-01"
    else:
        days = (day - _dt.date(1899, 12, 31)).days
        if day >= _dt.date(1900, 3, 1):
            days += 1  # Excel's phantom 29 February 1900
        first = "1900-01-01"
    if days < (0 if date1904 else 1):
        raise FollowupError(
            f"Datumet {v.isoformat()} för cellen {w.ref} på {ed._where()} ligger före {first}, "
            "det tidigaste datum arbetsboken kan visa. Inget har ändrats."
        )
    frac = (Decimal(secs) * 1000000 + Decimal(micro)) / Decimal(86400000000)
    return xml_number(Context(prec=40).add(Decimal(days), frac))


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------
def _load_tables(wb: _Workbook) -> list[_Table]:
    pkg = wb.pkg
    out: list[_Table] = []
    sheet_of: dict[str, str] = {}
    for part in wb.worksheet_parts():
        for rtype, target, ext in pkg.rels(part).values():
            if rtype == RT_TABLE and not ext and pkg.has(target):
                sheet_of[pkg.actual(target).lower()] = part
    table_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
    parts = {e.name for e in pkg.entries if wb.content_type(e.name) == table_ct}
    parts |= {pkg.actual(p) for p in sheet_of}
    for part in sorted(parts):
        root = pkg.xml(part)
        if etree.QName(root).namespace != NS_MAIN:
            continue
        rng = _parse_range(root.get("ref", ""))
        if rng is None:
            raise pkg._bad(f"tabelldelen '{part}' har ett ogiltigt område")
        cols = [c.get("name", "") for c in root.iter(f"{{{NS_MAIN}}}tableColumn")]
        try:
            header = int(root.get("headerRowCount", "1"))
            totals = int(root.get("totalsRowCount", "0"))
        except ValueError:
            header, totals = 1, 0
        out.append(_Table(root.get("name", ""), root.get("displayName", root.get("name", "")),
                          part, sheet_of.get(part.lower()), rng, header, totals, cols))
    return out


def _resize_table(pkg: _Package, table: _Table, new_ref: str, others: list[_Table]) -> bytes:
    label = pkg.label
    rng = _parse_range(new_ref)
    if rng is None:
        raise FollowupError(f"Det nya området '{new_ref}' för tabellen '{table.display}' i "
                            f"arbetsboken '{label}' är ingen giltig cellreferens.")
    r1, c1, r2, c2 = rng
    o1, oc1, o2, oc2 = table.ref
    if (c1, c2) != (oc1, oc2):
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' kan bara byta antal rader; "
            f"det nya området {new_ref} har andra kolumner än {_range_text(*table.ref)}. "
            "Inget har ändrats."
        )
    if r1 != o1:
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' måste börja på samma rad som "
            f"förut ({o1}); det nya området {new_ref} flyttar rubrikraden. Inget har ändrats."
        )
    if r2 - r1 + 1 < table.header_rows + table.totals_rows + 1:
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' måste ha minst en datarad; "
            f"området {new_ref} är för litet. Inget har ändrats."
        )
    for other in others:
        if other is table or other.sheet_part != table.sheet_part:
            continue
        a1, b1, a2, b2 = other.ref
        if not (r2 < a1 or r1 > a2 or c2 < b1 or c1 > b2):
            raise FollowupError(
                f"Tabellen '{table.display}' i arbetsboken '{label}' skulle med området {new_ref} "
                f"överlappa tabellen '{other.display}'. Inget har ändrats."
            )
    data = pkg.read(table.part)
    root = _root_element(data)
    text = _range_text(r1, c1, r2, c2)
    splices = [(root.start, root.stag_end, _set_attrs(data[root.start : root.stag_end], {b"ref": text}))]
    # the table's own autoFilter (a direct child of <table>) covers header and data rows
    af = next((k for k in _children(data, root.stag_end, root.inner_end)
               if k.qname == root.qname[: -len(b"table")] + b"autoFilter"), None)
    if af is not None:
        af_ref = _range_text(r1, c1, r2 - table.totals_rows, c2)
        splices.append((af.start, af.stag_end, _set_attrs(data[af.start : af.stag_end], {b"ref": af_ref})))
    return _splice(data, splices)


def _splice(data: bytes, splices: list[tuple[int, int, bytes]], start: int = 0,
            end: int | None = None) -> bytes:
    """data[start:end] with data[s:e] replaced by b for each non-overlapping (s, e, b)."""
    out: list[bytes] = []
    cursor = start
    for s, e, b in sorted(splices, key=lambda x: (x[0], x[1])):
        if s < cursor:
            raise _Malformed("överlappande ändringar")
        out.append(data[cursor:s])
        out.append(b)
        cursor = e
    out.append(data[cursor:end])
    return b"".join(out)


# --------------------------------------------------------------------------------------
# workbook.xml: calcPr
# --------------------------------------------------------------------------------------
_CALCPR_PREDECESSORS = (b"fileVersion", b"fileSharing", b"workbookPr", b"workbookProtection",
                        b"bookViews", b"sheets", b"functionGroups", b"externalReferences",
                        b"definedNames")


def _set_full_calc(data: bytes) -> bytes | None:
    """workbook.xml with fullCalcOnLoad="1" on calcPr, or None if it already says so."""
    root = _root_element(data)
    prefix = root.qname[: -len(b"workbook")]
    kids = _children(data, root.stag_end, root.inner_end)
    calc = next((k for k in kids if k.qname == prefix + b"calcPr"), None)
    if calc is not None:
        stag = data[calc.start : calc.stag_end]
        if _attrs(stag).get(b"fullCalcOnLoad", "").lower() in ("1", "true"):
            return None
        return data[: calc.start] + _set_attrs(stag, {b"fullCalcOnLoad": "1"}) + data[calc.stag_end :]
    pos = root.stag_end
    for k in kids:
        if k.qname.startswith(prefix) and k.local in _CALCPR_PREDECESSORS:
            pos = k.end
    return data[:pos] + b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>' + data[pos:]


def _has_formula_stream(pkg: _Package, part: str) -> bool:
    """True if the (unedited) worksheet part contains a cell formula. Streams, stops early."""
    with pkg.stream(part) as fh:
        first = fh.read(1 << 16)
        prefixes = {(p + b":") if p else b"" for p in re.findall(
            rb"xmlns(?::([A-Za-z_][\w.\-]*))?\s*=\s*[\"']" + re.escape(NS_MAIN.encode()) + rb"[\"']",
            first)} or {b""}
        pat = re.compile(rb"<(?:" + b"|".join(re.escape(p) for p in prefixes) + rb")f[\s/>]")
        buf = first
        while True:
            if pat.search(buf):
                return True
            chunk = fh.read(1 << 20)
            if not chunk:
                return False
            buf = buf[-16:] + chunk


# --------------------------------------------------------------------------------------
# Content types and relationships for a new sharedStrings part
# --------------------------------------------------------------------------------------
def _add_override(data: bytes, part: str, ctype: str) -> bytes:
    root = _root_element(data)
    prefix = root.qname[: -len(b"Types")]
    el = (b"<" + prefix + b'Override PartName="/' + _xml_attr(part) + b'" ContentType="'
          + _xml_attr(ctype) + b'"/>')
    if root.empty:
        return (data[: root.start] + _open_tag(data[root.start : root.stag_end]) + el + b"</"
                + root.qname + b">" + data[root.end :])
    return data[: root.inner_end] + el + data[root.inner_end :]


def _add_relationship(data: bytes, rtype: str, target: str) -> bytes:
    root = _root_element(data)
    prefix = root.qname[: -len(b"Relationships")]
    ids = set(re.findall(rb'\bId\s*=\s*["\']([^"\']*)["\']', data))
    n = 1
    while b"rId%d" % n in ids:
        n += 1
    el = (b"<" + prefix + b'Relationship Id="rId%d" Type="' % n + _xml_attr(rtype)
          + b'" Target="' + _xml_attr(target) + b'"/>')
    if root.empty:
        return (data[: root.start] + _open_tag(data[root.start : root.stag_end]) + el + b"</"
                + root.qname + b">" + data[root.end :])
    return data[: root.inner_end] + el + data[root.inner_end :]


# --------------------------------------------------------------------------------------
# Verification of the edited parts (before anything is written)
# --------------------------------------------------------------------------------------
def _verify_sheet(ed: _SheetEditor, new_data: bytes) -> None:
    m = f"{{{NS_MAIN}}}"
    want = {(p.row, p.col): p for p in ed.plans}
    rows_wanted = {p.row for p in ed.plans}
    seen: set[tuple[int, int]] = set()
    last_row = 0
    try:
        for _, row in etree.iterparse(io.BytesIO(new_data), events=("end",), tag=m + "row",
                                      huge_tree=True, resolve_entities=False, no_network=True):
            r = int(row.get("r", last_row + 1))
            if ed.sorted and r <= last_row:
                raise _Malformed(f"raderna är inte sorterade vid rad {r}")
            last_row = r
            if r in rows_wanted:
                last_col = 0
                for c in row.iter(m + "c"):
                    rc = _parse_ref(c.get("r", "")) if c.get("r") else (r, last_col + 1)
                    if rc is None or rc[0] != r:
                        raise _Malformed(f"felaktig cellreferens på rad {r}")
                    if (rc[1] <= last_col) and ed.sorted:
                        raise _Malformed(f"cellerna är inte sorterade på rad {r}")
                    last_col = rc[1]
                    p = want.get(rc)
                    if p is None:
                        continue
                    if rc in seen:
                        raise _Malformed(f"cellen {_ref(*rc)} förekommer två gånger")
                    seen.add(rc)
                    v = c.find(m + "v")
                    vtext = None if v is None else (v.text or "")
                    if c.get("t") != p.t or c.get("s") != p.s:
                        raise _Malformed(f"cellen {_ref(*rc)} fick fel typ eller format")
                    want_v = None if p.v is None else _xml_unescape(p.v.encode())
                    if vtext != want_v:
                        raise _Malformed(f"cellen {_ref(*rc)} fick fel värde")
                    f = c.find(m + "f")
                    if (f is None) != (p.formula is None):
                        raise _Malformed(f"formeln i cellen {_ref(*rc)} ändrades")
                    if c.find(m + "is") is not None:
                        raise _Malformed(f"cellen {_ref(*rc)} har kvar en gammal text")
            row.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise _Malformed(str(exc)) from None
    except ValueError as exc:
        raise _Malformed(str(exc)) from None
    missing = set(want) - seen
    if missing:
        raise _Malformed("celler saknas efter skrivningen: " + ", ".join(_ref(*x) for x in sorted(missing)))


# --------------------------------------------------------------------------------------
# The zip writer
# --------------------------------------------------------------------------------------
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


def _write_package(pkg: _Package, out: BinaryIO, replaced: dict[str, bytes],
                   added: list[tuple[str, bytes]], added_method: int) -> None:
    src = pkg.fp
    cd: list[bytes] = []
    half = len(pkg.entries) // 2
    for i, e in enumerate(pkg.entries):
        if i == half:
            safefile._checkpoint("zip-half")
        offset = out.tell()
        if offset > 0xFFFFFFFF:
            raise pkg._bad("den nya filen skulle bli större än 4 GB")
        info = e.info
        src.seek(info.header_offset)
        lh = src.read(_LH_STRUCT.size)
        if len(lh) != _LH_STRUCT.size or lh[:4] != _LH_SIG:
            raise pkg._bad(f"delen '{e.name}' har ett skadat lokalt huvud")
        f = list(_LH_STRUCT.unpack(lh))
        n, m = f[10], f[11]
        name_extra = src.read(n + m)
        rec = bytearray(e.cd_record)
        if e.name in replaced:
            data = replaced[e.name]
            comp = _compress(data, info.compress_type)
            crc = zlib.crc32(data) & 0xFFFFFFFF
            flags = info.flag_bits & ~0x08
            local_extra = _strip_zip64_extra(name_extra[n:])
            f[3], f[7], f[8], f[9], f[11] = flags, crc, len(comp), len(data), len(local_extra)
            out.write(_LH_STRUCT.pack(*f) + name_extra[:n] + local_extra)
            out.write(comp)
            struct.pack_into("<H", rec, 8, flags)
            struct.pack_into("<LLL", rec, 16, crc, len(comp), len(data))
        else:
            out.write(lh + name_extra)
            remaining = info.compress_size
            while remaining:
                chunk = src.read(min(remaining, 1 << 20))
                if not chunk:
                    raise pkg._bad(f"delen '{e.name}' är avkortad")
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
        out.write(_LH_STRUCT.pack(_LH_SIG, 20, 0, flags, added_method, t, d, crc,
                                  len(comp), len(data), len(raw_name), 0) + raw_name)
        out.write(comp)
        cd.append(_CD_STRUCT.pack(_CD_SIG, 20, 0, 20, 0, flags, added_method, t, d, crc,
                                  len(comp), len(data), len(raw_name), 0, 0, 0, 0, 0, offset)
                  + raw_name)
    cd_offset = out.tell()
    for rec in cd:
        out.write(rec)
    cd_size = out.tell() - cd_offset
    if cd_offset > 0xFFFFFFFF or len(cd) > 0xFFFF:
        raise pkg._bad("den nya filen skulle kräva ZIP64")
    comment = pkg.zf.comment or b""
    out.write(_EOCD_STRUCT.pack(_EOCD_SIG, 0, 0, len(cd), len(cd), cd_size, cd_offset,
                                len(comment)) + comment)


def _check_written(path: Path, pkg: _Package, replaced: dict[str, bytes],
                   added: list[tuple[str, bytes]]) -> None:
    """Read the new package back: same entries in the same order; changed ones as intended."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        expected = [e.name for e in pkg.entries] + [n for n, _ in added]
        if names != expected:
            raise pkg._bad("den nya filen fick fel innehållsförteckning")
        for name, data in list(replaced.items()) + added:
            if zf.read(name) != data:
                raise pkg._bad(f"delen '{name}' blev fel i den nya filen")
        for e in pkg.entries:
            new = zf.getinfo(e.name)
            if new.compress_type != e.info.compress_type or (
                e.name not in replaced and (new.CRC, new.compress_size) != (e.info.CRC, e.info.compress_size)
            ):
                raise pkg._bad(f"delen '{e.name}' kopierades fel")


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------
@dataclass
class _Plan:
    pkg: _Package
    added_method: int  # compression of new parts: that of the workbook part
    replaced: dict[str, bytes]
    added: list[tuple[str, bytes]]
    report: PatchReport


def patch_workbook(
    src: Path,
    dst: Path,
    cells: Mapping[str, Mapping[str, CellValue]],
    tables: Mapping[str, str] = MappingProxyType({}),
    recalc_on_open: bool | None = None,
    *,
    backup: bool = False,
    lock_wait_seconds: float = 30,
) -> PatchReport:
    """Write cell values (and table sizes) into ``src`` and save the result as ``dst``.

    ``src`` may equal ``dst``. The new file replaces ``dst`` atomically
    (:func:`followup_xl.xlsx.safefile.atomic_write`, with ``backup``) while this process holds
    :func:`followup_xl.xlsx.safefile.exclusive` on ``dst``. Whether the workbook is open in Excel
    or LibreOffice is *not* checked here: call :func:`followup_xl.xlsx.safefile.check_not_open`
    first unless the user forced the run.

    Raises FollowupError (a Swedish sentence) and leaves ``dst`` untouched whenever the
    write cannot be done without risk of losing content.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FollowupError(f"Arbetsboken '{src}' finns inte.")
    with safefile.exclusive(dst, wait_seconds=lock_wait_seconds):
        with open(src, "rb") as fp:
            plan = _plan(src, dst, fp, cells, tables, recalc_on_open)

            def write(tmp: Path) -> None:
                with open(tmp, "wb") as out:
                    _write_package(plan.pkg, out, plan.replaced, plan.added,
                                   plan.added_method)
                _check_written(tmp, plan.pkg, plan.replaced, plan.added)
                # close src before it may be replaced by tmp (Windows cannot replace open files)
                plan.pkg.zf.close()
                fp.close()

            safefile.atomic_write(dst, write, backup=backup)
    return plan.report


def _plan(src: Path, dst: Path, fp: BinaryIO, cells: Mapping[str, Mapping[str, CellValue]],
          tables: Mapping[str, str], recalc_on_open: bool | None):
    pkg = _Package(src, fp)
    wb = _Workbook(pkg)
    sst = _SharedStrings(pkg, wb.sst_part, wb.part)
    styles = _Styles(pkg, wb.styles_part)
    replaced: dict[str, bytes] = {}
    added: list[tuple[str, bytes]] = []
    editors: dict[str, _SheetEditor] = {}
    written: dict[str, tuple[str, ...]] = {}
    need_tables = bool(tables)
    table_list: list[_Table] | None = None

    # -- group writes per sheet ------------------------------------------------------------
    per_sheet: list[tuple[str, str, list[_Write]]] = []
    seen_parts: set[str] = set()
    for sheet_name, refs in cells.items():
        name, _sid, rtype, part = wb.find_sheet(sheet_name)
        if rtype == RT_CHARTSHEET:
            raise FollowupError(
                f"Bladet '{name}' i arbetsboken '{pkg.label}' är ett diagramblad och har inga "
                "celler att skriva i."
            )
        if rtype != RT_WORKSHEET:
            kind = "ett dialogblad" if rtype == RT_DIALOGSHEET else "ett makroblad"
            raise FollowupError(
                f"Bladet '{name}' i arbetsboken '{pkg.label}' är {kind}, som programmet inte "
                "skriver i."
            )
        if not pkg.has(part):
            raise pkg._bad(f"bladet '{name}' saknar sin del i paketet")
        part = pkg.actual(part)
        if part in seen_parts:
            raise FollowupError(f"Bladet '{name}' anges två gånger för arbetsboken '{pkg.label}'.")
        seen_parts.add(part)
        writes: list[_Write] = []
        seen: dict[tuple[int, int], str] = {}
        for ref, value in refs.items():
            rc = _parse_ref(str(ref))
            if rc is None:
                raise FollowupError(
                    f"'{ref}' är ingen giltig cellreferens (bladet '{name}' i arbetsboken "
                    f"'{pkg.label}')."
                )
            if rc in seen:
                raise FollowupError(
                    f"Cellen {_ref(*rc)} på bladet '{name}' anges två gånger ('{seen[rc]}' och "
                    f"'{ref}')."
                )
            seen[rc] = str(ref)
            writes.append(_Write(rc[0], rc[1], _ref(*rc), value))
        if writes:
            per_sheet.append((name, part, writes))

    if per_sheet or need_tables:
        table_list = _load_tables(wb)
    # pivot table areas may not be written into
    for name, part, writes in per_sheet:
        for rtype, target, ext in pkg.rels(part).values():
            if rtype == RT_PIVOT_TABLE and not ext and pkg.has(target):
                loc = pkg.xml(target).find(f"{{{NS_MAIN}}}location")
                rng = _parse_range(loc.get("ref", "")) if loc is not None else None
                for w in writes:
                    if rng and rng[0] <= w.row <= rng[2] and rng[1] <= w.col <= rng[3]:
                        raise FollowupError(
                            f"Cellen {w.ref} på bladet '{name}' i arbetsboken '{pkg.label}' ligger "
                            "i en pivottabell, som Excel skriver över vid uppdatering. Inget har "
                            "ändrats."
                        )
        for t in table_list or []:
            if t.sheet_part != part or t.header_rows < 1:
                continue
            r1, c1, _r2, c2 = t.ref
            for w in writes:
                if w.row == r1 and c1 <= w.col <= c2:
                    want = _xstring_decode(t.columns[w.col - c1]) if w.col - c1 < len(t.columns) else None
                    if not isinstance(w.value, str) or w.value != want:
                        raise FollowupError(
                            f"Cellen {w.ref} på bladet '{name}' i arbetsboken '{pkg.label}' är "
                            f"rubrik i tabellen '{t.display}' och måste vara '{want}'; Excel "
                            "reparerar annars tabellen. Inget har ändrats."
                        )

    # -- sheets ------------------------------------------------------------------------------
    for name, part, writes in per_sheet:
        ed = _SheetEditor(wb, name, part, pkg.read(part), sst, styles)
        ed.header_cells = {(t.ref[0], col) for t in table_list or []
                           if t.sheet_part == part and t.header_rows >= 1
                           for col in range(t.ref[1], t.ref[3] + 1)}
        new = ed.apply(writes)
        editors[part] = ed
        if new != ed.data:
            replaced[part] = new
        written[name] = tuple(w.ref for w in writes)

    # -- tables --------------------------------------------------------------------------------
    resized: list[str] = []
    for tname, new_ref in tables.items():
        match = [t for t in table_list or [] if tname in (t.name, t.display)]
        if not match:
            match = [t for t in table_list or []
                     if tname.casefold() in (t.name.casefold(), t.display.casefold())]
        if len(match) != 1:
            raise FollowupError(f"Tabellen '{tname}' finns inte i arbetsboken '{pkg.label}'.")
        t = match[0]
        if _parse_range(new_ref) == t.ref:
            continue
        try:
            replaced[t.part] = _resize_table(pkg, t, new_ref, table_list or [])
        except _Malformed as exc:
            raise pkg._bad(f"tabellen '{t.display}' kan inte tolkas ({exc})") from None
        resized.append(t.display)

    # -- shared strings and styles --------------------------------------------------------------
    try:
        if sst.changed:
            if sst.exists:
                replaced[sst.part] = sst.render()
            else:
                if pkg.has(sst.new_part):
                    raise pkg._bad(f"delen '{sst.new_part}' finns men är inte kopplad till arbetsboken")
                added.append((sst.new_part, sst.render()))
                ct = pkg.read("[Content_Types].xml")
                replaced[pkg.actual("[Content_Types].xml")] = _add_override(ct, sst.new_part,
                                                                            CT_SHARED_STRINGS)
                folder, base = posixpath.split(wb.part)
                rels_part = posixpath.join(folder, "_rels", base + ".rels")
                target = posixpath.relpath(sst.new_part, folder or ".")
                replaced[pkg.actual(rels_part)] = _add_relationship(pkg.read(rels_part),
                                                                    RT_SHARED_STRINGS, target)
        if styles.changed:
            replaced[styles.part] = styles.render()
    except _Malformed as exc:
        raise pkg._bad(f"en del av arbetsboken kan inte tolkas ({exc})") from None

    # -- recalculation -----------------------------------------------------------------------------
    recalc = False
    if recalc_on_open is True:
        recalc = True
    elif recalc_on_open is None and (per_sheet or resized):
        for part, ed in editors.items():
            if ed.formula_count(replaced.get(part, ed.data)) > ed.written_formula_cells:
                recalc = True
                break
        if not recalc:
            for part in wb.worksheet_parts():
                if part not in editors and _has_formula_stream(pkg, part):
                    recalc = True
                    break
    if recalc:
        try:
            new_wb = _set_full_calc(wb.data)
        except _Malformed as exc:
            raise pkg._bad(f"arbetsboksdelen kan inte tolkas ({exc})") from None
        if new_wb is not None:
            replaced[wb.part] = new_wb

    # -- verify every changed part before anything is written ---------------------------------
    for part, ed in editors.items():
        try:
            _verify_sheet(ed, replaced.get(part, ed.data))
        except _Malformed as exc:
            raise pkg._bad(f"kontrollen av bladet '{ed.name}' efter ändringen misslyckades ({exc})") \
                from None
    for part, data in list(replaced.items()) + added:
        if part in editors:
            continue
        try:
            _etree(data, part)
        except _Malformed as exc:
            raise pkg._bad(f"kontrollen av delen '{part}' efter ändringen misslyckades ({exc})") \
                from None

    report = PatchReport(
        src=src,
        dst=dst,
        changed_parts=tuple(e.name for e in pkg.entries if e.name in replaced),
        added_parts=tuple(n for n, _ in added),
        raw_copied_parts=sum(1 for e in pkg.entries if e.name not in replaced),
        cells_written=sum(len(w) for _, _, w in per_sheet),
        cells_created=sum(ed.cells_created for ed in editors.values()),
        rows_created=sum(ed.rows_created for ed in editors.values()),
        strings_added=len(sst.new_items),
        styles_added=len(styles.new_xfs),
        tables_resized=tuple(resized),
        recalc_on_open=_full_calc_set(replaced.get(wb.part, wb.data)),
        written=written,
    )
    for part in replaced:
        if pkg.info(part).compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise pkg._bad(f"delen '{part}' är komprimerad med en metod som skrivaren inte stöder")
    method = pkg.info(wb.part).compress_type
    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        method = zipfile.ZIP_DEFLATED
    return _Plan(pkg, method, replaced, added, report)


def _full_calc_set(data: bytes) -> bool:
    m = re.search(rb"<(?:[\w.\-]+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](1|true)[\"']", data)
    return m is not None
