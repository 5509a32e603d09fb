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
    that ``import followup_xl`` costs nothing on the command line."""
    from followup_xl.doors.excel import main as excel_main
    excel_main()
