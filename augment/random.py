"""Counter-based random numbers.

The random stream of operator ``k`` of a pipeline, applied to sample ``index`` in ``epoch``, is
the Philox-4x64 counter-based generator (Salmon et al., "Parallel random numbers: as easy as
1, 2, 3", SC 2011) with::

    key     = SeedSequence(seed).generate_state(2, uint64)     # 128 bits, from the seed
    counter = [0, k, index, epoch]                              # the stream's coordinates

Inside a container (:mod:`augment.core.compose`) an operator's stream is named by its position in
the tree: the first counter word, 0 for the pipeline's own operators, holds the path below
position ``k`` (child ``c`` at depth ``d`` adds ``(c + 1) << 15 d``; up to 4 levels of nesting
and 32,766 children each) and, in its top two bits, the stream's purpose: 0 the operator's own
draws, 1 its probability ``p`` (:data:`GATE`), 2 a container's choices (:data:`CHOICES`). A
seeded sample is therefore the same in any process or worker count, and adding a branch does not
change the draws of the operators outside it.

The decisions (a probability's coin, a container's choice: one or a few numbers) are drawn by
:class:`Decisions` from BLAKE2b keyed by the same 128-bit key over the same four counter words and
a draw number (a keyed pseudo-random function): setting up a Philox Generator for one number costs
4-15 us (more when its code is cold, as it is between two operators), a draw ~1 us. It is
counter-based like the streams: the same seed, position and sample give the same decision anywhere.

Philox is a keyed bijection of its counter, so every ``(epoch, index, k)`` names its own stream
(a stream would reach the next one only after 2**64 blocks of draws). A seeded run therefore
gives the same parameters for a sample whatever order, worker count or process it runs in, and
one operator's draws do not shift when another operator is added or removed. An unseeded call
(``seed=None``) uses a fresh 128-bit key from the operating system, so forked workers never
repeat each other. No global random state is read or written.

Building a numpy Generator costs 13-20 us; :class:`LazyRng` instead sets the state of one
Generator per thread (~1 us, from Python ints), and only when the operator draws (operators with
fixed parameters pay nothing). :func:`rng` returns an independent Generator on the same stream.
"""

from __future__ import annotations

import hashlib
import numbers
import os
import struct
import threading
import weakref
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = ["rng", "LazyRng", "Decisions", "check_seed", "fresh_seed", "GATE", "CHOICES"]

_MAX = 2**64

#: purposes of a stream (the top two bits of the first counter word)
GATE = 1 << 62
CHOICES = 2 << 62
_LEVEL_BITS = 15
_MAX_DEPTH = 60 // _LEVEL_BITS
_MAX_CHILD = (1 << _LEVEL_BITS) - 2


def check_seed(seed: Any, where: str = "seed") -> int | None:
    """``seed`` as a non-negative int (or None), else :class:`ConfigError`."""
    if seed is None:
        return None
    if type(seed) is int and seed >= 0:  # the common case, without the ABC check
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"{where} must be a non-negative integer or None (got {seed!r})")
    return int(seed)


def fresh_seed() -> int:
    """128 bits of OS entropy, as an int usable as a seed."""
    return int.from_bytes(os.urandom(16), "little")


@lru_cache(maxsize=256)
def _seed_key(seed: int) -> np.ndarray:
    key = np.random.SeedSequence(seed).generate_state(2, np.uint64)
    key.setflags(write=False)
    return key


def _key(seed: int | None) -> np.ndarray:
    if seed is None:
        return np.frombuffer(os.urandom(16), np.uint64).copy()
    return _seed_key(seed)


def _counter(epoch: int, index: int, stream: int, branch: int = 0) -> np.ndarray:
    for name, v in (("epoch", epoch), ("index", index), ("stream", stream), ("branch", branch)):
        if not 0 <= v < _MAX:
            raise ConfigError(f"{name} must be an integer in [0, 2**64) (got {v!r})")
    return np.array([branch, stream, index, epoch], np.uint64)


def rng(seed: int | None, epoch: int = 0, index: int = 0, stream: int = 0, branch: int = 0) -> np.random.Generator:
    """An independent Generator on the stream of (seed, epoch, index, stream, branch) (``branch``:
    the first counter word, see the module docstring)."""
    return np.random.Generator(np.random.Philox(counter=_counter(epoch, index, stream, branch), key=_key(seed)))


@lru_cache(maxsize=256)
def _seed_key_ints(seed: int) -> tuple[int, int]:
    k0, k1 = _seed_key(seed).tolist()
    return k0, k1


def _key_ints(seed: int | None) -> tuple[int, int]:
    """:func:`_key` as two Python ints (the state setter reads Python ints ~2x faster than numpy ones)."""
    if seed is None:
        raw = os.urandom(16)
        return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")
    return _seed_key_ints(seed)


_COUNTER = struct.Struct("<4Q")  # the counter's four words
_SCALE = 1.0 / (1 << 53)


def _keyed(key: bytes) -> Any:
    return hashlib.blake2b(key=key, digest_size=8)


@lru_cache(maxsize=256)
def _seed_hasher(seed: int) -> Any:
    k0, k1 = _seed_key_ints(seed)
    return _keyed(k0.to_bytes(8, "little") + k1.to_bytes(8, "little"))


_FIRST = struct.Struct("<5Q")  # the counter's four words and draw number 0


def first_decision(seed: int | None, epoch: int, index: int, stream: int, branch: int) -> float:
    """``Decisions(seed, epoch, index, stream, branch).random()``: the first draw at that counter,
    without building the object (a probability's coin)."""
    if seed is None:
        return float(Decisions(None, epoch, index, stream, branch).random())
    h = _seed_hasher(seed).copy()
    h.update(_FIRST.pack(branch, stream, index, epoch, 0))
    return (int.from_bytes(h.digest(), "little") >> 11) * _SCALE


_DRAW = tuple(j.to_bytes(8, "little") for j in range(16))  # the first draw numbers' bytes
_from_bytes = int.from_bytes


class Decisions:
    """Uniform draws in [0, 1) at one counter (seed key, branch, stream, index, epoch): draw ``j``
    is the top 53 bits of BLAKE2b keyed by the seed's 128-bit key over the four counter words and
    ``j`` (see the module docstring). ``random()`` gives a float, ``random(k)`` a list."""

    __slots__ = ("_hasher", "_counter", "_drawn")

    def __init__(self, seed: int | None, epoch: int, index: int, stream: int, branch: int):
        self._hasher = _seed_hasher(seed) if seed is not None else _keyed(os.urandom(16))
        self._counter = _COUNTER.pack(branch, stream, index, epoch)
        self._drawn = 0

    def _next(self) -> float:
        h = self._hasher.copy()
        j = self._drawn
        h.update(self._counter + (_DRAW[j] if j < 16 else j.to_bytes(8, "little")))
        self._drawn = j + 1
        return (_from_bytes(h.digest(), "little") >> 11) * _SCALE

    def random(self, size: int | None = None) -> Any:
        if size is None:
            return self._next()
        return [self._next() for _ in range(size)]


class _Shared(threading.local):
    """One Generator per thread, lent to one LazyRng at a time, with a reusable state record."""

    def __init__(self) -> None:
        self.gen = np.random.Generator(np.random.Philox(0))
        self.bit = self.gen.bit_generator
        self.owner: weakref.ref | None = None
        self.inner: dict[str, Any] = {"counter": [0, 0, 0, 0], "key": (0, 0)}
        self.state = {
            "bit_generator": "Philox",
            "state": self.inner,
            "buffer": (0, 0, 0, 0),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }


_SHARED = _Shared()


class LazyRng:
    """Stands in for a :class:`numpy.random.Generator` on the stream of (seed, epoch, index,
    stream) and only sets it up when something is drawn.

    It borrows the thread's shared Generator; if another LazyRng borrows it in between, the
    position of this stream is saved and restored, so interleaved use stays correct.
    ``random``, ``uniform``, ``integers`` and ``normal`` are forwarded directly; any other
    Generator method through attribute lookup.
    """

    __slots__ = ("_seed", "_counter", "_branch", "_depth", "_saved", "_used", "__weakref__")

    def __init__(self, seed: int | None, epoch: int = 0, index: int = 0, stream: int = 0, branch: int = 0):
        if not (0 <= epoch < _MAX and 0 <= index < _MAX and 0 <= stream < _MAX and 0 <= branch < _MAX):
            _counter(epoch, index, stream, branch)  # raises, naming the coordinate out of range
        self._seed = seed
        self._counter = (epoch, index, stream)
        self._branch = branch
        self._depth = 0
        self._saved: dict | None = None
        self._used = False

    # ----------------------------------------------------------------- streams named by tree position
    @staticmethod
    def at(seed: int | None, counter: tuple[int, int, int], branch: int, depth: int) -> LazyRng:
        """The stream at ``counter`` = (epoch, index, stream), already checked by the caller, and
        the first counter word ``branch`` of a tree position ``depth`` levels deep (what
        :meth:`child` would give, without building the intermediate streams)."""
        out = LazyRng.__new__(LazyRng)
        out._seed = seed
        out._counter = counter
        out._branch = branch
        out._depth = depth
        out._saved = None
        out._used = False
        return out

    def _derived(self, branch: int, depth: int) -> LazyRng:
        out = LazyRng.__new__(LazyRng)  # the coordinates are this stream's, already checked
        out._seed = self._seed
        out._counter = self._counter
        out._branch = branch
        out._depth = depth
        out._saved = None
        out._used = False
        return out

    def child(self, i: int) -> LazyRng:
        """The own stream of child ``i`` of the container whose own stream this is."""
        if not 0 <= i <= _MAX_CHILD:
            raise ConfigError(f"a container holds at most {_MAX_CHILD + 1} operators (child {i})")
        if self._depth >= _MAX_DEPTH:
            raise ConfigError(f"containers nest at most {_MAX_DEPTH} levels deep inside a pipeline")
        path = self._branch & (GATE - 1)  # the path bits, without the purpose
        return self._derived(path | ((i + 1) << (_LEVEL_BITS * self._depth)), self._depth + 1)

    def purpose(self, bits: int) -> LazyRng:
        """The stream of this position for another purpose (:data:`GATE`, :data:`CHOICES`)."""
        return self._derived((self._branch & (GATE - 1)) | bits, self._depth)

    def decisions(self, bits: int) -> Decisions:
        """The decisions of this position for ``bits`` (:data:`GATE`, :data:`CHOICES`)."""
        epoch, index, stream = self._counter
        return Decisions(self._seed, epoch, index, stream, (self._branch & (GATE - 1)) | bits)

    @property
    def generator(self) -> np.random.Generator:
        shared = _SHARED
        ref = shared.owner
        if ref is None or ref() is not self:
            self._borrow(shared, ref)
        return shared.gen

    def _borrow(self, shared: _Shared, ref: weakref.ref | None) -> None:
        bit = shared.bit
        owner = ref() if ref is not None else None
        if owner is not None:
            owner._saved = bit.state  # keep the displaced stream's position
        if self._saved is not None:
            bit.state = self._saved
        else:  # the stream's start: fill the reusable record (the setter copies it)
            epoch, index, stream = self._counter
            inner = shared.inner
            inner["counter"] = [self._branch, stream, index, epoch]
            inner["key"] = _key_ints(self._seed)
            bit.state = shared.state
        shared.owner = weakref.ref(self)
        self._used = True

    @property
    def used(self) -> bool:
        return self._used

    # the methods the operators draw with, without the cost of a failed attribute lookup
    def random(self, *args: Any, **kwargs: Any) -> Any:
        return self.generator.random(*args, **kwargs)

    def uniform(self, *args: Any, **kwargs: Any) -> Any:
        return self.generator.uniform(*args, **kwargs)

    def integers(self, *args: Any, **kwargs: Any) -> Any:
        return self.generator.integers(*args, **kwargs)

    def normal(self, *args: Any, **kwargs: Any) -> Any:
        return self.generator.normal(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generator, name)
