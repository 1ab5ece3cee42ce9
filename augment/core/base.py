"""The operator contract.

An operator is an immutable, validated value (a frozen dataclass)::

    Rotate(angle_min=-30, angle_max=30)

Its three hooks keep every random draw in one place:

``sample(rng, meta) -> Params``
    draws every random value for one image (``meta`` is the image's :class:`ImageMeta`);
``apply_image(image, params) -> ndarray``
    pure and deterministic;
``apply_boxes(boxes, params, meta) -> ndarray``
    pure and deterministic; moves ``(N, 4)`` boxes of an image described by ``meta``.

Geometric operators subclass :class:`AffineOperator` and give ``matrix(params, meta)``: the 3x3
continuous-coordinate affine map that both the image warp and the box transform use.

Calling an operator (``op(x, seed=..., index=..., epoch=..., params=..., return_params=...)``)
accepts a :class:`Sample` (returns a Sample, or ``None`` when the box policy drops the image), a
bare image ``(H, W)`` / ``(H, W, C)`` (returns an array) or a batch ``(B, H, W, C)`` (image ``i``
is augmented as sample ``index + i``; returns an array, or a list when output sizes differ).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar, cast, dataclass_transform, overload

import numpy as np

from ..errors import ConfigError, UnsupportedImageError
from ..kernels.boxes import transform_boxes
from ..kernels.geometric import warp_affine
from ..random import GATE, LazyRng, check_seed
from ..structures import ImageMeta, Sample, image_meta
from . import validate as V
from .policy import CLIP, TOLERANCE, BoxPolicy, as_policy
from .registry import register_class
from .sampling import chance, uniform

__all__ = ["Operator", "AffineOperator", "Params", "Outcome", "Skipped", "SKIPPED", "register", "uniform", "ALL_DTYPES"]

#: the dtypes of operators that take every supported image type
ALL_DTYPES: tuple[type, ...] = (np.uint8, np.uint16, np.float32)

_new_meta = tuple.__new__  # ImageMeta(...) without the namedtuple's Python-level __new__


@dataclass(frozen=True, slots=True)
class Params:
    """Base of every operator's parameter record (a frozen dataclass)."""


@dataclass(frozen=True, slots=True)
class Skipped(Params):
    """The params recorded for an operator that its probability ``p`` skipped (input unchanged);
    replaying them skips it again."""

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED = Skipped()


class Outcome(NamedTuple):
    """The result of running one sample: the new sample (or None), the params, why it was dropped."""

    sample: Sample | None
    params: Any
    dropped: str | None = None


_Op = TypeVar("_Op", bound="Operator")


# dataclass_transform: type checkers see a decorated class as the frozen keyword-only dataclass it
# becomes (its fields are constructor arguments). frozen_default is a 3.12 name that 3.11 accepts.
@dataclass_transform(kw_only_default=True, frozen_default=True, eq_default=True)
def register(cls: type[_Op]) -> type[_Op]:
    """Class decorator: make ``cls`` a frozen keyword-only dataclass and register it by name."""
    cls = dataclass(frozen=True, kw_only=True, eq=True, repr=True)(cls)
    register_class(cls)
    return cls


@dataclass(frozen=True, kw_only=True)
class Operator:
    """Base class of all operators. See the module docstring for the contract."""

    do_validation: Annotated[bool, V.Flag()] = True
    box_policy: BoxPolicy | str | dict | None = None
    #: the probability that the operator runs on an image (else the image passes unchanged)
    p: Annotated[float, V.PROBABILITY] = 1.0

    #: dtypes the operator accepts; others raise UnsupportedImageError.
    dtypes: ClassVar[tuple[type, ...]] = (np.uint8,)
    #: the box policy used when neither the operator nor the pipeline sets one.
    default_box_policy: ClassVar[BoxPolicy] = CLIP
    #: True when the operator moves pixels (and so boxes).
    geometric: ClassVar[bool] = False
    #: the field that holds the probability of running (``"p"``; AddNoise, whose ModelArts
    #: parameter ``p`` is something else, uses ``"apply_p"``; None: the class has none)
    gate: ClassVar[str | None] = "p"

    # ----------------------------------------------------------------- construction
    def __post_init__(self) -> None:
        cls = type(self)
        values = V.check_values(cls, {name: getattr(self, name) for name in V.specs_of(cls)})
        for name, value in values.items():
            object.__setattr__(self, name, value)
        try:
            object.__setattr__(self, "box_policy", as_policy(self.box_policy))
        except ConfigError as exc:
            raise ConfigError(f"{self.name}: {exc}") from None
        self._check()

    @classmethod
    def _check_values(cls, values: dict[str, Any]) -> None:
        """Rules between fields beyond the declarations (each field's :class:`~augment.core.validate.Spec`
        and its ``le``): check ``values`` (every declared field, coerced) and coerce in place.
        Runs when the operator is built and in :meth:`check_config`."""

    def _check(self) -> None:
        """Validate and coerce fields that are not declared (use :meth:`_set`). The built-in
        operators declare every field; this hook is for operators of your own that do not."""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    @property
    def name(self) -> str:
        return type(self).__name__

    # ----------------------------------------------------------------- hooks
    def sample(self, rng: Any, meta: ImageMeta) -> Any:
        return Params()

    def apply_image(self, image: np.ndarray, params: Any) -> np.ndarray:
        raise NotImplementedError

    def apply_boxes(self, boxes: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        return boxes

    def output_size(self, params: Any, meta: ImageMeta) -> tuple[int, int]:
        return meta.height, meta.width

    # ----------------------------------------------------------------- configuration
    @property
    def run_p(self) -> float:
        """The probability that the operator runs (its :attr:`gate` field; 1.0 when it has none)."""
        gate = self.gate
        return 1.0 if gate is None else cast(float, getattr(self, gate))

    @classmethod
    def own_fields(cls) -> list[str]:
        """The operator's own parameters (not the framework's ``do_validation``, ``box_policy``
        and the probability :attr:`gate`), in declaration order. A field a class declares again
        under a base field's name (AddNoise's ``p``) is its own."""
        base = {id(f) for f in dataclasses.fields(Operator)}
        own = [f.name for f in dataclasses.fields(cls) if id(f) not in base and f.name != cls.gate]
        again = [n for n in own if n in _BASE_FIELDS]
        if again:  # a dataclass keeps such a field at the base's place: put it where the class writes it
            where = next(k for k in cls.__mro__ if again[0] in inspect.get_annotations(k))
            order = list(inspect.get_annotations(where))
            own.sort(key=lambda n: order.index(n) if n in order else -1)
        return own

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., <own parameters>, ["p": ...,] "do_validation": ..., "box_policy": ...}``,
        JSON-ready; the probability only when it is not 1."""
        out: dict[str, Any] = {"name": self.name}
        for key in self.own_fields():
            out[key] = getattr(self, key)
        if self.gate is not None and self.run_p != 1.0:
            out[self.gate] = self.run_p
        out["do_validation"] = self.do_validation
        policy = cast("BoxPolicy | None", self.box_policy)  # __post_init__ made it a BoxPolicy
        out["box_policy"] = policy.to_config() if policy is not None else None
        return out

    @classmethod
    def _known(cls, params: dict[str, Any]) -> None:
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in params if k not in allowed]
        if unknown:
            framework = [n for n in ("p", "apply_p") if n == cls.gate]
            raise ConfigError(
                f"{cls.__name__}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(map(repr, [*cls.own_fields(), *framework, 'do_validation', 'box_policy']))}"
            )

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> Operator:
        params = dict(params)
        params.pop("name", None)
        cls._known(params)
        return cls(**params)

    @classmethod
    def check_config(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a config (as :meth:`from_dict` takes it) without building the operator: every
        declared parameter against its declaration, their orders, the class's rules between
        fields and the box policy. Returns every parameter, defaults filled in and values coerced;
        raises :class:`ConfigError` as the constructor would."""
        params = dict(params)
        params.pop("name", None)
        cls._known(params)
        values = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
        values.update(params)
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        if missing:
            raise ConfigError(f"{cls.__name__}: missing parameter(s) {', '.join(map(repr, missing))}")
        V.check_values(cls, values)
        try:
            values["box_policy"] = as_policy(values.get("box_policy"))
        except ConfigError as exc:
            raise ConfigError(f"{cls.__name__}: {exc}") from None
        return values

    def evolve(self, **changes: Any) -> Operator:
        """A copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ----------------------------------------------------------------- running
    def _check_and_describe(self, image: np.ndarray) -> ImageMeta:
        """Check that the operator supports ``image`` (else :class:`UnsupportedImageError`) and
        return its :class:`ImageMeta`: one read of shape and dtype per call. An operator that
        overrides :meth:`check_image` has its override called. (The framework's own hooks are
        named ``_check_*`` / ``_apply_*`` to stay clear of names subclasses may use.)"""
        if type(self).check_image is not Operator.check_image:
            self.check_image(image)
            return image_meta(image)
        return self._check_supported(image)

    def _check_supported(self, image: np.ndarray) -> ImageMeta:
        """The default check (dtype in ``dtypes``, shape (H, W) or (H, W, C) with C in 1, 3, 4,
        not empty), fused with reading the :class:`ImageMeta`."""
        shape = image.shape
        dtype = image.dtype
        if len(shape) == 3:
            c = shape[2]
            ok = c == 3 or c == 1 or c == 4
        else:
            c = 0
            ok = len(shape) == 2
        if not ok or dtype.type not in self.dtypes or not shape[0] or not shape[1]:
            self._unsupported(image)
        return _new_meta(ImageMeta, (shape[0], shape[1], c, dtype))

    def check_image(self, image: np.ndarray) -> None:
        """Raise :class:`UnsupportedImageError` for an image the operator does not support.
        Override to refuse more (call ``super().check_image(image)`` for the default checks)."""
        self._check_supported(image)

    def _unsupported(self, image: np.ndarray) -> None:
        allowed = ", ".join(np.dtype(d).name for d in self.dtypes)
        raise UnsupportedImageError(
            f"{self.name}: unsupported image of dtype {image.dtype} and shape {image.shape}; "
            f"supported: dtypes {allowed}, shape (H, W) or (H, W, C) with C in 1, 3, 4"
        )

    def _apply_described(self, image: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        """:meth:`apply_image` for an image already described by ``meta`` (framework subclasses
        use it to skip reading the shape again)."""
        return self.apply_image(image, params)

    def policy(self, pipeline_policy: BoxPolicy | None = None) -> BoxPolicy:
        own = cast("BoxPolicy | None", self.box_policy)  # __post_init__ made it a BoxPolicy
        if own is not None:
            return own
        if pipeline_policy is not None:
            return pipeline_policy
        return self.default_box_policy

    def run(self, sample: Sample, rng: Any, params: Any = None, policy: BoxPolicy | None = None) -> Outcome:
        """Augment one Sample: validate, draw (unless ``params``), apply, apply the box policy."""
        image = sample.image
        meta = self._check_and_describe(image)
        boxes = sample.boxes
        if not len(boxes):  # nothing to validate, move or filter
            if params is None:
                params = self.sample(rng, meta)
            return Outcome(sample.with_image(self._apply_described(image, params, meta)), params)
        if self.do_validation:
            sample.validate(self.name)
        if params is None:
            params = self.sample(rng, meta)
        new_image = self._apply_described(image, params, meta)
        return self.finish(sample, new_image, self.apply_boxes(boxes, params, meta), params, policy)

    def finish(
        self, sample: Sample, new_image: np.ndarray, moved: np.ndarray, params: Any, policy: BoxPolicy | None = None
    ) -> Outcome:
        """Apply the box policy to the moved boxes and build the new Sample (or the drop)."""
        if not len(moved):
            return Outcome(sample.with_image(new_image), params)
        policy = policy or self.policy()
        result = policy.apply(moved, new_image.shape[0], new_image.shape[1])
        if result is None:
            return Outcome(None, params, _drop_reason(self.name, moved, new_image.shape))
        clipped, keep = result
        return Outcome(sample.with_boxes(new_image, clipped, keep), params)

    def run_image(self, image: np.ndarray, rng: Any, params: Any = None) -> tuple[np.ndarray, Any]:
        meta = self._check_and_describe(image)
        if params is None:
            params = self.sample(rng, meta)
        return self._apply_described(image, params, meta), params

    # A Sample gives a Sample, or None when the box policy drops the image; an image gives an array,
    # a batch an array or a list (so the array case, and a return_params not known, is typed Any).
    @overload
    def __call__(
        self,
        x: Sample,
        seed: int | None = None,
        *,
        index: int = 0,
        epoch: int = 0,
        params: Any = None,
        return_params: Literal[False] = False,
    ) -> Sample | None: ...
    @overload
    def __call__(
        self,
        x: Sample,
        seed: int | None = None,
        *,
        index: int = 0,
        epoch: int = 0,
        params: Any = None,
        return_params: Literal[True],
    ) -> tuple[Sample | None, Any]: ...
    @overload
    def __call__(
        self,
        x: Sample | np.ndarray,
        seed: int | None = None,
        *,
        index: int = 0,
        epoch: int = 0,
        params: Any = None,
        return_params: bool = False,
    ) -> Any: ...
    def __call__(
        self,
        x: Sample | np.ndarray,
        seed: int | None = None,
        *,
        index: int = 0,
        epoch: int = 0,
        params: Any = None,
        return_params: bool = False,
    ) -> Any:
        """Augment a Sample, an image or a batch. ``seed=None`` uses fresh OS entropy. With a
        probability ``p`` below 1 the operator may skip an image: it comes back unchanged (the
        same object) and its params are :data:`SKIPPED`."""
        seed = check_seed(seed)
        if isinstance(x, Sample):
            rng = LazyRng(seed, epoch, index, 0)
            if self.skips(rng, params):
                return (x, SKIPPED) if return_params else x
            outcome = self.run(x, rng, params)
            return (outcome.sample, outcome.params) if return_params else outcome.sample
        if not isinstance(x, np.ndarray):
            raise UnsupportedImageError(f"{self.name}: expected a Sample or a numpy array, got {type(x).__name__}")
        if x.ndim == 4:
            if params is not None and len(params) != len(x):
                raise ConfigError(f"{self.name}: {len(params)} params for a batch of {len(x)} images")
            outs, ps = [], []
            for i in range(len(x)):
                out, p = self._gated_image(
                    x[i], LazyRng(seed, epoch, index + i, 0), None if params is None else params[i]
                )
                outs.append(out)
                ps.append(p)
            result = stack_if_uniform(outs)
            return (result, ps) if return_params else result
        out, p = self._gated_image(x, LazyRng(seed, epoch, index, 0), params)
        return (out, p) if return_params else out

    def skips(self, rng: Any, params: Any = None) -> bool:
        """Whether the operator skips this image: ``params`` given decide (:data:`SKIPPED` skips,
        anything else runs); else a draw against :attr:`run_p` from the position's own gate
        stream (no draw at p = 1 or 0). :meth:`run` does not skip: the callers decide (a direct
        call, a :class:`~augment.core.pipeline.Pipeline`, a container)."""
        if params is not None:
            return params is SKIPPED
        p = self.run_p
        if p >= 1.0:
            return False
        return not chance(rng.decisions(GATE) if type(rng) is LazyRng else rng, p)

    def _gated_image(self, image: np.ndarray, rng: Any, params: Any) -> tuple[np.ndarray, Any]:
        if self.skips(rng, params):
            return image, SKIPPED
        return self.run_image(image, rng, params)


_BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(Operator))


def stack_if_uniform(images: Sequence[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """One array when all images share a shape (and dtype), else the list."""
    if images and all(im.shape == images[0].shape and im.dtype == images[0].dtype for im in images):
        return np.stack(images)
    return list(images)


def _drop_reason(name: str, moved: np.ndarray, shape: tuple) -> str:
    h, w = shape[0], shape[1]
    t = TOLERANCE
    out = (moved[:, 0] < -t) | (moved[:, 1] < -t) | (moved[:, 2] > w + t) | (moved[:, 3] > h + t)
    i = int(np.flatnonzero(out)[0])
    box = ", ".join(f"{v:.1f}" for v in moved[i])
    return f"{name}: box {i} left the image (moved to [{box}] on a {w}x{h} canvas)"


_IDENTITY = np.eye(3)
_IDENTITY.setflags(write=False)


@dataclass(frozen=True, kw_only=True)
class AffineOperator(Operator):
    """A geometric operator defined by a 3x3 affine matrix in continuous coordinates.

    The default kernels warp the image with bilinear interpolation and a black border (imgaug's
    ``order=1, cval=0, mode='constant'``) and move boxes as the hull of their four mapped corners.
    Subclasses may take exact fast paths (flip, crop, pad, integer shift); tests hold them equal
    to the matrix.
    """

    dtypes: ClassVar[tuple[type, ...]] = (np.uint8, np.uint16, np.float32)
    geometric: ClassVar[bool] = True

    def matrix(self, params: Any, meta: ImageMeta) -> np.ndarray:
        raise NotImplementedError

    def apply_image(self, image: np.ndarray, params: Any) -> np.ndarray:
        meta = image_meta(image)
        return self.warp(image, self.matrix(params, meta), params, meta)

    def warp(self, image: np.ndarray, matrix: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        """The image moved by ``matrix`` (the operator's, already computed): bilinear, black border.
        Override it for an exact fast path that can use the matrix or the params (Translate's
        whole-pixel shift); override :meth:`apply_image` instead for one that never needs it."""
        return warp_affine(image, matrix, self.output_size(params, meta))

    def apply_boxes(self, boxes: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        return transform_boxes(boxes, self.matrix(params, meta))

    def apply_mask(self, mask: np.ndarray, params: Any, meta: ImageMeta) -> np.ndarray:
        """A segmentation mask moved with the image: nearest neighbour through the matrix, fill 0
        (operators that resize override this with imgaug's resize of a segmentation map)."""
        return warp_mask(mask, self.matrix(params, meta), self.output_size(params, meta))

    def _moved(self, image: np.ndarray, boxes: np.ndarray, params: Any, meta: ImageMeta) -> tuple[Any, ...]:
        """The warped image, the moved boxes and the matrix, the matrix computed once for both
        (an operator whose own ``apply_image`` / ``apply_boxes`` takes a fast path without it
        keeps that path; the matrix is then computed only if the boxes need it)."""
        cls = type(self)
        m = None
        if cls.apply_image is AffineOperator.apply_image:
            m = self.matrix(params, meta)
            new_image = self.warp(image, m, params, meta)
        else:
            new_image = self._apply_described(image, params, meta)
        if cls.apply_boxes is AffineOperator.apply_boxes:
            if len(boxes):
                if m is None:
                    m = self.matrix(params, meta)
                moved = transform_boxes(boxes, m)
            else:
                moved = boxes
        else:
            moved = self.apply_boxes(boxes, params, meta) if len(boxes) else boxes
        return new_image, moved, m

    def run(self, sample: Sample, rng: Any, params: Any = None, policy: BoxPolicy | None = None) -> Outcome:
        """As :meth:`Operator.run`, with the matrix computed once per sample for the image, the
        boxes and the rest; a sample's shapes (:mod:`augment.geometry`) and mask move through the
        same matrix: objects with a shape are boxed by their moved shape, then the box policy
        decides per object, then the kept shapes are clipped to the canvas; the mask is warped
        with nearest neighbour and fill 0."""
        image = sample.image
        meta = self._check_and_describe(image)
        boxes = sample.boxes
        if self.do_validation and len(boxes):
            sample.validate(self.name)
        if params is None:
            params = self.sample(rng, meta)
        if sample.shapes is None and sample.mask is None:
            new_image, moved, _ = self._moved(image, boxes, params, meta)
            if not len(boxes):
                return Outcome(sample.with_image(new_image), params)
            return self.finish(sample, new_image, moved, params, policy)
        from ..geometry import fit_shapes, move_shapes, own_boxes

        new_image, moved_boxes, m = self._moved(image, boxes, params, meta)
        if m is None:
            m = self.matrix(params, meta)
        h, w = new_image.shape[0], new_image.shape[1]
        mask = None
        if sample.mask is not None:
            if type(self).apply_mask is AffineOperator.apply_mask:
                mask = warp_mask(sample.mask, m, self.output_size(params, meta))
            else:
                mask = self.apply_mask(sample.mask, params, meta)
        if sample.shapes is None:
            outcome = self.finish(sample, new_image, moved_boxes, params, policy)
            if outcome.sample is None:
                return outcome
            s = outcome.sample
            return Outcome(Sample._trusted(s.image, s.boxes, s.labels, s.fields, s.meta, None, mask), params)
        moved_shapes, circles = move_shapes(sample.shapes, m)
        bounds = moved_shapes.bounds()
        moved = own_boxes(moved_shapes, moved_boxes, bounds)
        result = (policy or self.policy()).apply(moved, h, w)
        if result is None:
            return Outcome(None, params, _drop_reason(self.name, moved, new_image.shape))
        clipped, keep = result
        kept = clipped if keep is None else clipped[keep]
        shapes, boxes, alive, report = fit_shapes(moved_shapes, kept, keep, h, w, bounds)
        index = np.arange(len(moved)) if keep is None else np.flatnonzero(keep)
        final = np.zeros(len(moved), bool)
        final[index[alive]] = True
        cut = np.zeros(len(moved), bool)
        cut[index] = (kept != moved[index]).any(axis=1) | report.clipped
        fields = sample.fields
        if "truncated" in fields:  # VOC's flag: the object is cut by the image border
            fields = {**fields, "truncated": np.where(cut, 1, fields["truncated"]).astype(fields["truncated"].dtype)}
        notes = _shape_notes(self.name, sample, report, circles)
        meta_ = sample.meta if not notes else {**sample.meta, "notes": [*sample.meta.get("notes", ()), *notes]}
        full = moved.copy()
        full[index] = boxes
        shapes = shapes.for_objects(alive) if not alive.all() else shapes
        base = Sample._trusted(sample.image, sample.boxes, sample.labels, fields, meta_, None)
        out = base.with_boxes(new_image, full, None if final.all() else final, shapes=None)
        return Outcome(
            Sample._trusted(
                out.image, out.boxes, out.labels, out.fields, out.meta, shapes if len(shapes) else None, mask
            ),
            params,
        )


def warp_mask(mask: np.ndarray, matrix: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """A class / instance / colour mask moved by ``matrix``: nearest neighbour (no new ids), fill 0
    (background), the dtype kept (int32 and int64 ids go through float64, exact up to 2**53)."""
    import cv2

    exact = _exact_remap(mask, matrix, out_hw)
    if exact is not None:
        return exact
    return _through_opencv(mask, lambda m: warp_affine(m, matrix, out_hw, interpolation=cv2.INTER_NEAREST, fill=0))


_CV_MASK_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)  # what OpenCV warps and resizes


def _through_opencv(mask: np.ndarray, fn: Any) -> np.ndarray:
    """``fn(mask)`` for an OpenCV call, ids of other dtypes (int32, int64) through float64 (exact up
    to 2**53) and back."""
    if mask.dtype in _CV_MASK_DTYPES:
        return fn(mask)
    return fn(mask.astype(np.float64)).astype(mask.dtype)


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """A mask resized as imgaug 0.4.0 resizes a segmentation map (``cv2.resize`` nearest neighbour:
    output pixel ``j`` takes source pixel ``floor(j * in / out)``), so that masks stay identical to
    ModelArts'/imgaug's. That rule sits up to half an output pixel up-left of the image and the
    points, which move through the matrix; the difference is imgaug's, kept for parity."""
    import cv2

    if mask.shape[:2] == (height, width):
        return mask.copy()
    out = _through_opencv(mask, lambda m: cv2.resize(m, (width, height), interpolation=cv2.INTER_NEAREST))
    return out[:, :, None] if out.ndim < mask.ndim else out


def _exact_remap(mask: np.ndarray, matrix: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray | None:
    """Flips, crops, pads and whole-pixel shifts of a mask by indexing (exact, ~10x faster than a
    nearest-neighbour warp): a matrix with linear part ``diag(+-1, +-1)`` and whole-pixel offsets.
    ``None`` for any other map."""
    a, b, tx = matrix[0]
    c, d, ty = matrix[1]
    if b != 0 or c != 0 or abs(a) != 1 or abs(d) != 1 or tx != round(tx) or ty != round(ty):
        return None
    h, w = out_hw
    out = np.zeros((h, w, *mask.shape[2:]), mask.dtype)
    src = mask[:: int(d), :: int(a)]  # flipped as the map flips
    # a pixel i of the (flipped) source lands at i + offset: continuous x' = a x + tx
    ox = int(tx) if a > 0 else int(tx) - mask.shape[1]
    oy = int(ty) if d > 0 else int(ty) - mask.shape[0]
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + mask.shape[1], w), min(oy + mask.shape[0], h)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = src[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return out


def _shape_notes(name: str, sample: Sample, report: Any, circles: int) -> list[str]:
    """What :func:`augment.geometry.fit_shapes` changed, one line per object or part, naming the
    object (its ``_object`` number when the sample carries one, as the batch job's do)."""
    numbers = sample.fields.get("_object")
    labels = sample.labels

    def who(i: int) -> str:
        n = int(numbers[i]) if numbers is not None else i
        return f"object {n} {labels[i]!r}"

    notes = [f"{who(i)}: {why} after {name}, left out" for i, why in report.dropped]
    notes += [f"{who(i)}: part {tag!r} left the image after {name}, left out" for i, tag in report.parts_dropped]
    if circles:
        notes.append(f"{circles} circle(s) written as polygons after {name} (not a similarity map)")
    return notes


def about_centre(linear: np.ndarray, meta: ImageMeta) -> np.ndarray:
    """The 3x3 matrix applying the 2x2 ``linear`` map about the image centre (W/2, H/2)."""
    cx, cy = meta.width / 2.0, meta.height / 2.0
    m = np.eye(3)
    m[:2, :2] = linear
    m[0, 2] = cx - linear[0, 0] * cx - linear[0, 1] * cy
    m[1, 2] = cy - linear[1, 0] * cx - linear[1, 1] * cy
    return m
