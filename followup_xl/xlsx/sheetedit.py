"""Editing one worksheet part by splicing: only the rows and cells written change.

:class:`SheetEditor` groups the writes by row; an existing row is rebuilt from its own
bytes with only the written cells replaced (new cells in column order, ``spans`` widened
when needed), a new row is inserted before the first row with a larger number, and
``<dimension>`` grows to cover new cells. A new cell takes the style of the cell above it
(after this edit's own writes), else the row's, else the column's -- never a table
header's.
"""

from __future__ import annotations

import bisect
import operator

from followup_xl.errors import FollowupError
from followup_xl.xlsx.cellref import column_letter, parse_range, range_text, ref_text
from followup_xl.xlsx.cellwrite import CellRenderer, Write
from followup_xl.xlsx.sharedstrings import SharedStrings
from followup_xl.xlsx.sheetindex import SheetIndex
from followup_xl.xlsx.styles import Styles
from followup_xl.xlsx.xmlscan import Elem, Malformed, attr, attrs, open_tag, set_attrs, splice


_OFFSETS = operator.itemgetter(0, 1)  # of a splice: where it starts and ends


class SheetEditor:
    """Applies cell writes to one worksheet part."""

    def __init__(self, label: str, sheet_name: str, part: str, data: bytes, date1904: bool,
                 sst: SharedStrings, styles: Styles):
        self.name, self.part, self.data = sheet_name, part, data
        self.where = f"bladet '{sheet_name}' i arbetsboken '{label}'"
        self.header_cells: set[tuple[int, int]] = set()  # table headers lend no style
        self.rows_created = 0
        self.fragments: list[bytes] = []  # the written rows' new bytes, in document order
        self.appended: list[bytes] = []  # new rows for an empty <sheetData/>
        self.dimension_tag: bytes | None = None
        self._letters: dict[int, bytes] = {}  # column -> its letters
        try:
            self.index = SheetIndex(data)
        except Malformed as exc:
            raise self._refuse(f"bladets XML kan inte tolkas säkert ({exc})") from None
        self.prefix = self.index.prefix
        self.cells = CellRenderer(self.where, self.prefix, date1904, sst, styles)

    def _refuse(self, why: str) -> FollowupError:
        return FollowupError(f"Kan inte skriva på {self.where}: {why}. Inget har ändrats.")

    @property
    def plans(self):
        return self.cells.plans

    def apply(self, writes: list[Write]) -> bytes:
        """The part's new bytes with ``writes`` applied (the same bytes when nothing changes)."""
        try:
            return self._apply(writes)
        except Malformed as exc:
            raise self._refuse(f"bladets XML kan inte tolkas säkert ({exc})") from None

    def _check_targets(self, writes: list[Write]) -> None:
        if not self.index.merged:
            return
        for w in writes:
            if w.value is None:
                continue  # clearing hides nothing
            for (r1, c1, r2, c2) in self.index.merged:
                if r1 <= w.row <= r2 and c1 <= w.col <= c2 and (w.row, w.col) != (r1, c1):
                    raise FollowupError(
                        f"Cellen {w.ref} på {self.where} ligger i det sammanfogade området "
                        f"{range_text(r1, c1, r2, c2)} men är inte dess övre vänstra cell "
                        f"({ref_text(r1, c1)}); ett värde där skulle inte synas. Inget har ändrats.")

    def _apply(self, writes: list[Write]) -> bytes:
        idx, data = self.index, self.data
        self._check_targets(writes)
        by_row: dict[int, dict[int, Write]] = {}
        for w in writes:
            row = by_row.get(w.row)
            if row is None:
                row = by_row[w.row] = {}
            row[w.col] = w
        clearing = {w.row for w in writes if w.value is None}  # rows with a None to filter
        # the s of each cell this edit wrote, by row (only the row above is ever looked at)
        final_styles: dict[int, dict[int, bytes | None]] = {}
        splices: list[tuple[int, int, bytes]] = []
        new_rows: list[tuple[int, bytes]] = []
        effective: list[Write] = []  # the writes that change something
        for r in sorted(by_row):
            targets = by_row[r]
            row_el = idx.row(r)
            if r in clearing:
                # clearing a cell that does not exist is nothing to do (no empty cell is made)
                targets = {c: w for c, w in targets.items()
                           if w.value is not None or (row_el is not None and idx.has_cell(r, c))}
                if not targets:
                    continue
            effective += targets.values()
            while final_styles and next(iter(final_styles)) < r - 1:
                del final_styles[next(iter(final_styles))]
            final_styles.setdefault(r, {})
            if row_el is None:
                if not idx.rows_have_r or not idx.sorted:
                    raise self._refuse(f"rad {r} måste skapas, men bladets rader saknar "
                                       "radnummer eller är inte sorterade")
                cells = b"".join(self._new_cell(r, c, targets[c], final_styles, None)
                                 for c in sorted(targets))
                new_rows.append((r, b"<" + self.prefix + b'row r="' + str(r).encode() + b'">'
                                 + cells + b"</" + self.prefix + b"row>"))
                self.rows_created += 1
                continue
            cells = None if row_el.empty else idx.plain_cells(r)
            if cells is None:
                row_bytes = self._render_any_row(r, row_el, targets, final_styles)
            else:
                row_bytes = self._render_plain_row(r, row_el, cells, targets, final_styles)
            splices.append((row_el.start, row_el.end, row_bytes))
            if len(splices) % 64 == 0:
                # rows are visited in order and only the one above is looked at again: what
                # is cached for the rows before it goes, now and then (memory follows the edit)
                idx.forget_before(r - 1)
        if not effective:
            return data
        self._place_new_rows(new_rows, splices)
        # every written row, in document order: what the verification parses
        self.fragments = [b for _, _, b in sorted(splices, key=_OFFSETS)]
        dim_splice = dimension_splice(idx, data, effective)
        if dim_splice:
            splices.append(dim_splice)
            self.dimension_tag = dim_splice[2]
        if self.appended:  # <sheetData/> is opened
            sd = self.index.sheetdata
            stag = self.data[sd.start : sd.stag_end]
            splices.append((sd.start, sd.end, open_tag(stag) + b"".join(self.appended)
                            + b"</" + self.prefix + b"sheetData>"))
            self.fragments += self.appended
        return splice(data, splices)

    def _place_new_rows(self, new_rows: list[tuple[int, bytes]],
                        splices: list[tuple[int, int, bytes]]) -> None:
        """New rows go before the first existing row with a larger number."""
        idx = self.index
        order = idx.row_order  # sorted whenever rows are created (checked by the caller)
        sd = idx.sheetdata
        appended = self.appended
        for r, row_bytes in new_rows:
            i = bisect.bisect_left(order, r)
            if i < len(order):
                pos = idx.row_start(order[i])
                splices.append((pos, pos, row_bytes))
            elif not sd.empty:
                splices.append((sd.inner_end, sd.inner_end, row_bytes))
            else:
                appended.append(row_bytes)

    def _style_for_new(self, r: int, c: int, above: dict | None,
                       row_s: bytes | None) -> bytes | None:
        """The s of a new cell: the cell above's (``above``: this edit's writes into the
        row above), else the row's (``row_s``), else the column's."""
        if (r - 1, c) not in self.header_cells:  # a table header's style stays its own
            if above is not None and c in above:
                return above[c]
            if self.index.has_cell(r - 1, c):
                return self.index.cell_style(r - 1, c)
        if row_s is not None:
            return row_s
        return self.index.column_style(c)

    def _new_cell(self, r: int, c: int, w: Write, final_styles: dict,
                  row_s: bytes | None) -> bytes:
        style = self._style_for_new(r, c, final_styles.get(r - 1), row_s)
        cell, final_styles[r][c] = self.cells.new_cell(w, self._ref(r, c), style,
                                                       self.index.in_array(r, c))
        return cell

    def _ref(self, r: int, c: int) -> bytes:
        letters = self._letters.get(c)
        if letters is None:
            letters = self._letters[c] = column_letter(c).encode()
        return letters + str(r).encode()

    def _row_style(self, row_stag: bytes) -> bytes | None:
        """The row's s when it has customFormat="1" (new cells then take it)."""
        if attr(row_stag, b"customFormat") in ("1", "true"):
            s = attr(row_stag, b"s")
            return None if s is None else s.encode()
        return None

    def _render_plain_row(self, r: int, row_el: Elem, cells: dict, targets: dict[int, Write],
                          final_styles: dict) -> bytes:
        """Row r in Excel's plain form (:meth:`SheetIndex.plain_cells`) rebuilt in one join:
        its start tag (``spans`` widened), its cells in column order -- untouched ones as
        they are, written ones rendered, new ones inserted -- and its end tag. The same
        bytes, and the same order of rendering (written cells first, then new ones in
        column order), as :meth:`_render_any_row`."""
        data, renderer, idx = self.data, self.cells, self.index
        row_stag = data[row_el.start : row_el.stag_end]
        mine = final_styles[r]
        order = sorted(targets)
        missing = [c for c in order if c not in cells]
        row_s = self._row_style(row_stag) if missing and b"customFormat" in row_stag else None
        arrays = idx.arrays_on_row(r)  # (else no cell of the row is inside one)
        rendered: dict[int, bytes] = {}
        if len(missing) < len(order):
            for c in order:
                cell = cells.get(c)
                if cell is not None:
                    whole, _letters, _digits, s_attr, t_attr = cell
                    rendered[c], mine[c] = renderer.existing_plain(
                        targets[c], self._ref(r, c), whole, s_attr, t_attr,
                        arrays and idx.in_array(r, c))
        if missing:
            above = final_styles.get(r - 1)
            headers, letters, rs = self.header_cells, self._letters, str(r).encode()
            for c in missing:
                ref = letters.get(c)
                if ref is None:
                    ref = letters[c] = column_letter(c).encode()
                if above is not None and c in above and (not headers or (r - 1, c) not in headers):
                    style = above[c]  # the common case of _style_for_new
                else:
                    style = self._style_for_new(r, c, above, row_s)
                rendered[c], mine[c] = renderer.new_cell(targets[c], ref + rs, style,
                                                         arrays and idx.in_array(r, c))
            order = sorted([*cells, *missing])
        else:
            order = cells
        get = rendered.get
        parts = [extend_spans(row_stag, missing)]
        parts += [get(c) or cells[c][0] for c in order]
        parts.append(data[row_el.inner_end : row_el.end])
        return b"".join(parts)

    def _render_any_row(self, r: int, row_el: Elem, targets: dict[int, Write],
                        final_styles: dict) -> bytes:
        """Row r in any form: its cells located by :meth:`SheetIndex.row_cells`, and the
        written and new ones spliced in."""
        data, idx = self.data, self.index
        cells = idx.row_cells(r)
        row_stag = data[row_el.start : row_el.stag_end]
        present = {col for col, _ in cells}
        missing = sorted(c for c in targets if c not in present)
        row_s = None
        if missing:
            row_s = self._row_style(row_stag)
        if missing and r in idx.rows_without_refs:
            raise self._refuse(f"rad {r} har celler utan cellreferens, så nya celler kan inte "
                               "placeras säkert")
        cols_in_order = [c for c, _ in cells]
        if missing and cols_in_order != sorted(cols_in_order):
            raise self._refuse(f"cellerna på rad {r} är inte sorterade")
        if row_el.empty:
            inner = b"".join(self._new_cell(r, c, targets[c], final_styles, row_s)
                             for c in missing)
            return (extend_spans(open_tag(row_stag), missing) + inner
                    + b"</" + self.prefix + b"row>")
        splices: list[tuple[int, int, bytes]] = []
        for col, el in cells:
            if col in targets:
                cell, final_styles[r][col] = self.cells.existing_cell(
                    data, el, targets[col], idx.in_array(r, col))
                splices.append((el.start, el.end, cell))
        for c in missing:
            nb = self._new_cell(r, c, targets[c], final_styles, row_s)
            after = next((el for col, el in cells if col > c), None)
            if after is not None:
                pos = after.start
            else:
                # after the last <c>, before the row's extLst if any (CT_Row is c*, extLst?)
                pos = cells[-1][1].end if cells else row_el.stag_end
                if not data[pos : row_el.inner_end].strip():
                    pos = row_el.inner_end
            splices.append((pos, pos, nb))
        splices.append((row_el.start, row_el.stag_end, extend_spans(row_stag, missing)))
        return splice(data, splices, row_el.start, row_el.end)


def extend_spans(stag: bytes, new_cols: list[int]) -> bytes:
    """A row start tag whose ``spans`` covers ``new_cols`` (unchanged when it does, or has
    none; dropped when it cannot be read)."""
    if not new_cols or b"spans" not in stag:
        return stag
    spans = attr(stag, b"spans")
    if not spans:
        return stag
    ranges = []
    for part in spans.split():
        lo, _, hi = part.partition(":")
        try:
            ranges.append((int(lo), int(hi or lo)))
        except ValueError:
            return set_attrs(stag, {b"spans": None})
    if all(any(lo <= c <= hi for lo, hi in ranges) for c in new_cols):
        return stag
    lo = min([r[0] for r in ranges] + new_cols)
    hi = max([r[1] for r in ranges] + new_cols)
    return set_attrs(stag, {b"spans": f"{lo}:{hi}"})


def dimension_splice(index: SheetIndex, data: bytes, writes: list[Write]
                     ) -> tuple[int, int, bytes] | None:
    """The splice that widens ``<dimension ref>`` to cover ``writes`` (None: it does)."""
    dim = index.dimension
    if dim is None:
        return None
    stag = data[dim.start : dim.stag_end]
    a = attrs(stag)
    rows = [w.row for w in writes]
    cols = [w.col for w in writes]
    box = (min(rows), min(cols), max(rows), max(cols))
    cur = parse_range(a.get(b"ref", "")) if index.has_cells else None
    if cur is not None:
        box = (min(box[0], cur[0]), min(box[1], cur[1]), max(box[2], cur[2]),
               max(box[3], cur[3]))
        if box == cur:
            return None
    new_ref = range_text(*box)
    if new_ref == a.get(b"ref"):
        return None
    return dim.start, dim.stag_end, set_attrs(stag, {b"ref": new_ref})
