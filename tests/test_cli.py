"""The headless run end to end on real workbook files: the example reproduces the seed,
bad input is refused with a Swedish, cell-addressed message and the file untouched."""

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from followup_xl.workbook.layout import excel_address
from followup_xl.workbook.reader import read_followup
from followup_xl.domain.swedish import format_number, format_percent, round_half_away
from excel_helpers import build_workbook
from seed import COSTS, NET, RESULT, SEED_PRINTED
from workbooks import (EXAMPLE, TEMPLATE, assert_only_kontroll_changed, cell_values, copy_of,
                       drift_cell, kontroll_rows, layout_of, name_cell, parts, read_values,
                       run, set_cells, table_cell)


def named_values(path):
    layout = layout_of(path)
    wb = load_workbook(path, data_only=True)
    return {name: wb[s][c].value for name, (s, c) in
            ((n, layout.name(n)) for n in [
                "Buffert_Belopp", "Buffert_Kvar", "Buffert_Tackning", "Strukturellt_Belopp",
                "Strukturellt_Andel", "Atgarder_Helarseffekt", "Atgarder_EffektIAr",
                "Atgarder_Tackning", "Atgarder_Kvar", "Balans_Ar", "Kontroll_Status"])}


def test_example_computed_shows_every_figure_of_the_seed(tmp_path, capsys):
    out_path = tmp_path / "beraknad.xlsm"
    code, out, err = run(capsys, "calc", copy_of(EXAMPLE, tmp_path), "-o", out_path)
    assert code == 0, err
    wb = load_workbook(out_path, data_only=True)
    # the Drift sheet, rounded to whole tkr as its number format shows it, is the seed's
    # printed table figure for figure: rows and totals alike
    shown = {}
    for name in SEED_PRINTED:
        cells = [drift_cell(out_path, name, col) for col in ("Budget", "Prognos", "Avvikelse")]
        shown[name] = tuple(int(round_half_away(D(str(wb[s][c].value)))) for s, c in cells)
    assert shown == SEED_PRINTED
    v = named_values(out_path)
    assert format_number(D(str(v["Buffert_Belopp"]))) == "3 676" and v["Buffert_Kvar"] < 0.01
    assert format_percent(D(str(v["Strukturellt_Andel"]))) == "1,8 %"
    assert v["Atgarder_Helarseffekt"] == 4500 and v["Balans_Ar"] == 2025
    assert v["Kontroll_Status"] == "OK"  # no Varning: nothing for a newcomer to wonder at
    assert "Varning" not in err
    shares = [wb[s][c].value for s, c in (table_cell(out_path, "Atgarder", i,
                                          "Andel av arbetsstyrkan") for i in (1, 2))]
    assert [format_percent(D(str(x))) for x in shares] == ["1,3 %", "1,4 %"]
    assert "-3 000" in out and "-245 082" in out and "2025" in out


def test_the_seeds_rounded_integers_still_report_the_rounding_difference(tmp_path, capsys):
    """Typed as the report prints them, the rows add up to -245 083 and a result of -1:
    the computation says it is an avrundningsdifferens, on the console and in Kontroll."""
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, [(drift_cell(book, name, col), value)
                     for name, (budget, forecast, _) in SEED_PRINTED.items()
                     if name not in (COSTS, NET, RESULT)
                     for col, value in (("Budget", budget), ("Prognos", forecast),
                                        ("Föregående prognos", forecast))]
              + [(name_cell(book, "Buffert_Intecknat"), 3676.23)])
    code, out, err = run(capsys, "calc", book)
    assert code == 0, err
    assert "avrundning" in err and "Drift!" in err
    s, c = table_cell(book, "Kontroll", 0, "Meddelande")
    assert "avrundning" in read_values(book, s, [c])[c]
    assert "-245 083" in out


def test_json_prints_every_result(tmp_path, capsys):
    code, out, _ = run(capsys, "calc", copy_of(EXAMPLE, tmp_path), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "OK"
    assert data["buffert"]["belopp"] == 3676.2360225  # 1,5 % of 245 082,4015 exactly
    assert data["handlingsplan"]["balans_ar"] == 2025
    assert data["handlingsplan"]["helarseffekt"] == 4500
    assert [r["avvikelse"] for r in data["drift"]][:5] == [0, 1000, 0, -4000, 0]
    assert data["resultat"] == {"budget": 0, "prognos": -3000}
    assert data["meddelanden"] == []


def _inputs(fu):
    """The follow-up's inputs without what the program writes on total rows."""
    parents = {r.parent for r in fu.rows if r.parent}
    return replace(fu, rows=tuple(
        replace(r, budget=None, forecast=None, previous_forecast=None)
        if r.name in parents else r for r in fu.rows))


def test_in_place_run_never_writes_an_input_cell(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    fu_before, layout, _ = read_followup(book)
    assert run(capsys, "calc", book)[0] == 0
    fu_after, _, _ = read_followup(book)
    assert _inputs(fu_after) == _inputs(fu_before)  # every input as it was
    # and a second run is stable
    before = book.read_bytes()
    assert run(capsys, "calc", book)[0] == 0
    assert book.read_bytes() == before


def test_template_computes_with_empty_inputs(tmp_path, capsys):
    code, _, err = run(capsys, "calc", copy_of(TEMPLATE, tmp_path))
    assert code == 0, err
    assert "Info" in err


@pytest.mark.parametrize("convention,unit,rows", [
    ("Kostnader negativa", "mnkr", [("Intäkter", "Netto", "0,3", 0.1),
                                    ("Kostnader", "Netto", -8.1, "-7,7"), ("Netto", None)]),
    ("Kostnader positiva", "tkr", [("Skola", "Summa", 1000.1, 1200.3),
                                   ("Vård", "Summa", None, None),
                                   ("Hemtjänst", "Vård", 2000.2, 1900.1),
                                   ("Stöd", "Vård", None, None), ("Summa", None)]),
])
def test_any_tree_any_sign_any_unit_exact(tmp_path, capsys, convention, unit, rows):
    book = copy_of(TEMPLATE, tmp_path)
    layout = layout_of(book)
    t = layout.table("Drift")
    changes = [(name_cell(book, "Enhet"), unit), (name_cell(book, "Teckenkonvention"),
                                                  convention)]
    n_rows = t.last_row - t.first_row + 1
    for i in range(n_rows):
        row = rows[i] if i < len(rows) else (None, None, None, None)
        row = tuple(row) + (None,) * (4 - len(row))
        for col, value in zip(("Rad", "Ingår i", "Budget", "Prognos"), row):
            changes.append(((t.sheet, f"{t.column(col)}{t.first_row + i}"), value))
    set_cells(book, changes)
    code, out, err = run(capsys, "calc", book, "--json")
    assert code == 0, err
    drift = {r["rad"]: r for r in json.loads(out)["drift"]}
    if unit == "mnkr":
        assert drift["Netto"]["budget"] == -7.8 and drift["Netto"]["prognos"] == -7.6
        assert drift["Kostnader"]["avvikelse"] == 0.4
        s, c = drift_cell(book, "Netto", "Budget")
        assert read_values(book, s, [c])[c] == -7.8
    else:
        assert drift["Vård"]["avvikelse"] == 100.1
        assert drift["Summa"]["budget"] == 3000.3 and drift["Summa"]["avvikelse"] == -100.1
        s, c = drift_cell(book, "Summa", "Avvikelse")
        assert read_values(book, s, [c])[c] == -100.1



def test_a_large_tree_prints_its_upper_levels_and_says_where_the_rest_is(tmp_path, capsys):
    """A consolidated kommun's thousands of rows are not listed on the console: the upper
    levels are (as in the report's table), and --json still holds every row."""
    drift = [("Årets resultat", None, None, None), ("Netto", "Årets resultat", None, None)]
    for u in range(3):
        drift.append((f"Enhet {u}", "Netto", None, None))
        drift += [(f"Enhet {u} konto {k:02d}", f"Enhet {u}", -(10_000 + k), -(10_000 + k) - u)
                  for k in range(20)]
    net = sum(b for _, _, b, _ in drift if b)
    drift.append(("Kommunbidrag", "Årets resultat", -net, -net))
    book = build_workbook(tmp_path / "stor.xlsx", drift=drift)
    code, out, err = run(capsys, "calc", book, "-o", tmp_path / "ut.xlsx")
    assert code == 0, err
    table = out.split("\n\n")[1].splitlines()
    assert [line.split("  ")[0] for line in table[1:-1]] == [
        "Årets resultat", "Netto", "Enhet 0", "Enhet 1", "Enhet 2", "Kommunbidrag"]
    assert table[-1] == ("(De översta nivåerna: 6 av 66 rader. Alla rader finns på bladet "
                         "Drift och med --json.)")
    assert table[5].split()[-1] == "-40" and "konto" not in out  # Enhet 2: -2 a row
    code, out, err = run(capsys, "check", book, "--json")
    assert len(json.loads(out)["drift"]) == 66


def test_a_table_never_grows_over_what_stands_below_it(tmp_path, capsys):
    """Two Fel need two Kontroll rows; the economist's note stands right under the
    one-row table: the run is refused naming the cell, and the file keeps every byte."""
    book = copy_of(EXAMPLE, tmp_path)
    t = layout_of(book).table("Kontroll")
    note = (t.sheet, f"{t.column('Meddelande')}{t.last_row + 1}")
    set_cells(book, [(drift_cell(book, "Personalkostnader", "Budget"), "tusen"),
                     (name_cell(book, "Enhet"), "kronor"), (note, "Fråga Eva om hyran")])
    before = parts(book)
    code, out, err = run(capsys, "calc", book)
    assert code == 1 and "Traceback" not in out + err
    assert f"Tabellen 'Kontroll' behöver växa till rad {t.last_row + 1}" in err
    assert f"cellen {note[1]} under den är inte tom" in err
    assert parts(book) == before

# --- Bad input -----------------------------------------------------------------------------

def bad(tmp_path, changes_for):
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, changes_for(book))
    return book


CASES = {
    "text i talcell": (lambda b: [(drift_cell(b, "Personalkostnader", "Budget"), "tusen")],
                       lambda b: drift_cell(b, "Personalkostnader", "Budget"), "'tusen'"),
    "okänd Ingår i": (lambda b: [(drift_cell(b, "Lokalhyror", "Ingår i"), "Hyror")],
                      lambda b: drift_cell(b, "Lokalhyror", "Ingår i"), "'Hyror'"),
    "cirkel": (lambda b: [(drift_cell(b, "Verksamhetens kostnader", "Ingår i"),
                           "Personalkostnader")], None, "cirkel"),
    "dubblett": (lambda b: [(drift_cell(b, "Lokalhyror", "Rad"), "Personalkostnader")],
                 None, "'Personalkostnader' finns redan"),
    "budget utan prognos": (lambda b: [(drift_cell(b, "Lokalhyror", "Prognos"), None)],
                            lambda b: drift_cell(b, "Lokalhyror", "Prognos"), "saknar Prognos"),
    "andel över 100 %": (lambda b: [(name_cell(b, "Buffert_Andel"), "150 %")],
                         lambda b: name_cell(b, "Buffert_Andel"), "100 %"),
    "startdatum": (lambda b: [(table_cell(b, "Atgarder", 1, "Start"), dt.datetime(1924, 9, 1))],
                   lambda b: table_cell(b, "Atgarder", 1, "Start"), "1924-09-01"),
    "ogiltigt datum": (lambda b: [(table_cell(b, "Atgarder", 1, "Start"), "snart")],
                       lambda b: table_cell(b, "Atgarder", 1, "Start"), "'snart'"),
    "år med decimaler": (lambda b: [(name_cell(b, "Ar"), 2024.5)],
                         lambda b: name_cell(b, "Ar"), "heltal, inte 2024,5"),
    "okänd enhet": (lambda b: [(name_cell(b, "Enhet"), "kronor")],
                    lambda b: name_cell(b, "Enhet"), "'kronor'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_writes_only_kontroll_naming_the_cell(tmp_path, capsys, case):
    changes, where, quoted = CASES[case]
    book = bad(tmp_path, changes)
    before_parts, before_cells = parts(book), cell_values(book)
    code, out, err = run(capsys, "calc", book)
    assert code == 1
    assert quoted in err
    assert "Traceback" not in err + out
    assert "Fel:" in err
    if where:
        assert excel_address(*where(book)) in err
    assert "Bara Kontroll och Kontroll_Status" in out
    # the workbook says Fel and lists every error with its cell ...
    status = name_cell(book, "Kontroll_Status")
    assert read_values(book, *status[:1], [status[1]])[status[1]] == "Fel"
    rows = kontroll_rows(book)
    errors = [r for r in rows if r[0] == "Fel"]
    assert errors and all(r[3] for r in errors)
    if where:
        sheet, cell = where(book)
        assert (sheet, cell) in {(r[1], r[2]) for r in errors}
    # ... and nothing else changed: every cell outside Kontroll, every other part
    assert_only_kontroll_changed(before_parts, before_cells, book)


def test_check_writes_nothing_and_reports_like_calc(tmp_path, capsys):
    book = bad(tmp_path, CASES["text i talcell"][0])
    before, mtime = book.read_bytes(), book.stat().st_mtime_ns
    code, out, err = run(capsys, "check", book)
    assert code == 1 and "'tusen'" in err
    assert excel_address(*drift_cell(book, "Personalkostnader", "Budget")) in err
    assert "inte ändrat något" in out
    assert book.read_bytes() == before and book.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == [book.name]
    good = copy_of(EXAMPLE, tmp_path, "ok.xlsm")
    before = good.read_bytes()
    code, out, _ = run(capsys, "check", good)
    assert code == 0 and good.read_bytes() == before


def test_swedish_typed_values_are_accepted(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, [(drift_cell(book, "Verksamhetens intäkter", "Budget"), "31 417"),
                     (drift_cell(book, "Köp av tjänster", "Budget"), "\u221262\u00a0376"),
                     (drift_cell(book, "Köp av tjänster", "Prognos"), "\u221266\u00a0376"),
                     (name_cell(book, "Buffert_Andel"), "1,5 %"),
                     (drift_cell(book, "Finansnetto", "Prognos"), "-0,0")])
    code, out, err = run(capsys, "calc", book, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["drift"][3]["avvikelse"] == -4000
    assert data["buffert"]["belopp"] == 3676.2360225


def test_missing_file_and_not_a_workbook(tmp_path, capsys):
    code, _, err = run(capsys, "calc", tmp_path / "saknas.xlsm")
    assert code == 1 and "finns inte" in err
    fake = tmp_path / "rapport.xlsm"
    fake.write_text("det här är ingen arbetsbok")
    code, _, err = run(capsys, "calc", fake)
    assert code == 1 and "ingen Excel-arbetsbok" in err and fake.read_text().startswith("det")
    txt = tmp_path / "data.txt"
    txt.write_text("x")
    assert run(capsys, "calc", txt)[0] == 1


def test_usage_errors_exit_2(tmp_path, capsys):
    assert run(capsys, "calc")[0] == 2
    code, _, err = run(capsys, "räkna", "x")
    assert code == 2 and "ogiltigt val" in err
    code, _, err = run(capsys, "calc", copy_of(EXAMPLE, tmp_path), "-o", tmp_path / "x.xlsx")
    assert code == 2 and "filändelse" in err


def test_open_in_libreoffice_is_refused_naming_the_user_unless_forced(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    lock = tmp_path / f".~lock.{book.name}#"
    lock.write_text("Eva Ekonom,eva,DATOR01,27.11.2026 10:15,/home/eva/.config;\n")
    before = book.read_bytes()
    code, _, err = run(capsys, "calc", book)
    assert code == 1 and "Eva Ekonom" in err and "--force" in err
    assert book.read_bytes() == before
    code, out, err = run(capsys, "calc", book, "--force")
    assert code == 0, err
    assert "Resultaten är skrivna" in out


def test_backup_keeps_the_previous_file(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, [(drift_cell(book, "Lokalhyror", "Prognos"), -18416.12)])
    before = book.read_bytes()
    assert run(capsys, "calc", book, "--backup")[0] == 0
    backup = book.with_name(book.name + ".bak")
    assert backup.read_bytes() == before
    s, c = drift_cell(book, "Lokalhyror", "Avvikelse")
    assert read_values(book, s, [c])[c] == -1000


def test_an_emptied_row_loses_its_old_results(tmp_path, capsys):
    """A measure whose inputs are all cleared is skipped; its computed cells from the
    previous run are cleared too, so no stale number stays in the workbook."""
    book = copy_of(EXAMPLE, tmp_path)
    assert run(capsys, "calc", book)[0] == 0
    effect = table_cell(book, "Atgarder", 1, "Helårseffekt")
    assert read_values(book, *effect[:1], [effect[1]])[effect[1]] == 626.4  # computed
    inputs = ("Åtgärd", "Avdelning", "Årsarbetare", "Månadslön", "Belopp helår", "Start")
    set_cells(book, [(table_cell(book, "Atgarder", 1, h), None) for h in inputs])
    code, out, err = run(capsys, "calc", book, "--json")
    assert code == 0, err
    assert json.loads(out)["handlingsplan"]["helarseffekt"] == 3873.6
    values = read_values(book, effect[0], [effect[1]])
    assert values[effect[1]] is None


def test_an_output_name_on_an_input_cell_is_refused(tmp_path, capsys):
    """The contract guard: a workbook whose output name points at an input cell would
    make the program overwrite what the economist typed. It refuses and writes nothing."""
    from openpyxl.workbook.defined_name import DefinedName

    book = copy_of(EXAMPLE, tmp_path)
    sheet, cell = name_cell(book, "Buffert_Intecknat")
    wb = load_workbook(book, keep_vba=True)
    del wb.defined_names["Buffert_Kvar"]
    wb.defined_names["Buffert_Kvar"] = DefinedName(
        "Buffert_Kvar", attr_text=f"'{sheet}'!${cell[0]}${cell[1:]}")
    wb.save(book)
    before = book.read_bytes()
    code, _, err = run(capsys, "calc", book)
    assert code == 1
    assert "både indata och resultat" in err and excel_address(sheet, cell) in err
    assert book.read_bytes() == before


# --- Numbers of any size (what a fuzzer found): a Fel naming the cell, never a traceback --

@pytest.mark.parametrize("where,value", [
    (lambda b: name_cell(b, "Ar"), 1e27),
    (lambda b: name_cell(b, "Period"), 10.0 ** 30),
    (lambda b: drift_cell(b, "Lokalhyror", "Föregående prognos"), 1e308),
    (lambda b: drift_cell(b, "Lokalhyror", "Budget"),
     "1 000 000 000 000 000 000 000 000 000 000"),
    (lambda b: table_cell(b, "Atgarder", 1, "Månadslön"), -1e300),
    (lambda b: name_cell(b, "Buffert_Andel"), "NaN"),
    (lambda b: name_cell(b, "PO_Palagg"), "INF"),
])
def test_numbers_beyond_a_budget_are_a_fel_naming_the_cell(tmp_path, capsys, where, value):
    book = bad(tmp_path, lambda b: [(where(b), value)])
    code, out, err = run(capsys, "calc", book)
    assert code == 1, err
    assert "Traceback" not in err + out and "Error" not in err
    assert excel_address(*where(book)) in err


def test_a_tiny_float_is_a_zero_not_an_error(tmp_path, capsys):
    book = bad(tmp_path, lambda b: [(drift_cell(b, "Finansnetto", "Prognos"), 4.9e-324)])
    code, out, err = run(capsys, "calc", book)
    assert code == 0, err
    fu, _, _ = read_followup(book)
    (finansnetto,) = [r for r in fu.rows if r.name == "Finansnetto"]
    assert finansnetto.forecast == 0  # read as an exact zero


def test_a_mistyped_amount_or_period_is_one_message_not_also_missing(tmp_path):
    from followup_xl import contract as c
    from followup_xl.domain.model import Level, Loc
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, [(table_cell(book, c.ENGANGSPOSTER, 0, c.ENG_BELOPP), "tolv"),
                     (table_cell(book, c.ENGANGSPOSTER, 0, c.ENG_POST), "Försäljning"),
                     (table_cell(book, c.PROGNOSHISTORIK, 0, c.PH_PERIOD), "maj")])
    _, _, messages = read_followup(book)
    fel = [m for m in messages if m.level is Level.FEL]
    assert [m.loc for m in fel] == [Loc(c.ENGANGSPOSTER, 0, c.ENG_BELOPP),
                                    Loc(c.PROGNOSHISTORIK, 0, c.PH_PERIOD)]
    assert "saknar" not in " ".join(m.text for m in fel)
