"""The report job: read and compute a workbook file (without writing to it) and write
the Word draft to the nämnd beside it, or say which cells stop it."""

from __future__ import annotations

from pathlib import Path

from followup_xl.errors import UsageError
from followup_xl.jobs.calc import Outcome, check
from followup_xl.report.docx import check_docx, write_docx
from followup_xl.xlsx.safefile import check_not_open


def report_path(book: Path) -> Path:
    """The default report file: 'exempel.xlsm' -> 'exempel rapport.docx' beside it."""
    return Path(book).with_name(f"{Path(book).stem} rapport.docx")


def write_report(book: Path, out: Path | None = None, *, force: bool = False) -> Outcome:
    """Compute ``book`` and write its report to ``out`` (default: beside it). When the
    follow-up has errors nothing is written and the outcome lists them with their cells.
    Refuses (FollowupError) when an earlier ``out`` is open in Word or LibreOffice,
    unless ``force``."""
    book = Path(book)
    out = Path(out) if out else report_path(book)
    if out.resolve() == book.resolve():
        raise UsageError("Rapporten kan inte skrivas över arbetsboken. Ange en annan fil.")
    check_docx(out)  # before the computation: a wrong name is said at once
    if not force and out.exists():
        check_not_open(out)
    outcome = check(book)
    if not outcome.result.ok:
        return outcome
    written = write_docx(outcome.result, outcome.result.followup, out)
    return Outcome(outcome.result, outcome.layout, outcome.reports, written)
