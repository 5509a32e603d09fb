"""The report to the nämnd as plain data: what it says, drafted from the engine's result.

Pure functions, no Word and no Excel: :func:`draft` turns a computed :class:`Result` and
the :class:`FollowUp` it came from (for what only the inputs know: the names of the
measures, their avdelning and årsarbetare, the buffer's share) into a :class:`Report` of
sections, paragraphs, bullet lists, the Drift table as formatted strings and placeholders
for the two charts. :mod:`followup_xl.report.docx` lays it out in Word;
:func:`draft_paragraphs` gives the same text as plain paragraphs for other front doors
(a Rapport sheet in the workbook).

No number is computed here: every figure is the engine's, formatted by
:mod:`followup_xl.domain.swedish`. What is decided here is the wording, and every choice is made
on the figures *as they are shown*: a deviation that prints as "0 tkr" is "i nivå med
budget", a buffer whose remainder prints as "0,0 mnkr" is "fullt intecknad", so the text
never contradicts its own numbers. The rules are listed in docs/report.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from followup_xl import contract as c
from followup_xl.errors import FollowupError
from followup_xl.domain.model import FollowUp, Measure, MeasureResult, Result, RowResult, row_key
from followup_xl.domain.swedish import (decimals_of, format_amount, format_number, format_percent,
                      month_name, unit_decimals, shown_amount, auto_unit,
                      format_date)

ROUNDING_NOTE = ("Avrundningsdifferenser kan förekomma: summorna är beräknade från "
                 "avrundade rader.")


# --- The report as data -------------------------------------------------------------------

@dataclass(frozen=True)
class Paragraph:
    text: str
    lead: str | None = None  # a bold lead-in, e.g. the account group the text is about


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class TableRow:
    name: str
    cells: tuple[str, ...]  # the row name and the formatted amounts
    bold: bool = False  # total rows


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    note: str | None = None  # the rounding note, when there is one
    numeric_columns: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class Figure:
    kind: str  # "budget_prognos" or "avvikelse": which chart of followup_xl.report.charts
    caption: str


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str | None
    sections: tuple[Section, ...]

    def section(self, title: str) -> Section:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)

    def table(self) -> Table:
        return next(b for s in self.sections for b in s.blocks if isinstance(b, Table))

    def text(self) -> str:
        """All the words of the report, one paragraph a line (tables and figures as
        their captions and notes): for tests and quick looks."""
        return "\n".join(draft_paragraphs_of(self, with_table=True))


# Section titles, as the report prints them.
DRIFT = "Drift"
SAMMANFATTNING = "Inledande sammanfattning"
UTFALL = "Utfall och prognos"
HANDLINGSPLAN = "Handlingsplan"


# --- Shown values: every wording choice is made on what the reader sees ----------------

def _is_zero_shown(amount: Decimal, unit: str, to_unit: str) -> bool:
    """True when the amount prints as zero: less than half a unit of the shown precision."""
    return shown_amount(amount, unit, to_unit) == 0


def _mnkr(amount: Decimal, unit: str) -> str:
    return format_amount(amount, unit, "mnkr")


def _amount(amount: Decimal, unit: str, like: Decimal | None = None) -> str:
    """An amount in mnkr or tkr by its size (or by the size of ``like``)."""
    return format_amount(amount, unit, auto_unit(like if like is not None else amount, unit))


def _pct(fraction: Decimal) -> str:
    return format_percent(fraction, word=True)


def _join(items: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def _lower_first(name: str) -> str:
    """'Köp av tjänster' -> 'köp av tjänster' in running text; 'IFO' stays 'IFO'."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


# --- Which rows are account groups --------------------------------------------------------

def is_kommunbidrag(result: Result, row: RowResult) -> bool:
    return row_key(row.name) == row_key(result.settings.kommunbidrag_row)


def account_groups(result: Result) -> tuple[RowResult, ...]:
    """The rows the report talks about one by one, in table order: the rows that are not
    totals, except the kommunbidrag row (the financing, not an account group) and rows
    with neither budget nor forecast (an empty Finansnetto)."""
    return tuple(r for r in result.rows
                 if not r.is_total and not is_kommunbidrag(result, r)
                 and not (r.budget == 0 and r.forecast == 0))


def _is_cost(result: Result, row: RowResult) -> bool | None:
    """True for a cost row, False for income, None when it cannot be told."""
    value = row.budget if row.budget != 0 else row.forecast
    if value == 0:
        return None
    return result.settings.income_positive(value) < 0


# --- The Drift table ----------------------------------------------------------------------

def drift_table(result: Result) -> Table:
    """The Drift table as the seed prints it: rows in table order, totals in bold."""
    s = result.settings
    year = f" {s.year}" if s.year else ""
    dec = unit_decimals(s.unit)
    header = (f"Belopp i {s.unit}", f"Budget{year}", f"Prognos helår{year}",
              f"Avvikelse prognos/budget{year}")
    rows = tuple(TableRow(r.name, (r.name, format_number(r.budget, dec),
                                   format_number(r.forecast, dec),
                                   format_number(r.deviation, dec)), bold=r.is_total)
                 for r in result.rows)
    note = ROUNDING_NOTE if result.rounding_note else None
    return Table(header, rows, note)


# --- Drafting -----------------------------------------------------------------------------

def draft(result: Result, followup: FollowUp) -> Report:
    """The whole report. Refuses (FollowupError) when the result has errors."""
    if not result.ok or not result.rows:
        raise FollowupError("Rapporten kan inte skapas: uppföljningen har fel. Rätta felen "
                            "i Kontroll och beräkna igen.")
    return Report(
        title=title(result),
        subtitle=result.settings.committee,
        sections=(
            Section(DRIFT, (drift_table(result),)),
            Section(SAMMANFATTNING, tuple(_summary(result, followup))),
            Section(UTFALL, tuple(_outcome(result))),
            Section(HANDLINGSPLAN, tuple(_plan(result, followup))),
        ))


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


# Inledande sammanfattning -----------------------------------------------------------------

def _summary(result: Result, fu: FollowUp) -> list[Block]:
    out: list[Block] = [Paragraph(_result_sentence(result))]
    root = _root(result)
    if root.comment:
        out.append(Paragraph(_sentence(root.comment)))
    buffer = _buffer_text(result, fu)
    if buffer:
        out.append(Paragraph(buffer))
    structural = _structural_text(result)
    if structural:
        out.append(Paragraph(structural))
    return out


def _result_sentence(result: Result) -> str:
    """The forecast for the year and how it moved since the previous forecast."""
    s = result.settings
    root = _root(result)
    unit = s.unit
    per = _per(result)
    opening = f"Uppföljningen {per}".rstrip() + " visar"
    if result.has_kommunbidrag:
        # The result is stated as a result (negative = deficit) in either sign convention.
        shown = shown_amount(s.income_positive(root.forecast), unit, "mnkr")
        value = _mnkr(s.income_positive(root.forecast), unit)
        if shown < 0:
            text = (f"{opening} en prognos för årets resultat på {value}, det vill säga ett "
                    "underskott mot budget.")
        elif shown > 0:
            text = (f"{opening} en prognos för årets resultat på {value}, det vill säga ett "
                    "överskott mot budget.")
        else:
            text = (f"{opening} en prognos för årets resultat på {value}: nämnden bedöms "
                    "hålla budgeten för helåret.")
    else:
        value = _mnkr(root.deviation, unit)
        shown = shown_amount(root.deviation, unit, "mnkr")
        if shown == 0:
            text = f"{opening} att prognosen för helåret ligger i nivå med budget."
        else:
            word = "bättre" if shown > 0 else "sämre"
            text = (f"{opening} att prognosen för helåret avviker med {value} mot budget, "
                    f"det vill säga {word} än budgeterat.")
    return text + _movement(result, root, "mnkr", whole=True,
                            as_result=result.has_kommunbidrag)


def _movement(result: Result, row: RowResult, to_unit: str, whole: bool = False,
              only_change: bool = False, as_result: bool = False) -> str:
    """' Prognosen är oförändrad jämfört med föregående prognos.' and the like, or '' when
    the previous forecast is not known (or, with ``only_change``, has not moved).
    Compared as shown in ``to_unit``; better is higher in the income-positive view. The
    previous forecast is printed as the table prints it, or as a result (negative =
    deficit) with ``as_result``."""
    if row.previous_forecast is None:
        return ""
    s = result.settings
    now = shown_amount(s.income_positive(row.forecast), s.unit, to_unit)
    before = shown_amount(s.income_positive(row.previous_forecast), s.unit, to_unit)
    previous = format_amount(s.income_positive(row.previous_forecast) if as_result
                             else row.previous_forecast, s.unit,
                             to_unit)
    subject = "Prognosen för helåret" if whole else "Prognosen"
    if now == before:
        if only_change:
            return ""
        return f" {subject} är oförändrad jämfört med föregående prognos."
    if now > before:
        return f" {subject} har förbättrats jämfört med föregående prognos, som var {previous}."
    return f" {subject} har försämrats jämfört med föregående prognos, som var {previous}."


def _buffer_text(result: Result, fu: FollowUp) -> str | None:
    b = result.buffer
    if b is None:
        return None
    unit = result.settings.unit
    shown_unit = auto_unit(b.amount, unit)
    if _is_zero_shown(b.amount, unit, shown_unit):
        return "Nämnden har ingen förvaltningscentral buffert i budgeten."
    amount = format_amount(b.amount, unit, shown_unit)
    share = f", {_pct(fu.buffer_share)} av kommunbidraget," if fu.buffer_share is not None \
        else ""
    head = f"Den förvaltningscentrala bufferten på {amount}{share}"
    if _is_zero_shown(b.left, unit, shown_unit):
        return f"{head} är fullt intecknad i prognosen."
    left = format_amount(b.left, unit, shown_unit)
    if _is_zero_shown(b.committed, unit, shown_unit):
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
            text += (f" Det som återstår av bufferten motsvarar {_pct(b.coverage)} av det "
                     "prognostiserade underskottet.")
    return text


def _structural_text(result: Result) -> str | None:
    st = result.structural
    if st is None:
        return None
    unit = result.settings.unit
    how = (" Det är beräknat som helårsprognosen rensad för engångsposter."
           if st.derived else "")
    share = (f", vilket är {_pct(abs(st.share))} av kommunbidraget"
             if st.share is not None else "")
    shown = shown_amount(st.deficit, unit, "mnkr")
    if shown > 0:
        text = (f"Det strukturella underskottet, räknat på helår och utan tillfälliga "
                f"poster, uppskattas till {_mnkr(st.deficit, unit)}{share}.{how}")
        plan = result.plan
        if plan is not None and plan.measures:
            text += (" För att nå en budget i balans föreslås åtgärder, som redovisas under "
                     "Handlingsplan.")
        else:
            text += " Åtgärder för att hantera underskottet behöver tas fram."
        return text
    if shown < 0:
        return (f"Nämnden bedöms inte ha något strukturellt underskott: rensat för "
                f"engångsposter finns ett överskott på helårsbasis om "
                f"{_mnkr(-st.deficit, unit)}{share}.{how}")
    return f"Nämnden bedöms inte ha något strukturellt underskott på helårsbasis.{how}"


# Utfall och prognos -----------------------------------------------------------------------

def _outcome(result: Result) -> list[Block]:
    s = result.settings
    unit = s.unit
    groups = account_groups(result)
    deviating = sorted((g for g in groups if not _is_zero_shown(g.deviation, unit, unit)),
                       key=lambda g: abs(g.deviation), reverse=True)
    in_line = [g for g in groups if _is_zero_shown(g.deviation, unit, unit)]
    out: list[Block] = []

    root = _root(result)
    overview = []
    total_shown = shown_amount(root.deviation, unit, "mnkr")
    if total_shown == 0:
        overview.append("Sammantaget ligger prognosen för helåret i nivå med budget.")
    else:
        word = "positiv" if total_shown > 0 else "negativ"
        overview.append(f"Sammantaget visar prognosen för helåret en {word} avvikelse mot "
                        f"budget på {_mnkr(root.deviation, unit)}.")
    if deviating:
        names = [f"{_lower_first(g.name)} ({format_amount(g.deviation, unit)})"
                 for g in deviating]
        if len(deviating) == 1:
            overview.append(f"Avvikelsen finns i sin helhet inom {names[0]}.")
        else:
            overview.append(f"Avvikelserna finns, störst först, inom {_join(names)}.")
    if in_line and deviating:
        names = [_lower_first(g.name) for g in in_line]
        names[0] = in_line[0].name
        overview.append(f"{_join(names)} prognostiseras i nivå med budget.")
    elif groups and not deviating:
        overview.append("Samtliga kontogrupper prognostiseras i nivå med budget.")
    out.append(Paragraph(" ".join(overview)))

    if groups:  # an empty chart says nothing
        out.append(Figure("budget_prognos", f"Budget och prognos helår{_year(result)} per "
                                            f"kontogrupp, {unit}."))
        out.append(Figure("avvikelse", f"Avvikelse prognos/budget{_year(result)} per "
                                       f"kontogrupp, {unit}. Positiv avvikelse är bättre än "
                                       "budget."))

    group_names = {row_key(g.name) for g in groups}
    for row in result.rows:
        if row.name == result.root:
            continue  # its comment is in the summary
        if row_key(row.name) in group_names:
            text = _group_sentence(result, row) + _movement(result, row, unit,
                                                            only_change=True)
            if row.comment:
                text += " " + _sentence(row.comment)
            out.append(Paragraph(text, lead=row.name))
        elif row.comment:
            out.append(Paragraph(_sentence(row.comment), lead=row.name))
    return out


def _year(result: Result) -> str:
    return f" {result.settings.year}" if result.settings.year else ""


def _group_sentence(result: Result, row: RowResult) -> str:
    unit = result.settings.unit
    forecast = format_amount(row.forecast, unit)
    budget = format_amount(row.budget, unit)
    if _is_zero_shown(row.deviation, unit, unit):
        return f"Prognosen för helåret, {forecast}, är i nivå med budget."
    size = format_amount(abs(row.deviation), unit)
    better = row.deviation > 0
    kind = _is_cost(result, row)
    if kind is True:
        what = (f"Kostnaderna beräknas bli {size} lägre än budgeterat" if better else
                f"Kostnaderna beräknas överstiga budget med {size}")
    elif kind is False:
        what = f"Intäkterna beräknas bli {size} {'högre' if better else 'lägre'} än budgeterat"
    else:
        what = f"Prognosen avviker med {size} från budget"
    sign = "positiv" if better else "negativ"
    return f"{what}, en {sign} avvikelse (prognos {forecast} mot budget {budget})."


# Handlingsplan ----------------------------------------------------------------------------

def _plan(result: Result, fu: FollowUp) -> list[Block]:
    unit = result.settings.unit
    st, plan = result.structural, result.plan
    deficit = st is not None and shown_amount(st.deficit, unit, "mnkr") > 0
    if plan is None or not fu.measures:
        if deficit:
            return [Paragraph(f"Någon handlingsplan för det strukturella underskottet om "
                              f"{_mnkr(st.deficit, unit)} redovisas ännu inte. Åtgärder "
                              "behöver tas fram för att nå en budget i balans.")]
        return [Paragraph("Inga åtgärder redovisas i denna uppföljning.")]

    out: list[Block] = []
    if deficit:
        out.append(Paragraph(f"För att hantera det strukturella underskottet om "
                             f"{_mnkr(st.deficit, unit)} och nå en budget i balans föreslås "
                             "följande åtgärder."))
    elif st is not None:
        out.append(Paragraph("Nämnden har inget strukturellt underskott att täcka. Följande "
                             "åtgärder föreslås ändå."))
    else:
        out.append(Paragraph("Följande åtgärder föreslås."))
    out.append(Bullets(tuple(_measure_text(result, m, r)
                             for m, r in zip(fu.measures, plan.measures))))
    out.append(Paragraph(_plan_closing(result)))
    return out


def _measure_text(result: Result, m: Measure, r: MeasureResult) -> str:
    s = result.settings
    unit = s.unit
    text = _sentence(m.name)
    if m.fte is not None:
        fte_dec = min(2, max(1, decimals_of(m.fte)))
        where = f" på avdelning {m.department}" if m.department else ""
        text += f" Arbetsstyrkan minskas med {format_number(m.fte, fte_dec)} årsarbetare{where}"
        if r.workforce_share is not None:
            text += f", vilket motsvarar {_pct(r.workforce_share)} av avdelningens arbetsstyrka"
        text += "."
    elif m.department:
        text += f" Avdelning: {m.department}."
    unit_shown = auto_unit(r.full_year, unit)
    if _is_zero_shown(r.full_year, unit, unit_shown):
        return text + " Åtgärden har ingen beräknad ekonomisk effekt."
    text += f" Helårseffekt {format_amount(r.full_year, unit, unit_shown)}"
    if s.year is not None:
        if _is_zero_shown(r.this_year, unit, auto_unit(r.full_year, unit)):
            text += f", ingen effekt under {s.year}"
        else:
            text += f", varav {_amount(r.this_year, unit)} under {s.year}"
    if m.start is not None:
        text += f", från och med {format_date(m.start)}"
    return text + "."


def _plan_closing(result: Result) -> str:
    s = result.settings
    unit = s.unit
    plan, st = result.plan, result.structural
    if _is_zero_shown(plan.full_year, unit, "mnkr") and _is_zero_shown(plan.full_year, unit,
                                                                        "tkr"):
        text = "Åtgärderna har sammantaget ingen beräknad ekonomisk effekt."
    else:
        text = (f"Sammantaget beräknas åtgärderna ge en helårseffekt på "
                f"{_amount(plan.full_year, unit, like=plan.full_year)}")
        if s.year is not None:
            if _is_zero_shown(plan.this_year, unit, auto_unit(plan.this_year, unit)):
                text += f", utan effekt under {s.year}"
            else:
                text += f", varav {_amount(plan.this_year, unit)} under {s.year}"
        text += "."
    if st is None:
        return text
    deficit_shown = shown_amount(st.deficit, unit, "mnkr")
    if plan.balance_year == c.EJ_I_BALANS:
        text += (f" Det täcker {_pct(plan.coverage)} av det strukturella underskottet. "
                 f"Återstående {_amount(plan.uncovered, unit)} saknar ännu åtgärder, och "
                 "budgeten bedöms därför inte vara i balans. Ytterligare åtgärder behöver "
                 "tas fram.")
    elif isinstance(plan.balance_year, int):
        if deficit_shown <= 0:
            text += (f" Nämnden har inget strukturellt underskott, och budgeten bedöms vara "
                     f"i balans från och med {plan.balance_year}.")
        elif plan.coverage is not None and shown_amount(plan.full_year, unit, "mnkr") > deficit_shown:
            text += (f" Det överstiger det strukturella underskottet och bedöms ge en budget "
                     f"i balans från och med {plan.balance_year}.")
        else:
            text += (f" Det täcker det strukturella underskottet och bedöms ge en budget i "
                     f"balans från och med {plan.balance_year}.")
    elif plan.coverage is not None:
        text += " Det täcker det strukturella underskottet."
    return text


# --- Plain paragraphs ---------------------------------------------------------------------

def draft_paragraphs_of(report: Report, with_table: bool = False) -> list[str]:
    """The report as plain paragraphs: title, section titles, paragraphs (a lead-in
    joined with ': '), one '• ' line per bullet, figure captions. The table is left out
    unless ``with_table`` (then one line per row, cells joined by tabs)."""
    out = [report.title]
    if report.subtitle:
        out.append(report.subtitle)
    for section in report.sections:
        out.append(section.title)
        for b in section.blocks:
            if isinstance(b, Paragraph):
                out.append(f"{b.lead}: {b.text}" if b.lead else b.text)
            elif isinstance(b, Bullets):
                out += [f"• {item}" for item in b.items]
            elif isinstance(b, Table):
                if with_table:
                    out.append("\t".join(b.header))
                    out += ["\t".join(r.cells) for r in b.rows]
                if b.note:
                    out.append(b.note)
            elif isinstance(b, Figure):
                if with_table:
                    out.append(b.caption)
    return out


def draft_paragraphs(result: Result, followup: FollowUp) -> list[str]:
    """The report's text as plain paragraphs, for a Rapport sheet or a text box: the same
    words as the Word draft, without the table and the charts."""
    return draft_paragraphs_of(draft(result, followup))
