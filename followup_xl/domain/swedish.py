"""Swedish numbers, in and out: the one place that parses and formats them.

Parsing accepts what Swedish users type ("1 000", "−3 000" with U+2212 minus and a
no-break space, "1,5 %", "-3,0"). Formatting writes what Swedish reports print
("31 417", "-3,0 mnkr", "1,8 %", "1,8 procent"), rounding half away from zero as the
published reports do.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import (ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero,
                     InvalidOperation, Overflow)

UNIT_FACTORS: dict[str, Decimal] = {"kr": Decimal(1), "tkr": Decimal(1000),
                                    "mnkr": Decimal(1_000_000)}

# Characters that may separate thousands: space, no-break space, narrow no-break space,
# thin space, and the apostrophe some exports use.
GROUP_CHARS = "\u0020\u00a0\u202f\u2009'"  # space, no-break, narrow no-break, thin, apostrophe
MINUS_CHARS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash (pasted from Word)
_NUMBER = re.compile(r"^([+" + re.escape(MINUS_CHARS) + r"]?)"
                     r"(\d+(?:[" + GROUP_CHARS + r"]\d{3})*|\d*)"
                     r"(?:[,.](\d+))?$", re.ASCII)  # digits 0-9 only, not '٣' or '²'


class NotANumber(ValueError):
    """The value is not what a Swedish user would mean by a number (or a date, or one of
    the choices). ``str()`` is a Swedish sentence without the final full stop."""


# The numbers a follow-up can hold. Excel keeps 15 significant digits of a number, so
# nothing typed or stored beyond that carries meaning (0.30000000000000004 is 0.3); twelve
# decimals are far below an öre in mnkr; and no municipal budget holds more than 10^15
# in any unit. Every number entering the domain is brought inside these bounds here, in
# one context that cannot overflow; what lies outside is refused with a message.
SIGNIFICANT_DIGITS = 15
MAX_DECIMALS = 12
MAX_MAGNITUDE = Decimal(10) ** 15
_ENTRY = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN, Emax=10**6,
                 Emin=-10**6, traps=[InvalidOperation, Overflow, DivisionByZero])
_QUANTUM = Decimal(1).scaleb(-MAX_DECIMALS)
_ONE = Decimal(1)
# Whole numbers below these (10^15) fit in 15 digits and are taken as they are.
_MAX_INT = 10 ** 15
_MAX_FLOAT = float(_MAX_INT)
# Rounding for display works on sums of such numbers: wide enough for any of them.
_WIDE = Context(prec=80, Emax=10**6, Emin=-10**6,
                traps=[InvalidOperation, Overflow, DivisionByZero])


def to_decimal(value: object, *, allow_percent: bool = True) -> Decimal:
    """Exact Decimal from a cell value: int, float, Decimal or Swedish text.

    A float is taken at its shortest repr (0.015 -> Decimal("0.015")), so the binary
    noise of a double never enters the arithmetic. Text may use a decimal comma, spaces
    of any kind between thousands, a Unicode minus, and a trailing "%" (divided by 100).
    Every value is rounded to Excel's 15 significant digits and to at most 12 decimals,
    and refused (NotANumber, a Swedish sentence quoting it) when it is not finite or
    larger than 10^15.
    """
    plain = plain_decimal(value)
    return plain if plain is not None else _to_decimal(value, allow_percent)


def plain_decimal(value: object) -> Decimal | None:
    """:func:`to_decimal` of what cells mostly hold, without its general path: a whole
    int or float below 10^15 is its own Decimal, and so is a Decimal with at most 15
    digits, at most 12 decimals and no trailing zero (what the xlsx reader makes of a
    number with decimals). None for any other value (to_decimal's general path decides
    it); the result is the general path's, digit for digit (a property test says so)."""
    kind = type(value)
    if kind is float:
        if -_MAX_FLOAT < value < _MAX_FLOAT and value.is_integer():
            return Decimal(int(value))
    elif kind is int:
        if -_MAX_INT < value < _MAX_INT:
            return Decimal(value)
    elif kind is Decimal:
        _, digits, exponent = value.as_tuple()
        if type(exponent) is int and -MAX_DECIMALS <= exponent < 0 and digits[-1] \
                and len(digits) <= SIGNIFICANT_DIGITS:
            return value
    return None


def _to_decimal(value: object, allow_percent: bool) -> Decimal:
    """to_decimal's general path: every kind of value, bounds and rounding checked."""
    if isinstance(value, bool):
        raise NotANumber(f"'{value}' är inte ett tal")
    if isinstance(value, Decimal):
        return _bounded(value, value)
    if isinstance(value, int):
        return _bounded(Decimal(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NotANumber(f"'{value}' är inte ett tal")
        return _bounded(Decimal(repr(value)), value)
    if isinstance(value, str):
        return _parse_text(value, allow_percent=allow_percent)
    raise NotANumber(f"'{value}' är inte ett tal")


def _bounded(d: Decimal, shown: object) -> Decimal:
    if not d.is_finite():
        raise NotANumber(f"'{shown}' är inte ett tal")
    if abs(d) > MAX_MAGNITUDE:
        raise NotANumber(f"'{_quote(shown)}' är för stort: ett belopp, en andel eller ett "
                         "antal i uppföljningen kan vara högst 10^15 (en miljon miljarder)")
    d = _ENTRY.plus(d)
    # 15 digits from 10^2 down end at 10^-12 at the lowest: only smaller values can have
    # more decimals (as_tuple is slow)
    if d.adjusted() < 2 and d.as_tuple().exponent < -MAX_DECIMALS:
        d = d.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_ENTRY)
    return normalized(d)


def _quote(shown: object) -> str:
    """A value as the message quotes it: short enough to read."""
    text = shown if isinstance(shown, str) else (
        f"{shown:.6g}" if isinstance(shown, float) else str(shown))
    return text if len(text) <= 40 else text[:37] + "…"


def _parse_text(text: str, *, allow_percent: bool) -> Decimal:
    s = text.strip().replace("\u00a0", " ")
    percent = False
    if s.endswith("%"):
        if not allow_percent:
            raise NotANumber(f"'{_quote(text)}' är inte ett belopp (procent är inte tillåtet "
                             "här)")
        percent = True
        s = s[:-1].rstrip()
    m = _NUMBER.match(s) if len(s) <= 200 else None
    if not s or not m or not (m.group(2) or m.group(3)):
        raise NotANumber(f"'{_quote(text)}' är inte ett tal")
    sign, whole, frac = m.groups()
    digits = re.sub("[" + GROUP_CHARS + "]", "", whole) or "0"
    try:
        number = Decimal(digits + ("." + frac if frac else ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise NotANumber(f"'{_quote(text)}' är inte ett tal") from None
    if sign and sign in MINUS_CHARS:
        number = -number
    if percent:
        number = number.scaleb(-2)
    return _bounded(number, text)


def normalized(d: Decimal) -> Decimal:
    """The same value without trailing zeros and without exponent notation
    (31417.0 -> 31417, 3676.230 -> 3676.23)."""
    if d == d.to_integral_value():
        return d.quantize(_ONE, None, _WIDE)
    return d.normalize(_WIDE)


def decimals_of(d: Decimal) -> int:
    """Number of decimals the value was given with (31417 -> 0, -7.8 -> 1)."""
    exponent = normalized(d).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def convert(amount: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Exact unit conversion between kr, tkr and mnkr."""
    return normalized(amount * UNIT_FACTORS[from_unit] / UNIT_FACTORS[to_unit])


def format_ore(ore: int) -> str:
    """An amount in öre as messages show it: '1 234,56 kr'."""
    return format_number(Decimal(ore).scaleb(-2), 2) + " kr"


def round_half_away(d: Decimal, decimals: int = 0) -> Decimal:
    """Round as the published reports do: half away from zero (2,5 -> 3; -2,5 -> -3)."""
    return d.quantize(_quantum(decimals), ROUND_HALF_UP, _WIDE)


def rounded_all(values: list[Decimal], decimals: int = 0) -> list[Decimal]:
    """:func:`round_half_away` of each value (a whole column at once)."""
    quantum = _quantum(decimals)
    return [d.quantize(quantum, ROUND_HALF_UP, _WIDE) for d in values]


_QUANTA = tuple(Decimal(1).scaleb(-decimals) for decimals in range(MAX_DECIMALS + 1))


def _quantum(decimals: int) -> Decimal:
    """1 scaled to ``decimals`` decimals (0.01 for 2), the quantum of a rounding."""
    return _QUANTA[decimals] if 0 <= decimals <= MAX_DECIMALS else Decimal(1).scaleb(-decimals)


def format_number(d: Decimal | int, decimals: int = 0, group: bool = True) -> str:
    """'31 417', '-3 000', '-3,0': space between thousands (unless ``group`` is False,
    as for a year: '2024,5'), decimal comma."""
    q = round_half_away(Decimal(d), decimals)
    if q == 0:
        q = abs(q)  # never print "-0"
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while group and len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + " ".join(groups) + ("," + frac if frac else "")


def shown_amount(amount: Decimal, unit: str, to_unit: str | None = None) -> Decimal:
    """The value as a report prints it in ``to_unit``: converted, and rounded half away
    from zero to that unit's decimals (-3001 tkr in mnkr -> -3.0)."""
    to_unit = to_unit or unit
    return round_half_away(convert(amount, unit, to_unit), unit_decimals(to_unit))


def auto_unit(amount: Decimal, unit: str) -> str:
    """The unit a report uses for an amount of this size: mnkr from one million kronor,
    tkr from one thousand (or whenever the workbook is in tkr or mnkr), kr below."""
    kr = abs(amount) * UNIT_FACTORS[unit]
    if kr >= UNIT_FACTORS["mnkr"]:
        return "mnkr"
    return "tkr" if kr >= UNIT_FACTORS["tkr"] or unit != "kr" else "kr"


def format_amount(amount: Decimal, unit: str, to_unit: str | None = None,
                  decimals: int | None = None) -> str:
    """An amount with its unit: format_amount(-3000, 'tkr', 'mnkr') -> '-3,0 mnkr'.

    By default mnkr are shown with one decimal, kr and tkr as whole numbers.
    """
    to_unit = to_unit or unit
    if decimals is None:
        decimals = unit_decimals(to_unit)
    return f"{format_number(convert(amount, unit, to_unit), decimals)} {to_unit}"


def format_percent(fraction: Decimal, decimals: int = 1, word: bool = False) -> str:
    """'1,8 %' (or '1,8 procent' with word=True) from the fraction 0.0183…"""
    return f"{format_number(fraction * 100, decimals)} {'procent' if word else '%'}"


MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")


def month_name(period: int) -> str:
    """'maj' for 5."""
    return MONTHS[period - 1]


def format_date(d: dt.date) -> str:
    """'1 september 2024'."""
    return f"{d.day} {month_name(d.month)} {d.year}"


def unit_decimals(unit: str) -> int:
    """How many decimals amounts in this unit are shown with: mnkr 1, kr and tkr 0."""
    return 1 if unit == "mnkr" else 0


DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y")
_EXCEL_SERIALS = (1, 2958466)  # Excel's valid date serial numbers


def to_date(value: object, *, date1904: bool = False) -> dt.date:
    """A date from a date cell, an Excel serial number, or text such as 2024-09-01.
    Raises NotANumber (a ValueError) with a Swedish message otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _EXCEL_SERIALS[0] <= value < _EXCEL_SERIALS[1]:
            epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
            return (epoch + dt.timedelta(days=int(value))).date()
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                pass
    raise NotANumber(f"'{value}' är inget datum. Skriv datumet som ÅÅÅÅ-MM-DD")


def match_choice(text: str, choices: tuple[str, ...], what: str) -> str:
    """The choice the user meant (case-insensitive); NotANumber with a Swedish message
    naming the choices otherwise."""
    for option in choices:
        if option.casefold() == text.strip().casefold():
            return option
    raise NotANumber(f"{what} '{text.strip()}' finns inte. Välj " +
                     " eller ".join(f"'{o}'" for o in choices))
