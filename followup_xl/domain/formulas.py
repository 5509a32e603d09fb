"""The small formulas of the follow-up, each a pure function on exact Decimals.

They are the arithmetic behind every figure: the engine's tables and the FU_* cell
functions call the same functions, so a number is computed in one place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from followup_xl.domain.swedish import UNIT_FACTORS, decimals_of, format_number, format_percent

ZERO = Decimal(0)
ONE = Decimal(1)
MONTHS = Decimal(12)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # years a follow-up can sensibly be about
START_YEARS_AROUND = 10  # a start date more than this many years from Ar is refused


def period_out_of_range(period: Decimal | int) -> str | None:
    """The Swedish complaint when a period is not a month 1–12, else None."""
    if period == int(period) and 1 <= period <= 12:
        return None
    d = Decimal(period)
    return f"Perioden {format_number(d, decimals_of(d), group=False)} är ingen månad. Ange 1–12."


def year_out_of_range(year: Decimal | int, what: str = "Året") -> str | None:
    """The Swedish complaint when a year lies outside FIRST_YEAR…LAST_YEAR, else None."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{what} {int(year)} är inte rimligt."


def share_out_of_range(share: Decimal, what: str) -> str | None:
    """The Swedish complaint when a share is not between 0 and 100 %, else None."""
    if ZERO <= share <= ONE:
        return None
    return f"{what} {format_percent(share, 2)} ligger utanför 0–100 %."


def start_out_of_range(start: dt.date, year: int) -> str | None:
    """The Swedish complaint when a start date lies implausibly far from the year."""
    if abs(start.year - year) <= START_YEARS_AROUND:
        return None
    return (f"Startdatumet {start.isoformat()} ligger mer än {START_YEARS_AROUND} år från "
            f"uppföljningsåret {year}.")


def deviation(budget: Decimal, forecast: Decimal, sign: int = 1) -> Decimal:
    """Avvikelse: positive is better than budget. sign=+1 when costs are negative
    (Prognos − Budget), -1 in ledger style (Budget − Prognos)."""
    return (forecast - budget) * sign


def share_of(amount: Decimal, base: Decimal) -> Decimal | None:
    """amount / base as a fraction, None when the base is zero."""
    return None if base == 0 else amount / base


def buffer_amount(kommunbidrag: Decimal, share: Decimal) -> Decimal:
    return share * kommunbidrag


def annual_staff_cost(monthly_salary_kr: Decimal, po_rate: Decimal) -> Decimal:
    """Kronor per year for one årsarbetare: månadslön × 12 × (1 + PO-pålägg)."""
    return monthly_salary_kr * MONTHS * (ONE + po_rate)


def staff_effect(fte: Decimal, monthly_salary_kr: Decimal, po_rate: Decimal,
                 unit: str) -> Decimal:
    """Full-year effect of reducing fte årsarbetare, in the unit."""
    return fte * annual_staff_cost(monthly_salary_kr, po_rate) / UNIT_FACTORS[unit]


def months_this_year(start: dt.date, year: int) -> int:
    """Whole months of effect in ``year`` for a measure starting on ``start``: from the
    start month through December, counting from the next month when the start is after
    the 1st; 12 for an earlier year, 0 for a later one."""
    if start.year < year:
        return 12
    if start.year > year:
        return 0
    first_month = start.month if start.day == 1 else start.month + 1
    return 13 - first_month


def effect_this_year(full_year: Decimal, start: dt.date, year: int) -> Decimal:
    return full_year * months_this_year(start, year) / MONTHS


def full_effect_year(start: dt.date) -> int:
    """The first year with the whole effect: the start year for a start on 1 January,
    otherwise the year after."""
    return start.year if (start.month, start.day) == (1, 1) else start.year + 1


def structural_deficit(forecast_result: Decimal, one_offs: Decimal) -> Decimal:
    """The structural deficit (positive = deficit) derived from the forecast result
    (income-positive: negative = deficit) and the one-off items' effect on it (positive
    = the item makes this year's result better than a normal year's)."""
    return -(forecast_result - one_offs)
