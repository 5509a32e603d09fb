"""Styles and small cell helpers for building the template with XlsxWriter."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

INPUT_FILL = "#FFF2CC"      # light yellow
COMPUTED_FILL = "#E7E6E6"   # light grey
COMPUTED_FONT = "#1F3864"   # dark blue
BORDER_COLOUR = "#BFBFBF"
HELP_FONT = "#595959"

NUM_FORMATS = {
    "text": None,
    "belopp": "#,##0",       # amounts in the unit; "1 562 700" in Swedish Excel
    "belopp_mnkr": "#,##0.0",
    "andel": "0.0%",
    "andel_hel": "0%",       # Utfall % beside the Riktpunkt: whole percent
    "andel_2": "0.00%",      # a periodisation key's monthly shares
    "datum": "yyyy-mm-dd",
    "fte": "0.0",            # årsarbetare
    "lon": "#,##0",          # månadslön, kronor
    "ar": "0",               # a year: 2025, no thousands separator
    "heltal": "0",
}

TABLE_STYLE = "Table Style Light 1"
LAST_ROW = 1_048_575  # 0-based: conditional formats reach the sheet's end


class Styles:
    """Cached XlsxWriter formats by role."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._cache: dict[tuple, Any] = {}

    def _get(self, key: tuple, props: dict[str, Any]):
        if key not in self._cache:
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]

    def cell(self, role: str, kind: str = "text", bold: bool = False, wrap: bool = False):
        """An input ("in"), computed ("out") or tree-styled ("tree": no fill; conditional
        formats colour it by the row's place in the tree) cell of a kind in NUM_FORMATS."""
        props: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR,
                                 "valign": "top"}
        if role == "in":
            props["bg_color"] = INPUT_FILL
        elif role == "out":
            props.update(bg_color=COMPUTED_FILL, font_color=COMPUTED_FONT)
        elif role != "tree":
            raise ValueError(role)
        if NUM_FORMATS[kind]:
            props["num_format"] = NUM_FORMATS[kind]
        if bold:
            props["bold"] = True
        if wrap:
            props["text_wrap"] = True
        return self._get(("cell", role, kind, bold, wrap), props)

    def rule(self, role: str, bold: bool = False, mnkr: bool = False):
        """A conditional format (dxf): the fill and font of an input or computed cell,
        with the mnkr number format when ``mnkr`` (LibreOffice applies only the first
        true rule of a cell, so a rule that styles amounts carries their format too)."""
        props: dict[str, Any] = {"bold": True} if bold else {}
        if mnkr:
            props["num_format"] = NUM_FORMATS["belopp_mnkr"]
        if role == "in":
            props["bg_color"] = INPUT_FILL
        elif role == "out":
            props.update(bg_color=COMPUTED_FILL, font_color=COMPUTED_FONT)
        return self._get(("rule", role, bold, mnkr), props)

    def _simple(self, name: str, **props):
        return self._get((name,), props)

    @property
    def title(self):
        return self._simple("title", bold=True, font_size=14)

    @property
    def subtitle(self):
        return self._simple("subtitle", font_size=11, bold=True, font_color="#404040")

    @property
    def heading(self):
        return self._simple("heading", bold=True, font_size=12, bottom=1,
                            bottom_color=BORDER_COLOUR)

    @property
    def label(self):
        return self._simple("label", valign="top")

    @property
    def help(self):
        return self._simple("help", italic=True, font_color=HELP_FONT, valign="top", indent=1)

    @property
    def help_wrap(self):
        return self._simple("help_wrap", italic=True, font_color=HELP_FONT, valign="top",
                            text_wrap=True)

    @property
    def text_wrap(self):
        return self._simple("text_wrap", text_wrap=True, valign="top")

    @property
    def note(self):
        return self._simple("note", bold=True, font_color="#C00000")

    @property
    def header(self):
        return self._simple("header", bold=True, text_wrap=True, valign="bottom", bottom=1)

    @property
    def header_right(self):
        return self._simple("header_right", bold=True, text_wrap=True, valign="bottom",
                            align="right", bottom=1)

    @property
    def amount_column(self):
        return self._simple("amount_column", num_format=NUM_FORMATS["belopp"])

    @property
    def spill_header(self):
        return self._simple("spill_header", bold=True, valign="bottom")

    @property
    def mnkr(self):
        return self._simple("mnkr", num_format=NUM_FORMATS["belopp_mnkr"])


@dataclass
class Sheet:
    ws: Any
    name: str
    mnkr_ranges: list[str] = field(default_factory=list)


def write_value(ws, row: int, col: int, value: Any, fmt) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        raise TypeError(f"unexpected boolean at {xl_rowcol_to_cell(row, col)}")
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value, fmt)
    else:
        raise TypeError(f"cannot write {value!r}")


LINE_HEIGHT = 15  # points per line of 11 pt text


def wrapped_lines(text: str | None, width: float) -> int:
    """Lines that ``text`` needs in a wrapping cell ``width`` characters wide.

    Neither Excel nor LibreOffice reliably fits row heights to wrapped text when opening
    a generated file, so rows with wrapped text get explicit heights. The estimate is
    greedy word wrap at 1.15 characters per width unit: generous for Calibri (about 1.3),
    about right for wider substitute fonts such as DejaVu Sans.
    """
    if not text:
        return 1
    capacity = max(1, int(width * 1.15))
    lines = 0
    for paragraph in str(text).split("\n"):
        length = 0
        lines += 1
        for word in paragraph.split():
            if length and length + 1 + len(word) > capacity:
                lines += 1
                length = len(word)
            else:
                length += (1 if length else 0) + len(word)
    return lines


def fit_row(ws, row: int, *texts_and_widths: tuple[str | None, float]) -> None:
    n = max(wrapped_lines(t, w) for t, w in texts_and_widths)
    if n > 1:
        ws.set_row(row, LINE_HEIGHT * n)


def iferror_fallback(formula: str) -> str:
    """The text an ``=IFERROR(…,"text")`` formula shows when its first argument fails:
    what a live Snabbkontroll cell shows without the FU functions. It is stored as the
    cell's cached value, so that programs that do not compute (openpyxl, viewers) and
    Excel before its first recalculation show it."""
    m = re.fullmatch(r'=IFERROR\((.*),"([^"]*)"\)', formula, re.DOTALL)
    if not m:
        raise ValueError(f"not an IFERROR formula with a text fallback: {formula}")
    return m.group(2)


def ref(sheet: str, row: int, col: int) -> str:
    """An absolute reference to one cell, sheet name quoted."""
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)}"
