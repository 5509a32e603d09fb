"""Which workbook a click means, and whether what is computed in it can be kept.

Both Excel doors -- the template's Beräkna button and the ribbon add-in
``followup_xl.xlam`` -- run xlwings' Excel-made ``RunPython``, which starts Python with
the workbook's name as ``--wb=NAME`` (the button's VBA passes its own workbook, the
add-in's VBA the active one); ``xw.Book.caller()`` looks the workbook up by that name.
That lookup fails in two known ways, and :func:`find_book` then finds the workbook
itself:

* xlwings splits the argument at every ``=`` and keeps the second piece, so a workbook
  named ``Budget=Prognos.xlsm`` is looked for as ``Prognos.xlsm``: the whole text after
  the first ``=`` is the name;
* on macOS the name can arrive with å, ä, ö decomposed and decoded as Mac Roman
  (xlwings issue 2004: ``ü`` arrives as ``uÃà``): that decoding is undone;

and when no open workbook has the name, the active workbook is used, after checking that
it holds the contract's tables, and the message box says so.

:func:`place_problems` looks at where the workbook lies before anything is written:
opened read-only, or from a temporary folder (an e-mail attachment), it is refused with
what to do; a file still marked as downloaded (Windows' Mark of the Web) is computed,
with a note on how to unblock it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath

import xlwings as xw

from followup_xl import contract as c
from followup_xl.errors import FollowupError

ADDIN_SUFFIXES = (".xlam", ".xla")
# The tables a workbook must have to be taken for a follow-up when xlwings could not say
# which workbook was clicked: the one the reader requires and the one messages go to.
FOLLOWUP_TABLES = (c.DRIFT, c.KONTROLL)


@dataclass
class Found:
    """The workbook to compute, and a Swedish sentence when it was found another way
    than through xlwings' own lookup."""

    book: object
    note: str | None = None


# --- Which workbook --------------------------------------------------------------------------

def find_book() -> Found:
    """The workbook the click means. From an add-in caller (``.xlam``) the workbook in
    front is meant. Raises :class:`FollowupError` when no follow-up can be found."""
    name = argv_book_name()
    try:
        book = xw.Book.caller()
    except Exception:
        return _without_caller(name)
    if name is not None and not any(same_name(book.name, f) for f in name_forms(name)):
        return _without_caller(name)  # "A=B.xlsm" was looked for as "A", and found
    if book.name.lower().endswith(ADDIN_SUFFIXES):
        return _active(lambda: book.app.books.active, None, addin=True)
    return Found(book)


def argv_book_name(argv: list[str] | None = None) -> str | None:
    """The workbook name xlwings' VBA passed (``--wb=NAME``), whole: everything after
    the first ``=``, also when the name itself holds one."""
    for arg in sys.argv if argv is None else argv:
        if arg.startswith("--wb="):
            return arg[len("--wb="):].strip().strip('"')
    return None


def name_forms(name: str) -> list[str]:
    """``name`` as passed, and as it was before macOS mangled it (UTF-8 bytes of the
    decomposed name read as Mac Roman, xlwings issue 2004), when that undoes cleanly."""
    forms = [name]
    try:
        repaired = name.encode("mac_roman").decode("utf-8")
    except UnicodeError:
        return forms
    if repaired != name:
        forms.append(repaired)
    return forms


def same_name(a: str, b: str) -> bool:
    """Workbook names compared as Excel does (case-insensitively), and with å, ä, ö
    composed or decomposed alike."""
    return (unicodedata.normalize("NFC", a).casefold()
            == unicodedata.normalize("NFC", b).casefold())


def _without_caller(name: str | None) -> Found:
    try:
        books = [book for app in xw.apps for book in app.books]
    except Exception:  # no Excel to ask: only the active workbook is left to try
        books = []
    for form in name_forms(name) if name else []:
        hits = [book for book in books if same_name(book.name, form)]
        if len(hits) == 1:
            return Found(hits[0])
    return _active(lambda: xw.books.active, name)


def _active(active, name: str | None, *, addin: bool = False) -> Found:
    """The active workbook (``active()``), if it holds the contract's tables."""
    try:
        book = active()
    except Exception:
        book = None
    if book is None:
        raise FollowupError("Ingen arbetsbok är öppen. Öppna uppföljningens arbetsbok, "
                            "klicka i den och klicka sedan Beräkna.")
    missing = [t for t in FOLLOWUP_TABLES if t.casefold() not in tables_of(book)]
    if missing:
        tables = " och ".join(f"'{t}'" for t in missing)
        raise FollowupError(
            f"Den aktiva arbetsboken '{book.name}' är ingen uppföljning ("
            f"{'tabellen' if len(missing) == 1 else 'tabellerna'} {tables} saknas). Klicka "
            "i uppföljningens arbetsbok och klicka sedan Beräkna igen.")
    if addin:
        return Found(book)
    if name:
        note = (f"Excel angav arbetsboken som '{name}', och ingen öppen arbetsbok heter "
                "så (det händer på Mac när namnet har å, ä eller ö), så den aktiva "
                f"arbetsboken '{book.name}' har beräknats.")
    else:
        note = ("Excel angav inte vilken arbetsbok som klickades, så den aktiva "
                f"arbetsboken '{book.name}' har beräknats.")
    return Found(book, note)


def tables_of(book) -> set[str]:
    """The (casefolded) names of a workbook's Excel Tables."""
    return {table.name.casefold() for sheet in book.sheets for table in sheet.tables}


# --- Where it lies ----------------------------------------------------------------------------

# Folders that hold files only for a while: where Outlook (Windows and Mac), Windows Mail
# and Apple Mail open attachments, and Internet Explorer's/Edge's cache.
TEMPORARY_FOLDERS = ("content.outlook", "inetcache", "temporary internet files",
                     "outlook temp", "com.microsoft.outlook", "mail downloads",
                     "microsoft.windowscommunicationsapps_8wekyb3d8bbwe")
BLOCKED_ZONES = {3: "internet", 4: "en webbplats med begränsad behörighet"}


def place_problems(fullname: str, *, read_only: bool = False,
                   temp_dirs: list[str] | None = None) -> tuple[str | None, list[str]]:
    """(a reason not to write, notes) for the workbook saved as ``fullname``.

    Refused: opened read-only (``read_only``, or the file's read-only attribute), or lying
    in a temporary folder (``temp_dirs``, default the user's TEMP, TMP and TMPDIR, or a
    mail program's attachment folder), where what is saved is lost. Noted: a file still
    marked as downloaded. A name without a folder (an unsaved workbook) or an address
    (OneDrive, SharePoint) has no place to check.
    """
    path = _pure(fullname)
    if path is None:
        return None, []
    if _in_temporary_folder(path, _temp_dirs() if temp_dirs is None else temp_dirs):
        return ("Arbetsboken är öppnad från en tillfällig mapp (till exempel en bilaga i "
                f"e-post: {path.parent}), och det som sparas där försvinner. Spara den "
                "först i din mapp för uppföljningar (Arkiv › Spara som), och klicka "
                "Beräkna i den sparade arbetsboken."), []
    if read_only or _read_only_file(fullname):
        return ("Arbetsboken är öppnad skrivskyddad, så resultaten skulle inte gå att spara "
                "i den. Stäng den och öppna den utan skrivskydd (är den öppen hos någon "
                "annan?), eller spara en kopia (Arkiv › Spara som) och klicka Beräkna i "
                "kopian."), []
    zone = download_zone(fullname)
    if zone in BLOCKED_ZONES:
        return None, [
            f"Filen är märkt som hämtad från {BLOCKED_ZONES[zone]} eller e-post, och då "
            "blockerar Excel normalt makron i den, så knappen Beräkna i själva "
            "arbetsboken kan sluta fungera. Ta bort märkningen: stäng filen, högerklicka "
            "på den i Utforskaren › Egenskaper › kryssa i Avblockera › OK; eller spara "
            "den i en betrodd plats."]
    return None, []


def _pure(fullname: str) -> PurePath | None:
    if not fullname or "://" in fullname:
        return None
    for kind in (PureWindowsPath, PurePosixPath):
        path = kind(fullname)
        if path.is_absolute():
            return path
    return None


def _temp_dirs() -> list[str]:
    return [os.environ[v] for v in ("TEMP", "TMP", "TMPDIR") if os.environ.get(v)]


def _in_temporary_folder(path: PurePath, temp_dirs: list[str]) -> bool:
    parts = [p.casefold() for p in path.parent.parts]
    if any(p in TEMPORARY_FOLDERS for p in parts):
        return True
    for temp in temp_dirs:
        tparts = [p.casefold() for p in type(path)(temp).parts]
        if tparts and parts[:len(tparts)] == tparts:
            return True
    return False


def _read_only_file(fullname: str) -> bool:
    """Whether the file has no write permission for its owner (on Windows: the read-only
    attribute)."""
    try:
        return not os.stat(fullname).st_mode & stat.S_IWUSR
    except OSError:
        return False


def download_zone(fullname: str) -> int | None:
    """The zone Windows recorded when the file was downloaded or saved from an e-mail:
    the ``ZoneId`` in its ``Zone.Identifier`` alternate data stream (3 = internet,
    4 = restricted sites), or None when it carries no such mark. ``open`` reaches the
    stream as ``NAME:Zone.Identifier`` on NTFS; elsewhere the same name is a plain file."""
    try:
        with open(fullname + ":Zone.Identifier", "rb") as f:
            raw = f.read(4096)
    except OSError:
        return None
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else \
        raw.decode("utf-8", "replace")
    m = re.search(r"^\s*ZoneId\s*=\s*(\d+)", text, re.MULTILINE | re.IGNORECASE)
    return int(m.group(1)) if m else None


def book_read_only(book) -> bool:
    """Whether Excel opened the workbook read-only (Windows: COM, macOS: AppleScript).
    Engines that cannot say (xlwings' remote engine) report False."""
    for read in (lambda: book.api.ReadOnly, lambda: book.api.read_only.get()):
        try:
            return bool(read())
        except Exception:
            continue
    return False


def book_fullname(book) -> str:
    """The workbook's full name, or "" when xlwings cannot tell (a OneDrive or
    SharePoint address it cannot map to a folder raises)."""
    try:
        return str(book.fullname)
    except Exception:
        return ""


def check_place(book) -> list[str]:
    """Refuse (FollowupError) a workbook whose results could not be kept; return notes."""
    reason, notes = place_problems(book_fullname(book), read_only=book_read_only(book))
    if reason:
        raise FollowupError(reason)
    return notes
