"""A1 cell references: column letters, single cells and rectangular ranges.

``C6`` is (row 6, column 3); ``A1:C3`` is (1, 1, 3, 3) as (first row, first column, last
row, last column). Only what fits a worksheet (1 048 576 rows, 16 384 columns) parses.
"""

from __future__ import annotations

import re

MAX_ROW = 1048576
MAX_COL = 16384

_REF_RE = re.compile(r"\s*\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})\s*")
_LETTERS: dict[int, str] = {}
_INDEX: dict[str, int] = {}


def column_letter(col: int) -> str:
    """3 -> 'C', 28 -> 'AB'."""
    text = _LETTERS.get(col)
    if text is None:
        if not 1 <= col <= MAX_COL:
            raise ValueError(f"column {col} is outside the sheet")
        n, out = col, ""
        while n:
            n, rem = divmod(n - 1, 26)
            out = chr(65 + rem) + out
        text = _LETTERS[col] = out
    return text


def column_index(letters: str) -> int:
    """'C' -> 3, 'ab' -> 28 (no range check)."""
    n = _INDEX.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + ord(ch) - 64
        if len(_INDEX) < 100000:
            _INDEX[letters] = n
    return n


class _ColumnsOfBytes(dict):
    """Column letters as bytes (b"C", as the scans read them) -> column number, filled
    as letters are met."""

    def __missing__(self, letters: bytes) -> int:
        col = self[letters] = column_index(letters.decode())
        return col


COLUMN_OF_BYTES = _ColumnsOfBytes()


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'C6' or '$C$6' -> (6, 3) as (row, col); None if not one cell of a sheet."""
    m = _REF_RE.fullmatch(ref)
    if not m:
        return None
    letters, digits = m.groups()
    col, row = column_index(letters), int(digits)
    if col > MAX_COL or row > MAX_ROW:
        return None
    return row, col


def column_on_row(ref: str, row: int, row_text: str) -> tuple[int, bool] | None:
    """The column of the cell reference ``ref`` on row ``row`` (``row_text`` is
    ``str(row)``) and whether ``ref`` is in the canonical form ('C6': ASCII capitals,
    then the row); None when it names no cell of that row."""
    letters = ref[: -len(row_text)]
    if ref.endswith(row_text) and len(letters) < 4 and letters.isascii() and \
            letters.isalpha() and letters.isupper():
        return column_index(letters), True
    rc = parse_ref(ref)
    return (rc[1], False) if rc is not None and rc[0] == row else None


def ref_text(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def parse_range(text: str) -> tuple[int, int, int, int] | None:
    """'A1:C3' or 'B2' -> (r1, c1, r2, c2); None when invalid."""
    parts = text.strip().split(":")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        return None
    a, b = parse_ref(parts[0]), parse_ref(parts[1])
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def range_text(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = ref_text(r1, c1), ref_text(r2, c2)
    return a if a == b else f"{a}:{b}"


def split_sheet_ref(text: str) -> tuple[str | None, str]:
    """``'Bob''s'!$B$6`` -> ("Bob's", "$B$6"); ``Drift!A1`` -> ("Drift", "A1"); a text
    without a sheet -> (None, text). A quoted name ends at a single quote not doubled."""
    text = text.strip()
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                return ("".join(name), rest[1:]) if rest.startswith("!") else (None, text)
            name.append(ch)
            i += 1
        return None, text
    sheet, bang, ref = text.rpartition("!")
    return (sheet, ref) if bang else (None, text)
