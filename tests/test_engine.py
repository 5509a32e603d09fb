"""The engine on the seed's figures and on every rule of the follow-up."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup_xl.domain import engine
from followup_xl.domain.engine import compute
from followup_xl.domain.model import (DriftRow, FollowUp, Level, Loc, Measure, OneOff, Settings,
                                      Workforce)
from followup_xl.domain.swedish import decimals_of, format_amount, format_number, format_percent
from seed import NET, RESULT, SEED_PRINTED, in_other_signs, seed_followup, seed_rows


def levels(result, level):
    return [m for m in result.messages if m.level is level]


def test_seed_deviations_exact_and_levels_within_rounding():
    r = compute(seed_followup())
    assert r.ok
    for name, (budget, forecast, dev) in SEED_PRINTED.items():
        row = r.row(name)
        assert row.deviation == dev, name
        assert abs(row.budget - budget) <= 1 and abs(row.forecast - forecast) <= 1, name
    assert r.row(NET).budget == D(-245083)  # computed from the rounded rows
    assert r.budget_result == D(-1) and r.forecast_result == D(-3001)


def test_every_row_knows_its_depth_in_the_tree():
    result = compute(seed_followup())
    assert {r.name: r.depth for r in result.rows} == {
        RESULT: 0, NET: 1, "Kommunbidrag": 1, "Finansnetto": 1,
        "Verksamhetens kostnader": 2, "Verksamhetens intäkter": 2, "Personalkostnader": 3,
        "Lokalhyror": 3, "Köp av tjänster": 3, "Övriga kostnader": 3}


def test_seed_rounding_difference_is_reported_as_avrundning():
    r = compute(seed_followup())
    warnings = levels(r, Level.VARNING)
    assert len(warnings) == 1
    assert "avrundning" in warnings[0].text
    assert warnings[0].loc == Loc("Drift", 9, "Budget")
    assert r.status == "Varningar"


def test_seed_buffer_structural_and_plan():
    r = compute(seed_followup())
    assert r.buffer.amount == D("3676.23")
    assert r.buffer.left == 0 and r.buffer.coverage == 0
    assert r.structural.deficit == 4500 and not r.structural.derived
    assert format_percent(r.structural.share) == "1,8 %"
    assert str(r.structural.share).startswith("0.018361201557")
    p = r.plan
    assert [m.full_year for m in p.measures] == [0, D("626.4"), D("626.4"), D("3247.2")]
    assert [m.this_year for m in p.measures] == [0, D("208.8"), D("208.8"), 0]
    assert format_percent(p.measures[1].workforce_share) == "1,3 %"
    assert format_percent(p.measures[2].workforce_share) == "1,4 %"
    assert p.measures[0].workforce_share is None and p.measures[3].workforce_share is None
    assert p.full_year == 4500 and p.this_year == D("417.6")
    assert p.coverage == 1 and p.uncovered == 0
    assert p.balance_year == 2025
    assert format_amount(p.full_year, "tkr", "mnkr") == "4,5 mnkr"
    assert format_amount(r.forecast_result, "tkr", "mnkr") == "-3,0 mnkr"


def test_ledger_style_signs_give_the_same_deviations():
    r = compute(in_other_signs(seed_followup()))
    assert r.ok
    for name, (_, _, dev) in SEED_PRINTED.items():
        assert r.row(name).deviation == dev, name
    assert r.buffer.amount == D("3676.23")  # the kommunbidrag is income: negative here
    assert r.row(RESULT).forecast == D(3001)


def test_mnkr_with_one_decimal_has_no_float_noise():
    rows = (DriftRow("Intäkter", "Netto", D("0.3"), D("0.1")),
            DriftRow("Kostnader", "Netto", D("-8.1"), D("-7.7")),
            DriftRow("Netto", None))
    r = compute(seed_followup(rows=rows, settings=Settings(unit="mnkr"), measures=(),
                              buffer_share=None, buffer_committed=None))
    assert r.row("Netto").budget == D("-7.8")
    assert str(r.row("Netto").budget) == "-7.8"
    assert str(r.row("Kostnader").deviation) == "0.4"


def test_kr_staff_effect_is_exact():
    assert engine.staff_effect(D(1), D(36000), D("0.45"), "tkr") == D("626.4")
    assert engine.staff_effect(D("0.5"), D(36000), D("0.45"), "kr") == 313200
    assert engine.staff_effect(D(1), D(36000), D("0.45"), "mnkr") == D("0.6264")


@pytest.mark.parametrize("start,months", [
    (dt.date(2024, 9, 1), 4), (dt.date(2024, 9, 2), 3), (dt.date(2024, 1, 1), 12),
    (dt.date(2024, 12, 15), 0), (dt.date(2025, 1, 1), 0), (dt.date(2023, 6, 1), 12)])
def test_months_this_year(start, months):
    assert engine.months_this_year(start, 2024) == months


def test_full_effect_year():
    assert engine.full_effect_year(dt.date(2025, 1, 1)) == 2025
    assert engine.full_effect_year(dt.date(2024, 9, 1)) == 2025
    assert engine.full_effect_year(dt.date(2024, 1, 2)) == 2025


def test_without_kommunbidrag_row_no_balance_check_and_no_buffer():
    rows = tuple(r for r in seed_rows() if r.name not in ("Kommunbidrag",))
    r = compute(seed_followup(rows=rows))
    assert r.ok and not r.has_kommunbidrag
    assert r.buffer is None
    assert r.structural.share is None
    assert not any("avrundning" in m.text or "balans" in m.text for m in r.messages
                   if m.level is Level.VARNING)
    assert any(m.level is Level.INFO and "Kommunbidrag" in m.text for m in r.messages)


def test_budget_not_in_balance_is_a_warning_without_avrundning():
    rows = tuple(replace(row, budget=D(240000)) if row.name == "Kommunbidrag" else row
                 for row in seed_rows())
    r = compute(seed_followup(rows=rows))
    (w,) = [m for m in levels(r, Level.VARNING) if "balans" in m.text]
    assert "avrundning" not in w.text


def test_balanced_budget_gives_no_warning():
    rows = tuple(replace(row, budget=D(245083)) if row.name == "Kommunbidrag" else row
                 for row in seed_rows())
    r = compute(seed_followup(rows=rows))
    assert r.status == "OK"


@pytest.mark.parametrize("rows,part", [
    ((DriftRow("A", "Saknas", D(1), D(1)), DriftRow("R", None)), "Ingår i"),
    ((DriftRow("A", "B", D(1), D(1)), DriftRow("B", "A"), DriftRow("R", None)), "Ingår i"),
    ((DriftRow("A", "R", D(1), D(1)), DriftRow("a", "R", D(1), D(1)), DriftRow("R", None)),
     "Rad"),
    ((DriftRow("A", None, D(1), D(1)), DriftRow("R", None)), "Ingår i"),
    ((DriftRow("A", "R", D(1), None), DriftRow("R", None)), "Prognos"),
    ((DriftRow("A", "R", None, D(1)), DriftRow("R", None)), "Budget"),
])
def test_tree_and_row_errors_name_the_cell(rows, part):
    r = compute(seed_followup(rows=rows))
    assert not r.ok
    (err,) = levels(r, Level.FEL)
    assert err.loc.part == "Drift" and err.loc.column == part


def test_cycle_message_names_the_rows():
    rows = (DriftRow("A", "B", D(1), D(1)), DriftRow("B", "C"), DriftRow("C", "A"),
            DriftRow("R", None))
    (err,) = levels(compute(seed_followup(rows=rows)), Level.FEL)
    assert "cirkel" in err.text and "A" in err.text and "C" in err.text


def test_empty_leaf_counts_as_zero_with_info():
    rows = (DriftRow("A", "R", D(5), D(7)), DriftRow("B", "R"), DriftRow("R", None))
    r = compute(seed_followup(rows=rows))
    assert r.ok and r.row("R").deviation == 2
    assert any(m.level is Level.INFO and m.loc.row == 1 for m in r.messages)


def test_buffer_coverage_partial_and_none_needed():
    r = compute(seed_followup(buffer_committed=D("2176.23")))
    assert r.buffer.left == 1500
    assert r.buffer.coverage == D(1500) / D(3001)
    rows = tuple(replace(row, forecast=row.budget) for row in seed_rows())
    r = compute(seed_followup(rows=rows, buffer_committed=D(0)))
    assert r.buffer.coverage == 1  # no forecast deficit to cover


def test_buffer_over_committed_is_an_error():
    r = compute(seed_followup(buffer_committed=D(4000)))
    (err,) = levels(r, Level.FEL)
    assert err.loc == Loc("Buffert_Intecknat")


def test_share_over_100_percent_is_an_error():
    r = compute(seed_followup(buffer_share=D("1.5")))
    (err,) = levels(r, Level.FEL)
    assert err.loc == Loc("Buffert_Andel") and "100" in err.text


def test_optional_parts_empty_give_info_and_no_output():
    r = compute(seed_followup(buffer_share=None, buffer_committed=None,
                              structural_deficit=None, measures=()))
    assert r.ok and r.buffer is None and r.structural is None and r.plan is None
    infos = {m.loc.part for m in levels(r, Level.INFO)}
    assert {"Buffert_Andel", "Strukturellt_Underskott", "Atgarder"} <= infos


def test_structural_deficit_derived_from_one_off_items():
    r = compute(seed_followup(structural_deficit=None,
                              one_offs=(OneOff("Tillfälliga vakanser", D(1000)),)))
    # forecast result -3 001, a one-off surplus of +1 000 hides a larger deficit
    assert r.structural.derived and r.structural.deficit == 4001


def test_plan_that_does_not_cover_the_deficit():
    fu = seed_followup()
    r = compute(replace(fu, measures=fu.measures[:3]))
    assert r.plan.balance_year == "Ej i balans"
    assert r.plan.uncovered == D("3247.2")
    assert r.plan.coverage == D("1252.8") / 4500


def test_missing_department_gives_empty_share_and_warning():
    fu = seed_followup(workforce=(Workforce("Vuxna", D(71)),))
    r = compute(fu)
    assert r.plan.measures[1].workforce_share is None
    (w,) = [m for m in levels(r, Level.VARNING) if m.loc.part == "Atgarder"]
    assert w.loc == Loc("Atgarder", 1, "Avdelning")


def test_start_date_out_of_range_is_an_error():
    fu = seed_followup()
    bad = replace(fu.measures[1], start=dt.date(1924, 9, 1))
    r = compute(replace(fu, measures=(bad,)))
    (err,) = levels(r, Level.FEL)
    assert err.loc == Loc("Atgarder", 0, "Start") and "1924-09-01" in err.text


def test_staff_measure_without_po_rate_is_an_error():
    fu = seed_followup()
    r = compute(replace(fu, settings=replace(fu.settings, po_rate=None)))
    assert not r.ok and levels(r, Level.FEL)[0].loc == Loc("PO_Palagg")


def test_measure_with_both_staff_and_amount_is_an_error():
    m = Measure("Dubbel", "Unga", D(1), D(30000), D(100), dt.date(2024, 9, 1))
    r = compute(seed_followup(measures=(m,)))
    assert levels(r, Level.FEL)[0].loc == Loc("Atgarder", 0, "Belopp helår")


def test_plan_start_on_first_january_balances_the_same_year():
    m = Measure("Stor åtgärd", "Unga", None, None, D(5000), dt.date(2024, 1, 1))
    r = compute(seed_followup(measures=(m,)))
    assert r.plan.balance_year == 2024 and r.plan.this_year == 5000


def test_the_small_formulas():
    assert engine.deviation(D(-62376), D(-66376)) == -4000
    assert engine.deviation(D(62376), D(66376), sign=-1) == -4000
    assert engine.buffer_amount(D(245082), D("0.015")) == D("3676.23")
    assert engine.share_of(D(4500), D(245082)) == D(4500) / D(245082)
    assert engine.share_of(D(1), D(0)) is None
    assert engine.annual_staff_cost(D(36000), D("0.45")) == 626400


def test_rounding_note_when_totals_carry_rounding_differences():
    assert compute(seed_followup()).rounding_note  # the seed's -1 avrundningsdifferens
    balanced = tuple(replace(row, budget=D(245083)) if row.name == "Kommunbidrag" else row
                     for row in seed_rows())
    assert not compute(seed_followup(rows=balanced)).rounding_note
    # an empty row whose name merely contains the word does not trigger it
    named = balanced[:-1] + (DriftRow("Avrundningsposter", "Årets resultat"),) + balanced[-1:]
    assert not compute(seed_followup(rows=named)).rounding_note
    # mnkr shown with one decimal: 0,04 + 0,04 prints 0,0 + 0,0 but the total prints 0,1
    rows = (DriftRow("A", "R", D("0.04"), D(0)), DriftRow("B", "R", D("0.04"), D(0)),
            DriftRow("R", None))
    r = compute(seed_followup(rows=rows, settings=Settings(unit="mnkr"), measures=()))
    assert r.ok and r.rounding_note


# --- One-off items: their effect on the result, positive = better, in both conventions ---

@pytest.mark.parametrize("convert", [lambda fu: fu, in_other_signs],
                         ids=["kostnader negativa", "kostnader positiva"])
def test_one_off_surplus_is_typed_positive_in_either_convention(convert):
    # a forecast deficit of 0,3 mnkr, of which a temporary vacancy surplus of 0,2 mnkr
    # hides part: the structural deficit is 0,5 mnkr
    rows = (DriftRow("Intäkter", "Netto", D("1.0"), D("1.0")),
            DriftRow("Kostnader", "Netto", D("-11.0"), D("-11.3")),
            DriftRow("Netto", "Resultat"),
            DriftRow("Kommunbidrag", "Resultat", D("10.0"), D("10.0")),
            DriftRow("Resultat", None))
    fu = convert(seed_followup(rows=rows, settings=Settings(unit="mnkr", year=2024),
                               structural_deficit=None, measures=(), buffer_share=None,
                               buffer_committed=None,
                               one_offs=(OneOff("Tillfälliga vakanser", D("0.2")),)))
    r = compute(fu)
    assert r.ok
    assert r.structural.deficit == D("0.5") and r.structural.derived
    assert r.structural.share == D("0.05")


# --- Amounts typed in another unit --------------------------------------------------------

def test_the_seed_trips_no_unit_check():
    assert not [m for m in compute(seed_followup()).messages
                if "gånger" in m.text or "enhet" in m.text]


def test_a_row_typed_in_tkr_into_an_mnkr_workbook_is_named():
    # 4,2 mnkr typed as 4200: the budget no longer balances, and balances again when
    # that one row is divided by 1 000
    rows = (DriftRow("Intäkter", "Netto", D("4200"), D("4.2")),
            DriftRow("Personal", "Netto", D("-150.3"), D("-150.3")),
            DriftRow("Lokaler", "Netto", D("-20.1"), D("-20.1")),
            DriftRow("Netto", "Resultat"),
            DriftRow("Kommunbidrag", "Resultat", D("166.2"), D("166.2")),
            DriftRow("Resultat", None))
    r = compute(seed_followup(rows=rows, settings=Settings(unit="mnkr", year=2024),
                              measures=(), buffer_share=None, buffer_committed=None))
    slips = [m for m in levels(r, Level.VARNING) if "1 000 gånger" in m.text]
    assert {m.loc for m in slips} == {Loc("Drift", 0, "Budget")}
    balancing = [m for m in slips if "i balans om det är 4,2" in m.text]
    assert balancing and "tkr i stället för mnkr" in balancing[0].text


def test_forecast_a_thousand_times_its_budget_is_named():
    rows = (DriftRow("A", "R", D(-1200), D(-1250000)), DriftRow("B", "R", D(-300), D(-300)),
            DriftRow("R", None))
    r = compute(seed_followup(rows=rows, measures=(), buffer_share=None,
                              buffer_committed=None, structural_deficit=None))
    (w,) = [m for m in levels(r, Level.VARNING) if "gånger" in m.text]
    assert w.loc == Loc("Drift", 0, "Prognos") and "kr i stället för tkr" in w.text


def test_a_row_far_above_its_siblings_is_named():
    rows = tuple(DriftRow(f"Rad {i}", "R", D(-v), D(-v))
                 for i, v in enumerate((500, 800, 650, 720, 90000))) + (DriftRow("R", None),)
    r = compute(seed_followup(rows=rows, measures=(), buffer_share=None,
                              buffer_committed=None, structural_deficit=None))
    found = {m.loc for m in levels(r, Level.VARNING) if "median" in m.text}
    assert found == {Loc("Drift", 4, "Budget"), Loc("Drift", 4, "Prognos")}


# --- Trees of any depth ---------------------------------------------------------------------

def test_a_tree_thousands_of_levels_deep_is_summed_without_recursion():
    depth = 5000
    rows = tuple(DriftRow(f"Nivå {i}", f"Nivå {i - 1}" if i else None,
                          *((D(1), D(2)) if i == depth - 1 else (None, None)),
                          previous_forecast=D(3) if i == depth - 1 else None)
                 for i in range(depth))
    r = compute(FollowUp(Settings(), rows))
    assert r.ok
    assert r.row("Nivå 0").budget == 1 and r.row("Nivå 0").deviation == 1
    assert r.row("Nivå 0").previous_forecast == 3


def test_a_long_cycle_is_one_error():
    n = 3000
    rows = tuple(DriftRow(f"R{i}", f"R{(i + 1) % n}") for i in range(n)) + (DriftRow("Top", None),)
    (err,) = levels(compute(FollowUp(Settings(), rows)), Level.FEL)
    assert "cirkel" in err.text


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=30),
       st.data())
def test_the_median_of_the_other_siblings(values, data):
    from statistics import median

    from followup_xl.domain.checks import _median_without
    sizes = sorted(D(v) for v in values)
    left_out = data.draw(st.sampled_from(sizes))
    others = list(sizes)
    others.remove(left_out)
    assert _median_without(sizes, left_out) == median(others)


@given(st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False))
def test_a_period_is_a_whole_month_and_the_complaint_shows_it_as_typed(period):
    from followup_xl.domain.formulas import period_out_of_range
    bad = period_out_of_range(period)
    if period == int(period) and 1 <= period <= 12:
        assert bad is None
    else:
        shown = format_number(period, decimals_of(period), group=False)
        assert bad == f"Perioden {shown} är ingen månad. Ange 1–12."
