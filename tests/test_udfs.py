"""The FU_* cell functions: as Python functions with good and bad input, and as xlwings
declares them to Excel (names, ASCII parameters, decorator settings, the VBA wrappers)."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import inspect
import io
import re
import sys
import types
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup_xl import contract as c
from followup_xl.domain import engine
from followup_xl.doors import udfs
from followup_xl.domain.model import FollowUp, Settings
from followup_xl.doors.udfs import (FU_ANDEL, FU_ARSARBETARKOSTNAD, FU_ATGARDSEFFEKT, FU_AVVIKELSE,
                              FU_BUFFERT, FU_DRIFT, FU_MNKR)
from seed import SEED_PRINTED, SEED_ROWS, seed_rows

SIGNATURES = {
    "FU_AVVIKELSE": ["budget", "prognos", "teckenkonvention"],
    "FU_BUFFERT": ["kommunbidrag", "andel"],
    "FU_ANDEL": ["belopp", "kommunbidrag"],
    "FU_ARSARBETARKOSTNAD": ["manadslon", "po_palagg"],
    "FU_ATGARDSEFFEKT": ["helarseffekt", "start", "ar"],
    "FU_MNKR": ["belopp", "enhet"],
    "FU_DRIFT": ["rad", "ingar_i", "budget", "prognos", "teckenkonvention"],
    "FU_RIKTPUNKT": ["period"],
    "FU_BUDGETACK": ["budget", "period", "nyckel", "ar"],
    "FU_PROGNOSFORSLAG": ["utfall_ack", "budget", "budget_ack", "period", "metod"],
}
OPTIONAL = {("FU_AVVIKELSE", "teckenkonvention"), ("FU_DRIFT", "teckenkonvention"),
            ("FU_BUDGETACK", "nyckel"), ("FU_BUDGETACK", "ar"),
            ("FU_PROGNOSFORSLAG", "metod")}
RANGES = {("FU_DRIFT", p) for p in ("rad", "ingar_i", "budget", "prognos")}

# Words VBA reserves (keywords and statements): not usable as parameter names.
VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "const", "currency",
    "date", "debug", "declare", "dim", "do", "double", "each", "else", "elseif", "empty",
    "end", "enum", "eqv", "erase", "error", "event", "exit", "false", "for", "friend",
    "function", "get", "global", "gosub", "goto", "if", "imp", "implements", "in",
    "integer", "is", "let", "like", "long", "loop", "lset", "me", "mod", "name", "new",
    "next", "not", "nothing", "null", "object", "on", "open", "option", "optional", "or",
    "paramarray", "preserve", "print", "private", "property", "public", "put", "raiseevent",
    "redim", "rem", "resume", "return", "rset", "select", "set", "single", "static", "step",
    "stop", "string", "sub", "then", "to", "true", "type", "typeof", "until", "variant",
    "wend", "while", "with", "withevents", "xor",
}


def is_error(value) -> bool:
    return isinstance(value, str) and value.startswith("#FEL: ")


def assert_plain(value):
    """Only plain Python values: int, float, str (in lists for FU_DRIFT)."""
    if isinstance(value, list):
        for v in value:
            assert_plain(v)
    else:
        assert type(value) in (int, float, str), (value, type(value))


# --- The seed's numbers ---------------------------------------------------------------------

def test_seed_examples():
    assert FU_AVVIKELSE(-62376, -66376) == -4000
    assert type(FU_AVVIKELSE(-62376, -66376)) is int
    assert FU_BUFFERT(245082, 0.015) == 3676.23
    assert type(FU_BUFFERT(245082, 0.015)) is float
    assert FU_MNKR(-3000, "tkr") == "-3,0 mnkr"


def test_avvikelse():
    assert FU_AVVIKELSE(-158695, -157695) == 1000
    assert FU_AVVIKELSE(-158695.0, -157695.0) == 1000  # Excel sends doubles
    assert FU_AVVIKELSE("−62 376", "-66\u00a0376") == -4000  # what Swedish users type
    assert FU_AVVIKELSE("-7,8", "-7,3") == 0.5
    assert FU_AVVIKELSE(62376, 66376, "Kostnader positiva") == -4000  # ledger style
    assert FU_AVVIKELSE(62376, 66376, "kostnader positiva") == -4000
    assert FU_AVVIKELSE(-62376, -66376, "Kostnader negativa") == -4000
    assert FU_AVVIKELSE(-62376, -66376, "") == -4000  # empty: the default convention
    assert FU_AVVIKELSE(None, None) == 0  # an empty row counts as 0, as in the engine
    assert FU_AVVIKELSE(0.1, 0.3) == 0.2  # exact: no float noise (0.19999999999999998)


@pytest.mark.parametrize("args, text", [
    (("abc", 1), "#FEL: Budget: 'abc' är inte ett tal."),
    ((1, None), "#FEL: Prognos saknas. Fyll i både budget och prognos."),
    ((None, 1), "#FEL: Budget saknas. Fyll i både budget och prognos."),
    ((1, 2, "Kostnader"), "#FEL: Teckenkonventionen 'Kostnader' finns inte. Välj "
                          "'Kostnader negativa' eller 'Kostnader positiva'."),
    (("#N/A", 2), "#FEL: Budget innehåller felvärdet #N/A."),
    ((dt.datetime(2024, 5, 1), 2), "#FEL: Budget är ett datum (2024-05-01), inte ett tal."),
    (([[1], [2]], 3), "#FEL: Budget ska vara en enda cell, inte ett område."),
    ((True, 3), "#FEL: Budget: 'True' är inte ett tal."),
    (("1,5 %", 3), "#FEL: Budget: '1,5 %' är inte ett belopp (procent är inte tillåtet här)."),
])
def test_avvikelse_bad_input(args, text):
    assert FU_AVVIKELSE(*args) == text


def test_buffert():
    assert FU_BUFFERT("245 082", "1,5 %") == 3676.23
    assert FU_BUFFERT(245082, "1,5%") == 3676.23
    assert FU_BUFFERT(245082, 0) == 0
    assert is_error(FU_BUFFERT(245082, 1.5))
    assert FU_BUFFERT(245082, 1.5) == "#FEL: Andelen 150,00 % ligger utanför 0–100 %."
    assert FU_BUFFERT(None, 0.015) == "#FEL: Kommunbidraget saknas."
    assert FU_BUFFERT(245082, "en och en halv") == \
        "#FEL: Andelen: 'en och en halv' är inte ett tal."


def test_andel():
    share = FU_ANDEL(4500, 245082)
    assert share == float(D(4500) / D(245082)) and type(share) is float
    assert FU_MNKR(4500, "tkr") == "4,5 mnkr"
    assert FU_ANDEL("4 500", "245 082") == share
    assert FU_ANDEL(0, 245082) == 0
    assert FU_ANDEL(4500, 0) == "#FEL: Kommunbidraget är 0, så andelen kan inte beräknas."
    assert FU_ANDEL("", 1) == "#FEL: Beloppet saknas."


def test_arsarbetarkostnad():
    assert FU_ARSARBETARKOSTNAD(36000, 0.45) == 626400  # kr per year
    assert type(FU_ARSARBETARKOSTNAD(36000, 0.45)) is int
    assert FU_ARSARBETARKOSTNAD("36 000", "45 %") == 626400
    assert FU_ARSARBETARKOSTNAD(35123.5, 0.4215) == float(engine.annual_staff_cost(
        D("35123.5"), D("0.4215")))
    assert FU_ARSARBETARKOSTNAD(-1, 0.45) == "#FEL: Månadslönen kan inte vara negativ."
    assert FU_ARSARBETARKOSTNAD(36000, 45) == "#FEL: PO-pålägget 4 500,00 % ligger utanför " \
                                              "0–100 %."
    assert FU_ARSARBETARKOSTNAD(36000, None) == "#FEL: PO-pålägget saknas."


@pytest.mark.parametrize("start", [
    dt.datetime(2024, 9, 1), dt.date(2024, 9, 1), 45536, 45536.0, "2024-09-01", "20240901",
    "01.09.2024",
])
def test_atgardseffekt_takes_dates_as_excel_sends_them(start):
    assert FU_ATGARDSEFFEKT(626.4, start, 2024) == 208.8  # 4 months of 12
    assert FU_ATGARDSEFFEKT("626,4", start, 2024.0) == 208.8


def test_atgardseffekt():
    assert FU_ATGARDSEFFEKT(3247.2, dt.datetime(2025, 1, 1), 2024) == 0
    assert FU_ATGARDSEFFEKT(3247.2, dt.datetime(2025, 1, 1), 2025) == 3247.2
    assert FU_ATGARDSEFFEKT(1200, dt.datetime(2024, 9, 2), 2024) == 300  # counts from October
    assert FU_ATGARDSEFFEKT(1200, dt.datetime(2023, 9, 2), 2024) == 1200
    assert FU_ATGARDSEFFEKT(1200, "1 september", 2024) == \
        "#FEL: Startdatumet: '1 september' är inget datum. Skriv datumet som ÅÅÅÅ-MM-DD."
    assert FU_ATGARDSEFFEKT(1200, None, 2024) == "#FEL: Startdatumet saknas."
    assert FU_ATGARDSEFFEKT(1200, "2024-09-01", 2024.5) == \
        "#FEL: Året ska vara ett heltal, inte 2024,5."
    assert FU_ATGARDSEFFEKT(1200, "2024-09-01", 24) == "#FEL: Året 24 är inte rimligt."
    assert FU_ATGARDSEFFEKT(1200, "2040-09-01", 2024) == \
        "#FEL: Startdatumet 2040-09-01 ligger mer än 10 år från uppföljningsåret 2024."
    assert FU_ATGARDSEFFEKT("x", "2024-09-01", 2024) == \
        "#FEL: Helårseffekten: 'x' är inte ett tal."


def test_mnkr():
    assert FU_MNKR(-3000, "tkr") == "-3,0 mnkr"
    assert FU_MNKR("-3 000", "TKR") == "-3,0 mnkr"
    assert FU_MNKR(-3000, None) == "-3,0 mnkr"  # empty unit: tkr, as in the workbook
    assert FU_MNKR(4500, "tkr") == "4,5 mnkr"
    assert FU_MNKR(1_250_000, "kr") == "1,3 mnkr"  # half away from zero, as reports round
    assert FU_MNKR(-0.04, "mnkr") == "0,0 mnkr"  # never "-0,0"
    assert FU_MNKR(-3000, "Mkr") == "#FEL: Enheten 'Mkr' finns inte. Välj 'kr' eller " \
                                    "'tkr' eller 'mnkr'."
    assert FU_MNKR(None, "tkr") == "#FEL: Beloppet saknas."


# --- FU_DRIFT ------------------------------------------------------------------------------

def seed_columns(shape):
    """The seed's Drift as four columns, flat or as one-element rows."""
    cols = [[r[i] for r in SEED_ROWS] for i in range(4)]
    return cols if shape == "flat" else [[[v] for v in col] for col in cols]


@pytest.mark.parametrize("shape", ["flat", "rows"])
def test_drift_equals_the_engine(shape):
    table = FU_DRIFT(*seed_columns(shape))
    assert table[0] == ["Rad", "Ingår i", "Budget", "Prognos", "Avvikelse"]
    result = engine.compute(FollowUp(Settings(), seed_rows()))
    assert len(table) == len(result.rows) + 1
    for out, row in zip(table[1:], result.rows):
        assert out == [row.name, row.parent or "", row.budget, row.forecast, row.deviation]
    assert_plain(table)
    for out in table[1:]:
        assert out[4] == SEED_PRINTED[out[0]][2]  # the deviations the seed prints


def test_drift_mixed_shapes_swedish_text_and_empty_rows():
    rad, ingar, budget, prognos = seed_columns("flat")
    budget = [None if b is None else f"{b:,}".replace(",", " ") for b in budget]
    rad, ingar, budget, prognos = (rad + [None, ""], [[v] for v in ingar] + [[None], [""]],
                                   budget + [None, None], prognos + ["", None])
    table = FU_DRIFT(rad, ingar, budget, prognos, "Kostnader negativa")
    assert table == FU_DRIFT(*seed_columns("flat"))


def test_drift_ledger_style():
    cols = seed_columns("flat")
    flipped = [[None if v is None else -v for v in col] for col in cols[2:]]
    table = FU_DRIFT(cols[0], cols[1], *flipped, "Kostnader positiva")
    assert [r[4] for r in table[1:]] == [r[4] for r in FU_DRIFT(*cols)[1:]]
    assert table[-1][2:] == [1, 3001, -3000]


def test_drift_single_cell_ranges():
    assert FU_DRIFT("Årets resultat", None, 5.0, 7.0) == [
        ["Rad", "Ingår i", "Budget", "Prognos", "Avvikelse"], ["Årets resultat", "", 5, 7, 2]]
    assert FU_DRIFT([["Årets resultat"]], [[None]], [[5.0]], [[7.0]]) == \
        FU_DRIFT("Årets resultat", None, 5.0, 7.0)


@pytest.mark.parametrize("args, text", [
    ((["a", "b"], [None, "a"], [1], [2, 3]),
     "#FEL: Rad, Ingår i, Budget och Prognos ska ha lika många rader (nu 2, 2, 1, 2)."),
    (([["a", "x"]], [[None]], [[1]], [[2]]),
     "#FEL: Rad ska vara en kolumn (ett område som är en cell brett)."),
    ((["a", None], [None, "a"], [None, 1], [None, 2]),
     "#FEL: Rad 2 har belopp men inget namn i kolumnen Rad."),
    ((["a", "b"], [None, "c"], [None, 1], [None, 2]),
     "#FEL: 'Ingår i' = 'c' för raden 'b' namnger ingen rad i Drift."),
    ((["a", "b"], [None, "a"], [None, "x"], [None, 2]),
     "#FEL: Budget på raden 'b': 'x' är inte ett tal."),
    ((["a", "b"], [None, "a"], [None, 1], [None, None]),
     "#FEL: Raden 'b' har Budget men saknar Prognos. Fyll i båda, eller lämna båda tomma."),
    (([None, None], [None, None], [None, None], [None, None]), "#FEL: Drift har inga rader."),
    ((["a", "b"], [None, "a"], [None, 1], [None, 2], "fel"),
     "#FEL: Teckenkonventionen 'fel' finns inte. Välj 'Kostnader negativa' eller "
     "'Kostnader positiva'."),
    ((["a", "b", "c"], ["b", "a", None], [None, None, None], [None, None, None]),
     "#FEL: Raderna summerar i en cirkel: a → b → a. Ändra 'Ingår i' så att varje rad till "
     "slut summeras i resultatraden."),
])
def test_drift_bad_input(args, text):
    assert FU_DRIFT(*args) == text


def test_more_errors_are_counted():
    out = FU_DRIFT(["a", "b", "c"], [None, "x", "y"], [None, 1, 1], [None, 1, 1])
    assert out.startswith("#FEL: 'Ingår i' = 'x'") and out.endswith("(och 1 fel till)")


def test_unexpected_errors_are_a_cell_text_not_a_traceback(monkeypatch):
    def broken(*args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(engine, "buffer_amount", broken)
    assert FU_BUFFERT(1, 0.5) == ("#FEL: oväntat fel i FU_BUFFERT (ZeroDivisionError: "
                                  "division by zero).")


amounts = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False,
                      allow_infinity=False)


@given(amounts, amounts, st.sampled_from(c.TECKENKONVENTIONER))
def test_avvikelse_is_the_engines_deviation(budget, forecast, convention):
    sign = Settings(sign_convention=convention).sign
    expected = engine.deviation(budget, forecast, sign)
    for b, f in ((budget, forecast), (float(budget), float(forecast)),
                 (str(budget).replace(".", ","), str(forecast).replace(".", ","))):
        got = FU_AVVIKELSE(b, f, convention)
        assert type(got) in (int, float)
        assert D(repr(got)) == expected if type(got) is float else got == expected


# --- Declarations: names, parameters, xlwings' settings ---------------------------------------

def test_names_and_ascii_parameters():
    assert sorted(udfs.__all__) == sorted(SIGNATURES)
    for name, params in SIGNATURES.items():
        f = getattr(udfs, name)
        assert f.__name__ == name
        sig = inspect.signature(f)  # through functools.wraps, as xlwings reads it
        assert list(sig.parameters) == params
        for p in sig.parameters.values():
            assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            assert re.fullmatch(r"[a-z][a-z0-9_]*", p.name) and p.name.isascii()
            assert p.name not in VBA_RESERVED
            optional = (name, p.name) in OPTIONAL
            assert (p.default is None) if optional else (p.default is p.empty)
        assert f.__doc__ and len(f.__doc__) <= 255  # Excel's function description
        assert not f.__annotations__  # a type hint would become an xlwings converter


@pytest.fixture
def windows_udfs(monkeypatch):
    """followup_xl.doors.udfs as Windows sees it: decorated by xlwings' own decorators.

    On Linux ``xw.func``/``xw.arg``/``xw.ret`` are no-ops, because ``xlwings.udfs``
    imports pywin32 at the top. With empty stand-ins for the pywin32 modules it imports,
    and is only used here to declare functions and write their VBA wrappers, which need
    no COM."""
    import xlwings as xw

    fake = {name: types.ModuleType(name)
            for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    fake["pythoncom"].CoInitialize = lambda: None
    fake["win32com.client"].Dispatch = lambda *a, **k: None
    fake["win32com"].client = fake["win32com.client"]
    for name, module in fake.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    xlwings_udfs = importlib.import_module("xlwings.udfs")
    monkeypatch.setattr(xw, "func", xlwings_udfs.xlfunc)
    monkeypatch.setattr(xw, "arg", xlwings_udfs.xlarg)
    monkeypatch.setattr(xw, "ret", xlwings_udfs.xlret)
    spec = importlib.util.spec_from_file_location("followup_xl._udfs_windows", udfs.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield xlwings_udfs, module
    sys.modules.pop("xlwings.udfs", None)
    xlwings_udfs.com_executor.shutdown(wait=False)


def test_xlwings_decorator_settings(windows_udfs):
    _, module = windows_udfs
    for name, params in SIGNATURES.items():
        info = getattr(module, name).__xlfunc__
        assert info["name"] == name and info["sub"] is False
        assert info["category"] == udfs.CATEGORY
        assert info["volatile"] is False and info["async_mode"] is None
        assert [a["name"] for a in info["args"]] == params
        for arg in info["args"]:
            key = (name, arg["name"])
            assert arg["vararg"] is False and arg["vba"] is None
            assert ("optional" in arg) == (key in OPTIONAL)
            if key in OPTIONAL:
                assert arg["optional"] is None
            expected = {"err_to_str": True, **({"ndim": 2} if key in RANGES else {})}
            assert arg["options"] == expected, key
            assert arg["doc"] and not arg["doc"].startswith("Positional argument")
        assert info["ret"]["options"] == {}  # plain values; FU_DRIFT spills by itself
        assert info["ret"]["doc"] == getattr(udfs, name).__doc__


def test_vba_wrappers_xlwings_writes(windows_udfs):
    """The VBA that ImportPythonUDFs would import: one Function per FU_*, with our ASCII
    parameter names as VBA parameters, calling back into followup_xl.doors.udfs."""
    xlwings_udfs, module = windows_udfs
    out = io.StringIO()

    class Workbook:  # generate_vba_wrapper only asks for the name
        Name = "SN uppföljning maj 2024.xlsm"

    xlwings_udfs.generate_vba_wrapper("followup_xl.doors.udfs", module, out, Workbook())
    vba = out.getvalue()
    declared = re.findall(r"^Function (\w+)\((.*)\)$", vba, re.MULTILINE)
    assert sorted(n for n, _ in declared) == sorted(SIGNATURES)
    for name, params in declared:
        expected = ", ".join(("Optional " if (name, p) in OPTIONAL else "") + p
                             for p in SIGNATURES[name])
        assert params == expected
        assert f'XLPy.CallUDF("followup_xl.doors.udfs", "{name}", ' \
               f'Array({", ".join(SIGNATURES[name])}), ThisWorkbook, Application.Caller)' in vba
    assert vba.isascii()


def test_windows_module_computes_the_same(windows_udfs):
    _, module = windows_udfs
    assert module.FU_AVVIKELSE(-62376, -66376) == -4000
    assert module.FU_DRIFT(*seed_columns("rows")) == FU_DRIFT(*seed_columns("flat"))


# --- The monthly functions: the engine's, for a cell --------------------------------------

def test_monthly_functions_give_the_engines_figures():
    from followup_xl.doors.udfs import FU_BUDGETACK, FU_PROGNOSFORSLAG, FU_RIKTPUNKT
    from followup_xl.domain import monthly

    assert FU_RIKTPUNKT(4) == pytest.approx(1 / 3) and FU_RIKTPUNKT("12") == 1
    assert FU_BUDGETACK(-62376, 5) == -25990
    assert FU_BUDGETACK("1 200", 2, "Kalenderdagar", 2024) == pytest.approx(1200 * 60 / 366)
    assert FU_BUDGETACK(1200, 2, "kalenderdagar", 2023) == pytest.approx(1200 * 59 / 365)
    assert FU_PROGNOSFORSLAG(-28300, -62376, -25990, 5) == -64686
    assert FU_PROGNOSFORSLAG(-28300, -62376, -25990, 5, "Linjär") == -67920
    assert FU_PROGNOSFORSLAG(100, 1200, 300, 4, "Budgetprofil") == 400
    assert FU_PROGNOSFORSLAG(100, 1200, 300, 4) == float(
        monthly.suggestion("Utfall + återstående budget", D(100), D(1200), D(300), 4))


@pytest.mark.parametrize("call,text", [
    (lambda: udfs.FU_RIKTPUNKT(13), "ingen månad"),
    (lambda: udfs.FU_BUDGETACK(100, 5, "Kalenderdagar"), "året"),
    (lambda: udfs.FU_BUDGETACK(100, 5, "Föregående års utfall"), "finns inte"),
    (lambda: udfs.FU_PROGNOSFORSLAG(1, 2, 0, 3, "Budgetprofil"), "Budget ack är 0"),
    (lambda: udfs.FU_PROGNOSFORSLAG("mycket", 2, 1, 3), "'mycket'"),
])
def test_monthly_functions_refuse_in_swedish(call, text):
    value = call()
    assert isinstance(value, str) and value.startswith("#FEL: ") and text in value
