"""Weather: the kernels' building blocks and the layers' contract (shapes, channels, seeds)."""

import cv2
import numpy as np
import pytest

import augment as A
from augment.kernels import noise as KN
from augment.kernels import weather as K

MODES = ["Rain", "Fog", "Snow", "Clouds"]


@pytest.mark.parametrize("g, n", [(2, 7), (3, 56), (9, 128), (17, 41), (33, 128)])
def test_noise_matrices_equal_opencv_bicubic_resize(g, n):
    grid = np.random.default_rng(g).random((g, g + 3), dtype=np.float32)
    ref = cv2.resize(grid, (n + 5, n), interpolation=cv2.INTER_CUBIC)
    got = (K._cubic_matrix(g, n) @ grid) @ K._cubic_matrix(g + 3, n + 5).T
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_noise_is_smooth_and_spans_0_1():
    noise = K._value_noise_small(KN.generator(3), 512, 384, 2, 3, 0.35)
    assert noise.shape == (128, 96) and noise.dtype == np.float32
    assert noise.min() == 0.0 and abs(noise.max() - 1.0) < 1e-6
    assert np.abs(np.diff(noise, axis=1)).max() < 0.2  # no pixel-level jumps


@pytest.mark.parametrize("lam", [0.03, 0.3, 1.0, 2.5])
def test_poisson_table_has_the_mean(lam):
    table = K._poisson_table(lam).astype(float)
    assert abs(table.mean() - lam) < 0.02 + 0.02 * lam
    assert (np.diff(table) >= 0).all()


def test_dot_field_density():
    for p in (0.01, 0.05, 0.2, 0.6):
        f = K._dot_field(KN.generator(1), 300, 400, p)
        assert f.dtype == np.uint8 and set(np.unique(f)) <= {0, 255}
        assert abs((f == 255).mean() - p) < 0.1 * p + 0.002


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(224, 224, 3), (512, 512, 3), (120, 200, 3), (200, 90), (64, 80, 1), (90, 70, 4),
                                   (1, 1, 3), (2, 3), (3, 150, 4)])
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


@pytest.mark.parametrize("mode", ["Rain", "Snow"])
def test_more_density_covers_more(mode):
    img = np.full((256, 256, 3), 50, np.uint8)
    changed = []
    for d in (0.01, 0.05, 0.12):
        op = A.Weather(weather_mode=mode, density_min=d, density_max=d)
        outs = [op(img, seed=3, index=i) for i in range(6)]
        changed.append(np.mean([(np.abs(o.astype(int) - 50) > 10).any(axis=2).mean() for o in outs]))
    assert changed[0] < changed[1] < changed[2]


def test_fog_intensity_sets_the_haze_brightness():
    img = np.full((128, 128, 3), 40, np.uint8)
    dim = A.Weather(weather_mode="Fog", intensity_min=150, intensity_max=150)(img, seed=0)
    bright = A.Weather(weather_mode="Fog", intensity_min=250, intensity_max=250)(img, seed=0)
    assert 40 < dim.mean() < bright.mean() < 250


def test_rain_streaks_follow_the_angle():
    """Streak direction: the autocorrelation of the streak alpha peaks along the drop angle."""
    img = np.zeros((256, 256), np.uint8)
    for angle, sign in ((12.0, 1), (-12.0, -1)):
        out = K.rain(img, KN.generator(4), 0.01, 40, angle, 255.0, 1).astype(np.float32)
        out -= out.mean()
        # rows 10 apart: the best horizontal offset is ~ tan(angle) * 10 ~ 2 px, on the angle's side
        a, b = out[:-10], out[10:]
        scores = {dx: float((a[:, 8:-8] * b[:, 8 + dx:b.shape[1] - 8 + dx]).sum()) for dx in range(-6, 7)}
        best = max(scores, key=scores.get)
        assert best * sign > 0 and abs(best) <= 4


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
