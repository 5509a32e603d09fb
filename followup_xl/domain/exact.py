"""Exact quotients as plain pairs of integers: the arithmetic of the monthly columns.

Periodising divides (5/12 of a budget), so the monthly columns are exact fractions until
each cell's Decimal is made, once, at the end. :class:`fractions.Fraction` does that
exactly, but it reduces every intermediate result by a gcd and dispatches every operator
in Python; at thousands of Drift rows that was most of a follow-up's computation. Here a
quotient is a tuple ``(numerator, denominator)`` with a positive denominator, not
necessarily reduced: amounts over the same denominator (rows periodised by the same key)
add as one integer addition, and different denominators meet at their least common
multiple, so a sum never grows beyond what the Fraction's would.

Nothing is rounded here. :func:`to_decimal` divides once, in the current Decimal context,
and gives exactly what ``Decimal(f.numerator) / Decimal(f.denominator)`` gives for the
reduced Fraction ``f`` of the same value: a Decimal quotient of two integers depends only
on its value, not on how the fraction was written.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import gcd

Q = tuple[int, int]  # (numerator, denominator > 0)

ZERO: Q = (0, 1)


def of(value: Decimal | Fraction | int) -> Q:
    """The exact quotient of a Decimal, a Fraction or an int."""
    if type(value) is Decimal:  # the common case, before the slower isinstance
        return value.as_integer_ratio()  # reduced, denominator positive
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    return value.as_integer_ratio()  # an int (or a Decimal subclass)


def add(a: Q, b: Q) -> Q:
    an, ad = a
    bn, bd = b
    if ad == bd:
        return an + bn, ad
    g = gcd(ad, bd)
    return an * (bd // g) + bn * (ad // g), ad // g * bd


def total(values: list[Q]) -> Q:
    """The exact sum of one or more quotients: where they share a denominator (rows
    periodised alike), one integer sum."""
    d = values[0][1]
    if all(v[1] == d for v in values):
        return sum([v[0] for v in values]), d
    out = ZERO
    for v in values:
        out = add(out, v)
    return out


def sub(a: Q, b: Q) -> Q:
    return add(a, (-b[0], b[1]))


def mul(a: Q, b: Q) -> Q:
    return a[0] * b[0], a[1] * b[1]


def div(a: Q, b: Q) -> Q:
    """a / b; ZeroDivisionError when b is 0."""
    n, d = a[0] * b[1], a[1] * b[0]
    if d < 0:
        return -n, -d
    if d == 0:
        raise ZeroDivisionError("division by an exact zero")
    return n, d


def reduced(a: Q) -> Q:
    """The same quotient in lowest terms (keeps the numbers small where a share is
    divided out of two sums)."""
    g = gcd(a[0], a[1])
    return (a[0] // g, a[1] // g) if g > 1 else a


def is_zero(a: Q) -> bool:
    return a[0] == 0


def at_most(a: Q, b: Q) -> bool:
    """a <= b."""
    return a[0] * b[1] <= b[0] * a[1]


def absolute(a: Q) -> Q:
    return (-a[0], a[1]) if a[0] < 0 else a


def to_decimal(a: Q) -> Decimal:
    """The Decimal nearest to the quotient (exact when it has a finite decimal form)."""
    return Decimal(a[0]) / Decimal(a[1])


def to_fraction(a: Q) -> Fraction:
    return Fraction(a[0], a[1])
