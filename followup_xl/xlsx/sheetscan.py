"""Reading the cell values of one worksheet by scanning its bytes: the fast path.

Excel writes every cell the same way -- ``<c r="C6" s="3" t="s"><v>12</v></c>``, the
reference first, no prefix -- so the cells of such a sheet can be found with one regular
expression instead of one parser callback per element. The part is first checked to be
well-formed XML by expat (in C, no tree, no DTD), and the scan is used only when every
``<c`` of ``sheetData`` is a cell in that form and ``sheetData`` holds no comment, CDATA or
processing instruction; otherwise :func:`scan_cells` returns None and the caller streams
the part with lxml (:mod:`sheetread`). Values are decided by the same
:class:`~followup_xl.xlsx.sheetread.CellReader`.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from lxml import etree

from followup_xl.xlsx.cellref import column_index
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.sheetread import CellReader, Rect, SheetValues, inline_text
from followup_xl.xlsx.xmlscan import ATTR_RE, ATTRS, Malformed, parser, root_element
from followup_xl.xlsx.xmltext import xml_unescape

# r first, then s and t as Excel orders them (any other attributes after them)
_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]+)")?'
                      rb'(?: t="([A-Za-z]+)")?(' + ATTRS + rb')\s*(?:/>|>(.*?)</c\s*>)', re.S)
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
_V_RE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v\s*>|<v(?:\s[^>]*)?/>")
_F_RE = re.compile(rb"<f[\s/>]")
_MAIN = NS_MAIN.encode()


def well_formed(data: bytes) -> None:
    """Raise Malformed unless ``data`` is well-formed XML without a DOCTYPE."""
    p = expat.ParserCreate()

    def doctype(*_args) -> None:
        raise Malformed("DOCTYPE")

    p.StartDoctypeDeclHandler = doctype
    try:
        p.Parse(data, True)
    except expat.ExpatError as exc:
        raise Malformed(f"felaktig XML på rad {exc.lineno}") from None


def _cell_count(data: bytes, start: int, end: int) -> int:
    """How many ``<c`` start tags lie between the offsets (no allocation per cell)."""
    return sum(data.count(tag, start, end) for tag in _CELL_STARTS)


def _sheetdata(data: bytes) -> tuple[int, int] | None:
    """The inside of ``<sheetData>`` when the part is in Excel's plain form, else None."""
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
    for bad in (b"<!--", b"<![CDATA[", b"<?"):
        if data.find(bad, j, k) >= 0:
            return None
    return j, k


def scan_cells(data: bytes, rects: list[Rect], cells: CellReader) -> SheetValues | None:
    """The values of the cells inside ``rects``, or None when the sheet is not in the form
    the scan reads (the caller then parses it)."""
    well_formed(data)
    region = _sheetdata(data)
    if region is None:
        return None
    start, end = region
    expected = _cell_count(data, start, end)
    seen = 0
    out = SheetValues()
    top = max(x.r2 for x in rects)
    low = min(x.r1 for x in rects)
    single = rects[0] if len(rects) == 1 else None
    cols: dict[bytes, int] = {}
    values, formulas = out.values, out.formulas
    for m in _CELL_RE.finditer(data, start, end):
        seen += 1
        letters, digits, s_attr, t_attr, attrs, inner = m.groups()
        r = int(digits)
        if not low <= r <= top:
            continue
        col = cols.get(letters)
        if col is None:
            col = cols[letters] = column_index(letters.decode())
        if single is not None:
            if not (single.c1 <= col <= single.c2):
                continue
            if single.last < r:
                single.last = r
            if not single.keep:
                continue
        else:
            inside = [x for x in rects if x.r1 <= r <= x.r2 and x.c1 <= col <= x.c2]
            if not inside:
                continue
            for x in inside:
                x.last = r if r > x.last else x.last
            if not any(x.keep for x in inside):
                continue
        if not inner:
            continue  # <c .../>: a cell with no value (its presence counted above)
        attrs = attrs or b""
        if not attrs and inner[:3] == b"<v>" and inner[-4:] == b"</v>" and b"<" not in inner[3:-4]:
            raw = inner[3:-4]  # the common cell: one value, no formula
            text = raw.decode("utf-8")
            value = cells.value_of(t_attr.decode() if t_attr else None,
                                   s_attr.decode() if s_attr else None,
                                   xml_unescape(raw) if b"&" in raw else text, r, col)
            formula = False
        else:
            value, formula = _value(s_attr, t_attr, attrs, inner, r, col, cells)
        key = (letters + digits).decode()
        if formula:
            formulas.add(key)
        if value is not None:
            values[key] = value
    if seen != expected:
        return None  # a cell the pattern does not cover: parse instead
    return out


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
    formula = _F_RE.search(inner) is not None
    if t == "inlineStr":
        el = etree.fromstring(b'<c xmlns="' + _MAIN + b'">' + inner + b"</c>", parser())
        is_el = el.find(f"{{{NS_MAIN}}}is")
        return (inline_text(is_el) if is_el is not None else None), formula
    m = _V_RE.search(inner)
    if m is None:
        return None, formula
    raw = m.group(1) or b""
    text = xml_unescape(raw) if b"&" in raw else raw.decode("utf-8")
    return cells.value_of(t, s, text, r, col), formula


def cells_in_order(data: bytes):
    """(the number of ``<c`` tags, the cells one at a time) for a plain-form part, each
    cell as (row, column, s, t, other attributes, content); None when the part is not in
    that form. The caller compares the count with the cells it got."""
    region = _sheetdata(data)
    if region is None:
        return None
    start, end = region
    return _cell_count(data, start, end), _cells(data, start, end)


def _cells(data: bytes, start: int, end: int):
    cols: dict[bytes, int] = {}
    for m in _CELL_RE.finditer(data, start, end):
        letters, digits, s_attr, t_attr, rest, inner = m.groups()
        col = cols.get(letters)
        if col is None:
            col = cols[letters] = column_index(letters.decode())
        yield int(digits), col, s_attr or b"", t_attr or b"", rest or b"", inner or b""
