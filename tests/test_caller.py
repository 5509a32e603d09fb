"""What goes wrong around a click before anything is computed, caught and told in Swedish
(followup_xl/doors/caller.py, followup_xl.main): which workbook was clicked, where it lies,
and a Python that has followup_xl but not what it needs.

The workbooks are real xlwings Books from the remote engine (tests/test_button.py). To let
xlwings' own ``Book.caller()`` run as in desktop Excel, :func:`as_excel_starts_python`
gives this process the arguments xlwings' VBA starts Python with (``--wb=NAME
--from_xl=1``), makes the remote engine the active one (desktop Excel's engine is), and
gives its App the version number desktop Excel reports (the remote engine has none). On
Linux ``Book.caller()`` then takes its macOS branch: it looks the workbook up by name.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import xlwings as xw

from followup_xl import __version__
from followup_xl.doors import caller
from followup_xl.doors import excel as xl
from remote_payload import alerts, written_cells
from excel_helpers import as_excel_starts_python, as_written, build_workbook, headless_plan

OUTLOOK = (r"C:\Users\eva\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook"
           r"\AB12CD34\SN uppföljning maj 2024.xlsm")


def mac_mangled(name: str) -> str:
    """A name as xlwings issue 2004 shows it arriving from Excel on macOS: the UTF-8
    bytes of its decomposed form read as Mac Roman."""
    return unicodedata.normalize("NFD", name).encode("utf-8").decode("mac_roman")


def assert_computed(book, path):
    assert written_cells(book) == as_written(headless_plan(path)[2])


# --- Which workbook ---------------------------------------------------------------------------

def test_the_mangling_model_is_the_one_issue_2004_shows():
    assert mac_mangled("Multikontoauszüge ab 2013.xlsm") == "MultikontoauszuÃàge ab 2013.xlsm"
    assert mac_mangled("SN uppföljning maj 2024.xlsm") == "SN uppfoÃàljning maj 2024.xlsm"


def test_the_name_is_everything_after_the_first_equals_sign():
    assert caller.argv_book_name(["-c", "--wb=Prognos=Budget.xlsm", "--from_xl=1"]) == \
        "Prognos=Budget.xlsm"
    assert caller.argv_book_name(['--wb="SN maj.xlsm"']) == "SN maj.xlsm"
    assert caller.argv_book_name(["-c", "--from_xl=1"]) is None
    assert caller.name_forms("SN maj.xlsm") == ["SN maj.xlsm"]
    assert caller.same_name(caller.name_forms(mac_mangled("Åtgärd ö.xlsm"))[1], "åtgärd Ö.XLSM")


NAMES = ["SN uppföljning maj 2024.xlsm", "Å Ä Ö å ä ö.xlsm", "Prognos=Budget 2024.xlsm",
         "a=b ö.xlsx"]


@pytest.mark.parametrize("name", NAMES)
def test_the_clicked_workbook_is_found_by_its_name(remote, tmp_path, monkeypatch, name):
    """The clicked workbook is found among the open ones, also when another follow-up is
    in front: by xlwings' lookup, or by ours where xlwings cuts the name at '='."""
    path = build_workbook(tmp_path / f"u{Path(name).suffix}")
    book = remote(path, name=name)
    other = remote(build_workbook(tmp_path / "annan.xlsm"), name="Annan uppföljning.xlsm")
    as_excel_starts_python(monkeypatch, name)
    if "=" in name:
        with pytest.raises(TypeError, match="NoneType"):  # xlwings finds no book and
            xw.Book.caller()  # indexes None: it looks for the text between the first two '='
    else:
        assert xw.Book.caller().name == name
    xl.main()
    assert_computed(book, path)
    assert written_cells(other) == {}
    # (the remote engine records a message box with the book in front)
    (box,) = alerts(other)
    assert box["prompt"] == "Beräkningen är klar med 1 varning, se bladet Kontroll."


def test_a_workbook_named_like_the_cut_name_is_not_taken(remote, tmp_path, monkeypatch):
    """xlwings looks for "Prognos=Budget.xlsm" as "Prognos": an open workbook of that
    name is not the one clicked."""
    path = build_workbook(tmp_path / "u.xlsm")
    book = remote(path, name="Prognos=Budget.xlsm")
    decoy = remote(build_workbook(tmp_path / "annan.xlsm"), name="Prognos")
    as_excel_starts_python(monkeypatch, "Prognos=Budget.xlsm")
    assert xw.Book.caller() == decoy
    xl.main()
    assert_computed(book, path)
    assert written_cells(decoy) == {}


@pytest.mark.parametrize("name", NAMES[:2])
def test_a_name_mangled_on_mac_is_repaired(remote, tmp_path, monkeypatch, name):
    path = build_workbook(tmp_path / "u.xlsm")
    book = remote(path, name=name)
    remote(build_workbook(tmp_path / "annan.xlsm"), name="Annan uppföljning.xlsm")
    as_excel_starts_python(monkeypatch, mac_mangled(name))
    with pytest.raises(TypeError, match="NoneType"):  # xlwings finds no book of that name
        xw.Book.caller()
    assert caller.find_book() == caller.Found(book)
    xl.main()
    assert_computed(book, path)


def test_an_unknown_name_falls_back_to_the_active_workbook_and_says_so(remote, tmp_path,
                                                                       monkeypatch):
    path = build_workbook(tmp_path / "u.xlsm")
    book = remote(path, name="SN uppföljning maj 2024.xlsm")  # in front
    as_excel_starts_python(monkeypatch, "SN uppf?ljning maj 2024.xlsm")  # ö lost on the way
    xl.main()
    assert_computed(book, path)
    note = ("Excel angav arbetsboken som 'SN uppf?ljning maj 2024.xlsm', och ingen öppen "
            "arbetsbok heter så (det händer på Mac när namnet har å, ä eller ö), så den "
            "aktiva arbetsboken 'SN uppföljning maj 2024.xlsm' har beräknats.")
    (box,) = alerts(book)
    assert box["prompt"] == f"Beräkningen är klar med 1 varning, se bladet Kontroll.\n\n{note}"


def test_without_a_name_the_active_workbook_is_computed_and_that_is_said(remote, tmp_path,
                                                                         monkeypatch):
    path = build_workbook(tmp_path / "u.xlsm")
    book = remote(path)
    as_excel_starts_python(monkeypatch, None)
    run = xl.berakna(caller.find_book().book, notes=[caller.find_book().note])
    assert run.sentence.endswith("Excel angav inte vilken arbetsbok som klickades, så den "
                                 "aktiva arbetsboken 'u.xlsm' har beräknats.")
    assert_computed(book, path)


def test_the_fallback_refuses_an_active_workbook_without_the_tables(remote, tmp_path,
                                                                    monkeypatch):
    import xlsxwriter

    path = tmp_path / "annat.xlsx"
    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet("Blad1").write("A1", "Budget 2025")
    wb.close()
    remote(build_workbook(tmp_path / "u.xlsm"), name="SN uppföljning maj 2024.xlsm")
    other = remote(path)  # in front
    as_excel_starts_python(monkeypatch, "SN uppfoljning.xlsm")
    with pytest.raises(SystemExit) as stop:
        xl.main()
    assert str(stop.value).startswith("Inget har beräknats: Den aktiva arbetsboken "
                                      "'annat.xlsx' är ingen uppföljning (tabellerna 'Drift' "
                                      "och 'Kontroll' saknas).")
    assert written_cells(other) == {}


# --- Where it lies ------------------------------------------------------------------------------

@pytest.mark.parametrize("fullname, temp", [
    (OUTLOOK, []),
    (r"C:\Users\eva\AppData\Local\Microsoft\Windows\Temporary Internet Files\Content.Outlook"
     r"\X1\SN.xlsm", []),
    (r"C:\Users\eva\AppData\Local\Temp\Temp1_bilaga.zip\SN uppföljning.xlsm",
     [r"C:\Users\eva\AppData\Local\Temp"]),
    ("/Users/eva/Library/Containers/com.microsoft.Outlook/Data/tmp/Outlook Temp/SN.xlsm", []),
    ("/Users/eva/Library/Containers/com.apple.mail/Data/Library/Mail Downloads/AB/SN.xlsm",
     []),
    ("/var/folders/x1/T/SN.xlsm", ["/var/folders/x1/T/"]),
])
def test_a_workbook_in_a_temporary_folder_is_refused(fullname, temp):
    reason, notes = caller.place_problems(fullname, temp_dirs=temp)
    assert reason.startswith("Arbetsboken är öppnad från en tillfällig mapp (till exempel "
                             "en bilaga i e-post: ")
    assert "Spara den först i din mapp för uppföljningar (Arkiv › Spara som)" in reason
    assert notes == []


@pytest.mark.parametrize("fullname", [
    r"C:\Users\eva\Documents\Uppföljning\SN uppföljning maj 2024.xlsm",
    r"\\kommun.local\ekonomi\Uppföljning\SN.xlsm",
    "/Users/eva/Documents/SN uppföljning maj 2024.xlsm",
    "https://kommun.sharepoint.com/sites/ekonomi/Delade dokument/SN.xlsm",
    "Mapp1",  # a new workbook that was never saved
    "",
])
def test_ordinary_places_pass(fullname):
    assert caller.place_problems(fullname, temp_dirs=[r"C:\Users\eva\AppData\Local\Temp",
                                                      "/var/folders/x1/T"]) == (None, [])


def test_read_only_is_refused(tmp_path):
    path = build_workbook(tmp_path / "u.xlsm")
    assert caller.place_problems(str(path), temp_dirs=[]) == (None, [])
    reason, _ = caller.place_problems(str(path), read_only=True, temp_dirs=[])
    assert reason.startswith("Arbetsboken är öppnad skrivskyddad, så resultaten skulle inte "
                             "gå att spara i den.")
    path.chmod(0o444)  # the file's read-only attribute (checked even for root)
    assert caller.place_problems(str(path), temp_dirs=[])[0] == reason


@pytest.mark.parametrize("content, zone", [
    (b"[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=about:internet\r\n", 3),
    ("[ZoneTransfer]\r\nZoneId=4\r\n".encode("utf-16"), 4),
    (b"[ZoneTransfer]\r\nZoneId=2\r\n", 2),  # trusted sites: Office does not block
    (b"", None),
])
def test_the_mark_of_the_web_is_read(tmp_path, content, zone):
    path = build_workbook(tmp_path / "u.xlsm")
    assert caller.download_zone(str(path)) is None
    # On NTFS this is the file's alternate data stream; here a file of that name.
    Path(f"{path}:Zone.Identifier").write_bytes(content)
    assert caller.download_zone(str(path)) == zone
    reason, notes = caller.place_problems(str(path), temp_dirs=[])
    assert reason is None
    assert len(notes) == (1 if zone in (3, 4) else 0)
    if notes:
        assert notes[0].startswith("Filen är märkt som hämtad från ")
        assert "högerklicka på den i Utforskaren › Egenskaper › kryssa i Avblockera" in notes[0]
        assert "betrodd plats" in notes[0]


@pytest.fixture
def in_folder(monkeypatch):
    """Give remote Books the full name desktop Excel reports (the remote engine's has no
    folder): FOLDER/NAME. The user's TEMP variables are cleared, so that the test's own
    temporary folder does not count as one."""
    from xlwings.pro import _xlremote

    for var in ("TEMP", "TMP", "TMPDIR"):
        monkeypatch.delenv(var, raising=False)

    def place(folder: Path):
        monkeypatch.setattr(_xlremote.Book, "fullname",
                            property(lambda self: str(folder / self.name)))
    return place


def test_through_the_button_read_only_and_attachments_are_refused(remote, tmp_path,
                                                                  in_folder):
    for folder, chmod, start in (
            (tmp_path / "INetCache" / "Content.Outlook" / "AB12CD34", None,
             "Inget har beräknats: Arbetsboken är öppnad från en tillfällig mapp"),
            (tmp_path / "Uppföljning", 0o444,
             "Inget har beräknats: Arbetsboken är öppnad skrivskyddad")):
        folder.mkdir(parents=True)
        path = build_workbook(folder / "SN uppföljning maj 2024.xlsm")
        if chmod:
            path.chmod(chmod)
        in_folder(folder)
        book = remote(path)
        run = xl.berakna(book)
        assert run.level == "Avbrutet" and run.sentence.startswith(start)
        assert written_cells(book) == {}
        assert alerts(book)[0]["mode"] == "critical"


def test_through_the_button_a_marked_file_is_computed_with_a_note(remote, tmp_path,
                                                                  in_folder):
    path = build_workbook(tmp_path / "SN uppföljning maj 2024.xlsm")
    Path(f"{path}:Zone.Identifier").write_text("[ZoneTransfer]\nZoneId=3\n")
    in_folder(tmp_path)
    book = remote(path)
    run = xl.berakna(book)
    assert_computed(book, path)
    assert run.sentence.startswith("Beräkningen är klar med 1 varning, se bladet Kontroll. "
                                   "Filen är märkt som hämtad från internet eller e-post")
    assert alerts(book)[0]["prompt"] == run.text


def test_the_version_is_compared_before_anything_else(remote, tmp_path, in_folder):
    old = [(k, "0.30.0" if k == xl.CONF_VERSION_KEY else v) for k, v in xl.CONF_ROWS]
    folder = tmp_path / "Content.Outlook"
    folder.mkdir()
    path = build_workbook(folder / "gammal.xlsm", conf=old)
    in_folder(folder)
    run = xl.berakna(remote(path))
    assert run.sentence.startswith("Inget har beräknats: Arbetsbokens makron kommer från "
                                   "xlwings 0.30.0")


# --- Python has followup_xl but not what it needs -------------------------------------------------

@pytest.mark.parametrize("command", [xl.BUTTON_COMMAND, xl.ADDIN_COMMAND])
@pytest.mark.parametrize("missing", ["lxml", "docx"])  # the xlsx package's, the report's
def test_a_missing_dependency_is_explained(command, missing):
    """The exact command of each door, in a Python where one dependency cannot be
    imported: the Swedish explanation goes to stderr (xlwings' VBA shows it) with exit
    code 1, before any workbook is looked for."""
    code = f"import sys; sys.modules[{missing!r}] = None; {command}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Inget har beräknats: Python ({sys.executable}) har followup_xl {__version__}, men inte "
        f"modulen '{missing}' som det behöver. Be IT installera om followup-xl med alla "
        "beroenden i den Python-miljön (README, Set-up for IT, steg 2).")
