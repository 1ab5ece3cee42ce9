"""AddNoise: additive Gaussian / Laplace / signed-Poisson noise, impulse and salt-and-pepper noise.

imgaug 0.4.0 is the reference (calls named in the docstring). Pixels only: boxes, labels and fields
pass through. ``sample()`` draws one 64-bit seed; ``apply_image`` rebuilds the per-pixel noise from
it (:func:`augment.kernels.noise.generator`), so params stay small and replay is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np

from ..core import validate as V
from ..core.base import ALL_DTYPES, Operator, Params, register
from ..core.sampling import draw_seed
from ..kernels import noise as K
from ..structures import ImageMeta

__all__ = ["AddNoise"]

_TYPES = ("Gauss", "Laplace", "Poisson", "Impulse", "SaltAndPepper")


@dataclass(frozen=True, slots=True)
class SeedParams(Params):
    """The seed of the per-pixel random field."""

    seed: int


@register
class AddNoise(Operator):
    """Per-pixel noise of type ``noise_type``:

    * ``"Gauss"``: adds ``round(N(loc, scale))``; imgaug ``iaa.AdditiveGaussianNoise(loc, scale)``;
    * ``"Laplace"``: adds ``round(Laplace(loc, scale))``; imgaug ``iaa.AdditiveLaplaceNoise(loc, scale)``;
    * ``"Poisson"``: adds ``+-Poisson(lam)`` (random sign: mean 0, independent of the pixel);
      imgaug ``iaa.AdditivePoissonNoise(lam)``;
    * ``"Impulse"``: each colour channel value is replaced with probability ``p``;
      imgaug ``iaa.ImpulseNoise(p)``;
    * ``"SaltAndPepper"``: each pixel (all colour channels alike) is replaced with probability
      ``p``; imgaug ``iaa.SaltAndPepper(p)``.

    Defaults ``loc=0, scale=1, lam=2, p=0.01`` (ModelArts'). ``loc`` and ``scale`` are uint8
    intensity units (0..255). Replacement values are ``Beta(0.5, 0.5) * 255`` as in imgaug: mostly
    near 0 or 255, every level possible. ``per_channel`` (default False, as imgaug) draws the
    additive noise per channel instead of once per pixel; Impulse is always per channel.

    uint8: noise rounded and clipped to +-255, added with saturation (see
    :mod:`augment.kernels.noise` for the 2**-16 table sampler). uint16 (units x 257) and float32
    (taken as [0, 1], units / 255): exact float32 draws, result clipped to the range. Alpha is
    untouched.

    ``p`` here is ModelArts' (Impulse/SaltAndPepper replacement probability), so the probability
    that the operator runs, ``p`` on every other operator, is ``apply_p`` on this one.
    """

    noise_type: Annotated[str, V.Choice(*_TYPES)] = "Gauss"
    loc: Annotated[float, V.Number(-255.0, 255.0)] = 0.0
    scale: Annotated[float, V.Number(0.0, 1000.0)] = 1.0
    lam: Annotated[float, V.Number(0.0, 200.0)] = 2.0
    p: Annotated[float, V.Number(0.0, 1.0)] = 0.01  # ModelArts' name: the replacement probability
    per_channel: Annotated[bool, V.Flag()] = False
    apply_p: Annotated[float, V.PROBABILITY] = 1.0

    dtypes: ClassVar[tuple[type, ...]] = ALL_DTYPES
    gate: ClassVar[str | None] = "apply_p"

    def sample(self, rng: Any, meta: ImageMeta) -> SeedParams:
        return SeedParams(draw_seed(rng))

    def apply_image(self, image: np.ndarray, params: SeedParams) -> np.ndarray:
        gen = K.generator(params.seed)
        t = self.noise_type
        if t in ("Impulse", "SaltAndPepper"):
            return K.replace_values(image, gen, self.p, per_channel=(t == "Impulse"))
        if image.dtype == np.uint8:
            table = K.noise_table(t, self.loc, self.scale, self.lam)
            return K.add_noise_u8(image, gen, table, self.per_channel)
        unit = 257.0 if image.dtype == np.uint16 else 1.0 / 255.0
        return K.add_noise_float(image, gen, t, self.loc, self.scale, self.lam, self.per_channel, unit)
