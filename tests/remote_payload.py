"""Build the JSON that xlwings' Office.js client sends, from a workbook file (openpyxl).

``xw.Book(json=payload_from_file(path))`` then gives a real xlwings ``Book`` on xlwings'
remote engine (``xlwings/pro/_xlremote.py``; PolyForm Noncommercial, enabled with
``XLWINGS_LICENSE_KEY=noncommercial``): the same API as desktop Excel, with writes
collected as actions in ``book.json()``. The payload carries what the client sends:
the book's name, every sheet's values from A1 to its last used cell (empty cells as "",
dates as ISO text ending in Z), its Excel Tables, and the defined names that point at a
range. Formulas are not part of the payload (the client does not send them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlwings as xw
from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries


def payload_from_file(path, *, name: str | None = None) -> dict:
    """The payload for the workbook file ``path``, as the book ``name`` (default: the
    file's name; pass another name to see the workbook as if it had been renamed)."""
    path = Path(path)
    formulas = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    values = load_workbook(path, data_only=True)
    sheets = []
    for ws in values.worksheets:
        grid = [[_json_value(cell.value) for cell in row]
                for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), min_col=1,
                                        max_col=max(ws.max_column, 1))]
        sheets.append({
            "name": ws.title,
            "values": grid or [[""]],
            "tables": [_table(t) for t in formulas[ws.title].tables.values()],
            "pictures": [], "shapes": [], "charts": [], "notes": [],
            "pivot_tables": [], "print_area": None, "show_gridlines": True,
        })
    index = {ws.title: i for i, ws in enumerate(values.worksheets)}
    names = []
    for defined_name, defined in formulas.defined_names.items():
        names += _names(defined_name, defined, index, scope=None)
    for ws in formulas.worksheets:
        for defined_name, defined in ws.defined_names.items():
            names += _names(defined_name, defined, index, scope=ws.title)
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": name or path.name,
                 "active_sheet_index": formulas.index(formulas.active),
                 "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


def _json_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _table(table) -> dict:
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = 0 if table.headerRowCount == 0 else 1
    totals = table.totalsRowCount or 0
    first, last = get_column_letter(min_col), get_column_letter(max_col)
    style = table.tableStyleInfo
    return {
        "name": table.name,
        "range_address": f"{first}{min_row}:{last}{max_row}",
        "header_row_range_address": f"{first}{min_row}:{last}{min_row}" if headers else None,
        "data_body_range_address": f"{first}{min_row + headers}:{last}{max_row - totals}",
        "total_row_range_address": f"{first}{max_row}:{last}{max_row}" if totals else None,
        "show_headers": bool(headers),
        "show_totals": bool(totals),
        "table_style": style.name if style is not None and style.name else "",
        "show_autofilter": table.autoFilter is not None,
        "columns": [col.name for col in table.tableColumns],
        "row_count": max_row - min_row + 1,
        "column_count": max_col - min_col + 1,
        "show_table_style_first_column": bool(style and style.showFirstColumn),
        "show_table_style_last_column": bool(style and style.showLastColumn),
        "show_table_style_row_stripes": bool(style and style.showRowStripes),
        "show_table_style_column_stripes": bool(style and style.showColumnStripes),
    }


def _names(name: str, defined, index: dict[str, int], scope: str | None) -> list[dict]:
    """A defined name as the client sends it; only names that point at one range."""
    if not defined.attr_text:
        return []
    dests = list(defined.destinations)
    if len(dests) != 1 or dests[0][0] not in index:
        return []
    sheet, ref = dests[0]
    return [{
        "name": name,
        "sheet_index": index[sheet],
        "address": ref.replace("$", ""),
        "refers_to": "=" + defined.attr_text,
        "scope_sheet_name": scope,
        "scope_sheet_index": None if scope is None else index[scope],
        "book_scope": scope is None,
    }]


def written_cells(book) -> dict[str, dict[str, object]]:
    """The cells a remote ``Book``'s actions write: {sheet: {A1 address: value}}, from
    every ``setValues`` action (a block is split into its cells; "" means cleared)."""
    names = [sheet.name for sheet in book.sheets]
    out: dict[str, dict[str, object]] = {}
    for action in book.json()["actions"]:
        if action["func"] != "setValues":
            continue
        sheet = names[action["sheet_position"]]
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                cell = f"{get_column_letter(action['start_column'] + j + 1)}" \
                       f"{action['start_row'] + i + 1}"
                out.setdefault(sheet, {})[cell] = value
    return out


def resized_tables(book) -> dict[str, str]:
    """{table name: new A1 range} from the ``resizeTable`` actions."""
    out = {}
    for action in book.json()["actions"]:
        if action["func"] == "resizeTable":
            sheet = book.sheets[action["sheet_position"]]
            table = sheet.api["tables"][action["args"][0]]
            out[table["name"]] = action["args"][1].replace("$", "")
    return out


def alerts(book) -> list[dict]:
    """The message boxes the code asked for: [{'prompt', 'title', 'buttons', 'mode'}]."""
    keys = ("prompt", "title", "buttons", "mode", "callback")
    return [dict(zip(keys, a["args"])) for a in book.json()["actions"]
            if a["func"] == "alert"]
