"""The workbook part (``xl/workbook.xml``) and how the package leads to it.

:class:`WorkbookPart` checks the package is a transitional SpreadsheetML workbook (not
Strict, not ``.xlsb``, not signed), and knows its sheets (name, kind, part), workbook-level
and sheet-level defined names, the date system, and where shared strings and styles lie.
:func:`set_full_calc` asks Excel to recalculate on open (``calcPr fullCalcOnLoad``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from followup_xl.errors import FollowupError
from followup_xl.xlsx.package import Package
from followup_xl.xlsx.partnames import (CT_MACRO_ENABLED, NS_MAIN, NS_REL, NS_STRICT_MAIN,
                                        RT_MACROSHEETS, RT_OFFICE_DOCUMENT, RT_SHARED_STRINGS,
                                        RT_SIGNATURE_ORIGIN, RT_STYLES, RT_WORKSHEET,
                                        WORKBOOK_CONTENT_TYPES, rels_part)
from followup_xl.xlsx.xmlscan import Malformed, attrs, children, parse_xml, root_element, set_attrs

_M = f"{{{NS_MAIN}}}"


@dataclass(frozen=True)
class Sheet:
    name: str
    sheet_id: str
    rel_type: str  # worksheet, chartsheet, dialogsheet or macro sheet relationship
    part: str  # the part's name in the package ('' when the relationship is missing)
    index: int  # position in the workbook (what localSheetId counts)

    @property
    def is_worksheet(self) -> bool:
        return self.rel_type == RT_WORKSHEET


@dataclass(frozen=True)
class DefinedName:
    name: str
    text: str  # what it refers to, as stored ("'Inställningar'!$B$3", "#REF!$B$6", "=1")
    sheet_index: int | None  # localSheetId: a sheet-level name; None: workbook level


def _strict(label: str) -> FollowupError:
    return FollowupError(
        f"Arbetsboken '{label}' är sparad som Strikt Open XML, som programmet inte kan "
        "hantera. Spara den som vanlig Excel-arbetsbok (.xlsx/.xlsm) och försök igen.")


class WorkbookPart:
    """Everything the reader and writer need to know about the workbook part."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        label = pkg.label
        if not pkg.has("[Content_Types].xml") or not pkg.has("_rels/.rels"):
            raise FollowupError(
                f"Filen '{label}' är ingen Excel-arbetsbok (paketet saknar innehållsförteckning).")
        self._read_content_types()
        root_rels = pkg.rels("")
        office = [t for (rt, t, ext) in root_rels.values() if rt == RT_OFFICE_DOCUMENT and not ext]
        if any(rt.startswith("http://purl.oclc.org/ooxml/") for (rt, _, _) in root_rels.values()):
            raise _strict(label)
        if any(rt == RT_SIGNATURE_ORIGIN for (rt, _, _) in root_rels.values()):
            raise FollowupError(
                f"Arbetsboken '{label}' är digitalt signerad; att skriva i den skulle göra "
                "signaturen ogiltig. Ta bort signaturen i Excel eller skriv till en kopia utan "
                "signatur.")
        if len(office) != 1 or not pkg.has(office[0]):
            raise FollowupError(f"Filen '{label}' är ingen Excel-arbetsbok (huvuddelen saknas).")
        self.part = pkg.actual(office[0])
        self.content_type_of_part = ctype = self.content_type(self.part)
        if ctype not in WORKBOOK_CONTENT_TYPES:
            kind = "binär arbetsbok (.xlsb)" if "binary" in ctype else f"typen '{ctype}'"
            raise FollowupError(
                f"Filen '{label}' är en {kind}, som programmet inte kan hantera. Spara den som "
                "Excel-arbetsbok (.xlsx/.xlsm) och försök igen.")
        self.data = pkg.read(self.part)
        try:
            root = parse_xml(self.data)
        except Malformed as exc:
            raise pkg.bad(f"delen '{self.part}' är inte giltig XML ({exc})") from None
        ns = etree.QName(root).namespace
        if ns == NS_STRICT_MAIN:
            raise _strict(label)
        if ns != NS_MAIN:
            raise pkg.bad(f"delen '{self.part}' har ett okänt namnområde")
        pr = root.find(_M + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        rels = rels_part(self.part)
        if not pkg.has(rels):
            raise pkg.bad(f"delen '{rels}' saknas, så bladen kan inte hittas")
        self.rels = pkg.rels(self.part)
        self.sheets: list[Sheet] = []
        sheets_el = root.find(_M + "sheets")
        for sh in (sheets_el if sheets_el is not None else []):
            if sh.tag != _M + "sheet":
                continue
            rtype, target, _ = self.rels.get(sh.get(f"{{{NS_REL}}}id"), ("", "", False))
            self.sheets.append(Sheet(sh.get("name", ""), sh.get("sheetId", ""), rtype, target,
                                     len(self.sheets)))
        self.defined_names = self._read_names(root)
        self.sst_part = self._related(RT_SHARED_STRINGS)
        self.styles_part = self._related(RT_STYLES)

    def _read_content_types(self) -> None:
        ct_root = self.pkg.xml("[Content_Types].xml")
        self.ct_default: dict[str, str] = {}
        self.ct_override: dict[str, str] = {}
        for el in ct_root:
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            if local == "Default":
                self.ct_default[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local == "Override":
                self.ct_override[el.get("PartName", "").lstrip("/").lower()] = \
                    el.get("ContentType", "")

    def _related(self, rtype: str) -> str | None:
        part = next((t for (rt, t, ext) in self.rels.values()
                     if rt == rtype and not ext and self.pkg.has(t)), None)
        return self.pkg.actual(part) if part else None

    def _read_names(self, root: etree._Element) -> list[DefinedName]:
        out = []
        names_el = root.find(_M + "definedNames")
        for dn in (names_el if names_el is not None else []):
            if dn.tag != _M + "definedName":
                continue
            local = dn.get("localSheetId")
            try:
                index = int(local) if local is not None else None
            except ValueError:
                index = -1  # a sheet that does not exist
            out.append(DefinedName(dn.get("name", ""), (dn.text or "").strip(), index))
        return out

    # -- questions -------------------------------------------------------------------------
    def content_type(self, part: str) -> str:
        low = part.lower()
        if low in self.ct_override:
            return self.ct_override[low]
        return self.ct_default.get(low.rpartition(".")[2], "")

    @property
    def macro_enabled(self) -> bool:
        """Whether the package is a macro workbook (.xlsm): its content type says so."""
        return self.content_type_of_part in CT_MACRO_ENABLED

    def find_sheet(self, name: str) -> Sheet:
        exact = [s for s in self.sheets if s.name == name]
        if not exact:
            exact = [s for s in self.sheets if s.name.casefold() == name.casefold()]
        if len(exact) != 1:
            raise FollowupError(f"Bladet '{name}' finns inte i arbetsboken '{self.pkg.label}'.")
        return exact[0]

    def worksheet_parts(self) -> list[str]:
        return [self.pkg.actual(s.part) for s in self.sheets
                if (s.rel_type == RT_WORKSHEET or s.rel_type in RT_MACROSHEETS)
                and self.pkg.has(s.part)]


_CALCPR_PREDECESSORS = (b"fileVersion", b"fileSharing", b"workbookPr", b"workbookProtection",
                        b"bookViews", b"sheets", b"functionGroups", b"externalReferences",
                        b"definedNames")


def set_full_calc(data: bytes) -> bytes | None:
    """workbook.xml with fullCalcOnLoad="1" on calcPr, or None if it already says so."""
    root = root_element(data)
    prefix = root.qname[: -len(b"workbook")]
    kids = children(data, root.stag_end, root.inner_end)
    calc = next((k for k in kids if k.qname == prefix + b"calcPr"), None)
    if calc is not None:
        stag = data[calc.start : calc.stag_end]
        if attrs(stag).get(b"fullCalcOnLoad", "").lower() in ("1", "true"):
            return None
        return data[: calc.start] + set_attrs(stag, {b"fullCalcOnLoad": "1"}) + data[calc.stag_end :]
    pos = root.stag_end
    for k in kids:
        if k.qname.startswith(prefix) and k.local in _CALCPR_PREDECESSORS:
            pos = k.end
    return data[:pos] + b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>' + data[pos:]


def full_calc_set(data: bytes) -> bool:
    m = re.search(rb"<(?:[\w.\-]+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](1|true)[\"']", data)
    return m is not None

