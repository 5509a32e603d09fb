"""Small pieces of Swedish wording shared by the report's sections: amounts as the
reader sees them, lists, sentences, and the economist's own text made safe to print.

Every wording choice is made on a figure *as it is shown* (rounded as printed), so the
text never contradicts its own numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal

from followup_xl.domain.swedish import (auto_unit, format_amount, format_percent,
                                        shown_amount)


def is_zero_shown(amount: Decimal, unit: str, to_unit: str) -> bool:
    """True when the amount prints as zero: less than half a unit of the shown precision."""
    return shown_amount(amount, unit, to_unit) == 0


def mnkr(amount: Decimal, unit: str) -> str:
    return format_amount(amount, unit, "mnkr")


def amount(value: Decimal, unit: str, like: Decimal | None = None) -> str:
    """An amount in mnkr or tkr by its size (or by the size of ``like``)."""
    return format_amount(value, unit, auto_unit(like if like is not None else value, unit))


def pct(fraction: Decimal) -> str:
    return format_percent(fraction, word=True)


def join(items: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def lower_first(name: str) -> str:
    """'Köp av tjänster' -> 'köp av tjänster' in running text; 'IFO' stays 'IFO'."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_MINUS_BEFORE_DIGIT = re.compile("\u2212(?=\\d)|(?<![\\w\\d])\u2013(?=\\d)")


def own_text(text: str | None) -> str | None:
    """The economist's text (a row name, a Kommentar) as the report prints it: literally,
    without control characters, with line breaks as spaces, and with the report's one
    minus sign (hyphen-minus) before a figure ('−3,0 mnkr' -> '-3,0 mnkr')."""
    if text is None:
        return None
    text = _CONTROL.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))
    return _MINUS_BEFORE_DIGIT.sub("-", " ".join(text.split())) or None
