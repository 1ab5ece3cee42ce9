"""Every object of a ModelArts PASCAL VOC file as a Sample's boxes and shapes, and back.

Read (:func:`read_objects`): one box per object (a ``<bndbox>``, or the bounds of its polygon,
polyline, line, dashed line, point or circle), its name, VOC fields and, for a non-box object, its
own shape (:class:`augment.geometry.Shapes`); every ``<part>`` (the VOC person layout's head,
hands, feet) as a part box of its object. Shape numbers are pixel coordinates on ModelArts'
labelling canvas, taken as continuous coordinates as they are (imgaug's convention for points and
polygons; ModelArts writes ``0`` for the left edge); ``<bndbox>`` numbers are VOC's 1-based
inclusive ones (:mod:`manifest.vocboxes`).

Write (:func:`write_objects`): the annotation of the augmented image: every object the pipeline
kept, its shape moved (a circle turned into a polygon by a shear is written as ``<polygon>``), its
parts moved or left out, ``truncated`` as the operators set it. An object the pipeline did not
change is written back exactly as read. Numbers are written as integers, as ModelArts' tool does.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .geometry import OWN, PART, Shapes

__all__ = ["VocObjects", "read_objects", "write_objects", "turn_shapes", "mask_path", "read_mask", "encode_mask",
           "load_mask", "OTHER_SHAPES"]

#: what to do with objects that are not boxes: move them with the image (default), or write their
#: bounding box instead, or refuse the file
OTHER_SHAPES = ("move", "bbox", "error")


class VocObjects:
    """The objects of one VOC file as arrays (see the module docstring)."""

    __slots__ = ("boxes", "labels", "fields", "shapes", "ann")

    def __init__(self, boxes: np.ndarray, labels: list, fields: dict, shapes: Shapes | None, ann: Any) -> None:
        self.boxes, self.labels, self.fields, self.shapes, self.ann = boxes, labels, fields, shapes, ann


def _num(v: Any) -> float:
    return float(v)


def _own_shape(o: Any, i: int) -> tuple[str, Any, float, str] | None:
    """``(kind, points, radius, tag)`` of a non-box object's shape."""
    sh = o.shape
    tag = sh.kind
    if tag in ("polygon", "polyline"):
        return tag, [[_num(x), _num(y)] for x, y in sh.points], 0.0, tag
    if tag in ("line", "dashed"):
        return "line", [[_num(sh.x1), _num(sh.y1)], [_num(sh.x2), _num(sh.y2)]], 0.0, tag
    if tag == "point":
        return "point", [[_num(sh.x), _num(sh.y)]], 0.0, tag
    if tag == "circle":
        return "circle", [[_num(sh.cx), _num(sh.cy)]], _num(sh.r), tag
    return None


def read_objects(ann: Any, other_shapes: str = "move", where: str = "VOC") -> VocObjects:
    """The objects of ``ann`` (a :class:`manifest.VocAnnotation`) as arrays; ``other_shapes`` in
    :data:`OTHER_SHAPES`. Raises :class:`manifest.VocError` for ``"error"`` and a non-box object."""
    from manifest import VocError
    from manifest.vocboxes import FIELDS, voc_to_xyxy

    if other_shapes not in OTHER_SHAPES:
        raise ValueError(f"other_shapes must be one of {OTHER_SHAPES}, got {other_shapes!r}")
    boxes, labels, shapes, shaped = [], [], [], []
    fields: dict[str, list] = {f: [] for f in FIELDS}
    for i, o in enumerate(ann.objects):
        sh = o.shape
        if sh is None:
            raise VocError(f"{where}: object {i} ({o.name!r}) has no shape", None, o.line)
        if sh.kind == "bndbox":
            boxes.append(voc_to_xyxy(*sh.bounds()))
        elif other_shapes == "error":
            raise VocError(f"{where}: object {i} ({o.name!r}) has a <{sh.kind}>, not a <bndbox>", None, o.line)
        else:
            kind, pts, radius, tag = _own_shape(o, i)  # type: ignore[misc]
            p = np.asarray(pts, np.float32)
            lo, hi = p.min(axis=0) - radius, p.max(axis=0) + radius
            shaped.append(len(boxes))
            boxes.append((float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
            if other_shapes == "move":
                shapes.append((kind, p, i, OWN, radius, tag))
        for j, part in enumerate(o.parts):
            if part.shape is not None:
                shapes.append(("box", np.asarray(voc_to_xyxy(*part.shape.bounds()), np.float32).reshape(2, 2),
                               i, PART, 0.0, j))
        labels.append(o.name)
        for f in FIELDS:
            fields[f].append(getattr(o, f))
    arr = np.asarray(boxes, np.float32).reshape(-1, 4)
    if shaped:  # objects with a shape (moved, or written as their box): at least a pixel each way
        from .geometry import widen_boxes

        arr[shaped] = widen_boxes(arr[shaped])
    return VocObjects(arr, labels, fields, Shapes.from_lists(shapes) if shapes else None, ann)


def _ints(p: np.ndarray) -> list:
    return [[round(float(x)), round(float(y))] for x, y in p]


def write_objects(src: VocObjects, out: Any, *, filename: str, size: tuple[int, int, int]) -> Any:
    """The :class:`manifest.VocAnnotation` of the augmented sample ``out`` (whose
    ``fields["_object"]`` numbers its objects in ``src``)."""
    import dataclasses

    from manifest.voc import BndBox, Circle, Dashed, Line, Point, Polygon, Polyline
    from manifest.vocboxes import keep_unchanged_text, xyxy_to_voc

    ann = src.ann
    numbers = out.fields["_object"]
    shapes: Shapes | None = out.shapes
    own: dict[int, int] = {}
    parts: dict[int, dict[Any, int]] = {}
    if shapes is not None:
        for s in range(len(shapes)):
            k = int(shapes.owner[s])
            if shapes.role[s] == OWN:
                own[k] = s
            else:
                parts.setdefault(k, {})[shapes.tags[s]] = s
    trunc = out.fields.get("truncated")
    objects = []
    empty = Shapes.empty()
    for k, n in enumerate(numbers.tolist()):
        o = ann.objects[n]
        box = out.boxes[k]
        same_box = bool((box == src.boxes[n]).all())
        unchanged_shapes = shapes is None or _same_shapes(src.shapes, n, shapes, k)
        new = copy.copy(o)
        # unmoved: written as read, unless it was read as its box (other_shapes="bbox"), which is
        # what it must be written as, moved or not
        if same_box and unchanged_shapes and (o.shape.kind == "bndbox" or k in own):
            objects.append(o)
            continue
        if o.shape.kind == "bndbox" or k not in own:
            x1, y1, x2, y2 = box.tolist()
            vb = xyxy_to_voc(x1, y1, x2, y2)
            if o.shape.kind == "bndbox":
                vb = keep_unchanged_text(o.shape.bounds(), vb, box == src.boxes[n])
            new.shape = BndBox(*vb)
        else:
            shapes = shapes if shapes is not None else empty  # k in own: there are shapes
            s = own[k]
            p = shapes.shape(s)
            tag = shapes.tags[s]
            kind = ("polygon", "polyline", "line", "point", "circle", "box")[int(shapes.kind[s])]
            if kind == "circle":
                (cx, cy), = p.tolist()
                new.shape = Circle(round(cx), round(cy), round(float(shapes.radius[s])))
            elif kind == "polygon":  # a polygon, or a circle under a shear
                new.shape = Polygon(_ints(p))
            elif kind == "polyline":
                new.shape = Polyline(_ints(p))
            elif kind == "line":
                (a, b), (c, d) = _ints(p)[0], _ints(p)[-1]
                new.shape = (Dashed if tag == "dashed" else Line)(a, b, c, d)
            else:
                (x, y), = _ints(p)
                new.shape = Point(x, y, getattr(o.shape, "tags", ("x", "y")))
        kept_parts = []
        for j, part in enumerate(o.parts):
            part_shape = parts.get(k, {}).get(j)
            if part_shape is None or shapes is None:
                continue  # left the image (noted by the operator)
            q = shapes.shape(part_shape)
            lo, hi = q.min(axis=0), q.max(axis=0)
            moved_part = copy.copy(part)
            moved_part.shape = BndBox(*xyxy_to_voc(float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
            kept_parts.append(moved_part)
        new.parts = kept_parts
        if trunc is not None and o.truncated is not None and int(trunc[k]) != _as_int(o.truncated):
            new.truncated = int(trunc[k])
        objects.append(new)
    from manifest.vocboxes import _new_size

    return dataclasses.replace(ann, objects=objects, size=_new_size(ann, size), filename=filename)


def _as_int(v: Any) -> int:
    try:
        return int(float(v))
    except (TypeError, ValueError):
        return 0


def _same_shapes(before: Shapes | None, n: int, after: Shapes, k: int) -> bool:
    a = [] if before is None else [i for i in range(len(before)) if before.owner[i] == n]
    b = [i for i in range(len(after)) if after.owner[i] == k]
    if len(a) != len(b):
        return False
    if before is None:
        return not b
    for i, j in zip(a, b, strict=True):
        if before.kind[i] != after.kind[j] or not np.array_equal(before.shape(i), after.shape(j)) or \
                before.radius[i] != after.radius[j]:
            return False
    return True


def turn_shapes(shapes: Shapes, orientation: int, h: int, w: int) -> Shapes:
    """Shapes drawn on the stored pixels of an image with EXIF ``orientation``, moved as the image
    is turned upright (``h`` x ``w`` is the upright size), as :func:`augment.annotations.orient_boxes`
    moves boxes."""
    from .geometry import move_shapes

    sw, sh = (h, w) if orientation in (5, 6, 7, 8) else (w, h)  # the stored image's size
    maps = {2: ((-1, 0, sw), (0, 1, 0)), 3: ((-1, 0, sw), (0, -1, sh)), 4: ((1, 0, 0), (0, -1, sh)),
            5: ((0, 1, 0), (1, 0, 0)), 6: ((0, -1, sh), (1, 0, 0)), 7: ((0, -1, sh), (-1, 0, sw)),
            8: ((0, 1, 0), (-1, 0, sw))}
    m = np.eye(3)
    m[:2] = maps[orientation]
    return move_shapes(shapes, m)[0]


# --------------------------------------------------------------------------- segmentation masks
def read_voc_at(loc: str) -> Any:
    """The :class:`manifest.VocAnnotation` at ``loc``: a local path, or a URL read through
    :mod:`augment.batch.storage` (its errors name the URL)."""
    from manifest import read_voc
    from manifest.voc import MAX_VOC_BYTES

    from .batch import storage

    if storage.is_url(loc):
        return read_voc(storage.NamedBytes(storage.read(loc, MAX_VOC_BYTES + 1), loc))
    return read_voc(loc)


def mask_path(mask_source: str, voc_path: str) -> str:
    """Where a VOC file's ``<mask_source>`` is: an absolute path as it is, a relative one against the
    VOC file's folder (then its parent, the layout ModelArts exports: ``Annotations/`` beside
    ``SegmentationClass/``). A URI is returned as it is (the caller refuses what it cannot read)."""
    import os

    from manifest.dataset import is_remote

    from .batch import storage

    if is_remote(mask_source) or os.path.isabs(mask_source):
        return mask_source
    if storage.is_url(voc_path):  # a VOC file in object storage: its mask is beside it (or one up)
        here = storage.dirname(voc_path)
        first = storage.resolve(mask_source, voc_path)
        if storage.exists(first):
            return first
        up = storage.resolve(mask_source, here)
        return up if storage.exists(up) else first
    here = os.path.dirname(os.path.abspath(voc_path))
    for base in (here, os.path.dirname(here)):
        cand = os.path.normpath(os.path.join(base, mask_source))
        if os.path.exists(cand):
            return cand
    return os.path.normpath(os.path.join(here, mask_source))


def read_mask(path: str, max_bytes: int | None) -> tuple[np.ndarray, Any]:
    """A PNG mask as an array and what is needed to write it back in its own mode: ``(H, W)`` ids
    for palette (``P``, the palette kept), gray and 16-bit masks, ``(H, W, 3|4)`` for colour masks
    (ModelArts writes ``<mask_color>R,G,B</mask_color>`` per object)."""
    import io

    from PIL import Image

    from .batch import storage
    from .imageio import ImageReadError, read_regular

    data = storage.read(path, max_bytes) if storage.is_url(path) else read_regular(path, max_bytes=max_bytes)
    try:
        im: Image.Image = Image.open(io.BytesIO(data))
        im.load()
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a bad file
        raise ImageReadError(f"{path}: cannot read the mask: {exc}") from None
    mode, palette = im.mode, im.getpalette() if im.mode == "P" else None
    if mode not in ("P", "L", "I;16", "I", "RGB", "RGBA", "1"):
        im = im.convert("RGB")
        mode = "RGB"
    arr = np.asarray(im.convert("L") if mode == "1" else im)
    return arr, (mode, palette, im.info.get("transparency"))


def encode_mask(mask: np.ndarray, how: Any) -> bytes:
    """PNG bytes of ``mask`` in the mode it was read in (``how`` from :func:`read_mask`)."""
    import io

    from PIL import Image

    mode, palette, transparency = how
    if mode == "P":
        im = Image.fromarray(mask.astype(np.uint8), "P")
        im.putpalette(palette)
    elif mode == "I;16":
        im = Image.fromarray(mask.astype(np.uint16))
    elif mode == "I":
        im = Image.fromarray(mask.astype(np.int32), "I")
    else:
        im = Image.fromarray(mask)
    buf = io.BytesIO()
    kw = {"transparency": transparency} if transparency is not None and mode == "P" else {}
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def load_mask(ann: Any, voc_path: str, h: int, w: int, orientation: int, max_bytes: int | None
              ) -> tuple[np.ndarray, Any]:
    """A VOC file's ``<mask_source>`` as an array on the upright ``h`` x ``w`` image (turned with an
    EXIF ``orientation`` when it has the stored image's size) and how to write it back
    (:func:`read_mask`); :class:`~augment.imageio.ImageReadError` naming the mask and what is wrong."""
    from .imageio import ImageReadError, _orient

    source = str(ann.mask_source)
    path = mask_path(source, voc_path)  # a URL is read through augment.batch.storage
    try:
        mask, how = read_mask(path, max_bytes)
    except ImageReadError as exc:
        raise ImageReadError(f"bad mask: {exc}") from None
    if mask.shape[:2] != (h, w) and orientation in range(2, 9) and _orient(mask, orientation).shape[:2] == (h, w):
        mask = np.ascontiguousarray(_orient(mask, orientation))
    if mask.shape[:2] != (h, w):
        raise ImageReadError(f"mask {path}: size {mask.shape[1]}x{mask.shape[0]} does not match the image {w}x{h}")
    return mask, how
