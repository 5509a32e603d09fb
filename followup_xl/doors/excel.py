"""The Beräkna button: the headless computation, run on the open workbook through xlwings.

The button in the template calls xlwings' own VBA macro ``RunPython`` (Excel-made VBA,
shipped unchanged in the workbook) with a fixed command::

    RunPython "import followup_xl; followup_xl.main()"

The command names this installed module, never the workbook file, so the button keeps
working when the economist saves the workbook under another name. The ribbon add-in
``followup_xl.xlam`` (xlwings' own, built by ``workbook/build_addin.py``) reaches the same
:func:`main` through its callback ``RunMain``, which imports the module named after the
add-in file. :func:`main` finds the workbook the click means
(:mod:`followup_xl.doors.caller`) and runs :func:`berakna`, which does exactly what ``followup-xl calc``
does on a file -- read through the workbook contract (:mod:`reader`), compute
(:mod:`engine`), plan the writes (:mod:`followup_xl.jobs.calc.plan_results`, the same plan
the file writer carries out) -- and writes the planned cells through xlwings instead of into the file. It then
tells the user in one Swedish sentence what happened, in a message box.

Only the BSD-licensed xlwings API is used here (``Book``, ``Sheet``, ``Range``, ``Table``,
``Name``, ``App.alert``); it works with desktop Excel on Windows and macOS. The tests run it
against xlwings' remote engine, which builds the same ``Book`` API from JSON.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import xlwings as xw

from followup_xl import contract as c
from followup_xl.doors.caller import check_place, find_book
from followup_xl.domain.engine import compute
from followup_xl.jobs.calc import plan_results
from followup_xl.jobs.report import report_path
from followup_xl.report.docx import write_docx
from followup_xl.errors import FollowupError
from followup_xl.domain.model import Level
from followup_xl.domain.swedish import NotANumber, match_choice, month_name
from followup_xl.workbook.layout import (CONTRACT_NAMES, Layout, TablePlace, broken_name,
                                         excel_address, name_target, table_place)
from followup_xl.xlsx.cellref import parse_ref
from followup_xl.xlsx.cellvalue import xml_number
from followup_xl.workbook.reader import read_from
from followup_xl.workbook.writeplan import Report, Writes, resolve

# The xlwings whose VBA the template carries (build.py copies it from the installed
# xlwings, and pyproject.toml pins the same version). xlwings' VBA and Python must match.
XLWINGS_VERSION = "0.37.8"

# What the template's button calls: a macro of xlwings' VBA with the command as argument.
BUTTON_CAPTION = "Beräkna"
BUTTON_PROCEDURE = "RunPython"
BUTTON_COMMAND = "import followup_xl; followup_xl.main()"
BUTTON_MACRO = f"'{BUTTON_PROCEDURE} \"{BUTTON_COMMAND}\"'"

# The ribbon add-in (workbook/build_addin.py): xlwings' own, whose Excel-made callback
# RunMain runs RunPython "import NAME;NAME.main()" with NAME the add-in file's name.
ADDIN_NAME = "followup_xl.xlam"
ADDIN_CALLBACK = "RibbonMyAddin.RunMain"
ADDIN_COMMAND = "import followup_xl;followup_xl.main()"
# The add-in's VBA reads its settings under this project name (PROJECT_NAME in its VBA):
# a "myaddin.conf" sheet, myaddin.conf beside the workbook, then the user's
# ~/.myaddin/myaddin.conf (macOS: ~/Library/Containers/com.microsoft.Excel/Data/).
ADDIN_CONF_PROJECT = "myaddin"

# The template's xlwings.conf sheet: key (column A) and value (column B), from A1 down.
# xlwings' VBA looks a key up in this sheet first, then in xlwings.conf beside the
# workbook, then in the user's ~/.xlwings/xlwings.conf (which the xlwings add-in writes):
# every key its VBA reads is set here, so that nothing of another xlwings project leaks
# in, except the interpreter (INTERPRETER_WIN, INTERPRETER_MAC and the legacy INTERPRETER:
# where Python lies differs between computers and belongs in the user's file) and the
# OneDrive/SharePoint folders (ONEDRIVE_*, SHAREPOINT_*: per computer too, and unused
# while ADD_WORKBOOK_TO_PYTHONPATH is False). None is an empty cell (an empty setting that
# still overrides the user's); booleans are Excel booleans, as in xlwings' own sheet.
CONF_SHEET = "xlwings.conf"
CONF_VERSION_KEY = "FOLLOWUP_XLWINGS_VERSION"
CONF_ROWS = (
    ("UDF Modules", "followup_xl.doors.udfs"),
    # The package is imported from the Python installation, never from the workbook's
    # folder; this also spares xlwings from mapping OneDrive/SharePoint URLs to a folder.
    ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
    ("PYTHONPATH", None),  # no folders of other projects before the installed package
    ("Conda Path", None),  # the interpreter setting decides, never a conda environment
    ("Conda Env", None),
    ("Use UDF Server", False),  # RunPython starts a fresh Python: always the current code
    ("Debug UDFs", False),  # True expects a debugger-run server; the FU functions fail
    ("Show Console", False),
    ("SHOW_ERROR_POPUPS", "True"),  # "False" hides Python's errors on an Error sheet
    ("LICENSE_KEY", None),  # no xlwings PRO: the product runs on BSD xlwings only
    ("TEMP DIR", "%TEMP%"),  # Windows: where the VBA's error log goes (its default)
    (CONF_VERSION_KEY, XLWINGS_VERSION),
)
# The keys xlwings' VBA reads that the sheet leaves to each computer (see above).
CONF_PER_COMPUTER = ("INTERPRETER", "INTERPRETER_WIN", "INTERPRETER_MAC",
                     "ONEDRIVE_CONSUMER_WIN", "ONEDRIVE_CONSUMER_MAC",
                     "ONEDRIVE_COMMERCIAL_WIN", "ONEDRIVE_COMMERCIAL_MAC",
                     "SHAREPOINT_WIN", "SHAREPOINT_MAC")

# FU_DRIFT's columns, and what the template's live cells show without the FU functions.
DRIFT_SPILL_COLUMNS = (c.DRIFT_RAD, c.DRIFT_INGAR_I, c.DRIFT_BUDGET, c.DRIFT_PROGNOS,
                       c.DRIFT_AVVIKELSE)
UDF_MISSING = ("Snabbkontrollen räknas i Excel för Windows när FU-funktionerna är "
               "importerade (se Instruktioner).")


def template_formulas(spill_anchor: str, row_cell: str) -> dict[str, str]:
    """The live cell formulas of the template's "Snabbkontroll" on the Drift sheet, in
    the file's (English, comma-separated) formula syntax, as XlsxWriter takes them.

    ``drift`` goes in ``spill_anchor`` as a dynamic array formula: FU_DRIFT spills the
    whole Drift table, recomputed as the economist types (header row + one row per table
    row, five columns: keep the cells to the right of and below it empty).
    ``avvikelse`` (a dynamic array formula too, one cell) shows the deviation of the row
    named in ``row_cell`` (an input cell, e.g. "Årets resultat") as the report writes it
    ("-3,0 mnkr"), taken from the spilled table so that totals are live as well.
    Without the FU functions (macOS, or before ImportPythonUDFs) both show a hint.
    """
    spill = f"ANCHORARRAY({spill_anchor})"

    def column(header: str) -> str:
        return f"INDEX({spill},0,{DRIFT_SPILL_COLUMNS.index(header) + 1})"

    def lookup(header: str) -> str:
        return f"XLOOKUP({row_cell},{column(c.DRIFT_RAD)},{column(header)})"

    drift = ",".join(f"{c.DRIFT}[{h}]" for h in DRIFT_SPILL_COLUMNS[:4])
    return {
        "drift": f'=IFERROR(FU_DRIFT({drift},{c.TECKENKONVENTION}),"{UDF_MISSING}")',
        "avvikelse": (f"=IFERROR(FU_MNKR(FU_AVVIKELSE({lookup(c.DRIFT_BUDGET)},"
                      f"{lookup(c.DRIFT_PROGNOS)},{c.TECKENKONVENTION}),{c.ENHET}),\"–\")"),
    }


ALERT_TITLE = "Månadsuppföljning"
MAX_LISTED = 5  # messages listed in the message box when the input has errors


@dataclass
class Run:
    """What one click did."""

    sentence: str  # the one Swedish sentence
    text: str  # everything the message box shows: the sentence, then details
    level: str  # "OK", "Varningar" or "Fel" (the Kontroll status), or "Avbrutet"
    reports: list[Report] = field(default_factory=list)
    skipped: set[tuple[str, str]] = field(default_factory=set)  # formula cells left alone
    told: bool = False  # whether the message box could be shown


# --- Entry points -------------------------------------------------------------------------

def main() -> None:
    """The button and the add-in: compute the workbook the click means (the caller, or
    the active workbook when the caller is the add-in or cannot be found by name)."""
    try:
        found = find_book()
    except FollowupError as e:
        # No workbook to show a message box in: xlwings' VBA shows what Python prints.
        sys.exit(f"Inget har beräknats: {e.message}")
    run = berakna(found.book, notes=[found.note] if found.note else [])
    if not run.told:
        # No message box: exit with the text, which xlwings' VBA shows in its error box.
        sys.exit(run.text)


def caller_book():
    """The workbook the click means (see :func:`followup_xl.doors.caller.find_book`)."""
    return find_book().book


def berakna(book=None, *, alert: bool = True, notes: list[str] = ()) -> Run:
    """Read, compute and write back ``book`` (an ``xlwings.Book``; default: the caller)
    and tell the user what happened, with ``notes`` (Swedish sentences) after the
    summary. Returns what was done; never raises for problems the user can act on."""
    if book is None:
        book = caller_book()
    progress = {"writing": False, "action": c.BERAKNA}
    try:
        run = _compute_and_write(book, progress, list(notes))
    except FollowupError as e:
        sentence = (f"{_half_written(progress, '')} Orsak: {e.message}" if progress["writing"]
                    else f"Inget har beräknats: {e.message}")
        run = Run(sentence, sentence, "Avbrutet")
    except Exception as e:  # an error in the program, not in the workbook
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        sentence = (_half_written(progress, " av ett oväntat fel") if progress["writing"] else
                    "Beräkningen avbröts av ett oväntat fel i programmet; inget har skrivits.")
        run = Run(sentence, f"{sentence}\n\nTekniska detaljer för IT:\n{detail}",
                  "Avbrutet")
    if alert:
        run.told = tell(book, run.text, critical=run.level in ("Fel", "Avbrutet"))
    return run


def _half_written(progress: dict, why: str) -> str:
    """What the user must do when writing stopped halfway (``why``: ' av ett oväntat fel')."""
    if progress["action"] == c.NY_PERIOD:
        return (f"Den nya perioden avbröts{why} medan cellerna skrevs, så arbetsboken är bara "
                "delvis framflyttad: stäng den utan att spara och öppna den igen.")
    return (f"Beräkningen avbröts{why} medan resultaten skrevs, så en del celler kan ha "
            "gamla värden: klicka Beräkna igen innan du använder dem.")


# --- The computation ------------------------------------------------------------------------

def _compute_and_write(book, progress: dict, remarks: list[str]) -> Run:
    """Compute and write; ``remarks`` (Swedish sentences) go after the summary."""
    check_versions(book)
    remarks += check_place(book)
    layout = layout_from_book(book)
    values = BookValues(book)
    if button_action(values.get, layout) == c.NY_PERIOD:
        progress["action"] = c.NY_PERIOD
        return _roll_forward(book, layout, values, progress, remarks)
    fu, layout, read_msgs = read_from(values.get, layout)
    result, writes = plan_results(compute(fu, read_msgs), layout)
    reports = resolve(result.messages, layout)
    progress["writing"] = True
    skipped = write(book, writes)
    sentence, text = summary(reports)
    if result.ok and result.settings.word_report:
        target = report_path(Path(book.fullname))
        try:
            done = f" Rapportutkastet är skrivet till {write_docx(result, result.followup, target).name}."
        except FollowupError as e:  # the cells are written: say so, and why the draft is not
            done = f" Rapportutkastet kunde inte skrivas: {e.message} Är filen öppen i Word?"
        sentence, text = sentence + done, text + done
    for remark in remarks:
        sentence, text = f"{sentence} {remark}", f"{text}\n\n{remark}"
    return Run(sentence, text, result.status, reports, skipped)


def summary(reports: list[Report], refused: str = "Inga nya belopp är skrivna"
            ) -> tuple[str, str]:
    """The one sentence, and the message box text (the sentence plus, on errors, the
    first messages with their cells; ``refused`` begins the sentence then)."""
    errors = [r for r in reports if r.level == Level.FEL.value]
    warnings = [r for r in reports if r.level == Level.VARNING.value]
    if errors:
        sentence = (f"{refused}: indata har {_count(len(errors), 'fel', 'fel')}"
                    ", se bladet Kontroll.")
        lines = [str(r) for r in errors[:MAX_LISTED]]
        if len(errors) > MAX_LISTED:
            lines.append(f"… och {len(errors) - MAX_LISTED} till.")
        return sentence, sentence + "\n\n" + "\n".join(lines)
    if warnings:
        sentence = (f"Beräkningen är klar med {_count(len(warnings), 'varning', 'varningar')}"
                    ", se bladet Kontroll.")
        return sentence, sentence
    sentence = "Beräkningen är klar: inga fel och inga varningar."
    return sentence, sentence


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- The second action: the next period -----------------------------------------------------

NO_NEW_PERIOD = "Ingen ny period är påbörjad"


def button_action(get, layout: Layout) -> str:
    """What the click does, from the named cell Knappen: Beräkna (also when the name or
    the value is missing) or Ny period. FollowupError for any other value."""
    place = layout.name(c.KNAPPEN)
    value = get(*place) if place else None
    if value is None or not str(value).strip():
        return c.DEFAULTS[c.KNAPPEN]
    try:
        return match_choice(str(value), c.KNAPPVAL, "Valet i Knappen")
    except NotANumber as e:
        raise FollowupError(f"{e} i cellen {excel_address(*place)}.") from None


def _roll_forward(book, layout: Layout, values: BookValues, progress: dict,
                  remarks: list[str]) -> Run:
    """Knappen = Ny period: roll the open workbook forward to the next month with the
    writes ``followup-xl ny-period`` plans for a file, and set Knappen back."""
    from followup_xl.jobs.next_period import plan_next_period

    def refused(why: str) -> Run:
        text = f"{NO_NEW_PERIOD}: {why}"
        return Run(text, text, "Avbrutet")

    if _autosave_on(book):
        return refused("AutoSpara är på, så Excel skulle spara nästa månad över den här "
                       "månadens fil. Stäng av AutoSpara (överst till vänster i Excel), "
                       "klicka igen och spara sedan med Arkiv › Spara som under nästa "
                       "månads namn.")
    fu, layout, read_msgs = read_from(values.get, layout)
    try:
        result, plan = plan_next_period(values.get, layout, fu, read_msgs)
    except FollowupError as e:
        return refused(e.message)
    if plan is None:  # input errors: only Kontroll, as a click on Beräkna writes
        result, writes = plan_results(result, layout)
        reports = resolve(result.messages, layout)
        progress["writing"] = True
        skipped = write(book, writes)
        sentence, text = summary(reports, refused=NO_NEW_PERIOD)
        return Run(sentence, text, result.status, reports, skipped)
    writes = plan.writes
    writes.put(*layout.name(c.KNAPPEN), c.BERAKNA)
    reports = resolve(plan.result.messages, layout)
    progress["writing"] = True
    skipped = write(book, writes)
    closed, new = month_name(plan.roll.closed), month_name(plan.roll.period)
    sentence = (f"{new.capitalize()} (period {plan.roll.period}) är påbörjad i den öppna "
                f"arbetsboken: Föregående prognos har fått {closed}s prognos, som också står "
                f"i Prognoshistorik. Spara nu arbetsboken under {new}s namn (Arkiv › Spara "
                f"som), så att {closed}s fil finns kvar som den var. Nästa klick beräknar "
                "(Knappen står på Beräkna igen).")
    warnings = sum(1 for r in reports if r.level == Level.VARNING.value)
    if warnings:
        sentence += (f" Kontroll har {_count(warnings, 'varning', 'varningar')} för {new}.")
    text = sentence
    for remark in remarks:
        sentence, text = f"{sentence} {remark}", f"{text}\n\n{remark}"
    return Run(sentence, text, plan.result.status, reports, skipped)


def _autosave_on(book) -> bool:
    """Whether Excel saves every change to the file by itself (AutoSave, for files on
    OneDrive or SharePoint; Windows knows). Elsewhere it is taken to be off."""
    try:
        return bool(book.api.AutoSaveOn)
    except Exception:
        return False


# --- Versions -------------------------------------------------------------------------------

def check_versions(book) -> None:
    """xlwings' VBA (in the workbook) and Python package must be the same version. The
    template records the version of its VBA in the xlwings.conf sheet."""
    installed = xw.__version__
    if installed != XLWINGS_VERSION:
        raise FollowupError(
            f"Python har xlwings {installed}, men followup_xl är gjort för xlwings "
            f"{XLWINGS_VERSION}. Be IT installera om paketet (pip install followup-xl), så "
            f"att xlwings {XLWINGS_VERSION} kommer med.")
    recorded = read_conf(book).get(CONF_VERSION_KEY.upper())
    if recorded and str(recorded).strip() != installed:
        raise FollowupError(
            f"Arbetsbokens makron kommer från xlwings {str(recorded).strip()}, men Python har "
            f"xlwings {installed}. Flytta in uppgifterna i en arbetsbok gjord från den "
            "nuvarande mallen (uppfoljning.xlsm).")


def read_conf(book) -> dict[str, object]:
    """The xlwings.conf sheet as xlwings' VBA reads it: keys in column A (upper-cased)
    from A1 down to the first empty cell, values in column B."""
    sheet = _sheet(book, CONF_SHEET)
    if sheet is None:
        return {}
    rows = sheet.range((1, 1), (100, 2)).options(ndim=2).value
    conf: dict[str, object] = {}
    for key, value in rows:
        if key is None or str(key).strip() == "":
            break
        conf[str(key).strip().upper()] = value
    return conf


def _sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return None


# --- Reading through xlwings -------------------------------------------------------------------

def layout_from_book(book) -> Layout:
    """The contract's places in an open workbook: its Excel Tables and the workbook-level
    names that point at one cell (what :func:`followup_xl.workbook.xlsx_file.read_layout` finds in a file)."""
    layout = Layout(date1904=_date1904(book))
    for sheet in book.sheets:
        for table in sheet.tables:
            layout.tables[table.name.casefold()] = _table_place(sheet, table)
    sheets = [sheet.name for sheet in book.sheets]
    for name in book.names:
        place = _name_place(name)
        if place is not None:
            layout.names[name.name.casefold()] = place
        elif "!" not in name.name and name.name.casefold() in CONTRACT_NAMES:
            reason = name_target(str(name.refers_to or ""), sheets)
            if isinstance(reason, str):  # the same Fel the file reader gives
                layout.messages.append(broken_name(CONTRACT_NAMES[name.name.casefold()],
                                                   reason))
    return layout


def _table_place(sheet, table) -> TablePlace:
    header = table.header_row_range
    if header is None:
        raise FollowupError(f"Tabellen '{table.name}' på bladet '{sheet.name}' saknar "
                            "rubrikrad. Slå på rubrikraden i Excel.")
    return table_place(table.name, sheet.name, table.range.address.replace("$", ""),
                       [_header_text(v) for v in header.options(ndim=1).value],
                       1 if table.show_totals else 0)


def _header_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _name_place(name) -> tuple[str, str] | None:
    """(sheet, cell) of a workbook-level name that points at one cell, else None."""
    if "!" in name.name:  # sheet-level names ("Drift!Print_Area") are not the contract's
        return None
    try:
        rng = name.refers_to_range
    except Exception:  # a constant, a formula, a #REF!: not a cell
        return None
    if rng is None or rng.shape != (1, 1):
        return None
    return rng.sheet.name, rng.address.replace("$", "")


def _date1904(book) -> bool:
    """Whether the workbook counts dates from 1904 (only matters for dates typed as
    serial numbers). Desktop Excel knows; elsewhere the 1900 system is assumed."""
    for read in (lambda: book.api.Date1904,  # Windows (COM)
                 lambda: book.api.date_1904.get()):  # macOS (AppleScript)
        try:
            return bool(read())
        except Exception:
            continue
    return False


class BookValues:
    """``get(sheet, cell)`` for :func:`reader.read_from`: each sheet's values are read
    once, as one block from A1 to the last used cell (one call to Excel per sheet)."""

    def __init__(self, book):
        self.book = book
        self._grids: dict[str, list[list[object]]] = {}

    def get(self, sheet: str, cell: str):
        grid = self._grids.get(sheet)
        if grid is None:
            grid = self._grids[sheet] = self._load(sheet)
        row, col = parse_ref(cell)
        if row <= len(grid) and col <= len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return None

    def _load(self, name: str) -> list[list[object]]:
        sheet = self.book.sheets[name]
        last = sheet.used_range.last_cell
        value = sheet.range((1, 1), (last.row, last.column)).options(
            ndim=2, err_to_str=True).value
        return [list(row) for row in value]


# --- Writing through xlwings -------------------------------------------------------------------

def excel_value(value):
    """A value as Excel takes it: Decimal becomes int when whole, else the double that
    the file writer stores for it (``xml_number``: at most 17 significant digits), so
    that the button and ``followup-xl calc`` put the same number in a cell; None, int,
    float, str and bool are kept."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(xml_number(value))
    return value


def write(book, writes: Writes) -> set[tuple[str, str]]:
    """Carry out a write plan in the open workbook. Cells holding a formula are left to
    Excel (returned as skipped), as the file writer keeps formulas. Contiguous cells are
    written as one block; then tables are resized."""
    formulas = {sheet: formula_cells(book.sheets[sheet], cells)
                for sheet, cells in writes.cells.items()}  # all read before any write
    skipped = {(sheet, cell) for sheet, cells in formulas.items() for cell in cells}
    for sheet_name, cells in writes.cells.items():
        sheet = book.sheets[sheet_name]
        todo = {cell: excel_value(v) for cell, v in cells.items()
                if cell not in formulas[sheet_name]}
        for (r1, c1, r2, c2), block in blocks(todo):
            if (r1, c1) == (r2, c2):
                sheet.range((r1, c1)).value = block[0][0]
            else:
                sheet.range((r1, c1), (r2, c2)).value = block
    for table_name, ref in writes.tables.items():
        sheet, table = _table(book, table_name)
        table.resize(sheet.range(ref))
    return skipped


def formula_cells(sheet, cells) -> set[str]:
    """Which of ``cells`` (A1 addresses on ``sheet``) hold a formula. Reads the formulas
    of the cells' bounding box in one call. An engine that cannot read formulas
    synchronously (xlwings' remote engine) reports none."""
    if not cells:
        return set()
    coords = [parse_ref(cell) for cell in cells]
    r1, c1 = min(r for r, _ in coords), min(col for _, col in coords)
    r2, c2 = max(r for r, _ in coords), max(col for _, col in coords)
    try:
        raw = sheet.range((r1, c1), (r2, c2)).formula
    except NotImplementedError:
        return set()
    grid = _grid(raw, r2 - r1 + 1)
    found = set()
    for cell, (r, col) in zip(cells, coords):
        f = grid[r - r1][col - c1]
        if isinstance(f, str) and f.startswith("="):
            found.add(cell)
    return found


def _grid(raw, nrows: int) -> list[list[object]]:
    """A formula read as a 2-D list, whatever shape the engine returns it in."""
    if not isinstance(raw, (list, tuple)):
        return [[raw]]
    if raw and all(isinstance(row, (list, tuple)) for row in raw):
        return [list(row) for row in raw]
    flat = list(raw)
    return [flat] if nrows == 1 else [[v] for v in flat]


def blocks(cells: dict[str, object]):
    """Group cells into rectangles: runs of adjacent columns in a row, merged with the
    rows below that have the same run. Yields ((r1, c1, r2, c2), rows of values)."""
    by_row: dict[int, dict[int, object]] = {}
    for cell, value in cells.items():
        r, col = parse_ref(cell)
        by_row.setdefault(r, {})[col] = value
    runs: list[list] = []  # [r1, c1, r2, c2, values]
    open_runs: dict[tuple[int, int], list] = {}  # (c1, c2) -> run ending on the last row
    for r in sorted(by_row):
        cols = sorted(by_row[r])
        spans, start = [], cols[0]
        for a, b in zip(cols, cols[1:] + [None]):
            if b != a + 1:
                spans.append((start, a))
                start = b
        still_open = {}
        for c1, c2 in spans:
            values = [by_row[r][col] for col in range(c1, c2 + 1)]
            run = open_runs.get((c1, c2))
            if run is not None and run[2] == r - 1:
                run[2] = r
                run[4].append(values)
            else:
                run = [r, c1, r, c2, [values]]
                runs.append(run)
            still_open[(c1, c2)] = run
        open_runs = still_open
    for r1, c1, r2, c2, values in runs:
        yield (r1, c1, r2, c2), values


def _table(book, name: str):
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.casefold() == name.casefold():
                return sheet, table
    raise FollowupError(f"Tabellen '{name}' finns inte längre i arbetsboken.")


# --- Telling the user ---------------------------------------------------------------------------

def tell(book, text: str, *, critical: bool = False) -> bool:
    """Show ``text`` in a message box (desktop Excel: Windows and macOS; the remote engine
    queues it as an action). Returns False when no message box could be shown."""
    try:
        book.app.alert(text, title=ALERT_TITLE, buttons="ok",
                       mode="critical" if critical else "info")
        return True
    except Exception:
        return False
