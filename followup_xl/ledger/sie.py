"""SIE files (types 1, 2, 3, 4E and 4I) to an Extract.

Which amounts are the actuals: the vouchers (#TRANS, an #RTRANS counted once, #BTRANS
ignored) when the file has any; else the period balances #PSALDO (see
:mod:`followup_xl.ledger.sie_balances` for object rows); else the year's result balances
#RES (type 1), placed in the month the file's balances run to. #PBUDGET is the budget.
Each amount's calendar month comes from its date or its period (YYYYMM), never from the
year number alone. The file's own cross-checks (vouchers that do not balance, Σ#PSALDO ≠
#RES, #KSUMMA) become warnings with the file name and line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from followup_xl.domain.model import FileLoc, Level, Message
from followup_xl.domain.swedish import format_number
from followup_xl.ledger import sie_balances
from followup_xl.ledger.numbers import BadAmount, ore_of
from followup_xl.ledger.records import (Amounts, Extract, ReadOptions, file_info, refused)
from followup_xl.ledger.sie_text import EMPTY, ENCODING_NAMES, Checksum, Objects, decode, fields

_ALLOWED_AFTER_MISMATCH = 5  # messages of one kind per file before they are summed up

# The common shapes of #TRANS and #VER, read without the general tokenizer (a file of
# 100 000 vouchers must read in well under two seconds); anything else takes fields().
_FAST_TRANS = re.compile(r'#(R?)TRANS[ \t]+(?:"([^"\\ ]+)"|([^\s"{}]+))[ \t]*'
                         r'\{([^}\\]*)\}[ \t]*(-?\d*\.?\d*)(?:[ \t]+"?(\d{8})?"?)?(?:[ \t]|$)')
_FAST_VER = re.compile(r'#VER[ \t]+"?([^"\s]*)"?[ \t]+"?([^"\s]*)"?[ \t]+"?(\d{8})"?(?:[ \t]|$)')


def kr(ore: int) -> str:
    """'1 234,56 kr' for messages."""
    return format_number(Decimal(ore).scaleb(-2), 2) + " kr"


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


class SieReader:
    kind = "SIE"

    def identify(self, name: str, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return start.startswith(b"#") or name.lower().endswith((".se", ".si", ".sie"))

    def extract(self, name: str, data: bytes, options: ReadOptions) -> Extract:
        text, encoding = decode(data)
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        info = file_info(name, data, "SIE")
        if not first.startswith("#"):
            looks = " (den ser ut som en webbsida)" if first.startswith("<") else ""
            return refused(info, f"Filen '{info.name}' är ingen SIE-fil{looks}: en SIE-fil "
                           "börjar med rader som #FLAGGA och #SIETYP.", 1)
        parse = _Parse(info.name, options)
        parse.run(text.splitlines())
        return parse.finish(info, encoding)


class _Parse:
    def __init__(self, file: str, options: ReadOptions):
        self.file, self.options = file, options
        self.messages: list[Message] = []
        self.sietyp: str | None = None
        self.format: str | None = None
        self.rar: dict[int, tuple[dt.date, dt.date, int]] = {}
        self.omfattn: dt.date | None = None
        self.res: dict[tuple[int, str], tuple[int, int]] = {}  # (year no, konto) -> öre, line
        self.psaldo: list[sie_balances.Row] = []
        self.pbudget: list[sie_balances.Row] = []
        self.trans: dict[tuple[str, str, str, int, int], list[int]] = {}
        self.voucher: Voucher | None = None
        self.copy_of: tuple | None = None  # the #RTRANS whose #TRANS copy is skipped
        self.unbalanced: list[Voucher] = []
        self.checksum: Checksum | None = None
        self.checksum_line = 0
        self.checksum_closed = False
        self.checksum_value: int | None = None
        self.dates: dict[str, tuple[int, int] | None] = {}
        self.swapped = 0
        self.odd_accounts: dict[str, int] = {}
        self.object_codes: dict[str, tuple] = {}
        self.handlers = {
            "#TRANS": self.on_trans, "#RTRANS": self.on_trans, "#VER": self.on_ver,
            "}": self.on_close, "#PSALDO": self.on_psaldo, "#PBUDGET": self.on_psaldo,
            "#RES": self.on_res, "#RAR": self.on_rar, "#SIETYP": self.on_sietyp,
            "#FORMAT": self.on_format, "#OMFATTN": self.on_omfattn, "#KSUMMA": self.on_ksumma,
            "#KONTO": self.on_konto, "#IB": self.on_balance, "#UB": self.on_balance,
            "#OIB": self.on_balance, "#OUB": self.on_balance,
        }

    # -- messages ---------------------------------------------------------------------
    def say(self, level: Level, text: str, line: int | None) -> None:
        self.messages.append(Message(level, text, FileLoc(self.file, line)))

    def error(self, line: int, text: str) -> None:
        self.say(Level.FEL, f"Rad {line} i '{self.file}': {text}", line)

    def warn(self, line: int | None, text: str) -> None:
        where = f"Rad {line} i '{self.file}'" if line else f"'{self.file}'"
        self.say(Level.VARNING, f"{where}: {text}", line)

    # -- the loop -----------------------------------------------------------------------
    def run(self, lines: list[str]) -> None:
        handlers, trans, dates = self.handlers, self.trans, self.dates
        object_codes, match = self.object_codes, _FAST_TRANS.match
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                head = line[:7]
                if (head == "#TRANS " or head == "#TRANS\t") and self.checksum is None:
                    # The bulk of a type 4 file, summed here without a detour: a plain
                    # account, a known object list, "-1234.50", a known date.
                    m = match(line)
                    if m is not None and self.copy_of is None:
                        _, quoted, konto, inner, amount, date = m.groups()
                        v = self.voucher
                        ym = dates.get(date) if date else (v.date if v is not None else None)
                        codes = object_codes.get(inner)
                        dot = len(amount) - 3
                        if (ym is not None and codes is not None and konto and dot > 0
                                and amount[dot] == "." and konto.isdigit()):
                            ore = int(amount[:dot] + amount[dot + 1:])
                            key = (konto, codes[0], codes[1], ym[0], ym[1])
                            entry = trans.get(key)
                            if entry is None:
                                trans[key] = [ore, 1]
                            else:
                                entry[0] += ore
                                entry[1] += 1
                            if v is not None:
                                v.total += ore
                            continue
                    self.on_trans(line, number)
                    continue
                if self.checksum is None and (line == "{" or line == "}"):
                    if line == "}" and self.voucher is not None:
                        self.close_voucher()
                    continue
                if "\t" in line:
                    line = line.replace("\t", " ")
                cut = line.find(" ")
                label = line if cut < 0 else line[:cut]
                if self.checksum is not None and not (label == "#KSUMMA" and cut > 0):
                    self.checksum.add(line)
                handler = handlers.get(label.upper() if label[:1] == "#" else label)
                if handler is not None:
                    handler(line, number)
            except (ValueError, IndexError, TypeError, AttributeError) as e:
                self.error(number, f"raden kan inte läsas ({e}).")
        if self.voucher is not None:
            self.close_voucher()

    # -- vouchers -----------------------------------------------------------------------
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
        key = (konto, codes[0], codes[1], ym[0], ym[1])
        entry = self.trans.get(key)
        if entry is None:
            self.trans[key] = [ore, 1]
        else:
            entry[0] += ore
            entry[1] += 1
        if v is not None:
            v.total += ore

    def on_close(self, line: str, number: int) -> None:
        if self.voucher is not None:
            self.close_voucher()

    def close_voucher(self) -> None:
        v, self.voucher = self.voucher, None
        if v.total:
            self.unbalanced.append(v)

    # -- balances -----------------------------------------------------------------------
    def on_psaldo(self, line: str, number: int) -> None:
        f = fields(line)
        if len(f) < 5:
            raise ValueError("för få fält")
        year_no, period, konto = f[1], f[2], f[3]
        objects, rest = (f[4], f[5:]) if isinstance(f[4], Objects) else (EMPTY, f[4:])
        if not rest:
            raise ValueError("saldo saknas")
        if not _period(period) and _period(konto):
            period, konto = konto, period
            self.swapped += 1
        ym = _period(period)
        if ym is None:
            self.error(number, f"perioden '{period}' är ingen period (ÅÅÅÅMM).")
            return
        try:
            ore = sie_ore(rest[0])
        except BadAmount as e:
            self.error(number, f"{e}.")
            return
        self.check_account(konto, number)
        row = sie_balances.Row(number, _year_no(year_no), ym, konto, objects, ore)
        (self.psaldo if f[0] == "#PSALDO" else self.pbudget).append(row)

    def on_res(self, line: str, number: int) -> None:
        f = fields(line)
        if len(f) < 4:
            raise ValueError("för få fält")
        try:
            ore = sie_ore(f[3])
        except BadAmount as e:
            self.error(number, f"{e}.")
            return
        self.check_account(f[2], number)
        key = (_year_no(f[1]), f[2])
        prev = self.res.get(key, (0, number))
        self.res[key] = (prev[0] + ore, prev[1])

    def on_balance(self, line: str, number: int) -> None:
        f = fields(line)
        at = 4 if f[0] in ("#OIB", "#OUB") else 3
        if len(f) <= at or not f[at] or isinstance(f[at], Objects):
            self.warn(number, f"{f[0]}-raden saknar belopp.")
            return
        try:
            sie_ore(f[at])
        except BadAmount as e:
            self.warn(number, f"{f[0]}-raden: {e}.")

    # -- header records -----------------------------------------------------------------
    def on_rar(self, line: str, number: int) -> None:
        f = fields(line)
        if len(f) < 3:
            return  # an empty #RAR (import files): the vouchers' dates are what counts
        try:
            start = dt.datetime.strptime(f[2], "%Y%m%d").date()
            end = dt.datetime.strptime(f[3], "%Y%m%d").date()
        except (ValueError, IndexError):
            self.error(number, "räkenskapsåret (#RAR) ska ha start- och slutdatum ÅÅÅÅMMDD.")
            return
        if end < start:
            self.error(number, f"räkenskapsår {f[1]} slutar ({f[3]}) innan det börjar "
                       f"({f[2]}).")
            return
        self.rar[_year_no(f[1])] = (start, end, number)

    def on_sietyp(self, line: str, number: int) -> None:
        f = fields(line)
        self.sietyp = f[1] if len(f) > 1 else None

    def on_format(self, line: str, number: int) -> None:
        f = fields(line)
        self.format = f[1].upper() if len(f) > 1 else None

    def on_omfattn(self, line: str, number: int) -> None:
        f = fields(line)
        try:
            self.omfattn = dt.datetime.strptime(f[1], "%Y%m%d").date()
        except (ValueError, IndexError):
            self.warn(number, "#OMFATTN är inget datum ÅÅÅÅMMDD.")

    def on_ksumma(self, line: str, number: int) -> None:
        f = fields(line)
        if self.checksum is None and not self.checksum_closed and len(f) == 1:
            self.checksum, self.checksum_line = Checksum(), number
        elif self.checksum is not None:
            self.checksum_closed = True
            try:
                self.checksum_value = int(f[1])
            except (ValueError, IndexError):
                self.checksum_value = -1
            if self.checksum_value != self.checksum.crc:
                self.warn(number, f"kontrollsumman (#KSUMMA {f[1] if len(f) > 1 else ''}) "
                          f"stämmer inte med innehållet (CRC-32 {self.checksum.crc}); filen "
                          "kan ha ändrats efter att den skapades.")
            self.checksum = None

    def on_konto(self, line: str, number: int) -> None:
        f = fields(line)
        konto = f[1] if len(f) > 1 else ""
        if not konto:
            self.warn(number, "#KONTO-raden saknar kontonummer.")
        elif konto.isdigit() and len(konto) > 6:
            self.warn(number, f"kontot {konto} har fler än sex siffror.")
        else:
            self.check_account(konto, number)

    def check_account(self, konto: str, number: int) -> None:
        if not konto.isdigit() and konto not in self.odd_accounts:
            self.odd_accounts[konto] = number

    # -- the result ---------------------------------------------------------------------
    def finish(self, info, encoding: str) -> Extract:
        kind = f"SIE {self.sietyp}" if self.sietyp else "SIE"
        info = type(info)(info.name, info.sha256, kind)
        if self.checksum is not None:
            return refused(info, f"Filen '{self.file}' är avbruten: kontrollsumman #KSUMMA "
                           f"öppnas på rad {self.checksum_line} men avslutas aldrig. Hämta "
                           "en ny export.", self.checksum_line)
        self.report_file_facts(encoding)
        if self.trans:
            actuals = Amounts.from_sums(self.trans)
            totals: dict[tuple[int | None, str], int] = {}
            fiscal: dict[tuple[int, int], int | None] = {}
            for (konto, _, _, y, m), (ore, _) in self.trans.items():
                fy = fiscal.get((y, m), -999)
                if fy == -999:
                    fy = fiscal[(y, m)] = self.fiscal_year_of((y, m))
                key = (fy, konto)
                totals[key] = totals.get(key, 0) + ore
            for text, line in sie_balances.check_against_res(totals, self.res,
                                                             "verifikationerna"):
                self.warn(line, text)
            ignored = len(self.psaldo)
            if ignored:
                self.say(Level.INFO, f"'{self.file}' har både verifikationer och periodsaldon; "
                         "verifikationerna har använts.", None)
        elif self.psaldo:
            actuals = self.balances(self.psaldo, "#PSALDO")
        else:
            actuals = self.year_balances()
        budget = self.balances(self.pbudget, "#PBUDGET") if self.pbudget else None
        years = sorted({y for s, e, _ in self.rar.values() for y in range(s.year, e.year + 1)})
        return Extract(info, actuals, budget, tuple(self.messages), tuple(years))

    def report_file_facts(self, encoding: str) -> None:
        declared = "cp437" if self.format in (None, "PC8") else None
        if encoding in ("utf-8", "latin-1") and declared == "cp437":
            said = "anger #FORMAT PC8" if self.format else "anger ingen teckentabell"
            self.say(Level.INFO, f"'{self.file}' {said} (teckentabell 437) men är skriven i "
                     f"{ENCODING_NAMES[encoding]}; den har lästs som {ENCODING_NAMES[encoding]}.",
                     None)
        for v in self.unbalanced[:_ALLOWED_AFTER_MISMATCH]:
            self.warn(v.line, f"verifikation {v.name} balanserar inte: raderna summerar till "
                      f"{kr(v.total)} i stället för 0.")
        if len(self.unbalanced) > _ALLOWED_AFTER_MISMATCH:
            rest = self.unbalanced[_ALLOWED_AFTER_MISMATCH:]
            self.warn(rest[0].line, f"ytterligare {len(rest)} verifikationer balanserar inte.")
        if self.swapped:
            self.warn(None, f"{self.swapped} rader har konto och period i omvänd ordning; de "
                      "har lästs med perioden (ÅÅÅÅMM) som period.")
        for konto, line in list(self.odd_accounts.items())[:_ALLOWED_AFTER_MISMATCH]:
            self.warn(line, f"kontot '{konto}' är inte ett kontonummer; dess belopp förs "
                      "till Omappat om ingen mappningsrad tar det.")

    def balances(self, rows: list[sie_balances.Row], label: str) -> Amounts:
        opt = self.options
        dims = tuple(d for d, need in ((opt.ansvar_dim, opt.needs_ansvar),
                                       (opt.verksamhet_dim, opt.needs_verksamhet)) if d and need)
        res = {(self.fiscal_year(y_no), k): v for (y_no, k), v in self.res.items()}
        result = sie_balances.combine(rows, dims, opt.ansvar_dim, opt.verksamhet_dim,
                                      res, self.fiscal_year_of)
        for text in result.notes:
            self.say(Level.INFO, f"'{self.file}': {text}", None)
        if label == "#PSALDO":
            for text, line in result.mismatches:
                self.warn(line, text)
        return Amounts.from_sums(result.sums)

    def fiscal_year(self, year_no: int) -> int | None:
        return year_no if year_no in self.rar else None

    def fiscal_year_of(self, ym: tuple[int, int]) -> int | None:
        """The year number whose #RAR holds the period, None when none does."""
        first = dt.date(ym[0], ym[1], 1)
        for year_no, (start, end, _) in self.rar.items():
            if dt.date(start.year, start.month, 1) <= first <= end:
                return year_no
        return None

    def year_balances(self) -> Amounts:
        """#RES (type 1): each year's result in the month its balances run to."""
        sums: dict[tuple[str, str, str, int, int], list[int]] = {}
        for (year_no, konto), (ore, line) in self.res.items():
            if year_no not in self.rar:
                continue
            start, end, _ = self.rar[year_no]
            last = end
            if year_no == 0 and self.omfattn and start <= self.omfattn <= end:
                last = self.omfattn
            key = (konto, "", "", last.year, last.month)
            entry = sums.setdefault(key, [0, 0])
            entry[0] += ore
            entry[1] += 1
        if sums:
            self.say(Level.INFO, f"'{self.file}' har bara årssaldon (#RES): varje års resultat "
                     "har lagts i den sista månaden som saldona avser.", None)
        return Amounts.from_sums(sums)


def _period(text: str) -> tuple[int, int] | None:
    t = text.replace("-", "")
    if len(t) == 6 and t.isascii() and t.isdigit() and 1 <= int(t[4:]) <= 12:
        return int(t[:4]), int(t[4:])
    return None


def _year_no(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"årsnumret '{text}' är inget tal") from None
