"""The workbook's side of the ledger import: what import reads (Mappning, Importkolumner,
SIE_Dim_Ansvar, SIE_Dim_Verksamhet, Import_Konton) and what it writes (Utfall,
Manadsbudget, Omappat, Import_Filer, Import_Summa, Import_Omappat).

Read and validated by import only: calc never reads the mapping, so an economist who
never imports is never troubled by it. Amounts are written in the workbook's unit and
sign convention at full precision (:func:`followup_xl.ledger.records.in_workbook`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable

from followup_xl import contract as c
from followup_xl.domain.model import FollowUp, Level, Loc, Message, Months, Settings, row_key
from followup_xl.ledger.aggregate import Aggregate
from followup_xl.ledger.codes import BadCodeList, CodeList, parse_codes
from followup_xl.ledger.mapping import Mapping, MappingEntry, build_mapping
from followup_xl.ledger.records import DEFAULT_HEADERS, FIELDS, ReadOptions, in_workbook
from followup_xl.workbook.layout import Layout
from followup_xl.workbook.reader import _Reader
from followup_xl.workbook.writeplan import Writes, put_rows


@dataclass(frozen=True)
class ImportSetup:
    mapping: Mapping
    options: ReadOptions
    accounts: CodeList
    leaf_rows: tuple[str, ...]


def leaf_rows(fu: FollowUp) -> tuple[str, ...]:
    """The Drift rows that take amounts: those no other row sums into."""
    parents = {row_key(r.parent) for r in fu.rows if r.parent}
    return tuple(r.name for r in fu.rows if r.name and row_key(r.name) not in parents)


def read_import_setup(get: Callable[[str, str], object], layout: Layout, fu: FollowUp
                      ) -> tuple[ImportSetup, list[Message]]:
    rd = _Reader(get, layout)
    leaves = leaf_rows(fu)
    _, rows = rd.table_rows(c.MAPPNING, required=True)
    mapping, problems = build_mapping(
        [MappingEntry(v[c.MAP_KONTO], v[c.MAP_ANSVAR], v[c.MAP_VERKSAMHET], v[c.MAP_RAD], i)
         for i, v in rows], leaves)
    messages = list(problems)
    if layout.table(c.UTFALL) is None:  # the actuals would be computed with, not kept
        messages.append(Message(Level.FEL, f"Arbetsboken saknar tabellen '{c.UTFALL}', där "
                                "importen skriver utfallet. Använd mallen uppfoljning.xlsm "
                                "eller skapa en Excel-tabell med det namnet.", None))
    if not mapping.rows and not problems:
        messages.append(Message(Level.FEL, "Tabellen Mappning är tom: ange vilka konton som "
                                "hör till vilken rad i Drift.", Loc(c.MAPPNING)))
    headers = _headers(rd, messages)
    ansvar = _dimension(rd, c.SIE_DIM_ANSVAR, messages, default=c.DEFAULTS[c.SIE_DIM_ANSVAR])
    verksamhet = _dimension(rd, c.SIE_DIM_VERKSAMHET, messages, default=None)
    accounts_text = rd.text(rd.named(c.IMPORT_KONTON)) or c.DEFAULTS[c.IMPORT_KONTON]
    try:
        accounts = parse_codes(accounts_text)
    except BadCodeList as e:
        messages.append(Message(Level.FEL, f"{e}.", Loc(c.IMPORT_KONTON)))
        accounts = parse_codes(c.DEFAULTS[c.IMPORT_KONTON])
    options = ReadOptions(headers=headers, ansvar_dim=ansvar, verksamhet_dim=verksamhet,
                          needs_ansvar=mapping.uses_ansvar,
                          needs_verksamhet=mapping.uses_verksamhet)
    return ImportSetup(mapping, options, accounts, leaves), rd.messages + messages


def _headers(rd: _Reader, messages: list[Message]) -> dict[str, tuple[str, ...]]:
    place, rows = rd.table_rows(c.IMPORTKOLUMNER)
    if place is None or not rows:
        return dict(DEFAULT_HEADERS)
    fields = {f.casefold(): f for f in FIELDS}
    out: dict[str, list[str]] = {}
    for i, v in rows:
        name, heading = rd.text(v[c.IMK_FALT]), rd.text(v[c.IMK_KOLUMNRUBRIK])
        field = fields.get((name or "").casefold())
        if field is None:
            messages.append(Message(Level.FEL, f"Fältet '{name or ''}' finns inte. Välj "
                                    + ", ".join(FIELDS) + ".", Loc(c.IMPORTKOLUMNER, i,
                                                                   c.IMK_FALT)))
            continue
        if heading:
            out.setdefault(field, []).append(heading)
    return {f: tuple(h) for f, h in out.items()}


def _dimension(rd: _Reader, name: str, messages: list[Message], default) -> str | None:
    text = rd.text(rd.named(name))
    if text is None:
        return None if default is None else str(default)
    if not text.isdigit():
        messages.append(Message(Level.FEL, f"'{text}' är inget dimensionsnummer: skriv "
                                "numret på SIE-filens #DIM, t.ex. 1.", Loc(name)))
        return None
    return text


def monthly_rows(per_row: dict[str, tuple[int, ...]], unit: str, costs_negative: bool
                 ) -> tuple[Months, ...]:
    """Utfall or Manadsbudget as import writes them: one row per Drift leaf row with an
    amount, in Drift order, in the unit and convention; the months after the last month
    the ledger has are left empty."""
    last = max((m for months in per_row.values() for m, v in enumerate(months) if v),
               default=-1)
    return tuple(Months(rad, tuple(in_workbook(v, unit, costs_negative) if m <= last else None
                                   for m, v in enumerate(months)), i)
                 for i, (rad, months) in enumerate(per_row.items()))


def with_imported(fu: FollowUp, agg: Aggregate, messages: list[Message], layout: Layout
                  ) -> tuple[FollowUp, list[Message]]:
    """The follow-up as it will be once the import is written: its Utfall (and
    Manadsbudget, when a ledger had a budget and the workbook has the table to keep it)
    replaced, and the read messages about the replaced tables' rows dropped (a message
    about a table itself, such as a missing month column, stays)."""
    s = fu.settings
    costs_negative = s.costs_negative
    fu = replace(fu, actuals=monthly_rows(agg.actuals, s.unit, costs_negative))
    replaced = {c.UTFALL.casefold()}
    if agg.budget is not None and layout.table(c.MANADSBUDGET) is not None:
        fu = replace(fu, monthly_budget=monthly_rows(agg.budget, s.unit, costs_negative))
        replaced.add(c.MANADSBUDGET.casefold())
    kept = [m for m in messages if not (isinstance(m.loc, Loc) and m.loc.row is not None
                                        and m.loc.part.casefold() in replaced)]
    return fu, kept


def import_totals(agg: Aggregate, settings: Settings) -> tuple[Decimal, Decimal]:
    """Import_Summa and Import_Omappat: the imported result accounts' total and its
    unmapped part, in the workbook's unit and sign convention."""
    return tuple(in_workbook(ore, settings.unit, settings.costs_negative)
                 for ore in (agg.total, agg.unmapped_total))


def plan_import_writes(agg: Aggregate, fu: FollowUp, layout: Layout
                       ) -> tuple[Writes, list[Message]]:
    """Utfall and Manadsbudget as :func:`with_imported` put them into ``fu``, Omappat, and
    the Import_* names. The layout's places of the rewritten tables move to their new
    rows, so that messages about them name the right cells."""
    w = Writes()
    notes: list[Message] = []
    s = fu.settings
    costs_negative = s.costs_negative

    def value(ore: int):
        return in_workbook(ore, s.unit, costs_negative)

    targets = [(c.UTFALL, [(m.name, *m.values) for m in fu.actuals]), (c.OMAPPAT, [
        (u.konto or None, u.ansvar or None, u.verksamhet or None, value(u.ore), u.rows)
        for u in agg.unmapped])]
    if agg.budget is not None:  # (not imported without the table: with_imported)
        targets.append((c.MANADSBUDGET, [(m.name, *m.values) for m in fu.monthly_budget]))
    for table, rows in targets:
        if layout.table(table) is None:
            notes.append(Message(Level.VARNING, f"Arbetsboken saknar tabellen '{table}', så "
                                 "den delen av importen skrivs inte.", None))
            continue
        put_rows(w, layout, table, rows)
        place = layout.table(table)
        layout.tables[table.casefold()] = replace(
            place, rows=tuple(range(place.first_row, place.first_row + len(rows))))
    files = ", ".join(f.label for f in agg.files)
    total, unmapped = import_totals(agg, s)
    for name, v in ((c.IMPORT_FILER, files), (c.IMPORT_SUMMA, total),
                    (c.IMPORT_OMAPPAT, unmapped)):
        place = layout.name(name)
        if place is None:
            notes.append(Message(Level.VARNING, f"Namnet '{name}' saknas i arbetsboken, så "
                                 "det skrivs inte.", None))
        else:
            w.put(*place, v)
    return w, notes
