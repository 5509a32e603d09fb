"""The monthly columns of the Drift table: the budget for the months passed (periodised
by a key or taken from the monthly budget), the actuals so far, their deviation, the
actuals as a share of the year's budget, last year's actuals for the same months, a
forecast suggestion, the change since last month's forecast, and the forecast accuracy
at year end.

Pure functions of the follow-up's inputs and the Drift rows already summed by
:mod:`followup_xl.domain.drift`. Leaves get their own values; totals the sums of their
summed children (``Summeras ej`` rows left out), as every Drift column.

Periodising divides (5/12 of a budget), so these columns are computed as exact
fractions and turned into Decimals only at the end, row by row: a balanced budget's
Budget ack is exactly 0 at the result row, not a residue of rounded thirds. The table is
worked out in :mod:`followup_xl.domain.exact`'s integer pairs (the same values as
Fractions, without their cost per operation); the small formulas keep their Fraction
interface for the FU_* cell functions and compute through the same pair arithmetic.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from followup_xl import contract as c
from followup_xl.domain import exact
from followup_xl.domain.drift import Tree, not_summed_rows, sum_tree
from followup_xl.domain.exact import Q
from followup_xl.domain.formulas import ONE, ZERO, deviation, share_of
from followup_xl.domain.model import (AccuracyRow, FollowUp, Level, Loc, Message, Months,
                                      RowResult, row_key)
from followup_xl.domain.swedish import format_amount, format_percent

MONTHS = 12
FIXED_KEYS = frozenset(row_key(k) for k in c.FIXED_KEYS)  # the built-in Periodisering keys
CALENDAR_KEY = row_key(c.KALENDERDAGAR)
LAST_YEAR_KEY = row_key(c.FOREGAENDE_ARS_UTFALL)
EVEN_KEY = row_key(c.LIKA_PER_MANAD)


# --- The small formulas (also behind the FU_* cell functions) ----------------------------

Number = Decimal | Fraction


def as_decimal(value: Number | None) -> Decimal | None:
    """A fraction as the Decimal nearest to it (exact when it has a finite decimal form)."""
    if value is None or isinstance(value, Decimal):
        return value
    return exact.to_decimal(exact.of(value))


def riktpunkt(period: int) -> Fraction:
    """The share of the year that has passed at the end of ``period``: period / 12."""
    return Fraction(period, MONTHS)


def calendar_share(year: int, period: int) -> Fraction:
    """Days of the months 1…period over the days of the year, leap years right."""
    days = [calendar.monthrange(year, m)[1] for m in range(1, MONTHS + 1)]
    return Fraction(sum(days[:period]), sum(days))


def fixed_key_share(key: str, year: int | None, period: int) -> Fraction:
    """The share of the year's budget a built-in key gives the months 1…period:
    Kalenderdagar the days passed (it needs the year), Lika per månad period/12."""
    return calendar_share(year, period) if row_key(key) == CALENDAR_KEY else riktpunkt(period)


def periodised(budget: Decimal, share: Fraction) -> Fraction:
    """Budget ack: the year's budget times the share of it the key gives the months so far."""
    return exact.to_fraction(_periodised(exact.of(budget), exact.of(share)))


def _periodised(budget: Q, share: Q) -> Q:
    """:func:`periodised` on exact quotients (what the table computes with)."""
    return exact.mul(budget, share)


def through(values: tuple[Decimal | None, ...], period: int) -> Decimal:
    """The sum of the months 1…period (empty months count as 0)."""
    return sum([v for v in values[:period] if v is not None], ZERO)


def _profile_share(values: tuple[Decimal | None, ...], period: int) -> Q | None:
    """The share of a profile (last year's actuals, a key) that falls in 1…period, or
    None when the profile's year total is 0."""
    total = through(values, MONTHS)
    return None if total == 0 else \
        exact.reduced(exact.div(exact.of(through(values, period)), exact.of(total)))


def suggestion(method: str, actual: Number, budget: Number, budget_ack: Number,
               period: int, last_year_ack: Number | None = None,
               last_year: Number | None = None) -> Fraction | None:
    """Prognosförslag by ``method``; None where the method is undefined (a zero base)."""
    got = _suggested(method, exact.of(actual), exact.of(budget), exact.of(budget_ack), period,
                     None if last_year_ack is None else exact.of(last_year_ack),
                     None if last_year is None else exact.of(last_year))
    return None if got is None else exact.to_fraction(got)


def _suggested(method: str, actual: Q, budget: Q, budget_ack: Q, period: int,
               last_year_ack: Q | None, last_year: Q | None) -> Q | None:
    """:func:`suggestion` on exact quotients (what the table computes with)."""
    if method == c.UTFALL_PLUS_BUDGET:
        return exact.sub(exact.add(actual, budget), budget_ack)
    if method == c.LINJAR:
        return exact.div((actual[0] * MONTHS, actual[1]), (period, 1))
    if method == c.BUDGETPROFIL:
        return None if exact.is_zero(budget_ack) else \
            exact.div(exact.mul(actual, budget), budget_ack)
    if method == c.FOREGAENDE_ARS_PROFIL:
        if last_year_ack is None or exact.is_zero(last_year_ack) or last_year is None:
            return None
        return exact.div(exact.mul(actual, last_year), last_year_ack)
    raise ValueError(method)


# --- The whole table ----------------------------------------------------------------------

@dataclass(frozen=True)
class Monthly:
    rows: tuple[RowResult, ...]
    messages: tuple[Message, ...]
    riktpunkt: Decimal | None
    has_actuals: bool
    budget_base: Decimal | None
    accuracy: tuple[AccuracyRow, ...]


def compute(fu: FollowUp, tree: Tree, rows: tuple[RowResult, ...],
            kommunbidrag: Decimal | None) -> Monthly:
    """The monthly columns for every row, and what is said about them."""
    s = fu.settings
    msgs: list[Message] = []
    base = budget_base(fu, tree, kommunbidrag)
    period = s.period
    tables = {name: _by_row(fu, tree, table, months, msgs) for name, table, months in (
        ("actuals", c.UTFALL, fu.actuals), ("budget", c.MANADSBUDGET, fu.monthly_budget),
        ("last_year", c.UTFALL_FG, fu.actuals_last_year))}
    keys = _named_keys(fu, msgs)
    if not _known_key(s.period_key, keys):
        msgs.append(_unknown_key(s.period_key, keys, Loc(c.PERIODISERING)))
    leaves = tree.leaves()
    if s.year is None and any(row_key(k) == CALENDAR_KEY for k in
                              {fu.rows[i].key or s.period_key for i in leaves}):
        msgs.append(Message(Level.FEL, "Året (Ar) saknas: det behövs för nyckeln "
                            "Kalenderdagar.", Loc(c.AR)))
    has_actuals = bool(fu.actuals)
    if period is None or any(m.level is Level.FEL for m in msgs):
        return Monthly(rows, tuple(msgs), None, has_actuals, base, ())

    # Per leaf the exact quotients (budget ack, suggestion or forecast, budget ack one
    # period earlier) and the Decimals (actuals, last year, 1 if suggested else 0).
    shares = _Shares(fu, period, keys)
    quotients: dict[int, tuple[Q, Q, Q]] = {}
    amounts: dict[int, tuple[Decimal | None, Decimal | None, int]] = {}
    for i in leaves:
        quotients[i], amounts[i] = _leaf(fu, i, rows[i], period, tables, shares, base,
                                         has_actuals, msgs)
    not_summed = not_summed_rows(fu.rows)
    exact_sums = sum_tree(tree, quotients, not_summed, (exact.ZERO,) * 3, exact.total)
    sums = sum_tree(tree, amounts, not_summed, (ZERO, ZERO, 0))
    history = fu.history_by_row
    out = []
    sign = s.sign
    for i, row in enumerate(rows):
        ba, s_or_f, ba_before = exact_sums[i]
        actual, last_year, n_suggested = sums[i]
        before = history.get(tree.keys[i], {}).get(period - 1) if history else None
        if actual is None:
            deviation_ack = actual_share = None
        else:
            actual_q = exact.of(actual)
            deviation_ack = exact.to_decimal(_deviation(ba, actual_q, sign))
            actual_share = None if row.budget == 0 else \
                exact.to_decimal(exact.div(actual_q, exact.of(row.budget)))
        out.append(row.with_columns(
            budget_ack=exact.to_decimal(ba), actual_ack=actual,
            actual_ack_last_year=last_year, deviation_ack=deviation_ack,
            actual_share=actual_share,
            suggestion=exact.to_decimal(s_or_f) if n_suggested else None,
            change=(None if row.previous_forecast is None
                    else deviation(row.previous_forecast, row.forecast, sign)),
            previous_deviation_ack=(
                None if before is None or before.actual_ack is None
                else exact.to_decimal(_deviation(ba_before, exact.of(before.actual_ack),
                                                 sign)))))
    rows = tuple(out)
    accuracy = _accuracy(fu, rows[tree.root], base) if has_actuals and period == MONTHS \
        else ()
    return Monthly(rows, tuple(msgs), as_decimal(riktpunkt(period)), has_actuals, base,
                   accuracy)


def _deviation(budget: Q, forecast: Q, sign: int) -> Q:
    """:func:`~followup_xl.domain.formulas.deviation` on exact quotients."""
    n, d = exact.sub(forecast, budget)
    return n * sign, d


def budget_base(fu: FollowUp, tree: Tree, kommunbidrag: Decimal | None) -> Decimal | None:
    """What thresholds and shares of the whole are measured against: the kommunbidrag,
    or without one the gross costs (the leaf rows' cost budgets)."""
    if kommunbidrag:
        return abs(kommunbidrag)
    s = fu.settings
    costs = sum((-s.income_positive(fu.rows[i].budget) for i in tree.leaves()
                 if fu.rows[i].budget is not None and s.income_positive(fu.rows[i].budget) < 0),
                ZERO)
    return costs or None


def _by_row(fu: FollowUp, tree: Tree, table: str, months: tuple[Months, ...],
            msgs: list[Message]) -> dict[int, Months]:
    """A monthly table's rows by the Drift leaf row they belong to; Fel for a row that
    names no Drift row, a total row, or a row named twice."""
    index, children = tree.index, tree.children
    out: dict[int, Months] = {}
    for m in months:
        i = index.get(row_key(m.name))
        if i is not None and not children[i] and i not in out:
            out[i] = m
            continue
        at = Loc(table, m.row, c.MONTHLY_RAD)
        if i is None:
            msgs.append(Message(Level.FEL, f"Raden '{m.name}' i tabellen {table} finns inte "
                                "i Drift. Stava den som i Drift.", at))
        elif tree.is_total(i):
            msgs.append(Message(Level.FEL, f"'{m.name}' är en summeringsrad i Drift; i "
                                f"{table} anges bara rader som inte är summor (summorna "
                                "räknas fram).", at))
        elif i in out:
            msgs.append(Message(Level.FEL, f"Raden '{m.name}' står två gånger i tabellen "
                                f"{table}.", at))
    return out


def _named_keys(fu: FollowUp, msgs: list[Message]) -> dict[str, Months]:
    keys: dict[str, Months] = {}
    for k in fu.keys:
        at = Loc(c.PERIODISERINGSNYCKLAR, k.row, c.PNY_NYCKEL)
        name = row_key(k.name)
        if name in FIXED_KEYS:
            msgs.append(Message(Level.FEL, f"Nyckeln '{k.name}' finns redan inbyggd. Ge din "
                                "nyckel ett annat namn.", at))
            continue
        total = through(k.values, MONTHS)
        if any(v is not None and v < 0 for v in k.values):
            msgs.append(Message(Level.FEL, f"Nyckeln '{k.name}' har en negativ andel.", at))
        elif total != ONE:
            msgs.append(Message(Level.FEL, f"Nyckeln '{k.name}' summerar till "
                                f"{format_percent(total, 2)}; andelarna per månad ska "
                                "summera till 100 %.", at))
        else:
            keys[name] = k
    return keys


def _leaf(fu: FollowUp, i: int, row: RowResult, period: int, tables, shares: _Shares,
          base: Decimal | None, has_actuals: bool, msgs: list[Message]
          ) -> tuple[tuple[Q, Q, Q], tuple[Decimal | None, Decimal | None, int]]:
    """One leaf row's exact (budget ack, suggestion or forecast, budget ack one period
    earlier) and its (actuals, last year, 1 if suggested else 0)."""
    s = fu.settings
    own = tables["budget"].get(i)
    last = tables["last_year"].get(i)
    budget = exact.of(row.budget)
    if own is not None:
        ba = exact.of(through(own.values, period))
        ba_before = exact.of(through(own.values, period - 1))
    else:
        share, share_before = shares.of_row(i, last, msgs)
        ba, ba_before = _periodised(budget, share), _periodised(budget, share_before)
    actual_row = tables["actuals"].get(i)
    actual = through(actual_row.values, period) if has_actuals and actual_row else \
        (ZERO if has_actuals else None)
    last_year = through(last.values, period) if last else \
        (ZERO if tables["last_year"] else None)
    suggested = None
    if actual_row is not None and any(v is not None for v in actual_row.values[:period]):
        suggested = _suggested(s.forecast_method, exact.of(actual), budget, ba,
                               period, None if last_year is None else exact.of(last_year),
                               exact.of(through(last.values, MONTHS)) if last else None)
        if suggested is None:
            msgs.append(Message(Level.INFO, f"Inget prognosförslag för '{row.name}': metoden "
                                f"'{s.forecast_method}' har ingen bas att räkna från (noll).",
                                Loc(c.DRIFT, i, c.DRIFT_PROGNOSFORSLAG)))
        else:
            msgs += _far_from_suggestion(fu, i, row, suggested, base)
    if actual is not None and actual != 0 and row.budget == 0:
        msgs.append(Message(Level.INFO, f"Utfall % för '{row.name}' lämnas tomt: raden har "
                            "ingen budget för helåret.", Loc(c.DRIFT, i, c.DRIFT_UTFALL_PROCENT)))
    s_or_f = suggested if suggested is not None else exact.of(row.forecast)
    return (ba, s_or_f, ba_before), (actual, last_year, 0 if suggested is None else 1)


class _Shares:
    """The shares of the year's budget that each leaf's key gives the months 1…period
    and 1…period-1, as exact quotients. A key's shares are worked out once; only
    Föregående års utfall depends on the row (its own last year's profile)."""

    def __init__(self, fu: FollowUp, period: int, keys: dict[str, Months]):
        self.fu, self.period, self.keys = fu, period, keys
        year = fu.settings.year
        self.by_name: dict[str, tuple[Q, Q]] = {
            name: (exact.of(fixed_key_share(name, year, period)),
                   exact.of(fixed_key_share(name, year, period - 1)))
            # (compute() has made sure Kalenderdagar has a year)
            for name in (EVEN_KEY, CALENDAR_KEY) if name == EVEN_KEY or year is not None}
        self.even = self.by_name[EVEN_KEY]
        for name, key in keys.items():
            self.by_name[name] = (exact.of(through(key.values, period)),
                                  exact.of(through(key.values, period - 1)))
        self._name_of: dict[str, str] = {}

    def of_row(self, i: int, last: Months | None, msgs: list[Message]) -> tuple[Q, Q]:
        """The shares for 1…period and 1…period-1 by the row's key (messages for a key
        that cannot be used on the row)."""
        s = self.fu.settings
        row = self.fu.rows[i]
        key = row.key or s.period_key
        name = self._name_of.get(key)
        if name is None:
            name = self._name_of[key] = row_key(key)
        known = self.by_name.get(name)
        if known is not None:
            return known
        at = Loc(c.DRIFT, i, c.DRIFT_NYCKEL) if row.key else Loc(c.PERIODISERING)
        if name == LAST_YEAR_KEY:
            share = _profile_share(last.values, self.period) if last is not None else None
            if share is not None:
                return share, _profile_share(last.values, self.period - 1)
            msgs.append(Message(Level.VARNING, f"Raden '{row.name}' har inget utfall "
                                "föregående år att periodisera efter (UtfallFg); budgeten "
                                "fördelas lika per månad.", at))
            return self.even
        if row.key:  # not a key of the workbook (the default key is checked once)
            msgs.append(_unknown_key(row.key, self.keys, at))
        return self.even


def _known_key(key: str, keys: dict[str, Months]) -> bool:
    return row_key(key) in FIXED_KEYS or row_key(key) in keys


def _unknown_key(key: str, keys: dict[str, Months], at: Loc) -> Message:
    known = ", ".join(f"'{k}'" for k in c.FIXED_KEYS + tuple(k.name for k in keys.values()))
    return Message(Level.FEL, f"Periodiseringsnyckeln '{key}' finns inte. Välj bland "
                   f"{known}, eller lägg till den i Periodiseringsnycklar.", at)


def _far_from_suggestion(fu: FollowUp, i: int, row: RowResult, suggested: Q,
                         base: Decimal | None) -> list[Message]:
    """A Varning where the forecast differs from the suggestion by more than the
    threshold: Prognos_Varningsgrans of the row's budget, never less than 1 % of the
    budget base."""
    s = fu.settings
    limit = s.forecast_threshold * abs(row.budget)
    if base:
        limit = max(limit, base / 100)
    gap = exact.absolute(exact.sub(exact.of(row.forecast), suggested))
    if exact.at_most(gap, exact.of(limit)):
        return []
    return [Message(Level.VARNING, f"Prognosen för '{row.name}' "
                    f"({format_amount(row.forecast, s.unit)}) skiljer sig "
                    f"{format_amount(exact.to_decimal(gap), s.unit)} från prognosförslaget "
                    f"{format_amount(exact.to_decimal(suggested), s.unit)} "
                    f"({s.forecast_method}). Titta på raden igen.",
                    Loc(c.DRIFT, i, c.DRIFT_PROGNOS))]


def _accuracy(fu: FollowUp, root: RowResult, base: Decimal | None) -> tuple[AccuracyRow, ...]:
    """Each closed period's forecast of the result row against the year's outcome."""
    sign = fu.settings.sign
    out = []
    for h in sorted(fu.history, key=lambda h: h.period):
        if row_key(h.name) != row_key(root.name) or h.forecast is None or h.period >= MONTHS:
            continue
        error = deviation(h.forecast, root.actual_ack, sign)
        out.append(AccuracyRow(h.period, h.forecast, root.actual_ack, error,
                               share_of(abs(error), base) if base else None))
    return tuple(out)
