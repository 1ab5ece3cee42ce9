"""Drawing helpers shared by the operators' ``sample`` hooks.

Each takes the operator's random stream (a :class:`augment.random.LazyRng` or a numpy Generator)
and draws nothing when the range is a single value, so operators with fixed parameters never set
up a generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["uniform", "randint", "draw_seed", "chance"]


def uniform(rng: Any, lo: float, hi: float) -> float:
    """One draw from U(lo, hi) (a reversed range samples the same interval); no draw when lo == hi."""
    if lo == hi:
        return lo
    return lo + (hi - lo) * float(rng.random())


def randint(rng: Any, lo: int, hi: int) -> int:
    """One draw from the integers lo..hi (inclusive); no draw when lo == hi."""
    return lo if lo == hi else int(rng.integers(lo, hi + 1))


def draw_seed(rng: Any) -> int:
    """A 63-bit seed for a kernel's own generator (per-pixel noise fields)."""
    return int(rng.integers(0, 2**63, dtype=np.int64))


def chance(rng: Any, p: float) -> bool:
    """True with probability ``p``: exactly True at 1 and False at 0, without a draw."""
    return p >= 1.0 or (p > 0.0 and float(rng.random()) < p)
