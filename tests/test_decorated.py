"""The economist's workbook is sacred: the example, decorated as an economist would
decorate it (a text box, an image, a chart, comments, an x14 data bar, sparklines, a
native formula in a computed cell), computed headlessly. Every decoration comes out
byte-identical, the results are right, and LibreOffice shows them without Python."""

import re
import shutil
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from followup_xl import contract as c
from followup_xl.jobs.calc import calc
from libreoffice import convert, needs_libreoffice
from seed import SEED_PRINTED
from workbooks import EXAMPLE, ROOT, layout_of, load_build_module

build = load_build_module()

FORMULA_ROW = "Köp av tjänster"  # its Avvikelse becomes a native Excel formula


def parts(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def drift_cells():
    """Where the example's Drift rows are, found through the contract."""
    t = layout_of(EXAMPLE).table(c.DRIFT)
    ws = load_workbook(EXAMPLE)[t.sheet]
    rows = {ws[f"{t.column(c.DRIFT_RAD)}{r}"].value: r for r in range(t.first_row,
                                                                       t.last_row + 1)}
    return t, rows


def decorate(wb, sheets):
    t, rows = drift_cells()
    ws = sheets[t.sheet]
    col = {h: t.column(h) for h in (c.DRIFT_RAD, c.DRIFT_BUDGET, c.DRIFT_PROGNOS,
                                    c.DRIFT_AVVIKELSE)}
    first, last = t.first_row, t.last_row
    ws.insert_textbox("O2", "Att göra: stäm av köpt vård med IFO-chefen.",
                      {"width": 260, "height": 60, "fill": {"color": "#FFF2CC"}})
    ws.insert_image("O8", str(ROOT / "docs" / "rapport_exempel.png"),
                    {"x_scale": 0.15, "y_scale": 0.15})
    chart = wb.add_chart({"type": "column"})
    for header, name in ((c.DRIFT_BUDGET, "Budget"), (c.DRIFT_PROGNOS, "Prognos")):
        chart.add_series({
            "name": name,
            "categories": f"='{t.sheet}'!${col[c.DRIFT_RAD]}${first}:${col[c.DRIFT_RAD]}${first + 4}",
            "values": f"='{t.sheet}'!${col[header]}${first}:${col[header]}${first + 4}"})
    ws.insert_chart("O20", chart)
    budget_cell = f"{col[c.DRIFT_BUDGET]}{rows['Personalkostnader']}"
    ws.write_comment(budget_cell, "Enligt KF:s beslut i november.", {"author": "Ekonom"})
    ws.conditional_format(f"{col[c.DRIFT_AVVIKELSE]}{first}:{col[c.DRIFT_AVVIKELSE]}{last}",
                          {"type": "data_bar", "data_bar_2010": True})
    ws.add_sparkline("N8", {"range": f"'{t.sheet}'!{col[c.DRIFT_BUDGET]}{first}:"
                                     f"{col[c.DRIFT_PROGNOS]}{first}"})
    r = rows[FORMULA_ROW]
    ws.write_formula(f"{col[c.DRIFT_AVVIKELSE]}{r}",
                     f"={col[c.DRIFT_PROGNOS]}{r}-{col[c.DRIFT_BUDGET]}{r}", None, 0)


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dekorerad")
    book = build.build_example(folder / "dekorerad.xlsm", decorate=decorate)
    before = parts(book)
    outcome = calc(book)
    assert outcome.written == book and outcome.result.ok
    return book, before, parts(book)


def test_every_decoration_is_byte_identical(computed):
    book, before, after = computed
    assert set(after) == set(before)  # nothing dropped, nothing added
    changed = {n for n in before if before[n] != after[n]}
    decorations = [n for n in before if re.match(
        r"xl/(drawings|charts|media|vbaProject|comments|ctrlProps)|.*\.rels$|.*vml", n)]
    assert len(decorations) >= 8
    assert not changed & set(decorations)
    allowed = re.compile(r"xl/worksheets/sheet\d+\.xml|xl/sharedStrings\.xml|"
                         r"xl/styles\.xml|xl/workbook\.xml|xl/tables/table\d+\.xml")
    assert all(allowed.fullmatch(n) for n in changed), changed


def test_x14_extensions_of_a_changed_sheet_survive(computed):
    book, before, after = computed
    drift_part = next(n for n in before if n.startswith("xl/worksheets/sheet") and
                      b"x14:dataBar" in before[n])
    assert before[drift_part] != after[drift_part]  # results were written into it

    def ext(data):
        return re.search(rb"<extLst>.*</extLst>", data, re.S).group(0)

    assert b"x14:sparklineGroups" in ext(before[drift_part])
    assert ext(after[drift_part]) == ext(before[drift_part])


def test_results_right_and_the_formula_kept(computed):
    book, _, _ = computed
    t, rows = drift_cells()
    values = load_workbook(book, data_only=True)[t.sheet]
    formulas = load_workbook(book)[t.sheet]
    dev = t.column(c.DRIFT_AVVIKELSE)
    for name, (_, _, deviation) in SEED_PRINTED.items():
        assert values[f"{dev}{rows[name]}"].value == deviation, name
    cell = f"{dev}{rows[FORMULA_ROW]}"
    assert formulas[cell].value == (f"={t.column(c.DRIFT_PROGNOS)}{rows[FORMULA_ROW]}-"
                                    f"{t.column(c.DRIFT_BUDGET)}{rows[FORMULA_ROW]}")
    assert values[cell].value == -4000  # the computed value, cached in the formula cell
    wb = load_workbook(book)
    assert wb[t.sheet][f"{t.column(c.DRIFT_BUDGET)}{rows['Personalkostnader']}"].comment


@needs_libreoffice
def test_libreoffice_shows_every_result_without_python(computed, tmp_path):
    """The decorated, computed workbook and the example computed from its committed
    file, opened by LibreOffice: every computed cell shows the value the engine computed,
    formula cells included."""
    book, _, _ = computed
    example = tmp_path / EXAMPLE.name
    shutil.copyfile(EXAMPLE, example)
    assert calc(example).result.ok
    proc = convert([book, example], tmp_path / "ut", "xlsx:Calc MS Excel 2007 XML",
                   tmp_path / "profil")
    for path in (book, example):
        converted = tmp_path / "ut" / (path.stem + ".xlsx")
        assert converted.exists(), proc.stderr
        ours = load_workbook(path, data_only=True)
        theirs = load_workbook(converted, data_only=True)
        layout = layout_of(path)
        cells = [layout.name(n) for n in c.OUTPUT_NAMES]
        t = layout.table(c.DRIFT)
        for r in range(t.first_row, t.last_row + 1):
            for h in (c.DRIFT_BUDGET, c.DRIFT_PROGNOS, c.DRIFT_AVVIKELSE):
                cells.append((t.sheet, f"{t.column(h)}{r}"))
        for sheet, cell in cells:
            want, got = ours[sheet][cell].value, theirs[sheet][cell].value
            assert want is not None, f"{sheet}!{cell} not computed"
            if isinstance(want, (int, float)):
                assert abs(Decimal(str(got)) - Decimal(str(want))) < Decimal("1e-9"), cell
            else:
                assert got == want, f"{sheet}!{cell}"
