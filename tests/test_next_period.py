"""Next month from this month's workbook: ``followup-xl ny-period`` on the shipped example,
and the Beräkna button's "Ny period" through xlwings' remote engine.

The file job must change nothing but the cells it writes (every other zip part
byte-identical), carry the forecast into Föregående prognos and Prognoshistorik, compute
the new month exactly as calc does, and refuse without writing anything when the month
cannot be rolled forward."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from followup_xl import contract as c
from followup_xl.doors import excel as xl
from followup_xl.doors.cli import main
from followup_xl.errors import FollowupError, UsageError
from followup_xl.jobs.calc import check
from followup_xl.domain.next_period import next_period_of
from followup_xl.jobs.next_period import plan_next_period
from followup_xl.workbook.layout import excel_address
from followup_xl.workbook.reader import read_from
from followup_xl.workbook.writeplan import input_cells, plan_error_writes, resolve
from followup_xl.workbook.xlsx_file import open_workbook
from remote_payload import alerts, resized_tables, written_cells
from excel_helpers import as_written
from workbooks import (EXAMPLE, cell_values, copy_of, drift_cell, layout_of, load_build_module,
                       name_cell, parts, set_cells, sheet_part, table_part)

build = load_build_module()


def planned(path: Path, period: int | None = None):
    """What ny-period plans for the file: (this or next month's result, plan or None,
    the layout as read)."""
    layout, get = open_workbook(path)

    fu, layout, msgs = read_from(get, layout)
    return (*plan_next_period(get, layout, fu, msgs, period), layout)


def roll(book: Path, new: Path, *args: str) -> int:
    return main(["ny-period", str(book), "-o", str(new), *args])


def drift_rows(path: Path) -> list[dict[str, object]]:
    """The Drift table's rows as {header: cached value}, found through the contract."""
    t = layout_of(path).table(c.DRIFT)
    ws = load_workbook(path, data_only=True)[t.sheet]
    headers = (c.DRIFT_RAD, c.DRIFT_INGAR_I, c.DRIFT_PROGNOS, c.DRIFT_FOREG_PROGNOS)
    return [{h: ws[f"{t.column(h)}{r}"].value for h in headers}
            for r in range(t.first_row, t.last_row + 1)]


def history(path: Path) -> list[tuple]:
    """Prognoshistorik's rows (Period, Rad, Prognos, Utfall ack), empty rows left out."""
    t = layout_of(path).table(c.PROGNOSHISTORIK)
    ws = load_workbook(path, data_only=True)[t.sheet]
    rows = [tuple(ws[f"{t.column(h)}{r}"].value for h in c.TABLES[c.PROGNOSHISTORIK])
            for r in range(t.first_row, t.last_row + 1)]
    return [r for r in rows if any(v is not None for v in r)]


def _comparable(value):
    """A cell's value as openpyxl reads it, with array formulas (objects without
    equality) as their range and text."""
    if isinstance(value, ArrayFormula):
        return ("array", value.ref, value.text)
    return value


def exact(value) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


@pytest.fixture(scope="module")
def june(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ny_period")
    may = copy_of(EXAMPLE, folder, "maj.xlsm")
    _, plan, layout = planned(may)
    new = folder / "juni.xlsm"
    assert roll(may, new) == 0
    return may, new, plan


# --- What the new file holds -----------------------------------------------------------------

def test_every_part_but_the_written_cells_is_byte_identical(june):
    may, new, plan = june
    before, after = parts(may), parts(new)
    assert set(after) == set(before)
    changed = {n for n in before if before[n] != after[n]}
    sheets = {sheet_part(may, s) for s in plan.writes.cells}
    tables = {table_part(may, t) for t in plan.writes.tables}
    assert table_part(may, c.PROGNOSHISTORIK) in tables  # and Rapport, as calc resizes it
    assert sheets | tables <= changed
    assert changed <= sheets | tables | {"xl/sharedStrings.xml", "xl/workbook.xml"}
    calc_pr = re.compile(rb"<calcPr[^>]*/>")  # the writer asks Excel to recompute on open
    assert calc_pr.sub(b"", before["xl/workbook.xml"]) == calc_pr.sub(b"", after["xl/workbook.xml"])


def test_inside_the_sheets_only_the_written_cells_changed(june):
    may, new, plan = june
    written = {(s, cell) for s, cells in plan.writes.cells.items() for cell in cells}
    for data_only in (False, True):
        old, now = (
            {(ws.title, cell.coordinate): _comparable(cell.value)
             for ws in load_workbook(path, data_only=data_only).worksheets
             for row in ws.iter_rows() for cell in row}
            for path in (may, new))
        differ = {k for k in set(old) | set(now) if old.get(k) != now.get(k)}
        assert differ <= written
    # the inputs written are exactly the roll-forward's: Period and the leaves' Föregående
    # prognos (the history's new rows lay below the table, outside every input)
    outcome = check(may)
    inputs = input_cells(outcome.layout, outcome.result)
    drift = outcome.layout.table(c.DRIFT)
    leaves = {(drift.sheet, drift.cell(i, c.DRIFT_FOREG_PROGNOS))
              for i, row in enumerate(outcome.result.rows) if not row.is_total}
    assert written & inputs == {name_cell(may, c.PERIOD)} | leaves


def test_the_new_period_and_the_forecast_carried_into_foregaende_prognos(june):
    may, new, _ = june
    wb = load_workbook(new, data_only=True)
    sheet, cell = name_cell(new, c.PERIOD)
    assert wb[sheet][cell].value == 6
    this_month = check(may).result
    old, now = drift_rows(may), drift_rows(new)
    assert [r[c.DRIFT_RAD] for r in now] == [r[c.DRIFT_RAD] for r in old]
    parents = {r[c.DRIFT_INGAR_I] for r in old}
    for before, after, computed in zip(old, now, this_month.rows, strict=True):
        if before[c.DRIFT_RAD] in parents:  # a total: its Föregående prognos is a sum
            assert exact(after[c.DRIFT_FOREG_PROGNOS]) == computed.forecast
        else:
            assert after[c.DRIFT_FOREG_PROGNOS] == before[c.DRIFT_PROGNOS]
            assert after[c.DRIFT_PROGNOS] == before[c.DRIFT_PROGNOS]  # the economist's


def test_the_new_file_computes_cleanly_and_calc_changes_nothing(june, tmp_path, capsys):
    _, new, _ = june
    again = tmp_path / "juni_beraknad.xlsm"
    assert main(["calc", str(new), "-o", str(again)]) == 0
    assert "Fel:" not in capsys.readouterr().err
    assert cell_values(again) == cell_values(new)


def test_the_summary_says_what_was_rolled_forward(tmp_path, capsys):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    assert roll(may, tmp_path / "juni.xlsm") == 0
    out = capsys.readouterr().out
    assert "Ny period: maj (period 5) är stängd och juni (period 6) är påbörjad" in out
    assert "Föregående prognos på 7 rader har fått majs prognos" in out
    assert "Prognoshistorik har fått 10 rader för maj (nu: april, maj)" in out
    assert "Socialnämnden, uppföljning per juni 2024" in out


def test_three_roll_forwards_give_the_history_of_three_more_periods(tmp_path):
    books = [copy_of(EXAMPLE, tmp_path, "p5.xlsm")]
    for p in (6, 7, 8):
        books.append(tmp_path / f"p{p}.xlsm")
        assert roll(books[-2], books[-1]) == 0
    april = history(EXAMPLE)
    assert {h[0] for h in april} == {4}
    rows = history(books[-1])
    assert rows[:len(april)] == april
    names = [r.name for r in check(books[0]).result.rows]
    for k, period in enumerate((5, 6, 7)):
        part = rows[len(april) + k * len(names):len(april) + (k + 1) * len(names)]
        computed = check(books[k]).result  # the month that was closed
        assert [h[0] for h in part] == [period] * len(names)
        assert [h[1] for h in part] == names
        assert [exact(h[2]) for h in part] == [r.forecast for r in computed.rows]
        assert [exact(h[3]) for h in part] == [r.actual_ack for r in computed.rows]
    assert len(rows) == len(april) + 3 * len(names)
    t = layout_of(books[-1]).table(c.PROGNOSHISTORIK)
    assert t.last_row - t.header_row == len(rows)  # the table holds exactly these rows
    wb = load_workbook(books[-1], data_only=True)
    sheet, cell = name_cell(books[-1], c.PERIOD)
    assert wb[sheet][cell].value == 8


def test_an_empty_history_is_filled_from_its_first_row(tmp_path):
    _, exempel = build.load_sources()
    data = {k: v for k, v in exempel.items() if k != "prognoshistorik"}
    book = build.build_example(tmp_path / "utan_historik.xlsm", data=data)
    before = layout_of(book).table(c.PROGNOSHISTORIK)
    assert before.last_row == before.first_row and history(book) == []
    new = tmp_path / "juni.xlsm"
    assert roll(book, new) == 0
    after = layout_of(new).table(c.PROGNOSHISTORIK)
    rows = history(new)
    assert len(rows) == 10 and {r[0] for r in rows} == {5}
    assert (after.first_row, after.last_row) == (before.first_row, before.first_row + 9)


def test_period_can_be_given(tmp_path):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    new = tmp_path / "aug.xlsm"
    assert roll(may, new, "--period", "8") == 0
    wb = load_workbook(new, data_only=True)
    sheet, cell = name_cell(new, c.PERIOD)
    assert wb[sheet][cell].value == 8
    assert {r[0] for r in history(new)} == {4, 5}


def test_force_overwrites_an_existing_file(tmp_path):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    new = copy_of(EXAMPLE, tmp_path, "juni.xlsm")
    assert roll(may, new, "--force") == 0
    assert {r[0] for r in history(new)} == {4, 5}


# --- Refusals: nothing is written ----------------------------------------------------------------

def _in_history_cell(path: Path, below: int) -> tuple[str, str]:
    t = layout_of(path).table(c.PROGNOSHISTORIK)
    return t.sheet, f"{t.column(c.PH_RAD)}{t.last_row + below}"


REFUSALS = {
    # name: (how the book is changed, extra arguments, exit code, what stderr says)
    "december": (lambda b: [(name_cell(b, c.PERIOD), 12)], (), 1, "året är slut"),
    "december_med_period": (lambda b: [(name_cell(b, c.PERIOD), 12)], ("--period", "12"), 1,
                            "året är slut"),
    "samma_period": (lambda b: [], ("--period", "5"), 2, "måste komma efter"),
    "tidigare_period": (lambda b: [], ("--period", "3"), 2, "måste komma efter"),
    "ingen_manad": (lambda b: [], ("--period", "13"), 2, "Perioden 13 är ingen månad"),
    "utan_period": (lambda b: [(name_cell(b, c.PERIOD), None)], (), 1, "Period"),
    "redan_stangd": (lambda b: [(name_cell(b, c.PERIOD), 4)], (), 1,
                     "redan rader för period 4"),
    "indatafel": (lambda b: [(drift_cell(b, "Lokalhyror", c.DRIFT_BUDGET), "sjuttontusen")],
                  (), 1, lambda b: excel_address(*drift_cell(b, "Lokalhyror", c.DRIFT_BUDGET))),
    "nagot_under_historiken": (lambda b: [(_in_history_cell(b, 3), "anteckning")], (), 1,
                               lambda b: excel_address(*_in_history_cell(b, 3))),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_write_nothing(case, tmp_path, capsys):
    change, args, code, said = REFUSALS[case]
    book = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    set_cells(book, change(book))
    before = book.read_bytes()
    new = tmp_path / "ny.xlsm"
    assert roll(book, new, *args) == code
    err = capsys.readouterr().err
    assert (said(book) if callable(said) else said) in err, err
    assert not new.exists()
    assert book.read_bytes() == before
    assert list(tmp_path.iterdir()) == [book]  # no temporary file left behind either


def test_input_errors_are_listed_with_their_cells(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    where = drift_cell(book, "Lokalhyror", c.DRIFT_BUDGET)
    set_cells(book, [(where, "sjuttontusen")])
    assert roll(book, tmp_path / "juni.xlsm") == 1
    err = capsys.readouterr().err
    assert f"Fel: {excel_address(*where)}:" in err
    assert "Ingen ny period är skriven: arbetsboken har 1 fel" in err


def test_an_existing_output_needs_force(tmp_path, capsys):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    new = tmp_path / "juni.xlsm"
    new.write_bytes(b"annat")
    assert roll(may, new) == 1
    assert "finns redan" in capsys.readouterr().err
    assert new.read_bytes() == b"annat"


def test_the_output_is_never_this_months_file(tmp_path, capsys):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    before = may.read_bytes()
    assert roll(may, may, "--force") == 2
    assert roll(may, tmp_path / "juni.xlsx") == 2
    assert may.read_bytes() == before
    assert "kan inte skrivas över" in capsys.readouterr().err


LEDGER = EXAMPLE.with_name("exempel_huvudbok.se")  # the example's ledger (with the import)


def test_import_brings_the_new_months_ledger_into_the_new_file(tmp_path, capsys):
    may = copy_of(EXAMPLE, tmp_path, "maj.xlsm")
    new = tmp_path / "juni.xlsm"
    assert roll(may, new, "--import", str(LEDGER)) == 0
    out = capsys.readouterr().out
    assert "juni (period 6) är påbörjad" in out and LEDGER.name in out
    wb = load_workbook(new, data_only=True)
    sheet, cell = name_cell(new, c.PERIOD)
    assert wb[sheet][cell].value == 6
    sheet, cell = name_cell(new, c.IMPORT_FILER)
    assert LEDGER.name in wb[sheet][cell].value
    assert {r[0] for r in history(new)} == {4, 5}
    again = tmp_path / "juni_beraknad.xlsm"
    assert main(["calc", str(new), "-o", str(again)]) == 0
    # calc computes what the import computed; only the import's own notes leave Kontroll
    kontroll = layout_of(new).table(c.KONTROLL).sheet

    def results(path):
        return {k: v for k, v in cell_values(path).items() if k[0] != kontroll}
    assert results(again) == results(new)


@given(st.integers(1, 12), st.one_of(st.none(), st.integers(-2, 15)))
def test_the_next_period_is_after_this_one_and_in_the_year(closed, period):
    try:
        new = next_period_of(closed, period)
    except UsageError:
        assert closed < 12 and period is not None and not closed < period <= 12
    except FollowupError:
        assert closed == 12
    else:
        assert closed < new <= 12
        assert new == (closed + 1 if period is None else period)


# --- The button: Knappen = Ny period, through xlwings' remote engine -------------------------------

def example_with(tmp_path: Path, name: str, **settings) -> Path:
    """The example built from its sources with other settings on Inställningar."""
    _, exempel = build.load_sources()
    data = dict(exempel, installningar={**exempel["installningar"], **settings})
    return build.build_example(tmp_path / name, data=data)


def test_the_button_rolls_the_open_workbook_forward(remote, tmp_path):
    path = example_with(tmp_path, "maj.xlsm", Knappen=c.NY_PERIOD)
    _, plan, layout = planned(path)
    book = remote(path)
    run = xl.berakna(book)
    plan.writes.put(*name_cell(path, c.KNAPPEN), c.BERAKNA)  # the option is reset
    assert written_cells(book) == as_written(plan.writes)
    assert resized_tables(book) == plan.writes.tables
    assert run.level == plan.result.status == "Varningar"
    assert run.reports == resolve(plan.result.messages, layout)
    (alert,) = alerts(book)
    assert alert["prompt"] == run.text and alert["mode"] == "info"
    assert run.sentence.startswith("Juni (period 6) är påbörjad i den öppna arbetsboken")
    assert "Spara nu arbetsboken under junis namn (Arkiv › Spara som)" in run.sentence
    assert "Kontroll har 1 varning för juni." in run.sentence


def test_the_button_writes_what_ny_period_writes_into_the_file(remote, tmp_path):
    """The click's cells are the cells in which the file job's new file differs."""
    path = example_with(tmp_path, "maj.xlsm", Knappen=c.NY_PERIOD)
    new = tmp_path / "juni.xlsm"
    assert roll(path, new) == 0
    book = remote(path)
    xl.berakna(book)
    clicked = written_cells(book)
    old, now = cell_values(path), cell_values(new)
    for key in set(old) | set(now):
        if old.get(key) != now.get(key):
            sheet, cell = key
            assert clicked[sheet][cell] == now[key], key
    sheet, cell = name_cell(path, c.KNAPPEN)
    assert clicked[sheet][cell] == c.BERAKNA and now[(sheet, cell)] == c.NY_PERIOD


def test_the_button_refuses_december_and_writes_nothing(remote, tmp_path):
    path = example_with(tmp_path, "dec.xlsm", Knappen=c.NY_PERIOD, Period=12)
    book = remote(path)
    run = xl.berakna(book)
    assert written_cells(book) == {} and resized_tables(book) == {}
    assert run.level == "Avbrutet"
    assert run.sentence.startswith("Ingen ny period är påbörjad: Perioden är 12 (december)")
    assert alerts(book)[0]["mode"] == "critical"


def test_the_button_shows_input_errors_in_kontroll_only(remote, tmp_path):
    path = example_with(tmp_path, "maj.xlsm", Knappen=c.NY_PERIOD)
    where = drift_cell(path, "Lokalhyror", c.DRIFT_BUDGET)
    set_cells(path, [(where, "sjuttontusen")])
    result, plan, layout = planned(path)
    assert plan is None
    book = remote(path)
    run = xl.berakna(book)
    assert written_cells(book) == as_written(plan_error_writes(result.messages, layout))
    assert run.sentence == ("Ingen ny period är påbörjad: indata har 1 fel, se bladet "
                            "Kontroll.")
    assert excel_address(*where) in run.text


def test_an_unknown_choice_in_knappen_stops_before_writing(remote, tmp_path):
    path = example_with(tmp_path, "maj.xlsm", Knappen="Nästa månad")
    book = remote(path)
    run = xl.berakna(book)
    assert written_cells(book) == {}
    sheet, cell = name_cell(path, c.KNAPPEN)
    assert run.sentence == (f"Inget har beräknats: Valet i Knappen 'Nästa månad' finns inte. "
                            f"Välj 'Beräkna' eller 'Ny period' i cellen {sheet}!{cell}.")


class _AutoSaving:
    """Desktop Excel's Book as Windows shows it with AutoSave on (the remote engine has
    no AutoSave): ``api.AutoSaveOn`` is True; everything else is the real remote Book."""

    class _Api:
        AutoSaveOn = True

    def __init__(self, book):
        self._book = book
        self.api = self._Api()

    def __getattr__(self, name):
        return getattr(self._book, name)


def test_with_autosave_on_the_button_refuses(remote, tmp_path):
    path = example_with(tmp_path, "maj.xlsm", Knappen=c.NY_PERIOD)
    book = remote(path)
    run = xl.berakna(_AutoSaving(book))
    assert written_cells(book) == {}
    assert run.sentence.startswith("Ingen ny period är påbörjad: AutoSpara är på")


def test_the_template_offers_the_two_choices():
    """The template's Knappen cell: Beräkna by default, a list of the two choices."""
    path = build.HERE / build.TEMPLATE_NAME
    wb = load_workbook(path)
    sheet, cell = name_cell(path, c.KNAPPEN)
    assert wb[sheet][cell].value == c.BERAKNA
    (dv,) = [dv for dv in wb[sheet].data_validations.dataValidation if cell in dv.sqref]
    assert dv.type == "list" and dv.formula1 == '"Beräkna,Ny period"'
