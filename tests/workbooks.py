"""Helpers for tests that work on copies of the shipped workbooks."""

import importlib.util
import shutil
import sys
from pathlib import Path

from openpyxl import load_workbook

from followup_xl.workbook.xlsx_file import open_workbook

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbook" / "uppfoljning.xlsm"
EXAMPLE = ROOT / "workbook" / "exempel_socialnamnden_maj_2024.xlsm"


def copy_of(src: Path, tmp_path: Path, name: str | None = None) -> Path:
    dst = tmp_path / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


def layout_of(path: Path):
    layout, _ = open_workbook(path)
    return layout


def drift_cell(path: Path, row_name: str, column: str) -> tuple[str, str]:
    """(sheet, cell) of a Drift row's column, found through the contract."""
    wb = load_workbook(path)
    t = layout_of(path).table("Drift")
    rad = t.column("Rad")
    for r in range(t.first_row, t.last_row + 1):
        if wb[t.sheet][f"{rad}{r}"].value == row_name:
            return t.sheet, f"{t.column(column)}{r}"
    raise KeyError(row_name)


def table_cell(path: Path, table: str, index: int, column: str) -> tuple[str, str]:
    t = layout_of(path).table(table)
    return t.sheet, f"{t.column(column)}{t.first_row + index}"


def name_cell(path: Path, name: str) -> tuple[str, str]:
    return layout_of(path).name(name)


def set_cells(path: Path, changes) -> None:
    """Write test input with openpyxl (only to build inputs; never the product's writer)."""
    wb = load_workbook(path, keep_vba=path.suffix == ".xlsm")
    for (sheet, cell), value in changes:
        wb[sheet][cell].value = value
    wb.save(path)


def read_values(path: Path, sheet: str, cells) -> dict:
    wb = load_workbook(path, data_only=True)
    return {c: wb[sheet][c].value for c in cells}


def load_build_module():
    """workbook/build.py as a module (it is a script, not part of the package)."""
    name = "followup_workbook_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "workbook" / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


# --- The package, read independently of the product (zipfile and lxml) --------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def parts(path: Path) -> dict[str, bytes]:
    import zipfile
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rels(data: dict[str, bytes], part: str) -> dict[str, str]:
    from lxml import etree
    import posixpath
    folder, name = posixpath.split(part)
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in data:
        return {}
    root = etree.fromstring(data[rels])
    def target(t: str) -> str:
        return t.lstrip("/") if t.startswith("/") else posixpath.normpath(
            posixpath.join(folder, t))
    return {r.get("Id"): target(r.get("Target"))
            for r in root.iter(f"{{{PKG_REL_NS}}}Relationship")}


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a worksheet, found by its name in workbook.xml."""
    from lxml import etree
    data = parts(path)
    wb = etree.fromstring(data["xl/workbook.xml"])
    rels = _rels(data, "xl/workbook.xml")
    for s in wb.iter(f"{{{MAIN_NS}}}sheet"):
        if s.get("name") == sheet:
            return rels[s.get(f"{{{REL_NS}}}id")]
    raise KeyError(sheet)


def table_part(path: Path, table: str) -> str:
    """The zip part of an Excel Table, found by its name."""
    from lxml import etree
    for name, content in parts(path).items():
        if name.startswith("xl/tables/") and name.endswith(".xml"):
            if etree.fromstring(content).get("name") == table:
                return name
    raise KeyError(table)


def cell_values(path: Path) -> dict[tuple[str, str], object]:
    """Every non-empty cell's value (cached values), as openpyxl reads them."""
    wb = load_workbook(path, data_only=True)
    return {(ws.title, cell.coordinate): cell.value for ws in wb.worksheets
            for row in ws.iter_rows() for cell in row if cell.value is not None}


def assert_only_kontroll_changed(before: dict[str, bytes], before_cells: dict, after: Path
                                 ) -> None:
    """Between a workbook's ``before`` (its parts and its cell values) and the file
    ``after``, only the Kontroll sheet's cells and the parts that hold Kontroll changed
    (and, when the workbook had no shared strings, the parts that register them)."""
    kontroll = layout_of(after).table("Kontroll").sheet
    after_cells = cell_values(after)
    outside = {k for k in before_cells.keys() | after_cells.keys() if k[0] != kontroll}
    assert {k: before_cells.get(k) for k in outside} == {k: after_cells.get(k) for k in outside}
    after_parts = parts(after)
    assert after_parts.keys() >= before.keys()
    may_change = {sheet_part(after, kontroll), table_part(after, "Kontroll"),
                  "xl/sharedStrings.xml"}
    if "xl/sharedStrings.xml" not in before:  # the writer added the strings part
        may_change |= {"[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
    changed = {n for n in after_parts if before.get(n) != after_parts[n]}
    assert changed <= may_change, changed - may_change


def kontroll_rows(path: Path) -> list[tuple]:
    """The Kontroll table's rows (Nivå, Blad, Cell, Meddelande) as the file holds them."""
    t = layout_of(path).table("Kontroll")
    ws = load_workbook(path, data_only=True)[t.sheet]
    return [tuple(ws[f"{t.column(h)}{r}"].value for h in ("Nivå", "Blad", "Cell", "Meddelande"))
            for r in range(t.first_row, t.last_row + 1)]


def run(capsys, *args) -> tuple[int, str, str]:
    """``followup-xl ARGS…`` in this process: the exit code, stdout and stderr."""
    from followup_xl.doors.cli import main
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
