"""A pipeline: operators applied in order, with one seed and one box policy.

Configuration (JSON-ready, round-trips through :meth:`Pipeline.from_config`)::

    {"seed": 0, "box_policy": "clip",
     "ops": [{"name": "Flip", "lr_ud": "lr"}, {"name": "Rotate", "angle_min": -10, "angle_max": 10}]}

A bare list of operator objects is accepted too (seed and box policy then come from the
arguments).

Seeding: operator ``k`` applied to sample ``index`` in ``epoch`` draws from the Philox-4x64
stream keyed by ``SeedSequence(seed)`` at counter ``(0, k, index, epoch)`` (:mod:`augment.random`).
Pass ``index`` to make a run independent of call order (the dataloader and the batch job do); without it, each call
takes the next value of a per-pipeline counter, so a sequential script still gets a different
draw for every image.

Box policy order: after each operator, that operator's boxes go through its effective policy
(its own ``box_policy``, else the pipeline's, else the operator's default). A sample dropped by
any operator stops there; :meth:`Pipeline.run` says which operator and box dropped it.

Fusion: consecutive lookup-table operators (:class:`~augment.core.lut.LutOperator`) on a uint8
image are applied as one fused 256-entry table, one pass over the pixels instead of one per
operator; the result is bit-identical to applying them in turn (each table maps uint8 to uint8).

Probability and containers: an operator whose ``p`` is below 1 may skip an image (its coin from
the gate decisions of its position; recorded as ``SKIPPED``; skipped tables are left out of the
fused one). An operator may be a container (:mod:`augment.core.compose`: Sequential, OneOf,
SomeOf, Sometimes); a pipeline holding one decides per image which operators run (their streams
named by their position in the tree), then runs them as above, fusing consecutive tables whichever
container chose them; the recorded params of a container are its ``Branches``. A pipeline without
a container runs its operators directly, as it always has.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast, overload

import numpy as np

from ..errors import ConfigError, UnsupportedImageError
from ..kernels.color import apply_lut, fuse_tables
from ..random import _MAX, LazyRng, check_seed
from ..structures import Sample
from .base import SKIPPED, Operator, Outcome, stack_if_uniform
from .compose import Container, _record, _Tree, compile_tree, plan, plan_tree, run_steps, run_steps_image
from .lut import LutOperator
from .policy import BoxPolicy, as_policy
from .registry import operator_from_dict

__all__ = ["Pipeline"]


class Pipeline:
    """``Pipeline(ops, seed=None, box_policy=None)``: apply ``ops`` in order."""

    __slots__ = ("ops", "seed", "box_policy", "_counter", "_policies", "_segments", "_planned", "_places", "_trees")

    def __init__(self, ops: Iterable[Operator], seed: int | None = None, box_policy: Any = None):
        ops = tuple(ops)
        for k, op in enumerate(ops):
            if not isinstance(op, Operator):
                raise ConfigError(
                    f"Pipeline: item {k} is not an operator (got {type(op).__name__}); "
                    "use Pipeline.from_config for dicts"
                )
        self.ops = ops
        self.seed = check_seed(seed, "Pipeline: seed")
        try:
            self.box_policy: BoxPolicy | None = as_policy(box_policy)
        except ConfigError as exc:
            raise ConfigError(f"Pipeline: {exc}") from None
        self._policies = tuple(op.policy(self.box_policy) for op in ops)
        self._segments = _segments(ops)
        self._counter = itertools.count()
        # with a container the operators that run are decided per image (augment.core.compose)
        self._planned = any(isinstance(op, Container) for op in ops)
        self._places = tuple(((f"ops[{k}]", op.name),) for k, op in enumerate(ops))
        # the tree's streams, policies and names, resolved once (None: plan it generically per call)
        self._trees: tuple[_Tree, ...] | None = None
        if self._planned:
            trees = [compile_tree(op, k, self.box_policy, self._places[k]) for k, op in enumerate(ops)]
            if all(t is not None for t in trees):
                self._trees = cast("tuple[_Tree, ...]", tuple(trees))

    # ----------------------------------------------------------------- configuration
    @classmethod
    def from_config(cls, config: Any, seed: int | None = None, box_policy: Any = None) -> Pipeline:
        """From a list of operator dicts, or a dict ``{"ops": [...], "seed": ..., "box_policy": ...}``,
        or a JSON string of either. Explicit ``seed`` / ``box_policy`` arguments win over the dict's."""
        if isinstance(config, (str, bytes)):
            try:
                config = json.loads(config)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"pipeline config is not valid JSON: {exc}") from None
        if isinstance(config, Mapping):
            unknown = set(config) - {"ops", "seed", "box_policy"}
            if unknown:
                raise ConfigError(
                    f"pipeline config: unknown key(s) {sorted(unknown)}; allowed: 'ops', 'seed', 'box_policy'"
                )
            if "ops" not in config:
                raise ConfigError("pipeline config: missing 'ops' (the list of operators)")
            seed = config.get("seed") if seed is None else seed
            box_policy = config.get("box_policy") if box_policy is None else box_policy
            config = config["ops"]
        if not isinstance(config, Sequence) or isinstance(config, (str, bytes)):
            raise ConfigError(f"pipeline config: 'ops' must be a list of operator objects, got {type(config).__name__}")
        ops = [operator_from_dict(item, where=f"pipeline config, operator {k}") for k, item in enumerate(config)]
        return cls(ops, seed=seed, box_policy=box_policy)

    def to_config(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "box_policy": self.box_policy.to_config() if self.box_policy is not None else None,
            "ops": [op.to_dict() for op in self.ops],
        }

    def __repr__(self) -> str:
        return f"Pipeline({list(self.ops)!r}, seed={self.seed!r}, box_policy={self.box_policy!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return (self.ops, self.seed, self.box_policy) == (other.ops, other.seed, other.box_policy)

    __hash__ = None  # type: ignore[assignment]  # holds a counter: not a value

    def __len__(self) -> int:
        return len(self.ops)

    # ----------------------------------------------------------------- running
    def _index(self, index: int | None) -> int:
        return next(self._counter) if index is None else index

    def run(
        self, sample: Sample, *, index: int | None = None, epoch: int = 0, params: Sequence[Any] | None = None
    ) -> Outcome:
        """Augment one Sample; the :class:`Outcome` says which operator dropped it, if one did."""
        index = self._index(index)
        self._check_params(params)
        if self._planned:
            steps, records = self._plan(index, epoch, params)
            out, dropped = run_steps(sample, steps)
            return Outcome(out, [_record(r) for r in records], dropped)
        recorded: list[Any] = []
        for start, stop in self._segments:
            if stop - start > 1 and sample.image.dtype == np.uint8:
                fused = self._fused_lut(sample.image, start, stop, index, epoch, params, recorded, sample)
                if fused is not None:
                    sample = sample.with_image(fused)
                    for k in range(start, stop):  # tables leave boxes where they are: only the policies
                        if recorded[k] is SKIPPED:
                            continue
                        outcome = self.ops[k].finish(sample, sample.image, sample.boxes, recorded[k], self._policies[k])
                        if outcome.sample is None:
                            return Outcome(None, recorded, outcome.dropped)
                        sample = outcome.sample
                    continue
            for k in range(start, stop):
                p = params[k] if params is not None else (recorded[k] if k < len(recorded) else None)
                op = self.ops[k]
                rng = LazyRng(self.seed, epoch, index, k)
                del recorded[k:]
                if op.skips(rng, p):
                    recorded.append(SKIPPED)
                    continue
                outcome = op.run(sample, rng, p, self._policies[k])
                recorded.append(outcome.params)
                if outcome.sample is None:
                    return Outcome(None, recorded, outcome.dropped)
                sample = outcome.sample
        return Outcome(sample, recorded)

    def run_image(
        self, image: np.ndarray, *, index: int | None = None, epoch: int = 0, params: Sequence[Any] | None = None
    ) -> tuple[np.ndarray, list]:
        index = self._index(index)
        self._check_params(params)
        if self._planned:
            steps, records = self._plan(index, epoch, params)
            return run_steps_image(image, steps), [_record(r) for r in records]
        recorded: list[Any] = []
        for start, stop in self._segments:
            if stop - start > 1 and image.dtype == np.uint8:
                fused = self._fused_lut(image, start, stop, index, epoch, params, recorded)
                if fused is not None:
                    image = fused
                    continue
            for k in range(start, stop):
                p = params[k] if params is not None else (recorded[k] if k < len(recorded) else None)
                image, p = self.ops[k]._gated_image(image, LazyRng(self.seed, epoch, index, k), p)
                del recorded[k:]
                recorded.append(p)
        return image, recorded

    def _plan(self, index: int, epoch: int, params: Sequence[Any] | None) -> tuple[list[Any], list[Any]]:
        """What runs on sample ``index`` of ``epoch``: the flat steps and each operator's record."""
        steps: list[Any] = []
        records = []
        trees = self._trees
        if params is None and trees is not None and 0 <= epoch < _MAX and 0 <= index < _MAX:
            seed = self.seed
            for tree in trees:
                records.append(plan_tree(tree, seed, epoch, index, steps))
            return steps, records
        places = self._places
        for k, op in enumerate(self.ops):
            rng = LazyRng(self.seed, epoch, index, k)
            given = params[k] if params is not None else None
            records.append(plan(op, rng, given, self.box_policy, places[k], steps))
        return steps, records

    def _check_params(self, params: Sequence[Any] | None) -> None:
        if params is not None and len(params) != len(self.ops):
            raise ConfigError(f"Pipeline: {len(params)} params for {len(self.ops)} operators")

    def _fused_lut(
        self,
        image: np.ndarray,
        start: int,
        stop: int,
        index: int,
        epoch: int,
        params: Sequence[Any] | None,
        recorded: list[Any],
        sample: Sample | None = None,
    ) -> np.ndarray | None:
        """Draw the params of LUT operators ``start:stop`` (appending them to ``recorded``) and
        return the image with their fused table, or None when one has no table for this image
        (the caller then applies them in turn, reusing the recorded params)."""
        tables = []
        check = sample if sample is not None and len(sample.boxes) > 0 else None
        for k in range(start, stop):
            op = cast(LutOperator, self.ops[k])  # a run of LutOperators (_runs)
            rng = LazyRng(self.seed, epoch, index, k)
            given = params[k] if params is not None else None
            if op.skips(rng, given):  # a skipped table is no table
                recorded.append(SKIPPED)
                continue
            meta = op._check_and_describe(image)
            if check is not None and op.do_validation:
                check.validate(op.name)
            p = given if given is not None else op.sample(rng, meta)
            recorded.append(p)
            tables.append(op.lut(p, meta))
        if any(t is None for t in tables):
            return None
        if not tables:  # every one skipped
            return image
        return apply_lut(image, fuse_tables(cast("list[np.ndarray]", tables)))  # no None left

    # as Operator.__call__: a Sample gives a Sample or None (dropped); the array case is typed Any
    @overload
    def __call__(
        self,
        x: Sample,
        *,
        index: int | None = None,
        epoch: int = 0,
        params: Sequence[Any] | None = None,
        return_params: Literal[False] = False,
    ) -> Sample | None: ...
    @overload
    def __call__(
        self,
        x: Sample,
        *,
        index: int | None = None,
        epoch: int = 0,
        params: Sequence[Any] | None = None,
        return_params: Literal[True],
    ) -> tuple[Sample | None, list[Any]]: ...
    @overload
    def __call__(
        self,
        x: Sample | np.ndarray,
        *,
        index: int | None = None,
        epoch: int = 0,
        params: Sequence[Any] | None = None,
        return_params: bool = False,
    ) -> Any: ...
    def __call__(
        self,
        x: Sample | np.ndarray,
        *,
        index: int | None = None,
        epoch: int = 0,
        params: Sequence[Any] | None = None,
        return_params: bool = False,
    ) -> Any:
        """Augment a Sample (returns a Sample or None), an image or a batch ``(B, H, W, C)``."""
        if isinstance(x, Sample):
            out = self.run(x, index=index, epoch=epoch, params=params)
            return (out.sample, out.params) if return_params else out.sample
        if not isinstance(x, np.ndarray):
            raise UnsupportedImageError(f"Pipeline: expected a Sample or a numpy array, got {type(x).__name__}")
        if x.ndim == 4:
            start = self._index(index)
            if index is None:  # reserve one counter value per image of the batch
                for _ in range(len(x) - 1):
                    next(self._counter)
            results = [
                self.run_image(x[i], index=start + i, epoch=epoch, params=None if params is None else params[i])
                for i in range(len(x))
            ]
            images = stack_if_uniform([r[0] for r in results])
            return (images, [r[1] for r in results]) if return_params else images
        image, recorded = self.run_image(x, index=index, epoch=epoch, params=params)
        return (image, recorded) if return_params else image


def _segments(ops: Sequence[Operator]) -> tuple[tuple[int, int], ...]:
    """``(start, stop)`` runs of the pipeline: maximal runs of LutOperators, other ops alone."""
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(ops):
        stop = k + 1
        if isinstance(ops[k], LutOperator):
            while stop < len(ops) and isinstance(ops[stop], LutOperator):
                stop += 1
        out.append((k, stop))
        k = stop
    return tuple(out)
