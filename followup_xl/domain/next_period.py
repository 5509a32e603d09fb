"""Closing a month: what this month's follow-up carries into the next.

Pure functions on the model (no workbook, no file): the new period, each leaf row's
Föregående prognos (this month's Prognos) and this month's rows for Prognoshistorik (the
computed Prognos and Utfall ack of every Drift row, leaves and totals in Drift order).
:mod:`followup_xl.jobs.next_period` plans the writes and computes the new month.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from followup_xl.domain.formulas import period_out_of_range
from followup_xl.domain.model import FollowUp, HistoryRow, Result
from followup_xl.domain.monthly import MONTHS
from followup_xl.domain.swedish import month_name
from followup_xl.errors import FollowupError, UsageError


@dataclass(frozen=True)
class RollForward:
    """What closing ``closed`` carries into ``period``."""

    closed: int  # this month's period
    period: int  # the new month's
    followup: FollowUp  # the new month's inputs
    previous: dict[int, Decimal]  # Drift leaf row index -> its new Föregående prognos
    history: tuple[HistoryRow, ...]  # the closed month's rows, appended to Prognoshistorik


def next_period_of(closed: int | None, period: int | None = None) -> int:
    """The new month's period: ``period``, or the one after ``closed``. FollowupError
    with a Swedish explanation when there is no such month."""
    if closed is None:
        raise FollowupError("Perioden (Period på Inställningar) saknas, så det går inte att "
                            "veta vilken månad som stängs. Ange månaden som uppföljningen "
                            "avser, 1–12.")
    if closed >= MONTHS:
        raise FollowupError(f"Perioden är {closed} (december): året är slut, och det finns "
                            "ingen nästa månad i samma arbetsbok. Nästa år börjar från mallen "
                            "(uppfoljning.xlsm) med den nya budgeten.")
    if period is None:
        return closed + 1
    if period_out_of_range(period):
        raise UsageError(period_out_of_range(period))
    if period <= closed:
        raise UsageError(f"Den nya perioden ({period}, {month_name(period)}) måste komma efter "
                         f"arbetsbokens period ({closed}, {month_name(closed)}): ny-period "
                         "stänger en månad och börjar en senare.")
    return period


def roll_forward(fu: FollowUp, result: Result, period: int | None = None) -> RollForward:
    """Next month's inputs from this month's, given this month's computed ``result``
    (without Fel). Raises FollowupError for a month that cannot be rolled forward."""
    closed = fu.settings.period
    new = next_period_of(closed, period)
    done = sorted({h.period for h in fu.history if h.period >= closed})
    if done:
        raise FollowupError(
            f"Prognoshistorik har redan rader för period {_periods(done)}: "
            f"{month_name(closed)} är redan stängd (ny-period har körts på den här "
            "arbetsboken förut). Utgå från den arbetsbok som ny-period skrev, eller ta bort "
            "raderna ur Prognoshistorik om de är fel.")
    previous = {i: r.forecast for i, r in enumerate(result.rows) if not r.is_total}
    history = tuple(HistoryRow(closed, r.name, r.forecast, r.actual_ack,
                               len(fu.history) + k) for k, r in enumerate(result.rows))
    rows = tuple(replace(row, previous_forecast=previous[i]) if i in previous else row
                 for i, row in enumerate(fu.rows))
    followup = replace(fu, settings=replace(fu.settings, period=new), rows=rows,
                       history=fu.history + history)
    return RollForward(closed, new, followup, previous, history)


def _periods(periods: list[int]) -> str:
    return ", ".join(str(p) for p in periods)
