"""Reference NUMBERS (never images) for ``Weather``: imgaug 0.4.0's weather augmenters on real photos.

Run from the repository root in the imgaug side environment (numpy 1.23.5, plus scikit-image)::

    /tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_weather_refs.py

Writes tests/data/imgaug_weather.json. The photos, the configurations, the statistics and the
per-pixel measures live here, importable without imgaug (the imgaug import is inside
:func:`imgaug_augmenter`), so ``tests/augment/test_weather.py`` loads this file and measures our
operator with the very same functions.

Statistics of one augmented image (``before`` -> ``after``, uint8, colour channels only):

* ``bright40`` / ``bright10``: share of pixels whose mean-over-channels change ``after - before``
  is more than 40 (resp. 10) levels (brightened);
* ``mad``: mean absolute change over pixels and channels.

Per configuration and photo the reference is the median of each statistic over a number of draws
(one augmenter called that many times; ours: ``op(image, seed=0, index=i)``): ``SEEDS`` at full
size (and, as ``median20``, over the first 20 of them), ``TEST_DRAWS[mode]`` at the test size.
Why more than 20: a draw's statistics swing with its 1-3 layers and their densities (Rain's
bright40 on one photo: 0.0002 to 0.85, two modes with the median between them), so medians of 20
draws of the same augmenter differ by up to 7x between blocks of draws, and of 60 by up to 5x
(measured, ours and imgaug alike); 400 Rain draws bring that to ~1.2x, which a 1.5x test can
stand on. Rain is the cheapest mode, so it gets the most.
Fog's texture is measured on the fog layer itself (Fog over a uniform grey image): the standard
deviation of the layer in three spatial bands (``band_fine`` = Gaussian(2 px) - Gaussian(8),
``band_mid`` = Gaussian(8) - Gaussian(32), ``band_coarse`` = Gaussian(32) - Gaussian(128),
sigmas scaled by ``long side / 512``; below 2 px the layer varies by less than a grey level,
i.e. by its quantisation) and the autocorrelation length ``acorr_half`` (radius, as a fraction
of the long side, where the radially averaged autocorrelation of the layer first drops below
1/2). Two sizes: ``full`` (the photos as they are, for the report) and ``test`` (long side
``TEST_LONG_SIDE``, what the tests hold); ``full_defaults``: full size, the defaults only, with
``FULL_DEFAULT_DRAWS``. ``full_shipped_fresh`` / ``full_shipped_used``: the defaults with
imgaug's augmenters as shipped (see :func:`imgaug_augmenter`), for the record.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "imgaug_weather.json")

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle")  # skimage.data; motorcycle: stereo_motorcycle()[0]
SEEDS = 60  # draws per configuration and photo at full size (the 20-draw medians are kept too, as "median20")
TEST_DRAWS = {"Rain": 400, "Clouds": 200, "Snow": 120, "Fog": 60}  # at the test size
FULL_DEFAULT_DRAWS = {"Rain": 200, "Clouds": 200, "Snow": 200, "Fog": 60}  # full size, defaults only
TEST_LONG_SIDE = 192
TEXTURE_SIZE = (384, 512)  # (h, w) of the uniform grey image Fog is measured on
TEXTURE_SEEDS = 24

# (mode, fixed parameter or None, value): each of our parameters at both ends of its documented
# range, the others at their defaults. Our operator takes ``<param>_min = <param>_max = value``.
CONFIGS = [("Rain", None, None), ("Rain", "density", 0.03), ("Rain", "density", 0.14),
           ("Rain", "speed", 0.04), ("Rain", "speed", 0.20), ("Rain", "intensity", 110.0),
           ("Snow", None, None), ("Snow", "density", 0.005), ("Snow", "density", 0.075),
           ("Snow", "speed", 0.007), ("Snow", "speed", 0.03),
           ("Fog", None, None), ("Fog", "density", 0.4), ("Fog", "density", 0.9),
           ("Fog", "intensity", 220.0), ("Fog", "intensity", 255.0),
           ("Clouds", None, None), ("Clouds", "density", 0.5), ("Clouds", "density", 1.0),
           ("Clouds", "intensity", 196.0), ("Clouds", "intensity", 255.0)]
STATS = ("bright40", "bright10", "mad")
TEXTURE = ("band_fine", "band_mid", "band_coarse", "acorr_half")


def config_key(mode: str, param: str | None, value) -> str:
    return mode if param is None else f"{mode}:{param}={value:g}"


def our_kwargs(mode: str, param: str | None, value) -> dict:
    kw = {"weather_mode": mode}
    if param is not None:
        kw[param + "_min"] = kw[param + "_max"] = float(value)
    return kw


def photo(name: str, long_side: int | None = None) -> np.ndarray:
    """A scikit-image photo (RGB uint8), optionally resized (area) to ``long_side``."""
    import cv2
    import skimage.data

    img = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    img = np.ascontiguousarray(img[..., :3])
    if long_side is not None:
        h, w = img.shape[:2]
        f = long_side / max(h, w)
        img = cv2.resize(img, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return img


def change_stats(before: np.ndarray, after: np.ndarray) -> dict:
    """bright40 / bright10 / mad of one image (integer arithmetic: the mean change over the
    channels is above 40 exactly when their summed change is above 120)."""
    import cv2

    a = np.ascontiguousarray(after[..., :3])
    b = np.ascontiguousarray(before[..., :3])
    d = cv2.subtract(a, b, dtype=cv2.CV_16S)
    channels = 3 if d.ndim == 3 else 1
    summed = cv2.transform(d, np.ones((1, 3), np.float32)) if channels == 3 else d  # int16 sums over the channels
    n = summed.size
    mad = float(cv2.absdiff(a, b).sum(dtype=np.int64)) / (n * channels)
    return {"bright40": np.count_nonzero(summed > 40 * channels) / n,
            "bright10": np.count_nonzero(summed > 10 * channels) / n, "mad": mad}


def median_stats(rows: list[dict], digits: int = 5) -> dict:
    return {k: float(f"{np.median([r[k] for r in rows]):.{digits}g}") for k in rows[0]}


def texture_stats(layer: np.ndarray) -> dict:
    """Band standard deviations and autocorrelation length of a fog layer (uint8 (H, W, 3))."""
    import cv2

    g = layer[..., :3].astype(np.float32).mean(axis=2)
    s = max(g.shape) / 512.0
    b2, b8, b32, b128 = (cv2.GaussianBlur(g, (0, 0), sig * s) for sig in (2.0, 8.0, 32.0, 128.0))
    z = g - g.mean()
    f = np.fft.rfft2(z, s=(2 * g.shape[0], 2 * g.shape[1]))  # zero-padded: no wrap-around
    ac = np.fft.irfft2(np.abs(f) ** 2, s=(2 * g.shape[0], 2 * g.shape[1]))
    ac = ac / max(ac[0, 0], 1e-9)
    h, w = g.shape
    yy, xx = np.mgrid[-h // 2:h // 2, -w // 2:w // 2]
    acs = np.roll(ac, (h // 2, w // 2), axis=(0, 1))[:h, :w]
    r = np.hypot(yy, xx).astype(int)
    radial = np.bincount(r.ravel(), acs.ravel()) / np.maximum(np.bincount(r.ravel()), 1)
    below = np.nonzero(radial < 0.5)[0]
    half = float(below[0]) if below.size else float(len(radial))
    return {"band_fine": float((b2 - b8).std()), "band_mid": float((b8 - b32).std()),
            "band_coarse": float((b32 - b128).std()), "acorr_half": half / max(h, w)}


def grey(shape=TEXTURE_SIZE) -> np.ndarray:
    return np.full(shape + (3,), 128, np.uint8)


RAIN_LAYER = dict(density=(0.03, 0.14), density_uniformity=(0.8, 1.0), drop_size=(0.01, 0.02),
                  drop_size_uniformity=(0.2, 0.5), angle=(-15, 15), speed=(0.04, 0.20),
                  blur_sigma_fraction=(0.001, 0.001))  # iaa.Rain()'s RainLayer
SNOW_LAYER = dict(density=(0.005, 0.075), density_uniformity=(0.3, 0.9), flake_size=(0.2, 0.7),
                  flake_size_uniformity=(0.4, 0.8), angle=(-30, 30), speed=(0.007, 0.03),
                  blur_sigma_fraction=(0.0001, 0.001))  # iaa.Snowflakes()'s SnowflakesLayer
FOG_LAYER = dict(intensity_mean=(220, 255), intensity_freq_exponent=(-2.0, -1.5), intensity_coarse_scale=2,
                 alpha_min=(0.7, 0.9), alpha_multiplier=0.3, alpha_size_px_max=(2, 8),
                 alpha_freq_exponent=(-4.0, -2.0), sparsity=0.9, density_multiplier=(0.4, 0.9))  # iaa.Fog()
CLOUD_LAYERS = (dict(intensity_mean=(196, 255), intensity_freq_exponent=(-2.5, -2.0), intensity_coarse_scale=10,
                     alpha_min=0, alpha_multiplier=(0.25, 0.75), alpha_size_px_max=(2, 8),
                     alpha_freq_exponent=(-2.5, -2.0), sparsity=(0.8, 1.0), density_multiplier=(0.5, 1.0)),
                dict(intensity_mean=(196, 255), intensity_freq_exponent=(-2.0, -1.0), intensity_coarse_scale=10,
                     alpha_min=0, alpha_multiplier=(0.5, 1.0), alpha_size_px_max=(64, 128),
                     alpha_freq_exponent=(-2.0, -1.0), sparsity=(1.0, 1.4), density_multiplier=(0.8, 1.5)))  # iaa.Clouds()


def imgaug_augmenter(mode: str, param: str | None, value, seed: int):
    """The imgaug 0.4.0 augmenter our configuration reproduces, with its layers independent.

    ``iaa.Rain()``, ``iaa.Snowflakes()`` and ``iaa.Clouds()`` are ``SomeOf`` over layers; Rain and
    Snowflakes make theirs by deep-copying one layer, random state included, and Clouds seeds
    both of its layers with the same seed when given one. So right after construction the
    active layers draw the same random numbers (Rain and Snowflakes: the same drops, stacked
    2-3 times), and after that a pair of layers stays identical whenever both have been active
    equally often (in 20 calls of one ``iaa.Rain(seed=...)``, 4 had two identical layers). That
    fades with use; the layers are meant to be independent draws, and that is what we reproduce
    and measure here: the same ``SomeOf``, the same layer parameters, one seed per layer.
    :func:`imgaug_as_shipped` gives the augmenters exactly as constructed, for comparison.
    (Imported here: the tests never call it.)
    """
    import imgaug.augmenters as iaa
    from imgaug.augmenters import weather as W

    fixed = {} if param is None else {param: value}
    if mode == "Rain":
        kw = dict(RAIN_LAYER)
        cls = W.RainLayer
        if param in ("density", "speed"):  # iaa.Rain(speed=s); RainLayer(density=d)
            kw[param] = value
        elif param == "intensity":  # the drop colour, which iaa.Rain derives from the noise (240 in practice)
            colour = float(value)

            class FixedColourRain(W.RainLayer):
                @classmethod
                def _blend(cls, image, speed_sample, noise):
                    a = np.clip(1.3 * noise / 255.0, 0, 1.0)
                    out = (1 - a) * image.astype(np.float32) + a * colour
                    return np.clip(out, 0, 255).astype(np.uint8)

            cls = FixedColourRain
        return iaa.SomeOf((1, 3), [cls(**kw, seed=seed + 1 + i) for i in range(3)], random_order=False, seed=seed)
    if mode == "Snow":  # iaa.Snowflakes(density=d) / iaa.Snowflakes(speed=s)
        kw = {**SNOW_LAYER, **fixed}
        return iaa.SomeOf((1, 3), [W.SnowflakesLayer(**kw, seed=seed + 1 + i) for i in range(3)],
                          random_order=False, seed=seed)
    if mode == "Fog":  # density = density_multiplier, intensity = intensity_mean
        kw = dict(FOG_LAYER)
        if param == "density":
            kw["density_multiplier"] = value
        elif param == "intensity":
            kw["intensity_mean"] = value
        return W.CloudLayer(**kw, seed=seed)
    if mode == "Clouds":
        # intensity = both layers' mean; density = the first layer's density_multiplier, the
        # second's mapped from it as ours is (0.8 + 1.4 (d - 0.5): [0.5, 1] -> [0.8, 1.5])
        kws = [dict(CLOUD_LAYERS[0]), dict(CLOUD_LAYERS[1])]
        if param == "intensity":
            kws[0]["intensity_mean"] = kws[1]["intensity_mean"] = value
        elif param == "density":
            kws[0]["density_multiplier"] = value
            kws[1]["density_multiplier"] = 0.8 + 1.4 * (value - 0.5)
        return iaa.SomeOf((1, 2), [W.CloudLayer(**kw, seed=seed + 1 + i) for i, kw in enumerate(kws)],
                          random_order=False, seed=seed)
    raise ValueError(mode)


def imgaug_as_shipped(mode: str, seed: int):
    """``iaa.Rain(seed=...)``, ``iaa.Fog``, ``iaa.Snowflakes``, ``iaa.Clouds`` as constructed."""
    import imgaug.augmenters as iaa

    return {"Rain": iaa.Rain, "Fog": iaa.Fog, "Snow": iaa.Snowflakes, "Clouds": iaa.Clouds}[mode](seed=seed)


def texture_shape(long_side: int | None) -> tuple[int, int]:
    return TEXTURE_SIZE if long_side is None else (long_side * 3 // 4, long_side)


def measure(augment_many, long_side: int | None, configs=None, photos=PHOTOS, draws=None, texture=True) -> dict:
    """``augment_many(image, mode, param, value, n) -> n augmented images`` (n draws, as one
    augmenter over n images): per config key, per photo, the median statistics over
    ``draws[mode]`` draws (default ``SEEDS``) and over the first 20; plus Fog's texture on grey."""
    out: dict = {"configs": {}, "fog_texture": {}}
    imgs = {name: photo(name, long_side) for name in photos}
    for mode, param, value in configs or CONFIGS:
        key = config_key(mode, param, value)
        out["configs"][key] = {}
        for name, img in imgs.items():
            n = (draws or {}).get(mode, SEEDS)
            rows = [change_stats(img, o) for o in augment_many(img, mode, param, value, n)]
            out["configs"][key][name] = {**median_stats(rows), "median20": median_stats(rows[:20])}
    if not texture:
        return out
    g = grey(texture_shape(long_side))
    out["fog_texture"] = median_stats([texture_stats(o) for o in augment_many(g, "Fog", None, None, TEXTURE_SEEDS)])
    return out


def imgaug_many(image, mode, param, value, n):
    """One imgaug augmenter (independent layers, see :func:`imgaug_augmenter`) over ``n`` images."""
    aug = imgaug_augmenter(mode, param, value, 1000)
    return [aug(image=image) for _ in range(n)]


def imgaug_shipped_fresh(image, mode, param, value, n):
    """``n`` freshly constructed shipped augmenters, one call each (the first call: layers identical)."""
    return [imgaug_as_shipped(mode, 1000 + i)(image=image) for i in range(n)]


def imgaug_shipped_used(image, mode, param, value, n):
    """One shipped augmenter after one warm-up call, over ``n`` images."""
    aug = imgaug_as_shipped(mode, 1000)
    aug(image=image)
    return [aug(image=image) for _ in range(n)]


def main() -> None:
    import argparse

    import imgaug

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("test", "full", "full_defaults", "shipped"), action="append",
                    help="recompute only these blocks, keeping the others of the existing file")
    args = ap.parse_args()
    refs = {}
    if args.only and os.path.exists(OUT):
        with open(OUT) as f:
            refs = json.load(f)
    refs.update({"imgaug": imgaug.__version__, "numpy": np.__version__, "photos": list(PHOTOS), "seeds": SEEDS,
                 "test_draws": TEST_DRAWS, "test_long_side": TEST_LONG_SIDE, "texture_size": list(TEXTURE_SIZE),
                 "texture_seeds": TEXTURE_SEEDS, "stats": list(STATS), "texture": list(TEXTURE),
                 "configs": [[m, p, v] for m, p, v in CONFIGS]})
    blocks = args.only or ["test", "full", "full_defaults", "shipped"]
    if "test" in blocks:
        print("test", file=sys.stderr)
        refs["test"] = measure(imgaug_many, TEST_LONG_SIDE, draws=TEST_DRAWS)
    if "full" in blocks:
        print("full", file=sys.stderr)
        refs["full"] = measure(imgaug_many, None)
    defaults = [c for c in CONFIGS if c[1] is None]
    if "full_defaults" in blocks:
        print("full_defaults", file=sys.stderr)
        refs["full_defaults"] = measure(imgaug_many, None, defaults, draws=FULL_DEFAULT_DRAWS)
    if "shipped" in blocks:
        for label, fn in (("full_shipped_fresh", imgaug_shipped_fresh), ("full_shipped_used", imgaug_shipped_used)):
            print(label, file=sys.stderr)
            refs[label] = measure(fn, None, defaults)
    with open(OUT, "w") as f:
        json.dump(refs, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
