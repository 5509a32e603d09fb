"""Build the Excel template and the worked example from the text sources in workbook/src.

    .venv/bin/python workbook/build.py            # rebuild both files in workbook/
    .venv/bin/python workbook/build.py OUTDIR     # build into another directory
    .venv/bin/python workbook/build.py --calc     # also compute the example (for a look)

Words and defaults come from ``src/mall.toml``, the example's figures from
``src/exempel.toml``; table names, column headers and defined names come from
``followup_xl.contract``. Cell positions are decided in the ``template`` package beside
this script (see docs/template.md).

The VBA project is xlwings' own, taken unchanged from the installed xlwings package
(``quickstart_standalone.xlsm``). The Beräkna button, the ``xlwings.conf`` sheet and the
Snabbkontroll formulas come from ``followup_xl.doors.excel``. The build is reproducible:
fixed document properties and XlsxWriter's in-memory mode (fixed zip timestamps) give
identical parts every time. The example is committed uncomputed (inputs only), so that
the quick start visibly fills it; ``--calc`` runs ``followup-xl calc`` on it after
building, and the build stops if that fails.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from followup_xl import contract as c  # noqa: E402
from template import drift, ledger, sheets  # noqa: E402
from template.builder import Builder  # noqa: E402

SRC = HERE / "src"
TEMPLATE_NAME = "uppfoljning.xlsm"
EXAMPLE_NAME = "exempel_socialnamnden_maj_2024.xlsm"

# The sheets in order: key in mall.toml's [blad], and the function that fills it.
SHEETS = [
    ("instruktioner", sheets.instruktioner),
    ("installningar", sheets.installningar),
    ("drift", drift.drift),
    ("buffert", sheets.buffert),
    ("handlingsplan", sheets.handlingsplan),
    ("utfall", ledger.utfall),
    ("manadsbudget", ledger.manadsbudget),
    ("utfallfg", ledger.utfall_fg),
    ("periodiseringsnycklar", ledger.periodiseringsnycklar),
    ("prognoshistorik", ledger.prognoshistorik),
    ("import", ledger.import_sheet),
    ("kontroll", sheets.kontroll),
    ("rapport", sheets.rapport),
]

# Headers of number columns, right-aligned over their numbers.
NUMERIC_HEADERS = {c.DRIFT_BUDGET, c.DRIFT_PROGNOS, c.DRIFT_AVVIKELSE, c.DRIFT_FOREG_PROGNOS,
                   c.ENG_BELOPP, c.ATG_ARSARBETARE, c.ATG_MANADSLON, c.ATG_BELOPP,
                   c.ATG_START, c.ATG_HELARSEFFEKT, c.ATG_EFFEKT_I_AR, c.ATG_ANDEL,
                   c.AST_ARSARBETARE, c.OMA_BELOPP, c.OMA_ANTAL, *c.MONTH_COLUMNS,
                   *c.MONTHLY_COLUMNS, c.PH_PERIOD, c.PH_PROGNOS, c.PH_UTFALL_ACK,
                   c.PS_UTFALL, c.PS_PROGNOSFEL, c.PS_ANDEL}

# What the tests and docs refer to.
DRIFT_COLUMNS = drift.DRIFT_COLUMNS
SPILL_ANCHOR, ROW_CELL, AVVIKELSE_CELL = drift.SPILL_ANCHOR, drift.ROW_CELL, drift.AVVIKELSE_CELL


def load_sources() -> tuple[dict[str, Any], dict[str, Any]]:
    with open(SRC / "mall.toml", "rb") as f:
        mall = tomllib.load(f)
    with open(SRC / "exempel.toml", "rb") as f:
        exempel = tomllib.load(f)
    return mall, exempel


def build_template(path: Path) -> Path:
    mall, _ = load_sources()
    Builder(path, mall, None, numeric_headers=NUMERIC_HEADERS).build(SHEETS)
    return path


def build_example(path: Path, decorate=None, data: dict[str, Any] | None = None) -> Path:
    """The example, uncomputed: ``src/exempel.toml``, or ``data`` in its format (which
    may bring its own Drift rows as ``rader``). ``decorate(workbook, {sheet name:
    worksheet})`` may add to it before it is closed (the tests decorate it as an
    economist would)."""
    mall, exempel = load_sources()
    Builder(path, mall, data if data is not None else exempel, decorate,
            numeric_headers=NUMERIC_HEADERS).build(SHEETS)
    return path


def run_calc(path: Path) -> None:
    """Run ``followup-xl calc`` on the file in place; stop the build if it fails."""
    stop = f"Exemplet {path.name} är byggt men inte beräknat; rätta felet och bygg om."
    try:
        from followup_xl.doors.cli import main as cli_main
    except ImportError as exc:
        raise SystemExit(f"build.py: followup_xl.doors.cli kan inte importeras ({exc}). {stop}")
    rc = cli_main(["calc", str(path)])
    if rc not in (0, None):
        raise SystemExit(f"build.py: followup-xl calc gav returkod {rc} (se meddelandena "
                         f"ovan). {stop}")


def build(outdir: Path = HERE, *, calc: bool = False) -> tuple[Path, Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    template = build_template(outdir / TEMPLATE_NAME)
    example = build_example(outdir / EXAMPLE_NAME)
    if calc:
        run_calc(example)
    return template, example


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Bygg mallen och exemplet från workbook/src.")
    p.add_argument("outdir", nargs="?", type=Path, default=HERE,
                   help="katalog att skriva till (standard: workbook/)")
    p.add_argument("--calc", action="store_true",
                   help="räkna också exemplet (kör followup-xl calc på det)")
    args = p.parse_args(argv)
    template, example = build(args.outdir, calc=args.calc)
    print(f"Byggde {template} och {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
