"""The per-call fast paths give the same values as the straightforward formulas they replace.

Tables are built in place with ufuncs, the sharpening kernel from float32 scalars, uint8 lookup
tables are translated straight into a new array, CutOut fills uint8 holes through one slice, the
random streams are set from Python ints: each is held here against the plain formula (the code
it replaced), bit for bit.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import augment as A
from augment.core.base import Params
from augment.kernels import blur as KB
from augment.kernels import color as K
from augment.random import LazyRng

RNG = np.random.default_rng(1234)  # for module-level case lists only (drawn once, at import)


@pytest.fixture
def rng(request):
    """A generator of the test's own, seeded by its name: the values a test draws do not depend on
    which other tests ran before it."""
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


# ----------------------------------------------------------------------------- reference formulas
_UNIT = np.linspace(0.0, 1.0, num=256, dtype=np.float32)
_LEVELS = np.arange(256, dtype=np.float32)


def _u8(t):
    return np.clip(t, 0, 255).astype(np.uint8)


def ref_gamma(g):
    return _u8((_UNIT ** np.float32(g)) * 255)


def ref_sigmoid(gain, cutoff):
    g, c = np.float32(gain), np.float32(cutoff)
    with np.errstate(over="ignore"):
        return _u8(255 * (1 / (1 + np.exp(g * (c - _UNIT)))))


def ref_log(gain):
    return _u8(255 * np.float32(gain) * np.log2(1 + _UNIT))


def ref_linear(alpha):
    return _u8(127 + np.float32(alpha) * (_LEVELS - 127))


def ref_multiply(mul):
    return _u8(_LEVELS * np.float32(mul))


def ref_sharpen(alpha, lightness):
    nochange = np.zeros((3, 3), np.float32)
    nochange[1, 1] = 1
    effect = np.full((3, 3), -1, np.float32)
    effect[1, 1] = 8 + lightness
    return (1 - alpha) * nochange + alpha * effect


# ----------------------------------------------------------------------------- tables
GAMMAS = RNG.uniform(0.01, 100, 500).tolist() + [0.5, 1.0, 2.0, 0.7, 1.7, 100.0, 1e-6, 3.0]


def test_gamma_table_equals_the_formula():
    for g in GAMMAS:
        assert K.gamma_table(g).tobytes() == ref_gamma(g).tobytes(), g


def test_sigmoid_table_equals_the_formula_and_stays_quiet_on_overflow(rng):
    cases = list(zip(rng.uniform(0, 1000, 500).tolist(), rng.uniform(0, 1, 500).tolist()))
    cases += [(0.0, 0.0), (1000.0, 1.0), (1000.0, 0.0), (90.0, 1.0), (5.0, 0.3), (6.0, 0.6)]
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # an expected overflow must not warn
        for gain, cutoff in cases:
            assert K.sigmoid_table(gain, cutoff).tobytes() == ref_sigmoid(gain, cutoff).tobytes(), (gain, cutoff)


def test_log_linear_multiply_tables_equal_the_formulas(rng):
    for v in rng.uniform(0, 100, 500).tolist() + [0.0, 1.0, 0.4, 1.6]:
        assert K.log_table(v).tobytes() == ref_log(v).tobytes(), v
        assert K.linear_table(v).tobytes() == ref_linear(v).tobytes(), v
        assert K.multiply_table(v).tobytes() == ref_multiply(v).tobytes(), v


def test_sharpen_matrix_equals_the_formula_bytewise(rng):
    cases = list(zip(rng.uniform(0, 1, 2000).tolist(), rng.uniform(0, 100, 2000).tolist()))
    cases += [(0.0, 0.0), (1.0, 1.0), (0.0, 100.0), (1.0, 0.0), (1e-300, 1.0), (1e-40, 5.0), (0.2, 1.2)]
    for a, lightness in cases:
        got, want = KB.sharpen_matrix(a, lightness), ref_sharpen(a, lightness)
        assert got.dtype == want.dtype == np.float32
        assert got.tobytes() == want.tobytes(), (a, lightness)  # the sign of zero included


# ----------------------------------------------------------------------------- applying a table
def _lut_reference(img, table):
    """The table applied by numpy indexing (independent of both fast paths), alpha kept."""
    out = table[img]
    if img.ndim == 3 and img.shape[2] == 4:
        out[..., 3] = img[..., 3]
    return out


@pytest.mark.parametrize("shape", [(31, 17, 3), (31, 17), (31, 17, 1), (31, 17, 4), (1, 1, 3)])
def test_apply_lut_every_layout(shape, rng):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    table = rng.integers(0, 256, 256, dtype=np.uint8)
    for src in (img, img[:, ::2], np.asfortranarray(img), img[::-1]):
        ro = src.copy()
        ro.setflags(write=False)
        for x in (src, ro):
            before = x.copy()
            out = K.apply_lut(x, table)
            want = _lut_reference(x, table)
            assert out.shape == x.shape and out.dtype == np.uint8
            np.testing.assert_array_equal(out, want)
            assert out.flags.writeable and out.flags.c_contiguous
            assert not np.shares_memory(out, x)
            np.testing.assert_array_equal(x, before)


def test_apply_lut_accepts_a_non_uint8_or_strided_table(rng):
    img = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    table = rng.integers(0, 256, 512).astype(np.int64)[::2]
    np.testing.assert_array_equal(K.apply_lut(img, table), _lut_reference(img, table.astype(np.uint8)))


# ----------------------------------------------------------------------------- CutOut
def _cutout_reference(image, params, op):
    """The general fill path (per-channel values, uint8 rounding) for constant fills."""
    out = image.copy()
    view = out if out.ndim == 3 else out[..., None]
    colour = 3 if view.shape[2] == 4 else view.shape[2]
    nval = len(params.fills) // max(len(params.holes), 1)
    for i, (x1, y1, x2, y2) in enumerate(params.holes):
        if x2 <= x1 or y2 <= y1:
            continue
        vals = [round(v) for v in params.fills[i * nval:(i + 1) * nval]]
        view[y1:y2, x1:x2, :colour] = vals[0] if nval == 1 else vals
    return out


@pytest.mark.parametrize("shape", [(40, 50, 3), (40, 50), (40, 50, 1), (40, 50, 4)])
def test_cutout_uint8_fill_equals_the_general_path(shape, rng):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    op = A.CutOut(nb_iterations_min=0, nb_iterations_max=4, size_min=0.0, size_max=0.7, squared=False,
                  cval_min=0, cval_max=255)
    for i in range(40):
        out, p = op(img, seed=2, index=i, return_params=True)
        np.testing.assert_array_equal(out, _cutout_reference(img, p, op))


def test_cutout_draws_match_array_draws():
    """Holes from flat draws equal those from the (count, 2) arrays the parameters are defined by."""
    op = A.CutOut(nb_iterations_min=3, nb_iterations_max=3, size_min=0.1, size_max=0.5, squared=False)
    for i in range(20):
        p = op.sample(LazyRng(5, 0, i, 0), A.structures.image_meta(np.zeros((60, 80, 3), np.uint8)))
        g = A.rng(5, 0, i, 0)
        centre, sizes = g.random((3, 2)), g.uniform(0.1, 0.5, (3, 2))
        for (x1, y1, x2, y2), (cx, cy), (sh, sw) in zip(p.holes, centre, sizes):
            hh, hw = sh * 60, sw * 80
            assert (x1, x2) == (min(max(int(cx * 80 - hw / 2), 0), 80), min(max(int(cx * 80 + hw / 2), 0), 80))
            assert (y1, y2) == (min(max(int(cy * 60 - hh / 2), 0), 60), min(max(int(cy * 60 + hh / 2), 0), 60))


# ----------------------------------------------------------------------------- random streams
def test_lazy_rng_forwarded_methods_follow_the_stream():
    lazy = LazyRng(11, 2, 3, 4)
    g = A.rng(11, 2, 3, 4)
    assert lazy.random() == g.random()
    np.testing.assert_array_equal(lazy.uniform(1, 2, 3), g.uniform(1, 2, 3))
    np.testing.assert_array_equal(lazy.integers(0, 10, 5), g.integers(0, 10, 5))
    np.testing.assert_array_equal(lazy.normal(0, 1, 2), g.normal(0, 1, 2))
    assert lazy.standard_normal() == g.standard_normal()  # the others through attribute lookup
    assert lazy.used


def test_lazy_rng_large_coordinates():
    top = 2**64 - 1
    np.testing.assert_array_equal(LazyRng(2**100, top, top, top).random(3), A.rng(2**100, top, top, top).random(3))


# ----------------------------------------------------------------------------- the per-call checks
@pytest.mark.parametrize("bad", [np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4, 3), np.uint8),
                                 np.zeros((4, 0), np.uint8), np.zeros((4,), np.uint8),
                                 np.zeros((2, 4, 4, 3, 1), np.uint8), np.zeros((4, 4, 3), np.int32)])
def test_the_fused_check_refuses_what_check_image_refuses(bad):
    op = A.LightContrast()
    with pytest.raises(A.UnsupportedImageError, match="LightContrast: unsupported image"):
        op._check_and_describe(bad)
    with pytest.raises(A.UnsupportedImageError, match="LightContrast: unsupported image"):
        op.check_image(bad)
    with pytest.raises(A.UnsupportedImageError):
        op(bad)


def test_the_fused_check_returns_the_image_meta():
    from augment.structures import ImageMeta, image_meta

    for img in (np.zeros((5, 7), np.uint8), np.zeros((5, 7, 1), np.uint16), np.zeros((5, 7, 4), np.float32)):
        meta = A.Flip()._check_and_describe(img)
        assert isinstance(meta, ImageMeta) and meta == image_meta(img)


# ----------------------------------------------------------------------------- operators of users
@dataclass(frozen=True, slots=True)
class _ShiftParams(Params):
    v: int


@dataclass(frozen=True, kw_only=True)  # what @register does, without adding to the registry
class _NeedsBig(A.LightContrast):
    """Refuses small images through the public check_image hook (calling the default first)."""

    def check_image(self, image):
        super().check_image(image)
        if min(image.shape[:2]) < 16:
            raise A.UnsupportedImageError(f"{self.name}: image must be at least 16x16")


@dataclass(frozen=True, kw_only=True)
class _Named(A.Operator):
    """Uses names a framework might want for itself: a field `prepare`, helpers `_apply`, `apply`."""

    prepare: str = "x"

    def _apply(self, image, params):
        return image + np.uint8(params.v)

    def sample(self, rng, meta):
        return _ShiftParams(int(rng.integers(1, 5)) + meta.height * 0)

    def apply_image(self, image, params):
        return self._apply(image, params)


def test_a_check_image_override_is_honoured_everywhere():
    small, big = np.zeros((8, 8, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)
    op = _NeedsBig(func="linear")
    for x in (small, A.Sample(small), A.Sample(small, [[1, 1, 4, 4]], ["a"])):
        with pytest.raises(A.UnsupportedImageError, match="at least 16x16"):
            op(x, seed=0)
    for pipe in (A.Pipeline([op], seed=0), A.Pipeline([op, A.LightContrast(func="gamma")], seed=0)):  # fused too
        with pytest.raises(A.UnsupportedImageError, match="at least 16x16"):
            pipe(small)
        assert pipe(big).shape == big.shape
    with pytest.raises(A.UnsupportedImageError, match="unsupported image"):  # the default checks still run
        op(np.zeros((20, 20, 2), np.uint8))


def test_user_names_do_not_collide_with_the_framework():
    img = np.full((6, 5, 3), 10, np.uint8)
    out = _Named(prepare="y")(img, seed=3)
    assert out.shape == img.shape and 11 <= int(out[0, 0, 0]) <= 14
    assert A.Pipeline([_Named(), A.Flip()], seed=3)(img).shape == img.shape


# ----------------------------------------------------------------------------- stringzilla versions
def test_translate_without_out_is_detected(monkeypatch, rng):
    """stringzilla 3.x has no ``out=``: its translate raises SystemError (caused by a TypeError);
    the import must not fail, and tables are then applied on a copy, in place."""

    def old_translate(src, table, out=None, inplace=False):
        if out is not None:
            raise SystemError("<built-in function translate> returned a result with an exception set")
        view = np.frombuffer(src, np.uint8)
        view[:] = np.frombuffer(table, np.uint8)[view]
        return None

    monkeypatch.setattr(K, "_translate", old_translate)
    assert K._translate_has_out() is False
    monkeypatch.setattr(K, "_TRANSLATE_OUT", False)
    img = rng.integers(0, 256, (9, 7, 4), dtype=np.uint8)
    table = rng.integers(0, 256, 256, dtype=np.uint8)
    out = K.apply_lut(img, table)
    np.testing.assert_array_equal(out, _lut_reference(img, table))
    np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_lut_output_is_a_plain_array_for_a_memmap_input(tmp_path, rng):
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.uint8, shape=(12, 10, 3))
    mm[:] = rng.integers(0, 256, mm.shape, dtype=np.uint8)
    out = A.LightContrast(func="gamma")(mm, seed=0)
    assert type(out) is np.ndarray and not np.shares_memory(out, mm)


def test_sigmoid_table_with_a_negative_gain_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = K.sigmoid_table(-200.0, 0.5)
    assert t[:3].tolist() == [255, 255, 255]


def test_sample_without_boxes_skips_nothing_that_matters(rng):
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    s = A.Sample(img, meta={"source": "x"})
    for op in (A.LightContrast(), A.CutOut(), A.Sharpen(), A.Flip(), A.Crop()):
        out = op(s, seed=1, index=2)
        assert out.meta == {"source": "x"} and len(out.boxes) == 0 and out.labels == []
        np.testing.assert_array_equal(out.image, op(img, seed=1, index=2))
        assert not np.shares_memory(out.image, img)
