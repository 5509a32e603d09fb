"""Render what users see into docs/: the example's report (first page), and the building
committee case (tests/cases/byggnadsnamnd.toml) as its Drift sheet and report page.

    .venv/bin/python docs/render.py

Builds the workbooks from their sources, computes them with followup-xl, writes the
reports, converts with LibreOffice (soffice) to PDF and with pdftoppm to PNG. Look at the
PNGs before committing them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "tests"))

from workbooks import load_build_module  # noqa: E402

from followup_xl.doors.cli import main as cli  # noqa: E402


def pdf(files: list[Path], outdir: Path) -> None:
    profile = outdir / "profil"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
                   check=True, capture_output=True, timeout=600)


def page(pdf_file: Path, number: int, out: Path, dpi: int = 80) -> None:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-f", str(number), "-l", str(number), "-r", str(dpi),
                    "-png", "-singlefile", str(pdf_file), str(stem)], check=True)


def sheet_page(pdf_file: Path, heading: str) -> int:
    """The page of a workbook PDF whose text starts with a sheet's heading."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf_file)], capture_output=True, text=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for n in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf_file), "-"],
                              capture_output=True, text=True).stdout
        if text.lstrip().startswith(heading):
            return n
    raise SystemExit(f"render.py: ingen sida börjar med {heading!r}")


def main() -> int:
    build = load_build_module()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        example = tmp / "exempel.xlsm"
        shutil.copyfile(ROOT / "workbook" / build.EXAMPLE_NAME, example)
        case = build.build_example(tmp / "byggnadsnamnd.xlsm", data=tomllib.loads(
            (ROOT / "tests" / "cases" / "byggnadsnamnd.toml").read_text("utf-8")))
        for book in (example, case):
            assert cli(["calc", str(book)]) == 0
            assert cli(["report", str(book)]) == 0
        reports = [book.with_name(f"{book.stem} rapport.docx") for book in (example, case)]
        pdf([case, *reports], tmp)
        page(tmp / "exempel rapport.pdf", 1, DOCS / "rapport_exempel.png", dpi=70)
        page(tmp / "byggnadsnamnd rapport.pdf", 1, DOCS / "byggnadsnamnd_rapport.png", dpi=70)
        drift = sheet_page(tmp / "byggnadsnamnd.pdf", "Driftredovisning")
        page(tmp / "byggnadsnamnd.pdf", drift, DOCS / "byggnadsnamnd_drift.png")
    print("Skrev docs/rapport_exempel.png, docs/byggnadsnamnd_rapport.png och "
          "docs/byggnadsnamnd_drift.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
