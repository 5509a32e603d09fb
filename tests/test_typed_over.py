"""A value typed into a cell the program computes is reported when it is replaced, and a
value the program wrote itself that merely went stale is replaced in silence."""

from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st
from openpyxl import load_workbook

from followup_xl.workbook.layout import excel_address
from followup_xl.workbook.typed_over import SLOT, digest, typed_over
from workbooks import EXAMPLE, copy_of, drift_cell, read_values, run, set_cells, table_cell


@pytest.fixture
def computed(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    assert run(capsys, "calc", book)[0] == 0
    return book


def warnings_of(err):
    return [line for line in err.splitlines() if line.startswith("Varning:")]


def test_a_value_typed_into_a_total_row_is_named_with_both_values(computed, capsys):
    cell = drift_cell(computed, "Verksamhetens kostnader", "Budget")
    set_cells(computed, [(cell, -270000)])
    code, _, err = run(capsys, "calc", computed)
    assert code == 0
    (w,) = warnings_of(err)
    assert excel_address(*cell) in w and "-270 000" in w and "-276 500" in w
    assert read_values(computed, cell[0], [cell[1]])[cell[1]] == pytest.approx(-276499.78562)
    # the next run is quiet: the cell holds what the program wrote
    code, out, err = run(capsys, "calc", computed)
    assert code == 0 and not warnings_of(err) and "Kontroll: OK" in out


def test_stale_results_after_changed_inputs_are_replaced_in_silence(computed, capsys):
    set_cells(computed, [(drift_cell(computed, "Lokalhyror", "Budget"), -18416.12),
                         (drift_cell(computed, "Lokalhyror", "Prognos"), -18416.12),
                         (drift_cell(computed, "Kommunbidrag", "Budget"), 246082.4015),
                         (drift_cell(computed, "Kommunbidrag", "Prognos"), 246082.4015)])
    code, _, err = run(capsys, "calc", computed)
    assert code == 0 and not warnings_of(err), err
    cell = drift_cell(computed, "Verksamhetens kostnader", "Budget")
    assert read_values(computed, cell[0], [cell[1]])[cell[1]] == pytest.approx(-277499.78562)


def test_typed_deviations_and_measure_effects_are_named(computed, capsys):
    deviation = drift_cell(computed, "Personalkostnader", "Avvikelse")
    effect = table_cell(computed, "Atgarder", 1, "Helårseffekt")
    set_cells(computed, [(deviation, 5), (effect, "mycket")])
    code, _, err = run(capsys, "calc", computed)
    assert code == 0
    found = warnings_of(err)
    assert len(found) == 2
    assert any(excel_address(*deviation) in w and " 5," in w and "1 000" in w for w in found)
    assert any(excel_address(*effect) in w and "'mycket'" in w and "626" in w for w in found)


def test_a_leaf_turned_into_a_total_reports_its_typed_figures(computed, capsys):
    """'Finansnetto' gets a part of its own: its typed figures become sums."""
    book = computed
    wb = load_workbook(book, keep_vba=True)
    sheet = drift_cell(book, "Finansnetto", "Rad")[0]
    ws, table = wb[sheet], wb[sheet].tables["Drift"]
    first, last = table.ref.split(":")
    row = int(last[1:]) + 1  # the row under the table, which the table is extended to
    headers = [col.name for col in table.tableColumns]
    values = {"Rad": "Räntekostnader", "Ingår i": "Finansnetto", "Budget": -5,
              "Prognos": -6, "Föregående prognos": -6}
    start = ws[first].column
    for header, value in values.items():
        ws.cell(row, start + headers.index(header), value)
    table.ref = f"{first}:{last.rstrip('0123456789')}{row}"
    wb.save(book)
    code, _, err = run(capsys, "calc", book)
    assert code == 0, err
    found = warnings_of(err)
    for column in ("Budget", "Prognos", "Föregående prognos"):
        where = excel_address(*drift_cell(book, "Finansnetto", column))
        assert any(where in w for w in found), (column, found)


def test_digest_slots_and_rounding():
    assert len(digest([D(1), None, "x"])) == 3 * SLOT
    # Excel and LibreOffice re-save doubles: the same number in another spelling matches
    assert digest([D("0.3")]) == digest([0.30000000000000004])
    assert digest([D("-0.0")]) == digest([0]) == digest([-0.0])  # a zero has no sign
    notes = typed_over("Drift", 0, ("Budget",), [D(5)], digest([D(5)]), [D(7)])
    assert notes == []  # the program's own stale value
    notes = typed_over("Drift", 0, ("Budget",), [D(6)], digest([D(5)]), [D(7)])
    assert len(notes) == 1 and notes[0].loc.column == "Budget"


_cell_values = st.one_of(
    st.none(), st.integers(-10**6, 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6,
                max_value=10**6),
    st.sampled_from([D("0"), D("-0"), D("1.0"), D("1"), D("2.50"), D("2.5"), "", " x "]))


@given(st.lists(st.tuples(st.lists(_cell_values, min_size=3, max_size=3),
                          st.lists(_cell_values, min_size=3, max_size=3),
                          st.sampled_from(["", "stale", None])), min_size=1, max_size=6))
def test_what_calc_runs_is_typed_over_and_digest_at_once(rows):
    """The write plan calls checked_row, one memo for a table's rows: its warnings and
    Kontrollsumma are those of typed_over and digest, for every row of a table alike."""
    from followup_xl.workbook.typed_over import checked_row
    columns = ("Avvikelse", "Budget ack", "Utfall ack")
    memo: dict = {}
    for i, (held, new, stored) in enumerate(rows):
        if stored == "stale":
            stored = digest(held)  # the program's own earlier values
        got = checked_row("Drift", i, columns, held, stored, new, 0, memo)
        assert got == (typed_over("Drift", i, columns, held, stored, new, 0), digest(new))
