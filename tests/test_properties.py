"""Property tests: totals always equal the sum of their leaves, in any tree and under
both sign conventions, with exact decimal arithmetic."""

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl.domain.engine import compute
from followup_xl.domain.model import DriftRow, FollowUp, Settings
from followup_xl.domain.swedish import decimals_of

amounts = st.decimals(min_value=-10**7, max_value=10**7, places=1, allow_nan=False,
                      allow_infinity=False)


@st.composite
def trees(draw):
    """A random tree: row 0 is the root; every other row sums into an earlier row."""
    n = draw(st.integers(min_value=1, max_value=30))
    parents = [None] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n)]
    values = [(draw(amounts), draw(amounts)) for _ in range(n)]
    order = draw(st.permutations(range(n)))  # rows in any order in the table
    return parents, values, order


@settings(max_examples=300)
@given(trees(), st.sampled_from(["Kostnader negativa", "Kostnader positiva"]),
       st.sampled_from(["kr", "tkr", "mnkr"]))
def test_totals_equal_the_sum_of_their_leaves(tree, convention, unit):
    parents, values, order = tree
    names = [f"Rad {i}" for i in range(len(parents))]
    children = {i: [j for j, p in enumerate(parents) if p == i] for i in range(len(parents))}
    rows = tuple(DriftRow(names[i], None if parents[i] is None else names[parents[i]],
                          *values[i]) for i in order)
    r = compute(FollowUp(Settings(sign_convention=convention, unit=unit), rows))
    assert r.ok

    def leaves(i):
        return [i] if not children[i] else [x for k in children[i] for x in leaves(k)]

    sign = 1 if convention == "Kostnader negativa" else -1
    for i, name in enumerate(names):
        row = r.row(name)
        assert row.is_total == bool(children[i])
        assert row.budget == sum((values[j][0] for j in leaves(i)), D(0))
        assert row.forecast == sum((values[j][1] for j in leaves(i)), D(0))
        assert row.deviation == (row.forecast - row.budget) * sign
        for v in (row.budget, row.forecast, row.deviation):
            assert isinstance(v, D) and decimals_of(v) <= 1  # no float noise, no drift
    assert r.root == names[0]
