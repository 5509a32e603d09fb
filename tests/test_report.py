"""The report to the nämnd: the drafted text, the charts and the Word draft read back with
python-docx, on the seed's figures and on variations that flip every wording choice."""

import datetime as dt
import io
import re
import struct
from dataclasses import replace
from decimal import Decimal as D

import docx
import pytest

from libreoffice import convert, needs_libreoffice
from docx.oxml.ns import qn

from followup_xl.report import actuals, charts
from followup_xl.doors.cli import main
from followup_xl.domain.engine import compute
from followup_xl.domain.model import DriftRow, Measure
from followup_xl.errors import FollowupError, UsageError
from followup_xl.jobs.report import write_report
from followup_xl.report.docx import build_document, write_docx
from followup_xl.workbook.layout import excel_address
from followup_xl.report.blocks import Bullets, Paragraph, Table
from followup_xl.report.rows import leaves as account_groups
from followup_xl.report.text import (DRIFT, HANDLINGSPLAN, ROUNDING_NOTE, SAMMANFATTNING,
                                     UTFALL, draft, draft_paragraphs)
from followup_xl.domain.swedish import format_number
from seed import COSTS, NET, RESULT, SEED_PRINTED, in_other_signs, seed_followup, seed_rows
from workbooks import EXAMPLE, copy_of, drift_cell, set_cells

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEY_FIGURES = ("-3,0 mnkr", "1,5 procent", "4,5 mnkr", "1,8 procent", "1,3 procent",
               "1,4 procent", "2025")
TOTALS = {COSTS, NET, RESULT}


# --- Helpers ------------------------------------------------------------------------------

def with_rows(fu, **changes):
    """The follow-up with some Drift rows changed: with_rows(fu, Lokalhyror={...})."""
    by_name = {k.replace("_", " "): v for k, v in changes.items()}
    return replace(fu, rows=tuple(replace(r, **by_name[r.name]) if r.name in by_name else r
                                  for r in fu.rows))


def rows_named(fu, names, **fields):
    return replace(fu, rows=tuple(replace(r, **fields) if r.name in names else r
                                  for r in fu.rows))


def seed_with_previous(delta_kop=0):
    """Every leaf with a previous forecast equal to this month's, except Köp av tjänster
    which is moved by ``delta_kop`` tkr (positive = the previous forecast was better)."""
    fu = seed_followup()
    rows = []
    for r in fu.rows:
        if r.forecast is not None:
            prev = r.forecast + (delta_kop if r.name == "Köp av tjänster" else 0)
            r = replace(r, previous_forecast=prev)
        rows.append(r)
    return replace(fu, rows=tuple(rows))


def text_of(fu) -> str:
    return draft(compute(fu), fu).text()


def section_text(fu, title, report=None) -> str:
    report = report or draft(compute(fu), fu)
    out = []
    for b in report.section(title).blocks:
        if isinstance(b, Paragraph):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out += b.items
    return "\n".join(out)


def plain(text: str) -> str:
    """Word text back to the plain form: no-break spaces, minus sign, zero-width space."""
    return text.replace("\u00a0", " ").replace("\u2212", "-").replace("\u200b", "")


def docx_text(doc) -> str:
    return plain("\n".join(p.text for p in doc.paragraphs))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def seed_docx(tmp_path_factory):
    fu = seed_followup()
    out = tmp_path_factory.mktemp("rapport") / "seed rapport.docx"
    write_docx(compute(fu), fu, out)
    return out


# --- The Drift table ----------------------------------------------------------------------

def test_drift_table_in_the_docx_is_the_seeds_printed_table(seed_docx):
    doc = docx.Document(str(seed_docx))
    assert len(doc.tables) == 1
    table = doc.tables[0]
    cells = [[plain(c.text) for c in row.cells] for row in table.rows]
    assert cells[0] == ["Belopp i tkr", "Budget 2024", "Prognos helår 2024",
                        "Avvikelse prognos/budget 2024"]
    body = {row[0]: row[1:] for row in cells[1:]}
    assert list(body) == list(SEED_PRINTED)  # every row, in table order
    computed = compute(seed_followup())
    for name, printed in SEED_PRINTED.items():
        expected = [format_number(v) for v in printed]
        if name in TOTALS:  # the engine's totals exactly, at most 1 tkr from the seed's
            row = computed.row(name)
            assert body[name] == [format_number(v) for v in (row.budget, row.forecast,
                                                            row.deviation)], name
            for got, want in zip(body[name], printed):
                assert abs(int(got.replace(" ", "")) - want) <= 1, name
        else:
            assert body[name] == expected, name
    # Totals in bold, others not; amounts right-aligned; header repeated on every page.
    for row in table.rows[1:]:
        name = plain(row.cells[0].text)
        bold = {r.bold for c in row.cells for p in c.paragraphs for r in p.runs}
        assert bold == {name in TOTALS}, name
        assert all(c.paragraphs[0].alignment == 2 for c in row.cells[1:])  # RIGHT
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert ROUNDING_NOTE in docx_text(doc)


def test_rounding_note_only_when_there_is_a_rounding_difference():
    fu = seed_followup()
    assert draft(compute(fu), fu).table().note == ROUNDING_NOTE
    # Kommunbidrag one tkr higher: the budget balances exactly, no rounding message.
    balanced = with_rows(fu, Kommunbidrag=dict(budget=D(245083), forecast=D(245083)))
    result = compute(balanced)
    assert not any("avrundning" in m.text for m in result.messages)
    assert draft(result, balanced).table().note is None
    # Rows with decimals shown as whole tkr: a printed total differs from its printed rows.
    decimals = with_rows(balanced, Lokalhyror=dict(forecast=D("-17416.4")),
                         Personalkostnader=dict(forecast=D("-157694.4")))
    result = compute(decimals)
    assert not any("avrundning" in m.text for m in result.messages)
    assert draft(result, decimals).table().note == ROUNDING_NOTE


def test_mnkr_table_shows_one_decimal():
    fu = seed_followup()
    mn = replace(fu, settings=replace(fu.settings, unit="mnkr"),
                 rows=tuple(replace(r, budget=None if r.budget is None else r.budget / 1000,
                                    forecast=None if r.forecast is None else r.forecast / 1000)
                            for r in fu.rows),
                 buffer_committed=D("3.67623"), structural_deficit=D("4.5"), measures=())
    table = draft(compute(mn), mn).table()
    assert table.header[0] == "Belopp i mnkr"
    row = next(r for r in table.rows if r.name == "Köp av tjänster")
    assert row.cells[1:] == ("-62,4", "-66,4", "-4,0")


# --- What the text states -----------------------------------------------------------------

def test_heading_names_the_namnd_the_month_and_the_year():
    fu = seed_followup()
    report = draft(compute(fu), fu)
    assert report.title == "Månadsuppföljning per maj 2024"
    assert report.subtitle == "Socialnämnden"
    assert [s.title for s in report.sections] == [DRIFT, SAMMANFATTNING, UTFALL,
                                                   HANDLINGSPLAN]


def test_the_text_states_the_key_figures_of_the_seed(seed_docx):
    text = text_of(seed_followup())
    for figure in KEY_FIGURES:
        assert figure in text, figure
    words = docx_text(docx.Document(str(seed_docx)))
    for figure in KEY_FIGURES:
        assert figure in words, figure
    summary = section_text(seed_followup(), SAMMANFATTNING)
    assert "-3,0 mnkr" in summary and "underskott" in summary
    assert "1,5 procent av kommunbidraget" in summary
    assert "4,5 mnkr" in summary and "1,8 procent" in summary


def test_deviating_groups_ordered_by_size_and_groups_in_line():
    text = section_text(seed_followup(), UTFALL)
    assert "köp av tjänster (-4 000 tkr) och personalkostnader (1 000 tkr)" in text
    assert ("Verksamhetens intäkter, lokalhyror och övriga kostnader prognostiseras i nivå "
            "med budget") in text
    names = [g.name for g in account_groups(compute(seed_followup()))]
    assert names == ["Verksamhetens intäkter", "Personalkostnader", "Lokalhyror",
                     "Köp av tjänster", "Övriga kostnader"]  # no Kommunbidrag, Finansnetto


def test_all_groups_in_line():
    fu = with_rows(seed_followup(), Personalkostnader=dict(forecast=D(-158695)),
                   Köp_av_tjänster=dict(forecast=D(-62376)))
    text = section_text(fu, UTFALL)
    assert "Samtliga kontogrupper prognostiseras i nivå med budget" in text
    assert "Avvikelse" not in text


def test_comments_are_woven_in_under_their_account_group():
    comments = {"Personalkostnader": "Vakanser ger ett överskott",
                "Köp av tjänster": "Höga volymer inom köpt vård",
                "Kommunbidrag": "Enligt tilldelad ram",
                RESULT: "Prognosen ligger kvar sedan april"}
    fu = seed_followup()
    fu = replace(fu, rows=tuple(replace(r, comment=comments.get(r.name)) for r in fu.rows))
    result = compute(fu)
    report = draft(result, fu)
    leads = {b.lead: b.text for b in report.section(UTFALL).blocks
             if isinstance(b, Paragraph) and b.lead}
    assert comments["Personalkostnader"] + "." in leads["Personalkostnader"]
    assert leads["Personalkostnader"].startswith("Kostnaderna beräknas bli 1 000 tkr lägre")
    assert comments["Köp av tjänster"] + "." in leads["Köp av tjänster"]
    assert "överstiga budget med 4 000 tkr" in leads["Köp av tjänster"]
    assert leads["Kommunbidrag"] == "Enligt tilldelad ram."
    summary = [b.text for b in report.section(SAMMANFATTNING).blocks]
    assert "Prognosen ligger kvar sedan april." in summary


# --- Wording chosen from the numbers --------------------------------------------------------

def test_deficit_surplus_and_balance():
    deficit = section_text(seed_followup(), SAMMANFATTNING)
    assert "årets resultat på -3,0 mnkr, det vill säga ett underskott" in deficit
    surplus_fu = with_rows(seed_followup(), Personalkostnader=dict(forecast=D(-151695)))
    surplus = section_text(surplus_fu, SAMMANFATTNING)
    assert "årets resultat på 3,0 mnkr, det vill säga ett överskott" in surplus
    assert "underskott mot budget" not in surplus
    balance_fu = with_rows(seed_followup(), Personalkostnader=dict(forecast=D(-158695)),
                           Köp_av_tjänster=dict(forecast=D(-62376)))
    balance = section_text(balance_fu, SAMMANFATTNING)
    assert "0,0 mnkr" in balance and "hålla budgeten" in balance
    assert "överskott mot" not in balance and "underskott mot" not in balance


@pytest.mark.parametrize("ledger", [False, True], ids=["kostnader negativa",
                                                       "kostnader positiva"])
def test_text_and_table_agree_on_every_sign(ledger):
    # the same economic facts in both conventions; last month köp av tjänster was 500
    # tkr better
    rows = tuple(replace(r, previous_forecast=(D(-65876) if r.name == "Köp av tjänster"
                                               else r.forecast)) for r in seed_rows())
    fu = seed_followup(rows=rows)
    fu = in_other_signs(fu) if ledger else fu
    report = draft(compute(fu), fu)
    table = {row.name: row.cells for row in report.table().rows}
    # the result: the table prints the forecast with the convention's sign, the text the
    # same figure (in mnkr) with the word for it
    assert table["Årets resultat"][2] == ("3 001" if ledger else "-3 001")
    summary = section_text(fu, SAMMANFATTNING)
    result_mnkr = "3,0" if ledger else "-3,0"
    assert f"årets resultat på {result_mnkr} mnkr, det vill säga ett underskott" in summary
    assert f"föregående prognos, som var {'2,5' if ledger else '-2,5'} mnkr" in summary
    # a group: the text quotes the table's own figures
    (group,) = [b for b in report.section(UTFALL).blocks
                if isinstance(b, Paragraph) and b.lead == "Köp av tjänster"]
    budget, forecast = table["Köp av tjänster"][1], table["Köp av tjänster"][2]
    assert f"prognos {forecast} tkr mot budget {budget} tkr" in group.text
    previous = "65 876" if ledger else "-65 876"
    assert f"försämrats jämfört med föregående prognos, som var {previous} tkr" in group.text
    # deviations: positive is better in both conventions, as the table prints them
    assert table["Köp av tjänster"][3] == "-4 000"
    assert "köp av tjänster (-4 000 tkr)" in section_text(fu, UTFALL)
    # never a negative figure in the text where the table shows the same figure positive
    shown = {c for cells in table.values() for c in cells}
    for number in re.findall(r"-(\d[\d ]*\d|\d) tkr", report.text()):
        assert not (number in shown and f"-{number}" not in shown), number


def test_movement_since_the_previous_forecast():
    assert "föregående prognos" not in text_of(seed_followup())  # not known: not mentioned
    unchanged = section_text(seed_with_previous(0), SAMMANFATTNING)
    assert "oförändrad jämfört med föregående prognos" in unchanged
    improved = section_text(seed_with_previous(-1000), SAMMANFATTNING)
    assert "har förbättrats jämfört med föregående prognos, som var -4,0 mnkr" in improved
    worsened = section_text(seed_with_previous(+1000), SAMMANFATTNING)
    assert "har försämrats jämfört med föregående prognos, som var -2,0 mnkr" in worsened
    # A move too small to show in mnkr is no move.
    tiny = section_text(seed_with_previous(+10), SAMMANFATTNING)
    assert "oförändrad" in tiny
    # Account groups mention only a change, in the table's unit.
    groups = section_text(seed_with_previous(+1000), UTFALL)
    assert groups.count("föregående prognos") == 1
    assert "försämrats jämfört med föregående prognos, som var -65 376 tkr" in groups


def test_buffer_fully_partly_and_not_committed():
    full = section_text(seed_followup(), SAMMANFATTNING)
    assert "bufferten på 3,7 mnkr, 1,5 procent av kommunbidraget, är fullt intecknad" in full
    # What is left prints as 0,0 mnkr: fully committed.
    almost = section_text(seed_followup(buffer_committed=D("3650")), SAMMANFATTNING)
    assert "fullt intecknad" in almost
    partly = section_text(seed_followup(buffer_committed=D(1000)), SAMMANFATTNING)
    assert ("är delvis intecknad i prognosen: 1,0 mnkr är intecknat och 2,7 mnkr återstår"
            in partly)
    assert "motsvarar 89,2 procent av det prognostiserade underskottet" in partly
    none = section_text(seed_followup(buffer_committed=D(0)), SAMMANFATTNING)
    assert "är inte intecknad i prognosen" in none
    assert "räcker för att täcka det prognostiserade underskottet" in none
    assert "intecknad" not in section_text(seed_followup(buffer_share=None,
                                                         buffer_committed=None),
                                           SAMMANFATTNING)


def test_structural_deficit_surplus_and_none():
    deficit = section_text(seed_followup(), SAMMANFATTNING)
    assert ("underskottet, räknat på helår och utan tillfälliga poster, uppskattas till "
            "4,5 mnkr, vilket är 1,8 procent av kommunbidraget") in deficit
    surplus = section_text(seed_followup(structural_deficit=D(-2000)), SAMMANFATTNING)
    assert "inte ha något strukturellt underskott" in surplus
    assert "överskott på helårsbasis om 2,0 mnkr, vilket är 0,8 procent" in surplus
    none = section_text(seed_followup(structural_deficit=D(0)), SAMMANFATTNING)
    assert "inte ha något strukturellt underskott på helårsbasis" in none


def test_plan_that_covers_the_deficit():
    plan = section_text(seed_followup(), HANDLINGSPLAN)
    assert "helårseffekt på 4,5 mnkr" in plan
    assert "täcker det strukturella underskottet" in plan
    assert "i balans från och med 2025" in plan
    more = section_text(seed_followup(structural_deficit=D(3000)), HANDLINGSPLAN)
    assert "överstiger det strukturella underskottet" in more


def test_plan_that_does_not_cover_the_deficit():
    fu = seed_followup(structural_deficit=D(9000))
    result = compute(fu)
    assert result.plan.balance_year == "Ej i balans"
    plan = section_text(fu, HANDLINGSPLAN)
    assert "helårseffekt på 4,5 mnkr" in plan
    assert "täcker 50,0 procent av det strukturella underskottet" in plan
    assert "Återstående 4,5 mnkr saknar ännu åtgärder" in plan
    assert "inte vara i balans" in plan and "från och med" not in plan.split("\n")[-1]


def test_no_plan():
    plan = section_text(seed_followup(measures=()), HANDLINGSPLAN)
    assert "Någon handlingsplan för det strukturella underskottet om 4,5 mnkr" in plan
    summary = section_text(seed_followup(measures=()), SAMMANFATTNING)
    assert "behöver tas fram" in summary


def test_measures_as_bullets():
    fu = seed_followup()
    report = draft(compute(fu), fu)
    bullets = next(b for b in report.section(HANDLINGSPLAN).blocks if isinstance(b, Bullets))
    assert len(bullets.items) == 4
    assert "ingen beräknad ekonomisk effekt" in bullets.items[0]
    assert "Förvaltningsledning" in bullets.items[0]
    assert ("1,0 årsarbetare på avdelning Unga, vilket motsvarar 1,3 procent av avdelningens "
            "arbetsstyrka") in bullets.items[1]
    assert "Helårseffekt 626 tkr, varav 209 tkr under 2024" in bullets.items[1]
    assert "1,4 procent" in bullets.items[2]
    assert "Helårseffekt 3,2 mnkr, ingen effekt under 2024, från och med 1 januari 2025" \
        in bullets.items[3]


def test_refuses_a_result_with_errors():
    fu = with_rows(seed_followup(), Lokalhyror=dict(forecast=None))
    result = compute(fu)
    assert not result.ok
    with pytest.raises(FollowupError, match="har fel"):
        draft(result, fu)


def test_plain_paragraphs_for_the_workbook():
    fu = seed_followup()
    lines = draft_paragraphs(compute(fu), fu)
    assert lines[:3] == ["Månadsuppföljning per maj 2024", "Socialnämnden", DRIFT]
    assert ROUNDING_NOTE in lines
    assert any(line.startswith("• ") for line in lines)
    assert not any("\t" in line for line in lines)  # no table rows
    joined = "\n".join(lines)
    for figure in KEY_FIGURES:
        assert figure in joined


# --- Charts -------------------------------------------------------------------------------

def test_charts_are_pngs_of_the_expected_size_and_deterministic():
    result = compute(seed_followup())

    def draw_both() -> list[bytes]:
        out = []
        for kind in charts.CHARTS:
            buf = io.BytesIO()
            charts.draw(kind, result, buf)
            out.append(buf.getvalue())
        return out

    data = draw_both()
    for d in data:
        assert png_size(d) == (1260, 640)  # 5 account groups at the chart's fixed width
        assert b"tEXt" not in d or b"Software" not in d
    assert draw_both() == data


# --- The Word document --------------------------------------------------------------------

def test_docx_structure_styles_and_language(seed_docx):
    doc = docx.Document(str(seed_docx))
    styles = [p.style.name for p in doc.paragraphs]
    headings = [plain(p.text) for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [DRIFT, SAMMANFATTNING, UTFALL, HANDLINGSPLAN]
    assert styles[0] == "Title" and styles[1] == "Subtitle"
    assert styles.count("List Bullet") == 4
    captions = [plain("".join(t.text for t in p._p.iter(qn("w:t"))))  # with the SEQ field
                for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions[0].startswith("Figur 1. Budget och prognos helår 2024")
    assert captions[1].startswith("Figur 2. Avvikelse prognos/budget 2024")
    assert len(doc.inline_shapes) == 2
    assert doc.tables[0].style.name == "Table Grid"
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(
        qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "sv-SE"
    assert doc.core_properties.language == "sv-SE"
    section = doc.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert sum(c.width for c in doc.tables[0].columns) <= text_width
    assert all(s.width <= text_width for s in doc.inline_shapes)
    # Figures are written as the seed prints them: searchable and copyable into Excel.
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "-3,0 mnkr" in body and "4,5 mnkr" in body
    assert "\u2212" not in body and "\u00a0" not in body


def test_write_docx_refuses_other_suffixes(tmp_path):
    fu = seed_followup()
    with pytest.raises(UsageError):
        write_docx(compute(fu), fu, tmp_path / "rapport.pdf")


def test_failed_write_leaves_the_old_report_and_no_temp_file(tmp_path, monkeypatch):
    fu = seed_followup()
    out = tmp_path / "rapport.docx"
    out.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(charts, "draw", boom)
    with pytest.raises(RuntimeError):
        write_docx(compute(fu), fu, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["rapport.docx"]


@needs_libreoffice
def test_seed_report_converts_to_pdf_with_libreoffice(seed_docx, tmp_path):
    outdir = tmp_path / "pdf"
    convert([seed_docx], outdir, "pdf", tmp_path / "profile", timeout=240)
    pdf = outdir / (seed_docx.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-"


# --- From a workbook file -----------------------------------------------------------------

def test_write_report_from_the_example_workbook(tmp_path):
    book = copy_of(EXAMPLE, tmp_path)
    before = book.read_bytes()
    out = write_report(book, tmp_path / "rapport.docx").written
    assert out == tmp_path / "rapport.docx"
    assert book.read_bytes() == before  # the workbook is never written
    doc = docx.Document(str(out))
    text = docx_text(doc)
    for figure in KEY_FIGURES:
        assert figure in text, figure
    assert "Enligt tilldelad ram." in text  # a Kommentar from the workbook
    body = {plain(r.cells[0].text): [plain(c.text) for c in r.cells[1:]]
            for r in doc.tables[0].rows[1:]}
    # the report's Drift table is the seed's printed table, figure for figure
    assert body == {name: [format_number(D(v)) for v in figures]
                    for name, figures in SEED_PRINTED.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([book.name, "rapport.docx"])


def test_report_on_a_workbook_with_errors_names_each_error_cell(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    set_cells(book, [(drift_cell(book, "Lokalhyror", "Budget"), "tolv"),
                     (drift_cell(book, "Köp av tjänster", "Prognos"), "många")])
    before = book.read_bytes()
    out = tmp_path / "rapport.docx"
    assert main(["report", str(book), "-o", str(out)]) == 1
    _, err = capsys.readouterr()
    for name, column in (("Lokalhyror", "Budget"), ("Köp av tjänster", "Prognos")):
        assert excel_address(*drift_cell(book, name, column)) in err
    assert "'tolv'" in err and "'många'" in err and "2 fel" in err
    assert not out.exists() and book.read_bytes() == before


def test_cli_report(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path, "uppföljning maj.xlsm")
    assert main(["report", str(book)]) == 0
    out, err = capsys.readouterr()
    default = tmp_path / "uppföljning maj rapport.docx"
    assert default.exists() and str(default) in out
    named = tmp_path / "till nämnden.docx"
    assert main(["report", str(book), "-o", str(named)]) == 0
    assert named.exists()
    assert main(["report", str(book), "-o", str(tmp_path / "x.pdf")]) == 2
    assert ".docx" in capsys.readouterr().err
    set_cells(book, [(drift_cell(book, "Lokalhyror", "Budget"), "tolv")])
    assert main(["report", str(book), "-o", str(tmp_path / "fel.docx")]) == 1
    assert "fel" in capsys.readouterr().err
    assert not (tmp_path / "fel.docx").exists()


def test_build_document_is_a_python_docx_document():
    fu = seed_followup()
    doc = build_document(compute(fu), fu)
    assert doc.paragraphs[0].text == "Månadsuppföljning per maj 2024"


def test_without_kommunbidrag_buffer_structural_or_plan():
    fu = seed_followup()
    fu = replace(fu, settings=replace(fu.settings, year=None, period=None, committee=None),
                 rows=tuple(r for r in fu.rows if r.name != "Kommunbidrag"),
                 buffer_share=None, buffer_committed=None, structural_deficit=None,
                 measures=())
    report = draft(compute(fu), fu)
    assert report.title == "Månadsuppföljning" and report.subtitle is None
    assert report.table().header[1] == "Budget"
    text = report.text()
    assert "avviker med -3,0 mnkr mot budget, det vill säga sämre än budgeterat" in text
    assert "buffert" not in text and "strukturell" not in text
    assert "Inga åtgärder redovisas" in text


def test_no_account_groups_no_charts():
    fu = seed_followup()
    zero = replace(fu, rows=tuple(replace(r, budget=None if r.budget is None else D(0),
                                          forecast=None if r.forecast is None else D(0))
                                  for r in fu.rows), measures=(), buffer_committed=D(0))
    report = draft(compute(zero), zero)
    assert "Sammantaget ligger prognosen för helåret i nivå med budget" in report.text()
    assert not any(type(b).__name__ == "Figure" for s in report.sections for b in s.blocks)


def test_a_figure_never_breaks_after_its_minus_sign(tmp_path):
    """Word's non-breaking hyphen carries the minus of "-3,0 mnkr" in running text; the
    text still reads as the reports print it."""
    fu = seed_followup()
    out = write_docx(compute(fu), fu, tmp_path / "rapport.docx")
    doc = docx.Document(str(out))
    summary = next(p for p in doc.paragraphs if "-3,0 mnkr" in p.text)
    assert summary._p.xpath(".//w:noBreakHyphen")
    assert "\u2011" not in summary.text and "\u2212" not in summary.text


# --- Wording: no sentence twice, one minus sign, the tree's own words -------------------

def _with_comments(**comments):
    return seed_followup(rows=tuple(replace(r, comment=comments.get(r.name),
                                            previous_forecast=r.forecast)
                                    for r in seed_rows()))


def test_a_comment_on_a_row_makes_the_engines_sentence_short():
    fu = _with_comments(**{"Årets resultat": "Underskottet väntas ligga kvar året ut.",
                           "Köp av tjänster": "Köpt vård över budget."})
    summary = section_text(fu, SAMMANFATTNING)
    assert "oförändrad jämfört med föregående prognos" not in summary
    assert "Underskottet väntas ligga kvar året ut." in summary
    report = draft(compute(fu), fu)
    (group,) = [b for b in report.section(UTFALL).blocks
                if isinstance(b, Paragraph) and b.lead == "Köp av tjänster"]
    assert group.text == ("Kostnaderna beräknas överstiga budget med 4 000 tkr. "
                          "Köpt vård över budget.")
    # without comments the engine says it all, once
    plain_fu = _with_comments()
    assert summary.count("föregående prognos") == 0
    assert section_text(plain_fu, SAMMANFATTNING).count("föregående prognos") == 1
    lines = [line for line in text_of(fu).splitlines() if line and not line.startswith("•")]
    sentences = [s.strip() for line in lines for s in line.split(". ") if len(s) > 30]
    assert len(sentences) == len(set(sentences))


def test_one_minus_sign_throughout():
    fu = _with_comments(**{"Årets resultat": "Prognosen \u22123,0 mnkr ligger kvar",
                           "Lokalhyror": "Hyran \u2013 17 416 tkr \u2013 följer budget"})
    text = text_of(fu)
    assert "\u2212" not in text and "-3,0 mnkr ligger kvar" in text
    assert "Hyran - 17 416 tkr" not in text  # a dash between words stays a dash
    assert "Hyran \u2013 17 416 tkr \u2013 följer budget" in text


def test_captions_and_summary_name_the_kind_of_rows():
    fu = seed_followup()
    fu = replace(fu, settings=replace(fu.settings, row_kind="verksamhet"),
                 rows=tuple(replace(r, forecast=r.budget) for r in fu.rows))
    report = draft(compute(fu), fu)
    captions = [f.caption for f in report.figures()]
    assert all("per verksamhet" in cap for cap in captions) and len(captions) == 2
    assert "Samtliga verksamheter prognostiseras i nivå med budget" in report.text()
    assert "kontogrupp" not in report.text()


def test_an_illustrative_plan_says_so_in_the_report():
    note = "Fördelningen mellan åtgärderna är ett räkneexempel."
    fu = seed_followup(plan_note=note)
    blocks = draft(compute(fu), fu).section(HANDLINGSPLAN).blocks
    assert blocks[-1] == Paragraph(note, lead="Observera")
    assert "räkneexempel" not in text_of(seed_followup())


def test_workforce_shares_name_their_base():
    plan = section_text(seed_followup(), HANDLINGSPLAN)
    assert ("1,3 procent av avdelningens arbetsstyrka på 77 årsarbetare" in plan)
    assert ("1,4 procent av avdelningens arbetsstyrka på 71 årsarbetare" in plan)


def test_names_and_comments_are_text_never_formulas_or_control_characters(tmp_path):
    names = ("Köp $x^$", "$\\frac{1}{0}$", "Rad\x07med\x1bkontroll", "A & B <c>")
    rows = tuple(DriftRow(n, "R", D(-100 * (i + 1)), D(-90 * (i + 1)),
                          comment=f"{n}\x00 kommentar") for i, n in enumerate(names)) + (
        DriftRow("R", None),)
    fu = seed_followup(rows=rows, measures=(), buffer_share=None, buffer_committed=None,
                       structural_deficit=None)
    result = compute(fu)
    out = tmp_path / "r.docx"
    write_docx(result, fu, out)
    text = docx_text(docx.Document(str(out)))
    assert "Köp $x^$" in text and "$\\frac{1}{0}$" in text
    assert "Radmedkontroll" in text and "\x07" not in text and "\x00" not in text
    for kind in ("budget_prognos", "avvikelse"):
        png = io.BytesIO()
        charts.draw(kind, result, png)
        assert png.getvalue()[:8] == PNG_SIGNATURE


# --- A kommun-sized tree gets a report of the seed's length -----------------------------

def _large_followup(units=300, per_unit=20):
    rows = [DriftRow("Årets resultat", None), DriftRow("Kommunbidrag", "Årets resultat",
                                                       D(0), D(0)),
            DriftRow("Verksamhetens nettokostnader", "Årets resultat")]
    for u in range(units):
        unit = f"Enhet {u:03d}"
        rows.append(DriftRow(unit, "Verksamhetens nettokostnader"))
        for k in range(per_unit):
            budget = D(-(1000 + 37 * k + u))
            forecast = budget - (D(u * 7 + k) if (u * k) % 13 == 0 else 0)
            rows.append(DriftRow(f"{unit} konto {k:02d}", unit, budget, forecast,
                                 comment="En kommentar."))
    net = sum((r.budget for r in rows if r.budget), D(0))
    rows[1] = replace(rows[1], budget=-net, forecast=-net)
    return seed_followup(rows=tuple(rows), measures=(), structural_deficit=None,
                         settings=replace(seed_followup().settings, row_kind="enhet"))


def test_a_six_thousand_row_tree_gets_a_summary_not_a_list():
    fu = _large_followup()
    result = compute(fu)
    assert result.ok and len(result.rows) > 6000
    report = draft(result, fu)
    seed_report = draft(compute(seed_followup()), seed_followup())
    assert len(report.text()) < 3 * len(seed_report.text())
    assert len(draft_paragraphs(result, fu)) < 40
    table = report.table()
    assert len(table.rows) <= 40 and "alla 6303 rader finns på bladet Drift" in table.note
    figures = report.figures()
    assert [len(f.rows) for f in figures] == [1, 10]
    largest = sorted((r for r in result.rows if not r.is_total and r.deviation),
                     key=lambda r: abs(r.deviation), reverse=True)[:10]
    assert figures[1].rows == tuple(r.name for r in largest)
    assert "De 10 största avvikelserna" in report.text()
    for r in largest:
        assert r.name in report.text()


def test_a_large_tree_without_deviations_is_still_a_summary():
    fu = _large_followup()
    fu = replace(fu, rows=tuple(replace(r, forecast=r.budget) for r in fu.rows))
    result = compute(fu)
    assert result.ok
    paragraphs = draft_paragraphs(result, fu)
    assert len(paragraphs) < 40 and "En kommentar." not in " ".join(paragraphs)
    assert "Ingen enskild rad avviker från budget." in paragraphs
    figures = draft(result, fu).figures()
    assert [f.kind for f in figures] == ["budget_prognos"]  # no chart of nothing


def test_a_kommun_sized_action_plan_lists_the_largest_measures_and_sums_the_rest():
    measures = tuple(Measure(f"Åtgärd {k}", None, None, None, D(10 + k), dt.date(2025, 1, 1))
                     for k in range(200))
    fu = seed_followup(measures=measures)
    blocks = draft(compute(fu), fu).section(HANDLINGSPLAN).blocks
    (bullets,) = [b for b in blocks if isinstance(b, Bullets)]
    assert len(bullets.items) == 11
    assert [item.split(".")[0] for item in bullets.items[:10]] == \
        [f"Åtgärd {k}" for k in range(190, 200)]
    rest = sum(10 + k for k in range(190))
    assert bullets.items[-1].startswith("Ytterligare 190 åtgärder") and \
        format_number(D(rest) / 1000, 1) in bullets.items[-1]


# --- The actuals: the months passed, the accumulated result, the history ---------------

@pytest.fixture(scope="module")
def example_report():
    from followup_xl.jobs.calc import check
    result = check(EXAMPLE).result
    return result, draft(result, result.followup)


def test_the_example_report_speaks_of_the_actuals_and_the_history(example_report):
    result, report = example_report
    drift = report.section(DRIFT).blocks
    assert len(drift) == 2  # the seed's table, then the months passed
    ack = drift[1]
    assert ack.header == ("Belopp i tkr", "Budget jan–maj 2024", "Utfall jan–maj 2024",
                          "Avvikelse jan–maj 2024")
    rows = {r.name: r.cells[1:] for r in ack.rows}
    assert rows["Köp av tjänster"] == ("-25 990", "-28 300", "-2 310")
    assert rows["Årets resultat"] == ("0", "-2 199", "-2 199")
    summary = section_text(None, SAMMANFATTNING, report=report)
    assert "Prognosen för helåret är oförändrad sedan april." in summary
    assert ("ackumulerat underskott mot den periodiserade budgeten på -2,2 mnkr" in summary
            and "har fortsatt att öka sedan april, då det var -1,5 mnkr" in summary)
    outcome = section_text(None, UTFALL, report=report)
    assert "ligger över budgeten för perioden (-2 310 tkr)" in outcome
    assert "ligger under budgeten för perioden (723 tkr)" in outcome  # personal: a surplus
    assert "ligger i nivå med budgeten för perioden" in outcome  # lokalhyror


@pytest.mark.parametrize("before, now, said", [
    ("-1500", "-2199", "har fortsatt att öka sedan april, då det var -1,5 mnkr"),
    ("-3000", "-2199", "har minskat sedan april, då det var -3,0 mnkr"),
    ("-2240", "-2199", "underskott mot den periodiserade budgeten på -2,2 mnkr, oförändrat "
                       "sedan april."),
    ("10", "-2199", "-2,2 mnkr; i april var utfallet i nivå med den periodiserade budgeten."),
    ("1500", "-2199", "-2,2 mnkr; i april var avvikelsen 1,5 mnkr."),
    ("-1500", "20", "Utfallet till och med maj är i nivå med den periodiserade budgeten."),
])
def test_the_accumulated_result_against_the_previous_period(example_report, before, now,
                                                            said):
    result, _ = example_report
    root = replace(result.row(result.root), previous_deviation_ack=D(before),
                   deviation_ack=D(now))
    result = replace(result, rows=tuple(root if r.name == root.name else r
                                        for r in result.rows))
    assert said in actuals.accumulated_sentence(result)


def test_without_actuals_the_report_is_the_seeds_shape():
    report = draft(compute(seed_followup()), seed_followup())
    assert len(report.section(DRIFT).blocks) == 1
    assert "periodiserade" not in report.text() and "Utfallet till och med" not in report.text()


def test_the_forecast_history_says_since_when_and_how_it_moved():
    from followup_xl.domain.model import HistoryRow
    fu = seed_followup(history=tuple(
        HistoryRow(p, "Årets resultat", D(f)) for p, f in ((2, -2000), (3, -3001), (4, -3001))))
    assert "oförändrad sedan mars" in section_text(fu, SAMMANFATTNING)
    fu = seed_followup(history=(HistoryRow(4, "Årets resultat", D(-2500)),))
    assert ("har försämrats sedan april, då den var -2,5 mnkr"
            in section_text(fu, SAMMANFATTNING))


def test_an_uncommented_group_only_speaks_of_its_forecast_history_when_it_moved():
    from followup_xl.domain.model import HistoryRow
    stood = seed_followup(history=(HistoryRow(4, "Köp av tjänster", D(-66376)),))
    outcome = section_text(stood, UTFALL)
    assert "-66 376 tkr" in outcome and "oförändrad" not in outcome
    moved = seed_followup(history=(HistoryRow(4, "Köp av tjänster", D(-64376)),))
    assert ("Prognosen har försämrats sedan april, då den var -64 376 tkr."
            in section_text(moved, UTFALL))


def test_at_year_end_the_report_shows_the_forecast_accuracy():
    from followup_xl.domain.model import HistoryRow, Months
    rows = tuple(replace(r, forecast=r.budget) for r in seed_rows())
    twelfths = {"Verksamhetens intäkter": D(2618), "Personalkostnader": D(-13200),
                "Lokalhyror": D(-1451), "Köp av tjänster": D(-5300),
                "Övriga kostnader": D(-3168), "Kommunbidrag": D(20424)}
    actuals = tuple(Months(n, (v,) * 12, i) for i, (n, v) in enumerate(twelfths.items()))
    fu = seed_followup(rows=rows, actuals=actuals,
                       settings=replace(seed_followup().settings, period=12),
                       history=(HistoryRow(4, "Årets resultat", D(-3000)),
                                HistoryRow(8, "Årets resultat", D(-1000))))
    result = compute(fu)
    assert result.ok, result.messages
    report = draft(result, fu)
    table = [b for b in report.section(UTFALL).blocks if isinstance(b, Table)][-1]
    assert [r.cells[0] for r in table.rows] == ["April", "Augusti"]
    outcome = result.row("Årets resultat").actual_ack
    assert table.rows[0].cells[1:4] == ("-3 000", format_number(outcome),
                                        format_number(outcome + 3000))
    assert "Prognossäkerhet" in report.text()


def test_a_row_shown_but_not_summed_is_noted_under_the_table():
    rows = seed_rows()[:5] + (DriftRow("Interna poster", "Verksamhetens kostnader", D(-100),
                                       D(-100), not_summed=True),) + seed_rows()[5:]
    report = draft(compute(seed_followup(rows=rows)), seed_followup(rows=rows))
    assert ("Interna poster visas men ingår inte i summan för Verksamhetens kostnader."
            in report.table().note)
