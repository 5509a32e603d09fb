"""Parsing what Swedish users type, and writing numbers as Swedish reports do."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup_xl.domain.swedish import (NotANumber, convert, format_amount, format_number,
                                 format_percent, month_name, to_decimal)


@pytest.mark.parametrize("text,value", [
    ("1 000", D(1000)), ("\u22123\u00a0000", D(-3000)), ("1,5 %", D("0.015")),
    ("-3,0", D(-3)), ("31\u202f417", D(31417)), ("0,5", D("0.5")), ("+12", D(12)),
    ("1 562 700", D(1562700)), ("-7.8", D("-7.8")), (",5", D("0.5")),
])
def test_parse_swedish_input(text, value):
    assert to_decimal(text) == value


@pytest.mark.parametrize("text", ["tusen", "", "1 00", "1,2,3", "--3", "3-", "%", "12 %%",
                                  "٣", "²", "1 ٢٣٤"])
def test_parse_rejects_non_numbers(text):
    with pytest.raises(NotANumber) as e:
        to_decimal(text)
    assert "inte ett tal" in str(e.value)


def test_percent_not_allowed_for_amounts():
    with pytest.raises(NotANumber):
        to_decimal("5 %", allow_percent=False)


def test_floats_enter_at_their_shortest_repr():
    assert str(to_decimal(0.015)) == "0.015"
    assert str(to_decimal(31417.0)) == "31417"
    assert str(to_decimal(-7.8)) == "-7.8"
    with pytest.raises(NotANumber):
        to_decimal(True)


@pytest.mark.parametrize("value,decimals,text", [
    (D(31417), 0, "31 417"), (D(-3000), 0, "-3 000"), (D("1562700"), 0, "1 562 700"),
    (D("-3.0"), 1, "-3,0"), (D("0.5"), 0, "1"), (D("-0.5"), 0, "-1"), (D("2.45"), 1, "2,5"),
    (D("-0.04"), 1, "0,0"), (D(0), 0, "0"), (D(999), 0, "999"), (D(-1000), 0, "-1 000"),
])
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_format_amount_and_percent():
    assert format_amount(D(-3000), "tkr", "mnkr") == "-3,0 mnkr"
    assert format_amount(D(4500), "tkr", "mnkr") == "4,5 mnkr"
    assert format_amount(D(31417), "tkr") == "31 417 tkr"
    assert format_percent(D(4500) / D(245082)) == "1,8 %"
    assert format_percent(D("0.015"), word=True) == "1,5 procent"
    assert format_percent(D(1) / D(77), word=True) == "1,3 procent"
    assert convert(D(626400), "kr", "tkr") == D("626.4")
    assert month_name(5) == "maj"


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2))
def test_format_then_parse_round_trips(d):
    assert to_decimal(format_number(d, 2)) == d


# --- Numbers of any size: refused or brought inside the bounds, never an exception -----

@pytest.mark.parametrize("value", [
    10 ** 27, D("1E+27"), 1e308, -1e300, "1 000 000 000 000 000 000 000 000 000 000",
    D(10) ** 15 + 1, "1" * 300,
])
def test_numbers_beyond_a_budget_are_refused_with_the_value(value):
    with pytest.raises(NotANumber) as e:
        to_decimal(value)
    assert "för stort" in str(e.value) or "inte ett tal" in str(e.value)
    assert len(str(e.value)) < 200


@pytest.mark.parametrize("value", [float("nan"), float("inf"), D("NaN"), D("-Infinity"),
                                   "NaN", "INF", "1e", "0x10", "1e308", "∞"])
def test_what_is_not_a_finite_number_is_refused(value):
    with pytest.raises(NotANumber):
        to_decimal(value)


def test_binary_noise_and_absurd_precision_are_rounded_away():
    assert to_decimal(0.1 + 0.2) == D("0.3")
    assert to_decimal(4.9e-324) == 0
    assert to_decimal(D("0.30000000000000004")) == D("0.3")
    assert to_decimal("31 417,41237") == D("31417.41237")  # kronor and öre in tkr, exact
    assert to_decimal(D(10) ** 15) == D(10) ** 15


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                 st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=60)))
def test_any_value_is_a_bounded_decimal_or_a_swedish_refusal(value):
    try:
        d = to_decimal(value)
    except NotANumber as e:
        assert str(e)
        return
    assert d.is_finite() and abs(d) <= D(10) ** 15
    assert len(d.as_tuple().digits) <= 16 and -d.as_tuple().exponent <= 12
    format_number(d, 12)  # any accepted value can be shown
