"""The eight geometric operators, with ModelArts' names, parameters and defaults.

imgaug 0.4.0 is the reference for what each one does (its call is named in each docstring).
Every operator moves boxes through the same 3x3 matrix as the pixels; boxes then go through the
box policy (see :mod:`augment.core.policy`). Supported dtypes: uint8, uint16, float32; images
``(H, W)`` or ``(H, W, C)`` with C in 1, 3, 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import AffineOperator, Params, about_centre, register, resize_mask
from ..core.policy import DROP_IMAGE, BoxPolicy
from ..core.sampling import chance, uniform
from ..kernels import geometric as K
from ..structures import ImageMeta

__all__ = ["Flip", "Crop", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate"]


def _translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _scaling(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


#: the interpolations of a resize, and with imgaug's own choice ("auto") for the crop/pad resize back
_INTERPOLATION = V.Choice(*K.INTERPOLATIONS)
_INTERPOLATION_AUTO = V.Choice(*K.INTERPOLATIONS, "auto")
_AXIS = V.Choice("X", "Y")


# --------------------------------------------------------------------------- Flip
@dataclass(frozen=True, slots=True)
class FlipParams(Params):
    flip: bool


_FLIP, _NO_FLIP = FlipParams(True), FlipParams(False)  # immutable: one of each is enough


@register
class Flip(AffineOperator):
    """Mirror the image left-right (``lr_ud="lr"``) or upside down (``"ud"``) with probability ``flip_p``.

    ``flip_p`` is ModelArts' name, kept; ``p``, which every operator has, combines with it: the
    operator runs with probability ``p`` (else it is skipped and records ``SKIPPED``), and when it
    runs it flips with probability ``flip_p``, so an image is flipped with probability
    ``p * flip_p``. The two draws come from different streams.

    imgaug: ``iaa.Fliplr(flip_p)`` / ``iaa.Flipud(flip_p)``. Boxes: ``x1' = W - x2, x2' = W - x1``
    (or the same in y). Exact: OpenCV's flip, no interpolation.
    """

    lr_ud: Annotated[str, V.Choice("lr", "ud")] = "lr"
    flip_p: Annotated[float, V.Number(0.0, 1.0)] = 1.0

    def sample(self, rng: Any, meta: ImageMeta) -> FlipParams:
        return _FLIP if chance(rng, self.flip_p) else _NO_FLIP

    def matrix(self, params: FlipParams, meta: ImageMeta) -> np.ndarray:
        if not params.flip:
            return np.eye(3)
        if self.lr_ud == "lr":
            return np.array([[-1.0, 0.0, meta.width], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, meta.height], [0.0, 0.0, 1.0]])

    def apply_image(self, image: np.ndarray, params: FlipParams) -> np.ndarray:
        if not params.flip:
            return image.copy()
        return K.flip(image, self.lr_ud == "lr")


# --------------------------------------------------------------------------- Crop / Padding
@dataclass(frozen=True, slots=True)
class SidesParams(Params):
    """Pixels taken off (Crop) or added (Padding) on each side."""

    top: int
    right: int
    bottom: int
    left: int


class _SidesOperator(AffineOperator):
    """Shared by Crop and Padding: a shift by the left/top amounts, then (``keep_size``) a resize back."""

    _sign: ClassVar[int]  # -1 crops, +1 pads
    keep_size: bool  # fields of Crop and Padding (annotations only: no class attribute, no field here)
    interpolation: str

    def _new_size(self, p: SidesParams, meta: ImageMeta) -> tuple[int, int]:
        s = self._sign
        return meta.height + s * (p.top + p.bottom), meta.width + s * (p.left + p.right)

    def output_size(self, params: SidesParams, meta: ImageMeta) -> tuple[int, int]:
        return (meta.height, meta.width) if self.keep_size else self._new_size(params, meta)

    def matrix(self, params: SidesParams, meta: ImageMeta) -> np.ndarray:
        s = self._sign
        m = _translation(s * params.left, s * params.top)
        if self.keep_size:
            h, w = self._new_size(params, meta)
            m = _scaling(meta.width / w, meta.height / h) @ m
        return m

    def apply_image(self, image: np.ndarray, params: SidesParams) -> np.ndarray:
        sides = (params.top, params.right, params.bottom, params.left)
        out = K.crop(image, *sides) if self._sign < 0 else K.pad(image, *sides)
        if self.keep_size:
            size = image.shape[:2]
            if self.interpolation == "auto":
                flag = K.auto_interpolation(out.shape[:2], size)
            else:
                flag = K.INTERPOLATIONS[self.interpolation]
            out = K.resize(out, size[0], size[1], flag)
        return out

    def apply_mask(self, mask: np.ndarray, params: SidesParams, meta: ImageMeta) -> np.ndarray:
        """Cropped or padded (fill 0) exactly, then with ``keep_size`` resized back as imgaug
        resizes a segmentation map."""
        sides = (params.top, params.right, params.bottom, params.left)
        out = K.crop(mask, *sides) if self._sign < 0 else _pad_mask(mask, *sides)
        return resize_mask(out, meta.height, meta.width) if self.keep_size else out


def _pad_mask(mask: np.ndarray, top: int, right: int, bottom: int, left: int) -> np.ndarray:
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (mask.ndim - 2)
    return np.pad(mask, widths)


def _prevent_zero_size(size: int, a: int, b: int) -> tuple[int, int]:
    """imgaug's rule: when crops ``a`` + ``b`` would leave less than one pixel, give pixels back
    (half to each side, the odd one to ``a``; what a side cannot give goes to the other)."""
    remaining = size - (a + b)
    if remaining >= 1:
        return a, b
    regain = -remaining + 1
    ra = rb = regain // 2
    if ra + rb < regain:
        ra += 1
    if ra > a:
        rb += ra - a
        ra = a
    elif rb > b:
        ra += rb - b
        rb = b
    return max(a - ra, 0), max(b - rb, 0)


@register
class Crop(_SidesOperator):
    """Crop each side by its own fraction drawn from ``U(crop_percent_min, crop_percent_max)``.

    imgaug: ``iaa.Crop(percent=(crop_percent_min, crop_percent_max), keep_size=keep_size)``
    (``sample_independently=True``). Fractions become pixels as ``round(H * f)`` (top, bottom) and
    ``round(W * f)`` (left, right), and at least one pixel is always left, as in imgaug.
    ``keep_size=False`` (the default here) returns the cropped region; ``True`` resizes it back
    to the input size with ``interpolation``: ``"auto"`` (the default) is imgaug's own choice,
    area when the image grows back (always, for Crop), linear when it shrinks (Padding); or one
    of ``nearest``, ``linear``, ``cubic``, ``area``, ``lanczos``. Boxes are shifted (and
    scaled with ``keep_size``) by the same matrix; the box policy then clips them.
    """

    crop_percent_min: Annotated[float, V.Number(0.0, 1.0, hi_open=True, le="crop_percent_max")] = 0.0
    crop_percent_max: Annotated[float, V.Number(0.0, 1.0, hi_open=True)] = 0.2
    keep_size: Annotated[bool, V.Flag()] = False
    interpolation: Annotated[str, _INTERPOLATION_AUTO] = "auto"

    _sign: ClassVar[int] = -1

    def sample(self, rng: Any, meta: ImageMeta) -> SidesParams:
        lo, hi = self.crop_percent_min, self.crop_percent_max
        f = [lo] * 4 if lo == hi else rng.uniform(lo, hi, size=4).tolist()
        h, w = meta.height, meta.width
        # Python's round() rounds half to even, as imgaug's np.round does (and costs less on scalars)
        top, bottom = _prevent_zero_size(h, round(h * f[0]), round(h * f[2]))
        right, left = _prevent_zero_size(w, round(w * f[1]), round(w * f[3]))
        return SidesParams(top, right, bottom, left)


_PIXELS = V.Integer(0, 100_000)


@register
class Padding(_SidesOperator):
    """Add a black border of ``px_top``, ``px_right``, ``px_bottom``, ``px_left`` pixels.

    imgaug: ``iaa.Pad(px=(top, right, bottom, left), pad_mode="constant", pad_cval=0,
    keep_size=keep_size)``. The image grows (``keep_size=False``, the default here) or is resized
    back to the input size (``keep_size=True``, imgaug's default) with ``interpolation``, as for
    Crop (``"auto"``: imgaug's linear for the shrink back).
    """

    px_top: Annotated[int, _PIXELS] = 1
    px_right: Annotated[int, _PIXELS] = 1
    px_bottom: Annotated[int, _PIXELS] = 1
    px_left: Annotated[int, _PIXELS] = 1
    keep_size: Annotated[bool, V.Flag()] = False
    interpolation: Annotated[str, _INTERPOLATION_AUTO] = "auto"

    _sign: ClassVar[int] = 1

    def sample(self, rng: Any, meta: ImageMeta) -> SidesParams:
        return SidesParams(self.px_top, self.px_right, self.px_bottom, self.px_left)


# --------------------------------------------------------------------------- Resize
@dataclass(frozen=True, slots=True)
class ResizeParams(Params):
    height: int
    width: int


@register
class Resize(AffineOperator):
    """Resize to ``height`` x ``width`` pixels.

    imgaug: ``iaa.Resize({"height": height, "width": width}, interpolation=interpolation)``;
    cubic by default, as imgaug. Boxes: ``x * W'/W``, ``y * H'/H``.
    """

    height: Annotated[int, V.Integer(1, 100_000)] = 224
    width: Annotated[int, V.Integer(1, 100_000)] = 224
    interpolation: Annotated[str, _INTERPOLATION] = "cubic"

    def sample(self, rng: Any, meta: ImageMeta) -> ResizeParams:
        return ResizeParams(self.height, self.width)

    def output_size(self, params: ResizeParams, meta: ImageMeta) -> tuple[int, int]:
        return params.height, params.width

    def matrix(self, params: ResizeParams, meta: ImageMeta) -> np.ndarray:
        return _scaling(params.width / meta.width, params.height / meta.height)

    def apply_image(self, image: np.ndarray, params: ResizeParams) -> np.ndarray:
        return K.resize(image, params.height, params.width, K.INTERPOLATIONS[self.interpolation])

    def apply_mask(self, mask: np.ndarray, params: ResizeParams, meta: ImageMeta) -> np.ndarray:
        """As imgaug resizes a segmentation map (nearest neighbour, :func:`resize_mask`)."""
        return resize_mask(mask, params.height, params.width)


# --------------------------------------------------------------------------- Rotate / Scale / Shear
@dataclass(frozen=True, slots=True)
class AngleParams(Params):
    """An angle in degrees (Rotate, Shear)."""

    angle: float


@dataclass(frozen=True, slots=True)
class FactorParams(Params):
    """A scale factor (Scale)."""

    factor: float


@register
class Rotate(AffineOperator):
    """Rotate by an angle drawn from ``U(angle_min, angle_max)`` degrees about the image centre.

    imgaug: ``iaa.Rotate((angle_min, angle_max))`` (``Affine(rotate=...)``, bilinear, black
    border, shape kept). Positive angles turn clockwise on screen. A reversed range (ModelArts'
    documentation prints ``angle_min=90, angle_max=-90``) samples the same interval.

    Box policy default ``drop_image``: ModelArts leaves an image out of the output when a box
    leaves it after rotation.
    """

    angle_min: Annotated[float, V.Number(-360.0, 360.0)] = -90.0
    angle_max: Annotated[float, V.Number(-360.0, 360.0)] = 90.0

    default_box_policy: ClassVar[BoxPolicy] = DROP_IMAGE

    def sample(self, rng: Any, meta: ImageMeta) -> AngleParams:
        return AngleParams(uniform(rng, self.angle_min, self.angle_max))

    def matrix(self, params: AngleParams, meta: ImageMeta) -> np.ndarray:
        r = math.radians(params.angle)
        c, s = math.cos(r), math.sin(r)
        return about_centre(np.array([[c, -s], [s, c]]), meta)


@register
class Scale(AffineOperator):
    """Scale along one axis (``scaleXY="X"`` or ``"Y"``) by a factor from ``U(scale_min, scale_max)``,
    about the image centre, shape kept, black border.

    imgaug: ``iaa.ScaleX((scale_min, scale_max))`` / ``iaa.ScaleY(...)``.
    """

    scaleXY: Annotated[str, _AXIS] = "X"
    scale_min: Annotated[float, V.Number(0.0, 100.0, lo_open=True)] = 0.5
    scale_max: Annotated[float, V.Number(0.0, 100.0, lo_open=True)] = 1.5

    def sample(self, rng: Any, meta: ImageMeta) -> FactorParams:
        return FactorParams(uniform(rng, self.scale_min, self.scale_max))

    def matrix(self, params: FactorParams, meta: ImageMeta) -> np.ndarray:
        f = params.factor
        lin = np.diag([f, 1.0]) if self.scaleXY == "X" else np.diag([1.0, f])
        return about_centre(lin, meta)


@register
class Shear(AffineOperator):
    """Shear along one axis by an angle from ``U(shear_min, shear_max)`` degrees, about the centre.

    imgaug: ``iaa.ShearX(...)`` / ``iaa.ShearY(...)`` with imgaug's signs (measured):
    X: ``x' = x - tan(s) * (y - H/2)`` (the top moves right for s > 0);
    Y: ``y' = y + tan(s) * (x - W/2)``. Angles must lie strictly between -90 and 90.
    """

    shearXY: Annotated[str, _AXIS] = "X"
    shear_min: Annotated[float, V.Number(-90.0, 90.0, lo_open=True, hi_open=True)] = -30.0
    shear_max: Annotated[float, V.Number(-90.0, 90.0, lo_open=True, hi_open=True)] = 30.0

    def sample(self, rng: Any, meta: ImageMeta) -> AngleParams:
        return AngleParams(uniform(rng, self.shear_min, self.shear_max))

    def matrix(self, params: AngleParams, meta: ImageMeta) -> np.ndarray:
        t = math.tan(math.radians(params.angle))
        lin = np.array([[1.0, -t], [0.0, 1.0]]) if self.shearXY == "X" else np.array([[1.0, 0.0], [t, 1.0]])
        return about_centre(lin, meta)


# --------------------------------------------------------------------------- Translate
@dataclass(frozen=True, slots=True)
class TranslateParams(Params):
    """The shift as a fraction of the image width (X) or height (Y)."""

    fraction: float


@register
class Translate(AffineOperator):
    """Shift along one axis by a fraction of the size drawn from ``U(translate_min, translate_max)``.

    imgaug: ``iaa.TranslateX(percent=(translate_min, translate_max))`` / ``TranslateY``: the shift
    is ``fraction * W`` (or ``* H``) pixels, not rounded; a whole-pixel shift is an exact copy,
    any other shift is a bilinear warp. Black border, shape kept.
    """

    translateXY: Annotated[str, _AXIS] = "X"
    translate_min: Annotated[float, V.Number(-1.0, 1.0)] = -0.25
    translate_max: Annotated[float, V.Number(-1.0, 1.0)] = 0.25

    def sample(self, rng: Any, meta: ImageMeta) -> TranslateParams:
        return TranslateParams(uniform(rng, self.translate_min, self.translate_max))

    def _shift(self, params: TranslateParams, meta: ImageMeta) -> tuple[float, float]:
        if self.translateXY == "X":
            return params.fraction * meta.width, 0.0
        return 0.0, params.fraction * meta.height

    def matrix(self, params: TranslateParams, meta: ImageMeta) -> np.ndarray:
        return _translation(*self._shift(params, meta))

    def warp(self, image: np.ndarray, matrix: np.ndarray, params: TranslateParams, meta: ImageMeta) -> np.ndarray:
        dx, dy = matrix[0, 2], matrix[1, 2]
        if float(dx).is_integer() and float(dy).is_integer():
            return K.shift(image, int(dx), int(dy))
        return K.warp_affine(image, matrix, (meta.height, meta.width))
