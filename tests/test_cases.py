"""The building committee a new user filled the template with (tests/cases): mnkr,
ledger-style signs and a tree of verksamheter with intermediate totals."""

import tomllib
from decimal import Decimal as D
from pathlib import Path

import pytest

from followup_xl.domain.engine import compute
from followup_xl.jobs.calc import check
from followup_xl.report.text import SAMMANFATTNING, draft
from followup_xl.workbook.layout import excel_address
from seed import in_other_signs
from workbooks import drift_cell, load_build_module, run, set_cells

CASE = Path(__file__).parent / "cases" / "byggnadsnamnd.toml"
build = load_build_module()


@pytest.fixture
def book(tmp_path):
    return build.build_example(tmp_path / "byggnadsnamnd.xlsm",
                               data=tomllib.loads(CASE.read_text("utf-8")))


def test_the_case_computes_cleanly_in_ledger_signs(book, capsys):
    code, out, err = run(capsys, "calc", book)
    assert code == 0 and "Kontroll: OK" in out, err
    result = check(book).result
    assert result.row("Bygglov").budget == D("3.2") and result.row("Bygglov").is_total
    assert result.row("Årets resultat").forecast == D("0.8")  # a deficit, ledger style
    assert result.row("Årets resultat").deviation == D("-0.8")
    # a temporary vacancy surplus of 0,2 typed as 0,2: structural deficit 0,8 + 0,2
    assert result.structural.deficit == D("1.0")


def test_a_value_typed_into_a_total_row_is_named(book, capsys):
    assert run(capsys, "calc", book)[0] == 0
    cell = drift_cell(book, "Planverksamhet", "Prognos")
    set_cells(book, [(cell, 9.9)])
    code, out, err = run(capsys, "calc", book)
    assert code == 0
    (w,) = [line for line in err.splitlines() if line.startswith("Varning")]
    assert excel_address(*cell) in w and "9,9" in w and "9,7" in w


def test_text_and_table_agree_and_one_offs_mean_the_same_in_both_conventions(book):
    ledger = check(book).result
    fu = ledger.followup
    report = draft(ledger, fu)
    table = {r.name: r.cells for r in report.table().rows}
    assert table["Årets resultat"][2] == "0,8"
    summary = " ".join(b.text for b in report.section(SAMMANFATTNING).blocks)
    assert "årets resultat på 0,8 mnkr, det vill säga ett underskott" in summary
    # the same facts with costs negative: the same structural deficit
    negated = in_other_signs(fu)
    seed_style = compute(negated)
    assert seed_style.structural.deficit == ledger.structural.deficit == D("1.0")
    table = {r.name: r.cells for r in draft(seed_style, negated).table().rows}
    assert table["Årets resultat"][2] == "-0,8"
    assert "på -0,8 mnkr, det vill säga ett underskott" in draft(seed_style, negated).text()
