"""Where the contract's tables and names lie in one workbook, and how a place is named.

A :class:`Layout` maps the contract's vocabulary (a table and column, or a defined name)
to sheet cells, whichever client the workbook is read through (a file, or a live Excel);
it turns a :class:`~followup_xl.domain.model.Loc` into the address a message shows
(``Drift!C9``). :func:`name_target` decides, as Excel would, whether a defined name
points at exactly one cell of an existing sheet, and says what is wrong when it does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from followup_xl import contract as c
from followup_xl.domain.model import FileLoc, Level, Loc, Message
from followup_xl.xlsx.cellref import (MAX_COL, MAX_ROW, column_index, column_letter,
                                      parse_range, split_sheet_ref)


_ROW_TEXTS = ("row texts",)  # a memo key no header can be


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
    # last row with any cell in the table's columns, when the reader knows it: below it
    # the table's rows hold no cells at all (a bound for loops, not part of the place)
    filled_to: int | None = field(default=None, compare=False)

    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def column(self, header: str) -> str | None:
        try:
            return self._memo[header]
        except KeyError:
            got = self._memo[header] = self.columns.get(header.casefold())
            return got

    def cell(self, row: int, header: str) -> str | None:
        col = self._memo.get(header)
        if col is None:
            col = self.column(header)
        return f"{col}{self.rows[row]}" if col and row < len(self.rows) else None

    def column_cells(self, header: str) -> list[str] | None:
        """The cell of every model row in the header's column, in row order (what
        ``cell(i, header)`` gives for each ``i``), or None when the table lacks the
        column: made at once for the loops over thousands of rows."""
        col = self.column(header)
        return [col + r for r in self._row_texts()] if col else None

    def _row_texts(self) -> list[str]:
        """Each model row's sheet row number as text, made once per table (the memo is
        shared with copies that have other rows: they are compared by identity)."""
        rows, texts = self._memo.get(_ROW_TEXTS, (None, None))
        if rows is not self.rows:
            texts = [str(r) for r in self.rows]
            self._memo[_ROW_TEXTS] = (self.rows, texts)
        return texts

    @property
    def data_end(self) -> int:
        """The last data row worth visiting: below it the table has no cells at all, so
        there is nothing to read or clear (a table stretched to the sheet's last row costs
        what its data costs)."""
        if self.filled_to is None:
            return self.last_row
        return max(self.header_row, min(self.last_row, self.filled_to))


@dataclass
class Layout:
    """The contract's places in one workbook: tables, names, and which cells hold
    formulas. Turns a Loc into ``(sheet, cell)``. ``messages`` are what reading the
    layout found wrong (a broken defined name), for the reader to pass on. ``held`` is what
    the computed cells of the tables with a Kontrollsumma hold now (filled by the reader),
    so that a value typed over one of them is noticed before it is replaced."""

    tables: dict[str, TablePlace] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sheet, A1)
    formulas: set[tuple[str, str]] = field(default_factory=set)
    date1904: bool = False
    messages: list[Message] = field(default_factory=list)
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
    rng = parse_range(ref)
    if rng is None:
        raise ValueError(f"not a range: {ref!r}")
    min_row, min_col, max_row, _ = rng
    columns = {str(h).strip().casefold(): column_letter(min_col + i)
               for i, h in enumerate(headers)}
    return TablePlace(name=name, sheet=sheet, ref=ref, header_row=min_row,
                      first_row=min_row + 1, last_row=max_row - totals_rows, columns=columns)


_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
_COLUMNS_RE = re.compile(r"\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}")
_ROWS_RE = re.compile(r"\$?[0-9]+:\$?[0-9]+")


def name_target(text: str, sheets: list[str]) -> tuple[str, str] | str:
    """Where a defined name's text (``'Inställningar'!$B$3``, with or without a leading
    ``=``) points: (sheet as the workbook spells it, ``B3``) when it is exactly one cell of
    an existing sheet, else the reason in Swedish (``'#REF!$B$6' är en trasig referens``)."""
    raw = text.strip()
    body = raw[1:].strip() if raw.startswith("=") else raw
    shown = f"'{raw}'"
    if not body:
        return "namnet är tomt och pekar inte på någon cell"
    if "#REF!" in body.upper():
        return (f"namnet pekar på {shown}, en trasig referens (bladet eller cellen har tagits "
                "bort)")
    sheet, ref = split_sheet_ref(body)
    if sheet is None:
        if re.fullmatch(r"[A-Za-z_\\][\w.\\]*", body) and not _CELL_RE.fullmatch(body):
            return f"namnet pekar på {shown}, ett annat namn, inte en cell"
        return f"namnet pekar på {shown}, som inte är en cell på ett blad"
    actual = next((s for s in sheets if s == sheet), None) or \
        next((s for s in sheets if s.casefold() == sheet.casefold()), None)
    if actual is None:
        return f"namnet pekar på {shown}, men bladet '{sheet}' finns inte"
    ref = ref.strip()
    if _COLUMNS_RE.fullmatch(ref):
        return f"namnet pekar på {shown}, hela kolumner, inte en cell"
    if _ROWS_RE.fullmatch(ref):
        return f"namnet pekar på {shown}, hela rader, inte en cell"
    parts = ref.split(":")
    cells = [_CELL_RE.fullmatch(p) for p in parts]
    if len(parts) > 2 or not all(cells):
        return f"namnet pekar på {shown}, som inte är en cell"
    for m in cells:
        if not (1 <= column_index(m.group(1)) <= MAX_COL and 1 <= int(m.group(2)) <= MAX_ROW):
            return f"namnet pekar på {shown}, som ligger utanför bladet"
    first = cells[0].group(1).upper() + str(int(cells[0].group(2)))
    if len(cells) == 2 and cells[1].group(1).upper() + str(int(cells[1].group(2))) != first:
        return f"namnet pekar på {shown}, ett område, inte en cell"
    return actual, first


CONTRACT_NAMES = {n.casefold(): n for n in c.INPUT_NAMES + c.OUTPUT_NAMES}


def broken_name(name: str, reason: str) -> Message:
    """The Fel for a contract name that does not point at one cell (file and live Excel)."""
    return Message(Level.FEL, f"Det definierade namnet '{name}' går inte att använda: "
                   f"{reason}. Rätta namnet i Excel (Formler › Namnhanteraren) så att det "
                   "pekar på en cell.", Loc(name))
