"""Where the contract's tables and names lie in one workbook, and how a place is named.

A :class:`Layout` maps the contract's vocabulary (a table and column, or a defined name)
to sheet cells, whichever client the workbook is read through (a file, or a live Excel);
it turns a :class:`~followup_xl.domain.model.Loc` into the address a message shows
(``Drift!C9``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils.cell import get_column_letter, range_boundaries

from followup_xl.domain.model import FileLoc, Loc


@dataclass(frozen=True)
class TablePlace:
    """Where a Table's data lies: sheet, header row, data rows, column letters."""

    name: str
    sheet: str
    ref: str
    header_row: int
    first_row: int  # first data row
    last_row: int   # last data row (== header_row when the table has no data rows)
    columns: dict[str, str]  # header (casefolded) -> column letter
    rows: tuple[int, ...] = ()  # sheet row of each model row read from this table

    def column(self, header: str) -> str | None:
        return self.columns.get(header.casefold())

    def cell(self, row: int, header: str) -> str | None:
        col = self.column(header)
        return f"{col}{self.rows[row]}" if col and row < len(self.rows) else None


@dataclass
class Layout:
    """The contract's places in one workbook: tables, names, and which cells hold
    formulas. Turns a Loc into ``(sheet, cell)``. ``held`` is what the computed cells of
    the tables with a Kontrollsumma hold now (filled by the reader), so that a value typed
    over one of them is noticed before it is replaced."""

    tables: dict[str, TablePlace] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sheet, A1)
    formulas: set[tuple[str, str]] = field(default_factory=set)
    date1904: bool = False
    held: dict[tuple[str, str], object] = field(default_factory=dict)

    def table(self, name: str) -> TablePlace | None:
        return self.tables.get(name.casefold())

    def name(self, name: str) -> tuple[str, str] | None:
        return self.names.get(name.casefold())

    def address(self, loc: Loc | FileLoc | None) -> tuple[str, str]:
        """(sheet, cell) for a message; cell may be '' when only the sheet is known."""
        if loc is None or isinstance(loc, FileLoc):
            return "", ""  # a ledger file's name and line are in the message itself
        named = self.name(loc.part)
        if named:
            return named
        t = self.table(loc.part)
        if t is None:
            return "", ""
        if loc.row is not None and loc.column:
            return t.sheet, t.cell(loc.row, loc.column) or ""
        if loc.column and t.column(loc.column):
            return t.sheet, f"{t.column(loc.column)}{t.header_row}"
        return t.sheet, t.ref.split(":")[0]


def excel_address(sheet: str, cell: str) -> str:
    """'Drift!C6', or "'Buffert och struktur'!C6" when the sheet name needs quotes."""
    if not sheet:
        return cell
    quoted = sheet if re.fullmatch(r"[A-Za-z_][\w.]*", sheet) else \
        "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{cell}" if cell else quoted


def table_place(name: str, sheet: str, ref: str, headers, totals_rows: int) -> TablePlace:
    """A Table's place from its range (with one header row), header texts and number of
    totals rows: the one mapping both readers use (file and live Excel)."""
    min_col, min_row, _, max_row = range_boundaries(ref)
    columns = {str(h).strip().casefold(): get_column_letter(min_col + i)
               for i, h in enumerate(headers)}
    return TablePlace(name=name, sheet=sheet, ref=ref, header_row=min_row,
                      first_row=min_row + 1, last_row=max_row - totals_rows, columns=columns)
