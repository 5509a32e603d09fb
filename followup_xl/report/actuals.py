"""What the report says about the actuals so far: the table of the months passed, the
accumulated result against the periodised budget and whether it grows, each row's
actuals against its budget for the period, how long the forecast has stood (from the
forecast history), and at year end the forecast accuracy.

Every figure is the engine's (``RowResult.budget_ack`` …, ``Result.accuracy``) or an
input (``FollowUp.history``); wording is chosen on the figures as shown.
"""

from __future__ import annotations

from followup_xl.domain.model import FollowUp, Result, RowResult, row_key
from followup_xl.domain.swedish import (format_amount, format_number, format_percent,
                                        month_name, shown_amount, unit_decimals)
from followup_xl.report.blocks import Paragraph, Table, TableRow
from followup_xl.report.rows import amount_rows, table_rows
from followup_xl.report.wording import is_zero_shown, mnkr


def _months(result: Result) -> str:
    """'jan–maj 2024' for the months passed."""
    s = result.settings
    first, last = month_name(1)[:3], month_name(s.period)[:3]
    span = first if s.period == 1 else f"{first}–{last}"
    return f"{span} {s.year}" if s.year else span


def ack_table(result: Result) -> Table | None:
    """The months passed beside the periodised budget, as a second table under Drift:
    the same rows as the Drift table."""
    if not result.has_actuals or not result.settings.period:
        return None
    s = result.settings
    months = _months(result)
    header = (f"Belopp i {s.unit}", f"Budget {months}", f"Utfall {months}",
              f"Avvikelse {months}")
    shown, _ = table_rows(result)
    rows = amount_rows(result, shown, ("budget_ack", "actual_ack", "deviation_ack"))
    return Table(header, rows, "Budgeten för perioden är periodiserad efter "
                 f"{s.period_key.lower()} om inget annat anges per rad.")


def accumulated_sentence(result: Result) -> str | None:
    """The accumulated result against the periodised budget, and whether it grows since
    the previous period."""
    if not result.has_actuals or not result.settings.period:
        return None
    s = result.settings
    root = result.row(result.root)
    dev = root.deviation_ack
    shown = shown_amount(dev, s.unit, "mnkr")
    through = f"till och med {month_name(s.period)}"
    if shown == 0:
        text = f"Utfallet {through} är i nivå med den periodiserade budgeten"
        kind = None
    else:
        kind = "underskott" if shown < 0 else "överskott"
        text = (f"Utfallet {through} visar ett ackumulerat {kind} mot den periodiserade "
                f"budgeten på {mnkr(dev, s.unit)}")
    before = root.previous_deviation_ack
    if before is None or s.period == 1:
        return text + "."
    was = shown_amount(before, s.unit, "mnkr")
    previous = month_name(s.period - 1)
    if kind is None:
        return text + "."
    if was == shown:
        return text + f", oförändrat sedan {previous}."
    if was == 0:
        return text + f"; i {previous} var utfallet i nivå med den periodiserade budgeten."
    if (was < 0) != (shown < 0):
        return text + f"; i {previous} var avvikelsen {mnkr(before, s.unit)}."
    verb = "har fortsatt att öka" if abs(shown) > abs(was) else "har minskat"
    return text + f". Det ackumulerade {kind}et {verb} sedan {previous}, då det var " \
                  f"{mnkr(before, s.unit)}."


def actuals_clause(result: Result, row: RowResult, is_cost: bool | None) -> str:
    """' Utfallet till och med maj ligger över budgeten för perioden (-2 310 tkr).'"""
    if row.deviation_ack is None or not result.settings.period:
        return ""
    unit = result.settings.unit
    through = f"till och med {month_name(result.settings.period)}"
    if is_zero_shown(row.deviation_ack, unit, unit):
        return f" Utfallet {through} ligger i nivå med budgeten för perioden."
    better = row.deviation_ack > 0
    if is_cost is None:
        where = "bättre än" if better else "sämre än"
    else:
        where = "under" if better == is_cost else "över"
    return (f" Utfallet {through} ligger {where} budgeten för perioden "
            f"({format_amount(row.deviation_ack, unit)}).")


def stood_since(result: Result, fu: FollowUp, row: RowResult, to_unit: str) -> int | None:
    """The first closed period since which the row's forecast (as shown in ``to_unit``)
    has stood unchanged, when the forecast history shows it; else None."""
    s = result.settings
    if not s.period:
        return None
    by_period = {p: h.forecast for p, h in fu.history_by_row.get(row_key(row.name), {}).items()
                 if h.forecast is not None}
    now = shown_amount(row.forecast, s.unit, to_unit)
    since = None
    p = s.period - 1
    while p in by_period and shown_amount(by_period[p], s.unit, to_unit) == now:
        since, p = p, p - 1
    return since


def history_movement(result: Result, fu: FollowUp, row: RowResult, to_unit: str,
                     subject: str, only_change: bool = False) -> str | None:
    """' Prognosen för helåret är oförändrad sedan april.' from the forecast history, or
    how it moved since the previous period ('' when it stood and ``only_change``); None
    without history for the previous period."""
    s = result.settings
    if not s.period or s.period == 1:
        return None
    before = fu.history_by_row.get(row_key(row.name), {}).get(s.period - 1)
    previous = None if before is None else before.forecast
    if previous is None:
        return None
    since = stood_since(result, fu, row, to_unit)
    if since is not None:
        return "" if only_change else f" {subject} är oförändrad sedan {month_name(since)}."
    now = shown_amount(s.income_positive(row.forecast), s.unit, to_unit)
    before = shown_amount(s.income_positive(previous), s.unit, to_unit)
    verb = "förbättrats" if now > before else "försämrats"
    return (f" {subject} har {verb} sedan {month_name(s.period - 1)}, då den var "
            f"{format_amount(previous, s.unit, to_unit)}.")


def accuracy_blocks(result: Result) -> list:
    """At year end: each closed period's forecast of the result against the outcome."""
    if not result.accuracy:
        return []
    s = result.settings
    dec = unit_decimals(s.unit)
    rows = tuple(TableRow(month_name(a.period), (
        month_name(a.period).capitalize(), format_number(a.forecast, dec),
        format_number(a.outcome, dec), format_number(a.error, dec),
        format_percent(a.share) if a.share is not None else "")) for a in result.accuracy)
    worst = max(result.accuracy, key=lambda a: abs(a.error))
    text = (f"Prognossäkerhet: årets utfall för resultatet blev {mnkr(worst.outcome, s.unit)}. "
            f"Störst var avvikelsen i prognosen per {month_name(worst.period)}, "
            f"{mnkr(worst.error, s.unit)}"
            + (f" ({format_percent(worst.share, word=True)} av budgeten)."
               if worst.share is not None else "."))
    header = (f"Prognos per, {s.unit}", "Prognos", "Utfall", "Prognosfel", "Andel av budget")
    return [Paragraph(text), Table(header, rows, "Prognosfel: utfallet mot prognosen, "
                                   "positivt = utfallet blev bättre.", (1, 2, 3, 4))]
