"""The monthly columns' exact pairs give, digit for digit, what Fractions give: the same
sums, products and quotients, and the same Decimal at the end (which depends only on the
value, however the pair is written)."""

from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl.domain import exact
from followup_xl.domain.swedish import to_decimal

decimals = st.decimals(min_value=-10**15, max_value=10**15, places=12, allow_nan=False,
                       allow_infinity=False)
fractions = st.fractions(max_denominator=10**6).filter(lambda f: abs(f) <= 10**15)
quotients = st.one_of(decimals, fractions).map(exact.of)
scales = st.integers(min_value=1, max_value=10**20)


def written(q, k):
    """The same quotient written unreduced, both parts times k."""
    return q[0] * k, q[1] * k


@settings(max_examples=300)
@given(quotients, quotients, scales, scales)
def test_the_arithmetic_is_fractions(a, b, j, k):
    fa, fb = exact.to_fraction(a), exact.to_fraction(b)
    a, b = written(a, j), written(b, k)
    assert exact.to_fraction(exact.add(a, b)) == fa + fb
    assert exact.to_fraction(exact.sub(a, b)) == fa - fb
    assert exact.to_fraction(exact.mul(a, b)) == fa * fb
    if fb:
        assert exact.to_fraction(exact.div(a, b)) == fa / fb
        assert exact.div(a, b)[1] > 0
    assert exact.at_most(a, b) == (fa <= fb)
    assert exact.to_fraction(exact.absolute(a)) == abs(fa)
    assert exact.reduced(a) == (fa.numerator, fa.denominator)


@settings(max_examples=300)
@given(quotients, scales)
def test_the_decimal_is_the_fractions_whatever_the_writing(q, k):
    f = exact.to_fraction(q)
    expected = D(f.numerator) / D(f.denominator)
    got = exact.to_decimal(written(q, k))
    assert repr(got) == repr(expected)  # the same digits and the same exponent


@settings(max_examples=200)
@given(st.lists(st.integers(min_value=-10**20, max_value=10**20), min_size=1, max_size=20),
       st.integers(min_value=1, max_value=10**12), st.lists(quotients, max_size=5))
def test_a_total_is_the_fractions_sum(numerators, denominator, others):
    alike = [(n, denominator) for n in numerators]  # rows periodised alike: one sum
    for values in (alike, alike + others):
        assert exact.to_fraction(exact.total(values)) == sum(
            (Fraction(n, d) for n, d in values), Fraction(0))


@given(st.one_of(st.integers(min_value=-10**15 + 1, max_value=10**15 - 1),
                 st.integers(min_value=-10**15 + 1, max_value=10**15 - 1).map(float)))
def test_whole_numbers_are_read_as_they_are(value):
    assert repr(to_decimal(value)) == repr(D(int(value)))
