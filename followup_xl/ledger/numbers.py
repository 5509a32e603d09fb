"""Amounts in ledger files, to exact integer öre.

Ledger exports write amounts as text: "-1 234,56", "1 234,56-" (a trailing minus),
"−1 234,56" (a Unicode minus), no-break spaces between thousands, a decimal comma or a
decimal point, at most two decimals. :func:`ore_of` reads one such text (or an Excel
number) in Python; :func:`ore_column` reads a whole column with Arrow's string kernels and
an exact decimal cast, so that a million amounts take a fraction of a second and no float
is ever involved.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal, InvalidOperation

import numpy as np

from followup_xl.domain.swedish import GROUP_CHARS, MINUS_CHARS

MAX_DIGITS = 15  # whole kronor digits: far above any municipal ledger, safe in int64 öre


class BadAmount(ValueError):
    """``str()`` is a Swedish sentence without the final full stop."""


def amount_pattern(decimal: str) -> str:
    """The pattern an amount must have once spaces are gone, minus signs are "-" and a
    trailing minus or parentheses are a leading minus: digits, optionally grouped by
    threes with the other sign ("1.234,56" under a decimal comma), at most two decimals.
    Written for both Python's re and Arrow's RE2."""
    other = re.escape("." if decimal == "," else ",")
    d = re.escape(decimal)
    whole = r"(\d{1,3}(%s\d{3}){1,4}|\d{1,%d})" % (other, MAX_DIGITS)
    return r"^-?(%s(%s\d{1,2})?|%s\d{1,2})$" % (whole, d, d)


def ore_of(value: object, decimal: str | None = None) -> int:
    """Exact öre from a number or from ledger text; BadAmount otherwise.

    ``decimal`` is the file's decimal sign ("," or "."); the other one may group
    thousands, as may spaces of any kind. With None, the last of "," and "." is the
    decimal sign. Empty text is 0.
    """
    if isinstance(value, bool):
        raise BadAmount(f"'{value}' är inget belopp")
    if isinstance(value, int):
        return _ore_of_decimal(Decimal(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadAmount(f"'{value}' är inget belopp")
        return _ore_of_decimal(Decimal(repr(value)), value)
    if isinstance(value, Decimal):
        return _ore_of_decimal(value, value)
    if value is None:
        return 0
    shown = str(value).strip()
    s = normal_text(shown)
    if not s:
        return 0
    if decimal is None:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
    if not re.match(amount_pattern(decimal), s):
        if re.match(amount_pattern(decimal).replace(r"\d{1,2})", r"\d+)"), s):
            raise BadAmount(f"'{shown}' har fler än två decimaler")
        raise BadAmount(f"'{shown}' är inget belopp")
    negative = s.startswith("-")
    s = s.lstrip("-").replace("." if decimal == "," else ",", "")
    whole, _, frac = s.partition(decimal)
    ore = int(whole or "0") * 100 + int(frac.ljust(2, "0"))
    return -ore if negative else ore


def normal_text(text: str) -> str:
    """Spaces removed, every minus a "-", a trailing minus or parentheses made a leading
    minus, a leading plus dropped (the same steps :func:`ore_column` takes)."""
    s = text.strip()
    for ch in GROUP_CHARS:
        s = s.replace(ch, "")
    for ch in MINUS_CHARS[1:]:
        s = s.replace(ch, "-")
    s = re.sub(r"^\+", "", s)
    s = re.sub(r"^([^-].*)-$", r"-\1", s)
    return re.sub(r"^-?\((.*)\)$", r"-\1", s)


def _ore_of_decimal(d: Decimal, shown: object) -> int:
    try:
        ore = d * 100
        if ore != ore.to_integral_value():
            raise BadAmount(f"'{shown}' har fler än två decimaler")
        if abs(ore) >= Decimal(10) ** (MAX_DIGITS + 2):
            raise BadAmount(f"'{shown}' är för stort för ett belopp")
        return int(ore)
    except InvalidOperation:  # pragma: no cover - NaN is refused above
        raise BadAmount(f"'{shown}' är inget belopp") from None


def guess_decimal(samples) -> str:
    """The decimal sign of a column from sample texts: "," or "." followed by one or two
    digits at the end decides; a comma when nothing tells (Swedish exports)."""
    comma = point = 0
    for s in samples:
        s = str(s).strip().rstrip(MINUS_CHARS + ")")
        if re.search(r",\d{1,2}$", s):
            comma += 1
        elif re.search(r"\.\d{1,2}$", s):
            point += 1
    return "." if point > comma else ","


# --- Whole columns (Arrow) -------------------------------------------------------------

def ore_column(column, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """(öre as int64, indices of the values that are no amount) for an Arrow string
    column. Empty values are 0. Exact: every value that matches :func:`amount_pattern`
    is cast by Arrow's decimal parser, never through a float."""
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(no_nulls(column))
    for ch in GROUP_CHARS:
        s = _replace_if(s, ch, "")
    for ch in MINUS_CHARS[1:]:
        s = _replace_if(s, ch, "-")
    if _any(pc.starts_with(s, "+")) or _any(pc.ends_with(s, "-")) or _any(
            pc.ends_with(s, ")")):
        s = pc.replace_substring_regex(s, r"^\+", "")
        s = pc.replace_substring_regex(s, r"^([^-].*)-$", r"-\1")
        s = pc.replace_substring_regex(s, r"^-?\((.*)\)$", r"-\1")
    s = pc.replace_substring_regex(s, "^$", "0")
    valid = pc.match_substring_regex(s, amount_pattern(decimal))
    bad = _indices_false(valid)
    if len(bad):
        s = pc.if_else(valid, s, pc.replace_substring_regex(s, "(?s)^.*$", "0"))
    s = _replace_if(s, "." if decimal == "," else ",", "")
    if decimal == ",":
        s = pc.replace_substring(s, ",", ".")
    dec = pc.cast(s, pa.decimal128(MAX_DIGITS + 2, 2))
    return _unscaled(dec), bad


def no_nulls(column):
    """The column with empty strings for nulls. Literals are avoided on purpose: turning
    a Python value into an Arrow scalar makes pyarrow import pandas (0,14 s), which a CSV
    import otherwise never needs; the CSV reader gives no nulls, so this is the rare path."""
    import pyarrow.compute as pc

    return pc.fill_null(column, "") if column.null_count else column


def _any(mask) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(mask).as_py())


def _replace_if(s, text: str, replacement: str):
    import pyarrow.compute as pc

    if _any(pc.match_substring(s, text)):
        return pc.replace_substring(s, text, replacement)
    return s


def _indices_false(mask) -> np.ndarray:
    """Positions where a boolean Arrow column is false, as int64 (computed in Arrow:
    turning booleans into NumPy would make pyarrow import pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return int_values(pc.indices_nonzero(pc.invert(mask))).astype(np.int64)


def int_values(array) -> np.ndarray:
    """The values of an Arrow integer array without nulls, read from its buffer (Arrow's
    own to_numpy would import pandas first)."""
    raw = np.frombuffer(array.buffers()[1], dtype=array.type.to_pandas_dtype())
    return raw[array.offset: array.offset + len(array)]


def _unscaled(dec) -> np.ndarray:
    """The unscaled integers (öre) of a decimal128 column with scale 2: the low 64 bits
    of each little-endian 128-bit value (every value fits in 64 bits by MAX_DIGITS)."""
    import pyarrow as pa

    if isinstance(dec, pa.ChunkedArray):
        dec = dec.combine_chunks()
    if sys.byteorder != "little":  # pragma: no cover - no such machine in use
        return np.array([int(v.as_py() * 100) for v in dec], dtype=np.int64)
    raw = np.frombuffer(dec.buffers()[1], dtype=np.int64)
    return raw[2 * dec.offset: 2 * (dec.offset + len(dec)): 2].copy()


def ore_columns(column, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ore_column` over the chunks of an Arrow ChunkedArray, in parallel threads
    (Arrow's kernels release the GIL), indices of bad values counted over the whole."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    chunks = getattr(column, "chunks", [column])
    if len(chunks) < 2:
        return ore_column(column, decimal)
    workers = min(len(chunks), os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda ch: ore_column(ch, decimal), chunks))
    offsets = np.cumsum([0] + [len(ch) for ch in chunks[:-1]])
    ore = np.concatenate([p[0] for p in parts])
    bad = np.concatenate([p[1] + off for p, off in zip(parts, offsets)])
    return ore, bad.astype(np.int64)
