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
Budget ack is exactly 0 at the result row, not a residue of rounded thirds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from followup_xl import contract as c
from followup_xl.domain.drift import Tree, not_summed_rows, sum_tree
from followup_xl.domain.formulas import ONE, ZERO, deviation, share_of
from followup_xl.domain.model import (AccuracyRow, FollowUp, Level, Loc, Message, Months,
                                      RowResult, row_key)
from followup_xl.domain.swedish import format_amount, format_percent

MONTHS = 12
FIXED_KEYS = frozenset(row_key(k) for k in c.FIXED_KEYS)  # the built-in Periodisering keys
CALENDAR_KEY = row_key(c.KALENDERDAGAR)


# --- The small formulas (also behind the FU_* cell functions) ----------------------------

Number = Decimal | Fraction


def as_decimal(value: Number | None) -> Decimal | None:
    """A fraction as the Decimal nearest to it (exact when it has a finite decimal form)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(value.numerator) / Decimal(value.denominator)


def riktpunkt(period: int) -> Fraction:
    """The share of the year that has passed at the end of ``period``: period / 12."""
    return Fraction(period, MONTHS)


def calendar_share(year: int, period: int) -> Fraction:
    """Days of the months 1…period over the days of the year, leap years right."""
    days = [calendar.monthrange(year, m)[1] for m in range(1, MONTHS + 1)]
    return Fraction(sum(days[:period]), sum(days))


def periodised(budget: Decimal, share: Fraction) -> Fraction:
    """Budget ack: the year's budget times the share of it the key gives the months so far."""
    return Fraction(budget) * share


def through(values: tuple[Decimal | None, ...], period: int) -> Decimal:
    """The sum of the months 1…period (empty months count as 0)."""
    return sum((v for v in values[:period] if v is not None), ZERO)


def profile_share(values: tuple[Decimal | None, ...], period: int) -> Fraction | None:
    """The share of a profile (last year's actuals, a key) that falls in 1…period, or
    None when the profile's year total is 0."""
    total = through(values, MONTHS)
    return None if total == 0 else Fraction(through(values, period)) / Fraction(total)


def suggestion(method: str, actual: Number, budget: Number, budget_ack: Number,
               period: int, last_year_ack: Number | None = None,
               last_year: Number | None = None) -> Fraction | None:
    """Prognosförslag by ``method``; None where the method is undefined (a zero base)."""
    actual, budget, budget_ack = Fraction(actual), Fraction(budget), Fraction(budget_ack)
    if method == c.UTFALL_PLUS_BUDGET:
        return actual + budget - budget_ack
    if method == c.LINJAR:
        return actual * MONTHS / period
    if method == c.BUDGETPROFIL:
        return None if budget_ack == 0 else actual * budget / budget_ack
    if method == c.FOREGAENDE_ARS_PROFIL:
        if not last_year_ack or last_year is None:
            return None
        return actual * Fraction(last_year) / Fraction(last_year_ack)
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
    if s.year is None and any(row_key(fu.rows[i].key or s.period_key) == CALENDAR_KEY
                              for i in tree.leaves()):
        msgs.append(Message(Level.FEL, "Året (Ar) saknas: det behövs för nyckeln "
                            "Kalenderdagar.", Loc(c.AR)))
    has_actuals = bool(fu.actuals)
    if period is None or any(m.level is Level.FEL for m in msgs):
        return Monthly(rows, tuple(msgs), None, has_actuals, base, ())

    leaf_values: dict[int, tuple[Decimal | None, ...]] = {}
    for i in tree.leaves():
        leaf_values[i] = _leaf(fu, i, rows[i], period, tables, keys, base, has_actuals, msgs)
    # (budget ack, actuals, last year, suggestion or forecast, suggested, budget ack before)
    nothing = (Fraction(0), ZERO, ZERO, Fraction(0), 0, Fraction(0))
    sums = sum_tree(tree, leaf_values, not_summed_rows(fu.rows), nothing)
    history = {(h.period, row_key(h.name)): h for h in fu.history}
    out = []
    sign = s.sign
    for i, row in enumerate(rows):
        ba, actual, last_year, s_or_f, n_suggested, ba_before = sums[i]
        before = history.get((period - 1, row_key(row.name)))
        out.append(replace(
            row, budget_ack=as_decimal(ba), actual_ack=actual,
            actual_ack_last_year=last_year,
            deviation_ack=(None if actual is None
                           else as_decimal(deviation(ba, Fraction(actual), sign))),
            actual_share=(None if actual is None or row.budget == 0
                          else as_decimal(Fraction(actual) / Fraction(row.budget))),
            suggestion=as_decimal(s_or_f) if n_suggested else None,
            change=(None if row.previous_forecast is None
                    else deviation(row.previous_forecast, row.forecast, sign)),
            previous_deviation_ack=(
                None if before is None or before.actual_ack is None or ba_before is None
                else as_decimal(deviation(ba_before, Fraction(before.actual_ack), sign)))))
    rows = tuple(out)
    accuracy = _accuracy(fu, rows[tree.root], base) if has_actuals and period == MONTHS \
        else ()
    return Monthly(rows, tuple(msgs), as_decimal(riktpunkt(period)), has_actuals, base,
                   accuracy)


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
    index = {row_key(r.name): i for i, r in enumerate(fu.rows)}
    out: dict[int, Months] = {}
    for m in months:
        at = Loc(table, m.row, c.MONTHLY_RAD)
        i = index.get(row_key(m.name))
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
        else:
            out[i] = m
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


def _leaf(fu: FollowUp, i: int, row: RowResult, period: int, tables, keys,
          base: Decimal | None, has_actuals: bool, msgs: list[Message]):
    """One leaf row's (budget ack, actuals, last year, suggestion or forecast, suggested,
    budget ack one period earlier)."""
    s = fu.settings
    own = tables["budget"].get(i)
    last = tables["last_year"].get(i)
    if own is not None:
        ba = Fraction(through(own.values, period))
        ba_before = Fraction(through(own.values, period - 1))
    else:
        share, share_before = _key_shares(fu, i, period, last, keys, msgs)
        ba, ba_before = periodised(row.budget, share), periodised(row.budget, share_before)
    actual_row = tables["actuals"].get(i)
    actual = through(actual_row.values, period) if has_actuals and actual_row else \
        (ZERO if has_actuals else None)
    last_year = through(last.values, period) if last else \
        (ZERO if tables["last_year"] else None)
    suggested = None
    if actual_row is not None and any(v is not None for v in actual_row.values[:period]):
        suggested = suggestion(s.forecast_method, actual, row.budget, ba, period,
                               last_year, through(last.values, MONTHS) if last else None)
        if suggested is None:
            msgs.append(Message(Level.INFO, f"Inget prognosförslag för '{row.name}': metoden "
                                f"'{s.forecast_method}' har ingen bas att räkna från (noll).",
                                Loc(c.DRIFT, i, c.DRIFT_PROGNOSFORSLAG)))
        else:
            msgs += _far_from_suggestion(fu, i, row, suggested, base)
    if actual is not None and actual != 0 and row.budget == 0:
        msgs.append(Message(Level.INFO, f"Utfall % för '{row.name}' lämnas tomt: raden har "
                            "ingen budget för helåret.", Loc(c.DRIFT, i, c.DRIFT_UTFALL_PROCENT)))
    return (ba, actual, last_year,
            suggested if suggested is not None else Fraction(row.forecast),
            1 if suggested is not None else 0, ba_before)


def _key_shares(fu: FollowUp, i: int, period: int, last: Months | None, keys,
                msgs: list[Message]) -> tuple[Fraction, Fraction]:
    """The shares of the year's budget for 1…period and 1…period-1 by the row's key."""
    s = fu.settings
    row = fu.rows[i]
    key = row.key or s.period_key
    at = Loc(c.DRIFT, i, c.DRIFT_NYCKEL) if row.key else Loc(c.PERIODISERING)
    name = row_key(key)
    if name == CALENDAR_KEY:  # compute() has made sure there is a year
        return calendar_share(s.year, period), calendar_share(s.year, period - 1)
    if name == row_key(c.FOREGAENDE_ARS_UTFALL):
        share = profile_share(last.values, period) if last is not None else None
        if share is not None:
            return share, profile_share(last.values, period - 1)
        msgs.append(Message(Level.VARNING, f"Raden '{row.name}' har inget utfall föregående "
                            "år att periodisera efter (UtfallFg); budgeten fördelas lika "
                            "per månad.", at))
        return riktpunkt(period), riktpunkt(period - 1)
    if name in keys:
        values = keys[name].values
        return Fraction(through(values, period)), Fraction(through(values, period - 1))
    if row.key and not _known_key(row.key, keys):
        msgs.append(_unknown_key(row.key, keys, at))
    return riktpunkt(period), riktpunkt(period - 1)


def _known_key(key: str, keys: dict[str, Months]) -> bool:
    return row_key(key) in FIXED_KEYS or row_key(key) in keys


def _unknown_key(key: str, keys: dict[str, Months], at: Loc) -> Message:
    known = ", ".join(f"'{k}'" for k in c.FIXED_KEYS + tuple(k.name for k in keys.values()))
    return Message(Level.FEL, f"Periodiseringsnyckeln '{key}' finns inte. Välj bland "
                   f"{known}, eller lägg till den i Periodiseringsnycklar.", at)


def _far_from_suggestion(fu: FollowUp, i: int, row: RowResult, suggested: Decimal,
                         base: Decimal | None) -> list[Message]:
    """A Varning where the forecast differs from the suggestion by more than the
    threshold: Prognos_Varningsgrans of the row's budget, never less than 1 % of the
    budget base."""
    s = fu.settings
    limit = s.forecast_threshold * abs(row.budget)
    if base:
        limit = max(limit, base / 100)
    gap = abs(Fraction(row.forecast) - suggested)
    if gap <= limit:
        return []
    return [Message(Level.VARNING, f"Prognosen för '{row.name}' "
                    f"({format_amount(row.forecast, s.unit)}) skiljer sig "
                    f"{format_amount(as_decimal(gap), s.unit)} från prognosförslaget "
                    f"{format_amount(as_decimal(suggested), s.unit)} ({s.forecast_method}). "
                    "Titta på raden igen.", Loc(c.DRIFT, i, c.DRIFT_PROGNOS))]


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
