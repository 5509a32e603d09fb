"""The seed's follow-up (Socialnämnden, May 2024) as engine input, for tests."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

from followup_xl.domain.model import DriftRow, FollowUp, Measure, Settings, Workforce

NET = "Verksamhetens nettokostnader"
COSTS = "Verksamhetens kostnader"
RESULT = "Årets resultat"

# (name, ingår i, budget, prognos) as the seed prints the account groups, in tkr.
SEED_ROWS = (
    ("Verksamhetens intäkter", NET, 31417, 31417),
    ("Personalkostnader", COSTS, -158695, -157695),
    ("Lokalhyror", COSTS, -17416, -17416),
    ("Köp av tjänster", COSTS, -62376, -66376),
    ("Övriga kostnader", COSTS, -38013, -38013),
    (COSTS, NET, None, None),
    (NET, RESULT, None, None),
    ("Kommunbidrag", RESULT, 245082, 245082),
    ("Finansnetto", RESULT, 0, 0),
    (RESULT, None, None, None),
)

# What the seed prints for every row: (budget, prognos, avvikelse).
SEED_PRINTED = {
    "Verksamhetens intäkter": (31417, 31417, 0),
    "Personalkostnader": (-158695, -157695, 1000),
    "Lokalhyror": (-17416, -17416, 0),
    "Köp av tjänster": (-62376, -66376, -4000),
    "Övriga kostnader": (-38013, -38013, 0),
    COSTS: (-276500, -279500, -3000),
    NET: (-245082, -248082, -3000),
    "Kommunbidrag": (245082, 245082, 0),
    "Finansnetto": (0, 0, 0),
    RESULT: (0, -3000, -3000),
}


def seed_rows():
    return tuple(DriftRow(n, p, None if b is None else D(b), None if f is None else D(f))
                 for n, p, b, f in SEED_ROWS)


def seed_followup(**changes) -> FollowUp:
    fu = FollowUp(
        settings=Settings(year=2024, period=5, po_rate=D("0.45"), committee="Socialnämnden"),
        rows=seed_rows(),
        buffer_share=D("0.015"), buffer_committed=D("3676.23"),
        structural_deficit=D(4500),
        measures=(
            Measure("Sänka delegationsnivån", "Förvaltningsledning"),
            Measure("Minska arbetsstyrkan, unga", "Unga", D(1), D(36000), None,
                    dt.date(2024, 9, 1)),
            Measure("Minska arbetsstyrkan, vuxna", "Vuxna", D(1), D(36000), None,
                    dt.date(2024, 9, 1)),
            Measure("Avtal spädbarnsverksamhet", "Unga", None, None, D("3247.2"),
                    dt.date(2025, 1, 1)),
        ),
        workforce=(Workforce("Unga", D(77)), Workforce("Vuxna", D(71))),
    )
    return replace(fu, **changes)


def in_other_signs(fu: FollowUp) -> FollowUp:
    """The same economic facts in the other sign convention: every Drift amount negated
    and Teckenkonvention switched (Kostnader negativa <-> Kostnader positiva)."""
    def neg(d):
        return None if d is None else -d
    other = ("Kostnader positiva" if fu.settings.sign_convention == "Kostnader negativa"
             else "Kostnader negativa")
    return replace(fu, settings=replace(fu.settings, sign_convention=other),
                   rows=tuple(replace(r, budget=neg(r.budget), forecast=neg(r.forecast),
                                      previous_forecast=neg(r.previous_forecast))
                              for r in fu.rows))
