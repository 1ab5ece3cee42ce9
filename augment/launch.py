"""The first code of the ``augment`` executable and of ``python -m augment``.

The command runs its work in single-threaded worker processes, so a numerical library's own thread
pool only costs: numpy's OpenBLAS starts one thread per extra core when numpy is imported, and
they spin while the command imports the rest (measured on 2 cores: 0.75 -> 0.52 s of CPU and
0.57 -> 0.54 s of wall for a 1-image run; more cores, more spinning threads; see
benchmarks/RESULTS-batch.md). The variables must be set before numpy is imported, which is why
this module is separate from :mod:`augment.cli` and imports nothing heavy (``import augment``
loads the package's names lazily). A value the user has set is kept.
"""

from __future__ import annotations

import os

__all__ = ["entry", "SINGLE_THREAD_VARIABLES"]

SINGLE_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def entry() -> int:
    """Set the thread variables (unless set), then run :func:`augment.cli.main` as the owner of
    this process."""
    for name in SINGLE_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    from .cli import main

    return main(owns_process=True)
