"""The filter operators: Blur, MotionBlur, Sharpen.

imgaug 0.4.0 is the reference (its call and defaults are named in each docstring). Pixels only:
boxes, labels and fields pass through. uint8, uint16 and float32; images ``(H, W)`` or
``(H, W, C)`` with C in 1, 3, 4 (alpha is not filtered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import Operator, Params, register, uniform
from ..kernels import blur as K
from ..structures import ImageMeta
from .color import _range

__all__ = ["Blur", "MotionBlur", "Sharpen"]

_ALL = (np.uint8, np.uint16, np.float32)


def _int_range(op: Operator, lo_name: str, hi_name: str, lo: int, hi: int) -> None:
    a = V.integer(op.name, lo_name, getattr(op, lo_name), lo, hi)
    b = V.integer(op.name, hi_name, getattr(op, hi_name), lo, hi)
    V.ordered(op.name, lo_name, a, hi_name, b)
    op._set(lo_name, a)
    op._set(hi_name, b)


def _randint(rng: Any, lo: int, hi: int) -> int:
    """One draw from the integers lo..hi (inclusive); no draw when lo == hi."""
    return lo if lo == hi else int(rng.integers(lo, hi + 1))


@dataclass(frozen=True, slots=True)
class BlurParams(Params):
    """``sigma`` for Gauss (0 for Average), ``k`` for Average (0 for Gauss)."""

    sigma: float = 0.0
    k: int = 0


@register
class Blur(Operator):
    """Gaussian (``blur_type="Gauss"``) or box (``"Average"``) blur.

    * Gauss: imgaug ``iaa.GaussianBlur(sigma=(sigma_min, sigma_max))``, default (0.0, 3.0):
      ``cv2.GaussianBlur`` with imgaug's kernel size (about 3.3 sigma, odd, at least 5);
      sigma <= 0.001 leaves the image unchanged.
    * Average: imgaug ``iaa.AverageBlur(k=(k_min, k_max))``, default (1, 7): a ``k x k`` mean
      (``cv2.blur``), k drawn from the integers k_min..k_max (even sizes included, as imgaug).
    """

    blur_type: str = "Gauss"
    sigma_min: float = 0.0
    sigma_max: float = 3.0
    k_min: int = 1
    k_max: int = 7

    dtypes: ClassVar[tuple[type, ...]] = _ALL

    def _check(self) -> None:
        self._set("blur_type", V.choice(self.name, "blur_type", self.blur_type, ("Gauss", "Average")))
        _range(self, "sigma_min", "sigma_max", 0.0, 100.0)
        _int_range(self, "k_min", "k_max", 1, 255)

    def sample(self, rng: Any, meta: ImageMeta) -> BlurParams:
        if self.blur_type == "Gauss":
            return BlurParams(sigma=uniform(rng, self.sigma_min, self.sigma_max))
        return BlurParams(k=_randint(rng, self.k_min, self.k_max))

    def apply_image(self, image: np.ndarray, params: BlurParams) -> np.ndarray:
        if self.blur_type == "Gauss":
            return K.gaussian_blur(image, params.sigma)
        return K.average_blur(image, params.k)


@dataclass(frozen=True, slots=True)
class MotionParams(Params):
    k: int
    angle: float
    direction: float


@register
class MotionBlur(Operator):
    """Blur along a line: kernel size ``k`` from the integers k_min..k_max (even sizes go up by
    one), ``angle`` from ``U(angle_min, angle_max)`` degrees (0 = vertical, clockwise),
    ``direction`` from ``U(direction_min, direction_max)`` (-1..1: weight shifted to one end).

    imgaug: ``iaa.MotionBlur(k=(3, 7), angle=(0, 360), direction=(-1, 1))`` (its defaults), the
    kernel built as imgaug builds it (a line with ``linspace`` weights, quantised to uint8,
    rotated bilinearly, normalised) and applied with ``cv2.filter2D``.
    """

    k_min: int = 3
    k_max: int = 7
    angle_min: float = 0.0
    angle_max: float = 360.0
    direction_min: float = -1.0
    direction_max: float = 1.0

    dtypes: ClassVar[tuple[type, ...]] = _ALL

    def _check(self) -> None:
        _int_range(self, "k_min", "k_max", 3, 255)
        _range(self, "angle_min", "angle_max", -720.0, 720.0)
        _range(self, "direction_min", "direction_max", -1.0, 1.0)

    def sample(self, rng: Any, meta: ImageMeta) -> MotionParams:
        k = _randint(rng, self.k_min, self.k_max)
        angle = uniform(rng, self.angle_min, self.angle_max)
        direction = uniform(rng, self.direction_min, self.direction_max)
        return MotionParams(k + 1 if k % 2 == 0 else k, angle, direction)

    def apply_image(self, image: np.ndarray, params: MotionParams) -> np.ndarray:
        return K.convolve(image, K.motion_kernel(params.k, params.angle, params.direction))


@dataclass(frozen=True, slots=True)
class SharpenParams(Params):
    alpha: float
    lightness: float


@register
class Sharpen(Operator):
    """Sharpen with imgaug's 3x3 kernel ``(1 - a) * I + a * [[-1,-1,-1],[-1,8+L,-1],[-1,-1,-1]]``,
    ``a`` from ``U(alpha_min, alpha_max)``, ``L`` from ``U(lightness_min, lightness_max)``.

    imgaug: ``iaa.Sharpen(alpha=(0.0, 0.2), lightness=(0.8, 1.2))`` (its defaults), applied with
    ``cv2.filter2D``: identical output for fixed parameters.
    """

    alpha_min: float = 0.0
    alpha_max: float = 0.2
    lightness_min: float = 0.8
    lightness_max: float = 1.2

    dtypes: ClassVar[tuple[type, ...]] = _ALL

    def _check(self) -> None:
        _range(self, "alpha_min", "alpha_max", 0.0, 1.0)
        _range(self, "lightness_min", "lightness_max", 0.0, 100.0)

    def sample(self, rng: Any, meta: ImageMeta) -> SharpenParams:
        return SharpenParams(
            uniform(rng, self.alpha_min, self.alpha_max), uniform(rng, self.lightness_min, self.lightness_max)
        )

    def apply_image(self, image: np.ndarray, params: SharpenParams) -> np.ndarray:
        return K.convolve(image, K.sharpen_matrix(params.alpha, params.lightness))
