"""What a user can ask for -- compute a workbook, write the report -- each wiring the
layers together once, for every front door to call."""
