"""The follow-up engine: a :class:`FollowUp` in, a :class:`Result` with messages out.

Pure functions on immutable data, Decimal arithmetic throughout: no float ever enters,
nothing is rounded beyond what the arithmetic gives (display rounding is the job of
number formats and of :mod:`followup_xl.domain.swedish`). Every number the product shows
is computed in this package, once: the small formulas in :mod:`.formulas`, the Drift
tree in :mod:`.drift`, buffer, structural deficit and action plan in :mod:`.plan`, the
checks in :mod:`.checks`, the monthly columns in :mod:`.monthly` (exact fractions, as
:mod:`.exact`'s integer pairs); :func:`compute` puts them together. The front doors (CLI,
Excel button, UDFs, report) call these functions and only marshal.
"""

from __future__ import annotations

from followup_xl import contract as c
from followup_xl.domain import checks, drift, monthly
from followup_xl.domain import plan as plan_
from followup_xl.domain.formulas import (  # noqa: F401 (the FU_* functions call them here)
                                         annual_staff_cost, buffer_amount, deviation,
                                         effect_this_year, full_effect_year,
                                         months_this_year, period_out_of_range, share_of,
                                         share_out_of_range, staff_effect,
                                         start_out_of_range, year_out_of_range)
from followup_xl.domain.model import FollowUp, Level, Loc, Message, Result, Settings, row_key


def compute(fu: FollowUp, read_messages: tuple[Message, ...] | list[Message] = ()) -> Result:
    """Compute the follow-up. A result with any Fel message has no numbers to write.

    ``read_messages`` are what the reader said about the cells; they come first. When
    they hold a Fel nothing is computed: the follow-on errors of a bad cell would only
    confuse.
    """
    s = fu.settings
    msgs: list[Message] = list(read_messages)
    if any(m.level is Level.FEL for m in msgs):
        return Result(settings=s, messages=tuple(msgs), followup=fu)
    msgs += _check_settings(s)
    rows, tree, row_msgs = drift.compute_rows(fu)
    msgs += row_msgs
    if rows is None or any(m.level is Level.FEL for m in msgs):
        return Result(settings=s, messages=tuple(msgs), followup=fu)

    kb_index = tree.index.get(row_key(s.kommunbidrag_row))
    kb_row = None if kb_index is None else rows[kb_index]
    kommunbidrag = s.income_positive(kb_row.budget) if kb_row else None
    root_row = rows[tree.root]
    if kb_row is None:
        msgs.append(Message(Level.INFO, f"Drift har ingen rad '{s.kommunbidrag_row}': "
                            "resultatraden är en summa utan balanskrav, och buffert och "
                            "andelar av kommunbidraget beräknas inte.",
                            Loc(c.KOMMUNBIDRAG_RAD)))
        rounding_difference = False
    else:
        balance_msgs, rounding_difference = checks.balance_check(fu, tree, rows)
        msgs += balance_msgs
    msgs += checks.unit_slips(fu, tree)
    months = monthly.compute(fu, tree, rows, kommunbidrag)
    msgs += months.messages
    if any(m.level is Level.FEL for m in msgs):
        return Result(settings=s, messages=tuple(msgs), followup=fu)
    rows = months.rows
    rounding_note = rounding_difference or checks.printed_totals_differ(rows, tree, s.unit)

    forecast_result = s.income_positive(root_row.forecast)
    buffer, buf_msgs = plan_.buffer(fu, kommunbidrag, forecast_result)
    structural, st_msgs = plan_.structural(fu, kommunbidrag, forecast_result)
    plan, plan_msgs = plan_.plan(fu, structural)
    msgs += buf_msgs + st_msgs + plan_msgs
    return Result(settings=s, messages=tuple(msgs), rows=rows, root=root_row.name,
                  has_kommunbidrag=kb_row is not None, kommunbidrag=kommunbidrag,
                  buffer=buffer, structural=structural, plan=plan, followup=fu,
                  rounding_note=rounding_note, riktpunkt=months.riktpunkt,
                  has_actuals=months.has_actuals, budget_base=months.budget_base,
                  accuracy=months.accuracy)


def _check_settings(s: Settings) -> list[Message]:
    out = []
    if s.unit not in c.ENHETER:
        out.append(Message(Level.FEL, f"Enheten '{s.unit}' finns inte. Välj kr, tkr eller "
                           "mnkr.", Loc(c.ENHET)))
    if s.sign_convention not in c.TECKENKONVENTIONER:
        out.append(Message(Level.FEL, f"Teckenkonventionen '{s.sign_convention}' finns "
                           "inte. Välj 'Kostnader negativa' eller 'Kostnader positiva'.",
                           Loc(c.TECKENKONVENTION)))
    bad_period = s.period is not None and period_out_of_range(s.period)
    if bad_period:
        out.append(Message(Level.FEL, bad_period, Loc(c.PERIOD)))
    bad_year = s.year is not None and year_out_of_range(s.year)
    if bad_year:
        out.append(Message(Level.FEL, bad_year, Loc(c.AR)))
    bad_po = s.po_rate is not None and share_out_of_range(s.po_rate, "PO-pålägget")
    if bad_po:
        out.append(Message(Level.FEL, bad_po, Loc(c.PO_PALAGG)))
    bad_limit = share_out_of_range(s.forecast_threshold, "Varningsgränsen för prognosen")
    if bad_limit:
        out.append(Message(Level.FEL, bad_limit, Loc(c.PROGNOS_VARNINGSGRANS)))
    if s.forecast_method not in c.PROGNOSMETODER:
        out.append(Message(Level.FEL, f"Prognosmetoden '{s.forecast_method}' finns inte. "
                           "Välj " + ", ".join(f"'{m}'" for m in c.PROGNOSMETODER) + ".",
                           Loc(c.PROGNOSMETOD)))
    return out
