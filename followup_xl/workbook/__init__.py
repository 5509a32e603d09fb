"""Adapters between the workbook contract (Excel Tables and defined names) and the
domain: read a workbook's inputs into the model, and plan which cells the results go to."""
