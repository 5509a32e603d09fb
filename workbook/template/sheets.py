"""The text and settings sheets: Instruktioner, Inställningar, Buffert och struktur,
Handlingsplan, Kontroll and Rapport."""

from __future__ import annotations

from followup_xl import contract as c
from template.base import Sheet, fit_row, write_value


def instruktioner(b, sheet: Sheet) -> None:
    text_width = 100
    ws, st, m = sheet.ws, b.st, b.mall["instruktioner"]
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, text_width)
    ws.write_string(0, 1, m["rubrik"], st.title)
    ws.write_string(1, 2, m["ingress"], st.text_wrap)
    fit_row(ws, 1, (m["ingress"], text_width))
    row = 3
    for i, section in enumerate(m["avsnitt"]):
        b.heading(sheet, row, 1, section["rubrik"], 2)
        row += 1
        for paragraph in section["stycken"]:
            ws.write_string(row, 2, paragraph, st.text_wrap)
            fit_row(ws, row, (paragraph, text_width))
            row += 1
        row += 1
        if i == 0:  # the colour legend after "Så här gör du"
            b.heading(sheet, row, 1, m["rubrik_farger"], 2)
            row += 1
            for text, fmt, expl in (
                    (m["farg_indata"], st.cell("in"), m["farg_indata_text"]),
                    (m["farg_beraknat"], st.cell("out"), m["farg_beraknat_text"]),
                    (m["farg_summa"], st.cell("out", bold=True), m["farg_summa_text"])):
                ws.write_string(row, 1, text, fmt)
                ws.write_string(row, 2, expl, st.text_wrap)
                fit_row(ws, row, (expl, text_width))
                row += 1
            row += 1
    b.finish_sheet(sheet)


def installningar(b, sheet: Sheet) -> None:
    ws, st, m = sheet.ws, b.st, b.mall["installningar"]
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 90)
    ws.write_string(0, 0, m["rubrik"], st.title)
    ws.write_string(1, 0, m["ingress"], st.help)
    for i, fld in enumerate(m["falt"]):
        b.field_row(sheet, 3 + i, fld)
    b.finish_sheet(sheet)


def buffert(b, sheet: Sheet) -> None:
    ws, st, m = sheet.ws, b.st, b.mall["buffert"]
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 100)
    ws.write_string(0, 0, m["rubrik"], st.title)
    b.unit_line(sheet, 1)
    fields = {f["namn"]: f for f in m["falt"]}
    row = 3
    for heading, names in (
            (m["rubrik_buffert"], (c.BUFFERT_ANDEL, c.BUFFERT_BELOPP, c.BUFFERT_INTECKNAT,
                                   c.BUFFERT_KVAR, c.BUFFERT_TACKNING)),
            (m["rubrik_struktur"], (c.STRUKTURELLT_UNDERSKOTT, c.STRUKTURELLT_BELOPP,
                                    c.STRUKTURELLT_ANDEL))):
        b.heading(sheet, row, 0, heading, 2)
        row += 1
        for name in names:
            b.field_row(sheet, row, fields.pop(name))
            row += 1
        row += 1
    assert not fields, f"mall.toml: unplaced fields {sorted(fields)}"
    b.heading(sheet, row, 0, m["rubrik_engang"], 2)
    row += 1
    for line in m["hjalp_engang"]:
        ws.write_string(row, 0, line, st.help)
        row += 1
    header = row
    items = b.data.get("engangsposter", [])
    b.table(sheet, c.ENGANGSPOSTER, header, 0, len(items))
    for i, item in enumerate(items or [{}]):
        write_value(ws, header + 1 + i, 0, item.get("post"), st.cell("in"))
        write_value(ws, header + 1 + i, 1, item.get("belopp"), st.cell("in", "belopp"))
    b.mnkr_column(sheet, header + 1, 1)
    b.finish_sheet(sheet)


def handlingsplan(b, sheet: Sheet) -> None:
    ws, st, m = sheet.ws, b.st, b.mall["handlingsplan"]
    d = b.data.get("handlingsplan", {})
    # Atgarder in A:J (Kontrollsumma hidden), an empty column K, Arbetsstyrka in L:M.
    widths = (60, 14, 12, 12, 13, 12, 13, 13, 13, 12, 3, 16, 12)
    hidden = c.TABLES[c.ATGARDER].index(c.ATG_KONTROLLSUMMA)  # Atgarder starts in A
    for col, width in enumerate(widths):
        ws.set_column(col, col, width, None, {"hidden": col == hidden})
    ws.write_string(0, 0, m["rubrik"], st.title)
    b.unit_line(sheet, 1)
    b.heading(sheet, 3, 0, m["rubrik_summa"], 2)
    fields = {f["namn"]: f for f in m["falt"]}
    note_field = fields.pop(c.HANDLINGSPLAN_KOMMENTAR)
    for i, fld in enumerate(fields.values()):
        b.field_row(sheet, 4 + i, fld)
    row = 4 + len(fields) + 1
    # The plan's caveat: a long text, so its label stands above it and the value cell
    # is the wide column A (help to its right).
    ws.write_string(row, 0, note_field["etikett"], st.label)
    note = b.settings.get(c.HANDLINGSPLAN_KOMMENTAR)
    write_value(ws, row + 1, 0, note, st.cell("in", wrap=True))
    ws.write_string(row + 1, 1, note_field["hjalp"], st.help)
    fit_row(ws, row + 1, (note, widths[0]))
    b.define(c.HANDLINGSPLAN_KOMMENTAR, sheet, row + 1, 0)
    row += 3
    b.heading(sheet, row, 0, m["rubrik_atgarder"], 9)
    b.heading(sheet, row, 11, m["rubrik_arbetsstyrka"], 2)
    for i, line in enumerate(m["hjalp_atgarder"]):
        ws.write_string(row + 1 + i, 0, line, st.help)
    ws.write_string(row + 1, 11, m["hjalp_arbetsstyrka"], st.help)
    header = row + 1 + len(m["hjalp_atgarder"])

    measures = d.get("atgard", [])
    b.table(sheet, c.ATGARDER, header, 0, len(measures))
    for i, a in enumerate(measures or [{}]):
        r = header + 1 + i
        write_value(ws, r, 0, a.get("atgard"), st.cell("in", wrap=True))
        write_value(ws, r, 1, a.get("avdelning"), st.cell("in"))
        write_value(ws, r, 2, a.get("arsarbetare"), st.cell("in", "fte"))
        write_value(ws, r, 3, a.get("manadslon"), st.cell("in", "lon"))
        write_value(ws, r, 4, a.get("belopp_helar"), st.cell("in", "belopp"))
        write_value(ws, r, 5, a.get("start"), st.cell("in", "datum"))
        write_value(ws, r, 6, None, st.cell("out", "belopp"))
        write_value(ws, r, 7, None, st.cell("out", "belopp"))
        write_value(ws, r, 8, None, st.cell("out", "andel"))
        fit_row(ws, r, (a.get("atgard"), widths[0]))
    for col in (4, 6, 7):
        b.mnkr_column(sheet, header + 1, col)

    staff = d.get("arbetsstyrka", [])
    b.table(sheet, c.ARBETSSTYRKA, header, 11, len(staff))
    for i, a in enumerate(staff or [{}]):
        write_value(ws, header + 1 + i, 11, a.get("avdelning"), st.cell("in"))
        write_value(ws, header + 1 + i, 12, a.get("arsarbetare"), st.cell("in", "fte"))
    ws.set_row(header, 30)
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header)


def kontroll(b, sheet: Sheet) -> None:
    ws, st, m = sheet.ws, b.st, b.mall["kontroll"]
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 110)
    ws.write_string(0, 0, m["rubrik"], st.title)
    (fld,) = m["falt"]
    b.field_row(sheet, 2, fld)
    ws.write_string(4, 0, m["hjalp"], st.help)
    header = 5
    b.table(sheet, c.KONTROLL, header, 0, 1)
    for col in range(4):
        write_value(ws, header + 1, col, None, st.cell("out", wrap=(col == 3)))
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header)


def rapport(b, sheet: Sheet) -> None:
    """The report draft: the program writes one paragraph per row of the Rapport
    table (and resizes it, as it does Kontroll): paragraphs wrapped into lines that fit
    the column, an empty row between paragraphs.

    One wrapping column, portrait. Its width fits the printable width of A4 portrait
    at 100 %, also with LibreOffice's wider substitute for Calibri: LibreOffice's
    "fit to one page wide" does not shrink a sheet whose only column is too wide (it
    prints it cut off), while Excel would scale it."""
    width = 76
    ws, st, m = sheet.ws, b.st, b.mall["rapport"]
    ws.set_column(0, 0, width)
    ws.write_string(0, 0, m["rubrik"], st.title)
    ws.write_string(1, 0, m["hjalp"], st.help_wrap)
    fit_row(ws, 1, (m["hjalp"], width))
    header = 3
    b.table(sheet, c.RAPPORT, header, 0, 1)
    # No cell style on the data rows: the program writes the text as lines that fit
    # the column (writeplan.sheet_lines), and every new row looks the same.
    ws.freeze_panes(header + 1, 0)
    b.finish_sheet(sheet, repeat_row=header, portrait=True)
