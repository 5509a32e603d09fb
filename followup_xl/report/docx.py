"""The report to the nämnd as a Word draft (python-docx).

Lays out what :mod:`followup_xl.report.text` drafts: real Word headings, the Drift table
as a Word table (Table Grid, amounts right-aligned, header row repeated on a new page,
the width of the text), bullets in the List Bullet style, the two charts of
:mod:`followup_xl.report.charts` with numbered captions, and Swedish as the document language.
The economist edits the draft afterwards; nothing here adds a figure of its own.

:func:`write_docx` replaces the .docx atomically; the job that computes a workbook file
first is :mod:`followup_xl.jobs.report`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from followup_xl.report import charts
from followup_xl.errors import UsageError
from followup_xl.domain.model import FollowUp, Result
from followup_xl.report.blocks import Bullets, Figure, Paragraph, Table
from followup_xl.report.text import draft
from followup_xl.xlsx.safefile import atomic_write

LANGUAGE = "sv-SE"
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)  # A4
MARGIN = Cm(2.5)
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # 16 cm
NAME_COLUMN = Cm(5.8)  # the three amount columns share the rest: 3,4 cm each
TABLE_FONT = Pt(9)
HEADER_FILL = "D9D9D9"


# --- The document -------------------------------------------------------------------------

def build_document(result: Result, followup: FollowUp):
    """The Word document (python-docx Document) for a computed follow-up."""
    report = draft(result, followup)
    doc = Document()
    _page(doc)
    _language(doc)
    cp = doc.core_properties
    cp.title = report.title
    cp.subject = "Månadsuppföljning"
    cp.author = result.settings.committee or ""
    cp.last_modified_by = ""
    cp.language = LANGUAGE
    cp.comments = "Utkast skapat av followup-xl från uppföljningsarbetsboken."

    doc.add_heading(report.title, level=0)
    if report.subtitle:
        doc.add_paragraph(report.subtitle, style="Subtitle")
    figure_no = 0
    for section in report.sections:
        doc.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                p = doc.add_paragraph()
                if block.lead:
                    p.add_run(block.lead.rstrip(".:") + ". ").bold = True
                add_text(p, block.text)
            elif isinstance(block, Bullets):
                for item in block.items:
                    add_text(doc.add_paragraph(style="List Bullet"), item)
            elif isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Figure):
                figure_no += 1
                _figure(doc, result, block, figure_no)
    return doc


_MINUS_BEFORE_DIGIT = re.compile(r"(?<![\w,.])-(?=\d)")


def add_text(paragraph, text: str) -> None:
    """Running text with its figures kept whole: the minus sign of "-3,0 mnkr" becomes
    Word's non-breaking hyphen (w:noBreakHyphen), so a line never breaks after it. The
    text still reads "-3,0 mnkr" (python-docx, search, copy), as the reports print it."""
    parts = _MINUS_BEFORE_DIGIT.split(text)
    run = paragraph.add_run(parts[0])
    for part in parts[1:]:
        run = paragraph.add_run()
        run._r.append(OxmlElement("w:noBreakHyphen"))
        run.add_text(part)


def _page(doc) -> None:
    for section in doc.sections:
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN


def _language(doc) -> None:
    """Swedish for spelling and hyphenation: the default run language of the styles."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(
        qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia"):
        lang.set(qn(attr), LANGUAGE)


def _table(doc, table: Table) -> None:
    n_cols = len(table.header)
    t = doc.add_table(rows=1 + len(table.rows), cols=n_cols)
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    amount_width = int((TEXT_WIDTH - NAME_COLUMN) / (n_cols - 1))
    widths = [NAME_COLUMN] + [amount_width] * (n_cols - 1)
    for col, w in zip(t.columns, widths):
        col.width = w
    rows = [(table.header, True, True)] + [(r.cells, r.bold, False) for r in table.rows]
    for tr, (cells, bold, header) in zip(t.rows, rows):
        trpr = tr._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if header:
            trpr.append(OxmlElement("w:tblHeader"))  # repeat on every page
        for j, (cell, text, width) in enumerate(zip(tr.cells, cells, widths)):
            cell.width = width
            p = cell.paragraphs[0]
            pf = p.paragraph_format
            pf.space_before, pf.space_after, pf.line_spacing = Pt(1), Pt(1), 1.0
            if j in table.numeric_columns:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = p.add_run(text.replace("/", "/\u200b") if header else text)
            run.bold = bold
            run.font.size = TABLE_FONT
            if header:
                _shade(cell, HEADER_FILL)
    if table.note:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(3)
        run = p.add_run(table.note)
        run.italic = True
        run.font.size = Pt(9)


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _figure(doc, result: Result, figure: Figure, number: int) -> None:
    png = io.BytesIO()
    charts.draw(figure.kind, result, png, rows=figure.rows)
    png.seek(0)
    doc.add_picture(png, width=TEXT_WIDTH)
    picture = doc.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    caption = doc.add_paragraph(style="Caption")
    caption.add_run("Figur ")
    field = OxmlElement("w:fldSimple")  # a real caption number Word can update
    field.set(qn("w:instr"), r" SEQ Figur \* ARABIC ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = str(number)
    run.append(text)
    field.append(run)
    caption._p.append(field)
    caption.add_run(". " + figure.caption)


# --- Writing ------------------------------------------------------------------------------

def check_docx(out: Path) -> None:
    """Refuse (UsageError) a report file that is not a .docx."""
    if Path(out).suffix.lower() != ".docx":
        raise UsageError(f"Rapporten '{Path(out).name}' måste sparas som .docx.")


def write_docx(result: Result, followup: FollowUp, out: Path) -> Path:
    """Write the report for a computed follow-up to ``out`` (.docx), atomically."""
    out = Path(out)
    check_docx(out)
    doc = build_document(result, followup)
    atomic_write(out, doc.save)
    return out
