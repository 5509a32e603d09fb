"""Benchmark: `followup-xl calc` against openpyxl load+save and LibreOffice, side by side.

For each workload it generates a workbook -- the template ``workbook/uppfoljning.xlsm``
filled through the contract with N leaf rows in a tree of depth 3 (leaves under units of
20 rows, units under Verksamhetens nettokostnader, that and the Kommunbidrag under Årets
resultat) and N/10 measures; or the shipped example -- and times whole processes, in one
run, alternating:

* ``followup-xl calc BOOK -o OUT`` (what the economist runs),
* a bare openpyxl ``load_workbook(keep_vba=True)`` + ``save`` of the same file,
* LibreOffice headless loading, recalculating (private profile set to always recalculate
  OOXML files) and saving it as .xlsm, where ``soffice`` is installed.

It prints the median wall time of each, the ratios, and calc's peak memory (max RSS).
Both sides start from compiled bytecode, as installed packages do: pip compiled openpyxl's
when it installed it, and the benchmark compiles followup_xl's first (an editable install
has none, and where PYTHONDONTWRITEBYTECODE is set Python would compile it on every start).
Run:  python benchmarks/bench_calc.py [--rows example 1000 6000 50000] [--repeat 5]
It prints numbers; it is not a test.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from followup_xl import contract as c  # noqa: E402
from followup_xl.workbook.xlsx_file import open_workbook  # noqa: E402
from followup_xl.xlsx.patch import patch_workbook  # noqa: E402

TEMPLATE = ROOT / "workbook" / "uppfoljning.xlsm"
EXAMPLE = ROOT / "workbook" / "exempel_socialnamnden_maj_2024.xlsm"
UNIT_ROWS = 20  # leaf rows per unit
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PYTHON = sys.executable
CALC = [PYTHON, "-m", "followup_xl", "calc"]
OPENPYXL = [PYTHON, "-c", "import sys, openpyxl; "
            "openpyxl.load_workbook(sys.argv[1], keep_vba=True).save(sys.argv[2])"]
# LibreOffice recalculates OOXML files on load only when told to (default: never).
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


# --- the workbooks ------------------------------------------------------------------------

def _table_rows(layout, sheet_cells: dict, table: str, rows: list[dict]) -> str:
    """Put ``rows`` ({header: value}) into ``table`` from its first data row; the new ref."""
    place = layout.table(table)
    cells = sheet_cells.setdefault(place.sheet, {})
    for i, row in enumerate(rows):
        r = place.first_row + i
        for header in c.TABLES[table] + c.OPTIONAL_COLUMNS.get(table, ()):
            col = place.column(header)
            if col and header not in c.COMPUTED_COLUMNS.get(table, ()):
                cells[f"{col}{r}"] = row.get(header)
    first, last = place.ref.split(":")
    last_col = "".join(ch for ch in last if ch.isalpha())
    return f"{first}:{last_col}{place.first_row + max(1, len(rows)) - 1}"


def generate(path: Path, leaves: int) -> None:
    """The template filled with ``leaves`` leaf rows in a tree of depth 3 and leaves/10
    measures, written through the contract (tables and names) with the package writer."""
    layout, _ = open_workbook(TEMPLATE)
    units = (leaves + UNIT_ROWS - 1) // UNIT_ROWS
    net, result = "Verksamhetens nettokostnader", "Årets resultat"
    drift, budget_sum = [], 0
    for u in range(units):
        unit = f"Enhet {u + 1:04d}"
        for j in range(min(UNIT_ROWS, leaves - u * UNIT_ROWS)):
            b = -(1000 + (u * 37 + j * 11) % 900)
            budget_sum += b
            drift.append({c.DRIFT_RAD: f"{unit} konto {j + 1:02d}", c.DRIFT_INGAR_I: unit,
                          c.DRIFT_BUDGET: b, c.DRIFT_PROGNOS: b - ((u + j) % 7 - 3) * 10,
                          c.DRIFT_FOREG_PROGNOS: b,
                          c.DRIFT_KOMMENTAR: "Prognos enligt enheten" if j == 0 else None})
        drift.append({c.DRIFT_RAD: unit, c.DRIFT_INGAR_I: net})
    drift += [{c.DRIFT_RAD: net, c.DRIFT_INGAR_I: result},
              {c.DRIFT_RAD: "Kommunbidrag", c.DRIFT_INGAR_I: result,
               c.DRIFT_BUDGET: -budget_sum, c.DRIFT_PROGNOS: -budget_sum},
              {c.DRIFT_RAD: result}]
    measures = [{c.ATG_ATGARD: f"Åtgärd {i + 1}", c.ATG_AVDELNING: f"Enhet {i % units + 1:04d}",
                 c.ATG_ARSARBETARE: Decimal("0.5"), c.ATG_MANADSLON: 36000,
                 c.ATG_START: dt.date(2024, 9, 1)}
                for i in range(max(1, leaves // 10))]
    workforce = [{c.AST_AVDELNING: f"Enhet {u + 1:04d}", c.AST_ARSARBETARE: 25}
                 for u in range(units)]
    cells: dict = {}
    tables = {c.DRIFT: _table_rows(layout, cells, c.DRIFT, drift),
              c.ATGARDER: _table_rows(layout, cells, c.ATGARDER, measures),
              c.ARBETSSTYRKA: _table_rows(layout, cells, c.ARBETSSTYRKA, workforce)}
    settings = {c.NAMND: "Kommunstyrelsen", c.AR: 2024, c.PERIOD: 5, c.ENHET: "tkr",
                c.BUFFERT_ANDEL: Decimal("0.015"), c.BUFFERT_INTECKNAT: 1000,
                c.PO_PALAGG: Decimal("0.45")}
    for name, value in settings.items():
        sheet, cell = layout.name(name)
        cells.setdefault(sheet, {})[cell] = value
    patch_workbook(TEMPLATE, path, cells, tables)


# --- timing -------------------------------------------------------------------------------

def run(cmd: list[str], env=None) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB) of one whole process."""
    with tempfile.TemporaryFile() as err_file:  # a file, not a pipe: it never fills up
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err_file, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    if code != 0:
        raise SystemExit(f"{cmd[:4]} failed ({code}): {err[-400:]}")
    return elapsed, usage.ru_maxrss // 1024


def libreoffice(profile: Path):
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    env = dict(os.environ, HOME=str(profile))

    def cmd(book: Path, outdir: Path) -> tuple[list[str], dict]:
        return ([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                 "--norestore", "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML",
                 "--outdir", str(outdir), str(book)], env)
    return cmd


def bench(label: str, book: Path, work: Path, repeat: int, lo) -> dict:
    out = work / "out.xlsm"
    times: dict[str, list[float]] = {"calc": [], "openpyxl": [], "libreoffice": []}
    peak = 0
    for _ in range(repeat):
        out.unlink(missing_ok=True)
        t, mem = run(CALC + [str(book), "-o", str(out)])
        times["calc"].append(t)
        peak = max(peak, mem)
        t, _ = run(OPENPYXL + [str(book), str(work / "openpyxl.xlsm")])
        times["openpyxl"].append(t)
        if lo is not None:
            cmd, env = lo(book, work / "lo")
            t, _ = run(cmd, env)
            times["libreoffice"].append(t)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    return {"label": label, "peak": peak, **med}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", nargs="+", default=["example", "1000", "6000", "50000"],
                    help="workloads: 'example' or a number of leaf rows")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    ap.add_argument("--libreoffice-max-rows", type=int, default=6000,
                    help="run LibreOffice only up to this many rows (it is slow)")
    args = ap.parse_args(argv)
    compileall.compile_dir(ROOT / "followup_xl", quiet=1)  # as pip does on install
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_calc_") as tmp:
        tmp = Path(tmp)
        lo = libreoffice(tmp / "lo-profile") if SOFFICE else None
        if lo is not None:  # the first start of a new profile is slow: not timed
            cmd, env = lo(EXAMPLE, tmp / "warm")
            run(cmd, env)
        for workload in args.rows:
            work = tmp / workload
            work.mkdir()
            if workload == "example":
                book, label, n = work / "exempel.xlsm", "exemplet", 0
                shutil.copyfile(EXAMPLE, book)
            else:
                n = int(workload)
                book, label = work / f"bok_{n}.xlsm", f"{n} rader"
                generate(book, n)
            use_lo = lo if n <= args.libreoffice_max_rows else None
            r = bench(label, book, work, args.repeat, use_lo)
            results.append(r)
            print(_line(r), flush=True)
    print()
    print(table(results, args.repeat))
    return 0


def _line(r: dict) -> str:
    lo = f", LibreOffice {r['libreoffice']:.2f} s" if "libreoffice" in r else ""
    return (f"{r['label']}: calc {r['calc']:.2f} s ({r['peak']} MiB), "
            f"openpyxl {r['openpyxl']:.2f} s{lo}")


def table(results: list[dict], repeat: int) -> str:
    def num(x: float) -> str:
        return f"{x:.2f}".replace(".", ",")
    lines = [f"Medianer av {repeat} körningar (hela processer, väggtid):", "",
             "| arbetsbok | followup-xl calc | openpyxl load+save | LibreOffice omräkning+spara "
             "| calc/openpyxl | calc/LibreOffice | calc, största minne |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lo = r.get("libreoffice")
        lines.append(
            f"| {r['label']} | {num(r['calc'])} s | {num(r['openpyxl'])} s | "
            f"{num(lo) + ' s' if lo else '—'} | {num(r['calc'] / r['openpyxl'])} | "
            f"{num(r['calc'] / lo) if lo else '—'} | {r['peak']} MiB |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
