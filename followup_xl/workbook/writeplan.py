"""Turn a computed :class:`Result` into cell writes, through the workbook contract.

``plan_writes`` decides *what* goes *where* (sheet, cell, value) and nothing else; the
file writer (:mod:`followup_xl.xlsx.patch`) or a live Excel (the button) carries it out.
It writes only computed cells: total rows' Budget and Prognos, every Avvikelse, the
computed columns of Atgarder, the output names, Kontroll_Status and the Kontroll table.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from decimal import Decimal


from followup_xl import contract as c
from followup_xl.errors import FollowupError
from followup_xl.domain.model import Level, Loc, Message, Result, status_of
from followup_xl.workbook.layout import Layout, excel_address
from followup_xl.workbook.typed_over import checked_row
from followup_xl.xlsx.cellref import parse_range, range_text
from followup_xl.domain.swedish import normalized, unit_decimals

Value = Decimal | int | str | None


@dataclass(frozen=True)
class Report:
    """One Kontroll line, resolved to a cell."""

    level: str
    sheet: str
    cell: str
    text: str

    @property
    def address(self) -> str:
        return excel_address(self.sheet, self.cell)

    def __str__(self) -> str:
        where = f"{self.address}: " if self.sheet else ""
        return f"{self.level}: {where}{self.text}"


@dataclass
class Writes:
    cells: dict[str, dict[str, Value]] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)  # table name -> new ref

    def put(self, sheet: str, cell: str, value: Value) -> None:
        self.cells.setdefault(sheet, {})[cell] = value


def resolve(messages: list[Message] | tuple[Message, ...], layout: Layout) -> list[Report]:
    """Messages with their cell addresses, errors first, in a stable order."""
    order = {Level.FEL: 0, Level.VARNING: 1, Level.INFO: 2}
    out = []
    for m in sorted(messages, key=lambda m: order[m.level]):
        sheet, cell = layout.address(m.loc)
        out.append(Report(m.level.value, sheet, cell, m.text))
    return out


def clean(value: Decimal | None) -> Decimal | None:
    """An exact Decimal without trailing zeros (3676.230 -> 3676.23, 4500.00 -> 4500),
    and never a negative zero."""
    if value is None:
        return None
    return _ZERO if value == 0 else normalized(value)


_ZERO = Decimal(0)


def plan_writes(result: Result, layout: Layout, report: list[str] | None = None
                ) -> tuple[Writes, list[Message]]:
    """What to write for a result without Fel; ``report`` is the text report's
    paragraphs for the Rapport sheet (None: the Rapport table is left as it is). Returns
    the writes and any messages about parts of the contract the workbook lacks (they go
    to Kontroll too)."""
    if not result.ok:
        raise ValueError("a result with errors is never written")
    w = Writes()
    notes: list[Message] = []

    drift = layout.table(c.DRIFT)
    unit_dec = unit_decimals(result.settings.unit)
    notes += _put_rows_computed(w, layout, drift, DRIFT_COMPUTED, unit_dec, [(
        clean(row.budget) if row.is_total else KEEP,
        clean(row.forecast) if row.is_total else KEEP,
        clean(row.previous_forecast) if row.is_total else KEEP, clean(row.deviation),
        clean(row.budget_ack), clean(row.actual_ack), clean(row.deviation_ack),
        clean(row.actual_share), clean(row.actual_ack_last_year), clean(row.suggestion),
        clean(row.change)) for row in result.rows])
    _clear_unread_rows(w, drift, c.COMPUTED_COLUMNS[c.DRIFT])
    if drift.column(c.DRIFT_AVVIKELSE) is None:
        notes.append(Message(Level.VARNING, "Tabellen Drift saknar kolumnen Avvikelse; "
                             "avvikelserna skrivs inte.", Loc(c.DRIFT)))

    atg = layout.table(c.ATGARDER)
    if atg is not None:
        measures = result.plan.measures if result.plan else ()
        notes += _put_rows_computed(w, layout, atg, ATGARDER_COMPUTED, unit_dec, [
            (clean(m.full_year), clean(m.this_year), clean(m.workforce_share))
            if m else (None, None, None)
            for m in (measures[i] if i < len(measures) else None
                      for i in range(len(atg.rows)))])
        _clear_unread_rows(w, atg, c.COMPUTED_COLUMNS[c.ATGARDER])

    buf, st, plan = result.buffer, result.structural, result.plan
    outputs: dict[str, Value] = {
        c.BUFFERT_BELOPP: clean(buf.amount) if buf else None,
        c.BUFFERT_KVAR: clean(buf.left) if buf else None,
        c.BUFFERT_TACKNING: clean(buf.coverage) if buf else None,
        c.STRUKTURELLT_BELOPP: clean(st.deficit) if st else None,
        c.STRUKTURELLT_ANDEL: clean(st.share) if st else None,
        c.ATGARDER_HELARSEFFEKT: clean(plan.full_year) if plan else None,
        c.ATGARDER_EFFEKT_I_AR: clean(plan.this_year) if plan else None,
        c.ATGARDER_TACKNING: clean(plan.coverage) if plan else None,
        c.ATGARDER_KVAR: clean(plan.uncovered) if plan else None,
        c.BALANS_AR: plan.balance_year if plan else None,
        c.RIKTPUNKT: clean(result.riktpunkt),
    }
    for name, value in outputs.items():
        place = layout.name(name)
        if place is None:
            if value is not None:
                notes.append(Message(Level.VARNING, f"Namnet '{name}' saknas i arbetsboken, "
                                     "så det resultatet skrivs inte.", None))
            continue
        w.put(*place, value)

    messages = list(result.messages) + notes
    _put_status(w, layout, messages)
    put_rows(w, layout, c.KONTROLL, kontroll_rows(resolve(messages, layout)))
    put_rows(w, layout, c.PROGNOSSAKERHET, [
        (a.period, clean(a.forecast), clean(a.outcome), clean(a.error), clean(a.share))
        for a in result.accuracy])
    if report is not None and layout.table(c.RAPPORT) is not None:
        put_rows(w, layout, c.RAPPORT, [(line,) for line in sheet_lines(report)])
    _guard_inputs(w, layout, result)
    return w, notes


REPORT_LINE_WIDTH = 90  # characters per row of the Rapport sheet


def sheet_lines(paragraphs: list[str]) -> list[str | None]:
    """The report's paragraphs as sheet rows: wrapped at word boundaries so that every
    row fits the column in any spreadsheet client (no row heights needed), with an empty
    row between paragraphs."""
    lines: list[str | None] = []
    for paragraph in paragraphs:
        if lines:
            lines.append(None)
        lines += textwrap.wrap(paragraph, REPORT_LINE_WIDTH, break_long_words=False) or [""]
    return lines


def plan_error_writes(messages, layout: Layout) -> Writes:
    """For a live workbook whose input has errors (the Excel button): only Kontroll and
    Kontroll_Status, so the economist sees every error with its cell. The headless run
    writes nothing at all in that case."""
    w = Writes()
    _put_status(w, layout, messages)
    put_rows(w, layout, c.KONTROLL, kontroll_rows(resolve(messages, layout)))
    return w


def _put_status(w: Writes, layout: Layout, messages) -> None:
    place = layout.name(c.KONTROLL_STATUS)
    if place:
        w.put(*place, status_of(messages))


# The computed cells of a row, in the order their hashes stand in Kontrollsumma. On a
# Drift leaf row Budget, Prognos and Föregående prognos are inputs: KEEP leaves them.
DRIFT_COMPUTED = c.TOTAL_COLUMNS[c.DRIFT] + (c.DRIFT_AVVIKELSE,) + c.MONTHLY_COLUMNS
ATGARDER_COMPUTED = (c.ATG_HELARSEFFEKT, c.ATG_EFFEKT_I_AR, c.ATG_ANDEL)
KEEP = object()


def _put_rows_computed(w: Writes, layout: Layout, table, columns: tuple[str, ...],
                       unit_dec: int, rows: list[tuple]) -> list[Message]:
    """Write the computed cells of each table row (``rows[i]``: row i's values in the
    order of ``columns``; KEEP: not computed in this row) and its Kontrollsumma; return
    Varnings for cells someone typed over (typed_over). In a table with a Kontrollsumma
    the reader knows what every cell of the row holds, so a cell that is empty and stays
    empty is not written at all. The cells are written row by row, each row's in column
    order and its Kontrollsumma last."""
    sheet, held = table.sheet, layout.held
    here = [(k, header, table.column_cells(header)) for k, header in enumerate(columns)]
    here = [(k, header, cells) for k, header, cells in here if cells is not None]
    present = tuple(header for _, header, _ in here)
    digests = table.column_cells(c.KONTROLLSUMMA)
    notes: list[Message] = []
    memo: dict = {}  # the values' canonical forms, for the Kontrollsumma
    out = None  # the sheet's writes, from the first one
    for i, values in enumerate(rows[:len(table.rows)]):  # a row the table lacks has no cells
        digest_cell = digests[i] if digests else None
        now, written = [], []
        for k, header, cells in here:
            value = values[k]
            if value is KEEP:
                now.append(None)
                written.append(None)
                continue
            current = held.get((sheet, cells[i]))
            if value is not None or current is not None or digest_cell is None:
                if out is None:
                    out = w.cells.setdefault(sheet, {})
                out[cells[i]] = value
            now.append(current)
            written.append(value)
        if digest_cell is None:
            continue
        typed, row_digest = checked_row(table.name, i, present, now,
                                        held.get((sheet, digest_cell)), written, unit_dec,
                                        memo)
        notes += typed
        if out is None:
            out = w.cells.setdefault(sheet, {})
        out[digest_cell] = row_digest
    return notes


def _clear_unread_rows(w: Writes, table, headers: tuple[str, ...]) -> None:
    """A table row whose inputs were all emptied is skipped by the reader: clear its
    computed cells too, so no number from an earlier run stays behind."""
    read = set(table.rows)
    for r in range(table.first_row, table.data_end + 1):
        if r not in read:
            for header in headers:
                col = table.column(header)
                if col:
                    w.put(table.sheet, f"{col}{r}", None)


def kontroll_rows(reports: list[Report]) -> list[tuple]:
    return [(r.level, r.sheet or None, r.cell or None, r.text) for r in reports]


def refuse_totals_row(place) -> None:
    """A table the program writes rows into may not end in a totals row (FollowupError)."""
    if parse_range(place.ref)[2] != place.last_row:
        raise FollowupError(f"Tabellen {place.name} på bladet '{place.sheet}' har en "
                            "summarad. Ta bort summaraden, så att programmet kan skriva i "
                            "tabellen.")


def put_rows(w: Writes, layout: Layout, table: str, rows: list[tuple]) -> None:
    """Fill an output table (Kontroll, Rapport) from its first data row, one tuple per
    row in the contract's column order; it grows or shrinks (at least one row), and the
    cells of rows it no longer covers are cleared."""
    place = layout.table(table)
    if place is None:
        return
    min_row, min_col, _, max_col = parse_range(place.ref)
    refuse_totals_row(place)
    new_last = place.header_row + max(1, len(rows))
    headers = c.TABLES[table]
    for n, r in enumerate(range(place.first_row, max(new_last, place.data_end) + 1)):
        values = rows[n] if n < len(rows) else (None,) * len(headers)
        for header, value in zip(headers, values):
            col = place.column(header)
            if col:
                w.put(place.sheet, f"{col}{r}", value)
    ref = range_text(min_row, min_col, new_last, max_col)
    if ref != place.ref:
        w.tables[place.name] = ref


def input_cells(layout: Layout, result: Result) -> set[tuple[str, str]]:
    """Every cell the economist types into, as read: the program never writes these."""
    return {(sheet, cell) for sheet, cells in _input_cells_by_sheet(layout, result).items()
            for cell in cells}


def _input_cells_by_sheet(layout: Layout, result: Result,
                          letters: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """:func:`input_cells` as the cells of each sheet; with ``letters``, only the table
    columns whose letter is among the sheet's ``letters`` (a cell of any other column
    cannot be one of those)."""
    out: dict[str, set[str]] = {}
    for n in c.INPUT_NAMES:
        place = layout.name(n)
        if place is not None:
            out.setdefault(place[0], set()).add(place[1])
    totals = {i for i, r in enumerate(result.rows) if r.is_total}
    for table, headers in c.TABLES.items():
        place = layout.table(table)
        if place is None or table in c.OUTPUT_TABLES:
            continue
        wanted = None if letters is None else letters.get(place.sheet, set())
        for header in headers + c.OPTIONAL_COLUMNS.get(table, ()):
            if header in c.COMPUTED_COLUMNS.get(table, ()):
                continue
            if wanted is not None and place.column(header) not in wanted:
                continue
            cells = place.column_cells(header)
            if not cells:
                continue
            if table == c.DRIFT and header in DRIFT_COMPUTED:  # computed on total rows
                cells = [cell for i, cell in enumerate(cells) if i not in totals]
            out.setdefault(place.sheet, set()).update(cells)
    return out


_DIGITS = "0123456789"


def _guard_inputs(w: Writes, layout: Layout, result: Result) -> None:
    """Refuse (FollowupError) a plan that writes a cell the economist types into. Only
    the input columns of the letters written on each sheet are looked at: a cell is its
    column's letters and its row's digits."""
    letters = {sheet: {cell.rstrip(_DIGITS) for cell in cells}
               for sheet, cells in w.cells.items()}
    inputs = _input_cells_by_sheet(layout, result, letters)
    for sheet, cells in w.cells.items():
        typed = inputs.get(sheet)
        if not typed or typed.isdisjoint(cells):
            continue
        for cell in cells:
            if cell in typed:
                raise FollowupError(
                    f"Arbetsboken bryter mot kontraktet: cellen {excel_address(sheet, cell)}"
                    " är både indata och resultat. Flytta namnet eller tabellen så att de "
                    "inte överlappar; inget har skrivits.")
