"""Checking an edited worksheet before anything is written.

The edited part is parsed with lxml (streaming): rows in order, and in every touched row
the cells in order, each written cell present once with the intended ``t``, ``s``, value
and formula, and no stale inline string.
"""

from __future__ import annotations

import io

from lxml import etree

from followup_xl.xlsx.cellref import parse_ref, ref_text
from followup_xl.xlsx.cellwrite import CellPlan
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.xmlscan import Malformed, syntax_error
from followup_xl.xlsx.xmltext import xml_unescape

_M = f"{{{NS_MAIN}}}"


def verify_sheet(plans: list[CellPlan], rows_sorted: bool, new_data: bytes) -> None:
    """Raise Malformed unless ``new_data`` holds every planned cell as planned."""
    want = {(p.row, p.col): p for p in plans}
    rows_wanted = {p.row for p in plans}
    seen: set[tuple[int, int]] = set()
    last_row = 0
    try:
        for _, row in etree.iterparse(io.BytesIO(new_data), events=("end",), tag=_M + "row",
                                      huge_tree=True, resolve_entities=False, no_network=True):
            r = int(row.get("r", last_row + 1))
            if rows_sorted and r <= last_row:
                raise Malformed(f"raderna är inte sorterade vid rad {r}")
            last_row = r
            if r in rows_wanted:
                _check_row(row, r, want, seen, rows_sorted)
            row.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise Malformed(syntax_error(exc)) from None
    except ValueError as exc:
        raise Malformed("ogiltigt rad- eller cellnummer") from exc
    missing = set(want) - seen
    if missing:
        raise Malformed("celler saknas efter skrivningen: "
                        + ", ".join(ref_text(*x) for x in sorted(missing)))


def _check_row(row, r: int, want: dict, seen: set, rows_sorted: bool) -> None:
    last_col = 0
    for c in row.iter(_M + "c"):
        rc = parse_ref(c.get("r", "")) if c.get("r") else (r, last_col + 1)
        if rc is None or rc[0] != r:
            raise Malformed(f"felaktig cellreferens på rad {r}")
        if rc[1] <= last_col and rows_sorted:
            raise Malformed(f"cellerna är inte sorterade på rad {r}")
        last_col = rc[1]
        p = want.get(rc)
        if p is None:
            continue
        if rc in seen:
            raise Malformed(f"cellen {ref_text(*rc)} förekommer två gånger")
        seen.add(rc)
        v = c.find(_M + "v")
        vtext = None if v is None else (v.text or "")
        if c.get("t") != p.t or c.get("s") != p.s:
            raise Malformed(f"cellen {ref_text(*rc)} fick fel typ eller format")
        if vtext != (None if p.v is None else xml_unescape(p.v.encode())):
            raise Malformed(f"cellen {ref_text(*rc)} fick fel värde")
        if (c.find(_M + "f") is None) != (p.formula is None):
            raise Malformed(f"formeln i cellen {ref_text(*rc)} ändrades")
        if c.find(_M + "is") is not None:
            raise Malformed(f"cellen {ref_text(*rc)} har kvar en gammal text")
