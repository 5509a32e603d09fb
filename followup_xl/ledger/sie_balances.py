"""Period balances (#PSALDO, #PBUDGET) with and without objects, to sums per code.

The standard makes the ``{}`` row an account's total for the month and each object row a
slice of it. One vendor (Avendo) writes the ``{}`` row as the part without objects, so that
all rows of an account add up to its total. Which convention a file follows is told by its
own figures: the account totals that agree with #RES, or failing that, the months whose
balances sum to zero over all accounts.

Without object codes in the mapping only totals are used. With them, the rows whose
object list holds exactly the needed dimensions (or the most of them) are the slices, and
what the total has beyond them goes to empty codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from followup_xl.domain.swedish import format_ore
from followup_xl.ledger.sie_text import Objects

_SHOWN = 5  # mismatching accounts named before the rest are counted


@dataclass(frozen=True)
class Row:
    line: int
    year_no: int
    ym: tuple[int, int]
    konto: str
    objects: Objects
    ore: int


@dataclass
class Combined:
    sums: dict[tuple[str, str, str, int, int], list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mismatches: list[tuple[str, int | None]] = field(default_factory=list)


def combine(rows: list[Row], dims: tuple[str, ...], ansvar_dim: str | None,
            verksamhet_dim: str | None, res: dict[tuple[int | None, str], tuple[int, int]],
            fiscal_year_of: Callable[[tuple[int, int]], int | None]) -> Combined:
    """Sums keyed (konto, ansvar, verksamhet, year, month) with [öre, rows]."""
    out = Combined()
    remainder = any(r.objects.pairs for r in rows) and _remainder_convention(
        rows, res, fiscal_year_of)
    if remainder:
        out.notes.append("{}-raderna är delen utan objekt, inte kontots summa som standarden "
                         "säger (kontrollerat mot #RES); alla rader har summerats.")
    groups: dict[tuple[str, tuple[int, int]], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.konto, r.ym), []).append(r)
    wanted = frozenset(dims)

    def add(konto, objects: Objects | None, ym, ore, n):
        a = objects.get(ansvar_dim) if objects and ansvar_dim in wanted else ""
        v = objects.get(verksamhet_dim) if objects and verksamhet_dim in wanted else ""
        entry = out.sums.setdefault((konto, a, v, ym[0], ym[1]), [0, 0])
        entry[0] += ore
        entry[1] += n

    totals: dict[tuple[int | None, str], int] = {}
    for (konto, ym), group in groups.items():
        if remainder:
            for r in group:
                add(konto, r.objects, ym, r.ore, 1)
            total = sum(r.ore for r in group)
        else:
            plain = [r for r in group if not r.objects.pairs]
            total = sum(r.ore for r in plain)
            slices = _slices(group, wanted) if wanted else []
            if not plain:
                total = sum(r.ore for r in slices)
            for r in slices:
                add(konto, r.objects, ym, r.ore, 1)
            rest = total - sum(r.ore for r in slices)
            if rest or not slices:
                add(konto, None, ym, rest, len(plain))
        key = (fiscal_year_of(ym), konto)
        totals[key] = totals.get(key, 0) + total
    out.mismatches.extend(check_against_res(totals, res, "periodsaldona (#PSALDO)"))
    return out


def _slices(group: list[Row], wanted: frozenset[str]) -> list[Row]:
    """The object rows that split the total by the wanted dimensions: those whose
    dimensions are exactly the wanted ones, or else the largest subset present."""
    best: frozenset[str] = frozenset()
    for r in group:
        d = r.objects.dims
        if d and d <= wanted and len(d) > len(best):
            best = d
    return [r for r in group if best and r.objects.dims == best]


def _remainder_convention(rows: list[Row], res, fiscal_year_of) -> bool:
    spec: dict[tuple[int | None, str], int] = {}
    whole: dict[tuple[int | None, str], int] = {}
    with_objects = set()
    for r in rows:
        key = (fiscal_year_of(r.ym), r.konto)
        whole[key] = whole.get(key, 0) + r.ore
        if r.objects.pairs:
            with_objects.add(key)
        else:
            spec[key] = spec.get(key, 0) + r.ore
    checked = [k for k in with_objects if k in res]
    if checked:
        spec_ok = sum(1 for k in checked if spec.get(k, 0) == res[k][0])
        whole_ok = sum(1 for k in checked if whole[k] == res[k][0])
        return whole_ok > spec_ok
    spec_month: dict[tuple[int, int], int] = {}
    whole_month: dict[tuple[int, int], int] = {}
    for r in rows:
        whole_month[r.ym] = whole_month.get(r.ym, 0) + r.ore
        if not r.objects.pairs:
            spec_month[r.ym] = spec_month.get(r.ym, 0) + r.ore
    spec_zero = sum(1 for v in spec_month.values() if v == 0)
    whole_zero = sum(1 for v in whole_month.values() if v == 0)
    return whole_zero > spec_zero


def check_against_res(totals: dict[tuple[int | None, str], int],
                      res: dict[tuple[int | None, str], tuple[int, int]], what: str
                      ) -> list[tuple[str, int | None]]:
    """(text, line of #RES) for the accounts whose summed amounts differ from #RES, in the
    years the amounts cover."""
    years = {fy for fy, _ in totals if fy is not None}
    bad = []
    for (fy, konto), (ore, line) in sorted(res.items(), key=lambda kv: kv[1][1]):
        if fy in years and totals.get((fy, konto), 0) != ore:
            bad.append((konto, totals.get((fy, konto), 0), ore, line))
    out = [(f"{what} för konto {konto} summerar till {format_ore(got)} men årets resultat (#RES) "
            f"är {format_ore(want)}.", line) for konto, got, want, line in bad[:_SHOWN]]
    if len(bad) > _SHOWN:
        out.append((f"{what} stämmer inte med #RES för ytterligare {len(bad) - _SHOWN} "
                    "konton.", bad[_SHOWN][3]))
    return out
