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
