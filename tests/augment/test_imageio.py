"""Image reading and writing on real-world file variants."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from augment.imageio import (
    ImageReadError,
    ImageTooLargeError,
    ImageWriteError,
    decode_image,
    encode_image,
    read_image,
    write_image,
)
from tests.conftest import make_image

RGB = make_image(20, 30)


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_rgb_png_round_trip(tmp_path):
    write_image(tmp_path / "a.png", RGB)
    arr, info = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(arr, RGB)
    assert info.format == "PNG" and info.exif_orientation == 1


def test_jpeg_quality_is_high(tmp_path):
    write_image(tmp_path / "a.jpg", RGB, quality=97, subsampling=0)  # 4:4:4, as a 4:4:4 input keeps
    arr, info = read_image(tmp_path / "a.jpg")
    assert arr.shape == RGB.shape and info.format == "JPEG"
    assert np.abs(arr.astype(int) - RGB).mean() < 3


@pytest.mark.parametrize(
    "mode,shape",
    [("L", (20, 30)), ("1", (20, 30)), ("RGBA", (20, 30, 4)), ("LA", (20, 30, 4)), ("P", (20, 30, 3))],
)
def test_modes(mode, shape):
    im = Image.fromarray(RGB).convert(mode)
    arr, info = decode_image(_save(im, "PNG"))
    assert arr.shape == shape and arr.dtype == np.uint8 and info.mode in (mode, "RGB", "RGBA")


def test_palette_with_transparency_keeps_alpha():
    im = Image.fromarray(RGB).convert("P")
    im.info["transparency"] = 0
    arr, _ = decode_image(_save(im, "PNG", transparency=0))
    assert arr.shape == (20, 30, 4)


def test_cmyk_jpeg_becomes_rgb():
    arr, info = decode_image(_save(Image.fromarray(RGB).convert("CMYK"), "JPEG", quality=95))
    assert arr.shape == (20, 30, 3) and info.mode == "CMYK"


def test_16_bit_png_gray_and_colour():
    g16 = (np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    ok, buf = cv2.imencode(".png", g16)
    arr, info = decode_image(buf.tobytes())
    assert arr.dtype == np.uint16 and arr.shape == (20, 30) and info.bit_depth == 16
    np.testing.assert_array_equal(arr, g16)
    c16 = make_image(20, 30, 3, dtype=np.uint16)
    ok, buf = cv2.imencode(".png", c16[..., ::-1])  # OpenCV writes BGR
    arr, info = decode_image(buf.tobytes())
    np.testing.assert_array_equal(arr, c16)  # read back as RGB


def test_16_bit_write_round_trip(tmp_path):
    c16 = make_image(20, 30, 4, dtype=np.uint16)
    write_image(tmp_path / "a.png", c16)
    arr, _ = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(arr, c16)
    with pytest.raises(ImageWriteError, match="only be written as PNG"):
        write_image(tmp_path / "a.jpg", c16)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation):
    im = Image.fromarray(RGB)
    exif = Image.Exif()
    exif[0x0112] = orientation
    arr, info = decode_image(_save(im, "PNG", exif=exif))
    assert info.exif_orientation == orientation
    expected = {1: RGB, 2: RGB[:, ::-1], 3: RGB[::-1, ::-1], 4: RGB[::-1], 5: RGB.swapaxes(0, 1),
                6: np.rot90(RGB, -1), 7: RGB.swapaxes(0, 1)[::-1, ::-1], 8: np.rot90(RGB, 1)}[orientation]
    np.testing.assert_array_equal(arr, expected)


def test_corrupt_truncated_and_empty_files(tmp_path):
    data = _save(Image.fromarray(RGB), "JPEG")
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match=r"t\.jpg: corrupt JPEG"):
        read_image(tmp_path / "t.jpg")  # cut inside the header
    big = _save(Image.fromarray(make_image(300, 400)), "JPEG")
    (tmp_path / "scan.jpg").write_bytes(big[: len(big) * 2 // 3])
    with pytest.raises(ImageReadError, match=r"scan\.jpg: corrupt JPEG: image file is truncated"):
        read_image(tmp_path / "scan.jpg")  # cut inside the compressed data
    (tmp_path / "e.jpg").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty file"):
        read_image(tmp_path / "e.jpg")
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(ImageReadError, match="not a readable image"):
        read_image(tmp_path / "x.png")
    with pytest.raises(ImageReadError, match="cannot read file"):
        read_image(tmp_path / "missing.png")


def test_decompression_bomb_is_refused_before_decoding():
    data = _save(Image.new("L", (1000, 1000)), "PNG")
    with pytest.raises(ImageTooLargeError, match="1000x1000 = 1,000,000 pixels exceeds the limit of 999,999"):
        decode_image(data, max_pixels=999_999)
    assert decode_image(data, max_pixels=None)[0].shape == (1000, 1000)


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    write_image(tmp_path / "sub" / "a.png", RGB)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.png"]
    with pytest.raises(ImageWriteError, match="no alpha"):
        write_image(tmp_path / "sub" / "b.jpg", make_image(5, 5, 4))
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.png"]
    with pytest.raises(ImageWriteError, match="unknown image format"):
        write_image(tmp_path / "c.xyz", RGB)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
@pytest.mark.parametrize("sampling", [0, 2])
def test_jpeg_fast_path_equals_pillow(orientation, sampling):
    import augment.imageio as io_mod

    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _save(Image.fromarray(make_image(40, 56)), "JPEG", quality=92, subsampling=sampling, exif=exif)
    fast, info = decode_image(data)
    assert info.subsampling == sampling and info.exif_orientation == orientation
    im = Image.open(io.BytesIO(data))
    im.load()
    from PIL import ImageOps

    ref = np.asarray(ImageOps.exif_transpose(im))
    np.testing.assert_array_equal(fast, ref)
    assert io_mod._decode_rgb_jpeg(data) is not None  # the fast path was available


def test_subsampling_is_kept_on_encode():
    from PIL import JpegImagePlugin

    for sampling in (0, 1, 2):
        data = encode_image(RGB, "JPEG", quality=95, subsampling=sampling)
        assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(data))) == sampling
    assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(encode_image(RGB, "JPEG")))) == 2


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("sampling", [0, 1, 2])
def test_opencv_jpeg_encoder_writes_pillows_bytes(channels, sampling):
    import augment.imageio as io_mod

    if io_mod._CV_SAMPLING is None:
        pytest.skip("this OpenCV cannot set the JPEG sampling factor")
    img = make_image(37, 53, channels)
    out = io.BytesIO()
    Image.fromarray(img).save(out, format="JPEG", quality=93, subsampling=sampling)
    assert encode_image(img, "JPEG", quality=93, subsampling=sampling) == out.getvalue()
