"""The monthly columns: periodisation, actuals, suggestions, Summeras ej, accuracy."""

from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl import contract as c
from followup_xl.domain import monthly
from followup_xl.domain.engine import compute
from followup_xl.domain.model import (DriftRow, FollowUp, HistoryRow, Level, Loc, Months,
                                      Settings)

def months(*values):
    return tuple(D(str(v)) if v is not None else None for v in values) + \
        (None,) * (12 - len(values))


def tree(**settings_):
    """A small tree: two cost leaves and an income leaf under a total, a kommunbidrag."""
    rows = (DriftRow("Intäkter", "Netto", D(1200), D(1200)),
            DriftRow("Personal", "Kostnader", D(-6000), D(-6100)),
            DriftRow("Köpt vård", "Kostnader", D(-2400), D(-2600)),
            DriftRow("Kostnader", "Netto"),
            DriftRow("Netto", "Resultat"),
            DriftRow("Kommunbidrag", "Resultat", D(7200), D(7200)),
            DriftRow("Resultat", None))
    return FollowUp(Settings(year=2024, period=settings_.pop("period", 4), **settings_),
                    rows)


def levels(result, level):
    return [m for m in result.messages if m.level is level]


def test_lika_per_manad_and_actuals_with_every_column():
    fu = replace(tree(), actuals=(
        Months("Personal", months(-480, -500, -520, -510), 0),
        Months("Köpt vård", months(-220, -230, -240, -250), 1),
        Months("Intäkter", months(100, 100, 100, 100), 2),
        Months("Kommunbidrag", months(600, 600, 600, 600), 3)))
    r = compute(fu)
    assert r.ok, r.messages
    personal = r.row("Personal")
    assert personal.budget_ack == -2000 and personal.actual_ack == -2010
    assert personal.deviation_ack == -10  # worse than the periodised budget
    assert personal.actual_share == D(-2010) / D(-6000)
    assert personal.suggestion == -6010  # Utfall + återstående budget
    assert personal.change is None  # no previous forecast
    assert r.row("Kostnader").actual_ack == -2950 and r.row("Kostnader").budget_ack == -2800
    assert r.row("Resultat").budget_ack == 0 and r.row("Resultat").deviation_ack == -150
    assert r.riktpunkt == D(1) / D(3)
    assert r.has_actuals and r.budget_base == 7200


def test_no_actuals_leaves_the_actual_columns_empty():
    r = compute(tree())
    row = r.row("Personal")
    assert row.budget_ack == -2000
    assert (row.actual_ack, row.deviation_ack, row.suggestion) == (None, None, None)
    assert not r.has_actuals


def test_a_balanced_budget_periodises_to_exactly_zero():
    fu = replace(tree(period=5), rows=tuple(
        replace(r, budget=D("-6000.01") if r.name == "Personal" else
                D("7200.01") if r.name == "Kommunbidrag" else r.budget) for r in tree().rows))
    r = compute(fu)
    assert r.row("Resultat").budget == 0 and r.row("Resultat").budget_ack == 0


def test_kalenderdagar_counts_the_leap_day():
    r = compute(tree(period=2, period_key="Kalenderdagar"))
    assert r.row("Personal").budget_ack == D(-6000) * 60 / 366
    r = compute(replace(tree(period=2, period_key="Kalenderdagar"),
                        settings=Settings(year=2023, period=2, period_key="Kalenderdagar")))
    assert r.row("Personal").budget_ack == D(-6000) * 59 / 365


def test_monthly_budget_wins_over_the_key_and_last_years_profile():
    fu = replace(tree(period=3, period_key="Föregående års utfall"),
                 monthly_budget=(Months("Köpt vård", months(-100, -100, -900), 0),),
                 actuals_last_year=(Months("Personal", months(*([-400] * 6 + [-600] * 6)), 0),))
    r = compute(fu)
    assert r.row("Köpt vård").budget_ack == -1100  # its own months
    assert r.row("Personal").budget_ack == D(-6000) * 1200 / 6000  # last year's profile
    assert r.row("Personal").actual_ack_last_year == -1200
    # rows without last year's actuals fall back to Lika, with a Varning naming the key
    warned = {m.text.split("'")[1] for m in levels(r, Level.VARNING) if "UtfallFg" in m.text}
    assert warned == {"Intäkter", "Kommunbidrag"}
    assert r.row("Intäkter").budget_ack == 300


def test_a_named_key_and_a_row_of_its_own():
    summer = tuple(D(x) for x in ("0.05", "0.05", "0.05", "0.05", "0.05", "0.05", "0.1",
                                  "0.1", "0.1", "0.1", "0.1", "0.2"))
    fu = replace(tree(period=6), keys=(Months("Sommar", summer),),
                 rows=tuple(replace(r, key="sommar") if r.name == "Personal" else r
                            for r in tree().rows))
    r = compute(fu)
    assert r.ok, r.messages
    assert r.row("Personal").budget_ack == D(-6000) * D("0.3")
    assert r.row("Köpt vård").budget_ack == -1200  # the default key


@pytest.mark.parametrize("shares,fel", [
    (("0.0833",) * 12, "99,96 %"),
    (("0.5", "-0.1", "0.6") + ("0",) * 9, "negativ"),
])
def test_a_key_that_does_not_sum_to_100_percent_is_a_fel_naming_it(shares, fel):
    fu = replace(tree(), keys=(Months("Egen", tuple(D(s) for s in shares), 3),))
    r = compute(fu)
    (err,) = levels(r, Level.FEL)
    assert fel in err.text and err.loc == Loc(c.PERIODISERINGSNYCKLAR, 3, c.PNY_NYCKEL)


def test_an_unknown_key_is_a_fel_naming_where_it_is_typed():
    r = compute(tree(period_key="Kvartal"))
    (err,) = levels(r, Level.FEL)
    assert "'Kvartal'" in err.text and err.loc == Loc(c.PERIODISERING)
    fu = replace(tree(), rows=tuple(replace(r, key="Kvartal") if r.name == "Personal" else r
                                    for r in tree().rows))
    (err,) = levels(compute(fu), Level.FEL)
    assert err.loc == Loc(c.DRIFT, 1, c.DRIFT_NYCKEL)


@pytest.mark.parametrize("name,at,text", [
    ("Okänd rad", 0, "finns inte i Drift"), ("Kostnader", 0, "summeringsrad")])
def test_utfall_rows_must_be_drift_leaf_rows(name, at, text):
    fu = replace(tree(), actuals=(Months(name, months(1), at),))
    (err,) = levels(compute(fu), Level.FEL)
    assert text in err.text and err.loc == Loc(c.UTFALL, at, c.MONTHLY_RAD)


@pytest.mark.parametrize("method,expected", [
    ("Utfall + återstående budget", D(-2010) + D(-6000) - D(-2000)),
    ("Linjär", D(-2010) * 12 / 4),
    ("Budgetprofil", D(-2010) * D(-6000) / D(-2000)),
])
def test_forecast_suggestions(method, expected):
    fu = replace(tree(forecast_method=method),
                 actuals=(Months("Personal", months(-480, -500, -520, -510), 0),))
    r = compute(fu)
    assert r.row("Personal").suggestion == monthly.as_decimal(Fraction(expected))
    assert r.row("Köpt vård").suggestion is None  # no actuals: no suggestion …
    assert not [m for m in r.messages if "'Köpt vård'" in m.text]  # … and no message
    # a total's suggestion: its rows' suggestions, the economist's forecast where none
    assert r.row("Kostnader").suggestion == r.row("Personal").suggestion + D(-2600)


def test_last_years_profile_suggestion_and_an_undefined_one():
    fu = replace(tree(forecast_method="Föregående års profil"),
                 actuals=(Months("Personal", months(-500, -500, -500, -500), 0),
                          Months("Köpt vård", months(-100), 1)),
                 actuals_last_year=(Months("Personal", months(*([-450] * 12)), 0),))
    r = compute(fu)
    assert r.row("Personal").suggestion == -6000  # -2000 × 5400 / 1800
    assert r.row("Köpt vård").suggestion is None
    (info,) = [m for m in levels(r, Level.INFO) if "prognosförslag" in m.text.lower()]
    assert info.loc == Loc(c.DRIFT, 2, c.DRIFT_PROGNOSFORSLAG)


def test_a_forecast_far_from_its_suggestion_is_named():
    # Köpt vård runs at -400 a month: the suggestion is -1600 + -2400 + 800 = -3200,
    # 600 from the forecast -2600: over 10 % of the budget (240) and 1 % of 7 200 (72)
    fu = replace(tree(), actuals=(Months("Köpt vård", months(-400, -400, -400, -400), 0),
                                  Months("Personal", months(-500, -500, -500, -500), 1)))
    r = compute(fu)
    (w,) = [m for m in levels(r, Level.VARNING) if "prognosförslaget" in m.text]
    assert w.loc == Loc(c.DRIFT, 2, c.DRIFT_PROGNOS) and "600" in w.text
    quieter = compute(replace(fu, settings=replace(fu.settings, forecast_threshold=D("0.3"))))
    assert not [m for m in quieter.messages if "prognosförslaget" in m.text]


def test_kalenderdagar_without_a_year_is_one_error_for_the_workbook():
    fu = tree(period=2, period_key="Kalenderdagar")
    r = compute(replace(fu, settings=replace(fu.settings, year=None)))
    (fel,) = levels(r, Level.FEL)
    assert fel.loc == Loc(c.AR) and "Kalenderdagar" in fel.text
    assert compute(replace(tree(period=2), settings=Settings(period=2))).ok


def test_summeras_ej_is_shown_but_left_out_of_every_sum():
    rows = tree().rows[:3] + (DriftRow("Interna poster", "Kostnader", D(-500), D(-500),
                                       not_summed=True),) + tree().rows[3:]
    fu = replace(tree(), rows=rows, actuals=(Months("Interna poster", months(-100), 0),
                                             Months("Personal", months(-500), 1)))
    r = compute(fu)
    assert r.ok
    assert r.row("Kostnader").budget == -8400 and r.row("Kostnader").actual_ack == -500
    assert r.row("Interna poster").budget_ack == D(-500) / 3
    assert r.row("Interna poster").not_summed
    (info,) = [m for m in levels(r, Level.INFO) if "summeras inte" in m.text]
    assert info.loc == Loc(c.DRIFT, 3, c.DRIFT_SUMMERAS_EJ)


def test_a_total_whose_every_part_is_not_summed_sums_to_zero_beside_periodised_totals():
    rows = tree().rows[:3] + (DriftRow("Interna poster", "Interna", D(-500), D(-500),
                                       not_summed=True),
                              DriftRow("Interna", "Kostnader")) + tree().rows[3:]
    r = compute(replace(tree(), rows=rows, actuals=(Months("Personal", months(-500), 0),)))
    assert r.ok, r.messages
    assert r.row("Interna").budget == 0 and r.row("Interna").budget_ack == 0
    assert r.row("Kostnader").budget_ack == D(-8400) / 3
    assert r.row("Kostnader").actual_ack == -500


def test_forecast_accuracy_at_year_end():
    fu = replace(tree(period=12),
                 actuals=(Months("Personal", months(*([-505] * 12)), 0),
                          Months("Köpt vård", months(*([-210] * 12)), 1),
                          Months("Intäkter", months(*([100] * 12)), 2),
                          Months("Kommunbidrag", months(*([600] * 12)), 3)),
                 history=(HistoryRow(4, "Resultat", D(-300)), HistoryRow(5, "Resultat", D(-150)),
                          HistoryRow(5, "Personal", D(-6100))))
    r = compute(fu)
    assert r.row("Resultat").actual_ack == -180  # -15 a month
    assert [(a.period, a.forecast, a.outcome, a.error) for a in r.accuracy] == [
        (4, -300, -180, 120), (5, -150, -180, -30)]
    assert r.accuracy[0].share == D(120) / D(7200)


def test_the_change_since_last_months_forecast_is_positive_when_better():
    rows = tuple(replace(r, previous_forecast=D(-2500)) if r.name == "Köpt vård" else
                 replace(r, previous_forecast=r.forecast) for r in tree().rows)
    r = compute(replace(tree(), rows=rows))
    assert r.row("Köpt vård").change == -100  # -2 600 against -2 500: worse
    assert r.row("Resultat").change == -100


# --- Properties -----------------------------------------------------------------------------

@given(st.integers(min_value=1900, max_value=2200))
def test_kalenderdagar_over_twelve_months_is_exactly_one(year):
    assert monthly.calendar_share(year, 12) == 1
    assert monthly.calendar_share(year, 0) == 0


amounts = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False,
                      allow_infinity=False)
shares = st.lists(st.integers(min_value=0, max_value=100), min_size=12, max_size=12).filter(
    lambda xs: sum(xs) > 0)


@settings(max_examples=150)
@given(st.lists(st.tuples(amounts, st.lists(amounts, min_size=12, max_size=12)),
                min_size=1, max_size=6),
       st.integers(min_value=1, max_value=12),
       st.sampled_from(["Lika per månad", "Kalenderdagar", "Föregående års utfall", "Egen"]),
       shares, st.lists(amounts, min_size=12, max_size=12))
def test_totals_are_the_sums_of_their_leaves_and_period_12_is_the_year(
        leaves, period, key, weights, last_year):
    total = sum(weights)
    own_key = Months("Egen", tuple(D(w) / D(total) for w in weights[:11])
                     + (1 - sum(D(w) / D(total) for w in weights[:11]),))
    rows = tuple(DriftRow(f"Rad {i}", "Summa" if i % 2 else "Mellan", budget, budget)
                 for i, (budget, _) in enumerate(leaves)) + (
        DriftRow("Mellan", "Summa"), DriftRow("Summa", None))
    actuals = tuple(Months(f"Rad {i}", tuple(m), i) for i, (_, m) in enumerate(leaves))
    fg = tuple(Months(f"Rad {i}", tuple(last_year), i) for i in range(len(leaves)))
    fu = FollowUp(Settings(year=2024, period=period, period_key=key), rows, actuals=actuals,
                  actuals_last_year=fg, keys=(own_key,))
    r = compute(fu)
    assert r.ok, [m.text for m in r.messages if m.level is Level.FEL]
    leaf_rows = [r.row(f"Rad {i}") for i in range(len(leaves))]
    for total_name, members in (("Summa", leaf_rows),
                                ("Mellan", [x for i, x in enumerate(leaf_rows) if i % 2 == 0])):
        t = r.row(total_name)
        for column in ("budget_ack", "actual_ack", "deviation_ack", "actual_ack_last_year"):
            expected = sum((getattr(x, column) for x in members), D(0))
            assert abs(getattr(t, column) - expected) <= D("1e-20"), (total_name, column)
    if period == 12:
        for x in leaf_rows:
            assert x.budget_ack == x.budget, key
