"""One cell's new XML: a value as ``t``/``s`` attributes and ``<v>``, formulas kept.

A plain value becomes a number, a shared string (``t="s"``), a boolean or a date serial
(whose cell gets a date format when it has none); in a formula cell the formula stays and
the value becomes its cached result (text as ``t="str"``). An existing cell keeps its start
tag's other attributes and every child but the old value, byte for byte. Each rendered cell
leaves a :class:`CellPlan`, what the verification expects to find.

Attribute values (``t``, ``s``) and the ``<v>`` text are handled as bytes, as they stand
in the part: most cells of a large write take the short paths here (a number or a text
into a new cell, or into an existing cell in Excel's plain form), so they are rendered
without decoding and encoding.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from followup_xl.errors import FollowupError
from followup_xl.xlsx.cellvalue import BadValue, date_serial, xml_number
from followup_xl.xlsx.sharedstrings import SharedStrings
from followup_xl.xlsx.styles import DATE_FORMAT_ID, DATETIME_FORMAT_ID, Styles
from followup_xl.xlsx.xmlscan import Elem, attrs, children, open_tag, set_attrs
from followup_xl.xlsx.xmltext import xml_text

CellValue = None | str | int | Decimal | float | bool | _dt.date | _dt.datetime
MAX_TEXT_LENGTH = 32767  # Excel's limit for the text of one cell
_NO_STYLE = (None, b"", b"0")  # s attributes that mean the default format


@dataclass(slots=True)
class Write:
    row: int
    col: int
    ref: str  # as given by the caller
    value: CellValue


@dataclass(slots=True)
class CellPlan:
    """What the verification step expects to find in the written cell (attribute values
    and the ``<v>`` text as the renderer wrote them, XML-escaped; None: absent)."""

    row: int
    col: int
    t: bytes | None
    v: bytes | None
    s: bytes | None
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
        P = prefix
        self._c_open = b"<" + P + b'c r="'
        self._v_open, self._v_close = b"<" + P + b"v>", b"</" + P + b"v>"
        self._c_close = b"</" + P + b"c>"
        # around a new value: the end of the start tag and <v>; </v> and the end tag
        self._v_wrap_open = b'"><' + P + b"v>"
        self._v_wrap_close = b"</" + P + b"v></" + P + b"c>"

    def value_parts(self, w: Write, formula_like: bool, style: bytes | None
                    ) -> tuple[bytes | None, bytes | None, bytes | None]:
        """(t attribute, <v> content, s attribute) for a value."""
        v = w.value
        kind = type(v)  # the common exact types first; subclasses take the ladder below
        if kind is Decimal or kind is int:
            return None, self._number(w, v), style
        if kind is str:
            return self._text(w, v, formula_like) + (style,)
        if v is None:
            return None, None, style
        if isinstance(v, bool):
            return b"b", b"1" if v else b"0", style
        if isinstance(v, (int, float, Decimal)):
            return None, self._number(w, v), style
        if isinstance(v, (_dt.datetime, _dt.date)):
            return self._date(w, v, style)
        if isinstance(v, str):
            return self._text(w, v, formula_like) + (style,)
        raise FollowupError(
            f"Värdet för cellen {w.ref} på {self.where} har typen {type(v).__name__}, som inte "
            "kan skrivas (tillåtet: text, tal, sant/falskt, datum eller tomt). Inget har ändrats.")

    def _number(self, w: Write, v: int | float | Decimal) -> bytes:
        try:
            return xml_number(v).encode()
        except (ValueError, InvalidOperation):
            raise FollowupError(
                f"Värdet {v!r} för cellen {w.ref} på {self.where} är inget tal som Excel "
                "kan lagra. Inget har ändrats.") from None

    def _date(self, w: Write, v: _dt.date, style: bytes | None
              ) -> tuple[None, bytes, bytes | None]:
        try:
            serial = date_serial(v, self.date1904)
        except BadValue as exc:
            raise FollowupError(f"Datumet {v.isoformat()} för cellen {w.ref} på "
                                f"{self.where} {exc}. Inget har ändrats.") from None
        s_idx = int(style.decode("utf-8")) if style not in (None, b"") else 0
        if not self.styles.is_date(s_idx):
            fmt = DATETIME_FORMAT_ID if isinstance(v, _dt.datetime) else DATE_FORMAT_ID
            new = self.styles.date_style(s_idx, fmt)
            style = str(new).encode() if new else None
        return None, serial.encode(), style

    def _text(self, w: Write, v: str, formula_like: bool) -> tuple[bytes, bytes]:
        """(t, <v> content) of a text: a cached result in a formula cell, else a shared
        string."""
        if len(v) > MAX_TEXT_LENGTH:
            raise FollowupError(
                f"Texten för cellen {w.ref} på {self.where} är {len(v)} tecken lång; "
                f"Excel rymmer högst {MAX_TEXT_LENGTH} tecken i en cell. Inget har ändrats.")
        try:
            raw = xml_text(v)  # encodes to UTF-8: a lone surrogate fails here
        except UnicodeEncodeError:
            raise FollowupError(
                f"Texten för cellen {w.ref} på {self.where} innehåller ogiltiga tecken. "
                "Inget har ändrats.") from None
        if formula_like:
            return b"str", raw
        return b"s", str(self.sst.index_of(v, raw)).encode()

    def new_cell(self, w: Write, ref: bytes, style: bytes | None, in_array: bool
                 ) -> tuple[bytes, bytes | None]:
        """A new ``<c>`` for ``w`` (``ref``: its reference) with ``style`` (from its
        neighbours); returns the bytes and the cell's final ``s``."""
        if style in _NO_STYLE:
            style = None
        v = w.value
        kind = type(v)
        if kind is Decimal or kind is int:  # the common cases of value_parts, directly
            t, v, s = None, self._number(w, v), style
        elif kind is str:
            (t, v), s = self._text(w, v, in_array), style
        else:
            t, v, s = self.value_parts(w, in_array, style)
            if s in _NO_STYLE:
                s = None
        self.cells_created += 1
        self.plans.append(CellPlan(w.row, w.col, t, v, s, None))
        head = self._c_open + ref
        if s is not None:
            head += b'" s="' + s
        if t is not None:
            head += b'" t="' + t
        if v is None:
            return head + b'"/>', s
        return head + self._v_wrap_open + v + self._v_wrap_close, s

    def existing_plain(self, w: Write, ref: bytes, whole: bytes, s_attr: bytes,
                       t_attr: bytes, in_array: bool) -> tuple[bytes, bytes | None]:
        """What :meth:`existing_cell` makes of a cell in Excel's plain form, ``whole``:
        ``<c r="ref"`` with only ``s`` and ``t`` (``s_attr``, ``t_attr``: their values,
        empty when absent) in that order and at most a ``<v>`` -- the same bytes, built
        directly (``tests/test_writer_paths.py`` compares the two)."""
        if t_attr == b"s":
            self.sst.refs_removed += 1
        style = s_attr or None
        t, v, s = self.value_parts(w, in_array, style)
        self.plans.append(CellPlan(w.row, w.col, t, v, s or None, None))
        head = self._c_open + ref
        if s == style or style is not None:  # s kept, replaced in place or removed
            if s is not None:
                head += b'" s="' + s
            if t is not None:
                head += b'" t="' + t
        else:  # a new s: set_attrs adds it after t
            if t is not None:
                head += b'" t="' + t
            head += b'" s="' + s
        final_s = None if s in _NO_STYLE else s
        if v is not None:
            return head + self._v_wrap_open + v + self._v_wrap_close, final_s
        if whole.endswith(b"/>"):
            return head + b'"/>', final_s
        return head + b'">' + self._c_close, final_s

    def existing_cell(self, data: bytes, el: Elem, w: Write, in_array: bool
                      ) -> tuple[bytes, bytes | None]:
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
        style_b = None if style is None else style.encode()
        t, v, s_b = self.value_parts(w, f_el is not None or in_array, style_b)
        s = None if s_b is None else s_b.decode()
        changes: dict[bytes, str | None] = {b"t": None if t is None else t.decode()}
        if s != style:
            changes[b"s"] = s
        new_stag = set_attrs(stag, changes)
        # children: keep <f> and everything that is not a value (<v>, <is>), in order
        kept: list[bytes] = []
        inserted = False
        v_bytes = b"" if v is None else self._v_open + v + self._v_close
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
        self.plans.append(CellPlan(w.row, w.col, t, v, s_b or None,
                                   data[f_el.start : f_el.end] if f_el else None))
        final_s = None if s_b in _NO_STYLE else s_b
        if not inner:
            if stag.endswith(b"/>"):
                return new_stag, final_s
            return open_tag(new_stag) + b"</" + el.qname + b">", final_s
        return open_tag(new_stag) + inner + b"</" + el.qname + b">", final_s
