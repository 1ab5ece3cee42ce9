"""Datasets that yield augmented samples for training loops (PyTorch's ``DataLoader`` or any other).

    import augment.data as D
    ds = D.ManifestDataset("train.manifest", "pipeline.json" or config or Pipeline, seed=0)
    ds[3]            # {"image": HWC uint8, "boxes": (N, 4) float32, "labels": [...], ...}
    ds[(1, 3)]       # sample 3 as augmented in epoch 1

No torch import here: ``import augment.data`` works without PyTorch. The optional glue
(``to_tensor``, ``collate``) is in :mod:`augment.torch`.

**What an item is.** A dict:

==================  =====================================================================
``image``           numpy ``(H, W, C)`` uint8. ``channels=3`` (default): gray and RGBA files
                    become RGB; ``channels=1``: gray ``(H, W, 1)``; ``channels=None``: as
                    decoded, a gray file as ``(H, W, 1)``. 16-bit files are scaled to 8 bits.
``boxes``           ``(N, 4)`` float32, xyxy absolute continuous pixels (``(0, 4)`` for
                    classification)
``labels``          detection: the name of each box; classification: the image's label names
``difficult``,      detection: per-box int64 (missing = 0); ``confidence`` and
``truncated``, ...  ``hard_coefficient`` float32 (missing = NaN); ``pose`` an object array
``label``           classification only: the first label name
``label_ids``       with ``classes=[...]``: int64 per box (detection) or per label
``label_id``        with ``classes=[...]``, classification: the first label's id
``source``          the sample's ``source`` as written in the manifest (or the file path)
``index``           the index of the image returned (differs from the asked one after a
                    ``"resample"``); ``epoch``
``augmented``       False when ``drop_policy="original"`` returned the un-augmented image
``params``          with ``return_params=True``: the operators' parameters
==================  =====================================================================

A ``transform`` (e.g. :func:`augment.torch.to_tensor`) is applied last, in the worker.

**Seeding.** The dataset's ``seed`` wins over the pipeline's. Seeded, item ``i`` of epoch ``e``
is ``pipeline.run(sample_i, index=i, epoch=e)`` with that seed (:mod:`augment.random`): the same
whatever ``num_workers``, ``persistent_workers``, shuffling, or process; nothing depends on the
worker id. Unseeded (both ``None``), every ``__getitem__`` draws fresh OS entropy, so forked
workers never repeat each other and no ``worker_init_fn`` is needed.

**Epochs.** ``ds[i]`` uses ``ds.epoch`` (:meth:`set_epoch`); ``ds[(e, i)]`` uses epoch ``e``. The
dataset object is copied into each worker when the workers start, so ``set_epoch`` on the
main-process copy reaches the workers only when they start after the call: ``num_workers=0``, or
``persistent_workers=False`` (workers restart every epoch). With ``persistent_workers=True`` let the
epoch travel with the index: use :class:`EpochSampler` (it yields ``(epoch, index)`` pairs, lives
in the main process, and its ``set_epoch`` works whatever the workers)::

    sampler = D.EpochSampler(ds, shuffle=True, seed=0)
    loader = DataLoader(ds, batch_size=8, sampler=sampler, num_workers=4,
                        persistent_workers=True, collate_fn=augment.torch.collate)
    for epoch in range(10):
        sampler.set_epoch(epoch)
        for batch in loader: ...

**Dropped images** (a box policy ``drop_image``, e.g. Rotate's default), ``drop_policy``:

* ``"resample"`` (default): take a replacement image. Attempt ``k`` (``k = 1, 2, ...``) for item
  ``i`` uses image ``j = (i + k * stride) % N``, ``stride`` a fixed number near ``0.618 N`` coprime
  with ``N``, augmented with the key ``(epoch, j + k * N)``: deterministic when seeded, and never
  a copy of image ``j``'s own augmentation in that epoch.
* ``"retry"``: the same image with new parameters: attempt ``k`` uses key ``(epoch, i + k * N)``.
  Every image appears in every epoch; the parameters are drawn from the pipeline's distribution
  conditioned on not dropping.
* ``"original"``: the un-augmented image (``augmented=False``).
* ``"none"``: ``None``; :func:`augment.torch.collate` leaves it out of the batch (batches can then
  be smaller than ``batch_size``).

``max_attempts`` (default 10) caps the attempts; when all of them drop, :class:`AllDroppedError`
names the item and the last reason (a pipeline that drops nearly everything is a configuration
error better seen than hidden).

**Unreadable files** (corrupt image, bad VOC, boxes outside the image with ``validate=True``):
``on_error="raise"`` (default) raises :class:`LoadError` naming the index and the file: a training
run should not silently train on less data. ``on_error="skip"`` logs a warning and goes on as for a
dropped image, except that the same file is never retried: the next attempt takes the replacement
image ``(i + k * stride) % N`` (``drop_policy="none"``: ``None``).

**Errors** (defined in :mod:`augment.errors`, importable from here too) derive from
:class:`DatasetError`: :class:`LoadError`, :class:`AllDroppedError`, :class:`ItemIndexError` (an
``IndexError``: an index outside the dataset) and :class:`ItemKeyError` (a ``TypeError``: a key that
is neither an index nor an ``(epoch, index)`` pair). Bad options and a negative epoch raise
:class:`~augment.errors.ConfigError`.

**Files.** Detection samples read their PASCAL VOC file through the ``manifest`` package (relative
``annotation-loc`` resolved against the manifest's folder); the EXIF orientation is applied and,
when the VOC size matches the stored (unrotated) image, the boxes are turned with it (as the batch
job does). Boxes overhanging the image by at most ``augment.annotations.BOX_SLACK`` px are clipped.
Samples that cannot be used at all (no annotation, several VOC files, a URL this process cannot
read) are left out when the dataset is built, logged, and listed in ``ds.problems``.

**Object storage.** The manifest, its sources, their VOC files and masks may be URLs (``obs://``,
``s3://``, any protocol fsspec knows; the ``cloud`` extra), read through
:mod:`augment.batch.storage` as the batch job reads them: relative paths in a manifest at a URL
resolve against its folder there, ``obs://`` needs the OBS endpoint (``endpoint_url=``, or
``OBS_ENDPOINT``), credentials come from the environment (``AWS_ACCESS_KEY_ID`` /
``OBS_ACCESS_KEY_ID`` ...). ``endpoint_url`` is the dataset's own: another dataset, or
``augment.batch.storage.configure``, in the same process does not move its reads. Each worker
process makes its own connections (after a fork, and in a spawned worker). Asked for a batch (``__getitems__``, as
PyTorch's ``DataLoader`` does), a worker fetches the batch's images and VOC files concurrently
before decoding them. A failed read is a :class:`LoadError` naming the URL and the cause (no such
object, access denied, the server unreachable), handled by ``on_error`` like a corrupt file.

``decode``: ``decode(path: str) -> array`` or ``-> (array, ImageInfo)`` replaces
:func:`augment.imageio.read_image` (it must be picklable for ``spawn`` workers; a source in object
storage is passed as its URL, for ``decode`` to read).

OpenCV threads: the dataset does not touch OpenCV's thread count. Calling
``cv2.setNumThreads`` inside a *forked* worker after the parent has used OpenCV's thread pool can
hang (seen here: it waits on the parent's pool); set it in the main process before the
``DataLoader`` starts its workers (``cv2.setNumThreads(1)`` when ``num_workers`` >= the cores).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .core.pipeline import Pipeline
from .errors import (
    AllDroppedError,
    ConfigError,
    DatasetError,
    ItemIndexError,
    ItemKeyError,
    LoadError,
    RunError,
    StorageError,
)
from .imageio import DEFAULT_MAX_PIXELS, ImageInfo, ImageReadError, decode_image, max_file_bytes
from .random import check_seed, fresh_seed
from .structures import Sample

__all__ = [
    "AugmentedDataset",
    "ManifestDataset",
    "FolderDataset",
    "EpochSampler",
    "Record",
    "DatasetError",
    "LoadError",
    "AllDroppedError",
    "ItemIndexError",
    "ItemKeyError",
    "DROP_POLICIES",
]

log = logging.getLogger(__name__)

DROP_POLICIES = ("resample", "retry", "original", "none")
_ON_ERROR = ("raise", "skip")
_INT_FIELDS = ("difficult", "truncated", "occluded")
_FLOAT_FIELDS = ("confidence", "hard_coefficient")


@dataclass(frozen=True)
class Record:
    """One usable sample: where its image and VOC file are, its image-level labels."""

    source: str               # as in the manifest (or the file path for folders)
    image: str                # local path
    voc: str | None = None    # local VOC path for detection, else None
    labels: tuple = ()        # classification labels
    usage: str | None = None

    @property
    def kind(self) -> str:
        return "detection" if self.voc is not None else "classification"


def _records(samples: Iterable[Any], base: str | os.PathLike | None, problems: list) -> list[Record]:
    from .batch import storage

    anchor = None if base is None else str(base)
    unreadable: dict[str, str | None] = {}  # a protocol's reason it cannot be read here (None: it can)

    def cannot_read(loc: str) -> str | None:
        why = storage.unusable(loc, unreadable)
        return None if why is None else f"{loc}: {why}"

    out = []
    for s in samples:
        image = storage.resolve(s.source, anchor)
        vocs = [storage.resolve(loc, anchor) for loc in s.annotation_locs]
        reason = cannot_read(image) or next((r for r in map(cannot_read, vocs) if r), None)
        if reason is None and len(vocs) > 1:
            reason = f"{len(vocs)} VOC annotations for one image; only one is supported"
        elif reason is None and not vocs and not s.labels:
            reason = "image without annotation"
        if reason is not None:
            log.warning("left out: %s: %s", s.source, reason)
            problems.append({"source": s.source, "reason": reason})
            continue
        out.append(Record(s.source, image, vocs[0] if vocs else None, tuple(s.labels), s.usage))
    return out


def _as_pipeline(pipeline: Any) -> Pipeline:
    if pipeline is None:
        return Pipeline(())
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, os.PathLike) or (
        isinstance(pipeline, str) and not pipeline.lstrip().startswith(("{", "["))
    ):
        try:
            text = Path(pipeline).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{pipeline}: cannot read the pipeline file: {exc.strerror or exc}") from None
        return Pipeline.from_config(text)
    if isinstance(pipeline, (list, tuple)) and all(hasattr(op, "run") for op in pipeline):
        return Pipeline(pipeline)
    return Pipeline.from_config(pipeline)


def _stride(n: int) -> int:
    """A fixed step near 0.618 n, coprime with n (so the replacement sequence visits every image)."""
    if n <= 1:
        return 1
    s = max(1, round(n * 0.6180339887498949)) % n or 1
    while math.gcd(s, n) != 1:
        s += 1
    return s


def _int_field(values: list) -> np.ndarray:
    out = np.zeros(len(values), np.int64)
    for k, v in enumerate(values):
        try:
            out[k] = int(v) if v is not None else 0
        except (TypeError, ValueError):
            out[k] = 0
    return out


def _float_field(values: list) -> np.ndarray:
    out = np.full(len(values), np.nan, np.float32)
    for k, v in enumerate(values):
        try:
            out[k] = float(v) if v is not None else np.nan
        except (TypeError, ValueError):
            pass
    return out


def _to_uint8(image: np.ndarray, where: str) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    raise LoadError(f"{where}: image of dtype {image.dtype} is not supported (uint8 or uint16 expected)")


def _channels(image: np.ndarray, channels: int | None) -> np.ndarray:
    import cv2

    c = 1 if image.ndim == 2 else image.shape[2]
    if channels is None or c == channels:
        return image
    if channels == 3:
        if c == 1:
            return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB)
        return np.ascontiguousarray(image[..., :3])  # RGBA -> RGB (alpha dropped)
    # channels == 1
    rgb = image if c == 3 else (image[..., :3] if c == 4 else image)
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


class AugmentedDataset:
    """A map-style dataset of augmented samples over a list of :class:`Record` (see the module
    docstring). :class:`ManifestDataset` and :class:`FolderDataset` build the records for you."""

    def __init__(
        self,
        records: Sequence[Record],
        pipeline: Any = None,
        *,
        seed: int | None = None,
        decode: Callable[[str], Any] | None = None,
        drop_policy: str = "resample",
        max_attempts: int = 10,
        on_error: str = "raise",
        channels: int | None = 3,
        classes: Sequence[str] | None = None,
        transform: Callable[[dict], Any] | None = None,
        return_params: bool = False,
        validate: bool = True,
        other_shapes: str = "move",
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        problems: list | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if drop_policy not in DROP_POLICIES:
            raise ConfigError(f"drop_policy must be one of {DROP_POLICIES}, got {drop_policy!r}")
        if on_error not in _ON_ERROR:
            raise ConfigError(f"on_error must be one of {_ON_ERROR}, got {on_error!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ConfigError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
        if channels not in (None, 1, 3):
            raise ConfigError(f"channels must be 1, 3 or None, got {channels!r}")
        if other_shapes in ("drop", "keep"):
            raise ConfigError(f"other_shapes={other_shapes!r} is gone (it lost objects or left them unmoved): "
                              "non-box objects now move with the image ('move', the default), or give 'bbox' "
                              "(their bounding box) or 'error'")
        if other_shapes not in ("move", "bbox", "error"):
            raise ConfigError(f"other_shapes must be 'move', 'bbox' or 'error', got {other_shapes!r}")
        base = _as_pipeline(pipeline)
        seed = check_seed(seed, "dataset seed")
        self.seed = seed if seed is not None else base.seed
        self.pipeline = Pipeline(base.ops, seed=self.seed, box_policy=base.box_policy)
        self.records = list(records)
        self.problems = list(problems or [])
        self.decode = decode
        self.drop_policy = drop_policy
        self.max_attempts = max_attempts
        self.on_error = on_error
        self.channels = channels
        self.classes = None if classes is None else list(classes)
        self._class_ids = None if self.classes is None else {c: k for k, c in enumerate(self.classes)}
        self.transform = transform
        self.return_params = return_params
        self.validate = validate
        self.other_shapes = other_shapes
        self.max_pixels = max_pixels
        self.endpoint_url = endpoint_url
        self.epoch = 0
        self._stride = _stride(len(self.records))

    # ----------------------------------------------------------------- pickling (spawn workers)
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        p = state.pop("pipeline")
        state["_pipeline_parts"] = (p.ops, p.seed, p.box_policy)
        return state

    def __setstate__(self, state: dict) -> None:
        ops, seed, policy = state.pop("_pipeline_parts")
        self.__dict__.update(state)
        self.pipeline = Pipeline(ops, seed=seed, box_policy=policy)

    # ----------------------------------------------------------------- sequence protocol
    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)} samples, seed={self.seed!r}, epoch={self.epoch}, "
                f"drop_policy={self.drop_policy!r}, ops={[op.name for op in self.pipeline.ops]})")

    def set_epoch(self, epoch: int) -> None:
        """The epoch used by ``ds[i]`` (not by ``ds[(e, i)]``). Reaches DataLoader workers only
        when they start after this call; with persistent workers use :class:`EpochSampler`."""
        self.epoch = operator.index(epoch)

    def __getitem__(self, key: Any) -> Any:
        try:
            if isinstance(key, tuple):
                if len(key) != 2:
                    raise TypeError
                epoch, index = operator.index(key[0]), operator.index(key[1])
            else:
                epoch, index = self.epoch, operator.index(key)
        except TypeError:
            raise ItemKeyError(f"index must be an int or an (epoch, index) pair, got {key!r}") from None
        return self.get(index, epoch)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self.get(i)

    def __getitems__(self, keys: Sequence[Any]) -> list[Any]:
        """``[ds[k] for k in keys]``, with the batch's images and VOC files in object storage fetched
        concurrently first (PyTorch's ``DataLoader`` asks a worker for a batch this way), so a
        worker waits on one round of requests per batch instead of one or two per item."""
        from manifest.voc import MAX_VOC_BYTES

        from .batch import storage

        images, vocs = [], []
        n = len(self.records)
        for key in keys:
            i = key[1] if isinstance(key, tuple) and len(key) == 2 else key
            if isinstance(i, (int, np.integer)) and -n <= i < n:  # anything else: ds[key] raises for it
                rec = self.records[i]
                if self.decode is None and storage.is_url(rec.image):  # a custom decode reads its own
                    images.append(rec.image)
                if rec.voc is not None and storage.is_url(rec.voc):
                    vocs.append(rec.voc)
        if not images and not vocs:
            return [self[key] for key in keys]
        with storage.using(self.endpoint_url):
            try:
                storage.prefetch(vocs, MAX_VOC_BYTES + 1)
                storage.prefetch(images, max_file_bytes(self.max_pixels))
                return [self[key] for key in keys]
            finally:
                storage.drop_prefetched()  # what a failed or resampled item left unread

    # ----------------------------------------------------------------- loading
    def load(self, index: int) -> Sample:
        """Image ``index`` un-augmented, as a :class:`Sample` (validated; :class:`LoadError` if not usable)."""
        from .batch import storage

        rec = self.records[index]
        try:
            with storage.using(self.endpoint_url):  # this dataset's endpoint, in any worker
                return self._load(rec)
        except LoadError as exc:
            exc.index = index
            raise
        except ImageReadError as exc:
            raise LoadError(f"sample {index}: {exc}", index, rec.source) from exc

    def _decode(self, rec: Record) -> tuple[np.ndarray, int]:
        if self.decode is None:
            from .batch import storage

            try:  # a local file as read_image reads it (its errors are ImageReadErrors), or a URL
                data = storage.read(rec.image, max_file_bytes(self.max_pixels))
            except StorageError as exc:
                raise LoadError(str(exc), None, rec.source) from None
            image, info = decode_image(data, name=rec.image, max_pixels=self.max_pixels)
            return image, info.exif_orientation
        try:
            out = self.decode(rec.image)
        except (OSError, ValueError) as exc:
            raise LoadError(f"{rec.image}: cannot decode: {exc}", None, rec.source) from exc
        orientation = 1
        if isinstance(out, tuple):
            out, info = out
            if isinstance(info, ImageInfo):
                orientation = info.exif_orientation
        if not isinstance(out, np.ndarray) or out.ndim not in (2, 3):
            raise LoadError(f"{rec.image}: decode returned {type(out).__name__}, not an (H, W[, C]) array",
                            None, rec.source)
        return out, orientation

    def _load(self, rec: Record) -> Sample:
        image, orientation = self._decode(rec)
        image = _channels(_to_uint8(image, rec.image), self.channels)
        meta = {"source": rec.source}
        if rec.voc is None:
            return Sample(image, meta=meta)
        boxes, labels, fields, shapes, mask = self._voc(rec, rec.voc, image.shape[0], image.shape[1], orientation)
        return Sample(image, boxes, labels, fields, meta, shapes=shapes, mask=mask)

    def _voc(self, rec: Record, voc: str, h: int, w: int, orientation: int) -> tuple:
        """The VOC objects of ``rec`` (its file ``voc``) for an image of ``h x w`` shown with EXIF
        ``orientation``: boxes, labels, fields, shapes and mask (the batch job's rules,
        :mod:`augment.batch.work`)."""
        from manifest import ManifestError

        from .annotations import AnnotationError, drawn_view, fit_voc_boxes
        from .vocshapes import load_mask, read_objects, read_voc_at, turn_shapes

        try:
            ann = read_voc_at(voc)
            vb = read_objects(ann, self.other_shapes, where=os.path.basename(voc))
            view = drawn_view(ann, h, w, orientation)
            boxes = fit_voc_boxes(vb, ann, h, w, orientation, validate=self.validate, view=view)
        except StorageError as exc:  # names the URL and the cause
            raise LoadError(str(exc), None, rec.source) from None
        except (ManifestError, OSError) as exc:
            raise LoadError(f"{voc}: bad annotation: {exc}", None, rec.source) from None
        except AnnotationError as exc:
            raise LoadError(f"{voc}: {exc}", None, rec.source) from None
        shapes = vb.shapes
        if shapes is not None and view == "stored":
            shapes = turn_shapes(shapes, orientation, h, w)  # drawn on the stored pixels, as the boxes
        mask = None
        if ann.mask_source:
            try:
                mask, _ = load_mask(ann, voc, h, w, orientation, max_file_bytes(self.max_pixels))
            except (ImageReadError, StorageError) as exc:
                raise LoadError(f"{voc}: {exc}", None, rec.source) from None
        fields: dict[str, np.ndarray] = {}
        for name, values in vb.fields.items():
            if name in _INT_FIELDS:
                fields[name] = _int_field(values)
            elif name in _FLOAT_FIELDS:
                fields[name] = _float_field(values)
            else:
                col = np.empty(len(values), object)
                col[:] = values
                fields[name] = col
        return boxes, list(vb.labels), fields, shapes, mask

    # ----------------------------------------------------------------- augmenting
    def get(self, index: int, epoch: int | None = None) -> Any:
        """Item ``index`` of ``epoch`` (default: :attr:`epoch`); see the module docstring."""
        n = len(self.records)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise ItemIndexError(f"index {index} out of range for a dataset of {n} samples")
        epoch = self.epoch if epoch is None else operator.index(epoch)
        if epoch < 0:
            raise ConfigError(f"epoch must be >= 0, got {epoch}")
        policy = self.drop_policy
        move = policy == "resample"
        last = ""
        for k in range(self.max_attempts):
            j = (index + k * self._stride) % n if move else index
            key = j + k * n
            try:
                sample = self.load(j)
            except LoadError as exc:
                if self.on_error == "raise":
                    raise
                log.warning("skipped (on_error='skip'): %s", exc)
                last, move = str(exc), True
                if policy == "none":
                    return None
                continue
            out = self.pipeline.run(sample, index=key, epoch=epoch)
            if out.sample is not None:
                return self._finish(out.sample, j, epoch, True, out.params)
            last = f"{self.records[j].source}: {out.dropped}"
            if policy == "original":
                return self._finish(sample, j, epoch, False, None)
            if policy == "none":
                return None
        raise AllDroppedError(
            f"item {index} of epoch {epoch}: all {self.max_attempts} attempts were dropped "
            f"(drop_policy={policy!r}); last: {last}"
        )

    def _finish(self, sample: Sample, index: int, epoch: int, augmented: bool, params: Any) -> Any:
        rec = self.records[index]
        image = sample.image
        if image.ndim == 2:
            image = image[:, :, None]
        out: dict[str, Any] = {"image": image, "boxes": sample.boxes}
        ids = self._class_ids
        if rec.voc is not None:
            out["labels"] = list(sample.labels)
            out.update(sample.fields)
            shapes = sample.shapes
            if shapes is not None:  # flat arrays, so that collate and to_tensor batch them as they are
                out.update(points=shapes.points, shape_offsets=shapes.offsets, shape_kinds=shapes.kind,
                           shape_objects=shapes.owner, shape_roles=shapes.role, shape_radius=shapes.radius)
            if sample.mask is not None:
                out["mask"] = sample.mask
            if ids is not None:
                out["label_ids"] = self._ids(sample.labels, rec)
        else:
            out["labels"] = list(rec.labels)
            out["label"] = rec.labels[0] if rec.labels else None
            if ids is not None:
                out["label_ids"] = self._ids(rec.labels, rec)
                out["label_id"] = int(out["label_ids"][0]) if rec.labels else -1
        out["source"] = rec.source
        out["index"] = index
        out["epoch"] = epoch
        out["augmented"] = augmented
        if self.return_params:
            out["params"] = params
        return self.transform(out) if self.transform is not None else out

    def _ids(self, names: Iterable[Any], rec: Record) -> np.ndarray:
        ids = self._class_ids
        assert ids is not None
        try:
            return np.fromiter((ids[n] for n in names), np.int64)
        except KeyError as exc:
            raise LoadError(f"{rec.source}: label {exc.args[0]!r} is not in classes {self.classes}",
                            None, rec.source) from None


class ManifestDataset(AugmentedDataset):
    """``ManifestDataset(manifest, pipeline=None, *, usage=None, strict=True, seed=None, decode=None,
    drop_policy="resample", max_attempts=10, on_error="raise", channels=3, classes=None,
    transform=None, return_params=False, validate=True, other_shapes="move", endpoint_url=None)``

    ``manifest``: a manifest path or URL (``obs://bucket/train.manifest``, ``s3://...``; see
    "Object storage" in the module docstring), a :class:`manifest.Manifest`, or manifest samples
    (relative paths then resolve against the current folder). ``endpoint_url``: the object
    store's endpoint (for ``obs://``: ``https://obs.<region>.myhuaweicloud.com``, or set
    ``OBS_ENDPOINT``). ``usage``: keep only samples of that usage
    (``"train"``, case-insensitive; several allowed). ``strict``: a bad manifest line raises
    (``False``: skipped and listed in ``problems``). ``pipeline``: a :class:`Pipeline`, its
    config (dict / list / JSON text), a path to a JSON file, a list of operators, or ``None``
    (no augmentation).
    """

    def __init__(self, manifest: Any, pipeline: Any = None, *, usage: Any = None, strict: bool = True,
                 **kwargs: Any) -> None:
        from manifest import filter_samples

        from .batch import storage

        problems: list = []
        with storage.using(kwargs.get("endpoint_url")):
            samples, base = _manifest_samples(manifest, strict, problems)
            if usage is not None:
                samples = filter_samples(samples, usage=usage)
            records = _records(samples, base, problems)
        super().__init__(records, pipeline, problems=problems, **kwargs)


def _manifest_samples(manifest: Any, strict: bool, problems: list) -> tuple[Iterable[Any], Any]:
    """The samples of a :class:`ManifestDataset`'s ``manifest`` (a path, a URL, a Manifest or the
    samples themselves) and the anchor of their relative paths; bad lines go to ``problems``."""
    from manifest import Manifest, read_manifest

    from .batch import storage

    if isinstance(manifest, Manifest):
        return manifest, manifest.path
    if not isinstance(manifest, (str, os.PathLike)):
        return manifest, None
    if isinstance(manifest, str) and storage.is_url(manifest):
        data = storage.read(manifest)  # a StorageError names the URL and the cause
        m = read_manifest(storage.NamedBytes(data, manifest), strict=strict)
        base: Any = manifest
    else:
        m = read_manifest(manifest, strict=strict)
        base = m.path
    problems.extend({"source": str(manifest), "reason": str(err)} for err in m.errors)
    return m, base


class FolderDataset(AugmentedDataset):
    """``FolderDataset(path, pipeline=None, *, layout="auto", **options)``: a folder in one of
    ModelArts' import layouts (:func:`manifest.from_folder`): one sub-folder per label, image +
    ``.txt`` labels, or image + PASCAL VOC ``.xml``. Options as :class:`ManifestDataset`."""

    def __init__(self, path: str | os.PathLike, pipeline: Any = None, *, layout: str = "auto",
                 **kwargs: Any) -> None:
        from manifest import from_folder

        from .batch import storage

        if isinstance(path, str) and storage.is_url(path):
            with storage.using(kwargs.get("endpoint_url")):
                records, problems = _remote_folder(path, layout)
        else:
            m = from_folder(path, layout, check_images=False)
            problems = _folder_problems(m.errors, str)
            records = _records(m, None, problems)
        super().__init__(records, pipeline, problems=problems, **kwargs)


def _folder_problems(errors: Iterable[Any], name: Callable[[str], str]) -> list[dict]:
    """The folder reader's reports as ``ds.problems`` (``name``: how a path is shown)."""
    return [{"source": name(str(getattr(e, "path", "") or "")), "reason": name(str(e))} for e in errors]


def _renamed(sample: Any, mirror: Path, url: str) -> Any:
    """A sample read from a mirrored folder, its source and VOC files named by their URLs."""
    from .batch.plan import unmirrored

    anns = [
        dataclasses.replace(a, annotation_loc=unmirrored(a.annotation_loc, mirror, url)) if a.annotation_loc else a
        for a in sample.annotations
    ]
    return dataclasses.replace(sample, source=unmirrored(sample.source, mirror, url), annotations=anns)


def _remote_folder(url: str, layout: str) -> tuple[list[Record], list[dict]]:
    """The records of a folder in object storage: its listing is read into a local mirror of empty
    files (label ``.txt`` files with their bytes) and the folder rules run on it, as for ``augment
    run`` (:func:`augment.batch.plan.mirrored_folder`); every path is then named by its URL. The VOC
    files are read when their items are (a bad one is a :class:`LoadError` then)."""
    from manifest import from_folder

    from .batch import storage
    from .batch.plan import mirrored_folder, unmirrored

    # the batch job's checks and mirror raise RunError (no bucket, an empty folder, an unreadable
    # label file, names that cannot form a tree): a StorageError here, naming the URL as they do
    try:
        if storage.check_input(url) != "folder":
            raise ConfigError(f"{url}: FolderDataset needs a folder (for a manifest file use ManifestDataset)")
        with mirrored_folder(url) as mirror:
            m = from_folder(mirror, layout, check_images=False, check_annotations=False)
            problems = _folder_problems(m.errors, lambda text: unmirrored(text, mirror, url))
            samples = [_renamed(s, mirror, url) for s in m]
    except RunError as exc:
        raise StorageError(str(exc)) from None
    return _records(samples, None, problems), problems


class EpochSampler:
    """A sampler yielding ``(epoch, index)`` pairs, so the epoch reaches persistent workers.

    ``EpochSampler(source, *, shuffle=False, seed=None, epoch=0)``: ``source`` is a dataset (or
    any sized object, or an int ``N``): indices ``0..N-1``, in a permutation drawn from
    ``SeedSequence(seed, spawn_key=(epoch,))`` with ``shuffle=True`` (``seed=None``: one drawn
    now, so every epoch still gets its own order). ``source`` may also be another sampler (e.g.
    torch's ``DistributedSampler``): its indices are passed through and ``set_epoch`` is
    forwarded to it. Pass it as the ``DataLoader``'s ``sampler=``; no torch needed here.
    """

    def __init__(self, source: Any, *, shuffle: bool = False, seed: int | None = None, epoch: int = 0) -> None:
        self.sampler: Any = None
        if isinstance(source, int):
            self.n = source
        elif isinstance(source, AugmentedDataset) or not hasattr(source, "__iter__") or hasattr(source, "__getitem__"):
            self.n = len(source)
        else:
            self.sampler = source
            self.n = len(source)
        if shuffle and self.sampler is not None:
            raise ConfigError("EpochSampler: shuffle=True with a sampler as source; let that sampler shuffle")
        self.shuffle = shuffle
        seed = check_seed(seed, "EpochSampler: seed")
        self.seed = fresh_seed() % 2**63 if (shuffle and seed is None) else seed
        self.epoch = operator.index(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = operator.index(epoch)
        if self.sampler is not None and hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[tuple[int, int]]:
        e = self.epoch
        if self.sampler is not None:
            for i in self.sampler:
                yield (e, int(i))
            return
        if self.shuffle:
            gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(e,))))
            order: Iterable[int] = gen.permutation(self.n).tolist()
        else:
            order = range(self.n)
        for i in order:
            yield (e, i)
