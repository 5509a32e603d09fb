"""Writing into every Excel-authored workbook of the shared corpus loses nothing.

For each workbook: write a number and a text into existing cells, a text into a new cell of an
existing row, a date and a long quotient into a new row, and a new cached value into a formula
cell. Then check, independently of the writer's own code:

* every zip entry that was not meant to change is byte-identical (decompressed), in the same
  order and with the same compression;
* in the changed worksheet every untouched row, and every untouched cell of a touched row,
  keeps its exact bytes, and nothing outside <sheetData> changes except <dimension>;
* sharedStrings.xml / styles.xml / workbook.xml only grew or changed where expected;
* openpyxl reads the new values (and the kept formulas) back;
* LibreOffice, as an independent client, opens every written file and shows the values.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import shutil
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from followup_xl.errors import FollowupError
from followup_xl.xlsx.patch import PatchReport, patch_workbook
from libreoffice import convert, needs_libreoffice

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "excel-authored"
FILES = sorted(p.name for p in CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(
    not FILES, reason="the shared corpus is absent (expected at ../shared/corpus/excel-authored)")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NUMBER = Decimal("-7.8")
TEXT = "Text åäö & <x>"
NEW_TEXT = "Ny text i befintlig rad"
DATE = dt.date(2024, 5, 31)
QUOTIENT = Decimal(1) / Decimal("54.462")  # 0.0183614263155961955...: rounded to 17 digits
FORMULA_NUMBER = Decimal("12345.5")
FORMULA_TEXT = "Formelsvar"


@dataclass
class Case:
    name: str
    original: Path
    patched: Path
    sheet: str
    part: str
    cells: dict = field(default_factory=dict)
    formula_ref: str | None = None
    formula_before: object = None
    plain_refs: tuple = ()
    report: PatchReport | None = None
    error: Exception | None = None


# --------------------------------------------------------------------------------------
# independent helpers (deliberately not the writer's code)
# --------------------------------------------------------------------------------------
def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> worksheet part name, from workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as zf:
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): posixpath.normpath(posixpath.join("xl", r.get("Target")))
                   if not r.get("Target").startswith("/") else r.get("Target")[1:] for r in rels}
        wb = etree.fromstring(zf.read("xl/workbook.xml"))
        return {s.get("name"): targets[s.get(f"{{{RELNS}}}id")]
                for s in wb.iter(f"{{{MAIN}}}sheet")}


ROW_RE = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
CELL_RE = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)


def split_sheet(xml: bytes):
    s = xml.index(b"<sheetData")
    if b"</sheetData>" in xml:
        e = xml.rindex(b"</sheetData>") + len(b"</sheetData>")
    else:
        e = xml.index(b"/>", s) + 2
    head, body, tail = xml[:s], xml[s:e], xml[e:]
    rows = {}
    for m in ROW_RE.finditer(body):
        r = int(re.search(rb'\br="(\d+)"', m.group()).group(1))
        rows[r] = m.group()
    return head, rows, tail


def cells_of(row: bytes) -> dict[str, bytes]:
    return {re.search(rb'\br="([A-Z]+\d+)"', m.group()).group(1).decode(): m.group()
            for m in CELL_RE.finditer(row)}


def choose_cells(path: Path) -> tuple[str, dict, str | None, object, tuple]:
    """Pick what to write, using openpyxl (the oracle) on the original file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
        wbv = openpyxl.load_workbook(path, data_only=True)
    ws = next(w for w in wb.worksheets if isinstance(w, Worksheet))
    part = sheet_parts(path)[ws.title]
    with zipfile.ZipFile(path) as zf:
        raw = zf.read(part)
    vm_refs = {m.decode() for m in re.findall(rb'<c r="([A-Z]+\d+)"[^>]*\bvm="', raw)}
    header_refs = set()
    for table in ws.tables.values():
        if table.headerRowCount != 0:
            c1, r, c2, _ = range_boundaries(table.ref)
            header_refs |= {f"{get_column_letter(c)}{r}" for c in range(c1, c2 + 1)}
    plain, formula, formula_before = [], None, None
    for (r, c), cell in sorted(ws._cells.items()):
        if cell.value is None or isinstance(cell, MergedCell):
            continue
        ref = cell.coordinate
        if ref in vm_refs or ref in header_refs:
            continue
        if cell.data_type == "f":
            if formula is None:
                formula, formula_before = ref, cell.value
            continue
        plain.append(ref)
    rows_in_xml = sorted({r for (r, _c) in ws._cells})
    cells: dict = {}
    if plain:
        cells[plain[0]] = NUMBER
    if len(plain) > 1:
        cells[plain[1]] = TEXT
    # a new cell in an existing row: after the row's last cell (or in the first free column)
    if rows_in_xml:
        r0 = rows_in_xml[0]
        used = {c for (r, c) in ws._cells if r == r0}
        col = max(used) + 1 if max(used) < 16384 else min(set(range(1, 16385)) - used)
        cells[f"{get_column_letter(col)}{r0}"] = NEW_TEXT
    last = max(rows_in_xml, default=0)
    new_row = last + 2 if last + 2 <= 1048576 else min(set(range(1, 1048577)) - set(rows_in_xml))
    cells[f"A{new_row}"] = DATE
    cells[f"B{new_row}"] = QUOTIENT
    if formula:
        cached = wbv[ws.title][formula].value
        cells[formula] = FORMULA_TEXT if isinstance(cached, str) else FORMULA_NUMBER
    return ws.title, cells, formula, formula_before, tuple(plain[:2])


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Case]:
    out = tmp_path_factory.mktemp("corpus")
    cases = {}
    for name in FILES:
        original = CORPUS / name
        patched = out / name
        shutil.copy(original, patched)
        sheet, cells, fref, fbefore, plain = choose_cells(original)
        case = Case(name, original, patched, sheet, sheet_parts(original)[sheet], cells, fref,
                    fbefore, plain)
        try:
            case.report = patch_workbook(patched, patched, {sheet: cells})
        except FollowupError as exc:
            case.error = exc
        cases[name] = case
    return cases


def entries(path: Path) -> list[tuple[str, int, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.compress_type, zf.read(i.filename)) for i in zf.infolist()]


# --------------------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FILES)
def test_corpus_file_is_written_losslessly(corpus, name):
    case = corpus[name]
    if case.error is not None:
        # a refusal must be clean: a Swedish sentence naming the file, and the file untouched
        assert name in str(case.error)
        assert case.patched.read_bytes() == case.original.read_bytes()
        pytest.skip(f"refused: {case.error}")
    report = case.report
    before, after = entries(case.original), entries(case.patched)
    # 1. same entries, same order, same compression; extra entries only a new sharedStrings
    assert [(n, c) for n, c, _ in after[: len(before)]] == [(n, c) for n, c, _ in before]
    assert [n for n, _, _ in after[len(before):]] == list(report.added_parts)
    assert set(report.added_parts) <= {"xl/sharedStrings.xml"}
    changed = {n for (n, _, a), (_, _, b) in zip(before, after) if a != b}
    assert changed == set(report.changed_parts)
    allowed = {case.part, "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml"}
    if report.added_parts:
        allowed |= {"[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
    assert changed <= allowed, changed - allowed
    assert case.part in changed
    old, new = dict((n, d) for n, _, d in before), dict((n, d) for n, _, d in after)

    # 2. the worksheet: untouched rows and cells byte-identical
    h0, rows0, t0 = split_sheet(old[case.part])
    h1, rows1, t1 = split_sheet(new[case.part])
    dim = re.compile(rb"<dimension [^>]*/>")
    assert dim.sub(b"", h0) == dim.sub(b"", h1)
    assert t0 == t1
    touched_rows = {coordinate_to_tuple(ref)[0] for ref in case.cells}
    for r, row in rows0.items():
        if r not in touched_rows:
            assert rows1[r] == row, f"row {r} changed"
        else:
            c0, c1 = cells_of(row), cells_of(rows1[r])
            for ref, cell in c0.items():
                if ref not in case.cells:
                    assert c1[ref] == cell, f"cell {ref} changed"
    assert set(rows1) == set(rows0) | touched_rows

    # 3. the other changed parts only grew where expected
    if "xl/sharedStrings.xml" in changed:
        o, n = old["xl/sharedStrings.xml"], new["xl/sharedStrings.xml"]
        o_inner = o[o.index(b">", o.index(b"<sst")) + 1 : o.rindex(b"</sst>")]
        n_inner = n[n.index(b">", n.index(b"<sst")) + 1 : n.rindex(b"</sst>")]
        assert n_inner.startswith(o_inner) and len(n_inner) > len(o_inner)
        assert o[: o.index(b"<sst")] == n[: n.index(b"<sst")]
    if "xl/styles.xml" in changed:
        o, n = old["xl/styles.xml"], new["xl/styles.xml"]
        assert report.styles_added >= 1
        cx = re.compile(rb"<cellXfs[^>]*>(.*?)</cellXfs>", re.S)
        assert cx.search(n).group(1).startswith(cx.search(o).group(1))
        assert cx.sub(b"", o) == cx.sub(b"", n)
    if "xl/workbook.xml" in changed:
        calc = re.compile(rb"<calcPr\b[^>]*/>")
        assert calc.sub(b"", old["xl/workbook.xml"]) == calc.sub(b"", new["xl/workbook.xml"])
        assert b'fullCalcOnLoad="1"' in new["xl/workbook.xml"]

    # 4. openpyxl reads the values back and the formula is still there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(case.patched)
        wbv = openpyxl.load_workbook(case.patched, data_only=True)
    ws, wsv = wb[case.sheet], wbv[case.sheet]
    for ref, value in case.cells.items():
        if ref == case.formula_ref:
            got = wsv[ref].value
            assert got == (float(value) if isinstance(value, Decimal) else value)
            kept = ws[ref].value
            if isinstance(case.formula_before, ArrayFormula):
                assert isinstance(kept, ArrayFormula) and kept.text == case.formula_before.text
            else:
                assert kept == case.formula_before
        elif isinstance(value, dt.date):
            assert ws[ref].value == dt.datetime.combine(value, dt.time())
            assert ws[ref].is_date
        elif isinstance(value, Decimal):
            got = ws[ref].value
            if ws[ref].is_date:  # a number written into a date-formatted cell keeps the format
                got = to_excel(got)
            assert got == float(value)
        else:
            assert ws[ref].value == value
    r_new = coordinate_to_tuple(next(r for r, v in case.cells.items() if v is QUOTIENT))
    assert b"<v>0.018361426315596196</v>" in rows1[r_new[0]]


def test_corpus_refusals_are_counted_and_explained(corpus):
    refused = {n: c.error for n, c in corpus.items() if c.error is not None}
    written = len(corpus) - len(refused)
    print(f"\ncorpus: {written} of {len(corpus)} workbooks written, {len(refused)} refused")
    for name, err in refused.items():
        print(f"  refused {name}: {err}")
        assert isinstance(err, FollowupError) and name in str(err) and str(err).endswith(".")
    assert len(corpus) == len(FILES)
    assert not refused, "every corpus workbook should be writable"


def test_recalc_flag_follows_the_formulas(corpus):
    """None: set fullCalcOnLoad iff a formula that was not written remains."""
    for case in corpus.values():
        if case.error is not None:
            continue
        with zipfile.ZipFile(case.original) as zf:
            n_formulas = sum(len(re.findall(rb"<f[ >/]", zf.read(p))) for p in zf.namelist()
                             if p.startswith("xl/worksheets/") and p.endswith(".xml"))
            already = re.search(rb'fullCalcOnLoad="(1|true)"', zf.read("xl/workbook.xml")) is not None
        others = n_formulas - (1 if case.formula_ref else 0)
        assert case.report.recalc_on_open == (others > 0 or already), case.name


# --------------------------------------------------------------------------------------
# LibreOffice as an independent client
# --------------------------------------------------------------------------------------
# Files LibreOffice itself cannot convert in reasonable time, written or not.
LIBREOFFICE_SKIP = {
    "comment03.xlsx": "LibreOffice 7.4 needs about 6 minutes to convert it even unmodified "
                      "(its dimension is A1:XFD1048576, with a comment on XFD1048576)",
}


@needs_libreoffice
def test_libreoffice_opens_every_written_workbook(corpus, tmp_path_factory):
    written = [c for c in corpus.values() if c.error is None and c.name not in LIBREOFFICE_SKIP]
    for name, why in LIBREOFFICE_SKIP.items():
        print(f"\nnot converted with LibreOffice: {name}: {why}")
    src_dir = tmp_path_factory.mktemp("lo-in")
    out_dir = tmp_path_factory.mktemp("lo-out")
    profile = tmp_path_factory.mktemp("lo-profile")
    # distinct input names (LibreOffice names the output after the input's stem)
    inputs = []
    for c in written:
        p = src_dir / c.name
        shutil.copy(c.patched, p)
        inputs.append(p)
    proc = convert(inputs, out_dir, "xlsx:Calc MS Excel 2007 XML", profile)
    missing = []
    wrong = []
    for c in written:
        conv = out_dir / (Path(c.name).stem + ".xlsx")
        if not conv.exists():
            missing.append(c.name)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ws = openpyxl.load_workbook(conv, data_only=True)[c.sheet]
        for ref, value in c.cells.items():
            if ref == c.formula_ref:
                continue  # LibreOffice may recalculate formulas
            got = ws[ref].value
            if isinstance(value, dt.date):
                ok = got == dt.datetime.combine(value, dt.time())
            elif isinstance(value, Decimal):
                if isinstance(got, dt.datetime):  # a number in a date-formatted cell
                    got = to_excel(got)
                ok = isinstance(got, (int, float)) and abs(got - float(value)) <= 1e-12 * max(
                    1, abs(float(value)))
            else:
                ok = got == value
            if not ok:
                wrong.append(f"{c.name}!{ref}: {got!r} != {value!r}")
    assert not missing, f"LibreOffice did not convert {missing}\n{proc.stdout}\n{proc.stderr}"
    assert not wrong, "\n".join(wrong)
