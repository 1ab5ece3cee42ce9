"""Generate the imgaug 0.4.0 reference data for the 8 geometric operators.

Regenerate (from the repository root, in the side environment where imgaug imports)::

    /tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_refs.py

imgaug does not import on numpy 2, so it is never a dependency of the library: this script runs
it as an oracle and commits its outputs as small arrays. It writes

* ``tests/data/imgaug_geometric.npz`` (``np.savez_compressed``): for every input ``<key>``,
  ``in/<key>/image`` and ``in/<key>/boxes`` (float32 ``(N, 4)`` xyxy); for every case ``<id>``,
  ``out/<id>/image`` and ``out/<id>/boxes`` (float64, imgaug's raw boxes: never clipped, never
  dropped);
  For the affine cases (imgaug's ``Affine``: Rotate, Scale, Shear, Translate) also
  ``out/<id>/matrix_image`` (the 3x3 pixel-index matrix imgaug gave ``cv2.warpAffine``; checked
  here to reproduce the recorded pixels) and ``out/<id>/matrix_boxes`` (the 3x3 continuous-
  coordinate matrix it applied to the box corners);
* ``tests/data/imgaug_geometric.json``: ``{"imgaug": version, ..., "cases": [...]}`` with, per
  case, ``id``, ``input`` (the input key), ``imgaug`` (the call, as a string; it is ``eval``'d
  here, so the string is exactly what ran) and ``config`` (the equivalent operator of this
  library, for ``augment.operator_from_dict``).

Every imgaug call has fixed parameters, so no randomness is involved in the outputs; the
synthetic inputs come from this script's own seeded generator. A summary table is printed.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "imgaug_geometric.npz")
JSON = os.path.join(HERE, "imgaug_geometric.json")
SEED = 20240611
REGENERATE = "/tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_refs.py"


def usage() -> str:
    """How to regenerate the reference files (printed with the summary)."""
    return f"regenerate from the repository root with:\n    {REGENERATE}"


# --------------------------------------------------------------------------- synthetic inputs
def photo_like(rng: np.random.Generator, h: int, w: int, channels: int, maxval: int) -> np.ndarray:
    """Smooth gradients + sinusoids + filled shapes with hard edges + mild noise, in [0, 1] float,
    then scaled to ``maxval``. Returns ``(h, w, channels)`` float64 before quantisation."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    yn, xn = y / (h - 1), x / (w - 1)
    img = np.empty((h, w, channels))
    for c in range(channels):
        a, b = rng.uniform(-0.5, 0.5, 2)
        base = 0.45 + a * xn + b * yn
        for _ in range(3):
            fx, fy = rng.uniform(0.5, 4.0, 2)
            ph = rng.uniform(0, 2 * np.pi)
            base += 0.10 * np.sin(2 * np.pi * (fx * xn + fy * yn) + ph)
        img[..., c] = base
    # filled shapes with hard edges (same geometry in every channel, own colour per channel)
    for _ in range(4):
        colour = rng.uniform(0, 1, channels)
        kind = rng.integers(0, 3)
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        r = rng.uniform(0.08, 0.25) * min(h, w)
        if kind == 0:  # disc
            mask = (x - cx) ** 2 + (y - cy) ** 2 <= r**2
        elif kind == 1:  # rectangle
            mask = (np.abs(x - cx) <= r * 1.3) & (np.abs(y - cy) <= r * 0.7)
        else:  # triangle-ish half plane wedge
            mask = (y - cy > 0.6 * (x - cx)) & (y - cy < r) & (x - cx > -r)
        img[mask] = colour
    # a thin diagonal line and a one-pixel grid dot pattern: high frequencies
    img[np.abs((x - 0.5 * y) - w * 0.3) < 0.8] = rng.uniform(0, 1, channels)
    img += rng.normal(0, 0.02, img.shape)
    return np.clip(img, 0, 1) * maxval


def make_inputs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(SEED)

    def boxes_for(h: int, w: int) -> np.ndarray:
        # (x1, y1, x2, y2), continuous pixel coordinates, multiples of 0.25 (exact in float32):
        # inside; near the right/bottom edge; touching the top-left corner; near the bottom-left
        # corner (partly outside after a rotation); fractional coordinates.
        f = np.array(
            [
                [0.33, 0.30, 0.62, 0.60],
                [0.78, 0.68, 0.98, 0.97],
                [0.00, 0.00, 0.17, 0.18],
                [0.04, 0.70, 0.42, 0.99],
                [0.137, 0.121, 0.373, 0.437],
            ]
        )
        b = f * np.array([w, h, w, h], np.float64)
        b = np.round(b * 4) / 4
        return b.astype(np.float32)

    out = {}
    rgb = photo_like(rng, 67, 91, 3, 255)
    out["rgb"] = (np.round(rgb).astype(np.uint8), boxes_for(67, 91))
    gray = photo_like(rng, 67, 91, 1, 255)[..., 0]
    out["gray"] = (np.round(gray).astype(np.uint8), boxes_for(67, 91))
    # 52 x 76: 0.125 * 52 = 6.5 and 0.125 * 76 = 9.5 exercise round-half-to-even in Crop
    rgba = photo_like(rng, 52, 76, 4, 255)
    rgba[..., 3] = np.round(rgba[..., 3] * 0.5 + 100)  # alpha: a mostly opaque, varying channel
    out["rgba"] = (np.round(rgba).astype(np.uint8), boxes_for(52, 76))
    rgb16 = photo_like(rng, 67, 91, 3, 65535)
    out["rgb16"] = (np.round(rgb16).astype(np.uint16), boxes_for(67, 91))
    # 48 x 96: translations by fractions whose pixel shift is an exact integer (0.25 * 96 = 24)
    rgb96 = photo_like(rng, 48, 96, 3, 255)
    out["rgb96"] = (np.round(rgb96).astype(np.uint8), boxes_for(48, 96))
    return out


# --------------------------------------------------------------------------- cases
def case_list() -> list[dict]:
    """(id, input, imgaug call string, our config). Ids are ``<input>/<op>``."""
    ops: list[tuple[str, str, dict]] = [
        ("flip_lr", "iaa.Fliplr(1.0)", {"name": "Flip", "lr_ud": "lr", "flip_p": 1.0}),
        ("flip_ud", "iaa.Flipud(1.0)", {"name": "Flip", "lr_ud": "ud", "flip_p": 1.0}),
    ]
    for (t, r, b, l), tag in (((1, 1, 1, 1), "1"), ((3, 5, 7, 2), "3572")):
        for keep in (False, True):
            ops.append(
                (
                    f"pad_{tag}" + ("_keep" if keep else ""),
                    f'iaa.Pad(px=({t}, {r}, {b}, {l}), keep_size={keep}, pad_mode="constant", pad_cval=0)',
                    {"name": "Padding", "px_top": t, "px_right": r, "px_bottom": b, "px_left": l, "keep_size": keep},
                )
            )
    for p, tag in ((0.15, "015"), (0.125, "0125")):
        for keep in (False, True):
            ops.append(
                (
                    f"crop_{tag}" + ("_keep" if keep else ""),
                    f"iaa.Crop(percent={p}, keep_size={keep})",
                    {"name": "Crop", "crop_percent_min": p, "crop_percent_max": p, "keep_size": keep},
                )
            )
    # keep_size=True: imgaug resizes back with ia.imresize_single_image(arr, (H, W)), i.e.
    # interpolation=None, which picks cv2.INTER_AREA when the array grows back (Crop) and
    # cv2.INTER_LINEAR when it shrinks back (Pad) -- not cubic. Our equivalent names it.
    for _, _, cfg in ops:
        if cfg.get("keep_size"):
            cfg["interpolation"] = "area" if cfg["name"] == "Crop" else "linear"
    for h, w in ((224, 224), (40, 50)):
        for interp in ("cubic", "linear"):
            ops.append(
                (
                    f"resize_{h}x{w}_{interp}",
                    f'iaa.Resize({{"height": {h}, "width": {w}}}, interpolation="{interp}")',
                    {"name": "Resize", "height": h, "width": w, "interpolation": interp},
                )
            )
    for a in (30, -45, 90, 17.3):
        ops.append((f"rotate_{a}", f"iaa.Rotate({a})", {"name": "Rotate", "angle_min": a, "angle_max": a}))
    ops += [
        ("scale_x_1.5", "iaa.ScaleX(1.5)", {"name": "Scale", "scaleXY": "X", "scale_min": 1.5, "scale_max": 1.5}),
        ("scale_y_0.7", "iaa.ScaleY(0.7)", {"name": "Scale", "scaleXY": "Y", "scale_min": 0.7, "scale_max": 0.7}),
        ("shear_x_20", "iaa.ShearX(20)", {"name": "Shear", "shearXY": "X", "shear_min": 20, "shear_max": 20}),
        ("shear_y_-15", "iaa.ShearY(-15)", {"name": "Shear", "shearXY": "Y", "shear_min": -15, "shear_max": -15}),
    ]

    def translate(axis: str, f: float) -> tuple[str, str, dict]:
        return (
            f"translate_{axis.lower()}_{f}",
            f"iaa.Translate{axis}(percent={f})",
            {"name": "Translate", "translateXY": axis, "translate_min": f, "translate_max": f},
        )

    by_id = {o[0]: o for o in ops}
    subset = [
        "flip_lr", "flip_ud", "pad_3572", "pad_3572_keep", "crop_015", "crop_015_keep", "crop_0125",
        "crop_0125_keep", "resize_40x50_cubic", "resize_40x50_linear", "rotate_30", "rotate_17.3",
        "shear_x_20", "shear_y_-15",
    ]  # fmt: skip
    cases = []

    def add(inp: str, op: tuple[str, str, dict]) -> None:
        cases.append({"id": f"{inp}/{op[0]}", "input": inp, "imgaug": op[1], "config": dict(op[2])})

    for op in ops:
        add("rgb", op)
    # non-integer shifts on the 67 x 91 image: 0.1 * 91 = 9.1 px, -0.15 * 67 = -10.05 px
    add("rgb", translate("X", 0.1))
    add("rgb", translate("Y", -0.15))
    # integer shifts on the 48 x 96 image: 0.25 * 96 = 24 px, -0.125 * 96 = -12 px, 0.25 * 48 = 12 px
    for op in (translate("X", 0.25), translate("X", -0.125), translate("Y", 0.25), translate("Y", -0.375)):
        add("rgb96", op)
    add("rgb96", translate("X", 0.3))  # 28.8 px
    for inp in ("gray", "rgba", "rgb16"):
        for name in subset:
            add(inp, by_id[name])
    add("gray", by_id["resize_224x224_cubic"])
    add("rgb16", translate("X", 0.1))
    for case in cases:
        case["affine"] = case["config"]["name"] in AFFINE
    return cases


#: operators imgaug runs through ``Affine`` (a bilinear ``cv2.warpAffine``); their matrices are recorded
AFFINE = ("Rotate", "Scale", "Shear", "Translate")


# --------------------------------------------------------------------------- run
def main() -> int:
    import imgaug
    import imgaug.augmenters as iaa
    import cv2
    from imgaug import random as iarandom
    from imgaug.augmentables.bbs import BoundingBox, BoundingBoxesOnImage

    inputs = make_inputs()
    arrays: dict[str, np.ndarray] = {}
    for key, (image, boxes) in inputs.items():
        arrays[f"in/{key}/image"] = image
        arrays[f"in/{key}/boxes"] = boxes

    cases = case_list()
    rows = []
    for case in cases:
        image, boxes = inputs[case["input"]]
        aug = eval(case["imgaug"], {"iaa": iaa})  # the recorded string is exactly what runs
        bbs = BoundingBoxesOnImage([BoundingBox(*map(float, b)) for b in boxes], shape=image.shape)
        out_img, out_bbs = aug(image=image.copy(), bounding_boxes=bbs)
        assert out_img.dtype == image.dtype, (case["id"], out_img.dtype)
        assert out_img.ndim == image.ndim, (case["id"], out_img.shape)
        assert len(out_bbs.bounding_boxes) == len(boxes), case["id"]  # imgaug never drops
        out_boxes = np.array([[b.x1, b.y1, b.x2, b.y2] for b in out_bbs.bounding_boxes], np.float64)
        assert tuple(out_bbs.shape[:2]) == out_img.shape[:2], (case["id"], out_bbs.shape, out_img.shape)
        arrays[f"out/{case['id']}/image"] = np.ascontiguousarray(out_img)
        arrays[f"out/{case['id']}/boxes"] = out_boxes
        if case["affine"]:
            # the matrices imgaug used: for the image (pixel-index coordinates, what it hands to
            # cv2.warpAffine) and for the boxes (continuous coordinates); imgaug 0.4.0 internals
            samples = aug._draw_samples(1, iarandom.RNG(0))
            m_img, _ = samples.to_matrix(0, image.shape, image.shape, False)
            m_box, _ = samples.to_matrix_cba(0, image.shape, False)
            arrays[f"out/{case['id']}/matrix_image"] = m_img.params
            arrays[f"out/{case['id']}/matrix_boxes"] = m_box.params
            # self-check: this matrix is the one that produced the recorded pixels
            chans = [image] if image.ndim == 2 or image.shape[2] <= 3 else [image[..., c] for c in range(image.shape[2])]
            warped = [
                cv2.warpAffine(c, m_img.params[:2], image.shape[1::-1], flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
                for c in chans
            ]  # fmt: skip
            warped = warped[0] if len(warped) == 1 else np.stack(warped, axis=-1)
            assert np.array_equal(warped.reshape(out_img.shape), out_img), case["id"]
        rows.append((case["id"], image.shape, out_img.shape, str(image.dtype), case["imgaug"]))

    np.savez_compressed(NPZ, **arrays)
    meta = {
        "generated_by": "tests/data/make_imgaug_refs.py",
        "regenerate": REGENERATE,
        "imgaug": imgaug.__version__,
        "numpy": np.__version__,
        "opencv": __import__("cv2").__version__,
        "seed": SEED,
        "npz_layout": (
            "in/<input>/image, in/<input>/boxes (float32 xyxy), out/<id>/image, out/<id>/boxes "
            "(float64, raw), out/<id>/matrix_image and out/<id>/matrix_boxes (3x3, affine cases)"
        ),
        "inputs": {k: {"shape": list(v[0].shape), "dtype": str(v[0].dtype), "boxes": len(v[1])} for k, v in inputs.items()},
        "cases": cases,
    }
    with open(JSON, "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")

    # summary
    print(f"{'case':34} {'dtype':7} {'in':14} {'out':14} imgaug call")
    for cid, ish, osh, dt, call in rows:
        print(f"{cid:34} {dt:7} {'x'.join(map(str, ish)):14} {'x'.join(map(str, osh)):14} {call}")
    size = os.path.getsize(NPZ) + os.path.getsize(JSON)
    print(f"\n{len(cases)} cases, {len(inputs)} inputs; {NPZ} + json = {size / 1e6:.2f} MB")
    print(usage())
    return 0


if __name__ == "__main__":
    sys.exit(main())
