"""Benchmark: what writing a few result cells costs with the lossless writer.

Builds a workbook with a small result sheet and about ``--mb`` megabytes (uncompressed sheet
XML) of other sheets, then times

* patch_workbook writing 20 cells into the small sheet (the common case),
* patch_workbook writing 20 cells into one of the big sheets (cost when the edit hits one),
* a plain byte copy of the file (shutil.copyfile, the floor),
* a zip copy that decompresses and recompresses every entry (zipfile),
* openpyxl load_workbook + save (what the writer replaces).

Run:  python benchmarks/bench_write.py [--mb 50] [--repeat 3] [--skip-openpyxl]
It prints the numbers; it is not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import xlsxwriter  # noqa: E402

from followup_xl.xlsx.patch import patch_workbook  # noqa: E402

ROWS_PER_MB = 3000  # ~340 bytes of sheet XML per row of 10 cells


def build(path: Path, mb: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    res = wb.add_worksheet("Resultat")
    res.write_row(0, 0, ["Konto", "Budget", "Utfall", "Prognos", "Avvikelse"])
    for r in range(1, 30):
        res.write_row(r, 0, [f"K{r}", r * 1000, r * 900, r * 950])
        res.write_formula(r, 4, f"=D{r + 1}-B{r + 1}")
    sheets = max(1, mb // 10)
    rows = int(mb * ROWS_PER_MB / sheets)
    for s in range(sheets):
        ws = wb.add_worksheet(f"Data{s + 1}")
        for r in range(rows):
            ws.write_row(r, 0, [r * 1.25, r, r + 0.5, r * 3, r % 97, r * 0.01, r + 7, r * 11,
                                r % 13, r * 2.5])
    wb.close()


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def zip_recompress(src: Path, dst: Path) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename), compress_type=info.compress_type)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-openpyxl", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "big.xlsx"
        t0 = time.perf_counter()
        build(src, args.mb)
        with zipfile.ZipFile(src) as zf:
            xml_mb = sum(i.file_size for i in zf.infolist()) / 1e6
        print(f"built {src.name}: {src.stat().st_size / 1e6:.1f} MB on disk, "
              f"{xml_mb:.1f} MB uncompressed, in {time.perf_counter() - t0:.1f} s")

        small = {"Resultat": {f"{c}{r}": Decimal(r) / 7 for r in range(2, 6)
                              for c in "BCDEF"}}
        big = {"Data1": {f"{c}{r}": Decimal(r) / 7 for r in range(2, 6) for c in "BCDEF"}}
        out = tmp / "out.xlsx"
        results = {
            "patch_workbook, 20 cells in the small sheet": timed(
                lambda: patch_workbook(src, out, small), args.repeat),
            f"patch_workbook, 20 cells in a {xml_mb / max(1, args.mb // 10):.0f} MB sheet": timed(
                lambda: patch_workbook(src, out, big), args.repeat),
            "plain file copy (shutil.copyfile)": timed(
                lambda: shutil.copyfile(src, tmp / "copy.xlsx"), args.repeat),
            "zip copy, decompress + recompress": timed(
                lambda: zip_recompress(src, tmp / "rezip.xlsx"), args.repeat),
        }
        if not args.skip_openpyxl:
            import openpyxl

            def openpyxl_roundtrip() -> None:
                wb = openpyxl.load_workbook(src)
                wb["Resultat"]["B2"] = 1
                wb.save(tmp / "openpyxl.xlsx")

            results["openpyxl load_workbook + save"] = timed(openpyxl_roundtrip, 1)
        width = max(map(len, results))
        for name, secs in results.items():
            print(f"{name:<{width}}  {secs:8.3f} s")


if __name__ == "__main__":
    main()
