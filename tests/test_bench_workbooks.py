"""The benchmark's workbooks are real follow-ups: the template filled through the contract
computes without a Fel, with every leaf row read and every total written (no timing here;
the benchmark itself is ``benchmarks/bench_calc.py``)."""

import importlib.util
from pathlib import Path

from followup_xl.domain.model import Level
from followup_xl.jobs.calc import calc

ROOT = Path(__file__).resolve().parents[1]


def test_a_generated_kommun_workbook_computes(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_calc", ROOT / "benchmarks" / "bench_calc.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    book = tmp_path / "bok.xlsm"
    bench.generate(book, 120)
    outcome = calc(book, tmp_path / "ut.xlsm")
    assert outcome.exit_code == 0, [m.text for m in outcome.result.messages
                                    if m.level == Level.FEL]
    rows = outcome.result.rows
    leaves = [r for r in rows if not r.is_total]
    assert len(leaves) == 121  # 120 leaf rows and the Kommunbidrag
    assert sum(1 for r in rows if r.is_total) == 120 // bench.UNIT_ROWS + 2
    assert len(outcome.result.plan.measures) == 12
