"""Writes exempel_huvudbok.se: the example's ledger as an SIE 4E export, made from the
actuals in src/exempel.toml ([utfall], tkr, Kostnader negativa), so that
``followup-xl import exempel_socialnamnden_maj_2024.xlsm exempel_huvudbok.se`` gives the
example exactly those actuals.

Each row's monthly amount is booked on two Kommun-Bas accounts and two ansvar (avdelning
Unga 110, Vuxna 120), every voucher balanced against the bank account 1930 (a balance
account, which the import skips). Run: .venv/bin/python workbook/exempel_huvudbok.py
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCOUNTS = {  # Drift row -> (account, share of the amount), the rest on the second account
    "Verksamhetens intäkter": (("3110", Decimal("0.6")), ("3510", None)),
    "Personalkostnader": (("5011", Decimal("0.7")), ("5611", None)),
    "Lokalhyror": (("6011", Decimal("1")), ("6011", None)),
    "Köp av tjänster": (("4611", Decimal("0.8")), ("7421", None)),
    "Övriga kostnader": (("4591", Decimal("0.75")), ("6421", None)),
    "Kommunbidrag": (("3999", Decimal("1")), ("3999", None)),
    "Finansnetto": (("8511", Decimal("1")), ("8511", None)),
}
ANSVAR = ("110", "120")


def ore(tkr: Decimal) -> int:
    value = tkr * 100_000
    assert value == value.to_integral_value(), tkr
    return int(value)


def sie_amount(o: int) -> str:
    sign = "-" if o < 0 else ""
    return f"{sign}{abs(o) // 100}.{abs(o) % 100:02d}"


def lines() -> list[str]:
    data = tomllib.loads((HERE / "src" / "exempel.toml").read_text(encoding="utf-8"),
                         parse_float=Decimal)
    out = ["#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", '#PROGRAM "followup-xl exempel" 1.0',
           "#GEN 20240603", '#FNAMN "Exempelkommunen, Socialnämnden"',
           "#RAR 0 20240101 20241231", "#KPTYP KOMMUNBAS", '#DIM 1 "Ansvar"',
           '#OBJEKT 1 "110" "Avdelning Unga"', '#OBJEKT 1 "120" "Avdelning Vuxna"']
    number = 0
    for month in range(1, 6):
        for row, months in data["utfall"].items():
            ledger = -ore(Decimal(months[month - 1]))  # costs negative -> debit positive
            if not ledger:
                continue
            (first, share), (second, _) = ACCOUNTS[row]
            a = int(Decimal(ledger) * share)
            parts = [(first, a), (second, ledger - a)]
            number += 1
            date = f"2024{month:02d}{25 if row != 'Kommunbidrag' else 1:02d}"
            out += [f'#VER A {number} {date} "{row} {month:02d}/2024"', "{"]
            for k, (konto, amount) in enumerate(p for p in parts if p[1]):
                half = amount // 2
                for ansvar, piece in ((ANSVAR[0], half), (ANSVAR[1], amount - half)):
                    if piece:
                        out.append(f'   #TRANS {konto} {{1 "{ansvar}"}} {sie_amount(piece)}')
            out += [f"   #TRANS 1930 {{}} {sie_amount(-ledger)}", "}"]
    return out


if __name__ == "__main__":
    target = HERE / "exempel_huvudbok.se"
    target.write_bytes(("\r\n".join(lines()) + "\r\n").encode("cp437"))
    print(f"Skrev {target}")
