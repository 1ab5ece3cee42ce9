"""A read manifest (:class:`Manifest`) and the helpers users need on samples.

* :func:`filter_samples`: by ``usage`` (case-insensitive) and annotation type (``"object_detection"``
  or ``"modelarts/object_detection"``);
* :func:`labels` / :func:`label_counts`: the label names, in order of first appearance, and
  how many annotations carry each;
* :func:`resolve_loc` / :func:`voc_paths`: the VOC file of a detection sample, a relative
  ``annotation-loc`` (``./voc/x.xml``) resolved against the manifest's folder (never the CWD);
* :func:`rewrite_prefix`: ``source`` (and ``annotation-loc``) rewriting between a local folder
  and ``obs://bucket/prefix/`` (or any two prefixes).

They all take any iterable of samples, so they work on a streaming :func:`iter_manifest` too.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Sequence

from .model import Annotation, Sample

__all__ = [
    "Manifest",
    "filter_samples",
    "labels",
    "label_counts",
    "is_remote",
    "resolve_loc",
    "voc_paths",
    "rewrite_prefix",
]


class Manifest:
    """The samples of one manifest file, with the errors lenient reading skipped.

    Behaves as a sequence of :class:`Sample`. ``path`` is the file read (or ``None``),
    ``folder`` the folder relative ``annotation-loc`` values are resolved against.
    """

    __slots__ = ("samples", "path", "errors")

    def __init__(
        self,
        samples: Iterable[Sample] = (),
        path: str | os.PathLike | None = None,
        errors: list | None = None,
    ) -> None:
        self.samples: list[Sample] = list(samples)
        self.path = None if path is None else os.fspath(path)
        self.errors: list = [] if errors is None else errors

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: Any) -> Any:
        return self.samples[i]

    def __repr__(self) -> str:
        return f"Manifest({len(self.samples)} samples, path={self.path!r}, errors={len(self.errors)})"

    @property
    def folder(self) -> Path | None:
        return None if self.path is None else Path(self.path).resolve().parent

    def filter(self, usage: Any = None, type: Any = None) -> list[Sample]:
        return list(filter_samples(self.samples, usage=usage, type=type))

    def labels(self) -> list[str]:
        return labels(self.samples)

    def label_counts(self) -> Counter:
        return label_counts(self.samples)

    def voc_paths(self, sample: Sample) -> list[str]:
        return voc_paths(sample, self.path)


def _as_set(v: Any, norm) -> set | None:
    if v is None:
        return None
    if isinstance(v, str):
        return {norm(v)}
    return {norm(x) for x in v}


def _norm_type(t: str) -> str:
    t = t.rsplit("/", 1)[-1].lower()
    return "audio_classification" if t == "sound_classification" else t


def filter_samples(
    samples: Iterable[Sample], usage: Any = None, type: Any = None
) -> Iterator[Sample]:
    """The samples whose usage is in ``usage`` and that have an annotation of ``type``.

    ``usage``: one value or several (``"train"``, ``["TRAIN", "EVAL"]``), case-insensitive;
    ``None`` for "any" (the empty string selects samples without usage). ``type``: one or
    several annotation types, with or without the ``modelarts/`` prefix.
    """
    usages = _as_set(usage, lambda u: (u or "").upper())
    types = _as_set(type, _norm_type)
    for s in samples:
        if usages is not None and (s.usage or "").upper() not in usages:
            continue
        if types is not None and not any(
            a.type is not None and _norm_type(a.type) in types for a in s.annotations
        ):
            continue
        yield s


def labels(samples: Iterable[Sample]) -> list[str]:
    """Every distinct annotation ``name``, in order of first appearance."""
    return list(dict.fromkeys(n for s in samples for n in s.labels))


def label_counts(samples: Iterable[Sample]) -> Counter:
    """How many annotations carry each label name."""
    return Counter(n for s in samples for n in s.labels)


def is_remote(loc: str) -> bool:
    """True for a URI with a scheme (``obs://``, ``s3://``, ``https://``, ``content://``)."""
    i = loc.find("://")
    return i > 0 and loc[:i].replace("+", "").replace("-", "").replace(".", "").isalnum()


def resolve_loc(loc: str, manifest_path: str | os.PathLike | None) -> str:
    """``loc`` as a usable path: URIs and absolute paths as they are; a relative path joined
    to the folder of ``manifest_path`` (as Huawei's Java SDK does), or to the CWD when the
    manifest has no path."""
    if loc.startswith("file://"):
        return loc[len("file://"):]
    if is_remote(loc) or os.path.isabs(loc):
        return loc
    base = Path(manifest_path).resolve().parent if manifest_path is not None else Path.cwd()
    return os.path.normpath(os.path.join(base, loc))


def voc_paths(sample: Sample, manifest_path: str | os.PathLike | None = None) -> list[str]:
    """The VOC files of a detection / segmentation sample, resolved (see :func:`resolve_loc`)."""
    return [resolve_loc(loc, manifest_path) for loc in sample.annotation_locs]


def _swap(value: str | None, old: str, new: str) -> str | None:
    if value is None:
        return None
    v = value.replace("\\", "/") if "\\" in value and "://" not in value else value
    if v.startswith(old):
        return new + v[len(old):]
    return value


def _dir_prefix(p: str) -> str:
    if "://" not in p:
        p = str(PurePosixPath(Path(p).as_posix()))
    return p if p.endswith("/") else p + "/"


def rewrite_prefix(
    samples: Iterable[Sample],
    old: str | os.PathLike,
    new: str | os.PathLike,
    *,
    annotation_loc: bool = True,
    inference_loc: bool = False,
) -> Iterator[Sample]:
    """Copies of the samples with the folder prefix ``old`` replaced by ``new``.

    ``rewrite_prefix(samples, "/data/flowers", "obs://bucket/flowers/")`` moves a local
    dataset to OBS; swap the arguments for the way back. Both prefixes are taken as folders
    (a trailing ``/`` is added). ``source`` is rewritten, and ``annotation-loc`` (unless
    ``annotation_loc=False``) and ``inference-loc`` (when ``inference_loc=True``). Values that
    do not start with ``old`` are left alone. The input samples are not modified.
    """
    o, n = _dir_prefix(os.fspath(old)), _dir_prefix(os.fspath(new))
    for s in samples:
        anns: Sequence[Annotation] = s.annotations
        if annotation_loc and any(a.annotation_loc for a in anns):
            anns = [
                dataclasses.replace(a, annotation_loc=_swap(a.annotation_loc, o, n))
                if a.annotation_loc
                else a
                for a in anns
            ]
        changes: dict[str, Any] = {"source": _swap(s.source, o, n), "annotations": list(anns)}
        if inference_loc:
            changes["inference_loc"] = _swap(s.inference_loc, o, n)
        yield dataclasses.replace(s, **changes)
