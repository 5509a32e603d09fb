"""The ribbon add-in workbook/followup_xl.xlam: built from xlwings' own add-in, wired to
its Excel-made callback, and computing the active workbook exactly as ``calc`` does.

The file is read as it ships (zip parts, olevba for its VBA project). Its Python entry
point runs against xlwings' remote engine (see tests/test_button.py): a real ``Book``
per workbook, the add-in opened as one more book, the workbook in front opened last.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
import xlwings as xw
from lxml import etree
from openpyxl import load_workbook

from followup_xl.doors import excel as xl
from remote_payload import alerts, resized_tables, written_cells
from excel_helpers import (RIBBON_ADDIN, as_excel_starts_python, build_workbook,
                           macro_procedure, ribbon_actions, vba_modules, vba_procedures,
                           vba_xlwings_version)

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "workbook" / xl.ADDIN_NAME
CUSTOM_UI = "customUI/customUI.xml"
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"


def load_build_addin():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_addin",
                                                  ROOT / "workbook" / "build_addin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parts(path) -> list[tuple[str, tuple, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.date_time, z.read(i)) for i in z.infolist()]


# --- The file ------------------------------------------------------------------------------

def test_shipped_addin_equals_a_fresh_build(tmp_path):
    built = load_build_addin().build(tmp_path)
    assert built.name == xl.ADDIN_NAME
    assert parts(built) == parts(ADDIN)  # names, order, timestamps and contents
    assert {t for _, t, _ in parts(ADDIN)} == {(1980, 1, 1, 0, 0, 0)}


def test_xlwings_quickstart_makes_the_source_without_excel(tmp_path):
    """``xlwings quickstart NAME --addin --ribbon`` copies xlwings' ribbon add-in as
    NAME.xlam (no Excel needed): the build starts from that very file."""
    cli = Path(sys.executable).with_name("xlwings")
    subprocess.run([str(cli), "quickstart", "followup_xl", "--addin", "--ribbon"],
                   cwd=tmp_path, check=True, capture_output=True)
    made = tmp_path / "followup_xl" / xl.ADDIN_NAME
    assert made.read_bytes() == RIBBON_ADDIN.read_bytes()
    assert load_build_addin().xlwings_addin() == RIBBON_ADDIN


def test_only_the_ribbon_differs_from_xlwings_own_addin():
    """Every part but the ribbon XML, the VBA project among them, is xlwings' own."""
    ours = {name: data for name, _, data in parts(ADDIN)}
    theirs = {name: data for name, _, data in parts(RIBBON_ADDIN)}
    assert list(ours) == list(theirs)
    assert [n for n in ours if ours[n] != theirs[n]] == [CUSTOM_UI]
    assert "xl/vbaProject.bin" in ours


def test_the_ribbon_has_one_tab_and_one_button():
    with zipfile.ZipFile(ADDIN) as z:
        raw = z.read(CUSTOM_UI)
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    root = etree.fromstring(raw)
    (tab,) = root.iter(f"{CUI}tab")
    assert tab.get("label") == "Uppföljning"
    (button,) = [e for e in root.iter() if e.get("onAction") is not None]
    assert button.tag == f"{CUI}button"
    assert button.get("label") == xl.BUTTON_CAPTION == "Beräkna"
    assert button.get("onAction") == xl.ADDIN_CALLBACK
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 3
    for element in root.iter():  # labels and tips within the ribbon schema's limits
        assert all(len(element.get(a, "")) <= 1024 for a in ("label", "screentip",
                                                            "supertip"))


# --- Its VBA (olevba) -------------------------------------------------------------------------

def test_every_onaction_names_a_procedure_of_its_vba():
    modules = vba_modules(ADDIN)
    actions = ribbon_actions(ADDIN)
    assert actions == [xl.ADDIN_CALLBACK]
    for action in actions:
        module, procedure = action.rsplit(".", 1)
        assert macro_procedure(action) == procedure
        assert procedure in vba_procedures(ADDIN)
        # in the module the action names, with the signature a ribbon button calls
        assert re.search(rf"^Sub {procedure}\(control As IRibbonControl\)",
                         modules[module], re.MULTILINE)


def test_runmain_imports_the_module_named_after_the_addin_file():
    """RunMain: ``mymodule = Left(ThisWorkbook.Name, InStrRev(ThisWorkbook.Name, ".") -
    1)`` and ``RunPython "import " & mymodule & ";" & mymodule & ".main()"``. With the
    file named followup_xl.xlam that is this package's Excel entry point."""
    body = vba_modules(ADDIN)["RibbonMyAddin"]
    assert re.search(r'mymodule = Left\(ThisWorkbook\.Name, \(InStrRev\(ThisWorkbook\.Name, '
                     r'"\.", -1, vbTextCompare\) - 1\)\)', body)
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in body
    module = ADDIN.name[:ADDIN.name.rindex(".")]
    assert f"import {module};{module}.main()" == xl.ADDIN_COMMAND
    compile(xl.ADDIN_COMMAND, "<RunMain>", "exec")
    import followup_xl

    assert module == followup_xl.__name__ and callable(followup_xl.main)


def test_addin_vba_is_the_pinned_xlwings_and_reads_myaddin_conf():
    assert vba_xlwings_version(ADDIN) == xl.XLWINGS_VERSION == xw.__version__
    source = vba_modules(ADDIN)["xlwings"]
    assert f'PROJECT_NAME As String = "{xl.ADDIN_CONF_PROJECT}"' in source
    # its RunPython passes the ACTIVE workbook's name to Python, and reads the config
    # sheet of the active workbook before its own
    assert '" --wb=" & """" & ActiveWorkbook.Name' in source
    assert "SheetExists(ActiveWorkbook, PROJECT_NAME & \".conf\")" in source


# --- Its entry point computes the active workbook as calc does ---------------------------------

def calc_cells(src: Path, tmp_path: Path):
    """Run ``followup-xl calc`` on a copy of ``src``: (input values, output values, output
    table refs), values as {sheet: {cell: value}}."""
    from followup_xl.doors.cli import main as cli_main

    out = tmp_path / f"calc{src.suffix}"
    assert cli_main(["calc", str(src), "-o", str(out)]) in (0, None)
    return values_of(src), values_of(out), tables_of(out)


def values_of(path):
    wb = load_workbook(path, data_only=True)
    return {ws.title: {cell.coordinate: cell.value for row in ws.iter_rows() for cell in row
                       if cell.value is not None} for ws in wb.worksheets}


def tables_of(path):
    wb = load_workbook(path)
    return {t.name: t.ref for ws in wb.worksheets for t in ws.tables.values()}


def assert_writes_what_calc_writes(book, src, tmp_path):
    """The cells the add-in's run wrote hold what calc wrote there, and every cell calc
    changed is one the run wrote; the tables end where calc's do."""
    before, after, tables = calc_cells(src, tmp_path)
    written = written_cells(book)
    assert written, "nothing written"
    for sheet, cells in written.items():
        for cell, value in cells.items():
            assert after[sheet].get(cell) == (None if value == "" else value), (sheet, cell)
    changed = {(s, cell) for s in after for cell in set(after[s]) | set(before[s])
               if after[s].get(cell) != before[s].get(cell)}
    assert changed <= {(s, cell) for s, cells in written.items() for cell in cells}
    for name, ref in resized_tables(book).items():
        assert tables[name] == ref


def open_addin(remote, tmp_path):
    """The add-in as the remote engine's first book (no contract tables in it)."""
    path = tmp_path / "addin.xlsx"
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet("_myaddin.conf").write("A1", "Interpreter_Win")
    wb.close()
    return remote(path, name=xl.ADDIN_NAME)


@pytest.mark.parametrize("name", ["SN uppföljning maj 2024.xlsm",
                                  "Prognos=Budget åäö ÅÄÖ.xlsm",
                                  "uppföljning utan makron.xlsx"])
def test_the_addin_command_computes_the_active_workbook_as_calc(remote, tmp_path, name):
    """RunMain's command with the add-in as the caller (``Book.caller()`` mocked to the
    add-in): the active workbook -- any name, also one without VBA -- is computed and
    gets exactly what calc writes; the add-in gets nothing."""
    src = build_workbook(tmp_path / f"src{Path(name).suffix}", conf=None)
    addin = open_addin(remote, tmp_path)
    book = remote(src, name=name)  # opened last: the active workbook
    addin.set_mock_caller()
    exec(xl.ADDIN_COMMAND, {})
    assert written_cells(addin) == {}
    assert_writes_what_calc_writes(book, src, tmp_path)
    (box,) = alerts(book)
    assert box["prompt"] == "Beräkningen är klar med 1 varning, se bladet Kontroll."


@pytest.mark.parametrize("name", ["SN uppföljning maj 2024.xlsm",
                                  "Prognos=Budget åäö ÅÄÖ.xlsm",
                                  "uppföljning utan makron.xlsx"])
def test_the_addin_click_as_xlwings_passes_it(remote, tmp_path, monkeypatch, name):
    """Without a mock: the add-in's RunPython starts Python with the active workbook's
    name (``--wb=NAME --from_xl=1``) and xlwings' own ``Book.caller()`` runs."""

    src = build_workbook(tmp_path / f"src{Path(name).suffix}", conf=None)
    open_addin(remote, tmp_path)
    book = remote(src, name=name)
    as_excel_starts_python(monkeypatch, name)
    exec(xl.ADDIN_COMMAND, {})
    assert_writes_what_calc_writes(book, src, tmp_path)
    assert "aktiva arbetsboken" not in alerts(book)[0]["prompt"]  # found by its name


def test_the_addin_refuses_a_workbook_that_is_no_followup(remote, tmp_path):
    addin = open_addin(remote, tmp_path)
    other = remote(tmp_path / "addin.xlsx", name="Budget 2025.xlsx")  # no tables
    addin.set_mock_caller()
    with pytest.raises(SystemExit) as stop:
        exec(xl.ADDIN_COMMAND, {})
    assert str(stop.value) == ("Inget har beräknats: Den aktiva arbetsboken 'Budget "
                               "2025.xlsx' är ingen uppföljning (tabellerna 'Drift' och "
                               "'Kontroll' saknas). Klicka i uppföljningens arbetsbok och "
                               "klicka sedan Beräkna igen.")
    assert written_cells(other) == {} and written_cells(addin) == {}


def test_the_addin_also_writes_the_word_report_when_the_workbook_asks(remote, tmp_path,
                                                                       monkeypatch):
    """Further actions are options of the workbook, read as the template's button reads
    them: Rapport_Word = Ja."""
    from workbooks import EXAMPLE, copy_of, name_cell, set_cells
    from followup_xl import contract as c

    path = copy_of(EXAMPLE, tmp_path)
    set_cells(path, [(name_cell(path, c.RAPPORT_WORD), "Ja")])
    monkeypatch.chdir(tmp_path)  # the remote engine's book has no folder: the cwd
    addin = open_addin(remote, tmp_path)
    remote(path, name="SN uppföljning maj 2024.xlsm")
    addin.set_mock_caller()
    exec(xl.ADDIN_COMMAND, {})
    report = docx.Document(str(tmp_path / "SN uppföljning maj 2024 rapport.docx"))
    text = "\n".join(p.text for p in report.paragraphs)
    assert "-3,0 mnkr" in text and "Socialnämnden" in text  # the workbook's own report


def test_no_quickstart_module_shadows_the_package():
    """RunMain imports ``followup_xl``; the add-in's VBA puts the add-in's and the active
    workbook's folders first on sys.path by default. Nothing named like the package may
    lie beside the shipped add-in (``xlwings quickstart`` writes a followup_xl.py)."""
    beside = {p.name for p in ADDIN.parent.iterdir()}
    assert not {"followup_xl.py", "followup_xl", "followup_xl.zip"} & beside
