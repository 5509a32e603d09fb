"""Text inside SpreadsheetML: XML escaping and Excel's ``_xHHHH_`` escapes (ST_Xstring).

XML 1.0 cannot carry most control characters, so Excel writes them as ``_x0001_``; a
literal ``_x0041_`` in a cell therefore has its underscore escaped as ``_x005F_``.
"""

from __future__ import annotations

import re

_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_X_ESCAPE_LOOKALIKE_RE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_X_UNESCAPE_RE = re.compile("_x([0-9A-Fa-f]{4})_")
_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def xstring(text: str) -> str:
    """Escape text the way Excel stores it in ST_Xstring: a literal ``_xHHHH_`` gets its
    underscore escaped as ``_x005F_``, and characters XML 1.0 cannot carry become ``_xHHHH_``."""
    text = _X_ESCAPE_LOOKALIKE_RE.sub(r"_x005F_\1", text)
    return _XML_ILLEGAL_RE.sub(lambda m: "_x%04X_" % ord(m.group()), text)


def xstring_decode(text: str) -> str:
    """What Excel shows for ST_Xstring text: every ``_xHHHH_`` decoded."""
    if "_x" not in text:
        return text
    return _X_UNESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


_PLAIN_RE = re.compile("[_&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> bytes:
    """Element content: ST_Xstring escaping, then XML escaping (a CR stays a CR via &#13;)."""
    if _PLAIN_RE.search(text) is None:
        return text.encode("utf-8")  # nothing to escape (the common case)
    return xml_text_raw(xstring(text))


def xml_text_raw(text: str) -> bytes:
    """The escaped form of text that is already in ST_Xstring form (from a parsed <t>)."""
    s = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return s.encode("utf-8")


def xml_attr(text: str) -> bytes:
    """An attribute value, escaped for double quotes; whitespace characters as references."""
    s = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return s.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;").encode("utf-8")


def xml_unescape(raw: bytes) -> str:
    """Attribute or text bytes with the XML references resolved."""
    def sub(m: re.Match[str]) -> str:
        e = m.group(1)
        if e.startswith("#x"):
            return chr(int(e[2:], 16))
        if e.startswith("#"):
            return chr(int(e[1:]))
        return _ENTITIES[e]

    text = raw.decode("utf-8")
    return _ENTITY_RE.sub(sub, text) if "&" in text else text
