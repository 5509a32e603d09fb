"""Noticing a value typed into a cell the program computes, before it is replaced.

A table with computed columns (Drift, Atgarder) has a hidden column Kontrollsumma. On
every write the program stores there, per row, a short hash of each computed cell as it
wrote it. On the next run a computed cell whose value no longer matches its hash was
changed by someone; if the program now writes something else there, that is reported as
a Varning naming the cell and quoting both values. A cell the program wrote and that
merely went stale (its inputs changed) still matches its hash and is replaced in
silence. Cells the program does not compute in a row (a leaf row's Budget) have the
hash of an empty cell, so a leaf turned into a total reports its typed figures too.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

from followup_xl.domain.model import Level, Loc, Message
from followup_xl.domain.swedish import NotANumber, format_number, to_decimal

SLOT = 4  # hex digits per cell: a typed value goes unnoticed with odds 1 in 65 536


def _canonical(value: object) -> str:
    """A cell value as every client stores it back: numbers to 12 significant digits
    (Excel and LibreOffice re-save doubles), text stripped, empty as ''."""
    if type(value) is Decimal:  # what the program writes: the common case first
        return "0" if value == 0 else format(float(value), ".12g")  # -0 is 0
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return "0" if value == 0 else format(float(value), ".12g")  # -0 is 0
    return str(value).strip()


def _slot_of(text: str) -> str:
    """The slot of a canonical value: 4 hex digits of its CRC-32."""
    if not text:
        return _EMPTY_SLOT
    return f"{zlib.crc32(text.encode('utf-8')) & 0xFFFF:04x}"


_EMPTY_SLOT = f"{zlib.crc32(b'') & 0xFFFF:04x}"


def digest(values: list[object]) -> str:
    """The Kontrollsumma of a row: one slot per computed column, in column order."""
    return "".join(_slot_of(_canonical(v)) for v in values)


def _shown(value: object, decimals: int) -> str:
    try:
        d = to_decimal(value)
    except (NotANumber, ValueError):
        return f"'{str(value).strip()[:60]}'"
    return format_number(d, decimals)


def _decimals(a: object, b: object, unit_decimals: int) -> int:
    """Shown as the unit shows amounts, with more decimals only where that would make
    the two values look alike."""
    for decimals in range(unit_decimals, 5):
        if b is None or _shown(a, decimals) != _shown(b, decimals):
            return decimals
    return 4


def typed_over(table: str, row: int, columns: tuple[str, ...], held: list[object],
               stored: object, new: list[object], unit_decimals: int = 0) -> list[Message]:
    """Varnings for the computed cells of one table row that someone typed over and that
    the program now replaces. ``held``: what the cells hold now; ``stored``: the row's
    Kontrollsumma (empty for a row the program never wrote); ``new``: what it writes."""
    return _typed_over(table, row, columns, held, stored, new,
                       [_canonical(v) for v in new], unit_decimals)


def checked_row(table: str, row: int, columns: tuple[str, ...], held: list[object],
                stored: object, new: list[object], unit_decimals: int = 0,
                memo: dict | None = None) -> tuple[list[Message], str]:
    """:func:`typed_over` and the row's new :func:`digest` at once. ``memo`` (one dict
    for the rows of a table) keeps each value's canonical form and slot: a table
    repeats many values (empty cells, zeros, equal amounts), and a Decimal's canonical
    form goes through a float."""
    if memo is None:
        memo = {}
    canonical, slots = [], []
    for value in new:
        forms = memo.get(value) if value is None or type(value) is Decimal else None
        if forms is None:
            text = _canonical(value)
            forms = (text, _slot_of(text))
            if value is None or type(value) is Decimal:  # equal Decimals: one form
                memo[value] = forms
        canonical.append(forms[0])
        slots.append(forms[1])
    typed = [] if all(now is None for now in held) else \
        _typed_over(table, row, columns, held, stored, new, canonical, unit_decimals)
    return typed, "".join(slots)


def _typed_over(table: str, row: int, columns: tuple[str, ...], held: list[object],
                stored: object, new: list[object], new_canonical: list[str],
                unit_decimals: int) -> list[Message]:
    slots = str(stored).strip() if isinstance(stored, str) else ""
    known = len(slots) == SLOT * len(columns)
    out = []
    for k, (column, now, value) in enumerate(zip(columns, held, new)):
        if now is None:  # an empty cell: nothing typed
            continue
        text = _canonical(now)
        if text == "" or text == new_canonical[k]:
            continue
        if known and slots[k * SLOT:(k + 1) * SLOT] == _slot_of(text):
            continue  # the program's own earlier value, gone stale: replaced in silence
        decimals = _decimals(now, value, unit_decimals)
        replacement = ("töms" if value is None else
                       f"ersätts av det beräknade {_shown(value, decimals)}")
        out.append(Message(Level.VARNING, f"Cellen räknas fram av programmet, men den hade "
                           f"värdet {_shown(now, decimals)}, som {replacement}. Skriv indata "
                           "i de gula cellerna.", Loc(table, row, column)))
    return out
