"""The command line: ``followup-xl check BOOK``, ``followup-xl calc BOOK [-o OUT] [--json]``,
``followup-xl report BOOK [-o RAPPORT.docx]`` and ``followup-xl ny-period BOOK -o NEW``.

A thin door: it parses arguments, calls the jobs (:mod:`followup_xl.jobs`), and prints
what happened in Swedish. Exit codes: 0 OK or only warnings, 1 errors in the input or a file
that cannot be read or written safely, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

from followup_xl import __version__
from followup_xl import contract as c
from followup_xl.jobs.calc import Outcome, calc, check
from followup_xl.errors import FollowupError, UsageError
from followup_xl.domain.swedish import (format_amount, format_number, format_percent, month_name,
                      unit_decimals)
from followup_xl.report.rows import table_rows

# ledger.reading's readers (a test holds them equal; importing them here would slow the
# start of every command).
IMPORT_FORMATS = ("auto", "sie", "xlsx", "csv")

# argparse's own words, in Swedish.
_ARGPARSE_SV = {
    "usage: ": "användning: ",
    "positional arguments": "argument",
    "options": "flaggor",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "the following arguments are required: %s": "följande argument saknas: %s",
    "unrecognized arguments: %s": "okända argument: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "ogiltigt val: %(value)r (välj bland %(choices)s)",
    "expected one argument": "väntade ett argument",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
}
argparse._ = lambda text: _ARGPARSE_SV.get(text, text)  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="followup-xl",
        description="Månadsuppföljning: beräknar avvikelser, summor, buffert, strukturellt "
                    "underskott och handlingsplan i en uppföljningsarbetsbok.")
    parser.add_argument("--version", action="version", version=f"followup-xl {__version__}",
                        help="visa versionen och avsluta")
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO", required=True)
    p = sub.add_parser("calc", help="beräkna arbetsboken och skriv in resultaten",
                       description="Läser indata genom arbetsbokens tabeller och namn, "
                       "beräknar och skriver resultaten och Kontroll-tabellen. Indata "
                       "skrivs aldrig över, och filen ersätts atomärt.")
    _add_book(p)
    _add_write_options(p)
    p = sub.add_parser("check", help="kontrollera arbetsboken utan att skriva något",
                       description="Läser och beräknar arbetsboken och skriver alla "
                       "meddelanden med sina celler, men ändrar ingenting i filen.")
    _add_book(p)
    p.add_argument("--json", action="store_true", help="skriv alla resultat som JSON")
    _add_report_parser(sub)
    _add_import_parser(sub)
    _add_next_period_parser(sub)
    return parser


def _add_book(p) -> None:
    p.add_argument("book", metavar="ARBETSBOK", type=Path, help="arbetsboken (.xlsm/.xlsx)")


def _add_write_options(p) -> None:
    """What every command that writes a workbook in place (or to UTFIL) takes."""
    p.add_argument("-o", "--output", metavar="UTFIL", type=Path,
                   help="skriv resultatet till en ny fil i stället för i arbetsboken")
    p.add_argument("--json", action="store_true", help="skriv alla resultat som JSON")
    p.add_argument("--backup", action="store_true",
                   help="behåll föregående version av filen som säkerhetskopia")
    p.add_argument("--force", action="store_true",
                   help="skriv även om filen verkar vara öppen i Excel eller LibreOffice")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed its message
        return int(e.code or 0)
    command = {"calc": _calc, "check": _check, "report": _report,
               "import": _import, "ny-period": _next_period}[args.command]
    try:
        return command(args)
    except UsageError as e:
        print(f"followup-xl: fel: {e}", file=sys.stderr)
        return e.exit_code
    except FollowupError as e:
        print(f"Fel: {e}", file=sys.stderr)
        return e.exit_code


def _calc(args) -> int:
    return _print(calc(args.book, args.output, backup=args.backup, force=args.force), args)


def _check(args) -> int:
    return _print(check(args.book), args, checked=True)


def _refused(outcome: Outcome, sentence: str) -> int:
    """Print the Fel messages, then ``sentence`` with their number in place of {n}."""
    errors = [r for r in outcome.reports if r.level == "Fel"]
    for report in errors:
        print(report, file=sys.stderr)
    print(sentence.replace("{n}", str(len(errors))), file=sys.stderr)
    return outcome.exit_code


def _print(outcome: Outcome, args, checked: bool = False) -> int:
    for report in outcome.reports:
        print(report, file=sys.stderr)
    if args.json:
        print(json.dumps(result_json(outcome), ensure_ascii=False, indent=2))
    else:
        print(summary(outcome, checked=checked))
    return outcome.exit_code


# --- import: actuals and budget from the ledger ---------------------------------------

def _add_import_parser(sub) -> None:
    p = sub.add_parser("import", help="hämta utfall (och budget) ur huvudboken och beräkna",
                       description="Läser huvudboksfiler (SIE 1-4, CSV- eller Excel-export), "
                       "tar arbetsbokens år, för beloppen till raderna i Drift genom "
                       "tabellen Mappning och skriver Utfall, Manadsbudget (om filen har "
                       "budget) och Omappat. Sedan beräknas arbetsboken som med calc. Vid "
                       "fel skrivs bara Kontroll.")
    _add_book(p)
    p.add_argument("ledgers", metavar="HUVUDBOK", type=Path, nargs="+",
                   help="en eller flera huvudboksfiler (.se/.si, .csv, .xlsx)")
    p.add_argument("--format", choices=IMPORT_FORMATS, default="auto",
                   help="filernas format (standard: känns igen på innehållet)")
    _add_write_options(p)


def _import(args) -> int:
    from followup_xl.jobs.import_ledger import import_ledger
    outcome = import_ledger(args.book, args.ledgers, args.output, fmt=args.format,
                            backup=args.backup, force=args.force)
    return _print_import(outcome, args)


def _print_import(outcome, args) -> int:
    if outcome.total is not None and not args.json:
        unit = outcome.result.settings.unit
        print(f"Importerat: {', '.join(outcome.files)}; summa "
              f"{format_amount(outcome.total, unit, decimals=unit_decimals(unit))}, varav "
              f"omappat {format_amount(outcome.unmapped, unit, decimals=unit_decimals(unit))}.")
    return _print(outcome, args)


# --- report: the Word draft for the nämnd ----------------------------------------------

def _add_report_parser(sub) -> None:
    p = sub.add_parser("report", help="skapa rapportutkastet till nämnden (Word)",
                       description="Läser och beräknar arbetsboken (utan att skriva i den) "
                       "och skriver ett rapportutkast till nämnden som Word-dokument: "
                       "Drift-tabellen, sammanfattning, utfall och prognos med diagram "
                       "och handlingsplan. Inget skapas om arbetsboken har fel.")
    _add_book(p)
    p.add_argument("-o", "--output", metavar="RAPPORT", type=Path,
                   help="Word-filen att skriva (.docx); standard är arbetsbokens namn "
                        "följt av ' rapport.docx' i samma mapp")
    p.add_argument("--force", action="store_true",
                   help="skriv även om rapporten verkar vara öppen i Word eller LibreOffice")


def _report(args) -> int:
    from followup_xl.jobs.report import write_report
    outcome = write_report(args.book, args.output, force=args.force)
    if not outcome.result.ok:
        return _refused(outcome, "Rapporten skapas inte: arbetsboken har {n} fel (se ovan). "
                        "Rätta dem och försök igen.")
    print(f"Rapportutkastet är skrivet till {outcome.written}.")
    return 0


# --- ny-period: next month's workbook from this month's ------------------------------

def _add_next_period_parser(sub) -> None:
    p = sub.add_parser("ny-period", help="skriv nästa månads arbetsbok från den här månadens",
                       description="Stänger månaden och skriver nästa månads arbetsbok som "
                       "en ny fil: Period blir nästa månad, varje rads Föregående prognos "
                       "får månadens Prognos, och månadens prognos och utfall ack läggs i "
                       "Prognoshistorik. Sedan beräknas den nya månaden. Arbetsboken själv "
                       "ändras inte; Prognos, Kommentar och handlingsplanen står kvar för "
                       "dig att uppdatera.")
    p.add_argument("book", metavar="ARBETSBOK", type=Path,
                   help="den här månadens arbetsbok (.xlsm/.xlsx); läses bara")
    p.add_argument("-o", "--output", metavar="NY", type=Path, required=True,
                   help="nästa månads arbetsbok (en ny fil, samma filändelse)")
    p.add_argument("--period", metavar="P", type=int,
                   help="den nya perioden, 1–12 (standard: arbetsbokens period + 1)")
    p.set_defaults(json=False)  # (the import it may run prints as `import` does)
    p.add_argument("--import", dest="ledgers", metavar="HUVUDBOK", type=Path, nargs="+",
                   action="extend", default=[],
                   help="importera också den nya månadens huvudbok (SIE, CSV eller Excel)")
    p.add_argument("--backup", action="store_true",
                   help="behåll en säkerhetskopia av NY om den skrivs över (med --force)")
    p.add_argument("--force", action="store_true",
                   help="skriv över NY om den finns, även om filerna verkar vara öppna")


def _next_period(args) -> int:
    from followup_xl.jobs.next_period import next_period
    outcome = next_period(args.book, args.output, period=args.period, backup=args.backup,
                          force=args.force, ledgers=args.ledgers or ())
    if not outcome.result.ok:
        return _refused(outcome, "Ingen ny period är skriven: arbetsboken har {n} fel (se "
                        f"ovan). Rätta dem i {args.book} och kör igen.")
    if outcome.imported is not None:  # computed again by the import, which tells the rest
        print(next_period_summary(outcome, args.book, computed=False))
        print(f"Den nya månadens huvudbok är importerad till {outcome.written}:\n")
        return _print_import(outcome.imported, args)
    for report in outcome.reports:
        print(report, file=sys.stderr)
    print(next_period_summary(outcome, args.book))
    return outcome.exit_code


def next_period_summary(outcome, book: Path, computed: bool = True) -> str:
    """What was rolled forward, then (``computed``) the new month's summary as calc
    prints it."""
    closed, new = month_name(outcome.closed), month_name(outcome.period)
    history = ", ".join(month_name(p) for p in outcome.history_periods)
    lines = [
        f"Ny period: {closed} (period {outcome.closed}) är stängd och {new} (period "
        f"{outcome.period}) är påbörjad i {outcome.written}; {book} är oförändrad.",
        f"Föregående prognos på {outcome.carried} rader har fått {closed}s prognos, och "
        f"Prognoshistorik har fått {outcome.history_rows} rader för {closed} (nu: {history}).",
        f"Prognos, Kommentar och handlingsplanen står som i {closed}: uppdatera dem för {new}, "
        "med Prognosförslag och varningarna i Kontroll som stöd, och beräkna igen.",
    ]
    if computed:
        lines += ["", summary(outcome)]
    return "\n".join(lines)


# --- Output -------------------------------------------------------------------------------

def _num(d: Decimal | None):
    """A JSON number that prints exactly as the Decimal (no float noise)."""
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def result_json(outcome: Outcome) -> dict:
    r = outcome.result
    s = r.settings
    out: dict = {
        "status": r.status,
        "fil": str(outcome.written) if outcome.written else None,
        "installningar": {"namnd": s.committee, "ar": s.year, "period": s.period,
                          "enhet": s.unit, "teckenkonvention": s.sign_convention},
        "drift": [{"rad": row.name, "summa": row.is_total, "budget": _num(row.budget),
                   "prognos": _num(row.forecast), "avvikelse": _num(row.deviation),
                   **_monthly_json(row)} for row in r.rows],
        "meddelanden": [{"niva": m.level, "blad": m.sheet, "cell": m.cell,
                         "meddelande": m.text} for m in outcome.reports],
    }
    if r.rows:
        out["resultat"] = {"budget": _num(r.budget_result), "prognos": _num(r.forecast_result)}
    if r.riktpunkt is not None:
        out["riktpunkt"] = _num(r.riktpunkt)
    if r.accuracy:
        out["prognossakerhet"] = [{"period": a.period, "prognos": _num(a.forecast),
                                   "utfall": _num(a.outcome), "prognosfel": _num(a.error),
                                   "andel": _num(a.share)} for a in r.accuracy]
    if r.buffer:
        b = r.buffer
        out["buffert"] = {"belopp": _num(b.amount), "intecknat": _num(b.committed),
                          "kvar": _num(b.left), "tackning": _num(b.coverage)}
    if r.structural:
        out["strukturellt_underskott"] = {"belopp": _num(r.structural.deficit),
                                          "andel": _num(r.structural.share),
                                          "harlett": r.structural.derived}
    if r.plan:
        p = r.plan
        out["handlingsplan"] = {
            "helarseffekt": _num(p.full_year), "effekt_i_ar": _num(p.this_year),
            "tackning": _num(p.coverage), "kvar": _num(p.uncovered),
            "balans_ar": p.balance_year,
            "atgarder": [{"helarseffekt": _num(m.full_year), "effekt_i_ar": _num(m.this_year),
                          "andel_av_arbetsstyrkan": _num(m.workforce_share)}
                         for m in p.measures]}
    return out


def _monthly_json(row) -> dict:
    fields = {"budget_ack": row.budget_ack, "utfall_ack": row.actual_ack,
              "avvikelse_ack": row.deviation_ack, "utfall_andel": row.actual_share,
              "utfall_ack_fg": row.actual_ack_last_year, "prognosforslag": row.suggestion,
              "forandring": row.change}
    return {k: _num(v) for k, v in fields.items() if v is not None}


def summary(outcome: Outcome, checked: bool = False) -> str:
    """A short Swedish summary for the console."""
    r = outcome.result
    s = r.settings
    lines = []
    if r.rows:
        head = s.committee or "Uppföljning"
        if s.period and s.year:
            head += f", uppföljning per {month_name(s.period)} {s.year}"
        lines += [f"{head} (belopp i {s.unit})", ""]
        shown, left_out = table_rows(r)  # a large tree: its upper levels, as the report
        width = max(len(row.name) for row in shown) + 2
        ack = r.has_actuals
        lines.append(f"{'Rad':<{width}}{'Budget':>14}{'Prognos':>14}{'Avvikelse':>14}"
                     + (f"{'Utfall ack':>14}{'Avv. ack':>14}" if ack else ""))
        dec = unit_decimals(s.unit)
        for row in shown:
            line = (f"{row.name:<{width}}{format_number(row.budget, dec):>14}"
                    f"{format_number(row.forecast, dec):>14}"
                    f"{format_number(row.deviation, dec):>14}")
            if ack:  # empty without a Period (nothing is accumulated then)
                line += "".join(f"{'' if v is None else format_number(v, dec):>14}"
                                for v in (row.actual_ack, row.deviation_ack))
            lines.append(line)
        if left_out:
            lines.append(f"(De översta nivåerna: {len(shown)} av {len(r.rows)} rader. Alla "
                         "rader finns på bladet Drift och med --json.)")
        lines.append("")
    if r.buffer:
        b = r.buffer
        share = r.followup.buffer_share if r.followup else None
        of_kb = f" ({format_percent(share)} av kommunbidraget)" if share is not None else ""
        lines.append(f"Central buffert: {format_amount(b.amount, s.unit)}{of_kb}, intecknat "
                     f"{format_amount(b.committed, s.unit)}, kvar {format_amount(b.left, s.unit)}"
                     f", täcker {format_percent(b.coverage)} av prognostiserat underskott.")
    if r.structural:
        st = r.structural
        share = f" = {format_percent(st.share)} av kommunbidraget" if st.share else ""
        lines.append(f"Strukturellt underskott: {format_amount(st.deficit, s.unit)}{share}.")
    if r.plan:
        p = r.plan
        text = (f"Handlingsplan: helårseffekt {format_amount(p.full_year, s.unit)}, effekt i "
                f"år {format_amount(p.this_year, s.unit)}")
        if p.coverage is not None:
            text += f", täcker {format_percent(p.coverage)} av underskottet"
        if isinstance(p.balance_year, int):
            text += f"; budget i balans från {p.balance_year}"
        elif p.balance_year == c.EJ_I_BALANS:
            text += f"; ej i balans ({format_amount(p.uncovered, s.unit)} återstår)"
        lines.append(text + ".")
    counts = {lvl: sum(1 for m in outcome.reports if m.level == lvl)
              for lvl in ("Fel", "Varning", "Info")}
    lines.append("")
    warnings = "varning" if counts["Varning"] == 1 else "varningar"
    lines.append(f"Kontroll: {r.status} ({counts['Fel']} fel, {counts['Varning']} "
                 f"{warnings}, {counts['Info']} info).")
    if checked:
        lines.append("Kontrollen har inte ändrat något i arbetsboken.")
    elif outcome.kontroll_only:
        lines.append(f"Inga resultat är skrivna: indata har fel. Bara Kontroll och "
                     f"Kontroll_Status är uppdaterade i {outcome.written}, så att arbetsboken "
                     "visar felen. Rätta dem och kör igen.")
    elif outcome.written:
        lines.append(f"Resultaten är skrivna till {outcome.written}.")
    else:
        lines.append("Inget har skrivits: rätta felen ovan och kör igen.")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
