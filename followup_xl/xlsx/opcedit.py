"""Additions to the package's directories: a content-type override, a relationship."""

from __future__ import annotations

import re

from followup_xl.xlsx.xmlscan import append_child, root_element
from followup_xl.xlsx.xmltext import xml_attr


def add_override(data: bytes, part: str, ctype: str) -> bytes:
    """``[Content_Types].xml`` with an Override for ``part``."""
    prefix = root_element(data).qname[: -len(b"Types")]
    return append_child(data, b"<" + prefix + b'Override PartName="/' + xml_attr(part)
                        + b'" ContentType="' + xml_attr(ctype) + b'"/>')


def add_relationship(data: bytes, rtype: str, target: str) -> bytes:
    """A ``.rels`` part with a new relationship (the first free ``rIdN``)."""
    prefix = root_element(data).qname[: -len(b"Relationships")]
    ids = set(re.findall(rb'\bId\s*=\s*["\']([^"\']*)["\']', data))
    n = 1
    while b"rId%d" % n in ids:
        n += 1
    return append_child(data, b"<" + prefix + b'Relationship Id="rId%d" Type="' % n
                        + xml_attr(rtype) + b'" Target="' + xml_attr(target) + b'"/>')
