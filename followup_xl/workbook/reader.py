"""Read the follow-up's inputs through the workbook contract, from any workbook client.

The reader finds every cell through the :class:`~followup_xl.workbook.layout.Layout`
(Excel Tables and workbook-level defined names), turns what the economist typed into the
model's exact values, and reports bad input as messages whose
:class:`~followup_xl.domain.model.Loc` the layout turns into a cell address. It never
changes the workbook. :func:`read_followup` reads a file; the Excel button passes its own
``get`` to :func:`read_from`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Callable

from followup_xl import contract as c
from followup_xl.domain.model import (DriftRow, FollowUp, HistoryRow, Level, Loc, Measure,
                                      Message, Months, OneOff, Settings, Workforce, row_key)
from followup_xl.domain.swedish import (NotANumber, decimals_of, format_number, match_choice,
                                        plain_decimal, to_date, to_decimal)
from followup_xl.workbook.layout import Layout
from followup_xl.workbook.xlsx_file import open_workbook

EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA"}


class _Reader:
    """Reads values cell by cell, collecting Swedish messages for bad input."""

    def __init__(self, get: Callable[[str, str], object], layout: Layout):
        self.get, self.layout = get, layout  # get(sheet, "C6") -> the cell's value
        self.messages: list[Message] = []

    def _columns_of(self, sheet: str) -> Callable[[str], object]:
        """``letters -> column`` on one sheet, a column answering ``.get(row)``: the
        file's values of that column at once when ``get`` offers them (a dict by row),
        else a column read cell by cell through ``get`` (live Excel)."""
        column = getattr(self.get, "column", None)
        if column is not None:
            return lambda letters: column(sheet, letters)
        return lambda letters: _LiveColumn(self.get, sheet, letters)

    # -- raw cells -------------------------------------------------------------------
    def raw(self, sheet: str, cell: str, loc: Loc):
        return self.checked(self.get(sheet, cell), sheet, cell, loc)

    def checked(self, value, sheet: str, cell: str, loc: Loc):
        """A cell's value as the model takes it: Excel error values and uncomputed formulas
        reported, blank text as empty."""
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
        exact = plain_decimal(value)
        if exact is not None:
            return exact
        if isinstance(value, (dt.date, dt.datetime)):
            self.error(loc, f"'{value}' är ett datum, inte ett tal.")
            return None
        try:
            return to_decimal(value, allow_percent=percent)
        except NotANumber as e:
            self.error(loc, f"{e}.")
            return None

    def cell_number(self, value, table: str, i: int, column: str, *,
                    percent: bool = False) -> Decimal | None:
        """:meth:`number` of a table's cell, its Loc made only when there is something
        to say (most cells are a plain number or empty)."""
        if value is None:
            return None
        exact = plain_decimal(value)
        if exact is not None:
            return exact
        return self.number(value, Loc(table, i, column), percent=percent)

    def text(self, value) -> str | None:
        if value is None:
            return None
        if type(value) is str:
            return value.strip() or None
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
        Rows that are empty in every contract column are skipped. The table is read a
        column at a time (from a file, only the rows its columns hold), and only a text
        or an empty cell is looked at further: the rest is what the model takes."""
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
        computed = c.COMPUTED_COLUMNS.get(table, ())
        every = [(h, place.column(h)) for h in headers if place.column(h)]
        inputs = [(h, col) for h, col in every if h not in computed]
        # what the program may write in a row, when the table keeps a Kontrollsumma
        held = [col for h, col in every if h in computed or h in c.TOTAL_COLUMNS.get(table, ())] \
            if any(h == c.KONTROLLSUMMA for h, _ in every) else []
        sheet = place.sheet
        column = self._columns_of(sheet)
        names, letters = [h for h, _ in inputs], [col for _, col in inputs]
        columns = [column(col) for col in letters]
        held_columns = [(col, found) for col in held if (found := column(col))]
        visit = _rows_to_visit(columns, place.first_row, place.data_end)
        held_now = self.layout.held
        rows, numbers = [], []
        for r, values in zip(visit, zip(*[list(map(m.get, visit)) for m in columns])):
            if all(v is None or v == "" for v in values):
                continue
            i = len(numbers)
            numbers.append(r)
            rows.append((i, self._row(table, i, sheet, r, names, letters, values)))
            for col, found in held_columns:  # what those cells hold now (an empty cell is absent)
                value = found.get(r)
                if value is not None:
                    held_now[(sheet, f"{col}{r}")] = value
        self.layout.tables[table.casefold()] = replace(place, rows=tuple(numbers))
        return place, rows


    def _row(self, table: str, i: int, sheet: str, r: int, names: list[str],
             letters: list[str], values: tuple) -> dict[str, object]:
        """One row's {header: value}, each value :meth:`checked`: only a text and an empty
        cell that has a formula can be wrong, so only they are looked at further."""
        row = dict(zip(names, values))
        formulas = self.layout.formulas
        for k, v in enumerate(values):
            if v is None:
                if formulas and (sheet, f"{letters[k]}{r}") in formulas:
                    self.checked(v, sheet, f"{letters[k]}{r}", Loc(table, i, names[k]))
            elif isinstance(v, str):
                text = v.strip()
                if not text or text in EXCEL_ERRORS:
                    row[names[k]] = self.checked(v, sheet, f"{letters[k]}{r}",
                                                 Loc(table, i, names[k]))
        return row


class _LiveColumn:
    """One column of a sheet read cell by cell through ``get(sheet, cell)``, as the
    file's column dicts are read: ``.get(row)``."""

    __slots__ = ("read", "sheet", "letters")

    def __init__(self, read: Callable[[str, str], object], sheet: str, letters: str):
        self.read, self.sheet, self.letters = read, sheet, letters

    def get(self, row: int):
        return self.read(self.sheet, f"{self.letters}{row}")


def _rows_to_visit(columns: list, first: int, last: int):
    """The rows first..last that may hold a value in one of the columns: for the file's
    column dicts only the rows they hold, else every row."""
    if not all(type(m) is dict for m in columns):
        return range(first, last + 1)
    present = set().union(*columns)
    if len(present) > last - first + 1:
        return [r for r in range(first, last + 1) if r in present]
    return sorted(r for r in present if first <= r <= last)


def read_followup(path: Path) -> tuple[FollowUp, Layout, list[Message]]:
    """Read a workbook file. Bad input comes back as Fel messages (never an exception);
    a file that cannot be read at all raises FollowupError."""
    layout, get = open_workbook(path)
    return read_from(get, layout)


def read_from(get: Callable[[str, str], object],
              layout: Layout) -> tuple[FollowUp, Layout, list[Message]]:
    """Read the follow-up from any workbook client: ``get(sheet, cell)`` returns a cell's
    value as openpyxl would (number, text, date, bool or None)."""
    rd = _Reader(get, layout)
    rd.messages.extend(layout.messages)
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
        row_kind=rd.choice(n(c.RADTYP), loc(c.RADTYP), tuple(c.RADTYPER), "Radtypen")
        or c.DEFAULTS[c.RADTYP],
        period_key=rd.text(n(c.PERIODISERING)) or c.DEFAULTS[c.PERIODISERING],
        forecast_method=rd.choice(n(c.PROGNOSMETOD), loc(c.PROGNOSMETOD), c.PROGNOSMETODER,
                                  "Prognosmetoden") or c.DEFAULTS[c.PROGNOSMETOD],
        forecast_threshold=_or_default(
            rd.number(n(c.PROGNOS_VARNINGSGRANS), loc(c.PROGNOS_VARNINGSGRANS), percent=True),
            c.PROGNOS_VARNINGSGRANS),
    )

    _, drift = rd.table_rows(c.DRIFT, required=True)
    rows = []
    for i, v in drift:
        name = rd.text(v[c.DRIFT_RAD])
        if name is None:
            rd.error(Loc(c.DRIFT, i, c.DRIFT_RAD), "Raden har belopp men inget namn i "
                     "kolumnen Rad.")
            name = ""
        not_summed = v.get(c.DRIFT_SUMMERAS_EJ)
        rows.append(DriftRow(
            name=name, parent=rd.text(v[c.DRIFT_INGAR_I]),
            budget=rd.cell_number(v[c.DRIFT_BUDGET], c.DRIFT, i, c.DRIFT_BUDGET),
            forecast=rd.cell_number(v[c.DRIFT_PROGNOS], c.DRIFT, i, c.DRIFT_PROGNOS),
            previous_forecast=rd.cell_number(v.get(c.DRIFT_FOREG_PROGNOS), c.DRIFT, i,
                                             c.DRIFT_FOREG_PROGNOS),
            comment=rd.text(v.get(c.DRIFT_KOMMENTAR)),
            key=rd.text(v.get(c.DRIFT_NYCKEL)),
            not_summed=not_summed is not None and rd.choice(
                not_summed, Loc(c.DRIFT, i, c.DRIFT_SUMMERAS_EJ), (c.JA, c.NEJ),
                "Valet") == c.JA))
    _forget_leaf_inputs(layout, rows)

    _, eng = rd.table_rows(c.ENGANGSPOSTER)
    one_offs = []
    for i, v in eng:
        amount = rd.cell_number(v[c.ENG_BELOPP], c.ENGANGSPOSTER, i, c.ENG_BELOPP)
        if amount is None:
            if v[c.ENG_BELOPP] is None:  # else rd.number has said what is wrong with it
                rd.error(Loc(c.ENGANGSPOSTER, i, c.ENG_BELOPP), "Engångsposten saknar belopp.")
            continue
        one_offs.append(OneOff(rd.text(v[c.ENG_POST]) or "", amount))

    _, atg = rd.table_rows(c.ATGARDER)
    measures = []
    for i, v in atg:
        def num(h, i=i, v=v):
            return rd.cell_number(v[h], c.ATGARDER, i, h)
        measures.append(Measure(
            name=rd.text(v[c.ATG_ATGARD]) or f"rad {i + 1}",
            department=rd.text(v[c.ATG_AVDELNING]),
            fte=num(c.ATG_ARSARBETARE), monthly_salary=num(c.ATG_MANADSLON),
            full_year_amount=num(c.ATG_BELOPP),
            start=rd.date(v[c.ATG_START], Loc(c.ATGARDER, i, c.ATG_START))))

    _, ast = rd.table_rows(c.ARBETSSTYRKA)
    workforce = []
    for i, v in ast:
        fte = rd.cell_number(v[c.AST_ARSARBETARE], c.ARBETSSTYRKA, i, c.AST_ARSARBETARE)
        dept = rd.text(v[c.AST_AVDELNING])
        if dept and fte is not None:
            workforce.append(Workforce(dept, fte))

    fu = FollowUp(
        settings=settings, rows=tuple(rows),
        buffer_share=rd.number(n(c.BUFFERT_ANDEL), loc(c.BUFFERT_ANDEL), percent=True),
        buffer_committed=rd.number(n(c.BUFFERT_INTECKNAT), loc(c.BUFFERT_INTECKNAT)),
        structural_deficit=rd.number(n(c.STRUKTURELLT_UNDERSKOTT),
                                     loc(c.STRUKTURELLT_UNDERSKOTT)),
        one_offs=tuple(one_offs), measures=tuple(measures), workforce=tuple(workforce),
        plan_note=rd.text(n(c.HANDLINGSPLAN_KOMMENTAR)),
        actuals=_monthly(rd, c.UTFALL), monthly_budget=_monthly(rd, c.MANADSBUDGET),
        actuals_last_year=_monthly(rd, c.UTFALL_FG),
        keys=_monthly(rd, c.PERIODISERINGSNYCKLAR, c.PNY_NYCKEL, percent=True),
        history=_history(rd))
    return fu, layout, rd.messages


def _forget_leaf_inputs(layout: Layout, rows: list[DriftRow]) -> None:
    """Drop from ``layout.held`` what the Drift rows that are no row's parent hold in the
    total columns (Budget, Prognos …): there those are inputs, which the program never
    writes, so the typed-over check never asks for them; a kommun's tens of thousands of
    leaves would otherwise keep them all in memory."""
    place = layout.table(c.DRIFT)
    if place is None or not layout.held:
        return
    parents = {row_key(r.parent) for r in rows if r.parent}
    letters = [col for h in c.TOTAL_COLUMNS.get(c.DRIFT, ()) if (col := place.column(h))]
    held = layout.held
    for row, sheet_row in zip(rows, place.rows):
        if row_key(row.name) not in parents:
            for col in letters:
                held.pop((place.sheet, f"{col}{sheet_row}"), None)


def _or_default(value: Decimal | None, name: str) -> Decimal:
    return Decimal(str(c.DEFAULTS[name])) if value is None else value


def _monthly(rd: _Reader, table: str, name_column: str = c.MONTHLY_RAD,
             percent: bool = False) -> tuple[Months, ...]:
    """A monthly table's rows: a name and twelve amounts (or shares)."""
    _, rows = rd.table_rows(table)
    out = []
    for i, v in rows:
        name = rd.text(v[name_column])
        if name is None:
            rd.error(Loc(table, i, name_column), f"Raden i tabellen {table} har belopp men "
                     f"inget namn i kolumnen {name_column}.")
            continue
        out.append(Months(name, tuple(rd.cell_number(v[m], table, i, m, percent=percent)
                                      for m in c.MONTH_COLUMNS), i))
    return tuple(out)


def _history(rd: _Reader) -> tuple[HistoryRow, ...]:
    """Prognoshistorik: each closed period's forecast per Drift row."""
    table = c.PROGNOSHISTORIK
    _, rows = rd.table_rows(table)
    out = []
    for i, v in rows:
        period = rd.whole(v[c.PH_PERIOD], Loc(table, i, c.PH_PERIOD), "Perioden")
        name = rd.text(v[c.PH_RAD])
        if period is None or name is None:
            if v[c.PH_PERIOD] is None or name is None:  # else rd.whole has said what is wrong
                rd.error(Loc(table, i, c.PH_PERIOD if period is None else c.PH_RAD),
                         "Raden i Prognoshistorik saknar period eller rad.")
            continue
        out.append(HistoryRow(period, name,
                              rd.cell_number(v[c.PH_PROGNOS], table, i, c.PH_PROGNOS),
                              rd.cell_number(v[c.PH_UTFALL_ACK], table, i, c.PH_UTFALL_ACK), i))
    return tuple(out)
