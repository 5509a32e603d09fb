"""The limits on what reading a package may cost (documented in docs/limits.md).

A workbook is a zip: a few kilobytes can claim to unpack into gigabytes. Every part is
checked against these numbers from the zip directory before anything is decompressed, and
its decompression is bounded by them as it runs.
"""

from __future__ import annotations

MiB = 1024 * 1024

# One part, unpacked. Excel's own limits (1 048 576 rows) put a full sheet well below this.
MAX_PART_SIZE = 200 * MiB
# All parts of the package together, unpacked (as the zip directory declares them).
MAX_PACKAGE_SIZE = 1024 * MiB
# Unpacked size / packed size above which a part counts as a zip bomb, for parts larger
# than RATIO_GRACE (small parts of repetitive XML compress very well and cost nothing).
MAX_RATIO = 100
RATIO_GRACE = 10 * MiB
# Zip entries in one package (the zip format's own limit without ZIP64).
MAX_ENTRIES = 0xFFFF
