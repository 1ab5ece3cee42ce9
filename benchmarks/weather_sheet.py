"""Side-by-side sheet: our Weather and imgaug 0.4.0's weather augmenters on a real photo.

Two steps, because imgaug runs only in its side environment (numpy 1.23.5)::

    /tmp/peers-envs/imgaug/bin/python benchmarks/weather_sheet.py imgaug --out /tmp/weather_imgaug.npz
    python benchmarks/weather_sheet.py sheet --imgaug /tmp/weather_imgaug.npz \\
        [--out benchmarks/weather_vs_imgaug.png]

The photo is scikit-image's ``astronaut`` (512 x 512, public domain), augmented at its own size
(the weather depends on the image size). Rows: Rain, Snow, Fog, Clouds; columns: two draws of
ours, then two of imgaug (``iaa.Rain()``, ``iaa.Snowflakes()``, ``iaa.Fog()``, ``iaa.Clouds()``,
one augmenter each, after one warm-up call). Rain and Snow tiles are 1:1 crops (streaks and
flakes at their real size); Fog and Clouds tiles are the whole image reduced (their texture is
large-scale). The PNG is palette-quantised to stay small.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ("Rain", "Snow", "Fog", "Clouds")
DRAWS = 2
TILE = 224
CROP = (150, 40)  # (y, x) of the 1:1 crop: flag, hair, suit and the dark helmet ring
SEED = 7
COLOURS = 192  # palette size: keeps the PNG under 400 KB


def photo() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut()[..., :3])


def tile(mode: str, image: np.ndarray) -> np.ndarray:
    import cv2

    if mode in ("Rain", "Snow"):
        y, x = CROP
        return image[y:y + TILE, x:x + TILE]
    return cv2.resize(image, (TILE, TILE), interpolation=cv2.INTER_AREA)


def run_imgaug(out: str) -> None:
    import imgaug.augmenters as iaa

    img = photo()
    tiles = {}
    for mode in MODES:
        aug = {"Rain": iaa.Rain, "Snow": iaa.Snowflakes, "Fog": iaa.Fog, "Clouds": iaa.Clouds}[mode](seed=SEED)
        aug(image=img)  # warm-up: Rain/Snowflakes' layer copies start in the same random state
        tiles[mode] = np.stack([tile(mode, aug(image=img)) for _ in range(DRAWS)])
    np.savez_compressed(out, **tiles)
    print("wrote", out, file=sys.stderr)


def label(text: str, width: int, height: int) -> np.ndarray:
    import cv2

    band = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(band, text, (6, height - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return band


def make_sheet(imgaug_npz: str, out: str) -> None:
    from PIL import Image

    sys.path.insert(0, os.path.dirname(HERE))
    import augment as A

    img = photo()
    ref = np.load(imgaug_npz)
    gap = 6
    white = lambda h, w: np.full((h, w, 3), 255, np.uint8)  # noqa: E731
    rows = []
    header = [label("", 80, 24)]
    for name in [f"ours #{i + 1}" for i in range(DRAWS)] + [f"imgaug #{i + 1}" for i in range(DRAWS)]:
        header += [white(24, gap), label(name, TILE, 24)]
    rows.append(np.concatenate(header, axis=1))
    for mode in MODES:
        op = A.Weather(weather_mode=mode)
        ours = [tile(mode, op(img, seed=SEED, index=i)) for i in range(DRAWS)]
        cells = [label(mode, 80, TILE // 2 + 12)]
        cells[0] = np.concatenate([cells[0], white(TILE - cells[0].shape[0], 80)], axis=0)
        for t in ours + list(ref[mode]):
            cells += [white(TILE, gap), t]
        rows.append(white(gap, sum(c.shape[1] for c in cells)))
        rows.append(np.concatenate(cells, axis=1))
    sheet = np.concatenate(rows, axis=0)
    Image.fromarray(sheet).quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, optimize=True)
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]}, {os.path.getsize(out) // 1024} KB)", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("imgaug", help="render imgaug's tiles (imgaug environment)")
    a.add_argument("--out", default="/tmp/weather_imgaug.npz")
    s = sub.add_parser("sheet", help="render ours and compose the sheet")
    s.add_argument("--imgaug", default="/tmp/weather_imgaug.npz")
    s.add_argument("--out", default=os.path.join(HERE, "weather_vs_imgaug.png"))
    args = ap.parse_args()
    if args.cmd == "imgaug":
        run_imgaug(args.out)
    else:
        make_sheet(args.imgaug, args.out)


if __name__ == "__main__":
    main()
