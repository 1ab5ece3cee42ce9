"""Containers: operators made of operators, usable anywhere an operator is (nesting allowed).

``Sequential(ops, random_order=False)``
    every operator of ``ops``, in order (or in a random order);
``OneOf(ops, weights=None)``
    one operator of ``ops``, chosen with the given weights (equal when None);
``SomeOf(ops, n=(lo, hi), random_order=False)``
    ``k`` distinct operators of ``ops`` with ``k`` drawn from the integers lo..hi (``n=k``: exactly
    ``k``; ``hi=None``: up to all), applied in list order (or in a random order);
``Sometimes(p, then, else_=None)``
    ``then`` with probability ``p``, else ``else_`` (or nothing).

Each is an immutable, validated value like the operators, and has the operators' ``p`` too (the
probability that the container runs at all; Sometimes' ``p`` is its branch probability instead).
In a config a container is ``{"name": "OneOf", "weights": [...], "ops": [...]}`` (``"then"`` and
``"else_"`` for Sometimes), accepted by :meth:`Pipeline.from_config` and
:func:`~augment.core.registry.operator_from_dict`; ``to_dict`` writes it back (round trip tested).

**Seeding.** An operator's random stream is named by its position in the tree
(:mod:`augment.random`): child ``i`` of the container at pipeline position ``k`` draws from the
stream of path ``(k, i)``, its child ``j`` from ``(k, i, j)``; a container draws its choices from
its own choice stream, and every probability ``p`` from its position's gate stream (both
:class:`augment.random.Decisions`: a keyed hash of the counter, ~1 us a decision). So a seeded
sample is the same in any process and worker count, and adding a branch does not change the draws
of the operators outside it. A choice takes as few draws as it can: OneOf and Sometimes one;
SomeOf one for ``k`` when it is a range, then one that picks among all the ``k``-subsets (or, in
random order, the ordered picks) while there are at most 4,096 of them holding at most 16,384
indices, else one per pick; a shuffled Sequential one while its orders are that few (up to 6
operators), else one per position.

**Replay.** A container records :class:`Branches`: the indices of the children that ran, in the
order they ran, and each one's params (:data:`~augment.core.base.SKIPPED` for a child its ``p``
skipped, a nested :class:`Branches` for a container). ``params=`` replays them exactly.

**Running.** A container first decides (choices and probabilities, no pixels touched), which gives
the flat list of operators that run on this image; they then run in turn as in a pipeline: after
each, its boxes go through its box policy (its own ``box_policy``, else the nearest container's
that sets one, else the pipeline's, else the operator's default), and consecutive lookup-table
operators on a uint8 image are applied as one fused table, whichever container chose them. A
dropped image stops there; the reason names the operator and its path in the tree:
``Rotate: box 0 left the image (...) (at ops[2].ops[1]: OneOf > Rotate)``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, cast

import numpy as np

from ..errors import ConfigError
from ..kernels.color import apply_lut, fuse_tables
from ..random import _LEVEL_BITS, _MAX_CHILD, _MAX_DEPTH, CHOICES, GATE, Decisions, LazyRng, first_decision
from ..structures import Sample
from . import validate as V
from .base import SKIPPED, Operator, Outcome, Params
from .lut import LutOperator
from .policy import BoxPolicy
from .registry import COMPOSITES, operator_from_dict

__all__ = ["Container", "Sequential", "OneOf", "SomeOf", "Sometimes", "Branches", "leaves", "CONTAINERS"]


@dataclass(frozen=True, slots=True)
class Branches(Params):
    """What a container did on one image: ``ran``, the indices of the children that ran (in the
    order they ran; Sometimes: 0 for ``then``, 1 for ``else_``), and ``params``, each one's params."""

    ran: tuple[int, ...]
    params: tuple[Any, ...]


# --------------------------------------------------------------------------- the flat plan
class _Step:
    """One operator that runs on this image: its stream, given params (replay), box policy and
    place in the tree; ``params`` holds what it drew once it ran."""

    __slots__ = ("op", "rng", "given", "policy", "where", "params")

    def __init__(self, op: Operator, rng: Any, given: Any, policy: BoxPolicy, where: tuple[tuple[str, str], ...]):
        self.op, self.rng, self.given, self.policy, self.where = op, rng, given, policy, where
        self.params: Any = None


class _Node:
    """A container's record while its children run: :class:`Branches` once they have."""

    __slots__ = ("ran", "records")

    def __init__(self, ran: tuple[int, ...], records: list[Any]):
        self.ran, self.records = ran, records


_new = object.__new__
_set_ran = cast(Any, Branches.__dict__["ran"]).__set__  # the slots, set as Branches.__init__ sets them
_set_params = cast(Any, Branches.__dict__["params"]).__set__


def _record(rec: Any) -> Any:
    kind = type(rec)
    if kind is _Step:
        return rec.params
    if kind is _Node:
        out = _new(Branches)  # Branches(ran, params) at half the cost (the frozen __init__'s setattr)
        _set_ran(out, rec.ran)
        _set_params(out, tuple([r.params if type(r) is _Step else _record(r) for r in rec.records]))
        return out
    return rec  # SKIPPED


def plan(
    op: Operator,
    rng: Any,
    given: Any,
    inherited: BoxPolicy | None,
    where: tuple[tuple[str, str], ...],
    steps: list[_Step],
) -> Any:
    """Decide what ``op`` (an operator or a container) does on this image: append the operators
    that run to ``steps`` and return its record (resolved by :func:`_record` once they ran)."""
    if given is None:
        if op.run_p < 1.0 and op.skips(rng, None):
            return SKIPPED
    elif given is SKIPPED:
        return SKIPPED
    if isinstance(op, Container):
        return op._plan(rng, given, inherited, where, steps)
    step = _Step(op, rng, given, op.policy(inherited), where)
    steps.append(step)
    return step


class _Tree:
    """One position of a pipeline's tree, resolved once when the pipeline is built (the operators
    are immutable values): the operator, its probability, its box policy (a container's: the one
    its children inherit), its place names, its stream's first counter word and depth, and for a
    container its children's positions and, when no draw decides them, the children that run. The
    per-image plan (:func:`plan_tree`) then only draws and records: what :func:`plan` does,
    without rebuilding the streams, policies and names at every call."""

    __slots__ = ("op", "run_p", "policy", "where", "stream", "branch", "depth", "kids", "fixed", "single")

    op: Operator
    run_p: float
    policy: Any
    where: tuple[tuple[str, str], ...]
    stream: int
    branch: int
    depth: int
    kids: tuple[_Tree, ...] | None
    fixed: tuple[int, ...] | None
    single: bool


def compile_tree(
    op: Operator,
    stream: int,
    inherited: BoxPolicy | None,
    where: tuple[tuple[str, str], ...],
    branch: int = 0,
    depth: int = 0,
) -> _Tree | None:
    """The :class:`_Tree` of pipeline position ``stream`` holding ``op``, or None when ``op`` (or
    something inside it) is planned some other way: a class overriding how it skips or plans, or a
    tree beyond the streams' limits (the generic :func:`plan` then runs, and raises as before)."""
    if type(op).skips is not Operator.skips:
        return None
    node = _Tree()
    node.op, node.run_p, node.where, node.stream, node.branch, node.depth = op, op.run_p, where, stream, branch, depth
    node.kids = node.fixed = None
    node.single = False
    if not isinstance(op, Container):
        node.policy = op.policy(inherited)
        return node
    if type(op)._plan is not Container._plan or depth >= _MAX_DEPTH:
        return None
    own: Any = op.box_policy
    node.policy = own if own is not None else inherited
    kids = []
    for i, (place, child, name) in enumerate(op._kids()):
        if i > _MAX_CHILD:
            return None
        kid = compile_tree(
            child, stream, node.policy, (*where, (place, name)), branch | ((i + 1) << (_LEVEL_BITS * depth)), depth + 1
        )
        if kid is None:
            return None
        kids.append(kid)
    node.kids = tuple(kids)
    node.fixed = op.fixed()
    # one draw through choose_from, unless a subclass chooses its own way (then its choose runs)
    node.single = op.single_draw() and type(op).choose in _BUILTIN_CHOOSE
    return node


def plan_tree(node: _Tree, seed: int | None, epoch: int, index: int, steps: list[_Step]) -> Any:
    """:func:`plan` of a compiled position with no params given (epoch and index already checked):
    the same decisions from the same streams, the same steps and records."""
    p = node.run_p
    if p < 1.0 and not (p > 0.0 and first_decision(seed, epoch, index, node.stream, node.branch | GATE) < p):
        return SKIPPED
    kids = node.kids
    if kids is None:
        rng = LazyRng.at(seed, (epoch, index, node.stream), node.branch, node.depth)
        step = _Step(node.op, rng, None, node.policy, node.where)
        steps.append(step)
        return step
    ran = node.fixed
    if ran is None:
        box = cast(Container, node.op)
        if node.single:  # one draw decides: the choice stream's first, without a Decisions object
            ran = box.choose_from(first_decision(seed, epoch, index, node.stream, node.branch | CHOICES))
        else:
            ran = box.choose(Decisions(seed, epoch, index, node.stream, node.branch | CHOICES))
    records = []
    for i in ran:
        kid = kids[i]
        if kid.kids is None and kid.run_p >= 1.0:  # the common leaf, planned here
            step = _Step(
                kid.op, LazyRng.at(seed, (epoch, index, kid.stream), kid.branch, kid.depth), None, kid.policy, kid.where
            )
            steps.append(step)
            records.append(step)
        else:
            records.append(plan_tree(kid, seed, epoch, index, steps))
    return _Node(ran, records)


def _where_text(reason: str | None, where: tuple[tuple[str, str], ...]) -> str | None:
    if reason is None or len(where) < 2:
        return reason
    path = ".".join(seg for seg, _ in where if seg)
    return f"{reason} (at {path}: {' > '.join(name for _, name in where)})"


def run_steps(sample: Sample, steps: Sequence[_Step]) -> tuple[Sample | None, str | None]:
    """Run the planned operators in turn (tables fused), each followed by its box policy; the
    sample, or None and the reason with the dropping operator's path."""
    k = 0
    n = len(steps)
    while k < n:
        st = steps[k]
        stop = k + 1
        if not isinstance(st.op, LutOperator):  # the common case: one operator, run as below
            outcome = st.op.run(sample, st.rng, st.given if st.given is not None else st.params, st.policy)
            st.params = outcome.params
            if outcome.sample is None:
                return None, _where_text(outcome.dropped, st.where)
            sample = outcome.sample
            k = stop
            continue
        if sample.image.dtype == np.uint8:
            while stop < n and isinstance(steps[stop].op, LutOperator):
                stop += 1
            if stop - k > 1:
                fused = _fused(sample.image, steps[k:stop], sample if len(sample.boxes) else None)
                if fused is not None:
                    sample = sample.with_image(fused)
                    for st in steps[k:stop]:  # tables leave boxes where they are: only the policies
                        outcome = st.op.finish(sample, sample.image, sample.boxes, st.params, st.policy)
                        if outcome.sample is None:
                            return None, _where_text(outcome.dropped, st.where)
                        sample = outcome.sample
                    k = stop
                    continue
        for st in steps[k:stop]:
            p = st.given if st.given is not None else st.params
            outcome = st.op.run(sample, st.rng, p, st.policy)
            st.params = outcome.params
            if outcome.sample is None:
                return None, _where_text(outcome.dropped, st.where)
            sample = outcome.sample
        k = stop
    return sample, None


def run_steps_image(image: np.ndarray, steps: Sequence[_Step]) -> np.ndarray:
    """:func:`run_steps` for a bare image."""
    k = 0
    n = len(steps)
    while k < n:
        stop = k + 1
        if isinstance(steps[k].op, LutOperator) and image.dtype == np.uint8:
            while stop < n and isinstance(steps[stop].op, LutOperator):
                stop += 1
            if stop - k > 1:
                fused = _fused(image, steps[k:stop], None)
                if fused is not None:
                    image = fused
                    k = stop
                    continue
        for st in steps[k:stop]:
            p = st.given if st.given is not None else st.params
            image, st.params = st.op.run_image(image, st.rng, p)
        k = stop
    return image


def _fused(image: np.ndarray, steps: Sequence[_Step], check: Sample | None) -> np.ndarray | None:
    """Draw the params of the table operators ``steps`` (kept in each step) and return the image
    through their fused table, or None when one has no table for this image (the caller then
    applies them in turn with the params drawn)."""
    tables = []
    for st in steps:
        op = cast(LutOperator, st.op)
        meta = op._check_and_describe(image)
        if check is not None and op.do_validation:
            check.validate(op.name)
        st.params = st.given if st.given is not None else op.sample(st.rng, meta)
        tables.append(op.lut(st.params, meta))
    if any(t is None for t in tables):
        return None
    return apply_lut(image, fuse_tables(cast("list[np.ndarray]", tables)))


# --------------------------------------------------------------------------- containers
def _operators(owner: str, name: str, ops: Any) -> tuple[Operator, ...]:
    if isinstance(ops, (Operator, str, bytes, Mapping)) or not isinstance(ops, Iterable):
        raise ConfigError(f"{owner}: {name!r} must be a list of operators (got {type(ops).__name__})")
    out = tuple(ops)
    if not out:
        raise ConfigError(f"{owner}: {name!r} is empty (give at least one operator)")
    for i, op in enumerate(out):
        if not isinstance(op, Operator):
            raise ConfigError(
                f"{owner}: {name}[{i}] is not an operator (got {type(op).__name__}); "
                "build configs with operator_from_dict or Pipeline.from_config"
            )
    return out


@dataclass(frozen=True, kw_only=True)
class Container(Operator):
    """Base of the containers (see the module docstring). ``box_policy`` on a container is the
    policy its children inherit (their own wins); ``do_validation`` is the children's business."""

    dtypes: ClassVar[tuple[type, ...]] = (np.uint8, np.uint16, np.float32)

    def children(self) -> tuple[tuple[str, Operator], ...]:
        """``(place, operator)`` of each child: ``("ops[0]", op)``, ... (Sometimes: ``then``, ``else_``)."""
        ops = cast("tuple[Operator, ...]", getattr(self, "ops"))  # noqa: B009  the subclasses' field
        return tuple((f"ops[{i}]", op) for i, op in enumerate(ops))

    def choose(self, rng: Any) -> tuple[int, ...]:
        """The indices of the children that run on this image, in order, drawn from ``rng`` (the
        container's choice stream)."""
        raise NotImplementedError

    def fixed(self) -> tuple[int, ...] | None:
        """The children that run when that needs no draw (a plain Sequential), else None."""
        return None

    def single_draw(self) -> bool:
        """True when the choice is always one draw ``u`` (then ``choose(rng)`` is
        ``choose_from(rng.random())``, and a compiled plan draws it without a Decisions object)."""
        return False

    def choose_from(self, u: float) -> tuple[int, ...]:
        """The choice made from the one draw ``u`` in [0, 1) (containers with :meth:`single_draw`)."""
        raise NotImplementedError

    def _kids(self) -> tuple[tuple[str, Operator, str], ...]:
        """:meth:`children` with each child's name, computed once (the value is immutable)."""
        kids = self.__dict__.get("_kids_cache")
        if kids is None:
            kids = tuple((place, op, op.name) for place, op in self.children())
            object.__setattr__(self, "_kids_cache", kids)
        return cast("tuple[tuple[str, Operator, str], ...]", kids)

    def _plan(
        self, rng: Any, given: Any, inherited: BoxPolicy | None, where: tuple[tuple[str, str], ...], steps: list[_Step]
    ) -> _Node:
        kids = self.__dict__.get("_kids_cache") or self._kids()
        lazy = type(rng) is LazyRng
        own: Any = self.box_policy  # __post_init__ made it a BoxPolicy or None
        policy = own if own is not None else inherited
        if given is None:  # the common case, kept short
            ran = self.fixed()
            if ran is None:
                ran = self.choose(rng.decisions(CHOICES) if lazy else rng)
            records = []
            for i in ran:
                place, child, name = kids[i]
                records.append(plan(child, rng.child(i) if lazy else rng, None, policy, (*where, (place, name)), steps))
            return _Node(ran, records)
        if not isinstance(given, Branches) or len(given.ran) != len(given.params):
            raise ConfigError(f"{self.name}: params to replay must be the Branches it recorded (got {given!r})")
        if any(not (isinstance(i, int) and 0 <= i < len(kids)) for i in given.ran):
            raise ConfigError(f"{self.name}: replayed branches {given.ran} do not fit {len(kids)} children")
        records = []
        for i, g in zip(given.ran, given.params, strict=True):
            place, child, name = kids[i]
            records.append(plan(child, rng.child(i) if lazy else rng, g, policy, (*where, (place, name)), steps))
        return _Node(given.ran, records)

    # ----------------------------------------------------------------- running
    def run(self, sample: Sample, rng: Any, params: Any = None, policy: BoxPolicy | None = None) -> Outcome:
        """Decide, then run the children that run (``policy``: the one they inherit)."""
        steps: list[_Step] = []
        rec = self._plan(rng, params, policy, (("", self.name),), steps)
        out, dropped = run_steps(sample, steps)
        return Outcome(out, _record(rec), dropped)

    def run_image(self, image: np.ndarray, rng: Any, params: Any = None) -> tuple[np.ndarray, Any]:
        self._check_and_describe(image)
        steps: list[_Step] = []
        rec = self._plan(rng, params, None, (("", self.name),), steps)
        return run_steps_image(image, steps), _record(rec)

    def apply_image(self, image: np.ndarray, params: Any) -> np.ndarray:
        raise NotImplementedError(f"{self.name}: a container runs its children (call it, or use run)")

    # ----------------------------------------------------------------- configuration
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for key in self.own_fields():
            value = getattr(self, key)
            if isinstance(value, Operator):
                value = value.to_dict()
            elif isinstance(value, tuple) and value and isinstance(value[0], Operator):
                value = [op.to_dict() for op in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        if self.gate is not None and self.run_p != 1.0:
            out[self.gate] = self.run_p
        if not self.do_validation:
            out["do_validation"] = False
        policy = cast("BoxPolicy | None", self.box_policy)
        if policy is not None:
            out["box_policy"] = policy.to_config()
        return out

    @classmethod
    def from_dict(cls, params: Mapping[str, Any], where: str | None = None) -> Operator:
        where = where or cls.__name__
        params = dict(params)
        params.pop("name", None)
        cls._known(params)
        for key in cls._operator_fields:
            if key not in params:
                continue
            value = params[key]
            if value is None and key == "else_":
                continue
            if key == "ops":
                if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
                    raise ConfigError(f"{where}: 'ops' must be a list of operator objects (got {type(value).__name__})")
                params[key] = [operator_from_dict(v, f"{where}, ops[{i}]") for i, v in enumerate(value)]
            else:
                params[key] = operator_from_dict(value, f"{where}, {key}")
        try:
            return cls(**params)
        except TypeError as exc:  # a required field missing
            raise ConfigError(f"{where}: {exc}") from None

    _operator_fields: ClassVar[tuple[str, ...]] = ("ops",)

    @classmethod
    def check_config(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """A container's config is checked by building it (its operators are checked each by its
        own rules as it is built; a container holds no pixels and costs microseconds to build)."""
        return cls.from_dict(params).to_dict()


CONTAINERS: dict[str, type[Container]] = {}


def _composite(cls: type[Container]) -> type[Container]:
    CONTAINERS[cls.__name__] = cls

    def build(config: Mapping[str, Any], where: str) -> Operator:
        return cls.from_dict(config, f"{where} ({cls.__name__})")

    build.__doc__ = cls.__doc__
    COMPOSITES[cls.__name__] = build
    return cls


@_composite
@dataclass(frozen=True, kw_only=True)
class Sequential(Container):
    """Every operator of ``ops`` in order, or in a random order (``random_order=True``)."""

    ops: Sequence[Operator] = field(kw_only=False)  # held as a tuple
    random_order: Annotated[bool, V.Flag()] = False

    def _check(self) -> None:
        self._set("ops", _operators(self.name, "ops", self.ops))

    def fixed(self) -> tuple[int, ...] | None:
        return self._all if not self.random_order or len(self.ops) == 1 else None

    def single_draw(self) -> bool:
        return self.fixed() is None and _table(len(self.ops), len(self.ops), True) is not None

    def choose_from(self, u: float) -> tuple[int, ...]:
        order = cast("tuple[tuple[int, ...], ...]", _table(len(self.ops), len(self.ops), True))
        return _entry(order, u)

    def choose(self, rng: Any) -> tuple[int, ...]:
        n = len(self.ops)
        if not self.random_order or n == 1:
            return self._all
        return _pick(rng, n, n, True)

    @property
    def _all(self) -> tuple[int, ...]:
        every = self.__dict__.get("_all_cache")
        if every is None:
            every = tuple(range(len(self.ops)))
            object.__setattr__(self, "_all_cache", every)
        return cast("tuple[int, ...]", every)


@_composite
@dataclass(frozen=True, kw_only=True)
class OneOf(Container):
    """One operator of ``ops``, chosen with ``weights`` (relative, non-negative; equal when None)."""

    ops: Sequence[Operator] = field(kw_only=False)  # held as a tuple
    weights: Sequence[float] | None = None  # held as a tuple of floats

    def _check(self) -> None:
        ops = _operators(self.name, "ops", self.ops)
        self._set("ops", ops)
        w = self.weights
        if w is None:
            cum = tuple((i + 1) / len(ops) for i in range(len(ops)))
        else:
            if isinstance(w, (str, bytes, Mapping)) or not isinstance(w, Iterable):
                raise ConfigError(f"{self.name}: 'weights' must be a list of numbers or None (got {w!r})")
            w = tuple(w)
            if len(w) != len(ops):
                raise ConfigError(f"{self.name}: {len(w)} weights for {len(ops)} operators (give one per operator)")
            w = tuple(V.number(self.name, f"weights[{i}]", v, 0.0) for i, v in enumerate(w))
            total = math.fsum(w)
            if not total > 0 or not math.isfinite(total):
                raise ConfigError(f"{self.name}: 'weights' must not all be 0 (got {list(w)})")
            self._set("weights", w)
            run = 0.0
            cum_list = []
            for v in w:
                run += v
                cum_list.append(run / total)
            cum = tuple(cum_list)
        object.__setattr__(self, "_cumulative", cum)

    def fixed(self) -> tuple[int, ...] | None:
        return (0,) if len(self.ops) == 1 else None

    def single_draw(self) -> bool:
        return len(self.ops) > 1

    def choose(self, rng: Any) -> tuple[int, ...]:
        if len(self.ops) == 1:
            return (0,)
        return self.choose_from(float(rng.random()))

    def choose_from(self, u: float) -> tuple[int, ...]:
        n = len(self.ops)
        if self.weights is None:
            return (min(int(u * n), n - 1),)
        cum: tuple[float, ...] = self.__dict__["_cumulative"]
        i = bisect.bisect_right(cum, u)
        i = min(i, n - 1)
        while self.weights is not None and self.weights[i] == 0:  # float rounding at a 0-width slot
            i -= 1
        return (i,)


@_composite
@dataclass(frozen=True, kw_only=True)
class SomeOf(Container):
    """``k`` distinct operators of ``ops``, ``k`` drawn from the integers ``n = (lo, hi)`` (an int:
    exactly that many; ``hi`` None: up to all), in list order or a random order."""

    ops: Sequence[Operator] = field(kw_only=False)  # held as a tuple
    n: int | Sequence[int | None] = (1, None)  # held as an int or a (lo, hi) tuple
    random_order: Annotated[bool, V.Flag()] = False

    def _check(self) -> None:
        ops = _operators(self.name, "ops", self.ops)
        self._set("ops", ops)
        n = self.n
        if isinstance(n, numbers.Integral) and not isinstance(n, bool):
            lo = hi = V.integer(self.name, "n", n, 0, len(ops))
            self._set("n", lo)
        elif isinstance(n, Sequence) and not isinstance(n, (str, bytes)) and len(n) == 2:
            lo = V.integer(self.name, "n[0]", n[0], 0, len(ops))
            hi = len(ops) if n[1] is None else V.integer(self.name, "n[1]", n[1], 0, len(ops))
            V.ordered(self.name, "n[0]", lo, "n[1]", hi)
            self._set("n", (lo, None if n[1] is None else hi))
        else:
            raise ConfigError(
                f"{self.name}: 'n' must be an integer or a pair (lo, hi) of integers in [0, {len(ops)}] "
                f"(hi may be None: all) (got {n!r})"
            )
        object.__setattr__(self, "_counts", (lo, hi))
        # the table of picks when k is fixed (None: k is drawn, or too many picks), kept for the hot path
        object.__setattr__(self, "_fixed_table", _table(len(ops), lo, bool(self.random_order)) if lo == hi else None)

    def _fixed_k_table(self) -> tuple[tuple[int, ...], ...] | None:
        return cast("tuple[tuple[int, ...], ...] | None", self.__dict__["_fixed_table"])

    def fixed(self) -> tuple[int, ...] | None:
        table = self._fixed_k_table()
        return table[0] if table is not None and len(table) == 1 else None  # none, or all in order

    def single_draw(self) -> bool:
        table = self._fixed_k_table()
        return table is not None and len(table) > 1

    def choose_from(self, u: float) -> tuple[int, ...]:
        return _entry(cast("tuple[tuple[int, ...], ...]", self._fixed_k_table()), u)

    def choose(self, rng: Any) -> tuple[int, ...]:
        lo, hi = cast("tuple[int, int]", self.__dict__["_counts"])
        k = lo if lo == hi else lo + min(int(float(rng.random()) * (hi - lo + 1)), hi - lo)
        return _pick(rng, len(self.ops), k, bool(self.random_order))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if isinstance(self.n, tuple):
            out["n"] = list(self.n)
        return out


@_composite
@dataclass(frozen=True, kw_only=True)
class Sometimes(Container):
    """``then`` with probability ``p``, else ``else_`` (or nothing when it is None)."""

    p: Annotated[float, V.PROBABILITY] = field(kw_only=False)
    then: Operator = field(kw_only=False)
    else_: Operator | None = field(default=None, kw_only=False)

    gate: ClassVar[str | None] = None  # p chooses the branch; the container itself always runs
    _operator_fields: ClassVar[tuple[str, ...]] = ("then", "else_")

    def _check(self) -> None:
        for key in ("then", "else_"):
            value = getattr(self, key)
            if value is None and key == "else_":
                continue
            if not isinstance(value, Operator):
                if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
                    self._set(key, Sequential(_operators(self.name, key, value)))
                    continue
                raise ConfigError(f"{self.name}: {key!r} must be an operator (got {type(value).__name__})")

    def children(self) -> tuple[tuple[str, Operator], ...]:
        kids: tuple[tuple[str, Operator], ...] = (("then", self.then),)
        return kids if self.else_ is None else (*kids, ("else_", self.else_))

    def fixed(self) -> tuple[int, ...] | None:
        if self.p >= 1.0:
            return (0,)
        if self.p <= 0.0:
            return () if self.else_ is None else (1,)
        return None

    def single_draw(self) -> bool:
        return self.fixed() is None

    def choose_from(self, u: float) -> tuple[int, ...]:
        return (0,) if u < self.p else (() if self.else_ is None else (1,))

    def choose(self, rng: Any) -> tuple[int, ...]:
        fixed = self.fixed()
        return fixed if fixed is not None else self.choose_from(float(rng.random()))


#: the most picks a table lists, and the most indices it holds (beyond, a pick is drawn index by index)
_TABLE_MAX = 4096
_TABLE_INDICES = 16384


@functools.lru_cache(maxsize=256)
def _table(n: int, k: int, ordered: bool) -> tuple[tuple[int, ...], ...] | None:
    """Every pick of ``k`` distinct indices of ``range(n)``, in lexicographic order: the
    combinations (in list order) or, ``ordered``, the permutations; None when there are more than
    :data:`_TABLE_MAX` or they hold more than :data:`_TABLE_INDICES` indices in all."""
    count = math.perm(n, k) if ordered else math.comb(n, k)
    if count > _TABLE_MAX or count * k > _TABLE_INDICES:
        return None
    make = itertools.permutations if ordered else itertools.combinations
    return tuple(make(range(n), k))


def _entry(table: tuple[tuple[int, ...], ...], u: float) -> tuple[int, ...]:
    """Entry ``floor(u * len(table))`` of ``table``: each equally likely for a uniform ``u``."""
    m = len(table)
    return table[min(int(u * m), m - 1)]


def _pick(rng: Any, n: int, k: int, ordered: bool) -> tuple[int, ...]:
    """``k`` distinct indices of ``range(n)``, each pick equally likely: in list order, or
    (``ordered``) in a uniformly random order.

    One draw ``u`` chooses the pick from the lexicographic list of them all (entry
    ``floor(u * count)``) while there are at most :data:`_TABLE_MAX` holding at most
    :data:`_TABLE_INDICES` indices (5 choose 2: 10; 5 of 5 in order: 120); beyond that, ``k``
    draws choose one index each (the first ``k`` steps of a Fisher-Yates shuffle; numpy's
    ``choice`` costs ~20 us)."""
    table = _table(n, k, ordered)
    if table is not None:
        return _entry(table, float(rng.random())) if len(table) > 1 else table[0]
    order = list(range(n))
    u = rng.random(k)
    if not isinstance(u, list):  # a numpy Generator's array
        u = u.tolist()
    for i in range(k):
        j = i + min(int(u[i] * (n - i)), n - i - 1)
        order[i], order[j] = order[j], order[i]
    picked = order[:k]
    return tuple(picked) if ordered else tuple(sorted(picked))


_BUILTIN_CHOOSE = frozenset({Sequential.choose, OneOf.choose, SomeOf.choose, Sometimes.choose})


def leaves(ops: Iterable[Operator]) -> Iterator[Operator]:
    """Every operator in ``ops`` and, for containers, inside them (depth first, list order)."""
    for op in ops:
        if isinstance(op, Container):
            yield from leaves(child for _, child in op.children())
        else:
            yield op
