"""The Drift table as a tree: validate it, and sum every total from its rows.

Each row names the row it sums into (*Ingår i*); exactly one row, the result row, names
none. Leaf rows carry the economist's Budget and Prognos; a total is the exact sum of
its children, and every row's Avvikelse is computed from its own Budget and Prognos.
Walks are iterative, so a tree of any depth (up to the number of rows) is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal

from followup_xl import contract as c
from followup_xl.domain.formulas import ZERO, deviation
from followup_xl.domain.model import DriftRow, FollowUp, Level, Loc, Message, RowResult, row_key


@dataclass(frozen=True)
class Tree:
    """The validated tree: children of each row (table indexes), the root, the rows in
    post-order (every row after all of its children), and each row's name as names are
    matched (``keys``, :func:`row_key`) with the row it names (``index``): worked out once,
    for every lookup of a row by name."""

    children: dict[int, list[int]]
    root: int
    order: tuple[int, ...]
    keys: tuple[str, ...]
    index: dict[str, int]

    def is_total(self, i: int) -> bool:
        return bool(self.children[i])

    def leaves(self) -> tuple[int, ...]:
        """The rows without children, in table order."""
        return self._leaves

    @cached_property
    def _leaves(self) -> tuple[int, ...]:
        return tuple(i for i, kids in self.children.items() if not kids)

    def depths(self) -> dict[int, int]:
        """Each row's depth: the root 0, its children 1, and so on."""
        depth = {self.root: 0}
        for i in reversed(self.order):  # every row before its children
            for k in self.children[i]:
                depth[k] = depth[i] + 1
        return depth


def build_tree(rows: tuple[DriftRow, ...]) -> tuple[Tree | None, list[Message]]:
    """Validate the rows as one tree. Duplicate names, unknown parents, cycles and more
    than one (or no) result row are Fel messages naming the cell."""
    msgs: list[Message] = []
    index: dict[str, int] = {}
    keys = tuple(row_key(row.name) for row in rows)
    for i, (row, k) in enumerate(zip(rows, keys)):
        if k in index:
            msgs.append(Message(Level.FEL, f"Raden '{row.name}' finns redan (rad "
                                f"{index[k] + 1} i tabellen). Varje rad i Drift måste ha "
                                "ett unikt namn.", Loc(c.DRIFT, i, c.DRIFT_RAD)))
        else:
            index[k] = i
    parents: dict[int, int] = {}
    # many rows name the same parent: match each parent's name once
    parent_key = {name: row_key(name) for name in {row.parent for row in rows}
                  if name is not None}
    for i, row in enumerate(rows):
        if row.parent is None:
            continue
        p = index.get(parent_key[row.parent])
        if p is None:
            msgs.append(Message(Level.FEL, f"'Ingår i' = '{row.parent}' för raden "
                                f"'{row.name}' namnger ingen rad i Drift.",
                                Loc(c.DRIFT, i, c.DRIFT_INGAR_I)))
        else:
            parents[i] = p
    children: dict[int, list[int]] = {i: [] for i in range(len(rows))}
    for i, p in parents.items():
        children[p].append(i)
    roots = [i for i, row in enumerate(rows) if row.parent is None]
    # With one result row, every row reached from it proves there is no cycle: only
    # when some row is not reached are the cycles looked for.
    order = _post_order(children, roots[0]) if len(roots) == 1 and not msgs else ()
    if len(order) != len(rows):
        msgs += _cycles(rows, parents)
    if msgs:
        return None, msgs
    if len(roots) != 1:
        names = ", ".join(f"'{rows[i].name}'" for i in roots) or "ingen"
        loc = Loc(c.DRIFT, roots[1], c.DRIFT_INGAR_I) if len(roots) > 1 else Loc(c.DRIFT)
        return None, [Message(
            Level.FEL, f"Drift måste ha exakt en rad utan 'Ingår i' (resultatraden); nu "
            f"har {names}. Ange för de andra vilken rad de summeras i.", loc)]
    return Tree(children, roots[0], order, keys, index), []


def _cycles(rows: tuple[DriftRow, ...], parents: dict[int, int]) -> list[Message]:
    """One Fel per cycle: follow each row upwards; a row met twice closes a cycle. Rows
    already known to reach the root (or a cycle) are not walked again."""
    msgs: list[Message] = []
    done: set[int] = set()
    for i in range(len(rows)):
        path, on_path, j = [], set(), i
        while j in parents and j not in on_path and j not in done:
            on_path.add(j)
            path.append(j)
            j = parents[j]
        if j in on_path:
            cycle = path[path.index(j):]
            names = " → ".join(rows[k].name for k in cycle + [j])
            msgs.append(Message(Level.FEL, f"Raderna summerar i en cirkel: {names}. "
                                "Ändra 'Ingår i' så att varje rad till slut summeras "
                                "i resultatraden.", Loc(c.DRIFT, j, c.DRIFT_INGAR_I)))
        done.update(path)
    return msgs


def _post_order(children: dict[int, list[int]], root: int) -> tuple[int, ...]:
    """The rows below ``root`` in post-order, children in table order: the reverse of
    the pre-order that visits children from the last."""
    order: list[int] = []
    stack = [root]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(children[j])
    order.reverse()
    return tuple(order)


def known_sum(column: tuple):
    """A column's sum; None when any value is None (a sum of what is not known is not
    known)."""
    return None if any(v is None for v in column) else sum(column[1:], column[0])


def sum_tree(tree: Tree, leaf_values: dict[int, tuple], not_summed: frozenset[int] = frozenset(),
             zero: tuple | None = None, total=known_sum) -> dict[int, tuple]:
    """Every row's values: a leaf's own, a total's ``total`` of its children's (by default
    :func:`known_sum`), column by column; children in ``not_summed`` (Summeras ej) are
    left out of their parent's sums, and a total with nothing summed is ``zero`` (Decimal
    zeros unless given). Values are Decimals, or exact quotients
    (:mod:`~followup_xl.domain.exact`, summed by its ``total``) where a column holds
    divided amounts (the periodised budget)."""
    sums: dict[int, tuple] = {}
    if zero is None:
        zero = (ZERO,) * (len(next(iter(leaf_values.values()))) if leaf_values else 0)
    for i in tree.order:
        kids = tree.children[i]
        if not kids:
            sums[i] = leaf_values[i]
            continue
        summed = [sums[k] for k in kids if k not in not_summed]
        sums[i] = tuple(map(total, zip(*summed))) if summed else zero
    return sums


def not_summed_rows(rows: tuple[DriftRow, ...]) -> frozenset[int]:
    return frozenset(i for i, row in enumerate(rows) if row.not_summed)


def compute_rows(fu: FollowUp) -> tuple[tuple[RowResult, ...] | None, Tree | None,
                                        list[Message]]:
    """The Drift rows computed: totals summed, every deviation. Messages for empty and
    half-filled leaf rows; None results when the tree itself is not valid."""
    rows = fu.rows
    if not rows:
        return None, None, [Message(Level.FEL, "Tabellen Drift har inga rader.",
                                    Loc(c.DRIFT))]
    tree, msgs = build_tree(rows)
    if tree is None:
        return None, None, msgs
    leaf_values: dict[int, tuple[Decimal | None, ...]] = {}
    for i in tree.leaves():
        row = rows[i]
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
        leaf_values[i] = (b or ZERO, f or ZERO, row.previous_forecast)
    excluded = not_summed_rows(rows)
    for i in sorted(excluded):
        row = rows[i]
        if row.parent is None:
            msgs.append(Message(Level.FEL, f"Resultatraden '{row.name}' kan inte ha "
                                "Summeras ej = Ja.", Loc(c.DRIFT, i, c.DRIFT_SUMMERAS_EJ)))
        else:
            msgs.append(Message(Level.INFO, f"Raden '{row.name}' visas men summeras inte i "
                                f"'{row.parent}' (Summeras ej = Ja).",
                                Loc(c.DRIFT, i, c.DRIFT_SUMMERAS_EJ)))
    sums = sum_tree(tree, leaf_values, excluded)
    sign = fu.settings.sign
    depth = tree.depths()
    children = tree.children
    results = []
    for i, row in enumerate(rows):
        budget, forecast, previous = sums[i]
        results.append(RowResult.of(
            name=row.name, is_total=bool(children[i]), budget=budget, forecast=forecast,
            deviation=deviation(budget, forecast, sign), previous_forecast=previous,
            comment=row.comment, parent=row.parent, not_summed=row.not_summed,
            depth=depth[i]))
    return tuple(results), tree, msgs
