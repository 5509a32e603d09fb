"""The workbook contract: the only way code finds cells.

Every cell the program reads or writes is reached through an Excel Table (by table name
and column header) or a workbook-level defined name that points at one cell. Layout can
change freely in Excel as long as these names stay. The README documents the same list
for economists and template authors.
"""

from __future__ import annotations

# --- Tables: name -> column headers (in template order). -----------------------------
DRIFT = "Drift"
DRIFT_RAD = "Rad"
DRIFT_INGAR_I = "Ingår i"
DRIFT_BUDGET = "Budget"
DRIFT_PROGNOS = "Prognos"
DRIFT_AVVIKELSE = "Avvikelse"
DRIFT_KOMMENTAR = "Kommentar"
DRIFT_FOREG_PROGNOS = "Föregående prognos"  # optional: last month's forecast, for the report
# The monthly columns (computed, written by calc): the budget for the months passed, the
# actuals so far, their deviation (positive = better), the actuals as a share of the
# year's budget, last year's actuals for the same months, a forecast suggestion, and the
# change of the forecast since last month (positive = better).
DRIFT_BUDGET_ACK = "Budget ack"
DRIFT_UTFALL_ACK = "Utfall ack"
DRIFT_AVVIKELSE_ACK = "Avvikelse ack"
DRIFT_UTFALL_PROCENT = "Utfall %"
DRIFT_UTFALL_ACK_FG = "Utfall ack fg år"
DRIFT_PROGNOSFORSLAG = "Prognosförslag"
DRIFT_FORANDRING = "Förändring"
# Optional inputs: the row's periodisation key, and Ja for a row shown but not summed
# into its parent (preliminary internal items awaiting elimination).
DRIFT_NYCKEL = "Nyckel"
DRIFT_SUMMERAS_EJ = "Summeras ej"
MONTHLY_COLUMNS = (DRIFT_BUDGET_ACK, DRIFT_UTFALL_ACK, DRIFT_AVVIKELSE_ACK,
                   DRIFT_UTFALL_PROCENT, DRIFT_UTFALL_ACK_FG, DRIFT_PROGNOSFORSLAG,
                   DRIFT_FORANDRING)
# Written by the program (a hidden column): a short digest of the row's computed cells as
# last written, so that a value typed over one of them is noticed and reported.
KONTROLLSUMMA = "Kontrollsumma"
DRIFT_KONTROLLSUMMA = KONTROLLSUMMA

ENGANGSPOSTER = "Engangsposter"
ENG_POST = "Post"
ENG_BELOPP = "Belopp"

ATGARDER = "Atgarder"
ATG_ATGARD = "Åtgärd"
ATG_AVDELNING = "Avdelning"
ATG_ARSARBETARE = "Årsarbetare"
ATG_MANADSLON = "Månadslön"
ATG_BELOPP = "Belopp helår"
ATG_START = "Start"
ATG_HELARSEFFEKT = "Helårseffekt"
ATG_EFFEKT_I_AR = "Effekt i år"
ATG_ANDEL = "Andel av arbetsstyrkan"
ATG_KONTROLLSUMMA = KONTROLLSUMMA

ARBETSSTYRKA = "Arbetsstyrka"
AST_AVDELNING = "Avdelning"
AST_ARSARBETARE = "Årsarbetare"

KONTROLL = "Kontroll"
KTL_NIVA = "Nivå"
KTL_BLAD = "Blad"
KTL_CELL = "Cell"
KTL_MEDDELANDE = "Meddelande"

RAPPORT = "Rapport"  # the report's draft text, one paragraph per row (optional table)
RAP_TEXT = "Text"

# Ledger import (followup-xl import): the mapping from ledger codes to Drift rows, the
# actuals and budget per row and month, and what no mapping row matched.
MONTH_COLUMNS = ("Jan", "Feb", "Mar", "Apr", "Maj", "Jun", "Jul", "Aug", "Sep", "Okt",
                 "Nov", "Dec")
MAPPNING = "Mappning"
MAP_KONTO = "Konto"
MAP_ANSVAR = "Ansvar"
MAP_VERKSAMHET = "Verksamhet"
MAP_RAD = "Rad"

UTFALL = "Utfall"  # actuals per Drift leaf row and month, in the unit and convention
MANADSBUDGET = "Manadsbudget"  # the budget per row and month, when the ledger has one
MONTHLY_RAD = "Rad"

OMAPPAT = "Omappat"  # written by import: every code combination no mapping row matched
OMA_KONTO = "Konto"
OMA_ANSVAR = "Ansvar"
OMA_VERKSAMHET = "Verksamhet"
OMA_BELOPP = "Belopp"
OMA_ANTAL = "Antal rader"

IMPORTKOLUMNER = "Importkolumner"  # which header of a CSV/Excel export holds which field
IMK_FALT = "Fält"
IMK_KOLUMNRUBRIK = "Kolumnrubrik"

# The monthly cycle.
UTFALL_FG = "UtfallFg"  # last year's actuals per row and month, as Utfall
PERIODISERINGSNYCKLAR = "Periodiseringsnycklar"  # named keys: shares per month (100 %)
PNY_NYCKEL = "Nyckel"
PROGNOSHISTORIK = "Prognoshistorik"  # written by ny-period: each closed period's forecast
PH_PERIOD = "Period"
PH_RAD = "Rad"
PH_PROGNOS = "Prognos"
PH_UTFALL_ACK = "Utfall ack"
PROGNOSSAKERHET = "Prognossakerhet"  # written by calc at year end: forecast accuracy
PS_PERIOD = "Period"
PS_PROGNOS = "Prognos"
PS_UTFALL = "Utfall"
PS_PROGNOSFEL = "Prognosfel"
PS_ANDEL = "Andel av budget"

TABLES: dict[str, tuple[str, ...]] = {
    DRIFT: (DRIFT_RAD, DRIFT_INGAR_I, DRIFT_BUDGET, DRIFT_PROGNOS, DRIFT_AVVIKELSE,
            DRIFT_KOMMENTAR, DRIFT_KONTROLLSUMMA),
    ENGANGSPOSTER: (ENG_POST, ENG_BELOPP),
    ATGARDER: (ATG_ATGARD, ATG_AVDELNING, ATG_ARSARBETARE, ATG_MANADSLON, ATG_BELOPP,
               ATG_START, ATG_HELARSEFFEKT, ATG_EFFEKT_I_AR, ATG_ANDEL, ATG_KONTROLLSUMMA),
    ARBETSSTYRKA: (AST_AVDELNING, AST_ARSARBETARE),
    KONTROLL: (KTL_NIVA, KTL_BLAD, KTL_CELL, KTL_MEDDELANDE),
    RAPPORT: (RAP_TEXT,),
    MAPPNING: (MAP_KONTO, MAP_ANSVAR, MAP_VERKSAMHET, MAP_RAD),
    UTFALL: (MONTHLY_RAD,) + MONTH_COLUMNS,
    MANADSBUDGET: (MONTHLY_RAD,) + MONTH_COLUMNS,
    OMAPPAT: (OMA_KONTO, OMA_ANSVAR, OMA_VERKSAMHET, OMA_BELOPP, OMA_ANTAL),
    IMPORTKOLUMNER: (IMK_FALT, IMK_KOLUMNRUBRIK),
    UTFALL_FG: (MONTHLY_RAD,) + MONTH_COLUMNS,
    PERIODISERINGSNYCKLAR: (PNY_NYCKEL,) + MONTH_COLUMNS,
    PROGNOSHISTORIK: (PH_PERIOD, PH_RAD, PH_PROGNOS, PH_UTFALL_ACK),
    PROGNOSSAKERHET: (PS_PERIOD, PS_PROGNOS, PS_UTFALL, PS_PROGNOSFEL, PS_ANDEL),
}

# Optional columns: read when present, never required.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    DRIFT: (DRIFT_FOREG_PROGNOS, DRIFT_KOMMENTAR, DRIFT_NYCKEL, DRIFT_SUMMERAS_EJ)
    + MONTHLY_COLUMNS,
}

# Columns the program writes (all others are inputs and are never written).
COMPUTED_COLUMNS: dict[str, tuple[str, ...]] = {
    # plus Budget, Prognos and Föregående prognos on total rows
    DRIFT: (DRIFT_AVVIKELSE,) + MONTHLY_COLUMNS + (DRIFT_KONTROLLSUMMA,),
    ATGARDER: (ATG_HELARSEFFEKT, ATG_EFFEKT_I_AR, ATG_ANDEL, ATG_KONTROLLSUMMA),
    KONTROLL: (KTL_NIVA, KTL_BLAD, KTL_CELL, KTL_MEDDELANDE),
    RAPPORT: (RAP_TEXT,),
}

# Input columns the program computes on a table's total rows (a Drift row that others sum
# into): typed on leaf rows, sums on totals.
TOTAL_COLUMNS: dict[str, tuple[str, ...]] = {
    DRIFT: (DRIFT_BUDGET, DRIFT_PROGNOS, DRIFT_FOREG_PROGNOS),
}

# Tables the program fills from scratch on every run (they grow and shrink).
OUTPUT_TABLES = (KONTROLL, RAPPORT, PROGNOSSAKERHET)

# --- Defined names (workbook scope, each pointing at one cell). ----------------------
NAMND = "Namnd"  # the committee's name, for headings (optional)
AR = "Ar"
PERIOD = "Period"
ENHET = "Enhet"
TECKENKONVENTION = "Teckenkonvention"
KOMMUNBIDRAG_RAD = "Kommunbidrag_Rad"
BUFFERT_ANDEL = "Buffert_Andel"
BUFFERT_INTECKNAT = "Buffert_Intecknat"
STRUKTURELLT_UNDERSKOTT = "Strukturellt_Underskott"
PO_PALAGG = "PO_Palagg"
RAPPORT_WORD = "Rapport_Word"  # Ja: the Beräkna button also writes the Word report
KNAPPEN = "Knappen"  # what the Beräkna button does: Beräkna, or Ny period (once)
RADTYP = "Radtyp"  # what the root's parts are called in the report: kontogrupp, verksamhet …
HANDLINGSPLAN_KOMMENTAR = "Handlingsplan_Kommentar"  # a caveat the report repeats

# Ledger import settings (read by import only).
SIE_DIM_ANSVAR = "SIE_Dim_Ansvar"  # the SIE dimension number that holds ansvar
SIE_DIM_VERKSAMHET = "SIE_Dim_Verksamhet"  # … and verksamhet (empty: none)
IMPORT_KONTON = "Import_Konton"  # which accounts are imported: a code list
# The monthly cycle's settings.
PERIODISERING = "Periodisering"  # the default periodisation key
PROGNOSMETOD = "Prognosmetod"  # how Prognosförslag is made
PROGNOS_VARNINGSGRANS = "Prognos_Varningsgrans"  # share of a row's budget

INPUT_NAMES = (NAMND, AR, PERIOD, ENHET, TECKENKONVENTION, KOMMUNBIDRAG_RAD, BUFFERT_ANDEL,
               BUFFERT_INTECKNAT, STRUKTURELLT_UNDERSKOTT, PO_PALAGG, RAPPORT_WORD, KNAPPEN,
               RADTYP,
               HANDLINGSPLAN_KOMMENTAR, SIE_DIM_ANSVAR, SIE_DIM_VERKSAMHET, IMPORT_KONTON,
               PERIODISERING, PROGNOSMETOD, PROGNOS_VARNINGSGRANS)

BUFFERT_BELOPP = "Buffert_Belopp"
BUFFERT_KVAR = "Buffert_Kvar"
BUFFERT_TACKNING = "Buffert_Tackning"
STRUKTURELLT_BELOPP = "Strukturellt_Belopp"
STRUKTURELLT_ANDEL = "Strukturellt_Andel"
ATGARDER_HELARSEFFEKT = "Atgarder_Helarseffekt"
ATGARDER_EFFEKT_I_AR = "Atgarder_EffektIAr"
ATGARDER_TACKNING = "Atgarder_Tackning"
ATGARDER_KVAR = "Atgarder_Kvar"
BALANS_AR = "Balans_Ar"
KONTROLL_STATUS = "Kontroll_Status"
RIKTPUNKT = "Riktpunkt"  # Period/12: the share of the year that has passed

# Written by import: the files read (name and SHA-256, 12 hex digits), the total of the
# imported result accounts for the year, and the unmapped part of it.
IMPORT_FILER = "Import_Filer"
IMPORT_SUMMA = "Import_Summa"
IMPORT_OMAPPAT = "Import_Omappat"

OUTPUT_NAMES = (BUFFERT_BELOPP, BUFFERT_KVAR, BUFFERT_TACKNING, STRUKTURELLT_BELOPP,
                STRUKTURELLT_ANDEL, ATGARDER_HELARSEFFEKT, ATGARDER_EFFEKT_I_AR,
                ATGARDER_TACKNING, ATGARDER_KVAR, BALANS_AR, KONTROLL_STATUS, RIKTPUNKT)
IMPORT_OUTPUT_NAMES = (IMPORT_FILER, IMPORT_SUMMA, IMPORT_OMAPPAT)

# --- Choices and defaults. --------------------------------------------------------------
ENHETER = ("kr", "tkr", "mnkr")
KOSTNADER_NEGATIVA = "Kostnader negativa"
KOSTNADER_POSITIVA = "Kostnader positiva"
TECKENKONVENTIONER = (KOSTNADER_NEGATIVA, KOSTNADER_POSITIVA)
JA, NEJ = "Ja", "Nej"
# Knappen: the button computes, or rolls the open workbook forward to the next period
# (as followup-xl ny-period) and sets Knappen back to Beräkna.
BERAKNA, NY_PERIOD = "Beräkna", "Ny period"
KNAPPVAL = (BERAKNA, NY_PERIOD)
# Periodisation keys (besides the named ones of Periodiseringsnycklar) and forecast methods.
LIKA_PER_MANAD = "Lika per månad"
KALENDERDAGAR = "Kalenderdagar"
FOREGAENDE_ARS_UTFALL = "Föregående års utfall"
FIXED_KEYS = (LIKA_PER_MANAD, KALENDERDAGAR, FOREGAENDE_ARS_UTFALL)
UTFALL_PLUS_BUDGET = "Utfall + återstående budget"
LINJAR = "Linjär"
BUDGETPROFIL = "Budgetprofil"
FOREGAENDE_ARS_PROFIL = "Föregående års profil"
PROGNOSMETODER = (UTFALL_PLUS_BUDGET, LINJAR, BUDGETPROFIL, FOREGAENDE_ARS_PROFIL)
# Radtyp: the kinds of rows a Drift tree is made of, singular -> plural.
RADTYPER = {"kontogrupp": "kontogrupper", "verksamhet": "verksamheter",
            "avdelning": "avdelningar", "enhet": "enheter", "område": "områden",
            "ansvar": "ansvar"}

DEFAULTS = {
    ENHET: "tkr",
    TECKENKONVENTION: KOSTNADER_NEGATIVA,
    KOMMUNBIDRAG_RAD: "Kommunbidrag",
    RAPPORT_WORD: NEJ,
    KNAPPEN: BERAKNA,
    RADTYP: "kontogrupp",
    SIE_DIM_ANSVAR: 1,
    IMPORT_KONTON: "3-8",
    PERIODISERING: LIKA_PER_MANAD,
    PROGNOSMETOD: UTFALL_PLUS_BUDGET,
    PROGNOS_VARNINGSGRANS: 0.1,
}

EJ_I_BALANS = "Ej i balans"
