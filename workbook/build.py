"""Build the Excel template and the worked example from the text sources in workbook/src.

    .venv/bin/python workbook/build.py            # rebuild both files in workbook/
    .venv/bin/python workbook/build.py OUTDIR     # build into another directory
    .venv/bin/python workbook/build.py --no-calc  # leave the example uncomputed

Words and defaults come from ``src/mall.toml``, the example's figures from
``src/exempel.toml``; table names, column headers and defined names come from
``followup_xl.contract``. Cell positions are decided here (see docs/template.md).

The VBA project is xlwings' own, taken unchanged from the installed xlwings package
(``quickstart_standalone.xlsm``). The Beräkna button, the ``xlwings.conf`` sheet and the
Snabbkontroll formulas come from ``followup_xl.doors.excel``. The build is reproducible: fixed
document properties and XlsxWriter's in-memory mode (fixed zip timestamps) give identical
parts every time. After building the example, the computation is run on it
(``followup-xl calc``); if that fails, the build stops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from followup_xl import contract as c  # noqa: E402
from followup_xl.doors import excel as xl  # noqa: E402

SRC = HERE / "src"
TEMPLATE_NAME = "uppfoljning.xlsm"
XLWINGS_VERSION = "0.37.8"  # the VBA project comes from this version's quickstart
EXAMPLE_NAME = "exempel_socialnamnden_maj_2024.xlsm"

# Column order of the Drift table: the contract's columns with the optional
# "Föregående prognos" placed before "Kommentar".
DRIFT_COLUMNS = (c.DRIFT_RAD, c.DRIFT_INGAR_I, c.DRIFT_BUDGET, c.DRIFT_PROGNOS,
                 c.DRIFT_AVVIKELSE, c.DRIFT_FOREG_PROGNOS, c.DRIFT_KOMMENTAR)
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {**c.TABLES, c.DRIFT: DRIFT_COLUMNS}
DRIFT_WIDTHS = {c.DRIFT_RAD: 30, c.DRIFT_INGAR_I: 28, c.DRIFT_BUDGET: 13, c.DRIFT_PROGNOS: 13,
                c.DRIFT_AVVIKELSE: 13, c.DRIFT_FOREG_PROGNOS: 13, c.DRIFT_KOMMENTAR: 64}

# The Snabbkontroll on Drift (1-based cells, as xl.template_formulas takes them): FU_DRIFT
# spills from SPILL_ANCHOR, the live deviation of the row named in ROW_CELL is in
# AVVIKELSE_CELL. The spill shares the Drift table's header row, so its rows line up
# with the table's.
SNABB_COL = 8                       # column I (0-based)
ROW_CELL = "J3"
AVVIKELSE_CELL = "J4"
SPILL_ANCHOR = "I7"

TABLE_STYLE = "Table Style Light 1"
# Headers of number columns, right-aligned over their numbers.
NUMERIC_HEADERS = {c.DRIFT_BUDGET, c.DRIFT_PROGNOS, c.DRIFT_AVVIKELSE, c.DRIFT_FOREG_PROGNOS,
                   c.ENG_BELOPP, c.ATG_ARSARBETARE, c.ATG_MANADSLON, c.ATG_BELOPP,
                   c.ATG_START, c.ATG_HELARSEFFEKT, c.ATG_EFFEKT_I_AR, c.ATG_ANDEL,
                   c.AST_ARSARBETARE}
# Conditional number formats (mnkr) reach down to this row (0-based) in table columns,
# so that rows an economist adds under a table get one decimal too.
CF_LAST_ROW = 999

# --- Styles -------------------------------------------------------------------------------
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
    "datum": "yyyy-mm-dd",
    "fte": "0.0",            # årsarbetare
    "lon": "#,##0",          # månadslön, kronor
    "ar": "0",               # a year: 2025, no thousands separator
    "heltal": "0",
}

# Roles of the defined names: inputs are yellow, outputs grey.
ROLE = {**{n: "in" for n in c.INPUT_NAMES}, **{n: "out" for n in c.OUTPUT_NAMES}}


def load_sources() -> tuple[dict[str, Any], dict[str, Any]]:
    with open(SRC / "mall.toml", "rb") as f:
        mall = tomllib.load(f)
    with open(SRC / "exempel.toml", "rb") as f:
        exempel = tomllib.load(f)
    return mall, exempel


def xlwings_vba_project() -> bytes:
    """xl/vbaProject.bin of the installed xlwings' quickstart_standalone.xlsm, unchanged."""
    import xlwings

    if xlwings.__version__ != XLWINGS_VERSION:
        raise SystemExit(f"build.py: xlwings {XLWINGS_VERSION} behövs (pyproject.toml), "
                         f"installerad är {xlwings.__version__}")
    source = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(source) as z:
        return z.read("xl/vbaProject.bin")


# The document modules in that VBA project (olevba: ThisWorkbook, Sheet1, Sheet2; all
# empty). Every one of them gets a sheet, so none is orphaned; the later sheets (up to
# Rapport = Sheet7 and the hidden xlwings.conf = Sheet8) get Excel's own default code
# names, for which Excel adds empty modules when it loads the project. See
# docs/template.md.
VBA_WORKBOOK_NAME = "ThisWorkbook"


def vba_sheet_name(index: int) -> str:
    return f"Sheet{index + 1}"


# --- Building blocks ----------------------------------------------------------------------

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
        """An input ("in") or computed ("out") cell of a kind in NUM_FORMATS."""
        props: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR,
                                 "valign": "top"}
        if role == "in":
            props["bg_color"] = INPUT_FILL
        elif role == "out":
            props.update(bg_color=COMPUTED_FILL, font_color=COMPUTED_FONT)
        else:
            raise ValueError(role)
        if NUM_FORMATS[kind]:
            props["num_format"] = NUM_FORMATS[kind]
        if bold:
            props["bold"] = True
        if wrap:
            props["text_wrap"] = True
        return self._get(("cell", role, kind, bold, wrap), props)

    @property
    def title(self):
        return self._get(("title",), {"bold": True, "font_size": 14})

    @property
    def subtitle(self):
        return self._get(("subtitle",), {"font_size": 11, "bold": True,
                                         "font_color": "#404040"})

    @property
    def heading(self):
        return self._get(("heading",), {"bold": True, "font_size": 12,
                                        "bottom": 1, "bottom_color": BORDER_COLOUR})

    @property
    def label(self):
        return self._get(("label",), {"valign": "top"})

    @property
    def help(self):
        return self._get(("help",), {"italic": True, "font_color": HELP_FONT,
                                     "valign": "top", "indent": 1})

    @property
    def help_wrap(self):
        return self._get(("help_wrap",), {"italic": True, "font_color": HELP_FONT,
                                          "valign": "top", "text_wrap": True})

    @property
    def text_wrap(self):
        return self._get(("text_wrap",), {"text_wrap": True, "valign": "top"})

    @property
    def note(self):
        return self._get(("note",), {"bold": True, "font_color": "#C00000"})

    @property
    def header(self):
        return self._get(("header",), {"bold": True, "text_wrap": True, "valign": "bottom",
                                       "bottom": 1})

    @property
    def header_right(self):
        return self._get(("header_right",), {"bold": True, "text_wrap": True,
                                             "valign": "bottom", "align": "right",
                                             "bottom": 1})

    @property
    def amount_column(self):
        return self._get(("amount_column",), {"num_format": NUM_FORMATS["belopp"]})

    @property
    def spill_header(self):
        return self._get(("spill_header",), {"bold": True, "valign": "bottom"})

    @property
    def mnkr(self):
        return self._get(("mnkr",), {"num_format": NUM_FORMATS["belopp_mnkr"]})


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


class Builder:
    """Writes one workbook: the template, or the template filled with an example."""

    def __init__(self, path: Path, mall: dict[str, Any], data: dict[str, Any] | None,
                 decorate: Callable[[xlsxwriter.Workbook, dict[str, Any]], None] | None = None):
        self.decorate = decorate  # tests: adds what an economist adds (charts, shapes …)
        self.mall = mall
        self.data = data or {}
        self.wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        self.st = Styles(self.wb)
        self.defined: dict[str, str] = {}
        self.settings = {name: None for name in c.INPUT_NAMES}
        for fld in mall["installningar"]["falt"]:
            if "standard" in fld:
                self.settings[fld["namn"]] = fld["standard"]
        self.settings.update(self.data.get("installningar", {}))
        self.settings.update(self.data.get("buffert", {}))
        for name, default in c.DEFAULTS.items():
            assert any(f["namn"] == name and f.get("standard") == default
                       for f in mall["installningar"]["falt"]), \
                f"mall.toml: default of {name} differs from contract.DEFAULTS"

    # -- helpers --
    def define(self, name: str, sheet: Sheet, row: int, col: int) -> None:
        assert name not in self.defined, name
        self.defined[name] = ref(sheet.name, row, col)
        self.wb.define_name(name, "=" + self.defined[name])

    def field_row(self, sheet: Sheet, row: int, fld: dict[str, Any]) -> None:
        """Label in A, the named value cell in B, help text in C."""
        name = fld["namn"]
        role = ROLE[name]
        kind = fld["format"]
        value = self.settings.get(name) if role == "in" else None
        sheet.ws.write_string(row, 0, fld["etikett"], self.st.label)
        write_value(sheet.ws, row, 1, value, self.st.cell(role, kind))
        sheet.ws.write_string(row, 2, fld["hjalp"], self.st.help)
        self.define(name, sheet, row, 1)
        if kind == "belopp":
            sheet.mnkr_ranges.append(xl_rowcol_to_cell(row, 1))
        val = self.mall.get("validering", {}).get(name)
        if val:
            self.validate(sheet, row, 1, name, val)

    def validate(self, sheet: Sheet, row: int, col: int, name: str, msg: dict) -> None:
        opts: dict[str, Any]
        if name == c.ENHET:
            opts = {"validate": "list", "source": list(c.ENHETER)}
        elif name == c.TECKENKONVENTION:
            opts = {"validate": "list", "source": list(c.TECKENKONVENTIONER)}
        elif name == c.RAPPORT_WORD:
            opts = {"validate": "list", "source": [c.JA, c.NEJ]}
        elif name == c.PERIOD:
            opts = {"validate": "integer", "criteria": "between", "minimum": 1,
                    "maximum": 12}
        elif name == c.AR:
            opts = {"validate": "integer", "criteria": "between", "minimum": 2000,
                    "maximum": 2100}
        elif name in (c.BUFFERT_ANDEL, c.PO_PALAGG):
            opts = {"validate": "decimal", "criteria": "between", "minimum": 0,
                    "maximum": 1}
        else:
            raise KeyError(name)
        opts.update(input_title=msg["rubrik"], input_message=msg["text"],
                    error_title=msg["rubrik"], error_message=msg["fel"],
                    error_type="stop")
        sheet.ws.data_validation(row, col, row, col, opts)

    def table(self, sheet: Sheet, name: str, first_row: int, first_col: int,
              n_rows: int) -> list[str]:
        headers = TABLE_COLUMNS[name]
        sheet.ws.add_table(first_row, first_col, first_row + max(n_rows, 1),
                           first_col + len(headers) - 1,
                           {"name": name, "style": TABLE_STYLE, "autofilter": False,
                            "banded_rows": False,
                            "columns": [{"header": h,
                                         "header_format": (self.st.header_right
                                                           if h in NUMERIC_HEADERS
                                                           else self.st.header)}
                                        for h in headers]})
        return list(headers)

    def mnkr_column(self, sheet: Sheet, first_data_row: int, col: int) -> None:
        sheet.mnkr_ranges.append(
            f"{xl_rowcol_to_cell(first_data_row, col)}:{xl_rowcol_to_cell(CF_LAST_ROW, col)}")

    def finish_sheet(self, sheet: Sheet, repeat_row: int | None = None,
                     portrait: bool = False) -> None:
        ws = sheet.ws
        for rng in sheet.mnkr_ranges:
            ws.conditional_format(rng, {"type": "formula",
                                        "criteria": f'={c.ENHET}="mnkr"',
                                        "format": self.st.mnkr})
        if portrait:
            ws.set_portrait()
        else:
            ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.set_footer(self.mall["gemensamt"]["sidfot"])
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)

    def unit_line(self, sheet: Sheet, row: int) -> None:
        text = self.mall["gemensamt"]["belopp_i"]
        sheet.ws.write_formula(row, 0, f'="{text}"&{c.ENHET}', self.st.subtitle,
                               text + (self.settings[c.ENHET] or ""))

    # -- sheets --
    def build(self) -> None:
        names = self.mall["blad"]
        order = ("instruktioner", "installningar", "drift", "buffert", "handlingsplan",
                 "kontroll", "rapport")
        sheets = {key: Sheet(self.wb.add_worksheet(names[key]), names[key]) for key in order}
        # xlwings' settings sheet: hidden, last, so the visible sheets keep their places.
        conf = Sheet(self.wb.add_worksheet(xl.CONF_SHEET), xl.CONF_SHEET)
        order += ("conf",)
        sheets["conf"] = conf
        self.wb.set_vba_name(VBA_WORKBOOK_NAME)
        for i, key in enumerate(order):
            sheets[key].ws.set_vba_name(vba_sheet_name(i))
        self.wb.add_vba_project(io.BytesIO(xlwings_vba_project()), is_stream=True)

        doc = self.mall["dokument"]
        self.wb.set_properties({
            "title": doc["titel"], "subject": doc["amne"], "author": doc["forfattare"],
            "company": doc["foretag"], "comments": doc["kommentar"],
            "created": doc["skapad"]})
        self.wb.set_calc_mode("auto")

        self.instruktioner(sheets["instruktioner"])
        self.installningar(sheets["installningar"])
        self.drift(sheets["drift"])
        self.buffert(sheets["buffert"])
        self.handlingsplan(sheets["handlingsplan"])
        self.kontroll(sheets["kontroll"])
        self.rapport(sheets["rapport"])
        self.xlwings_conf(sheets["conf"])
        missing = set(ROLE) - set(self.defined)
        assert not missing, f"defined names not placed: {sorted(missing)}"
        if self.data:
            sheets["drift"].ws.activate()
        if self.decorate:
            self.decorate(self.wb, {sheet.name: sheet.ws for sheet in sheets.values()})
        self.wb.close()

    def instruktioner(self, sheet: Sheet) -> None:
        text_width = 100
        ws, st, m = sheet.ws, self.st, self.mall["instruktioner"]
        ws.set_column(0, 0, 2)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, text_width)
        ws.write_string(0, 1, m["rubrik"], st.title)
        ws.write_string(1, 2, m["ingress"], st.text_wrap)
        fit_row(ws, 1, (m["ingress"], text_width))
        row = 3
        sections = m["avsnitt"]
        for i, section in enumerate(sections):
            ws.write_string(row, 1, section["rubrik"], st.heading)
            ws.write_blank(row, 2, None, st.heading)
            row += 1
            for paragraph in section["stycken"]:
                ws.write_string(row, 2, paragraph, st.text_wrap)
                fit_row(ws, row, (paragraph, text_width))
                row += 1
            row += 1
            if i == 0:  # the colour legend after "Så här gör du"
                ws.write_string(row, 1, m["rubrik_farger"], st.heading)
                ws.write_blank(row, 2, None, st.heading)
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
        self.finish_sheet(sheet)

    def installningar(self, sheet: Sheet) -> None:
        ws, st, m = sheet.ws, self.st, self.mall["installningar"]
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 22)
        ws.set_column(2, 2, 90)
        ws.write_string(0, 0, m["rubrik"], st.title)
        ws.write_string(1, 0, m["ingress"], st.help)
        for i, fld in enumerate(m["falt"]):
            self.field_row(sheet, 3 + i, fld)
        self.finish_sheet(sheet)

    def drift(self, sheet: Sheet) -> None:
        kommentar_width = DRIFT_WIDTHS[c.DRIFT_KOMMENTAR]
        ws, st, m = sheet.ws, self.st, self.mall["drift"]
        # A Rad, B Ingår i, C Budget, D Prognos, E Avvikelse, F Föreg. prognos, G Kommentar
        for col, header in enumerate(DRIFT_COLUMNS):
            ws.set_column(col, col, DRIFT_WIDTHS[header])
        ws.write_string(0, 0, m["rubrik"], st.title)
        s = self.settings
        cached = (f"{s[c.NAMND]} – prognos helår {s[c.AR]}, period {s[c.PERIOD]}"
                  if s[c.NAMND] else "")
        ws.write_formula(1, 0, f'=IF({c.NAMND}="","",{c.NAMND}&" – prognos helår "&'
                               f'{c.AR}&", period "&{c.PERIOD})', st.subtitle, cached)
        self.unit_line(sheet, 2)
        self.button(sheet)
        for i, line in enumerate(m["hjalp"]):
            ws.write_string(3 + i, 0, line, st.help)
        header = 6
        rows = m["rader"]
        parents = {p for _, p in rows if p}
        values = self.data.get("drift", {})
        unknown = set(values) - {r for r, _ in rows}
        assert not unknown, f"exempel.toml: rows not in the template: {unknown}"
        self.table(sheet, c.DRIFT, header, 0, len(rows))
        for i, (name, parent) in enumerate(rows):
            r = header + 1 + i
            total = name in parents
            v = values.get(name, {})
            if total:
                assert not ({"budget", "prognos", "foregaende"} & set(v)), \
                    f"exempel.toml: {name} is a total row; its figures are computed"
            leaf = "out" if total else "in"
            write_value(ws, r, 0, name, st.cell("in", bold=total))
            write_value(ws, r, 1, parent or None, st.cell("in", bold=total))
            write_value(ws, r, 2, v.get("budget"), st.cell(leaf, "belopp", bold=total))
            write_value(ws, r, 3, v.get("prognos"), st.cell(leaf, "belopp", bold=total))
            write_value(ws, r, 4, None, st.cell("out", "belopp", bold=total))
            write_value(ws, r, 5, v.get("foregaende"), st.cell(leaf, "belopp", bold=total))
            write_value(ws, r, 6, v.get("kommentar"), st.cell("in", bold=total, wrap=True))
            fit_row(ws, r, (v.get("kommentar"), kommentar_width))
        for col in range(2, 6):
            self.mnkr_column(sheet, header + 1, col)
        # The header row is also the Snabbkontroll spill's header row: bold there too.
        ws.set_row(header, 30, st.spill_header)
        self.snabbkontroll(sheet, header, rows)
        # The printout is the Drift table; the Snabbkontroll is for the screen. Print
        # area: columns A:G, written as $A$1:$G$1048576 (XlsxWriter's print_area() writes
        # $A:$G, which openpyxl, and so the reader, warns about on every load).
        last = xl_rowcol_to_cell(ws.xls_rowmax - 1, len(DRIFT_COLUMNS) - 1,
                                 row_abs=True, col_abs=True)
        self.wb.define_name(f"{sheet.name}!_xlnm.Print_Area",
                            f"={ref(sheet.name, 0, 0)}:{last}")
        ws.freeze_panes(header + 1, 0)
        self.finish_sheet(sheet, repeat_row=header)

    def button(self, sheet: Sheet) -> None:
        """The Beräkna button over E1:F3: a form button whose macro is xlwings'
        RunPython with the package's entry point (xl.BUTTON_MACRO)."""
        m = self.mall["drift"]
        # E and F are 96 px wide each, rows 1-3 about 60 px high: centred in E1:F3.
        sheet.ws.insert_button(0, 4, {
            "macro": xl.BUTTON_MACRO, "caption": xl.BUTTON_CAPTION,
            "description": m["knapp_beskrivning"],
            "width": 150, "height": 44, "x_offset": 21, "y_offset": 8})

    def snabbkontroll(self, sheet: Sheet, header: int, rows: list) -> None:
        """Live cells beside the Drift table (columns I-M, after the empty column H): a
        Rad input cell, the deviation of that row and FU_DRIFT spilling the computed table
        from the table's header row down. Nothing may be written below the anchor."""
        ws, st, m = sheet.ws, self.st, self.mall["snabbkontroll"]
        first = SNABB_COL
        spill_cols = len(xl.DRIFT_SPILL_COLUMNS)
        assert xl_rowcol_to_cell(header, first) == SPILL_ANCHOR
        ws.set_column(first - 1, first - 1, 3)
        # The widths of the Drift columns the spill repeats; amounts formatted as there,
        # as column formats (spilled cells take them) with the mnkr rule.
        for i, h in enumerate(xl.DRIFT_SPILL_COLUMNS):
            amount = h in NUMERIC_HEADERS
            ws.set_column(first + i, first + i, DRIFT_WIDTHS[h],
                          st.amount_column if amount else None)
            if amount:
                self.mnkr_column(sheet, header + 1, first + i)
        ws.write_string(0, first, m["rubrik"], st.heading)
        for col in range(first + 1, first + spill_cols):
            ws.write_blank(0, col, None, st.heading)
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

    def buffert(self, sheet: Sheet) -> None:
        ws, st, m = sheet.ws, self.st, self.mall["buffert"]
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 100)
        ws.write_string(0, 0, m["rubrik"], st.title)
        self.unit_line(sheet, 1)
        fields = {f["namn"]: f for f in m["falt"]}
        row = 3
        for heading, names in (
                (m["rubrik_buffert"], (c.BUFFERT_ANDEL, c.BUFFERT_BELOPP, c.BUFFERT_INTECKNAT,
                                       c.BUFFERT_KVAR, c.BUFFERT_TACKNING)),
                (m["rubrik_struktur"], (c.STRUKTURELLT_UNDERSKOTT, c.STRUKTURELLT_BELOPP,
                                        c.STRUKTURELLT_ANDEL))):
            ws.write_string(row, 0, heading, st.heading)
            ws.write_blank(row, 1, None, st.heading)
            row += 1
            for name in names:
                self.field_row(sheet, row, fields.pop(name))
                row += 1
            row += 1
        assert not fields, f"mall.toml: unplaced fields {sorted(fields)}"
        ws.write_string(row, 0, m["rubrik_engang"], st.heading)
        ws.write_blank(row, 1, None, st.heading)
        row += 1
        for line in m["hjalp_engang"]:
            ws.write_string(row, 0, line, st.help)
            row += 1
        header = row
        items = self.data.get("engangsposter", [])
        self.table(sheet, c.ENGANGSPOSTER, header, 0, len(items))
        for i, item in enumerate(items or [{}]):
            write_value(ws, header + 1 + i, 0, item.get("post"), st.cell("in"))
            write_value(ws, header + 1 + i, 1, item.get("belopp"), st.cell("in", "belopp"))
        self.mnkr_column(sheet, header + 1, 1)
        self.finish_sheet(sheet)

    def handlingsplan(self, sheet: Sheet) -> None:
        ws, st, m = sheet.ws, self.st, self.mall["handlingsplan"]
        d = self.data.get("handlingsplan", {})
        # Atgarder in A:I, an empty column J, Arbetsstyrka in K:L.
        widths = (60, 14, 12, 12, 13, 12, 13, 13, 13, 3, 16, 12)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, m["rubrik"], st.title)
        self.unit_line(sheet, 1)
        ws.write_string(3, 0, m["rubrik_summa"], st.heading)
        ws.write_blank(3, 1, None, st.heading)
        for i, fld in enumerate(m["falt"]):
            self.field_row(sheet, 4 + i, fld)
        row = 4 + len(m["falt"]) + 1
        ws.write_string(row, 0, m["rubrik_atgarder"], st.heading)
        for col in range(1, 9):
            ws.write_blank(row, col, None, st.heading)
        ws.write_string(row, 10, m["rubrik_arbetsstyrka"], st.heading)
        ws.write_blank(row, 11, None, st.heading)
        for i, line in enumerate(m["hjalp_atgarder"]):
            ws.write_string(row + 1 + i, 0, line, st.help)
        ws.write_string(row + 1, 10, m["hjalp_arbetsstyrka"], st.help)
        note_row = row + 1 + len(m["hjalp_atgarder"])
        if d.get("not"):
            ws.write_string(note_row, 0, d["not"], st.note)
        header = note_row + 1

        measures = d.get("atgard", [])
        self.table(sheet, c.ATGARDER, header, 0, len(measures))
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
            self.mnkr_column(sheet, header + 1, col)

        staff = d.get("arbetsstyrka", [])
        self.table(sheet, c.ARBETSSTYRKA, header, 10, len(staff))
        for i, a in enumerate(staff or [{}]):
            write_value(ws, header + 1 + i, 10, a.get("avdelning"), st.cell("in"))
            write_value(ws, header + 1 + i, 11, a.get("arsarbetare"), st.cell("in", "fte"))
        ws.set_row(header, 30)
        ws.freeze_panes(header + 1, 0)
        self.finish_sheet(sheet, repeat_row=header)

    def kontroll(self, sheet: Sheet) -> None:
        ws, st, m = sheet.ws, self.st, self.mall["kontroll"]
        ws.set_column(0, 0, 12)
        ws.set_column(1, 1, 24)
        ws.set_column(2, 2, 12)
        ws.set_column(3, 3, 110)
        ws.write_string(0, 0, m["rubrik"], st.title)
        (fld,) = m["falt"]
        self.field_row(sheet, 2, fld)
        ws.write_string(4, 0, m["hjalp"], st.help)
        header = 5
        self.table(sheet, c.KONTROLL, header, 0, 1)
        for col in range(4):
            write_value(ws, header + 1, col, None, st.cell("out", wrap=(col == 3)))
        ws.freeze_panes(header + 1, 0)
        self.finish_sheet(sheet, repeat_row=header)

    def rapport(self, sheet: Sheet) -> None:
        """The report draft: the program writes one paragraph per row of the Rapport
        table (and resizes it, as it does Kontroll): paragraphs wrapped into lines that fit
        the column, an empty row between paragraphs.

        One wrapping column, portrait. Its width fits the printable width of A4 portrait
        at 100 %, also with LibreOffice's wider substitute for Calibri: LibreOffice's
        "fit to one page wide" does not shrink a sheet whose only column is too wide (it
        prints it cut off), while Excel would scale it."""
        width = 76
        ws, st, m = sheet.ws, self.st, self.mall["rapport"]
        ws.set_column(0, 0, width)
        ws.write_string(0, 0, m["rubrik"], st.title)
        ws.write_string(1, 0, m["hjalp"], st.help_wrap)
        fit_row(ws, 1, (m["hjalp"], width))
        header = 3
        self.table(sheet, c.RAPPORT, header, 0, 1)
        # No cell style on the data rows: the program writes the text as lines that fit
        # the column (writeback.sheet_lines), and every new row looks the same.
        ws.freeze_panes(header + 1, 0)
        self.finish_sheet(sheet, repeat_row=header, portrait=True)

    def xlwings_conf(self, sheet: Sheet) -> None:
        """xlwings' settings sheet (xl.CONF_ROWS): keys in A, values in B, from A1 down
        (xlwings' VBA stops at the first empty cell in A). Hidden."""
        ws = sheet.ws
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 24)
        for i, (key, value) in enumerate(xl.CONF_ROWS):
            ws.write_string(i, 0, key)
            if isinstance(value, bool):
                ws.write_boolean(i, 1, value)
            elif value is not None:  # None: an empty setting, the cell stays empty
                ws.write_string(i, 1, value)
        ws.hide()


# --- Entry points -------------------------------------------------------------------------

def build_template(path: Path) -> Path:
    mall, _ = load_sources()
    Builder(path, mall, None).build()
    return path


def build_example(path: Path, decorate=None) -> Path:
    """The example, uncomputed. ``decorate(workbook, {sheet name: worksheet})`` may add
    to it before it is closed (the tests decorate it as an economist would)."""
    mall, exempel = load_sources()
    Builder(path, mall, exempel, decorate).build()
    return path


def run_calc(path: Path) -> None:
    """Run ``followup-xl calc`` on the file in place; stop the build if it fails."""
    stop = (f"Exemplet {path.name} är byggt men inte beräknat; rätta felet och bygg om "
            "(eller bygg med --no-calc).")
    try:
        from followup_xl.doors.cli import main as cli_main
    except ImportError as exc:
        raise SystemExit(f"build.py: followup_xl.doors.cli kan inte importeras ({exc}). {stop}")
    rc = cli_main(["calc", str(path)])
    if rc not in (0, None):
        raise SystemExit(f"build.py: followup-xl calc gav returkod {rc} (se meddelandena "
                         f"ovan). {stop}")


def build(outdir: Path = HERE, *, calc: bool = True) -> tuple[Path, Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    template = build_template(outdir / TEMPLATE_NAME)
    example = build_example(outdir / EXAMPLE_NAME)
    if calc:
        run_calc(example)
    return template, example


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Bygg mallen och exemplet från workbook/src.")
    p.add_argument("outdir", nargs="?", type=Path, default=HERE,
                   help="katalog att skriva till (standard: workbook/)")
    p.add_argument("--no-calc", action="store_true",
                   help="räkna inte exemplet (kör inte followup-xl calc)")
    args = p.parse_args(argv)
    template, example = build(args.outdir, calc=not args.no_calc)
    print(f"Byggde {template} och {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
