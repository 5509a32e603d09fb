"""What every ledger reader produces, and the small protocol the readers answer.

A reader turns one file into an :class:`Extract`: the file's identity, its actual amounts
and (when it has one) its budget as :class:`Amounts`, and its messages. Amounts are
columns of equal length (one entry per ledger row, or per code combination and month when
a reader sums as it goes): codes as indices into the distinct codes, calendar year and
month, integer öre with the ledger's sign (debit +, credit −), and how many ledger rows
stand behind each entry. One aggregation step (:mod:`followup_xl.ledger.aggregate`)
consumes the extracts of all files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Mapping, Protocol, Sequence

import numpy as np

from followup_xl.domain.model import FileLoc, Level, Message
from followup_xl.domain.swedish import convert

# Fields a ledger row may carry (the words of the table Importkolumner).
DATUM, PERIOD, AR, MANAD = "Datum", "Period", "År", "Månad"
KONTO, ANSVAR, VERKSAMHET = "Konto", "Ansvar", "Verksamhet"
BELOPP, DEBET, KREDIT, BUDGET = "Belopp", "Debet", "Kredit", "Budget"
FIELDS = (DATUM, PERIOD, AR, MANAD, KONTO, ANSVAR, VERKSAMHET, BELOPP, DEBET, KREDIT, BUDGET)

# The common Swedish headers of ERP exports, which the template's Importkolumner lists.
DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    DATUM: ("Datum", "Bokföringsdatum", "Verifikationsdatum", "Transaktionsdatum"),
    PERIOD: ("Period", "Bokföringsperiod", "Redovisningsperiod"),
    AR: ("År", "Räkenskapsår", "Bokföringsår"),
    MANAD: ("Månad", "Mån"),
    KONTO: ("Konto", "Kontonummer", "Kto"),
    ANSVAR: ("Ansvar", "Ansvarsenhet", "Ansvarskod", "Kostnadsställe", "Kst"),
    VERKSAMHET: ("Verksamhet", "Verksamhetskod", "Vht"),
    BELOPP: ("Belopp", "Utfall", "Belopp SEK", "Summa"),
    DEBET: ("Debet",),
    KREDIT: ("Kredit",),
    BUDGET: ("Budget", "Budgetbelopp"),
}


def header_key(text: object) -> str:
    """How headers are compared: case and spaces do not matter."""
    return "".join(str(text).split()).casefold()


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs from the workbook: which header holds which field, which SIE
    dimensions hold ansvar and verksamhet, and whether the mapping needs those codes
    (so that a type 3 SIE file's object balances are used, not only the totals)."""

    headers: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_HEADERS)
    ansvar_dim: str | None = "1"
    verksamhet_dim: str | None = None
    needs_ansvar: bool = False
    needs_verksamhet: bool = False


@dataclass(frozen=True)
class FileInfo:
    name: str
    sha256: str  # hex
    kind: str  # "SIE 4E", "CSV", "XLSX" ...

    @property
    def label(self) -> str:
        """'huvudbok.se (3fa1b2c4d5e6)': the name and the first 12 hex digits of its
        SHA-256, as Import_Filer and the console name the file."""
        return f"{self.name} ({self.sha256[:12]})"


@dataclass(frozen=True)
class Codes:
    """A column of codes: ``values`` are the distinct codes, ``index`` one per entry."""

    values: tuple[str, ...]
    index: np.ndarray  # int32

    @classmethod
    def of(cls, codes) -> Codes:
        """A column of codes from the code of each entry (an iterable of text)."""
        distinct: dict[str, int] = {}
        index = np.array([distinct.setdefault(code, len(distinct)) for code in codes],
                         dtype=np.int32)
        return cls(tuple(distinct), index)


@dataclass(frozen=True)
class Amounts:
    konto: Codes
    ansvar: Codes
    verksamhet: Codes
    year: np.ndarray  # int32, calendar year
    month: np.ndarray  # int32, 1..12
    ore: np.ndarray  # int64, debit positive
    rows: np.ndarray  # int64, ledger rows behind each entry

    def __len__(self) -> int:
        return len(self.ore)

    @staticmethod
    def from_sums(sums: Mapping[tuple[str, str, str, int, int], list[int]]) -> Amounts:
        """From {(konto, ansvar, verksamhet, year, month): [öre, rows]}."""
        keys = list(sums)
        cols = [Codes.of(k[i] for k in keys) for i in range(3)]
        vals = list(sums.values())
        return Amounts(cols[0], cols[1], cols[2],
                       np.array([k[3] for k in keys], dtype=np.int32),
                       np.array([k[4] for k in keys], dtype=np.int32),
                       np.array([v[0] for v in vals], dtype=np.int64),
                       np.array([v[1] for v in vals], dtype=np.int64))

    @staticmethod
    def empty() -> Amounts:
        return Amounts.from_sums({})

    def by_account(self, year: int | None = None) -> dict[str, int]:
        """Öre per konto (for one calendar year, or all): for checks and tests."""
        mask = np.ones(len(self), dtype=bool) if year is None else self.year == year
        out: dict[str, int] = {}
        for k, o in zip(self.konto.index[mask], self.ore[mask]):
            key = self.konto.values[k]
            out[key] = out.get(key, 0) + int(o)
        return out


@dataclass(frozen=True)
class Extract:
    file: FileInfo
    actuals: Amounts
    budget: Amounts | None  # None when the file carries no budget
    messages: tuple[Message, ...] = ()
    years: tuple[int, ...] = ()  # calendar years the file's periods cover, for messages

    @property
    def ok(self) -> bool:
        return not any(m.level is Level.FEL for m in self.messages)


class Reader(Protocol):
    """One ledger format. ``identify`` looks at the file's first bytes and name;
    ``extract`` reads the whole file. Neither raises for bad content: problems are
    messages in the Extract."""

    kind: str

    def identify(self, name: str, head: bytes) -> bool: ...

    def extract(self, name: str, data: bytes, options: ReadOptions) -> Extract: ...


def file_info(name: str, data: bytes, kind: str) -> FileInfo:
    return FileInfo(Path(name).name, hashlib.sha256(data).hexdigest(), kind)


def refused(info: FileInfo, text: str, line: int | None = None) -> Extract:
    """An Extract with nothing in it but one error."""
    return Extract(info, Amounts.empty(), None,
                   (Message(Level.FEL, text, FileLoc(info.name, line)),))


# --- Into the workbook ---------------------------------------------------------------

def in_workbook(ore: int, unit: str, costs_negative: bool) -> Decimal:
    """A ledger amount (öre, debit +) in the workbook's unit and sign convention, exact:
    under Kostnader negativa costs become negative and income positive; under Kostnader
    positiva the ledger's sign stays. Full precision (1 234,56 kr = 1.23456 tkr)."""
    signed = -ore if costs_negative else ore
    return convert(Decimal(signed).scaleb(-2), "kr", unit)
