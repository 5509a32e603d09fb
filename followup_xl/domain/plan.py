"""The central buffer, the structural deficit and the action plan (handlingsplan).

Pure functions of the follow-up's inputs and of the computed forecast result: each
returns its result (or None when its inputs are empty) and the messages about it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from followup_xl import contract as c
from followup_xl.domain.formulas import (ONE, ZERO, buffer_amount, effect_this_year,
                                         full_effect_year, share_of, share_out_of_range,
                                         staff_effect, start_out_of_range, structural_deficit)
from followup_xl.domain.model import (BufferResult, FollowUp, Level, Loc, Measure,
                                      MeasureResult, Message, PlanResult, Settings,
                                      StructuralResult, row_key)
from followup_xl.domain.swedish import format_amount, format_number


def buffer(fu: FollowUp, kommunbidrag: Decimal | None, forecast_result: Decimal):
    """The buffer: share × kommunbidrag, what is committed, what is left, and how much
    of the forecast deficit (``forecast_result`` income-positive) what is left covers."""
    share, committed = fu.buffer_share, fu.buffer_committed
    if share is None:
        if committed is not None:
            return None, [Message(Level.FEL, "Intecknat belopp är angivet men bufferten "
                                  "saknar andel. Fyll i Buffert_Andel.",
                                  Loc(c.BUFFERT_ANDEL))]
        return None, [Message(Level.INFO, "Bufferten beräknas inte: Buffert_Andel är tom.",
                              Loc(c.BUFFERT_ANDEL))]
    msgs = []
    bad_share = share_out_of_range(share, "Buffertens andel")
    if bad_share:
        return None, [Message(Level.FEL, bad_share, Loc(c.BUFFERT_ANDEL))]
    if kommunbidrag is None:
        return None, [Message(Level.INFO, "Bufferten beräknas inte: Drift saknar "
                              "kommunbidragsraden.", Loc(c.BUFFERT_ANDEL))]
    if committed is None:
        committed = ZERO
        msgs.append(Message(Level.INFO, "Intecknat belopp av bufferten är tomt och räknas "
                            "som 0.", Loc(c.BUFFERT_INTECKNAT)))
    amount = buffer_amount(kommunbidrag, share)
    unit = fu.settings.unit
    if committed < 0:
        return None, [Message(Level.FEL, "Intecknat belopp kan inte vara negativt. Ange den "
                              "del av bufferten som används i prognosen som ett positivt "
                              "belopp.", Loc(c.BUFFERT_INTECKNAT))]
    if committed > amount:
        return None, [Message(Level.FEL, f"Intecknat belopp "
                              f"{format_amount(committed, unit, decimals=2)} är större än "
                              f"bufferten {format_amount(amount, unit, decimals=2)}.",
                              Loc(c.BUFFERT_INTECKNAT))]
    left = amount - committed
    deficit = -forecast_result if forecast_result < 0 else ZERO
    coverage = ONE if deficit == 0 else min(ONE, left / deficit)
    return BufferResult(amount=amount, committed=committed, left=left,
                        coverage=coverage), msgs


def structural(fu: FollowUp, kommunbidrag: Decimal | None, forecast_result: Decimal):
    """The structural deficit: entered, or derived from the forecast result
    (income-positive) and the one-off items (their effect on the result, positive =
    better, in either sign convention); and its share of the kommunbidrag."""
    if fu.structural_deficit is not None:
        deficit, derived = fu.structural_deficit, False
        msgs = []
        if fu.one_offs:
            msgs.append(Message(Level.INFO, "Strukturellt underskott är angivet direkt; "
                                "engångsposterna används inte i beräkningen.",
                                Loc(c.STRUKTURELLT_UNDERSKOTT)))
    elif fu.one_offs:
        one_off_sum = sum((o.amount for o in fu.one_offs), ZERO)
        deficit, derived, msgs = structural_deficit(forecast_result, one_off_sum), True, []
    else:
        return None, [Message(Level.INFO, "Strukturellt underskott beräknas inte: "
                              "Strukturellt_Underskott och Engangsposter är tomma.",
                              Loc(c.STRUKTURELLT_UNDERSKOTT))]
    share = share_of(deficit, kommunbidrag) if kommunbidrag else None
    if kommunbidrag is None:
        msgs.append(Message(Level.INFO, "Strukturella underskottets andel av "
                            "kommunbidraget beräknas inte: Drift saknar kommunbidragsraden.",
                            Loc(c.STRUKTURELLT_ANDEL)))
    return StructuralResult(deficit=deficit, share=share, derived=derived), msgs


def plan(fu: FollowUp, structural_result: StructuralResult | None):
    """The action plan: each measure's effects, their sums, coverage of the structural
    deficit and the first year in balance."""
    if not fu.measures:
        return None, [Message(Level.INFO, "Handlingsplanen beräknas inte: tabellen "
                              "Atgarder är tom.", Loc(c.ATGARDER))]
    s = fu.settings
    msgs: list[Message] = []
    workforce = {row_key(w.department): w.fte for w in fu.workforce}
    results: list[MeasureResult] = []
    for i, m in enumerate(fu.measures):
        r, m_msgs = _measure(i, m, s, workforce)
        msgs += m_msgs
        results.append(r)
    if any(x.level is Level.FEL for x in msgs):
        return None, msgs
    full_year = full_year_effect(results)
    this_year = sum((r.this_year for r in results), ZERO)
    if structural_result is None:
        msgs.append(Message(Level.INFO, "Åtgärdernas täckning och balansår beräknas inte: "
                            "strukturellt underskott saknas.", Loc(c.ATGARDER_TACKNING)))
        return PlanResult(tuple(results), full_year, this_year), msgs
    deficit = structural_result.deficit
    if deficit <= 0:
        coverage, uncovered = ONE, ZERO
    else:
        coverage, uncovered = full_year / deficit, max(ZERO, deficit - full_year)
    if full_year >= deficit:
        years = [full_effect_year(m.start) for m, r in zip(fu.measures, results)
                 if r.full_year != 0 and m.start is not None]
        known = years + ([s.year] if s.year is not None else [])
        balance_year: int | str | None = max(known) if known else None
    else:
        balance_year = c.EJ_I_BALANS
        msgs.append(Message(Level.VARNING, "Handlingsplanen täcker inte det strukturella "
                            f"underskottet: {format_amount(uncovered, s.unit, decimals=1)} "
                            "återstår.", Loc(c.ATGARDER_KVAR)))
    return PlanResult(tuple(results), full_year, this_year, coverage, uncovered,
                      balance_year), msgs


def full_year_effect(measures: Iterable[MeasureResult]) -> Decimal:
    """The measures' full-year effect together."""
    return sum((r.full_year for r in measures), ZERO)


def _measure(i: int, m: Measure, s: Settings, workforce: dict[str, Decimal]):
    def at(column: str) -> Loc:
        return Loc(c.ATGARDER, i, column)

    msgs: list[Message] = []
    staff = m.fte is not None or m.monthly_salary is not None
    if staff and m.full_year_amount is not None:
        msgs.append(Message(Level.FEL, f"Åtgärden '{m.name}' har både årsarbetare och "
                            "Belopp helår. Ange det ena eller det andra.",
                            at(c.ATG_BELOPP)))
    elif staff and (m.fte is None or m.monthly_salary is None):
        missing = c.ATG_MANADSLON if m.monthly_salary is None else c.ATG_ARSARBETARE
        msgs.append(Message(Level.FEL, f"Åtgärden '{m.name}' saknar {missing}.",
                            at(missing)))
    elif staff and s.po_rate is None:
        msgs.append(Message(Level.FEL, "PO-pålägg saknas: det behövs för att räkna "
                            f"personalåtgärden '{m.name}'.", Loc(c.PO_PALAGG)))
    for column, value in ((c.ATG_ARSARBETARE, m.fte), (c.ATG_MANADSLON, m.monthly_salary)):
        if value is not None and value < 0:
            msgs.append(Message(Level.FEL, f"{column} kan inte vara negativ för åtgärden "
                                f"'{m.name}'. En besparing anges som ett positivt tal.",
                                at(column)))
    if msgs:
        return None, msgs
    if staff:
        full_year = staff_effect(m.fte, m.monthly_salary, s.po_rate, s.unit)
    else:
        full_year = m.full_year_amount if m.full_year_amount is not None else ZERO

    if m.start is None:
        if full_year != 0:
            return None, [Message(Level.FEL, f"Åtgärden '{m.name}' saknar startdatum.",
                                  at(c.ATG_START))]
        this_year = ZERO
    elif s.year is None:
        return None, [Message(Level.FEL, "Året (Ar) saknas: det behövs för att räkna "
                              "åtgärdernas effekt i år.", Loc(c.AR))]
    elif start_out_of_range(m.start, s.year):
        return None, [Message(Level.FEL, f"Åtgärden '{m.name}': "
                              f"{start_out_of_range(m.start, s.year)}", at(c.ATG_START))]
    else:
        this_year = effect_this_year(full_year, m.start, s.year)

    share = base = None
    if m.fte is not None:
        base = workforce.get(row_key(m.department or ""))
        if base is None:
            msgs.append(Message(Level.VARNING, f"Avdelningen '{m.department or ''}' finns "
                                "inte i tabellen Arbetsstyrka, så andelen av arbetsstyrkan "
                                f"för åtgärden '{m.name}' lämnas tom.", at(c.ATG_AVDELNING)))
        elif base <= 0:
            msgs.append(Message(Level.VARNING, f"Avdelningen '{m.department}' har "
                                f"{format_number(base, 1)} årsarbetare i Arbetsstyrka; "
                                "andelen lämnas tom.", at(c.ATG_AVDELNING)))
        else:
            share = m.fte / base
    return MeasureResult(full_year=full_year, this_year=this_year, workforce_share=share,
                         workforce=base if share is not None else None), msgs
