"""Property tests: number text to öre is exact (one value or a whole column), code lists
follow the digit-string prefix rule, the most specific mapping row wins, and no input
makes a reader raise."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from followup_xl.ledger.codes import parse_codes
from followup_xl.ledger.mapping import MappingEntry, build_mapping
from followup_xl.ledger.numbers import BadAmount, ore_column, ore_of
from followup_xl.ledger.records import ReadOptions
from followup_xl.ledger.sie import SieReader
from followup_xl.ledger.csv_export import CsvReader

ORE = st.integers(min_value=-(10 ** 15) + 1, max_value=10 ** 15 - 1)


def written(ore: int, group: str, decimal: str, minus: str, trailing: bool,
            decimals: int) -> str:
    kr, o = divmod(abs(ore), 100)
    whole = f"{kr:,}".replace(",", group)
    frac = f"{o:02d}"[:decimals]
    text = whole + (decimal + frac if decimals else "")
    if ore < 0:
        text = text + minus if trailing else minus + text
    return text


STYLE = st.tuples(st.sampled_from(["", " ", "\u00a0", "\u202f"]), st.sampled_from([",", "."]),
                  st.sampled_from(["-", "\u2212", "\u2013"]), st.booleans())


@given(ORE, STYLE)
def test_swedish_number_text_gives_the_exact_ore(ore, style):
    group, decimal, minus, trailing = style
    text = written(ore, group, decimal, minus, trailing, 2)
    assert ore_of(text, decimal) == ore
    ore, bad = ore_column(pa.array([text, f"  {text} "]), decimal)
    assert ore.tolist() == [ore_of(text, decimal)] * 2 and len(bad) == 0


@given(st.lists(st.tuples(ORE, st.integers(0, 2)), min_size=1, max_size=40), STYLE)
def test_a_column_parses_as_each_value_does(values, style):
    group, decimal, minus, trailing = style
    texts = []
    for ore, decimals in values:
        ore = ore - ore % 10 if decimals == 1 else (ore - ore % 100 if decimals == 0 else ore)
        texts.append(written(ore, group, decimal, minus, trailing, decimals))
    got, bad = ore_column(pa.chunked_array([texts[:3], texts[3:]]), decimal)
    assert len(bad) == 0
    assert got.tolist() == [ore_of(t, decimal) for t in texts]


@given(st.text(max_size=12))
def test_any_text_is_an_amount_or_a_clear_refusal(text):
    try:
        scalar = ore_of(text, ",")
    except BadAmount as e:
        assert str(e).startswith("'")
        scalar = None
    column, bad = ore_column(pa.array([text]), ",")
    if scalar is None:
        assert bad.tolist() == [0]
    elif text.strip() and "\x00" not in text:
        assert column.tolist() == [scalar]


DIGITS = st.text("0123456789", min_size=1, max_size=6)


@given(DIGITS, DIGITS)
def test_a_code_matches_a_prefix_by_its_leading_digits(prefix, code):
    assert parse_codes(prefix).matches(code) == code.startswith(prefix)
    assert parse_codes(prefix).match_length(prefix + code) == len(prefix)


@given(DIGITS, DIGITS, DIGITS)
def test_a_range_matches_the_codes_whose_leading_digits_lie_in_it(a, b, code):
    low, high = sorted([a, b])
    n = min(len(low), len(high))
    if low[:n] > high[:n]:
        return
    expected = (len(code) >= len(low) and code[:len(low)] >= low
                and code[:len(high)] <= high)
    assert parse_codes(f"{low}-{high}").matches(code) == expected


@given(st.lists(st.tuples(st.sampled_from(["", "5", "50", "501", "50-59", "4-6", "3-8"]),
                          st.sampled_from(["", "1", "11", "10-19"]),
                          st.sampled_from(["", "5", "51"])), min_size=1, max_size=6),
       st.sampled_from(["5011", "5101", "6010", "3010"]), st.sampled_from(["1101", "2001"]),
       st.sampled_from(["510", "520", ""]))
@settings(max_examples=200)
def test_the_most_specific_row_wins(rows, konto, ansvar, verks):
    names = [f"R{i}" for i in range(len(rows))]
    entries = [MappingEntry(k or None, a or None, v or None, names[i], i)
               for i, (k, a, v) in enumerate(rows)]
    mapping, _ = build_mapping(entries, names)
    winner, rival = mapping.resolve_one(konto, ansvar, verks)
    scored = []
    for row in mapping.rows:
        lengths = (row.konto.match_length(konto), row.ansvar.match_length(ansvar),
                   row.verksamhet.match_length(verks))
        if min(lengths) >= 0:
            scored.append((lengths, row))
    if not scored:
        assert winner is None
        return
    best = max(s for s, _ in scored)
    assert winner is not None and tuple(
        (winner.konto.match_length(konto), winner.ansvar.match_length(ansvar),
         winner.verksamhet.match_length(verks))) == best
    tied = {r.rad for s, r in scored if s == best}
    assert (rival is not None) == (len(tied) > 1)


SIE_LINE = st.one_of(
    st.text(max_size=40),
    st.builds(lambda label, rest: f"{label} {rest}",
              st.sampled_from(["#TRANS", "#RTRANS", "#VER", "#PSALDO", "#PBUDGET", "#RES",
                               "#RAR", "#KSUMMA", "#KONTO", "#IB", "#OUB", "{", "}"]),
              st.text(" 0123456789.-{}\"\\abc\t", max_size=30)))


# What Python's own exception texts look like: none may reach the economist.
PYTHON_WORDS = ("object", "attribute", "invalid literal", "index out of range", "NoneType",
                "unsupported operand", "subscriptable", "Error")


def assert_swedish(extract):
    for m in extract.messages:
        assert not any(w in m.text for w in PYTHON_WORDS), m.text


@given(st.lists(SIE_LINE, max_size=20))
@settings(max_examples=300)
def test_no_sie_text_makes_the_reader_raise_or_speak_python(lines):
    data = ("#FLAGGA 0\n" + "\n".join(lines)).encode("utf-8", errors="replace")
    assert_swedish(SieReader().extract("fuzz.se", data, ReadOptions(needs_ansvar=True)))


def test_an_object_list_where_the_account_should_be_is_said_in_swedish():
    data = '#FLAGGA 0\n#PSALDO 0 202401 {1 "a"} 100\n'.encode()
    extract = SieReader().extract("fel.se", data, ReadOptions())
    assert "årsnummer, period och konto ska stå före objektlistan" in " ".join(
        m.text for m in extract.messages)
    assert_swedish(extract)


@given(st.lists(st.text(";,\t0123456789-. Konto Belopp Datum\"\n", max_size=30), max_size=8))
@settings(max_examples=150)
def test_no_csv_text_makes_the_reader_raise_or_speak_python(lines):
    data = ("Datum;Konto;Belopp\n" + "\n".join(lines)).encode()
    assert_swedish(CsvReader().extract("fuzz.csv", data, ReadOptions()))
