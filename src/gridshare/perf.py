"""Process-wide performance settings that the command line and the benchmarks opt into."""

from __future__ import annotations

import numpy as np


def prefer_small_pages() -> bool:
    """Stop numpy asking the kernel for transparent huge pages on large arrays.

    On kernels whose THP ``defrag`` setting is ``madvise``, every large allocation that numpy
    marks with ``MADV_HUGEPAGE`` makes the kernel compact memory synchronously: measured here,
    allocating and filling two 1,000 x 8,784 float arrays took 0.89 s with the hint and 0.16 s
    without. Library code never calls this behind a user's back; the CLI and the benchmarks do.

    Returns
    -------
    bool
        Whether the setting could be changed (it is a private numpy switch).
    """
    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None),
                     "_set_madvise_hugepage", None)
    if setter is None:  # pragma: no cover - numpy without the switch
        return False
    setter(False)
    return True
