"""Excel Tables (``xl/tables/tableN.xml``): where they lie, and changing their size.

A table part names its range (``ref``), its header and totals rows, and its columns; the
worksheet it lies on points at it through a relationship. Resizing changes only ``ref`` on
``<table>`` and on its own ``<autoFilter>``, and only the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from followup_xl.errors import FollowupError
from followup_xl.xlsx.cellref import parse_range, range_text
from followup_xl.xlsx.package import Package
from followup_xl.xlsx.partnames import CT_TABLE, NS_MAIN, RT_TABLE
from followup_xl.xlsx.workbookpart import WorkbookPart
from followup_xl.xlsx.xmlscan import children, root_element, set_attrs, splice
from followup_xl.xlsx.xmltext import xstring_decode


@dataclass
class Table:
    name: str
    display: str
    part: str
    sheet_part: str | None
    ref: tuple[int, int, int, int]
    header_rows: int
    totals_rows: int
    columns: list[str]  # as stored (ST_Xstring)

    @property
    def headers(self) -> list[str]:
        """The column names as Excel shows them."""
        return [xstring_decode(c) for c in self.columns]


def load_tables(wb: WorkbookPart) -> list[Table]:
    """Every table part of the workbook, with the worksheet part it lies on."""
    pkg = wb.pkg
    out: list[Table] = []
    sheet_of: dict[str, str] = {}
    for part in wb.worksheet_parts():
        for rtype, target, ext in pkg.rels(part).values():
            if rtype == RT_TABLE and not ext and pkg.has(target):
                sheet_of[pkg.actual(target).lower()] = part
    parts = {e.name for e in pkg.entries if wb.content_type(e.name) == CT_TABLE}
    parts |= {pkg.actual(p) for p in sheet_of}
    for part in sorted(parts):
        root = pkg.xml(part)
        if etree.QName(root).namespace != NS_MAIN:
            continue
        rng = parse_range(root.get("ref", ""))
        if rng is None:
            raise pkg.bad(f"tabelldelen '{part}' har ett ogiltigt område "
                          f"('{root.get('ref', '')}')")
        cols = [c.get("name", "") for c in root.iter(f"{{{NS_MAIN}}}tableColumn")]
        try:
            header = int(root.get("headerRowCount", "1"))
            totals = int(root.get("totalsRowCount", "0"))
        except ValueError:
            header, totals = 1, 0
        out.append(Table(root.get("name", ""), root.get("displayName", root.get("name", "")),
                         part, sheet_of.get(part.lower()), rng, header, totals, cols))
    return out


def find_table(tables: list[Table], name: str) -> Table | None:
    match = [t for t in tables if name in (t.name, t.display)]
    if not match:
        match = [t for t in tables if name.casefold() in (t.name.casefold(), t.display.casefold())]
    return match[0] if len(match) == 1 else None


def resize_table(pkg: Package, table: Table, new_ref: str, others: list[Table]) -> bytes:
    """The table part with its range changed to ``new_ref`` (same columns and header row,
    at least one data row, no overlap with another table on the sheet)."""
    label = pkg.label
    rng = parse_range(new_ref)
    if rng is None:
        raise FollowupError(f"Det nya området '{new_ref}' för tabellen '{table.display}' i "
                            f"arbetsboken '{label}' är ingen giltig cellreferens.")
    r1, c1, r2, c2 = rng
    o1, oc1, o2, oc2 = table.ref
    if (c1, c2) != (oc1, oc2):
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' kan bara byta antal rader; "
            f"det nya området {new_ref} har andra kolumner än {range_text(*table.ref)}. "
            "Inget har ändrats.")
    if r1 != o1:
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' måste börja på samma rad som "
            f"förut ({o1}); det nya området {new_ref} flyttar rubrikraden. Inget har ändrats.")
    if r2 - r1 + 1 < table.header_rows + table.totals_rows + 1:
        raise FollowupError(
            f"Tabellen '{table.display}' i arbetsboken '{label}' måste ha minst en datarad; "
            f"området {new_ref} är för litet. Inget har ändrats.")
    for other in others:
        if other is table or other.sheet_part != table.sheet_part:
            continue
        a1, b1, a2, b2 = other.ref
        if not (r2 < a1 or r1 > a2 or c2 < b1 or c1 > b2):
            raise FollowupError(
                f"Tabellen '{table.display}' i arbetsboken '{label}' skulle med området {new_ref} "
                f"överlappa tabellen '{other.display}'. Inget har ändrats.")
    data = pkg.read(table.part)
    root = root_element(data)
    text = range_text(r1, c1, r2, c2)
    splices = [(root.start, root.stag_end,
                set_attrs(data[root.start : root.stag_end], {b"ref": text}))]
    # the table's own autoFilter (a direct child of <table>) covers header and data rows
    af = next((k for k in children(data, root.stag_end, root.inner_end)
               if k.qname == root.qname[: -len(b"table")] + b"autoFilter"), None)
    if af is not None:
        af_ref = range_text(r1, c1, r2 - table.totals_rows, c2)
        splices.append((af.start, af.stag_end,
                        set_attrs(data[af.start : af.stag_end], {b"ref": af_ref})))
    return splice(data, splices)
