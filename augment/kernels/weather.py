"""Weather layers: rain streaks, snowflakes, fog and clouds, drawn procedurally and blended.

Pure functions on numpy arrays: no classes, no global random state, no I/O; inputs are never
modified; the randomness comes from the generator passed in. uint8 images ``(H, W)`` or
``(H, W, C)``; alpha (a fourth channel) is untouched.

The look follows imgaug 0.4.0's ``Rain``, ``Snowflakes``, ``Fog`` and ``Clouds`` (sparse dots
motion-blurred into streaks or blown up into flakes; low-frequency noise as cloud alpha and
intensity), built from cheap pieces instead of imgaug's per-layer FFT noise and k x k motion
kernels. Everything random or shaped is made on a small grid in uint8 and brought to the image
size by one ``cv2.resize`` per map; the full-size work is the blend (a few saturating OpenCV
passes, into as few fresh buffers as possible: page faults on new full-size arrays are a large
part of the cost of these cheap passes).

* random bits: ``bit_generator.random_raw`` viewed as bytes (cheaper than any bounded draw),
  turned into drop counts by a 256-entry quantile table or into dots by a 16-bit threshold;
* rain streaks: a vertical box sum (cost independent of the length), then a shear to the drop
  angle (``cv2.warpAffine``, nearest, wrapping: the dot columns are i.i.d., so wrapping shows no
  seam). They are 1 px wide but long, so they are made with 1 row per ``s`` image rows and
  stretched back with a linear resize;
* snow streaks are short (a few cells): ``cv2.filter2D`` with a one-tap-per-row line kernel
  (OpenCV skips the zero taps), no wrapping, so the density gate cannot show a seam;
* low-frequency noise: octaves of random grids interpolated bicubically by two small matrix
  products each (the interpolation matrices are OpenCV's own ``INTER_CUBIC`` weights, taken by
  resizing an identity matrix, so the noise equals ``cv2.resize`` of the grid; a direct bicubic
  resize of a tiny grid is ~10x slower), at a quarter of the image size;
* blending in uint8 with OpenCV's saturating arithmetic (``cv2.multiply``/``add``/``max``).
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import cv2
import numpy as np

try:  # SIMD byte translation for the 256-entry tables (~15x cv2.LUT on one plane), in place
    from stringzilla import translate as _translate
except ImportError:  # pragma: no cover - exercised when stringzilla is not installed
    _translate = None

__all__ = ["value_noise", "rain", "snow", "fog", "clouds", "blend_u8"]


def _split(image: np.ndarray):
    """(image as (H, W, C), colour channel count): alpha is the fourth channel, if any."""
    x = image if image.ndim == 3 else image[..., None]
    colour = 3 if x.shape[2] == 4 else x.shape[2]
    return x, colour


def _colour_src(x: np.ndarray, colour: int) -> np.ndarray:
    """The colour planes as a contiguous (H, W) or (H, W, colour) array (a view when possible)."""
    h, w = x.shape[:2]
    if colour == 1:
        return x[..., 0] if x.shape[2] > 1 else x.reshape(h, w)
    return x if colour == x.shape[2] else np.ascontiguousarray(x[..., :colour])


def _finish(image: np.ndarray, x: np.ndarray, colour: int, out_colour: np.ndarray) -> np.ndarray:
    out_colour = out_colour.reshape(x.shape[0], x.shape[1], colour)
    if colour == x.shape[2]:
        return out_colour.reshape(image.shape)
    out = x.copy()
    out[..., :colour] = out_colour
    return out


def _quarter(h: int, w: int) -> tuple[int, int]:
    return max(2, (h + 3) // 4), max(2, (w + 3) // 4)


def _random_bytes(gen: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform random uint8 of ``shape``, straight from the bit generator (a contiguous view of
    a fresh array: writable, owned by the caller)."""
    n = math.prod(shape)
    return gen.bit_generator.random_raw((n + 7) // 8).view(np.uint8)[:n].reshape(shape)


def _lut_inplace(a: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[a]`` for a contiguous uint8 array that the caller owns (overwritten when possible)."""
    if _translate is not None and a.flags.c_contiguous and a.flags.writeable:
        _translate(memoryview(a.reshape(-1)), memoryview(table), inplace=True)
        return a
    return cv2.LUT(a, table)


def _dot_field(gen: np.random.Generator, h: int, w: int, p: float, gate: np.ndarray | None = None) -> np.ndarray:
    """uint8 (h, w): 255 at a random subset of the cells, each in it with probability ``p``, times
    ``gate / 255`` if given (uint8, a quarter of the size: looked up at the cell's quarter cell
    for sparse fields, resized for dense ones). Sparse fields: a binomial count of uniform
    positions; dense ones: a byte per cell below ``256 p``."""
    n = h * w
    p = min(max(p, 0.0), 1.0)
    if p < 1.0 / 16:
        field = np.zeros(n, np.uint8)
        k = int(gen.binomial(n, p))
        if k:
            idx = gen.integers(0, n, size=k)
            if gate is not None:
                g = gate[np.minimum(idx // w // 4, gate.shape[0] - 1), np.minimum(idx % w // 4, gate.shape[1] - 1)]
                idx = idx[_random_bytes(gen, (k,)) < g]
            field[idx] = 255
        return field.reshape(h, w)
    u = _random_bytes(gen, (h, w))
    if gate is None:
        # byte < 256 p  <=>  byte <= ceil(256 p) - 1 (threshold: an explicit scalar, also for 1x1 arrays)
        return cv2.threshold(u, math.ceil(p * 256.0) - 1, 255, cv2.THRESH_BINARY_INV)[1]
    thr = cv2.convertScaleAbs(cv2.resize(gate, (w, h), interpolation=cv2.INTER_LINEAR), alpha=p * 256.0 / 255.0)
    return np.where(u < thr, np.uint8(255), np.uint8(0)) if n < 64 else cv2.compare(u, thr, cv2.CMP_LT)


@lru_cache(maxsize=1024)
def _streak_kernel(k: int, angle_q: int, gain_q: int) -> np.ndarray:
    """float32 (k, 2 r + 1) line kernel: one tap per row, along ``angle_q / 2`` degrees (positive:
    the lower rows to the right), tapering linearly from the centre (a flake with a fading trail,
    not a dash), the taps summing to ``gain_q / 100``."""
    t = math.tan(math.radians(angle_q / 2.0))
    rows = np.arange(k) - (k - 1) / 2.0
    offsets = np.rint(t * rows).astype(int)
    r = int(np.abs(offsets).max())
    taper = 1.0 - np.abs(rows) / ((k + 1) / 2.0)
    kernel = np.zeros((k, 2 * r + 1), np.float32)
    kernel[np.arange(k), offsets + r] = taper * (gain_q / 100.0 / taper.sum())
    kernel.setflags(write=False)
    return kernel


@lru_cache(maxsize=256)
def _cubic_matrix(n_src: int, n_dst: int) -> np.ndarray:
    """(n_dst, n_src) float32: row i = OpenCV's INTER_CUBIC weights of output sample i."""
    m = cv2.resize(np.eye(n_src, dtype=np.float32), (n_src, n_dst), interpolation=cv2.INTER_CUBIC)
    m.setflags(write=False)
    return m


def _noise_grid(gen: np.random.Generator, h: int, w: int, out_h: int, out_w: int, base: int, octaves: int,
                persistence: float, normalise: bool = True) -> np.ndarray:
    """Smooth noise in [0, 1], ``(out_h, out_w)`` float32, for an image of ``h x w``: octave ``i``
    is a random grid of about ``base * 2**i`` cells on the long side, weighted ``persistence**i``,
    interpolated bicubically (= ``cv2.resize(grid, INTER_CUBIC)``)."""
    acc = None
    long_side = max(h, w)
    weight = 1.0
    for i in range(octaves):
        cells = max(2, int(base * 2**i))
        gh = max(2, int(round(cells * h / long_side)) + 1)
        gw = max(2, int(round(cells * w / long_side)) + 1)
        grid = gen.random((gh, gw), dtype=np.float32)
        if weight != 1.0:
            grid *= np.float32(weight)
        if gh * gw <= 48 * 48:
            layer = (_cubic_matrix(gh, out_h) @ grid) @ _cubic_matrix(gw, out_w).T
        else:  # big grids: OpenCV's resize is as fast, and no BLAS threading question
            layer = cv2.resize(grid, (out_w, out_h), interpolation=cv2.INTER_CUBIC)
        if acc is None:
            acc = layer
        else:
            acc += layer
        weight *= persistence
    if not normalise:
        return acc
    lo, hi = float(acc.min()), float(acc.max())
    acc -= np.float32(lo)
    acc *= np.float32(1.0 / max(hi - lo, 1e-6))
    return acc


def _value_noise_small(gen: np.random.Generator, h: int, w: int, base: int, octaves: int, persistence: float) -> np.ndarray:
    """:func:`value_noise` at a quarter of the size (before the final resize)."""
    hs, ws = _quarter(h, w)
    return _noise_grid(gen, h, w, hs, ws, base, octaves, persistence)


def value_noise(gen: np.random.Generator, h: int, w: int, base: int, octaves: int, persistence: float) -> np.ndarray:
    """Smooth noise in [0, 1], ``(h, w)`` float32: octave ``i`` is a random grid of about
    ``base * 2**i`` cells on the long side, weighted ``persistence**i``; built at a quarter of
    the size and resized once."""
    small = _value_noise_small(gen, h, w, base, octaves, persistence)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


_scratch = threading.local()
_SCRATCH_MAX_BYTES = 1 << 22  # reuse buffers up to 4 MB (1024 x 1024 x 3 + a little); larger: fresh


def _buffer(slot: str, shape: tuple[int, ...]) -> np.ndarray:
    """A uint8 array for a full-size temporary, reused per thread and slot while the shape stays
    the same (fresh full-size arrays cost page faults whenever the allocator has handed the
    memory back, e.g. after another library's large temporaries). Never leaves this module."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.shape != shape:
        buf = np.empty(shape, np.uint8)
        if buf.nbytes <= _SCRATCH_MAX_BYTES:
            bufs[slot] = buf
    return buf


def _expand(plane: np.ndarray, colour: int) -> np.ndarray:
    """``plane`` repeated on ``colour`` channels, in the shared expansion buffer (colour 1: itself)."""
    if colour == 1:
        return plane
    return cv2.cvtColor(plane, cv2.COLOR_GRAY2RGB, dst=_buffer("x3", plane.shape + (3,)))


def _compose(image: np.ndarray, first, m1: np.ndarray, second, m2: np.ndarray) -> np.ndarray:
    """``second(first(colour planes, m1), m2)`` with the ``(H, W)`` maps expanded to the colour
    channels, into one fresh output (alpha copied through)."""
    x, colour = _split(image)
    src = _colour_src(x, colour)
    if colour == x.shape[2]:
        out = first(src, _expand(m1, colour))
    else:
        out = first(src, _expand(m1, colour), dst=_buffer("o3", src.shape))
    second(out, _expand(m2, colour), dst=out)
    return _finish(image, x, colour, out)


def _mul_inv(src: np.ndarray, inv: np.ndarray, dst=None) -> np.ndarray:
    return cv2.multiply(src, inv, dst=dst, scale=1 / 255.0)


def blend_u8(image: np.ndarray, a8: np.ndarray, top: np.ndarray) -> np.ndarray:
    """``image * (255 - a8) / 255 + top`` with uint8 ``(H, W)`` maps (``top`` = intensity * a8 / 255),
    saturating; colour channels only, alpha untouched. One fresh array (the output); the
    temporaries are reused buffers."""
    return _compose(image, _mul_inv, cv2.bitwise_not(a8, dst=_buffer("inv", a8.shape)), cv2.add, top)


def _shear(field: np.ndarray, slope: float) -> np.ndarray:
    """Shift row ``y`` by ``slope * (y - h/2)`` columns, wrapping (nearest)."""
    if abs(slope) * field.shape[0] < 0.5:
        return field
    h, w = field.shape
    m = np.float32([[1, -slope, slope * (h / 2.0)], [0, 1, 0]])  # dst(x, y) = src(x - slope (y - h/2), y)
    return cv2.warpAffine(field, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_WRAP)


def _poisson_table(lam: float) -> np.ndarray:
    """256-entry uint8 table: a uniform byte -> a Poisson(``lam``) count (its quantile); ``lam``
    rounded to 1/1000 (so the table cache hits across calls)."""
    return _poisson_table_q(int(round(lam * 1000)))


@lru_cache(maxsize=1024)
def _poisson_table_q(lam_q: int) -> np.ndarray:
    lam = lam_q / 1000.0
    kmax = int(lam + 8 * math.sqrt(lam) + 8)
    k = np.arange(kmax + 1)
    logp = k * math.log(max(lam, 1e-12)) - lam - np.array([math.lgamma(i + 1) for i in k])
    cdf = np.cumsum(np.exp(logp))
    u = (np.arange(256) + 0.5) / 256.0
    table = np.minimum(np.searchsorted(cdf, u), 255).astype(np.uint8)
    table.setflags(write=False)
    return table


def rain(image: np.ndarray, gen: np.random.Generator, density: float, length: int, angle: float,
         colour_value: float, layers: int) -> np.ndarray:
    """Rain streaks: ``layers`` x ``density`` drops per pixel, each a streak of ``length`` px at
    ``angle`` degrees; alpha ``clip(1.3 * 255 * drops / length)`` per streak pixel, blended
    towards the drop colour (imgaug ``RainLayer._blend``).

    The drop field is made with one row per ``s`` image rows (``s`` up to 4, so a streak spans
    at least ~6 rows of it), Poisson counts per cell, summed over ``length / s`` rows, sheared,
    then stretched to the image height."""
    h, w = image.shape[:2]
    s = max(1, min(4, length // 6))
    hs = max(1, -(-h // s))
    ls = max(1, int(round(length / s)))
    lam = max(density, 0.0) * s * layers  # expected drops per cell
    counts = _lut_inplace(_random_bytes(gen, (hs, w)), _poisson_table(lam))
    if ls > 1:
        counts = cv2.boxFilter(counts, -1, (1, ls), normalize=False, borderType=cv2.BORDER_REFLECT_101)
    a_small = cv2.convertScaleAbs(counts, alpha=1.3 * 255.0 / max(length, 1))
    a_small = _shear(a_small, math.tan(math.radians(angle)) * s)
    a8 = a_small if hs == h else cv2.resize(a_small, (w, h), dst=_buffer("a", (h, w)), interpolation=cv2.INTER_LINEAR)
    top = cv2.convertScaleAbs(a8, dst=_buffer("t", (h, w)), alpha=min(max(float(colour_value), 0.0), 255.0) / 255.0)
    return _compose(image, _mul_inv, cv2.bitwise_not(a8, dst=a8), cv2.add, top)


@lru_cache(maxsize=256)
def _snow_tone(pre_q: int, gain_q: int, gamma_q: int) -> np.ndarray:
    """256-entry uint8 table ``0.9 * 255 * gain * min(1, pre * v / 255) ** gamma`` (arguments in
    1/100, so the cache hits across calls with nearby parameters)."""
    v = np.minimum(1.0, (pre_q / 100.0) * np.arange(256) / 255.0)
    t = 0.9 * 255.0 * (gain_q / 100.0) * np.power(v, gamma_q / 100.0)
    table = np.clip(np.rint(t), 0, 255).astype(np.uint8)
    table.setflags(write=False)
    return table


def snow(image: np.ndarray, gen: np.random.Generator, density: float, flake_size: float, speed: float,
         angle: float, uniformity: float, layers: int) -> np.ndarray:
    """Snowflakes (imgaug ``SnowflakesLayer``): dots at ``density`` per cell of a grid scaled by
    ``1 - flake_size`` (bigger flakes = coarser grid; the ``layers`` fields drawn as one), fewer
    where low-frequency noise is low (``uniformity`` 1 = even), rounded (3x3 Gaussian), drawn out
    along ``angle`` by ``speed * size`` cells, brightened by a gamma and gain, blown up (bilinear)
    to the image size, then added to and max-ed with the image (``max(img + a n, b n)`` with
    ``a = 0.1 + 20 speed``, ``b = 1 + 20 speed``, computed as ``max(img, (b - a) n) + a n``:
    ``b - a = 0.9``)."""
    h, w = image.shape[:2]
    f = min(max(1.0 - float(flake_size), 0.05), 1.0)
    hd, wd = max(1, int(h * f)), max(1, int(w * f))
    p = 1.0 - (1.0 - min(max(density, 0.0), 1.0)) ** layers  # union of the layers' dots
    gate = None
    if uniformity < 1.0 and hd > 1 and wd > 1:
        # fewer flakes where low-frequency noise is low: clip(2 g - (1 - u)) scales the dot
        # probability; the gate is smooth (at most 5 cells a side), made at a quarter of the grid
        hq, wq = _quarter(hd, wd)
        gate = cv2.convertScaleAbs(_noise_grid(gen, hd, wd, hq, wq, 2, 2, 0.5), alpha=510.0,
                                   beta=-255.0 * (1.0 - uniformity))
    dots = _dot_field(gen, hd, wd, p, gate)
    # round flakes: a lone dot would otherwise be a one-cell square (or, drawn out, a dash)
    dots = cv2.GaussianBlur(dots, (3, 3), 0.6)
    pre = 2.25  # back to ~255 at the centre of a lone flake
    k = int(speed * max(hd, wd))
    if k > 1:
        # motion streak (imgaug: a normalised line kernel): k taps along the angle, one per row,
        # summing to 1.7 (coverage and brightness as before); the cost is ~k passes
        dots = cv2.filter2D(dots, -1, _streak_kernel(k, int(round(angle * 2)), 170))
    gain = 1.0 + 5.0 * (1.0 - uniformity)
    gamma = 1.0 + 2.0 * (1.0 - uniformity)
    if not dots.flags.writeable or not dots.flags.c_contiguous:
        dots = dots.copy()
    n_small = _lut_inplace(dots, _snow_tone(int(round(pre * 100)), int(round(gain * 100)), int(round(gamma * 100))))
    if (hd, wd) != (h, w):
        m1 = cv2.resize(n_small, (w, h), dst=_buffer("a", (h, w)), interpolation=cv2.INTER_LINEAR)
    else:
        m1 = n_small
    m2 = cv2.convertScaleAbs(m1, dst=_buffer("t", (h, w)), alpha=(0.1 + 20.0 * speed) / 0.9)  # a n
    return _compose(image, cv2.max, m1, cv2.add, m2)


def _noise_u8(gen, h, w, base, octaves, persistence) -> np.ndarray:
    """:func:`_value_noise_small` stretched to 0..255 as uint8 (quarter size)."""
    hs, ws = _quarter(h, w)
    acc = _noise_grid(gen, h, w, hs, ws, base, octaves, persistence, normalise=False)
    return cv2.normalize(acc, None, 0, 255, cv2.NORM_MINMAX, dtype=cv2.CV_8U)


@lru_cache(maxsize=256)
def _alpha_table(alpha_min_q: int, alpha_mul_q: int, sparsity_q: int, density_q: int) -> np.ndarray:
    """256-entry uint8 table: noise level -> 255 * clip(density * (alpha_min + alpha_mul * v / 255) ** sparsity)
    (arguments in 1/1000, so the cache hits across calls with nearby parameters)."""
    v = np.arange(256) / 255.0
    a = np.power(alpha_min_q / 1000.0 + alpha_mul_q / 1000.0 * v, sparsity_q / 1000.0) * (density_q / 1000.0)
    table = np.clip(np.rint(255.0 * a), 0, 255).astype(np.uint8)
    table.setflags(write=False)
    return table


def _cloud_layer(gen, h, w, intensity_mean, base, octaves, persistence, alpha_min, alpha_mul, sparsity, density):
    """Quarter-size uint8 (a8 = 255 alpha, top = alpha * intensity) of one cloud layer: alpha
    ``clip(density * (alpha_min + alpha_mul * noise) ** sparsity)``, intensity
    ``intensity_mean * (0.8 + 0.4 * detail)`` (+-20 %)."""
    detail = _noise_u8(gen, h, w, 16, 3, 0.6)
    intensity = cv2.convertScaleAbs(detail, alpha=0.4 * intensity_mean / 255.0, beta=0.8 * intensity_mean)
    noise = _noise_u8(gen, h, w, base, octaves, persistence)
    q = lambda v: int(round(v * 1000))  # noqa: E731
    a8 = cv2.LUT(noise, _alpha_table(q(alpha_min), q(alpha_mul), q(sparsity), q(density)))
    return a8, cv2.multiply(a8, intensity, scale=1 / 255.0)


def _blend_maps(image: np.ndarray, a8: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Blend with quarter-size uint8 maps: one resize each to the image size, then blend."""
    h, w = image.shape[:2]
    a8 = cv2.resize(a8, (w, h), dst=_buffer("a", (h, w)), interpolation=cv2.INTER_LINEAR)
    top = cv2.resize(top, (w, h), dst=_buffer("t", (h, w)), interpolation=cv2.INTER_LINEAR)
    return _compose(image, _mul_inv, cv2.bitwise_not(a8, dst=a8), cv2.add, top)


def fog(image: np.ndarray, gen: np.random.Generator, intensity_mean: float, density: float, alpha_min: float) -> np.ndarray:
    """Fog: a bright, nearly uniform haze (imgaug ``Fog``: alpha ``(alpha_min + 0.3 noise)**0.9 *
    density``, intensity around ``intensity_mean`` with +-20 % fine detail)."""
    h, w = image.shape[:2]
    a8, top = _cloud_layer(gen, h, w, intensity_mean, 2, 3, 0.35, alpha_min, 0.3, 0.9, density)
    return _blend_maps(image, a8, top)


def clouds(image: np.ndarray, gen: np.random.Generator, intensity_mean: float, density: float,
           coverage: float, layers: int) -> np.ndarray:
    """Clouds: one or two cloud layers (imgaug ``Clouds``: a large-blob layer and a detailed
    layer, alpha ``(multiplier * noise)**sparsity * density``). Two layers are composed on the
    small maps (``a = 1 - (1 - a1)(1 - a2)``, ``top = top1 (1 - a2) + top2``) and blended once."""
    h, w = image.shape[:2]
    a8, top = _cloud_layer(gen, h, w, intensity_mean, 2, 4, 0.5, 0.0, coverage, 0.9, density * 1.4)
    if layers > 1:
        a2, t2 = _cloud_layer(gen, h, w, intensity_mean, 6, 3, 0.6, 0.0, coverage, 1.2, density * 1.2)
        keep = cv2.bitwise_not(a2)  # 255 (1 - a2)
        a8 = cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(a8), keep, scale=1 / 255.0))
        top = cv2.add(cv2.multiply(top, keep, scale=1 / 255.0), t2)
    return _blend_maps(image, a8, top)
