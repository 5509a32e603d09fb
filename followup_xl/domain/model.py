"""The follow-up as plain immutable data: what the engine takes and what it gives back.

Amounts are Decimal in the workbook's unit (kr, tkr or mnkr); shares are fractions
(0.015 for 1,5 %); kronor per month for salaries. Nothing here knows of Excel: a place in
the workbook is a :class:`Loc` in the contract's vocabulary (a table row and column, or a
defined name), which the adapters turn into a cell address such as ``Drift!C6``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, dataclass, fields, replace
from functools import cached_property
from decimal import Decimal
from enum import Enum

from followup_xl import contract as c


class Level(str, Enum):
    FEL = "Fel"
    VARNING = "Varning"
    INFO = "Info"


@dataclass(frozen=True)
class Loc:
    """A place in the follow-up: ``part`` is a table or a defined name of the contract,
    ``row`` the 0-based data row in a table, ``column`` the column header."""

    part: str
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class FileLoc:
    """A place in an input file outside the workbook (a ledger): its name and the
    1-based line, when one line is to blame."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class Message:
    level: Level
    text: str  # Swedish, a complete sentence without the cell address
    loc: Loc | FileLoc | None = None


def row_key(name: str) -> str:
    """How row and department names are matched: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


def status_of(messages) -> str:
    """Kontroll_Status for a set of messages: Fel, Varningar or OK."""
    levels = {m.level for m in messages}
    if Level.FEL in levels:
        return "Fel"
    return "Varningar" if Level.VARNING in levels else "OK"


# --- Inputs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    year: int | None = None
    period: int | None = None
    unit: str = c.DEFAULTS[c.ENHET]
    sign_convention: str = c.DEFAULTS[c.TECKENKONVENTION]
    kommunbidrag_row: str = c.DEFAULTS[c.KOMMUNBIDRAG_RAD]
    po_rate: Decimal | None = None  # PO-pålägg as a fraction, 0.45 for 45 %
    committee: str | None = None
    word_report: bool = False  # the Excel button also writes the Word report
    row_kind: str = c.DEFAULTS[c.RADTYP]  # what the report calls the rows: kontogrupp …
    period_key: str = c.DEFAULTS[c.PERIODISERING]  # default periodisation key
    forecast_method: str = c.DEFAULTS[c.PROGNOSMETOD]  # how Prognosförslag is made
    forecast_threshold: Decimal = Decimal(str(c.DEFAULTS[c.PROGNOS_VARNINGSGRANS]))

    @property
    def costs_negative(self) -> bool:
        """The workbook's amounts are income-positive (costs negative), not ledger style."""
        return self.sign_convention == c.KOSTNADER_NEGATIVA

    @property
    def sign(self) -> int:
        """+1 when costs are negative (income-positive view), -1 in ledger style."""
        return 1 if self.costs_negative else -1

    def income_positive(self, value: Decimal) -> Decimal:
        """A Drift amount as the income-positive view shows it (income and surplus
        positive, costs and deficit negative), whatever the workbook's convention."""
        return value * self.sign


@dataclass(frozen=True)
class DriftRow:
    name: str
    parent: str | None = None  # the row this row sums into ("Ingår i")
    budget: Decimal | None = None
    forecast: Decimal | None = None
    previous_forecast: Decimal | None = None
    comment: str | None = None
    key: str | None = None  # the row's periodisation key (column Nyckel), else the default
    not_summed: bool = False  # Summeras ej = Ja: shown, but left out of its parent's sums


@dataclass(frozen=True)
class Months:
    """One row of a monthly table (Utfall, Manadsbudget, UtfallFg: amounts in the unit
    and convention; Periodiseringsnycklar: shares). ``row`` is its index in its table."""

    name: str
    values: tuple[Decimal | None, ...]  # January … December
    row: int = 0


@dataclass(frozen=True)
class HistoryRow:
    """A closed period's forecast of one Drift row (table Prognoshistorik)."""

    period: int
    name: str
    forecast: Decimal | None
    actual_ack: Decimal | None = None
    row: int = 0


@dataclass(frozen=True)
class OneOff:
    """An engångspost: its effect on this year's result, positive = better (a temporary
    vacancy surplus is positive, a one-off cost negative), in either sign convention."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class Measure:
    """An åtgärd: staff reduced (fte × monthly salary in kronor) or a direct full-year
    amount in the unit. Savings are positive. Neither given: a measure without effect."""

    name: str
    department: str | None = None
    fte: Decimal | None = None
    monthly_salary: Decimal | None = None
    full_year_amount: Decimal | None = None
    start: dt.date | None = None


@dataclass(frozen=True)
class Workforce:
    department: str
    fte: Decimal


@dataclass(frozen=True)
class FollowUp:
    settings: Settings
    rows: tuple[DriftRow, ...]
    buffer_share: Decimal | None = None
    buffer_committed: Decimal | None = None
    structural_deficit: Decimal | None = None  # entered directly (positive = deficit)
    one_offs: tuple[OneOff, ...] = ()
    measures: tuple[Measure, ...] = ()
    workforce: tuple[Workforce, ...] = ()
    plan_note: str | None = None  # the economist's caveat on the action plan
    actuals: tuple[Months, ...] = ()  # Utfall
    monthly_budget: tuple[Months, ...] = ()  # Manadsbudget
    actuals_last_year: tuple[Months, ...] = ()  # UtfallFg
    keys: tuple[Months, ...] = ()  # Periodiseringsnycklar
    history: tuple[HistoryRow, ...] = ()  # Prognoshistorik

    @cached_property
    def history_by_row(self) -> dict[str, dict[int, HistoryRow]]:
        """Prognoshistorik by row (its :func:`row_key`) and period, made once: the
        monthly columns and the report look a row's history up, for thousands of rows."""
        out: dict[str, dict[int, HistoryRow]] = {}
        for h in self.history:
            out.setdefault(row_key(h.name), {})[h.period] = h
        return out


# --- Results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowResult:
    name: str
    is_total: bool
    budget: Decimal
    forecast: Decimal
    deviation: Decimal  # positive = better than budget, in either sign convention
    previous_forecast: Decimal | None = None  # last month's forecast, summed on totals
    comment: str | None = None  # the economist's Kommentar, carried for the report
    parent: str | None = None
    not_summed: bool = False  # shown, but left out of its parent's sums
    depth: int = 0  # in the tree: the result row 0, the rows summed into it 1, …
    # The monthly columns; None when the workbook has no actuals (or the value is
    # undefined for the row, as Utfall % of a zero budget).
    budget_ack: Decimal | None = None
    actual_ack: Decimal | None = None
    deviation_ack: Decimal | None = None  # positive = better than the periodised budget
    actual_share: Decimal | None = None  # Utfall ack / Budget helår
    actual_ack_last_year: Decimal | None = None
    suggestion: Decimal | None = None  # Prognosförslag
    change: Decimal | None = None  # Förändring: forecast against last month's, + = better
    previous_deviation_ack: Decimal | None = None  # Avvikelse ack one period earlier

    # A computation builds a RowResult for each of thousands of rows, twice (the tree's
    # sums, then the monthly columns). The frozen dataclass's __init__ sets each of the
    # 18 fields through object.__setattr__, which was a visible part of the whole
    # computation; these two build the same objects by filling the instance's dict once.

    @classmethod
    def of(cls, **fields_) -> RowResult:
        """``RowResult(**fields_)``, built faster (see above)."""
        if not fields_.keys() <= _ROW_FIELDS or not _ROW_REQUIRED <= fields_.keys():
            return cls(**fields_)  # let the dataclass say what is wrong
        new = object.__new__(cls)
        new.__dict__.update(_ROW_DEFAULTS, **fields_)
        return new

    def with_columns(self, **columns) -> RowResult:
        """This row with some columns set: ``dataclasses.replace(self, **columns)``,
        built faster (see above)."""
        if not columns.keys() <= _ROW_FIELDS:
            return replace(self, **columns)  # let the dataclass say what is wrong
        new = object.__new__(RowResult)
        new.__dict__.update(self.__dict__, **columns)
        return new


_ROW_FIELDS = frozenset(f.name for f in fields(RowResult))
_ROW_REQUIRED = frozenset(f.name for f in fields(RowResult) if f.default is MISSING)
# every field in order, required ones to be given: a new row's dict in the dataclass's order
_ROW_DEFAULTS = {f.name: None if f.default is MISSING else f.default
                 for f in fields(RowResult)}


@dataclass(frozen=True)
class AccuracyRow:
    """Prognossäkerhet: how far a closed period's forecast of the result row was from
    the year's outcome. ``error`` is positive when the outcome was better."""

    period: int
    forecast: Decimal
    outcome: Decimal
    error: Decimal
    share: Decimal | None  # |error| / the budget base (kommunbidrag, or gross costs)


@dataclass(frozen=True)
class BufferResult:
    amount: Decimal
    committed: Decimal
    left: Decimal
    coverage: Decimal  # share of the forecast deficit that what is left covers, 0..1


@dataclass(frozen=True)
class StructuralResult:
    deficit: Decimal  # positive = deficit
    share: Decimal | None  # of the kommunbidrag budget
    derived: bool  # True when computed from the forecast and the one-off items


@dataclass(frozen=True)
class MeasureResult:
    full_year: Decimal
    this_year: Decimal
    workforce_share: Decimal | None
    workforce: Decimal | None = None  # the department's årsarbetare the share is of


@dataclass(frozen=True)
class PlanResult:
    measures: tuple[MeasureResult, ...]
    full_year: Decimal
    this_year: Decimal
    coverage: Decimal | None = None  # full-year effect / structural deficit
    uncovered: Decimal | None = None
    balance_year: int | str | None = None  # a year, or "Ej i balans"


@dataclass(frozen=True)
class Result:
    settings: Settings
    messages: tuple[Message, ...]
    rows: tuple[RowResult, ...] = ()  # in the order of the input rows
    root: str | None = None
    has_kommunbidrag: bool = False
    kommunbidrag: Decimal | None = None  # the kommunbidrag budget, income-positive
    buffer: BufferResult | None = None
    structural: StructuralResult | None = None
    plan: PlanResult | None = None
    followup: FollowUp | None = None  # the input this result was computed from
    rounding_note: bool = False  # totals carry rounding differences: reports must say so
    riktpunkt: Decimal | None = None  # Period/12
    has_actuals: bool = False  # the workbook has an Utfall table with rows
    budget_base: Decimal | None = None  # kommunbidrag, or gross costs: what shares are of
    accuracy: tuple[AccuracyRow, ...] = ()  # at year end, from Prognoshistorik

    @property
    def ok(self) -> bool:
        return not any(m.level is Level.FEL for m in self.messages)

    @property
    def status(self) -> str:
        return status_of(self.messages)

    @cached_property
    def _by_key(self) -> dict[str, RowResult]:
        out: dict[str, RowResult] = {}
        for r in self.rows:
            out.setdefault(row_key(r.name), r)
        return out

    def row(self, name: str) -> RowResult:
        try:
            return self._by_key[row_key(name)]
        except KeyError:
            raise KeyError(name) from None

    @property
    def budget_result(self) -> Decimal | None:
        return self.row(self.root).budget if self.root else None

    @property
    def forecast_result(self) -> Decimal | None:
        return self.row(self.root).forecast if self.root else None
