"""Safe file replacement beside a workbook: run exclusion and atomic replace.

* :func:`exclusive` makes two followup-xl runs on the same workbook take turns. It locks a
  sidecar file ``.NAME.followup-lock`` in the workbook's folder (never the workbook itself,
  whose inode an atomic rename replaces) and removes the sidecar again when done.
* :func:`atomic_write` writes a complete new file beside the target, flushes it to disk and
  renames it over the target, so that a crash leaves either the old or the new workbook.

Every file created beside a workbook (lock, temporary file, backup copy) is created with
``O_NOFOLLOW`` (a link planted under its name is refused, never written through), the
temporary files exclusively (``O_EXCL``), and with the workbook's own permission bits from
the start. (:func:`check_not_open`, whether Excel or LibreOffice has the file open, lives
in :mod:`ownerfiles`.) See ``docs/writer.md`` for the reasoning.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
import secrets
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from followup_xl.errors import FollowupError, os_reason
from followup_xl.xlsx.ownerfiles import check_not_open, owner_file_candidates, read_head

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
# Two runs on the same workbook take turns
# --------------------------------------------------------------------------------------
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def file_mode(path: Path, default: int = 0o666) -> int:
    """The permission bits a file created beside ``path`` gets: those of ``path`` (so a
    0600 workbook's lock, temporary file and backup are 0600 from the start)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o666
    except OSError:
        return default


def _refuse_special(fd: int, name: str, what: str) -> None:
    """Close ``fd`` and refuse unless it is a regular file."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FollowupError(f"{what} '{name}' är ingen vanlig fil; programmet skriver inte i "
                            "den. Ta bort den och försök igen.")


def create_new(path: Path, mode: int) -> int:
    """A new file, created exclusively, never through a link, with ``mode`` (umask aside)
    from the start; its descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, mode)
    if hasattr(os, "fchmod"):  # the workbook's own bits, whatever the umask
        with contextlib.suppress(OSError):
            os.fchmod(fd, mode)
    return fd


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
    head = read_head(path, 512)
    if head is None:
        return ""
    text = head.decode("utf-8", errors="replace").strip()
    info = dict(part.split("=", 1) for part in text.split() if "=" in part)
    bits = []
    if info.get("pid"):
        bits.append(f"process {info['pid']}")
    if info.get("host"):
        bits.append(f"på datorn {info['host']}")
    if info.get("since"):
        bits.append(f"sedan {info['since']}")
    return f" ({' '.join(bits)})" if bits else ""


def _open_lock(lp: Path, book: str, mode: int) -> int:
    """The lock sidecar, opened or created -- never through a symbolic link, never a FIFO
    or device -- with the workbook's permission bits."""
    try:
        fd = os.open(lp, os.O_RDWR | os.O_CREAT | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
                     | _BINARY, mode)
    except OSError as exc:
        if lp.is_symlink():
            raise FollowupError(
                f"Låsfilen '{lp.name}' bredvid '{book}' är en symbolisk länk; programmet följer "
                "den inte. Ta bort den och försök igen.") from None
        raise FollowupError(
            f"Kan inte skapa låsfilen '{lp.name}' i mappen för '{book}' ({os_reason(exc)}). "
            "Kontrollera att mappen går att skriva i.") from None
    _refuse_special(fd, lp.name, "Låsfilen")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


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
    mode = file_mode(path, 0o644)
    while True:
        fd = _open_lock(lp, Path(path).name, mode)
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
                f"followup-xl{_holder(lp)}. Vänta tills den är klar och försök igen.")
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


def atomic_write(dst: Path, write: Callable[[BinaryIO], None], backup: bool = False, *,
                 like: Path | None = None) -> None:
    """Replace ``dst`` by the file that ``write(f)`` writes, atomically.

    ``write`` gets an open binary file: a new temporary file in dst's folder, created
    exclusively and never through a link, with the permission bits of ``dst`` (or of
    ``like`` when ``dst`` does not exist yet) from the start. It must write the complete new
    file. Then the file is flushed to disk (fsync), the previous ``dst`` is kept as
    ``NAME.bak`` if ``backup`` (overwriting an older backup; a link planted under that name
    is replaced, not followed), the temporary file is renamed over ``dst`` (os.replace) and
    the folder is flushed. A crash at any moment leaves the old or the new ``dst``; after an
    exception no temporary file remains. If ``dst`` is a symbolic link the user named, the
    file it points to is replaced.
    """
    real = _real(Path(dst))
    folder = real.parent
    if not folder.is_dir():
        raise FollowupError(f"Mappen för '{real.name}' finns inte.")
    _remove_stale_temps(real)
    mode = file_mode(real, file_mode(like) if like is not None else 0o666)
    tmp = _temp_name(real)
    bak_tmp: Path | None = None
    replaced = False
    try:
        with os.fdopen(create_new(tmp, mode), "w+b") as fh:
            _checkpoint("tmp-created")
            write(fh)
            fh.flush()
            _checkpoint("tmp-written")
            os.fsync(fh.fileno())
        _checkpoint("tmp-synced")
        if backup and real.exists():
            bak_tmp = _temp_name(real)
            _make_backup(real, bak_tmp, mode)
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
            raise FollowupError(f"Filen '{real.name}' kunde inte skrivas: {os_reason(exc)}. "
                                "Den tidigare filen är orörd.") from None
        raise


def _make_backup(real: Path, bak_tmp: Path, mode: int) -> None:
    """``bak_tmp`` as a copy of ``real``: a hard link, or where links are unsupported a
    byte copy into a file created exclusively."""
    try:
        os.link(real, bak_tmp, follow_symlinks=False)
        return
    except OSError:
        pass
    with open(real, "rb") as src, os.fdopen(create_new(bak_tmp, mode), "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
