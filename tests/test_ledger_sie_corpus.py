"""The SIE corpus (135 real files, ../shared/corpus/sie): every file reads without a
traceback; broken files are refused or warned about as the manifest says; valid files give
the totals their own #RES implies; one company exported as several SIE types gives the
same kronor.

#RES is read here by a small regular expression of the test's own, with the encoding the
manifest's research detected, so the reader is checked against the file, not against
itself. Reference files are read in place (read-only).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from followup_xl.domain.model import FileLoc, Level
from followup_xl.ledger.aggregate import aggregate
from followup_xl.ledger.mapping import MappingEntry, build_mapping
from followup_xl.ledger.reading import read_ledger
from followup_xl.ledger.records import ReadOptions

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "sie"
pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(),
                                reason="the shared SIE corpus is not beside the repository")
MANIFEST = (json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["files"]
            if (CORPUS / "manifest.json").exists() else [])
ENCODINGS = {"ascii": "ascii", "utf-8": "utf-8", "cp437": "cp437", "latin-1/cp1252": "latin-1"}
_RES = re.compile(r'^\s*#RES\s+"?(-?\d+)"?\s+"?([^\s"]+)"?\s+"?(-?\d+(?:\.\d+)?)"?', re.M)
_RAR0 = re.compile(r"^\s*#RAR\s+0\s+(\d{8})\s+(\d{8})", re.M)

# Files whose vouchers or period balances do not add up to their own #RES, each for a
# reason the manifest (or the file) shows; the reader must warn about each of them.
NOT_RECONCILING = {
    "Arousells_Visning_AB.SE": "10 vouchers, a whole year's #RES",
    "BLBLOV_SIE4_UTF_8_with_empty_voucher.SE": "a voucher's rows removed",
    "SIE_with_long_voucher_series_number.SE": "a few vouchers of the year",
    "Sie4.se": "the pseudo-account FEL carries 4010's money (SoftOne)",
    "XE_SIE_2_20151125094903.SE": "SoftOne XE: #PSALDO does not reconcile",
    "XE_SIE_3_20151125094952.SE": "SoftOne XE: #PSALDO does not reconcile",
    "9_sie-gruppen-e-conomic.se": "vouchers of a few months, a whole year's #RES",
    "Sie4E1.SI": "sdk test file: #RES unrelated to its vouchers",
}


def _entries(status: str | None = None):
    return [f for f in MANIFEST if status is None or f["status"] == status]


def _id(f) -> str:
    return f["file"].split("/")[-1]


def _read(f, **options):
    return read_ledger(CORPUS / f["file"], options=ReadOptions(**options))


@pytest.mark.parametrize("entry", MANIFEST, ids=_id)
def test_every_file_reads_as_the_manifest_says(entry):
    extract = _read(entry, needs_ansvar=True)
    levels = {m.level for m in extract.messages}
    for m in extract.messages:
        assert m.text and isinstance(m.loc, (FileLoc, type(None)))
        if isinstance(m.loc, FileLoc):
            assert m.loc.file == _id(entry)
    if entry["status"] == "not-sie":
        assert [m.text for m in extract.messages if m.level is Level.FEL] == [
            f"Filen '{_id(entry)}' är ingen SIE-fil (den ser ut som en webbsida): en SIE-fil "
            "börjar med rader som #FLAGGA och #SIETYP."]
    elif entry["status"] == "invalid":
        assert levels & {Level.FEL, Level.VARNING}, entry["note"]
    else:  # valid, warnings, quirk: readable
        assert Level.FEL not in levels, [m.text for m in extract.messages]
        if entry["status"] == "valid" and _id(entry) not in NOT_RECONCILING:
            assert Level.VARNING not in levels, [m.text for m in extract.messages]


def _res_of(entry) -> tuple[dict[str, int], tuple[tuple[int, int], tuple[int, int]] | None]:
    text = (CORPUS / entry["file"]).read_bytes().decode(ENCODINGS[entry["encoding_detected"]])
    res: dict[str, int] = {}
    for year, konto, amount in _RES.findall(text):
        if year == "0":
            whole, _, frac = amount.lstrip("-").partition(".")
            ore = int(whole) * 100 + int(frac.ljust(2, "0"))
            res[konto] = res.get(konto, 0) + (-ore if amount.startswith("-") else ore)
    rar = _RAR0.search(text)
    span = None
    if rar:
        s, e = rar.groups()
        span = ((int(s[:4]), int(s[4:6])), (int(e[:4]), int(e[4:6])))
    return res, span


# Readable files with a #RES for year 0 and a #RAR 0 to compare their amounts with.
RECONCILABLE = [f for f in MANIFEST if f["status"] in ("valid", "warnings", "quirk")
                and f.get("counts", {}).get("#RES") and all(_res_of(f))]


@pytest.mark.parametrize("entry", RECONCILABLE, ids=_id)
def test_totals_are_what_the_files_own_res_implies(entry):
    res, span = _res_of(entry)
    a = _read(entry).actuals
    got: dict[str, int] = {}
    for k, y, m, o in zip(a.konto.index, a.year, a.month, a.ore, strict=True):
        if span[0] <= (int(y), int(m)) <= span[1]:
            got[a.konto.values[k]] = got.get(a.konto.values[k], 0) + int(o)
    differ = {k: (got.get(k, 0), v) for k, v in res.items() if got.get(k, 0) != v}
    if _id(entry) in NOT_RECONCILING:
        assert differ, "listed as not reconciling, but it does"
        warned = [m for m in _read(entry).messages if m.level is Level.VARNING]
        assert any("#RES" in m.text for m in warned), [m.text for m in warned]
    else:
        assert not differ


FAMILIES = {
    "Övningsbolaget (Avendo)": ["jsisie/sie_test_files/arsaldo_ovnbolag.se",
                                "jsisie/sie_test_files/periodsaldo_ovnbolag.se",
                                "jsisie/sie_test_files/objektsaldo_ovnbolag.se",
                                "jsisie/sie_test_files/transaktioner_ovnbolag.se"],
    "Övningsföretaget (BL)": ["Sie4j/src/test/resources/sample/BLBLOV_SIE1.SE",
                              "Sie4j/src/test/resources/sample/BLBLOV_SIE2.SE",
                              "Sie4j/src/test/resources/sample/BLBLOV_SIE3.SE",
                              "Sie4j/src/test/resources/sample/BLBLOV_SIE4.SE"],
    # a fiscal year July-June: type 1's year-end figure cannot be split into calendar
    # years, so only the types with months are compared
    "SEEE (BL, broken year)": ["jsisie/sie_test_files/BL0001_typ2.SE",
                               "jsisie/sie_test_files/BL0001_typ3.SE",
                               "jsisie/sie_test_files/BL0001_typ4.SE"],
    "Mamut": [f"jsisie/sie_test_files/MAMUT_SIE{i}_EXPORT.SE" for i in (1, 2, 3, 4)],
    "Magenta": ["jsisie/sie_test_files/magenta_bokf%C3%B6ring_SIE1.se",
                "jsisie/sie_test_files/magenta_bokf%C3%B6ring_SIE2.se",
                "jsisie/sie_test_files/magenta_bokf%C3%B6ring_SIE3.se",
                "jsisie/sie_test_files/magenta_bokf%C3%B6ring_SIE4E.se"],
    "Edison": [f"jsisie/sie_test_files/typ{i}.se" for i in (1, 2, 3, 4)],
    "Visma Compact": ["jsisie/sie_test_files/Sie1.se", "SIEParser/src/test/resources/samples/"
                      "42_sie2.se", "SIEParser/src/test/resources/samples/43_sie3.se",
                      "SIEParser/src/test/resources/samples/44_sie4.se"],
    "Briljant": ["jsisie/sie_test_files/Test1.SE", "jsisie/sie_test_files/Test2.SE",
                 "jsisie/sie_test_files/Test4.SE"],
}
ROWS = ("Intäkter", "Varor", "Övriga externa", "Personal", "Avskrivningar", "Finansiellt")
BAS_MAPPING = (("3", ROWS[0]), ("4", ROWS[1]), ("5-6", ROWS[2]), ("7", ROWS[3]),
               ("78", ROWS[4]), ("8", ROWS[5]))


def _year_of(path: str) -> int:
    entry = next(f for f in MANIFEST if f["file"] == path)
    return int(entry["rar_0"][1][:4])  # the calendar year the fiscal year 0 ends in


@pytest.mark.parametrize("family", FAMILIES, ids=list(FAMILIES))
def test_one_company_gives_the_same_kronor_whatever_the_sie_type(family):
    """Aggregated through the same mapping into rows by BAS class, for the calendar year
    in which fiscal year 0 ends: equal to the öre across SIE 1, 2, 3 and 4E."""
    mapping, problems = build_mapping(
        [MappingEntry(k, None, None, r, i) for i, (k, r) in enumerate(BAS_MAPPING)], ROWS)
    assert not problems
    totals = []
    for path in FAMILIES[family]:
        extract = read_ledger(CORPUS / path)
        agg = aggregate([extract], mapping, _year_of(path), ROWS)
        assert agg.ok, [m.text for m in agg.messages if m.level is Level.FEL]
        year_totals = {row: sum(months) for row, months in agg.actuals.items()}
        totals.append((path, year_totals, agg.total))
        assert agg.mapped_total + agg.unmapped_total == agg.total
    first = totals[0]
    assert first[2] != 0 or any(first[1].values())
    for path, year_totals, total in totals[1:]:
        assert (year_totals, total) == (first[1], first[2]), path


def test_avendo_objects_partition_and_bl_objects_total_agree_with_the_type_2_file():
    """With ansvar (dimension 1) needed, the object rows are used: Avendo's {} row is the
    remainder, BL's the total; both give the type 2 file's account totals per month."""
    base = "jsisie/sie_test_files/"
    for type3, type2 in ((base + "objektsaldo_ovnbolag.se", base + "periodsaldo_ovnbolag.se"),
                         (base + "BL0001_typ3.SE", base + "BL0001_typ2.SE"),
                         (base + "MAMUT_SIE3_EXPORT.SE", base + "MAMUT_SIE2_EXPORT.SE")):
        with_objects = read_ledger(CORPUS / type3, options=ReadOptions(needs_ansvar=True))
        plain = read_ledger(CORPUS / type2)
        year = _year_of(type2)
        assert _nonzero(with_objects.actuals.by_account(year)) == _nonzero(
            plain.actuals.by_account(year)), type3
    avendo = read_ledger(CORPUS / (base + "objektsaldo_ovnbolag.se"),
                         options=ReadOptions(needs_ansvar=True))
    ansvar = set(avendo.actuals.ansvar.values)
    assert {"Nord", "Syd"} <= ansvar and "" in ansvar
    assert any("delen utan objekt" in m.text for m in avendo.messages)


def _nonzero(d: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in d.items() if v}


def test_pseudo_account_fel_reaches_the_unmapped_list():
    """SoftOne's FEL carries 33 125,72 kr on 37 #TRANS rows in Sie4.se: never dropped."""
    mapping, _ = build_mapping([MappingEntry("3-8", None, None, "Allt", 0)], ["Allt"])
    extract = read_ledger(CORPUS / "jsisie/sie_test_files/Sie4.se")
    year = _year_of("jsisie/sie_test_files/Sie4.se")
    agg = aggregate([extract], mapping, year, ["Allt"])
    fel = [u for u in agg.unmapped if u.konto == "FEL"]
    assert fel and sum(u.rows for u in fel) > 0
    assert agg.mapped_total + agg.unmapped_total == agg.total
    assert any(m.level is Level.VARNING and "Omappat" in m.text for m in agg.messages)
