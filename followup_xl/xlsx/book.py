"""Reading a workbook file: its sheets, defined names, tables and the cells asked for.

:class:`XlsxBook` is the read side of the library, what a program needs to find its
cells and their values without loading the whole workbook: ``workbook.xml`` (sheets,
defined names, date system), the table parts, and -- only for the worksheets asked about
-- the cells inside given rectangles, scanned (:mod:`sheetscan`) or streamed
(:mod:`sheetread`). Shared strings and cell formats are read once, when the first sheet
is. Every problem with the package is a :class:`~followup_xl.errors.FollowupError` naming
the file and the part.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from followup_xl.errors import FollowupError
from followup_xl.xlsx.package import Package, open_regular
from followup_xl.xlsx.sharedstrings import read_shared_strings
from followup_xl.xlsx.sheetread import BadCell, CellReader, Rect, SheetValues, read_cells
from followup_xl.xlsx.sheetscan import scan_cells
from followup_xl.xlsx.styles import Styles
from followup_xl.xlsx.tables import load_tables
from followup_xl.xlsx.workbookpart import DefinedName, Sheet, WorkbookPart
from followup_xl.xlsx.xmlscan import Malformed

__all__ = ["BookTable", "DefinedName", "Rect", "Sheet", "SheetValues", "XlsxBook"]

# Sheets up to this size (unpacked) are read into memory and scanned (sheetscan); larger
# ones are streamed, so memory stays bounded whatever the sheet.
SCAN_MAX = 64 * 1024 * 1024


@dataclass(frozen=True)
class BookTable:
    """An Excel Table as the reader needs it."""

    name: str
    sheet: str  # the sheet's name ('' when no worksheet points at the table part)
    ref: tuple[int, int, int, int]
    header_rows: int
    totals_rows: int
    headers: tuple[str, ...]
    part: str


class XlsxBook:
    """A workbook file opened for reading (use as a context manager)."""

    def __init__(self, path: Path):
        path = Path(path)
        self.label = path.name
        self._fp = open_regular(path, self.label)
        try:
            self.pkg = Package(path, self._fp)
            self.wb = WorkbookPart(self.pkg)
        except BaseException:
            self.close()
            raise
        self._strings: list[str] | None = None
        self._styles: Styles | None = None

    def close(self) -> None:
        pkg = getattr(self, "pkg", None)
        if pkg is not None:
            pkg.close()
        self._fp.close()

    def __enter__(self) -> "XlsxBook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the workbook part ---------------------------------------------------------------
    @property
    def sheets(self) -> list[Sheet]:
        return self.wb.sheets

    @property
    def defined_names(self) -> list[DefinedName]:
        return self.wb.defined_names

    @property
    def date1904(self) -> bool:
        return self.wb.date1904

    @property
    def macro_enabled(self) -> bool:
        return self.wb.macro_enabled

    def tables(self) -> list[BookTable]:
        names = {self.pkg.actual(s.part).lower(): s.name for s in self.wb.sheets
                 if s.part and self.pkg.has(s.part)}
        return [BookTable(t.name or t.display, names.get((t.sheet_part or "").lower(), ""),
                          t.ref, t.header_rows, t.totals_rows, tuple(t.headers), t.part)
                for t in load_tables(self.wb)]

    # -- cells ---------------------------------------------------------------------------
    def read(self, sheet: Sheet, rects: list[Rect]) -> SheetValues:
        """The values of the cells of ``sheet`` inside ``rects`` (each rectangle's ``last``
        is set to its last row with a value)."""
        pkg = self.pkg
        if not sheet.is_worksheet:
            raise FollowupError(f"Bladet '{sheet.name}' i arbetsboken '{self.label}' är inget "
                                "kalkylblad med celler.")
        if not sheet.part or not pkg.has(sheet.part):
            raise pkg.bad(f"bladet '{sheet.name}' saknar sin del i paketet")
        if self._strings is None:
            self._strings = read_shared_strings(pkg, self.wb.sst_part)
            self._styles = Styles(pkg, self.wb.styles_part)
        part = pkg.actual(sheet.part)
        styles = self._styles
        cells = CellReader(self._strings, styles.is_date, styles.count(), self.wb.date1904)
        try:
            if not rects:
                return SheetValues()
            if pkg.info(part).file_size <= SCAN_MAX:  # in memory: scanned if in Excel's form
                got = scan_cells(pkg.read(part), rects, cells)
                if got is not None:
                    return got  # (a scan that gives up has set no rectangle's last row)
            with pkg.stream(part) as stream:
                return read_cells(stream, rects, cells)
        except Malformed as exc:
            raise pkg.bad(f"bladet '{sheet.name}' (delen '{part}') är inte giltig XML ({exc})") \
                from None
        except BadCell as exc:
            raise pkg.bad(f"på bladet '{sheet.name}' {exc}") from None
        except (zlib.error, zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
            raise pkg.bad(f"delen '{part}' är skadad eller packad på ett sätt som programmet "
                          "inte kan packa upp") from None
