"""The Beräkna button's Python entry point, run against a real xlwings Book.

Linux has no Excel, so the Book comes from xlwings' remote engine: ``xw.Book(json=...)``
builds it from the JSON that Excel's Office.js client sends (tests/remote_payload.py
builds that JSON from a workbook file). The entry point then writes through the same
xlwings API as in desktop Excel, and the remote engine records each write as an action.
The tests assert that those writes are exactly what the headless run plans for the file.

The remote engine is in xlwings' ``pro`` folder (PolyForm Noncommercial) and is enabled by
``XLWINGS_LICENSE_KEY=noncommercial`` (``run-tests`` sets it): it is used here only; the
product's own run path is BSD xlwings.

Also here: helpers that read a workbook's VBA project with oletools' olevba, and the proof
that the macro the button calls exists in the Excel-made VBA the template carries.
"""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
import xlsxwriter
import xlwings as xw

from followup_xl import contract as c
from followup_xl.workbook import writeplan
from followup_xl.doors import excel as xl
from followup_xl.domain.model import Level
from followup_xl.errors import FollowupError
from remote_payload import alerts, payload_from_file, resized_tables, written_cells
from excel_helpers import (QUICKSTART, RIBBON_ADDIN, as_written, build_workbook, button_macros,
                           headless_plan, macro_procedure, ribbon_actions, vba_modules,
                           vba_procedures, vba_xlwings_version)
from seed import SEED_ROWS

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [ROOT / "workbook" / "uppfoljning.xlsm",
           ROOT / "workbook" / "exempel_socialnamnden_maj_2024.xlsm"]
RENAMED = "SN uppföljning maj 2024.xlsm"


# --- The button's macro exists in the Excel-made VBA ---------------------------------------

def test_quickstart_standalone_vba_has_the_macro_the_button_calls():
    procs = vba_procedures(QUICKSTART)
    assert xl.BUTTON_PROCEDURE == "RunPython"
    assert {"RunPython", "ImportPythonUDFs", "SampleCall"} <= procs
    # RunPython takes the Python command as its one argument.
    source = "\n".join(vba_modules(QUICKSTART).values())
    assert re.search(r"Public Function RunPython\(PythonCommand As String\)", source)
    # The sample macro imports a module named after the workbook file: it breaks when the
    # workbook is renamed, which is why the button does not use it.
    assert "ThisWorkbook.Name" in vba_modules(QUICKSTART)["Module1"]


def test_xlwings_versions_agree():
    """The VBA that the template carries, the installed package, the pin in
    pyproject.toml and the version the button checks for are one version."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("xlwings")]
    assert pins == [f"xlwings=={xl.XLWINGS_VERSION}"]
    assert xw.__version__ == xl.XLWINGS_VERSION
    assert vba_xlwings_version(QUICKSTART) == xl.XLWINGS_VERSION
    assert dict(xl.CONF_ROWS)[xl.CONF_VERSION_KEY] == xl.XLWINGS_VERSION


def test_button_macro_string_as_xlsxwriter_writes_it(tmp_path):
    """What the build's ``insert_button(..., {'macro': xl.BUTTON_MACRO})`` puts in the
    file, and that the helpers find RunPython as the procedure it calls."""
    path = tmp_path / "knapp.xlsm"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Drift")
    with zipfile.ZipFile(QUICKSTART) as z:
        wb.add_vba_project(io.BytesIO(z.read("xl/vbaProject.bin")),
                           is_stream=True)
    ws.insert_button("E1", {"macro": xl.BUTTON_MACRO, "caption": xl.BUTTON_CAPTION})
    wb.close()
    assert button_macros(path) == [f"[0]!{xl.BUTTON_MACRO}"]
    assert button_macros(path) == ["[0]!'RunPython \"import followup_xl; "
                                   "followup_xl.main()\"'"]
    assert macro_procedure(button_macros(path)[0]) == "RunPython"
    assert macro_procedure(button_macros(path)[0]) in vba_procedures(path)


def test_template_formulas_as_xlsxwriter_writes_them(tmp_path):
    """The Snabbkontroll formulas name only the contract's tables, columns and names and
    the FU functions, and XlsxWriter stores them as dynamic array formulas."""
    from openpyxl.formula.tokenizer import Token, Tokenizer

    from followup_xl.doors import udfs

    formulas = xl.template_formulas("I7", "J3")
    columns = {f"{c.DRIFT}[{h}]" for h in c.TABLES[c.DRIFT]}
    for formula in formulas.values():
        tokens = Tokenizer(formula).items
        ranges = {t.value for t in tokens if t.type == Token.OPERAND and t.subtype == Token.RANGE}
        assert ranges <= {c.TECKENKONVENTION, c.ENHET, "J3", "I7"} | columns, ranges
        functions = {t.value.rstrip("(") for t in tokens
                     if t.type == Token.FUNC and t.subtype == Token.OPEN}
        assert {f for f in functions if f.startswith("FU_")} <= set(udfs.__all__)
    assert "Drift[Ingår i]" in formulas["drift"]
    path = tmp_path / "snabb.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Drift")
    ws.write_dynamic_array_formula("I7:I7", formulas["drift"])
    ws.write_dynamic_array_formula("J4:J4", formulas["avvikelse"])
    wb.close()
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet.count('t="array"') == 2 and sheet.count('cm="1"') == 2
    assert "_xlfn.ANCHORARRAY(I7)" in sheet and "_xlfn.XLOOKUP(J3," in sheet
    assert "FU_DRIFT(Drift[Rad],Drift[Ingår i],Drift[Budget],Drift[Prognos]," in unescape(sheet)


def test_button_command_survives_every_quoting_layer():
    """The command travels inside a VBA string literal in the button's macro, then inside
    double quotes of ``python -c "…"`` (cmd.exe on Windows, a shell via AppleScript on
    macOS, which also splits its parameters at '|'): it must hold none of those
    characters, name no file, and be valid Python."""
    command = xl.BUTTON_COMMAND
    assert not set(command) & set("\"'|&^%$`\\<>")
    assert "xlsm" not in command and "uppfoljning" not in command
    compile(command, "<RunPython>", "exec")
    assert xl.BUTTON_MACRO == f"'RunPython \"{command}\"'"


def test_macro_procedure_parses_the_forms_excel_uses():
    assert macro_procedure("[0]!Button1_Click") == "Button1_Click"
    assert macro_procedure("[0]!'RunPython \"import a; a.main()\"'") == "RunPython"
    assert macro_procedure("'SN uppföljning maj 2024.xlsm'!Module1.SampleCall") == "SampleCall"
    assert macro_procedure("RibbonMyAddin.RunMain") == "RunMain"


def test_ribbon_addin_callback_exists_and_names_the_addin_module():
    """xlwings' ribbon add-in: its one callback exists, and it imports a module named
    after the add-in file (ThisWorkbook is the add-in), not after the workbook."""
    actions = ribbon_actions(RIBBON_ADDIN)
    assert actions == ["RibbonMyAddin.RunMain"]
    assert {macro_procedure(a) for a in actions} <= vba_procedures(RIBBON_ADDIN)
    assert "Left(ThisWorkbook.Name" in vba_modules(RIBBON_ADDIN)["RibbonMyAddin"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_workbooks_controls_call_existing_macros(path):
    """Every form control and ribbon control of a shipped workbook calls a macro that
    olevba finds in the workbook's own VBA project, which is xlwings' of our version."""
    procs = vba_procedures(path)
    for macro in button_macros(path) + ribbon_actions(path):
        assert macro_procedure(macro) in procs, macro
    assert vba_xlwings_version(path) == xl.XLWINGS_VERSION
    # The button runs this package's entry point, and the xlwings.conf sheet is ours.
    assert button_macros(path) == [f"[0]!{xl.BUTTON_MACRO}"]
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    rows = [tuple(r[:2]) for r in wb[xl.CONF_SHEET].iter_rows(values_only=True)
            if r and r[0] is not None]
    assert rows == list(xl.CONF_ROWS)
    wb.close()


# --- The button against xlwings' remote engine --------------------------------------------------

def workbooks(tmp_path):
    yield build_workbook(tmp_path / "uppfoljning_test.xlsm")
    yield from SHIPPED


def _assert_button_equals_headless(book, path):
    result, layout, writes = headless_plan(path)
    assert writes is not None, [str(m.text) for m in result.messages]
    run = xl.berakna(book)
    assert run.level == result.status
    assert run.skipped == set()
    assert written_cells(book) == as_written(writes)
    assert resized_tables(book) == writes.tables
    assert {a["func"] for a in book.json()["actions"]} <= {"setValues", "resizeTable", "alert"}
    assert [a["prompt"] for a in alerts(book)] == [run.text]
    assert run.reports == writeplan.resolve(result.messages, layout)
    return run


def test_button_writes_exactly_what_the_headless_run_writes(remote, tmp_path):
    for path in workbooks(tmp_path):
        _assert_button_equals_headless(remote(path), path)


def test_button_works_after_the_workbook_is_renamed(remote, tmp_path):
    for path in workbooks(tmp_path):
        book = remote(path, name=RENAMED)
        assert book.name == RENAMED
        _assert_button_equals_headless(book, path)


def test_the_button_command_runs_main_on_the_calling_book(remote, tmp_path):
    """Run the exact command the button hands to RunPython, with the calling book (as
    Book.caller() returns it) renamed: main() finds it and writes the plan."""
    path = build_workbook(tmp_path / "uppfoljning_test.xlsm")
    book = remote(path, name=RENAMED)
    book.set_mock_caller()
    exec(xl.BUTTON_COMMAND, {})
    _, _, writes = headless_plan(path)
    assert written_cells(book) == as_written(writes)
    assert alerts(book)[0]["mode"] == "info"


def test_from_an_addin_the_active_workbook_is_computed(remote, tmp_path):
    addin = remote(build_workbook(tmp_path / "followup_xl.xlsm", conf=None),
                   name="followup_xl.xlam")
    addin.set_mock_caller()
    path = build_workbook(tmp_path / "uppfoljning_test.xlsm")
    book = remote(path, name=RENAMED)  # opened last: the active book
    xl.main()
    assert written_cells(addin) == {}
    assert written_cells(book) == as_written(headless_plan(path)[2])


def test_seed_results_arrive_in_the_cells(remote, tmp_path):
    path = build_workbook(tmp_path / "uppfoljning_test.xlsm")
    book = remote(path)
    run = xl.berakna(book)
    cells = written_cells(book)
    # Drift: the deviations and totals the seed prints (rows 7..16 of the sheet).
    assert cells["Drift"]["E10"] == -4000 and cells["Drift"]["E16"] == -3000
    assert (cells["Drift"]["C12"], cells["Drift"]["D12"]) == (-276500, -279500)
    assert cells["Buffert och struktur"]["B2"] == 3676.23
    assert cells["Handlingsplan"]["B1"] == 4500 and cells["Handlingsplan"]["B5"] == 2025
    assert cells["Kontroll"]["B1"] == "Varningar"
    assert run.sentence == "Beräkningen är klar med 1 varning, se bladet Kontroll."
    assert not {"J3", "J4", "I7"} & set(cells["Drift"])  # the UDF cells are never written


def test_kontroll_grows_and_shrinks_through_table_resize(remote, tmp_path):
    many = build_workbook(tmp_path / "many.xlsm", kontroll_rows=9)
    book = remote(many)
    xl.berakna(book)
    _, _, writes = headless_plan(many)
    assert resized_tables(book) == writes.tables
    (ref,) = resized_tables(book).values()
    assert ref.startswith("A3:D")
    # the rows below the new end are cleared
    assert written_cells(book)["Kontroll"]["D12"] == ""


def test_errors_write_only_kontroll_and_list_the_cells(remote, tmp_path):
    rows = list(SEED_ROWS)
    rows[2] = (rows[2][0], rows[2][1], "sjuttontusen", rows[2][3])  # Lokalhyror: Budget
    rows[3] = (rows[3][0], rows[3][1], rows[3][2], None)  # Köp av tjänster: no Prognos
    path = build_workbook(tmp_path / "fel.xlsm", drift=rows)
    result, layout, writes = headless_plan(path)
    assert writes is None  # the headless run writes nothing
    book = remote(path)
    run = xl.berakna(book)
    assert run.level == "Fel"
    cells = written_cells(book)
    assert set(cells) == {"Kontroll"}  # no result anywhere
    assert cells["Kontroll"]["B1"] == "Fel"
    errors = [r for r in writeplan.resolve(result.messages, layout) if r.level == "Fel"]
    assert [cells["Kontroll"][f"D{4 + i}"] for i in range(len(errors))] == \
        [r.text for r in errors]
    assert cells["Kontroll"]["C4"] == "C9"
    assert run.sentence == "Inga nya belopp är skrivna: indata har 1 fel, se bladet Kontroll."
    assert "Drift!C9: " in run.text and "sjuttontusen" in run.text
    assert alerts(book)[0]["mode"] == "critical"


def test_many_errors_are_listed_up_to_a_limit(remote, tmp_path):
    rows = [(n, p, "x" if b is not None else None, f) for n, p, b, f in SEED_ROWS]
    book = remote(build_workbook(tmp_path / "fel.xlsm", drift=rows))
    run = xl.berakna(book)
    n = sum(1 for _, _, b, _ in SEED_ROWS if b is not None)
    assert run.sentence == f"Inga nya belopp är skrivna: indata har {n} fel, se bladet Kontroll."
    assert run.text.count("\nFel: ") == xl.MAX_LISTED
    assert run.text.endswith(f"… och {n - xl.MAX_LISTED} till.")


def test_ok_sentence(remote, tmp_path):
    rows = [(n, p, 245082 if n == "Kommunbidrag" else b, f) for n, p, b, f in SEED_ROWS]
    rows[0] = (rows[0][0], rows[0][1], 31418, 31418)  # the budget now balances exactly
    book = remote(build_workbook(tmp_path / "ok.xlsm", drift=rows))
    run = xl.berakna(book)
    assert run.level == "OK", run.text
    assert run.sentence == "Beräkningen är klar: inga fel och inga varningar."


def test_a_workbook_error_stops_before_writing(remote, tmp_path):
    path = build_workbook(tmp_path / "summarad.xlsm")
    payload = payload_from_file(path)
    kontroll = next(t for s in payload["sheets"] for t in s["tables"] if t["name"] == "Kontroll")
    kontroll["show_totals"] = True  # a totals row: the program cannot write messages
    book = remote(payload=payload)
    run = xl.berakna(book)
    assert run.level == "Avbrutet"
    assert run.sentence == ("Inget har beräknats: Tabellen Kontroll på bladet 'Kontroll' har "
                            "en summarad. Ta bort summaraden, så att programmet kan skriva i "
                            "tabellen.")
    assert written_cells(book) == {}
    assert run.sentence.startswith("Inget har beräknats: Tabellen Kontroll")
    assert alerts(book)[0]["mode"] == "critical"


def test_xlwings_version_mismatch_is_explained(remote, tmp_path, monkeypatch):
    old = [(k, "0.30.0" if k == xl.CONF_VERSION_KEY else v) for k, v in xl.CONF_ROWS]
    book = remote(build_workbook(tmp_path / "gammal.xlsm", conf=old))
    run = xl.berakna(book)
    assert run.level == "Avbrutet" and written_cells(book) == {}
    assert "Arbetsbokens makron kommer från xlwings 0.30.0" in run.sentence
    assert f"Python har xlwings {xw.__version__}" in run.sentence

    monkeypatch.setattr(xl, "XLWINGS_VERSION", "9.9.9")
    book = remote(build_workbook(tmp_path / "ny.xlsm"))
    run = xl.berakna(book)
    assert written_cells(book) == {}
    assert run.sentence.startswith(f"Inget har beräknats: Python har xlwings {xw.__version__}, "
                                   "men followup_xl är gjort för xlwings 9.9.9.")


def test_without_conf_sheet_the_version_is_not_checked(remote, tmp_path):
    path = build_workbook(tmp_path / "utan_conf.xlsm", conf=None)
    _assert_button_equals_headless(remote(path), path)


def test_unexpected_errors_become_a_swedish_message(remote, tmp_path, monkeypatch):
    book = remote(build_workbook(tmp_path / "uppfoljning_test.xlsm"))

    def broken(*args):
        raise RuntimeError("trasig")

    monkeypatch.setattr(xl, "plan_results", broken)
    run = xl.berakna(book)
    assert run.level == "Avbrutet" and written_cells(book) == {}
    assert run.sentence == ("Beräkningen avbröts av ett oväntat fel i programmet; inget har "
                            "skrivits.")
    assert run.text.endswith("Tekniska detaljer för IT:\nRuntimeError: trasig")
    assert alerts(book)[0]["mode"] == "critical"

    monkeypatch.undo()
    book = remote(build_workbook(tmp_path / "uppfoljning_test2.xlsm"))
    real_blocks = xl.blocks

    def blocks_then_broken(cells):  # the first sheet's first block, then a failure
        yield next(iter(real_blocks(cells)))
        broken()

    monkeypatch.setattr(xl, "blocks", blocks_then_broken)
    run = xl.berakna(book)
    assert run.sentence.startswith("Beräkningen avbröts av ett oväntat fel medan resultaten "
                                   "skrevs")
    assert len(written_cells(book)) == 1  # one block was written before the failure

    book = remote(build_workbook(tmp_path / "uppfoljning_test3.xlsm"))

    def blocks_then_gone(cells):  # the workbook changed under the click
        yield next(iter(real_blocks(cells)))
        raise FollowupError("Tabellen 'Kontroll' finns inte längre i arbetsboken.")

    monkeypatch.setattr(xl, "blocks", blocks_then_gone)
    run = xl.berakna(book)
    assert run.sentence == ("Beräkningen avbröts medan resultaten skrevs, så en del celler "
                            "kan ha gamla värden: klicka Beräkna igen innan du använder dem. "
                            "Orsak: Tabellen 'Kontroll' finns inte längre i arbetsboken.")


def test_cells_with_formulas_are_left_to_excel(remote, tmp_path, monkeypatch):
    """Desktop Excel reports formulas (the remote engine cannot): planned cells that hold
    one are skipped, the rest are written as planned."""
    path = build_workbook(tmp_path / "uppfoljning_test.xlsm")
    book = remote(path)
    monkeypatch.setattr(xl, "formula_cells",
                        lambda sheet, cells: {"E10", "C13"} & set(cells)
                        if sheet.name == "Drift" else set())
    run = xl.berakna(book)
    assert run.skipped == {("Drift", "E10"), ("Drift", "C13")}
    expected = as_written(headless_plan(path)[2])
    del expected["Drift"]["E10"], expected["Drift"]["C13"]
    assert written_cells(book) == expected


def test_layout_through_xlwings_equals_the_files(remote, tmp_path):
    from followup_xl.workbook.xlsx_file import open_workbook

    for path in workbooks(tmp_path):
        from_file = open_workbook(path)[0]
        through_xlwings = xl.layout_from_book(remote(path))
        assert through_xlwings.names == from_file.names
        assert through_xlwings.tables == from_file.tables
        assert through_xlwings.date1904 == from_file.date1904


# --- Pieces without a Book ---------------------------------------------------------------------

class FakeRange:
    def __init__(self, formula):
        self.formula = formula


class FakeSheet:
    name = "Drift"

    def __init__(self, formula):
        self._formula = formula
        self.asked = []

    def range(self, first, last):
        self.asked.append((first, last))
        return FakeRange(self._formula)


@pytest.mark.parametrize("raw", [
    (("=A1", "7"), ("", "=SUM(B1)")),  # Windows: a tuple of rows
    [["=A1", "7"], ["", "=SUM(B1)"]],  # macOS: a list of rows
])
def test_formula_cells_in_the_shapes_engines_return(raw):
    sheet = FakeSheet(raw)
    assert xl.formula_cells(sheet, ["C5", "D5", "C6", "D6"]) == {"C5", "D6"}
    assert sheet.asked == [((5, 3), (6, 4))]  # one read for the bounding box


def test_formula_cells_single_cell_and_single_row():
    assert xl.formula_cells(FakeSheet("=FU_MNKR(A1,B1)"), ["B2"]) == {"B2"}
    assert xl.formula_cells(FakeSheet(["=1", "2", "=3"]), ["A1", "B1", "C1"]) == {"A1", "C1"}
    assert xl.formula_cells(FakeSheet(["=1", "2"]), ["A1", "A2"]) == {"A1"}
    assert xl.formula_cells(FakeSheet(None), []) == set()


def test_blocks_group_adjacent_cells():
    cells = {"A4": 1, "B4": 2, "C4": 3, "D4": 4, "A5": 5, "B5": 6, "C5": 7, "D5": 8,
             "E8": 0, "E9": 1, "C13": 2, "D13": 3, "E13": 4, "E10": 9, "B1": "x"}
    got = list(xl.blocks(cells))
    assert ((4, 1, 5, 4), [[1, 2, 3, 4], [5, 6, 7, 8]]) in got
    assert ((8, 5, 10, 5), [[0], [1], [9]]) in got
    assert ((13, 3, 13, 5), [[2, 3, 4]]) in got
    assert ((1, 2, 1, 2), [["x"]]) in got
    assert sum(len(v) * len(v[0]) for _, v in got) == len(cells)


def test_excel_value_is_exact_and_plain():
    assert xl.excel_value(Decimal("-4000")) == -4000
    assert type(xl.excel_value(Decimal("-4000"))) is int
    assert type(xl.excel_value(Decimal("4500.00"))) is int
    assert xl.excel_value(Decimal("3676.23")) == 3676.23
    # a share that does not end: the double of the file writer's 17 digits, so that both
    # doors store the same number
    from followup_xl.xlsx.cellvalue import xml_number

    share = Decimal(1) / Decimal(77)
    assert xl.excel_value(share) == float(xml_number(share)) == float("0.012987012987012987")
    assert [xl.excel_value(v) for v in (None, "OK", 2025, True)] == [None, "OK", 2025, True]


def test_conf_rows_name_the_udf_module():
    conf = dict(xl.CONF_ROWS)
    assert conf["UDF Modules"] == "followup_xl.doors.udfs"
    assert conf["ADD_WORKBOOK_TO_PYTHONPATH"] == "False"
    # xlwings' VBA reads keys from A1 down to the first empty cell, upper-cased, and adds
    # them to a dictionary: keys must be unique and non-empty.
    keys = [k.upper() for k, _ in xl.CONF_ROWS]
    assert len(set(keys)) == len(keys) and all(keys)


def test_xlwings_conf_sets_every_key_the_vba_reads():
    """Each key xlwings' VBA (the template's, as xlwings ships it) looks up with
    GetConfig is set by the template's sheet, so that no user or add-in configuration
    leaks in -- except the ones that must differ between computers."""
    source = "\n".join(vba_modules(SHIPPED[0]).values())
    assert source == "\n".join(vba_modules(QUICKSTART).values())
    read = {key.upper() for key in re.findall(r'GetConfig\("([^"]+)"', source)}
    conf = {key.upper() for key, _ in xl.CONF_ROWS}
    assert read - conf == set(xl.CONF_PER_COMPUTER)
    assert conf - read == {xl.CONF_VERSION_KEY}  # the one key of our own
    assert not conf & set(xl.CONF_PER_COMPUTER)
    # the sheet is read before the directory's and the user's xlwings.conf
    body = source[source.index("Function GetConfig(configKey"):]
    assert body.index('SheetExists(ThisWorkbook, PROJECT_NAME & ".conf")') < \
        body.index("GetDirectoryConfigFilePath()") < body.index("GetConfigFilePath()")


def test_error_writes_use_writeback():
    """On errors the button writes the Kontroll table with writeback's own mapping."""
    from followup_xl.domain.model import Loc, Message
    from followup_xl.workbook.layout import Layout, TablePlace

    layout = Layout(
        tables={"kontroll": TablePlace("Kontroll", "Kontroll", "A3:D4", 3, 4, 4,
                                       {"nivå": "A", "blad": "B", "cell": "C",
                                        "meddelande": "D"})},
        names={"kontroll_status": ("Kontroll", "B1"), "ar": ("Inställningar", "B2")})
    w = writeplan.plan_error_writes([Message(Level.FEL, "Året saknas.", Loc(c.AR))],
                                    layout)
    assert w.cells == {"Kontroll": {"B1": "Fel", "A4": "Fel", "B4": "Inställningar",
                                    "C4": "B2", "D4": "Året saknas."}}
    assert w.tables == {}


def test_button_also_writes_the_word_report_when_asked(remote, tmp_path, monkeypatch):
    """Rapport_Word = Ja: one click computes and writes the Word draft beside the
    workbook, named after the workbook as it is called now."""
    import docx

    from workbooks import EXAMPLE, copy_of, name_cell, set_cells

    path = copy_of(EXAMPLE, tmp_path)
    set_cells(path, [(name_cell(path, c.RAPPORT_WORD), "Ja")])
    monkeypatch.chdir(tmp_path)  # the remote engine's book has no folder: the cwd
    book = remote(path, name="SN uppföljning maj 2024.xlsm")
    run = xl.berakna(book)
    report = tmp_path / "SN uppföljning maj 2024 rapport.docx"
    assert report.is_file()
    assert run.sentence.endswith(f"Rapportutkastet är skrivet till {report.name}.")
    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert "-3,0 mnkr" in text and "2025" in text


def test_a_word_report_that_cannot_be_written_leaves_the_computation_done(
        remote, tmp_path, monkeypatch):
    from workbooks import EXAMPLE, copy_of, name_cell, set_cells

    path = copy_of(EXAMPLE, tmp_path)
    set_cells(path, [(name_cell(path, c.RAPPORT_WORD), "Ja")])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bok rapport.docx").mkdir()  # a folder where the draft should go
    book = remote(path, name="bok.xlsm")
    run = xl.berakna(book)
    assert run.level == "OK" and written_cells(book)  # the results are written
    assert run.sentence.startswith("Beräkningen är klar: inga fel och inga varningar. "
                                   "Rapportutkastet kunde inte skrivas: Filen 'bok "
                                   "rapport.docx' kunde inte skrivas:")
    assert (tmp_path / "bok rapport.docx").is_dir()


def test_button_writes_no_word_report_by_default(remote, tmp_path, monkeypatch):
    from workbooks import EXAMPLE

    monkeypatch.chdir(tmp_path)
    run = xl.berakna(remote(EXAMPLE))
    assert "Rapportutkastet" not in run.sentence
    assert not list(tmp_path.glob("*.docx"))
