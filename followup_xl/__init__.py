"""followup_xl: monthly follow-up (månadsuppföljning) for Swedish municipal committees.

The package is layered; ``docs/architecture.md`` draws the layers and says where new code
goes:

* ``contract``, ``errors`` -- the shared vocabulary: the workbook contract's table and
  name words, and the exception that carries a Swedish sentence.
* ``domain`` -- the core: immutable data, Decimal arithmetic, Swedish numbers. No Excel,
  no files.
* ``xlsx`` -- a small library for the xlsx package itself (zip parts, sheets, strings,
  styles, tables, safe file replacement). Knows nothing of follow-ups.
* ``workbook`` -- adapters between the workbook contract and the domain: read the
  inputs, plan the writes.
* ``report`` -- the report to the nämnd: wording, charts, Word layout.
* ``jobs`` -- what a user can ask for (calc, report ...), wiring the layers together.
* ``doors`` -- the front doors that only marshal: command line, Excel button, cell
  functions.
"""

__version__ = "0.1.0"


def main() -> None:
    """The Excel entry point: what the template's Beräkna button (``RunPython "import
    followup_xl; followup_xl.main()"``) and the ribbon add-in call. Imported lazily so
    that ``import followup_xl`` costs nothing on the command line.

    When this Python has followup_xl but not a package it needs (an installation with
    ``--no-deps``, a half-removed environment), the import fails before any message box
    can be shown: the Swedish explanation goes to stderr, which xlwings' VBA shows."""
    try:
        from followup_xl.doors.excel import main as excel_main
    except ImportError as e:
        import sys

        missing = (e.name or str(e)).split(".")[0]
        sys.exit(f"Inget har beräknats: Python ({sys.executable}) har followup_xl "
                 f"{__version__}, men inte modulen '{missing}' som det behöver. Be IT "
                 "installera om followup-xl med alla beroenden i den Python-miljön "
                 "(README, Set-up for IT, steg 2).")
    excel_main()
