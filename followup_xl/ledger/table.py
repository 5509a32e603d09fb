"""What CSV and Excel exports share: the header row, the column rules, periods, and the
step from parsed columns to :class:`Amounts`.

Columns are found through a header map (field → alternative headers, compared without
regard to case or spaces). A file needs Konto, an amount (Belopp, or Debet and Kredit) and
a date (Datum), a period (Period: YYYYMM or YYYY-MM) or År and Månad. Title and subtotal
rows above the header are skipped; a field whose header is absent means empty codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from followup_xl.domain.formulas import FIRST_YEAR, LAST_YEAR
from followup_xl.domain.model import FileLoc, Level, Message
from followup_xl.domain.swedish import MONTHS, NotANumber, format_ore, to_date
from followup_xl.ledger.records import (AR, BELOPP, DATUM, DEBET, KONTO, KREDIT, MANAD,
                                        PERIOD, Amounts, Codes, Extract, FileInfo,
                                        header_key)

HEADER_SEARCH_ROWS = 50
SHOWN = 5  # bad rows named before the rest are counted


@dataclass(frozen=True)
class Header:
    row: int  # 0-based index among the rows searched
    columns: dict[str, int]  # field -> column index


def find_header(rows: Sequence[Sequence[object]], headers: Mapping[str, Sequence[str]]
                ) -> Header | list[str]:
    """The first row that names the required fields, or (when none does) the fields the
    best row lacks."""
    keys = {header_key(h): f for f, alts in headers.items() for h in alts}
    best: list[str] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            f = keys.get(header_key(cell)) if cell is not None else None
            if f and f not in cols:
                cols[f] = j
        missing = missing_fields(cols)
        if not missing:
            return Header(i, cols)
        if cols and (best is None or len(missing) < len(best)):
            best = missing
    return best or missing_fields({})


def missing_fields(cols) -> list[str]:
    missing = []
    if KONTO not in cols:
        missing.append(KONTO)
    if BELOPP not in cols and not (DEBET in cols and KREDIT in cols):
        missing.append(f"{BELOPP} (eller {DEBET} och {KREDIT})")
    if DATUM not in cols and PERIOD not in cols and not (AR in cols and MANAD in cols):
        missing.append(f"{DATUM}, {PERIOD} eller {AR} och {MANAD}")
    return missing


def no_header_message(file: str, missing: list[str]) -> Message:
    return Message(Level.FEL, f"Filen '{file}' saknar kolumnerna {', '.join(missing)}: "
                   "ingen rad bland de första har de rubrikerna. Rubrikerna som söks står i "
                   "tabellen Importkolumner.", FileLoc(file))


# --- Periods -----------------------------------------------------------------------------

_MONTH_WORDS = {w: i + 1 for i, m in enumerate(MONTHS) for w in (m, m[:3])}


def year_month(value: object) -> tuple[int, int] | None:
    """(year, month) of a Period or Datum value: a date cell, YYYYMM, YYYY-MM, a date
    text (YYYY-MM-DD, YYYYMMDD …); None when it is none of these."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year, value.month
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    digits = text.replace("-", "").replace("/", "")
    if len(digits) == 6 and digits.isdigit() and len(text) in (6, 7):
        y, m = int(digits[:4]), int(digits[4:])
        return (y, m) if 1 <= m <= 12 and FIRST_YEAR <= y <= LAST_YEAR else None
    try:
        d = to_date(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except NotANumber:
        return None
    return d.year, d.month


def month_number(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().casefold().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return _MONTH_WORDS.get(text)


def year_number(value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) == 4 else None


def code_text(value: object) -> str:
    """A code cell as text: 3010.0 (a number cell) → "3010"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- Parsed columns to Amounts --------------------------------------------------------

@dataclass
class Parsed:
    """The columns of one export once parsed: codes (distinct values and an index per
    row), year and month, öre of the actual amount and of the budget (or None)."""

    konto: Codes
    ansvar: Codes
    verksamhet: Codes
    year: np.ndarray
    month: np.ndarray
    ore: np.ndarray
    budget: np.ndarray | None
    bad_period: np.ndarray  # row indices


def signed(debit: np.ndarray, credit: np.ndarray) -> np.ndarray:
    """Debet and Kredit columns as one amount, debit positive: Debet minus Kredit, or
    plus Kredit when the export writes credits with their sign (no credit positive)."""
    signed_credit = bool((credit < 0).any()) and not bool((credit > 0).any())
    return debit + credit if signed_credit else debit - credit


def extract_of(info: FileInfo, p: Parsed, line_of: Callable[[np.ndarray], list[int]],
               messages: list[Message]) -> Extract:
    """An export's Extract from its parsed columns (see :func:`to_amounts`), with the
    years its actuals fall in."""
    actuals, budget, more = to_amounts(info.name, p, line_of)
    years = tuple(sorted(int(y) for y in np.unique(actuals.year) if y))
    return Extract(info, actuals, budget, tuple(messages + more), years)


def to_amounts(file: str, p: Parsed, line_of: Callable[[np.ndarray], list[int]]
               ) -> tuple[Amounts, Amounts | None, list[Message]]:
    """Drop the rows without Konto (blank or subtotal rows; a warning when they hold an
    amount) and report rows whose period is unknown."""
    messages: list[Message] = []
    empty = np.array([not v for v in p.konto.values], dtype=bool)
    no_konto = empty[p.konto.index] if len(empty) else np.zeros(len(p.ore), dtype=bool)
    bad_period = p.bad_period[~no_konto[p.bad_period]]
    if len(bad_period):
        messages.extend(bad_rows(file, bad_period, line_of, "har ingen period eller inget "
                                 "datum som kan läsas (ÅÅÅÅ-MM-DD, ÅÅÅÅMM eller ÅÅÅÅ-MM)"))
    with_money = np.flatnonzero(no_konto & ((p.ore != 0) | (p.budget != 0 if p.budget is not
                                                           None else False)))
    if len(with_money):
        lines = line_of(with_money[:1])
        messages.append(Message(
            Level.VARNING, f"{len(with_money)} rader i '{file}' har belopp men inget konto "
            f"(summa {format_ore(int(p.ore[with_money].sum()))}), t.ex. rad {lines[0]}; de har inte "
            "importerats (summarader?).", FileLoc(file, lines[0])))
    keep = ~no_konto
    keep[bad_period] = False
    rows = np.ones(int(keep.sum()), dtype=np.int64)

    def amounts(ore: np.ndarray) -> Amounts:
        return Amounts(Codes(p.konto.values, p.konto.index[keep]),
                       Codes(p.ansvar.values, p.ansvar.index[keep]),
                       Codes(p.verksamhet.values, p.verksamhet.index[keep]),
                       p.year[keep], p.month[keep], ore[keep], rows)

    return amounts(p.ore), (amounts(p.budget) if p.budget is not None else None), messages


def bad_rows(file: str, rows: np.ndarray, line_of, what: str,
             values: Sequence[object] | None = None) -> list[Message]:
    """Fel for the first rows (with the value found, when given), then a count."""
    lines = line_of(rows[:SHOWN])
    shown = [f" ('{v}')" for v in values] if values is not None else [""] * len(lines)
    out = [Message(Level.FEL, f"Rad {ln} i '{file}' {what}{v}.", FileLoc(file, ln))
           for ln, v in zip(lines, shown)]
    if len(rows) > SHOWN:
        out.append(Message(Level.FEL, f"Ytterligare {len(rows) - SHOWN} rader i '{file}' "
                           f"{what}.", FileLoc(file)))
    return out


def codes_of(values: Sequence[object]) -> Codes:
    """Codes from Python cell values (Excel), one per row."""
    return Codes.of(code_text(v) for v in values)


def empty_codes(n: int) -> Codes:
    return Codes(("",), np.zeros(n, dtype=np.int32))


def periods(distinct: Sequence[object], index: np.ndarray, parse=year_month
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, bad row indices) from distinct period values and a row index."""
    ym = [parse(v) for v in distinct]
    years = np.array([p[0] if p else 0 for p in ym] or [0], dtype=np.int32)
    months = np.array([p[1] if p else 0 for p in ym] or [0], dtype=np.int32)
    bad = np.array([p is None for p in ym] or [False], dtype=bool)
    return years[index], months[index], np.flatnonzero(bad[index])

