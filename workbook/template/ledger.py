"""The sheets of the ledger import: Utfall and Månadsbudget (one row per Drift leaf row,
one column per month), and Import (its settings, the mapping from ledger codes to
Drift rows, the export column headers, and what no mapping row matched)."""

from __future__ import annotations

from followup_xl import contract as c
from template.base import Sheet, fit_row, write_value

MONTH_WIDTH = 11


def monthly(table: str, kind: str = "belopp"):
    """A sheet with one monthly table (a name, Jan … Dec) under its help lines: amounts
    in the unit, or shares (``kind`` "andel_2")."""

    def fill(b, sheet: Sheet) -> None:
        ws, st = sheet.ws, b.st
        m = b.mall[table.lower()]
        ws.set_column(0, 0, 30)
        ws.set_column(1, 12, MONTH_WIDTH)
        ws.write_string(0, 0, m["rubrik"], st.title)
        if kind == "belopp":
            b.unit_line(sheet, 1)
        for i, line in enumerate(m["hjalp"]):
            ws.write_string(3 + i, 0, line, st.help)
        header = 3 + len(m["hjalp"]) + 1
        rows = b.data.get(table.lower(), {}) or m.get("standard", {})
        b.table(sheet, table, header, 0, len(rows))
        for i, (name, months) in enumerate(rows.items() or [(None, [])]):
            r = header + 1 + i
            write_value(ws, r, 0, name, st.cell("in"))
            for k in range(12):
                value = months[k] if k < len(months) else None
                write_value(ws, r, 1 + k, value, st.cell("in", kind))
        if kind == "belopp":
            for col in range(1, 13):
                b.mnkr_column(sheet, header + 1, col)
        ws.freeze_panes(header + 1, 1)
        b.finish_sheet(sheet, repeat_row=header)

    return fill


utfall = monthly(c.UTFALL)
manadsbudget = monthly(c.MANADSBUDGET)
utfall_fg = monthly(c.UTFALL_FG)
periodiseringsnycklar = monthly(c.PERIODISERINGSNYCKLAR, "andel_2")


def prognoshistorik(b, sheet: Sheet) -> None:
    """Prognoshistorik (A:D, written by ny-period) and, after an empty column,
    Prognossakerhet (F:J, written by calc at year end), under one header row."""
    ws, st, m = sheet.ws, b.st, b.mall["prognoshistorik"]
    widths = (8, 30, 13, 13, 3, 8, 13, 13, 13, 13)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, m["rubrik"], st.title)
    b.unit_line(sheet, 1)
    row = 3
    blocks = ((c.PROGNOSHISTORIK, 0, "historik"), (c.PROGNOSSAKERHET, 5, "sakerhet"))
    help_rows = max(len(m[key]["hjalp"]) for _, _, key in blocks)
    for table, col, key in blocks:
        b.heading(sheet, row, col, m[key]["rubrik"], len(c.TABLES[table]))
        for i, line in enumerate(m[key]["hjalp"]):
            ws.write_string(row + 1 + i, col, line, st.help)
    header = row + 1 + help_rows
    history = b.data.get("prognoshistorik", [])
    b.table(sheet, c.PROGNOSHISTORIK, header, 0, len(history))
    kinds = {c.PH_PERIOD: "heltal", c.PH_RAD: "text", c.PH_PROGNOS: "belopp",
             c.PH_UTFALL_ACK: "belopp"}
    for i, entry in enumerate(history or [{}]):
        for k, h in enumerate(c.TABLES[c.PROGNOSHISTORIK]):
            write_value(ws, header + 1 + i, k, entry.get(h.lower().replace(" ", "_")),
                        st.cell("in", kinds[h]))
    b.table(sheet, c.PROGNOSSAKERHET, header, 5, 1)
    out_kinds = {c.PS_PERIOD: "heltal", c.PS_ANDEL: "andel"}
    for k, h in enumerate(c.TABLES[c.PROGNOSSAKERHET]):
        write_value(ws, header + 1, 5 + k, None, st.cell("out", out_kinds.get(h, "belopp")))
    for col in (2, 3, 6, 7, 8):
        b.mnkr_column(sheet, header + 1, col)
    ws.set_row(header, 30)
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header)


def import_sheet(b, sheet: Sheet) -> None:
    """Settings in A:C; then, side by side under one header row: Mappning in A:D,
    Importkolumner in F:G and Omappat in I:M."""
    ws, st, m = sheet.ws, b.st, b.mall["import"]
    widths = (36, 18, 18, 34, 3, 14, 26, 3, 12, 12, 12, 14, 12)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, m["rubrik"], st.title)
    ws.write_string(1, 0, m["ingress"], st.help)
    for i, fld in enumerate(m["falt"]):
        b.field_row(sheet, 3 + i, fld)
    row = 3 + len(m["falt"]) + 1
    b.unit_line(sheet, row)
    row += 2
    blocks = ((c.MAPPNING, 0, "mappning"), (c.IMPORTKOLUMNER, 5, "importkolumner"),
              (c.OMAPPAT, 8, "omappat"))
    help_rows = max(len(m[key]["hjalp"]) for _, _, key in blocks)
    for table, col, key in blocks:
        b.heading(sheet, row, col, m[key]["rubrik"], len(c.TABLES[table]))
        for i, line in enumerate(m[key]["hjalp"]):
            ws.write_string(row + 1 + i, col, line, st.help_wrap)
            fit_row(ws, row + 1 + i, (line, widths[col]))
    header = row + 1 + help_rows
    mapping = b.data.get("mappning", m["mappning"]["standard"])
    b.table(sheet, c.MAPPNING, header, 0, len(mapping))
    for i, entry in enumerate(mapping):
        for k, h in enumerate(c.TABLES[c.MAPPNING]):
            write_value(ws, header + 1 + i, k, entry.get(h.lower()), st.cell("in"))
    headers = m["importkolumner"]["standard"]
    b.table(sheet, c.IMPORTKOLUMNER, header, 5, len(headers))
    for i, (field_name, heading) in enumerate(headers):
        write_value(ws, header + 1 + i, 5, field_name, st.cell("in"))
        write_value(ws, header + 1 + i, 6, heading, st.cell("in"))
    b.table(sheet, c.OMAPPAT, header, 8, 1)
    for k, h in enumerate(c.TABLES[c.OMAPPAT]):
        kind = "belopp" if h == c.OMA_BELOPP else ("heltal" if h == c.OMA_ANTAL else "text")
        write_value(ws, header + 1, 8 + k, None, st.cell("out", kind))
    b.mnkr_column(sheet, header + 1, 8 + c.TABLES[c.OMAPPAT].index(c.OMA_BELOPP))
    ws.set_row(header, 30)
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header)
