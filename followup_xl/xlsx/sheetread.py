"""Reading the cell values of one worksheet, streamed: only the rectangles asked for.

The part is parsed with lxml as a stream, one ``<row>`` at a time, and each row is
dropped once read, so memory follows the cells kept, not the sheet. A row outside every
rectangle costs only its parsing. For each rectangle the last row holding a cell is
noted (below it the rectangle has no cells at all), so a range declared down to row
1 048 576 costs what its data costs.

Values are what Excel shows: numbers exact (an ``int`` or a ``Decimal`` of the stored
text; a double's 17-digit form is read as the double's shortest form), dates for numbers
in a date format, shared and inline strings, booleans, and error values as their text
(``#REF!``). A number the file stores badly (``NaN``, ``1e``) or a bad ``t="d"`` date
comes back as its text, for the caller to report with the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from lxml import etree

from followup_xl.xlsx.cellref import column_letter, column_on_row, ref_text
from followup_xl.xlsx.cellvalue import iso_date, number_of, serial_date
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.xmlscan import Malformed, syntax_error
from followup_xl.xlsx.xmltext import xstring_decode

_M = f"{{{NS_MAIN}}}"
_ROW, _C, _V, _F, _IS, _T, _R = (_M + x for x in ("row", "c", "v", "f", "is", "t", "r"))

Value = None | str | int | Decimal | bool | object  # object: a datetime


@dataclass
class Rect:
    """Cells wanted: rows r1..r2, columns c1..c2; ``last`` is the last row with a cell
    (an element ``<c>``, with or without a value) inside the rectangle."""

    r1: int
    c1: int
    r2: int
    c2: int
    last: int = 0
    keep: bool = True  # False: only ``last`` is wanted, not the values


class SheetValues:
    """The values read from one sheet, and the cells that hold a formula.

    ``columns[col][row]`` is a cell's value (column and row numbers from 1), so a table's
    column is one dict and no A1 text is made per cell; :attr:`values` is the same by A1
    reference ("C6"), made when first asked for (once the sheet has been read).
    ``formulas`` holds the A1 references of the cells with a formula."""

    __slots__ = ("columns", "formulas", "_values")

    def __init__(self):
        self.columns: dict[int, dict[int, Value]] = {}
        self.formulas: set[str] = set()
        self._values: dict[str, Value] | None = None

    def column(self, col: int) -> dict[int, Value]:
        """One column's values by row (an empty dict, kept, when it has none yet)."""
        got = self.columns.get(col)
        if got is None:
            got = self.columns[col] = {}
        return got

    def get(self, row: int, col: int) -> Value:
        column = self.columns.get(col)
        return None if column is None else column.get(row)

    @property
    def values(self) -> dict[str, Value]:
        """Every value by A1 reference."""
        if self._values is None:
            self._values = {f"{column_letter(col)}{row}": value
                            for col, rows in self.columns.items() for row, value in rows.items()}
        return self._values


class BadCell(Exception):
    """A cell whose reference into another part does not exist (the reason, in Swedish)."""


def _number(text: str) -> int | Decimal | None:
    if not text.isascii():  # Excel writes ASCII; '²' and '٣' are digits to str.isdigit
        return None
    if len(text) < 16 and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit())):
        return int(text)  # the common case: a whole number of at most 15 digits
    d = number_of(text)
    if d is None:
        return None
    if len(d.as_tuple().digits) > 15:  # a double written with 17 digits: its shortest form
        d = Decimal(repr(float(d)))
    if d == d.to_integral_value():
        return int(d)
    return d.normalize()


def inline_text(is_el) -> str:
    t = is_el.find(_T)
    if t is not None:
        return xstring_decode(t.text or "")
    return xstring_decode("".join(t.text or "" for r in is_el.iterchildren(_R)
                                  for t in r.iterchildren(_T)))


def read_cells(stream: BinaryIO, rects: list[Rect], cells: CellReader) -> SheetValues:
    """The values of the cells inside ``rects``; raises Malformed or BadCell."""
    out = SheetValues()
    if not rects:
        return out
    top = max(r.r2 for r in rects)
    low = min(r.r1 for r in rects)
    last_row = 0
    try:
        context = etree.iterparse(stream, events=("end",), tag=_ROW, huge_tree=True,
                                  resolve_entities=False, no_network=True, load_dtd=False)
        for _, row in context:
            rtext = row.get("r")
            r = int(rtext) if rtext is not None else last_row + 1
            last_row = r
            if low <= r <= top:
                hits = [x for x in rects if x.r1 <= r <= x.r2]
                if hits:
                    _read_row(row, r, hits, out, cells)
            row.clear()
            parent = row.getparent()
            while row.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise Malformed(syntax_error(exc)) from None
    except ValueError:
        raise Malformed(f"ogiltigt radnummer efter rad {last_row}") from None
    return out


class CellReader:
    """Turns ``<c>`` elements into values (formats and strings looked up once each)."""

    def __init__(self, strings: list[str], is_date, style_count: int, date1904: bool):
        self.strings, self.is_date = strings, is_date
        self.style_count, self.date1904 = style_count, date1904
        self._date_style: dict[str, bool] = {"0": False}

    def date_style(self, s: str, r: int, col: int) -> bool:
        got = self._date_style.get(s)
        if got is None:
            try:
                si = int(s)
                if not 0 <= si < self.style_count:
                    raise ValueError
            except ValueError:
                raise BadCell(f"cellen {ref_text(r, col)} hänvisar till cellformat '{s}', som "
                              f"inte finns (formatmallarna har {self.style_count})") from None
            got = self._date_style[s] = self.is_date(si)
        return got

    def value(self, c, r: int, col: int) -> tuple[Value, bool]:
        """(value, has a formula) of one ``<c>`` element."""
        text, formula, inline = None, False, None
        for child in c:
            tag = child.tag
            if tag == _V:
                text = child.text or ""
            elif tag == _F:
                formula = True
            elif tag == _IS:
                inline = child
        t = c.get("t")
        if t == "inlineStr":
            return (inline_text(inline) if inline is not None else None), formula
        return self.value_of(t, c.get("s"), text, r, col), formula

    def value_of(self, t: str | None, s: str | None, text: str | None, r: int, col: int):
        """A cell's value from its ``t`` and ``s`` attributes and its ``<v>`` text."""
        if text is None or t == "inlineStr":
            return None  # (an inline string's text is in its <is>, never in a <v>)
        if t is None or t == "n":
            if not text.strip():
                return None  # <v></v>: no value (a formula not computed)
            number = _number(text)
            if number is None:
                return text  # NaN, INF, 1e ...: the caller reports it with the cell
            if s is not None and self.date_style(s, r, col):
                shown = serial_date(Decimal(number), self.date1904)
                return shown if shown is not None else number
            return number
        if t == "s":
            try:
                i = int(text)
                if i < 0:
                    raise IndexError
                return self.strings[i]
            except (ValueError, IndexError):
                raise BadCell(f"cellen {ref_text(r, col)} hänvisar till den delade strängen "
                              f"'{text}', men tabellen har {len(self.strings)}") from None
        if t in ("str", "e"):
            return xstring_decode(text)
        if t == "b":
            return text.strip() in ("1", "true")
        if t == "d":
            got = iso_date(text)
            return got if got is not None else text
        return text


def _read_row(row, r: int, hits: list[Rect], out: SheetValues, cells: CellReader) -> None:
    col = 0
    lo = min(x.c1 for x in hits)
    hi = max(x.c2 for x in hits)
    single = hits[0] if len(hits) == 1 else None
    rs = str(r)
    formulas, column = out.formulas, out.column
    for c in row.iterchildren(_C):
        ref = c.get("r")
        if ref is not None:
            found = column_on_row(ref, r, rs)
            if found is None:
                raise Malformed(f"cellreferensen '{ref}' är ogiltig på rad {r}")
            col, canonical = found
            key = ref if canonical else ref_text(r, col)
        else:
            col += 1
            key = ref_text(r, col)
        if not lo <= col <= hi:
            continue
        if single is None:
            inside = [x for x in hits if x.c1 <= col <= x.c2]
            if not inside:
                continue
            for x in inside:
                x.last = r if r > x.last else x.last
            if not any(x.keep for x in inside):
                continue
        else:
            if single.last < r:
                single.last = r
            if not single.keep:
                continue
        value, formula = cells.value(c, r, col)
        if formula:
            formulas.add(key)
        if value is not None:
            column(col)[r] = value
