"""Memory allocator settings for very large runs.

At a million firms one array of sales by destination and category holds 128 MB. glibc's
``malloc`` serves blocks that large with a fresh ``mmap`` and returns them to the system
when freed, so every such temporary is page-faulted and zeroed again, year after year: at
1,000,000 firms this took about a quarter of the run's time, as system time. Serving them
from the heap and keeping freed memory there (``mallopt``) removes that cost at the same
peak memory. Only the process that runs the model is tuned, and only for large runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: Firms from which a run tunes the allocator (smaller runs' arrays stay below glibc's
#: mmap threshold, 32 MB at most, or are too few to matter).
LARGE_RUN_FIRMS = 100_000

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_MAX = -4
_KEEP = 2**31 - 1  # bytes of free heap kept instead of being returned to the system


def tune_for_large_runs(n_firms: int) -> bool:
    """For ``n_firms`` at or above :data:`LARGE_RUN_FIRMS`, make glibc serve large blocks
    from the heap and keep freed memory for reuse; return whether it did (False on other
    C libraries, or for smaller runs)."""
    if n_firms < LARGE_RUN_FIRMS:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl...)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    kept = mallopt(_M_TRIM_THRESHOLD, _KEEP) == 1
    return bool(mallopt(_M_MMAP_MAX, 0) == 1 and kept)
