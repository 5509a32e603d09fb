"""The report as plain data: sections of paragraphs, bullet lists, the Drift table as
formatted strings and placeholders for charts. Built by :mod:`followup_xl.report.text`,
laid out by :mod:`followup_xl.report.docx`, flattened to plain paragraphs for the
workbook's Rapport sheet by :func:`paragraphs_of`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    text: str
    lead: str | None = None  # a bold lead-in, e.g. the account group the text is about


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class TableRow:
    name: str
    cells: tuple[str, ...]  # the row name and the formatted amounts
    bold: bool = False  # total rows


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    note: str | None = None  # the rounding note, and what the table leaves out
    numeric_columns: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class Figure:
    kind: str  # which chart of followup_xl.report.charts: "budget_prognos", "avvikelse"
    caption: str
    rows: tuple[str, ...] = ()  # the Drift rows it draws, in order


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str | None
    sections: tuple[Section, ...]

    def section(self, title: str) -> Section:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)

    def table(self) -> Table:
        return next(b for s in self.sections for b in s.blocks if isinstance(b, Table))

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def text(self) -> str:
        """All the words of the report, one paragraph a line (tables and figures as
        their captions and notes): for tests and quick looks."""
        return "\n".join(paragraphs_of(self, with_table=True))


def paragraphs_of(report: Report, with_table: bool = False) -> list[str]:
    """The report as plain paragraphs: title, section titles, paragraphs (a lead-in
    joined with ': '), one '• ' line per bullet, table notes. The table and the figure
    captions are left out unless ``with_table`` (then one line per table row, cells
    joined by tabs)."""
    out = [report.title]
    if report.subtitle:
        out.append(report.subtitle)
    for section in report.sections:
        out.append(section.title)
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out.append(f"{b.lead}: {b.text}" if b.lead else b.text)
            elif isinstance(b, Bullets):
                out += [f"• {item}" for item in b.items]
            elif isinstance(b, Table):
                if with_table:
                    out.append("\t".join(b.header))
                    out += ["\t".join(r.cells) for r in b.rows]
                if b.note:
                    out.append(b.note)
            elif isinstance(b, Figure):
                if with_table:
                    out.append(b.caption)
    return out
