"""The work on one group of units: bytes in, bytes and records out.

A worker does a group of units stage by stage (annotations, decodes, augmentations, annotations
out, encodes, writes), which keeps each stage's code and tables warm in the CPU caches (20-30 %
less CPU per image than one unit after another, benchmarks/RESULTS-batch.md). Every unit ends in
one journal record: ``written`` (with its files), ``dropped`` (a box policy left the image out) or
``failed`` (with the reason). Any error raised while doing a unit is that unit's failure, except
an error that dooms every unit (:func:`fatal_reason`: no space, a read-only or vanished output),
which stops the group and the run.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..annotations import AnnotationError, drawn_view, fit_voc_boxes
from ..core.pipeline import Pipeline
from ..imageio import ImageReadError, ImageWriteError, decode_image, encode_image, max_file_bytes
from ..structures import Sample
from ..vocshapes import (
    VocObjects,
    encode_mask,
    load_mask,
    mask_path,
    read_objects,
    read_voc_at,
    turn_shapes,
    write_objects,
)

if TYPE_CHECKING:
    from manifest.voc import VocAnnotation

    from ..geometry import Shapes
    from ..imageio import ImageInfo
from . import storage
from .plan import FORMATS, Unit
from .spec import RunSpec

__all__ = ["process_group", "init_worker", "load", "fatal_reason", "FATAL"]

# errors of the output side that no other unit can escape
_FATAL_ERRNO = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ENOTDIR, errno.ENOENT}
FATAL = "fatal"  # the status of a record that stops the run


class _Skip(Exception):
    """An item that validation refuses (becomes a 'failed' record with this reason)."""


class _Fatal(Exception):
    pass


_WORKER: dict[str, Any] = {}


def init_worker(spec: RunSpec) -> None:
    import cv2

    cv2.setNumThreads(1)
    storage.configure(spec.endpoint_url)
    _WORKER["spec"] = spec
    _WORKER["pipeline"] = Pipeline.from_config(spec.pipeline)


def fatal_reason(exc: OSError, out_dir: Path | str) -> str | None:
    """The one-line reason when ``exc``, raised while writing into ``out_dir``, dooms every unit
    (never for object storage: a failed request fails its unit, and a re-run redoes it)."""
    if isinstance(out_dir, str) and storage.is_url(out_dir):
        return None
    out_dir = Path(out_dir)
    if exc.errno not in _FATAL_ERRNO:
        return None
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and out_dir.is_dir():
        return None  # the folder is there: this unit's own problem
    known = {errno.ENOSPC: "no space left on the output device", errno.EDQUOT: "disk quota exceeded",
             errno.EROFS: "the output is on a read-only file system"}
    what = known.get(exc.errno, f"the output folder {out_dir} is gone")
    return f"cannot write to {out_dir}: {what}"


class _Job:
    """One unit on its way through :func:`process_group`; ``rec`` is set once it is finished.
    Each stage sets what the next ones read (the annotations on ``vb``/``ann``, the decoded
    ``image`` and ``info``, the augmented ``out``, the encoded ``data`` and ``xml``)."""

    vb: VocObjects
    ann: VocAnnotation | None
    boxes: np.ndarray
    shapes: Shapes | None
    image: np.ndarray | None
    info: ImageInfo
    out: Sample
    data: bytes
    xml: bytes | None
    files: list[str]
    mask: np.ndarray | None
    mask_how: Any
    mask_png: bytes | None

    __slots__ = ("unit", "rec", "vb", "ann", "boxes", "shapes", "image", "info", "out", "data", "xml", "files",
                 "notes", "left_out", "mask", "mask_how", "mask_png", "pending")

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.rec: dict | None = None
        self.ann = self.xml = self.shapes = self.mask = self.mask_how = self.mask_png = None
        self.notes: list[str] = []
        self.left_out = 0
        self.pending: list[tuple[str, bytes]] = []

    def end(self, status: str, **kw: Any) -> None:
        u = self.unit
        self.rec = {"unit": u.key, "source": u.item.source, "copy": u.copy, "status": status, **kw}
        if self.notes:
            self.rec["notes"] = self.notes


def _read_annotation(job: _Job, spec: RunSpec) -> None:
    it = job.unit.item
    if it.kind == "detection":
        from manifest import ManifestError

        try:
            job.ann = _read_voc(it.voc)
            job.vb = read_objects(job.ann, spec.other_shapes, where=os.path.basename(it.voc or "VOC"))
        except storage.StorageError:
            raise  # the store's failure, with the URL and the cause: not a bad file
        except (ManifestError, OSError) as exc:
            raise _Skip(f"bad annotation: {exc}") from None


def _read_voc(loc: str | None) -> VocAnnotation:
    """A VOC file, local or a URL (its errors name it)."""
    assert loc is not None
    return cast("VocAnnotation", read_voc_at(loc))


def _sample_of(job: _Job) -> Sample:
    """The Sample to augment: the image, and for detection its boxes, labels, shapes, object
    numbers and VOC ``truncated`` flags (the operators set them when they cut an object)."""
    it, image = job.unit.item, job.image
    assert image is not None, "decoded by _stage_image"
    if job.ann is None:
        return Sample(image, meta={"source": it.source, "labels": it.labels, "info": job.info})
    boxes = job.boxes
    truncated = np.array([_flag(v) for v in job.vb.fields["truncated"]], np.int8)
    return Sample(image, boxes, job.vb.labels, {"_object": np.arange(len(boxes)), "truncated": truncated},
                  meta={"source": it.source, "info": job.info}, shapes=job.shapes, mask=job.mask)


def _mask_loc(spec: RunSpec, name: str) -> str:
    """``<mask_source>`` of a written mask: where it will be (``--source-prefix``) or its name, beside
    the VOC file."""
    prefix = spec.source_prefix or ""
    if not prefix:
        return name
    return f"{prefix if prefix.endswith('/') else prefix + '/'}Data/{name}"


def _flag(v: object) -> int:
    try:
        return int(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _stage_annotation(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    it = job.unit.item
    if it.problem:
        job.end("failed", reason=it.problem)
    elif job.unit.copy < 0:
        job.end(**_copy_original(job.unit, spec))
    else:
        _read_annotation(job, spec)


def _stage_image(job: _Job, spec: RunSpec, pipeline: Pipeline | None) -> None:
    loc = job.unit.item.image
    assert loc is not None, "items without an image have a problem and never get here"
    data = storage.read(loc, max_file_bytes(spec.max_pixels))
    image, job.info = decode_image(data, name=loc, max_pixels=spec.max_pixels)
    del data
    job.image = image
    if job.ann is not None:
        h, w = image.shape[0], image.shape[1]
        o = job.info.exif_orientation
        view = drawn_view(job.ann, h, w, o, spec.exif_boxes, job.notes)
        try:
            job.boxes = fit_voc_boxes(job.vb, job.ann, h, w, o, validate=spec.validate, view=view)
        except AnnotationError as exc:
            raise _Skip(str(exc)) from None
        job.shapes = job.vb.shapes
        if job.shapes is not None and view == "stored":
            job.shapes = turn_shapes(job.shapes, o, h, w)  # drawn on the stored pixels, as the boxes
        if job.ann.mask_source:
            try:
                job.mask, job.mask_how = load_mask(job.ann, job.unit.item.voc or "", h, w, o,
                                                   max_file_bytes(spec.max_pixels))
            except ImageReadError as exc:
                raise _Skip(str(exc)) from None


def _stage_augment(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    sample = _sample_of(job)
    job.image = None
    result = pipeline.run(sample, index=job.unit.item.index, epoch=job.unit.copy)
    out = result.sample
    if out is None:
        job.end("dropped", reason=result.dropped)
        return
    if job.ann is None:
        job.out = out
        return
    job.notes.extend(out.meta.get("notes", ()))
    if len(out.boxes):
        out = _without_slivers(job, out)
    n_in = len(sample.boxes)
    lost = sorted(set(range(n_in)) - set(out.fields["_object"].tolist()))
    noted = {int(m.group(1)) for m in map(_OBJECT_NOTE.match, job.notes) if m}
    for k in lost:
        if k not in noted:
            job.notes.append(f"object {k} {sample.labels[k]!r}: left the image (box policy of the pipeline), left out")
    job.left_out = len(lost)
    if n_in and not len(out.boxes) and spec.empty == "drop":
        job.end("dropped", reason=f"no object left after the pipeline ({n_in} left the image); "
                                  "--empty keep writes such images")
        return
    job.out = out


_OBJECT_NOTE = re.compile(r"object (\d+) ")


def _without_slivers(job: _Job, out: Sample) -> Sample:
    """Objects whose box would be written with ``xmin >= xmax`` or ``ymin >= ymax`` (a box
    clipped to under about one pixel: VOC's numbers are 1-based and inclusive) are left out, each
    with a note: loaders such as MindSpore's ``VOCDataset`` refuse such a box, and the whole
    dataset with it."""
    from manifest.vocboxes import xyxy_to_voc

    keep = np.ones(len(out.boxes), bool)
    shaped = set() if out.shapes is None else set(out.shapes.owner[out.shapes.role == 0].tolist())
    for k, box in enumerate(out.boxes.tolist()):
        if k in shaped:
            continue  # written as its own shape (a point, a line), not as a <bndbox>
        v = xyxy_to_voc(*box)
        if v[2] <= v[0] or v[3] <= v[1]:
            keep[k] = False
            obj = int(out.fields["_object"][k])
            job.notes.append(f"object {obj} box {out.labels[k]!r}: under one pixel after the pipeline "
                             f"({box[2] - box[0]:.2f} x {box[3] - box[1]:.2f} px), left out (VOC readers refuse "
                             "xmin >= xmax)")
    return out if keep.all() else out.filter(keep)


def _stage_annotation_out(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    job.files = [job.unit.name]
    if job.ann is None:
        return
    out = job.out
    h, w = out.image.shape[:2]
    depth = out.image.shape[2] if out.image.ndim == 3 else 1
    new = write_objects(job.vb, out, filename=job.unit.name, size=(w, h, depth))
    job.files.append(Path(job.unit.name).stem + ".xml")
    if out.mask is not None:
        name = Path(job.unit.name).stem + "_mask.png"
        job.mask_png = encode_mask(out.mask, job.mask_how)
        new = dataclasses.replace(new, mask_source=_mask_loc(spec, name))
        job.files.append(name)
    job.xml = new.to_bytes()


def _stage_encode(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    fmt = FORMATS.get(job.unit.item.suffix.lower(), "PNG")
    job.data = encode_image(job.out.image, fmt, quality=spec.quality, subsampling=job.info.subsampling)


def _write(out_dir: str, name: str, data: bytes) -> None:
    try:
        storage.write(storage.join(out_dir, name), data)
    except storage.StorageError as exc:
        raise ImageWriteError(str(exc)) from None
    except OSError as exc:
        fatal = fatal_reason(exc, out_dir)
        if fatal:
            raise _Fatal(fatal) from None
        raise ImageWriteError(f"{name}: cannot write: {exc.strerror or exc}") from None


def _stage_write(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    out_dir = storage.join(spec.output, "Data")
    blobs = [job.data, *(b for b in (job.xml, job.mask_png) if b is not None)]
    if storage.is_url(out_dir):  # written with the group's other files, concurrently (_write_remote)
        job.pending = [(storage.join(out_dir, name), data) for name, data in zip(job.files, blobs, strict=True)]
        return
    for name, data in zip(job.files, blobs, strict=True):
        _write(out_dir, name, data)
    _written(job)


def _written(job: _Job) -> None:
    extra = {"objects_left_out": job.left_out} if job.left_out else {}
    job.end("written", files=job.files, boxes=len(job.out.boxes), **extra)


def _write_remote(jobs: list[_Job]) -> None:
    """The files of a group's units, to object storage at once; each unit is written when all its
    files are, or failed with the first error."""
    results = storage.write_many([item for job in jobs for item in job.pending])
    for job in jobs:
        errors = [results[loc] for loc, _ in job.pending if results.get(loc) is not None]
        job.pending = []
        if errors:
            job.end("failed", reason=str(errors[0]))
        else:
            _written(job)


_STAGES = (_stage_annotation, _stage_image, _stage_augment, _stage_annotation_out, _stage_encode, _stage_write)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (_Skip, ImageReadError, ImageWriteError, storage.StorageError)):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory while doing this image (MemoryError)"
    text = str(exc).strip().splitlines()
    head = text[-1] if text else ""
    return f"{type(exc).__name__}: {head}" if head else type(exc).__name__


def process_group(units: Sequence[Unit]) -> list[dict]:
    """Do a few units stage by stage; returns their journal records, in order. A record with
    status :data:`FATAL` ends the list: the units after it were not done."""
    spec: RunSpec = _WORKER["spec"]
    pipeline: Pipeline = _WORKER["pipeline"]
    # a group's remote files are fetched together, concurrently (local files are read as used)
    from manifest.voc import MAX_VOC_BYTES

    storage.prefetch([u.item.voc for u in units if not u.item.problem], MAX_VOC_BYTES + 1)
    storage.prefetch([u.item.image for u in units if not u.item.problem], max_file_bytes(spec.max_pixels))
    try:
        return _process(units, spec, pipeline)
    finally:
        storage.drop_prefetched()


def _process(units: Sequence[Unit], spec: RunSpec, pipeline: Pipeline) -> list[dict]:
    live = [_Job(u) for u in units]
    jobs = list(live)
    for stage in _STAGES:
        for job in live:
            try:
                stage(job, spec, pipeline)
            except _Fatal as exc:
                done = [j.rec for j in jobs if j.rec is not None and j.rec["status"] != FATAL]
                return [*done, {"unit": job.unit.key, "status": FATAL, "reason": str(exc)}]
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 - one unit's failure is that unit's failure
                job.end("failed", reason=_reason(exc))
        live = [job for job in live if job.rec is None]
    if live:
        _write_remote(live)  # the jobs still open have their files waiting (object storage)
    return [job.rec for job in jobs if job.rec is not None]  # every job ends with a record


def _copy_original(unit: Unit, spec: RunSpec) -> dict:
    it = unit.item
    out_dir = storage.join(spec.output, "Data")
    files = [unit.name]
    assert it.image is not None, "items without an image have a problem and never get here"
    data = storage.read(it.image, None)
    xml = None
    mask_data: bytes | None = None
    if it.kind == "detection":
        from manifest import ManifestError

        try:
            ann = _read_voc(it.voc)
        except storage.StorageError:
            raise  # the store's failure, with the URL and the cause: not a bad file
        except (ManifestError, OSError) as exc:
            raise _Skip(f"bad annotation: {exc}") from None
        mask_name = ""
        if ann.mask_source:
            src = mask_path(ann.mask_source, it.voc or "")
            mask_data = storage.read(src, max_file_bytes(spec.max_pixels))
            mask_name = Path(unit.name).stem + "_mask.png"
            ann = dataclasses.replace(ann, mask_source=_mask_loc(spec, mask_name))
        xml = dataclasses.replace(ann, filename=unit.name).to_bytes()
        files.append(Path(unit.name).stem + ".xml")
        if mask_data is not None:
            files.append(mask_name)
    _write(out_dir, files[0], data)
    if xml is not None:
        _write(out_dir, files[1], xml)
    if mask_data is not None:
        _write(out_dir, files[2], mask_data)
    return {"status": "written", "files": files}


def load(unit: Unit, spec: RunSpec) -> tuple[Sample, Any]:
    """Read and validate one item: the Sample to augment and its VOC annotation (or None); raises
    :class:`_Skip` or :class:`~augment.imageio.ImageReadError` (the preview's view of a unit)."""
    job = _Job(unit)
    _read_annotation(job, spec)
    _stage_image(job, spec, None)
    return _sample_of(job), job.ann
