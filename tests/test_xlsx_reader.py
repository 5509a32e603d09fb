"""The xlsx library's reader: both ways of reading a sheet agree, and agree with openpyxl.

The fast scan (:mod:`followup_xl.xlsx.sheetscan`) and the lxml stream
(:mod:`followup_xl.xlsx.sheetread`) must give the same values, formulas and last rows for
every worksheet of the shipped workbooks and of the 160 Excel-authored corpus files; the
values must be what openpyxl (the independent oracle) reads, numbers exactly.
"""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from followup_xl.xlsx.book import XlsxBook
from followup_xl.xlsx.cellref import MAX_COL, MAX_ROW
from followup_xl.xlsx.sheetread import CellReader, Rect, read_cells
from followup_xl.xlsx.sheetscan import scan_cells
from workbooks import EXAMPLE, TEMPLATE

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "excel-authored"
FILES = [EXAMPLE, TEMPLATE] + (sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else [])


def both_ways(book: XlsxBook, sheet):
    book.read(sheet, [])  # loads strings and styles
    styles = book._styles
    pkg = book.pkg
    part = pkg.actual(sheet.part)

    def cells():
        return CellReader(book._strings, styles.is_date, styles.count(), book.date1904)

    a, b = Rect(1, 1, MAX_ROW, MAX_COL), Rect(1, 1, MAX_ROW, MAX_COL)
    scanned = scan_cells(pkg.read(part), [a], cells())
    with pkg.stream(part) as stream:
        streamed = read_cells(stream, [b], cells())
    return scanned, a.last, streamed, b.last


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_scan_and_stream_agree(path):
    compared = 0
    with XlsxBook(path) as book:
        for sheet in book.sheets:
            if not sheet.is_worksheet or not book.pkg.has(sheet.part):
                continue
            scanned, last_a, streamed, last_b = both_ways(book, sheet)
            if scanned is None:  # not in Excel's plain form: only the stream reads it
                assert path not in (EXAMPLE, TEMPLATE), f"{sheet.name}: ours are plain"
                continue
            assert scanned.values == streamed.values, sheet.name
            assert scanned.formulas == streamed.formulas, sheet.name
            assert last_a == last_b, sheet.name
            compared += 1
    assert compared or path not in (EXAMPLE, TEMPLATE)


def _same(ours, theirs) -> bool:
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return ours == theirs
    if isinstance(theirs, (int, float)) and isinstance(ours, (int, Decimal)):
        return Decimal(repr(theirs)) == Decimal(ours) if isinstance(theirs, float) \
            else Decimal(theirs) == Decimal(ours)
    if isinstance(theirs, dt.datetime) and isinstance(ours, dt.datetime):
        return abs((theirs - ours).total_seconds()) < 1
    return ours == theirs


@pytest.mark.parametrize("path", [EXAMPLE, TEMPLATE], ids=lambda p: p.name)
def test_values_are_what_openpyxl_reads(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, data_only=True)
    with XlsxBook(path) as book:
        for sheet in book.sheets:
            if not sheet.is_worksheet:
                continue
            got = book.read(sheet, [Rect(1, 1, MAX_ROW, MAX_COL)]).values
            theirs = {c.coordinate: c.value for row in wb[sheet.name].iter_rows()
                      for c in row if c.value is not None}
            assert set(got) == set(theirs), sheet.name
            for ref, value in theirs.items():
                assert _same(got[ref], value), (sheet.name, ref, got[ref], value)


def test_a_sheet_not_in_excels_plain_form_is_streamed_instead(tmp_path):
    """A cell whose attributes come in another order (or a comment in sheetData) is not
    what the scan reads: the scan says so and the stream reads the sheet, same values."""
    import re
    import zipfile
    from workbooks import sheet_part
    name = sheet_part(EXAMPLE, "Drift")
    with zipfile.ZipFile(EXAMPLE) as z:
        xml = z.read(name)
    odd = re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', xml, count=1)
    assert odd != xml
    for changed in (odd, xml.replace(b"<sheetData>", b"<sheetData><!-- x -->", 1)):
        out = tmp_path / "bok.xlsm"
        with zipfile.ZipFile(EXAMPLE) as zin, zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info, changed if info.filename == name else zin.read(info))
        with XlsxBook(out) as book, XlsxBook(EXAMPLE) as original:
            sheet = next(s for s in book.sheets if s.name == "Drift")
            book.read(sheet, [])
            styles = book._styles
            cells = CellReader(book._strings, styles.is_date, styles.count(), book.date1904)
            assert scan_cells(book.pkg.read(book.pkg.actual(sheet.part)),
                              [Rect(1, 1, MAX_ROW, MAX_COL)], cells) is None
            whole = [Rect(1, 1, MAX_ROW, MAX_COL)]
            assert book.read(sheet, whole).values == original.read(
                next(s for s in original.sheets if s.name == "Drift"),
                [Rect(1, 1, MAX_ROW, MAX_COL)]).values


def _example_with_drift(tmp_path: Path, change) -> Path:
    """The example with its Drift sheet's XML passed through ``change``."""
    import zipfile
    from workbooks import sheet_part
    name = sheet_part(EXAMPLE, "Drift")
    out = tmp_path / "bok.xlsm"
    with zipfile.ZipFile(EXAMPLE) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == name else data)
    return out


def _drift(book: XlsxBook):
    return next(s for s in book.sheets if s.name == "Drift")


def test_a_reference_in_letters_that_are_not_ascii_is_refused_not_misplaced(tmp_path):
    """'Ä1' is no cell reference (parse_ref says so); the stream once read it as EB1."""
    from followup_xl.errors import FollowupError
    path = _example_with_drift(tmp_path, lambda x: x.replace(
        b"</sheetData>", '<row r="900"><c r="Ä900"><v>1</v></c></row></sheetData>'.encode()))
    with XlsxBook(path) as book, pytest.raises(FollowupError, match="Ä900"):
        book.read(_drift(book), [Rect(1, 1, MAX_ROW, MAX_COL)])


def test_an_inline_string_cell_with_only_a_v_reads_alike_both_ways(tmp_path):
    """An inline string's text is in its <is>: a stray <v> in such a cell is no value,
    for the scan as for the stream."""
    path = _example_with_drift(tmp_path, lambda x: x.replace(
        b"</sheetData>", b'<row r="900"><c r="B900" t="inlineStr"><v>x</v></c></row>'
        b"</sheetData>"))
    with XlsxBook(path) as book:
        scanned, last_a, streamed, last_b = both_ways(book, _drift(book))
    assert scanned is not None and scanned.values == streamed.values
    assert "B900" not in streamed.values and (last_a, last_b) != (0, 0)
