"""Code lists as the economist writes them: "50-59", "4610", "74, 75"; empty = any code.

Codes compare as digit strings by prefix: "5" matches 5, 50 and 50110; a range "30-39"
matches every code whose leading digits lie in 30…39 ("3-39999" every code from 3 up to
39999, so all of class 3). How well an item matches is the length of its prefix (for a
range, its shorter end), which decides between mapping rows: the longest match wins.
Codes that are not digits (SIE objects such as "Nord", pseudo-accounts such as "FEL")
match an item by plain prefix, case-insensitively; a range never matches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^(\d+)\s*[-\u2013\u2212]\s*(\d+)$")
_SEPARATORS = re.compile(r"[,;]")


class BadCodeList(ValueError):
    """A code list that cannot be understood; ``str()`` is a Swedish sentence."""


@dataclass(frozen=True)
class CodeItem:
    low: str
    high: str | None = None  # None: a single code, matched as a prefix

    def match_length(self, code: str) -> int:
        """How many leading characters of ``code`` this item fixes, or -1."""
        if self.high is None:
            return len(self.low) if code.startswith(self.low) else -1
        lo, hi = code[:len(self.low)], code[:len(self.high)]
        if len(code) >= len(self.low) and lo.isdigit() and hi.isdigit() and lo >= self.low and hi <= self.high:
            return min(len(self.low), len(self.high))
        return -1

    def __str__(self) -> str:
        return self.low if self.high is None else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class CodeList:
    items: tuple[CodeItem, ...] = ()

    @property
    def any(self) -> bool:
        return not self.items

    def match_length(self, code: str) -> int:
        """0 for an empty list (any code), the longest item match, or -1 (no match)."""
        if not self.items:
            return 0
        code = code.strip().casefold()
        return max(item.match_length(code) for item in self.items)

    def matches(self, code: str) -> bool:
        return self.match_length(code) >= 0

    def __str__(self) -> str:
        return ", ".join(str(i) for i in self.items)


def parse_codes(text: object) -> CodeList:
    """A CodeList from a cell's text (or number: 4610 → "4610"); BadCodeList otherwise."""
    if text is None:
        return CodeList()
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    items = []
    for part in _SEPARATORS.split(str(text)):
        part = part.strip()
        if not part:
            continue
        m = _RANGE.match(part)
        if m:
            low, high = m.groups()
            n = min(len(low), len(high))
            if low[:n] > high[:n]:
                raise BadCodeList(f"Intervallet '{part}' är baklänges: skriv det lägsta "
                                  "först")
            items.append(CodeItem(low, high))
        elif any(ch.isspace() for ch in part) or "-" in part.strip("-"):
            raise BadCodeList(f"'{part}' är ingen kod eller kodserie. Skriv koder och "
                              "serier åtskilda med kommatecken, t.ex. 50-59, 4610")
        else:
            items.append(CodeItem(part.casefold()))
    return CodeList(tuple(items))
