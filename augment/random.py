"""Counter-based seeding.

The generator for operator ``k`` of a pipeline, applied to sample ``index`` in ``epoch``, is::

    numpy.random.Generator(PCG64(SeedSequence(seed, spawn_key=(epoch, index, k))))

so a seeded run gives the same parameters for a sample whatever order, worker count or process
it runs in, and one operator's draws do not shift when another operator is added or removed.
An unseeded call (``seed=None``) takes fresh entropy from the operating system, so forked workers
never repeat each other. No global random state is read or written.

Building a generator costs ~20 us; :class:`LazyRng` defers it until an operator actually draws,
so operators with fixed parameters (``Flip(flip_p=1)``, ``Padding``) pay nothing.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = ["rng", "LazyRng", "check_seed", "fresh_seed"]


def check_seed(seed: Any, where: str = "seed") -> int | None:
    """``seed`` as a non-negative int (or None), else :class:`ConfigError`."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"{where} must be a non-negative integer or None (got {seed!r})")
    return int(seed)


def fresh_seed() -> int:
    """128 bits of OS entropy, as an int usable as a seed."""
    return int(np.random.SeedSequence().entropy)


def rng(seed: int | None, epoch: int = 0, index: int = 0, stream: int = 0) -> np.random.Generator:
    """The generator for (seed, epoch, index, stream); ``seed=None`` draws fresh OS entropy."""
    if seed is None:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence()))
    ss = np.random.SeedSequence(seed, spawn_key=(epoch, index, stream))
    return np.random.Generator(np.random.PCG64(ss))


class LazyRng:
    """Stands in for a :class:`numpy.random.Generator` and builds it on first use."""

    __slots__ = ("_key", "_gen")

    def __init__(self, seed: int | None, epoch: int = 0, index: int = 0, stream: int = 0):
        self._key = (seed, epoch, index, stream)
        self._gen: np.random.Generator | None = None

    @property
    def generator(self) -> np.random.Generator:
        gen = self._gen
        if gen is None:
            gen = self._gen = rng(*self._key)
        return gen

    @property
    def used(self) -> bool:
        return self._gen is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generator, name)
