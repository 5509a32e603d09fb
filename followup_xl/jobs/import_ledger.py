"""The ledger import: read ledger files, aggregate them through the workbook's mapping,
write Utfall, Manadsbudget (when a ledger has a budget), Omappat and the Import_* names,
and compute the workbook exactly as calc does, in one write through the lossless writer:
the computation reads the imported Utfall and Manadsbudget, as calc will from the file.

This is what ``followup-xl import`` runs. Bad input anywhere (a ledger line, the mapping,
the workbook's own inputs) leaves every cell but Kontroll and Kontroll_Status untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from followup_xl.domain.engine import compute
from followup_xl.domain.model import Level, Message
from followup_xl.errors import UsageError
from followup_xl.jobs.calc import Outcome, bulk, output_target, plan_results, write
from followup_xl.ledger.aggregate import aggregate
from followup_xl.ledger.reading import read_ledger
from followup_xl.workbook.ledger_io import (import_totals, plan_import_writes, read_import_setup,
                                            with_imported)
from followup_xl.workbook.reader import read_from
from followup_xl.workbook.writeplan import resolve
from followup_xl.workbook.xlsx_file import open_workbook
from followup_xl.xlsx.safefile import exclusive


@dataclass(frozen=True)
class ImportOutcome(Outcome):
    total: object = None  # Import_Summa as written (Decimal), None when nothing was
    unmapped: object = None
    files: tuple[str, ...] = ()


def import_ledger(book: Path, ledgers: Sequence[Path], out: Path | None = None, *,
                  fmt: str = "auto", backup: bool = False, force: bool = False
                  ) -> ImportOutcome:
    book = Path(book)
    if not ledgers:
        raise UsageError("Ange minst en huvudboksfil (SIE, CSV eller Excel).")
    target = output_target(book, out, force)
    with exclusive(target), bulk():  # (no cycles worth collecting, as in calc)
        layout, get = open_workbook(book)

        fu, layout, read_msgs = read_from(get, layout)
        setup, setup_msgs = read_import_setup(get, layout, fu)
        messages = list(read_msgs) + setup_msgs
        year = fu.settings.year
        agg = None
        if year is None:
            messages.append(Message(Level.FEL, "Året (Ar) saknas: importen tar huvudbokens "
                                    "belopp för arbetsbokens år.", None))
        elif not any(m.level is Level.FEL for m in setup_msgs):
            extracts = [read_ledger(p, fmt, setup.options) for p in ledgers]
            agg = aggregate(extracts, setup.mapping, year, setup.leaf_rows, setup.accounts)
            messages += agg.messages
        if agg is not None and agg.ok:
            fu, messages = with_imported(fu, agg, messages, layout)
        result = compute(fu, messages)
        if not result.ok:
            result, writes = plan_results(result, layout)
            written = write(book, target, writes, backup)
            return ImportOutcome(result, layout, resolve(result.messages, layout), written,
                                 kontroll_only=True)
        imports, import_notes = plan_import_writes(agg, fu, layout)
        result, writes = plan_results(
            replace(result, messages=result.messages + tuple(import_notes)), layout)
        for sheet, cells in imports.cells.items():
            for cell, value in cells.items():
                writes.put(sheet, cell, value)
        writes.tables.update(imports.tables)
        written = write(book, target, writes, backup)
        total, unmapped = import_totals(agg, fu.settings)
        return ImportOutcome(result, layout, resolve(result.messages, layout), written,
                             total=total, unmapped=unmapped,
                             files=tuple(f.label for f in agg.files))

