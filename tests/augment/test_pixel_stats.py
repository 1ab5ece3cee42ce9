"""Statistical checks of the random pixel operators with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

import augment as A
from augment.kernels import noise as KN

GRAY = np.full((256, 256, 3), 128, np.uint8)


def _noise(op, index=0):
    return op(GRAY, seed=3, index=index).astype(np.int16) - 128


@pytest.mark.parametrize("loc,scale", [(0, 1), (0, 10), (5, 3)])
def test_gaussian_noise_moments(loc, scale):
    n = _noise(A.AddNoise(noise_type="Gauss", loc=loc, scale=scale))
    assert abs(n.mean() - loc) < 0.05 * scale + 0.02
    # rounding adds 1/12 to the variance of the rounded values
    assert abs(n.std() - math.sqrt(scale**2 + 1 / 12)) < 0.03 * scale + 0.02
    assert (n[..., 0] == n[..., 1]).all() and (n[..., 0] == n[..., 2]).all()  # per_channel=False


def test_gaussian_noise_per_channel():
    n = _noise(A.AddNoise(noise_type="Gauss", scale=10, per_channel=True))
    assert (n[..., 0] != n[..., 1]).mean() > 0.9
    assert abs(np.corrcoef(n[..., 0].ravel(), n[..., 1].ravel())[0, 1]) < 0.02


def test_laplace_noise_moments():
    n = _noise(A.AddNoise(noise_type="Laplace", scale=4))
    assert abs(n.mean()) < 0.1
    assert abs(n.std() - math.sqrt(2 * 16 + 1 / 12)) < 0.15
    assert abs(np.abs(n).mean() - 4.0) < 0.15  # E|X| = b (rounding changes it little at b=4)


def test_signed_poisson_noise():
    n = _noise(A.AddNoise(noise_type="Poisson", lam=2))
    assert abs(n.mean()) < 0.03  # signed: mean 0, independent of the pixel
    assert abs((n.astype(float) ** 2).mean() - (2 + 4)) < 0.12  # E[k^2] = lam + lam^2
    k = np.abs(n[..., 0])
    assert abs((k == 0).mean() - math.exp(-2)) < 0.01


@pytest.mark.parametrize("p", [0.01, 0.2])
def test_salt_and_pepper_fraction_and_values(p):
    out = A.AddNoise(noise_type="SaltAndPepper", p=p)(GRAY, seed=1)
    changed = (out != 128).any(axis=2)
    assert abs(changed.mean() - p) < 4 * math.sqrt(p * (1 - p) / changed.size) + 1e-3
    px = out[changed]
    assert (px[:, 0] == px[:, 1]).all() and (px[:, 1] == px[:, 2]).all()  # whole pixels
    v = px[:, 0].astype(float)
    # Beta(0.5, 0.5) * 255: mean 127.5, mostly near the ends
    assert abs(v.mean() - 127.5) < 12
    assert ((v < 40) | (v > 215)).mean() > 0.45


def test_impulse_noise_per_channel_fraction():
    out = A.AddNoise(noise_type="Impulse", p=0.05)(GRAY, seed=2)
    changed = out != 128
    assert abs(changed.mean() - 0.05) < 0.003
    whole = changed.all(axis=2).mean()
    assert whole < 0.001  # channels independent: all three ~ p**3


def test_bernoulli_positions_exact_process():
    gen = KN.generator(5)
    counts = [len(KN.bernoulli_positions(gen, 10_000, 0.3)) for _ in range(200)]
    assert abs(np.mean(counts) - 3000) < 15
    pos = KN.bernoulli_positions(gen, 1000, 0.5)
    assert (np.diff(pos) > 0).all() and pos.max() < 1000


def test_noise_table_probabilities_within_2_pow_16():
    pos, neg = KN.noise_table("Gauss", 0.0, 1.0, 0.0)
    noise = pos.astype(int) - neg.astype(int)
    for v in range(-3, 4):
        exact = 0.5 * (math.erf((v + 0.5) / math.sqrt(2)) - math.erf((v - 0.5) / math.sqrt(2)))
        assert abs((noise == v).mean() - exact) <= 1 / 65536


def test_uint16_and_float_noise_scale():
    img16 = np.full((128, 128, 3), 30000, np.uint16)
    n = A.AddNoise(scale=2)(img16, seed=0).astype(float) - 30000
    assert abs(n.std() - 2 * 257) < 20
    f = np.full((128, 128), 0.5, np.float32)
    nf = A.AddNoise(scale=2)(f, seed=0) - 0.5
    assert abs(nf.std() - 2 / 255) < 0.0005


def test_cutout_geometry():
    img = np.zeros((100, 200, 3), np.uint8)
    op = A.CutOut()
    for index in range(20):
        out, p = op(img, seed=4, index=index, return_params=True)
        (x1, y1, x2, y2), = p.holes
        mask = (out == 128).all(axis=2)
        assert mask.sum() == (x2 - x1) * (y2 - y1)
        assert mask[y1:y2, x1:x2].all()
        # a square of side 0.2 * H = 20 px unless cut by the border
        assert (x2 - x1) <= 21 and (y2 - y1) <= 21
        if 0 < x1 and x2 < 200 and 0 < y1 and y2 < 100:
            assert abs((x2 - x1) - 20) <= 1 and abs((y2 - y1) - 20) <= 1
    many = A.CutOut(nb_iterations_min=3, nb_iterations_max=3, size_min=0.1, size_max=0.1, cval_min=0,
                    cval_max=0)(np.full((50, 50), 255, np.uint8), seed=0)
    assert 0 < (many == 0).sum() <= 3 * 25


@pytest.mark.parametrize("mode", ["Rain", "Fog", "Snow", "Clouds"])
def test_weather_layers(mode):
    rng = np.random.default_rng(0)
    img = (rng.random((128, 160, 3)) * 120 + 40).astype(np.uint8)
    op = A.Weather(weather_mode=mode)
    for index in range(3):
        out = op(img, seed=9, index=index)
        np.testing.assert_array_equal(out, op(img, seed=9, index=index))
        d = out.astype(float) - img
        changed = (np.abs(d) > 2).any(axis=2).mean()
        brighter = d.mean()
        if mode == "Fog":
            assert changed > 0.8 and 30 < brighter < 180
        elif mode == "Clouds":
            assert changed > 0.2 and 5 < brighter < 150
        elif mode == "Rain":
            assert 0.05 < changed <= 1.0 and 0 < brighter < 60
        else:
            assert 0.005 < changed < 0.8 and 0 < brighter < 80
