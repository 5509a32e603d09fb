"""CSV and Excel exports built here, in each encoding and separator, whose aggregates are
known: header rows found below titles, Swedish number text, Debet/Kredit, periods, absent
code columns, bad rows named by file and line, mapped + unmapped = total to the öre."""

from __future__ import annotations

import datetime as dt

from unittest import mock

import openpyxl
import pytest

from followup_xl.domain.model import FileLoc, Level
from followup_xl.ledger import csv_export
from followup_xl.ledger.aggregate import aggregate
from followup_xl.ledger.mapping import MappingEntry, build_mapping
from followup_xl.ledger.reading import read_ledger
from followup_xl.ledger.numbers import ore_of
from followup_xl.ledger.records import ReadOptions

ROWS = ["Verksamhetens intäkter", "Personalkostnader", "Lokalhyror", "Köp av tjänster",
        "Övriga kostnader", "Finansnetto"]
MAPPING = [("30-39", ROWS[0]), ("50-59", ROWS[1]), ("60", ROWS[2]), ("46, 74, 75", ROWS[3]),
           ("4-7", ROWS[4]), ("84-85", ROWS[5])]

# (Datum, Konto, Ansvar, Verksamhet, amount in öre, budget in öre)
LEDGER = [
    ("2024-01-15", "30110", "1101", "510", -1_234_56, 0),
    ("2024-01-31", "50110", "1101", "510", 2_500_000_00, 2_400_000_00),
    ("2024-02-03", "50110", "1102", "520", 123_45, 0),
    ("2024-02-28", "60110", "1101", "510", 80_000_00, 80_000_00),
    ("2024-03-01", "46110", "1102", "", 1_000_00, 0),
    ("2024-03-02", "70110", "1102", "520", -50, 0),
    ("2024-03-03", "89999", "1102", "520", 777_00, 0),  # an account no row takes
    ("2024-03-04", "19300", "1101", "", -2_583_000_00, 0),  # a balance account: skipped
    ("2024-03-05", "FEL", "", "", 12_34, 0),  # a pseudo-account: imported, unmapped
]


def swedish(ore: int, style: str) -> str:
    sign = "-" if ore < 0 else ""
    kr, o = divmod(abs(ore), 100)
    group = {"nbsp": "\u00a0", "space": " ", "point": "", "dots": "."}[style]
    whole = f"{kr:,}".replace(",", group)
    dec = "." if style == "point" else ","
    if style == "space" and sign:
        return whole + dec + f"{o:02d}" + "-"  # a trailing minus, as some ERPs write
    if style == "nbsp" and sign:
        return "\u2212" + whole + dec + f"{o:02d}"
    return sign + whole + dec + f"{o:02d}"


def csv_text(sep: str, style: str, debit_credit: bool = False) -> str:
    lines = [f"Huvudbok Socialnämnden 2024{sep}{sep}", f"Utskriven 2024-06-03{sep}", "",
             sep.join(["Bokföringsdatum", "KONTO", "Ansvar", "Verksamhet", "Text"] +
                      (["Debet", "Kredit"] if debit_credit else ["Belopp", "Budget"]))]
    for date, konto, ansvar, verks, ore, budget in LEDGER:
        if debit_credit:
            amounts = [swedish(ore, style) if ore > 0 else "",
                       swedish(-ore, style) if ore < 0 else ""]
        else:
            amounts = [swedish(ore, style), swedish(budget, style)]
        quote = '"' if sep == "," or style == "space" else ""
        lines.append(sep.join([date, konto, ansvar, verks, "Faktura, rättad"
                               if sep != "," else "Faktura"] +
                              [f"{quote}{a}{quote}" if a else "" for a in amounts]))
    lines.append("")
    return "\r\n".join(lines)


def mapping(extra=()):
    m, problems = build_mapping([MappingEntry(k, None, None, r, i) for i, (k, r) in
                                 enumerate(MAPPING)] + list(extra), ROWS)
    assert not problems
    return m


def check(agg, budget: bool = True):
    assert agg.ok, [m.text for m in agg.messages]
    assert agg.actuals == {
        ROWS[0]: (-123456,) + (0,) * 11,
        ROWS[1]: (250000000, 12345) + (0,) * 10,
        ROWS[2]: (0, 8000000) + (0,) * 10,
        ROWS[3]: (0, 0, 100000) + (0,) * 9,
        ROWS[4]: (0, 0, -50) + (0,) * 9}
    assert [(u.konto, u.ore, u.rows) for u in agg.unmapped] == [("89999", 77700, 1),
                                                                ("FEL", 1234, 1)]
    assert agg.total == sum(o for _, k, *_, o, _b in LEDGER if k != "19300")
    assert agg.mapped_total + agg.unmapped_total == agg.total
    if budget:
        assert agg.budget == {ROWS[1]: (240000000,) + (0,) * 11,
                              ROWS[2]: (0, 8000000) + (0,) * 10}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("sep,style", [(";", "nbsp"), (";", "space"), ("\t", "dots"),
                                       (",", "point")])
def test_csv_in_each_encoding_and_separator(tmp_path, encoding, sep, style):
    text = csv_text(sep, style)
    if encoding in ("cp1252", "latin-1"):
        text = text.replace("\u2212", "-")  # neither code page has the minus sign
    path = tmp_path / "huvudbok.csv"
    path.write_bytes(text.encode(encoding))
    extract = read_ledger(path)
    assert extract.file.kind == "CSV"
    check(aggregate([extract], mapping(), 2024, ROWS))


@pytest.mark.parametrize("encoding,where", [("cp1252", "Ansvar"), ("cp1252", "Text"),
                                            ("latin-1", "Ansvar"), ("utf-8", "Ansvar")])
def test_an_export_whose_first_lines_are_plain_is_read_in_its_own_encoding(
        tmp_path, encoding, where):
    """The first lines (where the header is found) are plain ASCII, and 'Östra' stands
    in a column far below them: in a Windows-1252 or ISO 8859-1 export the codes still
    come out in å, ä, ö, whichever column holds it, as in a UTF-8 export."""
    rows = ["Datum;Konto;Ansvar;Verksamhet;Belopp;Text"]
    rows += [f"2024-01-15;5011;100;7;-1,00;Rad {i}" for i in range(200)]
    ansvar, text = ("Östra", "Rad") if where == "Ansvar" else ("200", "Bokföring")
    rows.append(f"2024-02-15;5011;{ansvar};7;-2,50;{text}")
    path = tmp_path / "sen.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    extract = read_ledger(path)
    assert not extract.messages, [m.text for m in extract.messages]
    a = extract.actuals
    assert set(a.ansvar.values) == {"100", ansvar}
    assert int(a.ore.sum()) == -200 * 100 - 250
    last = [i for i, code in enumerate(a.ansvar.values) if code == ansvar]
    assert int(a.ore[a.ansvar.index == last[0]].sum()) == -250


def test_debet_and_kredit_columns_combined(tmp_path):
    path = tmp_path / "dk.csv"
    path.write_text(csv_text(";", "nbsp", debit_credit=True), encoding="utf-8")
    check(aggregate([read_ledger(path)], mapping(), 2024, ROWS), budget=False)


def test_a_line_break_inside_a_quoted_text_is_counted_in_the_line_named(tmp_path):
    """A Text field quoted over two lines makes its record two lines long: the lines the
    messages name are those an editor shows, for a bad amount and a short row alike."""
    head = ["Huvudbok", "Datum;Konto;Ansvar;Verksamhet;Belopp;Text"]
    rows = head + ['2024-01-15;50110;1;7;-1,00;"Faktura,\r\nrättad"', "",
                   "2024-01-15;50110;1;7;x;Rad", '2024-01-16;50110;1;7;2,00;"A\r\nB\r\nC"',
                   "2024-01-17;50110;1;7;tre;Rad"]
    (tmp_path / "q.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    lines = (tmp_path / "q.csv").read_bytes().decode("utf-8").split("\r\n")
    extract = read_ledger(tmp_path / "q.csv")
    named = [m.loc.line for m in extract.messages]
    assert [lines[n - 1].split(";")[4] for n in named] == ["x", "tre"] and named == [6, 10]
    short = rows[:-1] + ["2024-01-17;50110;1;7"]
    (tmp_path / "kort.csv").write_text("\r\n".join(short) + "\r\n", encoding="utf-8")
    extract = read_ledger(tmp_path / "kort.csv")
    assert [m.loc.line for m in extract.messages] == [10], [m.text for m in extract.messages]
    assert "Rad 10 i 'kort.csv' kan inte läsas" in extract.messages[0].text


def test_period_or_year_and_month_instead_of_a_date(tmp_path):
    rows = ["Konto;Period;Belopp", "50110;202401;100,00", "50110;2024-02;50,50",
            "30110;202402;-1,00"]
    (tmp_path / "p.csv").write_text("\n".join(rows), encoding="utf-8")
    agg = aggregate([read_ledger(tmp_path / "p.csv")], mapping(), 2024, ROWS)
    assert agg.actuals[ROWS[1]][:2] == (10000, 5050) and agg.actuals[ROWS[0]][1] == -100
    rows = ["Konto\tÅr\tMånad\tBelopp", "50110\t2024\t1\t100", "50110\t2024\tmaj\t1",
            "50110\t2023\t12\t7"]
    (tmp_path / "am.txt").write_text("\n".join(rows), encoding="utf-8")
    agg = aggregate([read_ledger(tmp_path / "am.txt")], mapping(), 2024, ROWS)
    assert agg.actuals[ROWS[1]] == (10000, 0, 0, 0, 100) + (0,) * 7


def test_absent_code_columns_mean_empty_codes_and_headers_from_importkolumner(tmp_path):
    rows = ["Kto;Bokf.dat;Summa kr", "50110;2024-01-05;10,00", "50120;2024-01-06;5,00"]
    (tmp_path / "egen.csv").write_text("\n".join(rows), encoding="utf-8")
    headers = {"Konto": ["Kto"], "Datum": ["Bokf. dat"], "Belopp": ["SUMMA KR"]}
    extract = read_ledger(tmp_path / "egen.csv", options=ReadOptions(headers=headers))
    assert extract.ok and extract.actuals.ansvar.values == ("",)
    agg = aggregate([extract], mapping(), 2024, ROWS)
    assert agg.actuals == {ROWS[1]: (1500,) + (0,) * 11}


def test_bad_rows_named_by_file_and_line(tmp_path):
    rows = ["Rapport", "Datum;Konto;Belopp", "2024-01-01;50110;100,00", "",
            "2024-13-01;50110;5,00", "2024-01-02;50110;12,345", "2024-01-03;50110;tio",
            ";;999,00"]
    (tmp_path / "fel.csv").write_text("\n".join(rows), encoding="utf-8")
    extract = read_ledger(tmp_path / "fel.csv")
    found = {(m.level, m.loc.line) for m in extract.messages}
    assert (Level.FEL, 5) in found and (Level.FEL, 6) in found and (Level.FEL, 7) in found
    assert (Level.VARNING, 8) in found  # an amount without an account: a sum row?
    assert all(isinstance(m.loc, FileLoc) and m.loc.file == "fel.csv"
               for m in extract.messages)
    assert not extract.ok
    texts = " ".join(m.text for m in extract.messages)
    assert "'tio'" in texts and "Rad 7 i 'fel.csv'" in texts


def test_missing_columns_and_ragged_rows(tmp_path):
    (tmp_path / "utan.csv").write_text("Datum;Ansvar;Belopp\n2024-01-01;1;5\n",
                                       encoding="utf-8")
    ex = read_ledger(tmp_path / "utan.csv")
    assert not ex.ok and "saknar kolumnerna Konto" in ex.messages[0].text
    (tmp_path / "ojamn.csv").write_text("Datum;Konto;Belopp\n2024-01-01;50110;5\n"
                                        "2024-01-01;50110;5;7;8\n", encoding="utf-8")
    ex = read_ledger(tmp_path / "ojamn.csv")
    assert not ex.ok and ex.messages[0].loc == FileLoc("ojamn.csv", 3)
    assert ex.messages[0].text == ("Rad 3 i 'ojamn.csv' kan inte läsas: den har inte samma "
                                   "kolumner som rubrikraden.")


def test_a_damaged_excel_export_is_refused_in_swedish(tmp_path):
    (tmp_path / "trasig.xlsx").write_bytes(b"PK\x03\x04" + b"inte en arbetsbok" * 10)
    ex = read_ledger(tmp_path / "trasig.xlsx")
    assert not ex.ok and [m.text for m in ex.messages] == [
        "Filen 'trasig.xlsx' kan inte läsas som Excel-fil: den är skadad, krypterad eller "
        "ingen arbetsbok."]


def test_xlsx_export_with_number_text_and_date_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Huvudbok 2024"])
    ws.append([])
    ws.append(["Datum", "Konto", "Ansvar", "Verksamhet", "Belopp", "Budget"])
    for date, konto, ansvar, verks, ore, budget in LEDGER:
        value = ore / 100 if konto[:1] in "35" else swedish(ore, "nbsp")
        ws.append([dt.date.fromisoformat(date), int(konto) if konto.isdigit() else konto,
                   ansvar, verks or None, value, budget / 100])
    ws.append([dt.date(2024, 4, 1), 50110, None, None, "x"])
    ws.append([dt.date(2024, 4, 1), 50110, None, None, 10**20])  # once an OverflowError
    wb.save(tmp_path / "export.xlsx")
    extract = read_ledger(tmp_path / "export.xlsx")
    assert extract.file.kind == "XLSX"
    bad = [m for m in extract.messages if m.level is Level.FEL]
    assert [m.loc.line for m in bad] == [3 + len(LEDGER) + 1, 3 + len(LEDGER) + 2]
    assert "('100000000000000000000')" in bad[1].text
    good = type(extract)(extract.file, extract.actuals, extract.budget, ())
    check(aggregate([good], mapping(), 2024, ROWS))


def test_mapping_conflict_and_bad_target_are_errors_in_the_mapping_table():
    _, problems = build_mapping([MappingEntry("50", None, None, ROWS[1], 0),
                                 MappingEntry("50", None, None, ROWS[4], 1),
                                 MappingEntry("6", None, None, "Summa kostnader", 2),
                                 MappingEntry("9-1", None, None, ROWS[4], 3)], ROWS)
    assert [(m.loc.row, m.loc.column) for m in problems] == [(2, "Rad"), (3, "Konto"),
                                                             (0, "Rad")]
    m = mapping([MappingEntry("4-7", "11", None, ROWS[3], 6),
                 MappingEntry("4-7", None, "5", ROWS[2], 7)])
    winner, rival = m.resolve_one("70110", "1102", "520")
    assert (winner.rad, rival) == (ROWS[3], None)  # ansvar outranks verksamhet
    winner, rival = m.resolve_one("70110", "2102", "520")
    assert (winner.rad, rival) == (ROWS[2], None)
    tie = mapping([MappingEntry("4-7", "11", None, ROWS[3], 6),
                   MappingEntry("4-7", "11-11", None, ROWS[2], 7)])
    winner, rival = tie.resolve_one("70110", "1102", "")
    assert (winner.row, rival.row) == (6, 7)


def test_equally_specific_rows_hit_by_the_ledger_are_a_fel_naming_both(tmp_path):
    rows = ["Datum;Konto;Ansvar;Belopp", "2024-01-01;70110;1102;5,00"]
    (tmp_path / "k.csv").write_text("\n".join(rows), encoding="utf-8")
    tie = mapping([MappingEntry("4-7", "11", None, ROWS[3], 6),
                   MappingEntry("4-7", "11-11", None, ROWS[2], 7)])
    agg = aggregate([read_ledger(tmp_path / "k.csv")], tie, 2024, ROWS)
    fel = [m for m in agg.messages if m.level is Level.FEL]
    assert [m.text for m in fel] == [
        "Mappningens rad 7 och rad 8 är lika specifika för konto 70110, ansvar 1102 men för "
        "beloppen till olika rader ('Köp av tjänster' och 'Lokalhyror'). Gör den ena raden "
        "mer specifik eller ta bort den."]
    assert fel[0].loc.part == "Mappning" and fel[0].loc.row == 6


def test_many_rows_of_plain_amounts_and_odd_ones_far_down(tmp_path):
    """Beyond the rows the header search looks at, and in other Arrow blocks (a block of
    1 KiB here, so the amounts come in several chunks, parsed in parallel): each row
    still exact, each bad one named by its line."""
    body = [f"2024-01-{i % 28 + 1:02d};50110;{(-1) ** i * i}{',' if i % 3 else ''}"
            f"{'' if i % 3 == 0 else f'{i % 100:02d}'[: 1 + i % 2]}" for i in range(300)]
    expected = 0
    for line in body:
        expected += ore_of(line.split(";")[2], ",")
    lines = ["Datum;Konto;Belopp"] + body
    (tmp_path / "plain.csv").write_text("\n".join(lines), encoding="utf-8")
    odd = lines + ["2024-02-01;50110;1 234,56-", "2024-02-02;50110;tio"]
    (tmp_path / "odd.csv").write_text("\n".join(odd), encoding="utf-8")
    with mock.patch.object(csv_export, "BLOCK", 1 << 10):
        plain = read_ledger(tmp_path / "plain.csv")
        extract = read_ledger(tmp_path / "odd.csv")
    assert plain.ok and int(plain.actuals.ore.sum()) == expected
    assert [(m.level, m.loc.line) for m in extract.messages] == [(Level.FEL, len(odd))]
    assert int(extract.actuals.ore.sum()) == expected - 123456
