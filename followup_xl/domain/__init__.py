"""The domain core: the follow-up as immutable data, the engine that computes it with
exact Decimal arithmetic, and Swedish numbers in and out. Imports nothing of Excel and
touches no file."""
