"""Ledgers to the workbook: one reader per format (SIE, CSV, XLSX) behind one protocol,
all producing the same plain records (:mod:`records`) that one aggregation step
(:mod:`aggregate`) maps to Drift rows and months."""
