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
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..annotations import AnnotationError, fit_voc_boxes, read_voc_boxes
from ..core.pipeline import Pipeline
from ..imageio import ImageReadError, ImageWriteError, atomic_write_bytes, encode_image, read_image, read_regular
from ..structures import Sample
from .plan import FORMATS, Unit
from .spec import RunSpec

__all__ = ["process_group", "init_worker", "load", "Skip", "fatal_reason", "FATAL"]

# errors of the output side that no other unit can escape
_FATAL_ERRNO = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ENOTDIR, errno.ENOENT}
FATAL = "fatal"  # the status of a record that stops the run


class Skip(Exception):
    """An item that validation refuses (becomes a 'failed' record with this reason)."""


class _Fatal(Exception):
    pass


_WORKER: dict[str, Any] = {}


def init_worker(spec: RunSpec) -> None:
    import cv2

    cv2.setNumThreads(1)
    _WORKER["spec"] = spec
    _WORKER["pipeline"] = Pipeline.from_config(spec.pipeline)


def fatal_reason(exc: OSError, out_dir: Path) -> str | None:
    """The one-line reason when ``exc``, raised while writing into ``out_dir``, dooms every unit."""
    if exc.errno not in _FATAL_ERRNO:
        return None
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and out_dir.is_dir():
        return None  # the folder is there: this unit's own problem
    what = {errno.ENOSPC: "no space left on the output device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "the output is on a read-only file system"}.get(exc.errno, f"the output folder {out_dir} is gone")
    return f"cannot write to {out_dir}: {what}"


class _Job:
    """One unit on its way through :func:`process_group`; ``rec`` is set once it is finished."""

    __slots__ = ("unit", "rec", "vb", "ann", "boxes", "image", "info", "out", "data", "xml", "files", "notes")

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.rec: dict | None = None
        self.ann = self.xml = None
        self.notes: list[str] = []

    def end(self, status: str, **kw: Any) -> None:
        u = self.unit
        self.rec = {"unit": u.key, "source": u.item.source, "copy": u.copy, "status": status, **kw}
        if self.notes:
            self.rec["notes"] = self.notes


def _read_annotation(job: _Job, spec: RunSpec) -> None:
    it = job.unit.item
    if it.kind == "detection":
        try:
            job.vb, job.ann = read_voc_boxes(it.voc, spec.other_shapes)
        except AnnotationError as exc:
            raise Skip(str(exc)) from None


def _sample_of(job: _Job) -> Sample:
    """The Sample to augment: the image, and for detection its boxes, labels and object indices."""
    it, image = job.unit.item, job.image
    if job.ann is None:
        return Sample(image, meta={"source": it.source, "labels": it.labels, "info": job.info})
    boxes = job.boxes
    return Sample(image, boxes, job.vb.labels, {"_object": np.arange(len(boxes))},
                  meta={"source": it.source, "info": job.info})


def _stage_annotation(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    it = job.unit.item
    if it.problem:
        job.end("failed", reason=it.problem)
    elif job.unit.copy < 0:
        job.end(**_copy_original(job.unit, spec))
    else:
        _read_annotation(job, spec)


def _stage_image(job: _Job, spec: RunSpec, pipeline: Pipeline | None) -> None:
    image, job.info = read_image(job.unit.item.image, max_pixels=spec.max_pixels)
    job.image = image
    if job.ann is not None:
        try:
            job.boxes = fit_voc_boxes(job.vb, job.ann, image.shape[0], image.shape[1], job.info.exif_orientation,
                                      validate=spec.validate, exif_boxes=spec.exif_boxes, notes=job.notes)
        except AnnotationError as exc:
            raise Skip(str(exc)) from None


def _stage_augment(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    sample = _sample_of(job)
    job.image = None
    result = pipeline.run(sample, index=job.unit.item.index, epoch=job.unit.copy)
    if result.sample is None:
        job.end("dropped", reason=result.dropped)
    elif job.ann is not None and len(result.sample.boxes):
        job.out = _without_slivers(job, result.sample)
        return
    job.out = result.sample


def _without_slivers(job: _Job, out: Sample) -> Sample:
    """Objects whose box would be written with ``xmin >= xmax`` or ``ymin >= ymax`` (a box
    clipped to under about one pixel: VOC's numbers are 1-based and inclusive) are left out, each
    with a note: loaders such as MindSpore's ``VOCDataset`` refuse such a box, and the whole
    dataset with it."""
    from manifest.vocboxes import xyxy_to_voc

    keep = np.ones(len(out.boxes), bool)
    for k, box in enumerate(out.boxes.tolist()):
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
    from manifest.vocboxes import with_boxes

    out = job.out
    h, w = out.image.shape[:2]
    depth = out.image.shape[2] if out.image.ndim == 3 else 1
    new = with_boxes(job.ann, out.boxes, keep=out.fields["_object"], size=(w, h, depth),
                     filename=job.unit.name, other_shapes=spec.other_shapes, base=job.vb)
    job.xml = new.to_bytes()
    job.files.append(Path(job.unit.name).stem + ".xml")


def _stage_encode(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    fmt = FORMATS.get(job.unit.item.suffix.lower(), "PNG")
    job.data = encode_image(job.out.image, fmt, quality=spec.quality, subsampling=job.info.subsampling)


def _write(out_dir: Path, name: str, data: bytes) -> None:
    try:
        atomic_write_bytes(out_dir / name, data, make_parents=False)
    except OSError as exc:
        fatal = fatal_reason(exc, out_dir)
        if fatal:
            raise _Fatal(fatal) from None
        raise ImageWriteError(f"{name}: cannot write: {exc.strerror or exc}") from None


def _stage_write(job: _Job, spec: RunSpec, pipeline: Pipeline) -> None:
    out_dir = Path(spec.output) / "Data"
    _write(out_dir, job.files[0], job.data)
    if job.xml is not None:
        _write(out_dir, job.files[1], job.xml)
    job.end("written", files=job.files, boxes=len(job.out.boxes))


_STAGES = (_stage_annotation, _stage_image, _stage_augment, _stage_annotation_out, _stage_encode, _stage_write)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (Skip, ImageReadError, ImageWriteError)):
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
    live = [_Job(u) for u in units]
    jobs = list(live)
    for stage in _STAGES:
        for job in live:
            try:
                stage(job, spec, pipeline)
            except _Fatal as exc:
                done = [j.rec for j in jobs if j.rec is not None and j.rec["status"] != FATAL]
                return done + [{"unit": job.unit.key, "status": FATAL, "reason": str(exc)}]
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 - one unit's failure is that unit's failure
                job.end("failed", reason=_reason(exc))
        live = [job for job in live if job.rec is None]
    return [job.rec for job in jobs]


def _copy_original(unit: Unit, spec: RunSpec) -> dict:
    it = unit.item
    out_dir = Path(spec.output) / "Data"
    files = [unit.name]
    data = read_regular(it.image, max_bytes=None)
    xml = None
    if it.kind == "detection":
        from manifest import ManifestError, read_voc

        try:
            ann = read_voc(it.voc)
        except (ManifestError, OSError) as exc:
            raise Skip(f"bad annotation: {exc}") from None
        xml = dataclasses.replace(ann, filename=unit.name).to_bytes()
        files.append(Path(unit.name).stem + ".xml")
    _write(out_dir, files[0], data)
    if xml is not None:
        _write(out_dir, files[1], xml)
    return {"status": "written", "files": files}


def load(unit: Unit, spec: RunSpec) -> tuple[Sample, Any]:
    """Read and validate one item: the Sample to augment and its VOC annotation (or None); raises
    :class:`Skip` or :class:`~augment.imageio.ImageReadError` (the preview's view of a unit)."""
    job = _Job(unit)
    _read_annotation(job, spec)
    _stage_image(job, spec, None)
    return _sample_of(job), job.ann
