"""The one aggregation step: ledger extracts → actuals and budget per Drift row and month.

Only the workbook's year is taken, and only result accounts (those matching the code
list ``Import_Konton``, default "3-8"; an account that is not a number, such as "FEL",
is always taken, since it may carry real money). Each entry goes to the Drift row its most
specific mapping row names; what no mapping row takes is listed as unmapped, so that
mapped plus unmapped equals the ledger's total to the öre. Everything stays integer öre
with the ledger's sign (debit +, credit −); :func:`records.in_workbook` converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from followup_xl import contract as c
from followup_xl.domain.model import FileLoc, Level, Message
from followup_xl.domain.swedish import format_ore
from followup_xl.ledger.codes import CodeList, parse_codes
from followup_xl.ledger.mapping import Mapping, conflict_message
from followup_xl.ledger.records import Amounts, Codes, Extract, FileInfo

_OVERFLOW = 2 ** 62  # öre: far beyond any ledger, and int64 sums stay exact below it


@dataclass(frozen=True)
class Unmapped:
    konto: str
    ansvar: str
    verksamhet: str
    ore: int
    rows: int


@dataclass(frozen=True)
class Aggregate:
    year: int
    actuals: dict[str, tuple[int, ...]]  # Drift row -> öre for Jan..Dec, in Drift order
    budget: dict[str, tuple[int, ...]] | None  # None when no file carries a budget
    unmapped: tuple[Unmapped, ...]
    total: int  # öre of every imported entry of the year
    unmapped_total: int
    files: tuple[FileInfo, ...]
    messages: tuple[Message, ...]

    @property
    def ok(self) -> bool:
        return not any(m.level is Level.FEL for m in self.messages)

    @property
    def mapped_total(self) -> int:
        return sum(sum(v) for v in self.actuals.values())


def aggregate(extracts: Sequence[Extract], mapping: Mapping, year: int,
              leaf_rows: Sequence[str], accounts: CodeList | None = None) -> Aggregate:
    """Sum the extracts' amounts of ``year`` into the mapping's Drift rows."""
    accounts = accounts if accounts is not None else parse_codes(c.DEFAULTS[c.IMPORT_KONTON])
    messages: list[Message] = []
    for e in extracts:
        messages.extend(e.messages)
    messages.extend(_duplicates(extracts))
    for e in extracts:
        if e.ok and not _has_year(e, year):
            covered = ", ".join(str(y) for y in e.years) if e.years else "inga år"
            messages.append(Message(Level.FEL, f"Filen '{e.file.name}' har inga belopp för "
                            f"{year} (arbetsbokens år); den avser {covered}.",
                            FileLoc(e.file.name)))
    order = {name: i for i, name in enumerate(leaf_rows)}
    actual = _concat([e.actuals for e in extracts], year)
    kept, balance_rows = _result_accounts(actual, accounts)
    if balance_rows:
        messages.append(Message(Level.INFO, f"{balance_rows} rader på konton utanför "
                        f"{c.IMPORT_KONTON} ({accounts or 'alla'}), t.ex. balanskonton, har inte "
                        "importerats."))
    actual = _take(actual, kept)
    if not _exact_in_int64(actual):
        messages.append(Message(Level.FEL, "Beloppen är för stora för att summeras exakt."))
        actual = _take(actual, np.zeros(len(actual), dtype=bool))
    per_row, unmapped, conflicts = _map(actual, mapping, order)
    messages.extend(conflicts)
    unmapped_total = sum(u.ore for u in unmapped)
    if unmapped:
        rows = sum(u.rows for u in unmapped)
        messages.append(Message(Level.VARNING, f"{len(unmapped)} kombinationer av konto, ansvar "
                        f"och verksamhet ({rows} rader, summa {format_ore(unmapped_total)}) "
                        "matchar ingen rad i Mappning; de står i tabellen Omappat."))
    budget = None
    budgets = [e.budget for e in extracts if e.budget is not None]
    if budgets:
        b = _concat(budgets, year)
        b = _take(b, _result_accounts(b, accounts)[0])
        budget, b_unmapped, b_conflicts = _map(b, mapping, order)
        messages.extend(m for m in b_conflicts if m not in messages)
        left = sum(u.ore for u in b_unmapped)
        if b_unmapped:
            messages.append(Message(Level.INFO, f"Budgetbelopp på sammanlagt {format_ore(left)} hör "
                            "inte till någon rad i Mappning och har inte förts in."))
    return Aggregate(year, per_row, budget, unmapped, int(actual.ore.sum()), unmapped_total,
                     tuple(e.file for e in extracts), tuple(messages))


def _duplicates(extracts: Sequence[Extract]) -> list[Message]:
    seen: dict[str, str] = {}
    out = []
    for e in extracts:
        first = seen.get(e.file.sha256)
        seen.setdefault(e.file.sha256, e.file.name)
        if first is not None:
            out.append(Message(Level.FEL, f"Filen '{e.file.name}' har samma innehåll som "
                               f"'{first}': beloppen skulle räknas två gånger.",
                               FileLoc(e.file.name)))
    return out


def _has_year(e: Extract, year: int) -> bool:
    return bool((e.actuals.year == year).any()) or (
        e.budget is not None and bool((e.budget.year == year).any()))


def _concat(parts: Sequence[Amounts], year: int) -> Amounts:
    """One Amounts of the given year from several, with the codes merged."""
    masks = [p.year == year for p in parts]
    if len(parts) == 1 and masks[0].all():
        return parts[0]
    cols = []
    for attr in ("konto", "ansvar", "verksamhet"):
        values: dict[str, int] = {}
        idx = []
        for p, m in zip(parts, masks):
            codes: Codes = getattr(p, attr)
            remap = np.array([values.setdefault(v, len(values)) for v in codes.values],
                             dtype=np.int32)
            idx.append(remap[codes.index[m]] if len(remap) else codes.index[m])
        cols.append(Codes(tuple(values), _cat(idx, np.int32)))
    return Amounts(cols[0], cols[1], cols[2],
                   _cat([p.year[m] for p, m in zip(parts, masks)], np.int32),
                   _cat([p.month[m] for p, m in zip(parts, masks)], np.int32),
                   _cat([p.ore[m] for p, m in zip(parts, masks)], np.int64),
                   _cat([p.rows[m] for p, m in zip(parts, masks)], np.int64))


def _cat(arrays, dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


def _result_accounts(a: Amounts, accounts: CodeList) -> tuple[np.ndarray, int]:
    """Mask of the entries on imported accounts, and the ledger rows left out."""
    take = np.array([accounts.matches(k) or not k.isdigit() for k in a.konto.values],
                    dtype=bool)
    mask = take[a.konto.index] if len(take) else np.zeros(len(a), dtype=bool)
    return mask, int(a.rows[~mask].sum())


def _take(a: Amounts, mask: np.ndarray) -> Amounts:
    if mask.all():
        return a
    return Amounts(Codes(a.konto.values, a.konto.index[mask]),
                   Codes(a.ansvar.values, a.ansvar.index[mask]),
                   Codes(a.verksamhet.values, a.verksamhet.index[mask]),
                   a.year[mask], a.month[mask], a.ore[mask], a.rows[mask])


def _exact_in_int64(a: Amounts) -> bool:
    """True when no sum of these amounts can leave int64 (a bound, not a float sum)."""
    return not len(a) or int(np.abs(a.ore).max()) * len(a) < _OVERFLOW


def _map(a: Amounts, mapping: Mapping, order: dict[str, int]
         ) -> tuple[dict[str, tuple[int, ...]], tuple[Unmapped, ...], list[Message]]:
    res = mapping.resolve((a.konto.values, a.ansvar.values, a.verksamhet.values),
                          (a.konto.index, a.ansvar.index, a.verksamhet.index))
    messages = []
    clash = np.flatnonzero(res.rival >= 0)
    if len(clash):
        pairs = {}
        for i in clash:
            pairs.setdefault((int(res.winner[i]), int(res.rival[i])), i)
        for (w, r), i in pairs.items():
            codes = (a.konto.values[a.konto.index[i]], a.ansvar.values[a.ansvar.index[i]],
                     a.verksamhet.values[a.verksamhet.index[i]])
            messages.append(conflict_message(mapping.rows[w], mapping.rows[r], codes))
    rad_names = sorted({r.rad for r in mapping.rows}, key=lambda n: order.get(n, len(order)))
    rad_index = {n: i for i, n in enumerate(rad_names)}
    row_to_rad = np.array([rad_index[r.rad] for r in mapping.rows] or [0], dtype=np.int64)
    mapped = res.winner >= 0
    table = np.zeros((len(rad_names), 12), dtype=np.int64)
    w = res.winner[mapped]
    np.add.at(table, (row_to_rad[w], a.month[mapped] - 1), a.ore[mapped])
    counts = np.zeros(len(rad_names), dtype=np.int64)  # entries that carry an amount
    np.add.at(counts, row_to_rad[w], (a.ore[mapped] != 0).astype(np.int64))
    per_row = {n: tuple(int(x) for x in table[i]) for i, n in enumerate(rad_names)
               if counts[i]}
    return per_row, _unmapped(a, ~mapped), messages


def _unmapped(a: Amounts, mask: np.ndarray) -> tuple[Unmapped, ...]:
    if not mask.any():
        return ()
    nv, na = len(a.verksamhet.values) or 1, len(a.ansvar.values) or 1
    key = (a.konto.index[mask].astype(np.int64) * na + a.ansvar.index[mask]) * nv \
        + a.verksamhet.index[mask]
    keys, inverse = np.unique(key, return_inverse=True)
    ore = np.zeros(len(keys), dtype=np.int64)
    rows = np.zeros(len(keys), dtype=np.int64)
    np.add.at(ore, inverse, a.ore[mask])
    np.add.at(rows, inverse, a.rows[mask])
    out = []
    for k, o, n in zip(keys.tolist(), ore.tolist(), rows.tolist()):
        kv, rest = divmod(k, na * nv)
        av, vv = divmod(rest, nv)
        out.append(Unmapped(a.konto.values[kv], a.ansvar.values[av] if a.ansvar.values else "",
                            a.verksamhet.values[vv] if a.verksamhet.values else "", o, n))
    out.sort(key=lambda u: (u.konto, u.ansvar, u.verksamhet))
    return tuple(out)
