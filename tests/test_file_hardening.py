"""What a hostile or careless file does to calc: each finding of the fuzzer (issue 13) as a
real file, run through the command line as the economist runs it.

Every case must end with exit 1 (or 0 where the file is fine), one Swedish sentence on
stderr naming the file as given (never an absolute path), no traceback, no "Exception
ignored", and nothing written through a link the program did not choose.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from followup_xl.errors import FollowupError, os_reason
from followup_xl.workbook.layout import name_target
from followup_xl.xlsx import limits
from followup_xl.xlsx.safefile import atomic_write, exclusive, lock_path
from workbooks import (EXAMPLE, assert_only_kontroll_changed, cell_values, drift_cell, parts,
                       sheet_part, table_part)

POSIX = os.name == "posix"
ROOT = Path(__file__).resolve().parents[1]


def calc(tmp_path: Path, name: str = "bok.xlsm", *extra: str) -> subprocess.CompletedProcess:
    """``followup-xl calc NAME -o ut.xlsm`` in ``tmp_path``, as a whole process."""
    return subprocess.run([sys.executable, "-m", "followup_xl", "calc", name, "-o",
                           "ut" + Path(name).suffix, *extra], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def assert_refused(proc: subprocess.CompletedProcess, *words: str) -> str:
    err = proc.stderr
    assert proc.returncode == 1, (proc.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert tempfile.gettempdir() not in err and str(Path.home()) not in err, err  # no paths
    for w in words:
        assert w in err, (w, err)
    return err


def rewrite(src: Path, dst: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of the package with parts replaced (or removed: None), order kept."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    zout.writestr(info.filename, changes[info.filename])
            else:
                zout.writestr(info, zin.read(info.filename))
    return dst


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def with_cell_xml(tmp_path: Path, row_name: str, column: str, new_cell) -> Path:
    """The example with one Drift cell's XML replaced by ``new_cell(ref)``."""
    sheet, cell = drift_cell(EXAMPLE, row_name, column)
    name = sheet_part(EXAMPLE, sheet)
    xml = part(EXAMPLE, name).decode()
    xml, n = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)', new_cell(cell), xml, count=1)
    assert n == 1
    return rewrite(EXAMPLE, tmp_path / "bok.xlsm", {name: xml.encode()})


# --- links, special files and modes ---------------------------------------------------------

@pytest.mark.skipif(not POSIX, reason="symbolic links and modes")
def test_a_planted_lock_symlink_is_refused_and_its_target_untouched(tmp_path):
    shutil.copyfile(EXAMPLE, tmp_path / "bok.xlsm")
    victim = tmp_path / "offer.txt"
    victim.write_text("mitt")
    lock_path(tmp_path / "ut.xlsm").symlink_to(victim)
    err = assert_refused(calc(tmp_path), "symbolisk länk", ".ut.xlsm.followup-lock")
    assert victim.read_text() == "mitt" and not (tmp_path / "ut.xlsm").exists(), err


@pytest.mark.skipif(not POSIX, reason="FIFOs")
def test_a_fifo_as_lock_file_is_refused(tmp_path):
    os.mkfifo(lock_path(tmp_path / "bok.xlsx"))
    with pytest.raises(FollowupError, match="ingen vanlig fil"):
        with exclusive(tmp_path / "bok.xlsx", wait_seconds=0):
            pass


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_a_planted_backup_symlink_is_replaced_not_written_through(tmp_path):
    book = tmp_path / "bok.xlsm"
    shutil.copyfile(EXAMPLE, book)
    victim = tmp_path / "offer.txt"
    victim.write_text("mitt")
    (tmp_path / "bok.xlsm.bak").symlink_to(victim)
    proc = subprocess.run([sys.executable, "-m", "followup_xl", "calc", "bok.xlsm", "--backup"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "mitt"
    bak = tmp_path / "bok.xlsm.bak"
    assert not bak.is_symlink() and bak.read_bytes() == EXAMPLE.read_bytes()


@pytest.mark.skipif(not POSIX, reason="modes")
def test_files_beside_a_0600_workbook_are_0600_from_the_start(tmp_path):
    book = tmp_path / "bok.xlsx"
    book.write_bytes(b"old")
    os.chmod(book, 0o600)
    seen = {}
    old_umask = os.umask(0o022)
    try:
        with exclusive(book):
            seen["lock"] = stat.S_IMODE(os.stat(lock_path(book)).st_mode)

            def write(f) -> None:  # while the temporary file is being written
                seen["tmp"] = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
                f.write(b"new")

            atomic_write(book, write, backup=True)
    finally:
        os.umask(old_umask)
    assert seen == {"lock": 0o600, "tmp": 0o600}
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "bok.xlsx.bak").stat().st_mode) == 0o600


@pytest.mark.skipif(not POSIX, reason="FIFOs and devices")
@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_only_a_regular_file_is_read(tmp_path, kind):
    book = tmp_path / "bok.xlsm"
    if kind == "fifo":
        os.mkfifo(book)  # reading it would block forever
    elif kind == "device":
        book.symlink_to("/dev/zero")  # reading it would never end
    else:
        book.mkdir()
    assert_refused(calc(tmp_path), "'bok.xlsm'")


def test_a_missing_file_is_named_in_swedish(tmp_path):
    assert_refused(calc(tmp_path, "saknas.xlsm"), "'saknas.xlsm'", "finns inte")


def test_os_errors_in_swedish():
    import errno
    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "åtkomst nekad"
    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "disken är full"
    assert os_reason(FileNotFoundError(errno.ENOENT, "x")) == "filen finns inte"


# --- the package: bounded, and every malformed part named ------------------------------------

def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    for name in ("xl/worksheets/sheet3.xml", "xl/media/oanvand.bin"):  # used, and unreferenced
        with zipfile.ZipFile(EXAMPLE) as zin, zipfile.ZipFile(tmp_path / "bok.xlsm", "w") as z:
            for info in zin.infolist():
                if info.filename != name:
                    z.writestr(info, zin.read(info.filename), zipfile.ZIP_DEFLATED)
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w") as fh:
                for _ in range(limits.RATIO_GRACE // (1 << 20) + 1):
                    fh.write(b"\0" * (1 << 20))
        assert_refused(calc(tmp_path), "'bok.xlsm'", name, "zip-bomb")


def test_a_part_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    from followup_xl.xlsx.book import XlsxBook
    monkeypatch.setattr(limits, "MAX_PART_SIZE", 1000)  # the limit, scaled down to the example
    with pytest.raises(FollowupError, match="mer än gränsen"):
        XlsxBook(EXAMPLE)


def drift_entry(tmp_path: Path) -> tuple[Path, str, zipfile.ZipInfo, bytearray]:
    """A copy of the example, its Drift sheet's zip entry and the file's bytes to damage."""
    book = shutil.copyfile(EXAMPLE, tmp_path / "bok.xlsm")
    name = sheet_part(EXAMPLE, "Drift")
    with zipfile.ZipFile(book) as z:
        info = z.getinfo(name)
    return book, name, info, bytearray(book.read_bytes())


def test_a_corrupt_deflate_stream_is_named(tmp_path):
    book, name, info, data = drift_entry(tmp_path)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 20, start + info.compress_size - 4):
        data[i] ^= 0x5A
    book.write_bytes(bytes(data))
    assert_refused(calc(tmp_path), "'bok.xlsm'", name)


@pytest.mark.parametrize("which", ["sheet", "sharedStrings", "workbook", "table",
                                   "content types", "styles"])
def test_bad_xml_in_a_part_is_named(tmp_path, which):
    name = {"sheet": sheet_part(EXAMPLE, "Drift"), "sharedStrings": "xl/sharedStrings.xml",
            "workbook": "xl/workbook.xml", "table": table_part(EXAMPLE, "Drift"),
            "content types": "[Content_Types].xml", "styles": "xl/styles.xml"}[which]
    good = part(EXAMPLE, name)
    rewrite(EXAMPLE, tmp_path / "bok.xlsm", {name: good[: len(good) // 2] + b"<<&"})
    assert_refused(calc(tmp_path), "'bok.xlsm'", name)


@pytest.mark.parametrize("missing, said", [
    ("xl/styles.xml", "hänvisar till cellformat"),
    ("xl/_rels/workbook.xml.rels", "delen 'xl/_rels/workbook.xml.rels' saknas"),
    ("xl/sharedStrings.xml", "hänvisar till den delade strängen")])
def test_a_missing_part_is_named_or_the_first_cell_that_needs_it(tmp_path, missing, said):
    rewrite(EXAMPLE, tmp_path / "bok.xlsm", {missing: None})
    assert_refused(calc(tmp_path), "'bok.xlsm'", said, *([] if "rels" in missing else
                                                         ["på bladet 'Drift' cellen"]))


def test_out_of_range_string_and_style_indexes_are_named(tmp_path):
    with_cell_xml(tmp_path, "Personalkostnader", "Rad",
                  lambda ref: f'<c r="{ref}" t="s"><v>99999</v></c>')
    assert_refused(calc(tmp_path), "'bok.xlsm'", "delade strängen", "99999")
    with_cell_xml(tmp_path, "Personalkostnader", "Budget",
                  lambda ref: f'<c r="{ref}" s="9999"><v>1</v></c>')
    assert_refused(calc(tmp_path), "'bok.xlsm'", "cellformat", "9999")


# --- cells the file stores badly: a message naming the cell ----------------------------------

@pytest.mark.parametrize("stored", ['<v>NaN</v>', '<v>INF</v>', '<v>1e</v>', '<v>0x10</v>',
                                    '<v>²</v>', '<v>-²</v>', '<v>٣</v>'])
def test_a_badly_stored_number_names_its_cell(tmp_path, stored):
    sheet, cell = drift_cell(EXAMPLE, "Personalkostnader", "Budget")
    with_cell_xml(tmp_path, "Personalkostnader", "Budget", lambda ref: f'<c r="{ref}">{stored}</c>')
    assert_refused(calc(tmp_path), f"{sheet}!{cell}")


def test_a_bad_iso_date_names_its_cell(tmp_path):
    sheet, cell = drift_cell(EXAMPLE, "Personalkostnader", "Budget")
    with_cell_xml(tmp_path, "Personalkostnader", "Budget",
                  lambda ref: f'<c r="{ref}" t="d"><v>2024-13-45</v></c>')
    assert_refused(calc(tmp_path), f"{sheet}!{cell}")


# --- the file's kind ---------------------------------------------------------------------------

def test_an_extension_that_does_not_match_the_content_is_refused(tmp_path):
    shutil.copyfile(EXAMPLE, tmp_path / "bok.xlsx")  # a macro workbook named .xlsx
    assert_refused(calc(tmp_path, "bok.xlsx"), "'bok.xlsx'", ".xlsm")
    ct = part(EXAMPLE, "[Content_Types].xml").replace(
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    rewrite(EXAMPLE, tmp_path / "bok.xlsm", {"[Content_Types].xml": ct})
    assert_refused(calc(tmp_path), "'bok.xlsm'", "utan makron")


# --- defined names and tables as Excel sees them --------------------------------------------

def with_name(tmp_path: Path, name: str, target: str) -> Path:
    xml = part(EXAMPLE, "xl/workbook.xml").decode()
    xml, n = re.subn(rf'(<definedName name="{name}"[^>]*>)[^<]*(</definedName>)',
                     lambda m: m.group(1) + target + m.group(2), xml)
    assert n == 1
    return rewrite(EXAMPLE, tmp_path / "bok.xlsm", {"xl/workbook.xml": xml.encode()})


@pytest.mark.parametrize("target, why", [
    ("#REF!$B$6", "trasig referens"),
    ("'Inställningar'!#REF!", "trasig referens"),
    ("'Finns inte'!$B$6", "bladet 'Finns inte' finns inte"),
    ("'Inställningar'!$B$6:$B$7", "ett område"),
    ("'Inställningar'!$B:$B", "hela kolumner"),
    ("Ar", "ett annat namn"),
    ("'Inställningar'!$B$1048577", "utanför bladet"),
])
def test_a_broken_name_is_a_fel_naming_it_never_the_default(tmp_path, target, why):
    book = with_name(tmp_path, "Teckenkonvention", target)
    assert_refused(calc(tmp_path), "Teckenkonvention", why)
    assert_only_kontroll_changed(parts(book), cell_values(book), tmp_path / "ut.xlsm")


def test_a_table_with_an_invalid_range_is_named(tmp_path):
    name = table_part(EXAMPLE, "Drift")
    xml = re.sub(r'ref="([A-Z]+[0-9]+):([A-Z]+)[0-9]+"', r'ref="\1:\2"', part(EXAMPLE, name).decode(),
                 count=1)
    rewrite(EXAMPLE, tmp_path / "bok.xlsm", {name: xml.encode()})
    assert_refused(calc(tmp_path), "'bok.xlsm'", name, "ogiltigt område")


def test_an_unsupported_compression_is_named(tmp_path):
    book, name, info, data = drift_entry(tmp_path)
    data[info.header_offset + 8] = 9  # deflate64 in the local header and the directory
    for i in range(len(data) - 4):
        if data[i : i + 4] == b"PK\x01\x02" and data[i + 42 : i + 46] == \
                info.header_offset.to_bytes(4, "little"):
            data[i + 10] = 9
    book.write_bytes(bytes(data))
    assert_refused(calc(tmp_path), "'bok.xlsm'", name)


def test_a_docx_with_an_owner_file_is_open_in_word(tmp_path):
    from followup_xl.xlsx.safefile import check_not_open
    doc = tmp_path / "rapport.docx"
    doc.write_bytes(b"PK")
    (tmp_path / "~$rapport.docx").write_bytes(b"\x04Anna" + b" " * 60)
    with pytest.raises(FollowupError, match="öppet i Word") as err:
        check_not_open(doc)
    assert "Excel" not in str(err.value)


def test_quoted_sheet_names_with_apostrophes_are_understood():
    assert name_target("'Bob''s blad'!$B$3", ["Bob's blad"]) == ("Bob's blad", "B3")
    assert name_target("=Drift!C6", ["Drift"]) == ("Drift", "C6")
    assert name_target("'drift'!C6:C6", ["Drift"]) == ("Drift", "C6")


def test_a_table_stretched_to_the_last_row_costs_what_its_data_costs(tmp_path):
    from workbooks import cell_values
    name = table_part(EXAMPLE, "Atgarder")
    xml = part(EXAMPLE, name).decode()
    xml = re.sub(r'ref="([A-Z]+[0-9]+):([A-Z]+)[0-9]+"', r'ref="\1:\g<2>1048576"', xml)
    stretched, plain = tmp_path / "stretched", tmp_path / "plain"
    stretched.mkdir(), plain.mkdir()
    rewrite(EXAMPLE, stretched / "bok.xlsm", {name: xml.encode()})
    shutil.copyfile(EXAMPLE, plain / "bok.xlsm")
    for folder in (stretched, plain):
        proc = calc(folder)  # a million declared rows: bounded by the data, not the ref
        assert proc.returncode == 0, proc.stderr
    assert cell_values(stretched / "ut.xlsm") == cell_values(plain / "ut.xlsm")


def test_the_excel_button_gives_the_same_fel_for_a_broken_name(remote):
    """Through xlwings' remote engine (a real ``Book``): a contract name whose reference is
    ``#REF!`` is a Fel naming it, as in the file reader, never the default."""
    from followup_xl.doors.excel import layout_from_book
    from remote_payload import payload_from_file
    payload = payload_from_file(EXAMPLE)
    for n in payload["names"]:
        if n["name"] == "Teckenkonvention":
            n["refers_to"] = "=#REF!$B$6"
            n["address"] = "#REF!"
    layout = layout_from_book(remote(payload=payload))
    texts = [m.text for m in layout.messages]
    assert layout.name("Teckenkonvention") is None
    assert any("Teckenkonvention" in t and "#REF!$B$6" in t for t in texts), texts


def test_a_cell_outside_every_table_is_read_from_the_file(tmp_path):
    """``get`` answers for any cell, not only the contract's: a job that must find the
    cells below a table empty sees what the file holds."""
    from followup_xl.workbook.xlsx_file import open_workbook
    from workbooks import set_cells
    book = shutil.copyfile(EXAMPLE, tmp_path / "bok.xlsm")
    layout, _ = open_workbook(book)
    t = layout.table("Drift")
    below = f"{t.column('Rad')}{t.last_row + 5}"
    set_cells(book, [((t.sheet, below), "anteckning")])
    layout, get = open_workbook(book)
    assert get(t.sheet, below) == "anteckning"
    assert get(t.sheet, f"{t.column('Rad')}{t.last_row + 6}") is None
