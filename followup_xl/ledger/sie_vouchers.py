"""SIE vouchers: #VER with its #TRANS rows (an #RTRANS counted once, the #TRANS copy
after it skipped, #BTRANS ignored), summed by account, objects and month as they are read.

A type 4 file is mostly #TRANS lines, so their common shape is read by one regular
expression and summed at once (:meth:`Vouchers.trans_line`); anything else takes the
standard's tokenizer. Each voucher's rows must sum to zero; those that do not are kept for
a warning with the line of their #VER.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from followup_xl.domain.swedish import format_ore
from followup_xl.ledger.numbers import BadAmount, ore_of
from followup_xl.ledger.records import ReadOptions
from followup_xl.ledger.sie_text import Objects, fields

SHOWN = 5  # unbalanced vouchers named before the rest are counted

# The common shapes of #TRANS and #VER, read without the general tokenizer (a file of
# 100 000 vouchers must read in well under two seconds); anything else takes fields().
_FAST_TRANS = re.compile(r'#(R?)TRANS[ \t]+(?:"([^"\\ ]+)"|([^\s"{}]+))[ \t]*'
                         r'\{([^}\\]*)\}[ \t]*(-?\d*\.?\d*)(?:[ \t]+"?(\d{8})?"?)?(?:[ \t]|$)')
_FAST_VER = re.compile(r'#VER[ \t]+"?([^"\s]*)"?[ \t]+"?([^"\s]*)"?[ \t]+"?(\d{8})"?(?:[ \t]|$)')


def sie_ore(text: str) -> int:
    """Öre from a SIE amount ("-1234.50"); lenient about a decimal comma. BadAmount."""
    neg = text[:1] == "-"
    whole, _, frac = (text[1:] if neg else text).partition(".")
    if (whole.isascii() and whole.isdigit() or (not whole and frac)) and len(frac) <= 2 \
            and (not frac or frac.isascii() and frac.isdigit()):
        ore = int(whole or "0") * 100 + int(frac.ljust(2, "0"))
        return -ore if neg else ore
    if not text:
        raise BadAmount("beloppet saknas")
    return ore_of(text)


@dataclass
class Voucher:
    line: int
    name: str  # "A 12"
    date: tuple[int, int] | None
    date_problem: str | None
    total: int = 0
    reported: bool = False


class Vouchers:
    """The vouchers of one file, summed: ``trans`` maps (konto, ansvar, verksamhet, year,
    month) to [öre, rows]."""

    def __init__(self, options: ReadOptions, error: Callable[[int, str], None],
                 warn: Callable[[int | None, str], None],
                 check_account: Callable[[str, int], None]):
        self.options, self.error, self.warn, self.check_account = (options, error, warn,
                                                                   check_account)
        self.trans: dict[tuple[str, str, str, int, int], list[int]] = {}
        self.voucher: Voucher | None = None
        self.copy_of: tuple | None = None  # the #RTRANS whose #TRANS copy is skipped
        self.unbalanced: list[Voucher] = []
        self.dates: dict[str, tuple[int, int] | None] = {}
        self.object_codes: dict[str, tuple] = {}

    def _add(self, key: tuple[str, str, str, int, int], ore: int, v) -> None:
        """Sum one #TRANS into its (konto, ansvar, verksamhet, year, month) and voucher."""
        entry = self.trans.get(key)
        if entry is None:
            self.trans[key] = [ore, 1]
        else:
            entry[0] += ore
            entry[1] += 1
        if v is not None:
            v.total += ore

    def trans_line(self, line: str, number: int) -> None:
        """A #TRANS line: the usual shape (a plain account, a known object list,
        "-1234.50", a known date) summed at once, anything else through on_trans."""
        m = _FAST_TRANS.match(line)
        if m is not None and self.copy_of is None:
            _, quoted, konto, inner, amount, date = m.groups()
            v = self.voucher
            ym = self.dates.get(date) if date else (v.date if v is not None else None)
            codes = self.object_codes.get(inner)
            dot = len(amount) - 3
            if (ym is not None and codes is not None and konto and dot > 0
                    and amount[dot] == "." and konto.isdigit()):
                self._add((konto, codes[0], codes[1], ym[0], ym[1]),
                          int(amount[:dot] + amount[dot + 1:]), v)
                return
        self.on_trans(line, number)

    def on_ver(self, line: str, number: int) -> None:
        if self.voucher is not None:
            self.close_voucher()
        m = _FAST_VER.match(line)
        if m is not None:
            series, no, date = m.groups()
            ym = self.dates.get(date) or self.date_of(date)
            if ym is not None:
                self.voucher = Voucher(number, f"{series} {no}".strip() or "utan nummer", ym,
                                       None)
                self.copy_of = None
                return
        f = fields(line)
        name = " ".join(x for x in f[1:3] if isinstance(x, str) and x)
        text = f[3] if len(f) > 3 and isinstance(f[3], str) else ""
        date, problem = self.voucher_date(text, number)
        self.voucher = Voucher(number, name or "utan nummer", date, problem)
        self.copy_of = None

    def voucher_date(self, text: str, number: int) -> tuple[tuple[int, int] | None, str | None]:
        if not text:
            return None, "verifikationen saknar datum"
        ym = self.date_of(text)
        if ym is not None:
            return ym, None
        digits = text.replace("-", "")
        if len(digits) == 6 and digits.isdigit():
            ym = self.date_of("20" + digits)
        elif len(digits) == 8 and text.count("-") == 2:
            ym = self.date_of(digits)
        if ym is not None:
            self.warn(number, f"verifikationsdatumet '{text}' är inte skrivet ÅÅÅÅMMDD som "
                      f"SIE föreskriver; det har lästs som {ym[0]}-{ym[1]:02d}.")
            return ym, None
        return None, f"verifikationsdatumet '{text}' är inget datum"

    def date_of(self, text: str) -> tuple[int, int] | None:
        try:
            return self.dates[text]
        except KeyError:
            ym = None
            if len(text) == 8 and text.isascii() and text.isdigit():
                try:
                    d = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
                    ym = (d.year, d.month)
                except ValueError:
                    pass
            self.dates[text] = ym
            return ym

    def on_trans(self, line: str, number: int) -> None:
        m = _FAST_TRANS.match(line)
        if m and m.group(5):
            rtrans, quoted, plain, inner, amount, date = m.groups()
            codes = self.object_codes.get(inner)
            if codes is None:
                objects = fields("{" + inner + "}")[0]
                codes = (objects.get(self.options.ansvar_dim),
                         objects.get(self.options.verksamhet_dim), objects)
                self.object_codes[inner] = codes
            self.add_trans("#RTRANS" if rtrans else "#TRANS", quoted or plain, codes, amount,
                           date, number)
            return
        quote, brace = line.find('"'), line.find("}")
        f = fields(line[:quote] if quote > brace >= 0 else line)
        if len(f) < 4 or not isinstance(f[2], Objects):
            if len(f) < 4 and quote > brace >= 0:
                f = fields(line)
            if len(f) < 4 or not isinstance(f[2], Objects):
                self.error(number, "transaktionsraden ska ha konto, objektlista och belopp.")
                return
        objects = f[2]
        codes = (objects.get(self.options.ansvar_dim),
                 objects.get(self.options.verksamhet_dim), objects)
        date = f[4] if len(f) > 4 and isinstance(f[4], str) else None
        self.add_trans(f[0], f[1], codes, f[3], date, number)

    def add_trans(self, label: str, konto: str, codes: tuple, amount: str, date: str | None,
                  number: int) -> None:
        if not konto or not isinstance(konto, str):
            self.error(number, "kontonummer saknas på transaktionsraden.")
            return
        try:
            ore = sie_ore(amount)
        except BadAmount as e:
            self.error(number, f"{e}.")
            return
        copy = (konto, codes[2], ore)
        if label == "#TRANS" and self.copy_of == copy:
            self.copy_of = None  # the #TRANS that repeats an #RTRANS
            return
        self.copy_of = copy if label == "#RTRANS" else None
        v = self.voucher
        ym = self.date_of(date) if date else None
        if ym is None:
            if v is None or v.date is None:
                if v is not None and not v.reported:
                    v.reported = True
                    self.error(v.line, f"{v.date_problem or 'datum saknas'}.")
                elif v is None:
                    self.error(number, "transaktionsraden står utanför en verifikation och "
                               "har inget datum.")
                return
            ym = v.date
        if not konto.isdigit():
            self.check_account(konto, number)
        self._add((konto, codes[0], codes[1], ym[0], ym[1]), ore, v)

    def on_close(self, line: str, number: int) -> None:
        if self.voucher is not None:
            self.close_voucher()

    def close_voucher(self) -> None:
        v, self.voucher = self.voucher, None
        if v.total:
            self.unbalanced.append(v)


    def report(self) -> None:
        for v in self.unbalanced[:SHOWN]:
            self.warn(v.line, f"verifikation {v.name} balanserar inte: raderna summerar till "
                      f"{format_ore(v.total)} i stället för 0.")
        if len(self.unbalanced) > SHOWN:
            rest = self.unbalanced[SHOWN:]
            self.warn(rest[0].line, f"ytterligare {len(rest)} verifikationer balanserar inte.")
