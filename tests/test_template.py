"""Tests of the built workbooks: workbook/uppfoljning.xlsm (the template) and
workbook/exempel_socialnamnden_maj_2024.xlsm (the worked example), read with openpyxl.

They check the workbook contract (tables, headers, defined names), the template's empty
inputs, the example's figures (from the May 2024 follow-up of a social services
committee), layout rules, formats, validation, the VBA project, the Excel front doors
(the Beräkna button, the xlwings.conf sheet, the Snabbkontroll formulas), the Rapport
sheet, and that a fresh build from workbook/src gives the committed files.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from followup_xl import contract as c
from followup_xl.doors import excel as xl
from workbooks import load_build_module
from excel_helpers import (button_macros, macro_procedure, vba_modules, vba_procedures,
                           vba_xlwings_version)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "uppfoljning.xlsm"
EXAMPLE = ROOT / "workbook" / "exempel_socialnamnden_maj_2024.xlsm"
FILES = {"mall": TEMPLATE, "exempel": EXAMPLE}

SHEETS = ["Instruktioner", "Inställningar", "Drift", "Buffert och struktur", "Handlingsplan",
          "Utfall", "Månadsbudget", "Utfall fg år", "Periodisering", "Prognoshistorik",
          "Import", "Kontroll", "Rapport", "xlwings.conf"]
HIDDEN_SHEETS = {"xlwings.conf"}
TABLE_SHEETS = {c.DRIFT: "Drift", c.ENGANGSPOSTER: "Buffert och struktur",
                c.ATGARDER: "Handlingsplan", c.ARBETSSTYRKA: "Handlingsplan",
                c.UTFALL: "Utfall", c.MANADSBUDGET: "Månadsbudget", c.MAPPNING: "Import",
                c.IMPORTKOLUMNER: "Import", c.OMAPPAT: "Import", c.UTFALL_FG: "Utfall fg år",
                c.PERIODISERINGSNYCKLAR: "Periodisering",
                c.PROGNOSHISTORIK: "Prognoshistorik", c.PROGNOSSAKERHET: "Prognoshistorik",
                c.KONTROLL: "Kontroll", c.RAPPORT: "Rapport"}
# VBA code names (docs/template.md): the project's own document modules ThisWorkbook,
# Sheet1 and Sheet2 each get their object; the other sheets get Excel's defaults.
CODE_NAMES = {name: f"Sheet{i + 1}" for i, name in enumerate(SHEETS)}
DRIFT_HEADERS = ("Rad", "Ingår i", "Budget", "Budget ack", "Utfall ack", "Avvikelse ack",
                 "Utfall %", "Utfall ack fg år", "Prognos", "Prognosförslag", "Avvikelse",
                 "Föregående prognos", "Förändring", "Kommentar", "Nyckel", "Summeras ej",
                 "Kontrollsumma")
DRIFT_AMOUNTS = ("Budget", "Budget ack", "Utfall ack", "Avvikelse ack", "Utfall ack fg år",
                 "Prognos", "Prognosförslag", "Avvikelse", "Föregående prognos", "Förändring")
DEFAULT_ROWS = [
    ("Verksamhetens intäkter", "Verksamhetens nettokostnader"),
    ("Personalkostnader", "Verksamhetens kostnader"),
    ("Lokalhyror", "Verksamhetens kostnader"),
    ("Köp av tjänster", "Verksamhetens kostnader"),
    ("Övriga kostnader", "Verksamhetens kostnader"),
    ("Verksamhetens kostnader", "Verksamhetens nettokostnader"),
    ("Verksamhetens nettokostnader", "Årets resultat"),
    ("Kommunbidrag", "Årets resultat"),
    ("Finansnetto", "Årets resultat"),
    ("Årets resultat", None),
]
TOTAL_ROWS = {"Verksamhetens kostnader", "Verksamhetens nettokostnader", "Årets resultat"}

# The seed's figures, tkr: (budget, prognos).
SEED_DRIFT = {
    "Verksamhetens intäkter": (31417, 31417),
    "Personalkostnader": (-158695, -157695),
    "Lokalhyror": (-17416, -17416),
    "Köp av tjänster": (-62376, -66376),
    "Övriga kostnader": (-38013, -38013),
    "Kommunbidrag": (245082, 245082),
    "Finansnetto": (0, 0),
}

AMOUNT = "#,##0"
SHARE = "0.0%"
AMOUNT_NAMES = (c.BUFFERT_BELOPP, c.BUFFERT_INTECKNAT, c.BUFFERT_KVAR,
                c.STRUKTURELLT_UNDERSKOTT, c.STRUKTURELLT_BELOPP, c.ATGARDER_HELARSEFFEKT,
                c.ATGARDER_EFFEKT_I_AR, c.ATGARDER_KVAR)
SHARE_NAMES = (c.BUFFERT_ANDEL, c.PO_PALAGG, c.BUFFERT_TACKNING, c.STRUKTURELLT_ANDEL,
               c.ATGARDER_TACKNING)
COLUMN_FORMATS = {
    c.DRIFT: {**{h: AMOUNT for h in DRIFT_AMOUNTS}, "Utfall %": "0%"},
    c.ENGANGSPOSTER: {c.ENG_BELOPP: AMOUNT},
    c.ATGARDER: {c.ATG_ARSARBETARE: "0.0", c.ATG_MANADSLON: "#,##0", c.ATG_BELOPP: AMOUNT,
                 c.ATG_START: "yyyy-mm-dd", c.ATG_HELARSEFFEKT: AMOUNT,
                 c.ATG_EFFEKT_I_AR: AMOUNT, c.ATG_ANDEL: SHARE},
    c.ARBETSSTYRKA: {c.AST_ARSARBETARE: "0.0"},
}
# Columns in the unit (one decimal when Enhet is mnkr); Månadslön is always kronor.
UNIT_COLUMNS = {
    c.DRIFT: set(DRIFT_AMOUNTS),
    c.ENGANGSPOSTER: {c.ENG_BELOPP},
    c.ATGARDER: {c.ATG_BELOPP, c.ATG_HELARSEFFEKT, c.ATG_EFFEKT_I_AR},
    c.UTFALL: set(c.MONTH_COLUMNS),
    c.MANADSBUDGET: set(c.MONTH_COLUMNS),
    c.OMAPPAT: {c.OMA_BELOPP},
    c.UTFALL_FG: set(c.MONTH_COLUMNS),
    c.PROGNOSHISTORIK: {c.PH_PROGNOS, c.PH_UTFALL_ACK},
    c.PROGNOSSAKERHET: {c.PS_PROGNOS, c.PS_UTFALL, c.PS_PROGNOSFEL},
}


build = load_build_module()
# The Snabbkontroll on Drift (the cells followup_xl.doors.excel.template_formulas is given),
# placed by the template builder after the Drift table and an empty column.
SPILL_ANCHOR, ROW_CELL, AVVIKELSE_CELL = build.SPILL_ANCHOR, build.ROW_CELL, build.AVVIKELSE_CELL
SNABB_COLUMNS = [get_column_letter(column_index_from_string(SPILL_ANCHOR[0]) + i)
                 for i in range(len(xl.DRIFT_SPILL_COLUMNS))]


@pytest.fixture(scope="module")
def books():
    return {key: load_workbook(path) for key, path in FILES.items()}


@pytest.fixture(scope="module", params=list(FILES))
def wb(request, books):
    return books[request.param]


# --- small helpers ------------------------------------------------------------------------

def named_cell(wb, name):
    dn = wb.defined_names[name]
    ((sheet, coord),) = list(dn.destinations)
    return wb[sheet][coord.replace("$", "")]


def find_table(wb, name):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise KeyError(name)


def table_rows(wb, name):
    """The data rows of a table as dicts header -> cell."""
    ws, t = find_table(wb, name)
    min_col, min_row, max_col, max_row = range_boundaries(t.ref)
    headers = [col.name for col in t.tableColumns]
    return [{h: ws.cell(r, min_col + i) for i, h in enumerate(headers)}
            for r in range(min_row + 1, max_row + 1)]


def drift_rows(wb):
    return {row["Rad"].value: row for row in table_rows(wb, c.DRIFT)}


def fill(cell):
    return cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def quickstart_vba():
    import xlwings

    src = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(src) as z:
        return z.read("xl/vbaProject.bin")


# --- the contract -------------------------------------------------------------------------

def test_sheets_in_order(wb):
    assert wb.sheetnames == SHEETS
    hidden = {ws.title for ws in wb.worksheets if ws.sheet_state != "visible"}
    assert hidden == HIDDEN_SHEETS
    visible = [n for n in SHEETS if n not in hidden]
    assert visible[-2:] == ["Kontroll", "Rapport"]


def test_every_table_with_exactly_its_headers(wb):
    found = {}
    for ws in wb.worksheets:
        for t in ws.tables.values():
            assert t.name not in found, f"table {t.name} twice"
            found[t.name] = (ws.title, tuple(col.name for col in t.tableColumns))
    assert set(found) == set(c.TABLES)
    for name, required in c.TABLES.items():
        sheet, headers = found[name]
        assert sheet == TABLE_SHEETS[name]
        expected = DRIFT_HEADERS if name == c.DRIFT else required
        assert headers == expected
        assert set(required) <= set(headers)
        assert set(headers) <= set(required) | set(c.OPTIONAL_COLUMNS.get(name, ()))
        # header cells hold exactly the header texts
        ws, t = find_table(wb, name)
        min_col, min_row, _, _ = range_boundaries(t.ref)
        assert tuple(ws.cell(min_row, min_col + i).value
                     for i in range(len(headers))) == headers


def test_every_defined_name_at_workbook_scope_on_one_cell(wb):
    names = c.INPUT_NAMES + c.OUTPUT_NAMES + c.IMPORT_OUTPUT_NAMES
    for name in names:
        assert name in wb.defined_names, name
        dn = wb.defined_names[name]
        assert dn.localSheetId is None
        dests = list(dn.destinations)
        assert len(dests) == 1, name
        sheet, coord = dests[0]
        assert sheet in wb.sheetnames
        assert ":" not in coord and re.fullmatch(r"\$[A-Z]+\$\d+", coord), (name, coord)
    for ws in wb.worksheets:  # no sheet-scoped copies that could shadow them
        assert not set(ws.defined_names) & set(names)
    cells = [(named_cell(wb, n).parent.title, named_cell(wb, n).coordinate) for n in names]
    assert len(set(cells)) == len(cells)


LONG_TEXT_NAMES = {c.HANDLINGSPLAN_KOMMENTAR}  # a wide wrapping cell: its label stands above


def test_named_cells_have_label_left_and_help_right(wb):
    for name in c.INPUT_NAMES + c.OUTPUT_NAMES + c.IMPORT_OUTPUT_NAMES:
        cell = named_cell(wb, name)
        ws = cell.parent
        label = (ws.cell(cell.row - 1, cell.column) if name in LONG_TEXT_NAMES
                 else ws.cell(cell.row, cell.column - 1))
        assert isinstance(label.value, str), name
        assert isinstance(ws.cell(cell.row, cell.column + 1).value, str), name


# --- template contents ------------------------------------------------------------------

def test_template_inputs_empty_except_defaults(books):
    wb = books["mall"]
    for name in c.INPUT_NAMES:
        assert named_cell(wb, name).value == c.DEFAULTS.get(name), name
    for name in c.OUTPUT_NAMES:
        assert named_cell(wb, name).value is None, name
    rows = table_rows(wb, c.DRIFT)
    assert [(r["Rad"].value, r["Ingår i"].value) for r in rows] == DEFAULT_ROWS
    for r in rows:
        for h in DRIFT_HEADERS[2:]:
            assert r[h].value is None, (r["Rad"].value, h)
    for table in (c.ENGANGSPOSTER, c.ATGARDER, c.ARBETSSTYRKA, c.KONTROLL, c.RAPPORT):
        rows = table_rows(wb, table)
        assert len(rows) == 1, table
        assert all(cell.value is None for cell in rows[0].values()), table


def test_kontroll_has_one_empty_row_in_both(wb):
    if named_cell(wb, c.KONTROLL_STATUS).value is None:  # not computed
        rows = table_rows(wb, c.KONTROLL)
        assert len(rows) == 1 and all(cell.value is None for cell in rows[0].values())


# --- the worked example -----------------------------------------------------------------

def test_example_settings(books):
    wb = books["exempel"]
    expected = {c.NAMND: "Socialnämnden", c.AR: 2024, c.PERIOD: 5, c.ENHET: "tkr",
                c.TECKENKONVENTION: "Kostnader negativa", c.KOMMUNBIDRAG_RAD: "Kommunbidrag",
                c.PO_PALAGG: 0.45, c.BUFFERT_ANDEL: 0.015, c.BUFFERT_INTECKNAT: 3676.236,
                c.STRUKTURELLT_UNDERSKOTT: 4500}
    for name, value in expected.items():
        assert named_cell(wb, name).value == value, name
    # the buffer is fully committed: 1,5 % of the kommunbidrag, to the krona
    kommunbidrag = Decimal(str(drift_rows(wb)["Kommunbidrag"]["Budget"].value))
    assert abs(Decimal("0.015") * kommunbidrag - Decimal("3676.236")) < Decimal("0.001")


def _rounded(value) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def test_example_drift_holds_the_seed(books):
    """The example's rows carry ledger precision (kronor and öre in tkr) and round to the
    seed's printed figures; so do the totals computed from them (the seed's totals were
    computed from unrounded amounts, so its printed rows do not add up to its totals)."""
    rows = drift_rows(books["exempel"])
    assert [(name, r["Ingår i"].value) for name, r in rows.items()] == DEFAULT_ROWS
    exact = {}
    for name, (budget, forecast) in SEED_DRIFT.items():
        r = rows[name]
        assert (_rounded(r["Budget"].value), _rounded(r["Prognos"].value)) == \
            (budget, forecast), name
        assert r["Föregående prognos"].value == r["Prognos"].value, name  # as in April
        assert isinstance(r["Kommentar"].value, str) and 5 < len(r["Kommentar"].value) < 250
        exact[name] = (Decimal(str(r["Budget"].value)), Decimal(str(r["Prognos"].value)))
    assert any(b != _rounded(b) for b, _ in exact.values())  # not the rounded integers
    costs = [exact[k] for k in ("Personalkostnader", "Lokalhyror", "Köp av tjänster",
                                "Övriga kostnader")]
    net_budget = exact["Verksamhetens intäkter"][0] + sum(b for b, _ in costs)
    net_forecast = exact["Verksamhetens intäkter"][1] + sum(f for _, f in costs)
    assert (_rounded(sum(b for b, _ in costs)), _rounded(sum(f for _, f in costs))) == \
        (-276500, -279500)
    assert (_rounded(net_budget), _rounded(net_forecast)) == (-245082, -248082)
    # the budget is exactly in balance, and the forecast result exactly -3 000
    assert net_budget + exact["Kommunbidrag"][0] == 0
    assert net_forecast + exact["Kommunbidrag"][1] == -3000
    # while the printed figures themselves do not add up: -1 and -3 001
    assert sum(f for _, f in SEED_DRIFT.values()) == -3001
    assert sum(b for b, _ in SEED_DRIFT.values()) == -1


def test_example_action_plan(books):
    wb = books["exempel"]
    staff = {r[c.AST_AVDELNING].value: r[c.AST_ARSARBETARE].value
             for r in table_rows(wb, c.ARBETSSTYRKA)}
    assert staff["Unga"] == 77 and staff["Vuxna"] == 71
    assert round(1 / staff["Unga"] * 100, 1) == 1.3
    assert round(1 / staff["Vuxna"] * 100, 1) == 1.4
    rows = table_rows(wb, c.ATGARDER)
    assert len(rows) == 4
    first = rows[0]
    assert "delegation" in first[c.ATG_ATGARD].value.lower()
    assert all(first[h].value is None for h in (c.ATG_ARSARBETARE, c.ATG_MANADSLON,
                                                c.ATG_BELOPP, c.ATG_START))
    for r, dept in zip(rows[1:3], ("Unga", "Vuxna")):
        assert r[c.ATG_AVDELNING].value == dept
        assert r[c.ATG_ARSARBETARE].value == 1.0
        assert r[c.ATG_MANADSLON].value == 36000
        assert r[c.ATG_BELOPP].value is None
        assert r[c.ATG_START].value == dt.datetime(2024, 9, 1)
    last = rows[3]
    assert "spädbarn" in last[c.ATG_ATGARD].value
    assert last[c.ATG_BELOPP].value == 3247.2
    assert last[c.ATG_START].value == dt.datetime(2025, 1, 1)
    po = Decimal(str(named_cell(wb, c.PO_PALAGG).value))
    staff_effect = Decimal("1.0") * 36000 * 12 * (1 + po) / 1000
    assert staff_effect == Decimal("626.4")
    assert 2 * staff_effect + Decimal("3247.2") == Decimal(4500)
    # the plan's caveat (a named input the report repeats) says the split is illustrative
    note = named_cell(wb, c.HANDLINGSPLAN_KOMMENTAR).value
    assert "räkneexempel" in note and "4,5 mnkr" in note


# --- layout rules -------------------------------------------------------------------------

def test_nothing_below_the_tables(wb):
    """On every sheet with tables, no cell below the first table header row holds a
    value unless it is inside a table (side by side tables included), so that tables can
    grow downwards. The one exception is the Snabbkontroll's FU_DRIFT anchor on Drift,
    beside the table's header row: it spills downwards itself."""
    for ws in wb.worksheets:
        if not ws.tables:
            continue
        ranges = [range_boundaries(t.ref) for t in ws.tables.values()]
        top = min(r[1] for r in ranges)
        for row in ws.iter_rows(min_row=top, max_row=max(ws.max_row, top)):
            for cell in row:
                inside = any(c1 <= cell.column <= c2 and r1 <= cell.row <= r2
                             for c1, r1, c2, r2 in ranges)
                if (ws.title, cell.coordinate) == ("Drift", SPILL_ANCHOR):
                    continue
                if not inside:
                    assert cell.value is None, f"{ws.title}!{cell.coordinate}"
        assert not ws.merged_cells.ranges


def test_side_by_side_tables_share_the_header_row(wb):
    ws1, atg = find_table(wb, c.ATGARDER)
    ws2, ast = find_table(wb, c.ARBETSSTYRKA)
    assert ws1 is ws2
    a = range_boundaries(atg.ref)
    b = range_boundaries(ast.ref)
    assert a[1] == b[1]
    assert b[0] == a[2] + 2  # one empty column between


def test_drift_has_room_for_the_button_and_unit_line(books):
    ws, t = find_table(books["mall"], c.DRIFT)
    header_row = range_boundaries(t.ref)[1]
    assert header_row >= 6
    texts = [ws.cell(r, 1).value for r in range(1, header_row)]
    assert any(isinstance(v, str) and "Enhet" in v and "Belopp i" in v for v in texts)
    assert ws.freeze_panes == f"A{header_row + 1}"
    # The Beräkna button floats over E1:G3, so those cells stay empty.
    assert all(ws[f"{col}{r}"].value is None for col in "EFGH" for r in (1, 2, 3))
    # The printout is the Drift table through Kommentar, without the Snabbkontroll.
    last = get_column_letter(1 + DRIFT_HEADERS.index("Kommentar"))
    assert ws.print_area == f"'Drift'!$A$1:${last}$1048576"


# --- formats, styles, validation ------------------------------------------------------------

def test_number_formats(wb):
    for name in AMOUNT_NAMES:
        assert named_cell(wb, name).number_format == AMOUNT, name
    for name in SHARE_NAMES:
        assert named_cell(wb, name).number_format == SHARE, name
    assert named_cell(wb, c.BALANS_AR).number_format == "0"
    assert named_cell(wb, c.AR).number_format == "0"
    for table, formats in COLUMN_FORMATS.items():
        for row in table_rows(wb, table):
            for header, fmt in formats.items():
                assert row[header].number_format == fmt, (table, header)


def _mnkr_rules(ws):
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if (rule.type == "expression" and rule.formula == [f'{c.ENHET}="mnkr"']
                    and rule.dxf is not None and rule.dxf.numFmt is not None
                    and rule.dxf.numFmt.formatCode == "#,##0.0"):
                yield cf.sqref


def _covered(ws, row, col):
    return any(any(r.min_row <= row <= r.max_row and r.min_col <= col <= r.max_col
                   for r in sqref.ranges) for sqref in _mnkr_rules(ws))


def test_mnkr_conditional_format_on_amounts(wb):
    for name in AMOUNT_NAMES:
        cell = named_cell(wb, name)
        assert _covered(cell.parent, cell.row, cell.column), name
    for table in c.TABLES:
        ws, t = find_table(wb, table)
        min_col, _, _, max_row = range_boundaries(t.ref)
        headers = [col.name for col in t.tableColumns]
        for header in headers:
            col = min_col + headers.index(header)
            in_unit = header in UNIT_COLUMNS.get(table, ())
            for row in (max_row, max_row + 50):  # also rows added under the table
                assert _covered(ws, row, col) == in_unit, (table, header)


def test_validation(wb):
    def rules_for(name):
        cell = named_cell(wb, name)
        return [dv for dv in cell.parent.data_validations.dataValidation
                if cell.coordinate in dv.sqref]

    expectations = {
        c.ENHET: ("list", '"kr,tkr,mnkr"', None),
        c.TECKENKONVENTION: ("list", '"Kostnader negativa,Kostnader positiva"', None),
        c.PERIOD: ("whole", "1", "12"),
        c.AR: ("whole", "2000", "2100"),
        c.BUFFERT_ANDEL: ("decimal", "0", "1"),
        c.PO_PALAGG: ("decimal", "0", "1"),
    }
    for name, (kind, f1, f2) in expectations.items():
        (dv,) = rules_for(name)
        assert (dv.type, dv.formula1, dv.formula2) == (kind, f1, f2), name
        assert dv.showErrorMessage and dv.error and dv.errorTitle, name
        assert dv.prompt and dv.promptTitle, name


def test_input_and_computed_styles_differ(wb):
    in_fills = {fill(named_cell(wb, n)) for n in c.INPUT_NAMES}
    out_fills = {fill(named_cell(wb, n)) for n in c.OUTPUT_NAMES}
    assert len(in_fills) == 1 and len(out_fills) == 1 and in_fills != out_fills
    (in_fill,), (out_fill,) = in_fills, out_fills
    assert None not in (in_fill, out_fill)
    out_font = named_cell(wb, c.BUFFERT_BELOPP).font.color.rgb
    assert out_font != named_cell(wb, c.BUFFERT_ANDEL).font.color
    # Drift: the amounts that follow the tree carry no fill of their own; conditional
    # formats colour them by the row's place in the tree (test_drift_styles_follow_the_tree)
    for name, r in drift_rows(wb).items():
        for h in ("Budget", "Prognos", "Föregående prognos"):
            assert fill(r[h]) is None, (name, h)
        assert fill(r["Avvikelse"]) == out_fill
        assert fill(r["Kommentar"]) == in_fill and fill(r["Rad"]) == in_fill
    for row in table_rows(wb, c.ATGARDER):
        for h in set(c.COMPUTED_COLUMNS[c.ATGARDER]) - {c.KONTROLLSUMMA}:
            assert fill(row[h]) == out_fill, h
    kontroll = table_rows(wb, c.KONTROLL)
    for h in c.COMPUTED_COLUMNS[c.KONTROLL]:  # the row the template ships with
        assert fill(kontroll[0][h]) == out_fill, h
    for row in table_rows(wb, c.ATGARDER):
        for h in set(c.TABLES[c.ATGARDER]) - set(c.COMPUTED_COLUMNS[c.ATGARDER]):
            assert fill(row[h]) == in_fill, h


def _tree_rules(ws):
    """The Drift sheet's tree rules: (formula, sqref, dxf) of the COUNTIF rules."""
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.type == "expression" and "COUNTIF" in rule.formula[0]:
                yield rule.formula[0], cf.sqref, rule.dxf


def test_drift_styles_follow_the_tree(wb):
    """Whether a row is an input row or a total row is visible from the tree itself:
    conditional formats ask whether the row's name appears in Ingår i, over the whole
    sheet below the header, so a tree typed anew or rows added under the table follow."""
    ws, t = find_table(wb, c.DRIFT)
    min_col, header_row, _, _ = range_boundaries(t.ref)
    letter = {h: get_column_letter(min_col + DRIFT_HEADERS.index(h)) for h in DRIFT_HEADERS}
    first = header_row + 1
    rad, ingar = letter["Rad"], letter["Ingår i"]
    total = f'AND(${rad}{first}<>"",COUNTIF(${ingar}:${ingar},${rad}{first})>0)'
    leaf = f'AND(${rad}{first}<>"",COUNTIF(${ingar}:${ingar},${rad}{first})=0)'
    rules = list(_tree_rules(ws))
    in_fill, out_fill = fill(named_cell(wb, c.ENHET)), fill(named_cell(wb, c.BUFFERT_BELOPP))

    def covers(sqref, header):
        col = column_index_from_string(letter[header])
        return all(any(r.min_col <= col <= r.max_col and r.min_row <= row <= r.max_row
                       for r in sqref.ranges) for row in (first, first + 5000, 1048576))

    def dxf_fill(dxf):
        return dxf.fill.bgColor.rgb if dxf.fill is not None else None

    for header in ("Budget", "Prognos", "Föregående prognos"):
        ((_, total_dxf),) = [(s, d) for f, s, d in rules if f == total and covers(s, header)]
        ((_, leaf_dxf),) = [(s, d) for f, s, d in rules if f == leaf and covers(s, header)]
        assert dxf_fill(total_dxf) == out_fill and total_dxf.font.b
        assert dxf_fill(leaf_dxf) == in_fill
    for header in ("Rad", "Ingår i", "Avvikelse"):
        assert any(f == total and covers(s, header) and d.font.b for f, s, d in rules)
    # what the rule says, evaluated on the template's own tree, is the engine's tree
    names = {r["Rad"].value for r in table_rows(wb, c.DRIFT)}
    parents = {str(r["Ingår i"].value).casefold() for r in table_rows(wb, c.DRIFT)
               if r["Ingår i"].value}
    assert {n for n in names if n.casefold() in parents} == TOTAL_ROWS


def test_no_protection_and_print_settings(wb):
    for ws in wb.worksheets:
        assert not ws.protection.sheet, ws.title
        if ws.title in HIDDEN_SHEETS:
            continue
        orientation = "portrait" if ws.title == "Rapport" else "landscape"
        assert ws.page_setup.orientation == orientation, ws.title
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0


def test_instructions_explain_the_essentials(wb):
    text = " ".join(str(v) for row in wb["Instruktioner"].iter_rows(values_only=True)
                    for v in row if v)
    for needle in ("followup-xl calc", "Kontroll", "gul", "Grå", "Kostnader negativa",
                   "Kostnader positiva", "positiv avvikelse", "mnkr",
                   "avrundningsdifferenser",
                   # the button, the Rapport sheet, the FU functions and the set-up guide
                   f"knappen {xl.BUTTON_CAPTION} överst på bladet Drift",
                   "followup-xl report", "Bladet Rapport", "Snabbkontrollen",
                   "FU-funktionerna", "Excel för Windows", "ImportPythonUDFs",
                   "Import Functions", "xlwings-tillägget", "README", "docs/excel.md",
                   xl.CONF_SHEET):
        assert needle in text, needle


# --- the package: VBA, properties, reproducibility ----------------------------------------

@pytest.mark.parametrize("path", list(FILES.values()), ids=list(FILES))
def test_vba_project_is_xlwings_own_and_code_names_match(path):
    p = parts(path)
    assert p["xl/vbaProject.bin"] == quickstart_vba()
    types = p["[Content_Types].xml"].decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    wb = load_workbook(path)
    assert wb.code_name == "ThisWorkbook"
    assert {ws.title: ws.sheet_properties.codeName for ws in wb.worksheets} == CODE_NAMES
    # the document modules of the project each have their object, and no more exist
    modules = set(vba_module_names(path))
    assert {"ThisWorkbook", "Sheet1", "Sheet2"} <= modules
    assert not {m for m in modules if m.startswith("Sheet")} - set(CODE_NAMES.values())


def vba_module_names(path):

    return vba_modules(path).keys()


# --- the Excel front doors: button, xlwings.conf, Snabbkontroll ----------------------------

def drawing_of(path, sheet_name):
    """The VML drawing part of a sheet (by the sheet's relationships), or None."""
    import posixpath
    import xml.etree.ElementTree as ET

    rel_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    main_ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    r_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    p = parts(path)

    def rels(part):
        folder, name = posixpath.split(part)
        data = p.get(f"{folder}/_rels/{name}.rels")
        if data is None:
            return {}
        return {r.get("Id"): (r.get("Type"), posixpath.normpath(
                    posixpath.join(folder, r.get("Target"))))
                for r in ET.fromstring(data).iter(rel_ns + "Relationship")}

    book = ET.fromstring(p["xl/workbook.xml"])
    book_rels = rels("xl/workbook.xml")
    for sheet in book.iter(main_ns + "sheet"):
        if sheet.get("name") == sheet_name:
            part = book_rels[sheet.get(r_ns + "id")][1]
            for rtype, target in rels(part).values():
                if rtype.endswith("/vmlDrawing"):
                    return target
    return None


@pytest.mark.parametrize("path", list(FILES.values()), ids=list(FILES))
def test_beräkna_button_on_drift_calls_runpython(path):
    # exactly one form control in the workbook: the button, on Drift
    assert button_macros(path) == [f"[0]!{xl.BUTTON_MACRO}"]
    assert button_macros(path) == ["[0]!'RunPython \"import followup_xl; "
                                   "followup_xl.main()\"'"]
    vml = drawing_of(path, "Drift")
    assert vml is not None
    text = parts(path)[vml].decode("utf-8")
    assert 'ObjectType="Button"' in text and f">{xl.BUTTON_CAPTION}</font>" in text
    assert ("<x:FmlaMacro>[0]!'RunPython \"import followup_xl; followup_xl.main()\"'"
            "</x:FmlaMacro>") in text
    # the button lies in E1:G3 (Anchor: col, dx, row, dy of its corners, 0-based)
    anchor = re.search(r"<x:Anchor>([^<]+)</x:Anchor>", text).group(1)
    col1, _, row1, _, col2, _, row2, _ = (int(v) for v in anchor.split(","))
    assert 4 <= col1 <= col2 <= 6 and 0 <= row1 <= row2 <= 2
    assert all(drawing_of(path, name) is None for name in SHEETS if name != "Drift")
    # the procedure it calls is in the workbook's own (xlwings') VBA project
    procedure = macro_procedure(button_macros(path)[0])
    assert procedure == xl.BUTTON_PROCEDURE == "RunPython"
    assert procedure in vba_procedures(path)
    assert vba_xlwings_version(path) == xl.XLWINGS_VERSION


@pytest.mark.parametrize("path", list(FILES.values()), ids=list(FILES))
def test_xlwings_conf_sheet(path):
    wb = load_workbook(path)
    ws = wb[xl.CONF_SHEET]
    assert ws.sheet_state == "hidden"
    assert (ws.max_row, ws.max_column) == (len(xl.CONF_ROWS), 2)
    rows = [tuple(cell.value for cell in row) for row in ws.iter_rows()]
    assert rows == [tuple(r) for r in xl.CONF_ROWS]
    # keys are text; values text, Excel booleans or empty, as CONF_ROWS has them
    kinds = {str: "s", bool: "b", type(None): "n"}
    assert [tuple(cell.data_type for cell in row) for row in ws.iter_rows()] == \
        [("s", kinds[type(v)]) for _, v in xl.CONF_ROWS]
    assert not ws.tables


def _formula_text(value):
    """A formula as template_formulas writes it: without the _xlfn. prefixes that
    XlsxWriter adds to Excel's newer functions in the file."""
    text = value.text if isinstance(value, ArrayFormula) else value
    return text.replace("_xlfn.", "")


def test_snabbkontroll_formulas(wb):
    ws = wb["Drift"]
    formulas = xl.template_formulas(SPILL_ANCHOR, ROW_CELL)
    first = SNABB_COLUMNS[0]
    assert ws[f"{first}1"].value == "Snabbkontroll"
    assert "FU-funktionerna" in ws[f"{first}2"].value and "Windows" in ws[f"{first}2"].value
    assert (ws[f"{first}3"].value, ws[ROW_CELL].value) == (c.DRIFT_RAD, "Årets resultat")
    assert ws[f"{first}4"].value == c.DRIFT_AVVIKELSE
    for cell, key in ((AVVIKELSE_CELL, "avvikelse"), (SPILL_ANCHOR, "drift")):
        value = ws[cell].value
        assert isinstance(value, ArrayFormula), cell
        assert value.ref == cell
        assert _formula_text(value) == formulas[key]
    # the input cell is yellow, with a list of the Drift rows
    in_fill = fill(named_cell(wb, c.ENHET))
    assert fill(ws[ROW_CELL]) == in_fill
    (dv,) = [dv for dv in ws.data_validations.dataValidation if ROW_CELL in dv.sqref]
    assert (dv.type, dv.formula1) == ("list", 'INDIRECT("Drift[Rad]")')
    # the spill range is empty: the anchor's table grows down and right from there
    _, t = find_table(wb, c.DRIFT)
    header_row = range_boundaries(t.ref)[1]
    assert SPILL_ANCHOR == f"{first}{header_row}"  # the spill's header beside the table's
    table_end = range_boundaries(t.ref)[2]
    for row in ws.iter_rows(min_row=header_row, max_row=max(ws.max_row, header_row),
                            min_col=table_end + 1, max_col=ws.max_column):
        for cell in row:
            if cell.coordinate != SPILL_ANCHOR:
                assert cell.value is None, cell.coordinate
    # an empty column between the Drift table and the Snabbkontroll
    spacer = table_end + 1
    assert column_index_from_string(first) == spacer + 1
    assert all(ws.cell(r, spacer).value is None for r in range(1, ws.max_row + 1))
    # widths as the Drift columns they repeat; amounts formatted as in Drift (a column
    # format, which the spilled cells take), with one decimal for mnkr
    dims = {}
    for d in ws.column_dimensions.values():
        for col in range(d.min, d.max + 1):
            dims[col] = d
    for i, header in enumerate(xl.DRIFT_SPILL_COLUMNS):
        col = column_index_from_string(first) + i
        assert dims[col].width == dims[1 + DRIFT_HEADERS.index(header)].width, header
        amount = header in COLUMN_FORMATS[c.DRIFT]
        assert (dims[col].number_format == AMOUNT) == amount, header
        assert _covered(ws, header_row + 1, col) == amount, header
        assert _covered(ws, 500, col) == amount, header


@pytest.mark.parametrize("path", list(FILES.values()), ids=list(FILES))
def test_snabbkontroll_is_stored_as_dynamic_arrays_with_a_note(path):
    """Dynamic array formulas (cm="1" and the metadata part), with cached values that
    programs which do not compute show: the note without the FU functions."""
    p = parts(path)
    assert "xl/metadata.xml" in p
    sheet = p["xl/worksheets/sheet3.xml"].decode("utf-8")
    for cell in (SPILL_ANCHOR, AVVIKELSE_CELL):
        m = re.search(rf'<c r="{cell}"[^>]*>', sheet)
        assert m and 'cm="1"' in m.group(0), cell
    cached = load_workbook(path, data_only=True)["Drift"]
    assert cached[SPILL_ANCHOR].value == xl.UDF_MISSING
    assert cached[AVVIKELSE_CELL].value == "–"
    formula = xl.template_formulas(SPILL_ANCHOR, ROW_CELL)["avvikelse"]
    assert formula.endswith(',"–")')


# --- the Rapport sheet -------------------------------------------------------------------

def test_rapport_sheet(wb):
    ws, t = find_table(wb, c.RAPPORT)
    assert ws.title == "Rapport"
    assert [col.name for col in t.tableColumns] == [c.RAP_TEXT] == ["Text"]
    min_col, header_row, max_col, max_row = range_boundaries(t.ref)
    assert (min_col, max_col) == (1, 1)
    assert ws["A1"].value == "Rapportutkast"
    help_text = ws["A2"].value
    assert "beräknas" in help_text and "followup-xl report" in help_text
    assert header_row == 4 and ws["A4"].value == "Text"
    assert ws.max_row <= max_row and ws.max_column == 1  # nothing below or beside
    rows = table_rows(wb, c.RAPPORT)
    if named_cell(wb, c.KONTROLL_STATUS).value is None:  # not computed
        assert len(rows) == 1 and rows[0]["Text"].value is None
    else:  # lines that fit the column, all alike (no row heights needed in any client)
        from followup_xl.workbook.writeplan import REPORT_LINE_WIDTH
        lines = [row["Text"].value for row in rows]
        assert lines[0].startswith("Månadsuppföljning")
        assert all(len(t) <= REPORT_LINE_WIDTH for t in lines if t)
        assert len({row["Text"].style_id for row in rows}) == 1
    assert ws.column_dimensions["A"].width >= 70
    assert ws.freeze_panes == f"A{header_row + 1}"


@pytest.mark.parametrize("path", list(FILES.values()), ids=list(FILES))
def test_no_machine_paths_in_parts(path):
    for name, data in parts(path).items():
        if name.endswith(".bin"):
            continue
        text = data.decode("utf-8", "replace")
        assert str(ROOT) not in text, name


def test_fixed_document_properties(wb):
    assert wb.properties.created == dt.datetime(2024, 1, 1)


def test_two_builds_are_identical(tmp_path):
    a = build.build(tmp_path / "a", calc=False)
    b = build.build(tmp_path / "b", calc=False)
    for x, y in zip(a, b):
        assert parts(x) == parts(y)


def _computed(cell, out_fill):
    return fill(cell) == out_fill


def _content(value):
    """A cell's content for comparison (openpyxl's ArrayFormula has no equality)."""
    if isinstance(value, ArrayFormula):
        return ("array", value.ref, value.text)
    return value


# Parts that followup-xl calc may rewrite: the sheets it writes into, table parts (resized
# output tables), shared strings, styles, and the workbook part (full calculation on load)
# with its relationships and the content types.
CALC_PARTS = re.compile(r"xl/worksheets/sheet\d+\.xml|xl/tables/table\d+\.xml|"
                        r"xl/sharedStrings\.xml|xl/styles\.xml|xl/workbook\.xml|"
                        r"xl/_rels/workbook\.xml\.rels|\[Content_Types\]\.xml")


def test_fresh_build_matches_committed_files(tmp_path):
    template, example = build.build(tmp_path, calc=False)
    committed, fresh = parts(TEMPLATE), parts(template)
    assert committed.keys() == fresh.keys()
    for name in fresh:
        assert committed[name] == fresh[name], name

    committed_wb = load_workbook(EXAMPLE)
    if named_cell(committed_wb, c.KONTROLL_STATUS).value is None:
        # the example was committed uncomputed: it must be the fresh build exactly
        committed, fresh = parts(EXAMPLE), parts(example)
        assert committed.keys() == fresh.keys()
        for name in fresh:
            assert committed[name] == fresh[name], name
        return
    # The computation ran on the committed example and rewrote its parts: compare every
    # cell that is not computed (grey) and not in an output table (Kontroll, Rapport).
    fresh_wb = load_workbook(example)
    out_fill = fill(named_cell(fresh_wb, c.BUFFERT_BELOPP))
    assert committed_wb.sheetnames == fresh_wb.sheetnames
    output_tops = {}
    for table in c.OUTPUT_TABLES:
        ws, t = find_table(fresh_wb, table)
        output_tops[ws.title] = range_boundaries(t.ref)[1]
    for ws in fresh_wb.worksheets:
        cws = committed_wb[ws.title]
        assert cws.sheet_state == ws.sheet_state
        for row in ws.iter_rows():
            for cell in row:
                if _computed(cell, out_fill):
                    continue
                if ws.title in output_tops and cell.row > output_tops[ws.title]:
                    continue
                assert _content(cws[cell.coordinate].value) == _content(cell.value), \
                    f"{ws.title}!{cell.coordinate}"
    # Every part the computation does not write is the fresh build's exactly: the VBA
    # project, the button's drawing, the dynamic-array metadata, the properties ...
    committed, fresh = parts(EXAMPLE), parts(example)
    assert committed.keys() == fresh.keys()
    untouched = [n for n in fresh if not CALC_PARTS.fullmatch(n)]
    assert {"xl/vbaProject.bin", "xl/drawings/vmlDrawing1.vml", "xl/metadata.xml"} <= \
        set(untouched)
    for name in untouched:
        assert committed[name] == fresh[name], name
    # ... and so are the sheets it never writes into.
    for i, ws in enumerate(fresh_wb.worksheets, start=1):
        if ws.title in ("Instruktioner", "Inställningar", xl.CONF_SHEET):
            name = f"xl/worksheets/sheet{i}.xml"
            assert committed[name] == fresh[name], name


def test_build_accepts_an_output_directory(tmp_path):
    assert build.main([str(tmp_path / "ut")]) == 0
    assert (tmp_path / "ut" / build.TEMPLATE_NAME).is_file()
    assert (tmp_path / "ut" / build.EXAMPLE_NAME).is_file()

