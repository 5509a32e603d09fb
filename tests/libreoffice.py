"""LibreOffice as an independent spreadsheet and document client, for tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed here; ./run-tests "
    "installs it where it runs as root")


def convert(files: list[Path], outdir: Path, to: str, profile: Path,
            timeout: int = 900) -> subprocess.CompletedProcess:
    """Convert files in ONE soffice run (start-up is slow) with a private profile.
    ``to`` is e.g. "pdf" or "xlsx:Calc MS Excel 2007 XML"."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(profile))
    return subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=timeout, env=env)
