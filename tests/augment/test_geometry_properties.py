"""Property tests (hypothesis) for shapes: exact points, clipped polygons inside the canvas and
covering what was inside, VOC files with every shape surviving read -> augment -> write -> read."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import augment as A
from augment.geometry import OWN, Shapes
from augment.kernels.points import clip_polygon, transform_points
from augment.structures import image_meta

OPS = st.sampled_from([
    lambda a: A.Rotate(angle_min=a, angle_max=a, box_policy="clip"),
    lambda a: A.Shear(shearXY="X", shear_min=a / 3, shear_max=a / 3),
    lambda a: A.Scale(scaleXY="Y", scale_min=0.6 + abs(a) / 100, scale_max=0.6 + abs(a) / 100),
    lambda a: A.Translate(translateXY="Y", translate_min=a / 400, translate_max=a / 400),
    lambda a: A.Flip(lr_ud="ud" if a > 0 else "lr"),
])
POINT = st.tuples(st.floats(5, 75), st.floats(5, 55))


@settings(max_examples=60, deadline=None)
@given(OPS, st.floats(-40, 40), st.lists(POINT, min_size=3, max_size=12))
def test_points_land_where_the_matrix_sends_them_or_are_clipped_onto_the_canvas(make, angle, pts):
    op = make(angle)
    poly = np.array(pts, np.float32)
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    if (hi - lo).min() < 1:
        return
    s = A.Sample(np.zeros((60, 80, 3), np.uint8), [[*lo, *hi]], ["x"],
                 shapes=Shapes.from_lists([("polyline", poly, 0, OWN, 0.0, None)]))
    out, params = op(s, seed=1, return_params=True)
    if out is None or out.shapes is None:
        return  # the object left the image (the box policy said so)
    m = op.matrix(params, image_meta(s.image))
    want = transform_points(poly, m)
    h, w = out.image.shape[:2]
    got = out.shapes.shape(0)
    assert ((got >= -1e-3) & (got <= np.array([w, h]) + 1e-3)).all()
    inside = ((want >= 0) & (want <= [w, h])).all(axis=1)
    if inside.all():
        assert np.allclose(got, want, atol=1e-4)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(-30, 110), st.floats(-30, 90)), min_size=3, max_size=10))
def test_clipped_polygon_is_inside_and_keeps_the_inside_area(pts):
    import cv2

    poly = np.array(pts, np.float32)
    w, h = 80, 60
    clipped = clip_polygon(poly, w, h)
    assert ((clipped >= -1e-4) & (clipped <= np.array([w, h]) + 1e-4)).all()
    # the clipped polygon covers the part of the polygon inside the canvas (up to border pixels)
    scale = 4
    full = np.zeros(((h + 100) * scale, (w + 100) * scale), np.uint8)
    cv2.fillPoly(full, [np.round((poly + 50) * scale).astype(np.int32)], 1)
    inside = full[50 * scale:(50 + h) * scale, 50 * scale:(50 + w) * scale]
    got = np.zeros((h * scale, w * scale), np.uint8)
    if len(clipped) >= 3:
        cv2.fillPoly(got, [np.round(clipped * scale).astype(np.int32)], 1)
    area = max(int(inside.sum()), 1)
    assert abs(int(got.sum()) - int(inside.sum())) <= 0.02 * area + 8 * (w + h) * scale / 10


KIND = st.sampled_from(["polygon", "polyline", "line", "dashed", "point", "circle", "bndbox"])


def _obj(kind: str, x: int, y: int, s: int) -> str:
    if kind == "bndbox":
        return f"<bndbox><xmin>{x}</xmin><ymin>{y}</ymin><xmax>{x + s}</xmax><ymax>{y + s}</ymax></bndbox>"
    if kind in ("polygon", "polyline"):
        pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s)]
        return f"<{kind}>" + "".join(f"<x{i + 1}>{a}</x{i + 1}><y{i + 1}>{b}</y{i + 1}>" for i, (a, b) in enumerate(pts)) \
            + f"</{kind}>"
    if kind in ("line", "dashed"):
        return f"<{kind}><x1>{x}</x1><y1>{y}</y1><x2>{x + s}</x2><y2>{y + s}</y2></{kind}>"
    if kind == "point":
        return f"<point><x>{x + s // 2}</x><y>{y + s // 2}</y></point>"
    return f"<circle><cx>{x + s // 2}</cx><cy>{y + s // 2}</cy><r>{max(s // 3, 1)}</r></circle>"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(KIND, st.integers(10, 50), st.integers(10, 30), st.integers(3, 12)), min_size=1,
                max_size=7), st.sampled_from(["Flip(lr_ud='lr')", "Rotate(angle_min=-8, angle_max=8, box_policy='clip')",
                                              "Padding(px_top=4, px_left=9)", "Resize(height=90, width=120)"]))
def test_a_voc_with_every_shape_survives_read_augment_write_read(tmp_path_factory, objs, op):
    import json

    from PIL import Image

    from augment.cli import main
    from manifest import read_voc
    from tests.conftest import make_image

    src = tmp_path_factory.mktemp("in")
    Image.fromarray(make_image(60, 80)).save(src / "a.jpg")
    body = "".join(f"<object><name>o{i}</name>{_obj(k, x, y, s)}</object>" for i, (k, x, y, s) in enumerate(objs))
    (src / "a.xml").write_text(f"<annotation><filename>a.jpg</filename><size><width>80</width><height>60</height>"
                               f"<depth>3</depth></size>{body}</annotation>")
    out = src.parent / (src.name + "-out")
    assert main(["run", str(src), "-o", str(out), "--op", op, "--seed", "0", "-q"]) == 0
    rec = json.loads((out / "summary.json").read_text())["inputs"][0]["results"][0]
    after = read_voc(out / "Data" / rec["files"][1])
    left_out = [n for n in rec.get("notes", []) if "left out" in n]
    assert len(after.objects) + len(left_out) == len(objs)
    want = {f"o{i}": k for i, (k, *_) in enumerate(objs)}
    for o in after.objects:
        assert o.shape.kind == want[o.name]
