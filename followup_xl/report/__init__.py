"""The report to the nämnd: the wording drafted from the engine's result (plain data),
its charts, and its Word layout."""
