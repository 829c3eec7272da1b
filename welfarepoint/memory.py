"""A long-lived worker's memory: glibc's allocator asked to give back what the worker frees.

glibc serves an allocation larger than its mmap threshold (128 KB at start) with a mapping of its own, returned
to the system when freed; but each such free raises the threshold (up to 32 MB), after which blocks of that size
come from the heap and stay with the process when freed. A worker's searches make and free NumPy arrays of a
few hundred kilobytes, its pages large strings, its questionnaire a few thousand rows: measured on 10,000
listings (``tools/bench.py``'s logs in one process), the process kept 231 MB where, with the threshold fixed,
it kept 157 MB, with the same speed. Fixing the threshold (``mallopt``) switches that adjustment off; trimming
the heap's free top past the same size returns the rest.

``MALLOC_MMAP_THRESHOLD`` in the configuration (bytes; 0 leaves glibc as it is). Elsewhere than glibc this
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_allocations_returnable(threshold: int) -> bool:
    """Fix glibc's mmap and trim thresholds at ``threshold`` bytes; whether glibc took them."""
    if threshold <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    taken = mallopt(M_MMAP_THRESHOLD, threshold) == 1 and mallopt(M_TRIM_THRESHOLD, threshold) == 1
    if not taken:
        log.info("the C allocator does not take mallopt thresholds; memory tuning skipped")
    return taken
