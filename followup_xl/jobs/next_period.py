"""Next month's workbook from this month's: what ``followup-xl ny-period`` and the Excel
button's "Ny period" run.

Closing a month carries three things into the next (:mod:`followup_xl.domain.next_period`),
all of them into cells the economist otherwise types (so they are written here, past the
input guard of :func:`~followup_xl.workbook.writeplan.plan_writes`, which keeps guarding
everything else):

* ``Period`` becomes the new month (default: one more);
* each leaf row's ``Föregående prognos`` becomes this month's ``Prognos`` (total rows'
  Föregående prognos is a sum, computed and written like every total);
* table ``Prognoshistorik`` gains this month's forecast: one row per Drift row, leaves and
  totals in Drift order, with Period, Rad, the computed Prognos and the computed Utfall
  ack (empty without actuals). The table grows downwards, over empty cells only.

The new month is then computed exactly as ``calc`` computes it (results, Kontroll,
Kontrollsumma, Rapport), and everything goes into the new file in one atomic write
through the lossless writer. What the economist owns (Prognos, Kommentar, the action
plan, Utfall …) stays as it was, for them to update.

Refusals (a Swedish :class:`~followup_xl.errors.FollowupError`, nothing written): no
Period, Period 12, a new period not after this one, a month already in the history, a
workbook without the Föregående prognos column or the Prognoshistorik table, something
in the way below the history. Input errors in this month's workbook come back as an
outcome with the errors, and nothing is written either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence


from followup_xl import contract as c
from followup_xl.domain.engine import compute
from followup_xl.domain.model import FollowUp, Message, Result
from followup_xl.domain.next_period import RollForward, roll_forward
from followup_xl.errors import FollowupError, UsageError
from followup_xl.jobs.calc import Outcome, check_same_suffix, plan_results
from followup_xl.workbook.layout import Layout, excel_address
from followup_xl.workbook.reader import read_from
from followup_xl.workbook.writeplan import Writes, clean, refuse_totals_row, resolve
from followup_xl.workbook.xlsx_file import open_workbook
from followup_xl.xlsx.cellref import parse_range, range_text, ref_text
from followup_xl.xlsx.patch import patch_workbook
from followup_xl.xlsx.safefile import check_not_open, exclusive

Get = Callable[[str, str], object]


# --- Planning the writes -----------------------------------------------------------------------

@dataclass
class Plan:
    """The new month: what was rolled forward, its computed result and every write."""

    roll: RollForward
    result: Result
    writes: Writes


def plan_next_period(get: Get, layout: Layout, fu: FollowUp, read_msgs: list[Message],
                     period: int | None = None) -> tuple[Result, Plan | None]:
    """This month's computed result, and the plan of the new month (None when this
    month's input has errors, or the new month's). ``get(sheet, cell)`` reads the open
    workbook (to see that the history can grow). Raises FollowupError for refusals."""
    this = compute(fu, read_msgs)
    if not this.ok:
        return this, None
    _check_places(layout)
    roll = roll_forward(fu, this, period)
    history = _grow_history(layout, get, len(roll.history))
    result = compute(roll.followup, read_msgs)
    if not result.ok:
        return result, None
    result, writes = plan_results(result, layout)  # guarded: computed cells only
    writes.put(*layout.name(c.PERIOD), roll.period)
    drift = layout.table(c.DRIFT)
    for i, value in roll.previous.items():
        writes.put(drift.sheet, drift.cell(i, c.DRIFT_FOREG_PROGNOS), clean(value))
    first = len(history.rows) - len(roll.history)  # the appended rows are the last ones
    for k, h in enumerate(roll.history):
        for header, value in zip(c.TABLES[c.PROGNOSHISTORIK],
                                 (h.period, h.name, clean(h.forecast), clean(h.actual_ack))):
            writes.put(history.sheet, history.cell(first + k, header), value)
    if history.ref != layout.table(c.PROGNOSHISTORIK).ref:
        writes.tables[history.name] = history.ref
    layout.tables[c.PROGNOSHISTORIK.casefold()] = history
    return result, Plan(roll, result, writes)


def _check_places(layout: Layout) -> None:
    drift = layout.table(c.DRIFT)
    if drift.column(c.DRIFT_FOREG_PROGNOS) is None:
        raise FollowupError("Tabellen Drift saknar kolumnen 'Föregående prognos', dit "
                            "månadens prognos ska flyttas. Lägg till kolumnen i Drift (eller "
                            "flytta in uppgifterna i den nuvarande mallen) och kör igen.")
    if layout.table(c.PROGNOSHISTORIK) is None:
        raise FollowupError("Arbetsboken saknar tabellen Prognoshistorik, där månadens "
                            "prognos sparas. Flytta in uppgifterna i den nuvarande mallen "
                            "(uppfoljning.xlsm), eller skapa en Excel-tabell Prognoshistorik "
                            "med kolumnerna " + ", ".join(c.TABLES[c.PROGNOSHISTORIK]) + ".")


def _grow_history(layout: Layout, get: Get, n: int):
    """Prognoshistorik's place with ``n`` more rows after its last row with content: empty
    rows at its end are used first, then it grows over cells that must be empty."""
    place = layout.table(c.PROGNOSHISTORIK)
    min_row, min_col, _, max_col = parse_range(place.ref)
    refuse_totals_row(place)
    start = max(place.rows) + 1 if place.rows else place.first_row
    last = start + n - 1
    for r in range(place.last_row + 1, last + 1):
        for col in range(min_col, max_col + 1):
            cell = ref_text(r, col)
            if get(place.sheet, cell) not in (None, "") or \
                    (place.sheet, cell) in layout.formulas:
                raise FollowupError(
                    f"Tabellen {c.PROGNOSHISTORIK} behöver växa till rad {last}, men cellen "
                    f"{excel_address(place.sheet, cell)} under den är inte tom. Flytta det som "
                    "står under tabellen, så att inget skrivs över, och kör igen.")
    new_last = max(last, place.last_row)
    return replace(place, ref=range_text(min_row, min_col, new_last, max_col), last_row=new_last,
                   rows=place.rows + tuple(range(start, last + 1)))


# --- The file job --------------------------------------------------------------------------------

@dataclass(frozen=True)
class NextPeriodOutcome(Outcome):
    closed: int | None = None  # this month's period (closed)
    period: int | None = None  # the new month's
    carried: int = 0  # leaf rows whose Föregående prognos was written
    history_rows: int = 0  # rows appended to Prognoshistorik
    history_periods: tuple[int, ...] = ()  # the periods Prognoshistorik now holds
    imported: Outcome | None = None  # the new month's ledger imported into ``written``


def next_period(book: Path, out: Path, *, period: int | None = None, backup: bool = False,
                force: bool = False, ledgers: Sequence[Path] = ()) -> NextPeriodOutcome:
    """Write next month's workbook ``out`` from this month's ``book`` (which is only
    read), then import ``ledgers`` into it (the new month's actuals; it is computed
    again). Refuses an existing ``out`` unless ``force`` (which also skips the check that
    the files are not open in Excel or LibreOffice)."""
    rolled = _roll(book, out, period, backup, force)
    if not ledgers or rolled.written is None:
        return rolled
    from followup_xl.jobs.import_ledger import import_ledger  # (numpy only when asked)
    return replace(rolled, imported=import_ledger(out, ledgers, force=force))


def _roll(book: Path, out: Path, period: int | None, backup: bool, force: bool
          ) -> NextPeriodOutcome:
    book, out = Path(book), Path(out)
    check_same_suffix(book, out)
    if out.resolve() == book.resolve():
        raise UsageError("Nästa månads arbetsbok kan inte skrivas över den här månadens. "
                         "Ange ett nytt filnamn med -o, t.ex. med nästa månads namn.")
    if out.exists() and not force:
        raise FollowupError(f"Filen '{out}' finns redan. Välj ett annat namn, eller ange "
                            "--force för att skriva över den.")
    if not force:
        check_not_open(book)
    with exclusive(out):
        layout, get = open_workbook(book)

        fu, layout, read_msgs = read_from(get, layout)
        result, plan = plan_next_period(get, layout, fu, read_msgs, period)
        if plan is None:
            return NextPeriodOutcome(result, layout, resolve(result.messages, layout), None,
                                     closed=fu.settings.period)
        if out.exists() and not force:  # appeared while we read
            raise FollowupError(f"Filen '{out}' finns redan. Inget har skrivits.")
        patch_workbook(book, out, plan.writes.cells, plan.writes.tables, backup=backup)
        roll = plan.roll
        return NextPeriodOutcome(
            plan.result, layout, resolve(plan.result.messages, layout), out,
            closed=roll.closed, period=roll.period, carried=len(roll.previous),
            history_rows=len(roll.history),
            history_periods=tuple(sorted({h.period for h in roll.followup.history})))
