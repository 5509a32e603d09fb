"""Cell values as SpreadsheetML stores them: number text and date serial numbers.

A number is stored as plain decimal text in ``<v>``; a date is a serial number of days in
the workbook's date system (1900, with Excel's phantom 29 February 1900, or 1904), shown
as a date only by its cell's number format.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

_CTX17 = Context(prec=17, rounding=ROUND_HALF_EVEN)
_MAX_DOUBLE = Decimal("1.7976931348623157E+308")
# What a <v> of a number cell may hold (xsd:double without INF/NaN).
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")


class BadValue(ValueError):
    """A value that cannot be stored in a cell; ``str()`` is a Swedish phrase."""


def xml_number(value: int | float | Decimal) -> str:
    """Plain decimal text for a cell ``<v>``: no exponent, no float noise.

    Decimal("-7.8") -> "-7.8"; float 0.1 -> "0.1"; anything longer than 17 significant
    digits (what a double can hold) is rounded half-even to 17 digits.
    Raises ValueError for NaN/infinity and magnitudes beyond a double.
    """
    if type(value) is int and -10**17 < value < 10**17:
        return str(value)  # at most 17 digits: exactly as it is
    if type(value) is Decimal and value.is_finite():
        text = str(value)  # the common case: plain notation, at most 17 digits
        if "E" not in text and len(text) - text.startswith("-") - ("." in text) <= 17:
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return "0" if text in ("-0", "", "-") else text
    if isinstance(value, bool):
        raise ValueError("bool är inget tal")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("inte ett ändligt tal")
        d = Decimal(repr(value))
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("inte ett ändligt tal")
        d = value
    else:  # pragma: no cover - guarded by callers
        raise ValueError("inte ett tal")
    if len(d.as_tuple().digits) > 17:
        d = _CTX17.plus(d)
    if abs(d) > _MAX_DOUBLE:
        raise ValueError("talet är för stort för Excel")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "", "-"):
        text = "0"
    return text


def number_of(text: str) -> Decimal | None:
    """The exact Decimal of a number cell's ``<v>`` text; None when it is not a finite
    number a double can hold (``NaN``, ``INF``, ``1e``, ``0x10``, ``1e999``)."""
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    return d if abs(d) <= _MAX_DOUBLE else None


def date_serial(v: _dt.date, date1904: bool) -> str:
    """A date or naive datetime as the serial number text of the workbook's date system."""
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None and v.utcoffset() is not None:
            raise BadValue("har en tidszon; Excel saknar tidszoner. Ange lokal tid utan tidszon")
        day = v.date()
        secs = v.hour * 3600 + v.minute * 60 + v.second
        micro = v.microsecond
    else:
        day, secs, micro = v, 0, 0
    if date1904:
        days = (day - _dt.date(1904, 1, 1)).days
        first = "1904-01-01"
    else:
        days = (day - _dt.date(1899, 12, 31)).days
        if day >= _dt.date(1900, 3, 1):
            days += 1  # Excel's phantom 29 February 1900
        first = "1900-01-01"
    if days < (0 if date1904 else 1):
        raise BadValue(f"ligger före {first}, det tidigaste datum arbetsboken kan visa")
    frac = (Decimal(secs) * 1000000 + Decimal(micro)) / Decimal(86400000000)
    return xml_number(Context(prec=40).add(Decimal(days), frac))


def serial_date(serial: Decimal, date1904: bool) -> _dt.datetime | None:
    """The datetime a serial number shows in a date-formatted cell (to the second, as
    Excel rounds), or None when it lies outside what Excel shows (before the epoch, after
    9999-12-31)."""
    if date1904:
        base, days = _dt.datetime(1904, 1, 1), serial
    else:
        if serial < 0:
            return None
        # 60 is the phantom 29 February 1900; earlier serials count from 31 Dec 1899
        base, days = (_dt.datetime(1899, 12, 31), serial) if serial < 60 else \
            (_dt.datetime(1899, 12, 30), serial)
    if days < 0 or days >= 2958466:
        return None
    whole = int(days)
    seconds = int(((days - whole) * 86400).to_integral_value(rounding="ROUND_HALF_EVEN"))
    return base + _dt.timedelta(days=whole, seconds=seconds)


def iso_date(text: str) -> _dt.datetime | None:
    """A ``t="d"`` cell's ISO 8601 text as a naive datetime; None when it is not one."""
    text = text.strip()
    try:
        value = _dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return None
    return value.replace(tzinfo=None)
