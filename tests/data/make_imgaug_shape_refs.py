# ruff: noqa: T201  (a command-line script: the summary table is its output)
"""Generate the imgaug 0.4.0 reference data for shapes moved by the 8 geometric operators.

Regenerate (from the repository root, in the side environment where imgaug imports)::

    /tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_shape_refs.py

imgaug moves ``Keypoints``, ``Polygons``, ``LineStrings`` and ``SegmentationMapsOnImage`` with the
same augmenter call as the image. This script runs the operator table of
``tests/data/make_imgaug_refs.py`` (its ``case_list()``: the exact imgaug call with fixed
parameters for each of our operator configs, reused here unchanged) on a fixed set of shapes and a
class map, and writes one file, ``tests/data/imgaug_shapes.npz`` (``np.savez_compressed``):

* ``meta``: a JSON string: versions, the input sizes, the shape table (kind, name, how many points
  each) and, per case, ``id``, ``input``, ``imgaug`` (the call, ``eval``'d here, so the string is
  exactly what ran), ``config`` (our operator, for ``augment.operator_from_dict``), ``out_shape``
  and imgaug's own clipping of the moved shapes (``clip``, see below);
* ``in/<input>/points``: float64 ``(P, 2)``: every point of every shape, in the shape table's order
  (keypoints, then polygon exteriors, then line-string coordinates); ``in/<input>/segmap``: the
  ``(H, W)`` class map (uint8 here, int32 when given to imgaug);
* ``out/<id>/points``: float64 ``(P, 2)``: imgaug's moved points, same order, raw (imgaug neither
  clips nor drops them); ``out/<id>/segmap``: imgaug's augmented class map (uint8, from its int32).

``clip`` (per case, per shape, imgaug's own clipping to the output canvas, 0.4.0 semantics):
keypoints ``{"inside": bool}`` (``0 <= x < W and 0 <= y < H``, ``KeypointsOnImage.clip_out_of_image``);
polygons ``{"pieces": n, "area": a, "bounds": [x1, y1, x2, y2] or None}`` (``Polygon.clip_out_of_image``:
shapely intersection with ``[0, W] x [0, H]``; several pieces when a concave polygon is cut apart);
line strings ``{"pieces": n, "longest": [[x, y], ...] or None, "length": total}``
(``LineString.clip_out_of_image``, whose image edges are inset by ``eps = 1e-3``).

Every imgaug call has fixed parameters (no randomness in the outputs); the shapes are fixed
fractions of the image size rounded to 1/8 px (exact in float32).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "imgaug_shapes.npz")
REGENERATE = "/tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_shape_refs.py"

#: input key -> (height, width). 67 x 91: odd sizes, half-pixel centres (a 0.5 px convention slip
#: shows); 52 x 76: Crop's round-half-to-even (0.125 * 52 = 6.5, 0.125 * 76 = 9.5)
SIZES = {"a": (67, 91), "b": (52, 76)}
#: the operator cases of make_imgaug_refs.case_list() run on input "b" too (the rest on "a" only)
ON_B = ("crop_0125", "crop_0125_keep", "rotate_17.3", "resize_40x50_cubic", "flip_lr", "pad_3572_keep")

# --------------------------------------------------------------------------- the shapes
# fractions of (W, H); names are unique (the tests map our output objects back by label)
KEYPOINTS = [
    (0.30, 0.35), (0.50, 0.50), (0.62, 0.41), (0.45, 0.63), (0.55, 0.30), (0.38, 0.57), (0.4137, 0.5291),
    (0.03, 0.05), (0.97, 0.50), (0.50, 0.96), (0.10, 0.90), (0.88, 0.12), (0.75, 0.80), (0.20, 0.20),
]  # fmt: skip
POLYGONS = {
    "quad": [(0.40, 0.38), (0.60, 0.40), (0.57, 0.60), (0.42, 0.58)],  # central, convex
    # concave, upside-down U under the top edge: a shift up cuts its bridge and leaves two arms
    "arch": [(0.30, 0.05), (0.58, 0.05), (0.58, 0.40), (0.50, 0.40), (0.50, 0.14), (0.38, 0.14),
             (0.38, 0.40), (0.30, 0.40)],
    "corner": [(0.05, 0.70), (0.30, 0.95), (0.02, 0.97)],  # triangle in the bottom-left corner
    "big": [(0.10, 0.10), (0.90, 0.12), (0.88, 0.90), (0.12, 0.88)],  # most of the image
}  # fmt: skip
LINES = {
    "zigzag": [(0.35, 0.45), (0.42, 0.55), (0.50, 0.43), (0.58, 0.56), (0.64, 0.47)],  # inside
    "arc": [(0.05, 0.30), (0.50, 0.08), (0.95, 0.35), (0.60, 0.92)],  # leaves and comes back
    "short": [(0.20, 0.70), (0.45, 0.83)],  # a 2-point line
    "edge": [(0.80, 0.20), (0.96, 0.62)],  # a 2-point line near the right edge
}


def _star(h: int, w: int) -> list[tuple[float, float]]:
    """A 10-point concave star about (0.7 W, 0.55 H), in pixels."""
    cx, cy = 0.7 * w, 0.55 * h
    out = []
    for k in range(10):
        r = (0.16 if k % 2 == 0 else 0.07) * h
        t = 2 * np.pi * k / 10
        out.append((cx + r * np.cos(t), cy + r * np.sin(t)))
    return out


def _px(points, h: int, w: int, fractions: bool = True) -> np.ndarray:
    p = np.asarray(points, np.float64)
    if fractions:
        p = p * np.array([w, h], np.float64)
    return np.round(p * 8) / 8  # multiples of 1/8: exact in float32


def shape_table(h: int, w: int) -> list[dict]:
    """``[{"kind", "name", "points": (K, 2) float64}, ...]`` for an image of ``h`` x ``w``.
    ``kind``: ``point`` (a keypoint), ``polygon``, ``polyline`` (>= 3 points) or ``line`` (2 points)."""
    table = [{"kind": "point", "name": f"kp{i}", "points": _px([p], h, w)} for i, p in enumerate(KEYPOINTS)]
    for name, pts in POLYGONS.items():
        table.append({"kind": "polygon", "name": name, "points": _px(pts, h, w)})
    table.append({"kind": "polygon", "name": "star", "points": _px(_star(h, w), h, w, fractions=False)})
    for name, pts in LINES.items():
        table.append({"kind": "line" if len(pts) == 2 else "polyline", "name": name, "points": _px(pts, h, w)})
    return table


def class_map(h: int, w: int) -> np.ndarray:
    """``(h, w)`` class map: background 0, two rectangles and two ellipses (later ones on top)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5  # pixel centres
    m = np.zeros((h, w), np.int32)
    m[(x >= 0.10 * w) & (x < 0.40 * w) & (y >= 0.15 * h) & (y < 0.50 * h)] = 1
    m[((x - 0.65 * w) / (0.20 * w)) ** 2 + ((y - 0.40 * h) / (0.25 * h)) ** 2 <= 1] = 2
    m[(x >= 0.50 * w) & (x < 0.90 * w) & (y >= 0.70 * h) & (y < 0.95 * h)] = 3
    m[((x - 0.25 * w) / (0.10 * w)) ** 2 + ((y - 0.75 * h) / (0.12 * h)) ** 2 <= 1] = 4
    m[int(0.02 * h) : int(0.02 * h) + 2, int(0.8 * w) : int(0.8 * w) + 3] = 1  # a small blob at the top edge
    return m


def cases() -> list[dict]:
    """The operator cases: every distinct operator of make_imgaug_refs.case_list() on input "a",
    and a few on input "b"."""
    sys.path.insert(0, HERE)
    from make_imgaug_refs import case_list  # the mapping ModelArts config -> imgaug call

    seen: dict[str, dict] = {}
    for c in case_list():
        op = c["id"].split("/", 1)[1]
        seen.setdefault(op, c)
    out = []
    for op, c in seen.items():
        for inp in ("a", "b") if op in ON_B else ("a",):
            out.append({"id": f"{inp}/{op}", "input": inp, "imgaug": c["imgaug"], "config": dict(c["config"])})
    return out


# --------------------------------------------------------------------------- run
def _clip_records(table, moved_kps, moved_polys, moved_lines, out_shape) -> list[dict]:
    recs = []
    k = p = q = 0
    for s in table:
        if s["kind"] == "point":
            kp = moved_kps.keypoints[k]
            k += 1
            recs.append({"inside": bool(not kp.is_out_of_image(out_shape))})
        elif s["kind"] == "polygon":
            pieces = moved_polys.polygons[p].clip_out_of_image(out_shape)
            p += 1
            if pieces:
                ext = np.concatenate([pc.exterior for pc in pieces])
                bounds = [float(v) for v in (*ext.min(axis=0), *ext.max(axis=0))]
            else:
                bounds = None
            area = float(sum(pc.to_shapely_polygon().area for pc in pieces))
            recs.append({"pieces": len(pieces), "area": area, "bounds": bounds})
        else:
            pieces = moved_lines.line_strings[q].clip_out_of_image(out_shape)
            q += 1
            lengths = [float(pc.length) for pc in pieces]
            longest = pieces[int(np.argmax(lengths))].coords.astype(np.float64).tolist() if pieces else None
            recs.append({"pieces": len(pieces), "longest": longest, "length": float(sum(lengths))})
    assert (k, p, q) == (len(moved_kps.keypoints), len(moved_polys.polygons), len(moved_lines.line_strings))
    return recs


def main() -> int:
    import cv2
    import imgaug
    import imgaug.augmenters as iaa
    from imgaug.augmentables.kps import Keypoint, KeypointsOnImage
    from imgaug.augmentables.lines import LineString, LineStringsOnImage
    from imgaug.augmentables.polys import Polygon, PolygonsOnImage
    from imgaug.augmentables.segmaps import SegmentationMapsOnImage

    arrays: dict[str, np.ndarray] = {}
    tables = {}
    for key, (h, w) in SIZES.items():
        table = shape_table(h, w)
        tables[key] = table
        arrays[f"in/{key}/points"] = np.concatenate([s["points"] for s in table])
        m = class_map(h, w)
        assert m.max() < 256
        arrays[f"in/{key}/segmap"] = m.astype(np.uint8)

    case_recs = []
    rows = []
    for case in cases():
        h, w = SIZES[case["input"]]
        table = tables[case["input"]]
        image = np.zeros((h, w, 3), np.uint8)
        shape = image.shape
        kps = KeypointsOnImage([Keypoint(*s["points"][0]) for s in table if s["kind"] == "point"], shape=shape)
        polys = PolygonsOnImage([Polygon(s["points"]) for s in table if s["kind"] == "polygon"], shape=shape)
        lines = LineStringsOnImage(
            [LineString(s["points"]) for s in table if s["kind"] in ("polyline", "line")], shape=shape
        )
        segmap = SegmentationMapsOnImage(class_map(h, w), shape=shape)
        aug = eval(case["imgaug"], {"iaa": iaa})  # the recorded string is exactly what runs
        batch = aug.augment(
            image=image, keypoints=kps, polygons=polys, line_strings=lines, segmentation_maps=segmap, return_batch=True
        )
        out_img = batch.images_aug[0] if isinstance(batch.images_aug, list) else batch.images_aug
        mk, mp, ml, ms = batch.keypoints_aug, batch.polygons_aug, batch.line_strings_aug, batch.segmentation_maps_aug
        for cbaoi in (mk, mp, ml):  # every augmentable ends on the image's output canvas
            assert tuple(cbaoi.shape[:2]) == out_img.shape[:2], (case["id"], cbaoi.shape, out_img.shape)
        assert len(mk.keypoints) == len(kps.keypoints) and len(mp.polygons) == len(polys.polygons)
        assert len(ml.line_strings) == len(lines.line_strings)  # imgaug never drops
        kp_xy = mk.to_xy_array().astype(np.float64)
        poly_xy = [pg.exterior.astype(np.float64) for pg in mp.polygons]
        line_xy = [ls.coords.astype(np.float64) for ls in ml.line_strings]
        moved = np.concatenate([kp_xy, *poly_xy, *line_xy])  # the table's order: kps, polygons, lines
        assert moved.shape == arrays[f"in/{case['input']}/points"].shape, case["id"]
        seg = ms.get_arr()
        assert seg.shape == out_img.shape[:2], (case["id"], seg.shape)
        arrays[f"out/{case['id']}/points"] = moved
        arrays[f"out/{case['id']}/segmap"] = seg.astype(np.uint8)
        clip = _clip_records(table, mk, mp, ml, out_img.shape)
        case_recs.append({**case, "out_shape": list(out_img.shape[:2]), "clip": clip})
        oh, ow = out_img.shape[:2]
        inside = [
            bool(((s >= 0) & (s <= [ow, oh])).all())
            for s in np.split(moved, np.cumsum([len(s["points"]) for s in table])[:-1])
        ]
        rows.append((case["id"], (h, w), (oh, ow), sum(inside), len(table), case["imgaug"]))

    meta = {
        "generated_by": "tests/data/make_imgaug_shape_refs.py",
        "regenerate": REGENERATE,
        "imgaug": imgaug.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "sizes": {k: list(v) for k, v in SIZES.items()},
        "shapes": {
            k: [{"kind": s["kind"], "name": s["name"], "n": len(s["points"])} for s in t] for k, t in tables.items()
        },
        "npz_layout": "meta (this JSON), in/<input>/points, in/<input>/segmap, out/<id>/points, out/<id>/segmap",
        "cases": case_recs,
    }
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(NPZ, **arrays)

    print(f"{'case':26} {'in':8} {'out':8} inside imgaug call")
    for cid, ish, osh, n_in, n, call in rows:
        print(f"{cid:26} {'x'.join(map(str, ish)):8} {'x'.join(map(str, osh)):8} {n_in:2}/{n:2}  {call}")
    print(f"\n{len(rows)} cases; {NPZ}: {os.path.getsize(NPZ) / 1e3:.1f} kB")
    print(f"regenerate from the repository root with:\n    {REGENERATE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
