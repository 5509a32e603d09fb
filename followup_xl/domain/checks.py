"""Checks of a computed Drift table that do not stop the computation: whether the budget
is in balance (and whether what is left is only rounding), whether printed totals need
the rounding note, and whether an amount looks typed in another unit.

Each check returns messages (Varning), naming the cell to look at.
"""

from __future__ import annotations

from decimal import Decimal
from bisect import bisect_left

from followup_xl import contract as c
from followup_xl.domain.drift import Tree
from followup_xl.domain.model import FollowUp, Level, Loc, Message, RowResult
from followup_xl.domain.swedish import (decimals_of, format_amount, format_number,
                                        normalized, rounded_all, unit_decimals)

ZERO = Decimal(0)
UNIT_SLIP = Decimal(1000)  # kr ↔ tkr ↔ mnkr
SIBLING_FACTOR = 100  # a leaf this many times its siblings' median looks mistyped
SIBLINGS_NEEDED = 3  # siblings with an amount, for the median to mean something
RATIO_BAND = (Decimal(300), Decimal(3000))  # prognos/budget this far apart: a unit slip


def rounding_tolerance(fu: FollowUp, n_leaves: int) -> tuple[Decimal, int]:
    """How far from 0 a budget result may be from rows rounded one by one: half a unit
    of the leaves' precision per summed row. Returns (tolerance, the leaves' decimals)."""
    leaf_decimals = max((decimals_of(v) for r in fu.rows
                         for v in (r.budget, r.forecast) if v is not None), default=0)
    half_unit = Decimal(5).scaleb(-1 - leaf_decimals)
    return half_unit * n_leaves, leaf_decimals


def balance_check(fu: FollowUp, tree: Tree, rows: tuple[RowResult, ...]
                  ) -> tuple[list[Message], bool]:
    """The budget result should be zero; rows rounded one by one may leave a little.
    Returns the messages and whether what is left is a rounding difference (which the
    report must then note)."""
    root_row = rows[tree.root]
    result = root_row.budget
    if result == 0:
        return [], False
    s = fu.settings
    n_leaves = len(tree.leaves())
    tolerance, leaf_decimals = rounding_tolerance(fu, n_leaves)
    shown = format_amount(result, s.unit, decimals=min(leaf_decimals, decimals_of(result)))
    where = Loc(c.DRIFT, tree.root, c.DRIFT_BUDGET)
    if abs(result) <= tolerance:
        return [Message(Level.VARNING, f"Budgetens resultat ('{root_row.name}') blir "
                        f"{shown} i stället för 0. Det är en avrundningsdifferens: raderna "
                        f"är avrundade var för sig, och {n_leaves} rader kan tillsammans "
                        f"ge upp till {format_number(tolerance, leaf_decimals + 1)} "
                        f"{s.unit} i avrundning.", where)], True
    return [Message(Level.VARNING, f"Budgeten är inte i balans: '{root_row.name}' i budget "
                    f"är {shown}, men ska vara 0 när kommunbidraget finansierar "
                    "nettokostnaderna.", where)] + _balancing_slip(fu, tree, rows, tolerance), False


def printed_totals_differ(rows: tuple[RowResult, ...], tree: Tree, unit: str) -> bool:
    """True when a total, rounded as reports print it in the unit, is not the sum of its
    rows as printed: the reader of a report then needs the rounding note."""
    children, dec = tree.children, unit_decimals(unit)
    totals = [i for i, kids in children.items() if kids]
    for attr in ("budget", "forecast", "deviation"):
        printed = rounded_all([getattr(r, attr) for r in rows], dec)
        for i in totals:
            if printed[i] != sum((printed[k] for k in children[i]), ZERO):
                return True
    return False


# --- Amounts that look typed in another unit -------------------------------------------

def _other_unit(unit: str, factor: Decimal) -> str | None:
    """The unit an amount was probably typed in when it is ``factor`` times too large
    (1000: the next smaller unit) or too small (1/1000: the next larger)."""
    order = ("kr", "tkr", "mnkr")
    i = order.index(unit) + (-1 if factor > 1 else 1)
    return order[i] if 0 <= i < len(order) else None


def _slip_text(unit: str, value: Decimal, factor: Decimal) -> str:
    other = _other_unit(unit, factor)
    guess = f" (inskrivet i {other} i stället för {unit}?)" if other else ""
    size = "1 000 gånger för stort" if factor > 1 else "1 000 gånger för litet"
    return f"Beloppet {format_number(value, decimals_of(value))} ser ut att vara {size}{guess}"


def _balancing_slip(fu: FollowUp, tree: Tree, rows: tuple[RowResult, ...],
                    tolerance: Decimal) -> list[Message]:
    """A budget out of balance that balances when one leaf is divided (or multiplied)
    by 1 000: that leaf was most likely typed in another unit."""
    result = rows[tree.root].budget
    out = []
    for i in tree.leaves():
        b = fu.rows[i].budget
        if not b:
            continue
        for factor in (UNIT_SLIP, 1 / UNIT_SLIP):
            fixed = result - b + b / factor
            # b as typed is rounded to its own decimals: in the right unit that is
            # half a unit of its last decimal, divided by the factor
            typed_rounding = Decimal(5).scaleb(-1 - decimals_of(b)) / factor
            if abs(fixed) <= tolerance + typed_rounding:
                better = normalized(b / factor)
                out.append(Message(Level.VARNING, f"{_slip_text(fu.settings.unit, b, factor)}: "
                                   f"budgeten är i balans om det är "
                                   f"{format_number(better, decimals_of(better))}.",
                                   Loc(c.DRIFT, i, c.DRIFT_BUDGET)))
    return out


def _median_without(sizes: list[Decimal], value: Decimal) -> Decimal:
    """The median of the sorted ``sizes`` without one occurrence of ``value``."""
    i = bisect_left(sizes, value)
    rest = len(sizes) - 1

    def at(j: int) -> Decimal:  # the j-th of the sizes with index i left out
        return sizes[j if j < i else j + 1]

    if rest % 2:
        return at(rest // 2)
    return (at(rest // 2 - 1) + at(rest // 2)) / 2


def unit_slips(fu: FollowUp, tree: Tree) -> list[Message]:
    """Leaf amounts out of all proportion: a Prognos about 1 000 times its Budget (or the
    reverse), or an amount more than 100 times the median of its siblings'."""
    out: list[Message] = []
    unit = fu.settings.unit
    rows, children = fu.rows, tree.children
    flagged: set[tuple[int, str]] = set()
    for i in tree.leaves():
        row = rows[i]
        b, f = row.budget, row.forecast
        if b and f:
            ratio = abs(f) / abs(b)
            # only one way round can be 300…3000 times: the other is below 1
            big, small, column, factor = (f, b, c.DRIFT_PROGNOS, ratio) if ratio >= 1 else \
                (b, f, c.DRIFT_BUDGET, 1 / ratio)
            if RATIO_BAND[0] <= factor <= RATIO_BAND[1]:
                flagged.add((i, column))
                out.append(Message(Level.VARNING, f"{_slip_text(unit, big, UNIT_SLIP)}"
                                   f" jämfört med {format_number(small, decimals_of(small))}"
                                   f" på samma rad ('{row.name}').",
                                   Loc(c.DRIFT, i, column)))
    for parent, kids in children.items():
        if len(kids) <= SIBLINGS_NEEDED:  # too few siblings to have a median
            continue
        leaf_kids = [k for k in kids if not children[k]]
        for column, attr in ((c.DRIFT_BUDGET, "budget"), (c.DRIFT_PROGNOS, "forecast")):
            values = [(k, getattr(rows[k], attr)) for k in leaf_kids]
            sizes = sorted(abs(v) for _, v in values if v)
            if len(sizes) <= SIBLINGS_NEEDED:
                continue
            # No median without one value is below this one (the arithmetic rounds
            # monotonically), so a value within 100 times it is never flagged.
            # leaving out the largest size gives the least median any value can meet
            floor = SIBLING_FACTOR * _median_without(sizes, sizes[-1])
            for k, v in values:
                if not v or abs(v) <= floor or (k, column) in flagged:
                    continue
                typical = _median_without(sizes, abs(v))
                if abs(v) > SIBLING_FACTOR * typical:
                    flagged.add((k, column))
                    out.append(Message(
                        Level.VARNING, f"Beloppet {format_number(v, decimals_of(v))} i "
                        f"'{rows[k].name}' är mer än {SIBLING_FACTOR} gånger de andra "
                        f"raderna under '{rows[parent].name}' (median "
                        f"{format_number(typical, decimals_of(typical))} {unit}). Kontrollera "
                        f"att det är inskrivet i {unit}.", Loc(c.DRIFT, k, column)))
    return out


