"""The colour and intensity operators: Grayscale, HistogramEqual, LightArithmetic, LightContrast,
Saturation.

imgaug 0.4.0 is the reference for each (its call and defaults are named in each docstring). They
change pixels only: boxes, labels and fields pass through. A fourth (alpha) channel is never
changed. ``LightContrast`` is a :class:`~augment.core.lut.LutOperator` (one 256-entry table per
image, fusable with its neighbours in a pipeline); ``LightArithmetic`` is one on gray images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import ALL_DTYPES, Operator, Params, register
from ..core.lut import LutOperator
from ..core.sampling import uniform
from ..kernels import color as K
from ..structures import ImageMeta

__all__ = ["Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast", "Saturation"]


@dataclass(frozen=True, slots=True)
class AlphaParams(Params):
    alpha: float


@dataclass(frozen=True, slots=True)
class MulParams(Params):
    mul: float


# --------------------------------------------------------------------------- Grayscale
@register
class Grayscale(Operator):
    """Turn the image gray (three equal channels), blended with the original by an alpha drawn
    from ``U(alpha_min, alpha_max)``.

    imgaug: ``iaa.Grayscale(alpha=(alpha_min, alpha_max))`` (defaults alpha 1.0): ``cv2``
    RGB->GRAY, repeated to 3 channels, ``round(orig + alpha * (gray - orig))``; alpha <= 0.001
    leaves the image as it is, >= 0.999 gives the gray image. Gray input (``(H, W)`` or one
    channel) is already gray and is returned unchanged (as a copy). uint8, uint16, float32.
    """

    alpha_min: Annotated[float, V.Number(0.0, 1.0, le="alpha_max")] = 1.0
    alpha_max: Annotated[float, V.Number(0.0, 1.0)] = 1.0

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    def sample(self, rng: Any, meta: ImageMeta) -> AlphaParams:
        return AlphaParams(uniform(rng, self.alpha_min, self.alpha_max))

    def apply_image(self, image: np.ndarray, params: AlphaParams) -> np.ndarray:
        return K.grayscale(image, params.alpha)


# --------------------------------------------------------------------------- HistogramEqual
@register
class HistogramEqual(Operator):
    """Equalise the histogram of the L channel of Lab; a and b are kept.

    imgaug: ``iaa.HistogramEqualization()`` (``to_colorspace="Lab"``, ``cv2.equalizeHist``).
    One-channel input is equalised directly (as imgaug does). uint8 only.
    """

    def sample(self, rng: Any, meta: ImageMeta) -> Params:
        return Params()

    def apply_image(self, image: np.ndarray, params: Params) -> np.ndarray:
        return K.equalize_lab(image)


# --------------------------------------------------------------------------- LightArithmetic
@dataclass(frozen=True, slots=True)
class MulAddParams(Params):
    mul: float
    add: float


@register
class LightArithmetic(LutOperator):
    """Linear change of brightness: ``Y' = Y * mul + round(add)`` on Y of YCrCb, with ``mul`` from
    ``U(mul_min, mul_max)`` and ``add`` from ``U(add_min, add_max)``.

    imgaug: ``iaa.MultiplyAndAddToBrightness(mul=(0.7, 1.3), add=(-30, 30),
    to_colorspace="YCrCb", random_order=False)`` (its defaults; imgaug picks the brightness
    colour space at random among six and the order of the two steps at random; here it is Y of
    YCrCb, multiply first, as ModelArts describes a linear change). Each step truncates to uint8
    like imgaug's tables. Gray input: the gray value is Y, so the change is a lookup table on it
    (and fuses with neighbouring table operators). uint8 only.
    """

    mul_min: Annotated[float, V.Number(0.0, 100.0, le="mul_max")] = 0.7
    mul_max: Annotated[float, V.Number(0.0, 100.0)] = 1.3
    add_min: Annotated[float, V.Number(-255.0, 255.0, le="add_max")] = -30.0
    add_max: Annotated[float, V.Number(-255.0, 255.0)] = 30.0

    def sample(self, rng: Any, meta: ImageMeta) -> MulAddParams:
        return MulAddParams(uniform(rng, self.mul_min, self.mul_max), uniform(rng, self.add_min, self.add_max))

    def _table(self, params: MulAddParams) -> np.ndarray:
        return K.add_table(params.add)[K.multiply_table(params.mul)]

    def lut(self, params: MulAddParams, meta: ImageMeta) -> np.ndarray | None:
        return self._table(params) if meta.channels in (0, 1) else None

    def apply_image(self, image: np.ndarray, params: MulAddParams) -> np.ndarray:
        return K.brightness_ycrcb(image, self._table(params))


# --------------------------------------------------------------------------- LightContrast
_FUNCS = ("gamma", "sigmoid", "log", "linear")
#: imgaug's default ranges per function: GammaContrast, SigmoidContrast, LogContrast, LinearContrast
_GAIN_DEFAULTS = {"sigmoid": (5.0, 6.0), "log": (0.4, 1.6)}


@dataclass(frozen=True, slots=True)
class ContrastParams(Params):
    """The drawn value of each parameter the function uses (others 0)."""

    gamma: float = 0.0
    gain: float = 0.0
    cutoff: float = 0.0
    alpha: float = 0.0


@register
class LightContrast(LutOperator):
    """Contrast change by a lookup table, one of four functions (``func``), of ``v`` in 0..255:

    * ``"gamma"``: ``255 * (v / 255) ** gamma``, gamma from ``U(gamma_min, gamma_max)`` = (0.7, 1.7);
      imgaug ``iaa.GammaContrast(gamma=(0.7, 1.7))``;
    * ``"sigmoid"``: ``255 / (1 + exp(gain * (cutoff - v / 255)))``, gain (5, 6), cutoff (0.3, 0.6);
      imgaug ``iaa.SigmoidContrast(gain=(5, 6), cutoff=(0.3, 0.6))``;
    * ``"log"``: ``255 * gain * log2(1 + v / 255)``, gain (0.4, 1.6); imgaug ``iaa.LogContrast``;
    * ``"linear"``: ``127 + alpha * (v - 127)``, alpha (0.6, 1.4); imgaug ``iaa.LinearContrast``.

    ``gain_min``/``gain_max`` left as ``None`` take the function's imgaug default. uint8 tables
    are built as imgaug builds them (float32, truncated): identical output. uint16 and float32
    (taken as [0, 1]) use the same formulas on normalised values. Every colour channel gets the
    same table; alpha is untouched.
    """

    func: Annotated[str, V.Choice(*_FUNCS)] = "gamma"
    gamma_min: Annotated[float, V.Number(0.0, 100.0, lo_open=True, le="gamma_max")] = 0.7
    gamma_max: Annotated[float, V.Number(0.0, 100.0, lo_open=True)] = 1.7
    gain_min: Annotated[float | None, V.Number(0.0, 1000.0, optional=True, le="gain_max")] = None
    gain_max: Annotated[float | None, V.Number(0.0, 1000.0, optional=True)] = None
    cutoff_min: Annotated[float, V.Number(0.0, 1.0, le="cutoff_max")] = 0.3
    cutoff_max: Annotated[float, V.Number(0.0, 1.0)] = 0.6
    alpha_min: Annotated[float, V.Number(0.0, 100.0, le="alpha_max")] = 0.6
    alpha_max: Annotated[float, V.Number(0.0, 100.0)] = 1.4

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES

    @classmethod
    def _check_values(cls, values: dict[str, Any]) -> None:
        # a None gain bound is the function's default when drawn: the pair as drawn must be ordered
        V.ordered_with_default(
            cls.__name__, values, "gain_min", "gain_max", _GAIN_DEFAULTS.get(values["func"], (1.0, 1.0))
        )

    def gain_range(self) -> tuple[float, float]:
        """The gain range as drawn: a ``None`` bound takes the function's imgaug default when it is
        used (so ``evolve(func="sigmoid")`` gets sigmoid's)."""
        return V.effective_range(self, "gain_min", "gain_max", _GAIN_DEFAULTS.get(self.func, (1.0, 1.0)))

    def sample(self, rng: Any, meta: ImageMeta) -> ContrastParams:
        f = self.func
        if f == "gamma":
            return ContrastParams(gamma=uniform(rng, self.gamma_min, self.gamma_max))
        if f in ("sigmoid", "log"):
            gain = uniform(rng, *self.gain_range())
            if f == "log":
                return ContrastParams(gain=gain)
            return ContrastParams(gain=gain, cutoff=uniform(rng, self.cutoff_min, self.cutoff_max))
        return ContrastParams(alpha=uniform(rng, self.alpha_min, self.alpha_max))

    def lut(self, params: ContrastParams, meta: ImageMeta) -> np.ndarray:
        f = self.func
        if f == "gamma":
            return K.gamma_table(params.gamma)
        if f == "sigmoid":
            return K.sigmoid_table(params.gain, params.cutoff)
        if f == "log":
            return K.log_table(params.gain)
        return K.linear_table(params.alpha)

    def apply_float(self, values: np.ndarray, params: ContrastParams) -> np.ndarray:
        f = self.func
        if f == "gamma":
            return K.gamma_float(values, params.gamma)
        if f == "sigmoid":
            return K.sigmoid_float(values, params.gain, params.cutoff)
        if f == "log":
            return K.log_float(values, params.gain)
        return K.linear_float(values, params.alpha)


# --------------------------------------------------------------------------- Saturation
@register
class Saturation(Operator):
    """Linear change of hue and saturation: H and S of HSV are both multiplied by one factor from
    ``U(mul_min, mul_max)``; V is kept.

    imgaug: ``iaa.MultiplyHueAndSaturation(mul=(0.5, 1.5))`` (per_channel=False): hue scaled to
    0..255, multiplied and wrapped modulo 255; saturation multiplied and clipped. Implemented as
    one per-channel table on OpenCV's HSV image. Gray input has no hue and no saturation and is
    returned unchanged (as a copy). uint8 only.
    """

    mul_min: Annotated[float, V.Number(0.0, 10.0, le="mul_max")] = 0.5
    mul_max: Annotated[float, V.Number(0.0, 10.0)] = 1.5

    def sample(self, rng: Any, meta: ImageMeta) -> MulParams:
        return MulParams(uniform(rng, self.mul_min, self.mul_max))

    def apply_image(self, image: np.ndarray, params: MulParams) -> np.ndarray:
        return K.multiply_hue_saturation(image, params.mul, params.mul)
