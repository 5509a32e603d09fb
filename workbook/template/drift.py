"""The Drift sheet: the Drift table styled by its own tree, the Beräkna button, and the
Snabbkontroll beside the table."""

from __future__ import annotations

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from followup_xl import contract as c
from followup_xl.doors import excel as xl
from template.base import LAST_ROW, Sheet, fit_row, iferror_fallback, ref, write_value

# Column order of the Drift table, as published reports print them: the year's budget,
# the months passed (budget, actuals, their deviation, the share used, last year), the
# forecast with its suggestion and deviation, last month's forecast and the change, the
# comment; then the optional inputs Nyckel and Summeras ej, and the program's hidden
# Kontrollsumma last.
DRIFT_COLUMNS = (c.DRIFT_RAD, c.DRIFT_INGAR_I, c.DRIFT_BUDGET, c.DRIFT_BUDGET_ACK,
                 c.DRIFT_UTFALL_ACK, c.DRIFT_AVVIKELSE_ACK, c.DRIFT_UTFALL_PROCENT,
                 c.DRIFT_UTFALL_ACK_FG, c.DRIFT_PROGNOS, c.DRIFT_PROGNOSFORSLAG,
                 c.DRIFT_AVVIKELSE, c.DRIFT_FOREG_PROGNOS, c.DRIFT_FORANDRING,
                 c.DRIFT_KOMMENTAR, c.DRIFT_NYCKEL, c.DRIFT_SUMMERAS_EJ, c.DRIFT_KONTROLLSUMMA)
DRIFT_WIDTHS = {c.DRIFT_RAD: 30, c.DRIFT_INGAR_I: 28, c.DRIFT_BUDGET: 13,
                c.DRIFT_BUDGET_ACK: 12, c.DRIFT_UTFALL_ACK: 12, c.DRIFT_AVVIKELSE_ACK: 12,
                c.DRIFT_UTFALL_PROCENT: 9, c.DRIFT_UTFALL_ACK_FG: 12, c.DRIFT_PROGNOS: 13,
                c.DRIFT_PROGNOSFORSLAG: 13, c.DRIFT_AVVIKELSE: 12, c.DRIFT_FOREG_PROGNOS: 13,
                c.DRIFT_FORANDRING: 11, c.DRIFT_KOMMENTAR: 64, c.DRIFT_NYCKEL: 16,
                c.DRIFT_SUMMERAS_EJ: 10, c.DRIFT_KONTROLLSUMMA: 12}
# Amount columns whose role follows the tree: typed on leaf rows, summed on total rows.
TREE_COLUMNS = c.TOTAL_COLUMNS[c.DRIFT]  # typed on leaves, summed on totals
# Computed on every row: amounts in the unit, and the share of the year's budget used.
COMPUTED_AMOUNTS = (c.DRIFT_BUDGET_ACK, c.DRIFT_UTFALL_ACK, c.DRIFT_AVVIKELSE_ACK,
                    c.DRIFT_UTFALL_ACK_FG, c.DRIFT_PROGNOSFORSLAG, c.DRIFT_AVVIKELSE,
                    c.DRIFT_FORANDRING)
PRINTED = DRIFT_COLUMNS.index(c.DRIFT_KOMMENTAR) + 1  # the printout: Rad … Kommentar
HEADER_ROW = 6  # 0-based: the Drift table's header row (row 7 in Excel)

# The Snabbkontroll on Drift, after an empty column beside the table: FU_DRIFT spills
# from SPILL_ANCHOR, the live deviation of the row named in ROW_CELL is in
# AVVIKELSE_CELL. The spill shares the Drift table's header row, so its rows line up.
SNABB_COL = len(DRIFT_COLUMNS) + 1
SPILL_ANCHOR = xl_rowcol_to_cell(HEADER_ROW, SNABB_COL)
ROW_CELL = xl_rowcol_to_cell(2, SNABB_COL + 1)
AVVIKELSE_CELL = xl_rowcol_to_cell(3, SNABB_COL + 1)


def tree_rule(first_data_row: int, total: bool) -> str:
    """The conditional-format formula that tells a total row from a leaf row, live, for
    any tree the economist types: a row is a total when its name appears in Ingår i."""
    rad = xl_col_to_name(DRIFT_COLUMNS.index(c.DRIFT_RAD))
    ingar = xl_col_to_name(DRIFT_COLUMNS.index(c.DRIFT_INGAR_I))
    r = first_data_row + 1
    test = ">0" if total else "=0"
    return f'=AND(${rad}{r}<>"",COUNTIF(${ingar}:${ingar},${rad}{r}){test})'


def drift(b, sheet: Sheet) -> None:
    kommentar_width = DRIFT_WIDTHS[c.DRIFT_KOMMENTAR]
    ws, st, m = sheet.ws, b.st, b.mall["drift"]
    col = {h: i for i, h in enumerate(DRIFT_COLUMNS)}
    for header, i in col.items():
        ws.set_column(i, i, DRIFT_WIDTHS[header], None,
                      {"hidden": header == c.DRIFT_KONTROLLSUMMA})
    ws.write_string(0, 0, m["rubrik"], st.title)
    s = b.settings
    cached = (f"{s[c.NAMND]} – prognos helår {s[c.AR]}, period {s[c.PERIOD]}"
              if s[c.NAMND] else "")
    ws.write_formula(1, 0, f'=IF({c.NAMND}="","",{c.NAMND}&" – prognos helår "&'
                           f'{c.AR}&", period "&{c.PERIOD})', st.subtitle, cached)
    b.unit_line(sheet, 2)
    button(b, sheet)
    for i, line in enumerate(m["hjalp"]):
        ws.write_string(3 + i, 0, line, st.help)
    header = HEADER_ROW
    rows = b.data.get("rader") or m["rader"]  # an example may bring a tree of its own
    values = b.data.get("drift", {})
    unknown = set(values) - {r for r, _ in rows}
    assert not unknown, f"exempel.toml: rows not in the template: {unknown}"
    parents = {p for _, p in rows if p}
    b.table(sheet, c.DRIFT, header, 0, len(rows), DRIFT_COLUMNS)
    for i, (name, parent) in enumerate(rows):
        r = header + 1 + i
        v = values.get(name, {})
        if name in parents:
            assert not ({"budget", "prognos", "foregaende"} & set(v)), \
                f"exempel.toml: {name} is a total row; its figures are computed"
        cells = {c.DRIFT_RAD: (name, st.cell("in")),
                 c.DRIFT_INGAR_I: (parent or None, st.cell("in")),
                 c.DRIFT_BUDGET: (v.get("budget"), st.cell("tree", "belopp")),
                 c.DRIFT_PROGNOS: (v.get("prognos"), st.cell("tree", "belopp")),
                 c.DRIFT_FOREG_PROGNOS: (v.get("foregaende"), st.cell("tree", "belopp")),
                 c.DRIFT_UTFALL_PROCENT: (None, st.cell("out", "andel_hel")),
                 c.DRIFT_KOMMENTAR: (v.get("kommentar"), st.cell("in", wrap=True)),
                 c.DRIFT_NYCKEL: (v.get("nyckel"), st.cell("in")),
                 c.DRIFT_SUMMERAS_EJ: (v.get("summeras_ej"), st.cell("in")),
                 c.DRIFT_KONTROLLSUMMA: (None, None)}
        cells.update({h: (None, st.cell("out", "belopp")) for h in COMPUTED_AMOUNTS})
        for header_name, (value, fmt) in cells.items():
            write_value(ws, r, col[header_name], value, fmt)
        fit_row(ws, r, (v.get("kommentar"), kommentar_width))
    riktpunkt(b, sheet, header - 1)
    tree_styles(b, sheet, header + 1)
    for h in TREE_COLUMNS + COMPUTED_AMOUNTS:
        b.mnkr_column(sheet, header + 1, col[h])
    validate_options(b, sheet, header + 1)
    # The header row is also the Snabbkontroll spill's header row: bold there too.
    ws.set_row(header, 30, st.spill_header)
    snabbkontroll(b, sheet, header, rows)
    # The printout is the Drift table; the Snabbkontroll is for the screen. Print area
    # written as $A$1:$G$1048576 (XlsxWriter's print_area() writes $A:$G, which openpyxl,
    # and so the reader, warns about on every load).
    last = xl_rowcol_to_cell(ws.xls_rowmax - 1, PRINTED - 1, row_abs=True, col_abs=True)
    b.wb.define_name(f"{sheet.name}!_xlnm.Print_Area", f"={ref(sheet.name, 0, 0)}:{last}")
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header)


def tree_styles(b, sheet: Sheet, first: int) -> None:
    """Conditional formats that style each row by its place in the tree, in Excel and
    LibreOffice, without Python: a total row (its name appears in Ingår i) is bold with
    grey computed amounts; a leaf row has yellow input amounts. They reach the sheet's
    last row, so rows typed under the table (or a tree rearranged) follow at once."""
    ws, st = sheet.ws, b.st
    total, leaf = tree_rule(first, True), tree_rule(first, False)

    def columns(*headers: str) -> str:
        return " ".join(f"{xl_rowcol_to_cell(first, i)}:{xl_rowcol_to_cell(LAST_ROW, i)}"
                        for i in (DRIFT_COLUMNS.index(h) for h in headers))

    amounts = columns(*TREE_COLUMNS)
    styled = columns(c.DRIFT_RAD, c.DRIFT_INGAR_I, c.DRIFT_UTFALL_PROCENT)
    computed = columns(*COMPUTED_AMOUNTS)
    mnkr = f'{c.ENHET}="mnkr"'
    for criteria, role, bold, ranges, in_unit in (
            (total, "out", True, amounts, True), (leaf, "in", False, amounts, True),
            (total, "bold", True, computed, True), (total, "bold", True, styled, False)):
        if in_unit:  # the same rule in mnkr first, carrying the one-decimal format
            ws.conditional_format(first, 0, LAST_ROW, 0, {
                "type": "formula", "criteria": f"=AND({criteria[1:]},{mnkr})",
                "format": st.rule(role, bold=bold, mnkr=True), "multi_range": ranges})
        ws.conditional_format(first, 0, LAST_ROW, 0, {
            "type": "formula", "criteria": criteria, "format": st.rule(role, bold=bold),
            "multi_range": ranges})


def riktpunkt(b, sheet: Sheet, row: int) -> None:
    """The named cell Riktpunkt (Period/12, written by the program) above the Utfall %
    column, its label to the left and its help to the right."""
    m = b.mall["drift"]["riktpunkt"]
    col = DRIFT_COLUMNS.index(c.DRIFT_UTFALL_PROCENT)
    b.field_row(sheet, row, m, col - 1)


def validate_options(b, sheet: Sheet, first: int) -> None:
    """Summeras ej is Ja or empty; Nyckel names a key (a warning only: named keys of
    Periodiseringsnycklar are allowed too)."""
    m = b.mall["drift"]
    for header, source, kind in ((c.DRIFT_SUMMERAS_EJ, [c.JA, c.NEJ], "stop"),
                                 (c.DRIFT_NYCKEL, list(c.FIXED_KEYS), "information")):
        i = DRIFT_COLUMNS.index(header)
        msg = m["validering"][header]
        sheet.ws.data_validation(first, i, LAST_ROW, i, {
            "validate": "list", "source": source, "input_title": msg["rubrik"],
            "input_message": msg["text"], "error_title": msg["rubrik"],
            "error_message": msg["fel"], "error_type": kind})


def button(b, sheet: Sheet) -> None:
    """The Beräkna button over E1:F3: a form button whose macro is xlwings' RunPython
    with the package's entry point (xl.BUTTON_MACRO)."""
    m = b.mall["drift"]
    # E and F are 96 px wide each, rows 1-3 about 60 px high: centred in E1:F3.
    sheet.ws.insert_button(0, 4, {
        "macro": xl.BUTTON_MACRO, "caption": xl.BUTTON_CAPTION,
        "description": m["knapp_beskrivning"],
        "width": 150, "height": 44, "x_offset": 21, "y_offset": 8})


def snabbkontroll(b, sheet: Sheet, header: int, rows: list) -> None:
    """Live cells beside the Drift table (after an empty column): a Rad input cell, the
    deviation of that row and FU_DRIFT spilling the computed table from the table's
    header row down. Nothing may be written below the anchor."""
    ws, st, m = sheet.ws, b.st, b.mall["snabbkontroll"]
    first = SNABB_COL
    spill_cols = len(xl.DRIFT_SPILL_COLUMNS)
    assert xl_rowcol_to_cell(header, first) == SPILL_ANCHOR
    ws.set_column(first - 1, first - 1, 3)
    # The widths of the Drift columns the spill repeats; amounts formatted as there, as
    # column formats (spilled cells take them) with the mnkr rule.
    for i, h in enumerate(xl.DRIFT_SPILL_COLUMNS):
        amount = h in b.numeric_headers
        ws.set_column(first + i, first + i, DRIFT_WIDTHS[h],
                      st.amount_column if amount else None)
        if amount:
            b.mnkr_column(sheet, header + 1, first + i)
    b.heading(sheet, 0, first, m["rubrik"], spill_cols)
    ws.write_string(1, first, m["hjalp"], st.help)
    (result_row,) = [name for name, parent in rows if not parent]
    formulas = xl.template_formulas(SPILL_ANCHOR, ROW_CELL)
    row_r, row_c = xl_cell_to_rowcol(ROW_CELL)
    dev_r, dev_c = xl_cell_to_rowcol(AVVIKELSE_CELL)
    ws.write_string(row_r, row_c - 1, c.DRIFT_RAD, st.label)
    ws.write_string(row_r, row_c, result_row, st.cell("in"))
    ws.write_string(row_r, row_c + 1, m["hjalp_rad"], st.help)
    ws.data_validation(row_r, row_c, row_r, row_c, {
        "validate": "list", "source": f'=INDIRECT("{c.DRIFT}[{c.DRIFT_RAD}]")',
        "input_title": m["rubrik"], "input_message": m["validering_rad"],
        "error_title": m["rubrik"], "error_message": m["validering_rad_fel"],
        "error_type": "warning"})
    ws.write_string(dev_r, dev_c - 1, c.DRIFT_AVVIKELSE, st.label)
    ws.write_dynamic_array_formula(dev_r, dev_c, dev_r, dev_c, formulas["avvikelse"],
                                   st.cell("out"), iferror_fallback(formulas["avvikelse"]))
    ws.write_string(dev_r, dev_c + 1, m["hjalp_avvikelse"], st.help)
    assert iferror_fallback(formulas["drift"]) == xl.UDF_MISSING
    ws.write_dynamic_array_formula(header, first, header, first, formulas["drift"],
                                   st.spill_header, xl.UDF_MISSING)
