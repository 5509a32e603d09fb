"""The headless computation of a workbook file: check it, or compute it and write back.

This is what ``followup-xl check`` and ``followup-xl calc`` run and what the Excel button
mirrors on a live workbook. It only wires the layers together: reading
(:mod:`followup_xl.workbook.reader`), computing (:mod:`followup_xl.domain.engine`),
planning the writes (:mod:`followup_xl.workbook.writeplan`) and writing the file without
losing anything (:mod:`followup_xl.xlsx`).

On input errors only the Kontroll table and ``Kontroll_Status`` are written, so that the
workbook itself shows what is wrong; no result and no input changes.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, replace
from pathlib import Path

from followup_xl import contract as c
from followup_xl.domain.engine import compute
from followup_xl.domain.model import Result
from followup_xl.errors import UsageError
from followup_xl.report.text import draft_paragraphs
from followup_xl.workbook.layout import Layout
from followup_xl.workbook.reader import read_followup
from followup_xl.workbook.writeplan import Report, Writes, plan_error_writes, plan_writes, resolve
from followup_xl.xlsx.patch import patch_workbook
from followup_xl.xlsx.safefile import check_not_open, exclusive


@dataclass(frozen=True)
class Outcome:
    result: Result
    layout: Layout
    reports: list[Report]
    written: Path | None  # the file written, None when nothing was written
    kontroll_only: bool = False  # input errors: only Kontroll and Kontroll_Status written

    @property
    def exit_code(self) -> int:
        return 0 if self.result.ok else 1


@contextlib.contextmanager
def bulk():
    """Cyclic garbage collection paused while a workbook is read, computed and written:
    that allocates millions of small objects and no cycles worth collecting, and the
    collector's passes over them would make the cost grow faster than the rows."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute_book(book: Path) -> tuple[Result, Layout]:
    """Read and compute a workbook file without writing anything."""
    with bulk():
        fu, layout, read_msgs = read_followup(Path(book))
        return compute(fu, read_msgs), layout


def check(book: Path) -> Outcome:
    """Validate and compute ``book``; write nothing."""
    result, layout = compute_book(book)
    return Outcome(result, layout, resolve(result.messages, layout), None)


def calc(book: Path, out: Path | None = None, *, backup: bool = False,
         force: bool = False) -> Outcome:
    """Compute ``book`` and write the results into ``out`` (default: in place).

    With input errors only Kontroll and Kontroll_Status are written; inputs are never
    written; the file is replaced atomically. Raises FollowupError for files that cannot
    be read or written.
    """
    book = Path(book)
    target = output_target(book, out, force)
    with exclusive(target), bulk():
        result, layout = compute_book(book)
        result, writes = plan_results(result, layout)
        written = write(book, target, writes, backup)
        return Outcome(result, layout, resolve(result.messages, layout), written,
                       kontroll_only=not result.ok)


def plan_results(result: Result, layout: Layout) -> tuple[Result, Writes]:
    """What a computed result writes into its workbook: every result, Kontroll and the
    Rapport sheet's text; on Fel only Kontroll and Kontroll_Status. The result returned
    also carries the notes on what the workbook lacks of the contract."""
    if not result.ok:
        return result, plan_error_writes(result.messages, layout)
    report = draft_paragraphs(result, result.followup) if layout.table(c.RAPPORT) else None
    writes, notes = plan_writes(result, layout, report)
    return replace(result, messages=result.messages + tuple(notes)), writes


def output_target(book: Path, out: Path | None, force: bool) -> Path:
    """Where a job writes ``book`` (in place, or ``out`` with the same extension), after
    checking that neither is open in Excel or LibreOffice (unless ``force``)."""
    target = Path(out) if out else Path(book)
    check_same_suffix(book, target)
    if not force:
        check_not_open(book)
        if target != Path(book) and target.exists():
            check_not_open(target)
    return target


def check_same_suffix(book: Path, out: Path) -> None:
    """Refuse (UsageError) an output file of another kind than the workbook."""
    if Path(out).suffix.lower() != Path(book).suffix.lower():
        raise UsageError(f"Utfilen '{Path(out).name}' måste ha samma filändelse som "
                         f"arbetsboken ({Path(book).suffix}).")


def write(book: Path, target: Path, writes: Writes, backup: bool) -> Path | None:
    """Carry out a write plan on the file (nothing to write: nothing is touched)."""
    if not writes.cells and not writes.tables:
        return None
    patch_workbook(book, target, writes.cells, writes.tables, backup=backup)
    return target
