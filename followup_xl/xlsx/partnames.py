"""The names SpreadsheetML packages use: namespaces, relationship and content types."""

from __future__ import annotations

import posixpath

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

RT_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
RT_WORKSHEET = NS_REL + "/worksheet"
RT_CHARTSHEET = NS_REL + "/chartsheet"
RT_DIALOGSHEET = NS_REL + "/dialogsheet"
RT_MACROSHEETS = (
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet",
)
RT_SHARED_STRINGS = NS_REL + "/sharedStrings"
RT_STYLES = NS_REL + "/styles"
RT_TABLE = NS_REL + "/table"
RT_PIVOT_TABLE = NS_REL + "/pivotTable"
RT_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RT_SIGNATURE_ORIGIN = NS_PKG_REL.replace("/relationships",
                                         "/relationships/digital-signature/origin")

CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_MACRO_FREE = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
CT_MACRO_ENABLED = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
WORKBOOK_CONTENT_TYPES = CT_MACRO_FREE | CT_MACRO_ENABLED


def rels_part(part: str) -> str:
    """The part holding a part's relationships (xl/workbook.xml -> xl/_rels/workbook.xml.rels)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")
