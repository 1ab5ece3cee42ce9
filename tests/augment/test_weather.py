"""Weather: the kernels' building blocks, the layers' contract (shapes, channels, seeds), and the
statistics on real photos held against imgaug 0.4.0's reference numbers.

The reference numbers (tests/data/imgaug_weather.json) come from tests/data/make_imgaug_weather_refs.py,
run in the imgaug side environment; this file loads that script (it imports imgaug only inside the
function that calls it) and measures our operator with the same photos, sizes, draws and statistics.
"""

import importlib.util
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

import augment as A
from augment.kernels import noise as KN
from augment.kernels import weather as K

MODES = ["Rain", "Fog", "Snow", "Clouds"]
DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


# --------------------------------------------------------------------------------------------
# building blocks


@pytest.mark.parametrize("g, n", [(2, 7), (3, 56), (8, 128), (8, 41), (17, 41)])
def test_cubic_matrices_equal_opencv_bicubic_resize(g, n):
    grid = np.random.default_rng(g).random((g, g + 3), dtype=np.float32)
    ref = cv2.resize(grid, (n + 5, n), interpolation=cv2.INTER_CUBIC)
    got = (K._cubic_matrix(g, n) @ grid) @ K._cubic_matrix(g + 3, n + 5).T
    np.testing.assert_allclose(got, ref, atol=1e-5)


@pytest.mark.parametrize("exponent", [-1.0, -2.0, -3.0])
def test_spectral_noise_spans_0_1_and_follows_the_power_law(exponent):
    gen = KN.generator(5)
    slopes = []
    for _ in range(8):
        n = K.spectral_noise(gen, 96, 128, exponent)
        assert n.shape == (96, 128) and n.dtype == np.float32
        assert n.min() == 0.0 and abs(n.max() - 1.0) < 1e-5
        # the radially averaged power spectrum falls as f ** (2 exponent)
        p = np.abs(np.fft.fft2(n - n.mean())) ** 2
        fy = np.minimum(np.arange(96), 96 - np.arange(96))[:, None]
        fx = np.minimum(np.arange(128), 128 - np.arange(128))[None, :]
        r = np.rint(np.hypot(fy, fx)).astype(int)
        radial = np.bincount(r.ravel(), p.ravel()) / np.bincount(r.ravel())
        f = np.arange(2, 40)
        slopes.append(np.polyfit(np.log(f), np.log(radial[f]), 1)[0])
    assert abs(np.median(slopes) - 2 * exponent) < 0.4


def test_salt_values_are_imgaugs():
    v = K._salt_values().astype(float)
    assert v.min() >= 127 and v.max() <= 254
    assert abs(v.mean() - 127.5 * (1 + 2 / math.pi)) < 0.6  # 255 (0.5 + E|B - 0.5|), B ~ Beta(0.5, 0.5)


@pytest.mark.parametrize("s", [1, 3, 6])
@pytest.mark.parametrize("p", [0.03, 0.085, 0.14])
def test_rain_table_has_the_mean_drop_value(p, s):
    table = K._rain_table(p, s).astype(float)
    mean = p * K._salt_values().astype(float).mean() * math.sqrt(K._enlarge_gain(p)) * K._rain_scale(s)
    assert abs(table.mean() - mean) < 0.01 * mean + 0.3
    assert (np.diff(table) >= 0).all()


def test_enlarge_gain_is_the_clipped_bicubic_mass():
    for p in (0.03, 0.085, 0.14):
        field = (np.random.default_rng(1).random((394, 394)) < p).astype(np.uint8) * 200
        up = cv2.resize(field, (400, 400), interpolation=cv2.INTER_CUBIC)
        assert abs(up.mean() / field.mean() - K._enlarge_gain(p)) < 0.01


def test_dots_density_values_and_gate():
    for p in (0.005, 0.04, 0.14):
        f = K._dots(KN.generator(1), 300, 400, p, None)
        assert f.dtype == np.uint8 and f.shape == (300, 400)
        assert abs((f > 0).mean() - p) < 0.05 * p + 0.0005
        assert f[f > 0].min() >= 127
    half = K._dots(KN.generator(1), 300, 400, 0.05, np.full((8, 8), 0.5, np.float32))
    assert abs(half[half > 0].mean() - K._salt_values().mean() / 2) < 3


def test_motion_taps_are_a_normalised_leaning_ramp():
    kernel, anchor = K._motion_taps(15, 0.0, 1.0)
    assert kernel.shape == (14, 1) and anchor == (0, 0)  # the last tap's weight is 0
    np.testing.assert_allclose(kernel[:, 0], np.linspace(1, 0, 15)[:-1] / 7.5, atol=1e-6)  # brightest at the flake
    kernel, anchor = K._motion_taps(15, 20.0, 1.0)
    assert abs(kernel.sum() - 1.0) < 1e-5 and anchor[1] == 0
    rows = kernel.sum(axis=1)
    cols = (kernel * np.arange(kernel.shape[1])).sum(axis=1) / rows
    assert cols[-1] < cols[0] - 3  # the trail (up the image from the flake) leans right: "/"
    small, _ = K._motion_taps(15, 0.0, 0.3)  # on a grid 0.3 x the image: the ramp summed per cell
    assert small.shape == (5, 1) and abs(small.sum() - 1.0) < 1e-6 and small[1, 0] > small[2, 0] > small[4, 0]
    assert K._motion_taps(3, 0.0, 0.3) is None  # the whole line inside the flake's cell


# --------------------------------------------------------------------------------------------
# the operator's contract


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(224, 224, 3), (512, 512, 3), (120, 200, 3), (200, 90), (64, 80, 1), (90, 70, 4),
                                   (1, 1, 3), (2, 3), (3, 150, 4), (400, 20, 3)])
def test_shapes_channels_seed_and_input(mode, shape):
    rng = np.random.default_rng(0)
    img = (rng.random(shape) * 200 + 20).astype(np.uint8)
    before = img.copy()
    op = A.Weather(weather_mode=mode)
    for index in range(3):
        out = op(img, seed=5, index=index)
        assert out.shape == img.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(img, before)  # input untouched
        np.testing.assert_array_equal(out, op(img, seed=5, index=index))  # same seed, same output
        if img.ndim == 3 and img.shape[2] == 4:
            np.testing.assert_array_equal(out[..., 3], img[..., 3])  # alpha passes through


@pytest.mark.parametrize("mode", MODES)
def test_gray_gets_the_same_layer_as_colour(mode):
    gray = (np.random.default_rng(1).random((96, 128)) * 200).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    op = A.Weather(weather_mode=mode)
    for index in range(3):
        g = op(gray, seed=2, index=index)
        c = op(rgb, seed=2, index=index)
        np.testing.assert_array_equal(c[..., 0], g)
        np.testing.assert_array_equal(c[..., 1], g)
        np.testing.assert_array_equal(op(gray[..., None], seed=2, index=index)[..., 0], g)


@pytest.mark.parametrize("mode", MODES)
def test_params_replay_and_threads_give_the_same_output(mode):
    """Every random value is drawn in sample(): replaying the params reproduces the output, and
    so does any thread (the kernels' scratch buffers are per thread)."""
    img = (np.random.default_rng(4).random((120, 160, 3)) * 200 + 20).astype(np.uint8)
    op = A.Weather(weather_mode=mode)
    serial = [op(img, seed=11, index=i, return_params=True) for i in range(12)]
    for out, params in serial:
        np.testing.assert_array_equal(out, op(img, params=params))
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda i: op(img, seed=11, index=i), range(12)))
    for (out, _), got in zip(serial, threaded):
        np.testing.assert_array_equal(out, got)


def test_sample_draws_imgaugs_layer_parameters():
    meta = None
    rng = np.random.default_rng(0)
    counts = {m: set() for m in MODES}
    for _ in range(300):
        rain = A.Weather(weather_mode="Rain").sample(rng, meta)
        counts["Rain"].add(len(rain.layers))
        assert rain.colour == 240.0
        for layer in rain.layers:
            assert 0.03 <= layer.density <= 0.14 and 0.8 <= layer.density_uniformity <= 1.0
            assert 0.01 <= layer.drop_size <= 0.02 and -15 <= layer.angle <= 15 and 0.04 <= layer.speed <= 0.2
        snow = A.Weather(weather_mode="Snow").sample(rng, meta)
        counts["Snow"].add(len(snow.layers))
        for layer in snow.layers:
            assert 0.005 <= layer.density <= 0.075 and 0.3 <= layer.density_uniformity <= 0.9
            assert 0.2 <= layer.flake_size <= 0.7 and 0.4 <= layer.flake_size_uniformity <= 0.8
            assert -30 <= layer.angle <= 30 and 0.007 <= layer.speed <= 0.03
            assert 0.0001 <= layer.blur_sigma_fraction <= 0.001
        fog = A.Weather(weather_mode="Fog").sample(rng, meta)
        (layer,) = fog.layers
        assert 220 <= layer.intensity_mean <= 255 and 0.4 <= layer.density_multiplier <= 0.9
        assert 0.7 <= layer.alpha_min <= 0.9 and 2 <= layer.alpha_size_px_max <= 8
        clouds = A.Weather(weather_mode="Clouds").sample(rng, meta)
        counts["Clouds"].add(tuple(layer.alpha_size_px_max >= 64 for layer in clouds.layers))
    assert counts["Rain"] == counts["Snow"] == {1, 2, 3}
    assert counts["Clouds"] == {(False,), (True,), (False, True)}
    fixed = A.Weather(weather_mode="Rain", density_min=0.1, density_max=0.1, speed_min=0.05, speed_max=0.05,
                      intensity_min=110, intensity_max=110).sample(rng, meta)
    assert fixed.colour == 110 and all(la.density == 0.1 and la.speed == 0.05 for la in fixed.layers)


@pytest.mark.parametrize("mode", ["Rain", "Snow"])
def test_more_density_covers_more(mode):
    img = np.full((256, 256, 3), 50, np.uint8)
    lo, hi = {"Rain": (0.03, 0.14), "Snow": (0.005, 0.075)}[mode]
    changed = []
    for d in (lo, (lo + hi) / 2, hi):
        op = A.Weather(weather_mode=mode, density_min=d, density_max=d)
        outs = [op(img, seed=3, index=i) for i in range(8)]
        changed.append(np.mean([(np.abs(o.astype(int) - 50) > 10).any(axis=2).mean() for o in outs]))
    assert changed[0] < changed[1] < changed[2]


def test_fog_intensity_sets_the_haze_brightness():
    img = np.full((128, 128, 3), 40, np.uint8)
    dim = A.Weather(weather_mode="Fog", intensity_min=150, intensity_max=150)(img, seed=0)
    bright = A.Weather(weather_mode="Fog", intensity_min=250, intensity_max=250)(img, seed=0)
    assert 40 < dim.mean() < bright.mean() < 250


def _best_row_offset(out: np.ndarray) -> int:
    """The horizontal offset that best matches rows 10 apart (streak direction)."""
    out = out.astype(np.float32) - out.mean()
    a, b = out[:-10], out[10:]
    scores = {dx: float((a[:, 8:-8] * b[:, 8 + dx:b.shape[1] - 8 + dx]).sum()) for dx in range(-6, 7)}
    return max(scores, key=scores.get)


def test_streaks_lean_as_imgaugs():
    """imgaug's MotionBlur angle: positive leans the streaks like "/" (lower rows to the left);
    measured on imgaug 0.4.0: RainLayer at +-12 degrees -2 / +2 px, SnowflakesLayer at +-24
    degrees -4 / +4 px over 10 rows."""
    img = np.zeros((256, 256), np.uint8)
    for angle, sign in ((12.0, -1), (-12.0, 1)):
        rain = K.rain(img, KN.generator(4), [K.RainLayer(0.01, 1.0, 0.015, angle, 0.16)], 255.0)
        snow = K.snow(img, KN.generator(4), [K.SnowLayer(0.02, 1.0, 0.3, 0.6, 2 * angle, 0.1, 0.0005)])
        assert 1 <= _best_row_offset(rain) * sign <= 3
        assert 2 <= _best_row_offset(snow) * sign <= 6


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(96, 128, 3), (96, 128), (96, 128, 4), (96, 128, 1)])
def test_outputs_are_fresh_arrays(mode, shape):
    """The kernels reuse scratch buffers for temporaries: no output may be one of them."""
    img = (np.random.default_rng(3).random(shape) * 200).astype(np.uint8)
    op = A.Weather(weather_mode=mode)
    first = op(img, seed=1, index=0)
    kept = first.copy()
    second = op(img, seed=1, index=1)
    assert not np.shares_memory(first, second) and not np.shares_memory(first, img)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_array_equal(K.blend_u8(img, np.full(shape[:2], 9, np.uint8), np.full(shape[:2], 3, np.uint8)),
                                  K.blend_u8(img, np.full(shape[:2], 9, np.uint8), np.full(shape[:2], 3, np.uint8)))


# --------------------------------------------------------------------------------------------
# statistics on real photos against imgaug 0.4.0

RATIO = 1.5  # ours / imgaug within 1.5x, both ways ...
FLOOR = {"bright40": 0.005, "bright10": 0.005, "mad": 0.5}  # ... or closer than this (near-zero stats)


def _refs_module():
    spec = importlib.util.spec_from_file_location("make_imgaug_weather_refs",
                                                  os.path.join(DATA, "make_imgaug_weather_refs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def refs():
    pytest.importorskip("skimage")
    with open(os.path.join(DATA, "imgaug_weather.json")) as f:
        return _refs_module(), json.load(f)


def _ours_many(R):
    """The reference script's ``augment_many`` for our operator: one operator, draws 0..n-1."""
    def many(image, mode, param, value, n):
        op = A.Weather(**R.our_kwargs(mode, param, value))
        return [op(image, seed=0, index=i) for i in range(n)]
    return many


def _close(ours: float, ref: float, stat: str) -> bool:
    if abs(ours - ref) <= FLOOR.get(stat, 0.0):
        return True
    return ref > 0 and ours > 0 and 1 / RATIO <= ours / ref <= RATIO


@pytest.mark.parametrize("mode", MODES)
def test_statistics_match_imgaug_on_real_photos(refs, mode):
    """Per configuration (the defaults, and each parameter at both ends of its range) and photo:
    the median over the draws of the share of pixels brightened by > 40 and > 10 levels and of
    the mean absolute change, within 1.5x of imgaug's (tests/data/imgaug_weather.json, "test":
    five photos at a long side of 192 px; 60-400 draws per mode, the same number both sides:
    fewer make the medians themselves swing by more than 1.5x)."""
    R, ref = refs
    configs = [c for c in R.CONFIGS if c[0] == mode]
    many = _ours_many(R)

    def one_photo(name):  # the kernels release the GIL; their scratch buffers are per thread
        return R.measure(many, ref["test_long_side"], configs, photos=(name,), draws=ref["test_draws"],
                         texture=False)["configs"]

    with ThreadPoolExecutor(2) as pool:
        per_photo_results = list(pool.map(one_photo, R.PHOTOS))
    bad = []
    for key in per_photo_results[0]:
        for photo, stats in ((p, r[key][p]) for r in per_photo_results for p in r[key]):
            want = ref["test"]["configs"][key][photo]
            for stat in R.STATS:
                if not _close(stats[stat], want[stat], stat):
                    bad.append(f"{key} {photo} {stat}: ours {stats[stat]:.4g} imgaug {want[stat]:.4g}")
    assert not bad, "\n".join(bad)


def test_fog_texture_matches_imgaug(refs):
    """Fog's layer over grey: its variation at 2-8, 8-32 and 32-128 px (per 512) and its
    autocorrelation length within 1.5x of imgaug's (the old value-noise fog was 1.7-1.8x too
    blotchy at 2-32 px and its autocorrelation 3x too short)."""
    R, ref = refs
    g = R.grey(R.texture_shape(ref["test_long_side"]))
    op = A.Weather(weather_mode="Fog")
    got = R.median_stats([R.texture_stats(op(g, seed=0, index=i)) for i in range(R.TEXTURE_SEEDS)])
    want = ref["test"]["fog_texture"]
    for stat in R.TEXTURE:
        assert 1 / RATIO <= got[stat] / want[stat] <= RATIO, (stat, got[stat], want[stat])
