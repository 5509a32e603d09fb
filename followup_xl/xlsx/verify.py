"""Checking an edited worksheet before anything is written.

What the editor wrote -- every rebuilt or new row, and a changed ``<dimension>`` -- is
parsed with lxml inside the sheet's own root and ``sheetData`` start tags (so namespace
prefixes resolve as in the part): rows in order, in every written row the cells in order,
each written cell present once with the intended ``t``, ``s``, value and formula, and no
stale inline string. Rows the editor did not touch keep their bytes and are not parsed
again, so the check costs what the edit costs.
"""

from __future__ import annotations

import io

from lxml import etree

from followup_xl.xlsx.cellref import column_index, parse_ref, ref_text
from followup_xl.xlsx.cellwrite import CellPlan
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.xmlscan import Malformed, syntax_error
from followup_xl.xlsx.xmltext import xml_unescape

_M = f"{{{NS_MAIN}}}"
_C, _V, _F, _IS = _M + "c", _M + "v", _M + "f", _M + "is"


def written_part(data: bytes, root_stag: bytes, sheetdata_stag: bytes, prefix: bytes,
                 fragments: list[bytes], dimension_tag: bytes | None) -> bytes:
    """A small worksheet document holding only what the editor wrote."""
    root_name = root_stag[1:].split(None, 1)[0].rstrip(b">/")
    if root_stag.endswith(b"/>"):
        root_stag = root_stag[:-2] + b">"
    if sheetdata_stag.endswith(b"/>"):
        sheetdata_stag = sheetdata_stag[:-2].rstrip() + b">"
    return (root_stag + (dimension_tag or b"") + sheetdata_stag + b"".join(fragments)
            + b"</" + prefix + b"sheetData></" + root_name + b">")


def verify_sheet(plans: list[CellPlan], rows_sorted: bool, new_data: bytes) -> None:
    """Raise Malformed unless ``new_data`` (the written rows, see :func:`written_part`)
    holds every planned cell as planned."""
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
    rs = str(r)
    n = len(rs)
    for c in row.iterchildren(_C):
        ref = c.get("r")
        if ref is None:
            col = last_col + 1
        else:
            letters = ref[:-n]
            if ref.endswith(rs) and letters.isalpha() and letters.isupper() and len(letters) < 4:
                col = column_index(letters)
            else:
                rc = parse_ref(ref)
                if rc is None or rc[0] != r:
                    raise Malformed(f"felaktig cellreferens på rad {r}")
                col = rc[1]
        if col <= last_col and rows_sorted:
            raise Malformed(f"cellerna är inte sorterade på rad {r}")
        last_col = col
        p = want.get((r, col))
        if p is None:
            continue
        rc = (r, col)
        if rc in seen:
            raise Malformed(f"cellen {ref_text(*rc)} förekommer två gånger")
        seen.add(rc)
        vtext, formula, inline = None, False, False
        for child in c:
            if child.tag == _V:
                vtext = child.text or ""
            elif child.tag == _F:
                formula = True
            elif child.tag == _IS:
                inline = True
        if c.get("t") != p.t or c.get("s") != p.s:
            raise Malformed(f"cellen {ref_text(*rc)} fick fel typ eller format")
        if vtext != (None if p.v is None else xml_unescape(p.v.encode())):
            raise Malformed(f"cellen {ref_text(*rc)} fick fel värde")
        if formula != (p.formula is not None):
            raise Malformed(f"formeln i cellen {ref_text(*rc)} ändrades")
        if inline:
            raise Malformed(f"cellen {ref_text(*rc)} har kvar en gammal text")
