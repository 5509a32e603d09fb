"""followup-xl import on the shipped workbooks: ledger files (the example's own SIE file,
CSV and SIE files built here) fill Utfall, Manadsbudget and Omappat exactly, the
Import_* names say what was read, the workbook is computed as calc does, and bad input
leaves every cell but Kontroll untouched."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from followup_xl.workbook.xlsx_file import open_workbook
from workbooks import (EXAMPLE, ROOT, TEMPLATE, assert_only_kontroll_changed, cell_values,
                       copy_of, kontroll_rows, layout_of, name_cell, parts, run, set_cells,
                       table_cell)

LEDGER = ROOT / "workbook" / "exempel_huvudbok.se"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Maj", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dec")


def table(path, name) -> list[dict]:
    wb = load_workbook(path, data_only=True)
    t = open_workbook(path)[0].table(name)
    ws = wb[t.sheet]
    headers = [h for h in t.columns]
    rows = []
    for r in range(t.first_row, t.last_row + 1):
        row = {h: ws[f"{t.columns[h]}{r}"].value for h in headers}
        if any(v is not None for v in row.values()):
            rows.append(row)
    return rows


def named(path, name):
    sheet, cell = name_cell(path, name)
    return load_workbook(path, data_only=True)[sheet][cell].value


def exact(value):
    return None if value is None else Decimal(repr(value)) if isinstance(value, float) \
        else Decimal(value)


def monthly(rows) -> dict[str, list]:
    return {r["rad"]: [exact(r[m.casefold()]) for m in MONTHS] for r in rows}


def _empty_utfall(book):
    """Through the lossless writer, so that the formulas' cached values stay."""
    from followup_xl.xlsx.patch import patch_workbook
    t = layout_of(book).table("Utfall")
    patch_workbook(book, book, {t.sheet: {f"{t.column(h)}{r}": None for r in
                                          range(t.first_row, t.last_row + 1)
                                          for h in ("Rad",) + MONTHS}})
    assert table(book, "Utfall") == []


def test_the_examples_own_ledger_reproduces_its_actuals(tmp_path, capsys):
    """Utfall emptied, then imported from workbook/exempel_huvudbok.se: the actuals of
    src/exempel.toml to the öre, and every computed cell as calc computes the shipped
    example (which carries those actuals)."""
    data = tomllib.loads((ROOT / "workbook" / "src" / "exempel.toml").read_text("utf-8"),
                         parse_float=Decimal)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    calculated = copy_of(EXAMPLE, tmp_path / "a")
    assert run(capsys, "calc", calculated)[0] == 0
    book = copy_of(EXAMPLE, tmp_path / "b")
    _empty_utfall(book)
    code, out, err = run(capsys, "import", book, LEDGER)
    assert code == 0, err
    assert "Importerat: exempel_huvudbok.se (" in out and "Kontroll: OK" in out
    expected = {row: [Decimal(v) for v in months] + [None] * 7
                for row, months in data["utfall"].items()}
    assert monthly(table(book, "Utfall")) == expected
    assert table(book, "Omappat") == [] and exact(named(book, "Import_Omappat")) == 0
    total = sum(sum(v) for v in (m[:5] for m in expected.values()))
    assert exact(named(book, "Import_Summa")) == total
    assert named(book, "Import_Filer").startswith("exempel_huvudbok.se (")
    assert named(book, "Kontroll_Status") == "OK"
    drift = layout_of(book).table("Drift").sheet
    computed = {k: v for k, v in cell_values(calculated).items() if k[0] == drift}
    imported = {k: v for k, v in cell_values(book).items() if k[0] == drift}
    assert imported == computed


def write_csv(tmp_path, rows, name="huvudbok.csv", encoding="cp1252"):
    path = tmp_path / name
    lines = ["Huvudbok Socialnämnden;;;;", "Konto;Ansvar;Verksamhet;Period;Belopp;Budget"]
    lines += [";".join(r) for r in rows]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def test_csv_with_budget_into_the_template_in_kr_and_ledger_signs(tmp_path, capsys):
    book = copy_of(TEMPLATE, tmp_path)
    set_cells(book, [(name_cell(book, "Ar"), 2025), (name_cell(book, "Enhet"), "kr"),
                     (name_cell(book, "Teckenkonvention"), "Kostnader positiva")])
    path = write_csv(tmp_path, [
        ("50110", "1101", "510", "202501", "1 234,56", "1 000,00"),
        ("50110", "1101", "510", "202502", "-0,56", "1 000,00"),
        ("39990", "", "", "202501", "-20 000 000,00", "-20 000 000,00"),
        ("19300", "", "", "202501", "7,00", ""),
        ("86000", "1101", "", "202503", "12,34-", "")])
    code, out, err = run(capsys, "import", book, path)
    assert code == 0, err
    utfall = monthly(table(book, "Utfall"))
    # months after the last one with a mapped amount (February) stay empty
    assert utfall == {"Personalkostnader": [Decimal("1234.56"), Decimal("-0.56")] + [None] * 10,
                      "Kommunbidrag": [Decimal("-20000000"), 0] + [None] * 10}
    budget = monthly(table(book, "Manadsbudget"))
    assert budget["Personalkostnader"][:2] == [1000, 1000]
    assert [(r["konto"], exact(r["belopp"]), r["antal rader"]) for r in table(book, "Omappat")
            ] == [("86000", Decimal("-12.34"), 1)]
    summa, omappat = exact(named(book, "Import_Summa")), exact(named(book, "Import_Omappat"))
    assert summa == Decimal("1234.56") - Decimal("0.56") - 20_000_000 - Decimal("12.34")
    assert summa == sum(v for row in utfall.values() for v in row if v) + omappat
    assert "Varning: 1 kombinationer" in err and "balanskonton" in err


SIE = """#FLAGGA 0
#FORMAT PC8
#SIETYP 3
#RAR 0 20240101 20241231
#DIM 1 "Ansvar"
#PSALDO 0 202401 5011 {} 100000.00
#PSALDO 0 202401 5011 {1 "110"} 60000.00
#PSALDO 0 202401 5011 {1 "120"} 40000.00
#PBUDGET 0 202401 5011 {} 90000.00
#PBUDGET 0 202401 5011 {1 "110"} 90000.00
"""


def test_sie_3_objects_follow_an_ansvar_row_of_the_mapping(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    mapping = layout_of(book).table("Mappning")
    n = len(mapping.rows) if mapping.rows else mapping.last_row - mapping.first_row + 1
    row = [i for i in range(n)
           if load_workbook(book)[mapping.sheet][table_cell(book, "Mappning", i, "Konto")[1]]
           .value == "50-59"][0]
    set_cells(book, [(table_cell(book, "Mappning", row, "Ansvar"), "110")])
    ledger = tmp_path / "objekt.se"
    ledger.write_bytes(SIE.encode("cp437"))
    code, out, err = run(capsys, "import", book, ledger)
    assert code == 0, err
    utfall = monthly(table(book, "Utfall"))
    assert utfall["Personalkostnader"][0] == Decimal(-60)  # tkr, costs negative
    assert [(r["konto"], r["ansvar"], exact(r["belopp"])) for r in table(book, "Omappat")] \
        == [("5011", "120", Decimal(-40))]
    assert monthly(table(book, "Manadsbudget"))["Personalkostnader"][0] == Decimal(-90)


@pytest.mark.parametrize("case", ["ledger line", "mapping conflict", "other year"])
def test_bad_input_writes_only_kontroll(tmp_path, capsys, case):
    book = copy_of(EXAMPLE, tmp_path)
    path = write_csv(tmp_path, [("50110", "1", "1", "202401", "10,00", "")])
    where = None
    if case == "ledger line":
        path = write_csv(tmp_path, [("50110", "1", "1", "202401", "tio", "")])
        quoted = "Rad 3 i 'huvudbok.csv'"
    elif case == "mapping conflict":
        sheet, cell = table_cell(book, "Mappning", 0, "Konto")
        first = load_workbook(book)[sheet][cell].value
        sheet2, cell2 = table_cell(book, "Mappning", 1, "Konto")
        set_cells(book, [((sheet2, cell2), first)])
        where = table_cell(book, "Mappning", 0, "Rad")
        quoted = "lika specifika"
    else:
        path = write_csv(tmp_path, [("50110", "1", "1", "202301", "10,00", "")])
        quoted = "har inga belopp för 2024"
    before_parts, before_cells = parts(book), cell_values(book)
    code, out, err = run(capsys, "import", book, path)
    assert code == 1 and quoted in err and "Traceback" not in out + err
    rows = kontroll_rows(book)
    assert any(r[0] == "Fel" and quoted in r[3] for r in rows)
    if where:
        assert where in {(r[1], r[2]) for r in rows if r[0] == "Fel"}
    assert_only_kontroll_changed(before_parts, before_cells, book)


def test_usage_and_missing_files(tmp_path, capsys):
    book = copy_of(EXAMPLE, tmp_path)
    code, _, err = run(capsys, "import", book)
    assert code == 2 and "HUVUDBOK" in err
    code, _, err = run(capsys, "import", book, tmp_path / "saknas.se")
    assert code == 1 and "'saknas.se' kan inte läsas (filen finns inte)" in err
    code, _, err = run(capsys, "import", book, LEDGER, "-o", tmp_path / "ut.xlsx")
    assert code == 2 and "filändelse" in err
    csv = write_csv(tmp_path, [("50110", "1", "1", "202401", "10,00", "")])
    code, _, err = run(capsys, "import", "--format", "sie", book, csv)
    assert code == 1 and "ingen SIE-fil" in err
    code, _, err = run(capsys, "import", "--format", "csv", book, csv)
    assert code == 0, err


def test_calc_and_the_ledger_readers_do_not_load_pandas_or_arrow_until_needed():
    import subprocess
    import sys
    code = ("import sys, followup_xl.doors.cli, followup_xl.jobs.calc, "
            "followup_xl.ledger.reading, followup_xl.jobs.import_ledger; "
            "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_a_csv_import_never_loads_pandas(tmp_path):
    """pyarrow imports pandas (0,14 s) whenever a Python value becomes an Arrow scalar or
    a column goes to NumPy its own way; a well-formed CSV's path avoids both (a file with
    bad amounts may load it to quote them)."""
    import subprocess
    import sys
    book = copy_of(EXAMPLE, tmp_path)
    csv = write_csv(tmp_path, [("50110", "1", "1", "202401", "-1 234,56", ""),
                               ("3010", "1", "1", "202402", "2 000", ""),
                               ("4610", "", "", "2024-03", "12-", "")])
    code = ("import sys; from followup_xl.doors.cli import main; "
            f"main(['import', {str(book)!r}, {str(csv)!r}]); "
            "print('PANDAS', 'pandas' in sys.modules)")
    run_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Resultaten är skrivna" in run_.stdout, run_.stderr
    assert "PANDAS False" in run_.stdout


def test_the_format_choices_are_the_ledger_readers():
    from followup_xl.doors.cli import IMPORT_FORMATS
    from followup_xl.ledger.reading import READERS
    assert set(IMPORT_FORMATS) == {"auto", *READERS}


def _with_table_xml(book, table: str, old: bytes, new: bytes) -> None:
    """``book`` with one Excel Table's part edited (``old`` replaced by ``new``)."""
    import zipfile
    from workbooks import table_part
    name, data = table_part(book, table), parts(book)
    assert old in data[name]
    data[name] = data[name].replace(old, new, 1)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for part, content in data.items():
            z.writestr(part, content)


@pytest.mark.parametrize("change,said", [
    ((b'name="Maj"', b'name="Maj x"'), "Tabellen 'Utfall' saknar kolumnen 'Maj'"),
    ((b'name="Utfall" displayName="Utfall"', b'name="UtfallX" displayName="UtfallX"'),
     "Arbetsboken saknar tabellen 'Utfall'"),
])
def test_an_utfall_table_that_cannot_keep_the_months_refuses_the_import(tmp_path, capsys,
                                                                          change, said):
    """Without a month column (or the table) the imported actuals could be computed but
    not kept: the import is refused, naming what is missing, and only Kontroll changes."""
    book = copy_of(EXAMPLE, tmp_path)
    _with_table_xml(book, "Utfall", *change)
    before_parts, before_cells = parts(book), cell_values(book)
    code, out, err = run(capsys, "import", book, LEDGER)
    assert code == 1 and said in err and "Traceback" not in out + err
    assert any(r[0] == "Fel" and said in r[3] for r in kontroll_rows(book))
    assert_only_kontroll_changed(before_parts, before_cells, book)
