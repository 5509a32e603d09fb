"""CSV exports of municipal ERPs (Raindance, Unit4, Visma, Hogia …) to an Extract.

The encoding (UTF-8 with or without BOM, Windows-1252, ISO 8859-1), the separator (";",
tab or ","), the header row below any title rows, and the decimal sign are found from
the file itself. Arrow's CSV reader (the engine of pandas' read_csv(engine="pyarrow"))
reads the rows, so that a million rows take a fraction of a second; amounts are parsed to
integer öre by Arrow's string kernels (:func:`followup_xl.ledger.numbers.ore_columns`),
never through a float. A file whose first lines are UTF-8 goes to Arrow as it is (each
value read is then checked to be UTF-8); only other files are decoded whole first.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from followup_xl.domain.model import Message
from followup_xl.ledger import table
from followup_xl.ledger.numbers import guess_decimal, int_values, no_nulls, ore_columns
from followup_xl.ledger.records import (AR, BELOPP, BUDGET, DATUM, DEBET, KONTO, KREDIT,
                                        MANAD, PERIOD, ANSVAR, VERKSAMHET, Amounts, Codes, Extract,
                                        ReadOptions, file_info, refused)

SEPARATORS = (";", "\t", ",")
BLOCK = 8 << 20  # bytes per Arrow block: a few chunks per file, parsed in parallel
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_BOM = b"\xef\xbb\xbf"


def decode_export(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV export: UTF-8 (a BOM is dropped), else Windows-1252, or
    ISO 8859-1 when the bytes hold what Windows-1252 leaves undefined."""
    if data.startswith(_BOM):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if any(b in _CP1252_UNDEFINED for b in set(data)):
        return data.decode("latin-1"), "latin-1"
    return data.decode("cp1252"), "cp1252"


class CsvReader:
    kind = "CSV"

    def identify(self, name: str, head: bytes) -> bool:
        if head.startswith(b"PK\x03\x04"):
            return False
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return not start.startswith((b"#", b"<")) and any(s.encode() in head
                                                           for s in SEPARATORS)

    def extract(self, name: str, data: bytes, options: ReadOptions) -> Extract:
        info = file_info(name, data, "CSV")
        if _head_is_utf8(data):
            # UTF-8 as far as it shows: Arrow reads the bytes as they are and every value it
            # reads is checked, so the whole file need not be decoded first. A value that is
            # not UTF-8 (a Windows-1252 export with plain first lines) sends it the long way.
            utf8 = data[3:] if data.startswith(_BOM) else data
            got = _extract(info, utf8, options, lambda: decode_export(data)[0])
            if got is not None:
                return got
        text, _ = decode_export(data)
        return _extract(info, text.encode("utf-8"), options, lambda: text)


def _extract(info, utf8: bytes, options: ReadOptions, text_of) -> Extract | None:
    """The Extract of a file's UTF-8 bytes (``text_of()``: the file's text, for line
    numbers); None when a value read is not UTF-8."""
    lines = head_lines(_head(utf8).decode("utf-8", errors="replace"), table.HEADER_SEARCH_ROWS)
    found = sniff(lines, options.headers)
    if isinstance(found, list):
        return Extract(info, Amounts.empty(), None,
                       (table.no_header_message(info.name, found),))
    sep, header = found
    try:
        frame = _read(utf8, sep, header)
    except Exception:  # a row with the wrong number of fields, bad quoting
        line = _bad_line(text_of(), sep, header, lines)
        return refused(info, f"Rad {line} i '{info.name}' kan inte läsas: den har inte "
                       "samma kolumner som rubrikraden.", line)
    if not _valid_utf8(frame):
        return None
    return _parse(info, frame, sep, header, text_of)


def _head(data: bytes) -> bytes:
    """The bytes of the first lines, where the header is looked for."""
    end = -1
    for _ in range(table.HEADER_SEARCH_ROWS):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return data
    return data[:end]


def _head_is_utf8(data: bytes) -> bool:
    """Whether the first lines are UTF-8 (the head ends at a newline, which no UTF-8
    sequence holds: no character is cut)."""
    try:
        _head(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _valid_utf8(frame) -> bool:
    """Whether every value Arrow read (unchecked) is UTF-8."""
    import pyarrow as pa

    try:
        for column in frame.values():
            column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def sniff(lines: list[str], headers) -> tuple[str, table.Header] | list[str]:
    """The separator and header row, or the fields the best candidate lacks."""
    best: list[str] | None = None
    for sep in SEPARATORS:
        rows = list(csv.reader([ln.rstrip("\r") for ln in lines], delimiter=sep))
        found = table.find_header(rows, headers)
        if isinstance(found, table.Header):
            return sep, found
        if best is None or len(found) < len(best):
            best = found
    return best or table.missing_fields({})


def head_lines(text: str, n: int) -> list[str]:
    """The first n lines, without splitting the whole text."""
    lines, start = [], 0
    while len(lines) < n:
        end = text.find("\n", start)
        if end < 0:
            lines.append(text[start:])
            break
        lines.append(text[start:end])
        start = end + 1
    return lines


def _read(utf8: bytes, sep: str, header: table.Header):
    """The needed columns below the header as Arrow string columns, keyed by column
    index. Arrow's multi-threaded CSV reader is the engine pandas' read_csv(engine=
    "pyarrow") wraps; called directly it spares the import of pandas (a third of the
    whole command's time on a million rows)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not utf8.endswith(b"\n"):
        utf8 += b"\n"  # Arrow's reader finds no rows in a one-row file without it
    wanted = sorted(set(header.columns.values()))
    names = [f"f{j}" for j in wanted]
    tbl = pacsv.read_csv(
        pa.BufferReader(utf8),
        read_options=pacsv.ReadOptions(skip_rows=header.row + 1, block_size=BLOCK,
                                       autogenerate_column_names=True),
        parse_options=pacsv.ParseOptions(delimiter=sep),
        convert_options=pacsv.ConvertOptions(include_columns=names, column_types={
            n: pa.string() for n in names}, strings_can_be_null=False, check_utf8=False))
    return {j: tbl.column(f"f{j}") for j in wanted}


def _bad_line(text: str, sep: str, header: table.Header, lines: list[str]) -> int:
    width = len(next(csv.reader([lines[header.row].rstrip("\r")], delimiter=sep)))
    return next((line for line, row in _records(text, sep, header) if len(row) != width),
                header.row + 2)


def _records(text: str, sep: str, header: table.Header):
    """(the line it starts on, its fields) for each record below the header, as Arrow
    reads them: a quoted field may hold line breaks, and an empty line is no record."""
    body = io.StringIO(text)
    for _ in range(header.row + 1):
        body.readline()
    reader = csv.reader(body, delimiter=sep)
    read = header.row + 1  # lines read so far
    for row in reader:
        start, read = read + 1, header.row + 1 + reader.line_num
        if row:
            yield start, row


def _arrow(frame, field: str, header: table.Header):
    j = header.columns.get(field)
    return None if j is None else frame[j]


def _codes(column, n: int) -> Codes:
    import pyarrow.compute as pc

    if column is None:
        return table.empty_codes(n)
    enc = pc.dictionary_encode(pc.utf8_trim_whitespace(no_nulls(column))
                               ).combine_chunks()
    return Codes(tuple(enc.dictionary.to_pylist()),
                 int_values(enc.indices).astype(np.int32))


def _distinct(column):
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(no_nulls(column)).combine_chunks()
    return enc.dictionary.to_pylist(), int_values(enc.indices)


def _parse(info, frame, sep: str, header, text_of) -> Extract:
    n = len(next(iter(frame.values())))
    cache: dict = {}

    def line_of(rows: np.ndarray) -> list[int]:
        if "lines" not in cache:
            cache["lines"] = [line for line, _ in _records(text_of(), sep, header)]
        return [cache["lines"][int(r)] for r in rows]

    messages: list[Message] = []
    col = {f: _arrow(frame, f, header) for f in header.columns}
    sample = [v for f in (BELOPP, DEBET, KREDIT, BUDGET) if f in col
              for v in col[f].slice(0, 2000).to_pylist() if v]
    decimal = guess_decimal(sample)

    def amount(field: str) -> np.ndarray:
        ore, bad = ore_columns(col[field], decimal)
        if len(bad):
            shown = col[field].take(bad[:table.SHOWN]).to_pylist()
            messages.extend(table.bad_rows(info.name, bad, line_of,
                                           f"har i kolumnen {field} ett värde som inte är "
                                           "ett belopp", shown))
        return ore

    if BELOPP in col:
        ore = amount(BELOPP)
    else:
        ore = table.signed(amount(DEBET), amount(KREDIT))
    budget = amount(BUDGET) if BUDGET in col else None
    if DATUM in col or PERIOD in col:
        distinct, index = _distinct(col[DATUM] if DATUM in col else col[PERIOD])
        year, month, bad = table.periods(distinct, index)
    else:
        y_distinct, y_index = _distinct(col[AR])
        m_distinct, m_index = _distinct(col[MANAD])
        year, _, bad_y = table.periods(y_distinct, y_index,
                                       lambda v: (y, 1) if (y := table.year_number(v)) else None)
        _, month, bad_m = table.periods(m_distinct, m_index,
                                        lambda v: (0, m) if (m := table.month_number(v)) else None)
        bad = np.union1d(bad_y, bad_m)
    parsed = table.Parsed(_codes(col.get(KONTO), n), _codes(col.get(ANSVAR), n),
                          _codes(col.get(VERKSAMHET), n), year, month, ore, budget, bad)
    return table.extract_of(info, parsed, line_of, messages)



