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
import re

from lxml import etree

from followup_xl.xlsx.cellref import column_index, parse_ref, ref_text
from followup_xl.xlsx.cellwrite import CellPlan
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.xmlscan import Malformed, syntax_error
from followup_xl.xlsx.xmltext import xml_unescape

_M = f"{{{NS_MAIN}}}"
_ROW, _C, _V, _F, _IS = _M + "row", _M + "c", _M + "v", _M + "f", _M + "is"
_V_TEXT = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v\s*>|<v(?:\s[^>]*)?/>")
_F_TAG = re.compile(rb"<f[\s/>]")


def written_part(root_stag: bytes, sheetdata_stag: bytes, prefix: bytes,
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
    holds every planned cell as planned: once, with its value, type, style and formula,
    and -- where the rows are sorted -- between a smaller and a larger column.

    Written rows in Excel's plain form are checked by expat (well-formed) and one scan
    over their cells; anything else is parsed with lxml."""
    if _verify_scanned(plans, rows_sorted, new_data):
        return
    want = {ref_text(p.row, p.col): p for p in plans}
    seen: set[str] = set()
    last_row = 0
    try:
        for _, row in etree.iterparse(io.BytesIO(new_data), events=("end",), tag=_ROW,
                                      huge_tree=True, resolve_entities=False, no_network=True,
                                      load_dtd=False):
            r = int(row.get("r", last_row + 1))
            if rows_sorted and r <= last_row:
                raise Malformed(f"raderna är inte sorterade vid rad {r}")
            last_row = r
            for c in row.iterchildren(_C):
                ref = c.get("r")
                p = want.get(ref) if ref is not None else _unreferenced(row, c, r, want)
                if p is None:
                    continue
                if ref in seen or p.row != r:
                    raise Malformed(f"cellen {ref} förekommer två gånger eller på fel rad")
                seen.add(ref)
                _check_cell(c, p, ref)
                if rows_sorted:
                    _check_neighbours(c, r, p.col, ref)
            row.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise Malformed(syntax_error(exc)) from None
    except ValueError as exc:
        raise Malformed("ogiltigt rad- eller cellnummer") from exc
    missing = set(want) - seen
    if missing:
        raise Malformed("celler saknas efter skrivningen: " + ", ".join(sorted(missing)))


def _verify_scanned(plans: list[CellPlan], rows_sorted: bool, data: bytes) -> bool:
    """The check by scanning; False when the rows are not in the form the scan reads."""
    from followup_xl.xlsx.sheetscan import cells_in_order, well_formed
    well_formed(data)
    found = cells_in_order(data)
    if found is None:
        return False
    expected, cells = found
    want = {(p.row, p.col): p for p in plans}
    seen: set[tuple[int, int]] = set()
    last = (0, 0)
    count = 0
    for r, col, s_attr, t_attr, rest, inner in cells:
        count += 1
        here = (r, col)
        if rows_sorted and here <= last:
            raise Malformed(f"cellerna är inte sorterade vid {ref_text(r, col)}")
        last = here
        p = want.get(here)
        if p is None:
            continue
        ref = ref_text(r, col)
        if here in seen:
            raise Malformed(f"cellen {ref} förekommer två gånger")
        seen.add(here)
        if rest.strip():
            return False  # attributes in another order: let lxml check this sheet
        if (t_attr.decode() or None) != p.t or (s_attr.decode() or None) != p.s:
            raise Malformed(f"cellen {ref} fick fel typ eller format")
        v = _V_TEXT.search(inner) if inner else None
        vtext = None if v is None else (v.group(1) or b"").decode("utf-8")
        if vtext is not None and "&" in vtext:
            vtext = xml_unescape(vtext.encode())
        want_v = p.v if p.v is None or "&" not in p.v else xml_unescape(p.v.encode())
        if vtext != want_v:
            raise Malformed(f"cellen {ref} fick fel värde")
        if (_F_TAG.search(inner) is not None) != (p.formula is not None):
            raise Malformed(f"formeln i cellen {ref} ändrades")
        if b"<is" in inner:
            raise Malformed(f"cellen {ref} har kvar en gammal text")
    if count != expected:
        return False  # a cell the scan does not read: let lxml check this sheet
    missing = set(want) - seen
    if missing:
        raise Malformed("celler saknas efter skrivningen: "
                        + ", ".join(ref_text(*x) for x in sorted(missing)))
    return True


def _col(c, r: int) -> int | None:
    ref = c.get("r")
    if ref is None:
        return None
    rs = str(r)
    letters = ref[: -len(rs)]
    if ref.endswith(rs) and letters.isalpha() and letters.isupper() and len(letters) < 4:
        return column_index(letters)
    rc = parse_ref(ref)
    return rc[1] if rc is not None and rc[0] == r else None


def _unreferenced(row, c, r: int, want: dict) -> CellPlan | None:
    """A cell without r: its column counts from the previous cell (only in rows the writer
    did not add cells to)."""
    col = 0
    for other in row.iterchildren(_C):
        ref = other.get("r")
        rc = parse_ref(ref) if ref is not None else None
        col = rc[1] if rc else col + 1
        if other is c:
            return want.get(ref_text(r, col))
    return None  # pragma: no cover


def _check_neighbours(c, r: int, col: int, ref: str) -> None:
    prev, nxt = c.getprevious(), c.getnext()
    if prev is not None and prev.tag == _C:
        pc = _col(prev, r)
        if pc is None or pc >= col:
            raise Malformed(f"cellerna är inte sorterade vid {ref}")
    if nxt is not None and nxt.tag == _C:
        nc = _col(nxt, r)
        if nc is None or nc <= col:
            raise Malformed(f"cellerna är inte sorterade vid {ref}")


def _check_cell(c, p: CellPlan, ref: str) -> None:
    vtext, formula, inline = None, False, False
    for child in c:
        if child.tag == _V:
            vtext = child.text or ""
        elif child.tag == _F:
            formula = True
        elif child.tag == _IS:
            inline = True
    if c.get("t") != p.t or c.get("s") != p.s:
        raise Malformed(f"cellen {ref} fick fel typ eller format")
    want = p.v if p.v is None or "&" not in p.v else xml_unescape(p.v.encode())
    if vtext != want:
        raise Malformed(f"cellen {ref} fick fel värde")
    if formula != (p.formula is not None):
        raise Malformed(f"formeln i cellen {ref} ändrades")
    if inline:
        raise Malformed(f"cellen {ref} har kvar en gammal text")
