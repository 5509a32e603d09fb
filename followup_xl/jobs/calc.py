"""The headless computation of a workbook file: read, compute, write back safely.

This is what ``followup-xl calc`` runs and what the Excel button mirrors on a live
workbook. It only wires the layers together: reading (:mod:`reader`), computing
(:mod:`engine`), planning the writes (:mod:`writeback`) and writing the file without
losing anything (:mod:`xlsxpatch`, :mod:`safefile`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from followup_xl.domain.engine import compute
from followup_xl.errors import UsageError
from followup_xl.domain.model import Result
from followup_xl.workbook.layout import Layout
from followup_xl.workbook.reader import read_followup
from followup_xl.xlsx.safefile import check_not_open, exclusive
from followup_xl.workbook.writeplan import Report, plan_writes, resolve
from followup_xl.xlsx.patch import patch_workbook


@dataclass(frozen=True)
class Outcome:
    result: Result
    layout: Layout
    reports: list[Report]
    written: Path | None  # the file written, None when nothing was written

    @property
    def exit_code(self) -> int:
        return 0 if self.result.ok else 1


def compute_book(book: Path) -> tuple[Result, Layout]:
    """Read and compute a workbook file without writing anything."""
    fu, layout, read_msgs = read_followup(Path(book))
    return compute(fu, read_msgs), layout


def calc(book: Path, out: Path | None = None, *, backup: bool = False,
         force: bool = False) -> Outcome:
    """Compute ``book`` and write the results into ``out`` (default: in place).

    Nothing is written when the input has errors; inputs are never written; the file is
    replaced atomically. Raises FollowupError for files that cannot be read or written.
    """
    book = Path(book)
    target = Path(out) if out else book
    if target.suffix.lower() != book.suffix.lower():
        raise UsageError(f"Utfilen '{target.name}' måste ha samma filändelse som "
                         f"arbetsboken ({book.suffix}).")
    if not force:
        check_not_open(book)
        if target != book and target.exists():
            check_not_open(target)
    with exclusive(target):
        result, layout = compute_book(book)
        if not result.ok:
            return Outcome(result, layout, resolve(result.messages, layout), None)
        writes, notes = plan_writes(result, layout)
        messages = result.messages + tuple(notes)
        result = replace(result, messages=messages)
        patch_workbook(book, target, writes.cells, writes.tables, backup=backup)
        return Outcome(result, layout, resolve(messages, layout), target)
