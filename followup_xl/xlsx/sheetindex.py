"""Where things lie in one worksheet part's bytes: rows, cells, and what constrains writes.

:class:`SheetIndex` finds, without building a tree, the top-level elements around
``<sheetData>`` (``dimension``, ``cols``, ``mergeCells``), the number and offset of every
``<row>`` start tag (one regular-expression pass), the ranges of array and data-table
formulas, and -- only for a row asked about -- its end and its ``<c>`` elements. Rows
that are not written are never scanned beyond their start tag. It refuses parts it cannot read safely (Strict, an unknown namespace,
comments or CDATA inside ``sheetData``, duplicate rows).
"""

from __future__ import annotations

import operator
import re
from itertools import islice

from followup_xl.xlsx.cellref import COLUMN_OF_BYTES, parse_range, parse_ref
from followup_xl.xlsx.partnames import NS_MAIN, NS_STRICT_MAIN
from followup_xl.xlsx.xmlscan import (ATTRS, Elem, Malformed, attr, attrs, children,
                                      iter_children, root_element)

_UNSET = object()
# The unprefixed r attribute in a row start tag's attribute text. Only a value in single
# quotes that itself contains ' r="..."' could fool it; the verification after the edit
# (which parses with lxml) would then refuse the write.
_R_ATTR_RE = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


class SheetIndex:
    """The located structure of one worksheet part (``data``, its bytes)."""

    def __init__(self, data: bytes):
        self.data = data
        root = self.root = root_element(data)
        a = attrs(data[root.start : root.stag_end])
        if not root.qname.endswith(b"worksheet") or root.local != b"worksheet":
            raise Malformed("rotelementet är inte ett kalkylblad")
        self.prefix = root.qname[: -len(b"worksheet")]
        ns = a.get(b"xmlns:" + self.prefix[:-1] if self.prefix else b"xmlns")
        if ns == NS_STRICT_MAIN:
            raise Malformed("Strikt Open XML stöds inte")
        if ns != NS_MAIN:
            raise Malformed("okänt namnområde")
        self.head, self.sheetdata = _locate_sheetdata(data, root, self.prefix)
        self.tail = children(data, self.sheetdata.end, root.inner_end)
        self.dimension = next((e for e in self.head if e.local == b"dimension"), None)
        self.col_styles = _column_styles(data, self.head)
        self.merged = _merged_ranges(data, self.tail)
        self._index_rows()
        self._index_arrays()

    # -- rows ----------------------------------------------------------------------------------
    def _index_rows(self) -> None:
        """Every row's number and start tag offsets, in one pass; a row's end and cells are
        found only when it is asked about (untouched rows are never scanned further)."""
        data, sd = self.data, self.sheetdata
        p = re.escape(self.prefix)
        # groups: r when it is the first attribute (as Excel writes it), the other
        # attributes, '/' of an empty row
        row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])(?: r=\"([0-9]+)\")?(" + ATTRS
                            + rb")\s*(/?)>")
        self._row_close_re = re.compile(rb"</" + p + rb"row\s*>")
        self._row_close = b"</" + self.prefix + b"row"
        # a whole cell: start tag (attributes), then '/>' or content up to its end tag
        # (cells do not nest, so the first end tag closes it)
        self._whole_cell_re = re.compile(
            rb"<" + p + rb"c(?=[\s/>])(?:\s+r=\"([A-Z]{1,3})([0-9]+)\")?(" + ATTRS
            + rb")\s*(?:(/)>|>(.*?)(</" + p + rb"c\s*>))", re.S)
        # a row in Excel's plain form, cell by cell (see plain_cells); groups: the whole
        # cell, its column letters, row digits, s and t (possessive: no step is ever taken
        # back here, so these match what the plain greedy form matches, faster)
        self._plain_cell_re = re.compile(
            rb'(<' + p + rb'c r="([A-Z]{1,3})([0-9]++)"(?: s="([0-9]++)")?+'
            rb'(?: t="([A-Za-z]++)")?+(?:/>|>(?:<' + p + rb'v>[^<]*+</' + p + rb'v>)?+</' + p
            + rb'c>))')
        self._row_at: dict[int, tuple[int, int, bool]] = {}  # r -> (start, stag_end, empty)
        self._rows: dict[int, Elem] = {}
        self._cells: dict[int, list[tuple[int, Elem]]] = {}
        self._plain: dict[int, dict[int, tuple[bytes, ...]] | None] = {}
        self._col_map: dict[int, dict[int, Elem]] = {}
        self.rows_without_refs: set[int] = set()  # rows (asked about) with a cell lacking r
        self.row_order: list[int] = []
        self.sorted = True
        self.rows_have_r = True
        last = 0
        search_r = _R_ATTR_RE.search
        row_at, order = self._row_at, self.row_order
        for m in row_re.finditer(data, sd.stag_end, sd.inner_end):
            first, rest, empty = m.groups()
            if first is not None:
                r = int(first)  # what the search below finds: the first r attribute
            elif (rm := search_r(rest)) is not None:
                try:
                    r = int(rm.group(1) or rm.group(2))
                except ValueError:
                    raise Malformed("ogiltigt radnummer") from None
            else:
                self.rows_have_r = False
                r = last + 1
            if r <= last:
                self.sorted = False
                if r in row_at:
                    raise Malformed(f"rad {r} förekommer två gånger")
            else:
                last = r
            row_at[r] = (m.start(), m.end(), bool(empty))
            order.append(r)

    def row(self, r: int) -> Elem | None:
        """Original row r with its end offsets (None when the sheet has no such row)."""
        el = self._rows.get(r)
        if el is None:
            at = self._row_at.get(r)
            if at is None:
                return None
            start, stag_end, empty = at
            el = Elem(self.prefix + b"row", start, stag_end)
            if empty:
                el.empty, el.end, el.inner_end = True, stag_end, stag_end
            else:
                # the first "</row" that ends a tag: usually "</row>" exactly
                close = self._row_close
                i = self.data.find(close, stag_end, self.sheetdata.inner_end)
                if i >= 0 and self.data[i + len(close) : i + len(close) + 1] == b">":
                    el.inner_end, el.end = i, i + len(close) + 1
                else:
                    cm = self._row_close_re.search(self.data, stag_end, self.sheetdata.inner_end)
                    if cm is None:
                        raise Malformed(f"rad {r} saknar sluttagg")
                    el.inner_end, el.end = cm.start(), cm.end()
            self._rows[r] = el
        return el

    def row_start(self, r: int) -> int:
        return self._row_at[r][0]

    def _index_arrays(self) -> None:
        """Array / data-table formula ranges: their non-master cells hold cached results."""
        data, sd = self.data, self.sheetdata
        p = re.escape(self.prefix)
        f_re = re.compile(rb"<" + p + rb"f\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?"
                          rb"\bt\s*=\s*[\"'](?:array|dataTable)[\"'][^>]*>")
        self.array_ranges: list[tuple[int, int, int, int]] = []
        for fm in f_re.finditer(data, sd.stag_end, sd.inner_end):
            a = attrs(fm.group(0))
            rng = parse_range(a.get(b"ref", ""))
            if rng:
                self.array_ranges.append(rng)
        self._f_count_re = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.has_cells = re.compile(rb"<" + p + rb"c(?=[\s/>])").search(
            data, sd.stag_end, sd.inner_end) is not None

    def row_cells(self, r: int) -> list[tuple[int, Elem]]:
        """(column, element) for each <c> of original row r, in document order (cached)."""
        got = self._cells.get(r)
        if got is not None:
            return got
        row_el = self.row(r)
        got = self._cells[r] = []
        if row_el is None or row_el.empty:
            return got
        data, rs = self.data, str(r).encode()
        last, cq = 0, self.prefix + b"c"
        for m in self._whole_cell_re.finditer(data, row_el.stag_end, row_el.inner_end):
            regs = m.regs  # 1-2: r="LETTERS DIGITS" first; 3: other attributes; 4: '/'
            if regs[1][0] >= 0 and data[regs[2][0] : regs[2][1]] == rs:
                col = COLUMN_OF_BYTES[data[regs[1][0] : regs[1][1]]]
            else:
                col = self._cell_col(m, r, last)
            start, end = regs[0]
            if regs[4][0] >= 0:
                got.append((col, Elem(cq, start, end, end, end, True)))
            else:
                got.append((col, Elem(cq, start, regs[5][0], end, regs[6][0], False)))
            last = col
        return got

    def plain_cells(self, r: int) -> dict[int, tuple[bytes, bytes, bytes, bytes, bytes]] | None:
        """{column: (the cell's bytes, its column letters, row digits, s, t)} of original
        row r, in document order
        (cached), when the row is in Excel's plain form: its content is nothing but cells
        ``<c r="C6" s="3" t="s">`` -- reference first, on this row, only ``s`` and ``t``
        after it in that order (empty when absent), at most a ``<v>`` inside -- in strictly
        increasing columns. None otherwise (:meth:`row_cells` then reads the row). A row
        that does not exist or is empty has no cells.

        The cells are the ones :meth:`row_cells` finds, with the same bytes: the pattern is
        its own with fewer choices, and the matches must cover the content exactly."""
        got = self._plain.get(r, _UNSET)
        if got is not _UNSET:
            return got
        row_el = self.row(r)
        if row_el is None or row_el.empty:
            got = self._plain[r] = {}
            return got
        got = self._plain[r] = _plain_row(self._plain_cell_re, self.data, row_el.stag_end,
                                          row_el.inner_end, r)
        return got

    def _cell_col(self, m: re.Match[bytes], r: int, last: int) -> int:
        """The column of a cell whose r attribute is not the usual first one."""
        rm = _R_ATTR_RE.search(self.data, m.start(0), m.end(3))
        if rm is None:
            self.rows_without_refs.add(r)
            return last + 1
        ref = (rm.group(1) if rm.group(1) is not None else rm.group(2)).decode("utf-8", "replace")
        rc = parse_ref(ref)
        if rc is None or rc[0] != r:
            raise Malformed(f"cellen '{ref}' ligger inte på rad {r}")
        return rc[1]

    def _by_col(self, r: int) -> dict[int, Elem]:
        got = self._col_map.get(r)
        if got is None:
            got = self._col_map[r] = dict(self.row_cells(r))
        return got

    def cell_style(self, r: int, c: int) -> bytes | None:
        """The s attribute of original cell (r, c), or None (also when there is no cell)."""
        plain = self.plain_cells(r)
        if plain is not None:
            cell = plain.get(c)
            return cell[3] or None if cell is not None else None
        el = self._by_col(r).get(c)
        s = None if el is None else attr(self.data[el.start : el.stag_end], b"s")
        return None if s is None else s.encode()

    def forget_before(self, r: int) -> None:
        """Drop what was cached for rows above ``r`` (memory follows the edit, not the sheet)."""
        for cache in (self._cells, self._col_map, self._rows, self._plain):
            while cache:  # rows are cached about in order: drop from the oldest
                first = next(iter(cache))
                if first >= r:
                    break
                del cache[first]

    def has_cell(self, r: int, c: int) -> bool:
        plain = self.plain_cells(r)
        return c in (plain if plain is not None else self._by_col(r))

    def arrays_on_row(self, r: int) -> bool:
        """Whether an array or data-table formula's range reaches row r."""
        return any(r1 <= r <= r2 for r1, _c1, r2, _c2 in self.array_ranges)

    def in_array(self, r: int, c: int) -> bool:
        if not self.array_ranges:
            return False
        for r1, c1, r2, c2 in self.array_ranges:
            if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1):
                return True
        return False

    def column_style(self, c: int) -> bytes | None:
        for lo, hi, style in self.col_styles:
            if lo <= c <= hi:
                return str(style).encode()
        return None

    def formula_count(self, new_data: bytes) -> int:
        sd_start = new_data.find(b"<" + self.prefix + b"sheetData")
        return len(self._f_count_re.findall(new_data, sd_start if sd_start >= 0 else 0))


def _plain_row(cell_re: re.Pattern[bytes], data: bytes, start: int, end: int, r: int
               ) -> dict[int, tuple[bytes, ...]] | None:
    """:meth:`SheetIndex.plain_cells` of the row content ``data[start:end]`` (row r)."""
    found = cell_re.findall(data, start, end)
    if not found:
        return None if start != end else {}  # no cell (but something else?)
    wholes, letters, digits, _s, _t = zip(*found)
    if sum(map(len, wholes)) != end - start:
        return None  # something else in the row (a cell in another form, an extLst ...)
    if digits.count(str(r).encode()) != len(digits):
        return None  # a cell that names another row
    cols = list(map(COLUMN_OF_BYTES.__getitem__, letters))
    if not all(map(operator.lt, cols, islice(cols, 1, None))):
        return None  # columns not strictly increasing
    return dict(zip(cols, found))


def _locate_sheetdata(data: bytes, root: Elem, prefix: bytes) -> tuple[list[Elem], Elem]:
    """The worksheet's top-level elements before ``sheetData``, and ``sheetData`` with its
    end (found by its end tag, without tokenising its rows); refused when it holds
    comments, CDATA or processing instructions."""
    head: list[Elem] = []
    sd_qname = prefix + b"sheetData"
    sd = None
    for el in iter_children(data, root.stag_end, root.inner_end):
        if el.qname == sd_qname:
            sd = el
            break
        head.append(el)
    if sd is None:
        raise Malformed("bladet saknar sheetData")
    if not sd.empty:
        close = re.compile(rb"</" + re.escape(sd_qname) + rb"\s*>")
        cm = close.search(data, sd.stag_end, root.inner_end)
        if cm is None:
            raise Malformed("sheetData saknar sluttagg")
        sd.inner_end, sd.end = cm.start(), cm.end()
    # each of them has a '!' or '?', which one memchr finds (or not) quickly
    if data.find(b"!", sd.stag_end, sd.inner_end) >= 0 or \
            data.find(b"?", sd.stag_end, sd.inner_end) >= 0:
        for bad in (b"<!--", b"<![CDATA[", b"<?"):
            if data.find(bad, sd.stag_end, sd.inner_end) >= 0:
                raise Malformed("sheetData innehåller kommentarer, CDATA eller instruktioner")
    return head, sd


def _column_styles(data: bytes, head: list[Elem]) -> list[tuple[int, int, int]]:
    """(min, max, style) of each ``<col>`` with a style."""
    out = []
    for e in head:
        if e.local == b"cols":
            for col in children(data, e.stag_end, e.inner_end):
                a = attrs(data[col.start : col.stag_end])
                try:
                    if b"style" in a:
                        out.append((int(a[b"min"]), int(a[b"max"]), int(a[b"style"])))
                except (KeyError, ValueError):
                    pass
    return out


def _merged_ranges(data: bytes, tail: list[Elem]) -> list[tuple[int, int, int, int]]:
    """The ranges of ``<mergeCells>``."""
    out = []
    for e in tail:
        if e.local == b"mergeCells":
            for mc in children(data, e.stag_end, e.inner_end):
                rng = parse_range(attrs(data[mc.start : mc.stag_end]).get(b"ref", ""))
                if rng:
                    out.append(rng)
    return out
