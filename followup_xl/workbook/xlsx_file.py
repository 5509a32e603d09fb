"""A workbook file as the reader sees it: the contract's layout and the cells it reads.

Opens the file once with the xlsx library's reader (no openpyxl): finds the Excel Tables
and the workbook-level defined names, checks each contract name points at one cell (a
broken one is a Fel in ``Layout.messages``, never silently the default), and streams only
the cells inside the contract's tables and names. ``get(sheet, cell)`` then answers the
reader from memory. Swedish errors for a file that is missing, of the wrong kind or
damaged.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from followup_xl import contract as c

from followup_xl.errors import FollowupError
from followup_xl.workbook.layout import (CONTRACT_NAMES, Layout, broken_name, name_target,
                                         table_place)
from followup_xl.xlsx.book import Rect, SheetValues, XlsxBook
from followup_xl.xlsx.cellref import MAX_COL, MAX_ROW, column_index, parse_ref, range_text

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Tables the program fills from scratch: only how far they reach is read, not their values.
OUTPUT_TABLES = {t.casefold() for t in c.OUTPUT_TABLES}


class FileValues:
    """``get(sheet, cell)`` over the cells read from the file. A cell outside everything
    read so far (a cell below a table that a job must find empty) makes its whole sheet be
    read once, so every answer is what the file holds. :meth:`column` gives the reader a
    table's column at once."""

    def __init__(self, path: Path, sheets: dict[str, SheetValues],
                 covered: dict[str, list[Rect]], formulas: set[tuple[str, str]]):
        self.path, self.sheets, self.covered, self.formulas = path, sheets, covered, formulas

    def __call__(self, sheet: str, cell: str):
        rc = parse_ref(cell)
        if rc is None:
            return None
        got = self.sheets.get(sheet)
        if got is not None:
            value = got.get(*rc)
            if value is not None:
                return value
        if any(x.r1 <= rc[0] <= x.r2 and x.c1 <= rc[1] <= x.c2
               for x in self.covered.get(sheet, ())):
            return None
        return self._read_sheet(sheet).get(*rc)

    def column(self, sheet: str, letters: str) -> dict[int, object]:
        """The values read from one column of a sheet, by row: the reader's fast path, for
        the cells inside the tables read (empty when nothing was read there; not to be
        changed)."""
        got = self.sheets.get(sheet)
        return got.columns.get(column_index(letters), {}) if got is not None else {}

    def _read_sheet(self, sheet: str) -> SheetValues:
        whole = Rect(1, 1, MAX_ROW, MAX_COL)
        with XlsxBook(self.path) as book:
            found = next((s for s in book.sheets if s.name == sheet and s.is_worksheet), None)
            got = book.read(found, [whole]) if found is not None else SheetValues()
        self.sheets[sheet], self.covered[sheet] = got, [whole]
        self.formulas.update((sheet, cell) for cell in got.formulas)
        return got


def open_workbook(path: Path) -> tuple[Layout, FileValues]:
    """The layout of a workbook file and the values of the cells the contract reads.
    Raises FollowupError (Swedish, naming the file) when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        raise FollowupError(f"'{path.name}' är ingen Excel-arbetsbok (.xlsx eller .xlsm).")
    with XlsxBook(path) as book:
        _check_kind(book, path.name, suffix)
        layout = read_layout(book)
        values = _read_values(book, layout, path)
    return layout, values


def _check_kind(book: XlsxBook, label: str, suffix: str) -> None:
    if suffix == ".xlsm" and not book.macro_enabled:
        raise FollowupError(
            f"'{label}' har filändelsen .xlsm men är en arbetsbok utan makron (.xlsx); Excel "
            "öppnar den inte under det namnet. Byt filändelsen till .xlsx.")
    if suffix == ".xlsx" and book.macro_enabled:
        raise FollowupError(
            f"'{label}' är en arbetsbok med makron (.xlsm) men har filändelsen .xlsx; Excel "
            "öppnar den inte under det namnet. Byt filändelsen till .xlsm.")


def read_layout(book: XlsxBook) -> Layout:
    """Find the contract's tables and names in an opened workbook file."""
    layout = Layout(date1904=book.date1904)
    for t in book.tables():
        if not t.sheet:
            continue  # a table part no worksheet shows
        if t.header_rows != 1:
            raise FollowupError(f"Tabellen '{t.name}' på bladet '{t.sheet}' saknar "
                                "rubrikrad. Slå på rubrikraden i Excel.")
        layout.tables[t.name.casefold()] = table_place(
            t.name, t.sheet, range_text(*t.ref), t.headers, t.totals_rows)
    worksheets = [s.name for s in book.sheets if s.is_worksheet]
    for dn in book.defined_names:
        if dn.sheet_index is not None:
            continue  # sheet-level names ("Drift!Print_Area") are not the contract's
        target = name_target(dn.text, worksheets)
        contract_name = CONTRACT_NAMES.get(dn.name.casefold())
        if isinstance(target, tuple):
            layout.names[dn.name.casefold()] = target
        elif contract_name is not None:
            layout.messages.append(broken_name(contract_name, target))
    return layout


def _read_values(book: XlsxBook, layout: Layout, path: Path) -> FileValues:
    """Stream each sheet the contract needs once; note how far each table is filled."""
    wanted: dict[str, list[tuple[object, Rect]]] = {}
    for key, place in layout.tables.items():
        cols = [column_index(col) for col in place.columns.values()]
        if not cols:
            continue
        rect = Rect(place.header_row, min(cols), max(place.last_row, place.header_row),
                    max(cols), keep=place.name.casefold() not in OUTPUT_TABLES)
        wanted.setdefault(place.sheet, []).append((key, rect))
    for sheet, cell in layout.names.values():
        rc = parse_ref(cell)
        wanted.setdefault(sheet, []).append((None, Rect(rc[0], rc[1], rc[0], rc[1])))
    by_name = {s.name: s for s in book.sheets}
    values: dict[str, SheetValues] = {}
    for sheet, rects in wanted.items():
        got = book.read(by_name[sheet], [r for _, r in rects])
        values[sheet] = got
        layout.formulas.update((sheet, cell) for cell in got.formulas)
        for key, rect in rects:
            if key is not None:
                layout.tables[key] = replace(layout.tables[key], filled_to=rect.last)
    return FileValues(path, values, {sheet: [r for _, r in rects if r.keep]
                                     for sheet, rects in wanted.items()}, layout.formulas)
