"""One cell's new XML: a value as ``t``/``s`` attributes and ``<v>``, formulas kept.

A plain value becomes a number, a shared string (``t="s"``), a boolean or a date serial
(whose cell gets a date format when it has none); in a formula cell the formula stays and
the value becomes its cached result (text as ``t="str"``). An existing cell keeps its start
tag's other attributes and every child but the old value, byte for byte. Each rendered cell
leaves a :class:`CellPlan`, what the verification expects to find.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from followup_xl.errors import FollowupError
from followup_xl.xlsx.cellref import ref_text
from followup_xl.xlsx.cellvalue import BadValue, date_serial, xml_number
from followup_xl.xlsx.sharedstrings import SharedStrings
from followup_xl.xlsx.styles import DATE_FORMAT_ID, DATETIME_FORMAT_ID, Styles
from followup_xl.xlsx.xmlscan import Elem, attrs, children, open_tag, set_attrs
from followup_xl.xlsx.xmltext import xml_text

CellValue = None | str | int | Decimal | float | bool | _dt.date | _dt.datetime
MAX_TEXT_LENGTH = 32767  # Excel's limit for the text of one cell


@dataclass(slots=True)
class Write:
    row: int
    col: int
    ref: str  # as given by the caller
    value: CellValue


@dataclass(slots=True)
class CellPlan:
    """What the verification step expects to find in the written cell."""

    row: int
    col: int
    t: str | None
    v: str | None
    s: str | None
    formula: bytes | None  # serialized <f> of the original cell (kept as is)


class CellRenderer:
    """Renders cells of one sheet (``where`` names it in refusals)."""

    def __init__(self, where: str, prefix: bytes, date1904: bool, sst: SharedStrings,
                 styles: Styles):
        self.where, self.prefix, self.date1904 = where, prefix, date1904
        self.sst, self.styles = sst, styles
        self.plans: list[CellPlan] = []
        self.cells_created = 0
        self.written_formula_cells = 0

    def value_parts(self, w: Write, formula_like: bool, style: str | None
                    ) -> tuple[str | None, bytes | None, str | None]:
        """(t attribute, <v> content, s attribute) for a value."""
        v = w.value
        if v is None:
            return None, None, style
        if isinstance(v, bool):
            return "b", b"1" if v else b"0", style
        if isinstance(v, (int, float, Decimal)):
            try:
                return None, xml_number(v).encode(), style
            except (ValueError, InvalidOperation):
                raise FollowupError(
                    f"Värdet {v!r} för cellen {w.ref} på {self.where} är inget tal som Excel "
                    "kan lagra. Inget har ändrats.") from None
        if isinstance(v, (_dt.datetime, _dt.date)):
            try:
                serial = date_serial(v, self.date1904)
            except BadValue as exc:
                raise FollowupError(f"Datumet {v.isoformat()} för cellen {w.ref} på "
                                    f"{self.where} {exc}. Inget har ändrats.") from None
            s_idx = int(style) if style not in (None, "") else 0
            if not self.styles.is_date(s_idx):
                fmt = DATETIME_FORMAT_ID if isinstance(v, _dt.datetime) else DATE_FORMAT_ID
                new = self.styles.date_style(s_idx, fmt)
                style = str(new) if new else None
            return None, serial.encode(), style
        if isinstance(v, str):
            if len(v) > MAX_TEXT_LENGTH:
                raise FollowupError(
                    f"Texten för cellen {w.ref} på {self.where} är {len(v)} tecken lång; "
                    f"Excel rymmer högst {MAX_TEXT_LENGTH} tecken i en cell. Inget har ändrats.")
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise FollowupError(
                    f"Texten för cellen {w.ref} på {self.where} innehåller ogiltiga tecken. "
                    "Inget har ändrats.") from None
            if formula_like:
                return "str", xml_text(v), style
            return "s", str(self.sst.index_of(v)).encode(), style
        raise FollowupError(
            f"Värdet för cellen {w.ref} på {self.where} har typen {type(v).__name__}, som inte "
            "kan skrivas (tillåtet: text, tal, sant/falskt, datum eller tomt). Inget har ändrats.")

    def new_cell(self, w: Write, style: str | None, in_array: bool) -> tuple[bytes, str | None]:
        """A new ``<c>`` for ``w`` with ``style`` (from its neighbours); returns the bytes
        and the cell's final ``s``."""
        if style in ("0", ""):
            style = None
        t, v, s = self.value_parts(w, in_array, style)
        if s in ("0", ""):
            s = None
        self.cells_created += 1
        self.plans.append(CellPlan(w.row, w.col, t, v.decode() if v is not None else None, s,
                                   None))
        P = self.prefix
        stag = b"<" + P + b'c r="' + ref_text(w.row, w.col).encode() + b'"'
        if s is not None:
            stag += b' s="' + s.encode() + b'"'
        if t is not None:
            stag += b' t="' + t.encode() + b'"'
        if v is None:
            return stag + b"/>", s
        return stag + b"><" + P + b"v>" + v + b"</" + P + b"v></" + P + b"c>", s

    def existing_cell(self, data: bytes, el: Elem, w: Write, in_array: bool
                      ) -> tuple[bytes, str | None]:
        """``el`` (a ``<c>`` in ``data``) with the value of ``w``; returns the bytes and the
        cell's final ``s``."""
        stag = data[el.start : el.stag_end]
        a = attrs(stag)
        if b"vm" in a:
            raise FollowupError(
                f"Cellen {w.ref} på {self.where} innehåller en bild eller datatyp i cellen "
                "(värdemetadata); den skrivs inte över. Inget har ändrats.")
        kids = [] if el.empty else children(data, el.stag_end, el.inner_end)
        P = self.prefix
        f_el = next((k for k in kids if k.qname == P + b"f"), None)
        if a.get(b"t", "n") == "s" and f_el is None:
            self.sst.refs_removed += 1
        style = a.get(b"s")
        t, v, s = self.value_parts(w, f_el is not None or in_array, style)
        changes: dict[bytes, str | None] = {b"t": t}
        if s != style:
            changes[b"s"] = s
        new_stag = set_attrs(stag, changes)
        # children: keep <f> and everything that is not a value (<v>, <is>), in order
        kept: list[bytes] = []
        inserted = False
        v_bytes = b"" if v is None else b"<" + P + b"v>" + v + b"</" + P + b"v>"
        for k in kids:
            if k.qname in (P + b"v", P + b"is"):
                if not inserted:
                    kept.append(v_bytes)
                    inserted = True
                continue
            kept.append(data[k.start : k.end])
            if k.qname == P + b"f" and not inserted:
                kept.append(v_bytes)
                inserted = True
        if not inserted:
            # no <f>, no old value: the value goes first (before an extLst, if any)
            kept.insert(0, v_bytes)
        inner = b"".join(kept)
        if f_el is not None:
            self.written_formula_cells += 1
        self.plans.append(CellPlan(w.row, w.col, t, v.decode() if v is not None else None,
                                   s or None, data[f_el.start : f_el.end] if f_el else None))
        final_s = s if s not in ("0", "") else None
        if not inner:
            if stag.endswith(b"/>"):
                return new_stag, final_s
            return open_tag(new_stag) + b"</" + el.qname + b">", final_s
        return open_tag(new_stag) + inner + b"</" + el.qname + b">", final_s
