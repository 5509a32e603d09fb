"""Safe file handling for workbooks: lock detection, run exclusion, atomic replace.

* :func:`check_not_open` refuses when Excel's owner file (``~$NAME``) or LibreOffice's lock
  file (``.~lock.NAME#``) lies beside the workbook, naming the user recorded in it.
* :func:`exclusive` makes two followup-xl runs on the same workbook take turns. It locks a
  sidecar file ``.NAME.followup-lock`` in the workbook's folder (never the workbook itself,
  whose inode an atomic rename replaces) and removes the sidecar again when done.
* :func:`atomic_write` writes a complete new file beside the target, flushes it to disk and
  renames it over the target, so that a crash leaves either the old or the new workbook.

See ``docs/writer.md`` for the reasoning.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
import secrets
import shutil
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from followup_xl.errors import FollowupError

__all__ = [
    "atomic_write",
    "backup_path",
    "check_not_open",
    "exclusive",
    "lock_path",
    "owner_file_candidates",
]

_WINDOWS = sys.platform == "win32"
if _WINDOWS:  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

TEMP_SUFFIX = ".followup-tmp"
LOCK_SUFFIX = ".followup-lock"
CRASH_ENV = "FOLLOWUP_XL_CRASH_AT"


def _checkpoint(name: str) -> None:
    """Test seam for the kill tests: with FOLLOWUP_XL_CRASH_AT=<name> in the environment the
    process dies here at once, as if killed (no cleanup, no exception handlers)."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(86)


# --------------------------------------------------------------------------------------
# Is the workbook open in Excel or LibreOffice?
# --------------------------------------------------------------------------------------
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
    try:
        data = path.read_bytes()[:512]
    except OSError:
        return None
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
    try:
        text = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except OSError:
        return None, None
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


_CLOSE_OR_FORCE = ("Stäng arbetsboken och försök igen, eller kör med --force om du vet att "
                   "den inte är öppen (låsfilen kan vara kvar efter en krasch).")


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
            raise FollowupError(
                f"Arbetsboken '{name}' är öppen i Excel {who} (låsfilen '{actual}' finns). "
                + _CLOSE_OR_FORCE)
    lo = f".~lock.{name}#"
    actual = present.get(lo.casefold())
    if actual is not None and (folder / actual).is_file():
        user, host = _read_libreoffice_lock(folder / actual)
        who = f"av {user}" if user else "av en okänd användare"
        where = f" på datorn {host}" if host else ""
        raise FollowupError(
            f"Arbetsboken '{name}' är öppen i LibreOffice {who}{where} (låsfilen '{actual}' "
            "finns). " + _CLOSE_OR_FORCE)


# --------------------------------------------------------------------------------------
# Two runs on the same workbook take turns
# --------------------------------------------------------------------------------------
def _real(path: Path) -> Path:
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path.absolute()


def lock_path(path: Path) -> Path:
    """The sidecar file that :func:`exclusive` locks for ``path``."""
    real = _real(path)
    return real.parent / f".{real.name}{LOCK_SUFFIX}"


_held: dict[str, list[int]] = {}  # lock key -> [owning thread id, depth]
_held_guard = threading.Lock()


def _try_lock(fd: int) -> bool:
    try:
        if _WINDOWS:  # pragma: no cover
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        if _WINDOWS:  # pragma: no cover
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _holder(path: Path) -> str:
    try:
        text = path.read_text("utf-8", errors="replace").strip()
    except OSError:
        return ""
    info = dict(part.split("=", 1) for part in text.split() if "=" in part)
    bits = []
    if info.get("pid"):
        bits.append(f"process {info['pid']}")
    if info.get("host"):
        bits.append(f"på datorn {info['host']}")
    if info.get("since"):
        bits.append(f"sedan {info['since']}")
    return f" ({' '.join(bits)})" if bits else ""


@contextlib.contextmanager
def exclusive(path: Path, wait_seconds: float = 30) -> Iterator[None]:
    """Hold the followup-xl lock for the workbook ``path`` (re-entrant within a thread).

    A second run waits up to ``wait_seconds`` and then refuses with FollowupError. The lock
    is an OS lock (flock on POSIX, msvcrt.locking on Windows) on the sidecar file
    ``.NAME.followup-lock``; the kernel drops it when the process dies. On POSIX the sidecar
    is unlinked while still locked, and a process that wins the lock re-checks that the path
    still names the file it locked, so removing the sidecar cannot let two runs in at once.
    """
    lp = lock_path(path)
    key = os.path.normcase(str(lp))
    me = threading.get_ident()
    with _held_guard:
        entry = _held.get(key)
        if entry is not None and entry[0] == me:
            entry[1] += 1
            reentrant = True
        else:
            reentrant = False
    if reentrant:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return

    deadline = time.monotonic() + max(0.0, wait_seconds)
    delay = 0.02
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    while True:
        try:
            fd = os.open(lp, flags, 0o644)
        except OSError as exc:
            raise FollowupError(
                f"Kan inte skapa låsfilen '{lp.name}' i mappen för '{Path(path).name}' "
                f"({exc.strerror or exc}). Kontrollera att mappen går att skriva i."
            ) from exc
        if _try_lock(fd):
            if _same_file(fd, lp):
                break
            _unlock(fd)
            os.close(fd)
            continue
        os.close(fd)
        if time.monotonic() >= deadline:
            raise FollowupError(
                f"Arbetsboken '{Path(path).name}' används redan av en annan körning av "
                f"followup-xl{_holder(lp)}. Vänta tills den är klar och försök igen."
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)

    try:
        since = _dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        info = f"pid={os.getpid()} host={socket.gethostname()} since={since}\n".encode()
        if not _WINDOWS:
            os.ftruncate(fd, 0)
            os.write(fd, info)
    except OSError:
        pass
    with _held_guard:
        _held[key] = [me, 1]
    try:
        yield
    finally:
        with _held_guard:
            _held.pop(key, None)
        if _WINDOWS:  # pragma: no cover
            _unlock(fd)
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(lp)  # fails harmlessly while another run has it open
        else:
            if _same_file(fd, lp):
                with contextlib.suppress(OSError):
                    os.unlink(lp)
            _unlock(fd)
            os.close(fd)


# --------------------------------------------------------------------------------------
# Atomic replace
# --------------------------------------------------------------------------------------
def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _temp_name(real: Path) -> Path:
    return real.parent / (
        f".{real.name}.{secrets.token_hex(4)}.{os.getpid()}@{_host_tag()}{TEMP_SUFFIX}"
    )


def _temp_pattern(real: Path) -> re.Pattern[str]:
    return re.compile(
        r"^\." + re.escape(real.name) + r"\.[0-9a-f]{8}\.(\d+)@([0-9a-f]{6})"
        + re.escape(TEMP_SUFFIX) + r"$"
    )


def _pid_alive(pid: int) -> bool:
    if _WINDOWS:  # pragma: no cover - os.kill would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale_temps(real: Path) -> None:
    """Delete temp files of earlier runs on this computer whose process is gone (a run
    killed mid-write). Files of live processes and of other computers are left alone."""
    pat, host = _temp_pattern(real), _host_tag()
    try:
        names = os.listdir(real.parent)
    except OSError:
        return
    for name in names:
        m = pat.match(name)
        if m and m.group(2) == host and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(real.parent / name)


def _create_exclusive(path: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    os.close(os.open(path, flags, 0o666))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if _WINDOWS:  # pragma: no cover - directories cannot be opened for fsync on Windows
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not support fsync on directories
    finally:
        os.close(fd)


def backup_path(path: Path) -> Path:
    """Where :func:`atomic_write` keeps the previous file: ``NAME.bak`` beside it."""
    real = _real(path)
    return real.with_name(real.name + ".bak")


def atomic_write(dst: Path, write: Callable[[Path], None], backup: bool = False) -> None:
    """Replace ``dst`` by the file that ``write(tmp)`` writes, atomically.

    ``write`` gets the path of an empty temp file in dst's folder and must write the
    complete new file there. Then the temp file is flushed to disk (fsync), the previous
    ``dst`` is kept as ``NAME.bak`` if ``backup`` (overwriting an older backup), the temp
    file is renamed over ``dst`` (os.replace) and the folder is flushed. A crash at any
    moment leaves the old or the new ``dst``; after an exception no temp file remains. If
    ``dst`` is a symbolic link, the file it points to is replaced.
    """
    real = _real(Path(dst))
    folder = real.parent
    if not folder.is_dir():
        raise FollowupError(f"Mappen för '{real.name}' finns inte.")
    _remove_stale_temps(real)
    tmp = _temp_name(real)
    bak_tmp: Path | None = None
    replaced = False
    try:
        _create_exclusive(tmp)
        _checkpoint("tmp-created")
        write(tmp)
        _checkpoint("tmp-written")
        if real.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        _fsync_file(tmp)
        _checkpoint("tmp-synced")
        if backup and real.exists():
            bak_tmp = _temp_name(real)
            try:
                os.link(real, bak_tmp)
            except OSError:
                shutil.copy2(real, bak_tmp)
                _fsync_file(bak_tmp)
            os.replace(bak_tmp, backup_path(real))
            bak_tmp = None
            _checkpoint("backup-made")
        os.replace(tmp, real)
        replaced = True
        _checkpoint("replaced")
        _fsync_dir(folder)
    except BaseException as exc:
        for p in (tmp, bak_tmp):
            if p is not None and not (p == tmp and replaced):
                with contextlib.suppress(OSError):
                    os.unlink(p)
        if isinstance(exc, OSError):
            hint = " Är filen öppen i ett annat program?" if isinstance(exc, PermissionError) else ""
            raise FollowupError(
                f"Filen '{real.name}' kunde inte skrivas ({exc.strerror or exc}).{hint} "
                "Den tidigare filen är orörd."
            ) from exc
        raise
