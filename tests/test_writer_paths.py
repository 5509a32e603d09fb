"""The writer's short paths give what its general paths give, and its check still
catches every defect it looks for.

A row in Excel's plain form is rebuilt in one join (``SheetIndex.plain_cells``,
``SheetEditor._render_plain_row``, ``CellRenderer.existing_plain``); the verification
compares the planned cells in bulk before it goes cell by cell
(``verify._all_as_planned``). Both are accelerations only: here the same writes are done
with and without the short path and must give the same bytes (or the same refusal), and
the bulk comparison must never pass what the cell-by-cell check refuses.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl.errors import FollowupError
from followup_xl.xlsx import verify
from followup_xl.xlsx.cellwrite import CellPlan, CellRenderer
from followup_xl.xlsx.patch import patch_workbook
from followup_xl.xlsx.sheetindex import SheetIndex
from followup_xl.xlsx.xmlscan import ATTRS, Malformed
from followup_xl.xlsx.zipwrite import CompressAhead
from test_xlsxpatch import MAIN, make_package, sd

SST = (f'<sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>a</t></si><si><t>b</t></si>'
       '<si><t xml:space="preserve"> c</t></si></sst>')

# cells as a sheet may hold them: in Excel's plain form, and in other forms
_PLAIN_CELLS = ['<c r="{r}"/>', '<c r="{r}" s="1"/>', '<c r="{r}"><v>1.5</v></c>',
                '<c r="{r}" s="3" t="s"><v>0</v></c>', '<c r="{r}" t="s"><v>2</v></c>',
                '<c r="{r}" t="b"><v>1</v></c>', '<c r="{r}" s="2"></c>',
                '<c r="{r}" s="1" t="e"><v>#N/A</v></c>', '<c r="{r}" t="str"><v>x</v></c>']
_OTHER_CELLS = ['<c r="{r}" t="inlineStr"><is><t>i</t></is></c>', '<c r="{r}"><f>1+1</f><v>2</v></c>',
                '<c r="{r}" s="1" cm="1"><v>3</v></c>', '<c r="{r}" t="s" s="1"><v>1</v></c>',
                '<c r="{r}" vm="1"><v>4</v></c>', '<c  r="{r}"><v>5</v></c>', '<c r="{r}" ><v>6</v></c>',
                '<c><v>7</v></c>', '<c r="{r}"><v>8</v><extLst><ext uri="{{X}}"/></extLst></c>']
_ROW_TAGS = ['<row r="{n}">', '<row spans="1:2" r="{n}">', '<row r = "{n}">',
             '<row r="{n}" spans="1:3">', '<row r="{n}" s="1" customFormat="1">',
             '<row r="{n}" spans="2:2 4:5">']

_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False),
    st.sampled_from([Decimal("-416.6666666666666666666666667"), 0.1, -7.25]),
    st.sampled_from(["a", "b", " c", "ny", "x_x0041_y", "1 < 2 & 3", "rad\r\nbrytning"]),
    st.text(max_size=3),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2050, 1, 1)),
)


@st.composite
def _sheets(draw):
    """(sheetData inner XML, writes): rows 1-6 present or not, each with cells in
    columns A-F in one of the forms above (in some rows out of order, twice or with a
    reference to another row); writes
    into rows 1-7, columns A-G, half of them into cells that exist."""
    rows, existing = [], []
    for n in range(1, 7):
        kind = draw(st.sampled_from(["absent", "plain", "plain", "plain", "mixed", "empty",
                                     "unsorted", "foreign"]))
        if kind == "absent":
            continue
        tag = draw(st.sampled_from(_ROW_TAGS)).format(n=n)
        if kind == "empty":
            rows.append(tag[:-1] + "/>" if draw(st.booleans()) else tag + "</row>")
            continue
        cols = sorted(draw(st.lists(st.integers(1, 6), unique=True, max_size=5)))
        if kind == "unsorted" and cols:
            cols = draw(st.permutations(cols)) + draw(st.lists(st.sampled_from(cols), max_size=1))
        forms = _PLAIN_CELLS + (_OTHER_CELLS if kind == "mixed" else [])
        cells = "".join(draw(st.sampled_from(forms)).format(r=f"{chr(64 + c)}{n}") for c in cols)
        if kind == "foreign":  # a cell whose reference names another row
            cells = cells.replace(f'{n}"', f'{n}9"', 1)
        existing += [f"{chr(64 + c)}{n}" for c in cols]
        rows.append(tag + cells + "</row>")
    anywhere = st.tuples(st.integers(1, 7), st.integers(1, 7)).map(
        lambda rc: f"{chr(64 + rc[1])}{rc[0]}")
    refs = st.one_of(anywhere, st.sampled_from(existing)) if existing else anywhere
    writes = draw(st.dictionaries(refs, _values, min_size=1, max_size=15))
    return "".join(rows), writes


def _outcome(src: Path, out: Path, writes: dict) -> bytes | str:
    """The written file's bytes, or the refusal's sentence."""
    try:
        patch_workbook(src, out, {"Blad": writes}, recalc_on_open=False)
    except FollowupError as exc:
        return str(exc).replace(str(out), "OUT")
    return out.read_bytes()


@settings(max_examples=200)
@given(_sheets())
def test_plain_rows_give_the_bytes_of_the_general_path(tmp_path_factory, sheet):
    rows, writes = sheet
    tmp = tmp_path_factory.mktemp("paths")
    src = make_package(tmp / "src.xlsx", {"Blad": '<cols><col min="5" max="5" style="2"/></cols>'
                                           + '<dimension ref="A1:F6"/>' + sd(rows)}, sst=SST)
    fast = _outcome(src, tmp / "fast.xlsx", writes)
    with mock.patch.object(SheetIndex, "plain_cells", lambda self, r: None):
        general = _outcome(src, tmp / "general.xlsx", writes)
    assert fast == general


def test_a_typical_row_takes_the_plain_path(tmp_path):
    """The property above is only worth something if the short path is really taken."""
    src = make_package(tmp_path / "src.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1" s="1" t="s"><v>0</v></c><c r="C1"><v>1</v></c></row>'
        '<row r="2"><c r="A2" s="1" t="s"><v>1</v></c><c r="C2"><v>2</v></c></row>')}, sst=SST)
    calls = []
    real = CellRenderer.existing_plain

    def spy(self, *args):
        calls.append(args[1])
        return real(self, *args)

    with mock.patch.object(CellRenderer, "existing_plain", spy), \
            mock.patch.object(SheetIndex, "row_cells", side_effect=AssertionError("general")):
        patch_workbook(src, tmp_path / "out.xlsx", {"Blad": {"C1": 5, "B2": "ny", "C2": None}})
    assert calls == [b"C1", b"C2"]


# --------------------------------------------------------------------------------------
# the verification
# --------------------------------------------------------------------------------------
def _part(rows: str) -> bytes:
    return (f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>').encode()


def _plan(ref: str, t=None, v=None, s=None, formula=None) -> CellPlan:
    m = re.fullmatch(r"([A-Z])(\d+)", ref)
    enc = (lambda x: x if x is None else x.encode())
    return CellPlan(int(m.group(2)), ord(m.group(1)) - 64, enc(t), enc(v), enc(s), enc(formula))


_GOOD = ('<row r="1"><c r="A1" s="2"><v>1</v></c><c r="B1" t="s"><v>7</v></c>'
         '<c r="C1"><f>A1</f><v>3</v></c><c r="D1" s="4"/></row>'
         '<row r="2"><c r="A2"><v>a&amp;b</v></c></row>')
_GOOD_PLANS = [_plan("A1", v="1", s="2"), _plan("B1", t="s", v="7"),
               _plan("C1", v="3", formula="<f>A1</f>"), _plan("D1", s="4"), _plan("A2", v="a&amp;b")]


def test_the_check_passes_what_was_planned():
    verify.verify_sheet(_GOOD_PLANS, True, _part(_GOOD))
    plain = [p for p in _GOOD_PLANS if p.formula is None]
    start, end = verify.plain_sheetdata(_part(_GOOD))
    found = verify._CELL_RE.findall(_part(_GOOD), start, end)
    assert verify._all_as_planned(plain, True, found, len(found))  # the bulk check alone


@pytest.mark.parametrize("rows, plans, message", [
    (_GOOD.replace("<v>1</v>", "<v>2</v>"), _GOOD_PLANS, "cellen A1 fick fel värde"),
    (_GOOD.replace('s="2"', ""), _GOOD_PLANS, "cellen A1 fick fel typ eller format"),
    (_GOOD.replace(' t="s"', ' t="str"'), _GOOD_PLANS, "cellen B1 fick fel typ eller format"),
    (_GOOD.replace("<f>A1</f>", ""), _GOOD_PLANS, "formeln i cellen C1 ändrades"),
    (_GOOD, [_plan("C1", v="3")], "formeln i cellen C1 ändrades"),
    (_GOOD.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"><v>0</v></c>'), _GOOD_PLANS,
     "cellen D1 fick fel värde"),
    (_GOOD.replace("<v>7</v>", "<v>7</v><is><t>x</t></is>"), _GOOD_PLANS,
     "cellen B1 har kvar en gammal text"),
    (_GOOD.replace('<c r="D1" s="4"/>', ""), _GOOD_PLANS, "celler saknas efter skrivningen: D1"),
    (_GOOD.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c r="D1" s="4"/>'), _GOOD_PLANS,
     "cellerna är inte sorterade vid D1"),
    (_GOOD.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c r="C1"/>'), _GOOD_PLANS,
     "cellerna är inte sorterade vid C1"),
    (_GOOD.split("</row>", 1)[1] + _GOOD.split("</row>", 1)[0] + "</row>", _GOOD_PLANS,
     "cellerna är inte sorterade vid A1"),
    (_GOOD.replace("<v>1</v>", "<v>1</v"), _GOOD_PLANS, "felaktig XML"),
])
def test_the_check_catches_each_defect(rows, plans, message):
    """Each defect the check looks for, in the scanned form; written rows get here only
    from an editor gone wrong, so this is how a defect is shown to be caught."""
    with pytest.raises(Malformed, match=re.escape(message)):
        verify.verify_sheet(plans, True, _part(rows))


def test_the_check_catches_a_defect_in_any_form():
    """The same defects in a part the scan does not read (a prefix): lxml checks it."""
    part = _part(_GOOD).replace(b"<", b"<x:").replace(b"<x:/", b"</x:").replace(
        b'xmlns="', b'xmlns:x="')
    verify.verify_sheet(_GOOD_PLANS, True, part)
    with pytest.raises(Malformed, match="cellen A1 fick fel värde"):
        verify.verify_sheet(_GOOD_PLANS, True, part.replace(b"<x:v>1<", b"<x:v>2<"))
    with pytest.raises(Malformed, match="celler saknas efter skrivningen: D1"):
        verify.verify_sheet(_GOOD_PLANS, True, part.replace(b'<x:c r="D1" s="4"/>', b""))


def test_a_writer_defect_is_refused_before_anything_is_written(tmp_path):
    """End to end: a renderer that writes a wrong value is caught by the check."""
    src = make_package(tmp_path / "src.xlsx", {"Blad": sd(
        '<row r="1"><c r="A1"><v>1</v></c></row>')})
    real = CellRenderer.new_cell

    def wrong(self, w, ref, style, in_array):
        cell, s = real(self, w, ref, style, in_array)
        return cell.replace(b"<v>5</v>", b"<v>6</v>"), s

    out = tmp_path / "out.xlsx"
    with mock.patch.object(CellRenderer, "new_cell", wrong), \
            pytest.raises(FollowupError, match="kontrollen av bladet 'Blad'.*cellen B1 fick fel värde"):
        patch_workbook(src, out, {"Blad": {"B1": 5}})
    assert not out.exists()


_DEFECTS = [
    lambda x: x,
    lambda x: x.replace("<v>", "<v>9", 1),
    lambda x: x.replace(' s="', ' s="1', 1),
    lambda x: x.replace(' t="s"', "", 1),
    lambda x: x.replace("</c>", "<is><t>q</t></is></c>", 1),
    lambda x: x.replace("<f>A1</f>", "", 1),
    lambda x: x.replace("<v>", "<f>B1</f><v>", 1),
    lambda x: x.replace('<c r="D1" s="4"/>', ""),
    lambda x: x.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c r="D1" s="4"/>'),
    lambda x: x.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c r="D1" s="5"/>'),
    lambda x: x.replace('"><v>', '" cm="1"><v>', 1),
    lambda x: x.replace('<c r="A2">', '<c r="A2" cm="1" s="9">'),  # an s the pattern reads as other
    lambda x: x.replace("&amp;", "&#38;"),
    # across rows (the check reads the rows a piece at a time)
    lambda x: x[x.index('<row r="2">'):] + x[:x.index('<row r="2">')],  # rows swapped
    lambda x: x[:x.index('<row r="2">')],  # the second row (and its planned cell) gone
    lambda x: x + '<row r="3"/>',  # a row without cells after the others
    lambda x: x.replace('<row r="2">', '<row r="2"><c r="A1"><v>1</v></c>'),  # A1 twice
    lambda x: x.split("</row>", 1)[1] + x.split("</row>", 1)[0] + "</row>",  # rows swapped
    lambda x: x.replace('<c r="A1" s="2"><v>1</v></c><c r="B1" t="s"><v>7</v></c>',
                        '<c r="B1" t="s"><v>7</v></c><c r="A1" s="2"><v>1</v></c>'),
    lambda x: x.replace('<c r="D1"', '<c  r="D1"'),  # a cell the scan does not read
    lambda x: x.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c  r="D1" s="5"/>'),
    lambda x: x.replace('<c r="D1" s="4"/>', '<c r="D1" s="4"/><c r="E1" x="1" s="2"/>'),
    lambda x: x.replace('<c r="B1" t="s">', '<c r="B1" t="s" >'),
    lambda x: x.replace('<v>7</v>', '<v>7</v><v>8</v>'),
    lambda x: x.replace('<v>1</v>', '<v >1</v>'),
]


@pytest.mark.parametrize("piece", [1 << 20, 1])  # all rows at once; a row at a time
@pytest.mark.parametrize("defect", range(len(_DEFECTS)))
def test_the_bulk_comparison_never_passes_what_the_cell_by_cell_check_refuses(defect, piece):
    """For every plan (any subset of the cells) and every defect above, sorted rows or
    not, whole or a row at a time, the check's verdict and message are the ones the
    cell-by-cell check alone gives."""
    data = _part(_DEFECTS[defect](_GOOD))

    def verdict(check, plans, rows_sorted):
        try:
            check(plans, rows_sorted, data)
        except Malformed as exc:
            return str(exc)
        return "ok"

    def cell_by_cell(plans, rows_sorted, data):
        verify.well_formed(data)
        start, end = verify.plain_sheetdata(data)
        found = verify._CELL_RE.findall(data, start, end)
        expected = verify.cell_tags(data, start, end, -1)
        if not verify._verify_in_order(plans, rows_sorted, [(found, expected)]):
            verify._verify_parsed(plans, rows_sorted, data)

    for chosen in itertools.product([False, True], repeat=len(_GOOD_PLANS)):
        plans = list(itertools.compress(_GOOD_PLANS, chosen))
        for rows_sorted in (True, False):
            with mock.patch.object(verify, "_PIECE", piece):
                got = verdict(verify.verify_sheet, plans, rows_sorted)
            assert got == verdict(cell_by_cell, plans, rows_sorted), (plans, rows_sorted)


# --------------------------------------------------------------------------------------
# compressing ahead
# --------------------------------------------------------------------------------------
def _big_sheet(tmp_path: Path) -> Path:
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="1"><v>{r}</v></c><c r="C{r}"><v>{r * 7}</v></c></row>'
                   for r in range(1, 3001))
    return make_package(tmp_path / "big.xlsx", {"Blad": sd(rows), "Andra": sd("")})


def test_a_part_compressed_ahead_gives_the_same_file(tmp_path):
    from followup_xl.xlsx import patch as patch_module
    src = _big_sheet(tmp_path)
    cells = {f"B{r}": Decimal(r) / 3 for r in range(1, 3001)}
    used = []
    real = CompressAhead.result

    def spy(self):
        used.append(len(self.data))
        return real(self)

    with mock.patch.object(CompressAhead, "result", spy):
        patch_workbook(src, tmp_path / "ahead.xlsx", {"Blad": cells})
    assert used, "the big sheet's bytes were not taken from the compression ahead"
    with mock.patch.object(patch_module, "_AHEAD_MIN_BYTES", 1 << 40):
        patch_workbook(src, tmp_path / "serial.xlsx", {"Blad": cells})
    assert (tmp_path / "ahead.xlsx").read_bytes() == (tmp_path / "serial.xlsx").read_bytes()


def test_written_rows_checked_a_piece_at_a_time_give_the_same_file(tmp_path):
    """The check of a big edit reads its rows in pieces (memory follows a piece, not the
    sheet); pieces of a few rows pass the same edit and write the same bytes."""
    src = _big_sheet(tmp_path)
    cells = {f"B{r}": Decimal(r) / 3 for r in range(1, 3001)}
    patch_workbook(src, tmp_path / "whole.xlsx", {"Blad": cells})
    with mock.patch.object(verify, "_PIECE", 500):
        patch_workbook(src, tmp_path / "pieces.xlsx", {"Blad": cells})
    assert (tmp_path / "whole.xlsx").read_bytes() == (tmp_path / "pieces.xlsx").read_bytes()


def test_no_compressing_thread_outlives_a_refusal(tmp_path):
    """The big sheet is edited (and its compression started) before the other sheet's
    value is refused."""
    import threading
    src = _big_sheet(tmp_path)
    started, waited = [], []
    real_init, real_wait = CompressAhead.__init__, CompressAhead.wait

    def spy_init(self, data, method):
        started.append(self)
        real_init(self, data, method)

    def spy_wait(self):
        waited.append(self)
        real_wait(self)

    with mock.patch.object(CompressAhead, "__init__", spy_init), \
            mock.patch.object(CompressAhead, "wait", spy_wait), \
            pytest.raises(FollowupError, match="inget tal som Excel kan lagra"):
        patch_workbook(src, tmp_path / "out.xlsx", {"Blad": {"B1": 1}, "Andra": {"A1": float("nan")}})
    assert started and not (tmp_path / "out.xlsx").exists()
    # every thread started was waited for (not only finished by chance before the check)
    assert set(map(id, started)) <= set(map(id, waited))
    assert not [t for t in threading.enumerate() if t.name == "followup-xl-deflate"]


@pytest.mark.parametrize("other", ["<!-- x -->", "<![CDATA[x]]>", "<?pi x?>"])
def test_a_comment_cdata_or_instruction_sends_the_check_to_lxml(other):
    data = _part(_GOOD.replace("</row>", other + "</row>", 1))
    assert verify.well_formed(data) and verify.plain_sheetdata(data) is None
    assert not verify._verify_scanned(_GOOD_PLANS, True, data)
    verify.verify_sheet(_GOOD_PLANS, True, data)  # (lxml reads the same cells)
    assert not verify.well_formed(_part(_GOOD))


# --------------------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("refs, message", [
    ({"A1": 1, "B2": 2, "$A$1": 3}, "Cellen A1 på bladet 'Blad' anges två gånger ('A1' och '$A$1')."),
    ({"b2": 1, "A1": 2, "B2": 3}, "Cellen B2 på bladet 'Blad' anges två gånger ('b2' och 'B2')."),
    ({"A1": 1, " a1 ": 2}, "Cellen A1 på bladet 'Blad' anges två gånger ('A1' och ' a1 ')."),
    ({"A1": 1, "A1048577": 2}, "'A1048577' är ingen giltig cellreferens"),
    ({"XFD1": 1, "XFE1": 2}, "'XFE1' är ingen giltig cellreferens"),
    ({"A01": 1}, "'A01' är ingen giltig cellreferens"),
    ({"a1": 1, "A0": 2, "A1": 3}, "'A0' är ingen giltig cellreferens"),
])
def test_references_are_checked_in_order_whatever_their_form(tmp_path, refs, message):
    src = make_package(tmp_path / "src.xlsx", {"Blad": sd("")})
    with pytest.raises(FollowupError, match=re.escape(message)):
        patch_workbook(src, tmp_path / "out.xlsx", {"Blad": refs})


def test_references_in_any_form_land_in_their_cell(tmp_path):
    src = make_package(tmp_path / "src.xlsx", {"Blad": sd("")})
    report = patch_workbook(src, tmp_path / "out.xlsx",
                            {"Blad": {"B2": 1, "$C$3": 2, "d4": 3, "XFD1048576": 4}})
    assert report.written["Blad"] == ("B2", "C3", "D4", "XFD1048576")


_PLAIN_CELL_PATTERN = re.compile(  # the verification's pattern as first written, greedy/lazy
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?'
    rb'(' + ATTRS + rb')\s*(?:/>|>(.*?)</c\s*>)', re.S)
_PIECES = ['<c r="A1"', '<c r="B12"', ' s="3"', ' t="s"', ' t="inlineStr"', ' s=""', " x='>'",
           ' y="a/>b"', " ", "\n", ">", "/>", "<v>1</v>", "<v>", "</v>", "</c>", "</c >", "</c\n>",
           "</cx>", "<f>A1</f>", "<is><t>q</t></is>", "<", "x", '"', "'", "=", "<c", "</row><row>"]


_CELLISH = st.tuples(
    st.sampled_from(['<c r="A1"', '<c r="B12"', "<c", 'x<c r="C3"']),
    st.lists(st.sampled_from([' s="3"', ' t="s"', ' s=""', " x='>'", ' y="a/>b"', " ", "\n"]),
             max_size=3),
    st.sampled_from([">", "/>", " >", " />", ""]),
    st.lists(st.sampled_from(["<v>1</v>", "<v>1</v><v>2</v>", "<v></v>", "<f>A1</f>",
                              "<is><t>q</t></is>", "<", "x", "</cx>", "</c >", "</c\n>", "</v>"]),
             max_size=3),
    st.sampled_from(["</c>", "</c >", "", "</c\n>", "</row>"]),
).map(lambda t: t[0] + "".join(t[1]) + t[2] + "".join(t[3]) + t[4])


@settings(max_examples=600)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), _CELLISH), max_size=20))
def test_the_checks_cell_pattern_reads_what_the_plain_pattern_reads(pieces):
    data = "".join(pieces).encode()
    assert verify._CELL_RE.findall(data) == _PLAIN_CELL_PATTERN.findall(data)


def test_only_plain_shared_strings_are_reused(tmp_path):
    """An item is reused only when it is one plain <t> (its spaces kept); rich text, an
    item with a comment or phonetic run, and unpreserved outer spaces are not."""
    sst = (f'<sst xmlns="{MAIN}" count="6" uniqueCount="6"><si><t>plain</t></si>'
           '<si><r><t>rich</t></r></si><si><!-- c --><t>commented</t></si>'
           '<si><t>phon</t><rPh sb="0" eb="1"><t>x</t></rPh></si><si><t> loose</t></si>'
           '<si><t xml:space="preserve"> kept</t></si></sst>')
    src = make_package(tmp_path / "src.xlsx", {"Blad": sd("")}, sst=sst)
    out = tmp_path / "out.xlsx"
    texts = ["plain", "rich", "commented", "phon", " loose", " kept"]
    patch_workbook(src, out, {"Blad": {f"A{i}": t for i, t in enumerate(texts, 1)}})
    import zipfile
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    got = [int(v) for v in re.findall(r"<v>(\d+)</v>", xml)]
    assert got == [0, 6, 7, 8, 9, 5]


_PLAIN_ROW_PATTERN = re.compile(  # the editor's plain-cell pattern as first written, greedy
    rb'(<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?'
    rb'(?:/>|>(?:<v>[^<]*</v>)?</c>))')


@settings(max_examples=600)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), _CELLISH), max_size=20))
def test_the_editors_plain_cell_pattern_reads_what_the_greedy_pattern_reads(pieces):
    data = "".join(pieces).encode()
    index = SheetIndex(_part(""))
    assert index._plain_cell_re.findall(data) == _PLAIN_ROW_PATTERN.findall(data)


def test_a_prefixed_formula_tag_cut_between_two_read_chunks_is_still_found(tmp_path):
    """Whether another sheet holds a formula is streamed in chunks (64 KiB, then 1 MiB):
    a long-prefixed formula tag cut at the first border still counts."""
    from followup_xl.xlsx.package import Package, open_regular
    from followup_xl.xlsx.partnames import NS_MAIN
    from followup_xl.xlsx.patch import _has_formula_stream
    from test_xlsxpatch import make_package
    p = "spreadsheetml2006main:"  # any prefix is allowed; this one is longer than most
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet '
            f'xmlns:{p[:-1]}="{NS_MAIN}"><{p}sheetData><{p}row r="1"><{p}c r="A1" '
            f't="inlineStr"><{p}is><{p}t>')
    tail = (f"</{p}t></{p}is></{p}c><{p}c r=\"B1\"><{p}f>A1</{p}f><{p}v>1</{p}v></{p}c>"
            f"</{p}row></{p}sheetData></{p}worksheet>")
    fixed = len((head + f"</{p}t></{p}is></{p}c><{p}c r=\"B1\">").encode())
    found = []
    for cut in range(1, len(f"<{p}f>")):  # the tag's first `cut` bytes in the first chunk
        body = head + "x" * ((1 << 16) - cut - fixed) + tail
        path = make_package(tmp_path / f"f{cut}.xlsx", {"Blad": body})
        with open_regular(path, path.name) as fp:
            pkg = Package(path, fp)
            found.append(_has_formula_stream(pkg, "xl/worksheets/sheet1.xml"))
    assert found == [True] * len(found)
