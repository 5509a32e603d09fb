"""Crash safety, lock detection and run exclusion, with real processes and real kills."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from followup_xl.xlsx import safefile
from followup_xl.errors import FollowupError
from followup_xl.xlsx.safefile import (atomic_write, backup_path, check_not_open, exclusive, lock_path,
                                  owner_file_candidates)
from followup_xl.xlsx.patch import patch_workbook

REPO = Path(__file__).resolve().parents[1]
POSIX = os.name == "posix"
KNOWN_LITTER = re.compile(r"^\..*\.(followup-tmp|followup-lock)$")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def make_book(path: Path, rows: int = 10) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write("A1", "Belopp")
    ws.write("B1", 1)
    for r in range(2, rows + 2):
        ws.write_row(r, 0, [r, f"rad {r}", r * 1.5])
    wb.close()
    return path


def b1(path: Path):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb["Data"]["B1"].value
    finally:
        wb.close()


def litter(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from followup_xl.xlsx.patch import patch_workbook
    p = Path(sys.argv[1])
    patch_workbook(p, p, {"Data": {sys.argv[2]: int(sys.argv[3]), "C1": "ny text"}},
                   backup=sys.argv[4] == "1", lock_wait_seconds=float(sys.argv[5]))
""")


def child(book: Path, cell: str = "B1", value: int = 2, backup: bool = False, wait: float = 30,
          crash_at: str | None = None, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop(safefile.CRASH_ENV, None)
    if crash_at:
        env[safefile.CRASH_ENV] = crash_at
    return subprocess.Popen([sys.executable, "-c", CHILD, str(book), cell, str(value),
                             "1" if backup else "0", str(wait)], env=env, cwd=str(book.parent),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


# --------------------------------------------------------------------------------------
# kill tests
# --------------------------------------------------------------------------------------
STEPS = ["tmp-created", "zip-half", "tmp-written", "tmp-synced", "backup-made", "replaced"]


@pytest.mark.parametrize("step, backup", [(s, b) for s in STEPS for b in (False, True)
                                          if b or s != "backup-made"])
def test_crash_at_each_step_leaves_old_or_new(tmp_path, step, backup):
    book = make_book(tmp_path / "book.xlsx")
    old = book.read_bytes()
    proc = child(book, backup=backup, crash_at=step)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 86, err.decode()
    value = b1(book)
    assert value == (2 if step == "replaced" else 1)
    if step != "replaced":
        assert book.read_bytes() == old
    # whatever a crash left is named so it cannot be taken for a workbook
    for name in litter(tmp_path, {"book.xlsx", "book.xlsx.bak"}):
        assert KNOWN_LITTER.match(name), name
    if backup and step in ("backup-made", "replaced"):
        assert backup_path(book).read_bytes() == old
    # the next run succeeds and tidies up after the crashed one
    proc = child(book, value=3)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b1(book) == 3
    assert litter(tmp_path, {"book.xlsx", "book.xlsx.bak"}) == []


@pytest.mark.skipif(not POSIX, reason="SIGKILL is POSIX")
def test_random_sigkill_never_breaks_the_workbook(tmp_path):
    book = make_book(tmp_path / "book.xlsx", rows=20000)
    pristine = tmp_path.parent / f"{tmp_path.name}-pristine.xlsx"
    shutil.copy(book, pristine)
    t0 = time.monotonic()
    proc = child(book)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    duration = time.monotonic() - t0
    assert b1(book) == 2
    rng = random.Random(4)
    outcomes = {"old": 0, "new": 0}
    kills = 20
    for i in range(kills):
        shutil.copy(pristine, book)
        proc = child(book, value=2)
        # spread the kills over the whole run (start-up, reading, writing, renaming, exit)
        time.sleep(duration * (i + rng.random()) / kills * 1.15)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        with zipfile.ZipFile(book) as zf:
            assert zf.testzip() is None
        value = b1(book)
        assert value in (1, 2), value
        outcomes["old" if value == 1 else "new"] += 1
        for name in litter(tmp_path, {"book.xlsx"}):
            assert KNOWN_LITTER.match(name), name
    print(f"\nrandom kills over a {duration:.2f} s run: {outcomes}")
    proc = child(book, value=5)
    assert proc.wait(timeout=120) == 0
    assert b1(book) == 5
    assert litter(tmp_path, {"book.xlsx"}) == []
    pristine.unlink()


# --------------------------------------------------------------------------------------
# atomic_write
# --------------------------------------------------------------------------------------
def test_atomic_write_cleans_up_after_an_exception(tmp_path):
    dst = tmp_path / "book.xlsx"
    dst.write_bytes(b"old")

    def fail(tmp) -> None:
        tmp.write(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(dst, fail, backup=True)
    assert dst.read_bytes() == b"old"
    assert litter(tmp_path, {"book.xlsx"}) == []

    def refuse(tmp) -> None:
        raise FollowupError("Nej.")

    with pytest.raises(FollowupError, match="Nej"):
        atomic_write(dst, refuse)
    assert litter(tmp_path, {"book.xlsx"}) == []


def test_atomic_write_backup_mode_and_new_file(tmp_path):
    dst = tmp_path / "book.xlsx"
    atomic_write(dst, lambda f: f.write(b"v1"), backup=True)  # no previous file
    assert dst.read_bytes() == b"v1" and not backup_path(dst).exists()
    if POSIX:
        os.chmod(dst, 0o640)
    atomic_write(dst, lambda f: f.write(b"v2"), backup=True)
    atomic_write(dst, lambda f: f.write(b"v3"), backup=True)
    assert dst.read_bytes() == b"v3"
    assert backup_path(dst) == tmp_path / "book.xlsx.bak"
    assert backup_path(dst).read_bytes() == b"v2"  # the previous version, not the first
    if POSIX:
        assert dst.stat().st_mode & 0o777 == 0o640
    assert litter(tmp_path, {"book.xlsx", "book.xlsx.bak"}) == []


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_atomic_write_through_a_symlink(tmp_path):
    real = tmp_path / "real" / "book.xlsx"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    atomic_write(link, lambda f: f.write(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_atomic_write_errors_are_swedish(tmp_path):
    with pytest.raises(FollowupError, match="Mappen"):
        atomic_write(tmp_path / "saknas" / "book.xlsx", lambda f: f.write(b"x"))

    def oserror(tmp) -> None:
        raise PermissionError(13, "Permission denied")

    with pytest.raises(FollowupError, match="kunde inte skrivas.*orörd"):
        atomic_write(tmp_path / "book.xlsx", oserror)
    assert litter(tmp_path, set()) == []


@pytest.mark.skipif(not POSIX, reason="liveness of a pid is only checked on POSIX")
def test_stale_temp_files_of_dead_runs_are_removed(tmp_path):
    dst = tmp_path / "book.xlsx"
    dst.write_bytes(b"old")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".book.xlsx.0123abcd.{proc.pid}@{safefile._host_tag()}.followup-tmp"
    alive = tmp_path / f".book.xlsx.0123abcd.{os.getpid()}@{safefile._host_tag()}.followup-tmp"
    other_host = tmp_path / f".book.xlsx.0123abcd.{proc.pid}@zzzzzz.followup-tmp"
    for p in (dead, alive, other_host):
        p.write_bytes(b"partial")
    atomic_write(dst, lambda f: f.write(b"new"))
    assert not dead.exists() and alive.exists() and other_host.exists()


# --------------------------------------------------------------------------------------
# Excel and LibreOffice lock files
# --------------------------------------------------------------------------------------
def excel_owner_file(user: str) -> bytes:
    """An owner file as Excel writes it (layout as in LibreOffice's msodocumentlockfile.cxx)."""
    data = bytearray(165)
    data[0] = len(user)
    i = 1
    for ch in user:
        data[i] = ord(ch) if ord(ch) < 256 else ord("?")
        i += 1
    while i < 55:
        data[i] = 0x20
        i += 1
    data[i] = len(user)
    data[i + 1] = 0
    i += 2
    for ch in user:
        data[i : i + 2] = ord(ch).to_bytes(2, "little")
        i += 2
    while i < 165:
        data[i] = 0x20
        if i + 1 < 165:
            data[i + 1] = 0
        i += 2
    return bytes(data)


def test_owner_file_names():
    assert owner_file_candidates("uppfoljning.xlsm") == ["~$uppfoljning.xlsm", "~$pfoljning.xlsm"]
    assert owner_file_candidates("budget7.xlsx") == ["~$budget7.xlsx", "~$udget7.xlsx"]
    assert owner_file_candidates("bok.xlsx") == ["~$bok.xlsx"]


def test_excel_owner_file_names_the_user(tmp_path):
    book = make_book(tmp_path / "uppfoljning.xlsm")
    check_not_open(book)  # nothing beside it
    owner = tmp_path / "~$uppfoljning.xlsm"
    owner.write_bytes(excel_owner_file("Åsa Öberg-Lindqvist"))
    with pytest.raises(FollowupError) as info:
        check_not_open(book)
    msg = str(info.value)
    assert "Åsa Öberg-Lindqvist" in msg and "Excel" in msg and "--force" in msg
    assert "'uppfoljning.xlsm'" in msg
    owner.unlink()
    # Word's shortened form of the name is recognised too
    (tmp_path / "~$pfoljning.xlsm").write_bytes(excel_owner_file("Per"))
    with pytest.raises(FollowupError, match="av Per"):
        check_not_open(book)


def test_unreadable_owner_file_still_refuses(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    (tmp_path / "~$bok.xlsx").write_bytes(b"")
    with pytest.raises(FollowupError, match="okänd användare"):
        check_not_open(book)


@pytest.mark.parametrize("content, user, host", [
    ("Åsa Öberg,asa,DATOR-7,27.11.2024 10:54,file:///home/asa/.config/libreoffice/4;",
     "Åsa Öberg", "DATOR-7"),
    ("Andersson\\, Anna,anna,srv1,27.11.2024 10:54,file:///home/anna/.config/libreoffice/4;",
     "Andersson, Anna", "srv1"),
    (",kalle,host9,27.11.2024 10:54,file:///x;", "kalle", "host9"),  # no name in LibreOffice
])
def test_libreoffice_lock_file_names_the_user(tmp_path, content, user, host):
    book = make_book(tmp_path / "bok.xlsx")
    (tmp_path / ".~lock.bok.xlsx#").write_bytes(content.encode("utf-8"))
    with pytest.raises(FollowupError) as info:
        check_not_open(book)
    msg = str(info.value)
    assert f"av {user}" in msg and host in msg and "LibreOffice" in msg and "--force" in msg


def test_force_means_not_calling_check_not_open(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    (tmp_path / "~$bok.xlsx").write_bytes(excel_owner_file("Anna"))
    with pytest.raises(FollowupError):
        check_not_open(book)
    patch_workbook(book, book, {"Data": {"B1": 7}})  # the writer itself does not check
    assert b1(book) == 7


# --------------------------------------------------------------------------------------
# two runs on one workbook
# --------------------------------------------------------------------------------------
HOLD = textwrap.dedent("""
    import sys, time
    from followup_xl.xlsx.safefile import exclusive
    with exclusive(sys.argv[1]):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
        open(sys.argv[1] + ".released", "w").close()  # still inside the lock
""")


def hold_lock(book: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(book), str(seconds)],
                            env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"held"
    return proc


def test_second_run_refuses_after_waiting(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    holder = hold_lock(book, 20)
    try:
        with pytest.raises(FollowupError) as info:
            patch_workbook(book, book, {"Data": {"B1": 9}}, lock_wait_seconds=0.5)
        msg = str(info.value)
        assert "annan körning" in msg and f"process {holder.pid}" in msg
        assert b1(book) == 1
    finally:
        holder.kill()
        holder.wait()
    # the killed holder's lock is gone with it
    patch_workbook(book, book, {"Data": {"B1": 9}}, lock_wait_seconds=5)
    assert b1(book) == 9
    assert litter(tmp_path, {"bok.xlsx"}) == []


def test_second_run_waits_for_the_first(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    holder = hold_lock(book, 0.6)
    patch_workbook(book, book, {"Data": {"B1": 4}}, lock_wait_seconds=30)
    # the write happened after the holder let go: it waited, it did not skip the lock
    assert (tmp_path / "bok.xlsx.released").exists()
    holder.wait()
    (tmp_path / "bok.xlsx.released").unlink()
    assert b1(book) == 4


def test_exclusive_is_reentrant_and_leaves_no_litter(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    with exclusive(book, wait_seconds=0):
        assert lock_path(book).exists()
        with exclusive(book, wait_seconds=0):  # the CLI may hold it around patch_workbook
            patch_workbook(book, book, {"Data": {"B1": 3}}, lock_wait_seconds=0)
        assert lock_path(book).exists()
    assert litter(tmp_path, {"bok.xlsx"}) == []


def test_exclusive_between_threads(tmp_path):
    book = tmp_path / "bok.xlsx"
    order: list[str] = []

    def other():
        with exclusive(book, wait_seconds=10):
            order.append("other")

    with exclusive(book):
        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.3)
        order.append("main")
    t.join(10)
    assert order == ["main", "other"]


def test_stale_lock_sidecar_does_not_block(tmp_path):
    book = make_book(tmp_path / "bok.xlsx")
    lock_path(book).write_text("pid=999999 host=gone since=2020-01-01T00:00:00\n")
    patch_workbook(book, book, {"Data": {"B1": 8}}, lock_wait_seconds=0)
    assert b1(book) == 8
    assert litter(tmp_path, {"bok.xlsx"}) == []


def test_concurrent_runs_take_turns(tmp_path):
    """Several processes write different cells into one workbook at once: every run succeeds,
    none is lost (each read the previous one's result), and the file is never corrupt."""
    book = make_book(tmp_path / "bok.xlsx", rows=2000)
    cells = ["D1", "E1", "F1", "G1", "H1"]
    procs = [child(book, cell=c, value=i + 10) for i, c in enumerate(cells)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    ws = openpyxl.load_workbook(book)["Data"]
    assert [ws[c].value for c in cells] == [10, 11, 12, 13, 14]
    assert litter(tmp_path, {"bok.xlsx"}) == []
