"""Fixed-parameter imgaug 0.4.0 outputs for the pixel operators (fidelity references).

Run from the repository root with the imgaug side environment::

    /tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_refs_pixel.py

Writes tests/data/imgaug_pixel.npz (input images under "input_<name>", outputs under each case
key) and tests/data/imgaug_pixel.json (case key -> our operator config with fixed ranges, the
input name, the imgaug call, and the tolerance the issue asks for).
"""

import json
import os

import numpy as np
import imgaug
import imgaug.augmenters as iaa

HERE = os.path.dirname(os.path.abspath(__file__))


def synthetic(h, w, seed):
    """Deterministic: smooth gradients, a checker pattern and hashed noise, all 256 levels."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = (x / max(w - 1, 1)) * 255
    g = (y / max(h - 1, 1)) * 255
    b = 127.5 + 127.5 * np.sin((x + 2 * y) / 5.0 + seed)
    img = np.stack([r, g, b], axis=-1)
    checker = (((x // 4) + (y // 4)) % 2)[..., None] * 60 - 30
    hashed = ((x * 73856093 + y * 19349663 + seed * 83492791) % 97)[..., None] - 48
    img = img + checker + hashed
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


INPUTS = {"a": synthetic(48, 64, 1), "b": synthetic(33, 41, 2)}

CASES = []  # (key, input, imgaug augmenter, our config, tolerance)


def case(key, aug, config, tol=0, inputs=("a", "b")):
    for name in inputs:
        CASES.append((f"{key}_{name}", name, aug, config, tol))


for g in (0.5, 1.5):
    case(f"gamma_{g}", iaa.GammaContrast(gamma=g),
         {"name": "LightContrast", "func": "gamma", "gamma_min": g, "gamma_max": g})
for gain, cut in ((5.0, 0.4), (10.0, 0.6)):
    case(f"sigmoid_{gain}_{cut}", iaa.SigmoidContrast(gain=gain, cutoff=cut),
         {"name": "LightContrast", "func": "sigmoid", "gain_min": gain, "gain_max": gain,
          "cutoff_min": cut, "cutoff_max": cut})
for gain in (0.6, 1.4):
    case(f"log_{gain}", iaa.LogContrast(gain=gain),
         {"name": "LightContrast", "func": "log", "gain_min": gain, "gain_max": gain})
for a in (0.6, 1.4):
    case(f"linear_{a}", iaa.LinearContrast(alpha=a),
         {"name": "LightContrast", "func": "linear", "alpha_min": a, "alpha_max": a})
for a in (1.0, 0.4):
    case(f"grayscale_{a}", iaa.Grayscale(alpha=a), {"name": "Grayscale", "alpha_min": a, "alpha_max": a})
for a, l in ((0.5, 1.0), (0.2, 1.2), (1.0, 0.8)):
    case(f"sharpen_{a}_{l}", iaa.Sharpen(alpha=a, lightness=l),
         {"name": "Sharpen", "alpha_min": a, "alpha_max": a, "lightness_min": l, "lightness_max": l})
for k in (3, 4, 7):
    case(f"average_{k}", iaa.AverageBlur(k=k),
         {"name": "Blur", "blur_type": "Average", "k_min": k, "k_max": k})
for s in (0.5, 1.5, 3.0):
    case(f"gauss_{s}", iaa.GaussianBlur(sigma=s),
         {"name": "Blur", "blur_type": "Gauss", "sigma_min": s, "sigma_max": s}, tol=1)
case("histeq", iaa.HistogramEqualization(), {"name": "HistogramEqual"}, tol=1)
for m, a in ((1.2, 10), (0.8, -20), (1.0, 25)):
    case(f"brightness_{m}_{a}",
         iaa.MultiplyAndAddToBrightness(mul=m, add=a, to_colorspace="YCrCb", random_order=False),
         {"name": "LightArithmetic", "mul_min": m, "mul_max": m, "add_min": a, "add_max": a}, tol=1)
for m in (0.6, 1.4):
    case(f"saturation_{m}", iaa.MultiplyHueAndSaturation(mul=m),
         {"name": "Saturation", "mul_min": m, "mul_max": m}, tol=1)
for k, ang, d in ((5, 30.0, 0.5), (7, 0.0, 0.0)):
    case(f"motion_{k}_{ang}_{d}", iaa.MotionBlur(k=k, angle=ang, direction=d),
         {"name": "MotionBlur", "k_min": k, "k_max": k, "angle_min": ang, "angle_max": ang,
          "direction_min": d, "direction_max": d}, tol=None)  # informative: no tolerance asked


def main():
    arrays = {f"input_{k}": v for k, v in INPUTS.items()}
    meta = {"imgaug": imgaug.__version__, "numpy": np.__version__, "cases": {}}
    for key, name, aug, config, tol in CASES:
        out = aug(image=INPUTS[name].copy())
        arrays[key] = out
        meta["cases"][key] = {"input": name, "config": config, "imgaug": str(aug.__class__.__name__),
                              "max_abs_diff": tol}
    np.savez_compressed(os.path.join(HERE, "imgaug_pixel.npz"), **arrays)
    with open(os.path.join(HERE, "imgaug_pixel.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"{len(CASES)} cases written")


if __name__ == "__main__":
    main()
