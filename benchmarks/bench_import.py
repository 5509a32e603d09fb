"""Ledger import speed: our reader and aggregation against DuckDB, in the same run.

Generates CSV exports of 1 000 000 transactions (300 ansvar, 40 verksamheter, Kommun-Bas
accounts, two title rows above the header) in two kinds of Swedish number text: plain
"-1234,56" (as ERP exports write it; Arrow's CSV reader parses it to exact decimals) and
grouped "-1 234,56" with no-break spaces (as formatted reports write it; the string path
of followup_xl.ledger.numbers). Also an SIE 4E file of 100 000 vouchers. Then times, in
this process:

- ours: read the CSV (followup_xl.ledger) and aggregate it through a mapping into
  actuals per Drift row and month, plus the unmapped combinations;
- DuckDB (when installed): read_csv + GROUP BY konto, ansvar, verksamhet, month with the
  amounts cast exactly to DECIMAL, the result fetched into NumPy arrays (what a
  DuckDB-based importer would hand to its mapping);
- ours on the SIE file (read + aggregate).

Then, as whole processes (interpreter start and imports included): ``followup-xl import``
of the CSV into a copy of the example workbook (written and computed), against a Python
process that imports DuckDB and runs the same query (target: ours ≤ 1,3 × DuckDB's),
five of each, alternating, the fastest of each compared.

Prints rows per second, the ratios, peak memory of each process, and the SIE time
(target under 2 s). Both whole processes start from compiled bytecode, as installed
packages do (the benchmark compiles followup_xl's first, as pip would on install).
Run: .venv/bin/python benchmarks/bench_import.py [ROWS]
"""

from __future__ import annotations

import compileall
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_xl.ledger.aggregate import aggregate  # noqa: E402
from followup_xl.ledger.mapping import MappingEntry, build_mapping  # noqa: E402
from followup_xl.ledger.reading import read_ledger  # noqa: E402
from followup_xl.ledger.records import ReadOptions  # noqa: E402

LEAVES = ("Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster",
          "Övriga kostnader", "Finansnetto")
MAPPING = (("30-39", LEAVES[0]), ("50-59", LEAVES[1]), ("60", LEAVES[2]),
           ("46, 74, 75", LEAVES[3]), ("4-7", LEAVES[4]), ("84-85", LEAVES[5]))
ACCOUNTS = ([str(k) for k in range(3010, 3100, 10)] + [str(k) for k in range(4610, 4700, 10)]
            + [str(k) for k in range(5010, 5800, 20)] + [str(k) for k in range(6010, 6100, 10)]
            + [str(k) for k in range(7410, 7600, 20)] + ["8410", "8510"])
ANSVAR = [f"{a}" for a in range(11000, 11300)]
VERKSAMHET = [f"{v}" for v in range(500, 540)]


def swedish(ore: int, grouped: bool) -> str:
    sign = "-" if ore < 0 else ""
    kr, o = divmod(abs(ore), 100)
    return sign + (f"{kr:,}".replace(",", "\u00a0") if grouped else str(kr)) + f",{o:02d}"


def make_csv(path: Path, n: int, grouped: bool) -> None:
    rnd = random.Random(10)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("Huvudbok 2024;;;;;;\nUtskriven 2024-06-03;;;;;;\n")
        f.write("Datum;Konto;Ansvar;Verksamhet;Projekt;Belopp;Text\n")
        for i in range(n):
            k = rnd.choice(ACCOUNTS)
            amount = rnd.randint(-200_000, 2_000_000_00) * (-1 if k[0] == "3" else 1)
            f.write(f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d};{k};"
                    f"{rnd.choice(ANSVAR)};{rnd.choice(VERKSAMHET)};;{swedish(amount, grouped)};"
                    f"Faktura {i}\n")


def make_sie(path: Path, vouchers: int) -> None:
    rnd = random.Random(4)
    lines = ["#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", '#PROGRAM "bench" 1',
             '#FNAMN "Benchmark kommun"', "#RAR 0 20240101 20241231",
             '#DIM 1 "Ansvar"']
    for v in range(1, vouchers + 1):
        date = f"2024{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
        lines.append(f'#VER A {v} {date} "Verifikation {v}"')
        lines.append("{")
        a, b = rnd.randint(1, 10_000_000), rnd.randint(1, 10_000_000)
        for konto, amount in ((rnd.choice(ACCOUNTS), a), (rnd.choice(ACCOUNTS), b),
                              ("1930", -(a + b))):
            sign = "-" if amount < 0 else ""
            lines.append(f'   #TRANS {konto} {{1 "{rnd.choice(ANSVAR)}"}} '
                         f'{sign}{abs(amount) // 100}.{abs(amount) % 100:02d} {date} "rad"')
        lines.append("}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp437"))


def ours(path: Path, options: ReadOptions):
    mapping, _ = build_mapping([MappingEntry(k, None, None, r, i)
                                for i, (k, r) in enumerate(MAPPING)], LEAVES)
    extract = read_ledger(path, options=options)
    return aggregate([extract], mapping, 2024, LEAVES)


def duckdb_query(path: Path) -> str:
    return f"""
        SELECT Konto, Ansvar, Verksamhet, month(CAST(Datum AS DATE)) AS manad,
               SUM(CAST(replace(replace(Belopp, chr(160), ''), ',', '.') AS DECIMAL(18,2)))
                   AS belopp, count(*) AS rader
        FROM read_csv('{path}', skip=2, header=true, delim=';', all_varchar=true)
        GROUP BY ALL"""


def duckdb_job(path: Path):
    import duckdb

    return duckdb.connect().execute(duckdb_query(path)).fetchnumpy()


def duckdb_total(path: Path) -> int:
    """The exact total in öre (DuckDB's own DECIMAL sum; NumPy would get floats)."""
    import duckdb

    total = duckdb.connect().execute(f"SELECT SUM(belopp) FROM ({duckdb_query(path)})"
                                     ).fetchone()[0]
    return int(total * 100)


# Run in the child after its work: its own peak resident memory (VmHWM belongs to the
# process's new address space; ru_maxrss of a child would include this parent's).
PEAK = ("import atexit, sys\n"
        "def _peak():\n"
        "    try:\n"
        "        hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "        sys.stderr.write('PEAK ' + hwm[0].split()[1] + '\\n')\n"
        "    except OSError:\n"
        "        pass\n"
        "atexit.register(_peak)\n")


def whole_process(args: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one child process (``args`` after the interpreter)."""
    t = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", PEAK + args[0], *args[1:]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - t
    err = child.stderr.decode(errors="replace")
    if child.returncode not in (0,):
        raise SystemExit(f"{args[:2]} failed: {err[-500:]}")
    peaks = [int(line.split()[1]) for line in err.splitlines() if line.startswith("PEAK ")]
    return seconds, (peaks[-1] / 1024 if peaks else float("nan"))


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def compare_csv(tmp: Path, n: int, grouped: bool) -> None:
    csv_path = tmp / ("grupperad.csv" if grouped else "enkel.csv")
    make_csv(csv_path, n, grouped)
    kind = '"-1 234,56" (hårt blanksteg)' if grouped else '"-1234,56"'
    rows = f"{n:,}".replace(",", " ")
    print(f"CSV med {kind}: {rows} rader, {csv_path.stat().st_size / 1e6:.1f} MB")
    ours(csv_path, ReadOptions())  # imports and caches warm, as for DuckDB below
    t_ours, agg = best_of(lambda: ours(csv_path, ReadOptions()))
    assert agg.ok, agg.messages
    assert agg.mapped_total + agg.unmapped_total == agg.total
    print(f"  followup_xl (läs + aggregera): {t_ours:6.3f} s  {n / t_ours / 1e6:5.2f} M rader/s"
          f"  (summa {agg.total / 100:,.2f} kr)".replace(",", " "))
    try:
        import duckdb  # noqa: F401  (only whether it is installed)
    except ImportError:
        print("  DuckDB är inte installerat: ingen jämförelse.")
        return
    duckdb_job(csv_path)
    t_duck, _ = best_of(lambda: duckdb_job(csv_path))
    assert duckdb_total(csv_path) == agg.total
    print(f"  DuckDB (read_csv + GROUP BY):  {t_duck:6.3f} s  "
          f"{n / t_duck / 1e6:5.2f} M rader/s  (samma summa)")
    print(f"  kvot followup_xl/DuckDB (genomströmning): {t_duck / t_ours:4.2f} (mål ≥ 1,0)")
    print("  Hela processer (start av Python och import av paket inräknat):")
    book = tmp / "exempel.xlsm"
    shutil.copyfile(ROOT / "workbook" / "exempel_socialnamnden_maj_2024.xlsm", book)
    cli = ["import sys; from followup_xl.doors.cli import main; "
           "sys.exit(main(sys.argv[1:]))", "import", str(book), str(csv_path),
           "-o", str(tmp / "ut.xlsm")]
    duck = ["import duckdb, sys; duckdb.connect().execute(sys.argv[1]).fetchnumpy()",
            duckdb_query(csv_path)]
    runs = [(whole_process(cli), whole_process(duck)) for _ in range(5)]  # alternating
    (t_cli, mem_cli), _ = min(runs, key=lambda r: r[0][0])
    _, (t_dproc, mem_duck) = min(runs, key=lambda r: r[1][0])
    print(f"    followup-xl import (in i exemplet, skrivet och beräknat): {t_cli:6.3f} s, "
          f"{mem_cli:5.0f} MiB")
    print(f"    python + DuckDB (read_csv + GROUP BY):                  {t_dproc:6.3f} s, "
          f"{mem_duck:5.0f} MiB")
    print(f"    kvot followup-xl/DuckDB (tid): {t_cli / t_dproc:4.2f} (mål ≤ 1,3); "
          f"minne under 1 GiB: {'ja' if mem_cli < 1024 else 'NEJ'}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    compileall.compile_dir(ROOT / "followup_xl", quiet=1)  # as pip does on install
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        compare_csv(tmp, n, grouped=False)
        compare_csv(tmp, n, grouped=True)
        sie_path = tmp / "huvudbok.se"
        make_sie(sie_path, 100_000)
        opts = ReadOptions(needs_ansvar=True)
        t_sie, sagg = best_of(lambda: ours(sie_path, opts), repeat=2)
        assert sagg.ok, sagg.messages[:3]
        print(f"SIE 4E: 100 000 verifikationer ({sie_path.stat().st_size / 1e6:.1f} MB): "
              f"{t_sie:5.2f} s (mål under 2 s)")


if __name__ == "__main__":
    main()
