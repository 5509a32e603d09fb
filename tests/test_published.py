"""Real published tables (tests/published, transcribed from public Swedish follow-ups;
README there says where each comes from): typed into the template as an economist would,
computed with followup-xl calc, and read back from the cells. The computed deviations,
shares and riktpunkt are the published ones, to the printed digit; totals computed from
the printed rows differ from the printed totals only by the printed rounding the
transcription notes."""

import tomllib
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from followup_xl.doors.cli import main
from workbooks import drift_cell, load_build_module, name_cell

PUBLISHED = Path(__file__).parent / "published"
build = load_build_module()


def published(name: str) -> dict:
    return tomllib.loads((PUBLISHED / f"{name}.toml").read_text("utf-8"), parse_float=D)


def as_example(table: dict, row_names=None) -> dict:
    """The published table as the template's example data: its rows as the Drift tree,
    Budget and Prognos typed; Utfall ack and Budget ack where printed, as the months'
    actuals and monthly budget (what is printed for the months passed stands in the
    first month; the rest of the year's budget in the last)."""
    rows = [r for r in table["rad"] if row_names is None or r["namn"] in row_names]
    parents = {r["ingar_i"] for r in rows if r["ingar_i"]}
    data = {"rader": [[r["namn"], r["ingar_i"]] for r in rows],
            "installningar": {"Ar": table["ar"], "Period": table["period"],
                              "Enhet": table["enhet"],
                              "Teckenkonvention": table["teckenkonvention"],
                              "Namnd": table["kalla"]["namnd"]},
            "drift": {}, "utfall": {}, "manadsbudget": {}}
    for r in rows:
        if r["namn"] in parents:
            continue
        forecast = r.get("prognos", r["budget"])
        data["drift"][r["namn"]] = {"budget": float(r["budget"]), "prognos": float(forecast)}
        if "utfall_ack" in r:
            data["utfall"][r["namn"]] = [float(r["utfall_ack"])]
        if "budget_ack" in r:
            rest = r["budget"] - r["budget_ack"]
            data["manadsbudget"][r["namn"]] = [float(r["budget_ack"])] + [0.0] * 10 + [
                float(rest)]
    return data


def computed(tmp_path, capsys, data) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    book = build.build_example(tmp_path / "publicerad.xlsm", data=data)
    code = main(["calc", str(book)])
    _, err = capsys.readouterr()
    assert code == 0, err
    return book


def cell(book, name, column):
    sheet, address = drift_cell(book, name, column)
    return load_workbook(book, data_only=True)[sheet][address].value


def shown(value, decimals=0) -> D:
    return D(str(value)).quantize(D(1).scaleb(-decimals), rounding="ROUND_HALF_UP")


def test_kulturnamnden_oktober_2021(tmp_path, capsys):
    """Period 10, tkr, costs negative: actuals and periodised budget for January–October
    beside the year's forecast and budget, per verksamhet and in total."""
    table = published("kulturnamnden-oktober-2021")
    book = computed(tmp_path, capsys, as_example(table))
    printed = {r["namn"]: r for r in table["rad"]}
    leaves = [n for n, r in printed.items() if r["ingar_i"]]
    for name in leaves:
        r = printed[name]
        assert shown(cell(book, name, "Budget ack")) == r["budget_ack"], name
        assert shown(cell(book, name, "Utfall ack")) == r["utfall_ack"], name
        assert shown(cell(book, name, "Avvikelse")) == r["avvikelse"], name
        deviation_ack = shown(cell(book, name, "Avvikelse ack"))
        assert deviation_ack == r["utfall_ack"] - r["budget_ack"], name
        # printed from unrounded amounts: one row is printed one unit off its own figures
        assert abs(deviation_ack - r["avvikelse_ack"]) <= 1, name
    # the total, computed from the six printed (rounded) rows, is the printed total
    # within what six rows rounded one by one can carry: half a unit each
    total = printed["Summa driftredovisning"]
    tolerance = D("0.5") * len(leaves)
    for column, key in (("Utfall ack", "utfall_ack"), ("Budget ack", "budget_ack"),
                        ("Avvikelse ack", "avvikelse_ack"), ("Prognos", "prognos"),
                        ("Budget", "budget"), ("Avvikelse", "avvikelse")):
        got = shown(cell(book, "Summa driftredovisning", column))
        assert abs(got - total[key]) <= tolerance, column
        assert got == sum(shown(cell(book, n, column)) for n in leaves), column
    sheet, address = name_cell(book, "Riktpunkt")
    assert load_workbook(book, data_only=True)[sheet][address].value == pytest.approx(10 / 12)


def test_kultur_och_fritidsnamnd_april_2016_in_ledger_signs(tmp_path, capsys):
    """Period 4, costs positive: the actuals as a share of the year's budget (printed
    with one decimal) against the riktpunkt 4/12, and Avvikelse = Budget - Prognos."""
    table = published("kultur-och-fritidsnamnd-april-2016")
    for row in table["rad"]:
        data = as_example({**table, "rad": [{**row, "ingar_i": "Nämnden"},
                                            {"namn": "Nämnden", "ingar_i": "",
                                             "budget": row["budget"]}]})
        book = computed(tmp_path / row["namn"][:4], capsys, data)
        name = row["namn"]
        assert shown(D(str(cell(book, name, "Utfall %"))) * 100, 1) == row["utfall_procent"]
        assert shown(cell(book, name, "Avvikelse")) == row["avvikelse"]
        assert shown(cell(book, name, "Utfall ack")) == row["utfall_ack"]
        sheet, address = name_cell(book, "Riktpunkt")
        riktpunkt = load_workbook(book, data_only=True)[sheet][address].value
        assert shown(D(str(riktpunkt)) * 100, 1) == D("33.3")


def test_tyreso_kommunstyrelsen_2018_at_year_end(tmp_path, capsys):
    """Period 12, mnkr, costs positive: net cost against kommunbidrag per verksamhet, two
    verksamheter with no budget at all. At year end Budget ack is the year's budget, and
    the ack deviation is the published Avvikelse (kommunbidrag - nettokostnad)."""
    table = published("tyreso-kommunstyrelsen-2018")
    rows = [{**r, "prognos": r["utfall_ack"]} for r in table["rad"]]
    book = computed(tmp_path, capsys, as_example({**table, "rad": rows}))
    printed = {r["namn"]: r for r in rows}
    assert sum(1 for r in rows if r["ingar_i"] and r["budget"] == 0) == 2  # as the docstring
    for name, r in printed.items():
        if not r["ingar_i"]:
            continue
        assert shown(cell(book, name, "Budget ack"), 1) == r["budget"], name
        assert shown(cell(book, name, "Avvikelse ack"), 1) == r["avvikelse"], name
        if r["budget"] == 0:
            assert cell(book, name, "Utfall %") is None, name  # no budget: no share
    total = next(r for r in rows if not r["ingar_i"])
    assert abs(shown(cell(book, total["namn"], "Avvikelse ack"), 1) - total["avvikelse"]) \
        <= D("0.1")
