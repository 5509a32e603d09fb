"""Where things lie in one worksheet part's bytes: rows, cells, and what constrains writes.

:class:`SheetIndex` finds, without building a tree, the top-level elements around
``<sheetData>`` (``dimension``, ``cols``, ``mergeCells``), the offsets of every ``<row>``,
the ranges of array and data-table formulas, and -- only for a row asked about -- its
``<c>`` elements. It refuses parts it cannot read safely (Strict, an unknown namespace,
comments or CDATA inside ``sheetData``, duplicate rows).
"""

from __future__ import annotations

import re

from followup_xl.xlsx.cellref import parse_range, parse_ref
from followup_xl.xlsx.partnames import NS_MAIN, NS_STRICT_MAIN
from followup_xl.xlsx.xmlscan import (ATTR_RE, ATTRS, Elem, Malformed, attrs, children,
                                      iter_tokens, root_element)

# The unprefixed r attribute in a row start tag's attribute text. Only a value in single
# quotes that itself contains ' r="..."' could fool it; the verification after the edit
# (which parses with lxml) would then refuse the write.
_R_ATTR_RE = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


class SheetIndex:
    """The located structure of one worksheet part (``data``, its bytes)."""

    def __init__(self, data: bytes):
        self.data = data
        root = self.root = root_element(data)
        a = attrs(data[root.start : root.stag_end])
        if not root.qname.endswith(b"worksheet") or root.local != b"worksheet":
            raise Malformed("rotelementet är inte ett kalkylblad")
        self.prefix = root.qname[: -len(b"worksheet")]
        ns = a.get(b"xmlns:" + self.prefix[:-1] if self.prefix else b"xmlns")
        if ns == NS_STRICT_MAIN:
            raise Malformed("Strikt Open XML stöds inte")
        if ns != NS_MAIN:
            raise Malformed("okänt namnområde")
        self._locate_sheetdata()
        self.tail = children(data, self.sheetdata.end, root.inner_end)
        self.dimension = next((e for e in self.head if e.local == b"dimension"), None)
        self.col_styles = self._col_styles()
        self.merged = self._merged()
        self._index_rows()
        self._index_arrays()
        self._styles_cache: dict[int, dict[int, str | None]] = {}

    # -- top level ---------------------------------------------------------------------------
    def _locate_sheetdata(self) -> None:
        data, root = self.data, self.root
        head: list[Elem] = []
        depth = 0
        sd_qname = self.prefix + b"sheetData"
        self.sheetdata = None
        for m in iter_tokens(data, root.stag_end, root.inner_end):
            if m.group("other") is not None:
                continue
            if m.group("close"):
                depth -= 1
                if depth == 0:
                    head[-1].end, head[-1].inner_end = m.end(), m.start()
                continue
            if depth == 0:
                el = Elem(m.group("name"), m.start(), m.end())
                head.append(el)
                if m.group("empty"):
                    el.empty, el.end, el.inner_end = True, m.end(), m.end()
                if el.qname == sd_qname:
                    self.sheetdata = el
                    break
            if not m.group("empty"):
                depth += 1
        sd = self.sheetdata
        if sd is None:
            raise Malformed("bladet saknar sheetData")
        if not sd.empty:
            close = re.compile(rb"</" + re.escape(sd_qname) + rb"\s*>")
            cm = close.search(data, sd.stag_end, root.inner_end)
            if cm is None:
                raise Malformed("sheetData saknar sluttagg")
            sd.inner_end, sd.end = cm.start(), cm.end()
        for bad in (b"<!--", b"<![CDATA[", b"<?"):
            if data.find(bad, sd.stag_end, sd.inner_end) >= 0:
                raise Malformed("sheetData innehåller kommentarer, CDATA eller instruktioner")
        self.head = head[:-1]

    def _col_styles(self) -> list[tuple[int, int, int]]:
        out = []
        for e in self.head:
            if e.local == b"cols":
                for col in children(self.data, e.stag_end, e.inner_end):
                    a = attrs(self.data[col.start : col.stag_end])
                    try:
                        if b"style" in a:
                            out.append((int(a[b"min"]), int(a[b"max"]), int(a[b"style"])))
                    except (KeyError, ValueError):
                        pass
        return out

    def _merged(self) -> list[tuple[int, int, int, int]]:
        out = []
        for e in self.tail:
            if e.local == b"mergeCells":
                for mc in children(self.data, e.stag_end, e.inner_end):
                    rng = parse_range(attrs(self.data[mc.start : mc.stag_end]).get(b"ref", ""))
                    if rng:
                        out.append(rng)
        return out

    # -- rows ----------------------------------------------------------------------------------
    def _index_rows(self) -> None:
        data, sd = self.data, self.sheetdata
        p = re.escape(self.prefix)
        row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])(" + ATTRS + rb")\s*(/?)>")
        row_close_re = re.compile(rb"</" + p + rb"row\s*>")
        self.rows: dict[int, Elem] = {}
        self.row_order: list[int] = []
        self.sorted = True
        self.rows_have_r = True
        body_s, body_e = sd.stag_end, sd.inner_end
        pos, last = body_s, 0
        while True:
            m = row_re.search(data, pos, body_e)
            if m is None:
                if data[pos:body_e].strip():
                    raise Malformed("oväntat innehåll i sheetData")
                break
            if data[pos : m.start()].strip():
                raise Malformed("oväntat innehåll i sheetData")
            el = Elem(self.prefix + b"row", m.start(), m.end())
            if m.group(2):
                el.empty, el.end, el.inner_end = True, m.end(), m.end()
            else:
                cm = row_close_re.search(data, m.end(), body_e)
                if cm is None:
                    raise Malformed("en rad saknar sluttagg")
                el.inner_end, el.end = cm.start(), cm.end()
            rm = _R_ATTR_RE.search(m.group(1))
            if rm is not None:
                try:
                    r = int(rm.group(1) or rm.group(2))
                except ValueError:
                    raise Malformed("ogiltigt radnummer") from None
            else:
                self.rows_have_r = False
                r = last + 1
            if r <= last:
                self.sorted = False
            if r in self.rows:
                raise Malformed(f"rad {r} förekommer två gånger")
            self.rows[r] = el
            self.row_order.append(r)
            last = max(last, r)
            pos = el.end

    def _index_arrays(self) -> None:
        """Array / data-table formula ranges: their non-master cells hold cached results."""
        data, sd = self.data, self.sheetdata
        p = re.escape(self.prefix)
        f_re = re.compile(rb"<" + p + rb"f(" + ATTRS + rb")\s*/?>")
        self.array_ranges: list[tuple[int, int, int, int]] = []
        for fm in f_re.finditer(data, sd.stag_end, sd.inner_end):
            a = {x.group(1): x.group(2) or x.group(3) for x in ATTR_RE.finditer(fm.group(1))}
            if a.get(b"t") in (b"array", b"dataTable") and b"ref" in a:
                rng = parse_range(a[b"ref"].decode("ascii", "replace"))
                if rng:
                    self.array_ranges.append(rng)
        self._f_count_re = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.has_cells = re.compile(rb"<" + p + rb"c(?=[\s/>])").search(
            data, sd.stag_end, sd.inner_end) is not None

    def row_cells(self, r: int) -> list[tuple[int, Elem]]:
        """(column, element) for each <c> of original row r, in document order."""
        row_el = self.rows.get(r)
        if row_el is None or row_el.empty:
            return []
        data, cq = self.data, self.prefix + b"c"
        out = []
        last = 0
        for el in children(data, row_el.stag_end, row_el.inner_end):
            if el.qname != cq:
                continue
            a = attrs(data[el.start : el.stag_end])
            if b"r" in a:
                rc = parse_ref(a[b"r"])
                if rc is None or rc[0] != r:
                    raise Malformed(f"cellen '{a[b'r']}' ligger inte på rad {r}")
                col = rc[1]
            else:
                col = last + 1
            out.append((col, el))
            last = col
        return out

    def row_styles(self, r: int) -> dict[int, str | None]:
        """{column: s attribute} of the cells of original row r (cached)."""
        got = self._styles_cache.get(r)
        if got is None:
            got = self._styles_cache[r] = {
                col: attrs(self.data[c.start : c.stag_end]).get(b"s")
                for col, c in self.row_cells(r)}
        return got

    def in_array(self, r: int, c: int) -> bool:
        return any(r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1)
                   for (r1, c1, r2, c2) in self.array_ranges)

    def column_style(self, c: int) -> str | None:
        for lo, hi, style in self.col_styles:
            if lo <= c <= hi:
                return str(style)
        return None

    def formula_count(self, new_data: bytes) -> int:
        sd_start = new_data.find(b"<" + self.prefix + b"sheetData")
        return len(self._f_count_re.findall(new_data, sd_start if sd_start >= 0 else 0))
