"""Image kernels for the geometric operators (OpenCV on numpy arrays).

Matrices are 3x3 affine maps in continuous coordinates (pixel ``i`` spans ``[i, i+1)``; the image
centre is ``(W/2, H/2)``). :func:`warp_affine` converts to OpenCV's pixel-index convention, which
puts the centre of rotation at ``((W-1)/2, (H-1)/2)``, exactly as imgaug does.

OpenCV returns ``(H, W)`` for a ``(H, W, 1)`` input; every kernel here restores the channel axis.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

__all__ = [
    "INTERPOLATIONS",
    "warp_affine",
    "flip",
    "crop",
    "pad",
    "resize",
    "shift",
    "to_index_matrix",
    "auto_interpolation",
]

INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}

def auto_interpolation(src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> int:
    """imgaug's choice when no interpolation is given (``imresize_many_images(interpolation=None)``):
    area when either side grows, else linear."""
    if dst_hw[0] > src_hw[0] or dst_hw[1] > src_hw[1]:
        return cv2.INTER_AREA
    return cv2.INTER_LINEAR


_HALF = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
_MINUS_HALF = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])


def _restore(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    if out.ndim == like.ndim:
        return out
    return out.reshape((*out.shape, 1))


def _border(image: np.ndarray, value: float) -> tuple:
    return (value,) * (image.shape[2] if image.ndim == 3 else 1)


def to_index_matrix(matrix: np.ndarray) -> np.ndarray:
    """The 2x3 pixel-index matrix OpenCV needs for a continuous-coordinate 3x3 ``matrix``."""
    return (_MINUS_HALF @ matrix @ _HALF)[:2]


def warp_affine(
    image: np.ndarray,
    matrix: np.ndarray,
    out_hw: tuple[int, int],
    interpolation: int = cv2.INTER_LINEAR,
    fill: float = 0,
) -> np.ndarray:
    """Warp with a forward 3x3 ``matrix`` (source -> destination), constant border ``fill``.

    On OpenCV 5, bilinear 3-channel uint8 warps of up to ~2 MP go through 4 channels (RGB -> RGBA,
    warp, RGBA -> RGB): OpenCV 5's 4-channel bilinear warp is vectorised where its 3-channel one is
    not, and channels are interpolated independently, so the result is bit-identical
    (``tests/augment/test_geometric.py``). See :func:`_warp_rgb_via_rgba` for the measurements."""
    h, w = out_hw
    m = to_index_matrix(matrix)
    if (_RGBA_WARP and interpolation == cv2.INTER_LINEAR and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3 and h * w > 0 and 0 < image.shape[0] * image.shape[1] <= _RGBA_WARP_MAX_PIXELS):
        return _warp_rgb_via_rgba(image, m, (h, w), fill)
    out = cv2.warpAffine(image, m, (w, h), flags=interpolation, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=_border(image, fill))
    return _restore(out, image)


# OpenCV 4.x: the 4-channel route measured level with the 3-channel warp (0.8-1.1x), so it is not used
_RGBA_WARP = int(cv2.__version__.split(".")[0]) >= 5
_RGBA_WARP_MAX_PIXELS = 1 << 21  # 1920x1080 fits: at most 8 MB of scratch kept per thread
_scratch = threading.local()


def _rgba_scratch(h: int, w: int) -> np.ndarray:
    """An ``h`` x ``w`` x 4 view of this thread's scratch buffer, which grows to the largest image
    seen (so images of varying sizes reuse it)."""
    n = h * w * 4
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.size < n:
        buf = _scratch.buf = np.empty(n, np.uint8)
    return buf[:n].reshape(h, w, 4)


def _warp_rgb_via_rgba(image: np.ndarray, m: np.ndarray, out_hw: tuple[int, int], fill: float) -> np.ndarray:
    """The bilinear warp of an RGB uint8 image through RGBA, the RGBA copy of the input in a
    per-thread scratch buffer.

    Measured per call (rotations, interleaved, CPU-pinned, OpenCV 5.0, conversions included):
    1.4-1.8x faster than the 3-channel warp at 224^2 and 512^2 (512^2: ~2.3-3.1 -> ~1.6-2.1 ms),
    1.1-1.3x at 1024^2, level at 64^2; 1.5-1.7x on images of varying sizes. The scratch buffer
    matters: freshly allocated each call, the extra buffers' page faults made a 512^2 warp slower
    than the 3-channel one (0.7x) in a process with glibc's default allocator settings; a scratch
    for the RGBA output as well measured no better."""
    h, w = out_hw
    src = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA, dst=_rgba_scratch(image.shape[0], image.shape[1]))
    out = cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(fill,) * 4)
    return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB)


def flip(image: np.ndarray, horizontal: bool) -> np.ndarray:
    """A flipped copy. ``cv2.flip`` measured fastest of the copies tried for 3-channel uint8 at
    224x224 (16 us; a plain copy is ~5 us): numpy's reversed-view copy ~500 us, a byte-reversal
    plus channel swap ~20 us, ``np.take`` ~200 us, through RGBA or Pillow ~300 us. Vertical: cv2
    and a numpy row-reversed copy are level."""
    out = cv2.flip(image, 1 if horizontal else 0)
    return out if out.ndim == image.ndim else out.reshape(image.shape)


def crop(image: np.ndarray, top: int, right: int, bottom: int, left: int) -> np.ndarray:
    """A copy of ``image[top:H-bottom, left:W-right]``."""
    h, w = image.shape[:2]
    return image[top : h - bottom, left : w - right].copy()


def pad(image: np.ndarray, top: int, right: int, bottom: int, left: int, fill: float = 0) -> np.ndarray:
    out = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=_border(image, fill))
    return _restore(out, image)


def resize(image: np.ndarray, height: int, width: int, interpolation: int = cv2.INTER_CUBIC) -> np.ndarray:
    if image.shape[0] == height and image.shape[1] == width:
        return image.copy()
    return _restore(cv2.resize(image, (width, height), interpolation=interpolation), image)


def shift(image: np.ndarray, dx: int, dy: int, fill: float = 0) -> np.ndarray:
    """Integer translation with a constant border: equal to :func:`warp_affine` with a pure
    integer shift, without interpolation."""
    h, w = image.shape[:2]
    out = np.full_like(image, fill)
    xs, xd = (0, dx) if dx >= 0 else (-dx, 0)
    ys, yd = (0, dy) if dy >= 0 else (-dy, 0)
    cw, ch = w - abs(dx), h - abs(dy)
    if cw > 0 and ch > 0:
        out[yd : yd + ch, xd : xd + cw] = image[ys : ys + ch, xs : xs + cw]
    return out
