"""The report to the nämnd drafted from the engine's result: what it says, as plain data.

Pure functions, no Word and no Excel: :func:`draft` turns a computed :class:`Result` and
the :class:`FollowUp` it came from (for what only the inputs know: the names of the
measures, their avdelning and årsarbetare, the buffer's share, the plan's caveat) into a
:class:`~followup_xl.report.blocks.Report`. :mod:`followup_xl.report.docx` lays it out in
Word; :func:`draft_paragraphs` gives the same text as plain paragraphs (the workbook's
Rapport sheet).

No number is computed here: every figure is the engine's, formatted by
:mod:`followup_xl.domain.swedish`. What is decided here is the wording, and every choice
is made on the figures *as they are shown*. Signs: an amount in the text is written as
the Drift table shows it, and a word says which way it goes (underskott, bättre än
budget …); amounts that are sizes (the buffer, the structural deficit, a measure's
effect) are positive. The rules are listed in docs/report.md.
"""

from __future__ import annotations

from followup_xl.domain.model import FollowUp, Result, RowResult
from followup_xl.domain.swedish import (format_amount, month_name,
                                        shown_amount)
from followup_xl.errors import FollowupError
from followup_xl.report import actuals, plan_text
from followup_xl.report.blocks import (Block, Figure, Paragraph, Report, Section, Table,
                                       paragraphs_of)
from followup_xl.report.rows import Focus, amount_rows, focus, kind, table_rows
from followup_xl.report.wording import (is_zero_shown, join, lower_first, mnkr, own_text,
                                        sentence)

ROUNDING_NOTE = "Summor kan avvika från summan av avrundade rader."

# Section titles, as the report prints them.
DRIFT = "Drift"
SAMMANFATTNING = "Inledande sammanfattning"
UTFALL = "Utfall och prognos"
HANDLINGSPLAN = "Handlingsplan"


# --- The Drift table ----------------------------------------------------------------------

def drift_table(result: Result) -> Table:
    """The Drift table as the seed prints it: rows in table order, totals in bold; for a
    large tree the upper levels, saying what is left out."""
    s = result.settings
    year = f" {s.year}" if s.year else ""
    header = (f"Belopp i {s.unit}", f"Budget{year}", f"Prognos helår{year}",
              f"Avvikelse prognos/budget{year}")
    shown, left_out = table_rows(result)
    rows = amount_rows(result, shown, ("budget", "forecast", "deviation"))
    notes = []
    for r in shown:
        if r.not_summed:
            notes.append(f"{own_text(r.name)} visas men ingår inte i summan för "
                         f"{own_text(r.parent)}.")
    if left_out:
        notes.append(f"Tabellen visar de översta nivåerna; alla {len(result.rows)} rader "
                     "finns på bladet Drift.")
    if result.rounding_note:
        notes.append(ROUNDING_NOTE)
    return Table(header, rows, " ".join(notes) or None)


# --- Drafting -----------------------------------------------------------------------------

def draft(result: Result, followup: FollowUp) -> Report:
    """The whole report. Refuses (FollowupError) when the result has errors."""
    if not result.ok or not result.rows:
        raise FollowupError("Rapporten kan inte skapas: uppföljningen har fel. Rätta felen "
                            "i Kontroll och beräkna igen.")
    f = focus(result)
    ack = actuals.ack_table(result)
    return Report(
        title=title(result),
        subtitle=own_text(result.settings.committee),
        sections=(
            Section(DRIFT, (drift_table(result),) + ((ack,) if ack else ())),
            Section(SAMMANFATTNING, tuple(_summary(result, followup))),
            Section(UTFALL, tuple(_outcome(result, f))),
            Section(HANDLINGSPLAN, tuple(plan_text.plan(result, followup))),
        ))


def draft_paragraphs(result: Result, followup: FollowUp) -> list[str]:
    """The report's text as plain paragraphs, for a Rapport sheet or a text box: the same
    words as the Word draft, without the table and the charts."""
    return paragraphs_of(draft(result, followup))


def title(result: Result) -> str:
    """'Månadsuppföljning per maj 2024' (the nämnd is the subtitle)."""
    s = result.settings
    what = "Månadsuppföljning"
    if s.period and s.year:
        what += f" per {month_name(s.period)} {s.year}"
    elif s.year:
        what += f" {s.year}"
    return what


def _per(result: Result) -> str:
    s = result.settings
    return f"per {month_name(s.period)}" if s.period else ""


def _root(result: Result) -> RowResult:
    return result.row(result.root)


def _year(result: Result) -> str:
    return f" {result.settings.year}" if result.settings.year else ""


# Inledande sammanfattning -----------------------------------------------------------------

def _summary(result: Result, fu: FollowUp) -> list[Block]:
    root = _root(result)
    comment = own_text(root.comment)
    # With the economist's own comment on the result, the engine says the figure only:
    # the comment tells how it moved.
    out: list[Block] = [Paragraph(_result_sentence(result, with_movement=not comment))]
    accumulated = actuals.accumulated_sentence(result)
    if accumulated:
        out.append(Paragraph(accumulated))
    if comment:
        out.append(Paragraph(sentence(comment)))
    for text in (plan_text.buffer_text(result, fu), plan_text.structural_text(result)):
        if text:
            out.append(Paragraph(text))
    return out


def _result_sentence(result: Result, with_movement: bool = True) -> str:
    """The forecast for the year (as the table shows it, with the word for its
    direction) and how it moved since the previous forecast."""
    s = result.settings
    root = _root(result)
    unit = s.unit
    opening = f"Uppföljningen {_per(result)}".rstrip() + " visar"
    if result.has_kommunbidrag:
        direction = shown_amount(s.income_positive(root.forecast), unit, "mnkr")
        value = mnkr(root.forecast, unit)
        if direction < 0:
            text = (f"{opening} en prognos för årets resultat på {value}, det vill säga ett "
                    "underskott mot budget.")
        elif direction > 0:
            text = (f"{opening} en prognos för årets resultat på {value}, det vill säga ett "
                    "överskott mot budget.")
        else:
            text = (f"{opening} en prognos för årets resultat på {value}: nämnden bedöms "
                    "hålla budgeten för helåret.")
    else:
        value = mnkr(root.deviation, unit)
        shown = shown_amount(root.deviation, unit, "mnkr")
        if shown == 0:
            text = f"{opening} att prognosen för helåret ligger i nivå med budget."
        else:
            word = "bättre" if shown > 0 else "sämre"
            text = (f"{opening} att prognosen för helåret avviker med {value} mot budget, "
                    f"det vill säga {word} än budgeterat.")
    if not with_movement:
        return text
    return text + movement(result, root, "mnkr", whole=True)


def movement(result: Result, row: RowResult, to_unit: str, whole: bool = False,
             only_change: bool = False) -> str:
    """' Prognosen är oförändrad jämfört med föregående prognos.' and the like, or '' when
    the previous forecast is not known (or, with ``only_change``, has not moved).
    Compared as shown in ``to_unit``; better is higher in the income-positive view; the
    previous forecast is printed as the table prints it."""
    subject = "Prognosen för helåret" if whole else "Prognosen"
    fu = result.followup
    from_history = (actuals.history_movement(result, fu, row, to_unit, subject, only_change)
                    if fu else None)
    if from_history is not None:
        return from_history
    if row.previous_forecast is None:
        return ""
    s = result.settings
    now = shown_amount(s.income_positive(row.forecast), s.unit, to_unit)
    before = shown_amount(s.income_positive(row.previous_forecast), s.unit, to_unit)
    previous = format_amount(row.previous_forecast, s.unit, to_unit)
    if now == before:
        if only_change:
            return ""
        return f" {subject} är oförändrad jämfört med föregående prognos."
    if now > before:
        return f" {subject} har förbättrats jämfört med föregående prognos, som var {previous}."
    return f" {subject} har försämrats jämfört med föregående prognos, som var {previous}."


# Utfall och prognos -----------------------------------------------------------------------

def _outcome(result: Result, f: Focus) -> list[Block]:
    unit = result.settings.unit
    groups = f.groups
    deviating = sorted((g for g in groups if not is_zero_shown(g.deviation, unit, unit)),
                       key=lambda g: abs(g.deviation), reverse=True)
    in_line = [g for g in groups if is_zero_shown(g.deviation, unit, unit)]
    out: list[Block] = []

    root = _root(result)
    overview = []
    total_shown = shown_amount(root.deviation, unit, "mnkr")
    if total_shown == 0:
        overview.append("Sammantaget ligger prognosen för helåret i nivå med budget.")
    else:
        word = "positiv" if total_shown > 0 else "negativ"
        overview.append(f"Sammantaget visar prognosen för helåret en {word} avvikelse mot "
                        f"budget på {mnkr(root.deviation, unit)}.")
    if deviating:
        names = [f"{lower_first(own_text(g.name) or '')} "
                 f"({format_amount(g.deviation, unit)})" for g in deviating]
        if len(deviating) == 1:
            overview.append(f"Avvikelsen finns i sin helhet inom {names[0]}.")
        else:
            overview.append(f"Avvikelserna finns, störst först, inom {join(names)}.")
    if in_line and deviating:
        names = [lower_first(own_text(g.name) or "") for g in in_line]
        names[0] = own_text(in_line[0].name) or ""
        overview.append(f"{join(names)} prognostiseras i nivå med budget.")
    elif groups and not deviating:
        overview.append(f"Samtliga {kind(result, plural=True)} prognostiseras i nivå med "
                        "budget.")
    out.append(Paragraph(" ".join(overview)))
    out += _figures(result, f)

    described = {g.name for g in groups}  # rows of the result, whose names are unique
    for row in result.rows:
        if row.name == result.root:
            continue  # its comment is in the summary
        comment = own_text(row.comment)
        if row.name in described:
            text = group_sentence(result, row, short=bool(comment))
            text += actuals.actuals_clause(result, row, _is_cost(result, row))
            if not comment:
                text += movement(result, row, unit, only_change=True)
            else:
                text += " " + sentence(comment)
            out.append(Paragraph(text, lead=own_text(row.name)))
        elif comment and not f.summary:
            out.append(Paragraph(sentence(comment), lead=own_text(row.name)))
    if f.summary:
        out.append(_largest(result, f))
    return out + actuals.accuracy_blocks(result)


def _figures(result: Result, f: Focus) -> list[Block]:
    unit = result.settings.unit
    if not f.groups:
        return []  # an empty chart says nothing
    per = f"per {kind(result)}"
    out: list[Block] = [Figure("budget_prognos", f"Budget och prognos helår{_year(result)} "
                               f"{per}, {unit}.", tuple(g.name for g in f.groups))]
    if f.summary:
        if f.largest:  # else the text says that no row deviates
            out.append(Figure("avvikelse", f"De största avvikelserna prognos/budget"
                              f"{_year(result)}, {unit}. Positiv avvikelse är bättre än "
                              "budget.", tuple(r.name for r in f.largest)))
    else:
        out.append(Figure("avvikelse", f"Avvikelse prognos/budget{_year(result)} {per}, "
                          f"{unit}. Positiv avvikelse är bättre än budget.",
                          tuple(g.name for g in f.groups)))
    return out


def _largest(result: Result, f: Focus) -> Paragraph:
    unit = result.settings.unit
    items = []
    for r in f.largest:
        where = f" inom {own_text(r.parent)}" if r.parent else ""
        items.append(f"{own_text(r.name)}{where} ({format_amount(r.deviation, unit)})")
    if not items:
        return Paragraph("Ingen enskild rad avviker från budget.")
    return Paragraph(f"De {len(items)} största avvikelserna bland raderna är: "
                     f"{join(items)}.", lead="Största avvikelser")


def group_sentence(result: Result, row: RowResult, short: bool = False) -> str:
    """A row's forecast against its budget; ``short`` (when the economist's comment
    follows) without repeating the figures."""
    unit = result.settings.unit
    forecast = format_amount(row.forecast, unit)
    budget = format_amount(row.budget, unit)
    if is_zero_shown(row.deviation, unit, unit):
        return ("Prognosen för helåret är i nivå med budget." if short else
                f"Prognosen för helåret, {forecast}, är i nivå med budget.")
    size = format_amount(abs(row.deviation), unit)
    better = row.deviation > 0
    cost = _is_cost(result, row)
    if cost is True:
        what = (f"Kostnaderna beräknas bli {size} lägre än budgeterat" if better else
                f"Kostnaderna beräknas överstiga budget med {size}")
    elif cost is False:
        what = f"Intäkterna beräknas bli {size} {'högre' if better else 'lägre'} än budgeterat"
    else:
        what = f"Prognosen avviker med {size} från budget"
    if short:
        return what + "."
    sign = "positiv" if better else "negativ"
    return f"{what}, en {sign} avvikelse (prognos {forecast} mot budget {budget})."


def _is_cost(result: Result, row: RowResult) -> bool | None:
    """True for a cost row, False for income, None when it cannot be told."""
    value = row.budget if row.budget != 0 else row.forecast
    if value == 0:
        return None
    return result.settings.income_positive(value) < 0
