"""ModelArts dataset manifests (JSON lines) and ModelArts PASCAL VOC XML. Independent of ``augment``.

Manifests::

    m = manifest.read_manifest("train.manifest")              # strict: ManifestError at the 1st bad line
    for s in manifest.iter_manifest("big.manifest", strict=False): ...   # streaming, lenient
    manifest.write_manifest(m, "out.manifest")                # same objects, same key order

VOC::

    ann = manifest.read_voc("x.xml")                         # hardened: no DTD, no entities
    boxes, labels, fields, index = ann.to_boxes()            # (N, 4) float32, 0-based continuous
    new = ann.with_boxes(new_boxes, keep, size=(w, h), filename="x_aug.jpg")
    manifest.write_voc(new, "x_aug.xml")

Folders: :func:`from_folder` / :func:`to_folder`. Errors: see :mod:`manifest.errors`.
"""

import logging as _logging

from .dataset import (
    Manifest,
    filter_samples,
    is_remote,
    label_counts,
    labels,
    resolve_loc,
    rewrite_prefix,
    voc_paths,
)
from .errors import LayoutError, ManifestError, ManifestLineError, UnsafeXmlError, UnusedFileError, VocError
from .jsonl import ManifestReader, iter_manifest, read_manifest, write_manifest
from .layouts import from_folder, to_folder
from .model import (
    IMAGE_CLASSIFICATION,
    OBJECT_DETECTION,
    PASCAL_VOC,
    Annotation,
    Sample,
)
from .voc import (
    BndBox,
    Circle,
    Dashed,
    Line,
    Num,
    Point,
    Polygon,
    Polyline,
    Property,
    VocAnnotation,
    VocObject,
    VocSize,
    read_voc,
    write_voc,
)
from .vocboxes import VocBoxes, from_boxes, voc_to_xyxy, with_boxes, xyxy_to_voc

__all__ = [
    # manifest model and I/O
    "Sample",
    "Annotation",
    "Manifest",
    "ManifestReader",
    "read_manifest",
    "iter_manifest",
    "write_manifest",
    "IMAGE_CLASSIFICATION",
    "OBJECT_DETECTION",
    "PASCAL_VOC",
    # helpers
    "filter_samples",
    "labels",
    "label_counts",
    "is_remote",
    "resolve_loc",
    "voc_paths",
    "rewrite_prefix",
    # VOC
    "VocAnnotation",
    "VocObject",
    "VocSize",
    "Property",
    "Num",
    "BndBox",
    "Polygon",
    "Polyline",
    "Line",
    "Dashed",
    "Circle",
    "Point",
    "read_voc",
    "write_voc",
    "VocBoxes",
    "from_boxes",
    "with_boxes",
    "voc_to_xyxy",
    "xyxy_to_voc",
    # folder layouts
    "from_folder",
    "to_folder",
    # errors
    "ManifestError",
    "ManifestLineError",
    "VocError",
    "UnsafeXmlError",
    "LayoutError",
    "UnusedFileError",
]

_logging.getLogger(__name__).addHandler(_logging.NullHandler())
