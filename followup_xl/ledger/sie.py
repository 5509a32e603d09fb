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

from followup_xl.domain.model import FileLoc, Level, Message
from followup_xl.ledger import sie_balances
from followup_xl.ledger.numbers import BadAmount
from followup_xl.ledger.records import (Amounts, Extract, ReadOptions, file_info, refused)
from followup_xl.ledger.sie_text import (EMPTY, ENCODING_NAMES, BadLine, Checksum, Objects,
                                         decode, fields)
from followup_xl.ledger.sie_vouchers import SHOWN, Vouchers, sie_ore
from followup_xl.ledger.table import year_month


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
        self.book = Vouchers(options, self.error, self.warn, self.check_account)
        self.checksum: Checksum | None = None
        self.checksum_line = 0
        self.checksum_closed = False
        self.swapped = 0
        self.odd_accounts: dict[str, int] = {}
        self.handlers = {
            "#TRANS": self.book.on_trans, "#RTRANS": self.book.on_trans,
            "#VER": self.book.on_ver, "}": self.book.on_close, "#PSALDO": self.on_psaldo, "#PBUDGET": self.on_psaldo,
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
        handlers, book = self.handlers, self.book
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                head = line[:7]
                if (head == "#TRANS " or head == "#TRANS\t") and self.checksum is None:
                    book.trans_line(line, number)  # the bulk of a type 4 file
                    continue
                if self.checksum is None and (line == "{" or line == "}"):
                    if line == "}" and book.voucher is not None:
                        book.close_voucher()
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
            except BadLine as e:
                self.error(number, f"raden kan inte läsas ({e}).")
            except (ValueError, IndexError, TypeError, AttributeError):  # a shape not foreseen
                self.error(number, "raden kan inte läsas: fälten står inte så som SIE-formatet "
                           "anger för raden.")
        if self.book.voucher is not None:
            self.book.close_voucher()

    # -- balances -----------------------------------------------------------------------
    def on_psaldo(self, line: str, number: int) -> None:
        f = fields(line)
        if len(f) < 5:
            raise BadLine("för få fält")
        year_no, period, konto = f[1], f[2], f[3]
        if any(isinstance(x, Objects) for x in (year_no, period, konto)):
            raise BadLine("årsnummer, period och konto ska stå före objektlistan")
        objects, rest = (f[4], f[5:]) if isinstance(f[4], Objects) else (EMPTY, f[4:])
        if not rest:
            raise BadLine("saldo saknas")
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
            raise BadLine("för få fält")
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
        self.sietyp = _first_field(line)

    def on_format(self, line: str, number: int) -> None:
        self.format = (_first_field(line) or "").upper() or None

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
                stated = int(f[1])
            except (ValueError, IndexError):
                stated = -1
            if stated != self.checksum.crc:
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
        trans = self.book.trans
        if trans:
            actuals = Amounts.from_sums(trans)
            totals = _per_year_and_account(trans, self.fiscal_year_of)
            for text, line in sie_balances.check_against_res(totals, self.res,
                                                             "verifikationerna"):
                self.warn(line, text)
            if self.psaldo:
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
        note = _encoding_note(self.file, self.format, encoding)
        if note:
            self.say(Level.INFO, note, None)
        self.book.report()
        if self.swapped:
            self.warn(None, f"{self.swapped} rader har konto och period i omvänd ordning; de "
                      "har lästs med perioden (ÅÅÅÅMM) som period.")
        for konto, line in list(self.odd_accounts.items())[:SHOWN]:
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
        return next((year_no for year_no, (start, end, _) in self.rar.items()
                     if dt.date(start.year, start.month, 1) <= first <= end), None)

    def year_balances(self) -> Amounts:
        """#RES (type 1): each year's result in the month its balances run to."""
        sums = _results_by_last_month(self.res, self.rar, self.omfattn)
        if sums:
            self.say(Level.INFO, f"'{self.file}' har bara årssaldon (#RES): varje års resultat "
                     "har lagts i den sista månaden som saldona avser.", None)
        return Amounts.from_sums(sums)


def _first_field(line: str) -> str | None:
    """The field after the label, None when there is none."""
    f = fields(line)
    return f[1] if len(f) > 1 else None


def _encoding_note(file: str, declared: str | None, encoding: str) -> str | None:
    """What to say when a file declaring code page 437 (#FORMAT PC8, or nothing) is in
    fact UTF-8 or Latin-1."""
    if encoding not in ("utf-8", "latin-1") or declared not in (None, "PC8"):
        return None
    said = "anger #FORMAT PC8" if declared else "anger ingen teckentabell"
    return (f"'{file}' {said} (teckentabell 437) men är skriven i "
            f"{ENCODING_NAMES[encoding]}; den har lästs som {ENCODING_NAMES[encoding]}.")


def _per_year_and_account(trans: dict, fiscal_year_of) -> dict[tuple[int | None, str], int]:
    """The vouchers' öre per (year number of the period, konto), for the #RES check."""
    totals: dict[tuple[int | None, str], int] = {}
    fiscal: dict[tuple[int, int], int | None] = {}
    for (konto, _, _, y, m), (ore, _) in trans.items():
        if (y, m) not in fiscal:
            fiscal[(y, m)] = fiscal_year_of((y, m))
        key = (fiscal[(y, m)], konto)
        totals[key] = totals.get(key, 0) + ore
    return totals


def _results_by_last_month(res: dict, rar: dict, omfattn: dt.date | None
                           ) -> dict[tuple[str, str, str, int, int], list[int]]:
    """Each #RES in the month its year's balances run to (#OMFATTN for the current year
    when it lies inside it): {(konto, "", "", year, month): [öre, rows]}."""
    sums: dict[tuple[str, str, str, int, int], list[int]] = {}
    for (year_no, konto), (ore, _line) in res.items():
        if year_no not in rar:
            continue
        start, end, _ = rar[year_no]
        last = omfattn if year_no == 0 and omfattn and start <= omfattn <= end else end
        entry = sums.setdefault((konto, "", "", last.year, last.month), [0, 0])
        entry[0] += ore
        entry[1] += 1
    return sums


def _period(text: str) -> tuple[int, int] | None:
    """A SIE period, YYYYMM (or YYYY-MM), as (year, month) in the years the program takes
    (the exports' rule, :func:`~followup_xl.ledger.table.year_month`); None otherwise."""
    t = text.replace("-", "")
    return year_month(t) if len(t) == 6 and t.isascii() and t.isdigit() else None


def _year_no(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadLine(f"årsnumret '{text}' är inget tal") from None
