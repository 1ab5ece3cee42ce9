"""Weather layers: rain streaks, snowflakes, fog and clouds, drawn procedurally and blended.

Pure functions on numpy arrays: no classes, no global random state, no I/O; inputs are never
modified; the randomness comes from the generator passed in. uint8 images ``(H, W)`` or
``(H, W, C)``; alpha (a fourth channel) is untouched.

The look follows imgaug 0.4.0's ``Rain``, ``Snowflakes``, ``Fog`` and ``Clouds`` (sparse dots
motion-blurred into streaks or blown up into flakes; low-frequency noise as cloud alpha and
intensity), built from cheap pieces instead of imgaug's per-layer FFT noise and k x k motion
kernels:

* streaks: a Bernoulli dot field, a vertical box filter (``cv2.blur``, cost independent of the
  length), then a shear (``cv2.warpAffine``, nearest) to the drop angle. Shearing is free to do
  last because the dot field is i.i.d.;
* low-frequency noise: a few octaves of random grids resized (bicubic) to a quarter-size canvas
  and summed, then one resize to the image size;
* blending in uint8 with OpenCV's saturating arithmetic (``cv2.multiply``/``add``/``max``).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["value_noise", "rain", "snow", "fog", "clouds", "blend_u8"]


def _split(image: np.ndarray):
    """(colour planes as (H, W, c) view, alpha or None, colour count)."""
    x = image if image.ndim == 3 else image[..., None]
    colour = 3 if x.shape[2] == 4 else x.shape[2]
    return x, colour


def _to_channels(plane: np.ndarray, colour: int) -> np.ndarray:
    return plane if colour == 1 else cv2.merge([plane] * colour)


def _finish(image: np.ndarray, x: np.ndarray, colour: int, out_colour: np.ndarray) -> np.ndarray:
    out_colour = out_colour.reshape(x.shape[0], x.shape[1], colour)
    if colour == x.shape[2]:
        return out_colour.reshape(image.shape)
    out = x.copy()
    out[..., :colour] = out_colour
    return out


def _quarter(h: int, w: int) -> tuple[int, int]:
    return max(2, (h + 3) // 4), max(2, (w + 3) // 4)


def value_noise(gen: np.random.Generator, h: int, w: int, base: int, octaves: int, persistence: float) -> np.ndarray:
    """Smooth noise in [0, 1], ``(h, w)`` float32: octave ``i`` is a random grid of about
    ``base * 2**i`` cells on the long side, weighted ``persistence**i``; built at a quarter of
    the size and resized once."""
    small = _value_noise_small(gen, h, w, base, octaves, persistence)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _value_noise_small(gen: np.random.Generator, h: int, w: int, base: int, octaves: int, persistence: float) -> np.ndarray:
    """:func:`value_noise` at a quarter of the size (before the final resize)."""
    hs, ws = _quarter(h, w)
    acc = np.zeros((hs, ws), np.float32)
    long_side = max(h, w)
    weight = 1.0
    for i in range(octaves):
        cells = max(2, int(base * 2**i))
        gh = max(2, int(round(cells * h / long_side)) + 1)
        gw = max(2, int(round(cells * w / long_side)) + 1)
        grid = gen.random((gh, gw), dtype=np.float32)
        acc += np.float32(weight) * cv2.resize(grid, (ws, hs), interpolation=cv2.INTER_CUBIC)
        weight *= persistence
    lo, hi = float(acc.min()), float(acc.max())
    return (acc - lo) * np.float32(1.0 / max(hi - lo, 1e-6))


def blend_u8(image: np.ndarray, a8: np.ndarray, top: np.ndarray) -> np.ndarray:
    """``image * (255 - a8) / 255 + top`` with uint8 ``(H, W)`` maps (``top`` = intensity * a8 / 255),
    saturating; colour channels only, alpha untouched. Written into one output buffer: fresh
    full-size temporaries cost page faults that dominate these cheap passes."""
    x, colour = _split(image)
    h, w = x.shape[:2]
    inv = cv2.bitwise_not(a8)  # 255 - a8
    if colour == 1:
        src = x[..., 0] if x.shape[2] > 1 else x.reshape(h, w)
        out = cv2.multiply(src, inv, scale=1 / 255.0)
        cv2.add(out, top, dst=out)
    else:
        src = x if colour == x.shape[2] else np.ascontiguousarray(x[..., :colour])
        out = cv2.multiply(src, cv2.cvtColor(inv, cv2.COLOR_GRAY2RGB), scale=1 / 255.0)
        cv2.add(out, cv2.cvtColor(top, cv2.COLOR_GRAY2RGB), dst=out)
    return _finish(image, x, colour, out)


def _maps_to_u8(alpha: np.ndarray, intensity: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Quarter-size float maps (alpha in [0, 1], intensity in levels) -> full-size uint8 ``a8`` and
    ``top = intensity * a8 / 255``, computed small and resized once each."""
    a8 = cv2.convertScaleAbs(alpha, alpha=255.0)
    top = cv2.multiply(a8, cv2.convertScaleAbs(intensity), scale=1 / 255.0)
    return (cv2.resize(a8, size, interpolation=cv2.INTER_LINEAR),
            cv2.resize(top, size, interpolation=cv2.INTER_LINEAR))


def _dots(gen: np.random.Generator, h: int, w: int, density: float) -> np.ndarray:
    """uint8 (h, w): 255 at a Bernoulli(density) subset of pixels, 0 elsewhere."""
    n = h * w
    k = int(gen.binomial(n, min(max(density, 0.0), 1.0)))
    field = np.zeros(n, np.uint8)
    if k:
        field[gen.integers(0, n, size=k)] = 255
    return field.reshape(h, w)


def _shear(field: np.ndarray, angle: float) -> np.ndarray:
    """Tilt vertical structures by ``angle`` degrees (positive: the bottom moves right)."""
    t = math.tan(math.radians(angle))
    if abs(t) < 1e-3:
        return field
    h, w = field.shape
    m = np.float32([[1, -t, t * (h / 2.0)], [0, 1, 0]])  # dst(x, y) = src(x - t (y - h/2), y)
    return cv2.warpAffine(field, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_WRAP)


def rain(image: np.ndarray, gen: np.random.Generator, density: float, length: int, angle: float,
         colour_value: float, layers: int) -> np.ndarray:
    """Rain streaks: ``layers`` streak fields summed, alpha ``clip(1.3 * streak / 255)``, blended
    towards the drop colour (imgaug ``RainLayer._blend``)."""
    h, w = image.shape[:2]
    # the layers share length and angle, and blur + shear are linear: one pass over their summed dots
    dots = _dots(gen, h, w, density).astype(np.float32)
    for _ in range(layers - 1):
        dots += _dots(gen, h, w, density)
    if length > 1:
        dots = cv2.blur(dots, (1, length), borderType=cv2.BORDER_REFLECT_101)
    a8 = cv2.convertScaleAbs(_shear(dots, angle), alpha=1.3)  # alpha * 255 = clip(1.3 * streak)
    top = cv2.convertScaleAbs(a8, alpha=float(np.clip(colour_value, 0, 255)) / 255.0)
    return blend_u8(image, a8, top)


def snow(image: np.ndarray, gen: np.random.Generator, density: float, flake_size: float, speed: float,
         angle: float, uniformity: float, layers: int) -> np.ndarray:
    """Snowflakes: dots on a grid downscaled by ``1 - flake_size`` (bigger flakes = coarser grid),
    gated by low-frequency noise (``uniformity`` 1 = even), blown up (bicubic), slightly motion
    blurred along ``angle`` by ``speed * size`` pixels, brightened by a gamma and gain, then
    added to and max-ed with the image (imgaug ``SnowflakesLayer._blend``)."""
    h, w = image.shape[:2]
    x, colour = _split(image)
    flakes = np.zeros((h, w), np.float32)
    for _ in range(layers):
        f = float(np.clip(1.0 - flake_size, 0.05, 1.0))
        hd, wd = max(1, int(h * f)), max(1, int(w * f))
        dots = _dots(gen, hd, wd, density).astype(np.float32)
        if uniformity < 1.0:
            gate = value_noise(gen, hd, wd, 2, 2, 0.5)
            dots *= np.clip(gate * 2 - (1.0 - uniformity), 0, 1)
        dots = cv2.GaussianBlur(dots, (5, 5), 0.8) * np.float32(3.0)  # soft round flakes
        k = int(speed * max(hd, wd))
        if k > 1:
            dots = _shear(cv2.blur(dots, (1, k)), angle) * 1.5
        up = cv2.resize(dots, (w, h), interpolation=cv2.INTER_CUBIC)
        np.maximum(flakes, up, out=flakes)
    gain = 1.0 + 5.0 * (1.0 - uniformity)
    flakes = np.clip(flakes, 0, 255) * np.float32(1.0 / 255.0)
    flakes = (255.0 * gain) * np.power(flakes, np.float32(1.0 + 2.0 * (1.0 - uniformity)))
    n8 = np.clip(flakes, 0, 255).astype(np.uint8)
    add = _to_channels(cv2.multiply(n8, np.full_like(n8, 1), scale=0.1 + 20 * speed), colour)
    top = _to_channels(cv2.multiply(n8, np.full_like(n8, 1), scale=1.0 + 20 * speed), colour)
    src = np.ascontiguousarray(x[..., :colour]).reshape((h, w) if colour == 1 else (h, w, colour))
    out = cv2.max(cv2.add(src, add), top)
    return _finish(image, x, colour, out)


def _cloud_maps(gen, h, w, intensity_mean, base, octaves, persistence, alpha_min, alpha_mul, sparsity, density):
    """Full-size uint8 (a8, top) blend maps, computed on the quarter-size noise and resized once
    each (the maps are smooth, so mapping before the resize looks the same and costs a sixteenth)."""
    detail = _value_noise_small(gen, h, w, 16, 3, 0.6)
    intensity = np.float32(intensity_mean) * (np.float32(1.0) + (np.float32(2.0) * detail - np.float32(1.0)) / np.float32(5.0))
    noise = _value_noise_small(gen, h, w, base, octaves, persistence)
    alpha = np.power(np.float32(alpha_min) + np.float32(alpha_mul) * noise, np.float32(sparsity))
    alpha = np.clip(alpha * np.float32(density), 0.0, 1.0)
    return _maps_to_u8(alpha, intensity, (w, h))


def fog(image: np.ndarray, gen: np.random.Generator, intensity_mean: float, density: float, alpha_min: float) -> np.ndarray:
    """Fog: a bright, nearly uniform haze (imgaug ``Fog``: alpha ``(alpha_min + 0.3 noise)**0.9 *
    density``, intensity around ``intensity_mean`` with +-20 % fine detail)."""
    h, w = image.shape[:2]
    a8, top = _cloud_maps(gen, h, w, intensity_mean, 2, 3, 0.35, alpha_min, 0.3, 0.9, density)
    return blend_u8(image, a8, top)


def clouds(image: np.ndarray, gen: np.random.Generator, intensity_mean: float, density: float,
           coverage: float, layers: int) -> np.ndarray:
    """Clouds: one or two cloud layers (imgaug ``Clouds``: a large-blob layer and a detailed
    layer, alpha ``(multiplier * noise)**sparsity * density``)."""
    out = image
    h, w = image.shape[:2]
    for i in range(layers):
        if i == 0:
            a8, top = _cloud_maps(gen, h, w, intensity_mean, 2, 4, 0.5, 0.0, coverage, 0.9, density * 1.4)
        else:
            a8, top = _cloud_maps(gen, h, w, intensity_mean, 6, 3, 0.6, 0.0, coverage, 1.2, density * 1.2)
        out = blend_u8(out, a8, top)
    return out
