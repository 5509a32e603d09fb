"""Which Drift rows the report speaks of, and what it calls them.

A small tree (the seed's ten rows) is described group by group. A large one (a
consolidated kommun: thousands of rows) gets the same length of report: the root's
parts, the ten largest deviations among the leaves, and a table down to the levels that
fit. Nothing here computes a figure; it only chooses rows of the engine's result.
"""

from __future__ import annotations

from dataclasses import dataclass

from followup_xl import contract as c
from followup_xl.domain.model import Result, RowResult
from followup_xl.domain.swedish import format_number, unit_decimals
from followup_xl.report.blocks import TableRow
from followup_xl.report.wording import is_zero_shown, own_text

MAX_GROUPS = 15  # account groups described one by one; more makes a summary
TOP_DEVIATIONS = 10  # the largest leaf deviations a summary names
MAX_TABLE_ROWS = 40  # rows of the report's Drift table


def kind(result: Result, plural: bool = False) -> str:
    """What the rows are called: 'kontogrupp' / 'kontogrupper' (setting Radtyp)."""
    singular = result.settings.row_kind
    return c.RADTYPER.get(singular, singular) if plural else singular


def _kommunbidrag_row(result: Result) -> RowResult | None:
    """The kommunbidrag's row (Kommunbidrag_Rad), found once by name."""
    try:
        return result.row(result.settings.kommunbidrag_row)
    except KeyError:
        return None


def _spoken_of(row: RowResult, kommunbidrag: RowResult | None) -> bool:
    """A row the text can describe: not the kommunbidrag (financing, not a part of the
    nämnd's activity) and not zero in both budget and forecast (an empty Finansnetto)."""
    return row is not kommunbidrag and not (row.budget == 0 and row.forecast == 0)


def leaves(result: Result) -> tuple[RowResult, ...]:
    kommunbidrag = _kommunbidrag_row(result)
    return tuple(r for r in result.rows if not r.is_total and _spoken_of(r, kommunbidrag))


@dataclass(frozen=True)
class Focus:
    """The rows the report describes: ``groups`` one by one (table order), and in a
    summary also ``largest``, the leaves with the largest deviations."""

    groups: tuple[RowResult, ...]
    largest: tuple[RowResult, ...] = ()
    summary: bool = False  # a large tree: the root's parts and the largest deviations


def focus(result: Result) -> Focus:
    all_leaves = leaves(result)
    if len(all_leaves) <= MAX_GROUPS:
        return Focus(all_leaves)
    kommunbidrag = _kommunbidrag_row(result)
    parts = tuple(r for r in result.rows if r.depth == 1 and _spoken_of(r, kommunbidrag))
    unit = result.settings.unit
    deviating = [r for r in all_leaves if not is_zero_shown(r.deviation, unit, unit)]
    deviating.sort(key=lambda r: abs(r.deviation), reverse=True)
    return Focus(parts, tuple(deviating[:TOP_DEVIATIONS]), summary=True)


def table_rows(result: Result) -> tuple[tuple[RowResult, ...], int]:
    """The rows of the report's Drift table: all of them when they fit, otherwise the
    levels from the root down to the deepest one that keeps the table within
    MAX_TABLE_ROWS. Returns the rows and how many were left out."""
    if len(result.rows) <= MAX_TABLE_ROWS:
        return result.rows, 0
    by_level: dict[int, int] = {}
    for r in result.rows:
        by_level[r.depth] = by_level.get(r.depth, 0) + 1
    keep, count = 0, 0
    for level in sorted(by_level):
        if count + by_level[level] > MAX_TABLE_ROWS:
            break
        keep, count = level, count + by_level[level]
    rows = tuple(r for r in result.rows if r.depth <= keep)
    return rows, len(result.rows) - len(rows)


def amount_rows(result: Result, rows: tuple[RowResult, ...],
                columns: tuple[str, ...]) -> tuple[TableRow, ...]:
    """Table rows of a report table: the row's name, then the named RowResult fields as
    the workbook's unit prints them; totals bold."""
    dec = unit_decimals(result.settings.unit)
    return tuple(TableRow(r.name, (own_text(r.name) or "",) + tuple(
        format_number(getattr(r, column), dec) for column in columns), bold=r.is_total)
        for r in rows)
