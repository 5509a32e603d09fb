"""Excel exports (.xlsx) of ledgers to an Extract, with the same column rules as CSV.

pandas reads the sheets (through openpyxl); the first sheet with a header row naming the
required fields is used. Number cells are exact as Excel stores them (their shortest
decimal form); text cells are read as Swedish number text.
"""

from __future__ import annotations

import io

import numpy as np

from followup_xl.domain.model import Message
from followup_xl.ledger import table
from followup_xl.ledger.numbers import BadAmount, guess_decimal, ore_of
from followup_xl.ledger.records import (AR, ANSVAR, BELOPP, BUDGET, DATUM, DEBET, KONTO,
                                        KREDIT, MANAD, PERIOD, VERKSAMHET, Amounts, Extract,
                                        ReadOptions, file_info, refused)


class XlsxReader:
    kind = "XLSX"

    def identify(self, name: str, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04")

    def extract(self, name: str, data: bytes, options: ReadOptions) -> Extract:
        import pandas as pd

        info = file_info(name, data, "XLSX")
        try:
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None,
                                   dtype=object, engine="openpyxl")
        except Exception:  # not a workbook, encrypted, damaged
            return refused(info, f"Filen '{info.name}' kan inte läsas som Excel-fil: den är "
                           "skadad, krypterad eller ingen arbetsbok.")
        missing: list[str] | None = None
        for sheet, frame in sheets.items():
            rows = frame.head(table.HEADER_SEARCH_ROWS).where(frame.notna(), None
                                                              ).values.tolist()
            found = table.find_header(rows, options.headers)
            if isinstance(found, table.Header):
                return _parse(info, frame, found)
            missing = found if missing is None or len(found) < len(missing) else missing
        return Extract(info, Amounts.empty(), None,
                       (table.no_header_message(info.name, missing or []),))


def _parse(info, frame, header: table.Header) -> Extract:
    body = frame.iloc[header.row + 1:]
    first_line = header.row + 2  # Excel row of the first data row (pandas keeps blank rows)
    n = len(body)
    messages: list[Message] = []

    def column(field):
        j = header.columns.get(field)
        if j is None:
            return None
        return [None if v is None or v != v else v for v in body.iloc[:, j].tolist()]

    def line_of(rows: np.ndarray) -> list[int]:
        return [first_line + int(r) for r in rows]

    texts = [v for f in (BELOPP, DEBET, KREDIT, BUDGET) for v in (column(f) or [])
             if isinstance(v, str)]
    decimal = guess_decimal(texts[:2000])

    def amount(field) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        bad = []
        for i, v in enumerate(column(field)):
            try:
                out[i] = ore_of(v, decimal)
            except BadAmount:
                bad.append(i)
        if bad:
            values = column(field)
            messages.extend(table.bad_rows(info.name, np.array(bad), line_of,
                                           f"har i kolumnen {field} ett värde som inte är "
                                           "ett belopp", [values[i] for i in bad[:table.SHOWN]]))
        return out

    if BELOPP in header.columns:
        ore = amount(BELOPP)
    else:
        ore = table.signed(amount(DEBET), amount(KREDIT))
    budget = amount(BUDGET) if BUDGET in header.columns else None
    if DATUM in header.columns or PERIOD in header.columns:
        values = column(DATUM if DATUM in header.columns else PERIOD)
        ym = [table.year_month(v) if v is not None else None for v in values]
    else:
        ym = [(y, m) if (y := table.year_number(a)) and (m := table.month_number(b)) else None
              for a, b in zip(column(AR), column(MANAD))]
    year = np.array([p[0] if p else 0 for p in ym], dtype=np.int32)
    month = np.array([p[1] if p else 0 for p in ym], dtype=np.int32)
    bad = np.flatnonzero(np.array([p is None for p in ym], dtype=bool))

    def codes(field):
        values = column(field)
        return table.codes_of(values) if values is not None else table.empty_codes(n)

    parsed = table.Parsed(codes(KONTO), codes(ANSVAR), codes(VERKSAMHET), year, month, ore,
                          budget, bad)
    return table.extract_of(info, parsed, line_of, messages)


