"""The reader's fast paths give exactly what its general paths give.

Reading a file, the reader takes a table's columns at once (``FileValues.column``), the
scan decides the common cells itself and places them with bands of rows, and a plain
int or Decimal skips ``to_decimal``'s general path. Live Excel is read cell by cell
through ``get(sheet, cell)``, the stream tests every rectangle, and ``to_decimal`` sees
every number: both ways must give the same follow-up, the same messages in the same
order, the same held cells, and the same values and last rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup_xl import contract as c
from followup_xl.domain import swedish
from followup_xl.domain.swedish import plain_decimal, to_decimal
from followup_xl.workbook.reader import read_from
from followup_xl.workbook.xlsx_file import open_workbook
from followup_xl.xlsx.book import XlsxBook
from followup_xl.xlsx.sheetread import CellReader, Rect, read_cells
from followup_xl.xlsx.sheetscan import scan_cells
from workbooks import EXAMPLE, TEMPLATE, copy_of, layout_of, set_cells


def _both_ways(path):
    """(follow-up, messages, layout) read with the file's columns, and cell by cell."""
    layout, values = open_workbook(path)
    fast = read_from(values, layout)
    layout, values = open_workbook(path)
    slow = read_from(lambda sheet, cell: values(sheet, cell), layout)  # no .column
    return fast, slow


def _same(fast, slow):
    (fu_a, layout_a, msgs_a), (fu_b, layout_b, msgs_b) = fast, slow
    assert fu_a == fu_b
    assert msgs_a == msgs_b
    assert list(layout_a.held.items()) == list(layout_b.held.items())
    assert {k: t.rows for k, t in layout_a.tables.items()} == \
        {k: t.rows for k, t in layout_b.tables.items()}
    for a, b in zip(fu_a.rows, fu_b.rows):
        for x, y in ((a.budget, b.budget), (a.forecast, b.forecast)):
            assert type(x) is type(y) and (x is None or x.as_tuple() == y.as_tuple())


@pytest.mark.parametrize("path", [EXAMPLE, TEMPLATE], ids=lambda p: p.name)
def test_columns_at_once_read_what_cell_by_cell_reads(path):
    _same(*_both_ways(path))


def test_bad_input_gives_the_same_messages_both_ways(tmp_path):
    """Text, error values, blanks, dates, floats and huge numbers in the tables: the same
    Fel, in the same order, whichever way the cells are read."""
    path = copy_of(EXAMPLE, tmp_path)
    drift = layout_of(path).table(c.DRIFT)
    odd = ["#REF!", "   ", "tolv", 1.5, dt.datetime(2024, 5, 1), "1 000,5", 10**16, True,
           " #N/A ", "", 0.1 + 0.2, -7, Decimal("2.50"), 123456789012345678]
    changes = []
    for i, value in enumerate(odd):
        r = drift.first_row + i
        for header in (c.DRIFT_BUDGET, c.DRIFT_PROGNOS, c.DRIFT_RAD, c.DRIFT_SUMMERAS_EJ):
            changes.append(((drift.sheet, f"{drift.column(header)}{r}"), value))
    blank = drift.first_row + len(odd) + 1  # a row of blank text only: skipped
    changes += [((drift.sheet, f"{drift.column(h)}{blank}"), " ")
                for h in (c.DRIFT_RAD, c.DRIFT_BUDGET)]
    set_cells(path, changes)
    fast, slow = _both_ways(path)
    assert any("felvärdet" in m.text for m in fast[2])
    _same(fast, slow)


ints = st.one_of(st.integers(min_value=-10**16, max_value=10**16),
                 st.sampled_from([0, 10**15, -10**15, 10**15 - 1, 1 - 10**15]))
decimals = st.builds(lambda digits, exponent, sign: Decimal((sign, digits, exponent)),
                     st.lists(st.integers(0, 9), min_size=1, max_size=18).map(tuple),
                     st.integers(-16, 3), st.integers(0, 1))


floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.integers(-10**16, 10**16).map(float))


@settings(max_examples=500)
@given(st.one_of(ints, decimals, floats))
def test_the_plain_shortcut_is_what_to_decimals_general_path_returns(value):
    got = plain_decimal(value)
    if got is None:
        assert not (type(value) is int and abs(value) < 10**15)
        return
    want = swedish._to_decimal(value, True)
    assert got.as_tuple() == want.as_tuple(), value
    assert to_decimal(value).as_tuple() == got.as_tuple()


@pytest.fixture(scope="module")
def drift_sheet():
    with XlsxBook(EXAMPLE) as book:
        sheet = next(s for s in book.sheets if s.name == c.DRIFT)
        book.read(sheet, [])  # loads strings and styles
        styles = book._styles
        part = book.pkg.actual(sheet.part)
        yield (book.pkg.read(part), lambda: book.pkg.stream(part),
               lambda: CellReader(book._strings, styles.is_date, styles.count(), book.date1904))


rects = st.builds(lambda r, h, col, w, keep: (r, col, r + h, col + w, keep),
                  st.integers(1, 60), st.integers(0, 40), st.integers(1, 20),
                  st.integers(0, 6), st.booleans())


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(rects, min_size=1, max_size=5))
def test_the_scan_places_cells_in_any_rectangles_as_the_stream_does(drift_sheet, wanted):
    data, stream, cells = drift_sheet
    a = [Rect(r1, c1, r2, c2, keep=keep) for r1, c1, r2, c2, keep in wanted]
    b = [Rect(r1, c1, r2, c2, keep=keep) for r1, c1, r2, c2, keep in wanted]
    scanned = scan_cells(data, a, cells())
    with stream() as s:
        streamed = read_cells(s, b, cells())
    assert scanned is not None
    assert scanned.values == streamed.values
    assert scanned.formulas == streamed.formulas
    assert [x.last for x in a] == [x.last for x in b]


@pytest.mark.parametrize("piece", [1, 200, 5000])
@pytest.mark.parametrize("path", [EXAMPLE, TEMPLATE], ids=lambda p: p.name)
def test_the_scan_in_small_pieces_reads_every_sheet_as_the_stream(path, piece, monkeypatch):
    """However the sheet is cut into pieces (after a row), the scan reads what the stream
    reads."""
    from followup_xl.xlsx import sheetscan
    monkeypatch.setattr(sheetscan, "_PIECE", piece)
    with XlsxBook(path) as book:
        for sheet in book.sheets:
            if not sheet.is_worksheet:
                continue
            book.read(sheet, [])
            styles = book._styles
            part = book.pkg.actual(sheet.part)

            def cells(styles=styles):
                return CellReader(book._strings, styles.is_date, styles.count(), book.date1904)

            a, b = [Rect(1, 1, 10**6, 100)], [Rect(1, 1, 10**6, 100)]
            scanned = scan_cells(book.pkg.read(part), a, cells())
            with book.pkg.stream(part) as s:
                streamed = read_cells(s, b, cells())
            assert scanned is not None and scanned.values == streamed.values, sheet.name
            assert a[0].last == b[0].last
