"""Weather layers: rain streaks, snowflakes, fog and clouds, drawn procedurally and blended.

Pure functions on numpy arrays: no classes with behaviour, no global random state, no I/O; inputs
are never modified; the randomness comes from the generator passed in (the operator draws every
per-layer parameter in ``sample``; the generator only fills the noise fields). uint8 images
``(H, W)`` or ``(H, W, C)``; alpha (a fourth channel) is untouched.

The procedures are imgaug 0.4.0's (``imgaug.augmenters.weather``), re-derived and vectorised, not
copied; outputs are alike in distribution, not pixel-equal:

* **Snow** (``SnowflakesLayer``): salt dots (imgaug's ``Salt`` values, ``Beta(0.5, 0.5)`` folded
  into 128..254) at ``density`` on a grid ``1 - flake_size`` times the image, dimmed by a smooth
  gate (``Beta(1, 1 - density_uniformity)`` on 8 x 8, bicubic), a Gaussian blur and a motion blur
  (a normalised line kernel of ``speed * long side`` pixels at ``angle``, brightest at the
  flake, fading to 0 along the trail), bicubically enlarged to the image, through a gamma
  ``1 + 2 (1 - flake_size_uniformity)`` and a gain ``1 + 5 (1 - flake_size_uniformity)``, then
  blended as ``max(image + (0.1 + 20 speed) n, (1 + 20 speed) n)``. The blurs run on the small
  grid (sigma and length scaled by it; the line integrated over the grid's cells); the layers'
  glows are summed and their flakes max-ed in two planes, applied in one pass.
* **Rain** (``RainLayer``): the same drop field on a grid of ``1 - drop_size`` (0.98-0.99) of
  the image, no Gaussian blur or gamma, streaks of ``speed * long side`` pixels (``speed``
  0.04-0.20: long), blended towards a drop colour with alpha ``clip(1.3 n / 255)``. Streaks are
  long and thin, so each layer is made with one row per ``s`` image rows (``s`` up to 6, so that
  a streak spans at least 6): a cell holds the mean of ``s`` pixels' drops (a 256-entry quantile
  table of that exact distribution, fed by random bytes), the line kernel is imgaug's ramp
  summed per cell row (a triangle of two box sums past 24 rows: the same mean and spread, cost
  independent of the length), a nearest-neighbour shear tilts it to the angle (wrapping: the
  columns are i.i.d.); what imgaug's bicubic enlargement of the drop grid does (+20-28 % mass in
  clipped lobes, drops split between columns) is folded into the drop values and a 5-tap
  sideways kernel. Layers share the colour, so they compose exactly into one alpha at the
  finest of their heights: one resize, one blend.
* **Fog / Clouds** (``CloudLayer``): alpha ``clip((alpha_min + alpha_multiplier * A) **
  sparsity * density_multiplier)`` from power-law noise ``A`` on a grid of 4..128 cells;
  intensity ``mean + coarse (8 x 8, N(0, coarse_scale)) + mean (2 D - 1) / 5`` with power-law
  noise ``D`` (amplitude ``f ** exponent``, exponent -1 to -2.5, imgaug's random coefficients,
  the real part of a complex inverse FFT), made at a quarter of the image size (at least 128 px,
  or the alpha grid's size; the spectrum above a quarter carries < 2 % of the power for
  exponents <= -1.5), then resized once. Power-law noise is what gives imgaug's fog its soft,
  large-scale texture (value-noise octaves gave "cotton wool"). Two cloud layers compose on the
  small maps.
* blending in uint8 with OpenCV's saturating arithmetic (``cv2.multiply``/``add``/``max``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import cv2
import numpy as np

try:  # SIMD byte translation for the 256-entry tables (~15x cv2.LUT on one plane), in place
    from stringzilla import translate as _translate
except ImportError:  # pragma: no cover - exercised when stringzilla is not installed
    _translate = None

__all__ = ["RainLayer", "SnowLayer", "CloudLayer", "rain", "snow", "clouds", "spectral_noise", "blend_u8"]


class RainLayer(NamedTuple):
    """One ``imgaug.augmenters.weather.RainLayer`` draw."""

    density: float  # probability of a drop per cell of the drop grid
    density_uniformity: float  # the gate is Beta(1, 1 - density_uniformity): 1 = no gate
    drop_size: float  # imgaug: the drop grid is (1 - drop_size) x the image; 0.01-0.02 acts only through the lobes
    angle: float  # degrees from vertical
    speed: float  # streak length = speed * long side


class SnowLayer(NamedTuple):
    """One ``imgaug.augmenters.weather.SnowflakesLayer`` draw."""

    density: float  # probability of a flake per cell of the flake grid
    density_uniformity: float  # the gate is Beta(1, 1 - density_uniformity)
    flake_size: float  # the flake grid is (1 - flake_size) x the image: bigger flakes
    flake_size_uniformity: float  # gamma 1 + 2 (1 - u), gain 1 + 5 (1 - u)
    angle: float  # degrees from vertical
    speed: float  # trail length = speed * long side; also the blend weights
    blur_sigma_fraction: float  # Gaussian sigma = clip(fraction * long side, 0.5, 3.75)


class CloudLayer(NamedTuple):
    """One ``imgaug.augmenters.weather.CloudLayer`` draw (Fog is one of these)."""

    intensity_mean: float
    intensity_freq_exponent: float
    intensity_coarse_scale: float
    alpha_min: float
    alpha_multiplier: float
    alpha_size_px_max: int
    alpha_freq_exponent: float
    sparsity: float
    density_multiplier: float


# --------------------------------------------------------------------------------------------
# shared plumbing: channels, scratch buffers, blends


def _split(image: np.ndarray) -> tuple[np.ndarray, int]:
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


def _fit(h: int, w: int, long_side: int) -> tuple[int, int]:
    """(h, w) scaled to ``long_side`` on the long side (at most the image itself, at least 2)."""
    f = min(1.0, long_side / max(h, w, 1))
    return max(2, min(h, round(h * f))), max(2, min(w, round(w * f)))


def _random_bytes(gen: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform random uint8 of ``shape``, straight from the bit generator (a contiguous view of
    a fresh array: writable, owned by the caller)."""
    n = math.prod(shape)
    return gen.bit_generator.random_raw((n + 7) // 8).view(np.uint8)[:n].reshape(shape)


def _lut_inplace(a: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[a]`` for a contiguous uint8 array that the caller owns (overwritten when possible)."""
    if a.flags.c_contiguous and a.flags.writeable:
        if _translate is not None:
            _translate(a.reshape(-1).data, table.data, inplace=True)
            return a
        return cv2.LUT(a, table, dst=a)  # in place: no fresh full-size array (page faults)
    return cv2.LUT(a, table)


def _lut_into(a: np.ndarray, table: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``table[a]`` written into ``dst`` (same shape, contiguous)."""
    if _translate is not None:
        np.copyto(dst, a)
        return _lut_inplace(dst, table)
    return cv2.LUT(a, table, dst=dst)


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


def _scratch_view(slot: str, shape: tuple[int, ...]) -> np.ndarray:
    """A uint8 array of ``shape`` viewing a per-thread, grow-only flat buffer (for temporaries
    whose shape changes from call to call, e.g. the flake grids): no fresh pages per call."""
    n = math.prod(shape)
    flats = getattr(_scratch, "flats", None)
    if flats is None:
        flats = _scratch.flats = {}
    buf = flats.get(slot)
    if buf is None or buf.size < n:
        buf = np.empty(max(n, 1), np.uint8)
        if buf.nbytes <= _SCRATCH_MAX_BYTES:
            flats[slot] = buf
    return buf[:n].reshape(shape)


def _expand(plane: np.ndarray, colour: int) -> np.ndarray:
    """``plane`` repeated on ``colour`` channels, in the shared expansion buffer (colour 1: itself)."""
    if colour == 1:
        return plane
    return cv2.cvtColor(plane, cv2.COLOR_GRAY2RGB, dst=_buffer("x3", (*plane.shape, 3)))


def _compose(image: np.ndarray, first: Callable[..., Any], m1: np.ndarray, second: Callable[..., Any],
             m2: np.ndarray) -> np.ndarray:
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


def _mul_inv(src: np.ndarray, inv: np.ndarray, dst: np.ndarray | None = None) -> np.ndarray:
    return cv2.multiply(src, inv, dst=dst, scale=1 / 255.0)


def blend_u8(image: np.ndarray, a8: np.ndarray, top: np.ndarray) -> np.ndarray:
    """``image * (255 - a8) / 255 + top`` with uint8 ``(H, W)`` maps (``top`` = intensity * a8 / 255),
    saturating; colour channels only, alpha untouched. One fresh array (the output); the
    temporaries are reused buffers."""
    return _compose(image, _mul_inv, cv2.bitwise_not(a8, dst=_buffer("inv", a8.shape)), cv2.add, top)


@lru_cache(maxsize=256)
def _cubic_matrix(n_src: int, n_dst: int) -> np.ndarray:
    """(n_dst, n_src) float32: row i = OpenCV's INTER_CUBIC weights of output sample i."""
    m = cv2.resize(np.eye(n_src, dtype=np.float32), (n_src, n_dst), interpolation=cv2.INTER_CUBIC)
    m.setflags(write=False)
    return m


# --------------------------------------------------------------------------------------------
# drop / flake fields (Snow and Rain)

_SALT_Q = 4096  # quantiles of the salt value distribution used to build the tables


@lru_cache(maxsize=1)
def _salt_values() -> np.ndarray:
    """imgaug's ``Salt`` replacement values on a uint8 image: ``255 (0.5 + |B - 0.5|)`` with
    ``B ~ Beta(0.5, 0.5)``, truncated; as ``_SALT_Q`` equally likely quantiles (``B`` is the
    arcsine law, ``B = sin^2(pi u / 2)``, so the value is ``127.5 (1 + |cos(pi u)|)``)."""
    u = (np.arange(_SALT_Q) + 0.5) / _SALT_Q
    v = np.floor(127.5 * (1.0 + np.abs(np.cos(np.pi * u)))).astype(np.uint8)
    v.setflags(write=False)
    return v


@lru_cache(maxsize=1)
def _salt_table() -> np.ndarray:
    """256-entry table: a uniform byte -> a salt value (its quantile)."""
    t = _salt_values()[(np.arange(256) * _SALT_Q + _SALT_Q // 2) // 256].copy()
    t.setflags(write=False)
    return t


def _gate_grid(gen: np.random.Generator, uniformity: float) -> np.ndarray | None:
    """imgaug's density gate: 8 x 8 draws of ``Beta(1, 1 - uniformity)`` (None: uniformity 1,
    the gate is 1 everywhere)."""
    b = 1.0 - float(uniformity)
    if b <= 1e-6:
        return None
    return gen.beta(1.0, b, size=(8, 8)).astype(np.float32)


def _gate_map(grid: np.ndarray, h: int, w: int) -> np.ndarray:
    """The 8 x 8 gate resized bicubically to ``(h, w)`` (float32, not clipped): OpenCV's
    INTER_CUBIC weights as two small matrix products (~10x cheaper than resizing 8 x 8)."""
    return (_cubic_matrix(8, h) @ grid) @ _cubic_matrix(8, w).T


@lru_cache(maxsize=256)
def _index_map(n: int, m: int) -> np.ndarray:
    """For each of ``n`` cells, the one of ``m`` coarser cells it falls in."""
    out = np.arange(n) * m // n
    out.setflags(write=False)
    return out


def _dots(gen: np.random.Generator, h: int, w: int, p: float, gate: np.ndarray | None,
          out: np.ndarray | None = None) -> np.ndarray:
    """uint8 (h, w): each cell is a salt value with probability ``p`` (independently), else 0;
    values times the gate, truncated. Drawn as a Poisson number of uniform positions with
    repeats allowed (``-n ln(1 - p)`` of them: each cell is then hit with probability ``p``);
    rows and columns are 32-bit draws scaled to the grid's sides (multiply and shift)."""
    n = h * w
    p = min(max(float(p), 0.0), 1.0)
    if out is None:
        field = np.zeros(n, np.uint8)
    else:
        field = out.reshape(n)
        field.fill(0)
    if p <= 0.0 or n == 0:
        return field.reshape(h, w)
    k = int(gen.poisson(n * (-math.log1p(-p) if p < 1.0 else 40.0)))
    if k == 0:
        return field.reshape(h, w)
    raw = gen.bit_generator.random_raw(k)
    rows = (((raw >> np.uint64(32)) * np.uint64(h)) >> np.uint64(32)).astype(np.intp)  # floor(u32 h / 2^32)
    cols = (((raw & np.uint64(0xFFFFFFFF)) * np.uint64(w)) >> np.uint64(32)).astype(np.intp)
    vals = _salt_table()[_random_bytes(gen, (k,))]
    if gate is not None:
        # the gate is smooth (bicubic from 8 x 8): read from a map at a quarter of the grid
        hq, wq = _quarter(h, w)
        g = _gate_map(gate, hq, wq)[_index_map(h, hq)[rows], _index_map(w, wq)[cols]]
        np.minimum(np.maximum(g, 0.0, out=g), 1.0, out=g)
        vals = (vals * g).astype(np.uint8)
    idx = rows * w + cols
    field[idx] = vals
    return field.reshape(h, w)


# --------------------------------------------------------------------------------------------
# Snow


def _motion_taps(length: int, angle: float, scale: float) -> tuple[np.ndarray, tuple[int, int]] | None:
    """(float32 kernel, anchor) of imgaug's motion blur line on a grid ``scale`` times the image.

    At full size the line has ``length`` taps (odd, >= 3), one per pixel along ``angle``
    degrees from vertical, weights falling linearly from 1 at the flake to 0 at the end of the
    trail. Here each tap lands in the grid cell it falls in (so a cell sums the taps it covers:
    the line integrated over the cell, not sampled; the bicubic enlargement that follows puts
    the cells back at their places) and the kernel is normalised to 1. ``None`` when the whole
    line falls in the flake's own cell."""
    c, s = math.cos(math.radians(angle)) * scale, -math.sin(math.radians(angle)) * scale
    taps: dict[tuple[int, int], float] = {}
    for j in range(length - 1):  # the last tap has weight 0
        key = (math.floor(j * c + 0.5), math.floor(j * s + 0.5))
        taps[key] = taps.get(key, 0.0) + 1.0 - j / (length - 1)
    if len(taps) == 1:
        return None
    rows = [r for r, _ in taps]
    cols = [x for _, x in taps]
    ax = -min(cols)
    kernel = np.zeros((max(rows) + 1, max(cols) + ax + 1), np.float32)
    total = sum(taps.values())
    for (r, x), wt in taps.items():
        kernel[r, x + ax] = wt / total
    return kernel, (ax, 0)


def _snow_table(flake_size_uniformity: float, speed: float) -> np.ndarray:
    """256-entry table v -> ``(1 + 20 speed) n`` (saturated) with ``n = gain * GammaContrast(v)``:
    imgaug's flake tone times its max-blend weight (the gamma rounded to 1/250: the tone moves
    by under 1.2 %)."""
    u = 1.0 - float(flake_size_uniformity)
    gamma = _gamma_table(round((1.0 + 2.0 * u) * 250))
    return cv2.convertScaleAbs(gamma, alpha=(1.0 + 20.0 * speed) * (1.0 + 5.0 * u)).reshape(-1)


@lru_cache(maxsize=2048)
def _gamma_table(gamma_q: int) -> np.ndarray:
    """imgaug's GammaContrast on uint8: ``floor(255 (v / 255) ** gamma)``, as float32."""
    t = np.floor(255.0 * np.power(np.arange(256) / 255.0, gamma_q / 250.0)).astype(np.float32)
    t.setflags(write=False)
    return t


def _snow_small(gen: np.random.Generator, h: int, w: int, layer: SnowLayer) -> np.ndarray:
    """One layer's flakes on its grid (uint8): dots, gate, Gaussian blur and motion blur (imgaug
    blurs after enlarging; on the grid the sigma and the line are scaled to it)."""
    f = min(max(1.0 - float(layer.flake_size), 0.001), 1.0)
    hd, wd = max(1, int(h * f)), max(1, int(w * f))
    gate = _gate_grid(gen, layer.density_uniformity)
    # the grid's temporaries live in per-thread scratch (the caller resizes the result at once)
    field = _dots(gen, hd, wd, layer.density, gate, out=_scratch_view("flakes", (hd, wd)))
    sigma = min(max(max(h, w) * layer.blur_sigma_fraction, 0.5), 3.75) * f
    if sigma >= 0.35:  # below, the 3-tap kernel's side weights are < 1.7 %
        field = cv2.GaussianBlur(field, (0, 0), sigma, dst=_scratch_view("blurred", (hd, wd)),
                                 borderType=cv2.BORDER_REFLECT_101)
    k = int(layer.speed * max(h, w))
    taps = _motion_taps(max(k, 3) | 1, layer.angle, f) if k > 1 else None
    if taps is not None:
        field = cv2.filter2D(field, -1, taps[0], dst=_scratch_view("streaked", (hd, wd)), anchor=taps[1],
                             borderType=cv2.BORDER_REFLECT_101)
    return field


def snow(image: np.ndarray, gen: np.random.Generator, layers: Sequence[SnowLayer]) -> np.ndarray:
    """Snowflakes: ``layers`` imgaug ``SnowflakesLayer`` passes over the image (see the module
    docstring). Layer ``i`` is ``x <- max(x + a_i n_i, b_i n_i)``; over the layers this is taken
    as ``max(image + sum a_i n_i, max b_i n_i)``, saturating (the same, except where flakes of
    two layers overlap: there the sequential form also adds the later glow to the earlier
    flake), so the image is touched once."""
    h, w = image.shape[:2]
    if not layers:
        return image.copy()

    def toned(layer: SnowLayer, slot: str) -> np.ndarray:
        """(1 + 20 speed) n at full size, in the buffer ``slot``."""
        small = _snow_small(gen, h, w, layer)  # scratch: used at once
        dst = _buffer(slot, (h, w))
        if small.shape == (h, w):
            np.copyto(dst, small)
        else:
            cv2.resize(small, (w, h), dst=dst, interpolation=cv2.INTER_CUBIC)
        return _lut_inplace(dst, _snow_table(layer.flake_size_uniformity, layer.speed))

    def ratio(layer: SnowLayer) -> float:  # a n = (a / b) b n
        return (0.1 + 20.0 * layer.speed) / (1.0 + 20.0 * layer.speed)

    acc_b = toned(layers[0], "t")
    acc_a = cv2.convertScaleAbs(acc_b, dst=_buffer("a", (h, w)), alpha=ratio(layers[0]))
    for layer in layers[1:]:
        top = toned(layer, "s")
        cv2.scaleAdd(top, ratio(layer), acc_a, dst=acc_a)
        cv2.max(acc_b, top, dst=acc_b)
    return _compose(image, cv2.add, acc_a, cv2.max, acc_b)


# --------------------------------------------------------------------------------------------
# Rain


def _rain_scale(s: int) -> float:
    return 0.5 if s <= 2 else 1.0


def _enlarge_gain(p: float) -> float:
    """Mean gain of a Bernoulli(``p``) dot field enlarged slightly (by 1 / 0.98-0.99) with
    OpenCV's bicubic resize in uint8: the kernel's negative lobes are clipped at 0, which adds
    ~28 % to an isolated dot's mass, less where dots are close enough for lobes to cancel
    (measured: 1.249, 1.200, 1.158 at p = 0.03, 0.085, 0.14; this fits them within 0.005)."""
    return 1.0 + 0.279 * (1.0 - min(max(p, 0.0), 1.0)) ** 3.5


@lru_cache(maxsize=8)
def _salt_sums(s: int) -> np.ndarray:
    """(s + 1, 255 s + 1): row ``n`` is the pmf of the sum of ``n`` salt values."""
    pmf_v = np.bincount(_salt_values(), minlength=256) / _SALT_Q
    out = np.zeros((s + 1, 255 * s + 1))
    conv = np.ones(1)
    for n in range(s + 1):
        out[n, : len(conv)] = conv
        conv = np.convolve(conv, pmf_v)
    out.setflags(write=False)
    return out


#: the sideways spread [b, 1 - 2b, b] of the streaks: imgaug's drops are split between two
#: columns at a phase that drifts across the image (the bicubic enlargement of the drop grid)
#: and along a tilted line (the bilinear rotation of its motion kernel), as a linear shear at a
#: random phase would split them; a nearest-neighbour shear followed by this spread has that
#: variance: (1 - 2b)^2 + 2 b^2 = E[(1 - t)^2 + t^2] = 2/3. (Streak statistics then match
#: imgaug's, their tails included; the streaks are a little softer sideways: horizontal lag-1
#: autocorrelation 0.30 against imgaug's 0.20-0.23.)
_SHEAR_SPREAD = (2.0 - math.sqrt(2.0)) / 6.0

_RAIN_Q = 400  # drop-value tables are built for probabilities on a 1/400 grid, interpolated between


def _rain_table(p: float, s: int) -> np.ndarray:
    """:func:`_rain_grid_table` for any ``p``: entry by entry linearly between the two nearest
    grid tables (the interpolated quantiles keep the interpolated mean; the grid is fine enough
    that the rest differs by under half a level), rounded."""
    x = min(max(float(p), 0.0), 1.0) * _RAIN_Q
    i = min(int(x), _RAIN_Q - 1)
    t = x - i
    lo, hi = _rain_grid_table(i, s), _rain_grid_table(i + 1, s)
    return cv2.addWeighted(lo, 1.0 - t, hi, t, 0.0, dtype=cv2.CV_8U).reshape(-1)


@lru_cache(maxsize=2048)
def _rain_grid_table(p_q: int, s: int) -> np.ndarray:
    """256-entry float32 table: a uniform byte -> the mean drop value of ``s`` pixels, each a drop
    with probability ``p_q / _RAIN_Q`` (a salt value times the square root of
    :func:`_enlarge_gain`: the vertical half of the enlargement's gain; the horizontal half is a
    sideways spread), times :func:`_rain_scale` (``s`` <= 2: a drop with its gain can exceed
    255): the exact distribution's quantiles, each entry the mean of its 1/256 slice (so the
    table has the distribution's mean)."""
    p = p_q / _RAIN_Q
    n = np.arange(s + 1)
    binom = np.array([math.comb(s, int(i)) for i in n]) * p**n * (1 - p) ** (s - n)
    total = binom @ _salt_sums(s)
    cdf = np.concatenate([[0.0], np.cumsum(total)])
    cdf /= cdf[-1]
    vals = np.arange(len(total)) * (math.sqrt(_enlarge_gain(p)) * _rain_scale(s) / s)  # half the gain: vertical
    cum_vp = np.concatenate([[0.0], np.cumsum(total * vals)])  # sum of value x probability below a cdf level
    q = np.arange(257) / 256.0
    j = np.clip(np.searchsorted(cdf, q, side="right") - 1, 0, len(total) - 1)
    upto = cum_vp[j] + (q - cdf[j]) * vals[j]
    table = np.clip(np.diff(upto) * 256.0, 0, 255).astype(np.float32)
    table.setflags(write=False)
    return table


_RAMP_TAPS = 24  # longer lines (cell rows) are drawn as triangles of box sums


@lru_cache(maxsize=512)
def _ramp_taps(length: int, s: int) -> np.ndarray | None:
    """float32 (rows,): imgaug's motion-blur line of ``length`` taps (weights 1 .. 0, the last 0)
    summed per cell of ``s`` rows (tap ``j`` in cell ``round(j / s)``), normalised; None when it
    is a single cell."""
    j = np.arange(length - 1)
    rows = np.floor(j / s + 0.5).astype(int)
    if rows.max() == 0:
        return None
    taps = np.bincount(rows, 1.0 - j / (length - 1))
    taps = (taps / taps.sum()).astype(np.float32)
    taps.setflags(write=False)
    return taps


def _rain_keep(gen: np.random.Generator, h: int, w: int, hs: int, s: int, layer: RainLayer) -> np.ndarray:
    """uint8 (hs, w): 255 (1 - alpha) of one rain layer at one row per ``s`` image rows."""
    # drops per pixel; imgaug puts them on a grid (1 - drop_size) = 0.98-0.99 x the image and
    # enlarges it bicubically: that matters through the lobes' gain and sideways spread only
    p = min(max(layer.density, 0.0), 1.0)
    u = _lut_inplace(_random_bytes(gen, (hs, w)), _rain_table(p, s))
    k = int(layer.speed * max(h, w))
    gain = 1.3 / _rain_scale(s)  # alpha = clip(1.3 n / 255), n the streak's weighted drop value
    ramp = _ramp_taps(max(k, 3) | 1, s) if k > 1 else None
    if ramp is not None and len(ramp) <= _RAMP_TAPS:
        # imgaug's line: weights falling from 1 at the drop to 0 at the end of the trail (up the
        # image), summed per cell row, normalised; the gain folded in (one pass, saturating)
        a8 = cv2.filter2D(u, -1, (ramp * gain)[:, None], anchor=(0, 0), borderType=cv2.BORDER_REFLECT_101)
    elif ramp is not None:
        # long lines (large images): a triangle, two box sums (the ramp's mean and spread, cost
        # independent of the length; saturating 16-bit sums: < 255 * l1 * l2)
        length = (max(k, 3) | 1) / s
        l1 = max(1, round((length + 1) / 2))
        l2 = max(1, round(length + 1 - l1))
        sums = cv2.boxFilter(u, cv2.CV_16U, (1, l1), normalize=False, borderType=cv2.BORDER_REFLECT_101)
        sums = cv2.boxFilter(sums, -1, (1, l2), normalize=False, borderType=cv2.BORDER_REFLECT_101)
        a8 = cv2.convertScaleAbs(sums, alpha=gain / (l1 * l2))
    else:
        a8 = cv2.convertScaleAbs(u, alpha=gain)
    # sideways: the other half of the lobes' gain (see _rain_table; on the drop itself it would
    # make the streaks too peaky), and the enlargement's spread (_SHEAR_SPREAD)
    e = (math.sqrt(_enlarge_gain(p)) - 1.0) / 2.0
    kern = np.convolve([e, 1.0, e], [_SHEAR_SPREAD, 1.0 - 2.0 * _SHEAR_SPREAD, _SHEAR_SPREAD])
    a8 = cv2.filter2D(a8, -1, kern.astype(np.float32)[None, :], borderType=cv2.BORDER_REFLECT_101)
    # tilt to the angle: row y shifted by -tan(angle) * s * (y - hs / 2), positive angles lean
    # like "/" (imgaug's MotionBlur: lower rows to the left); nearest-neighbour (a linear shear
    # costs 2x; the sideways spread above smooths the steps); the columns are i.i.d., so the
    # field wraps: padded by wrapping, then warped with a constant border (OpenCV's wrapping
    # border is ~2x slower)
    slope = math.tan(math.radians(layer.angle)) * s
    pad = math.ceil(abs(slope) * hs / 2.0) + 2
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    if pad <= w:
        src = cv2.copyMakeBorder(a8, 0, 0, pad, pad, cv2.BORDER_WRAP)
        m = np.array([[1.0, slope, pad - slope * hs / 2.0], [0.0, 1.0, 0.0]], np.float32)
        a8 = cv2.warpAffine(src, m, (w, hs), flags=flags, borderMode=cv2.BORDER_CONSTANT)
    else:  # a shear wider than the image (very tall, narrow images)
        m = np.array([[1.0, slope, -slope * hs / 2.0], [0.0, 1.0, 0.0]], np.float32)
        a8 = cv2.warpAffine(a8, m, (w, hs), flags=flags, borderMode=cv2.BORDER_WRAP)
    gate = _gate_grid(gen, layer.density_uniformity)
    if gate is not None:  # smooth: made at 1/8 of the size, resized linearly
        gh, gw = max(2, -(-hs // 8)), max(2, -(-w // 8))
        g8 = cv2.convertScaleAbs(cv2.max(_gate_map(gate, gh, gw), 0.0), alpha=255.0)
        g8 = cv2.resize(g8, (w, hs), interpolation=cv2.INTER_LINEAR)
        a8 = cv2.multiply(a8, g8, scale=1 / 255.0)
    return cv2.bitwise_not(a8, dst=a8)


def rain(image: np.ndarray, gen: np.random.Generator, layers: Sequence[RainLayer], colour: float) -> np.ndarray:
    """Rain: ``layers`` imgaug ``RainLayer`` passes (see the module docstring), all towards the
    drop colour ``colour``: ``x <- (1 - a_i) x + a_i colour``, composed as one alpha
    ``1 - prod(1 - a_i)`` at a reduced height, resized once and blended once."""
    h, w = image.shape[:2]
    if not layers:
        return image.copy()
    # rows per cell, per layer: up to 6, so that the streak spans >= 6 cells; the layers are
    # composed at the finest of their heights
    steps = [max(1, min(6, int(layer.speed * max(h, w)) // 6)) for layer in layers]
    hs = max(1, -(-h // min(steps)))

    def layer_keep(layer: RainLayer, s: int) -> np.ndarray:
        hs_i = max(1, -(-h // s))
        k_i = _rain_keep(gen, h, w, hs_i, s, layer)
        return k_i if hs_i == hs else cv2.resize(k_i, (w, hs), interpolation=cv2.INTER_LINEAR)

    keep = layer_keep(layers[0], steps[0])
    for layer, s in zip(layers[1:], steps[1:], strict=True):
        keep = cv2.multiply(keep, layer_keep(layer, s), scale=1 / 255.0)
    if hs != h:
        keep = cv2.resize(keep, (w, h), dst=_buffer("a", (h, w)), interpolation=cv2.INTER_LINEAR)
    c = min(max(float(colour), 0.0), 255.0)
    top = cv2.bitwise_not(keep, dst=_buffer("t", (h, w)))
    cv2.convertScaleAbs(top, dst=top, alpha=c / 255.0)
    return _compose(image, _mul_inv, keep, cv2.add, top)


# --------------------------------------------------------------------------------------------
# Fog and Clouds


@lru_cache(maxsize=1)
def _phase_tables() -> tuple[np.ndarray, np.ndarray]:
    """256-entry float32 tables for byte-driven draws: for an angle U(0, 2 pi), its cosine and
    cosine x sine."""
    a = 2 * np.pi * (np.arange(256, dtype=np.float64) + 0.5) / 256.0
    return np.cos(a).astype(np.float32), (np.cos(a) * np.sin(a)).astype(np.float32)


@lru_cache(maxsize=64)
def _log_freq(h: int, w: int) -> np.ndarray:
    """float32 (h, w): log of the frequency distance ``sqrt(min(y, h - y)^2 + min(x, w - x)^2)``
    (0 at the origin, whose coefficient is zeroed)."""
    fy = np.minimum(np.arange(h), h - np.arange(h)).astype(np.float64)
    fx = np.minimum(np.arange(w), w - np.arange(w)).astype(np.float64)
    d = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    d[0, 0] = 1.0
    out = np.log(d).astype(np.float32)
    out.setflags(write=False)
    return out


def spectral_noise(gen: np.random.Generator, h: int, w: int, exponent: float) -> np.ndarray:
    """Power-law noise in [0, 1], float32 ``(h, w)``: the real part of the inverse FFT of random
    coefficients with amplitude ``f ** exponent`` (``f`` the frequency in cycles per image, as
    a distance in the FFT grid), drawn as imgaug's ``FrequencyNoise`` draws them (magnitude
    U(0, 1), angle a U(0, 2 pi); real part ``r cos a``, imaginary part ``r cos a sin a``: not a
    Hermitian spectrum, hence "the real part"), min-max normalised."""
    cos_t, cs_t = _phase_tables()
    # on the next FFT-friendly size (2^a 3^b 5^c: sizes with large prime factors are several
    # times slower), cropped: a piece of a slightly larger field of the same spectrum
    fh, fw = cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w)
    b = _random_bytes(gen, (2, fh, fw))
    r = b[0].astype(np.float32)
    r *= np.exp(_log_freq(fh, fw) * np.float32(exponent))  # the byte scale (1/256) cancels in the normalisation
    r[0, 0] = 0.0
    spec = np.empty((fh, fw, 2), np.float32)
    np.multiply(r, cos_t[b[1]], out=spec[..., 0])
    np.multiply(r, cs_t[b[1]], out=spec[..., 1])
    noise = cv2.idft(spec)[:h, :w, 0]  # unscaled: the normalisation takes care of it
    lo, hi = float(noise.min()), float(noise.max())
    return (noise - np.float32(lo)) * np.float32(1.0 / max(hi - lo, 1e-30))


def _alpha_grid(h: int, w: int, size_px_max: int) -> tuple[int, int]:
    """The alpha noise grid of a cloud layer: ``size_px_max`` cells on the long side, at least 4."""
    long_side = max(h, w)
    size = max(1, int(size_px_max))
    if long_side > size:
        return max(4, int(h * size / long_side)), max(4, int(w * size / long_side))
    return max(4, h), max(4, w)


def _cloud_maps(gen: np.random.Generator, h: int, w: int, hq: int, wq: int,
                layer: CloudLayer) -> tuple[np.ndarray, np.ndarray]:
    """One cloud layer at ``(hq, wq)`` (the image is ``h x w``): float32 (alpha, intensity)."""
    # alpha: power-law noise on a grid of alpha_size_px_max cells on the long side, as bytes,
    # enlarged bicubically
    ah, aw = _alpha_grid(h, w, layer.alpha_size_px_max)
    a_small = (spectral_noise(gen, ah, aw, layer.alpha_freq_exponent) * 255.0).astype(np.uint8)
    a_local = cv2.resize(a_small, (wq, hq), interpolation=cv2.INTER_CUBIC)
    # alpha = clip((alpha_min + alpha_multiplier * A) ** sparsity * density_multiplier), as a
    # 256-entry float table on the enlarged bytes
    v = layer.alpha_min + layer.alpha_multiplier * np.arange(256) / 255.0
    table = np.clip(np.power(np.maximum(v, 0.0), layer.sparsity) * layer.density_multiplier, 0.0, 1.0)
    alpha = cv2.LUT(a_local, table.astype(np.float32))
    # intensity: mean + coarse 8 x 8 offsets + fine power-law detail (+-20 % of the mean)
    mean = float(layer.intensity_mean)
    coarse = (gen.standard_normal((8, 8)) * layer.intensity_coarse_scale).astype(np.float32)
    intensity = np.asarray(cv2.resize(coarse, (wq, hq), interpolation=cv2.INTER_CUBIC), np.float32)
    detail = spectral_noise(gen, hq, wq, layer.intensity_freq_exponent)
    intensity += detail * np.float32(2 * mean / 5) + np.float32(mean - mean / 5)
    np.clip(intensity, 0.0, 255.0, out=intensity)
    return alpha, intensity


def clouds(image: np.ndarray, gen: np.random.Generator, layers: Sequence[CloudLayer]) -> np.ndarray:
    """Fog or clouds: each ``CloudLayer`` blends ``(1 - alpha) x + alpha intensity``; the layers
    compose on quarter-size maps (``a = 1 - (1 - a1)(1 - a2)``, ``top = top1 (1 - a2) + top2``),
    which are resized once each and blended once. The maps are a quarter of the image size (at
    least 128 px on the long side, at most the image), or finer when a layer's alpha grid is
    (Clouds' detailed layer: 64-128 cells)."""
    h, w = image.shape[:2]
    hq, wq = _quarter(h, w)
    if max(hq, wq) < 128:  # small images: maps of at least 128 px (the fine detail of the intensity)
        hq, wq = _fit(h, w, 128)
    for layer in layers:  # the maps resolve the finest alpha grid (Clouds: 64-128 cells)
        ah, aw = _alpha_grid(h, w, layer.alpha_size_px_max)
        hq, wq = max(hq, min(ah, h)), max(wq, min(aw, w))
    if not layers:
        return image.copy()
    alpha, i = _cloud_maps(gen, h, w, hq, wq, layers[0])
    top = alpha * i
    for layer in layers[1:]:
        a, i = _cloud_maps(gen, h, w, hq, wq, layer)
        keep = 1.0 - a
        top = top * keep + a * i
        alpha = 1.0 - (1.0 - alpha) * keep
    a8 = cv2.convertScaleAbs(alpha, alpha=255.0)
    t8 = cv2.convertScaleAbs(top)
    a8 = cv2.resize(a8, (w, h), dst=_buffer("a", (h, w)), interpolation=cv2.INTER_LINEAR)
    t8 = cv2.resize(t8, (w, h), dst=_buffer("t", (h, w)), interpolation=cv2.INTER_LINEAR)
    return _compose(image, _mul_inv, cv2.bitwise_not(a8, dst=a8), cv2.add, t8)
