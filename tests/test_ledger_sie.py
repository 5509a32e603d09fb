"""SIE files built here (types 2, 3 and 4E, with objects) whose aggregates are known,
and the standard's details: tokens, encodings, years from periods, #RTRANS/#BTRANS,
#KSUMMA, bad lines."""

from __future__ import annotations

import zlib
from decimal import Decimal

import pytest

from followup_xl.domain.model import FileLoc, Level
from followup_xl.ledger.aggregate import aggregate
from followup_xl.ledger.mapping import MappingEntry, build_mapping
from followup_xl.ledger.reading import read_ledger
from followup_xl.ledger.records import ReadOptions, in_workbook
from followup_xl.ledger.sie_text import Objects, checksum_fields, decode, fields

ROWS = ["Verksamhetens intäkter", "Personalkostnader", "Köp av tjänster", "Övriga kostnader"]
MAPPING = [("30-39", "", ROWS[0]), ("50-59", "", ROWS[1]), ("46, 74, 75", "", ROWS[2]),
           ("4-7", "", ROWS[3]), ("50-59", "20", ROWS[2])]  # ansvar 20's staff: bought in

HEAD = ['#FLAGGA 0', '#FORMAT PC8', '#SIETYP {typ}', '#PROGRAM "Testet" 1.0',
        '#FNAMN "Testkommunen"', '#RAR 0 20240101 20241231', '#RAR -1 20230101 20231231',
        '#DIM 1 "Ansvar"', '#DIM 6 "Verksamhet"', '#OBJEKT 1 "10" "Ledning"',
        '#OBJEKT 1 "20" "Vård och omsorg"']


def write(tmp_path, name, lines, typ, encoding="cp437"):
    p = tmp_path / name
    p.write_bytes(("\r\n".join([h.format(typ=typ) for h in HEAD] + lines) + "\r\n"
                   ).encode(encoding))
    return p


def mapping():
    m, problems = build_mapping([MappingEntry(k, a or None, None, r, i)
                                 for i, (k, a, r) in enumerate(MAPPING)], ROWS)
    assert not problems
    return m


# The same ledger as vouchers (4E), as period balances (2) and with objects (3).
VOUCHERS = [
    '#VER A 1 20240115 "Lön januari"', "{",
    '#TRANS 5010 {1 "10"} 30000.00', '#TRANS 5010 {1 "20" 6 "510"} 20000.00',
    '#TRANS 1930 {} -50000.00', "}",
    '#VER A 2 20240210 "Kommunbidrag"', "{",
    '#TRANS 3910 {} -100000.00 20240201 "Bidrag"', '#TRANS 1930 {} 100000.00', "}",
    '#VER "B" "3" 20240305 "Köpt vård, rättad"', "{",
    '\t#BTRANS 4610 {1 "20"} 7000.00', '\t#RTRANS 4610 {1 "20"} 7500.50',
    '\t#TRANS  4610 {1 "20"} 7500.50', '\t#TRANS 7410 {} 499.50 20240306',
    "\t#TRANS 2440 {} -8000.00", "}",
    '#VER A 4 20231230 "Förra året"', "{", "#TRANS 5010 {} 999.00", "#TRANS 1930 {} -999.00",
    "}",
]
# By month: Jan staff 50 000 (30 000 ansvar 10, 20 000 ansvar 20), Feb income -100 000,
# Mar köpt 7 500,50 + 499,50 (7410 is köp av tjänster too).
PSALDO = ['#PSALDO 0 202401 5010 {} 50000.00', '#PSALDO 0 202402 3910 {} -100000.00',
          '#PSALDO 0 202403 4610 {} 7500.50', '#PSALDO 0 202403 7410 {} 499.50',
          '#PSALDO 0 202312 5010 {} 999.00', '#PSALDO 0 202401 1930 {} -50000.00',
          '#RES 0 5010 50000.00', '#RES 0 3910 -100000.00', '#RES 0 4610 7500.50',
          '#RES 0 7410 499.50']
OBJECTS = ['#PSALDO 0 202401 5010 {1 "10"} 30000.00', '#PSALDO 0 202401 5010 {1 "20"} 20000.00',
           '#PSALDO 0 202401 5010 {6 "510"} 20000.00',
           '#PSALDO 0 202401 5010 {1 "20" 6 "510"} 20000.00',
           '#PSALDO 0 202403 4610 {1 "20"} 7500.50']
BUDGET = ['#PBUDGET 0 202401 5010 {} 40000.00', '#PBUDGET 0 202402 5010 {} 40000.00',
          '#PBUDGET 0 202401 3910 {} -90000.00', '#PBUDGET 0 202401 1510 {} 123.00',
          '#PBUDGET 0 202401 8410 {} 5.00']


def months(**by_month):
    out = [0] * 12
    for name, v in by_month.items():
        out[["jan", "feb", "mar"].index(name)] = v
    return tuple(out)


EXPECTED = {ROWS[0]: months(feb=-10_000_000),
            ROWS[1]: months(jan=3_000_000),
            ROWS[2]: months(jan=2_000_000, mar=750_050 + 49_950)}


@pytest.mark.parametrize("typ,lines", [("4", VOUCHERS), ("2", PSALDO),
                                       ("3", PSALDO + OBJECTS)], ids=["4E", "2", "3"])
def test_same_ledger_as_vouchers_period_balances_and_objects(tmp_path, typ, lines):
    path = write(tmp_path, f"bok{typ}.se", lines + BUDGET, typ)
    extract = read_ledger(path, options=ReadOptions(needs_ansvar=True))
    agg = aggregate([extract], mapping(), 2024, ROWS)
    assert agg.ok, [m.text for m in agg.messages]
    expected = dict(EXPECTED)
    if typ == "2":  # no objects: ansvar 20's staff cannot be told apart
        expected[ROWS[1]] = months(jan=5_000_000)
        expected[ROWS[2]] = months(mar=800_000)
    assert agg.actuals == expected
    assert agg.total == 5_000_000 - 10_000_000 + 800_000
    assert agg.unmapped == ()
    assert agg.budget == {ROWS[0]: months(jan=-9_000_000), ROWS[1]: months(jan=4_000_000,
                                                                           feb=4_000_000)}
    infos = [m.text for m in agg.messages if m.level is Level.INFO]
    assert any("Budgetbelopp på sammanlagt 5,00 kr" in t for t in infos)  # 8410 unmapped
    assert any("konton utanför Import_Konton (3-8)" in t for t in infos)


def test_voucher_cross_checks_name_file_and_line(tmp_path):
    lines = ['#VER A 1 20240115 "Obalans"', "{", "#TRANS 5010 {} 100.00",
             "#TRANS 1930 {} -99.90", "}", "#VER A 2 rappakalja", "{", "#TRANS 5010 {} 1.00",
             "}", "#VER A 3 20240101", "{", "#TRANS 5010 {}", "#TRANS {} {} 5.00", "}",
             '#TRANS 5010 {} 1,00 20240101']
    path = write(tmp_path, "obalans.se", lines, "4")
    extract = read_ledger(path)
    by_line = {m.loc.line: (m.level, m.text) for m in extract.messages}
    first = len(HEAD) + 1
    assert by_line[first] == (Level.VARNING, "Rad 12 i 'obalans.se': verifikation A 1 "
                              "balanserar inte: raderna summerar till 0,10 kr i stället för 0.")
    assert by_line[first + 5] == (Level.FEL, "Rad 17 i 'obalans.se': verifikationsdatumet "
                                  "'rappakalja' är inget datum.")
    assert by_line[first + 11][0] is Level.FEL and "objektlista och belopp" in \
        by_line[first + 11][1]
    assert by_line[first + 12][0] is Level.FEL
    assert all(isinstance(m.loc, FileLoc) and m.loc.file == "obalans.se"
               for m in extract.messages)
    # a stray #TRANS with its own date is read; a decimal comma is tolerated
    assert extract.actuals.by_account(2024)["5010"] == 10000 + 100


def test_year_comes_from_the_period_not_the_year_number(tmp_path):
    """BL writes last year's rows with year number 0: the period decides."""
    lines = ['#PSALDO 0 202311 5010 {} 111.00', '#PSALDO 0 202401 5010 {} 222.00',
             '#PSALDO 0 1119 202402 {} 5.00']  # account and period swapped (BL)
    extract = read_ledger(write(tmp_path, "bl.se", lines, "2"))
    assert extract.actuals.by_account(2024) == {"5010": 22200, "1119": 500}
    assert extract.actuals.by_account(2023) == {"5010": 11100}
    assert any("omvänd ordning" in m.text for m in extract.messages)


def test_a_period_outside_the_years_taken_is_a_fel_naming_its_line(tmp_path):
    """'000001' (year 0) once crashed the reader when the fiscal year was looked up."""
    lines = ['#PSALDO 0 000001 5010 {} 1.00', '#PSALDO 0 202401 5010 {} 2.00']
    extract = read_ledger(write(tmp_path, "noll.se", lines, "3"))
    fel = [(m.loc.line, m.text) for m in extract.messages if m.level is Level.FEL]
    assert len(fel) == 1 and "'000001' är ingen period" in fel[0][1]
    assert extract.actuals.by_account(2024) == {"5010": 200}


def test_encodings_from_the_bytes_and_said_when_they_contradict_format(tmp_path):
    lines = ['#KONTO 5010 "Löner för tjänstemän"', '#PSALDO 0 202401 5010 {1 "Åsa"} 1.00']
    for encoding, said in (("cp437", None), ("utf-8", "UTF-8"), ("latin-1", "Latin-1")):
        path = write(tmp_path, f"{encoding}.se", lines, "3", encoding)
        text, found = decode(path.read_bytes())
        assert "Löner" in text and found == encoding
        ex = read_ledger(path, options=ReadOptions(needs_ansvar=True))
        notes = [m.text for m in ex.messages if "#FORMAT PC8" in m.text]
        assert bool(notes) == bool(said) and (not said or said in notes[0])
        assert ex.actuals.ansvar.values == ("Åsa",)


def test_tokens_as_the_standard_writes_them():
    assert fields('#TRANS 1930 {} -1.00 20240101 "Text med \\"citat\\"" 2') == [
        "#TRANS", "1930", Objects(()), "-1.00", "20240101", 'Text med "citat"', "2"]
    assert fields('#TRANS\t1930\t{ }\t5') == ["#TRANS", "1930", Objects(()), "5"]
    assert fields('#PSALDO 0 202401 1510 {"1" "Nord" 6 "0001"} 5')[4] == Objects(
        (("1", "Nord"), ("6", "0001")))
    assert fields('#VER "" "" 20240101 "{ inte en lista }"')[4] == "{ inte en lista }"
    with pytest.raises(ValueError):
        fields("#TRANS 1930 {1} 5")
    with pytest.raises(ValueError):
        fields("#TRANS 1930 {1 2 5")
    assert checksum_fields('#TRANS 1930 {1 "Nord"} -1.00 "å"') == "#TRANS19301Nord-1.00å" \
        .encode("cp437")


def test_ksumma_checked_and_a_truncated_file_refused(tmp_path):
    body = ['#PSALDO 0 202401 5010 {} 1.00', '#PSALDO 0 202402 5010 {} 2.00']
    crc = 0
    for line in [h.format(typ="2") for h in HEAD] + body:
        crc = zlib.crc32(checksum_fields(line), crc)
    good = tmp_path / "ok.se"
    good.write_bytes("\n".join(["#KSUMMA"] + [h.format(typ="2") for h in HEAD] + body +
                               [f"#KSUMMA {crc}"]).encode("cp437"))
    assert not [m for m in read_ledger(good).messages if m.level is not Level.INFO]
    bad = tmp_path / "andrad.se"
    bad.write_bytes(good.read_bytes().replace(b"2.00", b"3.00"))
    warned = [m for m in read_ledger(bad).messages if m.level is Level.VARNING]
    assert len(warned) == 1 and "kontrollsumman" in warned[0].text
    cut = tmp_path / "avbruten.se"
    cut.write_bytes(good.read_bytes().rsplit(b"\n", 2)[0])
    ex = read_ledger(cut)
    assert [m.level for m in ex.messages] == [Level.FEL] and "avbruten" in ex.messages[0].text
    assert len(ex.actuals) == 0


def test_a_file_of_another_year_and_not_a_sie_file(tmp_path):
    path = write(tmp_path, "2024.se", ['#PSALDO 0 202401 5010 {} 1.00'], "2")
    agg = aggregate([read_ledger(path)], mapping(), 2025, ROWS)
    assert not agg.ok
    assert [m.text for m in agg.messages if m.level is Level.FEL] == [
        "Filen '2024.se' har inga belopp för 2025 (arbetsbokens år); den avser 2023, 2024."]
    html = tmp_path / "sida.se"
    html.write_text("<html><body>404 Not Found</body></html>")
    assert "ingen SIE-fil" in read_ledger(html).messages[0].text
    same = aggregate([read_ledger(path), read_ledger(path)], mapping(), 2024, ROWS)
    assert any("samma innehåll" in m.text for m in same.messages if m.level is Level.FEL)


def test_workbook_units_and_signs_exact():
    assert in_workbook(-123456, "kr", True) == Decimal("1234.56")
    assert str(in_workbook(-123456, "tkr", True)) == "1.23456"
    assert str(in_workbook(123456, "mnkr", False)) == "0.00123456"
    assert str(in_workbook(500_000_000, "tkr", True)) == "-5000"
    assert str(in_workbook(-100, "kr", False)) == "-1"
