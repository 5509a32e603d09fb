"""Cell functions (UDFs) for the follow-up, through xlwings: FU_AVVIKELSE, FU_BUFFERT,
FU_ANDEL, FU_ARSARBETARKOSTNAD, FU_ATGARDSEFFEKT, FU_MNKR and FU_DRIFT.

They only marshal: every number comes from :mod:`followup_xl.domain.engine` and every text from
:mod:`followup_xl.domain.swedish`, the same functions the button and the command line use. Input
is what a Swedish user types (``"1 000"``, ``"−3 000"``, ``"1,5 %"``); output is plain
numbers and text (never Decimal). Bad input gives a readable Swedish text starting with
``#FEL:`` in the cell, never a traceback.

Parameter names are ASCII because xlwings turns them into VBA identifiers. Excel reaches
these functions after ``ImportPythonUDFs`` (Windows desktop Excel only: classic xlwings
UDFs need its COM server); the template's xlwings.conf sheet names this module under
"UDF Modules".
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import xlwings as xw

from followup_xl import contract as c
from followup_xl.domain import engine, monthly
from followup_xl.domain.model import DriftRow, FollowUp, Level, Settings
from followup_xl.workbook.reader import EXCEL_ERRORS
from followup_xl.domain.swedish import (NotANumber, decimals_of, format_amount, format_number,
                      match_choice, to_date, to_decimal)
from followup_xl.doors.excel import DRIFT_SPILL_COLUMNS, excel_value

CATEGORY = "Uppföljning"
ERROR_PREFIX = "#FEL: "

__all__ = ["FU_AVVIKELSE", "FU_BUFFERT", "FU_ANDEL", "FU_ARSARBETARKOSTNAD",
           "FU_ATGARDSEFFEKT", "FU_MNKR", "FU_DRIFT", "FU_RIKTPUNKT", "FU_BUDGETACK",
           "FU_PROGNOSFORSLAG"]


class BadInput(ValueError):
    """Input a cell function cannot use; ``str()`` is the Swedish text after '#FEL: '."""


def _cell_function(f):
    """Return '#FEL: …' for bad input instead of raising; turn results into plain
    Python numbers. Keeps the signature (xlwings reads it through ``__wrapped__``)."""

    @functools.wraps(f)
    def wrapper(*args):
        try:
            return _plain(f(*args))
        except BadInput as e:
            return ERROR_PREFIX + str(e)
        except Exception as e:  # a bug: still a readable cell, never a traceback
            return f"{ERROR_PREFIX}oväntat fel i {f.__name__} ({type(e).__name__}: {e})."

    return wrapper


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return excel_value(value)


# --- Reading arguments --------------------------------------------------------------------

def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value, what: str, *, percent: bool = False, required: bool = True):
    """A Decimal from a number or Swedish text; None for an empty optional cell."""
    if _blank(value):
        if required:
            raise BadInput(f"{what} saknas.")
        return None
    if isinstance(value, (list, tuple)):
        raise BadInput(f"{what} ska vara en enda cell, inte ett område.")
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise BadInput(f"{what} innehåller felvärdet {value.strip()}.")
    if isinstance(value, (dt.date, dt.datetime)):
        raise BadInput(f"{what} är ett datum ({value:%Y-%m-%d}), inte ett tal.")
    try:
        return to_decimal(value, allow_percent=percent)
    except NotANumber as e:
        raise BadInput(f"{what}: {e}.") from None


def _fraction(value, what: str) -> Decimal:
    """A share between 0 and 1 (0,015 or "1,5 %")."""
    share = _number(value, what, percent=True)
    bad = engine.share_out_of_range(share, what)
    if bad:
        raise BadInput(bad)
    return share


def _year(value, what: str = "Året") -> int:
    d = _number(value, what)
    if d != d.to_integral_value():
        raise BadInput(f"{what} ska vara ett heltal, inte "
                       f"{format_number(d, decimals_of(d), group=False)}.")
    bad = engine.year_out_of_range(d, what)
    if bad:
        raise BadInput(bad)
    return int(d)


def _period(value) -> int:
    d = _number(value, "Perioden")
    bad = engine.period_out_of_range(d)
    if bad:
        raise BadInput(bad)
    return int(d)


def _date(value, what: str) -> dt.date:
    """A date from a date cell, an Excel serial number or text such as 2024-09-01."""
    if _blank(value):
        raise BadInput(f"{what} saknas.")
    try:
        return to_date(value)
    except NotANumber as e:
        raise BadInput(f"{what}: {e}.") from None


def _choice(value, choices: tuple[str, ...], default: str, what: str) -> str:
    if _blank(value):
        return default
    try:
        return match_choice(str(value), choices, what)
    except NotANumber as e:
        raise BadInput(f"{e}.") from None


def _convention(value) -> str:
    return _choice(value, c.TECKENKONVENTIONER, c.DEFAULTS[c.TECKENKONVENTION],
                   "Teckenkonventionen")


def _text(value) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _column(value, what: str) -> list:
    """A single-column range as a flat list. Accepts a flat list, a list of one-element
    rows, or a single value (a one-cell range)."""
    if not isinstance(value, (list, tuple)):
        return [value]
    out = []
    for item in value:
        if isinstance(item, (list, tuple)):
            if len(item) != 1:
                raise BadInput(f"{what} ska vara en kolumn (ett område som är en cell brett).")
            item = item[0]
        out.append(item)
    return out


# --- The cell functions ---------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("budget", err_to_str=True, doc="Budget, ett belopp.")
@xw.arg("prognos", err_to_str=True, doc="Prognos, ett belopp i samma enhet.")
@xw.arg("teckenkonvention", err_to_str=True,
        doc="Kostnader negativa (standard) eller Kostnader positiva.")
@_cell_function
def FU_AVVIKELSE(budget, prognos, teckenkonvention=None):  # noqa: N802
    """Avvikelse mellan prognos och budget; positiv = bättre än budget."""
    sign = Settings(sign_convention=_convention(teckenkonvention)).sign
    b = _number(budget, "Budget", required=False)
    f = _number(prognos, "Prognos", required=False)
    if b is None and f is None:
        return 0  # an empty row counts as 0, as in the engine
    if b is None or f is None:
        missing = "Budget" if b is None else "Prognos"
        raise BadInput(f"{missing} saknas. Fyll i både budget och prognos.")
    return engine.deviation(b, f, sign)


@xw.func(category=CATEGORY)
@xw.arg("kommunbidrag", err_to_str=True, doc="Kommunbidragets budget.")
@xw.arg("andel", err_to_str=True, doc="Buffertens andel, t.ex. 1,5 %.")
@_cell_function
def FU_BUFFERT(kommunbidrag, andel):  # noqa: N802
    """Buffertens belopp: andelen gånger kommunbidraget."""
    return engine.buffer_amount(_number(kommunbidrag, "Kommunbidraget"),
                                _fraction(andel, "Andelen"))


@xw.func(category=CATEGORY)
@xw.arg("belopp", err_to_str=True, doc="Beloppet, t.ex. det strukturella underskottet.")
@xw.arg("kommunbidrag", err_to_str=True, doc="Kommunbidragets budget i samma enhet.")
@_cell_function
def FU_ANDEL(belopp, kommunbidrag):  # noqa: N802
    """Beloppet som andel av kommunbidraget (formatera cellen som procent)."""
    share = engine.share_of(_number(belopp, "Beloppet"),
                            _number(kommunbidrag, "Kommunbidraget"))
    if share is None:
        raise BadInput("Kommunbidraget är 0, så andelen kan inte beräknas.")
    return share


@xw.func(category=CATEGORY)
@xw.arg("manadslon", err_to_str=True, doc="Månadslön i kronor.")
@xw.arg("po_palagg", err_to_str=True, doc="PO-pålägg, t.ex. 45 %.")
@_cell_function
def FU_ARSARBETARKOSTNAD(manadslon, po_palagg):  # noqa: N802
    """Kostnad i kronor per år för en årsarbetare: månadslön × 12 × (1 + PO-pålägg)."""
    salary = _number(manadslon, "Månadslönen")
    if salary < 0:
        raise BadInput("Månadslönen kan inte vara negativ.")
    return engine.annual_staff_cost(salary, _fraction(po_palagg, "PO-pålägget"))


@xw.func(category=CATEGORY)
@xw.arg("helarseffekt", err_to_str=True, doc="Åtgärdens effekt på helårsbasis.")
@xw.arg("start", err_to_str=True, doc="Dagen då effekten börjar.")
@xw.arg("ar", err_to_str=True, doc="Året som effekten räknas för, t.ex. 2024.")
@_cell_function
def FU_ATGARDSEFFEKT(helarseffekt, start, ar):  # noqa: N802
    """Åtgärdens effekt under året ar, i hela månader från start."""
    full_year = _number(helarseffekt, "Helårseffekten")
    begins = _date(start, "Startdatumet")
    year = _year(ar)
    bad = engine.start_out_of_range(begins, year)
    if bad:
        raise BadInput(bad)
    return engine.effect_this_year(full_year, begins, year)


@xw.func(category=CATEGORY)
@xw.arg("belopp", err_to_str=True, doc="Beloppet.")
@xw.arg("enhet", err_to_str=True, doc="Beloppets enhet: kr, tkr (standard) eller mnkr.")
@_cell_function
def FU_MNKR(belopp, enhet):  # noqa: N802
    """Beloppet i miljoner kronor som rapporten skriver det, t.ex. "-3,0 mnkr"."""
    unit = _choice(enhet, c.ENHETER, c.DEFAULTS[c.ENHET], "Enheten")
    return format_amount(_number(belopp, "Beloppet"), unit, "mnkr")


@xw.func(category=CATEGORY)
@xw.arg("rad", ndim=2, err_to_str=True, doc="Kolumnen Rad (radernas namn).")
@xw.arg("ingar_i", ndim=2, err_to_str=True, doc="Kolumnen Ingår i.")
@xw.arg("budget", ndim=2, err_to_str=True, doc="Kolumnen Budget.")
@xw.arg("prognos", ndim=2, err_to_str=True, doc="Kolumnen Prognos.")
@xw.arg("teckenkonvention", err_to_str=True,
        doc="Kostnader negativa (standard) eller Kostnader positiva.")
@_cell_function
def FU_DRIFT(rad, ingar_i, budget, prognos, teckenkonvention=None):  # noqa: N802
    """Hela driftredovisningen beräknad: Rad, Ingår i, Budget, Prognos, Avvikelse."""
    columns = [_column(rad, "Rad"), _column(ingar_i, "Ingår i"),
               _column(budget, "Budget"), _column(prognos, "Prognos")]
    lengths = [len(col) for col in columns]
    if len(set(lengths)) != 1:
        raise BadInput("Rad, Ingår i, Budget och Prognos ska ha lika många rader (nu "
                       + ", ".join(map(str, lengths)) + ").")
    convention = _convention(teckenkonvention)
    rows = []
    for i, (name, parent, b, f) in enumerate(zip(*columns), start=1):
        if all(_blank(v) for v in (name, parent, b, f)):
            continue  # an empty row of the range
        text = _text(name)
        if text is None:
            raise BadInput(f"Rad {i} har belopp men inget namn i kolumnen Rad.")
        rows.append(DriftRow(
            name=text, parent=_text(parent),
            budget=_number(b, f"Budget på raden '{text}'", required=False),
            forecast=_number(f, f"Prognos på raden '{text}'", required=False)))
    if not rows:
        raise BadInput("Drift har inga rader.")
    result = engine.compute(FollowUp(Settings(sign_convention=convention), tuple(rows)))
    errors = [m.text for m in result.messages if m.level is Level.FEL]
    if errors:
        more = f" (och {len(errors) - 1} fel till)" if len(errors) > 1 else ""
        raise BadInput(errors[0] + more)
    return [list(DRIFT_SPILL_COLUMNS)] + [
        [r.name, r.parent or "", r.budget, r.forecast, r.deviation] for r in result.rows]


@xw.func(category=CATEGORY)
@xw.arg("period", err_to_str=True, doc="Perioden (månaden), 1–12.")
@_cell_function
def FU_RIKTPUNKT(period):  # noqa: N802
    """Riktpunkten: den del av året som gått efter perioden, period/12 (format %)."""
    return monthly.as_decimal(monthly.riktpunkt(_period(period)))


@xw.func(category=CATEGORY)
@xw.arg("budget", err_to_str=True, doc="Budget för helåret.")
@xw.arg("period", err_to_str=True, doc="Perioden (månaden), 1–12.")
@xw.arg("nyckel", err_to_str=True, doc="Lika per månad (standard) eller Kalenderdagar.")
@xw.arg("ar", err_to_str=True, doc="Året, för Kalenderdagar (skottår).")
@_cell_function
def FU_BUDGETACK(budget, period, nyckel=None, ar=None):  # noqa: N802
    """Budget ack: helårsbudgeten periodiserad till och med perioden."""
    key = _choice(nyckel, (c.LIKA_PER_MANAD, c.KALENDERDAGAR), c.LIKA_PER_MANAD,
                  "Nyckeln")
    if key == c.KALENDERDAGAR and _blank(ar):
        raise BadInput("Kalenderdagar behöver året (fjärde argumentet).")
    year = _year(ar) if key == c.KALENDERDAGAR else None  # (Lika per månad needs none)
    share = monthly.fixed_key_share(key, year, _period(period))
    return monthly.as_decimal(monthly.periodised(_number(budget, "Budgeten"), share))


@xw.func(category=CATEGORY)
@xw.arg("utfall_ack", err_to_str=True, doc="Utfall till och med perioden.")
@xw.arg("budget", err_to_str=True, doc="Budget för helåret.")
@xw.arg("budget_ack", err_to_str=True, doc="Budget till och med perioden.")
@xw.arg("period", err_to_str=True, doc="Perioden (månaden), 1–12.")
@xw.arg("metod", err_to_str=True,
        doc="Utfall + återstående budget (standard), Linjär eller Budgetprofil.")
@_cell_function
def FU_PROGNOSFORSLAG(utfall_ack, budget, budget_ack, period, metod=None):  # noqa: N802
    """Prognosförslag för helåret ur utfall och budget (skrivs aldrig i Prognos)."""
    method = _choice(metod, (c.UTFALL_PLUS_BUDGET, c.LINJAR, c.BUDGETPROFIL),
                     c.UTFALL_PLUS_BUDGET, "Metoden")
    result = monthly.suggestion(method, _number(utfall_ack, "Utfallet"),
                                _number(budget, "Budgeten"), _number(budget_ack, "Budget ack"),
                                _period(period))
    if result is None:
        raise BadInput("Budget ack är 0, så budgetprofilen ger inget förslag.")
    return monthly.as_decimal(result)
