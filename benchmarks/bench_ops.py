#!/usr/bin/env python3
"""Time every landed augment operator side by side with the peer libraries, one process per peer.

Modes
-----
  run      one peer environment, one process (run it with that environment's python, under taskset):
             taskset -c 1 /tmp/peers-envs/albu/bin/python benchmarks/bench_ops.py run --env albu \\
                 --json-out benchmarks/results/albu-run1.json
  all      what people re-run: every environment in turn, --runs times, alternating environments
           (albu, augrs, albux, imgaug, albu, augrs, ...), each under `taskset -c 1`, then the report:
             python benchmarks/bench_ops.py all            # ~10-15 min; writes results/*.json + RESULTS.md
             python benchmarks/bench_ops.py all --quick --only Rotate --out /tmp/r.md   # smoke test
  report   combine result files into Markdown (stdout, or --out FILE):
             python benchmarks/bench_ops.py report benchmarks/results/*.json --out benchmarks/RESULTS.md
           With --out, the hand-written block between the markers <!-- notes --> and <!-- /notes -->
           of the existing file is kept (so re-running `all` does not erase the reading notes).
  profile  where our per-call time goes (component micro-timings + cProfile), in the current python:
             taskset -c 1 python benchmarks/bench_ops.py profile [--only Flip] [--size 224]

Method (the same for both sides, in the same process)
------
* Single thread: OMP/OPENBLAS/MKL/NUMEXPR/VECLIB/RAYON threads = 1 set before numpy is imported,
  `cv2.setNumThreads(0)` called once by this script (augment itself never changes OpenCV's thread
  setting), the process pinned to one CPU with `taskset -c 1` (`all` does this).
* Images: the synthetic image of the peers' harness (`/work/shared/peers/bench_peers.py make_image`,
  re-implemented here with the same recipe and seeds so the numbers are comparable): 224x224x3 uint8
  without boxes, 512x512x3 uint8 with its 5 pascal_voc boxes on the geometric operators.
* Contestants per table row, all calling the same image:
    ours     `op(Sample(image, boxes, labels), seed=0, index=i)`; the Sample is built inside the timed
             call (peers convert their box input inside their call too); geometric ops use
             box_policy="clip" so nothing is dropped
    ours_default  the same with the operator's default box policy, only where that differs from clip
             (Rotate: drop_image, so most calls return None)
    bare     `op(image, seed=0, index=i)`: no Sample, no boxes (the cost of box handling = ours - bare)
    peer     the peer's matching call: albumentations/AlbumentationsX `Compose([t], seed=0)` (with
             `BboxParams(pascal_voc, label_fields=["labels"])` when boxes are given), augrs
             `Compose` likewise, imgaug augmenter (`BoundingBoxesOnImage.from_xyxy_array` inside the call)
  `index` increases with every call, so each call draws new parameters, as the peers' RNGs do.
* Timing: 3 warm-up calls, then k calls per window (k sized so a window lasts ~--window seconds,
  at least MIN_CALLS = 4, so that a slow peer's window averages a few random draws),
  gc disabled inside a window. --rounds rounds; in each round every row's contestants are timed in
  adjacent windows (order reversed every other round: A B C / C B A), and rows follow one another,
  so a slow patch of the machine hits both sides of a comparison alike. Per round, ratio =
  peer seconds per call / our seconds per call (>1: we are faster). Reported: img/s = 1 / median of
  the per-round per-call times; ratio = median of the per-round ratios, with min-max.
  A canary (pure-Python loop + 512x512x3 copy) is timed at the start of every round.
* Adding an operator is one row in ROWS: our constructor kwargs and, per peer library, the call as a
  Python expression (evaluated in the peer's namespace; the string is also the description).
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
os.environ.setdefault("ALBUMENTATIONS_NO_TELEMETRY", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import glob  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEED = 0
SIZES = (224, 512)
BOXES_AT = (512,)

# environment name -> (peer library key used in ROWS, pretty name)
ENVS = {
    "albu": ("albu", "albumentations 2.0.8"),
    "augrs": ("augrs", "augrs 0.1.0"),
    "albux": ("albux", "AlbumentationsX 2.5.1"),
    "imgaug": ("imgaug", "imgaug 0.4.0"),
}
ENV_ORDER = ("albu", "augrs", "albux", "imgaug")
SAME = "=albu"  # in a row's albux column: the albumentations 2.0.8 call works unchanged


# --------------------------------------------------------------------------------------------------
# the table: one row per (operator, variant)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    op: str
    variant: str
    ours: dict
    geometric: bool
    peers: dict = field(default_factory=dict)  # lib -> expression (str), or None for "no such call"


G, P = True, False
ROWS = [
    # ---- geometric ------------------------------------------------------------------------------
    Row("Flip", "lr", {"lr_ud": "lr"}, G, {
        "albu": "A.HorizontalFlip(p=1)", "albux": SAME, "augrs": "R.HorizontalFlip(p=1)",
        "imgaug": "iaa.Fliplr(1.0)"}),
    Row("Flip", "ud", {"lr_ud": "ud"}, G, {
        "albu": "A.VerticalFlip(p=1)", "albux": SAME, "augrs": "R.VerticalFlip(p=1)",
        "imgaug": "iaa.Flipud(1.0)"}),
    Row("Crop", "no_resize", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": False}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=False, sample_independently=True, p=1)",
        "albux": SAME,
        "augrs": "R.RandomCrop(height=int(round(0.8 * H)), width=int(round(0.8 * W)), p=1)  # APPROX: fixed 80% window",
        "imgaug": "iaa.Crop(percent=(0.0, 0.2), keep_size=False)"}),
    Row("Crop", "keep_size", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": True}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=True, sample_independently=True, p=1)  # DIFF: linear resize, ours cubic",
        "albux": SAME,
        "augrs": "R.RandomResizedCrop(size=(H, W), scale=(0.64, 1.0), ratio=(0.75, 4 / 3), p=1)  # APPROX, linear",
        "imgaug": "iaa.Crop(percent=(0.0, 0.2))  # keep_size=True, cubic"}),
    Row("Crop", "keep_size_linear", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": True, "interpolation": "linear"}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=True, sample_independently=True, p=1)", "albux": SAME,
        "imgaug": None}),  # iaa.Crop/Pad have no interpolation argument (keep_size resizes bicubic)
    Row("Padding", "1px", {"keep_size": False}, G, {
        "albu": "A.Pad(padding=1, fill=0, border_mode=cv2.BORDER_CONSTANT, p=1)", "albux": SAME,
        "augrs": "R.PadIfNeeded(min_height=H + 2, min_width=W + 2, position='center', border_mode=0, fill=0, p=1)",
        "imgaug": "iaa.Pad(px=(1, 1, 1, 1), keep_size=False)"}),
    Row("Padding", "1px_keep_size", {"keep_size": True}, G, {
        "albu": "A.CropAndPad(px=1, keep_size=True, p=1)  # DIFF: linear resize, ours cubic", "albux": SAME,
        "augrs": "[R.PadIfNeeded(min_height=H + 2, min_width=W + 2, position='center', border_mode=0, fill=0, p=1), R.Resize(H, W, p=1)]  # APPROX: 2 transforms, linear",
        "imgaug": "iaa.Pad(px=(1, 1, 1, 1))  # keep_size=True, cubic"}),
    Row("Padding", "1px_keep_size_linear", {"keep_size": True, "interpolation": "linear"}, G, {
        "albu": "A.CropAndPad(px=1, keep_size=True, p=1)", "albux": SAME,
        "imgaug": None}),  # iaa.Crop/Pad have no interpolation argument (keep_size resizes bicubic)
    Row("Resize", "224x224", {"height": 224, "width": 224}, G, {
        "albu": "A.Resize(224, 224, p=1)  # DIFF: linear, ours cubic", "albux": SAME,
        "augrs": "R.Resize(224, 224, p=1)  # DIFF: linear, ours cubic",
        "imgaug": "iaa.Resize({'height': 224, 'width': 224})  # cubic"}),
    Row("Resize", "224x224_linear", {"height": 224, "width": 224, "interpolation": "linear"}, G, {
        "albu": "A.Resize(224, 224, p=1)", "albux": SAME, "augrs": "R.Resize(224, 224, p=1)",
        "imgaug": "iaa.Resize({'height': 224, 'width': 224}, interpolation='linear')"}),
    Row("Rotate", "-90..90", {"angle_min": -90, "angle_max": 90}, G, {
        "albu": "A.Rotate(limit=(-90, 90), border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)",
        "albux": "A.Rotate(angle_range=(-90, 90), border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)",
        "augrs": "R.Rotate(limit=(-90, 90), border_mode=0, fill=0, p=1)",
        "imgaug": "iaa.Rotate((-90, 90))"}),
    Row("Scale", "X", {"scaleXY": "X", "scale_min": 0.5, "scale_max": 1.5}, G, {
        "albu": "A.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, p=1)",
        "albux": "A.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, p=1)",
        "imgaug": "iaa.ScaleX((0.5, 1.5))"}),
    Row("Scale", "Y", {"scaleXY": "Y", "scale_min": 0.5, "scale_max": 1.5}, G, {
        "albu": "A.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, p=1)",
        "albux": "A.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, p=1)",
        "imgaug": "iaa.ScaleY((0.5, 1.5))"}),
    Row("Shear", "X", {"shearXY": "X", "shear_min": -30, "shear_max": 30}, G, {
        "albu": "A.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, p=1)",
        "albux": "A.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, p=1)",
        "imgaug": "iaa.ShearX((-30, 30))"}),
    Row("Shear", "Y", {"shearXY": "Y", "shear_min": -30, "shear_max": 30}, G, {
        "albu": "A.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, p=1)",
        "albux": "A.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, p=1)",
        "imgaug": "iaa.ShearY((-30, 30))"}),
    Row("Translate", "X", {"translateXY": "X", "translate_min": -0.25, "translate_max": 0.25}, G, {
        "albu": "A.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, p=1)",
        "albux": "A.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, p=1)",
        "imgaug": "iaa.TranslateX(percent=(-0.25, 0.25))"}),
    Row("Translate", "Y", {"translateXY": "Y", "translate_min": -0.25, "translate_max": 0.25}, G, {
        "albu": "A.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, p=1)",
        "albux": "A.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, p=1)",
        "imgaug": "iaa.TranslateY(percent=(-0.25, 0.25))"}),
    # ---- pixel (rows whose operator is not in augment.OPERATORS, or whose kwargs it rejects, are
    #      skipped with the reason recorded) --------------------------------------------------------
    Row("AddNoise", "Gauss", {"noise_type": "Gauss"}, P, {
        "albu": "A.GaussNoise(std_range=(1/255, 1/255), mean_range=(0, 0), per_channel=False, p=1)", "albux": SAME,
        "augrs": "R.GaussNoise(std_range=(1/255, 1/255), mean_range=(0, 0), per_channel=False, p=1)",
        "imgaug": "iaa.AdditiveGaussianNoise(loc=0, scale=1)"}),
    Row("AddNoise", "Laplace", {"noise_type": "Laplace"}, P, {
        "albu": "A.AdditiveNoise(noise_type='laplace', spatial_mode='per_pixel', noise_params={'mean_range': (0, 0), 'scale_range': (1/255, 1/255)}, p=1)",
        "albux": SAME, "imgaug": "iaa.AdditiveLaplaceNoise(loc=0, scale=1)"}),
    Row("AddNoise", "Poisson", {"noise_type": "Poisson"}, P, {
        "albu": "A.ShotNoise(p=1)  # APPROX: signal-dependent", "albux": SAME,
        "imgaug": "iaa.AdditivePoissonNoise(lam=2)"}),
    Row("AddNoise", "Impulse", {"noise_type": "Impulse"}, P, {
        "albu": "A.PixelDropout(dropout_prob=0.01, per_channel=True, drop_value=None, p=1)  # APPROX", "albux": SAME,
        "imgaug": "iaa.ImpulseNoise(p=0.01)"}),
    Row("AddNoise", "SaltAndPepper", {"noise_type": "SaltAndPepper"}, P, {
        "albu": "A.SaltAndPepper(amount=(0.01, 0.01), salt_vs_pepper=(0.5, 0.5), p=1)",
        "albux": "A.SaltAndPepper(amount_range=(0.01, 0.01), salt_vs_pepper_range=(0.5, 0.5), p=1)",
        "imgaug": "iaa.SaltAndPepper(p=0.01)"}),
    Row("Blur", "Gauss", {"blur_type": "Gauss"}, P, {
        "albu": "A.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1)",
        "albux": "A.GaussianBlur(blur_range=(3, 11), sigma_range=(0.0, 3.0), p=1)  # explicit kernel range: X's sigma-only path is a box approximation",
        "augrs": "R.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1)",
        "imgaug": "iaa.GaussianBlur(sigma=(0.0, 3.0))"}),
    Row("Blur", "Average", {"blur_type": "Average"}, P, {
        "albu": "A.Blur(blur_limit=(3, 7), p=1)  # APPROX: k 3..7 (ours 1..7)", "albux": "A.Blur(blur_range=(3, 7), p=1)  # APPROX: k 3..7 (ours 1..7)",
        "imgaug": "iaa.AverageBlur(k=(1, 7))"}),
    Row("CutOut", "", {}, P, {
        "albu": "A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.2, 0.2), hole_width_range=(0.2, 0.2), fill=128, p=1)",
        "albux": SAME,
        "augrs": "R.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.2, 0.2), hole_width_range=(0.2, 0.2), fill=128, p=1)",
        "imgaug": "iaa.Cutout()"}),
    Row("Grayscale", "", {}, P, {
        "albu": "A.ToGray(num_output_channels=3, p=1)", "albux": SAME,
        "augrs": "R.ToGray(num_output_channels=3, p=1)", "imgaug": "iaa.Grayscale(alpha=1.0)"}),
    Row("HistogramEqual", "", {}, P, {
        "albu": "A.Equalize(mode='cv', by_channels=False, p=1)  # DIFF: Y of YCrCb, not L of Lab", "albux": SAME,
        "imgaug": "iaa.HistogramEqualization()"}),
    Row("LightArithmetic", "", {}, P, {  # ours: MultiplyAndAddToBrightness on Y of YCrCb, mul U(0.7,1.3), add U(-30,30)
        "albu": "A.RandomBrightnessContrast(brightness_limit=(-30/255, 30/255), contrast_limit=(-0.3, 0.3), p=1)  # APPROX: on RGB, not Y",
        "albux": "A.RandomBrightnessContrast(brightness_range=(-30/255, 30/255), contrast_range=(-0.3, 0.3), brightness_by_max=True, p=1)  # APPROX: on RGB, not Y",
        "augrs": "R.RandomBrightnessContrast(brightness_limit=(-30/255, 30/255), contrast_limit=(-0.3, 0.3), p=1)  # APPROX: on RGB, not Y",
        "imgaug": "iaa.MultiplyAndAddToBrightness(mul=(0.7, 1.3), add=(-30, 30), to_colorspace='YCrCb', random_order=False)"}),
    Row("LightContrast", "gamma", {"func": "gamma"}, P, {
        "albu": "A.RandomGamma(gamma_limit=(70, 170), p=1)", "albux": "A.RandomGamma(gamma_range=(70, 170), p=1)",
        "augrs": "R.RandomGamma(gamma_limit=(70, 170), p=1)", "imgaug": "iaa.GammaContrast((0.7, 1.7))"}),
    Row("LightContrast", "sigmoid", {"func": "sigmoid"}, P, {
        "imgaug": "iaa.SigmoidContrast(gain=(5, 6), cutoff=(0.3, 0.6))"}),
    Row("LightContrast", "log", {"func": "log"}, P, {"imgaug": "iaa.LogContrast(gain=(0.4, 1.6))"}),
    Row("LightContrast", "linear", {"func": "linear"}, P, {
        "albu": "A.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)  # APPROX",
        "albux": "A.RandomBrightnessContrast(brightness_range=(0, 0), contrast_range=(-0.4, 0.4), brightness_by_max=True, p=1)  # APPROX",
        "augrs": "R.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)  # APPROX",
        "imgaug": "iaa.LinearContrast((0.6, 1.4))"}),
    Row("MotionBlur", "", {}, P, {
        "albu": "A.MotionBlur(blur_limit=(3, 7), p=1)  # APPROX: other line kernel", "albux": "A.MotionBlur(blur_range=(3, 7), p=1)  # APPROX: other line kernel",
        "imgaug": "iaa.MotionBlur(k=(3, 7))"}),
    Row("Saturation", "", {}, P, {
        "albu": "A.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1)  # APPROX: additive",
        "albux": "A.HueSaturationValue(hue_shift_range=(-20, 20), sat_shift_range=(-30, 30), val_shift_range=(0, 0), p=1)  # APPROX: additive",
        "augrs": "R.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1)  # APPROX: additive",
        "imgaug": "iaa.MultiplyHueAndSaturation(mul=(0.5, 1.5))"}),
    Row("Sharpen", "", {}, P, {
        "albu": "A.Sharpen(alpha=(0.0, 0.2), lightness=(0.8, 1.2), p=1)",
        "albux": "A.Sharpen(alpha_range=(0.0, 0.2), lightness_range=(0.8, 1.2), p=1)",
        "imgaug": "iaa.Sharpen(alpha=(0.0, 0.2), lightness=(0.8, 1.2))"}),
    Row("Weather", "Rain", {"weather_mode": "Rain"}, P, {"albu": "A.RandomRain(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Rain()"}),
    Row("Weather", "Fog", {"weather_mode": "Fog"}, P, {"albu": "A.RandomFog(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Fog()"}),
    Row("Weather", "Snow", {"weather_mode": "Snow"}, P, {"albu": "A.RandomSnow(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Snowflakes()"}),
    Row("Weather", "Clouds", {"weather_mode": "Clouds"}, P, {"imgaug": "iaa.Clouds()"}),
]


def peer_expr(row, lib):
    e = row.peers.get(lib)
    return row.peers.get("albu") if e == SAME else e


# --------------------------------------------------------------------------------------------------
# synthetic data: the recipe of the peers' harness (bench_peers.py make_image), same seeds
# --------------------------------------------------------------------------------------------------
def make_image(size, seed=SEED):
    rs = np.random.RandomState(seed + size)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3), np.float64)
    img[..., 0] = 40 + 150 * xx / w
    img[..., 1] = 60 + 120 * yy / h
    img[..., 2] = 90 + 60 * np.sin(2 * np.pi * (xx + yy) / (0.7 * size))
    for _ in range(4):  # low-frequency sinusoids
        fx, fy = rs.uniform(0.5, 4.0, 2) * 2 * np.pi / size
        phase = rs.uniform(0, 2 * np.pi)
        amp = rs.uniform(5, 20)
        img += (amp * np.sin(fx * xx + fy * yy + phase))[..., None] * rs.uniform(0.5, 1.0, 3)
    boxes = []
    for i in range(5):  # 5 shapes on a 3x2 grid: rectangles (even i) and ellipses (odd i)
        bw, bh = rs.randint(size // 10, size // 4, 2)
        x0 = rs.randint(int((i % 3) * w / 3), int((i % 3 + 1) * w / 3) - bw)
        y0 = rs.randint(int((i // 3) * h / 2), int((i // 3 + 1) * h / 2) - bh)
        colour = rs.randint(0, 256, 3).astype(np.float64)
        if i % 2 == 0:
            mask = np.ones((bh, bw), bool)
        else:
            cy, cx = y0 + bh / 2.0, x0 + bw / 2.0
            sy, sx = yy[y0:y0 + bh, x0:x0 + bw], xx[y0:y0 + bh, x0:x0 + bw]
            mask = ((sy + 0.5 - cy) / (bh / 2.0)) ** 2 + ((sx + 0.5 - cx) / (bw / 2.0)) ** 2 <= 1.0
        region = img[y0:y0 + bh, x0:x0 + bw]
        region[mask] = 0.35 * region[mask] + 0.65 * colour
        boxes.append([x0, y0, x0 + bw, y0 + bh])
    img += rs.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), np.array(boxes, dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# peer adapters: build(lib) -> make(expr, size, with_boxes) -> fn(img, boxes)
# --------------------------------------------------------------------------------------------------
def peer_builder(lib):
    import warnings
    warnings.simplefilter("ignore")
    import cv2
    labels = list(range(5))
    if lib in ("albu", "albux"):
        import albumentations as A
        bbox = (A.BboxParams(coord_format="pascal_voc", label_fields=["labels"]) if lib == "albux"
                else A.BboxParams(format="pascal_voc", label_fields=["labels"]))

        def make(expr, size, with_boxes):
            t = eval(expr, {"A": A, "cv2": cv2, "H": size, "W": size})
            ts = t if isinstance(t, list) else [t]
            for x in ts:  # AlbumentationsX ignores unknown argument names with a warning only
                if getattr(x, "invalid_args", None):
                    raise ValueError(f"arguments ignored by the library: {x.invalid_args}")
            if with_boxes:
                c = A.Compose(ts, seed=SEED, bbox_params=bbox)
                return lambda img, boxes: c(image=img, bboxes=boxes, labels=labels)
            c = A.Compose(ts, seed=SEED)
            return lambda img, boxes: c(image=img)
        return make
    if lib == "augrs":
        import augrs as R

        def make(expr, size, with_boxes):
            t = eval(expr, {"R": R, "cv2": cv2, "H": size, "W": size})
            ts = t if isinstance(t, list) else [t]
            if with_boxes:
                c = R.Compose(ts, seed=SEED, bbox_params=R.BboxParams(format="pascal_voc", label_fields=["labels"]))
                return lambda img, boxes: c(image=img, bboxes=boxes, labels=labels)
            c = R.Compose(ts, seed=SEED)
            return lambda img, boxes: c(image=img)
        return make
    if lib == "imgaug":
        import imgaug as ia
        import imgaug.augmenters as iaa
        from imgaug.augmentables.bbs import BoundingBoxesOnImage
        ia.seed(SEED)

        def make(expr, size, with_boxes):
            aug = eval(expr, {"iaa": iaa, "H": size, "W": size})
            aug.seed_(SEED)
            if with_boxes:
                def fn(img, boxes):
                    out, bbs = aug(image=img, bounding_boxes=BoundingBoxesOnImage.from_xyxy_array(boxes, shape=img.shape))
                    return out, bbs.to_xyxy_array()
                return fn
            return lambda img, boxes: aug(image=img)
        return make
    raise ValueError(lib)


def peer_versions(lib):
    from importlib import metadata
    names = {"albu": ["albumentations", "albucore", "stringzilla", "simsimd"],
             "albux": ["albumentationsx", "albucore", "stringzilla", "numkong", "torch"],
             "augrs": ["augrs-py"],
             "imgaug": ["imgaug", "scipy", "scikit-image", "Shapely"]}[lib]
    out = {}
    for n in names + ["numpy", "opencv-python-headless", "opencv-python", "Pillow", "augment-manifest"]:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            pass
    return out


def out_summary(out):
    """Shape of the image and number of boxes a call returned (for the sanity columns)."""
    if out is None:
        return "None (dropped)"
    if hasattr(out, "image") and hasattr(out, "boxes"):
        return f"{tuple(out.image.shape)} +{len(out.boxes)} boxes"
    if isinstance(out, dict):
        img = out["image"]
        return f"{tuple(img.shape)}" + (f" +{len(out['bboxes'])} boxes" if "bboxes" in out else "")
    if isinstance(out, tuple):
        return f"{tuple(out[0].shape)} +{len(out[1])} boxes"
    return f"{tuple(out.shape)}"


# --------------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------------
_CAN_SRC = np.zeros((512, 512, 3), np.uint8)
_CAN_DST = np.empty_like(_CAN_SRC)


def canary():
    """Library-independent machine-speed probe: (pure-Python loop s, 512x512x3 copy s), min of 3."""
    py, mem = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        x = 0
        for i in range(20000):
            x += i
        py.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(20):
            np.copyto(_CAN_DST, _CAN_SRC)
        mem.append((time.perf_counter() - t0) / 20)
    return min(py), min(mem)


def window(call, k):
    """Seconds per call over k consecutive calls, gc off."""
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(k):
            call()
        return (time.perf_counter() - t0) / k
    finally:
        gc.enable()


MIN_CALLS = 4  # per window: one slow call (imgaug Weather ~60-100 ms) would make a window one draw


def calibrate(call, target):
    for _ in range(3):
        out = call()
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    return out, max(MIN_CALLS, int(target / max(one, 1e-7)))


def make_ours(A, row, size, img, boxes, with_boxes):
    """{contestant: (description, zero-arg call)} for our side of a row (may raise)."""
    cls = A.OPERATORS[row.op]
    kw = dict(row.ours)
    counter = itertools.count()
    labels = [f"obj{i}" for i in range(len(boxes))]
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    out = {}
    if row.geometric and with_boxes:
        op = cls(box_policy="clip", **kw)
        out["ours"] = (f"A.{row.op}({args}{', ' if args else ''}box_policy='clip')(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=i)",
                       lambda: op(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=next(counter)))
        dflt = cls(**kw)
        if dflt.policy() != op.policy():
            out["ours_default"] = (f"A.{row.op}({args})(A.Sample(...), seed=0, index=i)  # default box policy {dflt.policy().mode}",
                                   lambda: dflt(A.Sample(image=img, boxes=boxes, labels=labels), seed=0, index=next(counter)))
    else:
        op = cls(**kw)
        out["ours"] = (f"A.{row.op}({args})(A.Sample(image=img), seed=0, index=i)",
                       lambda: op(A.Sample(image=img), seed=0, index=next(counter)))
    bare = cls(**kw)
    out["bare"] = (f"A.{row.op}({args})(img, seed=0, index=i)", lambda: bare(img, seed=0, index=next(counter)))
    return out


def import_augment():
    """import augment; from the snapshot named by BENCH_AUGMENT_SNAPSHOT when set (the editable install's
    import hook would otherwise win over PYTHONPATH)."""
    snap = os.environ.get("BENCH_AUGMENT_SNAPSHOT")
    if snap:
        import importlib.util
        pkg = os.path.join(snap, "augment")
        spec = importlib.util.spec_from_file_location("augment", os.path.join(pkg, "__init__.py"),
                                                      submodule_search_locations=[pkg])
        mod = importlib.util.module_from_spec(spec)
        sys.modules["augment"] = mod
        spec.loader.exec_module(mod)
    import augment
    return augment


def git_state():
    """The commit the library was measured at, and whether augment/ had uncommitted changes."""
    if os.environ.get("BENCH_AUGMENT_REV"):
        return os.environ["BENCH_AUGMENT_REV"] + " (git archive snapshot)"
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "augment"], capture_output=True, text=True).stdout
        return head + (f" + uncommitted changes in {len(dirty.splitlines())} augment/ file(s)" if dirty.strip() else "")
    except OSError:
        return "?"


def cmd_run(args):
    import cv2
    cv2.setNumThreads(0)
    A = import_augment()
    env = args.env
    lib = ENVS[env][0]
    make_peer = peer_builder(lib)
    meta = {"type": "meta", "env": env, "lib": lib, "peer": ENVS[env][1], "python": platform.python_version(),
            "executable": sys.executable, "versions": peer_versions(lib), "augment": A.__version__,
            "augment_operators": sorted(A.OPERATORS), "cv2": cv2.__version__, "cv2_threads": cv2.getNumThreads(),
            "affinity": sorted(os.sched_getaffinity(0)),
            "thread_env": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS")},
            "rounds": args.rounds, "window_s": args.window, "start": time.strftime("%Y-%m-%d %H:%M:%S"),
            "run_label": args.run_label, "augment_git": git_state(), "augment_file": A.__file__}
    if len(meta["affinity"]) != 1:
        print(f"warning: not pinned to one CPU (affinity {meta['affinity']}); use taskset -c 1", file=sys.stderr)
    rows, active = [], []
    t_start = time.time()
    for size in args.size:
        img, boxes = make_image(size)
        with_boxes_size = size in args.boxes_at
        for row in ROWS:
            if args.only and row.op not in args.only:
                continue
            wb = with_boxes_size and row.geometric
            rec = {"op": row.op, "variant": row.variant, "size": size, "boxes": wb, "geometric": row.geometric,
                   "calls": {}, "out": {}, "status": "ok", "notes": []}
            rows.append(rec)
            expr = peer_expr(row, lib)
            if row.op not in A.OPERATORS:
                rec["status"] = "ours_missing"
                rec["notes"].append(f"{row.op} not in augment.OPERATORS")
                continue
            if expr is None:
                rec["status"] = "peer_none"
                rec["notes"].append(f"{ENVS[env][1]} has no matching call")
            contestants = {}
            try:
                contestants.update(make_ours(A, row, size, img, boxes, wb))
            except Exception as e:  # e.g. the operator landed with other parameter names
                rec["status"] = "ours_error"
                rec["notes"].append(f"ours: {type(e).__name__}: {e}"[:300])
                continue
            if expr is not None:
                try:
                    fn = make_peer(expr, size, wb)
                    contestants["peer"] = (expr, (lambda fn=fn, im=img, b=(boxes if wb else None): fn(im, b)))
                except Exception as e:
                    rec["status"] = "peer_error"
                    rec["notes"].append(f"peer: {type(e).__name__}: {e}"[:300])
            state = {}
            for name, (desc, call) in contestants.items():
                rec["calls"][name] = desc
                try:
                    out, k = calibrate(call, args.window)
                except Exception as e:
                    rec["notes"].append(f"{name}: {type(e).__name__}: {e}"[:300])
                    if name == "peer":
                        rec["status"] = "peer_error"
                    else:
                        rec["status"] = "ours_error"
                    continue
                rec["out"][name] = out_summary(out)
                state[name] = (call, k, [])
            if rec["status"] == "ours_error":
                continue
            rec["k"] = {n: s[1] for n, s in state.items()}
            active.append((rec, state))
    canaries = []
    for rnd in range(args.rounds):
        py, mem = canary()
        canaries.append({"round": rnd + 1, "py_loop_s": py, "copy512_s": mem, "t": round(time.time() - t_start, 1)})
        for rec, state in active:
            names = list(state)
            if rnd % 2:
                names.reverse()
            for n in names:
                call, k, times = state[n]
                try:
                    times.append(window(call, k))
                except Exception as e:
                    rec["notes"].append(f"{n} failed while timing: {type(e).__name__}: {e}"[:300])
                    times.append(float("nan"))
        print(f"round {rnd + 1}/{args.rounds} done at {time.time() - t_start:.0f} s", file=sys.stderr, flush=True)
    for rec, state in active:
        rec["times"] = {n: s[2] for n, s in state.items()}
        rec["img_s"] = {n: 1.0 / statistics.median(s[2]) for n, s in state.items()}
        if "peer" in state:
            peer = state["peer"][2]
            rec["ratio"] = {}
            for n, s in state.items():
                if n == "peer":
                    continue
                r = [p / o for p, o in zip(peer, s[2])]
                rec["ratio"][n] = {"median": statistics.median(r), "min": min(r), "max": max(r), "rounds": r}
    doc = {"meta": {**meta, "wall_s": round(time.time() - t_start, 1)}, "rows": rows, "canary": canaries}
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(doc, f, indent=1)
    print_run(doc, sys.stderr)
    return doc


def fmt_rate(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(r):
    return f"{r['median']:.2f} ({r['min']:.2f}–{r['max']:.2f})"


def print_run(doc, out):
    m = doc["meta"]
    print(f"\n{m['peer']} [{m['env']}] ours vs peer, img/s; ratio = peer time / our time (>1: ours faster)", file=out)
    missing = sorted({r["op"] for r in doc["rows"] if r["status"] == "ours_missing"})
    if missing:
        print(f"  not in augment.OPERATORS (skipped): {', '.join(missing)}", file=out)
    for r in doc["rows"]:
        if r["status"] == "ours_missing":
            continue
        if "img_s" not in r:
            print(f"  {r['op']:15} {r['variant']:15} {r['size']}  {r['status']}: {'; '.join(r['notes'])[:100]}", file=out)
            continue
        i = r["img_s"]
        rat = r.get("ratio", {})
        print(f"  {r['op']:15} {r['variant']:15} {r['size']}{'+b' if r['boxes'] else '  '} ours {fmt_rate(i['ours']):>8} "
              f"bare {fmt_rate(i['bare']):>8} peer {fmt_rate(i.get('peer')):>8}  ratio "
              f"{fmt_ratio(rat['ours']) if 'ours' in rat else '–'}", file=out)


# --------------------------------------------------------------------------------------------------
# all: every environment, alternating, under taskset
# --------------------------------------------------------------------------------------------------
def snapshot_env(augment_rev: str | None) -> dict:
    """The environment for the peer processes: with ``augment_rev``, ``augment/`` at that commit is
    unpacked to /tmp and named in BENCH_AUGMENT_SNAPSHOT, so that a committed state is measured, not
    the (possibly half-edited) work tree."""
    env_vars = dict(os.environ)
    if augment_rev:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", augment_rev], capture_output=True,
                             text=True, check=True).stdout.strip()
        snap = os.path.join("/tmp", f"augment-snapshot-{rev}")
        os.makedirs(snap, exist_ok=True)
        arc = subprocess.run(["git", "-C", REPO, "archive", rev, "augment"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", snap], input=arc, check=True)
        env_vars["BENCH_AUGMENT_SNAPSHOT"] = snap
        env_vars["BENCH_AUGMENT_REV"] = rev
        print(f"measuring augment at {rev} (snapshot {snap})", file=sys.stderr)
    return env_vars


def cmd_all(args):
    envs = [e for e in (args.env or ENV_ORDER)]
    outdir = args.results_dir
    os.makedirs(outdir, exist_ok=True)
    taskset = shutil.which("taskset")
    env_vars = snapshot_env(args.augment_rev)
    files = []
    t0 = time.time()
    for run in range(1, args.runs + 1):
        for env in envs:
            py = os.path.join(args.envs_dir, env, "bin", "python")
            if not os.path.exists(py):
                print(f"skip {env}: {py} not found", file=sys.stderr)
                continue
            out = os.path.join(outdir, f"{env}-run{run}.json")
            cmd = ([taskset, "-c", str(args.cpu)] if taskset else []) + [
                py, os.path.abspath(__file__), "run", "--env", env, "--json-out", out,
                "--rounds", str(args.rounds), "--window", str(args.window), "--run-label", str(run)]
            for s in args.size or []:
                cmd += ["--size", str(s)]
            for o in args.only or []:
                cmd += ["--only", o]
            if args.quick:
                cmd.append("--quick")
            print(f"[{time.time() - t0:5.0f} s] run {run} {env}: {' '.join(cmd)}", file=sys.stderr, flush=True)
            p = subprocess.run(cmd, env=env_vars)
            if p.returncode == 0:
                files.append(out)
            else:
                print(f"  {env} run {run} FAILED (exit {p.returncode})", file=sys.stderr)
    print(f"all: {time.time() - t0:.0f} s", file=sys.stderr)
    args.results = files
    cmd_report(args)


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------
NOTES_START, NOTES_END = "<!-- notes -->", "<!-- /notes -->"


def machine_info():
    info = {"cpus": os.cpu_count()}
    try:
        txt = open("/proc/cpuinfo").read()
        for key in ("model name", "cpu family", "model", "cache size"):
            for line in txt.splitlines():
                if line.split(":")[0].strip() == key:
                    info[key] = line.split(":", 1)[1].strip()
                    break
        flags = next((ln for ln in txt.splitlines() if ln.startswith("flags")), "")
        info["simd"] = " ".join(f for f in flags.split() if f in ("sse4_2", "avx", "avx2", "fma", "avx512f"))
    except OSError:
        pass
    info["kernel"] = platform.release()
    try:
        info["virtualisation"] = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        pass
    try:
        info["load average (at report time)"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info


def verdict(ratios):
    """ratios: per-run medians (ours/peer speed). Team rule: < 1.5x is a tie unless it repeats."""
    if not ratios:
        return "–"
    if len(ratios) >= 2 and all(r < 1 for r in ratios):
        return "**behind (repeats)**"
    if len(ratios) >= 2 and all(r >= 1.5 for r in ratios):
        return "ahead"
    if all(r >= 1 for r in ratios):
        return "at least level" if len(ratios) >= 2 else "level? (1 run)"
    if len(ratios) == 1:
        return "behind? (1 run)"
    return "tie (mixed runs)"


def cmd_report(args):
    docs = []
    for p in args.results:
        with open(p) as f:
            d = json.load(f)
        d["_file"] = os.path.relpath(p, REPO) if os.path.abspath(p).startswith(REPO) else p
        docs.append(d)
    docs.sort(key=lambda d: (ENV_ORDER.index(d["meta"]["env"]) if d["meta"]["env"] in ENV_ORDER else 99,
                             str(d["meta"].get("run_label")), d["meta"]["start"]))
    by_env = {}
    for d in docs:
        by_env.setdefault(d["meta"]["env"], []).append(d)
    notes = ""
    if args.out and os.path.exists(args.out):
        txt = open(args.out).read()
        if NOTES_START in txt and NOTES_END in txt:
            notes = txt[txt.index(NOTES_START): txt.index(NOTES_END) + len(NOTES_END)]
    if not notes:
        notes = f"{NOTES_START}\n(no hand-written notes yet)\n{NOTES_END}"
    lines = []
    w = lines.append
    w("# augment vs the fastest peers, operator by operator\n")
    w("Generated by `python benchmarks/bench_ops.py report` from "
      + ", ".join(f"`{d['_file']}`" for d in docs) + " (raw per-round timings are in those files). "
      "Re-run everything with `python benchmarks/bench_ops.py all` (~10–15 min; keeps the notes block below).\n")
    w("**Ratio = peer time per call / our time per call, measured in the same process, interleaved: > 1 means "
      "augment is faster.** Cell = median of the per-round ratios (min–max over rounds). "
      "Team rule: the machine swings ~2× within seconds, so a ratio under 1.5× is a tie unless it repeats.\n")
    w(notes + "\n")
    # ---------------- summary
    sizes = sorted({r["size"] for d in docs for r in d["rows"]})
    keys = []
    for d in docs:
        for r in d["rows"]:
            k = (r["op"], r["variant"])
            if k not in keys:
                keys.append(k)
    envs = [e for e in ENV_ORDER if e in by_env] + [e for e in by_env if e not in ENV_ORDER]
    max_runs = max(len(v) for v in by_env.values())

    def rec(env, run_i, key, size):
        ds = by_env.get(env, [])
        if run_i >= len(ds):
            return None
        for r in ds[run_i]["rows"]:
            if (r["op"], r["variant"]) == key and r["size"] == size:
                return r
        return None

    w("## Summary: ours against the fastest peer, per operator and size\n")
    w("The fastest peer of a row is the one against which our ratio is lowest (each peer was timed against "
      "our call in its own process, so our call is the common yardstick; this cancels the machine's drift "
      "between processes). `ours` = the Sample call (boxes at 512² on geometric ops, box_policy='clip'); "
      "`bare` = `op(image)`. One column per run; verdict from the `ours` ratios of all runs "
      "(**behind (repeats)** = below 1 in every run). † = that peer's call is not the same operation "
      "(APPROX/DIFF in the calls table, e.g. bilinear instead of bicubic, or a fixed crop window).\n")
    summary_rows = []

    def summary_table(exact_only):
        hdr = "| operator | variant | size | fastest peer | " + " | ".join(f"ours/peer run {i + 1}" for i in range(max_runs)) \
            + " | " + " | ".join(f"bare/peer run {i + 1}" for i in range(max_runs)) + " | verdict |"
        w(hdr)
        w("|" + "---|" * (hdr.count("|") - 1))
        for size in sizes:
            for key in keys:
                per_run = []
                for i in range(max_runs):
                    cands = []
                    for env in envs:
                        r = rec(env, i, key, size)
                        if exact_only and r and re.search(r"APPROX|DIFF", r["calls"].get("peer", "") or ""):
                            continue
                        if r and "ratio" in r and "ours" in r["ratio"]:
                            cands.append((r["ratio"]["ours"]["median"], env, r))
                    if cands:
                        per_run.append(min(cands, key=lambda c: c[0]))
                    else:
                        per_run.append(None)
                if not any(per_run):
                    continue
                envs_fast = [c[1] for c in per_run if c]
                fastest = max(set(envs_fast), key=envs_fast.count)
                same = all(c is None or c[1] == fastest for c in per_run)
                fname = ENVS.get(fastest, (None, fastest))[1] + ("" if same else " (varies: " + ", ".join(
                    ENVS.get(c[1], (None, c[1]))[1].split()[0] for c in per_run if c) + ")")
                if any(c and re.search(r"APPROX|DIFF", c[2]["calls"].get("peer", "")) for c in per_run):
                    fname += " †"
                boxes = any(c and c[2]["boxes"] for c in per_run)
                cells = [fmt_ratio(c[2]["ratio"]["ours"]) if c else "–" for c in per_run]
                bcells = [fmt_ratio(c[2]["ratio"]["bare"]) if c and "bare" in c[2]["ratio"] else "–" for c in per_run]
                v = verdict([c[0] for c in per_run if c])
                if not exact_only:
                    summary_rows.append((key, size, v))
                w(f"| {key[0]} | {key[1]} | {size}{' +5 boxes' if boxes else ''} | {fname} | " + " | ".join(cells)
                  + " | " + " | ".join(bcells) + f" | {v} |")

    summary_table(False)
    w("")
    w("### The same against the fastest peer whose call is the same operation (no †)\n")
    w("Rows where no peer has the same operation are left out (see the per-peer tables).\n")
    summary_table(True)
    w("")
    missing = sorted({(r["op"], r["variant"], r["status"], "; ".join(r["notes"])) for d in docs for r in d["rows"]
                      if r["status"] in ("ours_missing", "ours_error")})
    if missing:
        w("Rows not timed (our side):\n")
        seen = set()
        for op, var, st, note in missing:
            if (op, var) in seen:
                continue
            seen.add((op, var))
            w(f"- {op} {var}: {st} — {note}")
        w("")
    # ---------------- per env
    w("## Per peer environment\n")
    w("img/s = 1 / median per-call time over the rounds; each cell shows run 1 / run 2 (separate processes). "
      "Ratios are per run: median (min–max) over rounds. `ours(default)` only for ops whose default box policy "
      "is not clip (Rotate: drop_image — most calls return None).\n")
    for env in envs:
        ds = by_env[env]
        w(f"### {ENVS.get(env, (None, env))[1]} (env `{env}`)\n")
        w("| op | variant | size | ours img/s | bare img/s | peer img/s | ours/peer | bare/peer | ours(default)/peer |")
        w("|---|---|---|---|---|---|---|---|---|")
        for size in sizes:
            for key in keys:
                rs = [rec(env, i, key, size) for i in range(len(ds))]
                if not any(rs):
                    continue
                r0 = next(r for r in rs if r)
                if r0["status"] in ("ours_missing", "ours_error"):
                    continue
                if "img_s" not in r0:
                    continue

                def j(f):
                    return " / ".join(f(r) for r in rs if r)
                w(f"| {key[0]} | {key[1]} | {size}{'+b' if r0['boxes'] else ''} | "
                  f"{j(lambda r: fmt_rate(r.get('img_s', {}).get('ours')))} | "
                  f"{j(lambda r: fmt_rate(r.get('img_s', {}).get('bare')))} | "
                  f"{j(lambda r: fmt_rate(r.get('img_s', {}).get('peer')) if 'peer' in r.get('img_s', {}) else r['status'])} | "
                  f"{j(lambda r: fmt_ratio(r['ratio']['ours']) if 'ratio' in r else '–')} | "
                  f"{j(lambda r: fmt_ratio(r['ratio']['bare']) if 'ratio' in r else '–')} | "
                  f"{j(lambda r: fmt_ratio(r['ratio']['ours_default']) if 'ratio' in r and 'ours_default' in r['ratio'] else '–')} |")
        w("")
    # ---------------- method, machine, versions
    w("## Method\n")
    w("- One process per peer environment (`/tmp/peers-envs/<env>`, built by `/work/shared/peers/setup.sh`; augment "
      "installed into each with `pip install --no-deps -e .`), so our call runs on that environment's numpy/OpenCV.")
    w("- `taskset -c 1`; OMP/OPENBLAS/MKL/NUMEXPR/VECLIB/RAYON threads = 1; `cv2.setNumThreads(0)` is called by the "
      "benchmark script for both sides (augment itself does not change OpenCV's thread setting: in an application "
      "that does not call it, OpenCV uses its own thread pool for our warps).")
    w("- Same synthetic image as `/work/shared/peers/bench_peers.py` (same recipe and seeds): 224×224×3 without "
      "boxes; 512×512×3 with its 5 pascal_voc boxes on the geometric ops.")
    w("- Per row, per round: one window (~" + ", ".join(sorted({f"{d['meta']['window_s'] * 1000:.0f} ms" for d in docs}))
      + ", k calls, gc off) per contestant, adjacent in time, order reversed every other round; rows follow each "
      "other within a round; " + ", ".join(sorted({str(d['meta']['rounds']) for d in docs})) + " rounds. "
      "Ratio per round = peer s/call ÷ our s/call.")
    w("- `index` increases on every call so each call draws new parameters (as the peers' seeded RNGs advance).")
    w("- Sample construction (`A.Sample(image=img, boxes=boxes, labels=labels)`) is inside our timed call; the peers "
      "likewise convert their box inputs inside theirs (albumentations/augrs `Compose(..., bboxes=, labels=)`, "
      "imgaug `BoundingBoxesOnImage.from_xyxy_array`).")
    w("- Not all peer calls are the same operation: `# APPROX`/`# DIFF` in the call strings below mark them "
      "(e.g. albumentations/augrs Resize and CropAndPad keep_size are bilinear while ours and imgaug's are bicubic; "
      "the `Resize 224x224_linear` row compares like with like).\n")
    w("## Machine, versions, noise\n")
    for k, v in machine_info().items():
        w(f"- {k}: {v}")
    w("- Other agents were using the machine's CPUs during these runs; the canary shows how much the machine "
      "drifted within each run (interleaving is what keeps the ratios usable).\n")
    w("| env | run | started | wall s | augment at | python | numpy | OpenCV | peer versions | affinity | canary py-loop µs min–max (max/min) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for env in envs:
        for i, d in enumerate(by_env[env]):
            m = d["meta"]
            vs = {k: v for k, v in m["versions"].items() if k not in ("numpy", "augment-manifest")}
            py = [c["py_loop_s"] * 1e6 for c in d["canary"]]
            can = f"{min(py):.0f}–{max(py):.0f} ({max(py) / min(py):.2f})" if py else "–"
            w(f"| {env} | {m.get('run_label') or i + 1} | {m['start']} | {m['wall_s']} | {m.get('augment_git', '?')} | {m['python']} | "
              f"{m['versions'].get('numpy')} | {m['cv2']} (threads {m['cv2_threads']}) | "
              + ", ".join(f"{k} {v}" for k, v in vs.items()) + f" | {m['affinity']} | {can} |")
    w("")
    w("## Exact calls\n")
    w("Ours (`import augment as A`; `i` increases per call):\n")
    ours_calls = {}
    peer_calls = {}
    for d in docs:
        for r in d["rows"]:
            for n, desc in r.get("calls", {}).items():
                if n == "peer":
                    peer_calls.setdefault((r["op"], r["variant"]), {})[d["meta"]["env"]] = desc
                else:
                    ours_calls.setdefault((r["op"], r["variant"], r["boxes"]), {})[n] = desc
    for (op, var, b), cs in ours_calls.items():
        w(f"- {op} {var}{' (boxes)' if b else ''}: " + "; ".join(f"{n}: `{c}`" for n, c in cs.items()))
    w("\nPeers:\n")
    w("| op | variant | " + " | ".join(envs) + " |")
    w("|---|---|" + "---|" * len(envs))
    for (op, var), cs in peer_calls.items():
        w(f"| {op} | {var} | " + " | ".join(f"`{cs[e]}`" if e in cs else "none" for e in envs) + " |")
    w("")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


# --------------------------------------------------------------------------------------------------
# profile: where our microseconds go
# --------------------------------------------------------------------------------------------------
def cmd_profile(args):
    import cProfile
    import io
    import pstats
    import timeit
    import cv2
    cv2.setNumThreads(0)
    A = import_augment()
    from augment.random import LazyRng, check_seed, rng as make_rng
    from augment.structures import image_meta
    from augment.kernels.boxes import transform_boxes

    def t(fn, n=None):
        """best-of-9 µs per call (windows of ~10 ms): the cost without the machine's noise."""
        if n is None:
            one = timeit.timeit(fn, number=3) / 3
            n = max(1, int(0.01 / max(one, 1e-7)))
        return min(timeit.repeat(fn, number=n, repeat=9)) / n * 1e6

    for size in args.size:
        img, boxes = make_image(size)
        labels = [f"obj{i}" for i in range(5)]
        print(f"\n=== {size}x{size}x3, {'5 boxes' if size in args.boxes_at else 'no boxes'} (µs per call, best of 9 windows) ===")
        wb = size in args.boxes_at
        s = A.Sample(image=img, boxes=boxes if wb else None, labels=labels if wb else None)
        print(f"  check_seed(0)                       {t(lambda: check_seed(0)):8.2f}")
        print(f"  LazyRng(0, 0, i, 0)                 {t(lambda: LazyRng(0, 0, 7, 0)):8.2f}")
        print(f"  rng(0, 0, i, 0) (SeedSequence+PCG64+Generator) {t(lambda: make_rng(0, 0, 7, 0)):8.2f}")
        g = make_rng(0)
        print(f"  float(gen.random())                 {t(lambda: float(g.random())):8.2f}")
        print(f"  gen.uniform(0, 0.2, size=4)         {t(lambda: g.uniform(0.0, 0.2, size=4)):8.2f}")
        print(f"  np.random.SeedSequence(0, spawn_key=(0, i, 0))  {t(lambda: np.random.SeedSequence(0, spawn_key=(0, 7, 0))):8.2f}")
        print(f"  np.random.PCG64(seedseq)            {t(lambda: np.random.PCG64(np.random.SeedSequence(0))):8.2f}  (incl. a SeedSequence(0))")
        print(f"  A.Sample(image=img)                 {t(lambda: A.Sample(image=img)):8.2f}")
        print(f"  A.Sample(image, boxes, labels)      {t(lambda: A.Sample(image=img, boxes=boxes, labels=labels)):8.2f}")
        print(f"  sample.validate()                   {t(lambda: s.validate('x')):8.2f}")
        print(f"  image_meta(img)                     {t(lambda: image_meta(img)):8.2f}")
        m = np.eye(3)
        print(f"  transform_boxes(5 boxes)            {t(lambda: transform_boxes(boxes, m)):8.2f}")
        print(f"  CLIP.apply(5 boxes)                 {t(lambda: A.BoxPolicy('clip').apply(boxes, size, size)):8.2f}")
        print(f"  cv2.flip(img, 1)                    {t(lambda: cv2.flip(img, 1)):8.2f}")
        print(f"  img.copy()                          {t(lambda: img.copy()):8.2f}")
        M = cv2.getRotationMatrix2D((size / 2, size / 2), 30, 1.0)
        print(f"  cv2.warpAffine(bilinear, const)     {t(lambda: cv2.warpAffine(img, M, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)):8.2f}")
        for row in ROWS:
            if args.only and row.op not in args.only:
                continue
            if row.op not in A.OPERATORS:
                continue
            try:
                cs = make_ours(A, row, size, img, boxes, wb and row.geometric)
            except Exception as e:
                print(f"  {row.op} {row.variant}: {type(e).__name__}: {e}")
                continue
            op = A.OPERATORS[row.op](**({"box_policy": "clip"} if row.geometric else {}), **row.ours)
            ss = s if row.geometric else A.Sample(image=img)
            cnt = itertools.count()
            meta = image_meta(img)
            params = op.sample(LazyRng(0, 0, 3, 0), meta)
            parts = [("ours (Sample built inside)", cs["ours"][1]), ("op(prebuilt sample)", lambda: op(ss, seed=0, index=next(cnt))),
                     ("bare op(img)", cs["bare"][1]),
                     ("  op.sample(LazyRng, meta)", lambda: op.sample(LazyRng(0, 0, next(cnt), 0), meta)),
                     ("  op.apply_image(img, params)", lambda: op.apply_image(img, params))]
            if row.geometric:
                parts.append(("  op.matrix(params, meta)", lambda: op.matrix(params, meta)))
                if wb:
                    moved = op.apply_boxes(boxes, params, meta)
                    pol = op.policy()
                    res = pol.apply(moved, size, size)
                    new_img = op.apply_image(img, params)
                    parts += [("  op.apply_boxes(boxes, params, meta)", lambda: op.apply_boxes(boxes, params, meta)),
                              ("  policy.apply(moved, H, W)", lambda: pol.apply(moved, size, size)),
                              ("  sample.validate()", lambda: ss.validate(row.op)),
                              ("  sample.with_boxes(...)", lambda: ss.with_boxes(new_img, res[0], res[1]))]
            print(f"  --- {row.op} {row.variant}")
            for name, fn in parts:
                print(f"    {name:40} {t(fn):8.2f}")
            if args.cprofile:
                pr = cProfile.Profile()
                call = cs["ours"][1]
                pr.enable()
                for _ in range(args.cprofile):
                    call()
                pr.disable()
                buf = io.StringIO()
                st = pstats.Stats(pr, stream=buf)
                st.sort_stats("tottime").print_stats(14)
                print("\n".join("      " + ln for ln in buf.getvalue().splitlines() if ln.strip())[:3500])


# --------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--size", type=int, action="append", help="image size (repeatable; default 224 and 512)")
        p.add_argument("--boxes-at", type=int, action="append", help="sizes at which geometric ops get the 5 boxes (default 512)")
        p.add_argument("--only", action="append", help="restrict to these operators (repeatable)")
        p.add_argument("--quick", action="store_true", help="smoke test: 3 rounds of 5 ms windows")
        p.add_argument("--rounds", type=int, default=10)
        p.add_argument("--window", type=float, default=0.025, help="seconds per timing window")

    r = sub.add_parser("run", help="one peer environment (use that env's python)")
    r.add_argument("--env", required=True, choices=sorted(ENVS))
    r.add_argument("--json-out")
    r.add_argument("--run-label", default="")
    common(r)
    a = sub.add_parser("all", help="every environment, --runs times, alternating; then the report")
    a.add_argument("--env", action="append", choices=sorted(ENVS), help="default: all four")
    a.add_argument("--runs", type=int, default=2)
    a.add_argument("--envs-dir", default=os.environ.get("PEERS_DIR", "/tmp/peers-envs"))
    a.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    a.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    a.add_argument("--cpu", type=int, default=1)
    a.add_argument("--augment-rev", help="measure this commit of augment/ (git archive to /tmp, put first on "
                   "PYTHONPATH) instead of the work tree, e.g. HEAD")
    common(a)
    p = sub.add_parser("report")
    p.add_argument("results", nargs="+")
    p.add_argument("--out", help="write here (keeps the existing notes block) instead of stdout")
    f = sub.add_parser("profile", help="per-call cost breakdown of our operators (current python)")
    f.add_argument("--cprofile", type=int, default=0, help="also cProfile N calls of each op")
    common(f)
    args = ap.parse_args()
    if args.cmd in ("run", "all", "profile"):
        args.size = args.size or list(SIZES)
        args.boxes_at = args.boxes_at or list(BOXES_AT)
        if args.quick:
            args.rounds, args.window = 3, 0.005
    if args.cmd == "run":
        cmd_run(args)
    elif args.cmd == "all":
        cmd_all(args)
    elif args.cmd == "report":
        cmd_report(args)
    else:
        cmd_profile(args)


if __name__ == "__main__":
    main()
