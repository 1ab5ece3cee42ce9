"""Experiment: imgaug-exact warps on OpenCV 5 by emulating OpenCV 4's fixed-point warpAffine.

imgaug 0.4.0 (and so ModelArts) warps with OpenCV 4, whose ``warpAffine`` rounds every source
coordinate to 1/32 pixel (``AB_BITS = 10``, ``INTER_BITS = 5``) and then runs ``remap`` with
fixed-point tables. OpenCV 5 interpolates at full precision, so our warps differ from imgaug's by up
to R/32 + 1 levels there (tests/augment/test_imgaug_geometric.py). This script rebuilds OpenCV 4's
integer maps in numpy and runs OpenCV 5's ``remap`` on them.

    python benchmarks/opencv4_warp_emulation.py

Measured (OpenCV 5.0, this machine): bit-identical to imgaug on all 28 warp cases of
tests/data/imgaug_geometric.npz (uint8 RGB, gray, RGBA and uint16), where plain ``warpAffine``
is up to 5 levels off; but 512x512x3 costs ~3.9 ms for the maps + ~1.7 ms remap against ~1.8 ms
for ``warpAffine``. Tried since: building the maps in blocks of 64 rows into reused buffers (no page
faults, cache-resident) and calling ``remap`` per block gives the same bits at ~2.8 ms vs ~1.8 ms (1.55x);
rounding float maps with ``cv2.convertMaps`` is not exact (18 of 28 cases). To become the default
(exact imgaug parity on OpenCV 5) it needs to get to ~1.3x ``warpAffine``, which keeps the warped
operators level with the fastest peer at 512x512.
"""

from __future__ import annotations

import json
import timeit
from pathlib import Path

import cv2
import numpy as np

import augment as A
from augment.kernels.geometric import to_index_matrix

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def opencv4_maps(m23: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV 4's ``WarpAffineInvoker`` maps for a forward 2x3 matrix (dst size h x w)."""
    mi = cv2.invertAffineTransform(m23)
    xs, ys = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
    adelta = np.rint(mi[0, 0] * xs * 1024).astype(np.int32)  # saturate_cast<int> rounds half to even
    bdelta = np.rint(mi[1, 0] * xs * 1024).astype(np.int32)
    x0 = (np.rint((mi[0, 1] * ys + mi[0, 2]) * 1024) + 16).astype(np.int32)  # + round_delta
    y0 = (np.rint((mi[1, 1] * ys + mi[1, 2]) * 1024) + 16).astype(np.int32)
    x = np.add.outer(x0, adelta) >> 5  # 1/32-pixel coordinates
    y = np.add.outer(y0, bdelta) >> 5
    frac = ((y & 31) << 5) | (x & 31)
    whole = np.empty((h, w, 2), np.int16)
    whole[..., 0] = np.clip(x >> 5, -32768, 32767)
    whole[..., 1] = np.clip(y >> 5, -32768, 32767)
    return whole, frac.astype(np.uint16)


def warp_like_opencv4(image: np.ndarray, m23: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    whole, frac = opencv4_maps(m23, *out_hw)
    c = image.shape[2] if image.ndim == 3 else 1
    out = cv2.remap(image, whole, frac, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0,) * c)
    return out.reshape(out_hw + image.shape[2:])


def main() -> None:
    cv2.setNumThreads(1)
    d = np.load(DATA / "imgaug_geometric.npz")
    cases = [c for c in json.loads((DATA / "imgaug_geometric.json").read_text())["cases"] if c.get("affine")]
    exact = 0
    for c in cases:
        img, ref = d[f"in/{c['input']}/image"], d[f"out/{c['id']}/image"]
        op = A.operator_from_dict(c["config"])
        meta = A.ImageMeta(img.shape[0], img.shape[1], img.shape[2] if img.ndim == 3 else 0, img.dtype)
        p = op.sample(A.rng(0), meta)
        out = warp_like_opencv4(img, to_index_matrix(op.matrix(p, meta)), img.shape[:2]).reshape(ref.shape)
        plain = op.apply_image(img, p).reshape(ref.shape)
        d_emul = int(np.abs(out.astype(int) - ref).max())
        d_plain = int(np.abs(plain.astype(int) - ref).max())
        exact += d_emul == 0
        print(f"{c['id']:28s} emulated max|diff| {d_emul}   warpAffine (OpenCV {cv2.__version__}) {d_plain}")
    print(f"{exact} of {len(cases)} cases bit-identical to imgaug")
    img = np.random.default_rng(0).integers(0, 255, (512, 512, 3), dtype=np.uint8)
    m = cv2.getRotationMatrix2D((256, 256), 30, 1)

    def t(f):
        return min(timeit.repeat(f, number=20, repeat=5)) / 20 * 1e3

    print(f"512x512x3: emulated {t(lambda: warp_like_opencv4(img, m, (512, 512))):.2f} ms, "
          f"warpAffine {t(lambda: cv2.warpAffine(img, m, (512, 512))):.2f} ms")


if __name__ == "__main__":
    main()
