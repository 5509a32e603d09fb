"""The follow-up engine: a :class:`FollowUp` in, a :class:`Result` with messages out.

Pure functions on immutable data, Decimal arithmetic throughout: no float ever enters,
nothing is rounded beyond what the arithmetic gives (display rounding is the job of
number formats and of :mod:`followup_xl.domain.swedish`). Every number the product shows is
computed here, once; the front doors (CLI, Excel button, UDFs, report) call these
functions and only marshal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from followup_xl import contract as c
from followup_xl.domain.model import (BufferResult, DriftRow, FollowUp, Level, Loc, Measure, MeasureResult,
                    Message, PlanResult, Result, RowResult, Settings, StructuralResult,
                    row_key)
from followup_xl.domain.swedish import (UNIT_FACTORS, decimals_of, format_amount, format_number, format_percent,
                      round_half_away, unit_decimals)

ZERO = Decimal(0)
ONE = Decimal(1)
MONTHS = Decimal(12)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # years a follow-up can sensibly be about
START_YEARS_AROUND = 10  # a start date more than this many years from Ar is refused


# --- The small formulas (also behind the FU_* cell functions) ----------------------------

def share_out_of_range(share: Decimal, what: str) -> str | None:
    """The Swedish complaint when a share is not between 0 and 100 %, else None."""
    if ZERO <= share <= ONE:
        return None
    return f"{what} {format_percent(share, 2)} ligger utanför 0–100 %."


def start_out_of_range(start: dt.date, year: int) -> str | None:
    """The Swedish complaint when a start date lies implausibly far from the year."""
    if abs(start.year - year) <= START_YEARS_AROUND:
        return None
    return (f"Startdatumet {start.isoformat()} ligger mer än {START_YEARS_AROUND} år från "
            f"uppföljningsåret {year}.")


def deviation(budget: Decimal, forecast: Decimal, sign: int = 1) -> Decimal:
    """Avvikelse: positive is better than budget. sign=+1 when costs are negative
    (Prognos − Budget), -1 in ledger style (Budget − Prognos)."""
    return (forecast - budget) * sign


def share_of(amount: Decimal, base: Decimal) -> Decimal | None:
    """amount / base as a fraction, None when the base is zero."""
    return None if base == 0 else amount / base


def buffer_amount(kommunbidrag: Decimal, share: Decimal) -> Decimal:
    return share * kommunbidrag


def annual_staff_cost(monthly_salary_kr: Decimal, po_rate: Decimal) -> Decimal:
    """Kronor per year for one årsarbetare: månadslön × 12 × (1 + PO-pålägg)."""
    return monthly_salary_kr * MONTHS * (ONE + po_rate)


def staff_effect(fte: Decimal, monthly_salary_kr: Decimal, po_rate: Decimal,
                 unit: str) -> Decimal:
    """Full-year effect of reducing fte årsarbetare, in the unit."""
    return fte * annual_staff_cost(monthly_salary_kr, po_rate) / UNIT_FACTORS[unit]


def months_this_year(start: dt.date, year: int) -> int:
    """Whole months of effect in ``year`` for a measure starting on ``start``: from the
    start month through December, counting from the next month when the start is after
    the 1st; 12 for an earlier year, 0 for a later one."""
    if start.year < year:
        return 12
    if start.year > year:
        return 0
    first_month = start.month if start.day == 1 else start.month + 1
    return 13 - first_month


def effect_this_year(full_year: Decimal, start: dt.date, year: int) -> Decimal:
    return full_year * months_this_year(start, year) / MONTHS


def full_effect_year(start: dt.date) -> int:
    """The first year with the whole effect: the start year for a start on 1 January,
    otherwise the year after."""
    return start.year if (start.month, start.day) == (1, 1) else start.year + 1


# --- The Drift tree -----------------------------------------------------------------------

def _build_tree(rows: tuple[DriftRow, ...]):
    """Validate the rows as a tree. Returns (children, root index, messages)."""
    msgs: list[Message] = []
    index: dict[str, int] = {}
    for i, row in enumerate(rows):
        k = row_key(row.name)
        if k in index:
            msgs.append(Message(Level.FEL, f"Raden '{row.name}' finns redan (rad "
                                f"{index[k] + 1} i tabellen). Varje rad i Drift måste ha "
                                "ett unikt namn.", Loc(c.DRIFT, i, c.DRIFT_RAD)))
        else:
            index[k] = i
    parents: dict[int, int] = {}
    for i, row in enumerate(rows):
        if row.parent is None:
            continue
        p = index.get(row_key(row.parent))
        if p is None:
            msgs.append(Message(Level.FEL, f"'Ingår i' = '{row.parent}' för raden "
                                f"'{row.name}' namnger ingen rad i Drift.",
                                Loc(c.DRIFT, i, c.DRIFT_INGAR_I)))
        else:
            parents[i] = p
    # Cycles: follow each row upwards; a row met twice on one path closes a cycle.
    reported: set[int] = set()
    for i in range(len(rows)):
        path, seen, j = [], set(), i
        while j in parents and j not in seen:
            seen.add(j)
            path.append(j)
            j = parents[j]
        if j in seen:
            cycle = path[path.index(j):]
            if not reported & set(cycle):
                reported |= set(cycle)
                names = " → ".join(rows[k].name for k in cycle + [j])
                msgs.append(Message(Level.FEL, f"Raderna summerar i en cirkel: {names}. "
                                    "Ändra 'Ingår i' så att varje rad till slut summeras "
                                    "i resultatraden.", Loc(c.DRIFT, j, c.DRIFT_INGAR_I)))
    if msgs:
        return None, None, msgs
    roots = [i for i, row in enumerate(rows) if row.parent is None]
    if len(roots) != 1:
        names = ", ".join(f"'{rows[i].name}'" for i in roots) or "ingen"
        loc = Loc(c.DRIFT, roots[1], c.DRIFT_INGAR_I) if len(roots) > 1 else Loc(c.DRIFT)
        return None, None, [Message(
            Level.FEL, f"Drift måste ha exakt en rad utan 'Ingår i' (resultatraden); nu "
            f"har {names}. Ange för de andra vilken rad de summeras i.", loc)]
    children: dict[int, list[int]] = {i: [] for i in range(len(rows))}
    for i, p in parents.items():
        children[p].append(i)
    return children, roots[0], []


def _compute_rows(fu: FollowUp):
    rows = fu.rows
    msgs: list[Message] = []
    if not rows:
        return None, None, [Message(Level.FEL, "Tabellen Drift har inga rader.",
                                    Loc(c.DRIFT))], 0, {}
    children, root, tree_msgs = _build_tree(rows)
    if tree_msgs:
        return None, None, tree_msgs, 0, {}
    leaf_values: dict[int, tuple[Decimal, Decimal]] = {}
    for i, row in enumerate(rows):
        if children[i]:
            continue
        b, f = row.budget, row.forecast
        if b is None and f is None:
            msgs.append(Message(Level.INFO, f"Raden '{row.name}' saknar både Budget och "
                                "Prognos och räknas som 0.", Loc(c.DRIFT, i, c.DRIFT_BUDGET)))
        elif b is None or f is None:
            missing = c.DRIFT_BUDGET if b is None else c.DRIFT_PROGNOS
            given = c.DRIFT_PROGNOS if b is None else c.DRIFT_BUDGET
            msgs.append(Message(Level.FEL, f"Raden '{row.name}' har {given} men saknar "
                                f"{missing}. Fyll i båda, eller lämna båda tomma.",
                                Loc(c.DRIFT, i, missing)))
        leaf_values[i] = (b or ZERO, f or ZERO)

    sums: dict[int, tuple[Decimal, Decimal]] = {}
    order: list[int] = []  # post-order, children before their total

    def visit(i: int) -> None:
        stack = [(i, False)]
        while stack:
            j, done = stack.pop()
            if done:
                order.append(j)
                continue
            stack.append((j, True))
            stack.extend((k, False) for k in children[j])

    visit(root)
    for i in order:
        if not children[i]:
            sums[i] = leaf_values[i]
        else:
            sums[i] = (sum((sums[k][0] for k in children[i]), ZERO),
                       sum((sums[k][1] for k in children[i]), ZERO))
    sign = fu.settings.sign
    results = tuple(
        RowResult(name=row.name, is_total=bool(children[i]), budget=sums[i][0],
                  forecast=sums[i][1], deviation=deviation(*sums[i], sign),
                  previous_forecast=_previous(row, children[i], rows, children),
                  comment=row.comment, parent=row.parent)
        for i, row in enumerate(rows))
    return results, root, msgs, len(leaf_values), children


def _previous(row, kids, rows, children) -> Decimal | None:
    """Föregående prognos: given on leaves, summed on totals when every leaf has it."""
    if not kids:
        return row.previous_forecast
    total = ZERO
    for k in kids:
        v = _previous(rows[k], children[k], rows, children)
        if v is None:
            return None
        total += v
    return total


# --- The whole follow-up ------------------------------------------------------------------

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
    rows, root, row_msgs, n_leaves, children = _compute_rows(fu)
    msgs += row_msgs
    if rows is None or any(m.level is Level.FEL for m in msgs):
        return Result(settings=s, messages=tuple(msgs), followup=fu)

    kb_row = next((r for r in rows if row_key(r.name) == row_key(s.kommunbidrag_row)), None)
    kommunbidrag = s.income_positive(kb_row.budget) if kb_row else None
    root_row = rows[root]
    if kb_row is None:
        msgs.append(Message(Level.INFO, f"Drift har ingen rad '{s.kommunbidrag_row}': "
                            "resultatraden är en summa utan balanskrav, och buffert och "
                            "andelar av kommunbidraget beräknas inte.",
                            Loc(c.KOMMUNBIDRAG_RAD)))
    else:
        msgs += _balance_check(fu, root, root_row, n_leaves)
    rounding_note = any(m.text.startswith(ROUNDING_WARNING) for m in msgs) or \
        _printed_totals_differ(rows, children, s.unit)

    buffer, buf_msgs = _buffer(fu, kommunbidrag, s.income_positive(root_row.forecast))
    structural, st_msgs = _structural(fu, kommunbidrag, s.income_positive(root_row.forecast))
    plan, plan_msgs = _plan(fu, structural)
    msgs += buf_msgs + st_msgs + plan_msgs
    return Result(settings=s, messages=tuple(msgs), rows=rows, root=root_row.name,
                  has_kommunbidrag=kb_row is not None, kommunbidrag=kommunbidrag,
                  buffer=buffer, structural=structural, plan=plan, followup=fu,
                  rounding_note=rounding_note)


def _check_settings(s: Settings) -> list[Message]:
    out = []
    if s.unit not in c.ENHETER:
        out.append(Message(Level.FEL, f"Enheten '{s.unit}' finns inte. Välj kr, tkr eller "
                           "mnkr.", Loc(c.ENHET)))
    if s.sign_convention not in c.TECKENKONVENTIONER:
        out.append(Message(Level.FEL, f"Teckenkonventionen '{s.sign_convention}' finns "
                           "inte. Välj 'Kostnader negativa' eller 'Kostnader positiva'.",
                           Loc(c.TECKENKONVENTION)))
    if s.period is not None and not 1 <= s.period <= 12:
        out.append(Message(Level.FEL, f"Perioden {s.period} är ingen månad. Ange 1–12.",
                           Loc(c.PERIOD)))
    if s.year is not None and not FIRST_YEAR <= s.year <= LAST_YEAR:
        out.append(Message(Level.FEL, f"Året {s.year} är inte rimligt.", Loc(c.AR)))
    bad_po = s.po_rate is not None and share_out_of_range(s.po_rate, "PO-pålägget")
    if bad_po:
        out.append(Message(Level.FEL, bad_po, Loc(c.PO_PALAGG)))
    return out


ROUNDING_WARNING = "Budgetens resultat"  # how the avrundningsdifferens warning begins


def _printed_totals_differ(rows: tuple[RowResult, ...], children, unit: str) -> bool:
    """True when a total, rounded as reports print it in the unit, is not the sum of its
    rows as printed: the reader of a report then needs the rounding note."""
    dec = unit_decimals(unit)
    for i, kids in children.items():
        for attr in ("budget", "forecast", "deviation") if kids else ():
            printed = round_half_away(getattr(rows[i], attr), dec)
            if printed != sum((round_half_away(getattr(rows[k], attr), dec) for k in kids),
                              ZERO):
                return True
    return False


def _balance_check(fu: FollowUp, root: int, root_row: RowResult,
                   n_leaves: int) -> list[Message]:
    """The budget result should be zero; rows rounded one by one may leave a little."""
    result = root_row.budget
    if result == 0:
        return []
    s = fu.settings
    leaf_decimals = max((decimals_of(v) for r in fu.rows
                         for v in (r.budget, r.forecast) if v is not None), default=0)
    half_unit = Decimal(5).scaleb(-1 - leaf_decimals)
    tolerance = half_unit * n_leaves
    shown = format_amount(result, s.unit, decimals=leaf_decimals)
    where = Loc(c.DRIFT, root, c.DRIFT_BUDGET)
    if abs(result) <= tolerance:
        return [Message(Level.VARNING, f"{ROUNDING_WARNING} ('{root_row.name}') blir "
                        f"{shown} i stället för 0. Det är en avrundningsdifferens: raderna "
                        f"är avrundade var för sig, och {n_leaves} rader kan tillsammans "
                        f"ge upp till {format_number(tolerance, leaf_decimals + 1)} "
                        f"{s.unit} i avrundning.", where)]
    return [Message(Level.VARNING, f"Budgeten är inte i balans: '{root_row.name}' i budget "
                    f"är {shown}, men ska vara 0 när kommunbidraget finansierar "
                    "nettokostnaderna.", where)]


def _buffer(fu: FollowUp, kommunbidrag: Decimal | None, forecast_result: Decimal):
    share, committed = fu.buffer_share, fu.buffer_committed
    if share is None:
        text = "Bufferten beräknas inte: Buffert_Andel är tom."
        if committed is not None:
            return None, [Message(Level.FEL, "Intecknat belopp är angivet men bufferten "
                                  "saknar andel. Fyll i Buffert_Andel.",
                                  Loc(c.BUFFERT_ANDEL))]
        return None, [Message(Level.INFO, text, Loc(c.BUFFERT_ANDEL))]
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
        return None, [Message(Level.FEL, "Intecknat belopp kan inte vara negativt.",
                              Loc(c.BUFFERT_INTECKNAT))]
    if committed > amount:
        return None, [Message(Level.FEL, f"Intecknat belopp {format_amount(committed, unit, decimals=2)}"
                              f" är större än bufferten {format_amount(amount, unit, decimals=2)}.",
                              Loc(c.BUFFERT_INTECKNAT))]
    left = amount - committed
    deficit = -forecast_result if forecast_result < 0 else ZERO
    coverage = ONE if deficit == 0 else min(ONE, left / deficit)
    return BufferResult(amount=amount, committed=committed, left=left,
                        coverage=coverage), msgs


def _structural(fu: FollowUp, kommunbidrag: Decimal | None, forecast_result: Decimal):
    if fu.structural_deficit is not None:
        deficit, derived = fu.structural_deficit, False
        msgs = []
        if fu.one_offs:
            msgs.append(Message(Level.INFO, "Strukturellt underskott är angivet direkt; "
                                "engångsposterna används inte i beräkningen.",
                                Loc(c.STRUKTURELLT_UNDERSKOTT)))
    elif fu.one_offs:
        one_off_sum = sum((fu.settings.income_positive(o.amount) for o in fu.one_offs), ZERO)
        deficit, derived, msgs = -(forecast_result - one_off_sum), True, []
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


def _plan(fu: FollowUp, structural: StructuralResult | None):
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
    full_year = sum((r.full_year for r in results), ZERO)
    this_year = sum((r.this_year for r in results), ZERO)
    if structural is None:
        msgs.append(Message(Level.INFO, "Åtgärdernas täckning och balansår beräknas inte: "
                            "strukturellt underskott saknas.", Loc(c.ATGARDER_TACKNING)))
        return PlanResult(tuple(results), full_year, this_year), msgs
    deficit = structural.deficit
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

    share = None
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
    return MeasureResult(full_year=full_year, this_year=this_year,
                         workforce_share=share), msgs
