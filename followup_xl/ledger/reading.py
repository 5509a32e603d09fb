"""Which reader a ledger file belongs to, and reading it: the one entry the jobs call."""

from __future__ import annotations

from pathlib import Path

from followup_xl.errors import os_reason
from followup_xl.ledger.csv_export import CsvReader
from followup_xl.ledger.records import Extract, ReadOptions, Reader, file_info, refused
from followup_xl.ledger.sie import SieReader
from followup_xl.ledger.xlsx_export import XlsxReader

READERS: dict[str, Reader] = {"sie": SieReader(), "xlsx": XlsxReader(), "csv": CsvReader()}


def reader_for(name: str, head: bytes, fmt: str = "auto") -> Reader | None:
    """The reader for a file: the one asked for, or the first that claims it."""
    if fmt != "auto":
        return READERS[fmt]
    for reader in READERS.values():
        if reader.identify(name, head):
            return reader
    return None


def read_ledger(path: Path, fmt: str = "auto", options: ReadOptions | None = None
                ) -> Extract:
    """An Extract of one ledger file; problems (even an unreadable file) are messages."""
    path = Path(path)
    options = options or ReadOptions()
    try:
        data = path.read_bytes()
    except OSError as e:
        return refused(file_info(path.name, b"", "?"), f"Filen '{path.name}' kan inte läsas "
                       f"({os_reason(e)}).")
    reader = reader_for(path.name, data[:4096], fmt)
    if reader is None:
        return refused(file_info(path.name, data, "?"), f"Filen '{path.name}' är varken en "
                       "SIE-fil, en CSV-fil eller en Excel-fil som kan läsas.")
    return reader.extract(path.name, data, options)
