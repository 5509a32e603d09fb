"""Shared test set-up: helpers beside the tests on the path, and the fixture that opens
workbook files as xlwings Books of xlwings' remote engine."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline anywhere: a property test proves what is computed, never how
# fast (speed is the benchmarks' business), and a slow CI machine must not fail it.
settings.register_profile("followup", deadline=None)
settings.load_profile("followup")

# Test helpers (seed.py, workbooks.py, remote_payload.py) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def remote():
    """Open workbook files as remote xlwings Books (skips without the licence key)."""
    import xlwings as xw

    from remote_payload import payload_from_file

    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        pytest.skip("xlwings' remote engine (xlwings PRO, PolyForm Noncommercial) needs "
                    "XLWINGS_LICENSE_KEY=noncommercial in the environment; run-tests sets it")
    if "remote" not in [e.name for e in xw.engines]:
        pytest.skip("XLWINGS_LICENSE_KEY is set but xlwings did not enable its remote "
                    "engine (was the key set after xlwings was imported?)")
    opened = []

    def open_book(path=None, *, payload=None, **kwargs):
        """A Book of the file at ``path``, or of a ``payload`` a test has edited."""
        book = xw.Book(json=payload if payload is not None else payload_from_file(path, **kwargs))
        opened.append(book)
        return book

    yield open_book
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller
    for book in opened:
        try:
            book.close()
        except Exception:
            pass
