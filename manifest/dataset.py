"""A read manifest (:class:`Manifest`) and the helpers users need on samples.

* :func:`filter_samples`: by ``usage`` (case-insensitive) and annotation type (``"object_detection"``
  or ``"modelarts/object_detection"``);
* :func:`labels` / :func:`label_counts`: the label names, in order of first appearance, and
  how many annotations carry each;
* :func:`resolve_loc` / :func:`voc_paths`: the VOC file of a detection sample, a relative
  ``annotation-loc`` (``./voc/x.xml``) resolved against the manifest's folder (never the CWD);
* :func:`rewrite_prefix`: ``source`` (and ``annotation-loc``) rewriting between a local folder
  and ``obs://bucket/prefix/`` (or any two prefixes);
* :func:`to_voc_dir` / :func:`mindspore_voc_problems`: a detection manifest as the PASCAL VOC
  directory MindSpore's ``VOCDataset`` reads (``Annotations/``, ``JPEGImages/``,
  ``ImageSets/Main/<set>.txt``), made of links, and the VOC files it would refuse.

They all take any iterable of samples, so they work on a streaming :func:`iter_manifest` too.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import LayoutError, ManifestError
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
    "to_voc_dir",
    "mindspore_voc_problems",
    "VocDirResult",
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


def _as_set(v: Any, norm: Callable[[Any], Any]) -> set | None:
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
    if manifest_path is None:
        return os.path.normpath(os.path.join(os.getcwd(), loc))
    anchor = os.fspath(manifest_path)
    return os.path.normpath(os.path.join(_real_folder(anchor, "" if os.path.isabs(anchor) else os.getcwd()), loc))


@functools.lru_cache(maxsize=64)
def _real_folder(anchor: str, cwd: str) -> str:
    """The real folder of the manifest ``anchor`` (``cwd``: the working folder a relative one was
    given in), found once: ``Path.resolve`` is a system call per path component, and a big
    manifest resolves every line against the same anchor."""
    return str(Path(cwd, anchor).resolve().parent)


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


# ---------------------------------------------------------------------- VOC directory (MindSpore)
def mindspore_voc_problems(ann: Any) -> list[str]:
    """Why MindSpore's ``VOCDataset`` (task ``"Detection"``, 2.x) cannot take this annotation.

    MindSpore aborts the *whole* dataset on a file with no ``<object>``, an object without a
    ``<bndbox>`` (a polygon, ...), or a box that is not ``0 < xmin < xmax`` and
    ``0 < ymin < ymax`` (so a zero-width box, or a 0-based ``xmin`` of 0, is fatal); it drops
    unnamed objects and then an image with no named object, silently. ``ann`` is a
    :class:`~manifest.voc.VocAnnotation`. An empty list: it loads.
    """
    if not ann.objects:
        return ["no <object> (VOCDataset aborts on it)"]
    out = []
    named = 0
    for i, o in enumerate(ann.objects):
        what = f"object {i + 1} ({o.name!r})"
        kind = getattr(o.shape, "kind", None)
        if kind != "bndbox":
            out.append(f"{what} is a {kind or 'shape-less object'}, not a <bndbox> (VOCDataset aborts on it)")
            continue
        b = o.shape
        try:
            x0, y0, x1, y1 = (float(v) for v in (b.xmin, b.ymin, b.xmax, b.ymax))
        except (TypeError, ValueError):
            out.append(f"{what} has a non-numeric coordinate (VOCDataset reads it as 0 and aborts)")
            continue
        if not (x0 > 0 and y0 > 0 and x1 > x0 and y1 > y0):
            out.append(
                f"{what} box ({b.xmin}, {b.ymin}, {b.xmax}, {b.ymax}) is not 0 < xmin < xmax, "
                "0 < ymin < ymax (VOCDataset aborts on it)"
            )
        if o.name:
            named += 1
    if not out and not named:
        out.append("no named object (VOCDataset drops the image)")
    return out


@dataclasses.dataclass
class VocDirResult:
    """What :func:`to_voc_dir` made: the image ids of each ImageSets/Main set, and the
    samples left out (``problems``, :class:`~manifest.errors.LayoutError` each naming why)."""

    sets: dict
    problems: list

    @property
    def ids(self) -> list[str]:
        return self.sets.get("all", [])


_USAGE_SETS = {"TRAIN": ("train", "trainval"), "EVAL": ("eval", "val", "trainval"),
               "TEST": ("test",), "INFERENCE": ("inference",)}


def _place(target: Path, dst: Path, copy: bool) -> None:
    if copy:
        shutil.copyfile(target, dst)
    else:
        os.symlink(target, dst)


def to_voc_dir(
    samples: Iterable[Sample],
    out_dir: str | os.PathLike,
    *,
    manifest_path: str | os.PathLike | None = None,
    copy: bool = False,
) -> VocDirResult:
    """Lay a detection manifest out as the PASCAL VOC directory MindSpore's ``VOCDataset`` reads.

    ``VOCDataset(out_dir, task="Detection", usage=SET)`` reads the ids listed in
    ``ImageSets/Main/SET.txt`` and opens ``JPEGImages/<id>.jpg`` and ``Annotations/<id>.xml``
    (the ``.jpg`` name is fixed; the bytes may be PNG or BMP, which it decodes by content).
    ``augment run``'s ``Data/`` holds image + ``.xml`` side by side, the ModelArts layout, so
    it cannot be read as it is. This writes, for each sample (id = its image's stem, made
    unique), a link ``JPEGImages/<id>.jpg`` to the image and ``Annotations/<id>.xml`` to its
    VOC file (``copy=True``: copies), and the set lists by ``usage``: ``train``, ``eval``
    (also as VOC's ``val``), ``trainval`` (both), ``test``, ``inference``, and ``all``.

    A sample that MindSpore could not load is left out and reported (remote or missing files,
    an unreadable VOC file, or any of :func:`mindspore_voc_problems`, each of which would
    abort the whole dataset there). Relative paths resolve against ``manifest_path``'s folder.
    ``out_dir`` must not exist or be empty.
    """
    from .voc import read_voc  # voc needs lxml; the rest of this module does not

    if isinstance(samples, Manifest) and manifest_path is None:
        manifest_path = samples.path
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LayoutError("exists and is not an empty folder", out)
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    sets: dict[str, list[str]] = {}
    problems: list[LayoutError] = []
    taken: set[str] = set()

    def problem(reason: str, s: Sample) -> None:
        problems.append(LayoutError(f"{s.source}: {reason}", manifest_path))

    for s in samples:
        locs = s.annotation_locs
        if not locs:
            problem("no annotation-loc (not a detection sample)", s)
            continue
        if len(locs) > 1:
            problem(f"{len(locs)} VOC files for one image; VOCDataset takes one", s)
            continue
        img, loc = resolve_loc(s.source, manifest_path), resolve_loc(locs[0], manifest_path)
        if is_remote(img) or is_remote(loc):
            problem("remote file; download it first", s)
            continue
        if not os.path.isfile(img):
            problem(f"image not found: {img}", s)
            continue
        try:
            ann = read_voc(loc)
        except ManifestError as exc:
            problem(f"unreadable VOC file: {exc}", s)
            continue
        bad = mindspore_voc_problems(ann)
        if bad:
            problem(f"left out: {loc}: " + "; ".join(bad), s)
            continue
        stem = base = Path(img).stem
        i = 0
        while stem in taken:
            i += 1
            stem = f"{base}_{i}"
        taken.add(stem)
        _place(Path(img).resolve(), out / "JPEGImages" / f"{stem}.jpg", copy)
        _place(Path(loc).resolve(), out / "Annotations" / f"{stem}.xml", copy)
        for name in (*_USAGE_SETS.get((s.usage or "").upper(), ()), "all"):
            sets.setdefault(name, []).append(stem)
    for name, ids in sets.items():
        (out / "ImageSets" / "Main" / f"{name}.txt").write_text(
            "".join(f"{x}\n" for x in ids), encoding="utf-8")
    return VocDirResult(sets, problems)
