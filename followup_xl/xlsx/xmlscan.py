"""A byte-level XML scanner: finds elements and their offsets without re-serialising.

The writer edits parts by splicing bytes, so it needs to know *where* an element starts
and ends, not a tree. :func:`children` lists the child elements between two offsets,
:func:`attrs` and :func:`set_attrs` read and change a start tag's attributes keeping every
other byte, :func:`splice` replaces ranges. :func:`parse_xml` is the one way a whole part
is parsed into a tree (lxml, no entities, no network).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Iterator, Mapping

from lxml import etree

from followup_xl.xlsx.xmltext import xml_attr, xml_unescape

NAME = rb"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"
ATTRS = rb"(?:\s+[^\s=/>\"']+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
TOKEN_RE = re.compile(
    rb"<(?:(?P<close>/)?(?P<name>" + NAME + rb")(?P<attrs>" + ATTRS + rb")\s*(?P<empty>/)?>"
    rb"|(?P<other>!--.*?--|!\[CDATA\[.*?\]\]|\?.*?\?|!DOCTYPE[^>]*)>)",
    re.S,
)
_OFFSETS = operator.itemgetter(0, 1)  # of a splice: where it starts and ends
ATTR_RE = re.compile(rb"([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


class Malformed(Exception):
    """The bytes are not XML the scanner can edit safely (the reason, in Swedish)."""


@dataclass(slots=True)
class Elem:
    qname: bytes
    start: int  # offset of '<'
    stag_end: int  # offset after the start tag
    end: int = -1  # offset after the end tag (or after '/>')
    inner_end: int = -1  # offset of the end tag's '<' (== stag_end for empty elements)
    empty: bool = False

    @property
    def local(self) -> bytes:
        return self.qname.rpartition(b":")[2]


def iter_tokens(data: bytes, pos: int, end: int) -> Iterator[re.Match[bytes]]:
    while True:
        i = data.find(b"<", pos, end)
        if i < 0:
            return
        m = TOKEN_RE.match(data, i, end)
        if m is None:
            raise Malformed(f"oväntad XML vid position {i}")
        if m.group("other") is not None and m.group("other").startswith(b"!DOCTYPE"):
            raise Malformed("DOCTYPE")
        yield m
        pos = m.end()


def children(data: bytes, start: int, end: int) -> list[Elem]:
    """Element children between ``start`` and ``end`` (the inside of a parent element)."""
    return list(iter_children(data, start, end))


def iter_children(data: bytes, start: int, end: int) -> Iterator[Elem]:
    """:func:`children` one at a time, each yielded at its start tag: its end is set when
    its end tag is met, before the next child is yielded. A caller may stop at a child
    and find its end itself (the worksheet's ``sheetData``, too large to tokenise)."""
    last: Elem | None = None
    depth = 0
    for m in iter_tokens(data, start, end):
        if m.group("other") is not None:
            continue
        if m.group("close"):
            depth -= 1
            if depth < 0:
                raise Malformed("oväntad sluttagg")
            if depth == 0:
                last.end, last.inner_end = m.end(), m.start()
            continue
        if depth == 0:
            last = Elem(m.group("name"), m.start(), m.end())
            if m.group("empty"):
                last.empty, last.end, last.inner_end = True, m.end(), m.end()
            yield last
        if not m.group("empty"):
            depth += 1
    if depth != 0:
        raise Malformed("element saknar sluttagg")


def attrs(stag: bytes) -> dict[bytes, str]:
    """Attributes of a start tag; names as raw bytes (with prefix), values unescaped."""
    m = TOKEN_RE.match(stag)
    if m is None or m.group("name") is None:
        raise Malformed("ingen starttagg")
    try:
        return {a.group(1): xml_unescape(a.group(2) if a.group(2) is not None else a.group(3))
                for a in ATTR_RE.finditer(m.group("attrs"))}
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed("ett attribut kan inte läsas") from exc


def attr(stag: bytes, name: bytes) -> str | None:
    """One attribute of a start tag (unescaped), or None: :func:`attrs` without the dict."""
    for a in ATTR_RE.finditer(stag):
        if a.group(1) == name:
            raw = a.group(2) if a.group(2) is not None else a.group(3)
            try:
                return xml_unescape(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Malformed("ett attribut kan inte läsas") from exc
    return None


def set_attrs(stag: bytes, changes: Mapping[bytes, str | None]) -> bytes:
    """Change, add or remove attributes of a start tag, keeping all other bytes."""
    m = TOKEN_RE.match(stag)
    if m is None or m.group("name") is None:
        raise Malformed("ingen starttagg")
    for name, value in changes.items():
        m = TOKEN_RE.match(stag)
        a_start = m.start("attrs")
        found = next((a for a in ATTR_RE.finditer(m.group("attrs")) if a.group(1) == name), None)
        if found is not None:
            s, e = a_start + found.start(), a_start + found.end()
            ws = s  # include the whitespace before the attribute when removing
            while ws > 0 and stag[ws - 1 : ws].isspace():
                ws -= 1
            if value is None:
                stag = stag[:ws] + stag[e:]
            else:
                stag = stag[:s] + name + b'="' + xml_attr(value) + b'"' + stag[e:]
        elif value is not None:
            ins = a_start + len(m.group("attrs"))
            stag = stag[:ins] + b" " + name + b'="' + xml_attr(value) + b'"' + stag[ins:]
    return stag


def open_tag(stag: bytes) -> bytes:
    """'<c r="A1"/>' -> '<c r="A1">' (for an element that gets content)."""
    if stag.endswith(b"/>"):
        return stag[:-2].rstrip() + b">"
    return stag


def root_element(data: bytes) -> Elem:
    """The document element of a UTF-8 part, with its start and end offsets."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        raise Malformed("UTF-16")
    decl = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)", data)
    if decl and decl.group(1).lower().replace(b"-", b"") not in (b"utf8",):
        raise Malformed("teckenkodningen är inte UTF-8")
    for m in iter_tokens(data, 0, len(data)):
        if m.group("other") is not None:
            continue
        if m.group("close"):
            raise Malformed("sluttagg före rotelementet")
        el = Elem(m.group("name"), m.start(), m.end())
        if m.group("empty"):
            el.empty, el.end, el.inner_end = True, m.end(), m.end()
        else:
            i = data.rfind(b"</" + el.qname)
            if i < el.stag_end:
                raise Malformed("rotelementet saknar sluttagg")
            el.inner_end = i
            el.end = data.find(b">", i) + 1
        return el
    raise Malformed("inget rotelement")


def splice(data: bytes, splices: list[tuple[int, int, bytes]], start: int = 0,
           end: int | None = None) -> bytes:
    """data[start:end] with data[s:e] replaced by b for each non-overlapping (s, e, b)."""
    out: list[bytes] = []
    cursor = start
    for s, e, b in sorted(splices, key=_OFFSETS):
        if s < cursor:
            raise Malformed("överlappande ändringar")
        out.append(data[cursor:s])
        out.append(b)
        cursor = e
    out.append(data[cursor:end])
    return b"".join(out)


def append_child(data: bytes, el: bytes) -> bytes:
    """The part with ``el`` added as the root element's last child."""
    root = root_element(data)
    if root.empty:
        return (data[: root.start] + open_tag(data[root.start : root.stag_end]) + el + b"</"
                + root.qname + b">" + data[root.end :])
    return data[: root.inner_end] + el + data[root.inner_end :]


def parser() -> etree.XMLParser:
    """lxml's parser as every part is parsed: no entities, no network, no DTD."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                           load_dtd=False)


def parse_xml(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Malformed(syntax_error(exc)) from None


def syntax_error(exc: Exception) -> str:
    """lxml's complaint as a Swedish phrase (its own English text never reaches a user)."""
    line = getattr(exc, "lineno", None)
    return f"felaktig XML på rad {line}" if line else "felaktig XML"
