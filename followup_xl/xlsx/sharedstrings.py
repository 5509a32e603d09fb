"""The shared-string table (``sharedStrings.xml``): reading its texts, appending new ones.

Text cells refer to an item of this table by index (``<c t="s"><v>3</v></c>``). The
reader gets every item's text as Excel shows it (rich-text runs joined, phonetic runs
left out, ``_xHHHH_`` decoded); the writer appends new plain items before ``</sst>``,
reuses an identical plain item, and keeps ``count``/``uniqueCount`` right.
"""

from __future__ import annotations

import posixpath

from lxml import etree

from followup_xl.xlsx.package import Package
from followup_xl.xlsx.partnames import NS_MAIN
from followup_xl.xlsx.xmlscan import Malformed, attrs, open_tag, parse_xml, root_element, set_attrs
from followup_xl.xlsx.xmltext import xml_text, xml_text_raw, xstring_decode

_SI, _T, _R = f"{{{NS_MAIN}}}si", f"{{{NS_MAIN}}}t", f"{{{NS_MAIN}}}r"
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _root(pkg: Package, part: str) -> etree._Element | None:
    data = pkg.read(part)
    if not data.strip():
        return None
    try:
        root = parse_xml(data)
    except Malformed as exc:
        raise pkg.bad(f"delen '{part}' är inte giltig XML ({exc})") from None
    if etree.QName(root).namespace != NS_MAIN or etree.QName(root).localname != "sst":
        raise pkg.bad(f"delen '{part}' är inte en tabell med delade strängar")
    return root


def read_shared_strings(pkg: Package, part: str | None) -> list[str]:
    """Every item's text, in index order (empty when the workbook has no table)."""
    if part is None:
        return []
    root = _root(pkg, part)
    out: list[str] = []
    for si in (root if root is not None else ()):
        if si.tag != _SI:
            continue
        t = si.find(_T)
        if t is not None:
            text = t.text or ""
        else:
            text = "".join(t.text or "" for r in si.iterchildren(_R) for t in r.iterchildren(_T))
        out.append(xstring_decode(text))
    return out


class SharedStrings:
    """The writer's view: look up or append plain items; render the new part."""

    def __init__(self, pkg: Package, part: str | None, workbook_part: str):
        self.pkg = pkg
        self.part = part
        self.exists = part is not None
        self.new_part = part or posixpath.join(posixpath.dirname(workbook_part),
                                               "sharedStrings.xml")
        self._loaded = False
        self.base_count = 0
        self.lookup: dict[bytes, int] = {}
        self.new_items: list[bytes] = []
        self.refs_added = 0
        self.refs_removed = 0

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.exists:
            return
        root = _root(self.pkg, self.part)
        if root is None:
            raise self.pkg.bad(f"delen '{self.part}' är inte en tabell med delade strängar")
        idx, lookup = 0, self.lookup
        for si in root.iterchildren(_SI):
            if len(si) == 1:  # (comments and instructions count as children too)
                t = si[0]
                if t.tag == _T and not len(t):
                    text = t.text or ""
                    if text == text.strip(" \t\n\r") or t.get(_SPACE) == "preserve":
                        lookup.setdefault(xml_text_raw(text), idx)
            idx += 1
        self.base_count = idx

    def index_of(self, text: str, raw: bytes | None = None) -> int:
        """The index of a plain item with ``text`` (appended when there is none);
        ``raw``, when given, is ``xml_text(text)`` already computed by the caller."""
        if not self._loaded:
            self._load()
        if raw is None:
            raw = xml_text(text)
        self.refs_added += 1
        idx = self.lookup.get(raw)
        if idx is not None:
            return idx
        idx = self.base_count + len(self.new_items)
        space = b' xml:space="preserve"' if text != text.strip(" \t\n\r") or "\n" in text else b""
        self.new_items.append(b"<si><t" + space + b">" + raw + b"</t></si>")
        self.lookup[raw] = idx
        return idx

    @property
    def changed(self) -> bool:
        return bool(self.new_items)

    def render(self) -> bytes:
        """New bytes of the shared-string part (call only when ``changed``)."""
        if not self.exists:
            n = len(self.new_items)
            return (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                b'<sst xmlns="' + NS_MAIN.encode() + b'" count="' + str(self.refs_added).encode()
                + b'" uniqueCount="' + str(n).encode() + b'">' + b"".join(self.new_items)
                + b"</sst>")
        data = self.pkg.read(self.part)
        root_el = root_element(data)
        prefix = root_el.qname[: -len(b"sst")]
        items = b"".join(_prefix_items(self.new_items, prefix))
        stag = data[root_el.start : root_el.stag_end]
        a = attrs(stag)
        changes: dict[bytes, str | None] = {}
        if b"uniqueCount" in a:
            changes[b"uniqueCount"] = str(self.base_count + len(self.new_items))
        if b"count" in a:
            try:
                old = int(a[b"count"])
                changes[b"count"] = str(max(0, old + self.refs_added - self.refs_removed))
            except ValueError:
                pass
        new_stag = set_attrs(stag, changes)
        if root_el.empty:
            close = b"</" + root_el.qname + b">"
            return data[: root_el.start] + open_tag(new_stag) + items + close + data[root_el.end :]
        return (data[: root_el.start] + new_stag + data[root_el.stag_end : root_el.inner_end]
                + items + data[root_el.inner_end :])


def _prefix_items(items: list[bytes], prefix: bytes) -> list[bytes]:
    if not prefix:
        return items
    return [i.replace(b"<si>", b"<" + prefix + b"si>").replace(b"</si>", b"</" + prefix + b"si>")
             .replace(b"<t>", b"<" + prefix + b"t>").replace(b"<t ", b"<" + prefix + b"t ")
             .replace(b"</t>", b"</" + prefix + b"t>") for i in items]
