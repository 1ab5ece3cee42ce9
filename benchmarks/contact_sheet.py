"""Contact sheet: every pixel operator on a real photo, one small PNG for a person to look at.

    python benchmarks/contact_sheet.py [--out benchmarks/contact_sheet.png] [--photo astronaut.png]

Photo: scikit-image's bundled ``astronaut.png`` (public domain), found through ``skimage.data``
when importable, else in a side environment's site-packages, at ``--height`` px (the operator
runs at that size: Weather's flakes and streaks scale with the image). One tile per operator
configuration, at a fixed seed, in ``--columns`` columns; the PNG is palette-quantised (256
colours, no dithering) to stay under 400 KB. ``benchmarks/weather_sheet.py`` shows Weather at
full size next to imgaug's.
"""

from __future__ import annotations

import argparse
import glob
import os

import cv2
import numpy as np

import augment as A

ROWS = [
    ("original", None),
    ("AddNoise Gauss scale=20", A.AddNoise(noise_type="Gauss", scale=20)),
    ("AddNoise Laplace scale=15", A.AddNoise(noise_type="Laplace", scale=15)),
    ("AddNoise Poisson lam=16", A.AddNoise(noise_type="Poisson", lam=16)),
    ("AddNoise Impulse p=0.05", A.AddNoise(noise_type="Impulse", p=0.05)),
    ("AddNoise SaltAndPepper p=0.05", A.AddNoise(noise_type="SaltAndPepper", p=0.05)),
    ("Blur Gauss sigma 3", A.Blur(sigma_min=3, sigma_max=3)),
    ("Blur Average k 7", A.Blur(blur_type="Average", k_min=7, k_max=7)),
    ("MotionBlur k 15", A.MotionBlur(k_min=15, k_max=15)),
    ("Sharpen alpha 1", A.Sharpen(alpha_min=1, alpha_max=1)),
    ("CutOut x3", A.CutOut(nb_iterations_min=3, nb_iterations_max=3)),
    ("Grayscale", A.Grayscale()),
    ("Grayscale alpha .5", A.Grayscale(alpha_min=0.5, alpha_max=0.5)),
    ("HistogramEqual", A.HistogramEqual()),
    ("LightArithmetic", A.LightArithmetic()),
    ("LightContrast gamma", A.LightContrast(func="gamma")),
    ("LightContrast sigmoid", A.LightContrast(func="sigmoid")),
    ("LightContrast log", A.LightContrast(func="log")),
    ("LightContrast linear", A.LightContrast(func="linear")),
    ("Saturation 0.5..1.5", A.Saturation()),
    ("Saturation x0.2", A.Saturation(mul_min=0.2, mul_max=0.2)),
    ("Weather Rain", A.Weather(weather_mode="Rain")),
    ("Weather Fog", A.Weather(weather_mode="Fog")),
    ("Weather Snow", A.Weather(weather_mode="Snow")),
    ("Weather Clouds", A.Weather(weather_mode="Clouds")),
]


def find_photos(names=("astronaut.png",)):
    try:
        import skimage.data as sd  # noqa: F401

        base = os.path.dirname(sd.__file__)
    except ImportError:
        hits = glob.glob("/tmp/peers-envs/*/lib/python3*/site-packages/skimage/data/astronaut.png")
        if not hits:
            raise SystemExit("scikit-image's data files not found: pip install scikit-image")
        base = os.path.dirname(hits[0])
    return [cv2.cvtColor(cv2.imread(os.path.join(base, n)), cv2.COLOR_BGR2RGB) for n in names]


def main() -> None:
    from PIL import Image

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "contact_sheet.png"))
    ap.add_argument("--photo", default="astronaut.png")
    ap.add_argument("--height", type=int, default=150)
    ap.add_argument("--columns", type=int, default=5)
    args = ap.parse_args()
    (p,) = find_photos((args.photo,))
    h = args.height
    photo = cv2.resize(p, (int(p.shape[1] * h / p.shape[0]), h), interpolation=cv2.INTER_AREA)
    tiles = []
    for label, op in ROWS:
        t = photo if op is None else op(photo, seed=2)
        cell = np.full((t.shape[0] + 22, t.shape[1] + 8, 3), 255, np.uint8)
        cell[18:18 + t.shape[0], 4:4 + t.shape[1]] = t
        cv2.putText(cell, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(cell)
    cols = args.columns
    while len(tiles) % cols:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.concatenate(tiles[i:i + cols], axis=1) for i in range(0, len(tiles), cols)]
    sheet = np.concatenate(rows, axis=0)
    Image.fromarray(sheet).quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        args.out, optimize=True)
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]}, {os.path.getsize(args.out) // 1024} KB)")


if __name__ == "__main__":
    main()
