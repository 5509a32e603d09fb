"""Cell formats (``styles.xml``): which formats show a date, and new date formats.

A cell's ``s`` attribute indexes ``cellXfs``; each entry names a number format, built in
(by id) or defined in ``numFmts``. A number in a date or time format is a date serial.
The writer appends a copy of a cell's entry with a date format when it writes a date into
a cell whose format is not one (or reuses an equal entry), so only then ``styles.xml``
changes.
"""

from __future__ import annotations

import re

from followup_xl.errors import FollowupError
from followup_xl.xlsx.package import Package
from followup_xl.xlsx.xmlscan import (TOKEN_RE, Elem, Malformed, attrs, children, open_tag,
                                      root_element, set_attrs)

DATE_FORMAT_ID = 14  # built-in short date (shown in the user's locale, e.g. 2024-05-31)
DATETIME_FORMAT_ID = 22  # built-in date and time
# Built-in number formats that show dates or times: 14-22 and 45-47 in every locale, and
# the East Asian ones 27-36 and 50-58.
BUILTIN_DATE_IDS = frozenset(range(14, 23)) | frozenset(range(45, 48)) \
    | frozenset(range(27, 37)) | frozenset(range(50, 59))

# What a format code shows literally: [colour], [$-locale] and conditions (but not the
# elapsed-time brackets [h] [mm] [ss]), "quoted text", \x escapes, and _x / *x paddings.
_LITERALS_RE = re.compile(r'\[(?![hHmMsS]+\])[^\]]*\]|"[^"]*"|\\.|[_*].')
_DATE_LETTER_RE = re.compile(r"[dDmMyYhHsS]")


def is_date_code(code: str) -> bool:
    """True when a number format code shows a date or a time: its first section, without
    what it shows literally, has a day, month, year, hour or second letter."""
    return _DATE_LETTER_RE.search(_LITERALS_RE.sub("", code.split(";", 1)[0])) is not None


class Styles:
    """``cellXfs`` of a workbook, read lazily: date detection and new date entries."""

    def __init__(self, pkg: Package, part: str | None):
        self.pkg = pkg
        self.part = part
        self._loaded = False
        self.numfmt_code: dict[int, str] = {}
        self.xf_numfmt: list[int] = []
        self.xf_raw: list[tuple[bytes, bytes]] = []  # (start tag, inner bytes)
        self.base_count = 0  # cellXfs entries in the original part
        self.cellxfs: Elem | None = None
        self._cache: dict[tuple[int, int], int] = {}
        self._date_cache: dict[int, bool] = {}

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.part is None:
            return
        data = self.data = self.pkg.read(self.part)
        try:
            root = root_element(data)
            self.prefix = root.qname[: -len(b"styleSheet")]
            for el in children(data, root.stag_end, root.inner_end):
                if el.local == b"numFmts":
                    self._read_numfmts(data, el)
                elif el.local == b"cellXfs":
                    self._read_cellxfs(data, el)
        except Malformed as exc:
            raise self.pkg.bad(f"formatmallarna i delen '{self.part}' kan inte läsas ({exc})") \
                from None
        self.base_count = len(self.xf_raw)

    def _read_numfmts(self, data: bytes, el: Elem) -> None:
        for nf in children(data, el.stag_end, el.inner_end):
            a = attrs(data[nf.start : nf.stag_end])
            try:
                self.numfmt_code[int(a.get(b"numFmtId", ""))] = a.get(b"formatCode", "")
            except ValueError:
                pass

    def _read_cellxfs(self, data: bytes, el: Elem) -> None:
        self.cellxfs = el
        for xf in children(data, el.stag_end, el.inner_end):
            stag = data[xf.start : xf.stag_end]
            inner = b"" if xf.empty else data[xf.stag_end : xf.inner_end]
            try:
                self.xf_numfmt.append(int(attrs(stag).get(b"numFmtId", "0")))
            except ValueError:
                self.xf_numfmt.append(0)
            self.xf_raw.append((stag, inner))

    def count(self) -> int:
        """How many cellXfs entries the part has (0 without styles.xml)."""
        self._load()
        return len(self.xf_raw)

    def is_date(self, s: int) -> bool:
        """Whether cell format ``s`` shows a number as a date or time."""
        got = self._date_cache.get(s)
        if got is None:
            self._load()
            got = False
            if 0 <= s < len(self.xf_numfmt):
                fid = self.xf_numfmt[s]
                if fid in self.numfmt_code:
                    got = is_date_code(self.numfmt_code[fid])
                else:
                    got = fid in BUILTIN_DATE_IDS
            self._date_cache[s] = got
        return got

    def date_style(self, s: int, fmt_id: int) -> int:
        """Index of a cellXfs entry equal to entry ``s`` but with a date number format."""
        self._load()
        if self.part is None:
            raise FollowupError(
                f"Arbetsboken '{self.pkg.label}' saknar formatmallar (styles.xml), så ett datum "
                "kan inte få ett datumformat. Spara om arbetsboken i Excel och försök igen.")
        if self.cellxfs is None or not self.xf_raw:
            raise self.pkg.bad("formatmallarna saknar cellformat (cellXfs)")
        if s >= len(self.xf_raw):
            raise self.pkg.bad(f"en cell hänvisar till cellformat {s}, som inte finns")
        key = (s, fmt_id)
        if key in self._cache:
            return self._cache[key]
        stag, inner = self.xf_raw[s]
        new_stag = set_attrs(stag, {b"numFmtId": str(fmt_id), b"applyNumberFormat": "1"})
        want_attrs = attrs(new_stag)
        found = next((i for i, (st, inn) in enumerate(self.xf_raw)
                      if inn == inner and attrs(st) == want_attrs), None)
        if found is None:
            self.xf_raw.append((new_stag, inner))
            self.xf_numfmt.append(fmt_id)
            self._date_cache.pop(len(self.xf_raw) - 1, None)
            found = len(self.xf_raw) - 1
        self._cache[key] = found
        return found

    @property
    def new_xfs(self) -> list[bytes]:
        return [self._xf_bytes(st, inn) for st, inn in self.xf_raw[self.base_count :]]

    @staticmethod
    def _xf_bytes(stag: bytes, inner: bytes) -> bytes:
        if stag.endswith(b"/>") and not inner:
            return stag
        name = TOKEN_RE.match(stag).group("name")
        return open_tag(stag) + inner + b"</" + name + b">"

    @property
    def changed(self) -> bool:
        return len(self.xf_raw) > self.base_count

    def render(self) -> bytes:
        data, el = self.data, self.cellxfs
        stag = data[el.start : el.stag_end]
        total = len(self.xf_raw)
        new_stag = set_attrs(stag, {b"count": str(total)}) if b"count" in attrs(stag) else stag
        items = b"".join(self.new_xfs)
        if el.empty:
            return (data[: el.start] + open_tag(new_stag) + items + b"</" + el.qname + b">"
                    + data[el.end :])
        return (data[: el.start] + new_stag + data[el.stag_end : el.inner_end] + items
                + data[el.inner_end :])
