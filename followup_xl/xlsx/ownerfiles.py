"""Is a file open in Excel, Word or LibreOffice? Their lock files beside it say so.

Office writes an owner file ``~$`` + the name (Word shortens long names) holding the
user's name; LibreOffice writes ``.~lock.NAME#`` with user and host. :func:`check_not_open`
refuses, naming the program and the user, when one lies beside the file. Lock files are
read only when they are regular files, never through a link, and only their first bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from followup_xl.errors import FollowupError

__all__ = ["check_not_open", "owner_file_candidates"]

_APPS = {".docx": "Word", ".docm": "Word", ".doc": "Word"}


def read_head(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of a regular file (no link followed, never blocking)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)
def owner_file_candidates(name: str) -> list[str]:
    """Names of the Office owner file that marks ``name`` as open.

    Excel (and PowerPoint) write ``~$`` + the full file name. Word shortens long names:
    with a stem of 8 or more characters ``~$`` replaces the first two characters, with 7
    characters the first one (rule as reverse-engineered by LibreOffice's
    msodocumentlockfile.cxx). Both forms are checked, Excel's first.
    """
    out = ["~$" + name]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if len(stem) >= 8:
        out.append("~$" + name[2:])
    elif len(stem) == 7:
        out.append("~$" + name[1:])
    return out


def _read_owner_file(path: Path) -> str | None:
    """User name from an Office owner file: byte 0 = length of the name (at most 52), then
    the name in the Windows ANSI code page; a 2-byte length and the UTF-16-LE name follow at
    offset 54 (Word) or 55 (Excel/PowerPoint)."""
    data = read_head(path, 512)
    if not data:
        return None
    n = data[0]
    if len(data) >= 57 and 0 < n <= 52:
        pos = 54
        n16 = data[pos]
        if n16 == 0x20 and (data[pos - 1] != 0 or data[pos - 2] != 0):
            pos = 55
            n16 = data[pos]
        if 0 < n16 <= 52 and len(data) >= pos + 2 + 2 * n16:
            try:
                name = data[pos + 2 : pos + 2 + 2 * n16].decode("utf-16-le").strip()
                if name:
                    return name
            except UnicodeDecodeError:
                pass
    if 0 < n <= 52 and len(data) > n:
        name = data[1 : 1 + n].decode("cp1252", errors="replace").strip()
        return name or None
    return None


def _read_libreoffice_lock(path: Path) -> tuple[str | None, str | None]:
    """(user, host) from a LibreOffice lock file ``.~lock.NAME#``.

    Format (svl/source/misc/lockfilecommon.cxx): one entry of five fields, each ended by
    ',' except the last which ends with ';': name from LibreOffice's user data, system
    user, host, time, user profile URL. ',', ';' and '\\' inside a field are escaped by '\\'.
    """
    data = read_head(path, 4096)
    if data is None:
        return None, None
    text = data.decode("utf-8", errors="replace")
    fields: list[str] = []
    cur, esc = "", False
    for ch in text:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch in ",;":
            fields.append(cur)
            cur = ""
            if ch == ";":
                break
        else:
            cur += ch
    while len(fields) < 3:
        fields.append("")
    user = fields[0].strip() or fields[1].strip() or None
    return user, fields[2].strip() or None


def _what(path: Path) -> str:
    """'Arbetsboken 'bok.xlsm' är öppen' or 'Dokumentet 'r.docx' är öppet'."""
    if _APPS.get(path.suffix.lower()):
        return f"Dokumentet '{path.name}' är öppet"
    return f"Arbetsboken '{path.name}' är öppen"


def _close_or_force(app: str) -> str:
    return ("Stäng filen och försök igen, eller kör med --force om du vet att den inte är "
            f"öppen i {app} (låsfilen kan vara kvar efter en krasch).")


def check_not_open(path: Path) -> None:
    """Refuse (FollowupError) if Excel or LibreOffice has ``path`` open.

    There is no ``force`` parameter: a forced run simply does not call this function.
    """
    path = Path(path)
    folder, name = path.parent, path.name
    try:
        present = {p.casefold(): p for p in os.listdir(folder)}
    except OSError:
        return
    for cand in owner_file_candidates(name):
        actual = present.get(cand.casefold())
        if actual is not None and (folder / actual).is_file():
            user = _read_owner_file(folder / actual)
            who = f"av {user}" if user else "av en okänd användare"
            app = _APPS.get(path.suffix.lower(), "Excel")
            raise FollowupError(
                f"{_what(path)} i {app} {who} (låsfilen '{actual}' finns). "
                + _close_or_force(app))
    lo = f".~lock.{name}#"
    actual = present.get(lo.casefold())
    if actual is not None and (folder / actual).is_file():
        user, host = _read_libreoffice_lock(folder / actual)
        who = f"av {user}" if user else "av en okänd användare"
        where = f" på datorn {host}" if host else ""
        raise FollowupError(
            f"{_what(path)} i LibreOffice {who}{where} (låsfilen '{actual}' finns). "
            + _close_or_force("LibreOffice"))


