"""Weather: rain, fog, snow or clouds drawn over the image.

imgaug 0.4.0's ``Rain``, ``Fog``, ``Snowflakes`` and ``Clouds`` are the reference for the look and
the default ranges; the layers are drawn with cheaper procedures (see
:mod:`augment.kernels.weather`), so outputs are alike in kind, not pixel-equal. Pixels only:
boxes, labels and fields pass through. uint8 only; alpha untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import validate as V
from ..core.base import Operator, Params, register, uniform
from ..kernels import noise as KN
from ..kernels import weather as K
from ..structures import ImageMeta
from .color import _range
from .noise import draw_seed

__all__ = ["Weather"]

_MODES = ("Rain", "Fog", "Snow", "Clouds")

#: per mode: density, speed, intensity (min, max) defaults, after imgaug's ranges
_DEFAULTS = {
    # density: fraction of pixels seeding a drop (imgaug RainLayer density 0.03-0.14); speed: streak
    # length as a fraction of the long side (imgaug speed 0.04-0.20); intensity: drop colour.
    "Rain": ((0.03, 0.14), (0.04, 0.20), (110.0, 240.0)),
    # density: haze opacity multiplier (imgaug Fog density_multiplier 0.4-0.9); speed unused;
    # intensity: haze brightness (imgaug intensity_mean 220-255).
    "Fog": ((0.4, 0.9), (0.0, 0.0), (220.0, 255.0)),
    # density: fraction of (downscaled) pixels that are flakes (imgaug Snowflakes 0.005-0.075);
    # speed: fall streak as a fraction of the size (imgaug 0.007-0.03); intensity unused.
    "Snow": ((0.005, 0.075), (0.007, 0.03), (255.0, 255.0)),
    # density: cloud opacity multiplier (imgaug 0.5-1.0 / 0.8-1.5); intensity: 196-255.
    "Clouds": ((0.5, 1.0), (0.0, 0.0), (196.0, 255.0)),
}


@dataclass(frozen=True, slots=True)
class WeatherParams(Params):
    density: float
    speed: float
    intensity: float
    angle: float
    extra: float  # Rain/Snow: layer count; Fog: alpha_min; Clouds: coverage (alpha multiplier)
    size: float  # Snow: flake size; Clouds: layer count
    uniformity: float  # Snow: density uniformity
    seed: int


@register
class Weather(Operator):
    """Draw ``weather_mode`` ("Rain", "Fog", "Snow", "Clouds") over the image.

    * Rain (imgaug ``iaa.Rain()``): 1-3 layers of thin streaks tilted by U(-15, 15) degrees,
      ``density`` U(0.03, 0.14) drops per pixel, length ``speed`` U(0.04, 0.2) x the long side,
      blended towards a drop colour ``intensity`` U(110, 240).
    * Fog (imgaug ``iaa.Fog()``): a bright haze, opacity ``density`` U(0.4, 0.9), base alpha
      U(0.7, 0.9) + 0.3 x smooth noise, brightness ``intensity`` U(220, 255).
    * Snow (imgaug ``iaa.Snowflakes()``): 1-3 layers of flakes, ``density`` U(0.005, 0.075), flake
      size U(0.2, 0.7), uniformity U(0.3, 0.9), falling at U(-30, 30) degrees with streak
      ``speed`` U(0.007, 0.03); added to and max-ed with the image.
    * Clouds (imgaug ``iaa.Clouds()``): 1-2 cloud layers, opacity ``density`` U(0.5, 1.0),
      coverage U(0.25, 0.75), brightness ``intensity`` U(196, 255).

    ``density_*``, ``speed_*`` and ``intensity_*`` left as ``None`` take the mode's default.
    """

    weather_mode: str = "Rain"
    density_min: float | None = None
    density_max: float | None = None
    speed_min: float | None = None
    speed_max: float | None = None
    intensity_min: float | None = None
    intensity_max: float | None = None

    def _check(self) -> None:
        mode = V.choice(self.name, "weather_mode", self.weather_mode, _MODES)
        self._set("weather_mode", mode)
        for key, (lo, hi) in zip(("density", "speed", "intensity"), _DEFAULTS[mode]):
            if getattr(self, key + "_min") is None:
                self._set(key + "_min", lo)
            if getattr(self, key + "_max") is None:
                self._set(key + "_max", hi)
        _range(self, "density_min", "density_max", 0.0, 2.0)
        _range(self, "speed_min", "speed_max", 0.0, 1.0)
        _range(self, "intensity_min", "intensity_max", 0.0, 255.0)

    def sample(self, rng, meta: ImageMeta) -> WeatherParams:
        d = uniform(rng, self.density_min, self.density_max)
        s = uniform(rng, self.speed_min, self.speed_max)
        i = uniform(rng, self.intensity_min, self.intensity_max)
        mode = self.weather_mode
        if mode == "Rain":
            return WeatherParams(d, s, i, uniform(rng, -15.0, 15.0), float(rng.integers(1, 4)), 0.0, 1.0, draw_seed(rng))
        if mode == "Fog":
            return WeatherParams(d, s, i, 0.0, uniform(rng, 0.7, 0.9), 0.0, 1.0, draw_seed(rng))
        if mode == "Snow":
            return WeatherParams(d, s, i, uniform(rng, -30.0, 30.0), float(rng.integers(1, 4)),
                                 uniform(rng, 0.2, 0.7), uniform(rng, 0.3, 0.9), draw_seed(rng))
        return WeatherParams(d, s, i, 0.0, uniform(rng, 0.25, 0.75), float(rng.integers(1, 3)), 1.0, draw_seed(rng))

    def apply_image(self, image: np.ndarray, params: WeatherParams) -> np.ndarray:
        gen = KN.generator(params.seed)
        p = params
        h, w = image.shape[:2]
        mode = self.weather_mode
        if mode == "Rain":
            length = max(1, int(p.speed * max(h, w)))
            return K.rain(image, gen, p.density, length, p.angle, p.intensity, int(p.extra))
        if mode == "Fog":
            return K.fog(image, gen, p.intensity, p.density, p.extra)
        if mode == "Snow":
            return K.snow(image, gen, p.density, p.size, p.speed, p.angle, p.uniformity, int(p.extra))
        return K.clouds(image, gen, p.intensity, p.density, p.extra, int(p.size))
