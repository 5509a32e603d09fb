"""Reading the cell values of one worksheet by scanning its bytes: the fast path.

Excel writes every cell the same way -- ``<c r="C6" s="3" t="s"><v>12</v></c>``, the
reference first, no prefix -- so the cells of such a sheet can be found with one regular
expression instead of one parser callback per element. The part is first checked to be
well-formed XML by expat (in C, no tree, no DTD), and the scan is used only when every
``<c`` of ``sheetData`` is a cell in that form and ``sheetData`` holds no comment, CDATA or
processing instruction; otherwise :func:`scan_cells` returns None and the caller streams
the part with lxml (:mod:`sheetread`).

The work per cell is kept small, since a kommun's Drift sheet has tens of thousands: the
matches are taken a piece of the sheet at a time (each piece ends after a ``</row>``;
were a cell ever cut, the count of ``<c`` tags would disagree and the stream would read
the sheet), a cell is placed in its rectangles by one lookup of its column letters in
its band of rows (:class:`_Places`), and the two common cells -- a whole number, a
shared string, with nothing else in the tag -- are decided here as the
:class:`~followup_xl.xlsx.sheetread.CellReader` would; every other cell is decided by it.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from xml.parsers import expat

from lxml import etree

from followup_xl.xlsx.cellref import column_index
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.sheetread import CellReader, Rect, SheetValues, inline_text
from followup_xl.xlsx.xmlscan import ATTR_RE, ATTRS, Malformed, parser, root_element
from followup_xl.xlsx.xmltext import xml_unescape

# r first, then s and t as Excel orders them (any other attributes after them); a cell
# holding just ``<v>text</v>`` (no entity) apart
_SCAN_RE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]+)")?'
                      rb'(?: t="([A-Za-z]+)")?(' + ATTRS + rb')\s*'
                      rb'(?:/>|><v>([^<&]+)</v></c>|>(.*?)</c\s*>)', re.S)
_PIECE = 1 << 20  # bytes of sheetData matched at a time
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
V_RE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v\s*>|<v(?:\s[^>]*)?/>")  # a cell's value
F_TAG = re.compile(rb"<f[\s/>]")  # a cell's formula
_MAIN = NS_MAIN.encode()


def well_formed(data: bytes) -> bool:
    """Raise Malformed unless ``data`` is well-formed XML without a DOCTYPE; True when it
    holds a comment, CDATA section or processing instruction."""
    p = expat.ParserCreate()
    others = []

    def doctype(*_args) -> None:
        raise Malformed("DOCTYPE")

    def other(*_args) -> None:
        others.append(True)

    p.StartDoctypeDeclHandler = doctype
    p.CommentHandler = p.StartCdataSectionHandler = p.ProcessingInstructionHandler = other
    try:
        p.Parse(data, True)
    except expat.ExpatError as exc:
        raise Malformed(f"felaktig XML på rad {exc.lineno}") from None
    return bool(others)


def cell_tags(data: bytes, start: int, end: int, found: int) -> int:
    """How many ``<c`` start tags lie between the offsets, to compare with the ``found``
    cells a pattern read there: every cell found is one of them and each is a ``"<c"``,
    so when those are as many, so are the tags (else they are counted exactly)."""
    n = data.count(b"<c", start, end)
    return n if n == found else sum(data.count(tag, start, end) for tag in _CELL_STARTS)


def row_pieces(data: bytes, start: int, end: int, size: int = _PIECE) -> list[tuple[int, int]]:
    """``[start, end)`` cut after a ``</row>`` every ``size`` bytes or so (no cell is cut:
    cells lie inside rows, and well-formed content holds no ``<``)."""
    pieces, pos = [], start
    while pos < end:
        cut = data.find(b"</row>", min(pos + size, end), end)
        cut = end if cut < 0 else cut + len(b"</row>")
        pieces.append((pos, cut))
        pos = cut
    return pieces or [(start, end)]


def plain_sheetdata(data: bytes, others: bool = True) -> tuple[int, int] | None:
    """The inside of ``<sheetData>`` when the part is in Excel's plain form, else None
    (``others``: whether the part may hold comments, CDATA or instructions at all; the
    lossless writer's check, :mod:`~followup_xl.xlsx.verify`, knows from expat)."""
    root = root_element(data)
    if root.qname != b"worksheet" or b'xmlns="' + _MAIN + b'"' not in data[root.start : root.stag_end]:
        return None
    i = data.find(b"<sheetData")
    if i < 0:
        return None
    j = data.find(b">", i) + 1
    if data[j - 2 : j] == b"/>":
        return j, j
    k = data.find(b"</sheetData>", j)
    if k < 0:
        return None
    if others:
        for bad in (b"<!--", b"<![CDATA[", b"<?"):
            if data.find(bad, j, k) >= 0:
                return None
    return j, k


def scan_cells(data: bytes, rects: list[Rect], cells: CellReader) -> SheetValues | None:
    """The values of the cells inside ``rects``, or None when the sheet is not in the form
    the scan reads (the caller then parses it)."""
    region = plain_sheetdata(data, well_formed(data))
    if region is None:
        return None
    start, end = region
    out = SheetValues()
    places = _Places(rects, out)
    seen = 0
    for a, b in row_pieces(data, start, end):  # the matches found at a time stay few
        found = _SCAN_RE.findall(data, a, b)
        seen += len(found)
        _scan_piece(found, places, cells, out.formulas)
    if cell_tags(data, start, end, seen) != seen:
        return None  # a cell the pattern does not cover: parse instead
    places.note_last_rows()
    return out


def _scan_piece(found: list[tuple[bytes, ...]], places: _Places, cells: CellReader,
                formulas: set[str]) -> None:
    """Keep the values of the matched cells that lie inside a rectangle. The common
    cells -- a whole number or a shared string, nothing else in the tag -- are decided
    here; every other cell by the CellReader (or :func:`_value`), as the stream does."""
    strings = cells.strings
    n_strings = len(strings)
    date_style = places.date_style
    row_digits, r, lo, hi, slots = None, 0, 1, 0, None
    for letters, digits, s_attr, t_attr, attrs, plain, inner in found:
        if digits != row_digits:
            row_digits, r = digits, int(digits)
            if not lo <= r <= hi:
                lo, hi, slots = places.band(r)
        slot = slots[letters]
        if slot is None:
            continue  # outside every rectangle
        if slot.last < r:
            slot.last = r
        column = slot.column
        if column is None:
            continue  # only how far the rectangle reaches is wanted
        if plain and not attrs:  # <v>text</v> and nothing else: no formula, no entity
            if not t_attr:
                if len(plain) < 16 and (plain.isdigit()
                                        or (plain[:1] == b"-" and plain[1:].isdigit())):
                    is_date = date_style.get(s_attr)
                    if is_date is None:
                        is_date = date_style[s_attr] = cells.date_style(s_attr.decode(), r,
                                                                        slot.col)
                    if not is_date:
                        column[r] = int(plain)  # a whole number, as _number reads it
                        continue
            elif t_attr == b"s" and plain.isdigit():
                i = int(plain)
                if i < n_strings:
                    column[r] = strings[i]
                    continue
            value = cells.value_of(t_attr.decode() if t_attr else None,
                                   s_attr.decode() if s_attr else None,
                                   plain.decode("utf-8"), r, slot.col)
        elif plain or inner:
            value, formula = _value(s_attr, t_attr, attrs, inner or b"<v>" + plain + b"</v>",
                                    r, slot.col, cells)
            if formula:
                formulas.add((letters + digits).decode())
        else:
            continue  # <c .../>: a cell with no value (its presence counted above)
        if value is not None:
            column[r] = value


class _Slot:
    """A column within a band of rows: its number, the dict its values go to (None when
    no rectangle there keeps values), the rectangles it lies in and the last row seen."""

    __slots__ = ("col", "column", "rects", "last")

    def __init__(self, col: int, column: dict | None, rects: list[Rect]):
        self.col, self.column, self.rects, self.last = col, column, rects, 0


class _Band(dict):
    """Column letters -> the _Slot (or None, outside every rectangle) for one band of rows
    that the same rectangles cover; a column is placed the first time it is met."""

    def __init__(self, rects: list[Rect], places: _Places):
        super().__init__()
        self.rects, self.places = rects, places

    def __missing__(self, letters: bytes) -> _Slot | None:
        col = column_index(letters.decode())
        inside = [x for x in self.rects if x.c1 <= col <= x.c2]
        slot = None
        if inside:
            keep = any(x.keep for x in inside)
            slot = _Slot(col, self.places.out.column(col) if keep else None, inside)
            self.places.slots.append(slot)
        self[letters] = slot
        return slot


class _Places:
    """Where a cell goes: the rectangles cut into bands of rows covered by the same
    rectangles, so that a cell is placed with one lookup of its column letters instead
    of a test per rectangle; at the end each rectangle's last row is noted."""

    def __init__(self, rects: list[Rect], out: SheetValues):
        self.rects, self.out = rects, out
        self.cuts = sorted({x.r1 for x in rects} | {x.r2 + 1 for x in rects})
        self.bands: dict[tuple[int, ...], _Band] = {}
        self.slots: list[_Slot] = []
        self.date_style: dict[bytes, bool] = {b"": False}  # by s attribute: a date format

    def band(self, r: int) -> tuple[int, int, _Band]:
        """The first and last row of the band holding row ``r``, and its slots."""
        i = bisect_right(self.cuts, r)
        lo = self.cuts[i - 1] if i else 1
        hi = self.cuts[i] - 1 if i < len(self.cuts) else sys.maxsize
        covering = tuple(k for k, x in enumerate(self.rects) if x.r1 <= r <= x.r2)
        band = self.bands.get(covering)
        if band is None:
            band = self.bands[covering] = _Band([self.rects[k] for k in covering], self)
        return lo, hi, band

    def note_last_rows(self) -> None:
        for slot in self.slots:
            for x in slot.rects:
                if x.last < slot.last:
                    x.last = slot.last


def _value(s_attr: bytes, t_attr: bytes, attrs: bytes, inner: bytes, r: int, col: int,
           cells: CellReader):
    t = t_attr.decode() if t_attr else None
    s = s_attr.decode() if s_attr else None
    for a in ATTR_RE.finditer(attrs):  # attributes in another order
        name = a.group(1)
        if name == b"t" or name == b"s":
            raw = a.group(2) if a.group(2) is not None else a.group(3)
            text = xml_unescape(raw)
            if name == b"t":
                t = text
            else:
                s = text
    formula = F_TAG.search(inner) is not None
    if t == "inlineStr":
        el = etree.fromstring(b'<c xmlns="' + _MAIN + b'">' + inner + b"</c>", parser())
        is_el = el.find(f"{{{NS_MAIN}}}is")
        return (inline_text(is_el) if is_el is not None else None), formula
    m = V_RE.search(inner)
    if m is None:
        return None, formula
    raw = m.group(1) or b""
    text = xml_unescape(raw) if b"&" in raw else raw.decode("utf-8")
    return cells.value_of(t, s, text, r, col), formula
