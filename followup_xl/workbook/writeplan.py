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
from followup_xl.workbook.typed_over import digest, typed_over
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
    return Decimal(0) if value == 0 else normalized(value)


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
    for i, row in enumerate(result.rows):
        total = row.is_total
        notes += _put_row(w, layout, drift, i, DRIFT_COMPUTED, unit_dec, (
            clean(row.budget) if total else KEEP, clean(row.forecast) if total else KEEP,
            clean(row.previous_forecast) if total else KEEP, clean(row.deviation),
            clean(row.budget_ack), clean(row.actual_ack), clean(row.deviation_ack),
            clean(row.actual_share), clean(row.actual_ack_last_year), clean(row.suggestion),
            clean(row.change)))
    _clear_unread_rows(w, drift, c.COMPUTED_COLUMNS[c.DRIFT])
    if drift.column(c.DRIFT_AVVIKELSE) is None:
        notes.append(Message(Level.VARNING, "Tabellen Drift saknar kolumnen Avvikelse; "
                             "avvikelserna skrivs inte.", Loc(c.DRIFT)))

    atg = layout.table(c.ATGARDER)
    if atg is not None:
        measures = result.plan.measures if result.plan else ()
        for i in range(len(atg.rows)):
            m = measures[i] if i < len(measures) else None
            notes += _put_row(w, layout, atg, i, ATGARDER_COMPUTED, unit_dec, (
                clean(m.full_year) if m else None, clean(m.this_year) if m else None,
                clean(m.workforce_share) if m else None))
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


def _put_row(w: Writes, layout: Layout, table, i: int, columns: tuple[str, ...],
             unit_dec: int, values: tuple) -> list[Message]:
    """Write a row's computed cells (KEEP: not computed in this row) and its
    Kontrollsumma; return Varnings for cells someone typed over (typed_over). In a table
    with a Kontrollsumma the reader knows what every cell of the row holds, so a cell
    that is empty and stays empty is not written at all."""
    digest_cell = table.cell(i, c.KONTROLLSUMMA)
    sheet, held = table.sheet, layout.held
    present, now, written = [], [], []
    for header, value in zip(columns, values):
        cell = table.cell(i, header)
        if cell is None:
            continue
        current = None if value is KEEP else held.get((sheet, cell))
        if value is not KEEP and (value is not None or current is not None
                                  or digest_cell is None):
            w.put(sheet, cell, value)
        present.append(header)
        now.append(current)
        written.append(None if value is KEEP else value)
    if digest_cell is None:
        return []
    notes = typed_over(table.name, i, tuple(present), now, held.get((sheet, digest_cell)),
                       written, unit_dec)
    w.put(sheet, digest_cell, digest(written))
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
    cells = {layout.name(n) for n in c.INPUT_NAMES} - {None}
    totals = {i for i, r in enumerate(result.rows) if r.is_total}
    for table, headers in c.TABLES.items():
        place = layout.table(table)
        if place is None or table in c.OUTPUT_TABLES:
            continue
        for header in headers + c.OPTIONAL_COLUMNS.get(table, ()):
            if header in c.COMPUTED_COLUMNS.get(table, ()):
                continue
            for i in range(len(place.rows)):
                if table == c.DRIFT and i in totals and header in DRIFT_COMPUTED:
                    continue
                cell = place.cell(i, header)
                if cell:
                    cells.add((place.sheet, cell))
    return cells


def _guard_inputs(w: Writes, layout: Layout, result: Result) -> None:
    inputs = input_cells(layout, result)
    for sheet, cells in w.cells.items():
        for cell in cells:
            if (sheet, cell) in inputs:
                raise FollowupError(
                    f"Arbetsboken bryter mot kontraktet: cellen {excel_address(sheet, cell)}"
                    " är både indata och resultat. Flytta namnet eller tabellen så att de "
                    "inte överlappar; inget har skrivits.")
