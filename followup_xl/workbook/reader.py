"""Read a follow-up workbook file through the workbook contract (openpyxl).

The reader finds every cell through Excel Tables and workbook-level defined names, turns
what the economist typed into the model's exact values, and reports bad input as
messages whose :class:`~followup_xl.domain.model.Loc` the :class:`Layout` turns into a cell
address. It never changes the file.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable

from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from followup_xl import contract as c
from followup_xl.errors import FollowupError
from followup_xl.domain.model import (DriftRow, FollowUp, Level, Loc, Measure, Message, OneOff, Settings,
                    Workforce)
from followup_xl.domain.swedish import (NotANumber, decimals_of, format_number, match_choice, to_date,
                      to_decimal)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA"}


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
    formulas. Turns a Loc into ``(sheet, cell)``."""

    tables: dict[str, TablePlace] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sheet, A1)
    formulas: set[tuple[str, str]] = field(default_factory=set)
    date1904: bool = False

    def table(self, name: str) -> TablePlace | None:
        return self.tables.get(name.casefold())

    def name(self, name: str) -> tuple[str, str] | None:
        return self.names.get(name.casefold())

    def address(self, loc: Loc | None) -> tuple[str, str]:
        """(sheet, cell) for a message; cell may be '' when only the sheet is known."""
        if loc is None:
            return "", ""
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


def open_workbook(path: Path):
    """Both views of a workbook: formulas and cached values. Swedish errors for a
    missing file or one that is not a workbook."""
    path = Path(path)
    if not path.exists():
        raise FollowupError(f"Filen '{path}' finns inte.")
    if path.is_dir():
        raise FollowupError(f"'{path}' är en mapp, inte en arbetsbok.")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or not zipfile.is_zipfile(path):
        raise FollowupError(f"'{path.name}' är ingen Excel-arbetsbok (.xlsx eller .xlsm).")
    try:
        keep_vba = path.suffix.lower() == ".xlsm"
        with warnings.catch_warnings():
            # openpyxl warns that it "will remove" extensions (data bars, sparklines) it
            # cannot load: true for an openpyxl save, which never happens here; the
            # writer keeps them. Not a message for the economist.
            warnings.simplefilter("ignore", UserWarning)
            formulas = load_workbook(path, keep_vba=keep_vba, keep_links=True)
            values = load_workbook(path, data_only=True, keep_links=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise FollowupError(f"'{path.name}' kunde inte läsas som Excel-arbetsbok ({e}).") \
            from None
    return formulas, values


def read_layout(wb) -> Layout:
    """Find the contract's tables and names in an openpyxl workbook (formula view)."""
    layout = Layout(date1904=bool(wb.epoch != dt.datetime(1899, 12, 30)))
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header_count = 1 if table.headerRowCount is None else table.headerRowCount
            if header_count != 1:
                raise FollowupError(f"Tabellen '{table.name}' på bladet '{ws.title}' saknar "
                                    "rubrikrad. Slå på rubrikraden i Excel.")
            layout.tables[table.name.casefold()] = table_place(
                table.name, ws.title, table.ref, [col.name for col in table.tableColumns],
                table.totalsRowCount or 0)
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    layout.formulas.add((ws.title, cell.coordinate))
    for name, defined in wb.defined_names.items():
        dests = list(defined.destinations) if defined.attr_text else []
        if len(dests) == 1:
            sheet, ref = dests[0]
            ref = ref.replace("$", "")
            if ":" in ref:
                first, last = ref.split(":")
                if first != last:
                    continue  # a range, not one cell: not part of the contract
                ref = first
            layout.names[name.casefold()] = (sheet, ref)
    return layout


def table_place(name: str, sheet: str, ref: str, headers, totals_rows: int) -> TablePlace:
    """A Table's place from its range (with one header row), header texts and number of
    totals rows: the one mapping both readers use (file and live Excel)."""
    min_col, min_row, _, max_row = range_boundaries(ref)
    columns = {str(h).strip().casefold(): get_column_letter(min_col + i)
               for i, h in enumerate(headers)}
    return TablePlace(name=name, sheet=sheet, ref=ref, header_row=min_row,
                      first_row=min_row + 1, last_row=max_row - totals_rows, columns=columns)


class _Reader:
    """Reads values cell by cell, collecting Swedish messages for bad input."""

    def __init__(self, get: Callable[[str, str], object], layout: Layout):
        self.get, self.layout = get, layout  # get(sheet, "C6") -> the cell's value
        self.messages: list[Message] = []

    # -- raw cells -------------------------------------------------------------------
    def raw(self, sheet: str, cell: str, loc: Loc):
        value = self.get(sheet, cell)
        if value is None and (sheet, cell) in self.layout.formulas:
            self.error(loc, "Cellen har en formel som inte är beräknad. Öppna arbetsboken i "
                       "Excel och spara den, så att formeln får ett värde.")
        if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
            self.error(loc, f"Cellen innehåller felvärdet '{value}'.")
            return None
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def error(self, loc: Loc, text: str) -> None:
        self.messages.append(Message(Level.FEL, text, loc))

    # -- typed values ---------------------------------------------------------------
    def number(self, value, loc: Loc, *, percent: bool = False) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, (dt.date, dt.datetime)):
            self.error(loc, f"'{value}' är ett datum, inte ett tal.")
            return None
        try:
            return to_decimal(value, allow_percent=percent)
        except NotANumber as e:
            self.error(loc, f"{e}.")
            return None

    def text(self, value) -> str | None:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    def whole(self, value, loc: Loc, what: str) -> int | None:
        d = self.number(value, loc)
        if d is None:
            return None
        if d != d.to_integral_value():
            self.error(loc, f"{what} ska vara ett heltal, inte "
                       f"{format_number(d, decimals_of(d), group=False)}.")
            return None
        return int(d)

    def date(self, value, loc: Loc) -> dt.date | None:
        if value is None:
            return None
        try:
            return to_date(value, date1904=self.layout.date1904)
        except NotANumber as e:
            self.error(loc, f"{e}.")
            return None

    def choice(self, value, loc: Loc, choices: tuple[str, ...], what: str) -> str | None:
        text = self.text(value)
        if text is None:
            return None
        try:
            return match_choice(text, choices, what)
        except NotANumber as e:
            self.error(loc, f"{e}.")
            return None

    # -- names and tables -----------------------------------------------------------
    def named(self, name: str):
        place = self.layout.name(name)
        return None if place is None else self.raw(*place, Loc(name))

    def table_rows(self, table: str, required: bool = False):
        """Non-empty data rows of a contract table as (index, {header: value}).
        Rows that are empty in every contract column are skipped."""
        place = self.layout.table(table)
        if place is None:
            if required:
                self.messages.append(Message(
                    Level.FEL, f"Arbetsboken saknar tabellen '{table}'. Använd mallen "
                    "uppfoljning.xlsm eller skapa en Excel-tabell med det namnet.", None))
            return place, []
        expected = c.TABLES[table]
        missing = [h for h in expected if place.column(h) is None
                   and h not in c.COMPUTED_COLUMNS.get(table, ())]
        if missing:
            self.messages.append(Message(Level.FEL, f"Tabellen '{table}' saknar kolumnen "
                                 + ", ".join(f"'{m}'" for m in missing) + ".", Loc(table)))
            return place, []
        headers = expected + c.OPTIONAL_COLUMNS.get(table, ())
        rows, numbers = [], []
        for r in range(place.first_row, place.last_row + 1):
            cells = {h: (place.sheet, f"{place.column(h)}{r}") for h in headers
                     if place.column(h)}
            inputs = [h for h in cells if h not in c.COMPUTED_COLUMNS.get(table, ())]
            if all(self.get(*cells[h]) in (None, "") for h in inputs):
                continue
            i = len(numbers)
            numbers.append(r)
            rows.append((i, {h: self.raw(*cells[h], Loc(table, i, h)) for h in inputs}))
        self.layout.tables[table.casefold()] = replace(place, rows=tuple(numbers))
        return place, rows


def read_followup(path: Path) -> tuple[FollowUp, Layout, list[Message]]:
    """Read a workbook file. Bad input comes back as Fel messages (never an exception);
    a file that cannot be read at all raises FollowupError."""
    wb_f, wb_v = open_workbook(path)
    layout = read_layout(wb_f)
    return read_from(lambda sheet, cell: wb_v[sheet][cell].value, layout)


def read_from(get: Callable[[str, str], object],
              layout: Layout) -> tuple[FollowUp, Layout, list[Message]]:
    """Read the follow-up from any workbook client: ``get(sheet, cell)`` returns a cell's
    value as openpyxl would (number, text, date, bool or None)."""
    rd = _Reader(get, layout)
    n, loc = rd.named, Loc
    settings = Settings(
        committee=rd.text(n(c.NAMND)),
        year=rd.whole(n(c.AR), loc(c.AR), "Året"),
        period=rd.whole(n(c.PERIOD), loc(c.PERIOD), "Perioden"),
        unit=rd.choice(n(c.ENHET), loc(c.ENHET), c.ENHETER, "Enheten")
        or c.DEFAULTS[c.ENHET],
        sign_convention=rd.choice(n(c.TECKENKONVENTION), loc(c.TECKENKONVENTION),
                                  c.TECKENKONVENTIONER, "Teckenkonventionen")
        or c.DEFAULTS[c.TECKENKONVENTION],
        kommunbidrag_row=rd.text(n(c.KOMMUNBIDRAG_RAD)) or c.DEFAULTS[c.KOMMUNBIDRAG_RAD],
        po_rate=rd.number(n(c.PO_PALAGG), loc(c.PO_PALAGG), percent=True),
        word_report=rd.choice(n(c.RAPPORT_WORD), loc(c.RAPPORT_WORD), (c.JA, c.NEJ),
                              "Valet") == c.JA,
    )

    _, drift = rd.table_rows(c.DRIFT, required=True)
    rows = []
    for i, v in drift:
        name = rd.text(v[c.DRIFT_RAD])
        if name is None:
            rd.error(Loc(c.DRIFT, i, c.DRIFT_RAD), "Raden har belopp men inget namn i "
                     "kolumnen Rad.")
            name = ""
        rows.append(DriftRow(
            name=name, parent=rd.text(v[c.DRIFT_INGAR_I]),
            budget=rd.number(v[c.DRIFT_BUDGET], Loc(c.DRIFT, i, c.DRIFT_BUDGET)),
            forecast=rd.number(v[c.DRIFT_PROGNOS], Loc(c.DRIFT, i, c.DRIFT_PROGNOS)),
            previous_forecast=rd.number(v.get(c.DRIFT_FOREG_PROGNOS),
                                        Loc(c.DRIFT, i, c.DRIFT_FOREG_PROGNOS)),
            comment=rd.text(v.get(c.DRIFT_KOMMENTAR))))

    _, eng = rd.table_rows(c.ENGANGSPOSTER)
    one_offs = []
    for i, v in eng:
        amount = rd.number(v[c.ENG_BELOPP], Loc(c.ENGANGSPOSTER, i, c.ENG_BELOPP))
        if amount is None:
            rd.error(Loc(c.ENGANGSPOSTER, i, c.ENG_BELOPP), "Engångsposten saknar belopp.")
            continue
        one_offs.append(OneOff(rd.text(v[c.ENG_POST]) or "", amount))

    _, atg = rd.table_rows(c.ATGARDER)
    measures = []
    for i, v in atg:
        def num(h, i=i, v=v):
            return rd.number(v[h], Loc(c.ATGARDER, i, h))
        measures.append(Measure(
            name=rd.text(v[c.ATG_ATGARD]) or f"rad {i + 1}",
            department=rd.text(v[c.ATG_AVDELNING]),
            fte=num(c.ATG_ARSARBETARE), monthly_salary=num(c.ATG_MANADSLON),
            full_year_amount=num(c.ATG_BELOPP),
            start=rd.date(v[c.ATG_START], Loc(c.ATGARDER, i, c.ATG_START))))

    _, ast = rd.table_rows(c.ARBETSSTYRKA)
    workforce = []
    for i, v in ast:
        fte = rd.number(v[c.AST_ARSARBETARE], Loc(c.ARBETSSTYRKA, i, c.AST_ARSARBETARE))
        dept = rd.text(v[c.AST_AVDELNING])
        if dept and fte is not None:
            workforce.append(Workforce(dept, fte))

    fu = FollowUp(
        settings=settings, rows=tuple(rows),
        buffer_share=rd.number(n(c.BUFFERT_ANDEL), loc(c.BUFFERT_ANDEL), percent=True),
        buffer_committed=rd.number(n(c.BUFFERT_INTECKNAT), loc(c.BUFFERT_INTECKNAT)),
        structural_deficit=rd.number(n(c.STRUKTURELLT_UNDERSKOTT),
                                     loc(c.STRUKTURELLT_UNDERSKOTT)),
        one_offs=tuple(one_offs), measures=tuple(measures), workforce=tuple(workforce))
    return fu, layout, rd.messages

