"""The workbook builder: one XlsxWriter workbook, the template or the template filled
with the example, assembled sheet by sheet by the modules of this package."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Callable

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from followup_xl import contract as c
from followup_xl.doors import excel as xl
from template.base import NUM_FORMATS, TABLE_STYLE, Sheet, Styles, ref, write_value

XLWINGS_VERSION = "0.37.8"  # the VBA project comes from this version's quickstart
# The document modules in that VBA project (olevba: ThisWorkbook, Sheet1, Sheet2; all
# empty). Every one of them gets a sheet, so none is orphaned; the later sheets get
# Excel's own default code names, for which Excel adds empty modules when it loads the
# project. See docs/template.md.
VBA_WORKBOOK_NAME = "ThisWorkbook"

# Conditional number formats (mnkr) reach down to this row (0-based) in table columns,
# so that rows an economist adds under a table get one decimal too.
CF_LAST_ROW = 999

# Roles of the defined names: inputs are yellow, outputs grey.
ROLE = {**{n: "in" for n in c.INPUT_NAMES},
        **{n: "out" for n in c.OUTPUT_NAMES + c.IMPORT_OUTPUT_NAMES}}


def vba_sheet_name(index: int) -> str:
    return f"Sheet{index + 1}"


def xlwings_vba_project() -> bytes:
    """xl/vbaProject.bin of the installed xlwings' quickstart_standalone.xlsm, unchanged."""
    import xlwings

    if xlwings.__version__ != XLWINGS_VERSION:
        raise SystemExit(f"build.py: xlwings {XLWINGS_VERSION} behövs (pyproject.toml), "
                         f"installerad är {xlwings.__version__}")
    source = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(source) as z:
        return z.read("xl/vbaProject.bin")


class Builder:
    """Writes one workbook: the template, or the template filled with an example."""

    def __init__(self, path: Path, mall: dict[str, Any], data: dict[str, Any] | None,
                 decorate: Callable[[xlsxwriter.Workbook, dict[str, Any]], None] | None = None,
                 numeric_headers: set[str] | None = None):
        self.decorate = decorate  # tests: adds what an economist adds (charts, shapes …)
        self.mall = mall
        self.data = data or {}
        self.numeric_headers = numeric_headers or set()
        self.wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        self.st = Styles(self.wb)
        self.defined: dict[str, str] = {}
        self.settings: dict[str, Any] = {name: None for name in c.INPUT_NAMES}
        for section in ("installningar", "buffert", "handlingsplan", "import"):
            for fld in mall.get(section, {}).get("falt", []):
                if "standard" in fld:
                    self.settings[fld["namn"]] = fld["standard"]
        for section in ("installningar", "buffert", "import"):
            self.settings.update(self.data.get(section, {}))
        note = self.data.get("handlingsplan", {}).get("not")
        if note:
            self.settings[c.HANDLINGSPLAN_KOMMENTAR] = note
        for name, default in c.DEFAULTS.items():
            assert self.settings_default(name) == default, \
                f"mall.toml: default of {name} differs from contract.DEFAULTS"

    def settings_default(self, name: str):
        for section in ("installningar", "buffert", "handlingsplan", "import"):
            for fld in self.mall.get(section, {}).get("falt", []):
                if fld["namn"] == name:
                    return fld.get("standard")
        return None

    # -- helpers --------------------------------------------------------------------
    def define(self, name: str, sheet: Sheet, row: int, col: int) -> None:
        assert name not in self.defined, name
        self.defined[name] = ref(sheet.name, row, col)
        self.wb.define_name(name, "=" + self.defined[name])

    def field_row(self, sheet: Sheet, row: int, fld: dict[str, Any], col: int = 0) -> None:
        """Label, the named value cell to its right, help text right of that."""
        name = fld["namn"]
        role = ROLE[name]
        kind = fld["format"]
        value = self.settings.get(name) if role == "in" else None
        sheet.ws.write_string(row, col, fld["etikett"], self.st.label)
        write_value(sheet.ws, row, col + 1, value,
                    self.st.cell(role, kind, wrap=fld.get("radbrytning", False)))
        sheet.ws.write_string(row, col + 2, fld["hjalp"], self.st.help)
        self.define(name, sheet, row, col + 1)
        if kind == "belopp":
            sheet.mnkr_ranges.append(xl_rowcol_to_cell(row, col + 1))
        val = self.mall.get("validering", {}).get(name)
        if val:
            self.validate(sheet, row, col + 1, name, val)

    def validate(self, sheet: Sheet, row: int, col: int, name: str, msg: dict) -> None:
        lists = {c.ENHET: list(c.ENHETER), c.TECKENKONVENTION: list(c.TECKENKONVENTIONER),
                 c.RAPPORT_WORD: [c.JA, c.NEJ], c.KNAPPEN: list(c.KNAPPVAL),
                 c.RADTYP: list(c.RADTYPER),
                 c.PERIODISERING: list(c.FIXED_KEYS), c.PROGNOSMETOD: list(c.PROGNOSMETODER)}
        # Named keys of Periodiseringsnycklar are allowed too: a note, not a refusal.
        error_type = "information" if name == c.PERIODISERING else "stop"
        ranges = {c.PERIOD: ("integer", 1, 12), c.AR: ("integer", 2000, 2100),
                  c.BUFFERT_ANDEL: ("decimal", 0, 1), c.PO_PALAGG: ("decimal", 0, 1),
                  c.PROGNOS_VARNINGSGRANS: ("decimal", 0, 1),
                  c.SIE_DIM_ANSVAR: ("integer", 1, 999),
                  c.SIE_DIM_VERKSAMHET: ("integer", 1, 999)}
        opts: dict[str, Any]
        if name in lists:
            opts = {"validate": "list", "source": lists[name]}
        elif name in ranges:
            kind, low, high = ranges[name]
            opts = {"validate": kind, "criteria": "between", "minimum": low, "maximum": high}
        else:
            raise KeyError(name)
        opts.update(input_title=msg["rubrik"], input_message=msg["text"],
                    error_title=msg["rubrik"], error_message=msg["fel"],
                    error_type=error_type)
        sheet.ws.data_validation(row, col, row, col, opts)

    def table(self, sheet: Sheet, name: str, first_row: int, first_col: int, n_rows: int,
              headers: tuple[str, ...] | None = None) -> list[str]:
        headers = headers or c.TABLES[name]
        sheet.ws.add_table(first_row, first_col, first_row + max(n_rows, 1),
                           first_col + len(headers) - 1,
                           {"name": name, "style": TABLE_STYLE, "autofilter": False,
                            "banded_rows": False,
                            "columns": [{"header": h,
                                         "header_format": (self.st.header_right
                                                           if h in self.numeric_headers
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

    def heading(self, sheet: Sheet, row: int, col: int, text: str, width: int) -> None:
        """A section heading underlined over ``width`` columns."""
        sheet.ws.write_string(row, col, text, self.st.heading)
        for k in range(col + 1, col + width):
            sheet.ws.write_blank(row, k, None, self.st.heading)

    # -- the workbook -----------------------------------------------------------------
    def build(self, sheet_builders: list[tuple[str, Callable[["Builder", Sheet], None]]]) -> None:
        """Add the sheets in order (key in mall.toml's [blad], function that fills it),
        then the hidden xlwings.conf sheet last, the VBA project and the properties."""
        names = self.mall["blad"]
        sheets = {key: Sheet(self.wb.add_worksheet(names[key]), names[key])
                  for key, _ in sheet_builders}
        conf = Sheet(self.wb.add_worksheet(xl.CONF_SHEET), xl.CONF_SHEET)
        self.wb.set_vba_name(VBA_WORKBOOK_NAME)
        for i, sheet in enumerate(list(sheets.values()) + [conf]):
            sheet.ws.set_vba_name(vba_sheet_name(i))
        self.wb.add_vba_project(io.BytesIO(xlwings_vba_project()), is_stream=True)

        doc = self.mall["dokument"]
        self.wb.set_properties({
            "title": doc["titel"], "subject": doc["amne"], "author": doc["forfattare"],
            "company": doc["foretag"], "comments": doc["kommentar"],
            "created": doc["skapad"]})
        self.wb.set_calc_mode("auto")
        for key, fill in sheet_builders:
            fill(self, sheets[key])
        xlwings_conf(conf)
        missing = set(ROLE) - set(self.defined)
        assert not missing, f"defined names not placed: {sorted(missing)}"
        if self.data:
            sheets["drift"].ws.activate()
        if self.decorate:
            self.decorate(self.wb, {sheet.name: sheet.ws
                                    for sheet in list(sheets.values()) + [conf]})
        self.wb.close()


def xlwings_conf(sheet: Sheet) -> None:
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


__all__ = ["Builder", "CF_LAST_ROW", "NUM_FORMATS", "ROLE", "XLWINGS_VERSION",
           "vba_sheet_name", "xlwings_vba_project"]
