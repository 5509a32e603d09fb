"""The fuzzer in CI: mutated copies of the example, computed as a careless or hostile user
would have them -- any value typed into any input cell, contract names pointed at broken
references, tables stretched to the sheet's last row, trees thousands of rows deep.
Whatever is done, `followup-xl calc` exits 0 or 1 without a traceback; on 1 every Fel
names its cell (or name) and nothing but Kontroll is written. (How fast it is belongs to the
benchmarks, not here.)

The number of examples is bounded for CI; set FOLLOWUP_FUZZ_EXAMPLES (default 25) for a
longer run, e.g. ``FOLLOWUP_FUZZ_EXAMPLES=500 ./run-tests tests/test_fuzz.py``.
"""

import datetime as dt
import os
import re
import shutil
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from followup_xl import contract as c
from followup_xl.doors.cli import main
from workbooks import (EXAMPLE, assert_only_kontroll_changed, cell_values, layout_of, parts,
                       set_cells, table_part)

EXAMPLES = int(os.environ.get("FOLLOWUP_FUZZ_EXAMPLES", "25"))
ADDRESS = re.compile(r"!\$?[A-Z]{1,3}\$?\d+")
_base: dict[str, object] = {}


def _input_cells() -> list[tuple[str, str]]:
    """Every cell the economist types into, found through the contract."""
    if "cells" not in _base:
        layout = layout_of(EXAMPLE)
        cells = [layout.name(n) for n in c.INPUT_NAMES if layout.name(n)]
        for table in (c.DRIFT, c.ENGANGSPOSTER, c.ATGARDER, c.ARBETSSTYRKA, c.UTFALL,
                      c.PROGNOSHISTORIK, c.UTFALL_FG):
            t = layout.table(table)
            headers = [h for h in c.TABLES[table] + c.OPTIONAL_COLUMNS.get(table, ())
                       if h not in c.COMPUTED_COLUMNS.get(table, ()) and t.column(h)]
            for r in range(t.first_row, t.last_row + 1):
                cells += [(t.sheet, f"{t.column(h)}{r}") for h in headers]
        _base["cells"] = cells
    return _base["cells"]


numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-10**40, max_value=10**40),
    st.sampled_from([1e27, 1e308, -1e308, 4.9e-324, 0.0, -0.0, 2 ** 53 + 1]))
texts = st.one_of(
    st.sampled_from(["NaN", "INF", "-inf", "1e", "0x10", "1e308", "1 000 000 000 000 000 000",
                     "−3 000", "1,5 %", "31\u00a0417,41", "12-", "--3", "%", "=1/0",
                     "=SUM(A1:A3)", "<b>&amp;</b>", "'\"", "#REF!", "#N/A", "Ja", "Nej",
                     "Kalenderdagar", "Kostnader positiva", "2024-02-30", "13", "0", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.tuples(st.sampled_from(["a", "<&>", "1 000,5", "\"'"]),
              st.integers(min_value=2000, max_value=10000)).map(lambda p: (p[0] * p[1])[:10000]))
dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)).map(
    lambda d: dt.datetime(d.year, d.month, d.day))
values = st.one_of(st.none(), numbers, texts, dates, st.booleans())
BROKEN_TARGETS = ["#REF!$B$6", "'Inställningar'!#REF!", "'Finns inte'!$B$6",
                  "'Inställningar'!$B$6:$B$7", "'Inställningar'!$B:$B", "Ar",
                  "'Inställningar'!$B$1048577", "Drift!$A$1", "'Bob''s'!$A$1", ""]
mutations = st.lists(st.one_of(
    st.tuples(st.just("cell"), st.integers(min_value=0), values),
    st.tuples(st.just("name"), st.sampled_from(c.INPUT_NAMES), st.sampled_from(BROKEN_TARGETS)),
    st.tuples(st.just("stretch"), st.sampled_from([c.DRIFT, c.ATGARDER, c.ARBETSSTYRKA,
                                                   c.UTFALL, c.ENGANGSPOSTER]), st.none()),
    st.tuples(st.just("deep"), st.integers(min_value=50, max_value=3000), st.none())),
    min_size=1, max_size=4)


def _deepen(book: Path, depth: int) -> None:
    """Hang a chain of ``depth`` rows under the result row, each summing into the next,
    the last carrying an amount (openpyxl builds the input; the table is resized)."""
    wb = load_workbook(book, keep_vba=True)
    layout = layout_of(book)
    t = layout.table(c.DRIFT)
    ws = wb[t.sheet]
    table = ws.tables[c.DRIFT]
    rows = range(t.first_row, t.last_row + 1)
    # under the result row; when a mutation took it away (its Ingår i filled), the first row
    root = next((ws[f"{t.column(c.DRIFT_RAD)}{r}"].value for r in rows
                 if ws[f"{t.column(c.DRIFT_INGAR_I)}{r}"].value in (None, "")),
                ws[f"{t.column(c.DRIFT_RAD)}{t.first_row}"].value)
    for k in range(depth):
        r = t.last_row + 1 + k
        ws[f"{t.column(c.DRIFT_RAD)}{r}"] = f"Nivå {k}"
        ws[f"{t.column(c.DRIFT_INGAR_I)}{r}"] = root if k == 0 else f"Nivå {k - 1}"
    last = t.last_row + depth
    ws[f"{t.column(c.DRIFT_BUDGET)}{last}"] = -1
    ws[f"{t.column(c.DRIFT_PROGNOS)}{last}"] = -2
    first, end = table.ref.split(":")
    table.ref = f"{first}:{end.rstrip('0123456789')}{last}"
    wb.save(book)


def _rewrite(book: Path, edit) -> None:
    """Replace parts of the package: ``edit(name, data)`` returns the new bytes."""
    tmp = book.with_suffix(".tmp")
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
    tmp.replace(book)


def _point_name(book: Path, name: str, target: str) -> None:
    def edit(part, data):
        if part != "xl/workbook.xml":
            return data
        return re.sub(rf'(<definedName name="{name}"[^>]*>)[^<]*(</definedName>)'.encode(),
                      lambda m: m.group(1) + target.replace("&", "&amp;").encode() + m.group(2),
                      data)
    _rewrite(book, edit)


def _stretch(book: Path, table: str) -> None:
    name = table_part(book, table)

    def edit(part, data):
        if part != name:
            return data
        return re.sub(rb'ref="([A-Z]+[0-9]+):([A-Z]+)[0-9]+"', rb'ref="\1:\g<2>1048576"',
                      data, count=1)
    _rewrite(book, edit)


@settings(max_examples=EXAMPLES,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations)
def test_mutated_workbooks_exit_cleanly_and_write_only_kontroll(tmp_path, capsys, mutations):
    cells = _input_cells()
    book = tmp_path / "fuzz.xlsm"
    shutil.copyfile(EXAMPLE, book)
    set_cells(book, [(cells[i % len(cells)], value) for kind, i, value in mutations
                     if kind == "cell"])
    for kind, what, _ in mutations:
        if kind == "deep":
            _deepen(book, what)
    for kind, what, target in mutations:
        if kind == "name":
            _point_name(book, what, target)
        elif kind == "stretch":
            _stretch(book, what)
    before_parts, before_cells = parts(book), cell_values(book)

    code = main(["calc", str(book)])
    out, err = capsys.readouterr()
    assert code in (0, 1), (code, err)
    assert "Traceback" not in out + err
    if code == 0:
        load_workbook(book)  # the result opens
        return
    errors = [line for line in err.splitlines() if line.startswith("Fel:")]
    assert errors, err
    for line in errors:
        assert ADDRESS.search(line) or "namnet" in line or "Kontroll" in line \
            or "arbetsbok" in line.lower(), line
    # nothing but Kontroll was written
    if "Bara Kontroll" in out:
        assert_only_kontroll_changed(before_parts, before_cells, book)
    else:  # the file itself could not be read: untouched
        assert parts(book) == before_parts


def test_the_fuzzer_starts_from_a_clean_example_and_reaches_every_input():
    """The baseline: the unmutated example computes without Fel, and the cells the fuzzer
    types into include every input name and every input table's rows."""
    from followup_xl.jobs.calc import check
    assert check(EXAMPLE).result.ok
    layout, cells = layout_of(EXAMPLE), set(_input_cells())
    assert {layout.name(n) for n in c.INPUT_NAMES if layout.name(n)} <= cells
    for table in (c.DRIFT, c.ATGARDER, c.ARBETSSTYRKA):
        t = layout.table(table)
        assert (t.sheet, f"{t.column(c.TABLES[table][0])}{t.first_row}") in cells, table
