"""What the report says about the buffer, the structural deficit and the action plan.

Amounts here are sizes: positive, with a word for what they are (intecknat, underskott,
helårseffekt). Wording is chosen on the figures as they are shown.
"""

from __future__ import annotations


from followup_xl import contract as c
from followup_xl.domain.model import FollowUp, Measure, MeasureResult, Result
from followup_xl.domain.plan import full_year_effect
from followup_xl.domain.swedish import (auto_unit, decimals_of, format_amount, format_date,
                                        format_number, shown_amount)
from followup_xl.report.blocks import Block, Bullets, Paragraph
from followup_xl.report.wording import amount, is_zero_shown, mnkr, own_text, pct, sentence


MAX_MEASURES = 15  # measures listed one by one; more makes a summary
TOP_MEASURES = 10  # the largest measures a summary lists


def buffer_text(result: Result, fu: FollowUp) -> str | None:
    b = result.buffer
    if b is None:
        return None
    unit = result.settings.unit
    shown_unit = auto_unit(b.amount, unit)
    if is_zero_shown(b.amount, unit, shown_unit):
        return "Nämnden har ingen förvaltningscentral buffert i budgeten."
    size = format_amount(b.amount, unit, shown_unit)
    share = f", {pct(fu.buffer_share)} av kommunbidraget," if fu.buffer_share is not None \
        else ""
    head = f"Den förvaltningscentrala bufferten på {size}{share}"
    if is_zero_shown(b.left, unit, shown_unit):
        return f"{head} är fullt intecknad i prognosen."
    left = format_amount(b.left, unit, shown_unit)
    if is_zero_shown(b.committed, unit, shown_unit):
        text = f"{head} är inte intecknad i prognosen."
    else:
        committed = format_amount(b.committed, unit, shown_unit)
        text = (f"{head} är delvis intecknad i prognosen: {committed} är intecknat och "
                f"{left} återstår.")
    if shown_amount(result.settings.income_positive(result.forecast_result), unit, "mnkr") < 0:
        if b.coverage >= 1:
            text += (" Det som återstår av bufferten räcker för att täcka det "
                     "prognostiserade underskottet.")
        else:
            text += (f" Det som återstår av bufferten motsvarar {pct(b.coverage)} av det "
                     "prognostiserade underskottet.")
    return text


def structural_text(result: Result) -> str | None:
    st = result.structural
    if st is None:
        return None
    unit = result.settings.unit
    how = (" Det är beräknat som helårsprognosen rensad för engångsposter."
           if st.derived else "")
    share = (f", vilket är {pct(abs(st.share))} av kommunbidraget"
             if st.share is not None else "")
    shown = shown_amount(st.deficit, unit, "mnkr")
    if shown > 0:
        text = (f"Det strukturella underskottet, räknat på helår och utan tillfälliga "
                f"poster, uppskattas till {mnkr(st.deficit, unit)}{share}.{how}")
        plan_ = result.plan
        if plan_ is not None and plan_.measures:
            text += (" För att nå en budget i balans föreslås åtgärder, som redovisas under "
                     "Handlingsplan.")
        else:
            text += " Åtgärder för att hantera underskottet behöver tas fram."
        return text
    if shown < 0:
        return (f"Nämnden bedöms inte ha något strukturellt underskott: rensat för "
                f"engångsposter finns ett överskott på helårsbasis om "
                f"{mnkr(-st.deficit, unit)}{share}.{how}")
    return f"Nämnden bedöms inte ha något strukturellt underskott på helårsbasis.{how}"


def plan(result: Result, fu: FollowUp) -> list[Block]:
    unit = result.settings.unit
    st, plan_ = result.structural, result.plan
    deficit = st is not None and shown_amount(st.deficit, unit, "mnkr") > 0
    if plan_ is None or not fu.measures:
        if deficit:
            return [Paragraph(f"Någon handlingsplan för det strukturella underskottet om "
                              f"{mnkr(st.deficit, unit)} redovisas ännu inte. Åtgärder "
                              "behöver tas fram för att nå en budget i balans.")]
        return [Paragraph("Inga åtgärder redovisas i denna uppföljning.")]

    out: list[Block] = []
    if deficit:
        out.append(Paragraph(f"För att hantera det strukturella underskottet om "
                             f"{mnkr(st.deficit, unit)} och nå en budget i balans föreslås "
                             "följande åtgärder."))
    elif st is not None:
        out.append(Paragraph("Nämnden har inget strukturellt underskott att täcka. Följande "
                             "åtgärder föreslås ändå."))
    else:
        out.append(Paragraph("Följande åtgärder föreslås."))
    pairs = list(zip(fu.measures, plan_.measures))
    shown = range(len(pairs))
    if len(pairs) > MAX_MEASURES:  # a kommun-sized plan: the largest, then the rest summed
        shown = sorted(sorted(shown, key=lambda k: abs(pairs[k][1].full_year),
                              reverse=True)[:TOP_MEASURES])
    items = [_measure_text(result, *pairs[k]) for k in shown]
    if len(shown) < len(pairs):
        listed = set(shown)
        rest = [r for k, (_, r) in enumerate(pairs) if k not in listed]
        rest_effect = full_year_effect(rest)
        items.append(f"Ytterligare {len(rest)} åtgärder med en sammanlagd helårseffekt på "
                     f"{amount(rest_effect, unit, like=rest_effect)}; alla står på bladet "
                     "Handlingsplan.")
    out.append(Bullets(tuple(items)))
    out.append(Paragraph(_plan_closing(result)))
    note = own_text(fu.plan_note)
    if note:
        out.append(Paragraph(sentence(note), lead="Observera"))
    return out


def _measure_text(result: Result, m: Measure, r: MeasureResult) -> str:
    s = result.settings
    unit = s.unit
    text = sentence(own_text(m.name) or "")
    department = own_text(m.department)
    if m.fte is not None:
        fte_dec = min(2, max(1, decimals_of(m.fte)))
        where = f" på avdelning {department}" if department else ""
        text += f" Arbetsstyrkan minskas med {format_number(m.fte, fte_dec)} årsarbetare{where}"
        if r.workforce_share is not None:
            base_dec = min(2, decimals_of(r.workforce))
            text += (f", vilket motsvarar {pct(r.workforce_share)} av avdelningens "
                     f"arbetsstyrka på {format_number(r.workforce, base_dec)} årsarbetare")
        text += "."
    elif department:
        text += f" Avdelning: {department}."
    unit_shown = auto_unit(r.full_year, unit)
    if is_zero_shown(r.full_year, unit, unit_shown):
        return text + " Åtgärden har ingen beräknad ekonomisk effekt."
    text += f" Helårseffekt {format_amount(r.full_year, unit, unit_shown)}"
    if s.year is not None:
        if is_zero_shown(r.this_year, unit, auto_unit(r.full_year, unit)):
            text += f", ingen effekt under {s.year}"
        else:
            text += f", varav {amount(r.this_year, unit)} under {s.year}"
    if m.start is not None:
        text += f", från och med {format_date(m.start)}"
    return text + "."


def _plan_closing(result: Result) -> str:
    s = result.settings
    unit = s.unit
    plan_, st = result.plan, result.structural
    if is_zero_shown(plan_.full_year, unit, "mnkr") and is_zero_shown(plan_.full_year, unit,
                                                                       "tkr"):
        text = "Åtgärderna har sammantaget ingen beräknad ekonomisk effekt."
    else:
        text = (f"Sammantaget beräknas åtgärderna ge en helårseffekt på "
                f"{amount(plan_.full_year, unit, like=plan_.full_year)}")
        if s.year is not None:
            if is_zero_shown(plan_.this_year, unit, auto_unit(plan_.this_year, unit)):
                text += f", utan effekt under {s.year}"
            else:
                text += f", varav {amount(plan_.this_year, unit)} under {s.year}"
        text += "."
    if st is None:
        return text
    deficit_shown = shown_amount(st.deficit, unit, "mnkr")
    if plan_.balance_year == c.EJ_I_BALANS:
        text += (f" Det täcker {pct(plan_.coverage)} av det strukturella underskottet. "
                 f"Återstående {amount(plan_.uncovered, unit)} saknar ännu åtgärder, och "
                 "budgeten bedöms därför inte vara i balans. Ytterligare åtgärder behöver "
                 "tas fram.")
    elif isinstance(plan_.balance_year, int):
        if deficit_shown <= 0:
            text += (f" Nämnden har inget strukturellt underskott, och budgeten bedöms vara "
                     f"i balans från och med {plan_.balance_year}.")
        elif plan_.coverage is not None and shown_amount(plan_.full_year, unit,
                                                         "mnkr") > deficit_shown:
            text += (f" Det överstiger det strukturella underskottet och bedöms ge en budget "
                     f"i balans från och med {plan_.balance_year}.")
        else:
            text += (f" Det täcker det strukturella underskottet och bedöms ge en budget i "
                     f"balans från och med {plan_.balance_year}.")
    elif plan_.coverage is not None:
        text += " Det täcker det strukturella underskottet."
    return text
