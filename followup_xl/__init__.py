"""followup_xl: monthly follow-up (månadsuppföljning) for Swedish municipal committees.

The package is layered:

* ``swedish``, ``model``, ``engine`` -- the domain core: plain Python, Decimal money,
  immutable data in, results and messages out. Knows nothing of Excel.
* ``contract`` -- the workbook contract: names of the Excel Tables and defined names.
* ``reader``, ``writeback``, ``xlsxpatch``, ``safefile`` -- adapters between workbook
  files and the core.
* ``cli`` (and later the Excel button and UDFs) -- front doors that only marshal.
"""

__version__ = "0.1.0"
