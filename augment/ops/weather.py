"""Weather: rain, fog, snow or clouds drawn over the image.

imgaug 0.4.0's ``Rain``, ``Fog``, ``Snowflakes`` and ``Clouds`` are the reference: the same
procedures, parameters and ranges, re-implemented as vectorised uint8 kernels
(:mod:`augment.kernels.weather`), so outputs match imgaug's in distribution (coverage, brightness,
texture scale), not pixel for pixel. Pixels only: boxes, labels and fields pass through. uint8
only; alpha untouched.

Every random value of a layer is drawn in :meth:`Weather.sample` (the noise fields come from a
generator seeded by a drawn seed), so seeded outputs are identical in any process or worker count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from ..core import validate as V
from ..core.base import Operator, Params, register
from ..core.sampling import draw_seed, uniform
from ..kernels import noise as KN
from ..kernels import weather as K
from ..structures import ImageMeta

__all__ = ["Weather"]

_MODES = ("Rain", "Fog", "Snow", "Clouds")

#: per mode: (density, speed, intensity) default (min, max): imgaug's ranges
_DEFAULTS = {
    # density: RainLayer density (drop probability per pixel), speed: RainLayer speed (streak
    # length / long side), intensity: the drop colour (see the class docstring)
    "Rain": ((0.03, 0.14), (0.04, 0.20), (240.0, 240.0)),
    # density: CloudLayer density_multiplier, intensity: intensity_mean; speed unused
    "Fog": ((0.4, 0.9), (0.0, 0.0), (220.0, 255.0)),
    # density: SnowflakesLayer density (flake probability per cell of the flake grid), speed:
    # SnowflakesLayer speed (trail length / long side); intensity unused
    "Snow": ((0.005, 0.075), (0.007, 0.03), (255.0, 255.0)),
    # density: the first CloudLayer's density_multiplier (the second's is mapped from it),
    # intensity: intensity_mean of each layer; speed unused
    "Clouds": ((0.5, 1.0), (0.0, 0.0), (196.0, 255.0)),
}


@dataclass(frozen=True, slots=True)
class WeatherParams(Params):
    layers: tuple[Any, ...]  # kernels.weather RainLayer / SnowLayer / CloudLayer, in blending order
    colour: float  # Rain: the drop colour; other modes: unused (0)
    seed: int  # the noise fields' generator


@register
class Weather(Operator):
    """Draw ``weather_mode`` ("Rain", "Fog", "Snow", "Clouds") over the image, as imgaug 0.4.0 does.

    * **Rain** = ``iaa.Rain()`` (``SomeOf((1, 3))`` ``RainLayer``s): 1-3 layers, each with drop
      ``density`` U(0.03, 0.14) (probability of a drop per pixel of the drop grid, which is
      ``1 - drop_size`` x the image, drop_size U(0.01, 0.02)), density_uniformity U(0.8, 1.0)
      (a smooth gate thinning the drops), streaks of ``speed`` U(0.04, 0.20) x the long side at
      U(-15, 15) degrees. Each layer blends ``(1 - a) x + a c`` with ``a = clip(1.3 n / 255)``
      (``n`` the motion-blurred drop field) towards the drop colour ``c`` = ``intensity``
      (default 240: imgaug computes ``110 + 130 % s`` with ``s`` the sum of the first 1000
      noise values, which is 240 unless the image's first row has almost no rain).
      ``iaa.Rain(speed=s)`` is ``speed_min = speed_max = s``.
    * **Fog** = ``iaa.Fog()`` (one ``CloudLayer``): haze opacity ``density`` U(0.4, 0.9)
      (density_multiplier) x ``(alpha_min + 0.3 A) ** 0.9`` with alpha_min U(0.7, 0.9) and ``A``
      power-law noise (exponent U(-4, -2)) on 2-8 cells; brightness ``intensity`` U(220, 255)
      (intensity_mean) with +-20 % power-law detail (exponent U(-2, -1.5)) and small coarse
      offsets (N(0, 2) on 8 x 8).
    * **Snow** = ``iaa.Snowflakes()`` (``SomeOf((1, 3))`` ``SnowflakesLayer``s): 1-3 layers,
      each with flake ``density`` U(0.005, 0.075) (probability per cell of the flake grid,
      ``1 - flake_size`` x the image, flake_size U(0.2, 0.7)), density_uniformity U(0.3, 0.9),
      flake_size_uniformity U(0.4, 0.8) (tone: gamma ``1 + 2 (1 - u)``, gain ``1 + 5 (1 - u)``),
      falling at U(-30, 30) degrees with a trail of ``speed`` U(0.007, 0.03) x the long side,
      a Gaussian blur of U(0.0001, 0.001) x the long side (at least 0.5, at most 3.75 px);
      blended ``max(x + (0.1 + 20 speed) n, (1 + 20 speed) n)``. ``iaa.Snowflakes(density=d,
      speed=s)`` is ``density_min = density_max = d``, ``speed_min = speed_max = s``.
    * **Clouds** = ``iaa.Clouds()`` (``SomeOf((1, 2))`` of two ``CloudLayer``s): a large-blob
      layer (opacity ``density`` U(0.5, 1.0) x ``(U(0.25, 0.75) A) ** U(0.8, 1.0)``, ``A`` on
      2-8 cells, exponent U(-2.5, -2)) and a detailed one (opacity U(0.8, 1.5), mapped from
      ``density`` as ``0.8 + 1.4 (density - 0.5)``, x ``(U(0.5, 1.0) A) ** U(1.0, 1.4)``, ``A``
      on 64-128 cells, exponent U(-2, -1)); brightness ``intensity`` U(196, 255) per layer with
      +-20 % detail and N(0, 10) coarse offsets. One of the two layers, or both.

    ``density_*``, ``speed_*`` and ``intensity_*`` left as ``None`` take the mode's default;
    parameters a mode does not use are accepted and ignored.
    """

    weather_mode: Annotated[str, V.Choice(*_MODES)] = "Rain"
    density_min: Annotated[float | None, V.Number(0.0, 2.0, optional=True, le="density_max")] = None
    density_max: Annotated[float | None, V.Number(0.0, 2.0, optional=True)] = None
    speed_min: Annotated[float | None, V.Number(0.0, 1.0, optional=True, le="speed_max")] = None
    speed_max: Annotated[float | None, V.Number(0.0, 1.0, optional=True)] = None
    intensity_min: Annotated[float | None, V.Number(0.0, 255.0, optional=True, le="intensity_max")] = None
    intensity_max: Annotated[float | None, V.Number(0.0, 255.0, optional=True)] = None

    @classmethod
    def _check_values(cls, values: dict[str, Any]) -> None:
        # a None bound is the mode's default when drawn: each pair as drawn must be ordered
        for key, default in zip(("density", "speed", "intensity"), _DEFAULTS[values["weather_mode"]], strict=True):
            V.ordered_with_default(cls.__name__, values, key + "_min", key + "_max", default)

    def ranges(self) -> dict[str, tuple[float, float]]:
        """The ``density``, ``speed`` and ``intensity`` ranges as drawn: a ``None`` bound takes the
        mode's default when it is used (so ``evolve(weather_mode="Fog")`` gets Fog's)."""
        return {key: V.effective_range(self, key + "_min", key + "_max", default)
                for key, default in zip(("density", "speed", "intensity"), _DEFAULTS[self.weather_mode], strict=True)}

    def sample(self, rng: Any, meta: ImageMeta) -> WeatherParams:
        mode = self.weather_mode
        r = self.ranges()
        (d_lo, d_hi), (s_lo, s_hi), (i_lo, i_hi) = r["density"], r["speed"], r["intensity"]

        def density() -> float:
            return uniform(rng, d_lo, d_hi)

        def speed() -> float:
            return uniform(rng, s_lo, s_hi)

        def intensity() -> float:
            return uniform(rng, i_lo, i_hi)

        if mode == "Rain":
            rain = tuple(K.RainLayer(density(), uniform(rng, 0.8, 1.0), uniform(rng, 0.01, 0.02),
                                     uniform(rng, -15.0, 15.0), speed())
                         for _ in range(int(rng.integers(1, 4))))
            return WeatherParams(rain, intensity(), draw_seed(rng))
        if mode == "Snow":
            snow = tuple(K.SnowLayer(density(), uniform(rng, 0.3, 0.9), uniform(rng, 0.2, 0.7),
                                     uniform(rng, 0.4, 0.8), uniform(rng, -30.0, 30.0), speed(),
                                     uniform(rng, 0.0001, 0.001))
                         for _ in range(int(rng.integers(1, 4))))
            return WeatherParams(snow, 0.0, draw_seed(rng))
        if mode == "Fog":
            fog = K.CloudLayer(intensity(), uniform(rng, -2.0, -1.5), 2.0, uniform(rng, 0.7, 0.9), 0.3,
                               int(rng.integers(2, 9)), uniform(rng, -4.0, -2.0), 0.9, density())
            return WeatherParams((fog,), 0.0, draw_seed(rng))
        count = int(rng.integers(1, 3))
        which = (0, 1) if count == 2 else (int(rng.integers(0, 2)),)
        clouds: list[K.CloudLayer] = []
        for i in which:
            if i == 0:
                clouds.append(K.CloudLayer(intensity(), uniform(rng, -2.5, -2.0), 10.0, 0.0, uniform(rng, 0.25, 0.75),
                                           int(rng.integers(2, 9)), uniform(rng, -2.5, -2.0), uniform(rng, 0.8, 1.0),
                                           density()))
            else:
                clouds.append(K.CloudLayer(intensity(), uniform(rng, -2.0, -1.0), 10.0, 0.0, uniform(rng, 0.5, 1.0),
                                           int(rng.integers(64, 129)), uniform(rng, -2.0, -1.0),
                                           uniform(rng, 1.0, 1.4), max(0.0, 0.8 + 1.4 * (density() - 0.5))))
        return WeatherParams(tuple(clouds), 0.0, draw_seed(rng))

    def apply_image(self, image: np.ndarray, params: WeatherParams) -> np.ndarray:
        gen = KN.generator(params.seed)
        mode = self.weather_mode
        if mode == "Rain":
            return K.rain(image, gen, params.layers, params.colour)
        if mode == "Snow":
            return K.snow(image, gen, params.layers)
        return K.clouds(image, gen, params.layers)
