"""A small library for the xlsx package (the zip of XML parts an Excel workbook is):
writing cell values without losing a byte of anything else, and replacing files safely.
Knows nothing of follow-ups."""
