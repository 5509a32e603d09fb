"""Helpers for the tests of the Excel doors (button, add-in, caller): reading a workbook's
VBA and controls, a contract workbook built from scratch to click on, what the headless run
plans for it, and Python started as Excel starts it."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from html import unescape
from pathlib import Path

import pytest
import xlsxwriter
import xlwings as xw

from followup_xl import contract as c
from followup_xl.doors import excel as xl
from seed import SEED_ROWS

ROOT = Path(__file__).resolve().parents[1]
XLWINGS_DIR = Path(xw.__file__).resolve().parent
QUICKSTART = XLWINGS_DIR / "quickstart_standalone.xlsm"
RIBBON_ADDIN = XLWINGS_DIR / "quickstart_addin_ribbon.xlam"


# --- VBA helpers (olevba), reusable by the template's tests --------------------------------

_PROCEDURE = re.compile(r"^[ \t]*(?:(Public|Private|Friend)[ \t]+)?(?:Static[ \t]+)?"
                        r"(?:Sub|Function|Property[ \t]+(?:Get|Let|Set))[ \t]+(\w+)",
                        re.IGNORECASE | re.MULTILINE)


def vba_modules(path) -> dict[str, str]:
    """{module name: VBA source} of a workbook's VBA project, read with olevba."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        if not parser.detect_vba_macros():
            return {}
        return {Path(vba_filename).stem: code
                for _, _, vba_filename, code in parser.extract_macros()}
    finally:
        parser.close()


def vba_procedures(path, include_private: bool = False) -> set[str]:
    """Names of the Subs and Functions in a workbook's VBA project that a button, a
    ribbon control or Application.Run can call (Private ones only when asked)."""
    names = set()
    for code in vba_modules(path).values():
        for scope, name in _PROCEDURE.findall(code):
            if include_private or scope.lower() != "private":
                names.add(name)
    return names


def vba_xlwings_version(path) -> str | None:
    """The xlwings version whose VBA module a workbook carries (its XLWINGS_VERSION)."""
    for code in vba_modules(path).values():
        m = re.search(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', code)
        if m:
            return m.group(1)
    return None


def button_macros(path) -> list[str]:
    """The macro of every form control in a workbook file: the text of each
    ``<x:FmlaMacro>`` in its VML drawings (e.g. ``[0]!'RunPython "import …"'``)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/drawings/") and name.endswith(".vml"):
                text = z.read(name).decode("utf-8", "replace")
                out += [unescape(m) for m in re.findall(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>",
                                                        text, re.DOTALL)]
    return out


def ribbon_actions(path) -> list[str]:
    """The onAction callbacks of a workbook's or add-in's ribbon (customUI XML)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.lower().startswith("customui/") and name.lower().endswith(".xml"):
                out += re.findall(r'onAction="([^"]+)"', z.read(name).decode("utf-8"))
    return out


def macro_procedure(macro: str) -> str:
    """The VBA procedure a control's macro calls: ``[0]!'RunPython "…"'`` -> RunPython,
    ``'Book.xlsm'!Module1.SampleCall`` -> SampleCall, ``RibbonMyAddin.RunMain`` ->
    RunMain."""
    text = macro.strip()
    if "!" in text and not text.startswith('"'):
        prefix, rest = text.split("!", 1)
        if prefix.startswith("[") or prefix.endswith("'") or "." in prefix or prefix.isalnum():
            text = rest
    text = text.strip().strip("'").strip()
    name = re.match(r"[\w.]+", text).group(0)
    return name.rsplit(".", 1)[-1]


# --- A contract workbook to click on ---------------------------------------------------------

MEASURES = (  # Åtgärd, Avdelning, Årsarbetare, Månadslön, Belopp helår, Start
    ("Sänka delegationsnivån", "Förvaltningsledning", None, None, None, None),
    ("Minska arbetsstyrkan, unga", "Unga", 1, 36000, None, dt.datetime(2024, 9, 1)),
    ("Minska arbetsstyrkan, vuxna", "Vuxna", 1, 36000, None, dt.datetime(2024, 9, 1)),
    ("Avtal spädbarnsverksamhet", "Unga", None, None, 3247.2, dt.datetime(2025, 1, 1)),
)


def build_workbook(path, *, drift=SEED_ROWS, kontroll_rows=1, conf=xl.CONF_ROWS,
                   settings=None) -> Path:
    """A workbook with every table and name of the contract and the seed's figures,
    built with XlsxWriter: a stand-in for the template while it is being built."""
    s = {c.NAMND: "Socialnämnden", c.AR: 2024, c.PERIOD: 5, c.ENHET: "tkr",
         c.TECKENKONVENTION: c.KOSTNADER_NEGATIVA, c.KOMMUNBIDRAG_RAD: "Kommunbidrag",
         c.PO_PALAGG: 0.45, **(settings or {})}
    wb = xlsxwriter.Workbook(path)
    if str(path).endswith(".xlsm"):  # a macro workbook, as its name says: the template's VBA
        with zipfile.ZipFile(ROOT / "workbook" / "uppfoljning.xlsm") as template:
            wb.add_vba_project(io.BytesIO(template.read("xl/vbaProject.bin")), is_stream=True)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})

    def named(ws, sheet, row, name, value=None):
        ws.write(row, 0, name)
        if value is not None:
            ws.write(row, 1, value)
        wb.define_name(name, f"='{sheet}'!$B${row + 1}")

    def table(ws, row, col, name, headers, rows):
        last = row + max(len(rows), 1)
        ws.add_table(row, col, last, col + len(headers) - 1,
                     {"name": name, "columns": [{"header": h} for h in headers],
                      "autofilter": False})
        for i, values in enumerate(rows, start=1):
            for j, v in enumerate(values):
                if isinstance(v, dt.datetime):
                    ws.write_datetime(row + i, col + j, v, date)
                elif v is not None:
                    ws.write(row + i, col + j, v)

    ws = wb.add_worksheet("Inställningar")
    for i, name in enumerate((c.NAMND, c.AR, c.PERIOD, c.ENHET, c.TECKENKONVENTION,
                              c.KOMMUNBIDRAG_RAD, c.PO_PALAGG)):
        named(ws, "Inställningar", i, name, s.get(name))

    ws = wb.add_worksheet("Drift")
    ws.write(0, 0, "Driftredovisning")
    table(ws, 5, 0, c.DRIFT, c.TABLES[c.DRIFT],
          [(n, p, b, f, None, None) for n, p, b, f in drift])
    # The live Snabbkontroll (UDF cells), where the headless run never writes.
    formulas = xl.template_formulas("I7", "J3")
    ws.write("J3", "Årets resultat")
    ws.write_dynamic_array_formula("J4:J4", formulas["avvikelse"], None, "-3,0 mnkr")
    ws.write_dynamic_array_formula("I7:I7", formulas["drift"], None, "Rad")

    ws = wb.add_worksheet("Buffert och struktur")
    for i, (name, value) in enumerate(((c.BUFFERT_ANDEL, 0.015), (c.BUFFERT_BELOPP, None),
                                       (c.BUFFERT_INTECKNAT, 3676.23), (c.BUFFERT_KVAR, None),
                                       (c.BUFFERT_TACKNING, None),
                                       (c.STRUKTURELLT_UNDERSKOTT, 4500),
                                       (c.STRUKTURELLT_BELOPP, None),
                                       (c.STRUKTURELLT_ANDEL, None))):
        named(ws, "Buffert och struktur", i, name, value)
    table(ws, 10, 0, c.ENGANGSPOSTER, c.TABLES[c.ENGANGSPOSTER], [])

    ws = wb.add_worksheet("Handlingsplan")
    for i, name in enumerate((c.ATGARDER_HELARSEFFEKT, c.ATGARDER_EFFEKT_I_AR,
                              c.ATGARDER_TACKNING, c.ATGARDER_KVAR, c.BALANS_AR)):
        named(ws, "Handlingsplan", i, name)
    table(ws, 7, 0, c.ATGARDER, c.TABLES[c.ATGARDER], MEASURES)
    table(ws, 7, 10, c.ARBETSSTYRKA, c.TABLES[c.ARBETSSTYRKA], [("Unga", 77), ("Vuxna", 71)])

    ws = wb.add_worksheet("Kontroll")
    named(ws, "Kontroll", 0, c.KONTROLL_STATUS)
    named(ws, "Kontroll", 1, c.RIKTPUNKT)
    table(ws, 2, 0, c.KONTROLL, c.TABLES[c.KONTROLL],
          [("Info", "", "", f"gammalt meddelande {i}") for i in range(kontroll_rows)])

    if conf is not None:
        ws = wb.add_worksheet(xl.CONF_SHEET)
        for i, (key, value) in enumerate(conf):
            ws.write_string(i, 0, key)
            if value is not None:
                ws.write(i, 1, value)
        ws.hide()
    wb.close()
    return Path(path)


# --- The headless run's plan -------------------------------------------------------------------

def headless_plan(path):
    """What ``followup-xl calc`` computes and plans to write for the file: (result, writes).
    ``writes`` is None when the input has errors (the headless run writes nothing)."""
    from followup_xl.jobs.calc import compute_book, plan_results

    result, layout = compute_book(path)
    if not result.ok:
        return result, layout, None
    result, writes = plan_results(result, layout)
    return result, layout, writes


def as_written(writes) -> dict[str, dict[str, object]]:
    """A plan's cells as they arrive in Excel: numbers as int or float, None as ""."""
    out = {}
    for sheet, cells in writes.cells.items():
        for cell, value in cells.items():
            v = xl.excel_value(value)
            out.setdefault(sheet, {})[cell] = "" if v is None else v
    return out


# --- Python as Excel starts it ------------------------------------------------------------

def as_excel_starts_python(monkeypatch, name: str | None) -> None:
    if sys.platform.startswith("win"):
        pytest.skip("on Windows Book.caller() asks Excel through COM (--hwnd)")
    from xlwings.pro import _xlremote

    argv = ["-c"] + ([f"--wb={name}"] if name is not None else []) + ["--from_xl=1"]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(xw.engines, "active", xw.engines["remote"])
    monkeypatch.setattr(_xlremote.App, "version", property(lambda self: "16.0"))
