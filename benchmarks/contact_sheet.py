"""Contact sheet: every pixel operator on two real photos, one PNG for a person to look at.

    python benchmarks/contact_sheet.py [--out benchmarks/contact_sheet.png]

Photos: scikit-image's bundled ``astronaut.png`` and ``coffee.png`` (public domain / CC0), found
through ``skimage.data`` when importable, else in a side environment's site-packages. Each row is
one operator configuration: the two photos side by side, at a fixed seed.
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


def find_photos(names=("astronaut.png", "coffee.png")):
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
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "contact_sheet.png"))
    ap.add_argument("--height", type=int, default=200)
    args = ap.parse_args()
    photos = []
    for p in find_photos():
        h = args.height
        photos.append(cv2.resize(p, (int(p.shape[1] * h / p.shape[0]), h), interpolation=cv2.INTER_AREA))
    rows = []
    for label, op in ROWS:
        tiles = [p if op is None else op(p, seed=2) for p in photos]
        row = np.concatenate([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=255) for t in tiles], axis=1)
        banner = np.full((row.shape[0], 260, 3), 255, np.uint8)
        cv2.putText(banner, label, (6, row.shape[0] // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([banner, row], axis=1))
    # two columns of rows to keep the sheet roughly square
    half = (len(rows) + 1) // 2
    left, right = rows[:half], rows[half:]
    if len(right) < len(left):
        right.append(np.full_like(left[0], 255))
    sheet = np.concatenate([np.concatenate(left, axis=0), np.concatenate(right, axis=0)], axis=1)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
