"""The filter operators: Blur, MotionBlur, Sharpen.

imgaug 0.4.0 is the reference (its call and defaults are named in each docstring). Pixels only:
boxes, labels and fields pass through. uint8, uint16 and float32; images ``(H, W)`` or
``(H, W, C)`` with C in 1, 3, 4 (alpha is not filtered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import ALL_DTYPES, Operator, Params, register
from ..core.sampling import randint, uniform
from ..kernels import blur as K
from ..structures import ImageMeta

__all__ = ["Blur", "MotionBlur", "Sharpen"]


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

    blur_type: Annotated[str, V.Choice("Gauss", "Average")] = "Gauss"
    sigma_min: Annotated[float, V.Number(0.0, 100.0, le="sigma_max")] = 0.0
    sigma_max: Annotated[float, V.Number(0.0, 100.0)] = 3.0
    k_min: Annotated[int, V.Integer(1, 255, le="k_max")] = 1
    k_max: Annotated[int, V.Integer(1, 255)] = 7

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    def sample(self, rng: Any, meta: ImageMeta) -> BlurParams:
        if self.blur_type == "Gauss":
            return BlurParams(sigma=uniform(rng, self.sigma_min, self.sigma_max))
        return BlurParams(k=randint(rng, self.k_min, self.k_max))

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

    k_min: Annotated[int, V.Integer(3, 255, le="k_max")] = 3
    k_max: Annotated[int, V.Integer(3, 255)] = 7
    angle_min: Annotated[float, V.Number(-720.0, 720.0, le="angle_max")] = 0.0
    angle_max: Annotated[float, V.Number(-720.0, 720.0)] = 360.0
    direction_min: Annotated[float, V.Number(-1.0, 1.0, le="direction_max")] = -1.0
    direction_max: Annotated[float, V.Number(-1.0, 1.0)] = 1.0

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    def sample(self, rng: Any, meta: ImageMeta) -> MotionParams:
        k = randint(rng, self.k_min, self.k_max)
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

    alpha_min: Annotated[float, V.Number(0.0, 1.0, le="alpha_max")] = 0.0
    alpha_max: Annotated[float, V.Number(0.0, 1.0)] = 0.2
    lightness_min: Annotated[float, V.Number(0.0, 100.0, le="lightness_max")] = 0.8
    lightness_max: Annotated[float, V.Number(0.0, 100.0)] = 1.2

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    def sample(self, rng: Any, meta: ImageMeta) -> SharpenParams:
        return SharpenParams(
            uniform(rng, self.alpha_min, self.alpha_max), uniform(rng, self.lightness_min, self.lightness_max)
        )

    def apply_image(self, image: np.ndarray, params: SharpenParams) -> np.ndarray:
        return K.convolve(image, K.sharpen_matrix(params.alpha, params.lightness))
