"""The front doors, which only marshal: the command line, the Excel button (and add-in)
and the FU_* cell functions."""
