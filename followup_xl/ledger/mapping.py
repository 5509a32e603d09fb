"""The mapping from ledger codes to Drift rows (the workbook's table Mappning).

Each mapping row names code lists for Konto, Ansvar and Verksamhet (empty = any) and the
Drift leaf row the matching amounts go to. When several rows match, the most specific
wins: the longest matching prefix on Konto, then on Ansvar, then on Verksamhet. Two
equally specific rows that name different Drift rows are an error naming both.

Resolution is vectorised: each mapping row is matched once against each distinct code,
then the winners of all ledger entries are found with a few array operations per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from followup_xl import contract as c
from followup_xl.domain.model import Level, Loc, Message, row_key
from followup_xl.ledger.codes import BadCodeList, CodeList, parse_codes

# The workbook table and its columns (the contract's words for issue 10).
TABLE = c.MAPPNING
KONTO, ANSVAR, VERKSAMHET, RAD = c.MAP_KONTO, c.MAP_ANSVAR, c.MAP_VERKSAMHET, c.MAP_RAD

_BASE = 1000  # code lengths are below this: score = konto·B² + ansvar·B + verksamhet


@dataclass(frozen=True)
class MappingEntry:
    """One row of Mappning as typed (cell values), ``row`` its 0-based table row."""

    konto: object
    ansvar: object
    verksamhet: object
    rad: object
    row: int


@dataclass(frozen=True)
class MappingRow:
    konto: CodeList
    ansvar: CodeList
    verksamhet: CodeList
    rad: str  # a Drift leaf row, spelt as in Drift
    row: int  # 0-based row of Mappning

    @property
    def loc(self) -> Loc:
        return Loc(TABLE, self.row, RAD)

    @property
    def label(self) -> str:
        return f"rad {self.row + 1}"


@dataclass(frozen=True)
class Resolution:
    """Per ledger entry: the index of the winning mapping row (-1: unmapped) and of an
    equally specific row naming another Drift row (-1: none)."""

    winner: np.ndarray
    rival: np.ndarray


@dataclass(frozen=True)
class Mapping:
    rows: tuple[MappingRow, ...]

    @property
    def uses_ansvar(self) -> bool:
        return any(not r.ansvar.any for r in self.rows)

    @property
    def uses_verksamhet(self) -> bool:
        return any(not r.verksamhet.any for r in self.rows)

    def resolve(self, values: tuple[Sequence[str], Sequence[str], Sequence[str]],
                index: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Resolution:
        """Winners for entries given as indices into distinct konto, ansvar and
        verksamhet values. When the distinct combinations of the codes the mapping looks
        at are fewer than the entries, those are resolved and looked up."""
        used = [d for d, attr in enumerate(("konto", "ansvar", "verksamhet"))
                if any(not getattr(r, attr).any for r in self.rows)]
        sizes = [max(len(values[d]), 1) for d in used]
        if int(np.prod(sizes)) <= len(index[0]):
            grid = np.indices(sizes).reshape(len(used), -1) if used else np.zeros((0, 1))
            zeros = np.zeros(grid.shape[1], dtype=np.int32)
            grid_index = [zeros, zeros, zeros]
            for k, d in enumerate(used):
                grid_index[d] = grid[k].astype(np.int32)
            solved = self._resolve(values, tuple(grid_index))
            key = (np.ravel_multi_index(tuple(index[d] for d in used), sizes) if used
                   else np.zeros(len(index[0]), dtype=np.int64))
            return Resolution(solved.winner[key], solved.rival[key])
        return self._resolve(values, index)

    def _resolve(self, values, index) -> Resolution:
        n = len(index[0])
        best = np.full(n, -1, dtype=np.int64)
        winner = np.full(n, -1, dtype=np.int32)
        rival = np.full(n, -1, dtype=np.int32)
        rad_ids = _rad_ids(self.rows)
        winner_rad = np.full(n, -1, dtype=np.int32)
        for r, row in enumerate(self.rows):
            score = np.zeros(n, dtype=np.int64)
            ok = np.ones(n, dtype=bool)
            for codes, vals, idx, weight in zip(
                    (row.konto, row.ansvar, row.verksamhet), values, index,
                    (_BASE * _BASE, _BASE, 1)):
                if codes.any:
                    continue
                lengths = np.array([codes.match_length(v) for v in vals], dtype=np.int64)
                per_entry = lengths[idx]
                ok &= per_entry >= 0
                score += per_entry * weight
            score = np.where(ok, score, -1)
            better = score > best
            tie = (score == best) & ok & (winner_rad != rad_ids[r]) & (rival < 0)
            rival = np.where(better, -1, np.where(tie, r, rival)).astype(np.int32)
            winner = np.where(better, r, winner).astype(np.int32)
            winner_rad = np.where(better, rad_ids[r], winner_rad).astype(np.int32)
            best = np.maximum(best, score)
        return Resolution(winner, rival)

    def resolve_one(self, konto: str, ansvar: str = "", verksamhet: str = ""
                    ) -> tuple[MappingRow | None, MappingRow | None]:
        """The winning row for one code triple, and an equally specific rival."""
        one = np.zeros(1, dtype=np.int32)
        res = self.resolve(([konto], [ansvar], [verksamhet]), (one, one, one))
        w, r = int(res.winner[0]), int(res.rival[0])
        return (self.rows[w] if w >= 0 else None, self.rows[r] if r >= 0 else None)


def _rad_ids(rows: Sequence[MappingRow]) -> np.ndarray:
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(r.rad, len(ids)) for r in rows], dtype=np.int32)


def build_mapping(entries: Iterable[MappingEntry], leaf_rows: Sequence[str]
                  ) -> tuple[Mapping, tuple[Message, ...]]:
    """Validate the typed rows: code lists that parse, a Rad that is a Drift leaf row,
    no two identical code rows naming different Drift rows."""
    leaves = {row_key(name): name for name in leaf_rows}
    rows: list[MappingRow] = []
    messages: list[Message] = []
    for e in entries:
        cells = (e.konto, e.ansvar, e.verksamhet, e.rad)
        if all(v is None or not str(v).strip() for v in cells):
            continue
        lists = []
        for value, column in zip(cells[:3], (KONTO, ANSVAR, VERKSAMHET)):
            try:
                lists.append(parse_codes(value))
            except BadCodeList as err:
                messages.append(Message(Level.FEL, f"{err}.", Loc(TABLE, e.row, column)))
                lists.append(None)
        rad_text = "" if e.rad is None else " ".join(str(e.rad).split())
        if not rad_text:
            messages.append(Message(Level.FEL, "Raden saknar Rad: skriv vilken rad i Drift "
                                    "beloppen ska föras till.", Loc(TABLE, e.row, RAD)))
            continue
        rad = leaves.get(row_key(rad_text))
        if rad is None:
            messages.append(Message(
                Level.FEL, f"'{rad_text}' är ingen rad i Drift som tar emot belopp (en rad "
                "som inte är en summeringsrad).", Loc(TABLE, e.row, RAD)))
            continue
        if None in lists:
            continue
        rows.append(MappingRow(lists[0], lists[1], lists[2], rad, e.row))
    seen: dict[tuple[str, str, str], MappingRow] = {}
    for row in rows:
        key = (str(row.konto), str(row.ansvar), str(row.verksamhet))
        other = seen.setdefault(key, row)
        if other is not row and other.rad != row.rad:
            messages.append(conflict_message(other, row, None))
    return Mapping(tuple(rows)), tuple(messages)


def conflict_message(a: MappingRow, b: MappingRow, codes: tuple[str, str, str] | None
                     ) -> Message:
    where = ""
    if codes:
        parts = [f"{name.lower()} {code}" for name, code in
                 zip((KONTO, ANSVAR, VERKSAMHET), codes) if code]
        where = " för " + ", ".join(parts)
    return Message(Level.FEL, f"Mappningens {a.label} och {b.label} är lika specifika{where} "
                   f"men för beloppen till olika rader ('{a.rad}' och '{b.rad}'). Gör den ena "
                   "raden mer specifik eller ta bort den.", a.loc)
