"""SIE text as the standard writes it: bytes to text, lines to fields, and #KSUMMA.

- Encoding: the standard says CP437 (``#FORMAT PC8``), but real files that declare it are
  often UTF-8 or Latin-1. Decided from the bytes: strict UTF-8 first; otherwise CP437 or
  Latin-1 by which one's å ä ö (and Å Ä Ö) bytes the file holds more of.
- Fields are separated by spaces or tabs; a field with spaces is quoted, ``\\"`` is a quote
  inside one; ``{dim obj …}`` is an object list (``{}`` and ``{ }`` are empty).
- #KSUMMA: CRC-32 (zlib's) over every field between the opening ``#KSUMMA`` and the
  closing ``#KSUMMA n``, labels included, without separators, quotes or braces, in CP437.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_CP437_SWEDISH = bytes([0x86, 0x84, 0x94, 0x8F, 0x8E, 0x99])  # å ä ö Å Ä Ö
_LATIN1_SWEDISH = bytes([0xE5, 0xE4, 0xF6, 0xC5, 0xC4, 0xD6])

ENCODING_NAMES = {"cp437": "teckentabell 437 (PC8)", "utf-8": "UTF-8",
                  "latin-1": "ISO 8859-1 (Latin-1)", "ascii": "ASCII"}


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): "ascii", "utf-8", "cp437" or "latin-1"."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
        return text, "ascii" if text.isascii() else "utf-8"
    except UnicodeDecodeError:
        pass
    cp437 = sum(data.count(b) for b in _CP437_SWEDISH)
    latin1 = sum(data.count(b) for b in _LATIN1_SWEDISH)
    encoding = "latin-1" if latin1 > cp437 else "cp437"
    return data.decode(encoding), encoding


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"?|([{}])|([^\s"{}]+)')


@dataclass(frozen=True)
class Objects:
    """An object list: ((dimension, object), …)."""

    pairs: tuple[tuple[str, str], ...]

    def get(self, dim: str | None) -> str:
        if dim is None:
            return ""
        for d, o in self.pairs:
            if d == dim:
                return o
        return ""

    @property
    def dims(self) -> frozenset[str]:
        return frozenset(d for d, _ in self.pairs)


EMPTY = Objects(())


class BadLine(ValueError):
    """A line that does not have the form its label asks for; the text is Swedish."""


def fields(line: str) -> list:
    """The fields of one line: strings, and an :class:`Objects` for an object list.
    A malformed object list (an odd number of items, no closing brace) is a BadLine."""
    if '"' not in line:
        if "{" not in line:
            return line.split()
        tokens = line.replace("{", " { ").replace("}", " } ").split()
    else:
        tokens = []
        for quoted, brace, plain in _TOKEN.findall(line):
            if brace:
                tokens.append(brace)
            elif plain:
                tokens.append(plain)
            else:
                tokens.append(_Quoted(quoted.replace('\\"', '"')))
    out: list = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "{" and not isinstance(t, _Quoted):
            try:
                j = next(k for k in range(i + 1, len(tokens))
                         if tokens[k] == "}" and not isinstance(tokens[k], _Quoted))
            except StopIteration:
                raise BadLine("objektlistan saknar avslutande }") from None
            inner = [str(x) for x in tokens[i + 1:j]]
            if len(inner) % 2:
                raise BadLine("objektlistan ska ha par av dimension och objekt")
            out.append(Objects(tuple(zip(inner[::2], inner[1::2]))) if inner else EMPTY)
            i = j + 1
        else:
            out.append(str(t))
            i += 1
    return out


class _Quoted(str):
    """A quoted field: "{" in quotes is text, not an object list."""


def checksum_fields(line: str) -> bytes:
    """A line's fields as #KSUMMA counts them: concatenated, no quotes or braces, CP437."""
    parts = []
    for quoted, brace, plain in _TOKEN.findall(line):
        if brace:
            continue
        parts.append(plain if plain else quoted.replace('\\"', '"'))
    return "".join(parts).encode("cp437", errors="replace")


class Checksum:
    """The running CRC-32 of a #KSUMMA block."""

    def __init__(self):
        self.crc = 0

    def add(self, line: str) -> None:
        self.crc = zlib.crc32(checksum_fields(line), self.crc)
