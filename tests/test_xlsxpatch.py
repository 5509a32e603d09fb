"""Unit tests of the lossless cell writer on small workbooks made here."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl.errors import FollowupError
from followup_xl.xlsx.cellvalue import xml_number
from followup_xl.xlsx.patch import patch_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part).decode("utf-8")


def cell_xml(path: Path, ref: str, part: str = "xl/worksheets/sheet1.xml") -> str:
    m = re.search(r'<(?:\w+:)?c r="%s"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)' % ref, sheet_xml(path, part), re.S)
    assert m, f"cell {ref} not found"
    return m.group()


def changed_parts(a: Path, b: Path) -> set[str]:
    pa, pb = parts(a), parts(b)
    return {n for n in set(pa) | set(pb) if pa.get(n) != pb.get(n)}


def raw_entries(path: Path) -> dict[str, bytes]:
    """Local header + compressed data of each entry, as stored (no decompression)."""
    out = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset)
            head = fh.read(30)
            n, m = struct.unpack("<HH", head[26:30])
            out[info.filename] = head + fh.read(n + m + info.compress_size)
    return out


def make_xlsxwriter(path: Path, build, **options) -> Path:
    wb = xlsxwriter.Workbook(str(path), options)
    build(wb)
    wb.close()
    return path


CT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
)
WB_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES_MIN = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
    '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
    'applyFont="1"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/><xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1" applyFont="1"><alignment horizontal="right"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def make_package(path: Path, sheets: dict[str, str], *, sst: str | None = None,
                 styles: str | None = STYLES_MIN, workbook_pr: str = "", calc_pr: str = "",
                 extra: dict[str, bytes] | None = None, ct_extra: str = "", sheet_rels: dict | None = None,
                 prefix: str = "", compression=zipfile.ZIP_DEFLATED) -> Path:
    """A minimal hand-made package: sheets = {name: <sheetData> inner XML or a full part}."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    files: dict[str, bytes] = {}
    ct = CT_HEAD + f'<Override PartName="/xl/workbook.xml" ContentType="{WB_CT}"/>'
    wb_rels = ""
    sheet_entries = ""
    for i, (name, body) in enumerate(sheets.items(), 1):
        ct += f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{WS_CT}"/>'
        wb_rels += (f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>')
        sheet_entries += f'<{p}sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        if body.lstrip().startswith("<?xml") or body.lstrip().startswith("<worksheet") \
                or body.lstrip().startswith(f"<{p}worksheet"):
            files[f"xl/worksheets/sheet{i}.xml"] = body.encode()
        else:
            files[f"xl/worksheets/sheet{i}.xml"] = (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<{p}worksheet {xmlns} xmlns:r="{REL}">{body}</{p}worksheet>'
            ).encode()
        if sheet_rels and name in sheet_rels:
            files[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = sheet_rels[name].encode()
    n = len(sheets)
    if styles is not None:
        n += 1
        wb_rels += f'<Relationship Id="rId{n}" Type="{REL}/styles" Target="styles.xml"/>'
        ct += ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.styles+xml"/>')
        files["xl/styles.xml"] = styles.encode()
    if sst is not None:
        n += 1
        wb_rels += f'<Relationship Id="rId{n}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        ct += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/>')
        files["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{sst}').encode()
    ct += ct_extra + "</Types>"
    files = {
        "[Content_Types].xml": ct.encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}workbook {xmlns} '
            f'xmlns:r="{REL}">{workbook_pr}<{p}sheets>{sheet_entries}</{p}sheets>{calc_pr}'
            f'</{p}workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            f'"http://schemas.openxmlformats.org/package/2006/relationships">{wb_rels}'
            '</Relationships>').encode(),
        **files,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def sd(rows: str) -> str:
    return f"<sheetData>{rows}</sheetData>"


# --------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [
    (Decimal("-7.8"), "-7.8"),
    (Decimal("1234567.50"), "1234567.5"),
    (Decimal("1E+3"), "1000"),
    (Decimal("-0.000"), "0"),
    (Decimal("0.00001"), "0.00001"),
    (Decimal("1") / Decimal("54.462"), "0.018361426315596196"),
    (Decimal("2") / Decimal("3"), "0.66666666666666667"),
    (0.1, "0.1"),
    (1e-05, "0.00001"),
    (1e16, "10000000000000000"),
    (-3, "-3"),
    (12345678901234567890, "12345678901234568000"),
])
def test_format_number(value, text):
    assert xml_number(value) == text
    assert "e" not in text.lower()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"),
                                 Decimal("1E+400")])
def test_format_number_refuses_non_finite(bad):
    with pytest.raises(ValueError):
        xml_number(bad)


@settings(max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_floats(f):
    assert float(xml_number(f)) == f


@settings(max_examples=300)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=Decimal("-1e300"),
                   max_value=Decimal("1e300")))
def test_format_number_is_exact_up_to_17_digits(d):
    text = xml_number(d)
    assert re.fullmatch(r"-?\d+(\.\d*[1-9])?", text)
    if len(d.as_tuple().digits) <= 17:
        assert Decimal(text) == d
    else:
        assert abs(Decimal(text) - d) <= abs(d) * Decimal("1e-16")


@pytest.fixture
def simple(tmp_path) -> Path:
    def build(wb):
        ws = wb.add_worksheet("Drift")
        bold = wb.add_format({"bold": True})
        money = wb.add_format({"num_format": "#,##0", "bold": True})
        ws.write("A1", "Rubrik", bold)
        ws.write("B1", 1)
        ws.write("A2", "Personal")
        ws.write("B2", 2.5, money)
        ws.write("B3", 3, money)
        ws.write_formula("C2", "=B2*2", None, 5)
        ws.write("A5", "sist")
        ws.set_column("E:E", 12, bold)
        wb.add_worksheet("Tom")

    return make_xlsxwriter(tmp_path / "simple.xlsx", build)


def test_numbers_are_exact_and_read_back(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    report = patch_workbook(simple, out, {"Drift": {"B1": Decimal("-7.8"), "B2": 0.1,
                                                    "B3": 10**15 + 1}})
    assert '<v>-7.8</v>' in cell_xml(out, "B1")
    assert '<v>1000000000000001</v>' in cell_xml(out, "B3")
    ws = openpyxl.load_workbook(out)["Drift"]
    assert ws["B1"].value == -7.8
    assert ws["B2"].value == 0.1
    assert ws["B3"].value == 10**15 + 1
    assert ws["B2"].number_format == "#,##0" and ws["B2"].font.b  # style kept
    assert report.cells_written == 3 and report.cells_created == 0
    assert changed_parts(simple, out) == {"xl/worksheets/sheet1.xml"}
    assert report.changed_parts == ("xl/worksheets/sheet1.xml",)


def test_clearing_a_missing_cell_changes_nothing(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    report = patch_workbook(simple, out, {"Drift": {"Z99": None, "B1": 1}})  # B1 is already 1
    assert report.changed_parts == () and out.read_bytes() != b""
    assert changed_parts(simple, out) == set()


def test_bool_and_none(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    patch_workbook(simple, out, {"Drift": {"B1": True, "B3": False, "B2": None, "A2": None}})
    assert cell_xml(out, "B1") == '<c r="B1" t="b"><v>1</v></c>'
    assert '<v>0</v>' in cell_xml(out, "B3") and 't="b"' in cell_xml(out, "B3")
    b2 = cell_xml(out, "B2")
    assert "<v>" not in b2 and 's="' in b2  # value gone, style kept
    assert "t=" not in cell_xml(out, "A2") and "<v>" not in cell_xml(out, "A2")
    ws = openpyxl.load_workbook(out)["Drift"]
    assert ws["B1"].value is True and ws["B3"].value is False
    assert ws["B2"].value is None and ws["B2"].number_format == "#,##0"


# --------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------
def test_text_goes_to_shared_strings_and_reuses_entries(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    before = parts(simple)["xl/sharedStrings.xml"]
    report = patch_workbook(simple, out, {"Drift": {"B1": "Personal", "B2": "Ny & <ny>",
                                                    "B3": "Ny & <ny>", "D9": "  med mellanslag "}})
    after = parts(out)["xl/sharedStrings.xml"]
    assert report.strings_added == 2  # "Personal" existed; the repeated text is stored once
    # the old items are untouched, the new ones appended
    old_items = before[before.index(b"<si>"):before.rindex(b"</sst>")]
    assert old_items in after
    assert b'<t xml:space="preserve">  med mellanslag </t>' in after
    assert b"<t>Ny &amp; &lt;ny&gt;</t>" in after
    m = re.search(rb'count="(\d+)" uniqueCount="(\d+)"', after)
    m0 = re.search(rb'count="(\d+)" uniqueCount="(\d+)"', before)
    assert int(m.group(2)) == int(m0.group(2)) + 2
    assert int(m.group(1)) == int(m0.group(1)) + 4  # four new references, none removed
    ws = openpyxl.load_workbook(out)["Drift"]
    assert [ws[c].value for c in ("B1", "B2", "B3", "D9")] == [
        "Personal", "Ny & <ny>", "Ny & <ny>", "  med mellanslag "]


def test_text_special_characters(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    texts = {"B1": "rad1\nrad2\ttab", "B2": "vagn\r\nretur", "B3": "literal _x0041_ kvar",
             "D1": "åäö ÅÄÖ – €", "D2": "ctl\x01x"}
    patch_workbook(simple, out, {"Drift": texts})
    sst = parts(out)["xl/sharedStrings.xml"].decode()
    assert "_x005F_x0041_" in sst and "&#13;" in sst and "ctl_x0001_x" in sst
    ws = openpyxl.load_workbook(out)["Drift"]
    for ref in ("B1", "B2", "B3", "D1"):
        assert ws[ref].value == texts[ref]
    # openpyxl does not decode _xHHHH_ escapes; Excel and LibreOffice do
    assert ws["D2"].value == "ctl_x0001_x"


def test_shared_strings_part_is_created_when_missing(tmp_path):
    src = make_xlsxwriter(tmp_path / "nums.xlsx", lambda wb: wb.add_worksheet().write("A1", 1))
    assert "xl/sharedStrings.xml" not in parts(src)
    out = tmp_path / "out.xlsx"
    report = patch_workbook(src, out, {"Sheet1": {"A1": "text", "B2": "mer", "C3": "text"}})
    assert report.added_parts == ("xl/sharedStrings.xml",)
    p = parts(out)
    assert list(p)[-1] == "xl/sharedStrings.xml"
    assert b'count="3" uniqueCount="2"' in p["xl/sharedStrings.xml"]
    assert b'PartName="/xl/sharedStrings.xml"' in p["[Content_Types].xml"]
    assert b'relationships/sharedStrings" Target="sharedStrings.xml"' in p["xl/_rels/workbook.xml.rels"]
    assert changed_parts(src, out) == {"xl/worksheets/sheet1.xml", "[Content_Types].xml",
                                       "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml"}
    ws = openpyxl.load_workbook(out).active
    assert (ws["A1"].value, ws["B2"].value, ws["C3"].value) == ("text", "mer", "text")


def test_text_too_long_is_refused(simple, tmp_path):
    with pytest.raises(FollowupError, match="32767"):
        patch_workbook(simple, tmp_path / "o.xlsx", {"Drift": {"B1": "x" * 32768}})


# --------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("day, serial", [
    (dt.date(1900, 1, 1), "1"), (dt.date(1900, 2, 28), "59"), (dt.date(1900, 3, 1), "61"),
    (dt.date(2024, 5, 31), "45443"), (dt.datetime(2024, 1, 15, 12, 0), "45306.5"),
    (dt.datetime(2024, 1, 15, 8, 0), "45306.333333333333"),
])
def test_dates_1900(simple, tmp_path, day, serial):
    out = tmp_path / "out.xlsx"
    patch_workbook(simple, out, {"Drift": {"G7": day}})
    assert f"<v>{serial}</v>" in cell_xml(out, "G7")
    got = openpyxl.load_workbook(out)["Drift"]["G7"].value
    want = day if isinstance(day, dt.datetime) else dt.datetime.combine(day, dt.time())
    assert got == want


def test_dates_1904(tmp_path):
    src = make_xlsxwriter(tmp_path / "d1904.xlsx", lambda wb: wb.add_worksheet().write("A1", 1),
                          date_1904=True)
    assert b'date1904="1"' in parts(src)["xl/workbook.xml"]
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Sheet1": {"A1": dt.date(2024, 5, 31), "A2": dt.date(1904, 1, 1),
                                         "A3": dt.datetime(1904, 1, 2, 6, 0)}})
    assert "<v>43981</v>" in cell_xml(out, "A1")
    assert "<v>0</v>" in cell_xml(out, "A2")
    assert "<v>1.25</v>" in cell_xml(out, "A3")
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == dt.datetime(2024, 5, 31)
    assert ws["A3"].value == dt.datetime(1904, 1, 2, 6, 0)
    with pytest.raises(FollowupError, match="1904-01-01"):
        patch_workbook(src, out, {"Sheet1": {"A1": dt.date(1903, 12, 31)}})


def test_date_refusals(simple, tmp_path):
    out = tmp_path / "o.xlsx"
    with pytest.raises(FollowupError, match="1900-01-01"):
        patch_workbook(simple, out, {"Drift": {"A1": dt.date(1899, 12, 31)}})
    with pytest.raises(FollowupError, match="tidszon"):
        patch_workbook(simple, out, {"Drift": {"A1": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}})
    assert not out.exists()


def test_date_style_added_once_and_based_on_the_cell_style(tmp_path):
    src = make_package(tmp_path / "s.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1" s="3"><v>1</v></c><c r="B1" s="3"><v>2</v></c>'
        '<c r="C1" s="2"><v>45000</v></c><c r="D1"><v>4</v></c></row>')})
    out = tmp_path / "out.xlsx"
    report = patch_workbook(src, out, {"Blad": {"A1": dt.date(2024, 1, 1), "B1": dt.date(2024, 1, 2),
                                                "C1": dt.date(2024, 1, 3)}})
    assert report.styles_added == 1
    styles = parts(out)["xl/styles.xml"].decode()
    assert '<cellXfs count="5">' in styles
    # a copy of xf 3 (bold, right aligned) with the short date format
    assert ('<xf numFmtId="14" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
            'applyFont="1"><alignment horizontal="right"/></xf></cellXfs>') in styles
    assert 's="4"' in cell_xml(out, "A1") and 's="4"' in cell_xml(out, "B1")
    assert 's="2"' in cell_xml(out, "C1")  # already a date format: kept
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == dt.datetime(2024, 1, 1) and ws["A1"].font.b
    assert ws["A1"].alignment.horizontal == "right"
    # a date into a cell whose style is already a date format leaves styles.xml alone
    out2 = tmp_path / "out2.xlsx"
    patch_workbook(src, out2, {"Blad": {"C1": dt.date(2030, 1, 1)}})
    assert changed_parts(src, out2) == {"xl/worksheets/sheet1.xml"}
    # reused when an equal entry exists
    out3 = tmp_path / "out3.xlsx"
    report = patch_workbook(out, out3, {"Blad": {"D1": dt.datetime(2024, 1, 1, 10, 30)}})
    assert report.styles_added == 1  # datetime gets format 22, a new entry
    assert 'numFmtId="22"' in parts(out3)["xl/styles.xml"].decode()
    report = patch_workbook(out3, tmp_path / "out4.xlsx", {"Blad": {"E1": dt.datetime(2025, 1, 1, 1)}})
    assert report.styles_added == 0


# --------------------------------------------------------------------------------------
# formulas
# --------------------------------------------------------------------------------------
def test_formula_keeps_formula_and_gets_cached_value(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    report = patch_workbook(simple, out, {"Drift": {"C2": Decimal("12.25")}})
    c2 = cell_xml(out, "C2")
    assert "<f>B2*2</f><v>12.25</v>" in c2
    assert openpyxl.load_workbook(out)["Drift"]["C2"].value == "=B2*2"
    assert openpyxl.load_workbook(out, data_only=True)["Drift"]["C2"].value == 12.25
    assert report.recalc_on_open is True  # XlsxWriter sets fullCalcOnLoad itself

    patch_workbook(simple, out, {"Drift": {"C2": "text"}})
    assert re.search(r'<c r="C2"[^>]* t="str"><f>B2\*2</f><v>text</v></c>', cell_xml(out, "C2"))
    assert openpyxl.load_workbook(out, data_only=True)["Drift"]["C2"].value == "text"
    patch_workbook(simple, out, {"Drift": {"C2": None}})
    assert cell_xml(out, "C2").endswith("<f>B2*2</f></c>")
    assert openpyxl.load_workbook(out)["Drift"]["C2"].value == "=B2*2"
    patch_workbook(simple, out, {"Drift": {"C2": False}})
    assert 't="b"><f>B2*2</f><v>0</v>' in cell_xml(out, "C2")


SHARED = sd(
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3" t="e"><f t="shared" si="0"/><v>#N/A</v></c></row>'
    '<row r="5"><c r="A5"><f t="array" ref="A5:A7">ROW(1:3)</f><v>1</v></c></row>'
    '<row r="6"><c r="A6"><v>2</v></c></row>'
)


def test_shared_and_array_formulas(tmp_path):
    src = make_package(tmp_path / "sh.xlsx", {"Blad": SHARED})
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"B1": 20, "B2": "fyra", "B3": Decimal("6.5"), "A5": 9,
                                       "A6": "två", "A7": 3}})
    assert cell_xml(out, "B1") == '<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>20</v></c>'
    assert cell_xml(out, "B2") == '<c r="B2" t="str"><f t="shared" si="0"/><v>fyra</v></c>'
    assert cell_xml(out, "B3") == '<c r="B3"><f t="shared" si="0"/><v>6.5</v></c>'
    assert cell_xml(out, "A5") == '<c r="A5"><f t="array" ref="A5:A7">ROW(1:3)</f><v>9</v></c>'
    # inside the array formula's range a text result is a formula string, not a shared string
    assert cell_xml(out, "A6") == '<c r="A6" t="str"><v>två</v></c>'
    assert cell_xml(out, "A7") == '<c r="A7"><v>3</v></c>'
    ws = openpyxl.load_workbook(out).active
    assert ws["B1"].value == "=A1*2" and ws["B2"].value == "=A2*2"
    wsv = openpyxl.load_workbook(out, data_only=True).active
    assert [wsv[c].value for c in ("B1", "B2", "B3", "A5", "A6")] == [20, "fyra", 6.5, 9, "två"]


# --------------------------------------------------------------------------------------
# new rows and cells
# --------------------------------------------------------------------------------------
def row_numbers(xml: str) -> list[int]:
    return [int(x) for x in re.findall(r'<(?:\w+:)?row r="(\d+)"', xml)]


def test_new_rows_and_cells_are_sorted(tmp_path):
    src = make_package(tmp_path / "n.xlsx", {"Blad": '<dimension ref="B2:D4"/>' + sd(
        '<row r="2" spans="2:4"><c r="B2"><v>1</v></c><c r="D2"><v>2</v></c></row>'
        '<row r="4" spans="2:4"><c r="C4"><v>3</v></c></row>')})
    out = tmp_path / "out.xlsx"
    report = patch_workbook(src, out, {"Blad": {"A1": 1, "C2": 2, "A2": 3, "E2": 4, "B3": 5,
                                                "B4": 6, "D4": 7, "A10": 8, "Z10": 9}})
    xml = sheet_xml(out)
    assert row_numbers(xml) == [1, 2, 3, 4, 10]
    cells = re.findall(r'<c r="([A-Z]+\d+)"', xml)
    assert cells == ["A1", "A2", "B2", "C2", "D2", "E2", "B3", "B4", "C4", "D4", "A10", "Z10"]
    assert '<dimension ref="A1:Z10"/>' in xml
    assert '<row r="2" spans="1:5">' in xml and '<row r="4" spans="2:4">' in xml
    assert report.rows_created == 3 and report.cells_created == 9
    ws = openpyxl.load_workbook(out).active
    assert [ws[c].value for c in ("A1", "C2", "A2", "E2", "B3", "B4", "D4", "A10", "Z10")] == list(
        range(1, 10))


_cell_values = st.one_of(
    st.integers(-10**12, 10**12),
    st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.booleans(),
)


@settings(max_examples=40)
@given(st.dictionaries(st.tuples(st.integers(1, 12), st.integers(1, 8)), _cell_values,
                       min_size=1, max_size=25))
def test_random_writes_read_back(tmp_path_factory, writes):
    """Any set of writes into a sparse sheet lands where it should, in sorted XML."""
    tmp = tmp_path_factory.mktemp("prop")
    src = tmp / "src.xlsx"
    make_package(src, {"Blad": '<dimension ref="B2:F9"/>' + sd(
        '<row r="2" spans="2:6"><c r="B2"><v>1</v></c><c r="F2" s="1"><v>2</v></c></row>'
        '<row r="5"><c r="D5" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="9" spans="3:3"><c r="C9"><f>B2+1</f><v>2</v></c></row>')})
    cells = {f"{chr(64 + c)}{r}": v for (r, c), v in writes.items()}
    out = tmp / "out.xlsx"
    patch_workbook(src, out, {"Blad": cells})
    xml = sheet_xml(out)
    rows = row_numbers(xml)
    assert rows == sorted(set(rows))
    for row in re.findall(r"<row [^>]*>(.*?)</row>", xml):
        cols = [ord(ch) for ch in re.findall(r'<c r="([A-Z])\d+"', row)]
        assert cols == sorted(set(cols))
    ws = openpyxl.load_workbook(out).active
    for ref, v in cells.items():
        got = ws[ref].value
        if ref == "C9":
            assert got == "=B2+1"  # a formula cell keeps its formula
        elif isinstance(v, Decimal):
            assert got == float(v)
        else:
            assert got == v


def test_untouched_rows_and_cells_keep_their_bytes(tmp_path):
    rows = ('<row r="1" spans="1:3" ht="20" customHeight="1"><c r="A1" s="1"><v>1</v></c>'
            '<c r="B1" s="1"><v>2</v></c><c r="C1" s="1"><v>3</v></c></row>'
            '<row r="2" spans="1:3" x14ac:dyDescent="0.25"><c r="A2"><v>4</v></c></row>'
            '<row r="3"><c r="A3"><v>5</v></c></row>')
    src = make_package(tmp_path / "b.xlsx", {"Blad": (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}" xmlns:x14ac="http://schemas.microsoft.com/office/'
        'spreadsheetml/2009/9/ac"><sheetData>' + rows + '</sheetData></worksheet>')})
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"B1": 20}})
    xml = sheet_xml(out)
    assert xml == sheet_xml(src).replace('<c r="B1" s="1"><v>2</v></c>', '<c r="B1" s="1"><v>20</v></c>')


def test_empty_sheet_data_and_no_dimension(tmp_path):
    src = make_package(tmp_path / "e.xlsx", {"Blad": '<dimension ref="A1"/><sheetData/>'})
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"C3": 1, "B5": 2}})
    xml = sheet_xml(out)
    assert ('<dimension ref="B3:C5"/><sheetData><row r="3"><c r="C3"><v>1</v></c></row>'
            '<row r="5"><c r="B5"><v>2</v></c></row></sheetData>') in xml


def test_prefixed_namespace_sheet(tmp_path):
    body = ('<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData>')
    src = make_package(tmp_path / "p.xlsx", {"Blad": body}, prefix="x")
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"A1": 5, "B1": "t", "A2": 7}})
    xml = sheet_xml(out)
    assert '<x:row r="2"><x:c r="A2"><x:v>7</x:v></x:c></x:row>' in xml
    assert '<x:c r="B1" t="s"><x:v>0</x:v></x:c>' in xml
    ws = openpyxl.load_workbook(out).active
    assert (ws["A1"].value, ws["B1"].value, ws["A2"].value) == (5, "t", 7)


def test_cell_with_inline_string_and_extlst(tmp_path):
    src = make_package(tmp_path / "i.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>gammal</t></is></c>'
        '<c r="B1"><v>1</v><extLst><ext uri="{X}"/></extLst></c></row>')})
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"A1": 3, "B1": "ny"}})
    assert cell_xml(out, "A1") == '<c r="A1"><v>3</v></c>'
    assert cell_xml(out, "B1") == '<c r="B1" t="s"><v>0</v><extLst><ext uri="{X}"/></extLst></c>'


# --------------------------------------------------------------------------------------
# style of new cells
# --------------------------------------------------------------------------------------
def test_new_cell_style_inheritance(tmp_path):
    src = make_package(tmp_path / "st.xlsx", {"Blad": (
        '<cols><col min="4" max="5" width="9" style="1" customWidth="1"/></cols>' + sd(
            '<row r="1"><c r="A1" s="3"><v>1</v></c><c r="D1"><v>1</v></c></row>'
            '<row r="3" s="2" customFormat="1"><c r="A3"><v>1</v></c></row>'))})
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, {"Blad": {"A2": 1, "A3": 2, "D2": 3, "E2": 4, "B3": 5, "F2": 6,
                                       "A4": 7}})
    assert cell_xml(out, "A2") == '<c r="A2" s="3"><v>1</v></c>'  # the cell above
    assert cell_xml(out, "D2") == '<c r="D2"><v>3</v></c>'  # cell above D1 has no style
    assert cell_xml(out, "E2") == '<c r="E2" s="1"><v>4</v></c>'  # column default
    assert cell_xml(out, "B3") == '<c r="B3" s="2"><v>5</v></c>'  # the row's style
    assert cell_xml(out, "F2") == '<c r="F2"><v>6</v></c>'  # nothing
    assert cell_xml(out, "A4") == '<c r="A4"><v>7</v></c>'  # A3 has no style of its own
    ws = openpyxl.load_workbook(out).active
    assert ws["A2"].number_format == "#,##0.00" and ws["A2"].font.b


def test_table_new_row_takes_the_tables_formatting(tmp_path):
    def build(wb):
        ws = wb.add_worksheet("Drift")
        money = wb.add_format({"num_format": "#,##0", "bg_color": "#FFFF00"})
        ws.add_table("A1:B3", {"name": "Drift", "columns": [{"header": "Konto"}, {"header": "Belopp"}],
                               "data": [["4010", 100], ["5010", 200]]})
        ws.set_column("B:B", 12, money)
        ws.write("B2", 100, money)
        ws.write("B3", 200, money)

    src = make_xlsxwriter(tmp_path / "t.xlsx", build)
    out = tmp_path / "out.xlsx"
    report = patch_workbook(src, out, {"Drift": {"A4": "6010", "B4": Decimal("300.5")}},
                            tables={"Drift": "A1:B4"})
    assert report.tables_resized == ("Drift",)
    wb = openpyxl.load_workbook(out)
    ws = wb["Drift"]
    assert ws.tables["Drift"].ref == "A1:B4"
    assert ws.tables["Drift"].autoFilter.ref == "A1:B4"
    assert ws["B4"].value == 300.5 and ws["B4"].number_format == "#,##0"
    assert ws["B4"].fill.fgColor.rgb == ws["B3"].fill.fgColor.rgb



def test_first_data_cell_under_a_table_header_does_not_take_the_header_style(tmp_path):
    def build(wb):
        ws = wb.add_worksheet("Rapport")
        bold = wb.add_format({"bold": True, "bottom": 1})
        ws.add_table("A1:A2", {"name": "Rapport", "columns": [{"header": "Text",
                                                                "header_format": bold}]})

    src = make_xlsxwriter(tmp_path / "r.xlsx", build)
    out = tmp_path / "out.xlsx"
    # the header written in the same call (unchanged) must not lend its style either
    patch_workbook(src, out, {"Rapport": {"A1": "Text", "A2": "första raden",
                                          "A3": "andra raden"}},
                   tables={"Rapport": "A1:A3"})
    ws = openpyxl.load_workbook(out)["Rapport"]
    assert ws["A1"].font.b
    assert not ws["A2"].font.b and not ws["A3"].font.b
    assert ws["A2"].style_id == ws["A3"].style_id

# --------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------
TABLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<table xmlns="{MAIN}" id="1" name="Tabell1" displayName="Budget" ref="A1:B3" '
    'totalsRowCount="1"><autoFilter ref="A1:B2"/><tableColumns count="2">'
    '<tableColumn id="1" name="Konto" totalsRowLabel="Summa"/><tableColumn id="2" name="Belopp" '
    'totalsRowFunction="sum"/></tableColumns><tableStyleInfo name="TableStyleMedium2" '
    'showFirstColumn="0" showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'
)
TABLE_CT = ('<Override PartName="/xl/tables/table1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.table+xml"/>')
TABLE_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
              'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
              f'Type="{REL}/table" Target="../tables/table1.xml"/></Relationships>')


@pytest.fixture
def table_book(tmp_path) -> Path:
    return make_package(tmp_path / "tab.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Konto</t></is></c><c r="B1" t="inlineStr">'
        '<is><t>Belopp</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>Summa</t></is></c><c r="B3"><f>SUBTOTAL(109,'
        'Budget[Belopp])</f><v>2</v></c></row>') + '<tableParts count="1"><tablePart r:id="rId1"/>'
        '</tableParts>'},
        extra={"xl/tables/table1.xml": TABLE_XML.encode()}, ct_extra=TABLE_CT,
        sheet_rels={"Blad": TABLE_RELS})


def test_table_resize_rewrites_ref_and_autofilter_only(table_book, tmp_path):
    out = tmp_path / "out.xlsx"
    report = patch_workbook(table_book, out, {}, tables={"Budget": "A1:B6"})
    new = parts(out)["xl/tables/table1.xml"].decode()
    assert new == TABLE_XML.replace('ref="A1:B3"', 'ref="A1:B6"').replace(
        '<autoFilter ref="A1:B2"/>', '<autoFilter ref="A1:B5"/>')
    # the SUBTOTAL over Budget[Belopp] may change with the table: Excel recalculates
    assert changed_parts(table_book, out) == {"xl/tables/table1.xml", "xl/workbook.xml"}
    assert report.recalc_on_open
    assert report.tables_resized == ("Budget",)
    # by its name as well as its display name; an unchanged ref changes nothing
    report = patch_workbook(table_book, out, {}, tables={"Tabell1": "A1:B3"})
    assert report.changed_parts == ()


@pytest.mark.parametrize("ref, match", [
    ("A1:C3", "kolumner"), ("B1:B3", "kolumner"), ("A2:B5", "rubrikraden"), ("A1:B2", "minst en datarad"),
    ("nonsens", "giltig"),
])
def test_table_resize_refusals(table_book, tmp_path, ref, match):
    with pytest.raises(FollowupError, match=match):
        patch_workbook(table_book, tmp_path / "o.xlsx", {}, tables={"Budget": ref})


def test_table_unknown_and_header_cells(table_book, tmp_path):
    out = tmp_path / "o.xlsx"
    with pytest.raises(FollowupError, match="Tabellen 'Saknas' finns inte"):
        patch_workbook(table_book, out, {}, tables={"Saknas": "A1:B3"})
    with pytest.raises(FollowupError, match="rubrik i tabellen 'Budget'"):
        patch_workbook(table_book, out, {"Blad": {"B1": "Annat"}})
    patch_workbook(table_book, out, {"Blad": {"B1": "Belopp"}})  # the same header is fine


# --------------------------------------------------------------------------------------
# recalculation flag
# --------------------------------------------------------------------------------------
FORMULAS = sd('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>')


def test_recalc_flag(tmp_path):
    plain = make_package(tmp_path / "p.xlsx", {"Blad": FORMULAS},
                         calc_pr='<calcPr calcId="191029"/>')
    out = tmp_path / "o.xlsx"
    r = patch_workbook(plain, out, {"Blad": {"A1": 5}})  # B1 depends on A1
    assert r.recalc_on_open and '<calcPr calcId="191029" fullCalcOnLoad="1"/>' in parts(out)[
        "xl/workbook.xml"].decode()
    r = patch_workbook(plain, out, {"Blad": {"B1": 5}})  # the only formula was written
    assert not r.recalc_on_open and "xl/workbook.xml" not in changed_parts(plain, out)
    r = patch_workbook(plain, out, {"Blad": {"A1": 5}}, recalc_on_open=False)
    assert not r.recalc_on_open and "xl/workbook.xml" not in changed_parts(plain, out)
    r = patch_workbook(plain, out, {"Blad": {"B1": 5}}, recalc_on_open=True)
    assert r.recalc_on_open


def test_recalc_creates_calcpr_in_schema_order(tmp_path):
    two = make_package(tmp_path / "two.xlsx", {"Blad": sd('<row r="1"><c r="A1"><v>1</v></c></row>'),
                                               "Andra": FORMULAS},
                       workbook_pr='<workbookPr defaultThemeVersion="124226"/>')
    out = tmp_path / "o.xlsx"
    r = patch_workbook(two, out, {"Blad": {"A1": 2}})  # formula on another, unedited sheet
    assert r.recalc_on_open
    wbxml = parts(out)["xl/workbook.xml"].decode()
    assert re.search(r"</sheets><calcPr fullCalcOnLoad=\"1\"/></workbook>", wbxml)
    assert changed_parts(two, out) == {"xl/worksheets/sheet1.xml", "xl/workbook.xml"}
    openpyxl.load_workbook(out)


# --------------------------------------------------------------------------------------
# the package: raw copy, order, compression, data descriptors
# --------------------------------------------------------------------------------------
def test_unchanged_entries_are_copied_raw(simple, tmp_path):
    out = tmp_path / "out.xlsx"
    report = patch_workbook(simple, out, {"Drift": {"B1": 11}})
    a, b = raw_entries(simple), raw_entries(out)
    assert list(a) == list(b)
    same = [n for n in a if a[n] == b[n]]
    assert set(a) - set(same) == {"xl/worksheets/sheet1.xml"}
    assert report.raw_copied_parts == len(same)
    with zipfile.ZipFile(simple) as z1, zipfile.ZipFile(out) as z2:
        assert [i.compress_type for i in z1.infolist()] == [i.compress_type for i in z2.infolist()]
        assert z2.testzip() is None


def test_stored_entries_stay_stored(tmp_path):
    src = make_package(tmp_path / "s.xlsx", {"Blad": FORMULAS}, compression=zipfile.ZIP_STORED)
    out = tmp_path / "o.xlsx"
    patch_workbook(src, out, {"Blad": {"A1": "x"}})
    with zipfile.ZipFile(out) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert zf.testzip() is None


class _Unseekable(io.RawIOBase):
    def __init__(self, fh):
        self.fh = fh

    def writable(self):
        return True

    def write(self, b):
        return self.fh.write(b)


def test_entries_with_data_descriptors(simple, tmp_path):
    """Zips written by streaming writers carry sizes in a data descriptor after the data."""
    streamed = tmp_path / "streamed.xlsx"
    with open(streamed, "wb") as fh, zipfile.ZipFile(_Unseekable(fh), "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts(simple).items():
            zf.writestr(name, data)
    with zipfile.ZipFile(streamed) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist())
    out = tmp_path / "o.xlsx"
    patch_workbook(streamed, out, {"Drift": {"B1": 42}})
    assert changed_parts(streamed, out) == {"xl/worksheets/sheet1.xml"}
    assert openpyxl.load_workbook(out)["Drift"]["B1"].value == 42
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None


def test_src_equals_dst_and_backup(simple, tmp_path):
    work = tmp_path / "work.xlsx"
    shutil.copy(simple, work)
    original = work.read_bytes()
    patch_workbook(work, work, {"Drift": {"B1": 99}}, backup=True)
    assert openpyxl.load_workbook(work)["Drift"]["B1"].value == 99
    assert (tmp_path / "work.xlsx.bak").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["simple.xlsx", "work.xlsx", "work.xlsx.bak"]


# --------------------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------------------
def refuse(src: Path, tmp_path: Path, cells, match: str, **kw) -> FollowupError:
    out = tmp_path / "refused-out.xlsx"
    shutil.copy(src, out)
    before = out.read_bytes()
    with pytest.raises(FollowupError, match=match) as info:
        patch_workbook(out, out, cells, **kw)
    assert out.read_bytes() == before, "a refused write must leave the file untouched"
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []
    return info.value


def test_refuse_unknown_sheet_and_bad_refs(simple, tmp_path):
    err = refuse(simple, tmp_path, {"Saknas": {"A1": 1}}, "Bladet 'Saknas' finns inte")
    assert "refused-out.xlsx" in str(err)
    refuse(simple, tmp_path, {"Drift": {"A0": 1}}, "ingen giltig cellreferens")
    refuse(simple, tmp_path, {"Drift": {"XFE1": 1}}, "ingen giltig cellreferens")
    refuse(simple, tmp_path, {"Drift": {"a1": 1, "A1": 2}}, "två gånger")
    refuse(simple, tmp_path, {"Drift": {"A1": [1]}}, "typen list")
    refuse(simple, tmp_path, {"Drift": {"A1": float("nan")}}, "inget tal")


def test_sheet_names_match_case_insensitively(simple, tmp_path):
    out = tmp_path / "o.xlsx"
    patch_workbook(simple, out, {"drift": {"B1": 3}})
    assert openpyxl.load_workbook(out)["Drift"]["B1"].value == 3


def test_refuse_merged_cell_that_is_not_top_left(tmp_path):
    def build(wb):
        ws = wb.add_worksheet("Drift")
        ws.merge_range("B2:D3", "rubrik")

    src = make_xlsxwriter(tmp_path / "m.xlsx", build)
    err = refuse(src, tmp_path, {"Drift": {"C3": 1}}, "sammanfogade området B2:D3")
    assert "Cellen C3" in str(err)
    out = tmp_path / "ok.xlsx"
    patch_workbook(src, out, {"Drift": {"B2": "ny rubrik"}})
    assert openpyxl.load_workbook(out)["Drift"]["B2"].value == "ny rubrik"


def test_refuse_chartsheet(tmp_path):
    def build(wb):
        ws = wb.add_worksheet("Data")
        ws.write_column("A1", [1, 2, 3])
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": "=Data!$A$1:$A$3"})
        cs = wb.add_chartsheet("Diagram")
        cs.set_chart(chart)

    src = make_xlsxwriter(tmp_path / "c.xlsx", build)
    refuse(src, tmp_path, {"Diagram": {"A1": 1}}, "diagramblad")


def test_refuse_value_metadata_cell(tmp_path):
    src = make_package(tmp_path / "vm.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1" t="e" vm="1"><v>#VALUE!</v></c></row>')})
    refuse(src, tmp_path, {"Blad": {"A1": 1}}, "bild eller datatyp")


def test_refuse_packages_that_are_not_workbooks(tmp_path, simple):
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    refuse(enc, tmp_path, {"Blad": {"A1": 1}}, "krypterad")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"hello world" * 20)
    refuse(junk, tmp_path, {"Blad": {"A1": 1}}, "inte ett zip-paket, eller paketet är skadat")
    with pytest.raises(FollowupError, match="finns inte"):
        patch_workbook(tmp_path / "nope.xlsx", tmp_path / "o.xlsx", {})
    # a binary workbook: same package, xlsb main content type
    xlsb = tmp_path / "b.xlsx"
    p = parts(simple)
    p["[Content_Types].xml"] = p["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.binary.macroEnabled.main")
    with zipfile.ZipFile(xlsb, "w") as zf:
        for n, d in p.items():
            zf.writestr(n, d)
    refuse(xlsb, tmp_path, {"Drift": {"A1": 1}}, "xlsb")


def test_refuse_signed_package(tmp_path, simple):
    signed = tmp_path / "signed.xlsx"
    p = parts(simple)
    p["_rels/.rels"] = p["_rels/.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
        b'digital-signature/origin" Target="_xmlsignatures/origin.sigs"/></Relationships>')
    p["_xmlsignatures/origin.sigs"] = b""
    with zipfile.ZipFile(signed, "w") as zf:
        for n, d in p.items():
            zf.writestr(n, d)
    refuse(signed, tmp_path, {"Drift": {"A1": 1}}, "digitalt signerad")


def test_refuse_pivot_table_area(tmp_path):
    pivot = (f'<pivotTableDefinition xmlns="{MAIN}" name="P" cacheId="1"><location ref="D1:E5" '
             'firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/></pivotTableDefinition>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{REL}/pivotTable" Target="../pivotTables/pivotTable1.xml"/></Relationships>')
    src = make_package(tmp_path / "pv.xlsx", {"Blad": FORMULAS},
                       extra={"xl/pivotTables/pivotTable1.xml": pivot.encode()},
                       sheet_rels={"Blad": rels})
    refuse(src, tmp_path, {"Blad": {"E3": 1}}, "pivottabell")
    patch_workbook(src, tmp_path / "ok.xlsx", {"Blad": {"A1": 1}})


def test_refuse_unparseable_sheet(tmp_path):
    src = make_package(tmp_path / "bad.xlsx", {"Blad": sd(
        '<row r="1"><!-- kommentar --><c r="A1"><v>1</v></c></row>')})
    refuse(src, tmp_path, {"Blad": {"A1": 2}}, "kommentarer")
    src = make_package(tmp_path / "unsorted.xlsx", {"Blad": sd(
        '<row r="3"><c r="A3"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>')})
    refuse(src, tmp_path, {"Blad": {"A2": 2}}, "sorterade")
    patch_workbook(src, tmp_path / "ok.xlsx", {"Blad": {"A1": 2}})  # editing in place is fine
