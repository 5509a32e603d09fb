"""A workbook file as the reader sees it: the contract's layout and every cell's value.

Opens the file with openpyxl (formulas and cached values), finds the Excel Tables and the
workbook-level defined names, and offers ``get(sheet, cell)`` for the reader. Swedish
errors for a file that is missing or not a workbook.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from followup_xl.errors import FollowupError
from followup_xl.workbook.layout import Layout, table_place

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def open_workbook(path: Path):
    """Both views of a workbook: formulas and cached values. Swedish errors for a
    missing file or one that is not a workbook."""
    path = Path(path)
    if not path.exists():
        raise FollowupError(f"Filen '{path}' finns inte.")
    if path.is_dir():
        raise FollowupError(f"'{path}' är en mapp, inte en arbetsbok.")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or not zipfile.is_zipfile(path):
        raise FollowupError(f"'{path.name}' är ingen Excel-arbetsbok (.xlsx eller .xlsm).")
    try:
        keep_vba = path.suffix.lower() == ".xlsm"
        with warnings.catch_warnings():
            # openpyxl warns that it "will remove" extensions (data bars, sparklines) it
            # cannot load: true for an openpyxl save, which never happens here; the
            # writer keeps them. Not a message for the economist.
            warnings.simplefilter("ignore", UserWarning)
            formulas = load_workbook(path, keep_vba=keep_vba, keep_links=True)
            values = load_workbook(path, data_only=True, keep_links=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise FollowupError(f"'{path.name}' kunde inte läsas som Excel-arbetsbok ({e}).") \
            from None
    return formulas, values


def read_layout(wb) -> Layout:
    """Find the contract's tables and names in an openpyxl workbook (formula view)."""
    layout = Layout(date1904=bool(wb.epoch != dt.datetime(1899, 12, 30)))
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header_count = 1 if table.headerRowCount is None else table.headerRowCount
            if header_count != 1:
                raise FollowupError(f"Tabellen '{table.name}' på bladet '{ws.title}' saknar "
                                    "rubrikrad. Slå på rubrikraden i Excel.")
            layout.tables[table.name.casefold()] = table_place(
                table.name, ws.title, table.ref, [col.name for col in table.tableColumns],
                table.totalsRowCount or 0)
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    layout.formulas.add((ws.title, cell.coordinate))
    for name, defined in wb.defined_names.items():
        dests = list(defined.destinations) if defined.attr_text else []
        if len(dests) == 1:
            sheet, ref = dests[0]
            ref = ref.replace("$", "")
            if ":" in ref:
                first, last = ref.split(":")
                if first != last:
                    continue  # a range, not one cell: not part of the contract
                ref = first
            layout.names[name.casefold()] = (sheet, ref)
    return layout
