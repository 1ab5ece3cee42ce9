"""Shapes (polygons, lines, points, circles, parts) move with the pixels through every geometric
operator, are clipped to the canvas, tighten their object's box, and reach the VOC output."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import augment as A
from augment.cli import main
from augment.geometry import OWN, PART, Shapes
from augment.kernels.points import transform_points
from augment.structures import image_meta
from manifest import read_voc
from tests.conftest import make_image

REAL = Path(__file__).parents[2].parent / "shared" / "real-samples" / "voc"

GEOMETRIC = [
    A.Flip(lr_ud="lr"), A.Flip(lr_ud="ud"), A.Rotate(angle_min=25, angle_max=25, box_policy="clip"),
    A.Scale(scaleXY="X", scale_min=0.7, scale_max=0.7), A.Shear(shearXY="Y", shear_min=15, shear_max=15),
    A.Translate(translateXY="X", translate_min=0.1, translate_max=0.1), A.Resize(height=50, width=90),
    A.Crop(crop_percent_min=0.1, crop_percent_max=0.1), A.Padding(px_top=3, px_left=7),
]


def _sample(h=60, w=80):
    poly = np.array([[20, 15], [50, 18], [40, 45], [22, 40]], np.float32)
    shapes = Shapes.from_lists([
        ("polygon", poly, 0, OWN, 0.0, "polygon"),
        ("box", [[24, 20], [30, 26]], 0, PART, 0.0, 0),
        ("line", [[55, 10], [70, 30]], 1, OWN, 0.0, "line"),
        ("point", [[60, 50]], 2, OWN, 0.0, "point"),
    ])
    boxes = np.array([[20, 15, 50, 45], [55, 10, 70, 30], [59.5, 49.5, 60.5, 50.5]], np.float32)
    return A.Sample(make_image(h, w), boxes, ["car", "lane", "dot"], {"truncated": [0, 0, 0]}, shapes=shapes)


@pytest.mark.parametrize("op", GEOMETRIC, ids=lambda op: repr(op)[:40])
def test_every_point_lands_where_the_matrix_sends_it(op):
    s = _sample()
    out, params = op(s, seed=3, return_params=True)
    m = op.matrix(params, image_meta(s.image))
    want = transform_points(s.shapes.points, m)
    h, w = out.image.shape[:2]
    if len(out.shapes.points) == len(want) and ((want >= 0) & (want <= [w, h])).all():
        assert np.allclose(out.shapes.points, want, atol=1e-4)
    else:  # clipped: every point still on the canvas
        assert ((out.shapes.points >= -1e-4) & (out.shapes.points <= np.array([w, h]) + 1e-4)).all()


@pytest.mark.parametrize("op", [A.Rotate(angle_min=35, angle_max=35, box_policy="clip"),
                                A.Shear(shear_min=20, shear_max=20), A.Scale(scale_min=1.3, scale_max=1.3)])
def test_moved_polygon_covers_the_moved_pixels_and_boxes_are_tight(op):
    h, w = 90, 120
    poly = np.array([[30, 20], [80, 25], [70, 70], [35, 60]], np.float32)
    mask = np.zeros((h, w, 3), np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], (255, 255, 255))
    s = A.Sample(mask, [[30, 20, 80, 70]], ["x"], shapes=Shapes.from_lists([("polygon", poly, 0, OWN, 0.0, "p")]))
    out = op(s, seed=0)
    moved = np.zeros((h, w), np.uint8)
    cv2.fillPoly(moved, [np.round(out.shapes.shape(0)).astype(np.int32)], 255)
    warped = out.image[..., 0] > 127
    inter = (warped & (moved > 0)).sum()
    union = (warped | (moved > 0)).sum()
    assert inter / union > 0.93  # equal up to the border pixels
    lo, hi = out.shapes.shape(0).min(axis=0), out.shapes.shape(0).max(axis=0)
    assert np.allclose(out.boxes[0], [*lo, *hi], atol=1e-4)  # the box of the moved polygon
    hull = A.Sample(mask, [[30, 20, 80, 70]], ["x"])
    loose = op(hull, seed=0).boxes[0]
    area, loose_area = np.prod(out.boxes[0][2:] - out.boxes[0][:2]), np.prod(loose[2:] - loose[:2])
    assert area < loose_area if op.name != "Scale" else area == pytest.approx(loose_area)


def test_clipping_polygons_lines_points_and_parts_and_the_notes():
    s = _sample()
    out = A.Translate(translateXY="X", translate_min=0.3, translate_max=0.3)(s, seed=0)  # +24 px
    h, w = out.image.shape[:2]
    assert out.labels == ["car", "lane"]  # the point at x=84 left the image (box policy); the line was cut
    line = out.shapes.shape(int(np.flatnonzero((out.shapes.owner == 1) & (out.shapes.role == OWN))[0]))
    assert line[:, 0].max() == pytest.approx(w) and out.fields["truncated"].tolist() == [0, 1]  # only the line is cut
    assert (out.boxes[:, 2] <= w).all()


def test_circles_scale_under_similarities_and_become_polygons_under_shear():
    s = A.Sample(make_image(60, 80), [[35, 25, 45, 35]], ["c"],
                 shapes=Shapes.from_lists([("circle", [[40, 30]], 0, OWN, 5.0, "circle")]))
    big = A.Scale(scaleXY="X", scale_min=1.0, scale_max=1.0)(s, seed=0)
    assert big.shapes.kind[0] == 4 and big.shapes.radius[0] == pytest.approx(5.0)
    r = A.Rotate(angle_min=90, angle_max=90)(s, seed=0)
    assert r.shapes.kind[0] == 4 and r.shapes.radius[0] == pytest.approx(5.0)
    sheared = A.Shear(shear_min=25, shear_max=25)(s, seed=0)
    assert sheared.shapes.kind[0] == 0 and len(sheared.shapes.shape(0)) == 32
    assert "circle(s) written as polygons" in sheared.meta["notes"][0]


def test_pixel_operators_leave_shapes_alone_and_filter_keeps_them_in_step():
    s = _sample()
    out = A.LightContrast(func="gamma")(s, seed=0)
    assert out.shapes is s.shapes
    kept = s.filter(np.array([False, True, True]))
    assert kept.shapes.owner.tolist() == [0, 1] and len(kept.shapes) == 2


# --------------------------------------------------------------------------- through augment run
def _voc_folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    files = sorted(REAL.glob("*.xml")) if REAL.is_dir() else []
    if not files:
        pytest.skip("shared/real-samples is absent")
    from manifest import ManifestError

    n = 0
    for f in files:
        try:
            ann = read_voc(f)
        except ManifestError:
            continue  # the deliberately invalid sample
        w, h = int(ann.width or 640), int(ann.height or 480)
        Image.fromarray(make_image(h, w)).save(src / f"{f.stem}.jpg")
        (src / f"{f.stem}.xml").write_bytes(f.read_bytes())
        n += 1
    assert n >= 8
    return src


@pytest.mark.parametrize("op", ["Flip(lr_ud='lr')", "Rotate(angle_min=-15, angle_max=15, box_policy='clip')",
                                "Shear(shear_min=10, shear_max=10)", "Crop(crop_percent_min=0.2, crop_percent_max=0.2)"])
def test_real_voc_files_every_object_written_or_reported(tmp_path, op):
    src = _voc_folder(tmp_path)
    out = tmp_path / "out"
    rc = main(["run", str(src), "-o", str(out), "--op", op, "--seed", "2", "--no-validation", "-q"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    for e in summary["inputs"]:
        before = read_voc(src / Path(e["source"]).with_suffix(".xml"))
        for r in e["results"]:
            notes = r.get("notes", [])
            if r["status"] == "dropped":
                assert "no object left" in r["reason"] or op.startswith("Rotate")
                continue
            assert r["status"] == "written"
            after = read_voc(out / "Data" / r["files"][1])
            left_out = [n for n in notes if "left out" in n]
            assert len(after.objects) + len(left_out) == len(before.objects), (e["source"], notes)
            kinds_before = sorted(o.shape.kind for o in before.objects)
            kinds_after = sorted(o.shape.kind for o in after.objects)
            if not left_out and "written as polygons" not in " ".join(notes):
                assert kinds_after == kinds_before
            for o, p in zip(before.objects, after.objects, strict=False):
                if o.name == p.name:
                    assert len(p.parts) <= len(o.parts)


def test_parts_move_with_their_person(tmp_path):
    src = _voc_folder(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "--op", "Flip(lr_ud='lr')", "--seed", "1", "-q",
                 "--no-validation"]) == 0
    name = "sdk_voc2012_parts_confidence_no_xml_decl"
    before, after = read_voc(src / f"{name}.xml"), read_voc(out / "Data" / f"{name}_aug0.xml")
    w = int(before.width)
    for p, q in zip(before.objects[0].parts, after.objects[0].parts, strict=True):
        assert (q.name, q.shape.xmin, q.shape.xmax) == (p.name, w + 1 - p.shape.xmax, w + 1 - p.shape.xmin)


def test_empty_copies_are_dropped_by_default_and_kept_on_request(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(make_image(40, 60)).save(src / "a.jpg")
    from manifest.vocboxes import from_boxes

    (src / "a.xml").write_bytes(from_boxes("a.jpg", (60, 40, 3), np.array([[50, 5, 58, 15]], np.float32),
                                           ["x"]).to_bytes())
    op = ["--op", "Translate(translate_min=0.4, translate_max=0.4, box_policy='clip')", "--seed", "1", "-q"]
    assert main(["run", str(src), "-o", str(tmp_path / "d"), *op]) == 4
    rec = json.loads((tmp_path / "d" / "summary.json").read_text())["inputs"][0]["results"][0]
    assert rec["status"] == "dropped" and "no object left" in rec["reason"]
    assert main(["run", str(src), "-o", str(tmp_path / "k"), *op, "--empty", "keep"]) == 0
    assert read_voc(tmp_path / "k" / "Data" / "a_aug0.xml").objects == []


# --------------------------------------------------------------------------- segmentation masks
def test_masks_move_with_the_pixels_through_every_geometric_operator():
    img = make_image(60, 80)
    mask = np.zeros((60, 80), np.uint8)
    mask[10:30, 20:50] = 2
    mask[40:55, 5:15] = 7
    s = A.Sample(img, mask=mask)
    for op in GEOMETRIC:
        out = op(s, seed=3)
        assert out.mask.shape == out.image.shape[:2] and out.mask.dtype == np.uint8
        assert set(np.unique(out.mask)) <= {0, 2, 7}  # nearest neighbour: no new ids
    flipped = A.Flip(lr_ud="lr")(s, seed=0).mask
    assert np.array_equal(flipped, mask[:, ::-1])
    assert A.Sharpen()(s, seed=0).mask is mask  # pixel operators leave it alone
    with pytest.raises(A.AugmentError, match="mask must be"):
        A.Sample(img, mask=mask[:10])


def _segmentation_folder(src: Path, n: int = 3) -> None:
    src.mkdir(parents=True)
    (src / "masks").mkdir()
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9)
    for i in range(n):
        h, w = 48, 64
        Image.fromarray(make_image(h, w, seed=i)).save(src / f"im{i}.jpg")
        poly = np.array([[10, 8], [40, 10], [35, 40], [12, 36]], np.int32)
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [poly], 1)
        m[2:8, 50:60] = 2
        pm = Image.fromarray(m, "P")
        pm.putpalette(palette)
        pm.save(src / "masks" / f"im{i}.png")
        pts = "".join(f"<x{k + 1}>{x}</x{k + 1}><y{k + 1}>{y}</y{k + 1}>" for k, (x, y) in enumerate(poly.tolist()))
        (src / f"im{i}.xml").write_text(
            f"<annotation><folder>x</folder><filename>im{i}.jpg</filename><size><width>{w}</width>"
            f"<height>{h}</height><depth>3</depth></size><segmented>1</segmented>"
            f"<mask_source>masks/im{i}.png</mask_source>"
            f"<object><name>car</name><mask_color>255,0,0</mask_color><polygon>{pts}</polygon></object>"
            "<object><name>sign</name><mask_color>0,255,0</mask_color><bndbox><xmin>51</xmin><ymin>3</ymin>"
            "<xmax>60</xmax><ymax>8</ymax></bndbox></object></annotation>")


def test_a_segmentation_folder_round_trips_through_augment_run_and_manifest_validate(tmp_path):
    from manifest.cli import main as manifest_main

    src = tmp_path / "in"
    _segmentation_folder(src)
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "--op", "Rotate(angle_min=-20, angle_max=20, box_policy='clip')",
                 "--seed", "4", "--copies", "2", "--include-originals", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["written"] == 9
    lines = [json.loads(x) for x in (out / "output.manifest").read_text().splitlines()]
    assert all(ln["annotation"][0]["type"] == "modelarts/image_segmentation" for ln in lines)
    for ln in lines:
        voc = read_voc(out / ln["annotation"][0]["annotation-loc"])
        assert voc.segmented == 1 and voc.mask_source.endswith("_mask.png")
        mask_file = out / "Data" / voc.mask_source
        im = Image.open(out / ln["source"])
        mk = Image.open(mask_file)
        assert mk.size == im.size and mk.mode == "P" and mk.getpalette()[:9] == [0, 0, 0, 255, 0, 0, 0, 255, 0]
        m = np.asarray(mk)
        car = next(o for o in voc.objects if o.name == "car")
        poly = np.array(car.shape.points, np.int32)
        drawn = np.zeros_like(m)
        cv2.fillPoly(drawn, [poly], 1)
        iou = ((drawn == 1) & (m == 1)).sum() / ((drawn == 1) | (m == 1)).sum()
        assert iou > 0.85  # the mask and the polygon moved together
    assert manifest_main(["validate", str(out / "output.manifest")]) == 0


def test_a_segmentation_manifest_keeps_its_type(tmp_path):
    src = tmp_path / "in"
    _segmentation_folder(src, n=1)
    man = tmp_path / "seg.manifest"
    man.write_text(json.dumps({"source": "in/im0.jpg", "usage": "TRAIN", "sample-type": 0, "annotation": [
        {"type": "modelarts/image_segmentation", "annotation-loc": "in/im0.xml", "annotation-format": "PASCAL VOC"}]})
        + "\n")
    out = tmp_path / "out"
    assert main(["run", str(man), "-o", str(out), "--op", "Flip()", "--seed", "1", "-q"]) == 0
    ln = json.loads((out / "output.manifest").read_text())
    assert ln["annotation"][0]["type"] == "modelarts/image_segmentation" and ln["sample-type"] == 0
    voc = read_voc(out / ln["annotation"][0]["annotation-loc"])
    m = np.asarray(Image.open(out / "Data" / voc.mask_source))
    orig = np.asarray(Image.open(src / "masks" / "im0.png"))
    assert np.array_equal(m, orig[:, ::-1])


def test_datasets_yield_shapes_and_masks_and_collate_batches_them(tmp_path):
    import augment.data as D

    src = tmp_path / "in"
    _segmentation_folder(src, n=2)
    pipeline = {"seed": 0, "ops": [{"name": "Rotate", "angle_min": -10, "angle_max": 10, "box_policy": "clip"}]}
    ds = D.FolderDataset(src, pipeline, seed=0)
    assert len(ds) == 2 and all("image without annotation" in p["reason"] for p in ds.problems)  # the masks
    item = ds[0]
    assert item["mask"].shape == item["image"].shape[:2] and set(np.unique(item["mask"])) <= {0, 1, 2}
    assert item["points"].shape[1] == 2 and item["shape_kinds"].tolist() == [0]  # the car's polygon
    assert item["shape_objects"].tolist() == [0] and item["boxes"].shape == (2, 4)
    assert ds[0]["points"].tobytes() == item["points"].tobytes()  # seeded: the same again
    torch = pytest.importorskip("torch")
    import augment.torch as AT

    batch = AT.collate([ds[0], ds[1]])
    assert batch["mask"].shape == (2, 48, 64) and isinstance(batch["points"], list)
    assert torch.is_tensor(batch["points"][0])


def test_other_shapes_bbox_gives_points_a_box_with_area_not_a_failed_image(tmp_path):
    """--other-shapes bbox: a point's box is widened to a pixel as in 'move' (it was zero-area, and
    the operator's validation failed the whole image: seen on the real all-shapes sample)."""
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(make_image(60, 80)).save(src / "a.jpg")
    (src / "a.xml").write_text("<annotation><filename>a.jpg</filename><size><width>80</width><height>60</height>"
                               "<depth>3</depth></size><object><name>p</name><point><x>40</x><y>30</y></point>"
                               "</object><object><name>b</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>20</xmax>"
                               "<ymax>20</ymax></bndbox></object></annotation>")
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "--op", "Rotate(angle_min=10, angle_max=10, box_policy='clip')",
                 "--seed", "1", "--other-shapes", "bbox", "-q"]) == 0
    rec = json.loads((out / "summary.json").read_text())["inputs"][0]["results"][0]
    after = read_voc(out / "Data" / rec["files"][1])
    left_out = [n for n in rec.get("notes", []) if "left out" in n]
    assert rec["status"] == "written" and len(after.objects) + len(left_out) == 2
    assert all(o.shape.kind == "bndbox" for o in after.objects)
    # a copy that does not move the objects (a pixel operator, a skipped Rotate) writes them as
    # their boxes too: a polygon had been written back as a polygon when its box was unchanged
    (src / "a.xml").write_text("<annotation><filename>a.jpg</filename><size><width>80</width><height>60</height>"
                               "<depth>3</depth></size><object><name>c</name><polygon><x1>10</x1><y1>10</y1>"
                               "<x2>40</x2><y2>12</y2><x3>30</x3><y3>50</y3></polygon></object></annotation>")
    for op in ("LightContrast()", "Rotate(angle_min=10, angle_max=10, p=0)"):
        still = tmp_path / f"still-{op[:6]}"
        assert main(["run", str(src), "-o", str(still), "--op", op, "--other-shapes", "bbox", "-q"]) == 0
        rec = json.loads((still / "summary.json").read_text())["inputs"][0]["results"][0]
        objs = read_voc(still / "Data" / rec["files"][1]).objects
        # the polygon's points span [10, 40] x [10, 50] in continuous coordinates: VOC's 1-based
        # inclusive box of that is xmin = x1 + 1 (README, "VOC boxes and augment"), as a moved one
        assert [(o.name, o.shape.kind, o.shape.bounds()) for o in objs] == [("c", "bndbox", (11, 11, 40, 50))], op
