"""Checking an edited worksheet before anything is written.

What the editor wrote -- every rebuilt or new row, and a changed ``<dimension>`` -- is
read back inside the sheet's own root and ``sheetData`` start tags (so namespace prefixes
resolve as in the part): rows in order, in every written row the cells in order, each
written cell present once with the intended ``t``, ``s``, value and formula, and no stale
inline string. Rows the editor did not touch keep their bytes and are not parsed again, so
the check costs what the edit costs.

Written rows in Excel's plain form (no prefix, every cell ``<c r="..."`` with ``s`` and
``t`` in Excel's order) are checked well-formed by expat and then scanned with one regular
expression (this module's own, independent of the editor's); anything else is streamed
with lxml. The scan reads about a megabyte of whole rows at a time and first compares
every planned cell of those rows at once with what it found; only when something differs
are the cells gone through one by one, which names the fault.
"""

from __future__ import annotations

import io
import operator
import re
from bisect import bisect_left
from itertools import compress, islice, repeat

from lxml import etree

from followup_xl.xlsx.cellref import COLUMN_OF_BYTES, column_on_row, parse_ref, ref_text
from followup_xl.xlsx.cellwrite import CellPlan
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.sheetscan import (F_TAG, V_RE, cell_tags, plain_sheetdata, row_pieces,
                                        well_formed)
from followup_xl.xlsx.xmlscan import Malformed, syntax_error
from followup_xl.xlsx.xmltext import xml_unescape

_M = f"{{{NS_MAIN}}}"
_ROW, _C, _V, _F, _IS = _M + "row", _M + "c", _M + "v", _M + "f", _M + "is"
# A cell in Excel's plain form: r first, then s and t as Excel orders them (any other
# attributes after them); groups: letters, digits, s, t, other attributes, content (up to
# the first end tag). Written with possessive quantifiers -- no step ever needs to be
# taken back here -- it matches what the plain greedy/lazy form matches, faster
# (tests/test_writer_paths.py compares the two).
_ATTRS_POSSESSIVE = rb"(?:\s++[^\s=/>\"']++\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'))*+"
_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]++)")?+'
                      rb'(?: t="([A-Za-z]++)")?+(' + _ATTRS_POSSESSIVE + rb')\s*+'
                      rb'(?:/>|>([^<]*+(?:<(?!/c\s*>)[^<]*+)*+)</c\s*>)')
_T_OF, _V_OF, _S_OF = (operator.attrgetter(a) for a in ("t", "v", "s"))
_FORMULA_OF = operator.attrgetter("formula")
_ROW_OF, _COL_OF = operator.attrgetter("row"), operator.attrgetter("col")
_S_FOUND, _T_FOUND, _REST, _INNER = (operator.itemgetter(i) for i in (2, 3, 4, 5))
_LETTERS, _DIGITS = operator.itemgetter(0), operator.itemgetter(1)


_PIECE = 1 << 20  # bytes of written rows scanned at a time


def written_part(root_stag: bytes, sheetdata_stag: bytes, prefix: bytes,
                 fragments: list[bytes], dimension_tag: bytes | None) -> bytes:
    """A small worksheet document holding only what the editor wrote."""
    root_name = root_stag[1:].split(None, 1)[0].rstrip(b">/")
    if root_stag.endswith(b"/>"):
        root_stag = root_stag[:-2] + b">"
    if sheetdata_stag.endswith(b"/>"):
        sheetdata_stag = sheetdata_stag[:-2].rstrip() + b">"
    return b"".join([root_stag, dimension_tag or b"", sheetdata_stag, *fragments,
                     b"</" + prefix + b"sheetData></" + root_name + b">"])


def verify_sheet(plans: list[CellPlan], rows_sorted: bool, new_data: bytes) -> None:
    """Raise Malformed unless ``new_data`` (the written rows, see :func:`written_part`)
    holds every planned cell as planned: once, with its value, type, style and formula,
    and -- where the rows are sorted -- between a smaller and a larger column."""
    if _verify_scanned(plans, rows_sorted, new_data):
        return
    _verify_parsed(plans, rows_sorted, new_data)


# -- the scan (Excel's plain form) -----------------------------------------------------------
def _verify_scanned(plans: list[CellPlan], rows_sorted: bool, data: bytes) -> bool:
    """The check by scanning; False when the rows are not in the form the scan reads.

    Sorted rows are checked a piece (about a megabyte of whole rows) at a time against
    the plans of the piece's rows, so that memory follows the piece, not the sheet."""
    region = plain_sheetdata(data, well_formed(data))
    if region is None:
        return False
    start, end = region
    pieces = row_pieces(data, start, end, _PIECE) if rows_sorted else [(start, end)]
    if len(pieces) == 1:
        found, expected = _scan(data, start, end)
        if _all_as_planned(plans, rows_sorted, found, expected):
            return True
    elif _pieces_as_planned(plans, data, pieces):
        return True
    # something differs: cell by cell, in document order, naming the first fault
    return _verify_in_order(plans, rows_sorted, (_scan(data, a, b) for a, b in pieces))


def _scan(data: bytes, start: int, end: int) -> tuple[list[tuple], int]:
    """The plain cells between the offsets, and the number of ``<c`` start tags there."""
    found = _CELL_RE.findall(data, start, end)
    return found, cell_tags(data, start, end, len(found))


def _pieces_as_planned(plans: list[CellPlan], data: bytes,
                       pieces: list[tuple[int, int]]) -> bool:
    """:func:`_all_as_planned` a piece at a time (sorted rows): each piece against the
    plans of its rows -- from its first cell's row up to the next piece's first cell's
    row -- and the cells in order across the borders. False: let the cell-by-cell check
    decide. At most two pieces' cells are held at once."""
    by_row = sorted(plans, key=_ROW_OF)
    rows = list(map(_ROW_OF, by_row))
    lo, last = 0, -1
    waiting = None  # the previous piece's (cells, tags), until this piece's first row
    for a, b in pieces:
        found, expected = _scan(data, a, b)
        if not found:
            if expected:
                return False  # tags the scan does not read
            continue  # no cells: what is planned in its rows is missed by the one before
        first_row = int(found[0][1])
        if (first_row << 15 | COLUMN_OF_BYTES[found[0][0]]) <= last:
            return False  # out of order across the border
        last = int(found[-1][1]) << 15 | COLUMN_OF_BYTES[found[-1][0]]
        if waiting is not None:
            hi = bisect_left(rows, first_row)
            if not _all_as_planned(by_row[lo:hi], True, *waiting):
                return False
            lo = hi
        waiting = found, expected
    if waiting is None:
        return not plans
    return _all_as_planned(by_row[lo:], True, *waiting)


def _all_as_planned(plans: list[CellPlan], rows_sorted: bool, found: list[tuple],
                    expected: int) -> bool:
    """True when the scan read every cell (``expected`` of them), they are in order (if
    ``rows_sorted``), no cell occurs twice, and every planned cell is a plain cell with
    exactly the planned ``s``, ``t`` and ``<v>`` (or no content for no value) and no
    formula. Then :func:`_verify_in_order` would pass too; False means: let it decide
    (a formula cell, for one, is always left to it). Each step is one operation over
    all cells, so the common case costs little per cell."""
    if len(found) != expected:
        return False
    # (row, column) as one number, row * 2**15 + column (three letters stay below 2**15)
    keys = list(map(operator.or_, map(operator.lshift, map(int, map(_DIGITS, found)), repeat(15)),
                    map(COLUMN_OF_BYTES.__getitem__, map(_LETTERS, found))))
    if rows_sorted:
        if not all(map(operator.lt, keys, islice(keys, 1, None))):
            return False  # (strictly increasing: no cell twice either)
    elif len(set(keys)) != len(keys):
        return False  # a cell twice
    if plans and max(map(_COL_OF, plans)) >= 1 << 15:
        return False  # not a column of a sheet: let the cell-by-cell check name it missing
    want = dict(zip(map(operator.or_, map(operator.lshift, map(_ROW_OF, plans), repeat(15)),
                        map(_COL_OF, plans)), plans))
    hits = list(map(want.get, keys))  # each cell's plan, or None
    if len(hits) - hits.count(None) != len(want):
        return False  # a planned cell is missing
    planned = list(filter(None, hits))  # in document order, as the cells they plan
    p_t, p_v, p_s = (list(map(g, planned)) for g in (_T_OF, _V_OF, _S_OF))
    if (list(map(_FORMULA_OF, planned)).count(None) != len(planned)
            or b"" in p_t or b"" in p_s or b"<" in b"".join(filter(None, p_v))):
        return False  # a formula cell, an empty attribute, a value the check reads otherwise
    # each planned cell's s, t, other attributes and content as planned: plain attributes,
    # at most a <v>; the contents compared joined (no content of well-formed XML holds a
    # NUL, so equal joins are equal contents)
    cells = list(compress(found, hits))
    if (any(map(_REST, cells)) or list(map(_S_FOUND, cells)) != [s or b"" for s in p_s]
            or list(map(_T_FOUND, cells)) != [t or b"" for t in p_t]):
        return False
    if not p_v:
        return True
    if None in p_v:
        want_inner = b"\0".join([b"" if v is None else b"<v>" + v + b"</v>" for v in p_v])
    else:
        want_inner = b"<v>" + b"</v>\0<v>".join(p_v) + b"</v>"
    return b"\0".join(map(_INNER, cells)) == want_inner


def _verify_in_order(plans: list[CellPlan], rows_sorted: bool, scans) -> bool:
    """Cell by cell, in document order, over ``scans`` (each piece's cells and ``<c``
    tags, see :func:`_scan`): raise Malformed naming the first fault; False when the cells
    are not in the form the scan reads (lxml then checks the sheet)."""
    want = {(p.row, p.col): p for p in plans}
    seen: set[tuple[int, int]] = set()
    last = (0, 0)
    all_read = True
    for found, expected in scans:
        all_read = all_read and len(found) == expected
        rest_of = _check_in_order(want, seen, last, rows_sorted, found)
        if rest_of is None:
            return False
        last = rest_of
    if not all_read:
        return False  # a cell the scan does not read: let lxml check this sheet
    missing = set(want) - seen
    if missing:
        raise Malformed("celler saknas efter skrivningen: "
                        + ", ".join(ref_text(*x) for x in sorted(missing)))
    return True


def _check_in_order(want: dict, seen: set, last: tuple[int, int], rows_sorted: bool,
                    found: list[tuple]) -> tuple[int, int] | None:
    """One piece of :func:`_verify_in_order`: the last cell's (row, column), or None
    when a cell is not in the form the scan reads."""
    for letters, digits, s_attr, t_attr, rest, inner in found:
        here = (int(digits), COLUMN_OF_BYTES[letters])
        if rows_sorted and here <= last:
            raise Malformed(f"cellerna är inte sorterade vid {ref_text(*here)}")
        last = here
        p = want.get(here)
        if p is None:
            continue
        ref = ref_text(*here)
        if here in seen:
            raise Malformed(f"cellen {ref} förekommer två gånger")
        seen.add(here)
        if rest.strip():
            return None  # attributes in another order: let lxml check this sheet
        if (t_attr or None) != p.t or (s_attr or None) != p.s:
            raise Malformed(f"cellen {ref} fick fel typ eller format")
        v = V_RE.search(inner) if inner else None
        vtext = None if v is None else (v.group(1) or b"").decode("utf-8")
        if vtext is not None and "&" in vtext:
            vtext = xml_unescape(vtext.encode())
        if vtext != _planned_text(p):
            raise Malformed(f"cellen {ref} fick fel värde")
        if (F_TAG.search(inner) is not None) != (p.formula is not None):
            raise Malformed(f"formeln i cellen {ref} ändrades")
        if b"<is" in inner:
            raise Malformed(f"cellen {ref} har kvar en gammal text")
    return last


def _planned_text(p: CellPlan) -> str | None:
    """The planned value as text (XML references resolved)."""
    if p.v is None:
        return None
    return xml_unescape(p.v) if b"&" in p.v else p.v.decode("utf-8")


# -- the parse (any other form) --------------------------------------------------------------
def _verify_parsed(plans: list[CellPlan], rows_sorted: bool, new_data: bytes) -> None:
    want = {ref_text(p.row, p.col): p for p in plans}
    seen: set[str] = set()
    last_row = 0
    try:
        for _, row in etree.iterparse(io.BytesIO(new_data), events=("end",), tag=_ROW,
                                      huge_tree=True, resolve_entities=False, no_network=True,
                                      load_dtd=False):
            r = int(row.get("r", last_row + 1))
            if rows_sorted and r <= last_row:
                raise Malformed(f"raderna är inte sorterade vid rad {r}")
            last_row = r
            for c in row.iterchildren(_C):
                ref = c.get("r")
                p = want.get(ref) if ref is not None else _unreferenced(row, c, r, want)
                if p is None:
                    continue
                if ref in seen or p.row != r:
                    raise Malformed(f"cellen {ref} förekommer två gånger eller på fel rad")
                seen.add(ref)
                _check_cell(c, p, ref)
                if rows_sorted:
                    _check_neighbours(c, r, p.col, ref)
            row.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise Malformed(syntax_error(exc)) from None
    except ValueError as exc:
        raise Malformed("ogiltigt rad- eller cellnummer") from exc
    missing = set(want) - seen
    if missing:
        raise Malformed("celler saknas efter skrivningen: " + ", ".join(sorted(missing)))


def _col(c, r: int) -> int | None:
    ref = c.get("r")
    if ref is None:
        return None
    found = column_on_row(ref, r, str(r))
    return None if found is None else found[0]


def _unreferenced(row, c, r: int, want: dict) -> CellPlan | None:
    """A cell without r: its column counts from the previous cell (only in rows the writer
    did not add cells to)."""
    col = 0
    for other in row.iterchildren(_C):
        ref = other.get("r")
        rc = parse_ref(ref) if ref is not None else None
        col = rc[1] if rc else col + 1
        if other is c:
            return want.get(ref_text(r, col))
    return None  # pragma: no cover


def _check_neighbours(c, r: int, col: int, ref: str) -> None:
    prev, nxt = c.getprevious(), c.getnext()
    if prev is not None and prev.tag == _C:
        pc = _col(prev, r)
        if pc is None or pc >= col:
            raise Malformed(f"cellerna är inte sorterade vid {ref}")
    if nxt is not None and nxt.tag == _C:
        nc = _col(nxt, r)
        if nc is None or nc <= col:
            raise Malformed(f"cellerna är inte sorterade vid {ref}")


def _check_cell(c, p: CellPlan, ref: str) -> None:
    vtext, formula, inline = None, False, False
    for child in c:
        if child.tag == _V:
            vtext = child.text or ""
        elif child.tag == _F:
            formula = True
        elif child.tag == _IS:
            inline = True
    if c.get("t") != _text(p.t) or c.get("s") != _text(p.s):
        raise Malformed(f"cellen {ref} fick fel typ eller format")
    if vtext != _planned_text(p):
        raise Malformed(f"cellen {ref} fick fel värde")
    if formula != (p.formula is not None):
        raise Malformed(f"formeln i cellen {ref} ändrades")
    if inline:
        raise Malformed(f"cellen {ref} har kvar en gammal text")


def _text(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8")
