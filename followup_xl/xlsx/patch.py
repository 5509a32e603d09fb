"""Writing cell values into a workbook package without losing anything else.

An Excel workbook is a zip of XML parts. openpyxl rebuilds every part from its own object
model and drops what it does not model (text boxes, form controls, sparklines, slicers ...).
:func:`patch_workbook` instead edits only the bytes that must change:

* zip entries that do not change are copied as raw compressed bytes (:mod:`zipwrite`);
* inside a changed worksheet only the written cells' XML changes (:mod:`sheetedit`);
* shared strings, styles, the workbook part and table parts are edited by splicing, and
  only when a write needs it;
* every edited part is verified before the new file replaces the old one atomically
  (:mod:`safefile`).

Anything it cannot do safely raises :class:`~followup_xl.errors.FollowupError` with a
Swedish sentence, before the destination is touched. See ``docs/writer.md``.
"""

from __future__ import annotations

import operator
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Mapping

from followup_xl.errors import FollowupError
from followup_xl.xlsx import safefile
from followup_xl.xlsx.cellref import (MAX_COL, MAX_ROW, column_index, parse_range, parse_ref,
                                      ref_text)
from followup_xl.xlsx.cellwrite import CellValue, Write
from followup_xl.xlsx.opcedit import add_override, add_relationship
from followup_xl.xlsx.package import Package, open_regular
from followup_xl.xlsx.partnames import (CT_SHARED_STRINGS, NS_MAIN, RT_CHARTSHEET,
                                        RT_DIALOGSHEET, RT_PIVOT_TABLE, RT_SHARED_STRINGS,
                                        RT_WORKSHEET, rels_part)
from followup_xl.xlsx.sharedstrings import SharedStrings
from followup_xl.xlsx.sheetedit import SheetEditor
from followup_xl.xlsx.styles import Styles
from followup_xl.xlsx.sheetindex import SheetIndex
from followup_xl.xlsx.tables import Table, find_table, load_tables, resize_table
from followup_xl.xlsx.verify import verify_sheet, written_part
from followup_xl.xlsx.workbookpart import WorkbookPart, full_calc_set, set_full_calc
from followup_xl.xlsx.xmlscan import Malformed, parse_xml
from followup_xl.xlsx.zipwrite import CompressAhead, check_written, write_package

__all__ = ["CellValue", "PatchReport", "patch_workbook"]

_AHEAD_MIN_BYTES = 1 << 16  # smaller parts are compressed when the file is written

# A reference as programs write it ("C6"): parse_ref reads it the same way, more slowly
_CANONICAL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_REF_OF = operator.attrgetter("ref")


@dataclass(frozen=True)
class PatchReport:
    """What :func:`patch_workbook` did. Part names are zip entry names."""

    src: Path
    dst: Path
    changed_parts: tuple[str, ...]
    added_parts: tuple[str, ...]
    raw_copied_parts: int
    cells_written: int
    cells_created: int
    rows_created: int
    strings_added: int
    styles_added: int
    tables_resized: tuple[str, ...]
    recalc_on_open: bool
    written: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def patch_workbook(
    src: Path,
    dst: Path,
    cells: Mapping[str, Mapping[str, CellValue]],
    tables: Mapping[str, str] = MappingProxyType({}),
    recalc_on_open: bool | None = None,
    *,
    backup: bool = False,
    lock_wait_seconds: float = 30,
) -> PatchReport:
    """Write cell values (and table sizes) into ``src`` and save the result as ``dst``.

    ``cells`` maps a sheet name to {A1 reference: value}; ``tables`` a table name to its
    new range. ``src`` may equal ``dst``. The new file replaces ``dst`` atomically
    (:func:`followup_xl.xlsx.safefile.atomic_write`, with ``backup``) while this process holds
    :func:`followup_xl.xlsx.safefile.exclusive` on ``dst``. Whether the workbook is open in Excel
    or LibreOffice is *not* checked here: call :func:`followup_xl.xlsx.safefile.check_not_open`
    first unless the user forced the run.

    Raises FollowupError (a Swedish sentence) and leaves ``dst`` untouched whenever the
    write cannot be done without risk of losing content.
    """
    src, dst = Path(src), Path(dst)
    with safefile.exclusive(dst, wait_seconds=lock_wait_seconds):
        with open_regular(src, src.name) as fp:
            plan = _Planner(src, fp).plan(cells, tables, recalc_on_open, dst)

            def write(out) -> None:
                write_package(plan.pkg, out, plan.replaced, plan.added, plan.added_method,
                              plan.ahead)
                check_written(out, plan.pkg, plan.replaced, plan.added)
                # close src before it may be replaced by tmp (Windows cannot replace open files)
                plan.pkg.close()
                fp.close()

            try:
                safefile.atomic_write(dst, write, backup=backup, like=src)
            finally:
                for job in plan.ahead.values():
                    job.wait()  # (already done when the file was written)
                plan.pkg.close()
    return plan.report


@dataclass
class _Plan:
    pkg: Package
    added_method: int  # compression of new parts: that of the workbook part
    replaced: dict[str, bytes]
    added: list[tuple[str, bytes]]
    report: PatchReport
    ahead: dict[str, CompressAhead]  # large changed parts being compressed meanwhile


class _Planner:
    """Works out every changed part's new bytes, and verifies them."""

    def __init__(self, src: Path, fp: BinaryIO):
        self.src = src
        self.pkg = Package(src, fp, writing=True)
        try:
            self.wb = WorkbookPart(self.pkg)
        except BaseException:
            self.pkg.close()
            raise
        self.sst = SharedStrings(self.pkg, self.wb.sst_part, self.wb.part)
        self.styles = Styles(self.pkg, self.wb.styles_part)
        self.replaced: dict[str, bytes] = {}
        self.added: list[tuple[str, bytes]] = []
        self.editors: dict[str, SheetEditor] = {}
        self.tables: list[Table] = []
        self.ahead: dict[str, CompressAhead] = {}

    def plan(self, cells, tables, recalc_on_open, dst: Path) -> _Plan:
        try:
            return self._plan(cells, tables, recalc_on_open, dst)
        except BaseException:
            for job in self.ahead.values():
                job.wait()  # no thread outlives a refusal
            self.pkg.close()
            raise

    def _plan(self, cells, tables, recalc_on_open, dst: Path) -> _Plan:
        pkg, wb = self.pkg, self.wb
        per_sheet = self._group(cells)
        if per_sheet or tables:
            self.tables = load_tables(wb)
        for name, part, writes in per_sheet:
            self._check_protected(name, part, writes)
        written: dict[str, tuple[str, ...]] = {}
        for name, part, writes in per_sheet:
            ed = SheetEditor(pkg.label, name, part, pkg.read(part), wb.date1904, self.sst,
                             self.styles)
            ed.header_cells = {(t.ref[0], col) for t in self.tables
                               if t.sheet_part == part and t.header_rows >= 1
                               for col in range(t.ref[1], t.ref[3] + 1)}
            new = ed.apply(writes)
            self.editors[part] = ed
            if new != ed.data:
                self.replaced[part] = new
                self._compress_ahead(part)
            written[name] = tuple(map(_REF_OF, writes))
        resized = self._resize(tables)
        self._strings_and_styles()
        if self.sst.changed and self.sst.exists:
            self._compress_ahead(self.sst.part)
        if self._needs_recalc(recalc_on_open, bool(per_sheet or resized)):
            try:
                new_wb = set_full_calc(wb.data)
            except Malformed as exc:
                raise pkg.bad(f"arbetsboksdelen kan inte tolkas ({exc})") from None
            if new_wb is not None:
                self.replaced[wb.part] = new_wb
        self._verify()
        for part in self.replaced:
            if pkg.info(part).compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise pkg.bad(f"delen '{part}' är komprimerad med en metod som skrivaren inte "
                              "stöder")
        method = pkg.info(wb.part).compress_type
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = zipfile.ZIP_DEFLATED
        eds = self.editors.values()
        report = PatchReport(
            src=self.src, dst=dst,
            changed_parts=tuple(e.name for e in pkg.entries if e.name in self.replaced),
            added_parts=tuple(n for n, _ in self.added),
            raw_copied_parts=sum(1 for e in pkg.entries if e.name not in self.replaced),
            cells_written=sum(len(w) for _, _, w in per_sheet),
            cells_created=sum(ed.cells.cells_created for ed in eds),
            rows_created=sum(ed.rows_created for ed in eds),
            strings_added=len(self.sst.new_items),
            styles_added=len(self.styles.new_xfs),
            tables_resized=tuple(resized),
            recalc_on_open=full_calc_set(self.replaced.get(wb.part, wb.data)),
            written=written,
        )
        return _Plan(pkg, method, self.replaced, self.added, report, self.ahead)

    def _compress_ahead(self, part: str) -> None:
        """Start deflating a large changed part while the rest is planned and checked."""
        data = self.replaced[part]
        if len(data) >= _AHEAD_MIN_BYTES and \
                self.pkg.info(part).compress_type == zipfile.ZIP_DEFLATED:
            self.ahead[part] = CompressAhead(data, zipfile.ZIP_DEFLATED)

    # -- steps -----------------------------------------------------------------------------
    def _group(self, cells) -> list[tuple[str, str, list[Write]]]:
        """The writes per worksheet part, each reference checked."""
        pkg, wb = self.pkg, self.wb
        per_sheet: list[tuple[str, str, list[Write]]] = []
        seen_parts: set[str] = set()
        for sheet_name, refs in cells.items():
            sheet = wb.find_sheet(sheet_name)
            name = sheet.name
            if sheet.rel_type == RT_CHARTSHEET:
                raise FollowupError(f"Bladet '{name}' i arbetsboken '{pkg.label}' är ett "
                                    "diagramblad och har inga celler att skriva i.")
            if sheet.rel_type != RT_WORKSHEET:
                kind = "ett dialogblad" if sheet.rel_type == RT_DIALOGSHEET else "ett makroblad"
                raise FollowupError(f"Bladet '{name}' i arbetsboken '{pkg.label}' är {kind}, "
                                    "som programmet inte skriver i.")
            if not pkg.has(sheet.part):
                raise pkg.bad(f"bladet '{name}' saknar sin del i paketet")
            part = pkg.actual(sheet.part)
            if part in seen_parts:
                raise FollowupError(f"Bladet '{name}' anges två gånger för arbetsboken "
                                    f"'{pkg.label}'.")
            seen_parts.add(part)
            writes = _sheet_writes(refs, name, pkg.label)
            if writes:
                per_sheet.append((name, part, writes))
        return per_sheet

    def _check_protected(self, name: str, part: str, writes: list[Write]) -> None:
        """No write into a pivot table's area, and a table header keeps its column name."""
        pkg = self.pkg
        for rtype, target, ext in pkg.rels(part).values():
            if rtype == RT_PIVOT_TABLE and not ext and pkg.has(target):
                loc = pkg.xml(target).find(f"{{{NS_MAIN}}}location")
                rng = parse_range(loc.get("ref", "")) if loc is not None else None
                for w in writes:
                    if rng and rng[0] <= w.row <= rng[2] and rng[1] <= w.col <= rng[3]:
                        raise FollowupError(
                            f"Cellen {w.ref} på bladet '{name}' i arbetsboken '{pkg.label}' "
                            "ligger i en pivottabell, som Excel skriver över vid uppdatering. "
                            "Inget har ändrats.")
        for t in self.tables:
            if t.sheet_part != part or t.header_rows < 1:
                continue
            r1, c1, _r2, c2 = t.ref
            headers = t.headers
            for w in writes:
                if w.row == r1 and c1 <= w.col <= c2:
                    want = headers[w.col - c1] if w.col - c1 < len(headers) else None
                    if not isinstance(w.value, str) or w.value != want:
                        raise FollowupError(
                            f"Cellen {w.ref} på bladet '{name}' i arbetsboken '{pkg.label}' är "
                            f"rubrik i tabellen '{t.display}' och måste vara '{want}'; Excel "
                            "reparerar annars tabellen. Inget har ändrats.")

    def _resize(self, tables: Mapping[str, str]) -> list[str]:
        resized: list[str] = []
        for tname, new_ref in tables.items():
            t = find_table(self.tables, tname)
            if t is None:
                raise FollowupError(f"Tabellen '{tname}' finns inte i arbetsboken "
                                    f"'{self.pkg.label}'.")
            if parse_range(new_ref) == t.ref:
                continue
            self._check_growth(t, new_ref)
            try:
                self.replaced[t.part] = resize_table(self.pkg, t, new_ref, self.tables)
            except Malformed as exc:
                raise self.pkg.bad(f"tabellen '{t.display}' kan inte tolkas ({exc})") from None
            resized.append(t.display)
        return resized

    def _check_growth(self, t: Table, new_ref: str) -> None:
        """A table grows only over empty cells: what stands below it (a note, a formula)
        is the user's, and would be written over or taken into the table."""
        rng = parse_range(new_ref)
        if rng is None or rng[2] <= t.ref[2] or t.sheet_part is None:
            return
        ed = self.editors.get(t.sheet_part)
        try:
            index = ed.index if ed is not None else SheetIndex(self.pkg.read(t.sheet_part))
        except Malformed as exc:
            raise self.pkg.bad(f"bladet för tabellen '{t.display}' kan inte tolkas ({exc})") \
                from None
        for r in range(t.ref[2] + 1, rng[2] + 1):
            for col, el in index.row_cells(r):
                if t.ref[1] <= col <= t.ref[3] and not el.empty and \
                        b"<" in index.data[el.stag_end : el.inner_end]:
                    raise FollowupError(
                        f"Tabellen '{t.display}' behöver växa till rad {rng[2]}, men cellen "
                        f"{ref_text(r, col)} under den är inte tom (arbetsboken "
                        f"'{self.pkg.label}'). Flytta det som står under tabellen, så att "
                        "inget skrivs över, och kör igen. Inget har ändrats.")

    def _strings_and_styles(self) -> None:
        pkg, wb, sst = self.pkg, self.wb, self.sst
        try:
            if sst.changed and sst.exists:
                self.replaced[sst.part] = sst.render()
            elif sst.changed:
                if pkg.has(sst.new_part):
                    raise pkg.bad(f"delen '{sst.new_part}' finns men är inte kopplad till "
                                  "arbetsboken")
                self.added.append((sst.new_part, sst.render()))
                ct = pkg.read("[Content_Types].xml")
                self.replaced[pkg.actual("[Content_Types].xml")] = add_override(
                    ct, sst.new_part, CT_SHARED_STRINGS)
                folder = posixpath.dirname(wb.part)
                target = posixpath.relpath(sst.new_part, folder or ".")
                rels = rels_part(wb.part)
                self.replaced[pkg.actual(rels)] = add_relationship(
                    pkg.read(rels), RT_SHARED_STRINGS, target)
            if self.styles.changed:
                self.replaced[self.styles.part] = self.styles.render()
        except Malformed as exc:
            raise pkg.bad(f"en del av arbetsboken kan inte tolkas ({exc})") from None

    def _needs_recalc(self, recalc_on_open: bool | None, changed: bool) -> bool:
        """True: always; False: never; None: when a formula cell was not itself written
        (edited sheets counted in memory, the others streamed until a first formula)."""
        if recalc_on_open is not None or not changed:
            return bool(recalc_on_open)
        for part, ed in self.editors.items():
            if ed.index.formula_count(self.replaced.get(part, ed.data)) > \
                    ed.cells.written_formula_cells:
                return True
        return any(part not in self.editors and _has_formula_stream(self.pkg, part)
                   for part in self.wb.worksheet_parts())

    def _verify(self) -> None:
        pkg = self.pkg
        for part, ed in self.editors.items():
            if part not in self.replaced:
                continue
            idx = ed.index
            sd = idx.sheetdata
            written = written_part(ed.data[idx.root.start : idx.root.stag_end],
                                   ed.data[sd.start : sd.stag_end], ed.prefix, ed.fragments,
                                   ed.dimension_tag)
            try:
                verify_sheet(ed.plans, idx.sorted, written)
            except Malformed as exc:
                raise pkg.bad(f"kontrollen av bladet '{ed.name}' efter ändringen misslyckades "
                              f"({exc})") from None
        for part, data in list(self.replaced.items()) + self.added:
            if part in self.editors:
                continue
            try:
                parse_xml(data)
            except Malformed as exc:
                raise pkg.bad(f"kontrollen av delen '{part}' efter ändringen misslyckades "
                              f"({exc})") from None


def _sheet_writes(refs: Mapping[str, CellValue], name: str, label: str) -> list[Write]:
    """One sheet's writes, each reference checked: valid, and no cell named twice."""
    writes: list[Write] = []
    # which reference named each cell; needed only once a reference not in the canonical
    # form ("C6") appears: two canonical references never name the same cell
    seen: dict[tuple[int, int], str] | None = None
    canonical_ref = _CANONICAL_REF.fullmatch
    for ref, value in refs.items():
        if type(ref) is not str:
            ref = str(ref)
        m = canonical_ref(ref)
        if m is not None:  # what parse_ref gives, without its other forms
            row, col = int(m.group(2)), column_index(m.group(1))
            rc = (row, col) if row <= MAX_ROW and col <= MAX_COL else None
        else:
            rc = parse_ref(ref)
            if seen is None:
                seen = {(w.row, w.col): w.ref for w in writes}
        if rc is None:
            raise FollowupError(f"'{ref}' är ingen giltig cellreferens (bladet '{name}' "
                                f"i arbetsboken '{label}').")
        if seen is not None:
            if rc in seen:
                raise FollowupError(f"Cellen {ref_text(*rc)} på bladet '{name}' anges två "
                                    f"gånger ('{seen[rc]}' och '{ref}').")
            seen[rc] = ref
        writes.append(Write(rc[0], rc[1], ref if m is not None else ref_text(*rc), value))
    return writes


def _has_formula_stream(pkg: Package, part: str) -> bool:
    """True if the (unedited) worksheet part contains a cell formula. Streams, stops early."""
    with pkg.stream(part) as fh:
        first = fh.read(1 << 16)
        prefixes = {(p + b":") if p else b"" for p in re.findall(
            rb"xmlns(?::([A-Za-z_][\w.\-]*))?\s*=\s*[\"']" + re.escape(NS_MAIN.encode()) + rb"[\"']",
            first)} or {b""}
        pat = re.compile(rb"<(?:" + b"|".join(re.escape(p) for p in prefixes) + rb")f[\s/>]")
        overlap = max(map(len, prefixes)) + 2  # a tag cut between two chunks is still found
        buf = first
        while True:
            if pat.search(buf):
                return True
            chunk = fh.read(1 << 20)
            if not chunk:
                return False
            buf = buf[-overlap:] + chunk
